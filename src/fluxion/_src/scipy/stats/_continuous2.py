"""Continuous families built on the special functions: gamma, beta and their relatives,
the von Mises, truncated normal, skew-normal, generalized normal and generalized extreme-value
distributions.

One class per family in standard form (``loc = 0``, ``scale = 1``), as ``_continuous``;
``_base.rv_continuous`` adds ``loc``/``scale``, broadcasting and SciPy's domain conventions.
The cdfs go through the regularized incomplete gamma / beta functions (differentiable in their
shape parameters), Owen's T, or a series (von Mises); quantiles without a closed form are found
by a safeguarded Newton iteration whose result is made differentiable by two final Newton steps
(implicit differentiation: exact derivatives up to third order at the root).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...numpy import core as fnp
from . import _special as fsp
from ._base import rv_continuous

__all__ = ["gamma", "invgamma", "beta", "chi2", "chi", "weibull_min", "pareto", "vonmises",
           "truncnorm", "skewnorm", "gennorm", "genextreme"]

_NAN = float("nan")
_INF = float("inf")
_LOG_2PI = math.log(2.0 * math.pi)
_LOG2 = math.log(2.0)
_EULER = 0.57721566490153286061


def _log1mexp(a: Any) -> Any:
    """``log(1 - exp(-a))`` for ``a > 0``, accurate at both ends (Maechler 2012)."""
    small = a < _LOG2
    a_small = fnp.where(small, a, 1.0)
    a_large = fnp.where(small, 1.0, a)
    return fnp.where(small, fnp.log(-fnp.expm1(-a_small)), fnp.log1p(-fnp.exp(-a_large)))


def _series_where(small: Any, u: Any, coeffs: tuple[float, ...], exact: Any) -> Any:
    """``sum coeffs[k] u^k`` where ``small``, else ``exact(u)``; both branches safe."""
    us = fnp.where(small, u, 0.0)
    ul = fnp.where(small, 1.0, u)
    poly = 0.0 * us + coeffs[-1]
    for c in reversed(coeffs[:-1]):
        poly = poly * us + c
    return fnp.where(small, poly, exact(ul))


def _log1p_over(u: Any) -> Any:
    """``log1p(u) / u`` (1 at 0) with derivatives accurate near 0."""
    return _series_where(fnp.abs(u) < 1e-2, u, tuple((-1.0) ** k / (k + 1) for k in range(9)),
                         lambda v: fnp.log1p(v) / v)


def _expm1_over(u: Any) -> Any:
    """``expm1(u) / u`` (1 at 0) with derivatives accurate near 0."""
    return _series_where(fnp.abs(u) < 1e-2, u, tuple(1.0 / math.factorial(k + 1)
                                                     for k in range(9)),
                         lambda v: fnp.expm1(v) / v)


def _invert(f: Any, dens: Any, target: Any, lo: Any, hi: Any, x0: Any, steps: int) -> Any:
    """Root of ``f(x) = target`` for increasing ``f`` with derivative ``dens`` on ``(lo, hi)``.

    A Newton iteration kept inside a shrinking bracket (bisection where Newton leaves it) runs
    on constants; two final Newton steps on the traced arguments make the result
    differentiable (implicit function theorem) to third order.
    """
    x = fnp.stop_gradient(x0)
    lo = fnp.stop_gradient(lo + 0.0 * x)
    hi = fnp.stop_gradient(hi + 0.0 * x)
    tgt = fnp.stop_gradient(target)
    for _ in range(steps):
        x = fnp.stop_gradient(x)
        g = f(x, True) - tgt
        lo = fnp.where(g < 0, x, lo)
        hi = fnp.where(g > 0, x, hi)
        d = dens(x, True)
        newton = x - g / fnp.where(d > 0, d, 1.0)
        good = fnp.logical_and(fnp.logical_and(newton > lo, newton < hi), d > 0)
        lo_fin, hi_fin = fnp.isfinite(lo), fnp.isfinite(hi)
        lo_s, hi_s = fnp.where(lo_fin, lo, 0.0), fnp.where(hi_fin, hi, 0.0)
        # bisect a finite bracket; step outwards (doubling) from a one-sided one
        mid = fnp.where(fnp.logical_and(lo_fin, hi_fin), 0.5 * (lo_s + hi_s),
                        fnp.where(lo_fin, lo_s + 2.0 * fnp.abs(lo_s) + 1.0,
                                  hi_s - 2.0 * fnp.abs(hi_s) - 1.0))
        x = fnp.where(g == 0, x, fnp.where(good, newton, mid))
    x = fnp.stop_gradient(x)
    for _ in range(2):
        d = dens(x, False)
        x = x - (f(x, False) - target) / fnp.where(d > 0, d, 1.0)
    return x


def _log_prob(p: Any, complement: Any) -> Any:
    """``log(p)`` given ``p`` and ``1 - p`` computed separately: ``log1p(-complement)`` where
    ``p`` is near 1 (there ``log(p)`` would lose the digits of a tiny ``1 - p``)."""
    near_one = p > 0.5
    return fnp.where(near_one, fnp.log1p(-fnp.where(near_one, complement, 0.0)),
                     fnp.log(fnp.where(near_one, 0.5, p)))


class _TwoTails(rv_continuous):
    """Families whose ``_cdf`` and ``_sf`` are both accurate (incomplete gamma / beta)."""

    def _logcdf(self, z: Any, *shapes: Any) -> Any:
        return _log_prob(self._cdf(z, *shapes), self._sf(z, *shapes))

    def _logsf(self, z: Any, *shapes: Any) -> Any:
        return _log_prob(self._sf(z, *shapes), self._cdf(z, *shapes))


# ---- gamma and its relatives -------------------------------------------------------------------


class gamma_gen(_TwoTails):
    """Gamma with shape ``a``: ``p(z) = z^(a-1) e^-z / Gamma(a)`` on ``[0, inf)``."""

    name = "gamma"
    shapes = ("a",)
    a = 0.0

    def _logpdf(self, z: Any, a: Any) -> Any:
        return fsp.xlogy(a - 1.0, z) - z - fsp.gammaln(a)

    def _cdf(self, z: Any, a: Any) -> Any:
        return fsp.gammainc(a, z)

    def _sf(self, z: Any, a: Any) -> Any:
        return fsp.gammaincc(a, z)

    def _ppf(self, q: Any, a: Any) -> Any:
        return fsp.gammaincinv(a, q)

    def _isf(self, q: Any, a: Any) -> Any:
        return fsp.gammainccinv(a, q)

    def _stats(self, a: Any) -> tuple[Any, Any]:
        return a, a

    def _entropy(self, a: Any) -> Any:
        return fsp.digamma(a) * (1.0 - a) + a + fsp.gammaln(a)


class invgamma_gen(_TwoTails):
    """Inverse gamma with shape ``a``: ``p(z) = z^(-a-1) e^(-1/z) / Gamma(a)`` on ``(0, inf)``."""

    name = "invgamma"
    shapes = ("a",)
    a = 0.0

    def _logpdf(self, z: Any, a: Any) -> Any:
        pos = z > 0
        zs = fnp.where(pos, z, 1.0)
        return fnp.where(pos, -(a + 1.0) * fnp.log(zs) - 1.0 / zs - fsp.gammaln(a), -_INF)

    def _cdf(self, z: Any, a: Any) -> Any:
        return fsp.gammaincc(a, 1.0 / z)

    def _sf(self, z: Any, a: Any) -> Any:
        return fsp.gammainc(a, 1.0 / z)

    def _ppf(self, q: Any, a: Any) -> Any:
        return 1.0 / fsp.gammainccinv(a, q)

    def _isf(self, q: Any, a: Any) -> Any:
        return 1.0 / fsp.gammaincinv(a, q)

    def _stats(self, a: Any) -> tuple[Any, Any]:
        a1 = fnp.where(a > 1.0, a, 3.0)
        a2 = fnp.where(a > 2.0, a, 3.0)
        mean = fnp.where(a > 1.0, 1.0 / (a1 - 1.0), _INF)
        var = fnp.where(a > 2.0, 1.0 / ((a2 - 1.0) ** 2 * (a2 - 2.0)), _INF)
        return mean, var

    def _entropy(self, a: Any) -> Any:
        return a - (a + 1.0) * fsp.digamma(a) + fsp.gammaln(a)


class beta_gen(_TwoTails):
    """Beta with shapes ``a, b``: ``p(z) = z^(a-1) (1-z)^(b-1) / B(a, b)`` on ``[0, 1]``."""

    name = "beta"
    shapes = ("a", "b")
    a, b = 0.0, 1.0

    def _logpdf(self, z: Any, a: Any, b: Any) -> Any:
        return fsp.xlogy(a - 1.0, z) + fsp.xlog1py(b - 1.0, -z) - fsp.betaln(a, b)

    def _cdf(self, z: Any, a: Any, b: Any) -> Any:
        return fsp.betainc(a, b, z)

    def _sf(self, z: Any, a: Any, b: Any) -> Any:
        return fsp.betaincc(a, b, z)

    def _ppf(self, q: Any, a: Any, b: Any) -> Any:
        return fsp.betaincinv(a, b, q)

    def _isf(self, q: Any, a: Any, b: Any) -> Any:
        return fsp.betainccinv(a, b, q)

    def _stats(self, a: Any, b: Any) -> tuple[Any, Any]:
        s = a + b
        return a / s, a * b / (s * s * (s + 1.0))

    def _entropy(self, a: Any, b: Any) -> Any:
        return (fsp.betaln(a, b) - (a - 1.0) * fsp.digamma(a) - (b - 1.0) * fsp.digamma(b)
                + (a + b - 2.0) * fsp.digamma(a + b))


class chi2_gen(_TwoTails):
    """Chi-squared with ``df`` degrees of freedom: the gamma with shape ``df/2``, scale 2."""

    name = "chi2"
    shapes = ("df",)
    a = 0.0

    def _logpdf(self, z: Any, df: Any) -> Any:
        h = 0.5 * df
        return fsp.xlogy(h - 1.0, z) - 0.5 * z - fsp.gammaln(h) - h * _LOG2

    def _cdf(self, z: Any, df: Any) -> Any:
        return fsp.gammainc(0.5 * df, 0.5 * z)

    def _sf(self, z: Any, df: Any) -> Any:
        return fsp.gammaincc(0.5 * df, 0.5 * z)

    def _ppf(self, q: Any, df: Any) -> Any:
        return 2.0 * fsp.gammaincinv(0.5 * df, q)

    def _isf(self, q: Any, df: Any) -> Any:
        return 2.0 * fsp.gammainccinv(0.5 * df, q)

    def _stats(self, df: Any) -> tuple[Any, Any]:
        return df, 2.0 * df

    def _entropy(self, df: Any) -> Any:
        h = 0.5 * df
        return h + _LOG2 + fsp.gammaln(h) + (1.0 - h) * fsp.digamma(h)


class chi_gen(_TwoTails):
    """Chi with ``df`` degrees of freedom: ``p(z) = z^(df-1) e^(-z^2/2) / (2^(df/2-1) G(df/2))``."""

    name = "chi"
    shapes = ("df",)
    a = 0.0

    def _logpdf(self, z: Any, df: Any) -> Any:
        h = 0.5 * df
        return fsp.xlogy(df - 1.0, z) - 0.5 * z * z - (h - 1.0) * _LOG2 - fsp.gammaln(h)

    def _cdf(self, z: Any, df: Any) -> Any:
        return fsp.gammainc(0.5 * df, 0.5 * z * z)

    def _sf(self, z: Any, df: Any) -> Any:
        return fsp.gammaincc(0.5 * df, 0.5 * z * z)

    def _ppf(self, q: Any, df: Any) -> Any:
        return fnp.sqrt(2.0 * fsp.gammaincinv(0.5 * df, q))

    def _isf(self, q: Any, df: Any) -> Any:
        return fnp.sqrt(2.0 * fsp.gammainccinv(0.5 * df, q))

    def _stats(self, df: Any) -> tuple[Any, Any]:
        mean = math.sqrt(2.0) * fnp.exp(fsp.gammaln(0.5 * (df + 1.0)) - fsp.gammaln(0.5 * df))
        return mean, df - mean * mean

    def _entropy(self, df: Any) -> Any:
        h = 0.5 * df
        return fsp.gammaln(h) + 0.5 * (df - _LOG2 - (df - 1.0) * fsp.digamma(h))


class weibull_min_gen(rv_continuous):
    """Weibull (minimum) with shape ``c``: ``cdf(z) = 1 - exp(-z^c)`` on ``[0, inf)``."""

    name = "weibull_min"
    shapes = ("c",)
    a = 0.0

    def _logpdf(self, z: Any, c: Any) -> Any:
        return fnp.log(c) + fsp.xlogy(c - 1.0, z) - fnp.power(z, c)

    def _cdf(self, z: Any, c: Any) -> Any:
        return -fnp.expm1(-fnp.power(z, c))

    def _logcdf(self, z: Any, c: Any) -> Any:
        return _log1mexp(fnp.power(z, c))

    def _sf(self, z: Any, c: Any) -> Any:
        return fnp.exp(-fnp.power(z, c))

    def _logsf(self, z: Any, c: Any) -> Any:
        return -fnp.power(z, c)

    def _ppf(self, q: Any, c: Any) -> Any:
        return fnp.power(-fnp.log1p(-q), 1.0 / c)

    def _isf(self, q: Any, c: Any) -> Any:
        return fnp.power(-fnp.log(q), 1.0 / c)

    def _stats(self, c: Any) -> tuple[Any, Any]:
        m1 = fnp.exp(fsp.gammaln(1.0 + 1.0 / c))
        m2 = fnp.exp(fsp.gammaln(1.0 + 2.0 / c))
        return m1, m2 - m1 * m1

    def _entropy(self, c: Any) -> Any:
        return -_EULER / c - fnp.log(c) + _EULER + 1.0


class pareto_gen(rv_continuous):
    """Pareto with shape ``b``: ``p(z) = b / z^(b+1)`` on ``[1, inf)``."""

    name = "pareto"
    shapes = ("b",)
    a = 1.0

    def _logpdf(self, z: Any, b: Any) -> Any:
        return fnp.log(b) - (b + 1.0) * fnp.log(z)

    def _cdf(self, z: Any, b: Any) -> Any:
        return -fnp.expm1(-b * fnp.log(z))

    def _logcdf(self, z: Any, b: Any) -> Any:
        return _log1mexp(b * fnp.log(z))

    def _sf(self, z: Any, b: Any) -> Any:
        return fnp.exp(-b * fnp.log(z))

    def _logsf(self, z: Any, b: Any) -> Any:
        return -b * fnp.log(z)

    def _ppf(self, q: Any, b: Any) -> Any:
        return fnp.exp(-fnp.log1p(-q) / b)

    def _isf(self, q: Any, b: Any) -> Any:
        return fnp.exp(-fnp.log(q) / b)

    def _stats(self, b: Any) -> tuple[Any, Any]:
        b1 = fnp.where(b > 1.0, b, 3.0)
        b2 = fnp.where(b > 2.0, b, 3.0)
        mean = fnp.where(b > 1.0, b1 / (b1 - 1.0), _INF)
        var = fnp.where(b > 2.0, b2 / ((b2 - 1.0) ** 2 * (b2 - 2.0)), _INF)
        return mean, var

    def _entropy(self, b: Any) -> Any:
        return 1.0 / b - fnp.log(b) + 1.0


# ---- von Mises -----------------------------------------------------------------------------------

# SciPy's von_mises_cdf: a series in I_n(kappa) / I_0(kappa) below kappa = 50 (at most 52 terms
# there; 60 here), a normal approximation in sin(x/2) above.
_VM_CK = 50.0
_VM_TERMS = 60
_VM_VAR_TERMS = 120


def _bessel_ratio_sum(k: Any, n_terms: int, term: Any) -> Any:
    """``sum_{n=1..N} term(n) I_n(k)/I_0(k)``: ``I_n/I_0 = r_1 ... r_n`` with
    ``r_n = I_n/I_{n-1} = k / (2n + k r_{n+1})`` (the backward recurrence, from ``r_{N+1} = 0``),
    summed in the same backward loop in Horner form, ``r_1 (t_1 + r_2 (t_2 + ...))``.

    Every step is the same operations with float literals that change (``n`` is passed to
    ``term`` as a float: an int literal that changes per step would stay a constant), so jit
    re-rolls the unrolled loop into one scan (ir/reroll.py), gradient included."""
    ratio = 0.0 * k
    total = 0.0 * k
    for n in range(n_terms, 0, -1):
        ratio = k / (2.0 * n + k * ratio)
        total = ratio * (term(float(n)) + total)
    return total


def _vm_cdf_series(z: Any, k: Any) -> Any:
    """``1/2 + z/(2 pi) + sum_n I_n(k)/I_0(k) sin(n z) / (n pi)``."""
    acc = _bessel_ratio_sum(k, _VM_TERMS - 1, lambda n: fnp.sin(n * z) / n)
    return 0.5 + z / (2.0 * math.pi) + acc / math.pi


def _vm_cdf_normal(z: Any, k: Any) -> Any:
    b = math.sqrt(2.0 / math.pi) / fsp.i0e(k)
    return fsp.ndtr(b * fnp.sin(0.5 * z))


def _vm_cdf(z: Any, k: Any) -> Any:
    small = k < _VM_CK
    k_small = fnp.where(small, k, 1.0)
    k_large = fnp.where(small, _VM_CK, k)
    return fnp.where(small, _vm_cdf_series(z, k_small), _vm_cdf_normal(z, k_large))


class vonmises_gen(rv_continuous):
    """Von Mises with concentration ``kappa``: ``p(z) = e^(k cos z)/(2 pi I0(k))``.

    Defined on the whole line as SciPy (periodic density). The cdf is SciPy's algorithm
    (series below ``kappa = 50``, normal approximation in ``sin(z/2)`` above), written in
    differentiable operations; the quantile (in ``[-pi, pi]``) inverts it numerically.
    ``var`` is the linear variance ``pi^2/3 + 4 sum (-1)^n I_n/I_0 / n^2`` (SciPy integrates
    numerically), accurate to about 1e-10 for ``kappa <= 250``.
    """

    name = "vonmises"
    shapes = ("kappa",)
    # As SciPy: the density is periodic on the whole line; the cdf counts whole turns
    # (``F(x + 2 pi n) = F(x) + n``), so it leaves [0, 1] outside [-pi, pi].

    def _logpdf(self, z: Any, k: Any) -> Any:
        return k * (fnp.cos(z) - 1.0) - _LOG_2PI - fnp.log(fsp.i0e(k))

    def _cdf(self, z: Any, k: Any) -> Any:
        turns = fnp.round(z / (2.0 * math.pi))
        # as SciPy: the series may round below 0
        return fnp.clip(_vm_cdf(z - 2.0 * math.pi * turns, k), 0.0, 1.0) + turns

    def _interior(self, k: Any) -> Any:
        return 0.0 * k

    def _ppf(self, q: Any, k: Any) -> Any:
        return self._solve(q, k)

    def _isf(self, q: Any, k: Any) -> Any:
        return -self._solve(q, k)

    def _solve(self, q: Any, k: Any) -> Any:
        ks = fnp.stop_gradient(k)

        def f(x, stopped):
            return _vm_cdf(x, ks if stopped else k)

        def dens(x, stopped):
            return fnp.exp(self._logpdf(x, ks if stopped else k))

        kk = fnp.where(ks < 1.0, 1.0, ks)
        b = math.sqrt(2.0 / math.pi) / fsp.i0e(kk)
        approx = 2.0 * fnp.arcsin(fnp.clip(fsp.ndtri(fnp.stop_gradient(q)) / b, -1.0, 1.0))
        x0 = fnp.where(ks < 1.0, 2.0 * math.pi * (fnp.stop_gradient(q) - 0.5), approx)
        x0 = fnp.clip(x0, -3.1, 3.1)
        return _invert(f, dens, q, -math.pi, math.pi, x0, 25)

    def _stats(self, k: Any) -> tuple[Any, Any]:
        # x^2 = pi^2/3 + 4 sum_n (-1)^n cos(n x) / n^2 on [-pi, pi], and E cos(n x) = I_n/I_0
        total = _bessel_ratio_sum(k, _VM_VAR_TERMS, lambda n: (-1.0) ** n / (n * n))
        return 0.0 * k, math.pi ** 2 / 3.0 + 4.0 * total

    def _entropy(self, k: Any) -> Any:
        i0e = fsp.i0e(k)
        return -k * fsp.i1e(k) / i0e + fnp.log(2.0 * math.pi * i0e) + k


# ---- truncated normal ---------------------------------------------------------------------------


def _lndtr(x: Any) -> Any:
    """``log_ndtr`` with zero derivatives at +-inf."""
    fin = fnp.isfinite(x)
    v = fsp.log_ndtr(fnp.where(fin, x, 0.0))
    return fnp.where(fin, v, fnp.where(x > 0, 0.0, -_INF))


def _ndtr(x: Any) -> Any:
    fin = fnp.isfinite(x)
    v = fsp.ndtr(fnp.where(fin, x, 0.0))
    return fnp.where(fin, v, fnp.where(x > 0, 1.0, 0.0))


def _log_gauss_mass(lo: Any, hi: Any) -> Any:
    """``log(ndtr(hi) - ndtr(lo))`` for ``lo < hi``, accurate in both tails."""
    lower = hi <= 0.0
    upper = lo > 0.0
    l_hi, l_lo = _lndtr(hi), _lndtr(lo)
    in_lower = l_hi + _log1mexp(fnp.where(lower, l_hi - l_lo, 1.0))
    m_lo, m_hi = _lndtr(-lo), _lndtr(-hi)
    in_upper = m_lo + _log1mexp(fnp.where(upper, m_lo - m_hi, 1.0))
    middle = fnp.logical_not(fnp.logical_or(lower, upper))
    center = fnp.log1p(fnp.where(middle, -_ndtr(lo) - _ndtr(-hi), -0.5))
    return fnp.where(lower, in_lower, fnp.where(upper, in_upper, center))


def _norm_logpdf_finite(x: Any) -> Any:
    """``log phi(x)``; ``-inf`` at +-inf with a zero derivative."""
    fin = fnp.isfinite(x)
    xs = fnp.where(fin, x, 0.0)
    return fnp.where(fin, -0.5 * xs * xs - 0.5 * _LOG_2PI, -_INF)


def _x_phi_over(x: Any, log_mass: Any) -> Any:
    """``x phi(x) / mass``, 0 at +-inf."""
    fin = fnp.isfinite(x)
    xs = fnp.where(fin, x, 0.0)
    return fnp.where(fin, xs * fnp.exp(_norm_logpdf_finite(xs) - log_mass), 0.0)


class truncnorm_gen(rv_continuous):
    """Standard normal truncated to ``[a, b]`` (``a < b``, either may be infinite).

    Masses ``Phi(u) - Phi(l)`` are computed in log form on whichever tail keeps the digits,
    so ``logpdf``/``cdf``/``sf`` stay accurate for clip points far in a tail; the quantile uses
    ``ndtri_exp`` on the log-mass of the side it falls on.
    """

    name = "truncnorm"
    shapes = ("a", "b")

    def _argcheck(self, a: Any, b: Any) -> Any:
        return a < b

    def _safe_shapes(self) -> tuple[float, ...]:
        return (-1.0, 1.0)

    def _support(self, a: Any, b: Any) -> tuple[Any, Any]:
        return a, b

    def _interior(self, a: Any, b: Any) -> Any:
        fa, fb = fnp.isfinite(a), fnp.isfinite(b)
        a_s, b_s = fnp.where(fa, a, 0.0), fnp.where(fb, b, 0.0)
        return fnp.where(fnp.logical_and(fa, fb), 0.5 * (a_s + b_s),
                         fnp.where(fa, a_s + 1.0, fnp.where(fb, b_s - 1.0, 0.0)))

    def _logpdf(self, z: Any, a: Any, b: Any) -> Any:
        return -0.5 * z * z - 0.5 * _LOG_2PI - _log_gauss_mass(a, b)

    def _log_masses(self, z: Any, a: Any, b: Any) -> tuple[Any, Any]:
        total = _log_gauss_mass(a, b)
        return _log_gauss_mass(a, z) - total, _log_gauss_mass(z, b) - total

    def _logcdf(self, z: Any, a: Any, b: Any) -> Any:
        below, above = self._log_masses(z, a, b)
        return self._log_near_one(below, above)

    def _logsf(self, z: Any, a: Any, b: Any) -> Any:
        below, above = self._log_masses(z, a, b)
        return self._log_near_one(above, below)

    @staticmethod
    def _log_near_one(log_p: Any, log_other: Any) -> Any:
        """``log p`` where ``p`` is near 1 as ``log1p(-other)``: the difference of log-masses
        would keep only an absolute accuracy there."""
        near = log_p > -_LOG2
        return fnp.where(near, fnp.log1p(-fnp.exp(fnp.where(near, log_other, -1.0))), log_p)

    def _cdf(self, z: Any, a: Any, b: Any) -> Any:
        return fnp.exp(self._log_masses(z, a, b)[0])

    def _sf(self, z: Any, a: Any, b: Any) -> Any:
        return fnp.exp(self._log_masses(z, a, b)[1])

    def _ppf(self, q: Any, a: Any, b: Any) -> Any:
        # Phi(x) = (1 - q) Phi(a) + q Phi(b) and Phi(-x) = (1 - q) Phi(-a) + q Phi(-b), in logs
        lq, l1q = fnp.log(q), fnp.log1p(-q)
        low = fnp.logaddexp(l1q + _lndtr(a), lq + _lndtr(b))
        up = fnp.logaddexp(l1q + _lndtr(-a), lq + _lndtr(-b))
        use_low = low < -_LOG2
        x = fnp.where(use_low, fsp.ndtri_exp(fnp.where(use_low, low, -1.0)),
                      -fsp.ndtri_exp(fnp.where(use_low, -1.0, up)))
        return fnp.clip(x, a, b)

    def _isf(self, q: Any, a: Any, b: Any) -> Any:
        return -self._ppf(q, -b, -a)

    def _stats(self, a: Any, b: Any) -> tuple[Any, Any]:
        lm = _log_gauss_mass(a, b)
        pa = fnp.exp(_norm_logpdf_finite(a) - lm)
        pb = fnp.exp(_norm_logpdf_finite(b) - lm)
        mean = pa - pb
        return mean, 1.0 + _x_phi_over(a, lm) - _x_phi_over(b, lm) - mean * mean

    def _entropy(self, a: Any, b: Any) -> Any:
        lm = _log_gauss_mass(a, b)
        return 0.5 * (_LOG_2PI + 1.0) + lm + 0.5 * (_x_phi_over(a, lm) - _x_phi_over(b, lm))


# ---- skew-normal --------------------------------------------------------------------------------

_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)
_LAG_X, _LAG_W = np.polynomial.laguerre.laggauss(40)


def _gl(fn: Any, lo: Any, hi: Any) -> Any:
    """Gauss-Legendre (48 nodes) of ``fn`` over ``[lo, hi]`` (arrays broadcast)."""
    half, mid = 0.5 * (hi - lo), 0.5 * (hi + lo)
    total = 0.0 * half
    for xi, wi in zip(_GL_X, _GL_W):
        total = total + wi * fn(mid + half * xi)
    return half * total


class skewnorm_gen(rv_continuous):
    """Skew-normal with shape ``a`` (any real): ``p(z) = 2 phi(z) Phi(a z)``.

    cdf ``Phi(z) - 2 T(z, a)`` (Owen's T), in the cancelling tail a Gauss-Laguerre integral
    of the density (more accurate than SciPy's there); quantiles by a safeguarded Newton iteration;
    entropy by Gauss-Legendre quadrature on intervals scaled to ``1/sqrt(1 + a^2)``.
    """

    name = "skewnorm"
    shapes = ("a",)

    def _argcheck(self, a: Any) -> Any:
        return fnp.isfinite(a)

    def _logpdf(self, z: Any, a: Any) -> Any:
        return _LOG2 - 0.5 * z * z - 0.5 * _LOG_2PI + fsp.log_ndtr(a * z)

    def _cdf_owen(self, z: Any, a: Any) -> Any:
        return fnp.clip(fsp.ndtr(z) - 2.0 * fsp.owens_t(z, a), 0.0, 1.0)

    def _log_lower_tail(self, z: Any, a: Any) -> Any:
        """``log cdf`` for ``a >= 0`` far in the lower tail (``z sqrt(1 + a^2) <= -3``), where
        ``Phi(z) - 2 T(z, a)`` cancels: Gauss-Laguerre on ``int_0^inf p(z - s) ds`` with the
        density's log-slope at ``z`` factored out (about 1e-15 relative)."""
        def log_p(t):
            return self._logpdf(t, a)

        lz = log_p(z)
        u = a * z
        slope = -z + a * fnp.exp(-0.5 * u * u - 0.5 * _LOG_2PI - fsp.log_ndtr(u))
        acc = 0.0 * lz
        for xi, wi in zip(_LAG_X, _LAG_W):
            acc = acc + wi * fnp.exp(log_p(z - xi / slope) - lz + xi)
        return lz - fnp.log(slope) + fnp.log(acc)

    def _split(self, z: Any, a: Any) -> tuple[Any, Any, Any, Any, Any]:
        tail = fnp.logical_and(a >= 0, z * fnp.sqrt(1.0 + a * a) < -3.0)
        return (tail, fnp.where(tail, z, -5.0), fnp.where(tail, a, 0.0),
                fnp.where(tail, 0.0, z), fnp.where(tail, 0.0, a))

    def _cdf(self, z: Any, a: Any) -> Any:
        tail, zt, at, zd, ad = self._split(z, a)
        return fnp.where(tail, fnp.exp(self._log_lower_tail(zt, at)), self._cdf_owen(zd, ad))

    def _logcdf(self, z: Any, a: Any) -> Any:
        tail, zt, at, zd, ad = self._split(z, a)
        direct = self._cdf_owen(zd, ad)
        near_one = direct > 0.5  # log1p(-sf) keeps the digits of a tiny sf there
        sf = self._cdf(-fnp.where(near_one, zd, 0.0), -fnp.where(near_one, ad, 0.0))
        return fnp.where(tail, self._log_lower_tail(zt, at),
                         _log_prob(direct, fnp.where(near_one, sf, 0.0)))

    def _sf(self, z: Any, a: Any) -> Any:
        return self._cdf(-z, -a)  # -X is skew-normal with shape -a

    def _logsf(self, z: Any, a: Any) -> Any:
        return self._logcdf(-z, -a)

    def _solve(self, q: Any, a: Any) -> Any:
        # Newton on log cdf(x) = log q (q <= 1/2) or log q' = log sf(x) (q' = 1 - q): concave in
        # x, so the iteration reaches far tails in a few steps
        a_s = fnp.stop_gradient(a)
        qs = fnp.stop_gradient(q)
        lower = qs <= 0.5

        def f(x, stopped):
            aa, qq = (a_s, qs) if stopped else (a, q)
            lo_q = fnp.log(fnp.where(lower, qq, 0.5))
            up_q = fnp.log1p(-fnp.where(lower, 0.5, qq))
            return fnp.where(lower, self._logcdf(x, aa) - lo_q, up_q - self._logsf(x, aa))

        def dens(x, stopped):
            aa = a_s if stopped else a
            lp = self._logpdf(x, aa)
            return fnp.exp(lp - fnp.where(lower, self._logcdf(x, aa), self._logsf(x, aa)))

        delta = a_s / fnp.sqrt(1.0 + a_s * a_s)
        half = fnp.where(a_s >= 0, fsp.ndtri(0.5 * (1.0 + qs)), -fsp.ndtri(1.0 - 0.5 * qs))
        x0 = (1.0 - fnp.abs(delta)) * fsp.ndtri(qs) + fnp.abs(delta) * half
        return _invert(f, dens, 0.0, -_INF, _INF, x0, 16)

    def _ppf(self, q: Any, a: Any) -> Any:
        return self._solve(q, a)

    def _isf(self, q: Any, a: Any) -> Any:
        return -self._solve(q, -a)  # -X is skew-normal with shape -a

    def _stats(self, a: Any) -> tuple[Any, Any]:
        m = math.sqrt(2.0 / math.pi) * a / fnp.sqrt(1.0 + a * a)
        return m, 1.0 - m * m

    def _entropy(self, a: Any) -> Any:
        w = 1.0 / fnp.sqrt(1.0 + a * a)
        sgn = fnp.where(a >= 0, 1.0, -1.0)

        def integrand(z):
            lp = self._logpdf(z, a)
            return -fnp.exp(lp) * lp

        # the light side (sign(z) = -sign(a)) decays on the scale w; the heavy side on 1
        light = _gl(integrand, -sgn * 10.0 * w, 0.0 * w)
        heavy = _gl(integrand, 0.0 * w, sgn * 10.0 * w) + _gl(integrand, sgn * 10.0 * w,
                                                               sgn * (10.0 * w + 12.0))
        return fnp.abs(light) + fnp.abs(heavy)


# ---- generalized normal -----------------------------------------------------------------------


class gennorm_gen(rv_continuous):
    """Generalized normal with shape ``beta``: ``p(z) = beta exp(-|z|^beta) / (2 G(1/beta))``."""

    name = "gennorm"
    shapes = ("beta",)

    def _logpdf(self, z: Any, beta: Any) -> Any:
        return fnp.log(beta) - _LOG2 - fsp.gammaln(1.0 / beta) - fnp.power(fnp.abs(z), beta)

    def _half(self, z: Any, beta: Any) -> Any:
        """``P(Z > |z|) = gammaincc(1/beta, |z|^beta) / 2``."""
        return 0.5 * fsp.gammaincc(1.0 / beta, fnp.power(fnp.abs(z), beta))

    def _cdf(self, z: Any, beta: Any) -> Any:
        h = self._half(z, beta)
        return fnp.where(z < 0, h, 1.0 - h)

    def _sf(self, z: Any, beta: Any) -> Any:
        h = self._half(z, beta)
        return fnp.where(z > 0, h, 1.0 - h)

    def _logcdf(self, z: Any, beta: Any) -> Any:
        h = self._half(z, beta)
        return fnp.where(z < 0, fnp.log(h), fnp.log1p(-h))

    def _logsf(self, z: Any, beta: Any) -> Any:
        h = self._half(z, beta)
        return fnp.where(z > 0, fnp.log(h), fnp.log1p(-h))

    def _ppf(self, q: Any, beta: Any) -> Any:
        p = fnp.minimum(q, 1.0 - q)
        m = fnp.power(fsp.gammainccinv(1.0 / beta, 2.0 * p), 1.0 / beta)
        return fnp.where(q < 0.5, -m, m)

    def _isf(self, q: Any, beta: Any) -> Any:
        return -self._ppf(q, beta)

    def _stats(self, beta: Any) -> tuple[Any, Any]:
        return 0.0 * beta, fnp.exp(fsp.gammaln(3.0 / beta) - fsp.gammaln(1.0 / beta))

    def _entropy(self, beta: Any) -> Any:
        return 1.0 / beta - fnp.log(beta) + _LOG2 + fsp.gammaln(1.0 / beta)


# ---- generalized extreme value ----------------------------------------------------------------



def _zeta(k: int) -> float:
    import scipy.special

    return float(scipy.special.zeta(k))


# gammaln(1 + c) / c = -gamma + sum_{k>=2} (-1)^k zeta(k) c^(k-1) / k
_GL_OVER_C = (-_EULER,) + tuple((-1.0) ** k * _zeta(k) / k for k in range(2, 12))
# (gammaln(1 + 2c) - 2 gammaln(1 + c)) / c^2 = sum_{k>=2} (-1)^k zeta(k) (2^k - 2) c^(k-2) / k
_D_OVER_C2 = tuple((-1.0) ** k * _zeta(k) * (2.0 ** k - 2.0) / k for k in range(2, 14))


class genextreme_gen(rv_continuous):
    """Generalized extreme value, SciPy's sign convention: ``cdf = exp(-(1 - c z)^(1/c))``.

    Support ``z <= 1/c`` for ``c > 0``, ``z >= 1/c`` for ``c < 0``, the real line at ``c = 0``
    (Gumbel). Every formula is written through ``log1p(u)/u`` and ``expm1(v)/v`` (series near
    0), so values and derivatives are smooth through ``c = 0``.
    """

    name = "genextreme"
    shapes = ("c",)

    def _argcheck(self, c: Any) -> Any:
        return fnp.isfinite(c)

    def _support(self, c: Any) -> tuple[Any, Any]:
        nz = c != 0
        inv = 1.0 / fnp.where(nz, c, 1.0)
        return fnp.where(c < 0, inv, -_INF), fnp.where(c > 0, inv, _INF)

    def _interior(self, c: Any) -> Any:
        return 0.0 * c

    def _log_t(self, z: Any, c: Any) -> Any:
        """``log(1 - c z) / c`` (``-z`` at ``c = 0``)."""
        return -z * _log1p_over(-c * z)

    def _logpdf(self, z: Any, c: Any) -> Any:
        lt = self._log_t(z, c)
        return lt - fnp.log1p(-c * z) - fnp.exp(lt)

    def _cdf(self, z: Any, c: Any) -> Any:
        return fnp.exp(-fnp.exp(self._log_t(z, c)))

    def _logcdf(self, z: Any, c: Any) -> Any:
        return -fnp.exp(self._log_t(z, c))

    def _sf(self, z: Any, c: Any) -> Any:
        return -fnp.expm1(-fnp.exp(self._log_t(z, c)))

    def _logsf(self, z: Any, c: Any) -> Any:
        return _log1mexp(fnp.exp(self._log_t(z, c)))

    def _from_y(self, y: Any, c: Any) -> Any:
        return -y * _expm1_over(c * y)

    def _ppf(self, q: Any, c: Any) -> Any:
        return self._from_y(fnp.log(-fnp.log(q)), c)

    def _isf(self, q: Any, c: Any) -> Any:
        return self._from_y(fnp.log(-fnp.log1p(-q)), c)

    def _stats(self, c: Any) -> tuple[Any, Any]:
        small = fnp.abs(c) < 1e-2
        # mean = -expm1(gammaln(1 + c)) / c for c > -1
        cm = fnp.where(c > -1.0, c, 0.0)
        gl_over = _series_where(small, cm, _GL_OVER_C, lambda v: fsp.gammaln(1.0 + v) / v)
        gl = cm * gl_over
        mean = -_expm1_over(gl) * gl_over
        mean = fnp.where(c < -1.0, _NAN, fnp.where(c == -1.0, _INF, mean))
        # var = gamma(1 + c)^2 expm1(D) / c^2, D = gammaln(1 + 2c) - 2 gammaln(1 + c), c > -1/2
        cv = fnp.where(c > -0.5, c, 0.0)
        d_over = _series_where(small, cv, _D_OVER_C2,
                               lambda v: (fsp.gammaln(1.0 + 2.0 * v)
                                          - 2.0 * fsp.gammaln(1.0 + v)) / (v * v))
        d = cv * cv * d_over
        var = fnp.exp(2.0 * fsp.gammaln(1.0 + cv)) * _expm1_over(d) * d_over
        var = fnp.where(c < -0.5, _NAN, fnp.where(c == -0.5, _INF, var))
        return mean, var

    def _entropy(self, c: Any) -> Any:
        return _EULER * (1.0 - c) + 1.0


gamma = gamma_gen()
invgamma = invgamma_gen()
beta = beta_gen()
chi2 = chi2_gen()
chi = chi_gen()
weibull_min = weibull_min_gen()
pareto = pareto_gen()
vonmises = vonmises_gen()
truncnorm = truncnorm_gen()
skewnorm = skewnorm_gen()
gennorm = gennorm_gen()
genextreme = genextreme_gen()
