"""The exponentially scaled modified Bessel functions i0e and i1e in the compiled backends: their
scalar formulas (Cephes' Chebyshev expansions, ``prims/special.py``) against scipy.special at
awkward points, and values and gradients through jit tier 1 and the tape machine."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fsp
from fluxion._src.codegen import lowering
from fluxion._src.prims import special as sp

numba = pytest.importorskip("numba")

# 0, signed zero, subnormal and tiny, both sides of the split at |x| = 8 (and 8 itself), large,
# huge, negative, infinities
AWKWARD = np.array([
    0.0, -0.0, 5e-324, 1e-300, 1e-12, 1e-3, 0.5, 1.0, 2.0, 7.5, 8.0 - 2**-49, 8.0,
    8.0 + 2**-49, 8.5, 20.0, 100.0, 709.0, 1e4, 1e300, -1e-8, -1.0, -7.9, -8.0, -8.1, -50.0,
    -1e300, np.inf, -np.inf,
])
FINITE = AWKWARD[np.isfinite(AWKWARD)]


def _rel(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return np.abs(got - want) / np.maximum(np.abs(want), 1e-300)


def test_scalar_formulas_match_scipy_at_awkward_points():
    for x in AWKWARD:
        assert _rel(sp.i0e_scalar(float(x)), sc.i0e(x)) <= 2e-16, x
        assert _rel(sp.i1e_scalar(float(x)), sc.i1e(x)) <= 2e-16, x
    assert np.isnan(sp.i0e_scalar(float("nan"))) and np.isnan(sp.i1e_scalar(float("nan")))


def test_the_backends_lower_them_by_the_scalar_formula():
    for prim in (sp.i0e_p, sp.i1e_p):
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula")


def _value(x):
    return fnp.sum(fsp.i0e(x) * fnp.cos(x)) + fnp.sum(fsp.i1e(x) ** 2)


def _want_grad(x):
    # d i0e = i1e - sign(x) i0e; d i1e = i0e - sign(x) i1e - i1e / x (1/2 at 0)
    i0, i1 = sc.i0e(x), sc.i1e(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        over_x = np.where(x == 0, 0.5, i1 / np.where(x == 0, 1.0, x))
    d0 = i1 - np.sign(x) * i0
    d1 = i0 - np.sign(x) * i1 - over_x
    return d0 * np.cos(x) - i0 * np.sin(x) + 2 * i1 * d1


def test_tier1_values_and_gradients():
    from fluxion._src.codegen import tier1

    vg = fluxion.value_and_grad(_value)
    graph = fluxion.jit(vg, tier=0).lower(FINITE).graph
    assert tier1.lowerable(graph) == []
    v, g = tier1.compile_numba(graph, "bessel_test").fn(FINITE)
    want_v = np.sum(sc.i0e(FINITE) * np.cos(FINITE)) + np.sum(sc.i1e(FINITE) ** 2)
    assert v == pytest.approx(want_v, rel=1e-14)
    np.testing.assert_allclose(g, _want_grad(FINITE), rtol=1e-13, atol=1e-300)
    # the elementwise values alone, infinities included
    f = fluxion.jit(lambda x: (fsp.i0e(x), fsp.i1e(x)), tier=1)
    got0, got1 = f(AWKWARD)
    assert f.tier == 1, f.tier_info()
    np.testing.assert_array_equal(got0, sc.i0e(AWKWARD))
    np.testing.assert_array_equal(got1, sc.i1e(AWKWARD))


def test_tape_values_and_gradients(compiled_nuts_cache):
    from fluxion._src.codegen import tape

    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", compiled_nuts_cache)
    try:
        machine = tape.load_machine()
        graph = fluxion.jit(fluxion.value_and_grad(_value), tier=0).lower(FINITE).graph
        encoded, why = tape.encode(graph)
        assert encoded is not None, why
        v, g = tape.run(encoded, machine, FINITE)
    finally:
        fluxion.config.update("cache_dir", old)
    want_v = np.sum(sc.i0e(FINITE) * np.cos(FINITE)) + np.sum(sc.i1e(FINITE) ** 2)
    assert v == pytest.approx(want_v, rel=1e-14)
    np.testing.assert_allclose(g, _want_grad(FINITE), rtol=1e-13, atol=1e-300)


def test_eager_gradient_agrees_with_central_differences_across_the_split():
    x = np.array([-8.3, -7.7, -0.4, 0.3, 7.9, 8.1, 30.0])
    g = fluxion.grad(lambda t: fnp.sum(fsp.i0e(t) + fsp.i1e(t)))(x)
    eps = 1e-6
    fd = (sc.i0e(x + eps) + sc.i1e(x + eps) - sc.i0e(x - eps) - sc.i1e(x - eps)) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-7)


def test_von_mises_log_density_encodes_for_the_compiled_nuts():
    # its normalizer log(2 pi i0e(kappa)) + kappa kept it off the tape before i0e had a formula
    import fluxion.distributions as fd
    import fluxion.scipy.stats as fst
    from fluxion._src.codegen import tape

    data = np.array([0.4, 1.3, -2.2])

    def by_stats(p):
        return fnp.sum(fst.vonmises.logpdf(data, fnp.exp(p[0]), loc=p[1]))

    def by_distribution(p):
        return fnp.sum(fd.VonMises(p[1], fnp.exp(p[0])).log_prob(data))

    theta = np.array([0.3, 0.1])
    for fn in (by_stats, by_distribution):
        for f in (fn, fluxion.grad(fn)):
            encoded, why = tape.encode(fluxion.jit(f, tier=0).lower(theta).graph)
            assert encoded is not None, why


# --------------------------------------------------------------------------------------------
# ive of integer order (Skellam's log-mass)
# --------------------------------------------------------------------------------------------

IVE_X = np.array([1e-300, 1e-10, 1e-3, 0.5, 2.0, 7.9, 8.1, 20.0, 39.9, 40.1, 100.0, 700.0, 5e3,
                  1e6, -0.7, -3.0, -50.0, 0.0, np.inf])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 15, 30, -1, -4])
def test_ive_integer_formula_matches_scipy(n):
    # ive's scalar formula (any real order: prims/special_more.bessel_ik_scalar; more in
    # tests/test_bessel_ik_compiled.py) at integer orders
    from fluxion._src.prims.special_more import bessel_ik_scalar

    for x in IVE_X:
        want = sc.ive(n, x)
        got = bessel_ik_scalar(float(n), float(x), 0, 1)
        # SciPy's own error reaches ~1e-13 at tiny x and order 15 (checked against mpmath)
        if np.isnan(want):  # SciPy: ive(v, inf) is NaN
            assert np.isnan(got), (n, x)
            continue
        assert abs(got - want) <= 1e-13 * abs(want) or (want == 0 and got == 0), (n, x)
    assert np.isnan(bessel_ik_scalar(2.0, float("nan"), 0, 1))


def test_ive_lowers_for_every_order():
    from fluxion._src.codegen import tape, tier1

    x = np.array([0.5, 3.0, 45.0])
    for order in (np.array([2.0, 0.0, 7.0]), np.array([2.5, 0.0, 7.0])):
        graph = fluxion.jit(lambda t, v=order: fnp.sum(fsp.ive(v, t)), tier=0).lower(x).graph
        assert tier1.lowerable(graph) == [] and tape.encode(graph)[0] is not None
    # an order passed at run time as well
    graph = fluxion.jit(lambda v, t: fnp.sum(fsp.ive(v, t)), tier=0).lower(
        np.array([2.0, 0.5, 7.0]), x).graph
    assert tier1.lowerable(graph) == [] and tape.encode(graph)[0] is not None


def test_ive_integer_order_tier1_values_and_gradients():
    from fluxion._src.codegen import tier1

    orders = np.array([[0.0], [1.0], [3.0], [-6.0]])
    x = np.array([-45.0, -2.0, 0.3, 7.5, 8.5, 39.0, 41.0, 300.0])

    def f(t):
        return fnp.sum(fnp.cos(t) * fsp.ive(orders, t))

    vg = fluxion.value_and_grad(f)
    want_v, want_g = vg(x)
    graph = fluxion.jit(vg, tier=0).lower(x).graph
    assert tier1.lowerable(graph) == []
    v, g = tier1.compile_numba(graph, "ive_test").fn(x)
    assert v == pytest.approx(want_v, rel=1e-13)
    np.testing.assert_allclose(g, want_g, rtol=1e-12, atol=1e-300)
