"""``fluxion.jit``: trace once per input signature, optimize the graph, run generated code.

Cache key: (tree structure, leaf shapes and dtypes, static arguments). A hit costs one
flatten and one dictionary lookup. Each cache entry holds one or more *specializations*: the
graph traced on the first call, plus one more per outcome of a Python branch on a traced value.
While tracing, ``bool(x)`` / ``int(x)`` of a staged value is answered with the value the traced
call actually has, and a *guard* equation records the assumption; the generated code checks it
and, when a later call disagrees, a new specialization is traced for that outcome (up to
``fluxion.config.jit_guard_limit``, then a ConcretizationError says to use lax.cond). Python
control flow therefore never gives a silently wrong answer under jit.

Under an outer transform (``grad(jit(f))``, ``jvp``, ``vmap``) the jitted function is the call
primitive ``jit_call``; its rules are themselves jitted functions of the transformed original
function (jvp, vjp with rematerialization, vmap), each with its own cache.

Device arrays (CuPy, or a registered namespace): the cache key holds each array leaf's type
and device unit, so a device call gets an entry of its own whose specializations run the
*device form* of tier 0 (``codegen/numpy_tier.py``: the same source on the device namespace,
captured constants copied to the device once). Tier 1 (numba) is host-only: a device entry
never promotes, and no device array is moved to the host. Under an outer transform the key
sees tracers only, so ``jit_call``'s impl looks at the values: device values run the entry's
sibling for their device (the same graphs, compiled for the device once).
"""

from __future__ import annotations

import functools
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backend import Placement, is_device_array, namespace_of, placement_of
from .config import FrozenValueWarning, PerformanceWarning, config
from .core import (
    ConcretizationError,
    Primitive,
    ShapedArray,
    Tracer,
    Zero,
    _state,
    aval_of,
    run_at,
)
from .ir.graph import Eqn, Graph, Lit, gc_paused
from .ir.passes import optimize
from .ir.reroll import reroll
from .ir.staging import StagingTracer, register_inline, trace_to_graph
from .tree_util import tree_flatten, tree_unflatten

__all__ = ["jit", "JitFunction", "GuardFailure", "jit_call_p", "guard_p"]


class GuardFailure(Exception):
    """Raised by generated code when a value guard does not hold (internal)."""


# --------------------------------------------------------------------------------------------
# guard primitive: checks the value a Python branch assumed while tracing
# --------------------------------------------------------------------------------------------


def _guard_impl(x: Any, *, kind: str, expected: Any) -> None:
    if kind == "array":  # the whole value of an integer/boolean array (see _GuardRecorder)
        if type(x) is not np.ndarray and is_device_array(x):
            # a guard reads the value on the host, as bool()/int() do (a synchronising copy)
            x = namespace_of(x).asnumpy(x)
        if not np.array_equal(x, expected):
            raise GuardFailure(kind, expected)
        return
    value = bool(x) if kind == "bool" else int(x)
    if value != expected:
        raise GuardFailure(kind, expected)


guard_p = Primitive("guard", _guard_impl)
guard_p.abstract_eval = lambda aval, *, kind, expected: ShapedArray((), np.dtype(bool))


# --------------------------------------------------------------------------------------------
# jit_call: a jitted function under an outer transform
# --------------------------------------------------------------------------------------------

jit_call_p = Primitive("jit_call", multiple_results=True)

# why a specialization on a device never reaches tier 1 (.tier_info shows it)
_HOST_ONLY_TIER1 = "tier 1 (numba) compiles for the host; device {} runs the device form of tier 0"


def _jit_call_impl(*args: Any, entry: CacheEntry) -> Any:
    # under grad/vmap the arguments are the primals of tracers, whose device the cache key
    # (avals only) does not see: device values run the entry's form for their device
    placement = placement_of(*args, what="jit")
    here = entry.placement
    if placement is None if here is None else placement is not None and here.key == placement.key:
        return entry.run(args)
    return entry.on_device(placement).run(args)


jit_call_p.impl = _jit_call_impl
jit_call_p.abstract_eval = lambda *avals, entry: list(entry.out_avals(avals))


def _jit_call_inline(*args: Any, entry: Any) -> Any:
    # under staging (jit inside jit): trace the original function inline
    return tuple(entry.flat_fun(*args))


register_inline(jit_call_p, _jit_call_inline)


def _jit_call_jvp(primals: Any, tangents: Any, *, entry: Any) -> Any:
    tangents = [t.instantiate() if type(t) is Zero else t for t in tangents]
    outs, out_ts = entry.jvp_jit()(tuple(primals), tuple(tangents))
    return tuple(outs), tuple(out_ts)


def _jit_call_vjp(g: Any, ans: Any, *args: Any, entry: Any) -> Any:
    cts = tuple(t.instantiate() if type(t) is Zero else t for t in g)
    return tuple(entry.vjp_jit()(tuple(args), cts))


def _jit_call_batch(args: Any, dims: Any, *, axis_size: int, entry: Any) -> Any:
    # a compiled vmap of the original function, cached per (mapped axes, batch size)
    key = (tuple(dims), axis_size)
    batched = entry._batch.get(key)
    if batched is None:
        from .batching import vmap

        flat_fun = entry.flat_fun
        mapped = vmap(lambda *a: tuple(flat_fun(*a)), in_axes=tuple(dims), axis_size=axis_size)
        batched = entry._batch[key] = JitFunction(
            mapped, name=f"vmap_{entry.owner.__name__}", root=entry.owner
        )
    out = batched(*args)
    return tuple(out), (0,) * len(out)


jit_call_p.jvp = _jit_call_jvp
jit_call_p.vjp = _jit_call_vjp
jit_call_p.batch = _jit_call_batch


# --------------------------------------------------------------------------------------------
# NumPy random draws while tracing: their values would be frozen into the compiled function
# --------------------------------------------------------------------------------------------
#
# NumPy's generators are C types whose methods cannot be wrapped (immutable types) and whose
# calls are invisible to sys.setprofile (Cython functions make no frames). So the watch looks
# at what a draw leaves behind: the state of a bit generator advances. Before tracing it
# snapshots the states of the generators the function can reach (NumPy's global legacy
# RandomState behind ``np.random.normal`` & co., and Generator / RandomState / BitGenerator
# objects among the function's globals, closure cells, defaults, bound ``self`` attributes
# and ``functools.partial`` arguments), and while tracing it records the bit generators that
# ``np.random.default_rng(...)`` / ``np.random.RandomState(...)`` create (the constructors they
# call, ``numpy.random._generator.PCG64`` and ``numpy.random.mtrand._MT19937``, are replaced
# for the duration by stand-ins that return the real objects and pass isinstance checks).
# After tracing, any changed state means a draw was frozen. Draws made by fluxion itself
# (fluxion.random's keyed samplers, evaluated while recording value guards) are not counted:
# the constructor stand-ins ignore calls from fluxion._src and keyed draws use fresh
# generators the snapshot never sees. Limits: a generator reached only through an object
# attribute deeper than one level, or one created in another thread, is not seen.

_SRC_DIR = __file__.rsplit("/", 1)[0]

# An automatic promotion whose numba compile is estimated to take longer than this (a graph of
# about 200 equations, see codegen.tier1.estimated_compile_seconds) waits until the
# specialization has spent as long on tier 0 (Specialization.defer_costly_compile).
COSTLY_COMPILE_SECONDS = 10.0

_BACKGROUND_COMPILES: list = []  # the threads of automatic promotions (threading.Thread)


def wait_for_background_compiles(timeout: float | None = None) -> bool:
    """Wait until the automatic promotions' numba compiles have finished; whether all did.

    For a process that is about to parse Python source on its main thread (pytest's
    assertion rewriting of a late import): CPython 3.11 keeps ``ast`` construction's recursion
    count per interpreter, not per thread, so a numba compile parsing source in a background
    thread at the same time fails one of them with "SystemError: AST constructor recursion
    depth mismatch" (seen once at the end of a test session).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    for thread in list(_BACKGROUND_COMPILES):
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        thread.join(left)
    return not any(t.is_alive() for t in _BACKGROUND_COMPILES)


_watch_lock = __import__("threading").Lock()
_watch_depth = 0
_watch_local = __import__("threading").local()


def _random_types() -> tuple:
    return (np.random.Generator, np.random.RandomState, np.random.BitGenerator)


def _state_of(obj: Any) -> Any:
    """A copy of a generator's state (a legacy RandomState's includes its cached Gaussian,
    so a draw served from that cache counts too)."""
    import copy

    if isinstance(obj, np.random.RandomState):
        return copy.deepcopy(obj.get_state(legacy=False))
    if isinstance(obj, np.random.Generator):
        obj = obj.bit_generator
    return copy.deepcopy(obj.state)


def _same_state(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_same_state(a[k], b[k]) for k in a)
        )
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    return bool(a == b)


class _RecordingMeta(type):
    """Metaclass of the constructor stand-ins: isinstance/issubclass answer for the original."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._original)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return issubclass(sub, cls._original)


def _recording_standin(original: type) -> type:
    def __new__(cls: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
        obj = original(*args, **kwargs)
        created = getattr(_watch_local, "created", None)
        if created is not None and not sys._getframe(1).f_code.co_filename.startswith(_SRC_DIR):
            created.append((obj, _state_of(obj)))
        return obj

    return _RecordingMeta(original.__name__, (), {"_original": original, "__new__": __new__})


_PATCHES = (("numpy.random._generator", "PCG64"), ("numpy.random.mtrand", "_MT19937"))
_saved: list = []


def _install_standins() -> None:
    global _watch_depth
    import importlib

    with _watch_lock:
        if _watch_depth == 0:
            for modname, attr in _PATCHES:
                try:
                    mod = importlib.import_module(modname)
                    original = getattr(mod, attr)
                except (ImportError, AttributeError):  # another NumPy layout: skip that one
                    continue
                _saved.append((mod, attr, original))
                setattr(mod, attr, _recording_standin(original))
        _watch_depth += 1


def _remove_standins() -> None:
    global _watch_depth
    with _watch_lock:
        _watch_depth -= 1
        if _watch_depth == 0:
            while _saved:
                mod, attr, original = _saved.pop()
                setattr(mod, attr, original)


def _reachable_generators(fun: Any) -> list:
    """Generator-like objects the traced function can reach (see the comment above)."""
    types = _random_types()
    found: dict[int, Any] = {}
    legacy = getattr(getattr(np.random, "mtrand", None), "_rand", None)
    if legacy is not None:
        found[id(legacy)] = legacy

    def add(values: Any) -> None:
        for v in values:
            if isinstance(v, types):
                found[id(v)] = v

    seen: set = set()
    todo = [fun]
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if isinstance(f, functools.partial):
            add(f.args)
            add(f.keywords.values())
            todo.append(f.func)
            continue
        if isinstance(f, JitFunction):
            todo.append(f.fun)
            continue
        owner = getattr(f, "__self__", None)
        if owner is not None and hasattr(owner, "__dict__"):
            add(vars(owner).values())
        f = getattr(f, "__func__", f)
        glb = getattr(f, "__globals__", None)
        if isinstance(glb, dict):
            add(glb.values())
        for cell in getattr(f, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            add((value,))
            if callable(value):
                todo.append(value)
        add(getattr(f, "__defaults__", None) or ())
        kwdefaults = getattr(f, "__kwdefaults__", None)
        if kwdefaults:
            add(kwdefaults.values())
        wrapped = getattr(f, "__wrapped__", None)
        if wrapped is not None:
            todo.append(wrapped)
    return list(found.values())


class _RandomWatch:
    """Context manager around one trace; ``.drawn`` names a generator whose state advanced."""

    def __init__(self, fun: Any) -> None:
        self.fun = fun
        self.drawn: str | None = None

    def __enter__(self) -> _RandomWatch:
        self.before = [(g, _state_of(g)) for g in _reachable_generators(self.fun)]
        self.outer = getattr(_watch_local, "created", None)
        _watch_local.created = []
        _install_standins()
        return self

    def __exit__(self, *exc: Any) -> None:
        created = _watch_local.created
        _remove_standins()
        _watch_local.created = self.outer
        if self.outer is not None:  # a trace inside a trace: the outer one checks these too
            self.outer.extend(created)
        for g, state in self.before:
            if not _same_state(_state_of(g), state):
                if g is getattr(np.random.mtrand, "_rand", None):
                    self.drawn = "numpy.random's global generator (np.random.<function>)"
                else:
                    self.drawn = f"a {type(g).__name__} captured by the function"
                return
        for b, state in created:
            if not _same_state(_state_of(b), state):
                self.drawn = "a generator created inside the function (default_rng / RandomState)"
                return


def _warn_frozen_random(owner: JitFunction, drawn: str) -> None:
    root = owner._root
    if root._random_warned:
        return
    root._random_warned = True
    warnings.warn(
        f"jit({root.__name__}): a NumPy random draw ({drawn}) ran while the function was "
        "traced, so its value is frozen into the compiled function: every call returns the "
        "same numbers. Use fluxion.random with an explicit key passed as an argument "
        "(key = fluxion.random.key(0); k1, k2 = fluxion.random.split(key); "
        "fluxion.random.normal(k1, shape)), or draw outside the jitted function and pass the "
        "draws in",
        FrozenValueWarning,
        stacklevel=4,
    )


def _warn_stays_on_tier0(owner: JitFunction, spec: Specialization) -> None:
    """Tier 1 was asked for (``tier=1``, ``compile(tier=1)``, ``config.jit_tier = 1``) and
    ``spec`` could not be promoted: say so once per function (the standing rule: no silent
    slower path). Automatic promotion after hot calls stays quiet: tier 0 is its default."""
    root = owner._root
    if spec.tier == 1 or spec.promotion in (None, "running", "done") or root._tier0_warned:
        return
    root._tier0_warned = True
    warnings.warn(
        f"jit({root.__name__}): tier 1 (numba) was requested but this specialization runs on "
        f"tier 0 (generated NumPy source): {spec.promotion}. .tier_info() lists every "
        "specialization's tier",
        PerformanceWarning,
        stacklevel=4,
    )


# --------------------------------------------------------------------------------------------
# Specializations and cache entries
# --------------------------------------------------------------------------------------------


class Specialization:
    """One traced graph of an entry (one outcome of its Python branches) and its code.

    ``run`` is the active tier's function: tier 0 (NumPy source) at first, swapped for the
    numba kernel (tier 1) once it is compiled.
    """

    __slots__ = (
        "graph",
        "raw_graph",
        "code",
        "guards",
        "run",
        "tier",
        "calls",
        "numba_code",
        "promotion",
        "name",
        "rent",
        "rent_due",
    )

    def __init__(self, graph: Graph, raw_graph: Graph, code: Any, name: str) -> None:
        self.graph = graph
        self.raw_graph = raw_graph
        self.code = code
        self.guards = sum(1 for e in graph.eqns if e.prim is guard_p)
        self.run = code.fn
        self.tier = 0
        self.calls = 0
        self.numba_code = None
        self.promotion: str | None = None  # None, "running", "done" or the reason it failed
        self.name = name
        # A deferred automatic promotion (see ``defer_costly_compile``): the seconds spent on
        # tier 0 since it was deferred, and the estimated compile seconds they must reach.
        self.rent = 0.0
        self.rent_due: float | None = None

    def promote(self, example_args: Sequence, background: bool, automatic: bool = False) -> None:
        """Compile tier 1 (numba) and switch to it; in a thread if ``background``.

        ``automatic`` (the hot-call promotion): a compile estimated to cost more than
        ``COSTLY_COMPILE_SECONDS`` and not in numba's disk cache is deferred instead (see
        ``defer_costly_compile``).
        """
        if self.promotion is not None:
            return
        from .codegen.numba_tier import numba_available
        from .codegen.tier1 import lowerable

        if not numba_available():
            self.promotion = "numba is not installed (pip install numba)"
            return
        missing = lowerable(self.graph)
        if missing:
            self.promotion = f"no numba lowering for {', '.join(missing)}"
            return
        if automatic and self.defer_costly_compile():
            return
        self.rent_due = None
        self.promotion = "running"
        args = tuple(example_args)
        if background:
            import threading

            thread = threading.Thread(target=self._compile_tier1, args=(args,), daemon=True)
            _BACKGROUND_COMPILES[:] = [t for t in _BACKGROUND_COMPILES if t.is_alive()]
            _BACKGROUND_COMPILES.append(thread)
            thread.start()
        else:
            self._compile_tier1(args)

    def defer_costly_compile(self) -> bool:
        """Whether to keep running tier 0 for now, paying rent before buying the compile.

        A long straight-line kernel can take numba minutes to compile cold (a 778-line VI
        step measured 295 s), far more than a fit spends on tier 0; in a background thread it
        also holds numba's compiler lock and a core. The ski-rental rule: keep renting (tier 0)
        until the time spent on it reaches the estimated compile time, then buy (compile) --
        never more than twice the cost of the better choice made in hindsight. Cheap compiles
        and kernels already in numba's disk cache are bought at once.
        """
        from .codegen.cache import is_compiled
        from .codegen.tier1 import TIER1_ENTRY, KernelModule, estimated_compile_seconds

        estimate = estimated_compile_seconds(self.graph)
        if estimate < COSTLY_COMPILE_SECONDS:
            return False
        written = KernelModule(self.graph, self.name)
        if written.cacheable and is_compiled(written.path, TIER1_ENTRY):
            return False
        self.rent, self.rent_due = 0.0, estimate
        return True

    def _compile_tier1(self, args: tuple) -> None:
        from .codegen.cache import mark_compiled
        from .codegen.tier1 import TIER1_ENTRY, compile_numba

        try:
            code = compile_numba(self.graph, self.name)
            code.fn(*args)  # numba compiles for these argument types now
        except GuardFailure:
            pass  # compiled; these arguments just take another specialization
        except Exception as err:  # keep running tier 0; say why on .tier_info
            self.promotion = f"numba failed: {type(err).__name__}: {err}"
            return
        if code.cacheable:  # a later process loads it instead of compiling: no deferral
            mark_compiled(code.path, TIER1_ENTRY)
        self.numba_code = code
        self.run = code.fn
        self.tier = 1
        self.promotion = "done"


class _GuardRecorder:
    """The staging trace's guard hook: evaluates the partial graph on the concrete inputs."""

    def __init__(self, trace_args: list) -> None:
        self.args = trace_args
        self.values: dict[int, Any] = {}
        self.done = 0
        self.trace = None

    def __call__(self, tracer: StagingTracer, kind: str) -> Any:
        trace = tracer._trace
        if not self.values:
            for v, x in zip(trace.in_vars, self.args, strict=True):
                self.values[id(v)] = x
        with run_at(None), np.errstate(all="ignore"):
            for eqn in trace.eqns[self.done :]:
                if eqn.prim is guard_p:
                    continue
                ins = [a.val if type(a) is Lit else self.values[id(a)] for a in eqn.inputs]
                out = eqn.prim.impl(*ins, **eqn.params)
                if eqn.prim.multiple_results:
                    for v, o in zip(eqn.outs, out, strict=True):
                        self.values[id(v)] = o
                else:
                    self.values[id(eqn.outs[0])] = out
        self.done = len(trace.eqns)
        var = tracer.var
        concrete = var.val if type(var) is Lit else self.values[id(var)]
        if kind == "array":
            # NumPy converted a traced integer/boolean array to an ndarray (a captured NumPy
            # array indexed by it, np.asarray(i)): the traced call's value, guarded whole
            if type(concrete) is not np.ndarray and is_device_array(concrete):
                concrete = namespace_of(concrete).asnumpy(concrete)
            value = np.array(concrete, copy=True)
            value.setflags(write=False)
        else:
            value = bool(concrete) if kind == "bool" else int(concrete)
        trace.eqns.append(Eqn(guard_p, [var], {"kind": kind, "expected": value}, []))
        self.done = len(trace.eqns)
        return value


class CacheEntry:
    """Everything jit keeps for one input signature."""

    __slots__ = (
        "owner",
        "flat_fun",
        "in_avals",
        "out_tree",
        "specs",
        "_jvp",
        "_vjp",
        "_batch",
        "_out_avals",
        "example_args",
        "placement",
        "_devices",
    )

    def __init__(
        self,
        owner: JitFunction,
        flat_fun: Callable,
        in_avals: list,
        placement: Placement | None = None,
    ) -> None:
        self.owner = owner
        self.flat_fun = flat_fun
        self.in_avals = in_avals
        self.out_tree = None
        self.specs: list[Specialization] = []
        self._jvp = self._vjp = None
        self._batch: dict = {}
        self._out_avals = None
        self.example_args: list | None = None
        # None: host values (tiers 0 and 1); else the device its specializations run on
        self.placement = placement
        self._devices: dict = {}  # device key -> this entry's sibling for that device

    def _specialize(self, graph: Graph, raw: Graph) -> Specialization:
        """A specialization of ``graph`` compiled for this entry's device (or the host)."""
        from .codegen.numpy_tier import compile_numpy

        owner = self.owner
        code = compile_numpy(graph, owner.__name__, self.placement)
        owner.compile_count += 1
        spec = Specialization(graph, raw, code, owner.__name__)
        if self.placement is not None:
            spec.promotion = _HOST_ONLY_TIER1.format(repr(self.placement.name))
        return spec

    def on_device(self, placement: Placement | None) -> CacheEntry:
        """This entry for values on ``placement``'s device (None: the host): the same graphs
        (no new trace), compiled once for the device (under an outer transform, where the
        cache key sees tracers only)."""
        key = None if placement is None else placement.key
        sibling = self._devices.get(key)
        if sibling is None:
            sibling = CacheEntry(self.owner, self.flat_fun, self.in_avals, placement)
            sibling.out_tree = self.out_tree
            sibling._out_avals = self._out_avals
            for spec in self.specs:
                sibling.specs.append(sibling._specialize(spec.graph, spec.raw_graph))
            self._devices[key] = sibling
        return sibling

    def trace(self, concrete_args: list | None) -> Specialization:
        """Trace the function once more (with guards from ``concrete_args`` if given)."""
        with gc_paused():
            return self._trace(concrete_args)

    def _trace(self, concrete_args: list | None) -> Specialization:
        owner = self.owner
        recorder = _GuardRecorder(concrete_args) if concrete_args is not None else None
        if concrete_args is not None and self.example_args is None:
            self.example_args = list(concrete_args)
        owner.trace_count += 1
        with _RandomWatch(owner._root.fun) as watch:
            raw, _ = trace_to_graph(
                lambda *a: self.flat_fun(*a),
                self.in_avals,
                tree_flatten(tuple(self.in_avals))[1],
                transform="jit",
                guard_hook=recorder,
            )
        if watch.drawn is not None:
            _warn_frozen_random(owner, watch.drawn)
        self.out_tree = self.flat_fun.out_tree  # the user function's own output structure
        graph = optimize(raw)
        if config.jit_reroll_loops:  # unrolled Python loops back into scans (ir/reroll.py)
            graph = reroll(graph)
        spec = self._specialize(graph, raw)
        self.specs.append(spec)
        self._out_avals = graph.out_avals
        if owner.requested_tier() == 1 and concrete_args is not None:
            spec.promote(concrete_args, background=False)
            _warn_stays_on_tier0(owner, spec)
        return spec

    def out_avals(self, avals: Any) -> list:
        if self._out_avals is None:
            self.trace(None)
        return self._out_avals

    def run(self, args: Sequence) -> tuple:
        specs = self.specs
        for spec in specs:
            renting = spec.rent_due is not None  # a deferred costly compile: time tier 0
            start = time.perf_counter() if renting else 0.0
            try:
                out = spec.run(*args)
            except GuardFailure:
                continue
            if spec.tier == 0:
                spec.calls += 1
                if renting:
                    spec.rent += time.perf_counter() - start
                    if spec.rent >= spec.rent_due:
                        spec.promote(args, background=True)
                elif spec.calls == self.owner.hot_calls and spec.promotion is None:
                    spec.promote(args, background=True, automatic=True)
            return out
        if len(specs) >= config.jit_guard_limit:
            raise ConcretizationError(
                f"jit({self.owner.__name__}): a Python branch on traced values took a new "
                f"path after {len(specs)} specializations (fluxion.config.jit_guard_limit); "
                "use fluxion.lax.cond / fnp.where for value-dependent branches. A captured "
                "NumPy array indexed by a traced index (data[i]) is specialized on the index "
                "value too: use fnp.take(data, i) / fnp.asarray(data)[i] (a gather in the "
                "compiled code) or fnp.where(mask, data, 0) for a boolean mask"
            )
        if specs:
            warnings.warn(
                f"jit({self.owner.__name__}): a Python branch (or int(), or a traced index "
                "into a captured NumPy array) on a traced value took a new path; tracing "
                f"specialization {len(specs) + 1} for it",
                stacklevel=3,
            )
        concrete = [_concrete(a) for a in args]
        spec = self.trace(concrete)
        return spec.run(*args)

    # -- derived functions for outer transforms -------------------------------------------
    def jvp_jit(self) -> JitFunction:
        if self._jvp is None:
            from .api import jvp

            flat_fun = self.flat_fun

            def jvp_fun(primals: tuple, tangents: tuple) -> Any:
                idx = _float_positions(primals)

                def f(*float_vals: Any) -> tuple:
                    return tuple(flat_fun(*_fill(primals, idx, float_vals)))

                outs, out_ts = jvp(
                    f, tuple(primals[i] for i in idx), tuple(tangents[i] for i in idx)
                )
                return tuple(outs), tuple(out_ts)

            self._jvp = JitFunction(jvp_fun, name=f"jvp_{self.owner.__name__}", root=self.owner)
        return self._jvp

    def vjp_jit(self) -> JitFunction:
        if self._vjp is None:
            from .api import vjp

            flat_fun = self.flat_fun

            def vjp_fun(primals: tuple, cts: tuple) -> Any:
                # the forward pass is recomputed inside (rematerialized), all compiled
                idx = _float_positions(primals)

                def f(*float_vals: Any) -> tuple:
                    return tuple(flat_fun(*_fill(primals, idx, float_vals)))

                _, pullback = vjp(f, *(primals[i] for i in idx))
                grads = pullback(tuple(cts))
                out: list = [None] * len(primals)
                for i, g in zip(idx, grads):
                    out[i] = g
                return tuple(out)

            self._vjp = JitFunction(vjp_fun, name=f"vjp_{self.owner.__name__}", root=self.owner)
        return self._vjp


def _float_positions(values: Sequence) -> list[int]:
    """Positions of the float/complex values (the ones transforms differentiate)."""
    return [i for i, v in enumerate(values) if aval_of(v).dtype.kind in "fc"]


def _fill(values: Sequence, positions: list[int], replacements: Sequence) -> list:
    out = list(values)
    for i, r in zip(positions, replacements):
        out[i] = r
    return out


def _try_concrete(values: Sequence) -> list | None:
    """The concrete values under the tracers, or None if some have none (inside vmap/jit)."""
    try:
        return [_concrete(v) for v in values]
    except ConcretizationError:
        return None


def _concrete(x: Any) -> Any:
    while isinstance(x, Tracer):
        x = x.primal_value()
    return x


# --------------------------------------------------------------------------------------------
# The user-facing jitted function
# --------------------------------------------------------------------------------------------


# argument types that are always pytree leaves (the fast path of JitFunction._entry)
_PLAIN = frozenset({np.ndarray, float, np.float64})


def _leaf_key(x: Any) -> Any:
    t = type(x)
    if t is np.ndarray:
        return (x.shape, x.dtype)
    if t is float or t is int or t is bool or t is complex:
        return t
    if isinstance(x, Tracer):
        aval = x.aval
        return (aval.shape, aval.dtype)
    if isinstance(x, np.generic):
        return ((), x.dtype)
    shape = getattr(x, "shape", None)
    if shape is not None:  # another array type (CuPy): the device is part of the key
        unit = getattr(x, "device", None)
        return (tuple(shape), x.dtype, type(x), getattr(unit, "id", unit))
    return ("object", type(x))


def _leaf_aval(x: Any, where: str) -> ShapedArray:
    try:
        aval = aval_of(x)
    except TypeError:
        aval = None
    if aval is None or aval.dtype.kind not in "biufc":
        raise TypeError(
            f"jit: expected arrays or numbers as dynamic arguments, got {type(x).__name__} "
            f"{where}; mark the argument static with static_argnums / static_argnames"
        )
    return aval


class JitFunction:
    """A function compiled by :func:`jit` (call it like the original).

    Attributes
    ----------
    trace_count, compile_count, cache_hits : int
        How often the function was traced, compiled, and found in the cache (for tests).
    """

    def __init__(
        self,
        fun: Callable,
        static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (),
        name: str | None = None,
        tier: int | None = None,
        root: JitFunction | None = None,
    ) -> None:
        if tier not in (None, 0, 1):
            raise ValueError(f"jit: expected tier None, 0 or 1, got {tier!r}")
        self.fun = fun
        self._tier = tier
        self.static_argnums = (
            (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        )
        self.static_argnames = (
            (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        )
        self.__name__ = name or getattr(fun, "__name__", "fun")
        self.__doc__ = getattr(fun, "__doc__", None)
        self.__wrapped__ = fun
        self._cache: dict = {}
        self._plain_trees: dict = {}  # n -> the treedef of n positional array leaves, no kwargs
        # jvp/vjp/vmap versions of a jitted function report (warn) as that function
        self._root = root._root if root is not None else self
        self._random_warned = False
        self._tier0_warned = False  # tier 1 was asked for and a specialization stayed on tier 0
        self.trace_count = 0
        self.compile_count = 0
        self.cache_hits = 0

    def _split(self, args: tuple, kwargs: dict) -> tuple[tuple, dict, tuple]:
        nums = self.static_argnums
        if nums:
            n = len(args)
            nums_n = {a % n for a in nums if -n <= a < n}
            if len(nums_n) < len(set(nums)):
                bad = next(a for a in nums if not -n <= a < n)
                raise ValueError(
                    f"jit: static_argnums {bad} is out of range for a call with {n} positional "
                    "argument(s); pass that argument positionally or fix static_argnums"
                )
            static = tuple((i, args[i]) for i in sorted(nums_n))
            dyn = tuple(a for i, a in enumerate(args) if i not in nums_n)
        else:
            static = ()
            dyn = args
        if kwargs:
            names = self.static_argnames
            static += tuple((k, kwargs[k]) for k in sorted(kwargs) if k in names)
            dyn_kw = {k: v for k, v in kwargs.items() if k not in names}
        else:
            dyn_kw = {}
        try:
            hash(static)
        except TypeError:
            bad = next(v for _, v in static if not _hashable(v))
            raise TypeError(
                f"jit({self.__name__}): static arguments must be hashable, got "
                f"{type(bad).__name__}; pass a tuple instead of a list, or make it dynamic"
            ) from None
        return dyn, dyn_kw, static

    def _entry(self, args: tuple, kwargs: dict) -> tuple[CacheEntry, list]:
        if not kwargs and not self.static_argnums and all(type(a) in _PLAIN for a in args):
            # the common call f(array, ..., float): every argument is a leaf, so the flat
            # leaves are the arguments and the structure depends on their count only (the
            # solvers' callbacks call a jitted function thousands of times this way)
            flat, static = list(args), ()
            in_tree = self._plain_trees.get(len(args))
            if in_tree is None:
                in_tree = self._plain_trees[len(args)] = tree_flatten((args, {}))[1]
        else:
            dyn, dyn_kw, static = self._split(args, kwargs)
            flat, in_tree = tree_flatten((dyn, dyn_kw))
        key = (in_tree, static, tuple(_leaf_key(x) for x in flat))
        entry = self._cache.get(key)
        if entry is not None:
            self.cache_hits += 1
            return entry, flat
        in_avals = [_leaf_aval(x, f"(leaf {i})") for i, x in enumerate(flat)]
        # device arrays (their type and unit are in the key) get an entry of their own that
        # runs the device form; host and device arrays mixed are refused, never moved
        # (tracers are keyed by aval only: their values' device is jit_call's impl's business)
        placement = placement_of(
            *[x for x in flat if not isinstance(x, Tracer)], what=f"jit({self.__name__})"
        )
        entry = CacheEntry(
            self, self._make_flat_fun(in_tree, static, len(args)), in_avals, placement
        )
        self._cache[key] = entry
        return entry, flat

    def _make_flat_fun(self, in_tree: Any, static: tuple, nargs: int) -> Callable:
        fun = self.fun
        static_pos = {k: v for k, v in static if isinstance(k, int)}
        static_kw = {k: v for k, v in static if isinstance(k, str)}

        def flat_fun(*leaves: Any) -> list:
            dyn, dyn_kw = tree_unflatten(in_tree, list(leaves))
            it = iter(dyn)
            call = [static_pos[i] if i in static_pos else next(it) for i in range(nargs)]
            out = fun(*call, **dyn_kw, **static_kw)
            out_flat, out_tree = tree_flatten(out)
            flat_fun.out_tree = out_tree
            return out_flat

        return flat_fun

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if config.disable_jit:
            return self.fun(*args, **kwargs)
        entry, flat = self._entry(args, kwargs)
        if _state.trace is None:
            outs = entry.run(flat)
        else:
            if entry.out_tree is None:  # learn the output structure (and compile) once
                entry.trace(_try_concrete(flat))
            outs = jit_call_p.bind(*flat, entry=entry)
        return tree_unflatten(entry.out_tree, list(outs))

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """Trace and compile for these arguments; return the graphs and generated source."""
        entry, flat = self._entry(args, kwargs)
        if not entry.specs:
            entry.trace([_concrete(a) for a in flat])
        return Lowered(self.__name__, entry)

    def requested_tier(self) -> int | None:
        return self._tier if self._tier is not None else config.jit_tier

    @property
    def hot_calls(self) -> int:
        """Calls of a specialization before it is promoted to tier 1 (0: never)."""
        if self.requested_tier() == 0:
            return 0
        return config.jit_hot_calls

    @property
    def tier(self) -> int:
        """The tier of the most recently compiled specialization (0: NumPy, 1: numba)."""
        specs = [s for e in self._cache.values() for s in e.specs]
        return specs[-1].tier if specs else 0

    def tier_info(self) -> list[str]:
        """For each specialization: its tier and, if not promoted, why."""
        return [
            f"{i}: tier {s.tier}"
            + (f" ({s.promotion})" if s.promotion not in (None, "done") else "")
            + (
                f" (tier 1 deferred: {s.rent:.2g} s on tier 0 of the estimated "
                f"{s.rent_due:.2g} s compile)"
                if s.rent_due is not None and s.promotion is None
                else ""
            )
            for i, s in enumerate(s for e in self._cache.values() for s in e.specs)
        ]

    def compile(self, *args: Any, tier: int = 1, **kwargs: Any) -> JitFunction:
        """Compile now: with arguments, for their signature; then promote to ``tier``.

        ``compile(x, tier=1)`` traces for ``x`` if needed and blocks until numba has compiled
        every specialization (and future ones compile to tier 1 directly). Returns self.
        """
        if tier not in (0, 1):
            raise ValueError(f"compile: expected tier 0 or 1, got {tier!r}")
        self._tier = tier
        if args or kwargs:
            entry, flat = self._entry(args, kwargs)
            if not entry.specs:
                entry.trace([_concrete(a) for a in flat])
        if tier == 1:
            for entry in self._cache.values():
                for spec in entry.specs:
                    if spec.tier == 0 and spec.promotion in (None, "running"):
                        spec.promotion = None
                        example = entry.example_args
                        if example is not None:
                            spec.promote(example, background=False)
                            _warn_stays_on_tier0(self, spec)
        return self

    def clear_cache(self) -> None:
        """Forget every compiled specialization."""
        self._cache.clear()

    def __get__(self, obj: Any, objtype: Any = None) -> Any:  # jit on methods
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self) -> str:
        return f"fluxion.jit({self.__name__})"


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


class Lowered:
    """What :meth:`JitFunction.lower` returns: the graph(s) and each tier's source."""

    def __init__(self, name: str, entry: CacheEntry) -> None:
        self.name = name
        self.entry = entry

    @property
    def graph(self) -> Graph:
        """The optimized graph of the first specialization."""
        return self.entry.specs[0].graph

    @property
    def unoptimized_graph(self) -> Graph:
        """The graph as traced, before the passes (Python loops unrolled)."""
        return self.entry.specs[0].raw_graph

    @property
    def source(self) -> str:
        """Tier 0: the generated Python/NumPy source."""
        return self.entry.specs[0].code.source

    @property
    def tier1_source(self) -> str | None:
        """Tier 1: the numba source, once compiled (``jitted.compile(tier=1)``)."""
        code = self.entry.specs[0].numba_code
        return None if code is None else code.source

    def native_potential(self, prefer: str = "auto") -> Any:
        """The graph as a native potential: a C function ``double f(double *q, double *grad,
        void *context)`` (``codegen.native``), for a value-and-gradient function of one flat
        float64 vector ``q`` (what the compiled NUTS core calls).

        Parameters
        ----------
        prefer : {"auto", "tape", "kernel"}
            The model's own numba kernel, or its graph on the tape machine; "auto" decides
            from the graph (``codegen.native.choose_kind``).

        Returns
        -------
        codegen.native.NativePotential
            Not compiled yet: ``compile_all(p.jobs)`` then ``p.load()`` (``p.address``).

        Raises
        ------
        ValueError
            The function does not take one flat float64 vector.
        NotImplementedError
            Neither form can compute the graph (the message names the primitive and why).
        """
        from .codegen.native import native_potential

        ins = self.graph.in_vars
        if len(ins) != 1 or ins[0].aval.ndim != 1 or ins[0].aval.dtype != np.float64:
            raise ValueError(
                "Lowered.native_potential: expected a function of one flat float64 vector, "
                f"got inputs {[v.aval for v in ins]}"
            )
        return native_potential(self.graph, int(ins[0].aval.size), prefer)

    def as_text(self) -> str:
        parts = [f"# jit({self.name}): {len(self.entry.specs)} specialization(s)"]
        for i, spec in enumerate(self.entry.specs):
            parts.append(f"# specialization {i}: graph ({spec.guards} guards), tier {spec.tier}")
            parts.append(spec.graph.pretty())
            parts.append("# tier 0 source")
            parts.append(spec.code.source)
            if spec.numba_code is not None:
                parts.append(f"# tier 1 source (numba, {spec.numba_code.path})")
                parts.append(spec.numba_code.source)
            elif spec.promotion not in (None, "running"):
                parts.append(f"# tier 1: {spec.promotion}")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()


def jit(
    fun: Callable | None = None,
    *,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    tier: int | None = None,
    **unknown: Any,
) -> Any:
    """Compile ``fun``: trace it once per input signature and run generated code.

    Parameters
    ----------
    fun : callable
        Takes pytrees of arrays (and static arguments), returns a pytree of arrays. Python
        control flow on traced values is allowed: each outcome gets its own guarded
        specialization (see Notes).
    static_argnums : int or sequence of int, optional
        Positional arguments passed as Python values (hashable); a new value re-traces.
    static_argnames : str or sequence of str, optional
        Keyword arguments passed as Python values.
    tier : {None, 0, 1}, optional
        None (default): start on tier 0 (generated NumPy source, ready in milliseconds) and
        promote a specialization to tier 1 (one numba kernel for the whole graph) in a
        background thread once it has been called ``fluxion.config.jit_hot_calls`` times
        -- for a long graph whose compile would take more than ~10 s, once its tier-0 calls
        have also taken as long as that compile (a short fit never waits on numba).
        0: never promote. 1: compile tier 1 on the first call (blocking). Graphs with an
        operation numba cannot lower stay on tier 0 (``.tier_info()`` says why).

    Returns
    -------
    JitFunction
        Same signature and results as ``fun`` (to floating-point rounding: operations are
        the same NumPy calls). ``.lower(*args)`` shows the graph and generated source;
        ``.trace_count`` counts traces.

    Notes
    -----
    Works under and over every transform: ``jit(grad(f))``, ``grad(jit(f))``, ``jvp(jit(f))``.
    ``fluxion.config.update("disable_jit", True)`` (or ``with fluxion.disable_jit():``) runs the
    original function instead, for debugging.

    A Python ``for`` loop over a static range is unrolled by tracing (one copy of its body per
    step); after the other passes jit re-rolls the repeated blocks into one ``scan``
    equation where it proves they repeat exactly (``fluxion.config.jit_reroll_loops``,
    on by default), so tier 1 compiles a loop: bitwise the same results, far fewer equations
    (``.lower(...).graph``; ``.unoptimized_graph`` is the unrolled trace).

    Device arrays (``cupy.ndarray``, or a type registered with
    :func:`fluxion.register_array_namespace`) run the same generated tier-0 source on the
    device's namespace, and results stay on the device. Host and device calls of one function
    each get their own compiled form (the device is part of the cache key); arrays the
    function captures are copied to the device once, when its device form is compiled. Tier 1
    (numba) compiles for the host only: on device arrays ``tier`` is ignored
    (``.tier_info()`` says so) and no array leaves the device. Mixing host and device arrays
    in one call raises a :class:`fluxion.DeviceError`.

    NumPy random draws (``np.random.normal(...)``, a ``Generator`` or ``RandomState`` method)
    made while the function is traced are constants of the compiled function: every call
    returns the same numbers. jit warns once per function with a
    :class:`fluxion.FrozenValueWarning` naming :mod:`fluxion.random`, whose explicit keys
    (passed as arguments) give fresh, reproducible draws under jit and vmap. The warning sees
    NumPy's global generator, generators the function reaches through its globals, closure,
    defaults or bound ``self``, and those it creates with ``default_rng`` / ``RandomState``.

    NumPy arrays the function captures (globals, closures) are constants of the compiled
    function, as in JAX: do not mutate or rebind them between calls. What a mutation does is
    unspecified: the compiled code may read the array's new contents where it uses the array
    as it is, while anything computed from it during tracing (folded constants such as
    ``(data * 2).sum()``, shapes, Python branches, index guards) keeps the old values, and
    rebinding the name (``data = new_array``) is never seen. To change data between calls,
    pass it as an argument (a new value of the same shape and dtype does not re-trace), or
    call ``f.clear_cache()`` after changing it. (jit does not check captured arrays on each
    call: hashing them costs O(size) per call, about 19 microseconds for 10^4 float64s
    against a call overhead of about 6 microseconds.) A traced integer or boolean array
    that indexes a captured array (``data[i]``) is specialized on its value like a Python
    branch; ``fnp.take(data, i)`` compiles a gather instead.

    Examples
    --------
    >>> import fluxion, fluxion.numpy as fnp
    >>> f = fluxion.jit(lambda x: fnp.sum(fnp.sin(x) ** 2))
    >>> float(f(fnp.ones(3))) == float(f(fnp.ones(3)))
    True
    >>> f.trace_count
    1
    """
    if unknown:
        from .api import _check_kwargs

        _check_kwargs("jit", unknown, ("static_argnums", "static_argnames", "tier"))
    if fun is None:
        return functools.partial(
            jit, static_argnums=static_argnums, static_argnames=static_argnames, tier=tier
        )
    if not callable(fun):
        raise TypeError(f"jit: expected a callable, got {type(fun).__name__}")
    return JitFunction(
        fun, static_argnums=static_argnums, static_argnames=static_argnames, tier=tier
    )
