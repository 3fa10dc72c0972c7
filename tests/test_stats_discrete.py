"""The discrete families of ``fluxion.scipy.stats`` against ``scipy.stats``: values at many
parameter points with broadcasting, quantiles, moments, frozen distributions, ``loc``, ``rvs``,
SciPy's out-of-domain answers, argument errors, derivatives against central differences, and
the log-masses inside ``jit`` and the compiled NUTS."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as ss

import fluxion
import fluxion.scipy.stats as fst
from fluxion.test_util import check_grads

# family -> (shape parameters, each (4,), broadcasting against points (K, 1); points range)
CASES = {
    "poisson": ((np.array([0.3, 2.5, 11.0, 60.0]),), (-2, 90)),
    "binom": ((np.array([1, 7, 20, 60]), np.array([0.05, 0.3, 0.5, 0.93])), (-2, 62)),
    "nbinom": ((np.array([1.0, 2.5, 6.0, 30.0]), np.array([0.15, 0.4, 0.7, 0.95])), (-2, 60)),
    "geom": ((np.array([0.07, 0.3, 0.6, 0.97]),), (-1, 40)),
    "bernoulli": ((np.array([0.0, 0.2, 0.7, 1.0]),), (-1, 3)),
    "betabinom": ((np.array([1, 6, 15, 40]), np.array([0.4, 1.0, 2.5, 7.0]),
                   np.array([0.6, 3.0, 1.0, 5.0])), (-1, 42)),
    "hypergeom": ((np.array([10, 30, 50, 80]), np.array([4, 12, 40, 20]),
                   np.array([3, 9, 20, 50])), (-1, 52)),
    "randint": ((np.array([-3, 0, 2, 10]), np.array([1, 5, 12, 40])), (-5, 42)),
    "zipf": ((np.array([1.3, 2.0, 3.5, 7.0]),), (-1, 60)),
}
POINT_METHODS = ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")


def _close(got, want, rtol, atol=0.0, where=""):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{where}: shape {got.shape}, SciPy {want.shape}"
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=where)
    fin = np.isfinite(want)
    np.testing.assert_array_equal(got[~fin], want[~fin], err_msg=where)
    np.testing.assert_allclose(got[fin], want[fin], rtol=rtol, atol=atol, err_msg=where)


@pytest.mark.parametrize("family", sorted(CASES))
@pytest.mark.parametrize("method", POINT_METHODS)
def test_point_methods_match_scipy(family, method):
    shapes, (k0, k1) = CASES[family]
    k = np.arange(k0, k1)[:, None]
    got = getattr(getattr(fst, family), method)(k, *shapes)
    want = getattr(getattr(ss, family), method)(k, *shapes)
    if family == "zipf" and method in ("sf", "logsf", "cdf", "logcdf"):
        # SciPy sums the pmf (about 1e-8 relative in the tails): the Hurwitz zeta is exact
        sf = sc.zeta(shapes[0], np.maximum(k, 1) + 1.0) / sc.zeta(shapes[0])
        exact = {"sf": sf, "logsf": np.log(sf), "cdf": 1.0 - sf, "logcdf": np.log1p(-sf)}
        want = np.where(k < 1, want, exact[method])
    if family == "geom" and method == "logcdf":
        # log(1 - (1-p)^k) as log1p(-(1-p)^k): SciPy's log(cdf) loses the digits near p = 1
        want = np.where(k < 1, want, np.log1p(-np.exp(np.maximum(k, 1) * np.log1p(-shapes[0]))))
    if method in ("logcdf", "logsf") and family not in ("zipf", "geom"):
        # near 1, log(p) = log1p(-(1 - p)) from SciPy's other tail (SciPy's log(p) rounds)
        with np.errstate(all="ignore"):
            p = getattr(getattr(ss, family), method[3:])(k, *shapes)
            other = getattr(getattr(ss, family), "sf" if method == "logcdf" else "cdf")(
                k, *shapes)
            want = np.where(p > 0.5, np.log1p(-other), want)
    if method in ("logcdf", "logsf"):
        # where SciPy's tail underflows to 0 (log -inf) fluxion keeps a finite value
        under = np.isneginf(want) & np.isfinite(got)
        assert np.all(got[under] < -700.0)
        want = np.where(under, got, want)
    _close(got, want, 1e-9, 1e-300, f"{family}.{method}")


@pytest.mark.parametrize("family", sorted(CASES))
def test_quantiles_match_scipy(family):
    shapes, _ = CASES[family]
    rng = np.random.default_rng(0)
    q = np.concatenate([rng.uniform(0.0, 1.0, (40, 4)), [[0.0, 1.0, -0.1, 1.1],
                                                         [1e-12, 1 - 1e-12, 0.5, np.nan]]])
    if family == "zipf":
        q = q[:-1]  # SciPy's generic search sums the pmf up to ~1e40 there (see below)
    for method in ("ppf", "isf"):
        got = getattr(getattr(fst, family), method)(q, *shapes)
        want = getattr(getattr(ss, family), method)(q, *shapes)
        _close(got, want, 0.0, 0.0, f"{family}.{method}")


def test_quantile_is_smallest_point_reaching_q():
    # ppf(q) = min{k : cdf(k) >= q}, isf(q) = min{k : sf(k) <= q}, also far in the tails
    mu = np.array([0.5, 40.0, 1e4])
    q = np.array([[1e-10], [0.3], [1 - 1e-10]])  # (zipf quantiles are capped at 2**62)
    k = fst.poisson.ppf(q, mu)
    assert np.all(fst.poisson.cdf(k, mu) >= q) and np.all(fst.poisson.cdf(k - 1, mu) < q)
    k = fst.poisson.isf(q, mu)
    assert np.all(fst.poisson.sf(k, mu) <= q) and np.all(fst.poisson.sf(k - 1, mu) > q)
    a = np.array([1.6, 2.0, 5.0])
    q[2] = 1 - 1e-8  # (k - 1 must stay below 2**53, where floats hold every integer)
    k = fst.zipf.ppf(q, a)
    assert np.all(fst.zipf.cdf(k, a) >= q) and np.all(fst.zipf.cdf(k - 1, a) < q)


@pytest.mark.parametrize("family", sorted(CASES))
def test_moments_match_scipy(family):
    shapes, _ = CASES[family]
    for method in ("mean", "var", "std", "entropy"):
        got = getattr(getattr(fst, family), method)(*shapes)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            want = getattr(getattr(ss, family), method)(*shapes)
        if family == "zipf" and method == "entropy":
            continue  # SciPy's slowly converging sum (1e-6 to 1e-2 off): mpmath below
        _close(got, want, 1e-9, 1e-14, f"{family}.{method}")


def test_zipf_entropy_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    for a in (1.05, 1.3, 2.0, 3.5, 7.0, 30.0):
        # 50 digits of our own: at large a the two terms cancel (2e-8 from terms of 1e-9 each
        # at a = 30), so mpmath's default 15 digits would be the inaccurate side
        with mpmath.workdps(50):
            z = mpmath.zeta(a)
            want = float(mpmath.log(z) - a * mpmath.zeta(a, 1, 1) / z)
        np.testing.assert_allclose(fst.zipf.entropy(a), want, rtol=1e-13, err_msg=str(a))


def test_poisson_entropy_both_branches():
    # the direct sum below mu = 400, the asymptotic series above; the reference sums SciPy's
    # pmf over mu +- 40 sd (SciPy's own entropy does not converge at mu = 1e5)
    mu = np.array([1e-3, 5.0, 399.0, 401.0, 1e5])
    want = []
    for m in mu:
        half = 40 * np.sqrt(m) + 40
        k = np.arange(max(0.0, np.floor(m - half)), np.ceil(m + half))
        p = ss.poisson.pmf(k, m)
        want.append(-np.sum(sc.xlogy(p, p)))
    np.testing.assert_allclose(fst.poisson.entropy(mu), want, rtol=1e-10)


def test_frozen_loc_and_keywords():
    k = np.arange(-3, 15)
    frozen = fst.nbinom(3, 0.4, loc=2)
    ref = ss.nbinom(3, 0.4, loc=2)
    for method in POINT_METHODS:
        np.testing.assert_allclose(getattr(frozen, method)(k), getattr(ref, method)(k),
                                   rtol=1e-12)
    for method in ("mean", "var", "std", "entropy", "median"):
        np.testing.assert_allclose(getattr(frozen, method)(), getattr(ref, method)(), rtol=1e-10)
    np.testing.assert_array_equal(frozen.ppf([0.1, 0.5, 0.9]), ref.ppf([0.1, 0.5, 0.9]))
    np.testing.assert_allclose(fst.binom.pmf(k, n=10, p=0.3, loc=-1),
                               fst.binom.pmf(k + 1, 10, 0.3), rtol=1e-14)
    np.testing.assert_allclose(fst.poisson.pmf(k, 2.5, 3), ss.poisson.pmf(k, 2.5, 3),
                               rtol=1e-12)
    assert fst.geom.support(0.3, loc=1) == (2.0, np.inf)


def test_rvs_are_numpy_arrays_with_the_right_moments():
    x = fst.poisson.rvs(4.0, size=(2000,), random_state=1)
    assert type(x) is np.ndarray and x.shape == (2000,)
    assert abs(x.mean() - 4.0) < 0.3 and abs(x.var() - 4.0) < 0.8
    y = fst.binom(10, np.array([0.2, 0.8])).rvs(size=(3, 2), random_state=np.random.default_rng(2))
    assert type(y) is np.ndarray and y.shape == (3, 2)
    z = fst.zipf.rvs(3.0, loc=-1, size=5, random_state=0)
    assert z.shape == (5,) and np.all(z >= 0)
    with pytest.raises(TypeError, match="poisson.rvs"):
        fluxion.grad(lambda mu: fst.poisson.rvs(mu, size=3, random_state=0).sum())(2.0)


# (family, invalid shape parameters): SciPy answers NaN everywhere
INVALID = [("poisson", (-1.0,)), ("binom", (2.5, 0.3)), ("binom", (4, 1.5)),
           ("nbinom", (0.0, 0.5)), ("nbinom", (3.0, 0.0)), ("geom", (0.0,)),
           ("geom", (1.2,)), ("bernoulli", (-0.1,)), ("betabinom", (5, 0.0, 1.0)),
           ("betabinom", (5.5, 1.0, 1.0)), ("hypergeom", (10, 12, 3)),
           ("hypergeom", (10, 4, 11)), ("randint", (3, 3)), ("randint", (0.5, 3)),
           ("zipf", (1.0,))]


@pytest.mark.parametrize("family, shapes", INVALID)
def test_invalid_parameters_give_nan_like_scipy(family, shapes):
    dist, ref = getattr(fst, family), getattr(ss, family)
    k = np.array([0.0, 1.0, 2.0])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for method in POINT_METHODS + ("ppf", "isf"):
            x = np.array([0.2, 0.5, 0.9]) if method in ("ppf", "isf") else k
            got, want = getattr(dist, method)(x, *shapes), getattr(ref, method)(x, *shapes)
            if method == "logcdf":
                # SciPy's logcdf (not its cdf) puts 0 at and above the (invalid) support's top;
                # fluxion answers NaN there as SciPy's cdf does
                want = np.where(np.isnan(ref.cdf(x, *shapes)), np.nan, want)
            _close(got, want, 0.0, where=f"{family}.{method}")
        for method in ("mean", "var", "std", "entropy"):
            assert np.isnan(getattr(dist, method)(*shapes)), f"{family}.{method}"


def test_edges_of_the_support_like_scipy():
    k = np.array([-1.0, 0.0, 2.5, 3.0, 4.0])
    for family, shapes in [("binom", (3, 0.4)), ("hypergeom", (10, 3, 5)),
                           ("randint", (0, 4)), ("betabinom", (3, 1.5, 2.0))]:
        for method in POINT_METHODS:
            got = getattr(getattr(fst, family), method)(k, *shapes)
            want = getattr(getattr(ss, family), method)(k, *shapes)
            if family == "hypergeom" and method not in ("logpmf", "pmf"):
                # SciPy's hypergeom tails give NaN at non-integer points (Boost wants integers);
                # rv_discrete's convention is the value at floor(k), as the other families
                want = np.where(k == 2.5, getattr(ss.hypergeom, method)(2.0, *shapes), want)
            _close(got, want, 1e-12, 1e-15, f"{family}.{method}")


def test_bad_shapes_and_arguments_name_the_function():
    with pytest.raises(ValueError, match=r"poisson\.pmf: expected arguments that broadcast"):
        fst.poisson.pmf(np.zeros(3), np.ones(4))
    with pytest.raises(ValueError, match=r"binom\.ppf: .*q \(2,\).*n \(3,\)"):
        fst.binom.ppf(np.array([0.1, 0.2]), np.array([1, 2, 3]), 0.5)
    with pytest.raises(ValueError, match=r"zipf\.mean"):
        fst.zipf.mean(np.array([2.0, 3.0]), loc=np.zeros(3))
    with pytest.raises(TypeError, match=r"nbinom\.logpmf: missing required shape"):
        fst.nbinom.logpmf(1, 3)
    with pytest.raises(TypeError, match=r"geom\.cdf: expected k as real numbers"):
        fst.geom.cdf("a", 0.3)


def test_sums_over_the_support_under_jit_say_what_to_do():
    with pytest.raises(TypeError, match=r"betabinom\.cdf: .*static"):
        fluxion.jit(lambda k: fst.betabinom.cdf(k, 10, 1.0, 2.0))(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"hypergeom\.ppf: .*static"):
        fluxion.jit(lambda q: fst.hypergeom.ppf(q, 20, 7, 12))(np.array([0.1, 0.5]))
    with pytest.raises(TypeError, match=r"binom\.entropy: .*static"):
        fluxion.vmap(lambda p: fst.binom.entropy(10, p))(np.array([0.1, 0.5]))


# ---- derivatives --------------------------------------------------------------------------

# (family, method, points, continuous parameter index, other parameters)
GRADS = [
    ("poisson", (np.array([0.0, 2.0, 7.0]),), 0, (3.3,)),
    ("binom", (np.array([0.0, 3.0, 9.0]), 12), 1, (0.35,)),
    ("nbinom", (np.array([0.0, 3.0, 9.0]), 4.5), 1, (0.45,)),
    ("nbinom", (np.array([0.0, 3.0, 9.0]),), 0, (4.5, 0.45)),
    ("geom", (np.array([1.0, 3.0, 9.0]),), 0, (0.3,)),
    ("bernoulli", (np.array([0.0]),), 0, (0.3,)),  # (at k = 1, the top, log sf = -inf)
    ("betabinom", (np.array([0.0, 3.0, 9.0]), 12), 1, (1.7, 2.4)),
    ("betabinom", (np.array([0.0, 3.0, 9.0]), 12, 1.7), 2, (2.4,)),
    ("zipf", (np.array([1.0, 3.0, 9.0]),), 0, (4.5,)),  # (the variance is finite for a > 3)
]


def _split(lead, rest):
    x, *fixed = lead
    return x, fixed, rest


@pytest.mark.parametrize("family, lead, index, rest", GRADS,
                         ids=[f"{g[0]}-{g[2]}" for g in GRADS])
def test_derivatives_match_central_differences(family, lead, index, rest):
    dist = getattr(fst, family)
    k, fixed = lead[0], list(lead[1:])
    theta0, others = rest[0], list(rest[1:])

    def params(theta):
        return fixed + [theta] + others

    for method in POINT_METHODS:
        def f(theta, method=method):
            return getattr(dist, method)(k, *params(theta))

        check_grads(f, (np.float64(theta0),), order=2, modes=("fwd", "rev"))
        # an explicit central difference of the summed first derivative
        h = 1e-6
        fd = (np.sum(f(theta0 + h)) - np.sum(f(theta0 - h))) / (2 * h)
        d1 = fluxion.grad(lambda t: fluxion.numpy.sum(f(t)))(theta0)
        np.testing.assert_allclose(d1, fd, rtol=1e-6, atol=1e-9, err_msg=f"{family}.{method}")
    for method in ("mean", "var", "entropy"):
        def g(theta, method=method):
            return getattr(dist, method)(*params(theta))

        check_grads(g, (np.float64(theta0),), order=2, modes=("fwd", "rev"))


def test_quantile_derivatives_are_zero():
    cases = [(lambda p: fst.binom.ppf(0.4, 10, p), 0.4),
             (lambda mu: fst.poisson.isf(0.2, mu), 2.5),
             (lambda p: fst.nbinom.ppf(0.7, 3.0, p), 0.4),
             (lambda a: fst.zipf.isf(0.1, a), 2.5),
             (lambda q: fst.geom.ppf(q, 0.3), 0.5),
             (lambda q: fst.hypergeom.ppf(q, 20, 7, 12), 0.5),
             (lambda a: fst.betabinom.isf(0.3, 10, a, 2.0), 1.5)]
    for f, x in cases:
        assert fluxion.grad(f)(x) == 0.0
        assert fluxion.grad(fluxion.grad(f))(x) == 0.0
        assert fluxion.jvp(f, (x,), (1.0,))[1] == 0.0


# ---- compiled ---------------------------------------------------------------------------------


def test_log_masses_and_quantiles_under_jit():
    k = np.array([0.0, 1.0, 3.0, 6.0])

    def log_lik(mu, p, a):
        return (fluxion.numpy.sum(fst.poisson.logpmf(k, mu))
                + fluxion.numpy.sum(fst.binom.logpmf(k, 8, p))
                + fluxion.numpy.sum(fst.nbinom.logpmf(k, 2.5, p))
                + fluxion.numpy.sum(fst.geom.logpmf(k + 1, p))
                + fluxion.numpy.sum(fst.bernoulli.logpmf(np.minimum(k, 1), p))
                + fluxion.numpy.sum(fst.betabinom.logpmf(k, 8, a, 2.0))
                + fluxion.numpy.sum(fst.zipf.logpmf(k + 1, a + 1.0))
                + fluxion.numpy.sum(fst.hypergeom.logpmf(k, 20, 7, 12))
                + fluxion.numpy.sum(fst.randint.logpmf(k, 0, 10)))

    args = (2.2, 0.35, 1.6)
    jitted = fluxion.jit(log_lik)
    np.testing.assert_allclose(jitted(*args), log_lik(*args), rtol=1e-13)
    grad_j = fluxion.jit(fluxion.grad(log_lik, argnums=(0, 1, 2)))
    np.testing.assert_allclose(grad_j(*args), fluxion.grad(log_lik, argnums=(0, 1, 2))(*args),
                               rtol=1e-12)
    q = np.array([0.01, 0.3, 0.9, 0.999])
    ppf = fluxion.jit(lambda q, mu, p: (fst.poisson.ppf(q, mu), fst.nbinom.isf(q, 3.0, p),
                                        fst.zipf.ppf(q, mu)))
    for got, want in zip(ppf(q, 2.5, 0.3), (ss.poisson.ppf(q, 2.5), ss.nbinom.isf(q, 3.0, 0.3),
                                            ss.zipf.ppf(q, 2.5))):
        np.testing.assert_array_equal(got, want)


@pytest.mark.slow  # 700 draws of 2 chains (and the compiled NUTS core, if first in the session)
def test_compiled_nuts_samples_a_poisson_rate(compiled_nuts):
    from fluxion.mcmc import sample

    # Poisson counts with a Gamma(a0, rate b0) prior on the rate: the posterior is
    # Gamma(a0 + sum(y), b0 + n); sampled in log-rate (Jacobian + theta)
    y = np.array([3, 5, 2, 4, 6, 3, 4, 5, 2, 3])
    a0, b0 = 2.0, 0.5

    def log_prob(theta):
        mu = fluxion.numpy.exp(theta[0])
        return (fluxion.numpy.sum(fst.poisson.logpmf(y, mu))
                + fst.gamma.logpdf(mu, a0, scale=1.0 / b0) + theta[0])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(log_prob, np.zeros(1), chains=2, draws=400, warmup=300, seed=0,
                     progress=False)
    assert res.compiled == "chain", res.compiled_reason
    mu = np.exp(res.draws["x"][..., 0]).ravel()
    a, b = a0 + y.sum(), b0 + len(y)
    sd = np.sqrt(a) / b
    assert abs(mu.mean() - a / b) < 0.3 * sd
    assert abs(mu.std() - sd) < 0.3 * sd


_Y = np.array([0, 3, 5, 2, 4, 1])


def _every_family_log_prob(theta):
    p = 1.0 / (1.0 + fluxion.numpy.exp(-theta[0]))
    a = fluxion.numpy.exp(theta[1])
    return (fluxion.numpy.sum(fst.binom.logpmf(_Y, 10, p))
            + fluxion.numpy.sum(fst.nbinom.logpmf(_Y, 3.0, p))
            + fluxion.numpy.sum(fst.geom.logpmf(_Y + 1, p))
            + fluxion.numpy.sum(fst.bernoulli.logpmf(_Y > 2, p))
            + fluxion.numpy.sum(fst.poisson.logpmf(_Y, a))
            + fluxion.numpy.sum(fst.betabinom.logpmf(_Y, 10, a, 2.0))
            + fluxion.numpy.sum(fst.zipf.logpmf(_Y + 1, 1.0 + a))
            + fluxion.numpy.sum(fst.hypergeom.logpmf(_Y, 20, 7, 12))
            + fluxion.numpy.sum(fst.randint.logpmf(_Y, 0, 6))
            + fst.norm.logpdf(theta[0]) + fst.norm.logpdf(theta[1]))


def test_every_log_mass_and_its_gradient_encode_for_the_compiled_nuts():
    """The compiled NUTS runs a model's potential and gradient on the tape machine: every
    primitive of the log-masses must encode (no fallback to the Python path)."""
    from fluxion._src.codegen import tape

    theta = np.array([0.2, 0.4])
    for fn in (_every_family_log_prob, fluxion.grad(_every_family_log_prob)):
        graph = fluxion.jit(fn, tier=0).lower(theta).graph
        encoded, why = tape.encode(graph)
        assert encoded is not None, why


@pytest.mark.slow  # the compiled NUTS core compiles once per session (about a minute)
def test_compiled_nuts_samples_a_model_of_every_family(compiled_nuts):
    from fluxion.mcmc import sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: convergence warnings are expected
        res = sample(_every_family_log_prob, np.zeros(2), chains=2, draws=50, warmup=50,
                     seed=0, progress=False)
    assert res.compiled == "chain", res.compiled_reason
    assert np.all(np.isfinite(res.draws["x"]))


def test_traced_quantile_search_equals_the_eager_one_over_wide_brackets():
    # under jit the search runs a fixed number of 64-way steps (enough for brackets < 2**62)
    q = np.array([1e-12, 0.3, 0.5, 1 - 1e-8])
    a = np.array([[1.6], [3.0]])
    mu = np.array([[1e-3], [1e6]])
    f = fluxion.jit(lambda q, a, mu: (fst.zipf.ppf(q, a), fst.zipf.isf(q, a),
                                      fst.poisson.ppf(q, mu), fst.geom.isf(q, 1e-9)))
    want = (fst.zipf.ppf(q, a), fst.zipf.isf(q, a), fst.poisson.ppf(q, mu),
            fst.geom.isf(q, 1e-9))
    for got, w in zip(f(q, a, mu), want):
        np.testing.assert_array_equal(got, w)
    np.testing.assert_array_equal(
        fluxion.vmap(lambda m: fst.poisson.isf(q, m))(np.array([0.5, 50.0])),
        fst.poisson.isf(q, np.array([[0.5], [50.0]])))
