"""docs/coverage.md is generated from the code by tools/numpy_coverage.py (the NumPy part) and
tools/scipy_coverage.py (the SciPy section after its marker): fail when either is stale."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / f"tools/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _tool():
    return _load("numpy_coverage")


def _scipy_tool():
    return _load("scipy_coverage")


@pytest.fixture(scope="module")
def scipy_measure():
    return _scipy_tool().measure()


def test_coverage_doc_is_current() -> None:
    doc = (ROOT / "docs/coverage.md").read_text()
    recorded = re.search(r"Measured against NumPy (\S+):", doc)
    assert recorded, "docs/coverage.md: no 'Measured against NumPy <version>' line"
    if recorded.group(1) != np.__version__:
        pytest.skip(f"docs/coverage.md was measured on NumPy {recorded.group(1)}, this is "
                    f"{np.__version__}: the namespace differs between versions")
    tool = _tool()
    text = tool.render(tool.measure())
    assert text == tool.own_section(doc), (
        "docs/coverage.md is stale: run `python tools/numpy_coverage.py`"
    )


def test_scipy_section_is_current(scipy_measure) -> None:
    tool = _scipy_tool()
    assert tool.MARKER == _tool().SCIPY_MARKER
    doc = (ROOT / "docs/coverage.md").read_text()
    recorded = re.search(r"Measured against SciPy (\S+) ", doc)
    assert recorded, "docs/coverage.md: no SciPy section (run `python tools/scipy_coverage.py`)"
    if recorded.group(1) != scipy.__version__:
        pytest.skip(f"the SciPy section was measured on SciPy {recorded.group(1)}, this is "
                    f"{scipy.__version__}")
    assert tool.render(scipy_measure) == tool.own_section(doc), (
        "docs/coverage.md (SciPy section) is stale: run `python tools/scipy_coverage.py`"
    )


def test_readme_states_the_measured_count() -> None:
    tool = _tool()
    s = tool.summary(tool.measure())
    readme = (ROOT / "README.md").read_text()
    assert f"{s['has']} of {s['counted']}" in readme, (
        f"README.md should state the coverage count '{s['has']} of {s['counted']}' "
        "(python tools/numpy_coverage.py prints it)"
    )


def test_readme_states_the_scipy_counts(scipy_measure) -> None:
    tool = _scipy_tool()
    line = tool.count_line(tool.summary(scipy_measure))
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert line in readme, (
        f"README.md should state the SciPy counts {line!r} (python tools/scipy_coverage.py "
        "prints them)"
    )


def test_the_check_catches_a_missing_row() -> None:
    # the measure is observed from the rows: dropping every row that calls `sort` uncovers it
    tool = _tool()
    rows = [r for r in tool._load_rows()]
    counted, _ = tool.numpy_callables()
    found, _ = tool.rows_by_function(["sort"], rows)
    assert found["sort"], "some op-table row calls fnp.sort"
    kept = [r for r in rows if r not in found["sort"]]
    again, _ = tool.rows_by_function(["sort"], kept)
    assert not again["sort"]
    assert "sort" in counted and "save" not in counted


def test_scipy_rows_are_observed_not_declared() -> None:
    # rows call special functions directly, through lambdas and through captured references;
    # dropping the rows that call `gammainc` uncovers it, and the perturbed arguments are seen
    tool = _scipy_tool()
    rows = _tool()._load_rows()
    found = tool.observe(["special.gammainc", "special.iv"], rows)
    assert found["special.gammainc"] and found["special.iv"]
    assert {"a", "x"} <= set().union(*(e["perturbed"] for e in found["special.gammainc"]))
    kept = [r for r in rows if all(r is not e["row"] for e in found["special.gammainc"])]
    assert not tool.observe(["special.gammainc"], kept)["special.gammainc"]


def test_scipy_stats_calls_are_recorded_frozen_or_not() -> None:
    import scipy.stats as st
    from optable import OpCase

    import fluxion.scipy.stats as fst

    tool = _scipy_tool()
    alpha = np.array([1.5, 2.0, 3.0])
    rows = [
        OpCase("cov-probe-logpdf", lambda x, a: fst.dirichlet.logpdf(x, a), st.dirichlet.logpdf,
               lambda rng: (np.array([0.2, 0.3, 0.5]), alpha)),
        OpCase("cov-probe-frozen", lambda a: fst.dirichlet(a).mean(),
               lambda a: st.dirichlet(a).mean(), lambda rng: (alpha,)),
    ]
    found = tool.observe(["stats.dirichlet.logpdf", "stats.dirichlet.mean"], rows)
    (logpdf,), (mean,) = found["stats.dirichlet.logpdf"], found["stats.dirichlet.mean"]
    assert logpdf["perturbed"] == {"x", "alpha"} and mean["perturbed"] == {"alpha"}
    assert tool.columns([logpdf])["all_args"]


def test_scipy_targets_missing_modules_count_as_missing() -> None:
    tool = _scipy_tool()
    names = tool.targets()
    assert "special.gammainc" in names and "stats.norm.logpdf" in names
    assert "stats.norm.logpmf" not in names and "stats.poisson.logpmf" in names
    assert tool.fluxion_object("signal.no_such_function") is None
    assert tool.fluxion_object("nosuchmodule.f") is None
