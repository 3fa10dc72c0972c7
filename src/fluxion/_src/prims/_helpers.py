"""Table helpers shared by the primitive families: linear rules and shape-rule utilities."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, Zero, bind_at, current_trace

_WEAK_PY_TYPE = {"f": float, "i": int, "u": int, "b": bool, "c": complex}


def dtype_for_promotion(aval: ShapedArray) -> Any:
    """What to hand NumPy's dtype resolution for ``aval``: a Python type if weak, else its dtype."""
    if aval.weak_type:
        return _WEAK_PY_TYPE.get(aval.dtype.kind, aval.dtype)
    return aval.dtype


def result_type_operand(aval: ShapedArray) -> Any:
    """What to hand ``np.result_type`` for ``aval``: a Python zero if weak, else its dtype.

    ``np.result_type`` treats Python scalar *values* as weak but the types ``float``/``int`` as
    float64/int64, so a weak aval is passed as a value of its kind.
    """
    if aval.weak_type:
        py_type = _WEAK_PY_TYPE.get(aval.dtype.kind)
        if py_type is not None:
            return py_type(0)
    return aval.dtype


def fmt_avals(avals: Any) -> str:
    return ", ".join(str(a) for a in avals)


def normalize_axis(axis: int, ndim: int, op: str) -> int:
    """Turn a possibly negative axis into a non-negative one, with a clear error if out of range."""
    if not isinstance(axis, int | np.integer):
        raise TypeError(f"{op}: expected an integer axis, got {axis!r} ({type(axis).__name__})")
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise ValueError(f"{op}: axis {axis} is out of bounds for an array of dimension {ndim}")
    return int(axis) % max(ndim, 1)


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``None`` -> all axes; an int or a sequence -> a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int | np.integer):
        axis = (axis,)
    axes = tuple(normalize_axis(a, ndim, op) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def instantiate_zeros(tangents: Any) -> list:
    """Materialise symbolic zeros (for rules that must apply an op to every tangent)."""
    return [t.instantiate() if type(t) is Zero else t for t in tangents]


def _instantiate_tangent(t: Any) -> Any:
    """Materialise a symbolic zero tangent; a weak (Python scalar) zero stays a weak ``0.0``,
    so it does not upcast a float32 operand the way a float64 zero array would."""
    if type(t) is not Zero:
        return t
    aval = t.aval
    if aval.weak_type and aval.shape == () and aval.dtype.kind in "fc":
        return _WEAK_PY_TYPE[aval.dtype.kind](0)
    return t.instantiate()


def deflinear(
    prim: Primitive, transpose: Any, linear_argnums: tuple[int, ...] | None = None
) -> None:
    """Declare ``prim`` linear in its array arguments ``linear_argnums`` jointly (default: all).

    The other positional arguments (index arrays, say) are passed through unchanged in the
    tangent computation. ``transpose(g, *args, **params) -> tuple`` gives one cotangent per
    argument (``None`` for the non-linear ones).
    """

    def jvp(primals: Any, tangents: Any, **params: Any) -> Any:
        trace = current_trace()
        ans = bind_at(trace, prim, primals, params)
        lin = range(len(primals)) if linear_argnums is None else linear_argnums
        if all(type(tangents[i]) is Zero for i in lin):
            return ans, Zero(ans)
        args = list(primals)
        for i in lin:
            args[i] = _instantiate_tangent(tangents[i])
        return ans, bind_at(trace, prim, args, params)

    def vjp(g: Any, ans: Any, *args: Any, **params: Any) -> Any:
        return transpose(g, *args, **params)

    prim.jvp = jvp
    prim.vjp = vjp
    prim.transpose = transpose


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of an array, tracer or scalar, without converting tracers."""
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def defvjp_parts(prim: Primitive, *parts: Any) -> None:
    """Give ``prim`` one vjp function per positional argument (``None``: not differentiable).

    ``parts[i](g, ans, *args, **params)`` returns the cotangent of argument ``i``. The backward
    pass calls only the parts whose argument is being differentiated; ``prim.vjp`` (the
    tuple-returning rule of CONVENTIONS.md) is built from them for every other use.
    """

    def vjp(g: Any, ans: Any, *args: Any, **params: Any) -> tuple:
        return tuple(
            None if part is None else part(g, ans, *args, **params) for part, _ in zip(parts, args)
        )

    prim.vjp = vjp
    prim.vjp_parts = tuple(parts)


# --------------------------------------------------------------------------------------------
# Batching (vmap) helpers: generic batch rules and the axis moves they are built from
#
# A batch rule is ``batch(args, dims, *, axis_size, **params) -> (out, out_dim)``: ``dims[i]``
# is the axis of ``args[i]`` that carries the examples (``None``: the argument is the same for
# every example). Rules run one level down (the arrays are concrete or an outer transform's
# tracers), so they are written with primitives and can themselves be differentiated or staged.
# --------------------------------------------------------------------------------------------


def _shape_module() -> Any:
    from . import shape  # the shape family imports this module: bind it late

    return shape


def per_example_shape(x: Any, bdim: int | None) -> tuple[int, ...]:
    """The shape of one example of ``x`` (``x``'s shape without its batch axis ``bdim``)."""
    shape = shape_of(x)
    if bdim is None:
        return shape
    return shape[:bdim] + shape[bdim + 1 :]


def per_example_aval(x: Any, bdim: int | None) -> ShapedArray:
    """The abstract value of one example of ``x``."""
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        dtype = np.result_type(x)
    return ShapedArray(per_example_shape(x, bdim), dtype)


def moveaxis(x: Any, src: int, dst: int) -> Any:
    """Move axis ``src`` of ``x`` to position ``dst`` (non-negative axes) with a transpose."""
    if src == dst:
        return x
    perm = [i for i in range(len(shape_of(x))) if i != src]
    perm.insert(dst, src)
    return _shape_module().transpose(x, tuple(perm))


def bdim_to_front(x: Any, bdim: int | None, axis_size: int) -> Any:
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast along a new first axis."""
    if bdim is None:
        shape = shape_of(x)
        return _shape_module().broadcast_to(x, (axis_size,) + shape)
    return moveaxis(x, bdim, 0)


def pad_batched_rank(x: Any, rank: int) -> Any:
    """Insert size-1 axes right after the leading batch axis of ``x`` so that one example has
    ``rank`` dimensions (NumPy aligns trailing dimensions; the batch axis must stay first)."""
    shape = shape_of(x)
    missing = rank - (len(shape) - 1)
    if missing <= 0:
        return x
    return _shape_module().reshape(x, shape[:1] + (1,) * missing + shape[1:])


def fit_batched(v: Any, vdim: int | None, rank: int, pos: int, axis_size: int) -> Any:
    """Make ``v`` broadcast against a batched array whose examples have ``rank`` dimensions
    and whose batch axis sits at ``pos`` (for updates written into an indexed region)."""
    shape = shape_of(v)
    if vdim is None:
        r = len(shape)
        if pos <= rank - r:  # v lines up with the trailing dims, clear of the batch axis
            return v
        full = (1,) * (rank - r) + shape
        return _shape_module().reshape(v, full[:pos] + (1,) + full[pos:])
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


def batch_reduce_axes(prim: Primitive) -> Any:
    """The batch rule of a reduction over the static ``axes`` (a sorted tuple) of one operand:
    the axes are renumbered around the batch axis, which is kept where it is."""

    def batch(args: Any, dims: Any, *, axis_size: int, axes: tuple[int, ...], **params: Any) -> Any:
        (x,), (d,) = args, dims
        ndim = max(len(shape_of(x)) - 1, 1)
        axes = tuple(sorted(a % ndim for a in axes))
        new_axes = tuple(a + (a >= d) for a in axes)
        out_dim = d - sum(1 for a in axes if a < d)
        return prim.bind(x, axes=new_axes, **params), out_dim

    return batch


def batch_axis_param(prim: Primitive, name: str = "axis") -> Any:
    """The batch rule of a one-operand primitive acting along the static axis ``name`` and
    keeping its operand's shape (cumsum, cumprod): the axis is shifted past the batch axis."""

    def batch(args: Any, dims: Any, *, axis_size: int, **params: Any) -> Any:
        (x,), (d,) = args, dims
        axis = params[name]
        if len(shape_of(x)) == 1:  # one example is 0-d: scan a length-1 axis
            shape = _shape_module()
            x2 = shape.reshape(x, (axis_size, 1))
            out = prim.bind(x2, **dict(params, **{name: 1}))
            return shape.reshape(out, (axis_size,)), 0
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
