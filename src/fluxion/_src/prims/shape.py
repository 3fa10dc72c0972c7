"""Shape primitives: reshape, transpose, broadcast_to (and its transpose, sum), flip, roll.

All of them are linear, so each block is ``impl``, the shape rule, and the transpose (which is
also the vjp). Composite shape functions (squeeze, expand_dims, stack, split, tile, repeat, the
non-constant pad modes) are written on these in ``fluxion.numpy``. ``concatenate`` and ``pad``,
whose transposes are slices, are in ``indexing.py``. This is the lowest primitive family: the
others build their rules on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import namespace_of
from ..core import Primitive, ShapedArray
from ._helpers import batch_reduce_axes, deflinear, shape_of

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
    xp = namespace_of(x)
    if xp is np and np.ndim(x) == 0 and len(shape) == 1 and shape[0] <= 4096:
        return np.full(shape, x, dtype=np.result_type(x))
    return xp.broadcast_to(x, shape)


broadcast_to_p = Primitive("broadcast_to", _broadcast_to_impl)
broadcast_to_p.abstract_eval = _broadcast_to_abstract_eval
broadcast_to_p.templates["numpy"] = "np.broadcast_to({0}, {shape})"


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return broadcast_to_p.bind(x, shape=tuple(shape))


def _broadcast_to_transpose(g: Any, x: Any, *, shape: tuple[int, ...]) -> Any:
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
# Axis moves used by the batch rules (here and in batch_rules.py)
# --------------------------------------------------------------------------------------------


def moveaxis(x: Any, src: int, dst: int) -> Any:
    """Move axis ``src`` of ``x`` to position ``dst`` (non-negative axes) with a transpose."""
    if src == dst:
        return x
    perm = [i for i in range(len(shape_of(x))) if i != src]
    perm.insert(dst, src)
    return transpose(x, tuple(perm))


def bdim_to_front(x: Any, bdim: int | None, axis_size: int) -> Any:
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast along a new first axis."""
    if bdim is None:
        shape = shape_of(x)
        return broadcast_to(x, (axis_size,) + shape)
    return moveaxis(x, bdim, 0)


# --------------------------------------------------------------------------------------------
# sum (linear): here rather than in reduce.py because broadcast_to and sum are each other's
# transpose; reduce.py re-exports it with the reduction helpers below
# --------------------------------------------------------------------------------------------


def _reduce_abstract_eval(name: str, out_dtype: Any = None) -> Any:
    def abstract_eval(aval: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
        for a in axes:
            if not 0 <= a < aval.ndim:
                raise ValueError(f"{name}: axis {a} is out of bounds for {aval}")
        shape = tuple(d for i, d in enumerate(aval.shape) if i not in axes)
        dtype = aval.dtype if out_dtype is None else out_dtype(aval.dtype)
        return ShapedArray(shape, dtype, aval.weak_type)

    return abstract_eval


def _sum_dtype(dtype: np.dtype) -> np.dtype:
    # NumPy sums booleans and small integers in the platform integer.
    if dtype.kind in "biu" and dtype.itemsize < 8:
        return np.dtype(np.int64) if dtype.kind != "u" else np.dtype(np.uint64)
    return dtype


def keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def expand_reduced(g: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """Broadcast a reduction's output-shaped ``g`` back over the reduced ``axes`` of ``shape``."""
    if len(axes) != len(shape):  # a full reduction's g is 0-d and broadcasts as it is
        g = reshape(g, keepdims_shape(shape, axes))
    return broadcast_to(g, shape)


def _sum_impl(x: Any, *, axes: tuple[int, ...]) -> Any:
    # the ndarray method skips np.sum's Python-level dispatch (3x faster on small arrays)
    if type(x) is np.ndarray:
        return x.sum(axis=axes)
    return np.sum(x, axis=axes)


sum_p = Primitive("sum", _sum_impl)
sum_p.abstract_eval = _reduce_abstract_eval("sum", _sum_dtype)
sum_p.templates["numpy"] = "np.sum({0}, axis={axes})"


def reduce_sum(x: Any, axes: tuple[int, ...] | None) -> Any:
    """Sum over ``axes`` (``None``: all axes)."""
    if axes is None:
        axes = tuple(range(len(shape_of(x))))
    return sum_p.bind(x, axes=tuple(axes))


# transpose of a sum: broadcast the cotangent back over the summed axes
deflinear(sum_p, lambda g, x, *, axes: (expand_reduced(g, shape_of(x), axes),))
sum_p.batch = batch_reduce_axes(sum_p)


def sum_to_shape(ct: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast cotangent down to ``shape`` (the inverse of NumPy broadcasting).

    Leading extra axes are summed away; axes where ``shape`` has size 1 are summed with the size
    kept; axes where ``ct`` has size 1 (or that it lacks) are broadcast back up. The backward
    pass (``ad.py``) un-broadcasts every cotangent with it, and it is ``broadcast_to``'s
    transpose.
    """
    ct_shape = shape_of(ct)
    if not shape:  # to a scalar: one full reduction
        return reduce_sum(ct, tuple(range(len(ct_shape))))
    lead = len(ct_shape) - len(shape)
    if lead > 0:
        ct = reduce_sum(ct, tuple(range(lead)))
        ct_shape = shape_of(ct)
    offset = len(shape) - len(ct_shape)
    inner = tuple(i for i, n in enumerate(ct_shape) if n != 1 and shape[i + offset] == 1)
    if inner:
        kept = tuple(1 if i in inner else n for i, n in enumerate(ct_shape))
        ct = reshape(reduce_sum(ct, inner), kept)
    if shape_of(ct) != shape:
        ct = broadcast_to(ct, shape)
    return ct


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
