"""``fluxion.scipy``: differentiable counterparts of SciPy functions.

``fluxion.scipy.special`` holds the special functions (``gammaln``, ``logsumexp``, ``xlogy``, ...).
"""

from . import linalg as linalg
from . import special as special
