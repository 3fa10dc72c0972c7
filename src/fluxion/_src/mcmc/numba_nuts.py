"""NUTS with no Python per leapfrog step — nor per draw: whole chains in numba.

Two compiled pieces meet through a C function pointer (``codegen.native_abi``):

* the *core* (``_nuts_core.py``): NUTS, the warm-ups and the chain loop, written once for
  every model. Its copy in the cache directory compiles once per machine and is then loaded
  from numba's disk cache (``codegen.cache``).
* the *potential* ``double f(double *q, double *grad, void *context)`` of the model:
  ``codegen.native.native_potential`` makes it from the model's value-and-gradient graph (the
  public ``jit(...).lower(...)``), either around the model's own tier-1 kernel or as its tape on
  the tape machine. Which one depends on the graph only, so a seed gives the same draws whether
  or not anything was compiled before.

On a machine where nothing is compiled yet, the entry points the run needs (the two of its
warm-up, and the potential's module) compile side by side in separate processes and the run
waits for them: about the time of the longest one (tens of seconds on a slow machine), once,
instead of a first run on the Python NUTS that takes minutes on a large posterior.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..codegen.cache import CompileJob, digest_of, write_module
from ..codegen.native import NativePotential, compile_all
from .hmc import MAX_DELTA_ENERGY, HMCState, Metric

__all__ = [
    "CompiledNuts", "CompiledTransition", "compiled_nuts", "core_jobs", "core_metric", "load_core",
    "seed_thread",
]

_CORE_SOURCE = os.path.join(os.path.dirname(__file__), "_nuts_core.py")

# explicit signatures of the core's entry points: compiling exactly these fills numba's cache
# for every later run, whatever the model
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
# the entry points each warm-up uses: a run compiles (or loads) only its own pair
ENTRY_POINTS = {"stan": ("init_chain", "run_chain"), "nutpie": ("init_nutpie", "run_chain_nutpie")}
_CORE_MODULE: tuple[str, str] | None = None


def _core_module() -> tuple[str, str]:
    """(module name, path) of the core's copy in the cache directory (written once)."""
    import numba  # here, not at the top: importing numba costs ~0.4 s of start-up

    from ..codegen import native_abi  # numba source too

    global _CORE_MODULE
    if _CORE_MODULE is None:  # read once: the core a process uses does not change under it
        with open(_CORE_SOURCE) as fh:
            source = fh.read()
        # numba's version and the calling convention go into the digest: a change to either
        # compiles into a fresh cache entry
        header = f"# numba {numba.__version__}, abi {digest_of(native_abi.__file__)}\n"
        _CORE_MODULE = write_module("fx_nutscore", "fluxion_nutscore", header + source)
    return _CORE_MODULE


def core_jobs(adaptation: str | None = None) -> list[CompileJob]:
    """The compiles of the core's entry points for one warm-up ("stan" or "nutpie"), or all of
    them (None): one job per entry point, so that they can run side by side."""
    name, path = _core_module()
    names = ENTRY_POINTS[adaptation] if adaptation is not None else tuple(_SIGNATURES)
    return [CompileJob(name, path, f, {f: _SIGNATURES[f]}) for f in names]


def load_core(adaptation: str | None = None, extra: tuple = ()) -> Any:
    """The compiled core module with the entry points of ``adaptation`` (None: all) loaded,
    compiling what is missing first, side by side with the ``extra`` jobs (a potential's)."""
    jobs = core_jobs(adaptation)
    compile_all([*jobs, *extra])
    for job in jobs:
        module = job.run_here()
    return module


class CompiledNuts:
    """The core plus one model's potential: what ``sample`` needs to run chains in numba.

    Attributes
    ----------
    core : module
        ``_nuts_core`` compiled, with the entry points of the run's warm-up loaded.
    fn : int
        Address of the model's potential.
    potential : {"kernel", "tape"}
        How the potential computes the model (``NativePotential.kind``).
    reason : str
        Why that kind (``NativePotential.reason``).
    """

    def __init__(self, core: Any, native: NativePotential) -> None:
        self.core = core
        self.native = native
        self.fn = native.address
        self.potential = native.kind
        self.reason = native.reason

    def context(self) -> tuple[int, Any]:
        """(address, owner) of one chain's context; keep ``owner`` alive while it runs."""
        return self.native.context()

    def workspace(self, d: int, max_depth: int) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((self.core.N_WORK_ROWS, d)), np.zeros((max(max_depth, 1), 3, d))

    def transition_step(self, d: int, max_depth: int) -> CompiledTransition:
        """One chain's NUTS transitions in the core, for a warm-up that runs in Python."""
        return CompiledTransition(self, d, max_depth)


def core_metric(metric: Metric) -> np.ndarray:
    """The core's form of a metric, a new array (the core's warm-up adapts it in place):
    ``(1, d)``, the diagonal of the inverse mass matrix, or ``(2d, d)``, the dense one over its
    Cholesky factor (``_nuts_core._p_dot_velocity``)."""
    if metric.dense:
        return np.vstack([metric.inv_mass, metric.chol_mass])
    return metric.inv_mass.reshape(1, -1).copy()


class CompiledTransition:
    """``nuts_step`` with the tree built in the core: one NUTS transition per call.

    For the warm-ups that stay in Python (``sample(metric="low_rank")``: nutpie's low-rank
    metric, refreshed from eigendecompositions of the recent draws; ``adapt_metric`` without
    ``adapt_step_size``): the tuner sets the step size and metric of each transition, and the
    transition (every leapfrog step and U-turn check) runs in numba, as ``run_chain`` over one
    iteration with no warm-up. numba's generator is seeded from the chain's NumPy generator at
    every call, so the draws depend on that generator alone (a restored chain continues, and
    the thread a chain runs in does not matter).

    Parameters
    ----------
    fast : CompiledNuts
        The core with Stan's entry points (``run_chain``) and the model's potential.
    d, max_depth : int
        The dimension of the flat parameter vector and NUTS's maximum tree depth.
    """

    def __init__(self, fast: CompiledNuts, d: int, max_depth: int) -> None:
        core = fast.core
        self.fast, self.core, self.max_depth = fast, core, int(max_depth)
        self.ctx, self._ctx_owner = fast.context()  # a tape's memory is per chain
        self.ws, self.slots = fast.workspace(d, self.max_depth)
        self.scalars = np.zeros(core.N_SCALARS)
        self.welford = np.zeros((2, d))  # unused: no warm-up windows
        self.no_windows = np.zeros(0, dtype=np.int64)
        self.kept = np.empty((1, d))
        self.stats = np.empty((1, core.N_STATS))
        self._metric: tuple[Metric | None, np.ndarray] = (None, np.empty((1, d)))

    def __call__(
        self, rng: np.random.Generator, state: HMCState, step_size: float, metric: Metric
    ) -> tuple[HMCState, dict]:
        """One transition from ``state``: the new state and ``nuts_step``'s ``info``."""
        core = self.core
        if self._metric[0] is not metric:  # the tuner changes its metric a few times only
            self._metric = (metric, core_metric(metric))
        q = np.array(state.q, dtype=np.float64)  # the core writes the new draw in place
        grad = np.array(state.grad, dtype=np.float64)
        s = self.scalars
        s[core.S_LOGP] = state.logp
        s[core.S_STEP] = step_size
        seed_thread(int(rng.integers(2**32 - 1)))
        core.run_chain(
            self.fast.fn, self.ctx, q, grad, self._metric[1], s, self.ws, self.slots,
            self.welford, 0, 1, 0, self.max_depth, 0.8, MAX_DELTA_ENERGY, 0, 0,
            self.no_windows, self.kept, self.stats,
        )
        if self.fast.potential == "python":
            self.fast.native.raise_error()  # the model's exception, if it raised
        row = self.stats[0]
        info = {
            "accept_prob": float(row[core.STAT_ACCEPT]),
            "n_leapfrog": int(row[core.STAT_NLEAP]),
            "tree_depth": int(row[core.STAT_DEPTH]),
            "divergent": bool(row[core.STAT_DIV]),
            "energy": float(row[core.STAT_ENERGY]),
        }
        return HMCState(q, float(s[core.S_LOGP]), grad), info


def compiled_nuts(native: NativePotential, adaptation: str) -> CompiledNuts:
    """The compiled NUTS for a model's native potential (``jit(...).lower(...)
    .native_potential()``), for the warm-up ``adaptation`` ("stan" or "nutpie").

    Compiles what this run needs and is not compiled yet (the core's two entry points for
    ``adaptation``, the potential's module), side by side in processes, and waits for them.

    Raises
    ------
    ImportError
        numba is not installed.
    RuntimeError
        A compile failed.
    """
    core = load_core(adaptation, tuple(native.jobs))
    return CompiledNuts(core, native.load())


def _np_seed(seed: int) -> None:
    np.random.seed(seed)  # noqa: NPY002 - numba's generator has only the legacy API


_SEED_JITTED: Any = None


def seed_thread(seed: int) -> None:
    """Seed numba's NumPy generator of the calling thread (what the core's ``np.random`` draws
    from). Through numba code, not ``numba._helperlib.rnd_seed``: numba initializes a thread's
    state on the first use from numba code in that thread, which would undo a seed set from
    Python before it (a worker thread whose first numba call is a chunk of a chain)."""
    global _SEED_JITTED
    if _SEED_JITTED is None:
        import numba

        _SEED_JITTED = numba.njit(cache=True, nogil=True)(_np_seed)
    _SEED_JITTED(seed)
