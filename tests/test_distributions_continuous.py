"""Continuous univariate families of fluxion.distributions against scipy.stats (or, where SciPy
lacks the family, against a transformed SciPy distribution / numerical integration), through
the shared harness: every method at broadcasting batch shapes, sampling (moments and the DKW
bound, fixed seed, false-failure rate alpha = 1e-6 per check), gradients of log_prob (order 2),
reparameterized gradients, validation errors, supports and bijectors, analytic KL pairs against
Monte Carlo, and the compiled NUTS's encoding of every log_prob and its gradient."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import scipy.integrate as si
import scipy.special as ssp
import scipy.stats as st
from distributions_harness import (
    check_against_scipy,
    check_kl_monte_carlo,
    check_log_prob_grads,
    check_reparam_gradient,
    check_sampling,
)

import fluxion
import fluxion.distributions as fd

# broadcasting batch shapes: (2, 1) x (3,) -> (2, 3)
A21 = np.array([[0.7], [3.0]])
B3 = np.array([0.5, 1.0, 2.5])
L21 = np.array([[-1.0], [0.5]])
P23 = A21 * B3  # one parameter with batch shape (2, 3)
DF23 = np.array([[0.7, 3.0, 12.0], [1.0, 2.0, 40.0]])


# --- references for families SciPy lacks ----------------------------------------------------


class LogitNormalRef:
    """expit(Normal(m, s)) through scipy.stats.norm of logit(x) (SciPy has no logit-normal)."""

    def __init__(self, m, s):
        self.n = st.norm(m, s)

    def _in(self, x):
        x = np.asarray(x, float)
        inside = (x > 0) & (x < 1)
        return np.where(inside, x, 0.5), inside

    def logpdf(self, x):
        xs, inside = self._in(x)
        v = self.n.logpdf(ssp.logit(xs)) - np.log(xs) - np.log1p(-xs)
        return np.where(inside, v, -np.inf)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def _tail(self, x, fn, below, above):
        xs, inside = self._in(x)
        return np.where(inside, fn(ssp.logit(xs)), np.where(np.asarray(x) <= 0, below, above))

    def cdf(self, x):
        return self._tail(x, self.n.cdf, 0.0, 1.0)

    def logcdf(self, x):
        return self._tail(x, self.n.logcdf, -np.inf, 0.0)

    def sf(self, x):
        return self._tail(x, self.n.sf, 1.0, 0.0)

    def logsf(self, x):
        return self._tail(x, self.n.logsf, 0.0, -np.inf)

    def ppf(self, p):
        return ssp.expit(self.n.ppf(p))


class HalfStudentTRef:
    """loc + scale |T| through scipy.stats.t (log densities, tails) and quadrature (moments)."""

    def __init__(self, df, m, s):
        self.df, self.m, self.s = np.broadcast_arrays(*(np.asarray(v, float) for v in (df, m, s)))
        self.t = st.t(self.df, 0.0, self.s)

    def _z(self, x):
        return np.asarray(x, float) - self.m

    def logpdf(self, x):
        z = self._z(x)
        return np.where(z >= 0, np.log(2) + self.t.logpdf(np.maximum(z, 0)), -np.inf)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def sf(self, x):
        z = self._z(x)
        return np.where(z >= 0, 2 * self.t.sf(np.maximum(z, 0)), 1.0)

    def logsf(self, x):
        z = self._z(x)
        return np.where(z >= 0, np.log(2) + self.t.logsf(np.maximum(z, 0)), 0.0)

    def cdf(self, x):
        z = self._z(x)
        # P(|T| <= z) = 2 cdf - 1 = 1 - 2 sf; the form without cancellation
        c = np.where(self.t.cdf(np.abs(z)) < 0.75, 2 * self.t.cdf(np.abs(z)) - 1,
                     1 - 2 * self.t.sf(np.abs(z)))
        return np.where(z >= 0, c, 0.0)

    def logcdf(self, x):
        c, sf = self.cdf(x), self.sf(x)
        return np.where(sf < 0.5, np.log1p(-np.minimum(sf, 0.5)), np.log(c))

    def ppf(self, p):
        return self.m + self.t.ppf(0.5 + 0.5 * np.asarray(p))

    def _quad(self, g):
        out = np.empty(self.df.shape)
        for i in np.ndindex(self.df.shape):
            t = st.t(self.df[i], 0.0, self.s[i])
            out[i] = si.quad(lambda z, t=t: g(z, t), 0, np.inf, epsabs=0, epsrel=1e-13,
                             limit=500)[0]
        return out

    def mean(self):
        return self.m + self._quad(lambda z, t: 2 * z * t.pdf(z))

    def var(self):
        mean = self._quad(lambda z, t: 2 * z * t.pdf(z))
        return self._quad(lambda z, t: 2 * z * z * t.pdf(z)) - mean**2

    def std(self):
        return np.sqrt(self.var())

    def entropy(self):
        return self._quad(lambda z, t: -2 * t.pdf(z) * (np.log(2) + t.logpdf(z)))


class KumaraswamyRef:
    """The density written in NumPy; cdf, moments and entropy by quadrature of it."""

    def __init__(self, a, b):
        self.a, self.b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))

    def _pdf1(self, x, a, b):
        return a * b * x ** (a - 1) * (1 - x**a) ** (b - 1)

    def logpdf(self, x):
        x = np.asarray(x, float)
        inside = (x >= 0) & (x <= 1)
        xs = np.where(inside, x, 0.5)
        with np.errstate(all="ignore"):
            v = (np.log(self.a * self.b) + ssp.xlogy(self.a - 1, xs)
                 + ssp.xlog1py(self.b - 1, -(xs**self.a)))
        return np.where(inside, v, -np.inf)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def _each(self, x, g):
        x = np.broadcast_to(np.asarray(x, float), np.broadcast_shapes(np.shape(x),
                                                                        self.a.shape))
        out = np.empty(x.shape)
        for i in np.ndindex(x.shape):
            j = i[len(i) - self.a.ndim:]
            out[i] = g(x[i], self.a[j], self.b[j])
        return out

    def cdf(self, x):
        def g(x, a, b):
            if x <= 0:
                return 0.0
            if x >= 1:
                return 1.0
            return si.quad(self._pdf1, 0, x, args=(a, b), epsabs=0, epsrel=1e-13, limit=200)[0]
        return self._each(x, g)

    def sf(self, x):
        def g(x, a, b):
            if x <= 0:
                return 1.0
            if x >= 1:
                return 0.0
            return si.quad(self._pdf1, x, 1, args=(a, b), epsabs=0, epsrel=1e-13, limit=200)[0]
        return self._each(x, g)

    def logcdf(self, x):
        c, sf = self.cdf(x), self.sf(x)
        return np.where(sf < 0.5, np.log1p(-np.minimum(sf, 0.5)), np.log(c))

    def logsf(self, x):
        c, sf = self.cdf(x), self.sf(x)
        return np.where(c < 0.5, np.log1p(-np.minimum(c, 0.5)), np.log(sf))

    def _moment(self, h):
        return self._each(np.zeros(self.a.shape), lambda _, a, b: si.quad(
            lambda x: h(x, a, b) * self._pdf1(x, a, b), 0, 1, epsabs=0, epsrel=1e-13,
            limit=200)[0])

    def mean(self):
        return self._moment(lambda x, a, b: x)

    def var(self):
        return self._moment(lambda x, a, b: x * x) - self.mean() ** 2

    def std(self):
        return np.sqrt(self.var())

    def entropy(self):
        # mpmath's tanh-sinh rule: the integrand is singular at both ends when a, b < 1
        import mpmath as mp

        def h(_, a, b):
            a, b = mp.mpf(a), mp.mpf(b)

            def g(x):
                if x <= 0 or x >= 1:
                    return mp.mpf(0)
                p = a * b * x ** (a - 1) * (1 - x**a) ** (b - 1)
                return -p * mp.log(p)

            with mp.workdps(25):
                return float(mp.quad(g, [0, 0.5, 1]))

        return self._each(np.zeros(self.a.shape), h)

    def ppf(self, p):
        def g(p, a, b):
            return __import__("scipy.optimize").optimize.brentq(
                lambda x: si.quad(self._pdf1, 0, x, args=(a, b), epsabs=0, epsrel=1e-13)[0] - p,
                1e-300, 1.0, xtol=1e-300, rtol=1e-15)
        return self._each(p, g)


@dataclass
class Case:
    """One family at one parameter point: the constructor, the SciPy reference, points."""

    name: str
    make: Callable[..., Any]
    params: tuple  # broadcasting (2, 1) x (3,) batch
    ref: Callable[..., Any]  # params -> frozen scipy-like reference
    x: Any  # points, shape (n, 1, 1): inside and outside the support
    rtol: float = 1e-10
    atol: float = 0.0
    moments: tuple | None = None  # None: all of mean, variance, stddev, entropy
    methods: tuple | None = None
    grad_params: tuple = ()  # scalar parameters for check_log_prob_grads
    grad_x: Any = None  # values inside the support for check_log_prob_grads
    sample_params: tuple | None = None  # parameters for check_sampling (default params)
    check_moments: bool = True
    extra: dict = field(default_factory=dict)


def _col(*v: float) -> np.ndarray:
    return np.array(v, dtype=float).reshape(-1, 1, 1)


X_REAL = _col(-30.0, -2.5, -0.4, 0.0, 0.3, 1.0, 4.0, 50.0)
X_POS = _col(-1.0, 0.0, 1e-3, 0.3, 1.0, 2.5, 7.0, 40.0)
X_UNIT = _col(-0.5, 0.0, 1e-4, 0.2, 0.5, 0.9, 0.9999, 1.0, 1.5)

CASES = [
    Case("HalfNormal", lambda s: fd.HalfNormal(s), (P23,), lambda s: st.halfnorm(scale=s),
         X_POS, grad_params=(1.3,), grad_x=[0.2, 1.0, 3.0]),
    Case("LogNormal", lambda m, s: fd.LogNormal(m, s), (L21, B3),
         lambda m, s: st.lognorm(s, scale=np.exp(m)), X_POS, grad_params=(0.3, 0.8),
         grad_x=[0.2, 1.0, 3.0]),
    Case("StudentT", lambda d, m, s: fd.StudentT(d, m, s), (A21, L21, B3),
         lambda d, m, s: st.t(d, m, s), X_REAL, grad_params=(3.5, 0.2, 1.4),
         grad_x=[-2.0, 0.1, 3.0], sample_params=(np.array([3.0, 6.0]), 0.5, 2.0)),
    Case("Cauchy", lambda m, s: fd.Cauchy(m, s), (L21, B3), lambda m, s: st.cauchy(m, s),
         X_REAL, grad_params=(0.2, 1.4), grad_x=[-2.0, 0.1, 3.0]),
    Case("HalfCauchy", lambda m, s: fd.HalfCauchy(m, s), (L21, B3),
         lambda m, s: st.halfcauchy(m, s), X_REAL, grad_params=(0.2, 1.4),
         grad_x=[0.3, 1.0, 3.0]),
    Case("Laplace", lambda m, s: fd.Laplace(m, s), (L21, B3), lambda m, s: st.laplace(m, s),
         X_REAL, grad_params=(0.2, 1.4), grad_x=[-2.0, 0.5, 3.0]),
    Case("Logistic", lambda m, s: fd.Logistic(m, s), (L21, B3),
         lambda m, s: st.logistic(m, s), X_REAL, grad_params=(0.2, 1.4),
         grad_x=[-2.0, 0.5, 3.0]),
    Case("Gumbel", lambda m, s: fd.Gumbel(m, s), (L21, B3), lambda m, s: st.gumbel_r(m, s),
         X_REAL, grad_params=(0.2, 1.4), grad_x=[-2.0, 0.5, 3.0]),
    Case("Exponential", lambda r: fd.Exponential(r), (P23,), lambda r: st.expon(scale=1 / r),
         X_POS, grad_params=(1.7,), grad_x=[0.2, 1.0, 3.0]),
    Case("Gamma", lambda a, r: fd.Gamma(a, r), (A21, B3), lambda a, r: st.gamma(a, scale=1 / r),
         X_POS, grad_params=(2.5, 1.7), grad_x=[0.2, 1.0, 3.0]),
    Case("Gamma_log_rate", lambda a, lr: fd.Gamma(a, log_rate=lr), (A21, np.log(B3)),
         lambda a, lr: st.gamma(a, scale=np.exp(-lr)), X_POS, grad_params=(2.5, 0.3),
         grad_x=[0.2, 1.0, 3.0]),
    Case("InverseGamma", lambda a, s: fd.InverseGamma(a, s), (A21 + 2.0, B3),
         lambda a, s: st.invgamma(a, scale=s), X_POS, grad_params=(2.5, 1.7),
         grad_x=[0.2, 1.0, 3.0]),
    Case("Chi2", lambda d: fd.Chi2(d), (DF23,), lambda d: st.chi2(d),
         X_POS, grad_params=(3.5,), grad_x=[0.2, 1.0, 3.0]),
    Case("Chi", lambda d: fd.Chi(d), (DF23,), lambda d: st.chi(d),
         X_POS, grad_params=(3.5,), grad_x=[0.2, 1.0, 3.0]),
    Case("Weibull", lambda k, s: fd.Weibull(k, s), (A21, B3),
         lambda k, s: st.weibull_min(k, scale=s), X_POS, grad_params=(1.5, 1.7),
         grad_x=[0.2, 1.0, 3.0]),
    Case("Pareto", lambda a, s: fd.Pareto(a, s), (A21 + 2.0, B3),
         lambda a, s: st.pareto(a, scale=s), X_POS, grad_params=(2.5, 0.7),
         grad_x=[0.8, 1.0, 3.0]),
    Case("Beta", lambda a, b: fd.Beta(a, b), (A21, B3), lambda a, b: st.beta(a, b), X_UNIT,
         grad_params=(2.5, 1.7), grad_x=[0.1, 0.5, 0.9]),
    Case("Uniform", lambda lo, hi: fd.Uniform(lo, hi), (L21, B3 + 0.6),
         lambda lo, hi: st.uniform(lo, hi - lo), X_REAL, grad_params=(),
         grad_x=None),
    Case("HalfStudentT", lambda d, m, s: fd.HalfStudentT(d, m, s), (A21 + 1.8, L21, B3),
         HalfStudentTRef, X_REAL, rtol=1e-9, grad_params=(3.5, 0.2, 1.4),
         grad_x=[0.5, 1.0, 3.0], sample_params=(np.array([3.0, 6.0]), 0.5, 2.0)),
    # atol 1e-14 on the cdf: SciPy's series cancels in the tails (at k = 10, z = -2 SciPy's
    # cdf is 5.5e-8 off relative to mpmath, fluxion's 3.4e-10; see test_von_mises_*)
    Case("VonMises", lambda m, k: fd.VonMises(m, k), (L21, B3 * 2.0),
         lambda m, k: st.vonmises(k, m), _col(-2.5, -1.0, 0.0, 0.5, 2.0, 3.1), atol=1e-14,
         moments=("mean", "entropy"), grad_params=(0.2, 1.4), grad_x=[-2.0, 0.5, 3.0],
         sample_params=(0.0, np.array([0.5, 4.0, 60.0])), check_moments=False),
    Case("TruncatedNormal", lambda m, s, lo, hi: fd.TruncatedNormal(m, s, lo, hi),
         (L21, B3, -1.5, B3 + 0.5), lambda m, s, lo, hi: st.truncnorm(
             (lo - m) / s, (hi - m) / s, m, s), _col(-2.0, -1.5, -1.0, 0.0, 0.3, 1.0, 2.9, 4.0),
         grad_params=(0.2, 1.4, -1.0, 2.0), grad_x=[-0.5, 0.5, 1.5],
         sample_params=(L21, B3, -1.5, B3 + 0.5)),
    # SciPy's skewnorm cdf (Owen's T) far in the cancelling lower tail (~1e-68) is accurate to
    # ~2e-10; fluxion integrates that tail (see fluxion.scipy.stats.skewnorm); atol 1e-18:
    # SciPy's logcdf near 0 is log(cdf) of a cdf near 1 (fluxion uses log1p(-sf))
    Case("SkewNormal", lambda m, s, a: fd.SkewNormal(m, s, a), (L21, B3, A21 - 2.0),
         lambda m, s, a: st.skewnorm(a, m, s), X_REAL, rtol=1e-9, atol=1e-18,
         grad_params=(0.2, 1.4, 2.0), grad_x=[-1.0, 0.5, 2.0]),
    Case("GeneralizedNormal", lambda m, s, p: fd.GeneralizedNormal(m, s, p), (L21, B3, A21),
         lambda m, s, p: st.gennorm(p, m, s), X_REAL, grad_params=(0.2, 1.4, 2.5),
         grad_x=[-1.0, 0.5, 2.0]),
    Case("GeneralizedExtremeValue", lambda m, s, c: fd.GeneralizedExtremeValue(m, s, c),
         (L21, A21, np.array([-0.3, 0.0, 0.4])),
         lambda m, s, c: st.genextreme(-c, m, s), X_REAL, grad_params=(0.2, 1.4, 0.3),
         grad_x=[-1.0, 0.5, 2.0]),
    Case("Moyal", lambda m, s: fd.Moyal(m, s), (L21, B3), lambda m, s: st.moyal(m, s), X_REAL,
         grad_params=(0.2, 1.4), grad_x=[-1.0, 0.5, 2.0]),
    Case("AsymmetricLaplace", lambda m, s, k: fd.AsymmetricLaplace(m, s, k), (L21, B3, A21),
         lambda m, s, k: st.laplace_asymmetric(k, m, s), X_REAL, grad_params=(0.2, 1.4, 0.6),
         grad_x=[-1.0, 0.5, 2.0]),
    Case("Triangular", lambda lo, hi, pk: fd.Triangular(lo, hi, pk),
         (L21, B3 + 1.0, np.array([[-1.0], [1.5]]).clip(L21, B3 + 1.0)),
         lambda lo, hi, pk: st.triang((pk - lo) / (hi - lo), lo, hi - lo),
         _col(-2.0, -1.0, -0.5, 0.5, 0.7, 1.0, 1.4, 3.5, 4.0), grad_params=(-1.0, 2.0, 0.5),
         grad_x=[-0.5, 0.2, 1.0]),
    Case("LogitNormal", lambda m, s: fd.LogitNormal(m, s), (L21, B3), LogitNormalRef, X_UNIT,
         moments=(), grad_params=(0.2, 1.4), grad_x=[0.1, 0.5, 0.9], check_moments=False),
    Case("ExpGamma", lambda a, r: fd.ExpGamma(a, r), (A21, B3),
         lambda a, r: st.loggamma(a, loc=-np.log(r)), X_REAL / 5.0, grad_params=(2.5, 1.7),
         grad_x=[-1.0, 0.5, 2.0]),
    Case("ExpGamma_log_rate", lambda a, lr: fd.ExpGamma(a, log_rate=lr), (A21, np.log(B3)),
         lambda a, lr: st.loggamma(a, loc=-lr), X_REAL / 5.0, grad_params=(2.5, 0.3),
         grad_x=[-1.0, 0.5, 2.0]),
    Case("Gompertz", lambda c, b: fd.Gompertz(c, b), (A21, B3),
         lambda c, b: st.gompertz(c, scale=1 / b), X_POS, moments=("mean", "entropy"),
         grad_params=(0.7, 1.4), grad_x=[0.2, 1.0, 3.0], check_moments=False),
    Case("Rice", lambda nu, s: fd.Rice(nu, s), (A21, B3), lambda nu, s: st.rice(nu / s, scale=s),
         X_POS, methods=("log_prob", "prob"), moments=("mean", "variance", "stddev"),
         grad_params=(1.5, 0.8), grad_x=[0.2, 1.0, 3.0],
         extra={"quantile": False, "sample_cdf": lambda nu, s: st.rice(nu / s, scale=s).cdf}),
    Case("Kumaraswamy", lambda a, b: fd.Kumaraswamy(a, b), (A21, B3), KumaraswamyRef,
         _col(-0.5, 0.0, 1e-3, 0.2, 0.5, 0.9, 0.999, 1.0, 1.5), rtol=1e-9,
         grad_params=(2.5, 1.7), grad_x=[0.1, 0.5, 0.9]),
]
CASE_IDS = [c.name for c in CASES]
BY_NAME = {c.name: c for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_every_method_matches_scipy_with_broadcast_batch(case):
    d = case.make(*case.params)
    assert d.batch_shape == (2, 3) and d.event_shape == ()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_scipy(d, case.ref(*case.params), case.x, rtol=case.rtol, atol=case.atol,
                            methods=case.methods, moments=case.moments,
                            quantile=case.extra.get("quantile", True))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sampling_moments_and_dkw(case):
    params = case.sample_params if case.sample_params is not None else case.params
    d = case.make(*params)
    cdf = case.extra.get("sample_cdf")
    with np.errstate(all="ignore"):
        check_sampling(d, cdf=cdf(*params) if cdf else None, check_moments=case.check_moments)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad_x is not None], ids=lambda c: c.name)
def test_log_prob_gradients(case):
    check_log_prob_grads(case.make, case.grad_params, np.asarray(case.grad_x))


# --- validation ------------------------------------------------------------------------------

BAD_PARAMETERS = [
    (lambda: fd.Gamma(-1.0, 1.0, validate_args=True),
     "Gamma: expected concentration > 0, got -1.0"),
    (lambda: fd.Gamma(1.0, 0.0, validate_args=True), "Gamma: expected rate > 0, got 0.0"),
    (lambda: fd.HalfNormal(-2.0, validate_args=True), "HalfNormal: expected scale > 0, got -2.0"),
    (lambda: fd.StudentT(0.0, 0.0, 1.0, validate_args=True), "StudentT: expected df > 0, got 0.0"),
    (lambda: fd.Beta([1.0, -0.5], 1.0, validate_args=True),
     r"Beta: expected concentration1 > 0, got \[-0.5\]"),
    (lambda: fd.Exponential(-1.0, validate_args=True), "Exponential: expected rate > 0"),
    (lambda: fd.InverseGamma(1.0, -3.0, validate_args=True),
     "InverseGamma: expected scale > 0, got -3.0"),
    (lambda: fd.Uniform(2.0, 1.0, validate_args=True),
     "Uniform: expected low < high, got low=2.0, high=1.0"),
    (lambda: fd.Pareto(1.0, -1.0, validate_args=True), "Pareto: expected scale > 0"),
    (lambda: fd.Laplace(np.nan, 1.0, validate_args=True), "Laplace: expected loc a real number"),
    (lambda: fd.VonMises(0.0, -1.0, validate_args=True),
     "VonMises: expected concentration > 0, got -1.0"),
    (lambda: fd.TruncatedNormal(0.0, 1.0, 2.0, 1.0, validate_args=True),
     "TruncatedNormal: expected low < high, got low=2.0, high=1.0"),
    (lambda: fd.Triangular(0.0, 1.0, 1.5, validate_args=True),
     "Triangular: expected low <= peak <= high, got low=0.0, peak=1.5, high=1.0"),
    (lambda: fd.Kumaraswamy(0.0, 1.0, validate_args=True),
     "Kumaraswamy: expected concentration1 > 0, got 0.0"),
    (lambda: fd.Rice(-1.0, 1.0, validate_args=True), "Rice: expected nu >= 0, got -1.0"),
    (lambda: fd.Gompertz(1.0, -1.0, validate_args=True), "Gompertz: expected rate > 0"),
    (lambda: fd.GeneralizedNormal(0.0, 1.0, -2.0, validate_args=True),
     "GeneralizedNormal: expected power > 0, got -2.0"),
    (lambda: fd.AsymmetricLaplace(0.0, 1.0, 0.0, validate_args=True),
     "AsymmetricLaplace: expected asymmetry > 0"),
    (lambda: fd.HalfStudentT(1.0, 0.0, -1.0, validate_args=True),
     "HalfStudentT: expected scale > 0, got -1.0"),
    (lambda: fd.ExpGamma(-1.0, 1.0, validate_args=True),
     "ExpGamma: expected concentration > 0, got -1.0"),
    (lambda: fd.SkewNormal(0.0, 1.0, np.nan, validate_args=True),
     "SkewNormal: expected skewness a real number"),
]


@pytest.mark.parametrize("make,message", BAD_PARAMETERS)
def test_bad_parameters_raise_naming_family_parameter_and_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_gamma_needs_exactly_one_of_rate_and_log_rate():
    with pytest.raises(ValueError, match="Gamma: expected exactly one of rate and log_rate"):
        fd.Gamma(1.0)
    with pytest.raises(ValueError, match="got both"):
        fd.Gamma(1.0, 2.0, log_rate=0.3)


OUT_OF_SUPPORT = [
    (lambda: fd.Gamma(2.0, 1.0, validate_args=True), -1.0, r"Gamma.log_prob: expected values in "
     r"the support \(>= 0\), got -1.0"),
    (lambda: fd.Beta(2.0, 2.0, validate_args=True), 1.5, r"in \[0, 1\]\), got 1.5"),
    (lambda: fd.Uniform(0.0, 2.0, validate_args=True), 3.0, r"in \[0.0, 2.0\]\), got 3.0"),
    (lambda: fd.Pareto(2.0, 1.5, validate_args=True), 1.0, r">= 1.5\), got 1.0"),
    (lambda: fd.HalfCauchy(1.0, 1.0, validate_args=True), 0.0,
     r"HalfCauchy.log_prob: .*>= 1.0\), got 0.0"),
]


@pytest.mark.parametrize("make,value,message", OUT_OF_SUPPORT)
def test_out_of_support_values_raise_with_validate_args(make, value, message):
    with pytest.raises(ValueError, match=message):
        make().log_prob(value)


def test_without_validate_args_bad_input_gives_what_scipy_gives():
    with np.errstate(all="ignore"):
        assert np.isnan(fd.Gamma(-1.0, 1.0).log_prob(1.0))
        assert np.isnan(st.gamma(-1.0).logpdf(1.0))
        assert fd.Gamma(2.0, 1.0).log_prob(-1.0) == -np.inf == st.gamma(2.0).logpdf(-1.0)
        assert fd.Beta(2.0, 2.0).log_prob(1.5) == -np.inf
        assert np.isnan(fd.Uniform(2.0, 1.0).log_prob(1.5))
        assert np.isnan(st.uniform(2.0, -1.0).logpdf(1.5))
        assert np.isnan(fd.StudentT(-1.0).cdf(0.3)) and np.isnan(st.t(-1.0).cdf(0.3))
        assert fd.Pareto(2.0, 1.5).cdf(1.0) == 0.0


# --- supports, bijectors, modes --------------------------------------------------------------

SUPPORTS = [
    (fd.HalfNormal(1.0), "nonnegative", 0.0, np.inf),
    (fd.Gamma(2.0, 1.0), "nonnegative", 0.0, np.inf),
    (fd.Beta(2.0, 3.0), "unit_interval", 0.0, 1.0),
    (fd.Uniform(-1.0, 3.0), "interval", -1.0, 3.0),
    (fd.Pareto(2.0, 1.5), "greater_than_eq", 1.5, np.inf),
    (fd.HalfCauchy(-2.0, 1.0), "greater_than_eq", -2.0, np.inf),
    (fd.StudentT(3.0), "real", -np.inf, np.inf),
    (fd.HalfStudentT(3.0, 1.0, 2.0), "greater_than_eq", 1.0, np.inf),
    (fd.TruncatedNormal(0.0, 1.0, -0.5, 2.0), "interval", -0.5, 2.0),
    (fd.Triangular(-1.0, 2.0, 0.0), "interval", -1.0, 2.0),
    (fd.Kumaraswamy(2.0, 3.0), "unit_interval", 0.0, 1.0),
    (fd.LogitNormal(0.3, 1.0), "unit_interval", 0.0, 1.0),
    (fd.VonMises(0.3, 2.0), "circular", -np.pi, np.pi),
    (fd.Gompertz(2.0, 0.1), "nonnegative", 0.0, np.inf),
    (fd.Rice(1.0, 3.0), "nonnegative", 0.0, np.inf),
    (fd.GeneralizedExtremeValue(0.5, 2.0, 0.3), "gev_support", 0.5 - 2.0 / 0.3, np.inf),
    (fd.GeneralizedExtremeValue(0.5, 2.0, -0.3), "gev_support", -np.inf, 0.5 + 2.0 / 0.3),
    (fd.GeneralizedExtremeValue(0.5, 2.0, 0.0), "gev_support", -np.inf, np.inf),
    (fd.ExpGamma(2.0, 3.0), "real", -np.inf, np.inf),
]


@pytest.mark.parametrize("d,name,lo,hi", SUPPORTS, ids=[s[0].name for s in SUPPORTS])
def test_support_and_default_bijector_map_the_real_line_into_the_support(d, name, lo, hi):
    assert d.support.name == name
    u = np.linspace(-6.0, 6.0, 13)
    y = np.asarray(d.default_bijector.forward(u))
    assert np.all(y >= lo) and np.all(y <= hi) and np.all(np.diff(y) > 0)
    assert np.all(np.isfinite(np.asarray(d.log_prob(y))))
    np.testing.assert_allclose(d.default_bijector.inverse(y), u, rtol=1e-9, atol=1e-9)


def test_gev_support_bijector_serves_a_batch_of_mixed_signs():
    xi = np.array([-0.5, -1e-12, 0.0, 1e-12, 0.7])
    d = fd.GeneralizedExtremeValue(0.5, 2.0, xi)
    b = d.default_bijector
    u = np.linspace(-5.0, 5.0, 11)[:, None]
    y = np.asarray(b.forward(u))
    assert np.all(d.support.check(y)) and np.all(np.isfinite(np.asarray(d.log_prob(y))))
    np.testing.assert_allclose(b.inverse(y), np.broadcast_to(u, y.shape), rtol=1e-9, atol=1e-9)
    # log-det-Jacobian against autodiff of forward
    for i in range(len(xi)):
        bi = fd.GeneralizedExtremeValue(0.5, 2.0, xi[i]).default_bijector
        for v in (-2.0, 0.3, 1.5):
            slope = float(fluxion.grad(bi.forward)(v))
            np.testing.assert_allclose(bi.forward_log_det_jacobian(v), np.log(slope),
                                       rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="GeneralizedExtremeValue.log_prob: expected values"):
        fd.GeneralizedExtremeValue(0.0, 1.0, 0.5, validate_args=True).log_prob(-3.0)


def test_modes():
    np.testing.assert_allclose(fd.Gamma([0.5, 1.0, 3.0], 2.0).mode(), [np.nan, 0.0, 1.0])
    np.testing.assert_allclose(fd.Beta([3.0, 0.5], 2.0).mode(), [2.0 / 3.0, np.nan])
    np.testing.assert_allclose(fd.InverseGamma(3.0, 2.0).mode(), 0.5)
    np.testing.assert_allclose(fd.LogNormal(0.5, 0.7).mode(), np.exp(0.5 - 0.49))
    np.testing.assert_allclose(fd.Chi2([1.0, 5.0]).mode(), [np.nan, 3.0])
    np.testing.assert_allclose(fd.Chi(5.0).mode(), 2.0)
    np.testing.assert_allclose(fd.Weibull([0.5, 2.0], 3.0).mode(), [0.0, 3.0 * math.sqrt(0.5)])
    np.testing.assert_allclose(fd.Pareto(2.0, [1.5, 2.0]).mode(), [1.5, 2.0])
    for d in (fd.HalfNormal(2.0), fd.Exponential(3.0)):
        assert float(d.mode()) == 0.0
    for cls in (fd.Cauchy, fd.Laplace, fd.Logistic, fd.Gumbel):
        assert float(cls(0.7, 2.0).mode()) == 0.7
    # the mode maximizes the density
    for d in (fd.Gamma(3.0, 2.0), fd.Beta(3.0, 2.0), fd.InverseGamma(3.0, 2.0),
              fd.LogNormal(0.5, 0.7), fd.Weibull(2.0, 3.0), fd.Chi(5.0), fd.Chi2(5.0)):
        m = float(d.mode())
        assert d.log_prob(m) > d.log_prob(m * (1 + 1e-3)) and d.log_prob(m) > d.log_prob(
            m * (1 - 1e-3)), d.name
    np.testing.assert_allclose(fd.Triangular(-1.0, 2.0, 0.5).mode(), 0.5)
    np.testing.assert_allclose(fd.TruncatedNormal([-3.0, 0.2, 3.0], 1.0, -1.0, 1.0).mode(),
                               [-1.0, 0.2, 1.0])
    np.testing.assert_allclose(fd.Kumaraswamy([0.5, 1.0, 2.0], 1.0).mode(), [np.nan, np.nan, 1.0])
    np.testing.assert_allclose(fd.Gompertz([0.5, 2.0], 2.0).mode(), [math.log(2) / 2, 0.0])
    for d in (fd.VonMises(0.7, 2.0), fd.Moyal(0.7, 2.0), fd.AsymmetricLaplace(0.7, 2.0, 3.0),
              fd.GeneralizedNormal(0.7, 2.0, 3.0), fd.HalfStudentT(3.0, 0.7, 2.0),
              fd.GeneralizedExtremeValue(0.7, 2.0, 0.0)):
        assert float(d.mode()) == 0.7, d.name
    # the mode maximizes the density
    for d in (fd.Kumaraswamy(2.0, 3.0), fd.ExpGamma(3.0, 2.0), fd.Gompertz(0.4, 2.0),
              fd.GeneralizedExtremeValue(0.7, 2.0, 0.4),
              fd.GeneralizedExtremeValue(0.7, 2.0, -0.4)):
        m = float(d.mode())
        assert d.log_prob(m) > d.log_prob(m + 1e-3) and d.log_prob(m) > d.log_prob(m - 1e-3), (
            d.name)
    for d in (fd.Uniform(), fd.SkewNormal(0.0, 1.0, 2.0), fd.Rice(1.0, 1.0)):
        with pytest.raises(NotImplementedError, match=f"{d.name}.mode"):
            d.mode()


# --- reparameterization ----------------------------------------------------------------------


def check_reparam_gradient_fwd(make, theta, f, exact_grad, n=20000, seed=0):
    """As the harness's check_reparam_gradient, by forward mode: one JVP per parameter gives
    every per-sample derivative at once (the harness's jacrev costs one backward pass per
    sample, quadratic for the gamma draws' implicit gradients). 6 Monte Carlo standard errors."""
    theta = np.asarray(theta, dtype=float)

    def per_sample(t):
        return f(make(t).sample((n,), seed=seed))

    for i, exact in enumerate(np.asarray(exact_grad, dtype=float)):
        e = np.zeros_like(theta)
        e[i] = 1.0
        _, d = fluxion.jvp(per_sample, (theta,), (e,))
        d = np.asarray(d)
        est, se = d.mean(), d.std() / math.sqrt(n)
        assert abs(est - exact) <= 6 * se + 1e-10, (i, est, exact, se)


def test_reparameterized_gradients_match_analytic():
    # d/d(a, r) E[X] = d/d(a, r) a / r = (1 / r, -a / r^2)
    check_reparam_gradient_fwd(lambda t: fd.Gamma(t[0], t[1]), [2.5, 1.5], lambda x: x,
                           [1 / 1.5, -2.5 / 1.5**2])
    # E[X] = c1 / (c1 + c0)
    a, b = 2.0, 3.0
    check_reparam_gradient_fwd(lambda t: fd.Beta(t[0], t[1]), [a, b], lambda x: x,
                           [b / (a + b) ** 2, -a / (a + b) ** 2])
    # E[X] = s / (a - 1)
    check_reparam_gradient_fwd(lambda t: fd.InverseGamma(t[0], t[1]), [4.0, 2.0], lambda x: x,
                           [-2.0 / 9.0, 1.0 / 3.0])
    # E[X^2] = 2 / r^2 for the exponential
    check_reparam_gradient_fwd(lambda t: fd.Exponential(t[0]), [1.5], lambda x: x**2,
                           [-4.0 / 1.5**3])
    # Weibull: E[X] = s Gamma(1 + 1/k): d/ds = Gamma(1 + 1/k), d/dk = -s Gamma' / k^2
    k, s = 2.0, 1.5
    g = math.gamma(1 + 1 / k)
    check_reparam_gradient_fwd(lambda t: fd.Weibull(t[0], t[1]), [k, s], lambda x: x,
                           [-s * g * ssp.digamma(1 + 1 / k) / k**2, g])
    # StudentT(df, loc, scale): E[X^2] = loc^2 + scale^2 df / (df - 2)
    df, m, sc = 6.0, 0.5, 1.5
    check_reparam_gradient_fwd(lambda t: fd.StudentT(t[0], t[1], t[2]), [df, m, sc],
                           lambda x: x**2, [-2 * sc**2 / (df - 2) ** 2, 2 * m,
                                            2 * sc * df / (df - 2)])


def test_harness_reparam_gradient_location_scale_families():
    # the harness's jacrev check (one backward pass per draw: small n, no gamma draws)
    # E[X^2] = s^2 for HalfNormal(s); E[X] = m + s * euler_gamma for Gumbel(m, s);
    # E[X^2] = (l^2 + l h + h^2) / 3 for Uniform(l, h)
    check_reparam_gradient(lambda t: fd.HalfNormal(t[0]), [1.5], lambda x: x**2, [3.0], n=2000)
    check_reparam_gradient(lambda t: fd.Gumbel(t[0], t[1]), [0.3, 1.5], lambda x: x,
                           [1.0, np.euler_gamma], n=2000)
    check_reparam_gradient(lambda t: fd.Uniform(t[0], t[1]), [0.3, 1.5], lambda x: x**2,
                           [(2 * 0.3 + 1.5) / 3, (0.3 + 2 * 1.5) / 3], n=2000)


def test_reparameterized_gradients_of_inverse_cdf_and_implicit_families():
    # Kumaraswamy(a, 1): E[X] = a / (a + 1), d/da = 1 / (a + 1)^2
    check_reparam_gradient_fwd(lambda t: fd.Kumaraswamy(t[0], 1.0), [2.0], lambda x: x,
                               [1.0 / 9.0])
    # GeneralizedNormal(m, s, p): E[X^2] = m^2 + s^2 Gamma(3/p) / Gamma(1/p)
    m, s, p = 0.3, 1.2, 1.5
    r = math.gamma(3 / p) / math.gamma(1 / p)
    dr = r * (-3 * ssp.digamma(3 / p) + ssp.digamma(1 / p)) / p**2
    check_reparam_gradient_fwd(lambda t: fd.GeneralizedNormal(t[0], t[1], t[2]), [m, s, p],
                               lambda x: x**2, [2 * m, 2 * s * r, s * s * dr])
    # VonMises(0, k): E[cos X] = I1(k) / I0(k); d/dk = 1 - A/k - A^2 with A = I1/I0
    k = 2.0
    a = ssp.i1e(k) / ssp.i0e(k)
    check_reparam_gradient_fwd(lambda t: fd.VonMises(0.0, t[0]), [k], lambda x: fluxion.numpy
                               .cos(x), [1 - a / k - a * a], n=4000)
    # ExpGamma(a, r): E[Y] = digamma(a) - log r
    check_reparam_gradient_fwd(lambda t: fd.ExpGamma(t[0], t[1]), [2.0, 1.5], lambda x: x,
                               [ssp.polygamma(1, 2.0), -1 / 1.5])


def test_has_rsample():
    for d in (fd.Gamma(1.0, 1.0), fd.Beta(1.0, 1.0), fd.HalfNormal(1.0), fd.Uniform(),
              fd.StudentT(3.0), fd.Pareto(2.0), fd.Weibull(1.0, 1.0)):
        assert d.has_rsample, d.name


# --- KL divergences --------------------------------------------------------------------------

KL_PAIRS = [
    (fd.Gamma(A21, B3), fd.Gamma(2.0, [[0.5], [1.5]])),
    (fd.Gamma(A21, log_rate=np.log(B3)), fd.Gamma(2.0, log_rate=0.4)),
    (fd.Beta(A21, B3), fd.Beta(2.0, [[0.5], [1.5]])),
    (fd.Exponential(P23), fd.Exponential([[0.5], [2.0]])),
    (fd.Laplace(L21, B3), fd.Laplace(0.3, [[0.5], [2.0]])),
    (fd.Uniform(L21, B3 + 0.6), fd.Uniform(-2.0, [[3.5], [4.0]])),
    (fd.LogNormal(L21, B3), fd.LogNormal(0.3, [[0.5], [2.0]])),
    (fd.HalfNormal(P23), fd.HalfNormal([[0.5], [2.0]])),
    (fd.InverseGamma(A21 + 1.0, B3), fd.InverseGamma(2.0, [[0.5], [1.5]])),
    (fd.Chi2(P23 * 2.0), fd.Chi2([[1.5], [4.0]])),
    (fd.Normal(L21, B3), fd.Normal(0.3, [[0.5], [2.0]])),
]


@pytest.mark.parametrize("p,q", KL_PAIRS, ids=[f"{p.name}-{q.name}" for p, q in KL_PAIRS])
def test_kl_matches_monte_carlo(p, q):
    assert fd.kl_divergence(p, q).shape == np.broadcast_shapes(p.batch_shape, q.batch_shape)
    check_kl_monte_carlo(p, q, n=100000)


def test_kl_uniform_is_infinite_outside_and_zero_for_itself():
    assert fd.kl_divergence(fd.Uniform(0.0, 2.0), fd.Uniform(0.5, 3.0)) == np.inf
    assert float(fd.kl_divergence(fd.Uniform(0.0, 2.0), fd.Uniform(0.0, 2.0))) == 0.0
    for p in (fd.Gamma(2.0, 3.0), fd.Beta(2.0, 3.0), fd.InverseGamma(2.0, 3.0)):
        assert abs(float(fd.kl_divergence(p, p))) < 1e-14


# --- families whose moments the harness cannot check ---------------------------------------


def test_von_mises_circular_moments_and_tail_cdf():
    k = np.array([0.5, 4.0, 60.0])
    d = fd.VonMises(0.7, k)
    # TFP's variance: the circular variance 1 - I1(k) / I0(k) = 1 - E[cos(X - loc)]
    np.testing.assert_allclose(d.variance(), 1 - ssp.i1e(k) / ssp.i0e(k), rtol=1e-13)
    np.testing.assert_allclose(d.mean(), 0.7)
    x = np.asarray(d.sample(4000, seed=1))
    assert np.all((x >= -np.pi) & (x <= np.pi))  # wrapped, as TFP
    c = np.cos(x - 0.7)
    se = c.std(0) / math.sqrt(len(c))
    assert np.all(np.abs(c.mean(0) - (1 - np.asarray(d.variance()))) < 6 * se)
    s = np.sin(x - 0.7)
    assert np.all(np.abs(s.mean(0)) < 6 * s.std(0) / math.sqrt(len(s)))
    # the lower tail of the cdf against mpmath (SciPy's own series loses digits there)
    import mpmath as mp

    with mp.workdps(30):
        f = lambda t: mp.exp(10 * (mp.cos(t) - 1))  # noqa: E731
        want = float(mp.quad(f, [-mp.pi, -2]) / mp.quad(f, [-mp.pi, mp.pi]))
    got = float(fd.VonMises(-1.0, 10.0).cdf(-3.0))
    assert abs(got - want) < 1e-9 * want


def test_gompertz_mean_and_logit_normal_median_by_sampling():
    d = fd.Gompertz(np.array([0.3, 2.0]), 1.5)
    x = np.asarray(d.sample(20000, seed=2))
    se = x.std(0) / math.sqrt(len(x))
    assert np.all(np.abs(x.mean(0) - np.asarray(d.mean())) < 6 * se)
    ln = fd.LogitNormal(np.array([-1.0, 2.0]), 0.5)
    np.testing.assert_allclose(ln.quantile(0.5), ssp.expit([-1.0, 2.0]), rtol=1e-15)
    for method in ("mean", "variance", "mode", "entropy"):
        with pytest.raises(NotImplementedError, match=f"LogitNormal.{method}"):
            getattr(ln, method)()
    r = fd.Rice(1.0, 1.0)
    for method in ("cdf", "quantile"):
        with pytest.raises(NotImplementedError, match=f"Rice.{method}"):
            getattr(r, method)(0.5)


# every continuous family's log_prob and its gradient in the first parameter encode for the
# compiled NUTS's tape machine (a model built from them never falls back to the Python NUTS)
_ENCODE_PARAMS = {
    "Normal": (0.0, 1.0), "HalfNormal": (1.0,), "LogNormal": (0.0, 1.0),
    "StudentT": (3.0, 0.0, 1.0), "HalfStudentT": (3.0, 1.0), "Cauchy": (0.0, 1.0),
    "HalfCauchy": (0.0, 1.0), "Laplace": (0.0, 1.0), "Logistic": (0.0, 1.0),
    "Gumbel": (0.0, 1.0), "Exponential": (1.0,), "Gamma": (2.0, 1.0),
    "InverseGamma": (2.0, 1.0), "Chi2": (3.0,), "Chi": (3.0,), "Beta": (2.0, 3.0),
    "Kumaraswamy": (2.0, 3.0), "Uniform": (0.0, 3.0), "Weibull": (2.0, 1.0),
    "Pareto": (2.0, 0.5), "VonMises": (0.0, 2.0), "TruncatedNormal": (0.0, 1.0, -1.0, 2.0),
    "SkewNormal": (0.0, 1.0, 2.0), "GeneralizedNormal": (0.0, 1.0, 1.5),
    "Triangular": (0.0, 1.0, 2.0), "LogitNormal": (0.0, 1.0),
    "AsymmetricLaplace": (0.0, 1.0, 0.5), "ExpGamma": (2.0, 1.0),
    "GeneralizedExtremeValue": (0.0, 1.0, 0.1), "Moyal": (0.0, 1.0), "Gompertz": (1.0, 1.0),
    "Rice": (1.0, 1.0),
}


@pytest.mark.parametrize("name", sorted(_ENCODE_PARAMS))
def test_every_family_log_prob_and_gradient_encode_for_the_compiled_nuts(name):
    from fluxion._src.codegen import tape

    params = _ENCODE_PARAMS[name]
    family = getattr(fd, name)
    x = np.asarray(family(*params).sample((5,), seed=1), dtype=float)

    def log_prob(first):
        return fluxion.numpy.sum(family(first, *params[1:]).log_prob(x))

    for fn in (log_prob, fluxion.grad(log_prob)):
        encoded, why = tape.encode(fluxion.jit(fn, tier=0).lower(params[0]).graph)
        assert encoded is not None, f"{name}: {why}"
