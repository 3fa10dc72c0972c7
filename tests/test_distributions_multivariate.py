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
