"""The ten posteriordb reference posteriors of ``posteriors.py``, written as joint distributions.

Each model is the Stan program's generative story, conditioned on its data: the free variables,
their start values and their constraints come from the model (each distribution's support and
``default_bijector``). Stan's flat priors are :class:`ImproperUniform`. Two notes:

- ``low_dim_gauss_mix``'s ``mu`` is ``ordered[2]`` in Stan: the model gives its normal prior
  and the sampler is told the order with ``constraints={"mu": "ordered"}`` (a constraint named
  by variable, overriding the support's default bijector).
- ``garch11``'s ``beta1`` lives in ``(0, 1 - alpha1)`` with a flat prior; with ``beta1 = (1 -
  alpha1) beta1_raw`` and ``beta1_raw`` flat on (0, 1), the Jacobian ``1 - alpha1`` is
  exactly a Beta(1, 2) prior on ``alpha1`` (density ``2 (1 - alpha1)``).

``MODEL_LINES`` marks the model code (between ``# model:`` and ``# end``) that the line-count
test compares with the hand-written log densities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from posteriors import load_data

import fluxion.distributions as fd
import fluxion.numpy as fnp
from fluxion.distributions import ImproperUniform
from fluxion.distributions import JointDistributionNamed as Joint
from fluxion.distributions import constraints as C


@dataclass
class JointPosterior:
    """A posteriordb posterior as a conditioned joint distribution.

    Attributes
    ----------
    name : str
    model : ConditionedModel
    derived : callable
        ``draws -> draws`` with the reported quantities that are not variables.
    sampler : dict
        Keyword arguments for ``fluxion.mcmc.sample`` (as ``posteriors.Posterior.sampler``).
    """

    name: str
    model: Any
    derived: Callable[[dict], dict] = field(default=lambda draws: draws)
    sampler: dict = field(default_factory=dict)


def _flat(support: Any = C.real, shape: tuple = ()) -> Any:
    return ImproperUniform(support, shape)


def _regression(name: str, y: str, design: np.ndarray, **sampler: Any) -> JointPosterior:
    # model: flat regression (kidiq, earnings, mesquite)
    data = load_data(name)
    model = Joint({
        "beta": _flat(shape=(design.shape[1],)),
        "sigma": _flat(C.positive),
        y: lambda beta, sigma: fd.Normal(design @ beta, sigma),
    })
    return JointPosterior(name, model.condition({y: data[y]}), sampler=sampler)
    # end


def eight_schools_noncentered() -> JointPosterior:
    # model: eight schools
    d = load_data(name := "eight_schools-eight_schools_noncentered")
    model = Joint({
        "mu": fd.Normal(0.0, 5.0),
        "tau": fd.HalfCauchy(0.0, 5.0),
        "theta_trans": fd.Normal(np.zeros(int(d["J"])), 1.0),
        "y": lambda mu, tau, theta_trans: fd.Normal(theta_trans * tau + mu, d["sigma"]),
    })

    def derived(draws: dict) -> dict:
        theta = draws["theta_trans"] * draws["tau"][..., None] + draws["mu"][..., None]
        return {"theta": theta, "mu": draws["mu"], "tau": draws["tau"]}

    return JointPosterior(name, model.condition(y=d["y"]), derived,
                          {"target_accept": 0.95, "draws": 2500})
    # end


def kidscore_momiq() -> JointPosterior:
    # model: kidscore_momiq
    d = load_data(name := "kidiq-kidscore_momiq")
    model = Joint({
        "beta": _flat(shape=(2,)),
        "sigma": fd.HalfCauchy(0.0, 2.5),
        "kid_score": lambda beta, sigma: fd.Normal(beta[0] + beta[1] * d["mom_iq"], sigma),
    })
    return JointPosterior(name, model.condition(kid_score=d["kid_score"]))
    # end


def earn_height() -> JointPosterior:
    # model: earn_height
    d = load_data(name := "earnings-earn_height")
    model = Joint({
        "beta": _flat(shape=(2,)),
        "sigma": _flat(C.positive),
        "earn": lambda beta, sigma: fd.Normal(beta[0] + beta[1] * d["height"], sigma),
    })
    return JointPosterior(name, model.condition(earn=d["earn"]), sampler={"draws": 2000})
    # end


def ar_k() -> JointPosterior:
    # model: arK
    d = load_data(name := "arK-arK")
    k, y = int(d["K"]), d["y"]
    lags = np.stack([y[k - j : y.size - j] for j in range(1, k + 1)], axis=1)
    model = Joint({
        "alpha": fd.Normal(0.0, 10.0),
        "beta": fd.Normal(np.zeros(k), 10.0),
        "sigma": fd.HalfCauchy(0.0, 2.5),
        "y": lambda alpha, beta, sigma: fd.Normal(alpha + lags @ beta, sigma),
    })
    return JointPosterior(name, model.condition(y=y[k:]))
    # end


def _garch_variances(y: np.ndarray, sigma1: float, mu: Any, a0: Any, a1: Any, b1: Any) -> Any:
    # model: garch variances (prefix composition of s -> b1 s + a0 + a1 (y_prev - mu)^2)
    t = y.size
    later = np.r_[0.0, np.ones(t - 1)]
    b = (a0 + a1 * (np.r_[0.0, y[:-1]] - mu) ** 2) * later + np.r_[sigma1**2, np.zeros(t - 1)]
    a, shift = b1 * later, 1
    while shift < t:
        b = b + a * fnp.concatenate([np.zeros(shift), b[:-shift]])
        a = a * fnp.concatenate([np.ones(shift), a[:-shift]])
        shift *= 2
    return b
    # end


def garch11() -> JointPosterior:
    # model: garch11
    d = load_data(name := "garch-garch11")
    y, s1 = d["y"], float(d["sigma1"])
    model = Joint({
        "mu": _flat(), "alpha0": _flat(C.positive), "alpha1": fd.Beta(1.0, 2.0),
        "beta1_raw": fd.Uniform(0.0, 1.0),
        "y": lambda mu, alpha0, alpha1, beta1_raw: fd.Normal(mu, fnp.sqrt(_garch_variances(
            y, s1, mu, alpha0, alpha1, (1.0 - alpha1) * beta1_raw))),
    })

    def derived(draws: dict) -> dict:
        beta1 = (1.0 - draws["alpha1"]) * draws["beta1_raw"]
        return {k: draws[k] for k in ("mu", "alpha0", "alpha1")} | {"beta1": beta1}

    return JointPosterior(name, model.condition(y=y), derived, {"draws": 1500})
    # end


def low_dim_gauss_mix() -> JointPosterior:
    # model: low_dim_gauss_mix
    d = load_data(name := "low_dim_gauss_mix-low_dim_gauss_mix")
    model = Joint({
        "mu": fd.Normal(np.zeros(2), 2.0),
        "sigma": fd.HalfNormal(2.0 * np.ones(2)),
        "theta": fd.Beta(5.0, 5.0),
        "y": lambda mu, sigma, theta: fd.MixtureSameFamily(
            fd.Categorical(probs=fnp.stack([theta, 1.0 - theta])), fd.Normal(mu, sigma)),
    })
    return JointPosterior(name, model.condition(y=d["y"]),
                          sampler={"constraints": {"mu": "ordered"}})
    # end


def gp_regr() -> JointPosterior:
    # model: gp_regr
    d = load_data(name := "gp_pois_regr-gp_regr")
    sq_dist = (d["x"][:, None] - d["x"][None, :]) ** 2
    model = Joint({
        "rho": fd.Gamma(25.0, 4.0),
        "alpha": fd.HalfNormal(2.0),
        "sigma": fd.HalfNormal(1.0),
        "y": lambda rho, alpha, sigma: fd.MultivariateNormalFullCovariance(
            np.zeros(d["y"].size),
            alpha**2 * fnp.exp(-0.5 * sq_dist / rho**2) + sigma * np.eye(d["y"].size)),
    })
    return JointPosterior(name, model.condition(y=d["y"]),
                          sampler={"target_accept": 0.95, "draws": 1500})
    # end


def sblr() -> JointPosterior:
    # model: sblr
    d = load_data(name := "sblrc-blr")
    model = Joint({
        "beta": fd.Normal(np.zeros(d["X"].shape[1]), 10.0),
        "sigma": fd.HalfNormal(10.0),
        "y": lambda beta, sigma: fd.Normal(d["X"] @ beta, sigma),
    })
    return JointPosterior(name, model.condition(y=d["y"]))
    # end


def kidscore_interaction_c() -> JointPosterior:
    # model: kidscore_interaction_c
    d = load_data(name := "kidiq_with_mom_work-kidscore_interaction_c")
    hs, iq = d["mom_hs"] - d["mom_hs"].mean(), d["mom_iq"] - d["mom_iq"].mean()
    design = np.stack([np.ones_like(hs), hs, iq, hs * iq], axis=1)
    return _regression(name, "kid_score", design)
    # end


def mesquite() -> JointPosterior:
    # model: mesquite
    d = load_data(name := "mesquite-mesquite")
    cols = ["diam1", "diam2", "canopy_height", "total_height", "density", "group"]
    design = np.stack([np.ones_like(d["weight"])] + [d[c] for c in cols], axis=1)
    return _regression(name, "weight", design, target_accept=0.95)
    # end


POSTERIORS: dict[str, Callable[[], JointPosterior]] = {
    "eight_schools-eight_schools_noncentered": eight_schools_noncentered,
    "kidiq-kidscore_momiq": kidscore_momiq,
    "earnings-earn_height": earn_height,
    "arK-arK": ar_k,
    "garch-garch11": garch11,
    "low_dim_gauss_mix-low_dim_gauss_mix": low_dim_gauss_mix,
    "gp_pois_regr-gp_regr": gp_regr,
    "sblrc-blr": sblr,
    "kidiq_with_mom_work-kidscore_interaction_c": kidscore_interaction_c,
    "mesquite-mesquite": mesquite,
}
