"""``fluxion.mcmc.sample``: run chains of NUTS, HMC, MALA, RWM, slice or ensemble sampling,
or many chains in lockstep with ChEES-HMC or MEADS (``chees.py``, ``meads.py``).

The model is a log density on a pytree of parameters plus optional constraints named by
parameter (``{"sigma": "positive", "w": "simplex"}``; see ``fluxion.bijectors.for_constraint``).
Constrained parameters are sampled in an unconstrained space (``infer.UnconstrainedModel``): the
potential is ``log_prob(forward(u)) + log|det J_forward(u)|`` on the flat vector ``u``, compiled
once with ``jit(value_and_grad(...))``. Draws come back in the constrained space with shape
``(chain, draw, *param_shape)``.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..config import PerformanceWarning, SamplingWarning
from ..infer.model import UnconstrainedModel, pointwise_log_likelihood, resolve_model
from .adaptation import DualAveraging, NutpieAdaptation, WindowedAdaptation
from .chees import WARMUP_ZERO_MESSAGE as _CHEES_WARMUP_ZERO
from .chees import _check_args as _check_chees_args
from .chees import _checks as _lockstep_checks
from .chees import _CheesRun
from .ensemble import EnsembleState, check_walkers, stretch_step
from .executors import ChainJob, check_picklable, executor_kind, run_on_executor, worker_identity
from .hmc import MAX_DELTA_ENERGY, HMCState, Metric, hmc_step, init_state, nuts_step
from .kernels import SliceState, mala_step, rwm_step, slice_step
from .meads import WARMUP_ZERO_MESSAGE as _MEADS_WARMUP_ZERO
from .meads import _check_args as _check_meads_args
from .meads import _MeadsRun
from .progress import ChainProgress
from .result import SampleResult
from .store import RunStore, check_output_dir, chunk_seed

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


KERNELS = ("nuts", "hmc", "rwm", "mala", "slice", "ensemble", "chees", "meads")
_DEFAULT_TARGET = {"nuts": 0.8, "hmc": 0.8, "rwm": 0.234, "mala": 0.574, "chees": 0.651}
#: The kernels that advance all chains together, as one runner (chees.py, meads.py) ...
LOCKSTEP_KERNELS = ("chees", "meads")
#: ... their own settings (``sample(kernel_options=...)``) with the defaults of
#: ``sample_chees`` and ``sample_meads``
_LOCKSTEP_OPTIONS = {
    "chees": {"learning_rate": 0.05, "trajectory_length": None, "max_leapfrog": 1000},
    "meads": {"folds": 4, "step_size_factor": 0.5},
}
#: The default ``init_jitter``: the cross-chain warm-ups want over-dispersed starts (Stan's
#: ``uniform(-2, 2)``), the per-chain ones a start near ``init``
_LOCKSTEP_JITTER, _DEFAULT_JITTER = 2.0, 0.1


def sample(
    log_prob: Callable,
    init: Any = None,
    *,
    constraints: Any = None,
    kernel: str = "nuts",
    chains: int = 4,
    draws: int = 1000,
    warmup: int = 1000,
    seed: int | np.random.Generator | None = None,
    progress: bool | str = True,
    target_accept: float | None = None,
    max_depth: int = 10,
    metric: str = "diag",
    num_steps: int = 16,
    init_jitter: float | None = None,
    jit: bool = True,
    walkers: int = 32,
    adaptation: str = "stan",
    chain_method: str = "auto",
    init_method: str = "given",
    step_size: float | None = None,
    inverse_metric: Any = None,
    adapt_step_size: bool = True,
    adapt_metric: bool = True,
    save_dir: str | os.PathLike | None = None,
    resume: bool = False,
    checkpoint_every: float = 10.0,
    log_likelihood: bool = True,
    save_warmup: bool = False,
    executor: Any = None,
    chain_inits: Sequence | None = None,
    superchains: int | None = None,
    kernel_options: Mapping[str, Any] | None = None,
) -> SampleResult:
    """Sample a posterior with NUTS (default), HMC, MALA, random-walk Metropolis, slice
    sampling, the ensemble sampler, or many chains in lockstep with ChEES-HMC or MEADS, with
    warm-up adaptation.

    Parameters
    ----------
    log_prob : callable or model
        ``log_prob(params) -> scalar`` log density (up to a constant) of a parameter pytree;
        or a model that describes itself (``__fluxion_model__``), such as a conditioned joint
        distribution ``fluxion.distributions.JointDistributionNamed(...).condition(y=data)``:
        its free variables are the parameters, with their start values and constraints (each
        distribution's ``default_bijector``) taken from the model, and the observed variables'
        pointwise log-likelihood is recorded (``result.log_likelihood``, ``to_arviz()``).
    init : pytree, optional
        Initial values (constrained space); every chain starts from them, jittered by
        ``init_jitter`` (uniform noise of that width in the unconstrained space). Required
        with a callable; with a model, a dict by name overriding some of its start values.
    constraints : dict, pytree or spec, optional
        Constraints matched to parameters by name: a dict naming only the constrained
        parameters (``{"sigma": "positive"}``; nested dicts mirror ``init``, or dotted names
        ``"layer.w"``), a pytree shaped like ``init`` (None = unconstrained), or one spec for
        every leaf. Specs are those of ``fluxion.bijectors.for_constraint`` (``"positive"``,
        ``("interval", a, b)``, ``"simplex"``, ... or a ``Bijector``). An unknown name, a
        constraint that does not fit its parameter's shape and an ``init`` value outside its
        constraint are errors.
    kernel : {"nuts", "hmc", "rwm", "mala", "slice", "ensemble", "chees", "meads"}
        The transition kernel. "rwm" is random-walk Metropolis with a Gaussian proposal scaled
        by the metric, "mala" the Metropolis-adjusted Langevin algorithm, "slice" coordinate-wise
        slice sampling (stepping out and shrinkage; no gradients; widths adapted in warm-up from
        the spread of the draws). "ensemble" is emcee's affine-invariant stretch move (no
        gradients): every walker is reported as a chain, and ``warmup`` iterations are
        discarded as burn-in. "chees" (:func:`fluxion.mcmc.sample_chees`: HMC with ChEES
        trajectory-length adaptation) and "meads" (:func:`fluxion.mcmc.sample_meads`:
        generalized HMC tuned by MEADS) advance hundreds to thousands of chains in lockstep,
        one batched value-and-gradient call per leapfrog step (``log_prob`` must batch with
        ``fluxion.vmap``), with a cross-chain warm-up; they give the draws of those functions
        for the same seed and settings. Their settings beyond ``sample``'s arguments are in
        ``kernel_options``; they run in this process (``chain_method`` does not change that,
        ``executor`` is not available), show one progress bar for the whole run and
        checkpoint it whole after any iteration.
    chains, draws, warmup : int
        Number of chains, kept draws per chain, warm-up iterations per chain. With
        ``warmup=0`` nothing is adapted (a warning says which step size and metric are used).
        "chees" needs ``chains >= 2`` and "meads" a multiple of its folds (4) with at least
        2 chains per fold; both are meant for hundreds of chains and short runs (memory for
        the draws: ``chains * draws * d * 8`` bytes, and as much again for a checkpoint).
    seed : int or numpy Generator, optional
    progress : bool or {"bar", "lines"}
        Progress on stderr: tqdm bars on a terminal or in a notebook, a line every ~10% when
        stderr is a file or a pipe (a job scheduler's log); False for none.
    target_accept : float, optional
        The step size is adapted so that the mean acceptance statistic reaches this; by default
        0.8 for NUTS and HMC, 0.234 for RWM, 0.574 for MALA; for "chees" the harmonic mean of
        the chains' acceptance probabilities, 0.651 by default. Not for "meads" (its step size
        follows from the gradients' scale).
    max_depth : int
        NUTS's maximum tree depth (2**max_depth leapfrog steps per draw at most).
    metric : {"diag", "dense", "low_rank"}
        The adapted inverse mass matrix (for RWM and MALA: the proposal's shape). "low_rank"
        (nutpie's diagonal plus low-rank correction) needs ``adaptation="nutpie"``; "dense" needs
        ``adaptation="stan"``. "chees" and "meads" adapt a diagonal one only.
    num_steps : int
        Leapfrog steps per HMC transition.
    init_jitter : float, optional
        The width of the uniform noise around the start, per coordinate in the unconstrained
        space: 0.1 by default; 2.0 (Stan's ``uniform(-2, 2)``) for "chees" and "meads", whose
        cross-chain warm-ups want over-dispersed starts.
    jit : bool
        Compile the log density and gradient (default). With ``jit=False`` (or a model jit
        cannot compile to native code, e.g. an ODE solve) NUTS still runs in the compiled core
        and calls the model back in Python once per gradient (``result.potential == "python"``).
    walkers : int
        Number of walkers for ``kernel="ensemble"`` (even, at least twice the dimension).
    adaptation : {"stan", "nutpie"}
        The warm-up metric adaptation for NUTS, HMC, MALA and RWM: Stan's windowed variance
        estimate, or nutpie's gradient-informed (Fisher divergence) estimate from the draws and
        the gradients at the draws, over overlapping windows (usually fewer gradient
        evaluations per draw). Recorded per chain in ``result.adaptation``.
    chain_method : {"auto", "sequential", "threads", "parallel"}
        Run the chains in this process, taking turns (a chunk of each chain in turn, so that an
        interrupted run has draws of every chain); in threads of this process (at most one per
        core: this pays where the chains run in compiled code, which releases the GIL); or in
        parallel worker processes (one per chain, at most the number of cores; forked, so the
        model needs no pickling; falls back to sequential where fork is unavailable; no
        progress bars). "auto" (the default) uses threads when the whole chain runs compiled
        (``result.compiled == "chain"``) and sequential otherwise (also for "transition": the
        warm-ups kept in Python, ``metric="low_rank"`` or ``adapt_metric`` without
        ``adapt_step_size``, whose trees are compiled but whose tuner holds the GIL; measured
        on a 50-d Gaussian with 4 chains: low-rank threads 2.5 s against 2.1 s sequential).
        The draws do not depend on it.
    init_method : {"given", "optimize"}
        Start from ``init`` (jittered), or first move ``init`` to the mode of the (unconstrained)
        density with a quick L-BFGS run and start the chains there.
    step_size : float, optional
        The initial step size (NUTS, HMC, MALA, ChEES; for RWM the proposal scale) instead of
        Stan's heuristic; kept throughout with ``adapt_step_size=False`` or ``warmup=0``.
    inverse_metric : array, optional
        The initial inverse mass matrix in the unconstrained space: shape ``(d,)`` (diagonal) or
        ``(d, d)`` (needs ``metric="dense"``), ``d = result.inv_metric[0].size``, the flat
        parameters in the order of ``init``'s leaves. Kept with ``adapt_metric=False``.
    adapt_step_size, adapt_metric : bool
        Adapt the step size (dual averaging) and the metric during warm-up (both by default;
        "chees" and "meads" always adapt both).
    save_dir : str, optional
        A directory where the run keeps ``draws.nc`` (every finished draw, rewritten while it
        runs), checkpoints and ``run.json``: Ctrl-C, an exception or a killed process leaves
        the finished draws there, and ``resume=True`` continues the run. Checked (created,
        writable) before sampling starts.
    resume : bool
        Continue the interrupted run in ``save_dir`` (same settings; ``seed`` may be omitted):
        the draws equal those of an uninterrupted run with the same seed.
    checkpoint_every : float
        At most this many seconds between a chain's checkpoints (and rewrites of the draws).
    log_likelihood : bool
        For a model with observed variables: record their pointwise log-likelihood at every
        draw (``result.log_likelihood``, for ``arviz.loo``; default). False skips it.
    chain_inits : sequence of pytrees, optional
        One start per chain (``chains`` of them, each with the structure of ``init``, a dict by
        free variable name for a model), e.g. ``fluxion.vi.pathfinder(model)
        .init_for_chains(4)``; each chain is jittered around its own start by
        ``init_jitter``. Not with ``kernel="ensemble"``, nor with ``superchains``.
    save_warmup : bool
        Keep the warm-up draws too (``result.warmup_draws``, shape ``(chains, warmup,
        *shape)``; ``to_arviz()`` writes ``warmup_posterior`` and ``warmup_sample_stats``).
        Not with ``kernel="ensemble"``.
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Run the chains as tasks there instead of ``chain_method``: a ``ThreadPoolExecutor``,
        a ``ProcessPoolExecutor`` (the model must pickle: ``log_prob`` defined at module
        level) or a ``dask.distributed.Client`` (cloudpickle: closures too; ``pip install
        fluxion[dask]``). Each chain runs in chunks of about a tenth of its iterations, one
        task each; a worker rebuilds the model from ``log_prob``, ``init`` and
        ``constraints`` (compiling it, or loading it from its own cache) and the chain from
        its seed and last snapshot, so the draws equal those of local chains with the same
        seed. Progress, ``save_dir`` checkpoints and Ctrl-C work as locally. A chunk whose
        dask worker is lost is run again from the chain's last snapshot on another worker
        (same draws; ``result.events`` says what happened); a process pool whose worker
        dies is broken and the run fails, keeping the finished chunks. Not with "chees" or
        "meads".
    superchains : int, optional
        For "chees" and "meads": the number of start points, K, dividing ``chains``; the
        chains are split into K contiguous groups that start from the same point
        (``result.superchains`` labels them), and the run is checked by nested R-hat
        (:func:`fluxion.diagnostics.nested_rhat`; ``result.nested_rhat``, a warning above
        1.01), which suits many short chains where per-chain R-hat and ESS do not. By
        default every chain has its own start and only divergences are checked.
    kernel_options : dict, optional
        The settings of "chees" (``learning_rate`` 0.05, ``trajectory_length`` None: one step
        to begin with, ``max_leapfrog`` 1000) and "meads" (``folds`` 4,
        ``step_size_factor`` 0.5) that are not ``sample`` arguments, as for
        :func:`fluxion.mcmc.sample_chees` and :func:`fluxion.mcmc.sample_meads`.

    Returns
    -------
    SampleResult
        ``.draws[name]`` of shape ``(chains, draws, *shape)``, ``.stats``, ``.summary()``,
        ``.to_arviz()``, ``.warnings`` (the convergence checks). After Ctrl-C once some draws
        are finished: the finished draws (the same number in every chain), with
        ``result.interrupted`` True and a warning saying how many were kept.
        ``.events``: what happened to the run on an ``executor`` (lost workers, re-run
        chunks), as sentences; empty otherwise. For "chees" and "meads" also
        ``.superchains`` (the superchain of each chain, shape ``(chains,)``), with
        ``superchains`` ``.nested_rhat`` (name -> array of the parameter's shape), for
        "chees" ``.trajectory_length`` (the adapted, un-jittered length) and the statistics
        of :func:`fluxion.mcmc.sample_chees` (``trajectory_length``; for "meads"
        ``damping``).

    Raises
    ------
    ValueError
        Bad arguments (chains < 1, unknown kernel, metric or adaptation, a step size that is
        not a positive number, an inverse metric of the wrong shape or not positive definite;
        for "chees" and "meads" fewer chains than they need, superchains not dividing
        chains, an argument they do not take such as ``metric="dense"`` or ``executor``),
        a model with no free parameters, constraints naming no parameter or not fitting it, an
        initial value outside its constraint, a log density that is not finite at the initial
        point, an unusable ``save_dir``.
    KeyboardInterrupt
        Ctrl-C before any draw was finished (the checkpoints are saved with ``save_dir``).
    TypeError
        Arguments of the wrong type; for "chees" and "meads" a ``log_prob`` that
        ``fluxion.vmap`` cannot batch.

    See Also
    --------
    fluxion.mcmc.sample_chees, fluxion.mcmc.sample_meads : the lockstep samplers on their own.
    fluxion.diagnostics.nested_rhat : convergence of many short chains.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.numpy as fnp
    >>> from fluxion.mcmc import sample
    >>> res = sample(lambda p: -0.5 * fnp.sum(p["x"] ** 2), {"x": np.zeros(3)},
    ...              kernel="chees", chains=64, warmup=100, draws=20, seed=0,
    ...              superchains=8, progress=False)
    >>> res.draws["x"].shape, res.nested_rhat["x"].shape
    ((64, 20, 3), (3,))
    """
    if init_jitter is None:
        init_jitter = _LOCKSTEP_JITTER if kernel in LOCKSTEP_KERNELS else _DEFAULT_JITTER
    _check_counts(chains, draws, warmup, walkers, max_depth, num_steps, init_jitter)
    if kernel not in KERNELS:
        names = ", ".join(repr(k) for k in KERNELS)
        raise ValueError(f"sample: unknown kernel {kernel!r}; expected one of {names}")
    lockstep_options = _check_lockstep(
        kernel, chains, draws, warmup, init_jitter, target_accept, step_size, metric,
        adaptation, inverse_metric, adapt_step_size, adapt_metric, executor, superchains,
        chain_inits, kernel_options,
    )
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
    if executor is not None:
        executor_type = executor_kind(executor, "sample")  # a TypeError for anything else
        if chain_method != "auto":
            raise ValueError(
                f"sample: pass executor= or chain_method={chain_method!r}, not both (the "
                "executor runs the chains)"
            )
    if init_method not in ("given", "optimize"):
        raise ValueError(
            f"sample: unknown init_method {init_method!r}; expected 'given' or 'optimize'"
        )
    if target_accept is None:
        target_accept = _DEFAULT_TARGET.get(kernel, 0.8)
    if not isinstance(target_accept, float | int) or not 0.0 < target_accept < 1.0:
        raise ValueError(f"sample: expected 0 < target_accept < 1, got {target_accept!r}")
    for name, flag in (("adapt_step_size", adapt_step_size), ("adapt_metric", adapt_metric),
                       ("resume", resume), ("jit", jit)):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"sample: expected {name} to be True or False, got {flag!r}")
    if step_size is not None:
        step_size = _check_step_size(step_size, kernel)
    if inverse_metric is not None and kernel in ("slice", "ensemble"):
        raise ValueError(f"sample: kernel={kernel!r} uses no metric; drop inverse_metric")
    if resume and save_dir is None:
        raise ValueError("sample: resume=True needs save_dir, the directory of the run to resume")
    if not (isinstance(checkpoint_every, float | int) and checkpoint_every >= 0):
        raise ValueError(
            f"sample: expected checkpoint_every >= 0 (seconds), got {checkpoint_every!r}"
        )
    _check_progress(progress)
    if save_dir is not None:
        check_output_dir(os.fspath(save_dir), "sample")  # before any work is done
    start = time.perf_counter()
    log_prob, init, constraints, spec = resolve_model("sample", log_prob, init, constraints)
    user_model = (log_prob, init, constraints)
    model = UnconstrainedModel(log_prob, init, constraints, jit=jit, who="sample")
    if inverse_metric is not None:
        inverse_metric = _check_inverse_metric(inverse_metric, model.dim, metric)
    if save_warmup and kernel == "ensemble":
        raise ValueError(
            "sample: save_warmup=True is not available with kernel='ensemble' (its warm-up is "
            "burn-in: run with warmup=0 and discard draws instead)"
        )
    controls = _Controls(
        step_size, inverse_metric, bool(adapt_step_size), bool(adapt_metric), bool(save_warmup)
    )
    if warmup == 0 and kernel in LOCKSTEP_KERNELS:
        message = _CHEES_WARMUP_ZERO if kernel == "chees" else _MEADS_WARMUP_ZERO
        warnings.warn(message.format(who="sample"), SamplingWarning, stacklevel=2)
    elif warmup == 0 and kernel not in ("slice", "ensemble"):
        given = f"step_size={step_size}" if step_size is not None else (
            "the step size Stan's heuristic finds at each chain's start"
        )
        warnings.warn(
            f"sample: warmup=0, so nothing is adapted: the chains run with {given} and "
            + ("the given inverse_metric" if inverse_metric is not None else "the identity "
               "metric")
            + "; result.stats['step_size'] holds the step size used",
            SamplingWarning,
            stacklevel=2,
        )
    logp_and_grad = model.logp_and_grad
    compiled_chains = _may_compile_chains(kernel)
    if compiled_chains and jit:
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
            f"not finite){_non_finite_parameters(model, state0.grad)}; start from a point inside "
            "the support, or add constraints"
        )
    if init_method == "optimize":
        state0 = _optimized_start(model, state0)
    chain_states = _chain_starts(model, logp_and_grad, chain_inits, chains, kernel)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    store = None
    entropy = np.random.SeedSequence(seed).entropy
    if save_dir is not None:
        fingerprint = {
            "kernel": kernel, "chains": chains, "draws": draws, "warmup": warmup,
            "target_accept": target_accept, "max_depth": max_depth, "metric": metric,
            "num_steps": num_steps, "init_jitter": init_jitter, "walkers": walkers,
            "adaptation": adaptation, "init_method": init_method, "step_size": step_size,
            "inverse_metric": None if inverse_metric is None else inverse_metric.tolist(),
            "adapt_step_size": adapt_step_size, "adapt_metric": adapt_metric,
            "save_warmup": bool(save_warmup),
            "chain_inits": None if chain_states is None else [s.q.tolist() for s in chain_states],
            "parameters": [[n, list(sh)] for n, sh in zip(model.names, model.shapes)],
            "compiled": compiled_chains, "chunk": _COMPILED_CHUNK,
            # new keys are None for the other kernels: their older runs still resume
            "superchains": None if superchains is None else int(superchains),
            "kernel_options": lockstep_options,
        }
        if resume and seed is None:
            entropy = None  # the run's own
        store = RunStore(os.fspath(save_dir), fingerprint, entropy or 0, resume,
                         every=float(checkpoint_every))
        if resume and seed is not None and store.entropy != entropy:
            raise ValueError(
                f"sample: the run in {os.fspath(save_dir)!r} used another seed; resume it with "
                "the same seed (or seed=None)"
            )
        entropy = store.entropy
    seeds = np.random.SeedSequence(entropy)
    fast, reason = (_compiled_nuts(model, _core_warmup(metric, adaptation, controls), jit)
                    if compiled_chains else (None, ""))
    args = _ChainArgs(
        model, state0, kernel, draws, warmup, target_accept, max_depth, metric, num_steps,
        init_jitter, adaptation, controls, fast, reason, chain_states,
    )
    if kernel == "ensemble":
        runners: list = [_EnsembleRun(args, np.random.default_rng(seeds), walkers)]
    elif kernel in LOCKSTEP_KERNELS:
        runners = [_lockstep_run(args, np.random.default_rng(seeds), chains, superchains,
                                 lockstep_options)]
    else:
        runners = [_new_runner(args, child, c) for c, child in enumerate(seeds.spawn(chains))]
    if store is not None:
        for r in runners:
            snap = store.load(r.chain)
            if snap is not None:
                r.restore(snap)
    job = None
    if executor is not None:
        chain_method = "executor"
        job = ChainJob(
            uuid.uuid4().hex, user_model, args._replace(model=None, fast=None),
            {"walkers": walkers, "jit": jit}, entropy, chains, _draw_options(),
            args.where(), local_args=args if executor_type == "threads" else None,
        )
        check_picklable(job, executor_type, "sample", is_model=spec is not None)
    if chain_method == "auto" or kernel in LOCKSTEP_KERNELS:
        # (a lockstep run is one runner in this process, whichever method was asked for; a
        # Python potential takes the GIL for every gradient: threads would gain nothing)
        chain_method = "threads" if args.whole_chain_compiled() and not (
            fast.potential == "python") else "sequential"
    reporter = ChainProgress(
        progress if chain_method != "parallel" else False,
        len(runners), warmup, draws, divergences=kernel in ("nuts", "hmc", *LOCKSTEP_KERNELS),
    )

    def partial() -> SampleResult | None:
        return _result(args, runners, start, partial=True)

    if store is not None:
        store.partial = partial
    events: list[str] = []  # filled in place by the executor's driver (kept on Ctrl-C too)
    try:
        with reporter, _ctrl_c_stops(reporter.stop):
            _drive(runners, chain_method, reporter, store,
                   None if job is None else (executor, executor_type, job, events))
    except KeyboardInterrupt:
        if chain_method == "parallel" and store is not None:
            for r in runners:  # the chains ran in other processes: their last checkpoints
                snap = store.load(r.chain)
                if snap is not None:
                    r.restore(snap)
        interrupted = _interrupted(args, runners, start, store, partial)
        interrupted.events = events
        return interrupted
    except BaseException as err:
        if store is not None:
            _save_after_failure(store, runners, partial, err)
        if job is not None:
            _keep_finished_chains(args, runners, start, err)
        raise
    result = _result(args, runners, start)
    result.events = events
    if spec is not None:  # a model: the observed variables' pointwise log-likelihood
        if log_likelihood:
            result.log_likelihood = pointwise_log_likelihood(spec, result.draws)
        result.observed_data = dict(spec.observed)
    result.warnings = _check(result, max_depth, superchains)
    if store is not None:
        store.write_draws(result)
        store.finish()
    for w in result.warnings:
        warnings.warn(w.message, SamplingWarning, stacklevel=2)
    return result


def _check_counts(
    chains: Any, draws: Any, warmup: Any, walkers: Any, max_depth: Any, num_steps: Any,
    init_jitter: Any,
) -> None:
    """The integer arguments of ``sample`` (bool is not an integer here)."""
    def is_int(v: Any) -> bool:
        return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)

    for name, value, low in (("chains", chains, 1), ("draws", draws, 1), ("warmup", warmup, 0),
                             ("walkers", walkers, 2), ("max_depth", max_depth, 1),
                             ("num_steps", num_steps, 1)):
        if not is_int(value) or value < low:
            error = ValueError if is_int(value) else TypeError
            raise error(f"sample: expected {name} to be an integer >= {low}, got {value!r}")
    if not isinstance(init_jitter, float | int) or not (0 <= init_jitter < np.inf):
        raise ValueError(f"sample: expected init_jitter >= 0, got {init_jitter!r}")


def _non_finite_parameters(model: Model, grad: np.ndarray) -> str:
    """", the gradient is not finite for 'x', 'y'" (the parameters at fault), or ""."""
    bad, offset = [], 0
    for name, size in zip(model.names, model._u_sizes):
        if not np.all(np.isfinite(grad[offset : offset + size])):
            bad.append(repr(name))
        offset += size
    if not bad or len(bad) == len(model.names) > 1:
        return ""  # every parameter: the message would say nothing more
    return f"; the gradient is not finite for {', '.join(bad)}"


def _check_progress(progress: Any) -> None:
    if progress not in (True, False, None, "bar", "lines", "auto"):
        raise ValueError(
            f"sample: progress expected True, False, 'bar' or 'lines', got {progress!r}"
        )


def _check_step_size(step_size: Any, kernel: str) -> float:
    if kernel in ("slice", "ensemble"):
        raise ValueError(f"sample: kernel={kernel!r} has no step size; drop step_size")
    try:
        value = float(step_size)
    except (TypeError, ValueError):
        raise TypeError(f"sample: expected step_size to be a positive number, got "
                        f"{step_size!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"sample: expected step_size > 0 and finite, got {step_size!r}")
    return value


def _check_inverse_metric(inverse_metric: Any, dim: int, metric: str) -> np.ndarray:
    """The user's inverse metric as float64, checked against the model's dimension and kind."""
    try:
        inv = np.array(inverse_metric, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"sample: expected inverse_metric to be an array of numbers, got "
            f"{type(inverse_metric).__name__}"
        ) from None
    if inv.ndim == 0:
        inv = np.full(dim, float(inv))
    want = "(d,) or (d, d)" if metric == "dense" else "(d,)"
    if inv.shape not in ((dim,), (dim, dim)) or (inv.ndim == 2 and metric != "dense"):
        fix = ("; a (d, d) matrix needs metric='dense'"
               if inv.shape == (dim, dim) else "")
        raise ValueError(
            f"sample: expected inverse_metric of shape {want} with d={dim} (the flat "
            f"unconstrained parameters), got shape {inv.shape}{fix}"
        )
    if not np.all(np.isfinite(inv)):
        raise ValueError("sample: inverse_metric has non-finite entries")
    if inv.ndim == 1:
        if not np.all(inv > 0):
            raise ValueError(
                f"sample: expected a positive inverse_metric, got minimum {inv.min():g}"
            )
        return inv if metric != "dense" else np.diag(inv)
    if not np.allclose(inv, inv.T, rtol=1e-10, atol=0.0):
        raise ValueError("sample: expected a symmetric inverse_metric matrix")
    try:
        np.linalg.cholesky(inv)
    except np.linalg.LinAlgError:
        raise ValueError("sample: expected a positive definite inverse_metric matrix") from None
    return inv


def _check_lockstep(
    kernel: str, chains: Any, draws: Any, warmup: Any, init_jitter: Any, target_accept: Any,
    step_size: Any, metric: str, adaptation: str, inverse_metric: Any, adapt_step_size: Any,
    adapt_metric: Any, executor: Any, superchains: Any, chain_inits: Any,
    kernel_options: Any,
) -> dict | None:
    """For ``kernel="chees"`` or ``"meads"``: the kernel's settings (``kernel_options`` over
    their defaults), once ``sample``'s other arguments are checked to suit it; None for the
    other kernels (which take neither ``superchains`` nor ``kernel_options``)."""
    if kernel not in LOCKSTEP_KERNELS:
        if superchains is not None:
            raise ValueError(
                f"sample: superchains is for kernel='chees' or 'meads' (many chains in "
                f"lockstep, checked by nested R-hat), got kernel={kernel!r}; drop superchains"
            )
        if kernel_options is not None:
            raise ValueError(
                f"sample: kernel_options is for kernel='chees' or 'meads'; kernel={kernel!r} "
                "takes its settings as sample's own arguments"
            )
        return None
    defaults = _LOCKSTEP_OPTIONS[kernel]
    if kernel_options is None:
        kernel_options = {}
    if not isinstance(kernel_options, Mapping):
        raise TypeError(
            f"sample: expected kernel_options as a dict (e.g. {{{next(iter(defaults))!r}: "
            f"...}}), got {type(kernel_options).__name__}"
        )
    unknown = sorted(str(k) for k in kernel_options if k not in defaults)
    if unknown:
        raise ValueError(
            f"sample: unknown kernel_options {', '.join(map(repr, unknown))} for "
            f"kernel={kernel!r}; expected some of {', '.join(map(repr, defaults))}"
        )
    # NumPy scalars as Python numbers: the options go into the run's JSON fingerprint
    options = {k: v.item() if isinstance(v, np.generic) else v
               for k, v in {**defaults, **kernel_options}.items()}
    name = f"kernel={kernel!r}"
    if metric != "diag":
        raise ValueError(
            f"sample: {name} adapts a diagonal metric from the spread of the chains; "
            f"metric={metric!r} is not available with it (use metric='diag', or kernel='nuts' "
            "for a dense metric)"
        )
    if adaptation != "stan":
        raise ValueError(
            f"sample: {name} has its own cross-chain warm-up; adaptation={adaptation!r} does "
            "not apply to it (drop adaptation)"
        )
    if inverse_metric is not None:
        raise ValueError(
            f"sample: {name} adapts its metric from the chains (their cross-chain variance); "
            "drop inverse_metric"
        )
    if not (adapt_step_size and adapt_metric):
        fixed = ("warmup=0 with step_size (and kernel_options={'trajectory_length': ...})"
                 if kernel == "chees" else "warmup=0")
        raise ValueError(
            f"sample: {name} always adapts its step size and metric during warm-up; for fixed "
            f"settings run with {fixed} instead of adapt_step_size/adapt_metric=False"
        )
    if executor is not None:
        raise ValueError(
            f"sample: {name} advances all chains together in this process (one batched "
            "gradient call per leapfrog step), not as tasks on an executor; drop executor"
        )
    if chain_inits is not None and superchains is not None:
        raise ValueError(
            "sample: pass chain_inits (one start per chain) or superchains (one start per "
            "superchain, shared by its chains), not both"
        )
    if kernel == "meads":
        for arg, value, why in (
            ("target_accept", target_accept, "sets its step size from the scale of the "
             "chains' gradients (no target acceptance)"),
            ("step_size", step_size, "sets its step size from the chains' gradients at every "
             "warm-up iteration"),
        ):
            if value is not None:
                raise ValueError(f"sample: {name} {why}; drop {arg}")
        _check_meads_args("sample", chains, draws, warmup, superchains, init_jitter,
                          options["folds"], options["step_size_factor"])
        return options
    if step_size is not None:
        step_size = _check_step_size(step_size, kernel)
    _check_chees_args(
        "sample", chains, draws, warmup, superchains, init_jitter,
        _DEFAULT_TARGET["chees"] if target_accept is None else target_accept,
        options["learning_rate"], options["max_leapfrog"], options["trajectory_length"],
        step_size,
    )
    return options


def _check(result: SampleResult, max_depth: int, superchains: int | None = None) -> list:
    """The convergence checks of a finished run (``diagnostics.check_sampling``; for the
    lockstep kernels divergences and nested R-hat, as ``sample_chees`` checks them)."""
    from ..run_checks import check_sampling  # per call: diagnostics loads scipy.stats

    kernel = result.kernel
    if kernel in LOCKSTEP_KERNELS:
        # per-chain R-hat and ESS thresholds do not suit hundreds of short chains
        return _lockstep_checks("sample", result, superchains)
    return check_sampling(result.draws, result.stats, kernel=kernel,
                          max_depth=max_depth if kernel == "nuts" else None)


@contextlib.contextmanager
def _ctrl_c_stops(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C sets ``stop`` instead of raising wherever the main thread happens to be: every
    chain then stops at the end of its current iteration (or chunk), with its state whole, so
    that the finished draws and the checkpoints are exact. A second Ctrl-C raises at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not settable here (an embedding interpreter): Python's default
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _drive(
    runners: list, method: str, reporter: Any, store: Any, on_executor: tuple | None = None
) -> None:
    """Run every runner to its end: in turns in this thread, in threads, in processes, or as
    chunk tasks on an executor (``on_executor = (executor, kind, job, events)``: the events,
    such as lost workers, are appended to ``events`` as sentences)."""
    def after_chunk(runner: Any) -> None:
        reporter.update(runner.chain, runner.done, runner.divergences)  # raises on stop
        if store is not None:
            store.maybe_save(runner)

    for r in runners:  # each chain's clock starts here
        reporter.update(r.chain, r.done, r.divergences)
    if on_executor is not None:
        executor, kind, job, events = on_executor
        granule = _COMPILED_CHUNK if job.compiled == "chain" else 1
        run_on_executor(executor, kind, _chain_task, job, runners, granule, after_chunk,
                        reporter.stop, events)
    elif method == "parallel" and len(runners) > 1:
        _run_parallel(runners, store, reporter.stop)
    elif method == "threads" and len(runners) > 1:
        _run_threads(runners, after_chunk, reporter)
    else:
        turn = max(1, max(r.total for r in runners) // 20)
        while any(r.done < r.total for r in runners):
            for r in runners:
                r.advance(min(r.done + turn, r.total), after_chunk)
    if store is not None and os.getpid() == store.pid:
        for r in runners:
            store.save(r)


def _interrupted(
    args: _ChainArgs, runners: list, start: float, store: Any, partial: Callable
) -> SampleResult:
    """Ctrl-C: keep what is finished (on disk with a store) and return it, or re-raise."""
    if store is not None:
        for r in runners:
            store.save(r)
        store.set_status("interrupted")
        store.write_partial()
    result = partial()
    where = f"; resume with save_dir={os.fspath(store.path)!r}, resume=True" if store else ""
    if result is None:
        raise KeyboardInterrupt(f"sample: interrupted during warm-up, no draws finished{where}")
    from ..run_checks import RunWarning

    result.interrupted = True
    n = next(iter(result.draws.values())).shape[1]
    message = (f"sample: interrupted; the result holds the {n} draws per chain finished by "
               f"every chain (of {args.draws}){where}")
    result.warnings = [RunWarning("interrupted", message, ())]
    warnings.warn(message, SamplingWarning, stacklevel=3)
    return result


def _save_after_failure(store: Any, runners: list, partial: Callable, err: BaseException) -> None:
    """An exception stopped the run: write the finished draws and say so in the message."""
    try:
        store.set_status("failed", error=f"{type(err).__name__}: {err}")
        store.write_partial()
    except Exception:  # the original error matters more than a failed save
        return
    if hasattr(err, "add_note"):
        err.add_note(f"sample: the draws finished before this error are in {store.path}")


def _result(args: _ChainArgs, runners: list, start: float, partial: bool = False) -> Any:
    """The ``SampleResult`` of the runners: complete, or (``partial``) the draws every chain
    has finished (None when there are none yet)."""
    model = args.model
    if args.kernel in LOCKSTEP_KERNELS:
        run = runners[0]
        n = run.kept_count() if partial else args.draws
        return None if n == 0 else run.result(n, time.perf_counter() - start)
    if args.kernel == "ensemble":
        run = runners[0]
        n = run.kept_count() if partial else args.draws
        if n == 0:
            return None
        return SampleResult(
            model.constrained_draws(run.kept[:, :n]),
            {"log_density": run.lp[:, :n].copy(), "accepted": run.acc[:, :n].copy()},
            {}, [], time.perf_counter() - start, "ensemble",
            adaptation=["none"] * run.walkers, metric="none",
        )
    n = min(r.kept_count() for r in runners) if partial else args.draws
    if n == 0:
        return None
    outs = [r.output(n) for r in runners]
    stats = {k: np.stack([o[1][k] for o in outs]) for k in outs[0][1]}
    warm = {k: np.stack([o[2][k] for o in outs]) for k in outs[0][2]} if args.warmup else {}
    warmup_draws = (
        model.constrained_draws(np.stack([o[5] for o in outs]))
        if args.controls.save_warmup and args.warmup else {}
    )
    result = SampleResult(
        model.constrained_draws(np.stack([o[0] for o in outs])),
        stats,
        warm,
        [o[3] for o in outs],
        time.perf_counter() - start,
        args.kernel,
        adaptation=[o[4] for o in outs],
        metric="none" if args.kernel == "slice" else args.metric,
        compiled=args.where(),
        potential=args.fast.potential if args.fast is not None else None,
        compiled_reason=args.reason,
    )
    result.warmup_draws = warmup_draws
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


class _Tuner:
    """What the tuners share: the step-size search is a closure over the chain's generator and
    model, so it is left out of a checkpoint and attached again on restore."""

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "find_step_size"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.find_step_size = None


class _StanTuner(_Tuner):
    """Stan's warm-up: dual-averaging step size and windowed variance (or covariance); either
    can be switched off (``adapt_step``, ``adapt_metric``), starting from the given values."""

    def __init__(
        self,
        state: HMCState,
        warmup: int,
        dense: bool,
        target: float,
        find_step_size: Callable,
        restart_step_size: bool = True,
        controls: _Controls | None = None,
    ) -> None:
        controls = controls or _Controls()
        d = state.q.size
        self.warmup = warmup
        self.find_step_size = find_step_size
        self.adapt_step = controls.adapt_step_size
        self.adapt_metric = controls.adapt_metric
        self.restart_step_size = restart_step_size and self.adapt_step
        self.name = ("stan" if self.adapt_metric else "step-size") if self.adapt_step else (
            "metric" if self.adapt_metric else "none")
        if controls.inverse_metric is not None:
            self.metric = Metric(controls.inverse_metric)
        else:
            self.metric = Metric(np.eye(d) if dense else np.ones(d))
        if controls.step_size is not None:
            self.step_size = controls.step_size
        else:
            self.step_size = find_step_size(state, self.metric, 1.0)
        self.dual = DualAveraging(self.step_size, target=target)
        self.window = WindowedAdaptation(warmup, d, dense=dense)

    def update(self, i: int, state: HMCState, info: dict) -> None:
        if self.adapt_step:
            self.step_size = self.dual.update(info["accept_prob"])
        if self.adapt_metric and self.window.in_slow_window(i):
            self.window.add(state.q)
            if self.window.window_ends(i):
                self.metric = Metric(self.window.estimate())
                if self.restart_step_size:
                    self.step_size = self.find_step_size(state, self.metric, self.step_size)
                    self.dual.restart(self.step_size)
        if i == self.warmup - 1 and self.adapt_step:
            self.step_size = self.dual.final_step_size()


class _NutpieTuner(_Tuner):
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
        controls: _Controls | None = None,
    ) -> None:
        controls = controls or _Controls()
        self.warmup = warmup
        self.find_step_size = find_step_size
        self.adapt_step = controls.adapt_step_size
        self.schedule = NutpieAdaptation(warmup, state.q.size, low_rank=low_rank)
        initial = self.schedule.init(state.q, state.grad)
        if controls.inverse_metric is not None:
            initial = controls.inverse_metric
        self.metric = Metric(initial)
        if controls.step_size is not None:
            self.step_size = controls.step_size
        else:
            self.step_size = find_step_size(state, self.metric, 1.0)
        self.dual = DualAveraging(self.step_size, target=target)
        self.first_change = True

    def _dual_update(self, accept: float) -> None:
        if self.adapt_step:
            self.step_size = self.dual.update(accept)

    def update(self, i: int, state: HMCState, info: dict) -> None:
        schedule = self.schedule
        if schedule.in_metric_phase(i):
            good = not info.get("divergent", False)
            inv = schedule.update(i, state.q, state.grad, good)
            if inv is not None:
                self.metric = Metric(inv)
                if self.first_change and self.adapt_step:  # the step for the first estimate
                    self.first_change = False
                    self.step_size = self.find_step_size(state, self.metric, self.step_size)
                    self.dual.restart(self.step_size)
                    return
            self._dual_update(info["accept_prob"])
            if i == schedule.final_start - 1:  # the metric is final: fresh dual averaging
                self.dual.restart(self.step_size)
        else:
            self._dual_update(info["accept_prob"])
        if i == self.warmup - 1 and self.adapt_step:
            self.step_size = self.dual.final_step_size()


class _Controls(NamedTuple):
    """The user's step size and inverse metric, and which of them the warm-up adapts."""

    step_size: float | None = None
    inverse_metric: np.ndarray | None = None
    adapt_step_size: bool = True
    adapt_metric: bool = True
    save_warmup: bool = False


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
    controls: _Controls
    fast: Any = None  # CompiledNuts (numba_nuts) when the compiled path applies, else None
    reason: str = ""  # why the chains run where they do (SampleResult.compiled_reason)
    chain_states: tuple | None = None  # one start per chain (sample's chain_inits), else None

    def start(self, chain: int) -> HMCState:
        """The state chain ``chain`` starts from (before its jitter)."""
        return self.state0 if self.chain_states is None else self.chain_states[chain]

    def whole_chain_compiled(self) -> bool:
        """Whether chains run entirely in numba (NUTS whose warm-up the core has: a diagonal
        metric with either warm-up, or a dense one with Stan's)."""
        return (self.fast is not None and self.kernel == "nuts"
                and _core_warmup(self.metric, self.adaptation, self.controls) != "python")

    def where(self) -> str:
        """Where the chains run (``SampleResult.compiled``): "chain" (whole chains in numba),
        "transition" (the warm-up in Python, every NUTS transition in numba) or "python"."""
        if self.whole_chain_compiled():
            return "chain"
        return "transition" if self.fast is not None and self.kernel == "nuts" else "python"


# --------------------------------------------------------------------------------------------
# Runners: one chain each, run in steps (``advance``), checkpointed (``snapshot``/``restore``)
# --------------------------------------------------------------------------------------------


class _Runner:
    """A chain run in steps: ``advance(stop, after)`` runs iterations ``done .. stop - 1``
    (warm-up first) and calls ``after(self)`` every iteration or chunk (progress, checkpoints,
    Ctrl-C); ``output(n)`` is its first ``n`` kept draws with their statistics."""

    chain: int
    warmup: int
    draws: int
    done: int = 0
    divergences: int = 0

    @property
    def total(self) -> int:
        return self.warmup + self.draws

    def kept_count(self) -> int:
        return max(0, self.done - self.warmup)

    def _split_stats(self, stats: dict, n: int) -> tuple[dict, dict]:
        kept = {k: v[self.warmup : self.warmup + n].copy() for k, v in stats.items()}
        warm = {k: v[: self.warmup].copy() for k, v in stats.items()}
        return kept, warm


class _PythonChain(_Runner):
    """NUTS, HMC, MALA or RWM in Python, with Stan's or nutpie's warm-up."""

    def __init__(self, args: _ChainArgs, rng: np.random.Generator, chain: int) -> None:
        self.args, self.rng, self.chain = args, rng, chain
        self.warmup, self.draws = args.warmup, args.draws
        self._build_kernel()
        state = _jittered_start(rng, args.model, args.start(chain), args.init_jitter)
        if args.adaptation == "nutpie" and args.controls.adapt_metric:
            self.tuner: Any = _NutpieTuner(
                state, args.warmup, args.metric == "low_rank", args.target_accept,
                self._find_step_size, args.controls,
            )
        else:
            # Random-walk Metropolis keeps one dual average through the whole warm-up: its
            # scale in the metric's units is already right (2.38 / sqrt(d)), and one Metropolis
            # ratio per iteration is too noisy to re-learn the step in Stan's 50-iteration final
            # window (measured on a 5-d correlated Gaussian, seeds 1-3: per-chain acceptance
            # 0.05-0.27 with restarts against a 0.234 target, 0.13-0.30 without).
            self.tuner = _StanTuner(
                state, args.warmup, args.metric == "dense", args.target_accept,
                self._find_step_size, restart_step_size=args.kernel != "rwm",
                controls=args.controls,
            )
        self.state = state
        self.kept = np.empty((args.draws, args.model.dim))
        self.warm_q = np.empty((self.warmup, args.model.dim)) if args.controls.save_warmup else None
        self.stats = {k: np.empty(self.total) for k in self.keys}

    def _build_kernel(self) -> None:
        args = self.args
        logp_and_grad, d, rng = args.model.logp_and_grad, args.model.dim, self.rng
        if args.kernel == "rwm":
            # a Gaussian proposal with the target's covariance is best scaled by 2.38 / sqrt(d)
            self._find_step_size = lambda state, metric, step_size: 2.38 / math.sqrt(d)
            self.step = lambda state, step_size, metric: rwm_step(
                rng, state, logp_and_grad, step_size, metric
            )
            self.keys = _MH_STAT_KEYS
            return
        # MALA is one leapfrog step of HMC: Stan's step-size heuristic serves all three
        self._find_step_size = lambda state, metric, step_size: _find_step_size(
            rng, state, logp_and_grad, metric, step_size
        )
        if args.kernel == "nuts" and args.fast is not None:  # the trees in numba
            transition = args.fast.transition_step(d, int(args.max_depth))
            self.step = lambda state, step_size, metric: transition(rng, state, step_size, metric)
            self.keys = _STAT_KEYS
        elif args.kernel == "nuts":
            self.step = lambda state, step_size, metric: nuts_step(
                rng, state, logp_and_grad, step_size, metric, args.max_depth
            )
            self.keys = _STAT_KEYS
        elif args.kernel == "hmc":
            self.step = lambda state, step_size, metric: hmc_step(
                rng, state, logp_and_grad, step_size, metric, args.num_steps
            )
            self.keys = _STAT_KEYS
        else:
            self.step = lambda state, step_size, metric: mala_step(
                rng, state, logp_and_grad, step_size, metric
            )
            self.keys = _MH_STAT_KEYS

    def advance(self, stop: int, after: Callable) -> None:
        tuner, stats, warmup = self.tuner, self.stats, self.warmup
        for i in range(self.done, stop):
            step_size = tuner.step_size
            self.state, info = self.step(self.state, step_size, tuner.metric)
            info["step_size"] = step_size
            info["log_density"] = self.state.logp
            for k in self.keys:
                stats[k][i] = info[k]
            if i < warmup:
                tuner.update(i, self.state, info)
                if self.warm_q is not None:
                    self.warm_q[i] = self.state.q
            else:
                self.kept[i - warmup] = self.state.q
                self.divergences += bool(info.get("divergent", False))
            self.done = i + 1
            after(self)

    def snapshot(self) -> dict:
        return {"done": self.done, "divergences": self.divergences, "state": self.state,
                "tuner": self.tuner, "rng": self.rng.bit_generator.state, "kept": self.kept,
                "warm_q": self.warm_q, "stats": self.stats}

    def restore(self, snap: dict) -> None:
        self.done, self.divergences = snap["done"], snap["divergences"]
        self.state, self.tuner = snap["state"], snap["tuner"]
        self.tuner.find_step_size = self._find_step_size
        self.rng.bit_generator.state = snap["rng"]
        self.kept, self.stats = snap["kept"], snap["stats"]
        self.warm_q = snap.get("warm_q")

    def output(self, n: int) -> tuple:
        kept, warm = self._split_stats(self.stats, n)
        return (self.kept[:n].copy(), kept, warm, self.tuner.metric.inv_mass, self.tuner.name,
                self.warm_q)


#: Iterations of a compiled chain per call into numba. numba's generator is re-seeded at every
#: chunk from the chain's seed and the chunk's start (store.chunk_seed), so a chain restored at
#: a chunk boundary continues as if never stopped. Small enough for progress and Ctrl-C, large
#: enough that the ~10 us per chunk (the call, the re-seed, progress) stays under 1% of a tiny
#: model's NUTS iterations (a few us each).
_COMPILED_CHUNK = 100


class _CompiledChain(_Runner):
    """A whole NUTS chain with its warm-up (Stan's or nutpie's) in numba
    (``_nuts_core.run_chain`` / ``run_chain_nutpie``), run in chunks."""

    def __init__(self, args: _ChainArgs, rng: np.random.Generator, chain: int) -> None:
        fast, model, controls = args.fast, args.model, args.controls
        core = fast.core
        d = model.dim
        self.args, self.chain = args, chain
        self.warmup, self.draws = args.warmup, args.draws
        self.dense = args.metric == "dense"
        state = _jittered_start(rng, model, args.start(chain), args.init_jitter)
        self.q = np.array(state.q, dtype=np.float64)
        self.grad = np.empty(d)
        # the metric: (1, d) diagonal of the inverse mass matrix, or (2d, d) dense one over its
        # Cholesky factor; the given one or the identity to start with
        from .numba_nuts import core_metric  # (lazily, as the module's other uses of it)

        inv = controls.inverse_metric
        if inv is None:
            inv = np.eye(d) if self.dense else np.ones(d)
        self.metric = core_metric(Metric(inv))
        self.scalars = np.zeros(core.N_SCALARS)
        self.ws, self.slots = fast.workspace(d, int(args.max_depth))
        # with no adaptation at all, the warm-up is plain burn-in: the core runs every
        # iteration as a kept draw and the first `warmup` are set aside here
        self.plain = not controls.adapt_step_size and not controls.adapt_metric
        self.nutpie = args.adaptation == "nutpie" and controls.adapt_metric
        # a row per iteration when the warm-up is burn-in or its draws are saved
        self.every_row = self.plain or controls.save_warmup
        self.kept = np.empty((self.total if self.every_row else args.draws, d))
        self.stats = np.empty((self.total, core.N_STATS))
        self.seed = int(rng.integers(2**32 - 1))
        self.ctx, self._ctx_owner = fast.context()  # a tape's memory is per chain
        common = (fast.fn, self.ctx, self.q, self.grad, self.metric, self.scalars)
        if self.nutpie:
            self.schedule = NutpieAdaptation(args.warmup, d)
            self.estimator = np.zeros((2, 4, d))
            core.init_nutpie(*common, self.estimator, self.ws, self.seed,
                             float(self.schedule.window))
            if inv is not None:  # the given metric instead of the first gradient-based one
                self.metric[0] = inv
        else:
            windows = WindowedAdaptation(args.warmup, d)
            self.windows = (
                (windows.init_buffer, windows.end_slow, np.array(windows.ends, dtype=np.int64))
                if controls.adapt_metric else (0, 0, np.zeros(0, dtype=np.int64))
            )
            self.estimator = np.zeros((1 + d if self.dense else 2, d))
            core.init_chain(*common, self.ws, self.seed)
        if controls.step_size is not None:  # Stan's dual averaging restarted at the given step
            s = self.scalars
            s[core.S_MU] = math.log(10.0 * controls.step_size)
            s[core.S_SBAR] = s[core.S_XBAR] = s[core.S_COUNT] = 0.0
            s[core.S_STEP] = controls.step_size

    def _run(self, start: int, stop: int) -> float:
        args, fast = self.args, self.args.fast
        core = fast.core
        common = (fast.fn, self.ctx, self.q, self.grad, self.metric, self.scalars, self.ws,
                  self.slots, self.estimator, start, stop)
        if self.nutpie:
            sch = self.schedule
            return core.run_chain_nutpie(
                *common, self.warmup, int(args.max_depth), float(args.target_accept),
                MAX_DELTA_ENERGY, sch.early_end, sch.final_start, float(sch.early_switch_freq),
                float(sch.window_growth), self.kept, self.stats,
            )
        init_buffer, end_slow, ends = self.windows
        return core.run_chain(
            *common, 0 if self.plain else self.warmup, int(args.max_depth),
            float(args.target_accept), MAX_DELTA_ENERGY, init_buffer, end_slow, ends,
            self.kept, self.stats,
        )

    def advance(self, stop: int, after: Callable) -> None:
        from .numba_nuts import seed_thread  # numba's generator is per thread

        # whole chunks only (past ``stop`` if it falls inside one): every chunk starts at a
        # multiple of _COMPILED_CHUNK with its own seed, wherever the driver pauses the chain
        while self.done < stop:
            start = self.done
            end = min(self.total, start + _COMPILED_CHUNK)
            seed_thread(chunk_seed(self.seed, start))
            self._run(start, end)
            if self.args.fast.potential == "python":
                self.args.fast.native.raise_error()  # the model's exception, if it raised
            self.done = end
            div = self.stats[self.warmup : end, self.args.fast.core.STAT_DIV]
            self.divergences = int(div.sum())
            after(self)

    def snapshot(self) -> dict:
        return {"done": self.done, "q": self.q, "grad": self.grad, "metric": self.metric,
                "scalars": self.scalars, "estimator": self.estimator, "kept": self.kept,
                "stats": self.stats}

    def restore(self, snap: dict) -> None:
        self.done = snap["done"]
        for name in ("q", "grad", "metric", "scalars", "estimator", "kept", "stats"):
            getattr(self, name)[...] = snap[name]  # in place: the core holds these arrays
        column = self.args.fast.core.STAT_DIV
        self.divergences = int(self.stats[self.warmup : self.done, column].sum())

    def output(self, n: int) -> tuple:
        columns = {k: self.stats[:, j] for j, k in enumerate(_STAT_KEYS)}
        kept, warm = self._split_stats(columns, n)
        draws = self.kept[self.warmup : self.warmup + n] if self.every_row else self.kept[:n]
        warm_q = self.kept[: self.warmup].copy() if self.args.controls.save_warmup else None
        d = self.q.size
        inv_mass = self.metric[:d].copy() if self.dense else self.metric[0].copy()
        controls = self.args.controls
        name = ("nutpie" if self.nutpie else "stan" if controls.adapt_metric else "step-size"
                ) if controls.adapt_step_size or controls.adapt_metric else "none"
        return draws.copy(), kept, warm, inv_mass, name, warm_q


class _SliceChain(_Runner):
    """Coordinate-wise slice sampling; the widths are twice the standard deviation of the
    second half of the warm-up draws so far, re-estimated after warm-up iterations 10, 20, 40,
    ... (and at the end of warm-up)."""

    keys = ("n_evals", "log_density")

    def __init__(self, args: _ChainArgs, rng: np.random.Generator, chain: int) -> None:
        self.args, self.rng, self.chain = args, rng, chain
        self.warmup, self.draws = args.warmup, args.draws
        d = args.model.dim
        start = _jittered_start(rng, args.model, args.start(chain), args.init_jitter)
        self.state = SliceState(start.q, start.logp)
        self.widths = np.ones(d)
        self.updates = set()
        n = 10
        while n < self.warmup:
            self.updates.add(n)
            n *= 2
        if self.warmup:
            self.updates.add(self.warmup)
        self.warm_q = np.empty((self.warmup, d))
        self.kept = np.empty((self.draws, d))
        self.stats = {k: np.empty(self.total) for k in self.keys}

    def advance(self, stop: int, after: Callable) -> None:
        logp = self.args.model.logp
        for i in range(self.done, stop):
            self.state, info = slice_step(self.rng, self.state, logp, self.widths)
            info["log_density"] = self.state.logp
            for k in self.keys:
                self.stats[k][i] = info[k]
            if i < self.warmup:
                self.warm_q[i] = self.state.q
                if (i + 1) in self.updates:
                    sd = self.warm_q[(i + 1) // 2 : i + 1].std(axis=0)
                    # a coordinate that has not moved keeps its width
                    self.widths = np.where(np.isfinite(sd) & (sd > 0), 2.0 * sd, self.widths)
            else:
                self.kept[i - self.warmup] = self.state.q
            self.done = i + 1
            after(self)

    def snapshot(self) -> dict:
        return {"done": self.done, "state": self.state, "widths": self.widths,
                "warm_q": self.warm_q, "kept": self.kept, "stats": self.stats,
                "rng": self.rng.bit_generator.state}

    def restore(self, snap: dict) -> None:
        self.done, self.state, self.widths = snap["done"], snap["state"], snap["widths"]
        self.warm_q, self.kept, self.stats = snap["warm_q"], snap["kept"], snap["stats"]
        self.rng.bit_generator.state = snap["rng"]

    def output(self, n: int) -> tuple:
        kept, warm = self._split_stats(self.stats, n)
        warm_q = self.warm_q if self.args.controls.save_warmup else None
        return self.kept[:n].copy(), kept, warm, self.widths, "slice-width", warm_q


class _EnsembleRun(_Runner):
    """emcee's stretch move on all walkers at once (reported as one progress "chain")."""

    chain = 0

    def __init__(self, args: _ChainArgs, rng: np.random.Generator, walkers: int) -> None:
        model = args.model
        d = model.dim
        self.args, self.rng, self.walkers = args, rng, walkers
        self.warmup, self.draws = args.warmup, args.draws
        check_walkers(walkers, d, "sample")  # before the walkers' first evaluation
        jitter = args.init_jitter if args.init_jitter else 1e-5
        x = args.state0.q + jitter * rng.standard_normal((walkers, d))
        logp = np.asarray(model.batch_logp(x), dtype=np.float64)
        if not np.all(np.isfinite(logp)):
            raise ValueError(
                "sample: some initial walkers have a non-finite log density; reduce init_jitter"
            )
        self.state = EnsembleState(x, logp)
        self.kept = np.empty((walkers, self.draws, d))
        self.lp = np.empty((walkers, self.draws))
        self.acc = np.empty((walkers, self.draws))

    def advance(self, stop: int, after: Callable) -> None:
        batch_logp = self.args.model.batch_logp
        for i in range(self.done, stop):
            self.state, info = stretch_step(self.rng, self.state, batch_logp)
            if i >= self.warmup:
                j = i - self.warmup
                self.kept[:, j] = self.state.x
                self.lp[:, j] = self.state.logp
                self.acc[:, j] = info["accepted"]
            self.done = i + 1
            after(self)

    def snapshot(self) -> dict:
        return {"done": self.done, "state": self.state, "kept": self.kept, "lp": self.lp,
                "acc": self.acc, "rng": self.rng.bit_generator.state}

    def restore(self, snap: dict) -> None:
        self.done, self.state = snap["done"], snap["state"]
        self.kept, self.lp, self.acc = snap["kept"], snap["lp"], snap["acc"]
        self.rng.bit_generator.state = snap["rng"]


def _lockstep_run(args: _ChainArgs, rng: np.random.Generator, chains: int,
                  superchains: int | None, options: dict) -> Any:
    """``kernel="chees"`` or ``"meads"``: every chain in one runner (``chees._CheesRun``,
    ``meads._MeadsRun``; one progress "chain" and one checkpoint), started within
    ``init_jitter`` of ``init`` (or of the optimized start, or of each chain's
    ``chain_inits``)."""
    if args.chain_states is None:
        centers = args.state0.q
    else:
        centers = np.stack([s.q for s in args.chain_states])
    common = {"chains": chains, "warmup": args.warmup, "draws": args.draws,
              "superchains": superchains, "init_jitter": args.init_jitter,
              "save_warmup": args.controls.save_warmup, "centers": centers, "who": "sample"}
    if args.kernel == "chees":
        return _CheesRun(args.model, rng, target_accept=args.target_accept,
                         step_size=args.controls.step_size, **options, **common)
    return _MeadsRun(args.model, rng, **options, **common)


def _new_runner(args: _ChainArgs, seed: np.random.SeedSequence, chain: int) -> _Runner:
    rng = np.random.default_rng(seed)
    if args.whole_chain_compiled():
        return _CompiledChain(args, rng, chain)
    if args.kernel == "slice":
        return _SliceChain(args, rng, chain)
    return _PythonChain(args, rng, chain)


# --------------------------------------------------------------------------------------------
# Running the chains: in threads or in forked processes (in turns: _drive)
# --------------------------------------------------------------------------------------------

_PARALLEL_RUN: tuple | None = None  # read by forked workers (the model is never pickled)


def _parallel_worker(index: int) -> dict:
    runners, store, stop = _PARALLEL_RUN

    def after(runner: _Runner) -> None:
        if store is not None:
            store.maybe_save(runner)
        if stop.is_set():  # this process's copy, set by its copy of the Ctrl-C handler
            if store is not None:
                store.save(runner)
            raise KeyboardInterrupt

    runner = runners[index]
    runner.advance(runner.total, after)
    return runner.snapshot()


def _run_parallel(runners: list, store: Any, stop: threading.Event) -> None:
    """Run the chains in forked worker processes; each one's final state comes back here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _PARALLEL_RUN
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: run them here
        for r in runners:
            r.advance(r.total, lambda r: None)
        return
    _PARALLEL_RUN = (runners, store, stop)
    try:
        workers = min(len(runners), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for r, snap in zip(runners, pool.map(_parallel_worker, range(len(runners)))):
                r.restore(snap)
    finally:
        _PARALLEL_RUN = None


# --------------------------------------------------------------------------------------------
# Running the chains as tasks on an executor (executors.py schedules; a task runs here)
# --------------------------------------------------------------------------------------------

#: The global options that decide how a worker compiles the model and runs the chains: sent
#: with the job so that a worker process draws what the driver would. The cache directory is
#: used where it exists on the worker (the same machine, a shared file system); elsewhere the
#: worker keeps its own.
_DRAW_OPTIONS = ("disable_jit", "jit_tier", "jit_reroll_loops", "mcmc_compiled_nuts",
                 "mcmc_potential", "cache_dir")

#: A worker process's chain arguments per run (its model compiled once per run, not per chunk);
#: the last few runs only.
_WORKER_RUNS: dict[str, _ChainArgs] = {}
_WORKER_LOCK = threading.Lock()


def _draw_options() -> dict:
    from ..config import config

    return {k: getattr(config, k) for k in _DRAW_OPTIONS}


def _apply_options(options: dict) -> None:
    from ..config import config

    for k, v in options.items():
        if k == "cache_dir" and not os.path.isdir(os.path.expanduser(str(v))):
            continue  # not on this machine: the worker's own cache
        config.update(k, v)


def _worker_args(job: ChainJob) -> _ChainArgs:
    """The chain arguments on a worker: the model rebuilt from the user's ``log_prob``,
    ``init`` and ``constraints`` and compiled as the driver did (or loaded from this worker's
    cache), with the driver's start and settings."""

    with _WORKER_LOCK:
        args = _WORKER_RUNS.get(job.token)
        if args is not None:
            return args
        _apply_options(job.options)
        base = job.chain_args
        log_prob, init, constraints = job.model
        with warnings.catch_warnings():  # the driver has warned about all of these already
            warnings.simplefilter("ignore")
            model = UnconstrainedModel(log_prob, init, constraints, jit=job.extra["jit"],
                                       who="sample")
            compiled = _may_compile_chains(base.kernel)
            if compiled and job.extra["jit"]:
                model.logp_and_grad.compile(tier=0)
            warmup = _core_warmup(base.metric, base.adaptation, base.controls)
            fast, _ = (_compiled_nuts(model, warmup, job.extra["jit"]) if compiled
                       else (None, ""))
        args = base._replace(model=model, fast=fast)
        if args.where() != job.compiled:
            raise RuntimeError(
                f"sample: the worker {worker_identity()} cannot run the chains as the driver "
                f"does (chains compiled there: {args.where()!r}, here: {job.compiled!r}), so "
                "its draws would differ; install the same fluxion and numba on the workers"
            )
        while len(_WORKER_RUNS) >= 4:
            _WORKER_RUNS.pop(next(iter(_WORKER_RUNS)))
        _WORKER_RUNS[job.token] = args
        return args


def _chain_task(job: ChainJob, chain: int, snap: dict | None, stop: int) -> tuple[dict, str]:
    """One chunk of one chain on a worker: the chain rebuilt from its seed (exactly as the
    driver builds it), its last snapshot restored, iterations ``done .. stop - 1`` run; the new
    snapshot and where it ran."""
    import copy

    if job.local_args is not None:  # a thread of the driver: its own arguments, no rebuild
        args = job.local_args
        snap = copy.deepcopy(snap)  # the driver's runner must not change under it
    else:
        args = _worker_args(job)
        if os.getpid() != job.driver_pid:  # another run here may have changed them
            _apply_options(job.options)
    seeds = np.random.SeedSequence(job.entropy)
    if args.kernel == "ensemble":
        runner: Any = _EnsembleRun(args, np.random.default_rng(seeds), job.extra["walkers"])
    else:
        runner = _new_runner(args, seeds.spawn(job.chains)[chain], chain)
    if snap is not None:
        runner.restore(snap)
    runner.advance(stop, lambda r: None)
    return runner.snapshot(), worker_identity()


def _keep_finished_chains(args: _ChainArgs, runners: list, start: float,
                          err: BaseException) -> None:
    """A chain failed on the executor: the chains that had finished are not lost with it; they
    ride on the error as ``err.partial_result`` (a ``SampleResult`` of those chains only)."""
    finished = [r for r in runners if r.done >= r.total]
    if not finished or args.kernel == "ensemble" or not hasattr(err, "add_note"):
        return
    try:
        err.partial_result = _result(args, finished, start)
    except Exception:  # the original error matters more
        return
    names = ", ".join(str(r.chain) for r in finished)
    err.add_note(f"sample: chains {names} had finished: their draws are in the exception's "
                 "partial_result (a SampleResult of those chains)")


def _run_threads(runners: list, after: Callable, reporter: Any) -> None:
    """Run the chains in threads (at most one per core).

    Each chain runs start to end in one thread (numba's generator is per thread; a compiled
    chain re-seeds it at every chunk). Ctrl-C sets ``reporter.stop``: every worker stops at
    its next chunk, and the chains' state is then at rest for the partial result."""
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(runners), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(r.advance, r.total, after) for r in runners]
        try:
            for f in futures:
                f.result()
        except BaseException:
            reporter.stop.set()
            for f in futures:
                f.cancel()
            for f in futures:  # wait for the running ones to stop at their next chunk
                try:
                    f.result()
                except BaseException:  # noqa: S110 - their KeyboardInterrupt is expected
                    pass
            raise


def _chain_starts(
    model: Model, logp_and_grad: Callable, chain_inits: Any, chains: int, kernel: str
) -> tuple | None:
    """Each chain's start state from ``chain_inits`` (checked: one per chain, inside the
    support), or None without them."""
    if chain_inits is None:
        return None
    if kernel == "ensemble":
        raise ValueError(
            "sample: chain_inits is not available with kernel='ensemble' (its walkers start "
            "around init); use init"
        )
    if isinstance(chain_inits, Mapping) or not isinstance(chain_inits, Sequence):
        raise TypeError(
            f"sample: expected chain_inits as a list of {chains} start values (one per chain, "
            f"each like init), got {type(chain_inits).__name__}"
        )
    if len(chain_inits) != chains:
        raise ValueError(
            f"sample: expected {chains} chain_inits (one per chain), got {len(chain_inits)}"
        )
    states = []
    for c, start in enumerate(chain_inits):
        try:
            u, _ = model.unconstrain_batch(start)
        except (ValueError, TypeError) as err:
            raise ValueError(f"sample: chain_inits[{c}]: {err}") from None
        if u.shape != (model.dim,) or not np.all(np.isfinite(u)):
            raise ValueError(
                f"sample: chain_inits[{c}] is not one finite start inside the constraints "
                f"(unconstrained shape {u.shape}, expected ({model.dim},))"
            )
        state = init_state(logp_and_grad, u)
        if not math.isfinite(state.logp) or not np.all(np.isfinite(state.grad)):
            raise ValueError(
                f"sample: the log density is {state.logp} at chain_inits[{c}] (or its gradient "
                "is not finite); start every chain inside the support"
            )
        states.append(state)
    return tuple(states)


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


def _may_compile_chains(kernel: str) -> bool:
    """Whether the chains run in the compiled NUTS core (with the model's compiled potential,
    or a Python callback where it has none: ``_compiled_nuts``); a NUTS run that cannot warns
    (``PerformanceWarning``) unless the user chose so."""
    from ..codegen.numba_tier import numba_available
    from ..config import config

    if kernel != "nuts" or config.mcmc_compiled_nuts is False:
        return False  # another sampler, or the user's choice: nothing to warn about
    if numba_available():
        return True
    _warn_python_nuts("numba is not installed (pip install numba)")
    return False


def _core_warmup(metric: str, adaptation: str, controls: _Controls) -> str:
    """The warm-up of compiled NUTS chains: "stan" or "nutpie" (whole chains in the core: its
    ``run_chain`` or ``run_chain_nutpie``), or "python" (the tuner in Python, each transition
    in the core: ``numba_nuts.CompiledTransition`` over ``run_chain``). Python keeps nutpie's
    low-rank metric (eigendecompositions of the recent draws every few iterations) and
    ``adapt_metric`` without ``adapt_step_size``: rare warm-ups, whose cost per iteration is
    the tree's, not the tuner's."""
    if metric == "low_rank" or (controls.adapt_metric and not controls.adapt_step_size):
        return "python"
    return "nutpie" if adaptation == "nutpie" and controls.adapt_metric else "stan"


def _warn_python_nuts(why: str) -> None:
    warnings.warn(
        f"sample: NUTS runs in Python, one gradient call at a time (much slower than compiled "
        f"chains): {why}",
        PerformanceWarning,
        stacklevel=4,
    )


def _compiled_nuts(model: Model, warmup: str, jit: bool = True) -> tuple[Any, str]:
    """The numba NUTS (core + this model's potential) for the chains' warm-up (``_core_warmup``),
    and why the chains run where they do (``SampleResult.compiled_reason``).

    The potential is the model's compiled form (kernel or tape) where its graph has one, else a
    Python callback (``codegen.native.callback_potential``): the trees are still built in numba,
    one Python call per gradient. A model that asked for jit and gets the callback warns once
    (``PerformanceWarning``), naming the primitive and the reason. Only where the core itself
    cannot be had (its compile failed) is the result None: the Python NUTS then runs.
    """
    from ..codegen.native import callback_potential
    from ..config import config
    from .numba_nuts import compiled_nuts

    native = None
    if not jit:
        reason = "jit=False: the potential runs in Python (a callback from the compiled NUTS)"
    else:
        try:
            # the public route to the model's graph and its compiled forms (codegen.native)
            native = model.logp_and_grad.lower(model.u0).native_potential(config.mcmc_potential)
        except Exception as err:  # the callback is exact: use it, saying why
            why = str(err).removeprefix("native_potential: ")  # the message names the cause
            reason = f"the potential runs in Python (a callback from the compiled NUTS): {why}"
            warnings.warn(
                f"sample: the model's gradient runs in Python, one call per leapfrog step from "
                f"the compiled NUTS (slower than a compiled potential): {why}",
                PerformanceWarning,
                stacklevel=3,
            )
            with warnings.catch_warnings():  # said below, in sample's terms
                warnings.filterwarnings("ignore", "jit.*tier 1 .numba. was requested")
                model.logp_and_grad.compile(tier=1)
            if model.logp_and_grad.tier == 0:
                warnings.warn(
                    "sample: the model's gradient runs at tier 0 (NumPy source, not numba): "
                    + "; ".join(model.logp_and_grad.tier_info()),
                    PerformanceWarning,
                    stacklevel=3,
                )
    if native is None:
        native = callback_potential(model.logp_and_grad, model.dim, reason)
    adaptation = "stan" if warmup == "python" else warmup
    try:
        fast = compiled_nuts(native, adaptation)
    except Exception as err:
        # The model's compiled potential, or the core, failed to compile. Blame the right one:
        # the next form down (kernel -> tape -> Python callback) keeps the compiled chains
        # unless the core itself is what failed; then the Python NUTS is exact.
        failed = f"{type(err).__name__}: {err}"
        fast = _next_potential_down(model, native, adaptation, failed)
        if fast is None:
            why = f"the compiled NUTS core is not available ({failed})"
            _warn_python_nuts(why)
            return None, why
    if fast.native.fallback:
        warnings.warn(
            f"sample: mcmc_potential={config.mcmc_potential!r} could not be used; the compiled "
            f"chains run on the {fast.potential}: {fast.reason}",
            PerformanceWarning,
            stacklevel=3,
        )
    return fast, fast.reason


def _next_potential_down(model: Model, native: Any, adaptation: str, failed: str) -> Any:
    """The compiled NUTS on the next potential down from ``native``, whose compile failed
    (``failed``): the tape after a kernel, a Python callback after the tape; None when the
    callback fails too (the core cannot be had). Warns once, naming the failure."""
    from ..codegen.native import callback_potential
    from .numba_nuts import compiled_nuts

    if native.kind == "python":
        return None
    candidates = []
    if native.kind == "kernel":
        try:
            candidates.append(model.logp_and_grad.lower(model.u0).native_potential("tape"))
        except Exception:  # noqa: S110 - no tape form: the callback below
            pass
    why = f"the model's {native.kind} potential failed to compile ({failed})"
    candidates.append(callback_potential(model.logp_and_grad, model.dim, why))
    for candidate in candidates:
        if candidate.kind not in ("tape", "python"):
            continue  # native_potential("tape") may answer with the kernel it just failed on
        try:
            fast = compiled_nuts(candidate, adaptation)
        except Exception:  # noqa: S112 - the next one down
            continue
        instead = {"tape": "the tape machine", "python": "a Python callback of the gradient"}
        fast.reason = f"{why}; the compiled chains run on {instead[fast.potential]} instead"
        warnings.warn(f"sample: {fast.reason}", PerformanceWarning, stacklevel=4)
        return fast
    return None


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
