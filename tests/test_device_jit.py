"""jit on device arrays, checked on the CPU with the CuPy-like fake device (tests/_fakedevice.py).

A device call runs the *device form* of tier 0 (codegen/numpy_tier.py: the generated source on
the device namespace, captured constants copied to the device once per (graph, device)); its
cache entry is its own, so host and device calls each get and keep their compiled form. Tier 1
(numba) is host-only: a device specialization stays on the device form, and no device array
reaches the host. grad/value_and_grad/vmap over and under jit run on device arrays too. The
op-table sweep runs every row that the seam's eager sweep runs on the device through jit
(values to 1e-12, results on the device). The last test repeats it on real CuPy and skips
without a GPU.
"""

from __future__ import annotations

from typing import Any

import _fakedevice as fd
import numpy as np
import pytest
from _device_expectations import FAMILIES
from _fakedevice import chi2, cupy_usable, line_data
from optable import _backend_graphs, applicable, make_args, xfail_reason
from test_op_table import ROWS

import fluxion
import fluxion.numpy as fnp
from fluxion import DeviceError
from fluxion._src.codegen import lowering
from fluxion._src.tree_util import tree_flatten

fd.install()

RTOL, ATOL = 1e-12, 1e-14
FakeArray = fd.FakeArray


def _assert_same(got: Any, want: Any, what: str, array_type: type = FakeArray,
                 to_host: Any = fd.get) -> None:
    """``got`` (device run) equals ``want`` (NumPy run) leaf by leaf; array leaves of ``want``
    are device arrays in ``got``."""
    got_leaves, got_tree = tree_flatten(got)
    want_leaves, want_tree = tree_flatten(want)
    assert got_tree == want_tree, f"{what}: structure {got_tree} != {want_tree}"
    for g, w in zip(got_leaves, want_leaves):
        if isinstance(w, np.ndarray | np.generic):
            assert type(g) is array_type, f"{what}: a result left the device ({type(g)})"
            g = to_host(g)
            assert g.dtype == np.asarray(w).dtype, f"{what}: dtype {g.dtype} != {w.dtype}"
            assert g.shape == np.shape(w), f"{what}: shape {g.shape} != {np.shape(w)}"
        elif type(g) is array_type:
            # eager gave a Python scalar (allclose, array_equal): jit gives a 0-d array, as
            # on the host, which stays on the device
            assert g.shape == (), f"{what}: a {g.shape} array for the scalar {w!r}"
            g = to_host(g)
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=what)


# --------------------------------------------------------------------------------------------
# the seed line fit
# --------------------------------------------------------------------------------------------


def test_seed_line_fit_value_and_gradient_under_jit_on_device() -> None:
    args = line_data()
    want = fluxion.value_and_grad(chi2)(*args)  # eager NumPy
    f = fluxion.jit(fluxion.value_and_grad(chi2))
    dev = fd.put(args)
    _assert_same(f(*dev), want, "jit(value_and_grad) first call")
    _assert_same(f(*fd.put(args)), want, "jit(value_and_grad) second call")
    assert f.trace_count == 1, "two device calls of one signature traced twice"


def test_host_and_device_calls_each_keep_their_own_form() -> None:
    args = line_data()
    f = fluxion.jit(chi2, tier=0)
    host = f(*args)
    assert type(host) is not FakeArray and f.trace_count == f.compile_count == 1
    dev = f(*fd.put(args))
    assert type(dev) is FakeArray and f.trace_count == f.compile_count == 2
    np.testing.assert_allclose(fd.get(dev), host, rtol=RTOL)
    # a host call after the device call uses the host form: no trace, no compile
    again = f(*args)
    assert type(again) is not FakeArray and f.trace_count == f.compile_count == 2
    # and a device call after it uses the device form
    assert type(f(*fd.put(args))) is FakeArray and f.compile_count == 2
    host_source = f.lower(*args).source
    device_source = f.lower(*fd.put(args)).source
    assert "device form" not in host_source and "device form" in device_source

    # the reverse order: a device call first never compiles the host form
    g = fluxion.jit(chi2, tier=0)
    g(*fd.put(args))
    assert g.compile_count == 1
    g(*args)
    assert g.compile_count == 2


def test_captured_constants_move_to_the_device_once() -> None:
    w = np.arange(6.0).reshape(2, 3)
    weights = np.array([1.0, 2.0])

    def f(x: Any) -> Any:
        # two captured arrays, and a third inside a scan body
        def step(c: Any, a: Any) -> Any:
            return c + a * w[0, 1] + np.ones(3), c

        carry, _ = fluxion.lax.scan(step, x, fnp.stack([x, x]))
        return fnp.sum(fnp.tanh(w @ x) * weights) + fnp.sum(carry)

    jitted = fluxion.jit(f)
    x = np.linspace(0.1, 0.3, 3)
    dx = fd.put(x)
    before = dict(fd.TRANSFERS)
    first = jitted(dx)
    moved = fd.TRANSFERS["to_device"] - before["to_device"]
    assert moved == 3, f"expected the 3 captured arrays copied once, got {moved} copies"
    second = jitted(dx)
    assert fd.TRANSFERS["to_device"] - before["to_device"] == moved, "a call copied constants"
    assert fd.TRANSFERS["to_host"] == before["to_host"], "device data went to the host"
    _assert_same(first, f(x), "first call")
    _assert_same(second, f(x), "second call")
    # the compiled module holds no host array: the constants live on the device
    code = jitted._cache[next(iter(jitted._cache))].specs[0].code
    assert not [k for k, v in code.namespace.items() if type(v) is np.ndarray]


def test_loops_with_captured_constants_under_jit_on_device() -> None:
    # while_loop runs its impl (lax._while_impl) inside the device form: its bodies get their
    # own device forms, constants copied once; scan and fori_loop lower to loops in the source
    w = np.array([0.5, 0.25, 0.125])

    def by_while(x: Any) -> Any:
        def body(c: Any) -> Any:
            return c[0] * w + np.ones(3), c[1] + 1

        return fluxion.lax.while_loop(lambda c: c[1] < 3, body, (x, 0))[0]

    def by_scan(x: Any) -> Any:
        carry, ys = fluxion.lax.scan(lambda c, a: (c * w + a, fnp.sum(c)), x, fnp.stack([x, x]))
        return fnp.sum(carry) + fnp.sum(ys)

    x = np.linspace(0.1, 0.3, 3)
    for what, fn in [("while_loop", by_while), ("scan", by_scan),
                     ("grad of scan", fluxion.grad(by_scan))]:
        jitted = fluxion.jit(fn)
        want = jitted(x)
        _assert_same(jitted(fd.put(x)), want, what)
        before = dict(fd.TRANSFERS)
        _assert_same(jitted(fd.put(x)), want, f"{what} again")
        assert fd.TRANSFERS["to_device"] == before["to_device"], f"{what}: constants moved"
        assert fd.TRANSFERS["to_host"] == before["to_host"]


def test_tier1_is_host_only_and_device_calls_stay_on_the_device() -> None:
    args = line_data()
    f = fluxion.jit(chi2, tier=1)
    before = fd.TRANSFERS["to_host"]
    out = f(*fd.put(args))
    assert type(out) is FakeArray
    assert fd.TRANSFERS["to_host"] == before
    info = f.tier_info()
    assert len(info) == 1 and "tier 0" in info[0] and "numba) compiles for the host" in info[0]
    # hot calls do not promote a device specialization either
    for _ in range(fluxion.config.jit_hot_calls + 2):
        f(*fd.put(args))
    assert f.tier == 0


def test_mixed_host_and_device_arguments_are_refused() -> None:
    f = fluxion.jit(chi2)
    theta, x, y, sigma = line_data()
    with pytest.raises(DeviceError, match=r"jit\(chi2\): expected arrays on one device.*"
                                          r"device_put"):
        f(fd.put(theta), x, fd.put(y), fd.put(sigma))


# --------------------------------------------------------------------------------------------
# transforms over and under jit
# --------------------------------------------------------------------------------------------


def test_grad_vmap_over_and_under_jit_on_device() -> None:
    theta, x, y, sigma = line_data()
    jchi2 = fluxion.jit(chi2)
    cases = [
        ("grad(jit)", fluxion.grad(jchi2), (theta, x, y, sigma)),
        ("value_and_grad(jit)", fluxion.value_and_grad(jchi2), (theta, x, y, sigma)),
        ("jit(grad) wrt data", fluxion.jit(fluxion.grad(chi2, argnums=1)), (theta, x, y, sigma)),
        ("hessian(jit)", fluxion.hessian(jchi2), (theta, x, y, sigma)),
        ("jvp(jit)", lambda t: fluxion.jvp(fluxion.jit(fnp.sin), (t,), (fnp.cos(t),)), (x,)),
        ("vmap(jit)", fluxion.vmap(fluxion.jit(lambda t: fnp.exp(t) @ t)), (x.reshape(5, 10),)),
        ("jit(vmap(grad))",
         fluxion.jit(fluxion.vmap(fluxion.grad(lambda t: fnp.sum(fnp.tanh(t) ** 2)))),
         (x.reshape(10, 5),)),
    ]
    for what, f, args in cases:
        _assert_same(f(*fd.put(args)), f(*args), what)


def test_grad_of_jit_after_a_host_call_runs_the_device_form() -> None:
    # under grad (every argument traced) the cache key sees tracers only: the host call's
    # entry serves the device call through its sibling for the device (the same graph,
    # compiled for the device once)
    theta, x, y, sigma = line_data()
    f = fluxion.jit(chi2)
    g = fluxion.grad(f, argnums=(0, 1, 2, 3))
    want = g(theta, x, y, sigma)
    traces = f.trace_count
    got = g(*fd.put((theta, x, y, sigma)))
    _assert_same(got, want, "grad(jit) after a host call")
    assert f.trace_count == traces, "the device run re-traced the function"
    _assert_same(g(*fd.put((theta, x, y, sigma))), want, "grad(jit) again")


def test_python_branch_guards_on_device() -> None:
    def f(x: Any) -> Any:
        if fnp.sum(x) > 0:  # a guard: a new outcome traces a second specialization
            return fnp.sin(x)
        return fnp.cos(x)

    jitted = fluxion.jit(f)
    pos, neg = np.array([0.5, 1.0]), np.array([-0.5, -1.0])
    _assert_same(jitted(fd.put(pos)), np.sin(pos), "positive branch")
    with pytest.warns(UserWarning, match="took a new path"):
        _assert_same(jitted(fd.put(neg)), np.cos(neg), "negative branch")
    _assert_same(jitted(fd.put(pos)), np.sin(pos), "positive branch again")
    assert jitted.trace_count == 2


# --------------------------------------------------------------------------------------------
# the lowering table
# --------------------------------------------------------------------------------------------


def test_cupy_backend_lowers_through_the_device_form_or_says_why() -> None:
    from fluxion._src.prims.elementwise import sin_p

    assert lowering.status("cupy", sin_p) == (True, lowering.DEVICE_IMPL_CALL)
    assert lowering.lowering("cupy", "getitem") is lowering.lowering("numpy", "getitem")
    for name in ("expm", "lfilter", "hyp2f1", "eig", "quad"):
        assert "host" in (lowering.reason("cupy", name) or "") or "CuPy" in lowering.reason(
            "cupy", name
        ), name


def test_host_only_primitive_under_jit_names_itself() -> None:
    import fluxion.scipy.linalg as sla

    f = fluxion.jit(lambda a: sla.expm(a) * 2.0)
    with pytest.raises(DeviceError, match=r"expm.*device_put"):
        f(fd.put(np.eye(2)))


# --------------------------------------------------------------------------------------------
# the op table under jit on the device
# --------------------------------------------------------------------------------------------

_NOT_DEVICE_READY = {name for _, _, names in FAMILIES.values() for name in names}

# Rows the eager device sweep runs but jit on the device does not yet, with the reason. (None
# today: the list is the place for one, and a row that starts passing must leave it.)
JIT_DEVICE_XFAIL: dict[str, str] = {}


def _array_leaves(args: tuple) -> bool:
    return any(isinstance(a, np.ndarray | np.generic) for a in tree_flatten(args)[0])


# the rows the seam's eager sweep runs on the device and the host jit column runs
_ROWS = [
    r
    for r in ROWS
    if r.name not in _NOT_DEVICE_READY
    and applicable(r, "jit")
    and xfail_reason(r, "jit") is None
    and _array_leaves(make_args(r))
]
_CHUNK = 100
_CHUNKS = [_ROWS[i : i + _CHUNK] for i in range(0, len(_ROWS), _CHUNK)]


def _jit_row(row: Any, put: Any, array_type: type, to_host: Any) -> str | None:
    """The row, and for a differentiable row the gradient of the sum of its float outputs,
    under jit (tier 0) on device inputs equal eager NumPy; the failure, or None."""
    args = make_args(row)
    try:
        for what, fn, fargs in _backend_graphs(row, args):
            with np.errstate(all="ignore"):  # the rows' domains include edges (inf, nan)
                want = fn(*fargs)
                got = fluxion.jit(fn, tier=0)(*put(fargs))
            _assert_same(got, want, f"{row.name}: jit {what} on the device", array_type, to_host)
    except Exception as err:  # noqa: BLE001 - every row's failure is collected
        if row.name in JIT_DEVICE_XFAIL:
            return None
        return f"{row.name}: {type(err).__name__}: {str(err)[:300]}"
    if row.name in JIT_DEVICE_XFAIL:
        return f"{row.name}: passes now; take it off JIT_DEVICE_XFAIL"
    return None


@pytest.mark.parametrize("rows", _CHUNKS, ids=[f"{c[0].name}..{c[-1].name}" for c in _CHUNKS])
def test_op_table_rows_under_jit_on_device(rows: list) -> None:
    failures = [f for f in (_jit_row(r, fd.put, FakeArray, fd.get) for r in rows) if f]
    assert not failures, f"{len(failures)} of {len(rows)} rows:\n" + "\n".join(failures)


def test_device_jit_row_count() -> None:
    """The coverage summary (printed with -s)."""
    print(
        f"\n{len(_ROWS) - len(JIT_DEVICE_XFAIL)} of {len(_ROWS)} device-ready op-table rows run "
        f"under jit on the fake device ({len(JIT_DEVICE_XFAIL)} listed with a reason)"
    )
    assert not [n for n in JIT_DEVICE_XFAIL if n not in {r.name for r in _ROWS}]


# --------------------------------------------------------------------------------------------
# real CuPy (skips cleanly without it)
# --------------------------------------------------------------------------------------------


@pytest.mark.skipif(not cupy_usable(), reason="needs CuPy and a GPU")
def test_jit_on_cupy() -> None:
    """The seed line fit and the op-table sweep under jit on real cupy.ndarray inputs."""
    import cupy

    def put(x: Any) -> Any:
        from fluxion._src.tree_util import tree_unflatten

        leaves, tree = tree_flatten(x)
        moved = [cupy.asarray(v) if isinstance(v, np.ndarray | np.generic) else v for v in leaves]
        return tree_unflatten(tree, moved)

    args = line_data()
    f = fluxion.jit(fluxion.value_and_grad(chi2))
    want = fluxion.value_and_grad(chi2)(*args)
    _assert_same(f(*put(args)), want, "line fit on CuPy", cupy.ndarray, cupy.asnumpy)
    assert f.trace_count == 1
    failures = [f for f in (_jit_row(r, put, cupy.ndarray, cupy.asnumpy) for r in _ROWS) if f]
    assert not failures, f"{len(failures)} rows differ on CuPy:\n" + "\n".join(failures)


# --------------------------------------------------------------------------------------------
# fused ElementwiseKernel sources (codegen/cupy_elementwise.py): the text, and the operation
# compiled as C on the host against NumPy (the kernels themselves need a GPU to run)
# --------------------------------------------------------------------------------------------

_C_PRELUDE = "#include <math.h>\n#include <stdbool.h>\n"


def _compile_c(source: str, tmp_path: Any) -> Any:
    import ctypes
    import shutil
    import subprocess

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to check the kernel operations on the host")
    c_file, lib = tmp_path / "kernels.c", tmp_path / "kernels.so"
    c_file.write_text(_C_PRELUDE + source)
    # no -ffast-math: IEEE semantics, as CUDA's default for ElementwiseKernel
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-o", str(lib), str(c_file), "-lm"],
                   check=True, capture_output=True)
    return ctypes.CDLL(str(lib))


def _c_loop(name: str, n_in: int, n_out: int, operation: str) -> str:
    """A host loop around a kernel operation: element i of each input in, outputs out."""
    params = [f"const double *p_in{i}" for i in range(n_in)]
    params += [f"double *p_out{i}" for i in range(n_out)]
    body = [f"    const double in{i} = p_in{i}[k];" for i in range(n_in)]
    body += [f"    double out{i};" for i in range(n_out)]
    body += ["    " + line for line in operation.splitlines()]
    body += [f"    p_out{i}[k] = out{i};" for i in range(n_out)]
    return (f"void {name}(long n, {', '.join(params)}) {{\n  for (long k = 0; k < n; ++k) {{\n"
            + "\n".join(body) + "\n  }\n}\n")


def _call_c(fn: Any, inputs: list, n_out: int) -> list:
    import ctypes

    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in np.broadcast_arrays(*inputs)]
    outs = [np.empty(arrays[0].shape) for _ in range(n_out)]
    ptr = ctypes.POINTER(ctypes.c_double)
    fn(ctypes.c_long(arrays[0].size), *[a.ctypes.data_as(ptr) for a in arrays + outs])
    return outs


def test_line_fit_residual_cluster_kernel_source() -> None:
    from fluxion._src.codegen import cupy_elementwise as ce

    args = line_data()
    graph = fluxion.jit(chi2).lower(*args).graph
    clusters = ce.elementwise_clusters(graph)
    assert len(clusters) == 1 and [e.prim.name for e in clusters[0]] == [
        "multiply", "add", "subtract", "true_divide", "multiply"
    ]
    kernel = ce.cluster_kernel(graph, clusters[0], "chi2_residual")
    assert kernel.arguments() == (
        "float64 in0, float64 in1, float64 in2, float64 in3, float64 in4",
        "float64 out0",
        "double t0 = (in0 * in1);\n"
        "double t1 = (t0 + in2);\n"
        "double t2 = (in3 - t1);\n"
        "double t3 = (t2 / in4);\n"
        "double t4 = (t3 * t3);\n"
        "out0 = t4;",
        "chi2_residual",
    )
    # the kernel's output is the one value the rest of the graph (the sum) reads
    assert kernel.outputs == [clusters[0][-1].outs[0]]


def test_cluster_kernel_operation_runs_as_c_on_the_host(tmp_path: Any) -> None:
    from fluxion._src.codegen import cupy_elementwise as ce

    def f(x: Any, y: Any) -> Any:
        z = fnp.tanh(x) * fnp.exp(-y) + fnp.maximum(x, 0.5) ** 2
        return fnp.sum(fnp.log1p(z * z) - fnp.sqrt(fnp.abs(y)) * 3)

    x = np.linspace(-2.0, 2.0, 7)
    y = np.linspace(0.5, 1.5, 7)
    x[3] = np.nan  # maximum propagates NaN like NumPy's
    graph = fluxion.jit(f).lower(x, y).graph
    (cluster,) = ce.elementwise_clusters(graph)
    kernel = ce.cluster_kernel(graph, cluster, "fused")
    lib = _compile_c(_c_loop("fused", len(kernel.inputs), len(kernel.outputs),
                             kernel.operation), tmp_path)
    values = {id(graph.in_vars[0]): x, id(graph.in_vars[1]): y}
    (got,) = _call_c(lib.fused, [values[id(v)] for v in kernel.inputs], 1)
    # the cluster's result computed by NumPy: the tier-0 form of the graph up to that value
    want_total = f(x, y)
    with np.errstate(all="ignore"):
        z = np.tanh(x) * np.exp(-y) + np.maximum(x, 0.5) ** 2
        want = np.log1p(z * z) - np.sqrt(np.abs(y)) * 3
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    assert np.isnan(want_total)


def test_every_c_formula_matches_numpy_on_the_host(tmp_path: Any) -> None:
    """Each elementwise primitive's C spelling, compiled on the host, gives NumPy's values
    (NaN, infinities and signed zeros among the inputs); the others state why not."""
    from fluxion._src.codegen import cupy_elementwise as ce
    from fluxion._src.prims.elementwise import UFUNC_OF

    prims = lowering.elementwise_primitives()
    spelled = [p for p in prims if ce.c_formula(p) is not None and p in UFUNC_OF]
    for p in prims:
        assert ce.c_formula(p) is not None or ce.c_formula_reason(p), p.name
    assert len(spelled) >= 50
    source = ""
    for p in spelled:
        n = lowering.arity(p)
        operation = "out0 = " + ce.c_formula(p).format(*[f"in{i}" for i in range(n)]) + ";"
        source += _c_loop(f"k_{p.name}", n, 1, operation)
    lib = _compile_c(source, tmp_path)
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0]
    base = np.concatenate([np.linspace(-3.0, 3.0, 13), np.linspace(-0.95, 0.95, 7), specials])
    mismatches = []
    for p in spelled:
        n = lowering.arity(p)
        grids = np.meshgrid(*[base] * n, indexing="ij")
        with np.errstate(all="ignore"):
            want = np.asarray(UFUNC_OF[p](*grids), dtype=np.float64)
        (got,) = _call_c(getattr(lib, f"k_{p.name}"), grids, 1)
        same = (got == want) | (np.isnan(got) & np.isnan(want))
        close = np.isclose(got, want, rtol=4e-16 * 4, atol=0)  # libm's last-bit differences
        if not np.all(same | close):
            bad = np.argwhere(~(same | close))[0]
            mismatches.append(f"{p.name}{tuple(g[tuple(bad)] for g in grids)}: "
                              f"C {got[tuple(bad)]!r}, NumPy {want[tuple(bad)]!r}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.skipif(not cupy_usable(), reason="needs CuPy and a GPU")
def test_fused_kernel_on_cupy() -> None:
    """The line fit's residual cluster as one cupy.ElementwiseKernel equals NumPy."""
    import cupy

    from fluxion._src.codegen import cupy_elementwise as ce

    args = line_data()
    graph = fluxion.jit(chi2).lower(*args).graph
    (cluster,) = ce.elementwise_clusters(graph)
    kernel = ce.build_kernel(ce.cluster_kernel(graph, cluster, "chi2_residual"))
    theta, x, y, sigma = args
    got = kernel(cupy.float64(theta[0]), cupy.asarray(x), cupy.float64(theta[1]),
                 cupy.asarray(y), cupy.asarray(sigma))
    want = ((y - (theta[0] * x + theta[1])) / sigma) ** 2
    np.testing.assert_allclose(cupy.asnumpy(got), want, rtol=1e-14)
