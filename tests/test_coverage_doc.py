"""docs/coverage.md is generated from the code by tools/numpy_coverage.py: fail when stale."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    path = ROOT / "tools/numpy_coverage.py"
    spec = importlib.util.spec_from_file_location("numpy_coverage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coverage_doc_is_current() -> None:
    doc = (ROOT / "docs/coverage.md").read_text()
    recorded = re.search(r"Measured against NumPy (\S+):", doc)
    assert recorded, "docs/coverage.md: no 'Measured against NumPy <version>' line"
    if recorded.group(1) != np.__version__:
        pytest.skip(f"docs/coverage.md was measured on NumPy {recorded.group(1)}, this is "
                    f"{np.__version__}: the namespace differs between versions")
    tool = _tool()
    text = tool.render(tool.measure())
    assert text == doc, "docs/coverage.md is stale: run `python tools/numpy_coverage.py`"


def test_readme_states_the_measured_count() -> None:
    tool = _tool()
    s = tool.summary(tool.measure())
    readme = (ROOT / "README.md").read_text()
    assert f"{s['has']} of {s['counted']}" in readme, (
        f"README.md should state the coverage count '{s['has']} of {s['counted']}' "
        "(python tools/numpy_coverage.py prints it)"
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
