"""``fluxion.scipy.stats`` closed-form continuous families against ``scipy.stats``: every method
at many parameter points with broadcasting, the tails, SciPy's answers outside the domain,
frozen forms, argument errors, and log-densities inside the compiled NUTS.

Derivatives (forward, reverse, second order in the value, shapes, loc and scale) are in the op
table: tests/optable/rows_stats_continuous.py.
"""

import warnings

import numpy as np
import pytest
import scipy.stats as ss

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.stats as fst

# family -> shape-parameter values (each a 1-D grid, broadcast against x and loc/scale)
FAMILIES = {
    "norm": (),
    "t": (np.array([0.7, 1.0, 2.0, 3.5, 30.0, 1e4]),),
    "cauchy": (),
    "laplace": (),
    "logistic": (),
    "gumbel_r": (),
    "gumbel_l": (),
    "expon": (),
    "uniform": (),
    "halfnorm": (),
    "halfcauchy": (),
    "rayleigh": (),
    "lognorm": (np.array([0.05, 0.4, 1.0, 2.5, 6.0, 9.0]),),
}
# relative tolerance per (family, method) where SciPy computes differently (default 1e-12)
RTOL = {("t", "cdf"): 1e-10, ("t", "sf"): 1e-10, ("t", "logcdf"): 1e-10, ("t", "logsf"): 1e-10,
        ("t", "ppf"): 1e-9, ("t", "isf"): 1e-9, ("t", "entropy"): 1e-11}


def _mp_t_cdf(z, df):
    import mpmath as mp

    tail = 0.5 * mp.betainc(df / 2, 0.5, 0, df / (df + z * z), regularized=True)
    return tail if z < 0 else 1 - tail


def _mp_halfnorm_sf(z):
    import mpmath as mp

    return mp.erfc(z / mp.sqrt(2)) if z > 0 else mp.mpf(1)


# Where SciPy itself loses digits, mpmath (120 digits) is the oracle, in standard form:
# t's cdf near z = 0 (scipy.stats.t.cdf(1e-8, 1) = 0.5000000047, exact 0.5000000031831) and
# halfnorm.logsf beyond z ~ 38 (SciPy underflows to -inf; the exact value is finite).
MP_ORACLE = {
    ("t", "cdf"): lambda z, df: _mp_t_cdf(z, df),
    ("t", "logcdf"): lambda z, df: __import__("mpmath").log(_mp_t_cdf(z, df)),
    ("t", "sf"): lambda z, df: _mp_t_cdf(-z, df),
    ("t", "logsf"): lambda z, df: __import__("mpmath").log(_mp_t_cdf(-z, df)),
    ("halfnorm", "logsf"): lambda z: __import__("mpmath").log(_mp_halfnorm_sf(z)),
}


def _oracle(family, method, x, shapes, loc, scale):
    import mpmath as mp

    fn = MP_ORACLE[(family, method)]
    x, loc, scale, *shapes = np.broadcast_arrays(x, loc, scale, *shapes)
    out = np.empty(x.shape)
    with mp.workdps(120):  # 1 - 1e-86 must not round to 1 inside log
        for i in np.ndindex(x.shape):
            z = (mp.mpf(float(x[i])) - float(loc[i])) / float(scale[i])
            value = fn(z, *(mp.mpf(float(s[i])) for s in shapes))
            if method.startswith("log"):
                value = value - (0 if method.endswith(("cdf", "sf")) else mp.log(scale[i]))
            out[i] = float(value)
    return out


POINTS = np.array([-40.0, -7.0, -1.3, -1e-3, 0.0, 1e-8, 0.2, 1.0, 3.3, 9.0, 45.0])
PROBS = np.array([0.0, 1e-300, 1e-12, 1e-3, 0.2, 0.5, 0.77, 1 - 1e-9, 1.0, -0.1, 1.1, np.nan])


def _grid(family):
    """x of shape (11, 1, 1), shapes (1, 6, 1) ... , loc (1, 1, 2), scale (1, 1, 2)."""
    shapes = tuple(s.reshape(1, -1, 1) for s in FAMILIES[family])
    loc = np.array([0.0, -0.7]).reshape(1, 1, 2)
    scale = np.array([1.0, 2.3]).reshape(1, 1, 2)
    return shapes, loc, scale


def _close(got, want, rtol):
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape, (got.shape, want.shape)
    same_special = (np.isnan(got) == np.isnan(want)).all() and (
        got[np.isinf(want)] == want[np.isinf(want)]).all()
    assert same_special, (got, want)
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("method", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"])
def test_point_methods_equal_scipy(family, method):
    shapes, loc, scale = _grid(family)
    x = POINTS.reshape(-1, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = getattr(getattr(fst, family), method)(x, *shapes, loc, scale)
        if (family, method) in MP_ORACLE:
            want = _oracle(family, method, x, shapes, loc, scale)
            if family == "t" and method in ("logcdf", "logsf"):
                # documented limitation: a t tail probability below the smallest float (here
                # df = 1e4, z = -17) gives -inf, not the finite log (SciPy: -746.6)
                want = np.where(want < -700.0, -np.inf, want)
        else:
            want = getattr(getattr(ss, family), method)(x, *shapes, loc, scale)
    _close(got, want, RTOL.get((family, method), 1e-12))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("method", ["ppf", "isf"])
def test_quantiles_equal_scipy(family, method):
    shapes, loc, scale = _grid(family)
    # scipy.stats.t.ppf(1e-300, df) is wrong for df != 1 (+inf for df = 3.5, a finite value
    # where the quantile overflows for df = 0.7): t's far tail is checked in its own test
    q = (PROBS[PROBS != 1e-300] if family == "t" else PROBS).reshape(-1, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = getattr(getattr(ss, family), method)(q, *shapes, loc, scale)
        got = getattr(getattr(fst, family), method)(q, *shapes, loc, scale)
    _close(got, want, RTOL.get((family, method), 1e-11))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("method", ["mean", "var", "std", "entropy", "median"])
def test_moments_equal_scipy(family, method):
    shapes, loc, scale = _grid(family)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = getattr(getattr(ss, family), method)(*shapes, loc, scale)
        got = getattr(getattr(fst, family), method)(*shapes, loc, scale)
    _close(got, np.broadcast_to(want, np.shape(got)) if np.ndim(want) < np.ndim(got) else want,
           RTOL.get((family, method), 1e-11))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_invalid_parameters_give_scipys_nan(family):
    n_shapes = len(FAMILIES[family])
    x = np.array([0.3, 1.5])
    for bad in ([-1.0] * n_shapes + [0.0, -2.0], [np.nan] * n_shapes + [0.0, 1.0]):
        if not n_shapes and np.isnan(bad[-1]):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for method in ("logpdf", "cdf", "sf", "ppf"):
                arg = np.array([0.1, 0.6]) if method == "ppf" else x
                want = getattr(getattr(ss, family), method)(arg, *bad)
                got = getattr(getattr(fst, family), method)(arg, *bad)
                _close(got, want, 1e-12)
            _close(fst.__dict__[family].mean(*bad), getattr(ss, family).mean(*bad), 1e-12)


def test_t_quantile_far_tail():
    # df = 1 is the Cauchy distribution: ppf(q) = -cot(pi q), finite at q = 1e-300
    for q in (1e-300, 1e-250, 1e-30):
        assert fst.t.ppf(q, 1.0) == pytest.approx(-1.0 / np.tan(np.pi * q), rel=1e-12)
        assert fst.t.isf(q, 1.0) == pytest.approx(1.0 / np.tan(np.pi * q), rel=1e-12)
    # df = 2: cdf(z) = 1/2 + z / (2 sqrt(z^2 + 2)), so ppf(q) = (2q - 1) sqrt(2 / (4q(1 - q)))
    for q in (1e-300, 1e-200, 1e-12):
        want = (2 * q - 1) * np.sqrt(2.0 / (4 * q * (1 - q)))
        assert fst.t.ppf(q, 2.0) == pytest.approx(want, rel=1e-10)
    # df < 1 overflows: the quantile is beyond the largest float
    assert fst.t.ppf(1e-300, 0.7) == -np.inf


def test_scalar_in_scalar_out_and_keywords():
    got = fst.norm.logpdf(1.0, loc=0.5, scale=2.0)
    assert isinstance(got, np.floating)
    assert got == pytest.approx(ss.norm.logpdf(1.0, loc=0.5, scale=2.0), rel=1e-14)
    assert fst.t.cdf(0.3, df=4.0) == pytest.approx(ss.t.cdf(0.3, df=4.0), rel=1e-12)
    assert fst.lognorm.ppf(0.3, 0.5, 1.0, 2.0) == pytest.approx(ss.lognorm.ppf(0.3, 0.5, 1.0, 2.0))


def test_frozen_distributions_match_scipy():
    ours, theirs = fst.t(3.0, loc=1.0, scale=2.0), ss.t(3.0, loc=1.0, scale=2.0)
    for method in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
        assert getattr(ours, method)(1.7) == pytest.approx(getattr(theirs, method)(1.7), rel=1e-12)
    for method in ("ppf", "isf"):
        assert getattr(ours, method)(0.3) == pytest.approx(getattr(theirs, method)(0.3), rel=1e-9)
    for method in ("mean", "var", "std", "entropy", "median"):
        assert getattr(ours, method)() == pytest.approx(getattr(theirs, method)(), rel=1e-10)
    assert ours.support() == theirs.support()
    assert ours.rvs(size=(2, 3), random_state=4).shape == (2, 3)
    np.testing.assert_array_equal(ours.rvs(size=5, random_state=4), theirs.rvs(size=5,
                                                                               random_state=4))
    assert ours.dist is fst.t and ours.args == (3.0,)


def test_gradients_of_a_frozen_family_and_in_the_shape():
    # d/dmu logpdf = (x - mu) / sigma^2; d/dsigma = -1/sigma + (x - mu)^2 / sigma^3
    g = fluxion.grad(lambda m, s: fst.norm(m, s).logpdf(1.0), argnums=(0, 1))(0.5, 2.0)
    assert g[0] == pytest.approx(0.125) and g[1] == pytest.approx(-0.5 + 0.25 / 8.0)
    # d/ds lognorm.cdf(x, s) = -phi(log x / s) log x / s^2, against the formula
    x, s = 2.0, 0.8
    want = -ss.norm.pdf(np.log(x) / s) * np.log(x) / s**2
    assert fluxion.grad(lambda s: fst.lognorm.cdf(x, s))(s) == pytest.approx(want, rel=1e-12)


def test_out_of_support_derivatives_are_zero_not_nan():
    g = fluxion.grad(lambda x, s: fnp.sum(fst.lognorm.logpdf(x, s)), argnums=(0, 1))
    dx, ds = g(np.array([-1.0, 0.5]), 0.7)
    assert np.all(np.isfinite(dx)) and dx[0] == 0.0 and np.isfinite(ds)
    dq = fluxion.grad(lambda q: fnp.sum(fst.expon.ppf(q)))(np.array([-0.5, 0.5, 1.5]))
    np.testing.assert_array_equal(dq, [0.0, 2.0, 0.0])


def test_argument_errors_name_the_method():
    with pytest.raises(TypeError, match=r"t\.logpdf: missing required shape parameter.*'df'"):
        fst.t.logpdf(1.0)
    with pytest.raises(TypeError, match=r"norm\.cdf: unexpected keyword argument 'sigma'"):
        fst.norm.cdf(1.0, sigma=2.0)
    with pytest.raises(TypeError, match=r"norm\.pdf: expected at most 2 parameters"):
        fst.norm.pdf(1.0, 0.0, 1.0, 3.0)
    with pytest.raises(TypeError, match=r"lognorm\.logpdf: got multiple values for argument 's'"):
        fst.lognorm.logpdf(1.0, 0.5, s=0.5)
    with pytest.raises(TypeError, match=r"norm\.logpdf: expected x as real numbers"):
        fst.norm.logpdf("abc")
    with pytest.raises(TypeError, match=r"norm\.rvs: parameters must be concrete"):
        fluxion.grad(lambda m: fnp.sum(fst.norm.rvs(m, size=3)))(0.0)


def test_vmap_and_jit_of_a_logpdf():
    x = np.linspace(-2, 2, 7)
    f = lambda df: fnp.sum(fst.t.logpdf(x, df, 0.3, 1.4))
    dfs = np.array([1.5, 3.0, 9.0])
    np.testing.assert_allclose(fluxion.vmap(f)(dfs),
                               [ss.t.logpdf(x, d, 0.3, 1.4).sum() for d in dfs], rtol=1e-12)
    np.testing.assert_allclose(fluxion.jit(f)(3.0), f(3.0), rtol=1e-14)


def test_a_model_of_these_families_samples_in_the_compiled_nuts(compiled_nuts):
    rng = np.random.default_rng(3)
    y = 1.0 + 0.7 * rng.standard_t(5.0, size=40)

    def log_prob(p):
        mu, log_sigma, log_df = p[0], p[1], p[2]
        sigma, df = fnp.exp(log_sigma), fnp.exp(log_df)
        return (fnp.sum(fst.t.logpdf(y, df, mu, sigma)) + fst.norm.logpdf(mu, 0.0, 10.0)
                + fst.halfcauchy.logpdf(sigma, 0.0, 5.0) + log_sigma
                + fst.gumbel_r.logpdf(log_df, 1.5) + fst.laplace.logpdf(mu, 0.0, 20.0)
                + fst.logistic.logsf(mu, 10.0) + fst.expon.logcdf(sigma + 3.0)
                + fst.lognorm.logpdf(sigma, 1.0) + fst.rayleigh.logpdf(sigma, 0.0, 3.0)
                + fst.halfnorm.logpdf(sigma, 0.0, 4.0) + fst.cauchy.logpdf(mu, 0.0, 30.0)
                + fst.uniform.logpdf(mu, -50.0, 100.0) + fst.gumbel_l.logcdf(mu, 20.0))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Warning)
        res = fluxion.mcmc.sample(log_prob, np.array([0.0, 0.0, 1.0]), chains=2, draws=200,
                                  warmup=200, seed=1, progress=False)
    assert res.compiled == "chain"
    assert abs(res.draws["x"][..., 0].mean() - y.mean()) < 0.5
