"""Tests for ``fluxion.scipy.special``: values against SciPy, derivatives of order 1 and 2."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fs
from fluxion._src.prims import elementwise as ew
from fluxion._src.prims import special as sp

# --------------------------------------------------------------------------------------------
# A small derivative checker: forward mode against central differences, reverse mode against
# forward mode (<u, J v> identity), recursing through jvp and vjp for higher orders.
# --------------------------------------------------------------------------------------------

_EPS = 1e-5


def _vdot(x, y) -> float:
    return float(np.sum(np.asarray(x) * np.asarray(y)))


def check_derivatives(f, args, order=2, rtol=1e-5, atol=1e-6, seed=0):
    rng = np.random.default_rng(seed)
    args = tuple(np.asarray(a, dtype=np.float64) for a in args)
    v = tuple(rng.standard_normal(a.shape) for a in args)
    out, t = fluxion.jvp(f, args, v)
    plus = f(*(a + _EPS * d for a, d in zip(args, v)))
    minus = f(*(a - _EPS * d for a, d in zip(args, v)))
    numeric = (np.asarray(plus) - np.asarray(minus)) / (2 * _EPS)
    np.testing.assert_allclose(t, numeric, rtol=rtol, atol=atol, err_msg="jvp vs differences")
    u = rng.standard_normal(np.shape(out))
    out2, pullback = fluxion.vjp(f, *args)
    np.testing.assert_allclose(out2, out, rtol=1e-12, atol=0)
    cts = pullback(u)
    lhs = sum(_vdot(c, d) for c, d in zip(cts, v))
    np.testing.assert_allclose(lhs, _vdot(u, t), rtol=1e-9, atol=1e-9, err_msg="vjp vs jvp")
    if order > 1:

        def fwd(*xs):
            return fluxion.jvp(f, xs, v)[1]

        check_derivatives(fwd, args, order - 1, rtol, atol, seed + 1)
        for i in range(len(args)):

            def rev(*xs, i=i):
                return fluxion.vjp(f, *xs)[1](u)[i]

            check_derivatives(rev, args, order - 1, rtol, atol, seed + 2)


def _uniform(lo, hi, shape=(3, 4)):
    return lambda rng: (rng.uniform(lo, hi, shape),)


def _uniform2(lo0, hi0, lo1, hi1):
    return lambda rng: (rng.uniform(lo0, hi0, (3, 4)), rng.uniform(lo1, hi1, (4,)))


# name, fluxion function, reference, inputs inside the smooth domain
CASES = [
    ("gammaln", fs.gammaln, sc.gammaln, _uniform(0.5, 5.0)),
    ("digamma", fs.digamma, sc.digamma, _uniform(0.5, 5.0)),
    ("psi", fs.psi, sc.psi, _uniform(0.5, 5.0)),
    ("polygamma1", lambda x: fs.polygamma(1, x), lambda x: sc.polygamma(1, x), _uniform(0.5, 5)),
    ("polygamma3", lambda x: fs.polygamma(3, x), lambda x: sc.polygamma(3, x), _uniform(0.5, 5)),
    ("gamma", fs.gamma, sc.gamma, _uniform(0.5, 4.0)),
    ("gamma_negative", fs.gamma, sc.gamma, _uniform(-0.9, -0.1)),
    ("erf", fs.erf, sc.erf, _uniform(-2.0, 2.0)),
    ("erfc", fs.erfc, sc.erfc, _uniform(-2.0, 2.0)),
    ("erfinv", fs.erfinv, sc.erfinv, _uniform(-0.9, 0.9)),
    ("erfcinv", fs.erfcinv, sc.erfcinv, _uniform(0.1, 1.9)),
    ("ndtr", fs.ndtr, sc.ndtr, _uniform(-3.0, 3.0)),
    ("ndtri", fs.ndtri, sc.ndtri, _uniform(0.05, 0.95)),
    ("log_ndtr", fs.log_ndtr, sc.log_ndtr, _uniform(-5.0, 3.0)),
    ("log_ndtr_tail", fs.log_ndtr, sc.log_ndtr, _uniform(-30.0, -20.0)),
    ("expit", fs.expit, sc.expit, _uniform(-4.0, 4.0)),
    ("logit", fs.logit, sc.logit, _uniform(0.05, 0.95)),
    ("log_expit", fs.log_expit, sc.log_expit, _uniform(-4.0, 4.0)),
    ("entr", fs.entr, sc.entr, _uniform(0.2, 3.0)),
    ("i0e", fs.i0e, sc.i0e, _uniform(0.2, 3.0)),
    ("i0e_negative", fs.i0e, sc.i0e, _uniform(-3.0, -0.2)),
    ("i1e", fs.i1e, sc.i1e, _uniform(0.2, 3.0)),
    ("sinc", sp.sinc, np.sinc, _uniform(-2.0, 2.0)),
    ("sinc_near_zero", sp.sinc, np.sinc, _uniform(-0.15, 0.15)),
    ("xlogy", fs.xlogy, sc.xlogy, _uniform2(-2.0, 2.0, 0.5, 3.0)),
    ("xlog1py", fs.xlog1py, sc.xlog1py, _uniform2(-2.0, 2.0, -0.5, 3.0)),
    ("betaln", fs.betaln, sc.betaln, _uniform2(0.5, 4.0, 0.5, 4.0)),
    ("beta", fs.beta, sc.beta, _uniform2(0.5, 4.0, 0.5, 4.0)),
    ("gammainc", lambda x: fs.gammainc(2.5, x), lambda x: sc.gammainc(2.5, x), _uniform(0.3, 5)),
    ("gammainc_a1", lambda x: fs.gammainc(1.0, x), lambda x: sc.gammainc(1.0, x), _uniform(0.3, 5)),
    ("gammaincc", lambda x: fs.gammaincc(0.7, x), lambda x: sc.gammaincc(0.7, x), _uniform(0.3, 5)),
    (
        "multigammaln",
        lambda a: fs.multigammaln(a, 3),
        lambda a: sc.multigammaln(a, 3),
        _uniform(1.5, 5.0),
    ),
    (
        "logsumexp",
        lambda a: fs.logsumexp(a, axis=1),
        lambda a: sc.logsumexp(a, axis=1),
        _uniform(-3.0, 3.0),
    ),
    (
        "softmax",
        lambda a: fs.softmax(a, axis=0),
        lambda a: sc.softmax(a, axis=0),
        _uniform(-3.0, 3.0),
    ),
    (
        "log_softmax",
        lambda a: fs.log_softmax(a, axis=-1),
        lambda a: sc.log_softmax(a, axis=-1),
        _uniform(-3.0, 3.0),
    ),
]


@pytest.mark.parametrize("name, fn, ref, make_args", CASES, ids=[c[0] for c in CASES])
def test_values_match_scipy(name, fn, ref, make_args):
    args = make_args(np.random.default_rng(1))
    np.testing.assert_allclose(fn(*args), ref(*args), rtol=1e-12, atol=1e-14)
    # The traced path (through the primitives) agrees with the eager one.
    traced, _ = fluxion.jvp(fn, args, tuple(np.zeros_like(a) for a in args))
    np.testing.assert_allclose(traced, ref(*args), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, fn, ref, make_args", CASES, ids=[c[0] for c in CASES])
def test_derivatives_order2(name, fn, ref, make_args):
    check_derivatives(fn, make_args(np.random.default_rng(2)), order=2)


def test_check_grads_if_available():
    test_util = pytest.importorskip("fluxion._src.test_util")
    x = np.array([0.7, 1.5, 3.0])
    test_util.check_grads(fs.gammaln, (x,), order=2, modes=("fwd", "rev"))
    test_util.check_grads(lambda y: fs.xlogy(x, y), (x,), order=2, modes=("fwd", "rev"))


def test_third_order_gammaln_is_polygamma2():
    d3 = fluxion.grad(fluxion.grad(fluxion.grad(fs.gammaln)))
    np.testing.assert_allclose(d3(2.5), sc.polygamma(2, 2.5), rtol=1e-12)


def test_sinc_derivatives_at_zero():
    d1 = fluxion.grad(sp.sinc)
    d2 = fluxion.grad(d1)
    d3 = fluxion.grad(d2)
    assert d1(0.0) == 0.0
    np.testing.assert_allclose(d2(0.0), -(np.pi**2) / 3, rtol=1e-12)
    assert abs(d3(0.0)) < 1e-12
    # Both branches meet smoothly at the series radius.
    np.testing.assert_allclose(d1(0.0999999), d1(0.1000001), rtol=1e-5)


# --------------------------------------------------------------------------------------------
# xlogy / xlog1py at x == 0
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn, y0", [(fs.xlogy, 0.0), (fs.xlog1py, -1.0)])
def test_xlogy_zero_x_value_and_finite_gradient(fn, y0):
    assert fn(0.0, y0) == 0.0
    gx, gy = fluxion.grad(lambda x, y: fn(x, y), argnums=(0, 1))(0.0, y0)
    assert (gx, gy) == (0.0, 0.0)
    # Second derivatives stay finite too.
    hess = fluxion.hessian(lambda xy: fn(xy[0], xy[1]))(np.array([0.0, y0]))
    assert np.all(np.isfinite(hess))


def test_xlogy_zero_x_positive_y_keeps_true_slope():
    # xlogy(x, 2) = x log 2 for every x, so the slope at x == 0 is log 2.
    gx, gy = fluxion.grad(fs.xlogy, argnums=(0, 1))(0.0, 2.0)
    np.testing.assert_allclose(gx, np.log(2.0))
    assert gy == 0.0


def test_xlogy_vector_with_zeros():
    x = np.array([0.0, 1.0, 0.0, 2.0])
    y = np.array([0.0, 3.0, 5.0, 0.5])

    def f(x, y):
        return fnp.sum(fs.xlogy(x, y))

    np.testing.assert_allclose(f(x, y), np.sum(sc.xlogy(x, y)))
    gx, gy = fluxion.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, [0.0, np.log(3.0), np.log(5.0), np.log(0.5)])
    np.testing.assert_allclose(gy, [0.0, 1.0 / 3.0, 0.0, 4.0])


# --------------------------------------------------------------------------------------------
# logsumexp edge cases
# --------------------------------------------------------------------------------------------


def _lse_value_and_grad(a, **kw):
    return fluxion.value_and_grad(lambda a: fnp.sum(fs.logsumexp(a, **kw)))(a)


def test_logsumexp_all_neg_inf_row():
    a = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
    out = fs.logsumexp(a, axis=1)
    np.testing.assert_array_equal(out, sc.logsumexp(a, axis=1))
    _, g = fluxion.value_and_grad(lambda a: fs.logsumexp(a, axis=1)[1])(a)
    assert np.all(np.isfinite(g))
    g_all = fluxion.grad(lambda a: fnp.sum(fnp.exp(fs.logsumexp(a, axis=1))))(a)
    np.testing.assert_allclose(
        g_all, [[0.0, 0.0], sc.softmax([0.0, 1.0]) * np.exp(sc.logsumexp([0.0, 1.0]))]
    )
    # Gradient of the -inf row's own value is 0, not NaN.
    g0 = fluxion.grad(
        lambda a: fnp.sum(
            fnp.where(fnp.isfinite(fs.logsumexp(a, axis=1)), fs.logsumexp(a, axis=1), 0.0)
        )
    )(a)
    np.testing.assert_allclose(g0, [[0.0, 0.0], sc.softmax([0.0, 1.0])])


def test_logsumexp_neg_inf_entries_have_zero_gradient():
    a = np.array([-np.inf, 0.0, np.log(3.0)])
    value, g = _lse_value_and_grad(a)
    np.testing.assert_allclose(value, np.log(4.0))
    np.testing.assert_allclose(g, [0.0, 0.25, 0.75])


def test_logsumexp_pos_inf():
    a = np.array([[np.inf, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(fs.logsumexp(a, axis=1), sc.logsumexp(a, axis=1))
    assert fs.logsumexp(a) == np.inf


def test_logsumexp_large_values_are_stable():
    a = np.array([1000.0, 1000.0])
    np.testing.assert_allclose(fs.logsumexp(a), 1000.0 + np.log(2.0))
    np.testing.assert_allclose(fluxion.grad(fs.logsumexp)(a), [0.5, 0.5])


def test_logsumexp_weights():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4))
    b = rng.uniform(0.5, 2.0, (4,))
    np.testing.assert_allclose(fs.logsumexp(a, axis=1, b=b), sc.logsumexp(a, axis=1, b=b))
    check_derivatives(lambda a, b: fs.logsumexp(a, axis=1, b=b), (a, b), order=2)
    # Zero weights exclude entries, even infinite ones.
    a2 = np.array([np.inf, 2.0])
    b2 = np.array([0.0, 1.0])
    np.testing.assert_allclose(fs.logsumexp(a2, b=b2), sc.logsumexp(a2, b=b2))


def test_logsumexp_negative_weights_and_return_sign():
    a = np.array([1.0, 2.0])
    b = np.array([1.0, -2.0])
    res, sgn = fs.logsumexp(a, b=b, return_sign=True)
    ref_res, ref_sgn = sc.logsumexp(a, b=b, return_sign=True)
    np.testing.assert_allclose(res, ref_res)
    assert sgn == ref_sgn
    with np.errstate(invalid="ignore"):
        assert np.isnan(fs.logsumexp(a, b=b))
    check_derivatives(lambda a: fs.logsumexp(a, b=b, return_sign=True)[0], (a,), order=2)
    res, sgn = fs.logsumexp(np.array([-np.inf, -np.inf]), return_sign=True)
    assert res == -np.inf and sgn == 0.0


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (0, 1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_axis_and_keepdims(axis, keepdims):
    a = np.random.default_rng(4).standard_normal((2, 3, 4))
    out = fs.logsumexp(a, axis=axis, keepdims=keepdims)
    ref = sc.logsumexp(a, axis=axis, keepdims=keepdims)
    assert np.shape(out) == np.shape(ref)
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    check_derivatives(lambda a: fs.logsumexp(a, axis=axis, keepdims=keepdims), (a,), order=2)


def test_logsumexp_integer_and_empty_inputs():
    np.testing.assert_allclose(fs.logsumexp(np.array([1, 2, 3])), sc.logsumexp([1, 2, 3]))
    assert fs.logsumexp(np.zeros((0,))) == -np.inf


def test_softmax_sums_to_one_and_matches():
    x = np.random.default_rng(5).standard_normal((3, 4))
    np.testing.assert_allclose(fs.softmax(x), sc.softmax(x), rtol=1e-12)
    np.testing.assert_allclose(fs.log_softmax(x), sc.log_softmax(x), rtol=1e-12)
    np.testing.assert_allclose(np.sum(fs.softmax(x, axis=1), axis=1), 1.0)


# --------------------------------------------------------------------------------------------
# Dispatch from scipy.special, errors, metadata
# --------------------------------------------------------------------------------------------


def test_plain_scipy_special_dispatches():
    x = np.array([0.5, 2.0, 4.0])
    g = fluxion.grad(lambda x: np.sum(sc.gammaln(x)))(x)
    np.testing.assert_allclose(g, sc.digamma(x))
    g = fluxion.grad(lambda x: np.sum(sc.xlogy(x, 3.0) + sc.expit(x)))(x)
    np.testing.assert_allclose(g, np.log(3.0) + sc.expit(x) * (1 - sc.expit(x)))
    h = fluxion.grad(fluxion.grad(lambda x: sc.erf(x)))(0.3)
    np.testing.assert_allclose(h, -2 * 0.3 * 2 / np.sqrt(np.pi) * np.exp(-0.09))


def test_gammainc_x_derivative_and_a_third_derivative_error():
    grad_x = fluxion.grad(lambda x: fs.gammainc(2.0, x))(1.5)
    np.testing.assert_allclose(grad_x, 1.5 * np.exp(-1.5))  # x^(a-1) e^-x / Gamma(2)
    # A concrete array a is fine in both modes.
    a = np.array([2.0, 3.0])
    check_derivatives(lambda x: fs.gammaincc(a, x), (np.array([0.5, 2.0]),), order=2)
    # The a-derivatives exist to second order (tests/test_special_incomplete.py); a third
    # derivative in a does not, and asking for it is an error, not a silent zero.
    d2 = fluxion.grad(fluxion.grad(lambda a: fs.gammaincc(a, 1.5)))(2.0)
    h = 1e-3
    fd = (sc.gammaincc(2.0 + h, 1.5) - 2 * sc.gammaincc(2.0, 1.5) + sc.gammaincc(2.0 - h, 1.5))
    np.testing.assert_allclose(d2, fd / h**2, rtol=1e-5)
    with pytest.raises(NotImplementedError, match="gammainc"):
        fluxion.grad(fluxion.grad(fluxion.grad(lambda a: fs.gammainc(a, 1.5))))(2.0)
    with pytest.raises(NotImplementedError, match="shape parameter"):
        fluxion.jvp(fluxion.grad(fluxion.grad(lambda a: fs.gammaincc(a, 1.5))), (2.0,), (1.0,))


def test_polygamma_array_order():
    n = np.array([0, 1, 2])
    x = np.array([1.5, 2.5, 3.5])
    np.testing.assert_allclose(fs.polygamma(n, x), sc.polygamma(n, x))
    g = fluxion.grad(lambda x: fnp.sum(fs.polygamma(n, x)))(x)
    np.testing.assert_allclose(g, sc.polygamma(n + 1, x))


def test_polygamma_errors():
    with pytest.raises(TypeError, match="polygamma: expected an integer order n"):
        fluxion.grad(lambda x: fs.polygamma(1.5, x))(1.0)
    with pytest.raises(TypeError, match="traced"):
        fluxion.grad(lambda x: fs.polygamma(x, 2.0))(1.0)
    with pytest.raises(TypeError, match="non-negative integer order"):
        sp.polygamma(-1, 1.0)


def test_multigammaln_validates_d():
    with pytest.raises(ValueError, match="positive integer dimension"):
        fs.multigammaln(3.0, 0)


def test_public_namespace():
    import fluxion.scipy

    assert fluxion.scipy.special is fs
    for name in fs.__all__:
        fn = getattr(fs, name)
        assert "Differentiable; matches ``scipy.special." in fn.__doc__, name
        assert hasattr(sc, name), name


def test_optable_rows_cover_every_special_primitive():
    pytest.importorskip("optable")
    from optable.rows_special import ROWS

    covered = {p for row in ROWS for p in row.prims}
    imported = vars(ew)
    prims = {v for k, v in vars(sp).items() if k.endswith("_p") and k not in imported}
    assert prims <= covered, sorted(p.name for p in prims - covered)
    for row in ROWS:
        args = row.make_args(np.random.default_rng(0))
        np.testing.assert_allclose(row.fn(*args), row.ref(*args), rtol=1e-12)
