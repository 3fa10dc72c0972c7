"""Indexing primitives: gather (``x[index]``), its transpose scatter-add, and functional update.

An index is split into a static ``spec`` (hashable: ints, slices, None, Ellipsis, and the
positions of index arrays) and the index arrays themselves, which are positional operands (so a
staged compiler can treat them as data). Boolean masks become integer arrays (``nonzero``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import as_array, namespace_of
from ..core import Primitive, ShapedArray, Tracer
from ._helpers import deflinear, fmt_avals, per_example_aval, result_type_operand, shape_of
from .batch_rules import fit_batched
from .elementwise import convert_element_type, equal, subtract, where_p
from .shape import bdim_to_front, broadcast_to, moveaxis, reduce_sum, reshape

# spec entries: ("i", int) | ("s", start, stop, step) | ("n",) | ("e",) | ("a", k)


def parse_index(index: Any, op: str = "getitem") -> tuple[tuple, list]:
    """Split a NumPy index into a hashable spec and the list of index arrays."""
    if type(index) is int:  # the commonest case: theta[0]
        return (("i", index),), []
    if not isinstance(index, tuple):
        index = (index,)
    spec: list[tuple] = []
    arrays: list[Any] = []
    for item in index:
        if item is None:
            spec.append(("n",))
        elif item is Ellipsis:
            spec.append(("e",))
        elif isinstance(item, slice):
            spec.append(
                (
                    "s",
                    _static_int(item.start, op),
                    _static_int(item.stop, op),
                    _static_int(item.step, op),
                )
            )
        elif isinstance(item, bool | np.bool_):
            arrays.append(np.asarray(item))
            spec.append(("a", len(arrays) - 1))
        elif isinstance(item, int | np.integer):
            spec.append(("i", int(item)))
        else:
            if isinstance(item, Tracer):
                if item.dtype.kind not in "iub":
                    raise IndexError(
                        f"{op}: index arrays must be integers or booleans, got a traced "
                        f"{item.aval}; use x.astype(int) on a non-differentiable value"
                    )
                arr = item
            else:
                arr = as_array(item)  # a device index array stays on its device
                if arr.dtype.kind not in "iub":
                    if arr.size == 0:
                        arr = arr.astype(np.intp)
                    else:
                        raise IndexError(
                            f"{op}: only integers, slices, None, Ellipsis and integer or "
                            f"boolean arrays are valid indices, got {arr.dtype} {item!r}"
                        )
            if arr.dtype.kind == "b" and not isinstance(arr, Tracer) and arr.ndim > 0:
                for part in namespace_of(arr).nonzero(arr):
                    arrays.append(part)
                    spec.append(("a", len(arrays) - 1))
            else:
                arrays.append(arr)
                spec.append(("a", len(arrays) - 1))
    return tuple(spec), arrays


def _static_int(v: Any, op: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, Tracer):
        raise IndexError(f"{op}: slice bounds must be static integers, got a traced {v.aval}")
    return int(v)


_STATIC_INDEX: dict = {}


def build_index(spec: tuple, arrays: Any) -> tuple:
    """Rebuild the NumPy index from a spec and its arrays (memoized for array-free specs)."""
    if not arrays:
        index = _STATIC_INDEX.get(spec)
        if index is None:
            index = _STATIC_INDEX[spec] = _build_index(spec, ())
        return index
    return _build_index(spec, arrays)


def _build_index(spec: tuple, arrays: Any) -> tuple:
    out = []
    for entry in spec:
        kind = entry[0]
        if kind == "i":
            out.append(entry[1])
        elif kind == "s":
            out.append(slice(entry[1], entry[2], entry[3]))
        elif kind == "n":
            out.append(None)
        elif kind == "e":
            out.append(Ellipsis)
        else:
            out.append(arrays[entry[1]])
    return tuple(out)


def has_arrays(spec: tuple) -> bool:
    """Whether the index has advanced (array) parts, whose scatter must accumulate repeats."""
    return any(entry[0] == "a" for entry in spec)


def _index_shape(shape: tuple[int, ...], dtype: Any, idx_avals: Any, spec: tuple, op: str) -> Any:
    dummy = np.broadcast_to(np.zeros((), dtype), shape)
    fake = [np.zeros(a.shape, a.dtype) for a in idx_avals]
    try:
        return dummy[build_index(spec, fake)].shape
    except IndexError as err:
        raise IndexError(f"{op}: invalid index for an array of shape {shape}: {err}") from None


# --------------------------------------------------------------------------------------------
# Batching an index (shared by the gather, scatter-add and update batch rules)
#
# NumPy places the dimensions of the advanced (array) part of an index where that part is if its
# entries are adjacent, and first otherwise; integers count as advanced entries when arrays are
# present. An unbatched index on a batched array gets a leading full slice. Batched index arrays
# are joined by an ``arange(axis_size)`` index on the array's batch axis, inserted right before
# the first advanced entry, so each example reads its own slice.
# --------------------------------------------------------------------------------------------

_FULL_SLICE = ("s", None, None, None)


def _advanced_layout(spec: tuple, ndim: int) -> tuple[int, bool, int, int]:
    """For an index with arrays on an ``ndim``-d array: the spec position of the first advanced
    entry, whether the advanced entries are adjacent, the array axis that entry indexes and the
    output position of the advanced dimensions when they are adjacent."""
    advanced = [k for k, entry in enumerate(spec) if entry[0] in "ai"]
    first = advanced[0]
    adjacent = advanced[-1] - first + 1 == len(advanced)
    ellipsis = ndim - sum(1 for entry in spec if entry[0] in "isa")
    axis = out_pos = 0
    for entry in spec[:first]:
        if entry[0] == "s":
            axis += 1
            out_pos += 1
        elif entry[0] == "n":
            out_pos += 1
        elif entry[0] == "e":
            axis += ellipsis
            out_pos += ellipsis
    return first, adjacent, axis, out_pos


def _batch_index(
    spec: tuple, arrays: Any, dims: Any, ndim: int, axis_size: int
) -> tuple[tuple, list, int, int]:
    """Batch an index on an array whose examples have ``ndim`` dimensions.

    Returns ``(spec, arrays, axis, pos)``: the index for the batched array, whose batch axis
    must be at ``axis``, and the position ``pos`` of the batch axis in the indexed result.
    """
    if all(d is None for d in dims):
        if has_arrays(spec):
            _, adjacent, _, _ = _advanced_layout(spec, ndim)
            if not adjacent:  # the advanced dimensions come first, the batch axis after them
                index_shape = np.broadcast_shapes(*(shape_of(a) for a in arrays))
                return (_FULL_SLICE,) + spec, list(arrays), 0, len(index_shape)
        return (_FULL_SLICE,) + spec, list(arrays), 0, 0
    ranks = [len(shape_of(a)) - (d is not None) for a, d in zip(arrays, dims)]
    rank = max(ranks)
    batched = []
    for a, d, r in zip(arrays, dims, ranks):
        if d is not None:
            a = moveaxis(a, d, 0)
            if r < rank:
                a = reshape_for_index(a, rank)
        batched.append(a)
    first, adjacent, axis, out_pos = _advanced_layout(spec, ndim)
    batch_index = np.arange(axis_size).reshape((axis_size,) + (1,) * rank)
    new_spec = spec[:first] + (("a", len(batched)),) + spec[first:]
    return new_spec, batched + [batch_index], axis, (out_pos if adjacent else 0)


def reshape_for_index(a: Any, rank: int) -> Any:
    """Insert size-1 axes after the leading batch axis of an index array up to ``rank``."""
    shape = shape_of(a)
    return reshape(a, shape[:1] + (1,) * (rank - len(shape) + 1) + shape[1:])


# --------------------------------------------------------------------------------------------
# gather: x[index]
# --------------------------------------------------------------------------------------------


def _getitem_impl(x: Any, *arrays: Any, spec: tuple) -> Any:
    return x[build_index(spec, arrays)]


def _getitem_abstract_eval(aval: ShapedArray, *idx: ShapedArray, spec: tuple) -> ShapedArray:
    shape = _index_shape(aval.shape, aval.dtype, idx, spec, "getitem")
    return ShapedArray(shape, aval.dtype, aval.weak_type)


getitem_p = Primitive("getitem", _getitem_impl)
getitem_p.abstract_eval = _getitem_abstract_eval


def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` for any NumPy basic or advanced index."""
    spec, arrays = parse_index(index)
    return getitem_p.bind(x, *arrays, spec=spec)


def getitem_static(x: Any, index: tuple) -> Any:
    """``x[index]`` for an index of ints, slices, None and Ellipsis only."""
    return getitem(x, index)


def slice_along(x: Any, axis: int, start: int, stop: int) -> Any:
    """``x[..., start:stop, ...]`` along ``axis``."""
    index = [slice(None)] * len(shape_of(x))
    index[axis] = slice(start, stop)
    return getitem(x, tuple(index))


def _getitem_transpose(g: Any, x: Any, *arrays: Any, spec: tuple) -> Any:
    # transpose of a gather: scatter-add the cotangent into zeros of x's shape
    ct = scatter_add_p.bind(g, *arrays, spec=spec, shape=shape_of(x))
    return (ct,) + (None,) * len(arrays)


deflinear(getitem_p, _getitem_transpose, linear_argnums=(0,))


def _getitem_batch(args: Any, dims: Any, *, axis_size: int, spec: tuple) -> Any:
    x, *arrays = args
    xd, *adims = dims
    ndim = len(shape_of(x)) - (xd is not None)
    new_spec, new_arrays, axis, pos = _batch_index(spec, arrays, adims, ndim, axis_size)
    if xd is None and any(d is not None for d in adims):
        # only the index is batched: x is shared, the batched arrays alone select per example
        return getitem_p.bind(x, *new_arrays[:-1], spec=spec), pos
    return getitem_p.bind(moveaxis(x, xd, axis), *new_arrays, spec=new_spec), pos


def _broadcast_at(x: Any, axis: int, axis_size: int) -> Any:
    """``x`` repeated along a new batch axis at position ``axis``."""
    shape = shape_of(x)
    x = reshape(x, shape[:axis] + (1,) + shape[axis:])
    return broadcast_to(x, shape[:axis] + (axis_size,) + shape[axis:])


getitem_p.batch = _getitem_batch


# --------------------------------------------------------------------------------------------
# scatter-add: zeros(shape)[index] += g
# --------------------------------------------------------------------------------------------


def _scatter_add_impl(g: Any, *arrays: Any, spec: tuple, shape: tuple[int, ...]) -> Any:
    xp = namespace_of(g, *arrays)
    out = xp.zeros(shape, dtype=np.result_type(g))
    index = build_index(spec, arrays)
    if has_arrays(spec):
        xp.add.at(out, index, g)  # repeated indices accumulate
    else:
        out[index] = g  # basic indexing never repeats an element
    return out


def _scatter_add_abstract_eval(
    aval: ShapedArray, *idx: ShapedArray, spec: tuple, shape: tuple[int, ...]
) -> ShapedArray:
    target = _index_shape(shape, aval.dtype, idx, spec, "scatter_add")
    try:
        np.broadcast_shapes(aval.shape, target)
    except ValueError:
        raise ValueError(
            f"scatter_add: updates {aval} do not broadcast to the indexed shape {target}"
        ) from None
    return ShapedArray(shape, aval.dtype)


scatter_add_p = Primitive("scatter_add", _scatter_add_impl)
scatter_add_p.abstract_eval = _scatter_add_abstract_eval


def _scatter_add_transpose(ct: Any, g: Any, *arrays: Any, spec: tuple, shape: Any) -> Any:
    # transpose of scatter-add: gather
    return (getitem_p.bind(ct, *arrays, spec=spec),) + (None,) * len(arrays)


deflinear(scatter_add_p, _scatter_add_transpose, linear_argnums=(0,))


def _scatter_add_batch(
    args: Any, dims: Any, *, axis_size: int, spec: tuple, shape: tuple[int, ...]
) -> Any:
    # scatter into a batched zeros array (batch axis where the batched index wants it), with
    # the updates laid out like the indexed region
    g, *arrays = args
    gd, *adims = dims
    idx_avals = [per_example_aval(a, d) for a, d in zip(arrays, adims)]
    region = _index_shape(shape, per_example_aval(g, gd).dtype, idx_avals, spec, "scatter_add")
    new_spec, new_arrays, axis, pos = _batch_index(spec, arrays, adims, len(shape), axis_size)
    g = fit_batched(g, gd, len(region), pos, axis_size)
    out_shape = tuple(shape[:axis]) + (axis_size,) + tuple(shape[axis:])
    return scatter_add_p.bind(g, *new_arrays, spec=new_spec, shape=out_shape), axis


scatter_add_p.batch = _scatter_add_batch


# --------------------------------------------------------------------------------------------
# functional update: out = x.copy(); out[index] = v
# --------------------------------------------------------------------------------------------


def _update_impl(x: Any, v: Any, *arrays: Any, spec: tuple) -> Any:
    xp = namespace_of(x, v, *arrays)
    out = xp.array(x, dtype=np.result_type(x, v), copy=True)
    out[build_index(spec, arrays)] = v
    return out


def _update_abstract_eval(
    aval: ShapedArray, v: ShapedArray, *idx: ShapedArray, spec: tuple
) -> ShapedArray:
    target = _index_shape(aval.shape, aval.dtype, idx, spec, "setitem")
    try:
        if np.broadcast_shapes(v.shape, target) != target:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"setitem: could not assign a value of shape {v.shape} into x[index] of shape "
            f"{target} (x is {aval})"
        ) from None
    dtype = np.result_type(result_type_operand(aval), result_type_operand(v))
    return ShapedArray(aval.shape, dtype, aval.weak_type)


update_p = Primitive("update", _update_impl)
update_p.abstract_eval = _update_abstract_eval


def update(x: Any, index: Any, v: Any) -> Any:
    """The array ``x`` with ``x[index]`` replaced by ``v`` (a functional ``x[index] = v``)."""
    spec, arrays = parse_index(index, "setitem")
    return update_p.bind(x, v, *arrays, spec=spec)


def _update_transpose(g: Any, x: Any, v: Any, *arrays: Any, spec: tuple) -> Any:
    # the overwritten entries of x get no cotangent; v gets the cotangent of its slots
    g_x = update_p.bind(g, 0.0, *arrays, spec=spec)
    g_v = getitem_p.bind(g, *arrays, spec=spec)
    if has_arrays(spec):
        # A repeated index is written several times and only the last write survives (NumPy
        # assigns in order): the earlier writes get no cotangent. Find the survivors by writing
        # each slot's own number and reading back which number stuck.
        slots = np.arange(1, int(np.prod(shape_of(g_v), dtype=np.int64)) + 1)
        slots = slots.reshape(shape_of(g_v))
        written = update_p.bind(np.zeros(shape_of(g), np.int64), slots, *arrays, spec=spec)
        survived = equal(getitem_p.bind(written, *arrays, spec=spec), slots)
        g_v = where_p.bind(survived, g_v, 0.0)
    return (g_x, g_v) + (None,) * len(arrays)


deflinear(update_p, _update_transpose, linear_argnums=(0, 1))


def _update_batch(args: Any, dims: Any, *, axis_size: int, spec: tuple) -> Any:
    # write into x with its batch axis where the batched index wants it (an unbatched x is
    # broadcast first), the value laid out like the indexed region
    x, v, *arrays = args
    xd, vd, *adims = dims
    x_aval = per_example_aval(x, xd)
    idx_avals = [per_example_aval(a, d) for a, d in zip(arrays, adims)]
    region = _index_shape(x_aval.shape, x_aval.dtype, idx_avals, spec, "setitem")
    new_spec, new_arrays, axis, pos = _batch_index(spec, arrays, adims, x_aval.ndim, axis_size)
    x = moveaxis(x, xd, axis) if xd is not None else _broadcast_at(x, axis, axis_size)
    v = fit_batched(v, vd, len(region), pos, axis_size)
    return update_p.bind(x, v, *new_arrays, spec=new_spec), axis


update_p.batch = _update_batch


# --------------------------------------------------------------------------------------------
# concatenate
# --------------------------------------------------------------------------------------------


def _concatenate_abstract_eval(*avals: ShapedArray, axis: int) -> ShapedArray:
    if not avals:
        raise ValueError("concatenate: expected at least one array, got none")
    first = avals[0]
    if first.ndim == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    if not -first.ndim <= axis < first.ndim:
        raise ValueError(
            f"concatenate: axis {axis} is out of bounds for arrays of dimension {first.ndim}"
        )
    axis = axis % first.ndim  # a negative axis counts from the end (as np.concatenate)
    for a in avals[1:]:
        if a.ndim != first.ndim or any(
            d1 != d2 for i, (d1, d2) in enumerate(zip(a.shape, first.shape)) if i != axis
        ):
            raise ValueError(
                f"concatenate: all shapes must match except along axis {axis}, got "
                f"{fmt_avals(avals)}"
            )
    size = sum(a.shape[axis] for a in avals)
    shape = first.shape[:axis] + (size,) + first.shape[axis + 1 :]
    dtype = np.result_type(*(a.dtype for a in avals))
    return ShapedArray(shape, dtype, all(a.weak_type for a in avals))


concatenate_p = Primitive(
    "concatenate", lambda *xs, axis: namespace_of(*xs).concatenate(xs, axis=axis)
)
concatenate_p.abstract_eval = _concatenate_abstract_eval
concatenate_p.templates["numpy"] = "np.concatenate(({args},), axis={axis})"


def concatenate(xs: Any, axis: int) -> Any:
    return concatenate_p.bind(*xs, axis=axis)


def _concatenate_transpose(g: Any, *xs: Any, axis: int) -> Any:
    cts = []
    start = 0
    for x in xs:
        n = shape_of(x)[axis]
        cts.append(slice_along(g, axis, start, start + n))
        start += n
    return tuple(cts)


deflinear(concatenate_p, _concatenate_transpose)


def _concatenate_batch(args: Any, dims: Any, *, axis_size: int, axis: int) -> Any:
    # every operand with its batch axis first (unbatched ones broadcast), joined along axis + 1
    xs = [bdim_to_front(x, d, axis_size) for x, d in zip(args, dims)]
    ndim = len(shape_of(xs[0])) - 1
    return concatenate(xs, axis % max(ndim, 1) + 1), 0


concatenate_p.batch = _concatenate_batch


# --------------------------------------------------------------------------------------------
# pad (constant mode; the value is an operand, so pad is linear in (x, value) jointly)
# --------------------------------------------------------------------------------------------


def _pad_impl(x: Any, value: Any, *, widths: tuple[tuple[int, int], ...]) -> Any:
    xp = namespace_of(x, value)
    out = xp.pad(x, widths, mode="constant", constant_values=0)
    if np.ndim(value) != 0 or value != 0:
        mask = xp.pad(xp.zeros(np.shape(x), dtype=bool), widths, constant_values=True)
        out = xp.where(mask, value, out)
    return out


def _pad_abstract_eval(
    aval: ShapedArray, value: ShapedArray, *, widths: tuple[tuple[int, int], ...]
) -> ShapedArray:
    if len(widths) != aval.ndim or any(lo < 0 or hi < 0 for lo, hi in widths):
        raise ValueError(
            f"pad: expected {aval.ndim} non-negative (before, after) pairs, got {widths}"
        )
    if value.ndim != 0:
        raise ValueError(f"pad: expected a scalar constant value, got {value}")
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(aval.shape, widths))
    return ShapedArray(shape, aval.dtype, aval.weak_type)


pad_p = Primitive("pad", _pad_impl)
pad_p.abstract_eval = _pad_abstract_eval


def pad_constant(x: Any, value: Any, widths: tuple[tuple[int, int], ...]) -> Any:
    return pad_p.bind(x, value, widths=tuple(tuple(map(int, w)) for w in widths))


def _pad_transpose(g: Any, x: Any, value: Any, *, widths: tuple[tuple[int, int], ...]) -> Any:
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shape_of(x)))
    g_x = getitem_static(g, inner)
    g_value = subtract(reduce_sum(g, None), reduce_sum(g_x, None))
    return g_x, g_value


deflinear(pad_p, _pad_transpose)


def _pad_batch(args: Any, dims: Any, *, axis_size: int, widths: Any) -> Any:
    # batch axis first and not padded; a batched constant is written into the border with a
    # mask: pad(x, v) = where(border, v, pad(x, 0))
    (x, value), (xd, vd) = args, dims
    x = bdim_to_front(x, xd, axis_size)
    batched_widths = ((0, 0),) + tuple(widths)
    if vd is None:
        return pad_p.bind(x, value, widths=batched_widths), 0
    padded = pad_p.bind(x, 0.0, widths=batched_widths)
    per_example = shape_of(x)[1:]
    border = np.pad(np.zeros(per_example, dtype=bool), widths, constant_values=True)
    value = reshape(value, (axis_size,) + (1,) * len(per_example))
    out = where_p.bind(border, value, padded)
    if out.dtype != padded.dtype:
        out = convert_element_type(out, padded.dtype)
    return out, 0


pad_p.batch = _pad_batch
