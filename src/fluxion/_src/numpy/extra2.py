"""The rest of NumPy's numeric namespace (issue 13, second batch): NumPy 2 aliases, NaN-ignoring
reductions, shape helpers, elementwise helpers, polynomial arithmetic, windows and index/set
helpers.

Everything is a composite of fluxion functions, so derivatives, ``vmap`` and ``jit`` come from the
primitives' rules. The NaN-ignoring reductions mask NaN entries with ``where`` before reducing:
their derivative with respect to a NaN entry is 0. Integer-valued and set/index results carry no
derivative; those whose output *shape* depends on data need concrete values (they read the value
under a differentiation transform and raise ``ConcretizationError`` under ``jit``).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..core import Tracer
from ..prims._helpers import normalize_axis, shape_of
from . import core as fnp
from . import extra as fex

ArrayLike = Any
Array = Any

__all__: list[str] = []


def _export(fn: Any) -> Any:
    __all__.append(fn.__name__)
    return fn


def _ndim(x: Any) -> int:
    return len(shape_of(x))


def _dtype(x: Any) -> np.dtype:
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def _arr(x: Any) -> Any:
    return x if isinstance(x, Tracer) else fnp.asarray(x)


def _reject_out(name: str, out: Any) -> None:
    if out is not None:
        raise TypeError(
            f"fluxion.numpy.{name}: the out= argument is not supported (fluxion arrays are "
            "values); assign the result instead"
        )


def _concrete(x: Any, name: str, what: str) -> np.ndarray:
    return fex._concrete(x, name, what)


# --------------------------------------------------------------------------------------------
# NumPy 2 (array API) aliases and small array-API functions
# --------------------------------------------------------------------------------------------


def _alias(name: str, target: Any) -> Any:
    def fn(*args: Any, **kwargs: Any) -> Any:
        return target(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"Alias of ``fluxion.numpy.{target.__name__}`` (NumPy 2 / array-API name "
        f"``numpy.{name}``).\n\n" + (target.__doc__ or "")
    )
    __all__.append(name)
    return fn


acos = _alias("acos", fnp.arccos)
asin = _alias("asin", fnp.arcsin)
atan = _alias("atan", fnp.arctan)
atan2 = _alias("atan2", fnp.arctan2)
acosh = _alias("acosh", fnp.arccosh)
asinh = _alias("asinh", fnp.arcsinh)
atanh = _alias("atanh", fnp.arctanh)
pow = _alias("pow", fnp.power)  # noqa: A001
concat = _alias("concat", fnp.concatenate)
permute_dims = _alias("permute_dims", fnp.transpose)


@_export
def matrix_transpose(x: ArrayLike, /) -> Array:
    """Swap the last two axes. Differentiable; matches ``numpy.matrix_transpose``.

    Parameters
    ----------
    x : array_like, shape (..., M, N)

    Returns
    -------
    Array, shape (..., N, M)
    """
    if _ndim(x) < 2:
        raise ValueError(
            "fluxion.numpy.matrix_transpose: expected an array of at least 2 dimensions, got "
            f"shape {shape_of(x)}"
        )
    return fnp.swapaxes(x, -1, -2)


@_export
def vecdot(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """Vector dot product ``sum(conj(x1) * x2, axis)``. Differentiable; matches ``numpy.vecdot``.

    Parameters
    ----------
    x1, x2 : array_like, shapes (..., n) broadcasting together (``n`` along ``axis``)
    axis : int, optional
        The contracted axis (default -1).

    Returns
    -------
    Array
        The broadcast shape without ``axis``.
    """
    n1, n2 = shape_of(x1)[axis:][:1], shape_of(x2)[axis:][:1]
    if n1 != n2:
        raise ValueError(
            f"fluxion.numpy.vecdot: the contracted axis {axis} must have the same length in both "
            f"inputs, got shapes {shape_of(x1)} and {shape_of(x2)}"
        )
    return fnp.sum(fnp.multiply(fnp.conj(x1), x2), axis=axis)


@_export
def matvec(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Matrix-vector product over the last axes. Differentiable; matches ``numpy.matvec``.

    Parameters
    ----------
    x1 : array_like, shape (..., M, N)
    x2 : array_like, shape (..., N)

    Returns
    -------
    Array, shape (..., M)
        Batch dimensions broadcast.
    """
    if _ndim(x1) < 2 or _ndim(x2) < 1:
        raise ValueError(
            "fluxion.numpy.matvec: expected x1 of shape (..., M, N) and x2 of shape (..., N), "
            f"got {shape_of(x1)} and {shape_of(x2)}"
        )
    return fnp.matmul(x1, fnp.expand_dims(x2, -1))[..., 0]


@_export
def vecmat(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Vector-matrix product ``conj(x1) @ x2`` over the last axes. Matches ``numpy.vecmat``.

    Parameters
    ----------
    x1 : array_like, shape (..., M)
    x2 : array_like, shape (..., M, N)

    Returns
    -------
    Array, shape (..., N)
        Batch dimensions broadcast. Differentiable.
    """
    if _ndim(x1) < 1 or _ndim(x2) < 2:
        raise ValueError(
            "fluxion.numpy.vecmat: expected x1 of shape (..., M) and x2 of shape (..., M, N), "
            f"got {shape_of(x1)} and {shape_of(x2)}"
        )
    return fnp.matmul(fnp.expand_dims(fnp.conj(x1), -2), x2)[..., 0, :]


def _cumulative(name: str, op: Any, fill: float, x: Any, axis: Any, dtype: Any,
                include_initial: bool) -> Any:
    x = _arr(x)
    nd = _ndim(x)
    if axis is None:
        if nd > 1:
            raise ValueError(
                f"fluxion.numpy.{name}: axis must be given for arrays of more than one dimension, "
                f"got shape {shape_of(x)}"
            )
        if nd == 0:
            x = fnp.reshape(x, (1,))
        axis = 0
    axis = normalize_axis(axis, _ndim(x), name)
    out = op(x, axis=axis, dtype=dtype)
    if include_initial:
        shp = list(shape_of(out))
        shp[axis] = 1
        init = fnp.full(tuple(shp), fill, dtype=_dtype(out))
        out = fnp.concatenate([init, out], axis=axis)
    return out


@_export
def cumulative_sum(x: ArrayLike, /, *, axis: int | None = None, dtype: Any = None,
                   out: Any = None, include_initial: bool = False) -> Array:
    """Cumulative sum along ``axis``. Differentiable; matches ``numpy.cumulative_sum``.

    Parameters
    ----------
    x : array_like
    axis : int, optional
        Required when ``x`` has more than one dimension.
    include_initial : bool, optional
        Prepend a 0 along ``axis`` (the result is then one longer there).

    Returns
    -------
    Array
        ``x``'s shape (plus one along ``axis`` with ``include_initial``).
    """
    _reject_out("cumulative_sum", out)
    return _cumulative("cumulative_sum", fnp.cumsum, 0, x, axis, dtype, include_initial)


@_export
def cumulative_prod(x: ArrayLike, /, *, axis: int | None = None, dtype: Any = None,
                    out: Any = None, include_initial: bool = False) -> Array:
    """Cumulative product along ``axis``. Differentiable; matches ``numpy.cumulative_prod``.

    Parameters
    ----------
    x : array_like
    axis : int, optional
        Required when ``x`` has more than one dimension.
    include_initial : bool, optional
        Prepend a 1 along ``axis`` (the result is then one longer there).

    Returns
    -------
    Array
        ``x``'s shape (plus one along ``axis`` with ``include_initial``).
    """
    _reject_out("cumulative_prod", out)
    return _cumulative("cumulative_prod", fnp.cumprod, 1, x, axis, dtype, include_initial)


@_export
def unstack(x: ArrayLike, /, *, axis: int = 0) -> tuple:
    """Split ``x`` into its slices along ``axis``. Differentiable; matches ``numpy.unstack``.

    Parameters
    ----------
    x : array_like, at least 1-D
    axis : int, optional

    Returns
    -------
    tuple of Array
        ``x.shape[axis]`` arrays, each of ``x``'s shape without ``axis``.
    """
    x = _arr(x)
    if _ndim(x) == 0:
        raise ValueError(
            "fluxion.numpy.unstack: expected an array of at least 1 dimension, got 0-d"
        )
    axis = normalize_axis(axis, _ndim(x), "unstack")
    y = fnp.moveaxis(x, axis, 0)
    return tuple(y[i] for i in range(shape_of(y)[0]))


# --------------------------------------------------------------------------------------------
# NaN-ignoring reductions, average, ptp, count_nonzero
# --------------------------------------------------------------------------------------------


def _inexact(x: Any) -> bool:
    return np.issubdtype(_dtype(x), np.inexact)


def _nan_fill(a: Any, fill: float) -> tuple[Any, Any]:
    """``a`` with NaNs replaced by ``fill`` (derivative 0 there), and the NaN mask."""
    a = _arr(a)
    if not _inexact(a):
        return a, None
    mask = fnp.isnan(a)
    return fnp.where(mask, fill, a), mask


_NANDOC = """{summary} Differentiable; matches ``numpy.{name}``.

Parameters
----------
a : array_like
axis : None, int or tuple of int, optional
    Axes to reduce (default all).{extra}
keepdims : bool, optional
    Keep the reduced axes with size 1.

Returns
-------
Array
    ``a``'s shape without the reduced axes.

Notes
-----
NaN entries are masked with ``where`` before reducing, so the derivative with respect to a NaN
entry is 0.{notes}
"""


def _doc(fn: Any, summary: str, extra: str = "", notes: str = "") -> Any:
    fn.__doc__ = _NANDOC.format(summary=summary, name=fn.__name__, extra=extra, notes=notes)
    return _export(fn)


def nansum(a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None,
           keepdims: bool = False) -> Array:
    _reject_out("nansum", out)
    return fnp.sum(_nan_fill(a, 0.0)[0], axis=axis, dtype=dtype, keepdims=keepdims)


def nanprod(a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False) -> Array:
    _reject_out("nanprod", out)
    return fnp.prod(_nan_fill(a, 1.0)[0], axis=axis, dtype=dtype, keepdims=keepdims)


def _count(mask: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    if mask is None:
        ones = fnp.ones(shape_of(a))
        return fnp.sum(ones, axis=axis, keepdims=keepdims)
    return fnp.sum(fnp.astype(fnp.logical_not(mask), np.float64), axis=axis, keepdims=keepdims)


def nanmean(a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False) -> Array:
    _reject_out("nanmean", out)
    filled, mask = _nan_fill(a, 0.0)
    total = fnp.sum(filled, axis=axis, dtype=dtype, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return fnp.divide(total, _count(mask, filled, axis, keepdims))


def nanvar(a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
           keepdims: bool = False) -> Array:
    _reject_out("nanvar", out)
    filled, mask = _nan_fill(a, 0.0)
    n = _count(mask, filled, axis, True)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = fnp.divide(fnp.sum(filled, axis=axis, dtype=dtype, keepdims=True), n)
    d = fnp.subtract(filled, m)
    if mask is not None:
        d = fnp.where(mask, 0.0, d)
    sq = fnp.real(fnp.multiply(d, fnp.conj(d))) if fnp.iscomplexobj(d) else fnp.square(d)
    total = fnp.sum(sq, axis=axis, keepdims=keepdims)
    dof = fnp.subtract(_count(mask, filled, axis, keepdims), ddof)
    bad = fnp.less_equal(dof, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        # NumPy gives NaN where dof <= 0: 0/0 there (a computed NaN, no derivative)
        nan_there = fnp.stop_gradient(fnp.divide(fnp.zeros_like(total),
                                                 fnp.where(bad, 0.0, 1.0)))
        return fnp.where(bad, nan_there, fnp.divide(total, fnp.where(bad, 1.0, dof)))


def nanstd(a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
           keepdims: bool = False) -> Array:
    _reject_out("nanstd", out)
    return fnp.sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def _nanext(name: str, red: Any, fill: float, a: Any, axis: Any, keepdims: bool) -> Any:
    filled, mask = _nan_fill(a, fill)
    res = red(filled, axis=axis, keepdims=keepdims)
    if mask is None:
        return res
    allnan = fnp.all(mask, axis=axis, keepdims=keepdims)
    return fnp.where(allnan, np.nan, res)


def nanmax(a: ArrayLike, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    _reject_out("nanmax", out)
    return _nanext("nanmax", fnp.max, -np.inf, a, axis, keepdims)


def nanmin(a: ArrayLike, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    _reject_out("nanmin", out)
    return _nanext("nanmin", fnp.min, np.inf, a, axis, keepdims)


_doc(nansum, "Sum treating NaN as 0.", "\ndtype : dtype, optional")
_doc(nanprod, "Product treating NaN as 1.", "\ndtype : dtype, optional")
_doc(nanmean, "Mean of the non-NaN entries.", "\ndtype : dtype, optional",
     " An all-NaN slice gives NaN.")
_doc(nanvar, "Variance of the non-NaN entries.",
     "\ndtype : dtype, optional\nddof : float, optional",
     " A slice with no more than ``ddof`` non-NaN entries gives NaN.")
_doc(nanstd, "Standard deviation of the non-NaN entries.",
     "\ndtype : dtype, optional\nddof : float, optional")
_doc(nanmax, "Maximum ignoring NaNs.", "", " An all-NaN slice gives NaN (with a 0 derivative).")
_doc(nanmin, "Minimum ignoring NaNs.", "", " An all-NaN slice gives NaN (with a 0 derivative).")


def _nancum(name: str, op: Any, fill: float, a: Any, axis: Any, dtype: Any, out: Any) -> Any:
    _reject_out(name, out)
    return op(_nan_fill(a, fill)[0], axis=axis, dtype=dtype)


@_export
def nancumsum(a: ArrayLike, axis: int | None = None, dtype: Any = None, out: Any = None) -> Array:
    """Cumulative sum treating NaN as 0. Differentiable; matches ``numpy.nancumsum``.

    Parameters
    ----------
    a : array_like
    axis : int or None, optional
        None works on the flattened array.

    Returns
    -------
    Array
        ``a``'s shape (1-D for ``axis=None``). The derivative for a NaN entry is 0.
    """
    return _nancum("nancumsum", fnp.cumsum, 0.0, a, axis, dtype, out)


@_export
def nancumprod(a: ArrayLike, axis: int | None = None, dtype: Any = None,
               out: Any = None) -> Array:
    """Cumulative product treating NaN as 1. Differentiable; matches ``numpy.nancumprod``.

    Parameters
    ----------
    a : array_like
    axis : int or None, optional
        None works on the flattened array.

    Returns
    -------
    Array
        ``a``'s shape (1-D for ``axis=None``). The derivative for a NaN entry is 0.
    """
    return _nancum("nancumprod", fnp.cumprod, 1.0, a, axis, dtype, out)


def _nanarg(name: str, op: Any, fill: float, a: Any, axis: Any, out: Any, keepdims: bool) -> Any:
    _reject_out(name, out)
    filled, mask = _nan_fill(a, fill)
    if mask is not None and not isinstance(a, Tracer):
        if np.any(np.all(np.asarray(mask), axis=axis)):
            raise ValueError(f"fluxion.numpy.{name}: All-NaN slice encountered")
    return op(filled, axis=axis, keepdims=keepdims)


@_export
def nanargmax(a: ArrayLike, axis: int | None = None, out: Any = None, *,
              keepdims: bool = False) -> Array:
    """Index of the maximum ignoring NaNs (not differentiable). Matches ``numpy.nanargmax``.

    Parameters
    ----------
    a : array_like
    axis : int or None, optional
        None works on the flattened array.

    Returns
    -------
    Array of int64
        ``a``'s shape without ``axis``. An all-NaN slice raises ``ValueError`` for concrete
        input (traced input gives index 0 there).
    """
    return _nanarg("nanargmax", fnp.argmax, -np.inf, a, axis, out, keepdims)


@_export
def nanargmin(a: ArrayLike, axis: int | None = None, out: Any = None, *,
              keepdims: bool = False) -> Array:
    """Index of the minimum ignoring NaNs (not differentiable). Matches ``numpy.nanargmin``.

    Parameters
    ----------
    a : array_like
    axis : int or None, optional
        None works on the flattened array.

    Returns
    -------
    Array of int64
        ``a``'s shape without ``axis``. An all-NaN slice raises ``ValueError`` for concrete
        input (traced input gives index 0 there).
    """
    return _nanarg("nanargmin", fnp.argmin, np.inf, a, axis, out, keepdims)


@_export
def average(a: ArrayLike, axis: Any = None, weights: ArrayLike = None, returned: bool = False,
            *, keepdims: bool = False) -> Any:
    """Weighted average along ``axis``. Differentiable in ``a`` and ``weights``.

    Matches ``numpy.average``.

    Parameters
    ----------
    a : array_like
    axis : None, int or tuple of int, optional
    weights : array_like, optional
        ``a``'s shape, or 1-D of length ``a.shape[axis]`` when ``axis`` is an int.
    returned : bool, optional
        Also return the sum of the weights (broadcast to the result's shape).
    keepdims : bool, optional

    Returns
    -------
    Array or (Array, Array)
        ``a``'s shape without the reduced axes.
    """
    a = _arr(a)
    if weights is None:
        avg = fnp.mean(a, axis=axis, keepdims=keepdims)
        n = int(np.prod(shape_of(a))) // builtins.max(int(np.prod(shape_of(avg))), 1)
        scl = np.full(shape_of(avg), float(n), dtype=np.result_type(_dtype(avg), np.float64))
    else:
        w = _arr(weights)
        if shape_of(w) != shape_of(a):
            if axis is None:
                raise TypeError(
                    "fluxion.numpy.average: axis must be specified when shapes of a and weights "
                    f"differ, got {shape_of(a)} and {shape_of(w)}"
                )
            if not isinstance(axis, (int, np.integer)) or _ndim(w) != 1:
                raise TypeError(
                    "fluxion.numpy.average: 1-D weights need an int axis, got weights of shape "
                    f"{shape_of(w)} and axis={axis!r}"
                )
            ax = normalize_axis(axis, _ndim(a), "average")
            if shape_of(w)[0] != shape_of(a)[ax]:
                raise ValueError(
                    "fluxion.numpy.average: length of weights differs from the length of a along "
                    f"axis {axis}: {shape_of(w)[0]} vs {shape_of(a)[ax]}"
                )
            shp = [1] * _ndim(a)
            shp[ax] = shape_of(w)[0]
            w = fnp.reshape(w, tuple(shp))
        w = fnp.broadcast_to(w, shape_of(a))
        scl = fnp.sum(w, axis=axis, keepdims=keepdims)
        avg = fnp.divide(fnp.sum(fnp.multiply(a, w), axis=axis, keepdims=keepdims), scl)
    if returned:
        return avg, fnp.broadcast_to(scl, shape_of(avg))
    return avg


@_export
def ptp(a: ArrayLike, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    """Range ``max - min`` along ``axis``. Differentiable; matches ``numpy.ptp``.

    Parameters
    ----------
    a : array_like
    axis : None, int or tuple of int, optional
    keepdims : bool, optional

    Returns
    -------
    Array
        ``a``'s shape without the reduced axes.
    """
    _reject_out("ptp", out)
    return fnp.subtract(fnp.max(a, axis=axis, keepdims=keepdims),
                        fnp.min(a, axis=axis, keepdims=keepdims))


@_export
def count_nonzero(a: ArrayLike, axis: Any = None, *, keepdims: bool = False) -> Any:
    """Number of non-zero entries along ``axis`` (not differentiable).

    Matches ``numpy.count_nonzero``.

    Parameters
    ----------
    a : array_like
    axis : None, int or tuple of int, optional
    keepdims : bool, optional

    Returns
    -------
    int or Array of int64
        ``a``'s shape without the reduced axes.
    """
    nz = fnp.not_equal(a, 0)
    if not isinstance(nz, Tracer):
        return np.count_nonzero(a, axis=axis, keepdims=keepdims)
    return fnp.sum(fnp.astype(nz, np.int64), axis=axis, keepdims=keepdims)
