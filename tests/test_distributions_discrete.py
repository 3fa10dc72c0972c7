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
    assert_close(d.log_cdf([0.0, 0.5]), [-40.0 - np.log1p(np.exp(-40.0)), -np.exp(-745.0)],
                 1e-14, 1e-320, "Bernoulli(logits).log_cdf")
    assert_close(d.survival_function([0.0, 0.0]), [1.0 / (1.0 + np.exp(-40.0)), 0.0], 1e-14,
                 5e-324, "Bernoulli(logits).survival_function")
    assert_close(d.log_survival_function([0.0, 1.0]), [-np.log1p(np.exp(-40.0)), -np.inf],
                 1e-14, 0, "Bernoulli(logits).log_survival_function")
    assert_close(d.cdf([-1.0, 1.0]), [0.0, 1.0], 0, 0, "Bernoulli(logits).cdf")
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
        want_q = np.where(q == 0, -1, np.minimum((cdf[None] < q[..., None]).sum(-1), 3))
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


@pytest.mark.parametrize("make, message", [
    (lambda **kw: fd.NegativeBinomial(-1.0, probs=0.5, **kw),
     r"NegativeBinomial: expected total_count > 0"),
    (lambda **kw: fd.NegativeBinomial(2.0, probs=1.5, **kw),
     r"NegativeBinomial: expected probs in \[0, 1\]"),
    (lambda **kw: fd.Geometric(probs=-0.1, **kw),
     r"Geometric: expected probs in \[0, 1\], got -0.1"),
    (lambda **kw: fd.BetaBinomial(3.0, -1.0, 1.0, **kw),
     r"BetaBinomial: expected concentration1 > 0"),
    (lambda **kw: fd.BetaBinomial(3.5, 1.0, 1.0, **kw),
     r"BetaBinomial: expected total_count an integer"),
    (lambda **kw: fd.ZeroInflatedPoisson(1.0, 1.5, **kw),
     r"ZeroInflatedPoisson: expected gate in \[0, 1\]"),
    (lambda **kw: fd.ZeroInflatedPoisson(-1.0, 0.5, **kw),
     r"ZeroInflatedPoisson: expected rate >= 0"),
    (lambda **kw: fd.ZeroInflatedNegativeBinomial(2.0, probs=0.5, **kw),
     r"ZeroInflatedNegativeBinomial: expected exactly one of gate= or gate_logits="),
    (lambda **kw: fd.Multinomial(2.5, probs=[0.5, 0.5], **kw),
     r"Multinomial: expected total_count an int"),
    (lambda **kw: fd.Multinomial(2.0, probs=[0.5, 0.6], **kw),
     r"Multinomial: expected probs a simplex"),
    (lambda **kw: fd.DirichletMultinomial(2.0, [1.0, -1.0], **kw),
     r"DirichletMultinomial: expected concentration a vector > 0"),
    (lambda **kw: fd.OrderedLogistic([1.0, 0.0], 0.0, **kw),
     r"OrderedLogistic: expected cutpoints a non-decreasing vector, got \[1, 0\]"),
    (lambda **kw: fd.Skellam(0.0, 1.0, **kw), r"Skellam: expected rate1 > 0, got 0.0"),
    (lambda **kw: fd.OneHotCategorical(probs=[0.2, 0.2], **kw),
     r"OneHotCategorical: expected probs a simplex"),
])
def test_invalid_parameters_raise_with_validate_args(make, message):
    with pytest.raises(ValueError, match=message):
        make(validate_args=True)


def test_out_of_support_values_raise_with_validate_args_and_give_minus_inf_without():
    cases = [
        (fd.NegativeBinomial(2.0, probs=0.5), 1.5),
        (fd.Geometric(probs=0.5), -1.0),
        (fd.BetaBinomial(3.0, 1.0, 1.0), 4.0),
        (fd.DiscreteUniform(0.0, 3.0), 4.0),
        (fd.ZeroInflatedPoisson(1.0, 0.5), 0.5),
        (fd.OrderedLogistic([0.0, 1.0], 0.0), 3.0),
        (fd.Skellam(1.0, 1.0), 0.5),
        (fd.OneHotCategorical(probs=[0.5, 0.5]), [1.0, 1.0]),
        (fd.Multinomial(3.0, probs=[0.5, 0.5]), [1.0, 1.0]),
        (fd.DirichletMultinomial(3.0, [1.0, 1.0]), [-1.0, 4.0]),
    ]
    for d, bad in cases:
        assert np.all(np.isneginf(d.log_prob(bad))), d
        strict = d.copy(validate_args=True)
        with pytest.raises(ValueError, match=f"{d.name}.log_prob: expected values in the support"):
            strict.log_prob(bad)


@pytest.mark.parametrize("make", [
    lambda: fd.Bernoulli(probs=0.3),
    lambda: fd.Binomial(4.0, probs=0.3),
    lambda: fd.Poisson(2.0),
    lambda: fd.Categorical(logits=[0.0, 1.0]),
    lambda: fd.NegativeBinomial(2.0, logits=0.3),
    lambda: fd.Geometric(probs=0.3),
    lambda: fd.BetaBinomial(4.0, 1.0, 2.0),
    lambda: fd.DiscreteUniform(0.0, 4.0),
    lambda: fd.ZeroInflatedPoisson(2.0, 0.1),
    lambda: fd.ZeroInflatedNegativeBinomial(2.0, probs=0.3, gate=0.1),
    lambda: fd.OneHotCategorical(logits=[0.0, 1.0]),
    lambda: fd.Multinomial(3.0, logits=[0.0, 1.0]),
    lambda: fd.DirichletMultinomial(3.0, [1.0, 2.0]),
    lambda: fd.OrderedLogistic([0.0, 1.0], 0.5),
    lambda: fd.Skellam(1.0, 2.0),
])
def test_discrete_supports_and_default_bijector_error(make):
    d = make()
    assert d.support.discrete and d.dtype == np.int64
    assert d.sample(2, seed=0).dtype == np.int64
    with pytest.raises(NotImplementedError, match=f"{d.name}.default_bijector: .* is discrete"):
        _ = d.default_bijector


# --------------------------------------------------------------------------------------------
# Negative binomial, geometric
# --------------------------------------------------------------------------------------------


def test_negative_binomial_is_scipy_nbinom_with_the_failure_probability():
    # TFP: probs is the success probability of the *counted* events, total_count the number of
    # failures to stop at; scipy.stats.nbinom(n, p) counts failures before n successes, so
    # the same law is nbinom(total_count, 1 - probs). Mean f p / (1 - p): 3 * 0.25 / 0.75 = 1.
    assert_close(fd.NegativeBinomial(3.0, probs=0.25).mean(), 1.0, 1e-15, 0, "mean")
    f = np.array([[0.4], [1.0], [3.0], [25.0]])  # (4, 1)
    p = np.array([1e-4, 0.3, 0.5, 0.95])  # (4,)
    x = np.array([-1.0, 0.0, 1.0, 2.5, 4.0, 17.0, 300.0]).reshape(7, 1, 1)
    d = fd.NegativeBinomial(f, probs=p)
    moments = ("mean", "variance", "stddev")
    check_against_scipy(d, _Tails(st.nbinom(f, 1.0 - p)), x, P_POINTS, moments=moments)
    # SciPy's generic entropy truncates its sum (5.04 instead of 5.985 at f = 25, p = 0.95):
    # the reference is the full sum of its logpmf
    assert_close(d.entropy(), _entropy_by_sum(st.nbinom(f, 1.0 - p), 30000), 1e-12, 0,
                 "NegativeBinomial.entropy")
    logits = np.array([-6.0, 0.0, 2.0])
    d = fd.NegativeBinomial(np.array([[2.0], [7.5]]), logits=logits)
    ref = _Tails(st.nbinom(np.array([[2.0], [7.5]]), sps.expit(-logits)))
    check_against_scipy(d, ref, x[:, :, :1], P_POINTS)
    # mode: TFP's floor((f - 1) p / (1 - p)) for f > 1, else 0; brute force (the larger of
    # two tied modes: 35 and 36 at f = 10, p = 0.8)
    f1, p1 = np.array([0.5, 1.0, 3.0, 10.0]), np.array([0.6, 0.3, 0.45, 0.8])
    pmf = st.nbinom.pmf(np.arange(200.0)[:, None], f1, 1.0 - p1)
    want = [np.flatnonzero(np.isclose(c, c.max(), rtol=1e-12))[-1] for c in pmf.T]
    np.testing.assert_array_equal(fd.NegativeBinomial(f1, probs=p1).mode(), want)


def test_negative_binomial_sampling_and_gradients():
    d = fd.NegativeBinomial(np.array([0.7, 4.0, 30.0]), probs=np.array([0.6, 0.2, 0.5]))
    assert check_sampling(d, discrete=True).dtype == np.int64
    check_sampling(fd.NegativeBinomial(2.0, logits=[1.0, -1.5]), discrete=True, seed=4)
    x = np.array([[0.0, 3.0, 10.0], [2.0, 7.0, 1.0]])
    check_grads(lambda f, p: fd.NegativeBinomial(f, probs=p).log_prob(x),
                (np.array([0.5, 2.0, 9.0]), np.array([0.2, 0.5, 0.7])))
    check_grads(lambda f, t: fd.NegativeBinomial(f, logits=t).log_prob(x),
                (np.array([0.5, 2.0, 9.0]), np.array([-1.0, 0.5, 2.0])))


def test_geometric_counts_failures_before_the_first_success():
    p = np.array([[1e-3], [0.1], [0.5], [0.999]])  # (4, 1)
    x = np.array([-1.0, 0.0, 0.5, 1.0, 3.0, 50.0, 4000.0])
    d = fd.Geometric(probs=p)
    check_against_scipy(d, _Tails(st.geom(p, loc=-1)), x, P_POINTS)
    # p = 1: all mass at 0 (SciPy's ppf gives a - 1 = -1 there; the smallest k with cdf >= q
    # is 0)
    one = fd.Geometric(probs=1.0)
    np.testing.assert_array_equal(one.quantile(np.array([1e-6, 0.5, 0.999])), 0.0)
    np.testing.assert_array_equal(one.log_prob(np.array([0.0, 1.0])), [0.0, -np.inf])
    logits = np.array([-5.0, 0.2, 3.0])
    check_against_scipy(fd.Geometric(logits=logits), _Tails(st.geom(sps.expit(logits), loc=-1)),
                        x[:, None], P_POINTS)
    assert float(fd.Geometric(probs=0.3).log_prob(0.0)) == pytest.approx(np.log(0.3), 1e-15)
    np.testing.assert_array_equal(d.mode(), np.zeros((4, 1)))
    assert check_sampling(fd.Geometric(probs=[0.05, 0.5, 0.9]), discrete=True).dtype == np.int64
    check_sampling(fd.Geometric(logits=[-2.0, 1.0]), discrete=True, seed=1)
    xx = np.array([[0.0, 3.0, 10.0], [2.0, 7.0, 1.0]])
    check_grads(lambda q: fd.Geometric(probs=q).log_prob(xx), (np.array([0.2, 0.5, 0.7]),))
    check_grads(lambda t: fd.Geometric(logits=t).log_prob(xx), (np.array([-1.0, 0.5, 2.0]),))


# --------------------------------------------------------------------------------------------
# Beta-binomial, discrete uniform
# --------------------------------------------------------------------------------------------


def test_beta_binomial_matches_scipy():
    n = np.array([[0.0], [1.0], [12.0], [80.0]])
    a, b = np.array([0.3, 1.0, 5.0]), np.array([2.0, 1.0, 0.7])
    d = fd.BetaBinomial(n, a, b)
    assert d.batch_shape == (4, 3)
    x = np.array([-1.0, 0.0, 1.0, 4.5, 6.0, 12.0, 13.0, 80.0]).reshape(8, 1, 1)
    # atol: at n = 0 the log-mass 0 comes out as a rounding residue (2.8e-17)
    check_against_scipy(d, _Tails(st.betabinom(n, a, b)), x, P_POINTS, atol=1e-15)
    d = fd.BetaBinomial(np.array([3.0, 40.0, 90.0]), [0.5, 2.0, 9.0], [0.8, 3.0, 1.5])
    assert check_sampling(d, discrete=True).dtype == np.int64
    xx = np.array([[0.0, 3.0, 10.0], [2.0, 17.0, 190.0]])
    check_grads(lambda a, b: fd.BetaBinomial(np.array([3.0, 40.0, 200.0]), a, b).log_prob(xx),
                (np.array([0.5, 2.0, 9.0]), np.array([0.8, 3.0, 1.5])))


def test_discrete_uniform_includes_both_ends():
    low, high = np.array([[-3.0], [0.0], [10.0]]), np.array([10.0, 20.0])
    d = fd.DiscreteUniform(low, high)
    x = np.array([-4.0, -3.0, 0.0, 0.5, 9.0, 10.0, 20.0, 21.0]).reshape(8, 1, 1)
    check_against_scipy(d, st.randint(low, high + 1.0), x, P_POINTS)
    assert float(fd.DiscreteUniform(2.0, 4.0).prob(4.0)) == pytest.approx(1.0 / 3.0, 1e-15)
    xs = check_sampling(fd.DiscreteUniform([-5.0, 0.0], [5.0, 1.0]), discrete=True)
    assert xs.dtype == np.int64 and xs[:, 0].min() == -5 and xs[:, 0].max() == 5
    with pytest.raises(ValueError, match=r"DiscreteUniform: expected low <= high"):
        fd.DiscreteUniform(3.0, 2.0, validate_args=True)
    with pytest.raises(ValueError, match=r"DiscreteUniform: expected low an integer, got 0.5"):
        fd.DiscreteUniform(0.5, 2.0, validate_args=True)


# --------------------------------------------------------------------------------------------
# Zero-inflated counts
# --------------------------------------------------------------------------------------------


def _zero_inflated_reference(ref, gate, x):
    """Direct log-mass, cdf, survival and moments of ``gate * delta_0 + (1 - gate) ref``."""
    x = np.asarray(x, float)
    with np.errstate(divide="ignore"):
        pmf = (1 - gate) * ref.pmf(x) + gate * (x == 0)
        cdf = np.where(x < 0, 0.0, gate + (1 - gate) * ref.cdf(x))
        m, v = ref.mean(), ref.var()
        return np.log(pmf), cdf, 1.0 - cdf, (1 - gate) * m, (1 - gate) * (v + m * m) - (
            (1 - gate) * m) ** 2


def test_zero_inflated_poisson_against_direct_computation():
    rate, gate = np.array([[0.3], [2.0], [15.0]]), np.array([0.0, 0.1, 0.6])
    x = np.array([-1.0, 0.0, 1.0, 1.5, 3.0, 20.0]).reshape(6, 1, 1)
    for d in (fd.ZeroInflatedPoisson(rate, gate),
              fd.ZeroInflatedPoisson(rate, gate_logits=sps.logit(gate))):
        lp, cdf, sf, mean, var = _zero_inflated_reference(st.poisson(rate), gate, x)
        assert_close(d.log_prob(x), lp, 1e-12, 0, "ZIP.log_prob")
        assert_close(d.cdf(x), cdf, 1e-12, 1e-300, "ZIP.cdf")
        assert_close(d.survival_function(x), sf, 1e-10, 1e-15, "ZIP.sf")
        assert_close(d.mean(), mean, 1e-12, 0, "ZIP.mean")
        assert_close(d.variance(), var, 1e-12, 0, "ZIP.variance")
        # quantile: the smallest k with cdf(k) >= q (brute force over 0..100)
        q = np.array([0.0, 0.05, 0.3, 0.7, 0.99]).reshape(5, 1, 1)
        grid = np.arange(101.0).reshape(101, 1, 1, 1)
        cdf_grid = _zero_inflated_reference(st.poisson(rate), gate, grid)[1]
        want = np.where(q == 0, -1, np.argmax(cdf_grid >= q[None] - 1e-15, axis=0))
        np.testing.assert_array_equal(d.quantile(q), want)
    check_sampling(fd.ZeroInflatedPoisson([0.5, 6.0], [0.3, 0.05]), discrete=True)
    xx = np.array([[0.0, 3.0], [2.0, 0.0]])
    check_grads(lambda r, g: fd.ZeroInflatedPoisson(r, g).log_prob(xx),
                (np.array([0.7, 3.0]), np.array([0.2, 0.6])))
    check_grads(lambda r, t: fd.ZeroInflatedPoisson(r, gate_logits=t).log_prob(xx),
                (np.array([0.7, 3.0]), np.array([-1.0, 0.4])))


def test_zero_inflated_negative_binomial_against_direct_computation():
    f, p, gate = np.array([[0.8], [4.0]]), np.array([0.3, 0.7]), np.array([0.25])
    x = np.array([-1.0, 0.0, 1.0, 2.5, 6.0, 40.0]).reshape(6, 1, 1)
    ref = st.nbinom(f, 1.0 - p)
    lp, cdf, sf, mean, var = _zero_inflated_reference(ref, gate, x)
    for d in (fd.ZeroInflatedNegativeBinomial(f, probs=p, gate=gate),
              fd.ZeroInflatedNegativeBinomial(f, logits=sps.logit(p),
                                              inflated_loc_logits=sps.logit(gate))):
        assert_close(d.log_prob(x), lp, 1e-12, 0, "ZINB.log_prob")
        assert_close(d.cdf(x), cdf, 1e-12, 1e-300, "ZINB.cdf")
        assert_close(d.survival_function(x), sf, 1e-10, 1e-15, "ZINB.sf")
        assert_close(d.mean(), mean, 1e-12, 0, "ZINB.mean")
        assert_close(d.variance(), var, 1e-12, 0, "ZINB.variance")
    check_sampling(fd.ZeroInflatedNegativeBinomial([1.5, 5.0], probs=0.4, gate=[0.3, 0.05]),
                   discrete=True)
    xx = np.array([[0.0, 3.0], [2.0, 0.0]])
    check_grads(lambda f, t, g: fd.ZeroInflatedNegativeBinomial(f, logits=t, gate=g).log_prob(xx),
                (np.array([0.7, 3.0]), np.array([-1.0, 0.4]), np.array([0.2, 0.6])))


# --------------------------------------------------------------------------------------------
# One-hot categorical, multinomial, Dirichlet-multinomial
# --------------------------------------------------------------------------------------------


def _frequency_z(counts, n, probs):
    """Standardized per-category counts: ``(c - n p) / sqrt(n p (1 - p))``."""
    return (counts - n * probs) / np.sqrt(n * probs * (1 - probs))


# |z| < 5.6 per category: a two-sided normal tail of 2e-8 per count (below 1e-6 per test)
Z_BOUND = 5.6


def test_one_hot_categorical():
    probs = _probs(4, 11, (3,))
    probs[1] = [0.0, 0.3, 0.3, 0.4]
    for d in (fd.OneHotCategorical(probs=probs), fd.OneHotCategorical(logits=np.log(probs))):
        assert d.batch_shape == (3,) and d.event_shape == (4,)
        x = np.eye(4)[np.array([[0, 1, 2], [3, 3, 0]])]  # (2, 3, 4)
        want = fd.Categorical(probs=probs).log_prob(np.array([[0, 1, 2], [3, 3, 0]]))
        assert_close(d.log_prob(x), want, 1e-12, 0, "OneHotCategorical.log_prob")
        bad = np.array([[1.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
        assert np.all(np.isneginf(d.log_prob(bad)))
        assert_close(d.mean(), probs, 1e-12, 0, "mean")
        cov = np.stack([np.diag(p) - np.outer(p, p) for p in probs])
        assert_close(d.covariance(), cov, 1e-12, 1e-15, "covariance")
        assert_close(d.entropy(), st.entropy(probs, axis=-1), 1e-12, 0, "entropy")
        np.testing.assert_array_equal(d.mode(), np.eye(4)[probs.argmax(-1)])
    n = 30000
    xs = np.asarray(fd.OneHotCategorical(probs=probs).sample(n, seed=3))
    assert xs.shape == (n, 3, 4) and xs.dtype == np.int64 and np.all(xs.sum(-1) == 1)
    z = _frequency_z(xs.sum(0), n, probs)
    assert np.all(np.abs(z[probs > 0]) < Z_BOUND) and np.all(xs.sum(0)[probs == 0] == 0), z
    check_grads(lambda t: fd.OneHotCategorical(logits=t).log_prob(np.eye(4)[[0, 2, 3]]),
                (np.log(_probs(4, 12, (3,))),))
    p, q = fd.OneHotCategorical(probs=_probs(3, 1)), fd.OneHotCategorical(probs=_probs(3, 2))
    check_kl_monte_carlo(p, q)


def test_multinomial_matches_scipy_and_samples_frequencies():
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.0, 0.2, 0.1]])
    n = np.array([[10.0], [1.0]])  # batch (2, 2)
    d = fd.Multinomial(n[..., 0, None] * np.ones(2), probs=probs)
    d = fd.Multinomial(np.array([[10.0, 10.0], [1.0, 1.0]]), probs=probs)
    assert d.batch_shape == (2, 2) and d.event_shape == (4,)
    x = np.array([[[1.0, 2.0, 3.0, 4.0], [7.0, 0.0, 2.0, 1.0]],
                  [[0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]]])
    want = st.multinomial.logpmf(x, np.array([[10], [1]]), probs)
    assert_close(d.log_prob(x), want, 1e-12, 0, "Multinomial.log_prob")
    assert_close(fd.Multinomial(10.0, logits=np.log(probs[0]) + 2.0).log_prob(x[0, 0]),
                 want[0, 0], 1e-12, 0, "Multinomial(logits).log_prob")
    # off the support: wrong total, negative or non-integer counts
    bad = np.array([[1.0, 2.0, 3.0, 3.0], [-1.0, 2.0, 4.0, 5.0], [0.5, 2.5, 3.0, 4.0]])
    assert np.all(np.isneginf(fd.Multinomial(10.0, probs=probs[0]).log_prob(bad)))
    ref = st.multinomial(10, probs[0])
    d0 = fd.Multinomial(10.0, probs=probs[0])
    assert_close(d0.mean(), ref.mean(), 1e-12, 0, "mean")
    assert_close(d0.covariance(), ref.cov(), 1e-12, 1e-15, "covariance")
    assert_close(d0.variance(), np.diag(ref.cov()), 1e-12, 0, "variance")
    # sampling: every draw sums to n; per-category totals within Z_BOUND (each category's
    # count over m draws is Binomial(m n, p_k))
    m = 20000
    dd = fd.Multinomial(np.array([5.0, 40.0]), probs=probs)
    xs = np.asarray(dd.sample(m, seed=7))
    assert xs.shape == (m, 2, 4) and xs.dtype == np.int64
    np.testing.assert_array_equal(xs.sum(-1), np.broadcast_to([5, 40], (m, 2)))
    tot = np.array([5.0, 40.0])[:, None]
    z = _frequency_z(xs.sum(0), m * tot, probs)
    assert np.all(np.abs(z[probs > 0]) < Z_BOUND) and np.all(xs.sum(0)[probs == 0] == 0), z
    check_sampling(dd, seed=8)  # moments (6 standard errors)
    xx = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 0.0, 2.0, 4.0]])
    check_grads(lambda t: fd.Multinomial(10.0, logits=t).log_prob(xx), (np.log(_probs(4, 3)),))
    check_grads(lambda p: fd.Multinomial(10.0, probs=p).log_prob(xx), (_probs(4, 4),))


def test_dirichlet_multinomial_matches_scipy():
    alpha = np.array([[0.5, 2.0, 3.0], [1.0, 1.0, 1.0]])
    d = fd.DirichletMultinomial(np.array([12.0, 3.0]), alpha)
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    x = np.array([[[2.0, 4.0, 6.0], [0.0, 3.0, 0.0]], [[12.0, 0.0, 0.0], [1.0, 1.0, 1.0]]])
    want = np.stack([[st.dirichlet_multinomial.logpmf(x[i, j], alpha[j], [12, 3][j])
                      for j in range(2)] for i in range(2)])
    assert_close(d.log_prob(x), want, 1e-12, 0, "DirichletMultinomial.log_prob")
    assert np.all(np.isneginf(d.log_prob(np.array([[2.0, 4.0, 5.0], [0.0, 2.5, 0.5]]))))
    for j, n in enumerate([12, 3]):
        ref = st.dirichlet_multinomial(alpha[j], n)
        assert_close(d.mean()[j], ref.mean(), 1e-12, 0, "mean")
        assert_close(d.covariance()[j], ref.cov(), 1e-12, 1e-15, "covariance")
        assert_close(d.variance()[j], ref.var(), 1e-12, 0, "variance")
    xs = check_sampling(d, seed=2)
    assert xs.dtype == np.int64
    np.testing.assert_array_equal(xs.sum(-1), np.broadcast_to([12, 3], (xs.shape[0], 2)))
    check_grads(lambda a: fd.DirichletMultinomial(12.0, a).log_prob(x[:, 0]),
                (np.array([0.5, 2.0, 3.0]),))


# --------------------------------------------------------------------------------------------
# Ordered logistic, Skellam (references by mpmath)
# --------------------------------------------------------------------------------------------


def _ordered_logistic_reference(cutpoints, loc):
    """Category probabilities by mpmath at 50 digits, shape ``(K + 1,)``."""
    import mpmath

    mpmath.mp.dps = 50
    sig = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
    c = [mpmath.mpf(-mpmath.inf)] + [mpmath.mpf(v) for v in cutpoints] + [mpmath.inf]
    loc = mpmath.mpf(loc)
    probs = [sig(loc - c[k]) - sig(loc - c[k + 1]) for k in range(len(cutpoints) + 1)]
    cdfs = [sig(v - loc) for v in c[1:-1]]
    return probs, cdfs


def test_ordered_logistic_against_mpmath():
    import mpmath

    cut = np.array([[-2.0, -0.5, 0.5, 3.0], [-30.0, 0.0, 0.0, 30.0]])  # batch 2, K = 4
    loc = np.array([[0.3], [-1.0], [25.0]])  # -> batch (3, 2)
    d = fd.OrderedLogistic(cut, loc)
    assert d.batch_shape == (3, 2) and d.event_shape == ()
    want_lp = np.zeros((3, 2, 5))
    want_cdf, want_logcdf, want_logsf = np.zeros((3, 3, 2, 4))
    for i in range(3):
        for j in range(2):
            probs, cdfs = _ordered_logistic_reference(cut[j], loc[i, 0])
            want_lp[i, j] = [float(mpmath.log(p)) if p > 0 else -np.inf for p in probs]
            want_cdf[i, j] = [float(v) for v in cdfs]
            want_logcdf[i, j] = [float(mpmath.log(v)) for v in cdfs]
            want_logsf[i, j] = [float(mpmath.log(1 - v)) for v in cdfs]
    assert_close(d.categorical_log_probs(), want_lp, 1e-12, 0, "categorical_log_probs")
    xs = np.arange(5.0).reshape(5, 1, 1)
    assert_close(d.log_prob(xs), np.moveaxis(want_lp, -1, 0), 1e-12, 0, "log_prob")
    assert np.all(np.isneginf(d.log_prob(np.array([[[-1.0]], [[5.0]], [[1.5]]]))))
    pts = np.array([-1.0, 0.0, 1.0, 2.7, 3.0, 4.0, 9.0]).reshape(7, 1, 1)
    k = np.broadcast_to(np.clip(np.floor(pts), 0, 3).astype(int), (7, 3, 2))[..., None]

    def at_k(table, below, above):
        inner = np.take_along_axis(np.broadcast_to(table, (7, 3, 2, 4)), k, -1)[..., 0]
        return np.where(pts < 0, below, np.where(pts >= 4, above, inner))

    assert_close(d.cdf(pts), at_k(want_cdf, 0.0, 1.0), 1e-12, 0, "cdf")
    assert_close(d.log_cdf(pts), at_k(want_logcdf, -np.inf, 0.0), 1e-12, 0, "log_cdf")
    assert_close(d.survival_function(pts), at_k(np.exp(want_logsf), 1.0, 0.0), 1e-12, 0,
                 "sf")
    assert_close(d.log_survival_function(pts), at_k(want_logsf, 0.0, -np.inf), 1e-12, 0,
                 "log_sf")
    p = np.exp(want_lp)
    j = np.arange(5.0)
    mean = (p * j).sum(-1)
    assert_close(d.mean(), mean, 1e-12, 0, "mean")
    assert_close(d.variance(), (p * (j - mean[..., None]) ** 2).sum(-1), 1e-10, 0, "variance")
    np.testing.assert_array_equal(d.mode(), p.argmax(-1))
    assert_close(d.entropy(), -np.sum(np.where(p > 0, p * want_lp, 0), -1), 1e-12, 0, "entropy")
    q = np.array([0.0, 0.01, 0.3, 0.9]).reshape(4, 1, 1)
    want_q = np.where(q == 0, -1, (want_cdf[None] < q[..., None]).sum(-1))
    np.testing.assert_array_equal(d.quantile(q), want_q)
    check_sampling(fd.OrderedLogistic([-1.0, 0.0, 2.0], [0.5, -1.0]), discrete=True)
    xx = np.array([[0.0, 3.0], [2.0, 1.0]])
    check_grads(lambda c, m: fd.OrderedLogistic(c, m).log_prob(xx),
                (np.array([-1.0, 0.5, 2.0]), np.array([0.3, -0.7])))


def _skellam_reference(mu1, mu2, ks):
    """log pmf, cdf and sf by mpmath at 40 digits (sums over [-400, 400])."""
    import mpmath

    mpmath.mp.dps = 40
    m1, m2 = mpmath.mpf(mu1), mpmath.mpf(mu2)

    def pmf(k):
        return (mpmath.exp(-(m1 + m2)) * (m1 / m2) ** (mpmath.mpf(k) / 2)
                * mpmath.besseli(abs(k), 2 * mpmath.sqrt(m1 * m2)))

    table = {k: pmf(k) for k in range(-400, 401)}
    lp = [float(mpmath.log(table[k])) for k in ks]
    cdf = [float(sum(v for j, v in table.items() if j <= k)) for k in ks]
    sf = [float(sum(v for j, v in table.items() if j > k)) for k in ks]
    ent = float(-sum(v * mpmath.log(v) for v in table.values() if v > 0))
    return np.array(lp), np.array(cdf), np.array(sf), ent


@pytest.mark.parametrize("mu1, mu2", [(1.0, 2.0), (5.0, 0.5), (40.0, 35.0), (0.01, 3.0)])
def test_skellam_against_mpmath_and_scipy(mu1, mu2):
    ks = [-30, -8, -2, -1, 0, 1, 3, 9, 24, 60]
    lp, cdf, sf, ent = _skellam_reference(mu1, mu2, ks)
    d = fd.Skellam(mu1, mu2)
    x = np.array(ks, float)
    assert_close(d.log_prob(x), lp, 1e-11, 0, "Skellam.log_prob")
    assert_close(d.cdf(x), cdf, 1e-11, 1e-300, "Skellam.cdf")
    assert_close(d.survival_function(x), sf, 1e-11, 1e-300, "Skellam.sf")
    assert_close(d.entropy(), ent, 1e-11, 0, "Skellam.entropy")
    # where SciPy is exact (the pmf and cdf in the body, moments, quantiles) it agrees too
    ref = st.skellam(mu1, mu2)
    body = x[np.abs(x - (mu1 - mu2)) < 6 * np.sqrt(mu1 + mu2)]
    assert_close(d.log_prob(body), ref.logpmf(body), 1e-10, 0, "vs scipy logpmf")
    qq = np.array([0.001, 0.2, 0.5, 0.8, 0.999])
    np.testing.assert_array_equal(d.quantile(qq), ref.ppf(qq))
    assert_close(d.mean(), ref.mean(), 1e-14, 0, "mean")
    assert_close(d.variance(), ref.var(), 1e-14, 0, "variance")
    assert np.isneginf(d.log_prob(0.5))


def test_skellam_sampling_and_gradients():
    d = fd.Skellam([1.0, 5.0, 30.0], [2.0, 0.5, 28.0])
    assert check_sampling(d, discrete=True).dtype == np.int64
    x = np.array([[-3.0, 0.0, 4.0], [2.0, 7.0, -10.0]])
    check_grads(lambda a, b: fd.Skellam(a, b).log_prob(x),
                (np.array([1.0, 5.0, 30.0]), np.array([2.0, 0.5, 28.0])))


# --------------------------------------------------------------------------------------------
# The compiled NUTS: every family's log_prob and its gradient run on the tape machine
# --------------------------------------------------------------------------------------------

_Y = np.array([0.0, 3.0, 5.0, 2.0, 4.0, 1.0])
_K3 = np.array([1.0, 2.0, 3.0])


def _stack(*xs):
    return fluxion.numpy.stack(xs)


# each: (p in (0, 1), a real) -> log_prob values with every continuous parameter traced
_FAMILY_LOG_PROBS = {
    "Bernoulli(probs)": lambda p, a: fd.Bernoulli(probs=p).log_prob(_Y > 2),
    "Bernoulli(logits)": lambda p, a: fd.Bernoulli(logits=a).log_prob(_Y > 2),
    "Binomial(probs)": lambda p, a: fd.Binomial(10.0, probs=p).log_prob(_Y),
    "Binomial(logits)": lambda p, a: fd.Binomial(10.0, logits=a).log_prob(_Y),
    "Poisson(rate)": lambda p, a: fd.Poisson(fluxion.numpy.exp(a)).log_prob(_Y),
    "Poisson(log_rate)": lambda p, a: fd.Poisson(log_rate=a).log_prob(_Y),
    "Categorical(logits)": lambda p, a: fd.Categorical(logits=_stack(a, 0 * a, -a, p)).log_prob(
        np.array([0.0, 3.0, 2.0])),
    "Categorical(probs)": lambda p, a: fd.Categorical(probs=_stack(p, 1.0 - p)).log_prob(
        np.array([0.0, 1.0])),
    "NegativeBinomial(probs)": lambda p, a: fd.NegativeBinomial(
        fluxion.numpy.exp(a), probs=p).log_prob(_Y),
    "NegativeBinomial(logits)": lambda p, a: fd.NegativeBinomial(3.0, logits=a).log_prob(_Y),
    "Geometric(probs)": lambda p, a: fd.Geometric(probs=p).log_prob(_Y),
    "Geometric(logits)": lambda p, a: fd.Geometric(logits=a).log_prob(_Y),
    "BetaBinomial": lambda p, a: fd.BetaBinomial(10.0, fluxion.numpy.exp(a), 2 * p).log_prob(_Y),
    "DiscreteUniform": lambda p, a: p * fd.DiscreteUniform(0.0, 6.0).log_prob(_Y),
    "ZeroInflatedPoisson": lambda p, a: fd.ZeroInflatedPoisson(
        fluxion.numpy.exp(a), p).log_prob(_Y),
    "ZeroInflatedNegativeBinomial": lambda p, a: fd.ZeroInflatedNegativeBinomial(
        fluxion.numpy.exp(a), logits=a, gate=p).log_prob(_Y),
    "OneHotCategorical": lambda p, a: fd.OneHotCategorical(logits=_stack(a, p, -a)).log_prob(
        np.eye(3)[[0, 2]]),
    "Multinomial": lambda p, a: fd.Multinomial(6.0, logits=_stack(a, p, -a)).log_prob(_K3),
    "DirichletMultinomial": lambda p, a: fd.DirichletMultinomial(
        6.0, _stack(fluxion.numpy.exp(a), p, 1.0 + 0 * p)).log_prob(_K3),
    "OrderedLogistic": lambda p, a: fd.OrderedLogistic(
        _stack(-1.0 + 0 * a, p, 1.0 + fluxion.numpy.exp(a)), a).log_prob(np.array([0.0, 1.0, 3.0])),
    "Skellam": lambda p, a: fd.Skellam(fluxion.numpy.exp(a), 2 * p).log_prob(
        np.array([-2.0, 0.0, 3.0])),
}
@pytest.mark.parametrize("name", sorted(_FAMILY_LOG_PROBS))
def test_every_family_log_prob_and_gradient_encode_for_the_compiled_nuts(name):
    from fluxion._src.codegen import tape

    family = _FAMILY_LOG_PROBS[name]

    def fn(theta):
        p = 1.0 / (1.0 + fluxion.numpy.exp(-theta[0]))
        return fluxion.numpy.sum(family(p, theta[1]))

    theta = np.array([0.2, 0.4])
    for f in (fn, fluxion.grad(fn)):
        graph = fluxion.jit(f, tier=0).lower(theta).graph
        encoded, why = tape.encode(graph)
        assert encoded is not None, f"{name}: {why}"


def test_skellam_runs_compiled_through_the_integer_order_formula_of_ive(compiled_nuts_cache):
    # ive(|k|, 2 sqrt(mu1 mu2)) with integer data k: the tape machine and tier 1 run its scalar
    # formula (prims/special_more.bessel_ik_scalar); values and gradients equal eager
    from fluxion._src.codegen import tape, tier1

    def fn(theta):
        return fluxion.numpy.sum(_FAMILY_LOG_PROBS["Skellam"](0.3, theta[0]))

    theta = np.array([0.1])
    vg = fluxion.value_and_grad(fn)
    want_v, want_g = vg(theta)
    graph = fluxion.jit(vg, tier=0).lower(theta).graph
    assert tier1.lowerable(graph) == []
    encoded, why = tape.encode(graph)
    assert encoded is not None, why
    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", compiled_nuts_cache)
    try:
        results = {"tape": tape.run(encoded, tape.load_machine(), theta),
                   "tier 1": tier1.compile_numba(graph, "skellam").fn(theta)}
    finally:
        fluxion.config.update("cache_dir", old)
    for name, (v, g) in results.items():
        assert v == pytest.approx(want_v, rel=1e-13), name
        np.testing.assert_allclose(g, want_g, rtol=1e-12, err_msg=name)


@pytest.mark.slow  # the compiled NUTS core compiles once per session (about a minute)
def test_compiled_nuts_samples_a_model_mixing_discrete_families(compiled_nuts):
    """Conjugate pieces with known posteriors, sampled together on the compiled chain:
    Poisson counts with a Gamma(2, 0.5) prior on the rate (posterior Gamma(2 + sum y,
    0.5 + n)), binomial successes with a Beta(2, 2) prior on the probability (given as logits;
    posterior Beta(2 + sum k, 2 + sum(n - k))), and a categorical likelihood whose logits are
    two free parameters (standard normal priors)."""
    import warnings

    import fluxion.scipy.stats as fst
    from fluxion.mcmc import sample

    y = np.array([3.0, 5.0, 2.0, 4.0, 6.0, 3.0, 4.0, 5.0, 2.0, 3.0])
    k, n = np.array([3.0, 7.0, 4.0, 5.0]), 10.0
    cats = np.array([0.0, 2.0, 2.0, 1.0, 2.0, 0.0, 2.0])

    def log_density(theta):
        rate = fluxion.numpy.exp(theta[0])
        logit = theta[1]
        p = 1.0 / (1.0 + fluxion.numpy.exp(-logit))
        logits = _stack(0.0 * theta[2], theta[2], theta[3])
        return (fluxion.numpy.sum(fd.Poisson(rate).log_prob(y))
                + fst.gamma.logpdf(rate, 2.0, scale=2.0) + theta[0]  # + log|d rate/d theta|
                + fluxion.numpy.sum(fd.Binomial(n, logits=logit).log_prob(k))
                + fst.beta.logpdf(p, 2.0, 2.0) + fluxion.numpy.log(p * (1.0 - p))
                + fluxion.numpy.sum(fd.Categorical(logits=logits).log_prob(cats))
                + fluxion.numpy.sum(fd.Normal(0.0, 1.0).log_prob(theta[2:])))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(log_density, np.zeros(4), chains=2, draws=800, warmup=400, seed=0,
                     progress=False)
    assert res.compiled == "chain", res.compiled_reason
    draws = res.draws["x"].reshape(-1, 4)
    rate = np.exp(draws[:, 0])
    post = st.gamma(2.0 + y.sum(), scale=1.0 / (0.5 + y.size))
    assert abs(rate.mean() - post.mean()) < 0.25 * post.std()
    assert abs(rate.std() - post.std()) < 0.25 * post.std()
    p = sps.expit(draws[:, 1])
    post = st.beta(2.0 + k.sum(), 2.0 + (n - k).sum())
    assert abs(p.mean() - post.mean()) < 0.25 * post.std()
    assert abs(p.std() - post.std()) < 0.25 * post.std()
    assert np.all(np.isfinite(draws))
