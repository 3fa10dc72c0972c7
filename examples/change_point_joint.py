"""The TFP seed's change-point model written as a joint distribution and sampled with NUTS.

The same model as ``change_point.py`` (``../shared/seeds/003_*.txt``)::

    alpha = 1 / mean(c)
    lambda_1, lambda_2 ~ Exponential(rate=alpha)
    k ~ Categorical(uniform over 1..N)          # the first day with the new rate
    c_i ~ Poisson(lambda_1 if i < k else lambda_2)

with the discrete switch ``k`` summed out, as there: the counts are a
:class:`~fluxion.distributions.MixtureSameFamily` over ``k`` of ``N`` independent Poisson
vectors (an ``(N, N)`` matrix of rates, row ``k`` switching at day ``k``). The joint
distribution conditioned on the counts goes to ``fluxion.mcmc.sample`` as it is: the rates'
positivity comes from the Exponential's support, and the counts' pointwise log-likelihood
(per day, the mixture over ``k`` being one observation of the whole vector) is recorded.

Run ``python examples/change_point_joint.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
from change_point import PLANTED, simulate, switch_posterior

import fluxion.distributions as fd
import fluxion.numpy as fnp
from fluxion.mcmc import sample


def change_point_model(counts: np.ndarray) -> fd.ConditionedModel:
    """The change-point joint distribution conditioned on ``counts`` (shape ``(N,)``)."""
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.size
    before = np.arange(n)[None, :] < np.arange(1, n + 1)[:, None]  # [k - 1, i]: i < k
    joint = fd.JointDistributionNamed({
        "lambda_1": fd.Exponential(1.0 / counts.mean()),
        "lambda_2": fd.Exponential(1.0 / counts.mean()),
        "counts": lambda lambda_1, lambda_2: fd.MixtureSameFamily(
            fd.Categorical(logits=np.zeros(n)),
            fd.Independent(fd.Poisson(fnp.where(before, lambda_1, lambda_2)), 1),
        ),
    })
    return joint.condition(counts=counts)


def fit(counts: np.ndarray, *, chains: int = 4, draws: int = 1000, warmup: int = 500,
        seed: int = 1) -> dict:
    """Sample the joint model; the switch point's posterior as in ``change_point.fit``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergences are reported in the result
        res = sample(change_point_model(counts), chains=chains, draws=draws, warmup=warmup,
                     seed=seed, progress=False)
    lam1, lam2 = res.draws["lambda_1"], res.draws["lambda_2"]
    probs, _ = switch_posterior(counts, lam1, lam2, seed=seed)
    return {"result": res, "lambda_1": lam1, "lambda_2": lam2, "switch_probs": probs,
            "switch_mode": int(np.argmax(probs)) + 1}


def main() -> dict:
    counts = simulate()
    out = fit(counts)
    res = out["result"]
    print(f"joint-distribution change point: {res}")
    for name in ("lambda_1", "lambda_2"):
        x = out[name]
        print(f"{name}: planted {PLANTED[name]}, posterior {x.mean():.3f} +- {x.std():.3f}")
    print(f"switch: planted {PLANTED['switch']}, posterior mode {out['switch_mode']}")
    return out


if __name__ == "__main__":
    main()
