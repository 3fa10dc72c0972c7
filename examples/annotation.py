"""The annotation model of the TensorFlow Probability seed, written with fluxion.distributions.

The seed (``../shared/seeds/003_*.txt``, slide 26) codes Bob Carpenter's "Multilevel Bayesian
Models of Categorical Data Annotation": ``J`` annotators label ``I`` items as 0 or 1; item ``i``
has a true category ``z_i`` (prevalence ``pi``) and a difficulty ``delta_i``; annotator ``j`` has
a sensitivity and a specificity on the logit scale, ``gamma_j = (gamma_j0, gamma_j1)``, drawn from
a population ``Normal(mu, sigma)``::

    pi ~ Uniform(0, 1)                  rho_0, rho_1 ~ Uniform(0, 50)
    mu_0, mu_1 ~ Normal(0, 10)          sigma ~ Uniform(0, [50, 100])
    gamma_j ~ Normal(mu, sigma)         (annotators' plate)
    z_i ~ Bernoulli(pi)                 delta_i ~ Normal(0, rho[z_i])     (items' plate)
    x_ij ~ Bernoulli(logits = gamma_j1 - delta_i   if z_i = 1
                             -gamma_j0 + delta_i   if z_i = 0)            (labels' plate)

The seed draws ``c ~ Uniform(0, 1)`` per item and uses ``c < pi`` as ``z``: a step function of
the parameters, whose gradient is zero, which HMC cannot move. Here ``z_i`` is summed out
exactly instead (two terms per item, ``logaddexp``), which leaves a smooth density that NUTS
samples on the compiled chain; the posterior probability that item ``i`` is positive is
recovered per draw as the normalized first term (``item_posteriors``).

Funnels: ``delta_i ~ Normal(0, rho[z_i])`` with only ``J`` labels per item, and ``gamma_j ~
Normal(mu, sigma)`` with few annotators, are Neal's funnel (NUTS hits its maximum tree depth and
E-BFMI collapses when they are sampled as written). Both are sampled non-centred:
``gamma = mu + sigma * gamma_raw`` and, inside each category's term, ``delta_i = rho[z] *
eta_i`` with ``eta_i ~ Normal(0, 1)``. For each ``z`` that map is a bijection of ``delta_i``, so
summing ``z`` out of the joint density of ``(z, eta)`` gives the same posterior for every other
parameter; the difficulty is recovered as ``rho[z] * eta``.

Label switching: swapping the roles of ``z = 0`` and ``z = 1`` with ``gamma -> -gamma`` gives the
same likelihood; annotators better than chance (``gamma > 0``) pick one mode, so every chain
starts there (``init`` below), as Carpenter does.

Near-symmetry: swapping an item's category ``z`` and moving its difficulty to
``delta' = gamma_j0 + gamma_j1 - delta`` leaves every label's logit unchanged when
``gamma_j0 + gamma_j1`` is the same for every annotator. With near-identical annotators (small
``sigma``) the posterior therefore has a second mode in which the categories are close to
chance and one ``rho`` is large; chains started in the good mode were seen to leave it (150 items,
8 annotators, ``sigma = 0.5``: one chain at 31% item accuracy, R-hat of ``pi`` 2.3, flagged by
the sampler's R-hat warning). Annotators that differ (planted ``sigma = 1.2``) break the symmetry:
both chains then agree (96% item accuracy against 97% for the majority vote). The seed's
``rho ~ Uniform(0, 50)`` is kept; ``--rho-high`` narrows it.

Labels per item: with the seed's vague priors (``rho`` up to 50, ``sigma`` up to 100) a large
item difficulty can stand in for the category, and with few labels per item the posterior leans
that way. Measured with ``python examples/annotation.py`` (4 chains x 500 draws, seed 1):

======================  =========  ==============  =============
items x annotators      max R-hat  item accuracy   majority vote
======================  =========  ==============  =============
200 x 5                 1.54       0.80            0.94
200 x 10 (the default)  1.04       0.97            0.945
======================  =========  ==============  =============

With 5 annotators every chain drifts to ``rho[1]`` near 30 and ``sigma[1]`` near 20, and the
sampler says so (R-hat and ESS warnings). Ten labels per item is what the RTE data of
Snow et al. (2008) that Carpenter analyses has. Even at 150 x 8, ``pi`` mixes slowly (bulk ESS
about 10 in 2 x 300 draws, for the compiled and the Python NUTS alike): run long chains, narrow
``rho`` (``--rho-high 2``), and read the warnings; this is the model's geometry, not a sampler
fault.

Run ``python examples/annotation.py`` (``--help`` for options): it simulates labels from known
parameters, samples, and prints recovered against planted values and the accuracy of the
inferred categories.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from scipy.special import expit

import fluxion.distributions as fd
import fluxion.numpy as fnp
from fluxion.mcmc import sample

# annotators differ (sigma 1.2 on the logit scale): with near-identical annotators the model has
# a second, near-symmetric mode (see "Near-symmetry" in the module docstring)
PLANTED = {"pi": 0.3, "mu": np.array([1.5, 2.0]), "sigma": np.array([1.2, 1.2])}
RHO_HIGH = 50.0  # the seed's prior: rho ~ Uniform(0, 50)


def constraints(rho_high: float = RHO_HIGH) -> dict:
    """The support of every bounded parameter (``rho``'s upper bound is its prior's)."""
    return {
        "pi": "unit_interval",
        "rho": ("interval", 0.0, rho_high),
        "sigma": ("interval", 0.0, np.array([50.0, 100.0])),
    }


CONSTRAINTS = constraints()


def simulate(items: int = 200, annotators: int = 10, seed: int = 1) -> dict:
    """Labels ``x`` (items x annotators) from the generative model with planted parameters."""
    rng = np.random.default_rng(seed)
    gamma = PLANTED["mu"] + PLANTED["sigma"] * rng.standard_normal((annotators, 2))
    z = rng.random(items) < PLANTED["pi"]
    rho = np.array([1.0, 1.0])
    delta = rng.standard_normal(items) * rho[z.astype(int)]
    logits = np.where(z[:, None], gamma[:, 1] - delta[:, None], -gamma[:, 0] + delta[:, None])
    x = (rng.random((items, annotators)) < 1.0 / (1.0 + np.exp(-logits))).astype(float)
    return {"x": x, "z": z, "gamma": gamma, "delta": delta}


def _category_terms(p: dict, x: np.ndarray):
    """log p(z_i = 1, x_i. | eta_i, ...) and log p(z_i = 0, x_i. | eta_i, ...), shape (I,)."""
    g = p["mu"] + p["sigma"] * p["gamma_raw"]  # (J, 2), non-centred
    eta = p["eta"][:, None]
    positive = fnp.log(p["pi"]) + fnp.sum(
        fd.Bernoulli(logits=g[:, 1] - p["rho"][1] * eta).log_prob(x), axis=1
    )
    negative = fnp.log1p(-p["pi"]) + fnp.sum(
        fd.Bernoulli(logits=-g[:, 0] + p["rho"][0] * eta).log_prob(x), axis=1
    )
    return positive, negative


def make_log_prob(x: np.ndarray, rho_high: float = RHO_HIGH):
    """The joint log density of the parameters with every ``z_i`` summed out (parameters
    ``pi, rho, mu, sigma, gamma_raw, eta``; ``gamma = mu + sigma * gamma_raw``;
    ``rho ~ Uniform(0, rho_high)``)."""

    def log_prob(p: dict):
        positive, negative = _category_terms(p, x)
        return (
            fd.Uniform(0.0, 1.0).log_prob(p["pi"])
            + fnp.sum(fd.Uniform(0.0, rho_high).log_prob(p["rho"]))
            + fnp.sum(fd.Normal(0.0, 10.0).log_prob(p["mu"]))
            + fnp.sum(fd.Uniform(0.0, np.array([50.0, 100.0])).log_prob(p["sigma"]))
            + fnp.sum(fd.Normal(0.0, 1.0).log_prob(p["gamma_raw"]))
            + fnp.sum(fd.Normal(0.0, 1.0).log_prob(p["eta"]))
            + fnp.sum(fnp.logaddexp(positive, negative))
        )

    return log_prob


def init_values(items: int, annotators: int) -> dict:
    """Every chain starts in the mode where annotators beat chance (gamma > 0)."""
    return {
        "pi": 0.5, "rho": np.array([1.0, 1.0]), "mu": np.array([1.0, 1.0]),
        "sigma": np.array([1.0, 1.0]), "gamma_raw": np.zeros((annotators, 2)),
        "eta": np.zeros(items),
    }


def item_posteriors(draws: dict, x: np.ndarray) -> np.ndarray:
    """P(z_i = 1 | x), averaged over the draws (each draw's two terms normalized)."""
    flat = {k: np.reshape(v, (-1,) + np.shape(v)[2:]) for k, v in draws.items()}
    n = len(flat["pi"])
    probs = np.zeros(x.shape[0])
    for s in range(n):
        pos, neg = _category_terms({k: v[s] for k, v in flat.items()}, x)
        probs += expit(np.asarray(pos) - np.asarray(neg))  # pos / (pos + neg), no overflow
    return probs / n


def fit(
    x: np.ndarray, chains: int = 4, draws: int = 500, warmup: int = 500, seed: int = 0,
    rho_high: float = RHO_HIGH,
):
    """NUTS on the marginalized model (compiled chain); returns the SampleResult."""
    items, annotators = x.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return sample(
            make_log_prob(x, rho_high), init_values(items, annotators),
            constraints=constraints(rho_high),
            chains=chains, draws=draws, warmup=warmup, seed=seed, progress=False,
        )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--annotators", type=int, default=10)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rho-high", type=float, default=RHO_HIGH,
        help="upper bound of rho's uniform prior (the seed's 50 leaves the posterior multimodal)",
    )
    args = parser.parse_args(argv)
    data = simulate(args.items, args.annotators, args.seed)
    res = fit(data["x"], args.chains, args.draws, args.warmup, args.seed, args.rho_high)
    probs = item_posteriors(
        {k: res.draws[k][:, ::10] for k in res.draws}, data["x"]
    )
    accuracy = float(np.mean((probs > 0.5) == data["z"]))
    majority = float(np.mean((data["x"].mean(1) > 0.5) == data["z"]))
    pi = float(np.mean(res.draws["pi"]))
    mu = np.mean(res.draws["mu"], axis=(0, 1))
    print(f"compiled: {res.compiled}")
    print(f"pi     planted {PLANTED['pi']:.2f}  posterior mean {pi:.3f}")
    print(f"mu     planted {PLANTED['mu']}  posterior mean {np.round(mu, 3)}")
    print(f"categories: model accuracy {accuracy:.3f}, majority vote {majority:.3f}")
    return {"result": res, "accuracy": accuracy, "majority": majority, "pi": pi, "mu": mu}


if __name__ == "__main__":
    main()
