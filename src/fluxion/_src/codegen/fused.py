"""Tier 1 for large arrays: elementwise-then-reduce clusters fused into explicit numba loops.

A graph qualifies when every array in it either has one common "loop shape" S or is small
(scalars and small parameter vectors), and every operation touching S is elementwise (operators,
ufuncs, where, casts, broadcasting a scalar) or a full reduction of an S-shaped value (sum,
prod, max, min). The kernel then makes as few passes over memory as the data dependencies
allow: a reduction whose value feeds further S-shaped work starts a new pass ("stage");
S-shaped intermediates are recomputed inside each pass from the inputs instead of being
stored, so a log-likelihood and its whole gradient read the data once. Small operations
(parameter unpacking, scalar arithmetic, scatter into the gradient vector) run between passes.

Example (the worksheet's model, value and gradient): one loop over x and y accumulating four
sums — the same pass a hand-written kernel makes.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..ir.graph import Graph, Lit, Var
from . import lowering
from .numba_tier import (
    ElementBuilders,
    _index_source,
    _scalar_source,
)

__all__ = ["loop_shape", "generate_fused"]

_REDUCTIONS = {
    "sum": ("0.0", "{acc} += {v}"),
    "prod": ("1.0", "{acc} *= {v}"),
    "max": ("-np.inf", "{acc} = max({acc}, {v})"),
    "min": ("np.inf", "{acc} = min({acc}, {v})"),
}
# Arrays with more elements than this are loop candidates. Low on purpose: fused loops compile
# faster than numba's array expressions (the worksheet's value-and-gradient at N = 50: 0.7 s
# fused vs 1.2 s as array code, in a fresh process) and run faster at any size (no
# temporaries); graphs with several large shapes still take the array-code path.
_SMALL = 16


def _elementwise_expr(eqn: Any, ins: list[str]) -> str | None:
    name = eqn.prim.name
    if eqn.params and name not in ("convert_element_type",):
        return None
    formula = lowering.scalar_formula(eqn.prim) if not eqn.params else None
    registered = lowering.lowering("numba", name)
    if formula is not None and registered is not None and registered(eqn) is None:
        return None  # the numba table declines these operands (its docstring says why)
    if formula is not None and lowering.reason("numba", name) is None:
        # the primitive's scalar formula, evaluated per element
        if lowering.array_safe(eqn.prim) or all(
            np.dtype(v.aval.dtype) == np.float64 for v in eqn.outs
        ):
            return formula.format(*ins)
        return None
    if name == "where":
        return f"({ins[1]} if {ins[0]} else {ins[2]})"
    if name == "convert_element_type":
        dtype = np.dtype(eqn.params["dtype"])
        return f"np.{dtype.name}({ins[0]})" if dtype.kind in "biuf" else None
    if name in ("stop_gradient", "copy"):
        return ins[0]
    return None


def loop_shape(graph: Graph) -> tuple[int, ...] | None:
    """The common large shape S if the graph can be fused, else None."""
    big = {v.aval.shape for v in graph.in_vars if v.aval.size > _SMALL}
    for eqn in graph.eqns:
        for a in list(eqn.inputs) + list(eqn.outs):
            if a.aval.size > _SMALL:
                big.add(a.aval.shape)
    if len(big) != 1:
        return None
    shape = big.pop()
    for eqn in graph.eqns:
        touches = any(a.aval.shape == shape for a in list(eqn.inputs) + list(eqn.outs))
        if not touches:
            continue
        if any(a.aval.dtype.kind == "c" for a in eqn.inputs):
            return None
        out = eqn.outs[0].aval if eqn.outs else None
        name = eqn.prim.name
        if out is not None and out.shape == shape:
            if name == "broadcast_to" and eqn.inputs[0].aval.shape == ():
                continue
            if (
                all(a.aval.shape in (shape, ()) for a in eqn.inputs)
                and _elementwise_expr(eqn, ["x"] * len(eqn.inputs)) is not None
            ):
                continue
            return None
        if name in _REDUCTIONS and out is not None and out.shape == ():
            continue
        return None
    return shape


def generate_fused(graph: Graph, name: str, shape: tuple[int, ...]) -> tuple[str, list]:
    """Numba source with fused loops for ``graph`` over ``shape``; returns (source, consts)."""
    consts: list = []
    const_names: dict[int, str] = {}
    scalar_names: dict[int, str] = {}  # small values (computed outside loops)
    producer: dict[int, Any] = {}
    for eqn in graph.eqns:
        for v in eqn.outs:
            producer[id(v)] = eqn

    def is_vec(a: Any) -> bool:
        return a.aval.shape == shape

    def const(val: Any, flat: bool = False) -> str:
        # one argument per distinct constant array (read once per element, however often used)
        key = (id(val), flat)
        if key not in const_names:
            const_names[key] = f"k{len(consts)}"
            consts.append(np.ascontiguousarray(val).reshape(-1) if flat else val)
        return const_names[key]

    def small_atom(a: Any) -> str:
        if type(a) is Lit:
            src = _scalar_source(a.val)
            return src if src is not None else const(a.val)
        return scalar_names[id(a)]

    # stage of every value: reductions feeding vector work need a new pass
    stage: dict[int, int] = {}
    for v in graph.in_vars:
        stage[id(v)] = 0

    def stage_of(a: Any) -> int:
        return 0 if type(a) is Lit else stage.get(id(a), 0)

    for eqn in graph.eqns:
        s = max([stage_of(a) for a in eqn.inputs], default=0)
        if eqn.prim.name in _REDUCTIONS and eqn.inputs and is_vec(eqn.inputs[0]):
            s += 1
        for v in eqn.outs:
            stage[id(v)] = s
    n_passes = max(
        [
            stage_of(eqn.inputs[0]) + 1
            for eqn in graph.eqns
            if eqn.prim.name in _REDUCTIONS and eqn.inputs and is_vec(eqn.inputs[0])
        ]
        + [stage_of(o) + 1 for o in graph.outs if type(o) is Var and is_vec(o)]
        + [0]
    )

    params = [f"a{i}" for i in range(len(graph.in_vars))]
    for i, v in enumerate(graph.in_vars):
        scalar_names[id(v)] = f"a{i}"
    lines: list[str] = []
    tmp = itertools.count()
    done_small: set[int] = set()
    flat_inputs = {id(v) for v in graph.in_vars if is_vec(v)}
    size = math.prod(shape)

    def need(a: Any, seen: set, needed: list) -> None:
        # the vector equations a pass must evaluate for ``a``, in dependency order
        if type(a) is not Var or not is_vec(a) or id(a) in seen or id(a) in flat_inputs:
            return
        seen.add(id(a))
        eqn = producer[id(a)]
        for b in eqn.inputs:
            need(b, seen, needed)
        needed.append(eqn)

    uniform: dict[int, str] = {}  # S-shaped values equal at every element (hoisted scalars)

    def eatom(a: Any, elem: dict) -> str:
        # how the loop body reads ``a`` at element i
        if id(a) in uniform:
            return uniform[id(a)]
        if type(a) is Lit:
            if is_vec(a):
                return f"{const(a.val, flat=True)}[i]"
            return small_atom(a)
        if is_vec(a):
            if id(a) in flat_inputs:
                return f"{scalar_names[id(a)]}_flat[i]"
            return elem[id(a)]
        return scalar_names[id(a)]

    builders = ElementBuilders()

    def emit_small(upto: int) -> None:
        # every small (non-vector, non-reduction-of-vector) equation of stage <= upto
        for eqn in graph.eqns:
            if id(eqn) in done_small or any(is_vec(o) for o in eqn.outs):
                continue
            if eqn.prim.name in _REDUCTIONS and eqn.inputs and is_vec(eqn.inputs[0]):
                continue
            if max([stage_of(o) for o in eqn.outs], default=0) > upto:
                continue
            if any(type(a) is Var and is_vec(a) for a in eqn.inputs):
                continue
            done_small.add(id(eqn))
            outs = []
            for v in eqn.outs:
                scalar_names[id(v)] = f"s{next(tmp)}"
                outs.append(scalar_names[id(v)])
            ins = [small_atom(a) for a in eqn.inputs]
            absorbed = builders.absorb(eqn, outs, ins)
            if absorbed is not None:
                lines.extend(absorbed)
                continue
            lines.extend(builders.materialize(ins))
            lines.extend(_small_lines(eqn, ins, outs))

    for p in range(n_passes):
        emit_small(p)
        lines.extend(builders.materialize(list(builders.pending)))  # before any loop reads them
        # what this pass must produce: reductions of stage-p vectors and vector outputs
        reductions = [
            e
            for e in graph.eqns
            if e.prim.name in _REDUCTIONS
            and e.inputs
            and is_vec(e.inputs[0])
            and stage_of(e.inputs[0]) == p
        ]
        vec_outs = [o for o in graph.outs if type(o) is Var and is_vec(o) and stage_of(o) == p]
        needed: list = []
        seen: set[int] = set()
        for a in [e.inputs[0] for e in reductions] + vec_outs:
            need(a, seen, needed)
        if not reductions and not vec_outs:
            continue
        for e in reductions:
            acc = f"s{next(tmp)}"
            scalar_names[id(e.outs[0])] = acc
            init = _REDUCTIONS[e.prim.name][0]
            lines.append(f"    {acc} = {init}")
        out_arrays = {}
        for o in vec_outs:
            buf = f"o{next(tmp)}"
            out_arrays[id(o)] = buf
            lines.append(f"    {buf} = np.empty({size}, dtype=np.{o.aval.dtype.name})")
        elem: dict[int, str] = {}
        body: list[str] = []
        hoisted: dict[str, str] = {}
        for eqn in needed:
            out = eqn.outs[0]
            if id(out) in uniform:
                continue
            ins = [eatom(a, elem) for a in eqn.inputs]
            pname = eqn.prim.name
            if all(not is_vec(a) or id(a) in uniform for a in eqn.inputs):
                # loop-invariant: compute once, before the loop
                name_ = f"u{next(tmp)}"
                uniform[id(out)] = name_
                expr = ins[0] if pname == "broadcast_to" else _elementwise_expr(eqn, ins)
                lines.append(f"    {name_} = {expr}")
                continue
            name_ = f"e{next(tmp)}"
            elem[id(out)] = name_
            if pname == "broadcast_to":
                expr = small_atom(eqn.inputs[0])
            elif pname == "power" and _is_two(eqn.inputs[1]):
                expr = f"({ins[0]} * {ins[0]})"  # x**2 without a call to pow
            elif (
                pname == "true_divide" and not is_vec(eqn.inputs[1]) and out.aval.dtype.kind == "f"
            ):
                # division by a loop-invariant value: multiply by its reciprocal, hoisted
                r = hoisted.get(ins[1])
                if r is None:
                    r = hoisted[ins[1]] = f"r{next(tmp)}"
                    lines.append(f"    {r} = 1.0 / {ins[1]}")
                expr = f"({ins[0]} * {r})"
            else:
                expr = _elementwise_expr(eqn, ins)
            body.append(f"        {name_} = {expr}")
        # large passes whose reductions are sums/products run on every core (numba prange)
        loop = "numba.prange" if parallel_ok(size, reductions) else "range"
        lines.append(f"    for i in {loop}({size}):")
        lines.extend(body)
        for e in reductions:
            acc = scalar_names[id(e.outs[0])]
            lines.append(
                "        " + _REDUCTIONS[e.prim.name][1].format(acc=acc, v=eatom(e.inputs[0], elem))
            )
        for o in vec_outs:
            lines.append(f"        {out_arrays[id(o)]}[i] = {eatom(o, elem)}")
        for o in vec_outs:
            scalar_names[id(o)] = f"{out_arrays[id(o)]}.reshape({shape!r})"
        for e in reductions:  # typed like the graph (numba reduces in the accumulator's type)
            dt = e.outs[0].aval.dtype.name
            scalar_names[id(e.outs[0])] = f"np.{dt}({scalar_names[id(e.outs[0])]})"
    emit_small(n_passes + 1)
    rets = []
    for o in graph.outs:
        if type(o) is Lit:
            rets.append(small_atom(o))
        elif is_vec(o) and id(o) in flat_inputs:
            rets.append(scalar_names[id(o)])
        else:
            rets.append(scalar_names[id(o)])
    flat_lines = [
        f"    {scalar_names[id(v)]}_flat = np.ascontiguousarray({scalar_names[id(v)]}).reshape(-1)"
        for v in graph.in_vars
        if is_vec(v)
    ]
    lines.extend(builders.materialize(rets))
    const_params = [f"k{i}" for i in range(len(consts))]
    header = f"def {name}({', '.join(params + const_params)}):"
    ret = f"    return ({', '.join(rets)}{',' if len(rets) == 1 else ''})"
    return "\n".join([header, *flat_lines, *lines, ret]) + "\n", consts


PARALLEL_MIN_SIZE = 100_000


def parallel_ok(size: int, reductions: list) -> bool:
    """Whether a pass may be split across threads (numba reduces += and *= in parallel).

    Opt-in (``fluxion.config.jit_parallel``): on a busy machine, or with chains already running
    in parallel processes, a parallel loop waits for descheduled threads — measured here, a
    10^5-element pass went from 0.1 ms to 34 ms while another process used one of 2 cores.
    """
    from ..config import config

    return (
        config.jit_parallel
        and size >= PARALLEL_MIN_SIZE
        and all(e.prim.name in ("sum", "prod") for e in reductions)
    )


def _is_two(a: Any) -> bool:
    return type(a) is Lit and type(a.val) in (int, float) and a.val == 2


def _small_lines(eqn: Any, ins: list[str], outs: list[str]) -> list[str]:
    """Numba lines for an operation on small values (outside the loops)."""
    from .numba_tier import (
        _einsum_lines,
        _lowering,
        _points_lines,
        _scatter_lines,
        index_spec,
    )

    low = _lowering(eqn)
    if low is None:
        raise NotImplementedError(f"no numba lowering for {eqn.prim.name}")
    if low == "GUARD":
        conv = "bool" if eqn.params["kind"] == "bool" else "int"
        return [
            f"    if {conv}({ins[0]}) != {eqn.params['expected']!r}:",
            "        raise GuardFailure()",
        ]
    if low == "IDX":
        return [f"    {outs[0]} = {ins[0]}[{_index_source(index_spec(eqn), ins[1:])}]"]
    if low == "POINTS":
        return _points_lines(outs[0], eqn, ins)
    if low == "SCATTER":
        return _scatter_lines(outs[0], eqn, ins)
    if low == "EINSUM":
        return _einsum_lines(outs[0], eqn, ins)
    return [f"    {', '.join(outs)} = {low.format(*ins)}"]
