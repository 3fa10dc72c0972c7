"""Variational inference: ELBOs, guides, the SVI loop, Pathfinder and PSIS diagnostics."""

from .pathfinder import PathfinderResult, multi_pathfinder, pathfinder
from .psis import PSISResult, khat_threshold, psis

__all__ = [
    "PSISResult",
    "PathfinderResult",
    "khat_threshold",
    "multi_pathfinder",
    "pathfinder",
    "psis",
]
