"""Discrete families of fluxion.distributions against scipy.stats (or direct computations),
their sampling (moments and the DKW bound, alpha = 1e-6 per check, fixed seeds), gradients of
log_prob in the continuous parameters, analytic KLs against Monte Carlo, validation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as st
from distributions_harness import (
    assert_close,
    check_against_scipy,
    check_kl_monte_carlo,
    check_sampling,
)

import fluxion
import fluxion.distributions as fd
from fluxion.test_util import check_grads

P_POINTS = (1e-6, 0.01, 0.3, 0.5, 0.9, 0.999)


class _Tails:
    """A frozen scipy.stats distribution whose log_cdf/log_sf are taken from the other tail
    where that is accurate: SciPy's ``logcdf`` is ``log(cdf)``, which loses the digits of
    ``log(1 - sf)`` when the cdf is near 1 (relative 1e-8 at ``sf = 1e-8``); fluxion's is
    ``log1p(-sf)`` there."""

    def __init__(self, ref):
        self.ref = ref

    def __getattr__(self, name):
        return getattr(self.ref, name)

    def logcdf(self, x):
        sf = self.ref.sf(x)
        with np.errstate(divide="ignore"):
            return np.where(sf < 0.5, np.log1p(-sf), self.ref.logcdf(x))

    def logsf(self, x):
        cdf = self.ref.cdf(x)
        with np.errstate(divide="ignore"):
            return np.where(cdf < 0.5, np.log1p(-cdf), self.ref.logsf(x))


def _entropy_by_sum(ref, top):
    """``-sum_k pmf(k) log pmf(k)`` over ``k = 0..top`` from SciPy's logpmf."""
    k = np.arange(top + 1.0).reshape((-1,) + (1,) * np.ndim(ref.mean()))
    lp = ref.logpmf(k)
    return -np.sum(np.where(np.isfinite(lp), np.exp(lp) * lp, 0.0), axis=0)


def _probs(k, seed, shape=()):
    """A random probability vector (batch ``shape``, ``k`` categories)."""
    w = np.random.default_rng(seed).gamma(1.0, size=shape + (k,))
    return w / w.sum(-1, keepdims=True)


# --------------------------------------------------------------------------------------------
# Bernoulli
# --------------------------------------------------------------------------------------------


def test_bernoulli_probs_and_logits_match_scipy_with_broadcast_batch():
    p = np.array([[0.002, 0.2, 0.5, 0.93, 1.0 - 1e-12]])  # (1, 5)
    x = np.array([[0.0], [1.0]])  # (2, 1): broadcasts to (2, 5)
    check_against_scipy(fd.Bernoulli(probs=p), _Tails(st.bernoulli(p)), x, P_POINTS)
    logits = np.array([[-12.0, -1.0], [0.0, 3.5]])  # (2, 2)
    ref = _Tails(st.bernoulli(sps.expit(logits)))
    check_against_scipy(fd.Bernoulli(logits=logits), ref, np.array([[[0.0]], [[1.0]]]), P_POINTS)
    np.testing.assert_array_equal(fd.Bernoulli(probs=p).mode(), [[0, 0, 0, 1, 1]])


def test_bernoulli_logits_are_exact_where_probs_would_round():
    # expit(40) rounds to 1, so log(1 - p) from probs would be -inf; the log-odds keep -40
    d = fd.Bernoulli(logits=[40.0, -745.0])
    assert_close(d.log_prob([0.0, 1.0]), [-40.0 - np.log1p(np.exp(-40.0)), -745.0], 1e-14, 0,
                 "Bernoulli(logits).log_prob")
    assert_close(d.entropy(), [41.0 * np.exp(-40.0), 746.0 * np.exp(-745.0)], 1e-10, 0,
                 "Bernoulli(logits).entropy")
    assert np.all(np.isneginf(d.log_prob([0.5, -1.0])))
    assert np.isnan(d.log_prob(np.nan)[0])


def test_bernoulli_sampling_and_gradients():
    d = fd.Bernoulli(probs=[0.03, 0.5, 0.8])
    xs = check_sampling(d, discrete=True)
    assert xs.dtype == np.int64 and set(np.unique(xs)) <= {0, 1}
    check_sampling(fd.Bernoulli(logits=[-2.0, 1.0]), discrete=True, seed=1)
    x = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    check_grads(lambda p: fd.Bernoulli(probs=p).log_prob(x), (np.array([0.2, 0.5, 0.7]),))
    check_grads(lambda t: fd.Bernoulli(logits=t).log_prob(x), (np.array([-3.0, 0.1, 2.0]),))
    check_grads(lambda t: fd.Bernoulli(logits=t).entropy(), (np.array([-3.0, 0.1, 2.0]),))


def test_bernoulli_kl_closed_form_and_monte_carlo():
    p, q = fd.Bernoulli(probs=[0.1, 0.6]), fd.Bernoulli(logits=[0.5, -2.0])
    qp = sps.expit(np.array([0.5, -2.0]))
    want = 0.1 * np.log(0.1 / qp) + 0.9 * np.log(0.9 / (1 - qp))
    want[1] = 0.6 * np.log(0.6 / qp[1]) + 0.4 * np.log(0.4 / (1 - qp[1]))
    assert_close(fd.kl_divergence(p, q), want, 1e-12, 0, "KL[Bernoulli || Bernoulli]")
    assert_close(fd.kl_divergence(fd.Bernoulli(probs=0.0), q), -np.log1p(-qp), 1e-12, 0,
                 "KL at p = 0")
    check_kl_monte_carlo(p, q)


# --------------------------------------------------------------------------------------------
# Binomial
# --------------------------------------------------------------------------------------------


def test_binomial_matches_scipy_with_broadcast_batch():
    n = np.array([[0.0], [1.0], [7.0], [60.0]])  # (4, 1)
    p = np.array([1e-8, 0.25, 0.5, 0.97])  # (4,)
    d = fd.Binomial(n, probs=p)
    assert d.batch_shape == (4, 4)
    x = np.array([-1.0, 0.0, 1.0, 3.0, 5.5, 7.0, 30.0, 60.0, 61.0]).reshape(9, 1, 1)
    moments = ("mean", "variance", "stddev")
    check_against_scipy(d, _Tails(st.binom(n, p)), x, P_POINTS, moments=moments)
    # SciPy's entropy loses digits at p = 1e-8 (log(1 - p)); the sum of its logpmf does not
    assert_close(d.entropy(), _entropy_by_sum(st.binom(n, p), 61), 1e-12, 0, "Binomial.entropy")
    logits = np.array([-9.0, 0.3, 4.0])
    d = fd.Binomial(np.array([[5.0], [40.0]]), logits=logits)
    check_against_scipy(d, _Tails(st.binom(np.array([[5.0], [40.0]]), sps.expit(logits))),
                        x[:, :, :1], P_POINTS)


def test_binomial_mode_logits_tail_and_non_integer_count():
    n, p = np.array([9.0, 10.0, 4.0, 6.0]), np.array([0.3, 0.5, 1.0, 0.0])
    d = fd.Binomial(n, probs=p)
    # brute force: the largest most probable k
    ks = np.arange(11.0)[:, None]
    pmf = st.binom.pmf(ks, n, p)
    want = [ks[np.flatnonzero(np.isclose(c, c.max(), rtol=1e-12))[-1], 0] for c in pmf.T]
    np.testing.assert_array_equal(d.mode(), want)
    # logits = 50: (n - k) log(1 - p) = -50 (n - k) exactly, where probs would give -inf
    lp = fd.Binomial(3.0, logits=50.0).log_prob([0.0, 3.0])
    assert_close(lp, [-150.0 - 3 * np.log1p(np.exp(-50.0)), -3 * np.log1p(np.exp(-50.0))],
                 1e-13, 0, "Binomial(logits=50).log_prob")
    # without validate_args a non-integer total_count gives nan, as scipy.stats.binom
    assert np.isnan(fd.Binomial(2.5, probs=0.3).log_prob(1.0))


def test_binomial_sampling_and_gradients():
    d = fd.Binomial(np.array([1.0, 12.0, 300.0]), probs=np.array([0.4, 0.05, 0.7]))
    xs = check_sampling(d, discrete=True)
    assert xs.dtype == np.int64
    check_sampling(fd.Binomial(25.0, logits=[-1.0, 2.0]), discrete=True, seed=3)
    x = np.array([[0.0, 3.0, 10.0], [2.0, 7.0, 9.0]])
    check_grads(lambda p: fd.Binomial(10.0, probs=p).log_prob(x), (np.array([0.2, 0.5, 0.7]),))
    # in the logits form log C(n, k) is written with gammaln: differentiable in total_count
    check_grads(lambda n, t: fd.Binomial(n, logits=t).log_prob(x),
                (np.array([10.0, 11.0, 12.0]), np.array([-1.0, 0.2, 1.5])))


# --------------------------------------------------------------------------------------------
# Poisson
# --------------------------------------------------------------------------------------------


def test_poisson_matches_scipy_with_broadcast_batch():
    rate = np.array([[1e-3], [0.7], [12.0], [900.0]])  # (4, 1)
    x = np.array([-2.0, 0.0, 1.0, 2.5, 5.0, 40.0, 1000.0])  # (7,)
    check_against_scipy(fd.Poisson(rate), _Tails(st.poisson(rate)), x, P_POINTS)
    log_rate = np.array([-3.0, 0.0, 2.5])
    d = fd.Poisson(log_rate=log_rate)
    check_against_scipy(d, _Tails(st.poisson(np.exp(log_rate))), x[:, None], P_POINTS)
    np.testing.assert_array_equal(fd.Poisson(rate[:, 0]).mode(), [0.0, 0.0, 12.0, 900.0])
    # log_rate far out: k log_rate - exp(log_rate) - log k! stays finite
    assert_close(fd.Poisson(log_rate=-800.0).log_prob(2.0), -1600.0 - np.log(2.0), 1e-14, 0,
                 "Poisson(log_rate=-800).log_prob")


def test_poisson_sampling_gradients_and_kl():
    xs = check_sampling(fd.Poisson([0.05, 3.0, 250.0]), discrete=True)
    assert xs.dtype == np.int64
    check_sampling(fd.Poisson(log_rate=[1.0, -1.0]), discrete=True, seed=2)
    x = np.array([[0.0, 3.0, 10.0], [2.0, 7.0, 1.0]])
    check_grads(lambda r: fd.Poisson(r).log_prob(x), (np.array([0.5, 4.0, 9.0]),))
    check_grads(lambda t: fd.Poisson(log_rate=t).log_prob(x), (np.array([-1.0, 0.5, 2.0]),))
    p, q = fd.Poisson([0.5, 4.0]), fd.Poisson(log_rate=[0.3, 1.0])
    r = np.exp(np.array([0.3, 1.0]))
    want = np.array([0.5, 4.0]) * np.log(np.array([0.5, 4.0]) / r) - np.array([0.5, 4.0]) + r
    assert_close(fd.kl_divergence(p, q), want, 1e-12, 0, "KL[Poisson || Poisson]")
    check_kl_monte_carlo(p, q)


# --------------------------------------------------------------------------------------------
# Categorical
# --------------------------------------------------------------------------------------------


def test_categorical_against_direct_computation_with_batch():
    probs = _probs(4, 0, (2, 3))  # batch (2, 3), K = 4
    probs[0, 0] = [0.0, 0.5, 0.5, 0.0]
    for d in (fd.Categorical(probs=probs), fd.Categorical(logits=np.log(probs) + 3.0)):
        assert d.batch_shape == (2, 3) and d.event_shape == ()
        x = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 3.0, 4.0]).reshape(7, 1, 1)
        idx = np.clip(x, 0, 3).astype(int)
        with np.errstate(divide="ignore"):
            picked = np.take_along_axis(np.broadcast_to(probs, (7, 2, 3, 4)),
                                        np.broadcast_to(idx, (7, 2, 3))[..., None], -1)
            want = np.log(picked[..., 0])
        want = np.where((x >= 0) & (x <= 3) & (x == np.floor(x)), want, -np.inf)
        assert_close(d.log_prob(x), want, 1e-12, 0, "Categorical.log_prob")
        cdf = np.cumsum(probs, -1)
        want_cdf = np.where(x < 0, 0.0, np.take_along_axis(
            np.broadcast_to(cdf, (7, 2, 3, 4)), np.broadcast_to(idx, (7, 2, 3))[..., None],
            -1)[..., 0])
        assert_close(d.cdf(x), want_cdf, 1e-12, 1e-15, "Categorical.cdf")
        assert_close(d.survival_function(x), 1.0 - want_cdf, 1e-12, 1e-15, "Categorical.sf")
        j = np.arange(4.0)
        mean = (probs * j).sum(-1)
        assert_close(d.mean(), mean, 1e-12, 0, "Categorical.mean")
        assert_close(d.variance(), (probs * (j - mean[..., None]) ** 2).sum(-1), 1e-12, 0,
                     "Categorical.variance")
        assert_close(d.entropy(), st.entropy(probs, axis=-1), 1e-12, 0, "Categorical.entropy")
        np.testing.assert_array_equal(d.mode(), probs.argmax(-1))
        q = np.array([0.0, 0.2, 0.5, 0.999]).reshape(4, 1, 1)
        want_q = np.minimum((cdf[None] < q[..., None]).sum(-1), 3)
        np.testing.assert_array_equal(d.quantile(q), want_q)


def test_categorical_sampling_frequencies():
    # per-category counts ~ Binomial(n, p_k): each within z = 5.6 standard deviations
    # (two-sided normal tail 2e-8 per count, 8 counts: false-failure rate below 1e-6 overall)
    probs = np.array([[0.05, 0.15, 0.3, 0.5], [0.25, 0.25, 0.25, 0.25]])
    n = 40000
    for d in (fd.Categorical(probs=probs), fd.Categorical(logits=np.log(probs) - 1.0)):
        xs = np.asarray(d.sample(n, seed=5))
        assert xs.shape == (n, 2) and xs.dtype == np.int64
        counts = np.stack([(xs == k).sum(0) for k in range(4)], -1)
        z = (counts - n * probs) / np.sqrt(n * probs * (1 - probs))
        assert np.abs(z).max() < 5.6, z
    check_sampling(fd.Categorical(probs=probs), discrete=True)


def test_categorical_gradients_and_kl():
    x = np.array([[0.0, 3.0], [2.0, 1.0], [1.0, 1.0]])
    check_grads(lambda t: fd.Categorical(logits=t).log_prob(x), (np.log(_probs(4, 1, (2,))),))
    check_grads(lambda p: fd.Categorical(probs=p).log_prob(x), (_probs(4, 2, (2,)),))
    check_grads(lambda t: fd.Categorical(logits=t).entropy(), (np.log(_probs(4, 3, (2,))),))
    p = fd.Categorical(probs=_probs(5, 4, (3,)))
    q = fd.Categorical(logits=np.log(_probs(5, 6, (3,))))
    pp, qq = p.probs_parameter(), q.probs_parameter()
    assert_close(fd.kl_divergence(p, q), (pp * np.log(pp / qq)).sum(-1), 1e-12, 0,
                 "KL[Categorical || Categorical]")
    check_kl_monte_carlo(p, q)


def test_categorical_under_jit_vmap_and_grad():
    logits = np.log(_probs(3, 7, (4,)))
    f = fluxion.jit(lambda t, v: fd.Categorical(logits=t).log_prob(v))
    x = np.array([0.0, 2.0, 1.0, 1.0])
    assert_close(f(logits, x), fd.Categorical(logits=logits).log_prob(x), 1e-14, 0, "jit")
    out = fluxion.vmap(lambda t: fd.Categorical(logits=t).log_prob(1.0))(logits)
    assert_close(out, sps.log_softmax(logits, -1)[:, 1], 1e-12, 0, "vmap")
    g = fluxion.grad(lambda t: fd.Categorical(logits=t).log_prob(x).sum())(logits)
    # d log softmax(t)_x / dt = onehot(x) - softmax(t)
    want = np.eye(3)[x.astype(int)] - sps.softmax(logits, -1)
    assert_close(g, want, 1e-12, 1e-15, "grad")


# --------------------------------------------------------------------------------------------
# Validation, supports, bijectors
# --------------------------------------------------------------------------------------------


def test_validation_errors_name_family_parameter_and_value():
    with pytest.raises(ValueError, match=r"Bernoulli: expected probs in \[0, 1\], got 1.5"):
        fd.Bernoulli(probs=1.5, validate_args=True)
    with pytest.raises(ValueError, match=r"Bernoulli: expected exactly one of logits= or probs="):
        fd.Bernoulli()
    with pytest.raises(ValueError, match="exactly one of .* got both"):
        fd.Binomial(3.0, logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match=r"Binomial: expected total_count an integer >= 0, "
                                         r"got 2.5"):
        fd.Binomial(2.5, probs=0.5, validate_args=True)
    with pytest.raises(ValueError, match=r"Poisson: expected rate >= 0, got -1.0"):
        fd.Poisson(-1.0, validate_args=True)
    with pytest.raises(ValueError, match="Categorical: expected probs a simplex"):
        fd.Categorical(probs=[0.5, 0.6], validate_args=True)
    # out-of-support values: errors with validate_args, -inf without
    with pytest.raises(ValueError, match=r"Poisson.log_prob: expected values in the support"):
        fd.Poisson(2.0, validate_args=True).log_prob(1.5)
    with pytest.raises(ValueError, match=r"Binomial.log_prob: expected values in the support"):
        fd.Binomial(3.0, probs=0.5, validate_args=True).log_prob(4.0)
    with pytest.raises(ValueError, match=r"Bernoulli.log_prob: expected values in the support"):
        fd.Bernoulli(probs=0.5, validate_args=True).log_prob(-1.0)
    with pytest.raises(ValueError, match=r"Categorical.log_prob: expected values in the support"):
        fd.Categorical(probs=[0.5, 0.5], validate_args=True).log_prob(2.0)
    assert np.isneginf(fd.Poisson(2.0).log_prob(-1.0))
    assert np.isneginf(fd.Binomial(3.0, probs=0.5).log_prob(3.5))
    assert np.isneginf(fd.Categorical(probs=[0.5, 0.5]).log_prob(0.5))
    # invalid parameters without validate_args: nan, as SciPy
    assert np.isnan(fd.Bernoulli(probs=1.5).log_prob(1.0))
    assert np.isnan(fd.Poisson(-1.0).log_prob(1.0))


@pytest.mark.parametrize("make", [
    lambda: fd.Bernoulli(probs=0.3),
    lambda: fd.Binomial(4.0, probs=0.3),
    lambda: fd.Poisson(2.0),
    lambda: fd.Categorical(logits=[0.0, 1.0]),
])
def test_discrete_supports_and_default_bijector_error(make):
    d = make()
    assert d.support.discrete and d.dtype == np.int64
    assert d.sample(2, seed=0).dtype == np.int64
    with pytest.raises(NotImplementedError, match=f"{d.name}.default_bijector: .* is discrete"):
        _ = d.default_bijector
