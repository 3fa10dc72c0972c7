"""The multivariate families of ``fluxion.scipy.stats`` against ``scipy.stats``: values at many
parameter points and layouts, singular covariances, frozen forms, bad input, random variates,
gradients against central differences, and a compiled NUTS run. (Per-method derivative columns:
the op-table rows ``sm2-`` in tests/optable/rows_stats_multivariate.py.)"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats as ss

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.stats as fst
from fluxion.test_util import check_grads

RTOL = 1e-10


def _close(got, want, rtol=RTOL):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0)


def _spd(rng, d, cond=1.0):
    a = rng.normal(size=(d, d))
    return a @ a.T + cond * d * np.eye(d)


@pytest.mark.parametrize("d", [1, 2, 5])
@pytest.mark.parametrize("seed", range(4))
def test_multivariate_normal_values(d, seed):
    rng = np.random.default_rng(seed)
    cov = _spd(rng, d, cond=10.0 ** rng.uniform(-2, 1))
    mean = rng.normal(size=d) * 3
    for x in (rng.normal(size=d), rng.normal(size=(6, d)) * 4, rng.normal(size=(2, 3, d))):
        _close(fst.multivariate_normal.logpdf(x, mean, cov),
               ss.multivariate_normal.logpdf(x, mean, cov))
        _close(fst.multivariate_normal.pdf(x, mean, cov), ss.multivariate_normal.pdf(x, mean, cov))
        _close(fst.multivariate_normal(mean, cov).logpdf(x),
               ss.multivariate_normal(mean, cov).logpdf(x))
        diag = np.diag(cov)
        _close(fst.multivariate_normal.logpdf(x, mean, diag),
               ss.multivariate_normal.logpdf(x, mean, diag))
        _close(fst.multivariate_normal.logpdf(x, mean, 2.5),
               ss.multivariate_normal.logpdf(x, mean, 2.5))
    _close(fst.multivariate_normal.entropy(mean, cov), ss.multivariate_normal.entropy(mean, cov))
    # far in the tail: no cancellation
    x = mean + 40 * np.sqrt(np.diag(cov))
    _close(fst.multivariate_normal.logpdf(x, mean, cov),
           ss.multivariate_normal.logpdf(x, mean, cov))


def test_multivariate_normal_defaults_and_scalar_layout():
    x = np.linspace(-3, 3, 7)
    _close(fst.multivariate_normal.logpdf(x), ss.multivariate_normal.logpdf(x))  # d = 1: N points
    _close(fst.multivariate_normal.logpdf(0.3, 1.0, 2.0),
           ss.multivariate_normal.logpdf(0.3, 1.0, 2.0))
    _close(fst.multivariate_normal.logpdf([[0.1, 0.2]], cov=np.eye(2)),
           ss.multivariate_normal.logpdf([[0.1, 0.2]], cov=np.eye(2)))
    fr = fst.multivariate_normal([1.0, 2.0], [[2.0, 0.3], [0.3, 1.0]])
    assert fr.dim == 2
    np.testing.assert_array_equal(fr.mean, [1.0, 2.0])
    np.testing.assert_array_equal(fr.cov, [[2.0, 0.3], [0.3, 1.0]])
    _close(fr.entropy(), ss.multivariate_normal([1.0, 2.0], [[2.0, 0.3], [0.3, 1.0]]).entropy())


def test_multivariate_normal_singular():
    cov = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    x = np.array([[1.0, 1.0, 0.5], [1.0, 0.0, 0.5], [-2.0, -2.0, 3.0]])
    with pytest.raises(np.linalg.LinAlgError, match="multivariate_normal.logpdf: the covariance "
                                                    "matrix is singular"):
        fst.multivariate_normal.logpdf(x, None, cov)
    _close(fst.multivariate_normal.logpdf(x, None, cov, allow_singular=True),
           ss.multivariate_normal.logpdf(x, None, cov, allow_singular=True))
    _close(fst.multivariate_normal.entropy(None, cov), ss.multivariate_normal.entropy(None, cov))
    with pytest.raises(ValueError, match="positive semidefinite"):
        fst.multivariate_normal.logpdf(x, None, -np.eye(3))


def test_multivariate_normal_bad_input():
    with pytest.raises(ValueError, match=r"multivariate_normal.logpdf: expected cov of shape "
                                         r"\(2, 2\)"):
        fst.multivariate_normal.logpdf([0.0, 0.0], [0.0, 0.0], np.eye(3))
    with pytest.raises(ValueError, match=r"multivariate_normal.logpdf: expected cov of shape"):
        fst.multivariate_normal.logpdf([0.0, 0.0], [0.0, 0.0], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"multivariate_normal.logpdf: expected x with 2 "
                                         r"components"):
        fst.multivariate_normal.logpdf(np.zeros((4, 3)), [0.0, 0.0], np.eye(2))
    with pytest.raises(ValueError, match=r"multivariate_normal.logpdf: expected mean as a vector"):
        fst.multivariate_normal.logpdf(np.zeros(2), np.zeros((2, 2)), np.eye(2))
    with pytest.raises(TypeError, match="multivariate_normal.logpdf: expected cov as real"):
        fst.multivariate_normal.logpdf(np.zeros(2), None, "a")
    with pytest.raises(ValueError, match=r"multivariate_normal.__call__: expected a diagonal"):
        fst.multivariate_normal(np.zeros(2), np.ones(3))


@pytest.mark.parametrize("df", [0.3, 1.0, 2.5, 30.0, 1e4, np.inf])
def test_multivariate_t_values(df):
    rng = np.random.default_rng(7)
    for d in (1, 3):
        shape = _spd(rng, d)
        loc = rng.normal(size=d)
        x = rng.normal(size=(5, d)) * 3
        rtol = 1e-12 if df < 1e3 else 1e-11  # SciPy's own large-df form differs in the last bits
        _close(fst.multivariate_t.logpdf(x, loc, shape, df),
               ss.multivariate_t.logpdf(x, loc, shape, df), rtol)
        # (SciPy 1.17's multivariate_t.pdf fails at df = inf: compare with exp of its logpdf)
        _close(fst.multivariate_t.pdf(x, loc, shape, df),
               np.exp(ss.multivariate_t.logpdf(x, loc, shape, df)), rtol)
        _close(fst.multivariate_t(loc, shape, df).logpdf(x),
               ss.multivariate_t.logpdf(x, loc, shape, df), rtol)  # SciPy's frozen fails at inf
        _close(fst.multivariate_t.entropy(loc, shape, df),
               ss.multivariate_t.entropy(loc, shape, df))
    with pytest.raises(ValueError, match="multivariate_t.logpdf: df must be > 0"):
        fst.multivariate_t.logpdf(x, loc, shape, -1.0)


def test_multivariate_t_entropy_both_branches_differentiate():
    # SciPy switches to an asymptotic series at df >= ~ 100 d / (log d + 1): both sides, smooth
    shape = np.array([[2.0, 0.4], [0.4, 1.0]])
    for df in (3.0, 300.0, 3000.0):
        _close(fst.multivariate_t.entropy(None, shape, df),
               ss.multivariate_t.entropy(None, shape, df))
        check_grads(lambda v: fst.multivariate_t.entropy(None, shape, v), (df,), order=2)


def test_multinomial_values_and_domain():
    p = np.array([0.2, 0.3, 0.5])
    x = np.array([[1, 2, 3], [0, 0, 6], [1, 1, 1], [-1, 3, 4], [1.5, 1.5, 3]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _close(fst.multinomial.logpmf(x, 6, p), ss.multinomial.logpmf(x, 6, p))
        _close(fst.multinomial.pmf(x, 6, p), ss.multinomial.pmf(x, 6, p))
        _close(fst.multinomial.logpmf(x[0], [6, 7], p), ss.multinomial.logpmf(x[0], [6, 7], p))
        # bad n or p: NaN as SciPy
        _close(fst.multinomial.logpmf(x[0], -1, p), ss.multinomial.logpmf(x[0], -1, p))
        bad = np.array([-0.1, 0.6, 0.5])
        _close(fst.multinomial.logpmf(x[0], 6, bad), ss.multinomial.logpmf(x[0], 6, bad))
        # p not summing to one: SciPy completes the last component
        _close(fst.multinomial.logpmf(x[0], 6, [0.2, 0.3, 0.4]),
               ss.multinomial.logpmf(x[0], 6, [0.2, 0.3, 0.4]))
    ps = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    for n in (1, 5, [3, 8, 2]):
        _close(fst.multinomial.mean(n, ps), ss.multinomial.mean(n, ps))
        _close(fst.multinomial.cov(n, ps), ss.multinomial.cov(n, ps))
        _close(fst.multinomial.entropy(n, ps), ss.multinomial.entropy(n, ps), 1e-12)
    fr = fst.multinomial(6, p)
    _close(fr.logpmf(x[:3]), ss.multinomial(6, p).logpmf(x[:3]))
    _close(fr.entropy(), ss.multinomial(6, p).entropy(), 1e-12)
    with pytest.raises(ValueError, match="multinomial.logpmf: expected x with 3 components"):
        fst.multinomial.logpmf([1, 2], 3, p)
    with pytest.raises(TypeError, match="multinomial.entropy: n .* must be concrete"):
        fluxion.grad(lambda n: fst.multinomial.entropy(n, p))(3.0)


def test_multinomial_gradient_in_p():
    x = np.array([[1, 2, 3], [2, 2, 2]])

    def f(w):
        return fnp.sum(fst.multinomial.logpmf(x, 6, w / fnp.sum(w)))

    check_grads(f, (np.array([0.7, 1.2, 2.0]),), order=2)
    check_grads(lambda w: fst.multinomial.entropy(9, w / fnp.sum(w)),
                (np.array([0.7, 1.2, 2.0]),), order=2)


@pytest.mark.parametrize("family", ["wishart", "invwishart"])
@pytest.mark.parametrize("d", [1, 2, 4])
def test_wishart_values(family, d):
    rng = np.random.default_rng(d)
    fam, ref = getattr(fst, family), getattr(ss, family)
    scale = _spd(rng, d)
    for df in (d - 0.5, d + 0.5, d + 2.5, d + 4.5, 40.0):
        xs = ss.wishart.rvs(d + 3, scale, size=4, random_state=rng)
        xs = xs.reshape(4, d, d)
        stacked = np.moveaxis(xs, 0, -1)
        _close(fam.logpdf(stacked, df, scale), ref.logpdf(stacked, df, scale))
        _close(fam.logpdf(xs[0], df, scale), ref.logpdf(xs[0], df, scale))
        _close(fam.pdf(xs[0], df, scale), ref.pdf(xs[0], df, scale))
        _close(fam(df, scale).logpdf(stacked), ref(df, scale).logpdf(stacked))
        for meth in ("mean", "var", "mode", "entropy"):
            got, want = getattr(fam, meth)(df, scale), getattr(ref, meth)(df, scale)
            if want is None:
                assert got is None, (meth, df)
            else:
                _close(got, want)
    if d == 1:  # scalars and vectors of points, as SciPy
        pts = np.array([0.5, 2.0])
        _close(fam.logpdf(pts, 3.0, 1.5), ref.logpdf(pts, 3.0, 1.5))
        _close(fam.logpdf(0.7, 3.0, 1.5), ref.logpdf(0.7, 3.0, 1.5))


@pytest.mark.parametrize("family", ["wishart", "invwishart"])
def test_wishart_bad_input_and_gradients(family):
    fam = getattr(fst, family)
    scale = np.array([[2.0, 0.3], [0.3, 1.0]])
    with pytest.raises(ValueError, match=f"{family}.logpdf: df must be greater than p - 1"):
        fam.logpdf(np.eye(2), 0.5, scale)
    with pytest.raises(ValueError, match=f"{family}.logpdf: expected scale as a scalar"):
        fam.logpdf(np.eye(2), 3.0, np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{family}.logpdf: expected matrices of shape \(2, 2\)"):
        fam.logpdf(np.eye(3), 3.0, scale)
    with pytest.raises(ValueError, match=f"{family}.logpdf: expected x square"):
        fam.logpdf(np.ones((2, 3)), 3.0, scale)
    with pytest.raises(ValueError, match=f"{family}.logpdf: every x must be symmetric positive"):
        fam.logpdf(-np.eye(2), 3.0, scale)
    with pytest.raises(ValueError, match=f"{family}.__call__: scale must be symmetric positive"):
        fam(3.0, -scale)
    x = np.array([[1.5, 0.2], [0.2, 0.8]])
    check_grads(lambda a, df, s: fam.logpdf(a, df, s), (x, 4.5, scale), order=2)
    check_grads(lambda df, s: fam.entropy(df, s), (6.5, scale), order=2)


def test_dirichlet_module_layout():
    alpha = np.array([0.7, 2.0, 3.5])
    x = np.array([[0.2, 0.5], [0.3, 0.1], [0.5, 0.4]])
    _close(fst.dirichlet.logpdf(x, alpha), ss.dirichlet.logpdf(x, alpha))
    _close(fst.dirichlet.logpdf(x[:2], alpha), ss.dirichlet.logpdf(x[:2], alpha))
    _close(fst.dirichlet.cov(alpha), ss.dirichlet.cov(alpha))
    fr = fst.dirichlet(alpha)
    _close(fr.cov(), ss.dirichlet(alpha).cov())
    _close(fr.logpdf(x[:, 0]), ss.dirichlet(alpha).logpdf(x[:, 0]))
    assert fr.rvs(size=5, random_state=1).shape == (5, 3)
    with pytest.raises(ValueError, match="dirichlet.logpdf: every alpha must be > 0"):
        fst.dirichlet.logpdf(x, -alpha)


def test_traced_matrices_that_are_not_positive_definite_give_nan():
    # a traced covariance cannot raise (sampling, jit): a negative determinant gives NaN
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    x = np.zeros(2)
    assert np.isnan(fluxion.jit(lambda c: fst.multivariate_normal.logpdf(x, None, c))(bad))
    assert np.isnan(fluxion.jit(lambda c: fst.wishart.logpdf(np.eye(2), 3.0, c))(bad))
    assert np.isnan(fluxion.jit(lambda c: fst.invwishart.logpdf(c, 3.0, np.eye(2)))(bad))
    assert np.isnan(fluxion.jit(lambda c: fst.multivariate_normal.logpdf(x, None, c))(
        np.array([1.0, -1.0])))


def test_rvs_shapes_and_seeds():
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    a = fst.multivariate_normal.rvs([0.0, 1.0], cov, size=(4, 5), random_state=3)
    np.testing.assert_array_equal(a, ss.multivariate_normal.rvs([0.0, 1.0], cov, size=(4, 5),
                                                                random_state=3))
    assert fst.multivariate_normal([0.0, 1.0], cov, seed=1).rvs(size=3).shape == (3, 2)
    assert fst.multivariate_t([0.0, 1.0], cov, 3.0).rvs(size=6, random_state=1).shape == (6, 2)
    assert fst.multinomial(5, [0.2, 0.8]).rvs(size=4, random_state=1).shape == (4, 2)
    assert fst.wishart(3.0, cov).rvs(size=4, random_state=1).shape == (4, 2, 2)
    assert fst.invwishart(3.0, cov).rvs(size=1, random_state=1).shape == (2, 2)
    with pytest.raises(TypeError, match="multivariate_normal.rvs: parameters must be concrete"):
        fluxion.grad(lambda m: fnp.sum(fst.multivariate_normal.rvs(m, cov)))(np.zeros(2))


def test_gradients_in_mean_and_cov():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3))
    m = rng.normal(size=3)
    L = rng.normal(size=(3, 3))

    def lp(x, m, L):
        cov = fnp.matmul(L, L.T) + 3 * np.eye(3)
        return fnp.sum(fst.multivariate_normal.logpdf(x, m, cov))

    check_grads(lp, (x, m, L), order=2)

    def lpt(x, m, L, df):
        cov = fnp.matmul(L, L.T) + 3 * np.eye(3)
        return fnp.sum(fst.multivariate_t.logpdf(x, m, cov, df))

    check_grads(lpt, (x, m, L, 2.5), order=2)
    # gradient in the covariance itself: d/dS of log N = (S^-1 dd^T S^-1 - S^-1) / 2
    cov = _spd(rng, 3)
    g = fluxion.grad(lambda c: fst.multivariate_normal.logpdf(x[0], m, c))(cov)
    si = np.linalg.inv(cov)
    dev = x[0] - m
    want = 0.5 * (si @ np.outer(dev, dev) @ si - si)
    np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-13)


def test_compiled_nuts_with_every_family(compiled_nuts):
    # the compiled NUTS with the model run by the tape machine (conftest's fixture)
    rng = np.random.default_rng(1)
    cov0 = np.array([[1.0, 0.3], [0.3, 2.0]])
    data = rng.multivariate_normal([0.5, -1.0], cov0, size=20)
    ws = fst.wishart.rvs(5.0, cov0, size=3, random_state=2)

    def log_prob(p):
        s = fnp.exp(p["ls"])
        cov = fnp.stack([fnp.stack([s[0] ** 2, 0.3 * s[0] * s[1]]),
                         fnp.stack([0.3 * s[0] * s[1], s[1] ** 2])])
        q = fnp.exp(p["z"]) / fnp.sum(fnp.exp(p["z"]))
        return (fnp.sum(fst.multivariate_normal.logpdf(data, p["mu"], cov))
                + fst.multivariate_normal.logpdf(p["mu"], np.zeros(2), cov0)
                + fst.multivariate_t.logpdf(p["mu"], np.zeros(2), cov, 4.0)
                + fnp.sum(fst.wishart.logpdf(np.moveaxis(ws, 0, -1), 5.0, cov))
                + fst.invwishart.logpdf(cov, 6.0, cov0)
                + fst.multinomial.logpmf(np.array([3, 5, 2]), 10, q)
                + fst.dirichlet.logpdf(q, np.array([1.5, 2.0, 3.0]))
                + fst.wishart.logpdf(cov0, fnp.exp(p["z"][0]) + 2.0, cov0))

    init = {"mu": np.zeros(2), "ls": np.zeros(2), "z": np.zeros(3)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: convergence warnings are expected
        res = fluxion.mcmc.sample(log_prob, init, chains=2, draws=20, warmup=20, seed=0,
                                  progress=False)
    assert res.compiled == "chain", res.compiled_reason
    assert np.all(np.isfinite(res.draws["mu"]))
