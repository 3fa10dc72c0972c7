"""fluxion.vi.pathfinder / multi_pathfinder (Zhang, Carpenter, Gelman & Vehtari 2022).

Oracles: the textbook BFGS inverse-Hessian recursion (dense), BFGS's quadratic termination
(the exact inverse Hessian after n conjugate pairs), scipy.stats' multivariate normal density,
exact Gaussian and conjugate posteriors, and posteriordb's reference moments.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from posteriors import POSTERIORDB, POSTERIORS, load_reference, stan_elements

import fluxion.distributions as fd
import fluxion.numpy as fnp
from fluxion._src.vi.pathfinder import (
    _compact_factors,
    _Gaussian,
    _gilbert_diagonal,
    _inverse_hessians,
    lbfgs_inverse_hessian,
)
from fluxion.mcmc import sample
from fluxion.vi import multi_pathfinder, pathfinder

needs_posteriordb = pytest.mark.skipif(
    POSTERIORDB is None,
    reason="posteriordb reference posteriors not found: expected ../shared/posteriordb beside "
    "the repository",
)


def _spd(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q @ np.diag(np.exp(rng.uniform(-1.5, 1.5, n))) @ q.T


def _bfgs_dense(alpha: np.ndarray, pairs: list) -> np.ndarray:
    """Nocedal & Wright eq. 6.17: H <- (I - rho s y') H (I - rho y s') + rho s s'."""
    h = np.diag(alpha)
    eye = np.eye(alpha.size)
    for s, y in pairs:
        rho = 1.0 / (y @ s)
        h = (eye - rho * np.outer(s, y)) @ h @ (eye - rho * np.outer(y, s)) + rho * np.outer(s, s)
    return h


# --------------------------------------------------------------------------------------------
# The inverse Hessian and its Gaussian
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, m", [(6, 1), (6, 3), (5, 5), (12, 4)])
def test_compact_representation_equals_the_bfgs_recursion(n, m):
    a = _spd(n, n + m)
    rng = np.random.default_rng(m)
    alpha = rng.uniform(0.3, 3.0, n)
    s_hist = rng.standard_normal((n, m))
    y_hist = a @ s_hist  # s'y = s'As > 0: every pair passes the curvature test
    dense = _bfgs_dense(alpha, list(zip(s_hist.T, y_hist.T)))
    np.testing.assert_allclose(lbfgs_inverse_hessian(alpha, s_hist, y_hist), dense, atol=1e-10)


def test_inverse_hessian_is_exact_on_a_quadratic_after_n_conjugate_pairs():
    # BFGS's quadratic termination: with A-conjugate steps s_i and y_i = A s_i the updated
    # matrix satisfies H y_j = s_j for every j, so after n pairs H = A^-1 whatever diag(alpha)
    n = 5
    a = _spd(n, 7)
    rng = np.random.default_rng(1)
    dirs: list = []
    for v in rng.standard_normal((n, n)):  # Gram-Schmidt in the A inner product
        for d in dirs:
            v = v - (d @ a @ v) / (d @ a @ d) * d
        dirs.append(v)
    s_hist = np.array(dirs).T
    h = lbfgs_inverse_hessian(rng.uniform(0.5, 2.0, n), s_hist, a @ s_hist)
    np.testing.assert_allclose(h, np.linalg.inv(a), atol=1e-10)


def test_gilbert_diagonal_is_the_diagonal_of_a_scaled_bfgs_update():
    rng = np.random.default_rng(2)
    n = 7
    alpha = rng.uniform(0.2, 4.0, n)
    s = rng.standard_normal(n)
    y = _spd(n, 3) @ s
    a, b = y @ (alpha * y), y @ s
    hess = (a / b) * np.diag(1.0 / alpha)  # Oren-Luenberger scaled Hessian estimate
    hess_new = hess + np.outer(y, y) / b - hess @ np.outer(s, s) @ hess / (s @ hess @ s)
    np.testing.assert_allclose(1.0 / _gilbert_diagonal(alpha, s, y), np.diag(hess_new))


def test_curvature_test_skips_pairs_and_keeps_the_history_size():
    rng = np.random.default_rng(4)
    n = 4
    positions = np.cumsum(rng.standard_normal((9, n)), axis=0)
    a = _spd(n, 5)
    grads = -positions @ a  # gradient of log p = -x'Ax/2
    grads[5] = grads[4] + 10.0 * (positions[5] - positions[4])  # s'y < 0 at iterate 5
    out = _inverse_hessians(positions, grads, history_size=3)
    assert len(out) == 8
    sizes = [s.shape[1] for _, s, _ in out]
    assert sizes == [1, 2, 3, 3, 3, 3, 3, 3]
    # iterate 5 (index 4) kept the previous history and diagonal
    np.testing.assert_array_equal(out[4][1], out[3][1])
    np.testing.assert_array_equal(out[4][0], out[3][0])
    np.testing.assert_allclose(out[-1][1][:, -1], positions[8] - positions[7])


@pytest.mark.parametrize("n, m", [(10, 2), (4, 3)])  # thin QR (2m < n) and dense Cholesky
def test_gaussian_factorization_against_a_dense_reference(n, m):
    a = _spd(n, 11)
    rng = np.random.default_rng(n)
    alpha = rng.uniform(0.5, 2.0, n)
    s_hist = rng.standard_normal((n, m))
    beta, gamma = _compact_factors(alpha, s_hist, a @ s_hist)
    theta, g = rng.standard_normal(n), rng.standard_normal(n)
    gauss = _Gaussian(theta, g, alpha, beta, gamma)
    assert gauss.dense == (2 * m >= n)
    h = _bfgs_dense(alpha, list(zip(s_hist.T, (a @ s_hist).T)))
    np.testing.assert_allclose(gauss.mean, theta + h @ g, atol=1e-10)
    factor = (gauss.transform(np.eye(n)) - gauss.mean).T  # column i = A e_i
    np.testing.assert_allclose(factor @ factor.T, h, atol=1e-10)
    z = rng.standard_normal((5, n))
    x = gauss.transform(z)
    ref = scipy.stats.multivariate_normal(gauss.mean, h).logpdf(x)
    np.testing.assert_allclose(gauss.log_q(z), ref, rtol=1e-10)
    np.testing.assert_allclose(gauss.log_density(x), ref, rtol=1e-10)
    elsewhere = rng.standard_normal((3, n)) * 3.0
    ref = scipy.stats.multivariate_normal(gauss.mean, h).logpdf(elsewhere)
    np.testing.assert_allclose(gauss.log_density(elsewhere), ref, rtol=1e-10)


# --------------------------------------------------------------------------------------------
# Pathfinder on targets with known answers
# --------------------------------------------------------------------------------------------

MEAN = np.array([1.0, -2.0, 0.5, 3.0, 0.0])
COV = _spd(5, 21)
PREC = np.linalg.inv(COV)


def gaussian_log_prob(x):
    r = x - MEAN
    return -0.5 * fnp.sum(r * (PREC @ r))


def test_gaussian_target():
    res = pathfinder(gaussian_log_prob, np.zeros(5), seed=3)
    # the kept Gaussian: a Newton step on a quadratic lands on the mode; its covariance is the
    # L-BFGS estimate of the inverse Hessian from 6 non-conjugate pairs, not exact (seeds 0-9:
    # KL(q || p) 0.01-0.22 nats, eigenvalues of COV^-1 H in 0.5-2.3; exactness after n
    # conjugate pairs is tested above)
    np.testing.assert_allclose(res.mean, MEAN, atol=1e-5)
    h = res.covariance
    kl = 0.5 * (np.trace(PREC @ h) - 5 - np.linalg.slogdet(PREC @ h)[1])
    assert kl < 0.3, kl
    eig = np.linalg.eigvals(PREC @ h).real
    assert 0.4 < eig.min() and eig.max() < 2.5, eig
    assert res.elbo.shape == (res.path.shape[0] - 1,)
    assert res.best_iteration == int(np.argmax(res.elbo)) + 1
    x = res.draws["x"]
    assert x.shape == (1000, 5)
    # log q is the kept Gaussian's density; log p the target's (up to its constant)
    ref_q = scipy.stats.multivariate_normal(res.mean, res.covariance).logpdf(x)
    np.testing.assert_allclose(res.log_q, ref_q, rtol=1e-9)
    ref_p = scipy.stats.multivariate_normal(MEAN, COV).logpdf(x)
    np.testing.assert_allclose(res.log_p - ref_p, (res.log_p - ref_p)[0], atol=1e-8)
    # the draws: 1000 draws, mean within 5 standard errors
    se = np.sqrt(np.diag(res.covariance) / x.shape[0])
    assert np.all(np.abs(x.mean(0) - res.mean) < 5 * se)
    assert res.pareto_k < 0.5
    assert res.num_gradient_evals >= res.path.shape[0]


def test_multi_pathfinder_gaussian_and_resampling_options():
    res = multi_pathfinder(gaussian_log_prob, np.zeros(5), seed=5, num_draws=800)
    assert res.draws["x"].shape == (800, 5)
    assert len(res.paths) == 4 and res.mean.shape == (4, 5)
    sd = np.sqrt(np.diag(COV))
    # each path's kept mean is a quasi-Newton step from the iterate with the best ELBO
    assert np.all(np.abs(res.mean - MEAN) < 0.1 * sd)
    assert np.all(np.abs(res.draws["x"].mean(0) - MEAN) < 0.2 * sd)
    # pooled ratios p / q_i use each draw's own path's Gaussian (the paper's Algorithm 2, as
    # Stan): one path with a too-narrow direction gives a heavy tail, so k-hat is only reported
    assert np.isfinite(res.pareto_k)
    assert res.num_gradient_evals == sum(p.num_gradient_evals for p in res.paths)
    distinct = multi_pathfinder(gaussian_log_prob, np.zeros(5), seed=5, num_draws=800,
                                replace=False)
    assert np.unique(distinct.draws_unconstrained, axis=0).shape[0] == 800
    # the mixture of the paths' Gaussians as the proposal: log q is the mixture's density and
    # the ratios' tail is lighter than with each draw's own path (same paths: same seed)
    mix = multi_pathfinder(gaussian_log_prob, np.zeros(5), seed=5, num_draws=800,
                           importance="mixture")
    ref = np.log(np.mean([
        scipy.stats.multivariate_normal(p.mean, p.covariance).pdf(mix.draws["x"])
        for p in mix.paths
    ], axis=0))
    np.testing.assert_allclose(mix.log_q, ref, rtol=1e-9)
    assert mix.pareto_k < res.pareto_k
    with pytest.raises(ValueError, match="unknown importance 'balance'"):
        multi_pathfinder(gaussian_log_prob, np.zeros(5), importance="balance")
    pooled = multi_pathfinder(gaussian_log_prob, np.zeros(5), seed=5, num_draws_per_path=50,
                              resample=False)
    assert pooled.draws["x"].shape == (200, 5)
    np.testing.assert_array_equal(
        pooled.draws_unconstrained,
        np.concatenate([p.draws_unconstrained for p in pooled.paths]),
    )


def test_constrained_callable_respects_constraints():
    # sigma ~ LogNormal(0, 0.5) (positive), w ~ Dirichlet(2, 3, 5) (simplex): exact means
    conc = np.array([2.0, 3.0, 5.0])

    def log_prob(p):
        s, w = p["sigma"], p["w"]
        return -0.5 * (fnp.log(s) / 0.5) ** 2 - fnp.log(s) + fnp.sum((conc - 1.0) * fnp.log(w))

    res = multi_pathfinder(
        log_prob, {"sigma": 1.0, "w": np.ones(3) / 3},
        constraints={"sigma": "positive", "w": "simplex"}, seed=2, num_draws=2000,
    )
    assert res.draws["sigma"].shape == (2000,) and res.draws["w"].shape == (2000, 3)
    assert res.draws_unconstrained.shape == (2000, 3)  # 1 + (3 - 1)
    assert np.all(res.draws["sigma"] > 0)
    assert np.all(res.draws["w"] > 0)
    np.testing.assert_allclose(res.draws["w"].sum(axis=1), 1.0, atol=1e-12)
    exact_w = scipy.stats.dirichlet(conc)
    w_sd = np.sqrt(exact_w.var())
    assert np.all(np.abs(res.draws["w"].mean(0) - exact_w.mean()) < 0.3 * w_sd)
    exact_s = scipy.stats.lognorm(0.5)
    assert abs(res.draws["sigma"].mean() - exact_s.mean()) < 0.3 * exact_s.std()


def test_joint_model_needs_no_init_and_matches_the_conjugate_posterior():
    k = np.array([3.0, 5.0, 4.0])
    model = fd.JointDistributionNamed({
        "rate": fd.Gamma(2.0, 1.0),
        "k": lambda rate: fd.Poisson(rate * np.ones(3)),
    }).condition(k=k)
    res = multi_pathfinder(model, seed=0)
    post = scipy.stats.gamma(2.0 + k.sum(), scale=1.0 / (1.0 + k.size))
    rate = res.draws["rate"]
    assert rate.shape == (1000,) and np.all(rate > 0)
    assert abs(rate.mean() - post.mean()) < 0.1 * post.std()
    assert abs(rate.std() / post.std() - 1.0) < 0.15
    sr = res.to_sample_result()
    assert sr.kernel == "pathfinder"
    assert sr.draws["rate"].shape == (1, 1000)
    assert sr.log_likelihood["k"].shape == (1, 1000, 3)
    table = sr.summary()
    assert "rate" in str(table)
    starts = res.init_for_chains(2, seed=1)
    assert [set(s) for s in starts] == [{"rate"}, {"rate"}]
    single = pathfinder(model, seed=0)
    assert abs(single.draws["rate"].mean() - post.mean()) < 0.2 * post.std()
    assert starts[0]["rate"] != starts[1]["rate"]


def test_init_for_chains_starts_nuts():
    res = pathfinder(gaussian_log_prob, np.zeros(5), seed=1, num_draws=100)
    starts = res.init_for_chains(2, seed=0)
    assert len({tuple(s) for s in starts}) == 2
    draws = []
    for c, start in enumerate(starts):
        out = sample(gaussian_log_prob, start, chains=1, warmup=60, draws=40, seed=c,
                     init_jitter=0, progress=False, inverse_metric=res.inverse_metric())
        draws.append(out.draws["x"])
    assert np.all(np.isfinite(np.concatenate(draws)))
    with pytest.raises(ValueError, match="init_for_chains: expected chains >= 1"):
        res.init_for_chains(0)
    with pytest.raises(ValueError, match="distinct draws"):
        res.init_for_chains(101)


def test_to_arviz():
    pytest.importorskip("arviz")
    res = pathfinder(gaussian_log_prob, np.zeros(5), seed=1, num_draws=200)
    idata = res.to_sample_result().to_arviz()
    assert idata.posterior["x"].shape == (1, 200, 5)
    np.testing.assert_allclose(idata.sample_stats["lp"].values[0], res.log_p)


def test_reproducible_with_seed():
    a = multi_pathfinder(gaussian_log_prob, np.zeros(5), seed=11, num_draws=100, num_paths=2)
    b = multi_pathfinder(gaussian_log_prob, np.zeros(5), seed=11, num_draws=100, num_paths=2)
    c = multi_pathfinder(gaussian_log_prob, np.zeros(5), seed=12, num_draws=100, num_paths=2)
    np.testing.assert_array_equal(a.draws["x"], b.draws["x"])
    np.testing.assert_array_equal(a.log_q, b.log_q)
    assert not np.array_equal(a.draws["x"], c.draws["x"])
    rng_a = pathfinder(gaussian_log_prob, np.zeros(5), seed=np.random.default_rng(3))
    rng_b = pathfinder(gaussian_log_prob, np.zeros(5), seed=np.random.default_rng(3))
    np.testing.assert_array_equal(rng_a.draws_unconstrained, rng_b.draws_unconstrained)


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_bad_input():
    with pytest.raises(TypeError, match="pathfinder: expected init"):
        pathfinder(gaussian_log_prob)
    # init of the wrong shape: log_prob fails at the start; the error names pathfinder
    with pytest.raises(ValueError, match="pathfinder: evaluating log_prob at the initial"):
        pathfinder(gaussian_log_prob, np.zeros(3), seed=0)
    with pytest.raises(ValueError, match="multi_pathfinder: expected num_paths"):
        multi_pathfinder(gaussian_log_prob, np.zeros(5), num_paths=0)
    for kwargs in ({"num_draws": 0}, {"history_size": 0}, {"num_elbo_draws": 1.5},
                   {"max_iters": True}):
        with pytest.raises(ValueError, match="pathfinder: expected"):
            pathfinder(gaussian_log_prob, np.zeros(5), **kwargs)
    with pytest.raises(ValueError, match="pathfinder: expected init_radius >= 0"):
        pathfinder(gaussian_log_prob, np.zeros(5), init_radius=-1.0)
    with pytest.raises(ValueError, match="constraints name 'sgima'"):
        pathfinder(lambda p: -p["sigma"], {"sigma": 1.0}, constraints={"sgima": "positive"})
    with pytest.raises(ValueError, match="without replacement needs at least"):
        multi_pathfinder(gaussian_log_prob, np.zeros(5), num_paths=2, num_draws=100,
                         num_draws_per_path=10, replace=False)


def test_log_density_nan_at_the_start():
    def log_prob(x):
        return fnp.sum(fnp.log(x - 10.0))  # NaN wherever x < 10, unconstrained

    with pytest.raises(ValueError, match=r"pathfinder: the log density is nan .*initial values"):
        pathfinder(log_prob, np.zeros(2), init_radius=0.0)
    with pytest.raises(ValueError, match=r"100 random starts within init_radius=2"):
        pathfinder(log_prob, np.zeros(2), seed=0)
    with pytest.raises(ValueError, match="multi_pathfinder: every path failed"):
        multi_pathfinder(log_prob, np.zeros(2), num_paths=2, seed=0)


# --------------------------------------------------------------------------------------------
# posteriordb
# --------------------------------------------------------------------------------------------


@needs_posteriordb
@pytest.mark.parametrize("name", ["kidiq-kidscore_momiq", "earnings-earn_height"])
def test_posteriordb_means(name):
    post = POSTERIORS[name]()
    res = multi_pathfinder(post.log_prob, post.init, constraints=post.constraints, seed=1)
    draws = stan_elements(post.derived({k: v[None] for k, v in res.draws.items()}))
    for label, ref in load_reference(name).items():
        err = abs(float(draws[label].mean()) - ref["mean"]) / ref["sd"]
        assert err < 0.3, (label, err)
    print(f"{name}: pareto k-hat {res.pareto_k:.2f}, {res.num_gradient_evals} gradients")
    assert np.isfinite(res.pareto_k)
