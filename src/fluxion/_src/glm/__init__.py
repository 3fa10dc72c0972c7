"""Generalized linear models: families, Fisher scoring (:func:`fit`), elastic-net fits, and
the Bayesian GLM (:func:`bayesian_model`) for the samplers."""

from .bayes import BayesianGLM, bayesian_model
from .families import (
    LINKS,
    Bernoulli,
    BernoulliNormalCDF,
    Binomial,
    Family,
    Gamma,
    InverseGaussian,
    Link,
    NegativeBinomial,
    Normal,
    Poisson,
    PoissonSoftplus,
)
from .fit import GLMRankWarning, GLMResult, fit
from .sharded import fit_sharded, fit_sparse_sharded
from .sparse import fit_sparse, soft_threshold

__all__ = [
    "LINKS",
    "BayesianGLM",
    "Bernoulli",
    "BernoulliNormalCDF",
    "Binomial",
    "Family",
    "GLMRankWarning",
    "GLMResult",
    "Gamma",
    "InverseGaussian",
    "Link",
    "NegativeBinomial",
    "Normal",
    "Poisson",
    "PoissonSoftplus",
    "bayesian_model",
    "fit_sharded",
    "fit_sparse_sharded",
    "fit",
    "fit_sparse",
    "soft_threshold",
]
