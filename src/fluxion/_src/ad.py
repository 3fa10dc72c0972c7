"""Forward mode (JVPTrace) and reverse mode (VJPTrace with an eager tape and one backward pass).

Reverse mode records, per primitive applied to one of its tracers, a :class:`Node`
``(prim, params, args, ans, parents)`` on the trace's tape: no closure per operation, no partial
evaluation. The backward pass walks the tape once in reverse creation order (creation order is a
topological order), calls each primitive's ``vjp`` rule, and sums every cotangent down to its
argument's shape centrally, so no rule un-broadcasts by hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import namespace_of
from .core import (
    MissingRule,
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    Zero,
    _state,
    aval_of,
    bind_at,
    nondiff_jvp,
    nondiff_vjp,
)
from .prims.elementwise import add as _add
from .prims.elementwise import convert_element_type as _convert
from .prims.elementwise import real as _real
from .prims.indexing import build_index as _build_index
from .prims.indexing import getitem_p as _getitem_p
from .prims.shape import sum_to_shape

__all__ = [
    "JVPTrace",
    "JVPTracer",
    "VJPTrace",
    "VJPTracer",
    "Node",
    "MissingRule",
    "backward_pass",
    "nondiff_jvp",
    "nondiff_vjp",
    "sum_to_shape",
]


def _is_inexact(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return type(x) in (float, complex)
    return dtype.kind in "fc"


def _missing_rule(kind: str, prim: Primitive) -> NotImplementedError:
    return NotImplementedError(
        f"{kind} rule for primitive '{prim.name}' is not defined; for a user primitive define "
        f"it with fluxion.extend.def{kind}, for a built-in add it in _src/prims/<family>.py"
    )


# --------------------------------------------------------------------------------------------
# Forward mode
# --------------------------------------------------------------------------------------------


def check_become(tracer: Tracer, other: Any) -> None:
    """Refuse ``x[i] = v`` where ``x`` (``tracer``) belongs to an outer transform and the new
    value ``other`` to a transform nested inside it: the outer tracer cannot hold it."""
    if not isinstance(other, Tracer) or other._trace is tracer._trace:
        return
    outer = tracer._trace
    t = other._trace.parent
    while t is not None:
        if t is outer:
            raise TypeError(
                f"item assignment x[i] = v: x is a value of an outer {outer.transform} but the "
                f"new value depends on the inner {other._trace.transform}, so x cannot hold it; "
                f"compute x inside the function given to {other._trace.transform} from its "
                "arguments (with vmap: pass x in with in_axes=None), or build the result with "
                "fluxion.numpy functions (fnp.where, fnp.concatenate)"
            )
        t = t.parent


class PrimalTracer(Tracer):
    """A tracer that carries its concrete (or outer-level) value: the JVP and VJP tracers."""

    __slots__ = ("primal",)

    @property
    def aval(self) -> ShapedArray:
        return aval_of(self.primal)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.primal.shape

    @property
    def dtype(self) -> np.dtype:
        return self.primal.dtype

    def primal_value(self) -> Any:
        return self.primal


class JVPTracer(PrimalTracer):
    """A value and its tangent inside :func:`fluxion.jvp` (the tangent may be ``Zero``)."""

    __slots__ = ("tangent",)

    def __init__(self, trace: JVPTrace, primal: Any, tangent: Any) -> None:
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    def _become(self, other: Any) -> None:
        if type(other) is JVPTracer and other._trace is self._trace:
            self.primal, self.tangent = other.primal, other.tangent
        else:
            check_become(self, other)
            self.primal, self.tangent = other, Zero(other)


class JVPTrace(Trace):
    """Forward-mode differentiation: propagates tangents alongside values."""

    __slots__ = ()

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        primals = []
        tangents = []
        found = False
        for x in args:
            if type(x) is JVPTracer and x._trace is self:
                primals.append(x.primal)
                tangents.append(x.tangent)
                found = True
            else:
                primals.append(x)
                tangents.append(Zero(x))
        parent = self.parent
        if not found:
            return bind_at(parent, prim, args, params)
        rule = prim.jvp
        if rule is nondiff_jvp:
            return bind_at(parent, prim, primals, params)
        if rule is None:
            raise _missing_rule("jvp", prim)
        previous = _state.trace
        _state.trace = parent
        try:
            out, out_tangent = rule(primals, tangents, **params)
        finally:
            _state.trace = previous
        if prim.multiple_results:
            return tuple(self._wrap(o, t) for o, t in zip(out, out_tangent, strict=True))
        return self._wrap(out, out_tangent)

    def _wrap(self, out: Any, tangent: Any) -> Any:
        if type(tangent) is Zero or not _is_inexact(out):
            return out
        return JVPTracer(self, out, tangent)

    def lift(self, value: Any) -> JVPTracer:
        return JVPTracer(self, value, Zero(value))

    def new_input(self, primal: Any, tangent: Any) -> JVPTracer:
        return JVPTracer(self, primal, tangent)


# --------------------------------------------------------------------------------------------
# Reverse mode
# --------------------------------------------------------------------------------------------


class Node:
    """One tape entry: ``ans = prim(*args, **params)``; ``parents[i]`` is args[i]'s node or None."""

    __slots__ = ("prim", "params", "args", "ans", "parents")

    def __init__(self, prim: Any, params: dict, args: Any, ans: Any, parents: Any) -> None:
        self.prim = prim
        self.params = params
        self.args = args
        self.ans = ans
        self.parents = parents

    def __repr__(self) -> str:
        name = "input" if self.prim is None else getattr(self.prim, "name", self.prim)
        return f"Node({name}, {aval_of(self.ans)})"


# Selects output ``index`` of a multiple-results node; handled by the backward pass itself.
_SELECT = "select"


class VJPTracer(PrimalTracer):
    """A value inside :func:`fluxion.vjp`/:func:`fluxion.grad`, with its tape node."""

    __slots__ = ("node",)

    def __init__(self, trace: VJPTrace, primal: Any, node: Node | None) -> None:
        self._trace = trace
        self.primal = primal
        self.node = node

    def _become(self, other: Any) -> None:
        if type(other) is VJPTracer and other._trace is self._trace:
            self.primal, self.node = other.primal, other.node
        else:
            check_become(self, other)
            self.primal, self.node = other, None


class VJPTrace(Trace):
    """Reverse-mode differentiation: evaluates eagerly and records a tape of nodes."""

    __slots__ = ("tape",)

    def __init__(self, parent: Trace | None, transform: str) -> None:
        super().__init__(parent, transform)
        self.tape: list[Node] = []

    def lift(self, value: Any) -> VJPTracer:
        return VJPTracer(self, value, None)

    def new_input(self, primal: Any) -> VJPTracer:
        return VJPTracer(self, primal, Node(None, None, (), primal, ()))

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        # Unpack our tracers; the one- and two-argument cases (most ops) avoid list building.
        n = len(args)
        if n == 1:
            x = args[0]
            if type(x) is not VJPTracer or x._trace is not self:
                return bind_at(self.parent, prim, args, params)
            primals = (x.primal,)
            parents = (x.node,)
        elif n == 2:
            x, y = args
            own_x = type(x) is VJPTracer and x._trace is self
            own_y = type(y) is VJPTracer and y._trace is self
            if not (own_x or own_y):
                return bind_at(self.parent, prim, args, params)
            primals = (x.primal if own_x else x, y.primal if own_y else y)
            parents = (x.node if own_x else None, y.node if own_y else None)
        else:
            found = False
            primals_l = []
            parents_l = []
            for x in args:
                if type(x) is VJPTracer and x._trace is self:
                    primals_l.append(x.primal)
                    parents_l.append(x.node)
                    found = True
                else:
                    primals_l.append(x)
                    parents_l.append(None)
            if not found:
                return bind_at(self.parent, prim, args, params)
            primals, parents = tuple(primals_l), tuple(parents_l)
        parent = self.parent
        rule = prim._vjp
        if rule is nondiff_vjp:
            return bind_at(parent, prim, primals, params)
        if rule is None:
            raise _missing_rule("vjp", prim)
        if prim.fwd is not None:
            previous = _state.trace
            _state.trace = parent
            try:
                ans, residuals = prim.fwd(*primals, **params)
            finally:
                _state.trace = previous
            params = dict(params, residuals=residuals)
        elif parent is None:
            try:
                ans = prim.impl(*primals, **params)
            except Exception:
                ans = bind_at(None, prim, primals, params)  # re-raise with the clear message
        else:
            ans = parent.process_primitive(prim, primals, params)
        if prim.multiple_results:
            node = Node(prim, params, primals, ans, parents)
            self.tape.append(node)
            outs = []
            n_out = len(ans)
            for i, a in enumerate(ans):
                if _is_inexact(a):
                    select = Node(_SELECT, {"index": i, "n": n_out}, (), a, (node,))
                    self.tape.append(select)
                    outs.append(VJPTracer(self, a, select))
                else:
                    outs.append(a)
            return tuple(outs)
        dtype = getattr(ans, "dtype", None)
        if dtype is None:
            if type(ans) not in (float, complex):
                return ans
        elif dtype.kind not in "fc":
            return ans
        node = Node(prim, params, primals, ans, parents)
        self.tape.append(node)
        return VJPTracer(self, ans, node)


def _fit_cotangent(ct: Any, like: Any) -> Any:
    """Make ``ct`` the shape and dtype of the primal ``like`` (un-broadcast, cast)."""
    shape = like.shape
    dtype = like.dtype
    ct_shape = getattr(ct, "shape", None)
    if ct_shape is None:  # a Python scalar from a rule: on the device of the primal
        return namespace_of(like).full(shape, ct, dtype)
    if ct_shape != shape:
        ct = sum_to_shape(ct, shape)
    ct_dtype = ct.dtype
    if ct_dtype != dtype:
        if ct_dtype.kind == "c" and dtype.kind != "c":
            ct = _real(ct)
        ct = _convert(ct, dtype)
    return ct


def _add_cotangents(a: Any, b: Any) -> Any:
    return _add(a, b)


def backward_pass(tape: list[Node], seeds: dict) -> dict:
    """Run the vjp rules over ``tape`` in reverse, starting from ``seeds`` {node: cotangent}.

    Returns the dict of cotangents left for nodes that are not on the tape (the inputs).

    Outside any transform (first-order gradients, the common case) cotangent buffers that this
    pass allocated itself are "owned": further contributions are added into them in place, and
    the cotangent of an indexing operation is scattered straight into its argument's buffer
    (``theta[0]``, ``theta[1]``, ... then cost no temporary arrays).
    """
    cts = dict(seeds)
    pop = cts.pop
    eager = _state.trace is None
    owned: dict = {}  # node -> the ndarray this pass allocated for its cotangent

    def accumulate(parent: Node, ct: Any) -> None:
        if ct is None or type(ct) is Zero:
            return
        if type(ct) is MissingRule:
            raise ct.error()
        like = parent.ans
        if getattr(ct, "shape", None) != like.shape or getattr(ct, "dtype", None) != like.dtype:
            ct = _fit_cotangent(ct, like)
        prev = cts.get(parent)
        if prev is None:
            cts[parent] = ct
        elif eager and owned.get(parent) is prev and type(ct) is np.ndarray:
            np.add(prev, ct, out=prev)
        else:
            total = _add_cotangents(prev, ct)
            cts[parent] = total
            if eager and type(total) is np.ndarray:
                owned[parent] = total

    for node in reversed(tape):
        g = pop(node, None)
        if g is None:
            continue
        if owned:
            owned.pop(node, None)
        prim = node.prim
        if prim is _SELECT:
            parent = node.parents[0]
            slots = cts.get(parent)
            if slots is None:
                slots = cts[parent] = [None] * node.params["n"]
            i = node.params["index"]
            slots[i] = g if slots[i] is None else _add_cotangents(slots[i], g)
            continue
        if eager and prim is _getitem_p and _scatter_in_place(node, g, cts, owned):
            continue
        if prim.multiple_results:
            g = tuple(Zero(a) if c is None else c for c, a in zip(g, node.ans, strict=True))
        parts = prim.vjp_parts
        if parts is not None:  # per-argument rules: only the cotangents that are needed
            args = node.args
            for i, parent in enumerate(node.parents):
                if parent is not None and parts[i] is not None:
                    accumulate(parent, parts[i](g, node.ans, *args, **node.params))
            continue
        cts_in = prim.vjp(g, node.ans, *node.args, **node.params)
        for parent, ct in zip(node.parents, cts_in):
            if parent is not None:
                accumulate(parent, ct)
    return cts


def _scatter_in_place(node: Node, g: Any, cts: dict, owned: dict) -> bool:
    """Eager fast path for ``x[index]``: add ``g`` into x's owned cotangent buffer."""
    parent = node.parents[0]
    like = parent.ans if parent is not None else None
    if like is None or type(like) is not np.ndarray or getattr(g, "dtype", None) != like.dtype:
        return False
    buf = owned.get(parent)
    if buf is None:
        buf = np.zeros(like.shape, like.dtype)
        prev = cts.get(parent)
        if prev is not None:
            buf += prev
        cts[parent] = owned[parent] = buf
    arrays = node.args[1:]
    index = _build_index(node.params["spec"], arrays)
    if arrays:
        np.add.at(buf, index, g)  # repeated indices accumulate
    else:
        buf[index] += g
    return True
