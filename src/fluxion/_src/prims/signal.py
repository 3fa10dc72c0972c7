"""Linear recursive filtering: ``lfilter`` (``scipy.signal.lfilter`` without initial state).

``y = lfilter(b, a, x)`` along ``axis`` solves ``sum_k a[k] y[n-k] = sum_k b[k] x[n-k]`` with
zero initial state. Its rules are lfilters again, so every order of derivative works:

* jvp: differentiating the recursion gives ``sum_k a[k] dy[n-k] = (db * x)[n] + (b * dx)[n]
  - (da * y)[n]`` (causal convolutions), hence
  ``dy = lfilter(b, a, dx) + lfilter(db, a, x) - lfilter(da, a, y)``;
* vjp: ``y = H x`` with ``H`` lower triangular Toeplitz (the impulse response), whose transpose
  is the time-reversed filter: ``x_bar = flip(lfilter(b, a, flip(g)))``. With
  ``u = flip(lfilter(1, a, flip(g)))`` (the cotangent of the right-hand side of the recursion),
  ``b_bar[k] = sum_n u[n] x[n-k]`` and ``a_bar[k] = -sum_n u[n] y[n-k]``.

Cotangents follow JAX's convention (transpose, no conjugation), so the same formulas hold for
complex coefficients and signals. Initial state (``zi``), ``sosfilt`` and the public checks are
composites in ``fluxion._src.scipy.signal``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, Zero, bind_at, current_trace
from ._helpers import defvjp_parts, shape_of
from .indexing import concatenate, getitem_static, slice_along
from .shape import bdim_to_front, flip, reduce_sum, reshape

__all__ = ["lfilter_p", "lfilter"]


def _lfilter_impl(b: Any, a: Any, x: Any, *, axis: int) -> Any:
    from scipy.signal import lfilter as scipy_lfilter  # scipy.signal loads on first use

    out = scipy_lfilter(b, a, x, axis=axis)
    dtype = _out_dtype(np.result_type(b), np.result_type(a), np.result_type(x))
    return np.asarray(out, dtype=dtype)


def _out_dtype(*dtypes: Any) -> np.dtype:
    dtype = np.result_type(*dtypes)
    if dtype.kind not in "fc":
        return np.dtype(np.float64)
    return dtype


def _lfilter_abstract_eval(
    b: ShapedArray, a: ShapedArray, x: ShapedArray, *, axis: int
) -> ShapedArray:
    if b.ndim != 1 or a.ndim != 1 or b.shape[0] == 0 or a.shape[0] == 0:
        raise ValueError(
            f"lfilter: expected non-empty 1-D coefficient vectors b and a, got {b} and {a}"
        )
    if not 0 <= axis < x.ndim:
        raise ValueError(f"lfilter: axis {axis} is out of bounds for the signal {x}")
    return ShapedArray(x.shape, _out_dtype(b.dtype, a.dtype, x.dtype))


lfilter_p = Primitive("lfilter", _lfilter_impl)
lfilter_p.abstract_eval = _lfilter_abstract_eval


def lfilter(b: Any, a: Any, x: Any, axis: int) -> Any:
    """``scipy.signal.lfilter(b, a, x, axis)`` with zero initial state (``axis`` >= 0)."""
    return lfilter_p.bind(b, a, x, axis=int(axis))


def _lfilter_jvp(primals: Any, tangents: Any, *, axis: int) -> Any:
    # dy = lfilter(b, a, dx) + lfilter(db, a, x) - lfilter(da, a, y)
    b, a, x = primals
    tb, ta, tx = tangents
    trace = current_trace()
    y = bind_at(trace, lfilter_p, (b, a, x), {"axis": axis})
    terms = []
    if type(tx) is not Zero:
        terms.append(lfilter(b, a, tx, axis))
    if type(tb) is not Zero:
        terms.append(lfilter(tb, a, x, axis))
    if type(ta) is not Zero:
        terms.append(-lfilter(ta, a, y, axis))
    if not terms:
        return y, Zero(y)
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return y, out


lfilter_p.jvp = _lfilter_jvp


def _reversed_filter(num: Any, a: Any, g: Any, axis: int) -> Any:
    # the transpose of x -> lfilter(num, a, x): filter the time-reversed cotangent
    return flip(lfilter(num, a, flip(g, (axis,)), axis), (axis,))


def _lagged_products(u: Any, v: Any, n_lags: int, axis: int) -> Any:
    """``[sum(u[k:] * v[:L-k]) for k in range(n_lags)]`` (sums over every axis), a 1-D array."""
    length = shape_of(u)[axis]
    parts = []
    for k in range(n_lags):
        if k < length:
            s = reduce_sum(
                slice_along(u, axis, k, length) * slice_along(v, axis, 0, length - k), None
            )
        else:
            s = reduce_sum(slice_along(u, axis, 0, 0), None)  # an empty sum: zero
        parts.append(reshape(s, (1,)))
    return concatenate(parts, 0) if len(parts) > 1 else parts[0]


def _vjp_b(g: Any, ans: Any, b: Any, a: Any, x: Any, *, axis: int) -> Any:
    # b_bar[k] = sum_n u[n] x[n-k], u = H_a^T g
    u = _reversed_filter(np.ones(1, dtype=getattr(a, "dtype", np.float64)), a, g, axis)
    return _lagged_products(u, x, shape_of(b)[0], axis)


def _vjp_a(g: Any, ans: Any, b: Any, a: Any, x: Any, *, axis: int) -> Any:
    # a_bar[k] = -sum_n u[n] y[n-k]
    u = _reversed_filter(np.ones(1, dtype=getattr(a, "dtype", np.float64)), a, g, axis)
    return -_lagged_products(u, ans, shape_of(a)[0], axis)


def _vjp_x(g: Any, ans: Any, b: Any, a: Any, x: Any, *, axis: int) -> Any:
    # x_bar = H^T g = flip(lfilter(b, a, flip(g)))
    return _reversed_filter(b, a, g, axis)


defvjp_parts(lfilter_p, _vjp_b, _vjp_a, _vjp_x)


def _lfilter_batch(args: Any, dims: Any, *, axis_size: int, axis: int) -> Any:
    b, a, x = args
    db, da, dx = dims
    if db is None and da is None:
        # one filter for every example: the batch axis is one more leading axis of the signal
        return lfilter(b, a, bdim_to_front(x, dx, axis_size), axis + 1), 0
    # per-example coefficients: one lfilter per example, stacked along a new first axis
    outs = []
    for i in range(axis_size):
        bi = b if db is None else getitem_static(bdim_to_front(b, db, axis_size), (i,))
        ai = a if da is None else getitem_static(bdim_to_front(a, da, axis_size), (i,))
        xi = x if dx is None else getitem_static(bdim_to_front(x, dx, axis_size), (i,))
        yi = lfilter(bi, ai, xi, axis)
        outs.append(reshape(yi, (1,) + shape_of(yi)))
    return concatenate(outs, 0), 0


lfilter_p.batch = _lfilter_batch
