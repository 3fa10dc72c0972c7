"""``fluxion.scipy.integrate``: ODE solutions and quadrature with derivatives.

This package sits above ``jit`` and ``api`` in the layers: its solvers call SciPy on compiled
right-hand sides, and their derivative rules are written with ``jit``, ``jvp``, ``vjp`` and
``vmap``.
"""

from .ode import OdeResult, odeint, solve_ivp
from .quadrature import cumulative_trapezoid, quad, quad_vec, simpson, trapezoid

__all__ = [
    "odeint", "solve_ivp", "OdeResult", "quad", "quad_vec", "trapezoid", "simpson",
    "cumulative_trapezoid",
]
