"""Jit benchmark: steady-state jitted value-and-gradient and first-call latency.

The model is the line fit with prior of ``benchmarks/grad_overhead.py`` (seed 002), imported
from there unchanged: data from ``make_data(N)``, ``theta = (m, b, log_s)`` and ::

    s = exp(log_s)
    log_prob(theta) = -0.5*sum(((y - m*x - b)/s)**2 + log(2*pi*s**2)) - 1.5*log(1 + m**2)

Part 1 times one value-and-gradient call at ``theta = (-0.4, 0.03, log(0.1))``, in one
process, for N = 50, 10^4 and 10^6 (float64 throughout):

* ``fluxion t0`` -- ``fluxion.jit(fluxion.value_and_grad(log_prob), tier=0)``: tier 0
  (generated NumPy source, the tier right after the first call), pinned so that it is not
  promoted while being timed (plain ``jit`` where ``tier=`` is not accepted);
* ``fluxion t1`` -- the same after ``.compile(tier=1)`` (numba); skipped with
  "tier 1 unavailable: <reason>" when that method is missing, raises, or leaves ``.tier``
  at another value;
* ``jax jit`` -- ``jax.jit(jax.value_and_grad(log_prob))`` with ``block_until_ready``;
* ``numba loop`` -- hand-written ``@numba.njit(fastmath=False)`` kernel: ONE sequential loop
  over the data accumulating ``sum r**2``, ``sum r*x`` and ``sum r`` (``r = y - m*x - b``),
  then the value and the three gradient components in closed form. This is the practical
  floor the goals refer to;
* ``numba reassoc`` -- the same kernel with ``fastmath={"reassoc"}`` only: the three sums may
  be reassociated (SIMD partial sums, as NumPy's pairwise sums and BLAS do), so LLVM
  vectorizes the single pass; the memory-bandwidth floor at large N;
* ``numba numpy`` -- vectorized NumPy inside ``njit``: ``r = y - m*x - b`` as one fused array
  expression (one temporary), then ``r @ r``, ``r @ x`` and ``r.sum()``;
* ``numpy (hand)`` -- hand-written NumPy value and analytic gradient (the reference);
* ``fluxion eager`` and ``autograd`` -- un-jitted ``value_and_grad``, for context.

Before any timing, every row's value and gradient must match ``numpy (hand)`` to 1e-10
relative (infinity norm), or the script exits with an error. Ratios printed: fluxion rows over
``jax jit``, over ``numba loop`` and over the fastest numba row.

Part 2 measures the first call of a NEW function in a FRESH process: for each case a child
``python -c`` process imports its framework (timed separately), builds the N = 50 function and
times only the first call with ``time.perf_counter``. Cases: fluxion jit first call (trace,
tier-0 compile, run); fluxion ``compile(tier=1)`` (after the first call) with an empty numba
cache (``NUMBA_CACHE_DIR`` and ``fluxion.config.cache_dir`` set to a new temporary directory)
and again in a second fresh process reusing that directory (numba's disk cache); ``jax.jit``
first call (trace, XLA compile, run; the CPU backend is started during "import"); the
``numba loop`` kernel's first call (type inference and LLVM compile, no cache). Each case runs
``--first-call-repeats`` times (default 3) and the median is reported.

A peer whose package is missing is skipped with a printed note.

Usage
-----
::

    python benchmarks/jit.py                       # full run
    python benchmarks/jit.py --quick               # smoke test, seconds
    python benchmarks/jit.py --sizes 50 1e6 --repeats 9 --json out.json --no-first-call

Notes
-----
Timing is that of ``grad_overhead.py`` (its ``time_per_call``): garbage collection off, the
loop sized so that one repeat takes about 0.2 s, the median over repeats of the per-call time;
"spread" is (max - min) / median. Results may be reused buffers (tier 0 reuses memory across
calls), so every check converts them right after the call.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable

import numpy as np
from grad_overhead import (
    FLOOR,
    RTOL,
    THETA0,
    ValueAndGrad,
    _as_numpy,
    check_agreement,
    machine_info,
    make_data,
    make_floor,
    make_log_prob,
    setup_autograd,
    setup_fluxion,
    setup_jax_jit,
    time_per_call,
)

os.environ.setdefault("JAX_PLATFORMS", "cpu")

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SIZES = (50, 10_000, 1_000_000)
LOG_2PI = float(np.log(2 * np.pi))

T0, T1 = "fluxion t0", "fluxion t1"
JAX = "jax jit"
NB_LOOP, NB_REASSOC, NB_NUMPY = "numba loop", "numba reassoc", "numba numpy"
NUMBA_ROWS = (NB_LOOP, NB_REASSOC, NB_NUMPY)
FLUXION_ROWS = (T0, T1)


# ----------------------------------------------------------------------- numba kernels
# Plain Python here (self-contained: numba compiles only them); ``numba.njit`` is
# applied where they are used, so a child process can compile a new dispatcher from the source.


def loop_kernel(theta, x, y):
    """One sequential pass: the three sums, then value and gradient in closed form."""
    m, b, log_s = theta[0], theta[1], theta[2]
    n = x.size
    srr = 0.0
    srx = 0.0
    sr = 0.0
    for i in range(n):
        r = y[i] - m * x[i] - b
        srr += r * r
        srx += r * x[i]
        sr += r
    inv_s2 = np.exp(-2.0 * log_s)
    value = -0.5 * (srr * inv_s2 + n * LOG_2PI + 2.0 * n * log_s) - 1.5 * np.log1p(m * m)
    grad = np.empty(3)
    grad[0] = srx * inv_s2 - 3.0 * m / (1.0 + m * m)
    grad[1] = sr * inv_s2
    grad[2] = srr * inv_s2 - n
    return value, grad


def numpy_kernel(theta, x, y):
    """Vectorized NumPy inside numba: one fused temporary ``r``, then three reductions."""
    m, b, log_s = theta[0], theta[1], theta[2]
    n = x.size
    r = y - m * x - b
    srr = np.dot(r, r)
    srx = np.dot(r, x)
    sr = r.sum()
    inv_s2 = np.exp(-2.0 * log_s)
    value = -0.5 * (srr * inv_s2 + n * LOG_2PI + 2.0 * n * log_s) - 1.5 * np.log1p(m * m)
    grad = np.empty(3)
    grad[0] = srx * inv_s2 - 3.0 * m / (1.0 + m * m)
    grad[1] = sr * inv_s2
    grad[2] = srr * inv_s2 - n
    return value, grad


# -------------------------------------------------------------------------- variants
# Each ``setup_*`` returns a factory ``(x, y) -> value_and_grad(theta)`` or raises.


class TierUnavailable(Exception):
    """Tier 1 cannot be used here (reason in the message)."""


def _fluxion_jit(tier: int) -> Callable[[np.ndarray, np.ndarray], ValueAndGrad]:
    import fluxion
    import fluxion.numpy as fnp

    if not hasattr(fluxion, "jit"):
        raise ImportError("fluxion has no jit yet")

    def factory(x, y):
        value_and_grad = fluxion.value_and_grad(make_log_prob(fnp, x, y))
        try:  # pin tier 0 (no promotion while timing) where jit takes ``tier``
            f = fluxion.jit(value_and_grad, tier=0) if tier == 0 else fluxion.jit(value_and_grad)
        except TypeError:
            f = fluxion.jit(value_and_grad)
        f(THETA0.copy())  # first call: trace and tier-0 compile
        if tier == 1:
            compile_ = getattr(f, "compile", None)
            if compile_ is None:
                raise TierUnavailable("fluxion.jit(...) has no .compile method")
            try:
                compile_(tier=1)
            except Exception as exc:  # noqa: BLE001 -- numba missing, or tier 1 being written
                raise TierUnavailable(
                    f"compile(tier=1) raised {type(exc).__name__}: {exc}"
                ) from exc
            active = getattr(f, "tier", None)
            if active is not None and active != 1:
                raise TierUnavailable(f"compile(tier=1) returned but .tier == {active!r}")
        f.bench_tier = tier
        return f

    return factory


def _numba(
    kernel: Callable, fastmath: bool | set[str] = False
) -> Callable[[], Callable[[np.ndarray, np.ndarray], ValueAndGrad]]:
    def setup():
        import numba

        compiled = numba.njit(fastmath=fastmath)(kernel)

        def factory(x, y):
            return lambda theta: compiled(theta, x, y)

        return factory

    return setup


VARIANTS = {
    FLOOR: lambda: make_floor,
    T0: lambda: _fluxion_jit(0),
    T1: lambda: _fluxion_jit(1),
    JAX: setup_jax_jit,
    NB_LOOP: _numba(loop_kernel),
    NB_REASSOC: _numba(loop_kernel, fastmath={"reassoc"}),
    NB_NUMPY: _numba(numpy_kernel),
    "fluxion eager": setup_fluxion,
    "autograd": setup_autograd,
}


def load_variants() -> dict[str, Callable]:
    """Set up every variant that can be used here; print a note for each skipped one."""
    loaded = {}
    for name, setup in VARIANTS.items():
        try:
            loaded[name] = setup()
        except Exception as exc:  # noqa: BLE001 -- missing, or a fluxion still being written
            print(f"note: skipping {name!r}: {type(exc).__name__}: {exc}")
    return loaded


def build_and_check(variants: dict, sizes: list[int]) -> list[tuple[str, int, ValueAndGrad]]:
    """Build every (variant, N) callable and check it against the floor, before any timing."""
    cases = []
    for n in sizes:
        x, y = make_data(n)
        want = _as_numpy(*make_floor(x, y)(THETA0.copy()))
        for name, factory in list(variants.items()):
            try:
                fn = factory(x, y)
            except TierUnavailable as exc:
                print(f"tier 1 unavailable: {exc}")
                del variants[name]
                continue
            check_agreement(name, n, fn(THETA0.copy()), want)
            check_agreement(name, n, fn(THETA0.copy()), want)  # steady state, reused buffers
            cases.append((name, n, fn))
    return cases


def run_benchmark(cases: list, repeats: int, target_s: float) -> list[dict]:
    """Time every checked (variant, N) case; return one record per case."""
    records = []
    for name, n, fn in cases:
        call = functools.partial(fn, THETA0.copy())
        gc.collect()
        tier_before = getattr(fn, "tier", None)
        times = time_per_call(call, repeats, target_s)
        median = statistics.median(times)
        record = {
            "variant": name,
            "N": n,
            "median_us": median * 1e6,
            "spread": (max(times) - min(times)) / median,
            "times_us": [t * 1e6 for t in times],
        }
        if hasattr(fn, "bench_tier"):
            record["tier_requested"] = fn.bench_tier
            record["tier_before"] = tier_before
            record["tier_after"] = getattr(fn, "tier", None)
            if (
                record["tier_after"] not in (None, fn.bench_tier)
                or tier_before != record["tier_after"]
            ):
                print(f"  note: {name} N={n} tier {tier_before!r} -> {record['tier_after']!r}")
        records.append(record)
        print(
            f"  timed {name:<13} N={n:<8} {median * 1e6:12.2f} us/call  "
            f"spread {record['spread']:.0%}",
            flush=True,
        )
    return records


# ------------------------------------------------------------------- first call (fresh)

_CHILD = """\
import json, sys, time
sys.path.insert(0, {bench_dir!r})
import numpy as np
from grad_overhead import THETA0, make_data, make_log_prob
x, y = make_data({n})
theta = THETA0.copy()
extra = {{}}
t = time.perf_counter()
{imports}
import_s = time.perf_counter() - t
{body}
print("RESULT " + json.dumps(dict(import_s=import_s, first_s=first_s, value=float(value), **extra)))
"""

_FLUXION_IMPORTS = "import fluxion\nimport fluxion.numpy as fnp"
_FLUXION_T0 = """\
lp = make_log_prob(fnp, x, y)
t = time.perf_counter()
f = fluxion.jit(fluxion.value_and_grad(lp))
value, grad = f(theta)
first_s = time.perf_counter() - t
"""
_FLUXION_T1 = """\
import os
try:  # fluxion's kernel sources and numba's index in the case's own directory
    fluxion.config.update("cache_dir", os.environ["NUMBA_CACHE_DIR"])
except Exception:
    pass
lp = make_log_prob(fnp, x, y)
f = fluxion.jit(fluxion.value_and_grad(lp))
t = time.perf_counter()
value, grad = f(theta)
extra["tier0_first_s"] = time.perf_counter() - t
if not hasattr(f, "compile"):
    raise SystemExit("fluxion.jit(...) has no .compile method")
t = time.perf_counter()
f.compile(tier=1)
first_s = time.perf_counter() - t
extra["tier"] = getattr(f, "tier", None)
if extra["tier"] not in (None, 1):
    raise SystemExit(f"compile(tier=1) returned but .tier == {{extra['tier']!r}}")
t = time.perf_counter()
value, grad = f(theta)
extra["tier1_first_call_s"] = time.perf_counter() - t
"""
_JAX_IMPORTS = """\
import jax
import jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
xj, yj = jnp.asarray(x), jnp.asarray(y)  # starts the CPU backend
"""
_JAX_BODY = """\
lp = make_log_prob(jnp, xj, yj)
t = time.perf_counter()
f = jax.jit(jax.value_and_grad(lp))
value, grad = jax.block_until_ready(f(theta))
first_s = time.perf_counter() - t
"""
_NUMBA_IMPORTS = """\
import importlib.util
import numba
spec = importlib.util.spec_from_file_location("bench_jit", {path!r})
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
"""
_NUMBA_BODY = """\
t = time.perf_counter()
f = numba.njit(fastmath=False)(bench.loop_kernel)
value, grad = f(theta, x, y)
first_s = time.perf_counter() - t
"""

FIRST_CALL_CASES = {
    "fluxion jit first call (trace + tier 0 + run)": (_FLUXION_IMPORTS, _FLUXION_T0),
    "fluxion compile(tier=1), empty numba cache": (_FLUXION_IMPORTS, _FLUXION_T1),
    "fluxion compile(tier=1), numba disk cache": (_FLUXION_IMPORTS, _FLUXION_T1),
    "jax.jit first call (trace + compile + run)": (_JAX_IMPORTS, _JAX_BODY),
    "numba loop first call (compile + run)": (_NUMBA_IMPORTS, _NUMBA_BODY),
}
WARM_CACHE = "fluxion compile(tier=1), numba disk cache"
COLD_CACHE = "fluxion compile(tier=1), empty numba cache"


def _run_child(imports: str, body: str, n: int, cache_dir: str) -> dict:
    code = _CHILD.format(
        bench_dir=BENCH_DIR,
        n=n,
        imports=imports.format(path=os.path.abspath(__file__)),
        body=body,
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
    return {"error": f"exit {proc.returncode}: {lines[-1]}"}


def run_first_call(repeats: int, n: int = 50) -> list[dict]:
    """Median first-call and import seconds of each case, each run in fresh processes."""
    want = float(make_floor(*make_data(n))(THETA0.copy())[0])
    runs: dict[str, list[dict]] = {name: [] for name in FIRST_CALL_CASES}
    skip: dict[str, str] = {}
    made: list[str] = []
    for _ in range(repeats):
        for name, (imports, body) in FIRST_CALL_CASES.items():
            if name in skip or (name == WARM_CACHE and COLD_CACHE in skip):
                continue
            if name == WARM_CACHE:  # a second fresh process on the cold case's directory
                cache_dir = runs[COLD_CACHE][-1]["cache_dir"]
            else:
                cache_dir = tempfile.mkdtemp(prefix="fluxion-bench-numba-")
                made.append(cache_dir)
            result = _run_child(imports, body, n, cache_dir)
            result["cache_dir"] = cache_dir
            if "error" in result:
                skip[name] = result["error"]
                what = "tier 1 unavailable" if "tier=1" in name else f"skipping {name!r}"
                print(f"{what}: {result['error']}")
                continue
            if abs(result["value"] - want) > RTOL * abs(want):
                sys.exit(f"error: {name}: value {result['value']!r}, want {want!r}")
            runs[name].append(result)
            print(
                f"  {name:<48} first {result['first_s'] * 1e3:9.1f} ms   "
                f"import {result['import_s'] * 1e3:7.1f} ms",
                flush=True,
            )
    for cache_dir in made:
        shutil.rmtree(cache_dir, ignore_errors=True)
    records = []
    for name, results in runs.items():
        if not results:
            continue
        record = {
            "case": name,
            "median_first_ms": statistics.median(r["first_s"] for r in results) * 1e3,
            "median_import_ms": statistics.median(r["import_s"] for r in results) * 1e3,
            "first_ms": [r["first_s"] * 1e3 for r in results],
            "import_ms": [r["import_s"] * 1e3 for r in results],
        }
        for key in ("tier0_first_s", "tier1_first_call_s"):
            if key in results[0]:
                record[f"median_{key[:-2]}_ms"] = statistics.median(r[key] for r in results) * 1e3
        records.append(record)
    return records


# ------------------------------------------------------------------------- reports


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def wide_table(records: list[dict], sizes: list[int]) -> str:
    """Markdown table: one row per N, one column per variant (median µs per call)."""
    names = list(dict.fromkeys(r["variant"] for r in records))
    by_key = {(r["variant"], r["N"]): r["median_us"] for r in records}
    lines = [
        "| N | " + " | ".join(names) + " |",
        "|---:|" + "---:|" * len(names),
    ]
    for n in sizes:
        cells = [_fmt(by_key.get((name, n))) for name in names]
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratio_table(records: list[dict], sizes: list[int]) -> str:
    """Markdown table of fluxion rows over jax.jit, over the numba floor and the best numba."""
    by_key = {(r["variant"], r["N"]): r["median_us"] for r in records}
    lines = [
        "| N | fluxion row | × jax jit | × numba loop (floor) | × best numba (which) |",
        "|---:|---|---:|---:|---:|",
    ]
    for n in sizes:
        numba = {k: by_key[(k, n)] for k in NUMBA_ROWS if (k, n) in by_key}
        best = min(numba, key=numba.get) if numba else None
        for name in FLUXION_ROWS + ("fluxion eager",):
            t = by_key.get((name, n))
            if t is None:
                continue
            jax_t = by_key.get((JAX, n))
            loop_t = by_key.get((NB_LOOP, n))
            lines.append(
                f"| {n:,} | {name} | {_fmt(t / jax_t if jax_t else None)} "
                f"| {_fmt(t / loop_t if loop_t else None)} "
                f"| {_fmt(t / numba[best]) if best else '—'} ({best or '—'}) |"
            )
    return "\n".join(lines)


def first_call_table(records: list[dict]) -> str:
    """Markdown table of the fresh-process first-call medians."""
    lines = [
        "| case (new function, fresh process, N = 50) | first call ms | import ms | note |",
        "|---|---:|---:|---|",
    ]
    for r in records:
        note = ""
        if "median_tier0_first_ms" in r:
            note = (
                f"after a {r['median_tier0_first_ms']:.1f} ms tier-0 first call; "
                f"next call {r['median_tier1_first_call_ms']:.3f} ms"
            )
        lines.append(
            f"| {r['case']} | {r['median_first_ms']:,.1f} | {r['median_import_ms']:,.1f} | {note} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=lambda s: int(float(s)),
        default=list(DEFAULT_SIZES),
        help="data sizes N (default: %(default)s); '1e6' is accepted",
    )
    parser.add_argument("--repeats", type=int, help="repeats per measurement (default 7, quick 3)")
    parser.add_argument(
        "--first-call-repeats",
        type=int,
        help="fresh processes per first-call case (default 3, quick 1)",
    )
    parser.add_argument("--quick", action="store_true", help="short loops: a smoke test")
    parser.add_argument("--json", metavar="PATH", help="also write all results as JSON")
    parser.add_argument(
        "--no-first-call", action="store_true", help="skip the fresh-process first-call part"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    fc_repeats = args.first_call_repeats or (1 if args.quick else 3)
    target_s = 0.005 if args.quick else 0.2

    info = machine_info()
    print(f"# jit ({'quick' if args.quick else 'full'} run)\n")
    print(f"CPU: {info['cpu']}; nproc {info['nproc']}; Python {info['python']}")
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print()

    variants = load_variants()
    cases = build_and_check(variants, args.sizes)
    print(f"all variants agree with the NumPy floor to {RTOL:g} relative")
    print(f"\nvalue_and_grad of the line-fit log_prob (repeats={repeats}, ~{target_s} s each):")
    records = run_benchmark(cases, repeats, target_s)

    first_call = []
    if not args.no_first_call:
        print(f"\nfirst call of a new function in a fresh process ({fc_repeats} runs per case):")
        first_call = run_first_call(fc_repeats)

    print("\n## steady-state value_and_grad, median µs per call\n")
    print(wide_table(records, args.sizes))
    print(
        f"\n{NB_LOOP}: one sequential pass, fastmath=False (the floor); {NB_REASSOC}: the same, "
        f'fastmath={{"reassoc"}} (vectorized reductions, memory floor); {NB_NUMPY}: '
        "fused r = y - m*x - b in numba, then np.dot / r.sum() (fastmath=False)"
    )
    print("\n## ratios (same run)\n")
    print(ratio_table(records, args.sizes))
    if first_call:
        print("\n## first call, median ms\n")
        print(first_call_table(first_call))

    if args.json:
        payload = {
            "machine": info,
            "settings": {
                "sizes": args.sizes,
                "repeats": repeats,
                "target_s": target_s,
                "first_call_repeats": fc_repeats,
                "quick": args.quick,
                "theta": THETA0.tolist(),
            },
            "value_and_grad": records,
            "first_call": first_call,
        }
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
