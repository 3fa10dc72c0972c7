"""Many-chain ChEES-HMC against fluxion's NUTS on the CPU: ms per effective sample.

The target is a 100-d Gaussian with AR(1) correlation 0.9 between neighbours and scales
``logspace(-1, 1, 100)`` (0.1 to 10), ``log_prob(x) = -x' P x / 2`` with ``P`` the inverse
covariance (a dense 100 x 100 matrix-vector product per gradient). Two samplers, each called twice
in this process (the first call includes compiling; the second reuses what the library keeps):

* ``chees`` -- ``fluxion.mcmc.sample_chees``: ``--chains`` (1024) chains in lockstep, ``--warmup``
  (200) + ``--draws`` (100) iterations, one batched value-and-gradient call per leapfrog step;
* ``nuts`` -- ``fluxion.mcmc.sample``: NUTS, 4 chains x (1000 + 1000), Stan's windowed diagonal
  adaptation (the defaults; the chains run compiled, in threads);
* with ``--meads``: ``fluxion.mcmc.sample_meads``, ``--chains`` chains of generalized HMC (one
  leapfrog step per iteration) x (``--meads-warmup`` 2000 + ``--meads-draws`` 500), once: from
  the ``uniform(-2, 2)`` starts MEADS needs a long warm-up here (its early damping is heavy and
  its step size is set by the stiffest direction of the far-out starting cloud).

For each run: wall time (warm-up and, for the first call, compile included), the minimum over
the 100 coordinates of the bulk ESS (``fluxion.diagnostics.ess``) of ``x`` and of ``x**2``,
ms per effective sample (wall time / min ESS of ``x``), and gradient evaluations per effective
sample (leapfrog steps summed over all chains, warm-up included, / min ESS): that last column
does not depend on the machine. Before the table is printed, every run's means must lie within
5 MCSE of 0 and its sds within 10 % of the true scales.

The machine is shared (2 cores, other jobs running): the wall times vary by tens of percent from
run to run; the gradient counts do not.

Usage
-----
    python benchmarks/chees_cpu.py [--chains 1024] [--warmup 200] [--draws 100] [--seed 1]
                                   [--meads] [--meads-warmup 2000] [--meads-draws 500]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

import fluxion.numpy as fnp
from fluxion.diagnostics import ess, mcse
from fluxion.mcmc import sample, sample_chees, sample_meads

D = 100
SCALES = np.logspace(-1, 1, D)
CORR = 0.9 ** np.abs(np.subtract.outer(np.arange(D), np.arange(D)))
PRECISION = np.linalg.inv(CORR * np.outer(SCALES, SCALES))


def log_prob(p):
    x = p["x"]
    return -0.5 * fnp.sum(x * (x @ PRECISION))


def run(kind: str, args: argparse.Namespace, seed: int) -> dict:
    init = {"x": np.zeros(D)}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "chees":
            res = sample_chees(log_prob, init, chains=args.chains, warmup=args.warmup,
                               draws=args.draws, seed=seed)
        elif kind == "meads":
            res = sample_meads(log_prob, init, chains=args.chains, warmup=args.meads_warmup,
                               draws=args.meads_draws, seed=seed)
        else:
            res = sample(log_prob, init, chains=4, warmup=1000, draws=1000, seed=seed,
                         progress=False)
    wall = time.perf_counter() - t0
    x = res.draws["x"]
    mean, sd = x.mean(axis=(0, 1)), x.std(axis=(0, 1), ddof=1)
    if not (np.all(np.abs(mean) <= 5 * mcse(x, method="mean"))
            and np.all(np.abs(sd / SCALES - 1) <= 0.10)):
        raise SystemExit(f"{kind}: the draws disagree with the target's moments")
    ess_x = float(np.min(ess(x, method="bulk")))
    ess_x2 = float(np.min(ess(x**2, method="bulk")))
    grads = int(res.stats["n_leapfrog"].sum() + res.warmup_stats["n_leapfrog"].sum())
    return {"wall": wall, "ess": ess_x, "ess2": ess_x2, "grads": grads,
            "n_draws": x.shape[0] * x.shape[1], "res": res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chains", type=int, default=1024)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--draws", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--meads", action="store_true", help="add a MEADS row (about a minute)")
    ap.add_argument("--meads-warmup", type=int, default=2000)
    ap.add_argument("--meads-draws", type=int, default=500)
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    rows = []
    plan = [("chees", "first"), ("chees", "second"), ("nuts", "first"), ("nuts", "second")]
    if args.meads:
        plan.append(("meads", "first"))
    for kind, call in plan:
        r = run(kind, args, args.seed + (call == "second"))
        label = {"chees": f"chees ({args.chains} chains)", "nuts": "nuts (4 chains)",
                 "meads": f"meads ({args.chains} chains)"}[kind]
        rows.append((label, call, r))
        res = r["res"]
        if kind == "chees":
            extra = (f"T={res.trajectory_length:.2f} step={res.stats['step_size'][0, 0]:.3f} "
                     f"steps/transition={res.stats['n_leapfrog'][0].mean():.1f}")
        elif kind == "meads":
            extra = (f"step={res.stats['step_size'][0, 0]:.3f} "
                     f"damping={res.stats['damping'][0, 0]:.3f}")
        else:
            extra = f"leapfrog/draw={res.stats['n_leapfrog'].mean():.1f}"
        print(f"  {label} {call} call: {extra}", flush=True)
    head = (f"{'sampler':<22} {'call':<7} {'wall s':>7} {'draws':>7} {'minESS x':>9} "
            f"{'minESS x^2':>10} {'ms/ESS':>8} {'grads/ESS':>10}")
    print(head)
    print("-" * len(head))
    for label, call, r in rows:
        print(f"{label:<22} {call:<7} {r['wall']:7.2f} {r['n_draws']:7d} {r['ess']:9.0f} "
              f"{r['ess2']:10.0f} {1e3 * r['wall'] / r['ess']:8.3f} "
              f"{r['grads'] / r['ess']:10.1f}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
