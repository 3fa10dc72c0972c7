"""``fluxion.scipy``: differentiable counterparts of SciPy functions.

``fluxion.scipy.special`` holds the special functions (``gammaln``, ``logsumexp``, ``xlogy``, ...);
``fluxion.scipy.integrate`` the ODE solvers and quadrature; ``fluxion.scipy.signal``
convolution, filters and windows.
"""

from . import integrate as integrate
from . import linalg as linalg
from . import signal as signal
from . import special as special
from . import stats as stats
