"""The affine-invariant ensemble sampler (Goodman & Weare 2010; emcee's stretch move).

Walkers are updated in two halves, each against the other (the "parallel" stretch move of
Foreman-Mackey et al. 2013), and the log density is evaluated for a whole half at once — with a
``fluxion.jit(fluxion.vmap(...))``-compiled batch function this costs one call per half-step.
No gradients are needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["EnsembleState", "stretch_step"]


class EnsembleState(NamedTuple):
    """Walker positions ``(walkers, d)`` and their log densities ``(walkers,)``."""

    x: np.ndarray
    logp: np.ndarray


def check_walkers(walkers: int, dim: int, who: str) -> None:
    """The stretch move needs an even number of walkers, at least twice the dimension."""
    if walkers < 2 * dim or walkers % 2:
        raise ValueError(
            f"{who}: expected an even number of walkers, at least twice the dimension "
            f"({2 * dim}), got {walkers}"
        )


def stretch_step(
    rng: np.random.Generator, state: EnsembleState, batch_logp: Callable, a: float = 2.0
) -> tuple[EnsembleState, dict]:
    """One sweep of the stretch move over all walkers.

    Parameters
    ----------
    rng : numpy Generator
    state : EnsembleState
    batch_logp : callable
        ``(n, d) -> (n,)`` log densities.
    a : float
        The stretch scale (emcee's default 2).

    Returns
    -------
    state, info
        ``info["accepted"]`` is a boolean array over walkers.
    """
    x, logp = state.x.copy(), state.logp.copy()
    n, d = x.shape
    check_walkers(n, d, "ensemble")
    half = n // 2
    accepted = np.zeros(n, dtype=bool)
    for first in (True, False):
        active = slice(0, half) if first else slice(half, n)
        other = slice(half, n) if first else slice(0, half)
        xa, xo = x[active], x[other]
        # z ~ g(z) proportional to 1/sqrt(z) on [1/a, a]
        z = ((a - 1.0) * rng.uniform(size=half) + 1.0) ** 2 / a
        partners = xo[rng.integers(0, half, size=half)]
        proposal = partners + z[:, None] * (xa - partners)
        new_logp = np.asarray(batch_logp(proposal), dtype=np.float64)
        log_ratio = (d - 1) * np.log(z) + new_logp - logp[active]
        accept = np.log(rng.uniform(size=half)) < np.where(np.isnan(log_ratio), -np.inf, log_ratio)
        idx = np.arange(n)[active][accept]
        x[idx] = proposal[accept]
        logp[idx] = new_logp[accept]
        accepted[idx] = True
    return EnsembleState(x, logp), {"accepted": accepted}
