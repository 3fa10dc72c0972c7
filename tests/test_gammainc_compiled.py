"""The regularized incomplete gamma functions P(a, x) = gammainc, Q(a, x) = gammaincc in the
compiled backends: their scalar formula (series, continued fraction, a small-``a`` form of
``Q`` and Temme's uniform expansion; ``prims/special_incomplete.py``) run through jit tier 1
and the tape machine against scipy.special and mpmath, SciPy's values at the edges, the
gradient in ``x`` compiled, and a censored-Poisson model sampled on the compiled chain.
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

# a in [1e-8, 1e4] (241 log-spaced values) x x in {0, 1e-300, [1e-10, 1e4] (281 log-spaced)},
# and x near a: a (1 +- 1e-3), a (1 +- 1e-1)
_A = np.logspace(-8, 4, 241)
_X = np.concatenate([[0.0, 1e-300], np.logspace(-10, 4, 281)])
_NEAR = np.concatenate([_A * (1.0 + d) for d in (1e-3, -1e-3, 1e-1, -1e-1)])
GRID_A = np.concatenate([np.repeat(_A, _X.size), np.tile(_A, 4)])
GRID_X = np.concatenate([np.tile(_X, _A.size), _NEAR])

# SciPy's edge values: NaN for NaN, a < 0, x < 0, a = x = 0, a = x = inf; P = 1 at a = 0 < x and
# at x = inf; P = 0 at x = 0 < a and at a = inf
_EDGE = np.array([0.0, -0.0, 1e-300, 0.5, 1.0, 25.0, 1e300, np.inf, np.nan, -1e-300, -1.0,
                  -np.inf])
EDGE_A = np.repeat(_EDGE, _EDGE.size)
EDGE_X = np.tile(_EDGE, _EDGE.size)


def _both(a, x):
    return fsp.gammainc(a, x), fsp.gammaincc(a, x)


def _relative_error(got, want):
    """|got - want| / want where SciPy's value is above 1e-300 (0 elsewhere), and whether the
    values below agree to 1e-300 absolute."""
    got, want = np.asarray(got), np.asarray(want)
    normal = want > 1e-300
    rel = np.where(normal, np.abs(got - want) / np.where(normal, want, 1.0), 0.0)
    return rel, bool(np.all(np.abs(got - want)[~normal] <= 1e-300))


def test_the_backends_lower_them_by_the_scalar_formula():
    for prim in (si.gammainc_p, si.gammaincc_p):
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula")


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_grid_matches_scipy(backend, run_on_tier1, request):
    """The 69,167-point grid through tier 1 and the tape, against scipy.special.

    Measured worst relative error (values above 1e-300): P 5.9e-12 at a = 2512, x = 1122
    (P = 4e-278), Q 8.9e-12 at a = 5012, x = 7943 (Q = 2e-273). These are SciPy's errors: against
    mpmath SciPy's P is 5.6e-12 off there and this formula's 2.9e-13, SciPy's Q 8.5e-12 and this
    formula's 3.8e-13. Above 1e-5 the worst differences are 5.4e-14 (P, a = 56, x = 32) and
    1.1e-13 (Q, a = 126, x = 178), again SciPy's (mpmath: this formula 2.3e-15 and 4.3e-16 off).
    So the bounds here are SciPy's accuracy; ``test_subgrid_matches_mpmath`` bounds this
    formula's own.
    """
    if backend == "tier1":
        p, q = run_on_tier1(_both, GRID_A, GRID_X)
    else:
        p, q = request.getfixturevalue("run_on_tape")(_both, GRID_A, GRID_X)
    for got, want in ((p, sc.gammainc(GRID_A, GRID_X)), (q, sc.gammaincc(GRID_A, GRID_X))):
        rel, tiny_agree = _relative_error(got, want)
        assert tiny_agree
        assert rel.max() <= 1e-11
        assert rel[want > 1e-5].max() <= 2e-13
    # P + Q = 1 to rounding
    assert np.max(np.abs(p + q - 1.0)) <= 4e-16


def test_subgrid_matches_mpmath(run_on_tier1):
    """864 points: 25 values of a in [1e-8, 1e4] x 30 of x in [1e-300, 1e4], x near a, and the
    switches between the methods (a = 1, a = 10, a = 20, x = 1, x = a + 1, |eta| = 1), against
    mpmath at 40 digits. Measured worst relative error: P 7.8e-14 (a = 100, x = 1,
    P = 4e-159), Q 4.1e-14 (a = 1e-7, x = 316, Q = 1.5e-147): a few ulps of the exponent of
    ``e^(-a phi)``, whose size is about 360 there."""
    mpmath = pytest.importorskip("mpmath")
    a = np.logspace(-8, 4, 25)
    x = np.concatenate([[1e-300], np.logspace(-10, 4, 29)])
    switches_a = [0.3, 0.999, 1.0, 0.01, 0.01, 1.5, 9.99, 10.01, 19.99, 20.01, 20.0, 20.0, 400.0,
                  400.0]
    switches_x = [1.0, 1.0, 1.0, 1.005, 1.3, 2.5, 9.99, 10.01, 20.98, 20.01, 6.0, 47.2, 120.0,
                  944.0]
    aa = np.concatenate([np.repeat(a, x.size), np.tile(a, 4), switches_a])
    xx = np.concatenate([np.tile(x, a.size)] + [a * (1 + d) for d in (1e-3, -1e-3, 0.1, -0.1)]
                        + [switches_x])
    p, q = run_on_tier1(_both, aa, xx)
    worst = [0.0, 0.0]
    with mpmath.workdps(40):
        for ai, xi, pi, qi in zip(aa, xx, p, q):
            exact_p = mpmath.gammainc(ai, 0, xi, regularized=True)
            exact_q = mpmath.gammainc(ai, xi, mpmath.inf, regularized=True)
            for k, (got, exact) in enumerate(((pi, exact_p), (qi, exact_q))):
                if exact > mpmath.mpf("1e-300"):
                    worst[k] = max(worst[k], float(abs(mpmath.mpf(got) / exact - 1)))
                else:
                    assert abs(got - float(exact)) <= 1e-300
    assert worst[0] <= 1e-13 and worst[1] <= 1e-13, worst


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_edges_are_scipys(backend, run_on_tier1, request):
    want_p, want_q = sc.gammainc(EDGE_A, EDGE_X), sc.gammaincc(EDGE_A, EDGE_X)
    if backend == "eager-formula":  # the helpers as plain Python
        p = np.array([si.gammainc_scalar(a, x) for a, x in zip(EDGE_A, EDGE_X)])
        q = np.array([si.gammaincc_scalar(a, x) for a, x in zip(EDGE_A, EDGE_X)])
    elif backend == "tier1":
        p, q = run_on_tier1(_both, EDGE_A, EDGE_X)
    else:
        p, q = request.getfixturevalue("run_on_tape")(_both, EDGE_A, EDGE_X)
    # the conventions (an argument 0, inf, NaN or negative) exactly; the values between to SciPy's
    # accuracy (its P(1e-300, 0.5) is 1 + 2.4e-14)
    edge = ~((EDGE_A > 0) & (EDGE_A < np.inf) & (EDGE_X > 0) & (EDGE_X < np.inf))
    for got, want in ((p, want_p), (q, want_q)):
        np.testing.assert_array_equal(got[edge], want[edge])
        np.testing.assert_allclose(got[~edge], want[~edge], rtol=1e-13, atol=1e-300)
    # where SciPy is off, the formula is the limit: subnormal a (SciPy: P = 0 and a negative Q,
    # 1 - P = 5.8e-311 at a = 1e-310, x = 1) and a finite a too large for SciPy (NaN)
    assert si.gammainc_scalar(1e-310, 1.0) == 1.0
    assert 0.0 < si.gammaincc_scalar(1e-310, 1.0) < 1e-300
    assert si.gammainc_scalar(1.7e308, 20.0) == 0.0 and si.gammaincc_scalar(1.7e308, 20.0) == 1.0


def test_every_loop_ends_on_awkward_inputs():
    # huge a near x (Temme's window), huge a outside it, tiny a, x just past the switches
    cases = [(1e15, 1e15 * (1 + 1e-9)), (1e15, 3.1e14), (1e15, 2.4e15), (1e300, 1e300),
             (1e-300, 1e-300), (5e-324, 0.5), (0.5, 5e-324), (1e4, 1e-300), (1e-8, 1e4),
             (19.999999, 20.999999), (1.0, 2.0), (0.999999, 1.0000001)]
    for a, x in cases:
        p, q = si.gammainc_scalar(a, x), si.gammaincc_scalar(a, x)
        assert 0.0 <= p <= 1.0 and 0.0 <= q <= 1.0, (a, x, p, q)
        assert abs(p + q - 1.0) <= 4e-16, (a, x, p, q)
        want_p, want_q = sc.gammainc(a, x), sc.gammaincc(a, x)
        if a > 1e-300:  # SciPy's subnormal a: see test_edges_are_scipys
            assert math.isclose(p, want_p, rel_tol=1e-13, abs_tol=1e-300), (a, x, p, want_p)
            assert math.isclose(q, want_q, rel_tol=1e-13, abs_tol=1e-300), (a, x, q, want_q)


# the gradient in x: the rule d P / dx = x^(a-1) e^-x / Gamma(a) (``_gammainc_dx``)
_GRAD_A = np.array([1e-3, 0.4, 1.0, 2.5, 9.0, 30.0, 30.0, 250.0])
_GRAD_X = np.array([0.2, 3.0, 0.7, 2.5, 14.0, 28.0, 33.0, 240.0])


def _x_model(x):
    return fnp.sum(fsp.gammainc(_GRAD_A, x) * fnp.cos(x)) + fnp.sum(
        fnp.log(fsp.gammaincc(_GRAD_A, x))
    )


def _want_x_gradient(x):
    dp = np.exp(sc.xlogy(_GRAD_A - 1, x) - x - sc.gammaln(_GRAD_A))
    p, q = sc.gammainc(_GRAD_A, x), sc.gammaincc(_GRAD_A, x)
    return dp * np.cos(x) - p * np.sin(x) - dp / q


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_gradient_in_x_matches_eager(backend, run_on_tier1, request):
    vg = fluxion.value_and_grad(_x_model)
    want_value, want_grad = vg(_GRAD_X)
    np.testing.assert_allclose(want_grad, _want_x_gradient(_GRAD_X), rtol=1e-13)
    if backend == "tier1":
        value, grad = run_on_tier1(vg, _GRAD_X)
    else:
        value, grad = request.getfixturevalue("run_on_tape")(vg, _GRAD_X)
    assert value == pytest.approx(want_value, rel=1e-13)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-13)


# A right-censored Poisson model: counts above 6 are recorded as "at least 6"
_COUNTS = np.array([2.0, 4.0, 3.0, 5.0, 1.0, 4.0, 3.0])
_CENSORED_AT = 6.0
_N_CENSORED = 3


def _censored_poisson_log_prob(log_rate):
    rate = fnp.exp(log_rate)
    observed = fnp.sum(_COUNTS * log_rate - rate - sc.gammaln(_COUNTS + 1.0))
    # P(K >= c) = 1 - F(c - 1) = 1 - Q(c, rate) = P(c, rate)
    censored = _N_CENSORED * fnp.log(fsp.gammainc(_CENSORED_AT, rate))
    return observed + censored - 0.5 * (log_rate / 3.0) ** 2


@pytest.mark.parametrize("potential", ["tape", "kernel"])
def test_a_censored_poisson_model_samples_on_the_compiled_chain(potential, request):
    # before the scalar formula, gammainc kept the potential off the tape and the kernel: the
    # sampler called the model back in Python and warned (a PerformanceWarning)
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(
            _censored_poisson_log_prob, 0.5, chains=2, draws=500, warmup=300, seed=7,
            progress=False,
        )
    assert result.compiled == "chain" and result.potential == potential
    # the posterior mean of log rate by quadrature on a fine grid
    grid = np.linspace(-2.0, 4.0, 6001)
    rate = np.exp(grid)
    log_post = (np.sum(_COUNTS) * grid - _COUNTS.size * rate
                + _N_CENSORED * np.log(sc.gammainc(_CENSORED_AT, rate)) - 0.5 * (grid / 3.0) ** 2)
    weights = np.exp(log_post - log_post.max())
    mean = np.sum(grid * weights) / np.sum(weights)
    sd = np.sqrt(np.sum((grid - mean) ** 2 * weights) / np.sum(weights))
    draws = np.asarray(result.draws["x"]).ravel()
    # within 4 Monte-Carlo standard errors (an effective sample size of 300 of the 1000 draws)
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(300)
