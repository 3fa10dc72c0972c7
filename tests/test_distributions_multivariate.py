"""Multivariate families: the normal family (every covariance representation), Dirichlet, ...

References are scipy.stats's multivariate objects, evaluated one batch member at a time (SciPy
does not broadcast parameters), at relative 1e-10. Sampling checks (fixed seeds): sample means
within 6 standard errors (harness ``check_sampling``), and the Dvoretzky-Kiefer-Wolfowitz bound
on one-dimensional marginals or projections with a false-failure rate alpha = 1e-6 per check.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st
from distributions_harness import (
    assert_close,
    check_kl_monte_carlo,
    check_log_prob_grads,
    check_sampling,
    dkw_epsilon,
)

import fluxion
import fluxion.distributions as fd

RTOL = 1e-10


def _spd(rng: np.random.Generator, k: int, batch: tuple = (), cond: float = 10.0) -> np.ndarray:
    """Random symmetric positive-definite matrices with eigenvalues in [1, cond]."""
    out = np.empty(batch + (k, k))
    for idx in np.ndindex(*batch):
        q, _ = np.linalg.qr(rng.normal(size=(k, k)))
        eig = np.exp(rng.uniform(0.0, math.log(cond), size=k))
        out[idx] = (q * eig) @ q.T
    return out


def _dkw(draws: np.ndarray, cdf, alpha: float = 1e-6) -> None:
    """DKW bound for scalar draws ``(n,)`` against a reference cdf."""
    n = draws.shape[0]
    srt = np.sort(draws)
    f = cdf(srt)
    up = np.arange(1, n + 1) / n
    gap = np.maximum(np.abs(up - f), np.abs(up - 1.0 / n - f)).max()
    assert gap <= dkw_epsilon(n, alpha), (gap, dkw_epsilon(n, alpha))


def _reparam_gradient_fwd(make, theta, f, exact, n=20000, seed=0):
    """The harness's check_reparam_gradient with per-sample Jacobians by forward mode (a few
    parameters, many draws: jacfwd is one pass per parameter, jacrev one per draw)."""
    jac = np.asarray(fluxion.jacfwd(lambda t: f(make(t).sample((n,), seed=seed)))(theta))
    jac = jac.reshape(n, -1)
    est, se = jac.mean(0), jac.std(0) / math.sqrt(n)
    assert np.all(np.abs(est - np.ravel(exact)) <= 6 * se + 1e-10), (est, exact, se)


def _each(batch_shape: tuple):
    return list(np.ndindex(*batch_shape)) if batch_shape else [()]


# --------------------------------------------------------------------------------------------
# Multivariate normal
# --------------------------------------------------------------------------------------------


def _mvn_cases(rng):
    k = 3
    loc = rng.normal(size=(2, 1, k))
    cov = _spd(rng, k, (4,), cond=1e3)
    tril = np.linalg.cholesky(cov)
    prec = np.linalg.inv(cov)
    return loc, cov, [
        fd.MultivariateNormal(loc, scale_tril=tril),
        fd.MultivariateNormal(loc, covariance_matrix=cov),
        fd.MultivariateNormal(loc, precision_matrix=prec),
        fd.MultivariateNormalTriL(loc, tril),
        fd.MultivariateNormalFullCovariance(loc, cov),
    ]


def test_mvn_every_representation_matches_scipy_with_broadcast_batch():
    rng = np.random.default_rng(1)
    loc, cov, dists = _mvn_cases(rng)
    # points: near the mean, in the tails (|x| ~ 30 standard deviations), sample_shape (5,)
    x = np.concatenate([rng.normal(size=(3, 2, 4, 3)), 30.0 * rng.normal(size=(2, 2, 4, 3))])
    for d in dists:
        assert d.batch_shape == (2, 4) and d.event_shape == (3,), d
        lp, ent = np.asarray(d.log_prob(x)), np.asarray(d.entropy())
        mean, var, covm = d.mean(), d.variance(), d.covariance()
        assert lp.shape == (5, 2, 4) and covm.shape == (2, 4, 3, 3)
        for i, j in _each((2, 4)):
            ref = st.multivariate_normal(loc[i, 0], cov[j])
            assert_close(lp[:, i, j], ref.logpdf(x[:, i, j]), RTOL, 0.0, d.name + ".log_prob")
            assert_close(ent[i, j], ref.entropy(), RTOL, 0.0, d.name + ".entropy")
            assert_close(covm[i, j], cov[j], 1e-9, 1e-12, d.name + ".covariance")
            assert_close(var[i, j], np.diag(cov[j]), 1e-9, 0.0, d.name + ".variance")
            assert_close(mean[i, j], loc[i, 0], 0.0, 0.0, d.name + ".mean")
        assert_close(d.mode(), mean, 0.0, 0.0, d.name + ".mode")
        np.testing.assert_allclose(d.prob(x[:3]), np.exp(lp[:3]), rtol=1e-12)
        # the derived representations agree with the given one
        np.testing.assert_allclose(d.scale_tril, np.broadcast_to(np.linalg.cholesky(cov),
                                                                 (4, 3, 3)), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(d.precision_matrix, np.linalg.inv(cov), rtol=1e-7, atol=1e-9)


def test_mvn_diag_matches_scipy_and_the_full_family():
    rng = np.random.default_rng(2)
    loc = rng.normal(size=(4,))
    sd = np.exp(rng.normal(size=(3, 4)) * 2.0)  # scales from ~1e-2 to ~1e2
    d = fd.MultivariateNormalDiag(loc, sd)
    assert d.batch_shape == (3,) and d.event_shape == (4,)
    x = rng.normal(size=(6, 3, 4)) * 5.0
    lp = np.asarray(d.log_prob(x))
    for (i,) in _each((3,)):
        ref = st.multivariate_normal(loc, np.diag(sd[i] ** 2))
        assert_close(lp[:, i], ref.logpdf(x[:, i]), RTOL, 0.0, "MultivariateNormalDiag.log_prob")
        assert_close(d.entropy()[i], ref.entropy(), RTOL, 0.0, "MultivariateNormalDiag.entropy")
    np.testing.assert_allclose(d.covariance(), np.eye(4) * (sd**2)[..., None], rtol=1e-15)
    np.testing.assert_allclose(d.stddev(), sd)
    full = fd.MultivariateNormalTriL(loc, np.eye(4) * sd[..., None])
    np.testing.assert_allclose(d.log_prob(x), full.log_prob(x), rtol=1e-12)
    assert isinstance(d, fd.MultivariateNormal)


def test_mvn_extreme_scales_and_one_dimension():
    # scales 1e-100 .. 1e100 in one event (SciPy's multivariate_normal calls such a covariance
    # singular): against the sum of univariate normal log densities
    sd = np.array([1e-100, 1.0, 1e100])
    x = np.array([[3e-100, -0.5, 2e100], [0.0, 40.0, -1e99]])
    want = st.norm.logpdf(x, 0.0, sd).sum(-1)
    for d in (fd.MultivariateNormalTriL(np.zeros(3), np.diag(sd)),
              fd.MultivariateNormal(np.zeros(3), precision_matrix=np.diag(sd**-2.0)),
              fd.MultivariateNormalDiag(np.zeros(3), sd)):
        assert_close(d.log_prob(x), want, RTOL, 0.0, d.name + ".log_prob (extreme scales)")
    # K = 1 is the univariate normal
    d1 = fd.MultivariateNormal([0.3], covariance_matrix=[[2.5]])
    xs = np.linspace(-10, 10, 7)[:, None]
    assert_close(d1.log_prob(xs), st.norm.logpdf(xs[:, 0], 0.3, math.sqrt(2.5)), RTOL, 0.0,
                 "MultivariateNormal.log_prob (K = 1)")


def _dkw_projections(d, xs, rng, n_dirs=2):
    """Random one-dimensional projections a^T x ~ N(a^T mu, a^T Sigma a)."""
    mean, cov = np.asarray(d.mean()), np.asarray(d.covariance())
    for _ in range(n_dirs):
        a = rng.normal(size=d.event_shape)
        proj = xs @ a
        for idx in _each(d.batch_shape):
            m, s = mean[idx] @ a, math.sqrt(a @ cov[idx] @ a)
            _dkw(proj[(slice(None),) + idx], lambda v, m=m, s=s: st.norm.cdf(v, m, s))


def test_mvn_sampling_moments_and_dkw_on_projections():
    rng = np.random.default_rng(3)
    cov = _spd(rng, 3, (2,))
    loc = np.array([1.0, -2.0, 0.5])
    for d in (fd.MultivariateNormal(loc, covariance_matrix=cov),
              fd.MultivariateNormal(loc, precision_matrix=np.linalg.inv(cov)),
              fd.MultivariateNormalDiag(loc, [0.1, 1.0, 3.0])):
        xs = check_sampling(d, n=20000, seed=4)
        _dkw_projections(d, xs, rng)
        # the sample covariance within 6 standard errors (entrywise, Wishart variance)
        c = np.asarray(d.covariance())
        diag = np.diagonal(c, axis1=-2, axis2=-1)
        se = np.sqrt((c**2 + diag[..., :, None] * diag[..., None, :]) / xs.shape[0])
        emp = np.einsum("n...i,n...j->...ij", xs - xs.mean(0), xs - xs.mean(0)) / xs.shape[0]
        assert np.all(np.abs(emp - c) <= 6 * se), d.name


def test_mvn_log_prob_gradients():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3))
    loc = np.array([0.2, -0.1, 0.4])
    cov = _spd(rng, 3)
    tril = np.linalg.cholesky(cov)
    check_log_prob_grads(lambda m, s: fd.MultivariateNormalTriL(m, s), (loc, tril), x)
    check_log_prob_grads(lambda m, c: fd.MultivariateNormal(m, covariance_matrix=c),
                         (loc, cov), x)
    check_log_prob_grads(lambda m, p: fd.MultivariateNormal(m, precision_matrix=p),
                         (loc, np.linalg.inv(cov)), x)
    check_log_prob_grads(lambda m, s: fd.MultivariateNormalDiag(m, s),
                         (loc, np.array([0.5, 1.0, 2.0])), x)


def test_mvn_reparameterized_gradient():
    # E||x||^2 = ||mu||^2 + ||L||_F^2: d/dmu = 2 mu, d/dL = 2 L (lower triangle)
    mu = np.array([0.5, -1.0])
    tril = np.array([[1.2, 0.0], [0.4, 0.7]])
    theta = np.concatenate([mu, tril[np.tril_indices(2)]])

    def make(t):
        scale = fluxion.numpy.stack([fluxion.numpy.stack([t[2], 0.0 * t[2]]),
                                     fluxion.numpy.stack([t[3], t[4]])])
        return fd.MultivariateNormalTriL(t[:2], scale)

    exact = np.concatenate([2 * mu, 2 * tril[np.tril_indices(2)]])
    _reparam_gradient_fwd(make, theta, lambda x: fluxion.numpy.sum(x**2, axis=-1), exact)


def test_mvn_kl_every_pair_of_representations_matches_monte_carlo():
    rng = np.random.default_rng(6)
    cp, cq = _spd(rng, 3, (2,)), _spd(rng, 3)
    mp, mq = rng.normal(size=(2, 3)), rng.normal(size=3)
    ps = [fd.MultivariateNormal(mp, covariance_matrix=cp),
          fd.MultivariateNormal(mp, precision_matrix=np.linalg.inv(cp)),
          fd.MultivariateNormalDiag(mp, [0.5, 1.0, 1.5])]
    qs = [fd.MultivariateNormalTriL(mq, np.linalg.cholesky(cq)),
          fd.MultivariateNormal(mq, precision_matrix=np.linalg.inv(cq)),
          fd.MultivariateNormalDiag(mq, [1.0, 2.0, 0.7])]
    for p in ps:
        for q in qs:
            check_kl_monte_carlo(p, q, n=20000)
    # the closed form against the dense formula
    p, q = ps[0], qs[0]
    sq_inv = np.linalg.inv(cq)
    for i in range(2):
        d = mq - mp[i]
        want = 0.5 * (np.trace(sq_inv @ cp[i]) + d @ sq_inv @ d - 3
                      + np.linalg.slogdet(cq)[1] - np.linalg.slogdet(cp[i])[1])
        np.testing.assert_allclose(fd.kl_divergence(p, q)[i], want, rtol=1e-10)
    diag_kl = fd.kl_divergence(ps[2], qs[2])
    dense_kl = fd.kl_divergence(fd.MultivariateNormalTriL(mp, np.diag([0.5, 1.0, 1.5])),
                                fd.MultivariateNormalTriL(mq, np.diag([1.0, 2.0, 0.7])))
    np.testing.assert_allclose(diag_kl, dense_kl, rtol=1e-12)


def test_mvn_is_a_pytree_under_jit_vmap_grad():
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    d = fd.MultivariateNormal(np.zeros((4, 2)), covariance_matrix=cov)
    x = np.array([0.3, -0.2])
    want = st.multivariate_normal(np.zeros(2), cov).logpdf(x)
    np.testing.assert_allclose(fluxion.jit(lambda dd: dd.log_prob(x))(d), np.full(4, want),
                               rtol=1e-12)
    g = fluxion.grad(lambda dd: dd.log_prob(x).sum())(d)
    np.testing.assert_allclose(g.loc, np.broadcast_to(np.linalg.solve(cov, x), (4, 2)),
                               rtol=1e-12)
    tril = fd.MultivariateNormalTriL(np.zeros((5, 2)),
                                     np.broadcast_to(np.linalg.cholesky(cov), (5, 2, 2)))
    out = fluxion.vmap(lambda dd: dd.log_prob(x))(tril)
    np.testing.assert_allclose(out, np.full(5, want), rtol=1e-12)


def test_mvn_validation_errors():
    bad_cov = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="MultivariateNormal: expected covariance_matrix a "
                                         "symmetric positive-definite matrix"):
        fd.MultivariateNormal(np.zeros(2), covariance_matrix=bad_cov, validate_args=True)
    # without validate_args the factorization fails with the family's name
    with pytest.raises(ValueError, match="MultivariateNormal: expected covariance_matrix "
                                         "symmetric positive definite"):
        fd.MultivariateNormal(np.zeros(2), covariance_matrix=bad_cov).log_prob(np.zeros(2))
    with pytest.raises(ValueError, match="MultivariateNormalTriL: expected scale_tril a "
                                         "lower-triangular matrix"):
        fd.MultivariateNormalTriL(np.zeros(2), [[1.0, 0.5], [0.0, 1.0]], validate_args=True)
    with pytest.raises(ValueError, match="MultivariateNormalTriL: expected scale_tril a "
                                         "lower-triangular matrix with a positive diagonal"):
        fd.MultivariateNormalTriL(np.zeros(2), [[1.0, 0.0], [0.3, -1.0]], validate_args=True)
    with pytest.raises(ValueError, match="exactly one of"):
        fd.MultivariateNormal(np.zeros(2), covariance_matrix=np.eye(2), scale_tril=np.eye(2))
    with pytest.raises(ValueError, match="exactly one of .* got none"):
        fd.MultivariateNormal(np.zeros(2))
    with pytest.raises(ValueError, match="expected loc with last dimension 2"):
        fd.MultivariateNormal(np.zeros(3), covariance_matrix=np.eye(2))
    with pytest.raises(ValueError, match=r"square matrices of shape \(..., K, K\)"):
        fd.MultivariateNormalTriL(np.zeros(2), np.ones((2, 3)))
    with pytest.raises(ValueError, match="MultivariateNormalDiag: expected scale_diag a vector"):
        fd.MultivariateNormalDiag(np.zeros(2), [1.0, 0.0], validate_args=True)
    with pytest.raises(ValueError, match="log_prob: expected values in the support"):
        fd.MultivariateNormalDiag(np.zeros(2), validate_args=True).log_prob([np.nan, 0.0])
    with pytest.raises(ValueError, match="trailing dimensions are the event shape"):
        fd.MultivariateNormalDiag(np.zeros(2)).log_prob(np.zeros(3))
    # scalar loc broadcasts to the event, as NumPyro allows
    d = fd.MultivariateNormal(0.5, scale_tril=np.eye(3))
    assert d.event_shape == (3,) and np.allclose(d.mean(), 0.5)
    assert type(d.default_bijector).__name__ == "Identity"


# --------------------------------------------------------------------------------------------
# Dirichlet
# --------------------------------------------------------------------------------------------


def test_dirichlet_matches_scipy_at_awkward_points():
    rng = np.random.default_rng(7)
    conc = np.array([[0.05, 0.5, 3.0], [1.0, 1.0, 1.0], [2e3, 1e4, 5.0], [1e-3, 1.0, 2.0]])
    d = fd.Dirichlet(conc)
    assert d.batch_shape == (4,) and d.event_shape == (3,)
    x = rng.dirichlet([0.8, 0.8, 0.8], size=(5, 4))
    x[0, 1] = [0.0, 0.3, 0.7]  # a zero coordinate where a = 1: 0 log 0 = 0
    lp = np.asarray(d.log_prob(x))
    for i in range(4):
        ref = st.dirichlet(conc[i])
        for s in range(5):
            if np.any(x[s, i] == 0) and np.any(conc[i] != 1):
                continue
            assert_close(lp[s, i], ref.logpdf(x[s, i]), RTOL, 0.0, "Dirichlet.log_prob")
        assert_close(d.entropy()[i], ref.entropy(), RTOL, 0.0, "Dirichlet.entropy")
        assert_close(d.mean()[i], ref.mean(), RTOL, 0.0, "Dirichlet.mean")
        assert_close(d.variance()[i], ref.var(), RTOL, 0.0, "Dirichlet.variance")
        assert_close(d.covariance()[i], ref.cov(), RTOL, 1e-300, "Dirichlet.covariance")
    mode = np.asarray(d.mode())
    np.testing.assert_allclose(mode[2], (conc[2] - 1) / (conc[2].sum() - 3), rtol=1e-14)
    assert np.all(np.isnan(mode[[0, 1, 3]]))
    assert np.asarray(d.log_prob([[-0.1, 0.6, 0.5]] * 4))[0] == -np.inf


def test_dirichlet_sampling_marginals_and_implicit_reparameterization():
    conc = np.array([[0.3, 1.0, 2.5], [4.0, 4.0, 10.0]])
    d = fd.Dirichlet(conc)
    xs = check_sampling(d, n=20000, seed=8)
    np.testing.assert_allclose(xs.sum(-1), 1.0, rtol=1e-12)
    for i in range(2):
        a0 = conc[i].sum()
        for j in range(3):
            _dkw(xs[:, i, j], lambda v, a=conc[i, j], b=a0 - conc[i, j]: st.beta.cdf(v, a, b))
    # d/da E[x_0] = d/da (a_0 / sum a) = (e_0 sum a - a_0) / (sum a)^2
    a = np.array([1.5, 2.0, 0.7])
    exact = (np.eye(3)[0] * a.sum() - a[0]) / a.sum() ** 2
    _reparam_gradient_fwd(lambda t: fd.Dirichlet(t), a, lambda x: x[..., 0], exact)
    # tiny concentrations: no 0/0 (the gammas are normalized in log space); marginals still
    # Beta(a_i, a_0 - a_i)
    n = 20000
    tiny = np.asarray(fd.Dirichlet([1e-3, 2e-3, 0.5]).sample(n, seed=9))
    assert np.all(np.isfinite(tiny)) and np.allclose(tiny.sum(-1), 1.0)
    # the DKW bound at fixed points (the sup over all points bounds it): x_0 ~ Beta(1e-3,
    # 0.502) has half its mass below 1e-300, where draws round to 0
    points = np.array([1e-300, 1e-200, 1e-100, 1e-30, 1e-10, 1e-3, 0.1, 0.5])
    emp = (tiny[:, :1] <= points).mean(0)
    gap = np.abs(emp - st.beta.cdf(points, 1e-3, 0.502)).max()
    assert gap <= dkw_epsilon(n, 1e-6), gap


def test_dirichlet_gradients_kl_and_validation():
    x = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    check_log_prob_grads(lambda a: fd.Dirichlet(a), (np.array([0.7, 2.0, 3.5]),), x)
    p = fd.Dirichlet([[1.5, 0.5, 2.0], [3.0, 3.0, 3.0]])
    q = fd.Dirichlet([1.0, 2.0, 0.8])
    check_kl_monte_carlo(p, q, n=100000)
    assert type(p.default_bijector).__name__ == "StickBreaking"
    with pytest.raises(ValueError, match="Dirichlet: expected concentration a vector > 0, got"):
        fd.Dirichlet([1.0, 0.0, 2.0], validate_args=True)
    with pytest.raises(ValueError, match=r"Dirichlet.log_prob: expected values in the support "
                                         r"\(a simplex"):
        fd.Dirichlet([1.0, 1.0, 2.0], validate_args=True).log_prob([0.2, 0.2, 0.2])
    with pytest.raises(ValueError, match="Dirichlet: expected concentration of shape"):
        fd.Dirichlet(1.0)


def _registered(spec: str) -> bool:
    try:
        fluxion.bijectors.for_constraint(spec)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Low-rank multivariate normal
# --------------------------------------------------------------------------------------------


def test_lowrank_mvn_matches_scipy_and_dense_family():
    rng = np.random.default_rng(9)
    k, r = 5, 2
    loc = rng.normal(size=(3, 1, k))
    w = rng.normal(size=(2, k, r))
    diag = np.exp(rng.normal(size=(k,)))
    d = fd.MultivariateNormalLowRank(loc, w, diag)
    assert fd.LowRankMultivariateNormal is fd.MultivariateNormalLowRank
    assert d.batch_shape == (3, 2) and d.event_shape == (k,)
    x = rng.normal(size=(4, 3, 2, k)) * 3.0
    lp, ent, covm = np.asarray(d.log_prob(x)), np.asarray(d.entropy()), np.asarray(d.covariance())
    for i, j in _each((3, 2)):
        cov = w[j] @ w[j].T + np.diag(diag)
        ref = st.multivariate_normal(loc[i, 0], cov)
        assert_close(lp[:, i, j], ref.logpdf(x[:, i, j]), RTOL, 0.0, "LowRank.log_prob")
        assert_close(ent[i, j], ref.entropy(), RTOL, 0.0, "LowRank.entropy")
        assert_close(covm[i, j], cov, 1e-14, 1e-14, "LowRank.covariance")
        assert_close(d.variance()[i, j], np.diag(cov), 1e-14, 0.0, "LowRank.variance")
    dense = fd.MultivariateNormal(loc, covariance_matrix=np.asarray(d.covariance()))
    np.testing.assert_allclose(d.log_prob(x), dense.log_prob(x), rtol=1e-11)


def test_lowrank_mvn_sampling_gradients_and_kl():
    rng = np.random.default_rng(10)
    loc = np.array([0.5, -1.0, 2.0, 0.0])
    w = rng.normal(size=(4, 2))
    diag = np.array([0.3, 1.0, 0.5, 2.0])
    d = fd.MultivariateNormalLowRank(loc, w, diag)
    xs = check_sampling(d, n=20000, seed=11)
    _dkw_projections(d, xs, rng)
    x = rng.normal(size=(2, 4))
    check_log_prob_grads(lambda m, f, g: fd.MultivariateNormalLowRank(m, f, g), (loc, w, diag), x)
    q = fd.MultivariateNormalTriL(np.zeros(4), np.linalg.cholesky(_spd(rng, 4)))
    check_kl_monte_carlo(d, q, n=20000)
    check_kl_monte_carlo(q, d, n=20000)
    # E||x||^2 = ||loc||^2 + |W|_F^2 + sum(d): reparameterized in every parameter
    theta = np.concatenate([loc, w.ravel(), diag])

    def make(t):
        return fd.MultivariateNormalLowRank(t[:4], fluxion.numpy.reshape(t[4:12], (4, 2)),
                                            t[12:])

    exact = np.concatenate([2 * loc, 2 * w.ravel(), np.ones(4)])
    _reparam_gradient_fwd(make, theta, lambda x: fluxion.numpy.sum(x**2, axis=-1), exact)


# --------------------------------------------------------------------------------------------
# Multivariate Student t
# --------------------------------------------------------------------------------------------


def test_multivariate_t_matches_scipy_with_broadcast_batch():
    rng = np.random.default_rng(12)
    df = np.array([[0.5], [3.0], [1e5]])  # (3, 1): heavy tails to nearly normal
    loc = rng.normal(size=(2, 3))
    cov = _spd(rng, 3, cond=100.0)
    d = fd.MultivariateStudentT(df, loc, np.linalg.cholesky(cov))
    assert d.batch_shape == (3, 2) and d.event_shape == (3,)
    x = np.concatenate([rng.normal(size=(3, 3, 2, 3)), 1e3 * rng.normal(size=(2, 3, 2, 3))])
    lp, ent = np.asarray(d.log_prob(x)), np.asarray(d.entropy())
    for i, j in _each((3, 2)):
        ref = st.multivariate_t(loc[j], cov, df=df[i, 0])
        assert_close(lp[:, i, j], ref.logpdf(x[:, i, j]), RTOL, 0.0, "MVT.log_prob")
        # scipy's entropy at df = 1e5 differs from the closed form by cancellation (~1e-10)
        assert_close(ent[i, j], ref.entropy(), 1e-9 if df[i, 0] > 1e4 else RTOL, 0.0,
                     "MVT.entropy")
    mean, covm = np.asarray(d.mean()), np.asarray(d.covariance())
    assert np.all(np.isnan(mean[0])) and np.allclose(mean[1:], loc)
    assert np.all(np.isnan(covm[0]))
    np.testing.assert_allclose(covm[1, 0], 3.0 * cov, rtol=1e-12)
    np.testing.assert_allclose(d.variance()[1, 1], 3.0 * np.diag(cov), rtol=1e-12)
    assert np.all(np.isinf(fd.MultivariateStudentT(1.5, loc[0], np.eye(3)).variance()))
    np.testing.assert_allclose(d.mode(), np.broadcast_to(loc, (3, 2, 3)))


def test_multivariate_t_sampling_gradients_and_reparameterization():
    rng = np.random.default_rng(13)
    cov = _spd(rng, 3)
    loc = np.array([1.0, 0.0, -1.0])
    d = fd.MultivariateStudentT([6.0, 12.0], loc, np.linalg.cholesky(cov))
    xs = check_sampling(d, n=20000, seed=14)
    for _ in range(2):
        a = rng.normal(size=3)
        for b, df in enumerate((6.0, 12.0)):
            s = math.sqrt(a @ cov @ a)
            _dkw(xs[:, b] @ a, lambda v, df=df, s=s, m=loc @ a: st.t.cdf(v, df, m, s))
    x = rng.normal(size=(2, 3))
    check_log_prob_grads(lambda n, m, s: fd.MultivariateStudentT(n, m, s),
                         (4.0, loc, np.linalg.cholesky(cov)), x)
    # E||x||^2 = ||mu||^2 + df / (df - 2) |L|_F^2: implicit reparameterization in df
    tril = np.array([[1.0, 0.0], [0.5, 0.8]])
    mu, df = np.array([0.3, -0.4]), 7.0
    theta = np.concatenate([mu, tril[np.tril_indices(2)], [df]])

    def make(t):
        scale = fluxion.numpy.stack([fluxion.numpy.stack([t[2], 0.0 * t[2]]),
                                     fluxion.numpy.stack([t[3], t[4]])])
        return fd.MultivariateStudentT(t[5], t[:2], scale)

    fro = np.sum(tril**2)
    exact = np.concatenate([2 * mu, 2 * df / (df - 2) * tril[np.tril_indices(2)],
                            [-2.0 / (df - 2) ** 2 * fro]])
    _reparam_gradient_fwd(make, theta, lambda x: fluxion.numpy.sum(x**2, axis=-1), exact,
                          n=100000)
    with pytest.raises(ValueError, match="MultivariateStudentT: expected df > 0"):
        fd.MultivariateStudentT(0.0, loc, np.eye(3), validate_args=True)


# --------------------------------------------------------------------------------------------
# LKJ and LKJCholesky
# --------------------------------------------------------------------------------------------


def _random_corr(rng, k, n):
    a = rng.normal(size=(n, k, k + 2))
    c = a @ np.swapaxes(a, -1, -2)
    s = 1.0 / np.sqrt(np.diagonal(c, axis1=-2, axis2=-1))
    return c * s[:, :, None] * s[:, None, :]


def _lkj_log_c(k: int, eta: float) -> float:
    """log of the LKJ normalizing constant by direct summation of LKJ 2009's eq. (16)."""
    from scipy.special import betaln

    total = 0.0
    for i in range(1, k):
        b = eta + (k - 1 - i) / 2.0
        total += (2 * eta - 2 + k - i) * (k - i) * math.log(2.0) + (k - i) * betaln(b, b)
    return total


def test_lkj_density_equals_direct_evaluation():
    rng = np.random.default_rng(15)
    eta = np.array([0.4, 1.0, 2.5, 30.0])
    for k in (2, 3, 5):
        c = _random_corr(rng, k, 6)[:, None]  # (6, 1, k, k) against batch (4,)
        lkj, chol = fd.LKJ(k, eta), fd.LKJCholesky(k, eta)
        assert lkj.batch_shape == (4,) and lkj.event_shape == (k, k)
        log_c = np.array([_lkj_log_c(k, e) for e in eta])
        logdet = np.linalg.slogdet(c)[1]
        assert_close(lkj.log_prob(c), (eta - 1) * logdet - log_c, 1e-10, 1e-12, "LKJ.log_prob")
        tril = np.linalg.cholesky(c)
        diag = np.diagonal(tril, axis1=-2, axis2=-1)
        # p(L) = p_LKJ(L L^T) |d(L L^T)/dL| with the Jacobian prod_i L_ii^(K - i - 1)
        jac = np.sum((k - np.arange(k) - 1) * np.log(diag), axis=-1)
        assert_close(chol.log_prob(tril), (eta - 1) * logdet - log_c + jac, 1e-10, 1e-12,
                     "LKJCholesky.log_prob")


def _gauss_legendre(n: int, dims: int):
    """Nodes and weights of the n^dims tensor Gauss-Legendre rule on [-1, 1]^dims."""
    t, w = np.polynomial.legendre.leggauss(n)
    nodes = np.meshgrid(*([t] * dims), indexing="ij")
    weights = np.prod(np.meshgrid(*([w] * dims), indexing="ij"), axis=0)
    return [v.ravel() for v in nodes], weights.ravel()


def test_lkj_normalizes_numerically_for_k_2_and_3():
    """fluxion's densities integrate to 1 (tensor Gauss-Legendre rules; the K = 3 sets are
    parameterized so that the domain is the cube, with the Jacobians written out)."""
    (r,), w1 = _gauss_legendre(400, 1)
    (a, b, t), w3 = _gauss_legendre(50, 3)
    for eta in (1.0, 2.0, 3.5):
        # K = 2: correlation matrices [[1, r], [r, 1]] (LKJ and LKJCholesky's L = [[1, 0],
        # [r, sqrt(1 - r^2)]] have the same density in r)
        c2 = np.stack([np.ones_like(r), r, r, np.ones_like(r)], -1).reshape(-1, 2, 2)
        l2 = np.stack([np.ones_like(r), 0 * r, r, np.sqrt(1 - r**2)], -1).reshape(-1, 2, 2)
        np.testing.assert_allclose(w1 @ np.exp(fd.LKJ(2, eta).log_prob(c2)), 1.0, rtol=1e-5)
        np.testing.assert_allclose(w1 @ np.exp(fd.LKJCholesky(2, eta).log_prob(l2)), 1.0,
                                   rtol=1e-5)
        # K = 3 correlation matrices: r12 = a, r13 = b, r23 = a b + t sqrt((1-a^2)(1-b^2)),
        # dr23/dt = sqrt((1-a^2)(1-b^2)): the whole elliptope as (a, b, t) in the cube
        root = np.sqrt((1 - a**2) * (1 - b**2))
        r23 = a * b + t * root
        one = np.ones_like(a)
        c3 = np.stack([one, a, b, a, one, r23, b, r23, one], -1).reshape(-1, 3, 3)
        total = w3 @ (np.exp(np.asarray(fd.LKJ(3, eta).log_prob(c3))) * root)
        np.testing.assert_allclose(total, 1.0, rtol=2e-4)
        # K = 3 Cholesky factors: L10 = a, (L20, L21) = (b, t sqrt(1 - b^2)) over the disc
        s = np.sqrt(1 - b**2)
        l21 = t * s
        zero = np.zeros_like(a)
        l3 = np.stack([one, zero, zero, a, np.sqrt(1 - a**2), zero,
                       b, l21, np.sqrt(np.maximum(1 - b**2 - l21**2, 0.0))], -1).reshape(-1, 3, 3)
        total = w3 @ (np.exp(np.asarray(fd.LKJCholesky(3, eta).log_prob(l3))) * s)
        np.testing.assert_allclose(total, 1.0, rtol=2e-4)


def test_lkj_sampling_marginals_and_moments():
    for k, eta in ((3, 0.8), (4, 2.0)):
        chol = fd.LKJCholesky(k, eta)
        tril = np.asarray(chol.sample(20000, seed=16))
        assert tril.shape == (20000, k, k)
        np.testing.assert_allclose(np.sum(tril**2, -1), 1.0, rtol=1e-12)
        assert np.all(np.triu(tril, 1) == 0) and np.all(np.diagonal(tril, 0, -2, -1) > 0)
        corr = tril @ np.swapaxes(tril, -1, -2)
        b = eta - 1 + k / 2.0
        for i, j in ((1, 0), (k - 1, 0), (k - 1, k - 2)):
            _dkw(corr[:, i, j], lambda v, b=b: st.beta.cdf((v + 1) / 2, b, b))
        lkj = fd.LKJ(k, eta)
        xs = check_sampling(lkj, n=20000, seed=17)
        np.testing.assert_allclose(np.diagonal(xs, 0, -2, -1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(lkj.variance()[0, 1], 1.0 / (2 * eta + k - 1))
        np.testing.assert_allclose(xs[:, 0, 1].var(), 1.0 / (2 * eta + k - 1), rtol=0.05)
    assert np.all(np.isnan(fd.LKJ(3, 0.5).mode()))
    np.testing.assert_array_equal(fd.LKJ(3, 2.0).mode(), np.eye(3))


def test_lkj_gradients_validation_and_bijectors():
    rng = np.random.default_rng(18)
    c = _random_corr(rng, 3, 2)
    check_log_prob_grads(lambda e: fd.LKJ(3, e), (1.7,), c)
    check_log_prob_grads(lambda e: fd.LKJCholesky(3, e), (1.7,), np.linalg.cholesky(c))
    with pytest.raises(ValueError, match="LKJ: expected concentration > 0, got -1.0"):
        fd.LKJ(3, -1.0, validate_args=True)
    with pytest.raises(ValueError, match="LKJCholesky: expected dimension >= 2"):
        fd.LKJCholesky(1)
    with pytest.raises(ValueError, match=r"LKJ.log_prob: expected values in the support \(a "
                                         "correlation matrix"):
        fd.LKJ(2, 1.0, validate_args=True).log_prob([[1.0, 0.5], [0.5, 2.0]])
    with pytest.raises(ValueError, match=r"LKJCholesky.log_prob: expected values in the support "
                                         r"\(the Cholesky factor of a correlation matrix"):
        fd.LKJCholesky(2, 1.0, validate_args=True).log_prob([[1.0, 0.0], [0.5, 0.5]])
    # without validate_args: -inf for a matrix that is not positive definite
    assert float(fd.LKJ(2, 2.0).log_prob([[1.0, 1.5], [1.5, 1.0]])) == -np.inf
    assert type(fd.LKJCholesky(3).default_bijector).__name__ == "CorrelationCholesky"


@pytest.mark.skipif(not _registered("corr_matrix"),
                    reason="bijectors.for_constraint has no 'corr_matrix' yet (added in parallel "
                           "by the bijector helper)")
def test_lkj_default_bijector_maps_onto_correlation_matrices():
    b = fd.LKJ(3, 2.0).default_bijector
    c = np.asarray(b.forward(np.random.default_rng(0).normal(size=(4, 3))))
    assert np.all(fd.constraints.corr_matrix.check(c))


# --------------------------------------------------------------------------------------------
# Wishart and inverse Wishart
# --------------------------------------------------------------------------------------------


def test_wishart_and_inverse_wishart_match_scipy_with_broadcast_batch():
    rng = np.random.default_rng(19)
    p = 3
    df = np.array([[2.2], [5.0], [60.0]])  # just above p - 1, moderate, large
    scale = _spd(rng, p, (2,), cond=50.0)
    tril = np.linalg.cholesky(scale)
    x = np.stack([st.wishart(8, s).rvs(4, random_state=1) for s in scale], 1)  # (4, 2, p, p)
    x = x[:, None]  # (4, 1, 2, p, p) against batch (3, 2)
    for fam, ref_fam in ((fd.Wishart, st.wishart), (fd.InverseWishart, st.invwishart)):
        d = fam(df, tril)
        assert d.batch_shape == (3, 2) and d.event_shape == (p, p)
        lp, ent = np.asarray(d.log_prob(x)), np.asarray(d.entropy())
        mean, var, mode = np.asarray(d.mean()), np.asarray(d.variance()), np.asarray(d.mode())
        for i, j in _each((3, 2)):
            ref = ref_fam(df[i, 0], scale[j])
            want = ref.logpdf(np.moveaxis(x[:, 0, j], 0, -1))
            assert_close(lp[:, i, j], want, RTOL, 0.0, d.name + ".log_prob")
            assert_close(ent[i, j], ref.entropy(), RTOL, 0.0, d.name + ".entropy")
            moments = {"mean": ref.mean, "var": ref.var, "mode": ref.mode}
            for name, got in (("mean", mean), ("var", var), ("mode", mode)):
                try:
                    want = moments[name]()
                except ValueError:
                    want = None
                if want is None or not np.all(np.isfinite(want)):
                    continue
                assert_close(got[i, j], want, 1e-12, 1e-300, f"{d.name}.{name}")
        # where a moment does not exist: nan (Wishart's mode below p + 1, the inverse's mean
        # at df <= p + 1 and variance at df <= p + 3)
        if fam is fd.Wishart:
            assert np.all(np.isnan(mode[0])) and np.all(np.isfinite(mode[1:]))
        else:
            assert np.all(np.isnan(mean[0])) and np.all(np.isnan(var[:2]))


def test_wishart_and_inverse_wishart_sampling():
    rng = np.random.default_rng(20)
    p = 3
    scale = _spd(rng, p)
    tril = np.linalg.cholesky(scale)
    n = 20000
    for fam in (fd.Wishart, fd.InverseWishart):
        d = fam(np.array([7.5, 12.0]), tril)
        xs = check_sampling(d, n=n, seed=21)
        assert np.allclose(xs, np.swapaxes(xs, -1, -2))
        # a^T X a / a^T S a ~ chi2(df); for the inverse, with X^-1 and S^-1
        for _ in range(2):
            a = rng.normal(size=p)
            for b, df in enumerate((7.5, 12.0)):
                if fam is fd.Wishart:
                    stat = np.einsum("i,nij,j->n", a, xs[:, b], a) / (a @ scale @ a)
                else:
                    sinv = np.linalg.inv(scale)
                    stat = np.einsum("i,nij,j->n", a, np.linalg.inv(xs[:, b]), a) / (a @ sinv @ a)
                _dkw(stat, lambda v, df=df: st.chi2.cdf(v, df))


def test_wishart_gradients_reparameterization_and_validation():
    rng = np.random.default_rng(22)
    scale = _spd(rng, 2)
    tril = np.linalg.cholesky(scale)
    x = st.wishart(5, scale).rvs(2, random_state=3)
    check_log_prob_grads(lambda n, s: fd.Wishart(n, s), (4.5, tril), x)
    check_log_prob_grads(lambda n, s: fd.InverseWishart(n, s), (4.5, tril), x)
    # E tr X = df tr S: d/d df = tr S, d/dL = 2 df L
    theta = np.concatenate([[6.0], tril[np.tril_indices(2)]])

    def make(t):
        s = fluxion.numpy.stack([fluxion.numpy.stack([t[1], 0.0 * t[1]]),
                                 fluxion.numpy.stack([t[2], t[3]])])
        return fd.Wishart(t[0], s)

    exact = np.concatenate([[np.trace(scale)], 12.0 * tril[np.tril_indices(2)]])
    _reparam_gradient_fwd(make, theta, lambda x: fluxion.numpy.trace(x, axis1=-2, axis2=-1),
                          exact)
    with pytest.raises(ValueError, match=r"Wishart: expected df > dimension - 1 = 1, got df"):
        fd.Wishart(0.5, tril, validate_args=True)
    with pytest.raises(ValueError, match="InverseWishart: expected scale_tril a lower-triangular"):
        fd.InverseWishart(3.0, [[1.0, 0.2], [0.0, 1.0]], validate_args=True)
    with pytest.raises(ValueError, match=r"Wishart.log_prob: expected values in the support \(a "
                                         "symmetric positive-definite"):
        fd.Wishart(3.0, tril, validate_args=True).log_prob([[1.0, 2.0], [2.0, 1.0]])
    assert float(fd.Wishart(3.0, tril).log_prob([[1.0, 2.0], [2.0, 1.0]])) == -np.inf


@pytest.mark.skipif(not _registered("positive_definite"),
                    reason="bijectors.for_constraint has no 'positive_definite' yet (added in "
                           "parallel by the bijector helper)")
def test_wishart_default_bijector_maps_onto_positive_definite_matrices():
    b = fd.Wishart(4.0, np.eye(3)).default_bijector
    x = np.asarray(b.forward(np.random.default_rng(0).normal(size=(4, 6))))
    assert np.all(fd.constraints.positive_definite.check(x))


# --------------------------------------------------------------------------------------------
# Matrix normal
# --------------------------------------------------------------------------------------------


def test_matrix_normal_matches_scipy_samples_and_gradients():
    rng = np.random.default_rng(23)
    n, p = 2, 3
    loc = rng.normal(size=(2, 1, n, p))
    u = _spd(rng, n, (3,), cond=20.0)
    v = _spd(rng, p)
    d = fd.MatrixNormal(loc, np.linalg.cholesky(u), np.linalg.cholesky(v))
    assert d.batch_shape == (2, 3) and d.event_shape == (n, p)
    x = rng.normal(size=(4, 2, 3, n, p)) * 3.0
    lp, ent = np.asarray(d.log_prob(x)), np.asarray(d.entropy())
    cov = np.asarray(d.covariance())
    assert cov.shape == (2, 3, n, p, n, p)
    for i, j in _each((2, 3)):
        ref = st.matrix_normal(loc[i, 0], u[j], v)
        assert_close(lp[:, i, j], ref.logpdf(x[:, i, j]), RTOL, 0.0, "MatrixNormal.log_prob")
        assert_close(ent[i, j], ref.entropy(), RTOL, 0.0, "MatrixNormal.entropy")
        # vec(X) (row-major) has covariance U (x) V
        assert_close(cov[i, j].reshape(n * p, n * p), np.kron(u[j], v), 1e-12, 1e-14,
                     "MatrixNormal.covariance")
    np.testing.assert_allclose(d.variance(), np.broadcast_to(
        np.diagonal(u, 0, -2, -1)[:, :, None] * np.diag(v), (2, 3, n, p)), rtol=1e-12)
    d1 = fd.MatrixNormal(loc[0, 0], np.linalg.cholesky(u[0]), np.linalg.cholesky(v))
    xs = check_sampling(d1, n=20000, seed=24)
    flat = xs.reshape(-1, n * p)
    a = rng.normal(size=n * p)
    s = math.sqrt(a @ np.kron(u[0], v) @ a)
    _dkw(flat @ a, lambda t: st.norm.cdf(t, loc[0, 0].ravel() @ a, s))
    check_log_prob_grads(lambda m, r, c: fd.MatrixNormal(m, r, c),
                         (loc[0, 0], np.linalg.cholesky(u[0]), np.linalg.cholesky(v)), x[:2, 0, 0])
    with pytest.raises(ValueError, match=r"MatrixNormal: expected loc of shape \(..., 2, 3\)"):
        fd.MatrixNormal(np.zeros((3, 2)), np.eye(2), np.eye(3))


# --------------------------------------------------------------------------------------------
# The linear algebra: substitution (K <= 32) and the LAPACK primitives (larger K)
# --------------------------------------------------------------------------------------------


def test_unrolled_solves_and_cholesky_equal_the_lapack_primitives():
    from fluxion._src.distributions import multivariate as mv

    rng = np.random.default_rng(25)
    a = _spd(rng, 6, (3,), cond=1e4)
    tril = np.linalg.cholesky(a)
    np.testing.assert_allclose(mv._chol(a), tril, rtol=1e-12, atol=1e-14)
    m = rng.normal(size=(5, 3, 6, 2))
    for lower in (True, False):
        for trans in (False, True):
            t = tril if lower else np.swapaxes(tril, -1, -2)
            # traced (as under jit and grad), the solve is the substitution; eagerly, with few
            # distinct factors, the primitive
            solve = fluxion.jit(lambda t, m, lower=lower, trans=trans: mv._tri_solve(
                t, m, lower=lower, trans=trans))
            got = solve(t, m)
            np.testing.assert_allclose(mv._tri_solve(t, m, lower=lower, trans=trans), got,
                                       rtol=1e-10, atol=1e-12)
            want = mv._tri_solve_lapack(t, m, lower=lower, trans=trans)
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    with np.errstate(invalid="ignore"):
        assert np.isnan(mv._chol(np.array([[1.0, 2.0], [2.0, 1.0]]))[1, 1])
    # a large event (K = 40 > _UNROLL_MAX) takes the primitives; same numbers as SciPy
    big = _spd(rng, 40, cond=100.0)
    loc = rng.normal(size=40)
    x = rng.normal(size=(3, 40))
    ref = st.multivariate_normal(loc, big).logpdf(x)
    for d in (fd.MultivariateNormal(loc, covariance_matrix=big),
              fd.MultivariateNormal(loc, precision_matrix=np.linalg.inv(big))):
        assert_close(d.log_prob(x), ref, 1e-10, 0.0, d.name + ".log_prob (K = 40)")
    # and is differentiable to second order through the Cholesky and triangular-solve
    # primitives (K = 34, just above the substitution's limit)
    k = 34
    a34 = _spd(rng, k, cond=10.0)
    x34 = rng.normal(size=(2, k))
    check_log_prob_grads(lambda m, c: fd.MultivariateNormal(m, covariance_matrix=c),
                         (np.zeros(k), a34), x34)
    check_log_prob_grads(lambda m, p: fd.MultivariateNormal(m, precision_matrix=p),
                         (np.zeros(k), a34), x34)


# --------------------------------------------------------------------------------------------
# Compiled: every family's log_prob and its gradient run on the compiled NUTS's tape machine
# --------------------------------------------------------------------------------------------

_C3 = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.5]])
_L3 = np.linalg.cholesky(_C3)
_CORR3 = np.array([[1.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.0]])
_X = np.random.default_rng(26).normal(size=(5, 3))  # five observations
_SIMPLEX = np.random.default_rng(27).dirichlet(np.ones(3), size=5)
_MATS = np.stack([_C3 * (1.0 + 0.1 * i) for i in range(5)])
_C_BATCH = np.stack([_C3, 2.0 * _C3])  # per-group parameters (batch (2,))


def _family_log_probs(t):
    """Each family's log density of five observations, its parameters functions of t."""
    fnp = fluxion.numpy
    s, m = fnp.exp(t[0]), t[1]
    loc = fnp.stack([m, 2.0 * m, -m])
    return {
        "MultivariateNormalTriL": fd.MultivariateNormalTriL(loc, _L3 * s).log_prob(_X),
        "MultivariateNormal(covariance)":
            fd.MultivariateNormal(loc, covariance_matrix=_C3 * s).log_prob(_X),
        "MultivariateNormal(precision)":
            fd.MultivariateNormal(loc, precision_matrix=_C3 * s).log_prob(_X),
        "MultivariateNormal(batched precision)": fd.MultivariateNormal(
            loc, precision_matrix=_C_BATCH * s).log_prob(_X[:, None]),
        "MultivariateNormalDiag": fd.MultivariateNormalDiag(loc, s * np.ones(3)).log_prob(_X),
        "MultivariateNormalLowRank": fd.MultivariateNormalLowRank(
            loc, s * np.ones((2, 3, 2)), s * np.ones(3)).log_prob(_X[:, None]),
        "MultivariateStudentT": fd.MultivariateStudentT(3.0 + s, loc, _L3).log_prob(_X),
        "Dirichlet": fd.Dirichlet(fnp.stack([s, 1.0 + s, 2.0 + 0.0 * s])).log_prob(_SIMPLEX),
        "LKJCholesky": fd.LKJCholesky(3, s).log_prob(np.linalg.cholesky(_CORR3)),
        "LKJ": fd.LKJ(3, s).log_prob(_CORR3),
        "Wishart": fd.Wishart(4.0 + s, _L3).log_prob(_MATS * (1.0 + 0.1 * m)),
        "InverseWishart": fd.InverseWishart(4.0 + s, _L3).log_prob(_MATS * (1.0 + 0.1 * m)),
        "MatrixNormal": fd.MatrixNormal(m * np.ones((2, 3)), np.eye(2) * s, _L3).log_prob(
            np.ones((4, 2, 3))),
    }


def test_every_log_prob_and_its_gradient_encode_for_the_compiled_nuts():
    from fluxion._src.codegen import tape

    theta = np.array([0.2, 0.4])
    eager = _family_log_probs(theta)
    for name in eager:
        def fn(t, name=name):
            return fluxion.numpy.sum(_family_log_probs(t)[name])

        for f in (fn, fluxion.grad(fn)):
            graph = fluxion.jit(f, tier=0).lower(theta).graph
            encoded, why = tape.encode(graph)
            assert encoded is not None, f"{name}: {why}"
        # the jitted value is the eager one
        np.testing.assert_allclose(fluxion.jit(fn)(theta), np.sum(eager[name]), rtol=1e-12)


def _mvn_model(theta):
    # a bivariate normal mean with a correlated prior and Student t observations
    prior = fd.MultivariateNormal(np.zeros(2), covariance_matrix=[[4.0, 1.0], [1.0, 2.0]])
    lik = fd.MultivariateStudentT(5.0, theta, np.array([[1.0, 0.0], [0.5, 0.8]]))
    obs = np.array([[0.5, 1.0], [1.5, 0.2], [0.9, 0.8], [1.2, 1.4]])
    return prior.log_prob(theta) + fluxion.numpy.sum(lik.log_prob(obs))


@pytest.mark.slow  # the compiled NUTS core compiles once per session (about a minute)
def test_compiled_nuts_samples_a_multivariate_model(compiled_nuts):
    import warnings

    from fluxion.mcmc import sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: convergence warnings are expected
        res = sample(_mvn_model, np.zeros(2), chains=2, draws=200, warmup=200, seed=0,
                     progress=False)
    assert res.compiled == "chain", res.compiled_reason
    assert np.all(np.isfinite(res.draws["x"]))
