"""More of NumPy's namespace (issue 13): sorting, order statistics, differences, integration,
convolution, covariance, array editing, selection, searching and polynomials.

Everything here is a composite of fluxion primitives (gathers, concatenation, ``where``,
slicing, reductions), so forward and reverse derivatives, ``vmap`` and ``jit`` come from the
primitives' rules. Integer-valued results (``argsort``, ``searchsorted``, ``digitize`` ...)
carry no derivative. Functions whose output *shape* depends on data (``histogram``,
``bincount``, ``compress``, ``extract``, ``unravel_index`` ...) need concrete values: they read
the value under a differentiation transform and raise a clear error under ``jit``.
"""

from __future__ import annotations

import builtins
import contextlib
import operator
from typing import Any

import numpy as np

from ..backend import as_array
from ..core import ConcretizationError, Tracer
from ..prims import indexing as ix
from ..prims import sorting as so
from ..prims._helpers import normalize_axis, shape_of
from . import core as fnp
from . import linalg as fla

ArrayLike = Any
Array = Any

__all__: list[str] = []


def _export(fn: Any) -> Any:
    __all__.append(fn.__name__)
    return fn


def _ndim(x: Any) -> int:
    return len(shape_of(x))


def _concrete(x: Any, name: str, what: str) -> np.ndarray:
    """The concrete value of ``x`` (read through differentiation tracers), or a clear error."""
    while isinstance(x, Tracer):
        try:
            x = x.primal_value()
        except (NotImplementedError, ConcretizationError) as err:
            raise ConcretizationError(
                f"fluxion.numpy.{name}: {what} must be concrete (its value decides the shape of "
                f"the result), but received a traced value {x.aval} under jit"
            ) from err
    return as_array(x)  # device arrays stay on their device


def _dtype(x: Any) -> np.dtype:
    dtype = getattr(x, "dtype", None)  # tracers and arrays of every device have one
    return np.asarray(x).dtype if dtype is None else np.dtype(dtype)


def _float_dtype(x: Any) -> np.dtype:
    return np.result_type(_dtype(x), np.float64 if _dtype(x) != np.float32 else np.float32)


# --------------------------------------------------------------------------------------------
# Sorting
# --------------------------------------------------------------------------------------------


def _check_kind(name: str, kind: Any, order: Any) -> None:
    if order is not None:
        raise NotImplementedError(
            f"fluxion.numpy.{name}: order= (structured arrays) is not supported"
        )
    if kind not in (None, "quicksort", "mergesort", "heapsort", "stable"):
        raise ValueError(f"fluxion.numpy.{name}: unknown kind {kind!r}")


@_export
def argsort(a: ArrayLike, axis: int | None = -1, kind: Any = None, order: Any = None,
            *, stable: Any = None) -> Array:
    """Indices that sort ``a`` along ``axis`` (not differentiable). Matches ``numpy.argsort``.

    Parameters
    ----------
    a : array_like
    axis : int or None, optional
        Default -1; None sorts the flattened array.
    kind, stable : optional
        Accepted for compatibility; the sort is always stable (ties keep their order).

    Returns
    -------
    Array of int64
        Same shape as ``a`` (1-D of size ``a.size`` for ``axis=None``).
    """
    _check_kind("argsort", kind, order)
    if axis is None:
        a = fnp.ravel(a)
        axis = 0
    if _ndim(a) == 0:
        raise ValueError(
            "fluxion.numpy.argsort: expected an array of at least 1 dimension, got 0-d"
        )
    axis = normalize_axis(axis, _ndim(a), "argsort")
    return so.argsort(a, axis)


@_export
def sort(a: ArrayLike, axis: int | None = -1, kind: Any = None, order: Any = None,
         *, stable: Any = None) -> Array:
    """Sorted copy of ``a`` along ``axis``. Differentiable; matches ``numpy.sort``.

    Parameters
    ----------
    a : array_like
    axis : int or None, optional
        Default -1; None sorts the flattened array.

    Returns
    -------
    Array
        Same shape as ``a`` (1-D for ``axis=None``).

    Notes
    -----
    The derivative is the gather by ``argsort(a)``: each sorted element carries the derivative of
    the input element that landed there. At ties (equal elements) the stable order decides which
    input feeds which output; the function is not differentiable there and this is one of its
    one-sided derivatives. Complex arrays sort lexicographically by (real, imag), as NumPy does.
    """
    if axis is None:
        a = fnp.ravel(a)
        axis = 0
    idx = argsort(a, axis, kind, order)
    return fnp.take_along_axis(a, idx, axis)


# --------------------------------------------------------------------------------------------
# Order statistics: quantile, percentile, median (and nan- versions)
# --------------------------------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _quantile(name: str, a: Any, q: Any, axis: Any, method: str, keepdims: bool,
              ignore_nan: bool) -> Array:
    if method not in _METHODS:
        raise NotImplementedError(
            f"fluxion.numpy.{name}: method={method!r} is not supported (expected one of {_METHODS})"
        )
    q = _concrete(q, name, "q")
    if np.any((q < 0) | (q > 1)) or np.any(np.isnan(q)):
        raise ValueError(f"fluxion.numpy.{name}: quantiles must be in the range [0, 1], got {q}")
    a = fnp.asarray(a)
    nd = _ndim(a)
    shape = shape_of(a)
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
        axes = tuple(sorted(normalize_axis(ax, nd, name) for ax in axes))
    keep = [i for i in range(nd) if i not in axes]
    x = fnp.transpose(a, keep + list(axes)) if nd else fnp.reshape(a, (1,))
    batch = tuple(shape[i] for i in keep)
    n = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    if n == 0:
        raise ValueError(f"fluxion.numpy.{name}: cannot take a quantile of an empty array")
    x = fnp.reshape(x, batch + (n,))
    s = sort(x, axis=-1)
    qf = q.reshape(-1).astype(np.float64)
    if ignore_nan:
        count = fnp.sum(fnp.logical_not(fnp.isnan(x)), axis=-1, keepdims=True)  # batch + (1,)
        count = fnp.astype(fnp.stop_gradient(count), np.float64)
        pos = qf * fnp.maximum(count - 1.0, 0.0)  # batch + (nq,)
        last = fnp.maximum(count - 1.0, 0.0)
    else:
        pos = np.broadcast_to(qf * (n - 1), batch + qf.shape)
        last = float(n - 1)
    if method == "lower":
        pos = fnp.floor(pos)
    elif method == "higher":
        pos = fnp.ceil(pos)
    elif method == "nearest":
        pos = fnp.rint(pos)
    lo = fnp.floor(pos)
    hi = fnp.minimum(lo + 1.0, last)
    frac = pos - lo
    if method == "midpoint":
        frac = fnp.where(frac > 0, 0.5, 0.0)
    lo_i = fnp.astype(lo, np.int64)
    hi_i = fnp.astype(hi, np.int64)
    below = fnp.take_along_axis(s, lo_i, -1)
    above = fnp.take_along_axis(s, hi_i, -1)
    out = below + (above - below) * frac
    if ignore_nan:
        out = fnp.where(count == 0, np.nan, out)
    out = fnp.reshape(out, batch + q.shape)
    if q.ndim:  # batch + q.shape -> q.shape + batch
        out = fnp.moveaxis(out, tuple(range(len(batch), len(batch) + q.ndim)),
                           tuple(range(q.ndim)))
    if keepdims:
        kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
        out = fnp.reshape(out, q.shape + kept)
    return out


_Q_DOC = """{summary} Differentiable in ``a``; matches ``numpy.{name}``.

Parameters
----------
a : array_like
{qparam}axis : int, tuple of int or None, optional
    Axes to reduce (default: all).
out : None
    Not supported.
overwrite_input : bool, optional
    Ignored (fluxion never overwrites its input).
method : {{'linear', 'lower', 'higher', 'nearest', 'midpoint'}}, optional
    How to interpolate between order statistics (NumPy's definitions); default 'linear'.
keepdims : bool, optional

Returns
-------
Array
    ``q.shape + (shape of a without the reduced axes)`` (reduced axes kept as size 1 with
    ``keepdims``).

Notes
-----
Computed as a sort followed by a gather of the two neighbouring order statistics and a linear
interpolation between them, so the derivative flows to those two elements with weights
``1 - frac`` and ``frac``. At ties the derivative is one of the one-sided derivatives (see
``sort``).{nan_note}
"""


def _make_quantile(name: str, scale: float, ignore_nan: bool, summary: str) -> Any:
    fixed_q = name.endswith("median")

    def fn(a: ArrayLike, q: ArrayLike = None, axis: Any = None, out: Any = None,
           overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
           *, interpolation: Any = None) -> Array:
        fnp._reject_out(name, out)
        if interpolation is not None:
            method = interpolation
        if fixed_q:
            qv = np.float64(0.5)
        else:
            if q is None:
                raise TypeError(f"fluxion.numpy.{name}: missing the argument q")
            qv = _concrete(q, name, "q").astype(np.float64) / scale
        return _quantile(name, a, qv, axis, method, keepdims, ignore_nan)

    if fixed_q:
        def median_fn(a: ArrayLike, axis: Any = None, out: Any = None,
                      overwrite_input: bool = False, keepdims: bool = False) -> Array:
            return fn(a, None, axis, out, overwrite_input, "linear", keepdims)
        result = median_fn
        qparam = ""
    else:
        result = fn
        unit = "in [0, 100]" if scale == 100 else "in [0, 1]"
        qparam = (
            f"q : array_like of float\n    Quantile(s) {unit} (concrete: not differentiated).\n"
        )
    result.__name__ = result.__qualname__ = name
    nan_note = (" NaNs are ignored; an all-NaN slice gives NaN." if ignore_nan else
                " A NaN in a slice gives NaN only as far as NumPy's sort order puts it there;"
                " use the nan- version to ignore NaNs.")
    result.__doc__ = _Q_DOC.format(summary=summary, name=name, qparam=qparam, nan_note=nan_note)
    __all__.append(name)
    return result


quantile = _make_quantile("quantile", 1.0, False, "Quantiles of the data along an axis.")
percentile = _make_quantile("percentile", 100.0, False, "Percentiles of the data along an axis.")
median = _make_quantile("median", 1.0, False, "Median along an axis.")
nanquantile = _make_quantile("nanquantile", 1.0, True, "Quantiles, ignoring NaNs.")
nanpercentile = _make_quantile("nanpercentile", 100.0, True, "Percentiles, ignoring NaNs.")
nanmedian = _make_quantile("nanmedian", 1.0, True, "Median, ignoring NaNs.")


# --------------------------------------------------------------------------------------------
# Interpolation, differences, integration
# --------------------------------------------------------------------------------------------


@_export
def interp(x: ArrayLike, xp: ArrayLike, fp: ArrayLike, left: Any = None, right: Any = None,
           period: Any = None) -> Array:
    """Piecewise-linear interpolation. Differentiable in ``x`` and ``fp``; matches ``numpy.interp``.

    Parameters
    ----------
    x : array_like
        Points to evaluate at, any shape.
    xp : array_like, shape (n,)
        Increasing sample points (not differentiated).
    fp : array_like, shape (n,)
        Sample values (real or complex).
    left, right : scalar, optional
        Values below ``xp[0]`` / above ``xp[-1]`` (default ``fp[0]`` / ``fp[-1]``).

    Returns
    -------
    Array
        Same shape as ``x``.

    Notes
    -----
    The derivative in ``x`` is the slope of the segment containing ``x`` (the right segment at a
    knot) and zero outside ``[xp[0], xp[-1]]``. ``period`` is not supported.
    """
    if period is not None:
        raise NotImplementedError("fluxion.numpy.interp: period= is not supported")
    if _ndim(xp) != 1 or _ndim(fp) != 1 or shape_of(xp) != shape_of(fp):
        raise ValueError(
            "fluxion.numpy.interp: expected 1-D xp and fp of the same length, got shapes "
            f"{shape_of(xp)} and {shape_of(fp)}"
        )
    n = shape_of(xp)[0]
    if n == 0:
        raise ValueError("fluxion.numpy.interp: xp and fp are empty")
    xp = fnp.stop_gradient(xp)
    if n == 1:
        y = fnp.zeros_like(x, dtype=_dtype(fp)) + fp[0]
    else:
        idx = so.searchsorted(xp, x, side="right") - 1
        idx = fnp.clip(idx, 0, n - 2)
        x0 = fnp.take(xp, idx)
        x1 = fnp.take(xp, idx + 1)
        f0 = fnp.take(fp, idx)
        f1 = fnp.take(fp, idx + 1)
        y = f0 + (x - x0) / (x1 - x0) * (f1 - f0)
    y = fnp.where(x < xp[0], fp[0] if left is None else left, y)
    y = fnp.where(x > xp[n - 1], fp[n - 1] if right is None else right, y)
    return y


def _edge(value: Any, a: Any, axis: int) -> Any:
    shape = list(shape_of(a))
    if _ndim(value) == 0:
        shape[axis] = 1
        return fnp.broadcast_to(value, tuple(shape))
    return value


@_export
def diff(a: ArrayLike, n: int = 1, axis: int = -1, prepend: Any = None,
         append: Any = None) -> Array:
    """n-th discrete difference along ``axis``. Differentiable; matches ``numpy.diff``.

    Parameters
    ----------
    a : array_like
        At least 1-D.
    n : int, optional
    axis : int, optional
    prepend, append : array_like, optional
        Values joined to ``a`` along ``axis`` first (scalars are broadcast).

    Returns
    -------
    Array
        ``a``'s shape with ``axis`` shortened by ``n`` (after prepend/append).
    """
    if n < 0:
        raise ValueError(f"fluxion.numpy.diff: order must be non-negative, got n={n}")
    if _ndim(a) == 0:
        raise ValueError("fluxion.numpy.diff: expected an array of at least 1 dimension, got 0-d")
    axis = normalize_axis(axis, _ndim(a), "diff")
    parts = []
    if prepend is not None:
        parts.append(_edge(prepend, a, axis))
    parts.append(a)
    if append is not None:
        parts.append(_edge(append, a, axis))
    if len(parts) > 1:
        a = fnp.concatenate(parts, axis=axis)
    for _ in range(n):
        m = shape_of(a)[axis]
        if m == 0:
            break
        a = ix.slice_along(a, axis, 1, m) - ix.slice_along(a, axis, 0, m - 1)
    return a


@_export
@fnp._names_errors("ediff1d")
def ediff1d(ary: ArrayLike, to_end: Any = None, to_begin: Any = None) -> Array:
    """Differences of consecutive elements of the flattened array. Matches ``numpy.ediff1d``.

    Parameters
    ----------
    ary : array_like
    to_end, to_begin : array_like, optional
        Values appended / prepended to the differences (flattened).

    Returns
    -------
    Array, 1-D
    """
    d = diff(fnp.ravel(ary))
    parts = []
    if to_begin is not None:
        parts.append(fnp.ravel(fnp.asarray(to_begin)))
    parts.append(d)
    if to_end is not None:
        parts.append(fnp.ravel(fnp.asarray(to_end)))
    return fnp.concatenate(parts) if len(parts) > 1 else d


def _along(v: Any, axis: int, nd: int) -> Any:
    shp = [1] * nd
    shp[axis] = -1
    return fnp.reshape(v, tuple(shp))


@_export
def gradient(f: ArrayLike, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """Gradient by central differences inside, one-sided at the edges. Matches ``numpy.gradient``.

    Parameters
    ----------
    f : array_like
    *varargs : scalar or 1-D array_like, optional
        Spacing: one scalar for all axes, or one per axis (a scalar step or the coordinates).
    axis : int or tuple of int, optional
    edge_order : {1}, optional
        Only first-order edges are supported.

    Returns
    -------
    Array or list of Array
        One array of ``f``'s shape per axis (a single array for a single axis).
    """
    if edge_order != 1:
        raise NotImplementedError("fluxion.numpy.gradient: only edge_order=1 is supported")
    nd = _ndim(f)
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
        axes = tuple(normalize_axis(ax, nd, "gradient") for ax in axes)
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and _ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError(f"fluxion.numpy.gradient: expected 0, 1 or {len(axes)} spacings, "
                        f"got {len(varargs)}")
    f = fnp.asarray(f)
    if not np.issubdtype(_dtype(f), np.inexact):
        f = fnp.astype(f, np.float64)
    outs = []
    for ax, h in zip(axes, spacing, strict=True):
        m = shape_of(f)[ax]
        if m < 2:
            raise ValueError("fluxion.numpy.gradient: each axis needs at least 2 samples "
                             f"(edge_order=1), axis {ax} has {m}")

        def sl(lo: int, hi: int, ax: int = ax) -> Any:
            return ix.slice_along(f, ax, lo, hi)

        if _ndim(h) == 0:
            first = (sl(1, 2) - sl(0, 1)) / h
            last = (sl(m - 1, m) - sl(m - 2, m - 1)) / h
            inner = (sl(2, m) - sl(0, m - 2)) / (2.0 * h)
        else:
            if shape_of(h) != (m,):
                raise ValueError(f"fluxion.numpy.gradient: coordinates of shape {shape_of(h)} "
                                 f"do not match axis {ax} of length {m}")
            dx = diff(h)
            first = (sl(1, 2) - sl(0, 1)) / _along(dx[0:1], ax, nd)
            last = (sl(m - 1, m) - sl(m - 2, m - 1)) / _along(dx[m - 2 : m - 1], ax, nd)
            d1 = _along(dx[0 : m - 2], ax, nd)
            d2 = _along(dx[1 : m - 1], ax, nd)
            ca = -d2 / (d1 * (d1 + d2))
            cb = (d2 - d1) / (d1 * d2)
            cc = d1 / (d2 * (d1 + d2))
            inner = ca * sl(0, m - 2) + cb * sl(1, m - 1) + cc * sl(2, m)
        outs.append(fnp.concatenate([first, inner, last], axis=ax))
    return outs[0] if len(outs) == 1 else outs


@_export
def trapezoid(y: ArrayLike, x: ArrayLike = None, dx: Any = 1.0, axis: int = -1) -> Array:
    """Integrate along ``axis`` with the trapezoidal rule. Differentiable in ``y``, ``x`` and
    ``dx``; matches ``numpy.trapezoid``.

    Parameters
    ----------
    y : array_like
    x : array_like, optional
        Sample points: 1-D of length ``y.shape[axis]``, or ``y``'s shape.
    dx : scalar, optional
        Spacing when ``x`` is None.
    axis : int, optional

    Returns
    -------
    Array
        ``y``'s shape without ``axis``.
    """
    nd = _ndim(y)
    axis = normalize_axis(axis, nd, "trapezoid")
    m = shape_of(y)[axis]
    if x is None:
        d = dx
    elif _ndim(x) == 1:
        d = _along(diff(x), axis, nd)
    else:
        d = diff(x, axis=axis)
    mid = ix.slice_along(y, axis, 1, m) + ix.slice_along(y, axis, 0, m - 1)
    return fnp.sum(d * mid / 2.0, axis=axis)


# --------------------------------------------------------------------------------------------
# Convolution, covariance, cross product
# --------------------------------------------------------------------------------------------


def _conv_full(a: Any, v: Any) -> Any:
    n, m = shape_of(a)[0], shape_of(v)[0]
    apad = fnp.pad(a, (m - 1, m - 1))
    windows = np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]
    return fnp.sum(fnp.take(apad, windows) * fnp.flip(v), axis=-1)


def _conv_mode(name: str, full: Any, n: int, m: int, mode: str) -> Any:
    if mode == "full":
        return full
    lo, hi = builtins.min(n, m), builtins.max(n, m)
    if mode == "same":
        start = (lo - 1) // 2
        return full[start : start + hi]
    if mode == "valid":
        return full[lo - 1 : hi]
    raise ValueError(f"fluxion.numpy.{name}: mode must be 'full', 'same' or 'valid', got {mode!r}")


def _check_1d(name: str, a: Any, v: Any) -> None:
    if _ndim(a) != 1 or _ndim(v) != 1 or shape_of(a)[0] == 0 or shape_of(v)[0] == 0:
        raise ValueError(f"fluxion.numpy.{name}: expected two non-empty 1-D arrays, got shapes "
                         f"{shape_of(a)} and {shape_of(v)}")


@_export
def convolve(a: ArrayLike, v: ArrayLike, mode: str = "full") -> Array:
    """Discrete linear convolution of two 1-D sequences. Differentiable in both; matches
    ``numpy.convolve``.

    Parameters
    ----------
    a : array_like, shape (n,)
    v : array_like, shape (m,)
    mode : {'full', 'same', 'valid'}, optional

    Returns
    -------
    Array, 1-D
        Length ``n + m - 1`` (full), ``max(n, m)`` (same) or ``max(n, m) - min(n, m) + 1``.
    """
    a, v = fnp.asarray(a), fnp.asarray(v)
    _check_1d("convolve", a, v)
    n, m = shape_of(a)[0], shape_of(v)[0]
    return _conv_mode("convolve", _conv_full(a, v), n, m, mode)


@_export
def correlate(a: ArrayLike, v: ArrayLike, mode: str = "valid") -> Array:
    """Cross-correlation of two 1-D sequences, ``c[k] = sum_n a[n+k] * conj(v[n])``.

    Differentiable in both; matches ``numpy.correlate``.

    Parameters
    ----------
    a : array_like, shape (n,)
    v : array_like, shape (m,)
    mode : {'valid', 'same', 'full'}, optional

    Returns
    -------
    Array, 1-D
        Lengths as for ``convolve``.
    """
    a, v = fnp.asarray(a), fnp.asarray(v)
    _check_1d("correlate", a, v)
    n, m = shape_of(a)[0], shape_of(v)[0]
    if m > n:  # NumPy: correlate(a, v) = reversed conj correlate(v, a)
        return fnp.flip(fnp.conj(correlate(v, a, mode)))
    return _conv_mode("correlate", _conv_full(a, fnp.flip(fnp.conj(v))), n, m, mode)


@_export
def cov(m: ArrayLike, y: ArrayLike = None, rowvar: bool = True, bias: bool = False,
        ddof: int | None = None, fweights: Any = None, aweights: Any = None,
        *, dtype: Any = None) -> Array:
    """Covariance matrix of variables observed together. Differentiable; matches ``numpy.cov``.

    Parameters
    ----------
    m : array_like, 1-D or 2-D
        Variables in rows (``rowvar=True``) or in columns.
    y : array_like, optional
        More variables, in the same layout.
    rowvar, bias : bool, optional
    ddof : int, optional
        Default 1 (0 with ``bias=True``).

    Returns
    -------
    Array
        ``(p, p)`` for p variables (0-d for one).

    Notes
    -----
    ``fweights`` and ``aweights`` are not supported.
    """
    if fweights is not None or aweights is not None:
        raise NotImplementedError("fluxion.numpy.cov: fweights/aweights are not supported")
    if _ndim(m) > 2:
        raise ValueError(f"fluxion.numpy.cov: expected a 1-D or 2-D array, got {_ndim(m)}-D")
    x = fnp.atleast_2d(fnp.asarray(m))
    if not rowvar and shape_of(x)[0] != 1:
        x = fnp.transpose(x)
    if y is not None:
        yy = fnp.atleast_2d(fnp.asarray(y))
        if not rowvar and shape_of(yy)[0] != 1:
            yy = fnp.transpose(yy)
        x = fnp.concatenate([x, yy], axis=0)
    if not np.issubdtype(_dtype(x), np.inexact):
        x = fnp.astype(x, np.float64)
    if dtype is not None:
        x = fnp.astype(x, dtype)
    if ddof is None:
        ddof = 0 if bias else 1
    n = shape_of(x)[1]
    xc = x - fnp.mean(x, axis=1, keepdims=True)
    c = fla.matmul(xc, fnp.conj(fnp.transpose(xc))) / (n - ddof)
    return fnp.squeeze(c)


@_export
def corrcoef(x: ArrayLike, y: ArrayLike = None, rowvar: bool = True, *,
             dtype: Any = None) -> Array:
    """Pearson correlation coefficients. Differentiable; matches ``numpy.corrcoef``.

    Parameters
    ----------
    x : array_like, 1-D or 2-D
    y : array_like, optional
    rowvar : bool, optional

    Returns
    -------
    Array
        ``(p, p)`` (0-d for one variable).

    Notes
    -----
    NumPy clips the real part to [-1, 1]; fluxion does not (the values agree to rounding, and
    the clip would cut the derivative of the diagonal).
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if _ndim(c) == 0:
        return c / c
    d = fnp.sqrt(fnp.real(fnp.diagonal(c)))
    return c / d[:, None] / d[None, :]


@_export
def cross(a: ArrayLike, b: ArrayLike, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Array:
    """Cross product of 3-vectors (or 2-vectors). Differentiable; matches ``numpy.cross``.

    Parameters
    ----------
    a, b : array_like
        Vectors of length 2 or 3 along ``axisa`` / ``axisb``; other axes broadcast.
    axisa, axisb, axisc : int, optional
    axis : int, optional
        Overrides all three.

    Returns
    -------
    Array
        The broadcast shape with the vector axis (length 3) at ``axisc``; for two 2-vectors,
        the scalar z-component (no vector axis).
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a = fnp.moveaxis(fnp.asarray(a), axisa, -1)
    b = fnp.moveaxis(fnp.asarray(b), axisb, -1)
    la, lb = shape_of(a)[-1], shape_of(b)[-1]
    if la not in (2, 3) or lb not in (2, 3):
        raise ValueError("fluxion.numpy.cross: incompatible dimensions for cross product "
                         f"(dimension must be 2 or 3), got {la} and {lb}")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if la == 2 and lb == 2:
        return z
    a2 = a[..., 2] if la == 3 else 0.0
    b2 = b[..., 2] if lb == 3 else 0.0
    cx = a1 * b2 - a2 * b1
    cy = a2 * b0 - a0 * b2
    c = fnp.stack(fnp.broadcast_arrays(cx, cy, z), axis=-1)
    return fnp.moveaxis(c, -1, axisc)


# --------------------------------------------------------------------------------------------
# Editing arrays: append, insert, delete, put_along_axis, rot90
# --------------------------------------------------------------------------------------------


@_export
@fnp._names_errors("append")
def append(arr: ArrayLike, values: ArrayLike, axis: int | None = None) -> Array:
    """Join ``values`` to the end of ``arr``. Differentiable; matches ``numpy.append``.

    Parameters
    ----------
    arr, values : array_like
    axis : int, optional
        Default: both are flattened.

    Returns
    -------
    Array
    """
    if axis is None:
        return fnp.concatenate([fnp.ravel(arr), fnp.ravel(values)])
    return fnp.concatenate([arr, values], axis=axis)


def _codes(x: Any) -> np.ndarray:
    return np.arange(int(np.prod(shape_of(x), dtype=np.int64)), dtype=np.int64).reshape(
        shape_of(x))


@_export
def insert(arr: ArrayLike, obj: Any, values: ArrayLike, axis: int | None = None) -> Array:
    """Insert ``values`` before the indices ``obj``. Differentiable in ``arr`` and ``values``;
    matches ``numpy.insert``.

    Parameters
    ----------
    arr : array_like
    obj : int, slice or sequence of int
        Concrete positions.
    values : array_like
        Broadcast as NumPy does; cast to ``arr``'s dtype.
    axis : int, optional
        Default: ``arr`` is flattened.

    Returns
    -------
    Array
    """
    values = fnp.asarray(values)
    # NumPy's own insert run on element codes: >= 0 picks arr, < 0 picks values
    code_a = _codes(arr)
    code_v = -1 - _codes(values)
    r = np.insert(code_a, _concrete(obj, "insert", "obj") if not isinstance(obj, slice) else obj,
                  code_v, axis=axis)
    flat_a = fnp.ravel(arr)
    flat_v = fnp.astype(fnp.ravel(values), _dtype(arr))
    from_a = fnp.take(flat_a, np.clip(r, 0, None)) if shape_of(flat_a)[0] else 0
    from_v = fnp.take(flat_v, np.clip(-1 - r, 0, None)) if shape_of(flat_v)[0] else 0
    return fnp.where(r >= 0, from_a, from_v)


@_export
def delete(arr: ArrayLike, obj: Any, axis: int | None = None) -> Array:
    """Remove the entries ``obj`` along ``axis``. Differentiable; matches ``numpy.delete``.

    Parameters
    ----------
    arr : array_like
    obj : int, slice, sequence of int or boolean mask
        Concrete.
    axis : int, optional
        Default: ``arr`` is flattened.

    Returns
    -------
    Array
    """
    if not isinstance(obj, slice):
        obj = _concrete(obj, "delete", "obj")
    r = np.delete(_codes(arr), obj, axis=axis)
    return fnp.take(fnp.ravel(arr), r)


@_export
def put_along_axis(
    arr: ArrayLike, indices: ArrayLike, values: ArrayLike, axis: int | None
) -> Array:
    """Functional ``numpy.put_along_axis``: a copy of ``arr`` with ``values`` written at
    ``indices`` along ``axis`` (``arr`` itself is not modified).

    Differentiable in ``arr`` (the overwritten entries get zero) and ``values``.

    Parameters
    ----------
    arr : array_like
    indices : array_like of int
        Same rank as ``arr``; concrete or traced.
    values : array_like
        Broadcast to ``indices``' shape.
    axis : int or None
        None: ``arr`` is flattened (the result keeps ``arr``'s shape).

    Returns
    -------
    Array
        Same shape as ``arr``.
    """
    if axis is None:
        shape = shape_of(arr)
        return fnp.reshape(put_along_axis(fnp.ravel(arr), fnp.ravel(indices), values, 0), shape)
    nd = _ndim(arr)
    axis = normalize_axis(axis, nd, "put_along_axis")
    if _ndim(indices) != nd:
        raise ValueError(f"fluxion.numpy.put_along_axis: indices must have arr's rank {nd}, "
                         f"got shape {shape_of(indices)}")
    idx_shape = shape_of(indices)
    index = []
    for i in range(nd):
        if i == axis:
            index.append(indices)
        else:
            shp = [1] * nd
            shp[i] = idx_shape[i]
            index.append(np.arange(idx_shape[i]).reshape(shp))
    return ix.update(arr, tuple(index), fnp.broadcast_to(values, idx_shape))


@_export
def rot90(m: ArrayLike, k: int = 1, axes: tuple = (0, 1)) -> Array:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``. Matches ``numpy.rot90``.

    Parameters
    ----------
    m : array_like, at least 2-D
    k : int, optional
    axes : (int, int), optional

    Returns
    -------
    Array
    """
    nd = _ndim(m)
    if len(axes) != 2 or nd < 2:
        raise ValueError(f"fluxion.numpy.rot90: expected len(axes) == 2 and m.ndim >= 2, got "
                         f"axes={axes} for a {nd}-D array")
    a0, a1 = (normalize_axis(ax, nd, "rot90") for ax in axes)
    if a0 == a1:
        raise ValueError(f"fluxion.numpy.rot90: axes must differ, got {axes}")
    k %= 4
    if k == 0:
        return fnp.asarray(m)
    if k == 2:
        return fnp.flip(fnp.flip(m, a0), a1)
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return fnp.transpose(fnp.flip(m, a1), perm)
    return fnp.flip(fnp.transpose(m, perm), a1)


# --------------------------------------------------------------------------------------------
# Selection, searching, counting
# --------------------------------------------------------------------------------------------


@_export
def select(condlist: Any, choicelist: Any, default: Any = 0) -> Array:
    """Pick from ``choicelist`` where the first true condition holds. Differentiable in the
    choices; matches ``numpy.select``.

    Parameters
    ----------
    condlist : sequence of bool array_like
    choicelist : sequence of array_like
        Same length as ``condlist``; all broadcast together.
    default : scalar or array_like, optional

    Returns
    -------
    Array
        The broadcast shape.
    """
    if len(condlist) != len(choicelist):
        raise ValueError("fluxion.numpy.select: list of cases must be same length as list of "
                         f"conditions, got {len(choicelist)} and {len(condlist)}")
    out = default
    for c, x in zip(reversed(list(condlist)), reversed(list(choicelist)), strict=True):
        out = fnp.where(c, x, out)
    return fnp.asarray(out)


@_export
def choose(a: ArrayLike, choices: Any, out: Any = None, mode: str = "raise") -> Array:
    """``choices[a[i]][i]`` elementwise. Differentiable in ``choices``; matches ``numpy.choose``.

    Parameters
    ----------
    a : int array_like
    choices : sequence of array_like
    mode : {'raise', 'wrap', 'clip'}, optional

    Returns
    -------
    Array
        The broadcast shape of ``a`` and the choices.
    """
    fnp._reject_out("choose", out)
    n = len(choices)
    if mode == "wrap":
        a = a % n
    elif mode == "clip":
        a = fnp.clip(a, 0, n - 1)
    elif mode == "raise":
        if not isinstance(a, Tracer) and np.any((np.asarray(a) < 0) | (np.asarray(a) >= n)):
            raise ValueError(
                f"fluxion.numpy.choose: invalid entry in choice array (not in [0, {n}))"
            )
    else:
        raise ValueError(f"fluxion.numpy.choose: unknown mode {mode!r}")
    return select([a == i for i in range(n)], list(choices), 0)


@_export
@fnp._names_errors("compress")
def compress(condition: ArrayLike, a: ArrayLike, axis: int | None = None,
             out: Any = None) -> Array:
    """Entries of ``a`` along ``axis`` where ``condition`` is true (concrete condition).

    Differentiable in ``a``; matches ``numpy.compress``.

    Returns
    -------
    Array
    """
    fnp._reject_out("compress", out)
    keep = np.flatnonzero(_concrete(condition, "compress", "condition"))
    if axis is None:
        return fnp.take(fnp.ravel(a), keep)
    return fnp.take(a, keep, axis=axis)


@_export
@fnp._names_errors("extract")
def extract(condition: ArrayLike, arr: ArrayLike) -> Array:
    """Elements of the flattened ``arr`` where the (concrete) condition holds. Differentiable in
    ``arr``; matches ``numpy.extract``.

    Returns
    -------
    Array, 1-D
    """
    keep = np.flatnonzero(_concrete(condition, "extract", "condition"))
    return fnp.take(fnp.ravel(arr), keep)


@_export
def searchsorted(a: ArrayLike, v: ArrayLike, side: str = "left", sorter: Any = None) -> Array:
    """Insertion indices of ``v`` in the sorted 1-D ``a`` (not differentiable).

    Matches ``numpy.searchsorted``; accepts traced inputs (also under ``jit``).

    Parameters
    ----------
    a : array_like, shape (n,)
    v : array_like
    side : {'left', 'right'}, optional
    sorter : array_like of int, optional

    Returns
    -------
    Array of int64
        Same shape as ``v``.
    """
    if _ndim(a) != 1:
        raise ValueError(f"fluxion.numpy.searchsorted: expected a 1-D a, got shape {shape_of(a)}")
    if sorter is not None:
        a = fnp.take(a, sorter)
    return so.searchsorted(a, v, side)


@_export
@fnp._names_errors("digitize")
def digitize(x: ArrayLike, bins: ArrayLike, right: bool = False) -> Array:
    """Indices of the bins each ``x`` falls in (not differentiable). Matches ``numpy.digitize``.

    Parameters
    ----------
    x : array_like
    bins : array_like, shape (n,)
        Monotonic. Under ``jit`` (bins not concrete) they are taken as increasing.
    right : bool, optional

    Returns
    -------
    Array of int64
        Same shape as ``x``.
    """
    if _ndim(bins) != 1:
        raise ValueError(
            f"fluxion.numpy.digitize: expected 1-D bins, got shape {shape_of(bins)}"
        )
    try:
        b = _concrete(bins, "digitize", "bins")
        increasing = b.size < 2 or b[-1] >= b[0]
        steps = np.diff(b)
        if not (np.all(steps >= 0) or np.all(steps <= 0)):  # NumPy raises here too
            raise ValueError(
                "fluxion.numpy.digitize: bins must be monotonically increasing or decreasing, "
                f"got {b}"
            )
    except ConcretizationError:
        increasing = True
    if increasing:
        return so.searchsorted(bins, x, "left" if right else "right")
    n = shape_of(bins)[0]
    return n - so.searchsorted(fnp.flip(bins), x, "right" if right else "left")


@_export
@fnp._names_errors("bincount")
def bincount(x: ArrayLike, weights: ArrayLike = None, minlength: int = 0) -> np.ndarray:
    """Counts of each non-negative integer (concrete inputs; plain result, no derivative).

    Matches ``numpy.bincount``; traced inputs are read through differentiation transforms.
    """
    w = None if weights is None else _concrete(weights, "bincount", "weights")
    x = _concrete(x, "bincount", "x")
    got = f"{x.dtype}{list(x.shape)}"
    if x.size and x.dtype.kind not in "iub":  # NumPy: TypeError (cannot cast safely)
        raise TypeError(f"fluxion.numpy.bincount: expected non-negative integers, got {got}")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise ValueError(
            f"fluxion.numpy.bincount: expected a 1-D array of non-negative integers, got {got}"
            + (" with negative entries" if x.ndim == 1 else "")
        )
    return np.bincount(x, w, minlength)


@_export
@fnp._names_errors("histogram")
def histogram(a: ArrayLike, bins: Any = 10, range: Any = None, density: Any = None,  # noqa: A002
              weights: ArrayLike = None) -> tuple:
    """Histogram of the (concrete) data; plain results, no derivative. Matches
    ``numpy.histogram``; traced inputs are read through differentiation transforms.

    Returns
    -------
    (hist, bin_edges) : tuple of numpy.ndarray
    """
    w = None if weights is None else _concrete(weights, "histogram", "weights")
    if not isinstance(bins, int | str):
        bins = _concrete(bins, "histogram", "bins")
    return np.histogram(_concrete(a, "histogram", "a"), bins, range, density, w)


def _int_dims(name: str, what: str, dims: Any) -> tuple[int, ...]:
    """``dims`` as a tuple of Python ints (an int is one dimension), or a clear error."""
    try:
        out = tuple(operator.index(d) for d in np.atleast_1d(dims).tolist())
    except TypeError:
        raise TypeError(
            f"fluxion.numpy.{name}: {what} must be an int or a sequence of ints, got {dims!r}"
        ) from None
    if any(d < 0 for d in out):
        raise ValueError(f"fluxion.numpy.{name}: {what} must be non-negative, got {out}")
    return out


def _int_indices(name: str, what: str, x: Any) -> None:
    kind = _dtype(x).kind
    if kind not in "iu":
        raise TypeError(
            f"fluxion.numpy.{name}: {what} must be integers, got dtype {_dtype(x)}"
        )


def _numpy_index_call(name: str, npfn: Any, *args: Any, **kwargs: Any) -> Any:
    """``npfn(*args, **kwargs)`` with NumPy's errors (bounds, dims) prefixed by ``name``."""
    try:
        return npfn(*args, **kwargs)
    except (TypeError, ValueError) as err:
        raise type(err)(f"fluxion.numpy.{name}: {err}") from None


@_export
def unravel_index(indices: ArrayLike, shape: Any, order: str = "C") -> tuple:
    """Flat indices to index tuples (not differentiable). Matches ``numpy.unravel_index``.

    Parameters
    ----------
    indices : array_like of int
        Flat indices into an array of shape ``shape``.
    shape : int or tuple of int
    order : {"C", "F"}, optional

    Returns
    -------
    tuple of Array of intp
        ``len(shape)`` arrays, each ``indices``'s shape.

    Notes
    -----
    Works under ``jit`` and ``vmap`` (integer arithmetic); out-of-range indices raise
    ``ValueError`` wherever their values are concrete, and wrap modulo the size under ``jit``.
    """
    dims = _int_dims("unravel_index", "shape", shape)
    if order not in ("C", "F"):
        raise ValueError(f"fluxion.numpy.unravel_index: order must be 'C' or 'F', got {order!r}")
    if not isinstance(indices, Tracer):
        return _numpy_index_call("unravel_index", np.unravel_index, indices, dims, order=order)
    _int_indices("unravel_index", "indices", indices)
    with contextlib.suppress(ConcretizationError):  # bounds checked where values are known
        _numpy_index_call("unravel_index", np.unravel_index,
                          _concrete(indices, "unravel_index", "indices"), dims, order=order)
    # i_k = (index // stride_k) % dims_k, the last axis fastest for "C", the first for "F"
    rest = fnp.astype(indices, np.intp)
    out = []
    for d in (reversed(dims) if order == "C" else dims):
        out.append(fnp.remainder(rest, d))
        rest = fnp.floor_divide(rest, d)
    return tuple(reversed(out)) if order == "C" else tuple(out)


@_export
def ravel_multi_index(multi_index: Any, dims: Any, mode: Any = "raise",
                      order: str = "C") -> Array:
    """Index tuples to flat indices (not differentiable). Matches
    ``numpy.ravel_multi_index``.

    Parameters
    ----------
    multi_index : tuple of array_like of int
        One integer array per dimension (broadcast together).
    dims : tuple of int
    mode : {"raise", "wrap", "clip"} or tuple of them, optional
        Out-of-range handling, per dimension if a tuple.
    order : {"C", "F"}, optional

    Returns
    -------
    Array of intp
        The broadcast shape of ``multi_index``.

    Notes
    -----
    Works under ``jit`` and ``vmap`` with ``mode="wrap"`` or ``"clip"``; ``mode="raise"`` checks
    the bounds on concrete values, so (as in JAX) it raises ``ConcretizationError`` there.
    """
    dims = _int_dims("ravel_multi_index", "dims", dims)
    multi_index = tuple(multi_index)
    if len(multi_index) != len(dims):
        raise ValueError(
            f"fluxion.numpy.ravel_multi_index: expected {len(dims)} index arrays for dims "
            f"{dims}, got {len(multi_index)}"
        )
    if order not in ("C", "F"):
        raise ValueError(
            f"fluxion.numpy.ravel_multi_index: order must be 'C' or 'F', got {order!r}"
        )
    modes = (mode,) * len(dims) if isinstance(mode, str) else tuple(mode)
    if len(modes) != len(dims) or not set(modes) <= {"raise", "wrap", "clip"}:
        raise ValueError(
            "fluxion.numpy.ravel_multi_index: mode must be 'raise', 'wrap' or 'clip' (or one per "
            f"dimension), got {mode!r}"
        )
    if not any(isinstance(i, Tracer) for i in multi_index):
        return _numpy_index_call("ravel_multi_index", np.ravel_multi_index, multi_index, dims,
                                 mode=mode, order=order)
    for i in multi_index:
        _int_indices("ravel_multi_index", "multi_index", i)
    if "raise" in modes:
        values = tuple(_concrete(i, "ravel_multi_index", "multi_index with mode='raise'")
                       for i in multi_index)
        _numpy_index_call("ravel_multi_index", np.ravel_multi_index, values, dims, mode=mode,
                          order=order)
    # flat = sum_k i_k * stride_k, strides of a C (or F) contiguous array of shape dims
    strides = np.cumprod((1,) + dims[:0:-1])[::-1] if order == "C" else np.cumprod((1,) + dims[:-1])
    out = None
    for i, d, m, stride in zip(multi_index, dims, modes, strides.tolist(), strict=True):
        i = fnp.astype(i, np.intp)
        if m == "clip":
            i = fnp.clip(i, 0, d - 1)
        elif m == "wrap":
            i = fnp.remainder(i, d)
        term = fnp.multiply(i, stride)
        out = term if out is None else fnp.add(out, term)
    return out


# --------------------------------------------------------------------------------------------
# Polynomials
# --------------------------------------------------------------------------------------------


@_export
def polyval(p: ArrayLike, x: ArrayLike) -> Array:
    """Evaluate the polynomial with coefficients ``p`` (highest power first) at ``x`` (Horner).

    Differentiable in ``p`` and ``x``; matches ``numpy.polyval``.

    Parameters
    ----------
    p : array_like, shape (deg + 1,)
    x : array_like

    Returns
    -------
    Array
        Same shape as ``x``.
    """
    p = fnp.asarray(p)
    if _ndim(p) != 1:
        raise ValueError(f"fluxion.numpy.polyval: expected 1-D coefficients, got {shape_of(p)}")
    y = fnp.zeros_like(x, dtype=np.result_type(_dtype(p), _dtype(x)))
    for i in range(shape_of(p)[0]):
        y = y * x + p[i]
    return y


@_export
def polyfit(x: ArrayLike, y: ArrayLike, deg: int, rcond: Any = None, full: bool = False,
            w: ArrayLike = None, cov: Any = False) -> Array:
    """Least-squares polynomial fit (highest power first). Differentiable in ``x``, ``y`` and
    ``w``; matches ``numpy.polyfit`` (``full=False``, ``cov=False``).

    Parameters
    ----------
    x : array_like, shape (m,)
    y : array_like, shape (m,) or (m, k)
    deg : int
    w : array_like, shape (m,), optional
        Weights applied to the residuals.

    Returns
    -------
    Array
        ``(deg + 1,)`` or ``(deg + 1, k)``.

    Notes
    -----
    Solved through the normal equations of the column-scaled Vandermonde matrix (fluxion has no
    differentiable QR/SVD least squares yet): fine for moderate degrees, less accurate than
    NumPy's SVD for ill-conditioned fits.
    """
    if full or cov:
        raise NotImplementedError("fluxion.numpy.polyfit: full=True and cov=True are not supported")
    deg = int(deg)
    if deg < 0 or _ndim(x) != 1:
        raise ValueError(f"fluxion.numpy.polyfit: expected deg >= 0 and 1-D x, got deg={deg}, "
                         f"x of shape {shape_of(x)}")
    x = fnp.astype(fnp.asarray(x), np.float64) if not np.issubdtype(_dtype(x), np.inexact) else x
    vander = fnp.stack([x ** (deg - j) for j in range(deg + 1)], axis=1)
    rhs = fnp.asarray(y)
    if w is not None:
        vander = vander * w[:, None]
        rhs = rhs * (w if _ndim(rhs) == 1 else w[:, None])
    scale = fnp.sqrt(fnp.sum(vander * vander, axis=0))
    vs = vander / scale
    vt = fnp.transpose(vs)
    c = fla.solve(fla.matmul(vt, vs), fla.matmul(vt, rhs))
    return c / (scale if _ndim(c) == 1 else scale[:, None])


@_export
def poly(seq_of_zeros: ArrayLike) -> Array:
    """Coefficients of the monic polynomial with the given roots. Differentiable; matches
    ``numpy.poly`` for a 1-D sequence of roots.

    Parameters
    ----------
    seq_of_zeros : array_like, shape (n,)

    Returns
    -------
    Array, shape (n + 1,)

    Notes
    -----
    A square matrix argument (characteristic polynomial) needs eigenvalues of general matrices,
    which fluxion does not have yet. NumPy returns real coefficients when the roots are in
    conjugate pairs; fluxion keeps the complex dtype of complex roots.
    """
    z = fnp.asarray(seq_of_zeros)
    if _ndim(z) != 1:
        raise NotImplementedError("fluxion.numpy.poly: only a 1-D sequence of roots is supported")
    a = np.ones(1, dtype=_dtype(z))
    for i in range(shape_of(z)[0]):
        a = convolve(a, fnp.stack([fnp.ones_like(z[i]), -z[i]]))
    return a


def _numpy_put_along_axis(arr: Any, indices: Any, values: Any, axis: int | None) -> None:
    """``numpy.put_along_axis`` met a traced value: NumPy's in-place semantics (returns None).

    A traced ``arr`` rebinds itself to the updated value (as ``arr[i] = v`` does); a NumPy
    ``arr`` cannot hold a traced value, so that case names the functional form.
    """
    if not isinstance(arr, Tracer):
        raise TypeError(
            "numpy.put_along_axis: cannot write traced values into a NumPy array in place; "
            "use arr = fluxion.numpy.put_along_axis(arr, indices, values, axis), which returns "
            "the updated array"
        )
    arr._become(put_along_axis(arr, indices, values, axis))


# Plain ``numpy.<name>`` calls on traced values route here, as extra2's do (names NumPy already
# routes elsewhere keep their route). ``put_along_axis`` keeps NumPy's in-place semantics.
fnp.register_numpy_dispatch(
    {**globals(), "put_along_axis": _numpy_put_along_axis},
    [n for n in __all__ if getattr(np, n, None) not in fnp._FUNCTION_MAP
     and getattr(np, n, None) not in fnp._UFUNC_MAP],
)
