"""Metropolis-type and slice kernels on a flat unconstrained vector: RWM, MALA and slice sampling.

The same style as :mod:`fluxion._src.mcmc.hmc`: pure ``step(rng, state, ...) -> (state, info)``
functions over an :class:`~fluxion._src.mcmc.hmc.HMCState` (position, log density, gradient) and a
:class:`~fluxion._src.mcmc.hmc.Metric` (the inverse mass matrix ``A``, which plays the role of the
proposal covariance up to the step size).

- :func:`rwm_step`: random-walk Metropolis, ``q' = q + eps * L z`` with ``A = L L^T``; optimal
  acceptance about 0.234 (Roberts, Gelman & Gilks 1997).
- :func:`mala_step`: the Metropolis-adjusted Langevin algorithm, ``q' = q + eps^2/2 A grad(q) +
  eps L z``, with the asymmetric proposal density in the acceptance ratio; optimal acceptance about
  0.574 (Roberts & Rosenthal 1998).
- :func:`slice_step`: univariate slice sampling with stepping out and shrinkage (Neal 2003,
  "Slice sampling", figures 3 and 5), one sweep over the coordinates in a fixed order, each with
  its own width. Coordinate-wise (not random-direction) updates: they need no gradients and
  suit parameters whose gradient is zero almost everywhere (a change point).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .hmc import HMCState, Metric, _check_step

__all__ = ["SliceState", "mala_step", "rwm_step", "slice_step"]


def _proposal_noise(rng: np.random.Generator, metric: Metric, d: int) -> np.ndarray:
    """``L z`` with ``z ~ N(0, I)`` and ``A = L L^T``: a draw from ``N(0, A)``."""
    z = rng.standard_normal(d)
    if metric.dense:
        return metric.chol_mass @ z
    return np.sqrt(metric.inv_mass) * z


def _inv_quad(metric: Metric, v: np.ndarray) -> float:
    """``v^T A^{-1} v`` for the inverse mass matrix ``A``."""
    if metric.dense:
        from scipy.linalg import solve_triangular

        w = solve_triangular(metric.chol_mass, v, lower=True)
        return float(w @ w)
    return float(v @ (v / metric.inv_mass))


def _metropolis(
    rng: np.random.Generator,
    state: HMCState,
    q: np.ndarray,
    logp: float,
    grad: np.ndarray,
    log_ratio: float,
) -> tuple[HMCState, float]:
    """Accept ``(q, logp, grad)`` with probability ``min(1, exp(log_ratio))``."""
    if math.isnan(log_ratio):
        log_ratio = -math.inf
    accept_prob = 1.0 if log_ratio >= 0 else math.exp(log_ratio)
    if accept_prob >= 1.0 or rng.uniform() < accept_prob:
        return HMCState(q, logp, grad), accept_prob
    return state, accept_prob


def rwm_step(
    rng: np.random.Generator,
    state: HMCState,
    logp_and_grad: Callable,
    step_size: float,
    metric: Metric,
) -> tuple[HMCState, dict]:
    """One random-walk Metropolis transition with a Gaussian proposal scaled by the metric.

    Parameters
    ----------
    rng : numpy Generator
    state : HMCState
    logp_and_grad : callable
        ``q -> (log density, gradient)``; the gradient is only carried along in the state (so
        that gradient-based metric adaptation can use it), never used by the move.
    step_size : float
        The proposal is ``N(q, step_size**2 * A)``; about ``2.38 / sqrt(d)`` is optimal for a
        Gaussian target when ``A`` is its covariance.
    metric : Metric

    Returns
    -------
    state : HMCState
    info : dict
        ``accept_prob`` (``min(1, p(q') / p(q))``, for step-size adaptation), ``accepted``,
        ``n_evals`` (log-density evaluations, 1).
    """
    _check_step("rwm_step", state, step_size, metric)
    d = state.q.size
    q = state.q + step_size * _proposal_noise(rng, metric, d)
    logp, grad = logp_and_grad(q)
    logp = float(logp)
    # symmetric proposal: the ratio is p(q') / p(q)
    log_ratio = logp - state.logp if math.isfinite(logp) else -math.inf
    new, accept_prob = _metropolis(
        rng, state, q, logp, np.asarray(grad, dtype=np.float64), log_ratio
    )
    return new, {"accept_prob": accept_prob, "accepted": new is not state, "n_evals": 1}


def mala_step(
    rng: np.random.Generator,
    state: HMCState,
    logp_and_grad: Callable,
    step_size: float,
    metric: Metric,
) -> tuple[HMCState, dict]:
    """One MALA transition (preconditioned Langevin proposal, Metropolis-Hastings corrected).

    The proposal is ``q' ~ N(m(q), eps^2 A)`` with drift ``m(q) = q + eps^2 / 2 * A grad(q)``; it is
    not symmetric, so the acceptance ratio carries the proposal densities::

        log r = log p(q') - log p(q) + log N(q | m(q'), eps^2 A) - log N(q' | m(q), eps^2 A)

    Parameters
    ----------
    rng : numpy Generator
    state : HMCState
    logp_and_grad : callable
        ``q -> (log density, gradient)``.
    step_size : float
    metric : Metric
        The preconditioner ``A`` (inverse mass matrix).

    Returns
    -------
    state : HMCState
    info : dict
        ``accept_prob``, ``accepted``, ``n_evals`` (gradient evaluations, 1).
    """
    _check_step("mala_step", state, step_size, metric)
    d = state.q.size
    eps2 = step_size * step_size
    mean_fwd = state.q + 0.5 * eps2 * metric.velocity(state.grad)  # m(q) = q + eps^2/2 A g
    q = mean_fwd + step_size * _proposal_noise(rng, metric, d)
    logp, grad = logp_and_grad(q)
    logp = float(logp)
    grad = np.asarray(grad, dtype=np.float64)
    if not (math.isfinite(logp) and np.all(np.isfinite(grad))):
        log_ratio = -math.inf
    else:
        mean_bwd = q + 0.5 * eps2 * metric.velocity(grad)
        # log N(x | m, eps^2 A) = -|x - m|^2_{A^-1} / (2 eps^2) + const
        log_fwd = -0.5 * _inv_quad(metric, q - mean_fwd) / eps2
        log_bwd = -0.5 * _inv_quad(metric, state.q - mean_bwd) / eps2
        log_ratio = logp - state.logp + log_bwd - log_fwd
    new, accept_prob = _metropolis(rng, state, q, logp, grad, log_ratio)
    return new, {"accept_prob": accept_prob, "accepted": new is not state, "n_evals": 1}


class SliceState(NamedTuple):
    """Position ``q`` (flat, unconstrained) and its log density (slice sampling needs no
    gradient)."""

    q: np.ndarray
    logp: float


def slice_step(
    rng: np.random.Generator,
    state: SliceState,
    logp_fn: Callable,
    widths: np.ndarray,
    max_steps_out: int = 32,
    max_shrink: int = 200,
) -> tuple[SliceState, dict]:
    """One sweep of univariate slice sampling over every coordinate, in order.

    For each coordinate ``i`` (Neal 2003, section 4): draw the slice level ``log y = log p(q) -
    Exp(1)``; place an interval of width ``widths[i]`` at random around ``q_i`` and step it out
    (at most ``max_steps_out`` widths in all, split at random between the two sides) until both
    ends are outside the slice; then draw uniformly from the interval, shrinking it towards
    ``q_i`` after each rejection. The update leaves the target invariant for any width.

    Parameters
    ----------
    rng : numpy Generator
    state : SliceState
    logp_fn : callable
        ``q -> log density`` (scalar); no gradient is needed.
    widths : ndarray, shape ``(d,)``
        The initial interval width per coordinate (about the scale of the conditional slice).
    max_steps_out : int
        Neal's ``m``: the largest interval is ``m * widths[i]``.
    max_shrink : int
        A safety bound on shrinkage steps per coordinate (reached only for a degenerate density).

    Returns
    -------
    state : SliceState
    info : dict
        ``n_evals`` (log-density evaluations in the sweep), ``accept_prob`` (always 1).
    """
    q = np.array(state.q, dtype=np.float64)
    logp = float(state.logp)
    d = q.size
    n_evals = 0
    widths = np.asarray(widths, dtype=np.float64)
    if widths.shape != (d,):
        raise ValueError(
            f"slice_step: expected widths of shape ({d},) (one per coordinate of the state), "
            f"got shape {widths.shape}"
        )
    if not np.all((widths > 0) & (widths < np.inf)):  # one pass over d numbers per sweep
        raise ValueError(
            f"slice_step: expected finite widths > 0, got minimum {float(widths.min())!r} "
            f"and maximum {float(widths.max())!r}"
        )
    if not max_steps_out >= 1:
        raise ValueError(f"slice_step: expected max_steps_out >= 1, got {max_steps_out!r}")

    def logp_at(i: int, x: float) -> float:
        nonlocal n_evals
        n_evals += 1
        old = q[i]
        q[i] = x
        value = float(logp_fn(q))
        q[i] = old
        return value if not math.isnan(value) else -math.inf

    for i in range(d):
        w = float(widths[i])
        x0 = q[i]
        log_y = logp - rng.exponential()  # the slice {x: log p(x) > log y}
        # stepping out (Neal 2003, figure 3)
        left = x0 - w * rng.uniform()
        right = left + w
        j = int(math.floor(max_steps_out * rng.uniform()))
        k = max_steps_out - 1 - j
        while j > 0 and logp_at(i, left) > log_y:
            left -= w
            j -= 1
        while k > 0 and logp_at(i, right) > log_y:
            right += w
            k -= 1
        # shrinkage (figure 5): the interval always contains x0, whose density is above log y
        for _ in range(max_shrink):
            x1 = left + (right - left) * rng.uniform()
            logp1 = logp_at(i, x1)
            if logp1 > log_y:
                q[i] = x1
                logp = logp1
                break
            if x1 < x0:
                left = x1
            else:
                right = x1
    return SliceState(q, logp), {"n_evals": n_evals, "accept_prob": 1.0}
