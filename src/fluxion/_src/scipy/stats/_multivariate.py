"""Multivariate families of ``fluxion.scipy.stats`` (``dirichlet``, ...).

Log-densities are written with fluxion operations, so they differentiate in the values and the
parameters (any order), batch and stage like any other fluxion code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import Tracer
from ...numpy import core as fnp
from . import _special as fsp

__all__ = ["dirichlet"]


def _concrete(x: Any) -> bool:
    return not isinstance(x, Tracer)


class _Dirichlet:
    """The Dirichlet distribution with ``scipy.stats.dirichlet``'s conventions.

    ``x`` holds the K components along its FIRST axis (SciPy's layout): shape (K,) for one point
    or (K, N) for N points; K - 1 components are completed with ``1 - sum``. ``alpha``: shape
    (K,), positive. Call it with ``alpha`` for a frozen distribution.
    """

    def __call__(self, alpha: Any) -> _FrozenDirichlet:
        return _FrozenDirichlet(self._alpha(alpha, "dirichlet"))

    @staticmethod
    def _alpha(alpha: Any, name: str) -> Any:
        alpha = fnp.asarray(alpha)
        if fnp.ndim(alpha) != 1:
            raise ValueError(f"dirichlet.{name}: expected alpha of shape (K,), got shape "
                             f"{fnp.shape(alpha)}")
        if _concrete(alpha) and not np.all(np.asarray(alpha) > 0):
            raise ValueError(f"dirichlet.{name}: every alpha must be > 0, got {alpha!r}")
        return alpha

    def _x(self, x: Any, alpha: Any, name: str) -> Any:
        x = fnp.asarray(x)
        k = fnp.shape(alpha)[0]
        if fnp.ndim(x) not in (1, 2) or fnp.shape(x)[0] not in (k, k - 1):
            raise ValueError(f"dirichlet.{name}: expected x of shape ({k},) or ({k}, N) (the "
                             f"components along the first axis), got shape {fnp.shape(x)}")
        if fnp.shape(x)[0] == k - 1:  # SciPy completes the last component
            x = fnp.concatenate([x, fnp.expand_dims(1.0 - fnp.sum(x, axis=0), 0)], axis=0)
        if _concrete(x):
            xa = np.asarray(x)
            if np.any(xa < 0) or np.any(xa > 1) or not np.allclose(xa.sum(axis=0), 1.0):
                raise ValueError(f"dirichlet.{name}: x must lie on the simplex (entries in "
                                 "[0, 1] summing to 1 along the first axis)")
        return x

    def logpdf(self, x: Any, alpha: Any) -> Any:
        """Log-density: ``sum_k (alpha_k - 1) log x_k - log B(alpha)``.

        Parameters
        ----------
        x : array_like, shape (K,) or (K, N)
            Points on the simplex, components along the first axis.
        alpha : array_like, shape (K,)
            Concentrations, positive.

        Returns
        -------
        float or Array, shape () or (N,)
        """
        alpha = self._alpha(alpha, "logpdf")
        x = self._x(x, alpha, "logpdf")
        a = alpha if fnp.ndim(x) == 1 else fnp.expand_dims(alpha, 1)
        log_beta = fnp.sum(fsp.gammaln(alpha)) - fsp.gammaln(fnp.sum(alpha))
        return fnp.sum(fsp.xlogy(a - 1.0, x), axis=0) - log_beta

    def pdf(self, x: Any, alpha: Any) -> Any:
        """Density, ``exp(logpdf(x, alpha))``; shapes as :meth:`logpdf`."""
        return fnp.exp(self.logpdf(x, alpha))

    def mean(self, alpha: Any) -> Any:
        """``alpha / sum(alpha)``, shape (K,)."""
        alpha = self._alpha(alpha, "mean")
        return alpha / fnp.sum(alpha)

    def var(self, alpha: Any) -> Any:
        """Marginal variances ``a_k (a0 - a_k) / (a0^2 (a0 + 1))``, shape (K,)."""
        alpha = self._alpha(alpha, "var")
        a0 = fnp.sum(alpha)
        return alpha * (a0 - alpha) / (a0 * a0 * (a0 + 1.0))

    def entropy(self, alpha: Any) -> Any:
        """Differential entropy ``log B(a) + (a0 - K) psi(a0) - sum (a_k - 1) psi(a_k)``."""
        alpha = self._alpha(alpha, "entropy")
        a0 = fnp.sum(alpha)
        k = fnp.shape(alpha)[0]
        log_beta = fnp.sum(fsp.gammaln(alpha)) - fsp.gammaln(a0)
        return (log_beta + (a0 - k) * fsp.digamma(a0)
                - fnp.sum((alpha - 1.0) * fsp.digamma(alpha)))


class _FrozenDirichlet:
    def __init__(self, alpha: Any) -> None:
        self.alpha = alpha

    def logpdf(self, x: Any) -> Any:
        return dirichlet.logpdf(x, self.alpha)

    def pdf(self, x: Any) -> Any:
        return dirichlet.pdf(x, self.alpha)

    def mean(self) -> Any:
        return dirichlet.mean(self.alpha)

    def var(self) -> Any:
        return dirichlet.var(self.alpha)

    def entropy(self) -> Any:
        return dirichlet.entropy(self.alpha)


dirichlet = _Dirichlet()
