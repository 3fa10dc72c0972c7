"""``fluxion.scipy.stats``: differentiable counterparts of ``scipy.stats``.

Families share ``_base`` (SciPy's argument conventions, ``loc``/``scale``, frozen
distributions, domain handling) and state their maths in standard form, one class each:
``_continuous`` (closed-form continuous families), ``_continuous2``, ``_discrete``,
``_multivariate``.
"""

from ._base import rv_continuous, rv_discrete, rv_frozen
from ._continuous import *  # noqa: F403
from ._continuous import __all__ as _continuous_all
from ._continuous2 import *  # noqa: F403
from ._continuous2 import __all__ as _continuous2_all
from ._discrete import *  # noqa: F403
from ._discrete import __all__ as _discrete_all
from ._multivariate import *  # noqa: F403
from ._multivariate import __all__ as _multivariate_all

__all__ = ["rv_continuous", "rv_discrete", "rv_frozen"] + list(_continuous_all) + list(
    _continuous2_all) + list(_discrete_all) + list(
    _multivariate_all)
