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


@pytest.mark.parametrize("row", _params("tape"))
def test_tape(row: OpCase, compiled_nuts_cache: str) -> None:
    pytest.importorskip("numba")
    import fluxion

    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", compiled_nuts_cache)
    try:
        run_check(row, "tape")
    finally:
        fluxion.config.update("cache_dir", old)


def _all_primitives() -> dict[int, tuple[str, Primitive]]:
    """Every Primitive bound to a module attribute of fluxion._src.prims.* and _src.custom."""
    modules = [fluxion._src.custom]
    for info in pkgutil.iter_modules(fluxion._src.prims.__path__):
        modules.append(importlib.import_module(f"fluxion._src.prims.{info.name}"))
    found: dict[int, tuple[str, Primitive]] = {}
    for module in modules:
        for attr, value in vars(module).items():
            if isinstance(value, Primitive) and id(value) not in found:
                found[id(value)] = (f"{module.__name__}.{attr}", value)
    return found


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
