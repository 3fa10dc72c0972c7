"""Reductions and scans: prod, max, min, argmax, argmin, all, any, cumsum, cumprod (and sum).

Reductions take ``axes`` as a sorted tuple of non-negative ints and drop those axes (the numpy
layer adds ``keepdims`` with a reshape). ``mean``, ``var`` and ``std`` are composites in
``fluxion.numpy``. ``sum`` is declared in ``shape.py`` beside ``broadcast_to`` (each is the
other's transpose) and re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import namespace_of
from ..core import Primitive, ShapedArray, Zero, bind_at, current_trace
from ._helpers import batch_reduce_axes, deflinear, shape_of
from .batch_rules import batch_axis_param
from .elementwise import (
    add,
    convert_element_type,
    defnondiff,
    divide,
    equal,
    multiply,
    where_p,
)
from .indexing import concatenate
from .shape import (
    _reduce_abstract_eval,
    _sum_dtype,
    broadcast_to,
    expand_reduced,
    flip,
    keepdims_shape,
    moveaxis,
    reshape,
    transpose,
)
from .shape import reduce_sum as reduce_sum  # sum is declared beside broadcast_to: re-exported
from .shape import sum_p as sum_p
from .shape import sum_to_shape as sum_to_shape

# --------------------------------------------------------------------------------------------
# prod
# --------------------------------------------------------------------------------------------

prod_p = Primitive("prod", lambda x, *, axes: np.prod(x, axis=axes))
prod_p.abstract_eval = _reduce_abstract_eval("prod", _sum_dtype)
prod_p.templates["numpy"] = "np.prod({0}, axis={axes})"


def _move_axes_last(x: Any, axes: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
    """Transpose ``axes`` to the end and merge them into one axis; return it and the perm."""
    shape = shape_of(x)
    keep = tuple(i for i in range(len(shape)) if i not in axes)
    perm = keep + tuple(axes)
    moved = transpose(x, perm)
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    return reshape(moved, tuple(shape[i] for i in keep) + (n,)), perm


def _exclusive_products(x: Any) -> Any:
    """out[..., i] = prod_{k != i} x[..., k] along the last axis, exact with zeros."""
    n = shape_of(x)[-1]
    ones = namespace_of(x).ones(shape_of(x)[:-1] + (1,), getattr(x, "dtype", np.float64))
    left = cumprod(concatenate([ones, x[..., : n - 1]], -1), -1)  # prod_{k < i}
    right = flip(
        cumprod(flip(concatenate([x[..., 1:], ones], -1), (-1 % len(shape_of(x)),)), -1),
        (len(shape_of(x)) - 1,),
    )  # prod_{k > i}
    return multiply(left, right)


def _prod_partials(x: Any, axes: tuple[int, ...]) -> Any:
    """d prod(x, axes) / d x, shaped like x (the product of all the other reduced elements)."""
    shape = shape_of(x)
    if not axes:
        return namespace_of(x).ones(shape, getattr(x, "dtype", np.float64))
    if any(shape[a] == 0 for a in axes):  # an empty product has no factors to differentiate
        return namespace_of(x).zeros(shape, getattr(x, "dtype", np.float64))
    merged, perm = _move_axes_last(x, axes)
    partial = _exclusive_products(merged)
    keep_shape = tuple(shape[i] for i in perm)
    return transpose(reshape(partial, keep_shape), tuple(np.argsort(perm)))


def _prod_jvp(primals: Any, tangents: Any, *, axes: tuple[int, ...]) -> Any:
    # d prod = sum_i (prod_{k != i} x_k) dx_i
    (x,), (t,) = primals, tangents
    ans = bind_at(current_trace(), prod_p, (x,), {"axes": axes})
    if type(t) is Zero:
        return ans, Zero(ans)
    return ans, reduce_sum(multiply(t, _prod_partials(x, axes)), axes)


prod_p.jvp = _prod_jvp
prod_p.vjp = lambda g, ans, x, *, axes: (
    multiply(expand_reduced(g, shape_of(x), axes), _prod_partials(x, axes)),
)
prod_p.batch = batch_reduce_axes(prod_p)


# --------------------------------------------------------------------------------------------
# max and min (ties share the derivative evenly)
# --------------------------------------------------------------------------------------------


def _extremum(name: str, fn: Any) -> Primitive:
    prim = Primitive(name, lambda x, *, axes: fn(x, axis=axes))
    prim.abstract_eval = _reduce_abstract_eval(name)
    prim.templates["numpy"] = f"np.{fn.__name__}({{0}}, axis={{axes}})"

    def share(ans: Any, x: Any, axes: tuple[int, ...]) -> Any:
        # 1/k on each of the k positions that attain the extremum, 0 elsewhere
        hit = convert_element_type(equal(x, expand_reduced(ans, shape_of(x), axes)), x.dtype)
        count = reduce_sum(hit, axes)
        return divide(hit, expand_reduced(count, shape_of(x), axes))

    def jvp(primals: Any, tangents: Any, *, axes: tuple[int, ...]) -> Any:
        (x,), (t,) = primals, tangents
        ans = bind_at(current_trace(), prim, (x,), {"axes": axes})
        if type(t) is Zero:
            return ans, Zero(ans)
        return ans, reduce_sum(multiply(t, share(ans, x, axes)), axes)

    prim.jvp = jvp
    prim.vjp = lambda g, ans, x, *, axes: (
        multiply(expand_reduced(g, shape_of(x), axes), share(ans, x, axes)),
    )
    prim.batch = batch_reduce_axes(prim)
    return prim


max_p = _extremum("max", np.max)
min_p = _extremum("min", np.min)


# --------------------------------------------------------------------------------------------
# argmax, argmin, all, any (integer or boolean outputs: no derivative)
# --------------------------------------------------------------------------------------------


def _arg_abstract_eval(name: str) -> Any:
    def abstract_eval(aval: ShapedArray, *, axis: int | None, keepdims: bool) -> ShapedArray:
        if axis is None:
            shape = (1,) * aval.ndim if keepdims else ()
        else:
            if not 0 <= axis < aval.ndim:
                raise ValueError(f"{name}: axis {axis} is out of bounds for {aval}")
            shape = (
                keepdims_shape(aval.shape, (axis,))
                if keepdims
                else tuple(d for i, d in enumerate(aval.shape) if i != axis)
            )
        if aval.size == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence ({aval})")
        return ShapedArray(shape, np.int64)

    return abstract_eval


argmax_p = Primitive(
    "argmax", lambda x, *, axis, keepdims: np.argmax(x, axis=axis, keepdims=keepdims)
)
argmax_p.abstract_eval = _arg_abstract_eval("argmax")
argmin_p = Primitive(
    "argmin", lambda x, *, axis, keepdims: np.argmin(x, axis=axis, keepdims=keepdims)
)
argmin_p.abstract_eval = _arg_abstract_eval("argmin")
all_p = Primitive("all", lambda x, *, axes: np.all(x, axis=axes))
all_p.abstract_eval = _reduce_abstract_eval("all", lambda d: np.dtype(bool))
any_p = Primitive("any", lambda x, *, axes: np.any(x, axis=axes))
any_p.abstract_eval = _reduce_abstract_eval("any", lambda d: np.dtype(bool))
defnondiff(argmax_p, argmin_p, all_p, any_p)


def _arg_batch(prim: Primitive) -> Any:
    # argmax/argmin along a per-example axis: the axis is shifted past the batch axis; over
    # the flattened example (axis=None): batch axis first, one row per example
    def batch(args: Any, dims: Any, *, axis_size: int, axis: int | None, keepdims: bool) -> Any:
        (x,), (d,) = args, dims
        if axis is None:
            shape = shape_of(x)
            per_example = shape[:d] + shape[d + 1 :]
            rows = reshape(moveaxis(x, d, 0), (axis_size, int(np.prod(per_example, dtype=int))))
            out = prim.bind(rows, axis=1, keepdims=False)
            if keepdims:
                out = reshape(out, (axis_size,) + (1,) * len(per_example))
            return out, 0
        axis %= len(shape_of(x)) - 1
        out_dim = d if keepdims else d - (axis < d)
        return prim.bind(x, axis=axis + (axis >= d), keepdims=keepdims), out_dim

    return batch


argmax_p.batch = _arg_batch(argmax_p)
argmin_p.batch = _arg_batch(argmin_p)
all_p.batch = batch_reduce_axes(all_p)
any_p.batch = batch_reduce_axes(any_p)


# --------------------------------------------------------------------------------------------
# cumsum (linear) and cumprod
# --------------------------------------------------------------------------------------------


def _scan_abstract_eval(name: str) -> Any:
    def abstract_eval(aval: ShapedArray, *, axis: int) -> ShapedArray:
        if not 0 <= axis < max(aval.ndim, 1):
            raise ValueError(f"{name}: axis {axis} is out of bounds for {aval}")
        return ShapedArray(aval.shape, _sum_dtype(aval.dtype), aval.weak_type)

    return abstract_eval


cumsum_p = Primitive("cumsum", lambda x, *, axis: np.cumsum(x, axis=axis))
cumsum_p.abstract_eval = _scan_abstract_eval("cumsum")
cumsum_p.templates["numpy"] = "np.cumsum({0}, axis={axis})"


def cumsum(x: Any, axis: int) -> Any:
    return cumsum_p.bind(x, axis=axis % max(len(shape_of(x)), 1))


# transpose of a running sum: the reversed running sum of the cotangent
deflinear(
    cumsum_p,
    lambda g, x, *, axis: (flip(cumsum(flip(g, (axis,)), axis), (axis,)),),
)
cumsum_p.batch = batch_axis_param(cumsum_p)

cumprod_p = Primitive("cumprod", lambda x, *, axis: np.cumprod(x, axis=axis))
cumprod_p.abstract_eval = _scan_abstract_eval("cumprod")
cumprod_p.templates["numpy"] = "np.cumprod({0}, axis={axis})"


def cumprod(x: Any, axis: int) -> Any:
    return cumprod_p.bind(x, axis=axis % max(len(shape_of(x)), 1))


def _cumprod_partials(x: Any, axis: int) -> tuple[Any, tuple[int, ...]]:
    """D[..., i, j] = d cumprod(x)[j] / d x[i] along ``axis`` moved last; exact with zeros.

    Row i is the running product of x with x_i replaced by one, masked to j >= i. This is
    O(n^2) in the scanned length, the price of exactness when x contains zeros.
    """
    ndim = len(shape_of(x))
    perm = tuple(i for i in range(ndim) if i != axis) + (axis,)
    xl = transpose(x, perm)
    n = shape_of(xl)[-1]
    xp = namespace_of(x)  # the masks live on x's device
    eye = xp.eye(n, dtype=bool)
    rows = where_p.bind(
        eye, 1.0, broadcast_to(reshape(xl, shape_of(xl)[:-1] + (1, n)), shape_of(xl)[:-1] + (n, n))
    )
    upper = xp.triu(xp.ones((n, n), dtype=bool))  # j >= i
    return where_p.bind(upper, cumprod(rows, len(shape_of(rows)) - 1), 0.0), perm


def _cumprod_jvp(primals: Any, tangents: Any, *, axis: int) -> Any:
    # d cumprod(x)_j = sum_{i <= j} (prod_{k <= j, k != i} x_k) dx_i
    (x,), (t,) = primals, tangents
    ans = bind_at(current_trace(), cumprod_p, (x,), {"axis": axis})
    if type(t) is Zero:
        return ans, Zero(ans)
    partials, perm = _cumprod_partials(x, axis)
    tl = transpose(t, perm)
    tl = reshape(tl, shape_of(tl) + (1,))
    out = reduce_sum(multiply(tl, partials), (len(shape_of(partials)) - 2,))
    return ans, transpose(out, tuple(np.argsort(perm)))


def _cumprod_vjp(g: Any, ans: Any, x: Any, *, axis: int) -> Any:
    # g_x[i] = sum_{j >= i} D[i, j] g[j]
    partials, perm = _cumprod_partials(x, axis)
    gl = transpose(g, perm)
    gl = reshape(gl, shape_of(gl)[:-1] + (1,) + shape_of(gl)[-1:])
    out = reduce_sum(multiply(partials, gl), (len(shape_of(partials)) - 1,))
    return (transpose(out, tuple(np.argsort(perm))),)


cumprod_p.jvp = _cumprod_jvp
cumprod_p.vjp = _cumprod_vjp
cumprod_p.batch = batch_axis_param(cumprod_p)

__all__ = ["add", "reduce_sum", "cumsum", "cumprod", "expand_reduced", "keepdims_shape"]
