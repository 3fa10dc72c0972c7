"""Many-chain generalized HMC with MEADS adaptation (``fluxion.mcmc.sample_meads``).

Hoffman & Sountsov (2022), "Tuning-free generalized Hamiltonian Monte Carlo" (AISTATS). Every
chain runs generalized HMC (Horowitz 1991): one leapfrog step per iteration, the momentum only
partly refreshed (``m <- sqrt(1 - alpha) m + sqrt(alpha) xi``) and negated on rejection, and
the accept/reject uniform itself carried along non-reversibly (Neal 2020: ``u`` in [-1, 1] drifts
by ``delta`` each iteration, the move is accepted when ``|u| < exp(-dH)``, and ``u`` is rescaled
by ``exp(dH)`` on acceptance), so that rejections cluster instead of reversing the chain at
random. All chains advance in lockstep, with one batched value-and-gradient call per iteration.

MEADS sets the step size, the damping and a diagonal metric from cross-chain statistics, with
no tuning runs: the chains are split into K folds; at iteration t the fold ``t mod K`` stands
still and every other fold k takes its parameters from the current state of fold ``k - 1``
(never from its own chains, which keeps each update a valid Markov kernel given the others;
the paper's Algorithm 3), and the folds are reshuffled every K iterations:

- metric: ``sigma`` = the per-coordinate sd of the source fold's positions; the dynamics run
  in the whitened coordinates ``q / sigma``;
- step size: ``eps = 0.5 / sqrt(lambda_max(E[g g']))`` with ``g`` the whitened gradients
  (``grad * sigma``): half the stability limit ``2 / sqrt(lambda_max)`` of leapfrog on the
  stiffest direction;
- damping: ``gamma = max(1 / sqrt(lambda_max(Cov(q / sigma))), 1 / (t eps))`` (critical
  damping of the slowest direction, with heavier damping early on), ``alpha = 1 - exp(-2 eps
  gamma)``, ``delta = alpha / 2``.

``lambda_max`` is estimated by ``tr(C^2) / tr(C)`` with unbiased estimates of both traces from
the chains (the paper's eq. 7): low-variance, and close to the largest eigenvalue when it
dominates. After warm-up the parameters are computed once from all chains and kept.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import SamplingWarning
from ..infer.model import UnconstrainedModel, resolve_model
from .chees import _check_lockstep_args, _finish, _is_int, _LockstepRun
from .hmc import MAX_DELTA_ENERGY
from .result import SampleResult

__all__ = ["sample_meads", "max_eigenvalue"]


def max_eigenvalue(x: np.ndarray) -> float:
    """``tr(C^2) / tr(C)`` for ``C = E[x x']``, from the rows of ``x`` (shape ``(n, d)``), with
    unbiased estimates of both traces (the off-diagonal terms of ``(x x')^2`` for ``tr(C^2)``).

    At most the largest eigenvalue of ``C``, and close to it when that eigenvalue dominates the
    others (Hoffman & Sountsov 2022, eq. 7)."""
    n, d = x.shape
    sq = np.einsum("ij,ij->i", x, x)  # |x_i|^2, the diagonal of x x'
    # sum over all i, j of (x_i . x_j)^2 is |x x'|_F^2 = |x' x|_F^2: the d x d form when n > d
    gram = x.T @ x if n > d else x @ x.T
    tr_c = np.sum(sq) / n
    tr_c2 = (np.sum(gram * gram) - np.sum(sq * sq)) / (n * (n - 1))
    return float(tr_c2 / tr_c)


def _parameters(q: np.ndarray, grad: np.ndarray, t: int, factor: float) -> tuple:
    """MEADS's ``(sigma, eps, alpha, delta)`` from one group of chains at iteration ``t``
    (1-based)."""
    sigma = np.std(q, axis=0)
    sigma = np.where(sigma > 0, sigma, 1.0)  # chains that have not spread yet (one start)
    # chains that share a start (superchains) give 0 / 0 at first: nan, handled below
    with np.errstate(divide="ignore", invalid="ignore"):
        lam_g = max_eigenvalue(grad * sigma)
        centred = (q - q.mean(axis=0)) / sigma
        lam_q = max_eigenvalue(centred)
    eps = min(1.0, factor / math.sqrt(lam_g)) if lam_g > 0 and math.isfinite(lam_g) else 1e-3
    gamma = 1.0 / math.sqrt(lam_q) if lam_q > 0 and math.isfinite(lam_q) else 0.0
    gamma = max(gamma, 1.0 / (t * eps))
    alpha = 1.0 - math.exp(-2.0 * eps * gamma)
    return sigma, eps, alpha, alpha / 2.0


def sample_meads(
    log_prob: Callable,
    init: Any = None,
    *,
    constraints: Any = None,
    chains: int = 512,
    warmup: int = 1000,
    draws: int = 1000,
    seed: int | np.random.Generator | None = None,
    folds: int = 4,
    superchains: int | None = None,
    init_jitter: float = 2.0,
    step_size_factor: float = 0.5,
    jit: bool = True,
    log_likelihood: bool = True,
) -> SampleResult:
    """Sample with many chains of generalized HMC in lockstep, tuned by MEADS.

    One leapfrog step per iteration and chain, with partial momentum refreshment and a
    non-reversible accept/reject; step size, damping and a diagonal metric are set from
    cross-chain statistics (Hoffman & Sountsov 2022; see the module docstring). Each iteration
    costs one batched gradient call, so MEADS needs many more (cheaper) iterations than ChEES.

    Parameters
    ----------
    log_prob : callable or model
        As for :func:`fluxion.mcmc.sample_chees` (batchable with ``fluxion.vmap``).
    init : pytree, optional
        The start values (constrained space); required with a callable.
    constraints : dict, pytree or spec, optional
    chains : int
        Number of chains: a multiple of ``folds``, with at least 2 chains per fold.
    warmup, draws : int
        Warm-up iterations and kept draws per chain (one leapfrog step each).
    seed : int or numpy Generator, optional
    folds : int
        K, the number of folds of the cross-chain adaptation (4, the paper's choice).
    superchains : int, optional
        Number of start points, as for :func:`fluxion.mcmc.sample_chees`.
    init_jitter : float
        Start points are drawn uniformly within this distance of ``init`` in the
        unconstrained space.
    step_size_factor : float
        The step size as a fraction of ``1 / sqrt(lambda_max)`` (0.5, the paper's).
    jit : bool
    log_likelihood : bool

    Returns
    -------
    SampleResult
        ``draws[name]`` of shape ``(chains, draws, *shape)``; ``stats`` with ``step_size``,
        ``damping`` (alpha), ``accept_prob``, ``divergent``, ``n_leapfrog`` (1) and
        ``log_density``, each ``(chains, draws)``; ``kernel`` "meads"; ``inv_metric`` the
        final ``sigma**2``; ``result.superchains``.

    Raises
    ------
    ValueError
        Bad arguments (chains not a multiple of folds, fewer than 2 chains per fold, ...),
        start points with a non-finite density.
    TypeError
        A callable without ``init``, or a density ``fluxion.vmap`` cannot batch.

    See Also
    --------
    fluxion.mcmc.sample : ``kernel="meads"`` runs this sampler (the same draws for the same
        seed) with a progress bar, ``save_dir`` checkpoints, ``resume`` and Ctrl-C keeping the
        finished draws.
    fluxion.mcmc.sample_chees : many chains of HMC with ChEES trajectory lengths.

    References
    ----------
    Hoffman, Sountsov (2022). Tuning-free generalized Hamiltonian Monte Carlo. AISTATS.
    Neal (2020). Non-reversibly updating a uniform [0,1] value for Metropolis accept/reject
    decisions. arXiv:2001.11950.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.numpy as fnp
    >>> from fluxion.mcmc import sample_meads
    >>> res = sample_meads(lambda p: -0.5 * fnp.sum(p["x"] ** 2), {"x": np.zeros(3)},
    ...                    chains=64, warmup=100, draws=20, seed=0)
    >>> res.draws["x"].shape
    (64, 20, 3)
    """
    who = "sample_meads"
    _check_args(who, chains, draws, warmup, superchains, init_jitter, folds, step_size_factor)
    if warmup == 0:
        warnings.warn(WARMUP_ZERO_MESSAGE.format(who=who), SamplingWarning, stacklevel=2)
    start_time = time.perf_counter()
    log_prob, init, constraints, spec = resolve_model(who, log_prob, init, constraints)
    model = UnconstrainedModel(log_prob, init, constraints, jit=jit, who=who)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    run = _MeadsRun(
        model, np.random.default_rng(seed), chains=chains, warmup=warmup, draws=draws,
        folds=folds, superchains=superchains, init_jitter=init_jitter,
        step_size_factor=step_size_factor,
    )
    run.advance(run.total, lambda r: None)
    return _finish(who, run, spec, start_time, superchains, log_likelihood)


#: The warm-up-free run's warning (``{who}``: the caller's name)
WARMUP_ZERO_MESSAGE = (
    "{who}: warmup=0, so nothing is adapted: the chains run with the step size 1e-3, full "
    "momentum refreshment and the identity metric"
)


def _check_args(who: str, chains: Any, draws: Any, warmup: Any, superchains: Any,
                init_jitter: Any, folds: Any, step_size_factor: Any) -> None:
    """MEADS's arguments, checked for ``who`` (``sample_meads``, or ``sample`` for
    ``kernel="meads"``)."""
    if not _is_int(folds) or folds < 2:
        raise ValueError(f"{who}: expected folds to be an integer >= 2, got {folds!r}")
    if not _is_int(chains) or chains < 2 * folds or chains % folds:
        raise ValueError(
            f"{who}: expected chains to be a multiple of folds={folds} with at least 2 chains "
            f"per fold (e.g. {max(2, folds) * 64}), got {chains!r}"
        )
    _check_lockstep_args(who, chains, draws, warmup, superchains, init_jitter)
    if not isinstance(step_size_factor, float | int) or not 0 < step_size_factor < 2:
        raise ValueError(
            f"{who}: expected 0 < step_size_factor < 2 (leapfrog is unstable beyond 2), got "
            f"{step_size_factor!r}"
        )


class _MeadsRun(_LockstepRun):
    """Generalized HMC tuned by MEADS on all chains in lockstep, resumable (see
    ``chees._LockstepRun`` and the module docstring)."""

    kernel = "meads"
    _saved = ("m", "u", "fold", "sigma", "eps", "alpha", "delta", "final")

    def __init__(self, model: UnconstrainedModel, rng: np.random.Generator, *, chains: int,
                 warmup: int, draws: int, folds: int = 4, superchains: int | None = None,
                 init_jitter: float = 2.0, step_size_factor: float = 0.5,
                 save_warmup: bool = False, centers: np.ndarray | None = None,
                 who: str = "sample_meads") -> None:
        super().__init__(who, model, rng, chains, warmup, draws, superchains, init_jitter,
                         save_warmup, centers)
        d = model.dim
        self.folds, self.factor = folds, step_size_factor
        self.fold = np.repeat(np.arange(folds), chains // folds)
        self.m = rng.standard_normal((chains, d))  # the momentum in whitened coordinates
        self.u = rng.uniform(-1.0, 1.0, chains)
        names = ("step_size", "damping", "accept_prob", "divergent", "energy", "log_density",
                 "n_leapfrog")
        self.w_stats = {k: np.zeros((chains, warmup)) for k in names}
        self.s_stats = {k: np.zeros((chains, draws)) for k in names}
        self.sigma = np.ones((chains, d))
        self.eps = np.full(chains, 1e-3)
        self.alpha = np.ones(chains)
        self.delta = np.full(chains, 0.5)
        self.final = None  # the sampling parameters, once computed

    def inv_metric(self) -> np.ndarray:
        return self.sigma[0] ** 2

    def advance(self, stop: int, after: Callable) -> None:
        folds, chains, warmup = self.folds, self.chains, self.warmup
        vg = self.model.batch_logp_and_grad
        sigma, eps, alpha, delta = self.sigma, self.eps, self.alpha, self.delta
        for i in range(self.done, stop):
            if i < warmup:
                t = i + 1
                still = i % folds
                for k in range(folds):
                    if k == still:
                        continue
                    src = self.fold == (k - 1) % folds
                    s, e, a, dl = _parameters(self.q[src], self.grad[src], t, self.factor)
                    mine = self.fold == k
                    sigma[mine], eps[mine], alpha[mine], delta[mine] = s, e, a, dl
                active = self.fold != still
            else:
                if self.final is None:  # the sampling parameters, from all chains at once
                    self.final = _parameters(self.q, self.grad, warmup + 1, self.factor)
                    s, e, a, dl = self.final
                    sigma[:], eps[:], alpha[:], delta[:] = s, e, a, dl
                active = np.ones(chains, dtype=bool)
            idx = np.flatnonzero(active)
            info = _ghmc_step(self.rng, vg, self.q, self.logp, self.grad, self.m, self.u, idx,
                              sigma, eps, alpha, delta)
            self._record(i, {
                "step_size": eps, "damping": alpha, "accept_prob": info["accept_prob"],
                "divergent": info["divergent"], "energy": info["energy"],
                "log_density": self.logp, "n_leapfrog": active.astype(np.float64),
            })
            if i < warmup and (i + 1) % folds == 0 and folds > 1:
                # reshuffle the chains across folds (the chains are exchangeable), so that no
                # fold keeps being tuned by the same other fold
                self.fold = self.fold[self.rng.permutation(chains)]
            self.done = i + 1
            after(self)


def _ghmc_step(rng: np.random.Generator, vg: Callable, q: np.ndarray, logp: np.ndarray,
               grad: np.ndarray, m: np.ndarray, u: np.ndarray, idx: np.ndarray,
               sigma: np.ndarray, eps: np.ndarray, alpha: np.ndarray,
               delta: np.ndarray) -> dict:
    """One generalized HMC step of the chains ``idx`` (updated in place; the others stand
    still): partial refresh of the whitened momentum, one leapfrog step with inverse mass
    ``sigma**2``, Neal's non-reversible accept/reject, momentum negated on rejection."""
    c = q.shape[0]
    accept_prob = np.ones(c)
    divergent = np.zeros(c, dtype=bool)
    energy = np.zeros(c)
    s, e = sigma[idx], eps[idx][:, None]
    a = alpha[idx][:, None]
    mi = np.sqrt(1.0 - a) * m[idx] + np.sqrt(a) * rng.standard_normal((idx.size, q.shape[1]))
    ui = np.mod(u[idx] + 1.0 + delta[idx], 2.0) - 1.0
    h0 = -logp[idx] + 0.5 * np.sum(mi * mi, axis=1)
    with np.errstate(all="ignore"):
        p = mi / s + 0.5 * e * grad[idx]  # p = m / sigma: momentum with M = diag(1/sigma^2)
        q1 = q[idx] + e * s * s * p
        lp1, g1 = (np.asarray(v, dtype=np.float64) for v in vg(q1))
        p = p + 0.5 * e * g1
        m1 = p * s
        h1 = -lp1 + 0.5 * np.sum(m1 * m1, axis=1)
        dh = h1 - h0
        dh = np.where(np.isnan(dh), np.inf, dh)
        accept = np.log(np.abs(ui)) < -dh
        accept_prob[idx] = np.exp(np.minimum(0.0, -dh))
        # Neal (2020): on acceptance u is rescaled to stay uniform given the new state
        ui = np.where(accept, ui * np.exp(dh), ui)
    divergent[idx] = dh > MAX_DELTA_ENERGY
    q[idx] = np.where(accept[:, None], q1, q[idx])
    logp[idx] = np.where(accept, lp1, logp[idx])
    grad[idx] = np.where(accept[:, None], g1, grad[idx])
    m[idx] = np.where(accept[:, None], m1, -mi)  # rejected: reverse the momentum
    u[idx] = ui
    energy[idx] = np.where(accept, h1, h0)
    return {"accept_prob": accept_prob, "divergent": divergent, "energy": energy}
