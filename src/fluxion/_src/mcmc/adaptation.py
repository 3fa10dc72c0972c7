"""Warm-up adaptation: dual-averaging step size and Stan's windowed metric estimation.

Stan's scheme (Stan Reference Manual, "HMC algorithm parameters"): an initial fast interval
(75 iterations) adapting only the step size, a series of slow windows (25, 50, 100, ...
iterations, the last stretched to the end) in which the inverse metric is estimated from the
draws and regularized towards a small multiple of the identity, and a final fast interval
(50 iterations). After every slow window the step size is re-initialized and its dual averaging
restarts. Windows shrink proportionally when there are fewer than 150 warm-up iterations.

nutpie's gradient-informed scheme (:class:`NutpieAdaptation`; Seyboldt, Carlson & Carpenter,
"Preconditioning Hamiltonian Monte Carlo by minimizing Fisher divergence"): the inverse metric is
estimated from the draws *and the gradients of the log density at the draws*, which for a Gaussian
target gives the exact scales from few draws. See the class for the schedule.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

__all__ = [
    "DualAveraging",
    "NutpieAdaptation",
    "WindowedAdaptation",
    "fisher_low_rank",
    "low_rank_inverse_metric",
]


class DualAveraging:
    """Nesterov's dual averaging of log step size towards a target acceptance (Hoffman & Gelman
    2014, algorithm 5; Stan's constants)."""

    def __init__(
        self,
        step_size: float,
        target: float = 0.8,
        gamma: float = 0.05,
        t0: float = 10.0,
        kappa: float = 0.75,
    ) -> None:
        if not 0.0 < target < 1.0:
            raise ValueError(f"DualAveraging: expected 0 < target < 1, got {target!r}")
        self.target, self.gamma, self.t0, self.kappa = target, gamma, t0, kappa
        self.restart(step_size)

    def restart(self, step_size: float) -> None:
        if not 0.0 < step_size < math.inf:
            raise ValueError(
                f"DualAveraging: expected a finite initial step_size > 0, got {step_size!r}"
            )
        self.mu = math.log(10.0 * step_size)
        self.s_bar = 0.0
        self.x_bar = 0.0
        self.counter = 0
        self.step_size = step_size

    def update(self, accept_prob: float) -> float:
        """Feed one transition's mean acceptance; return the step size for the next one."""
        self.counter += 1
        accept_prob = min(1.0, accept_prob) if math.isfinite(accept_prob) else 0.0
        eta = 1.0 / (self.counter + self.t0)
        self.s_bar = (1.0 - eta) * self.s_bar + eta * (self.target - accept_prob)
        x = self.mu - self.s_bar * math.sqrt(self.counter) / self.gamma
        x_eta = self.counter ** (-self.kappa)
        self.x_bar = x_eta * x + (1.0 - x_eta) * self.x_bar
        self.step_size = math.exp(x)
        return self.step_size

    def final_step_size(self) -> float:
        """The averaged step size used after warm-up."""
        return math.exp(self.x_bar)


class WindowedAdaptation:
    """Which warm-up iterations end a slow window, and the windowed (co)variance estimate."""

    def __init__(
        self,
        num_warmup: int,
        dim: int,
        dense: bool = False,
        init_buffer: int = 75,
        term_buffer: int = 50,
        base_window: int = 25,
    ) -> None:
        self.dense = dense
        self.dim = dim
        if num_warmup < 20:
            init_buffer, term_buffer, base_window = num_warmup, 0, 0
        elif init_buffer + base_window + term_buffer > num_warmup:
            # Stan: 15% / 75% / 10% of a short warm-up
            init_buffer = int(0.15 * num_warmup)
            term_buffer = int(0.1 * num_warmup)
            base_window = num_warmup - init_buffer - term_buffer
        self.ends: list[int] = []
        start, window = init_buffer, base_window
        end_slow = num_warmup - term_buffer
        while base_window and start < end_slow:
            stop = start + window
            if stop + 2 * window > end_slow:  # stretch the last window to the end
                stop = end_slow
            self.ends.append(stop)
            start, window = stop, 2 * window
        self.init_buffer = init_buffer
        self.end_slow = end_slow
        self.samples: list[np.ndarray] = []

    def in_slow_window(self, iteration: int) -> bool:
        return self.init_buffer <= iteration < self.end_slow

    def add(self, q: np.ndarray) -> None:
        self.samples.append(np.array(q, dtype=np.float64))

    def window_ends(self, iteration: int) -> bool:
        return (iteration + 1) in self.ends

    def estimate(self) -> np.ndarray:
        """Regularized inverse metric from this window's draws; the window then restarts."""
        x = np.asarray(self.samples)
        n = x.shape[0]
        self.samples = []
        if self.dense:
            cov = np.cov(x, rowvar=False, ddof=1) if n > 1 else np.eye(self.dim)
            cov = np.atleast_2d(cov)
            return (n / (n + 5.0)) * cov + 1e-3 * (5.0 / (n + 5.0)) * np.eye(self.dim)
        var = x.var(axis=0, ddof=1) if n > 1 else np.ones(self.dim)
        return (n / (n + 5.0)) * var + 1e-3 * (5.0 / (n + 5.0))


# --------------------------------------------------------------------------------------------
# nutpie: gradient-informed (Fisher divergence) metric adaptation
# --------------------------------------------------------------------------------------------

_LOWER, _UPPER = 1e-20, 1e20


class _RunningMoments:
    """Welford's running mean and (population) variance of draws and of gradients."""

    __slots__ = ("n", "mean_x", "m2_x", "mean_g", "m2_g")

    def __init__(self, dim: int) -> None:
        self.n = 0
        self.mean_x, self.m2_x = np.zeros(dim), np.zeros(dim)
        self.mean_g, self.m2_g = np.zeros(dim), np.zeros(dim)

    def add(self, x: np.ndarray, g: np.ndarray) -> None:
        self.n += 1
        # mean += (x - mean) / n; m2 += (x - mean_old) * (x - mean_new)
        dx = x - self.mean_x
        self.mean_x += dx / self.n
        self.m2_x += dx * (x - self.mean_x)
        dg = g - self.mean_g
        self.mean_g += dg / self.n
        self.m2_g += dg * (g - self.mean_g)


def _fisher_diagonal(var_x: np.ndarray, var_g: np.ndarray) -> np.ndarray:
    """The diagonal inverse metric minimizing the Fisher divergence: ``sqrt(Var[x] / Var[g])``.

    Coordinates where the ratio is not finite or not positive (a gradient that never varied)
    fall back to ``Var[x]``, or to 1.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        diag = np.sqrt(var_x / var_g)
    bad = ~np.isfinite(diag) | (diag <= 0)
    if np.any(bad):
        fallback = np.where(np.isfinite(var_x) & (var_x > 0), var_x, 1.0)
        diag = np.where(bad, fallback, diag)
    return np.clip(diag, _LOWER, _UPPER)


def _spd_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The symmetric positive definite ``S`` with ``S b S = a``.

    ``S = b^-1/2 (b^1/2 a b^1/2)^1/2 b^-1/2``, the geometric mean of ``a`` and ``b^-1``.
    """
    vals_b, vecs_b = np.linalg.eigh(b)
    vals_b = np.maximum(vals_b, 1e-300)
    b_half = (vecs_b * np.sqrt(vals_b)) @ vecs_b.T
    b_inv_half = (vecs_b / np.sqrt(vals_b)) @ vecs_b.T
    m = b_half @ a @ b_half
    vals_m, vecs_m = np.linalg.eigh(0.5 * (m + m.T))
    m_half = (vecs_m * np.sqrt(np.maximum(vals_m, 0.0))) @ vecs_m.T
    return b_inv_half @ m_half @ b_inv_half


def fisher_low_rank(
    draws: np.ndarray, grads: np.ndarray, gamma: float = 1e-5, cutoff: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """nutpie's low-rank-modified inverse metric from draws and log-density gradients.

    The draws are centred and scaled by the Fisher diagonal ``sigma = (Var[x] / Var[g])^(1/4)``
    (gradients by ``1 / sigma``); in the span of the scaled draws and gradients, the covariance
    ``S`` solving ``S C_g S = C_x`` (both regularized towards the identity) is found, and its
    eigenvectors with eigenvalues outside ``[1/cutoff, cutoff]`` are kept.

    Parameters
    ----------
    draws, grads : ndarray, shape ``(n, d)``
    gamma : float
        Regularization: ``C = P P^T / (n^2 gamma) + I`` on the projected scaled points (nutpie's).
    cutoff : float
        Eigenvalues in ``[1/cutoff, cutoff]`` are treated as 1 (nutpie's default 2).

    Returns
    -------
    sigma : ndarray, shape ``(d,)``
    eigenvalues : ndarray, shape ``(k,)``
    eigenvectors : ndarray, shape ``(d, k)``
        The inverse metric is ``diag(sigma) (I + U (diag(eigenvalues) - I) U^T) diag(sigma)``.
    """
    n, d = draws.shape
    x = draws - draws.mean(axis=0)
    g = grads - grads.mean(axis=0)
    sigma = np.sqrt(_fisher_diagonal((x * x).mean(axis=0), (g * g).mean(axis=0)))
    xs = (x / sigma).T / n  # (d, n)
    gs = (g * sigma).T / n
    # an orthonormal basis of the span of the scaled draws and gradients
    ux = np.linalg.svd(xs, full_matrices=False)[0]
    ug = np.linalg.svd(gs, full_matrices=False)[0]
    basis = np.linalg.qr(np.concatenate([ux, ug], axis=1))[0]
    px = basis.T @ xs
    pg = basis.T @ gs
    k = basis.shape[1]
    cov_x = px @ px.T / gamma + np.eye(k)
    cov_g = pg @ pg.T / gamma + np.eye(k)
    vals, vecs = np.linalg.eigh(_spd_mean(cov_x, cov_g))
    keep = (vals > cutoff) | (vals < 1.0 / cutoff)
    return sigma, vals[keep], basis @ vecs[:, keep]


def low_rank_inverse_metric(
    sigma: np.ndarray, eigenvalues: np.ndarray, eigenvectors: np.ndarray
) -> np.ndarray:
    """The dense matrix ``diag(sigma) (I + U (Lambda - I) U^T) diag(sigma)``."""
    u = eigenvectors
    inner = np.eye(sigma.size) + (u * (eigenvalues - 1.0)) @ u.T
    inv = sigma[:, None] * inner * sigma[None, :]
    return 0.5 * (inv + inv.T)


class NutpieAdaptation:
    """nutpie's metric-adaptation schedule with overlapping foreground/background windows.

    Every warm-up draw that did not diverge, and its gradient, enter two estimators: the
    foreground, which sets the inverse metric (after every draw for the diagonal), and the
    background. When the background holds ``switch`` draws it becomes the foreground and a new,
    empty background starts — so the metric always rests on the recent draws only and early,
    far-from-typical ones are forgotten. ``switch`` is 10 in the early phase (the first
    ``early_window`` of warm-up), then ``switch_freq``, growing by ``window_growth`` after each
    later switch (our choice: longer windows as the chain settles; nutpie grows them too). No
    switch happens when the remaining iterations before the final window are fewer than
    ``switch``, so the last foreground keeps growing. The final ``step_size_window`` of warm-up
    adapts the step size only. The start point and its gradient seed both estimators, and the
    initial inverse metric is ``1 / |grad(q0)|`` (nutpie's).

    Diagonal: ``inv_metric = sqrt(Var[draws] / Var[grads])`` (Fisher-divergence optimum for a
    diagonal affine transformation). Low rank (``low_rank=True``): :func:`fisher_low_rank` on
    the foreground draws, recomputed at each switch and every ``low_rank_update_freq`` draws.

    Parameters
    ----------
    num_warmup, dim : int
    low_rank : bool
    early_window, step_size_window : float
        Fractions of warm-up (nutpie's 0.3 and 0.15).
    early_switch_freq, switch_freq : int
        nutpie's 10 and 80.
    window_growth : float
    gamma, eigval_cutoff : float
        Low-rank regularization and cutoff (nutpie's 1e-5 and 2).
    low_rank_update_freq : int
    """

    def __init__(
        self,
        num_warmup: int,
        dim: int,
        low_rank: bool = False,
        early_window: float = 0.3,
        step_size_window: float = 0.15,
        early_switch_freq: int = 10,
        switch_freq: int = 80,
        window_growth: float = 1.5,
        gamma: float = 1e-5,
        eigval_cutoff: float = 2.0,
        low_rank_update_freq: int = 10,
    ) -> None:
        self.dim = dim
        self.low_rank = low_rank
        self.early_end = int(early_window * num_warmup)
        self.final_start = num_warmup - int(step_size_window * num_warmup)
        self.early_switch_freq = early_switch_freq
        self.window = switch_freq
        self.window_growth = window_growth
        self.gamma, self.cutoff = gamma, eigval_cutoff
        self.low_rank_update_freq = low_rank_update_freq
        self.switches: list[int] = []
        if low_rank:
            self.draws: deque = deque()
            self.grads: deque = deque()
            self.background_split = 0
        else:
            self.fg = _RunningMoments(dim)
            self.bg = _RunningMoments(dim)
        self._since_update = 0

    # the estimators --------------------------------------------------------------------------

    def _add(self, q: np.ndarray, grad: np.ndarray) -> None:
        if self.low_rank:
            self.draws.append(np.array(q, dtype=np.float64))
            self.grads.append(np.array(grad, dtype=np.float64))
        else:
            self.fg.add(q, grad)
            self.bg.add(q, grad)

    def _switch(self) -> None:
        if self.low_rank:
            for _ in range(self.background_split):
                self.draws.popleft()
                self.grads.popleft()
            self.background_split = len(self.draws)
        else:
            self.fg, self.bg = self.bg, _RunningMoments(self.dim)

    @property
    def foreground_count(self) -> int:
        return len(self.draws) if self.low_rank else self.fg.n

    @property
    def background_count(self) -> int:
        return len(self.draws) - self.background_split if self.low_rank else self.bg.n

    def estimate(self) -> np.ndarray | None:
        """The inverse metric from the foreground draws (None with fewer than 3)."""
        n = self.foreground_count
        if n < 3:
            return None
        if not self.low_rank:
            return _fisher_diagonal(self.fg.m2_x / n, self.fg.m2_g / n)
        draws, grads = np.asarray(self.draws), np.asarray(self.grads)
        sigma, vals, vecs = fisher_low_rank(draws, grads, self.gamma, self.cutoff)
        if not (np.all(np.isfinite(vals)) and np.all(np.isfinite(vecs))):
            return np.diag(sigma**2)
        return low_rank_inverse_metric(sigma, vals, vecs)

    # the schedule ----------------------------------------------------------------------------

    def init(self, q: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Seed the estimators with the start point; the initial inverse metric ``1/|grad|``."""
        self._add(q, grad)
        with np.errstate(divide="ignore"):
            diag = 1.0 / np.abs(np.asarray(grad, dtype=np.float64))
        diag = np.where(np.isfinite(diag), np.clip(diag, _LOWER, _UPPER), 1.0)
        return np.diag(diag) if self.low_rank else diag

    def in_metric_phase(self, iteration: int) -> bool:
        return iteration < self.final_start

    def update(
        self, iteration: int, q: np.ndarray, grad: np.ndarray, good: bool = True
    ) -> np.ndarray | None:
        """Feed warm-up iteration ``iteration``'s draw; a new inverse metric, or None."""
        if iteration >= self.final_start:
            return None
        early = iteration < self.early_end
        freq = self.early_switch_freq if early else self.window
        if good:
            self._add(q, grad)
        late = iteration + freq > self.final_start
        switched = False
        if self.background_count >= freq and not late:
            self._switch()
            self.switches.append(iteration)
            switched = True
            if not early:
                self.window = int(math.ceil(self.window * self.window_growth))
        self._since_update += 1
        if self.low_rank and not switched and self._since_update < self.low_rank_update_freq:
            return None
        new = self.estimate()
        if new is not None:
            self._since_update = 0
        return new
