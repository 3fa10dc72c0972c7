"""fluxion.optim.laplace: the Laplace approximation of the seed line-fit posterior and friends."""

import math

import numpy as np
import pytest
import scipy.stats

import fluxion
import fluxion.numpy as fnp
from fluxion._src.demo import line_log_likelihood, simulate_line_data
from fluxion.optim import LaplaceResult, laplace

X, Y = simulate_line_data()
A = np.vander(X, 2)  # columns x, 1: parameters (m, b)
COEF = np.linalg.solve(A.T @ A, A.T @ Y)  # least squares (equal weights)
S_HAT = float(np.sqrt(np.mean((Y - A @ COEF) ** 2)))  # the maximum-likelihood s


def log_posterior_given_s(p, x, y, s):
    """The worksheet likelihood with s fixed and a flat prior on (m, b)."""
    return line_log_likelihood(p["m"], p["b"], s, x, y)


def test_seed_posterior_for_m_and_b_given_s_is_the_analytic_gaussian():
    fit = laplace(log_posterior_given_s, {"m": 0.5, "b": -0.2}, (X, Y, S_HAT))
    assert isinstance(fit, LaplaceResult)
    # dict leaves ravel in sorted order: (b, m)
    order = [1, 0]
    mean = COEF[order]
    cov = S_HAT**2 * np.linalg.inv(A.T @ A)[np.ix_(order, order)]
    np.testing.assert_allclose(fit.mean, mean, rtol=1e-8)
    np.testing.assert_allclose([fit.mode["m"], fit.mode["b"]], COEF, rtol=1e-8)
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-8)
    np.testing.assert_allclose(fit.hessian, np.linalg.inv(cov), rtol=1e-8)
    np.testing.assert_allclose(fit.std["m"], np.sqrt(cov[1, 1]), rtol=1e-8)
    np.testing.assert_allclose(fit.std["b"], np.sqrt(cov[0, 0]), rtol=1e-8)
    peak = line_log_likelihood(COEF[0], COEF[1], S_HAT, X, Y)
    assert fit.log_prob_at_mode == pytest.approx(peak, rel=1e-12)
    # The likelihood is exactly Gaussian in (m, b): the Laplace evidence is exact.
    evidence = peak + math.log(2 * math.pi) + 0.5 * np.linalg.slogdet(cov)[1]
    assert fit.marginal_log_likelihood == pytest.approx(evidence, rel=1e-10)
    # log_prob is the Gaussian's density
    point = {"m": -0.44, "b": 0.05}
    expected = scipy.stats.multivariate_normal(mean, cov).logpdf([0.05, -0.44])
    assert fit.log_prob(point) == pytest.approx(expected, rel=1e-10)


def test_samples_have_the_gaussian_moments():
    fit = laplace(log_posterior_given_s, {"m": 0.5, "b": -0.2}, (X, Y, S_HAT))
    draws = fit.sample(40_000, seed=1)
    assert draws["m"].shape == (40_000,) and draws["b"].shape == (40_000,)
    stacked = np.column_stack([draws["b"], draws["m"]])
    np.testing.assert_allclose(stacked.mean(axis=0), fit.mean, atol=4 * fit.std["m"] / 100)
    sd = np.sqrt(np.diag(fit.covariance))
    np.testing.assert_allclose(
        np.cov(stacked.T) / np.outer(sd, sd), fit.covariance / np.outer(sd, sd), atol=0.03
    )
    again = fit.sample(5, seed=np.random.default_rng(1))
    np.testing.assert_array_equal(again["m"], draws["m"][:5])
    batch = fit.log_prob({"m": draws["m"][:3], "b": draws["b"][:3]})
    assert batch.shape == (3,)
    assert batch[0] == pytest.approx(fit.log_prob({"m": draws["m"][0], "b": draws["b"][0]}))


def test_array_parameters():
    fit = laplace(
        lambda theta, x, y: line_log_likelihood(theta[0], theta[1], S_HAT, x, y),
        np.zeros(2),
        (X, Y),
    )
    np.testing.assert_allclose(fit.mean, COEF, rtol=1e-8)
    np.testing.assert_allclose(fit.covariance, S_HAT**2 * np.linalg.inv(A.T @ A), rtol=1e-8)
    assert fit.sample(7, seed=0).shape == (7, 2)


def test_positive_constraint_on_s():
    def log_like(p, x, y):
        return line_log_likelihood(p["m"], p["b"], p["s"], x, y)

    fit = laplace(log_like, {"m": 0.5, "b": -0.2, "s": 0.3}, (X, Y), constraints={"s": "positive"})

    # In u = log s the density is log_like(exp u) + u: the same as the worksheet's log s model
    # with a flat prior on log s, plus u.
    def by_hand(theta):
        return -(line_log_likelihood(theta[1], theta[0], fnp.exp(theta[2]), X, Y) + theta[2])

    np.testing.assert_allclose(
        fit.hessian, fluxion.hessian(by_hand)(fit.mean), rtol=1e-10, atol=1e-9
    )
    assert np.max(np.abs(fluxion.grad(by_hand)(fit.mean))) < 1e-8
    # the mode of p(log s) is at s^2 = RSS / (N - 1)
    rss = np.sum((Y - A @ COEF) ** 2)
    assert fit.mode["s"] == pytest.approx(np.sqrt(rss / (len(X) - 1)), rel=1e-8)
    np.testing.assert_allclose([fit.mode["m"], fit.mode["b"]], COEF, rtol=1e-8)
    # std of s by the delta method: s * std(log s), and std(log s) = 1 / sqrt(2 (N - 1))
    assert fit.std_unconstrained["s"] == pytest.approx(1 / np.sqrt(2 * (len(X) - 1)), rel=1e-8)
    assert fit.std["s"] == pytest.approx(fit.mode["s"] * fit.std_unconstrained["s"], rel=1e-12)
    assert 0.005 < fit.std["s"] < 0.02
    draws = fit.sample(10_000, seed=0)
    assert np.all(draws["s"] > 0)
    assert np.median(draws["s"]) == pytest.approx(fit.mode["s"], rel=0.01)


def test_interval_constraint_recovers_the_beta_mode():
    a, b = 3.0, 5.0

    def log_beta(p):
        return (a - 1) * fnp.log(p) + (b - 1) * fnp.log(1 - p)

    fit = laplace(log_beta, 0.5, constraints=("interval", 0.0, 1.0))
    # in u = logit p the density is Beta(p) p (1 - p), with mode p = a / (a + b)
    assert float(fit.mode) == pytest.approx(a / (a + b), rel=1e-9)
    assert fit.hessian[0, 0] == pytest.approx(a * b / (a + b), rel=1e-9)
    draws = fit.sample(2000, seed=3)
    assert draws.shape == (2000,) and np.all((draws > 0) & (draws < 1))
    shifted = laplace(lambda q: log_beta((q - 2.0) / 3.0), 3.0, constraints=("interval", 2.0, 5.0))
    assert float(shifted.mode) == pytest.approx(2.0 + 3.0 * a / (a + b), rel=1e-9)
    # log_prob is a density in the constrained space (Jacobian included): it integrates to 1.
    grid = np.linspace(1e-7, 1 - 1e-7, 200_001)
    assert np.trapezoid(np.exp(fit.log_prob(grid)), grid) == pytest.approx(1.0, rel=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="laplace: the Hessian at the mode is not positive"):
        laplace(lambda v: -((v[0] - v[1]) ** 2), np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="'x' is outside its constraint 'positive'"):
        laplace(lambda v: -(v**2), -1.0, constraints="positive")
    with pytest.raises(ValueError, match="unknown constraint 'postive'"):
        laplace(lambda p: -(p["a"] ** 2), {"a": 1.0}, constraints={"a": "postive"})
    with pytest.raises(ValueError, match="name 'c', which is not a parameter.*'a'"):
        laplace(lambda p: -(p["a"] ** 2), {"a": 1.0}, constraints={"c": "positive"})
