"""The exponential integrals ``exp1``, ``expi``, the scaled complementary error function ``erfcx``
and the modified Bessel functions of the second kind ``k0``, ``k1``, ``k0e``, ``k1e`` in the
compiled backends: their scalar formulas (``prims/special_more.py``: ``exp1_scalar``,
``expi_scalar``, ``bessel_k01_scalar``; ``prims/special_incomplete.py``: ``erfcx_scalar``) run
through jit tier 1 and the tape machine against 40-digit mpmath, SciPy's values at the edges
and where they deliberately differ from SciPy's, the gradients compiled, and a model with a
Bessel-K likelihood sampled on the compiled chain. The grids against SciPy are in
``tests/test_special_scalar_formulas.py``.
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
from fluxion._src.prims import special_incomplete as si
from fluxion._src.prims import special_more as sm

numba = pytest.importorskip("numba")

_X0 = 0.3725074107813666  # the double nearest the zero of Ei


def _run(backend, fn, args, run_on_tier1, request):
    if backend == "tier1":
        return run_on_tier1(fn, *args)
    return request.getfixturevalue("run_on_tape")(fn, *args)


def test_the_backends_lower_them_by_the_scalar_formula():
    for prim in (sm.exp1_p, sm.expi_p, si.erfcx_p, sm.k0_p, sm.k1_p, sm.k0e_p, sm.k1e_p):
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula"), prim.name


# ---------------------------------------------------------------------------------------------
# against mpmath
# ---------------------------------------------------------------------------------------------

_RNG = np.random.default_rng(20240611)
# 212 positive points: magnitudes 1e-300 ... 740, [0, 3] and [3, 60] at random, the switches
_POSITIVE = np.concatenate([
    np.logspace(-300.0, np.log10(740.0), 120), _RNG.uniform(0.0, 3.0, 40),
    _RNG.uniform(3.0, 60.0, 40), [0.18, 0.75, 1.0, np.nextafter(1.0, 2.0), 19.5, 40.0,
                                  np.nextafter(40.0, 41.0), 700.0, 1e3, 1e10, 1e100, 1e300],
])
_REAL = np.concatenate([_POSITIVE[_POSITIVE < 716.0], -_POSITIVE])
_ERFCX = np.concatenate([np.linspace(-26.6, 0.0, 60), _POSITIVE])


def _all_seven(positive, real, erfcx_args):
    return (fs.exp1(positive), fs.expi(real), fs.erfcx(erfcx_args), fs.k0(positive),
            fs.k1(positive), fs.k0e(positive), fs.k1e(positive))


@functools.cache
def _exact():
    """The seven functions at 40 digits (mpmath), as mpf lists."""
    mpmath = pytest.importorskip("mpmath")
    mp = mpmath.mp
    with mpmath.workdps(40):
        def erfcx(x):
            x = mp.mpf(x)
            if x > 1e6:  # 1/(sqrt(pi) x) (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6)); mpmath's erfc
                # fails for the largest x
                return (1 - 1 / (2 * x**2) + 3 / (4 * x**4) - 15 / (8 * x**6)) / (
                    mp.sqrt(mp.pi) * x)
            return mp.exp(x * x) * mp.erfc(x)

        pos = [mp.mpf(x) for x in _POSITIVE]
        return (
            [mp.e1(x) for x in pos], [mp.ei(x) for x in _REAL], [erfcx(x) for x in _ERFCX],
            [mp.besselk(0, x) for x in pos], [mp.besselk(1, x) for x in pos],
            [mp.besselk(0, x) * mp.exp(x) for x in pos],
            [mp.besselk(1, x) * mp.exp(x) for x in pos],
        )


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_they_match_mpmath(backend, run_on_tier1, request):
    """212 positive points (60 more below 0 for erfcx, 212 negative for expi) against mpmath at
    40 digits. Measured worst relative errors (the formulas as plain Python): exp1 1.1e-15
    (x = 1), expi 1.1e-15 (x = -1), erfcx 2.2e-16, k0 4.4e-16, k1 5.6e-16, k0e 4.4e-16, k1e
    4.4e-16; SciPy's on these points: 1.1e-15, 2.8e-14 (x = 40), 5.3e-14 (x = -23), 1e-15,
    4.4e-16, 1.1e-15, 4.4e-16. (On denser grids: 1.1e-15, 1.8e-15 (x = 27.6), 4.3e-16, and
    8.5e-16 for the four Bessel functions.)"""
    mpmath = pytest.importorskip("mpmath")
    got = _run(backend, _all_seven, (_POSITIVE, _REAL, _ERFCX), run_on_tier1, request)
    names = ("exp1", "expi", "erfcx", "k0", "k1", "k0e", "k1e")
    args = (_POSITIVE, _REAL, _ERFCX) + (_POSITIVE,) * 4
    for name, values, exact, x in zip(names, got, _exact(), args):
        worst = 0.0
        for xi, value, want in zip(x, values, exact):
            if abs(want) > 1e-300 and np.isfinite(float(want)):
                worst = max(worst, float(abs(mpmath.mpf(value) / want - 1)))
            else:  # underflowed (or subnormal) results: to the smallest subnormals
                assert abs(value - float(want)) <= 1e-300, (name, xi, value, want)
        assert worst <= 2e-15, (name, worst)


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_expi_near_its_zero(backend, run_on_tier1, request):
    """Around x0 = 0.3725 the formula subtracts Ei(x0) = 0 term by term (``expi_scalar``), so
    its relative error stays at rounding (measured 3.3e-16 against mpmath) down to the double
    nearest x0 (Ei = -5.1e-17 there); SciPy's error there is absolute, up to 2.7e-16."""
    mpmath = pytest.importorskip("mpmath")
    offsets = np.concatenate([np.logspace(-17.0, -1.0, 33), -np.logspace(-17.0, -1.0, 33)])
    x = np.concatenate([[_X0], _X0 + offsets, np.nextafter(_X0, [0.0, 1.0])])
    (got,) = _run(backend, lambda v: (fs.expi(v),), (x,), run_on_tier1, request)
    with mpmath.workdps(40):
        rel = [float(abs(mpmath.mpf(g) / mpmath.ei(xi) - 1)) for g, xi in zip(got, x)]
    assert max(rel) <= 1e-15, max(rel)
    np.testing.assert_allclose(got, sc.expi(x), rtol=0, atol=4e-16)


# ---------------------------------------------------------------------------------------------
# edges
# ---------------------------------------------------------------------------------------------

_EDGES = np.array([0.0, -0.0, 1e-300, -1e-300, -5e-324, -1.0, 1.0, np.inf, -np.inf, np.nan,
                   1e300, -1e300, 720.0, 745.0, 750.0, -720.0, -745.0, -750.0, -26.62, -26.64])


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_edges_are_scipys(backend, run_on_tier1, request):
    # zeros, infinities, NaN, negatives (NaN or inf), underflow to subnormals and 0 with its
    # sign (expi(-745) = -0.0), overflow (erfcx(-26.64) = inf), exactly as SciPy
    fns = (fs.exp1, fs.expi, fs.erfcx, fs.k0, fs.k1, fs.k0e, fs.k1e)
    if backend == "eager-formula":  # the helpers as plain Python
        scalars = (sm.exp1_scalar, sm.expi_scalar, si.erfcx_scalar,
                   lambda v: sm.bessel_k01_scalar(v, 0, 0), lambda v: sm.bessel_k01_scalar(v, 1, 0),
                   lambda v: sm.bessel_k01_scalar(v, 0, 1), lambda v: sm.bessel_k01_scalar(v, 1, 1))
        got = [np.array([f(float(v)) for v in _EDGES]) for f in scalars]
    else:
        got = _run(backend, lambda v: tuple(f(v) for f in fns), (_EDGES,), run_on_tier1, request)
    for fn, values in zip(fns, got):
        with np.errstate(all="ignore"):
            want = getattr(sc, fn.__name__)(_EDGES)
        convention = ~np.isfinite(want) | (np.abs(want) < 1e-300)
        np.testing.assert_array_equal(values[convention], want[convention], err_msg=fn.__name__)
        signed = ~np.isnan(want)  # (the sign of zeros and infinities; SciPy's NaN may be -nan)
        np.testing.assert_array_equal(np.signbit(values[signed]), np.signbit(want[signed]),
                                      err_msg=fn.__name__)
        # the values between to SciPy's accuracy (its erfcx(-26.62) is 2e-14 off)
        np.testing.assert_allclose(values[~convention], want[~convention], rtol=1e-13,
                                   err_msg=fn.__name__)


def test_where_they_differ_from_scipy_on_purpose(run_on_tier1):
    """mpmath as judge. Ei between x = 709.78 (e^x overflows; SciPy: inf) and 716.36 (Ei does);
    K at subnormal x, where SciPy halves x before its logarithm (4e-4 off at 1.5e-323, K0(5e-324)
    = inf and K1(5e-324) = NaN there; here 744.556 and inf)."""
    mpmath = pytest.importorskip("mpmath")
    big = np.array([709.79, 710.0, 712.5, 716.0, 716.35, 716.36, 720.0])
    tiny = np.array([5e-324, 1.5e-323, 1e-320, 1e-317, 2e-310])
    got = run_on_tier1(lambda b, t: (fs.expi(b), fs.k0(t), fs.k0e(t), fs.k1(t), fs.k1e(t)),
                       big, tiny)
    with mpmath.workdps(40):
        want_ei = [mpmath.ei(x) for x in big]
        want_k0 = [mpmath.besselk(0, x) for x in tiny]
        want_k1 = [mpmath.besselk(1, x) for x in tiny]
    assert np.all(sc.expi(big) == np.inf)
    for value, want in zip(got[0], want_ei):
        if want < 1.7976931348623157e308:
            assert float(abs(mpmath.mpf(value) / want - 1)) <= 1e-15, (value, want)
        else:
            assert value == np.inf
    assert np.isfinite(got[0][:5]).all() and np.isinf(got[0][5:]).all()
    for k0_values in got[1:3]:  # e^x = 1 at these x
        for value, want in zip(k0_values, want_k0):
            assert float(abs(mpmath.mpf(value) / want - 1)) <= 1e-15, (value, want)
    for k1_values in got[3:]:
        for value, want in zip(k1_values, want_k1):  # 1/x: inf below 5.6e-309
            assert value == float(want)
    assert got[1][0] == pytest.approx(744.5560034370396, rel=1e-15) and sc.k0(5e-324) == np.inf
    assert got[3][0] == np.inf and np.isnan(sc.k1(5e-324))


def test_every_loop_ends_and_stays_finite():
    # the switches between methods, huge and tiny arguments
    for x in (1.0, np.nextafter(1.0, 2.0), 1e-8, 19.5, 19.49, 40.0, 40.0001, 0.18, 0.75, 4.999,
              5.0, 1e8, 1e154, 1e155, 1.7e308, 5e-324):
        for value in (sm.exp1_scalar(x), sm.expi_scalar(x), si.erfcx_scalar(x),
                      si.erfcx_scalar(-min(x, 26.0)), sm.bessel_k01_scalar(x, 0, 1),
                      sm.bessel_k01_scalar(x, 1, 1), sm.bessel_k01_scalar(x, 0, 0)):
            assert value == value, x
        assert np.isclose(sm.bessel_k01_scalar(x, 0, 1), sc.k0e(x), rtol=1e-14) or x == 5e-324


# ---------------------------------------------------------------------------------------------
# gradients and a model
# ---------------------------------------------------------------------------------------------

def _seven(p):
    # E1' = -e^-x/x, Ei' = e^x/x, erfcx' = 2x erfcx - 2/sqrt(pi), K0' = -K1, K1' = -K0 - K1/x,
    # k0e' = k0e - k1e, k1e' = k1e - k0e - k1e/x: every piece lowers
    a, b, c = p[0], p[1], p[2]
    return (fs.exp1(a) + fs.expi(b) + fs.expi(-c) + fs.erfcx(-c) + fs.erfcx(a * b)
            + fs.k0(b) + fs.k1(c) + fs.k0e(a * c) + fs.k1e(b * c))


def _by_hand(p):
    a, b, c = p

    def erfcx_dx(x):
        return 2.0 * x * sc.erfcx(x) - 2.0 / np.sqrt(np.pi)

    def k0e_dx(x):
        return sc.k0e(x) - sc.k1e(x)

    def k1e_dx(x):
        return sc.k1e(x) - sc.k0e(x) - sc.k1e(x) / x

    return np.array([
        -np.exp(-a) / a + b * erfcx_dx(a * b) + c * k0e_dx(a * c),
        np.exp(b) / b + a * erfcx_dx(a * b) - sc.k1(b) + c * k1e_dx(b * c),
        np.exp(-c) / c - erfcx_dx(-c) - sc.k0(c) - sc.k1(c) / c + a * k0e_dx(a * c)
        + b * k1e_dx(b * c),
    ])


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_gradients_compile_and_match_eager(backend, run_on_tier1, request):
    p = np.array([0.3, 2.7, 1.4])
    vg = fluxion.value_and_grad(_seven)
    want_value, want_grad = vg(p)  # eager: SciPy and the derivative rules
    np.testing.assert_allclose(want_grad, _by_hand(p), rtol=1e-13)
    value, grad = _run(backend, vg, (p,), run_on_tier1, request)
    assert value == pytest.approx(want_value, rel=1e-14)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-13)


# The product of two independent N(0, 1) variables has density K0(|z|) / pi; data z_i = sigma
# u_i v_i, so p(z | sigma) = K0(|z| / sigma) / (pi sigma); a N(0, 1) prior on log sigma
_Z = 1.7 * np.random.default_rng(3).standard_normal((2, 30)).prod(axis=0)


def _product_normal_log_prob(log_sigma):
    sigma = fnp.exp(log_sigma)
    return (fnp.sum(fnp.log(fs.k0(np.abs(_Z) / sigma))) - _Z.size * (np.log(np.pi) + log_sigma)
            - 0.5 * log_sigma**2)


@pytest.mark.parametrize("potential", ["tape", "kernel"])
def test_a_bessel_k_likelihood_samples_on_the_compiled_chain(potential, request):
    # before the scalar formulas, k0 (and k1, its derivative) kept the potential off the tape
    # and the kernel: the sampler called the model back in Python (a PerformanceWarning)
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(
            _product_normal_log_prob, 0.0, chains=2, draws=1000, warmup=500, seed=11,
            progress=False,
        )
    assert result.compiled == "chain" and result.potential == potential
    # the posterior mean of log sigma by quadrature on a fine grid
    grid = np.linspace(-3.0, 3.0, 6001)
    log_post = (np.sum(np.log(sc.k0(np.abs(_Z)[:, None] / np.exp(grid))), axis=0)
                - _Z.size * grid - 0.5 * grid**2)
    weights = np.exp(log_post - log_post.max())
    mean = np.sum(grid * weights) / np.sum(weights)
    sd = np.sqrt(np.sum((grid - mean) ** 2 * weights) / np.sum(weights))
    draws = np.asarray(result.draws["x"]).ravel()
    # within 4 Monte-Carlo standard errors (an effective sample size of 300 of the 2000 draws)
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(300)
