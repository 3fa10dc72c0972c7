"""Continuous univariate families (scalar events).

Each family is one class. Where :mod:`fluxion.scipy.stats` has the family, the class derives
from :class:`~.base.ScipyBacked` and only maps its parameters (TFP's names) to SciPy's and
writes its sampler; its numbers then equal ``scipy.stats``'s. :class:`Normal` is the model to
follow.
"""

from __future__ import annotations

import math
from typing import Any

from .. import random as frandom
from ..numpy import core as fnp
from ..scipy import stats as fstats
from . import constraints
from .base import ScipyBacked, register_kl

__all__ = ["Normal"]

Array = Any
_HALF_LOG_2PI_E = 0.5 * math.log(2.0 * math.pi * math.e)


class Normal(ScipyBacked):
    """The normal (Gaussian) distribution.

    ``p(x) = exp(-((x - loc) / scale)^2 / 2) / (scale sqrt(2 pi))``.

    Parameters
    ----------
    loc : array_like, default 0.0
        Mean; any real.
    scale : array_like, default 1.0
        Standard deviation, ``> 0``. ``batch_shape = broadcast(loc.shape, scale.shape)``.
    validate_args : bool, default False
        Check ``scale > 0`` at construction and values at each call.

    Notes
    -----
    Support: the real line; ``event_shape = ()``. Reparameterized:
    ``x = loc + scale * z``. Matches ``scipy.stats.norm(loc, scale)``.

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> d = fd.Normal(0.0, [1.0, 2.0])
    >>> d.batch_shape
    (2,)
    >>> d.log_prob(0.5).shape
    (2,)
    >>> d.sample((3,), seed=0).shape
    (3, 2)
    """

    parameter_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    reparameterized = True
    scipy_dist = fstats.norm

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0, *, validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (), {"loc": self.loc, "scale": self.scale}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return frandom.normal(key, shape, loc=self.loc, scale=self.scale)

    def _mode(self) -> Array:
        return self.loc

    def _entropy(self) -> Array:
        return _HALF_LOG_2PI_E + fnp.log(self.scale)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Array:
    # KL = log(s_q / s_p) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2) - 1/2
    ratio = p.scale / q.scale
    return -fnp.log(ratio) + 0.5 * (ratio**2 + ((p.loc - q.loc) / q.scale) ** 2) - 0.5
