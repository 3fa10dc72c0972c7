"""Variational inference: ELBOs, guides, the SVI loop, Pathfinder and PSIS diagnostics."""

from .psis import PSISResult, khat_threshold, psis

__all__ = ["PSISResult", "khat_threshold", "psis"]
