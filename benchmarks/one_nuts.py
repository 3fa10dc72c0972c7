"""One NUTS for every model (issue 11 item 6): models with no compiled potential run on the
compiled NUTS core through a Python callback instead of the Python NUTS.

Times ``sample`` (4 chains x 1000 warm-up + 1000 draws, sequential, seed 1) of three models the
tape machine and the numba kernel cannot run, once with ``config.mcmc_compiled_nuts=False`` (the
Python NUTS, the previous route) and once with the default (the core + a callback potential),
medians of 3 runs after one warm-up run (compiles, caches):

* ``jit=False``: a 100-point straight-line fit evaluated eagerly;
* ``value guard``: the same fit with a Python ``if`` on a traced value (jit at tier 1, guarded);
* ``expensive``: the eager fit with a 1 ms sleep per gradient (an ODE-class model, ``jit=False``
  so the sleep runs at every call, not once at tracing), where the sampler's own cost stops
  mattering.

A second table times the warm-ups that stay in Python (``metric="low_rank"``: nutpie's low-rank
metric; ``adapt_metric`` with a fixed step size) on a 50-dimensional correlated Gaussian, jitted:
the Python NUTS (the previous route) against the tuner in Python with every transition in the
compiled core (``numba_nuts.CompiledTransition``, ``result.compiled == "transition"``).

Run: ``python benchmarks/one_nuts.py`` (``--python-warmups`` for the second table only).
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np

import fluxion
import fluxion.mcmc
import fluxion.numpy as fnp

rng = np.random.default_rng(0)
X = rng.uniform(0, 10, 100)
Y = 2.0 * X + 1.0 + rng.normal(0, 1.0, 100)


def line(p):
    return -0.5 * fnp.sum((Y - p["m"] * X - p["b"]) ** 2)


def guarded(p):
    if p["m"] > 1e6:  # a Python branch on a traced value: no compiled potential
        return -1e300
    return line(p)


def expensive(p):
    time.sleep(1e-3)
    return line(p)


MODELS = {"jit=False": (line, False), "value guard": (guarded, True),
          "expensive (1 ms)": (expensive, False)}


def run(fn, jit: bool, compiled: bool, draws: int) -> tuple[float, fluxion.mcmc.SampleResult]:
    fluxion.config.update("mcmc_compiled_nuts", "auto" if compiled else False)
    t0 = time.perf_counter()
    res = fluxion.mcmc.sample(fn, {"m": 0.0, "b": 0.0}, chains=4, warmup=draws, draws=draws,
                              seed=1, jit=jit, progress=False, chain_method="sequential")
    return time.perf_counter() - t0, res


D50 = 50
_A = np.random.default_rng(1).standard_normal((D50, D50))
PREC50 = np.linalg.inv(_A @ _A.T / D50 + 0.5 * np.eye(D50))


def gauss50(x):
    return -0.5 * fnp.sum(x * (PREC50 @ x))


WARMUPS = {
    "metric='low_rank' (nutpie)": {"adaptation": "nutpie", "metric": "low_rank"},
    "adapt_metric, fixed step 0.2": {"step_size": 0.2, "adapt_step_size": False},
}


def python_warmups() -> None:
    print("| warm-up (50-d Gaussian, 4 x 1000 + 1000) | Python NUTS (s) | compiled "
          "transitions (s) | ratio | leapfrog steps |")
    print("|---|---:|---:|---:|---:|")
    for name, extra in WARMUPS.items():
        times = {}
        for compiled in (False, True):
            fluxion.config.update("mcmc_compiled_nuts", "auto" if compiled else False)

            def once(extra=extra):
                t0 = time.perf_counter()
                res = fluxion.mcmc.sample(gauss50, np.zeros(D50), chains=4, warmup=1000,
                                          draws=1000, seed=1, progress=False,
                                          chain_method="sequential", **extra)
                return time.perf_counter() - t0, res

            once()  # compiles, caches
            samples = [once() for _ in range(3)]
            times[compiled] = statistics.median(t for t, _ in samples)
            assert samples[0][1].compiled == ("transition" if compiled else "python")
            res = samples[0][1]
        steps = int(res.stats["n_leapfrog"].sum())
        print(f"| {name} | {times[False]:.2f} | {times[True]:.2f} | "
              f"{times[True] / times[False]:.3f} | {steps:,} |", flush=True)


def main() -> None:
    import sys

    warnings.simplefilter("ignore")
    print(f"fluxion {fluxion.__version__}, numpy {np.__version__}")
    if "--python-warmups" in sys.argv:
        python_warmups()
        return
    print("| model | Python NUTS (s) | compiled core + callback (s) | ratio | gradients |")
    print("|---|---:|---:|---:|---:|")
    for name, (fn, jit) in MODELS.items():
        draws = 100 if name.startswith("expensive") else 1000
        times = {}
        for compiled in (False, True):
            run(fn, jit, compiled, draws)  # warm-up: compiles, caches
            samples = [run(fn, jit, compiled, draws) for _ in range(3)]
            times[compiled] = statistics.median(t for t, _ in samples)
            res = samples[0][1]
        grads = int(res.stats["n_leapfrog"].sum())
        print(f"| {name} ({4}x{draws}+{draws}) | {times[False]:.3f} | {times[True]:.3f} | "
              f"{times[True] / times[False]:.2f} | {grads:,} |", flush=True)
    print()
    python_warmups()


if __name__ == "__main__":
    main()
