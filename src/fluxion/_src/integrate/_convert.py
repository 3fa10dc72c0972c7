"""Closure conversion of a user function for the integrators (odeint, solve_ivp, quad).

The user's function is traced once into a graph; the traced values of outer transforms it closes
over (``grad`` of a function whose right-hand side captures the parameter) become explicit
operands of the integrator's primitive, so the transforms see them and its derivative rules
differentiate with respect to them like ``args``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import ConcretizationError, ShapedArray, Tracer, aval_of
from ..ir.interpret import eval_graph
from ..ir.staging import trace_subgraph
from ..numpy import core as fnp
from ..tree_util import tree_flatten, tree_unflatten


def as_leaf(x: Any) -> Any:
    """A parameter leaf: tracers unchanged, floats as float64 arrays, integers kept."""
    if isinstance(x, Tracer):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        return arr
    if arr.dtype.kind == "f":
        return arr.astype(np.float64, copy=False)
    raise TypeError(f"expected real numbers or arrays in args, got dtype {arr.dtype}")


def stack_output(out: Any) -> Any:
    """A function's output as one array (a list of components, as SciPy allows, is stacked)."""
    if isinstance(out, list | tuple):
        return fnp.stack([fnp.asarray(o, dtype=np.float64) for o in out])
    return fnp.asarray(out)


def convert(
    name: str, call: Callable, fixed_avals: list[ShapedArray], args: Any
) -> tuple[Callable, list, ShapedArray | None]:
    """Closure-convert ``call(*fixed, args) -> array``.

    Returns ``(fn, theta, out_aval)``: ``fn(*fixed, *theta)`` computes the same with fluxion
    operations, ``theta`` lists the captured outer tracers and the leaves of ``args``.
    ``out_aval`` is None when the function could not be traced ahead (a Python branch on a
    traced value): it then runs under ``fluxion.jit``'s value guards and captures nothing.
    """
    leaves, tree = tree_flatten(args)
    leaves = [as_leaf(x) for x in leaves]
    k = len(fixed_avals)
    avals = list(fixed_avals) + [aval_of(x) for x in leaves]

    def flat(*a: Any) -> list:
        return [stack_output(call(*a[:k], tree_unflatten(tree, list(a[k:]))))]

    try:
        graph, captured = trace_subgraph(flat, avals, f"{name} function")
    except ConcretizationError:
        def direct(*a: Any) -> Any:
            return flat(*a)[0]

        return direct, leaves, None
    c = len(captured)

    def fn(*a: Any) -> Any:
        theta = list(a[k:])
        return eval_graph(graph, theta[:c] + list(a[:k]) + theta[c:])[0]

    return fn, list(captured) + leaves, graph.out_avals[0]
