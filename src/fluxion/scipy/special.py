"""``fluxion.scipy.special``: differentiable special functions matching ``scipy.special``.

Use it as ``from fluxion.scipy import special``; plain ``scipy.special.<ufunc>`` calls on traced
values are routed here too.
"""

from fluxion._src.scipy.special import *  # noqa: F403  (re-export; the list is __all__)
from fluxion._src.scipy.special import __all__ as _special_all
from fluxion._src.scipy.special_cov import sinc as sinc  # issue 14's list: composites
from fluxion._src.scipy.special_incomplete import *  # noqa: F403
from fluxion._src.scipy.special_incomplete import __all__ as _incomplete_all
from fluxion._src.scipy.special_more import *  # noqa: F403  (issue 14: Bessel, zeta, ...)
from fluxion._src.scipy.special_more import __all__ as _more_all

__all__ = list(_special_all) + list(_incomplete_all) + list(_more_all) + ["sinc"]
