"""fluxion.scipy.stats: gamma, invgamma, beta, chi2, chi, weibull_min, pareto, vonmises,
truncnorm, skewnorm, gennorm, genextreme against scipy.stats at many parameter points
(including awkward ones), their tails, domains, frozen forms, and the compiled NUTS.
Derivatives in every argument are checked by the op table (rows s2-)."""

import warnings

import numpy as np
import pytest
import scipy.integrate
import scipy.stats as ss
from optable.rows_stats_continuous2 import vonmises_var_by_quadrature

import fluxion
import fluxion.scipy.stats as fst

POINT = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
QUANT = ("ppf", "isf")
MOMENTS = ("mean", "var", "std", "entropy")

# family -> (shape grids, standardized points, rtol)
CASES = {
    "gamma": ([(0.05, 0.5, 1.0, 3.7, 40.0)], (1e-3, 0.3, 1.0, 5.0, 30.0), 1e-12),
    "invgamma": ([(0.3, 1.0, 2.5, 8.0, 40.0)], (0.02, 0.3, 1.0, 4.0, 50.0), 1e-12),
    "beta": ([(0.1, 0.7, 1.0, 3.0, 30.0), (0.2, 1.0, 2.5, 7.0, 0.9)],
             (1e-4, 0.1, 0.5, 0.9, 0.9999), 1e-12),
    "chi2": ([(0.3, 1.0, 2.0, 7.5, 90.0)], (1e-3, 0.5, 2.0, 9.0, 60.0), 1e-12),
    "chi": ([(0.3, 1.0, 2.0, 7.5, 90.0)], (1e-3, 0.5, 1.3, 3.0, 9.0), 1e-12),
    "weibull_min": ([(0.3, 1.0, 1.7, 5.0, 20.0)], (1e-3, 0.4, 1.0, 2.0, 5.0), 1e-12),
    # SciPy's 1 - x**-b keeps 1e-16 absolute near x = 1 (here expm1: relative)
    "pareto": ([(0.3, 1.0, 2.0, 4.5, 30.0)], (1.0001, 1.2, 2.0, 10.0, 1e3), 1e-11),
    "vonmises": ([(0.05, 0.9, 4.0, 25.0, 49.0)], (-3.0, -1.0, 0.1, 0.8, 2.5), 1e-10),
    "truncnorm": ([(-3.0, -1.0, 0.5, -0.2, 1.5), (-0.5, 2.0, 4.0, 0.1, 1.6)],
                  (0.0, 0.0, 0.0, 0.0, 0.0), 1e-12),
    "skewnorm": ([(-8.0, -1.0, 0.0, 0.7, 5.0)], (-2.5, -0.7, 0.0, 0.9, 2.2), 1e-10),
    "gennorm": ([(0.3, 1.0, 2.0, 3.3, 12.0)], (-3.0, -0.5, 0.2, 1.0, 4.0), 1e-12),
    "genextreme": ([(-0.9, -0.2, 0.0, 1e-5, 0.6)], (-2.0, -0.5, 0.0, 0.7, 1.5), 1e-12),
}


def _truncnorm_points(a, b):
    lo = np.where(np.isfinite(a), a, np.minimum(b, 0.0) - 3.0)
    hi = np.where(np.isfinite(b), b, np.maximum(a, 0.0) + 3.0)
    return [lo + f * (hi - lo) for f in (0.02, 0.3, 0.5, 0.8, 0.98)]


def _compare(family, method, args, rtol, atol=1e-300):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.asarray(getattr(getattr(ss, family), method)(*args), dtype=float)
    got = np.asarray(getattr(getattr(fst, family), method)(*args))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                               err_msg=f"{family}.{method}")


@pytest.mark.parametrize("family", sorted(CASES))
def test_values_match_scipy(family):
    shape_grids, points, rtol = CASES[family]
    shapes = [np.asarray(g, dtype=float)[:, None] for g in shape_grids]  # (5, 1)
    if family == "truncnorm":
        x = np.stack(_truncnorm_points(shapes[0][:, 0], shapes[1][:, 0]), axis=1)
    else:
        x = np.asarray(points, dtype=float)[None, :]
    loc, scale = 0.3, 1.7
    xs = loc + scale * x
    q = np.array([1e-6, 0.02, 0.3, 0.5, 0.77, 0.999])[None, :]
    for m in POINT:
        # tiny probabilities: SciPy's own absolute accuracy (vonmises: 1e-16 series noise)
        # tiny probabilities: SciPy's vonmises series claims 12 digits absolute (it stops
        # earlier than ours); Boost's skew-normal cdf about 1e-15 absolute
        atol = {"vonmises": 1e-12, "skewnorm": 1e-15}.get(family, 1e-300) \
            if m in ("cdf", "sf") else 1e-300
        if family in ("vonmises", "skewnorm") and m in ("logcdf", "logsf"):
            continue  # compared in test_log_tails where SciPy's tails are accurate
        _compare(family, m, (xs, *shapes, loc, scale), rtol, atol)
    for m in QUANT:
        # vonmises: SciPy inverts its own cdf, accurate to 1e-12 absolute (see above)
        qtol = {"vonmises": 1e-8, "skewnorm": 1e-9}.get(family, rtol)
        _compare(family, m, (q, *shapes, loc, scale), qtol, 1e-13)
    if family == "vonmises":
        np.testing.assert_allclose(fst.vonmises.cdf(fst.vonmises.ppf(q, *shapes), *shapes),
                                   q + 0.0 * shapes[0], rtol=1e-12, atol=1e-15)
    for m in MOMENTS:
        if family == "vonmises" and m in ("var", "std"):
            # SciPy's var integrates its quantile function (about 1e-8, and 10 s here)
            want = vonmises_var_by_quadrature(*shapes, loc, scale)
            got = np.asarray(getattr(fst.vonmises, m)(*shapes, loc, scale))
            np.testing.assert_allclose(got, want if m == "var" else np.sqrt(want), rtol=1e-10)
            continue
        tol = rtol
        args = shapes
        if family == "genextreme" and m != "entropy":
            # SciPy's expm1(gammaln(1 + c)) / c loses digits at c = 1e-5 (checked in
            # test_genextreme_is_smooth_through_c_zero against the exact limits instead)
            args = [s[np.abs(s[:, 0]) != 1e-5] for s in shapes]
        _compare(family, m, (*args, loc, scale), tol, 1e-12)


@pytest.mark.parametrize("family,shape", [("vonmises", 3.0), ("vonmises", 30.0),
                                          ("skewnorm", 4.0), ("skewnorm", -2.0),
                                          ("skewnorm", 0.0), ("skewnorm", 0.7)])
def test_log_tails(family, shape):
    x = np.linspace(-2.0, 2.0, 17) if family == "vonmises" else np.linspace(-9.0, 9.0, 37)
    for m in ("logcdf", "logsf"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = getattr(getattr(ss, family), m)(x, shape)
        # vonmises: SciPy's series keeps 1e-12 absolute, so compare where not tiny; skewnorm:
        # SciPy integrates the far lower tail numerically, losing digits below about e^-50
        # (checked against a tight integral below instead)
        keep = want > (-13.0 if family == "vonmises" else -50.0)
        got = np.asarray(getattr(getattr(fst, family), m)(x, shape))
        np.testing.assert_allclose(got[keep], want[keep], rtol=1e-9, atol=1e-13)


def test_skewnorm_lower_tail_against_a_tight_integral():
    for a, z in [(4.0, -2.0), (1.0, -10.0), (0.3, -3.5), (20.0, -0.2), (4.0, -9.0)]:
        lp_z = float(fst.skewnorm.logpdf(z, a))
        scale = abs(z) * (1.0 + a * a)

        def relative_density(s, a=a, z=z, lp_z=lp_z):  # p(z - s) / p(z): no underflow
            return np.exp(float(fst.skewnorm.logpdf(z - s, a)) - lp_z)

        rel = scipy.integrate.quad(relative_density, 0.0, 60.0 / scale, epsabs=0,
                                   epsrel=1e-13, limit=200)[0]
        np.testing.assert_allclose(fst.skewnorm.logcdf(z, a), lp_z + np.log(rel), rtol=1e-11)
        np.testing.assert_allclose(fst.skewnorm.logsf(-z, -a), lp_z + np.log(rel), rtol=1e-11)


def test_vonmises_var_against_quadrature():
    # SciPy integrates its quantile function numerically (about 1e-8); the series is checked
    # against a tight quadrature, also above kappa = 50 where SciPy's cdf switches branch
    kappa = np.array([0.1, 2.0, 30.0, 120.0, 240.0])
    np.testing.assert_allclose(fst.vonmises.var(kappa), vonmises_var_by_quadrature(kappa),
                               rtol=1e-10)


def test_vonmises_large_kappa_branch_and_quantile():
    x = np.array([-0.3, -0.05, 0.0, 0.1, 0.25])
    for kappa in (60.0, 400.0):
        np.testing.assert_allclose(fst.vonmises.cdf(x, kappa), ss.vonmises.cdf(x, kappa),
                                   rtol=1e-12)
        q = np.array([0.01, 0.4, 0.9])
        np.testing.assert_allclose(fst.vonmises.cdf(fst.vonmises.ppf(q, kappa), kappa), q,
                                   rtol=1e-12)


@pytest.mark.parametrize("a,b", [(8.0, 9.5), (-9.5, -8.0), (30.0, np.inf), (-np.inf, -30.0),
                                 (-np.inf, 1.0), (-1.0, np.inf), (-np.inf, np.inf),
                                 (-40.0, 40.0)])
def test_truncnorm_tails_and_infinite_ends(a, b):
    x = np.stack(_truncnorm_points(np.array([a]), np.array([b])))[:, 0]
    for m in ("logpdf", "logcdf", "logsf"):
        _compare("truncnorm", m, (x, a, b), 1e-10, 1e-14)
    for m in ("pdf", "cdf", "sf"):
        _compare("truncnorm", m, (x, a, b), 1e-10, 1e-300)
    q = np.array([1e-8, 0.1, 0.5, 0.9, 1 - 1e-8])
    for m in ("ppf", "isf"):
        _compare("truncnorm", m, (q, a, b), 1e-9, 1e-12)
    for m in ("mean", "var", "std"):
        _compare("truncnorm", m, (a, b), 1e-8, 1e-10)
    # SciPy's entropy integrates numerically (NaN with an infinite end, wrong far out):
    # compare with a tight quadrature of -p log p
    lo, hi = (a if np.isfinite(a) else min(b, 0.0) - 40.0), (b if np.isfinite(b) else
                                                            max(a, 0.0) + 40.0)
    mode = min(max(0.0, lo), hi)
    width = 1.0 / max(1.0, abs(mode))
    pts = sorted({lo, hi, *(p for p in (mode - width, mode + width) if lo < p < hi)})

    def neg_p_log_p(x):
        lp = float(fst.truncnorm.logpdf(x, a, b))
        return -np.exp(lp) * lp

    want = sum(scipy.integrate.quad(neg_p_log_p, u, v, epsabs=1e-14, epsrel=1e-12,
                                    limit=200)[0] for u, v in zip(pts[:-1], pts[1:]))
    np.testing.assert_allclose(fst.truncnorm.entropy(a, b), want, rtol=1e-8, atol=1e-10)
    # derivatives stay finite with infinite ends
    finite = [v for v in (a, b) if np.isfinite(v)]

    def lp(xx, *ends):
        it = iter(ends)
        aa = next(it) if np.isfinite(a) else a
        bb = next(it) if np.isfinite(b) else b
        return fst.truncnorm.logpdf(xx, aa, bb) + fst.truncnorm.logsf(xx, aa, bb)

    g = fluxion.grad(lp, argnums=tuple(range(1 + len(finite))))(float(x[2]), *finite)
    assert all(np.isfinite(v) for v in g)
    gb = fluxion.grad(lambda xx: fst.truncnorm.logcdf(xx, a, b))(float(x[2]))
    assert np.isfinite(gb)


def test_genextreme_is_smooth_through_c_zero():
    x = np.array([-1.5, -0.3, 0.4, 2.0])
    q = np.array([0.05, 0.5, 0.95])
    for m in POINT:
        at0 = np.asarray(getattr(fst.genextreme, m)(x, 0.0))
        np.testing.assert_allclose(at0, getattr(ss.gumbel_r, m)(x), rtol=1e-13)
        for c in (1e-12, -1e-9, 1e-4):
            np.testing.assert_allclose(getattr(fst.genextreme, m)(x, c),
                                       getattr(ss.genextreme, m)(x, c), rtol=1e-9)
    for m in QUANT:
        np.testing.assert_allclose(getattr(fst.genextreme, m)(q, 0.0),
                                   getattr(ss.gumbel_r, m)(q), rtol=1e-13)
    np.testing.assert_allclose(fst.genextreme.mean(0.0), np.euler_gamma, rtol=1e-14)
    np.testing.assert_allclose(fst.genextreme.var(0.0), np.pi ** 2 / 6, rtol=1e-14)
    # the derivative in c at 0 equals a central difference across 0
    h = 1e-5
    for m in ("logpdf", "cdf"):
        def f(c, m=m):
            return getattr(fst.genextreme, m)(0.7, c)
        d = fluxion.grad(f)(0.0)
        np.testing.assert_allclose(d, (f(h) - f(-h)) / (2 * h), rtol=1e-7)
    for m in ("mean", "var"):
        def g(c, m=m):
            return getattr(fst.genextreme, m)(c)
        d = fluxion.grad(g)(0.0)
        np.testing.assert_allclose(d, (g(h) - g(-h)) / (2 * h), rtol=1e-7)
        # the series (|c| < 1e-2) meets the closed form smoothly
        np.testing.assert_allclose(g(0.01 - 1e-14), g(0.01 + 1e-14), rtol=1e-12)


def test_domains_match_scipy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = [
            ("gamma", (-1.0, 2.0), [0.0, -1.0]), ("invgamma", (0.0,), [0.5]),
            ("beta", (2.0, -1.0), [-0.5, 0.5, 1.5]), ("chi2", (0.0,), [1.0]),
            ("weibull_min", (2.0,), [-1.0, 0.0]), ("pareto", (2.0,), [0.5, 1.0]),
            ("vonmises", (2.0,), [-7.0, -4.0, 4.0, 10.0]), ("truncnorm", (1.0, 0.5), [0.7]),
            ("truncnorm", (0.0, 1.0), [-0.5, 1.5]), ("skewnorm", (np.inf,), [0.1]),
            ("gennorm", (-1.0,), [0.0]), ("genextreme", (0.5,), [2.5, 1.0]),
            ("genextreme", (-0.5,), [-2.5]), ("genextreme", (np.nan,), [0.0]),
        ]
        for family, shapes, x in cases:
            for m in POINT:
                _compare(family, m, (np.asarray(x), *shapes), 1e-12)
            for m in MOMENTS:
                _compare(family, m, shapes, 1e-12, 1e-12)
            _compare(family, "ppf", (np.array([-0.1, 0.0, 1.0, 1.5]), *shapes), 1e-12)
            _compare(family, "isf", (np.array([-0.1, 0.0, 1.0, 1.5]), *shapes), 1e-12)
        for family, shape in [("invgamma", [0.5, 1.5]), ("pareto", [0.5, 1.5]),
                              ("genextreme", [-1.5, -1.0, -0.7, -0.5])]:
            for m in ("mean", "var"):
                _compare(family, m, (np.asarray(shape),), 1e-12)
        _compare("genextreme", "support", (np.array([-0.5, 0.0, 0.5]),), 1e-14)
        _compare("truncnorm", "support", (-np.inf, 2.0, 1.0, 3.0), 1e-14)


def test_frozen_rvs_and_errors():
    frozen = fst.gamma(2.5, loc=1.0, scale=2.0)
    np.testing.assert_allclose(frozen.logpdf(3.0), ss.gamma(2.5, loc=1.0, scale=2.0).logpdf(3.0),
                               rtol=1e-14)
    np.testing.assert_allclose(frozen.mean(), 6.0)
    assert fst.truncnorm(-1.0, 2.0).rvs(size=(3, 2), random_state=0).shape == (3, 2)
    draws = fst.vonmises.rvs(1.5, size=5, random_state=np.random.default_rng(1))
    assert draws.shape == (5,)
    with pytest.raises(TypeError, match="truncnorm.cdf: missing required shape parameter"):
        fst.truncnorm.cdf(0.5, 1.0)
    with pytest.raises(TypeError, match="genextreme.cdf: unexpected keyword argument 'k'"):
        fst.genextreme.cdf(0.5, k=1.0)
    with pytest.raises(TypeError, match="beta.logpdf: expected at most 4 parameters"):
        fst.beta.logpdf(0.5, 1.0, 2.0, 0.0, 1.0, 7.0)


def test_implicit_quantile_second_derivative():
    # skewnorm's ppf comes from a Newton iteration made differentiable by two final steps:
    # its derivative in q is 1/pdf, and its second derivative -pdf'/pdf^3 (checked against
    # differences of the exact first derivative)
    a = 2.3
    for q in (0.03, 0.4, 0.93):
        x = fst.skewnorm.ppf(q, a)
        d1 = fluxion.grad(lambda qq: fst.skewnorm.ppf(qq, a))(q)
        np.testing.assert_allclose(d1, 1.0 / ss.skewnorm.pdf(x, a), rtol=1e-9)
        d2 = fluxion.grad(fluxion.grad(lambda qq: fst.skewnorm.ppf(qq, a)))(q)
        h = 1e-5
        fd = (1.0 / ss.skewnorm.pdf(ss.skewnorm.ppf(q + h, a), a)
              - 1.0 / ss.skewnorm.pdf(ss.skewnorm.ppf(q - h, a), a)) / (2 * h)
        np.testing.assert_allclose(d2, fd, rtol=1e-6)


def test_compiled_nuts_samples_a_model_of_these_families(compiled_nuts):
    from fluxion.mcmc import sample

    # (left out: skewnorm, whose log_ndtr has no tape/numba lowering yet; truncnorm lowers with
    # constant clip points; vonmises encodes since i0e has a scalar formula, see
    # tests/test_bessel_compiled.py)
    data = np.array([0.4, 1.3, 2.2, 0.9, 1.7])

    def log_prob(p):
        shape, c = fluxion.numpy.exp(p[0]), 0.2 * fluxion.numpy.tanh(p[1])
        return (fluxion.numpy.sum(fst.weibull_min.logpdf(data, shape))
                + fluxion.numpy.sum(fst.gennorm.logpdf(data, shape, loc=1.0))
                + fluxion.numpy.sum(fst.genextreme.logpdf(data, c, scale=2.0))
                + fst.truncnorm.logpdf(p[1], -2.0, np.inf)
                + fst.gamma.logpdf(shape, 2.0) + p[0]
                + fst.chi2.logpdf(shape, 3.0) + fst.invgamma.logpdf(shape, 2.0)
                + fst.beta.logpdf(0.3 + 0.2 * fluxion.numpy.tanh(p[2]), 2.0, 3.0)
                + fst.pareto.logpdf(1.0 + shape, 3.0) + fst.chi.logpdf(shape, 2.0))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: convergence warnings are expected
        res = sample(log_prob, np.zeros(3), chains=2, draws=50, warmup=50, seed=0,
                     progress=False)
    assert res.compiled == "chain", res.compiled_reason
    assert np.all(np.isfinite(res.draws["x"]))


AWKWARD = [
    # (family, method, point, order): far tails, edges of the support, c near 0, the large-kappa
    # branch, implicit quantiles; order 1 where gammainc's shape second derivative is missing
    ("truncnorm", "logpdf", (8.3, 8.0, 9.5), 2), ("truncnorm", "logcdf", (8.3, 8.0, 9.5), 2),
    ("truncnorm", "logsf", (8.3, 8.0, 9.5), 2), ("truncnorm", "ppf", (0.3, -9.5, -8.0), 2),
    ("truncnorm", "mean", (8.0, 9.5), 2), ("truncnorm", "var", (-3.0, 5.0), 2),
    ("truncnorm", "entropy", (-0.5, 0.7), 2),
    ("genextreme", "logpdf", (1.9, 0.5), 2), ("genextreme", "logcdf", (0.7, 1e-6), 2),
    ("genextreme", "ppf", (0.3, -1e-6), 2), ("genextreme", "mean", (3e-3,), 2),
    ("genextreme", "var", (-3e-3,), 2),
    ("gamma", "logpdf", (0.01, 0.2), 2), ("gamma", "logsf", (40.0, 3.0), 1),
    ("beta", "logpdf", (1e-3, 0.5, 3.0), 2),
    ("vonmises", "cdf", (0.05, 80.0), 2), ("vonmises", "ppf", (0.2, 5.0), 2),
    ("vonmises", "ppf", (0.7, 80.0), 2), ("vonmises", "var", (3.0,), 2),
    ("skewnorm", "ppf", (0.1, 8.0), 2), ("skewnorm", "isf", (0.01, -3.0), 2),
    ("skewnorm", "entropy", (2.5,), 2), ("gennorm", "logcdf", (-1.5, 0.7), 1),
    ("weibull_min", "logcdf", (0.01, 0.5), 2), ("pareto", "logsf", (50.0, 2.5), 2),
    ("invgamma", "logpdf", (0.02, 3.0), 2), ("chi", "mean", (30.0,), 2),
]


@pytest.mark.parametrize("family,method,point,order", AWKWARD)
def test_derivatives_at_awkward_points(family, method, point, order):
    from fluxion.test_util import check_grads

    def f(*args):
        return getattr(getattr(fst, family), method)(*args)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_grads(f, tuple(np.float64(v) for v in point), order=order, rtol=1e-5)
