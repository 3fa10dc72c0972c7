"""Continuous univariate families (scalar events).

Each family is one class. Where :mod:`fluxion.scipy.stats` has the family, the class derives
from :class:`~.base.ScipyBacked` and only maps its parameters (TFP's names) to SciPy's and
writes its sampler; its numbers then equal ``scipy.stats``'s. :class:`Normal` is the model to
follow. Families SciPy (or fluxion.scipy.stats) lacks write their formulas here, each with its
source in a comment.

Samplers are reparameterized wherever the family allows: location-scale transforms of standard
draws, the inverse cdf (``quantile(u)`` with ``u`` uniform, differentiable in the parameters
because every quantile here is), and implicit reparameterization through
:func:`fluxion.random.gamma` for the gamma family (Gamma, InverseGamma, Chi2, Chi, Beta, ExpGamma,
GeneralizedNormal, StudentT).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import random as frandom
from .. import tree_util
from ..bijectors import Bijector
from ..numpy import core as fnp
from ..scipy import stats as fstats
from ..scipy.stats import _special as fsp
from . import constraints
from .base import Distribution, ScipyBacked, register_kl

# constants of the plain densities (``_log_prob_in_support``)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
_LOG_2 = math.log(2.0)

__all__ = [
    "AsymmetricLaplace",
    "Beta",
    "Cauchy",
    "Chi",
    "Chi2",
    "ExpGamma",
    "Exponential",
    "Gamma",
    "GeneralizedExtremeValue",
    "GeneralizedNormal",
    "Gompertz",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "HalfStudentT",
    "InverseGamma",
    "Kumaraswamy",
    "Laplace",
    "LogNormal",
    "Logistic",
    "LogitNormal",
    "Moyal",
    "Normal",
    "Pareto",
    "Rice",
    "SkewNormal",
    "StudentT",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "VonMises",
    "Weibull",
]

Array = Any
_HALF_LOG_2PI_E = 0.5 * math.log(2.0 * math.pi * math.e)
_LOG_2PI = math.log(2.0 * math.pi)
_LOG2 = math.log(2.0)
_EULER = 0.57721566490153286061
_NAN = float("nan")
_INF = float("inf")


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _positive_mode(ok: Any, value: Any) -> Array:
    """``value`` where the mode is interior (``ok``), NaN elsewhere (TFP's ``allow_nan_stats``)."""
    return fnp.where(ok, value, _NAN)


def _safe(ok: Any, value: Any, stand_in: Any) -> Array:
    """``value`` where ``ok``, else ``stand_in``: the inputs of a branch that must stay finite,
    so that the other branch's derivatives are exactly zero, never NaN ("double where")."""
    return fnp.where(ok, value, stand_in)


def _log1mexp(a: Any) -> Array:
    """``log(1 - exp(-a))`` for ``a > 0``, accurate at both ends (Maechler 2012)."""
    small = a < _LOG2
    a_small = fnp.where(small, a, 1.0)
    a_large = fnp.where(small, 1.0, a)
    return fnp.where(small, fnp.log(-fnp.expm1(-a_small)), fnp.log1p(-fnp.exp(-a_large)))


def _log_of(p: Any, complement: Any) -> Array:
    """``log(p)`` given ``p`` and ``1 - p`` computed separately: ``log1p(-complement)`` where
    ``p`` is near 1 (``log(p)`` would lose the digits of a tiny ``1 - p`` there)."""
    near_one = complement < 0.5
    return fnp.where(near_one, fnp.log1p(-_safe(near_one, complement, 0.0)),
                     fnp.log(_safe(near_one, 0.5, p)))


def _uniform(key: Any, shape: tuple) -> Array:
    """Uniform draws strictly inside (0, 1) (fluxion.random centres its 53-bit cells)."""
    return frandom.uniform(key, shape)


class _InverseCdfSampling:
    """Mixin: ``sample = quantile(u)``, ``u`` uniform on (0, 1).

    Reparameterized: the quantile is differentiable in the parameters, so ``d x / d theta`` is
    ``-(dF/dtheta) / f`` at the draw (the implicit-reparameterization gradient, here exact
    because the quantile is an explicit or implicitly differentiated function).
    """

    reparameterized = True

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        u = _uniform(key, sample_shape + self.batch_shape)
        return self._quantile(u)


def _rate_of(d: Distribution) -> Array:
    """``rate`` of a family parameterized by ``rate`` or ``log_rate`` (exactly one is given)."""
    return d.rate if d.rate is not None else fnp.exp(d.log_rate)


def _log_rate_of(d: Distribution) -> Array:
    return d.log_rate if d.log_rate is not None else fnp.log(d.rate)


def _one_of(who: str, a: str, va: Any, b: str, vb: Any) -> None:
    if (va is None) == (vb is None):
        raise ValueError(
            f"{who}: expected exactly one of {a} and {b}, got "
            f"{'both' if va is not None else 'neither'}"
        )


def _describe(x: Any) -> str:
    a = np.asarray(x)
    return repr(a.item()) if a.ndim == 0 else f"array of shape {a.shape}"


# --------------------------------------------------------------------------------------------
# Location-scale families on the real line
# --------------------------------------------------------------------------------------------


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

    def _log_prob_in_support(self, x: Array) -> Array:
        # -z^2/2 - log(scale) - log(2 pi)/2 with z = (x - loc) / scale; no masks (base.py)
        z = (x - self.loc) / self.scale
        # the constant terms on the parameters' shape first: one pass over the values
        return -0.5 * z * z - (fnp.log(self.scale) + _HALF_LOG_2PI)

    def _log_prob_sum_in_support(self, x: Array) -> Array:
        # -sum(r^2) / (2 scale^2) - n log(scale) - n log(2 pi) / 2 for one scale (r = x - loc):
        # one division instead of one per element, forward and backward
        r = x - self.loc
        scale = self.scale
        shape = np.broadcast_shapes(tuple(fnp.shape(r)), tuple(fnp.shape(scale)))
        n = float(math.prod(shape))
        if not fnp.shape(scale):
            return -0.5 * fnp.sum(r * r) / (scale * scale) - n * (fnp.log(scale) + _HALF_LOG_2PI)
        z = r / scale
        log_scale = fnp.sum(fnp.broadcast_to(fnp.log(scale), shape))
        return -0.5 * fnp.sum(z * z) - log_scale - n * _HALF_LOG_2PI

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return frandom.normal(key, shape, loc=self.loc, scale=self.scale)

    def _mode(self) -> Array:
        return self.loc

    def _entropy(self) -> Array:
        return _HALF_LOG_2PI_E + fnp.log(self.scale)


class _LocScale(ScipyBacked):
    """A location-scale family ``loc + scale * Z`` whose SciPy object takes ``loc, scale``."""

    parameter_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    reparameterized = True

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0, *, validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (), {"loc": self.loc, "scale": self.scale}

    def _mode(self) -> Array:
        return self.loc

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        z = self._standard_sample(key, sample_shape + self.batch_shape)
        return self.loc + self.scale * z

    def _standard_sample(self, key: Any, shape: tuple) -> Array:
        raise NotImplementedError


class Cauchy(_LocScale):
    """The Cauchy distribution.

    ``p(x) = 1 / (pi scale (1 + ((x - loc) / scale)^2))``.

    Parameters
    ----------
    loc : array_like, default 0.0
        Median and mode; any real.
    scale : array_like, default 1.0
        Half width at half maximum, ``> 0``. ``batch_shape = broadcast(loc, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. Mean and variance do not exist (NaN, as SciPy). Reparameterized:
    ``x = loc + scale * tan(pi (u - 1/2))``. Matches ``scipy.stats.cauchy(loc, scale)``.
    """

    scipy_dist = fstats.cauchy

    def _log_prob_in_support(self, x: Array) -> Array:
        # -log(pi scale) - log1p(z^2)
        z = (x - self.loc) / self.scale
        return -fnp.log1p(z * z) - (fnp.log(self.scale) + _LOG_PI)

    def _standard_sample(self, key: Any, shape: tuple) -> Array:
        return frandom.cauchy(key, shape)


class Laplace(_LocScale):
    """The Laplace (double exponential) distribution.

    ``p(x) = exp(-|x - loc| / scale) / (2 scale)``.

    Parameters
    ----------
    loc : array_like, default 0.0
        Mean, median and mode.
    scale : array_like, default 1.0
        ``> 0``; the variance is ``2 scale^2``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. Reparameterized (inverse cdf). Matches
    ``scipy.stats.laplace(loc, scale)``.
    """

    scipy_dist = fstats.laplace

    def _log_prob_in_support(self, x: Array) -> Array:
        # -log(2 scale) - |x - loc| / scale
        return -fnp.abs(x - self.loc) / self.scale - fnp.log(self.scale) - _LOG_2

    def _standard_sample(self, key: Any, shape: tuple) -> Array:
        return frandom.laplace(key, shape)


class Logistic(_LocScale):
    """The logistic distribution: ``cdf(x) = expit((x - loc) / scale)``.

    Parameters
    ----------
    loc : array_like, default 0.0
        Mean, median and mode.
    scale : array_like, default 1.0
        ``> 0``; the variance is ``pi^2 scale^2 / 3``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. Reparameterized: ``x = loc + scale * logit(u)``. Matches
    ``scipy.stats.logistic(loc, scale)``.
    """

    scipy_dist = fstats.logistic

    def _standard_sample(self, key: Any, shape: tuple) -> Array:
        return frandom.logistic(key, shape)


class Gumbel(_LocScale):
    """The Gumbel (type I extreme value, maxima) distribution.

    ``cdf(x) = exp(-exp(-(x - loc) / scale))``.

    Parameters
    ----------
    loc : array_like, default 0.0
        The mode.
    scale : array_like, default 1.0
        ``> 0``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. Reparameterized: ``x = loc - scale * log(-log u)``. Matches
    ``scipy.stats.gumbel_r(loc, scale)``.
    """

    scipy_dist = fstats.gumbel_r

    def _standard_sample(self, key: Any, shape: tuple) -> Array:
        return -fnp.log(-fnp.log(_uniform(key, shape)))


class StudentT(ScipyBacked):
    """Student's t distribution with ``df`` degrees of freedom, location and scale.

    ``p(x) = Gamma((df+1)/2) / (Gamma(df/2) sqrt(df pi) scale) (1 + z^2/df)^(-(df+1)/2)``
    with ``z = (x - loc) / scale``.

    Parameters
    ----------
    df : array_like
        Degrees of freedom, ``> 0``.
    loc : array_like, default 0.0
    scale : array_like, default 1.0
        ``> 0``. ``batch_shape = broadcast(df, loc, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. Mean ``loc`` for ``df > 1`` (``inf`` otherwise, as SciPy);
    variance ``scale^2 df / (df - 2)`` for ``df > 2``, ``inf`` for ``1 < df <= 2``, NaN below.
    Reparameterized: ``x = loc + scale * z / sqrt(2 G / df)`` with ``G ~ Gamma(df/2)`` drawn by
    implicit reparameterization. Matches ``scipy.stats.t(df, loc, scale)``.
    """

    parameter_constraints = {
        "df": constraints.positive, "loc": constraints.real, "scale": constraints.positive,
    }
    support = constraints.real
    reparameterized = True
    scipy_dist = fstats.t

    def __init__(
        self, df: Any, loc: Any = 0.0, scale: Any = 1.0, *, validate_args: bool = False
    ) -> None:
        super().__init__(dict(df=df, loc=loc, scale=scale), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.df,), {"loc": self.loc, "scale": self.scale}

    def _log_prob_in_support(self, x: Array) -> Array:
        # lgamma((df+1)/2) - lgamma(df/2) - log(df pi)/2 - log(scale) - (df+1)/2 log1p(z^2/df)
        df = self.df
        z = (x - self.loc) / self.scale
        norm = fsp.gammaln(0.5 * (df + 1.0)) - fsp.gammaln(0.5 * df) - 0.5 * fnp.log(df * math.pi)
        return (norm - fnp.log(self.scale)) - 0.5 * (df + 1.0) * fnp.log1p(z * z / df)

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return self.loc + self.scale * frandom.t(key, fnp.broadcast_to(self.df, shape), shape)

    def _mode(self) -> Array:
        return self.loc


# --------------------------------------------------------------------------------------------
# Half and positive families
# --------------------------------------------------------------------------------------------


class HalfNormal(ScipyBacked):
    """The half-normal distribution: ``|X|`` for ``X ~ Normal(0, scale)``.

    ``p(x) = sqrt(2 / pi) / scale * exp(-x^2 / (2 scale^2))`` for ``x >= 0``.

    Parameters
    ----------
    scale : array_like
        ``> 0``. ``batch_shape = scale.shape``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. Mode 0. Reparameterized: ``x = scale * |z|``. Matches
    ``scipy.stats.halfnorm(scale=scale)``.
    """

    parameter_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    reparameterized = True
    scipy_dist = fstats.halfnorm

    def __init__(self, scale: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(scale=scale), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (), {"scale": self.scale}

    def _log_prob_in_support(self, x: Array) -> Array:
        # log(2) - log(2 pi)/2 - log(scale) - (x / scale)^2 / 2
        z = x / self.scale
        return -0.5 * z * z - (fnp.log(self.scale) + (_HALF_LOG_2PI - _LOG_2))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return self.scale * fnp.abs(frandom.normal(key, shape))

    def _mode(self) -> Array:
        return 0.0 * self.scale


class HalfCauchy(ScipyBacked):
    """The half-Cauchy distribution on ``[loc, inf)``.

    ``p(x) = 2 / (pi scale (1 + ((x - loc) / scale)^2))`` for ``x >= loc``.

    Parameters
    ----------
    loc : array_like
        The lower end of the support (and the mode).
    scale : array_like
        ``> 0``. ``batch_shape = broadcast(loc, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= loc`` (``support`` is ``greater_than_eq(loc)``). Mean and variance are
    infinite (as SciPy). Reparameterized: ``x = loc + scale * tan(pi u / 2)``. Matches
    ``scipy.stats.halfcauchy(loc, scale)``.
    """

    parameter_constraints = {"loc": constraints.real, "scale": constraints.positive}
    reparameterized = True
    scipy_dist = fstats.halfcauchy

    def __init__(self, loc: Any, scale: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale), validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        """Constraint : ``x >= loc``."""
        return constraints.greater_than_eq(self.loc)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (), {"loc": self.loc, "scale": self.scale}

    def _log_prob_in_support(self, x: Array) -> Array:
        # log(2 / pi) - log(scale) - log1p(z^2)
        z = (x - self.loc) / self.scale
        return -fnp.log1p(z * z) - (fnp.log(self.scale) + (_LOG_PI - _LOG_2))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        u = _uniform(key, sample_shape + self.batch_shape)
        return self.loc + self.scale * fnp.tan(0.5 * math.pi * u)

    def _mode(self) -> Array:
        return self.loc


class HalfStudentT(Distribution):
    """The half Student's t distribution on ``[loc, inf)``: ``loc + scale |T|``, ``T ~ t(df)``.

    ``p(x) = 2 t_df((x - loc) / scale) / scale`` for ``x >= loc``.

    Parameters
    ----------
    df : array_like
        Degrees of freedom, ``> 0``.
    loc : array_like, default 0.0
        The lower end of the support (and the mode).
    scale : array_like, default 1.0
        ``> 0``. ``batch_shape = broadcast(df, loc, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= loc``. SciPy has no half-t; the formulas are those of
    ``scipy.stats.t`` folded at ``loc``: with ``z = (x - loc) / scale``,
    ``cdf = I_{z^2/(df+z^2)}(1/2, df/2)`` and ``sf = I_{df/(df+z^2)}(df/2, 1/2)`` (each
    used where it is the smaller, so both tails keep full relative accuracy); the quantile
    inverts the smaller one. Mean ``loc + scale 2 sqrt(df / pi) Gamma((df+1)/2) /
    (Gamma(df/2) (df - 1))`` for ``df > 1`` (``inf`` otherwise); variance
    ``scale^2 (df / (df - 2)) - (mean - loc)^2`` for ``df > 2`` (``inf`` for
    ``1 < df <= 2``, NaN below); entropy that of ``t(df, 0, scale)`` minus ``log 2``.
    Reparameterized: ``x = loc + scale |T|`` with ``T`` drawn as :class:`StudentT`.
    """

    parameter_constraints = {
        "df": constraints.positive, "loc": constraints.real, "scale": constraints.positive,
    }
    reparameterized = True

    def __init__(
        self, df: Any, loc: Any = 0.0, scale: Any = 1.0, *, validate_args: bool = False
    ) -> None:
        super().__init__(dict(df=df, loc=loc, scale=scale), validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        """Constraint : ``x >= loc``."""
        return constraints.greater_than_eq(self.loc)

    def _z(self, x: Array) -> tuple[Array, Array]:
        z = (x - self.loc) / self.scale
        inside = z > 0
        return _safe(inside, z, 1.0), inside

    def _log_prob(self, x: Array) -> Array:
        z = (x - self.loc) / self.scale
        inside = z >= 0
        value = _LOG2 + fstats.t.logpdf(_safe(inside, z, 1.0), self.df) - fnp.log(self.scale)
        return fnp.where(inside, value, fnp.where(fnp.isnan(z), _NAN, -_INF))

    def _tails(self, x: Array) -> tuple[Array, Array, Array]:
        """``(P(X <= x), P(X > x), inside)`` each computed from the incomplete beta where it
        is the smaller of the two."""
        z, inside = self._z(x)
        df = self.df
        z2 = z * z
        within = fsp.betainc(0.5, 0.5 * df, z2 / (df + z2))  # P(|T| < z)
        beyond = fsp.betainc(0.5 * df, 0.5, df / (df + z2))  # P(|T| > z)
        return within, beyond, inside

    def _outside(self, x: Array, inside: Array, value: Array, below: float) -> Array:
        z = (x - self.loc) / self.scale
        return fnp.where(inside, value, fnp.where(fnp.isnan(z), _NAN, below))

    def _cdf(self, x: Array) -> Array:
        within, beyond, inside = self._tails(x)
        value = fnp.where(within < 0.5, within, 1.0 - beyond)
        return self._outside(x, inside, value, 0.0)

    def _survival_function(self, x: Array) -> Array:
        within, beyond, inside = self._tails(x)
        value = fnp.where(beyond < 0.5, beyond, 1.0 - within)
        return self._outside(x, inside, value, 1.0)

    def _log_cdf(self, x: Array) -> Array:
        within, beyond, inside = self._tails(x)
        value = fnp.where(within < 0.5, fnp.log(_safe(within < 0.5, within, 1.0)),
                          fnp.log1p(-_safe(within < 0.5, 0.0, beyond)))
        return self._outside(x, inside, value, -_INF)

    def _log_survival_function(self, x: Array) -> Array:
        within, beyond, inside = self._tails(x)
        value = fnp.where(beyond < 0.5, fnp.log(_safe(beyond < 0.5, beyond, 1.0)),
                          fnp.log1p(-_safe(beyond < 0.5, 0.0, within)))
        return self._outside(x, inside, value, 0.0)

    def _quantile(self, p: Array) -> Array:
        df = self.df
        # lower half: I_y(1/2, df/2) = p, z = sqrt(df y / (1 - y)); upper half: the t's isf
        lower = p < 0.5
        y = fsp.betaincinv(0.5, 0.5 * df, _safe(lower, p, 0.25))
        z_low = fnp.sqrt(df * y / (1.0 - y))
        z_high = fstats.t.isf(0.5 * (1.0 - _safe(lower, 0.75, p)), df)
        z = fnp.where(lower, z_low, z_high)
        z = fnp.where(p == 0.0, 0.0, fnp.where(p == 1.0, _INF, z))
        z = fnp.where((p >= 0.0) & (p <= 1.0), z, _NAN)
        return self.loc + self.scale * z

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return self.loc + self.scale * fnp.abs(frandom.t(key, self.df, shape))

    def _mean(self) -> Array:
        df = self.df
        ok = df > 1.0
        d = _safe(ok, df, 2.0)
        m = 2.0 * fnp.sqrt(d / math.pi) * fnp.exp(
            fsp.gammaln(0.5 * (d + 1.0)) - fsp.gammaln(0.5 * d)) / (d - 1.0)
        return self.loc + self.scale * fnp.where(ok, m, _INF)

    def _variance(self) -> Array:
        df = self.df
        ok = df > 2.0
        d = _safe(ok, df, 3.0)
        m = 2.0 * fnp.sqrt(d / math.pi) * fnp.exp(
            fsp.gammaln(0.5 * (d + 1.0)) - fsp.gammaln(0.5 * d)) / (d - 1.0)
        v = self.scale**2 * (d / (d - 2.0) - m * m)
        return fnp.where(ok, v, fnp.where(df > 1.0, _INF, _NAN))

    def _mode(self) -> Array:
        return self.loc

    def _entropy(self) -> Array:
        return fstats.t.entropy(self.df, scale=self.scale) - _LOG2


class LogNormal(ScipyBacked):
    """The log-normal distribution: ``exp(Y)`` for ``Y ~ Normal(loc, scale)``.

    Parameters
    ----------
    loc : array_like, default 0.0
        Mean of ``log X``.
    scale : array_like, default 1.0
        Standard deviation of ``log X``, ``> 0``. ``batch_shape = broadcast(loc, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0`` (density 0 at 0). Mode ``exp(loc - scale^2)``. Reparameterized:
    ``x = exp(loc + scale * z)``. Matches ``scipy.stats.lognorm(s=scale, scale=exp(loc))``.
    """

    parameter_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.nonnegative
    reparameterized = True
    scipy_dist = fstats.lognorm

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0, *, validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.scale,), {"scale": fnp.exp(self.loc)}

    def _log_prob_in_support(self, x: Array) -> Array:
        # normal density of log(x), minus log(x) (the Jacobian)
        log_x = fnp.log(x)
        z = (log_x - self.loc) / self.scale
        return -0.5 * z * z - fnp.log(self.scale) - _HALF_LOG_2PI - log_x

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return fnp.exp(frandom.normal(key, shape, loc=self.loc, scale=self.scale))

    def _mode(self) -> Array:
        return fnp.exp(self.loc - self.scale**2)

    def _entropy(self) -> Array:
        return _HALF_LOG_2PI_E + self.loc + fnp.log(self.scale)


class Exponential(ScipyBacked):
    """The exponential distribution with ``rate``: ``p(x) = rate exp(-rate x)``, ``x >= 0``.

    Parameters
    ----------
    rate : array_like
        ``> 0`` (the inverse of the mean). ``batch_shape = rate.shape``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. Mode 0. Reparameterized: ``x = -log(u) / rate``. Matches
    ``scipy.stats.expon(scale=1/rate)``.
    """

    parameter_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    reparameterized = True
    scipy_dist = fstats.expon

    def __init__(self, rate: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(rate=rate), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (), {"scale": 1.0 / self.rate}

    def _log_prob_in_support(self, x: Array) -> Array:
        # log(rate) - rate x
        return fnp.log(self.rate) - self.rate * x

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        u = _uniform(key, sample_shape + self.batch_shape)
        return -fnp.log(u) / self.rate

    def _mode(self) -> Array:
        return 0.0 * self.rate


class Gamma(ScipyBacked):
    """The gamma distribution with shape ``concentration`` and ``rate`` (or ``log_rate``).

    ``p(x) = rate^a x^(a-1) exp(-rate x) / Gamma(a)``, ``a = concentration``, ``x >= 0``.

    Parameters
    ----------
    concentration : array_like
        ``> 0``.
    rate : array_like, optional
        ``> 0``; the inverse scale.
    log_rate : array_like, optional
        ``log(rate)`` (TFP's alternative); exactly one of ``rate`` and ``log_rate`` is given.
        ``batch_shape = broadcast(concentration, rate or log_rate)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. Mode ``(a - 1) / rate`` for ``a >= 1``, NaN for ``a < 1`` (TFP's
    ``allow_nan_stats``; the density is unbounded at 0 there). Reparameterized:
    ``x = G / rate`` with ``G ~ Gamma(a, 1)`` by implicit reparameterization
    (:func:`fluxion.random.gamma`; first derivatives in ``a``). Matches
    ``scipy.stats.gamma(a, scale=1/rate)``.
    """

    parameter_constraints = {
        "concentration": constraints.positive, "rate": constraints.positive,
        "log_rate": constraints.real,
    }
    support = constraints.nonnegative
    reparameterized = True
    scipy_dist = fstats.gamma

    def __init__(
        self, concentration: Any, rate: Any = None, log_rate: Any = None, *,
        validate_args: bool = False,
    ) -> None:
        _one_of("Gamma", "rate", rate, "log_rate", log_rate)
        super().__init__(
            dict(concentration=concentration, rate=rate, log_rate=log_rate),
            validate_args=validate_args,
        )

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.concentration,), {"scale": 1.0 / _rate_of(self)}

    def _log_prob_in_support(self, x: Array) -> Array:
        # a log(rate) - lgamma(a) + (a - 1) log(x) - rate x
        a = self.concentration
        return (a * _log_rate_of(self) - fsp.gammaln(a) + (a - 1.0) * fnp.log(x)
                - _rate_of(self) * x)

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return frandom.gamma(key, self.concentration, shape) / _rate_of(self)

    def _mode(self) -> Array:
        a = self.concentration
        return _positive_mode(a >= 1.0, (a - 1.0) / _rate_of(self))


class InverseGamma(ScipyBacked):
    """The inverse gamma distribution: ``1 / X`` for ``X ~ Gamma(concentration, rate=scale)``.

    ``p(x) = scale^a x^(-a-1) exp(-scale / x) / Gamma(a)``, ``x >= 0``.

    Parameters
    ----------
    concentration : array_like
        ``a > 0``.
    scale : array_like
        ``> 0``. ``batch_shape = broadcast(concentration, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. Mean ``scale / (a - 1)`` for ``a > 1``, variance for ``a > 2``
    (``inf`` otherwise, as SciPy). Mode ``scale / (a + 1)``. Reparameterized:
    ``x = scale / G``, ``G ~ Gamma(a, 1)`` by implicit reparameterization. Matches
    ``scipy.stats.invgamma(a, scale=scale)``.
    """

    parameter_constraints = {
        "concentration": constraints.positive, "scale": constraints.positive,
    }
    support = constraints.nonnegative
    reparameterized = True
    scipy_dist = fstats.invgamma

    def __init__(self, concentration: Any, scale: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(concentration=concentration, scale=scale),
                         validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.concentration,), {"scale": self.scale}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return self.scale / frandom.gamma(key, self.concentration, shape)

    def _mode(self) -> Array:
        return self.scale / (self.concentration + 1.0)


class Chi2(ScipyBacked):
    """The chi-squared distribution with ``df`` degrees of freedom: ``Gamma(df/2, rate=1/2)``.

    Parameters
    ----------
    df : array_like
        ``> 0``. ``batch_shape = df.shape``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. Mode ``df - 2`` for ``df >= 2``, NaN below (TFP's convention).
    Reparameterized: ``x = 2 G``, ``G ~ Gamma(df/2, 1)`` by implicit reparameterization.
    Matches ``scipy.stats.chi2(df)``.
    """

    parameter_constraints = {"df": constraints.positive}
    support = constraints.nonnegative
    reparameterized = True
    scipy_dist = fstats.chi2

    def __init__(self, df: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(df=df), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.df,), {}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return 2.0 * frandom.gamma(key, 0.5 * self.df, shape)

    def _mode(self) -> Array:
        return _positive_mode(self.df >= 2.0, self.df - 2.0)


class Chi(ScipyBacked):
    """The chi distribution: ``sqrt(X)`` for ``X ~ Chi2(df)``.

    Parameters
    ----------
    df : array_like
        ``> 0``. ``batch_shape = df.shape``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. Mode ``sqrt(df - 1)`` for ``df >= 1``, NaN below. Reparameterized:
    ``x = sqrt(2 G)``, ``G ~ Gamma(df/2, 1)``. Matches ``scipy.stats.chi(df)``.
    """

    parameter_constraints = {"df": constraints.positive}
    support = constraints.nonnegative
    reparameterized = True
    scipy_dist = fstats.chi

    def __init__(self, df: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(df=df), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.df,), {}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return fnp.sqrt(2.0 * frandom.gamma(key, 0.5 * self.df, shape))

    def _mode(self) -> Array:
        ok = self.df >= 1.0
        return _positive_mode(ok, fnp.sqrt(_safe(ok, self.df, 1.0) - 1.0))


class Weibull(_InverseCdfSampling, ScipyBacked):
    """The Weibull distribution: ``cdf(x) = 1 - exp(-(x / scale)^concentration)``, ``x >= 0``.

    Parameters
    ----------
    concentration : array_like
        Shape ``k > 0``.
    scale : array_like
        ``> 0``. ``batch_shape = broadcast(concentration, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. Mode ``scale ((k - 1) / k)^(1/k)`` for ``k > 1``, 0 otherwise.
    Reparameterized: ``x = scale (-log u)^(1/k)``. Matches
    ``scipy.stats.weibull_min(k, scale=scale)``.
    """

    parameter_constraints = {"concentration": constraints.positive, "scale": constraints.positive}
    support = constraints.nonnegative
    scipy_dist = fstats.weibull_min

    def __init__(self, concentration: Any, scale: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(concentration=concentration, scale=scale),
                         validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.concentration,), {"scale": self.scale}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        u = _uniform(key, sample_shape + self.batch_shape)
        return self.scale * fnp.exp(fnp.log(-fnp.log(u)) / self.concentration)

    def _mode(self) -> Array:
        k = self.concentration
        ok = k > 1.0
        ks = _safe(ok, k, 2.0)
        return fnp.where(ok, self.scale * fnp.exp(fnp.log((ks - 1.0) / ks) / ks), 0.0 * self.scale)


class Pareto(_InverseCdfSampling, ScipyBacked):
    """The Pareto (type I) distribution: ``p(x) = a scale^a / x^(a+1)`` for ``x >= scale``.

    Parameters
    ----------
    concentration : array_like
        The tail index ``a > 0``.
    scale : array_like, default 1.0
        The lower end of the support, ``> 0``. ``batch_shape = broadcast(concentration,
        scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= scale`` (``greater_than_eq(scale)``). Mode ``scale``. Mean for
    ``a > 1`` and variance for ``a > 2`` (``inf`` otherwise, as SciPy). Reparameterized:
    ``x = scale u^(-1/a)``. Matches ``scipy.stats.pareto(a, scale=scale)``.
    """

    parameter_constraints = {"concentration": constraints.positive, "scale": constraints.positive}
    scipy_dist = fstats.pareto

    def __init__(self, concentration: Any, scale: Any = 1.0, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(concentration=concentration, scale=scale),
                         validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        """Constraint : ``x >= scale``."""
        return constraints.greater_than_eq(self.scale)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.concentration,), {"scale": self.scale}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        u = _uniform(key, sample_shape + self.batch_shape)
        return self.scale * fnp.exp(-fnp.log(u) / self.concentration)

    def _mode(self) -> Array:
        return self.scale + 0.0 * self.concentration


# --------------------------------------------------------------------------------------------
# Families on an interval
# --------------------------------------------------------------------------------------------


class Beta(ScipyBacked):
    """The beta distribution: ``p(x) = x^(c1-1) (1-x)^(c0-1) / B(c1, c0)`` on ``[0, 1]``.

    Parameters
    ----------
    concentration1 : array_like
        ``c1 > 0`` (SciPy's ``a``; the exponent of ``x``).
    concentration0 : array_like
        ``c0 > 0`` (SciPy's ``b``). ``batch_shape = broadcast(concentration1,
        concentration0)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``[0, 1]``. Mode ``(c1 - 1) / (c1 + c0 - 2)`` for ``c1 > 1`` and ``c0 > 1``, NaN
    otherwise (TFP's ``allow_nan_stats``). Reparameterized: ``x = G1 / (G1 + G0)`` with gamma
    draws by implicit reparameterization. Matches ``scipy.stats.beta(c1, c0)``.
    """

    parameter_constraints = {
        "concentration1": constraints.positive, "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    reparameterized = True
    scipy_dist = fstats.beta

    def __init__(self, concentration1: Any, concentration0: Any, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(concentration1=concentration1, concentration0=concentration0),
                         validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.concentration1, self.concentration0), {}

    def _log_prob_in_support(self, x: Array) -> Array:
        # (a - 1) log(x) + (b - 1) log1p(-x) - log B(a, b)
        a, b = self.concentration1, self.concentration0
        return (a - 1.0) * fnp.log(x) + (b - 1.0) * fnp.log1p(-x) - fsp.betaln(a, b)

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return frandom.beta(key, self.concentration1, self.concentration0, shape)

    def _mode(self) -> Array:
        a, b = self.concentration1, self.concentration0
        return _positive_mode((a > 1.0) & (b > 1.0), (a - 1.0) / (a + b - 2.0))


class Uniform(ScipyBacked):
    """The uniform distribution on ``[low, high]``.

    Parameters
    ----------
    low : array_like, default 0.0
    high : array_like, default 1.0
        ``high > low``. ``batch_shape = broadcast(low, high)``.
    validate_args : bool, default False
        Check ``low < high``.

    Notes
    -----
    Support: ``[low, high]`` (``interval(low, high)``; its default bijector is a scaled
    sigmoid). No mode (every point of the support is one; ``mode`` raises, as TFP).
    Reparameterized: ``x = low + (high - low) u``. Matches
    ``scipy.stats.uniform(low, high - low)``.
    """

    parameter_constraints = {"low": constraints.real, "high": constraints.real}
    reparameterized = True
    scipy_dist = fstats.uniform

    def __init__(self, low: Any = 0.0, high: Any = 1.0, *, validate_args: bool = False) -> None:
        super().__init__(dict(low=low, high=high), validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        """Constraint : ``[low, high]``."""
        return constraints.interval(self.low, self.high)

    def _parameter_checks(self) -> Sequence[tuple[Any, str]]:
        return [(self.low < self.high,
                 f"low < high, got low={_describe(self.low)}, high={_describe(self.high)}")]

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (), {"loc": self.low, "scale": self.high - self.low}

    def _log_prob_in_support(self, x: Array) -> Array:
        # -log(high - low), broadcast to the value
        return 0.0 * x - fnp.log(self.high - self.low)

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        u = _uniform(key, sample_shape + self.batch_shape)
        return self.low + (self.high - self.low) * u


# --------------------------------------------------------------------------------------------
# Second batch: skewed, bounded, circular and extreme-value families
# --------------------------------------------------------------------------------------------


class VonMises(ScipyBacked):
    """The von Mises distribution on the circle: ``p(x) = exp(k cos(x - loc)) / (2 pi I0(k))``.

    Parameters
    ----------
    loc : array_like, default 0.0
        The circular mean (and mode).
    concentration : array_like, default 1.0
        ``k > 0``. ``batch_shape = broadcast(loc, concentration)``.
    validate_args : bool, default False

    Notes
    -----
    As TFP: the density is ``2 pi``-periodic, samples lie in ``[-pi, pi]`` (``support`` is
    ``circular``), ``mean = loc`` and ``variance`` is the CIRCULAR variance
    ``1 - I1(k) / I0(k)`` (SciPy's ``vonmises.var`` is the linear variance of ``x - loc`` on
    ``[-pi, pi]``; the two differ). log_prob, cdf (which counts whole turns, ``F(x + 2 pi) =
    F(x) + 1``, as SciPy and TFP), quantile (in ``[loc - pi, loc + pi]``) and entropy match
    ``scipy.stats.vonmises(k, loc)``. Reparameterized: the draw is ``loc + F^-1(u)`` wrapped
    into ``[-pi, pi]``; the quantile is differentiated implicitly (``dx/dk = -(dF/dk) / p``),
    the gradient TFP's rejection sampler obtains by implicit reparameterization.
    """

    parameter_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.circular
    reparameterized = True
    scipy_dist = fstats.vonmises

    def __init__(self, loc: Any = 0.0, concentration: Any = 1.0, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, concentration=concentration),
                         validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.concentration,), {"loc": self.loc}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        u = _uniform(key, sample_shape + self.batch_shape)
        x = self.loc + fstats.vonmises.ppf(u, self.concentration)
        # wrap into [-pi, pi] (derivative 1: a shift by whole turns)
        return x - (2.0 * math.pi) * fnp.stop_gradient(fnp.round(x / (2.0 * math.pi)))

    def _mean(self) -> Array:
        return self.loc + 0.0 * self.concentration

    def _variance(self) -> Array:
        k = self.concentration
        return 1.0 - fsp.i1e(k) / fsp.i0e(k) + 0.0 * self.loc

    def _mode(self) -> Array:
        return self.loc + 0.0 * self.concentration


class TruncatedNormal(_InverseCdfSampling, ScipyBacked):
    """The normal distribution ``Normal(loc, scale)`` truncated to ``[low, high]``.

    Parameters
    ----------
    loc : array_like
        The location of the untruncated normal.
    scale : array_like
        ``> 0``.
    low, high : array_like
        The truncation bounds, ``low < high`` (either may be infinite).
        ``batch_shape = broadcast(loc, scale, low, high)``.
    validate_args : bool, default False
        Check ``scale > 0`` and ``low < high``.

    Notes
    -----
    Support: ``[low, high]`` (``interval(low, high)``). Mode ``clip(loc, low, high)``.
    Reparameterized (inverse cdf, accurate in both tails). Matches
    ``scipy.stats.truncnorm((low - loc) / scale, (high - loc) / scale, loc, scale)``.
    """

    parameter_constraints = {
        "loc": constraints.real, "scale": constraints.positive,
        "low": constraints.Constraint("not_nan", 0, lambda x: ~np.isnan(x), "not nan"),
        "high": constraints.Constraint("not_nan", 0, lambda x: ~np.isnan(x), "not nan"),
    }
    scipy_dist = fstats.truncnorm

    def __init__(self, loc: Any, scale: Any, low: Any, high: Any, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale, low=low, high=high),
                         validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        """Constraint : ``[low, high]``."""
        return constraints.interval(self.low, self.high)

    def _parameter_checks(self) -> Sequence[tuple[Any, str]]:
        return [(self.low < self.high,
                 f"low < high, got low={_describe(self.low)}, high={_describe(self.high)}")]

    def _scipy_args(self) -> tuple[tuple, dict]:
        a = (self.low - self.loc) / self.scale
        b = (self.high - self.loc) / self.scale
        return (a, b), {"loc": self.loc, "scale": self.scale}

    def _mode(self) -> Array:
        return fnp.clip(self.loc, self.low, self.high)


class SkewNormal(ScipyBacked):
    """The skew-normal distribution: ``p(x) = 2 phi(z) Phi(skewness z) / scale``,
    ``z = (x - loc) / scale``.

    Parameters
    ----------
    loc : array_like, default 0.0
    scale : array_like, default 1.0
        ``> 0``.
    skewness : array_like, default 0.0
        The shape ``alpha`` (any real; SciPy's ``a``; 0 gives the normal).
        ``batch_shape = broadcast(loc, scale, skewness)``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. Reparameterized: ``x = loc + scale (delta |z0| +
    sqrt(1 - delta^2) z1)`` with ``delta = skewness / sqrt(1 + skewness^2)`` (Azzalini's
    representation). No closed-form mode: ``mode`` raises. Matches
    ``scipy.stats.skewnorm(skewness, loc, scale)`` (entropy there by quadrature; see
    ``fluxion.scipy.stats.skewnorm``).
    """

    parameter_constraints = {
        "loc": constraints.real, "scale": constraints.positive, "skewness": constraints.real,
    }
    support = constraints.real
    reparameterized = True
    scipy_dist = fstats.skewnorm

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0, skewness: Any = 0.0, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale, skewness=skewness),
                         validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.skewness,), {"loc": self.loc, "scale": self.scale}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        k0, k1 = frandom.split(key)
        z0, z1 = frandom.normal(k0, shape), frandom.normal(k1, shape)
        delta = self.skewness / fnp.sqrt(1.0 + self.skewness**2)
        return self.loc + self.scale * (delta * fnp.abs(z0) + fnp.sqrt(1.0 - delta**2) * z1)


class GeneralizedNormal(ScipyBacked):
    """The generalized normal (exponential power) distribution.

    ``p(x) = power / (2 scale Gamma(1/power)) exp(-|(x - loc) / scale|^power)``.

    Parameters
    ----------
    loc : array_like
    scale : array_like
        ``> 0``.
    power : array_like
        ``> 0`` (2: normal with standard deviation ``scale / sqrt(2)``; 1: Laplace).
        ``batch_shape = broadcast(loc, scale, power)``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. Mode ``loc``. Reparameterized: ``|z| = G^(1/power)``,
    ``G ~ Gamma(1/power)`` by implicit reparameterization, with a random sign. Matches
    ``scipy.stats.gennorm(power, loc, scale)``.
    """

    parameter_constraints = {
        "loc": constraints.real, "scale": constraints.positive, "power": constraints.positive,
    }
    support = constraints.real
    reparameterized = True
    scipy_dist = fstats.gennorm

    def __init__(self, loc: Any, scale: Any, power: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale, power=power), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.power,), {"loc": self.loc, "scale": self.scale}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        kg, ks = frandom.split(key)
        g = frandom.gamma(kg, 1.0 / self.power, shape)
        sign = fnp.where(_uniform(ks, shape) < 0.5, -1.0, 1.0)
        return self.loc + self.scale * sign * fnp.exp(fnp.log(g) / self.power)

    def _mode(self) -> Array:
        return self.loc + 0.0 * (self.scale + self.power)


class GeneralizedExtremeValue(_InverseCdfSampling, ScipyBacked):
    """The generalized extreme value distribution (TFP's sign convention).

    ``cdf(x) = exp(-(1 + concentration z)^(-1/concentration))``, ``z = (x - loc) / scale``;
    ``concentration = 0`` is the Gumbel distribution.

    Parameters
    ----------
    loc : array_like
    scale : array_like
        ``> 0``.
    concentration : array_like
        ``xi``, any real (SciPy's ``c`` is ``-xi``). ``batch_shape = broadcast(loc, scale,
        concentration)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= loc - scale / xi`` for ``xi > 0``, ``x <= loc - scale / xi`` for
    ``xi < 0``, the real line at ``xi = 0``; ``support`` checks that set and its bijector is
    ``x = loc + scale expm1(xi u) / xi`` (the identity at ``xi = 0``), which maps the real line
    onto it for every sign of ``xi`` in one batch. Mode ``loc + scale ((1 + xi)^(-xi) - 1) /
    xi`` (``loc`` at ``xi = 0``). Reparameterized (inverse cdf). Matches
    ``scipy.stats.genextreme(-xi, loc, scale)``.
    """

    parameter_constraints = {
        "loc": constraints.real, "scale": constraints.positive,
        "concentration": constraints.real,
    }
    scipy_dist = fstats.genextreme

    def __init__(self, loc: Any, scale: Any, concentration: Any, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale, concentration=concentration),
                         validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        """Constraint : ``1 + xi (x - loc) / scale >= 0``, with its bijector."""
        loc, scale, xi = self.loc, self.scale, self.concentration

        def test(x: np.ndarray) -> np.ndarray:
            return (1.0 + np.asarray(xi) * (x - np.asarray(loc)) / np.asarray(scale) >= 0) & (
                ~np.isnan(x))

        return constraints.Constraint(
            "gev_support", 0, test, "with 1 + concentration (x - loc) / scale >= 0",
            _GEVSupport(loc, scale, xi), params=(loc, scale, xi),
        )

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (-self.concentration,), {"loc": self.loc, "scale": self.scale}

    def _mode(self) -> Array:
        xi = self.concentration
        # ((1 + xi)^(-xi) - 1) / xi = expm1(-xi log1p(xi)) / xi, -> 0 as xi -> 0
        return self.loc + self.scale * _expm1_over(xi, -fnp.log1p(xi))


def _expm1_over(xi: Array, t: Array) -> Array:
    """``expm1(xi t) / xi``; ``t (1 + xi t / 2)`` where ``xi`` is tiny (the limit ``t`` at
    ``xi = 0``, with its first-order term), so values and derivatives are finite there."""
    tiny = fnp.abs(xi) < 1e-8
    xs = _safe(tiny, 1.0, xi)
    return fnp.where(tiny, t * (1.0 + 0.5 * xi * t), fnp.expm1(xs * t) / xs)


@tree_util.dataclass
class _GEVSupport(Bijector):
    """``y = loc + scale * expm1(xi x) / xi``: the real line onto the GEV support.

    Increasing for every ``xi`` (derivative ``scale exp(xi x)``); the identity-like Gumbel
    map ``loc + scale x`` at ``xi = 0``.
    """

    loc: Any
    scale: Any
    xi: Any

    def _forward(self, x: Array) -> Array:
        return self.loc + self.scale * _expm1_over(self.xi, x)

    def _inverse(self, y: Array) -> Array:
        z = (y - self.loc) / self.scale
        # x = log1p(xi z) / xi, -> z at xi = 0
        xi = self.xi
        tiny = fnp.abs(xi) < 1e-8
        xs = _safe(tiny, 1.0, xi)
        zs = _safe(tiny, 0.0, z)
        return fnp.where(tiny, z * (1.0 - 0.5 * xi * z), fnp.log1p(xs * zs) / xs)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.log(self.scale) + self.xi * x


class Moyal(_InverseCdfSampling, Distribution):
    """The Moyal distribution: ``p(x) = exp(-(z + exp(-z)) / 2) / (scale sqrt(2 pi))``,
    ``z = (x - loc) / scale``.

    Parameters
    ----------
    loc : array_like, default 0.0
        The mode.
    scale : array_like, default 1.0
        ``> 0``. ``batch_shape = broadcast(loc, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. With ``w = exp(-z/2)``: ``cdf = 2 ndtr(-w)`` (``erfc(w/sqrt 2)``),
    ``log_cdf = log 2 + log_ndtr(-w)`` (finite far in the left tail), ``sf = erf(w/sqrt 2)``,
    quantile ``-2 log(-ndtri(p/2))``; mean ``loc + scale (euler_gamma + log 2)``, variance
    ``scale^2 pi^2 / 2``, entropy ``(1 + euler_gamma + log(4 pi)) / 2 + log scale``.
    Reparameterized (inverse cdf). Equals ``scipy.stats.moyal(loc, scale)`` (fluxion.scipy.stats
    has no moyal; the tests compare with SciPy's).
    """

    parameter_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0, *, validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale), validate_args=validate_args)

    def _w(self, x: Array) -> Array:
        return fnp.exp(-0.5 * (x - self.loc) / self.scale)

    def _log_prob(self, x: Array) -> Array:
        z = (x - self.loc) / self.scale
        return -0.5 * (z + fnp.exp(-z)) - 0.5 * _LOG_2PI - fnp.log(self.scale)

    def _cdf(self, x: Array) -> Array:
        return 2.0 * fsp.ndtr(-self._w(x))

    def _log_cdf(self, x: Array) -> Array:
        w = self._w(x)
        small = w < 1.0  # cdf near 1: log1p of minus the (small) sf
        return fnp.where(small, fnp.log1p(-fsp.erf(_safe(small, w, 0.5) / math.sqrt(2.0))),
                         _LOG2 + fsp.log_ndtr(-_safe(small, 1.0, w)))

    def _survival_function(self, x: Array) -> Array:
        return fsp.erf(self._w(x) / math.sqrt(2.0))

    def _log_survival_function(self, x: Array) -> Array:
        w = self._w(x)
        big = w > 1.0  # sf near 1: log1p of minus the (small) cdf
        return fnp.where(big, fnp.log1p(-2.0 * fsp.ndtr(-_safe(big, w, 1.0))),
                         fnp.log(fsp.erf(_safe(big, 0.5, w) / math.sqrt(2.0))))

    def _quantile(self, p: Array) -> Array:
        return self.loc - 2.0 * self.scale * fnp.log(-fsp.ndtri(0.5 * p))

    def _mean(self) -> Array:
        return self.loc + self.scale * (_EULER + _LOG2)

    def _variance(self) -> Array:
        return (0.5 * math.pi**2) * self.scale**2 + 0.0 * self.loc

    def _mode(self) -> Array:
        return self.loc + 0.0 * self.scale

    def _entropy(self) -> Array:
        return 0.5 * (1.0 + _EULER + math.log(4.0 * math.pi)) + fnp.log(self.scale)


class AsymmetricLaplace(_InverseCdfSampling, Distribution):
    """The asymmetric Laplace distribution (NumPyro's and SciPy's ``kappa`` convention).

    ``p(x) = exp(-k z) / (scale (k + 1/k))`` for ``z = (x - loc) / scale >= 0`` and
    ``exp(z / k) / (scale (k + 1/k))`` for ``z < 0``; ``k = asymmetry``.

    Parameters
    ----------
    loc : array_like, default 0.0
        The mode.
    scale : array_like, default 1.0
        ``> 0``.
    asymmetry : array_like, default 1.0
        ``k > 0`` (1: the Laplace distribution). ``batch_shape = broadcast(loc, scale,
        asymmetry)``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. ``cdf = k^2 / (1 + k^2) exp(z / k)`` below ``loc``, ``1 - exp(-k
    z) / (1 + k^2)`` above; mean ``loc + scale (1/k - k)``, variance ``scale^2 (1 + k^4) /
    k^2``, entropy ``1 + log(k + 1/k) + log scale``. Reparameterized (inverse cdf). Equals
    ``scipy.stats.laplace_asymmetric(k, loc, scale)`` (the tests compare with it).
    """

    parameter_constraints = {
        "loc": constraints.real, "scale": constraints.positive,
        "asymmetry": constraints.positive,
    }
    support = constraints.real

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0, asymmetry: Any = 1.0, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale, asymmetry=asymmetry),
                         validate_args=validate_args)

    def _parts(self, x: Array) -> tuple[Array, Array, Array, Array]:
        z = (x - self.loc) / self.scale
        k = self.asymmetry
        above = z >= 0
        # log(k^2 / (1 + k^2)) = -log1p(k^-2): the mass below loc
        return z, k, above, -fnp.log1p(k**-2)

    def _log_prob(self, x: Array) -> Array:
        z, k, above, _ = self._parts(x)
        expo = fnp.where(above, -k * z, z / k)
        return expo - fnp.log(k + 1.0 / k) - fnp.log(self.scale)

    def _log_cdf(self, x: Array) -> Array:
        z, k, above, log_below = self._parts(x)
        lower = log_below + _safe(above, 0.0, z) / k
        upper = fnp.log1p(-fnp.exp(-k * _safe(above, z, 0.0)) / (1.0 + k * k))
        return fnp.where(above, upper, lower)

    def _log_survival_function(self, x: Array) -> Array:
        z, k, above, log_below = self._parts(x)
        upper = -fnp.log1p(k * k) - k * _safe(above, z, 0.0)
        lower = fnp.log1p(-fnp.exp(log_below + _safe(above, 0.0, z) / k))
        return fnp.where(above, upper, lower)

    def _cdf(self, x: Array) -> Array:
        return fnp.exp(self._log_cdf(x))

    def _survival_function(self, x: Array) -> Array:
        return fnp.exp(self._log_survival_function(x))

    def _quantile(self, p: Array) -> Array:
        k = self.asymmetry
        k2 = k * k
        below = p < k2 / (1.0 + k2)
        # p = k^2/(1+k^2) exp(z/k) below; 1 - p = exp(-k z) / (1 + k^2) above
        z_lo = k * (fnp.log(_safe(below, p, 0.5)) + fnp.log1p(k**-2))
        z_hi = -(fnp.log1p(-_safe(below, 0.5, p)) + fnp.log1p(k2)) / k
        return self.loc + self.scale * fnp.where(below, z_lo, z_hi)

    def _mean(self) -> Array:
        k = self.asymmetry
        return self.loc + self.scale * (1.0 / k - k)

    def _variance(self) -> Array:
        k = self.asymmetry
        return self.scale**2 * (1.0 + k**4) / (k * k) + 0.0 * self.loc

    def _mode(self) -> Array:
        return self.loc + 0.0 * (self.scale + self.asymmetry)

    def _entropy(self) -> Array:
        k = self.asymmetry
        return 1.0 + fnp.log(k + 1.0 / k) + fnp.log(self.scale) + 0.0 * self.loc


class Triangular(_InverseCdfSampling, Distribution):
    """The triangular distribution on ``[low, high]`` with its mode at ``peak``.

    Parameters
    ----------
    low : array_like, default 0.0
    high : array_like, default 1.0
    peak : array_like, default 0.5
        ``low <= peak <= high``, ``low < high``. ``batch_shape = broadcast(low, high, peak)``.
    validate_args : bool, default False
        Check ``low < high`` and ``low <= peak <= high``.

    Notes
    -----
    Support: ``[low, high]``. ``p(x) = 2 (x - low) / ((high - low)(peak - low))`` below the
    peak, ``2 (high - x) / ((high - low)(high - peak))`` above; cdf the integrals of these;
    mean ``(low + high + peak) / 3``, variance ``(l^2 + h^2 + p^2 - l h - l p - h p) / 18``,
    entropy ``1/2 + log((high - low) / 2)``, mode ``peak``. Reparameterized (inverse cdf).
    Equals ``scipy.stats.triang((peak - low) / (high - low), low, high - low)`` (the tests
    compare with it).
    """

    parameter_constraints = {
        "low": constraints.real, "high": constraints.real, "peak": constraints.real,
    }

    def __init__(self, low: Any = 0.0, high: Any = 1.0, peak: Any = 0.5, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(low=low, high=high, peak=peak), validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        """Constraint : ``[low, high]``."""
        return constraints.interval(self.low, self.high)

    def _parameter_checks(self) -> Sequence[tuple[Any, str]]:
        lo, hi, pk = self.low, self.high, self.peak
        return [
            (lo < hi, f"low < high, got low={_describe(lo)}, high={_describe(hi)}"),
            ((lo <= pk) & (pk <= hi),
             f"low <= peak <= high, got low={_describe(lo)}, peak={_describe(pk)}, "
             f"high={_describe(hi)}"),
        ]

    def _branches(self, x: Array) -> tuple[Array, Array, Array, Array, Array]:
        lo, hi, pk = self.low, self.high, self.peak
        width = hi - lo
        # the rising side holds x < peak (and everything when peak == high, where the falling
        # side has zero width); each side's denominators are then positive
        xs = fnp.clip(x, lo, hi)
        left = (xs < pk) | (pk == hi)
        left_w = _safe(left, pk - lo, 1.0)
        right_w = _safe(left, 1.0, hi - pk)
        return left, width, left_w, right_w, (x >= lo) & (x <= hi)

    def _log_prob(self, x: Array) -> Array:
        left, width, left_w, right_w, inside = self._branches(x)
        xs = fnp.clip(x, self.low, self.high)
        num = fnp.where(left, xs - self.low, self.high - xs)
        den = width * fnp.where(left, left_w, right_w)
        value = _LOG2 + fnp.log(_safe(inside, num, 1.0)) - fnp.log(den)
        return fnp.where(inside, value, fnp.where(fnp.isnan(x), _NAN, -_INF))

    def _cdf(self, x: Array) -> Array:
        left, width, left_w, right_w, inside = self._branches(x)
        xs = fnp.clip(x, self.low, self.high)
        rising = (xs - self.low) ** 2 / (width * left_w)
        falling = 1.0 - (self.high - xs) ** 2 / (width * right_w)
        return fnp.where(left, rising, falling)

    def _survival_function(self, x: Array) -> Array:
        left, width, left_w, right_w, inside = self._branches(x)
        xs = fnp.clip(x, self.low, self.high)
        rising = 1.0 - (xs - self.low) ** 2 / (width * left_w)
        falling = (self.high - xs) ** 2 / (width * right_w)
        return fnp.where(left, rising, falling)

    def _log_cdf(self, x: Array) -> Array:
        return fnp.log(self._cdf(x))

    def _log_survival_function(self, x: Array) -> Array:
        return fnp.log(self._survival_function(x))

    def _quantile(self, p: Array) -> Array:
        lo, hi, pk = self.low, self.high, self.peak
        width = hi - lo
        at_peak = (pk - lo) / width
        below = p < at_peak
        return fnp.where(below, lo + fnp.sqrt(p * width * (pk - lo)),
                         hi - fnp.sqrt((1.0 - p) * width * (hi - pk)))

    def _mean(self) -> Array:
        return (self.low + self.high + self.peak) / 3.0

    def _variance(self) -> Array:
        lo, hi, pk = self.low, self.high, self.peak
        return (lo * lo + hi * hi + pk * pk - lo * hi - lo * pk - hi * pk) / 18.0

    def _mode(self) -> Array:
        return self.peak + 0.0 * (self.low + self.high)

    def _entropy(self) -> Array:
        return 0.5 + fnp.log(0.5 * (self.high - self.low)) + 0.0 * self.peak


class LogitNormal(_InverseCdfSampling, Distribution):
    """The logit-normal distribution: ``expit(Y)`` for ``Y ~ Normal(loc, scale)``.

    ``p(x) = phi((logit(x) - loc) / scale) / (scale x (1 - x))`` on ``(0, 1)``.

    Parameters
    ----------
    loc : array_like, default 0.0
    scale : array_like, default 1.0
        ``> 0``. ``batch_shape = broadcast(loc, scale)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``[0, 1]`` (density 0 at the ends). ``cdf = ndtr((logit(x) - loc) / scale)``
    (``log_ndtr`` for the logs), quantile ``expit(loc + scale ndtri(p))``, median
    ``expit(loc)``. The mean, variance, mode and entropy have no closed form (TFP computes the
    mean by quadrature): those methods raise. Reparameterized: ``x = expit(loc + scale z)``.
    SciPy has no logit-normal; the tests compare with ``scipy.stats.norm`` of ``logit(x)``.
    """

    parameter_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.unit_interval

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0, *, validate_args: bool = False) -> None:
        super().__init__(dict(loc=loc, scale=scale), validate_args=validate_args)

    def _z(self, x: Array) -> tuple[Array, Array]:
        inside = (x > 0.0) & (x < 1.0)
        xs = _safe(inside, x, 0.5)
        return (fsp.logit(xs) - self.loc) / self.scale, inside

    def _log_prob(self, x: Array) -> Array:
        z, inside = self._z(x)
        xs = _safe(inside, x, 0.5)
        value = (-0.5 * z * z - 0.5 * _LOG_2PI - fnp.log(self.scale) - fnp.log(xs)
                 - fnp.log1p(-xs))
        return fnp.where(inside, value, fnp.where(fnp.isnan(x), _NAN, -_INF))

    def _tail(self, x: Array, fn: Any, sign: float, below: float, above: float) -> Array:
        z, inside = self._z(x)
        value = fn(sign * z)
        return fnp.where(inside, value, fnp.where(
            fnp.isnan(x), _NAN, fnp.where(x <= 0.0, below, above)))

    def _cdf(self, x: Array) -> Array:
        return self._tail(x, fsp.ndtr, 1.0, 0.0, 1.0)

    def _log_cdf(self, x: Array) -> Array:
        return self._tail(x, fsp.log_ndtr, 1.0, -_INF, 0.0)

    def _survival_function(self, x: Array) -> Array:
        return self._tail(x, fsp.ndtr, -1.0, 1.0, 0.0)

    def _log_survival_function(self, x: Array) -> Array:
        return self._tail(x, fsp.log_ndtr, -1.0, 0.0, -_INF)

    def _quantile(self, p: Array) -> Array:
        return fsp.expit(self.loc + self.scale * fsp.ndtri(p))


class ExpGamma(_InverseCdfSampling, Distribution):
    """The log of a gamma variable: ``Y = log X``, ``X ~ Gamma(concentration, rate)``.

    ``log p(y) = a (y + log rate) - exp(y + log rate) - lgamma(a)``, ``a = concentration``.

    Parameters
    ----------
    concentration : array_like
        ``a > 0``.
    rate : array_like, optional
        ``> 0``.
    log_rate : array_like, optional
        ``log(rate)``; exactly one of ``rate`` and ``log_rate`` is given (TFP's signature).
        ``batch_shape = broadcast(concentration, rate or log_rate)``.
    validate_args : bool, default False

    Notes
    -----
    Support: the real line. ``cdf = P(a, exp(y + log rate))`` (regularized lower incomplete
    gamma; ``sf`` the upper one), quantile ``log(P^-1(a, p)) - log rate``, mean
    ``digamma(a) - log rate``, variance ``polygamma(1, a)``, mode ``log(a) - log rate``,
    entropy ``lgamma(a) - a digamma(a) + a``. ``log_cdf``/``log_sf`` are the logs of the
    incomplete gammas: ``-inf`` where those underflow (beyond ~1e-308). Reparameterized:
    ``y = log G - log rate`` with ``G ~ Gamma(a)`` by implicit reparameterization (for
    ``a`` below ~1e-3 draws of ``G`` may underflow to 0, giving ``-inf``; TFP draws in log
    space there). Equals ``scipy.stats.loggamma(a, loc=-log rate)`` (the tests compare).
    """

    parameter_constraints = {
        "concentration": constraints.positive, "rate": constraints.positive,
        "log_rate": constraints.real,
    }
    support = constraints.real
    reparameterized = True

    def __init__(self, concentration: Any, rate: Any = None, log_rate: Any = None, *,
                 validate_args: bool = False) -> None:
        _one_of("ExpGamma", "rate", rate, "log_rate", log_rate)
        super().__init__(dict(concentration=concentration, rate=rate, log_rate=log_rate),
                         validate_args=validate_args)

    def _log_prob(self, y: Array) -> Array:
        a = self.concentration
        t = y + _log_rate_of(self)
        return a * t - fnp.exp(t) - fsp.gammaln(a)

    def _cdf(self, y: Array) -> Array:
        return fsp.gammainc(self.concentration, fnp.exp(y + _log_rate_of(self)))

    def _survival_function(self, y: Array) -> Array:
        return fsp.gammaincc(self.concentration, fnp.exp(y + _log_rate_of(self)))

    def _log_cdf(self, y: Array) -> Array:
        lower, upper = self._cdf(y), self._survival_function(y)
        return _log_of(lower, upper)

    def _log_survival_function(self, y: Array) -> Array:
        lower, upper = self._cdf(y), self._survival_function(y)
        return _log_of(upper, lower)

    def _quantile(self, p: Array) -> Array:
        return fnp.log(fsp.gammaincinv(self.concentration, p)) - _log_rate_of(self)

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return fnp.log(frandom.gamma(key, self.concentration, shape)) - _log_rate_of(self)

    def _mean(self) -> Array:
        return fsp.digamma(self.concentration) - _log_rate_of(self)

    def _variance(self) -> Array:
        return fsp.polygamma(1, self.concentration) + 0.0 * _log_rate_of(self)

    def _mode(self) -> Array:
        return fnp.log(self.concentration) - _log_rate_of(self)

    def _entropy(self) -> Array:
        a = self.concentration
        return fsp.gammaln(a) - a * fsp.digamma(a) + a + 0.0 * _log_rate_of(self)


class Gompertz(_InverseCdfSampling, Distribution):
    """The Gompertz distribution: ``cdf(x) = 1 - exp(-concentration (exp(rate x) - 1))``.

    Parameters
    ----------
    concentration : array_like
        ``c > 0``.
    rate : array_like
        ``b > 0``. ``batch_shape = broadcast(concentration, rate)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. ``log p = log c + log b + b x - c expm1(b x)``; ``log_sf =
    -c expm1(b x)``; quantile ``log1p(-log1p(-p) / c) / b``; mean ``exp(c) E1(c) / b``
    (overflows to NaN for ``c`` above ~700); mode ``max(0, -log c) / b``; entropy
    ``1 - log c - exp(c) E1(c) - log b``. The variance has no closed form in the special
    functions available (a generalized hypergeometric function): ``variance``/``stddev``
    raise. Reparameterized (inverse cdf). Equals ``scipy.stats.gompertz(c, scale=1/b)``.
    """

    parameter_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration: Any, rate: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(concentration=concentration, rate=rate),
                         validate_args=validate_args)

    def _u(self, x: Array) -> tuple[Array, Array]:
        inside = x > 0.0
        return self.concentration * fnp.expm1(self.rate * _safe(inside, x, 1.0)), inside

    def _outside(self, x: Array, inside: Array, value: Array, below: float) -> Array:
        return fnp.where(inside, value, fnp.where(fnp.isnan(x), _NAN, below))

    def _log_prob(self, x: Array) -> Array:
        inside = x >= 0.0
        xs = _safe(inside, x, 1.0)
        c, b = self.concentration, self.rate
        value = fnp.log(c) + fnp.log(b) + b * xs - c * fnp.expm1(b * xs)
        return self._outside(x, inside, value, -_INF)

    def _log_survival_function(self, x: Array) -> Array:
        u, inside = self._u(x)
        return self._outside(x, inside, -u, 0.0)

    def _survival_function(self, x: Array) -> Array:
        u, inside = self._u(x)
        return self._outside(x, inside, fnp.exp(-u), 1.0)

    def _cdf(self, x: Array) -> Array:
        u, inside = self._u(x)
        return self._outside(x, inside, -fnp.expm1(-u), 0.0)

    def _log_cdf(self, x: Array) -> Array:
        u, inside = self._u(x)
        return self._outside(x, inside, _log1mexp(_safe(inside, u, 1.0)), -_INF)

    def _quantile(self, p: Array) -> Array:
        return fnp.log1p(-fnp.log1p(-p) / self.concentration) / self.rate

    def _scaled_e1(self) -> Array:
        c = self.concentration
        return fnp.exp(c) * fsp.exp1(c)

    def _mean(self) -> Array:
        return self._scaled_e1() / self.rate

    def _mode(self) -> Array:
        return fnp.maximum(0.0, -fnp.log(self.concentration)) / self.rate

    def _entropy(self) -> Array:
        c = self.concentration
        return 1.0 - fnp.log(c) - self._scaled_e1() - fnp.log(self.rate)


class Rice(Distribution):
    """The Rice distribution: the length of a 2-D normal vector with mean length ``nu``.

    ``p(x) = x / sigma^2 exp(-(x^2 + nu^2) / (2 sigma^2)) I0(x nu / sigma^2)``, ``x >= 0``.

    Parameters
    ----------
    nu : array_like
        The distance of the mean from the origin, ``>= 0``.
    sigma : array_like
        ``> 0``. ``batch_shape = broadcast(nu, sigma)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``x >= 0``. ``log p`` uses the scaled Bessel function (``log I0(t) = log i0e(t)
    + t``), finite for large arguments. Mean ``sigma sqrt(pi/2) L_{1/2}(-nu^2 / (2 sigma^2))``
    with ``L_{1/2}(-t) = (1 + t) i0e(t/2) + t i1e(t/2)``; variance ``2 sigma^2 + nu^2 -
    mean^2``. NOT implemented (no closed form): cdf, survival function and quantile (Marcum's
    Q function), mode and entropy. Reparameterized: ``x = |(nu, 0) + sigma (z1, z2)|``.
    Equals ``scipy.stats.rice(nu / sigma, scale=sigma)`` (the tests compare).
    """

    parameter_constraints = {"nu": constraints.nonnegative, "sigma": constraints.positive}
    support = constraints.nonnegative
    reparameterized = True

    def __init__(self, nu: Any, sigma: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(nu=nu, sigma=sigma), validate_args=validate_args)

    def _log_prob(self, x: Array) -> Array:
        inside = x >= 0.0
        xs = _safe(inside, x, 1.0)
        s2 = self.sigma**2
        value = (fnp.log(xs) - fnp.log(s2) - (xs - self.nu) ** 2 / (2.0 * s2)
                 + fnp.log(fsp.i0e(xs * self.nu / s2)))
        return fnp.where(inside, value, fnp.where(fnp.isnan(x), _NAN, -_INF))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        k1, k2 = frandom.split(key)
        a = self.nu + self.sigma * frandom.normal(k1, shape)
        b = self.sigma * frandom.normal(k2, shape)
        return fnp.sqrt(a * a + b * b)

    def _mean(self) -> Array:
        t = 0.5 * (self.nu / self.sigma) ** 2
        laguerre = (1.0 + t) * fsp.i0e(0.5 * t) + t * fsp.i1e(0.5 * t)
        return self.sigma * math.sqrt(0.5 * math.pi) * laguerre

    def _variance(self) -> Array:
        m = self._mean()
        return 2.0 * self.sigma**2 + self.nu**2 - m * m


class Kumaraswamy(_InverseCdfSampling, Distribution):
    """The Kumaraswamy distribution: ``p(x) = a b x^(a-1) (1 - x^a)^(b-1)`` on ``[0, 1]``.

    Parameters
    ----------
    concentration1 : array_like, default 1.0
        ``a > 0``.
    concentration0 : array_like, default 1.0
        ``b > 0``. ``batch_shape = broadcast(concentration1, concentration0)``.
    validate_args : bool, default False

    Notes
    -----
    Support: ``[0, 1]``. ``cdf = 1 - (1 - x^a)^b`` (as ``-expm1(b log1p(-x^a))``),
    ``log_sf = b log1p(-x^a)``, quantile ``(1 - (1 - p)^(1/b))^(1/a)``; the moments
    ``E[X^n] = b B(1 + n/a, b)`` give mean and variance; mode ``((a - 1) / (a b - 1))^(1/a)``
    for ``a >= 1``, ``b >= 1``, not both 1 (NaN otherwise, as TFP); entropy ``(1 - 1/b) +
    (1 - 1/a) H_b - log(a b)`` with ``H_b = digamma(b + 1) + euler_gamma``. Reparameterized
    (inverse cdf). SciPy has no Kumaraswamy; the tests integrate the density numerically.
    """

    parameter_constraints = {
        "concentration1": constraints.positive, "concentration0": constraints.positive,
    }
    support = constraints.unit_interval

    def __init__(self, concentration1: Any = 1.0, concentration0: Any = 1.0, *,
                 validate_args: bool = False) -> None:
        super().__init__(dict(concentration1=concentration1, concentration0=concentration0),
                         validate_args=validate_args)

    def _log1m_xa(self, x: Array) -> tuple[Array, Array]:
        """``(log(1 - x^a), inside)`` at a safe stand-in outside ``(0, 1)``."""
        inside = (x > 0.0) & (x < 1.0)
        xs = _safe(inside, x, 0.5)
        return fnp.log1p(-fnp.exp(self.concentration1 * fnp.log(xs))), inside

    def _log_prob(self, x: Array) -> Array:
        a, b = self.concentration1, self.concentration0
        inside = (x >= 0.0) & (x <= 1.0)
        xs = _safe(inside, x, 0.5)
        xa = fnp.exp(a * fnp.log(xs))
        value = (fnp.log(a) + fnp.log(b) + fsp.xlogy(a - 1.0, xs)
                 + fsp.xlog1py(b - 1.0, -xa))
        return fnp.where(inside, value, fnp.where(fnp.isnan(x), _NAN, -_INF))

    def _ends(self, x: Array, inside: Array, value: Array, below: float, above: float) -> Array:
        return fnp.where(inside, value, fnp.where(
            fnp.isnan(x), _NAN, fnp.where(x <= 0.0, below, above)))

    def _log_survival_function(self, x: Array) -> Array:
        lm, inside = self._log1m_xa(x)
        return self._ends(x, inside, self.concentration0 * lm, 0.0, -_INF)

    def _survival_function(self, x: Array) -> Array:
        lm, inside = self._log1m_xa(x)
        return self._ends(x, inside, fnp.exp(self.concentration0 * lm), 1.0, 0.0)

    def _cdf(self, x: Array) -> Array:
        lm, inside = self._log1m_xa(x)
        return self._ends(x, inside, -fnp.expm1(self.concentration0 * lm), 0.0, 1.0)

    def _log_cdf(self, x: Array) -> Array:
        lm, inside = self._log1m_xa(x)
        value = _log1mexp(-self.concentration0 * _safe(inside, lm, -1.0))
        return self._ends(x, inside, value, -_INF, 0.0)

    def _quantile(self, p: Array) -> Array:
        a, b = self.concentration1, self.concentration0
        # 1 - (1 - p)^(1/b) = -expm1(log1p(-p) / b)
        return fnp.exp(fnp.log(-fnp.expm1(fnp.log1p(-p) / b)) / a)

    def _raw_moment(self, n: float) -> Array:
        a, b = self.concentration1, self.concentration0
        return fnp.exp(fnp.log(b) + fsp.betaln(1.0 + n / a, b))

    def _mean(self) -> Array:
        return self._raw_moment(1.0)

    def _variance(self) -> Array:
        m = self._raw_moment(1.0)
        return self._raw_moment(2.0) - m * m

    def _mode(self) -> Array:
        a, b = self.concentration1, self.concentration0
        ok = (a >= 1.0) & (b >= 1.0) & ((a > 1.0) | (b > 1.0))
        a_s, b_s = _safe(ok, a, 2.0), _safe(ok, b, 2.0)
        return fnp.where(ok, fnp.exp(fnp.log((a_s - 1.0) / (a_s * b_s - 1.0)) / a_s), _NAN)

    def _entropy(self) -> Array:
        a, b = self.concentration1, self.concentration0
        harmonic = fsp.digamma(b + 1.0) + _EULER
        return (1.0 - 1.0 / b) + (1.0 - 1.0 / a) * harmonic - fnp.log(a * b)


# --------------------------------------------------------------------------------------------
# Analytic KL divergences (each checked against Monte Carlo in the tests)
# --------------------------------------------------------------------------------------------


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Array:
    # KL = log(s_q / s_p) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2) - 1/2
    ratio = p.scale / q.scale
    return -fnp.log(ratio) + 0.5 * (ratio**2 + ((p.loc - q.loc) / q.scale) ** 2) - 0.5


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p: LogNormal, q: LogNormal) -> Array:
    # KL is invariant under the bijection exp: that of the normals of log X
    ratio = p.scale / q.scale
    return -fnp.log(ratio) + 0.5 * (ratio**2 + ((p.loc - q.loc) / q.scale) ** 2) - 0.5


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Array:
    # KL = log(s_q / s_p) + s_p^2 / (2 s_q^2) - 1/2 (the normals' KL at equal locations)
    ratio = p.scale / q.scale
    return -fnp.log(ratio) + 0.5 * ratio**2 - 0.5


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Array:
    # KL = log(r_p / r_q) + r_q / r_p - 1
    ratio = q.rate / p.rate
    return -fnp.log(ratio) + ratio - 1.0


def _kl_gamma(a_p: Array, log_b_p: Array, a_q: Array, log_b_q: Array) -> Array:
    # KL[Gamma(a_p, b_p) || Gamma(a_q, b_q)] (rates b):
    # (a_p - a_q) psi(a_p) - lgamma(a_p) + lgamma(a_q) + a_q (log b_p - log b_q)
    #   + a_p (b_q / b_p - 1)
    return ((a_p - a_q) * fsp.digamma(a_p) - fsp.gammaln(a_p) + fsp.gammaln(a_q)
            + a_q * (log_b_p - log_b_q) + a_p * fnp.expm1(log_b_q - log_b_p))


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Array:
    return _kl_gamma(p.concentration, _log_rate_of(p), q.concentration, _log_rate_of(q))


@register_kl(InverseGamma, InverseGamma)
def _kl_inverse_gamma_inverse_gamma(p: InverseGamma, q: InverseGamma) -> Array:
    # invariant under x -> 1/x: the KL of Gamma(a, rate=scale)
    return _kl_gamma(p.concentration, fnp.log(p.scale), q.concentration, fnp.log(q.scale))


@register_kl(Chi2, Chi2)
def _kl_chi2_chi2(p: Chi2, q: Chi2) -> Array:
    # Chi2(df) = Gamma(df / 2, rate 1/2)
    return _kl_gamma(0.5 * p.df, -_LOG2, 0.5 * q.df, -_LOG2)


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Array:
    # KL = log B(a_q, b_q) - log B(a_p, b_p) + (a_p - a_q) psi(a_p) + (b_p - b_q) psi(b_p)
    #      + (a_q - a_p + b_q - b_p) psi(a_p + b_p)
    a1, b1, a2, b2 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    return (fsp.betaln(a2, b2) - fsp.betaln(a1, b1) + (a1 - a2) * fsp.digamma(a1)
            + (b1 - b2) * fsp.digamma(b1) + (a2 - a1 + b2 - b1) * fsp.digamma(a1 + b1))


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Array:
    # KL = log(b_q / b_p) + |m_p - m_q| / b_q + (b_p / b_q) exp(-|m_p - m_q| / b_p) - 1
    d = fnp.abs(p.loc - q.loc)
    ratio = p.scale / q.scale
    return -fnp.log(ratio) + d / q.scale + ratio * fnp.exp(-d / p.scale) - 1.0


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Array:
    # log((h_q - l_q) / (h_p - l_p)) when [l_p, h_p] lies inside [l_q, h_q], else inf
    inside = (q.low <= p.low) & (p.high <= q.high)
    return fnp.where(inside, fnp.log((q.high - q.low) / (p.high - p.low)), _INF)
