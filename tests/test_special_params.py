"""Derivatives of ``zeta`` in its exponent and of ``hyp1f1``/``hyp2f1`` in their parameters
(``prims/special_params.py``, the primitives ``zeta_dx``, ``riemann_zeta_dx``, ``hyp1f1_dp``,
``hyp2f1_dp`` of ``prims/special_more.py``): against mpmath and central differences, forward
and reverse, second and third order, jit and vmap, awkward points, bad input."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.scipy.special as fs
from fluxion._src.prims import special_more as sm
from fluxion.test_util import check_grads

mp.mp.dps = 30


def _both(fn, x):
    """d fn / dx at the scalar x in forward and reverse mode (they must agree)."""
    fwd = fluxion.jvp(fn, (x,), (1.0,))[1]
    rev = fluxion.grad(fn)(x)
    np.testing.assert_allclose(fwd, rev, rtol=1e-14)
    return float(rev)


# --- zeta in x ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x,q",
    [(1.001, 0.5), (1.5, 0.01), (2.0, 1.0), (3.0, 1.5), (7.5, 40.0), (60.0, 0.7), (150.0, 2.0)],
)
def test_hurwitz_zeta_in_x_matches_mpmath(x, q) -> None:
    d1 = _both(lambda x: fs.zeta(x, q), x)
    np.testing.assert_allclose(d1, float(mp.zeta(x, q, derivative=1)), rtol=1e-13)
    d2 = fluxion.grad(fluxion.grad(lambda x: fs.zeta(x, q)))(x)
    np.testing.assert_allclose(d2, float(mp.zeta(x, q, derivative=2)), rtol=1e-13)


@pytest.mark.parametrize("x", [-21.0, -7.3, -4.0, -2.0, -0.5, 0.0, 0.5, 0.999, 1.001, 2.0, 45.0])
def test_riemann_zeta_in_x_matches_mpmath(x) -> None:
    # both sides of the pole; the trivial zeros -2, -4 and the functional equation below 0
    d1 = _both(fs.zeta, x)
    np.testing.assert_allclose(d1, float(mp.zeta(x, 1, derivative=1)), rtol=1e-13)
    d3 = fluxion.grad(fluxion.grad(fluxion.grad(fs.zeta)))(x)
    np.testing.assert_allclose(d3, float(mp.zeta(x, 1, derivative=3)), rtol=2e-13)


def test_zeta_mixed_second_order_and_q_of_the_x_derivative() -> None:
    x, q = 3.0, 1.5
    hess = fluxion.hessian(lambda v: fs.zeta(v[0], v[1]))(np.array([x, q]))
    ref_xq = float(mp.diff(lambda s, a: mp.zeta(s, a), (x, q), (1, 1)))
    ref_qq = float(mp.diff(lambda a: mp.zeta(x, a), q, 2))
    np.testing.assert_allclose(hess[0, 1], ref_xq, rtol=1e-12)
    np.testing.assert_allclose(hess[1, 0], ref_xq, rtol=1e-12)
    np.testing.assert_allclose(hess[0, 0], float(mp.zeta(x, q, derivative=2)), rtol=1e-13)
    np.testing.assert_allclose(hess[1, 1], ref_qq, rtol=1e-12)
    # d/dq of the second x-derivative: -x Z_2(x + 1, q) - 2 Z_1(x + 1, q)
    d = fluxion.grad(lambda a: sm.zeta_dx_p.bind(x, a, order=2))(q)
    np.testing.assert_allclose(d, float(mp.diff(lambda a: mp.zeta(x, a, derivative=2), q)),
                               rtol=1e-12)


def test_zeta_check_grads_arrays() -> None:
    x = np.array([[1.3, 2.0, 4.5], [6.0, 1.8, 3.1]])
    q = np.array([0.4, 1.0, 2.7])
    check_grads(fs.zeta, (x, q), order=2)
    check_grads(fs.zeta, (np.array([-5.5, -1.2, 0.3, 2.5]),), order=2)


# --- hyp1f1 / hyp2f1 in their parameters ---------------------------------------------------------


def _mp_partial(fn, point, orders):
    return float(mp.diff(fn, point, orders))


@pytest.mark.parametrize(
    "a,b,x",
    [
        (0.7, 1.9, 0.5),
        (-2.0, 1.5, 1.3),  # a polynomial: a non-positive integer
        (-2.0, 1.5, -4.0),
        (1.2, 3.4, -30.0),  # Kummer's transformation
        (2.5, 0.3, 20.0),
        (0.5, 1.5, 0.0),
    ],
)
def test_hyp1f1_parameters_match_mpmath(a, b, x) -> None:
    da = _both(lambda a: fs.hyp1f1(a, b, x), a)
    db = _both(lambda b: fs.hyp1f1(a, b, x), b)
    np.testing.assert_allclose(
        da, _mp_partial(lambda a, b: mp.hyp1f1(a, b, x), (a, b), (1, 0)), rtol=1e-12, atol=1e-300
    )
    np.testing.assert_allclose(
        db, _mp_partial(lambda a, b: mp.hyp1f1(a, b, x), (a, b), (0, 1)), rtol=1e-12, atol=1e-300
    )
    hess = fluxion.hessian(lambda v: fs.hyp1f1(v[0], v[1], v[2]))(np.array([a, b, x]))
    for i, j in [(0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2)]:
        orders = tuple(int(k == i) + int(k == j) for k in range(3))
        ref = _mp_partial(lambda a, b, x: mp.hyp1f1(a, b, x), (a, b, x), orders)
        np.testing.assert_allclose(hess[i, j], ref, rtol=1e-11, atol=1e-12 * abs(ref) + 1e-300)
        np.testing.assert_allclose(hess[j, i], hess[i, j], rtol=1e-13)


@pytest.mark.parametrize(
    "a,b,c,z",
    [
        (0.6, 1.3, 2.1, 0.5),
        (0.6, 1.3, 2.1, 0.95),  # near 1: a long series
        (0.6, 1.3, 2.1, -0.9),
        (1.5, 2.5, 0.7, -10.0),  # Pfaff's transformation
        (-3.0, 1.3, 2.1, 0.7),  # a polynomial
        (0.6, 1.3, 2.1, 0.0),
    ],
)
def test_hyp2f1_parameters_match_mpmath(a, b, c, z) -> None:
    # (mpmath's second derivatives are slow at the long series: first order there)
    second = -1.0 < z < 0.9
    point = (a, b, c)
    for i, name in enumerate("abc"):
        def fn(p, i=i):
            args = list(point) + [z]
            args[i] = p
            return fs.hyp2f1(*args)

        d = _both(fn, point[i])
        orders = tuple(int(k == i) for k in range(3))
        ref = _mp_partial(lambda a, b, c: mp.hyp2f1(a, b, c, z), point, orders)
        np.testing.assert_allclose(d, ref, rtol=1e-12, atol=1e-15, err_msg=name)
    if not second:
        return
    hess = fluxion.hessian(lambda v: fs.hyp2f1(v[0], v[1], v[2], v[3]))(np.array([a, b, c, z]))
    for i, j in [(0, 0), (0, 2), (1, 2), (2, 2), (0, 3), (2, 3)]:
        orders = tuple(int(k == i) + int(k == j) for k in range(4))
        ref = _mp_partial(lambda a, b, c, z: mp.hyp2f1(a, b, c, z), (a, b, c, z), orders)
        np.testing.assert_allclose(hess[i, j], ref, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(hess[j, i], hess[i, j], rtol=1e-12)


def test_hyp1f1_far_negative_x() -> None:
    # e^x underflows alone at x = -2000: the Kummer-transformed series is summed scaled
    a, b, x = 0.6, 1.3, -2000.0
    for i in range(2):
        orders = (int(i == 0), int(i == 1))
        got = sm.hyp1f1_dp_p.bind(a, b, x, orders=orders)
        ref = _mp_partial(lambda a, b: mp.hyp1f1(a, b, x), (a, b), orders)
        np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_hypergeometric_check_grads_arrays() -> None:
    rng = np.random.default_rng(0)
    a, b, x = rng.uniform(0.3, 2.0, (2, 3)), rng.uniform(0.5, 3.0, 3), rng.uniform(-3, 3, (2, 3))
    check_grads(fs.hyp1f1, (a, b, x), order=2)
    c, z = rng.uniform(1.0, 3.0, 3), rng.uniform(-0.9, 0.9, (2, 3))
    check_grads(fs.hyp2f1, (a, b, c, z), order=2)


def test_third_order_in_a_parameter() -> None:
    # any order: the derivative primitives differentiate into themselves
    d3 = fluxion.grad(fluxion.grad(fluxion.grad(lambda c: fs.hyp2f1(0.6, 1.3, c, 0.4))))(2.1)
    ref = _mp_partial(lambda c: mp.hyp2f1(0.6, 1.3, c, 0.4), (2.1,), (3,))
    np.testing.assert_allclose(d3, ref, rtol=1e-11)


def test_jit_and_vmap() -> None:
    grad_a = fluxion.grad(lambda a, x: fs.hyp1f1(a, 1.5, x))
    a = np.array([0.3, 0.8, 1.7])
    x = np.array([-2.0, 0.4, 3.0])
    eager = np.array([grad_a(ai, xi) for ai, xi in zip(a, x)])
    np.testing.assert_allclose(fluxion.vmap(grad_a)(a, x), eager, rtol=1e-14)
    np.testing.assert_allclose(fluxion.jit(fluxion.vmap(grad_a))(a, x), eager, rtol=1e-14)
    grad_x = fluxion.jit(fluxion.grad(lambda x: fs.zeta(x, 2.0)))
    np.testing.assert_allclose(grad_x(3.0), float(mp.zeta(3, 2, derivative=1)), rtol=1e-14)


def test_values_are_unchanged() -> None:
    # the primitives' values are SciPy's; the derivatives do not change them
    out, _ = fluxion.jvp(lambda a: fs.hyp2f1(a, 1.3, 2.1, 0.4), (0.6,), (1.0,))
    assert out == sc.hyp2f1(0.6, 1.3, 2.1, 0.4)


# --- outside the domain, bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fn,arg",
    [
        (lambda x: fs.zeta(x, 1.5), 0.5),  # Hurwitz zeta below x = 1: SciPy's value is NaN
        (lambda q: fluxion.grad(lambda x: fs.zeta(x, q))(3.0), -0.5),  # q <= 0
        (lambda c: fs.hyp2f1(0.5, 1.0, c, 1.5), 2.0),  # z > 1
        (lambda c: fs.hyp2f1(0.6, 1.3, c, 0.999), 2.1),  # the series has not converged
        (lambda a: fs.hyp1f1(a, 1.5, -20000.0), 0.5),  # the series has not converged
    ],
)
def test_outside_the_method_is_nan(fn, arg) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(fluxion.grad(fn)(arg))


def test_riemann_zeta_derivative_at_the_pole_is_nan() -> None:
    assert np.isnan(sm.riemann_zeta_dx_p.bind(np.array([1.0]), order=1)[0])


@pytest.mark.parametrize(
    "bind,match",
    [
        (lambda: sm.zeta_dx_p.bind(2.0, 1.0, order=0), "zeta_dx: expected a positive integer"),
        (lambda: sm.riemann_zeta_dx_p.bind(2.0, order=1.5), "riemann_zeta_dx: expected"),
        (lambda: sm.hyp1f1_dp_p.bind(0.5, 1.5, 0.3, orders=(0, 0)), "hyp1f1_dp: expected orders"),
        (lambda: sm.hyp2f1_dp_p.bind(0.5, 1.0, 1.5, 0.3, orders=(1, 0)),
         "hyp2f1_dp: expected orders, a tuple of 3"),
    ],
)
def test_bad_static_orders_raise_under_jit(bind, match) -> None:
    # the shape rule validates the static orders (it runs when the primitive is staged)
    with pytest.raises(ValueError, match=match):
        fluxion.jit(lambda t: bind() + t)(0.0)
