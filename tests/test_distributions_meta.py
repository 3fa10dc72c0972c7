"""Meta-distributions: Independent, Sample, TransformedDistribution, mixtures, Truncated,
Censored, Masked, Deterministic/Delta, Empirical — against scipy.stats and direct formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as st
from distributions_harness import (
    assert_close,
    check_against_scipy,
    check_kl_monte_carlo,
    check_log_prob_grads,
    check_reparam_gradient,
    check_sampling,
)

import fluxion
import fluxion.bijectors as fb
import fluxion.distributions as fd
from fluxion.test_util import check_grads

RNG = np.random.default_rng(1234)


class _Weights(fd.Distribution):
    """A test stand-in for the mixture distribution until ``fd.Categorical`` is merged:
    log-weights ``log_softmax(logits)`` over ``{0, ..., K-1}``. Not a library class."""

    parameter_event_ndims = {"logits": 1}

    def __init__(self, logits):
        super().__init__(dict(logits=logits))

    def _log_prob(self, k):
        import fluxion.numpy as fnp
        from fluxion.scipy.special import log_softmax

        lw = log_softmax(self.logits, axis=-1)
        K = lw.shape[-1]
        onehot = (np.asarray(k)[..., None] == np.arange(K)).astype(float)
        return fnp.sum(onehot * lw, axis=-1)

    def _sample(self, sample_shape, key):
        return fluxion.random.categorical(key, self.logits, shape=sample_shape + self.batch_shape)


def _categorical(logits):
    cat = getattr(fd, "Categorical", None)
    return cat(logits=logits) if cat is not None else _Weights(logits)


# --------------------------------------------------------------------------------------------
# Independent
# --------------------------------------------------------------------------------------------


def test_independent_shapes_log_prob_and_moments():
    loc = RNG.normal(size=(4, 2, 3))
    scale = RNG.uniform(0.5, 2.0, size=(2, 3))
    base = fd.Normal(loc, scale)
    d = fd.Independent(base, 2)
    assert d.batch_shape == (4,) and d.event_shape == (2, 3)
    x = RNG.normal(size=(5, 4, 2, 3))
    want = st.norm.logpdf(x, loc, scale).sum((-1, -2))
    assert_close(d.log_prob(x), want, 1e-12, 0, "Independent.log_prob")
    # default: all batch dimensions
    assert fd.Independent(base).event_shape == (4, 2, 3)
    assert_close(d.entropy(), st.norm(loc, scale).entropy().sum((-1, -2)), 1e-12, 0, "entropy")
    assert_close(d.mean(), np.broadcast_to(loc, (4, 2, 3)), 0, 0, "mean")
    cov = fd.Independent(fd.Normal(np.zeros(3), [1.0, 2.0, 3.0]), 1).covariance()
    assert_close(cov, np.diag([1.0, 4.0, 9.0]), 0, 0, "covariance")
    xs = d.sample((7,), seed=0)
    assert xs.shape == (7, 4, 2, 3)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims <= 3"):
        fd.Independent(base, 4)
    with pytest.raises(TypeError, match="Independent: expected distribution"):
        fd.Independent(np.zeros(3), 1)
    with pytest.raises(ValueError, match="trailing dimensions are the event shape"):
        d.log_prob(np.zeros((4, 3, 2)))


def test_independent_support_validation_kl_and_pytree():
    d = fd.Independent(fd.Normal(np.zeros(3), 1.0, validate_args=True), 1, validate_args=True)
    with pytest.raises(ValueError, match="Independent.log_prob: expected values in the support"):
        d.log_prob(np.array([0.0, np.nan, 1.0]))
    p = fd.Independent(fd.Normal([0.0, 1.0], [1.0, 2.0]), 1)
    q = fd.Independent(fd.Normal([0.5, 0.0], [1.5, 1.0]), 1)
    check_kl_monte_carlo(p, q, n=100000)
    # vmap over a batch of nested distributions, grad into the inner parameters
    loc = RNG.normal(size=(5, 3))
    batch = fd.Independent(fd.Normal(loc, 1.0), 1)
    out = fluxion.vmap(lambda dd: dd.log_prob(np.zeros(3)))(
        fd.Independent(fd.Normal(loc, np.ones((5, 3))), 1)
    )
    assert_close(out, batch.log_prob(np.zeros(3)), 1e-13, 0, "vmap")
    g = fluxion.grad(lambda dd: dd.log_prob(np.ones(3)).sum())(batch)
    assert isinstance(g, fd.Independent) and isinstance(g.distribution, fd.Normal)
    assert_close(g.distribution.loc, 1.0 - loc, 1e-13, 0, "grad loc")
    f = fluxion.jit(lambda dd, x: dd.log_prob(x))
    assert_close(f(batch, np.ones(3)), batch.log_prob(np.ones(3)), 1e-13, 0, "jit")


def test_independent_gradients():
    check_log_prob_grads(
        lambda m, s: fd.Independent(fd.Normal(m, s), 1),
        (np.array([0.1, -0.4]), np.array([0.7, 1.3])),
        np.array([[0.3, 1.0], [-1.0, 0.2]]),
    )


# --------------------------------------------------------------------------------------------
# Sample
# --------------------------------------------------------------------------------------------


def test_sample_log_prob_sampling_and_moments():
    loc = np.array([-1.0, 2.0])
    d = fd.Sample(fd.Normal(loc, 0.5), (3, 4))
    assert d.batch_shape == (2,) and d.event_shape == (3, 4)
    x = RNG.normal(size=(6, 2, 3, 4))
    want = st.norm.logpdf(x, loc[:, None, None], 0.5).sum((-1, -2))
    assert_close(d.log_prob(x), want, 1e-12, 0, "Sample.log_prob")
    # a value with fewer leading dimensions broadcasts against the batch
    assert_close(d.log_prob(x[0, 0]), st.norm.logpdf(x[0, 0], loc[:, None, None], 0.5).sum(
        (-1, -2)), 1e-12, 0, "broadcast value")
    xs = np.asarray(d.sample((4000,), seed=3))
    assert xs.shape == (4000, 2, 3, 4)
    # each batch member's draws centre on its own loc (6 standard errors), iid along (3, 4)
    m = xs.mean(axis=(0, 2, 3))
    assert np.all(np.abs(m - loc) < 6 * 0.5 / math.sqrt(4000 * 12)), m
    c = np.corrcoef(xs[:, 0, 0, 0], xs[:, 0, 1, 2])[0, 1]
    assert abs(c) < 6 / math.sqrt(4000)
    assert d.mean().shape == (2, 3, 4) and np.all(d.mean()[1] == 2.0)
    assert_close(d.entropy(), 12 * st.norm(loc, 0.5).entropy(), 1e-13, 0, "entropy")


def test_sample_of_vector_events_and_gradients():
    inner = fd.Independent(fd.Normal(np.array([0.0, 1.0]), 1.0), 1)
    d = fd.Sample(inner, 3)
    assert d.batch_shape == () and d.event_shape == (3, 2)
    x = RNG.normal(size=(5, 3, 2))
    assert_close(d.log_prob(x), st.norm.logpdf(x, [0.0, 1.0]).sum((-1, -2)), 1e-12, 0, "lp")
    assert d.sample((2,), seed=0).shape == (2, 3, 2)
    check_log_prob_grads(lambda m, s: fd.Sample(fd.Normal(m, s), 2), (0.2, 1.4),
                         np.array([0.5, -0.3]))


# --------------------------------------------------------------------------------------------
# TransformedDistribution
# --------------------------------------------------------------------------------------------


def test_transformed_exp_of_normal_is_lognormal():
    mu = np.array([0.3, -1.0])
    sigma = np.array([[0.7], [1.5]])
    d = fd.TransformedDistribution(fd.Normal(mu, sigma), fb.Exp())
    assert d.batch_shape == (2, 2) and d.event_shape == ()
    ref = st.lognorm(sigma, scale=np.exp(mu))
    x = np.array([1e-3, 0.2, 1.0, 4.0, 50.0]).reshape(5, 1, 1)
    check_against_scipy(d, ref, x, moments=(), rtol=1e-12)
    check_sampling(d, n=5000, check_moments=False)
    check_log_prob_grads(lambda m, s: fd.TransformedDistribution(fd.Normal(m, s), fb.Exp()),
                         (0.3, 0.8), np.array([0.5, 2.0]))
    # E[exp(X)] = exp(m + s^2 / 2): d/dm = E, d/ds = s E (reparameterized through forward)
    e = math.exp(0.2 + 0.5 * 0.25)
    check_reparam_gradient(lambda t: fd.TransformedDistribution(fd.Normal(t[0], t[1]), fb.Exp()),
                           [0.2, 0.5], lambda x: x, [e, 0.5 * e])
    with pytest.raises(NotImplementedError, match="affine"):
        d.mean()


def test_transformed_affine_and_decreasing_maps():
    # y = 1 - 2 x: a decreasing affine map of a normal is N(1 - 2 m, 2 s)
    b = fb.Chain([fb.Shift(1.0), fb.Scale(-2.0)])
    d = fd.TransformedDistribution(fd.Normal(0.4, 0.6), b)
    ref = st.norm(1.0 - 0.8, 1.2)
    check_against_scipy(d, ref, np.linspace(-3, 3, 7), rtol=1e-12, atol=1e-15)
    assert_close(d.mode(), 1.0 - 0.8, 1e-15, 0, "mode")
    # an upper bound: y = 2 - exp(x), decreasing
    d2 = fd.TransformedDistribution(fd.Normal(0.0, 1.0), fb.LessThan(2.0))
    ref2 = st.lognorm(1.0)
    y = np.array([1.9, 1.0, 0.0, -3.0])
    assert_close(d2.log_prob(y), ref2.logpdf(2.0 - y), 1e-12, 0, "LessThan log_prob")
    assert_close(d2.cdf(y), ref2.sf(2.0 - y), 1e-12, 0, "LessThan cdf")
    assert_close(d2.quantile(np.array([0.1, 0.7])), 2.0 - ref2.ppf([0.9, 0.3]), 1e-12, 0, "q")


def test_transformed_vector_event_and_shape_changing_bijector():
    # a stick-breaking map of an iid normal vector onto the simplex: log_prob against a
    # direct change of variables with the Jacobian determinant from autodiff
    base = fd.Independent(fd.Normal(np.array([0.2, -0.5]), 1.0), 1)
    sb = fb.StickBreaking()
    d = fd.TransformedDistribution(base, sb)
    assert d.event_shape == (3,) and d.batch_shape == ()
    x = np.array([0.3, -0.1])
    y = np.asarray(sb.forward(x))
    jac = np.asarray(fluxion.jacfwd(lambda v: sb.forward(v)[:2])(x))
    want = base.log_prob(x) - math.log(abs(np.linalg.det(jac)))
    assert_close(d.log_prob(y), want, 1e-11, 0, "stick-breaking log_prob")
    s = d.sample((4,), seed=1)
    assert s.shape == (4, 3)
    np.testing.assert_allclose(np.asarray(s).sum(-1), 1.0, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="monotone"):
        d.cdf(y)


# --------------------------------------------------------------------------------------------
# MixtureSameFamily
# --------------------------------------------------------------------------------------------


def _mix_ref(logits, loc, scale):
    w = np.exp(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))
    return w, loc, scale


def test_mixture_same_family_against_direct_sums():
    logits = np.array([[0.2, -1.0, 0.5], [1.0, 0.0, -0.3]])  # batch (2,), K = 3
    loc = np.array([-2.0, 0.0, 3.0])
    scale = np.array([0.5, 1.0, 2.0])
    d = fd.MixtureSameFamily(_categorical(logits), fd.Normal(loc, scale))
    assert d.batch_shape == (2,) and d.event_shape == ()
    w, _, _ = _mix_ref(logits, loc, scale)
    x = np.linspace(-6.0, 8.0, 9).reshape(9, 1)
    dens = (w * st.norm.pdf(x[..., None], loc, scale)).sum(-1)
    assert_close(d.log_prob(x), np.log(dens), 1e-12, 0, "MSF.log_prob")
    cdf = (w * st.norm.cdf(x[..., None], loc, scale)).sum(-1)
    sf = (w * st.norm.sf(x[..., None], loc, scale)).sum(-1)
    assert_close(d.cdf(x), cdf, 1e-12, 0, "MSF.cdf")
    # the logs of probabilities near one from their small complements (a log of a sum near
    # one would lose relative precision)
    log_cdf = np.where(sf < 0.5, np.log1p(-sf), np.log(cdf))
    log_sf = np.where(cdf < 0.5, np.log1p(-cdf), np.log(sf))
    assert_close(d.log_cdf(x), log_cdf, 1e-12, 0, "MSF.log_cdf")
    assert_close(d.survival_function(x), sf, 1e-12, 0, "MSF.sf")
    assert_close(d.log_survival_function(x), log_sf, 1e-12, 0, "MSF.log_sf")
    mean = (w * loc).sum(-1)
    var = (w * (scale**2 + loc**2)).sum(-1) - mean**2
    assert_close(d.mean(), mean, 1e-12, 0, "MSF.mean")
    assert_close(d.variance(), var, 1e-12, 0, "MSF.variance")
    # sampling: the mixture cdf by DKW (alpha 1e-6) and the moments by 6 standard errors
    check_sampling(d, n=20000, seed=5)


def test_mixture_same_family_broadcast_batches_and_gradients():
    # mixture batch () against components batch (4,) + (K,): every batch member draws its own
    loc = RNG.normal(size=(4, 2)) * 3
    d = fd.MixtureSameFamily(_categorical(np.array([0.0, 0.7])), fd.Normal(loc, 0.3))
    assert d.batch_shape == (4,)
    xs = np.asarray(d.sample((3000,), seed=2))
    assert xs.shape == (3000, 4)
    assert abs(np.corrcoef(xs[:, 0], xs[:, 1])[0, 1]) < 6 / math.sqrt(3000)
    check_log_prob_grads(
        lambda lg, m, s: fd.MixtureSameFamily(_categorical(lg), fd.Normal(m, s)),
        (np.array([0.1, -0.2, 0.4]), np.array([-1.0, 0.5, 2.0]), np.array([0.7, 1.0, 1.5])),
        np.array([-0.5, 1.0, 2.5]),
    )
    with pytest.raises(ValueError, match="over 2 components"):
        fd.MixtureSameFamily(_categorical(np.zeros(3)), fd.Normal(np.zeros(2), 1.0))
    with pytest.raises(ValueError, match="at least one batch dimension"):
        fd.MixtureSameFamily(_categorical(np.zeros(3)), fd.Normal(0.0, 1.0))


def test_mixture_same_family_vector_components():
    # components Independent(Normal) of event (2,): log_prob, mean and covariance by the law
    # of total covariance
    logits = np.array([0.3, -0.2])
    loc = np.array([[1.0, -1.0], [-2.0, 0.5]])
    scale = np.array([[0.5, 1.0], [1.5, 0.7]])
    d = fd.MixtureSameFamily(_categorical(logits), fd.Independent(fd.Normal(loc, scale), 1))
    assert d.batch_shape == () and d.event_shape == (2,)
    w = np.exp(logits) / np.exp(logits).sum()
    x = RNG.normal(size=(6, 2))
    dens = sum(w[k] * st.multivariate_normal(loc[k], np.diag(scale[k] ** 2)).pdf(x)
               for k in range(2))
    assert_close(d.log_prob(x), np.log(dens), 1e-12, 0, "vector MSF.log_prob")
    mean = (w[:, None] * loc).sum(0)
    cov = sum(w[k] * (np.diag(scale[k] ** 2) + np.outer(loc[k] - mean, loc[k] - mean))
              for k in range(2))
    assert_close(d.mean(), mean, 1e-12, 0, "mean")
    assert_close(d.covariance(), cov, 1e-12, 1e-15, "covariance")
    xs = np.asarray(d.sample((20000,), seed=4))
    se = np.sqrt(np.diag(cov) / 20000)
    assert np.all(np.abs(xs.mean(0) - mean) < 6 * se)


def test_tfp_factorial_mixture_seed_example():
    cat = getattr(fd, "Categorical", None)
    mvn = getattr(fd, "MultivariateNormalDiag", None)
    if cat is None or mvn is None:
        pytest.skip("Categorical / MultivariateNormalDiag not merged yet")
    dims, components = 2, 3
    logits = np.zeros((dims, components))
    mu = RNG.normal(size=(dims, components, 2))
    sigma = np.ones((dims, components, 2))
    d = fd.Independent(
        fd.MixtureSameFamily(cat(logits=logits), mvn(mu, sigma)), 1
    )
    assert d.batch_shape == () and d.event_shape == (dims, 2)
    x = d.sample((1000,), seed=0)
    assert x.shape == (1000, dims, 2)
    lp = np.asarray(d.log_prob(x))
    want = 0.0
    for i in range(dims):
        dens = sum(st.multivariate_normal(mu[i, k], np.eye(2)).pdf(np.asarray(x)[:, i]) / 3
                   for k in range(components))
        want = want + np.log(dens)
    assert_close(lp, want, 1e-11, 0, "factorial mixture log_prob")


# --------------------------------------------------------------------------------------------
# Truncated
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "low,high",
    [(-1.0, 2.0), (3.0, 5.0), (-8.0, -6.0), (30.0, 31.0), (-31.0, -30.0), (0.0, np.inf)],
)
def test_truncated_normal_matches_scipy_truncnorm(low, high):
    loc = np.array([0.0, 0.5])
    scale = np.array([[1.0], [2.0]])
    a, b = (low - loc) / scale, (high - loc) / scale
    ref = st.truncnorm(a, b, loc, scale)
    if np.isinf(high):
        d = fd.Truncated(fd.Normal(loc, scale), low=low)
    else:
        d = fd.Truncated(fd.Normal(loc, scale), low, high)
    assert d.batch_shape == (2, 2)
    top = high if np.isfinite(high) else low + 10
    x = np.linspace(low, top, 7)[1:-1].reshape(5, 1, 1)
    # SciPy's truncnorm itself is accurate to about 1e-10 in the far tails (30 sigma)
    far = abs(low) >= 30
    rtol = 1e-9 if far else 1e-12
    # SciPy's truncnorm entropy is nan for an infinite bound (SciPy 1.x): checked below instead
    moments = ("mean",) if far else ("mean", "variance", "stddev") if np.isinf(high) else None
    check_against_scipy(d, ref, x, rtol=rtol, moments=moments)
    if np.isinf(high):
        # the entropy -E[log p] by quadrature
        for i in range(2):
            for j in range(2):
                dij = fd.Truncated(fd.Normal(loc[j], scale[i, 0]), low=low)
                h, _ = si.quad(lambda v, dd=dij: -float(np.exp(dd.log_prob(v)) * dd.log_prob(v)),
                               low, np.inf, epsabs=1e-13, epsrel=1e-13)
                assert abs(float(np.asarray(d.entropy())[i, j]) - h) < 1e-10
    out = np.array([low - 1.0, top + 1.0]) if np.isfinite(high) else np.array([low - 1.0])
    assert np.all(np.isneginf(np.asarray(d.log_prob(out.reshape(-1, 1, 1)))))


def test_truncated_sampling_and_gradients():
    d = fd.Truncated(fd.Normal([0.0, 1.0], [1.0, 0.5]), low=[-0.5, 1.5], high=[1.0, 4.0])
    xs = check_sampling(d, n=20000, seed=7)
    assert np.all((xs >= [-0.5, 1.5]) & (xs <= [1.0, 4.0]))
    check_log_prob_grads(lambda m, s, lo, hi: fd.Truncated(fd.Normal(m, s), lo, hi),
                         (0.2, 1.3, -1.0, 2.0), np.array([-0.5, 0.0, 1.5]))
    # reparameterized: d/dm E[X] for X ~ N(m, 1) truncated to [0, inf) is
    # 1 - z phi(z)/Z_c - (phi(z)/Z_c)^2 evaluated at z = -m (the variance of the truncated normal)
    m = 0.3
    check_reparam_gradient(lambda t: fd.Truncated(fd.Normal(t[0], 1.0), low=0.0), [m],
                           lambda x: x, [st.truncnorm(-m, np.inf, m, 1.0).var()])


def test_truncated_other_families_by_numeric_integral():
    # a Truncated(TransformedDistribution) -- a lognormal -- on [0.5, 3]: the density integrates
    # to one, and the cdf equals the integral of the density
    base = fd.TransformedDistribution(fd.Normal(0.2, 0.8), fb.Exp())
    d = fd.Truncated(base, 0.5, 3.0)
    pdf = lambda v: float(np.exp(d.log_prob(v)))  # noqa: E731
    total, _ = si.quad(pdf, 0.5, 3.0, epsabs=1e-13, epsrel=1e-13)
    assert abs(total - 1.0) < 1e-11
    for v in (0.7, 1.3, 2.9):
        want, _ = si.quad(pdf, 0.5, v, epsabs=1e-13, epsrel=1e-13)
        assert abs(float(d.cdf(v)) - want) < 1e-11
        assert abs(float(d.quantile(want)) - v) < 1e-9
    check_sampling(d, n=10000, check_moments=False)
    with pytest.raises(NotImplementedError, match="Normal base"):
        d.mean()


def test_truncated_validation():
    with pytest.raises(ValueError, match="Truncated: expected low < high"):
        fd.Truncated(fd.Normal(), 2.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="Truncated: expected low, high or both"):
        fd.Truncated(fd.Normal())
    with pytest.raises(ValueError, match="scalar events"):
        fd.Truncated(fd.Independent(fd.Normal(np.zeros(2)), 1), 0.0, 1.0)
    d = fd.Truncated(fd.Normal(), 0.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match=r"Truncated.log_prob: expected values in the support"):
        d.log_prob(2.0)


# --------------------------------------------------------------------------------------------
# Compiled: the tape machine encodes the log-densities and their gradients
# --------------------------------------------------------------------------------------------


def _meta_model(theta):
    import fluxion.numpy as fnp

    m, log_s = theta[0], theta[1]
    s = fnp.exp(log_s)
    y = np.array([0.3, -0.2, 1.1])
    lp = fd.Independent(fd.Normal(m + np.zeros(3), s), 1).log_prob(y)
    lp = lp + fd.MixtureSameFamily(
        _categorical(np.array([0.1, -0.3])), fd.Normal(fnp.stack([m, -m]), s)
    ).log_prob(y).sum()
    lp = lp + fd.Sample(fd.Normal(m, 1.0), 3).log_prob(y)
    lp = lp + fd.TransformedDistribution(fd.Normal(m, s), fb.Exp()).log_prob(y + 2.0).sum()
    return lp


def _truncated_model(theta):
    import fluxion.numpy as fnp

    y = np.array([0.3, -0.2, 1.1])
    d = fd.Truncated(fd.Normal(theta[0], fnp.exp(theta[1])), low=-1.0, high=2.0)
    return d.log_prob(y).sum()


def _encodes(fn, theta):
    from fluxion._src.codegen import tape

    for f in (fn, fluxion.grad(fn)):
        graph = fluxion.jit(f, tier=0).lower(theta).graph
        encoded, why = tape.encode(graph)
        assert encoded is not None, why


def test_meta_log_probs_and_gradients_encode_for_the_compiled_nuts():
    theta = np.array([0.2, -0.1])
    _encodes(_meta_model, theta)
    check_grads(_meta_model, (theta,), order=1)


def test_truncated_normal_log_prob_encodes_for_the_compiled_nuts():
    _encodes(_truncated_model, np.array([0.2, -0.1]))
