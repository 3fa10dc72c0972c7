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
                            methods=case.methods, moments=case.moments)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sampling_moments_and_dkw(case):
    params = case.sample_params if case.sample_params is not None else case.params
    d = case.make(*params)
    with np.errstate(all="ignore"):
        check_sampling(d, check_moments=case.check_moments)


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
]


@pytest.mark.parametrize("d,name,lo,hi", SUPPORTS, ids=[s[0].name for s in SUPPORTS])
def test_support_and_default_bijector_map_the_real_line_into_the_support(d, name, lo, hi):
    assert d.support.name == name
    u = np.linspace(-6.0, 6.0, 13)
    y = np.asarray(d.default_bijector.forward(u))
    assert np.all(y >= lo) and np.all(y <= hi) and np.all(np.diff(y) > 0)
    assert np.all(np.isfinite(np.asarray(d.log_prob(y))))
    np.testing.assert_allclose(d.default_bijector.inverse(y), u, rtol=1e-9, atol=1e-9)


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
    with pytest.raises(NotImplementedError, match="Uniform.mode"):
        fd.Uniform().mode()


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
