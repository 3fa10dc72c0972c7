"""Warm-up adaptation: dual-averaging step size and Stan's windowed metric estimation.

Stan's scheme (Stan Reference Manual, "HMC algorithm parameters"): an initial fast interval
(75 iterations) adapting only the step size, a series of slow windows (25, 50, 100, ...
iterations, the last stretched to the end) in which the inverse metric is estimated from the
draws and regularized towards a small multiple of the identity, and a final fast interval
(50 iterations). After every slow window the step size is re-initialized and its dual averaging
restarts. Windows shrink proportionally when there are fewer than 150 warm-up iterations.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DualAveraging", "WindowedAdaptation"]


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
        self.target, self.gamma, self.t0, self.kappa = target, gamma, t0, kappa
        self.restart(step_size)

    def restart(self, step_size: float) -> None:
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
