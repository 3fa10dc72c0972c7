"""A model's value-and-gradient graph as a tape for the compiled tape machine (``_tape_vm.py``).

The compiled NUTS core calls the model through a C function pointer. Made per model by numba
(``native.py``), that function costs numba's compile of the model's kernel: 0.5 s for the
seed's line fit, 7-11 s for the larger posteriordb models, before the first draw. The tape
machine is one compiled function for every model; ``encode`` turns the graph into its tape:

* every value lives in one float64 memory array, C-contiguous at its own offset (booleans as
  0/1, integers as exact float64), constants filled in once;
* shapes are settled here: reshapes are aliases; transposes, broadcasts, slices, flips, index
  arrays and concatenation become gathers or puts through index maps computed with NumPy on
  ``arange`` (the primitive's own implementation moves the positions, so the map is exact by
  construction); reductions over axes map each input element to its output element;
* elementwise operands are either the output's shape (stride 1) or scalars (stride 0); any
  other broadcast is first gathered to the output's shape.

A graph with something the machine does not run (another primitive, float32 or complex values,
a batched matmul, an index array computed at run time) is not encoded: ``encode`` returns None
with the reason, and the caller compiles the model with numba instead.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from ..core import ShapedArray
from ..ir.graph import Eqn, Graph, Lit, gc_paused

# Every library module that declares scalar formulas, imported before the opcode tables below
# are numbered: a special function first imported after this module (a notebook that samples
# one model, then writes another with fluxion.scipy.special) would otherwise have no opcode,
# and its model would leave the tape. The numbering cannot grow later: tapes already encoded
# hold the opcodes of the machine they were encoded for.
from ..prims import special, special_incomplete, special_more  # noqa: F401
from ..prims.elementwise import multiply_p
from . import lowering
from .cache import CompileJob, digest_of, write_module
from .numba_tier import fold_transposes, sink_scalar_broadcasts

__all__ = ["Tape", "encode", "load_machine", "machine_job", "run", "TapeContext"]

OPCODES = (
    "nop",
    "unary",
    "binary",
    "where",
    "gather",
    "put",
    "fill",
    "scatter_add",
    "reduce",
    "matmul",
    "cumsum",
    "copy",
    "solve",
    "inv",
    "slogdet",
    "cholesky",
    "trsolve",
    "dot",
    "loop",
    "endloop",
    "slice",
    "ternary",
)
WIDTH = 10  # int64 words per instruction
MAX_LOOP_DEPTH = 8  # nested scans the machine runs (one iteration counter each)
HEADER = ("code", "n_code", "mem", "n_mem", "maps", "n_maps", "q", "dim", "value", "grad")
# The elementwise operations: every primitive whose scalar formula the tape lowers (see
# lowering.py), numbered in this order; the machine's _unary/_binary/_ternary are generated from
# their formulas (dispatch_source). The ones models use most come first: the chain of tests is
# short.
_HOT_UNARY = ("exp", "log", "log1p", "negative", "sqrt", "expit", "log_expit", "square", "expm1",
              "reciprocal", "abs", "logit", "tanh")
_HOT_BINARY = ("add", "subtract", "multiply", "true_divide", "power", "maximum", "minimum",
               "logaddexp")
# operations of the machine's own (conversions), not primitives: name -> float64 formula
_MACHINE_UNARY = {"nonzero": "(1.0 if {0} != 0.0 else 0.0)"}


def _float_formula(prim: Any, arity: int) -> str:
    """The primitive's scalar formula as a float64 (booleans as 1.0 / 0.0)."""
    formula = lowering.scalar_formula(prim)
    f64 = ShapedArray((), np.dtype(np.float64))
    if np.dtype(prim.abstract_eval(*[f64] * arity).dtype).kind == "b":
        return f"(1.0 if {formula} else 0.0)"
    return f"float({formula})"


def _elementwise_formulas(arity: int) -> dict[str, str]:
    ops = {
        p.name: _float_formula(p, arity)
        for p in lowering.elementwise_primitives()
        if lowering.arity(p) == arity and lowering.status("tape", p)[0]
    }
    hot = {1: _HOT_UNARY, 2: _HOT_BINARY}.get(arity, ())
    order = [n for n in hot if n in ops] + sorted(n for n in ops if n not in hot)
    return {n: ops[n] for n in order}


UNARY_FORMULAS = {**_elementwise_formulas(1), **_MACHINE_UNARY}
BINARY_FORMULAS = _elementwise_formulas(2)
TERNARY_FORMULAS = _elementwise_formulas(3)  # betainc, betaincc
UNARY = tuple(UNARY_FORMULAS)
BINARY = tuple(BINARY_FORMULAS)
TERNARY = tuple(TERNARY_FORMULAS)
REDUCTIONS = ("sum", "prod", "max", "min")
# operations whose result moves the operand's elements without computing: their index map is
# the primitive applied to the positions
_MOVES = {"getitem", "transpose", "broadcast_to", "flip", "squeeze", "expand_dims", "moveaxis",
          "swapaxes", "roll", "tile", "repeat", "diagonal", "rot90"}
# integer values are exact in float64 below 2**53; these operations keep integer semantics there
_INT_SAFE = {"add", "subtract", "multiply", "negative", "maximum", "minimum", "abs", "fmax", "fmin",
             "sign", "square", "where", "convert_element_type", "sum", "max", "min", "cumsum"}
_BOOL_OPS = {"less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and",
             "logical_or", "logical_xor", "logical_not", "isfinite", "isnan", "isinf", "nonzero",
             "signbit", "max", "min"}
_REJECT_DTYPES = "cOUSVMm"  # complex, object, strings, datetimes; float32 checked by itemsize


class Tape:
    """An encoded graph.

    Attributes
    ----------
    code : ndarray of int64, shape (n_instructions * WIDTH,)
    mem : ndarray of float64
        The memory with the constants filled in (each context copies it).
    maps : ndarray of int64
        All index maps, concatenated.
    inputs, outputs : list of int
        Offsets of the graph's inputs and outputs in ``mem``.
    """

    def __init__(self, code: np.ndarray, mem: np.ndarray, maps: np.ndarray, inputs: list,
                 outputs: list, out_avals: list) -> None:
        self.code = code
        self.mem = mem
        self.maps = maps
        self.inputs = inputs
        self.outputs = outputs
        self.out_avals = out_avals

    @property
    def n_code(self) -> int:
        return self.code.size // WIDTH


class _Unsupported(Exception):
    """The graph has something the tape machine does not run (the message says what)."""


class _Encoder:
    def __init__(self) -> None:
        self.size = 0  # float64 words of memory so far
        self.consts: list[tuple[int, np.ndarray]] = []
        self.code: list[list[int]] = []
        self.maps: list[np.ndarray] = []
        self.n_maps = 0
        self.where: dict[int, int] = {}  # id(Var) -> offset
        self.free: list[tuple[int, int]] = []  # (size, offset) of slots no longer read
        self.scalar_consts: dict[float, int] = {}
        self.constant_offsets: set[int] = set()
        self.array_consts: dict[tuple, int] = {}  # (address, shape, strides, dtype) -> offset
        self.array_values: list[np.ndarray] = []
        self.uses: dict[int, int] = {}  # id(Var) -> readers (equations and graph outputs)
        self.last_result: Any = None  # the Var the last instruction computed, if elementwise
        # the slots allocated inside each loop body being encoded (innermost last): a body
        # frees only its own slots, never one of a value that lives around the loop
        self.body_slots: list[set[int]] = []

    # ---- memory ------------------------------------------------------------------------------
    def alloc(self, n: int) -> int:
        n = max(int(n), 1)
        best = None
        for k, (size, _) in enumerate(self.free):  # best fit among freed slots
            if size >= n and (best is None or size < self.free[best][0]):
                best = k
        if best is not None:
            offset = self.free.pop(best)[1]
        else:
            offset = self.size
            self.size += n
        for slots in self.body_slots:
            slots.add(offset)
        return offset

    def constant(self, value: Any) -> int:
        arr = np.asarray(value)
        _check_dtype(arr.dtype, "a constant")
        # one slot per array in memory: several literals may view one array (the design
        # matrix of ``X @ b`` and, folded, of ``X.T @ g``); copying it twice doubles the
        # memory the machine streams through per call
        view = None
        if type(value) is np.ndarray and value.ndim >= 1:
            view = (value.__array_interface__["data"][0], value.shape, value.strides,
                    value.dtype.str)
            if view in self.array_consts:
                return self.array_consts[view]
        flat = np.ascontiguousarray(arr, dtype=np.float64).ravel()
        if flat.size == 1:
            key = float(flat[0])
            if key in self.scalar_consts and not np.signbit(key):
                return self.scalar_consts[key]
        offset = self.size
        self.size += max(flat.size, 1)
        self.consts.append((offset, flat))
        self.constant_offsets.add(offset)
        if flat.size == 1:
            self.scalar_consts.setdefault(float(flat[0]), offset)
        if view is not None:
            self.array_consts[view] = offset
            self.array_values.append(value)  # keeps the address in the key from being reused
        return offset

    def index_map(self, positions: np.ndarray) -> int:
        positions = np.ascontiguousarray(positions, dtype=np.int64).ravel()
        offset = self.n_maps
        self.maps.append(positions)
        self.n_maps += positions.size
        return offset

    def emit(self, op: str, *operands: int) -> None:
        words = [OPCODES.index(op), *(int(x) for x in operands)]
        self.code.append(words + [0] * (WIDTH - len(words)))
        self.last_result = None  # the encoder sets it after an elementwise instruction

    def fuse_product(self, atom: Any, out: int) -> bool:
        """Rewrite the last instruction, if it is the product ``atom = x * y`` of two
        contiguous operands that only this sum reads, into ``dot`` (the sum of the products
        in one pass: ``sum(r * r)`` of a residual). The product's slot is then never
        written; it is freed with ``atom`` as usual."""
        # the product's own result, read once (not an alias of it: a reshape of a product
        # read elsewhere emits no instruction, yet the product must still be written)
        if type(atom) is Lit or atom is not self.last_result or self.uses.get(id(atom)) != 1:
            return False
        last = self.code[-1]
        if not (
            last[0] == OPCODES.index("binary")
            and last[1] == BINARY.index("multiply")
            and last[2] == self.where.get(id(atom))
            and last[4] == 1
            and last[6] == 1
            and last[7] == atom.aval.size
        ):
            return False
        words = [OPCODES.index("dot"), out, last[3], last[5], last[7]]
        self.code[-1] = words + [0] * (WIDTH - len(words))
        return True

    def addr(self, atom: Any) -> int:
        if type(atom) is Lit:
            return self.constant(atom.val)
        return self.where[id(atom)]

    # ---- operands ----------------------------------------------------------------------------
    def dense(self, atom: Any, shape: tuple) -> int:
        """Offset of ``atom`` broadcast to ``shape`` as a contiguous array (a gathered copy
        unless it already has that shape)."""
        a_shape = tuple(atom.aval.shape)
        if a_shape == shape:
            return self.addr(atom)
        positions = np.broadcast_to(_positions(a_shape), shape)
        out = self.alloc(positions.size)
        self.emit("gather", out, self.addr(atom), self.index_map(positions), positions.size)
        return out

    def operand(self, atom: Any, shape: tuple) -> tuple[int, int]:
        """(offset, stride) of ``atom`` read elementwise at ``shape``: stride 1 at the same
        shape, 0 for a single element, else a gathered broadcast copy."""
        a_shape = tuple(atom.aval.shape)
        if a_shape == shape:
            return self.addr(atom), 1
        if int(np.prod(a_shape, dtype=np.int64)) == 1:
            return self.addr(atom), 0
        return self.dense(atom, shape), 1


def _check_dtype(dtype: Any, what: str) -> None:
    dtype = np.dtype(dtype)
    if dtype.kind in _REJECT_DTYPES or (dtype.kind == "f" and dtype.itemsize != 8):
        raise _Unsupported(f"{what} of dtype {dtype}")


def _positions(shape: tuple) -> np.ndarray:
    return np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)


@gc_paused()
def encode(graph: Graph) -> tuple[Tape | None, str]:
    """The tape of ``graph``, or (None, why not).

    Parameters
    ----------
    graph : Graph
        A jit graph (optimized): inputs, equations, outputs.

    Returns
    -------
    (Tape or None, str)
        The tape, and "" or the reason the graph cannot run on the tape machine.
    """
    graph = _prepared(graph)
    enc = _Encoder()
    try:
        inputs = []
        for v in graph.in_vars:
            _check_dtype(v.aval.dtype, "an input")
            enc.where[id(v)] = off = enc.alloc(v.aval.size)
            inputs.append(off)
        _encode_eqns(enc, graph)
        outputs = [enc.addr(o) for o in graph.outs]
    except _Unsupported as err:
        return None, str(err)
    mem = np.zeros(max(enc.size, 1))
    for off, flat in enc.consts:
        mem[off : off + flat.size] = flat
    code = np.array(enc.code, dtype=np.int64).reshape(-1)
    maps = np.concatenate(enc.maps) if enc.maps else np.zeros(1, dtype=np.int64)
    return Tape(code, mem, maps, inputs, outputs, [o.aval for o in graph.outs]), ""


def _prepared(graph: Graph) -> Graph:
    """The rewrites the encoder expects (a loop body gets them too)."""
    return _square_as_product(sink_scalar_broadcasts(fold_transposes(graph)))


def _encode_eqns(enc: _Encoder, graph: Graph) -> None:
    """Append the instructions of ``graph``'s equations (its inputs already have slots). A slot
    is freed for later results after its last reader, unless it holds an input or an output
    of ``graph`` or a constant; inside a loop body, only the body's own slots are freed."""
    last_use = _last_uses(graph)
    for a in [a for eqn in graph.eqns for a in eqn.inputs] + list(graph.outs):
        if type(a) is not Lit:
            enc.uses[id(a)] = enc.uses.get(id(a), 0) + 1
    keep = {id(o) for o in graph.outs} | {id(v) for v in graph.in_vars}
    mine = enc.body_slots[-1] if enc.body_slots else None
    owner: dict[int, int] = {}  # offset -> number of live vars on it (aliases share)
    for v in graph.in_vars:
        owner[enc.where[id(v)]] = owner.get(enc.where[id(v)], 0) + 1
    for k, eqn in enumerate(graph.eqns):
        for o in eqn.outs:
            _check_dtype(o.aval.dtype, f"the result of {eqn.prim.name}")
        _encode_eqn(enc, eqn)
        for o in eqn.outs:
            off = enc.where[id(o)]
            owner[off] = owner.get(off, 0) + 1
        # slots whose last reader was this equation are free for later results
        for a in eqn.inputs:
            if type(a) is Lit or id(a) in keep or last_use.get(id(a)) != k:
                continue
            off = enc.where[id(a)]
            if off in enc.constant_offsets or (mine is not None and off not in mine):
                continue  # an alias of a constant, or of a value living around the loop
            last_use[id(a)] = -1  # counted once even if read twice here
            owner[off] -= 1
            if owner[off] == 0:
                enc.free.append((max(a.aval.size, 1), off))


def _encode_scan(enc: _Encoder, eqn: Any) -> None:
    """A scan (``lax.scan``, ``fori_loop``, a re-rolled Python loop) as a loop of the machine:

    * the carry gets slots of its own, filled from the initial values before the loop;
    * ``loop`` starts iteration counter ``level`` (one per nesting level); each iteration
      ``slice`` copies step ``t`` of every stacked input into the body's slot, runs the body's
      instructions, copies step ``t`` of every output into its stacked result, then the new
      carry into the carry's slots (through fresh slots when one new carry value sits in
      another one's slot: a swap); ``endloop`` jumps back until ``length`` iterations ran;
    * ``reverse`` runs ``t`` from ``length - 1`` down to 0.

    The body's constants are read in place (the outer values' slots)."""
    p = eqn.params
    n_consts, n_carry, length = p["n_consts"], p["n_carry"], int(p["length"])
    level = len(enc.body_slots)
    if level >= MAX_LOOP_DEPTH:
        raise _Unsupported(f"scan nested deeper than {MAX_LOOP_DEPTH} loops")
    body = _prepared(p["body"])
    ins = eqn.inputs
    consts, init, xs = ins[:n_consts], ins[n_consts:n_consts + n_carry], ins[n_consts + n_carry:]
    b_consts = body.in_vars[:n_consts]
    b_carry = body.in_vars[n_consts:n_consts + n_carry]
    b_xs = body.in_vars[n_consts + n_carry:]
    for v in body.in_vars + [o for o in body.outs if type(o) is not Lit]:
        _check_dtype(v.aval.dtype, "a loop variable")
    for bv, a in zip(b_consts, consts):
        enc.where[id(bv)] = enc.addr(a)
    carry = []
    for bv, a in zip(b_carry, init):
        slot = enc.alloc(bv.aval.size)
        enc.emit("copy", slot, enc.addr(a), bv.aval.size)
        enc.where[id(bv)] = slot
        carry.append(slot)
    for bv in b_xs:
        enc.where[id(bv)] = enc.alloc(bv.aval.size)
    stacked = [enc.alloc(o.aval.size) for o in eqn.outs[n_carry:]]
    begin = len(enc.code)
    enc.emit("loop", level, length, 0)  # where the loop ends: patched below
    reverse = int(bool(p["reverse"]))
    for bv, a in zip(b_xs, xs):
        enc.emit("slice", enc.where[id(bv)], enc.addr(a), bv.aval.size, level, length, reverse,
                 0)
    enc.body_slots.append(set())
    try:
        _encode_eqns(enc, body)
        new = [enc.addr(o) for o in body.outs]
    finally:
        enc.body_slots.pop()
    # the outputs first: one may be the old carry, which the moves below overwrite
    for out, src, o in zip(stacked, new[n_carry:], body.outs[n_carry:]):
        enc.emit("slice", out, src, o.aval.size, level, length, reverse, 1)
    moved = [(slot, src, int(v.aval.size)) for slot, src, v in zip(carry, new, b_carry)
             if slot != src]
    if any(src in carry for _, src, _ in moved):  # a swap: copy through fresh slots
        staged = []
        for slot, src, n in moved:
            tmp = enc.alloc(n)
            enc.emit("copy", tmp, src, n)
            staged.append((slot, tmp, n))
        moved = staged
    for slot, src, n in moved:
        enc.emit("copy", slot, src, n)
    enc.emit("endloop", level, begin + 1, length)
    enc.code[begin][3] = len(enc.code)  # the first instruction after the loop
    for o, slot in zip(eqn.outs, carry + stacked):
        enc.where[id(o)] = slot


def _square_as_product(graph: Graph) -> Graph:
    """``graph`` with ``x ** 2`` written ``x * x`` (float ``x``): the machine's power calls
    ``pow`` per element, several times the cost of the product (``r ** 2`` of a 5000-element
    residual was the dearest instruction of a regression's tape)."""
    eqns = []
    for eqn in graph.eqns:
        if eqn.prim.name == "power" and not eqn.params and len(eqn.inputs) == 2:
            x, k = eqn.inputs
            if (
                type(k) is Lit
                and np.ndim(k.val) == 0
                and k.val == 2
                and type(x) is not Lit
                and x.aval.dtype.kind == "f"
                and x.aval.dtype == eqn.outs[0].aval.dtype
            ):
                eqn = Eqn(multiply_p, [x, x], {}, eqn.outs)
        eqns.append(eqn)
    return Graph(graph.in_vars, eqns, graph.outs)


def _last_uses(graph: Graph) -> dict[int, int]:
    last: dict[int, int] = {}
    for k, eqn in enumerate(graph.eqns):
        for a in eqn.inputs:
            if type(a) is not Lit:
                last[id(a)] = k
    return last


def _encode_eqn(enc: _Encoder, eqn: Any) -> None:
    """Append ``eqn``'s instructions and record its outputs' offsets (an alias of the input's
    for reshapes and conversions that change nothing on the tape)."""
    name = eqn.prim.name
    p = eqn.params
    ins = eqn.inputs
    out = eqn.outs[0]
    shape = tuple(out.aval.shape)
    size = int(out.aval.size)
    _check_semantics(eqn, name)

    def result(offset: int) -> None:
        enc.where[id(out)] = offset

    if name in ("reshape", "stop_gradient", "copy") or (name in REDUCTIONS and p.get("axes") == ()):
        if ins[0].aval.size != size:
            raise _Unsupported(f"{name} changing the size")
        result(enc.addr(ins[0]))
        return
    if name == "convert_element_type":
        target = np.dtype(p["dtype"])
        _check_dtype(target, "convert_element_type")
        src = np.dtype(ins[0].aval.dtype)
        if target.kind == "b" and src.kind != "b":
            fn = "nonzero"
        elif target.kind in "iu" and src.kind == "f":
            fn = "trunc"
        else:  # widening: the float64 values are already exact
            result(enc.addr(ins[0]))
            return
        x, _ = enc.operand(ins[0], shape)
        o = enc.alloc(size)
        enc.emit("unary", UNARY.index(fn), o, x, size)
        result(o)
        return
    if not p and name in UNARY and len(ins) == 1:
        x, _ = enc.operand(ins[0], shape)
        o = enc.alloc(size)
        enc.emit("unary", UNARY.index(name), o, x, size)
        result(o)
        return
    if not p and name in BINARY and len(ins) == 2:
        (x, sx), (y, sy) = enc.operand(ins[0], shape), enc.operand(ins[1], shape)
        o = enc.alloc(size)
        enc.emit("binary", BINARY.index(name), o, x, sx, y, sy, size)
        enc.last_result = out
        result(o)
        return
    if not p and name in TERNARY and len(ins) == 3:
        (x, sx), (y, sy), (z, sz) = (enc.operand(a, shape) for a in ins)
        o = enc.alloc(size)
        enc.emit("ternary", TERNARY.index(name), o, x, sx, y, sy, z, sz, size)
        result(o)
        return
    if name == "where" and not p:
        (c, sc), (x, sx), (y, sy) = (enc.operand(a, shape) for a in ins)
        o = enc.alloc(size)
        enc.emit("where", o, c, sc, x, sx, y, sy, size)
        result(o)
        return
    if name in REDUCTIONS and set(p) <= {"axes", "keepdims"}:
        in_shape = tuple(ins[0].aval.shape)
        axes = tuple(a % len(in_shape) for a in p["axes"])
        o = enc.alloc(size)
        if name == "sum" and size == 1 and enc.fuse_product(ins[0], o):
            result(o)
            return
        if size == 1:
            m = -1
        else:
            kept = tuple(1 if i in axes else n for i, n in enumerate(in_shape))
            m = enc.index_map(np.broadcast_to(_positions(kept), in_shape))
        enc.emit("reduce", REDUCTIONS.index(name), o, enc.addr(ins[0]), m, ins[0].aval.size, size)
        result(o)
        return
    if name in _MOVES:
        arrays = ins[1:]
        if any(type(a) is not Lit for a in arrays):
            raise _Unsupported(f"{name} with an index array computed at run time")
        x_shape = tuple(ins[0].aval.shape)
        positions = np.asarray(eqn.prim.impl(_positions(x_shape), *(a.val for a in arrays), **p))
        if positions.shape != shape:
            raise _Unsupported(f"{name}: unexpected result shape {positions.shape}")
        o = enc.alloc(size)
        enc.emit("gather", o, enc.addr(ins[0]), enc.index_map(positions), size)
        result(o)
        return
    if name in ("scatter_add", "update"):
        # scatter_add: zeros(shape)[spec] += value; update (x.at[spec].set): copy(x)[spec] =
        # value, in order, so a repeated index keeps its last write as NumPy's does
        assign = name == "update"
        value, arrays = (ins[1], ins[2:]) if assign else (ins[0], ins[1:])
        if any(type(a) is not Lit for a in arrays):
            raise _Unsupported(f"{name} with an index array computed at run time")
        # the positions written, in the shape of the indexed region; the value broadcasts to it
        region = np.asarray(
            _getitem_prim().impl(_positions(shape), *(a.val for a in arrays), spec=p["spec"])
        )
        dense = enc.dense(value, region.shape)
        o = enc.alloc(size)
        if assign:
            enc.emit("copy", o, enc.dense(ins[0], shape), size)
        else:
            enc.emit("fill", o, enc.constant(0.0), size)
        enc.emit("put" if assign else "scatter_add", o, dense, enc.index_map(region), region.size)
        result(o)
        return
    if name == "einsum":
        result(_encode_einsum(enc, eqn, shape, size))
        return
    if name == "concatenate":
        positions = np.asarray(
            eqn.prim.impl(*(_positions(tuple(a.aval.shape)) + _start(ins, k) for k, a in
                            enumerate(ins)), **p)
        )
        where_in_out = np.empty(size, dtype=np.int64)
        where_in_out[positions.ravel()] = np.arange(size)
        o = enc.alloc(size)
        for k, a in enumerate(ins):
            n = int(a.aval.size)
            if n:
                first = _start(ins, k)
                m = enc.index_map(where_in_out[first : first + n])
                enc.emit("put", o, enc.addr(a), m, n)
        result(o)
        return
    if name == "matmul" and set(p) <= {"transposed"}:
        # BLAS on the memory (gemv/gemm through numba's np.dot); an operand that is the
        # transpose of a stored matrix is read in place, with a flag (fold_transposes)
        ta, tb = p.get("transposed", (0, 0))
        xs, ys = (tuple(a.aval.shape) for a in ins)
        if ta:
            xs = xs[::-1]
        if tb:
            ys = ys[::-1]
        if not (1 <= len(xs) <= 2 and 1 <= len(ys) <= 2):
            raise _Unsupported("matmul of more than 2 dimensions")
        mm = xs[0] if len(xs) == 2 else 1
        kk = xs[-1]
        nn = ys[1] if len(ys) == 2 else 1
        o = enc.alloc(size)
        enc.emit("matmul", o, enc.addr(ins[0]), enc.addr(ins[1]), mm, kk, nn, ta, tb)
        result(o)
        return
    if name == "scan":
        _encode_scan(enc, eqn)
        return
    last_axis = bool(shape) and p.get("axis", -1) % max(len(shape), 1) == len(shape) - 1
    if name in ("cumsum", "cumprod") and last_axis:
        # along the last axis: contiguous rows of shape[-1] elements
        o = enc.alloc(size)
        enc.emit("cumsum", o, enc.addr(ins[0]), size, int(name == "cumprod"), max(shape[-1], 1))
        result(o)
        return
    if name in ("solve", "inv") and ins[0].aval.ndim == 2 and not p:
        n = int(ins[0].aval.shape[0])
        if name == "solve" and ins[1].aval.ndim not in (1, 2):
            raise _Unsupported("solve with batched right-hand sides")
        nrhs = n if name == "inv" else (1 if ins[1].aval.ndim == 1 else int(ins[1].aval.shape[1]))
        scratch = enc.alloc(n * n + n)
        o = enc.alloc(size)
        b = enc.addr(ins[1]) if name == "solve" else 0
        enc.emit(name, o, enc.addr(ins[0]), b, n, nrhs, scratch)
        enc.free.append((n * n + n, scratch))
        result(o)
        return
    if name == "slogdet" and ins[0].aval.ndim == 2 and not p:
        n = int(ins[0].aval.shape[0])
        scratch = enc.alloc(n * n + n)
        sign, logdet = enc.alloc(1), enc.alloc(1)
        enc.emit("slogdet", sign, logdet, enc.addr(ins[0]), n, scratch)
        enc.free.append((n * n + n, scratch))
        enc.where[id(eqn.outs[0])] = sign
        enc.where[id(eqn.outs[1])] = logdet
        return
    if name == "cholesky" and not p:
        # a stack of lower factors (linalg_kernels.cholesky_into); NaN for a matrix that is not
        # positive definite
        n = int(shape[-1])
        o = enc.alloc(size)
        enc.emit("cholesky", o, enc.addr(ins[0]), n, size // max(n * n, 1))
        result(o)
        return
    if name == "triangular_solve":
        # op(A) X = B over a stack: the leading dimensions are gathered to the result's first
        n, k = int(shape[-2]), int(shape[-1])
        a = enc.dense(ins[0], shape[:-2] + (n, n))
        b = enc.dense(ins[1], shape)
        flags = int(p["lower"]) | int(p["transpose_a"]) << 1 | int(p["unit_diagonal"]) << 2
        o = enc.alloc(size)
        enc.emit("trsolve", o, a, b, n, k, size // max(n * k, 1), flags)
        result(o)
        return
    if lowering.scalar_formula(eqn.prim) is not None and lowering.status("tape", eqn.prim)[0]:
        raise _Unsupported(
            f"primitive {eqn.prim.name} (its scalar formula was declared after the tape "
            "machine's opcode tables were numbered: define the primitive before fluxion first "
            "samples, or restart the process)"
        )
    raise _Unsupported(f"primitive {eqn.prim.name}" + (f" with {sorted(p)}" if p else ""))


#: the most elements an einsum's product space may hold on the tape (each operand is gathered
#: into it); a larger contraction is left to tier 1's loops
EINSUM_MAX_ELEMENTS = 1 << 20


def _encode_einsum(enc: _Encoder, eqn: Any, shape: tuple, size: int) -> int:
    """``einsum`` in the space of all its labels: each operand gathered into it (a repeated
    label reads a diagonal, a size-1 axis broadcasts), the product of the gathered operands
    elementwise, and a sum of each element into its output position (a full sum when the
    output is a scalar). Costs one pass over the product space per operand. Returns the
    result's offset."""
    from .numba_tier import einsum_terms

    terms, out_labels, sizes = einsum_terms(eqn)
    labels = out_labels + "".join(sorted(set("".join(terms)) - set(out_labels)))
    full = tuple(sizes[lab] for lab in labels)
    n = int(np.prod(full, dtype=np.int64))
    if n > EINSUM_MAX_ELEMENTS:
        raise _Unsupported(f"einsum over {n} elements (more than {EINSUM_MAX_ELEMENTS})")
    grid = np.indices(full, dtype=np.int64) if full else np.zeros((0,), dtype=np.int64)

    def positions_in(shape: tuple, term: str) -> np.ndarray:
        """Where each element of the label space reads an array of ``shape`` labelled
        ``term``."""
        at = tuple(
            np.zeros(full, np.int64) if d == 1 else grid[labels.index(lab)]
            for lab, d in zip(term, shape)
        )
        return np.broadcast_to(_positions(shape)[at], full).ravel()

    product = -1
    for term, a in zip(terms, eqn.inputs):
        dense = enc.alloc(n)
        where = positions_in(tuple(a.aval.shape), term)
        enc.emit("gather", dense, enc.addr(a), enc.index_map(where), n)
        if product >= 0:
            step = enc.alloc(n)
            enc.emit("binary", BINARY.index("multiply"), step, product, 1, dense, 1, n)
            dense = step
        product = dense
    o = enc.alloc(size)
    m = enc.index_map(positions_in(shape, out_labels)) if out_labels else -1
    enc.emit("reduce", REDUCTIONS.index("sum"), o, product, m, n, size)
    return o


# The tape's lowering table: the encoder above handles these primitives (elementwise ones come
# from their scalar formulas, UNARY, BINARY and TERNARY).
for _name in ("reshape", "stop_gradient", "copy", "convert_element_type", "where", *REDUCTIONS,
              *sorted(_MOVES), "scatter_add", "update", "concatenate", "matmul", "cumsum",
              "cumprod", "einsum", "solve", "inv", "slogdet", "cholesky", "triangular_solve",
              "scan"):
    lowering.register("tape", _name)(_encode_eqn)


def _check_semantics(eqn: Any, name: str) -> None:
    """Integers and booleans are float64 on the tape: refuse the operations whose integer or
    boolean result would differ (bool + bool is "or" in NumPy; int ** int, int // int...)."""
    kind = np.dtype(eqn.outs[0].aval.dtype).kind
    plain = name in _MOVES or name in ("reshape", "copy", "stop_gradient", "concatenate", "where",
                                        "convert_element_type", "scatter_add", "update", "scan")
    if kind in "iu" and not (plain or name in _INT_SAFE):
        raise _Unsupported(f"{eqn.prim.name} with an integer result")
    if kind == "b" and not (plain or name in _BOOL_OPS):
        raise _Unsupported(f"{eqn.prim.name} with a boolean result")


def _start(ins: list, k: int) -> int:
    return int(sum(int(a.aval.size) for a in ins[:k]))


def _getitem_prim() -> Any:
    from ..prims.indexing import getitem_p

    return getitem_p


# --------------------------------------------------------------------------------------------
# The machine (compiled once per cache directory) and per-chain contexts
# --------------------------------------------------------------------------------------------

_VM_SOURCE = os.path.join(os.path.dirname(__file__), "_tape_vm.py")
# the machine's source imports ``as_voidptr`` from this placeholder; the copy in the cache
# directory imports it from ``native_abi`` (the calling convention it shares with the core)
_ABI_PLACEHOLDER = "fluxion_nutscore_CORE"
_DISPATCH_PLACEHOLDER = (
    "from fluxion_tapevm_DISPATCH import _binary, _ternary, _unary  # noqa: E402"
)


def dispatch_source() -> str:
    """numba source of the machine's ``_unary(fn, x)``, ``_binary(fn, x, y)`` and
    ``_ternary(fn, x, y, z)``: one branch per opcode (UNARY, BINARY, TERNARY), each the
    primitive's scalar formula on float64 (booleans come back as 0.0 / 1.0), plus the scalar
    helpers the formulas call."""
    lines = []
    for fn_name, formulas, params in (("_unary", UNARY_FORMULAS, ("x",)),
                                      ("_binary", BINARY_FORMULAS, ("x", "y")),
                                      ("_ternary", TERNARY_FORMULAS, ("x", "y", "z"))):
        lines += ["@numba.njit(**_JIT)", f"def {fn_name}(fn, {', '.join(params)}):"]
        for code, (name, formula) in enumerate(formulas.items()):
            lines.append(f"    if fn == {code}:  # {name}")
            lines.append(f"        return {formula.format(*params)}")
        lines += ["    return np.nan", "", ""]
    body = "\n".join(lines)
    return lowering.scalar_prelude(body) + body


def machine_job() -> CompileJob:
    """The compile of the machine's copy in the cache directory: importing the module compiles
    its ``potential`` cfunc (~3-10 s the first time on a machine, then from numba's cache)."""
    import numba

    from . import native_abi

    with open(_VM_SOURCE) as fh:
        source = fh.read().replace(_ABI_PLACEHOLDER, native_abi.__name__)
    # the elementwise dispatch, generated from the lowering table: part of the hashed source,
    # so a changed formula or a new primitive compiles a new machine
    if _DISPATCH_PLACEHOLDER not in source:
        raise RuntimeError(f"tape.machine_job: {_VM_SOURCE} lacks {_DISPATCH_PLACEHOLDER!r}")
    source = source.replace(_DISPATCH_PLACEHOLDER, dispatch_source())
    # the tables and the calling convention are part of the machine: a change to either must
    # not reuse a cached compile
    tables = hashlib.sha1(
        repr((OPCODES, WIDTH, HEADER, UNARY, BINARY, TERNARY, REDUCTIONS, MAX_LOOP_DEPTH)).encode()
    )
    from . import linalg_kernels

    header = (
        f"# numba {numba.__version__}, tables {tables.hexdigest()[:16]}, "
        f"abi {digest_of(native_abi.__file__)}, linalg {digest_of(linalg_kernels.__file__)}\n"
    )
    name, path = write_module("fx_tapevm", "fluxion_tapevm", header + source)
    return CompileJob(name, path)


def load_machine() -> Any:
    """The machine's module (compiled here if no process compiled it before)."""
    return machine_job().run_here()


class TapeContext:
    """One chain's context for the machine: its own memory (chains may run in threads at
    once) over the tape's shared instructions and maps.

    Attributes
    ----------
    address : int
        The ``void *context`` argument of the machine's ``potential``.
    """

    def __init__(self, tape: Tape, dim: int) -> None:
        self.tape = tape
        self.mem = tape.mem.copy()
        q_off, (value_off, grad_off) = tape.inputs[0], tape.outputs
        self.header = np.array(
            [
                tape.code.ctypes.data,
                tape.n_code,
                self.mem.ctypes.data,
                self.mem.size,
                tape.maps.ctypes.data,
                tape.maps.size,
                q_off,
                dim,
                value_off,
                grad_off,
            ],
            dtype=np.int64,
        )
        self.address = int(self.header.ctypes.data)


def run(tape: Tape, machine: Any, *args: Any) -> tuple:
    """Run ``tape`` on ``args`` (arrays shaped as the graph's inputs) through the machine's
    ``evaluate``; the outputs as NumPy values of the graph's shapes and dtypes.

    Raises
    ------
    numpy.linalg.LinAlgError
        A linear solve met a singular matrix (as NumPy would).
    """
    mem = tape.mem.copy()
    for off, x in zip(tape.inputs, args, strict=True):
        flat = np.asarray(x, dtype=np.float64).ravel()
        mem[off : off + flat.size] = flat
    if not machine.evaluate(tape.code, tape.n_code, mem, tape.maps):
        raise np.linalg.LinAlgError("tape.run: singular matrix")
    outs = []
    for off, aval in zip(tape.outputs, tape.out_avals):
        values = mem[off : off + aval.size].reshape(aval.shape)
        outs.append(np.asarray(values.astype(aval.dtype))[()] if aval.ndim == 0 else
                    values.astype(aval.dtype))
    return tuple(outs)
