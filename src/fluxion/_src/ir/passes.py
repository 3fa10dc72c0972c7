"""Graph passes: constant folding, algebraic simplification, common subexpressions, dead code.

Each pass takes a :class:`Graph` and returns a new one (the input is not modified).
:func:`optimize` runs them in order until nothing changes (at most a few rounds).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive
from ..prims import elementwise as ew
from ..prims import reduce as rd
from ..prims import shape as sh
from .graph import Eqn, Graph, Lit, Var

__all__ = ["optimize", "dead_code", "cse", "fold_constants", "simplify", "substituted"]

# Constants larger than this are not folded (folding would bake big arrays into the graph).
_FOLD_MAX_SIZE = 1 << 16


def substituted(atoms: list, env: dict) -> list:
    """``atoms`` with each variable replaced by ``env[id(var)]`` where it has an entry. One
    call per equation, not per operand: the passes run it over graphs of up to 10^5 equations
    (a traced quantile's root-finding loop), where a call per operand was the top line of the
    profile (1.7 million calls, 4.4 s of a 31 s trace)."""
    if not env:
        return list(atoms)
    get = env.get
    return [get(id(a), a) if type(a) is Var else a for a in atoms]


def _rebuild(graph: Graph, eqns: list[Eqn], env: dict) -> Graph:
    return Graph(graph.in_vars, eqns, substituted(graph.outs, env))


def dead_code(graph: Graph) -> Graph:
    """Drop equations none of whose outputs is used (primitives are pure)."""
    live = {id(o) for o in graph.outs if type(o) is Var}
    kept = []
    for eqn in reversed(graph.eqns):
        if not eqn.outs or any(id(v) in live for v in eqn.outs):  # no outputs: a check, keep
            kept.append(eqn)
            live.update(id(a) for a in eqn.inputs if type(a) is Var)
    kept.reverse()
    return Graph(graph.in_vars, kept, graph.outs)


def _lit_key(lit: Lit) -> Any:
    val = lit.val
    if type(val) in (int, float, bool, complex):
        return (type(val), val)
    if isinstance(val, np.generic):
        return (val.dtype.str, val.item())
    return ("array", id(val))


def _params_key(params: dict) -> Any:
    items = []
    for k, v in sorted(params.items()):
        if isinstance(v, np.ndarray):
            v = ("array", id(v))
        items.append((k, v))
    key = tuple(items)
    hash(key)  # raises TypeError for unhashable params: the equation is then not shared
    return key


def cse(graph: Graph) -> Graph:
    """Share equations that apply the same primitive to the same inputs and parameters."""
    env: dict[int, Any] = {}
    seen: dict[Any, Eqn] = {}
    eqns = []
    for eqn in graph.eqns:
        inputs = substituted(eqn.inputs, env)
        try:
            key = (
                eqn.prim,
                tuple(("v", id(a)) if type(a) is Var else _lit_key(a) for a in inputs),
                _params_key(eqn.params),
            )
        except TypeError:
            eqns.append(Eqn(eqn.prim, inputs, eqn.params, eqn.outs))
            continue
        prev = seen.get(key)
        if prev is not None:
            for old, new in zip(eqn.outs, prev.outs, strict=True):
                env[id(old)] = new
            continue
        new_eqn = Eqn(eqn.prim, inputs, eqn.params, eqn.outs)
        seen[key] = new_eqn
        eqns.append(new_eqn)
    return _rebuild(graph, eqns, env)


def fold_constants(graph: Graph) -> Graph:
    """Evaluate equations whose inputs are all literals: small results, or results no larger
    than a literal input (``log(data)`` of captured data is computed once, not per call; the
    graph then holds at most one more array of a size it already holds)."""
    env: dict[int, Any] = {}
    eqns = []
    for eqn in graph.eqns:
        inputs = substituted(eqn.inputs, env)
        if not eqn.outs and all(type(a) is Lit for a in inputs):
            continue  # a guard on a constant held while tracing, so it always holds
        if (
            all(type(a) is Lit for a in inputs)
            and not eqn.prim.multiple_results
            and eqn.outs[0].aval.size
            <= max(_FOLD_MAX_SIZE, max((np.size(a.val) for a in inputs), default=0))
            and eqn.prim.impl is not None
        ):
            try:
                with np.errstate(all="ignore"):
                    val = eqn.prim.impl(*(a.val for a in inputs), **eqn.params)
            except Exception:  # leave it to run time, where the error is reported in context
                val = None
            if val is not None:
                lit = Lit(val)
                v = eqn.outs[0].aval
                if (lit.aval.shape, lit.aval.dtype) == (v.shape, v.dtype):
                    env[id(eqn.outs[0])] = lit
                    continue
        eqns.append(Eqn(eqn.prim, inputs, eqn.params, eqn.outs))
    return _rebuild(graph, eqns, env)


def _is_lit(atom: Any, value: float) -> bool:
    if type(atom) is not Lit or not atom.is_scalar():
        return False
    try:
        return bool(atom.val == value)
    except Exception:
        return False


def _same_type(a: Any, out: Var) -> bool:
    return (a.aval.shape, a.aval.dtype) == (out.aval.shape, out.aval.dtype)


def simplify(graph: Graph) -> Graph:
    """Algebraic identities that keep types: x*1, x+0, x-0, x/1, x**1, -(-x), log(exp x), no-op
    reshapes/broadcasts/transposes/sums over no axes, a broadcast or reshape of a broadcast or
    reshape."""
    env: dict[int, Any] = {}
    producer: dict[int, Eqn] = {}
    eqns = []
    for eqn in graph.eqns:
        inputs = substituted(eqn.inputs, env)
        prim: Primitive = eqn.prim
        out = eqn.outs[0] if eqn.outs else None
        replacement = None
        if prim is ew.multiply_p:
            if _is_lit(inputs[1], 1) and _same_type(inputs[0], out):
                replacement = inputs[0]
            elif _is_lit(inputs[0], 1) and _same_type(inputs[1], out):
                replacement = inputs[1]
        elif prim is ew.add_p:
            if _is_lit(inputs[1], 0) and _same_type(inputs[0], out):
                replacement = inputs[0]
            elif _is_lit(inputs[0], 0) and _same_type(inputs[1], out):
                replacement = inputs[1]
        elif prim in (ew.subtract_p, ew.true_divide_p, ew.power_p):
            unit = 0 if prim is ew.subtract_p else 1
            if _is_lit(inputs[1], unit) and _same_type(inputs[0], out):
                replacement = inputs[0]
        elif prim is ew.negative_p or prim is ew.log_p:
            inner = producer.get(id(inputs[0])) if type(inputs[0]) is Var else None
            undo = ew.negative_p if prim is ew.negative_p else ew.exp_p
            if inner is not None and inner.prim is undo and _same_type(inner.inputs[0], out):
                replacement = inner.inputs[0]
        elif prim in (sh.reshape_p, sh.broadcast_to_p):
            if _same_type(inputs[0], out):
                replacement = inputs[0]
            else:
                inner = producer.get(id(inputs[0])) if type(inputs[0]) is Var else None
                if inner is not None and inner.prim is prim:
                    inputs = [inner.inputs[0]]  # reshape(reshape(x)) = reshape(x), same for
                    # broadcast_to: broadcasting composes
        elif prim is sh.transpose_p and eqn.params["axes"] == tuple(range(len(eqn.params["axes"]))):
            replacement = inputs[0]
        elif prim is rd.sum_p and eqn.params.get("axes") == () and _same_type(inputs[0], out):
            replacement = inputs[0]  # a sum over no axes (vmap's transposes make them)
        elif prim is rd.sum_p and type(inputs[0]) is Var and not out.aval.shape:
            # sum(broadcast_to(c, S)) = c * size(S): no pass over memory for a constant
            inner = producer.get(id(inputs[0]))
            if (
                inner is not None
                and inner.prim is sh.broadcast_to_p
                and inner.inputs[0].aval.shape == ()
                and inner.inputs[0].aval.dtype == out.aval.dtype
            ):
                n = inputs[0].aval.size
                scale = Lit(float(n) if out.aval.dtype.kind in "fc" else int(n))
                new = Eqn(ew.multiply_p, [inner.inputs[0], scale], {}, eqn.outs)
                producer[id(out)] = new
                eqns.append(new)
                continue
        if replacement is not None:
            env[id(out)] = replacement
            continue
        new = Eqn(prim, inputs, eqn.params, eqn.outs)
        for v in eqn.outs:
            producer[id(v)] = new
        eqns.append(new)
    return _rebuild(graph, eqns, env)


def optimize(graph: Graph, rounds: int = 3) -> Graph:
    """Fold constants, simplify, share common subexpressions and drop dead code."""
    for _ in range(rounds):
        before = len(graph.eqns)
        graph = dead_code(cse(simplify(fold_constants(graph))))
        if len(graph.eqns) == before:
            break
    return graph
