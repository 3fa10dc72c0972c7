"""The modified Bessel functions of real order ``iv``, ``ive``, ``kv``, ``kve`` in the compiled
backends: their scalar formula (``prims/special_more.py``: ``bessel_ik_scalar``, Temme's series
and continued fractions, Hankel's and the uniform large-order expansions) through jit tier 1
and the tape machine against 40-digit mpmath, SciPy's values at the edges and where they
deliberately differ from SciPy's, the x-gradients compiled, and two models sampled on the
compiled chain: a Matern Gaussian process with smoothness 1.3 (``kv``) and a von Mises-Fisher
concentration (``ive``).

Measured (``tools/bessel_ik_accuracy.py``, and 3,000 random points (v, x) with v in [-50, 200],
x in [1e-300, 1e4], each function): worst relative error against mpmath 3.3e-15 for |v| < 50
except near the zeros of I_-v (the cancellation in I_-v = I_v + (2/pi) sin(v pi) K_v:
2.3e-14 at I_-1.3(1), amplification 132; SciPy's 2.4e-14 there), 1.7e-13 for |v| >= 50 (the
rounding of the exponent v eta of the uniform expansion, about 600 in size; SciPy's about the
same). SciPy's on the same points: up to 6e-14 (|v| < 50) and 2.3e-13 where finite, and 0, inf
or NaN at points inside the float range (kv(0, 700), kv(150.5, 1), iv(100, 720), subnormal x).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fs
from fluxion._src.codegen import lowering
from fluxion._src.prims import special_more as sm

numba = pytest.importorskip("numba")

_PRIMS = (sm.iv_p, sm.ive_p, sm.kv_p, sm.kve_p)
_NAMES = ("iv", "ive", "kv", "kve")
_TINY = 2.2250738585072014e-308


def _run(backend, fn, args, run_on_tier1, request):
    if backend == "tier1":
        return run_on_tier1(fn, *args)
    return request.getfixturevalue("run_on_tape")(fn, *args)


def _four(v, x):
    return fs.iv(v, x), fs.ive(v, x), fs.kv(v, x), fs.kve(v, x)


def test_the_backends_lower_them_by_the_scalar_formula():
    for prim in _PRIMS:
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula"), prim.name


# ---------------------------------------------------------------------------------------------
# against mpmath
# ---------------------------------------------------------------------------------------------

# integers, half-integers (closed forms), near 0 (Temme's series), both sides of the switch to
# the uniform expansion at |v| = 50, negative orders (the reflection), large orders
_ORDERS = np.array([0.0, 1e-12, -1e-7, 0.2, 0.5, -0.5, 1.0, 1.3, -1.3, 2.5, 3.0, -7.3, 12.0,
                    20.5, -33.7, 49.9, 50.0, -50.5, 75.5, 120.0, 200.0])
# tiny, both sides of x = 2 (series / continued fractions) and of x = 30 (Hankel), large
_ARGS = np.array([1e-300, 1e-30, 1e-5, 0.3, 1.0, 2.0, 2.01, 4.5, 15.0, 30.5, 120.0, 700.0,
                  2600.0, 1e4])
_V, _X = (a.ravel() for a in np.meshgrid(_ORDERS, _ARGS, indexing="ij"))


@functools.cache
def _exact():
    """The four functions on the grid at 40 digits (mpmath), as mpf lists (values beyond
    2^+-1200 only bounded)."""
    mpmath = pytest.importorskip("mpmath")
    out = ([], [], [], [])
    with mpmath.workdps(40):
        for v, x in zip(_V, _X):
            vm, xm = mpmath.mpf(v), mpmath.mpf(x)
            i = mpmath.besseli(vm, xm, zeroprec=1200, infprec=1200)
            k = mpmath.besselk(vm, xm, zeroprec=1200, infprec=1200)
            out[0].append(i)
            out[1].append(i * mpmath.exp(-xm))
            out[2].append(k)
            out[3].append(k * mpmath.exp(xm))
    return out


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_they_match_mpmath(backend, run_on_tier1, request):
    """294 points per function. Worst relative errors measured: 2.3e-14 (|v| < 50; I_-1.3(1),
    a cancellation; 3.3e-15 for kv, kve) and 1.2e-13 (|v| >= 50; the rounding of the
    exponent); SciPy's on the finite ones: 6.4e-14 and 2.3e-13. Values beyond the float range
    overflow to +-inf or underflow to 0 (subnormal within 1e-300)."""
    mpmath = pytest.importorskip("mpmath")
    got = _run(backend, _four, (_V, _X), run_on_tier1, request)
    for name, values, exact in zip(_NAMES, got, _exact()):
        worst = {False: 0.0, True: 0.0}
        for v, x, value, want in zip(_V, _X, values, exact):
            if abs(want) > 1.7976931348623157e308:
                assert value == float(want), (name, v, x, value)  # +-inf
            elif abs(want) < _TINY:
                assert abs(value - float(want)) <= 1e-300, (name, v, x, value, want)
            else:
                err = float(abs(mpmath.mpf(value) / want - 1))
                worst[abs(v) >= 50] = max(worst[abs(v) >= 50], err)
        assert worst[False] <= 3e-14 and worst[True] <= 3e-13, (name, worst)


# ---------------------------------------------------------------------------------------------
# edges
# ---------------------------------------------------------------------------------------------

# (not -60.5 at tiny x: SciPy's ive is NaN where I_-60.5 overflows, here inf, as mpmath's)
_EDGE_V = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -3.0, 0.5, -0.5, -2.5, 1.3, -1.3, 60.0, -61.0,
                    np.inf, -np.inf, np.nan])
_EDGE_X = np.array([0.0, -0.0, 1e-30, -1.0, -2.5, -80.0, 1.0, 3.0, 80.0, 650.0, np.inf,
                    -np.inf, np.nan])
_EV, _EX = (a.ravel() for a in np.meshgrid(_EDGE_V, _EDGE_X, indexing="ij"))


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_edges_are_scipys(backend, run_on_tier1, request):
    # x = 0 (1, 0, inf or NaN by the order), negative x (NaN, or (-1)^n I_n(|x|) for an integer
    # order), infinite and NaN arguments and orders, overflow and underflow, exactly as SciPy;
    # the finite values to SciPy's accuracy (its iv(60, 650) is 1e-13 off)
    got = _run(backend, _four, (_EV, _EX), run_on_tier1, request)
    for name, values in zip(_NAMES, got):
        with np.errstate(all="ignore"):
            want = getattr(sc, name)(_EV, _EX)
        convention = ~np.isfinite(want) | (want == 0)
        np.testing.assert_array_equal(values[convention], want[convention], err_msg=name)
        np.testing.assert_allclose(values[~convention], want[~convention], rtol=2e-13,
                                   err_msg=name)


def test_where_they_differ_from_scipy_on_purpose(run_on_tier1):
    """mpmath as judge. SciPy gives NaN for orders far beyond the argument (kv(1e10, 1),
    ive(1e10, 1)) and for huge arguments (ive(0.5, 1e300), kve(0.5, 1e300)); 0 for kv(0, 700)
    (4.7e-306); inf for kv(150.5, 1) (1.3e307) and iv(100, 720). At subnormal x its iv is NaN
    and its kv, kve inf; ive(1, 1e-310) = 0."""
    mpmath = pytest.importorskip("mpmath")
    sub_v = np.array([0.0, 1.0, 0.5, -0.5, -1.3, 0.0, 0.5, 1.0])
    sub_x = np.array([1e-310] * 5 + [5e-324] * 3)
    v = np.concatenate([[1e10, 0.5, 0.0, 150.5, 100.0], sub_v])
    x = np.concatenate([[1.0, 1e300, 700.0, 1.0, 720.0], sub_x])
    iv, ive, kv, kve = run_on_tier1(_four, v, x)
    with mpmath.workdps(40):
        for i, (vi, xi) in enumerate(zip(sub_v, sub_x), start=5):
            for value, exact in ((iv[i], mpmath.besseli(vi, xi)),
                                 (kv[i], mpmath.besselk(vi, xi))):
                if abs(exact) < 2.2e-308:
                    assert abs(value - float(exact)) <= 1e-323, (vi, xi, value)
                elif abs(exact) > 1.7976931348623157e308:
                    assert value == float(exact), (vi, xi, value)
                else:
                    assert float(abs(mpmath.mpf(value) / exact - 1)) <= 1e-14, (vi, xi, value)
    with np.errstate(all="ignore"):
        assert np.isnan(sc.iv(sub_v, sub_x)).all() and (sc.kv(sub_v, sub_x) == np.inf).all()
    assert ive[6] == 5e-311 and sc.ive(1.0, 1e-310) == 0.0
    assert kv[0] == np.inf and ive[0] == 0.0 and iv[0] == 0.0
    assert np.isnan(sc.kv(1e10, 1.0)) and np.isnan(sc.ive(1e10, 1.0))
    # half-integer closed forms: e^-x I_1/2 = (1 - e^-2x) / sqrt(2 pi x), e^x K_1/2 =
    # sqrt(pi / (2x))
    assert ive[1] == pytest.approx(1.0 / np.sqrt(2e300 * np.pi), rel=1e-15)
    assert kve[1] == pytest.approx(np.sqrt(np.pi / 2e300), rel=1e-15)
    assert np.isnan(sc.ive(0.5, 1e300)) and np.isnan(sc.kve(0.5, 1e300))
    with mpmath.workdps(40):
        want = [mpmath.besselk(0, 700), mpmath.besselk(150.5, 1), mpmath.besseli(100, 720)]
    for value, exact in zip((kv[2], kv[3], iv[4]), want):
        assert float(abs(mpmath.mpf(value) / exact - 1)) <= 1e-13, (value, exact)
    assert sc.kv(0.0, 700.0) == 0.0 and sc.kv(150.5, 1.0) == np.inf
    assert sc.iv(100.0, 720.0) == np.inf


def test_every_loop_ends_on_awkward_inputs():
    # the method switches, huge orders and arguments, subnormal arguments: a value (no hang)
    fn = sm.bessel_ik_scalar
    for v in (0.0, 0.5, 1e-300, 49.999, 50.0, 1e3, 1e8, 1e300, -1e300, -0.5 - 1e-15):
        for x in (5e-324, 1e-300, 1.0, 2.0, np.nextafter(2.0, 3.0), 29.9, 30.0, 1e3, 1e100):
            for kind in (0, 1):
                for scaled in (0, 1):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        try:
                            value = fn(v, x, kind, scaled)
                        except OverflowError:  # Python's math.exp (numba returns inf)
                            continue
                    assert value == value or kind == 0 and v < 0, (v, x, kind, scaled)


# ---------------------------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------------------------

_GV = np.array([1.3, -0.7, 2.0, 55.5])


def _mixed(x):
    # d/dx by the recurrences: iv' = (iv_{v-1} + iv_{v+1}) / 2, kv' = -(kv_{v-1} + kv_{v+1}) / 2,
    # ive' = (ive_{v-1} + ive_{v+1}) / 2 - sign(x) ive, kve' = kve - (kve_{v-1} + kve_{v+1}) / 2
    return (fnp.sum(fs.iv(_GV, x) * fnp.cos(x)) + fnp.sum(fnp.log(fs.kv(_GV, x)))
            + fnp.sum(fs.ive(_GV, 2.0 * x)) + fnp.sum(fnp.log(fs.kve(_GV, x)) / x))


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_gradients_compile_and_match_eager_and_differences(backend, run_on_tier1, request):
    x = np.array([0.4, 2.5, 7.0, 40.0])
    vg = fluxion.value_and_grad(_mixed)
    want_value, want_grad = vg(x)  # eager: SciPy and the derivative rules
    eps = 1e-6 * x
    fd = np.array([(_mixed(x + e) - _mixed(x - e)) / (2 * e[i])
                   for i, e in enumerate(np.diag(eps))], dtype=float)
    np.testing.assert_allclose(want_grad, fd, rtol=1e-6)
    value, grad = _run(backend, vg, (x,), run_on_tier1, request)
    assert value == pytest.approx(want_value, rel=1e-13)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# models on the compiled chain
# ---------------------------------------------------------------------------------------------

_NU = 1.3  # Matern smoothness: not a half-integer, so no closed form
_GP_X = np.linspace(0.0, 10.0, 30)
_GP_Y = np.sin(_GP_X) + 0.3 * np.random.default_rng(5).standard_normal(30)
_R = np.abs(_GP_X[:, None] - _GP_X[None, :])
_OFF = _R > 0
_R_SAFE = np.where(_OFF, _R, 1.0)  # K_nu is never evaluated at 0 (the diagonal is amp^2)
_NOISE = 0.3**2


def _matern_log_prob(theta):
    """Log marginal likelihood of a zero-mean GP with the Matern kernel
    ``amp^2 2^(1-nu) / Gamma(nu) z^nu K_nu(z)``, ``z = sqrt(2 nu) r / ls``, plus N(0, 1) priors
    on log amp and log ls."""
    import fluxion.scipy.linalg as fla

    amp2 = fnp.exp(2.0 * theta[0])
    ls = fnp.exp(theta[1])
    z = np.sqrt(2.0 * _NU) * _R_SAFE / ls
    shape = 2.0 ** (1.0 - _NU) / sc.gamma(_NU) * z**_NU * fs.kv(_NU, z)
    cov = amp2 * fnp.where(_OFF, shape, 1.0) + _NOISE * np.eye(_GP_X.size)
    chol = fnp.linalg.cholesky(cov)
    alpha = fla.solve_triangular(chol, _GP_Y, lower=True)
    return (-0.5 * fnp.sum(alpha * alpha) - fnp.sum(fnp.log(fnp.diagonal(chol)))
            - 0.5 * fnp.sum(theta * theta))


def _matern_grid_moments():
    g = np.linspace(-3.0, 3.0, 121)
    t = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    amp2, ls = np.exp(2.0 * t[:, 0]), np.exp(t[:, 1])
    z = np.sqrt(2.0 * _NU) * _R_SAFE / ls[:, None, None]
    shape = 2.0 ** (1.0 - _NU) / sc.gamma(_NU) * z**_NU * sc.kv(_NU, z)
    cov = amp2[:, None, None] * np.where(_OFF, shape, 1.0) + _NOISE * np.eye(_GP_X.size)
    chol = np.linalg.cholesky(cov)
    alpha = np.linalg.solve(chol, np.broadcast_to(_GP_Y, (t.shape[0], _GP_X.size))[..., None])
    logp = (-0.5 * np.sum(alpha[..., 0] ** 2, -1)
            - np.log(np.diagonal(chol, 0, -2, -1)).sum(-1) - 0.5 * np.sum(t * t, -1))
    w = np.exp(logp - logp.max())
    w /= w.sum()
    mean = w @ t
    return mean, np.sqrt(w @ (t - mean) ** 2)


def test_matern_log_prob_compiles_and_matches_eager(run_on_tier1, run_on_tape):
    theta = np.array([0.2, 0.4])
    vg = fluxion.value_and_grad(_matern_log_prob)
    want_value, want_grad = vg(theta)
    for name, run in (("tier 1", run_on_tier1), ("tape", run_on_tape)):
        value, grad = run(vg, theta)
        assert value == pytest.approx(want_value, rel=1e-12), name
        np.testing.assert_allclose(grad, want_grad, rtol=1e-10, err_msg=name)


@pytest.mark.slow  # the compiled NUTS core compiles once per session (about a minute)
def test_a_matern_gp_samples_on_the_compiled_chain(compiled_nuts):
    # before the scalar formula, kv kept the potential off the tape: the sampler called the model
    # back in Python (a PerformanceWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(_matern_log_prob, np.zeros(2), chains=2, draws=500,
                                     warmup=300, seed=3, progress=False)
    assert result.compiled == "chain" and result.potential == "tape"
    mean, sd = _matern_grid_moments()
    draws = np.asarray(result.draws["x"]).reshape(-1, 2)
    # within 4 Monte-Carlo standard errors (an effective sample size of 200 of the 1000 draws)
    assert np.all(np.abs(draws.mean(0) - mean) < 4 * sd / np.sqrt(200)), (draws.mean(0), mean)


# von Mises-Fisher on the sphere S^4 (p = 5): n unit vectors with mean resultant length R
# about a known mean direction; log C_p(kappa) = (p/2 - 1) log kappa - log I_{p/2-1}(kappa)
# - (p/2) log 2 pi, with log I = log ive + kappa (no overflow); a N(1, 1) prior on log kappa
_P, _N_VMF, _RBAR = 5, 40, 0.62


def _vmf_log_prob(log_kappa):
    kappa = fnp.exp(log_kappa)
    order = 0.5 * _P - 1.0
    log_norm = order * log_kappa - fnp.log(fs.ive(order, kappa)) - kappa
    return _N_VMF * (log_norm + kappa * _RBAR) - 0.5 * (log_kappa - 1.0) ** 2


@pytest.mark.slow  # the compiled NUTS core compiles once per session (about a minute)
def test_a_von_mises_fisher_concentration_samples_on_the_compiled_chain(compiled_nuts):
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(_vmf_log_prob, 0.0, chains=2, draws=500, warmup=300,
                                     seed=5, progress=False)
    assert result.compiled == "chain" and result.potential == "tape"
    grid = np.linspace(-2.0, 5.0, 7001)
    kappa = np.exp(grid)
    log_post = (_N_VMF * (1.5 * grid - np.log(sc.ive(1.5, kappa)) - kappa + kappa * _RBAR)
                - 0.5 * (grid - 1.0) ** 2)
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    mean = w @ grid
    sd = np.sqrt(w @ (grid - mean) ** 2)
    draws = np.asarray(result.draws["x"]).ravel()
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(200), (draws.mean(), mean, sd)
