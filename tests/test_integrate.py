"""fluxion.scipy.integrate: odeint / solve_ivp values against SciPy and derivatives (adjoint and
forward sensitivities) against central differences of SciPy's own solutions; quad and the
sample rules against SciPy with their derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si

import fluxion
import fluxion.numpy as fnp
from fluxion.scipy.integrate import (
    cumulative_trapezoid,
    odeint,
    quad,
    simpson,
    solve_ivp,
    trapezoid,
)

TOL = dict(rtol=1e-11, atol=1e-11)
Y0 = np.array([10.0, 5.0])
P = np.array([1.0, 0.1, 0.075, 1.5])
T = np.linspace(0.0, 4.0, 9)
W = np.linspace(0.5, 1.5, 18).reshape(9, 2)  # weights of the loss


def lv(y, t, p):
    a, b, c, d = p[0], p[1], p[2], p[3]
    return fnp.stack([a * y[0] - b * y[0] * y[1], c * y[0] * y[1] - d * y[1]])


def lv_np(y, t, p):
    return [p[0] * y[0] - p[1] * y[0] * y[1], p[2] * y[0] * y[1] - p[3] * y[1]]


def loss_odeint(y0, p, t=T):
    return fnp.sum(W * odeint(lv, y0, t, args=(p,), **TOL) ** 2)


def ref_odeint(y0, p, t=T):
    ys = si.odeint(lv_np, y0, t, args=(p,), rtol=1e-13, atol=1e-13)
    return np.sum(W * ys**2)


def central(f, x, eps):
    x = np.asarray(x, float)
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[i] = eps * max(1.0, abs(x[i]))
        out[i] = (f(x + e) - f(x - e)) / (2 * e[i])
    return out


def test_odeint_values_match_scipy():
    ys = odeint(lv, Y0, T, args=(P,), **TOL)
    ref = si.odeint(lv_np, Y0, T, args=(P,), **TOL)
    np.testing.assert_allclose(ys, ref, rtol=1e-12, atol=1e-12)


def test_odeint_grad_params_and_initial_state_vs_fd():
    g_y0, g_p = fluxion.grad(loss_odeint, argnums=(0, 1))(Y0, P)
    fd_p = central(lambda p: ref_odeint(Y0, p), P, 1e-5)
    fd_y0 = central(lambda y: ref_odeint(y, P), Y0, 1e-5)
    np.testing.assert_allclose(g_p, fd_p, rtol=1e-6)
    np.testing.assert_allclose(g_y0, fd_y0, rtol=1e-6)


def test_odeint_forward_mode_matches_reverse():
    g = fluxion.grad(loss_odeint, argnums=1)(Y0, P)
    jf = fluxion.jacfwd(loss_odeint, argnums=1)(Y0, P)
    np.testing.assert_allclose(jf, g, rtol=1e-6)


def test_odeint_grad_wrt_times_vs_fd():
    t = np.array([0.2, 0.7, 1.5, 2.0])
    w = np.linspace(1.0, 2.0, 8).reshape(4, 2)

    def loss(t):
        return fnp.sum(w * odeint(lv, Y0, t, args=(P,), **TOL))

    def ref(t):
        return np.sum(w * si.odeint(lv_np, Y0, t, args=(P,), rtol=1e-13, atol=1e-13))

    fd = central(ref, t, 1e-5)
    np.testing.assert_allclose(fluxion.grad(loss)(t), fd, rtol=1e-6, atol=1e-6)
    direction = np.array([1.0, -0.5, 0.3, 2.0])
    _, tangent = fluxion.jvp(loss, (t,), (direction,))
    np.testing.assert_allclose(tangent, fd @ direction, rtol=1e-6)


def test_odeint_closed_over_parameter():
    def loss(p):
        return fnp.sum(W * odeint(lambda y, t: lv(y, t, p), Y0, T, **TOL) ** 2)

    np.testing.assert_allclose(
        fluxion.grad(loss)(P), fluxion.grad(loss_odeint, argnums=1)(Y0, P), rtol=1e-8
    )


def test_jit_of_function_calling_odeint():
    f = fluxion.jit(loss_odeint)
    np.testing.assert_allclose(f(Y0, P), loss_odeint(Y0, P), rtol=1e-12)
    g = fluxion.jit(fluxion.grad(loss_odeint, argnums=1))
    np.testing.assert_allclose(g(Y0, P), fluxion.grad(loss_odeint, argnums=1)(Y0, P), rtol=1e-9)


def test_vmap_over_initial_states():
    y0s = np.array([[10.0, 5.0], [8.0, 4.0], [5.0, 6.0]])
    out = fluxion.vmap(lambda y0: odeint(lv, y0, T, args=(P,), **TOL))(y0s)
    for i in range(3):
        np.testing.assert_allclose(out[i], si.odeint(lv_np, y0s[i], T, args=(P,), **TOL),
                                   rtol=1e-8)


def test_second_order():
    k = 0.7

    def f(k):
        return odeint(lambda y, t, k: -k * y, np.array([1.0]), np.array([0.0, 2.0]),
                      args=(k,), **TOL)[-1, 0]

    # y(2) = exp(-2k): forward over forward works
    h = fluxion.jacfwd(fluxion.jacfwd(f))(k)
    np.testing.assert_allclose(h, 4 * np.exp(-2 * k), rtol=1e-7)
    with pytest.raises(NotImplementedError, match="second-order"):
        fluxion.hessian(f)(k)


def robertson(t, y, k):
    y1, y2, y3 = y[0], y[1], y[2]
    return fnp.stack([
        -k[0] * y1 + k[2] * y2 * y3,
        k[0] * y1 - k[1] * y2**2 - k[2] * y2 * y3,
        k[1] * y2**2,
    ])


def robertson_np(t, y, k):
    return [-k[0] * y[0] + k[2] * y[1] * y[2],
            k[0] * y[0] - k[1] * y[1] ** 2 - k[2] * y[1] * y[2],
            k[1] * y[1] ** 2]


@pytest.mark.parametrize("method", ["BDF", "Radau"])
def test_robertson_stiff_rate_gradients(method):
    # stiff: rate constants 0.04, 3e7, 1e4; gradient in log-rates. Tolerance 1e-4 relative:
    # the solver tolerances (rtol 1e-8) limit both the adjoint and the differences.
    k = np.array([0.04, 3e7, 1e4])
    te = np.array([1.0, 10.0, 40.0])
    opts = dict(method=method, t_eval=te, rtol=1e-8, atol=1e-12)

    def loss(logk):
        res = solve_ivp(robertson, (0.0, 40.0), np.array([1.0, 0.0, 0.0]),
                        args=(fnp.exp(logk),), **opts)
        return fnp.sum(res.y[0] + 1e4 * res.y[1])

    def ref(logk):
        res = si.solve_ivp(robertson_np, (0.0, 40.0), [1.0, 0.0, 0.0], args=(np.exp(logk),),
                           method=method, t_eval=te, rtol=1e-11, atol=1e-14)
        return np.sum(res.y[0] + 1e4 * res.y[1])

    g = fluxion.grad(loss)(np.log(k))
    fd = central(ref, np.log(k), 1e-5)
    np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-7)


def test_solve_ivp_values_and_gradients():
    te = np.linspace(0.0, 3.0, 7)

    def fun(t, y, p):
        return lv(y, t, p)

    res = solve_ivp(fun, (0.0, 3.0), Y0, method="DOP853", t_eval=te, args=(P,), **TOL)
    ref = si.solve_ivp(lambda t, y, p: lv_np(y, t, p), (0.0, 3.0), Y0, method="DOP853",
                       t_eval=te, args=(P,), **TOL)
    assert res.success and ref.success
    assert res.y.shape == (2, 7) and res.t.shape == (7,)
    assert res.nfev == ref.nfev and res.message == ref.message
    np.testing.assert_allclose(res.y, ref.y, rtol=1e-13)

    def loss(y0, p):
        out = solve_ivp(fun, (0.0, 3.0), y0, method="DOP853", t_eval=te, args=(p,), **TOL)
        return fnp.sum(out.y**2)

    def refloss(y0, p):
        return np.sum(si.solve_ivp(lambda t, y, p: lv_np(y, t, p), (0.0, 3.0), y0,
                                   method="DOP853", t_eval=te, args=(p,), rtol=1e-13,
                                   atol=1e-13).y ** 2)

    g_y0, g_p = fluxion.grad(loss, argnums=(0, 1))(Y0, P)
    np.testing.assert_allclose(g_p, central(lambda p: refloss(Y0, p), P, 1e-6), rtol=1e-6)
    np.testing.assert_allclose(g_y0, central(lambda y: refloss(y, P), Y0, 1e-6), rtol=1e-6)


def test_bad_inputs_name_the_function():
    f = lambda y, t: -y
    with pytest.raises(ValueError, match="odeint: y0 must be"):
        odeint(f, np.ones((2, 2)), T)
    with pytest.raises(ValueError, match="odeint: t must be .*monotonic"):
        odeint(f, Y0, np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="odeint: func .* must return an array shaped like y0"):
        odeint(lambda y, t: fnp.concatenate([y, y]), Y0, T)
    with pytest.raises(ValueError, match="solve_ivp: y0 must be a 1-D array"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), 1.0, t_eval=[0.5])
    with pytest.raises(ValueError, match="solve_ivp: method must be one of"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), Y0, method="Euler")
    with pytest.raises(ValueError, match="solve_ivp: t_eval=None"):
        fluxion.grad(lambda p: solve_ivp(lambda t, y: -p * y, (0.0, 1.0), Y0).y.sum())(1.0)


def test_quad_values_and_derivatives():
    f = lambda x, k, c: fnp.exp(-k * x) * fnp.sin(c * x)
    val, err = quad(f, 0.0, 2.0, args=(1.3, 2.0))
    ref, _ = si.quad(lambda x: np.exp(-1.3 * x) * np.sin(2.0 * x), 0.0, 2.0)
    np.testing.assert_allclose(val, ref, rtol=1e-13)

    def F(a, b, k, c):
        return quad(f, a, b, args=(k, c))[0]

    def Fr(v):
        return si.quad(lambda x: np.exp(-v[2] * x) * np.sin(v[3] * x), v[0], v[1],
                       epsabs=1e-13, epsrel=1e-13)[0]

    v = np.array([0.3, 2.0, 1.3, 2.0])
    g = np.array(fluxion.grad(F, argnums=(0, 1, 2, 3))(*v))
    np.testing.assert_allclose(g, central(Fr, v, 1e-6), rtol=1e-7, atol=1e-9)
    assert np.isclose(g[1], np.exp(-1.3 * 2.0) * np.sin(4.0))  # Leibniz: d/db = f(b)
    # second order in k: d2/dk2 = int x^2 f
    h = fluxion.grad(fluxion.grad(F, argnums=2), argnums=2)(0.3, 2.0, 1.3, 2.0)
    ref2 = si.quad(lambda x: x**2 * np.exp(-1.3 * x) * np.sin(2 * x), 0.3, 2.0)[0]
    np.testing.assert_allclose(h, ref2, rtol=1e-8)
    # infinite limit: constant
    g_inf = fluxion.grad(lambda k: quad(lambda x, k: fnp.exp(-k * x), 0.0, np.inf, args=(k,))[0])
    np.testing.assert_allclose(g_inf(2.0), -0.25, rtol=1e-8)


def test_sample_rules_match_scipy_and_differentiate():
    rng = np.random.default_rng(0)
    for n in (2, 3, 4, 7, 8):
        y = rng.normal(size=(3, n))
        x = np.sort(rng.uniform(0, 2, size=n))
        for kw in (dict(), dict(x=x), dict(dx=0.3)):
            np.testing.assert_allclose(simpson(y, **kw), si.simpson(y, **kw), rtol=1e-12)
            np.testing.assert_allclose(trapezoid(y, **kw), si.trapezoid(y, **kw), rtol=1e-12)
            for init in (None, 0):
                np.testing.assert_allclose(
                    cumulative_trapezoid(y, initial=init, **kw),
                    si.cumulative_trapezoid(y, initial=init, **kw), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(simpson(y.T, x=x, axis=0), si.simpson(y.T, x=x, axis=0),
                                   rtol=1e-12)
    y = rng.normal(size=8)
    x = np.sort(rng.uniform(0, 2, size=8))
    gx = fluxion.grad(lambda x: simpson(y, x=x))(x)
    np.testing.assert_allclose(gx, central(lambda x: si.simpson(y, x=x), x, 1e-6), rtol=1e-6,
                               atol=1e-8)
    gy = fluxion.grad(lambda y: cumulative_trapezoid(y, x=x).sum())(y)
    np.testing.assert_allclose(
        gy, central(lambda y: si.cumulative_trapezoid(y, x=x).sum(), y, 1e-6), rtol=1e-6)
    with pytest.raises(ValueError, match="cumulative_trapezoid: initial must be None or 0"):
        cumulative_trapezoid(y, initial=1.0)
    with pytest.raises(ValueError, match="simpson: x must have the length"):
        simpson(y, x=x[:5])


def test_gradient_at_a_non_finite_value_is_nan_not_an_error():
    # a sampler or line search may step where the loss is NaN: the adjoint then gives NaN (the
    # point is rejected) instead of SciPy's "y0 must be finite" from the backward solve
    def loss(k):
        ys = odeint(lambda y, t, k: -k * y, np.array([1.0]), np.array([0.0, 1.0]), args=(k,))
        return fnp.sum(fnp.sqrt(ys - 2.0))  # NaN, with a NaN cotangent

    with np.errstate(invalid="ignore"):
        g = fluxion.grad(loss)(0.5)
    assert np.isnan(g)
