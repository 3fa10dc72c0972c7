"""``fluxion.scipy``: differentiable counterparts of SciPy functions.

``fluxion.scipy.special`` holds the special functions (``gammaln``, ``logsumexp``, ``xlogy``, ...);
``fluxion.scipy.integrate`` the ODE solvers and quadrature; ``fluxion.scipy.signal``
convolution, filters and windows.

Plain SciPy on traced values: SciPy's ufuncs (``scipy.special.gammaln(x)``, ...) called on a
traced value run as their fluxion counterparts (NumPy's ``__array_ufunc__`` protocol). SciPy
functions written in Python over NumPy (``scipy.special.logsumexp``, ``scipy.stats.norm.logpdf``,
``scipy.linalg.expm``) convert their inputs with ``numpy.asarray`` and cannot run on traced
values: the error names the SciPy function and its ``fluxion.scipy`` counterpart, or says there
is none. Traced values do not offer ``__array_namespace__``, so SciPy's array-API mode
(``SCIPY_ARRAY_API=1``) refuses them too: through ``fluxion.numpy`` SciPy's array-API code does
run (``logsumexp``, ``softmax``) but not safely, e.g. the gradient of ``logsumexp(x, b=w)``
comes out NaN where ``fluxion.scipy.special.logsumexp`` gives the right one (SciPy's masked
branches evaluate logarithms whose untaken side is NaN). ``fluxion.scipy`` itself works in that
mode.
"""

from . import integrate as integrate
from . import linalg as linalg
from . import signal as signal
from . import special as special
from . import stats as stats
