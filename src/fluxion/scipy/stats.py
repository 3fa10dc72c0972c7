"""``fluxion.scipy.stats``: differentiable ``scipy.stats`` with SciPy's names and conventions.

Each family (``norm``, ``t``, ``gamma``, ``poisson``, ``multivariate_normal``, ...) is an object
whose methods (``logpdf``, ``cdf``, ``ppf``, ``mean``, ...) take the same arguments as SciPy's
(shape parameters, then ``loc`` and ``scale``; call the family to freeze it) and give the same
numbers, differentiable in the values and the parameters, under ``jit``/``vmap`` and inside the
compiled NUTS. ``rvs`` draws ordinary arrays with SciPy.
"""

from fluxion._src.scipy.stats import *  # noqa: F403  (re-export; the list is __all__)
from fluxion._src.scipy.stats import __all__ as __all__
