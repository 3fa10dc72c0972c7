"""Incomplete gamma and beta functions differentiable in every continuous argument (issue 14):
shape-parameter derivatives against central differences of SciPy's values on grids, implicit
derivatives of the inverses, second derivatives, edges, broadcasting, vmap/jit, the
third-derivative error, and
plain ``scipy.special`` calls on traced values."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.scipy.special as fs
from fluxion._src.prims.special_incomplete import (
    betainc_daa_values,
    betainc_dab_mixed_values,
    betainc_dab_values,
    betainc_dbb_values,
    gammainc_da_values,
    gammainc_daa_values,
)


def _central(f, z, rel=1e-5):
    """Central difference of SciPy's f at z, step relative to the scale of z (Richardson
    extrapolated: error O(h^4))."""
    h = rel * np.maximum(np.abs(z), 1e-3)

    def d(step):
        return (f(z + step) - f(z - step)) / (2 * step)

    return (4 * d(h / 2) - d(h)) / 3


# a over [1e-3, 1e3], x over [1e-6, 1e3] (the reference takes Q's side where P is near 1)
_A = np.array([1e-3, 0.05, 0.5, 1.0, 3.0, 20.0, 150.0, 1000.0])
_X = np.array([1e-6, 1e-2, 0.4, 2.0, 8.0, 30.0, 140.0, 160.0, 990.0, 1000.0])


def test_gammainc_da_against_central_differences():
    a, x = np.meshgrid(_A, _X, indexing="ij")
    got = gammainc_da_values(a, x)
    lower = _central(lambda s: sc.gammainc(s, x), a)
    upper = -_central(lambda s: sc.gammaincc(s, x), a)
    ref = np.where(x > a, upper, lower)
    keep = np.abs(ref) > 1e-280
    np.testing.assert_allclose(got[keep], ref[keep], rtol=1e-6)
    assert keep.sum() > 50


def test_betainc_dab_against_central_differences():
    shapes = np.array([1e-3, 0.3, 1.0, 4.0, 60.0, 1000.0])
    xs = np.array([1e-6, 0.02, 0.3, 0.6, 0.97, 1 - 1e-6])
    a, b, x = np.meshgrid(shapes, shapes, xs, indexing="ij")
    got_a, got_b = betainc_dab_values(a, b, x)
    upper = x > a / (a + b)
    for got, f_lo, f_hi, z in (
        (got_a, lambda s: sc.betainc(s, b, x), lambda s: sc.betaincc(s, b, x), a),
        (got_b, lambda s: sc.betainc(a, s, x), lambda s: sc.betaincc(a, s, x), b),
    ):
        ref = np.where(upper, -_central(f_hi, z), _central(f_lo, z))
        keep = np.abs(ref) > 1e-280
        np.testing.assert_allclose(got[keep], ref[keep], rtol=1e-5)
        assert keep.sum() > 100


def test_edges_and_outside_the_domain():
    np.testing.assert_array_equal(gammainc_da_values([2.0, 2.0], [0.0, np.inf]), [0.0, 0.0])
    assert np.isnan(gammainc_da_values([-1.0, 0.0, np.nan], 1.0)).all()
    da, db = betainc_dab_values(2.0, 3.0, [0.0, 1.0])
    np.testing.assert_array_equal(da, 0.0)
    np.testing.assert_array_equal(db, 0.0)
    da, db = betainc_dab_values([-1.0, 2.0, 2.0], [2.0, 0.0, 2.0], [0.5, 0.5, 1.5])
    assert np.isnan(da).all() and np.isnan(db).all()
    # the public functions give SciPy's values outside the domain, without raising
    g = fluxion.grad(lambda a: fs.gammainc(a, 1.0))(-1.0)
    assert np.isnan(g)


def test_gradients_broadcast_and_compose():
    a = np.array([[0.5], [2.0], [7.0]])
    x = np.array([0.1, 1.0, 9.0, 30.0])

    def f(a, x):
        return fluxion.numpy.sum(fs.gammainc(a, x) + fs.gammaincc(a, 2 * x))

    ga, gx = fluxion.grad(f, argnums=(0, 1))(a, x)
    assert ga.shape == a.shape and gx.shape == x.shape
    ref_a = np.sum(gammainc_da_values(a, x) - gammainc_da_values(a, 2 * x), axis=1, keepdims=True)
    np.testing.assert_allclose(ga, ref_a, rtol=1e-12)
    jit_ga = fluxion.jit(fluxion.grad(f))(a, x)
    np.testing.assert_allclose(jit_ga, ga, rtol=1e-12)
    per = fluxion.vmap(fluxion.grad(lambda a: fs.betainc(a, 2.0, 0.3)))(np.array([0.5, 1.5, 4.0]))
    np.testing.assert_allclose(per, betainc_dab_values([0.5, 1.5, 4.0], 2.0, 0.3)[0], rtol=1e-12)


@pytest.mark.parametrize(
    ("fn", "ref", "args", "argnum"),
    [
        (fs.gammaincinv, sc.gammaincinv, (0.01, 0.3), 0),
        (fs.gammaincinv, sc.gammaincinv, (50.0, 0.9), 0),
        (fs.gammainccinv, sc.gammainccinv, (2.5, 0.2), 0),
        (fs.gammainccinv, sc.gammainccinv, (2.5, 0.2), 1),
        (fs.betaincinv, sc.betaincinv, (0.5, 8.0, 0.7), 0),
        (fs.betaincinv, sc.betaincinv, (0.5, 8.0, 0.7), 1),
        (fs.betainccinv, sc.betainccinv, (30.0, 2.0, 0.1), 1),
        (fs.betainccinv, sc.betainccinv, (30.0, 2.0, 0.1), 2),
    ],
)
def test_inverse_derivatives(fn, ref, args, argnum):
    def f(z):
        call = list(args)
        call[argnum] = z
        return fn(*call)

    def f_ref(z):
        call = list(args)
        call[argnum] = z
        return ref(*call)

    got = fluxion.grad(f)(args[argnum])
    np.testing.assert_allclose(got, _central(f_ref, np.float64(args[argnum]), 1e-6), rtol=1e-6)


def _second_central(f, z, rel=1e-3):
    """Second central difference of SciPy's f at z, Richardson extrapolated (error O(h^4))."""
    h = rel * np.maximum(np.abs(z), 1e-3)

    def d(step):
        return (f(z + step) - 2 * f(z) + f(z - step)) / step**2

    return (4 * d(h / 2) - d(h)) / 3


def test_second_derivatives_in_the_shape_parameters():
    # values of the second-order primitives against second differences of SciPy's values
    a, x = np.meshgrid([0.05, 0.7, 3.0, 40.0], [0.01, 0.5, 2.0, 9.0, 45.0], indexing="ij")
    ref = np.where(
        x > a,
        -_second_central(lambda s: sc.gammaincc(s, x), a),
        _second_central(lambda s: sc.gammainc(s, x), a),
    )
    keep = np.abs(ref) > 1e-100
    np.testing.assert_allclose(gammainc_daa_values(a, x)[keep], ref[keep], rtol=1e-5)
    a, b, x = np.meshgrid([0.3, 2.0, 30.0], [0.5, 4.0], [0.05, 0.4, 0.9], indexing="ij")
    # the reference differences the side without cancellation (1 - I where I is near 1)
    upper = x > a / (a + b)
    ref_aa = np.where(
        upper,
        -_second_central(lambda s: sc.betaincc(s, b, x), a),
        _second_central(lambda s: sc.betainc(s, b, x), a),
    )
    ref_bb = np.where(
        upper,
        -_second_central(lambda t: sc.betaincc(a, t, x), b),
        _second_central(lambda t: sc.betainc(a, t, x), b),
    )
    np.testing.assert_allclose(betainc_daa_values(a, b, x), ref_aa, rtol=1e-4, atol=1e-12)
    np.testing.assert_allclose(betainc_dbb_values(a, b, x), ref_bb, rtol=1e-4, atol=1e-12)
    ref_ab = _central(lambda t: betainc_dab_values(a, t, x)[0], b)
    np.testing.assert_allclose(betainc_dab_mixed_values(a, b, x), ref_ab, rtol=1e-6, atol=1e-14)
    # through grad(grad(.)) of the public functions, the inverses by the implicit rule
    got = fluxion.grad(fluxion.grad(lambda s: fs.gammaincc(s, 3.0)))(2.0)
    np.testing.assert_allclose(got, -gammainc_daa_values(2.0, 3.0), rtol=1e-12)
    got = fluxion.grad(fluxion.grad(lambda s: fs.gammaincinv(s, 0.3)))(2.0)
    want = _second_central(lambda s: sc.gammaincinv(s, 0.3), np.float64(2.0))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    hess = fluxion.hessian(lambda z: fs.betaincinv(z[0], z[1], 0.3))(np.array([2.0, 3.0]))
    mixed = _central(lambda t: _central(lambda s: sc.betaincinv(s, t, 0.3), 2.0, 1e-4), 3.0, 1e-4)
    np.testing.assert_allclose(hess[0, 1], mixed, rtol=1e-5)
    np.testing.assert_allclose(hess[1, 0], hess[0, 1], rtol=1e-12)
    # edges and outside the domain, as in the first derivatives
    np.testing.assert_array_equal(gammainc_daa_values(2.0, [0.0, np.inf]), 0.0)
    assert np.isnan(betainc_dbb_values([-1.0, 2.0], [2.0, 0.0], 0.5)).all()


def test_second_derivatives_involving_x_and_the_third_order_error():
    # mixed a-x (closed form of d/dx of the numerical a-derivative)
    h = fluxion.grad(lambda x: fluxion.grad(lambda a: fs.betainc(a, 3.0, x))(2.0))(0.4)
    ref = _central(lambda x: betainc_dab_values(2.0, 3.0, x)[0], np.float64(0.4), 1e-5)
    np.testing.assert_allclose(h, ref, rtol=1e-6)
    # a third derivative purely in the shape parameters: a clear error in both modes
    with pytest.raises(NotImplementedError, match="betainc"):
        fluxion.jvp(fluxion.grad(fluxion.grad(lambda b: fs.betainc(2.0, b, 0.4))), (3.0,), (1.0,))
    with pytest.raises(NotImplementedError, match="third derivative"):
        fluxion.grad(fluxion.grad(fluxion.grad(lambda a: fs.betaincinv(a, 3.0, 0.4))))(2.0)


def test_other_functions():
    x = np.array([-2.5, -0.5, 0.7, 3.0])
    np.testing.assert_allclose(
        fluxion.vmap(fluxion.grad(fs.rgamma))(x), _central(sc.rgamma, x, 1e-6), rtol=1e-7
    )
    # at the poles of Gamma, 1/Gamma has slope (-1)^n n!
    np.testing.assert_allclose(
        fluxion.vmap(fluxion.grad(fs.rgamma))(np.array([0.0, -1.0, -3.0])), [1.0, -1.0, -6.0]
    )
    assert float(fluxion.grad(fs.gammasgn)(-0.5)) == 0.0
    y = np.array([-700.0, -30.0, -1.0, -1e-3])
    np.testing.assert_allclose(
        fluxion.vmap(fluxion.grad(fs.ndtri_exp))(y), _central(sc.ndtri_exp, y, 1e-6), rtol=1e-6
    )


def test_plain_scipy_calls_on_tracers_are_routed():
    g = fluxion.grad(lambda a: sc.betainc(a, 2.0, 0.3) + sc.gammaincc(a, 1.0))(1.5)
    want = betainc_dab_values(1.5, 2.0, 0.3)[0] - gammainc_da_values(1.5, 1.0)
    np.testing.assert_allclose(g, want, rtol=1e-12)
    np.testing.assert_allclose(
        fluxion.grad(lambda x: sc.dawsn(x))(0.5), 1 - 2 * 0.5 * sc.dawsn(0.5)
    )


def test_bad_input_names_the_function():
    with pytest.raises(ValueError, match="betainc"):
        fluxion.grad(lambda a: fluxion.numpy.sum(fs.betainc(a, np.ones(3), np.ones(2) / 2)))(
            np.ones(3)
        )
