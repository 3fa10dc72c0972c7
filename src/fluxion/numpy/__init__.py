"""``fluxion.numpy``: a differentiable NumPy namespace.

Use it as ``import fluxion.numpy as fnp`` (or ``as np``); every function matches the NumPy function
of the same name and works on plain arrays (returning plain ``numpy.ndarray``) and, inside
transforms, on traced values. Plain ``numpy`` calls on traced values are routed here too.
"""

from fluxion._src.numpy.core import *  # noqa: F403  (re-export; the list is core.__all__)
from fluxion._src.numpy.core import __all__ as _core_all
from fluxion._src.numpy.extra import *  # noqa: F403  (re-export; the list is extra.__all__)
from fluxion._src.numpy.extra import __all__ as _extra_all
from fluxion._src.numpy.extra2 import *  # noqa: F403  (re-export; the list is extra2.__all__)
from fluxion._src.numpy.extra2 import __all__ as _extra2_all
from fluxion._src.numpy.extra3 import *  # noqa: F403  (re-export; the list is extra3.__all__)
from fluxion._src.numpy.extra3 import __all__ as _extra3_all

from . import fft as fft
from . import linalg as linalg
from . import random as random

__all__ = (
    list(_core_all)
    + list(_extra_all)
    + list(_extra2_all)
    + list(_extra3_all)
    + ["fft", "linalg", "random"]
)
