"""The regularized incomplete beta function I_x(a, b) = betainc and its complement betaincc in
the compiled backends: their scalar formula (a continued fraction in its odd part, a small-``a``
series, Stirling's form of the prefactor and a Gauss-Legendre step near the mean of large
parameters; ``prims/special_incomplete.py``) run through jit tier 1 and the tape machine (its
three-operand instruction) against scipy.special and mpmath, SciPy's values at the edges, the
gradient in ``x`` compiled, and a censored Student-t model sampled on the compiled chain.
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
from fluxion._src.codegen import lowering
from fluxion._src.prims import special_incomplete as si

numba = pytest.importorskip("numba")

# a, b in [1e-6, 1e5] (23 log-spaced values each, every pair) x x in {0, 1e-300, 1e-200, 1e-100,
# [1e-50, 0.1] (25 log-spaced), [0.15, 0.85] (15), 1 - [1e-16, 0.1] (16 log-spaced), 1}, and for
# each pair x at the switch (a + 1) / (a + b + 2) and 1e-3 either side of it, at the mean minus
# one standard deviation and plus two
_P = np.logspace(-6, 5, 23)
_X = np.concatenate([[0.0, 1e-300, 1e-200, 1e-100], np.logspace(-50, -1, 25),
                     np.linspace(0.15, 0.85, 15), 1.0 - np.logspace(-1, -16, 16), [1.0]])
_PA, _PB = (p.ravel() for p in np.meshgrid(_P, _P, indexing="ij"))
_SWITCH = (_PA + 1.0) / (_PA + _PB + 2.0)
_MEAN = _PA / (_PA + _PB)
_SD = np.sqrt(_PA * _PB / (_PA + _PB) ** 3)
_NEAR = np.clip(np.concatenate([_SWITCH * (1 + 1e-3), _SWITCH * (1 - 1e-3), _SWITCH,
                                _MEAN - _SD, _MEAN + 2 * _SD]), 0.0, 1.0)
GRID_A = np.concatenate([np.repeat(_PA, _X.size), np.tile(_PA, 5)])
GRID_B = np.concatenate([np.repeat(_PB, _X.size), np.tile(_PB, 5)])
GRID_X = np.concatenate([np.tile(_X, _PA.size), _NEAR])

# SciPy's edge values (NaN for NaN, a < 0, b < 0, x outside [0, 1], a = b = 0, a = b = inf;
# I = 0 at x = 0, 1 at x = 1; else 1 for a = 0 or b = inf, 0 for b = 0 or a = inf)
_EDGE = np.array([0.0, -0.0, 1e-300, 0.5, 1.0, 25.0, 1e300, np.inf, np.nan, -1e-300, -1.0])
_EDGE_X = np.array([0.0, -0.0, 1e-300, 0.3, 1.0 - 1e-16, 1.0, 1.0 + 2e-16, np.nan, -1e-300,
                    np.inf])
EDGE_A, EDGE_B, EDGE_X = (v.ravel() for v in np.meshgrid(_EDGE, _EDGE, _EDGE_X, indexing="ij"))


def _both(a, b, x):
    return fsp.betainc(a, b, x), fsp.betaincc(a, b, x)


def _relative_error(got, want):
    """|got - want| / want where SciPy's value is above 1e-300 (0 elsewhere), and whether the
    values below agree to 1e-300 absolute."""
    got, want = np.asarray(got), np.asarray(want)
    normal = want > 1e-300
    rel = np.where(normal, np.abs(got - want) / np.where(normal, want, 1.0), 0.0)
    return rel, np.abs(got - want)[~normal] <= 1e-300


def _mpmath_pair(mpmath, a, b, x):
    """(I, 1 - I) to 50 digits: mpmath.betainc on the side x <= (a + 1) / (a + b + 2) (the other
    by 1 - I_(1-x)(b, a)); for a + b > 1e4, where its hypergeometric series is slow or fails,
    the continued fraction DLMF 8.17.22 summed by mpmath."""
    # (digits beyond 50 for a + b: mpmath's B(25, 1e300) needs 1e300 + 25 exactly)
    with mpmath.workdps(50 + max(0, int(math.log10(a + b)))):
        a, b, x = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(x)
        direct = x <= (a + 1) / (a + b + 2)
        p, q, t = (a, b, x) if direct else (b, a, 1 - x)
        try:
            if p + q > 1e4:  # mpmath's series is slow or fails there
                raise ValueError
            low = mpmath.betainc(p, q, 0, t, regularized=True)
        except (mpmath.libmp.NoConvergence, ValueError):
            f, c, d = mpmath.mpf(1), mpmath.mpf(1), mpmath.mpf(0)
            for j in range(1, 10**6):
                m = j // 2
                if j % 2:
                    e = -(p + m) * (p + q + m) * t / ((p + 2 * m) * (p + 2 * m + 1))
                else:
                    e = m * (q - m) * t / ((p + 2 * m - 1) * (p + 2 * m))
                d = 1 / (1 + e * d)
                c = 1 + e / c
                f *= c * d
                if abs(c * d - 1) < mpmath.mpf(10) ** -48:
                    break
            log_front = p * mpmath.log(t) + q * mpmath.log1p(-t) - mpmath.log(p * mpmath.beta(p, q))
            low = mpmath.exp(log_front) / f
        return (low, 1 - low) if direct else (1 - low, low)


def test_the_backends_lower_them_by_the_scalar_formula():
    from fluxion._src.codegen import tape

    for prim in (si.betainc_p, si.betaincc_p):
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula")
        assert prim.name in tape.TERNARY  # the tape machine's three-operand instruction


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_grid_matches_scipy(backend, run_on_tier1, request):
    """The 34,914-point grid through tier 1 and the tape, against scipy.special.

    Measured worst relative difference (values above 1e-300): I 1.3e-10 at a = 316, b = 31.6,
    x = 0.1 (I = 1.7e-274), 1 - I 2.7e-13 (1 - I = 2.6e-225 at a = 1e5, b = 31.6,
    x = 1 - 1e-11); above 1e-5, 1.7e-12 (I = 0.66 at a = 10, b = 1e5, near the mean). At the 14
    points where they differ by more than 3e-13, mpmath puts SciPy off by 1.7e-13 to 1.3e-10 and
    this formula by 2.5e-13 at most (1e-16 at the last two); elsewhere the differences are a
    few ulps of the exponent of the far tails. One value SciPy underflows to 0 early (I = 1e-296 at
    a = 1000, b = 31.6, x = 0.45). So the bounds here are SciPy's accuracy;
    ``test_subgrid_matches_mpmath`` bounds this formula's own.
    """
    if backend == "tier1":
        p, q = run_on_tier1(_both, GRID_A, GRID_B, GRID_X)
    else:
        p, q = request.getfixturevalue("run_on_tape")(_both, GRID_A, GRID_B, GRID_X)
    for k, (got, want) in enumerate(((p, sc.betainc(GRID_A, GRID_B, GRID_X)),
                                     (q, sc.betaincc(GRID_A, GRID_B, GRID_X)))):
        rel, tiny_agree = _relative_error(got, want)
        assert np.sum(~tiny_agree) <= 1  # SciPy's early underflow, above
        assert rel.max() <= 2e-10
        assert rel[want > 1e-5].max() <= 3e-12
        assert rel[want > 1e-100].max() <= 3e-12
        # where they differ by more than a few ulps, mpmath decides
        apart = np.flatnonzero(rel > 3e-13)
        assert apart.size <= 16
        try:
            import mpmath
        except ImportError:
            continue
        for i in apart:
            exact = _mpmath_pair(mpmath, GRID_A[i], GRID_B[i], GRID_X[i])[k]
            mine, scipys = (float(abs(mpmath.mpf(v) / exact - 1)) for v in (got[i], want[i]))
            assert mine <= 3e-13 and mine <= scipys, (GRID_A[i], GRID_B[i], GRID_X[i])
    # I + (1 - I) = 1 to rounding
    assert np.max(np.abs(p + q - 1.0)) <= 4e-16


def test_subgrid_matches_mpmath(run_on_tier1):
    """336 points against mpmath at 50 digits: a, b in {1e-6, 0.01, 0.5, 0.51, 2.5, 10.01, 1000,
    1e5} (the switches between the methods at 1/2, 10 and 1000) x x in {1e-300, 1e-10, 0.3,
    the switch (a + 1) / (a + b + 2) less 1e-10 of it, 1 - 1e-10}; the mean of large parameters
    (up to 1e12, where the Gauss-Legendre step takes over) and 3 standard deviations below it;
    four points where SciPy is off.

    Measured worst relative error: I 2.5e-13 (a = 316, b = 31.6, x = 0.1, I = 1.7e-274), 1 - I
    7.7e-14 (a = 2.5, b = 1000, x = 0.3, 1 - I = 4.9e-152): in the far tails a few ulps of the
    exponent of the result (630 and 349 there); above 1e-100, 1.9e-14 and 1.0e-14. Near the
    mean of the large parameters 1.3e-15. (``tools/betainc_accuracy.py`` runs more points:
    up to a, b = 1e15 near the mean, 5.8e-15, where SciPy is up to 4.3e-8 off.)
    """
    mpmath = pytest.importorskip("mpmath")
    values = [1e-6, 0.01, 0.5, 0.51, 2.5, 10.01, 1000.0, 1e5]
    a, b = (v.ravel() for v in np.meshgrid(values, values, indexing="ij"))
    switch = (a + 1.0) / (a + b + 2.0) * (1.0 - 1e-10)
    xs = [np.full(a.size, 1e-300), np.full(a.size, 1e-10), np.full(a.size, 0.3), switch,
          np.full(a.size, 1.0 - 1e-10)]
    large = [(1e3, 1e3), (1e5, 1e5), (1e7, 1e7), (1e8, 1e4), (1e12, 1e6), (2e3, 9e4)]
    large_a = np.array([p for p, _ in large] * 2)
    large_b = np.array([q for _, q in large] * 2)
    mean = large_a / (large_a + large_b)
    sd = np.sqrt(large_a * large_b / (large_a + large_b) ** 3)
    large_x = np.concatenate([mean[:len(large)], (mean - 3 * sd)[len(large):]])
    # where SciPy is off: x near 1, a subnormal x, a + b near the largest finite value
    scipy_off_a = np.array([0.5, 0.5, 25.0, 316.2277660168379])
    scipy_off_b = np.array([0.5, 25.0, 1e300, 31.622776601683793])
    scipy_off_x = np.array([1.0 - 1e-16, 5e-324, 1e-300, 0.1])
    aa = np.concatenate([np.tile(a, len(xs)), large_a, scipy_off_a])
    bb = np.concatenate([np.tile(b, len(xs)), large_b, scipy_off_b])
    xx = np.concatenate([*xs, large_x, scipy_off_x])
    p, q = run_on_tier1(_both, aa, bb, xx)
    worst = [0.0, 0.0]  # I, 1 - I above 1e-300
    worst_above = [0.0, 0.0]  # above 1e-100
    for ai, bi, xi, pi, qi in zip(aa, bb, xx, p, q):
        exact = _mpmath_pair(mpmath, ai, bi, xi)
        for k, (got, want) in enumerate(zip((pi, qi), exact)):
            if want > mpmath.mpf("1e-300"):
                rel = float(abs(mpmath.mpf(got) / want - 1))
                worst[k] = max(worst[k], rel)
                if want > mpmath.mpf("1e-100"):
                    worst_above[k] = max(worst_above[k], rel)
            else:
                assert abs(got - float(want)) <= 1e-300
    assert max(worst) <= 3e-13 and max(worst_above) <= 1e-13, (worst, worst_above)


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_edges_are_scipys(backend, run_on_tier1, request):
    want_p, want_q = sc.betainc(EDGE_A, EDGE_B, EDGE_X), sc.betaincc(EDGE_A, EDGE_B, EDGE_X)
    if backend == "eager-formula":  # the helpers as plain Python
        p = np.array([si.betainc_scalar(*v) for v in zip(EDGE_A, EDGE_B, EDGE_X)])
        q = np.array([si.betaincc_scalar(*v) for v in zip(EDGE_A, EDGE_B, EDGE_X)])
    elif backend == "tier1":
        p, q = run_on_tier1(_both, EDGE_A, EDGE_B, EDGE_X)
    else:
        p, q = request.getfixturevalue("run_on_tape")(_both, EDGE_A, EDGE_B, EDGE_X)
    # the conventions (an argument 0, inf, NaN, negative, x outside (0, 1)) exactly; the values
    # between to SciPy's accuracy
    inside = ((EDGE_A > 0) & (EDGE_A < np.inf) & (EDGE_B > 0) & (EDGE_B < np.inf)
              & (EDGE_X > 0) & (EDGE_X < 1))
    # where SciPy is off (see test_subgrid_matches_mpmath): I at x = 1 - 1e-16 for a = b = 1/2
    # (SciPy 2.8e-9 off), I at a = 25, b = 1e300, x = 1e-300 (SciPy: NaN)
    scipy_off = ((EDGE_A == 0.5) & (EDGE_B == 0.5) & (EDGE_X == 1.0 - 1e-16)) | (
        (EDGE_A == 25.0) & (EDGE_B == 1e300) & (EDGE_X == 1e-300))
    for got, want in ((p, want_p), (q, want_q)):
        np.testing.assert_array_equal(got[~inside], want[~inside])
        between = inside & ~scipy_off
        np.testing.assert_allclose(got[between], want[between], rtol=1e-13, atol=1e-300)


def test_where_scipy_is_off_this_is_the_limit():
    # subnormal a and b: I = b / (a + b) in the interior (SciPy: 0); a + b beyond the largest
    # double: a step at the mean (SciPy: NaN), 1/2 at the mean
    assert si.betainc_scalar(5e-324, 5e-324, 0.3) == 0.5
    assert si.betainc_scalar(1e-300, 5e-324, 0.5) == pytest.approx(5e-324 / 1e-300, rel=1e-12)
    assert si.betainc_scalar(1.7e308, 1.7e308, 0.5) == 0.5
    assert si.betainc_scalar(1.7e308, 1.7e308, 0.4999999) == 0.0
    assert si.betaincc_scalar(1.7e308, 1.7e308, 0.5000001) == 0.0
    # a + b large but finite: the mean of a symmetric distribution
    assert si.betainc_scalar(1e300, 1e300, 0.5) == 0.5


def test_every_loop_ends_on_awkward_inputs():
    # huge a and b at and near the mean, at the switch, one huge and one tiny, tiny a and b
    cases = [(1e15, 1e15 * (1 + 1e-9), 0.5), (1e8, 1e8, 0.5), (1e8, 1e8, 0.5 - 3.5e-5),
             (1e5, 1e5, 0.5), (1e5, 1e5, (1e5 + 1) / (2e5 + 2)),
             (1e5, 0.3, (1e5 + 1) / (1e5 + 2.3)),
             (0.3, 1e5, 1.3 / (1e5 + 2.3)), (1e12, 1e6, 1 - 1e-6), (1e300, 1.0, 0.999),
             (1.0, 1e300, 1e-300), (1e-300, 1e300, 1e-300), (25.0, 1e300, 1e-300),
             (5e-324, 0.5, 0.5), (1e5, 1e-6, 1 - 1e-16), (1e-6, 1e-6, 0.5), (0.5, 0.5, 1 - 1e-16),
             (999.999, 1e5, 0.00999), (1e4, 1e4, 0.5 - 1.1e-16)]
    for a, b, x in cases:
        p, q = si.betainc_scalar(a, b, x), si.betaincc_scalar(a, b, x)
        assert 0.0 <= p <= 1.0 and 0.0 <= q <= 1.0, (a, b, x, p, q)
        assert abs(p + q - 1.0) <= 4e-16, (a, b, x, p, q)
    # the values, where SciPy is accurate
    for a, b, x in [(1e5, 1e5, 0.5), (1e5, 0.3, 0.99998), (1.0, 1e300, 1e-300),
                    (1e-300, 1e300, 1e-300), (1e3, 1e3, 0.5 - 3 * math.sqrt(1e3 / 8e6)),
                    (1e5, 1e-6, 1 - 1e-16), (1e-6, 1e-6, 0.5), (1e4, 1e4, 0.5 - 1.1e-16)]:
        assert math.isclose(si.betainc_scalar(a, b, x), sc.betainc(a, b, x), rel_tol=1e-13)
        assert math.isclose(si.betaincc_scalar(a, b, x), sc.betaincc(a, b, x), rel_tol=1e-13)


# the gradient in x: the rule d I / dx = x^(a-1) (1-x)^(b-1) / B(a, b) (``_betainc_dx``)
_GRAD_A = np.array([1e-3, 0.4, 1.0, 2.5, 9.0, 30.0, 1500.0, 0.7])
_GRAD_B = np.array([2.0, 0.6, 3.0, 2.5, 40.0, 30.0, 2500.0, 1e4])
_GRAD_X = np.array([0.2, 0.7, 0.1, 0.5, 0.2, 0.45, 0.375, 3e-5])


def _x_model(x):
    return fnp.sum(fsp.betainc(_GRAD_A, _GRAD_B, x) * fnp.cos(x)) + fnp.sum(
        fnp.log(fsp.betaincc(_GRAD_A, _GRAD_B, x))
    )


def _want_x_gradient(x):
    density = np.exp(sc.xlogy(_GRAD_A - 1, x) + sc.xlog1py(_GRAD_B - 1, -x)
                     - sc.betaln(_GRAD_A, _GRAD_B))
    p, q = sc.betainc(_GRAD_A, _GRAD_B, x), sc.betaincc(_GRAD_A, _GRAD_B, x)
    return density * np.cos(x) - p * np.sin(x) - density / q


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


# A Student-t location model with censored data: values below -1 are recorded as "below -1",
# values above 3 as "above 3". With x(t) = (1 + t / sqrt(t^2 + nu)) / 2 the CDF of Student's t is
# F(t) = I_x(t)(nu/2, nu/2) (smooth in t, so only the x-derivative of betainc is needed).
_NU = 5.0
_OBSERVED = np.array([0.3, 1.2, -0.4, 2.1, 0.9, 1.7, 0.1, 2.6])
_LOW, _HIGH = -1.0, 3.0
_N_LOW, _N_HIGH = 2, 3
_T_CONST = sc.gammaln((_NU + 1) / 2) - sc.gammaln(_NU / 2) - 0.5 * np.log(_NU * np.pi)


def _t_limit(t):
    return 0.5 * (1.0 + t / fnp.sqrt(t * t + _NU))


def _censored_t_log_prob(mu):
    z = _OBSERVED - mu
    observed = fnp.sum(_T_CONST - (_NU + 1) / 2 * fnp.log1p(z * z / _NU))
    below = _N_LOW * fnp.log(fsp.betainc(_NU / 2, _NU / 2, _t_limit(_LOW - mu)))
    above = _N_HIGH * fnp.log(fsp.betaincc(_NU / 2, _NU / 2, _t_limit(_HIGH - mu)))
    return observed + below + above - 0.5 * (mu / 10.0) ** 2


def _reference_log_prob(mu):
    return (st.t.logpdf(_OBSERVED[:, None] - mu, _NU).sum(axis=0)
            + _N_LOW * st.t.logcdf(_LOW - mu, _NU) + _N_HIGH * st.t.logsf(_HIGH - mu, _NU)
            - 0.5 * (mu / 10.0) ** 2)


@pytest.mark.parametrize("potential", ["tape", "kernel"])
def test_a_censored_student_t_model_samples_on_the_compiled_chain(potential, request):
    # before the scalar formula, betainc kept the potential off the tape and the kernel: the
    # sampler called the model back in Python and warned (a PerformanceWarning)
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(
            _censored_t_log_prob, 0.5, chains=2, draws=500, warmup=300, seed=7, progress=False,
        )
    assert result.compiled == "chain" and result.potential == potential
    # the posterior mean of mu by quadrature on a fine grid (scipy.stats.t as the reference)
    grid = np.linspace(-4.0, 6.0, 10001)
    log_post = _reference_log_prob(grid)
    np.testing.assert_allclose(
        [_censored_t_log_prob(m) for m in (-0.5, 0.8, 2.0)],
        _reference_log_prob(np.array([-0.5, 0.8, 2.0])), rtol=1e-12,
    )
    weights = np.exp(log_post - log_post.max())
    mean = np.sum(grid * weights) / np.sum(weights)
    sd = np.sqrt(np.sum((grid - mean) ** 2 * weights) / np.sum(weights))
    draws = np.asarray(result.draws["x"]).ravel()
    # within 4 Monte-Carlo standard errors (an effective sample size of 300 of the 1000 draws)
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(300)
