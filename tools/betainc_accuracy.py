"""Accuracy and iteration counts of the scalar formula of betainc / betaincc (the compiled backends'
``betainc_pq_scalar`` in fluxion._src.prims.special_incomplete), run as plain Python.

Against mpmath at 50 digits (``mpmath.betainc`` on the side ``x <= (a + 1) / (a + b + 2)``, the
other value as one minus it; for ``a + b > 1e4``, where mpmath's hypergeometric series is slow or
fails, the continued fraction DLMF 8.17.22 summed by mpmath), and beside it SciPy's error:

* ``random``: N points with ``a, b`` log-uniform in [1e-6, 1e5] and ``x`` log-uniform in
  [1e-300, 1], or ``1 - x`` log-uniform in [1e-16, 1], or within 3 standard deviations of the
  mean, or within a relative 1e-12 .. 0.1 of the switch ``(a + 1) / (a + b + 2)``;
* ``grid``: ``a, b`` at the switches between the methods (1/2, 10, 1000) and around them, ``x``
  at fixed points and at the switch;
* ``large`` (``--large``; minutes): ``a, b`` from 1e3 to 1e15 at ``z = (x - mean) / sd`` from -6
  to 6, where the Gauss-Legendre step near the mean takes over.

Prints the worst relative errors (values above 1e-300), the largest number of continued-fraction
steps and series terms, and checks the Gauss-Legendre nodes written in ``betainc_center_scalar``.
Needs mpmath.

Run: ``PYTHONPATH=src python tools/betainc_accuracy.py [N] [--large]``
"""

from __future__ import annotations

import inspect
import math
import sys
from pathlib import Path

import mpmath
import numpy as np
import scipy.special as sc

from fluxion._src.prims import special_incomplete as si

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_betainc_compiled import _mpmath_pair  # noqa: E402

COUNTS = {"fraction": 0, "series": 0}


def _count_loops() -> None:
    """Replace the fraction and the small-a series in the module by copies that record their
    largest step count (the module's functions call them through its globals)."""
    for name, counter, key in (("betainc_fraction_scalar", "m", "fraction"),
                               ("betainc_small_a_scalar", "n", "series")):
        source = inspect.getsource(getattr(si, name))
        body, last = source.rsplit("\n    return ", 1)
        source = (f"{body}\n    COUNTS['{key}'] = max(COUNTS['{key}'], {counter})\n"
                  f"    return {last}")
        namespace = dict(vars(si), COUNTS=COUNTS)
        exec(compile(source, f"<{name}>", "exec"), namespace)
        setattr(si, name, namespace[name])


def reference(a: float, b: float, x: float) -> tuple:
    """(I, 1 - I) to 50 digits: the test suite's mpmath reference (one copy, in
    tests/test_betainc_compiled.py)."""
    return _mpmath_pair(mpmath, a, b, x)


def random_points(n: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(n):
        a, b = 10.0 ** rng.uniform(-6, 5, 2)
        kind = rng.integers(4)
        if kind == 0:
            x = 10.0 ** rng.uniform(-300, 0)
        elif kind == 1:
            x = 1.0 - 10.0 ** rng.uniform(-16, 0)
        elif kind == 2:
            sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
            x = a / (a + b) + 3.0 * sd * rng.normal()
        else:
            x = (a + 1) / (a + b + 2) * (1 + rng.choice([-1, 1]) * 10.0 ** rng.uniform(-12, -1))
        points.append((a, b, min(max(x, 1e-300), 1.0 - 1e-16)))
    return points


def grid_points() -> list:
    shapes = [1e-6, 1e-3, 0.1, 0.49, 0.5, 0.51, 0.9, 1.0, 2.5, 9.99, 10.0, 10.01, 50.0, 999.0,
              1000.0, 1e5]
    points = []
    for a in shapes:
        for b in shapes:
            switch = (a + 1) / (a + b + 2)
            for x in (1e-300, 1e-100, 1e-10, 0.3, 0.7, 1 - 1e-10, 1 - 1e-16, switch,
                      switch * (1 - 1e-10), switch * (1 + 1e-10), switch * 0.9,
                      1 - (1 - switch) * 0.9):
                if 0 < x < 1:
                    points.append((a, b, x))
    return points


def large_points() -> list:
    points = []
    for a, b in [(1e3, 1e3), (999.0, 5e4), (1e3, 1e5), (1e5, 1e5), (3e4, 7e4), (1e6, 1e6),
                 (1e8, 1e8), (1e8, 1e4), (1e10, 1e10), (1e12, 1e6), (1e15, 1e15 + 1e6)]:
        mean, sd = a / (a + b), math.sqrt(a * b / (a + b) ** 3)
        for z in (-6, -3.0001, -3, -2.9999, -2, -1, -0.3, 0, 0.3, 1, 2, 3, 6):
            points.append((a, b, mean + z * sd))
    return points


def report(name: str, points: list) -> None:
    worst = {key: (0.0, None) for key in ("I", "1-I", "scipy I", "scipy 1-I")}
    for a, b, x in points:
        exact = reference(a, b, x)
        values = (si.betainc_scalar(a, b, x), si.betaincc_scalar(a, b, x),
                  sc.betainc(a, b, x), sc.betaincc(a, b, x))
        for key, got, want in zip(worst, values, exact * 2):
            if want > mpmath.mpf("1e-300"):
                rel = float(abs(mpmath.mpf(float(got)) / want - 1))
                if rel > worst[key][0]:
                    worst[key] = (rel, (a, b, x, float(want)))
    print(f"{name}: {len(points)} points")
    for key, (rel, where) in worst.items():
        print(f"  {key:10s} worst {rel:.2e} at (a, b, x, value) = {where}")


def main() -> None:
    n = int(next((arg for arg in sys.argv[1:] if arg.isdigit()), 1000))
    _count_loops()
    nodes, weights = np.polynomial.legendre.leggauss(16)
    source = inspect.getsource(si.gauss_legendre16_scalar)
    assert all(repr(float(v)) in source for v in (*nodes[8:], *weights[8:])), "nodes"
    report("random", random_points(n))
    report("grid", grid_points())
    if "--large" in sys.argv:
        report("large", large_points())
    print(f"largest step counts: {COUNTS}")


if __name__ == "__main__":
    main()
