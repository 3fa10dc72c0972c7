"""``fluxion.random``: explicit-key pseudo-random numbers, reproducible under jit, vmap and grad.

``key = fluxion.random.key(0)``; ``k1, k2 = fluxion.random.split(key)``; draws such as
``normal(key, shape, loc=mu, scale=sigma)`` are differentiable in their parameters
(reparameterization; ``gamma``, ``beta``, ``dirichlet`` and ``t`` by implicit reparameterization).
Inside jit, pass keys in as arguments. For NumPy's stateful ``np.random`` see
``fluxion.numpy.random``.
"""

from fluxion._src.random import *  # noqa: F403
from fluxion._src.random import __all__ as __all__  # noqa: F401
