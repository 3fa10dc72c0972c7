"""Taylor coefficients of the coefficients C_k(eta) of Temme's uniform expansion of the incomplete
gamma functions (DLMF 8.12.9-8.12.10), as exact rationals (sympy), printed as floats.

``python tools/temme_coefficients.py 12 30`` prints the table written into
``gammainc_temme_scalar`` (fluxion._src.prims.special_incomplete): C_0 ... C_12, each to eta^29.
mu(eta) inverts eta^2/2 = mu - log(1 + mu) order by order; g_k are the coefficients of Stirling's
series for Gamma(z); C_k = (d/deta C_{k-1}) / eta + (-1)^k g_k / mu (DLMF 8.12.10).
"""

import sys

import sympy as sp


def main(n_terms: int, n_powers: int) -> None:
    e = sp.symbols("e")
    # orders of mu(eta) needed: each step of the recursion divides by eta after differentiating
    orders = n_powers + 2 * n_terms + 6
    c = [sp.Integer(0), sp.Integer(1)]
    for order in range(2, orders + 2):  # eta^2/2 = mu - log(1 + mu), mu = eta + ..., by order
        unknown = sp.symbols("unknown")
        mu = sum(c[i] * e**i for i in range(len(c))) + unknown * e**order
        lhs = sp.series(mu - sp.log(1 + mu), e, 0, order + 2).removeO()
        c.append(sp.solve(sp.expand(lhs).coeff(e, order + 1), unknown)[0])
    mu = sum(c[i] * e**i for i in range(len(c)))
    # g_k: Gamma(z) ~ e^-z z^z sqrt(2 pi / z) sum_k g_k z^-k, from exp(Stirling's series) in 1/z
    z = sp.symbols("z")
    stirling = sum(sp.bernoulli(2 * j) / (2 * j * (2 * j - 1)) * z ** (2 * j - 1)
                   for j in range(1, n_terms + 3))
    g = sp.series(sp.exp(stirling), z, 0, n_terms + 2).removeO()
    g_k = [g.coeff(z, k) for k in range(n_terms + 1)]
    inv_mu = sp.series(1 / mu, e, 0, orders).removeO()
    coefficients = [sp.expand(inv_mu - 1 / e)]
    for k in range(1, n_terms + 1):
        nxt = sp.expand(sp.diff(coefficients[-1], e) / e + (-1) ** k * g_k[k] * inv_mu)
        coefficients.append(sum(nxt.coeff(e, n) * e**n for n in range(-5, orders - 2 * k)))
    for k, ck in enumerate(coefficients):
        assert all(ck.coeff(e, -n) == 0 for n in range(1, 6)), k  # C_k is regular at 0
        print(repr([float(ck.coeff(e, n)) for n in range(n_powers)]))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
