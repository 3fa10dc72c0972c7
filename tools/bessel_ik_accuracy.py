"""Accuracy of ``bessel_ik_scalar`` (iv, ive, kv, kve) and of SciPy against mpmath at 40 digits.

``python tools/bessel_ik_accuracy.py`` prints, per function, the worst relative error of the
formula and of SciPy over a grid of orders v in [-50, 200] (integers, half-integers, near 0,
generic) and arguments x in [1e-300, 1e4], and where it happens; finite nonzero references
only (values beyond the float range are checked as inf / 0 separately by the tests).
"""

from __future__ import annotations

import math
import sys

import mpmath
import numpy as np
import scipy.special as sc

sys.path.insert(0, "src")
from fluxion._src.codegen import lowering  # noqa: E402
from fluxion._src.prims import special_more  # noqa: E402


def _compiled() -> object:
    """The scalar formula compiled by numba, as the compiled backends run it (inf on overflow,
    where Python's math.exp raises)."""
    import numba

    source = lowering.scalar_prelude("bessel_ik_scalar(a, b, 0, 0)", [special_more.iv_p])
    namespace = {"numba": numba, "np": np, "math": math}
    exec(source.replace("cache=True, ", ""), namespace)  # noqa: S102
    return namespace["bessel_ik_scalar"]


bessel_ik_scalar = _compiled()

ORDERS = [0.0, 1e-16, 1e-8, -1e-8, 1e-3, 0.1, 0.25, 0.5, -0.5, 0.7, 1.0, 1.3, 1.5, -1.3, 2.0,
          2.5, -2.5, 3.7, 5.0, 7.5, -7.3, 10.0, 12.5, 20.3, -20.3, 30.0, 44.5, 49.9, 50.0, -50.0,
          -49.5, 50.1, 75.5, 100.0, 137.2, 150.5, 200.0]
ARGS = [1e-300, 1e-100, 1e-20, 1e-8, 1e-3, 0.1, 0.5, 1.0, 1.9, 2.0, 2.1, 3.0, 5.0, 9.9,
        20.0, 29.9, 30.1, 50.0, 100.0, 300.0, 700.0, 720.0, 1000.0, 2400.0, 2600.0, 1e4]


def reference(kind: int, scaled: int, v: float, x: float) -> mpmath.mpf:
    vm, xm = mpmath.mpf(v), mpmath.mpf(x)
    # values beyond 2^+-1200 are out of the float range: bound them (zeroprec, infprec)
    if kind == 0:
        value = mpmath.besseli(vm, xm, zeroprec=1200, infprec=1200)
        return value * mpmath.exp(-abs(xm)) if scaled else value
    value = mpmath.besselk(vm, xm, zeroprec=1200, infprec=1200)
    return value * mpmath.exp(xm) if scaled else value


def main() -> None:
    mpmath.mp.dps = 40
    funcs = {"iv": (0, 0, sc.iv), "ive": (0, 1, sc.ive), "kv": (1, 0, sc.kv),
             "kve": (1, 1, sc.kve)}
    for name, (kind, scaled, ref_fn) in funcs.items():
        # region -> [points, worst, where, SciPy's worst finite, where, SciPy non-finite count]
        regions: dict[str, list] = {}
        for v in ORDERS:
            for x in ARGS:
                want = reference(kind, scaled, v, x)
                if not mpmath.isfinite(want) or want == 0 or abs(want) > 1.7e308 or abs(
                        want) < 2.3e-308:
                    continue
                got = bessel_ik_scalar(v, x, kind, scaled)
                with np.errstate(all="ignore"):
                    theirs = float(ref_fn(v, x))
                err = float(abs((got - want) / want)) if math.isfinite(got) else math.inf
                region = "|v| < 50" if abs(v) < 50 else "|v| >= 50"
                r = regions.setdefault(region, [0, 0.0, None, 0.0, None, 0])
                r[0] += 1
                if err > r[1]:
                    r[1:3] = err, (v, x)
                if not math.isfinite(theirs):
                    r[5] += 1
                    continue
                err_scipy = float(abs((theirs - want) / want))
                if err_scipy > r[3]:
                    r[3:5] = err_scipy, (v, x)
        for region, (count, err, where, err_scipy, where_scipy, bad) in sorted(regions.items()):
            print(f"{name:4s} {region:9s} {count:4d} points: worst {err:.2e} at (v, x) = "
                  f"{where}; SciPy {err_scipy:.2e} at {where_scipy}, non-finite at {bad}")


if __name__ == "__main__":
    main()
