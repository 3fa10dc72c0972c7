"""Distributions (TensorFlow Probability's interface) on fluxion.numpy.

``base`` holds the :class:`Distribution` base class, ``ScipyBacked`` and the KL registry;
``constraints`` the supports; one module per group of families: ``continuous`` (univariate
continuous), ``discrete``, ``multivariate``, ``processes`` (Gaussian processes, random walks),
``meta`` (Independent, Sample, TransformedDistribution, mixtures, Truncated, ...) and ``joint``
(joint distributions and their use as models).
"""

from . import constraints
from .base import *  # noqa: F403
from .base import __all__ as _base_all
from .continuous import *  # noqa: F403
from .continuous import __all__ as _continuous_all
from .discrete import *  # noqa: F403
from .discrete import __all__ as _discrete_all
from .joint import *  # noqa: F403
from .joint import __all__ as _joint_all
from .meta import *  # noqa: F403
from .meta import __all__ as _meta_all
from .multivariate import *  # noqa: F403
from .multivariate import __all__ as _multivariate_all
from .processes import *  # noqa: F403
from .processes import __all__ as _processes_all

__all__ = (
    ["constraints"]
    + list(_base_all)
    + list(_continuous_all)
    + list(_discrete_all)
    + list(_multivariate_all)
    + list(_processes_all)
    + list(_meta_all)
    + list(_joint_all)
)
