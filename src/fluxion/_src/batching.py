"""vmap: automatic batching with a :class:`BatchTrace`.

Inside ``vmap(f)``, every mapped input is a :class:`BatchTracer` carrying the whole stack of
examples (``val``) and the axis that holds them (``bdim``); to ``f`` it looks like one example
(its ``aval`` has the batch axis removed). Each primitive applied to one of these tracers runs its
``batch`` rule once on the stacked arrays (``batch(args, dims, *, axis_size, **params) -> (out,
out_dim)``); unbatched arguments have ``dims[i] = None`` (:data:`not_mapped`) and are never
copied per example. A primitive without a rule falls back to a Python loop over the examples,
with one warning per primitive.

Unlike the differentiation traces, the batch trace carries every dtype: integer index arrays and
boolean masks are batched like floats. Unmapped array inputs (``in_axes=None``) are tracers too,
with ``bdim`` None: operations on them alone run once, unbatched, but NumPy code such as
``table[i]`` with a mapped index reaches fluxion's indexing instead of NumPy's, and ``x[i] = v``
works on them. Traces nest, so ``vmap(grad(f))`` (per-example gradients), ``grad(vmap(f))``,
``jvp(vmap(f))`` and ``vmap(vmap(f))`` all work.
"""

from __future__ import annotations

import difflib
import functools
import operator
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import core
from .ad import check_become
from .core import (
    ConcretizationError,
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    _check_active,
    _state,
    aval_of,
    bind_at,
    new_trace,
)
from .prims._helpers import shape_of
from .prims.indexing import concatenate, getitem_p
from .prims.shape import broadcast_to, moveaxis, reshape
from .scipy_calls import scipy_call_hint
from .tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten

__all__ = [
    "vmap",
    "BatchTrace",
    "BatchTracer",
    "BatchingFallbackWarning",
    "not_mapped",
    "batch_fun",
]

#: The ``dims`` entry of an unbatched argument (the same value for every example).
not_mapped = None


class BatchingFallbackWarning(UserWarning):
    """A primitive without a batch rule ran once per example in a Python loop under vmap."""


# --------------------------------------------------------------------------------------------
# Tracer and trace
# --------------------------------------------------------------------------------------------


def _not_concrete(aval: ShapedArray, what: str) -> ConcretizationError:
    return ConcretizationError(
        f"{what} of a batched {aval} inside vmap: the result would differ from one example to "
        "the next; use fluxion.numpy.where (or fluxion.lax.cond) instead of Python control "
        "flow on a mapped value, or pass the value unmapped (in_axes=None)"
    )


class BatchTracer(Tracer):
    """A stack of examples inside :func:`vmap`; behaves like one example.

    Parameters
    ----------
    trace : BatchTrace
        The vmap this tracer belongs to.
    val : array
        All the examples, stacked along ``bdim`` (a concrete array or an outer transform's
        tracer); for an unmapped value (``bdim`` is :data:`not_mapped`), the one value that
        every example shares.
    bdim : int or None
        The axis of ``val`` that indexes the examples, or ``None``.

    Notes
    -----
    Unmapped arrays (``in_axes=None``, and results computed from them alone) are tracers too,
    so NumPy code such as ``table[i]`` with a mapped index ``i`` reaches fluxion's indexing;
    they are concrete, so ``bool()``, ``float()`` and ``np.asarray`` work on them.
    """

    __slots__ = ("val", "bdim")

    def __init__(self, trace: BatchTrace, val: Any, bdim: int | None) -> None:
        self._trace = trace
        self.val = val
        self.bdim = bdim

    @property
    def aval(self) -> ShapedArray:
        aval = aval_of(self.val)
        d = self.bdim
        if d is None:
            return aval
        return ShapedArray(aval.shape[:d] + aval.shape[d + 1 :], aval.dtype, aval.weak_type)

    @property
    def shape(self) -> tuple[int, ...]:
        shape = shape_of(self.val)
        d = self.bdim
        if d is None:
            return shape
        return shape[:d] + shape[d + 1 :]

    @property
    def dtype(self) -> np.dtype:
        dtype = getattr(self.val, "dtype", None)
        return aval_of(self.val).dtype if dtype is None else dtype

    def primal_value(self) -> Any:
        if self.bdim is None:
            return self.val
        raise _not_concrete(self.aval, "conversion to a concrete value")

    def __bool__(self) -> bool:
        if self.bdim is None:
            return bool(self.val)
        raise _not_concrete(self.aval, "bool() (an `if`, `while`, `and` or `or`)")

    def __int__(self) -> int:
        if self.bdim is None:
            return int(self.val)
        raise _not_concrete(self.aval, "int()")

    def __index__(self) -> int:
        if self.bdim is None:
            return operator.index(self.val)
        raise _not_concrete(self.aval, "use as a Python index (__index__)")

    def __float__(self) -> float:
        if self.bdim is None:
            return float(self.val)
        raise _not_concrete(
            self.aval,
            "float() (also reached when a mapped value is stored into a NumPy array, "
            "y[i] = v with y an ndarray created inside the function, and by math.exp, "
            "math.log and the other math functions: use fluxion.numpy, fnp.exp, fnp.log, ...)",
        )

    def item(self) -> Any:
        if self.bdim is None:
            return self.val.item()
        raise _not_concrete(self.aval, "item()")

    def tolist(self) -> Any:
        if self.bdim is None:
            return self.val.tolist()
        raise _not_concrete(self.aval, "tolist()")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        _check_active(self, "numpy conversion")
        if self.bdim is None:
            return np.asarray(self.val, dtype=dtype)
        hint = scipy_call_hint(f"a plain NumPy array cannot hold the batched {self.aval}")
        if hint is not None:  # SciPy called it: name that function
            raise TypeError(hint)
        raise TypeError(
            f"numpy.asarray of a batched {self.aval} inside vmap: a plain NumPy array cannot "
            "hold a mapped value. This happens with np.array/np.asarray of it, when it indexes "
            "an ndarray that the function closes over or creates (y[i]: pass y as an argument "
            "with in_axes=None, or use fluxion.numpy.take(y, i)), or when it is stored into one "
            "(y[i] = v: pass y as an argument, or build the result with fluxion.numpy functions "
            "such as fnp.where or fnp.concatenate)"
        )

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        # NumPy functions without a fluxion version still run on unmapped values (they are
        # concrete and shared by every example), as they do on constants under grad
        if func not in core._fnp._FUNCTION_MAP:
            trace = self._trace
            leaves, tree = tree_flatten((args, kwargs))
            if all(_is_unmapped_of(x, trace) for x in leaves if isinstance(x, Tracer)):
                _check_active(self, f"numpy.{getattr(func, '__name__', func)}")
                raw = [x.val if type(x) is BatchTracer else x for x in leaves]
                call_args, call_kwargs = tree_unflatten(tree, raw)
                out = func(*call_args, **call_kwargs)
                return tree_map(lambda o: trace.new_input(o, None), out)
        return super().__array_function__(func, types, args, kwargs)

    def __repr__(self) -> str:
        return f"BatchTracer<{self.aval}>(bdim={self.bdim}, val={self.val!r})"

    def __str__(self) -> str:
        if self.bdim is None:
            return str(self.val)
        return f"{self.val} (batched along axis {self.bdim})"

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        if self.bdim is None:
            return format(self.val, spec)
        raise _not_concrete(self.aval, f"format() with spec {spec!r}")

    def _become(self, other: Any) -> None:
        trace = self._trace
        if type(other) is BatchTracer and _is_within(other._trace, trace):
            # this vmap's value, or an inner vmap's (x[i] = v with x from outside it)
            self._trace, self.val, self.bdim = other._trace, other.val, other.bdim
            return
        check_become(self, other)  # an inner transform's value cannot be held
        self.val, self.bdim = other, None  # a value that does not depend on the mapped inputs


def _is_within(inner: Trace, outer: Trace) -> bool:
    """Whether ``inner`` is ``outer`` or a trace nested inside it."""
    t: Trace | None = inner
    while t is not None:
        if t is outer:
            return True
        t = t.parent
    return False


def _is_unmapped_of(x: Any, trace: BatchTrace) -> bool:
    return type(x) is BatchTracer and x._trace is trace and x.bdim is None


def _is_array(x: Any) -> bool:
    """Whether an unmapped input is an array to wrap: NumPy arrays (so that indexing them with
    a mapped index reaches fluxion), other array types and outer transforms' tracers (so that
    values computed from them belong to this vmap, and item assignment works)."""
    if type(x) is np.ndarray:
        return True
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic)


class BatchTrace(Trace):
    """The trace of one :func:`vmap`: applies each primitive's batch rule to stacked arrays."""

    __slots__ = ("axis_size",)

    def __init__(self, parent: Trace | None, transform: str) -> None:
        super().__init__(parent, transform)
        self.axis_size = 0

    def lift(self, value: Any) -> BatchTracer:
        return BatchTracer(self, value, None)

    def new_input(self, x: Any, bdim: int | None) -> Any:
        """The tracer of an input mapped along ``bdim`` (unmapped arrays are wrapped too)."""
        if bdim is None and not _is_array(x):
            return x
        return BatchTracer(self, x, bdim)

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        vals = []
        dims = []
        found = False
        batched = False
        for x in args:
            if type(x) is BatchTracer and x._trace is self:
                vals.append(x.val)
                d = x.bdim
                dims.append(d)
                found = True
                if d is not None:
                    batched = True
            else:
                vals.append(x)
                dims.append(None)
        parent = self.parent
        if not found:
            return bind_at(parent, prim, args, params)
        if not batched:  # only unmapped values: compute once, stay a tracer
            out = bind_at(parent, prim, vals, params)
            if prim.multiple_results:
                return tuple(BatchTracer(self, o, None) for o in out)
            return BatchTracer(self, out, None)
        rule = prim.batch
        previous = _state.trace
        _state.trace = parent
        try:
            if rule is None:
                out, out_dims = _loop_fallback(prim, vals, dims, params, self.axis_size)
            else:
                out, out_dims = rule(vals, dims, axis_size=self.axis_size, **params)
        finally:
            _state.trace = previous
        if prim.multiple_results:
            if type(out_dims) is int or out_dims is None:
                out_dims = (out_dims,) * len(out)
            return tuple(BatchTracer(self, o, d) for o, d in zip(out, out_dims, strict=True))
        return BatchTracer(self, out, out_dims)


# --------------------------------------------------------------------------------------------
# The loop fallback
# --------------------------------------------------------------------------------------------

_warned: weakref.WeakSet = weakref.WeakSet()


def _warn_fallback(prim: Primitive) -> None:
    if prim in _warned:
        return
    _warned.add(prim)
    warnings.warn(
        f"vmap: primitive '{prim.name}' has no batch rule, so it runs once per example in a "
        "Python loop (slow for many examples). Give it a rule (prim.batch; for a user "
        "primitive, fluxion.extend.defbatch, or primitive(f, elementwise=True) for an "
        "elementwise function).",
        BatchingFallbackWarning,
        stacklevel=_user_stacklevel(),
    )


def _user_stacklevel() -> int:
    """The stacklevel of the first frame outside fluxion (where the user's code called it)."""
    import os
    import sys

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame = sys._getframe(2)  # the caller of _warn_fallback
    level = 3
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
        level += 1
    return level


def _loop_fallback(
    prim: Primitive, vals: list, dims: list, params: dict, axis_size: int
) -> tuple[Any, Any]:
    """Apply ``prim`` to each example in turn (one level down) and stack the results."""
    _warn_fallback(prim)
    if axis_size == 0:
        raise ValueError(
            f"vmap: primitive '{prim.name}' has no batch rule and the mapped axis has size 0, so "
            "the shape of its result is unknown; give it a batch rule"
        )
    parent = _state.trace
    results = []
    for i in range(axis_size):
        example = []
        for v, d in zip(vals, dims):
            if d is not None:
                spec = (("s", None, None, None),) * d + (("i", i),)
                v = getitem_p.bind(v, spec=spec)
            example.append(v)
        results.append(bind_at(parent, prim, example, params))
    if prim.multiple_results:
        outs = tuple(_stack([r[k] for r in results]) for k in range(len(results[0])))
        return outs, (0,) * len(outs)
    return _stack(results), 0


def _stack(xs: list) -> Any:
    return concatenate([reshape(x, (1,) + shape_of(x)) for x in xs], 0)


# --------------------------------------------------------------------------------------------
# vmap
# --------------------------------------------------------------------------------------------


def _broadcast_new_axis(x: Any, axis: int, size: int) -> Any:
    """``x`` repeated ``size`` times along a new axis at position ``axis`` (one level down)."""
    if not isinstance(x, Tracer) and not hasattr(x, "shape"):
        x = np.asarray(x)
    shape = shape_of(x)
    expanded = shape[:axis] + (1,) + shape[axis:]
    out = broadcast_to(reshape(x, expanded), shape[:axis] + (size,) + shape[axis:])
    if type(out) is np.ndarray and not out.flags.writeable:
        out = out.copy()  # a broadcast view would be read-only; results are fresh arrays
    return out


def _is_axis_spec(a: Any) -> bool:
    return a is None or (isinstance(a, int | np.integer) and not isinstance(a, bool))


def _check_axis_specs(name: str, spec: Any) -> None:
    leaves, _ = tree_flatten(spec, is_leaf=lambda x: x is None)
    for a in leaves:
        if not _is_axis_spec(a):
            raise TypeError(
                f"vmap: expected {name} entries that are ints or None, got {a!r} "
                f"({type(a).__name__}) in {name}={spec!r}"
            )


def _broadcast_prefix(name: str, spec: Any, tree: Any, what: str) -> list:
    """One axis spec per leaf of ``tree``, from ``spec``, a prefix of ``tree``."""
    if _is_axis_spec(spec):
        return [spec] * len(tree_flatten(tree)[0])
    spec_leaves, spec_tree = tree_flatten(spec, is_leaf=lambda x: x is None)
    try:
        subtrees = spec_tree.flatten_up_to(tree)
    except ValueError:
        raise ValueError(
            f"vmap: {name} must be a tree prefix of {what}, got {name}={spec!r} for "
            f"{what} with structure {tree_structure(tree)}"
        ) from None
    out = []
    for a, sub in zip(spec_leaves, subtrees):
        out.extend([a] * len(tree_flatten(sub)[0]))
    return out


def _describe_leaf(arg_index: Any, leaf_index: int, n_leaves: int) -> str:
    where = (
        f"argument {arg_index}" if isinstance(arg_index, int) else f"keyword argument {arg_index!r}"
    )
    return where if n_leaves == 1 else f"{where} (leaf {leaf_index})"


def _flatten_inputs(in_axes: Any, args: tuple, kwargs: dict) -> tuple[list, list, list, Any]:
    """Flatten ``(args, kwargs)`` into leaves with their axis and a description for errors."""
    if isinstance(in_axes, tuple):
        if len(in_axes) != len(args):
            raise ValueError(
                f"vmap: in_axes is a tuple of length {len(in_axes)}, but the function was "
                f"called with {len(args)} positional argument(s); give one entry per "
                "positional argument, or a single int or None for all of them"
            )
        per_arg = in_axes
    else:
        per_arg = (in_axes,) * len(args)
    leaves: list = []
    axes: list = []
    descs: list = []
    for i, (spec, arg) in enumerate(zip(per_arg, args)):
        arg_leaves = tree_flatten(arg)[0]
        arg_axes = _broadcast_prefix("in_axes", spec, arg, f"argument {i}")
        leaves.extend(arg_leaves)
        axes.extend(arg_axes)
        descs.extend(_describe_leaf(i, k, len(arg_leaves)) for k in range(len(arg_leaves)))
    for key in sorted(kwargs):  # keyword arguments are mapped along axis 0, as in JAX
        kw_leaves = tree_flatten(kwargs[key])[0]
        leaves.extend(kw_leaves)
        axes.extend([0] * len(kw_leaves))
        descs.extend(_describe_leaf(key, k, len(kw_leaves)) for k in range(len(kw_leaves)))
    tree = tree_structure((args, kwargs))
    return leaves, axes, descs, tree


def _as_mappable(x: Any, desc: str, axis: int) -> Any:
    if isinstance(x, Tracer) or type(x) is np.ndarray:
        return x
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic):
        return x  # another array type (CuPy)
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(
            f"vmap: expected an array to map over axis {axis} for {desc}, got "
            f"{type(x).__name__}; pass it with in_axes=None to leave it unmapped"
        )
    return arr


def _mapped_size(leaves: list, axes: list, descs: list, axis_size: int | None) -> tuple:
    """Normalise the mapped axes and return ``(leaves, axes, size)``; check the sizes agree."""
    sizes = []
    out_leaves = list(leaves)
    out_axes = list(axes)
    for k, (x, a, desc) in enumerate(zip(leaves, axes, descs)):
        if a is None:
            continue
        x = _as_mappable(x, desc, a)
        ndim = len(shape_of(x))
        if not -ndim <= a < ndim:
            raise ValueError(
                f"vmap: in_axes {a} is out of range for {desc} of shape {shape_of(x)} "
                f"(rank {ndim}); mapping along axis {a} needs rank at least "
                f"{a + 1 if a >= 0 else -a}"
            )
        a = int(a) % ndim
        out_leaves[k] = x
        out_axes[k] = a
        sizes.append((desc, shape_of(x)[a], a))
    if not sizes:
        if axis_size is None:
            raise ValueError(
                "vmap: no argument is mapped (every in_axes entry is None), so the size of "
                "the mapped axis is unknown; map at least one argument or pass axis_size"
            )
        return out_leaves, out_axes, axis_size
    size = sizes[0][1]
    if any(n != size for _, n, _ in sizes) or (axis_size is not None and axis_size != size):
        parts = [f"{desc} has size {n} along axis {a}" for desc, n, a in sizes]
        if axis_size is not None:
            parts.append(f"axis_size is {axis_size}")
        raise ValueError("vmap: got inconsistent sizes for the mapped axes: " + ", ".join(parts))
    return out_leaves, out_axes, size


def _finish_output(trace: BatchTrace, x: Any, axis: int | None, size: int, desc: str) -> Any:
    """Put the batch axis of one output leaf at ``axis`` (runs one level down)."""
    batched = type(x) is BatchTracer and x._trace is trace
    if batched and x.bdim is None:  # an unmapped value
        x, batched = x.val, False
    if axis is None:
        if batched:
            raise ValueError(
                f"vmap: out_axes is None for {desc}, but it depends on the mapped inputs (it "
                "differs per example); give it an integer out_axes"
            )
        return x
    if batched:
        val, bdim = x.val, x.bdim
        ndim = len(shape_of(val))
    else:
        val, bdim = None, None
        if not isinstance(x, Tracer) and not hasattr(x, "shape"):
            arr = np.asarray(x)
            if arr.dtype == object:
                raise TypeError(
                    f"vmap: expected the function to return arrays, got {type(x).__name__} "
                    f"for {desc}"
                )
            x = arr
        ndim = len(shape_of(x)) + 1
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"vmap: out_axes {axis} is out of range for {desc}, which has rank {ndim} with the "
            "mapped axis included"
        )
    axis = int(axis) % ndim
    if batched:
        return moveaxis(val, bdim, axis)
    return _broadcast_new_axis(x, axis, size)


def batch_fun(
    fun: Callable, args: list, dims: list, axis_size: int
) -> tuple[list, list, Any, BatchTrace]:
    """Run ``fun(*args)`` batched; return its flat outputs, their batch axes (None: unbatched),
    the output tree and the trace (for rules that batch an inner function, such as the call
    primitives' ``fwd``; the outputs are left where the computation put their batch axes)."""
    with new_trace(BatchTrace, "vmap") as trace:
        trace.axis_size = axis_size
        tracers = [trace.new_input(a, d) for a, d in zip(args, dims)]
        out = fun(*tracers)
    out_flat, out_tree = tree_flatten(out)
    vals, out_dims = [], []
    for o in out_flat:
        if type(o) is BatchTracer and o._trace is trace:
            vals.append(o.val)
            out_dims.append(o.bdim)
        else:
            vals.append(o)
            out_dims.append(None)
    return vals, out_dims, out_tree, trace


def _check_kwargs(unknown: dict) -> None:
    if unknown:
        known = ("in_axes", "out_axes", "axis_size")
        bad = sorted(unknown)[0]
        hint = difflib.get_close_matches(bad, known, n=1)
        fix = f"; did you mean '{hint[0]}'?" if hint else ""
        raise TypeError(
            f"vmap: unexpected keyword argument '{bad}'; expected one of {', '.join(known)}{fix}"
        )


def vmap(
    fun: Callable,
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_size: int | None = None,
    **unknown: Any,
) -> Callable:
    """Vectorize ``fun`` over a mapped axis of its inputs: one call computes every example.

    Parameters
    ----------
    fun : callable
        Written for one example; takes and returns pytrees of arrays. Plain NumPy code works.
    in_axes : int, None or pytree, optional
        Which axis of each input holds the examples. An int or None applies to every input;
        a tuple has one entry per positional argument, and each entry may itself be a pytree
        prefix of that argument (``(0, None, {"w": 1, "b": None})``). ``None`` leaves an input
        unmapped: every example sees the same value. Negative axes count from the end.
        Keyword arguments are always mapped along axis 0.
    out_axes : int, None or pytree, optional
        Where the examples' axis goes in each output (a pytree prefix of the output). ``None``
        is allowed only for outputs that do not depend on the mapped inputs. A negative axis
        counts from the end of the output (the mapped axis included).
    axis_size : int, optional
        The number of examples; needed only when no input is mapped.

    Returns
    -------
    callable
        ``(*args, **kwargs) -> out``, where each output leaf has the examples stacked along its
        ``out_axes`` axis: shape ``per_example_shape`` with ``axis_size`` inserted.

    Raises
    ------
    ValueError
        Mapped axes of different sizes, an axis out of range, an in_axes/out_axes that is not
        a prefix of the arguments/outputs, or no mapped input without ``axis_size``.
    ConcretizationError
        Python control flow (``if``, ``bool()``, ``int()``) on a mapped value.

    See Also
    --------
    grad, jacrev

    Notes
    -----
    Every primitive has a batch rule, so a batched function runs as one vectorized call per
    operation (a primitive without one, such as a user primitive without ``elementwise=True``
    or a batch rule, is evaluated per example in a loop, with a
    :class:`BatchingFallbackWarning`). Transforms compose: ``vmap(grad(f))`` gives
    per-example gradients, ``vmap(vmap(f))`` maps two axes.

    Examples
    --------
    >>> import numpy as np, fluxion, fluxion.numpy as fnp
    >>> fluxion.vmap(lambda x, y: fnp.dot(x, y), in_axes=(0, None))(np.eye(2), np.array([3.0, 4.0]))
    array([3., 4.])
    >>> per_example = fluxion.vmap(fluxion.grad(lambda x: fnp.sum(x ** 3)))
    >>> per_example(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[ 3., 12.],
           [27., 48.]])
    """
    _check_kwargs(unknown)
    if not callable(fun):
        raise TypeError(
            f"vmap: expected a callable as the first argument, got {type(fun).__name__}"
        )
    if isinstance(in_axes, list):  # a list cannot prefix the tuple of positional arguments
        in_axes = tuple(in_axes)
    if not (_is_axis_spec(in_axes) or isinstance(in_axes, tuple)):
        raise TypeError(
            f"vmap: in_axes must be an int, None, or a tuple with one entry per positional "
            f"argument, got {type(in_axes).__name__} {in_axes!r}"
        )
    _check_axis_specs("in_axes", in_axes)
    _check_axis_specs("out_axes", out_axes)
    if axis_size is not None and (
        not isinstance(axis_size, int | np.integer) or isinstance(axis_size, bool) or axis_size < 0
    ):
        raise TypeError(f"vmap: axis_size must be a non-negative int, got {axis_size!r}")

    @functools.wraps(fun)
    def vmapped(*args: Any, **kwargs: Any) -> Any:
        leaves, axes, descs, tree = _flatten_inputs(in_axes, args, kwargs)
        leaves, axes, size = _mapped_size(leaves, axes, descs, axis_size)

        def flat_fun(*flat: Any) -> Any:
            call_args, call_kwargs = tree_unflatten(tree, list(flat))
            return fun(*call_args, **call_kwargs)

        with new_trace(BatchTrace, "vmap") as trace:
            trace.axis_size = size
            tracers = [trace.new_input(x, a) for x, a in zip(leaves, axes)]
            out = flat_fun(*tracers)
        out_flat, out_tree = tree_flatten(out)
        out_specs = _broadcast_prefix("out_axes", out_axes, out, "the output")
        n = len(out_flat)
        results = [
            _finish_output(trace, o, a, size, _describe_out(k, n))
            for k, (o, a) in enumerate(zip(out_flat, out_specs))
        ]
        return tree_unflatten(out_tree, results)

    return vmapped


def _describe_out(k: int, n: int) -> str:
    return "the output" if n == 1 else f"output leaf {k}"
