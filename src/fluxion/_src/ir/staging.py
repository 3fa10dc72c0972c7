"""Staging: trace a Python function with abstract inputs into a :class:`Graph`.

Under a :class:`StagingTrace` every primitive applied to a staged value is recorded as an
equation (constants captured from the function become literals). Call primitives that wrap a
Python function (checkpoint, custom_jvp, custom_vjp, and nested jit calls) are inlined: the
compiled graph is flat. Python control flow on a staged value cannot be decided at trace time:
``bool()`` raises a :class:`~fluxion.ConcretizationError` naming the line and the fix, unless the
caller asked for value guards (see :mod:`fluxion._src.jit`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import (
    ConcretizationError,
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    UnexpectedTracerError,
    _state,
    aval_of,
    new_trace,
)
from ..tree_util import tree_flatten, tree_unflatten
from .graph import Eqn, Graph, Lit, Var

__all__ = [
    "StagingTrace",
    "StagingTracer",
    "trace_to_graph",
    "make_graph",
    "register_inline",
    "user_frame",
]

# Primitives whose impl just calls a Python function of its operands: staging runs that function
# on the staged values instead of recording an opaque equation.
_INLINE: dict = {}


def register_inline(prim: Primitive, inline: Callable | None = None) -> None:
    """Mark a call primitive to be inlined when staged.

    ``inline(*args, **params)`` (default: ``prim.impl``) is called on the staged values and must
    compute the primitive with fluxion operations, which are then staged in its place.
    """
    _INLINE[prim] = inline if inline is not None else prim.impl


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def user_frame() -> str:
    """``file:line (function)`` of the innermost stack frame outside the fluxion package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR) and not filename.startswith("<"):
            return f"{filename}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back
    return "<unknown>"


class StagingTracer(Tracer):
    """A staged value: an abstract value and the graph variable (or literal) that holds it."""

    __slots__ = ("var",)

    def __init__(self, trace: StagingTrace, var: Any) -> None:
        self._trace = trace
        self.var = var

    @property
    def aval(self) -> ShapedArray:
        return self.var.aval

    @property
    def shape(self) -> tuple[int, ...]:
        return self.var.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.var.aval.dtype

    def primal_value(self) -> Any:
        raise ConcretizationError(
            f"the value of a traced {self.aval} is not known while {self._trace.transform} "
            f"traces the function (at {user_frame()}); use fluxion.lax.cond / fnp.where for a "
            "branch on it, or mark the argument static with static_argnums"
        )

    def __bool__(self) -> bool:
        return self._trace.concretize_bool(self)

    def __int__(self) -> int:
        return self._trace.concretize_int(self)

    __index__ = __int__

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        target = np.dtype(dtype) if dtype is not None else self.aval.dtype
        if target.kind in "iub" and self.aval.dtype.kind in "iub":
            # NumPy needs the concrete integer/boolean array (a captured NumPy array indexed
            # by this value: data[i], data[mask]); under jit it is the traced call's value,
            # guarded (a new value traces a new specialization)
            return np.asarray(self._trace.concretize_array(self), dtype=target)
        return super().__array__(dtype, copy)

    def __repr__(self) -> str:
        return f"StagingTracer<{self.aval}>"

    def __str__(self) -> str:
        return repr(self)

    def __format__(self, spec: str) -> str:
        return repr(self)

    def _become(self, other: Any) -> None:
        if type(other) is StagingTracer and other._trace is self._trace:
            self.var = other.var
        else:
            self.var = Lit(other)


class StagingTrace(Trace):
    """Records every primitive applied to staged values into a list of equations."""

    __slots__ = ("eqns", "in_vars", "guard_hook", "captured", "captured_vars")

    def __init__(self, parent: Trace | None, transform: str) -> None:
        super().__init__(parent, transform)
        self.eqns: list[Eqn] = []
        self.in_vars: list[Var] = []
        # called with (tracer, kind) when Python needs a concrete value; returns it or raises
        self.guard_hook: Callable | None = None
        # closure conversion (sub-graphs of control flow): outer tracers become extra inputs;
        # None means capturing is an error (a jitted function must take them as arguments)
        self.captured: list | None = None
        self.captured_vars: dict[int, Var] = {}

    def lift(self, value: Any) -> StagingTracer:
        return StagingTracer(self, Lit(value))

    def new_arg(self, aval: ShapedArray) -> StagingTracer:
        var = Var(aval)
        self.in_vars.append(var)
        return StagingTracer(self, var)

    def to_atom(self, x: Any) -> Any:
        if type(x) is StagingTracer and x._trace is self:
            return x.var
        if isinstance(x, Tracer):
            if self.captured is None or not x._trace.alive:
                raise _foreign_tracer(self, x)
            var = self.captured_vars.get(id(x))
            if var is None:
                var = self.captured_vars[id(x)] = Var(x.aval)
                self.captured.append((x, var))
            return var
        if isinstance(x, list | tuple):
            x = np.asarray(x)
        return Lit(x)

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        inline = _INLINE.get(prim)
        if inline is not None:
            return inline(*args, **params)
        inputs = [self.to_atom(x) for x in args]
        avals = [a.aval for a in inputs]
        out_avals = abstract_eval(prim, avals, params)
        if prim.multiple_results:
            outs = [Var(a) for a in out_avals]
            self.eqns.append(Eqn(prim, inputs, params, outs))
            return tuple(StagingTracer(self, v) for v in outs)
        out = Var(out_avals)
        self.eqns.append(Eqn(prim, inputs, params, [out]))
        return StagingTracer(self, out)

    def concretize_bool(self, tracer: StagingTracer) -> bool:
        if self.guard_hook is not None:
            return bool(self.guard_hook(tracer, "bool"))
        raise ConcretizationError(
            f"bool() of a traced {tracer.aval} inside {self.transform} (at {user_frame()}): "
            "the branch depends on a value that is only known when the compiled function runs. "
            "Use fluxion.lax.cond / fluxion.lax.while_loop or fnp.where, or mark the argument "
            "static with static_argnums / static_argnames"
        )

    def concretize_array(self, tracer: StagingTracer) -> Any:
        if self.guard_hook is not None:
            return self.guard_hook(tracer, "array")
        raise ConcretizationError(
            f"a traced {tracer.aval} was converted to a NumPy array inside {self.transform} "
            f"(at {user_frame()}), typically to index a NumPy array the function captured "
            "(data[i] or data[mask]); its value is not known while tracing. Use "
            "fnp.take(data, i) or fnp.asarray(data)[i] (import fluxion.numpy as fnp), "
            "fnp.where(mask, data, 0) for a boolean mask, or pass data as an argument"
        )

    def concretize_int(self, tracer: StagingTracer) -> int:
        if self.guard_hook is not None:
            return int(self.guard_hook(tracer, "int"))
        raise ConcretizationError(
            f"int() of a traced {tracer.aval} inside {self.transform} (at {user_frame()}); "
            "a Python integer (a shape, a loop count, an index) must be static: mark the argument "
            "static with static_argnums / static_argnames"
        )


def _foreign_tracer(trace: StagingTrace, x: Tracer) -> Exception:
    if not x._trace.alive:
        return UnexpectedTracerError(
            f"{trace.transform}: a {type(x).__name__} {x.aval} created inside "
            f"{x._trace.transform} was used after {x._trace.transform} returned (a leaked "
            "tracer); return it from the transformed function instead"
        )
    return UnexpectedTracerError(
        f"{trace.transform}: the function closes over a {type(x).__name__} {x.aval} of an outer "
        f"{x._trace.transform} (at {user_frame()}); pass that value to the jitted function as an "
        "argument instead of capturing it"
    )


def abstract_eval(prim: Primitive, avals: list, params: dict) -> Any:
    """Output aval(s) of ``prim`` on ``avals``: its shape rule, else evaluation on zeros."""
    rule = prim.abstract_eval
    if rule is not None:
        out = rule(*avals, **params)
        return list(out) if prim.multiple_results else out
    # A user primitive has no shape rule: run it on zeros of the right avals (values unused).
    zeros = [np.zeros(a.shape, a.dtype) for a in avals]
    with np.errstate(all="ignore"):
        out = prim.impl(*zeros, **params)
    if prim.multiple_results:
        return [aval_of(np.asarray(o)) for o in out]
    return aval_of(np.asarray(out))


def trace_to_graph(
    fun: Callable,
    in_avals: list[ShapedArray],
    in_tree: Any,
    transform: str = "jit",
    guard_hook: Callable | None = None,
) -> tuple[Graph, Any]:
    """Trace ``fun`` on abstract inputs; return its graph and the output tree structure."""
    with new_trace(StagingTrace, transform) as trace:
        trace.guard_hook = guard_hook
        args = [trace.new_arg(a) for a in in_avals]
        out = fun(*tree_unflatten(in_tree, args))
        out_flat, out_tree = tree_flatten(out)
        outs = [trace.to_atom(o) for o in out_flat]
    return Graph(trace.in_vars, trace.eqns, outs), out_tree


def trace_subgraph(fun: Callable, in_avals: list[ShapedArray], transform: str) -> tuple:
    """Trace ``fun`` (flat args -> flat list of outputs) for a control-flow body.

    Values the function closes over that are traced by outer transforms are *captured*: they
    become the graph's first inputs. Returns ``(graph, captured_tracers)``; the graph's inputs are
    ``captured + args``.
    """
    with new_trace(StagingTrace, transform) as trace:
        trace.captured = []
        args = [trace.new_arg(a) for a in in_avals]
        out = fun(*args)
        outs = [trace.to_atom(o) for o in out]
    captured = [t for t, _ in trace.captured]
    in_vars = [v for _, v in trace.captured] + trace.in_vars
    return Graph(in_vars, trace.eqns, outs), captured


def make_graph(fun: Callable, static_argnums: int | tuple[int, ...] = ()) -> Callable:
    """Return a function that traces ``fun`` on its arguments and returns the :class:`Graph`.

    Parameters
    ----------
    fun : callable
        The function to trace.
    static_argnums : int or tuple of int, optional
        Positional arguments passed as Python values (not traced).

    Returns
    -------
    callable
        ``(*args) -> Graph``; print it for a readable listing (``print(make_graph(f)(x))``).
        The graph's ``out_tree`` attribute is not kept; use :func:`fluxion.jit` to run it.

    Examples
    --------
    >>> import fluxion, fluxion.numpy as fnp
    >>> print(fluxion.make_graph(lambda x: fnp.sin(x) * 2.0)(1.0))
    { lambda a:f64[] .
      let b:f64[] = sin a
          c:f64[] = multiply b 2.0
      in (c) }
    """
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    def traced(*args: Any) -> Graph:
        dyn = [a for i, a in enumerate(args) if i not in static]
        flat, tree = tree_flatten(tuple(dyn))
        avals = [aval_of(x) for x in flat]

        def call(*d: Any) -> Any:
            it = iter(d)
            full = [args[i] if i in static else next(it) for i in range(len(args))]
            return fun(*full)

        graph, _ = trace_to_graph(call, avals, tree, transform="make_graph")
        return graph

    return traced


_ = _state
