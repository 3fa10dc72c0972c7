"""Derivatives of special functions in their parameters, numerically, on NumPy arrays.

* ``zeta_dx_values(x, q, n)``: ``d^n/dx^n`` of the Hurwitz zeta function
  ``zeta(x, q) = sum_k (k + q)^-x`` (``x > 1``, ``q > 0``), by the Euler-Maclaurin formula
  ``sum_{k<N} (k+q)^-x + M^(1-x)/(x-1) + M^-x/2 + sum_j B_2j/(2j)! (x)_(2j-1) M^(-x-2j+1)``,
  ``M = N + q``, evaluated on truncated Taylor series in ``x`` (so every order comes from one
  formula). ``N`` grows with ``x`` so the Bernoulli terms decrease fast.
* ``riemann_zeta_dx_values(x, n)``: the same for ``zeta(x) = zeta(x, 1)``, valid for every
  ``x != 1`` (Euler-Maclaurin continues analytically); for ``x < 0`` the functional equation
  ``zeta(x) = 2^x pi^(x-1) sin(pi x / 2) Gamma(1-x) zeta(1-x)`` on Taylor series (the direct
  sum would cancel catastrophically).
* ``hyp1f1_dp_values(a, b, x, orders)`` and ``hyp2f1_dp_values(a, b, c, z, orders)``: mixed
  partial derivatives ``d^i/da^i d^j/db^j (d^k/dc^k)`` of the hypergeometric series, summed
  term by term on truncated Taylor series in the parameters (the term ratio
  ``(a+n)(b+n)/((c+n)(n+1)) z`` carried as a series, so a polynomial case, ``a`` a non-positive
  integer, needs no special handling). ``1F1`` for ``x < 0`` by Kummer's transformation
  ``e^x 1F1(b-a; b; -x)``; ``2F1`` for ``z < 0`` by Pfaff's ``(1-z)^-a 2F1(a, c-b; c; z/(z-1))``,
  so the series runs on ``0 <= w < 1``.

Where the method does not apply the result is NaN: ``zeta`` with ``x <= 1`` or ``q <= 0``
(Hurwitz; SciPy's value there is NaN or real only at integer ``x``); ``2F1`` at ``z >= 1`` and
where the series has not converged after ``_MAX_TERMS`` terms (``z`` within about 0.004 of 1,
or ``z`` below about -300, with moderate parameters); ``1F1`` where the series has not converged
(``|x|`` beyond about 9000). Where the derivative itself overflows (``1F1`` for ``x`` above
about 700) it is inf. Accuracy against mpmath (worst 3.3e-13 relative on its grid; at
``x = -5000``, 7e-13, the rounding of ``e^x``):
``tools/special_params_accuracy.py``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import scipy.special as sc

_MAX_TERMS = 10000
_EPS = 2.0**-56


class Jet:
    """A truncated multivariate Taylor series: ``coeffs[beta]`` (beta a multi-index with
    ``beta <= top`` componentwise) is the coefficient of ``d^beta``; only the coefficients that
    the coefficient of ``d^top`` depends on are kept."""

    __slots__ = ("coeffs", "top")

    def __init__(self, coeffs: dict, top: tuple[int, ...]) -> None:
        self.coeffs = coeffs
        self.top = top

    @staticmethod
    def indices(top: tuple[int, ...]) -> list[tuple[int, ...]]:
        # graded order: every beta after all the multi-indices below it
        return sorted(itertools.product(*(range(t + 1) for t in top)), key=sum)

    @classmethod
    def constant(cls, value: Any, top: tuple[int, ...]) -> Jet:
        coeffs = dict.fromkeys(cls.indices(top), 0.0)
        coeffs[(0,) * len(top)] = value
        return cls(coeffs, top)

    @classmethod
    def variable(cls, value: Any, i: int, top: tuple[int, ...]) -> Jet:
        jet = cls.constant(value, top)
        if top[i] >= 1:
            jet.coeffs[tuple(int(j == i) for j in range(len(top)))] = 1.0
        return jet

    @property
    def value(self) -> Any:
        return self.coeffs[(0,) * len(self.top)]

    def __add__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return Jet({k: v + other.coeffs[k] for k, v in self.coeffs.items()}, self.top)
        coeffs = dict(self.coeffs)
        zero = (0,) * len(self.top)
        coeffs[zero] = coeffs[zero] + other
        return Jet(coeffs, self.top)

    __radd__ = __add__

    def __neg__(self) -> Jet:
        return Jet({k: -v for k, v in self.coeffs.items()}, self.top)

    def __sub__(self, other: Any) -> Jet:
        return self + (-other)

    def __rsub__(self, other: Any) -> Jet:
        return (-self) + other

    def __mul__(self, other: Any) -> Jet:
        if not isinstance(other, Jet):
            return Jet({k: v * other for k, v in self.coeffs.items()}, self.top)
        # Cauchy product: c[g] = sum_{b <= g} self[b] other[g - b]
        out = {}
        for g in self.coeffs:
            acc = 0.0
            for b in itertools.product(*(range(x + 1) for x in g)):
                acc = acc + self.coeffs[b] * other.coeffs[tuple(x - y for x, y in zip(g, b))]
            out[g] = acc
        return Jet(out, self.top)

    __rmul__ = __mul__

    def reciprocal(self) -> Jet:
        # c u = 1: c[0] = 1 / u[0]; c[g] = -sum_{b < g} c[b] u[g - b] / u[0]
        u0 = self.value
        out: dict = {}
        for g in self.indices(self.top):
            if not any(g):
                out[g] = 1.0 / u0
                continue
            acc = 0.0
            for b in itertools.product(*(range(x + 1) for x in g)):
                if b != g:
                    acc = acc + out[b] * self.coeffs[tuple(x - y for x, y in zip(g, b))]
            out[g] = -acc / u0
        return Jet(out, self.top)

    def __truediv__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return self * other.reciprocal()
        return self * (1.0 / other)

    def exp(self) -> Jet:
        # e^(u0 + v) = e^u0 sum_k v^k / k!  (v nilpotent of degree sum(top) + 1)
        zero = (0,) * len(self.top)
        v = Jet(dict(self.coeffs), self.top)
        v.coeffs[zero] = 0.0
        total = Jet.constant(1.0, self.top)
        power = Jet.constant(1.0, self.top)
        for k in range(1, sum(self.top) + 1):
            power = power * v * (1.0 / k)
            total = total + power
        return total * np.exp(self.value)

    def derivative(self) -> Any:
        """The mixed partial derivative ``d^top``: the top coefficient times ``top!``."""
        scale = math.prod(math.factorial(t) for t in self.top)
        return self.coeffs[self.top] * scale

    def magnitude(self) -> Any:
        """The largest absolute coefficient, per element."""
        return np.max(np.abs(np.broadcast_arrays(*self.coeffs.values())), axis=0)


def _univariate(values: list, top: tuple[int, ...]) -> Jet:
    """The univariate jet with Taylor coefficients ``values[k]`` of ``d^k``."""
    return Jet({(k,): values[k] for k in range(top[0] + 1)}, top)


# --------------------------------------------------------------------------------------------
# Zeta functions
# --------------------------------------------------------------------------------------------

_BERNOULLI_TERMS = 12
_B2J = [float(sc.bernoulli(2 * _BERNOULLI_TERMS)[2 * j]) / math.factorial(2 * j)
        for j in range(1, _BERNOULLI_TERMS + 1)]


def _hurwitz_jet(x: Jet, q: np.ndarray) -> Jet:
    """Euler-Maclaurin for ``zeta(x, q)`` on a jet ``x`` (arrays of one shape, ``q > 0``)."""
    x0 = np.real(np.asarray(x.value, dtype=float))
    big = float(np.max(np.abs(x0), initial=0.0)) if x0.size else 0.0
    n_terms = int(min(12 + math.ceil(0.6 * big), 4000))
    total = Jet.constant(np.zeros(np.shape(q)), x.top)
    for k in range(n_terms):
        total = total + (x * (-np.log(k + q))).exp()
    m = n_terms + q
    log_m = np.log(m)
    m_pow = (x * (-log_m)).exp()  # M^-x
    total = total + m_pow * m / (x - 1.0) + m_pow * 0.5
    # sum_j B_2j / (2j)! (x)_(2j-1) M^(-x-2j+1)
    rising = x  # (x)_(2j-1)
    m_term = m_pow / m  # M^(-x-1)
    for j in range(1, _BERNOULLI_TERMS + 1):
        total = total + rising * m_term * _B2J[j - 1]
        rising = rising * (x + (2 * j - 1)) * (x + 2 * j)
        m_term = m_term / (m * m)
    return total


def zeta_dx_values(x: Any, q: Any, n: int) -> np.ndarray:
    """``d^n/dx^n zeta(x, q)`` (Hurwitz) for real ``x > 1``, ``q > 0``; NaN elsewhere."""
    x, q = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(q, dtype=float))
    shape = x.shape
    with np.errstate(all="ignore"):
        return _zeta_dx(x.ravel(), q.ravel(), n).reshape(shape)


def _zeta_dx(x: np.ndarray, q: np.ndarray, n: int) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    ok = (x > 1.0) & (q > 0.0) & np.isfinite(x) & np.isfinite(q)
    if ok.any():
        top = (n,)
        jet = _hurwitz_jet(Jet.variable(x[ok], 0, top), q[ok])
        out[ok] = jet.derivative()
    return out


def _riemann_jet(s: Jet) -> Jet:
    """``zeta(s)`` on a jet ``s``: Euler-Maclaurin for ``s >= 0``; for ``s < 0`` the functional
    equation (every element of one call on the same side)."""
    s0 = np.asarray(s.value, dtype=float)
    if np.all(s0 >= 0.0):
        return _hurwitz_jet(s, np.ones(s0.shape))
    top = s.top
    n = top[0]
    t = 1.0 - s0  # > 1
    # 2^s pi^(s-1)
    factor = (s * math.log(2.0 * math.pi)).exp() * (1.0 / math.pi)
    # sin(pi s / 2): k-th coefficient (pi/2)^k sin(pi s0 / 2 + k pi / 2) / k!
    half = math.pi / 2.0
    sine = _univariate([half**k * np.sin(half * s0 + k * half) / math.factorial(k)
                        for k in range(n + 1)], top)
    # Gamma(1 - s) = exp(loggamma(1 - s)); d^k/ds^k loggamma(1 - s) = (-1)^k psi^(k-1)(1 - s)
    log_gamma = [sc.gammaln(t)] + [
        (-1.0) ** k * sc.polygamma(k - 1, t) / math.factorial(k) for k in range(1, n + 1)
    ]
    gamma = _univariate(log_gamma, top).exp()
    reflected = _hurwitz_jet(1.0 - s, np.ones(s0.shape))
    return factor * sine * gamma * reflected


def riemann_zeta_dx_values(x: Any, n: int) -> np.ndarray:
    """``d^n/dx^n zeta(x)`` (Riemann) for real ``x != 1``; NaN at 1 and for non-finite x."""
    x = np.asarray(x, dtype=float)
    shape = x.shape
    x = x.ravel()
    out = np.full(x.shape, np.nan)
    top = (n,)
    with np.errstate(all="ignore"):
        for part in (np.isfinite(x) & (x >= 0.0) & (x != 1.0), np.isfinite(x) & (x < 0.0)):
            if part.any():
                out[part] = _riemann_jet(Jet.variable(x[part], 0, top)).derivative()
    return out.reshape(shape)


# --------------------------------------------------------------------------------------------
# Hypergeometric series
# --------------------------------------------------------------------------------------------


_BIG = 1e150  # terms and partial sums are divided by this when they pass it (exponent kept)


def _series(
    upper: list[Jet], lower: list[Jet], z: np.ndarray, top: tuple[int, ...],
    log_factor: Any = 0.0,
) -> Jet:
    """``exp(log_factor) sum_n prod (u)_n / prod (l)_n z^n / n!`` on jets, until every
    element's terms are below rounding (after the terms have stopped growing); NaN where
    ``_MAX_TERMS`` is hit. The sum is kept scaled (a power of ``_BIG`` aside), so a factor
    ``exp(log_factor)`` that under- or overflows alone does not spoil a finite product."""
    shift = np.zeros(z.shape)  # the number of times the sum was divided by _BIG
    term = Jet.constant(np.ones(z.shape), top)
    total = Jet.constant(np.ones(z.shape), top)
    scale = np.ones(z.shape)  # running sum of |terms|
    params = [np.abs(np.asarray(p.value, dtype=float)) for p in upper + lower]
    start = np.ceil(sum(params) + np.abs(z)) + 2.0
    quiet = np.zeros(z.shape, dtype=int)
    tail = 1.0 / np.maximum(1.0 - np.abs(z), 1e-3) if len(upper) > len(lower) else 1.0
    for n in range(1, _MAX_TERMS + 1):
        ratio = Jet.constant(z / n, top)
        for u in upper:
            ratio = ratio * (u + (n - 1.0))
        den = None
        for low in lower:
            den = low + (n - 1.0) if den is None else den * (low + (n - 1.0))
        if den is not None:
            ratio = ratio / den
        term = term * ratio
        total = total + term
        size = term.magnitude()
        scale = scale + size
        small = (size * tail <= _EPS * scale) & (n > start)
        quiet = np.where(small, quiet + 1, 0)
        if np.all(quiet >= 3):
            break
        big = scale > _BIG
        if big.any():
            down = np.where(big, 1.0 / _BIG, 1.0)
            term, total, scale = term * down, total * down, scale * down
            shift = shift + big
    done = quiet >= 3
    factor = np.exp(log_factor + shift * math.log(_BIG))
    for k in total.coeffs:
        total.coeffs[k] = np.where(done, total.coeffs[k] * factor, np.nan)
    return total


def _flat(*arrays: Any) -> tuple[tuple[int, ...], list[np.ndarray]]:
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays))
    return arrays[0].shape, [a.ravel() for a in arrays]


def hyp1f1_dp_values(a: Any, b: Any, x: Any, orders: tuple[int, int]) -> np.ndarray:
    """``d^i/da^i d^j/db^j 1F1(a; b; x)`` for ``orders = (i, j)``, real arguments."""
    with np.errstate(all="ignore"):
        return _hyp1f1_dp(a, b, x, orders)


def _hyp1f1_dp(a: Any, b: Any, x: Any, orders: tuple[int, int]) -> np.ndarray:
    shape, (a, b, x) = _flat(a, b, x)
    top = tuple(orders)
    out = np.full(a.shape, np.nan)
    finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(x)
    for part, kummer in ((finite & (x >= 0.0), False), (finite & (x < 0.0), True)):
        if not part.any():
            continue
        ja = Jet.variable(a[part], 0, top)
        jb = Jet.variable(b[part], 1, top)
        xs = x[part]
        if kummer:
            # 1F1(a; b; x) = e^x 1F1(b - a; b; -x)
            jet = _series([jb - ja], [jb], -xs, top, log_factor=xs)
        else:
            jet = _series([ja], [jb], xs, top)
        out[part] = jet.derivative()
    return out.reshape(shape)


def hyp2f1_dp_values(
    a: Any, b: Any, c: Any, z: Any, orders: tuple[int, int, int]
) -> np.ndarray:
    """``d^i/da^i d^j/db^j d^k/dc^k 2F1(a, b; c; z)`` for ``orders = (i, j, k)``, real
    arguments, ``z < 1``."""
    with np.errstate(all="ignore"):
        return _hyp2f1_dp(a, b, c, z, orders)


def _hyp2f1_dp(a: Any, b: Any, c: Any, z: Any, orders: tuple) -> np.ndarray:
    shape, (a, b, c, z) = _flat(a, b, c, z)
    top = tuple(orders)
    out = np.full(a.shape, np.nan)
    finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(z)
    for part, pfaff in ((finite & (z >= 0.0) & (z < 1.0), False), (finite & (z < 0.0), True)):
        if not part.any():
            continue
        ja = Jet.variable(a[part], 0, top)
        jb = Jet.variable(b[part], 1, top)
        jc = Jet.variable(c[part], 2, top)
        zs = z[part]
        if pfaff:
            # 2F1(a, b; c; z) = (1 - z)^-a 2F1(a, c - b; c; z / (z - 1))
            w = zs / (zs - 1.0)
            jet = _series([ja, jc - jb], [jc], w, top) * (ja * (-np.log1p(-zs))).exp()
        else:
            jet = _series([ja, jb], [jc], zs, top)
        out[part] = jet.derivative()
    return out.reshape(shape)
