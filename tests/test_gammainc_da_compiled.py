"""d P(a, x) / da (the primitive ``gammainc_da``, the derivative of gammainc / gammaincc in the
shape) in the compiled backends: its scalar formula (the series and the continued fraction on
scalars, Temme's expansion differentiated for large ``a`` near ``x = a``;
``prims/special_incomplete.gammainc_da_scalar``) run through jit tier 1 and the tape machine
against the NumPy impl ``gammainc_da_values`` and mpmath, the edges, the gradients in the shape
compiled, and a right-censored Gamma model with unknown shape sampled on the compiled chain.
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

# a in [1e-3, 1e4] (141 log-spaced values) x x in {1e-300, [1e-10, 1e4] (141 log-spaced)}, and
# x near a (a (1 +- 1e-3), a (1 +- 1e-1)) and at the switch x = a + 1
_A = np.logspace(-3, 4, 141)
_X = np.concatenate([[1e-300], np.logspace(-10, 4, 141)])
_NEAR = np.concatenate([_A * (1.0 + d) for d in (1e-3, -1e-3, 1e-1, -1e-1)] + [_A + 1.0])
GRID_A = np.concatenate([np.repeat(_A, _X.size), np.tile(_A, 5)])
GRID_X = np.concatenate([np.tile(_X, _A.size), _NEAR])

# gammainc_da_values' edges: 0 at x = 0 and x = inf; NaN for NaN and outside 0 < a < inf, x >= 0
_EDGE = np.array([0.0, -0.0, 1e-300, 0.5, 1.0, 25.0, 1e300, np.inf, np.nan, -1e-300, -1.0,
                  -np.inf])
EDGE_A = np.repeat(_EDGE, _EDGE.size)
EDGE_X = np.tile(_EDGE, _EDGE.size)


def _run(backend, fn, run_on_tier1, request, *args):
    """The outputs' leaves (a single output: the array) through tier 1 or the tape."""
    if backend == "tier1":
        leaves = fluxion.tree.leaves(run_on_tier1(fn, *args))
    else:
        leaves = list(request.getfixturevalue("run_on_tape")(fn, *args))
    return leaves[0] if len(leaves) == 1 else leaves


def _mpmath_da(mpmath, a, x):
    """d P / da at 40 digits (more where the smaller of P, Q has leading zeros): -dQ/da where
    Q < 1/2 (there dP/da is below P's 40 digits), dP/da elsewhere."""
    q = sc.gammaincc(a, x)
    use_q = q < 0.5
    small = q if use_q else sc.gammainc(a, x)
    with mpmath.workdps(40 + int(max(0.0, -math.log10(max(small, 1e-320)))) // 4):
        s, y = mpmath.mpf(a), mpmath.mpf(x)
        if use_q:
            return -mpmath.diff(lambda t: mpmath.gammainc(t, y, mpmath.inf, regularized=True), s)
        return mpmath.diff(lambda t: mpmath.gammainc(t, 0, y, regularized=True), s)


def test_the_backends_lower_it_by_the_scalar_formula():
    for backend in ("numba", "tape"):
        assert lowering.status(backend, si.gammainc_da_p) == (True, "scalar formula")
        # the second derivative (Hessians only) still runs on tier 0
        assert not lowering.status(backend, si.gammainc_daa_p)[0]


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_grid_matches_the_numpy_impl(backend, run_on_tier1, request):
    """The 20,727-point grid through tier 1 and the tape, against ``gammainc_da_values``.

    The impl takes the formula's methods point for point (Temme's window included), with SciPy's
    P or Q where the formula computes its own. Measured worst relative difference: 1.3e-12 at
    a = 794, x = 200 (dP/da = -1e-170: SciPy's P, just below Temme's window); above |dP/da| =
    1e-20, 6.8e-14; above 1e-5, 1.4e-14. (Before the impl took Temme's window: 1.2e-11, 4.5e-13
    and 1.9e-13, the impl's ``log x - psi(a + 1)`` and SciPy's Q.)
    ``test_subgrid_matches_mpmath`` bounds the formula's own accuracy.
    """
    got = _run(backend, si.gammainc_da, run_on_tier1, request, GRID_A, GRID_X)
    want = si.gammainc_da_values(GRID_A, GRID_X)
    assert np.all(got <= 0.0) and np.all(np.isfinite(got))  # P decreases in a
    normal = np.abs(want) > 1e-300
    rel = np.abs(got - want)[normal] / np.abs(want[normal])
    assert np.max(np.abs(got - want)[~normal]) <= 1e-300
    assert rel.max() <= 5e-12
    assert rel[np.abs(want[normal]) > 1e-20].max() <= 3e-13
    assert rel[np.abs(want[normal]) > 1e-5].max() <= 5e-14


def test_subgrid_matches_mpmath(run_on_tier1):
    """513 points: 19 values of a in [1e-3, 1e3] x 22 of x in [1e-10, 1e4], x near a, and the
    switches between the methods (x = a + 1, a = 20, |eta| = 1) and a up to 1e4 near x = a,
    against mpmath at 40 digits. Measured worst relative error (|dP/da| > 1e-300, 400 points):
    1.8e-13 at a = 215, x = 4.6 (dP/da = -3e-269; the error of P there, a few ulps of the
    exponent of its prefactor); above |dP/da| = 1e-5, 4.9e-15 (a = 1e-3, x = 1, where
    ``log x - psi(a + 1)`` and the series' weighted sum cancel by a factor 3.6). The impl
    ``gammainc_da_values`` is 1.7e-13 off at worst on the same points (2.7e-15 above 1e-5).
    (On 1,657 random points, 1,061 of them in Temme's window with a in [20, 1e4]: 2.2e-13 at
    worst, at dP/da = -7e-191; 1.8e-14 above |dP/da| = 1e-20.)"""
    mpmath = pytest.importorskip("mpmath")
    a = np.logspace(-3, 3, 19)
    x = np.logspace(-10, 4, 22)
    switches_a = [20.0, 20.0, 20.0, 20.0, 19.99, 19.99, 1.0, 0.999, 0.5, 0.5, 50.0, 300.0, 1e4,
                  1e4, 1e4, 1e4, 1e4, 3000.0, 3000.0]
    switches_x = [6.05, 47.1, 6.0, 47.2, 21.0, 20.98, 2.0, 1.999, 1.5, 1.49, 50.0, 301.0, 1e4,
                  1e4 + 1.0, 9e3, 1.1e4, 1e4 - 100.0, 906.0, 7070.0]
    aa = np.concatenate([np.repeat(a, x.size), np.tile(a, 4), switches_a])
    xx = np.concatenate([np.tile(x, a.size)] + [a * (1 + d) for d in (1e-3, -1e-3, 0.1, -0.1)]
                        + [switches_x])
    got = run_on_tier1(si.gammainc_da, aa, xx)
    worst, worst_moderate = 0.0, 0.0
    for ai, xi, gi in zip(aa, xx, got):
        exact = _mpmath_da(mpmath, ai, xi)
        if abs(exact) > mpmath.mpf("1e-300"):
            err = float(abs(mpmath.mpf(gi) / exact - 1))
            worst = max(worst, err)
            if abs(exact) > 1e-5:
                worst_moderate = max(worst_moderate, err)
        else:
            assert abs(gi - float(exact)) <= 1e-300
    assert worst <= 5e-13 and worst_moderate <= 2e-14, (worst, worst_moderate)


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_edges_are_the_impls(backend, run_on_tier1, request):
    if backend == "eager-formula":  # the helpers as plain Python
        got = np.array([si.gammainc_da_scalar(a, x) for a, x in zip(EDGE_A, EDGE_X)])
    else:
        got = _run(backend, si.gammainc_da, run_on_tier1, request, EDGE_A, EDGE_X)
    with np.errstate(over="ignore"):  # the impl's continued fraction at x = 1e300
        want = si.gammainc_da_values(EDGE_A, EDGE_X)
    edge = ~((EDGE_A > 0) & (EDGE_A < np.inf) & (EDGE_X > 0) & (EDGE_X < np.inf))
    np.testing.assert_array_equal(got[edge], want[edge])
    # the values between to the impl's accuracy, except where the impl is off: a = 1e300 (its
    # series does not converge in 20,000 steps) and a = 1e-300 < x - 1 (SciPy's Q ~ a E_1(x)
    # underflows to 0, so its -Q d log Q / da is 0)
    off = (EDGE_A == 1e300) | ((EDGE_A == 1e-300) & (EDGE_X > 1.0))
    inner = ~edge & ~off
    np.testing.assert_allclose(got[inner], want[inner], rtol=1e-13, atol=1e-300)
    # there the limits: dP/da -> -E_1(x) as a -> 0 (Q ~ a E_1(x)); at x = a,
    # dP/da = -(1 + 1/(12 a) + ...) / sqrt(2 pi a); and 0 at x << a
    got_off = dict(zip(zip(EDGE_A[~edge & off], EDGE_X[~edge & off]), got[~edge & off]))
    assert got_off[(1e-300, 25.0)] == pytest.approx(-sc.exp1(25.0), rel=1e-14)
    assert got_off[(1e-300, 1e300)] == 0.0
    assert got_off[(1e300, 1e300)] == pytest.approx(-1.0 / math.sqrt(2e300 * math.pi), rel=1e-14)
    assert all(got_off[(1e300, x)] == 0.0 for x in (1e-300, 0.5, 1.0, 25.0))


def test_every_loop_ends_and_the_value_is_sane_on_awkward_inputs():
    # huge a near x (Temme's window) and outside it, tiny a, x just past the switches; the
    # series and the continued fraction take at most about 100 steps anywhere (their cap is
    # 5000), so each of these returns at once
    cases = [(1e15, 1e15 * (1 + 1e-9)), (1e15, 3.1e14), (1e15, 2.4e15), (3.2e13, 2.7e16),
             (7e14, 4.7e16), (1e300, 1e300), (1e-300, 1e-300), (5e-324, 0.5), (0.5, 5e-324),
             (1e4, 1e-300), (1e-8, 1e4), (19.999999, 20.999999), (1.0, 2.0),
             (0.999999, 1.0000001), (1.4e-8, 1.0000001), (20.0, 20.0)]
    for a, x in cases:
        got = si.gammainc_da_scalar(a, x)
        assert math.isfinite(got) and got <= 0.0, (a, x, got)
    # at x = a: dP/da = -1 / sqrt(2 pi a) (1 + 1/(12 a) + O(a^-2)) (Temme's leading terms)
    for a in (1e6, 1e10, 1e15):
        want = -1.0 / math.sqrt(2.0 * math.pi * a) * (1.0 + 1.0 / (12.0 * a))
        assert math.isclose(si.gammainc_da_scalar(a, a), want, rel_tol=1e-12)
    # the eager impl agrees, huge shapes included (it took the O(sqrt(a)) series near x = a
    # and ran out of its 20,000 steps from a = 1e7: 9% off at a = x = 1e8)
    for a, x in [(19.999999, 20.999999), (1.0, 2.0), (0.999999, 1.0000001), (1e-8, 1e4),
                 (20.0, 20.0), (1e7, 1e7), (1e8, 1e8), (1e8, 1.0001e8), (1e15, 1e15 * 0.999)]:
        assert math.isclose(si.gammainc_da_scalar(a, x), float(si.gammainc_da_values(a, x)),
                            rel_tol=1e-13), (a, x)


# gradients in the shape (and x) of a function of P and Q
_GRAD_X = np.array([0.2, 3.0, 0.7, 2.5, 14.0, 28.0, 33.0, 240.0, 1e-3, 45.0])


def _shape_model(a):
    return fnp.sum(fsp.gammainc(a, _GRAD_X) * fnp.cos(a)) + fnp.sum(
        fnp.log(fsp.gammaincc(a, _GRAD_X))
    )


def _ax_model(a, x):
    return fnp.sum(fnp.log(fsp.gammainc(a, x)) + fsp.gammaincc(2.0 * a, x) ** 2)


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_gradients_in_the_shape_match_eager(backend, run_on_tier1, request):
    a = np.array([1e-3, 0.4, 1.0, 2.5, 9.0, 30.0, 30.0, 250.0, 0.05, 40.0])
    vg = fluxion.value_and_grad(_shape_model)
    want_value, want_grad = vg(a)
    # the rule itself: dP/da from gammainc_da, dQ/da = -dP/da
    da = si.gammainc_da_values(a, _GRAD_X)
    p, q = sc.gammainc(a, _GRAD_X), sc.gammaincc(a, _GRAD_X)
    np.testing.assert_allclose(want_grad, da * np.cos(a) - p * np.sin(a) - da / q, rtol=1e-13)
    value, grad = _run(backend, vg, run_on_tier1, request, a)
    assert value == pytest.approx(want_value, rel=1e-13)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12)
    # both arguments at once
    vg2 = fluxion.value_and_grad(_ax_model, argnums=(0, 1))
    a2 = np.array([0.3, 2.0, 25.0, 120.0])
    x2 = np.array([0.5, 1.5, 27.0, 110.0])
    want_value, (want_a, want_x) = vg2(a2, x2)
    value, got_a, got_x = _run(backend, vg2, run_on_tier1, request, a2, x2)
    assert value == pytest.approx(want_value, rel=1e-13)
    np.testing.assert_allclose(got_a, want_a, rtol=1e-12)
    np.testing.assert_allclose(got_x, want_x, rtol=1e-12)


def _stats_model(log_shape):
    # scipy.stats' gamma: its cdf and sf are gammainc / gammaincc of the shape
    a = fnp.exp(log_shape)
    return fnp.sum(fst.gamma.logsf(4.0, a, scale=1.5) + fst.gamma.logcdf(0.8, a, scale=1.5))


def test_scipy_stats_gamma_tails_differentiate_in_the_shape_at_tier1(run_on_tier1):
    log_shape = np.array([-1.0, 0.3, 1.2, 3.0])
    vg = fluxion.value_and_grad(_stats_model)
    want_value, want_grad = vg(log_shape)
    a = np.exp(log_shape)
    assert want_value == pytest.approx(
        np.sum(st.gamma.logsf(4.0, a, scale=1.5) + st.gamma.logcdf(0.8, a, scale=1.5)),
        rel=1e-12,
    )
    value, grad = run_on_tier1(vg, log_shape)
    assert value == pytest.approx(want_value, rel=1e-13)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12)


# A right-censored Gamma model with unknown shape k and scale theta: lifetimes above 5 are
# recorded as "more than 5"; x = (log k, log mu) with the mean mu = k theta (nearly
# uncorrelated a posteriori, where log k and log theta are not)
_TIMES = np.array([1.9, 3.1, 0.8, 4.2, 2.6, 1.4, 3.7, 2.2, 4.8, 0.6, 2.9, 3.3])
_CENSORED_AT = 5.0
_N_CENSORED = 4


def _censored_gamma_log_prob(x):
    k = fnp.exp(x[0])
    log_theta = x[1] - x[0]
    theta = fnp.exp(log_theta)
    observed = fnp.sum((k - 1.0) * fnp.log(_TIMES) - _TIMES / theta) - _TIMES.size * (
        fsp.gammaln(k) + k * log_theta
    )
    # P(T > c) = Q(k, c / theta): its gradient differentiates gammaincc in the shape
    censored = _N_CENSORED * fnp.log(fsp.gammaincc(k, _CENSORED_AT / theta))
    return observed + censored - 0.5 * fnp.sum((x / 2.0) ** 2)


def _posterior_moments():
    """Posterior means and sds of (log k, log mu) by quadrature on a fine grid."""
    # (the posterior sds are 0.39 and 0.22: the grid reaches beyond 5 of them each way)
    log_k, log_mu = np.meshgrid(np.linspace(-1.5, 3.0, 901), np.linspace(0.0, 3.0, 601),
                                indexing="ij")
    k, theta = np.exp(log_k), np.exp(log_mu - log_k)
    log_post = (
        (k - 1.0) * np.sum(np.log(_TIMES)) - np.sum(_TIMES) / theta
        - _TIMES.size * (sc.gammaln(k) + k * (log_mu - log_k))
        + _N_CENSORED * np.log(sc.gammaincc(k, _CENSORED_AT / theta))
        - 0.5 * ((log_k / 2.0) ** 2 + (log_mu / 2.0) ** 2)
    )
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    means = np.array([np.sum(log_k * w), np.sum(log_mu * w)])
    sds = np.sqrt(np.array([np.sum((log_k - means[0]) ** 2 * w),
                            np.sum((log_mu - means[1]) ** 2 * w)]))
    return means, sds


@pytest.mark.parametrize("potential", ["tape", "kernel"])
def test_a_censored_gamma_model_with_unknown_shape_samples_on_the_compiled_chain(
    potential, request
):
    # before the scalar formula, gammainc_da kept the potential's gradient off the tape and the
    # kernel: the sampler called the model back in Python and warned (a PerformanceWarning)
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(
            _censored_gamma_log_prob, np.array([0.5, 0.5]), chains=2, draws=500, warmup=300,
            seed=11, progress=False,
        )
    assert result.compiled == "chain" and result.potential == potential
    means, sds = _posterior_moments()
    draws = np.asarray(result.draws["x"]).reshape(-1, 2)
    # within 4 Monte-Carlo standard errors (an effective sample size of 300 of the 1000 draws;
    # measured 450-610 over three seeds)
    assert np.all(np.abs(draws.mean(axis=0) - means) < 4 * sds / np.sqrt(300)), (
        draws.mean(axis=0), means, sds)
