"""A graph as a native potential: a C function pointer the compiled NUTS core calls.

A *native potential* is ``double f(double *q, double *grad_out, void *context)`` (``native_abi``)
computing a value-and-gradient graph of one flat ``(dim,)`` input: the log density at ``q`` and
its gradient. Two compiled forms of the graph provide one:

* ``"kernel"``: the graph's own tier-1 numba kernel (``tier1.KernelModule``) wrapped in a
  numba ``cfunc``; the context holds the addresses of the kernel's constant arrays (the data).
  Fastest per call; numba compiles it per model (0.5 s to 10 s, then from the disk cache).
* ``"tape"``: the graph encoded for the tape machine (``tape.py``), one interpreter compiled once
  per machine for every model; the context is a chain's header and memory. No compile per model;
  each instruction is a flat loop, so it costs ~1-4x the fused kernel per call.
* ``"python"`` (``callback_potential``): any Python ``u -> (value, gradient)`` behind a ctypes
  callback, for models neither compiled form can run (an ODE solve, a sharded sum, a user's
  primitive without lowerings, ``jit=False``). The NUTS core still builds its trees in numba;
  each gradient is one Python call (~2 us of callback overhead on top of the model's own time).

The choice is made from the graph alone (``choose_kind``), never from what the disk cache holds:
a run gives the same draws whether or not something was compiled before (the two forms round
differently). ``"auto"`` takes the kernel when the graph moves enough data per call
(``KERNEL_MIN_WORK`` elements) for its compile to pay back, else the tape.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from typing import Any

import numpy as np

from ..ir.graph import Graph
from .cache import CompileJob, compile_in_processes, digest_of, write_module
from .lowering import reason as lowering_reason

__all__ = [
    "KERNEL_MIN_WORK",
    "CallbackPotential",
    "NativePotential",
    "callback_potential",
    "choose_kind",
    "compile_all",
    "graph_work",
    "native_potential",
]

# "auto" compiles the model's kernel when one value-and-gradient call reads and writes at least
# this many array elements, else runs the tape machine (no compile per model). Break-even: the
# kernel's compile costs ~5-8 s (measured: 8.3 s first run of a 500 x 25 regression against
# 2.0 s with its kernel cached, benchmarks/first_run.py, 2026-12-04); the tape's flat loops cost
# about 0.5 ns more per element than the kernel (B's 5000 x 24 regression: 86.9 vs 58.4 us for
# 240k elements), and a default run (4 chains x 2000 iterations x ~7 gradients) makes ~56,000
# calls: 56,000 x 0.5 ns x W > 5 s needs W > ~180,000 elements.
KERNEL_MIN_WORK = 200_000
# A loop body's equations run once per iteration, and on the tape each of them is an
# instruction the machine dispatches: about 3.4 ns each, some 7 elements' worth of the 0.5 ns
# per element above (measured: the 200-step ARMA(1,1) value and gradient, ~13,000 instructions
# per call, 44 us on the tape against 3-4 us in its kernel; tests/test_scan_loops.py's model;
# benchmarks/loops_and_blas.py). That model comes to ~130,000, below KERNEL_MIN_WORK: its 2-3 s
# kernel compile would about pay back over a default run, so the tape (no wait) is taken; a
# recursion a few times longer, or over larger arrays, gets its kernel.
LOOP_INSTRUCTION_WORK = 7


def graph_work(graph: Graph) -> int:
    """Elements read and written by one call of ``graph`` (inputs and outputs of every
    equation; a loop's body counted once per iteration, each of its equations with
    ``LOOP_INSTRUCTION_WORK`` more): the measure ``choose_kind`` compares with
    ``KERNEL_MIN_WORK``."""
    total = 0
    for eqn in graph.eqns:
        for a in (*eqn.inputs, *eqn.outs):
            aval = getattr(a, "aval", None)
            total += int(aval.size) if aval is not None else 1
        if eqn.prim.name == "scan":
            # per iteration: the body's instructions, a copy per carry, a slice per stacked
            # input and output, the jump back
            body = eqn.params["body"]
            n_moves = len(body.in_vars) - eqn.params["n_consts"] + len(body.outs)
            instructions = len(body.eqns) + n_moves + 1
            per_iteration = graph_work(body) + LOOP_INSTRUCTION_WORK * instructions
            total += int(eqn.params["length"]) * per_iteration
    return total


class NativePotential:
    """A graph's native potential, its compile jobs, and (after ``load``) its address.

    Attributes
    ----------
    kind : {"kernel", "tape"}
        Which compiled form computes it.
    reason : str
        Why this kind (e.g. "auto: 2,400 elements per call, below KERNEL_MIN_WORK"; or why the
        preferred kind could not be used, naming the primitive).
    jobs : list of CompileJob
        What must be compiled (in numba's disk cache) before ``load``; ``compile_all`` runs the
        missing ones in parallel with other jobs (e.g. the NUTS core's).
    address : int
        The C function's address (0 until ``load``).
    fallback : bool
        True when the preferred kind could not be used (``reason`` says why).
    """

    def __init__(self, kind: str, reason: str, jobs: list, dim: int, *, tape: Any = None,
                 buffers: tuple = (), kernel: Any = None, fallback: bool = False) -> None:
        self.kind = kind
        self.reason = reason
        self.jobs = jobs
        self.dim = dim
        self.fallback = fallback
        self.address = 0
        self._tape = tape
        self._buffers = buffers  # the kernel's constants: must outlive every call
        self._ctx = np.array([b.ctypes.data for b in buffers], dtype=np.int64)
        # (KernelModule, (name, path) of its potential) when the kernel cannot be cached
        # (user primitives' injected globals): compiled in this process by ``load``
        self._kernel = kernel

    def load(self) -> NativePotential:
        """Load the compiled module(s) (from numba's cache when ``jobs`` ran) and take the
        function's address. Returns self."""
        if self._kernel is not None and not self.jobs:  # injected globals: compile here
            from .cache import llvm_opt_level, load_module

            kernel, pot_module = self._kernel
            module = load_module(kernel.module_name, kernel.path)
            module.__dict__.update(kernel.injected)  # before the first call compiles it
            level = kernel.opt_level
            with llvm_opt_level(level) if level != 3 else nullcontext():  # the cfunc compiles it
                potential = load_module(*pot_module).potential
        else:
            module = None
            for job in self.jobs:
                module = job.run_here()
            potential = module.potential
        self.address = int(potential.address)
        return self

    def context(self) -> tuple[int, Any]:
        """(address, owner) of one chain's context: the kernel's shared constants, or a tape's
        own memory (chains in threads must not share it); keep ``owner`` alive while the chain
        runs."""
        if self._tape is None:
            return (int(self._ctx.ctypes.data) if self._ctx.size else 0), self._ctx
        from .tape import TapeContext

        ctx = TapeContext(self._tape, self.dim)
        return ctx.address, ctx


class CallbackPotential(NativePotential):
    """A Python ``u -> (value, gradient)`` as a native potential (kind ``"python"``).

    The C function is a ctypes callback: it takes the GIL for each call, so chains using it
    gain nothing from threads (``sample`` runs them one after another). An exception from the
    model cannot cross the C frames of the core: the first one is kept in ``error`` and every
    later call returns NaN at once (a divergence), so the core's chunk ends quickly; the caller
    re-raises ``error`` after the chunk (``raise_error``). ``numpy.linalg.LinAlgError`` is not
    an error but a point outside the support (a matrix singular to machine precision), as for
    the Python NUTS and the compiled potentials: NaN, so a divergence.
    """

    def __init__(self, fn: Any, dim: int, reason: str) -> None:
        import ctypes

        super().__init__("python", reason, [], dim)
        self.fn = fn
        self.error: BaseException | None = None
        # the core passes the rows of its workspace, the same few addresses every call: one
        # NumPy view per address instead of one per call (~3 us each)
        self._views: dict[int, np.ndarray] = {}
        self._c_type = ctypes.c_double * dim
        proto = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_void_p, ctypes.c_void_p,
                                 ctypes.c_void_p)
        self._callback = proto(self._call)  # kept alive as long as this object
        self._address = ctypes.cast(self._callback, ctypes.c_void_p).value

    def _view(self, address: int) -> np.ndarray:
        view = self._views.get(address)
        if view is None:
            if len(self._views) > 4096:  # chains come and go: never grow without bound
                self._views.clear()
            view = np.frombuffer(self._c_type.from_address(address), dtype=np.float64)
            self._views[address] = view
        return view

    def _call(self, q_address: int, grad_address: int, _ctx: int) -> float:
        if self.error is not None:
            return math.nan
        try:
            # a copy: the core overwrites this row later, and the model may keep its input
            value, grad = self.fn(self._view(q_address).copy())
            self._view(grad_address)[:] = grad
            return float(value)
        except np.linalg.LinAlgError:
            return math.nan
        except BaseException as err:  # noqa: BLE001 - re-raised by raise_error after the chunk
            self.error = err
            return math.nan

    def load(self) -> CallbackPotential:
        self.address = int(self._address)
        return self

    def context(self) -> tuple[int, Any]:
        return 0, None

    def raise_error(self) -> None:
        """Re-raise the model's exception from the last calls (then forget it)."""
        err, self.error = self.error, None
        if err is not None:
            raise err


def callback_potential(fn: Any, dim: int, reason: str) -> CallbackPotential:
    """The native potential calling the Python function ``fn`` (``CallbackPotential``).

    Parameters
    ----------
    fn : callable
        ``fn(u) -> (value, gradient)`` for ``u`` of shape ``(dim,)``: the log density (a float)
        and its gradient (shape ``(dim,)``).
    dim : int
        Length of ``u``.
    reason : str
        Why the model runs in Python (``NativePotential.reason``).

    Returns
    -------
    CallbackPotential
        Loaded already: nothing to compile.
    """
    if not callable(fn):
        raise TypeError(f"callback_potential: expected a callable fn, got {type(fn).__name__}")
    return CallbackPotential(fn, int(dim), reason).load()


def choose_kind(graph: Graph, prefer: str = "auto") -> tuple[str | None, str, bool]:
    """(kind, reason, fallback) for ``graph``: "kernel", "tape" or None (neither applies).

    Decided from the graph alone: the same graph always gets the same kind (see the module
    docstring). ``fallback`` is True when ``prefer`` named a kind that cannot be used.
    """
    if prefer not in ("auto", "tape", "kernel"):
        raise ValueError(
            f"native_potential: expected prefer 'auto', 'tape' or 'kernel', got {prefer!r}"
        )
    if any(eqn.prim.name == "guard" for eqn in graph.eqns):
        return None, "the model branches in Python on traced values (value guards)", False
    kernel_why = _kernel_blocker(graph)
    from .tape import encode

    tape_why = encode(graph)[1]
    if prefer == "kernel":
        if not kernel_why:
            return "kernel", "requested", False
        if not tape_why:
            return "tape", f"no kernel potential: {kernel_why}", True
    elif prefer == "tape":
        if not tape_why:
            return "tape", "requested", False
        if not kernel_why:
            return "kernel", f"the tape machine cannot run it: {tape_why}", True
    else:
        work = graph_work(graph)
        if not kernel_why and (work >= KERNEL_MIN_WORK or tape_why):
            why = (f"{work:,} elements per call (KERNEL_MIN_WORK {KERNEL_MIN_WORK:,})"
                   if not tape_why else f"the tape machine cannot run it: {tape_why}")
            return "kernel", f"auto: {why}", False
        if not tape_why:
            why = (f"{work:,} elements per call, below KERNEL_MIN_WORK {KERNEL_MIN_WORK:,}"
                   if not kernel_why else f"no kernel potential: {kernel_why}")
            return "tape", f"auto: {why}", False
    return None, f"tape machine: {tape_why}; kernel: {kernel_why}", False


def _kernel_blocker(graph: Graph) -> str:
    """Why the graph has no kernel potential ("" when it has one)."""
    from .tier1 import lowerable

    missing = lowerable(graph)
    if not missing:
        return ""
    # name each primitive with the lowering table's reason (primitives sharing one, together)
    by_reason: dict[str, list[str]] = {}
    for name in missing:
        by_reason.setdefault(lowering_reason("numba", name) or "", []).append(name)
    parts = [", ".join(names) + (f" ({why})" if why else "") for why, names in by_reason.items()]
    return f"no numba lowering for {'; '.join(parts)}"


def native_potential(graph: Graph, dim: int, prefer: str = "auto") -> NativePotential:
    """The native potential of a value-and-gradient graph of a flat ``(dim,)`` vector.

    Parameters
    ----------
    graph : Graph
        Optimized jit graph (``jit(value_and_grad(f)).lower(x).graph``): input ``(dim,)``
        float64, outputs the value ``()`` and the gradient ``(dim,)``.
    dim : int
        Length of the input.
    prefer : {"auto", "tape", "kernel"}
        The compiled form to use when the graph allows it (``choose_kind``).

    Returns
    -------
    NativePotential
        Not loaded yet: run its ``jobs`` (``compile_all``, possibly with others), then ``load``.

    Raises
    ------
    NotImplementedError
        Neither form can compute the graph; the message names the primitive and the reason.
    """
    kind, reason, fallback = choose_kind(graph, prefer)
    if kind is None:
        raise NotImplementedError(f"native_potential: {reason}")
    if kind == "kernel":
        from .tier1 import KernelModule

        kernel = KernelModule(graph, "potential_kernel")
        made = _potential_source(kernel, dim)
        if not isinstance(made, str):
            source, buffers = made
            module = write_module("fx_nutspot", "fluxion_nutspot", source)
            if kernel.cacheable:
                job = CompileJob(*module, requires=((kernel.module_name, kernel.path),),
                                 opt_level=kernel.opt_level)
                return NativePotential("kernel", reason, [job], dim, buffers=tuple(buffers),
                                       fallback=fallback)
            return NativePotential("kernel", reason, [], dim, buffers=tuple(buffers),
                                   kernel=(kernel, module), fallback=fallback)
        # a constant the cfunc cannot take through a pointer: the tape, if it can
        from .tape import encode

        if encode(graph)[1]:
            raise NotImplementedError(f"native_potential: {made}")
        reason, fallback = f"no kernel potential: {made}", prefer == "kernel"
    from .tape import encode, machine_job

    tape, _ = encode(graph)
    return NativePotential("tape", reason, [machine_job()], dim, tape=tape, fallback=fallback)


def compile_all(jobs: list[CompileJob]) -> None:
    """Compile the missing jobs, side by side in processes (``cache.compile_in_processes``)."""
    compile_in_processes(jobs)


# --------------------------------------------------------------------------------------------
# The kernel's potential: a cfunc around the tier-1 kernel
# --------------------------------------------------------------------------------------------

_POTENTIAL_TEMPLATE = """# abi {abi}
import numpy as np
import numba
from numba import types
from {kernel_module} import {kernel} as _kernel
from fluxion._src.codegen.native_abi import as_voidptr

_SIG = types.float64(types.CPointer(types.float64), types.CPointer(types.float64), types.voidptr)


@numba.cfunc(_SIG, cache={cache}, error_model="numpy")
def potential(q_ptr, g_ptr, ctx):
    q = numba.carray(q_ptr, ({dim},))
{unpack}    out = numba.carray(g_ptr, ({dim},))
{pack}    try:
        value, grad = _kernel(*kargs)
    except Exception:  # e.g. a singular matrix: reject the point, as Stan does
        return np.nan
    for i in range({dim}):
        out[i] = grad[i]
    return value
"""


_TUPLE_CHUNK = 24  # items per tuple display in generated numba code (CPython's limit is 30)


def _potential_source(kernel: Any, dim: int) -> tuple[str, list] | str:
    """The cfunc module's source and the constants' buffers, or why not (a constant that
    cannot pass through a pointer: complex, object, a Python object)."""
    from . import native_abi

    lines, args, buffers = [], [], []
    for i, c in enumerate(kernel.consts):
        if isinstance(c, np.ndarray):
            if c.dtype.kind not in "biuf":
                return f"a constant of dtype {c.dtype} cannot pass to a kernel potential"
            # a C-ordered copy of a view (e.g. a transposed matrix): the cfunc hands the
            # kernel a C array (numba specializes the kernel for it)
            buf = np.ascontiguousarray(c)
            shape = "(" + "".join(f"{n}, " for n in c.shape) + ")"
            lines.append(
                f"    k{i} = numba.carray(as_voidptr(addrs[{i}]), {shape}, np.{c.dtype.name})\n"
            )
        elif isinstance(c, np.generic) and c.dtype.kind in "biuf":
            buf = np.array([c])
            lines.append(
                f"    k{i} = numba.carray(as_voidptr(addrs[{i}]), (1,), np.{c.dtype.name})[0]\n"
            )
        else:
            return f"a constant of type {type(c).__name__} cannot pass to a kernel potential"
        buffers.append(buf)
        args.append(f"k{i}")
    if buffers:
        lines.insert(0, f"    addrs = numba.carray(ctx, ({len(buffers)},), np.int64)\n")
    # The constants reach the kernel as one tuple built before the ``try``, in chunks of at
    # most _TUPLE_CHUNK: CPython 3.11 compiles a call or tuple display of more than 30 items
    # to BUILD_LIST ... LIST_TO_TUPLE, which numba rewrites only outside a try block
    # (measured: the annotation example with 31 constants failed to type and ran on the
    # Python NUTS).
    # (``_kernel(q, *kargs)`` is no way out: it builds a list as well; ``_kernel(*kargs)`` with
    # q in the tuple is a plain CALL_FUNCTION_EX)
    args.insert(0, "q")
    chunks = [args[i:i + _TUPLE_CHUNK] for i in range(0, len(args), _TUPLE_CHUNK)]
    pack = "    kargs = " + " + ".join("(" + ", ".join(c) + ",)" for c in chunks) + "\n"
    source = _POTENTIAL_TEMPLATE.format(
        abi=digest_of(native_abi.__file__),
        kernel_module=kernel.module_name,
        kernel=kernel.name,
        cache="True" if kernel.cacheable else "False",
        dim=dim,
        unpack="".join(lines),
        pack=pack,
    )
    return source, buffers
