"""Coefficients of ``bessel_ik_scalar`` (fluxion._src.prims.special_more): iv, ive, kv, kve.

``python tools/bessel_ik_coefficients.py`` prints

1. the Taylor coefficients of ``1 / Gamma(1 + mu)`` at ``mu = 0`` (22 of them, from mpmath at
   50 digits), for Temme's ``Gamma_1(mu)`` and ``Gamma_2(mu)`` (Temme 1975, eq. 2.6), and
2. the polynomials ``U_k(p)`` (k = 0..9) of the uniform asymptotic expansion for large order
   (DLMF 10.41.3-4), as exact rationals from the recurrence DLMF 10.41.9
   ``U_{k+1}(p) = p^2 (1 - p^2) U_k'(p) / 2 + (1/8) int_0^p (1 - 5 t^2) U_k(t) dt``,
   written ``U_k(p) = p^k sum_j u_{k,j} p^{2j}`` (j = 0..k), flattened by k then j.
"""

from fractions import Fraction

import mpmath


def inverse_gamma_taylor(n: int) -> list[float]:
    """The first ``n`` Taylor coefficients of ``1 / Gamma(1 + mu)`` at 0."""
    mpmath.mp.dps = 50
    return [float(c) for c in mpmath.taylor(lambda t: 1 / mpmath.gamma(1 + t), 0, n - 1)]


def uniform_polynomials(n: int) -> list[dict[int, Fraction]]:
    """``U_0 .. U_{n-1}`` as {power of p: coefficient} (DLMF 10.41.9)."""
    polys = [{0: Fraction(1)}]
    for _ in range(n - 1):
        nxt: dict[int, Fraction] = {}
        for power, c in polys[-1].items():
            # p^2 (1 - p^2) d/dp p^power / 2
            if power > 0:
                nxt[power + 1] = nxt.get(power + 1, Fraction(0)) + Fraction(power, 2) * c
                nxt[power + 3] = nxt.get(power + 3, Fraction(0)) - Fraction(power, 2) * c
            # (1/8) int_0^p (1 - 5 t^2) t^power dt
            nxt[power + 1] = nxt.get(power + 1, Fraction(0)) + c / (8 * (power + 1))
            nxt[power + 3] = nxt.get(power + 3, Fraction(0)) - 5 * c / (8 * (power + 3))
        polys.append({p: c for p, c in nxt.items() if c != 0})
    return polys


def main() -> None:
    print("1/Gamma(1+mu):", repr(tuple(inverse_gamma_taylor(22))))
    flat = []
    for k, poly in enumerate(uniform_polynomials(10)):
        flat += [float(poly.get(k + 2 * j, Fraction(0))) for j in range(k + 1)]
    print("U_k:", repr(tuple(flat)))


if __name__ == "__main__":
    main()
