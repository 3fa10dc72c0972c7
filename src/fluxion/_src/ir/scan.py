"""The loop primitive ``scan``, declared beside the IR because its parameter is a graph.

``scan_p(*consts, *init, *xs; body, n_consts, n_carry, length, reverse) -> (*carry, *ys)``:
``body`` is a :class:`Graph` ``(*consts, *carry, *x_t) -> (*carry', *y_t)``; the ``xs`` and
the ``ys`` are stacked on their leading axis (``length``). Its shape rule is here so that graph
passes (the loop re-roller, ``reroll.py``) can build scan equations; its ``impl`` and its jvp,
vjp and batch rules are attached by ``lax`` (they run the body's generated code and trace
transformed bodies, which need the layers above this one).
"""

from __future__ import annotations

from typing import Any

from ..core import Primitive, ShapedArray
from .graph import Graph

__all__ = ["scan_p"]


def _scan_abstract_eval(
    *avals: Any, body: Graph, n_consts: int, n_carry: int, length: int, reverse: bool
) -> list:
    out_avals = body.out_avals
    ys = [ShapedArray((length, *a.shape), a.dtype) for a in out_avals[n_carry:]]
    return [*out_avals[:n_carry], *ys]


scan_p = Primitive("scan", multiple_results=True)
scan_p.abstract_eval = _scan_abstract_eval
