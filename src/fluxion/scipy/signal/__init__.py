"""``fluxion.scipy.signal``: differentiable counterparts of ``scipy.signal`` functions
(convolution and correlation, recursive filters, Savitzky-Golay) and ``windows``.

Call these directly: SciPy functions do not dispatch on traced values.
"""

from fluxion._src.scipy.signal import *  # noqa: F403  (re-export; the list is __all__)
from fluxion._src.scipy.signal import __all__ as _signal_all
from fluxion._src.scipy.signal_windows import get_window as get_window

from . import windows as windows

__all__ = list(_signal_all) + ["get_window", "windows"]
