"""SciPy special functions with a scalar formula (``prims/special.py``, ``special_more.py``,
``special_incomplete.py``): ``gamma``, ``rgamma``, ``loggamma`` (reals), ``beta``, ``betaln``,
``erfinv``, ``erfcinv``, ``entr``, ``i0``, ``i1``, ``exp1``, ``expi``, ``erfcx``, ``k0``, ``k1``,
``k0e``, ``k1e`` (more on the last seven in ``tests/test_expint_bessel_k_compiled.py``).

Before their formulas, a model that called one of them ran at tier 0 and sampled through the
Python callback potential. Each now compiles in tier 1 (numba) and on the tape machine, and
these tests hold both to SciPy on grids of awkward points: poles, signed zeros, infinities,
NaN, subnormal inputs, the overflow edges and the points where the formulas switch branches
(the op table's rows check a few random points only).

Measured worst relative errors against SciPy on these grids (finite results above 1e-300):
gamma 1.3e-15, erfinv 7.4e-16, erfcinv 1.1e-15, i0/i1 1e-15; beta/betaln 2.3e-13, all of it
SciPy's own error (near a = 171.5, and at a = 1e7 where SciPy's betaln is off by 1e-9): against
40-digit mpmath ours is within 5e-14 on random grids of positive and mixed-sign arguments.
exp1 1.6e-15, k0/k0e 1e-15, k1 1.1e-15, k1e 7e-16; expi 2.7e-14 (x = 40) and erfcx 5.6e-14
(x = -24), SciPy's own error (against mpmath ours is 1.6e-16 and 4e-16 there).

The tier-1 grid runs as one fused loop over thousands of elements. Such loops were compiled
with LLVM's reassociation flag, which reached into the inlined helpers and turned beta's
``Gamma(a) / Gamma(a + b) * Gamma(b)`` into an overflowing ``Gamma(a) Gamma(b) / Gamma(a + b)``
(inf at a = 170.5, b = 1e-8, for arrays of 17 elements or more); loops that call a helper are
now compiled without it (``codegen/tier1.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.scipy.special as fs

_HALF_INTEGERS = np.arange(-6.0, 7.0) + 0.5
_POLES_AND_EDGES = np.array([0.0, -0.0, -1.0, -2.0, -7.0, np.inf, -np.inf, np.nan])
_GAMMA = np.concatenate([
    np.linspace(-170.5, 171.5, 2843) + 1e-3, _POLES_AND_EDGES,
    [171.6, 171.62, 171.7, 1e-300, -1e-300, 5e-324, 0.5, 1.0, 2.0, 20.0],
])
_UNIT = np.concatenate([
    np.linspace(-1.0, 1.0, 2001), 10.0 ** -np.arange(0.0, 320.0, 7.0),
    -(10.0 ** -np.arange(0.0, 320.0, 7.0)), 1.0 - 10.0 ** -np.arange(1.0, 16.0),
    [np.nextafter(1.0, 0.0), 0.5, -0.5, 5e-324, -0.0, 1.5, -1.5, np.nan],
])
_ERFC = np.concatenate([
    _UNIT + 1.0, 10.0 ** -np.arange(0.0, 324.0, 7.0), 2.0 - 10.0 ** -np.arange(1.0, 16.0),
    [0.0, 2.0, 1.0, 0.5, 1.5, 5e-324, -1.0, 3.0, np.nan],
])
_BESSEL = np.concatenate([np.linspace(-720.0, 720.0, 2881), [8.0, -8.0, 0.0, -0.0],
                          [np.inf, -np.inf, np.nan, 709.0, 713.0, 1e-300]])
_X0 = 0.3725074107813666  # the zero of Ei
_MAGNITUDES = np.logspace(-320.0, 2.0, 323)
_EXPINT = np.concatenate([
    np.linspace(-60.0, 60.0, 2401), np.linspace(60.0, 760.0, 1401), -np.linspace(60.0, 760.0, 1401),
    _MAGNITUDES, -_MAGNITUDES, _X0 + np.linspace(-0.1, 0.1, 201),
    [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 0.18, 0.75, 1.0, 40.0, 709.78, 716.35,
     745.0, 750.0, 1e300, -1e300, np.nextafter(1.0, 2.0), np.nextafter(40.0, 41.0)],
])
# (without 709.78 < x < 716.4, where SciPy's Ei overflows with e^x and Ei does not, and the
# zero's neighbourhood, where SciPy's error is absolute: tests/test_expint_bessel_k_compiled.py)
_EXPI = _EXPINT[~((_EXPINT > 709.78) & (_EXPINT < 716.4)) & ~(np.abs(_EXPINT - _X0) < 0.05)]
_ERFCX = np.concatenate([
    np.linspace(-27.0, 30.0, 5701), _MAGNITUDES, -_MAGNITUDES[_MAGNITUDES < 27.0],
    10.0 ** np.arange(2.0, 309.0), [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 5.0,
                                    np.nextafter(5.0, 0.0), -26.62, -26.63, -26.64, 1.7e308],
])
# (without subnormal x, where SciPy halves x before its logarithm: 4e-4 off at x = 1.5e-323,
# inf and NaN at 5e-324; tests/test_expint_bessel_k_compiled.py)
_BESSEL_K = np.concatenate([
    np.linspace(-10.0, 760.0, 7701), _MAGNITUDES[_MAGNITUDES > 1e-307],
    10.0 ** np.arange(2.0, 309.0), [0.0, -0.0, np.inf, -np.inf, np.nan, -5e-324, 1.0,
                                    np.nextafter(1.0, 2.0), 19.5, 740.0, 745.0, 1.7e308],
])
_A, _B = np.meshgrid(
    np.concatenate([np.arange(-6.0, 7.0), _HALF_INTEGERS, [1e-8, 0.3, 25.5, 170.5, 171.5,
                                                           -170.5, -180.5, np.nan, -0.0]]),
    np.concatenate([np.arange(-6.0, 7.0), _HALF_INTEGERS, [1e-8, 0.3, 2.5, 19.5, 20.5, 60.0,
                                                           np.inf, -np.inf]]),
)
_A, _B = _A.ravel(), _B.ravel()

# name: (fluxion function, SciPy function, arguments, relative tolerance on finite values)
CASES = {
    "gamma": (fs.gamma, sc.gamma, (_GAMMA,), 4e-15),
    "rgamma": (fs.rgamma, sc.rgamma, (np.concatenate([_GAMMA, [-184.5, -190.5]]),), 4e-15),
    # (without x = 5e-324, where SciPy gives inf and the formula log Gamma = 744.44 = -log x)
    "loggamma": (fs.loggamma, sc.loggamma, (_GAMMA[_GAMMA != 5e-324],), 4e-15),
    "erfinv": (fs.erfinv, sc.erfinv, (_UNIT,), 2e-15),
    "erfcinv": (fs.erfcinv, sc.erfcinv, (_ERFC,), 3e-15),
    "entr": (fs.entr, sc.entr, (np.concatenate([_UNIT, [np.inf, -np.inf, 1e300]]),), 1e-15),
    "i0": (fs.i0, sc.i0, (_BESSEL,), 4e-15),
    "i1": (fs.i1, sc.i1, (_BESSEL,), 4e-15),
    # SciPy's own error near a = 171.5 is 2e-13 (test_beta_where_scipy_is_less_accurate)
    "beta": (fs.beta, sc.beta, (_A, _B), 3e-13),
    "betaln": (fs.betaln, sc.betaln, (_A, _B), 3e-13),
    "exp1": (fs.exp1, sc.exp1, (_EXPINT,), 2e-15),
    # SciPy's own error near x = 40 is 2.7e-14 (ours 1.6e-16, mpmath)
    "expi": (fs.expi, sc.expi, (_EXPI,), 3e-14),
    # SciPy rounds x^2 in e^(x^2): 5.6e-14 off near x = -24 (ours 4e-16, mpmath)
    "erfcx": (fs.erfcx, sc.erfcx, (_ERFCX,), 1e-13),
    "k0": (fs.k0, sc.k0, (_BESSEL_K,), 2e-15),
    "k1": (fs.k1, sc.k1, (_BESSEL_K,), 2e-15),
    "k0e": (fs.k0e, sc.k0e, (_BESSEL_K,), 2e-15),
    "k1e": (fs.k1e, sc.k1e, (_BESSEL_K,), 2e-15),
}


def _assert_matches_scipy(name: str, got: np.ndarray, want: np.ndarray, rtol: float,
                          args: tuple) -> None:
    got = np.asarray(got, dtype=np.float64)
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    where = np.flatnonzero(nan_got != nan_want)
    assert where.size == 0, (name, [(*(a[i] for a in args), got[i], want[i]) for i in where[:5]])
    inf = np.isinf(want) | np.isinf(got)
    where = np.flatnonzero(inf & (got != want))  # infinities with their signs
    assert where.size == 0, (name, [(*(a[i] for a in args), got[i], want[i]) for i in where[:5]])
    normal = ~nan_want & ~inf & (np.abs(want) > 1e-300)
    rel = np.abs(got[normal] - want[normal]) / np.abs(want[normal])
    worst = int(np.argmax(rel)) if rel.size else 0
    assert rel.size == 0 or rel[worst] <= rtol, (
        name, [a[normal][worst] for a in args], got[normal][worst], want[normal][worst],
        rel[worst],
    )
    tiny = ~nan_want & ~inf & ~normal  # results at or below 1e-300 (subnormal, or zero)
    np.testing.assert_allclose(got[tiny], want[tiny], rtol=0, atol=1e-300)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tier1_matches_scipy_on_awkward_points(name: str, run_on_tier1) -> None:
    fn, ref, args, rtol = CASES[name]
    with np.errstate(all="ignore"):
        got = run_on_tier1(fn, *args)
        want = ref(*args)
    _assert_matches_scipy(name, got, want, rtol, args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_tape_matches_scipy_on_awkward_points(name: str, machine) -> None:
    from fluxion._src.codegen import tape

    fn, ref, args, rtol = CASES[name]
    encoded, why = tape.encode(fluxion.jit(fn).lower(*args).graph)
    assert encoded is not None, why
    with np.errstate(all="ignore"):
        (got,) = tape.run(encoded, machine, *args)
        want = ref(*args)
    _assert_matches_scipy(name, got, want, rtol, args)


def test_gradients_compile_and_match_eager(run_on_tier1) -> None:
    # d Gamma = Gamma psi, d erfinv = sqrt(pi)/2 e^(erfinv^2), d I0 = I1, d I1 = I0 - I1/x,
    # d B(a, b)/da = B (psi(a) - psi(a + b)), d entr = -(log x + 1): every piece lowers now
    def f(p):
        a, b, u = p[0], p[1], p[2]
        return (fs.gamma(a) + fs.erfinv(u) + fs.erfcinv(1.0 - u) + fs.i0(b) + fs.i1(a * b)
                + fs.beta(a, b) + fs.betaln(a, b) + fs.entr(b))

    p = np.array([2.3, 0.7, 0.4])
    vg = fluxion.value_and_grad(f)
    want = vg(p)
    got = run_on_tier1(vg, p)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-13)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_beta_where_scipy_is_less_accurate() -> None:
    mpmath = pytest.importorskip("mpmath")
    a = np.array([171.5, 171.5, 1000.0, 1e7, 1e7, 25.5])
    b = np.array([0.3, 4.5, 1.0, -5.5, 170.5, 0.3])
    with mpmath.workdps(40):
        exact = np.array([float(mpmath.beta(x, y)) for x, y in zip(a, b)])
        exact_ln = np.array([float(mpmath.log(abs(mpmath.beta(x, y)))) for x, y in zip(a, b)])
    compiled = fluxion.jit(lambda x, y: (fs.beta(x, y), fs.betaln(x, y)), tier=1)
    got_beta, got_ln = compiled(a, b)  # (eager calls SciPy)
    np.testing.assert_allclose(got_beta, exact, rtol=5e-14)
    np.testing.assert_allclose(got_ln, exact_ln, rtol=5e-14)
