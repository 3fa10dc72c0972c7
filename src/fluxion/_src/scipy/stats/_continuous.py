"""Continuous families with closed forms: location-scale families and their simple relatives.

One class per family, in standard form (``loc = 0``, ``scale = 1``); ``_base.rv_continuous``
adds ``loc``/``scale``, broadcasting and SciPy's domain conventions. Formulas: the densities,
cdfs and quantiles as in Johnson, Kotz & Balakrishnan, "Continuous Univariate Distributions";
entropies as SciPy states them. Tails use the accurate forms (``log_ndtr``, ``expm1``,
``log1p``) so that ``logcdf``/``logsf`` stay finite far out.
"""

from __future__ import annotations

import math
from typing import Any

from ...numpy import core as fnp
from . import _special as fsp
from ._base import rv_continuous

__all__ = ["norm", "t", "cauchy", "laplace", "logistic", "gumbel_r", "gumbel_l", "expon",
           "uniform", "halfnorm", "halfcauchy", "rayleigh", "lognorm"]

_NAN = float("nan")
_INF = float("inf")
_LOG_2PI = math.log(2.0 * math.pi)
_EULER = 0.57721566490153286061


def _log1mexp(a: Any) -> Any:
    """``log(1 - exp(-a))`` for ``a > 0``, accurate at both ends (Maechler 2012)."""
    small = a < math.log(2.0)
    a_small = fnp.where(small, a, 1.0)
    a_large = fnp.where(small, 1.0, a)
    return fnp.where(small, fnp.log(-fnp.expm1(-a_small)), fnp.log1p(-fnp.exp(-a_large)))


class norm_gen(rv_continuous):
    """Normal: ``p(z) = exp(-z^2 / 2) / sqrt(2 pi)``."""

    name = "norm"

    def _logpdf(self, z: Any) -> Any:
        return -0.5 * z * z - 0.5 * _LOG_2PI

    def _cdf(self, z: Any) -> Any:
        return fsp.ndtr(z)

    def _logcdf(self, z: Any) -> Any:
        return fsp.log_ndtr(z)

    def _sf(self, z: Any) -> Any:
        return fsp.ndtr(-z)

    def _logsf(self, z: Any) -> Any:
        return fsp.log_ndtr(-z)

    def _ppf(self, q: Any) -> Any:
        return fsp.ndtri(q)

    def _isf(self, q: Any) -> Any:
        return -fsp.ndtri(q)

    def _stats(self) -> tuple[Any, Any]:
        return 0.0, 1.0

    def _entropy(self) -> Any:
        return 0.5 * (_LOG_2PI + 1.0)


class t_gen(rv_continuous):
    """Student's t with ``df`` degrees of freedom.

    ``log p = lgamma((df+1)/2) - lgamma(df/2) - log(df pi)/2 - (df+1)/2 log1p(z^2/df)``; the
    cdf through the regularized incomplete beta ``I_{df/(df+z^2)}(df/2, 1/2)``, the quantile
    through its inverse (both differentiable in ``df``). Limitation: ``logcdf``/``logsf`` give
    ``-inf`` where the tail probability underflows (below ~1e-308, e.g. ``df = 1e4``, ``z = -17``).
    """

    name = "t"
    shapes = ("df",)

    def _logpdf(self, z: Any, df: Any) -> Any:
        return (fsp.gammaln(0.5 * (df + 1.0)) - fsp.gammaln(0.5 * df)
                - 0.5 * fnp.log(df * math.pi) - 0.5 * (df + 1.0) * fnp.log1p(z * z / df))

    def _beyond(self, z: Any, df: Any) -> Any:
        """``P(T > |z|)``, with full relative accuracy at every ``z``.

        Tail: ``I_x(df/2, 1/2) / 2`` with ``x = df / (df + z^2)``. Near the centre ``x`` rounds
        to 1 and loses ``z``; there ``1/2 - I_y(1/2, df/2) / 2`` with ``y = z^2 / (df + z^2)``
        is used instead (``I_y`` small, so no cancellation while the result is above 1/4).
        """
        z2 = z * z
        within = 0.5 * fsp.betainc(0.5, 0.5 * df, z2 / (df + z2))
        beyond = 0.5 * fsp.betainc(0.5 * df, 0.5, df / (df + z2))
        return fnp.where(within < 0.25, 0.5 - within, beyond)

    def _cdf(self, z: Any, df: Any) -> Any:
        tail = self._beyond(z, df)
        return fnp.where(z < 0, tail, 1.0 - tail)

    def _logcdf(self, z: Any, df: Any) -> Any:
        tail = self._beyond(z, df)
        return fnp.where(z < 0, fnp.log(tail), fnp.log1p(-tail))

    def _sf(self, z: Any, df: Any) -> Any:
        return self._cdf(-z, df)

    def _logsf(self, z: Any, df: Any) -> Any:
        return self._logcdf(-z, df)

    def _ppf(self, q: Any, df: Any) -> Any:
        # q < 1/2: I_x(df/2, 1/2) = 2 q with x = df / (df + z^2), z < 0; symmetric above.
        p = fnp.minimum(q, 1.0 - q)
        x = fsp.betaincinv(0.5 * df, 0.5, 2.0 * p)
        # Far tail (x underflows): I_x(a, 1/2) ~ x^a / (a B(a, 1/2)), so
        # log x = (log(2p) + log(a) + log B(a, 1/2)) / a and |z| ~ sqrt(df / x).
        far = x < 1e-200
        p_far = fnp.where(far, p, 1e-300)
        log_x = (fnp.log(2.0 * p_far) + fnp.log(0.5 * df) + fsp.betaln(0.5 * df, 0.5)) / (0.5 * df)
        x_near = fnp.where(far, 1.0, x)
        magnitude = fnp.where(far, fnp.sqrt(df) * fnp.exp(-0.5 * log_x),
                              fnp.sqrt(df * (1.0 - x_near) / x_near))
        return fnp.where(q < 0.5, -magnitude, magnitude)

    def _isf(self, q: Any, df: Any) -> Any:
        return -self._ppf(q, df)

    def _stats(self, df: Any) -> tuple[Any, Any]:
        mean = fnp.where(df > 1, 0.0, _INF)  # SciPy's convention for df <= 1
        safe = fnp.where(df > 2, df, 3.0)
        var = fnp.where(df > 2, safe / (safe - 2.0), fnp.where(df > 1, _INF, _NAN))
        return mean, var

    def _entropy(self, df: Any) -> Any:
        half = 0.5 * (df + 1.0)
        return (half * (fsp.digamma(half) - fsp.digamma(0.5 * df))
                + 0.5 * fnp.log(df) + fsp.betaln(0.5 * df, 0.5))


class cauchy_gen(rv_continuous):
    """Cauchy: ``p(z) = 1 / (pi (1 + z^2))``; mean and variance undefined (NaN, as SciPy)."""

    name = "cauchy"

    def _logpdf(self, z: Any) -> Any:
        return -math.log(math.pi) - fnp.log1p(z * z)

    def _cdf(self, z: Any) -> Any:
        return 0.5 + fnp.arctan(z) / math.pi

    def _sf(self, z: Any) -> Any:
        return 0.5 - fnp.arctan(z) / math.pi

    def _ppf(self, q: Any) -> Any:
        # tan(pi (q - 1/2)) in the middle; -cot(pi q) and cot(pi (1 - q)) in the tails, where
        # the tangent form loses the digits of q
        middle = fnp.abs(q - 0.5) < 0.25
        q_tail = fnp.where(middle, 0.1, q)
        tails = fnp.where(q_tail < 0.5, -1.0 / fnp.tan(math.pi * q_tail),
                          1.0 / fnp.tan(math.pi * (1.0 - q_tail)))
        return fnp.where(middle, fnp.tan(math.pi * (q - 0.5)), tails)

    def _isf(self, q: Any) -> Any:
        return -self._ppf(q)

    def _stats(self) -> tuple[Any, Any]:
        return _NAN, _NAN

    def _entropy(self) -> Any:
        return math.log(4.0 * math.pi)


class laplace_gen(rv_continuous):
    """Laplace: ``p(z) = exp(-|z|) / 2``."""

    name = "laplace"

    def _logpdf(self, z: Any) -> Any:
        return -fnp.abs(z) - math.log(2.0)

    def _cdf(self, z: Any) -> Any:
        return fnp.where(z < 0, 0.5 * fnp.exp(fnp.minimum(z, 0.0)),
                         1.0 - 0.5 * fnp.exp(-fnp.maximum(z, 0.0)))

    def _sf(self, z: Any) -> Any:
        return self._cdf(-z)

    def _logcdf(self, z: Any) -> Any:
        return fnp.where(z < 0, fnp.minimum(z, 0.0) - math.log(2.0),
                         fnp.log1p(-0.5 * fnp.exp(-fnp.maximum(z, 0.0))))

    def _logsf(self, z: Any) -> Any:
        return self._logcdf(-z)

    def _ppf(self, q: Any) -> Any:
        lower = fnp.minimum(q, 0.5)
        upper = fnp.maximum(q, 0.5)
        return fnp.where(q < 0.5, fnp.log(2.0 * lower), -fnp.log(2.0 - 2.0 * upper))

    def _isf(self, q: Any) -> Any:
        return -self._ppf(q)

    def _stats(self) -> tuple[Any, Any]:
        return 0.0, 2.0

    def _entropy(self) -> Any:
        return math.log(2.0) + 1.0


class logistic_gen(rv_continuous):
    """Logistic: ``p(z) = e^-z / (1 + e^-z)^2``; cdf ``expit(z)``."""

    name = "logistic"

    def _logpdf(self, z: Any) -> Any:
        a = fnp.abs(z)  # symmetric: the form in |z| never overflows
        return -a - 2.0 * fnp.log1p(fnp.exp(-a))

    def _cdf(self, z: Any) -> Any:
        return fsp.expit(z)

    def _logcdf(self, z: Any) -> Any:
        return fsp.log_expit(z)

    def _sf(self, z: Any) -> Any:
        return fsp.expit(-z)

    def _logsf(self, z: Any) -> Any:
        return fsp.log_expit(-z)

    def _ppf(self, q: Any) -> Any:
        return fsp.logit(q)

    def _isf(self, q: Any) -> Any:
        return -fsp.logit(q)

    def _stats(self) -> tuple[Any, Any]:
        return 0.0, math.pi ** 2 / 3.0

    def _entropy(self) -> Any:
        return 2.0


class gumbel_r_gen(rv_continuous):
    """Right-skewed Gumbel (maxima): ``cdf(z) = exp(-exp(-z))``."""

    name = "gumbel_r"

    def _logpdf(self, z: Any) -> Any:
        return -z - fnp.exp(-z)

    def _cdf(self, z: Any) -> Any:
        return fnp.exp(-fnp.exp(-z))

    def _logcdf(self, z: Any) -> Any:
        return -fnp.exp(-z)

    def _sf(self, z: Any) -> Any:
        return -fnp.expm1(-fnp.exp(-z))

    def _logsf(self, z: Any) -> Any:
        return _log1mexp(fnp.exp(-z))

    def _ppf(self, q: Any) -> Any:
        return -fnp.log(-fnp.log(q))

    def _isf(self, q: Any) -> Any:
        return -fnp.log(-fnp.log1p(-q))

    def _stats(self) -> tuple[Any, Any]:
        return _EULER, math.pi ** 2 / 6.0

    def _entropy(self) -> Any:
        return _EULER + 1.0


class gumbel_l_gen(rv_continuous):
    """Left-skewed Gumbel (minima), the mirror image of ``gumbel_r``."""

    name = "gumbel_l"

    def _logpdf(self, z: Any) -> Any:
        return z - fnp.exp(z)

    def _cdf(self, z: Any) -> Any:
        return -fnp.expm1(-fnp.exp(z))

    def _logcdf(self, z: Any) -> Any:
        return _log1mexp(fnp.exp(z))

    def _sf(self, z: Any) -> Any:
        return fnp.exp(-fnp.exp(z))

    def _logsf(self, z: Any) -> Any:
        return -fnp.exp(z)

    def _ppf(self, q: Any) -> Any:
        return fnp.log(-fnp.log1p(-q))

    def _isf(self, q: Any) -> Any:
        return fnp.log(-fnp.log(q))

    def _stats(self) -> tuple[Any, Any]:
        return -_EULER, math.pi ** 2 / 6.0

    def _entropy(self) -> Any:
        return _EULER + 1.0


class expon_gen(rv_continuous):
    """Exponential: ``p(z) = exp(-z)`` on ``[0, inf)``."""

    name = "expon"
    a = 0.0

    def _logpdf(self, z: Any) -> Any:
        return -z

    def _cdf(self, z: Any) -> Any:
        return -fnp.expm1(-z)

    def _logcdf(self, z: Any) -> Any:
        return _log1mexp(z)

    def _sf(self, z: Any) -> Any:
        return fnp.exp(-z)

    def _logsf(self, z: Any) -> Any:
        return -z

    def _ppf(self, q: Any) -> Any:
        return -fnp.log1p(-q)

    def _isf(self, q: Any) -> Any:
        return -fnp.log(q)

    def _stats(self) -> tuple[Any, Any]:
        return 1.0, 1.0

    def _entropy(self) -> Any:
        return 1.0


class uniform_gen(rv_continuous):
    """Uniform on ``[loc, loc + scale]``."""

    name = "uniform"
    a, b = 0.0, 1.0

    def _logpdf(self, z: Any) -> Any:
        return 0.0 * z

    def _cdf(self, z: Any) -> Any:
        return z

    def _sf(self, z: Any) -> Any:
        return 1.0 - z

    def _logcdf(self, z: Any) -> Any:
        return fnp.log(z)

    def _logsf(self, z: Any) -> Any:
        return fnp.log1p(-z)

    def _ppf(self, q: Any) -> Any:
        return q

    def _isf(self, q: Any) -> Any:
        return 1.0 - q

    def _stats(self) -> tuple[Any, Any]:
        return 0.5, 1.0 / 12.0

    def _entropy(self) -> Any:
        return 0.0


class halfnorm_gen(rv_continuous):
    """Half-normal: ``p(z) = sqrt(2/pi) exp(-z^2/2)`` on ``[0, inf)``."""

    name = "halfnorm"
    a = 0.0

    def _logpdf(self, z: Any) -> Any:
        return 0.5 * math.log(2.0 / math.pi) - 0.5 * z * z

    def _cdf(self, z: Any) -> Any:
        return fsp.erf(z / math.sqrt(2.0))

    def _logcdf(self, z: Any) -> Any:
        far = z > 1.0  # log(1 - 2 ndtr(-z)) keeps the digits erf rounds away in the tail
        z_near, z_far = fnp.where(far, 1.0, z), fnp.where(far, z, 1.0)
        return fnp.where(far, fnp.log1p(-2.0 * fsp.ndtr(-z_far)),
                         fnp.log(fsp.erf(z_near / math.sqrt(2.0))))

    def _sf(self, z: Any) -> Any:
        return 2.0 * fsp.ndtr(-z)

    def _logsf(self, z: Any) -> Any:
        # log1p(-erf) near 0, log(2 ndtr(-z)) in the tail (SciPy's own form underflows to -inf
        # beyond z ~ 38; this stays accurate)
        near = z < 1.0
        return fnp.where(near, fnp.log1p(-fsp.erf(fnp.where(near, z, 0.0) / math.sqrt(2.0))),
                         math.log(2.0) + fsp.log_ndtr(-fnp.where(near, 1.0, z)))

    def _ppf(self, q: Any) -> Any:
        return fsp.ndtri(0.5 * (1.0 + q))

    def _isf(self, q: Any) -> Any:
        return -fsp.ndtri(0.5 * q)

    def _stats(self) -> tuple[Any, Any]:
        return math.sqrt(2.0 / math.pi), 1.0 - 2.0 / math.pi

    def _entropy(self) -> Any:
        return 0.5 * math.log(math.pi / 2.0) + 0.5


class halfcauchy_gen(rv_continuous):
    """Half-Cauchy: ``p(z) = 2 / (pi (1 + z^2))`` on ``[0, inf)``; infinite mean and variance."""

    name = "halfcauchy"
    a = 0.0

    def _logpdf(self, z: Any) -> Any:
        return math.log(2.0 / math.pi) - fnp.log1p(z * z)

    def _cdf(self, z: Any) -> Any:
        return (2.0 / math.pi) * fnp.arctan(z)

    def _sf(self, z: Any) -> Any:
        # 1 - 2/pi arctan(z) = 2/pi arctan(1/z): no cancellation in the tail
        return (2.0 / math.pi) * fnp.arctan2(1.0, z)

    def _logsf(self, z: Any) -> Any:
        return fnp.where(z < 1.0, fnp.log1p(-(2.0 / math.pi) * fnp.arctan(z)),
                         fnp.log((2.0 / math.pi) * fnp.arctan2(1.0, z)))

    def _ppf(self, q: Any) -> Any:
        return fnp.tan(0.5 * math.pi * q)

    def _isf(self, q: Any) -> Any:
        return 1.0 / fnp.tan(0.5 * math.pi * q)

    def _stats(self) -> tuple[Any, Any]:
        return _INF, _INF

    def _entropy(self) -> Any:
        return math.log(2.0 * math.pi)


class rayleigh_gen(rv_continuous):
    """Rayleigh: ``p(z) = z exp(-z^2/2)`` on ``[0, inf)``."""

    name = "rayleigh"
    a = 0.0

    def _logpdf(self, z: Any) -> Any:
        return fnp.log(z) - 0.5 * z * z

    def _cdf(self, z: Any) -> Any:
        return -fnp.expm1(-0.5 * z * z)

    def _logcdf(self, z: Any) -> Any:
        return _log1mexp(0.5 * z * z)

    def _sf(self, z: Any) -> Any:
        return fnp.exp(-0.5 * z * z)

    def _logsf(self, z: Any) -> Any:
        return -0.5 * z * z

    def _ppf(self, q: Any) -> Any:
        return fnp.sqrt(-2.0 * fnp.log1p(-q))

    def _isf(self, q: Any) -> Any:
        return fnp.sqrt(-2.0 * fnp.log(q))

    def _stats(self) -> tuple[Any, Any]:
        return math.sqrt(math.pi / 2.0), (4.0 - math.pi) / 2.0

    def _entropy(self) -> Any:
        return _EULER / 2.0 + 1.0 - 0.5 * math.log(2.0)


class lognorm_gen(rv_continuous):
    """Log-normal with shape ``s`` (sigma of ``log X``); ``scale = exp(mu)``."""

    name = "lognorm"
    shapes = ("s",)
    a = 0.0

    def _logpdf(self, z: Any, s: Any) -> Any:
        lz = fnp.log(z)
        # -lz - lz^2 / (2 s^2) as one product: -inf (not inf - inf) at z = 0
        return -0.5 * lz * (lz / (s * s) + 2.0) - fnp.log(s) - 0.5 * _LOG_2PI

    def _cdf(self, z: Any, s: Any) -> Any:
        return fsp.ndtr(fnp.log(z) / s)

    def _logcdf(self, z: Any, s: Any) -> Any:
        return fsp.log_ndtr(fnp.log(z) / s)

    def _sf(self, z: Any, s: Any) -> Any:
        return fsp.ndtr(-fnp.log(z) / s)

    def _logsf(self, z: Any, s: Any) -> Any:
        return fsp.log_ndtr(-fnp.log(z) / s)

    def _ppf(self, q: Any, s: Any) -> Any:
        return fnp.exp(s * fsp.ndtri(q))

    def _isf(self, q: Any, s: Any) -> Any:
        return fnp.exp(-s * fsp.ndtri(q))

    def _stats(self, s: Any) -> tuple[Any, Any]:
        w = fnp.exp(s * s)
        return fnp.sqrt(w), w * (w - 1.0)

    def _entropy(self, s: Any) -> Any:
        return 0.5 * (1.0 + _LOG_2PI) + fnp.log(s)


norm = norm_gen()
t = t_gen()
cauchy = cauchy_gen()
laplace = laplace_gen()
logistic = logistic_gen()
gumbel_r = gumbel_r_gen()
gumbel_l = gumbel_l_gen()
expon = expon_gen()
uniform = uniform_gen()
halfnorm = halfnorm_gen()
halfcauchy = halfcauchy_gen()
rayleigh = rayleigh_gen()
lognorm = lognorm_gen()
