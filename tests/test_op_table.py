"""The systematic op table: every primitive through impl, shape rule, jvp, vjp, second order,
vmap (against a loop, with in_axes 0, 1 and a mix with None), jit (equal to eager; one trace
for two calls with equal shapes) and the tape machine (equal to eager where the graph encodes).

Rows come from every ``tests/optable/rows_*.py`` module (each defines ``ROWS``); the checks are in
``tests/optable/__init__.py``. A new primitive is one row there.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from optable import OpCase, applicable, run_check, xfail_reason

import fluxion._src.custom
import fluxion._src.prims
from fluxion._src.core import Primitive

_ROW_MODULES = sorted(p.stem for p in (Path(__file__).parent / "optable").glob("rows_*.py"))


def _collect_rows() -> list[OpCase]:
    rows: list[OpCase] = []
    for stem in _ROW_MODULES:
        module = importlib.import_module(f"optable.{stem}")
        rows.extend(module.ROWS)
    names = [row.name for row in rows]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"op table: duplicate row names {duplicates}")
    return rows


ROWS = _collect_rows()


def _params(check: str) -> list:
    params = []
    for row in ROWS:
        if not applicable(row, check):
            continue
        reason = xfail_reason(row, check)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        if check == "tier1":
            # a numba compile per row and per gradient (~1-30 s each on a small machine): the
            # column runs with -m slow; test_tier1_every_elementwise_formula covers the
            # formulas in the fast suite with two compiles
            marks.append(pytest.mark.slow)
        elif check in row.slow:
            marks.append(pytest.mark.slow)
        params.append(pytest.param(row, id=row.name, marks=marks))
    return params


@pytest.mark.parametrize("row", _params("impl"))
def test_impl_vs_reference(row: OpCase) -> None:
    run_check(row, "impl")


@pytest.mark.parametrize("row", _params("shape_rule"))
def test_shape_rule(row: OpCase) -> None:
    run_check(row, "shape_rule")


@pytest.mark.parametrize("row", _params("jvp"))
def test_jvp(row: OpCase) -> None:
    run_check(row, "jvp")


@pytest.mark.parametrize("row", _params("vjp"))
def test_vjp(row: OpCase) -> None:
    run_check(row, "vjp")


@pytest.mark.parametrize("row", _params("higher_order"))
def test_higher_order(row: OpCase) -> None:
    run_check(row, "higher_order")


@pytest.mark.parametrize("row", _params("vmap_axis0"))
def test_vmap_axis0(row: OpCase) -> None:
    run_check(row, "vmap_axis0")


@pytest.mark.parametrize("row", _params("vmap_axis1"))
def test_vmap_axis1(row: OpCase) -> None:
    run_check(row, "vmap_axis1")


@pytest.mark.parametrize("row", _params("vmap_none"))
def test_vmap_none(row: OpCase) -> None:
    run_check(row, "vmap_none")


@pytest.mark.parametrize("row", _params("jit"))
def test_jit(row: OpCase) -> None:
    run_check(row, "jit")


def _run_in_cache(row: OpCase, check: str, cache: str) -> None:
    pytest.importorskip("numba")
    import fluxion

    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", cache)
    try:
        run_check(row, check)
    finally:
        fluxion.config.update("cache_dir", old)


@pytest.mark.parametrize("row", _params("tier1"))
def test_tier1(row: OpCase, compiled_nuts_cache: str) -> None:
    _run_in_cache(row, "tier1", compiled_nuts_cache)


@pytest.mark.parametrize("row", _params("tape"))
def test_tape(row: OpCase, compiled_nuts_cache: str) -> None:
    _run_in_cache(row, "tape", compiled_nuts_cache)


@pytest.mark.parametrize("row", _params("cupy"))
def test_cupy(row: OpCase) -> None:
    run_check(row, "cupy")


def _all_primitives() -> dict[int, tuple[str, Primitive]]:
    """Every Primitive bound to a module attribute of fluxion._src.prims.* and _src.custom."""
    modules = [fluxion._src.custom]
    for info in pkgutil.iter_modules(fluxion._src.prims.__path__):
        modules.append(importlib.import_module(f"fluxion._src.prims.{info.name}"))
    found: dict[int, tuple[str, Primitive]] = {}
    for module in modules:
        _add_primitives(found, module)
    return found


def _add_primitives(found: dict[int, tuple[str, Primitive]], module: Any) -> None:
    """Every Primitive bound to an attribute of ``module`` into ``found`` (by id, first name)."""
    for attr, value in vars(module).items():
        if isinstance(value, Primitive) and id(value) not in found:
            found[id(value)] = (f"{module.__name__}.{attr}", value)


def test_every_primitive_has_a_row() -> None:
    covered = {id(p) for row in ROWS for p in row.prims}
    missing = sorted(name for key, (name, _) in _all_primitives().items() if key not in covered)
    assert not missing, (
        f"op table: {len(missing)} primitive(s) have no row (add one to a "
        f"tests/optable/rows_*.py module; row modules present: {_ROW_MODULES}):\n  "
        + "\n  ".join(missing)
    )


def test_every_primitive_has_a_batch_rule() -> None:
    missing = sorted(name for name, prim in _all_primitives().values() if prim.batch is None)
    assert not missing, (
        f"{len(missing)} primitive(s) have no batch rule (vmap would loop over the examples): "
        + ", ".join(missing)
    )


# --------------------------------------------------------------------------------------------
# Every primitive has a lowering or a stated reason in every backend (codegen/lowering.py)
# --------------------------------------------------------------------------------------------


def _lowering_gaps(prims: list[tuple[str, Primitive]]) -> list[str]:
    """``backend: primitive`` for each primitive a backend neither lowers nor explains."""
    from fluxion._src.codegen import lowering, numba_tier, tape  # noqa: F401  (fill the tables)

    gaps = []
    for backend in lowering.BACKENDS:
        for name, prim in prims:
            lowered, why = lowering.status(backend, prim)
            if not lowered and not why:
                gaps.append(f"{backend}: {name} ({prim.name})")
    return sorted(gaps)


def _primitives_anywhere() -> list[tuple[str, Primitive]]:
    """Every Primitive bound to a module attribute anywhere in fluxion._src: the op table's, and
    the control-flow and call primitives beside the IR and the transforms (scan, while,
    jit_call, guard, ode, quad, random draws), which have no op-table row."""
    found = dict(_all_primitives())
    for info in pkgutil.walk_packages(fluxion._src.__path__, "fluxion._src."):
        if info.name.rsplit(".", 1)[-1] in ("_tape_vm", "_nuts_core"):
            continue  # numba source, loaded from the cache directory
        try:
            module = importlib.import_module(info.name)
        except ImportError as err:
            if (err.name or "").startswith("fluxion"):
                raise
            continue  # an optional dependency (an extra) is not installed
        _add_primitives(found, module)
    return list(found.values())


def test_every_primitive_has_a_lowering_or_a_reason() -> None:
    gaps = _lowering_gaps(_primitives_anywhere())
    assert not gaps, (
        f"{len(gaps)} (backend, primitive) pair(s) have neither a lowering nor a reason; give "
        "the primitive a scalar formula (elementwise), register a lowering, or call "
        "cannot_lower(backend, name, reason) in src/fluxion/_src/codegen/lowering.py:\n  "
        + "\n  ".join(gaps)
    )


def test_the_lowering_check_catches_a_new_primitive() -> None:
    # a primitive added with no formula, no lowering and no reason: the check above must fail
    fake = Primitive("fake_op_for_the_lowering_check", lambda x: x)
    gaps = _lowering_gaps([("tests.fake_p", fake)])
    assert gaps == [
        "numba: tests.fake_p (fake_op_for_the_lowering_check)",
        "tape: tests.fake_p (fake_op_for_the_lowering_check)",
    ]
    # tier 0 calls any impl; so does its device form (the CuPy backend), on device arrays
    from fluxion._src.codegen import lowering

    assert lowering.status("numpy", fake) == (True, "impl call")
    assert lowering.status("cupy", fake) == (True, lowering.DEVICE_IMPL_CALL)


def test_a_scalar_formula_alone_lowers_everywhere() -> None:
    """One block in prims (a primitive with its formula) gives tier 1 and the tape their
    lowering with no other edit."""
    import numpy as np

    from fluxion._src.codegen import lowering, numba_tier
    from fluxion._src.prims.elementwise import elementwise

    cube = elementwise("cube_for_test", np.cbrt, scalar="({0} * {0} * {0})")
    try:
        assert lowering.status("numba", cube) == (True, "scalar formula")
        assert lowering.status("tape", cube) == (True, "scalar formula")
        assert lowering.array_formula(cube).format("a") == "(a * a * a)"
    finally:
        from fluxion._src.prims.elementwise import UFUNC_OF

        UFUNC_OF.pop(cube)
    assert numba_tier is not None


def test_the_tape_numbers_every_library_formula_whatever_was_imported_first() -> None:
    """The tape's opcode tables are numbered once, when codegen/tape.py is imported. They held
    only the formulas loaded by then: a process that sampled before it first imported
    fluxion.scipy.special had no opcode for gammainc, loggamma, ... and such a model left the
    tape for the Python callback (while ``lowering.status`` said "scalar formula")."""
    import subprocess
    import sys

    from fluxion._src.codegen import tape

    script = ("from fluxion._src.codegen import tape; "
              "print(' '.join(sorted({*tape.UNARY, *tape.BINARY, *tape.TERNARY})))")
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, timeout=300).stdout.split()
    assert {"gammainc", "loggamma", "erfinv", "betainc", "k0"} <= set(fresh)
    assert sorted(fresh) == sorted({*tape.UNARY, *tape.BINARY, *tape.TERNARY})


def test_a_formula_declared_after_the_tape_tables_says_so() -> None:
    import numpy as np

    import fluxion
    from fluxion._src.codegen import tape
    from fluxion._src.prims.elementwise import UFUNC_OF, elementwise

    late = elementwise("late_cube_for_test", np.cbrt, scalar="({0} * {0} * {0})")
    try:
        graph = fluxion.jit(lambda x: late.bind(x)).lower(np.ones(3)).graph
        encoded, why = tape.encode(graph)
    finally:
        UFUNC_OF.pop(late)
    assert encoded is None
    assert why.startswith("primitive late_cube_for_test (its scalar formula was declared after")


def _formula_inputs(prim: Primitive, n: int) -> tuple | None:
    """Float64 inputs inside the domain of most functions (x in [0.2, 0.8], y in [1.2, 2],
    z in [0.3, 0.7]);
    None if the primitive refuses float64 operands (invert)."""
    import numpy as np

    from fluxion._src.codegen import lowering
    from fluxion._src.core import ShapedArray

    arity = lowering.arity(prim)
    try:
        prim.abstract_eval(*[ShapedArray((n,), np.dtype(np.float64))] * arity)
    except TypeError:
        return None
    x = np.linspace(0.2, 0.8, n)
    # a third operand (betainc's x) in [0.3, 0.7]
    return (x, np.linspace(1.2, 2.0, n), np.linspace(0.3, 0.7, n))[:arity]


@pytest.mark.parametrize("n", [8, 64])  # array code (small), fused loops (above fused._SMALL)
def test_tier1_every_elementwise_formula(n: int, compiled_nuts_cache: str) -> None:
    """One tier-1 kernel applying every elementwise primitive's scalar formula equals eager
    (array code and vectorized formulas at n = 8, fused loops at n = 64)."""
    pytest.importorskip("numba")
    import numpy as np

    import fluxion
    from fluxion._src.codegen import lowering, tier1

    cases = []
    for prim in lowering.elementwise_primitives():
        if lowering.reason("numba", prim.name) is None:
            inputs = _formula_inputs(prim, n)
            if inputs is not None:
                cases.append((prim, inputs))
    assert len(cases) >= 80

    # formulas that cover constant operands only (their numba lowering says so): ive's integer
    # order, bound as a constant
    constant_first = {"ive": np.arange(n) % 7 - 3.0}

    def every(*flat: Any) -> tuple:
        outs, k = [], 0
        for prim, inputs in cases:
            operands = list(flat[k : k + len(inputs)])
            if prim.name in constant_first:
                operands[0] = constant_first[prim.name]
            outs.append(fluxion.numpy.sum(prim.bind(*operands) * 1.0))
            k += len(inputs)
        return tuple(outs)

    flat = [a for _, inputs in cases for a in inputs]
    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", compiled_nuts_cache)
    try:
        with np.errstate(all="ignore"):
            graph = fluxion.jit(every, tier=0).lower(*flat).graph
            assert tier1.lowerable(graph) == []
            got = tier1.compile_numba(graph, f"formulas{n}").fn(*flat)
            want = every(*flat)
    finally:
        fluxion.config.update("cache_dir", old)
    for (prim, _), g, w in zip(cases, got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, err_msg=prim.name)


def test_sinc_derivatives_at_zero() -> None:
    """sinc'(0) = 0 and sinc''(0) = -pi^2 / 3 (the Maclaurin series 1 - (pi x)^2 / 6 + ...)."""
    import math

    import numpy as np

    import fluxion
    import fluxion.numpy as fnp

    d1 = fluxion.grad(fnp.sinc)
    d2 = fluxion.grad(d1)
    assert d1(0.0) == 0.0
    np.testing.assert_allclose(d2(0.0), -(math.pi**2) / 3, rtol=1e-12)
    np.testing.assert_allclose(d2(1e-9), -(math.pi**2) / 3, rtol=1e-9)


_COMPLEX_REFUSED = ["fmod", "heaviside", "deg2rad", "rad2deg", "fabs", "spacing", "signbit",
                    "nextafter"]


@pytest.mark.parametrize("name", _COMPLEX_REFUSED)
def test_new_ufuncs_refuse_complex_like_numpy(name: str) -> None:
    """Where NumPy has no complex loop, fluxion raises a TypeError naming the function, eagerly
    and under a transform."""
    import numpy as np

    import fluxion
    import fluxion.numpy as fnp

    fn = getattr(fnp, name)
    ufunc = getattr(np, name)
    z = np.array([1.0 + 2.0j, -0.5j])
    operands = (z,) * ufunc.nin
    with pytest.raises(TypeError):
        ufunc(*operands)
    with pytest.raises(TypeError):
        fn(*operands)
    with pytest.raises(TypeError, match=name):
        fluxion.jit(lambda *a: fn(*a))(*operands)
