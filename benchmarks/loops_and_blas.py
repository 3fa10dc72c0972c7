"""Loops and matrices in compiled code (issue 11, item 7).

Two models, each timed as the compiled NUTS would use it (one value-and-gradient call):

(a) ARMA(1,1) log-likelihood of a 200-step series by the innovations recursion ::

        e_t = y_t - mu - phi (y_{t-1} - mu) - theta e_{t-1}
        log p = sum_t -0.5 (e_t / sigma)^2 - log sigma

    written with ``fluxion.lax.scan``, and as a Python ``for`` loop: re-rolled by jit into a
    scan (``fluxion.config.jit_reroll_loops``, the default; ``ir/reroll.py``) and unrolled (the
    option off). For each: equations in the graph (top level, with the loops' bodies, and as
    traced), ``jit(value_and_grad)`` trace + tier-0 first call, ``compile(tier=1)`` seconds in a
    fresh process on an empty cache directory (``NUMBA_CACHE_DIR`` and
    ``fluxion.config.cache_dir``; numba's caches cannot hide a compile), then the per-call time
    of tier 0, tier 1 and the tape machine (``machine.evaluate`` on the encoded graph: a scan is
    the machine's loop instruction). A compile still running after ``--compile-timeout`` seconds
    is killed and reported as such. The re-rolled and the unrolled loop's values and gradients
    are compared bit for bit (tier 0 and tier 1), and the hand-written NumPy value and gradient
    (``arma_reference``, a Python loop over NumPy scalars) is timed per call. ``--sample`` also
    runs ``fluxion.mcmc.sample`` on the Python-loop model in a fresh process
    and reports which path ran (compiled chain, kernel or tape potential).

(b) A 5000 x 24 Gaussian linear regression ::

        log p(beta, log_sigma) = -n log_sigma - 0.5 |y - X beta|^2 exp(-2 log_sigma)

    value and gradient per call: hand-written NumPy (value and analytic gradient, the floor),
    fluxion tier 0, tier 1 (or the reason it is not lowered), and the tape machine through the
    C entry point the compiled NUTS calls (``potential(q, grad, context)`` via ctypes: the
    machine's whole cost per leapfrog step, ~1 us of ctypes included).

Every variant's value and gradient must agree with the reference to 1e-9 relative first.

Usage
-----
::

    python benchmarks/loops_and_blas.py               # full run
    python benchmarks/loops_and_blas.py --quick       # a smoke test, shorter timings
    python benchmarks/loops_and_blas.py --regression-only --repeats 41 --target 0.05 \
        --shapes 500x25 5000x24 50000x24             # (b) only, three shapes

Notes
-----
Timing: garbage collection off, loops of about ``--target`` seconds, the median over
``--repeats`` repeats of the per-call time. In (b) every variant runs once per round, in turn
(``interleaved``), and the ratio to NumPy is the median of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
RTOL = 1e-9

# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

T_STEPS = 200
ARMA_THETA = np.array([0.1, 0.5, 0.2, np.log(0.5)])


def arma_data(steps: int = T_STEPS) -> np.ndarray:
    rng = np.random.default_rng(2026)
    e = rng.standard_normal(steps + 1) * 0.5
    y = np.zeros(steps + 1)
    for t in range(1, steps + 1):
        y[t] = 0.1 + 0.5 * (y[t - 1] - 0.1) + e[t] + 0.2 * e[t - 1]
    return y


def arma_scan(fnp, lax):
    def log_lik(p, y):
        mu, phi, theta, log_sigma = p[0], p[1], p[2], p[3]
        sigma = fnp.exp(log_sigma)

        def step(carry, y_t):
            ll, prev_y, prev_e = carry
            e = y_t - mu - phi * (prev_y - mu) - theta * prev_e
            return (ll - 0.5 * (e / sigma) ** 2 - log_sigma, y_t, e), None

        (ll, _, _), _ = lax.scan(step, (0.0, y[0], 0.0), y[1:])
        return ll

    return log_lik


def arma_loop(fnp, lax):
    def log_lik(p, y):
        mu, phi, theta, log_sigma = p[0], p[1], p[2], p[3]
        sigma = fnp.exp(log_sigma)
        ll, prev_e = 0.0, 0.0
        for t in range(1, y.shape[0]):
            e = y[t] - mu - phi * (y[t - 1] - mu) - theta * prev_e
            ll = ll - 0.5 * (e / sigma) ** 2 - log_sigma
            prev_e = e
        return ll

    return log_lik


def arma_reference(p: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Hand-written value and gradient (forward-mode recursion of de_t/dp)."""
    mu, phi, theta, log_sigma = p
    s2 = np.exp(-2 * log_sigma)
    ll, e, de = 0.0, 0.0, np.zeros(4)
    g = np.zeros(4)
    for t in range(1, y.shape[0]):
        e_new = y[t] - mu - phi * (y[t - 1] - mu) - theta * e
        de_new = np.array([-1 + phi, -(y[t - 1] - mu), -e, 0.0]) - theta * de
        ll += -0.5 * e_new**2 * s2 - log_sigma
        g += -e_new * s2 * de_new
        g[3] += e_new**2 * s2 - 1
        e, de = e_new, de_new
    return ll, g


N_ROWS, N_COLS = 5000, 24


def regression_data(
    n_rows: int = N_ROWS, n_cols: int = N_COLS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    X = rng.standard_normal((n_rows, n_cols))
    beta = rng.standard_normal(n_cols) * 0.5
    y = X @ beta + 0.7 * rng.standard_normal(n_rows)
    theta = np.concatenate([beta + 0.01, [np.log(0.7)]])
    return X, y, theta


def regression_fluxion(fnp, X, y):
    n, d = X.shape

    def log_prob(theta):
        beta, log_sigma = theta[:d], theta[d]
        r = y - X @ beta
        return -n * log_sigma - 0.5 * fnp.sum(r**2) * fnp.exp(-2 * log_sigma)

    return log_prob


def regression_numpy(X, y):
    n, d = X.shape

    def value_and_grad(theta):
        beta, log_sigma = theta[:d], theta[d]
        r = y - X @ beta
        s2 = np.exp(-2 * log_sigma)
        rr = r @ r
        grad = np.empty(d + 1)
        grad[:d] = (X.T @ r) * s2
        grad[d] = -n + rr * s2
        return -n * log_sigma - 0.5 * rr * s2, grad

    return value_and_grad


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


def per_call(fn: Callable, repeats: int, target_s: float) -> float:
    """Median seconds per call over ``repeats`` loops of about ``target_s`` each."""
    fn()
    t = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t, 1e-7)
    loops = max(1, int(target_s / once))
    times = []
    gc.disable()
    try:
        for _ in range(repeats):
            t = time.perf_counter()
            for _ in range(loops):
                fn()
            times.append((time.perf_counter() - t) / loops)
    finally:
        gc.enable()
    return statistics.median(times)


def check(name: str, got: tuple, want: tuple) -> None:
    value, grad = float(got[0]), np.asarray(got[1])
    scale = max(abs(want[0]), 1.0)
    if abs(value - want[0]) > RTOL * scale or not np.allclose(grad, want[1], rtol=RTOL, atol=0):
        sys.exit(f"error: {name}: value/gradient disagree with the reference")


# --------------------------------------------------------------------------------------------
# (a) ARMA: compile in a fresh process, then per-call times
# --------------------------------------------------------------------------------------------

_CHILD = """
import json, os, sys, time
sys.path.insert(0, {bench_dir!r})
import numpy as np
import fluxion, fluxion.numpy as fnp
from fluxion import lax
from fluxion._src.ir.reroll import count_eqns
fluxion.config.update("cache_dir", os.environ["NUMBA_CACHE_DIR"])
fluxion.config.update("jit_reroll_loops", {reroll})
import loops_and_blas as bench
y = bench.arma_data()
p = bench.ARMA_THETA
out = {{}}
vg = fluxion.value_and_grad(bench.{model}(fnp, lax))
f = fluxion.jit(vg)
t = time.perf_counter()
v, g = f(p, y)
out["trace_tier0_s"] = time.perf_counter() - t
low = f.lower(p, y)
out["eqns"] = len(low.graph.eqns)
out["eqns_with_bodies"] = count_eqns(low.graph)
out["eqns_traced"] = len(low.unoptimized_graph.eqns)
bench.check("{model} tier 0", (v, g), bench.arma_reference(p, y))
out["tier0_bits"] = [float(v).hex()] + [float(x).hex() for x in g]
print("PARTIAL " + json.dumps(out), flush=True)
# the compile first: hot tier-0 calls would promote f to tier 1 in the background and hide it
t = time.perf_counter()
f.compile(tier=1)
out["compile_s"] = time.perf_counter() - t
out["tier"] = f.tier
f0 = fluxion.jit(vg, tier=0)  # tier 0 timed on its own function, pinned there
f0(p, y)
out["tier0_us"] = bench.per_call(lambda: f0(p, y), {repeats}, {target}) * 1e6
from fluxion._src.codegen import tape
encoded, why = tape.encode(low.graph)
if encoded is not None:  # the tape machine (its loop instruction for a scan), per call
    machine = tape.load_machine()
    bench.check("{model} tape", tape.run(encoded, machine, p, y), bench.arma_reference(p, y))
    mem = encoded.mem.copy()
    mem[encoded.inputs[0] : encoded.inputs[0] + p.size] = p
    mem[encoded.inputs[1] : encoded.inputs[1] + y.size] = y
    out["tape_us"] = bench.per_call(
        lambda: machine.evaluate(encoded.code, encoded.n_code, mem, encoded.maps), {repeats},
        {target}) * 1e6
    out["tape_instructions"] = encoded.n_code
v, g = f(p, y)
bench.check("{model} tier 1", (v, g), bench.arma_reference(p, y))
out["tier1_bits"] = [float(v).hex()] + [float(x).hex() for x in g]
out["tier1_us"] = bench.per_call(lambda: f(p, y), {repeats}, {target}) * 1e6
print("RESULT " + json.dumps(out), flush=True)
"""


def run_arma(model: str, repeats: int, target: float, timeout: float, reroll: bool = True) -> dict:
    cache_dir = tempfile.mkdtemp(prefix="fluxion-bench-loops-")
    code = _CHILD.format(
        bench_dir=BENCH_DIR, model=model, repeats=repeats, target=target, reroll=reroll
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    result: dict = {}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env,
            timeout=timeout,
        )
        stdout, err = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = ""
        result["timeout_s"] = timeout
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    for line in stdout.splitlines():
        for tag in ("PARTIAL ", "RESULT "):
            if line.startswith(tag):
                result.update(json.loads(line[len(tag) :]))
    if not result:
        result["error"] = (err.strip().splitlines() or ["no output"])[-1]
    return result


_SAMPLE_CHILD = """
import sys, time, warnings
sys.path.insert(0, {bench_dir!r})
import numpy as np
import fluxion, fluxion.numpy as fnp
from fluxion import lax
from fluxion.mcmc import sample
import loops_and_blas as bench
warnings.simplefilter("ignore", fluxion.SamplingWarning)
fluxion.config.update("jit_reroll_loops", {reroll})
fluxion.config.update("mcmc_potential", {potential!r})
y = bench.arma_data()
lik = bench.arma_loop(fnp, lax)
def log_prob(p):
    return lik(p, y) - 0.5 * fnp.sum(p ** 2) / 4.0
t = time.perf_counter()
res = sample(log_prob, bench.ARMA_THETA, chains=4, draws=1000, warmup=1000, seed=1,
             progress=False)
wall = time.perf_counter() - t
mean = np.asarray(res.draws["x"] if isinstance(res.draws, dict) else res.draws)
mean = mean.reshape(-1, 4).mean(axis=0)
print(f"RESULT compiled={{res.compiled}} potential={{res.potential}} wall={{wall:.2f}} s "
      f"mean={{np.round(mean, 3).tolist()}}", flush=True)
"""


def run_arma_sampling(timeout: float, reroll: bool = True, potential: str = "auto") -> str:
    """``fluxion.mcmc.sample`` of the Python-loop ARMA model in a fresh process (the default
    cache directory: the NUTS core is compiled once per machine, the model's kernel here), with
    ``config.mcmc_potential = potential``."""
    code = _SAMPLE_CHILD.format(bench_dir=BENCH_DIR, reroll=reroll, potential=potential)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} s (killed)"
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return line[len("RESULT ") :]
    return "error: " + ((proc.stderr.strip().splitlines() or ["no output"])[-1])


def arma_numpy_per_call(repeats: int, target: float) -> float:
    """Hand-written NumPy value + gradient (``arma_reference``), microseconds per call."""
    y, p = arma_data(), ARMA_THETA
    return per_call(lambda: arma_reference(p, y), repeats, target) * 1e6


# --------------------------------------------------------------------------------------------
# (b) Regression: NumPy, tier 0, tier 1, the tape machine
# --------------------------------------------------------------------------------------------


def interleaved(fns: dict[str, Callable], repeats: int, target: float) -> dict[str, tuple]:
    """(median us per call, median ratio to the first entry) of each function, timed in
    ``repeats`` rounds that run every function once for about ``target`` seconds in turn: a
    change of machine load hits all of them alike, so the ratios are steadier than the times."""
    loops = {}
    for name, fn in fns.items():
        fn()
        t = time.perf_counter()
        fn()
        loops[name] = max(1, int(target / max(time.perf_counter() - t, 1e-7)))
    times: dict[str, list] = {name: [] for name in fns}
    gc.disable()
    try:
        for _ in range(repeats):
            for name, fn in fns.items():
                t = time.perf_counter()
                for _ in range(loops[name]):
                    fn()
                times[name].append((time.perf_counter() - t) / loops[name])
    finally:
        gc.enable()
    first = times[next(iter(fns))]
    return {
        name: (statistics.median(ts) * 1e6,
               statistics.median([a / b for a, b in zip(ts, first, strict=True)]))
        for name, ts in times.items()
    }


def run_regression(
    repeats: int, target: float, n_rows: int = N_ROWS, n_cols: int = N_COLS
) -> list[tuple[str, str]]:
    """Rows (variant, "us per call   ratio to NumPy") for an ``n_rows x n_cols`` regression;
    all variants timed interleaved (``interleaved``)."""
    import fluxion
    import fluxion.numpy as fnp
    from fluxion._src.codegen import tape as tape_mod
    from fluxion._src.codegen.tier1 import lowerable

    X, y, theta = regression_data(n_rows, n_cols)
    floor = regression_numpy(X, y)
    want = floor(theta)
    fns: dict[str, Callable] = {"numpy (hand-written value + gradient)": lambda: floor(theta)}
    notes: list[tuple[str, str]] = []
    lp = regression_fluxion(fnp, X, y)

    f0 = fluxion.jit(fluxion.value_and_grad(lp), tier=0)
    check("tier 0", f0(theta), want)
    fns["fluxion jit tier 0"] = lambda: f0(theta)

    graph = f0.lower(theta).graph
    missing = lowerable(graph)
    if missing:
        notes.append(("fluxion jit tier 1", "not lowered: " + "; ".join(missing)))
    else:
        f1 = fluxion.jit(fluxion.value_and_grad(lp), tier=1)
        check("tier 1", f1(theta), want)
        fns["fluxion jit tier 1"] = lambda: f1(theta)
        # the kernel alone (what the NUTS's cfunc calls), without jit's Python dispatch
        code = f1.lower(theta).entry.specs[0].numba_code
        kernel = getattr(code, "kernel", None)
        if kernel is not None:
            args = (theta, *code.consts)
            check("tier 1 kernel", kernel(*args), want)
            fns["  its numba kernel alone (no jit dispatch)"] = lambda: kernel(*args)

    encoded, why = tape_mod.encode(graph)
    if encoded is None:
        notes.append(("tape machine", f"not encoded: {why}"))
    else:
        machine = tape_mod.load_machine()
        check("tape", tape_mod.run(encoded, machine, theta), want)
        dim = theta.size
        ctx = tape_mod.TapeContext(encoded, dim)
        proto = ctypes.CFUNCTYPE(
            ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
            ctypes.c_void_p,
        )
        potential = proto(int(machine.potential.address))
        q = np.ascontiguousarray(theta)
        g = np.zeros(dim)
        q_ptr = q.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
        g_ptr = g.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
        value = potential(q_ptr, g_ptr, ctx.address)
        check("tape potential", (value, g.copy()), want)
        entry = ctx.address
        fns["tape machine (the NUTS's C entry point)"] = lambda: potential(q_ptr, g_ptr, entry)
    timed = interleaved(fns, repeats, target)
    rows = [(name, f"{us:8.1f}   {ratio:5.2f}x") for name, (us, ratio) in timed.items()]
    return rows + notes


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short timings (smoke test)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.2, help="seconds per timing loop")
    parser.add_argument("--compile-timeout", type=float, default=300.0)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--sample", action="store_true", help="also sample the Python-loop ARMA model"
    )
    parser.add_argument(
        "--shapes", nargs="+", default=[f"{N_ROWS}x{N_COLS}"],
        help="regression design-matrix shapes, ROWSxCOLS (default %(default)s)",
    )
    parser.add_argument("--regression-only", action="store_true", help="skip the ARMA part")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.target, args.compile_timeout = 3, 0.05, 120.0

    arma: dict = {}
    regression = {}
    if not args.regression_only:
        run_arma_part(args, arma)
    for shape in args.shapes:
        n_rows, n_cols = (int(k) for k in shape.lower().split("x"))
        print(f"\n(b) Gaussian linear regression {n_rows} x {n_cols}: value + gradient per call"
              " (us; ratio to NumPy: median over interleaved rounds)")
        rows = regression[shape] = run_regression(args.repeats, args.target, n_rows, n_cols)
        width = max(len(name) for name, _ in rows)
        for name, figure in rows:
            print(f"  {name:<{width}}  {figure}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"arma": arma, "regression": regression}, fh, indent=2)
    return 0


def run_arma_part(args: argparse.Namespace, arma: dict) -> None:
    """Part (a): the ARMA model's compile and per-call times (figures into ``arma``)."""
    print(f"(a) ARMA(1,1), {T_STEPS} steps: jit(value_and_grad), fresh process, empty cache")
    variants = (
        ("lax.scan", "arma_scan", True),
        ("for loop, re-rolled", "arma_loop", True),
        ("for loop, unrolled", "arma_loop", False),
    )
    for label, model, reroll in variants:
        r = arma[label] = run_arma(model, args.repeats, args.target, args.compile_timeout, reroll)
        if "error" in r:
            print(f"  {label:<20} error: {r['error']}")
            continue
        compile_s = (
            f"> {r['timeout_s']:.0f} s (killed)" if "timeout_s" in r and "compile_s" not in r
            else f"{r['compile_s']:.2f} s"
        )
        tier1 = f"{r['tier1_us']:.1f}" if "tier1_us" in r else "-"
        tape_us = (f"{r['tape_us']:.1f} us ({r['tape_instructions']} instructions)"
                   if "tape_us" in r else "-")
        first, tier0 = r.get("trace_tier0_s", float("nan")), r.get("tier0_us", float("nan"))
        print(
            f"  {label:<20} graph {r.get('eqns', '?'):>5} eqns ({r.get('eqns_with_bodies', '?')}"
            f" with loop bodies; traced {r.get('eqns_traced', '?')})   trace+tier0 first "
            f"{first:6.2f} s   tier 0 {tier0:9.1f} us   compile(tier=1) {compile_s:>18}"
            f"   tier 1 {tier1:>8} us   tape {tape_us}"
        )
    rolled, unrolled = arma["for loop, re-rolled"], arma["for loop, unrolled"]
    for tier in ("tier0_bits", "tier1_bits"):
        if tier in rolled and tier in unrolled:
            same = rolled[tier] == unrolled[tier]
            print(f"  re-rolled vs unrolled, {tier[:5]} value and gradient bitwise equal: {same}")
    numpy_us = arma_numpy_per_call(args.repeats, args.target)
    print(f"  {'hand-written NumPy':<20} value + gradient {numpy_us:9.1f} us per call")
    arma["numpy_us"] = numpy_us
    if args.sample:
        for label, reroll, potential in (("re-rolled", True, "auto"),
                                         ("re-rolled, tape", True, "tape"),
                                         ("unrolled", False, "auto")):
            line = run_arma_sampling(args.compile_timeout * 2, reroll, potential)
            arma[f"sample {label}"] = line
            print(f"  sample(), Python-loop model ({label}), 4 chains x (1000 + 1000): {line}")


if __name__ == "__main__":
    sys.exit(main())
