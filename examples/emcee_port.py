"""The seed worksheet's emcee section (``shared/seeds/002_*.txt``) ported line by line to fluxion.

The worksheet fits a line ``y = m x + b`` with scatter ``s`` to 50 simulated points, samples the
posterior in ``(m, b, log s)`` with emcee (32 walkers, 200 burn-in steps, 2,000 steps), draws a
corner plot, then samples it with NUTS and compares the time per independent sample, from
emcee's integrated autocorrelation time. Every emcee line has its fluxion twin::

    sampler = emcee.EnsembleSampler(32, 3, log_prob)         result = sample(log_prob, truth,
    sampler.run_mcmc(pos, 200); sampler.reset()                  kernel="ensemble", walkers=32,
    sampler.run_mcmc(pos, 2000)                                  warmup=200, draws=2000)
    sampler.flatchain                                        result.flatchain
    sampler.get_chain() / np.swapaxes(sampler.chain, 0, 1)   result.get_chain()
    sampler.acceptance_fraction                              result.acceptance_fraction
    corner.corner(sampler.flatchain, labels=..., truths=...) fluxion.plot.corner(result.flatchain,
                                                                 labels=..., truths=...)
    from autocorr import integrated_time                     from fluxion.diagnostics import
                                                                 integrated_time

``integrated_time`` takes emcee's layout ``(step, walker, dim)``, so the worksheet's calls run
unchanged. Run ``python examples/emcee_port.py`` (``--quick`` or ``FLUXION_EXAMPLE_QUICK=1`` for a
short run; ``--help`` for options).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

import fluxion.numpy as fnp
from fluxion import SamplingWarning
from fluxion.diagnostics import AutocorrError, integrated_time
from fluxion.mcmc import sample

TRUE_PARAMS = [-0.4, 0.03, 0.1]  # m, b, s


def simulate() -> tuple[np.ndarray, np.ndarray]:
    """The worksheet's data: ``np.random.seed(123)``, 50 sorted uniform x, Gaussian scatter."""
    rng = np.random.RandomState(123)  # the stream of np.random.seed(123)
    x = np.sort(rng.uniform(-1, 1, 50))
    y = TRUE_PARAMS[0] * x + TRUE_PARAMS[1] + TRUE_PARAMS[2] * rng.randn(len(x))
    return x, y


X, Y = simulate()


def log_prob(theta):
    """log posterior of ``theta = (m, b, log s)``: Gaussian likelihood + Jake VanderPlas's prior."""
    m, b, log_s = theta[0], theta[1], theta[2]
    s = fnp.exp(log_s)
    log_like = -0.5 * fnp.sum(((Y - (m * X + b)) / s) ** 2 + fnp.log(2 * np.pi * s**2))
    log_prior = -1.5 * fnp.log(1.0 + m**2)
    return log_like + log_prior


def _tau(chain: np.ndarray, who: str, verbose: bool) -> np.ndarray:
    """``integrated_time(chain)``; on a chain shorter than 50 tau, say so and use the estimate."""
    try:
        return integrated_time(chain)
    except AutocorrError as err:  # the estimate is still there, in err.tau
        if verbose:
            print(f"{who}: {err}")
        return err.tau


def main(
    walkers: int = 32,
    warmup: int = 200,
    draws: int = 2000,
    nuts_draws: int = 3500,
    nuts_warmup: int = 0,
    seed: int = 42,
    out: str | None = "corner.png",
    verbose: bool = True,
) -> dict:
    """Run the worksheet's emcee and NUTS cells; return the chains, taus and times."""
    truth = np.array(TRUE_PARAMS)
    truth[-1] = np.log(TRUE_PARAMS[-1])

    # In [11]: emcee.EnsembleSampler(32, 3, model.value); 200 burn-in steps, reset, 2000 steps
    emcee_time = time.time()
    result = sample(log_prob, truth, kernel="ensemble", walkers=walkers, warmup=warmup,
                    draws=draws, seed=seed, progress=False)
    emcee_time = time.time() - emcee_time
    chain = result.get_chain()  # (draws, walkers, 3), as sampler.get_chain()
    if verbose:
        print(result)
        print(f"mean acceptance fraction: {np.mean(result.acceptance_fraction):.3f}")

    # In [12]: corner.corner(sampler.flatchain, labels=["m", "b", "log(s)"], truths=truth)
    if out is not None:
        import fluxion.plot

        fluxion.plot.corner(result.flatchain, labels=["m", "b", "log(s)"], truths=truth,
                            path=out)

    # In [17]: NUTS with a user step size and the metric from the emcee chain
    nuts_time = time.time()
    metric = np.var(result.flatchain, axis=0)
    # helpers.tf_simple_nuts(session, log_prob, ..., 3500, 1.0, metric=metric): no warm-up,
    # the step size 1.0 and the emcee chain's variances as the inverse metric, kept fixed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # "warmup=0: nothing adapted"
        nuts = sample(log_prob, truth, chains=1, warmup=nuts_warmup, draws=nuts_draws,
                      step_size=1.0, inverse_metric=metric, adapt_step_size=False,
                      adapt_metric=False, seed=seed + 1, progress=False)
    nuts_time = time.time() - nuts_time
    nuts_chain = nuts.get_chain(flat=True)  # (steps, 3), as the worksheet's nuts[0]

    # In [22]: tau_emcee = integrated_time(np.swapaxes(sampler.chain, 0, 1))
    #          tau_nuts = integrated_time(nuts[0][:, None, :])
    tau_emcee = _tau(chain, "emcee", verbose)
    tau_nuts = _tau(nuts_chain[:, None, :], "NUTS", verbose)
    neff_emcee = len(result.flatchain) / np.mean(tau_emcee)
    neff_nuts = len(nuts_chain) / np.mean(tau_nuts)
    if verbose:
        print(f"The effective number of samples from emcee: {neff_emcee:.0f}")
        print(f"The effective number of samples from NUTS: {neff_nuts:.0f}")
        print(f"The time per effective sample for emcee: {1000 * emcee_time / neff_emcee:.1f} ms")
        print(f"The time per effective sample for NUTS: {1000 * nuts_time / neff_nuts:.1f} ms")
    return {
        "result": result,
        "nuts": nuts,
        "chain": chain,
        "tau_emcee": tau_emcee,
        "tau_nuts": tau_nuts,
        "neff_emcee": neff_emcee,
        "neff_nuts": neff_nuts,
        "emcee_time": emcee_time,
        "nuts_time": nuts_time,
    }


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a short run (also FLUXION_EXAMPLE_QUICK=1)")
    parser.add_argument("--out", default="corner.png", help="the corner plot (default corner.png)")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _parse()
    quick = args.quick or os.environ.get("FLUXION_EXAMPLE_QUICK", "") not in ("", "0")
    sizes = dict(warmup=50, draws=300, nuts_draws=300, nuts_warmup=0) if quick else {}
    main(seed=args.seed, out=args.out, **sizes)
