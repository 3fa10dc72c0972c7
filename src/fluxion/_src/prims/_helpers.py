"""Table helpers shared by the primitive families: linear rules and shape-rule utilities."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, Zero, bind_at, current_trace

_WEAK_PY_TYPE = {"f": float, "i": int, "u": int, "b": bool, "c": complex}


def dtype_for_promotion(aval: ShapedArray) -> Any:
    """What to hand NumPy's dtype resolution for ``aval``: a Python type if weak, else its dtype."""
    # a weak bool is plain bool: NumPy's dtype resolution takes int/float/complex, not bool
    if aval.weak_type and aval.dtype.kind != "b":
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
# Batching (vmap) helpers that need no primitive. The axis moves (moveaxis, bdim_to_front) are
# in shape.py and the generic batch rules built on them in batch_rules.py: this module sits
# below every primitive family.
#
# A batch rule is ``batch(args, dims, *, axis_size, **params) -> (out, out_dim)``: ``dims[i]``
# is the axis of ``args[i]`` that carries the examples (``None``: the argument is the same for
# every example).
# --------------------------------------------------------------------------------------------


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
