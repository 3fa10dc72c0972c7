"""Generalized linear models: families, Fisher scoring (:func:`fit`), elastic-net fits."""

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
from .sparse import fit_sparse, soft_threshold

__all__ = [
    "LINKS",
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
    "fit",
    "fit_sparse",
    "soft_threshold",
]
