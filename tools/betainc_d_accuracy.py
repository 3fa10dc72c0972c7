"""Accuracy of the scalar formula of d I_x(a, b) / da and / db (the compiled backends'
``betainc_dparam_scalar`` in fluxion._src.prims.special_incomplete, run as plain Python), and
beside it the NumPy impl ``betainc_dab_values`` (SciPy has no derivative in the shapes).

Against mpmath (``_mpmath_d`` of tests/test_betainc_d_compiled.py: ``mpmath.diff`` at 40 digits
of I on the side ``x <= (a + 1) / (a + b + 2)``, of ``1 - I`` on the other):

* ``grid``: ``a, b`` in {1e-3, 0.1, 0.45, 0.55, 1, 2.5, 9, 11, 40, 300, 2000} (around the
  switches between the methods), ``x`` at fixed points, at the switch and 1e-3 either side, at
  the mean minus one and plus two standard deviations;
* ``large``: ``a, b`` from 1e3 to 1e6 at ``z = (x - mean) / sd`` from -6 to 6 (the
  Gauss-Legendre step near the mean);
* ``random N``: ``a, b`` log-uniform in [1e-3, 1e4], ``x`` near the mean or log-uniform in
  the tails.

Prints the worst relative errors (values above 1e-300, 1e-100, 1e-20, 1e-5) and the worst
points. Run: ``PYTHONPATH=src python tools/betainc_d_accuracy.py grid|large|random [N]``
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import mpmath
import numpy as np

from fluxion._src.prims import special_incomplete as si

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_betainc_d_compiled import _mpmath_d  # noqa: E402


def points(kind: str, n: int) -> list[tuple[float, float, float]]:
    pts = []
    if kind == "grid":
        values = [1e-3, 0.1, 0.45, 0.55, 1.0, 2.5, 9.0, 11.0, 40.0, 300.0, 2000.0]
        for a in values:
            for b in values:
                s = a + b
                mean, sd = a / s, math.sqrt(a * b / s**3)
                switch = (a + 1) / (s + 2)
                for x in [1e-30, 1e-5, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-6, switch,
                          switch * (1 - 1e-3), min(switch * (1 + 1e-3), 1 - 1e-16), mean - sd,
                          min(mean + 2 * sd, 1 - 1e-16)]:
                    if 0 < x < 1:
                        pts.append((a, b, x))
    elif kind == "large":
        for a in [1e3, 3e3, 1e4, 1e5, 1e6]:
            for b in [1e3, 5e3, 1e4, 1e5, 1e6]:
                s = a + b
                mean, sd = a / s, math.sqrt(a * b / s**3)
                for z in [-6, -3.01, -2.99, -1, -0.1, 0, 0.5, 1, 3, 6]:
                    if 0 < mean + z * sd < 1:
                        pts.append((a, b, mean + z * sd))
    else:
        rng = np.random.default_rng(1)
        for _ in range(n):
            a, b = 10 ** rng.uniform(-3, 4), 10 ** rng.uniform(-3, 4)
            s = a + b
            mean, sd = a / s, math.sqrt(a * b / s**3)
            if rng.uniform() < 0.5:
                x = mean + 2 * sd * rng.normal()
            elif rng.uniform() < 0.5:
                x = 10 ** rng.uniform(-10, 0)
            else:
                x = 1 - 10 ** rng.uniform(-10, -0.3)
            if 0 < x < 1:
                pts.append((a, b, x))
    return pts


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "grid"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    start = time.time()
    rows = []
    for a, b, x in points(kind, n):
        impl = si.betainc_dab_values(a, b, x)
        for wrt_b in (False, True):
            got = si.betainc_dparam_scalar(a, b, x, wrt_b)
            exact = _mpmath_d(mpmath, a, b, x, wrt_b)
            if abs(exact) <= mpmath.mpf("1e-300"):
                continue
            err = float(abs(mpmath.mpf(got) / exact - 1))
            err_impl = float(abs(mpmath.mpf(float(impl[int(wrt_b)])) / exact - 1))
            rows.append((a, b, x, wrt_b, float(exact), err, err_impl))
    print(f"{kind}: {len(rows)} values in {time.time() - start:.0f} s")
    for floor in (1e-300, 1e-100, 1e-20, 1e-5):
        sub = [r for r in rows if abs(r[4]) > floor]
        if sub:
            worst = max(sub, key=lambda r: r[5])
            worst_impl = max(sub, key=lambda r: r[6])
            print(f"|dI| > {floor:g} ({len(sub)}): formula {worst[5]:.2e} at {worst[:4]} "
                  f"(dI = {worst[4]:.3e}); impl {worst_impl[6]:.2e} at {worst_impl[:4]}")
    for r in sorted(rows, key=lambda r: -r[5])[:8]:
        print("  ", r[:4], f"dI = {r[4]:.6e}: formula {r[5]:.2e}, impl {r[6]:.2e}")


if __name__ == "__main__":
    main()
