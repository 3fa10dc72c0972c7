"""Does starting NUTS from Pathfinder draws shorten warm-up? Measured on posteriordb posteriors.

For each posterior, warm-up length ``W`` and seed, 4 NUTS chains (``fluxion.mcmc.sample``,
Stan's windowed adaptation, ``draws`` kept per chain) start from:

* ``default`` -- the posterior's own start (``tests/posteriors.py``: e.g. ``beta = 0``,
  ``sigma = 1``), jittered by ``sample``'s default ``init_jitter=0.1`` (what a user gets);
* ``random`` -- Stan's default: every unconstrained coordinate uniform in (-2, 2), one draw
  per chain;
* ``pathfinder`` -- 4 distinct draws of multi-path Pathfinder (4 paths, 1000 draws, PSIS
  resampling; ``result.init_for_chains(4)``), no jitter;
* ``pathfinder+metric`` -- the same starts, and the variance of the Pathfinder draws as the
  initial diagonal inverse metric (``result.inverse_metric()``), still adapted in warm-up.

``sample`` starts all chains of one call from a single ``init``, so each chain is its own
``sample(chains=1, init=start_c, seed=...)`` call and the 4 chains are pooled afterwards (the
same for every arm). For every run the script records the largest rank-normalized R-hat and
the largest error of the posterior means in reference standard deviations over the reference
elements, the smallest bulk ESS, the warm-up's gradient evaluations (leapfrog steps), and the
sampling wall time; a run "passes" when R-hat < 1.01 and every mean is within 0.1 reference sd.
The table gives medians over the seeds and the fraction of passing seeds; Pathfinder's own wall
time (compilation included) and gradient evaluations are listed separately.

Run::

    PYTHONPATH=src python benchmarks/pathfinder_warmup.py [--seeds 5] [--draws 1000]
        [--warmups 50 100 200 1000] [--posteriors earnings-earn_height ...]

It needs ``../shared/posteriordb`` (the reference posteriors) and uses the compiled NUTS when
``fluxion.config.mcmc_compiled_nuts`` allows it (the default "auto").
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from posteriors import POSTERIORDB, POSTERIORS, load_reference, stan_elements  # noqa: E402

from fluxion.diagnostics import ess, rhat  # noqa: E402
from fluxion.infer import UnconstrainedModel  # noqa: E402
from fluxion.mcmc import sample  # noqa: E402
from fluxion.vi import multi_pathfinder  # noqa: E402

DEFAULT_POSTERIORS = [
    "arK-arK",
    "eight_schools-eight_schools_noncentered",
    "earnings-earn_height",
    "mesquite-mesquite",
]
CHAINS = 4
ARMS = ["default", "random", "pathfinder", "pathfinder+metric"]


def run_arm(post, starts, warmup, draws, seed, inverse_metric=None, jitter=0.0):
    """4 one-chain NUTS runs from ``starts``; pooled draws, warm-up gradients, wall time."""
    pooled: dict = {}
    grads, wall = 0, 0.0
    for c, start in enumerate(starts):
        kwargs = {} if inverse_metric is None else {"inverse_metric": inverse_metric}
        options = dict(post.sampler)
        options.pop("draws", None)
        t = time.perf_counter()
        res = sample(
            post.log_prob, start, constraints=post.constraints, chains=1, warmup=warmup,
            draws=draws, seed=seed * 1000 + c, init_jitter=jitter, progress=False,
            **options, **kwargs,
        )
        wall += time.perf_counter() - t
        grads += int(np.sum(res.warmup_stats["n_leapfrog"]))
        for k, v in res.draws.items():
            pooled.setdefault(k, []).append(v)
    return {k: np.concatenate(v, axis=0) for k, v in pooled.items()}, grads, wall


def score(post, draws, reference):
    elements = stan_elements(post.derived(draws))
    worst_rhat, worst_err, min_ess = 0.0, 0.0, np.inf
    for label, ref in reference.items():
        x = elements[label]
        worst_rhat = max(worst_rhat, float(rhat(x)))
        worst_err = max(worst_err, abs(float(x.mean()) - ref["mean"]) / ref["sd"])
        min_ess = min(min_ess, float(ess(x)))
    return worst_rhat, worst_err, min_ess


def random_starts(post, rng):
    model = UnconstrainedModel(None, post.init, post.constraints)
    return [model.constrain_tree(rng.uniform(-2.0, 2.0, model.dim)) for _ in range(CHAINS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--warmups", type=int, nargs="+", default=[50, 100, 200, 1000])
    parser.add_argument("--posteriors", nargs="+", default=DEFAULT_POSTERIORS)
    parser.add_argument("--arms", nargs="+", default=ARMS, choices=ARMS)
    args = parser.parse_args()
    if POSTERIORDB is None:
        sys.exit("pathfinder_warmup: ../shared/posteriordb not found")
    warnings.simplefilter("ignore")  # short warm-ups warn by design; the table says how it went
    arms = args.arms
    print(f"chains={CHAINS} draws={args.draws} seeds={args.seeds} warmups={args.warmups}")
    for name in args.posteriors:
        post = POSTERIORS[name]()
        reference = load_reference(name)
        rows: dict = {(arm, w): [] for arm in arms for w in args.warmups}
        pf_time, pf_grads, pf_khat = [], [], []
        for seed in range(args.seeds):
            t = time.perf_counter()
            pf = multi_pathfinder(post.log_prob, post.init, constraints=post.constraints,
                                  seed=seed)
            pf_time.append(time.perf_counter() - t)
            pf_grads.append(pf.num_gradient_evals)
            pf_khat.append(pf.pareto_k)
            pf_starts = pf.init_for_chains(CHAINS, seed=seed)
            metric = pf.inverse_metric()
            rng = np.random.default_rng(seed)
            rand_starts = random_starts(post, rng)
            for w in args.warmups:
                setups = {
                    "default": ([post.init] * CHAINS, None, 0.1),
                    "random": (rand_starts, None, 0.0),
                    "pathfinder": (pf_starts, None, 0.0),
                    "pathfinder+metric": (pf_starts, metric, 0.0),
                }
                for arm in arms:
                    starts, inv_metric, jitter = setups[arm]
                    draws, grads, wall = run_arm(post, starts, w, args.draws, seed, inv_metric,
                                                 jitter)
                    r, err, e = score(post, draws, reference)
                    rows[(arm, w)].append((r, err, e, grads, wall))
                    print(f"  {name} seed {seed} warm-up {w} {arm}: R-hat {r:.3f}, err "
                          f"{err:.3f}, {wall:.1f} s", file=sys.stderr, flush=True)
        print(f"\n## {name}")
        print(
            f"multi-path Pathfinder: median {np.median(pf_time):.2f} s, "
            f"{int(np.median(pf_grads))} gradients, k-hat {np.median(pf_khat):.2f} "
            f"(range {min(pf_khat):.2f}-{max(pf_khat):.2f})"
        )
        print("| start | warm-up | pass | max R-hat | max mean err (sd) | min bulk ESS "
              "| warm-up grads | NUTS s | ESS/s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for arm in arms:
            for w in args.warmups:
                m = np.array(rows[(arm, w)])
                passed = np.mean((m[:, 0] < 1.01) & (m[:, 1] < 0.1))
                med = np.median(m, axis=0)
                ess_rate = np.median(m[:, 2] / m[:, 4])
                print(
                    f"| {arm} | {w} | {passed:.0%} | {med[0]:.3f} | {med[1]:.3f} | "
                    f"{med[2]:.0f} | {med[3]:.0f} | {med[4]:.2f} | {ess_rate:.0f} |"
                )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
