"""The graph IR: staging (trace to a Graph), passes, and an interpreter."""

from .graph import Eqn, Graph, GraphTypeError, Lit, Var, typecheck
from .interpret import eval_graph
from .staging import StagingTrace, StagingTracer, make_graph, register_inline, trace_to_graph

__all__ = [
    "Eqn",
    "Graph",
    "GraphTypeError",
    "Lit",
    "Var",
    "typecheck",
    "eval_graph",
    "StagingTrace",
    "StagingTracer",
    "make_graph",
    "register_inline",
    "trace_to_graph",
]
