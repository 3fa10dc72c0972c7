"""Accuracy of the shape-parameter derivatives of gammainc and betainc (issue 14).

Compares ``gammainc_da_values`` and ``betainc_dab_values`` (fluxion._src.prims.special_incomplete)
with derivatives of mpmath's regularized incomplete gamma and beta functions (40 digits,
``mpmath.diff``), on a grid of a, b in [1e-3, 1e3] and x across the domain. mpmath evaluates
the lower integral; where ``1 - I`` (or ``Q``) is tiny its a-derivative is below the 40 digits,
so those points are recomputed with as many more digits as ``1 - I`` has leading zeros.
Prints the largest relative error of each derivative. Needs mpmath.

Run: ``PYTHONPATH=src python tools/special_incomplete_accuracy.py``
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import scipy.special as sc

from fluxion._src.prims.special_incomplete import betainc_dab_values, gammainc_da_values

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


if __name__ == "__main__":
    print(f"gammainc d/da: max relative error {gamma_errors():.3g}")
    err_a, err_b = beta_errors()
    print(f"betainc d/da: max relative error {err_a:.3g}; d/db: {err_b:.3g}")
