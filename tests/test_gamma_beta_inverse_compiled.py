"""The inverses of the incomplete gamma and beta functions (gammaincinv, gammainccinv,
betaincinv, betainccinv) and ndtri_exp in the compiled backends: their scalar formulas (a
starting value and Halley steps in ``log x`` / ``logit x`` on the scalar formulas of P, Q and
I, bracketed; ``prims/special_incomplete.py``) through jit tier 1 and the tape machine against
mpmath and SciPy, SciPy's edge values, the gradients in the probability (and in the shape of
the gamma inverse) compiled, and a model written through quantile transforms sampled on the
compiled chain.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fsp
from fluxion._src.codegen import lowering
from fluxion._src.prims import special_incomplete as si

numba = pytest.importorskip("numba")

_PRIMS = (si.gammaincinv_p, si.gammainccinv_p, si.betaincinv_p, si.betainccinv_p,
          si.ndtri_exp_p)

# the gamma grid: a in [1e-3, 1e5] x probabilities from 1e-300 to 1 - 1e-16 (both functions)
_GA = np.logspace(-3, 5, 17)
_GY = np.array([1e-300, 1e-100, 1e-20, 1e-5, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-5, 1 - 1e-10,
                1 - 1e-16])
GAMMA_A = np.repeat(_GA, _GY.size)
GAMMA_Y = np.tile(_GY, _GA.size)

# the beta grid: a, b in [1e-3, 1e3] x probabilities from 1e-300 to 1 - 1e-8
_BP = np.array([1e-3, 0.1, 0.5, 1.0, 3.0, 30.0, 1e3])
_BY = np.array([1e-300, 1e-50, 1e-8, 0.01, 0.3, 0.5, 0.9, 1 - 1e-8])
BETA_A, BETA_B, BETA_Y = (v.ravel() for v in np.meshgrid(_BP, _BP, _BY, indexing="ij"))


def _run(backend, fn, run_on_tier1, request, *args):
    """The outputs' leaves (a single output: the array) through tier 1 or the tape."""
    if backend == "tier1":
        leaves = fluxion.tree.leaves(run_on_tier1(fn, *args))
    else:
        leaves = list(request.getfixturevalue("run_on_tape")(fn, *args))
    return leaves[0] if len(leaves) == 1 else leaves


def _gamma_pair(a, y):
    return fsp.gammaincinv(a, y), fsp.gammainccinv(a, y)


def _beta_pair(a, b, y):
    return fsp.betaincinv(a, b, y), fsp.betainccinv(a, b, y)


def test_the_backends_lower_them_by_their_scalar_formulas():
    for prim in _PRIMS:
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula"), prim.name


# --- mpmath references: Newton's method at 40 digits from the float value -------------------


def _mpmath_gamma_inverse(mpmath, a, y, upper, x0):
    """x with P(a, x) = y (Q for ``upper``) by Newton steps in log x on log P (log Q)."""
    with mpmath.workdps(40):
        a_, y_ = mpmath.mpf(a), mpmath.mpf(y)
        lower = (1 - y_ if upper else y_) <= 0.5
        target = mpmath.log((1 - y_ if upper else y_) if lower else (y_ if upper else 1 - y_))
        t = mpmath.log(mpmath.mpf(x0))
        for _ in range(50):
            x = mpmath.exp(t)
            with mpmath.workdps(40 + int(abs(float(target)) / 2.3)):
                p = mpmath.gammainc(a_, 0, x, regularized=True)
                value = p if lower else 1 - p
            step = (mpmath.log(value) - target) * value / mpmath.exp(
                a_ * t - x - mpmath.loggamma(a_))
            t = t - step if lower else t + step
            if abs(step) < mpmath.mpf(10) ** -35:
                return mpmath.exp(t)
        raise AssertionError((a, y, upper))


def _mpmath_beta_inverse(mpmath, a, b, y, upper, x0):
    """x with I_x(a, b) = y (1 - I for ``upper``) by Newton steps in logit x."""
    with mpmath.workdps(40):
        a_, b_, y_ = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(y)
        p, q = (1 - y_, y_) if upper else (y_, 1 - y_)
        lower = p <= 0.5
        target = mpmath.log(p if lower else q)
        x = mpmath.mpf(x0)
        u = mpmath.log(x) - mpmath.log(1 - x)
        log_beta = mpmath.log(mpmath.beta(a_, b_))
        for _ in range(50):
            x, w = 1 / (1 + mpmath.exp(-u)), 1 / (1 + mpmath.exp(u))
            with mpmath.workdps(40 + int(abs(float(target)) / 2.3)):
                if x <= 0.5:
                    i = mpmath.betainc(a_, b_, 0, x, regularized=True)
                else:
                    i = 1 - mpmath.betainc(b_, a_, 0, w, regularized=True)
                value = i if lower else 1 - i
            step = (mpmath.log(value) - target) * value / mpmath.exp(
                a_ * mpmath.log(x) + b_ * mpmath.log(w) - log_beta)
            u = u - step if lower else u + step
            if abs(step) < mpmath.mpf(10) ** -35:
                return 1 / (1 + mpmath.exp(-u))
        raise AssertionError((a, b, y, upper))


def _gamma_check(mpmath, a_values, y_values, got_p, got_q):
    """Worst relative error against mpmath (all points, and those with a > 0.1); roots below
    1e-305 must be below 1e-300 in SciPy too (underflow: 0 or a subnormal)."""
    worst, worst_above = 0.0, 0.0
    for got, upper in ((got_p, False), (got_q, True)):
        for a, y, g in zip(a_values, y_values, got):
            if g < 1e-305:
                want = (sc.gammainccinv if upper else sc.gammaincinv)(a, y)
                assert want < 1e-300 and g < 1e-300, (a, y, upper, g, want)
                continue
            exact = _mpmath_gamma_inverse(mpmath, a, y, upper, g)
            err = float(abs(mpmath.mpf(g) / exact - 1))
            worst = max(worst, err)
            if a > 0.1:
                worst_above = max(worst_above, err)
    return worst, worst_above


def _beta_check(mpmath, a_values, b_values, y_values, got_i, got_c):
    """Worst relative error against mpmath (all points, and those with a >= 0.1) where the
    root is above 1e-305 and below 1."""
    worst, worst_above = 0.0, 0.0
    for got, upper in ((got_i, False), (got_c, True)):
        for a, b, y, g in zip(a_values, b_values, y_values, got):
            if g < 1e-305 or g == 1.0:
                continue
            exact = _mpmath_beta_inverse(mpmath, a, b, y, upper, g)
            err = float(abs(mpmath.mpf(g) / exact - 1))
            worst = max(worst, err)
            if a >= 0.1:
                worst_above = max(worst_above, err)
    return worst, worst_above


# small grids for the quick tests: the switches of the starting values and the tails
_SMALL_GA = np.array([1e-3, 0.05, 0.5, 1.0, 4.0, 25.0, 1e3])
_SMALL_GY = np.array([1e-300, 1e-30, 0.02, 0.5, 0.97, 1 - 1e-12])
_SMALL_BP = np.array([1e-3, 0.3, 2.0, 40.0, 1e3])
_SMALL_BY = np.array([1e-200, 1e-6, 0.4, 0.9])


def test_the_gamma_inverses_match_mpmath_on_a_small_grid(run_on_tape):
    """42 points, both functions (76 roots above 1e-305). Measured worst relative error
    1.6e-14 (gammaincinv(0.5, 1e-30) = 7.9e-61); SciPy's 5.7e-13 (gammaincinv(1e-3, 0.5) =
    5.2e-302)."""
    mpmath = pytest.importorskip("mpmath")
    a, y = np.repeat(_SMALL_GA, _SMALL_GY.size), np.tile(_SMALL_GY, _SMALL_GA.size)
    worst, worst_above = _gamma_check(mpmath, a, y, *run_on_tape(_gamma_pair, a, y))
    assert worst <= 5e-14 and worst_above <= 5e-14, (worst, worst_above)


def test_the_beta_inverses_match_mpmath_on_a_small_grid(run_on_tape):
    """100 points, both functions (134 roots in (1e-305, 1)). Measured worst relative error
    3.0e-14 (a = b = 1e-3, p = 0.4, x = 1.2e-97), 2.3e-14 for a >= 0.1; SciPy's 5.0e-13
    (betainccinv(1e-3, 1e3, 0.4) = 8e-226) and 7.5e-14 for a >= 0.1."""
    mpmath = pytest.importorskip("mpmath")
    a, b, y = (v.ravel() for v in np.meshgrid(_SMALL_BP, _SMALL_BP, _SMALL_BY, indexing="ij"))
    worst, worst_above = _beta_check(mpmath, a, b, y, *run_on_tape(_beta_pair, a, b, y))
    assert worst <= 1e-13 and worst_above <= 5e-14, (worst, worst_above)


@pytest.mark.slow
def test_the_gamma_inverses_match_mpmath(run_on_tier1):
    """The 204-point grid, both functions, against mpmath (372 roots above 1e-305; below,
    both give 0 or a subnormal). Measured worst relative error 1.4e-13 (gammainccinv(3.2e-3,
    0.7) = 2.5e-166, where the condition number ``p / (x P'(x)) ~ 1/a`` is 316), SciPy's
    5.7e-13 (gammaincinv(1e-3, 0.5) = 5.2e-302); above a = 0.1, 3.0e-14 both."""
    mpmath = pytest.importorskip("mpmath")
    got_p, got_q = run_on_tier1(_gamma_pair, GAMMA_A, GAMMA_Y)
    worst, worst_above = _gamma_check(mpmath, GAMMA_A, GAMMA_Y, got_p, got_q)
    assert worst <= 3e-13 and worst_above <= 1e-13, (worst, worst_above)


@pytest.mark.slow
def test_the_beta_inverses_match_mpmath(run_on_tier1):
    """The 392-point grid, both functions, against mpmath (562 roots in (1e-305, 1)).
    Measured worst relative error 1.9e-13 at a = b = 1e-3 (p = 0.3, x = 1.4e-222; condition
    number 1/a = 1000), 3.3e-14 for a >= 0.1; SciPy's is 7.8e-2 on the same points
    (betaincinv(1e3, 30, 1e-300)), and it gives 2.2e-308 for roots that underflow (this: 0 or
    the subnormal)."""
    mpmath = pytest.importorskip("mpmath")
    got_i, got_c = run_on_tier1(_beta_pair, BETA_A, BETA_B, BETA_Y)
    worst, worst_above = _beta_check(mpmath, BETA_A, BETA_B, BETA_Y, got_i, got_c)
    assert worst <= 4e-13 and worst_above <= 1e-13, (worst, worst_above)


# --- random points over the whole domain: compiled = eager, and P(a, x) = p to the rounding
# of x (``x P'(x) / p`` is the factor by which an ulp of x moves P relatively)

_RNG = np.random.default_rng(20261208)
_N = 400
RANDOM_GA = 10.0 ** _RNG.uniform(-3, 6, _N)
RANDOM_GY = np.where(_RNG.uniform(size=_N) < 0.4, _RNG.uniform(size=_N),
                     10.0 ** _RNG.uniform(-300, 0, _N))
RANDOM_BA = 10.0 ** _RNG.uniform(-3, 5, _N)
RANDOM_BB = 10.0 ** _RNG.uniform(-3, 5, _N)
RANDOM_BY = np.where(_RNG.uniform(size=_N) < 0.4, _RNG.uniform(size=_N),
                     10.0 ** _RNG.uniform(-300, 0, _N))


def _gamma_residual(a, y, upper, x):
    """|F(x) / target - 1| on the side solved (P where p <= 1/2, else Q), and x F'(x) / F."""
    p, q = (1.0 - y, y) if upper else (y, 1.0 - y)
    lower = p <= 0.5
    value = si.gammainc_pq_scalar(a, x, not lower)
    slope = a * math.exp(si.gammainc_log_prefactor_scalar(a, x)) / value
    return abs(value / (p if lower else q) - 1.0), slope


def _beta_residual(a, b, y, upper, x):
    """The same for I_x(a, b), with x (1 - x) I'(x) / F (the derivative in logit x)."""
    p, q = (1.0 - y, y) if upper else (y, 1.0 - y)
    lower = p <= 0.5
    value = si.betainc_pq_scalar(a, b, x, not lower)
    log_w = (a * math.log(x) + b * math.log1p(-x) - sc.betaln(a, b))
    return abs(value / (p if lower else q) - 1.0), math.exp(log_w) / value


def _allowed(y, upper, slope):
    """The residual allowed: 8 ulps of x times the slope (x F'(x) / F), plus 4 ulps of the
    target's exponent (the formulas' own error, ``e^(-a phi)`` rounded: ``|log F|`` ulps)."""
    target = min(y, 1.0 - y)
    return 8 * 2.2e-16 * slope + 4 * 2.2e-16 * (abs(math.log(target)) + 10.0)


@pytest.mark.parametrize("backend", [pytest.param("tier1", marks=pytest.mark.slow), "tape"])
def test_gamma_inverses_solve_their_equation_everywhere(backend, run_on_tier1, request):
    """400 random (a, y), a in [1e-3, 1e6], y uniform or log-uniform down to 1e-300, both
    functions: the compiled values are the eager formula's (to 1e-12: numba's ``lgamma``
    and ``pow`` differ from CPython's by an ulp, which small ``a`` amplifies by ``1/a``), and
    P(a, x) (or Q) equals the target to within 8 ulps of x times x P'(x) / P plus the
    formula's own error.
    (SciPy, for comparison, is 1e-10 off mpmath at a ~ 6e5-9e5 in the lower tail.)"""
    got_p, got_q = _run(backend, _gamma_pair, run_on_tier1, request, RANDOM_GA, RANDOM_GY)
    for got, upper in ((got_p, False), (got_q, True)):
        eager = np.array([si.gammaincinv_pq_scalar(a, y, upper)
                          for a, y in zip(RANDOM_GA, RANDOM_GY)])
        np.testing.assert_allclose(got, eager, rtol=1e-12, atol=0.0)
        for a, y, x in zip(RANDOM_GA, RANDOM_GY, got):
            assert 0.0 <= x < math.inf, (a, y, upper, x)
            if x < 1e-300:  # underflow: the leading term of the tail, exact there
                continue
            residual, slope = _gamma_residual(a, y, upper, x)
            assert residual <= _allowed(y, upper, slope), (a, y, upper, x, residual, slope)


@pytest.mark.parametrize("backend", [pytest.param("tier1", marks=pytest.mark.slow), "tape"])
def test_beta_inverses_solve_their_equation_everywhere(backend, run_on_tier1, request):
    """400 random (a, b, y), a, b in [1e-3, 1e5], both functions: as for the gamma inverses
    (the slope in logit x, so an ulp of x or of 1 - x)."""
    got_i, got_c = _run(backend, _beta_pair, run_on_tier1, request, RANDOM_BA, RANDOM_BB,
                        RANDOM_BY)
    for got, upper in ((got_i, False), (got_c, True)):
        eager = np.array([si.betaincinv_pq_scalar(a, b, y, upper)
                          for a, b, y in zip(RANDOM_BA, RANDOM_BB, RANDOM_BY)])
        np.testing.assert_allclose(got, eager, rtol=1e-12, atol=0.0)
        for a, b, y, x in zip(RANDOM_BA, RANDOM_BB, RANDOM_BY, got):
            assert 0.0 <= x <= 1.0, (a, b, y, upper, x)
            if x < 1e-300 or x > 1.0 - 1e-16:  # the tails' leading terms (exact there)
                continue
            residual, slope = _beta_residual(a, b, y, upper, x)
            # an ulp of x moves logit x by 2.2e-16 / (1 - x)
            allowed = _allowed(y, upper, slope / (1.0 - x))
            assert residual <= allowed, (a, b, y, upper, x, residual, slope)


# --- SciPy's values at the edges ------------------------------------------------------------

_EDGE_A = np.array([0.0, -0.0, 1e-300, 0.5, 1.0, 25.0, np.inf, np.nan, -1e-300, -1.0, -np.inf])
_EDGE_Y = np.array([0.0, -0.0, 1e-300, 0.3, 1.0 - 1e-16, 1.0, 1.0 + 2e-16, np.nan, -1e-300,
                    np.inf, -np.inf])
GAMMA_EDGE_A = np.repeat(_EDGE_A, _EDGE_Y.size)
GAMMA_EDGE_Y = np.tile(_EDGE_Y, _EDGE_A.size)
_EDGE_B = np.array([0.0, 1e-300, 0.5, 1.0, 25.0, np.inf, np.nan, -1.0])
BETA_EDGE_A, BETA_EDGE_B, BETA_EDGE_Y = (
    v.ravel() for v in np.meshgrid(_EDGE_B, _EDGE_B, _EDGE_Y, indexing="ij"))


def _assert_same(got, want, rtol):
    both_nan = np.isnan(got) & np.isnan(want)
    np.testing.assert_allclose(got[~both_nan], want[~both_nan], rtol=rtol, atol=0.0)


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_gamma_inverse_edges_are_scipys(backend, run_on_tier1, request):
    """NaN for NaN, a < 0 and y outside [0, 1]; 0 where P = 0 is asked for, inf where P = 1;
    NaN for a = 0 and a = inf otherwise. Deliberate differences: SciPy gives 0 for some y
    outside [0, 1] (gammaincinv(0.5, -1e-300), gammainccinv(1e-300, 1 + 2e-16)) and for some
    a = 0 (gammaincinv(0, 1 - 1e-16), gammainccinv(0, 1e-300)); this gives NaN, as SciPy
    does for the other such points."""
    a, y = GAMMA_EDGE_A, GAMMA_EDGE_Y
    if backend == "eager-formula":
        got_p = np.array([si.gammaincinv_pq_scalar(u, v, False) for u, v in zip(a, y)])
        got_q = np.array([si.gammaincinv_pq_scalar(u, v, True) for u, v in zip(a, y)])
    else:
        got_p, got_q = _run(backend, _gamma_pair, run_on_tier1, request, a, y)
    invalid = ~((y >= 0.0) & (y <= 1.0)) | (a < 0.0) | np.isnan(a)
    a_zero_inside = (a == 0.0) & (y > 0.0) & (y < 1.0)
    for got, upper in ((got_p, False), (got_q, True)):
        want = (sc.gammainccinv if upper else sc.gammaincinv)(a, y)
        assert np.all(np.isnan(got[invalid | a_zero_inside]))
        keep = ~(invalid | a_zero_inside)
        _assert_same(got[keep], want[keep], rtol=1e-13)


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_beta_inverse_edges_are_scipys(backend, run_on_tier1, request):
    """NaN for NaN, a <= 0, b <= 0 and y outside [0, 1]; 0 where I = 0 is asked for, 1 where
    I = 1; NaN for an infinite a or b otherwise. Deliberate differences: a root below the
    smallest double is 0 (SciPy: 2.2e-308); for b = inf (a = inf) SciPy gives 0 (1) when the
    other parameter is 1 but NaN when it is 0.5: this gives NaN for both; with a or b =
    1e-300 SciPy's values are off (e.g. betainccinv(1e-300, 0.5, 1e-300) = 0.667, where
    ``1 - I ~ a int_x^1 t^-1 (1 - t)^-1/2 dt`` gives ``1 - tanh(1/2)^2 = 0.786``, this value)."""
    a, b, y = BETA_EDGE_A, BETA_EDGE_B, BETA_EDGE_Y
    if backend == "eager-formula":
        got_i = np.array([si.betaincinv_pq_scalar(u, v, w, False) for u, v, w in zip(a, b, y)])
        got_c = np.array([si.betaincinv_pq_scalar(u, v, w, True) for u, v, w in zip(a, b, y)])
    else:
        got_i, got_c = _run(backend, _beta_pair, run_on_tier1, request, a, b, y)
    inside = (y > 0.0) & (y < 1.0)
    infinite = ((a == np.inf) | (b == np.inf)) & inside
    tiny = ((a == 1e-300) | (b == 1e-300)) & (a > 0) & (b > 0) & (a < np.inf) & (b < np.inf)
    for got, upper in ((got_i, False), (got_c, True)):
        want = (sc.betainccinv if upper else sc.betaincinv)(a, b, y)
        assert np.all(np.isnan(got[infinite]))
        assert np.all((got[tiny & inside] >= 0.0) & (got[tiny & inside] <= 1.0))
        underflow = (want > 0.0) & (want < 2.3e-308) & ~tiny
        assert np.all(got[underflow] < 1e-300)
        keep = ~(infinite | tiny | underflow)
        # (SciPy is 3e-12 off at betaincinv(25, 25, 1e-300) = 2.8e-13; this, 2.3e-15)
        _assert_same(got[keep], want[keep], rtol=5e-12)
    index = np.flatnonzero((a == 1e-300) & (b == 0.5) & (y == 1e-300))[0]
    assert got_c[index] == pytest.approx(1.0 - math.tanh(0.5) ** 2, rel=1e-6)


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_ndtri_exp_matches_mpmath_and_scipys_edges(backend, run_on_tier1, request):
    """-log(2) splits the two sides; 700 is where e^y would underflow; below -1e20 the
    asymptotic value is exact. Measured worst error against mpmath on these 245 points: 2.9e-15
    relative to max(|x|, 0.01) (y = -0.69314718, x = 7e-10, where 1 ulp of ``-expm1(y)`` is
    3e-17 absolute in x); SciPy's 5.4e-13 (y = -1e5)."""
    mpmath = pytest.importorskip("mpmath")
    y = -np.concatenate([np.logspace(-300, 5, 200), np.linspace(0.01, 50, 40),
                         [0.69314718, 0.6931472, 699.9, 700.1, 1e15]])
    # and (against SciPy) the asymptotic branch and the edges
    edges = np.array([-1e21, -1e300, -1.7e308, 0.0, -0.0, -5e-324, 5e-324, 1.0, np.inf,
                      -np.inf, np.nan])
    values = np.concatenate([y, edges])
    if backend == "eager-formula":
        got = np.array([si.ndtri_exp_scalar(v) for v in values])
    else:
        got = _run(backend, fsp.ndtri_exp, run_on_tier1, request, values)
    _assert_same(got[y.size:], sc.ndtri_exp(edges), rtol=1e-15)
    worst = 0.0
    for yi, gi in zip(y, got[:y.size]):
        with mpmath.workdps(50):
            x = mpmath.mpf(gi)
            for _ in range(20):  # Newton on log Phi(x) = y
                log_cdf = (mpmath.log1p(-mpmath.ncdf(-x)) if x > 0 else mpmath.log(mpmath.ncdf(x)))
                step = (yi - log_cdf) / mpmath.exp(mpmath.log(mpmath.npdf(x)) - log_cdf)
                x += step
                if abs(step) < mpmath.mpf(10) ** -40 * max(abs(x), 1):
                    break
            worst = max(worst, float(abs(gi - x) / max(abs(x), 0.01)))
    assert worst <= 5e-15, worst


# --- gradients: in the probability (all), and in the shape for the gamma inverses -----------

_GRAD_A = np.array([0.05, 0.7, 2.5, 9.0, 40.0, 300.0])
_GRAD_Y = np.array([0.02, 0.3, 0.5, 0.8, 0.97, 1e-6])


def _gamma_model(a, y):
    return fnp.sum(fnp.log(fsp.gammaincinv(a, y)) + fsp.gammainccinv(a, y) * fnp.cos(a))


def _beta_model(y):
    return fnp.sum(fnp.log(fsp.betaincinv(_GRAD_A, _GRAD_A[::-1], y))
                   + fsp.betainccinv(2.5, _GRAD_A, y) ** 2 + fsp.ndtri_exp(fnp.log(y)))


def _reference_gamma_model(a, y):
    return np.sum(np.log(sc.gammaincinv(a, y)) + sc.gammainccinv(a, y) * np.cos(a))


def _reference_beta_model(y):
    return np.sum(np.log(sc.betaincinv(_GRAD_A, _GRAD_A[::-1], y))
                  + sc.betainccinv(2.5, _GRAD_A, y) ** 2 + sc.ndtri_exp(np.log(y)))


def _central_differences(f, x, rel=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        h = rel * x[i]
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_gradients_compiled_match_eager_and_finite_differences(backend, run_on_tier1, request):
    # the gamma inverses in a (through gammainc_da, compiled) and in y
    vg = fluxion.value_and_grad(_gamma_model, argnums=(0, 1))
    want_value, (want_a, want_y) = vg(_GRAD_A, _GRAD_Y)
    assert want_value == pytest.approx(_reference_gamma_model(_GRAD_A, _GRAD_Y), rel=1e-13)
    np.testing.assert_allclose(
        want_a, _central_differences(lambda a: _reference_gamma_model(a, _GRAD_Y), _GRAD_A),
        rtol=1e-6)
    np.testing.assert_allclose(
        want_y, _central_differences(lambda y: _reference_gamma_model(_GRAD_A, y), _GRAD_Y),
        rtol=1e-6)
    value, got_a, got_y = _run(backend, vg, run_on_tier1, request, _GRAD_A, _GRAD_Y)
    assert value == pytest.approx(want_value, rel=1e-12)
    np.testing.assert_allclose(got_a, want_a, rtol=1e-11)
    np.testing.assert_allclose(got_y, want_y, rtol=1e-11)
    # the beta inverses and ndtri_exp in y
    vg = fluxion.value_and_grad(_beta_model)
    want_value, want_y = vg(_GRAD_Y)
    assert want_value == pytest.approx(_reference_beta_model(_GRAD_Y), rel=1e-13)
    np.testing.assert_allclose(want_y, _central_differences(_reference_beta_model, _GRAD_Y),
                               rtol=1e-6)
    value, got_y = _run(backend, vg, run_on_tier1, request, _GRAD_Y)
    assert value == pytest.approx(want_value, rel=1e-12)
    np.testing.assert_allclose(got_y, want_y, rtol=1e-11)


# --- a model written through quantile transforms, sampled on the compiled chain ---------------
# Standard normal latents z pushed through Phi and the quantile functions of Gamma(3, 1) and
# Beta(2, 5) (the non-centred form of those priors): a Poisson rate lam = P^-1(3, Phi(z0))
# and a success probability theta = I^-1(2, 5, Phi(z1)). The posteriors are conjugate:
# lam ~ Gamma(3 + sum(counts), 1 + n), theta ~ Beta(2 + successes, 5 + failures).

_COUNTS = np.array([4.0, 2.0, 5.0, 3.0, 6.0])
_SUCCESSES, _FAILURES = 7.0, 13.0


def _quantile_model_log_prob(z):
    lam = fsp.gammaincinv(3.0, fsp.ndtr(z[0]))
    theta = fsp.betaincinv(2.0, 5.0, fsp.ndtr(z[1]))
    return (fnp.sum(_COUNTS) * fnp.log(lam) - _COUNTS.size * lam
            + _SUCCESSES * fnp.log(theta) + _FAILURES * fnp.log1p(-theta)
            - 0.5 * fnp.sum(z ** 2))


@pytest.mark.parametrize("potential", ["tape", pytest.param("kernel", marks=pytest.mark.slow)])
def test_a_quantile_transformed_model_samples_on_the_compiled_chain(potential, request):
    # before the scalar formulas, gammaincinv and betaincinv kept the potential off the tape
    # and the kernel: the sampler called the model back in Python and warned
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(
            _quantile_model_log_prob, np.zeros(2), chains=2, draws=400, warmup=300, seed=5,
            progress=False,
        )
    assert result.compiled == "chain" and result.potential == potential
    z = np.asarray(result.draws["x"]).reshape(-1, 2)
    lam = sc.gammaincinv(3.0, sc.ndtr(z[:, 0]))
    theta = sc.betaincinv(2.0, 5.0, sc.ndtr(z[:, 1]))
    shape, rate = 3.0 + _COUNTS.sum(), 1.0 + _COUNTS.size
    a, b = 2.0 + _SUCCESSES, 5.0 + _FAILURES
    means = np.array([shape / rate, a / (a + b)])
    sds = np.array([math.sqrt(shape) / rate, math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))])
    # within 4 Monte-Carlo standard errors (an effective sample size of 250 of the 800 draws)
    got = np.array([lam.mean(), theta.mean()])
    assert np.all(np.abs(got - means) < 4 * sds / np.sqrt(250)), (got, means, sds)
