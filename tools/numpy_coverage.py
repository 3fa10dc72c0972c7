"""Measure fluxion.numpy against NumPy's own namespace and write ``docs/coverage.md``.

Usage::

    python tools/numpy_coverage.py            # print the counts, rewrite docs/coverage.md
    python tools/numpy_coverage.py --check    # exit 1 when docs/coverage.md is stale (CI)

(The SciPy section at the end of docs/coverage.md is ``tools/scipy_coverage.py``'s.)

What is counted: every public callable of ``numpy``, ``numpy.linalg`` and ``numpy.fft`` except
the classes (dtypes, scalar types, ``ndarray``, ``errstate`` ...) and the I/O, printing, dtype,
datetime, error-state and build utilities listed in :data:`EXCLUDED` with the reason.

What "has" means: ``fluxion.numpy`` (or ``.linalg``/``.fft``) defines the name AND at least one
row of the op table (``tests/optable/rows_*.py``) calls it. The op table runs every row through
impl-vs-NumPy, the shape rule, forward and reverse mode against central differences, second
order, vmap (three ways), jit, the numba tier and the tape machine; a row opts out of a column
only with a written reason. Which function a row exercises is observed, not declared: every
public function is wrapped to record its calls while each row's function runs once.

The columns of the table come from the rows: a function has a column when at least one of its
rows runs that check without a known-defect mark (``xfail``). "complex" means a row calls it
with complex input (observed like the rows) and runs the value check and a derivative check (the
op table perturbs complex arguments too).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "coverage.md"
# docs/coverage.md also holds the SciPy section, which tools/scipy_coverage.py writes from this
# line to the end: this script owns (and checks) only the text before it, and keeps the rest
SCIPY_MARKER = "<!-- scipy_coverage.py writes from here to the end -->"

_IO = "file or buffer I/O"
_PRINT = "printing and string formatting"
_DTYPE = "dtype and type-introspection utility"
_DATETIME = "datetime/business-day calendar"
_ERRSTATE = "floating-point error state and buffer settings"
_BUILD = "build, configuration, test and help utility"
_MATRIX = "numpy.matrix (deprecated class)"
_MEMORY = "memory layout and aliasing of ndarray buffers"

# Every excluded name with its reason (the issue: "exclude only I/O, printing, dtype and
# error-state utilities, listed in the script").
EXCLUDED: dict[str, str] = {
    **dict.fromkeys(
        "load loadtxt save savetxt savez savez_compressed genfromtxt fromfile fromregex "
        "fromstring frombuffer from_dlpack fromiter".split(),
        _IO,
    ),
    **dict.fromkeys(
        "array2string array_repr array_str base_repr binary_repr format_float_positional "
        "format_float_scientific get_printoptions set_printoptions printoptions typename".split(),
        _PRINT,
    ),
    **dict.fromkeys(
        "can_cast common_type isdtype issubdtype min_scalar_type mintypecode promote_types "
        "result_type isscalar iterable".split(),
        _DTYPE,
    ),
    **dict.fromkeys(
        "busday_count busday_offset is_busday datetime_as_string datetime_data isnat".split(),
        _DATETIME,
    ),
    **dict.fromkeys(
        "geterr seterr geterrcall seterrcall getbufsize setbufsize".split(), _ERRSTATE
    ),
    **dict.fromkeys(
        "get_include show_config show_runtime test info frompyfunc nested_iters".split(), _BUILD
    ),
    **dict.fromkeys("asmatrix bmat".split(), _MATRIX),
    **dict.fromkeys(
        "may_share_memory shares_memory isfortran require ascontiguousarray "
        "asfortranarray".split(),
        _MEMORY,
    ),
}

SUBMODULES = ("", "linalg", "fft")


def numpy_callables() -> tuple[list[str], dict[str, str]]:
    """(counted names, excluded name -> reason), names qualified as ``linalg.svd``."""
    counted, excluded = [], {}
    for sub in SUBMODULES:
        module = getattr(np, sub) if sub else np
        prefix = f"{sub}." if sub else ""
        for name in sorted(dir(module)):
            obj = getattr(module, name)
            if name.startswith("_") or inspect.ismodule(obj) or not callable(obj):
                continue
            if inspect.isclass(obj):
                continue  # dtypes, scalar types, ndarray, errstate, vectorize, ...
            if name in EXCLUDED and not (sub and name == "test"):
                excluded[prefix + name] = EXCLUDED[name]
            elif name == "test":
                excluded[prefix + name] = _BUILD
            else:
                counted.append(prefix + name)
    return counted, excluded


def _fluxion_function(qualname: str) -> Any:
    import fluxion.numpy as fnp

    sub, _, name = qualname.rpartition(".")
    module = getattr(fnp, sub) if sub else fnp
    return getattr(module, name, None)


def _load_rows() -> list:
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import test_op_table

    return list(test_op_table.ROWS)


@contextlib.contextmanager
def _recording(names: list[str]) -> Iterator[tuple[list[str], dict[int, str]]]:
    """Wrap every fluxion function of ``names`` in its public module to record calls."""
    import fluxion.numpy as fnp

    calls: list[str] = []
    by_id: dict[int, str] = {}
    saved = []
    for qualname in names:
        fn = _fluxion_function(qualname)
        if fn is None or not callable(fn):
            continue
        by_id.setdefault(id(fn), qualname)
        sub, _, name = qualname.rpartition(".")
        module = getattr(fnp, sub) if sub else fnp

        def wrapper(*args: Any, _fn: Callable = fn, _q: str = qualname, **kwargs: Any) -> Any:
            calls.append(_q)
            if _any_complex((args, kwargs)):
                calls.append(_q + _COMPLEX)
            return _fn(*args, **kwargs)

        with contextlib.suppress(AttributeError, TypeError):
            functools.update_wrapper(wrapper, fn)
        saved.append((module, name, fn))
        setattr(module, name, wrapper)
    try:
        yield calls, by_id
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


_COMPLEX = " (complex input)"


def _any_complex(tree: Any) -> bool:
    from fluxion._src.tree_util import tree_flatten

    for leaf in tree_flatten(tree)[0]:
        dtype = getattr(leaf, "dtype", None)
        if type(leaf) is complex or (dtype is not None and np.dtype(dtype).kind == "c"):
            return True
    return False


def rows_by_function(names: list[str], rows: list) -> tuple[dict[str, list], dict[str, list]]:
    """(qualified name -> the op-table rows whose function calls it, qualified name -> the rows
    that call it with complex input)."""
    from optable import make_args

    found: dict[str, list] = {n: [] for n in names}
    complex_rows: dict[str, list] = {}
    with _recording(names) as (calls, by_id):
        for row in rows:
            calls.clear()
            direct = by_id.get(id(row.fn))
            if direct is not None:  # the row's function is the public function itself
                calls.append(direct)
                if _any_complex(make_args(row)):
                    calls.append(direct + _COMPLEX)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    row.fn(*make_args(row))
                except Exception:  # noqa: BLE001 - a failing row fails in the op table itself
                    pass
            for qualname in dict.fromkeys(calls):
                if qualname.endswith(_COMPLEX):
                    complex_rows.setdefault(qualname[: -len(_COMPLEX)], []).append(row)
                else:
                    found[qualname].append(row)
    return found, complex_rows


def _runs(row: Any, check: str) -> bool:
    from optable import applicable, xfail_reason

    return applicable(row, check) and xfail_reason(row, check) is None


def columns(rows: list, complex_rows: list) -> dict[str, bool]:
    """The table's columns for one function from its rows (and those calling it with complex
    input: the complex column asks that one of them passes the value and derivative checks)."""
    diff = [r for r in rows if not r.nondiff]
    vmap = ("vmap_axis0", "vmap_axis1", "vmap_none")
    return {
        "impl": any(_runs(r, "impl") for r in rows),
        "differentiable": bool(diff),
        "fwd": any(_runs(r, "jvp") for r in diff),
        "rev": any(_runs(r, "vjp") for r in diff),
        "2nd": any(_runs(r, "higher_order") for r in diff),
        "vmap": any(all(_runs(r, c) for c in vmap) for r in rows),
        "jit": any(_runs(r, "jit") for r in rows),
        "tape": any(_runs(r, "tape") for r in rows),
        "complex": any(
            _runs(r, "impl") and (r.nondiff or _runs(r, "jvp") or _runs(r, "vjp"))
            for r in complex_rows
        ),
    }


def measure() -> dict[str, Any]:
    counted, excluded = numpy_callables()
    present = [n for n in counted if _fluxion_function(n) is not None]
    rows, complex_rows = rows_by_function(present, _load_rows())
    table = {n: columns(rows[n], complex_rows.get(n, [])) for n in present if rows[n]}
    return {"counted": counted, "excluded": excluded, "present": present, "table": table,
            "rows": {n: len(rows[n]) for n in present}}


def summary(m: dict[str, Any]) -> dict[str, int]:
    table = m["table"]
    diff = [n for n, c in table.items() if c["differentiable"]]
    return {
        "counted": len(m["counted"]),
        "has": len(table),
        "differentiable": len(diff),
        "diff_fully_checked": sum(
            1 for n in diff if table[n]["fwd"] and table[n]["rev"] and table[n]["2nd"]
        ),
        "defined_without_row": len(m["present"]) - len(table),
        "excluded": len(m["excluded"]),
    }


def render(m: dict[str, Any]) -> str:
    s = summary(m)
    table = m["table"]
    mark = {True: "yes", False: "—"}
    lines = [
        "# NumPy coverage of `fluxion.numpy`",
        "",
        "Generated by `python tools/numpy_coverage.py` (CI fails when this file is stale: "
        "`tests/test_coverage_doc.py`). Do not edit by hand.",
        "",
        f"Measured against NumPy {np.__version__}: public callables of `numpy`, `numpy.linalg` "
        f"and `numpy.fft`, without classes and without the {s['excluded']} I/O, printing, dtype, "
        "datetime, error-state, memory-layout and build utilities listed at the end.",
        "",
        f"- **fluxion has {s['has']} of {s['counted']}** (a function counts when it is defined "
        "and at least one op-table row calls it, so every check below ran on it);",
        f"- {s['differentiable']} are differentiable; {s['diff_fully_checked']} of them pass "
        "forward and reverse mode against central differences and second order;",
        f"- defined but without an op-table row (not counted): {s['defined_without_row']}.",
        "",
        "Columns: **impl** equals NumPy (values, shape, dtype; eager and bound as primitives); "
        "**fwd**/**rev** forward and reverse mode against central differences; **2nd** second "
        "order (`check_grads`, order 2); **vmap** against a Python loop with in_axes 0, 1 and "
        "None; **jit** tier 0 equals eager and traces once; **tape** the compiled sampler's "
        "tape machine runs it (else the sampler uses numba or warns); **complex** a row "
        "calls it with complex input and checks its values and derivatives. `—` under "
        "fwd/rev/2nd of a non-differentiable function: its derivative is exactly zero "
        "(checked) or its inputs are integers.",
        "",
        "| function | rows | differentiable | impl | fwd | rev | 2nd | vmap | jit | tape "
        "| complex |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in m["counted"]:
        if name not in table:
            continue
        c = table[name]
        cells = [mark[c[k]] for k in
                 ("differentiable", "impl", "fwd", "rev", "2nd", "vmap", "jit", "tape", "complex")]
        lines.append(f"| `{name}` | {m['rows'][name]} | " + " | ".join(cells) + " |")
    missing = [n for n in m["counted"] if n not in table]
    lines += ["", f"## Not covered ({len(missing)})", ""]
    lines += [f"- `{n}`" + (" (defined, no op-table row)" if n in m["present"] else "")
              for n in missing] or ["(none)"]
    lines += ["", f"## Excluded ({len(m['excluded'])})", ""]
    lines += [f"- `{n}`: {why}" for n, why in sorted(m["excluded"].items())]
    return "\n".join(lines) + "\n"


def own_section(doc: str) -> str:
    """The part of docs/coverage.md this script writes (before the SciPy section)."""
    i = doc.find(SCIPY_MARKER)
    return doc if i < 0 else doc[:i].rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when docs/coverage.md is stale")
    parser.add_argument("--missing", action="store_true", help="list the uncovered functions")
    opts = parser.parse_args(argv)
    m = measure()
    s = summary(m)
    print(
        f"fluxion.numpy has {s['has']} of {s['counted']} NumPy callables (numpy {np.__version__}); "
        f"{s['differentiable']} differentiable, {s['diff_fully_checked']} of them checked forward, "
        f"reverse and second order; {s['defined_without_row']} defined without an op-table row; "
        f"{s['excluded']} excluded"
    )
    if opts.missing:
        for n in m["counted"]:
            if n not in m["table"]:
                print("  missing:", n, "(defined, no row)" if n in m["present"] else "")
        for n, c in m["table"].items():
            if c["differentiable"] and not (c["fwd"] and c["rev"] and c["2nd"]):
                print("  partial:", n, {k: v for k, v in c.items() if not v})
    text = render(m)
    doc = DOC.read_text() if DOC.exists() else ""
    if opts.check:
        if own_section(doc) != text:
            print(f"{DOC.relative_to(ROOT)} is stale: run python tools/numpy_coverage.py")
            return 1
        return 0
    scipy_part = doc[doc.find(SCIPY_MARKER):] if SCIPY_MARKER in doc else ""
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text + ("\n" + scipy_part if scipy_part else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
