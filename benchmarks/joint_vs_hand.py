"""Sampling a joint-distribution model vs the hand-written log density of the same posterior.

For each posterior (``tests/posteriors.py``, hand-written; ``tests/posteriors_joint.py``, the
same Stan program as a conditioned ``JointDistributionNamed``), ``fluxion.mcmc.sample`` runs
with the same settings and seed (4 chains x 1000 warm-up + 1000 draws, NUTS, sequential
chains, no progress bar) on the compiled NUTS; the wall time of ``sample()`` is the median of
``--repeats`` runs after one untimed run that compiles. The joint model's pointwise
log-likelihood (for ``arviz.loo``) is timed separately: ``sample(..., log_likelihood=False)``
is the like-for-like column, ``+loglik`` the default.

Per-gradient cost is reported too (median time / total leapfrog steps), since the two
parameterizations may take slightly different numbers of steps (the start values differ: the
joint model starts at its bijectors' image of zeros).

Usage::

    python benchmarks/joint_vs_hand.py                      # eight schools, two regressions
    python benchmarks/joint_vs_hand.py --potential kernel   # the numba kernel path
    python benchmarks/joint_vs_hand.py --quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
import posteriors as hand  # noqa: E402
import posteriors_joint as joint  # noqa: E402

import fluxion  # noqa: E402
from fluxion.mcmc import sample  # noqa: E402

NAMES = ["eight_schools-eight_schools_noncentered", "kidiq-kidscore_momiq", "mesquite-mesquite"]


def run(fn, repeats: int) -> tuple[float, float, object]:
    fn()  # compile (the model's graph, the tape or the numba kernel)
    times, res = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--potential", default="tape", choices=["tape", "kernel", "auto"])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--names", nargs="*", default=NAMES)
    args = ap.parse_args()
    fluxion.config.update("mcmc_compiled_nuts", True)
    fluxion.config.update("mcmc_potential", args.potential)
    n = 200 if args.quick else 1000
    repeats = 1 if args.quick else args.repeats
    kw = dict(chains=4, draws=n, warmup=n, seed=1, progress=False, chain_method="sequential")
    print(f"fluxion {fluxion.__version__}, numpy {np.__version__}, potential={args.potential}, "
          f"median of {repeats}")
    print(f"{'posterior':42} {'variant':14} {'median s':>9} {'min s':>7} {'leapfrog':>9} "
          f"{'us/grad':>8} {'compiled':>9}")
    for name in args.names:
        hp, jp = hand.POSTERIORS[name](), joint.POSTERIORS[name]()
        options = dict(jp.sampler)
        cons = options.pop("constraints", None)
        variants = {
            "hand": lambda hp=hp: sample(hp.log_prob, hp.init, constraints=hp.constraints, **kw),
            "joint": lambda jp=jp, cons=cons: sample(
                jp.model, constraints=cons, log_likelihood=False, **kw),
            "joint+loglik": lambda jp=jp, cons=cons: sample(jp.model, constraints=cons, **kw),
        }
        for label, fn in variants.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                med, low, res = run(fn, repeats)
            steps = float(np.sum(res.stats["n_leapfrog"]) + np.sum(
                res.warmup_stats.get("n_leapfrog", 0)))
            print(f"{name:42} {label:14} {med:9.3f} {low:7.3f} {steps:9.0f} "
                  f"{1e6 * med / steps:8.2f} {res.compiled + '/' + str(res.potential):>9}")


if __name__ == "__main__":
    main()
