"""d I_x(a, b) / da and d I_x(a, b) / db (the primitives ``betainc_da``, ``betainc_db``: the
derivatives of betainc / betaincc in the shape parameters) in the compiled backends: their scalar
formula (``prims/special_incomplete.betainc_dparam_scalar``: the small-``a`` series, the odd-part
continued fraction and the Gauss-Legendre step near the mean of ``betainc_pq_scalar``,
differentiated in forward mode) run through jit tier 1 and the tape machine against the NumPy
impl ``betainc_dab_values``, mpmath and closed forms, the edges, gradients in the shape
parameters compiled, and a left-censored Student-t regression with unknown degrees of freedom
sampled on the compiled chain.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fsp
import fluxion.scipy.stats as fst
from fluxion._src.codegen import lowering
from fluxion._src.prims import special_incomplete as si

numba = pytest.importorskip("numba")

# a, b in [1e-3, 1e4] (15 log-spaced values each, every pair) x x in {1e-300, 1e-100,
# [1e-30, 0.1] (12 log-spaced), [0.2, 0.8] (4), 1 - [1e-12, 1e-2] (6 log-spaced)}, and for each
# pair x at the switch (a + 1) / (a + b + 2), 1e-3 either side of it, at the mean minus one
# standard deviation and plus two
_P = np.logspace(-3, 4, 15)
_X = np.concatenate([[1e-300, 1e-100], np.logspace(-30, -1, 12), np.linspace(0.2, 0.8, 4),
                     1.0 - np.logspace(-2, -12, 6)])
_PA, _PB = (p.ravel() for p in np.meshgrid(_P, _P, indexing="ij"))
_SWITCH = (_PA + 1.0) / (_PA + _PB + 2.0)
_MEAN = _PA / (_PA + _PB)
_SD = np.sqrt(_PA * _PB / (_PA + _PB) ** 3)
_NEAR = np.clip(np.concatenate([_SWITCH * (1 + 1e-3), _SWITCH * (1 - 1e-3), _SWITCH,
                                _MEAN - _SD, _MEAN + 2 * _SD]), 1e-300, 1.0 - 1e-16)
GRID_A = np.concatenate([np.repeat(_PA, _X.size), np.tile(_PA, 5)])
GRID_B = np.concatenate([np.repeat(_PB, _X.size), np.tile(_PB, 5)])
GRID_X = np.concatenate([np.tile(_X, _PA.size), _NEAR])

# the impl's edges: 0 at x = 0 and x = 1; NaN for NaN and outside 0 < a, b < inf, 0 <= x <= 1
_EDGE = np.array([0.0, -0.0, 1e-300, 0.5, 1.0, 25.0, 1e300, np.inf, np.nan, -1e-300, -1.0])
_EDGE_X = np.array([0.0, -0.0, 1e-300, 0.3, 1.0 - 1e-16, 1.0, 1.0 + 2e-16, np.nan, -1e-300,
                    np.inf])
EDGE_A, EDGE_B, EDGE_X = (v.ravel() for v in np.meshgrid(_EDGE, _EDGE, _EDGE_X, indexing="ij"))


def _both(a, b, x):
    return si.betainc_da(a, b, x), si.betainc_db(a, b, x)


def _run(backend, fn, run_on_tier1, request, *args):
    """The outputs' leaves (a single output: the array) through tier 1 or the tape."""
    if backend == "tier1":
        leaves = fluxion.tree.leaves(run_on_tier1(fn, *args))
    else:
        leaves = list(request.getfixturevalue("run_on_tape")(fn, *args))
    return leaves[0] if len(leaves) == 1 else leaves


def _mpmath_lower(mpmath, p, q, t):
    """I_t(p, q) at mpmath's precision: mpmath.betainc, or for p + q > 1e4 (where its
    hypergeometric series is slow or fails) the continued fraction DLMF 8.17.22 summed by
    mpmath."""
    if p + q <= 1e4:
        try:
            return mpmath.betainc(p, q, 0, t, regularized=True)
        except Exception:  # mpmath's NoConvergence
            pass
    f, c, d = mpmath.mpf(1), mpmath.mpf(1), mpmath.mpf(0)
    eps = mpmath.mpf(2) ** (4 - mpmath.mp.prec)
    for j in range(1, 10**7):
        m = j // 2
        if j % 2:
            e = -(p + m) * (p + q + m) * t / ((p + 2 * m) * (p + 2 * m + 1))
        else:
            e = m * (q - m) * t / ((p + 2 * m - 1) * (p + 2 * m))
        d = 1 / (1 + e * d)
        c = 1 + e / c
        f *= c * d
        if abs(c * d - 1) < eps:
            break
    log_front = p * mpmath.log(t) + q * mpmath.log1p(-t) - mpmath.log(p * mpmath.beta(p, q))
    return mpmath.exp(log_front) / f


def _mpmath_d(mpmath, a, b, x, wrt_b):
    """d I_x(a, b) / da (or / db) at 40 digits (more for large a + b): mpmath.diff of I on the
    side x <= (a + 1) / (a + b + 2), of 1 - I = I_(1-x)(b, a) on the other (the smaller one,
    whose digits the derivative keeps)."""
    with mpmath.workdps(40 + max(0, int(math.log10(a + b)))):
        a, b, x = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(x)
        if x <= (a + 1) / (a + b + 2):
            p, q, t, first, sign = a, b, x, not wrt_b, 1
        else:
            p, q, t, first, sign = b, a, 1 - x, wrt_b, -1
        if first:
            return sign * mpmath.diff(lambda v: _mpmath_lower(mpmath, v, q, t), p)
        return sign * mpmath.diff(lambda v: _mpmath_lower(mpmath, p, v, t), q)


def test_the_backends_lower_them_by_the_scalar_formula():
    from fluxion._src.codegen import tape

    for prim in (si.betainc_da_p, si.betainc_db_p):
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula")
        assert prim.name in tape.TERNARY  # the tape machine's three-operand instruction
    # the second derivatives (Hessians only) still run on tier 0
    for prim in (si.betainc_daa_p, si.betainc_dab_p, si.betainc_dbb_p):
        assert not lowering.status("tape", prim)[0]


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_grid_matches_the_numpy_impl(backend, run_on_tier1, request):
    """The 6,525-point grid (both derivatives) through tier 1 and the tape, against
    ``betainc_dab_values``.

    Measured worst relative difference (values above 1e-300): dI/da 7.4e-10 at a = 1e4,
    b = 1e-3, x = 0.9999 (at the switch), where mpmath puts the impl 7.4e-10 off and this formula
    6e-16 (the impl's error near the switch of a large and a small parameter: 2.2e-10 at
    a = 1000, b = 1e-3; 9.6e-11 for dI/db at a = 3.2e-3, b = 1e4 and the mirror points); dI/db
    1.3e-10 at a = 316, b = 31.6, x = 0.1 (dI/db = 3.9e-274: the impl 1.3e-10 off, the formula
    2.5e-13); above |dI| = 1e-5, 9.3e-12 (a = 1e4, b = 0.32, x = 0.99987). So the bounds are
    the impl's accuracy; ``test_subgrid_matches_mpmath`` bounds the formula's.
    """
    got_a, got_b = _run(backend, _both, run_on_tier1, request, GRID_A, GRID_B, GRID_X)
    want_a, want_b = si.betainc_dab_values(GRID_A, GRID_B, GRID_X)
    # I decreases in a and increases in b
    assert np.all(got_a <= 0.0) and np.all(got_b >= 0.0)
    assert np.all(np.isfinite(got_a)) and np.all(np.isfinite(got_b))
    for got, want in ((got_a, want_a), (got_b, want_b)):
        normal = np.abs(want) > 1e-300
        rel = np.abs(got - want)[normal] / np.abs(want[normal])
        assert np.max(np.abs(got - want)[~normal], initial=0.0) <= 1e-300
        assert rel.max() <= 2e-9, rel.max()
        assert rel[np.abs(want[normal]) > 1e-5].max() <= 2e-11


def _subgrid(full):
    """a, b at the switches between the methods (1/2, 10, 1000) and around them, x at fixed
    points, at the switch, just below it, at the mean minus one and plus two standard
    deviations; and points near the mean of a, b from 2e3 to 1e5 (the Gauss-Legendre step).
    ``full``: 688 points (9 values of a and b, 24 near the mean); else 271 (6 values, 8)."""
    if full:
        values = [1e-3, 0.05, 0.45, 0.55, 2.5, 9.5, 10.5, 150.0, 2500.0]
        large, z_values = ((2e3, 1.5e3), (1e4, 1.2e3), (3e3, 1e5)), (-5.0, -3.01, -2.99, -1.0,
                                                                    0.0, 0.4, 1.5, 4.0)
    else:
        values = [1e-3, 0.45, 0.55, 9.5, 10.5, 2500.0]
        large, z_values = ((2e3, 1.5e3), (1e4, 1.2e3)), (-3.01, -2.99, 0.0, 1.5)
    points = []
    for a in values:
        for b in values:
            s = a + b
            switch = (a + 1.0) / (s + 2.0)
            mean, sd = a / s, math.sqrt(a * b / s**3)
            for x in (1e-20, 0.01, 0.3, 0.7, 0.999, switch, switch * (1.0 - 1e-3),
                      mean - sd, mean + 2.0 * sd):
                if 0.0 < x < 1.0:
                    points.append((a, b, x))
    for a, b in large:
        mean, sd = a / (a + b), math.sqrt(a * b / (a + b) ** 3)
        for z in z_values:
            points.append((a, b, mean + z * sd))
    return np.array(points).T


@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_subgrid_matches_mpmath(full, run_on_tier1):
    """Both derivatives on ``_subgrid`` through tier 1 against mpmath (``mpmath.diff`` of I or
    1 - I at 40 digits).

    Measured on the full subgrid (1,220 values with |dI| > 1e-300): worst relative error
    1.4e-13 at a = 2500, b = 150, x = 0.999 (dI/da = -3.3e-204: a few ulps of the exponent of
    the prefactor, as for I itself); above |dI| = 1e-20, 1.8e-14 (dI/db at a = 0.55, b = 150,
    x = 0.01: d log I / db = (log front)' - (log f)' cancels by a factor 6 there). The impl
    ``betainc_dab_values`` is 3.0e-10 off at worst on the same points (dI/db = 1.5e-7 at
    a = 1e-3, b = 2500, x at the switch), 1.0e-12 above |dI| = 1e-5.
    """
    mpmath = pytest.importorskip("mpmath")
    a, b, x = _subgrid(full)
    got_a, got_b = run_on_tier1(_both, a, b, x)
    worst, worst_moderate = 0.0, 0.0
    for wrt_b, got in ((False, got_a), (True, got_b)):
        for ai, bi, xi, gi in zip(a, b, x, got):
            exact = _mpmath_d(mpmath, ai, bi, xi, wrt_b)
            if abs(exact) > mpmath.mpf("1e-300"):
                err = float(abs(mpmath.mpf(gi) / exact - 1))
                worst = max(worst, err)
                if abs(exact) > 1e-20:
                    worst_moderate = max(worst_moderate, err)
            else:
                assert abs(gi - float(exact)) <= 1e-300
    assert worst <= 5e-13 and worst_moderate <= 5e-14, (worst, worst_moderate)


def test_closed_forms(run_on_tier1):
    """I_x(a, 1) = x^a, so dI/da = x^a log x; I_x(1, b) = 1 - y^b with y = 1 - x, so
    dI/db = -y^b log y (y dyadic, so x = 1 - y is exact); a = b = N at x = 1/2:
    dI/da = -dI/db = -(1 / sqrt(4 pi N)) (1 + O(1/N)) by the normal limit (the mean
    a / (a + b) moves by 1 / (4 N) per unit of a, the standard deviation is 1 / sqrt(8 N)),
    checked to 3/N (and rounding) at N = 1e8, 1e15 (the Gauss-Legendre step) and 1e35 (the
    normal CDF).

    Measured worst relative errors: 1.2e-13 for dI/da (x^a log x = -3.6e-248 at a = 5.6e4,
    x = 0.99: a few ulps of the exponent), 1.0e-13 for dI/db; 5.1e-15 where the value is above
    1e-20."""
    a = np.logspace(-4, 5, 37)
    x = np.array([1e-200, 1e-9, 0.001, 0.1, 0.5, 0.75, 0.99])
    aa, xx = (v.ravel() for v in np.meshgrid(a, x, indexing="ij"))
    # (_both throughout: one kernel, compiled once for the session's tests)
    got = run_on_tier1(_both, aa, np.ones_like(aa), xx)[0]
    want = xx**aa * np.log(xx)
    normal = np.abs(want) > 1e-300
    np.testing.assert_allclose(got[normal], want[normal], rtol=2e-13)
    assert np.all(np.abs(got[~normal]) <= 1e-300)
    y = np.array([2.0**-40, 2.0**-20, 2.0**-7, 0.125, 0.375, 0.5, 0.875, 1 - 2.0**-10])
    bb, yy = (v.ravel() for v in np.meshgrid(a, y, indexing="ij"))
    got = run_on_tier1(_both, np.ones_like(bb), bb, 1.0 - yy)[1]
    want = -(yy**bb) * np.log(yy)
    normal = np.abs(want) > 1e-300
    np.testing.assert_allclose(got[normal], want[normal], rtol=2e-13)
    assert np.all(np.abs(got[~normal]) <= 1e-300)
    n = np.array([1e8, 1e15, 1e35])
    got_a, got_b = run_on_tier1(_both, n, n, np.full(3, 0.5))
    assert np.all(np.abs(got_a * np.sqrt(4.0 * np.pi * n) + 1.0) <= 3.0 / n + 1e-15), got_a
    np.testing.assert_allclose(got_b, -got_a, rtol=1e-15)


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_edges_are_the_impls(backend, run_on_tier1, request):
    if backend == "eager-formula":  # the helpers as plain Python
        got_a, got_b = (np.array([si.betainc_dparam_scalar(float(a), float(b), float(x), wrt_b)
                                  for a, b, x in zip(EDGE_A, EDGE_B, EDGE_X)])
                        for wrt_b in (False, True))
    else:
        got_a, got_b = _run(backend, _both, run_on_tier1, request, EDGE_A, EDGE_B, EDGE_X)
    with np.errstate(all="ignore"):  # the impl's continued fraction at a, b = 1e300
        want_a, want_b = si.betainc_dab_values(EDGE_A, EDGE_B, EDGE_X)
    inside = ((EDGE_A > 0) & (EDGE_A < np.inf) & (EDGE_B > 0) & (EDGE_B < np.inf)
              & (EDGE_X > 0) & (EDGE_X < 1))
    for got, want in ((got_a, want_a), (got_b, want_b)):
        np.testing.assert_array_equal(got[~inside], want[~inside])
    # between, the impl's values to its accuracy where it has them: it is NaN at a or b = 1e300
    # (its continued fraction overflows), -inf at a = b = 1e-300 and loses the values of order
    # 1e-300 of a shape parameter 1e-300 (0, or 1.1e-16 from 1 - I)
    huge = (EDGE_A == 1e300) | (EDGE_B == 1e300)
    tiny = (EDGE_A == 1e-300) | (EDGE_B == 1e-300)
    keep = inside & ~huge & ~tiny
    np.testing.assert_allclose(got_a[keep], want_a[keep], rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(got_b[keep], want_b[keep], rtol=1e-13, atol=1e-300)
    # there the limits: far from the mean of huge parameters I is flat (0); at a = b = e -> 0,
    # I -> b / (a + b), so dI/da -> -b / (a + b)^2 = -1 / (4 e); at a -> 0, dI/da -> the
    # derivative of the gamma limit -a E_1(b x) (x = 1e-300, b = 1e300: -E_1(1)); at b -> 0,
    # dI/db -> int_0^x t^(a-1) / (1 - t) dt (b ~ 1e-300: its I is subnormal, 2.4e-10 of
    # rounding at a = 25)
    values = {(ai, bi, xi): (ga, gb) for ai, bi, xi, ga, gb
              in zip(EDGE_A[inside], EDGE_B[inside], EDGE_X[inside], got_a[inside],
                     got_b[inside])}
    assert all(values[(1e300, b, x)] == (0.0, 0.0) for b in (0.5, 25.0, 1e300) for x in (1e-300,
                                                                                        0.3))
    assert all(values[(a, 1e300, x)] == (0.0, 0.0) for a in (0.5, 25.0) for x in (0.3, 1 - 1e-16))
    assert values[(1e-300, 1e-300, 0.3)][0] == pytest.approx(-2.5e299, rel=1e-15)
    assert values[(1e-300, 1e300, 1e-300)][0] == pytest.approx(-sc.exp1(1.0), rel=1e-14)
    assert values[(25.0, 1e-300, 0.3)][1] == pytest.approx(4.764265446687840e-15, rel=1e-9)
    # dI/db = -a int_x^1 t^-1 (1 - t)^(b-1) log(1 - t) dt + O(a^2) at a -> 0 (mpmath.quad)
    assert values[(1e-300, 0.5, 0.3)][1] == pytest.approx(4.578756066949710e-300, rel=1e-14)


def test_every_loop_ends_and_the_value_is_sane_on_awkward_inputs():
    # huge parameters near and away from the mean, tiny ones, x at the switches and next to the
    # ends; every loop is bounded and short, so each returns at once
    cases = [(1e15, 1e15, 0.5 + 1e-8), (1e15, 3e15, 0.25), (3e13, 2e16, 0.0015), (1e10, 10.0,
             1.0 - 1e-9), (10.0, 1e10, 1e-9), (0.3, 1e10, 3e-11), (1e35, 3e35, 0.25),
             (1e300, 1e300, 0.5), (1e-300, 1e-300, 0.5), (5e-324, 0.5, 0.3), (0.5, 0.5, 5e-324),
             (0.5, 0.5, 1.0 - 1e-16), (1e4, 1e-3, 0.9999), (0.5, 2000.0, (1.5) / 2002.5),
             (0.55, 2000.0, 1.55 / 2002.55), (1000.0, 1000.0, 0.5), (999.99, 1000.0, 0.5)]
    for a, b, x in cases:
        da = si.betainc_dparam_scalar(a, b, x, False)
        db = si.betainc_dparam_scalar(a, b, x, True)
        assert math.isfinite(da) and math.isfinite(db) and da <= 0.0 <= db, (a, b, x, da, db)
    # the symmetry I_x(a, b) = 1 - I_(1-x)(b, a) (x dyadic, so 1 - x is exact) on both sides
    # of the switch and near the mean of large parameters
    for a, b, x in [(2.5, 7.0, 0.25), (0.3, 40.0, 0.0078125), (3e3, 1e3, 0.75), (1e5, 2e3,
                    0.98046875), (12.0, 0.2, 0.9375)]:
        assert si.betainc_dparam_scalar(a, b, x, False) == pytest.approx(
            -si.betainc_dparam_scalar(b, a, 1.0 - x, True), rel=1e-14)
    # the impl agrees where it is accurate
    for a, b, x in [(2.5, 7.0, 0.25), (0.3, 40.0, 0.0078125), (3e3, 1e3, 0.75), (12.0, 0.2, 0.9)]:
        want = si.betainc_dab_values(a, b, x)
        assert si.betainc_dparam_scalar(a, b, x, False) == pytest.approx(float(want[0]),
                                                                          rel=1e-13)
        assert si.betainc_dparam_scalar(a, b, x, True) == pytest.approx(float(want[1]), rel=1e-13)


# gradients in the shape parameters (and x) of functions of I and 1 - I
_GRAD_B = np.array([0.3, 2.0, 7.5, 40.0, 1.5, 1200.0, 0.05, 3.0])
_GRAD_X = np.array([0.2, 0.6, 0.05, 0.7, 0.999, 0.45, 0.5, 0.01])


def _shape_model(a):
    return fnp.sum(fsp.betainc(a, _GRAD_B, _GRAD_X) * fnp.cos(a)) + fnp.sum(
        fnp.log(fsp.betaincc(_GRAD_B, a, 1.0 - _GRAD_X))
    )


def _abx_model(a, b, x):
    return fnp.sum(fnp.log(fsp.betainc(a, b, x)) + fsp.betaincc(2.0 * a, b, x) ** 2)


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_gradients_in_the_shape_match_eager(backend, run_on_tier1, request):
    a = np.array([0.02, 0.4, 3.0, 12.0, 800.0, 1100.0, 0.7, 0.2])
    vg = fluxion.value_and_grad(_shape_model)
    want_value, want_grad = vg(a)
    # the rule itself: dI/da from betainc_da, d(1 - I_y(b, a))/da = -dI_y(b, a)/db
    da = si.betainc_dab_values(a, _GRAD_B, _GRAD_X)[0]
    db_swapped = si.betainc_dab_values(_GRAD_B, a, 1.0 - _GRAD_X)[1]
    value = sc.betainc(a, _GRAD_B, _GRAD_X)
    tail = sc.betaincc(_GRAD_B, a, 1.0 - _GRAD_X)
    np.testing.assert_allclose(want_grad, da * np.cos(a) - value * np.sin(a) - db_swapped / tail,
                               rtol=1e-13)
    # and central differences of SciPy's values (step 1e-6 relative)
    h = 1e-6 * a
    fd = (sc.betainc(a + h, _GRAD_B, _GRAD_X) * np.cos(a + h)
          - sc.betainc(a - h, _GRAD_B, _GRAD_X) * np.cos(a - h)
          + np.log(sc.betaincc(_GRAD_B, a + h, 1.0 - _GRAD_X))
          - np.log(sc.betaincc(_GRAD_B, a - h, 1.0 - _GRAD_X))) / (2.0 * h)
    np.testing.assert_allclose(want_grad, fd, rtol=1e-6)
    value, grad = _run(backend, vg, run_on_tier1, request, a)
    assert value == pytest.approx(want_value, rel=1e-13)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12)
    # every argument at once
    vg3 = fluxion.value_and_grad(_abx_model, argnums=(0, 1, 2))
    a3 = np.array([0.3, 2.0, 25.0, 120.0])
    b3 = np.array([4.0, 0.6, 30.0, 2500.0])
    x3 = np.array([0.05, 0.8, 0.45, 0.05])
    want_value, want_grads = vg3(a3, b3, x3)
    value, *grads = _run(backend, vg3, run_on_tier1, request, a3, b3, x3)
    assert value == pytest.approx(want_value, rel=1e-13)
    # (the x-gradient at a = 120, b = 2500, x = 0.05 differs by 3.2e-12: eager is 3.2e-12 off
    # mpmath there, tier 1 4.8e-14; the density's prefactor, not the shape derivatives)
    for got, want, rtol in zip(grads, want_grads, (1e-12, 1e-12, 1e-11)):
        np.testing.assert_allclose(got, want, rtol=rtol)


def _stats_model(params):
    # scipy.stats' t (its cdf is betainc in df / 2 and in the other shape) and beta
    df = fnp.exp(params[0])
    a, b = fnp.exp(params[1]), fnp.exp(params[2])
    t_part = fnp.sum(fst.t.logcdf(np.array([-2.5, -0.4, 0.3, 1.8]), df))
    beta_part = fnp.sum(fst.beta.logcdf(np.array([0.1, 0.35, 0.8]), a, b))
    return t_part + beta_part


def test_scipy_stats_t_and_beta_cdfs_differentiate_in_the_shapes_at_tier1(run_on_tier1):
    params = np.array([np.log(4.0), np.log(2.5), np.log(6.0)])
    vg = fluxion.value_and_grad(_stats_model)
    want_value, want_grad = vg(params)
    assert want_value == pytest.approx(
        np.sum(st.t.logcdf([-2.5, -0.4, 0.3, 1.8], 4.0))
        + np.sum(st.beta.logcdf([0.1, 0.35, 0.8], 2.5, 6.0)), rel=1e-12)
    h = 1e-6
    fd = [(_stats_model(params + h * e) - _stats_model(params - h * e)) / (2 * h)
          for e in np.eye(3)]
    np.testing.assert_allclose(want_grad, fd, rtol=1e-7)
    value, grad = run_on_tier1(vg, params)
    assert value == pytest.approx(want_value, rel=1e-13)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12)


# A left-censored Student-t regression with unknown degrees of freedom nu: y = b0 + b1 z + 0.8 t_nu,
# values below 0 recorded as "below 0". x = (b0, b1, log nu). The censored terms are
# log P(Y < 0) = log F_nu(-mu / 0.8), Student's CDF by betainc in nu / 2 (and in the other
# shape, see scipy.stats.t here): its gradient in nu differentiates betainc in its shape
_Z = np.linspace(-1.0, 1.0, 30)
_Y = np.array([1.57, -1.19, -0.83, -0.8, -1.45, -0.44, -0.19, -0.6, 1.85, 1.34, 0.75, 1.11,
               0.48, -0.56, 1.4, 1.6, 1.04, 0.08, 1.3, 0.96, -1.71, 4.48, 1.49, 0.29, 2.53, 0.49,
               1.9, 0.74, 4.06, 1.44])  # 0.5 + 1.2 z + 0.8 t_4, seeded
_SCALE = 0.8
_SEEN = _Y >= 0.0
_LOG_NU_PRIOR = (math.log(5.0), 1.0)


def _censored_t_log_prob(x):
    nu = fnp.exp(x[2])
    mu = x[0] + x[1] * _Z
    seen = fst.t.logpdf(_Y[_SEEN], nu, loc=mu[_SEEN], scale=_SCALE)
    below = fst.t.logcdf(0.0, nu, loc=mu[~_SEEN], scale=_SCALE)
    prior = -0.5 * ((x[0] / 5.0) ** 2 + (x[1] / 5.0) ** 2
                    + ((x[2] - _LOG_NU_PRIOR[0]) / _LOG_NU_PRIOR[1]) ** 2)
    return fnp.sum(seen) + fnp.sum(below) + prior


def _posterior_moments():
    """Posterior means and sds of (b0, b1, log nu) by quadrature on a grid (scipy.stats.t)."""
    axes = (np.linspace(-0.7, 2.0, 46), np.linspace(-1.0, 3.5, 46), np.linspace(-1.5, 5.0, 46))
    b0, b1, log_nu = np.meshgrid(*axes, indexing="ij")
    nu = np.exp(log_nu)[..., None]
    mu = b0[..., None] + b1[..., None] * _Z
    log_post = np.where(_SEEN, st.t.logpdf(_Y, nu, loc=mu, scale=_SCALE),
                        st.t.logcdf(0.0, nu, loc=mu, scale=_SCALE)).sum(axis=-1)
    log_post -= 0.5 * ((b0 / 5.0) ** 2 + (b1 / 5.0) ** 2
                       + ((log_nu - _LOG_NU_PRIOR[0]) / _LOG_NU_PRIOR[1]) ** 2)
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    # the grid holds the posterior: under 1e-4 of the mass on its faces
    assert max(w[0].sum(), w[-1].sum(), w[:, 0].sum(), w[:, -1].sum(), w[:, :, 0].sum(),
               w[:, :, -1].sum()) < 1e-4
    grids = (b0, b1, log_nu)
    means = np.array([np.sum(g * w) for g in grids])
    sds = np.sqrt(np.array([np.sum((g - m) ** 2 * w) for g, m in zip(grids, means)]))
    return means, sds


@pytest.mark.parametrize("potential", ["tape", "kernel"])
def test_a_censored_student_t_regression_with_unknown_df_samples_on_the_compiled_chain(
    potential, request
):
    # before the scalar formulas, betainc_da / betainc_db kept the potential's gradient off the
    # tape and the kernel: the sampler called the model back in Python and warned
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    x0 = np.array([0.5, 1.0, 1.5])
    # the model is scipy.stats' censored likelihood
    np.testing.assert_allclose(
        _censored_t_log_prob(x0),
        np.sum(st.t.logpdf(_Y[_SEEN], np.exp(1.5), loc=(0.5 + _Z)[_SEEN], scale=_SCALE))
        + np.sum(st.t.logcdf(0.0, np.exp(1.5), loc=(0.5 + _Z)[~_SEEN], scale=_SCALE))
        - 0.5 * (0.01 + 0.04 + (1.5 - math.log(5.0)) ** 2), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(
            _censored_t_log_prob, x0, chains=2, draws=300, warmup=300, seed=5, progress=False,
        )
    assert result.compiled == "chain" and result.potential == potential
    means, sds = _posterior_moments()
    draws = np.asarray(result.draws["x"]).reshape(-1, 3)
    # within 4 Monte-Carlo standard errors (an effective sample size of 150 of the 600 draws)
    assert np.all(np.abs(draws.mean(axis=0) - means) < 4 * sds / np.sqrt(150)), (
        draws.mean(axis=0), means, sds)
