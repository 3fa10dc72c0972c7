"""Generic batch rules (vmap) shared by the primitive families, and the axis moves they use.

A batch rule is ``batch(args, dims, *, axis_size, **params) -> (out, out_dim)``: ``dims[i]`` is
the axis of ``args[i]`` that carries the examples (``None``: the argument is the same for every
example). Rules run one level down (the arrays are concrete or an outer transform's tracers), so
they are written with primitives and can themselves be differentiated or staged. They sit above
the shape family, whose reshape, transpose and broadcast_to move the batch axis.
"""

from __future__ import annotations

from typing import Any

from ..core import Primitive
from ._helpers import shape_of
from .shape import moveaxis, reshape

__all__ = [
    "batch_axis_param",
    "batch_elementwise",
    "batch_leading",
    "fit_batched",
    "pad_batched_rank",
]


def pad_batched_rank(x: Any, rank: int) -> Any:
    """Insert size-1 axes right after the leading batch axis of ``x`` so that one example has
    ``rank`` dimensions (NumPy aligns trailing dimensions; the batch axis must stay first)."""
    shape = shape_of(x)
    missing = rank - (len(shape) - 1)
    if missing <= 0:
        return x
    return reshape(x, shape[:1] + (1,) * missing + shape[1:])


def fit_batched(v: Any, vdim: int | None, rank: int, pos: int, axis_size: int) -> Any:
    """Make ``v`` broadcast against a batched array whose examples have ``rank`` dimensions
    and whose batch axis sits at ``pos`` (for updates written into an indexed region)."""
    shape = shape_of(v)
    if vdim is None:
        r = len(shape)
        if pos <= rank - r:  # v lines up with the trailing dims, clear of the batch axis
            return v
        full = (1,) * (rank - r) + shape
        return reshape(v, full[:pos] + (1,) + full[pos:])
    v = pad_batched_rank(moveaxis(v, vdim, 0), rank)
    return moveaxis(v, 0, pos)


def batch_elementwise(prim: Primitive) -> Any:
    """The batch rule of an elementwise (broadcasting) primitive.

    When every batched operand has its batch axis at the same position ``d`` and full rank, and
    every unbatched operand lines up with the dimensions after ``d``, the primitive applies as
    it is and the result keeps the batch axis at ``d``. Otherwise each batched operand gets its
    batch axis first and size-1 axes after it up to the largest example rank (NumPy aligns
    trailing dimensions, so an unbatched operand of lower rank stays aligned with the trailing
    dimensions of each example); the result has its batch axis first.
    """

    def batch(args: Any, dims: Any, *, axis_size: int, **params: Any) -> Any:
        shapes = [shape_of(x) for x in args]
        ranks = [len(s) - (d is not None) for s, d in zip(shapes, dims)]
        out_rank = max(ranks)
        common = None
        same = True
        for d, r in zip(dims, ranks):
            if d is None:
                continue
            if common is None:
                common = d
            if d != common or r != out_rank:
                same = False
                break
        if same and all(r <= out_rank - common for d, r in zip(dims, ranks) if d is None):
            return prim.bind(*args, **params), common
        moved = []
        for x, d in zip(args, dims):
            if d is not None:
                x = pad_batched_rank(moveaxis(x, d, 0), out_rank)
            moved.append(x)
        return prim.bind(*moved, **params), 0

    return batch


def batch_axis_param(prim: Primitive, name: str = "axis") -> Any:
    """The batch rule of a one-operand primitive acting along the static axis ``name`` and
    keeping its operand's shape (cumsum, cumprod): the axis is shifted past the batch axis."""

    def batch(args: Any, dims: Any, *, axis_size: int, **params: Any) -> Any:
        (x,), (d,) = args, dims
        axis = params[name]
        if len(shape_of(x)) == 1:  # one example is 0-d: scan a length-1 axis
            x2 = reshape(x, (axis_size, 1))
            out = prim.bind(x2, **dict(params, **{name: 1}))
            return reshape(out, (axis_size,)), 0
        axis %= len(shape_of(x)) - 1
        params[name] = axis + (axis >= d)
        return prim.bind(x, **params), d

    return batch


def batch_leading(prim: Primitive, core_ranks: tuple[int, ...]) -> Any:
    """The batch rule of an operation on stacks: operand ``i`` has ``core_ranks[i]`` trailing
    core dimensions and any leading dimensions, which broadcast (linear algebra).

    Batched operands get their batch axis first and size-1 axes after it, so that every operand
    has as many leading dimensions as the one with the most; unbatched operands broadcast
    against them unchanged. Every result has its batch axis first.
    """

    def batch(args: Any, dims: Any, *, axis_size: int, **params: Any) -> Any:
        leads = [len(shape_of(x)) - (d is not None) - c for x, d, c in zip(args, dims, core_ranks)]
        lead = max(leads)
        moved = []
        for x, d, c in zip(args, dims, core_ranks):
            if d is not None:
                x = pad_batched_rank(moveaxis(x, d, 0), lead + c)
            moved.append(x)
        out = prim.bind(*moved, **params)
        if prim.multiple_results:
            return out, (0,) * len(out)
        return out, 0

    return batch
