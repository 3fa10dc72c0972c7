"""Many-chain HMC with ChEES trajectory-length adaptation (``fluxion.mcmc.sample_chees``).

Hoffman, Radul & Sountsov (2021), "An adaptive MCMC scheme for setting trajectory lengths in
Hamiltonian Monte Carlo" (AISTATS). Hundreds to thousands of chains advance in lockstep: every
chain takes the same number of leapfrog steps with the same step size, so one batched
value-and-gradient call (``jit(vmap(value_and_grad(potential)))`` over ``(chains, dim)``) serves
all chains at each leapfrog step. Warm-up is cross-chain:

- the diagonal inverse metric is the (regularized) variance of the chains' current states,
  smoothed over iterations, during the first ``METRIC_FRACTION`` of warm-up;
- the step size follows dual averaging (Hoffman & Gelman 2014) of the *harmonic mean* of the
  chains' acceptance probabilities towards 0.651 (the paper's Section 4: the harmonic mean
  punishes the few chains that get stuck, which an arithmetic mean hides);
- the trajectory length ``T`` is moved by Adam (gradient ascent on ``log T``) on the ChEES
  criterion, the change in squared distance to the chains' centre,
  ``ChEES = E[(||q' - E q'||^2 - ||q - E q||^2)^2] / 4`` (the paper's eq. 4), whose gradient
  in ``T`` needs only the end point of each trajectory (eq. 6):
  ``dChEES/dT ~ E[(||q' - q̄'||^2 - ||q - q̄||^2) (q' - q̄') . v'] h``, with ``v'`` the final
  velocity and ``h`` the jitter, each chain weighted by its acceptance probability.
- each transition integrates for ``h_n T`` with ``h_n`` the n-th point of the base-2 Halton
  (van der Corput) sequence in (0, 1): jittered lengths break the periodicity that a fixed
  length has on near-Gaussian targets, with less variance than uniform jitter (Section 3.2).

After warm-up the step size is the dual-averaging average and ``T`` the average of ``log T`` over
the warm-up's last part; only the Halton jitter changes from one transition to the next.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import SamplingWarning
from ..infer.model import UnconstrainedModel, pointwise_log_likelihood, resolve_model
from .adaptation import DualAveraging
from .hmc import MAX_DELTA_ENERGY
from .result import SampleResult

__all__ = ["sample_chees", "halton"]

#: Fraction of warm-up during which the metric follows the cross-chain variance; the rest lets
#: the step size and the trajectory length settle under a fixed metric. Measured on the tests'
#: 100-d Gaussian (512 chains, 200 warm-up iterations): freezing at 0.6 left the metric off by up
#: to 70 % (the wide coordinates had not relaxed yet under the short early trajectories) and the
#: minimum ESS at 3 000; at 0.8 the metric is within 10 % and the ESS 16 000 of 25 600 draws.
METRIC_FRACTION = 0.8
#: Smoothing weight of the newest cross-chain variance in the metric (an exponential average
#: over iterations: with few chains one iteration's variance is noisy).
METRIC_EMA = 0.2


def halton(n: int | np.ndarray, base: int = 2) -> np.ndarray:
    """The n-th point (n >= 1) of the van der Corput sequence in ``base``: the digits of ``n``
    mirrored about the radix point (1 -> 1/2, 2 -> 1/4, 3 -> 3/4, 4 -> 1/8, ...).

    Parameters
    ----------
    n : int or array of int, n >= 1
    base : int, >= 2

    Returns
    -------
    ndarray of float, shape of ``n``, values in (0, 1)
    """
    n = np.asarray(n, dtype=np.int64).copy()
    if np.any(n < 1) or base < 2:
        raise ValueError(f"halton: expected n >= 1 and base >= 2, got n={n!r}, base={base!r}")
    out = np.zeros(n.shape)
    f = 1.0 / base
    while np.any(n > 0):
        out += f * (n % base)
        n //= base
        f /= base
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _check_lockstep_args(who: str, chains: int, draws: Any, warmup: Any, superchains: Any,
                         init_jitter: Any) -> None:
    """The arguments every many-chain sampler (ChEES, MEADS) takes, checked the same way."""
    for name, v, low in (("draws", draws, 1), ("warmup", warmup, 0)):
        if not _is_int(v) or v < low:
            raise ValueError(f"{who}: expected {name} to be an integer >= {low}, got {v!r}")
    if superchains is not None and (
        not _is_int(superchains) or superchains < 1 or chains % superchains
    ):
        raise ValueError(
            f"{who}: expected superchains to be an integer >= 1 dividing chains={chains}, got "
            f"{superchains!r}"
        )
    if not isinstance(init_jitter, float | int) or isinstance(init_jitter, bool) or not (
        0 <= init_jitter < math.inf
    ):
        raise ValueError(f"{who}: expected init_jitter >= 0 (a float), got {init_jitter!r}")


def _check_args(who: str, chains: Any, draws: Any, warmup: Any, superchains: Any,
                init_jitter: Any, target_accept: Any, learning_rate: Any, max_leapfrog: Any,
                trajectory_length: Any, step_size: Any) -> None:
    """ChEES's arguments, checked for ``who`` (``sample_chees``, or ``sample`` for
    ``kernel="chees"``)."""
    if not _is_int(chains) or chains < 2:
        raise ValueError(
            f"{who}: expected chains to be an integer >= 2 (the adaptation is cross-chain; "
            f"hundreds to thousands of chains are typical), got {chains!r}"
        )
    _check_lockstep_args(who, chains, draws, warmup, superchains, init_jitter)
    if not _is_int(max_leapfrog) or max_leapfrog < 1:
        raise ValueError(
            f"{who}: expected max_leapfrog to be an integer >= 1, got {max_leapfrog!r}"
        )
    if not isinstance(target_accept, float | int) or not 0.0 < target_accept < 1.0:
        raise ValueError(f"{who}: expected 0 < target_accept < 1, got {target_accept!r}")
    if not isinstance(learning_rate, float | int) or not 0.0 < learning_rate < math.inf:
        raise ValueError(f"{who}: expected learning_rate > 0, got {learning_rate!r}")
    for name, v in (("trajectory_length", trajectory_length), ("step_size", step_size)):
        if v is not None and (
            not isinstance(v, float | int) or isinstance(v, bool) or not 0.0 < v < math.inf
        ):
            raise ValueError(f"{who}: expected {name} to be a finite number > 0, got {v!r}")


class _Adam:
    """Adam (Kingma & Ba 2015) for one scalar, as gradient *ascent* (ChEES is maximized).

    ``beta1 = 0`` (no momentum) and a short second-moment memory ``beta2 = 0.5``: the ChEES
    gradient's scale grows by orders of magnitude with ``T`` during warm-up (it is quartic in
    the distances), and a long memory of the early, large gradients would stall ``T`` for most
    of a short warm-up (measured: with 0.95, ``T`` grew by 25 % in the first 60 iterations on
    the 100-d Gaussian of the tests, against a needed factor of ~200). Each step then moves
    ``log T`` by about ``lr`` in the gradient's direction."""

    def __init__(self, lr: float, beta1: float = 0.0, beta2: float = 0.5,
                 eps: float = 1e-8) -> None:
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.m = self.v = 0.0
        self.t = 0

    def step(self, x: float, g: float) -> float:
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        m_hat = self.m / (1 - self.b1**self.t)
        v_hat = self.v / (1 - self.b2**self.t)
        return x + self.lr * m_hat / (math.sqrt(v_hat) + self.eps)


class _Lockstep:
    """All chains' positions, potentials and gradients, advanced together."""

    def __init__(self, vg: Callable, q: np.ndarray) -> None:
        self.vg = vg
        self.q = q
        self.logp, self.grad = self.evaluate(q)

    def evaluate(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(all="ignore"):
            v, g = self.vg(q)
        return np.asarray(v, dtype=np.float64), np.asarray(g, dtype=np.float64)

    def transition(self, rng: np.random.Generator, eps: float, n_steps: int,
                   inv_m: np.ndarray) -> dict:
        """One HMC transition of every chain: ``n_steps`` leapfrog steps of size ``eps``, then
        a Metropolis accept per chain. Returns the proposal, its final momentum and the
        per-chain statistics (the state is updated in place)."""
        c, d = self.q.shape
        sqrt_inv_m = np.sqrt(inv_m)
        p = rng.standard_normal((c, d)) / sqrt_inv_m  # p ~ N(0, M), M = diag(1 / inv_m)
        h0 = -self.logp + 0.5 * np.sum(p * p * inv_m, axis=1)
        q, g = self.q.copy(), self.grad
        with np.errstate(all="ignore"):
            p = p + 0.5 * eps * g
            for k in range(n_steps):
                q = q + eps * inv_m * p
                logp, g = self.evaluate(q)
                p = p + (eps if k < n_steps - 1 else 0.5 * eps) * g
            h1 = -logp + 0.5 * np.sum(p * p * inv_m, axis=1)
            delta = h1 - h0
            delta = np.where(np.isnan(delta), np.inf, delta)
            accept_prob = np.exp(np.minimum(0.0, -delta))
        divergent = delta > MAX_DELTA_ENERGY
        accept = np.log(rng.uniform(size=c)) < -delta
        q_prev = self.q
        self.q = np.where(accept[:, None], q, self.q)
        self.logp = np.where(accept, logp, self.logp)
        self.grad = np.where(accept[:, None], g, self.grad)
        energy = np.where(accept, h1, h0)
        return {
            "q_prev": q_prev, "proposal": q, "momentum": p, "accept_prob": accept_prob,
            "divergent": divergent, "energy": energy,
        }


def _chees_log_gradient(info: dict, inv_m: np.ndarray, length: float, jitter: float) -> float:
    """The acceptance-weighted ChEES gradient in ``log T`` (the paper's eq. 6 times ``T``),
    in the coordinates whitened by the diagonal metric, ``x = q / sqrt(inv_m)``, where the
    dynamics have unit mass and ``T`` is a time in the target's own scale."""
    alpha = info["accept_prob"]
    ok = np.all(np.isfinite(info["proposal"]), axis=1) & np.all(
        np.isfinite(info["momentum"]), axis=1) & (alpha > 0)
    if not np.any(ok):
        return 0.0
    w = np.where(ok, alpha, 0.0)
    scale = 1.0 / np.sqrt(inv_m)
    x0 = info["q_prev"][ok] * scale
    x1 = info["proposal"][ok] * scale
    v1 = info["momentum"][ok] * np.sqrt(inv_m)  # dx/dt = sqrt(inv_m) p
    w = w[ok]
    c0 = x0 - x0.mean(axis=0)
    c1 = x1 - np.average(x1, axis=0, weights=w)
    change = np.sum(c1 * c1, axis=1) - np.sum(c0 * c0, axis=1)
    per_chain = jitter * length * change * np.sum(c1 * v1, axis=1)
    return float(np.sum(w * per_chain) / np.sum(w))


def _harmonic_mean(a: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64)
    if np.any(a <= 0) or not np.all(np.isfinite(a)):
        # a stuck chain (accept 0) drives the harmonic mean to 0: the step size must shrink
        a = np.where(np.isfinite(a), a, 0.0)
        a = np.maximum(a, 1e-10)
    return float(1.0 / np.mean(1.0 / a))


def _initial_step_size(state: _Lockstep, rng: np.random.Generator, inv_m: np.ndarray) -> float:
    """Stan's heuristic on all chains at once: double or halve ``eps`` until the harmonic mean
    acceptance of one leapfrog step crosses 1/2 (the state is left unchanged)."""
    eps = 1.0
    q, logp, grad = state.q, state.logp, state.grad

    def accept(e: float) -> float:
        p = rng.standard_normal(q.shape) / np.sqrt(inv_m)
        h0 = -logp + 0.5 * np.sum(p * p * inv_m, axis=1)
        with np.errstate(all="ignore"):
            p1 = p + 0.5 * e * grad
            q1 = q + e * inv_m * p1
            lp1, g1 = state.evaluate(q1)
            p1 = p1 + 0.5 * e * g1
            h1 = -lp1 + 0.5 * np.sum(p1 * p1 * inv_m, axis=1)
            d = np.where(np.isnan(h1 - h0), np.inf, h1 - h0)
            return _harmonic_mean(np.exp(np.minimum(0.0, -d)))

    up = accept(eps) > 0.5
    for _ in range(60):
        eps = eps * 2.0 if up else eps / 2.0
        if (accept(eps) > 0.5) != up:
            break
    return eps


def _start_points(who: str, model: UnconstrainedModel, rng: np.random.Generator, chains: int,
                  superchains: int | None, init_jitter: float, vg: Callable,
                  centers: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Start points ``(chains, dim)`` drawn uniformly within ``init_jitter`` of ``init`` in the
    unconstrained space (Stan's default is ``uniform(-2, 2)`` around 0), redrawn where the
    density or gradient is not finite; with superchains, one point per superchain shared by
    its chains (Margossian et al. 2024). ``centers``, shape ``(dim,)`` or ``(groups, dim)``
    (one per chain, or per superchain), replaces ``init`` as the centre of the jitter (a
    start moved to the mode, or ``sample``'s ``chain_inits``). Returns the points and the
    superchain of each chain."""
    groups = chains if superchains is None else superchains
    label = np.repeat(np.arange(groups), chains // groups)
    center = np.broadcast_to(model.u0 if centers is None else centers, (groups, model.dim))
    pts = center + rng.uniform(-init_jitter, init_jitter, (groups, model.dim))
    for _ in range(100):
        with np.errstate(all="ignore"):
            v, g = vg(pts)
        bad = ~(np.isfinite(np.asarray(v)) & np.all(np.isfinite(np.asarray(g)), axis=1))
        if not np.any(bad):
            break
        pts[bad] = center[bad] + rng.uniform(
            -init_jitter, init_jitter, (int(bad.sum()), model.dim)
        )
    else:
        raise ValueError(
            f"{who}: {int(bad.sum())} of {groups} start points have a non-finite log "
            f"density or gradient after 100 tries within init_jitter={init_jitter} of init; "
            "reduce init_jitter or start from a point inside the support"
        )
    return pts[label], label


def _checks(who: str, result: SampleResult, superchains: int | None) -> list:
    """The run's convergence checks: divergences and, with superchains, nested R-hat > 1.01
    (per-chain R-hat and ESS thresholds do not suit many short chains). With superchains the
    nested R-hat of every parameter is also kept as ``result.nested_rhat`` (name -> array of
    the parameter's shape)."""
    from ..diagnostics import nested_rhat
    from ..run_checks import RunWarning

    out = []
    n_div = int(np.sum(result.stats["divergent"]))
    if n_div:
        total = result.stats["divergent"].size
        out.append(RunWarning(
            "divergences",
            f"{who}: {n_div} of {total} transitions diverged after warm-up; the draws "
            "may be biased: reparameterize (e.g. non-centred), or raise target_accept",
            (),
        ))
    if superchains is not None:
        bad = []
        result.nested_rhat = {}
        for name, x in result.draws.items():
            r = nested_rhat(x, result.superchains)
            result.nested_rhat[name] = r
            r = np.atleast_1d(r)
            for idx in np.argwhere(~(r <= 1.01)):
                label = name if np.ndim(x) == 2 else f"{name}[{','.join(map(str, idx))}]"
                bad.append((float(r[tuple(idx)]), label))
        if bad:
            bad.sort(key=lambda t: -t[0] if math.isfinite(t[0]) else -math.inf)
            worst, label = bad[0]
            out.append(RunWarning(
                "rhat",
                f"{who}: nested R-hat > 1.01 for {len(bad)} parameter element(s) (worst "
                f"{label}: {worst:.3f}): the superchains disagree; run a longer warm-up or more "
                "draws",
                tuple(b[1] for b in bad),
            ))
    return out


class _LockstepRun:
    """Many chains advanced in lockstep as one resumable run: the runner protocol of
    ``fluxion.mcmc.sample``'s driver (the whole run is one progress "chain" and one
    checkpoint), also driven to its end by ``sample_chees`` and ``sample_meads``.

    ``advance(stop, after)`` runs iterations ``done .. stop - 1`` (warm-up first) and calls
    ``after(self)`` after each, with the run's state whole (progress, checkpoints and Ctrl-C
    happen there); ``snapshot()`` holds everything the rest of the run depends on (positions,
    adaptation, the generator's state, the draws so far) and ``restore(snap)`` puts it back,
    so that a restored run makes the draws of the uninterrupted one; ``result(n, elapsed)`` is
    the ``SampleResult`` of the first ``n`` draws (no log-likelihood, no checks: the callers
    add those).

    The constructor draws the start points (``centers``: see ``_start_points``) and evaluates
    them, turning a density ``fluxion.vmap`` cannot batch into a ``TypeError``.
    """

    kernel = ""
    chain = 0
    #: the attributes (besides done, divergences and the generator) that a snapshot holds
    _saved: tuple[str, ...] = ()

    def __init__(self, who: str, model: UnconstrainedModel, rng: np.random.Generator,
                 chains: int, warmup: int, draws: int, superchains: int | None,
                 init_jitter: float, save_warmup: bool, centers: np.ndarray | None) -> None:
        self.who, self.model, self.rng = who, model, rng
        self.chains, self.warmup, self.draws = chains, warmup, draws
        self.done = 0
        self.divergences = 0
        vg = model.batch_logp_and_grad
        try:
            self.q, self.labels = _start_points(who, model, rng, chains, superchains,
                                                float(init_jitter), vg, centers)
            with np.errstate(all="ignore"):
                self.logp, self.grad = (np.asarray(a, dtype=np.float64) for a in vg(self.q))
        except ValueError:
            raise
        except Exception as err:
            raise TypeError(
                f"{who}: evaluating the batched log density and gradient failed ({err}); the "
                "log density must be batchable with fluxion.vmap (no Python if/while on "
                "parameter values): use fluxion.numpy.where instead, or "
                "fluxion.mcmc.sample with a per-chain kernel such as 'nuts'"
            ) from err
        d = model.dim
        self.kept = np.empty((chains, draws, d))
        self.warm_q = np.empty((chains, warmup, d)) if save_warmup else None

    @property
    def total(self) -> int:
        return self.warmup + self.draws

    def kept_count(self) -> int:
        return max(0, self.done - self.warmup)

    def _record(self, i: int, row: dict) -> None:
        """Iteration ``i``'s statistics (one value or one per chain each) and positions."""
        if i < self.warmup:
            for k, v in row.items():
                self.w_stats[k][:, i] = v
            if self.warm_q is not None:
                self.warm_q[:, i] = self.q
        else:
            j = i - self.warmup
            self.kept[:, j] = self.q
            for k, v in row.items():
                self.s_stats[k][:, j] = v
            self.divergences += int(np.sum(row["divergent"]))

    def snapshot(self) -> dict:
        snap = {name: getattr(self, name) for name in self._saved}
        snap.update(done=self.done, divergences=self.divergences,
                    rng=self.rng.bit_generator.state, q=self.q, logp=self.logp,
                    grad=self.grad, kept=self.kept, warm_q=self.warm_q, w_stats=self.w_stats,
                    s_stats=self.s_stats)
        return snap

    def restore(self, snap: dict) -> None:
        snap = dict(snap)
        self.rng.bit_generator.state = snap.pop("rng")
        for name, value in snap.items():
            setattr(self, name, value)

    def inv_metric(self) -> np.ndarray:
        raise NotImplementedError

    def reason(self) -> str:
        """Where the chains ran (``SampleResult.compiled_reason``)."""
        how = "jitted at tier 0" if self.model.jit else "eager: jit=False"
        return (f"{self.kernel}: the {self.chains} chains advance in lockstep in Python, with "
                f"one batched value-and-gradient call (fluxion.vmap, {how}) per leapfrog step")

    def result(self, n: int, elapsed: float) -> SampleResult:
        """The ``SampleResult`` of the first ``n`` draws of every chain (``n <=`` the draws
        finished), with the whole warm-up's statistics."""
        stats = {k: v[:, :n].copy() for k, v in self.s_stats.items()}
        warm = {k: v.copy() for k, v in self.w_stats.items()}
        for st in (warm, stats):
            st["divergent"] = st["divergent"].astype(bool)
            st["n_leapfrog"] = st["n_leapfrog"].astype(np.int64)
        result = SampleResult(
            self.model.constrained_draws(self.kept[:, :n]), stats, warm,
            [self.inv_metric()] * self.chains, elapsed, self.kernel,
            [self.kernel] * self.chains, "diag", "python", compiled_reason=self.reason(),
        )
        result.superchains = self.labels
        if self.warm_q is not None and self.warmup:
            result.warmup_draws = self.model.constrained_draws(self.warm_q)
        return result


class _CheesRun(_LockstepRun):
    """ChEES-HMC on all chains in lockstep, resumable (see ``_LockstepRun`` and the module
    docstring for the adaptation)."""

    kernel = "chees"
    _saved = ("inv_m", "eps", "length", "dual", "adam", "log_t", "log_t_sum", "log_t_n")

    def __init__(self, model: UnconstrainedModel, rng: np.random.Generator, *, chains: int,
                 warmup: int, draws: int, superchains: int | None = None,
                 init_jitter: float = 2.0, target_accept: float = 0.651,
                 learning_rate: float = 0.05, trajectory_length: float | None = None,
                 step_size: float | None = None, max_leapfrog: int = 1000,
                 save_warmup: bool = False, centers: np.ndarray | None = None,
                 who: str = "sample_chees") -> None:
        super().__init__(who, model, rng, chains, warmup, draws, superchains, init_jitter,
                         save_warmup, centers)
        self.max_leapfrog = int(max_leapfrog)
        self.inv_m = np.ones(model.dim)
        state = self._state()
        self.eps = (float(step_size) if step_size is not None
                    else _initial_step_size(state, rng, self.inv_m))
        self.length = float(trajectory_length) if trajectory_length is not None else self.eps
        self.dual = DualAveraging(self.eps, target=target_accept)
        self.adam = _Adam(float(learning_rate))
        self.log_t = math.log(self.length)
        self.metric_until = int(METRIC_FRACTION * warmup)
        self.log_t_sum, self.log_t_n = 0.0, 0
        names = ("step_size", "trajectory_length", "n_leapfrog", "accept_prob", "divergent",
                 "energy", "log_density")
        self.w_stats = {k: np.empty((chains, warmup)) for k in names}
        self.s_stats = {k: np.empty((chains, draws)) for k in names}

    def _state(self) -> _Lockstep:
        """The chains' positions, potentials and gradients as a ``_Lockstep`` (no evaluation:
        they are this run's own)."""
        state = _Lockstep.__new__(_Lockstep)
        state.vg = self.model.batch_logp_and_grad
        state.q, state.logp, state.grad = self.q, self.logp, self.grad
        return state

    def inv_metric(self) -> np.ndarray:
        return self.inv_m

    def advance(self, stop: int, after: Callable) -> None:
        warmup, rng = self.warmup, self.rng
        state = self._state()
        for i in range(self.done, stop):
            jitter = float(halton(i + 1))
            t_i = jitter * self.length
            n_steps = int(min(self.max_leapfrog, max(1, math.ceil(t_i / self.eps))))
            info = state.transition(rng, self.eps, n_steps, self.inv_m)
            self.q, self.logp, self.grad = state.q, state.logp, state.grad
            self._record(i, {
                "step_size": self.eps, "trajectory_length": t_i, "n_leapfrog": n_steps,
                "accept_prob": info["accept_prob"], "divergent": info["divergent"],
                "energy": info["energy"], "log_density": state.logp,
            })
            if i < warmup:
                self._adapt(i, state, info, jitter)
            self.done = i + 1
            after(self)

    def _adapt(self, i: int, state: _Lockstep, info: dict, jitter: float) -> None:
        """Warm-up iteration ``i``'s updates of ``T`` (Adam), the step size (dual averaging)
        and the metric (cross-chain variance)."""
        chains, warmup = self.chains, self.warmup
        grad = _chees_log_gradient(info, self.inv_m, self.length, jitter)
        if math.isfinite(grad):
            self.log_t = self.adam.step(self.log_t, grad)
        self.eps = self.dual.update(_harmonic_mean(info["accept_prob"]))
        if i < self.metric_until:
            var = np.var(state.q, axis=0, ddof=1)
            # Stan's regularization towards 1e-3 (weight 5 / (n + 5)) keeps a collapsed
            # coordinate from zeroing the metric
            var = (chains / (chains + 5.0)) * var + 1e-3 * (5.0 / (chains + 5.0))
            if np.all(np.isfinite(var)):
                self.inv_m = var if i == 0 else (1 - METRIC_EMA) * self.inv_m + METRIC_EMA * var
            if i == self.metric_until - 1:
                # the metric is now fixed: restart the step size's dual averaging from the
                # step size that suits it (Stan restarts it after every metric window)
                self.dual.restart(_initial_step_size(state, self.rng, self.inv_m))
                self.eps = self.dual.step_size
        else:
            self.log_t_sum += self.log_t
            self.log_t_n += 1
        # T may not ask for more than max_leapfrog steps of the current step size
        self.log_t = min(self.log_t, math.log(self.max_leapfrog * self.eps))
        self.length = math.exp(self.log_t)
        if i == warmup - 1:
            self.eps = self.dual.final_step_size()
            if self.log_t_n:
                self.length = min(math.exp(self.log_t_sum / self.log_t_n),
                                  self.max_leapfrog * self.eps)

    def result(self, n: int, elapsed: float) -> SampleResult:
        result = super().result(n, elapsed)
        result.trajectory_length = self.length
        return result


def _finish(who: str, run: _LockstepRun, spec: Any, start_time: float,
            superchains: int | None, log_likelihood: bool) -> SampleResult:
    """The finished run's SampleResult for ``sample_chees``/``sample_meads``: the model's
    pointwise log-likelihood and data when it has them, and its convergence checks issued as
    SamplingWarnings (at the caller's caller)."""
    result = run.result(run.draws, time.perf_counter() - start_time)
    if spec is not None:
        if log_likelihood:
            result.log_likelihood = pointwise_log_likelihood(spec, result.draws)
        result.observed_data = dict(spec.observed)
    result.warnings = _checks(who, result, superchains)
    for w in result.warnings:
        warnings.warn(w.message, SamplingWarning, stacklevel=3)
    return result


#: The warm-up-free run's warning (``{who}``: the caller's name)
WARMUP_ZERO_MESSAGE = (
    "{who}: warmup=0, so nothing is adapted: the chains run with the step size Stan's "
    "heuristic finds and one leapfrog step per transition (or the given step_size and "
    "trajectory_length)"
)


def sample_chees(
    log_prob: Callable,
    init: Any = None,
    *,
    constraints: Any = None,
    chains: int = 1024,
    warmup: int = 500,
    draws: int = 200,
    seed: int | np.random.Generator | None = None,
    superchains: int | None = None,
    init_jitter: float = 2.0,
    target_accept: float = 0.651,
    learning_rate: float = 0.05,
    trajectory_length: float | None = None,
    step_size: float | None = None,
    max_leapfrog: int = 1000,
    jit: bool = True,
    log_likelihood: bool = True,
) -> SampleResult:
    """Sample with many chains of HMC in lockstep, with ChEES trajectory-length adaptation.

    Every chain takes the same number of leapfrog steps with the same step size, so one
    batched value-and-gradient call serves all chains at each step; the step size, the
    trajectory length and a diagonal metric are adapted from cross-chain statistics during
    warm-up (Hoffman, Radul & Sountsov 2021; see the module docstring).

    Parameters
    ----------
    log_prob : callable or model
        ``log_prob(params) -> scalar`` on a parameter pytree, or a model that describes itself
        (a conditioned joint distribution), as for :func:`fluxion.mcmc.sample`. It must be
        batchable with ``fluxion.vmap`` (no Python branching on parameter values).
    init : pytree, optional
        The start values (constrained space); required with a callable.
    constraints : dict, pytree or spec, optional
        As for :func:`fluxion.mcmc.sample`.
    chains : int
        Number of chains (>= 2; hundreds to thousands are typical).
    warmup, draws : int
        Warm-up iterations and kept draws per chain. Memory for the draws is
        ``chains * draws * dim * 8`` bytes.
    seed : int or numpy Generator, optional
    superchains : int, optional
        Number of start points; the chains are split into that many contiguous groups, and the
        chains of a group start from the same point (for :func:`fluxion.diagnostics.nested_rhat`,
        whose ``superchains`` argument is ``result.superchains``). By default every chain has its
        own start.
    init_jitter : float
        Start points are drawn uniformly within this distance of ``init`` in the unconstrained
        space, coordinate by coordinate (2, Stan's ``uniform(-2, 2)`` width, by default).
    target_accept : float
        The harmonic-mean acceptance probability the step size is adapted to (0.651, the
        paper's choice for jittered trajectories).
    learning_rate : float
        Adam's learning rate on ``log T`` (about the most ``log T`` moves per warm-up
        iteration: 0.05 lets ``T`` grow a hundredfold in 100 iterations; the paper's 0.025
        suits warm-ups of a thousand iterations or more).
    trajectory_length : float, optional
        The initial trajectory length (default: the initial step size, one leapfrog step).
    step_size : float, optional
        The initial step size (default: Stan's heuristic over all chains).
    max_leapfrog : int
        The most leapfrog steps of one transition (the trajectory length is capped to it).
    jit : bool
        Compile the batched value and gradient (default).
    log_likelihood : bool
        For a model with observed variables, record their pointwise log-likelihood.

    Returns
    -------
    SampleResult
        ``draws[name]`` of shape ``(chains, draws, *shape)``; ``stats`` with ``step_size``,
        ``trajectory_length`` (the jittered length of each transition), ``n_leapfrog``,
        ``accept_prob``, ``divergent``, ``energy`` and ``log_density``, each
        ``(chains, draws)``; ``warmup_stats`` the same for warm-up; ``kernel`` "chees";
        ``inv_metric`` the adapted diagonal (one array shared by the chains);
        ``result.superchains`` the superchain of each chain, shape ``(chains,)``;
        ``result.trajectory_length`` the adapted (un-jittered) length.

    Raises
    ------
    ValueError
        Bad arguments (fewer than 2 chains, superchains not dividing chains, a non-positive
        step size or trajectory length, ...), start points with a non-finite density.
    TypeError
        A callable without ``init``, or a density ``fluxion.vmap`` cannot batch.

    See Also
    --------
    fluxion.mcmc.sample : NUTS and other kernels, chain by chain; ``kernel="chees"`` runs this
        sampler (the same draws for the same seed) with a progress bar, ``save_dir``
        checkpoints, ``resume`` and Ctrl-C keeping the finished draws.
    fluxion.diagnostics.nested_rhat : convergence of many short chains.

    References
    ----------
    Hoffman, Radul, Sountsov (2021). An adaptive MCMC scheme for setting trajectory lengths in
    Hamiltonian Monte Carlo. AISTATS.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.numpy as fnp
    >>> from fluxion.mcmc import sample_chees
    >>> res = sample_chees(lambda p: -0.5 * fnp.sum(p["x"] ** 2), {"x": np.zeros(3)},
    ...                    chains=64, warmup=100, draws=20, seed=0)
    >>> res.draws["x"].shape
    (64, 20, 3)
    """
    _check_args("sample_chees", chains, draws, warmup, superchains, init_jitter, target_accept,
                learning_rate, max_leapfrog, trajectory_length, step_size)
    if warmup == 0:
        warnings.warn(WARMUP_ZERO_MESSAGE.format(who="sample_chees"), SamplingWarning,
                      stacklevel=2)
    start_time = time.perf_counter()
    log_prob, init, constraints, spec = resolve_model("sample_chees", log_prob, init, constraints)
    model = UnconstrainedModel(log_prob, init, constraints, jit=jit, who="sample_chees")
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    run = _CheesRun(
        model, np.random.default_rng(seed), chains=chains, warmup=warmup, draws=draws,
        superchains=superchains, init_jitter=init_jitter, target_accept=target_accept,
        learning_rate=learning_rate, trajectory_length=trajectory_length, step_size=step_size,
        max_leapfrog=max_leapfrog,
    )
    run.advance(run.total, lambda r: None)
    return _finish("sample_chees", run, spec, start_time, superchains, log_likelihood)
