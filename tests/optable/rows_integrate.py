"""Op-table rows for ``fluxion.scipy.integrate`` (issue 14), against ``scipy.integrate``.

The ODE rows integrate a small Lotka-Volterra system over short spans at tight tolerances
(``rtol = atol = 1e-12``), so the solution is smooth in its inputs to far below the
central-difference step and the derivative checks resolve it; the quadrature rows integrate
smooth integrands with ``epsabs = epsrel = 1e-13`` for the same reason. Every continuous
argument is a row argument: the initial state, the parameters (``args``) and the times for the
ODEs (``t`` for ``odeint``; ``t_span[0]`` and ``t_eval`` for ``solve_ivp``), the limits and the
parameters for the quadratures, and the samples, sample points and spacing for the sample rules.

Second order: the ODE rows that run both modes mark ``higher_order`` as a known gap (reverse mode
of the adjoint solve raises ``NotImplementedError``); the ``-fwd2`` rows check forward over
forward, which works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.integrate as si

import fluxion.numpy as fnp
import fluxion.scipy.integrate as fig
from fluxion._src.integrate.ode import ode_p
from fluxion._src.integrate.quadrature import quad_p
from optable import OpCase

ROWS: list[OpCase] = []

_ODE_TOL = {"rtol": 1e-12, "atol": 1e-12}
_QUAD_TOL = {"epsabs": 1e-13, "epsrel": 1e-13}
_EXACT = {"rtol": 1e-12, "atol": 1e-13}
_ADJOINT_2ND = (
    "second order through reverse mode: the adjoint solve (ode_adjoint) has no derivative "
    "rules and raises NotImplementedError; forward over forward is the -fwd2 row"
)


def row(name: str, fn: Callable, ref: Callable | None, make: Callable, prims: tuple = (),
        **kw: Any) -> None:
    ROWS.append(OpCase(name=f"ig-{name}", fn=fn, ref=ref, make_args=make, prims=tuple(prims),
                       **kw))


# --------------------------------------------------------------------------------------------
# ODEs: Lotka-Volterra, y0 near (1.0, 0.5), parameters near (1.0, 0.6, 0.8, 0.9)
# --------------------------------------------------------------------------------------------


def _lv(y: Any, t: Any, p: Any) -> Any:
    return fnp.stack([p[0] * y[0] - p[1] * y[0] * y[1], p[2] * y[0] * y[1] - p[3] * y[1]])


def _lv_np(y: np.ndarray, t: float, p: np.ndarray) -> list:
    return [p[0] * y[0] - p[1] * y[0] * y[1], p[2] * y[0] * y[1] - p[3] * y[1]]


def _ode_args(rng: np.random.Generator) -> tuple:
    y0 = np.array([1.0, 0.5]) + rng.uniform(-0.1, 0.1, 2)
    t = np.cumsum(np.concatenate([[rng.uniform(0.0, 0.1)], rng.uniform(0.2, 0.4, 2)]))
    p = np.array([1.0, 0.6, 0.8, 0.9]) + rng.uniform(-0.1, 0.1, 4)
    return y0, t, p


def _odeint(y0: Any, t: Any, p: Any) -> Any:
    return fig.odeint(_lv, y0, t, args=(p,), **_ODE_TOL)


def _odeint_ref(y0: np.ndarray, t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return si.odeint(_lv_np, y0, t, args=(p,), **_ODE_TOL)


def _ivp_args(rng: np.random.Generator) -> tuple:
    y0, t, p = _ode_args(rng)
    return y0, t[0], t[1:], p


def _ivp(method: str) -> Callable:
    def fn(y0: Any, t0: Any, te: Any, p: Any) -> Any:
        res = fig.solve_ivp(lambda t, y, p: _lv(y, t, p), (t0, te[-1]), y0, method=method,
                            t_eval=te, args=(p,), **_ODE_TOL)
        return res.y

    return fn


def _ivp_ref(method: str) -> Callable:
    def ref(y0: np.ndarray, t0: np.ndarray, te: np.ndarray, p: np.ndarray) -> np.ndarray:
        res = si.solve_ivp(lambda t, y, p: _lv_np(y, t, p), (t0, te[-1]), y0, method=method,
                           t_eval=te, args=(p,), **_ODE_TOL)
        return res.y

    return ref


_ODE_PRIMS = (ode_p,)  # ode_adjoint runs only in reverse mode, which the shape check skips

row("odeint", _odeint, _odeint_ref, _ode_args, _ODE_PRIMS, rtol=1e-10, atol=1e-12,
    xfail={"higher_order": _ADJOINT_2ND})
row("odeint-fwd2", _odeint, _odeint_ref, _ode_args, (ode_p,), modes=("fwd",), rtol=1e-10,
    atol=1e-12)
for _method in ("RK45", "BDF"):
    row(f"solve_ivp-{_method}", _ivp(_method), _ivp_ref(_method), _ivp_args, _ODE_PRIMS,
        rtol=1e-10, atol=1e-12, xfail={"higher_order": _ADJOINT_2ND})
    row(f"solve_ivp-{_method}-fwd2", _ivp(_method), _ivp_ref(_method), _ivp_args, (ode_p,),
        modes=("fwd",), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Adaptive quadrature
# --------------------------------------------------------------------------------------------


def _quad_args(rng: np.random.Generator) -> tuple:
    a = np.float64(rng.uniform(-0.5, 0.0))
    b = np.float64(rng.uniform(1.0, 2.0))
    k = np.array([rng.uniform(0.5, 1.5), rng.uniform(0.5, 2.0)])
    return a, b, k


def _quad(a: Any, b: Any, k: Any) -> Any:
    return fig.quad(lambda x, k: fnp.exp(-k[0] * x) * fnp.sin(k[1] * x), a, b, args=(k,),
                    **_QUAD_TOL)[0]


def _quad_ref(a: float, b: float, k: np.ndarray) -> np.float64:
    val = si.quad(lambda x, k: np.exp(-k[0] * x) * np.sin(k[1] * x), a, b, args=(k,),
                  **_QUAD_TOL)[0]
    return np.float64(val)


def _quad_inf_args(rng: np.random.Generator) -> tuple:
    return np.float64(rng.uniform(0.0, 0.5)), np.array(rng.uniform(0.8, 1.5))


def _quad_inf(a: Any, k: Any) -> Any:
    return fig.quad(lambda x, k: fnp.exp(-k * x * x), a, np.inf, args=(k,), **_QUAD_TOL)[0]


def _quad_inf_ref(a: float, k: np.ndarray) -> np.float64:
    return np.float64(si.quad(lambda x, k: np.exp(-k * x * x), a, np.inf, args=(k,),
                              **_QUAD_TOL)[0])


def _quad_vec(a: Any, b: Any, k: Any) -> Any:
    return fig.quad_vec(lambda x, k: fnp.stack([fnp.exp(-k[0] * x), fnp.cos(k[1] * x), x * k[0]]),
                        a, b, args=(k,), **_QUAD_TOL)[0]


def _quad_vec_ref(a: float, b: float, k: np.ndarray) -> np.ndarray:
    return si.quad_vec(lambda x, k: np.stack([np.exp(-k[0] * x), np.cos(k[1] * x), x * k[0]]),
                       a, b, args=(k,), **_QUAD_TOL)[0]


_QUAD = (quad_p,)
row("quad", _quad, _quad_ref, _quad_args, _QUAD, **_EXACT)
row("quad-inf", _quad_inf, _quad_inf_ref, _quad_inf_args, _QUAD, **_EXACT)
row("quad_vec", _quad_vec, _quad_vec_ref, _quad_args, _QUAD, **_EXACT)


# --------------------------------------------------------------------------------------------
# Sample rules (compositions of fluxion.numpy operations: no primitive of their own)
# --------------------------------------------------------------------------------------------


def _samples(shape: tuple, with_x: bool) -> Callable:
    def make(rng: np.random.Generator) -> tuple:
        y = rng.standard_normal(shape)
        if not with_x:
            return y, np.float64(rng.uniform(0.2, 1.5))
        x = np.cumsum(rng.uniform(0.2, 1.0, shape[-1]))  # uneven, increasing
        return y, x

    return make


row("trapezoid-x", lambda y, x: fig.trapezoid(y, x), lambda y, x: si.trapezoid(y, x),
    _samples((2, 7), True), **_EXACT)
row("trapezoid-dx-axis0", lambda y, dx: fig.trapezoid(y, dx=dx, axis=0),
    lambda y, dx: si.trapezoid(y, dx=dx, axis=0), _samples((6, 3), False), **_EXACT)
row("simpson-x-odd", lambda y, x: fig.simpson(y, x=x), lambda y, x: si.simpson(y, x=x),
    _samples((2, 7), True), **_EXACT)
row("simpson-x-even", lambda y, x: fig.simpson(y, x=x), lambda y, x: si.simpson(y, x=x),
    _samples((3, 6), True), **_EXACT)
row("simpson-dx-even", lambda y, dx: fig.simpson(y, dx=dx),
    lambda y, dx: si.simpson(y, dx=dx), _samples((8,), False), **_EXACT)
row("cumulative_trapezoid-x", lambda y, x: fig.cumulative_trapezoid(y, x),
    lambda y, x: si.cumulative_trapezoid(y, x), _samples((2, 6), True), **_EXACT)
row("cumulative_trapezoid-dx-initial",
    lambda y, dx: fig.cumulative_trapezoid(y, dx=dx, axis=0, initial=0),
    lambda y, dx: si.cumulative_trapezoid(y, dx=dx, axis=0, initial=0),
    _samples((5, 2), False), **_EXACT)
