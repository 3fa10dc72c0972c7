"""The graph IR: typed variables, literals, equations and graphs in A-normal form.

A :class:`Graph` is a list of equations ``outs = prim(inputs, **params)`` over :class:`Var`
(typed by an aval) and :class:`Lit` (a constant: a Python scalar or an array captured from the
traced function). Every value is named once; ``Graph.pretty()`` prints it readably::

    { lambda a:f64[3] .
      let b:f64[] = getitem[spec=(('i', 0),)] a
          c:f64[50] = multiply b 0x7f..:f64[50]
      in (c) }
"""

from __future__ import annotations

import contextlib
import gc
from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, aval_of

__all__ = ["Var", "Lit", "Eqn", "Graph", "typecheck", "GraphTypeError", "gc_paused"]


class GraphTypeError(TypeError):
    """A graph whose equations do not agree with their primitives' shape rules."""


class Var:
    """A graph variable: an abstract value, named when the graph is printed."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({self.aval})"


class Lit:
    """A literal: a Python scalar, NumPy scalar or array that the traced function captured."""

    __slots__ = ("val", "aval")

    def __init__(self, val: Any) -> None:
        self.val = val
        self.aval = aval_of(val)

    def is_scalar(self) -> bool:
        return type(self.val) in (int, float, bool, complex) or (
            isinstance(self.val, np.generic | np.ndarray) and np.ndim(self.val) == 0
        )

    def __repr__(self) -> str:
        return f"Lit({_short_value(self.val)})"


def _short_value(val: Any) -> str:
    if type(val) in (int, float, bool, complex):
        return repr(val)
    arr = np.asarray(val)
    if arr.ndim == 0:
        return repr(arr.item())
    if arr.size <= 4:
        return np.array2string(arr, separator=",").replace("\n", "")
    return f"const{{{aval_of(val)}}}"


class Eqn:
    """One equation: ``outs = prim.bind(*inputs, **params)``."""

    __slots__ = ("prim", "inputs", "params", "outs")

    def __init__(self, prim: Primitive, inputs: list, params: dict, outs: list) -> None:
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.outs = outs

    def __repr__(self) -> str:
        return f"Eqn({self.prim.name}, {len(self.inputs)} in, {len(self.outs)} out)"


class Graph:
    """A typed computation: ``in_vars -> eqns -> outs`` (outs are Vars or Lits)."""

    __slots__ = ("in_vars", "eqns", "outs")

    def __init__(self, in_vars: list[Var], eqns: list[Eqn], outs: list) -> None:
        self.in_vars = in_vars
        self.eqns = eqns
        self.outs = outs

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.in_vars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [o.aval for o in self.outs]

    def pretty(self) -> str:
        """A readable listing of the graph, one equation per line."""
        names: dict[int, str] = {}

        def name(atom: Any) -> str:
            if type(atom) is Lit:
                return _short_value(atom.val)
            key = id(atom)
            if key not in names:
                names[key] = _var_name(len(names))
            return names[key]

        def typed(v: Var) -> str:
            return f"{name(v)}:{v.aval}"

        lines = ["{ lambda " + ", ".join(typed(v) for v in self.in_vars) + " ."]
        for i, eqn in enumerate(self.eqns):
            lhs = ", ".join(typed(v) for v in eqn.outs) or "_"
            params = _format_params(eqn.params)
            rhs = " ".join(name(a) for a in eqn.inputs)
            prefix = "  let " if i == 0 else "      "
            lines.append(f"{prefix}{lhs} = {eqn.prim.name}{params} {rhs}".rstrip())
        lines.append("  in (" + ", ".join(name(o) for o in self.outs) + ") }")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.pretty()

    def __repr__(self) -> str:
        return (
            f"Graph({len(self.in_vars)} inputs, {len(self.eqns)} equations, "
            f"{len(self.outs)} outputs)"
        )


def _var_name(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = letters[r] + s
    return s


def _format_params(params: dict) -> str:
    shown = []
    for k, v in params.items():
        if callable(v):
            v = getattr(v, "__name__", type(v).__name__)
        elif isinstance(v, Graph):
            v = repr(v)
        elif isinstance(v, np.dtype):
            v = v.name
        shown.append(f"{k}={v}")
    return "[" + ", ".join(shown) + "]" if shown else ""


def typecheck(graph: Graph) -> None:
    """Check that every equation's outputs agree with its primitive's shape rule.

    Raises
    ------
    GraphTypeError
        Naming the equation, what the shape rule gives and what the graph says.
    """
    defined = {id(v) for v in graph.in_vars}
    for eqn in graph.eqns:
        for a in eqn.inputs:
            if type(a) is Var and id(a) not in defined:
                raise GraphTypeError(f"typecheck: {eqn.prim.name} uses a variable never defined")
        rule = eqn.prim.abstract_eval
        if rule is not None:
            out = rule(*(a.aval for a in eqn.inputs), **eqn.params)
            outs = out if isinstance(out, tuple | list) else (out,)
            for got, v in zip(outs, eqn.outs, strict=True):
                if (got.shape, got.dtype) != (v.aval.shape, v.aval.dtype):
                    raise GraphTypeError(
                        f"typecheck: {eqn.prim.name} gives {got} by its shape rule, the graph "
                        f"says {v.aval}"
                    )
        defined.update(id(v) for v in eqn.outs)
    for o in graph.outs:
        if type(o) is Var and id(o) not in defined:
            raise GraphTypeError("typecheck: an output variable is never defined")


@contextlib.contextmanager
def gc_paused() -> Any:
    """Python's cyclic garbage collector paused while a big graph is built or rewritten.

    Used by jit's trace and passes, the tape encoder and tier 1's code generation (a context
    manager, or a decorator). They allocate hundreds of thousands of small objects that stay
    alive (equations, variables, avals), and each allocation burst set off collections that
    scanned all of them: measured on ``jit(stats.skewnorm.ppf)`` (a 16-step root-finding loop,
    about 95,000 equations), 10.2 s with the collector and 4.9 s without; its gradient 9.4 s
    and 3.4 s. Reentrant (a nested use leaves it to the outer one); the collector runs again,
    and frees any cycles left, when the outermost use ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
