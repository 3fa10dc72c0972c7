"""NUTS with no Python per leapfrog step — nor per draw: whole chains in numba.

Two compiled pieces meet through a C function pointer:

* the *core* (``_nuts_core.py``): NUTS, the warm-ups and the chain loop, written once for
  every model. It is compiled once per cache directory (a few seconds) and then loaded from
  numba's disk cache (``config.cache_dir/numba``).
* the *potential*: a numba ``cfunc`` ``double f(double *q, double *grad, void *context)`` made
  per model around the model's tier-1 kernel (the jitted value-and-gradient); the context holds
  the addresses of the kernel's constant arrays (the data). Compiling it costs little more than
  the kernel itself, which the jit compiles anyway.

With ``config.mcmc_compiled_nuts = "auto"`` (the default), a run that finds no compiled core on
disk starts a detached process that compiles it and samples with the Python NUTS meanwhile;
``True`` compiles here and now; ``False`` never uses the compiled path.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from typing import Any

import numpy as np

__all__ = ["CompiledNuts", "compiled_nuts", "load_core"]

_CORE_SOURCE = os.path.join(os.path.dirname(__file__), "_nuts_core.py")
_CORE_TEXT: str | None = None

# explicit signatures of the core's entry points: compiling exactly these (in the background
# process, or here) fills numba's cache for every later run, whatever the model
_F1, _F2, _F3 = "float64[::1]", "float64[:, ::1]", "float64[:, :, ::1]"
_SIGNATURES = {
    # (fn, ctx, q, grad, metric, scalars, workspace, ...): see _nuts_core
    "init_chain": f"void(int64, int64, {_F1}, {_F1}, {_F2}, {_F1}, {_F2}, int64)",
    "run_chain": (
        f"float64(int64, int64, {_F1}, {_F1}, {_F2}, {_F1}, {_F2}, {_F3}, {_F2}, int64, int64, "
        f"int64, int64, float64, float64, int64, int64, int64[::1], {_F2}, {_F2})"
    ),
    "init_nutpie": f"void(int64, int64, {_F1}, {_F1}, {_F2}, {_F1}, {_F3}, {_F2}, int64, float64)",
    "run_chain_nutpie": (
        f"float64(int64, int64, {_F1}, {_F1}, {_F2}, {_F1}, {_F2}, {_F3}, {_F3}, int64, int64, "
        f"int64, int64, float64, float64, int64, int64, float64, float64, {_F2}, {_F2})"
    ),
}


def _core_path() -> tuple[str, str]:
    """(module name, file path) of the core's copy in the cache directory."""
    import numba

    from ..codegen.numba_tier import write_module

    global _CORE_TEXT
    if _CORE_TEXT is None:  # read once: the core a process uses does not change under it
        with open(_CORE_SOURCE) as fh:
            _CORE_TEXT = fh.read()
    source = _CORE_TEXT
    # numba's version goes into the digest: a new numba compiles into a fresh cache entry
    return write_module("fx_nutscore", "fluxion_nutscore", f"# numba {numba.__version__}\n{source}")


def _import(name: str, path: str) -> Any:
    """The module, imported once per process (core and potentials have no injected state)."""
    if name in sys.modules:
        return sys.modules[name]
    from ..codegen.numba_tier import load_module

    return load_module(name, path)


# the entry points each warm-up uses: a run loads (from numba's cache) only its own pair
ENTRY_POINTS = {"stan": ("init_chain", "run_chain"), "nutpie": ("init_nutpie", "run_chain_nutpie")}
_LOAD_LOCK = threading.Lock()


def _compile_core(module: Any, names: tuple = tuple(_SIGNATURES)) -> None:
    """Compile (or load from numba's disk cache) the entry points ``names`` with their
    explicit signatures, once per process."""
    with _LOAD_LOCK:  # chains in threads may ask at once
        loaded = module.__dict__.setdefault("_fx_loaded", set())
        for fname in names:
            if fname not in loaded:
                getattr(module, fname).compile(_SIGNATURES[fname])
                loaded.add(fname)


def _marker(path: str) -> str:
    # numba's cache may live elsewhere (NUMBA_CACHE_DIR): the marker is per cache location
    return (
        path
        + "."
        + hashlib.sha1(os.environ.get("NUMBA_CACHE_DIR", "").encode()).hexdigest()[:8]
        + ".tape.compiled"  # the core and the tape machine both
    )


_STARTED: set = set()

_CHILD = """
import importlib.util, os, sys
def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
mod = load({name!r}, {path!r})
for fname, sig in {sigs!r}.items():
    getattr(mod, fname).compile(sig)
load(*{machine!r})  # the tape machine's cfunc (cached)
if not os.path.exists({marker!r}):
    open({marker!r}, "w").close()
for name, path, marker in {extra!r}:  # a model's kernel, then its potential cfunc (cached)
    load(name, path)
    if marker:
        open(marker, "w").close()
"""


def load_core(mode: Any = "auto", extra: tuple = ()) -> Any | None:
    """The compiled core module, or None (mode False; "auto" while it compiles elsewhere).

    ``extra``: (module name, path, marker) triples a background compile also imports once the
    core is compiled (a model's kernel and potential, so that the next run finds them cached
    too); the marker file is created after its module loaded ("" for none).
    """
    if mode is False:
        return None
    try:
        name, path = _core_path()
    except ImportError:  # no numba
        return None
    marker = _marker(path)
    compiled = os.path.exists(marker)
    if not compiled and mode == "auto":
        if name not in sys.modules or not getattr(sys.modules[name], "_fx_compiled", False):
            compile_in_background(extra)
            return None
    module = _import(name, path)
    if not compiled and not getattr(module, "_fx_compiled", False):
        _compile_core(module)  # every entry point, here and now (mode True)
        from ..codegen.tape import load_machine

        load_machine()
        open(marker, "w").close()
    module._fx_compiled = True
    # with the marker, entry points load from numba's cache when a run first needs them
    # (CompiledNuts.prepare): a run with Stan's warm-up never loads nutpie's pair
    return module


def compile_in_background(extra: tuple = ()) -> None:
    """Start a detached process that compiles (and so caches) the core and the tape machine,
    then imports the ``extra`` (module name, path, marker) triples (a model's kernel and
    potential). Once per process for the core; once per module for the extras."""
    import subprocess

    from ..codegen.tape import machine_path

    name, path = _core_path()
    todo = tuple(e for e in extra if e[1] not in _STARTED)
    if path in _STARTED and not todo:
        return
    _STARTED.update([path, *(e[1] for e in todo)])
    script = _CHILD.format(
        name=name,
        path=path,
        sigs=_SIGNATURES,
        marker=_marker(path),
        machine=machine_path(name),
        extra=todo,
    )
    proc = subprocess.Popen(  # noqa: S603 (our own interpreter and generated script)
        [sys.executable, "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if not _BACKGROUND:
        import atexit

        atexit.register(_leave_running)
    _BACKGROUND.append(proc)


_BACKGROUND: list = []


def _leave_running() -> None:
    """At exit: a compile still running is left to finish on its own (it is detached, in its
    own session); marking it as reaped keeps Popen from warning "still running"."""
    for proc in _BACKGROUND:
        if proc.poll() is None:
            proc.returncode = 0


# --------------------------------------------------------------------------------------------
# The per-model potential: a cfunc around the tier-1 kernel
# --------------------------------------------------------------------------------------------

_POTENTIAL_TEMPLATE = """
import numpy as np
import numba
from numba import types
from {kernel_module} import {kernel} as _kernel
from {core_module} import as_voidptr

_SIG = types.float64(types.CPointer(types.float64), types.CPointer(types.float64), types.voidptr)


@numba.cfunc(_SIG, cache={cache}, error_model="numpy")
def potential(q_ptr, g_ptr, ctx):
    q = numba.carray(q_ptr, ({dim},))
{unpack}    out = numba.carray(g_ptr, ({dim},))
    try:
        value, grad = _kernel(q{args})
    except Exception:  # e.g. a singular matrix: reject the point, as Stan does
        return np.nan
    for i in range({dim}):
        out[i] = grad[i]
    return value
"""


class CompiledNuts:
    """The core plus one model's potential: what ``sample`` needs to run chains in numba.

    Attributes
    ----------
    core : module
        ``_nuts_core`` compiled.
    fn : int
        Address of the potential: the model's cfunc, or the tape machine's ``potential``.
    ctx : int
        The cfunc's context (its constants' addresses); 0 with a tape (see ``context``).
    tape : Tape or None
        The model's tape when the tape machine runs it (``potential == "tape"``).
    potential : {"kernel", "tape"}
    later : tuple
        (module name, path, marker) of the model's kernel and potential, for a background
        compile after the run (``compile_later``); empty when nothing is pending.
    """

    def __init__(
        self,
        core: Any,
        fn: int,
        ctx_array: np.ndarray | None,
        keep: tuple,
        tape: Any = None,
        dim: int = 0,
        later: tuple = (),
    ) -> None:
        self.core = core
        self.fn = fn
        self._ctx_array = ctx_array
        self.ctx = int(ctx_array.ctypes.data) if ctx_array is not None and ctx_array.size else 0
        self._keep = keep  # the constants' buffers must outlive every call
        self.tape = tape
        self.dim = dim
        self.potential = "tape" if tape is not None else "kernel"
        self.later = later

    def context(self) -> tuple[int, Any]:
        """(address, owner) of one chain's context: the shared constants of a kernel, or a
        tape's own memory (chains in threads must not share it); keep ``owner`` alive while
        the chain runs."""
        if self.tape is None:
            return self.ctx, None
        from ..codegen.tape import TapeContext

        ctx = TapeContext(self.tape, self.dim)
        return ctx.address, ctx

    def prepare(self, adaptation: str) -> None:
        """Load the entry points of this warm-up ("stan" or "nutpie") from numba's cache."""
        _compile_core(self.core, ENTRY_POINTS[adaptation])

    def workspace(self, d: int, max_depth: int) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((self.core.N_WORK_ROWS, d)), np.zeros((max(max_depth, 1), 3, d))

    def compile_later(self) -> None:
        """Compile the model's kernel and potential in a detached process (for the next run in
        a new process), if this run used the tape for want of them."""
        if self.later:
            compile_in_background(self.later)
            self.later = ()


def _potential_source(code: Any, dim: int, core_module: str) -> tuple[str, list] | None:
    """The cfunc module's source and the constants' buffers, or None (a constant we cannot
    pass through a pointer: complex, object, a Python object)."""
    lines, args, buffers = [], [], []
    for i, c in enumerate(code.consts):
        if isinstance(c, np.ndarray):
            if c.dtype.kind not in "biuf":
                return None
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
            return None
        buffers.append(buf)
        args.append(f", k{i}")
    if buffers:
        lines.insert(0, f"    addrs = numba.carray(ctx, ({len(buffers)},), np.int64)\n")
    source = _POTENTIAL_TEMPLATE.format(
        kernel_module=code.module_name,
        kernel=code.name,
        core_module=core_module,
        cache="True" if code.cacheable else "False",
        dim=dim,
        unpack="".join(lines),
        args="".join(args),
    )
    return source, buffers


def compiled_nuts(
    jitted: Any, dim: int, mode: Any = "auto", potential: str = "auto"
) -> CompiledNuts | None:
    """The compiled NUTS for a jitted value-and-gradient of a flat ``(dim,)`` vector, or None
    (numba missing, the function has value guards or reaches neither the tape nor tier 1, the
    core not compiled yet in "auto" mode, constants of a kind the potential cannot take).

    Call it after ``jitted`` has traced (a first call) and before it has compiled tier 1: this
    decides how the model reaches the core (``config.mcmc_potential``):

    * its numba cfunc around the tier-1 kernel, when that is compiled on disk already (the
      fastest per call), or always with ``potential="kernel"``;
    * else its tape on the tape machine (``tape.py``): no compile at all for a new model. The
      kernel and cfunc are then compiled by a detached process after the run
      (``CompiledNuts.compile_later``) so that the next process finds them ("auto" only).

    ``jitted`` is promoted to tier 1 whenever the kernel will be needed in this process (the
    cfunc calls it; the Python NUTS uses it when the core is not there). An exception inside
    the kernel (a singular matrix in ``solve``...) or a singular matrix on the tape makes the
    potential return NaN, which the core treats as a point outside the support (the proposal
    is rejected, as Stan does)."""
    if mode is False:
        return None
    try:
        entry = next(iter(jitted._cache.values()))
        spec = entry.specs[-1]
    except (AttributeError, StopIteration, IndexError):
        return None
    if spec.guards:
        # value guards (Python branches on traced values): leaving the traced branch needs a
        # new trace, which only the Python-driven NUTS can make
        jitted.compile(tier=1)
        return None
    try:
        core_name, _ = _core_path()
    except ImportError:  # no numba
        return None
    from ..codegen.numba_tier import KernelModule, write_module

    try:
        kernel = KernelModule(spec.graph, spec.name)
    except NotImplementedError:  # no numba lowering for some primitive
        kernel = None
    made = _potential_source(kernel, dim, core_name) if kernel is not None else None
    later: tuple = ()
    if made is not None:
        pot_name, pot_path = write_module("fx_nutspot", "fluxion_nutspot", made[0])
        if kernel.cacheable:
            later = ((kernel.module_name, kernel.path, ""), (pot_name, pot_path, _marker(pot_path)))
    cached = bool(later) and os.path.exists(later[1][2])
    if potential == "tape" or (potential == "auto" and not cached):
        from ..codegen.tape import encode, load_machine

        tape, _why = encode(spec.graph)
        if tape is not None:
            core = load_core(mode, later)
            if core is None:  # compiling in the background: the Python NUTS, on tier 1
                jitted.compile(tier=1)
                return None
            machine = load_machine()
            return CompiledNuts(
                core,
                int(machine.potential.address),
                None,
                (),
                tape=tape,
                dim=dim,
                later=later if potential == "auto" else (),
            )
    jitted.compile(tier=1)
    code = spec.numba_code
    if made is None or code is None or code.module_name not in sys.modules:
        return None
    core = load_core(mode, later)
    if core is None:
        return None
    module = _import(pot_name, pot_path)
    if later and not cached:
        open(later[1][2], "w").close()  # compiled here: numba cached kernel and cfunc
    _, buffers = made
    ctx = np.array([b.ctypes.data for b in buffers], dtype=np.int64)
    return CompiledNuts(core, int(module.potential.address), ctx, tuple(buffers))
