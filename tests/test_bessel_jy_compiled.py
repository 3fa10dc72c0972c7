"""The Bessel functions of the first and second kind of order 0 and 1, ``j0``, ``j1``, ``y0``,
``y1``, in the compiled backends: their scalar formula (``prims/special_more.py``:
``bessel_jy01_scalar``, ``bessel_jy01_hankel_scalar``: power series, Miller's recurrence with
Neumann sums, Hankel's expansion with the phase reduced in double-double) through jit tier 1 and
the tape machine against 40-digit mpmath (beside SciPy's error on the same points), at the
doubles nearest their zeros, SciPy's edges and where they deliberately differ from SciPy, the
gradients compiled, and an Airy-disk PSF fitted on the compiled chain.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
import scipy.optimize as so
import scipy.special as sc

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fs
from fluxion._src.codegen import lowering
from fluxion._src.prims import special_more as sm

numba = pytest.importorskip("numba")

_NAMES = ("j0", "j1", "y0", "y1")
_ORDER_KIND = ((0, 0), (1, 0), (0, 1), (1, 1))  # (order, second) of bessel_jy01_scalar


def _run(backend, fn, args, run_on_tier1, request):
    if backend == "tier1":
        return run_on_tier1(fn, *args)
    return request.getfixturevalue("run_on_tape")(fn, *args)


def _each_its_own(a, b, c, d):
    return fs.j0(a), fs.j1(b), fs.y0(c), fs.y1(d)


def test_the_backends_lower_them_by_the_scalar_formula():
    for prim in (sm.j0_p, sm.j1_p, sm.y0_p, sm.y1_p):
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula"), prim.name


# ---------------------------------------------------------------------------------------------
# the points: one compiled evaluation per backend (one tier-1 compilation) serves the tests
# ---------------------------------------------------------------------------------------------

_RNG = np.random.default_rng(20261207)
# 248 positive points: magnitudes 1e-300 ... 1e300, the series [0, 1], the recurrence [1, 18],
# Hankel's expansion beyond (reduced phase below 2^28, libm's sin/cos above), the switches;
# J on them and 83 of their negatives, Y on the absolute values
_POSITIVE = np.concatenate([
    np.logspace(-300.0, 300.0, 61), _RNG.uniform(0.0, 1.0, 25), _RNG.uniform(1.0, 18.0, 100),
    _RNG.uniform(18.0, 60.0, 30), np.exp(_RNG.uniform(np.log(60.0), np.log(1e9), 24)),
    [1.0, np.nextafter(1.0, 2.0), np.nextafter(18.0, 0.0), 18.0, 2.0**28,
     np.nextafter(2.0**28, 0.0), 1e8, 1e15],
])
_REAL = np.concatenate([_POSITIVE, -_POSITIVE[::3]])
_EDGES = np.array([0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 2.2e-308, 1.0, -1.0, 18.0,
                   -18.0, 1e300, -1e300, 1.7976931348623157e308, np.nan, -np.inf, np.inf])
_AT_INF = np.isinf(_EDGES)
_BIG = np.array([2.5e8, 1e10, 1e15, 2.0**60, 1e100, 1e300])
_INFINITIES = np.array([np.inf, -np.inf, np.inf, np.inf, -np.inf, -np.inf])


def _zeros_of(mpmath, order, second):
    """The doubles nearest zeros 1 to 8, 20, 1000, 1e5, 1e7 (x up to 3.1e7) and their
    neighbours, by McMahon's estimate and mpmath's findroot."""
    fn = functools.partial(mpmath.bessely if second else mpmath.besselj, order)
    xs = []
    for k in (*range(1, 9), 20, 1000, 10**5, 10**7):
        beta = (k + order / 2 - (0.75 if second else 0.25)) * mpmath.pi
        zero = float(mpmath.findroot(fn, beta - (4 * order**2 - 1) / (8 * beta)))
        xs += [zero, np.nextafter(zero, 0.0), np.nextafter(zero, np.inf)]
    return np.array(xs)


@functools.cache
def _points():
    """The four input arrays (j0's, j1's, y0's, y1's) and the slices of their parts: "grid",
    "zeros" (each function's own), "edges", "big" (then the infinities)."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        zeros = [_zeros_of(mpmath, order, second) for order, second in _ORDER_KIND]
    parts = {"grid": [_REAL, _REAL, np.abs(_REAL), np.abs(_REAL)], "zeros": zeros,
             "edges": [_EDGES] * 4,
             "big": [np.concatenate([_BIG, _INFINITIES])] * 2
             + [np.concatenate([_BIG, np.abs(_INFINITIES)])] * 2}
    slices, start = {}, 0
    for name, arrays in parts.items():
        slices[name] = slice(start, start + arrays[0].size)
        start += arrays[0].size
    inputs = tuple(np.concatenate([parts[name][i] for name in parts]) for i in range(4))
    return inputs, slices


_OUTPUTS: dict = {}


def _outputs(backend, run_on_tier1, request):
    """The four functions on ``_points()`` through ``backend`` (computed once)."""
    if backend not in _OUTPUTS:
        inputs, _ = _points()
        if backend == "eager-formula":  # the helper as plain Python
            _OUTPUTS[backend] = [
                np.array([sm.bessel_jy01_scalar(float(v), order, second) for v in x])
                for x, (order, second) in zip(inputs, _ORDER_KIND)]
        else:
            _OUTPUTS[backend] = [np.asarray(v) for v in
                                 _run(backend, _each_its_own, inputs, run_on_tier1, request)]
    return _OUTPUTS[backend]


def _part(backend, name, run_on_tier1, request):
    """[(x, values)] per function on the part ``name`` of the points."""
    inputs, slices = _points()
    outputs = _outputs(backend, run_on_tier1, request)
    return [(x[slices[name]], v[slices[name]]) for x, v in zip(inputs, outputs)]


def _envelope_error(got, want, x):
    """``|got - want| / max(|want|, sqrt(2/(pi max(|x|, 1))))``: relative away from the zeros,
    absolute in units of the envelope near them (no method is relatively accurate there
    without the zero itself)."""
    import mpmath

    scale = mpmath.sqrt(2 / (mpmath.pi * max(abs(mpmath.mpf(x)), 1)))
    return float(abs(mpmath.mpf(got) - want) / max(abs(want), scale))


def _mpmath_values(xs, order, second):
    import mpmath

    fn = mpmath.bessely if second else mpmath.besselj
    with mpmath.workdps(40):
        return [fn(order, mpmath.mpf(x)) for x in xs]


# ---------------------------------------------------------------------------------------------
# against mpmath
# ---------------------------------------------------------------------------------------------

@functools.cache
def _exact(part):
    """The four functions at 40 digits (mpmath) on the part ``part`` of the points."""
    pytest.importorskip("mpmath")
    inputs, slices = _points()
    return [_mpmath_values(x[slices[part]], order, second)
            for x, (order, second) in zip(inputs, _ORDER_KIND)]


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_they_match_mpmath(backend, run_on_tier1, request):
    """248 positive points and 83 negative ones (Y: their absolute values) against mpmath at
    40 digits, as ``_envelope_error``. Measured worst (the formula as plain Python): j0 9.9e-16
    (x = 17.5), j1 7.9e-16 (7.0), y0 1.0e-15 (10.5), y1 1.3e-15 (17.4), all in the
    recurrence's range; SciPy's on these points below x = 60: 2.7e-15, 1.0e-15, 2.7e-15,
    1.8e-15, and beyond, 0.77 (j0, y0) and 1.8 (j1, y1) from x ~ 1e18 on (see
    ``test_where_they_differ_from_scipy_on_purpose``)."""
    got = _part(backend, "grid", run_on_tier1, request)
    for name, (x, values), exact in zip(_NAMES, got, _exact("grid")):
        worst = max(_envelope_error(v, w, xi) for v, w, xi in zip(values, exact, x))
        assert worst <= 2e-15, (name, worst)


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_near_their_zeros(backend, run_on_tier1, request):
    """At the doubles nearest 12 zeros of each function and their neighbours, the absolute
    error in units of the envelope ``sqrt(2/(pi x))``: measured 1e-15 at worst below x = 18
    (y0's fourth zero, 10.22: the recurrence; j0 5.7e-16, j1 5.6e-16, y1 6.7e-16) and 2e-17
    beyond, where the reduced phase keeps the value's error at that of ``phi ~ 1/(8x)`` (its
    relative error 3e-11 at worst at zero 1e5, x = 3.1e5); SciPy's, 1.5e-9 (zero 1e7)."""
    mpmath = pytest.importorskip("mpmath")
    got = _part(backend, "zeros", run_on_tier1, request)
    for name, (xs, values), exact in zip(_NAMES, got, _exact("zeros")):
        for value, want, x in zip(values, exact, xs):
            error = float(abs(mpmath.mpf(value) - want) / mpmath.sqrt(2 / (mpmath.pi * x)))
            assert error <= (1.1e-15 if x < 18.0 else 1e-16), (name, x, error)


# ---------------------------------------------------------------------------------------------
# edges
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_edges_are_scipys(backend, run_on_tier1, request):
    # J0(+-0) = 1, J1(+-0) = +-0, J1(5e-324) = 0 (underflow), Y(0) = -inf, Y1(5e-324) = -inf
    # (overflow), NaN for x < 0 in Y and for NaN; at +-inf the limit 0 (SciPy: NaN)
    got = _part(backend, "edges", run_on_tier1, request)
    for name, (_, values) in zip(_NAMES, got):
        with np.errstate(all="ignore"):
            want = getattr(sc, name)(_EDGES)
        assert np.all(np.isnan(want[_AT_INF]))  # SciPy 1.17's
        at_inf = _EDGES[_AT_INF]
        if name == "j1":  # odd
            want[_AT_INF] = np.copysign(0.0, at_inf)
        else:
            want[_AT_INF] = np.where((name[0] == "y") & (at_inf < 0), np.nan, 0.0)
        convention = ~np.isfinite(want) | (want == 0.0)
        np.testing.assert_array_equal(values[convention], want[convention], err_msg=name)
        signed = convention & ~np.isnan(want)  # the signs of zeros and infinities
        np.testing.assert_array_equal(np.signbit(values[signed]), np.signbit(want[signed]),
                                      err_msg=name)
        close = ~convention & (np.abs(_EDGES) < 1e10)  # SciPy is wrong for huge x
        # (SciPy's j1(2.2e-308) = 1.1000000000001483e-308: 300 subnormal steps off x/2)
        np.testing.assert_allclose(values[close], want[close], rtol=1e-13, atol=1e-320,
                                   err_msg=name)


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_where_they_differ_from_scipy_on_purpose(backend, run_on_tier1, request):
    """mpmath as judge. At +-inf the limit 0 (SciPy 1.17: NaN). For large x SciPy's phase
    ``x - pi/4`` is rounded to a double: its error (``_envelope_error``) is 6e-9 at x = 2.5e8,
    9e-7 at 1e10, 0.03 at 1e15 and 0.4 to 1.8 (no digit right) from 2^60 on; here 3e-16."""
    mpmath = pytest.importorskip("mpmath")
    got = _part(backend, "big", run_on_tier1, request)
    for (order, second), (_, values) in zip(_ORDER_KIND, got):
        exact = _mpmath_values(_BIG, order, second)
        for value, want, x in zip(values[:6], exact, _BIG):
            assert _envelope_error(value, want, x) <= 1e-15, (order, second, x)
        assert np.all(values[6:] == 0.0)
    assert list(np.signbit(got[1][1][6:])) == list(np.signbit(_INFINITIES))  # J1 is odd
    assert _envelope_error(sc.y1(2.0**60), mpmath.bessely(1, 2.0**60), 2.0**60) > 1.0
    assert np.isnan(sc.j0(np.inf))


def test_symmetry_is_exact():
    x = np.concatenate([np.logspace(-10.0, 10.0, 81), _RNG.uniform(0.0, 30.0, 40)])
    for v in x:
        assert sm.bessel_jy01_scalar(-v, 0, 0) == sm.bessel_jy01_scalar(v, 0, 0)
        assert sm.bessel_jy01_scalar(-v, 1, 0) == -sm.bessel_jy01_scalar(v, 1, 0)


def test_every_loop_ends_and_stays_finite():
    # the switches between methods, huge and tiny arguments
    for x in (1.0, np.nextafter(1.0, 2.0), 1e-8, 17.999, 18.0, 2.0**28, np.nextafter(2.0**28, 0),
              1e154, 1.7e308, 5e-324, 2.2e-308):
        for order, second in _ORDER_KIND:
            value = sm.bessel_jy01_scalar(x, order, second)
            assert value == value, x
            assert np.isfinite(value) or (second and x < 1e-300), x


# ---------------------------------------------------------------------------------------------
# gradients and a model
# ---------------------------------------------------------------------------------------------

def _four(p):
    # J0' = -J1, J1' = J0 - J1/x, Y0' = -Y1, Y1' = Y0 - Y1/x: every piece lowers
    a, b, c = p[0], p[1], p[2]
    return fs.j0(a * b) + fs.j1(c) * fs.j1(-a) + fs.y0(b) + fs.y1(c * b) + fs.y1(a + 20.0)


def _by_hand(p):
    a, b, c = p

    def j1_dx(x):
        return sc.j0(x) - sc.j1(x) / x

    def y1_dx(x):
        return sc.y0(x) - sc.y1(x) / x

    return np.array([
        -b * sc.j1(a * b) - sc.j1(c) * j1_dx(-a) + y1_dx(a + 20.0),
        -a * sc.j1(a * b) - sc.y1(b) + c * y1_dx(c * b),
        j1_dx(c) * sc.j1(-a) + b * y1_dx(c * b),
    ])


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_gradients_compile_and_match_eager(backend, run_on_tier1, request):
    p = np.array([0.7, 2.9, 13.4])
    vg = fluxion.value_and_grad(_four)
    want_value, want_grad = vg(p)  # eager: SciPy and the derivative rules
    np.testing.assert_allclose(want_grad, _by_hand(p), rtol=1e-13)
    h = 1e-6
    finite = [(_four(p + h * e) - _four(p - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(want_grad, finite, rtol=1e-7)
    value, grad = _run(backend, vg, (p,), run_on_tier1, request)
    assert value == pytest.approx(want_value, rel=1e-14)
    # (the second component sums terms of order 1 to 0.033)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-13, atol=1e-14)


# An Airy-disk PSF sampled along a line through it: I(u) = A (2 J1(z)/z)^2, z = j11 (u - c) / w
# (w the radius of the first dark ring, j11 = 3.8317 J1's first zero), Gaussian noise of known
# sd 0.3; the parameters (log A, c, log w) with N(0, 5^2) priors
_J11 = 3.8317059702075125
_U = np.linspace(-6.0, 6.0, 41) + 0.013  # no pixel at the centre
_SIGMA = 0.3


def _airy(u, amplitude, centre, width, j1):
    z = _J11 * (u - centre) / width
    return amplitude * (2.0 * j1(z) / z) ** 2


_I = _airy(_U, 10.0, 0.4, 2.5, sc.j1) + _SIGMA * np.random.default_rng(5).standard_normal(41)


def _airy_log_prob(theta):
    model = _airy(_U, fnp.exp(theta[0]), theta[1], fnp.exp(theta[2]), fs.j1)
    return -0.5 * fnp.sum((_I - model) ** 2) / _SIGMA**2 - 0.5 * fnp.sum(theta**2) / 25.0


def _map_estimate():
    def neg(theta):
        model = _airy(_U, np.exp(theta[0]), theta[1], np.exp(theta[2]), sc.j1)
        return 0.5 * np.sum((_I - model) ** 2) / _SIGMA**2 + 0.5 * np.sum(theta**2) / 25.0

    return so.minimize(neg, np.array([2.0, 0.0, 1.0]), method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000}).x


# the kernel (compiled per model, ~7 s) is the slow variant
@pytest.mark.parametrize("potential", ["tape", pytest.param("kernel", marks=pytest.mark.slow)])
def test_an_airy_psf_fit_samples_on_the_compiled_chain(potential, request):
    # before the scalar formula, j1 (and j0, in its derivative) kept the potential off the tape
    # and the kernel: the sampler called the model back in Python (a PerformanceWarning)
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no PerformanceWarning, no R-hat warning
        result = fluxion.mcmc.sample(
            _airy_log_prob, np.array([2.0, 0.0, 1.0]), chains=2, draws=1000, warmup=500,
            seed=8, progress=False,
        )
    assert result.compiled == "chain" and result.potential == potential
    draws = np.asarray(result.draws["x"]).reshape(-1, 3)
    mean, sd = draws.mean(axis=0), draws.std(axis=0)
    # the posterior is close to Gaussian: its mean near the MAP, within 0.3 posterior sd (4
    # Monte-Carlo standard errors at an effective sample size of 200 of the 2000 draws; measured
    # 0.09 sd at worst over seeds 7 to 14, none of which warned); the truth within 3 sd
    assert np.all(np.abs(mean - _map_estimate()) < 0.3 * sd), (mean, _map_estimate(), sd)
    assert np.all(np.abs(mean - np.array([np.log(10.0), 0.4, np.log(2.5)])) < 3 * sd), mean
    assert np.all(sd < 0.05), sd
