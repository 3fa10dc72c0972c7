"""``fluxion.mcmc.sample``: run chains of NUTS, HMC, MALA, RWM, slice or ensemble sampling.

The model is a log density on a pytree of parameters plus optional constraints named by
parameter (``{"sigma": "positive", "w": "simplex"}``; see ``fluxion.bijectors.for_constraint``).
Constrained parameters are sampled in an unconstrained space (``infer.UnconstrainedModel``): the
potential is ``log_prob(forward(u)) + log|det J_forward(u)|`` on the flat vector ``u``, compiled
once with ``jit(value_and_grad(...))``. Draws come back in the constrained space with shape
``(chain, draw, *param_shape)``.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..config import PerformanceWarning
from ..infer.model import UnconstrainedModel
from .adaptation import DualAveraging, NutpieAdaptation, WindowedAdaptation
from .hmc import MAX_DELTA_ENERGY, HMCState, Metric, hmc_step, init_state, nuts_step
from .kernels import SliceState, mala_step, rwm_step, slice_step
from .result import SampleResult

__all__ = ["sample", "SampleResult", "Model"]

#: The model the samplers see (``fluxion.mcmc.Model``, kept as a name): one object shared with
#: ``optim.laplace`` and ``optim.minimize``; see ``fluxion._src.infer.model``.
Model = UnconstrainedModel


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------


def _find_step_size(
    rng: np.random.Generator,
    state: HMCState,
    logp_and_grad: Callable,
    metric: Metric,
    step_size: float,
) -> float:
    """Stan's heuristic: double or halve until one leapfrog step's acceptance crosses 0.8."""
    from .hmc import _leapfrog

    direction = 0
    for _ in range(100):
        p = metric.sample_momentum(rng, state.q.size)
        h0 = -state.logp + metric.kinetic(p)
        _, p1, logp1, _ = _leapfrog(logp_and_grad, state.q, p, state.grad, step_size, metric)
        h = -logp1 + metric.kinetic(p1) if math.isfinite(logp1) else math.inf
        delta = h0 - h if math.isfinite(h) else -math.inf
        if direction == 0:
            direction = 1 if delta > math.log(0.8) else -1
        if direction == 1 and not delta > math.log(0.8):
            break
        if direction == -1 and not delta < math.log(0.8):
            break
        step_size = step_size * 2.0 if direction == 1 else step_size * 0.5
        if step_size > 1e7 or step_size < 1e-12:
            break
    return step_size


class _Progress:
    def __init__(self, enabled: bool, total: int, chain: int) -> None:
        self.enabled = enabled and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.total, self.chain, self.last = total, chain, 0.0

    def update(self, i: int, divergences: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        frac = (i + 1) / self.total
        bar = "#" * int(30 * frac)
        sys.stderr.write(
            f"\rchain {self.chain}: [{bar:<30}] {i + 1}/{self.total} divergences {divergences}"
        )
        if force:
            sys.stderr.write("\n")
        sys.stderr.flush()


class _SharedProgress:
    """One progress line for chains running at once in threads: the total, and for up to 8
    chains each chain's percentage and divergences (``c0 45%/0``)."""

    def __init__(self, enabled: bool, total: int, chains: int) -> None:
        import threading

        self.enabled = enabled and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.total, self.chains = total, chains
        self.done = [0] * chains
        self.divergences = [0] * chains
        self.lock = threading.Lock()
        self.last = 0.0
        self.stop = threading.Event()  # set on Ctrl-C: workers stop at their next update

    def for_chain(self, chain: int) -> Any:
        shared = self

        class _Bar:
            enabled = shared.enabled

            def update(self, i: int, divergences: int, force: bool = False) -> None:
                shared.update(chain, i, divergences)

        return _Bar()

    def update(self, chain: int, i: int, divergences: int) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt
        if not self.enabled:
            return
        with self.lock:
            self.done[chain], self.divergences[chain] = i + 1, divergences
            now = time.perf_counter()
            finished = sum(self.done) == self.total * self.chains
            if not finished and now - self.last < 0.1:
                return
            self.last = now
            frac = sum(self.done) / (self.total * self.chains)
            bar = "#" * int(30 * frac)
            # each chain's share and divergences, while the line stays short enough
            each = (
                " |"
                + "".join(
                    f" c{c} {100 * n // self.total}%/{k}"
                    for c, (n, k) in enumerate(zip(self.done, self.divergences))
                )
                if self.chains <= 8
                else ""
            )
            sys.stderr.write(
                f"\r{self.chains} chains: [{bar:<30}] {sum(self.done)}/{self.total * self.chains}"
                f" divergences {sum(self.divergences)}{each}" + ("\n" if finished else "")
            )
            sys.stderr.flush()


def _progress_bar(progress: Any, total: int, chain: int) -> Any:
    """A chain's bar: its own line (progress is a bool) or its share of a _SharedProgress."""
    if isinstance(progress, _SharedProgress):
        return progress.for_chain(chain)
    return _Progress(bool(progress), total, chain)


KERNELS = ("nuts", "hmc", "rwm", "mala", "slice", "ensemble")
_DEFAULT_TARGET = {"nuts": 0.8, "hmc": 0.8, "rwm": 0.234, "mala": 0.574}


def sample(
    log_prob: Callable,
    init: Any,
    *,
    constraints: Any = None,
    kernel: str = "nuts",
    chains: int = 4,
    draws: int = 1000,
    warmup: int = 1000,
    seed: int | np.random.Generator | None = None,
    progress: bool = True,
    target_accept: float | None = None,
    max_depth: int = 10,
    metric: str = "diag",
    num_steps: int = 16,
    init_jitter: float = 0.1,
    jit: bool = True,
    walkers: int = 32,
    adaptation: str = "stan",
    chain_method: str = "auto",
    init_method: str = "given",
) -> SampleResult:
    """Sample a posterior with NUTS (default), HMC, MALA, random-walk Metropolis, slice
    sampling or the ensemble sampler, with warm-up adaptation.

    Parameters
    ----------
    log_prob : callable
        ``log_prob(params) -> scalar`` log density (up to a constant) of a parameter pytree.
    init : pytree
        Initial values (constrained space); every chain starts from them, jittered by
        ``init_jitter`` (uniform noise of that width in the unconstrained space).
    constraints : dict, pytree or spec, optional
        Constraints matched to parameters by name: a dict naming only the constrained
        parameters (``{"sigma": "positive"}``; nested dicts mirror ``init``, or dotted names
        ``"layer.w"``), a pytree shaped like ``init`` (None = unconstrained), or one spec for
        every leaf. Specs are those of ``fluxion.bijectors.for_constraint`` (``"positive"``,
        ``("interval", a, b)``, ``"simplex"``, ... or a ``Bijector``). An unknown name, a
        constraint that does not fit its parameter's shape and an ``init`` value outside its
        constraint are errors.
    kernel : {"nuts", "hmc", "rwm", "mala", "slice", "ensemble"}
        The transition kernel. "rwm" is random-walk Metropolis with a Gaussian proposal scaled
        by the metric, "mala" the Metropolis-adjusted Langevin algorithm, "slice" coordinate-wise
        slice sampling (stepping out and shrinkage; no gradients; widths adapted in warm-up from
        the spread of the draws). "ensemble" is emcee's affine-invariant stretch move (no
        gradients): every walker is reported as a chain, and ``warmup`` iterations are
        discarded as burn-in.
    chains, draws, warmup : int
        Number of chains, kept draws per chain, warm-up iterations per chain.
    seed : int or numpy Generator, optional
    progress : bool
        A progress line per chain on stderr (when stderr is a terminal).
    target_accept : float, optional
        The step size is adapted so that the mean acceptance statistic reaches this; by default
        0.8 for NUTS and HMC, 0.234 for RWM, 0.574 for MALA.
    max_depth : int
        NUTS's maximum tree depth (2**max_depth leapfrog steps per draw at most).
    metric : {"diag", "dense", "low_rank"}
        The adapted inverse mass matrix (for RWM and MALA: the proposal's shape). "low_rank"
        (nutpie's diagonal plus low-rank correction) needs ``adaptation="nutpie"``; "dense" needs
        ``adaptation="stan"``.
    num_steps : int
        Leapfrog steps per HMC transition.
    init_jitter : float
    jit : bool
        Compile the log density and gradient (default).
    walkers : int
        Number of walkers for ``kernel="ensemble"`` (even, at least twice the dimension).
    adaptation : {"stan", "nutpie"}
        The warm-up metric adaptation for NUTS, HMC, MALA and RWM: Stan's windowed variance
        estimate, or nutpie's gradient-informed (Fisher divergence) estimate from the draws and
        the gradients at the draws, over overlapping windows (usually fewer gradient
        evaluations per draw). Recorded per chain in ``result.adaptation``.
    chain_method : {"auto", "sequential", "threads", "parallel"}
        Run the chains one after the other in this process; in threads of this process (at
        most one per core: this pays where the chains run in compiled code, which releases the
        GIL); or in parallel worker processes (one per chain, at most the number of cores;
        forked, so the model needs no pickling; falls back to sequential where fork is
        unavailable; no progress bars). "auto" (the default) uses threads when the whole chain
        runs compiled — NUTS with ``metric="diag"`` (either adaptation) or ``"dense"`` (Stan's)
        and the model's gradient compiled to tier 1 (numba); ``result.compiled`` says — and
        runs sequentially otherwise.
    init_method : {"given", "optimize"}
        Start from ``init`` (jittered), or first move ``init`` to the mode of the (unconstrained)
        density with a quick L-BFGS run and start the chains there.

    Returns
    -------
    SampleResult
        ``.draws[name]`` of shape ``(chains, draws, *shape)``, ``.stats``, ``.summary()``,
        ``.to_arviz()``.

    Raises
    ------
    ValueError
        Bad arguments (chains < 1, unknown kernel, metric or adaptation), a model with no free
        parameters, constraints naming no parameter or not fitting it, an initial value outside
        its constraint, a log density that is not finite at the initial point.
    """
    if not isinstance(chains, int | np.integer) or chains < 1:
        raise ValueError(f"sample: expected chains >= 1, got {chains!r}")
    if draws < 1 or warmup < 0:
        raise ValueError(f"sample: expected draws >= 1 and warmup >= 0, got {draws}, {warmup}")
    if kernel not in KERNELS:
        names = ", ".join(repr(k) for k in KERNELS)
        raise ValueError(f"sample: unknown kernel {kernel!r}; expected one of {names}")
    if metric not in ("diag", "dense", "low_rank"):
        raise ValueError(
            f"sample: unknown metric {metric!r}; expected 'diag', 'dense' or 'low_rank'"
        )
    if adaptation not in ("stan", "nutpie"):
        raise ValueError(f"sample: unknown adaptation {adaptation!r}; expected 'stan' or 'nutpie'")
    if adaptation == "nutpie" and kernel in ("slice", "ensemble"):
        raise ValueError(
            f"sample: adaptation='nutpie' adapts a metric, which kernel={kernel!r} does not use; "
            "use it with 'nuts', 'hmc', 'mala' or 'rwm'"
        )
    if metric == "low_rank" and adaptation != "nutpie":
        raise ValueError("sample: metric='low_rank' needs adaptation='nutpie'")
    if metric == "dense" and adaptation == "nutpie":
        raise ValueError(
            "sample: adaptation='nutpie' supports metric='diag' or 'low_rank', got 'dense'"
        )
    if chain_method not in ("auto", "sequential", "threads", "parallel"):
        raise ValueError(
            f"sample: unknown chain_method {chain_method!r}; expected 'auto', 'sequential', "
            "'threads' or 'parallel'"
        )
    if init_method not in ("given", "optimize"):
        raise ValueError(
            f"sample: unknown init_method {init_method!r}; expected 'given' or 'optimize'"
        )
    if target_accept is None:
        target_accept = _DEFAULT_TARGET.get(kernel, 0.8)
    if not 0.0 < target_accept < 1.0:
        raise ValueError(f"sample: expected 0 < target_accept < 1, got {target_accept}")
    start = time.perf_counter()
    model = UnconstrainedModel(log_prob, init, constraints, jit=jit, who="sample")
    logp_and_grad = model.logp_and_grad
    compiled_chains = _may_compile_chains(kernel, metric, jit)
    if compiled_chains:
        # trace at tier 0 only: _compiled_nuts decides whether the model's kernel is compiled
        # (numba, per model) or its tape runs on the tape machine (nothing to compile)
        logp_and_grad.compile(tier=0)
    try:
        state0 = init_state(logp_and_grad, model.u0)
    except Exception as err:
        raise type(err)(f"sample: evaluating log_prob at the initial values failed: {err}") from err
    if not math.isfinite(state0.logp) or not np.all(np.isfinite(state0.grad)):
        raise ValueError(
            f"sample: the log density is {state0.logp} at the initial values (or its gradient is "
            "not finite); start from a point inside the support, or add constraints"
        )
    if init_method == "optimize":
        state0 = _optimized_start(model, state0)
    seeds = np.random.SeedSequence(
        seed if not isinstance(seed, np.random.Generator) else seed.integers(2**63)
    )
    if kernel == "ensemble":
        return _run_ensemble(
            np.random.default_rng(seeds),
            model,
            state0,
            walkers,
            draws,
            warmup,
            init_jitter,
            progress,
            start,
        )
    all_draws, all_stats, all_warm, metrics, adapted = [], [], [], [], []
    chain_args = _ChainArgs(
        model,
        state0,
        kernel,
        draws,
        warmup,
        target_accept,
        max_depth,
        metric,
        num_steps,
        init_jitter,
        adaptation,
        _compiled_nuts(model, adaptation) if compiled_chains else None,
    )
    children = seeds.spawn(chains)
    if chain_method == "auto":
        chain_method = "threads" if _whole_chain_compiled(chain_args) else "sequential"
    if chain_method == "parallel" and chains > 1:
        outs = _run_parallel(chain_args, children)
    elif chain_method == "threads" and chains > 1:
        outs = _run_threads(chain_args, children, progress, warmup + draws)
    else:
        outs = (_one_chain(chain_args, child, c, progress) for c, child in enumerate(children))
    for out in outs:
        all_draws.append(out[0])
        all_stats.append(out[1])
        all_warm.append(out[2])
        metrics.append(out[3])
        adapted.append(out[4])
    draws_out = model.constrained_draws(np.stack(all_draws))
    stats = {k: np.stack([s[k] for s in all_stats]) for k in all_stats[0]}
    warm = {k: np.stack([s[k] for s in all_warm]) for k in all_warm[0]} if warmup else {}
    result = SampleResult(
        draws_out,
        stats,
        warm,
        metrics,
        time.perf_counter() - start,
        kernel,
        adaptation=adapted,
        metric="none" if kernel == "slice" else metric,
        compiled="chain" if _whole_chain_compiled(chain_args) else "python",
        potential=chain_args.fast.potential if chain_args.fast is not None else None,
        compiled_reason=_COMPILED_REASON.pop(id(model), ""),
    )
    if result.num_divergences:
        warnings.warn(
            f"sample: {result.num_divergences} divergent transitions after warm-up (of "
            f"{chains * draws}); the posterior may be biased — increase target_accept or "
            "reparameterize (see result.stats['divergent'])",
            stacklevel=2,
        )
    return result


_STAT_KEYS = (
    "step_size",
    "tree_depth",
    "n_leapfrog",
    "accept_prob",
    "energy",
    "divergent",
    "log_density",
)
_MH_STAT_KEYS = ("step_size", "accept_prob", "accepted", "n_evals", "log_density")


class _StanTuner:
    """Stan's warm-up: dual-averaging step size and windowed variance (or covariance)."""

    name = "stan"

    def __init__(
        self,
        state: HMCState,
        warmup: int,
        dense: bool,
        target: float,
        find_step_size: Callable,
        restart_step_size: bool = True,
    ) -> None:
        d = state.q.size
        self.warmup = warmup
        self.find_step_size = find_step_size
        self.restart_step_size = restart_step_size
        self.metric = Metric(np.eye(d) if dense else np.ones(d))
        self.step_size = find_step_size(state, self.metric, 1.0)
        self.dual = DualAveraging(self.step_size, target=target)
        self.window = WindowedAdaptation(warmup, d, dense=dense)

    def update(self, i: int, state: HMCState, info: dict) -> None:
        self.step_size = self.dual.update(info["accept_prob"])
        if self.window.in_slow_window(i):
            self.window.add(state.q)
            if self.window.window_ends(i):
                self.metric = Metric(self.window.estimate())
                if self.restart_step_size:
                    self.step_size = self.find_step_size(state, self.metric, self.step_size)
                    self.dual.restart(self.step_size)
        if i == self.warmup - 1:
            self.step_size = self.dual.final_step_size()


class _NutpieTuner:
    """nutpie's warm-up: the gradient-informed metric on overlapping windows
    (:class:`NutpieAdaptation`), the step size found again after the first metric estimate and
    dual-averaged throughout, restarted for the final step-size-only window."""

    name = "nutpie"

    def __init__(
        self,
        state: HMCState,
        warmup: int,
        low_rank: bool,
        target: float,
        find_step_size: Callable,
    ) -> None:
        self.warmup = warmup
        self.find_step_size = find_step_size
        self.schedule = NutpieAdaptation(warmup, state.q.size, low_rank=low_rank)
        self.metric = Metric(self.schedule.init(state.q, state.grad))
        self.step_size = find_step_size(state, self.metric, 1.0)
        self.dual = DualAveraging(self.step_size, target=target)
        self.first_change = True

    def update(self, i: int, state: HMCState, info: dict) -> None:
        schedule = self.schedule
        if schedule.in_metric_phase(i):
            good = not info.get("divergent", False)
            inv = schedule.update(i, state.q, state.grad, good)
            if inv is not None:
                self.metric = Metric(inv)
                if self.first_change:  # the step size for the first estimated metric
                    self.first_change = False
                    self.step_size = self.find_step_size(state, self.metric, self.step_size)
                    self.dual.restart(self.step_size)
                    return
            self.step_size = self.dual.update(info["accept_prob"])
            if i == schedule.final_start - 1:  # the metric is final: fresh dual averaging
                self.dual.restart(self.step_size)
        else:
            self.step_size = self.dual.update(info["accept_prob"])
        if i == self.warmup - 1:
            self.step_size = self.dual.final_step_size()


class _ChainArgs(NamedTuple):
    """Everything one chain needs (shared by the sequential and the parallel runners)."""

    model: Model
    state0: HMCState
    kernel: str
    draws: int
    warmup: int
    target_accept: float
    max_depth: int
    metric: str
    num_steps: int
    init_jitter: float
    adaptation: str
    fast: Any = None  # CompiledNuts (numba_nuts) when the compiled path applies, else None


def _whole_chain_compiled(args: _ChainArgs) -> bool:
    """Whether chains run entirely in numba (NUTS; a diagonal metric with either warm-up, or
    a dense one with Stan's)."""
    return (
        args.fast is not None
        and args.kernel == "nuts"
        and (args.metric == "diag" or (args.metric == "dense" and args.adaptation == "stan"))
    )


def _one_chain(args: _ChainArgs, child: Any, c: int, progress: Any) -> tuple:
    rng = np.random.default_rng(child)
    if _whole_chain_compiled(args):
        return _run_compiled_chain(rng, args, progress, c)
    if args.kernel == "slice":
        return _run_slice_chain(
            rng, args.model, args.state0, args.draws, args.warmup, args.init_jitter, progress, c
        )
    return _run_chain(
        rng,
        args.model,
        args.state0,
        args.kernel,
        args.draws,
        args.warmup,
        args.target_accept,
        args.max_depth,
        args.metric,
        args.num_steps,
        args.init_jitter,
        progress,
        c,
        args.adaptation,
    )


_PARALLEL_RUN: tuple | None = None  # read by forked workers (the model is never pickled)


def _parallel_worker(index: int) -> tuple:
    chain_args, children = _PARALLEL_RUN
    return _one_chain(chain_args, children[index], index, False)


def _run_parallel(chain_args: _ChainArgs, children: list) -> list:
    """Run the chains in forked worker processes; the results come back in chain order."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    global _PARALLEL_RUN
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: run them here
        return [_one_chain(chain_args, ch, c, False) for c, ch in enumerate(children)]
    _PARALLEL_RUN = (chain_args, children)
    try:
        workers = min(len(children), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_parallel_worker, range(len(children))))
    finally:
        _PARALLEL_RUN = None


def _run_threads(chain_args: _ChainArgs, children: list, progress: bool, total: int) -> list:
    """Run the chains in threads (at most one per core); results in chain order.

    Each chain runs start to end in one thread: numba's random state is per thread, so a
    compiled chain's stream is not interleaved with another's."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    shared = _SharedProgress(progress, total, len(children))
    workers = min(len(children), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(_one_chain, chain_args, child, c, shared)
            for c, child in enumerate(children)
        ]
        try:
            return [f.result() for f in futures]
        except KeyboardInterrupt:  # Ctrl-C: stop the workers at their next chunk, not later
            shared.stop.set()
            for f in futures:
                f.cancel()
            raise


def _optimized_start(model: Model, state0: HMCState) -> HMCState:
    """Move the start to the mode of the unconstrained density (a quick L-BFGS run)."""
    import scipy.optimize

    def neg(u: np.ndarray) -> tuple:
        lp, g = model.logp_and_grad(u)
        if not np.isfinite(lp):
            return np.inf, np.zeros_like(u)
        return -float(lp), -np.asarray(g, dtype=np.float64)

    res = scipy.optimize.minimize(
        neg, state0.q, jac=True, method="L-BFGS-B", options={"maxiter": 200}
    )
    cand = init_state(model.logp_and_grad, res.x)
    if np.isfinite(cand.logp) and cand.logp >= state0.logp:
        return cand
    return state0


def _may_compile_chains(kernel: str, metric: str, jit: bool) -> bool:
    """Whether the chains may run in the compiled NUTS core (then ``_compiled_nuts`` decides);
    a NUTS run that cannot warns (``PerformanceWarning``) unless the user chose so."""
    from ..codegen.numba_tier import numba_available
    from ..config import config

    if kernel != "nuts" or not jit or config.mcmc_compiled_nuts is False:
        return False  # another sampler, or the user's choice: nothing to warn about
    if metric == "low_rank":
        why = "metric='low_rank' has no compiled NUTS (use metric='diag' or 'dense')"
    elif not numba_available():
        why = "numba is not installed (pip install numba)"
    else:
        return True
    _warn_python_nuts(why)
    return False


def _warn_python_nuts(why: str) -> None:
    warnings.warn(
        f"sample: NUTS runs in Python, one gradient call at a time (much slower than compiled "
        f"chains): {why}",
        PerformanceWarning,
        stacklevel=4,
    )


# why a run's chains ran where they did, by id of its Model (set by _compiled_nuts, popped
# into the SampleResult)
_COMPILED_REASON: dict = {}


def _compiled_nuts(model: Model, adaptation: str) -> Any:
    """The numba NUTS (core + this model's potential), or None where it does not apply (the
    model's jit is then promoted to tier 1 for the Python NUTS, and a ``PerformanceWarning``
    names the cause)."""
    from ..config import config
    from .numba_nuts import compiled_nuts

    try:
        # the public route to the model's graph and its compiled forms (codegen.native)
        native = model.logp_and_grad.lower(model.u0).native_potential(config.mcmc_potential)
        fast = compiled_nuts(native, adaptation)
    except Exception as err:  # the Python NUTS is exact: fall back, saying why
        why = str(err).removeprefix("native_potential: ")  # the message names the cause
        _warn_python_nuts(why)
        _COMPILED_REASON[id(model)] = why
        model.logp_and_grad.compile(tier=1)
        if model.logp_and_grad.tier == 0:
            warnings.warn(
                "sample: the model's gradient runs at tier 0 (NumPy source, not numba): "
                + "; ".join(model.logp_and_grad.tier_info()),
                PerformanceWarning,
                stacklevel=3,
            )
        return None
    if fast.native.fallback:
        warnings.warn(
            f"sample: mcmc_potential={config.mcmc_potential!r} could not be used; the compiled "
            f"chains run on the {fast.potential}: {fast.reason}",
            PerformanceWarning,
            stacklevel=3,
        )
    _COMPILED_REASON[id(model)] = fast.reason
    return fast


def _run_compiled_chain(
    rng: np.random.Generator, args: _ChainArgs, progress: Any, chain: int
) -> tuple:
    """A whole NUTS chain with its warm-up (Stan's or nutpie's) in numba
    (``_nuts_core.run_chain`` / ``run_chain_nutpie``), in chunks when a progress bar wants
    updates."""
    fast, model = args.fast, args.model
    core = fast.core
    d, warmup, draws = model.dim, args.warmup, args.draws
    max_depth = int(args.max_depth)
    total = warmup + draws
    state = _jittered_start(rng, model, args.state0, args.init_jitter)
    q = np.array(state.q, dtype=np.float64)
    grad = np.empty(d)
    dense = args.metric == "dense"
    # the metric: (1, d) diagonal of the inverse mass matrix, or (2d, d) dense one over its
    # Cholesky factor; the identity to start with
    metric = np.vstack([np.eye(d), np.eye(d)]) if dense else np.ones((1, d))
    scalars = np.zeros(core.N_SCALARS)
    ws, slots = fast.workspace(d, max_depth)
    kept = np.empty((draws, d))
    stats = np.empty((total, core.N_STATS))
    seed = int(rng.integers(2**32 - 1))
    ctx, _ctx_owner = fast.context()  # a tape's memory is per chain; kept alive to the end
    common = (fast.fn, ctx, q, grad, metric, scalars, ws, slots)
    if args.adaptation == "nutpie":
        schedule = NutpieAdaptation(warmup, d)
        moments = np.zeros((2, 4, d))
        core.init_nutpie(
            fast.fn,
            ctx,
            q,
            grad,
            metric,
            scalars,
            moments,
            ws,
            seed,
            float(schedule.window),
        )

        def run(start: int, stop: int) -> float:
            return core.run_chain_nutpie(
                *common,
                moments,
                start,
                stop,
                warmup,
                max_depth,
                float(args.target_accept),
                MAX_DELTA_ENERGY,
                schedule.early_end,
                schedule.final_start,
                float(schedule.early_switch_freq),
                float(schedule.window_growth),
                kept,
                stats,
            )
    else:
        windows = WindowedAdaptation(warmup, d)
        ends = np.array(windows.ends, dtype=np.int64)
        welford = np.zeros((1 + d if dense else 2, d))
        core.init_chain(fast.fn, ctx, q, grad, metric, scalars, ws, seed)

        def run(start: int, stop: int) -> float:
            return core.run_chain(
                *common,
                welford,
                start,
                stop,
                warmup,
                max_depth,
                float(args.target_accept),
                MAX_DELTA_ENERGY,
                windows.init_buffer,
                windows.end_slow,
                ends,
                kept,
                stats,
            )

    bar = _progress_bar(progress, total, chain)
    # chunks: for the progress bar, and so that Ctrl-C stops a long chain between them
    chunk = max(1, total // 50 if bar.enabled else total // 10)
    for start in range(0, total, chunk):
        stop = min(start + chunk, total)
        divergences = run(start, stop)
        bar.update(stop - 1, int(divergences), force=stop == total)
    columns = {k: stats[:, j] for j, k in enumerate(_STAT_KEYS)}
    kept_stats = {k: v[warmup:].copy() for k, v in columns.items()}
    warm_stats = {k: v[:warmup].copy() for k, v in columns.items()}
    inv_mass = metric[:d].copy() if dense else metric[0].copy()
    return kept, kept_stats, warm_stats, inv_mass, args.adaptation


def _run_chain(
    rng: np.random.Generator,
    model: Model,
    state0: HMCState,
    kernel: str,
    draws: int,
    warmup: int,
    target_accept: float,
    max_depth: int,
    metric_kind: str,
    num_steps: int,
    init_jitter: float,
    progress: Any,
    chain: int,
    adaptation: str = "stan",
) -> tuple:
    logp_and_grad = model.logp_and_grad
    d = model.dim
    state = _jittered_start(rng, model, state0, init_jitter)
    if kernel == "rwm":
        # a Gaussian proposal with the target's covariance is best scaled by 2.38 / sqrt(d)
        def find_step_size(state: HMCState, metric: Metric, step_size: float) -> float:
            return 2.38 / math.sqrt(d)

        def step(state: HMCState, step_size: float, metric: Metric) -> tuple:
            return rwm_step(rng, state, logp_and_grad, step_size, metric)

        keys = _MH_STAT_KEYS
    else:
        # MALA is one leapfrog step of HMC: Stan's step-size heuristic serves all three
        def find_step_size(state: HMCState, metric: Metric, step_size: float) -> float:
            return _find_step_size(rng, state, logp_and_grad, metric, step_size)

        if kernel == "nuts":

            def step(state: HMCState, step_size: float, metric: Metric) -> tuple:
                return nuts_step(rng, state, logp_and_grad, step_size, metric, max_depth)

            keys = _STAT_KEYS
        elif kernel == "hmc":

            def step(state: HMCState, step_size: float, metric: Metric) -> tuple:
                return hmc_step(rng, state, logp_and_grad, step_size, metric, num_steps)

            keys = _STAT_KEYS
        else:

            def step(state: HMCState, step_size: float, metric: Metric) -> tuple:
                return mala_step(rng, state, logp_and_grad, step_size, metric)

            keys = _MH_STAT_KEYS
    if adaptation == "nutpie":
        tuner: Any = _NutpieTuner(
            state, warmup, metric_kind == "low_rank", target_accept, find_step_size
        )
    else:
        # Random-walk Metropolis keeps one dual average through the whole warm-up: its scale
        # in the metric's units is already right (2.38 / sqrt(d)), and one Metropolis ratio per
        # iteration is too noisy to re-learn the step in Stan's 50-iteration final window
        # (measured on a 5-d correlated Gaussian, seeds 1-3: per-chain acceptance 0.05-0.27
        # with restarts against a 0.234 target, 0.13-0.30 without).
        tuner = _StanTuner(
            state,
            warmup,
            metric_kind == "dense",
            target_accept,
            find_step_size,
            restart_step_size=kernel != "rwm",
        )
    total = warmup + draws
    kept = np.empty((draws, d))
    stats = {k: np.empty(draws) for k in keys}
    warm = {k: np.empty(warmup) for k in keys}
    bar = _progress_bar(progress, total, chain)
    divergences = 0
    for i in range(total):
        step_size = tuner.step_size
        state, info = step(state, step_size, tuner.metric)
        info["step_size"] = step_size
        info["log_density"] = state.logp
        if i < warmup:
            for k in keys:
                warm[k][i] = info[k]
            tuner.update(i, state, info)
        else:
            j = i - warmup
            kept[j] = state.q
            for k in keys:
                stats[k][j] = info[k]
            divergences += bool(info.get("divergent", False))
        bar.update(i, divergences, force=i == total - 1)
    return kept, stats, warm, tuner.metric.inv_mass, tuner.name


def _jittered_start(
    rng: np.random.Generator, model: Model, state0: HMCState, init_jitter: float
) -> HMCState:
    """The start jittered uniformly by ``init_jitter``, kept where the density is finite."""
    if init_jitter:
        for _ in range(100):
            q = state0.q + rng.uniform(-init_jitter, init_jitter, model.dim)
            cand = init_state(model.logp_and_grad, q)
            if math.isfinite(cand.logp) and np.all(np.isfinite(cand.grad)):
                return cand
    return state0


def _run_slice_chain(
    rng: np.random.Generator,
    model: Model,
    state0: HMCState,
    draws: int,
    warmup: int,
    init_jitter: float,
    progress: bool,
    chain: int,
) -> tuple:
    """Coordinate-wise slice sampling; the widths are twice the standard deviation of the
    second half of the warm-up draws so far, re-estimated after warm-up iterations 10, 20, 40,
    ... (and at the end of warm-up)."""
    d = model.dim
    start = _jittered_start(rng, model, state0, init_jitter)
    state = SliceState(start.q, start.logp)
    widths = np.ones(d)
    updates = set()
    n = 10
    while n < warmup:
        updates.add(n)
        n *= 2
    if warmup:
        updates.add(warmup)
    warm_q = np.empty((warmup, d))
    keys = ("n_evals", "log_density")
    kept = np.empty((draws, d))
    stats = {k: np.empty(draws) for k in keys}
    warm = {k: np.empty(warmup) for k in keys}
    bar = _progress_bar(progress, warmup + draws, chain)
    for i in range(warmup + draws):
        state, info = slice_step(rng, state, model.logp, widths)
        info["log_density"] = state.logp
        if i < warmup:
            warm_q[i] = state.q
            for k in keys:
                warm[k][i] = info[k]
            if (i + 1) in updates:
                recent = warm_q[(i + 1) // 2 : i + 1]
                sd = recent.std(axis=0)
                # a coordinate that has not moved keeps its width
                widths = np.where(np.isfinite(sd) & (sd > 0), 2.0 * sd, widths)
        else:
            j = i - warmup
            kept[j] = state.q
            for k in keys:
                stats[k][j] = info[k]
        bar.update(i, 0, force=i == warmup + draws - 1)
    return kept, stats, warm, widths, "slice-width"


def _run_ensemble(
    rng: np.random.Generator,
    model: Model,
    state0: HMCState,
    walkers: int,
    draws: int,
    warmup: int,
    init_jitter: float,
    progress: bool,
    start: float,
) -> SampleResult:
    from .ensemble import EnsembleState, stretch_step

    d = model.dim
    jitter = init_jitter if init_jitter else 1e-5
    x = state0.q + jitter * rng.standard_normal((walkers, d))
    logp = np.asarray(model.batch_logp(x), dtype=np.float64)
    if not np.all(np.isfinite(logp)):
        raise ValueError(
            "sample: some initial walkers have a non-finite log density; reduce init_jitter"
        )
    state = EnsembleState(x, logp)
    kept = np.empty((walkers, draws, d))
    lp = np.empty((walkers, draws))
    acc = np.empty((walkers, draws))
    bar = _Progress(progress, warmup + draws, 0)
    for i in range(warmup + draws):
        state, info = stretch_step(rng, state, model.batch_logp)
        if i >= warmup:
            kept[:, i - warmup] = state.x
            lp[:, i - warmup] = state.logp
            acc[:, i - warmup] = info["accepted"]
        bar.update(i, 0, force=i == warmup + draws - 1)
    draws_out = model.constrained_draws(kept)
    stats = {"log_density": lp, "accepted": acc}
    return SampleResult(
        draws_out,
        stats,
        {},
        [],
        time.perf_counter() - start,
        "ensemble",
        adaptation=["none"] * walkers,
        metric="none",
    )
