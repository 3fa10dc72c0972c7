"""``fluxion.scipy.integrate.quad_vec``: values as SciPy's, derivatives in the limits and the
parameters against central differences, errors naming the function."""

import numpy as np
import pytest
import scipy.integrate as si

import fluxion
import fluxion.numpy as fnp
from fluxion.scipy.integrate import quad_vec


def integrand(x, k, c):
    return fnp.stack([x**k, fnp.exp(-k * x) * c, fnp.sin(c * x)])


def test_values_equal_scipy():
    got, err = quad_vec(integrand, 0.0, 2.0, args=(1.5, 0.7))
    want, _ = si.quad_vec(lambda x: np.array([x**1.5, np.exp(-1.5 * x) * 0.7, np.sin(0.7 * x)]),
                          0.0, 2.0)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert err >= 0.0
    inf, _ = quad_vec(lambda x: fnp.exp(-x * x) * fnp.ones(2), -np.inf, np.inf)
    np.testing.assert_allclose(inf, np.sqrt(np.pi), rtol=1e-10)


def test_derivatives_in_limits_and_parameters_match_central_differences():
    fn = lambda a, b, k, c: quad_vec(integrand, a, b, args=(k, c))[0]
    point = (0.3, 1.7, 1.5, 0.7)
    jac = fluxion.jacobian(fn, argnums=(0, 1, 2, 3))(*point)
    fwd = fluxion.jacfwd(fn, argnums=(0, 1, 2, 3))(*point)
    h = 1e-5
    for i in range(4):
        up = list(point)
        dn = list(point)
        up[i] += h
        dn[i] -= h
        fd = (fn(*up) - fn(*dn)) / (2 * h)
        np.testing.assert_allclose(jac[i], fd, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(fwd[i], fd, rtol=1e-6, atol=1e-9)
    # second order: d2/dk2 of int_0^1 x^k dx = 2 / (k + 1)^3
    d2 = fluxion.grad(fluxion.grad(lambda k: quad_vec(integrand, 0.0, 1.0, args=(k, 1.0))[0][0]))
    assert d2(1.5) == pytest.approx(2.0 / 2.5**3, rel=1e-6)


def test_closure_over_a_traced_value():
    def total(c):
        return fnp.sum(quad_vec(lambda x: fnp.stack([c * x, c * c]), 0.0, 1.0)[0])

    assert fluxion.grad(total)(3.0) == pytest.approx(0.5 + 6.0, rel=1e-10)


def test_bad_input_names_quad_vec():
    with pytest.raises(TypeError, match="quad_vec: f must be callable"):
        quad_vec(3.0, 0.0, 1.0)
    with pytest.raises(TypeError, match="quad_vec: a must be a real scalar"):
        quad_vec(lambda x: fnp.stack([x]), np.zeros(2), 1.0)
    with pytest.raises(NotImplementedError, match="quad_vec: norm='max'"):
        quad_vec(lambda x: fnp.stack([x]), 0.0, 1.0, norm="max")
    with pytest.raises(TypeError, match="quad_vec: unsupported option"):
        quad_vec(lambda x: fnp.stack([x]), 0.0, 1.0, workers=2)
