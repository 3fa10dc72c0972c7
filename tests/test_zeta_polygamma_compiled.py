"""The Hurwitz and Riemann zeta functions, the exponent derivative ``zeta_dx1`` and ``polygamma``
in the compiled backends: their scalar formulas (``prims/special.py``:
``hurwitz_zeta_positive_scalar``, ``hurwitz_zeta_scalar``, ``polygamma_scalar``;
``prims/special_more.py``: ``riemann_zeta_scalar``, ``hurwitz_zeta_dx_scalar``) run through
jit tier 1 and the tape machine against mpmath, SciPy's values at the edges and where they
deliberately differ from SciPy's, the gradients (and a Hessian) compiled, and two models sampled
on the compiled chain: a Zipf exponent (its gradient needs ``d/dx zeta``) and a model whose
log-density holds ``digamma`` (its gradient needs ``polygamma(1, .)``).

References: ``mpmath.zeta(x)``, ``mpmath.polygamma``, ``mpmath.zeta(x, q, 1)`` at 40 digits.
For the Hurwitz function ``mpmath.zeta(x, q)`` is itself unreliable once ``x`` exceeds ~10 and
``q`` ~200 (1e-9 off at x = 77, q = 951, even at 120 digits); the reference there is the
Euler-Maclaurin formula evaluated by mpmath at 50 digits far inside its safe zone (``a >=
max(30, 2x)``, 40 Bernoulli terms), checked against ``mpmath.zeta`` where that one is reliable
(``test_the_hurwitz_reference_is_mpmaths_zeta``).
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fs
from fluxion._src.codegen import lowering
from fluxion._src.prims import special as sp
from fluxion._src.prims import special_more as sm

numba = pytest.importorskip("numba")
mpmath = pytest.importorskip("mpmath")


def _run(backend, fn, args, run_on_tier1, request):
    if backend == "tier1":
        return run_on_tier1(fn, *args)
    return request.getfixturevalue("run_on_tape")(fn, *args)


def test_the_backends_lower_them_by_the_scalar_formula():
    for prim in (sm.zeta_p, sm.riemann_zeta_p, sm.zeta_dx1_p, sp.polygamma_p):
        for backend in ("numba", "tape"):
            assert lowering.status(backend, prim) == (True, "scalar formula"), prim.name


# ---------------------------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------------------------


@functools.cache
def _bernoulli_over_factorial():
    with mpmath.workdps(50):
        return [mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j) for j in range(1, 41)]


def _mp_hurwitz(x, q):
    """zeta(x, q), x > 1, q > 0: Euler-Maclaurin at 50 digits with a >= max(30, 2x) and 40
    Bernoulli terms (successive terms shrink by ((x + 2j) / (2 pi a))^2 <= 1/4: error < 1e-24)."""
    coefficients = _bernoulli_over_factorial()
    with mpmath.workdps(50):
        x, q = mpmath.mpf(x), mpmath.mpf(q)
        s, a = mpmath.mpf(0), q
        for _ in range(max(0, math.ceil(max(30, 2 * x) - q))):
            s += a ** (-x)
            a += 1
        s += a ** (1 - x) / (x - 1) + a ** (-x) / 2
        f, k = a ** (-x) * x / a, x
        for c in coefficients:
            s += c * f
            f *= (k + 1) * (k + 2) / (a * a)
            k += 2
        return s


def _mp_polygamma(n, x):
    """psi^(n)(x) at 40 digits; for x < 0 by the reflection formula psi^(n)(x) = (-1)^(n+1)
    [(-1)^n pi d^n/dx^n cot(pi x) - psi^(n)(1 - x)] (DLMF 5.15.6: mpmath.polygamma recurs
    up from x, a second at x = -1e5)."""
    with mpmath.workdps(40):
        x = mpmath.mpf(x)
        if x > 0:
            return mpmath.polygamma(n, x)
        cot = mpmath.diff(lambda t: mpmath.cot(mpmath.pi * t), x, n)
        return (-1) ** (n + 1) * ((-1) ** n * mpmath.pi * cot - mpmath.polygamma(n, 1 - x))


def _mp_negative_shift(x, q):
    # zeta(x, q) = (-1)^x psi^(x-1)(q) / (x-1)! for an integer x
    n = int(x) - 1
    return (-1) ** (n + 1) * _mp_polygamma(n, q) / mpmath.factorial(n)


def _worst_relative(got, exact):
    worst = 0.0
    for value, want in zip(got, exact):
        worst = max(worst, float(abs(mpmath.mpf(float(value)) / want - 1)))
    return worst


def test_the_hurwitz_reference_is_mpmaths_zeta():
    # where mpmath.zeta is reliable (x <= 10), the two agree to 1e-25
    rng = np.random.default_rng(7)
    for x, q in zip(1.0 + 10.0 ** rng.uniform(-6.0, 1.0, 12), 10.0 ** rng.uniform(-4, 4, 12)):
        with mpmath.workdps(40):
            want = mpmath.zeta(mpmath.mpf(x), mpmath.mpf(q))
        assert abs(_mp_hurwitz(x, q) / want - 1) < 1e-25, (x, q)


# ---------------------------------------------------------------------------------------------
# against mpmath
# ---------------------------------------------------------------------------------------------

_RNG = np.random.default_rng(20261208)
# exponents: near the pole, the method switches (a >= max(10, 2x)), large; shifts: tiny to huge
_X = np.concatenate([
    [1.0 + 1e-12, 1.0 + 1e-8, 1.001, 1.1, 1.5, 2.0, 3.0, 4.5, 5.0, 5.01, 7.0, 10.0, 20.5, 45.0,
     100.0], 1.0 + 10.0 ** _RNG.uniform(-10.0, 2.0, 15),
])
_Q = np.concatenate([
    [1e-300, 1e-100, 1e-10, 1e-3, 0.1, 0.5, 1.0, 1.5, 9.9, 10.0, 10.1, 19.9, 20.1, 100.0, 1e3,
     1e5, 1e8, 1e9, 1e15, 1e100, 1e300], 10.0 ** _RNG.uniform(-5.0, 6.0, 9),
])
_XQ = np.array([(x, q) for x in _X for q in _Q]).T


@functools.cache
def _hurwitz_exact():
    """(mask of finite normal results, their exact values)."""
    keep, exact = [], []
    for x, q in _XQ.T:
        want = _mp_hurwitz(x, q)
        ok = mpmath.mpf("1e-300") < want < mpmath.mpf("1e300")
        keep.append(ok)
        if ok:
            exact.append(want)
    return np.array(keep), exact


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_hurwitz_zeta_matches_mpmath(backend, run_on_tier1, request):
    """900 (x, q) pairs, x from 1 + 1e-12 to 100, q from 1e-300 to 1e300 (the ~780 with a normal
    result checked). Measured worst relative error 8.3e-16 (SciPy's on the same points: 8.4e-16;
    on a denser grid of 4700 points both 8.3e-16)."""
    (got,) = _run(backend, lambda x, q: (fs.zeta(x, q),), tuple(_XQ), run_on_tier1, request)
    keep, exact = _hurwitz_exact()
    assert _worst_relative(got[keep], exact) <= 1.5e-15
    # beyond: 0 (underflow) or inf (overflow of q^-x), as SciPy
    with np.errstate(all="ignore"):
        want = sc.zeta(*_XQ)
    np.testing.assert_array_equal(got[~keep] == 0.0, want[~keep] == 0.0)


# negative non-integer shifts (integer exponents): zeta(x, q) = (-1)^x psi^(x-1)(q) / (x-1)!
_NEGATIVE_Q = np.concatenate([
    -_RNG.uniform(0.0, 5.0, 12), -_RNG.uniform(5.0, 300.0, 8),
    [-0.5, -1.5, -2.5, -63.5, -0.25, -0.999, -1e-3, -1e5 - 0.3, -1e9 - 0.25],
])
_NEG_XQ = np.array([(x, q) for x in (2.0, 3.0, 4.0, 5.0, 8.0, 11.0, 21.0) for q in _NEGATIVE_Q]).T


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_hurwitz_zeta_of_a_negative_shift_matches_mpmath(backend, run_on_tier1, request):
    """The value is a finite sum plus a positive-shift value: for odd x the terms cancel near
    the zeros, so the error is measured against the size of the cancelling parts, ``|zeta(x, r)|
    + |zeta(x, 1 - r)|`` (r the fractional part of q): measured 2.7e-16 (SciPy: 2.9e-16, and
    SciPy takes -q steps: 2.6 s at q = -1e8). At half-integers the cancellation is exact here
    (zeta(21, -2.5) to 2e-16 relative; SciPy's is 45 times the value)."""
    (got,) = _run(backend, lambda x, q: (fs.zeta(x, q),), tuple(_NEG_XQ), run_on_tier1, request)
    with mpmath.workdps(40):
        for value, x, q in zip(got, *_NEG_XQ):
            want = _mp_negative_shift(x, q)
            r = q - math.floor(q)
            size = abs(want) + mpmath.zeta(x, r) + mpmath.zeta(x, 1 - r)
            assert abs(value - want) <= 1e-15 * size, (x, q, value, want)
            if r == 0.5:
                assert abs(value / want - 1) <= 1e-15, (x, q, value, want)


_RIEMANN = np.concatenate([
    _RNG.uniform(-1.0, 1.0, 40), _RNG.uniform(-10.0, -1.0, 20), _RNG.uniform(-255.0, -10.0, 30),
    1.0 + 10.0 ** _RNG.uniform(-15.0, 0.0, 15), _RNG.uniform(2.0, 70.0, 15),
    [-1.0, -1e-300, 1e-300, 0.0, 1.0 - 1e-16, 0.5, -0.5, -3.0, -3.5, -169.0, -169.5, -170.5,
     -171.0, -259.5, 1.0000001, 100.0],
])


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_riemann_zeta_matches_mpmath(backend, run_on_tier1, request):
    """137 points on -260 < x < 101. Measured worst relative errors: 1.2e-15 on [-1, 1) (the
    Laurent series, at x = -1), 8.7e-16 below -1 (the functional equation), 5.7e-16 above 1;
    SciPy's on the same points: 1.1e-15, 5.6e-14 (at x = -255: SciPy rounds 1 - x before
    Gamma), 5e-16."""
    (got,) = _run(backend, lambda x: (fs.zeta(x),), (_RIEMANN,), run_on_tier1, request)
    with mpmath.workdps(40):
        for value, x in zip(got, _RIEMANN):
            want = mpmath.zeta(mpmath.mpf(x))
            if x <= -2.0 and x == math.floor(x) and x % 2 == 0:
                assert value == 0.0
            else:
                assert abs(value / want - 1) <= 2e-15, (x, value, want)


_ORDERS = np.arange(1, 21)
_PSI_X = np.concatenate([
    10.0 ** _RNG.uniform(-3.0, 3.0, 6), -_RNG.uniform(0.0, 30.0, 4), [0.5, 1.0, 10.0, 1e4],
])
_PSI_NX = np.array([(n, x) for n in _ORDERS for x in _PSI_X]).T


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_polygamma_matches_mpmath(backend, run_on_tier1, request):
    """Orders 1 to 20 at 14 points (positive from 1e-3 to 1e4, four negative non-integers).
    Measured: worst 9e-16 relative (SciPy 1.6e-15) where the value is not near a zero of an
    even order at a negative x (there against the size of the cancelling parts, as above)."""
    n_values, x_values = _PSI_NX
    got = _run(
        backend,
        lambda x: tuple(fs.polygamma(int(n), x) for n in _ORDERS),
        (_PSI_X,), run_on_tier1, request,
    )
    with mpmath.workdps(40):
        for n, values in zip(_ORDERS, got):
            for value, x in zip(values, _PSI_X):
                want = _mp_polygamma(int(n), x)
                size = abs(want)
                if x < 0:
                    r = x - math.floor(x)
                    parts = mpmath.zeta(n + 1, r) + mpmath.zeta(n + 1, 1 - r)
                    size += mpmath.factorial(n) * parts
                if abs(want) < mpmath.mpf("1e300"):
                    assert abs(value - want) <= 2e-15 * size, (n, x, value, want)
    assert n_values.size == x_values.size


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_zeta_dx1_matches_mpmath(backend, run_on_tier1, request):
    """d/dx zeta(x, q) on 200 random points (x from 1 + 1e-8 to 17, q from 1e-4 to 300),
    against ``mpmath.zeta(x, q, 1)`` relative to the size of its terms (the derivative has a
    zero for q < 1). Measured 5.9e-16 (the eager NumPy evaluation ``zeta_dx_values``: 1.7e-14)."""
    rng = np.random.default_rng(11)
    x = 1.0 + 10.0 ** rng.uniform(-8.0, 1.2, 200)
    q = 10.0 ** rng.uniform(-4.0, 2.5, 200)
    (got,) = _run(backend, lambda x, q: (sm.zeta_dx1_p.bind(x, q),), (x, q), run_on_tier1,
                  request)
    with mpmath.workdps(40):
        for value, xi, qi in zip(got, x, q):
            want = mpmath.zeta(mpmath.mpf(xi), mpmath.mpf(qi), 1)
            size = abs(want)
            if qi < 1.0:
                size = abs(mpmath.log(qi)) * mpmath.mpf(qi) ** (-xi) + abs(
                    mpmath.zeta(mpmath.mpf(xi), mpmath.mpf(qi) + 1, 1))
            assert abs(value - want) <= 1.5e-15 * size, (xi, qi, value, want)


# ---------------------------------------------------------------------------------------------
# edges
# ---------------------------------------------------------------------------------------------

_EDGE_X = np.array([1.0, 0.999, 0.5, -1.0, np.nan, 2.0, 2.0, 2.0, 2.0, 2.0, 2.5, 3.0, 2.0, 2.0,
                    2.0, np.inf, np.inf, 1e300, 2.0, 1.5, 3.0, 3.0, 1.0 + 1e-15])
_EDGE_Q = np.array([2.0, 2.0, 2.0, 2.0, 1.0, np.nan, 0.0, -0.0, -1.0, -1.5, -1.5, -2.5, np.inf,
                    -np.inf, 1e-300, 0.5, 1.0, 0.5, -1e16, 1e-200, -1e300, 5e-324, 1.0])
_RIEMANN_EDGES = np.array([0.0, -0.0, 1.0, np.inf, -np.inf, np.nan, -2.0, -4.0, -300.0, -260.5,
                           -300.5, -1e10 - 1.0, -1e300, 1e300, 1e-300, -1e-300, 1.0 + 2e-16])
_PSI_EDGES = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 1e300])


@pytest.mark.parametrize("backend", ["eager-formula", "tier1", "tape"])
def test_edges_are_scipys(backend, run_on_tier1, request):
    # poles (inf), NaN outside the domain, zeros, infinities, underflow and overflow as SciPy

    def fn(x, q, r, p):
        return (fs.zeta(x, q), fs.zeta(r), fs.polygamma(1, p), fs.polygamma(2, p),
                fs.polygamma(7, p))

    args = (_EDGE_X, _EDGE_Q, _RIEMANN_EDGES, _PSI_EDGES)
    if backend == "eager-formula":  # the helpers as plain Python
        got = (
            np.array([sp.hurwitz_zeta_scalar(x, q) for x, q in zip(_EDGE_X, _EDGE_Q)]),
            np.array([sm.riemann_zeta_scalar(x) for x in _RIEMANN_EDGES]),
            *(np.array([sp.polygamma_scalar(n, x) for x in _PSI_EDGES]) for n in (1.0, 2.0, 7.0)),
        )
    else:
        got = _run(backend, fn, args, run_on_tier1, request)
    with np.errstate(all="ignore"):
        want = (sc.zeta(_EDGE_X, _EDGE_Q), sc.zeta(_RIEMANN_EDGES),
                *(sc.polygamma(n, _PSI_EDGES) for n in (1, 2, 7)))
    for k, (values, expected) in enumerate(zip(got, want)):
        convention = ~np.isfinite(expected) | (expected == 0.0)
        np.testing.assert_array_equal(values[convention], expected[convention], err_msg=str(k))
        np.testing.assert_allclose(values[~convention], expected[~convention], rtol=1e-14,
                                   err_msg=str(k))


def test_where_they_differ_from_scipy_on_purpose(run_on_tier1):
    """zeta(inf, q) for q > 1 is the limit 0 (SciPy: NaN, from inf * 0 in its Bernoulli terms);
    zeta(x, q) for q < 0 far from 0 takes three Euler-Maclaurin sums (SciPy loops -q times:
    seconds at q = -1e8, and ~1e15 steps at q = -1e15 + 0.5)."""
    x = np.array([np.inf, np.inf, 2.0, 3.0])
    q = np.array([2.0, 1e300, -1e15 + 0.5, -1e8 - 0.5])
    (got,) = run_on_tier1(lambda x, q: (fs.zeta(x, q),), x, q)
    assert got[0] == 0.0 and got[1] == 0.0 and np.isnan(sc.zeta(np.inf, 2.0))
    with mpmath.workdps(40):
        for value, xi, qi in zip(got[2:], x[2:], q[2:]):
            want = _mp_negative_shift(xi, qi)
            assert abs(value / want - 1) < 1e-15, (xi, qi, value, want)


def test_every_loop_ends():
    # the switches between methods and extreme arguments (each call returns promptly)
    for x in (1.0 + 2e-16, 1.5, 5.0, 5.000001, 20.0, 1e3, 1e15, 1.7e308):
        for q in (5e-324, 1e-300, 0.5, 9.999, 10.0, min(2.0 * x, 1e308), 1e15, 1.7e308):
            assert not math.isnan(sp.hurwitz_zeta_scalar(x, q)), (x, q)
            assert not math.isnan(sm.hurwitz_zeta_dx_scalar(x, q)) or q == 5e-324
    for x in (-1e15 - 1.0, -341.0, -339.5, -170.0000001, -1.0000001, -0.9999999, 0.9999999):
        assert not math.isnan(sm.riemann_zeta_scalar(x)), x


# ---------------------------------------------------------------------------------------------
# gradients, vmap, a Hessian, and models
# ---------------------------------------------------------------------------------------------


def _mixed(p):
    # d/dx zeta = zeta_dx1, d/dq zeta = -x zeta(x + 1, q), psi^(1)' = psi^(2), psi' = psi^(1):
    # every piece lowers
    return (fs.zeta(p[0], p[1]) + fs.polygamma(1, p[2]) + fs.digamma(p[3]) * p[0]
            + fs.zeta(2.5, p[2] * p[1]) + fs.polygamma(3, -p[3]))


def _finite_differences(f, p, h=1e-6):
    out = np.empty_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h
        out[i] = (f(p + e) - f(p - e)) / (2.0 * h)
    return out


@pytest.mark.parametrize("backend", ["tier1", "tape"])
def test_gradients_compile_and_match_eager(backend, run_on_tier1, request):
    p = np.array([2.7, 0.8, 1.3, 2.25])
    vg = fluxion.value_and_grad(_mixed)
    want_value, want_grad = vg(p)  # eager: SciPy and the derivative rules
    np.testing.assert_allclose(want_grad, _finite_differences(lambda v: float(_mixed(v)), p),
                               rtol=1e-7)
    value, grad = _run(backend, vg, (p,), run_on_tier1, request)
    assert value == pytest.approx(want_value, rel=1e-14)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-13)


def test_a_hessian_and_vmap_compile(run_on_tier1):
    # the Hessian of a Dirichlet log-normaliser sum lnGamma(a_i) - lnGamma(sum a) needs
    # polygamma(1, .); vmap(grad) of psi^(2) needs psi^(3)
    a = np.array([0.7, 1.9, 3.4])

    def log_normaliser(a):
        return fnp.sum(fs.gammaln(a)) - fs.gammaln(fnp.sum(a))

    hessian = run_on_tier1(fluxion.hessian(log_normaliser), a)
    want = np.diag(sc.polygamma(1, a)) - sc.polygamma(1, a.sum())
    np.testing.assert_allclose(hessian, want, rtol=1e-14)
    slopes = run_on_tier1(fluxion.vmap(fluxion.grad(lambda x: fs.polygamma(2, x))), a)
    np.testing.assert_allclose(slopes, sc.polygamma(3, a), rtol=1e-14)


# Zipf data: p(k) = k^-s / zeta(s, 1), k = 1, 2, ...; a flat prior on u = log(s - 1)
_ZIPF = np.random.default_rng(5).zipf(2.3, 200).astype(float)
_ZIPF_LOG_SUM = float(np.sum(np.log(_ZIPF)))


def _zipf_log_prob(u):
    s = 1.0 + fnp.exp(u[0])
    return -s * _ZIPF_LOG_SUM - _ZIPF.size * fnp.log(fs.zeta(s, 1.0)) + u[0]


def _zipf_posterior_moments():
    """Posterior mean and sd of s by quadrature (SciPy's zeta on a fine grid of s)."""
    s = np.linspace(1.5, 3.5, 4001)
    log_post = -s * _ZIPF_LOG_SUM - _ZIPF.size * np.log(sc.zeta(s, 1.0))
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    mean = np.sum(s * w)
    return mean, np.sqrt(np.sum((s - mean) ** 2 * w))


@pytest.mark.parametrize("potential", ["tape", "kernel"])
def test_a_zipf_exponent_samples_on_the_compiled_chain(potential, request):
    # before the scalar formulas, zeta (and d/dx zeta, its gradient) kept the potential off the
    # tape and the kernel: the sampler called the model back in Python (a PerformanceWarning)
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(_zipf_log_prob, np.array([0.0]), chains=2, draws=500,
                                     warmup=300, seed=3, progress=False)
    assert result.compiled == "chain" and result.potential == potential
    s = 1.0 + np.exp(np.asarray(result.draws["x"]).ravel())
    mean, sd = _zipf_posterior_moments()
    # within 4 Monte-Carlo standard errors for an effective sample size of 200 of the 1000 draws
    assert abs(s.mean() - mean) < 4.0 * sd / np.sqrt(200.0), (s.mean(), mean, sd)


# The mean log of Gamma(alpha, 1) lifetimes is psi(alpha): a summary-statistic likelihood
# N(m | psi(alpha), tau), alpha = exp(u), u ~ N(0, 1); its gradient needs polygamma(1, alpha)
_MEAN_LOG, _TAU = 0.42, 0.05


def _digamma_log_prob(u):
    alpha = fnp.exp(u[0])
    return -0.5 * ((_MEAN_LOG - fs.digamma(alpha)) / _TAU) ** 2 - 0.5 * u[0] ** 2


@pytest.mark.parametrize("potential", ["tape", "kernel"])
def test_a_digamma_likelihood_samples_on_the_compiled_chain(potential, request):
    request.getfixturevalue("compiled_nuts" if potential == "tape" else "compiled_kernel")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(_digamma_log_prob, np.array([0.5]), chains=2, draws=300,
                                     warmup=300, seed=4, progress=False)
    assert result.compiled == "chain" and result.potential == potential
    u = np.asarray(result.draws["x"]).ravel()
    grid = np.linspace(-1.0, 3.0, 8001)
    log_post = -0.5 * ((_MEAN_LOG - sc.digamma(np.exp(grid))) / _TAU) ** 2 - 0.5 * grid**2
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    mean = np.sum(grid * w)
    sd = np.sqrt(np.sum((grid - mean) ** 2 * w))
    assert abs(u.mean() - mean) < 4.0 * sd / np.sqrt(200.0), (u.mean(), mean, sd)
