"""Accuracy of the parameter derivatives of ``prims/special_params.py`` against mpmath.

Prints, per function and derivative order, the largest relative error over a grid that includes
awkward points: ``zeta`` in ``x`` near the pole at 1, large ``x``, small and large ``q``, the
Riemann function on both sides of 0 and at its trivial zeros; ``hyp1f1`` in ``a``/``b`` with
``a`` a negative integer (a polynomial), large positive and negative ``x`` (Kummer); ``hyp2f1``
in ``a``/``b``/``c`` near ``z = 1``, at ``z`` far below ``-1`` (Pfaff), with ``a`` a negative
integer. The oracle is ``mpmath.zeta(x, q, derivative=n)`` and ``mpmath.diff`` of
``mpmath.hyp1f1``/``mpmath.hyp2f1`` at 40 digits. Elements where the value is NaN by design
(outside the documented domain) are counted separately.

Run: ``PYTHONPATH=src python tools/special_params_accuracy.py``.
"""

from __future__ import annotations

import itertools

import mpmath as mp
import numpy as np

from fluxion._src.prims import special_params as spp

mp.mp.dps = 40


def _report(label: str, pairs: list[tuple[float, float]]) -> float:
    got = np.array([p[0] for p in pairs])
    ref = np.array([p[1] for p in pairs])
    nan = np.isnan(got)
    scale = np.maximum(np.abs(ref), 1e-300)
    err = np.abs(got[~nan] - ref[~nan]) / scale[~nan]
    worst = float(err.max()) if err.size else float("nan")
    print(f"{label:<42s} points {len(pairs):4d}  NaN {int(nan.sum()):3d}  max rel err {worst:.2e}")
    return worst


def _hurwitz_reference(x: float, q: float, n: int) -> float:
    """``d^n/dx^n zeta(x, q)`` at 40 digits: mpmath's ``zeta(x, q, derivative=n)`` for
    ``q <= 40``; for large ``q`` (where mpmath's derivative loses digits: -1.20856202755e-178
    against -1.20856202642e-178 from the direct sum at ``x = 60``, ``q = 1000``) 2000 terms of
    the sum plus the Euler-Maclaurin tail (the integral in closed form, the corrections by
    mpmath's differentiation)."""
    if q <= 40.0:
        return float(mp.zeta(x, q, derivative=n))
    x = mp.mpf(x)

    def f(u: mp.mpf) -> mp.mpf:
        return (-mp.log(u)) ** n * u**-x

    terms = 2000
    m = terms + mp.mpf(q)
    total = mp.fsum(f(k + mp.mpf(q)) for k in range(terms))
    # int_M^inf (-log u)^n u^-x du = (-1)^n M^(1-x) sum_j n!/(n-j)! log(M)^(n-j) / (x-1)^(j+1)
    s1 = x - 1
    integral = (-1) ** n * m ** (1 - x) * mp.fsum(
        mp.factorial(n) / mp.factorial(n - j) * mp.log(m) ** (n - j) / s1 ** (j + 1)
        for j in range(n + 1)
    )
    total += integral + f(m) / 2
    total += -mp.diff(f, m, 1) / 12 + mp.diff(f, m, 3) / 720 - mp.diff(f, m, 5) / 30240
    return float(total)


def zeta_rows() -> list[float]:
    out = []
    xs = [1.001, 1.01, 1.1, 1.5, 2.0, 3.0, 7.5, 20.0, 60.0, 150.0]
    qs = [0.01, 0.3, 1.0, 2.5, 40.0, 1000.0]
    for n in (1, 2, 3):
        pairs = []
        for x, q in itertools.product(xs, qs):
            ref = _hurwitz_reference(x, q, n)
            if ref == 0.0 or not np.isfinite(ref):
                continue
            pairs.append((float(spp.zeta_dx_values(x, q, n)), ref))
        out.append(_report(f"zeta(x, q) d^{n}/dx^{n}", pairs))
    rs = [-40.5, -21.0, -10.0, -7.3, -4.0, -2.0, -1.0, -0.5, 0.0, 0.3, 0.5, 0.9, 0.999, 1.001,
          1.5, 2.0, 3.0, 10.0, 45.0]
    for n in (1, 2, 3):
        pairs = [(float(spp.riemann_zeta_dx_values(x, n)), float(mp.zeta(x, 1, derivative=n)))
                 for x in rs]
        out.append(_report(f"zeta(x) (Riemann) d^{n}/dx^{n}", pairs))
    return out


def _diff(fn, point: tuple, orders: tuple) -> float:
    return float(mp.diff(fn, point, orders))


def hyp1f1_rows() -> list[float]:
    out = []
    grid = list(itertools.product(
        [-3.0, -1.5, 0.25, 0.7, 2.5, 6.0], [0.3, 1.5, 4.2, 11.0], [-40.0, -5.0, -0.4, 0.0, 0.8,
                                                                 6.0, 35.0]
    ))
    for orders in [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]:
        pairs = []
        for a, b, x in grid:
            ref = _diff(lambda a_, b_, x=x: mp.hyp1f1(a_, b_, x), (a, b), orders)
            if ref == 0.0:
                continue
            pairs.append((float(spp.hyp1f1_dp_values(a, b, x, orders)), ref))
        out.append(_report(f"hyp1f1 d/d(a, b) orders {orders}", pairs))
    return out


def hyp2f1_rows() -> list[float]:
    out = []
    grid = list(itertools.product(
        [-3.0, 0.3, 1.4], [0.6, 2.5], [0.7, 2.1, 5.5], [-30.0, -3.0, -0.9, -0.2, 0.0, 0.4, 0.8,
                                                        0.95, 0.99]
    ))
    for orders in [(1, 0, 0), (0, 1, 0), (0, 0, 1), (2, 0, 0), (1, 0, 1), (0, 0, 2)]:
        pairs = []
        for a, b, c, z in grid:
            ref = _diff(lambda a_, b_, c_, z=z: mp.hyp2f1(a_, b_, c_, z), (a, b, c), orders)
            if ref == 0.0:
                continue
            pairs.append((float(spp.hyp2f1_dp_values(a, b, c, z, orders)), ref))
        out.append(_report(f"hyp2f1 d/d(a, b, c) orders {orders}", pairs))
    return out


def main() -> None:
    worst = max(zeta_rows() + hyp1f1_rows() + hyp2f1_rows())
    print(f"worst relative error: {worst:.2e}")


if __name__ == "__main__":
    main()
