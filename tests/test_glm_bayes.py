"""fluxion.glm.bayesian_model: a GLM posterior that the samplers and optimizers take directly.

Oracles: the exact Gaussian posterior of a normal linear model with a normal prior (conjugate);
the penalised IRLS fit (a N(0, tau^2) prior is the ridge l2 = 1 / (2 tau^2), so the MAP and the
Laplace approximation's covariance equal glm.fit's coefficients and standard errors); the
asymptotic normality of the posterior around the IRLS estimate for large n; scipy.stats for the
pointwise log-likelihood.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats

import fluxion.distributions as fd
from fluxion import glm, mcmc, optim


def _design(n, p, seed):
    rng = np.random.default_rng(seed)
    return np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))]), rng


def _sample(model, seed=1, draws=300):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # R-hat notices on short runs are not under test
        return mcmc.sample(model, chains=2, draws=draws, warmup=300, seed=seed, progress=False)


def test_conjugate_normal_posterior():
    """y ~ N(X b, s^2), b ~ N(0, tau^2 I): posterior N(S X^T y / s^2, S), S = (X^T X / s^2 +
    I / tau^2)^-1 exactly; sampled moments within Monte Carlo error, Laplace to 1e-6."""
    x, rng = _design(60, 3, seed=0)
    s, tau = 1.3, 2.0
    y = x @ np.array([0.5, -1.0, 2.0]) + s * rng.normal(size=60)
    cov = np.linalg.inv(x.T @ x / s**2 + np.eye(3) / tau**2)
    mean = cov @ (x.T @ y) / s**2
    sd = np.sqrt(np.diag(cov))
    model = glm.bayesian_model(x, y, glm.Normal(s), prior=fd.Normal(0.0, tau))
    lap = optim.laplace(model)
    np.testing.assert_allclose(lap.mode["coefficients"], mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(lap.std["coefficients"], sd, rtol=1e-6)
    res = _sample(model)
    draws = res.draws["coefficients"]
    assert draws.shape == (2, 300, 3)
    # ~600 effective draws: the mean's Monte Carlo error is ~0.04 sd; 0.25 sd is ~6 of them
    assert np.all(np.abs(draws.mean(axis=(0, 1)) - mean) < 0.25 * sd)
    np.testing.assert_allclose(draws.std(axis=(0, 1)), sd, rtol=0.2)


def test_map_and_laplace_equal_ridge_fit():
    """Normal(0, tau) prior on a logistic GLM: the MAP is glm.fit with l2 = 1 / (2 tau^2), and
    the Laplace covariance is the inverse penalised Fisher information (canonical link)."""
    x, rng = _design(200, 3, seed=2)
    y = (rng.random(200) < 1.0 / (1.0 + np.exp(-(x @ [0.3, 1.0, -0.7])))).astype(float)
    tau = 0.8
    model = glm.bayesian_model(x, y, glm.Bernoulli(), prior=fd.Normal(0.0, tau))
    ridge = glm.fit(x, y, glm.Bernoulli(), l2_regularizer=1.0 / (2.0 * tau**2))
    lap = optim.laplace(model)
    np.testing.assert_allclose(lap.mode["coefficients"], ridge.coefficients, rtol=1e-6)
    np.testing.assert_allclose(lap.std["coefficients"], ridge.standard_errors, rtol=1e-5)


def test_flat_prior_posterior_near_irls_for_large_n():
    """Bernstein-von Mises: with n = 2000 the posterior is ~ N(MLE, inverse Fisher information)."""
    x, rng = _design(2000, 3, seed=3)
    y = rng.poisson(np.exp(x @ [0.5, 0.3, -0.2])).astype(float)
    model = glm.bayesian_model(x, y, glm.Poisson())
    mle = glm.fit(x, y, glm.Poisson())
    res = _sample(model, seed=4)
    draws = res.draws["coefficients"]
    assert np.all(np.abs(draws.mean(axis=(0, 1)) - mle.coefficients)
                  < 0.25 * mle.standard_errors)
    np.testing.assert_allclose(draws.std(axis=(0, 1)), mle.standard_errors, rtol=0.2)
    # the chains start at the IRLS estimate: no init needed
    np.testing.assert_allclose(model.__fluxion_model__().init["coefficients"],
                               mle.coefficients)
    # the pointwise log-likelihood of one draw, by scipy
    ll = res.log_likelihood["y"]
    assert ll.shape == (2, 300, 2000)
    b = draws[1, 17]
    np.testing.assert_allclose(ll[1, 17], scipy.stats.poisson.logpmf(y, np.exp(x @ b)),
                               rtol=1e-10)


def test_dispersion_prior_samples_the_scale_and_loo_works():
    x, rng = _design(400, 2, seed=5)
    y = x @ [1.0, 2.0] + 1.5 * rng.normal(size=400)
    model = glm.bayesian_model(x, y, glm.Normal(), prior=fd.Normal(0.0, 10.0),
                               dispersion_prior=fd.HalfNormal(5.0))
    assert model.names == ["coefficients", "scale"]
    ols = glm.fit(x, y, glm.Normal())
    # the start is the IRLS fit and sqrt of its Pearson dispersion (the OLS residual sd)
    spec = model.__fluxion_model__()
    np.testing.assert_allclose(spec.init["scale"], np.sqrt(ols.dispersion), rtol=1e-12)
    res = _sample(model, seed=6)
    scale = res.draws["scale"]
    assert np.all(scale > 0)
    # n = 400: sd(scale) ~ 1.5 / sqrt(800) ~ 0.05; the posterior mean is within a few of it
    assert abs(scale.mean() - np.sqrt(ols.dispersion)) < 0.05
    np.testing.assert_allclose(res.draws["coefficients"].mean(axis=(0, 1)), ols.coefficients,
                               atol=0.3 * ols.standard_errors.max())
    # the log-likelihood of one draw uses that draw's scale
    b, s = res.draws["coefficients"][0, 5], scale[0, 5]
    np.testing.assert_allclose(res.log_likelihood["y"][0, 5],
                               scipy.stats.norm.logpdf(y, x @ b, s), rtol=1e-10)
    az = pytest.importorskip("arviz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = az.loo(res.to_arviz())
    assert np.isfinite(loo.elpd_loo)


def test_weights_and_offset_in_the_log_density():
    x, rng = _design(50, 2, seed=7)
    y = rng.poisson(2.0, size=50).astype(float)
    counts = rng.integers(0, 3, size=50)
    off = rng.normal(size=50) * 0.1
    b = np.array([0.4, -0.2])
    weighted = glm.bayesian_model(x, y, glm.Poisson(), prior=fd.Normal(0.0, 3.0),
                                  weights=counts, offset=off)
    repeated = glm.bayesian_model(np.repeat(x, counts, axis=0), np.repeat(y, counts),
                                  glm.Poisson(), prior=fd.Normal(0.0, 3.0),
                                  offset=np.repeat(off, counts))
    np.testing.assert_allclose(weighted.log_prob({"coefficients": b}),
                               repeated.log_prob({"coefficients": b}), rtol=1e-12)
    expected = (counts * scipy.stats.poisson.logpmf(y, np.exp(x @ b + off))).sum() \
        + scipy.stats.norm.logpdf(b, 0.0, 3.0).sum()
    np.testing.assert_allclose(weighted.log_prob({"coefficients": b}), expected, rtol=1e-12)


def test_bayesian_model_bad_input():
    x, _ = _design(10, 3, seed=0)
    y = np.array([0, 1] * 5, dtype=float)
    with pytest.raises(TypeError, match="glm.bayesian_model: expected prior to be a fluxion "
                                        "distribution"):
        glm.bayesian_model(x, y, glm.Bernoulli(), prior=scipy.stats.norm(0, 1))
    with pytest.raises(ValueError, match=r"glm.bayesian_model: expected a prior of batch shape "
                                         r"\(\) or \(3,\).*got batch shape \(2,\)"):
        glm.bayesian_model(x, y, glm.Bernoulli(), prior=fd.Normal(np.zeros(2), 1.0))
    with pytest.raises(ValueError, match="glm.bayesian_model: .*Poisson.*has no free "
                                         "dispersion parameter"):
        glm.bayesian_model(x, y, glm.Poisson(), dispersion_prior=fd.HalfNormal(1.0))
    with pytest.raises(ValueError, match="glm.bayesian_model: expected response values in the "
                                         "support of Bernoulli"):
        glm.bayesian_model(x, y + 1.0, glm.Bernoulli())
    with pytest.raises(ValueError, match=r"glm.bayesian_model: expected response of shape"):
        glm.bayesian_model(x, y[:4], glm.Bernoulli())
    model = glm.bayesian_model(x, y, glm.Bernoulli(), prior=fd.Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="log_prob: missing values for 'coefficients'"):
        model.log_prob({"b": np.zeros(3)})
