"""Quadrature with derivatives: ``trapezoid``, ``simpson``, ``cumulative_trapezoid`` (compositions
of fluxion.numpy operations) and ``quad`` (a primitive on ``scipy.integrate.quad``).

``quad_p`` integrates ``fn(x, *theta)`` from ``a`` to ``b`` (values from ``scipy.integrate.quad``
for a scalar integrand, ``quad_vec`` for an array one, calling the ``fluxion.jit`` of ``fn``).
Its rules are quadratures again, so every order differentiates:

- jvp: ``f(b) t_b - f(a) t_a + quad(jvp of f in theta)`` (Leibniz rule);
- vjp: ``a: -<g, f(a)>``, ``b: <g, f(b)>``, ``theta: quad_vec(vjp of f in theta at g)``.

A limit at infinity has derivative zero (it is a constant).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..api import jvp, vjp
from ..backend import require_host
from ..codegen.lowering import cannot_lower
from ..core import Primitive, ShapedArray, Tracer, Zero, aval_of
from ..jit import jit
from ..numpy import core as fnp
from ..numpy import extra as _extra
from ._convert import convert

__all__ = ["quad", "quad_vec", "trapezoid", "simpson", "cumulative_trapezoid", "quad_p"]

_F64 = np.dtype(np.float64)


def _subst(theta: Any, pos: tuple, vals: Any) -> list:
    out = list(theta)
    for i, v in zip(pos, vals):
        out[i] = v
    return out


class Integrand:
    """``fn(x, *theta) -> array of out_shape`` (fluxion operations) and its compiled form."""

    def __init__(self, fn: Any, theta_avals: list, out_shape: tuple, name: str) -> None:
        self.fn = fn
        self.theta_avals = list(theta_avals)
        self.out_shape = tuple(out_shape)
        self.name = name
        self.diff = tuple(i for i, a in enumerate(self.theta_avals) if a.dtype.kind == "f")
        self.sizes = [self.theta_avals[i].size for i in self.diff]
        self._jvp: dict = {}

    def __repr__(self) -> str:
        return f"Integrand({self.name})"

    @functools.cached_property
    def f(self) -> Any:
        return jit(self.fn)

    def jvp_integrand(self, pos: tuple) -> Integrand:
        """``x -> d fn(x, theta)[t_theta[pos]]`` with the tangents as extra parameters."""
        out = self._jvp.get(pos)
        if out is None:
            k, base = len(self.theta_avals), self.fn

            def fn(x: Any, *th: Any) -> Any:
                theta, tth = th[:k], th[k:]
                g = lambda *p: base(x, *_subst(theta, pos, p))
                return jvp(g, tuple(theta[i] for i in pos), tuple(tth))[1]

            avals = self.theta_avals + [self.theta_avals[i] for i in pos]
            out = self._jvp[pos] = Integrand(fn, avals, self.out_shape, self.name)
        return out

    @functools.cached_property
    def vjp_integrand(self) -> Integrand:
        """``x -> (flat) g . d fn(x, theta) / d theta`` with ``g`` as the last parameter."""
        diff, base = self.diff, self.fn

        def fn(x: Any, *th: Any) -> Any:
            theta, g = th[:-1], th[-1]
            _, pullback = vjp(lambda *p: base(x, *_subst(theta, diff, p)),
                              *[theta[i] for i in diff])
            return fnp.concatenate([fnp.ravel(c) for c in pullback(g)])

        avals = self.theta_avals + [ShapedArray(self.out_shape, _F64)]
        return Integrand(fn, avals, (int(sum(self.sizes)),), self.name)


def _quad_impl(a: Any, b: Any, *theta: Any, integrand: Integrand, epsabs: float, epsrel: float,
               limit: int) -> tuple:
    import scipy.integrate as si

    theta = [np.asarray(x) for x in theta]
    f = integrand.f
    a, b = float(a), float(b)
    if integrand.out_shape == ():
        val, err = si.quad(lambda x: float(f(x, *theta)), a, b, epsabs=epsabs, epsrel=epsrel,
                           limit=limit)
    else:
        if integrand.out_shape == (0,):
            return np.zeros(0), np.float64(0.0)
        val, err = si.quad_vec(lambda x: np.asarray(f(x, *theta), np.float64), a, b,
                               epsabs=epsabs, epsrel=epsrel, limit=max(limit, 200))
    return np.asarray(val, np.float64).reshape(integrand.out_shape), np.float64(err)


quad_p = Primitive("quad", _quad_impl, multiple_results=True)
quad_p.abstract_eval = lambda *avals, integrand, **params: [
    ShapedArray(integrand.out_shape, _F64), ShapedArray((), _F64)
]


def _edge(integrand: Integrand, lim: Any, theta: list) -> Any:
    # f at a limit; zero at an infinite limit (the limit is a constant there)
    inf = fnp.isinf(lim)
    val = integrand.fn(fnp.where(inf, 0.0, lim), *theta)
    return fnp.where(inf, 0.0, val)


def _quad_jvp(primals: Any, tangents: Any, *, integrand: Integrand, **params: Any) -> Any:
    a, b, *theta = primals
    ta, tb, *tth = tangents
    val, err = quad_p.bind(*primals, integrand=integrand, **params)
    out = None
    if type(tb) is not Zero:
        out = _edge(integrand, b, theta) * tb
    if type(ta) is not Zero:
        term = -_edge(integrand, a, theta) * ta
        out = term if out is None else out + term
    pos = tuple(i for i in integrand.diff if type(tth[i]) is not Zero)
    if pos:
        term = quad_p.bind(a, b, *theta, *[tth[i] for i in pos],
                           integrand=integrand.jvp_integrand(pos), **params)[0]
        out = term if out is None else out + term
    return (val, err), (Zero(val) if out is None else out, Zero(err))


def _quad_vjp(g: Any, ans: Any, a: Any, b: Any, *theta: Any, integrand: Integrand,
              **params: Any) -> tuple:
    gv = g[0]
    if type(gv) is Zero:
        return (None,) * (2 + len(theta))
    ct_a = -fnp.sum(gv * _edge(integrand, a, list(theta)))
    ct_b = fnp.sum(gv * _edge(integrand, b, list(theta)))
    out = [ct_a, ct_b] + [None] * len(theta)
    if integrand.diff:
        flat = quad_p.bind(a, b, *theta, gv, integrand=integrand.vjp_integrand, **params)[0]
        start = 0
        for i, size in zip(integrand.diff, integrand.sizes):
            out[2 + i] = fnp.reshape(flat[start : start + size], integrand.theta_avals[i].shape)
            start += size
    return tuple(out)


def _quad_batch(args: Any, dims: Any, *, axis_size: int, **params: Any) -> Any:
    outs = []
    for i in range(axis_size):
        one = [x if d is None else fnp.take(x, i, axis=d) for x, d in zip(args, dims)]
        outs.append(quad_p.bind(*one, **params))
    return (fnp.stack([o[0] for o in outs]), fnp.stack([o[1] for o in outs])), (0, 0)


quad_p.jvp = _quad_jvp
quad_p.vjp = _quad_vjp
quad_p.batch = _quad_batch
for _backend in ("numba", "tape"):
    cannot_lower(_backend, "quad", "adaptive quadrature by scipy.integrate.quad (a Python call "
                 "per integrand evaluation); jit calls its impl")


def _limit(name: str, what: str, v: Any) -> Any:
    require_host(name, v, why="integrates with scipy.integrate on the host")
    aval = aval_of(v) if isinstance(v, Tracer) else aval_of(np.asarray(v))
    if aval.shape != () or aval.dtype.kind not in "biuf":
        raise TypeError(f"{name}: {what} must be a real scalar, got {aval}")
    return fnp.asarray(v, dtype=np.float64) if isinstance(v, Tracer) else np.float64(v)


def quad(func: Any, a: Any, b: Any, args: Any = (), full_output: int = 0,
         epsabs: float = 1.49e-8, epsrel: float = 1.49e-8, limit: int = 50) -> tuple:
    """Integrate ``func(x, *args)`` from ``a`` to ``b`` (``scipy.integrate.quad``),
    differentiably in ``a``, ``b``, ``args`` and traced values ``func`` closes over.

    Parameters
    ----------
    func : callable
        ``func(x, *args) -> scalar``, written with ``fluxion.numpy``; compiled with
        ``fluxion.jit``.
    a, b : float
        Limits (may be ``-inf`` / ``inf``).
    args : tuple, optional
        Extra (differentiable) arguments of ``func``.
    full_output : int, optional
        Must be 0.
    epsabs, epsrel, limit : optional
        SciPy's accuracy settings (the derivative quadratures use the same).

    Returns
    -------
    y : float
        The integral.
    abserr : float
        SciPy's estimate of the absolute error (no derivative).

    Notes
    -----
    ``d/db = func(b)``, ``d/da = -func(a)`` (zero at an infinite limit); ``d/dargs`` is the
    quadrature of the gradient of the integrand (``scipy.integrate.quad_vec``). The rules are
    quadratures again, so derivatives of every order work.

    Examples
    --------
    >>> import fluxion
    >>> from fluxion.scipy.integrate import quad
    >>> round(float(fluxion.grad(lambda k: quad(lambda x, k: x ** k, 0.0, 1.0, args=(k,))[0])(
    ...     1.0)), 8)  # d/dk 1/(k+1) = -1/4
    -0.25
    """
    name = "quad"
    if not callable(func):
        raise TypeError(f"{name}: func must be callable, got {type(func).__name__}")
    if full_output:
        raise NotImplementedError(f"{name}: full_output is not supported")
    if not isinstance(args, tuple):
        args = (args,)
    a = _limit(name, "a", a)
    b = _limit(name, "b", b)
    fn, theta, out = convert(name, lambda x, ar: func(x, *ar), [ShapedArray((), _F64)], args)
    if out is not None and out.shape != ():
        raise ValueError(
            f"{name}: func {getattr(func, '__name__', '')} must return a scalar, got shape "
            f"{out.shape}"
        )
    if out is None:
        base = fn
        fn = lambda x, *th: fnp.reshape(base(x, *th), ())
    integrand = Integrand(fn, [aval_of(x) for x in theta], (), getattr(func, "__name__", "func"))
    val, err = quad_p.bind(a, b, *theta, integrand=integrand, epsabs=float(epsabs),
                           epsrel=float(epsrel), limit=int(limit))
    return val, err


def quad_vec(f: Any, a: Any, b: Any, epsabs: float = 1e-200, epsrel: float = 1e-8,
             norm: str = "2", limit: int = 10000, args: Any = (), full_output: bool = False,
             **scipy_options: Any) -> tuple:
    """Integrate an array-valued ``f(x, *args)`` from ``a`` to ``b`` (``scipy.integrate.quad_vec``),
    differentiably in ``a``, ``b``, ``args`` and traced values ``f`` closes over.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> array of shape S``, written with ``fluxion.numpy``.
    a, b : float
        Limits (may be infinite).
    epsabs, epsrel : float, optional
        SciPy's tolerances (the derivative quadratures use the same).
    norm : {"2", "max"}, optional
        Only ``"2"`` (SciPy's default) is supported.
    limit : int, optional
        Maximum number of subintervals.
    args : tuple, optional
        Extra (differentiable) arguments of ``f``.
    full_output : bool, optional
        Must be False.

    Returns
    -------
    res : Array, shape S
        The integral of each component.
    err : float
        SciPy's error estimate (no derivative).

    Notes
    -----
    The rules are those of :func:`quad` (Leibniz rule for the limits, the quadrature of the
    integrand's derivative for the parameters), applied componentwise.
    """
    name = "quad_vec"
    if not callable(f):
        raise TypeError(f"{name}: f must be callable, got {type(f).__name__}")
    if full_output:
        raise NotImplementedError(f"{name}: full_output is not supported")
    if norm != "2":
        raise NotImplementedError(f"{name}: norm={norm!r} is not supported (only '2')")
    if scipy_options:
        raise TypeError(f"{name}: unsupported option(s) {sorted(scipy_options)} (supported: "
                        "epsabs, epsrel, norm, limit, args)")
    if not isinstance(args, tuple):
        args = (args,)
    a = _limit(name, "a", a)
    b = _limit(name, "b", b)
    fn, theta, out = convert(name, lambda x, ar: f(x, *ar), [ShapedArray((), _F64)], args)
    if out is None:  # the output shape is known only by calling f once
        lo, hi = (float(v) if not isinstance(v, Tracer) else 0.0 for v in (a, b))
        x = 0.5 * (lo + hi) if np.isfinite(lo + hi) else (lo + 1.0 if np.isfinite(lo) else
                                                          hi - 1.0 if np.isfinite(hi) else 0.0)
        shape = tuple(fnp.shape(fn(np.float64(x), *theta)))
    else:
        shape = tuple(out.shape)
    base = fn
    fn = lambda x, *th: fnp.reshape(fnp.asarray(base(x, *th), dtype=np.float64), shape)
    integrand = Integrand(fn, [aval_of(x) for x in theta], shape, getattr(f, "__name__", "f"))
    val, err = quad_p.bind(a, b, *theta, integrand=integrand, epsabs=float(epsabs),
                           epsrel=float(epsrel), limit=int(limit))
    return val, err


# --------------------------------------------------------------------------------------------
# Fixed-sample rules
# --------------------------------------------------------------------------------------------


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """Integrate samples along ``axis`` with the trapezoidal rule (``scipy.integrate.trapezoid``).

    Parameters
    ----------
    y : array_like
        Samples.
    x : array_like, optional
        Sample points: 1-D of length ``y.shape[axis]``, or ``y``'s shape.
    dx : float, optional
        Spacing when ``x`` is None.
    axis : int, optional
        The axis to integrate along.

    Returns
    -------
    array
        ``y``'s shape without ``axis``; differentiable in ``y``, ``x`` and ``dx``.
    """
    return _extra.trapezoid(y, x=x, dx=dx, axis=axis)


def _prepare(name: str, y: Any, x: Any, axis: int) -> tuple:
    y = fnp.asarray(y)
    nd = y.ndim
    if nd == 0:
        raise ValueError(f"{name}: y must have at least one dimension, got a scalar")
    if not -nd <= axis < nd:
        raise ValueError(f"{name}: axis {axis} is out of bounds for y of shape {y.shape}")
    y = fnp.moveaxis(y, axis, -1)
    n = y.shape[-1]
    if x is not None:
        x = fnp.asarray(x)
        if x.ndim == 1:
            if x.shape[0] != n:
                raise ValueError(
                    f"{name}: x must have the length of y along axis ({n}), got {x.shape[0]}"
                )
        elif x.ndim == nd:
            x = fnp.moveaxis(x, axis, -1)
            if x.shape[-1] != n:
                raise ValueError(
                    f"{name}: x must have the length of y along axis ({n}), got shape "
                    f"{x.shape}"
                )
        else:
            raise ValueError(f"{name}: x must be 1-D or shaped like y {y.shape}, got {x.shape}")
    return y, x, n


def _safe_div(num: Any, den: Any) -> Any:
    ok = den != 0
    return fnp.where(ok, num / fnp.where(ok, den, 1.0), 0.0)


def _basic_simpson(y: Any, stop: int, x: Any, dx: Any) -> Any:
    y0, y1, y2 = y[..., 0:stop:2], y[..., 1 : stop + 1 : 2], y[..., 2 : stop + 2 : 2]
    if x is None:
        return fnp.sum(y0 + 4.0 * y1 + y2, axis=-1) * (dx / 3.0)
    h = x[..., 1:] - x[..., :-1]
    h0, h1 = h[..., 0:stop:2], h[..., 1 : stop + 1 : 2]
    hsum, hprod = h0 + h1, h0 * h1
    r = _safe_div(h0, h1)
    tmp = hsum / 6.0 * (
        y0 * (2.0 - _safe_div(1.0, r)) + y1 * (hsum * _safe_div(hsum, hprod)) + y2 * (2.0 - r)
    )
    return fnp.sum(tmp, axis=-1)


def simpson(y: Any, x: Any = None, *, dx: Any = 1.0, axis: int = -1) -> Any:
    """Integrate samples along ``axis`` with Simpson's rule (``scipy.integrate.simpson``).

    Parameters
    ----------
    y : array_like
        Samples.
    x : array_like, optional
        Sample points: 1-D of length ``y.shape[axis]``, or ``y``'s shape; may be uneven.
    dx : float, optional
        Spacing when ``x`` is None.
    axis : int, optional
        The axis to integrate along.

    Returns
    -------
    array
        ``y``'s shape without ``axis``. An even number of samples uses SciPy's correction of
        the last interval (Cartwright); differentiable in ``y``, ``x`` and ``dx``.
    """
    y, x, n = _prepare("simpson", y, x, axis)
    if n % 2 == 1:
        return _basic_simpson(y, n - 2, x, dx)
    if n == 2:
        last = dx if x is None else x[..., -1] - x[..., -2]
        return 0.5 * last * (y[..., -1] + y[..., -2])
    result = _basic_simpson(y, n - 3, x, dx)
    if x is None:
        h0 = h1 = dx
    else:
        h0, h1 = x[..., -2] - x[..., -3], x[..., -1] - x[..., -2]
    alpha = _safe_div(2 * h1**2 + 3 * h0 * h1, 6 * (h1 + h0))
    beta = _safe_div(h1**2 + 3.0 * h0 * h1, 6 * h0)
    eta = _safe_div(h1**3, 6 * h0 * (h0 + h1))
    return result + alpha * y[..., -1] + beta * y[..., -2] - eta * y[..., -3]


def cumulative_trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1,
                         initial: Any = None) -> Any:
    """Cumulative integral of samples along ``axis`` by the trapezoidal rule
    (``scipy.integrate.cumulative_trapezoid``).

    Parameters
    ----------
    y : array_like
        Samples, ``m`` along ``axis``.
    x : array_like, optional
        Sample points: 1-D of length ``m``, or ``y``'s shape.
    dx : float, optional
        Spacing when ``x`` is None.
    axis : int, optional
        The axis to integrate along.
    initial : None or 0, optional
        ``0`` prepends a zero (result length ``m``); ``None``: length ``m - 1``.

    Returns
    -------
    array
        ``y``'s shape with ``m - 1`` (or ``m``) along ``axis``; differentiable in ``y``, ``x``
        and ``dx``.
    """
    name = "cumulative_trapezoid"
    if initial is not None and not (np.ndim(initial) == 0 and initial == 0):
        raise ValueError(f"{name}: initial must be None or 0, got {initial!r}")
    ym, x, n = _prepare(name, y, x, axis)
    d = dx if x is None else x[..., 1:] - x[..., :-1]
    res = fnp.cumsum(d * (ym[..., 1:] + ym[..., :-1]) / 2.0, axis=-1)
    if initial is not None:
        res = fnp.concatenate([fnp.zeros(res.shape[:-1] + (1,), dtype=res.dtype), res], axis=-1)
    return fnp.moveaxis(res, -1, axis)
