"""The seed worksheet's line fit (shared/seeds/002): data, log-likelihood, log-prior.

Used by the main job (``python -m fluxion demo``), the acceptance tests and the benchmarks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .numpy import core as fnp

TRUE_PARAMS = (-0.4, 0.03, 0.1)


def simulate_line_data(n: int = 50, seed: int = 123) -> tuple[np.ndarray, np.ndarray]:
    """Simulate the worksheet's data exactly: ``np.random.seed(123)``, sorted uniform x.

    Parameters
    ----------
    n : int, optional
        Number of points (50 in the worksheet).
    seed : int, optional
        Seed of NumPy's legacy global generator, as in the worksheet.

    Returns
    -------
    x, y : ndarray, shape ``(n,)``
    """
    rng = np.random.RandomState(seed)  # the same stream as np.random.seed(seed)
    m, b, s = TRUE_PARAMS
    x = np.sort(rng.uniform(-1, 1, n))
    y = m * x + b + s * rng.randn(n)
    return x, y


def line_log_likelihood(m: Any, b: Any, s: Any, x: Any, y: Any) -> Any:
    """log p(y | m, b, s) = -1/2 sum[((y - m x - b) / s)^2 + log(2 pi s^2)].

    Parameters
    ----------
    m, b, s : scalar
        Slope, intercept and scatter (s > 0).
    x, y : array, shape ``(n,)``
        Data.

    Returns
    -------
    scalar
    """
    model = m * x + b
    return -0.5 * fnp.sum(((y - model) / s) ** 2 + fnp.log(2 * np.pi * s**2))


def line_log_prob(theta: Any, x: Any, y: Any) -> Any:
    """The worksheet's log-posterior in (m, b, log s): likelihood + prior -1.5 log(1 + m^2).

    Parameters
    ----------
    theta : array, shape ``(3,)``
        ``(m, b, log_s)``.
    x, y : array, shape ``(n,)``

    Returns
    -------
    scalar
    """
    m, b, log_s = theta[0], theta[1], theta[2]
    s = fnp.exp(log_s)
    return line_log_likelihood(m, b, s, x, y) - 1.5 * fnp.log(1.0 + m**2)
