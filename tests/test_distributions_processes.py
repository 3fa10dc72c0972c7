"""Kernels, Gaussian processes, the GP regression model, random walks and AR(1): against direct
NumPy/SciPy computations (scipy.spatial distances, scipy.stats.multivariate_normal,
scipy.linalg solves)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st
from distributions_harness import assert_close
from scipy.spatial.distance import cdist

import fluxion
import fluxion.distributions as fd
from fluxion.test_util import check_grads

RNG = np.random.default_rng(20261206)
X = RNG.uniform(-2.0, 2.0, size=(7, 3))
Y = RNG.uniform(-2.0, 2.0, size=(5, 3))


def _reference_kernels():
    # (kernel, the same kernel's matrix from scipy distances)
    a, ls = 1.3, 0.7
    r = cdist(X, Y)
    return [
        (fd.ExponentiatedQuadratic(a, ls), a**2 * np.exp(-0.5 * (r / ls) ** 2)),
        (fd.Matern12(a, ls), a**2 * np.exp(-r / ls)),
        (fd.Matern32(a, ls), a**2 * (1 + math.sqrt(3) * r / ls) * np.exp(-math.sqrt(3) * r / ls)),
        (fd.Matern52(a, ls), a**2 * (1 + math.sqrt(5) * r / ls + 5 * r**2 / (3 * ls**2))
         * np.exp(-math.sqrt(5) * r / ls)),
        (fd.RationalQuadratic(a, ls, 2.5), a**2 * (1 + r**2 / (2 * 2.5 * ls**2)) ** -2.5),
        (fd.ExpSinSquared(a, ls, 1.9), a**2 * np.exp(
            -2 * (np.sin(np.pi * np.abs(X[:, None, :] - Y[None, :, :]) / 1.9) ** 2).sum(-1)
            / ls**2)),
        (fd.Linear(0.4, 1.1, 0.3), 0.4**2 + 1.1**2 * (X - 0.3) @ (Y - 0.3).T),
    ]


def test_kernels_match_direct_formulas():
    for k, want in _reference_kernels():
        name = type(k).__name__
        assert_close(k.matrix(X, Y), want, 1e-13, 1e-15, f"{name}.matrix")
        # apply on paired points is the matrix's diagonal
        assert_close(k.apply(X[:5], Y), np.diag(want[:5, :5]), 1e-13, 1e-15, f"{name}.apply")
        kxx = np.asarray(k.matrix(X, X))
        assert np.allclose(kxx, kxx.T, rtol=1e-14, atol=1e-14)
        assert np.linalg.eigvalsh(kxx).min() > -1e-10, name  # positive semidefinite
    assert fd.Periodic is fd.ExpSinSquared


def test_kernel_algebra_and_batched_hyperparameters():
    k1, k2 = fd.Matern32(1.1, 0.8), fd.Linear(0.2, 0.5, 0.0)
    m1, m2 = np.asarray(k1.matrix(X, Y)), np.asarray(k2.matrix(X, Y))
    assert_close((k1 + k2).matrix(X, Y), m1 + m2, 1e-14, 0, "sum")
    assert_close((k1 * k2).matrix(X, Y), m1 * m2, 1e-14, 0, "product")
    assert_close((2.5 * k1).matrix(X, Y), 2.5 * m1, 1e-14, 0, "scaled")
    assert_close((k1 * 2.5 + k2).matrix(X, Y), 2.5 * m1 + m2, 1e-14, 0, "scaled sum")
    with pytest.raises(ValueError, match="scaling factor >= 0"):
        -1.0 * k1
    # a batch of length scales: matrix has shape batch + (N1, N2)
    kb = fd.ExponentiatedQuadratic(1.0, np.array([0.5, 1.0, 2.0]))
    assert kb.batch_shape == (3,)
    mb = np.asarray(kb.matrix(X, Y))
    assert mb.shape == (3, 7, 5)
    for i, ls in enumerate([0.5, 1.0, 2.0]):
        assert_close(mb[i], fd.ExponentiatedQuadratic(1.0, ls).matrix(X, Y), 1e-14, 0, "batch")
    with pytest.raises(ValueError, match="same feature size"):
        k1.matrix(X, Y[:, :2])
    with pytest.raises(ValueError, match=r"shape \(N, 1\) for scalar inputs"):
        k1.apply(1.0, 2.0)


def test_kernel_gradients_in_hyperparameters_and_points():
    for make in (
        lambda t: fd.ExponentiatedQuadratic(t[0], t[1]),
        lambda t: fd.Matern12(t[0], t[1]),
        lambda t: fd.Matern32(t[0], t[1]),
        lambda t: fd.Matern52(t[0], t[1]),
        lambda t: fd.RationalQuadratic(t[0], t[1], t[2]),
        lambda t: fd.ExpSinSquared(t[0], t[1], t[2]),
        lambda t: fd.Linear(t[0], t[1], t[2]) + fd.Matern32(t[2], t[0]),
    ):
        theta = np.array([1.2, 0.8, 1.7])
        check_grads(lambda t, mk=make: mk(t).matrix(X, Y), (theta,), order=2)
    # in the points, including coincident ones (the Matern distance has a kink at 0, its
    # gradient there is taken as 0, never nan)
    k = fd.Matern52(1.0, 0.9)
    check_grads(lambda x: k.matrix(x, Y), (X,), order=1)
    g = fluxion.grad(lambda x: fd.Matern12(1.0, 1.0).matrix(x, x).sum())(X)
    assert np.all(np.isfinite(np.asarray(g)))


# --------------------------------------------------------------------------------------------
# Gaussian process
# --------------------------------------------------------------------------------------------


def test_gaussian_process_log_prob_sample_and_moments():
    k = fd.Matern52(1.4, 0.9)
    gp = fd.GaussianProcess(k, X, observation_noise_variance=0.05, jitter=1e-6,
                            mean_fn=lambda x: np.sum(x, axis=-1) * 0.5)
    assert gp.batch_shape == () and gp.event_shape == (7,)
    cov = np.asarray(k.matrix(X, X)) + (0.05 + 1e-6) * np.eye(7)
    mean = X.sum(-1) * 0.5
    ref = st.multivariate_normal(mean, cov)
    y = RNG.normal(size=(4, 7))
    assert_close(gp.log_prob(y), ref.logpdf(y), 1e-12, 0, "GP.log_prob")
    assert_close(gp.mean(), mean, 1e-14, 0, "GP.mean")
    assert_close(gp.covariance(), cov, 1e-14, 0, "GP.covariance")
    assert_close(gp.variance(), np.diag(cov), 1e-14, 0, "GP.variance")
    assert_close(gp.entropy(), ref.entropy(), 1e-12, 0, "GP.entropy")
    n = 20000
    xs = np.asarray(gp.sample((n,), seed=11))
    assert xs.shape == (n, 7)
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(xs.mean(0) - mean) < 6 * se)
    # sample covariance: entrywise, standard error sqrt((S_ii S_jj + S_ij^2) / n)
    emp = np.cov(xs.T)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(emp - cov) < 6 * se_cov)


def test_gaussian_process_batches_and_validation():
    ls = np.array([0.5, 1.5])
    gp = fd.GaussianProcess(fd.ExponentiatedQuadratic(1.0, ls), X[:4])
    assert gp.batch_shape == (2,) and gp.event_shape == (4,)
    y = RNG.normal(size=(3, 1, 4))
    lp = np.asarray(gp.log_prob(y))
    assert lp.shape == (3, 2)
    for i in range(2):
        cov = np.asarray(fd.ExponentiatedQuadratic(1.0, ls[i]).matrix(X[:4], X[:4]))
        cov = cov + 1e-6 * np.eye(4)
        assert_close(lp[:, i], st.multivariate_normal(np.zeros(4), cov).logpdf(y[:, 0]),
                     1e-10, 0, "batched GP")
    assert gp.sample((5,), seed=0).shape == (5, 2, 4)
    with pytest.raises(TypeError, match="GaussianProcess: expected kernel"):
        fd.GaussianProcess(lambda a, b: 0.0, X)
    with pytest.raises(ValueError, match=r"index_points of shape \(\.\.\., N, d\)"):
        fd.GaussianProcess(fd.Matern12(), np.linspace(0, 1, 5))
    with pytest.raises(ValueError, match="ExponentiatedQuadratic: expected amplitude > 0, got -1"):
        fd.ExponentiatedQuadratic(-1.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match=r"GaussianProcess: kernel Matern12: expected length_scale"
                       r" > 0, got -2.0 \(shape \(2,\)\)"):
        fd.GaussianProcess(fd.Matern12(1.0, np.array([1.0, -2.0])) + fd.Linear(), X,
                           validate_args=True)
    # without validate_args: what the formula gives (no error)
    assert np.all(np.isfinite(np.asarray(fd.ExponentiatedQuadratic(-1.0).matrix(X, X))))
    with pytest.raises(ValueError, match="observation_noise_variance >= 0"):
        fd.GaussianProcess(fd.Matern12(), X, observation_noise_variance=-1.0,
                           validate_args=True)


def _gp_nll(theta, x, y):
    import fluxion.numpy as fnp

    amp, ls, noise = fnp.exp(theta[0]), fnp.exp(theta[1]), fnp.exp(theta[2])
    gp = fd.GaussianProcess(fd.ExponentiatedQuadratic(amp, ls), x,
                            observation_noise_variance=noise)
    return -gp.log_prob(y)


def test_gaussian_process_marginal_likelihood_gradients():
    x = np.linspace(0.0, 3.0, 8)[:, None]
    y = np.sin(2 * x[:, 0]) + 0.1 * RNG.normal(size=8)
    theta = np.array([0.1, -0.5, -2.0])
    check_grads(lambda t: _gp_nll(t, x, y), (theta,), order=2)
    # the analytic gradient (Rasmussen & Williams eq. 5.9) wrt log length scale
    amp, ls, noise = np.exp(theta)
    r2 = cdist(x, x, "sqeuclidean")
    kk = amp**2 * np.exp(-0.5 * r2 / ls**2)
    c = kk + (noise + 1e-6) * np.eye(8)
    ci = np.linalg.inv(c)
    alpha = ci @ y
    dk = kk * r2 / ls**2  # d K / d log ls
    want = -0.5 * np.trace((np.outer(alpha, alpha) - ci) @ dk)
    got = np.asarray(fluxion.grad(lambda t: _gp_nll(t, x, y))(theta))[1]
    assert abs(got - want) < 1e-10 * max(1.0, abs(want))


# --------------------------------------------------------------------------------------------
# GP regression model
# --------------------------------------------------------------------------------------------


def test_gprm_matches_the_textbook_equations():
    k = fd.ExponentiatedQuadratic(1.2, 0.6) + fd.Linear(0.1, 0.3, 0.0)
    xo = RNG.uniform(-2, 2, size=(9, 2))
    yo = RNG.normal(size=9)
    xn = RNG.uniform(-2, 2, size=(4, 2))
    s2, jitter = 0.04, 1e-6
    model = fd.GaussianProcessRegressionModel(
        k, xn, xo, yo, observation_noise_variance=s2, predictive_noise_variance=0.0,
        mean_fn=lambda x: 0.3 * x[..., 0], jitter=jitter,
    )
    assert model.event_shape == (4,) and model.batch_shape == ()
    koo = np.asarray(k.matrix(xo, xo)) + (s2 + jitter) * np.eye(9)
    kno = np.asarray(k.matrix(xn, xo))
    knn = np.asarray(k.matrix(xn, xn))
    # R&W 2.25-2.26 with a prior mean, by a general solve (not Cholesky)
    mean = 0.3 * xn[:, 0] + kno @ np.linalg.solve(koo, yo - 0.3 * xo[:, 0])
    cov = knn - kno @ np.linalg.solve(koo, kno.T) + jitter * np.eye(4)
    assert_close(model.mean(), mean, 1e-10, 1e-12, "GPRM.mean")
    assert_close(model.covariance(), cov, 1e-9, 1e-11, "GPRM.covariance")
    z = RNG.normal(size=(3, 4))
    ref = st.multivariate_normal(mean, cov)
    assert_close(model.log_prob(z), ref.logpdf(z), 1e-8, 0, "GPRM.log_prob")
    # the default predictive noise is the observation noise (new noisy observations)
    noisy = fd.GaussianProcessRegressionModel(k, xn, xo, yo, observation_noise_variance=s2,
                                              mean_fn=lambda x: 0.3 * x[..., 0], jitter=jitter)
    assert_close(noisy.covariance(), cov + s2 * np.eye(4), 1e-9, 1e-11, "noisy predictive")
    xs = np.asarray(model.sample((20000,), seed=3))
    se = np.sqrt(np.diag(cov) / 20000)
    assert np.all(np.abs(xs.mean(0) - mean) < 6 * se)


def test_gprm_interpolates_and_differentiates():
    # noise-free observations are reproduced at the observed points
    xo = np.linspace(0, 1, 5)[:, None]
    yo = np.cos(3 * xo[:, 0])
    m = fd.GaussianProcessRegressionModel(fd.Matern52(1.0, 0.5), xo, xo, yo,
                                          observation_noise_variance=0.0, jitter=1e-10)
    assert_close(m.mean(), yo, 1e-6, 1e-8, "interpolation")
    assert np.all(np.asarray(m.variance()) < 1e-8)

    def f(theta):
        k = fd.ExponentiatedQuadratic(theta[0], theta[1])
        mdl = fd.GaussianProcessRegressionModel(k, np.array([[0.25], [0.8]]), xo, yo,
                                                observation_noise_variance=theta[2])
        return mdl.log_prob(np.array([0.5, -0.5]))

    check_grads(f, (np.array([1.1, 0.4, 0.05]),), order=1)
    # batches: of length scales, and of observation vectors
    xn = np.array([[0.3], [0.6]])
    ls = np.array([0.2, 0.5, 1.0])
    mb = fd.GaussianProcessRegressionModel(fd.Matern52(1.0, ls), xn, xo, yo,
                                           observation_noise_variance=0.01)
    assert mb.batch_shape == (3,) and mb.sample((4,), seed=0).shape == (4, 3, 2)
    for i in range(3):
        mi = fd.GaussianProcessRegressionModel(fd.Matern52(1.0, ls[i]), xn, xo, yo,
                                               observation_noise_variance=0.01)
        assert_close(mb.mean()[i], mi.mean(), 1e-14, 0, "batched mean")
        assert_close(mb.log_prob(np.zeros(2))[i], mi.log_prob(np.zeros(2)), 1e-14, 0, "lp")
    yb = np.stack([yo, yo + 1.0])
    m2 = fd.GaussianProcessRegressionModel(fd.Matern52(1.0, 0.5), xn, xo, yb,
                                           observation_noise_variance=0.01)
    assert m2.batch_shape == (2,)
    m1 = fd.GaussianProcessRegressionModel(fd.Matern52(1.0, 0.5), xn, xo, yo + 1.0,
                                           observation_noise_variance=0.01)
    assert_close(m2.mean()[1], m1.mean(), 1e-14, 0, "batched observations")
    with pytest.raises(ValueError, match="observations with last dimension 5"):
        fd.GaussianProcessRegressionModel(fd.Matern12(), xo, xo, yo[:3])


# --------------------------------------------------------------------------------------------
# Random walk and AR(1)
# --------------------------------------------------------------------------------------------


def test_gaussian_random_walk():
    scale = np.array([0.5, 2.0])
    d = fd.GaussianRandomWalk(scale, num_steps=6, loc=np.array([0.0, 1.0]))
    assert d.batch_shape == (2,) and d.event_shape == (6,)
    x = RNG.normal(size=(3, 2, 6)).cumsum(-1)
    t = np.arange(1, 7)
    for i in range(2):
        cov = scale[i] ** 2 * np.minimum.outer(t, t)
        ref = st.multivariate_normal(np.full(6, [0.0, 1.0][i]), cov)
        assert_close(d.log_prob(x)[:, i], ref.logpdf(x[:, i]), 1e-12, 0, "GRW.log_prob")
        assert_close(d.covariance()[i], cov, 1e-14, 0, "GRW.covariance")
        assert_close(d.entropy()[i], ref.entropy(), 1e-12, 0, "GRW.entropy")
    assert_close(d.variance(), scale[:, None] ** 2 * t, 1e-14, 0, "GRW.variance")
    n = 20000
    xs = np.asarray(d.sample((n,), seed=5))
    assert xs.shape == (n, 2, 6)
    steps = np.diff(xs, axis=-1, prepend=np.broadcast_to([[0.0], [1.0]], (n, 2, 1)))
    # the increments are iid N(0, scale): mean and variance within 6 standard errors
    assert np.all(np.abs(steps.mean(0)) < 6 * scale[:, None] / math.sqrt(n))
    assert np.all(np.abs(steps.var(0) / scale[:, None] ** 2 - 1) < 6 * math.sqrt(2 / n))
    check_grads(lambda s, v: fd.GaussianRandomWalk(s, 6).log_prob(v), (0.7, x[0, 0]), order=2)


def test_ar1():
    coef, scale, s0, m0 = -0.6, 0.8, 1.5, 0.4
    d = fd.AR1(coef, scale, num_steps=5, init_loc=m0, init_scale=s0)
    # the covariance from the recursion, built independently: x = A^-1 e with A bidiagonal
    a = np.eye(5) - coef * np.eye(5, k=-1)
    ainv = np.linalg.inv(a)
    e_cov = np.diag([s0**2] + [scale**2] * 4)
    cov = ainv @ e_cov @ ainv.T
    mean = ainv @ np.array([m0, 0, 0, 0, 0])
    ref = st.multivariate_normal(mean, cov)
    x = RNG.normal(size=(4, 5))
    assert_close(d.log_prob(x), ref.logpdf(x), 1e-12, 0, "AR1.log_prob")
    assert_close(d.mean(), mean, 1e-14, 1e-16, "AR1.mean")
    assert_close(d.covariance(), cov, 1e-13, 1e-16, "AR1.covariance")
    assert_close(d.entropy(), ref.entropy(), 1e-12, 0, "AR1.entropy")
    n = 20000
    xs = np.asarray(d.sample((n,), seed=9))
    emp = np.cov(xs.T)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(emp - cov) < 6 * se_cov)
    assert np.all(np.abs(xs.mean(0) - mean) < 6 * np.sqrt(np.diag(cov) / n))
    check_grads(lambda c, s, v: fd.AR1(c, s, 5, init_scale=1.0).log_prob(v),
                (coef, scale, x[0]), order=2)
    # stationary start: the marginal variance is constant
    st_d = fd.AR1(0.5, 1.0, 4, init_scale=1.0 / math.sqrt(0.75))
    assert_close(st_d.variance(), np.full(4, 1 / 0.75), 1e-13, 0, "stationary")
    with pytest.raises(ValueError, match="num_steps >= 1"):
        fd.AR1(0.5, 1.0, 0)


# --------------------------------------------------------------------------------------------
# Compiled
# --------------------------------------------------------------------------------------------


def _encodes(fn, theta):
    from fluxion._src.codegen import tape

    for f in (fn, fluxion.grad(fn)):
        graph = fluxion.jit(f, tier=0).lower(theta).graph
        encoded, why = tape.encode(graph)
        assert encoded is not None, why


def _series_model(theta):
    y = np.array([0.1, 0.4, 0.2, -0.3])
    return (fd.AR1(theta[0], 0.5, 4).log_prob(y)
            + fd.GaussianRandomWalk(1.0 + theta[1] ** 2, 4).log_prob(y))


def test_random_walk_and_ar1_encode_for_the_compiled_nuts():
    _encodes(_series_model, np.array([0.3, 0.2]))


def test_gp_log_marginal_likelihood_encodes_for_the_compiled_nuts():
    x = np.linspace(0.0, 3.0, 6)[:, None]
    y = np.sin(x[:, 0])
    _encodes(lambda t: _gp_nll(t, x, y), np.array([0.1, -0.5, -2.0]))


def test_gaussian_process_is_a_pytree_under_grad_jit_vmap():
    x = np.linspace(0, 1, 4)[:, None]
    y = np.array([0.2, 0.5, -0.1, 0.3])
    gp = fd.GaussianProcess(fd.Matern32(1.0, 0.5), x, observation_noise_variance=0.1)
    g = fluxion.grad(lambda d: d.log_prob(y))(gp)
    assert isinstance(g, fd.GaussianProcess) and isinstance(g.kernel, fd.Matern32)
    eps = 1e-6
    num = (fd.GaussianProcess(fd.Matern32(1.0, 0.5 + eps), x, observation_noise_variance=0.1)
           .log_prob(y) - fd.GaussianProcess(fd.Matern32(1.0, 0.5 - eps), x,
                                             observation_noise_variance=0.1).log_prob(y))
    assert abs(float(g.kernel.length_scale) - float(num) / (2 * eps)) < 1e-7
    f = fluxion.jit(lambda d, v: d.log_prob(v))
    assert_close(f(gp, y), gp.log_prob(y), 1e-13, 0, "jit")
    ls = np.array([0.3, 0.5, 0.7])
    out = fluxion.vmap(lambda s: fd.GaussianProcess(fd.Matern32(1.0, s), x).log_prob(y))(ls)
    batched = fd.GaussianProcess(fd.Matern32(1.0, ls), x).log_prob(y)
    assert_close(out, batched, 1e-12, 0, "vmap")
