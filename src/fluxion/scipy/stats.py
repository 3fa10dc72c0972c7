"""``fluxion.scipy.stats``: differentiable ``scipy.stats`` (so far ``dirichlet``; the families of
issue 14 follow)."""

from fluxion._src.scipy.stats import *  # noqa: F403  (re-export; the list is __all__)
from fluxion._src.scipy.stats import __all__ as __all__
