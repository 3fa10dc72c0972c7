"""``fluxion.scipy.integrate``: differentiable ODE solutions and quadrature.

``odeint`` and ``solve_ivp`` run SciPy's solvers on a compiled right-hand side and differentiate
with respect to the initial state, the parameters (``args`` and captured traced values) and the
times (adjoint method in reverse mode, forward sensitivities in forward mode). ``quad`` runs
``scipy.integrate.quad``; ``trapezoid``, ``simpson`` and ``cumulative_trapezoid`` are written
with ``fluxion.numpy``. Call these directly: SciPy functions do not dispatch on traced values.
"""

from fluxion._src.integrate import *  # noqa: F403  (re-export; the list is __all__)
from fluxion._src.integrate import __all__ as _integrate_all

__all__ = list(_integrate_all)
