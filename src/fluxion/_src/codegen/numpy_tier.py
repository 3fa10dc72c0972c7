"""Tier 0: a Graph becomes readable Python source over NumPy, compiled with ``exec``.

The generated function calls NumPy directly, one line per equation, with no per-operation
dispatch (no ``bind``, no trace lookup): arithmetic uses Python operators (the fast path for
NumPy scalars), other ufuncs are called as objects, indexing with a static index is written as
subscription, and every other primitive calls its ``impl`` with its parameters bound.

The **device form** (``compile_numpy(graph, placement=...)``, the ``"cupy"`` backend of
``codegen/lowering.py``) is the same source run on a device's namespace (CuPy, or a registered
one): the module's ``np`` is the device namespace, so creation calls (``np.empty`` of a scan's
stacked outputs, the persistent buffers) allocate on the device; elementwise primitives call
the device namespace's ufunc (``cupy.sin``), or the primitive's impl where it has none (SciPy's
special functions: the impl asks ``cupyx.scipy.special``); captured constants (the graph's
array literals) are copied to the device once, when the form is compiled, so no call mixes a
host constant with device arrays or pays a transfer. A primitive whose impl cannot run on the
device raises the seam's ``DeviceError`` naming it. The form never moves device data to the
host: results stay where the inputs live.
"""

from __future__ import annotations

import functools
import itertools
import linecache
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir.graph import Graph, Lit, Var
from . import lowering

__all__ = ["generate_numpy", "compile_numpy", "compile_body", "NumpyCode", "device_ufunc"]

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
    if not parts:  # x[()]: the empty index (x[] is a syntax error)
        return "()"
    return ", ".join(parts) + ("," if len(parts) == 1 else "")


# Temporaries at least this large get a persistent buffer (see _plan_buffers).
BUFFER_MIN_SIZE = 1 << 14

# Primitives whose result may share memory with their first operand.
_VIEW_PRIMS = {
    "reshape",
    "transpose",
    "broadcast_to",
    "getitem",
    "stop_gradient",
    "convert_element_type",
    "real",
    "imag",
}


def _plan_buffers(graph: Graph, elementwise: Any) -> dict[int, int]:
    """Give large elementwise temporaries persistent buffers, reused once dead (liveness).

    Fresh 1-8 MB temporaries page-fault on every call (glibc hands them back to the OS); writing
    into buffers kept across calls avoids that. Returns {id(var): slot}. Graph outputs, and
    anything a view of a buffer could escape through, never get a slot.
    """
    root: dict[int, int] = {}
    for eqn in graph.eqns:
        if eqn.prim.name in _VIEW_PRIMS and eqn.inputs and type(eqn.inputs[0]) is Var:
            r = root.get(id(eqn.inputs[0]), id(eqn.inputs[0]))
            for v in eqn.outs:
                root[id(v)] = r
    last_use: dict[int, int] = {}
    for i, eqn in enumerate(graph.eqns):
        for a in eqn.inputs:
            if type(a) is Var:
                last_use[root.get(id(a), id(a))] = i
    escaping = {root.get(id(o), id(o)) for o in graph.outs if type(o) is Var}
    slots: dict[int, int] = {}
    free: dict[tuple, list[int]] = {}
    slot_key: list[tuple] = []
    expiring: dict[int, list[int]] = {}
    for i, eqn in enumerate(graph.eqns):
        for s in expiring.pop(i, []):  # operands whose last use is this equation
            free.setdefault(slot_key[s], []).append(s)
        if not (elementwise(eqn) and len(eqn.outs) == 1):
            continue
        v = eqn.outs[0]
        if v.aval.size < BUFFER_MIN_SIZE or id(v) in escaping or id(v) not in last_use:
            continue
        key = (v.aval.shape, v.aval.dtype)
        pool = free.get(key)
        if pool:
            s = pool.pop()
        else:
            s = len(slot_key)
            slot_key.append(key)
        slots[id(v)] = s
        expiring.setdefault(last_use[id(v)] + 1, []).append(s)
    return slots, slot_key


def device_ufunc(ufunc: Any, xp: Any) -> Any:
    """The device namespace's counterpart of a NumPy ufunc (``cupy.sin`` for ``numpy.sin``),
    or None: a SciPy ufunc, or one the namespace lacks (the device form calls the impl)."""
    name = ufunc.__name__
    if getattr(np, name, None) is not ufunc:
        return None
    found = getattr(xp, name, None)
    return found if callable(found) else None


def _device_impl(prim: Any, params: dict) -> Callable:
    """``prim``'s impl for the device form: a failure goes through the seam's explanation
    (``core.impl_failed``: host constants retried on the device, else a DeviceError naming the
    primitive), as an eager call would."""
    from ..core import impl_failed

    impl = prim.impl

    def call(*args: Any) -> Any:
        try:
            return impl(*args, **params)
        except Exception as err:
            return impl_failed(prim, args, params, err)

    call.__name__ = f"{prim.name}_on_device"
    return call


def generate_numpy(
    graph: Graph, name: str = "f", buffers: bool = False, placement: Any = None
) -> tuple[str, dict]:
    """Python source for ``graph`` and the namespace it needs (constants, ufuncs, impls).

    With ``buffers``, large elementwise results are written into persistent buffers (``out=``),
    reused by liveness; the caller must not run the function re-entrantly (compile_numpy guards
    it with a lock and falls back to the plain version).

    With ``placement`` (a ``backend.Placement``), the device form: ``np`` is the device
    namespace, array constants are copied to the device here (once), ufuncs are the device's,
    and lowerings come from the ``"cupy"`` table (see the module docstring).
    """
    from ..prims.elementwise import UFUNC_OF

    xp = np if placement is None else placement.xp
    table = "numpy" if placement is None else "cupy"
    namespace: dict[str, Any] = {"np": xp}
    names: dict[int, str] = {}
    const_ids: dict[int, str] = {}

    def const(val: Any, hint: str = "c") -> str:
        key = id(val)
        if key not in const_ids:
            const_ids[key] = f"{hint}{len(const_ids)}"
            if placement is not None and type(val) is np.ndarray:
                # a captured array: copied to the device once, with the compiled form
                val = placement.to_device(val)
            namespace[const_ids[key]] = val
        return const_ids[key]

    def ufunc_of(prim: Any) -> Any:
        ufunc = UFUNC_OF.get(prim)
        if ufunc is None or placement is None:
            return ufunc
        return device_ufunc(ufunc, xp)

    def atom(a: Any) -> str:
        if type(a) is Lit:
            src = _py_scalar_source(a.val)
            return src if src is not None else const(a.val)
        return names[id(a)]

    def is_elementwise(eqn: Any) -> bool:
        ufunc = ufunc_of(eqn.prim)
        return ufunc is not None and not eqn.params and UFUNC_OF[eqn.prim].nout == 1

    slots: dict[int, int] = {}
    if buffers:
        slots, slot_key = _plan_buffers(graph, is_elementwise)
        for s, (shape, dtype) in enumerate(slot_key):
            namespace[f"B{s}"] = xp.empty(shape, dtype)  # on the device in the device form

    args = []
    for i, v in enumerate(graph.in_vars):
        names[id(v)] = f"a{i}"
        args.append(f"a{i}")
    lines = [f"def {name}({', '.join(args)}):"]
    if placement is not None:
        lines.insert(0, f"# device form for {placement!r}: np is the device namespace")
    tmp = itertools.count()
    for eqn in graph.eqns:
        prim = eqn.prim
        outs = []
        for v in eqn.outs:
            names[id(v)] = f"v{next(tmp)}"
            outs.append(names[id(v)])
        ins = [atom(a) for a in eqn.inputs]
        if prim.name == "scan":
            lines.extend(_scan_lines(eqn, ins, outs, const, placement))
            continue
        slot = slots.get(id(eqn.outs[0])) if eqn.outs else None
        if slot is not None:
            ufunc = const(ufunc_of(prim), "u_" + prim.name + "_")
            expr = f"{ufunc}({', '.join(ins)}, out=B{slot})"
        elif prim.name in _OPERATORS and not eqn.params and prim in UFUNC_OF:
            expr = _OPERATORS[prim.name].format(*ins)
        elif not eqn.params and ufunc_of(prim) is not None:
            expr = f"{const(ufunc_of(prim), 'u_' + prim.name + '_')}({', '.join(ins)})"
        elif lowering.lowering(table, prim.name) is not None:
            expr = lowering.lowering(table, prim.name)(eqn, ins)
        elif placement is not None and eqn.outs:
            # (a check with no result, a value guard, raises its own signal: not wrapped)
            fn = _device_impl(prim, eqn.params)
            expr = f"{const(fn, 'p_' + prim.name + '_')}({', '.join(ins)})"
        else:
            fn = functools.partial(prim.impl, **eqn.params) if eqn.params else prim.impl
            expr = f"{const(fn, 'p_' + prim.name + '_')}({', '.join(ins)})"
        if not outs:  # a check with no result (a value guard)
            lines.append(f"    {expr}")
            continue
        lhs = ", ".join(outs) + ("," if prim.multiple_results and len(outs) == 1 else "")
        lines.append(f"    {lhs} = {expr}")
    rets = [atom(o) for o in graph.outs]
    if placement is not None:
        # a constant result (a folded gradient) as a NumPy scalar or array: on the device,
        # as eager device code returns it (copied once, with the other constants)
        for i, o in enumerate(graph.outs):
            if type(o) is Lit and isinstance(o.val, np.generic | np.ndarray):
                rets[i] = const(np.asarray(o.val), "out")
    lines.append(f"    return ({', '.join(rets)}{',' if len(rets) == 1 else ''})")
    return "\n".join(lines) + "\n", namespace


def _scan_lines(
    eqn: Any, ins: list[str], outs: list[str], const: Callable, placement: Any = None
) -> list[str]:
    """Tier-0 lines of a scan equation: a Python ``for`` loop calling the body's own tier-0
    function (compiled once per body graph and device), the stacked outputs preallocated (with
    the module's ``np``: on the device in the device form)."""
    p = eqn.params
    body, n_consts, n_carry = p["body"], p["n_consts"], p["n_carry"]
    length, reverse = p["length"], p["reverse"]
    step = const(compile_body(body, placement), "scan_body_")
    consts, carry = ins[:n_consts], ins[n_consts : n_consts + n_carry]
    xs = ins[n_consts + n_carry :]
    k_out, y_out = outs[:n_carry], outs[n_carry:]
    lines = []
    for y, aval in zip(y_out, body.out_avals[n_carry:]):
        dtype = const(aval.dtype, "dtype_")
        lines.append(f"    {y} = np.empty({(length, *aval.shape)!r}, {dtype})")
    for k, c in zip(k_out, carry):
        lines.append(f"    {k} = {c}")
    order = f"range({length - 1}, -1, -1)" if reverse else f"range({length})"
    args = ", ".join(consts + k_out + [f"{x}[_i]" for x in xs])
    lines.append(f"    for _i in {order}:")
    lines.append(f"        _out = {step}({args})")
    for j, k in enumerate(k_out):
        lines.append(f"        {k} = _out[{j}]")
    for j, y in enumerate(y_out):
        lines.append(f"        {y}[_i] = _out[{n_carry + j}]")
    for k, aval in zip(k_out, body.out_avals[:n_carry]):  # a carry never stepped (length 0)
        if length == 0:
            lines.append(f"    {k} = np.asarray({k}, {const(aval.dtype, 'dtype_')})[()]")
    return lines


# Tier 0's lowering table: elementwise primitives call their ufunc object (or a Python
# operator) above; these primitives have source of their own; every other one calls its impl.
@lowering.register("numpy", "getitem")
@lowering.register("cupy", "getitem")
def _numpy_getitem(eqn: Any, ins: list[str]) -> str:
    """Subscription with the static index written out (index arrays are graph operands: in the
    device form, constants already on the device)."""
    return f"{ins[0]}[{_index_source(eqn.params['spec'], ins[1:])}]"


def _largest(graph: Graph) -> int:
    return max([v.aval.size for e in graph.eqns for v in e.outs] + [0])


def compile_numpy(graph: Graph, name: str = "f", placement: Any = None) -> NumpyCode:
    """Generate and ``exec`` tier-0 code for ``graph``; tracebacks show the generated lines.

    Graphs with large temporaries get the buffered variant, guarded by a lock: a re-entrant or
    concurrent call runs the plain (allocating) variant instead. With ``placement`` (a
    ``backend.Placement``), the device form for that device (see the module docstring); the
    caller keeps it per (graph, device), since it holds the device copies of the constants.
    """
    safe = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "f"
    source, namespace = generate_numpy(graph, safe, placement=placement)
    where = "" if placement is None else f":{placement.name}"
    filename = f"<fluxion.jit:{safe}{where}:{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    plain = namespace[safe]
    if _largest(graph) < BUFFER_MIN_SIZE:
        return NumpyCode(source, plain, namespace, filename)
    bsource, bnamespace = generate_numpy(graph, safe, buffers=True, placement=placement)
    if "out=B" not in bsource:
        return NumpyCode(source, plain, namespace, filename)
    bfilename = f"<fluxion.jit:{safe}{where}:buffered:{next(_counter)}>"
    linecache.cache[bfilename] = (len(bsource), None, bsource.splitlines(True), bfilename)
    exec(compile(bsource, bfilename, "exec"), bnamespace)
    buffered = bnamespace[safe]
    lock = threading.Lock()

    def run(*args: Any) -> tuple:
        if not lock.acquire(blocking=False):
            return plain(*args)
        try:
            return buffered(*args)
        finally:
            lock.release()

    return NumpyCode(bsource, run, bnamespace, bfilename)


def compile_body(graph: Graph, placement: Any = None) -> Callable:
    """The tier-0 function of a loop's sub-graph (a scan or while body), compiled once per
    device and kept with the graph object (a loop runs it once per step)."""
    key = (id(graph), None if placement is None else placement.key)
    cache = _BODIES.get(key)
    if cache is None or cache[0] is not graph:
        cache = _BODIES[key] = (graph, compile_numpy(graph, "body", placement).fn)
    return cache[1]


_BODIES: dict[tuple, tuple] = {}
