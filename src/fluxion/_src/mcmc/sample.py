"""``fluxion.mcmc.sample``: run chains of NUTS or HMC on a log density over a pytree.

The model is a log density on a pytree of parameters plus optional constraints (one spec per
leaf: "real", "positive", ("interval", a, b), "simplex", ... — see ``fluxion.bijectors``).
Constrained parameters are sampled in an unconstrained space: the potential is
``log_prob(forward(u)) + log|det J_forward(u)|`` on the flat vector ``u``, compiled once with
``fluxion.jit(fluxion.value_and_grad(...))``. Draws come back in the constrained space with
shape ``(chain, draw, *param_shape)``.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .adaptation import DualAveraging, WindowedAdaptation
from .hmc import HMCState, Metric, hmc_step, init_state, nuts_step

__all__ = ["sample", "SampleResult", "Model"]


# --------------------------------------------------------------------------------------------
# The model: constrained pytree <-> flat unconstrained vector
# --------------------------------------------------------------------------------------------


class Model:
    """A log density over a pytree, seen by the samplers as a function of a flat vector.

    Parameters
    ----------
    log_prob : callable
        ``log_prob(params) -> scalar``; ``params`` has the structure of ``init``.
    init : pytree of arrays
        Example (initial) parameter values, in the constrained space.
    constraints : pytree of specs, optional
        Same structure as ``init`` (or a dict keyed like it); None leaves are unconstrained.
    jit : bool, optional
        Compile the potential and its gradient (default True).
    """

    def __init__(
        self, log_prob: Callable, init: Any, constraints: Any = None, jit: bool = True
    ) -> None:
        import fluxion
        from fluxion.tree import flatten, ravel_pytree, unflatten

        if not callable(log_prob):
            raise TypeError(f"sample: expected a callable log density, got {type(log_prob)}")
        leaves, self.tree = flatten(init)
        if not leaves:
            raise ValueError(
                "sample: the model has no free parameters (init is empty); pass initial values "
                "for the parameters to sample, e.g. init={'mu': 0.0}"
            )
        leaves = [np.asarray(x, dtype=np.float64) for x in leaves]
        self.shapes = [x.shape for x in leaves]
        self.names = _leaf_names(init)
        self.bijectors = self._bijectors(constraints, len(leaves))
        u_leaves = [b.inverse(x) if b is not None else x for b, x in zip(self.bijectors, leaves)]
        u_leaves = [np.asarray(u, dtype=np.float64) for u in u_leaves]
        self.u0, self._unravel_u = ravel_pytree(u_leaves)
        self.u0 = np.asarray(self.u0, dtype=np.float64)
        self.dim = self.u0.size
        self.log_prob = log_prob
        bijectors, tree = self.bijectors, self.tree

        def potential(u: Any) -> Any:
            u_list = self._unravel_u(u)
            total = 0.0
            xs = []
            for b, ul in zip(bijectors, u_list):
                if b is None:
                    xs.append(ul)
                else:
                    xs.append(b.forward(ul))
                    total = total + fluxion.numpy.sum(
                        b.forward_log_det_jacobian(ul, event_ndims=fluxion.numpy.ndim(ul))
                    )
            return log_prob(unflatten(tree, xs)) + total

        self.potential = potential
        vg = fluxion.value_and_grad(potential)
        # the gradient is called thousands of times: compile tier 1 (numba) up front when the
        # graph allows it (it falls back to tier 0 by itself, saying why in tier_info())
        self.logp_and_grad = fluxion.jit(vg, tier=1) if jit else vg
        batched = fluxion.vmap(potential)
        self.batch_logp = fluxion.jit(batched) if jit else batched
        self._unflatten = unflatten

    def _bijectors(self, constraints: Any, n: int) -> list:
        if constraints is None:
            return [None] * n
        from fluxion.bijectors import for_constraint
        from fluxion.tree import flatten

        specs, _ = flatten(
            constraints,
            is_leaf=lambda s: isinstance(s, str | tuple) or s is None or hasattr(s, "forward"),
        )
        if len(specs) != n:
            raise ValueError(
                f"sample: constraints must have one entry per parameter leaf ({n}), got "
                f"{len(specs)}; give a pytree shaped like init (None for unconstrained)"
            )
        return [None if s is None or s == "real" else for_constraint(s) for s in specs]

    def constrain(self, u: np.ndarray) -> list[np.ndarray]:
        """The constrained leaves for a flat unconstrained vector."""
        out = []
        for b, ul in zip(self.bijectors, self._unravel_u(u)):
            out.append(np.asarray(ul if b is None else b.forward(ul), dtype=np.float64))
        return out


def _leaf_names(tree: Any) -> list[str]:
    """Readable names for the leaves: dict keys joined with '.', tuple/list indices in []."""
    names: list[str] = []

    def walk(x: Any, prefix: str) -> None:
        if isinstance(x, dict):
            for k in sorted(x, key=str):
                walk(x[k], f"{prefix}.{k}" if prefix else str(k))
        elif isinstance(x, list | tuple) and not hasattr(x, "_fields"):
            for i, v in enumerate(x):
                walk(v, f"{prefix}[{i}]" if prefix else f"x[{i}]")
        elif hasattr(x, "_fields"):
            for k in x._fields:
                walk(getattr(x, k), f"{prefix}.{k}" if prefix else k)
        elif x is not None:
            names.append(prefix or "x")

    walk(tree, "")
    return names


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class SampleResult:
    """Draws and sampler statistics from :func:`sample`.

    Attributes
    ----------
    draws : dict of str to ndarray
        Parameter name -> draws of shape ``(chain, draw, *param_shape)``, constrained space.
    stats : dict of str to ndarray
        ``step_size``, ``tree_depth``, ``n_leapfrog``, ``accept_prob``, ``energy``,
        ``divergent`` and ``log_density``, each of shape ``(chain, draw)``.
    warmup_stats : dict
        The same statistics for the warm-up iterations.
    inv_metric : list of ndarray
        The adapted inverse metric of each chain.
    elapsed : float
        Wall time in seconds (compile and warm-up included).
    """

    def __init__(
        self,
        draws: dict,
        stats: dict,
        warmup_stats: dict,
        inv_metric: list,
        elapsed: float,
        kernel: str,
    ) -> None:
        self.draws = draws
        self.stats = stats
        self.warmup_stats = warmup_stats
        self.inv_metric = inv_metric
        self.elapsed = elapsed
        self.kernel = kernel

    @property
    def num_divergences(self) -> int:
        return int(np.sum(self.stats.get("divergent", 0)))

    def summary(self, **kwargs: Any) -> Any:
        """The diagnostics table (``fluxion.diagnostics.summary``) of the draws."""
        from fluxion.diagnostics import summary

        return summary(self.draws, **kwargs)

    def to_arviz(self) -> Any:
        """An ``arviz.InferenceData`` with the posterior and the sample stats."""
        try:
            import arviz
        except ImportError:
            raise ImportError(
                "to_arviz: ArviZ is not installed; pip install arviz (or fluxion[arviz])"
            ) from None
        stats = {
            ("diverging" if k == "divergent" else "lp" if k == "log_density" else k): v
            for k, v in self.stats.items()
        }
        return arviz.from_dict(posterior=self.draws, sample_stats=stats)

    def __repr__(self) -> str:
        shape = next(iter(self.draws.values())).shape[:2]
        return (
            f"SampleResult({self.kernel}: {shape[0]} chains x {shape[1]} draws, "
            f"{len(self.draws)} parameters, {self.num_divergences} divergences, "
            f"{self.elapsed:.2f} s)"
        )


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
    target_accept: float = 0.8,
    max_depth: int = 10,
    metric: str = "diag",
    num_steps: int = 16,
    init_jitter: float = 0.1,
    jit: bool = True,
    walkers: int = 32,
) -> SampleResult:
    """Sample a posterior with NUTS (default) or HMC, with Stan's warm-up adaptation.

    Parameters
    ----------
    log_prob : callable
        ``log_prob(params) -> scalar`` log density (up to a constant) of a parameter pytree.
    init : pytree
        Initial values (constrained space); every chain starts from them, jittered by
        ``init_jitter`` (uniform noise of that width in the unconstrained space).
    constraints : pytree, optional
        One constraint per leaf of ``init`` (see ``fluxion.bijectors.for_constraint``).
    kernel : {"nuts", "hmc", "ensemble"}
        The transition kernel. "ensemble" is emcee's affine-invariant stretch move (no
        gradients): every walker is reported as a chain, and ``warmup`` iterations are
        discarded as burn-in.
    chains, draws, warmup : int
        Number of chains, kept draws per chain, warm-up iterations per chain.
    seed : int or numpy Generator, optional
    progress : bool
        A progress line per chain on stderr (when stderr is a terminal).
    target_accept : float
        The step size is adapted so that the mean acceptance statistic reaches this.
    max_depth : int
        NUTS's maximum tree depth (2**max_depth leapfrog steps per draw at most).
    metric : {"diag", "dense"}
        The adapted inverse mass matrix.
    num_steps : int
        Leapfrog steps per HMC transition.
    init_jitter : float
    jit : bool
        Compile the log density and gradient (default).
    walkers : int
        Number of walkers for ``kernel="ensemble"`` (even, at least twice the dimension).

    Returns
    -------
    SampleResult
        ``.draws[name]`` of shape ``(chains, draws, *shape)``, ``.stats``, ``.summary()``,
        ``.to_arviz()``.

    Raises
    ------
    ValueError
        Bad arguments (chains < 1, unknown kernel or metric), a model with no free parameters,
        a log density that is not finite at the initial point.
    """
    if not isinstance(chains, int | np.integer) or chains < 1:
        raise ValueError(f"sample: expected chains >= 1, got {chains!r}")
    if draws < 1 or warmup < 0:
        raise ValueError(f"sample: expected draws >= 1 and warmup >= 0, got {draws}, {warmup}")
    if kernel not in ("nuts", "hmc", "ensemble"):
        raise ValueError(f"sample: unknown kernel {kernel!r}; expected 'nuts', 'hmc' or 'ensemble'")
    if metric not in ("diag", "dense"):
        raise ValueError(f"sample: unknown metric {metric!r}; expected 'diag' or 'dense'")
    start = time.perf_counter()
    model = Model(log_prob, init, constraints, jit=jit)
    logp_and_grad = model.logp_and_grad
    try:
        state0 = init_state(logp_and_grad, model.u0)
    except Exception as err:
        raise type(err)(f"sample: evaluating log_prob at the initial values failed: {err}") from err
    if not math.isfinite(state0.logp) or not np.all(np.isfinite(state0.grad)):
        raise ValueError(
            f"sample: the log density is {state0.logp} at the initial values (or its gradient is "
            "not finite); start from a point inside the support, or add constraints"
        )
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
    dense = metric == "dense"
    all_draws, all_stats, all_warm, metrics = [], [], [], []
    for c, child in enumerate(seeds.spawn(chains)):
        rng = np.random.default_rng(child)
        out = _run_chain(
            rng,
            model,
            state0,
            kernel,
            draws,
            warmup,
            target_accept,
            max_depth,
            dense,
            num_steps,
            init_jitter,
            progress,
            c,
        )
        all_draws.append(out[0])
        all_stats.append(out[1])
        all_warm.append(out[2])
        metrics.append(out[3])
    # constrained draws, per parameter name
    draws_arr = np.stack(all_draws)  # (chain, draw, dim) unconstrained
    per_leaf: list[list[np.ndarray]] = [[] for _ in model.shapes]
    for c in range(chains):
        rows = [model.constrain(u) for u in draws_arr[c]]
        for k in range(len(model.shapes)):
            per_leaf[k].append(np.stack([r[k] for r in rows]))
    draws_out = {name: np.stack(per_leaf[k]) for k, name in enumerate(model.names)}
    stats = {k: np.stack([s[k] for s in all_stats]) for k in all_stats[0]}
    warm = {k: np.stack([s[k] for s in all_warm]) for k in all_warm[0]} if warmup else {}
    result = SampleResult(draws_out, stats, warm, metrics, time.perf_counter() - start, kernel)
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


def _run_chain(
    rng: np.random.Generator,
    model: Model,
    state0: HMCState,
    kernel: str,
    draws: int,
    warmup: int,
    target_accept: float,
    max_depth: int,
    dense: bool,
    num_steps: int,
    init_jitter: float,
    progress: bool,
    chain: int,
) -> tuple:
    logp_and_grad = model.logp_and_grad
    d = model.dim
    state = state0
    if init_jitter:
        for _ in range(100):  # jitter the start, keeping it where the density is finite
            cand = init_state(logp_and_grad, state0.q + rng.uniform(-init_jitter, init_jitter, d))
            if math.isfinite(cand.logp) and np.all(np.isfinite(cand.grad)):
                state = cand
                break
    metric = Metric(np.eye(d) if dense else np.ones(d))
    step_size = _find_step_size(rng, state, logp_and_grad, metric, 1.0)
    dual = DualAveraging(step_size, target=target_accept)
    window = WindowedAdaptation(warmup, d, dense=dense)
    total = warmup + draws
    kept = np.empty((draws, d))
    stats = {k: np.empty(draws) for k in _STAT_KEYS}
    warm = {k: np.empty(warmup) for k in _STAT_KEYS}
    bar = _Progress(progress, total, chain)
    divergences = 0
    for i in range(total):
        if kernel == "nuts":
            state, info = nuts_step(rng, state, logp_and_grad, step_size, metric, max_depth)
        else:
            state, info = hmc_step(rng, state, logp_and_grad, step_size, metric, num_steps)
        info["step_size"] = step_size
        info["log_density"] = state.logp
        if i < warmup:
            for k in _STAT_KEYS:
                warm[k][i] = info[k]
            step_size = dual.update(info["accept_prob"])
            if window.in_slow_window(i):
                window.add(state.q)
                if window.window_ends(i):
                    metric = Metric(window.estimate())
                    step_size = _find_step_size(rng, state, logp_and_grad, metric, step_size)
                    dual.restart(step_size)
            if i == warmup - 1:
                step_size = dual.final_step_size()
        else:
            j = i - warmup
            kept[j] = state.q
            for k in _STAT_KEYS:
                stats[k][j] = info[k]
            divergences += bool(info["divergent"])
        bar.update(i, divergences, force=i == total - 1)
    return kept, stats, warm, metric.inv_mass


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
    per_leaf: list[list[np.ndarray]] = [[] for _ in model.shapes]
    for w in range(walkers):
        rows = [model.constrain(u) for u in kept[w]]
        for k in range(len(model.shapes)):
            per_leaf[k].append(np.stack([r[k] for r in rows]))
    draws_out = {name: np.stack(per_leaf[k]) for k, name in enumerate(model.names)}
    stats = {"log_density": lp, "accepted": acc}
    return SampleResult(draws_out, stats, {}, [], time.perf_counter() - start, "ensemble")
