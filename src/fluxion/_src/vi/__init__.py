"""Variational inference: ELBOs, guides, the SVI loop, Pathfinder and PSIS diagnostics."""

from .elbo import ELBO, IWAE, RenyiELBO, VariationalObjective
from .guides import (
    AutoLowRankMultivariateNormal,
    AutoMultivariateNormal,
    AutoNormal,
    AutoNormalizingFlow,
    Guide,
)
from .pathfinder import PathfinderResult, multi_pathfinder, pathfinder
from .psis import PSISResult, khat_threshold, psis
from .svi import KhatDiagnostic, NonFiniteELBOError, VIResult, fit

__all__ = [
    "ELBO",
    "IWAE",
    "AutoLowRankMultivariateNormal",
    "AutoMultivariateNormal",
    "AutoNormal",
    "AutoNormalizingFlow",
    "Guide",
    "KhatDiagnostic",
    "NonFiniteELBOError",
    "PSISResult",
    "PathfinderResult",
    "RenyiELBO",
    "VIResult",
    "VariationalObjective",
    "fit",
    "khat_threshold",
    "multi_pathfinder",
    "pathfinder",
    "psis",
]
