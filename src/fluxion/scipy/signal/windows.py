"""``fluxion.scipy.signal.windows``: window functions, differentiable in their float
parameters (``kaiser``'s ``beta``, ``gaussian``'s ``std``, ``tukey``'s ``alpha``, ...)."""

from fluxion._src.scipy.signal_windows import *  # noqa: F403  (re-export; the list is __all__)
from fluxion._src.scipy.signal_windows import __all__ as _windows_all

__all__ = list(_windows_all)
