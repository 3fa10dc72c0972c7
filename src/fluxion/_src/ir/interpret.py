"""Evaluate a :class:`Graph` by binding its primitives (so the evaluation is transformable)."""

from __future__ import annotations

from typing import Any

from .graph import Graph, Lit


def eval_graph(graph: Graph, args: Any) -> list:
    """Run ``graph`` on ``args`` (one value per input variable); return the list of outputs.

    Every equation goes through ``prim.bind``, so evaluating a graph under ``jvp``, ``grad`` or
    ``vmap`` differentiates or batches it, and under a staging trace re-stages it (inlining).
    """
    env: dict[int, Any] = {}
    for v, x in zip(graph.in_vars, args, strict=True):
        env[id(v)] = x

    def read(atom: Any) -> Any:
        return atom.val if type(atom) is Lit else env[id(atom)]

    for eqn in graph.eqns:
        out = eqn.prim.bind(*(read(a) for a in eqn.inputs), **eqn.params)
        if eqn.prim.multiple_results:
            for v, o in zip(eqn.outs, out, strict=True):
                env[id(v)] = o
        else:
            env[id(eqn.outs[0])] = out
    return [read(o) for o in graph.outs]
