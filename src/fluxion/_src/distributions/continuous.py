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
from ..numpy import core as fnp
from ..scipy import stats as fstats
from ..scipy.stats import _special as fsp
from . import constraints
from .base import Distribution, ScipyBacked, register_kl

__all__ = [
    "Beta",
    "Cauchy",
    "Chi",
    "Chi2",
    "Exponential",
    "Gamma",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "HalfStudentT",
    "InverseGamma",
    "Laplace",
    "LogNormal",
    "Logistic",
    "Normal",
    "Pareto",
    "StudentT",
    "Uniform",
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

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        u = _uniform(key, sample_shape + self.batch_shape)
        return self.low + (self.high - self.low) * u


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
