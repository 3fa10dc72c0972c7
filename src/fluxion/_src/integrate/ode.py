"""ODE solutions with derivatives: ``odeint`` and ``solve_ivp`` on SciPy's own solvers.

One primitive, ``ode``, integrates ``dy/dt = f(y, t, *theta)`` and returns the states at the
output times ``ts`` (``ts[0]`` is the initial time). Its operands are ``y0``, ``ts`` and the
parameters ``theta`` (the leaves of ``args`` and the traced values the right-hand side closes
over); its static parameter ``rhs`` (:class:`Rhs`) holds the right-hand side and its compiled
helpers. The values come from ``scipy.integrate.odeint`` / ``solve_ivp`` calling the
``fluxion.jit`` of ``f`` (and of its Jacobian ``jacfwd(f)`` for the stiff methods).

- jvp (forward sensitivities): the same primitive on the augmented system ``(y, S)`` with
  ``dS/dt = f_y S + f_theta t_theta`` and ``S(t0) = t_y0 - f(y0, t0) t_t0``; the tangent at the
  output ``i`` is ``S(t_i) + f(y_i, t_i) t_ti``. It is an ``ode`` again, so it differentiates
  again (forward over forward, reverse over forward).
- vjp (adjoint method): the primitive ``ode_adjoint`` integrates ``a' = -a f_y``,
  ``mu' = -a f_theta`` backward from ``t_N`` to ``t_0`` between output times, adding each
  output's cotangent, with ``y(t)`` read from the dense output of a forward solve (not integrated
  backward: that is unstable for stiff systems). ``a f_y`` and ``a f_theta`` come from a jitted
  ``fluxion.vjp`` of ``f``. Its own derivatives are not defined: second order through reverse
  mode raises (forward over forward works).
- batch: a batch of initial states or parameters is one ODE on the stacked states (the vmap of
  ``f``); batched output times loop.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..api import jacfwd, jvp, vjp
from ..backend import require_host
from ..batching import vmap
from ..codegen.lowering import cannot_lower
from ..core import Primitive, ShapedArray, Tracer, Zero, aval_of
from ..jit import jit
from ..numpy import core as fnp
from ._convert import convert

__all__ = ["odeint", "solve_ivp", "OdeResult", "ode_p", "ode_adjoint_p", "Rhs"]

_METHODS = ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA")
_STIFF = ("Radau", "BDF", "LSODA")
_F64 = np.dtype(np.float64)


def _subst(theta: Any, pos: tuple, vals: Any) -> list:
    out = list(theta)
    for i, v in zip(pos, vals):
        out[i] = v
    return out


class Rhs:
    """A right-hand side ``fn(y, t, *theta) -> dy`` (fluxion operations; ``y`` 1-D of size ``n``)
    and its compiled helpers, built on first use."""

    def __init__(self, fn: Any, n: int, theta_avals: list, name: str) -> None:
        self.fn = fn
        self.n = n
        self.theta_avals = list(theta_avals)
        self.name = name
        # the parameters with derivatives (float leaves); their flat sizes
        self.diff = tuple(i for i, a in enumerate(self.theta_avals) if a.dtype.kind == "f")
        self.sizes = [self.theta_avals[i].size for i in self.diff]
        self._aug: dict = {}
        self._batched: dict = {}

    def __repr__(self) -> str:
        return f"Rhs({self.name}, n={self.n})"

    @functools.cached_property
    def f(self) -> Any:
        return jit(self.fn)

    @functools.cached_property
    def jac(self) -> Any:
        return jit(jacfwd(self.fn, argnums=0))

    def _of_diff(self, y: Any, t: Any, theta: Any) -> Any:
        diff = self.diff
        return lambda y, *p: self.fn(y, t, *_subst(theta, diff, p))

    @functools.cached_property
    def jac_theta(self) -> Any:
        n, diff = self.n, self.diff

        def j(y: Any, t: Any, *theta: Any) -> Any:
            if not diff:
                return fnp.zeros((n, 0))
            g = self._of_diff(y, t, theta)
            js = jacfwd(g, argnums=tuple(range(1, len(diff) + 1)))(y, *[theta[i] for i in diff])
            return fnp.concatenate([fnp.reshape(J, (n, -1)) for J in js], axis=1)

        return jit(j)

    @functools.cached_property
    def vjp(self) -> Any:
        """``(y, t, a, *theta) -> [a f_y, a f_theta (flat)]`` compiled."""
        diff = self.diff

        def v(y: Any, t: Any, a: Any, *theta: Any) -> Any:
            _, pullback = vjp(self._of_diff(y, t, theta), y, *[theta[i] for i in diff])
            return fnp.concatenate([fnp.ravel(c) for c in pullback(a)])

        return jit(v)

    def jvp_rhs(self, pos: tuple) -> Rhs:
        """The forward-sensitivity system ``(y, S)`` for tangents of ``theta[pos]``."""
        aug = self._aug.get(pos)
        if aug is None:
            n, k, base = self.n, len(self.theta_avals), self.fn

            def fn(Y: Any, t: Any, *th: Any) -> Any:
                theta, tth = th[:k], th[k:]
                g = lambda y, *p: base(y, t, *_subst(theta, pos, p))
                dy, ds = jvp(g, (Y[:n], *[theta[i] for i in pos]), (Y[n:], *tth))
                return fnp.concatenate([dy, ds])

            avals = self.theta_avals + [self.theta_avals[i] for i in pos]
            aug = self._aug[pos] = Rhs(fn, 2 * n, avals, self.name)
        return aug

    def batched(self, size: int, dims: tuple) -> Rhs:
        """The system of ``size`` stacked states (``dims``: which parameters are stacked on
        axis 0)."""
        key = (size, dims)
        out = self._batched.get(key)
        if out is None:
            n, base = self.n, self.fn
            axes = (0, None, *dims)

            def fn(Y: Any, t: Any, *theta: Any) -> Any:
                dy = vmap(base, in_axes=axes, axis_size=size)(fnp.reshape(Y, (size, n)), t, *theta)
                return fnp.reshape(dy, (size * n,))

            avals = [
                a if d is None else ShapedArray((size, *a.shape), a.dtype)
                for a, d in zip(self.theta_avals, dims)
            ]
            out = self._batched[key] = Rhs(fn, size * n, avals, self.name)
        return out


# --------------------------------------------------------------------------------------------
# Running SciPy's solvers
# --------------------------------------------------------------------------------------------

_MESSAGES = {
    0: "The solver successfully reached the end of the integration interval.",
    -1: "Integration step failed.",
}


def _check_times(api: str, ts: np.ndarray) -> None:
    if ts.size > 1:
        d = np.diff(ts)
        if not (np.all(d >= 0) or np.all(d <= 0)) or not np.all(np.isfinite(ts)):
            what = "t" if api == "odeint" else "t_eval (with t_span[0] first)"
            raise ValueError(
                f"{api}: {what} must be finite and monotonic (sorted in the direction of "
                f"integration), got {ts}"
            )


def _jac_kw(method: str, jac: Any) -> dict:
    # only the implicit methods take a Jacobian (the explicit ones warn about jac=None)
    return {"jac": jac} if method in _STIFF else {}


def _tol(atol: Any, n: int) -> Any:
    if isinstance(atol, tuple):
        return np.resize(np.asarray(atol, np.float64), n)
    return atol


def _solve(
    rhs: Rhs, y0: np.ndarray, ts: np.ndarray, theta: list, api: str, method: str, rtol: float,
    atol: Any, options: tuple
) -> tuple[np.ndarray, np.ndarray]:
    import scipy.integrate as si

    n, m = rhs.n, ts.shape[0]
    f = rhs.f
    dy = np.asarray(f(y0, ts[0], *theta))
    if dy.shape != (n,):
        raise ValueError(
            f"{api}: {rhs.name} must return an array shaped like y0 ({n},), got shape {dy.shape}"
        )
    atol = _tol(atol, n)
    if api == "odeint":
        ys, info = si.odeint(
            lambda y, t: f(y, t, *theta), y0, ts,
            Dfun=lambda y, t: rhs.jac(y, t, *theta),
            rtol=rtol, atol=atol, full_output=True, **dict(options),
        )
        status = 0 if info["message"] == "Integration successful." else -1
        counts = [status, int(np.sum(info["nfe"])), int(np.sum(info["nje"])), 0]
        return np.asarray(ys, np.float64), np.asarray(counts, np.int64)
    if ts[0] == ts[-1]:
        return np.tile(y0, (m, 1)), np.zeros(4, np.int64)
    jac = _jac_kw(method, lambda t, y: rhs.jac(y, t, *theta))
    keep = np.concatenate([[True], ts[1:] != ts[:-1]])
    sol = si.solve_ivp(
        lambda t, y: f(y, t, *theta), (ts[0], ts[-1]), y0, method=method,
        t_eval=ts[keep], rtol=rtol, atol=atol, **jac, **dict(options),
    )
    ys = np.full((int(keep.sum()), n), np.nan)
    ys[: sol.y.shape[1]] = sol.y.T
    ys = ys[np.cumsum(keep) - 1]  # repeated times (t_span[0] == t_eval[0]) share their row
    counts = [sol.status if sol.status in (0, -1) else -1, sol.nfev, sol.njev, sol.nlu]
    return ys, np.asarray(counts, np.int64)


def _ode_impl(*args: Any, rhs: Rhs, api: str, method: str, rtol: float, atol: Any,
              options: tuple) -> tuple:
    y0 = np.asarray(args[0], np.float64)
    ts = np.asarray(args[1], np.float64)
    _check_times(api, ts)
    theta = [np.asarray(x) for x in args[2:]]
    return _solve(rhs, y0, ts, theta, api, method, rtol, atol, options)


def _ode_abstract_eval(y0: ShapedArray, ts: ShapedArray, *theta: Any, rhs: Rhs, **params: Any
                       ) -> list:
    return [ShapedArray((ts.shape[0], rhs.n), _F64), ShapedArray((4,), np.dtype(np.int64))]


ode_p = Primitive("ode", _ode_impl, multiple_results=True)
ode_p.abstract_eval = _ode_abstract_eval


def _is_zero(t: Any) -> bool:
    return type(t) is Zero


def _f_at_outputs(rhs: Rhs, ys: Any, ts: Any, theta: list) -> Any:
    axes = (0, 0) + (None,) * len(theta)
    return vmap(rhs.fn, in_axes=axes)(ys, ts, *theta)


def _ode_jvp(primals: Any, tangents: Any, *, rhs: Rhs, **params: Any) -> Any:
    y0, ts, *theta = primals
    ty0, tts, *ttheta = tangents
    n = rhs.n
    pos = tuple(i for i in rhs.diff if not _is_zero(ttheta[i]))
    if _is_zero(ty0) and _is_zero(tts) and not pos:
        out = ode_p.bind(*primals, rhs=rhs, **params)
        return out, (Zero(out[0]), Zero(out[1]))
    s0 = fnp.zeros((n,)) if _is_zero(ty0) else ty0
    if not _is_zero(tts):
        s0 = s0 - rhs.fn(y0, ts[0], *theta) * tts[0]
    aug = rhs.jvp_rhs(pos)
    ys_aug, info = ode_p.bind(
        fnp.concatenate([y0, s0]), ts, *theta, *[ttheta[i] for i in pos], rhs=aug, **params
    )
    ys, s = ys_aug[:, :n], ys_aug[:, n:]
    if not _is_zero(tts):
        s = s + _f_at_outputs(rhs, ys, ts, theta) * fnp.reshape(tts, (-1, 1))
    return (ys, info), (s, Zero(info))


def _ode_vjp(g: Any, ans: Any, *args: Any, rhs: Rhs, **params: Any) -> tuple:
    g_ys = g[0]
    if _is_zero(g_ys):
        return (None,) * len(args)
    y0, ts, *theta = args
    cts = ode_adjoint_p.bind(y0, ts, ans[0], g_ys, *theta, rhs=rhs, **params)
    out = [cts[0], cts[1]] + [None] * len(theta)
    for i, c in zip(rhs.diff, cts[2:]):
        out[2 + i] = fnp.reshape(c, rhs.theta_avals[i].shape)
    return tuple(out)


def _ode_batch(args: Any, dims: Any, *, axis_size: int, rhs: Rhs, **params: Any) -> Any:
    y0, ts, *theta = args
    d0, dt, *dth = dims
    if dt is not None:
        return _loop_batch(ode_p, args, dims, axis_size, dict(params, rhs=rhs))
    size = axis_size
    y0 = (fnp.broadcast_to(y0, (size, rhs.n)) if d0 is None
          else fnp.moveaxis(y0, d0, 0))
    theta = [x if d is None else fnp.moveaxis(x, d, 0) for x, d in zip(theta, dth)]
    brhs = rhs.batched(size, tuple(None if d is None else 0 for d in dth))
    atol = params["atol"]
    if isinstance(atol, tuple):
        params = dict(params, atol=tuple(np.resize(atol, size * rhs.n)))
    ys, info = ode_p.bind(fnp.reshape(y0, (size * rhs.n,)), ts, *theta, rhs=brhs, **params)
    return (fnp.reshape(ys, (ts.shape[0], size, rhs.n)), info), (1, None)


def _loop_batch(prim: Primitive, args: Any, dims: Any, size: int, params: dict) -> Any:
    outs = []
    for b in range(size):
        one = [x if d is None else fnp.take(x, b, axis=d) for x, d in zip(args, dims)]
        outs.append(prim.bind(*one, **params))
    stacked = tuple(fnp.stack([o[j] for o in outs]) for j in range(len(outs[0])))
    return stacked, (0,) * len(stacked)


ode_p.jvp = _ode_jvp
ode_p.vjp = _ode_vjp
ode_p.batch = _ode_batch


# --------------------------------------------------------------------------------------------
# The adjoint: cotangents of y0, ts and theta from the cotangent of the outputs
# --------------------------------------------------------------------------------------------


def _adjoint_impl(*args: Any, rhs: Rhs, api: str, method: str, rtol: float, atol: Any,
                  options: tuple) -> tuple:
    import scipy.integrate as si

    y0 = np.asarray(args[0], np.float64)
    ts = np.asarray(args[1], np.float64)
    ys = np.asarray(args[2], np.float64)
    g = np.asarray(args[3], np.float64)
    theta = [np.asarray(x) for x in args[4:]]
    n, m, p = rhs.n, ts.shape[0], int(sum(rhs.sizes))
    if not (np.all(np.isfinite(ys)) and np.all(np.isfinite(g))):
        # a failed forward solve (or an overflow downstream): the value is not finite, so
        # neither is its gradient (a sampler or line search then rejects the point)
        return (np.full(n, np.nan), np.full(m, np.nan)) + tuple(
            np.full(size, np.nan) for size in rhs.sizes
        )
    if api == "odeint":
        method, opts = "LSODA", {}
    else:
        opts = {k: v for k, v in options if k in ("max_step", "min_step")}
    atol_y = _tol(atol, n)
    atol_b = float(np.min(atol)) if isinstance(atol, tuple) else atol
    f, fvjp = rhs.f, rhs.vjp
    ct_t = np.zeros(m)
    for i in range(1, m):
        ct_t[i] = g[i] @ np.asarray(f(ys[i], ts[i], *theta))
    a, mu = g[m - 1].copy(), np.zeros(p)
    if ts[0] != ts[-1]:
        fwd = si.solve_ivp(
            lambda t, y: rhs.f(y, t, *theta), (ts[0], ts[-1]), y0, method=method,
            dense_output=True, rtol=rtol, atol=atol_y,
            **_jac_kw(method, lambda t, y: rhs.jac(y, t, *theta)), **opts,
        )
        if not fwd.success:
            raise RuntimeError(f"{api}: the forward solve for the adjoint failed: {fwd.message}")
        ysol = fwd.sol

        def back(t: float, z: np.ndarray) -> np.ndarray:
            return -np.asarray(fvjp(ysol(t), t, z[:n], *theta))

        def back_jac(t: float, z: np.ndarray) -> np.ndarray:
            y = ysol(t)
            out = np.zeros((n + p, n + p))
            out[:n, :n] = -np.asarray(rhs.jac(y, t, *theta)).T
            out[n:, :n] = -np.asarray(rhs.jac_theta(y, t, *theta)).T
            return out

    for i in range(m - 1, 0, -1):
        if ts[i] != ts[i - 1]:
            span = abs(ts[i] - ts[i - 1])
            # The adjoint of a stiff system starts with a fast transient that the solver's own
            # first-step guess can overshoot (BDF on Robertson's kinetics): retry with small
            # first steps before giving up.
            for first in (None, 1e-6 * span, 1e-10 * span):
                extra = {} if first is None else {"first_step": first}
                r = si.solve_ivp(
                    back, (ts[i], ts[i - 1]), np.concatenate([a, mu]), method=method,
                    rtol=rtol, atol=atol_b, **_jac_kw(method, back_jac), **opts, **extra,
                )
                if r.success:
                    break
            if not r.success:
                raise RuntimeError(f"{api}: the adjoint (backward) solve failed: {r.message}")
            a, mu = r.y[:n, -1], r.y[n:, -1]
        if i == 1:
            ct_t[0] = -(a @ np.asarray(f(y0, ts[0], *theta)))
        a = a + g[i - 1]
    out = [a, ct_t]
    start = 0
    for size in rhs.sizes:
        out.append(mu[start : start + size].copy())
        start += size
    return tuple(out)


def _adjoint_abstract_eval(y0: Any, ts: Any, ys: Any, g: Any, *theta: Any, rhs: Rhs,
                           **params: Any) -> list:
    return [ShapedArray((rhs.n,), _F64), ShapedArray(ts.shape, _F64)] + [
        ShapedArray((s,), _F64) for s in rhs.sizes
    ]


def _adjoint_no_rule(*args: Any, **params: Any) -> Any:
    raise NotImplementedError(
        "odeint/solve_ivp: second-order derivatives through reverse mode (the adjoint solve), "
        "e.g. hessian or jacfwd(grad(f)), are not supported; use forward mode twice "
        "(jacfwd(jacfwd(f))) or the gradient of a jvp (grad of jvp)"
    )


ode_adjoint_p = Primitive("ode_adjoint", _adjoint_impl, multiple_results=True)
ode_adjoint_p.abstract_eval = _adjoint_abstract_eval
ode_adjoint_p.jvp = _adjoint_no_rule
ode_adjoint_p.vjp = _adjoint_no_rule
ode_adjoint_p.batch = lambda args, dims, *, axis_size, **params: _loop_batch(
    ode_adjoint_p, args, dims, axis_size, params
)

for _prim in (ode_p, ode_adjoint_p):
    for _backend in ("numba", "tape"):
        cannot_lower(_backend, _prim.name, "an adaptive SciPy solver (a Python call per step); "
                     "jit calls its impl")


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def _state(name: str, y0: Any, allow_scalar: bool) -> Any:
    require_host(name, y0, why=_HOST_ONLY)
    aval = aval_of(y0) if isinstance(y0, Tracer) else None
    if aval is None:
        y0 = np.asarray(y0)
        aval = aval_of(y0)
    if aval.dtype.kind not in "biuf":
        raise TypeError(f"{name}: y0 must be real (float64), got dtype {aval.dtype}")
    if aval.ndim > 1 or (aval.ndim == 0 and not allow_scalar):
        want = "a scalar or a 1-D array" if allow_scalar else "a 1-D array"
        raise ValueError(f"{name}: y0 must be {want} (the state vector), got shape {aval.shape}")
    if aval.ndim == 1 and aval.shape[0] == 0:
        raise ValueError(f"{name}: y0 must have at least one component, got shape (0,)")
    y0 = fnp.asarray(y0, dtype=np.float64) if isinstance(y0, Tracer) else y0.astype(np.float64)
    return fnp.reshape(y0, (-1,)) if isinstance(y0, Tracer) else y0.reshape(-1)


_HOST_ONLY = "solves with scipy.integrate on the host"


def _times(name: str, what: str, t: Any) -> Any:
    if isinstance(t, Tracer):
        if t.ndim != 1 or t.shape[0] < 1:
            raise ValueError(f"{name}: {what} must be a 1-D array of times, got shape {t.shape}")
        return fnp.asarray(t, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1 or t.shape[0] < 1:
        raise ValueError(f"{name}: {what} must be a 1-D array of times, got shape {t.shape}")
    return t


def _make_rhs(name: str, fname: str, call: Any, n: int, args: Any) -> tuple[Rhs, list]:
    fixed = [ShapedArray((n,), _F64), ShapedArray((), _F64)]
    fn, theta, out = convert(name, call, fixed, args)
    if out is not None and (out.ndim > 1 or out.size != n):
        raise ValueError(
            f"{name}: {fname} must return an array shaped like y0 ({n},), got shape {out.shape}"
        )
    if out is not None and out.shape != (n,):
        base = fn
        fn = lambda y, t, *th: fnp.reshape(base(y, t, *th), (n,))
    avals = [aval_of(x) for x in theta]
    return Rhs(fn, n, avals, fname), theta


def odeint(
    func: Any, y0: Any, t: Any, args: Any = (), Dfun: Any = None, rtol: float = 1.4e-8,
    atol: float = 1.4e-8, mxstep: int = 0, h0: float = 0.0, hmax: float = 0.0,
    hmin: float = 0.0, tfirst: bool = False,
) -> Any:
    """Integrate ``dy/dt = func(y, t, *args)`` with LSODA (``scipy.integrate.odeint``),
    differentiably.

    Parameters
    ----------
    func : callable
        ``func(y, t, *args) -> dy/dt`` (``func(t, y, *args)`` with ``tfirst=True``), written with
        ``fluxion.numpy`` (or NumPy operators), shape ``(n,)`` -> ``(n,)``. A list of components
        is stacked. It is compiled with ``fluxion.jit``.
    y0 : array_like, shape (n,) or scalar
        Initial state at ``t[0]``.
    t : array_like, shape (m,)
        Output times, monotonic; ``t[0]`` is the initial time.
    args : tuple, optional
        Extra arguments of ``func`` (arrays, pytrees): differentiable parameters.
    Dfun : callable, optional
        Ignored: the exact Jacobian ``fluxion.jacfwd(func)`` is used.
    rtol, atol : float, optional
        Tolerances (SciPy's meaning); the derivative solves use the same.
    mxstep, h0, hmax, hmin : optional
        Passed to ``scipy.integrate.odeint``.
    tfirst : bool, optional
        ``func``'s first argument is ``t``.

    Returns
    -------
    array, shape (m, n)
        ``y`` at the times ``t`` (``y[0] = y0``).

    Notes
    -----
    Derivatives with respect to ``y0``, ``t``, the arrays in ``args`` and traced values that
    ``func`` closes over: reverse mode by the adjoint method (a backward solve), forward mode
    by forward sensitivities (an augmented forward solve), both with the same solver and
    tolerances. Second order: forward over forward (``jacfwd(jacfwd(f))``) and reverse over
    forward work; reverse mode of the adjoint (``hessian``, ``jacfwd(grad(f))``) raises.
    Works under ``jit`` (the solver runs in the compiled function), ``vmap`` and nesting.

    Examples
    --------
    >>> import numpy as np, fluxion
    >>> from fluxion.scipy.integrate import odeint
    >>> f = lambda k: odeint(lambda y, t, k: -k * y, np.array([1.0]), np.array([0.0, 1.0]),
    ...                      args=(k,))[-1, 0]
    >>> round(float(fluxion.grad(f)(2.0)), 6)  # d/dk exp(-k) = -exp(-k)
    -0.135335
    """
    name = "odeint"
    if not callable(func):
        raise TypeError(f"{name}: func must be callable, got {type(func).__name__}")
    if not isinstance(args, tuple):
        args = (args,)
    y = _state(name, y0, allow_scalar=True)
    ts = _times(name, "t", t)
    n = y.shape[0]
    if tfirst:
        call = lambda yy, tt, a: func(tt, yy, *a)
    else:
        call = lambda yy, tt, a: func(yy, tt, *a)
    fname = f"func {getattr(func, '__name__', 'func')}"
    rhs, theta = _make_rhs(name, fname, call, n, args)
    opts = (("mxstep", int(mxstep)), ("h0", float(h0)), ("hmax", float(hmax)),
            ("hmin", float(hmin)))
    ys, _ = ode_p.bind(y, ts, *theta, rhs=rhs, api=name, method="LSODA", rtol=float(rtol),
                       atol=_atol(name, atol, n), options=opts)
    return ys


def _atol(name: str, atol: Any, n: int) -> Any:
    arr = np.asarray(atol, np.float64)
    if arr.ndim == 0:
        return float(arr)
    if arr.shape != (n,):
        raise ValueError(f"{name}: atol must be a scalar or shaped like y0 ({n},), got {arr.shape}")
    return tuple(float(v) for v in arr)


class OdeResult:
    """The result of :func:`solve_ivp` (SciPy's fields).

    Attributes
    ----------
    t : array, shape (m,)
        The output times (``t_eval``).
    y : array, shape (n, m)
        The states at ``t`` (NaN after a failure).
    success : bool
        True when the solver reached the end of the interval.
    status : int
        0 success, -1 a step failed.
    message : str
        What happened.
    nfev, njev, nlu : int
        Right-hand side evaluations, Jacobian evaluations, LU decompositions (of the solve that
        gave the values).
    """

    def __init__(self, t: Any, y: Any, info: Any) -> None:
        self.t = t
        self.y = y
        self.sol = None
        self.t_events = None
        self.y_events = None
        if isinstance(info, Tracer):  # known when the compiled function runs
            self.status = info[0]
            self.success = info[0] == 0
            self.message = "known when the compiled function runs (see .status)"
            self.nfev, self.njev, self.nlu = info[1], info[2], info[3]
        else:
            info = np.asarray(info)
            self.status = int(info[0])
            self.success = self.status == 0
            self.message = _MESSAGES.get(self.status, "Integration step failed.")
            self.nfev, self.njev, self.nlu = (int(v) for v in info[1:])

    def __repr__(self) -> str:
        return (f"OdeResult(success={self.success}, message={self.message!r}, "
                f"nfev={self.nfev}, t.shape={np.shape(self.t)}, y.shape={np.shape(self.y)})")


def solve_ivp(
    fun: Any, t_span: Any, y0: Any, method: str = "RK45", t_eval: Any = None,
    dense_output: bool = False, events: Any = None, vectorized: bool = False, args: Any = None,
    rtol: float = 1e-3, atol: float = 1e-6, **options: Any,
) -> OdeResult:
    """Solve the initial value problem ``dy/dt = fun(t, y, *args)`` with SciPy's
    ``solve_ivp``, differentiably.

    Parameters
    ----------
    fun : callable
        ``fun(t, y, *args) -> dy/dt``, shape ``(n,)`` -> ``(n,)``, written with
        ``fluxion.numpy``; compiled with ``fluxion.jit`` (and its Jacobian, by
        ``fluxion.jacfwd``, is given to the stiff methods).
    t_span : pair of float
        ``(t0, tf)``.
    y0 : array_like, shape (n,)
        Initial state.
    method : {"RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA"}, optional
        SciPy's solver.
    t_eval : array_like, shape (m,), optional
        Output times, sorted in the direction of integration and inside ``t_span``. Required
        under transforms (``grad``, ``jit``, ...): without it the output times are the solver's
        own steps, only available eagerly.
    dense_output, events, vectorized : optional
        ``dense_output`` and ``events`` are not supported (``NotImplementedError``);
        ``vectorized`` is ignored (the function is compiled).
    args : tuple, optional
        Extra (differentiable) arguments of ``fun``.
    rtol, atol : float, optional
        Tolerances; the derivative solves use the same.
    **options
        Passed to the solver (``first_step``, ``max_step``, ...).

    Returns
    -------
    OdeResult
        ``.t`` (m,), ``.y`` (n, m), ``.success``, ``.status``, ``.message``, ``.nfev``, ...

    Notes
    -----
    Derivatives of ``.y`` with respect to ``y0``, ``t_span[0]``, ``t_eval``, ``args`` and the
    traced values ``fun`` closes over, as for :func:`odeint` (adjoint method for reverse mode,
    forward sensitivities for forward mode, same solver and tolerances).
    """
    name = "solve_ivp"
    if not callable(fun):
        raise TypeError(f"{name}: fun must be callable, got {type(fun).__name__}")
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    if events is not None or dense_output:
        raise NotImplementedError(
            f"{name}: events and dense_output are not supported; give the output times with "
            "t_eval"
        )
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    # a tuple may hold traced times (np.shape would try to make an array of them)
    pair = len(t_span) == 2 if isinstance(t_span, tuple | list) else np.shape(t_span) == (2,)
    if not pair:
        raise ValueError(f"{name}: t_span must be a pair (t0, tf), got {t_span!r}")
    t0, tf = t_span
    y = _state(name, y0, allow_scalar=False)
    n = y.shape[0]
    call = lambda yy, tt, a: fun(tt, yy, *a)
    fname = f"fun {getattr(fun, '__name__', 'fun')}"
    rhs, theta = _make_rhs(name, fname, call, n, args)
    opts = tuple(sorted(options.items()))
    atol = _atol(name, atol, n)
    traced = any(isinstance(x, Tracer) for x in (y, t0, tf, *theta))
    if t_eval is None:
        if traced:
            raise ValueError(
                f"{name}: t_eval=None gives the solver's own (value-dependent) output times, "
                "which cannot be traced or differentiated; pass t_eval"
            )
        return _solve_eager(rhs, y, float(t0), float(tf), theta, method, rtol, atol, opts)
    te = _times(name, "t_eval", t_eval)
    if not isinstance(te, Tracer) and not any(isinstance(x, Tracer) for x in (t0, tf)):
        lo, hi = min(t0, tf), max(t0, tf)
        if np.any(te < lo) or np.any(te > hi):
            raise ValueError(f"{name}: values of t_eval must lie within t_span {tuple(t_span)}")
    ts = fnp.concatenate([fnp.reshape(fnp.asarray(t0, dtype=np.float64), (1,)), te])
    ys, info = ode_p.bind(y, ts, *theta, rhs=rhs, api=name, method=method, rtol=float(rtol),
                          atol=atol, options=opts)
    return OdeResult(te, fnp.transpose(ys[1:]), info)


def _solve_eager(rhs: Rhs, y0: Any, t0: float, tf: float, theta: list, method: str, rtol: float,
                 atol: Any, opts: tuple) -> OdeResult:
    import scipy.integrate as si

    f = rhs.f
    dy = np.asarray(f(y0, t0, *theta))
    if dy.shape != (rhs.n,):
        raise ValueError(
            f"solve_ivp: {rhs.name} must return an array shaped like y0 ({rhs.n},), got shape "
            f"{dy.shape}"
        )
    jac = _jac_kw(method, lambda t, y: rhs.jac(y, t, *theta))
    sol = si.solve_ivp(lambda t, y: f(y, t, *theta), (t0, tf), y0, method=method, rtol=rtol,
                       atol=_tol(atol, rhs.n), **jac, **dict(opts))
    res = OdeResult(sol.t, sol.y, np.asarray([min(sol.status, 0), sol.nfev, sol.njev, sol.nlu]))
    res.message = sol.message
    return res
