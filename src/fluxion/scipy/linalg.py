"""``fluxion.scipy.linalg``: differentiable counterparts of ``scipy.linalg`` functions.

Call these directly: SciPy functions do not dispatch on traced values.
"""

from fluxion._src.scipy.linalg import *  # noqa: F403  (re-export; the list is __all__)
from fluxion._src.scipy.linalg import __all__ as _linalg_all

__all__ = list(_linalg_all)
