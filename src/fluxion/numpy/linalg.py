"""``fluxion.numpy.linalg``: differentiable linear algebra (matches ``numpy.linalg``)."""

from fluxion._src.numpy.linalg import *  # noqa: F403
from fluxion._src.numpy.linalg import __all__ as __all__  # noqa: F401
