"""The change-point model of the TensorFlow Probability seed, sampled with NUTS after marginalizing.

The seed (``../shared/seeds/003_*.txt``, after *Bayesian Methods for Hackers*) models daily counts
``c_0 .. c_{N-1}`` with a rate that switches once::

    alpha = 1 / mean(c)
    lambda_1, lambda_2 ~ Exponential(rate=alpha)
    tau ~ Uniform(0, 1)
    c_i ~ Poisson(lambda_1 if i < tau N else lambda_2)      # TFP's gather on tau N <= i

and samples ``(lambda_1, lambda_2, tau)`` with transformed HMC. But ``tau`` enters the density
only through the step function ``i < tau N``: the log density is piecewise constant in ``tau``, its
gradient is zero almost everywhere, and HMC/NUTS gets no information about where to move ``tau``
(it random-walks at best, and cannot cross the jumps in a well-identified posterior).

Why marginalize. ``tau`` matters only through the integer ``k = ceil(tau N)``, the index of the
first count drawn with ``lambda_2`` (``k = 1 .. N``, each with prior probability ``1 / N``; ``k =
N`` means no switch inside the data). Summing the likelihood over ``k`` with ``logsumexp``,

    p(c | lambda_1, lambda_2) = (1/N) sum_k prod_{i<k} Poisson(c_i | lambda_1)
                                            prod_{i>=k} Poisson(c_i | lambda_2),

leaves a smooth density in the two rates, which NUTS samples well (positive constraints, so it
runs on log rates with the Jacobian added). With cumulative sums of the counts every term is
``C_k log lambda_1 - k lambda_1 + (C_N - C_k) log lambda_2 - (N - k) lambda_2``: one vectorized
expression over ``k``, no loop. The switch point is then recovered exactly, not sampled: given a
draw of the rates, ``p(k | lambda_1, lambda_2, c)`` is the softmax of those terms over ``k``, and
averaging it over the draws gives ``p(k | c)`` (a Rao-Blackwellized estimate, with lower variance
than drawing ``k``; :func:`switch_posterior` also draws ``k`` per draw for joint samples).

Run ``python examples/change_point.py`` (``--help`` for options). It simulates counts with a
planted switch and rates, samples, and prints planted vs recovered values.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import fluxion.numpy as fnp
from fluxion.diagnostics import ess, rhat
from fluxion.mcmc import sample
from fluxion.scipy.special import logsumexp, softmax

PLANTED = {"switch": 40, "lambda_1": 3.0, "lambda_2": 1.0}
DATA_SEED = 3  # the simulated counts; main() samples with seed DATA_SEED + 1


def simulate(
    n_days: int = 100,
    switch: int = 40,
    lambda_1: float = 3.0,
    lambda_2: float = 1.0,
    seed: int = DATA_SEED,
) -> np.ndarray:
    """Poisson counts with rate ``lambda_1`` before index ``switch`` and ``lambda_2`` from it on."""
    if not 1 <= switch <= n_days:
        raise ValueError(f"simulate: expected 1 <= switch <= n_days ({n_days}), got {switch}")
    rng = np.random.default_rng(seed)
    rates = np.where(np.arange(n_days) < switch, lambda_1, lambda_2)
    return rng.poisson(rates).astype(np.float64)


def _switch_terms(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """For k = 1..N: k, C_k = sum_{i<k} c_i, and C_N, N."""
    n = counts.size
    k = np.arange(1, n + 1, dtype=np.float64)
    c_before = np.cumsum(counts)  # C_k = c_0 + ... + c_{k-1}, for k = 1..N
    return k, c_before, float(counts.sum()), n


def log_lik_by_switch(counts: np.ndarray, lambda_1, lambda_2):
    """``log p(c | lambda_1, lambda_2, k)`` for every switch index ``k = 1..N`` (last axis).

    Up to the constant ``-sum log c_i!``. ``lambda_1``, ``lambda_2`` may be scalars (traced under
    jit) or arrays of draws ``(..., )``, giving ``(..., N)``.
    """
    k, c_before, c_total, n = _switch_terms(np.asarray(counts, dtype=np.float64))
    l1 = fnp.expand_dims(lambda_1, -1)
    l2 = fnp.expand_dims(lambda_2, -1)
    return c_before * fnp.log(l1) - k * l1 + (c_total - c_before) * fnp.log(l2) - (n - k) * l2


def make_log_prob(counts: np.ndarray):
    """The marginalized log density of ``{"lambda_1", "lambda_2"}`` (tau summed out)."""
    counts = np.asarray(counts, dtype=np.float64)
    alpha = 1.0 / counts.mean()
    n = counts.size

    def log_prob(p):
        l1, l2 = p["lambda_1"], p["lambda_2"]
        prior = -alpha * l1 - alpha * l2  # Exponential(rate=alpha), constants dropped
        return prior + logsumexp(log_lik_by_switch(counts, l1, l2)) - np.log(n)

    return log_prob


def switch_posterior(
    counts: np.ndarray, lambda_1: np.ndarray, lambda_2: np.ndarray, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The switch index's posterior from rate draws.

    Returns ``probs`` of shape ``(N,)`` with ``probs[k - 1] = p(k | c)`` (the average over draws of
    the exact conditional ``p(k | lambda_1, lambda_2, c)``), and one draw of ``k`` per rate draw
    (same shape as ``lambda_1``) from those conditionals.
    """
    lam1 = np.asarray(lambda_1, dtype=np.float64)
    lam2 = np.asarray(lambda_2, dtype=np.float64)
    cond = np.asarray(softmax(np.asarray(log_lik_by_switch(counts, lam1, lam2)), axis=-1))
    flat = cond.reshape(-1, cond.shape[-1])
    probs = flat.mean(axis=0)
    rng = np.random.default_rng(seed)
    u = rng.uniform(size=(flat.shape[0], 1))
    draws = 1 + np.minimum((np.cumsum(flat, axis=1) < u).sum(axis=1), flat.shape[1] - 1)
    return probs, draws.reshape(lam1.shape)


def discrete_hdi(probs: np.ndarray, mass: float = 0.94) -> tuple[int, int]:
    """The narrowest run of switch indices ``[lo, hi]`` (1-based ``k``) holding ``mass``."""
    cum = np.concatenate([[0.0], np.cumsum(probs)])
    best = (1, probs.size)
    for lo in range(probs.size):
        hi = int(np.searchsorted(cum, cum[lo] + mass - 1e-12))  # cum[hi] >= cum[lo] + mass
        if hi <= probs.size and hi - lo < best[1] - best[0] + 1:
            best = (lo + 1, hi)
    return best


def fit(
    counts: np.ndarray, *, chains: int = 4, draws: int = 1000, warmup: int = 500, seed: int = 1
) -> dict:
    """Sample the rates with NUTS and recover the switch point; returns a dict of results."""
    counts = np.asarray(counts, dtype=np.float64)
    m = counts.mean()
    init = {"lambda_1": m, "lambda_2": m}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergences are reported in the result
        res = sample(
            make_log_prob(counts),
            init,
            constraints={"lambda_1": "positive", "lambda_2": "positive"},
            chains=chains,
            draws=draws,
            warmup=warmup,
            seed=seed,
            progress=False,
        )
    lam1, lam2 = res.draws["lambda_1"], res.draws["lambda_2"]
    probs, k_draws = switch_posterior(counts, lam1, lam2, seed=seed)
    return {
        "result": res,
        "lambda_1": lam1,
        "lambda_2": lam2,
        "switch_probs": probs,
        "switch_draws": k_draws,
        "switch_mode": int(np.argmax(probs)) + 1,
        "switch_hdi": discrete_hdi(probs, 0.94),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--switch", type=int, default=PLANTED["switch"])
    parser.add_argument("--rate-before", type=float, default=PLANTED["lambda_1"])
    parser.add_argument("--rate-after", type=float, default=PLANTED["lambda_2"])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--seed", type=int, default=DATA_SEED)
    args = parser.parse_args(argv)

    counts = simulate(args.days, args.switch, args.rate_before, args.rate_after, seed=args.seed)
    out = fit(counts, chains=args.chains, draws=args.draws, warmup=args.warmup, seed=args.seed + 1)
    res = out["result"]
    print(
        f"{args.days} days of counts, switch planted at day index {args.switch} "
        f"(first day with the new rate), marginalized over the switch; NUTS on the rates "
        f"({args.chains} chains x {args.draws} draws, {res.elapsed:.2f} s, "
        f"{res.num_divergences} divergences)"
    )
    print(f"{'':>10} {'planted':>8} {'mean':>8} {'sd':>7} {'r_hat':>6} {'ess':>6}")
    for name, planted in (("lambda_1", args.rate_before), ("lambda_2", args.rate_after)):
        x = out[name]
        print(
            f"{name:>10} {planted:8.3f} {x.mean():8.3f} {x.std(ddof=1):7.3f} "
            f"{float(rhat(x)):6.3f} {float(ess(x)):6.0f}"
        )
    lo, hi = out["switch_hdi"]
    probs = out["switch_probs"]
    print(
        f"switch point: planted {args.switch}, posterior mode {out['switch_mode']} "
        f"(p = {probs[out['switch_mode'] - 1]:.3f}), 94% interval [{lo}, {hi}] "
        f"(mass {probs[lo - 1 : hi].sum():.3f})"
    )
    return out


if __name__ == "__main__":
    main()
