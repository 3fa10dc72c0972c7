"""``fit``: stochastic variational inference on a model's unconstrained space, and its result.

The loop is ADVI (Kucukelbir, Tran, Ranganath, Gelman & Blei 2017, "Automatic differentiation
variational inference", JMLR 18): the model's parameters are mapped to one unconstrained vector
``u`` (``infer.UnconstrainedModel``, the same map ``mcmc.sample`` uses, log-Jacobian included),
a guide ``q_phi(u)`` is fitted by stochastic gradient steps on a variational objective (the
ELBO by default) with a :mod:`fluxion.optim` optimizer, and draws of ``u ~ q`` are mapped back to
the constrained space. The compiled step (``fluxion.jit`` of ``value_and_grad`` over the guide's
parameters) takes the noise as an argument, drawn outside from a seeded NumPy generator.

Convergence: every ``window`` steps, the mean ELBO estimate of the last window is compared with
that of the window before. The run stops when, ``patience`` checks in a row, the change is below
``tol`` relative to ``max(|ELBO|, 1)`` or within one standard error of the difference (the ELBO
is flat up to its Monte Carlo noise): the smoothed relative-change rule of Stan's ADVI
(``tol_rel_obj``) and PyMC's convergence callbacks, with the noise of single-draw estimates
taken into account. Like those rules it can stop while the ELBO still creeps up by less than
its noise (the scales of a strongly correlated posterior are the last to settle): pass
``tol=None`` and a number of ``steps`` for a fixed budget.

The fitted approximation is judged with PSIS (Yao, Vehtari, Simpson & Gelman 2018, "Yes, but
did it work?: evaluating variational inference", ICML): k-hat of the importance ratios
``log p(u) - log q(u)`` over draws of ``q``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO

import numpy as np

from ..api import hessian as _hessian
from ..api import value_and_grad
from ..batching import vmap
from ..infer.model import UnconstrainedModel, pointwise_log_likelihood, resolve_model
from ..jit import jit as _jit
from ..mcmc.result import SampleResult
from ..numpy import core as fnp
from ..optim.fit import _Progress, _progress_stream
from ..optim.transforms import GradientTransformation, adam, apply_updates
from ..tree_util import tree_flatten, tree_map
from .elbo import ELBO, VariationalObjective
from .guides import Guide, _Standardized, guide_from_name, rng_from_seed
from .psis import khat_threshold, psis

__all__ = ["KhatDiagnostic", "NonFiniteELBOError", "VIResult", "fit"]


class NonFiniteELBOError(FloatingPointError):
    """The ELBO (or its gradient) became NaN or infinite during :func:`fit`.

    Attributes
    ----------
    step : int
        The step at which it happened (counting from 0).
    params : pytree
        The guide's parameters before that step: the last finite state.
    result : VIResult
        The fit up to the last finite step (``result.params is params``).
    """

    def __init__(self, message: str, step: int, params: Any, result: Any) -> None:
        super().__init__(message)
        self.step = step
        self.params = params
        self.result = result


class KhatDiagnostic(NamedTuple):
    """PSIS diagnostic of a fitted approximation (Yao et al. 2018).

    Attributes
    ----------
    khat : float
        The Pareto shape of the tail of ``p(u) / q(u)`` over draws of ``q``.
    threshold : float
        ``min(1 - 1/log10(S), 0.7)`` for ``S`` draws (Vehtari et al. 2024).
    ess : float
        The PSIS effective sample size of the importance weights.
    n_draws : int
        ``S``.
    verdict : str
        ``k < 0.5``: "good" (the approximation is close; importance sampling has finite
        variance); ``< threshold``: "ok" (usable, PSIS-corrected estimates are reliable);
        otherwise "bad" (do not trust the approximation's moments).
    """

    khat: float
    threshold: float
    ess: float
    n_draws: int
    verdict: str


def _verdict(khat: float, threshold: float) -> str:
    if khat < 0.5:
        return "good"
    if khat < threshold:
        return "ok"
    return "bad"


class VIResult:
    """The result of :func:`fit`: the fitted guide and how the run went.

    Attributes
    ----------
    guide : Guide
        The variational family, bound to the model's dimension.
    params : pytree
        The fitted guide parameters.
    elbo : ndarray, shape ``(steps_run,)``
        The ELBO estimate (the objective's bound) at every step, before its update.
    steps_run : int
    converged : bool
        Whether the convergence rule stopped the run before ``steps``.
    elapsed : float
        Seconds, compilation included.
    objective : VariationalObjective
    opt_state : pytree
        The optimizer state (to continue with ``fit(..., init_params=..., opt_state=...)``).
    model : infer.UnconstrainedModel
        The model's map between the constrained parameters and ``u``.
    names : list of str
        The parameters' names (keys of the draws).
    """

    def __init__(
        self,
        guide: Guide,
        params: Any,
        elbo: np.ndarray,
        converged: bool,
        elapsed: float,
        objective: VariationalObjective,
        opt_state: Any,
        model: UnconstrainedModel,
        spec: Any = None,
    ) -> None:
        self.guide = guide
        self.params = params
        self.elbo = elbo
        self.steps_run = int(elbo.size)
        self.converged = converged
        self.elapsed = elapsed
        self.objective = objective
        self.opt_state = opt_state
        self.model = model
        self.names = list(model.names)
        self._spec = spec
        self._diagnostic: KhatDiagnostic | None = None

    @property
    def final_elbo(self) -> float:
        """The mean ELBO estimate over the last ``min(100, steps_run)`` steps."""
        if self.steps_run == 0:
            return float("nan")
        return float(np.mean(self.elbo[-min(100, self.steps_run) :]))

    def _log_p(self, u: np.ndarray) -> np.ndarray:
        try:
            out = self.model.batch_logp(u)
        except (TypeError, ValueError, NotImplementedError):
            # a density vmap cannot batch (e.g. a ShardedSum over a cluster): one draw at a time
            out = [self.model.logp(row) for row in u]
        return np.asarray(out, dtype=np.float64).reshape(u.shape[0])

    def sample_unconstrained(self, n: int = 1000, seed: Any = None) -> np.ndarray:
        """``n`` draws of ``u ~ q``, shape ``(n, d)``."""
        return self.guide.sample(self.params, seed, n)

    def sample_posterior(self, n: int = 1000, seed: Any = None) -> dict[str, np.ndarray]:
        """``n`` draws from the fitted approximation, mapped to the constrained space.

        Parameters
        ----------
        n : int
        seed : int, numpy Generator or fluxion.random key, optional

        Returns
        -------
        dict
            Parameter name -> array of shape ``(n, *shape)``.
        """
        u = self.sample_unconstrained(n, seed)
        return dict(zip(self.names, self.model.constrain_batch(u)))

    def diagnose(self, n_draws: int = 4000, seed: Any = 0) -> KhatDiagnostic:
        """PSIS k-hat of ``log p(u) - log q(u)`` over ``n_draws`` draws of ``q``.

        Returns
        -------
        KhatDiagnostic
            ``khat``, ``threshold``, ``ess``, ``n_draws`` and ``verdict`` ("good" below 0.5,
            "ok" below the threshold, "bad" above: Yao et al. 2018).

        Raises
        ------
        FloatingPointError
            If the log density is NaN at some draw of ``q``.
        """
        u, log_q = self.guide.sample_and_log_q(self.params, seed, n_draws)
        log_p = self._log_p(u)
        if np.isnan(log_p).any() or np.isnan(log_q).any():
            raise FloatingPointError(
                f"diagnose: the log density is NaN at {int(np.isnan(log_p).sum())} of {n_draws} "
                "draws of the approximation; check the model's log_prob on its whole support"
            )
        out = psis(log_p - log_q)
        threshold = khat_threshold(n_draws)
        khat = float(out.pareto_k)
        verdict = _verdict(khat, threshold)
        return KhatDiagnostic(khat, threshold, float(out.ess), int(n_draws), verdict)

    @property
    def khat(self) -> float:
        """PSIS k-hat of the approximation (:meth:`diagnose` with 4000 draws, seed 0; cached)."""
        if self._diagnostic is None:
            self._diagnostic = self.diagnose()
        return self._diagnostic.khat

    def to_sample_result(self, draws: int = 1000, chains: int = 1, seed: Any = 0) -> SampleResult:
        """Draws from the approximation as a :class:`fluxion.mcmc.SampleResult`.

        So that ``summary()``, ``to_arviz()`` and ``fluxion.plot`` work as on an MCMC run. The
        draws are independent, so splitting them into chains is only bookkeeping (R-hat near 1,
        ESS near the number of draws).

        Parameters
        ----------
        draws : int
            Draws per chain.
        chains : int
        seed : optional

        Returns
        -------
        SampleResult
            ``kernel="vi"``; ``stats`` holds ``log_density`` (the unconstrained log density of
            the model at each draw) and ``log_q`` (the guide's), each ``(chains, draws)``;
            for a joint model also the pointwise ``log_likelihood`` and ``observed_data``.
        """
        for name, v in (("draws", draws), ("chains", chains)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"to_sample_result: expected {name} >= 1, got {v!r}")
        start = time.perf_counter()
        u, log_q = self.guide.sample_and_log_q(self.params, seed, int(draws) * int(chains))
        log_p = self._log_p(u)
        d = u.shape[1]
        res = SampleResult(
            self.model.constrained_draws(u.reshape(chains, draws, d)),
            {
                "log_density": log_p.reshape(chains, draws),
                "log_q": log_q.reshape(chains, draws),
            },
            {},
            [],
            self.elapsed + time.perf_counter() - start,
            "vi",
            adaptation=["none"] * chains,
            metric="none",
        )
        if self._spec is not None:
            res.log_likelihood = pointwise_log_likelihood(self._spec, res.draws)
            res.observed_data = dict(self._spec.observed)
        return res

    def summary(self, draws: int = 4000, seed: Any = 0, **kwargs: Any) -> Any:
        """``to_sample_result(draws, 1, seed).summary(**kwargs)``: the table of the draws."""
        return self.to_sample_result(draws, 1, seed).summary(**kwargs)

    def __repr__(self) -> str:
        state = "converged" if self.converged else "not converged"
        return (
            f"VIResult({self.guide!r}, {self.steps_run} steps, {state}, "
            f"ELBO {self.final_elbo:.6g}, {self.elapsed:.2f} s)"
        )


# --------------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------------


def _all_finite(tree: Any) -> Any:
    ok = fnp.asarray(True)
    for leaf in tree_flatten(tree)[0]:
        ok = fnp.logical_and(ok, fnp.all(fnp.isfinite(leaf)))
    return ok


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"fit: expected {name} a positive integer, got {value!r}")
    return int(value)


class _Convergence:
    """The windowed ELBO rule (see :func:`fit`'s Notes)."""

    def __init__(self, tol: float | None, window: int, patience: int) -> None:
        self.tol = tol
        self.window = window
        self.patience = patience
        self.hits = 0

    def check(self, elbo: np.ndarray, n: int) -> bool:
        """Whether the run has converged after ``n`` steps with ELBO history ``elbo``."""
        w = self.window
        if self.tol is None or n < 2 * w or n % w:
            return False
        a = elbo[n - w : n]
        b = elbo[n - 2 * w : n - w]
        change = abs(a.mean() - b.mean())
        se = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / w)
        # flat within tol (relative) or within one standard error of the difference of means
        if change <= max(self.tol * max(abs(a.mean()), 1.0), se):
            self.hits += 1
        else:
            self.hits = 0
        return self.hits >= self.patience


def _laplace_scales(m: UnconstrainedModel) -> tuple[np.ndarray, np.ndarray]:
    """The mode of the unconstrained density and the Laplace standard deviations there."""
    import scipy.optimize

    logp_and_grad = m.logp_and_grad

    def negative(u: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = logp_and_grad(u)
        return -float(value), -np.asarray(grad, dtype=np.float64)

    with np.errstate(all="ignore"):
        out = scipy.optimize.minimize(negative, m.u0, jac=True, method="L-BFGS-B")
    if not np.all(np.isfinite(out.x)) or not np.isfinite(out.fun):
        raise ValueError(
            "fit: init_to='map' found no finite mode of the log density (L-BFGS ended at "
            f"{out.fun!r}: {out.message}); the posterior may be improper; use init_to='start'"
        )
    h = -np.asarray(_hessian(m.potential)(out.x), dtype=np.float64)
    h = 0.5 * (h + h.T)
    try:
        cov = np.linalg.inv(np.linalg.cholesky(h))
        sd = np.sqrt(np.sum(cov**2, axis=0))  # diag(H^-1) = column norms of L^-1
    except np.linalg.LinAlgError:
        # not positive definite (a funnel, a flat direction): 1 / sqrt of the curvature where
        # it is positive, 1 elsewhere
        diag = np.diag(h)
        sd = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    return np.asarray(out.x, dtype=np.float64), sd


def fit(
    model: Any,
    init: Any = None,
    *,
    constraints: Any = None,
    guide: Any = "meanfield",
    objective: VariationalObjective | None = None,
    optimizer: GradientTransformation | None = None,
    steps: int = 10_000,
    num_particles: int = 1,
    seed: Any = None,
    progress: bool | TextIO = True,
    tol: float | None = 1e-3,
    window: int = 500,
    patience: int = 2,
    init_to: str = "start",
    init_params: Any = None,
    opt_state: Any = None,
    jit: bool = True,
    callback: Callable | None = None,
) -> VIResult:
    """Fit a variational approximation to a model's posterior (ADVI and its relatives).

    Parameters
    ----------
    model : callable or model
        ``log_prob(params) -> scalar`` (unnormalized log density of a parameter pytree), or a
        model object (``__fluxion_model__``, e.g. a conditioned joint distribution), which
        brings its start values and constraints.
    init : pytree, optional
        Start values in the constrained space (required with a callable; with a model, a dict
        overriding some by name). The guide's ``loc`` starts there.
    constraints : dict, pytree or spec, optional
        As in :func:`fluxion.mcmc.sample` (by parameter name, e.g. ``{"sigma": "positive"}``).
    guide : str or Guide, default "meanfield"
        "meanfield" (:class:`AutoNormal`), "fullrank" (:class:`AutoMultivariateNormal`),
        "lowrank" (:class:`AutoLowRankMultivariateNormal`), "flow"
        (:class:`AutoNormalizingFlow`), or a guide object (built with or without ``dim``).
    objective : VariationalObjective, optional
        Default ``ELBO(num_particles)``; :class:`RenyiELBO`, :class:`IWAE`, or an ELBO with
        ``estimator="score_function"``.
    optimizer : GradientTransformation, optional
        Default ``fluxion.optim.adam(1e-2)``.
    steps : int, default 10000
        The most optimisation steps.
    num_particles : int, default 1
        Draws per ELBO estimate (used when ``objective`` is None).
    seed : int, numpy Generator or fluxion.random key, optional
        Seeds the guide's initial values and every step's noise.
    progress : bool or stream, default True
        A progress bar on stderr when it is a terminal, or on the given stream.
    tol : float or None, default 1e-3
        Relative change of the windowed mean ELBO below which the run has converged (see
        Notes); None runs all ``steps``.
    window : int, default 500
        Steps per window of the convergence rule.
    patience : int, default 2
        Consecutive windows that must pass the rule.
    init_to : {"start", "map"}, default "start"
        "start": the guide's ``loc`` starts at the start values, its scale at ``init_scale``
        (0.1). "map": first find the mode of the unconstrained density (L-BFGS) and its
        Laplace standard deviations ``sqrt(diag(H^-1))``; the guide is then fitted on the
        standardized ``z = (u - mode) / sd``, starting at ``loc = 0`` and the guide's
        ``init_scale`` (ADVI needs this when the posterior's scales differ by orders of
        magnitude or lie far from the start: Adam moves each parameter by about the learning
        rate per step).
    init_params, opt_state : pytree, optional
        Continue from these guide parameters (e.g. ``result.params``) and optimizer state.
    jit : bool, default True
        Compile the step (the particles' log densities batched by ``vmap``). False runs it
        eagerly with one log-density call per particle: for log densities that cannot be
        traced, such as a ``fluxion.parallel.ShardedSum`` over data on a cluster.
    callback : callable, optional
        ``callback(step, params, elbo) -> bool``; True stops the run.

    Returns
    -------
    VIResult
        ``params``, ``elbo`` history, ``converged``, ``sample_posterior(n, seed)``, ``khat`` /
        ``diagnose()`` and ``to_sample_result()``.

    Raises
    ------
    NonFiniteELBOError
        (a ``FloatingPointError``) when the ELBO or its gradient becomes NaN or infinite; it
        names the step and holds the last finite parameters (``err.params``) and the run up to
        there (``err.result``).
    TypeError, ValueError
        For a bad model, guide, optimizer or setting (see the messages).

    Notes
    -----
    Convergence (checked every ``window`` steps, from ``2 window`` on): with ``m_a`` and ``m_b``
    the mean ELBO estimates over the last two windows and ``se`` the standard error of their
    difference, a check passes when ``|m_a - m_b| <= max(tol max(|m_a|, 1), se)``; ``patience``
    passes in a row stop the run (so at least ``(patience + 1) window`` steps run).

    With a constant learning rate Adam's iterates keep moving by about the learning rate per
    step around the optimum (measured: means off by ~0.1 sd with one particle at 1e-2); a
    decaying rate settles them, e.g. ``optimizer=fluxion.optim.adam(
    fluxion.optim.cosine_decay_schedule(0.02, steps))`` with ``tol=None`` (what the tests
    use to recover Gaussian targets to a few percent).

    Examples
    --------
    >>> import numpy as np, fluxion.numpy as fnp
    >>> from fluxion import vi
    >>> def log_prob(p):
    ...     return -0.5 * fnp.sum((p["x"] - 1.0) ** 2) - 0.5 * (p["s"] - 2.0) ** 2
    >>> res = vi.fit(log_prob, {"x": np.zeros(2), "s": 1.0}, seed=0, progress=False)
    >>> bool(np.allclose(res.params["loc"], [2.0, 1.0, 1.0], atol=0.25))
    True
    """
    log_prob, init, constraints, spec = resolve_model("fit", model, init, constraints)
    if not callable(log_prob):
        raise TypeError(
            f"fit: expected a log density callable or a model, got {type(log_prob).__name__}"
        )
    m = UnconstrainedModel(log_prob, init, constraints, jit=jit, who="fit")
    base = guide_from_name("fit", guide)
    if init_to == "start":
        g = base.bind(m.dim, m.u0)
    elif init_to == "map":
        center, sd = _laplace_scales(m)
        g = _Standardized(base.bind(m.dim, np.zeros(m.dim)), center, sd)
    else:
        raise ValueError(f"fit: expected init_to 'start' or 'map', got {init_to!r}")
    if objective is None:
        objective = ELBO(num_particles)
    elif not isinstance(objective, VariationalObjective):
        raise TypeError(
            "fit: expected objective to be a fluxion.vi objective (ELBO(), RenyiELBO(), IWAE()), "
            f"got {type(objective).__name__}"
        )
    if optimizer is None:
        optimizer = adam(1e-2)
    elif not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
        raise TypeError(
            "fit: expected a GradientTransformation optimizer (e.g. fluxion.optim.adam(1e-2)), "
            f"got {type(optimizer).__name__}"
        )
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"fit: expected an integer steps >= 0, got {steps!r}")
    steps = int(steps)
    window = _positive_int("window", window)
    patience = _positive_int("patience", patience)
    if tol is not None and not (isinstance(tol, int | float) and tol >= 0):
        raise ValueError(f"fit: expected tol a number >= 0 or None, got {tol!r}")
    rng = rng_from_seed("fit", seed)

    params = g.init(int(rng.integers(2**31))) if init_params is None else init_params
    params = tree_map(lambda leaf: np.asarray(leaf, dtype=np.float64), params)
    if opt_state is None:
        opt_state = optimizer.init(params)

    potential = m.potential

    def log_p(u: Any) -> Any:
        if jit:
            return vmap(potential)(u)
        # uncompiled: one call per particle, so a log density that cannot be batched or traced
        # (a fluxion.parallel.ShardedSum, whose shards live on other processes) works too
        return fnp.stack([potential(u[i]) for i in range(u.shape[0])])

    def loss(p: Any, eps: Any) -> tuple[Any, Any]:
        return objective.loss(g, log_p, p, eps)

    def step_fn(p: Any, state: Any, eps: Any) -> tuple:
        (value, bound), grads = value_and_grad(loss, has_aux=True)(p, eps)
        updates, new_state = optimizer.update(grads, state, p)
        new_params = apply_updates(p, updates)
        finite = fnp.logical_and(fnp.isfinite(value), _all_finite(grads))
        return new_params, new_state, bound, finite

    step = _jit(step_fn) if jit else step_fn
    shape = (objective.num_particles, g.noise_dim)
    history = np.empty(steps)
    rule = _Convergence(tol, window, patience)
    bar = _Progress(_progress_stream(progress), steps, max(1, steps // 100))
    converged = False
    start = time.perf_counter()
    n = 0

    def result() -> VIResult:
        return VIResult(
            g,
            params,
            history[:n].copy(),
            converged,
            time.perf_counter() - start,
            objective,
            opt_state,
            m,
            spec,
        )

    try:
        while n < steps:
            eps = rng.standard_normal(shape)
            new_params, new_state, bound, finite = step(params, opt_state, eps)
            value = float(bound)
            if not bool(finite) or not math.isfinite(value):
                what = "the ELBO" if not math.isfinite(value) else "the ELBO's gradient"
                last = f"; the last finite ELBO estimate was {history[n - 1]:.6g}" if n else ""
                raise NonFiniteELBOError(
                    f"fit: {what} became non-finite at step {n} (estimate {value!r}){last}. "
                    "The guide's parameters before that step (the last finite state) are in "
                    "err.params, and the run up to there in err.result. Lower the learning rate, "
                    "clip the gradients (fluxion.optim.chain(clip_by_global_norm(10.0), adam(1e-3))"
                    "), use a smaller init_scale, or check log_prob where the guide puts mass",
                    n,
                    params,
                    result(),
                )
            params, opt_state = new_params, new_state
            history[n] = value
            n += 1
            bar.show(n, -value)
            if callback is not None and callback(n - 1, params, value):
                break
            if rule.check(history, n):
                converged = True
                break
    finally:
        if n > 0:
            bar.show(n, -float(history[n - 1]), force=True)
            bar.close()
    return result()
