"""``fluxion.plot``: corner and trace plots (needs the ``plot`` extra: matplotlib, corner)."""

from fluxion._src.plot import corner as corner
from fluxion._src.plot import trace as trace

__all__ = ["corner", "trace"]
