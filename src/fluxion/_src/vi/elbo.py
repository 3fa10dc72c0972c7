"""Variational objectives: the ELBO (reparameterized or score-function), Rényi bounds and IWAE.

Each objective turns a guide ``q_phi``, a batched log density ``log p(u)`` (``(n, d) -> (n,)``)
and a batch of standard normal noise into a scalar loss to minimise and the bound's estimate:

- :class:`ELBO`: ``E_q[log p(u) - log q(u)]`` (Jordan et al. 1999; ADVI, Kucukelbir et al.
  2017). Reparameterized by default (Kingma & Welling 2014); for a guide marked
  ``reparameterized = False`` (or ``estimator="score_function"``) the score-function gradient
  ``E_q[(log p - log q - b) grad log q]`` (Williams 1992; Ranganath, Gerrish & Blei 2014) with a
  leave-one-out baseline ``b`` across the particles (Kool, van Hoof & Welling 2019: it keeps the
  estimator unbiased and removes most of its variance).
- :class:`RenyiELBO`: the variational Rényi bound (Li & Turner 2016),
  ``L_alpha = 1/(1 - alpha) log (1/K) sum_k w_k^(1 - alpha)``, ``w_k = p(u_k) / q(u_k)``; it is
  the ELBO at ``alpha -> 1`` and IWAE at ``alpha = 0``.
- :class:`IWAE`: the importance-weighted bound (Burda, Grosse & Salakhutdinov 2016),
  ``log (1/K) sum_k w_k``, which is ``>=`` the ELBO and increases with ``K``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..api import stop_gradient
from ..numpy import core as fnp
from ..scipy.special import logsumexp
from ..tree_util import tree_map

__all__ = ["ELBO", "IWAE", "RenyiELBO", "VariationalObjective"]


def _check_particles(who: str, num_particles: Any) -> int:
    if (
        isinstance(num_particles, bool)
        or not isinstance(num_particles, int | np.integer)
        or num_particles < 1
    ):
        raise ValueError(f"{who}: expected num_particles a positive integer, got {num_particles!r}")
    return int(num_particles)


class VariationalObjective:
    """Base class: ``loss(guide, log_p, params, eps) -> (loss, bound_estimate)``.

    Attributes
    ----------
    num_particles : int
        Draws per estimate (per optimisation step).
    """

    num_particles: int = 1

    def loss(self, guide: Any, log_p: Callable, params: Any, eps: Any) -> tuple[Any, Any]:
        """A differentiable loss and the bound's Monte Carlo estimate.

        Parameters
        ----------
        guide : fluxion.vi.Guide
        log_p : callable
            ``u`` of shape ``(n, d)`` -> ``log p(u)`` of shape ``(n,)`` (unnormalized).
        params : pytree
            The guide's parameters (differentiated).
        eps : array, shape ``(num_particles, guide.noise_dim)``
            Standard normal noise.

        Returns
        -------
        loss : scalar
            Minimise it: its gradient is an unbiased (or, for Rényi and IWAE, the usual
            consistent) estimate of minus the bound's gradient.
        bound : scalar
            The estimate of the bound itself (the ELBO, ``L_alpha`` or the IWAE bound).
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_particles={self.num_particles})"


class ELBO(VariationalObjective):
    """The evidence lower bound ``E_q[log p(u) - log q(u)]``.

    Parameters
    ----------
    num_particles : int, default 1
        Draws averaged per step.
    estimator : {"auto", "reparameterized", "score_function"}, default "auto"
        "auto" differentiates through the draws when the guide is reparameterized
        (``guide.reparameterized``), else uses the score function.
    control_variate : {"leave_one_out", None}, default "leave_one_out"
        For the score-function estimator: subtract from each particle's ``log p - log q`` the
        mean of the other particles' (needs ``num_particles >= 2``; with one particle no
        baseline is used).

    Notes
    -----
    Reparameterized: ``loss = -(1/S) sum_s [log p(T(eps_s)) - log q(T(eps_s))]``.
    Score function: with ``f_s = log p(u_s) - log q(u_s)`` held constant (draws and ``f`` carry no
    gradient) and ``b_s = (sum_t f_t - f_s) / (S - 1)``,
    ``loss = -(1/S) sum_s (f_s - b_s) log q_phi(u_s)``, whose gradient is an unbiased estimate of
    ``-grad ELBO`` because ``E_q[grad log q] = 0`` and ``b_s`` does not depend on ``u_s``.

    Examples
    --------
    >>> import numpy as np, fluxion.numpy as fnp
    >>> from fluxion.vi import ELBO, AutoNormal
    >>> g = AutoNormal(1, init_loc=[0.0], init_scale=1.0)
    >>> log_p = lambda u: -0.5 * fnp.sum(u**2, axis=-1)  # N(0, 1) up to -log sqrt(2 pi)
    >>> eps = np.random.default_rng(0).standard_normal((4000, 1))
    >>> loss, elbo = ELBO(4000).loss(g, log_p, g.init(), eps)
    >>> round(float(elbo), 4)  # q = p: the ELBO is the log normalizer log sqrt(2 pi)
    0.9189
    """

    def __init__(
        self,
        num_particles: int = 1,
        *,
        estimator: str = "auto",
        control_variate: str | None = "leave_one_out",
    ) -> None:
        self.num_particles = _check_particles("ELBO", num_particles)
        if estimator not in ("auto", "reparameterized", "score_function"):
            raise ValueError(
                "ELBO: expected estimator 'auto', 'reparameterized' or 'score_function', got "
                f"{estimator!r}"
            )
        if control_variate not in ("leave_one_out", None):
            raise ValueError(
                f"ELBO: expected control_variate 'leave_one_out' or None, got {control_variate!r}"
            )
        self.estimator = estimator
        self.control_variate = control_variate

    def uses_score_function(self, guide: Any) -> bool:
        """Whether the score-function estimator is used for ``guide``."""
        if self.estimator == "auto":
            return not getattr(guide, "reparameterized", True)
        return self.estimator == "score_function"

    def loss(self, guide: Any, log_p: Callable, params: Any, eps: Any) -> tuple[Any, Any]:
        if not self.uses_score_function(guide):
            u, log_q = guide.transform(params, eps)
            elbo = fnp.mean(log_p(u) - log_q)
            return -elbo, elbo
        # score function: the draws are constants; only log q_phi(u) carries the gradient
        fixed = tree_map(stop_gradient, params)
        u, log_q_fixed = guide.transform(fixed, eps)
        u = stop_gradient(u)
        f = stop_gradient(log_p(u) - log_q_fixed)
        n = fnp.shape(f)[0]
        if self.control_variate == "leave_one_out" and n > 1:
            baseline = (fnp.sum(f) - f) / (n - 1)
            centred = f - baseline
        else:
            centred = f
        surrogate = -fnp.mean(centred * guide.log_q(params, u))
        elbo = fnp.mean(f)
        # loss = surrogate + (elbo - stop(elbo)) * 0: report -ELBO as the loss's value
        return surrogate - stop_gradient(surrogate) - elbo, elbo

    def __repr__(self) -> str:
        return f"ELBO(num_particles={self.num_particles}, estimator={self.estimator!r})"


class RenyiELBO(VariationalObjective):
    """The variational Rényi bound (Li & Turner 2016), reparameterized.

    ``L_alpha = 1/(1 - alpha) * log( (1/K) sum_k exp((1 - alpha) (log p(u_k) - log q(u_k))) )``.

    Parameters
    ----------
    alpha : float, default 0.5
        ``alpha >= 0``; ``alpha = 0`` is IWAE, ``alpha -> 1`` the ELBO (``alpha = 1`` is computed
        as the ELBO). Smaller ``alpha`` gives a tighter, more mass-covering bound.
    num_particles : int, default 8
        ``K`` (``K >= 2`` for the bound to differ from the ELBO).

    Notes
    -----
    For ``alpha < 1`` and fixed ``K``, ``L_alpha`` is a lower bound of ``log Z`` that increases
    as ``alpha`` decreases (Li & Turner, Theorem 1 and its Monte Carlo version); the gradient is
    that of the Monte Carlo bound (biased towards the ELBO's for small ``K``, as in the paper).
    """

    def __init__(self, alpha: float = 0.5, num_particles: int = 8) -> None:
        if not (isinstance(alpha, int | float) and not isinstance(alpha, bool) and alpha >= 0):
            raise ValueError(f"RenyiELBO: expected alpha >= 0, got {alpha!r}")
        self.alpha = float(alpha)
        self.num_particles = _check_particles(type(self).__name__, num_particles)

    def loss(self, guide: Any, log_p: Callable, params: Any, eps: Any) -> tuple[Any, Any]:
        if not getattr(guide, "reparameterized", True):
            raise ValueError(
                f"{type(self).__name__}: the guide is not reparameterized; use "
                "ELBO(estimator='score_function') for it"
            )
        u, log_q = guide.transform(params, eps)
        w = log_p(u) - log_q
        if self.alpha == 1.0:
            bound = fnp.mean(w)
        else:
            k = fnp.shape(w)[0]
            one_minus = 1.0 - self.alpha
            bound = (logsumexp(one_minus * w) - math.log(k)) / one_minus
        return -bound, bound

    def __repr__(self) -> str:
        return f"RenyiELBO(alpha={self.alpha}, num_particles={self.num_particles})"


class IWAE(RenyiELBO):
    """The importance-weighted bound ``log (1/K) sum_k p(u_k) / q(u_k)`` (Burda et al. 2016).

    Parameters
    ----------
    num_particles : int, default 8
        ``K``. ``K = 1`` is the ELBO; the bound's expectation increases with ``K`` towards
        ``log Z``.

    Notes
    -----
    Equal to :class:`RenyiELBO` with ``alpha = 0``.
    """

    def __init__(self, num_particles: int = 8) -> None:
        super().__init__(alpha=0.0, num_particles=num_particles)

    def __repr__(self) -> str:
        return f"IWAE(num_particles={self.num_particles})"
