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

from ..backend import namespace_of, on_device_of
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
    dtype = getattr(x, "dtype", None)  # tracers and arrays of every device have one
    return np.asarray(x).dtype if dtype is None else np.dtype(dtype)


def _arr(x: Any, name: str | None = None) -> Any:
    if isinstance(x, Tracer):
        return x
    if name is None:
        return fnp.asarray(x)
    try:
        return fnp.asarray(x)
    except (TypeError, ValueError) as err:  # a ragged list...: name the function
        raise type(err)(f"fluxion.numpy.{name}: cannot read the input as an array: {err}") from None


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
    @fnp._names_errors(name)  # errors name the alias called (acos), not the target (arccos)
    def fn(*args: Any, **kwargs: Any) -> Any:
        try:
            return target(*args, **kwargs)
        except (TypeError, ValueError) as err:
            # a user calling the alias should read its name, not only the target's
            if type(err) not in (TypeError, ValueError):
                raise
            raise type(err)(f"fluxion.numpy.{name} (alias of {target.__name__}): {err}") from None

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


@fnp._names_errors("nansum")  # an axis error names nansum, not the reduction inside
def nansum(a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None,
           keepdims: bool = False) -> Array:
    _reject_out("nansum", out)
    return fnp.sum(_nan_fill(a, 0.0)[0], axis=axis, dtype=dtype, keepdims=keepdims)


@fnp._names_errors("nanprod")  # an axis error names nanprod, not the reduction inside
def nanprod(a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False) -> Array:
    _reject_out("nanprod", out)
    return fnp.prod(_nan_fill(a, 1.0)[0], axis=axis, dtype=dtype, keepdims=keepdims)


def _count(mask: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    if mask is None:
        ones = fnp.ones(shape_of(a))
        return fnp.sum(ones, axis=axis, keepdims=keepdims)
    return fnp.sum(fnp.astype(fnp.logical_not(mask), np.float64), axis=axis, keepdims=keepdims)


@fnp._names_errors("nanmean")  # an axis error names nanmean, not the reduction inside
def nanmean(a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False) -> Array:
    _reject_out("nanmean", out)
    filled, mask = _nan_fill(a, 0.0)
    total = fnp.sum(filled, axis=axis, dtype=dtype, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return fnp.divide(total, _count(mask, filled, axis, keepdims))


@fnp._names_errors("nanvar")  # an axis error names nanvar, not the reduction inside
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


@fnp._names_errors("nanstd")  # an axis error names nanstd, not the reduction inside
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


@fnp._names_errors("nanmax")  # an axis error names nanmax, not the reduction inside
def nanmax(a: ArrayLike, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    _reject_out("nanmax", out)
    return _nanext("nanmax", fnp.max, -np.inf, a, axis, keepdims)


@fnp._names_errors("nanmin")  # an axis error names nanmin, not the reduction inside
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
@fnp._names_errors("nancumsum")  # an axis error names nancumsum, not the reduction inside
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
@fnp._names_errors("nancumprod")  # an axis error names nancumprod, not the reduction inside
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
    if axis is not None:
        axis = normalize_axis(axis, _ndim(a), f"fluxion.numpy.{name}")
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
@fnp._names_errors("average")  # an axis error names average, not the reduction inside
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
@fnp._names_errors("ptp")  # an axis error names ptp, not the reduction inside
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
@fnp._names_errors("count_nonzero")
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
    # Decide on ``a``, not on the comparison: under jvp/vjp ``not_equal`` of a traced ``a`` gives
    # a plain bool array (no tangent), and NumPy on the traced ``a`` would route back here
    # forever (op table row ca-count_nonzero-all, jvp column: RecursionError).
    if not isinstance(a, Tracer):
        return np.count_nonzero(a, axis=axis, keepdims=keepdims)
    nz = fnp.not_equal(a, 0)
    return fnp.sum(fnp.astype(nz, np.int64), axis=axis, keepdims=keepdims)


# --------------------------------------------------------------------------------------------
# Shape helpers
# --------------------------------------------------------------------------------------------


@_export
@fnp._names_errors("atleast_3d")
def atleast_3d(*arys: ArrayLike) -> Any:
    """View inputs as arrays of at least 3 dimensions. Differentiable; matches
    ``numpy.atleast_3d``.

    Parameters
    ----------
    *arys : array_like
        0-d becomes (1, 1, 1), (N,) becomes (1, N, 1), (M, N) becomes (M, N, 1).

    Returns
    -------
    Array or list of Array
    """
    res = []
    for a in arys:
        a = _arr(a)
        s = shape_of(a)
        if len(s) == 0:
            a = fnp.reshape(a, (1, 1, 1))
        elif len(s) == 1:
            a = fnp.reshape(a, (1, s[0], 1))
        elif len(s) == 2:
            a = fnp.reshape(a, (s[0], s[1], 1))
        res.append(a)
    return res[0] if len(res) == 1 else res


@_export
def dstack(tup: Any) -> Array:
    """Stack arrays along the third axis. Differentiable; matches ``numpy.dstack``.

    Parameters
    ----------
    tup : sequence of array_like
        Each is first made at least 3-D (see ``atleast_3d``).

    Returns
    -------
    Array
        At least 3-D.
    """
    if not isinstance(tup, (list, tuple)) or len(tup) == 0:
        raise ValueError("fluxion.numpy.dstack: expected a non-empty sequence of arrays")
    return fnp.concatenate([atleast_3d(a) for a in tup], axis=2)


row_stack = _alias("row_stack", fnp.vstack)


def _split_along(name: str, ary: Any, ios: Any, min_nd: int, axis: int) -> list:
    nd = _ndim(ary)
    if nd < min_nd:
        raise ValueError(
            f"fluxion.numpy.{name}: expected an array of at least {min_nd} dimensions, got "
            f"shape {shape_of(ary)}"
        )
    return fnp.split(ary, ios, axis=axis)


@_export
def hsplit(ary: ArrayLike, indices_or_sections: Any) -> list:
    """Split along the second axis (the first for 1-D input). Differentiable; matches
    ``numpy.hsplit``.

    Parameters
    ----------
    ary : array_like, at least 1-D
    indices_or_sections : int or sequence of int

    Returns
    -------
    list of Array
    """
    return _split_along("hsplit", ary, indices_or_sections, 1, 1 if _ndim(ary) > 1 else 0)


@_export
def vsplit(ary: ArrayLike, indices_or_sections: Any) -> list:
    """Split along the first axis. Differentiable; matches ``numpy.vsplit``.

    Parameters
    ----------
    ary : array_like, at least 2-D
    indices_or_sections : int or sequence of int

    Returns
    -------
    list of Array
    """
    return _split_along("vsplit", ary, indices_or_sections, 2, 0)


@_export
def dsplit(ary: ArrayLike, indices_or_sections: Any) -> list:
    """Split along the third axis. Differentiable; matches ``numpy.dsplit``.

    Parameters
    ----------
    ary : array_like, at least 3-D
    indices_or_sections : int or sequence of int

    Returns
    -------
    list of Array
    """
    return _split_along("dsplit", ary, indices_or_sections, 3, 2)


@_export
def rollaxis(a: ArrayLike, axis: int, start: int = 0) -> Array:
    """Roll ``axis`` backwards until it lies before ``start``. Differentiable; matches
    ``numpy.rollaxis``.

    Parameters
    ----------
    a : array_like
    axis : int
    start : int, optional
        In ``[-a.ndim, a.ndim]``.

    Returns
    -------
    Array
        ``a`` with its axes permuted.
    """
    n = _ndim(a)
    axis = normalize_axis(axis, n, "rollaxis")
    if not -n <= start <= n:
        raise ValueError(
            f"fluxion.numpy.rollaxis: start must be in [{-n}, {n}], got {start}"
        )
    if start < 0:
        start += n
    if axis < start:
        start -= 1
    if axis == start:
        return _arr(a)
    return fnp.moveaxis(a, axis, start)


@_export
def resize(a: ArrayLike, new_shape: Any) -> Array:
    """Array of shape ``new_shape`` filled by repeating ``a``'s flattened entries. Differentiable;
    matches ``numpy.resize``.

    Parameters
    ----------
    a : array_like
    new_shape : int or tuple of int

    Returns
    -------
    Array, shape ``new_shape``
        Zeros when ``a`` is empty.
    """
    shape = (int(new_shape),) if np.ndim(new_shape) == 0 else tuple(int(s) for s in new_shape)
    if builtins.any(s < 0 for s in shape):
        raise ValueError(f"fluxion.numpy.resize: all dimensions must be >= 0, got {shape}")
    flat = fnp.ravel(a)
    size = shape_of(flat)[0]
    total = int(np.prod(shape))
    if size == 0 or total == 0:
        return fnp.zeros(shape, dtype=_dtype(flat))
    reps = -(-total // size)
    if reps > 1:
        flat = fnp.concatenate([flat] * reps)
    return fnp.reshape(flat[:total], shape)


@_export
def trim_zeros(filt: ArrayLike, trim: str = "fb", axis: Any = None) -> Array:
    """Trim leading (``"f"``) and/or trailing (``"b"``) zeros. Differentiable in the kept entries;
    matches ``numpy.trim_zeros``.

    Parameters
    ----------
    filt : array_like
    trim : str, optional
        Contains ``"f"`` and/or ``"b"``.
    axis : None, int or tuple of int, optional
        Axes to trim (default all: the smallest box holding every non-zero entry).

    Returns
    -------
    Array
        ``filt`` sliced along the trimmed axes. The bounds need concrete values
        (``ConcretizationError`` under ``jit``).
    """
    if not isinstance(trim, str) or not set(trim.lower()) <= {"f", "b"}:
        raise ValueError(f"fluxion.numpy.trim_zeros: unexpected character(s) in trim: {trim!r}")
    filt = _arr(filt)
    nz = _concrete(filt, "trim_zeros", "filt") != 0
    nd = nz.ndim
    if nd == 0:
        raise ValueError("fluxion.numpy.trim_zeros: expected an array of at least 1 dimension")
    axes = range(nd) if axis is None else (
        [normalize_axis(axis, nd, "trim_zeros")] if np.ndim(axis) == 0
        else [normalize_axis(ax, nd, "trim_zeros") for ax in axis])
    idx: list = [slice(None)] * nd
    t = trim.lower()
    for ax in axes:
        other = tuple(i for i in range(nd) if i != ax)
        hit = np.flatnonzero(np.any(nz, axis=other) if other else nz)
        if hit.size == 0:
            idx[ax] = slice(0, 0)
            continue
        lo = int(hit[0]) if "f" in t else 0
        hi = int(hit[-1]) + 1 if "b" in t else nz.shape[ax]
        idx[ax] = slice(lo, hi)
    return filt[tuple(idx)]


@_export
def diagflat(v: ArrayLike, k: int = 0) -> Array:
    """2-D array with the flattened ``v`` on diagonal ``k``. Differentiable; matches
    ``numpy.diagflat``.

    Parameters
    ----------
    v : array_like
    k : int, optional

    Returns
    -------
    Array, shape (v.size + abs(k), v.size + abs(k))
    """
    return fnp.diag(fnp.ravel(v), k)


def _block_depth(x: Any, name: str) -> int:
    if isinstance(x, tuple):
        raise TypeError(f"fluxion.numpy.{name}: nested sequences must be lists, not tuples")
    if isinstance(x, list):
        if not x:
            raise ValueError(f"fluxion.numpy.{name}: lists cannot be empty")
        depths = {_block_depth(e, name) for e in x}
        if len(depths) != 1:
            raise ValueError(f"fluxion.numpy.{name}: list depths are mismatched")
        return depths.pop() + 1
    return 0


def _block_max_nd(x: Any) -> int:
    if isinstance(x, list):
        return builtins.max(_block_max_nd(e) for e in x)
    return _ndim(x)


@_export
def block(arrays: Any) -> Array:
    """Assemble an array from nested lists of blocks. Differentiable; matches ``numpy.block``.

    Parameters
    ----------
    arrays : nested list of array_like
        The innermost lists concatenate along the last axis, the next along the second last...

    Returns
    -------
    Array
        Of ``max(nesting depth, largest block ndim)`` dimensions.
    """
    depth = _block_depth(arrays, "block")
    nd = builtins.max(depth, _block_max_nd(arrays))

    def build(x: Any, level: int) -> Any:
        if not isinstance(x, list):
            x = _arr(x)
            return fnp.reshape(x, (1,) * (nd - _ndim(x)) + tuple(shape_of(x)))
        return fnp.concatenate([build(e, level + 1) for e in x], axis=-(depth - level))

    return build(arrays, 0)


def _rc_item(item: Any) -> Any:
    if isinstance(item, slice):
        start = 0 if item.start is None else item.start
        step = 1 if item.step is None else item.step
        if isinstance(step, complex):
            return np.linspace(start, item.stop, int(abs(step)))
        return np.arange(start, item.stop, step)
    return item


class _RClass:
    """Index-expression concatenation (see ``numpy.r_`` / ``numpy.c_``)."""

    def __init__(self, name: str, columns: bool) -> None:
        self._name = name
        self._columns = columns

    def __getitem__(self, key: Any) -> Array:
        items = list(key) if isinstance(key, tuple) else [key]
        axis = -1 if self._columns else 0
        if items and isinstance(items[0], str):
            d = items.pop(0)
            try:
                axis = int(d)
            except ValueError:
                raise NotImplementedError(
                    f"fluxion.numpy.{self._name}: only an integer axis string is supported as the "
                    f"first item, got {d!r}"
                ) from None
        parts = []
        for it in items:
            a = _arr(_rc_item(it))
            if self._columns:
                s = shape_of(a)
                a = fnp.reshape(a, (1, 1) if len(s) == 0 else (s[0], 1)) if len(s) < 2 else a
            elif _ndim(a) == 0:
                a = fnp.reshape(a, (1,))
            parts.append(a)
        if not parts:
            return np.array([])
        return fnp.concatenate(parts, axis=axis)


r_ = _RClass("r_", columns=False)
r_.__doc__ = """Concatenate along the first axis by index expression: ``r_[a, 0:3, 5]``.

Differentiable in array items; matches ``numpy.r_`` for arrays, scalars and slices (a complex
step like ``0:1:5j`` means ``linspace``) and an optional leading integer axis string ``"1"``.
"""
c_ = _RClass("c_", columns=True)
c_.__doc__ = """Stack as columns by index expression: ``c_[a, b]`` (1-D items become columns).

Differentiable in array items; matches ``numpy.c_`` for arrays, scalars and slices.
"""
__all__ += ["r_", "c_"]


@_export
def ix_(*args: ArrayLike) -> tuple:
    """Open mesh of 1-D index sequences (not differentiable). Matches ``numpy.ix_``.

    Parameters
    ----------
    *args : 1-D array_like of int or bool
        Boolean sequences are turned into their non-zero indices (needs concrete values).

    Returns
    -------
    tuple of Array
        The ``k``-th has shape ``(1,)*k + (n_k,) + (1,)*(len(args)-k-1)``.
    """
    out = []
    n = len(args)
    for k, a in enumerate(args):
        a = _arr(a)
        if _ndim(a) != 1:
            raise ValueError(
                f"fluxion.numpy.ix_: cross index must be 1 dimensional, got shape {shape_of(a)}"
            )
        if _dtype(a) == np.bool_:
            a = np.flatnonzero(_concrete(a, "ix_", "a boolean index"))
        shp = [1] * n
        shp[k] = shape_of(a)[0]
        out.append(fnp.reshape(a, tuple(shp)))
    return tuple(out)


@_export
def piecewise(x: ArrayLike, condlist: Any, funclist: Any, *args: Any, **kw: Any) -> Array:
    """Piecewise-defined function. Differentiable in ``x`` (and in what the functions close over);
    matches ``numpy.piecewise``.

    Parameters
    ----------
    x : array_like
    condlist : bool array or list of bool arrays, each ``x``'s shape
    funclist : list of callables or scalars
        One per condition, plus optionally one more for where no condition holds. Later
        conditions win where several hold.
    *args, **kw
        Passed on to the callables.

    Returns
    -------
    Array
        ``x``'s shape and dtype.

    Notes
    -----
    With concrete conditions each function sees only its own entries (as in NumPy), so a function
    that is invalid elsewhere (``sqrt`` of negatives...) is harmless. Under ``jit`` the conditions
    are traced: every function is evaluated on all of ``x`` and the results are combined with
    ``where``.
    """
    x = _arr(x)
    if isinstance(condlist, (list, tuple)):
        if condlist and np.ndim(condlist[0]) == 0 and _ndim(x) != 0 and not isinstance(
                condlist[0], Tracer):
            condlist = [condlist]  # one condition given as a nested list of bools
    elif _ndim(condlist) == _ndim(x):
        condlist = [condlist]
    condlist = list(condlist)
    n = len(condlist)
    funclist = list(funclist)
    if len(funclist) not in (n, n + 1):
        raise ValueError(
            f"fluxion.numpy.piecewise: with {n} condition(s), funclist must have {n} or {n + 1} "
            f"items, got {len(funclist)}"
        )
    try:
        conds = [np.broadcast_to(_concrete(c, "piecewise", "condlist").astype(bool), shape_of(x))
                 for c in condlist]
        concrete = True
    except Exception:  # noqa: BLE001  (traced conditions under jit)
        concrete = False
    if len(funclist) == n + 1:
        if concrete:
            conds.append(~np.any(np.stack(conds), axis=0) if conds else
                         np.ones(shape_of(x), bool))
        else:
            rest = fnp.logical_not(fnp.any(fnp.stack(
                [fnp.broadcast_to(c, shape_of(x)) for c in condlist]), axis=0))
            condlist = [*condlist, rest]
    out = fnp.zeros_like(x)
    if not concrete:
        for c, f in zip(condlist, funclist, strict=True):
            val = f(x, *args, **kw) if callable(f) else f
            out = fnp.where(c, fnp.astype(val, _dtype(x)) if callable(f) else val, out)
        return out
    flat = fnp.ravel(x)
    out = fnp.ravel(out)
    for c, f in zip(conds, funclist, strict=True):
        idx = np.flatnonzero(c)
        if callable(f):
            val = f(fnp.take(flat, idx), *args, **kw)
            val = fnp.broadcast_to(fnp.astype(val, _dtype(x)), idx.shape)
        else:
            val = fnp.full(idx.shape, f, dtype=_dtype(x))
        if idx.size:
            out = fex.put_along_axis(out, idx, val, 0)
    return fnp.reshape(out, shape_of(x))


@_export
def apply_along_axis(func1d: Any, axis: int, arr: ArrayLike, *args: Any, **kwargs: Any) -> Array:
    """Apply ``func1d`` to 1-D slices along ``axis`` (a Python loop, then a stack).
    Differentiable when ``func1d`` is; matches ``numpy.apply_along_axis``.

    Parameters
    ----------
    func1d : callable
        Maps a 1-D array of length ``arr.shape[axis]`` to an array of any (fixed) shape.
    axis : int
    arr : array_like

    Returns
    -------
    Array
        ``arr.shape[:axis] + out.shape + arr.shape[axis+1:]``.
    """
    arr = _arr(arr)
    nd = _ndim(arr)
    axis = normalize_axis(axis, nd, "apply_along_axis")
    a = fnp.moveaxis(arr, axis, -1)
    outer = tuple(shape_of(a)[:-1])
    if int(np.prod(outer)) == 0:
        raise ValueError("fluxion.numpy.apply_along_axis: cannot apply to an empty outer shape")
    res = [_arr(func1d(a[idx], *args, **kwargs)) for idx in np.ndindex(*outer)]
    out = fnp.stack(res)
    rshape = tuple(shape_of(res[0]))
    out = fnp.reshape(out, outer + rshape)
    k = len(rshape)
    perm = list(range(axis)) + list(range(len(outer), len(outer) + k)) + list(
        range(axis, len(outer)))
    return fnp.transpose(out, perm)


@_export
def fromfunction(function: Any, shape: Any, *, dtype: Any = float, like: Any = None,
                 **kwargs: Any) -> Any:
    """Call ``function`` on the index grids of ``shape``. Matches ``numpy.fromfunction``.

    Parameters
    ----------
    function : callable
        Called as ``function(i0, i1, ..., **kwargs)`` with index arrays of shape ``shape``.
    shape : tuple of int
    dtype : dtype, optional
        Of the index arrays (default float).

    Returns
    -------
    Any
        Whatever ``function`` returns (differentiable in what it closes over).
    """
    if like is not None:
        raise TypeError("fluxion.numpy.fromfunction: like= is not supported")
    return function(*np.indices(tuple(shape), dtype=dtype), **kwargs)


# --------------------------------------------------------------------------------------------
# Elementwise helpers and comparisons
# --------------------------------------------------------------------------------------------


def _float_of(x: Any) -> Any:
    x = _arr(x)
    if not _inexact(x):
        x = fnp.astype(x, np.float64)
    return x


@_export
def modf(x: ArrayLike, /) -> tuple:
    """Fractional and integral parts, both with ``x``'s sign. Matches ``numpy.modf``.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    (Array, Array)
        ``x``'s shape each. The fractional part has derivative 1, the integral part 0.
    """
    x = _float_of(x)
    whole = fnp.trunc(x)
    return fnp.subtract(x, whole), whole


def _scale2(x: Any, e: Any) -> Any:
    """``x * 2**-e`` in two exact steps (``2**-e`` alone overflows for subnormal ``x``)."""
    h = fnp.floor(fnp.multiply(e, 0.5))
    return fnp.multiply(fnp.multiply(x, fnp.exp2(fnp.negative(h))),
                        fnp.exp2(fnp.negative(fnp.subtract(e, h))))


@_export
def frexp(x: ArrayLike, /) -> tuple:
    """Split ``x`` into mantissa and base-2 exponent, ``x = m * 2**e`` with
    ``0.5 <= |m| < 1``. Matches ``numpy.frexp``.

    Parameters
    ----------
    x : array_like, real

    Returns
    -------
    (Array, Array of int32)
        ``x``'s shape each. The mantissa is differentiable (derivative ``2**-e``); the exponent
        is not. Zero, infinities and NaN give ``(x, 0)``.
    """
    x = _float_of(x)
    if fnp.iscomplexobj(x):
        raise TypeError("fluxion.numpy.frexp: expected real input, got a complex array")
    ok = fnp.logical_and(fnp.isfinite(x), fnp.not_equal(x, 0))
    mag = fnp.stop_gradient(fnp.where(ok, fnp.abs(x), 1.0))
    e = fnp.add(fnp.floor(fnp.log2(mag)), 1.0)
    # correct a possible off-by-one of log2 near powers of two
    e = fnp.where(fnp.less(_scale2(mag, e), 0.5), fnp.subtract(e, 1.0), e)
    e = fnp.where(fnp.greater_equal(_scale2(mag, e), 1.0), fnp.add(e, 1.0), e)
    e = fnp.stop_gradient(fnp.where(ok, e, 0.0))
    mant = _scale2(x, e)
    return mant, fnp.astype(e, np.int32)


@_export
def ldexp(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """``x1 * 2**x2``. Differentiable in ``x1``; matches ``numpy.ldexp``.

    Parameters
    ----------
    x1 : array_like
    x2 : array_like of int

    Returns
    -------
    Array
        The broadcast shape.
    """
    if np.issubdtype(_dtype(x2), np.inexact):
        raise TypeError(
            f"fluxion.numpy.ldexp: the exponent x2 must be integer, got dtype {_dtype(x2)}"
        )
    x1 = _float_of(x1)
    return fnp.multiply(x1, fnp.astype(fnp.exp2(fnp.astype(x2, np.float64)), _dtype(x1)))


@_export
def divmod(x1: ArrayLike, x2: ArrayLike, /) -> tuple:  # noqa: A001
    """``(floor_divide(x1, x2), remainder(x1, x2))``. Matches ``numpy.divmod``.

    Parameters
    ----------
    x1, x2 : array_like
        Shapes broadcast together.

    Returns
    -------
    (Array, Array)
        The quotient (derivative 0) and the remainder (differentiable).
    """
    return fnp.floor_divide(x1, x2), fnp.remainder(x1, x2)


@_export
@fnp._names_errors("fix")
def fix(x: ArrayLike, out: Any = None) -> Array:
    """Round toward zero (derivative 0). Matches ``numpy.fix``.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    Array
        ``x``'s shape and dtype.
    """
    _reject_out("fix", out)
    return fnp.trunc(x)


@_export
def nan_to_num(x: ArrayLike, copy: bool = True, nan: float = 0.0, posinf: Any = None,
               neginf: Any = None) -> Array:
    """Replace NaN and infinities with finite numbers. Matches ``numpy.nan_to_num``.

    Parameters
    ----------
    x : array_like (complex: the real and imaginary parts separately)
    nan : float, optional
    posinf, neginf : float, optional
        Default: the largest / most negative finite number of the dtype.

    Returns
    -------
    Array
        ``x``'s shape and dtype. Differentiable; the replaced entries get derivative 0.
    """
    x = _arr(x)
    if not _inexact(x):
        return x
    if fnp.iscomplexobj(x):
        re = nan_to_num(fnp.real(x), nan=nan, posinf=posinf, neginf=neginf)
        im = nan_to_num(fnp.imag(x), nan=nan, posinf=posinf, neginf=neginf)
        return fnp.add(re, fnp.multiply(im, 1j))
    info = np.finfo(_dtype(x))
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    inf = fnp.isinf(x)
    out = fnp.where(fnp.isnan(x), nan, x)
    out = fnp.where(fnp.logical_and(inf, fnp.logical_not(fnp.signbit(x))), hi, out)
    out = fnp.where(fnp.logical_and(inf, fnp.signbit(x)), lo, out)
    return fnp.astype(out, _dtype(x))


@_export
def real_if_close(a: ArrayLike, tol: float = 100) -> Array:
    """The real part if every imaginary part is within ``tol`` machine epsilons of zero.
    Matches ``numpy.real_if_close``.

    Parameters
    ----------
    a : array_like
    tol : float, optional
        In machine epsilons when > 1, else absolute.

    Returns
    -------
    Array
        ``a``'s shape. The choice needs concrete values (``ConcretizationError`` under ``jit``);
        the result is differentiable.
    """
    if not isinstance(tol, int | float | np.integer | np.floating) or not tol >= 0:
        raise TypeError(
            f"fluxion.numpy.real_if_close: expected tol to be a non-negative real number, got "
            f"{tol!r}"
        )
    a = _arr(a, "real_if_close")
    if not fnp.iscomplexobj(a):
        return a
    if tol > 1:
        tol = np.finfo(_dtype(a)).eps * tol
    im = _concrete(fnp.imag(a), "real_if_close", "a")
    if np.all(np.abs(im) < tol):
        return fnp.real(a)
    return a


@_export
def angle(z: ArrayLike, deg: bool = False) -> Array:
    """Argument of complex numbers. Differentiable (away from 0); matches ``numpy.angle``.

    Parameters
    ----------
    z : array_like
    deg : bool, optional
        Degrees instead of radians.

    Returns
    -------
    Array of float
        ``z``'s shape.
    """
    z = _arr(z)
    if fnp.iscomplexobj(z):
        out = fnp.arctan2(fnp.imag(z), fnp.real(z))
    else:
        z = _float_of(z)
        out = fnp.arctan2(fnp.zeros_like(z), z)
    return fnp.multiply(out, 180.0 / np.pi) if deg else out


@_export
def i0(x: ArrayLike) -> Array:
    """Modified Bessel function of the first kind, order 0. Differentiable; matches
    ``numpy.i0``.

    Parameters
    ----------
    x : array_like, real

    Returns
    -------
    Array
        ``x``'s shape. Computed as ``exp(|x|) * i0e(x)``.
    """
    x = _float_of(x)
    if fnp.iscomplexobj(x):
        raise TypeError("fluxion.numpy.i0: complex input is not supported")
    from ..prims import special as sp  # here: prims.special loads SciPy (not at import fluxion)

    return fnp.multiply(fnp.exp(fnp.abs(x)), sp.i0e(x))


@_export
def isclose(a: ArrayLike, b: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Array:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (not differentiable). Matches
    ``numpy.isclose``.

    Parameters
    ----------
    a, b : array_like
    rtol, atol : float, optional
    equal_nan : bool, optional
        Whether two NaNs compare close.

    Returns
    -------
    Array of bool
        The broadcast shape (a numpy bool for scalar inputs).
    """
    a, b = _arr(a), _arr(b)
    try:
        np.broadcast_shapes(shape_of(a), shape_of(b))
    except ValueError:
        raise ValueError(
            f"fluxion.numpy.isclose: expected a and b of broadcastable shapes, got "
            f"{shape_of(a)} and {shape_of(b)}"
        ) from None
    finite = fnp.logical_and(fnp.isfinite(a), fnp.isfinite(b))
    with np.errstate(invalid="ignore", over="ignore"):
        near = fnp.less_equal(fnp.abs(fnp.subtract(a, b)),
                              fnp.add(atol, fnp.multiply(rtol, fnp.abs(b))))
    out = fnp.where(finite, near, fnp.equal(a, b))
    if equal_nan:
        out = fnp.logical_or(out, fnp.logical_and(fnp.isnan(a), fnp.isnan(b)))
    return out


@_export
@fnp._names_errors("allclose")
def allclose(a: ArrayLike, b: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> Any:
    """Whether ``isclose`` holds everywhere. Matches ``numpy.allclose``.

    Returns
    -------
    bool
        (a traced boolean scalar under ``jit``).
    """
    out = fnp.all(isclose(a, b, rtol, atol, equal_nan))
    return out if isinstance(out, Tracer) else bool(out)


@_export
@fnp._names_errors("array_equal")
def array_equal(a1: ArrayLike, a2: ArrayLike, equal_nan: bool = False) -> Any:
    """Same shape and elements. Matches ``numpy.array_equal``.

    Parameters
    ----------
    a1, a2 : array_like
    equal_nan : bool, optional
        Whether NaNs compare equal.

    Returns
    -------
    bool
        (a traced boolean scalar under ``jit`` when the shapes agree).
    """
    a1, a2 = _arr(a1), _arr(a2)
    if shape_of(a1) != shape_of(a2):
        return False
    eq = fnp.equal(a1, a2)
    if equal_nan and _inexact(a1) and _inexact(a2):
        eq = fnp.logical_or(eq, fnp.logical_and(fnp.isnan(a1), fnp.isnan(a2)))
    out = fnp.all(eq)
    return out if isinstance(out, Tracer) else bool(out)


@_export
@fnp._names_errors("array_equiv")
def array_equiv(a1: ArrayLike, a2: ArrayLike) -> Any:
    """Shapes broadcast and all elements equal. Matches ``numpy.array_equiv``.

    Returns
    -------
    bool
        (a traced boolean scalar under ``jit`` when the shapes broadcast).
    """
    a1, a2 = _arr(a1), _arr(a2)
    try:
        np.broadcast_shapes(shape_of(a1), shape_of(a2))
    except ValueError:
        return False
    out = fnp.all(fnp.equal(a1, a2))
    return out if isinstance(out, Tracer) else bool(out)


def _real_only(name: str, x: Any) -> Any:
    x = _arr(x)
    if fnp.iscomplexobj(x):
        raise TypeError(f"fluxion.numpy.{name}: expected real input, got a complex array")
    return x


@_export
def isposinf(x: ArrayLike, out: Any = None) -> Array:
    """Test for +inf (not differentiable). Matches ``numpy.isposinf``.

    Returns
    -------
    Array of bool
        ``x``'s shape.
    """
    _reject_out("isposinf", out)
    x = _real_only("isposinf", x)
    return fnp.logical_and(fnp.isinf(x), fnp.logical_not(fnp.signbit(x)))


@_export
def isneginf(x: ArrayLike, out: Any = None) -> Array:
    """Test for -inf (not differentiable). Matches ``numpy.isneginf``.

    Returns
    -------
    Array of bool
        ``x``'s shape.
    """
    _reject_out("isneginf", out)
    x = _real_only("isneginf", x)
    return fnp.logical_and(fnp.isinf(x), fnp.signbit(x))


@_export
def isreal(x: ArrayLike) -> Array:
    """Whether each element has zero imaginary part. Matches ``numpy.isreal``.

    Returns
    -------
    Array of bool
        ``x``'s shape.
    """
    x = _arr(x, "isreal")
    if not fnp.iscomplexobj(x):
        if isinstance(x, Tracer):
            return fnp.full(shape_of(x), True)
        return namespace_of(x).ones(shape_of(x), bool)  # on x's device
    return fnp.equal(fnp.imag(x), 0)


@_export
def iscomplex(x: ArrayLike) -> Array:
    """Whether each element has non-zero imaginary part. Matches ``numpy.iscomplex``.

    Returns
    -------
    Array of bool
        ``x``'s shape.
    """
    x = _arr(x, "iscomplex")
    if not fnp.iscomplexobj(x):
        return namespace_of(x).zeros(shape_of(x), bool)  # on x's device
    return fnp.not_equal(fnp.imag(x), 0)


@_export
def isrealobj(x: Any) -> bool:
    """Whether ``x`` has a non-complex dtype. Matches ``numpy.isrealobj``."""
    return not fnp.iscomplexobj(x)


# --------------------------------------------------------------------------------------------
# Polynomial arithmetic (coefficients highest power first) and window functions
# --------------------------------------------------------------------------------------------


def _poly1d(name: str, p: Any) -> Any:
    p = fnp.atleast_1d(_arr(p))
    if _ndim(p) != 1:
        raise ValueError(
            f"fluxion.numpy.{name}: expected 1-D polynomial coefficients, got shape {shape_of(p)}"
        )
    return p


def _pad_front(p: Any, n: int) -> Any:
    k = n - shape_of(p)[0]
    if k <= 0:
        return p
    return fnp.concatenate([fnp.zeros((k,), dtype=_dtype(p)), p])


@_export
def polyadd(a1: ArrayLike, a2: ArrayLike) -> Array:
    """Sum of two polynomials. Differentiable; matches ``numpy.polyadd`` for arrays.

    Parameters
    ----------
    a1, a2 : array_like, 1-D
        Coefficients, highest power first.

    Returns
    -------
    Array, shape (max(len(a1), len(a2)),)
    """
    a1, a2 = _poly1d("polyadd", a1), _poly1d("polyadd", a2)
    n = builtins.max(shape_of(a1)[0], shape_of(a2)[0])
    return fnp.add(_pad_front(a1, n), _pad_front(a2, n))


@_export
def polysub(a1: ArrayLike, a2: ArrayLike) -> Array:
    """Difference of two polynomials. Differentiable; matches ``numpy.polysub`` for arrays.

    Parameters
    ----------
    a1, a2 : array_like, 1-D
        Coefficients, highest power first.

    Returns
    -------
    Array, shape (max(len(a1), len(a2)),)
    """
    a1, a2 = _poly1d("polysub", a1), _poly1d("polysub", a2)
    n = builtins.max(shape_of(a1)[0], shape_of(a2)[0])
    return fnp.subtract(_pad_front(a1, n), _pad_front(a2, n))


@_export
def polymul(a1: ArrayLike, a2: ArrayLike) -> Array:
    """Product of two polynomials. Differentiable; matches ``numpy.polymul`` for arrays.

    Parameters
    ----------
    a1, a2 : array_like, 1-D
        Coefficients, highest power first.

    Returns
    -------
    Array, shape (len(a1) + len(a2) - 1,)
    """
    return fex.convolve(_poly1d("polymul", a1), _poly1d("polymul", a2))


@_export
def polyder(p: ArrayLike, m: int = 1) -> Array:
    """``m``-th derivative of a polynomial. Differentiable; matches ``numpy.polyder`` for arrays.

    Parameters
    ----------
    p : array_like, 1-D
        Coefficients, highest power first.
    m : int, optional
        Order (>= 0).

    Returns
    -------
    Array, shape (max(len(p) - m, 0),)
    """
    m = int(m)
    if m < 0:
        raise ValueError(f"fluxion.numpy.polyder: order of derivative must be positive, got {m}")
    p = _poly1d("polyder", p)
    for _ in range(m):
        n = shape_of(p)[0] - 1
        if n <= 0:
            return fnp.zeros((0,), dtype=np.result_type(_dtype(p), np.float64))
        p = fnp.multiply(p[:-1], np.arange(n, 0, -1))
    return p


@_export
def polyint(p: ArrayLike, m: int = 1, k: Any = None) -> Array:
    """``m``-th antiderivative of a polynomial. Differentiable in ``p`` and ``k``; matches
    ``numpy.polyint`` for arrays.

    Parameters
    ----------
    p : array_like, 1-D
        Coefficients, highest power first.
    m : int, optional
        Order (>= 0).
    k : scalar or sequence of length m, optional
        Integration constants (default 0), the first one for the first integration.

    Returns
    -------
    Array, shape (len(p) + m,)
    """
    m = int(m)
    if m < 0:
        raise ValueError(f"fluxion.numpy.polyint: order of integral must be positive, got {m}")
    p = _float_of(_poly1d("polyint", p))
    if k is None:
        ks: list = [0.0] * m
    elif isinstance(k, (list, tuple)):
        ks = list(k)
    elif _ndim(k) == 0:
        ks = [k] * m
    else:
        ks = [k[i] for i in range(shape_of(k)[0])]
    if len(ks) < m:
        raise ValueError(
            f"fluxion.numpy.polyint: k must be a scalar or a sequence of length m={m}, got "
            f"length {len(ks)}"
        )
    for i in range(m):
        n = shape_of(p)[0]
        p = fnp.concatenate([fnp.divide(p, np.arange(n, 0, -1, dtype=np.float64)),
                             fnp.reshape(fnp.astype(ks[i], _dtype(p)), (1,))])
    return p


@_export
def polydiv(u: ArrayLike, v: ArrayLike) -> tuple:
    """Quotient and remainder of polynomial division. Differentiable; matches
    ``numpy.polydiv`` for arrays.

    Parameters
    ----------
    u, v : array_like, 1-D
        Dividend and divisor coefficients, highest power first (``v[0] != 0``).

    Returns
    -------
    (Array, Array)
        The quotient, shape (max(len(u) - len(v) + 1, 1),), and the remainder with its leading
        near-zero coefficients trimmed as NumPy does (the trimming reads the concrete value;
        ``ConcretizationError`` under ``jit``).
    """
    u = _float_of(_poly1d("polydiv", u))
    v = _float_of(_poly1d("polydiv", v))
    m, n = shape_of(u)[0], shape_of(v)[0]
    if m < n:
        q: Any = fnp.zeros((1,), dtype=np.result_type(_dtype(u), _dtype(v)))
        r = fnp.add(u, fnp.zeros((), dtype=_dtype(q)))
    else:
        rs = [u[i] for i in range(m)]
        qs = []
        for k in range(m - n + 1):
            d = fnp.divide(rs[k], v[0])
            qs.append(d)
            for j in range(n):
                rs[k + j] = fnp.subtract(rs[k + j], fnp.multiply(d, v[j]))
        q = fnp.stack(qs)
        r = fnp.stack(rs[m - n + 1:]) if n > 1 else fnp.zeros((1,), dtype=_dtype(q))
    rc = _concrete(r, "polydiv", "the remainder")
    start = 0
    while start < rc.shape[0] - 1 and np.allclose(rc[start], 0, rtol=1e-14):
        start += 1
    return q, r[start:]


def _window_n(name: str, M: Any) -> int | None:  # noqa: N803
    if not float(M).is_integer():
        raise TypeError(f"fluxion.numpy.{name}: M must be an integer, got {M!r}")
    return int(M)


def _sym_window(name: str, M: Any, coeffs: tuple) -> np.ndarray:  # noqa: N803
    M = _window_n(name, M)  # noqa: N806
    if M < 1:
        return np.array([], dtype=np.float64)
    if M == 1:
        return np.ones(1, dtype=np.float64)
    t = np.pi * np.arange(1 - M, M, 2, dtype=np.float64) / (M - 1)
    return builtins.sum(c * np.cos(i * t) for i, c in enumerate(coeffs))


@_export
def bartlett(M: int) -> np.ndarray:  # noqa: N803
    """Bartlett (triangular) window of ``M`` points. Matches ``numpy.bartlett``.

    Returns
    -------
    numpy.ndarray, shape (M,)
        Empty for ``M < 1``.
    """
    M = _window_n("bartlett", M)  # noqa: N806
    if M < 1:
        return np.array([], dtype=np.float64)
    if M == 1:
        return np.ones(1, dtype=np.float64)
    n = np.arange(1 - M, M, 2, dtype=np.float64)
    return np.where(n <= 0, 1 + n / (M - 1), 1 - n / (M - 1))


@_export
def blackman(M: int) -> np.ndarray:  # noqa: N803
    """Blackman window of ``M`` points. Matches ``numpy.blackman``.

    Returns
    -------
    numpy.ndarray, shape (M,)
    """
    return _sym_window("blackman", M, (0.42, 0.5, 0.08))


@_export
def hamming(M: int) -> np.ndarray:  # noqa: N803
    """Hamming window of ``M`` points. Matches ``numpy.hamming``.

    Returns
    -------
    numpy.ndarray, shape (M,)
    """
    return _sym_window("hamming", M, (0.54, 0.46))


@_export
def hanning(M: int) -> np.ndarray:  # noqa: N803
    """Hann window of ``M`` points. Matches ``numpy.hanning``.

    Returns
    -------
    numpy.ndarray, shape (M,)
    """
    return _sym_window("hanning", M, (0.5, 0.5))


@_export
def kaiser(M: int, beta: ArrayLike) -> Array:  # noqa: N803
    """Kaiser window of ``M`` points. Differentiable in ``beta``; matches ``numpy.kaiser``.

    Parameters
    ----------
    M : int
    beta : float
        Shape parameter.

    Returns
    -------
    Array, shape (M,)
    """
    M = _window_n("kaiser", M)  # noqa: N806
    if M < 1:
        return np.array([], dtype=np.float64)
    if M == 1:
        return np.ones(1, dtype=np.float64)
    alpha = (M - 1) / 2.0
    s = np.sqrt(1 - ((np.arange(M) - alpha) / alpha) ** 2)
    return fnp.divide(i0(fnp.multiply(beta, s)), i0(beta))


# --------------------------------------------------------------------------------------------
# Index, set and histogram helpers (data-dependent shapes: concrete values), partition, unwrap
# --------------------------------------------------------------------------------------------


def _plain(name: str, npfn: Any, summary: str) -> Any:
    @fnp._names_errors(name)  # NumPy's own errors (bins=-1, ...) name the function called
    def fn(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_concrete(a, name, "the input") if isinstance(a, Tracer) else a
                     for a in args)
        kwargs = {k: (_concrete(v, name, k) if isinstance(v, Tracer) else v)
                  for k, v in kwargs.items()}
        try:
            return npfn(*args, **kwargs)
        except (TypeError, ValueError) as err:  # name the function, not NumPy's internals
            raise type(err)(f"fluxion.numpy.{name}: {err}") from None

    fn.__doc__ = f"""{summary} Not differentiable; matches ``numpy.{name}``.

Traced inputs are read through their concrete value (the result's shape or values depend on the
data); under ``jit`` this raises ``ConcretizationError``. The result is a plain
``numpy.ndarray`` (or a tuple of them), with NumPy's signature and shapes.
"""
    __all__.append(name)
    return fn


argwhere = _plain("argwhere", np.argwhere, "Indices of non-zero entries, shape (N, a.ndim).")
flatnonzero = _plain("flatnonzero", np.flatnonzero, "Flat indices of non-zero entries.")
unique = _plain("unique", np.unique, "Sorted unique elements (with optional extra outputs).")
unique_values = _plain("unique_values", np.unique_values, "Unique elements.")
unique_counts = _plain("unique_counts", np.unique_counts, "Unique elements and their counts.")
unique_inverse = _plain("unique_inverse", np.unique_inverse,
                        "Unique elements and the inverse indices.")
unique_all = _plain("unique_all", np.unique_all,
                    "Unique elements, first indices, inverse indices and counts.")


@_export
def isin(element: ArrayLike, test_elements: ArrayLike, assume_unique: bool = False,
         invert: bool = False, *, kind: Any = None) -> Array:
    """Elementwise membership test: whether each entry of ``element`` is in ``test_elements``
    (not differentiable). Matches ``numpy.isin``.

    Parameters
    ----------
    element : array_like
    test_elements : array_like
        Flattened.
    assume_unique : bool, optional
        Accepted for NumPy compatibility (the result does not depend on it).
    invert : bool, optional
        Return ``not in`` instead.
    kind : None, "sort" or "table", optional
        NumPy's algorithm choice (plain inputs only; traced inputs compare every pair).

    Returns
    -------
    Array of bool
        ``element``'s shape.

    Notes
    -----
    Traced inputs (``jit``, ``vmap``) compare every pair, ``O(element.size * test.size)``
    memory; NaN is in nothing, as in NumPy.
    """
    if not isinstance(element, Tracer) and not isinstance(test_elements, Tracer):
        try:
            return np.isin(element, test_elements, assume_unique=assume_unique, invert=invert,
                           kind=kind)
        except (TypeError, ValueError) as err:
            raise type(err)(f"fluxion.numpy.isin: {err}") from None
    element, test = _arr(element), fnp.ravel(_arr(test_elements))
    # hit[i] = any_j element[i] == test[j]
    pairs = fnp.equal(fnp.expand_dims(element, -1), test)
    hit = fnp.any(pairs, axis=-1)
    return fnp.logical_not(hit) if invert else hit

intersect1d = _plain("intersect1d", np.intersect1d, "Sorted common unique values.")
union1d = _plain("union1d", np.union1d, "Sorted union of unique values.")
setdiff1d = _plain("setdiff1d", np.setdiff1d, "Sorted unique values of ar1 not in ar2.")
setxor1d = _plain("setxor1d", np.setxor1d, "Sorted values in exactly one of the inputs.")
histogram_bin_edges = _plain("histogram_bin_edges", np.histogram_bin_edges,
                             "Bin edges that ``histogram`` would use.")
histogram2d = _plain("histogram2d", np.histogram2d, "2-D histogram and bin edges.")
histogramdd = _plain("histogramdd", np.histogramdd, "N-D histogram and bin edges.")
# gcd and lcm are elementwise primitives now: fluxion.numpy.gcd / lcm live in extra3.py
tril_indices = _plain("tril_indices", np.tril_indices, "Indices of the lower triangle.")
triu_indices = _plain("triu_indices", np.triu_indices, "Indices of the upper triangle.")
diag_indices = _plain("diag_indices", np.diag_indices, "Indices of the main diagonal.")


def _check_2d(name: str, arr: Any) -> tuple:
    s = shape_of(arr)
    if len(s) != 2:
        raise ValueError(f"fluxion.numpy.{name}: expected a 2-D array, got shape {s}")
    return s


@_export
def tril_indices_from(arr: ArrayLike, k: int = 0) -> tuple:
    """Indices of the lower triangle of a 2-D array (uses only its shape). Matches
    ``numpy.tril_indices_from``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
    """
    n, m = _check_2d("tril_indices_from", arr)
    rows, cols = np.tril_indices(n, k, m)
    # index arrays on arr's device, as numpy.tril_indices_from of a CuPy array gives
    return on_device_of(arr, rows), on_device_of(arr, cols)


@_export
def triu_indices_from(arr: ArrayLike, k: int = 0) -> tuple:
    """Indices of the upper triangle of a 2-D array (uses only its shape). Matches
    ``numpy.triu_indices_from``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
    """
    n, m = _check_2d("triu_indices_from", arr)
    rows, cols = np.triu_indices(n, k, m)
    # index arrays on arr's device, as numpy.triu_indices_from of a CuPy array gives
    return on_device_of(arr, rows), on_device_of(arr, cols)


@_export
def diag_indices_from(arr: ArrayLike) -> tuple:
    """Indices of the main diagonal of an array with equal sides (uses only its shape).
    Matches ``numpy.diag_indices_from``.

    Returns
    -------
    tuple of numpy.ndarray
        ``arr.ndim`` arrays of length ``arr.shape[0]``.
    """
    s = shape_of(arr)
    if len(s) < 2 or len(set(s)) != 1:
        raise ValueError(
            "fluxion.numpy.diag_indices_from: expected an array of at least 2 dimensions with "
            f"all sides equal, got shape {s}"
        )
    return np.diag_indices(s[0], len(s))


@_export
def lexsort(keys: Any, axis: int = -1) -> Array:
    """Indirect stable sort by several keys, the last key primary (not differentiable).
    Matches ``numpy.lexsort``; works under ``jit``.

    Parameters
    ----------
    keys : sequence of array_like (or an array whose first axis indexes the keys)
        All of the same shape.
    axis : int, optional

    Returns
    -------
    Array of int64
        The keys' shape.
    """
    keys = [keys[i] for i in range(len(keys) if isinstance(keys, (list, tuple))
                                   else shape_of(keys)[0])]
    if not keys:
        raise TypeError("fluxion.numpy.lexsort: need at least one key")
    shapes = {tuple(shape_of(k)) for k in keys}
    if len(shapes) != 1:
        raise ValueError(f"fluxion.numpy.lexsort: all keys need the same shape, got {shapes}")
    if _ndim(keys[0]) == 0:
        return np.zeros((), np.int64)
    axis = normalize_axis(axis, _ndim(keys[0]), "lexsort")
    idx = fex.argsort(keys[0], axis)
    for key in keys[1:]:
        kk = fnp.take_along_axis(key, idx, axis)
        idx = fnp.take_along_axis(idx, fex.argsort(kk, axis), axis)
    return idx


@_export
def partition(a: ArrayLike, kth: Any, axis: int | None = -1, kind: str = "introselect",
              order: Any = None) -> Array:
    """Partitioned copy: the ``kth`` element lands where it would in sorted order, smaller ones
    before it and larger ones after. Differentiable; compatible with ``numpy.partition``.

    Parameters
    ----------
    a : array_like
    kth : int or sequence of int
    axis : int or None, optional

    Returns
    -------
    Array
        ``a``'s shape (1-D for ``axis=None``).

    Notes
    -----
    Implemented as a full sort, which is one valid partition: entries at the ``kth`` positions
    equal NumPy's; the order inside each side may differ from NumPy's (which is unspecified).
    """
    if order is not None:
        raise NotImplementedError("fluxion.numpy.partition: order= is not supported")
    out = fex.sort(a, axis=axis)
    n = shape_of(out)[-1 if axis is None else axis]
    for k in np.atleast_1d(kth):
        if not -n <= int(k) < n:
            raise ValueError(f"fluxion.numpy.partition: kth(={k}) out of bounds ({n})")
    return out


@_export
def argpartition(a: ArrayLike, kth: Any, axis: int | None = -1, kind: str = "introselect",
                 order: Any = None) -> Array:
    """Indices that partition ``a`` (not differentiable); see ``partition``. Compatible with
    ``numpy.argpartition`` (a full stable argsort, one valid answer).

    Returns
    -------
    Array of int64
        ``a``'s shape (1-D for ``axis=None``).
    """
    if order is not None:
        raise NotImplementedError("fluxion.numpy.argpartition: order= is not supported")
    out = fex.argsort(a, axis=axis)
    n = shape_of(out)[-1 if axis is None else axis]
    for k in np.atleast_1d(kth):
        if not -n <= int(k) < n:
            raise ValueError(f"fluxion.numpy.argpartition: kth(={k}) out of bounds ({n})")
    return out


@_export
def sort_complex(a: ArrayLike) -> Array:
    """Sort by real part, then imaginary part, as complex. Differentiable; matches
    ``numpy.sort_complex``.

    Parameters
    ----------
    a : array_like

    Returns
    -------
    Array of complex
        ``a``'s shape, sorted along the last axis.
    """
    a = _arr(a)
    if not fnp.iscomplexobj(a):
        a = fnp.astype(a, np.complex64 if _dtype(a) in (np.float32, np.int8, np.int16,
                                                         np.uint8) else np.complex128)
    return fex.sort(a, axis=-1)


@_export
def unwrap(p: ArrayLike, discont: Any = None, axis: int = -1, *,
           period: float = 2 * np.pi) -> Array:
    """Remove jumps larger than ``discont`` by adding multiples of ``period``. Differentiable
    (derivative 1, piecewise); matches ``numpy.unwrap`` for float input.

    Parameters
    ----------
    p : array_like
    discont : float, optional
        Default ``period / 2``.
    axis : int, optional
    period : float, optional

    Returns
    -------
    Array
        ``p``'s shape.
    """
    p = _float_of(p)
    if discont is None:
        discont = period / 2
    axis = normalize_axis(axis, _ndim(p), "unwrap")
    dd = fex.diff(p, axis=axis)
    half = period / 2
    ddmod = fnp.subtract(fnp.remainder(fnp.add(dd, half), period), half)
    ddmod = fnp.where(fnp.logical_and(fnp.equal(ddmod, -half), fnp.greater(dd, 0)), half, ddmod)
    corr = fnp.stop_gradient(fnp.subtract(ddmod, dd))
    corr = fnp.where(fnp.less(fnp.abs(dd), discont), 0.0, corr)
    shp = list(shape_of(p))
    shp[axis] = 1
    csum = fnp.concatenate([fnp.zeros(tuple(shp), dtype=_dtype(p)), fnp.cumsum(corr, axis=axis)],
                           axis=axis)
    return fnp.add(p, csum)


# Plain ``numpy.<name>`` calls on traced values route here (aliases of already routed NumPy
# functions, e.g. ``numpy.acos is numpy.arccos``, keep their existing route).
fnp.register_numpy_dispatch(
    globals(),
    [n for n in __all__ if getattr(np, n, None) not in fnp._FUNCTION_MAP
     and getattr(np, n, None) not in fnp._UFUNC_MAP],
)
