"""The op table: one row per (primitive, shape case), and the checks every row goes through.

A row (:class:`OpCase`) names a fluxion function, a NumPy/SciPy reference, an input maker and the
primitives it covers. ``tests/test_op_table.py`` collects ``ROWS`` from every
``tests/optable/rows_*.py`` module and runs each row through the checks defined here:

- ``impl``: the result equals the reference (values, shape, dtype), both eagerly and with every
  operation bound as a primitive (under a pass-through trace, so wrappers that call NumPy
  directly on the eager path are checked on their primitive path too);
- ``shape_rule``: every call of a covered primitive returns what its ``abstract_eval`` predicts;
- ``jvp``: forward mode against central differences (:func:`fluxion.test_util.check_jvp`);
- ``vjp``: ``<u, jvp(v)> == <vjp(u), v>`` (:func:`fluxion.test_util.check_vjp`);
- ``higher_order``: :func:`fluxion.test_util.check_grads` with the row's ``order``;
- for ``nondiff`` rows, ``jvp`` and ``vjp`` instead assert derivatives that are exactly zero.

Derivatives are taken with respect to the floating-point arguments of ``fn``; integer and
boolean arguments (index arrays, masks) are held fixed.

The batching columns compare :func:`fluxion.vmap` of the row's function with a Python loop over
three independently drawn inputs (the row's ``make_args`` with three seeds), stacked:

- ``vmap_axis0``: every array input mapped along axis 0, results stacked along axis 0;
- ``vmap_axis1``: inputs of rank >= 1 mapped along axis 1 (0-d inputs along axis 0), results
  stacked along the last axis (``out_axes=-1``);
- ``vmap_none``: a mix of mapped and unmapped (``in_axes=None``) inputs, both ways round for
  rows with several inputs (every input unmapped, with ``axis_size``, for one-input rows).

Python scalars among the inputs stay unmapped (a stacked scalar would be a strong-typed array).
A row opts out of a column only where it is truly inapplicable, with the reason in
``OpCase.inapplicable``.
"""

from __future__ import annotations

import dataclasses
import functools
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

import fluxion
from fluxion._src import core
from fluxion._src.batching import vmap
from fluxion._src.core import Primitive, Trace, aval_of, bind_at, new_trace
from fluxion._src.tree_util import tree_flatten
from fluxion.test_util import check_grads, check_jvp, check_vjp

__all__ = ["OpCase", "CHECKS", "applicable", "run_check"]


@dataclasses.dataclass
class OpCase:
    """One row of the op table.

    ``xfail`` marks a known, reported defect: a string applies to every check of the row; a dict
    maps check names (``impl``, ``shape_rule``, ``jvp``, ``vjp``, ``higher_order``) to reasons.
    The marks are strict, so a fix makes the test fail until the mark is removed.
    """

    name: str  # test id
    fn: Callable  # fluxion function, called as fn(*args)
    ref: Callable | None  # NumPy/SciPy reference with the same args (None: skip)
    make_args: Callable[[np.random.Generator], tuple]  # inputs inside the smooth domain
    prims: tuple = ()  # Primitive objects this row covers
    order: int = 2
    modes: tuple = ("fwd", "rev")
    rtol: float = 1e-6  # for the impl-vs-ref comparison
    atol: float = 1e-6
    nondiff: bool = False  # derivative is identically zero (comparisons, floor...)
    xfail: str | dict[str, str] | None = None
    # check name -> why the check cannot apply to this row (the check is then not generated)
    inapplicable: dict[str, str] = dataclasses.field(default_factory=dict)
    # checks of this row that take tens of seconds (a traced root-finding loop of a quantile,
    # a SciPy reference that integrates numerically): marked slow, run with -m slow
    slow: tuple = ()


VMAP_CHECKS = ("vmap_axis0", "vmap_axis1", "vmap_none")
# one column per backend of codegen/lowering.py: tier 0 ("jit"), tier 1, the tape machine, CuPy
BACKEND_CHECKS = ("jit", "tier1", "tape", "cupy")
CHECKS = ("impl", "shape_rule", "jvp", "vjp", "higher_order") + VMAP_CHECKS + BACKEND_CHECKS


def applicable(row: OpCase, check: str) -> bool:
    """Whether ``check`` applies to ``row`` (inapplicable pairs are not generated at all)."""
    if check in row.inapplicable:
        return False
    if check in VMAP_CHECKS or check in BACKEND_CHECKS:
        return True
    if check == "impl":
        return row.ref is not None
    if check == "shape_rule":
        return bool(row.prims)
    if not _has_float_args(row):
        return False
    if check == "jvp":
        return row.nondiff or "fwd" in row.modes
    if check == "vjp":
        return row.nondiff or "rev" in row.modes
    if check == "higher_order":
        return not row.nondiff and row.order >= 2 and bool(row.modes)
    raise ValueError(f"unknown check {check!r}")


# Defects of tier 1 that predate its op-table column (found by it; strict xfails, so a fix
# shows): float32 arithmetic with Python scalars is promoted to float64 by numba, int arrays
# times float32 stay float32.
_F32_PROMOTION = "tier 1: numba promotes float32 with a weak Python scalar to float64"
KNOWN_TIER1_DEFECTS = {
    "sqrt-f32-(3,)": _F32_PROMOTION,
    "tanh-f32-(3,)": _F32_PROMOTION,
    "add-f32-pyscalar": _F32_PROMOTION,
    "divide-f32-pyscalar": _F32_PROMOTION,
    "power-f32-(3,)-pyscalar": _F32_PROMOTION,
    "where-pyscalar-branch": _F32_PROMOTION,
    "custom_jvp-f32": _F32_PROMOTION,
    "multiply-f32-by-int-array": "tier 1: numba keeps float32 for float32 * int64 (NumPy: float64)",
}


def xfail_reason(row: OpCase, check: str) -> str | None:
    if check == "tier1" and row.name in KNOWN_TIER1_DEFECTS:
        return KNOWN_TIER1_DEFECTS[row.name]
    if row.xfail is None:
        return None
    if isinstance(row.xfail, str):
        return row.xfail
    return row.xfail.get(check)


def make_args(row: OpCase) -> tuple:
    """The row's inputs, from a generator seeded by the row's name (reproducible per row)."""
    args = row.make_args(np.random.default_rng(zlib.crc32(row.name.encode())))
    if not isinstance(args, tuple):
        raise TypeError(f"row {row.name}: make_args must return a tuple, got {type(args)}")
    return args


def run_check(row: OpCase, check: str) -> None:
    args = make_args(row)
    {
        "impl": _check_impl,
        "shape_rule": _check_shape_rule,
        "jvp": _check_jvp,
        "vjp": _check_vjp,
        "higher_order": _check_higher_order,
        "vmap_axis0": _check_vmap_axis0,
        "vmap_axis1": _check_vmap_axis1,
        "vmap_none": _check_vmap_none,
        "jit": _check_jit,
        "tier1": _check_tier1,
        "tape": _check_tape,
        "cupy": _check_cupy,
    }[check](row, args)


def _check_jit(row: OpCase, args: tuple) -> None:
    """jit (tier 0) equals eager, and a second call with equal shapes does not trace again."""
    import fluxion

    jitted = fluxion.jit(row.fn, tier=0)
    _assert_same_outputs(row, jitted(*args), row.fn(*args), "jit")
    seed = zlib.crc32(row.name.encode()) + 1
    args2 = row.make_args(np.random.default_rng(seed))
    same = [np.shape(a) for a in tree_flatten(args)[0]] == [
        np.shape(a) for a in tree_flatten(args2)[0]
    ]
    if same:
        _assert_same_outputs(row, jitted(*args2), row.fn(*args2), "jit (second call)")
        specs = sum(len(e.specs) for e in jitted._cache.values())
        assert jitted.trace_count == specs == len(jitted._cache), (
            f"{row.name}: jit traced {jitted.trace_count} times for two calls with equal shapes"
        )


def _backend_graphs(row: OpCase, args: tuple) -> list[tuple[str, Callable, tuple]]:
    """(what, function, arguments) a compiled backend must reproduce: the row's function, and
    for differentiable float rows the gradient of the sum of its float outputs."""
    graphs = [("value", row.fn, args)]
    if row.nondiff or "rev" not in row.modes or not _has_float_args(row):
        return graphs
    restricted, float_args = _restrict(row.fn, args)

    def total(*xs: Any) -> Any:
        out = 0.0
        for leaf in tree_flatten(restricted(*xs))[0]:
            if _is_float_leaf(leaf) and np.dtype(leaf.dtype).kind == "f":
                out = out + fluxion.numpy.sum(leaf)
        return out

    grad = fluxion.grad(total, argnums=tuple(range(len(float_args))))
    graphs.append(("gradient", grad, float_args))
    return graphs


def _assert_declined_with_reason(row: OpCase, backend: str, missing: list[str], what: str) -> None:
    """A backend that does not lower the row's graph must say why in the lowering table: each
    missing primitive has a reason or a registered lowering whose docstring states its limits,
    or the values are of a kind the backend does not hold (lowering.DTYPE_LIMITS)."""
    from fluxion._src.codegen import lowering

    formulas = {p.name for p in lowering.elementwise_primitives()}
    for name in missing:
        while name.endswith(" (in a scan body)"):  # a loop's body (tier1.lowerable says where)
            name = name.removesuffix(" (in a scan body)")
        if name.endswith("(complex)") and backend in lowering.DTYPE_LIMITS:
            continue
        if name in formulas and lowering.reason(backend, name) is None:
            # an elementwise formula declined for these dtypes (vectorized formulas are float64)
            assert backend in lowering.DTYPE_LIMITS, f"{row.name}: {what}: {name} declined"
            continue
        registered = lowering.lowering(backend, name)
        stated = lowering.reason(backend, name) or (registered and registered.__doc__)
        assert stated, (
            f"{row.name}: {what}: backend {backend!r} does not lower {name!r} and its lowering "
            "table states no reason (add cannot_lower(...) in codegen/lowering.py, or a "
            "docstring on the registered lowering saying when it declines)"
        )


def _backend_cases(row: OpCase, args: tuple) -> Any:
    """(what, graph, input leaves, eager output leaves) for each graph of ``_backend_graphs``
    whose inputs are the argument leaves (static, non-array arguments leave other inputs)."""
    import fluxion

    for what, fn, fargs in _backend_graphs(row, args):
        jitted = fluxion.jit(fn, tier=0)
        want = jitted(*fargs)
        graph = jitted.lower(*fargs).graph
        leaves = tree_flatten(fargs)[0]
        if len(leaves) == len(graph.in_vars):
            yield what, graph, leaves, tree_flatten(want)[0]


def _assert_backend_matches(
    row: OpCase, label: str, got: Any, want_leaves: list, rtol: float, atol: float
) -> None:
    """A compiled backend's outputs have eager's count, shapes and dtypes, and its values."""
    assert len(got) == len(want_leaves), f"{row.name}: {label}: output count"
    for g, w in zip(got, want_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (
            f"{row.name}: {label} gave {g.dtype}{list(g.shape)}, eager {w.dtype}{list(w.shape)}"
        )
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"{row.name}: {label}")


def _check_tier1(row: OpCase, args: tuple) -> None:
    """Tier 1 (numba kernel or fused loops) equals eager on the row's graph and its gradient's,
    or every primitive it cannot lower carries a reason in the numba lowering table."""
    from fluxion._src.codegen import tier1

    for what, graph, leaves, want in _backend_cases(row, args):
        missing = tier1.lowerable(graph)
        if missing:
            _assert_declined_with_reason(row, "numba", missing, what)
            continue
        try:
            with np.errstate(all="ignore"):
                got = tier1.compile_numba(graph, "optable").fn(*leaves)
        except np.linalg.LinAlgError:
            continue  # a singular matrix at these inputs (NumPy raises too)
        # fused loops may reassociate sums (fastmath 'reassoc'): not bit-identical
        single = any(np.asarray(w).dtype in (np.float32, np.complex64) for w in want)
        rtol, atol = (1e-5, 1e-6) if single else (1e-10, 1e-12)
        _assert_backend_matches(row, f"tier 1 {what}", got, want, rtol, atol)


def _check_cupy(row: OpCase, args: tuple) -> None:
    """The CuPy column: every primitive of the row has a CuPy lowering (the device form of
    tier 0) or a stated reason. The rows run under jit on device arrays in
    tests/test_device_jit.py (a fake device here, real CuPy where a GPU is present)."""
    from fluxion._src.codegen import lowering

    for prim in row.prims:
        lowered, why = lowering.status("cupy", prim)
        assert lowered or why, f"{row.name}: CuPy neither lowers {prim.name!r} nor says why"


def _check_tape(row: OpCase, args: tuple) -> None:
    """The tape machine (the compiled NUTS's model-independent potential, ``codegen/tape.py``)
    equals eager on the row's jit graph and on the graph of the gradient of the sum of its float
    outputs — wherever the graph encodes (a graph that does not is compiled by numba instead;
    ``encode`` must then say why)."""
    from fluxion._src.codegen import tape

    machine = tape.load_machine()
    for what, graph, leaves, want in _backend_cases(row, args):
        encoded, why = tape.encode(graph)
        if encoded is None:
            assert why, f"{row.name}: encode gave no reason"
            if why.startswith("primitive "):  # no tape lowering at all: the table says why
                _assert_declined_with_reason(row, "tape", [why.split()[1]], what)
            continue
        try:
            got = tape.run(encoded, machine, *leaves)
        except np.linalg.LinAlgError:
            continue  # a singular matrix at these inputs: the potential rejects the point
        _assert_backend_matches(row, f"tape {what}", got, want, 1e-11, 1e-13)


def _assert_same_outputs(row: OpCase, got: Any, want: Any, what: str) -> None:
    got_leaves, got_tree = tree_flatten(got)
    want_leaves, want_tree = tree_flatten(want)
    assert got_tree == want_tree, f"{row.name}: {what} returned {got_tree}, eager {want_tree}"
    for g, w in zip(got_leaves, want_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (
            f"{row.name}: {what} gave {g.dtype}{list(g.shape)}, eager {w.dtype}{list(w.shape)}"
        )
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14, err_msg=f"{row.name}: {what}")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _is_float_leaf(x: Any) -> bool:
    """A real or complex floating-point leaf: the arguments derivatives are taken with respect
    to (complex ones too: the tangent is complex and ``check_jvp``/``check_vjp`` compare with
    central differences along it, so non-holomorphic functions are checked as maps of R^2)."""
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return type(x) in (float, complex)
    return np.dtype(dtype).kind in "fc"


def _float_positions(args: tuple) -> list[int]:
    """Positions of the arguments whose leaves are all floating point (the ones we perturb)."""
    positions = []
    for i, a in enumerate(args):
        leaves, _ = tree_flatten(a)
        if leaves and all(_is_float_leaf(x) for x in leaves):
            positions.append(i)
    return positions


def _has_float_args(row: OpCase) -> bool:
    return bool(_float_positions(make_args(row)))


def _restrict(fn: Callable, args: tuple) -> tuple[Callable, tuple]:
    """``fn`` as a function of its float arguments only, the others held fixed."""
    positions = _float_positions(args)

    def restricted(*float_args: Any) -> Any:
        call = list(args)
        for i, x in zip(positions, float_args):
            call[i] = x
        return fn(*call)

    return restricted, tuple(args[i] for i in positions)


class _PassTrace(Trace):
    """A trace with no tracers: every ``bind`` reaches ``process_primitive``, which evaluates it.

    Running a function under it sends each operation through its primitive (``fluxion.numpy``
    wrappers call NumPy directly only when no trace is active).
    """

    __slots__ = ()

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        return bind_at(self.parent, prim, args, params)


def _run_bound(fn: Callable, args: tuple) -> Any:
    with new_trace(_PassTrace, "op_table"):
        return fn(*args)


def _leaves(tree: Any) -> list:
    leaves, _ = tree_flatten(tree)
    return leaves


def _assert_matches_ref(row: OpCase, out: Any, expected: Any, how: str) -> None:
    got_leaves, expected_leaves = _leaves(out), _leaves(expected)
    assert len(got_leaves) == len(expected_leaves), (
        f"{row.name} ({how}): {len(got_leaves)} output leaves, reference has {len(expected_leaves)}"
    )
    for k, (g, e) in enumerate(zip(got_leaves, expected_leaves)):
        assert not isinstance(g, core.Tracer), f"{row.name} ({how}): leaked tracer {g!r}"
        g_arr, e_arr = np.asarray(g), np.asarray(e)
        where = f"{row.name} ({how}), output leaf {k}"
        assert g_arr.shape == e_arr.shape, f"{where}: shape {g_arr.shape}, reference {e_arr.shape}"
        assert g_arr.dtype == e_arr.dtype, f"{where}: dtype {g_arr.dtype}, reference {e_arr.dtype}"
        np.testing.assert_allclose(g_arr, e_arr, rtol=row.rtol, atol=row.atol, err_msg=where)


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def _check_impl(row: OpCase, args: tuple) -> None:
    expected = row.ref(*args)
    _assert_matches_ref(row, row.fn(*args), expected, "eager")
    _assert_matches_ref(row, _run_bound(row.fn, args), expected, "bound as primitives")


def _record_calls(row: OpCase, args: tuple) -> list[tuple[Primitive, tuple, dict, Any]]:
    """Run ``row.fn`` with every covered primitive's ``impl`` wrapped to record its calls.

    The function runs eagerly, under a pass-through trace, and under ``fluxion.jvp`` (for
    wrappers that take the primitive path only for tracers, like ``fluxion.stop_gradient``).
    """
    calls: list = []
    saved = {}

    def recorder(prim: Primitive, impl: Callable) -> Callable:
        @functools.wraps(impl)
        def recording_impl(*a: Any, **params: Any) -> Any:
            result = impl(*a, **params)
            calls.append((prim, a, params, result))
            return result

        return recording_impl

    prims = list(dict.fromkeys(row.prims))
    try:
        for prim in prims:
            saved[prim] = prim.impl
            prim.impl = recorder(prim, prim.impl)
        row.fn(*args)
        _run_bound(row.fn, args)
        f, float_args = _restrict(row.fn, args)
        if float_args:
            tangents = tuple(
                fluxion.tree.map(lambda x: np.ones_like(np.asarray(x)), a) for a in float_args
            )
            fluxion.jvp(f, float_args, tangents)
    finally:
        for prim, impl in saved.items():
            prim.impl = impl
    return calls


def _check_shape_rule(row: OpCase, args: tuple) -> None:
    calls = _record_calls(row, args)
    called = {id(prim) for prim, *_ in calls}
    missing = [p.name for p in row.prims if id(p) not in called]
    assert not missing, f"{row.name}: the row never called primitive(s) {missing}"
    for prim, call_args, params, result in calls:
        assert prim.abstract_eval is not None, (
            f"{row.name}: primitive '{prim.name}' has no abstract_eval (shape rule)"
        )
        in_avals = [aval_of(a) for a in call_args]
        predicted = prim.abstract_eval(*in_avals, **params)
        results = result if prim.multiple_results else (result,)
        predicted = predicted if prim.multiple_results else (predicted,)
        assert len(predicted) == len(results), (
            f"{row.name}: '{prim.name}' shape rule gives {len(predicted)} outputs, impl "
            f"{len(results)}"
        )
        for p, r in zip(predicted, results):
            actual = aval_of(r)
            assert (p.shape, p.dtype) == (actual.shape, actual.dtype), (
                f"{row.name}: shape rule of '{prim.name}' on ({', '.join(map(str, in_avals))}) "
                f"with {params} predicts {p}, impl returned {actual}"
            )


def _check_tangent_dtypes(row: OpCase, f: Callable, float_args: tuple) -> None:
    """Tangents have the outputs' dtypes, cotangents the inputs' (float32 stays float32)."""
    tangents = tuple(fluxion.tree.map(np.ones_like, a) for a in float_args)
    out, out_t = fluxion.jvp(f, float_args, tangents)
    for o, t in zip(_leaves(out), _leaves(out_t)):
        if _is_float_leaf(np.asarray(o)):
            assert np.asarray(t).dtype == np.asarray(o).dtype, (
                f"{row.name}: jvp tangent dtype {np.asarray(t).dtype} for an output of dtype "
                f"{np.asarray(o).dtype}"
            )


def _check_cotangent_dtypes(row: OpCase, f: Callable, float_args: tuple) -> None:
    out, pullback = fluxion.vjp(f, *float_args)
    cts = pullback(fluxion.tree.map(lambda o: np.ones_like(np.asarray(o)), out))
    for x, ct in zip(_leaves(float_args), _leaves(cts)):
        assert np.asarray(ct).dtype == np.asarray(x).dtype, (
            f"{row.name}: cotangent dtype {np.asarray(ct).dtype} for an input of dtype "
            f"{np.asarray(x).dtype}"
        )


def _check_jvp(row: OpCase, args: tuple) -> None:
    f, float_args = _restrict(row.fn, args)
    rng = np.random.default_rng(1)
    if row.nondiff:
        tangents = tuple(
            fluxion.tree.map(lambda x: rng.standard_normal(np.shape(x)).astype(x.dtype), a)
            for a in _as_arrays(float_args)
        )
        _, out_t = fluxion.jvp(f, _as_arrays(float_args), tangents)
        for t in _leaves(out_t):
            assert not np.any(np.asarray(t)), f"{row.name}: nonzero jvp {t!r} of a nondiff op"
        return
    check_jvp(f, functools.partial(fluxion.jvp, f), float_args, rng=rng)
    _check_tangent_dtypes(row, f, _as_arrays(float_args))


def _check_vjp(row: OpCase, args: tuple) -> None:
    f, float_args = _restrict(row.fn, args)
    float_args = _as_arrays(float_args)
    rng = np.random.default_rng(2)
    if row.nondiff:
        out, pullback = fluxion.vjp(f, *float_args)
        cts = pullback(
            fluxion.tree.map(
                lambda o: rng.standard_normal(np.shape(o)).astype(
                    np.asarray(o).dtype if _is_float_leaf(np.asarray(o)) else np.float64
                ),
                out,
            )
        )
        for ct in _leaves(cts):
            assert not np.any(np.asarray(ct)), f"{row.name}: nonzero vjp {ct!r} of a nondiff op"
        return
    f_jvp = functools.partial(fluxion.jvp, f) if "fwd" in row.modes else None
    check_vjp(f, functools.partial(fluxion.vjp, f), float_args, rng=rng, f_jvp=f_jvp)
    _check_cotangent_dtypes(row, f, float_args)


def _check_higher_order(row: OpCase, args: tuple) -> None:
    f, float_args = _restrict(row.fn, args)
    check_grads(
        f, _as_arrays(float_args), order=row.order, modes=row.modes, rng=np.random.default_rng(3)
    )


def _as_arrays(float_args: tuple) -> tuple:
    return tuple(
        fluxion.tree.map(lambda x: _PY_TO_NUMPY.get(type(x), _same)(x), a) for a in float_args
    )


_PY_TO_NUMPY = {float: np.float64, complex: np.complex128}


def _same(x: Any) -> Any:
    return x


# --------------------------------------------------------------------------------------------
# The batching columns: vmap equals a Python loop
# --------------------------------------------------------------------------------------------

VMAP_BATCH = 3
_PY_SCALARS = (bool, int, float, complex)


def _draws(row: OpCase) -> list[tuple]:
    """``VMAP_BATCH`` independent draws of the row's inputs (the first is ``make_args(row)``)."""
    seed = zlib.crc32(row.name.encode())
    return [row.make_args(np.random.default_rng(seed + k)) for k in range(VMAP_BATCH)]


def _mappable(leaf: Any) -> bool:
    return type(leaf) not in _PY_SCALARS and isinstance(leaf, np.ndarray | np.generic)


def _run_vmap_check(row: OpCase, arg_axes: list[Callable[[Any], int | None]], out_axis: int):
    """Compare ``vmap(row.fn)`` with a loop. ``arg_axes[i](leaf)`` is the mapped axis of a leaf
    of argument ``i`` (None: unmapped); results are stacked along ``out_axis``."""
    draws = _draws(row)
    n_args = len(draws[0])
    in_axes = []
    stacked = []
    per_example: list[list] = [[] for _ in range(VMAP_BATCH)]
    for i in range(n_args):
        flat = [tree_flatten(d[i]) for d in draws]
        leaves0, tree = flat[0]
        axes = []
        arg_stacked = []
        for j, leaf in enumerate(leaves0):
            axis = arg_axes[i](leaf) if _mappable(leaf) else None
            axes.append(axis)
            if axis is None:
                arg_stacked.append(leaf)
            else:
                arg_stacked.append(np.stack([np.asarray(f[0][j]) for f in flat], axis=axis))
        in_axes.append(tree.unflatten(axes))
        stacked.append(tree.unflatten(arg_stacked))
        for k in range(VMAP_BATCH):
            leaves_k = [f if a is None else g for f, g, a in zip(leaves0, flat[k][0], axes)]
            per_example[k].append(tree.unflatten(leaves_k))
    expected_outs = [row.fn(*per_example[k]) for k in range(VMAP_BATCH)]
    got = vmap(row.fn, in_axes=tuple(in_axes), out_axes=out_axis, axis_size=VMAP_BATCH)(*stacked)
    how = f"vmap in_axes={tuple(in_axes)}"
    got_leaves = _leaves(got)
    per_out = [_leaves(o) for o in expected_outs]
    assert len(got_leaves) == len(per_out[0]), (
        f"{row.name} ({how}): {len(got_leaves)} output leaves, the loop gives {len(per_out[0])}"
    )
    for k, g in enumerate(got_leaves):
        assert not isinstance(g, core.Tracer), f"{row.name} ({how}): leaked tracer {g!r}"
        e_arr = np.stack([np.asarray(o[k]) for o in per_out], axis=out_axis)
        g_arr = np.asarray(g)
        where = f"{row.name} ({how}), output leaf {k}"
        assert g_arr.shape == e_arr.shape, f"{where}: shape {g_arr.shape}, loop {e_arr.shape}"
        assert g_arr.dtype == e_arr.dtype, f"{where}: dtype {g_arr.dtype}, loop {e_arr.dtype}"
        if e_arr.dtype.kind in "fc":
            single = e_arr.dtype in (np.float32, np.complex64)
            rtol, atol = (1e-5, 1e-6) if single else (1e-9, 1e-12)
            np.testing.assert_allclose(g_arr, e_arr, rtol=rtol, atol=atol, err_msg=where)
        else:
            np.testing.assert_array_equal(g_arr, e_arr, err_msg=where)


def _check_vmap_axis0(row: OpCase, args: tuple) -> None:
    _run_vmap_check(row, [lambda leaf: 0] * len(args), 0)


def _check_vmap_axis1(row: OpCase, args: tuple) -> None:
    _run_vmap_check(row, [lambda leaf: 1 if np.ndim(leaf) >= 1 else 0] * len(args), -1)


def _check_vmap_none(row: OpCase, args: tuple) -> None:
    mapped = [lambda leaf: 0, lambda leaf: None]
    if len(args) <= 1:
        _run_vmap_check(row, [mapped[1]] * len(args), 0)
        return
    for offset in (0, 1):  # odd arguments unmapped, then even ones
        _run_vmap_check(row, [mapped[(i + offset) % 2] for i in range(len(args))], 0)
