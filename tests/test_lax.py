"""fluxion.lax: structured control flow eagerly, under grad/jvp, and under jit."""

import time

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion import lax

RNG = np.random.default_rng(11)
Y = np.cumsum(RNG.standard_normal(200)) * 0.1  # a 200-step series


def ar1_scan(params, y):
    phi, log_sigma = params[0], params[1]
    sigma = fnp.exp(log_sigma)

    def step(carry, y_t):
        ll, prev = carry
        r = (y_t - phi * prev) / sigma
        return (ll - 0.5 * r**2 - log_sigma - 0.5 * np.log(2 * np.pi), y_t), r

    (ll, _), residuals = lax.scan(step, (0.0, y[0]), y[1:])
    return ll + 0.0 * fnp.sum(residuals)


def ar1_loop(params, y):
    phi, log_sigma = params[0], params[1]
    sigma = fnp.exp(log_sigma)
    ll = 0.0
    for t in range(1, len(y)):
        r = (y[t] - phi * y[t - 1]) / sigma
        ll = ll - 0.5 * r**2 - log_sigma - 0.5 * np.log(2 * np.pi)
    return ll


P = np.array([0.7, np.log(0.3)])


def test_ar1_scan_value_and_both_modes_match_the_python_loop():
    assert float(ar1_scan(P, Y)) == pytest.approx(float(ar1_loop(P, Y)), rel=1e-12)
    g_rev = fluxion.grad(ar1_scan)(P, Y)
    np.testing.assert_allclose(g_rev, fluxion.grad(ar1_loop)(P, Y), rtol=1e-12)
    g_fwd = fluxion.jacfwd(ar1_scan)(P, Y)
    np.testing.assert_allclose(g_fwd, g_rev, rtol=1e-12)
    np.testing.assert_allclose(
        fluxion.hessian(ar1_scan)(P, Y), fluxion.hessian(ar1_loop)(P, Y), rtol=1e-10
    )


def test_ar1_scan_under_jit():
    f = fluxion.jit(fluxion.value_and_grad(ar1_scan))
    start = time.perf_counter()
    v, g = f(P, Y)
    first_call = time.perf_counter() - start
    v0, g0 = fluxion.value_and_grad(ar1_loop)(P, Y)
    assert float(v) == pytest.approx(float(v0), rel=1e-12)
    np.testing.assert_allclose(g, g0, rtol=1e-12)
    v2, g2 = f(P * 0.9, Y)
    np.testing.assert_allclose(g2, fluxion.grad(ar1_loop)(P * 0.9, Y), rtol=1e-12)
    assert f.trace_count == 1
    assert first_call < 30.0  # unrolled, but not pathological (recorded, not a benchmark)
    jf = fluxion.jit(fluxion.jacfwd(ar1_scan))
    np.testing.assert_allclose(jf(P, Y), g0, rtol=1e-12)


def kepler(M, e):
    def newton_step(E):
        return E - (E - e * fnp.sin(E) - M) / (1 - e * fnp.cos(E))

    def not_converged(E):
        return fnp.abs(E - e * fnp.sin(E) - M) > 1e-13

    return lax.while_loop(not_converged, newton_step, M)


def test_kepler_while_loop_forward_mode_eager_and_jit():
    M, e = 1.3, 0.4
    E = float(kepler(M, e))
    assert E - e * np.sin(E) == pytest.approx(M, abs=1e-12)
    dE_dM = 1 / (1 - e * np.cos(E))  # the seed's gradient rule
    dE_de = np.sin(E) / (1 - e * np.cos(E))
    for f in (kepler, fluxion.jit(kepler)):
        assert float(fluxion.jvp(f, (M, e), (1.0, 0.0))[1]) == pytest.approx(dE_dM, rel=1e-10)
        assert float(fluxion.jvp(f, (M, e), (0.0, 1.0))[1]) == pytest.approx(dE_de, rel=1e-10)
        jac = fluxion.jacfwd(f, argnums=(0, 1))(M, e)
        np.testing.assert_allclose([float(j) for j in jac], [dE_dM, dE_de], rtol=1e-10)
    # eager reverse mode follows the iterations actually run
    assert float(fluxion.grad(kepler)(M, e)) == pytest.approx(dE_dM, rel=1e-10)
    graph = fluxion.jit(kepler).lower(M, e).graph
    assert [eqn.prim.name for eqn in graph.eqns] == ["while"]


def test_while_loop_reverse_mode_under_jit_names_the_fix():
    with pytest.raises(NotImplementedError, match=r"fori_loop.*scan"):
        fluxion.grad(fluxion.jit(kepler))(1.3, 0.4)


def test_cond_and_switch_eager_and_jit():
    def f(x):
        return lax.cond(fnp.sum(x) > 0, lambda v: fnp.sum(v**2), lambda v: fnp.sum(-v), x)

    def g(i, x):
        return lax.switch(i, [lambda v: v * 1.0, lambda v: v * 2.0, lambda v: v * 3.0], x)

    pos, neg = np.array([1.0, 2.0]), np.array([-1.0, -3.0])
    jf = fluxion.jit(f)
    for x in (pos, neg):
        assert float(jf(x)) == float(f(x))
        np.testing.assert_allclose(fluxion.grad(jf)(x), fluxion.grad(f)(x))
    assert jf.trace_count == 1  # a select, not a specialization
    jg = fluxion.jit(g)
    for i in (-1, 0, 1, 2, 5):
        assert float(jg(i, 2.0)) == float(g(i, 2.0)) == 2.0 * (min(max(i, 0), 2) + 1)
    with pytest.raises(TypeError, match="same structure"):
        fluxion.jit(lambda x: lax.cond(x > 0, lambda v: (v, v), lambda v: v, x))(1.0)


def test_fori_loop_static_and_traced_bounds():
    def power_sum(x, n):
        return lax.fori_loop(0, n, lambda i, acc: acc + x**i, 0.0)

    assert float(power_sum(2.0, 4)) == 15.0
    assert float(fluxion.grad(power_sum)(2.0, 4)) == pytest.approx(1 + 4 + 12)
    jf = fluxion.jit(power_sum)
    assert float(jf(2.0, 4)) == 15.0 and float(jf(2.0, 5)) == 31.0  # traced bound: while
    assert float(fluxion.jvp(lambda x: jf(x, 4), (2.0,), (1.0,))[1]) == pytest.approx(17.0)


def test_scan_reverse_and_errors():
    carry, ys = lax.scan(lambda c, x: (c + x, c), 0.0, np.arange(4.0), reverse=True)
    assert float(carry) == 6.0
    np.testing.assert_allclose(ys, [6.0, 5.0, 3.0, 0.0])  # y_i is the carry before step i
    with pytest.raises(ValueError, match="one common leading length"):
        lax.scan(lambda c, x: (c, x), 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(TypeError, match="structure of init"):
        lax.scan(lambda c, x: ((c, c), x), 0.0, np.ones(3))
