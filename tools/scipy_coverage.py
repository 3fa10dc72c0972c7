"""Measure fluxion.scipy against the SciPy functions of issue 14 and write the SciPy section of
``docs/coverage.md``.

Usage::

    python tools/scipy_coverage.py             # print the counts, rewrite the SciPy section
    python tools/scipy_coverage.py --missing   # also list what is missing or only partly checked
    python tools/scipy_coverage.py --check     # exit 1 when the SciPy section is stale (CI)

What is counted: the functions issue 14 lists for ``scipy.special``, ``scipy.linalg``,
``scipy.integrate`` and ``scipy.signal`` (hard-coded below, with the module each belongs to),
and for ``scipy.stats`` every (family, method) pair of the issue's families and methods that
SciPy itself defines (``norm.logpdf``, ``poisson.logpmf``, ``dirichlet.entropy`` ...).

What "has" means, as for NumPy (``tools/numpy_coverage.py``): ``fluxion.scipy.<module>`` defines
the name AND at least one op-table row calls it. Calls are observed, not declared: while each row
runs once, the public functions are replaced by recording wrappers wherever the rows can reach
them (the public modules' attributes, the rows modules' globals, and the closures of the rows'
functions); a stats family is replaced by a proxy that records ``norm.logpdf(...)`` and the
methods of frozen distributions (``norm(loc, scale).logpdf(x)``). A module or name that does not
exist yet counts as missing.

Per function the columns come from its rows, as in the NumPy table (a column counts when one
row runs the check without a known-defect mark): **impl** (values against SciPy), **fwd**,
**rev**, **2nd**, **vmap**, **jit**, **tape**. The values' agreement is measured, not taken from
the rows' tolerances: the largest relative difference from SciPy over every row's inputs (eager
and bound as primitives), printed rounded up to a power of ten (``0``: bit-identical). A row
whose reference is tighter than SciPy's own value names it (its ``ref.reference``), and the cell
says "vs" that reference.

Which arguments are differentiated is observed too: each row's function runs once more under
``fluxion.jvp`` in its floating-point inputs, and the arguments that reach the SciPy function
as tracers are the perturbed ones. An argument is *continuous* when some row passes it a
floating-point value (a Python float constant like a fixed Bessel order counts; an integer
array or a Python int does not). A function is "differentiable in every continuous argument"
when each continuous argument is perturbed by rows that pass forward, reverse and second order.
For a continuous argument no row perturbs, the script asks ``fluxion.jvp`` for its derivative
at a point a row used and prints the error it raises (the documented reason), or says that the
derivative exists but no row checks it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import importlib.util
import inspect
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "coverage.md"
# docs/coverage.md: tools/numpy_coverage.py owns the text before this line, this script the rest
MARKER = "<!-- scipy_coverage.py writes from here to the end -->"  # = numpy_coverage.SCIPY_MARKER

# Issue 14, "Build", items 1, 3, 4, 5 (item 2, stats, is below).
TARGETS: dict[str, tuple[str, ...]] = {
    "special": tuple(
        "gamma gammaln loggamma rgamma gammasgn digamma polygamma multigammaln beta betaln "
        "betainc betaincc betaincinv betainccinv gammainc gammaincc gammaincinv gammainccinv "
        "erf erfc erfinv erfcinv erfcx dawsn ndtr log_ndtr ndtri ndtri_exp expit logit "
        "log_expit logsumexp softmax log_softmax xlogy xlog1py entr rel_entr kl_div huber "
        "pseudo_huber i0 i0e i1 i1e iv ive kv kve k0 k0e k1 k1e jv j0 j1 yv y0 y1 zeta expi "
        "exp1 expn lambertw owens_t boxcox boxcox1p inv_boxcox sinc factorial comb poch hyp1f1 "
        "hyp2f1 spence sici fresnel wofz".split()
    ),
    "linalg": tuple(
        "solve inv det cholesky cho_factor cho_solve solve_triangular lu lu_factor lu_solve qr "
        "svd eigh eigvalsh schur expm expm_frechet logm sqrtm funm polar block_diag toeplitz "
        "circulant hankel solve_sylvester solve_continuous_lyapunov solve_discrete_lyapunov "
        "solve_banded pinv lstsq".split()
    ),
    "integrate": tuple(
        "odeint solve_ivp trapezoid simpson cumulative_trapezoid quad quad_vec".split()
    ),
    # "windows": the window functions of scipy.signal.windows that models use
    "signal": tuple(
        "convolve correlate fftconvolve oaconvolve convolve2d correlate2d lfilter sosfilt "
        "savgol_filter get_window windows.hann windows.hamming windows.blackman "
        "windows.kaiser windows.gaussian windows.tukey".split()
    ),
}

STATS_FAMILIES = tuple(
    "norm t cauchy laplace logistic gumbel_r gumbel_l gamma invgamma beta expon uniform lognorm "
    "chi2 chi weibull_min pareto vonmises truncnorm halfnorm halfcauchy rayleigh skewnorm "
    "gennorm genextreme poisson binom nbinom geom bernoulli betabinom hypergeom randint zipf "
    "multivariate_normal multivariate_t dirichlet multinomial wishart invwishart".split()
)
STATS_METHODS = tuple(
    "logpdf pdf logpmf pmf cdf logcdf sf logsf ppf isf mean var std entropy".split()
)
MODULES = ("special", "stats", "linalg", "integrate", "signal")


def _numpy_tool() -> Any:
    name = "numpy_coverage"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# --------------------------------------------------------------------------- the targets


def stats_targets() -> list[str]:
    """``family.method`` for the issue's families and methods that SciPy defines."""
    import scipy.stats as st

    out = []
    for family in STATS_FAMILIES:
        dist = getattr(st, family)
        for method in STATS_METHODS:
            if method in ("logpdf", "pdf") and isinstance(dist, st.rv_discrete):
                continue
            if method in ("logpmf", "pmf") and isinstance(dist, st.rv_continuous):
                continue
            if callable(getattr(dist, method, None)):
                out.append(f"{family}.{method}")
    return out


def targets() -> list[str]:
    """Every counted name, qualified by its module: ``special.gammainc``, ``stats.norm.cdf``."""
    out = []
    for module in MODULES:
        names = stats_targets() if module == "stats" else TARGETS[module]
        out += [f"{module}.{n}" for n in names]
    return out


def _public_module(module: str) -> Any:
    try:
        return importlib.import_module(f"fluxion.scipy.{module}")
    except ImportError:
        return None


def fluxion_object(qualname: str) -> Any:
    """The fluxion function (or stats family) for a qualified name; None when it is missing."""
    module, _, rest = qualname.partition(".")
    obj = _public_module(module)
    for part in rest.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj if callable(obj) else None


# --------------------------------------------------------------------------- observing calls


class _Recorder:
    """What the wrappers see while one row runs: per qualified name, the calls' parameters."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []  # (qualname, param -> kind)
        self.samples: dict[str, tuple[Callable, dict[str, Any], list[str]]] = {}

    def record(self, qualname: str, params: dict[str, Any], fn: Callable, order: list[str]):
        kinds = {name: _kind(value) for name, value in params.items()}
        self.calls.append((qualname, kinds))
        if qualname not in self.samples and not any(k == "traced" for k in kinds.values()):
            self.samples[qualname] = (fn, params, order)


def _kind(value: Any) -> str:
    """'traced', 'complex', 'float' or 'other' for an argument's leaves."""
    from fluxion._src.core import Tracer
    from fluxion._src.tree_util import tree_flatten

    leaves = tree_flatten(value)[0] if value is not None else []
    if any(isinstance(x, Tracer) for x in leaves):
        return "traced"
    kinds = set()
    for x in leaves:
        if isinstance(x, bool) or callable(x) or isinstance(x, str):
            continue
        if type(x) in (float, complex):
            kinds.add(np.dtype(type(x)).kind)
        elif getattr(x, "dtype", None) is not None:
            kinds.add(np.dtype(x.dtype).kind)
    if "c" in kinds:
        return "complex"
    return "float" if "f" in kinds else "other"


def _bind(fn: Callable, names: list[str] | None, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Argument name -> value for one call (positional names from ``names`` when given)."""
    if names is None:
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
        except (TypeError, ValueError):
            bound = None
        if bound is not None:
            out = {}
            for name, value in bound.arguments.items():
                kind = bound.signature.parameters[name].kind
                if kind is inspect.Parameter.VAR_POSITIONAL:
                    out.update({f"{name}[{i}]": v for i, v in enumerate(value)})
                elif kind is inspect.Parameter.VAR_KEYWORD:
                    out.update(value)
                else:
                    out[name] = value
            return out
        names = []
    out = {(names[i] if i < len(names) else f"arg{i}"): v for i, v in enumerate(args)}
    out.update(kwargs)
    return out


def _wrap(qualname: str, fn: Callable, rec: _Recorder, names: list[str] | None = None,
          frozen: dict[str, Any] | None = None) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        params = _bind(fn, names, args, kwargs)
        rec.record(qualname, {**(frozen or {}), **params}, fn, list(params))
        return fn(*args, **kwargs)

    with contextlib.suppress(AttributeError, TypeError):
        functools.update_wrapper(wrapper, fn)
    wrapper.__fluxion_coverage_original__ = fn  # type: ignore[attr-defined]
    return wrapper


def _stats_names(family: str, method: str | None) -> list[str] | None:
    """SciPy's argument names for ``family.method`` (``None``: the freezing call)."""
    import scipy.stats as st

    dist = getattr(st, family)
    if isinstance(dist, (st.rv_continuous, st.rv_discrete)):
        shapes = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
        params = shapes + (["loc", "scale"] if isinstance(dist, st.rv_continuous) else ["loc"])
        if method in ("mean", "var", "std", "entropy", None):
            return params
        return (["q"] if method in ("ppf", "isf") else ["x"]) + params
    target = getattr(dist, method) if method else dist.__call__
    with contextlib.suppress(TypeError, ValueError):
        return [n for n in inspect.signature(target).parameters if n not in ("self", "seed")]
    return None


class _StatsProxy:
    """Stands for a fluxion stats family (or one of its frozen distributions) and records the
    issue's methods called on it."""

    def __init__(self, target: Any, family: str, rec: _Recorder,
                 frozen: dict[str, Any] | None = None) -> None:
        self._target, self._family, self._rec, self._frozen = target, family, rec, frozen

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name in STATS_METHODS and callable(attr):
            names = _stats_names(self._family, name)
            if self._frozen is not None and names:
                names = names[:1] if name not in ("mean", "var", "std", "entropy") else []
            return _wrap(f"stats.{self._family}.{name}", attr, self._rec, names, self._frozen)
        return attr

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frozen = self._target(*args, **kwargs)
        params = _bind(self._target, _stats_names(self._family, None), args, kwargs)
        return _StatsProxy(frozen, self._family, self._rec, params)


@contextlib.contextmanager
def _recording(names: list[str], rows: list) -> Iterator[_Recorder]:
    """Replace every present target wherever the rows reach it; restore on exit."""
    rec = _Recorder()
    replacement: dict[int, Any] = {}
    families: dict[int, str] = {}
    for qualname in names:
        obj = fluxion_object(qualname)
        if obj is None:
            continue
        module, _, rest = qualname.partition(".")
        if module == "stats":
            family, _, _ = rest.partition(".")
            obj = fluxion_object(f"stats.{family}")
            if id(obj) not in replacement:
                replacement[id(obj)] = _StatsProxy(obj, family, rec)
                families[id(obj)] = family
        elif id(obj) not in replacement:
            replacement[id(obj)] = _wrap(qualname, obj, rec)
    saved: list[Callable[[], None]] = []

    def swap(value: Any) -> Any:
        new = replacement.get(id(value))
        if new is not None:
            return new
        owner = getattr(value, "__self__", None)  # a bound method of a stats family
        if owner is not None and id(owner) in families:
            name = getattr(value, "__name__", "")
            if name in STATS_METHODS:
                return getattr(replacement[id(owner)], name)
        return None

    def patch_namespace(namespace: Any) -> None:
        items = vars(namespace) if not isinstance(namespace, dict) else namespace
        for key, value in list(items.items()):
            new = swap(value)
            if new is not None:
                saved.append(functools.partial(_setitem, namespace, key, value))
                _setitem(namespace, key, new)

    def patch_closure(fn: Any, seen: set[int]) -> None:
        if id(fn) in seen:
            return
        seen.add(id(fn))
        if isinstance(fn, functools.partial):
            patch_closure(fn.func, seen)
            return
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            new = swap(value)
            if new is not None:
                saved.append(functools.partial(setattr, cell, "cell_contents", value))
                cell.cell_contents = new
            elif inspect.isfunction(value) or isinstance(value, functools.partial):
                patch_closure(value, seen)

    for module in MODULES:
        public = _public_module(module)
        if public is not None:
            patch_namespace(public)
            with contextlib.suppress(AttributeError):
                patch_namespace(public.windows)
    for name, module in list(sys.modules.items()):
        if name.startswith("optable.rows_"):
            patch_namespace(module)
    seen: set[int] = set()
    for row in rows:
        new = swap(row.fn)  # the row's function is the public function itself
        if new is not None:
            saved.append(functools.partial(setattr, row, "fn", row.fn))
            row.fn = new
        else:
            patch_closure(row.fn, seen)
    try:
        yield rec
    finally:
        for undo in reversed(saved):
            undo()


def _setitem(namespace: Any, key: str, value: Any) -> None:
    if isinstance(namespace, dict):
        namespace[key] = value
    else:
        setattr(namespace, key, value)


def _run_row(row: Any, under_jvp: bool) -> None:
    from optable import _restrict, make_args

    import fluxion

    args = make_args(row)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            if not under_jvp:
                row.fn(*args)
                return
            f, float_args = _restrict(row.fn, args)
            tangents = tuple(_ones_like(x) for x in float_args)
            fluxion.jvp(f, float_args, tangents)
        except Exception:  # noqa: BLE001 - a failing row fails in the op table itself
            pass


def _ones_like(x: Any) -> Any:
    if type(x) in (float, complex):
        return type(x)(1.0)
    return np.ones(np.shape(x), dtype=np.asarray(x).dtype)


def observe(names: list[str], rows: list) -> dict[str, list[dict[str, Any]]]:
    """qualified name -> one entry per row calling it: the row, the kinds of the arguments it
    passes (from a plain run), the arguments perturbed under jvp, and a sample call."""
    from optable import _has_float_args

    found: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    with _recording(names, rows) as rec:
        for row in rows:
            rec.calls.clear()
            _run_row(row, under_jvp=False)
            plain = list(rec.calls)
            if not plain:
                continue
            perturbed: dict[str, set[str]] = {}
            if not row.nondiff and _has_float_args(row):
                rec.calls.clear()
                _run_row(row, under_jvp=True)
                for qualname, kinds in rec.calls:
                    perturbed.setdefault(qualname, set()).update(
                        p for p, k in kinds.items() if k == "traced")
            for qualname in dict.fromkeys(q for q, _ in plain):
                if qualname not in found:
                    continue
                kinds: dict[str, set[str]] = {}
                for q, call in plain:
                    if q == qualname:
                        for p, k in call.items():
                            kinds.setdefault(p, set()).add(k)
                found[qualname].append({
                    "row": row,
                    "kinds": kinds,
                    "perturbed": perturbed.get(qualname, set()),
                })
        samples = dict(rec.samples)
    for qualname, entries in found.items():
        if entries and qualname in samples:
            entries[0]["sample"] = samples[qualname]
    return found


# --------------------------------------------------------------------------- the columns


def _runs(row: Any, check: str) -> bool:
    return _numpy_tool()._runs(row, check)


def _probe(sample: tuple | None, param: str) -> str:
    """Why ``param`` is not differentiated: the error fluxion raises for its derivative."""
    import fluxion

    if sample is None or param not in sample[1]:
        return "no row perturbs it"
    fn, params, order = sample
    value = params[param]

    def along(x: Any) -> Any:
        call = dict(params, **{param: x})
        positional = [call[p] for p in order if p in call and _positional(fn, p)]
        keywords = {p: call[p] for p in order if p in call and not _positional(fn, p)}
        return fn(*positional, **keywords)

    try:
        x = np.asarray(value, dtype=float) if np.isrealobj(value) else np.asarray(value)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fluxion.jvp(along, (x,), (np.ones_like(x),))
    except Exception as exc:  # noqa: BLE001 - the error is the reason we report
        text = " ".join(str(exc).split()).split("; ")[0]
        text = text[:100] + "..." if len(text) > 100 else text
        return f"not differentiable ({type(exc).__name__}: {text})"
    return "its derivative runs, but no row perturbs it"


def _positional(fn: Callable, param: str) -> bool:
    try:
        p = inspect.signature(fn).parameters.get(param)
    except (TypeError, ValueError):
        return True
    return p is None or p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)


def value_error(row: Any) -> float | None:
    """The largest relative difference between the row's values and SciPy's (eager and bound as
    primitives); elements where SciPy gives 0 count their absolute difference, and non-finite
    values must match exactly. ``None`` when the comparison cannot be made."""
    from optable import _leaves, _run_bound, make_args

    args = make_args(row)
    worst = 0.0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            want = _leaves(row.ref(*args))
            for got in (_leaves(row.fn(*args)), _leaves(_run_bound(row.fn, args))):
                for g, w in zip(got, want, strict=True):
                    g, w = np.asarray(g), np.asarray(w)
                    if g.dtype.kind not in "fc" or w.dtype.kind not in "fc":
                        worst = max(worst, 0.0 if np.array_equal(g, w) else np.inf)
                        continue
                    finite = np.isfinite(w)
                    if not np.array_equal(np.isfinite(g), finite) or not np.array_equal(
                            g[~finite], w[~finite], equal_nan=True):
                        return np.inf
                    diff = np.abs(g[finite] - w[finite])
                    scale = np.abs(w[finite])
                    rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), diff)
                    worst = max(worst, float(rel.max(initial=0.0)))
        except Exception:  # noqa: BLE001 - a failing row fails in the op table itself
            return None
    return worst


# the measured value errors are printed rounded up to these bounds (stable across machines)
_BOUNDS = (0.0, 1e-15, 1e-14, 1e-13, 1e-12, 1e-10, 1e-8, 1e-6)


def _bound(err: float | None) -> float | None:
    if err is None:
        return None
    return next((b for b in _BOUNDS if err <= b), np.inf)


# Floats that set a solver's accuracy, not the mathematical value: the result is the same
# function of the other arguments to within them, so a derivative in them has no meaning.
_SOLVER_SETTINGS = frozenset({"rtol", "atol", "epsabs", "epsrel"})


def columns(entries: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [e["row"] for e in entries]
    diff = [e for e in entries if not e["row"].nondiff]
    vmap = ("vmap_axis0", "vmap_axis1", "vmap_none")
    impl_rows = [r for r in rows if _runs(r, "impl")]
    continuous = [p for p in dict.fromkeys(  # in the order of the function's signature
        [p for e in diff for p, ks in e["kinds"].items() if ks & {"float", "complex", "traced"}]
        + [p for e in diff for p in sorted(e["perturbed"])]) if p not in _SOLVER_SETTINGS]
    args: dict[str, str] = {}
    for p in continuous:
        by = [e["row"] for e in diff if p in e["perturbed"]]
        ok = {c: any(_runs(r, c) for r in by) for c in ("jvp", "vjp", "higher_order")}
        if all(ok.values()):
            args[p] = "checked"
        elif by:
            missing = [c for c, v in ok.items() if not v]
            reasons = sorted({_xfail(r, c) or _not_run(r, c) for r in by for c in missing})
            short = {"jvp": "fwd", "vjp": "rev", "higher_order": "2nd"}
            args[p] = (f"no {', '.join(short[c] for c in missing)} ({'; '.join(reasons)})")
        else:
            sample = next((e.get("sample") for e in entries if e.get("sample")), None)
            args[p] = _probe(sample, p)
    return {
        "rows": len(rows),
        "impl": bool(impl_rows),
        "rtol": max((r.rtol for r in impl_rows), default=None),
        "error": max((e for e in (_bound(value_error(r)) for r in impl_rows) if e is not None),
                     default=None),
        # a row whose reference is not SciPy's function says against what (``ref.reference``)
        "against": sorted({getattr(r.ref, "reference", "") for r in impl_rows} - {""}),
        "differentiable": bool(diff),
        "fwd": any(_runs(e["row"], "jvp") for e in diff),
        "rev": any(_runs(e["row"], "vjp") for e in diff),
        "2nd": any(_runs(e["row"], "higher_order") for e in diff),
        "vmap": any(all(_runs(r, c) for c in vmap) for r in rows),
        "jit": any(_runs(r, "jit") for r in rows),
        "tape": any(_runs(r, "tape") for r in rows),
        "args": args,
        "all_args": bool(diff) and all(v == "checked" for v in args.values()),
    }


def _not_run(row: Any, check: str) -> str:
    if check == "higher_order" and row.order < 2:
        return "its rows stop at first order"
    return f"its rows' modes are {row.modes}"


def _xfail(row: Any, check: str) -> str | None:
    from optable import xfail_reason

    return xfail_reason(row, check)


def measure() -> dict[str, Any]:
    names = targets()
    present = [n for n in names if fluxion_object(n) is not None]
    found = observe(present, _numpy_tool()._load_rows())
    table = {n: columns(found[n]) for n in present if found[n]}
    return {"targets": names, "present": present, "table": table}


def summary(m: dict[str, Any]) -> dict[str, dict[str, int]]:
    out = {}
    for module in MODULES:
        names = [n for n in m["targets"] if n.startswith(module + ".")]
        rows = {n: m["table"][n] for n in names if n in m["table"]}
        diff = [c for c in rows.values() if c["differentiable"]]
        out[module] = {
            "targets": len(names),
            "present": sum(1 for n in names if n in m["present"]),
            "has": len(rows),
            "exact": sum(1 for c in rows.values()
                         if c["error"] is not None and c["error"] <= 1e-12),
            "differentiable": len(diff),
            "fwd_rev_2nd": sum(1 for c in diff if c["fwd"] and c["rev"] and c["2nd"]),
            "all_args": sum(1 for c in diff if c["all_args"]),
        }
    return out


def count_line(s: dict[str, dict[str, int]]) -> str:
    """The counts as the README states them."""
    parts = []
    for module in MODULES:
        c = s[module]
        what = "family methods" if module == "stats" else "functions"
        parts.append(f"`scipy.{module}` {c['has']} of {c['targets']} {what}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- the document


def render(m: dict[str, Any]) -> str:
    import scipy

    s = summary(m)
    lines = [
        MARKER,
        "",
        "# SciPy coverage of `fluxion.scipy`",
        "",
        "Generated by `python tools/scipy_coverage.py` (CI fails when this section is stale: "
        "`tests/test_coverage_doc.py`). Do not edit by hand.",
        "",
        f"Measured against SciPy {scipy.__version__} over the functions issue 14 lists "
        "(`scipy.stats`: each family x method that SciPy defines). A function counts when "
        "`fluxion.scipy` defines it and at least one op-table row calls it.",
        "",
        f"Counts: {count_line(s)}.",
        "",
    ]
    for module in MODULES:
        c = s[module]
        lines.append(
            f"- `scipy.{module}`: **{c['has']} of {c['targets']}** with rows ({c['present']} "
            f"defined); values to 1e-12 relative: {c['exact']}; differentiable: "
            f"{c['differentiable']}, forward, reverse and second order: {c['fwd_rev_2nd']}, "
            f"in every continuous argument: {c['all_args']}."
        )
    lines += [
        "",
        "Columns as in the NumPy table; **values** the largest relative difference from "
        "SciPy measured over the rows' inputs, rounded up to a power of ten (`0`: identical; "
        "`—`: no value check; \"vs quadrature\": against a reference tighter than SciPy's own "
        "value, e.g. `vonmises.var`, where SciPy integrates its quantile function to about "
        "1e-8); **arguments** the continuous arguments (those rows pass "
        "floating-point values) and whether rows perturb each with forward, reverse and "
        "second order passing (`ok`), or why not (the error fluxion raises for that "
        "derivative, or the checks a row marks as a known defect). `missing`: not in "
        "`fluxion.scipy`; `no row`: defined but no op-table row calls it.",
    ]
    lines += _stats_grid(m)
    for module in MODULES:
        if module == "stats":
            continue
        lines += ["", f"## scipy.{module}", "",
                  "| function | rows | values | fwd | rev | 2nd | vmap | jit | tape "
                  "| arguments |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for name in m["targets"]:
            if not name.startswith(module + "."):
                continue
            short = name[len(module) + 1:]
            c = m["table"].get(name)
            if c is None:
                state = "no row" if name in m["present"] else "missing"
                lines.append(f"| `{short}` | {state} |  |  |  |  |  |  |  |  |")
                continue
            lines.append(_table_line(short, c))
    return "\n".join(lines) + "\n"


def _stats_grid(m: dict[str, Any]) -> list[str]:
    """``scipy.stats`` as a family x method grid, then the details of the covered pairs."""
    methods = [mt for mt in STATS_METHODS
               if any(n.endswith("." + mt) for n in m["targets"] if n.startswith("stats."))]
    lines = ["", "## scipy.stats", "",
             "Cells: `ok` a row checks the values and forward, reverse and second order in "
             "every continuous argument; `part` a row calls it, some check or argument is "
             "missing (details below); `def` defined, no row; `·` missing; empty: SciPy has "
             "no such method.", "",
             "| family | " + " | ".join(methods) + " |",
             "|---|" + "---|" * len(methods)]
    details = []
    for family in STATS_FAMILIES:
        cells = []
        for mt in methods:
            name = f"stats.{family}.{mt}"
            c = m["table"].get(name)
            if name not in m["targets"]:
                cells.append("")
            elif c is None:
                cells.append("def" if name in m["present"] else "·")
            else:
                full = c["impl"] and c["all_args"] and c["vmap"] and c["jit"]
                cells.append("ok" if full else "part")
                details.append((name, c))
        lines.append(f"| `{family}` | " + " | ".join(cells) + " |")
    if details:
        lines += ["", "| function | rows | values | fwd | rev | 2nd | vmap | jit | tape "
                  "| arguments |", "|---|---|---|---|---|---|---|---|---|---|"]
        lines += [_table_line(name[len("stats."):], c) for name, c in details]
    return lines


def _table_line(short: str, c: dict[str, Any]) -> str:
    mark = {True: "yes", False: "—"}
    impl = _fmt_error(c["error"]) if c["impl"] else "—"
    if c["impl"] and c.get("against"):
        impl += " (vs " + ", ".join(c["against"]) + ")"
    diff = [mark[c[k] and c["differentiable"]] for k in ("fwd", "rev", "2nd")]
    args = ", ".join(
        f"{p}: ok" if v == "checked" else f"{p}: {v}" for p, v in c["args"].items()
    ) or ("not differentiable" if not c["differentiable"] else "")
    cells = [str(c["rows"]), impl, *diff,
             *(mark[c[k]] for k in ("vmap", "jit", "tape")), args.replace("|", "/")]
    return f"| `{short}` | " + " | ".join(cells) + " |"


def _fmt_error(err: float | None) -> str:
    if err is None:
        return "?"
    return "0" if err == 0 else ("> 1e-06" if not np.isfinite(err) else f"{err:.0e}")


def own_section(doc: str) -> str:
    """The part of docs/coverage.md this script writes (from MARKER to the end)."""
    i = doc.find(MARKER)
    return doc[i:] if i >= 0 else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the section is stale")
    parser.add_argument("--missing", action="store_true", help="list what is missing or partial")
    opts = parser.parse_args(argv)
    m = measure()
    s = summary(m)
    print(f"fluxion.scipy (issue 14 lists): {count_line(s)}")
    for module in MODULES:
        c = s[module]
        print(f"  scipy.{module}: {c['has']} of {c['targets']} with rows, {c['present']} "
              f"defined; values to 1e-12: {c['exact']}; differentiable {c['differentiable']}, "
              f"fwd+rev+2nd {c['fwd_rev_2nd']}, every continuous argument {c['all_args']}")
    if opts.missing:
        for n in m["targets"]:
            if n not in m["table"]:
                print("  missing:", n, "(defined, no row)" if n in m["present"] else "")
        for n, c in m["table"].items():
            gaps = {p: v for p, v in c["args"].items() if v != "checked"}
            cols = [k for k in ("impl", "fwd", "rev", "2nd", "vmap", "jit", "tape")
                    if not c[k] and (c["differentiable"] or k not in ("fwd", "rev", "2nd"))]
            loose = c["error"] is not None and c["error"] > 1e-12
            if gaps or cols or loose:
                print("  partial:", n, *(["no " + ", ".join(cols)] if cols else []),
                      *([f"values to {_fmt_error(c['error'])}"] if loose else []), gaps or "")
    text = render(m)
    doc = DOC.read_text() if DOC.exists() else ""
    if opts.check:
        if own_section(doc) != text:
            print(f"{DOC.relative_to(ROOT)} (SciPy section) is stale: run "
                  "python tools/scipy_coverage.py")
            return 1
        return 0
    head = doc[: doc.find(MARKER)] if MARKER in doc else doc
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(head.rstrip("\n") + "\n\n" + text if head.strip() else text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
