"""The backend seam, checked on the CPU with a CuPy-like fake device (tests/_fakedevice.py).

``namespace_of``/``device_of``/``device_put`` and their errors; the seed line fit, ``grad``,
``vmap``, ``hessian`` and the Jacobians on device arrays (values equal NumPy's, results stay on
the device); every op-table row with array inputs run on the device (eager value and reverse-mode
derivative against NumPy to 1e-12), except the families of ``tests/_device_expectations.py``,
each with its reason; host-only functions (SciPy routines) refuse device arrays with a
``DeviceError`` that names them and the fix. The last test repeats the row sweep on real CuPy
arrays and skips cleanly without CuPy (the GPU session runs it).
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import _fakedevice as fd
import numpy as np
import pytest
from _device_expectations import FAMILIES
from _fakedevice import chi2, cupy_usable, line_data
from optable import _restrict, make_args
from test_op_table import ROWS

import fluxion
import fluxion.numpy as fnp
from fluxion import DeviceError
from fluxion._src import backend
from fluxion._src.tree_util import tree_flatten, tree_unflatten

fd.install()

RTOL, ATOL = 1e-12, 1e-14
FakeArray = fd.FakeArray


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _assert_same(got: Any, want: Any, what: str, array_type: type, to_host: Any) -> None:
    """``got`` (device run) equals ``want`` (NumPy run) leaf by leaf, and every array leaf of
    ``want`` is a device array in ``got`` (results stay on the device)."""
    got_leaves, got_tree = tree_flatten(got)
    want_leaves, want_tree = tree_flatten(want)
    assert got_tree == want_tree, f"{what}: structure {got_tree} != {want_tree}"
    for g, w in zip(got_leaves, want_leaves):
        if isinstance(w, np.ndarray | np.generic):
            assert type(g) is array_type, f"{what}: a result left the device ({type(g)})"
            g = to_host(g)
            assert g.dtype == np.asarray(w).dtype, f"{what}: dtype {g.dtype} != {w.dtype}"
            assert g.shape == np.shape(w), f"{what}: shape {g.shape} != {np.shape(w)}"
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=what)


def _on_device(x: Any) -> Any:
    """Every NumPy array or scalar leaf of a row's arguments on the fake device."""
    return fd.put(x)


def _has_device_inputs(args: tuple) -> bool:
    return any(isinstance(a, np.ndarray | np.generic) for a in tree_flatten(args)[0])


def _cotangents(out: Any, rng: np.random.Generator) -> list | None:
    """Random cotangents for the float outputs (None: an output has no derivative)."""
    cts = []
    for o in tree_flatten(out)[0]:
        dtype = np.result_type(o)
        if dtype.kind not in "fc":
            return None
        ct = rng.standard_normal(np.shape(o))
        if dtype.kind == "c":
            ct = ct + 1j * rng.standard_normal(np.shape(o))
        cts.append(np.asarray(ct, dtype=dtype))
    return cts


def _run_row(row: Any, put: Any, array_type: type, to_host: Any) -> None:
    """The row's eager value and, for a differentiable row, its VJP on device inputs equal the
    NumPy run."""
    args = make_args(row)
    want = row.fn(*args)
    _assert_same(row.fn(*put(args)), want, f"{row.name}: value", array_type, to_host)
    if row.nondiff or "rev" not in row.modes:
        return
    restricted, float_args = _restrict(row.fn, args)
    if not float_args:
        return
    out, pullback = fluxion.vjp(restricted, *float_args)
    cts = _cotangents(out, np.random.default_rng(0))
    if cts is None:
        return
    tree = tree_flatten(out)[1]
    want_grads = pullback(tree_unflatten(tree, cts))
    dev_out, dev_pullback = fluxion.vjp(restricted, *put(float_args))
    _assert_same(dev_out, out, f"{row.name}: vjp value", array_type, to_host)
    got_grads = dev_pullback(tree_unflatten(tree, [put(c) for c in cts]))
    _assert_same(got_grads, want_grads, f"{row.name}: vjp", array_type, to_host)


_EXPECTED = {}
for _family, (_kind, _reason, _names) in FAMILIES.items():
    for _name in _names:
        _EXPECTED[_name] = (_kind, f"{_family}: {_reason}")


def _device_rows() -> list:
    """The op-table rows with an array among their inputs (creation rows have none)."""
    return [row for row in ROWS if _has_device_inputs(make_args(row))]


_DEVICE_ROWS = _device_rows()
# rows per test: one pytest item per row costs more than the row itself (~2000 rows)
_CHUNK = 60
_CHUNKS = [_DEVICE_ROWS[i : i + _CHUNK] for i in range(0, len(_DEVICE_ROWS), _CHUNK)]


def _check_row(row: Any, put: Any, array_type: type, to_host: Any) -> str | None:
    """Run one row as its family expects; the failure as a line, or None."""
    kind, reason = _EXPECTED.get(row.name, (None, None))
    try:
        _run_row(row, put, array_type, to_host)
    except DeviceError as err:
        if kind == "refused" and "device_put" in str(err):
            return None
        return f"{row.name}: DeviceError: {err}"
    except Exception as err:  # noqa: BLE001 - every row's failure is collected
        if kind == "xfail":
            return None  # a known, stated defect (strict: passing is reported below)
        return f"{row.name}: {type(err).__name__}: {str(err)[:300]}"
    if kind == "refused":
        return f"{row.name}: ran on the device, but is listed as refused ({reason})"
    if kind == "xfail":
        return f"{row.name}: runs on the device now; take it off _device_expectations ({reason})"
    return None


# --------------------------------------------------------------------------------------------
# namespace_of, device_of, device_put
# --------------------------------------------------------------------------------------------


def test_namespace_of_host_values_is_numpy() -> None:
    assert fluxion.namespace_of(np.ones(3)) is np
    assert fluxion.namespace_of(2.0, 3, True, 1j, np.float32(1.0)) is np
    assert fluxion.namespace_of() is np


def test_namespace_of_device_arrays_and_scalars() -> None:
    x = fd.put(np.ones(3))
    assert fluxion.namespace_of(x) is fd.xp
    assert fluxion.namespace_of(x, 2.0, np.float64(3.0)) is fd.xp  # scalars go anywhere
    assert fluxion.device_of(x) == "fake"
    assert fluxion.device_of({"a": x, "b": 1.0}) == "fake"
    assert fluxion.device_of(np.ones(2)) == "cpu" and fluxion.device_of(1.0) == "cpu"


def test_namespace_of_a_tracer_is_its_values() -> None:
    seen = []

    def f(x: Any) -> Any:
        seen.append(fluxion.namespace_of(x))
        return fnp.sum(x * x)

    fluxion.grad(f)(fd.put(np.ones(2)))
    fluxion.grad(f)(np.ones(2))
    assert seen == [fd.xp, np]


def test_mixed_devices_name_both() -> None:
    host, dev = np.ones(3), fd.put(np.ones(2))
    with pytest.raises(DeviceError, match=r"numpy\.ndarray of shape \(3,\) on 'cpu'.*FakeArray"):
        fluxion.namespace_of(host, dev)
    with pytest.raises(DeviceError, match="device_of"):
        fluxion.device_of([host, dev])


def test_device_put_round_trip_of_a_pytree() -> None:
    tree = {"w": np.arange(3.0), "b": np.float32(0.5), "n": (np.arange(2), 2.0)}
    on = fluxion.device_put(tree, "fake")
    assert type(on["w"]) is FakeArray and type(on["n"][0]) is FakeArray
    assert type(on["b"]) is FakeArray and on["b"].dtype == np.float32
    assert fluxion.device_put(on, "fake")["w"] is on["w"]  # already there: not copied
    back = fluxion.device_put(on, "cpu")
    assert type(back["w"]) is np.ndarray and back["n"][1] == 2.0
    np.testing.assert_array_equal(back["w"], tree["w"])
    assert back["b"].dtype == np.float32


def test_device_put_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown device 'tpu'; expected one of 'cpu', 'gpu'"):
        fluxion.device_put(np.ones(2), "tpu")
    with pytest.raises(TypeError, match="expected a device name"):
        fluxion.device_put(np.ones(2), 0)

    def inside(x: Any) -> Any:
        fluxion.device_put(x, "fake")
        return fnp.sum(x)

    with pytest.raises(DeviceError, match="traced value"):
        fluxion.grad(inside)(np.ones(2))


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_device_put_gpu_without_cupy_names_the_install() -> None:
    with pytest.raises(RuntimeError, match=r"needs CuPy.*pip install fluxion\[gpu\].*cupy-cuda12x"):
        fluxion.device_put(np.ones(2), "gpu")


def test_register_array_namespace_checks() -> None:
    with pytest.raises(ValueError, match="'cpu'"):
        fluxion.register_array_namespace(FakeArray, fd.xp, "cpu")
    with pytest.raises(TypeError, match="asnumpy"):
        fluxion.register_array_namespace(FakeArray, np, "other")
    with pytest.raises(ValueError, match="already taken"):
        fluxion.register_array_namespace(dict, fd.xp, "fake")


def test_the_fake_device_is_strict_like_cupy() -> None:
    x = fd.put(np.ones(3))
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.asarray(x)
    with pytest.raises(TypeError, match="Unsupported type"):
        x + np.ones(3)
    assert type(np.sin(x)) is FakeArray and type(x.sum()) is FakeArray
    assert type(np.concatenate([x, x])) is FakeArray


# --------------------------------------------------------------------------------------------
# transforms on device arrays
# --------------------------------------------------------------------------------------------


def test_seed_line_fit_value_and_gradient_on_device() -> None:
    args = line_data()
    value, grad = fluxion.value_and_grad(chi2)(*args)
    dev_value, dev_grad = fluxion.value_and_grad(chi2)(*fd.put(args))
    _assert_same((dev_value, dev_grad), (value, grad), "line fit", FakeArray, fd.get)


def test_grad_vmap_hessian_jacobians_on_device() -> None:
    theta, x, y, sigma = line_data()
    dx, dtheta = fd.put(x), fd.put(theta)
    dy, dsigma = fd.put(y), fd.put(sigma)
    cases = [
        ("grad wrt data", fluxion.grad(chi2, argnums=1), (theta, x, y, sigma)),
        ("hessian", fluxion.hessian(chi2), (theta, x, y, sigma)),
        ("jacfwd", fluxion.jacfwd(lambda t: fnp.sin(t) * t[::-1]), (theta,)),
        ("jacrev", fluxion.jacrev(lambda t: fnp.sin(t) * t[::-1]), (theta,)),
        ("vmap", fluxion.vmap(lambda t: fnp.exp(t) @ t), (x.reshape(5, 10),)),
        (
            "vmap of grad",
            fluxion.vmap(fluxion.grad(lambda t: fnp.sum(fnp.tanh(t) ** 2))),
            (x.reshape(10, 5),),
        ),
        ("grad of grad", fluxion.grad(fluxion.grad(lambda s: fnp.sin(s) * s)), (x[3],)),
    ]
    for what, f, args in cases:
        _assert_same(f(*fd.put(args)), f(*args), what, FakeArray, fd.get)
    assert type(fluxion.grad(chi2)(dtheta, dx, dy, dsigma)) is FakeArray


def test_host_constants_in_fluxion_ops_follow_the_device() -> None:
    # np.eye(2) is a host constant: fluxion's ops move it to the device of the other operand
    # (as JAX commits constants); device data never moves to the host
    x = fd.put(np.arange(4.0).reshape(2, 2))
    out = fnp.add(x, np.eye(2))
    assert type(out) is FakeArray
    np.testing.assert_array_equal(fd.get(out), np.arange(4.0).reshape(2, 2) + np.eye(2))


def test_jit_refuses_mixed_host_and_device_arrays_clearly() -> None:
    # jit runs device arrays (tests/test_device_jit.py), but never moves one to the host
    f = fluxion.jit(lambda x, y: fnp.sum(fnp.sin(x) * y))
    with pytest.raises(DeviceError, match=r"jit\(<lambda>\): expected arrays on one device"):
        f(np.ones(3), fd.put(np.ones(3)))


def test_host_only_functions_name_themselves() -> None:
    import fluxion.scipy.linalg as sla
    import fluxion.scipy.signal as sig

    a = fd.put(np.eye(2))
    with pytest.raises(DeviceError, match=r"expm: cannot run on device 'fake'.*device_put"):
        sla.expm(a)
    with pytest.raises(DeviceError, match="lfilter"):
        sig.lfilter(np.ones(2), np.ones(1), fd.put(np.ones(4)))


# --------------------------------------------------------------------------------------------
# the op table on the device
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", _CHUNKS, ids=[f"{c[0].name}..{c[-1].name}" for c in _CHUNKS])
def test_op_table_rows_on_device(rows: list) -> None:
    """Each row: value and VJP on fake-device inputs equal NumPy's to 1e-12 and stay on the
    device; a "refused" row raises a DeviceError naming the fix; an "xfail" row still fails."""
    failures = [f for f in (_check_row(row, fd.put, FakeArray, fd.get) for row in rows) if f]
    assert not failures, "\n".join(failures)


def test_expectations_name_real_rows() -> None:
    names = {row.name for row in ROWS}
    stale = sorted(n for n in _EXPECTED if n not in names)
    assert not stale, f"_device_expectations names rows that do not exist: {stale}"
    assert len(_EXPECTED) == sum(len(f[2]) for f in FAMILIES.values()), "a row in two families"


def test_device_row_counts() -> None:
    """The coverage summary (printed with -s): how many rows run on the device."""
    counts = {"run": 0, "refused": 0, "xfail": 0}
    for row in _DEVICE_ROWS:
        kind, _ = _EXPECTED.get(row.name, ("run", None))
        counts[kind] += 1
    total = len(_DEVICE_ROWS)
    print(
        f"\n{counts['run']} of {total} op-table rows with array inputs run on the fake device "
        f"({counts['refused']} refused with a DeviceError, {counts['xfail']} not device-ready; "
        f"{len(ROWS) - total} rows have no array input)"
    )
    assert counts["run"] > 0.75 * total


# --------------------------------------------------------------------------------------------
# real CuPy (skips cleanly without it)
# --------------------------------------------------------------------------------------------


@pytest.mark.skipif(not cupy_usable(), reason="needs CuPy and a GPU")
def test_op_table_rows_on_cupy() -> None:
    """The fake device's sweep on real cupy.ndarray inputs: every row the fake device runs must
    run on CuPy too (values to 1e-12 against NumPy, results on the GPU), and the refused rows
    must refuse with a DeviceError. Rows CuPy differs on are listed in one failure message."""
    import cupy

    def put(x: Any) -> Any:
        leaves, tree = tree_flatten(x)
        moved = [cupy.asarray(v) if isinstance(v, np.ndarray | np.generic) else v for v in leaves]
        return tree_unflatten(tree, moved)

    failures = [
        f for f in (_check_row(row, put, cupy.ndarray, cupy.asnumpy) for row in _DEVICE_ROWS) if f
    ]
    assert not failures, f"{len(failures)} rows differ on CuPy:\n" + "\n".join(failures)


def test_no_gpu_names_leak_into_host_errors() -> None:
    # a host-only failure stays the original error when no device array is involved
    with pytest.raises(ValueError, match=re.escape("expm")):
        import fluxion.scipy.linalg as sla

        sla.expm(np.ones((2, 3)))
    assert backend.is_host(np.ones(2), 1.0)
