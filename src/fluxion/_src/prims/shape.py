"""Shape primitives: reshape, transpose, broadcast_to, concatenate, flip, roll, pad.

All of them are linear, so each block is ``impl``, the shape rule, and the transpose (which is
also the vjp). Composite shape functions (squeeze, expand_dims, stack, split, tile, repeat, the
non-constant pad modes) are written on these in ``fluxion.numpy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray
from ._helpers import bdim_to_front, deflinear, fmt_avals, moveaxis, shape_of

# --------------------------------------------------------------------------------------------
# reshape
# --------------------------------------------------------------------------------------------


def _reshape_abstract_eval(aval: ShapedArray, *, shape: tuple[int, ...]) -> ShapedArray:
    size = int(np.prod(shape, dtype=np.int64))
    if size != aval.size or any(d < 0 for d in shape):
        raise ValueError(
            f"reshape: cannot reshape an array of size {aval.size} ({aval}) into shape {shape}"
        )
    return ShapedArray(shape, aval.dtype, aval.weak_type)


def _reshape_impl(x: Any, *, shape: tuple[int, ...]) -> Any:
    if type(x) is np.ndarray:
        return x.reshape(shape)  # the method skips np.reshape's dispatch overhead
    return np.reshape(x, shape)


reshape_p = Primitive("reshape", _reshape_impl)
reshape_p.abstract_eval = _reshape_abstract_eval
reshape_p.templates["numpy"] = "np.reshape({0}, {shape})"


def reshape(x: Any, shape: tuple[int, ...]) -> Any:
    """Reshape to a fully specified ``shape`` (no -1; the numpy layer resolves it)."""
    return reshape_p.bind(x, shape=tuple(shape))


deflinear(reshape_p, lambda g, x, *, shape: (reshape(g, shape_of(x)),))


def _reshape_batch(args: Any, dims: Any, *, axis_size: int, shape: tuple[int, ...]) -> Any:
    # batch axis first, then each example reshaped
    (x,), (d,) = args, dims
    return reshape(moveaxis(x, d, 0), (axis_size,) + tuple(shape)), 0


reshape_p.batch = _reshape_batch


# --------------------------------------------------------------------------------------------
# transpose
# --------------------------------------------------------------------------------------------


def _transpose_abstract_eval(aval: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
    if sorted(axes) != list(range(aval.ndim)):
        raise ValueError(
            f"transpose: axes {axes} are not a permutation of the {aval.ndim} axes of {aval}"
        )
    return ShapedArray(tuple(aval.shape[a] for a in axes), aval.dtype, aval.weak_type)


transpose_p = Primitive("transpose", lambda x, *, axes: np.transpose(x, axes))
transpose_p.abstract_eval = _transpose_abstract_eval
transpose_p.templates["numpy"] = "np.transpose({0}, {axes})"


def transpose(x: Any, axes: tuple[int, ...]) -> Any:
    return transpose_p.bind(x, axes=tuple(axes))


deflinear(transpose_p, lambda g, x, *, axes: (transpose(g, tuple(np.argsort(axes))),))


def _transpose_batch(args: Any, dims: Any, *, axis_size: int, axes: tuple[int, ...]) -> Any:
    # the batch axis goes first; the example's axes are renumbered around it
    (x,), (d,) = args, dims
    ndim = len(shape_of(x)) - 1
    return transpose(x, (d,) + tuple(a % ndim + (a % ndim >= d) for a in axes)), 0


transpose_p.batch = _transpose_batch


# --------------------------------------------------------------------------------------------
# broadcast_to
# --------------------------------------------------------------------------------------------


def _broadcast_to_abstract_eval(aval: ShapedArray, *, shape: tuple[int, ...]) -> ShapedArray:
    lead = len(shape) - aval.ndim
    ok = lead >= 0 and all(d in (1, s) for d, s in zip(aval.shape, shape[lead:]))
    if not ok:
        raise ValueError(f"broadcast_to: cannot broadcast {aval} to shape {shape}")
    return ShapedArray(shape, aval.dtype, aval.weak_type)


def _broadcast_to_impl(x: Any, *, shape: tuple[int, ...]) -> Any:
    # np.broadcast_to costs ~2 us of Python; filling a small array from a scalar is 4x cheaper.
    if np.ndim(x) == 0 and len(shape) == 1 and shape[0] <= 4096:
        return np.full(shape, x, dtype=np.result_type(x))
    return np.broadcast_to(x, shape)


broadcast_to_p = Primitive("broadcast_to", _broadcast_to_impl)
broadcast_to_p.abstract_eval = _broadcast_to_abstract_eval
broadcast_to_p.templates["numpy"] = "np.broadcast_to({0}, {shape})"


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return broadcast_to_p.bind(x, shape=tuple(shape))


def _broadcast_to_transpose(g: Any, x: Any, *, shape: tuple[int, ...]) -> Any:
    from .reduce import sum_to_shape  # the reduce family imports this one: bind it late

    return (sum_to_shape(g, shape_of(x)),)


deflinear(broadcast_to_p, _broadcast_to_transpose)


def _broadcast_to_batch(args: Any, dims: Any, *, axis_size: int, shape: tuple[int, ...]) -> Any:
    # batch axis first, size-1 axes after it up to the target rank, then broadcast
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    per_example = shape_of(x)[1:]
    missing = len(shape) - len(per_example)
    if missing > 0:
        x = reshape(x, (axis_size,) + (1,) * missing + per_example)
    return broadcast_to(x, (axis_size,) + tuple(shape)), 0


broadcast_to_p.batch = _broadcast_to_batch


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


concatenate_p = Primitive("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis))
concatenate_p.abstract_eval = _concatenate_abstract_eval
concatenate_p.templates["numpy"] = "np.concatenate(({args},), axis={axis})"


def concatenate(xs: Any, axis: int) -> Any:
    return concatenate_p.bind(*xs, axis=axis)


def _concatenate_transpose(g: Any, *xs: Any, axis: int) -> Any:
    from .indexing import slice_along

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
# flip and roll
# --------------------------------------------------------------------------------------------


def _same_aval(aval: ShapedArray, **params: Any) -> ShapedArray:
    for a in params.get("axes", ()):
        if not 0 <= a < aval.ndim:
            raise ValueError(f"axis {a} is out of bounds for {aval}")
    return aval


flip_p = Primitive("flip", lambda x, *, axes: np.flip(x, axes))
flip_p.abstract_eval = _same_aval
flip_p.templates["numpy"] = "np.flip({0}, {axes})"


def flip(x: Any, axes: tuple[int, ...]) -> Any:
    return flip_p.bind(x, axes=tuple(axes))


deflinear(flip_p, lambda g, x, *, axes: (flip(g, axes),))


def _flip_batch(args: Any, dims: Any, *, axis_size: int, axes: tuple[int, ...]) -> Any:
    # the axes are renumbered around the batch axis, which stays where it is
    (x,), (d,) = args, dims
    ndim = len(shape_of(x)) - 1
    return flip(x, tuple(a % ndim + (a % ndim >= d) for a in axes)), d


flip_p.batch = _flip_batch

roll_p = Primitive("roll", lambda x, *, shifts, axes: np.roll(x, shifts, axes))
roll_p.abstract_eval = _same_aval
roll_p.templates["numpy"] = "np.roll({0}, {shifts}, {axes})"


def roll(x: Any, shifts: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    return roll_p.bind(x, shifts=tuple(shifts), axes=tuple(axes))


deflinear(
    roll_p,
    lambda g, x, *, shifts, axes: (roll(g, tuple(-s for s in shifts), axes),),
)


def _roll_batch(args: Any, dims: Any, *, axis_size: int, shifts: Any, axes: Any) -> Any:
    # the axes are renumbered around the batch axis, which stays where it is
    (x,), (d,) = args, dims
    ndim = len(shape_of(x)) - 1
    return roll(x, shifts, tuple(a % ndim + (a % ndim >= d) for a in axes)), d


roll_p.batch = _roll_batch


# --------------------------------------------------------------------------------------------
# pad (constant mode; the value is an operand, so pad is linear in (x, value) jointly)
# --------------------------------------------------------------------------------------------


def _pad_impl(x: Any, value: Any, *, widths: tuple[tuple[int, int], ...]) -> Any:
    out = np.pad(x, widths, mode="constant", constant_values=0)
    if np.ndim(value) != 0 or value != 0:
        mask = np.pad(np.zeros(np.shape(x), dtype=bool), widths, constant_values=True)
        out = np.where(mask, value, out)
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
    from .elementwise import subtract
    from .indexing import getitem_static
    from .reduce import reduce_sum

    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shape_of(x)))
    g_x = getitem_static(g, inner)
    g_value = subtract(reduce_sum(g, None), reduce_sum(g_x, None))
    return g_x, g_value


deflinear(pad_p, _pad_transpose)


def _pad_batch(args: Any, dims: Any, *, axis_size: int, widths: Any) -> Any:
    # batch axis first and not padded; a batched constant is written into the border with a
    # mask: pad(x, v) = where(border, v, pad(x, 0))
    from .elementwise import convert_element_type, where_p

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
