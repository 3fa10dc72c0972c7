"""Tier 0: a Graph becomes readable Python source over NumPy, compiled with ``exec``.

The generated function calls NumPy directly, one line per equation, with no per-operation
dispatch (no ``bind``, no trace lookup): arithmetic uses Python operators (the fast path for
NumPy scalars), other ufuncs are called as objects, indexing with a static index is written as
subscription, and every other primitive calls its ``impl`` with its parameters bound.
"""

from __future__ import annotations

import functools
import itertools
import linecache
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir.graph import Graph, Lit

__all__ = ["generate_numpy", "compile_numpy", "NumpyCode"]

_counter = itertools.count()

# Python operators for the arithmetic primitives.
_OPERATORS = {
    "add": "({0} + {1})",
    "subtract": "({0} - {1})",
    "multiply": "({0} * {1})",
    "true_divide": "({0} / {1})",
    "power": "({0} ** {1})",
    "negative": "(-{0})",
}


class NumpyCode:
    """Tier-0 code: the source, the compiled function and its namespace of constants."""

    __slots__ = ("source", "fn", "namespace", "filename")

    def __init__(self, source: str, fn: Callable, namespace: dict, filename: str) -> None:
        self.source = source
        self.fn = fn
        self.namespace = namespace
        self.filename = filename


def _py_scalar_source(val: Any) -> str | None:
    t = type(val)
    if t is bool or t is int:
        return repr(val)
    if t is float:
        if math.isfinite(val):
            return repr(val)
        return f"float('{val}')"
    if t is complex:
        return (
            f"complex({val.real!r}, {val.imag!r})"
            if all(math.isfinite(p) for p in (val.real, val.imag))
            else None
        )
    return None


def _index_source(spec: tuple, operand_names: list[str]) -> str:
    parts = []
    for entry in spec:
        kind = entry[0]
        if kind == "i":
            parts.append(repr(entry[1]))
        elif kind == "s":
            start, stop, step = (("" if v is None else repr(v)) for v in entry[1:])
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        elif kind == "n":
            parts.append("None")
        elif kind == "e":
            parts.append("...")
        else:
            parts.append(operand_names[entry[1]])
    return ", ".join(parts) + ("," if len(parts) == 1 else "")


def generate_numpy(graph: Graph, name: str = "f") -> tuple[str, dict]:
    """Python source for ``graph`` and the namespace it needs (constants, ufuncs, impls)."""
    from ..prims.elementwise import UFUNC_OF
    from ..prims.indexing import getitem_p

    namespace: dict[str, Any] = {"np": np}
    names: dict[int, str] = {}
    const_ids: dict[int, str] = {}

    def const(val: Any, hint: str = "c") -> str:
        key = id(val)
        if key not in const_ids:
            const_ids[key] = f"{hint}{len(const_ids)}"
            namespace[const_ids[key]] = val
        return const_ids[key]

    def atom(a: Any) -> str:
        if type(a) is Lit:
            src = _py_scalar_source(a.val)
            return src if src is not None else const(a.val)
        return names[id(a)]

    args = []
    for i, v in enumerate(graph.in_vars):
        names[id(v)] = f"a{i}"
        args.append(f"a{i}")
    lines = [f"def {name}({', '.join(args)}):"]
    tmp = itertools.count()
    for eqn in graph.eqns:
        prim = eqn.prim
        outs = []
        for v in eqn.outs:
            names[id(v)] = f"v{next(tmp)}"
            outs.append(names[id(v)])
        ins = [atom(a) for a in eqn.inputs]
        if prim.name in _OPERATORS and not eqn.params and prim in UFUNC_OF:
            expr = _OPERATORS[prim.name].format(*ins)
        elif prim in UFUNC_OF and not eqn.params:
            expr = f"{const(UFUNC_OF[prim], 'u_' + prim.name + '_')}({', '.join(ins)})"
        elif prim is getitem_p:
            expr = f"{ins[0]}[{_index_source(eqn.params['spec'], ins[1:])}]"
        else:
            fn = functools.partial(prim.impl, **eqn.params) if eqn.params else prim.impl
            expr = f"{const(fn, 'p_' + prim.name + '_')}({', '.join(ins)})"
        if not outs:  # a check with no result (a value guard)
            lines.append(f"    {expr}")
            continue
        lhs = ", ".join(outs) + ("," if prim.multiple_results and len(outs) == 1 else "")
        lines.append(f"    {lhs} = {expr}")
    rets = [atom(o) for o in graph.outs]
    lines.append(f"    return ({', '.join(rets)}{',' if len(rets) == 1 else ''})")
    return "\n".join(lines) + "\n", namespace


def compile_numpy(graph: Graph, name: str = "f") -> NumpyCode:
    """Generate and ``exec`` tier-0 code for ``graph``; tracebacks show the generated lines."""
    safe = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "f"
    source, namespace = generate_numpy(graph, safe)
    filename = f"<fluxion.jit:{safe}:{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return NumpyCode(source, namespace[safe], namespace, filename)
