"""Accuracy of the shape-parameter derivatives of gammainc and betainc (issue 14).

Compares ``gammainc_da_values`` and ``betainc_dab_values`` (fluxion._src.prims.special_incomplete)
with derivatives of mpmath's regularized incomplete gamma and beta functions (40 digits,
``mpmath.diff``), on a grid of a, b in [1e-3, 1e3] and x across the domain. mpmath evaluates
the lower integral; where ``1 - I`` (or ``Q``) is tiny its a-derivative is below the 40 digits,
so those points are recomputed with as many more digits as ``1 - I`` has leading zeros.
Prints the largest relative error of each derivative. With ``--second`` it also checks the
second derivatives in the shape parameters (``gammainc_daa_values``, ``betainc_daa_values``,
``betainc_dab_mixed_values``, ``betainc_dbb_values``) against ``mpmath.diff`` of order 2 on a
coarser grid (a few minutes: mpmath's betainc is slow). With ``--bessel`` it checks the
derivatives in the order ``v`` of ``iv``, ``ive``, ``kv``, ``kve``, ``jv``, ``yv``
(``fluxion._src.prims.special_order``) against ``mpmath.diff`` of mpmath's Bessel functions
(first and second order; errors relative to the derivative, points where the value overflows
float64 skipped). Needs mpmath.

Run: ``PYTHONPATH=src python tools/special_incomplete_accuracy.py [--second] [--bessel]``
"""

from __future__ import annotations

import sys

import mpmath as mp
import numpy as np
import scipy.special as sc

from fluxion._src.prims.special_incomplete import (
    betainc_daa_values,
    betainc_dab_mixed_values,
    betainc_dab_values,
    betainc_dbb_values,
    gammainc_da_values,
    gammainc_daa_values,
)
from fluxion._src.prims.special_order import bessel_dv_values, bessel_dvv_values

mp.mp.dps = 40
SHAPES = [1e-3, 0.01, 0.1, 0.7, 1.0, 2.5, 10.0, 55.0, 300.0, 1000.0]
GAMMA_X = [1e-6, 1e-3, 0.05, 0.3, 1.0, 3.0, 9.0, 11.0, 50.0, 60.0, 290.0, 320.0, 999.0, 1000.0]
BETA_X = [1e-6, 1e-3, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999, 1 - 1e-6]


def _rel(got: float, ref: mp.mpf) -> float | None:
    if abs(ref) < 1e-300:  # below float64's range
        return None
    return float(abs((got - ref) / ref))


def _digits(complement: float) -> int:
    """Working digits: 40 plus the leading zeros of the complement (1 - I or Q)."""
    return 40 + int(max(0.0, -np.log10(max(complement, 1e-320))))


def gamma_errors() -> float:
    aa, xx = np.meshgrid(SHAPES, GAMMA_X, indexing="ij")
    got = gammainc_da_values(aa, xx)
    worst = 0.0
    for (i, j), g in np.ndenumerate(got):
        a, x = mp.mpf(SHAPES[i]), mp.mpf(GAMMA_X[j])
        with mp.workdps(_digits(sc.gammaincc(SHAPES[i], GAMMA_X[j]))):
            ref = mp.diff(lambda s, x=x: mp.gammainc(s, 0, x, regularized=True), a)
        err = _rel(g, ref)
        worst = max(worst, err or 0.0)
    return worst


def beta_errors() -> tuple[float, float]:
    pts = [(a, b, x) for a in SHAPES for b in SHAPES for x in BETA_X]
    a, b, x = (np.array(v) for v in zip(*pts))
    got_a, got_b = betainc_dab_values(a, b, x)
    worst = [0.0, 0.0]
    for k, (ai, bi, xi) in enumerate(pts):
        with mp.workdps(_digits(sc.betaincc(ai, bi, xi))):
            p, q, y = mp.mpf(ai), mp.mpf(bi), mp.mpf(xi)

            def inc(s: mp.mpf, t: mp.mpf, y: mp.mpf = y) -> mp.mpf:
                return mp.betainc(s, t, 0, y, regularized=True)

            refs = (
                mp.diff(lambda s, q=q: inc(s, q), p),
                mp.diff(lambda t, p=p: inc(p, t), q),
            )
        for w, (g, ref) in enumerate(zip((got_a[k], got_b[k]), refs)):
            worst[w] = max(worst[w], _rel(g, ref) or 0.0)
    return worst[0], worst[1]


SECOND_SHAPES = [1e-3, 0.05, 0.7, 2.5, 10.0, 55.0, 300.0]
SECOND_GAMMA_X = [1e-6, 0.05, 1.0, 3.0, 11.0, 60.0, 320.0]
SECOND_BETA_X = [1e-6, 0.05, 0.3, 0.7, 0.95, 1 - 1e-6]


def gamma_second_errors() -> float:
    worst = 0.0
    for a in SECOND_SHAPES:
        for x in SECOND_GAMMA_X:
            got = float(gammainc_daa_values(a, x))
            with mp.workdps(_digits(sc.gammaincc(a, x))):
                ref = mp.diff(lambda s, x=x: mp.gammainc(s, 0, x, regularized=True), a, 2)
            worst = max(worst, _rel(got, ref) or 0.0)
    return worst


def beta_second_errors() -> tuple[float, float, float]:
    worst = [0.0, 0.0, 0.0]
    fns = (betainc_daa_values, betainc_dab_mixed_values, betainc_dbb_values)
    for a in SECOND_SHAPES:
        for b in SECOND_SHAPES:
            for x in SECOND_BETA_X:
                with mp.workdps(_digits(sc.betaincc(a, b, x))):

                    def inc(s: mp.mpf, t: mp.mpf, y: float = x) -> mp.mpf:
                        return mp.betainc(s, t, 0, y, regularized=True)

                    refs = [mp.diff(inc, (a, b), n) for n in ((2, 0), (1, 1), (0, 2))]
                for w, (fn, ref) in enumerate(zip(fns, refs)):
                    worst[w] = max(worst[w], _rel(float(fn(a, b, x)), ref) or 0.0)
    return worst[0], worst[1], worst[2]


BESSEL = {
    "iv": lambda v, x: mp.besseli(v, x),
    "ive": lambda v, x: mp.besseli(v, x) * mp.exp(-x),
    "kv": lambda v, x: mp.besselk(v, x),
    "kve": lambda v, x: mp.besselk(v, x) * mp.exp(x),
    "jv": lambda v, x: mp.besselj(v, x),
    "yv": lambda v, x: mp.bessely(v, x),
}
BESSEL_V = [-7.5, -2.3, -1.0, -0.5, -0.05, 0.0, 1e-3, 0.3, 1.0, 2.5, 7.0, 20.0, 60.0]
BESSEL_X = [1e-8, 1e-4, 0.1, 0.9, 2.0, 5.0, 8.6537, 12.0, 30.0, 80.0, 250.0, 700.0, 2000.0]


def bessel_errors(order: int) -> dict[str, float]:
    """Largest relative error of d^order/dv^order per kind (order 1 or 2)."""
    values = bessel_dv_values if order == 1 else bessel_dvv_values
    worst = {}
    for kind, fn in BESSEL.items():
        vv, xx = np.meshgrid(BESSEL_V, BESSEL_X, indexing="ij")
        got = values(kind, vv, xx)
        worst[kind] = 0.0
        for (i, j), g in np.ndenumerate(got):
            v, x = BESSEL_V[i], BESSEL_X[j]
            ref = mp.diff(lambda s, x=x, fn=fn: fn(s, x), v, order)
            if not 1e-300 < abs(ref) < 1e300 or not np.isfinite(g):
                continue  # outside float64 (the value itself overflows or underflows)
            worst[kind] = max(worst[kind], _rel(float(g), ref) or 0.0)
    return worst


if __name__ == "__main__":
    print(f"gammainc d/da: max relative error {gamma_errors():.3g}")
    err_a, err_b = beta_errors()
    print(f"betainc d/da: max relative error {err_a:.3g}; d/db: {err_b:.3g}")
    if "--second" in sys.argv[1:]:
        print(f"gammainc d2/da2: max relative error {gamma_second_errors():.3g}")
        aa, ab, bb = beta_second_errors()
        print(f"betainc d2/da2: {aa:.3g}; d2/dadb: {ab:.3g}; d2/db2: {bb:.3g} (max relative)")
    if "--bessel" in sys.argv[1:]:
        for order in (1, 2):
            errs = ", ".join(f"{k} {e:.3g}" for k, e in bessel_errors(order).items())
            print(f"Bessel d^{order}/dv^{order}: max relative error {errs}")
