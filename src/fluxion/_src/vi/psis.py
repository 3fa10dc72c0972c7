"""Pareto-smoothed importance sampling (PSIS) and its k-hat diagnostic.

Vehtari, Simpson, Gelman, Yao & Gabry (2024), "Pareto smoothed importance sampling", JMLR 25:
the largest ``M = ceil(min(0.2 S, 3 sqrt(S / r_eff)))`` of ``S`` importance ratios are replaced by
the expected order statistics of a generalized Pareto distribution (GPD) fitted to them; the
fitted shape ``k`` says how reliable the weights are (and, for a variational approximation ``q``
of ``p``, how close ``q`` is: Yao, Vehtari, Simpson & Gelman 2018, "Yes, but did it work?"):

* ``k < 0.5``: the importance ratios have finite variance; estimates are reliable;
* ``0.5 <= k < 0.7``: finite mean, PSIS estimates still usable (the sample-size dependent
  threshold is ``min(1 - 1/log10(S), 0.7)``);
* ``k >= 0.7``: too heavy a tail; importance sampling (and, for VI, the approximation) is not
  to be trusted.

The GPD is fitted by the empirical-Bayes estimator of Zhang & Stephens (2009), "A new and
efficient estimation method for the generalized Pareto distribution", Technometrics 51, with the
weakly informative prior on ``k`` of Vehtari et al. (shrinking towards 0.5 with weight 10).
This matches ArviZ's ``psislw`` (checked in tests/test_vi_psis.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["PSISResult", "psis", "khat_threshold"]


class PSISResult(NamedTuple):
    """Smoothed, normalised log weights and the Pareto shape estimate.

    Attributes
    ----------
    log_weights : ndarray, shape ``(S,)``
        Smoothed log importance weights, normalised so that ``logsumexp(log_weights) == 0``.
    pareto_k : float
        The fitted generalized Pareto shape of the tail (``inf`` when the tail has fewer than
        5 draws, so no fit is possible).
    ess : float
        The importance-sampling effective sample size ``1 / sum(w**2)`` of the smoothed weights.
    """

    log_weights: np.ndarray
    pareto_k: float
    ess: float


def khat_threshold(n_draws: int) -> float:
    """The sample-size dependent k-hat threshold ``min(1 - 1/log10(S), 0.7)`` (Vehtari et al.).

    Parameters
    ----------
    n_draws : int
        ``S``, the number of draws.

    Returns
    -------
    float
    """
    return float(min(1.0 - 1.0 / np.log10(max(n_draws, 11)), 0.7))


def _fit_generalized_pareto(excess: np.ndarray) -> tuple[float, float]:
    """Zhang & Stephens (2009) estimate of the GPD ``(k, sigma)`` for sorted positive ``excess``.

    Their estimator averages the profile likelihood over a grid of ``theta = -k / sigma`` (the
    ``m = 30 + sqrt(n)`` quantile points of their prior, eq. 8 and §3), weighting each grid point by
    its likelihood. With ``theta < 0`` (a heavy tail) ``k = mean(log(1 - theta x)) > 0``: Vehtari
    et al.'s sign convention.
    """
    n = excess.size
    m = 30 + int(np.sqrt(n))
    # grid of theta values: theta_j = 1/x_(n) + (1 - sqrt(m/(j - 1/2))) / (3 x_(quartile))
    quartile = excess[int(n / 4 + 0.5) - 1]
    theta = 1.0 / excess[-1] + (1.0 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))) / (3.0 * quartile)
    # profile MLE of k for each theta: k(theta) = mean(log(1 - theta x))
    k_of_theta = np.log1p(-theta[:, None] * excess[None, :]).mean(axis=1)
    log_lik = n * (np.log(-theta / k_of_theta) - k_of_theta - 1.0)
    # posterior weights of the grid points, computed without overflow: 1 / sum_j exp(L_j - L_i)
    weights = 1.0 / np.exp(log_lik[None, :] - log_lik[:, None]).sum(axis=1)
    keep = weights >= 10 * np.finfo(float).eps
    weights, theta = weights[keep], theta[keep]
    weights = weights / weights.sum()
    theta_hat = float(np.sum(theta * weights))
    k_hat = float(np.log1p(-theta_hat * excess).mean())
    sigma = -k_hat / theta_hat
    # Vehtari et al.'s weakly informative prior: shrink towards 0.5 with 10 pseudo-observations
    k_hat = (n * k_hat + 10 * 0.5) / (n + 10)
    return k_hat, sigma


def _gpd_quantile(p: np.ndarray, k: float, sigma: float) -> np.ndarray:
    """Quantile function of the GPD with shape ``k`` and scale ``sigma`` (location 0)."""
    if abs(k) < 1e-12:
        return -sigma * np.log1p(-p)
    return sigma * np.expm1(-k * np.log1p(-p)) / k


def psis(log_ratios: np.ndarray, r_eff: float = 1.0) -> PSISResult:
    """Pareto-smooth importance ratios and estimate the tail shape k-hat.

    Parameters
    ----------
    log_ratios : array_like, shape ``(S,)``
        Log importance ratios ``log p(x_s) - log q(x_s)`` (any additive constant).
    r_eff : float, optional
        Relative efficiency of the draws (1 for independent draws, as from a variational
        approximation).

    Returns
    -------
    PSISResult
        ``log_weights`` (normalised), ``pareto_k`` and ``ess``.

    Raises
    ------
    ValueError
        If ``log_ratios`` is not a 1-D array of at least 2 values, or holds NaN or +inf.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(4000)
    >>> # q = N(0, 1) for p = N(0, 1.2^2): light-tailed ratios, k-hat well below 0.5
    >>> out = psis(-0.5 * (x / 1.2) ** 2 + 0.5 * x**2)
    >>> bool(out.pareto_k < 0.5)
    True
    """
    lr = np.asarray(log_ratios, dtype=float)
    if lr.ndim != 1 or lr.size < 2:
        raise ValueError(
            f"psis: expected a 1-D array of at least 2 log ratios, got shape {lr.shape}; "
            "flatten the draws (chains x draws) first"
        )
    if np.isnan(lr).any() or np.isposinf(lr).any():
        bad = int(np.sum(np.isnan(lr) | np.isposinf(lr)))
        raise ValueError(
            f"psis: {bad} of {lr.size} log ratios are NaN or +inf; the target or the "
            "approximation's log density failed at those draws"
        )
    n = lr.size
    log_w = lr - lr.max()
    tail_len = int(np.ceil(min(0.2 * n, 3.0 * np.sqrt(n / r_eff))))
    order = np.argsort(log_w, kind="stable")
    cutoff = max(log_w[order[-tail_len - 1]], np.log(np.finfo(float).tiny))
    tail = np.flatnonzero(log_w > cutoff)
    k_hat = np.inf
    if tail.size > 4:
        tail = tail[np.argsort(log_w[tail], kind="stable")]
        excess = np.exp(log_w[tail]) - np.exp(cutoff)
        k_hat, sigma = _fit_generalized_pareto(excess)
        if np.isfinite(k_hat):
            # replace the tail by the GPD's expected order statistics, capped at the largest
            # raw ratio (log weight 0 after the shift above)
            p = (np.arange(tail.size) + 0.5) / tail.size
            smoothed = np.log(_gpd_quantile(p, k_hat, sigma) + np.exp(cutoff))
            log_w[tail] = np.minimum(smoothed, 0.0)
    log_w = log_w - np.logaddexp.reduce(log_w)
    ess = float(1.0 / np.sum(np.exp(2.0 * log_w)))
    return PSISResult(log_w, float(k_hat), ess)
