"""The TensorFlow Probability seed's distribution and bijector examples, in fluxion terms.

The seed (``../shared/seeds/003_*.txt``) shows, slide by slide:

- "Hello, World!" (slide 10): ``d = tfd.Normal(loc=0., scale=1.); x = d.sample(); px = d.prob(x)``;
- "Distributions are expressive" (slide 11): a factorial mixture of Gaussians,
  ``Independent(MixtureSameFamily(Categorical(logits=zeros([num_vars, num_components])),
  MultivariateNormalDiag(loc=mu, scale_diag=[sigma])), reinterpreted_batch_ndims=1)``, with
  ``samples = factorial_mog.sample(1000)``;
- "Bijectors transform distributions" (slide 14): a masked autoregressive flow
  (Papamakarios et al. 2017) as a ``TransformedDistribution`` of a standard normal, trained by
  maximizing ``log_prob`` ("DNN powered PDF").

Each is a function here; ``main`` runs all three and prints what they compute. The flow is
trained on two-moons data (generated here, no download) by full-batch Adam and compared with the
best Gaussian on held-out points. The change-point and annotation models of the same seed are in
``examples/change_point.py`` and ``examples/annotation.py``.

Run ``python examples/tfp_seed.py`` (``--steps`` for the flow's training length).
"""

from __future__ import annotations

import argparse

import numpy as np

import fluxion
import fluxion.bijectors as fb
import fluxion.distributions as fd
import fluxion.nn as fnn
import fluxion.numpy as fnp
from fluxion import optim


def hello_world(seed: int = 0) -> tuple[float, float]:
    """Slide 10: draw a point from a standard normal and evaluate its density."""
    d = fd.Normal(loc=0.0, scale=1.0)
    x = d.sample(seed=seed)  # Draw random point.
    px = d.prob(x)  # Compute density/mass.
    return float(x), float(px)


def factorial_mixture(num_vars: int = 3, num_components: int = 4, dims: int = 2, seed: int = 0):
    """Slide 11: ``num_vars`` independent mixtures of ``num_components`` diagonal Gaussians in
    ``dims`` dimensions; returns the distribution, 1,000 samples and their log densities."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(0.0, 3.0, size=(num_vars, num_components, dims))
    sigma = 0.5
    factorial_mog = fd.Independent(
        fd.MixtureSameFamily(
            # Uniform weight on each component.
            mixture_distribution=fd.Categorical(logits=np.zeros([num_vars, num_components])),
            components_distribution=fd.MultivariateNormalDiag(loc=mu, scale_diag=[sigma]),
        ),
        reinterpreted_batch_ndims=1,
    )
    samples = factorial_mog.sample(1000, seed=seed)
    return factorial_mog, samples, factorial_mog.log_prob(samples)


def two_moons(n: int, rng: np.random.Generator, noise: float = 0.1) -> np.ndarray:
    """``n`` points of scikit-learn's two interleaved half circles, with Gaussian noise."""
    t = rng.uniform(0.0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))


def masked_autoregressive_flow(
    n_train: int = 1000, steps: int = 300, layers: int = 3, hidden: tuple = (32, 32), seed: int = 0
) -> dict:
    """Slide 14: a MAF density (``TransformedDistribution`` of a standard normal) trained by
    maximum likelihood on two moons; returns its held-out log-likelihood and a fitted
    Gaussian's."""
    rng = np.random.default_rng(seed)
    train, test = two_moons(n_train, rng), two_moons(2000, rng)
    center, spread = train.mean(0), train.std(0)
    train, test = (train - center) / spread, (test - center) / spread
    made = fnn.AutoregressiveNetwork(params=2, event_shape=2, hidden_units=hidden,
                                     activation="tanh")
    keys = fluxion.random.split(fluxion.random.key(seed), layers)
    params = [made.init(keys[i]) for i in range(layers)]
    base = fd.Independent(fd.Normal(np.zeros(2), 1.0), reinterpreted_batch_ndims=1)

    def flow(ps) -> fd.TransformedDistribution:
        parts = []
        for i, p in enumerate(ps):
            if i:
                parts.append(fb.Permute([1, 0]))  # alternate which coordinate goes first
            parts.append(fb.MaskedAutoregressiveFlow(made.bind(p)))
        return fd.TransformedDistribution(distribution=base, bijector=fb.Chain(parts[::-1]))

    opt = optim.adam(1e-2)
    state = opt.init(params)

    # plain jit: it promotes the step to numba once the time spent on tier 0 would pay for
    # the compile (a 3-layer MAF step is ~500 equations: tens of seconds to compile cold,
    # more than 300 steps take on tier 0)
    @fluxion.jit
    def step(ps, st, y):
        loss, g = fluxion.value_and_grad(lambda q: -fnp.mean(flow(q).log_prob(y)))(ps)
        updates, st = opt.update(g, st, ps)
        return optim.apply_updates(ps, updates), st, loss

    losses = []
    for _ in range(steps):
        params, state, loss = step(params, state, train)
        losses.append(float(loss))
    flow_ll = float(np.mean(np.asarray(flow(params).log_prob(test))))
    gauss = fd.MultivariateNormalFullCovariance(train.mean(0), np.cov(train.T, bias=True))
    gauss_ll = float(np.mean(np.asarray(gauss.log_prob(test))))
    return {"flow": flow(params), "flow_ll": flow_ll, "gauss_ll": gauss_ll, "losses": losses}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    x, px = hello_world(args.seed)
    print(f"hello world: x = {x:.4f}, p(x) = {px:.4f}")
    mog, samples, lp = factorial_mixture(seed=args.seed)
    print(f"factorial mixture: batch {mog.batch_shape}, event {mog.event_shape}, "
          f"samples {np.shape(samples)}, mean log_prob {float(np.mean(lp)):.3f}")
    maf = masked_autoregressive_flow(steps=args.steps, seed=args.seed)
    print(f"MAF on two moons: held-out log-likelihood {maf['flow_ll']:.3f} nats "
          f"(best Gaussian {maf['gauss_ll']:.3f})")
    return {"hello": (x, px), "mixture": (mog, samples, lp), "maf": maf}


if __name__ == "__main__":
    main()
