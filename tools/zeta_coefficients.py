"""Coefficients of the zeta-family scalar formulas in ``fluxion._src.prims.special_more``
(``hurwitz_zeta_positive_scalar``, ``riemann_zeta_scalar``), reproduced from exact rationals
and from mpmath at 50 digits.

``python tools/zeta_coefficients.py`` prints:

1. ``B_2j / (2j)!`` for j = 1 ... 15, the Euler-Maclaurin corrections (DLMF 2.10.1, 25.11.6
   style), from the Bernoulli numbers as exact fractions (Akiyama-Tanigawa algorithm).
2. ``(-1)^n gamma_n / n!``, n = 0 ... 23, the Taylor coefficients of ``zeta(s) - 1/(s - 1)``
   about ``s = 1`` (DLMF 25.2.4; ``gamma_n`` the Stieltjes constants, mpmath.stieltjes), and
   the bound ``max_{n >= 24} |gamma_n| 2^n / n!`` (the truncation error for ``|s - 1| <= 2``).
3. The relative error ``(2 pi - fl(2 pi)) / fl(2 pi)`` of the double nearest 2 pi, used to
   correct ``fl(2 pi)^p`` to first order.
"""

from fractions import Fraction
from math import factorial

import mpmath


def bernoulli(n_max: int) -> list[Fraction]:
    """B_0 ... B_n_max (B_1 = +1/2 convention; only the even ones are used)."""
    out = []
    a = [Fraction(0)] * (n_max + 1)
    for m in range(n_max + 1):
        a[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        out.append(a[0])
    return out


def main() -> None:
    b = bernoulli(30)
    print("B_2j / (2j)!, j = 1..15:")
    print(repr(tuple(float(b[2 * j] / factorial(2 * j)) for j in range(1, 16))))
    mpmath.mp.dps = 50
    coeffs = [(-1) ** n * mpmath.stieltjes(n) / mpmath.factorial(n) for n in range(40)]
    print("(-1)^n gamma_n / n!, n = 0..23:")
    print(repr(tuple(float(c) for c in coeffs[:24])))
    tail = max(abs(c) * 2**n for n, c in enumerate(coeffs) if n >= 24)
    print("truncation bound at |s - 1| = 2:", mpmath.nstr(tail, 3))
    two_pi = 2 * mpmath.pi
    print("relative error of fl(2 pi):", repr(float((two_pi - float(two_pi)) / float(two_pi))))


if __name__ == "__main__":
    main()
