"""fluxion.glm: families, fit (Fisher scoring) and fit_sparse (elastic-net proximal Newton).

Oracles: scipy.stats for the log-likelihoods; scipy.optimize (trust-exact on a negative
log-likelihood written here by hand with fluxion.numpy, its derivatives from fluxion.grad/hessian)
for the fits; the score equations and the KKT conditions at the solutions; L-BFGS-B on the split
``b = b+ - b-`` formulation for the elastic net; statsmodels where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import scipy.stats

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fsp
from fluxion import glm

RNG_SEED = 1234


def _design(n: int, p: int, seed: int = RNG_SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])


# ------------------------------------------------------------------------------------------
# cases: (name, family, true coefficients, response sampler, hand-written pointwise NLL(eta, y))
# ------------------------------------------------------------------------------------------
def _bern(eta):
    return (1.0 / (1.0 + np.exp(-eta)))


CASES = {
    "bernoulli": (
        lambda: glm.Bernoulli(), [0.3, 1.0, -0.7],
        lambda rng, eta: (rng.random(eta.shape) < _bern(eta)).astype(float),
        lambda eta, y: (fnp.logaddexp(0.0, eta) - y * eta),
    ),
    "probit": (
        lambda: glm.BernoulliNormalCDF(), [0.2, 0.8, -0.5],
        lambda rng, eta: (rng.random(eta.shape) < scipy.stats.norm.cdf(eta)).astype(float),
        lambda eta, y: -(y * fsp.log_ndtr(eta) + (1.0 - y) * fsp.log_ndtr(-eta)),
    ),
    "binomial": (
        lambda: glm.Binomial(7.0), [-0.2, 0.6, 0.4],
        lambda rng, eta: rng.binomial(7, _bern(eta)).astype(float),
        lambda eta, y: (7.0 * fnp.logaddexp(0.0, eta) - y * eta),
    ),
    "poisson": (
        lambda: glm.Poisson(), [0.5, 0.4, -0.3],
        lambda rng, eta: rng.poisson(np.exp(eta)).astype(float),
        lambda eta, y: (fnp.exp(eta) - y * eta),
    ),
    "poisson_softplus": (
        lambda: glm.PoissonSoftplus(), [1.0, 0.8, -0.5],
        lambda rng, eta: rng.poisson(np.logaddexp(0.0, eta)).astype(float),
        lambda eta, y: (fnp.logaddexp(0.0, eta) - y * fnp.log(fnp.logaddexp(0.0, eta))),
    ),
    "normal": (
        lambda: glm.Normal(1.5), [1.0, 2.0, -1.0],
        lambda rng, eta: eta + 1.5 * rng.normal(size=eta.shape),
        lambda eta, y: ((y - eta) ** 2) / (2.0 * 1.5**2),
    ),
    "gamma": (
        lambda: glm.Gamma(3.0), [0.5, 0.3, -0.4],
        lambda rng, eta: rng.gamma(3.0, np.exp(eta) / 3.0),
        lambda eta, y: (3.0 * (y * fnp.exp(-eta) + eta)),
    ),
    "gamma_inverse": (
        lambda: glm.Gamma(3.0, link="inverse"), [1.0, 0.1, -0.1],
        lambda rng, eta: rng.gamma(3.0, 1.0 / eta / 3.0),
        # mu = 1 / eta: k (y / mu + log mu) = k (y eta - log eta)
        lambda eta, y: (3.0 * (y * eta - fnp.log(eta))),
    ),
    "inverse_gaussian": (
        lambda: glm.InverseGaussian(2.0), [0.2, 0.3, -0.2],
        lambda rng, eta: rng.wald(np.exp(eta), 2.0),
        lambda eta, y: (2.0 * (y - fnp.exp(eta)) ** 2 / (2.0 * fnp.exp(2.0 * eta) * y)),
    ),
    "negative_binomial": (
        lambda: glm.NegativeBinomial(2.5), [0.7, 0.5, -0.3],
        lambda rng, eta: rng.negative_binomial(2.5, 2.5 / (2.5 + np.exp(eta))).astype(float),
        lambda eta, y: -(y * eta - (y + 2.5) * fnp.log(fnp.exp(eta) + 2.5)),
    ),
}


def _case(name: str, n: int = 300):
    make, beta, sampler, nll = CASES[name]
    x = _design(n, len(beta))
    rng = np.random.default_rng(RNG_SEED + 1)
    y = sampler(rng, x @ np.asarray(beta))
    return make(), x, y, nll, np.asarray(beta)


def _scipy_fit(x, y, nll, beta0, l2=0.0, weights=None, offset=None):
    """trust-exact on the hand-written NLL (+ l2 ||b||^2); derivatives by fluxion AD."""
    w = np.ones(len(y)) if weights is None else weights
    off = 0.0 if offset is None else offset

    def f(b):
        eta = x @ b + off
        return fnp.sum(w * nll(eta, y)) + l2 * fnp.sum(b * b)

    fun = lambda b: float(f(b))
    jac = lambda b: np.asarray(fluxion.grad(f)(b))
    hess = lambda b: np.asarray(fluxion.hessian(f)(b))
    res = scipy.optimize.minimize(fun, beta0, jac=jac, hess=hess, method="trust-exact",
                                  options={"gtol": 1e-12, "maxiter": 500})
    b = res.x
    for _ in range(3):  # trust-exact may stop early on rounding; polish with plain Newton
        b = b - np.linalg.solve(hess(b), jac(b))
    return b, hess(b)


# ------------------------------------------------------------------------------------------
# families
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_family_derivatives_and_score_identity(name):
    """dmu/deta vs central differences; d log p / d eta = (y - mu) / Var * dmu/deta (by AD)."""
    family, x, y, _, beta = _case(name, n=40)
    eta = x @ beta
    mu, var, dmu = (np.asarray(a) for a in family.moments(eta))
    h = 1e-6
    fd = (np.asarray(family.mean(eta + h)) - np.asarray(family.mean(eta - h))) / (2 * h)
    np.testing.assert_allclose(dmu, fd, rtol=1e-7, atol=1e-10)
    trials = getattr(family, "total_count", 1.0) if name == "binomial" else 1.0
    np.testing.assert_allclose(mu, trials * family.link.inverse(eta), rtol=1e-14)
    np.testing.assert_allclose(family.link.link(np.asarray(family.link.inverse(eta))), eta,
                               rtol=1e-9, atol=1e-9)
    dlp = np.asarray(fluxion.elementwise_grad(lambda e: family.log_prob(y, e))(eta))
    np.testing.assert_allclose(dlp, (y - mu) / var * dmu, rtol=1e-9, atol=1e-12)
    assert np.all(var > 0)


def test_family_log_prob_matches_scipy():
    rng = np.random.default_rng(0)
    eta = rng.normal(size=6) * 0.5
    mu = np.exp(eta)
    yb = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    p = _bern(eta)
    np.testing.assert_allclose(glm.Bernoulli().log_prob(yb, eta),
                               scipy.stats.bernoulli.logpmf(yb, p), rtol=1e-12)
    np.testing.assert_allclose(glm.BernoulliNormalCDF().log_prob(yb, eta),
                               scipy.stats.bernoulli.logpmf(yb, scipy.stats.norm.cdf(eta)),
                               rtol=1e-12)
    yc = np.array([0.0, 3.0, 5.0, 1.0, 2.0, 7.0])
    np.testing.assert_allclose(glm.Binomial(7.0).log_prob(yc, eta),
                               scipy.stats.binom.logpmf(yc, 7, p), rtol=1e-12)
    np.testing.assert_allclose(glm.Poisson().log_prob(yc, eta),
                               scipy.stats.poisson.logpmf(yc, mu), rtol=1e-12)
    np.testing.assert_allclose(glm.NegativeBinomial(2.5).log_prob(yc, eta),
                               scipy.stats.nbinom.logpmf(yc, 2.5, 2.5 / (2.5 + mu)), rtol=1e-11)
    yr = np.array([0.3, 1.2, 2.5, 0.7, 1.0, 4.0])
    np.testing.assert_allclose(glm.Normal(1.5).log_prob(yr, eta),
                               scipy.stats.norm.logpdf(yr, eta, 1.5), rtol=1e-12)
    np.testing.assert_allclose(glm.Gamma(3.0).log_prob(yr, eta),
                               scipy.stats.gamma.logpdf(yr, 3.0, scale=mu / 3.0), rtol=1e-12)
    # scipy's invgauss(mu / lam, scale=lam) has mean mu and shape lam
    np.testing.assert_allclose(glm.InverseGaussian(2.0).log_prob(yr, eta),
                               scipy.stats.invgauss.logpdf(yr, mu / 2.0, scale=2.0), rtol=1e-11)


def test_family_variances():
    mu = np.array([0.2, 1.5, 3.0])
    np.testing.assert_allclose(glm.Gamma(2.0).variance(mu), mu**2 / 2.0)
    np.testing.assert_allclose(glm.InverseGaussian(4.0).variance(mu), mu**3 / 4.0)
    np.testing.assert_allclose(glm.NegativeBinomial(2.0).variance(mu), mu + mu**2 / 2.0)
    np.testing.assert_allclose(glm.Poisson().variance(mu), mu)
    np.testing.assert_allclose(glm.Normal(3.0).variance(mu), [9.0, 9.0, 9.0])
    assert glm.Poisson(link="identity").link.name == "identity"
    assert repr(glm.Bernoulli(link="cloglog")) == "Bernoulli(link='cloglog')"


# ------------------------------------------------------------------------------------------
# fit
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_matches_scipy_and_score_equations(name):
    family, x, y, nll, beta = _case(name)
    # the inverse Hessian of the NLL below is at the family's own dispersion
    res = glm.fit(x, y, family, dispersion="family")
    assert res.is_converged and res.iter < 30
    start = beta if name == "gamma_inverse" else np.zeros_like(beta)
    b_ref, hess = _scipy_fit(x, y, nll, start)
    np.testing.assert_allclose(res.coefficients, b_ref, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.linear_response, x @ res.coefficients, rtol=1e-12)
    # score equations: X^T (y - mu) / (V(mu) g'(mu)) = 0, g' of the link by central differences
    mu = np.asarray(family.mean(res.linear_response))
    h = 1e-6 * np.maximum(np.abs(mu), 1e-3)
    mu_lo, mu_hi = mu - h, mu + h
    if family.link.name in ("logit", "probit"):
        scale = getattr(family, "total_count", 1.0)
        mu_lo, mu_hi, h = mu_lo / scale, mu_hi / scale, h / scale
        gprime = (family.link.link(mu_hi) - family.link.link(mu_lo)) / (2 * h) / scale
    else:
        gprime = (family.link.link(mu_hi) - family.link.link(mu_lo)) / (2 * h)
    score = x.T @ ((y - mu) / (np.asarray(family.variance(mu)) * gprime))
    scale_ref = np.abs(x).T @ np.abs((y - mu) / (np.asarray(family.variance(mu)) * gprime))
    assert np.all(np.abs(score) <= 1e-6 * scale_ref), score
    # standard errors: inverse of the observed information at the optimum equals the inverse
    # Fisher information for canonical links; compare generally within the data's noise
    se_hessian = np.sqrt(np.diag(np.linalg.inv(hess)))
    if name in ("bernoulli", "binomial", "poisson", "normal"):
        np.testing.assert_allclose(res.standard_errors, se_hessian, rtol=1e-7)
    else:
        np.testing.assert_allclose(res.standard_errors, se_hessian, rtol=0.25)
    # the log-likelihood is the family's, summed
    np.testing.assert_allclose(res.log_likelihood,
                               float(np.sum(family.log_prob(y, res.linear_response))))


def test_fit_unpacks_as_tfp():
    family, x, y, _, _ = _case("poisson", n=100)
    coeffs, linear_response, is_converged, num_iter = glm.fit(x, y, family)
    assert coeffs.shape == (3,) and linear_response.shape == (100,)
    assert is_converged and isinstance(num_iter, int)


def test_fit_weights_equal_repeated_rows_and_offset():
    family, x, y, nll, _ = _case("poisson", n=120)
    counts = np.random.default_rng(5).integers(0, 4, size=120)
    res_w = glm.fit(x, y, family, weights=counts.astype(float))
    res_r = glm.fit(np.repeat(x, counts, axis=0), np.repeat(y, counts), family)
    np.testing.assert_allclose(res_w.coefficients, res_r.coefficients, rtol=1e-9)
    np.testing.assert_allclose(res_w.standard_errors, res_r.standard_errors, rtol=1e-9)
    np.testing.assert_allclose(res_w.log_likelihood, res_r.log_likelihood, rtol=1e-10)
    # an offset log(exposure) equals the scipy fit with the same offset
    exposure = np.random.default_rng(6).uniform(0.5, 2.0, size=120)
    res_o = glm.fit(x, y, family, offset=np.log(exposure))
    b_ref, _ = _scipy_fit(x, y, nll, np.zeros(3), offset=np.log(exposure))
    np.testing.assert_allclose(res_o.coefficients, b_ref, rtol=1e-8)
    np.testing.assert_allclose(res_o.linear_response, x @ b_ref + np.log(exposure), rtol=1e-8)


def test_fit_l2_matches_scipy():
    family, x, y, nll, _ = _case("bernoulli")
    res = glm.fit(x, y, family, l2_regularizer=3.0)
    b_ref, hess = _scipy_fit(x, y, nll, np.zeros(3), l2=3.0)
    np.testing.assert_allclose(res.coefficients, b_ref, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.standard_errors, np.sqrt(np.diag(np.linalg.inv(hess))),
                               rtol=1e-7)


def test_fit_rank_deficient_warns_and_fits():
    family, x, y, _, _ = _case("poisson", n=150)
    x_dup = np.column_stack([x, x[:, 1]])
    with pytest.warns(glm.GLMRankWarning, match="glm.fit"):
        res = glm.fit(x_dup, y, family)
    full = glm.fit(x, y, family)
    np.testing.assert_allclose(res.linear_response, full.linear_response, rtol=1e-8)
    np.testing.assert_allclose(res.coefficients[1], res.coefficients[3], rtol=1e-8)


def test_fit_separable_data_does_not_converge_cleanly():
    # perfectly separated logistic data: the MLE does not exist; fit stops at max_iterations
    x = np.column_stack([np.ones(20), np.linspace(-1, 1, 20)])
    y = (x[:, 1] > 0).astype(float)
    res = glm.fit(x, y, glm.Bernoulli(), max_iterations=8)
    assert not res.is_converged and res.iter == 8
    assert np.all(np.isfinite(res.coefficients))


@pytest.mark.filterwarnings("ignore:The InversePower link function does not respect")
def test_fit_matches_statsmodels():
    """Coefficients, standard errors and dispersion equal statsmodels' defaults to 1e-8.

    statsmodels estimates the dispersion (Pearson chi^2 / df) for Gaussian, Gamma and inverse
    Gaussian and fixes it at 1 for the others; so does glm.fit by default.
    """
    sm = pytest.importorskip("statsmodels.api")
    fams, links = sm.families, sm.families.links
    cases = (
        ("bernoulli", fams.Binomial(), None),
        ("probit", fams.Binomial(links.Probit()), None),
        ("poisson", fams.Poisson(), None),
        ("gamma", fams.Gamma(links.Log()), 1.0 / 3.0),
        ("gamma_inverse", fams.Gamma(links.InversePower()), 1.0 / 3.0),
        ("inverse_gaussian", fams.InverseGaussian(links.Log()), 1.0 / 2.0),
        ("negative_binomial", fams.NegativeBinomial(alpha=1.0 / 2.5), None),
        ("normal", fams.Gaussian(), 1.5**2),
    )
    for name, fam, given in cases:
        family, x, y, _, _ = _case(name)
        res = glm.fit(x, y, family)
        ref = sm.GLM(y, x, family=fam).fit(tol=1e-13)
        np.testing.assert_allclose(res.coefficients, ref.params, rtol=1e-8, err_msg=name)
        np.testing.assert_allclose(res.standard_errors, ref.bse, rtol=1e-8, err_msg=name)
        np.testing.assert_allclose(res.dispersion, ref.scale, rtol=1e-8, err_msg=name)
        if given is not None:
            # the free dispersion was estimated, not the family's
            assert abs(res.dispersion / given - 1.0) > 1e-3, name
            # the family's own dispersion equals statsmodels' scale=<that value>
            res_f = glm.fit(x, y, family, dispersion="family")
            ref_f = sm.GLM(y, x, family=fam).fit(tol=1e-13, scale=given)
            np.testing.assert_allclose(res_f.standard_errors, ref_f.bse, rtol=1e-8, err_msg=name)
            assert res_f.dispersion == pytest.approx(given, rel=1e-14)
    # weights and offsets: statsmodels' freq_weights and offset
    family, x, y, _, _ = _case("poisson")
    rng = np.random.default_rng(9)
    w = rng.integers(1, 4, size=len(y)).astype(float)
    off = rng.normal(size=len(y)) * 0.2
    res = glm.fit(x, y, family, weights=w, offset=off)
    ref = sm.GLM(y, x, family=fams.Poisson(), freq_weights=w, offset=off).fit(tol=1e-13)
    np.testing.assert_allclose(res.coefficients, ref.params, rtol=1e-8)
    np.testing.assert_allclose(res.standard_errors, ref.bse, rtol=1e-8)
    np.testing.assert_allclose(res.log_likelihood, ref.llf, rtol=1e-10)
    # quasi-Poisson (Pearson dispersion forced) = statsmodels' scale="X2", with weights and offset
    res = glm.fit(x, y, family, weights=w, offset=off, dispersion="pearson")
    ref = sm.GLM(y, x, family=fams.Poisson(), freq_weights=w, offset=off).fit(tol=1e-13,
                                                                             scale="X2")
    np.testing.assert_allclose(res.standard_errors, ref.bse, rtol=1e-8)
    np.testing.assert_allclose(res.dispersion, ref.scale, rtol=1e-8)
    # Gamma with frequency weights: df = sum(w) - p, as statsmodels
    family, x, y, _, _ = _case("gamma")
    res = glm.fit(x, y, family, weights=w, offset=off)
    ref = sm.GLM(y, x, family=fams.Gamma(links.Log()), freq_weights=w, offset=off).fit(tol=1e-13)
    np.testing.assert_allclose(res.coefficients, ref.params, rtol=1e-8)
    np.testing.assert_allclose(res.standard_errors, ref.bse, rtol=1e-8)
    np.testing.assert_allclose(res.dispersion, ref.scale, rtol=1e-8)
    # a given dispersion: statsmodels' scale=<float>
    res = glm.fit(x, y, family, dispersion=0.7)
    ref = sm.GLM(y, x, family=fams.Gamma(links.Log())).fit(tol=1e-13, scale=0.7)
    np.testing.assert_allclose(res.standard_errors, ref.bse, rtol=1e-8)
    assert res.dispersion == 0.7


def test_fit_dispersion_pearson_by_hand():
    """Pearson's chi^2 / (n - p) written out, and the standard errors it scales (no oracle lib)."""
    family, x, y, _, _ = _case("normal")
    res = glm.fit(x, y, family)
    n, p = x.shape
    resid = y - res.linear_response
    sigma2 = float(resid @ resid) / (n - p)  # the OLS residual variance
    assert res.dispersion == pytest.approx(sigma2, rel=1e-12)
    cov = sigma2 * np.linalg.inv(x.T @ x)  # the OLS covariance
    np.testing.assert_allclose(res.standard_errors, np.sqrt(np.diag(cov)), rtol=1e-10)
    # the families without a free dispersion report the family's (1) by default
    family, x, y, _, _ = _case("poisson")
    assert glm.fit(x, y, family).dispersion == 1.0
    assert glm.Gamma(4.0).dispersion == 0.25 and glm.Normal(2.0).dispersion == 4.0
    # rank deficiency: df = n - rank(X), not n - p
    family, x, y, _, _ = _case("normal", n=60)
    x_dup = np.column_stack([x, x[:, 1]])
    with pytest.warns(glm.GLMRankWarning):
        res_dup = glm.fit(x_dup, y, family)
    assert res_dup.dispersion == pytest.approx(glm.fit(x, y, family).dispersion, rel=1e-8)
    # no residual degrees of freedom: nan with a warning, not a silent nan
    with pytest.warns(RuntimeWarning, match="glm.fit: no residual degrees of freedom"):
        res = glm.fit(x[:3], y[:3], family)
    assert np.isnan(res.dispersion) and np.all(np.isnan(res.standard_errors))
    with pytest.raises(ValueError, match="glm.fit: expected dispersion to be None, 'pearson'"):
        glm.fit(x, y, family, dispersion="deviance")
    with pytest.raises(ValueError, match="glm.fit: expected dispersion > 0, got -1"):
        glm.fit(x, y, family, dispersion=-1.0)


# ------------------------------------------------------------------------------------------
# fit_sparse
# ------------------------------------------------------------------------------------------
def test_fit_sparse_matches_statsmodels_fit_regularized():
    # statsmodels minimises -loglik / n + alpha (r |b|_1 + (1 - r) |b|^2 / 2): l1 = n alpha r,
    # l2 = n alpha (1 - r) / 2 (the mapping fit_sparse's docstring states)
    sm = pytest.importorskip("statsmodels.api")
    family, x, y, _, _ = _case("poisson")
    x = np.column_stack([x, np.random.default_rng(4).normal(size=(len(y), 3))])
    n = len(y)
    alpha, r = 0.02, 0.6
    ref = sm.GLM(y, x, family=sm.families.Poisson()).fit_regularized(
        alpha=alpha, L1_wt=r, cnvrg_tol=1e-14, maxiter=2000)
    res = glm.fit_sparse(x, y, family, n * alpha * r, n * alpha * (1 - r) / 2)
    assert np.any(res.coefficients == 0.0)
    np.testing.assert_allclose(res.coefficients, ref.params, rtol=0, atol=1e-6)


def _kkt(family, x, y, res, l1, l2):
    mu, var, dmu = (np.asarray(a) for a in family.moments(res.linear_response))
    # gradient of the smooth part: -X^T (y - mu) dmu / var + 2 l2 b
    g = -x.T @ ((y - mu) * dmu / var) + 2.0 * l2 * res.coefficients
    b = res.coefficients
    zero = b == 0.0
    return g, zero


def _sparse_problem(family_name="bernoulli", n=400, p=12, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[[0, 3, 7]] = [1.5, -1.0, 0.8]
    eta = x @ beta
    if family_name == "bernoulli":
        y = (rng.random(n) < _bern(eta)).astype(float)
        return glm.Bernoulli(), x, y, beta
    y = rng.poisson(np.exp(0.5 * eta)).astype(float)
    return glm.Poisson(), x, y, 0.5 * beta


@pytest.mark.parametrize("family_name,l1,l2", [("bernoulli", 0.5, 1.0), ("bernoulli", 20.0, 0.0),
                                               ("bernoulli", 8.0, 2.0), ("poisson", 15.0, 0.5)])
def test_fit_sparse_kkt_and_split_lbfgsb(family_name, l1, l2):
    family, x, y, _ = _sparse_problem(family_name)
    res = glm.fit_sparse(x, y, family, l1, l2)
    assert res.is_converged
    g, zero = _kkt(family, x, y, res, l1, l2)
    b = res.coefficients
    assert np.all(np.abs(g[zero]) <= l1 * (1 + 1e-9))
    np.testing.assert_allclose(g[~zero] + l1 * np.sign(b[~zero]), 0.0, atol=1e-6)

    # L-BFGS-B on b = u - v, u, v >= 0: a smooth bound-constrained problem
    p = x.shape[1]

    def f(uv):
        u, v = uv[:p], uv[p:]
        bb = u - v
        eta = x @ bb
        if family_name == "bernoulli":
            nll = np.sum(np.logaddexp(0.0, eta) - y * eta)
            r = y - _bern(eta)
        else:
            nll = np.sum(np.exp(eta) - y * eta)
            r = y - np.exp(eta)
        gb = -x.T @ r + 2.0 * l2 * bb
        value = nll + l1 * np.sum(uv) + l2 * bb @ bb
        return value, np.concatenate([gb + l1, -gb + l1])

    ref = scipy.optimize.minimize(f, np.zeros(2 * p), jac=True, method="L-BFGS-B",
                                  bounds=[(0, None)] * (2 * p),
                                  options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000})
    b_ref = ref.x[:p] - ref.x[p:]
    np.testing.assert_allclose(b, b_ref, atol=1e-5)
    assert f(np.concatenate([np.maximum(b, 0), np.maximum(-b, 0)]))[0] <= ref.fun + 1e-9


def test_fit_sparse_working_set_reaches_the_full_kkt_solution():
    """Many coordinates violate KKT at the null model (more than the screen admits at once),
    and a start at the null model itself makes the first Newton step zero: the fit must still
    go on to the solution of the full problem (KKT on every coordinate)."""
    rng = np.random.default_rng(21)
    n, p = 500, 60
    x = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
    beta = np.r_[0.3, rng.normal(size=p - 1) * 0.4]
    y = (rng.random(n) < _bern(x @ beta)).astype(float)
    family, l1, l2 = glm.Bernoulli(), 2.0, 0.5
    factor = np.r_[0.0, np.ones(p - 1)]
    null = np.zeros(p)
    null[0] = np.log(y.mean() / (1 - y.mean()))
    results = [glm.fit_sparse(x, y, family, l1, l2, penalty_factor=factor),
               glm.fit_sparse(x, y, family, l1, l2, penalty_factor=factor,
                              model_coefficients_start=null)]
    for res in results:
        assert res.is_converged
        b = res.coefficients
        assert np.count_nonzero(b) > 30  # far more than one admission of 10
        g, zero = _kkt(family, x, y, res, 0.0, 0.0)
        g = g + 2.0 * l2 * factor * b  # the unpenalised intercept has no ridge either
        l1v = l1 * factor
        assert np.all(np.abs(g[zero]) <= l1v[zero] * (1 + 1e-9))
        np.testing.assert_allclose(g[~zero] + l1v[~zero] * np.sign(b[~zero]), 0.0, atol=1e-6)
    np.testing.assert_allclose(results[0].coefficients, results[1].coefficients, atol=1e-8)
    # an exactly optimal null model: y in {0, 2} with mean 1, so the intercept's Newton step is
    # exactly zero; the KKT screen must still admit the slopes
    y2 = np.tile([0.0, 2.0], n // 2)
    x2 = np.column_stack([np.ones(n), y2 + rng.normal(size=n), rng.normal(size=(n, 3))])
    start = np.r_[1.0, np.zeros(4)]
    res = glm.fit_sparse(x2, y2, glm.Normal(), 5.0, penalty_factor=[0.0, 1, 1, 1, 1],
                         model_coefficients_start=start)
    ref = glm.fit_sparse(x2, y2, glm.Normal(), 5.0, penalty_factor=[0.0, 1, 1, 1, 1])
    assert res.is_converged and res.coefficients[1] > 0.1
    np.testing.assert_allclose(res.coefficients, ref.coefficients, atol=1e-8)


def test_fit_sparse_recovers_support():
    family, x, y, beta = _sparse_problem("bernoulli", n=2000, p=30, seed=11)
    res = glm.fit_sparse(x, y, family, l1_regularizer=40.0)
    assert set(np.flatnonzero(res.coefficients)) == set(np.flatnonzero(beta))
    assert np.all(np.sign(res.coefficients) == np.sign(beta))
    assert np.all(np.isnan(res.standard_errors[beta == 0]))
    assert np.all(np.isfinite(res.standard_errors[beta != 0]))


def test_fit_sparse_seed_example():
    # the TFP seed's call, in fluxion terms
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 10))
    y = (rng.random(500) < _bern(x @ np.linspace(-1, 1, 10))).astype(float)
    model = glm.Bernoulli()
    coeffs, linear_response, is_converged, num_iter = glm.fit_sparse(
        model_matrix=x, response=y, l1_regularizer=0.5, l2_regularizer=1.0, model=model)
    assert is_converged and num_iter < 20
    assert coeffs.shape == (10,) and linear_response.shape == (500,)


def test_fit_sparse_without_l1_equals_fit():
    family, x, y, _, _ = _case("gamma")
    res = glm.fit_sparse(x, y, family, 0.0, 2.0)
    ref = glm.fit(x, y, family, l2_regularizer=2.0, dispersion="family")
    np.testing.assert_allclose(res.coefficients, ref.coefficients, rtol=1e-8)
    np.testing.assert_allclose(res.standard_errors, ref.standard_errors, rtol=1e-8)


def test_fit_sparse_penalty_factor_leaves_intercept_free():
    family, x, y, _, _ = _case("bernoulli")
    big = 1e4  # every penalised coefficient is zero; the intercept is the logit of mean(y)
    res = glm.fit_sparse(x, y, family, big, penalty_factor=[0.0, 1.0, 1.0])
    np.testing.assert_allclose(res.coefficients[1:], 0.0)
    np.testing.assert_allclose(res.coefficients[0], np.log(y.mean() / (1 - y.mean())), rtol=1e-9)


def test_soft_threshold():
    np.testing.assert_array_equal(glm.soft_threshold([-3.0, -0.5, 0.0, 2.0], 1.0),
                                  [-2.0, 0.0, 0.0, 1.0])


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------
def test_bad_input_errors():
    x = _design(10, 3)
    y = np.array([0, 1] * 5, dtype=float)
    with pytest.raises(ValueError, match=r"glm.fit: expected response of shape \(10,\).*got shape"):
        glm.fit(x, y[:9], glm.Bernoulli())
    with pytest.raises(ValueError, match=r"glm.fit: expected model_matrix of shape \(n, p\)"):
        glm.fit(x[:, 0], y, glm.Bernoulli())
    with pytest.raises(ValueError, match=r"glm.fit_sparse: expected response values in the "
                                         r"support of Bernoulli.*0 or 1.*got 2.0 at index 3"):
        y2 = y.copy()
        y2[3] = 2.0
        glm.fit_sparse(x, y2, glm.Bernoulli(), 0.5)
    with pytest.raises(ValueError, match="glm.fit: expected response values.*non-negative int"):
        glm.fit(x, y - 0.5, glm.Poisson())
    with pytest.raises(ValueError, match="support of Gamma.*positive reals.*got 0.0"):
        glm.fit(x, y, glm.Gamma())
    with pytest.raises(ValueError, match=r"glm.fit_sparse: expected l1_regularizer >= 0, got -0.5"):
        glm.fit_sparse(x, y, glm.Bernoulli(), -0.5)
    with pytest.raises(ValueError, match=r"glm.fit_sparse: expected l2_regularizer >= 0, got -1"):
        glm.fit_sparse(x, y, glm.Bernoulli(), 0.5, -1.0)
    with pytest.raises(ValueError, match=r"glm.fit: expected l2_regularizer >= 0"):
        glm.fit(x, y, glm.Bernoulli(), l2_regularizer=-1.0)
    with pytest.raises(ValueError, match=r"glm.fit: expected non-negative finite weights"):
        glm.fit(x, y, glm.Bernoulli(), weights=-np.ones(10))
    with pytest.raises(ValueError, match=r"glm.fit: expected a finite offset of shape \(10,\)"):
        glm.fit(x, y, glm.Bernoulli(), offset=np.zeros(3))
    with pytest.raises(TypeError, match="glm.fit: expected model to be a fluxion.glm family"):
        glm.fit(x, y, "bernoulli")
    with pytest.raises(ValueError, match="Gamma: expected concentration > 0"):
        glm.Gamma(-1.0)
    with pytest.raises(ValueError, match="Poisson: expected link to be a Link or one of"):
        glm.Poisson(link="sqrt")
    with pytest.raises(ValueError, match=r"glm.fit_sparse: expected non-negative finite "
                                         r"penalty_factor"):
        glm.fit_sparse(x, y, glm.Bernoulli(), 0.5, penalty_factor=[1.0, -1.0, 1.0])


def test_fit_sparse_kkt_gamma_with_weights_and_offset():
    family, x, y, _, _ = _case("gamma", n=200)
    rng = np.random.default_rng(8)
    x = np.column_stack([x, rng.normal(size=(200, 4))])
    w = rng.uniform(0.5, 2.0, size=200)
    off = rng.normal(size=200) * 0.1
    l1, l2 = 5.0, 0.5
    res = glm.fit_sparse(x, y, family, l1, l2, weights=w, offset=off)
    assert res.is_converged
    np.testing.assert_allclose(res.linear_response, x @ res.coefficients + off, rtol=1e-12)
    mu, var, dmu = (np.asarray(a) for a in family.moments(res.linear_response))
    g = -x.T @ (w * (y - mu) * dmu / var) + 2.0 * l2 * res.coefficients
    b = res.coefficients
    zero = b == 0.0
    assert zero.any() and (~zero).any()
    assert np.all(np.abs(g[zero]) <= l1 * (1 + 1e-9))
    np.testing.assert_allclose(g[~zero] + l1 * np.sign(b[~zero]), 0.0, atol=1e-6)


def test_glm_is_a_lazy_module_of_fluxion():
    import fluxion as fx

    assert fx.glm.fit is glm.fit and fx.glm.fit_sparse is glm.fit_sparse
