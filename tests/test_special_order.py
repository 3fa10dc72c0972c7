"""Bessel functions differentiated in their order v (issue 14): ``special_order``'s series and
integral representations against central differences of SciPy's values across the branches,
second derivatives, edges and the domain, and the public functions under grad/jit/vmap.
(``tools/special_incomplete_accuracy.py --bessel`` compares with mpmath on a wider grid.)"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.scipy.special as fs
from fluxion._src.prims.special_order import bessel_dv_values, bessel_dvv_values

_V = np.array([-3.7, -0.6, -0.05, 0.02, 0.5, 1.0, 2.3, 9.5])
_X = np.array([1e-3, 0.3, 1.0, 4.0, 9.0, 25.0, 60.0])


def _central(f, z, h=1e-3):
    """Central difference in z, Richardson extrapolated over h, h/2 (error O(h^4))."""

    def d(step):
        return (f(z + step) - f(z - step)) / (2 * step)

    return (4 * d(h / 2) - d(h)) / 3


@pytest.mark.parametrize("kind", ["iv", "ive", "kv", "kve", "jv", "yv"])
def test_first_derivative_against_central_differences(kind):
    v, x = np.meshgrid(_V, _X, indexing="ij")
    ufunc = getattr(sc, kind)
    got = bessel_dv_values(kind, v, x)
    want = _central(lambda s: ufunc(s, x), v)
    # the difference of SciPy's values is good to ~1e-9 of the values' scale
    scale = np.abs(ufunc(v, x)) + np.abs(want)
    keep = np.isfinite(want) & (scale < 1e250)
    np.testing.assert_array_less(np.abs(got - want)[keep], 1e-7 * scale[keep] + 1e-300)
    assert keep.sum() > 40


def test_branches_without_cancellation():
    # near v = 0 dI/dv = -K_0 is far smaller than I (the series cancels; the integral does not)
    np.testing.assert_allclose(bessel_dv_values("iv", 0.0, 30.0), -sc.kv(0.0, 30.0), rtol=1e-10)
    np.testing.assert_allclose(
        bessel_dv_values("ive", 0.0, 3e3), -sc.kve(0.0, 3e3) * np.exp(-6e3), rtol=1e-10, atol=1e-300
    )
    # dK/dv vanishes at v = 0 (K is even in v) and is odd in v
    assert bessel_dv_values("kv", 0.0, 2.0) == 0.0
    np.testing.assert_allclose(
        bessel_dv_values("kv", -1.7, 2.0), -bessel_dv_values("kv", 1.7, 2.0), rtol=1e-13
    )
    # dJ/dv at integer order n = 0: pi/2 Y_0 (a classical identity)
    np.testing.assert_allclose(
        bessel_dv_values("jv", 0.0, [0.5, 7.0, 30.0]),
        np.pi / 2 * sc.y0([0.5, 7.0, 30.0]),
        rtol=1e-10,
    )
    # dY/dv at n = 0: -pi/2 J_0
    np.testing.assert_allclose(
        bessel_dv_values("yv", 0.0, [0.5, 7.0, 30.0]),
        -np.pi / 2 * sc.j0([0.5, 7.0, 30.0]),
        rtol=1e-9,
    )


@pytest.mark.parametrize("kind", ["iv", "kv", "jv", "yv"])
def test_second_derivative(kind):
    v, x = np.meshgrid([-1.4, 0.3, 2.5], [0.2, 3.0, 12.0], indexing="ij")
    got = bessel_dvv_values(kind, v, x)
    want = _central(lambda s: bessel_dv_values(kind, s, x), v, 1e-3)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-12)


def test_domain_and_edges():
    assert np.isnan(bessel_dv_values("kv", 1.0, [0.0, -1.0])).all()
    assert np.isnan(bessel_dv_values("yv", 1.0, -1.0))
    assert np.isnan(bessel_dv_values("iv", 1.5, -2.0))
    assert np.isnan(
        bessel_dv_values("jv", [np.nan, 2.0, 600.0, 1.0], [2.0, np.nan, 1.0, 2e4])
    ).all()
    np.testing.assert_array_equal(bessel_dv_values("iv", 2.0, 0.0), 0.0)
    with pytest.raises(ValueError, match="unknown kind"):
        bessel_dv_values("hankel", 1.0, 1.0)


def test_public_functions_under_transforms():
    v = np.array([[0.3], [1.7], [4.2]])
    x = np.array([0.5, 2.0, 8.0])

    def f(v, x):
        return fluxion.numpy.sum(fs.iv(v, x) * fs.kv(v, x) + fs.jv(v, x) ** 2)

    gv = fluxion.grad(f)(v, x)
    want = np.sum(
        bessel_dv_values("iv", v, x) * sc.kv(v, x)
        + sc.iv(v, x) * bessel_dv_values("kv", v, x)
        + 2 * sc.jv(v, x) * bessel_dv_values("jv", v, x),
        axis=1,
        keepdims=True,
    )
    np.testing.assert_allclose(gv, want, rtol=1e-12)
    np.testing.assert_allclose(fluxion.jit(fluxion.grad(f))(v, x), gv, rtol=1e-12)
    per = fluxion.vmap(fluxion.grad(lambda s: fs.yv(s, 3.0)))(np.array([0.5, 1.5]))
    np.testing.assert_allclose(per, bessel_dv_values("yv", [0.5, 1.5], 3.0), rtol=1e-12)
    # a plain scipy.special call on a traced order is routed to fluxion
    g = fluxion.grad(lambda s: sc.kve(s, 2.0))(1.2)
    np.testing.assert_allclose(g, bessel_dv_values("kve", 1.2, 2.0), rtol=1e-12)
    # second derivative in v, and mixed v-x
    h = fluxion.hessian(lambda z: fs.jv(z[0], z[1]))(np.array([1.2, 3.0]))
    np.testing.assert_allclose(h[0, 0], bessel_dvv_values("jv", 1.2, 3.0), rtol=1e-12)
    mixed = _central(lambda s: bessel_dv_values("jv", 1.2, s), 3.0)
    np.testing.assert_allclose(h[0, 1], mixed, rtol=1e-8)
    np.testing.assert_allclose(h[1, 0], h[0, 1], rtol=1e-12)


def test_blocks_of_elements_give_the_same_values(monkeypatch):
    # large inputs are evaluated in blocks of elements (bounded temporaries): same numbers
    from fluxion._src.prims import special_order

    v, x = np.linspace(-3.0, 5.0, 30), np.linspace(0.1, 60.0, 30)
    whole = {kind: bessel_dv_values(kind, v, x) for kind in ("iv", "jv", "yv")}
    monkeypatch.setattr(special_order, "_CHUNK", 500)
    for kind, want in whole.items():
        np.testing.assert_allclose(bessel_dv_values(kind, v, x), want, rtol=1e-13, atol=1e-15)
