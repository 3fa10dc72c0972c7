"""Discrete families: Poisson, binomial, negative binomial, geometric, Bernoulli, beta-binomial,
hypergeometric, discrete uniform (``randint``) and Zipf.

One class per family in standard form (``loc = 0``), as ``_continuous``; ``_base.rv_discrete``
adds ``loc``, broadcasting and SciPy's domain conventions. The values are differentiable in the
continuous parameters (any order): the cdfs of the Poisson, binomial and negative binomial go
through the regularized incomplete gamma / beta functions as SciPy's, the Zipf's through the
Hurwitz zeta function (Euler-Maclaurin, written in differentiable operations). Quantiles are
SciPy's discrete search (the smallest ``k`` with ``cdf(k) >= q``; ``sf(k) <= q`` for ``isf``):
integer-valued, so their derivatives are zero.

Quantiles are capped at ``2**62`` (beyond int64 draws; only the Zipf with ``a`` near 1 and
``q`` near 1 reaches it). Sums over a finite support whose length depends on an integer
parameter (the beta-binomial and hypergeometric cdfs and quantiles, the entropies of the
binomial, negative binomial, beta-binomial and hypergeometric) need the integer parameters
and the points as concrete values (they are outside ``jit``; under ``jit`` make them static).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...ad import PrimalTracer
from ...core import Tracer
from ...numpy import core as fnp
from . import _special as fsp
from ._base import rv_discrete
from ._continuous2 import _log1mexp, _log_prob

__all__ = ["poisson", "binom", "nbinom", "geom", "bernoulli", "betabinom", "hypergeom",
           "randint", "zipf"]

_NAN = float("nan")
_INF = float("inf")
_LOG_2PI = math.log(2.0 * math.pi)
# the quantile search under a trace (the bracket is then not concrete): _TRACED_STEPS steps
# that each test _SPLIT points, enough for any bracket of width below 2**62
_SPLIT = 63
_TRACED_STEPS = 12
_BIG = 2.0 ** 62


def _concrete(x: Any) -> Any:
    """The concrete value of ``x`` (a primal under ``grad``/``jvp``), or None under staging or
    batching, where there is none."""
    while isinstance(x, PrimalTracer):
        x = x.primal
    if isinstance(x, Tracer):
        return None
    return np.asarray(x)


def _need_concrete(where: str, what: str, *xs: Any) -> list[np.ndarray]:
    values = [_concrete(x) for x in xs]
    if any(v is None for v in values):
        raise TypeError(f"{where}: {what} must be concrete (this sum runs over the support, "
                        "whose length they set); got a traced value inside jit or vmap. Pass "
                        "them as static arguments (jit(..., static_argnums=...)).")
    return values


def _log_comb(n: Any, k: Any) -> Any:
    """``log C(n, k) = log n! - log k! - log (n - k)!``."""
    return fsp.gammaln(n + 1.0) - fsp.gammaln(k + 1.0) - fsp.gammaln(n - k + 1.0)


def _isintegral(x: Any) -> Any:
    return x == fnp.floor(x)


# ---- the Hurwitz zeta function and its derivative in the exponent ------------------------------

# Euler-Maclaurin: zeta(s, q) = sum_{j<N} (q+j)^-s + w^(1-s)/(s-1) + w^-s/2
#   + sum_i B_2i/(2i)! s(s+1)...(s+2i-2) w^(-s-2i+1),  w = q + N
_EM_TERMS = 12
_EM_COEFFS = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0,
              7.0 / 6.0)
_EM_COEFFS = tuple(b / math.factorial(2 * i + 2) for i, b in enumerate(_EM_COEFFS))


def _hurwitz(s: Any, q: Any, derivative: bool = False) -> Any:
    """``zeta(s, q)`` for ``s > 1``, ``q >= 1`` (or ``d/ds zeta(s, q)`` with ``derivative``),
    by Euler-Maclaurin summation with 12 terms and 7 corrections (about 1e-15 relative)."""
    total = 0.0 * s * q
    for j in range(_EM_TERMS):
        t = fnp.power(q + j, -s)
        total = total + (-fnp.log(q + j) * t if derivative else t)
    w = q + _EM_TERMS
    logw = fnp.log(w)
    tail = fnp.power(w, 1.0 - s) / (s - 1.0)
    if derivative:
        total = total - logw * tail - tail / (s - 1.0) - 0.5 * logw * fnp.power(w, -s)
    else:
        total = total + tail + 0.5 * fnp.power(w, -s)
    poch = s  # s (s+1) ... (s+2i-2)
    dlog_poch = 1.0 / s  # d/ds log(poch)
    for i, c in enumerate(_EM_COEFFS):
        if i > 0:
            poch = poch * (s + 2 * i - 1) * (s + 2 * i)
            dlog_poch = dlog_poch + 1.0 / (s + 2 * i - 1) + 1.0 / (s + 2 * i)
        t = c * poch * fnp.power(w, -s - 2 * i - 1)
        total = total + (t * (dlog_poch - logw) if derivative else t)
    return total


# ---- the quantile search ----------------------------------------------------------------------


class _Discrete(rv_discrete):
    """Shared machinery: the discrete quantile search and accurate log-tails."""

    def _logcdf(self, k: Any, *shapes: Any) -> Any:
        return _log_prob(self._cdf(k, *shapes), self._sf(k, *shapes))

    def _logsf(self, k: Any, *shapes: Any) -> Any:
        return _log_prob(self._sf(k, *shapes), self._cdf(k, *shapes))

    def _bracket(self, q_low: Any, q_up: Any, *shapes: Any) -> tuple[Any, Any]:
        """Integers ``(L, H)`` with ``P(X <= L) < q_low`` and ``P(X > H) <= q_up`` (where
        ``q_low + q_up = 1``): Cantelli's inequality ``P(X - m >= t) <= v / (v + t^2)``."""
        m, v = self._stats(*shapes)
        sd = fnp.sqrt(v)
        hi = fnp.ceil(m + sd * fnp.sqrt(q_low / q_up)) + 1.0
        lo = fnp.floor(m - sd * fnp.sqrt(q_up / q_low)) - 1.0
        return lo, hi

    def _search(self, q: Any, shapes: tuple, upper: bool) -> Any:
        """Smallest support point ``k`` with ``cdf(k) >= q`` (``sf(k) <= q`` if ``upper``)."""
        values = [_concrete(x) for x in (q,) + tuple(shapes)]
        concrete = all(v is not None for v in values)
        if concrete:  # plain arrays: integer-valued, no derivative
            q, shapes = values[0], tuple(values[1:])
        else:
            q = fnp.stop_gradient(q)
            shapes = tuple(fnp.stop_gradient(s) for s in shapes)
        lo, hi = self._support(*shapes)
        q_low, q_up = (1.0 - q, q) if upper else (q, 1.0 - q)
        low, high = self._bracket(q_low, q_up, *shapes)
        low = fnp.clip(low, lo - 1.0, hi)
        high = fnp.clip(high, lo, fnp.minimum(hi, _BIG))
        low = fnp.minimum(low, high - 1.0)

        def ok(k):  # the predicate; True at the top of the support
            top = k >= hi
            ks = fnp.where(top, lo, k)
            value = self._sf(ks, *shapes) <= q if upper else self._cdf(ks, *shapes) >= q
            return fnp.logical_or(top, value)

        # the bracket's ends might fail by rounding; widen them to the support's ends then
        high = fnp.where(ok(high), high, fnp.minimum(hi, _BIG))
        low = fnp.where(fnp.logical_or(low < lo, fnp.logical_not(ok(fnp.maximum(low, lo)))),
                        low, lo - 1.0)
        if concrete:  # bisection, as many steps as the widest bracket needs
            width = float(np.max(np.asarray(high - low), initial=1.0))
            for _ in range(max(int(math.ceil(math.log2(max(width, 1.0)))) + 1, 1)):
                active = high - low > 1.0
                mid = fnp.where(active, fnp.floor(0.5 * (low + high)), high)
                good = ok(mid)
                high = fnp.where(fnp.logical_and(active, good), mid, high)
                low = fnp.where(fnp.logical_and(active, fnp.logical_not(good)), mid, low)
            return high
        # traced (the width is unknown): a 64-way search, a few steps of _SPLIT points each
        # (a small graph for the compiled backends), enough for any bracket below 2**62
        frac = (np.arange(1.0, _SPLIT + 1.0) / (_SPLIT + 1.0)).reshape(
            (_SPLIT,) + (1,) * len(np.shape(low + high)))
        for _ in range(_TRACED_STEPS):
            width = high - low
            good = ok(low + fnp.ceil(width * frac))  # candidate i = low + ceil(width i / 64)
            # the predicate is monotone: the answer lies between the last failing candidate
            # and the first passing one (a count, which every backend lowers)
            failing = fnp.sum(fnp.where(good, 0.0, 1.0), axis=0)
            high = low + fnp.ceil(width * (failing + 1.0) / (_SPLIT + 1.0))
            low = low + fnp.ceil(width * failing / (_SPLIT + 1.0))
        return high

    def _ppf(self, q: Any, *shapes: Any) -> Any:
        return self._search(q, shapes, False)

    def _isf(self, q: Any, *shapes: Any) -> Any:
        return self._search(q, shapes, True)


class _FiniteSum(_Discrete):
    """Families whose cdf is a sum of the pmf over a finite support (concrete parameters)."""

    def _window(self, where: str, lo: Any, hi: Any, fn: Any, *shapes: Any) -> Any:
        """``sum_{j = lo}^{hi} fn(j, *shapes)`` elementwise (``lo``, ``hi`` concrete; an empty
        sum is 0); the summation index runs along a new leading axis."""
        lo_c, hi_c = _need_concrete(where, "the integer parameters and the points", lo, hi)
        lo_c, hi_c = np.broadcast_arrays(np.asarray(lo_c, dtype=float),
                                         np.asarray(hi_c, dtype=float))
        nd = max([lo_c.ndim] + [_ndim(s) for s in shapes])
        start = float(np.min(lo_c, initial=0.0)) if lo_c.size else 0.0
        stop = float(np.max(hi_c, initial=start)) if hi_c.size else start
        j = _grid(start, stop, nd)
        inside = np.logical_and(j >= lo_c, j <= hi_c)
        js = np.where(inside, j, np.broadcast_to(lo_c, np.broadcast_shapes(j.shape, lo_c.shape)))
        terms = fnp.where(inside, fn(js, *shapes), 0.0)
        return fnp.sum(terms, axis=0)

    def _pmf_sum(self, where: str, lo: Any, hi: Any, *shapes: Any) -> Any:
        return self._window(where, lo, hi, lambda j, *s: fnp.exp(self._logpmf(j, *s)), *shapes)

    def _cdf(self, k: Any, *shapes: Any) -> Any:
        lo, _ = self._support(*shapes)
        return self._pmf_sum(f"{self.name}.cdf", lo, k, *shapes)

    def _sf(self, k: Any, *shapes: Any) -> Any:
        _, hi = self._support(*shapes)
        return self._pmf_sum(f"{self.name}.sf", k + 1.0, hi, *shapes)

    def _entropy(self, *shapes: Any) -> Any:
        lo, hi = self._support(*shapes)

        def term(j, *s):
            lp = self._logpmf(j, *s)
            return -fnp.exp(lp) * lp

        return self._window(f"{self.name}.entropy", lo, hi, term, *shapes)

    def _search(self, q: Any, shapes: tuple, upper: bool) -> Any:
        """The search on the cumulated pmf over the whole (concrete) support."""
        where = f"{self.name}.{'isf' if upper else 'ppf'}"
        values = _need_concrete(where, "the parameters", q, *shapes)
        q, shapes = values[0], tuple(values[1:])
        lo, hi = self._support(*shapes)
        lo_c, hi_c = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
        nd = max([lo_c.ndim, q.ndim] + [s.ndim for s in shapes])
        start = float(np.min(lo_c, initial=0.0)) if lo_c.size else 0.0
        stop = float(np.max(hi_c, initial=start)) if hi_c.size else start
        j = _grid(start, stop, nd)
        inside = np.logical_and(j >= lo_c, j <= hi_c)
        with np.errstate(all="ignore"):
            pm = np.where(inside, np.exp(self._logpmf(np.clip(j, lo_c, hi_c), *shapes)), 0.0)
        if upper:  # sf(j) = sum_{i > j} pmf(i)
            tail = np.flip(np.cumsum(np.flip(pm, 0), 0), 0) - pm
            ok = np.logical_or(tail <= q, j >= hi_c)
        else:
            ok = np.logical_or(np.cumsum(pm, 0) >= q, j >= hi_c)
        ok = np.logical_and(ok, j >= lo_c)
        return start + np.argmax(ok, axis=0).astype(np.float64)


def _ndim(x: Any) -> int:
    return len(np.shape(x))


def _grid(start: float, stop: float, nd: int) -> np.ndarray:
    """``start, start + 1, ..., stop`` along a leading axis, before ``nd`` broadcast axes."""
    count = max(int(stop - start) + 1, 1)
    return start + np.arange(count, dtype=np.float64).reshape((count,) + (1,) * nd)


# ---- the families ----------------------------------------------------------------------------


class poisson_gen(_Discrete):
    """Poisson with mean ``mu >= 0``: ``p(k) = mu^k e^-mu / k!`` on ``k = 0, 1, ...``."""

    name = "poisson"
    shapes = ("mu",)
    b = _INF

    def _argcheck(self, mu: Any) -> Any:
        return mu >= 0

    def _logpmf(self, k: Any, mu: Any) -> Any:
        # k log(mu) - log k! - mu
        return fsp.xlogy(k, mu) - fsp.gammaln(k + 1.0) - mu

    def _cdf(self, k: Any, mu: Any) -> Any:
        # P(X <= k) = Q(k + 1, mu), the regularized upper incomplete gamma (SciPy's pdtr)
        return fsp.gammaincc(k + 1.0, mu)

    def _sf(self, k: Any, mu: Any) -> Any:
        return fsp.gammainc(k + 1.0, mu)

    def _stats(self, mu: Any) -> tuple[Any, Any]:
        return mu, mu

    def _entropy(self, mu: Any) -> Any:
        # -sum p log p = mu (1 - log mu) + e^-mu sum_k mu^k log(k!) / k!  (600 terms: mu < 400);
        # above, the asymptotic series 1/2 log(2 pi e mu) - 1/(12 mu) - 1/(24 mu^2) - 19/(360 mu^3)
        small = mu < 400.0
        ms = fnp.where(small, mu, 1.0)
        k = _grid(0.0, 599.0, _ndim(mu))
        lp = fsp.xlogy(k, ms) - fsp.gammaln(k + 1.0) - ms
        direct = -fnp.sum(fnp.exp(lp) * lp, axis=0)
        ml = fnp.where(small, 400.0, mu)
        asym = (0.5 * (_LOG_2PI + 1.0 + fnp.log(ml)) - 1.0 / (12.0 * ml)
                - 1.0 / (24.0 * ml * ml) - 19.0 / (360.0 * ml * ml * ml))
        return fnp.where(small, direct, asym)


class binom_gen(_Discrete):
    """Binomial with ``n`` trials (integer ``>= 0``) and success probability ``0 <= p <= 1``:
    ``p(k) = C(n, k) p^k (1-p)^(n-k)`` on ``k = 0, ..., n``."""

    name = "binom"
    shapes = ("n", "p")

    def _argcheck(self, n: Any, p: Any) -> Any:
        return fnp.logical_and(fnp.logical_and(n >= 0, _isintegral(n)),
                               fnp.logical_and(p >= 0, p <= 1))

    def _safe_shapes(self) -> tuple[float, ...]:
        return (1.0, 0.5)

    def _support(self, n: Any, p: Any) -> tuple[Any, Any]:
        return 0.0, n

    def _logpmf(self, k: Any, n: Any, p: Any) -> Any:
        # log C(n, k) + k log p + (n - k) log(1 - p)
        return _log_comb(n, k) + fsp.xlogy(k, p) + fsp.xlog1py(n - k, -p)

    def _cdf(self, k: Any, n: Any, p: Any) -> Any:
        # P(X <= k) = I_{1-p}(n - k, k + 1) (SciPy's bdtr), k < n
        return fsp.betainc(n - k, k + 1.0, 1.0 - p)

    def _sf(self, k: Any, n: Any, p: Any) -> Any:
        # P(X > k) = I_p(k + 1, n - k)
        return fsp.betainc(k + 1.0, n - k, p)

    def _stats(self, n: Any, p: Any) -> tuple[Any, Any]:
        return n * p, n * p * (1.0 - p)

    def _entropy(self, n: Any, p: Any) -> Any:
        return _FiniteSum._entropy(self, n, p)

    _window = _FiniteSum._window


class bernoulli_gen(_Discrete):
    """Bernoulli with success probability ``0 <= p <= 1``: ``p(1) = p``, ``p(0) = 1 - p``."""

    name = "bernoulli"
    shapes = ("p",)
    b = 1.0

    def _argcheck(self, p: Any) -> Any:
        return fnp.logical_and(p >= 0, p <= 1)

    def _safe_shapes(self) -> tuple[float, ...]:
        return (0.5,)

    def _logpmf(self, k: Any, p: Any) -> Any:
        # k log p + (1 - k) log(1 - p)
        return fsp.xlogy(k, p) + fsp.xlog1py(1.0 - k, -p)

    def _cdf(self, k: Any, p: Any) -> Any:
        return (1.0 - p) + 0.0 * k  # only k = 0 is strictly inside the support

    def _sf(self, k: Any, p: Any) -> Any:
        return p + 0.0 * k

    def _logcdf(self, k: Any, p: Any) -> Any:
        return fnp.log1p(-p) + 0.0 * k

    def _logsf(self, k: Any, p: Any) -> Any:
        return fnp.log(p) + 0.0 * k

    def _stats(self, p: Any) -> tuple[Any, Any]:
        return p, p * (1.0 - p)

    def _entropy(self, p: Any) -> Any:
        # -p log p - (1 - p) log(1 - p)
        return fsp.entr(p) + fsp.entr(1.0 - p)


class nbinom_gen(_Discrete):
    """Negative binomial (failures before the ``n``-th success, ``n > 0``, ``0 < p <= 1``):
    ``p(k) = Gamma(n + k) / (Gamma(n) k!) p^n (1-p)^k`` on ``k = 0, 1, ...``."""

    name = "nbinom"
    shapes = ("n", "p")
    b = _INF

    def _argcheck(self, n: Any, p: Any) -> Any:
        return fnp.logical_and(n > 0, fnp.logical_and(p > 0, p <= 1))

    def _safe_shapes(self) -> tuple[float, ...]:
        return (1.0, 0.5)

    def _logpmf(self, k: Any, n: Any, p: Any) -> Any:
        coeff = fsp.gammaln(n + k) - fsp.gammaln(k + 1.0) - fsp.gammaln(n)
        return coeff + n * fnp.log(p) + fsp.xlog1py(k, -p)

    def _cdf(self, k: Any, n: Any, p: Any) -> Any:
        # P(X <= k) = I_p(n, k + 1) (SciPy's nbdtr)
        return fsp.betainc(n, k + 1.0, p)

    def _sf(self, k: Any, n: Any, p: Any) -> Any:
        return fsp.betaincc(n, k + 1.0, p)

    def _stats(self, n: Any, p: Any) -> tuple[Any, Any]:
        return n * (1.0 - p) / p, n * (1.0 - p) / (p * p)

    def _entropy(self, n: Any, p: Any) -> Any:
        # -sum p log p over [0, mean + 40 sd + 40] (concrete parameters)
        m, v = self._stats(n, p)
        mc, vc = _need_concrete("nbinom.entropy", "the parameters", m, v)
        top = np.ceil(mc + 40.0 * np.sqrt(vc) + 40.0)

        def term(j, nn, pp):
            lp = self._logpmf(j, nn, pp)
            return -fnp.exp(lp) * lp

        return _FiniteSum._window(self, "nbinom.entropy", np.zeros_like(top), top, term, n, p)


class geom_gen(_Discrete):
    """Geometric (trials up to the first success, ``0 < p <= 1``): ``p(k) = (1-p)^(k-1) p`` on
    ``k = 1, 2, ...``."""

    name = "geom"
    shapes = ("p",)
    a = 1.0
    b = _INF

    def _argcheck(self, p: Any) -> Any:
        return fnp.logical_and(p > 0, p <= 1)

    def _safe_shapes(self) -> tuple[float, ...]:
        return (0.5,)

    def _logpmf(self, k: Any, p: Any) -> Any:
        return fsp.xlog1py(k - 1.0, -p) + fnp.log(p)

    def _logsf(self, k: Any, p: Any) -> Any:
        # P(X > k) = (1 - p)^k
        return k * fnp.log1p(-p)

    def _sf(self, k: Any, p: Any) -> Any:
        return fnp.exp(self._logsf(k, p))

    def _cdf(self, k: Any, p: Any) -> Any:
        return -fnp.expm1(self._logsf(k, p))

    def _logcdf(self, k: Any, p: Any) -> Any:
        return _log1mexp(-self._logsf(k, p))

    def _stats(self, p: Any) -> tuple[Any, Any]:
        return 1.0 / p, (1.0 - p) / (p * p)

    def _entropy(self, p: Any) -> Any:
        # (-p log p - (1-p) log(1-p)) / p
        return -fnp.log(p) - fnp.log1p(-p) * (1.0 - p) / p


class betabinom_gen(_FiniteSum):
    """Beta-binomial with ``n`` trials (integer ``>= 0``) and shapes ``a, b > 0``:
    ``p(k) = C(n, k) B(k + a, n - k + b) / B(a, b)`` on ``k = 0, ..., n``."""

    name = "betabinom"
    shapes = ("n", "a", "b")

    def _argcheck(self, n: Any, a: Any, b: Any) -> Any:
        return fnp.logical_and(fnp.logical_and(n >= 0, _isintegral(n)),
                               fnp.logical_and(a > 0, b > 0))

    def _support(self, n: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return 0.0, n

    def _logpmf(self, k: Any, n: Any, a: Any, b: Any) -> Any:
        # log C(n, k) + log B(k + a, n - k + b) - log B(a, b), with every log B(x, y) written
        # as gammaln(x) + gammaln(y) - gammaln(x + y) (gammaln lowers into compiled code)
        return (_log_comb(n, k) + fsp.gammaln(k + a) + fsp.gammaln(n - k + b)
                - fsp.gammaln(n + a + b) - fsp.gammaln(a) - fsp.gammaln(b)
                + fsp.gammaln(a + b))

    def _stats(self, n: Any, a: Any, b: Any) -> tuple[Any, Any]:
        e_p = a / (a + b)
        return n * e_p, n * (a + b + n) * e_p * (1.0 - e_p) / (a + b + 1.0)


class hypergeom_gen(_FiniteSum):
    """Hypergeometric: ``N`` draws without replacement from ``M`` objects of which ``n`` are of
    type I: ``p(k) = C(n, k) C(M - n, N - k) / C(M, N)`` on
    ``max(0, N - M + n) <= k <= min(n, N)``."""

    name = "hypergeom"
    shapes = ("M", "n", "N")

    def _argcheck(self, M: Any, n: Any, N: Any) -> Any:
        ok = fnp.logical_and(fnp.logical_and(M > 0, n >= 0), N >= 0)
        ok = fnp.logical_and(ok, fnp.logical_and(n <= M, N <= M))
        return fnp.logical_and(ok, fnp.logical_and(
            _isintegral(M), fnp.logical_and(_isintegral(n), _isintegral(N))))

    def _safe_shapes(self) -> tuple[float, ...]:
        return (2.0, 1.0, 1.0)

    def _support(self, M: Any, n: Any, N: Any) -> tuple[Any, Any]:
        return fnp.maximum(N - (M - n), 0.0), fnp.minimum(n, N)

    def _logpmf(self, k: Any, M: Any, n: Any, N: Any) -> Any:
        # log C(n, k) + log C(M - n, N - k) - log C(M, N)
        return _log_comb(n, k) + _log_comb(M - n, N - k) - _log_comb(M, N)

    def _stats(self, M: Any, n: Any, N: Any) -> tuple[Any, Any]:
        mean = N * n / M
        return mean, mean * (M - n) * (M - N) / (M * (M - 1.0))


class randint_gen(_Discrete):
    """Discrete uniform on the integers ``low <= k < high``: ``p(k) = 1 / (high - low)``."""

    name = "randint"
    shapes = ("low", "high")

    def _argcheck(self, low: Any, high: Any) -> Any:
        return fnp.logical_and(high > low, fnp.logical_and(_isintegral(low), _isintegral(high)))

    def _safe_shapes(self) -> tuple[float, ...]:
        return (0.0, 1.0)

    def _support(self, low: Any, high: Any) -> tuple[Any, Any]:
        return low, high - 1.0

    def _logpmf(self, k: Any, low: Any, high: Any) -> Any:
        return -fnp.log(high - low) + 0.0 * k

    def _cdf(self, k: Any, low: Any, high: Any) -> Any:
        return (k - low + 1.0) / (high - low)

    def _sf(self, k: Any, low: Any, high: Any) -> Any:
        return (high - k - 1.0) / (high - low)

    def _stats(self, low: Any, high: Any) -> tuple[Any, Any]:
        d = high - low
        return 0.5 * (high + low - 1.0), (d * d - 1.0) / 12.0

    def _entropy(self, low: Any, high: Any) -> Any:
        return fnp.log(high - low)


class zipf_gen(_Discrete):
    """Zipf (zeta) with exponent ``a > 1``: ``p(k) = k^-a / zeta(a)`` on ``k = 1, 2, ...``.

    ``cdf = 1 - zeta(a, k + 1) / zeta(a)`` with the Hurwitz zeta function; the moments are
    ``zeta(a - r) / zeta(a)`` (infinite for ``a <= r + 1``); the entropy is
    ``log zeta(a) - a zeta'(a) / zeta(a)``.
    """

    name = "zipf"
    shapes = ("a",)
    a = 1.0
    b = _INF

    def _argcheck(self, a: Any) -> Any:
        return a > 1

    def _safe_shapes(self) -> tuple[float, ...]:
        return (2.0,)

    def _logpmf(self, k: Any, a: Any) -> Any:
        return -a * fnp.log(k) - fnp.log(_hurwitz(a, 1.0))

    def _sf(self, k: Any, a: Any) -> Any:
        return _hurwitz(a, k + 1.0) / _hurwitz(a, 1.0)

    def _cdf(self, k: Any, a: Any) -> Any:
        return 1.0 - self._sf(k, a)

    def _bracket(self, q_low: Any, q_up: Any, a: Any) -> tuple[Any, Any]:
        # P(X > k) <= k^(1-a) / ((a - 1) zeta(a)) <= q_up for k >= (q_up (a-1) zeta(a))^(-1/(a-1))
        z = _hurwitz(a, 1.0)
        hi = fnp.ceil(fnp.exp(-fnp.log(q_up * (a - 1.0) * z) / (a - 1.0))) + 1.0
        return 0.0 * hi, fnp.minimum(hi, _BIG)

    def _stats(self, a: Any) -> tuple[Any, Any]:
        z = _hurwitz(a, 1.0)
        a1 = fnp.where(a > 2.0, a, 3.0)
        a2 = fnp.where(a > 3.0, a, 4.0)
        mean = fnp.where(a > 2.0, _hurwitz(a1 - 1.0, 1.0) / z, _INF)
        m2 = _hurwitz(a2 - 2.0, 1.0) / z
        var = fnp.where(a > 3.0, m2 - mean * mean, _INF)
        return mean, var

    def _entropy(self, a: Any) -> Any:
        # log zeta(a) = log1p(zeta(a, 2)): for large a, zeta(a) = 1 + 2^-a + ... and log(z)
        # would keep only the digits of z - 1 that survive rounding z (1e-9 relative at a = 30)
        tail = _hurwitz(a, 2.0)
        z = 1.0 + tail
        return fnp.log1p(tail) - a * _hurwitz(a, 1.0, derivative=True) / z


poisson = poisson_gen()
binom = binom_gen()
nbinom = nbinom_gen()
geom = geom_gen()
bernoulli = bernoulli_gen()
betabinom = betabinom_gen()
hypergeom = hypergeom_gen()
randint = randint_gen()
zipf = zipf_gen()
