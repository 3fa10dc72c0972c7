"""Incomplete gamma and beta functions, their inverses, and a few gamma/error-function relatives.

Values come from the ``scipy.special`` ufuncs. Derivatives in the integration limit ``x`` are
closed forms (the integrands); derivatives in the shape parameters (``a`` of ``P(a, x)``, ``a``
and ``b`` of ``I_x(a, b)``) have no closed form and are primitives of their own
(``gammainc_da``, ``betainc_da``, ``betainc_db``) evaluated numerically on arrays:

* ``d P(a, x) / da``: for ``x <= a + 1`` the series ``P = x^a e^-x sum_n x^n / Gamma(a + n + 1)``
  differentiated term by term, for ``x > a + 1`` the Legendre continued fraction of ``Q`` with
  its logarithmic derivative carried through the modified Lentz recurrences (the approach of
  Moore 1982, Algorithm AS 187, with the continued fraction in place of his asymptotic branch).
* ``d I_x(a, b) / da`` and ``/ db``: the continued fraction of ``I_x(a, b)`` (the one of
  Numerical Recipes' ``betacf``) differentiated in ``a`` and ``b`` through the Lentz
  recurrences, on the side ``x < (a + 1) / (a + b + 2)`` and by symmetry
  ``I_x(a, b) = 1 - I_{1-x}(b, a)`` on the other (Boik & Robison-Cox 1998).

Each computes the logarithmic derivative and multiplies by SciPy's value of ``P``, ``Q``,
``I`` or ``1 - I`` on the side where that value has no cancellation. The inverses
(``gammaincinv``, ``betaincinv``, ...) are differentiated implicitly through these rules.

Second derivatives in the shape parameters (``d2P/da2``, ``d2I/da2``, ``d2I/dadb``,
``d2I/db2``) are primitives too (``gammainc_daa``, ``betainc_daa``, ``betainc_dab``,
``betainc_dbb``): Richardson-extrapolated central differences (three levels, error O(h^6)) of
the first-derivative values above, with the step ``h = min(a, sqrt(a)) / 8`` relative to the
scale on which the functions vary in the shape parameter. Checked against mpmath
(``tools/special_incomplete_accuracy.py``): about 1e-9 relative or better over the grid there.
Their derivatives in ``x`` are closed forms again (so every second derivative and every third
derivative involving ``x`` is available); a third derivative purely in the shape parameters
raises ``NotImplementedError`` naming the function.

References
----------
R. J. Moore, "Algorithm AS 187: Derivatives of the incomplete gamma integral", Applied
Statistics 31 (1982) 330-335.
R. J. Boik and J. F. Robison-Cox, "Derivatives of the incomplete beta function", Journal of
Statistical Software 3 (1998).
W. H. Press et al., Numerical Recipes, 3rd ed., sections 6.2 and 6.4 (the continued fractions).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from ..core import MissingRule, Primitive, Zero
from .elementwise import (
    add,
    cos,
    defderiv,
    defnondiff,
    divide,
    equal,
    exp,
    floor,
    greater,
    log,
    log1p_p,
    logical_and_p,
    multiply,
    negative,
    square,
    subtract,
    where_p,
)
from .special import (
    _scipy_ufunc,
    betaln_p,
    digamma,
    gamma_p,
    gammaln,
    polygamma,
    xlog1py_p,
    xlogy,
)
from .special_common import array_elementwise, real_float_dtype

_EPS = 1e-16
_TINY = 1e-300
_MAX_ITER = 20000
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


# --------------------------------------------------------------------------------------------
# Numerical shape-parameter derivatives (NumPy, on arrays; the impls of the *_da primitives)
# --------------------------------------------------------------------------------------------


def _float_arrays(*args: Any) -> list[np.ndarray]:
    return [np.array(a, dtype=np.float64) for a in np.broadcast_arrays(*args)]


def _gammainc_series_dlog(a: np.ndarray, x: np.ndarray, smooth: bool = False) -> np.ndarray:
    """d log P(a, x) / da by the series (x <= a + 1); ``smooth``: without log x - psi(a + 1).

    P = x^a e^-x / Gamma(a + 1) sum_n t_n with t_0 = 1, t_n = t_(n-1) x / (a + n); each term's
    a-derivative is -t_n h_n with h_n = sum_{k=1..n} 1 / (a + k), so
    d log P / da = log x - psi(a + 1) - (sum t_n h_n) / (sum t_n); every term has one sign.
    """
    t = np.ones_like(a)
    h = np.zeros_like(a)
    s = np.ones_like(a)
    th = np.zeros_like(a)
    active = np.ones(a.shape, dtype=bool)
    for n in range(1, _MAX_ITER):
        ap = a + n
        t = np.where(active, t * x / ap, t)
        h = np.where(active, h + 1.0 / ap, h)
        s = np.where(active, s + t, s)
        th = np.where(active, th + t * h, th)
        active &= (t > _EPS * s) | (t * h > _EPS * th)
        if not active.any():
            break
    if smooth:
        return -th / s
    return np.log(x) - sc.psi(a + 1.0) - th / s


def _gammaincc_cf_dlog(a: np.ndarray, x: np.ndarray, smooth: bool = False) -> np.ndarray:
    """d log Q(a, x) / da by the Legendre continued fraction (x > a + 1); ``smooth``: without
    log x - psi(a).

    Q = x^a e^-x / Gamma(a) h with h = 1 / (b_0 + a_1 / (b_1 + a_2 / ...)), b_n = x + 2n + 1 - a,
    a_n = -n (n - a) (Numerical Recipes' gcf). In the modified Lentz recurrences
    D_n = b_n + a_n / D_(n-1)^-1, C_n = b_n + a_n / C_(n-1), h *= C_n / D_n, the derivatives
    dD_n, dC_n follow from db_n/da = -1, da_n/da = n, and d log h += dC_n / C_n - dD_n / D_n.
    So d log Q / da = log x - psi(a) + d log h / da (both parts positive here).
    """
    b = x + 1.0 - a
    d = 1.0 / b  # D_0^-1
    dd = 1.0 / (b * b)  # d(D_0^-1)/da = -(db/da) / b^2
    c = np.full_like(a, 1e150)  # C_0 = 'infinity': a_1 / C_0 vanishes
    dc = np.zeros_like(a)
    dlog_h = 1.0 / b  # log h_0 = -log b_0
    active = np.ones(a.shape, dtype=bool)
    for n in range(1, _MAX_ITER):
        an = -n * (n - a)
        b = b + 2.0
        big_d = an * d + b
        big_d = np.where(np.abs(big_d) < _TINY, _TINY, big_d)
        d_big_d = n * d + an * dd - 1.0
        big_c = b + an / c
        big_c = np.where(np.abs(big_c) < _TINY, _TINY, big_c)
        d_big_c = -1.0 + n / c - an * (dc / c) / c
        step = d_big_c / big_c - d_big_d / big_d
        d = np.where(active, 1.0 / big_d, d)
        dd = np.where(active, -d_big_d / (big_d * big_d), dd)
        c = np.where(active, big_c, c)
        dc = np.where(active, d_big_c, dc)
        dlog_h = np.where(active, dlog_h + step, dlog_h)
        ratio = big_c / big_d
        active &= (np.abs(ratio - 1.0) > _EPS) | (np.abs(step) > _EPS * np.abs(dlog_h))
        if not active.any():
            break
    if smooth:
        return dlog_h
    return np.log(x) - sc.psi(a) + dlog_h


def gammainc_da_values(a: Any, x: Any) -> np.ndarray:
    """d P(a, x) / da on arrays (broadcast): 0 at x = 0 and x = inf, NaN outside a > 0, x >= 0."""
    a, x = _float_arrays(a, x)
    out = np.full(a.shape, np.nan)
    inside = (a > 0) & (x >= 0) & np.isfinite(a)
    edge = inside & ((x == 0) | np.isinf(x))
    out[edge] = 0.0
    series = inside & ~edge & (x <= a + 1.0)
    if series.any():
        aa, xx = a[series], x[series]
        out[series] = sc.gammainc(aa, xx) * _gammainc_series_dlog(aa, xx)
    cf = inside & ~edge & (x > a + 1.0)
    if cf.any():
        aa, xx = a[cf], x[cf]
        out[cf] = -sc.gammaincc(aa, xx) * _gammaincc_cf_dlog(aa, xx)
    return out


def _betacf_dlog(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d log K / da, d log K / db) for the continued fraction K of I_x(a, b) = front K.

    K = 1 / (1 + e_1 / (1 + e_2 / (1 + ...))) with e_(2m+1) = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1))
    and e_(2m) = m (b-m) x / ((a+2m-1)(a+2m)) (Numerical Recipes' betacf). The modified Lentz
    steps D = 1 + e D_prev^-1... are differentiated in a and b alongside; d log K += dC/C - dD/D.
    """
    zeros = np.zeros_like(a)
    # the first step, e_1, absorbed in the initialisation: K_0 = 1 / (1 + e_1)
    e = -(a + b) * x / (a + 1.0)
    de_a = -x / (a + 1.0) - e / (a + 1.0)
    de_b = -x / (a + 1.0)
    big_d = 1.0 + e
    big_d = np.where(np.abs(big_d) < _TINY, _TINY, big_d)
    d = 1.0 / big_d
    dd_a = -de_a * d * d
    dd_b = -de_b * d * d
    c = np.ones_like(a)
    dc_a, dc_b = zeros.copy(), zeros.copy()
    dlog_a = -de_a * d
    dlog_b = -de_b * d
    active = np.ones(a.shape, dtype=bool)
    for m in range(1, _MAX_ITER):
        for odd in (False, True):
            if odd:
                r = (a + 2 * m) * (a + 2 * m + 1.0)
                e = -(a + m) * (a + b + m) * x / r
                dlog_r = 1.0 / (a + 2 * m) + 1.0 / (a + 2 * m + 1.0)
                de_a = -x * (2.0 * a + b + 2 * m) / r - e * dlog_r
                de_b = -(a + m) * x / r
            else:
                p = (a + 2 * m - 1.0) * (a + 2 * m)
                e = m * (b - m) * x / p
                de_a = -e * (1.0 / (a + 2 * m - 1.0) + 1.0 / (a + 2 * m))
                de_b = m * x / p
            big_d = 1.0 + e * d
            big_d = np.where(np.abs(big_d) < _TINY, _TINY, big_d)
            dbig_d_a = de_a * d + e * dd_a
            dbig_d_b = de_b * d + e * dd_b
            big_c = 1.0 + e / c
            big_c = np.where(np.abs(big_c) < _TINY, _TINY, big_c)
            dbig_c_a = de_a / c - e * dc_a / (c * c)
            dbig_c_b = de_b / c - e * dc_b / (c * c)
            step_a = dbig_c_a / big_c - dbig_d_a / big_d
            step_b = dbig_c_b / big_c - dbig_d_b / big_d
            new_d = 1.0 / big_d
            d, dd_a, dd_b = (
                np.where(active, new_d, d),
                np.where(active, -dbig_d_a * new_d * new_d, dd_a),
                np.where(active, -dbig_d_b * new_d * new_d, dd_b),
            )
            c = np.where(active, big_c, c)
            dc_a = np.where(active, dbig_c_a, dc_a)
            dc_b = np.where(active, dbig_c_b, dc_b)
            dlog_a = np.where(active, dlog_a + step_a, dlog_a)
            dlog_b = np.where(active, dlog_b + step_b, dlog_b)
        small = (np.abs(big_c / big_d - 1.0) <= _EPS) & (np.abs(step_a) <= _EPS * np.abs(dlog_a))
        active &= ~(small & (np.abs(step_b) <= _EPS * np.abs(dlog_b) + _TINY))
        if not active.any():
            break
    return dlog_a, dlog_b


def _psi_diff(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """psi(x + h) - psi(x) without cancellation for |h| << x: the Taylor series
    sum_k psi^(k)(x) h^k / k! (terms ~ (h/x)^k / k; 12 terms reach 1e-16 for |h| < x / 20)."""
    out = sc.psi(x + h) - sc.psi(x)
    small = (x > 0) & (np.abs(h) < 0.05 * x)
    if small.any():
        xs, hs = x[small], h[small]
        total = np.zeros_like(xs)
        power = np.ones_like(xs)
        for k in range(1, 13):
            power = power * hs / k
            total += sc.polygamma(k, xs) * power
        out[small] = total
    return out


def betainc_dab_values(a: Any, b: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
    """(d I_x(a, b) / da, d I_x(a, b) / db) on arrays (broadcast): 0 at x = 0 and x = 1, NaN
    outside a > 0, b > 0, 0 <= x <= 1."""
    a, b, x = _float_arrays(a, b, x)
    out_a = np.full(a.shape, np.nan)
    out_b = np.full(a.shape, np.nan)
    inside = (a > 0) & (b > 0) & (x >= 0) & (x <= 1) & np.isfinite(a) & np.isfinite(b)
    edge = inside & ((x == 0) | (x == 1))
    out_a[edge] = 0.0
    out_b[edge] = 0.0
    direct = inside & ~edge & (x < (a + 1.0) / (a + b + 2.0))
    if direct.any():
        aa, bb, xx = a[direct], b[direct], x[direct]
        ka, kb = _betacf_dlog(aa, bb, xx)
        # log I = a log x + b log(1-x) - log a - log B(a, b) + log K; -1/a - psi(a) = -psi(a+1)
        value = sc.betainc(aa, bb, xx)
        out_a[direct] = value * (np.log(xx) + _psi_diff(aa + 1.0, bb - 1.0) + ka)
        out_b[direct] = value * (np.log1p(-xx) + _psi_diff(bb, aa) + kb)
    swapped = inside & ~edge & ~(x < (a + 1.0) / (a + b + 2.0))
    if swapped.any():
        # 1 - I_x(a, b) = I_y(b, a) with y = 1 - x: its derivatives in (b, a) with roles swapped
        aa, bb, xx = a[swapped], b[swapped], x[swapped]
        yy = 1.0 - xx
        kb, ka = _betacf_dlog(bb, aa, yy)
        value = sc.betaincc(aa, bb, xx)
        out_b[swapped] = -value * (np.log1p(-xx) + _psi_diff(bb + 1.0, aa - 1.0) + kb)
        out_a[swapped] = -value * (np.log(xx) + _psi_diff(aa, bb) + ka)
    return out_a, out_b


def _richardson(first: Any, args: list[np.ndarray], i: int) -> np.ndarray:
    """d first(*args) / d args[i] by central differences extrapolated over three step sizes
    (``first`` is the smooth part of a log-derivative, see ``_gamma_smooth``).

    The step ``h = min(s, sqrt(s)) / 8`` of the shape parameter ``s = args[i]`` keeps
    ``s - h > 0`` and stays below the scale on which P and I vary in ``s`` (``s`` near 0,
    ``sqrt(s)`` for large ``s``). D(h) has error c2 h^2 + c4 h^4 + ...; two Richardson steps
    over h, h/2, h/4 leave O(h^6). ``first`` is accurate to ~1e-15 relative, so the rounding
    error is ~1e-14 |first| / h.
    """
    s = args[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        h0 = np.minimum(s, np.sqrt(np.abs(s))) / 8.0

        def central(h: np.ndarray) -> np.ndarray:
            up, down = list(args), list(args)
            up[i], down[i] = s + h, s - h
            return (first(*up) - first(*down)) / (2.0 * h)

        d1, d2, d4 = central(h0), central(h0 / 2.0), central(h0 / 4.0)
        r1 = (4.0 * d2 - d1) / 3.0
        r2 = (4.0 * d4 - d2) / 3.0
        return (16.0 * r2 - r1) / 15.0


def _gamma_smooth(a: np.ndarray, x: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """R in d log F / da = log x - psi(a + [lower]) + R, F = P where ``lower`` (the series),
    F = Q elsewhere (the continued fraction). R is smooth in a (polynomial recurrence
    coefficients), the digamma term carries the 1/a behaviour near a = 0; the side is fixed by
    the caller so that a shifted ``a`` stays on it."""
    out = np.empty(a.shape)
    if lower.any():
        out[lower] = _gammainc_series_dlog(a[lower], x[lower], smooth=True)
    if (~lower).any():
        out[~lower] = _gammaincc_cf_dlog(a[~lower], x[~lower], smooth=True)
    return out


def gammainc_daa_values(a: Any, x: Any) -> np.ndarray:
    """d2 P(a, x) / da2 on arrays (broadcast): 0 at x = 0 and x = inf, NaN outside a > 0.

    With F = P (x <= a + 1) or Q (elsewhere) and G = d log F / da = log x - psi(p) + R
    (p = a + 1 or a; series or continued fraction, as in ``gammainc_da_values``),
    F'' = F (G^2 + G') with G' = -psi'(p) + R', R' the Richardson difference of the smooth R.
    G varies slowly even where F is exponentially small, so this stays accurate in the tails
    where a difference of F' would not.
    """
    a, x = _float_arrays(a, x)
    out = np.full(a.shape, np.nan)
    inside = (a > 0) & (x >= 0) & np.isfinite(a)
    edge = inside & ((x == 0) | np.isinf(x))
    out[edge] = 0.0
    keep = inside & ~edge
    if keep.any():
        aa, xx = a[keep], x[keep]
        lower = xx <= aa + 1.0
        p = np.where(lower, aa + 1.0, aa)
        g = np.log(xx) - sc.psi(p) + _gamma_smooth(aa, xx, lower)
        dg = _richardson(lambda s: _gamma_smooth(s, xx, lower), [aa], 0) - sc.polygamma(1, p)
        value = np.where(lower, sc.gammainc(aa, xx), -sc.gammaincc(aa, xx))
        out[keep] = value * (g * g + dg)
    return out


def _beta_smooth(
    a: np.ndarray, b: np.ndarray, x: np.ndarray, direct: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(d log K / da, d log K / db) for the continued fraction K of F = I_x(a, b) where
    ``direct``, of F = 1 - I_x(a, b) = I_(1-x)(b, a) elsewhere: the parts of d log F that
    have no digamma terms (smooth in a and b)."""
    ka, kb = np.empty(a.shape), np.empty(a.shape)
    if direct.any():
        ka[direct], kb[direct] = _betacf_dlog(a[direct], b[direct], x[direct])
    other = ~direct
    if other.any():
        kb[other], ka[other] = _betacf_dlog(b[other], a[other], 1.0 - x[other])
    return ka, kb


def _betainc_second(a: Any, b: Any, x: Any, kind: str) -> np.ndarray:
    """d2 I_x(a, b) / da2 ("aa"), / da db ("ab"), / db2 ("bb") on arrays (broadcast); 0 at
    x = 0 and 1, NaN outside the domain.

    F = I (direct side) or 1 - I (the side without cancellation, as in
    ``betainc_dab_values``), U = d log F / da = log x + psi(a + b) - psi(p) + K_a and
    V = d log F / db = log(1 - x) + psi(a + b) - psi(q) + K_b with (p, q) = (a + 1, b) on the
    direct side, (a, b + 1) on the other. F_aa = F (U^2 + U_a), F_ab = F (U V + U_b),
    F_bb = F (V^2 + V_b); the trigamma parts of U_a, U_b, V_b are exact, the derivatives of
    the continued-fraction parts K_a, K_b Richardson differences (K_ab in the smaller shape
    parameter)."""
    a, b, x = _float_arrays(a, b, x)
    out = np.full(a.shape, np.nan)
    inside = (a > 0) & (b > 0) & (x >= 0) & (x <= 1) & np.isfinite(a) & np.isfinite(b)
    edge = inside & ((x == 0) | (x == 1))
    out[edge] = 0.0
    keep = inside & ~edge
    if not keep.any():
        return out
    aa, bb, xx = a[keep], b[keep], x[keep]
    direct = xx < (aa + 1.0) / (aa + bb + 2.0)
    p = np.where(direct, aa + 1.0, aa)
    q = np.where(direct, bb, bb + 1.0)
    ka, kb = _beta_smooth(aa, bb, xx, direct)
    u = np.log(xx) + _psi_diff(p, aa + bb - p) + ka
    v = np.log1p(-xx) + _psi_diff(q, aa + bb - q) + kb
    tri_ab = sc.polygamma(1, aa + bb)
    if kind == "aa":
        ka_a = _richardson(lambda s: _beta_smooth(s, bb, xx, direct)[0], [aa], 0)
        second = u * u + tri_ab - sc.polygamma(1, p) + ka_a
    elif kind == "bb":
        kb_b = _richardson(lambda t: _beta_smooth(aa, t, xx, direct)[1], [bb], 0)
        second = v * v + tri_ab - sc.polygamma(1, q) + kb_b
    else:
        ka_b = _richardson(lambda t: _beta_smooth(aa, t, xx, direct)[0], [bb], 0)
        kb_a = _richardson(lambda s: _beta_smooth(s, bb, xx, direct)[1], [aa], 0)
        second = u * v + tri_ab + np.where(bb <= aa, ka_b, kb_a)
    value = np.where(direct, sc.betainc(aa, bb, xx), -sc.betaincc(aa, bb, xx))
    out[keep] = value * second
    return out


def betainc_daa_values(a: Any, b: Any, x: Any) -> np.ndarray:
    """d2 I_x(a, b) / da2 on arrays (see ``_betainc_second``)."""
    return _betainc_second(a, b, x, "aa")


def betainc_dab_mixed_values(a: Any, b: Any, x: Any) -> np.ndarray:
    """d2 I_x(a, b) / da db on arrays (see ``_betainc_second``)."""
    return _betainc_second(a, b, x, "ab")


def betainc_dbb_values(a: Any, b: Any, x: Any) -> np.ndarray:
    """d2 I_x(a, b) / db2 on arrays (see ``_betainc_second``)."""
    return _betainc_second(a, b, x, "bb")


# --------------------------------------------------------------------------------------------
# Primitives for the shape-parameter derivatives (array impls, elementwise shape rule)
# --------------------------------------------------------------------------------------------


def _shape_derivative_primitive(name: str, impl: Any, nin: int) -> Primitive:
    """An elementwise (broadcasting) primitive whose ``impl`` is a NumPy function on arrays."""
    return array_elementwise(name, impl, real_float_dtype(nin), cast=True)


gammainc_da_p = _shape_derivative_primitive("gammainc_da", gammainc_da_values, 2)
betainc_da_p = _shape_derivative_primitive(
    "betainc_da", lambda a, b, x: betainc_dab_values(a, b, x)[0], 3
)
betainc_db_p = _shape_derivative_primitive(
    "betainc_db", lambda a, b, x: betainc_dab_values(a, b, x)[1], 3
)
gammainc_daa_p = _shape_derivative_primitive("gammainc_daa", gammainc_daa_values, 2)
betainc_daa_p = _shape_derivative_primitive("betainc_daa", betainc_daa_values, 3)
betainc_dab_p = _shape_derivative_primitive("betainc_dab", betainc_dab_mixed_values, 3)
betainc_dbb_p = _shape_derivative_primitive("betainc_dbb", betainc_dbb_values, 3)


def _def_partial_deriv(prim: Primitive, derivs: tuple, what: str) -> None:
    """``defderiv`` for a primitive some of whose partial derivatives are not implemented
    (``None`` in ``derivs``): differentiating in those arguments raises, naming ``what``."""
    defderiv(prim, *derivs)
    jvp, vjp = prim.jvp, prim.vjp
    missing = [i for i, d in enumerate(derivs) if d is None]

    def jvp_checked(primals: Any, tangents: Any, **params: Any) -> Any:
        for i in missing:
            if type(tangents[i]) is not Zero:
                raise NotImplementedError(
                    f"{what}: a third derivative in the shape parameter(s) (argument {i} of "
                    f"{prim.name}) is not implemented; first and second derivatives in every "
                    "argument and third derivatives involving x are"
                )
        return jvp(primals, tangents, **params)

    def vjp_checked(g: Any, ans: Any, *args: Any, **params: Any) -> Any:
        cts = list(vjp(g, ans, *args, **params))
        for i in missing:
            # raises in the backward pass only if that argument was traced
            cts[i] = MissingRule(
                f"{prim.name} (third derivative of {what} in the shape parameters)", i
            )
        return tuple(cts)

    prim.jvp = jvp_checked
    prim.vjp = vjp_checked


# --------------------------------------------------------------------------------------------
# The incomplete gamma functions P(a, x), Q(a, x) and their inverses
# --------------------------------------------------------------------------------------------

gammainc_p = _scipy_ufunc("gammainc")
gammaincc_p = _scipy_ufunc("gammaincc")
gammaincinv_p = _scipy_ufunc("gammaincinv")
gammainccinv_p = _scipy_ufunc("gammainccinv")


def gammainc_da(a: Any, x: Any) -> Any:
    return gammainc_da_p.bind(a, x)


def _gammainc_dx(a: Any, x: Any) -> Any:
    # d P(a, x) / dx = x^(a-1) e^(-x) / Gamma(a) = exp(xlogy(a - 1, x) - x - lnGamma(a))
    return exp(subtract(subtract(xlogy(subtract(a, 1.0), x), x), gammaln(a)))


def gammainc_daa(a: Any, x: Any) -> Any:
    return gammainc_daa_p.bind(a, x)


def _gammainc_da_dx(ans: Any, a: Any, x: Any) -> Any:
    # d/dx dP/da = d/da dP/dx = x^(a-1) e^-x / Gamma(a) (log x - psi(a))
    return multiply(_gammainc_dx(a, x), subtract(log(x), digamma(a)))


def _gammainc_daa_dx(ans: Any, a: Any, x: Any) -> Any:
    # d/dx d2P/da2 = d2/da2 dP/dx = dP/dx ((log x - psi(a))^2 - psi'(a))
    u = subtract(log(x), digamma(a))
    return multiply(_gammainc_dx(a, x), subtract(square(u), polygamma(1, a)))


_GAMMA_WHAT = "gammainc/gammaincc/gammaincinv/gammainccinv"
defderiv(gammainc_da_p, lambda ans, a, x: gammainc_daa(a, x), _gammainc_da_dx)
_def_partial_deriv(gammainc_daa_p, (None, _gammainc_daa_dx), _GAMMA_WHAT)

# dP/da numerically (gammainc_da), dP/dx the integrand; Q = 1 - P
defderiv(gammainc_p, lambda ans, a, x: gammainc_da(a, x), lambda ans, a, x: _gammainc_dx(a, x))
defderiv(
    gammaincc_p,
    lambda ans, a, x: negative(gammainc_da(a, x)),
    lambda ans, a, x: negative(_gammainc_dx(a, x)),
)


def _gammaincinv_da(ans: Any, a: Any, y: Any) -> Any:
    # implicit: P(a, x(a, y)) = y  =>  dx/da = -(dP/da) / (dP/dx) at x = ans; the same for Q
    return negative(divide(gammainc_da(a, ans), _gammainc_dx(a, ans)))


# dx/dy = 1 / (dP/dx) for P^-1, -1 / (dP/dx) for Q^-1
defderiv(
    gammaincinv_p,
    _gammaincinv_da,
    lambda ans, a, y: divide(1.0, _gammainc_dx(a, ans)),
)
defderiv(
    gammainccinv_p,
    _gammaincinv_da,
    lambda ans, a, y: divide(-1.0, _gammainc_dx(a, ans)),
)


# --------------------------------------------------------------------------------------------
# The regularized incomplete beta function I_x(a, b), its complement and inverses
# --------------------------------------------------------------------------------------------

betainc_p = _scipy_ufunc("betainc")
betaincc_p = _scipy_ufunc("betaincc")
betaincinv_p = _scipy_ufunc("betaincinv")
betainccinv_p = _scipy_ufunc("betainccinv")


def betainc_da(a: Any, b: Any, x: Any) -> Any:
    return betainc_da_p.bind(a, b, x)


def betainc_db(a: Any, b: Any, x: Any) -> Any:
    return betainc_db_p.bind(a, b, x)


def _betainc_dx(a: Any, b: Any, x: Any) -> Any:
    # d I_x(a, b) / dx = x^(a-1) (1-x)^(b-1) / B(a, b)
    log_density = subtract(
        add(xlogy(subtract(a, 1.0), x), xlog1py_p.bind(subtract(b, 1.0), negative(x))),
        betaln_p.bind(a, b),
    )
    return exp(log_density)


def _psi_ratio(p: Any, a: Any, b: Any) -> Any:
    # psi(a + b) - psi(p)
    return subtract(digamma(add(a, b)), digamma(p))


def _beta_scores(a: Any, b: Any, x: Any) -> tuple[Any, Any]:
    # d log(dI/dx) / da = log x - psi(a) + psi(a + b), / db = log(1-x) - psi(b) + psi(a + b)
    return (
        add(log(x), _psi_ratio(a, a, b)),
        add(log1p_p.bind(negative(x)), _psi_ratio(b, a, b)),
    )


def _betainc_dx2(kind: str) -> Any:
    """d/dx of dI/da (kind "a"), dI/db ("b"), d2I/da2 ("aa"), d2I/dadb ("ab"), d2I/db2 ("bb"):
    dI/dx times the matching derivative of exp(score), e.g. (u^2 + du/da) for "aa"."""

    def deriv(ans: Any, a: Any, b: Any, x: Any) -> Any:
        u, v = _beta_scores(a, b, x)
        if kind == "a":
            factor = u
        elif kind == "b":
            factor = v
        else:
            trigamma_ab = polygamma(1, add(a, b))
            if kind == "aa":
                factor = add(square(u), subtract(trigamma_ab, polygamma(1, a)))
            elif kind == "bb":
                factor = add(square(v), subtract(trigamma_ab, polygamma(1, b)))
            else:
                factor = add(multiply(u, v), trigamma_ab)
        return multiply(_betainc_dx(a, b, x), factor)

    return deriv


def betainc_daa(a: Any, b: Any, x: Any) -> Any:
    return betainc_daa_p.bind(a, b, x)


def betainc_dab(a: Any, b: Any, x: Any) -> Any:
    return betainc_dab_p.bind(a, b, x)


def betainc_dbb(a: Any, b: Any, x: Any) -> Any:
    return betainc_dbb_p.bind(a, b, x)


_BETA_WHAT = "betainc/betaincc/betaincinv/betainccinv"
defderiv(
    betainc_da_p,
    lambda ans, a, b, x: betainc_daa(a, b, x),
    lambda ans, a, b, x: betainc_dab(a, b, x),
    _betainc_dx2("a"),
)
defderiv(
    betainc_db_p,
    lambda ans, a, b, x: betainc_dab(a, b, x),
    lambda ans, a, b, x: betainc_dbb(a, b, x),
    _betainc_dx2("b"),
)
for _prim, _kind in ((betainc_daa_p, "aa"), (betainc_dab_p, "ab"), (betainc_dbb_p, "bb")):
    _def_partial_deriv(_prim, (None, None, _betainc_dx2(_kind)), _BETA_WHAT)

defderiv(
    betainc_p,
    lambda ans, a, b, x: betainc_da(a, b, x),
    lambda ans, a, b, x: betainc_db(a, b, x),
    lambda ans, a, b, x: _betainc_dx(a, b, x),
)
defderiv(
    betaincc_p,
    lambda ans, a, b, x: negative(betainc_da(a, b, x)),
    lambda ans, a, b, x: negative(betainc_db(a, b, x)),
    lambda ans, a, b, x: negative(_betainc_dx(a, b, x)),
)


def _betaincinv_dparam(which: Any) -> Any:
    # implicit: I_x(a, b) = y  =>  dx/da = -(dI/da) / (dI/dx) at x = ans (the same for 1 - I)
    def deriv(ans: Any, a: Any, b: Any, y: Any) -> Any:
        return negative(divide(which(a, b, ans), _betainc_dx(a, b, ans)))

    return deriv


defderiv(
    betaincinv_p,
    _betaincinv_dparam(betainc_da),
    _betaincinv_dparam(betainc_db),
    lambda ans, a, b, y: divide(1.0, _betainc_dx(a, b, ans)),
)
defderiv(
    betainccinv_p,
    _betaincinv_dparam(betainc_da),
    _betaincinv_dparam(betainc_db),
    lambda ans, a, b, y: divide(-1.0, _betainc_dx(a, b, ans)),
)


# --------------------------------------------------------------------------------------------
# loggamma, rgamma, gammasgn, erfcx, dawsn, ndtri_exp
# --------------------------------------------------------------------------------------------

loggamma_p = _scipy_ufunc("loggamma")
rgamma_p = _scipy_ufunc("rgamma")
gammasgn_p = _scipy_ufunc("gammasgn")
erfcx_p = _scipy_ufunc("erfcx")
dawsn_p = _scipy_ufunc("dawsn")
ndtri_exp_p = _scipy_ufunc("ndtri_exp")

defderiv(loggamma_p, lambda ans, x: digamma(x))  # d log Gamma(x) = psi(x)


def _rgamma_deriv(ans: Any, x: Any) -> Any:
    # d (1/Gamma(x)) = -psi(x) / Gamma(x); at the poles x = -n (where 1/Gamma = 0 and psi is
    # infinite) the limit (-1)^n n! = cos(pi x) Gamma(1 - x) (double where)
    pole = logical_and_p.bind(greater(0.5, x), equal(x, floor(x)))
    safe_x = where_p.bind(pole, 0.5, x)
    regular = negative(multiply(rgamma_p.bind(safe_x), digamma(safe_x)))
    at_pole = multiply(cos(multiply(x, math.pi)), gamma_p.bind(subtract(1.0, x)))
    return where_p.bind(pole, at_pole, regular)


defderiv(rgamma_p, _rgamma_deriv)
defnondiff(gammasgn_p)  # piecewise constant
# erfcx(x) = e^(x^2) erfc(x): d/dx = 2 x erfcx(x) - 2/sqrt(pi)
defderiv(erfcx_p, lambda ans, x: subtract(multiply(multiply(x, 2.0), ans), 2.0 / _SQRT_PI))
# Dawson's F(x): F'(x) = 1 - 2 x F(x)
defderiv(dawsn_p, lambda ans, x: subtract(1.0, multiply(multiply(x, 2.0), ans)))
# ndtri(e^y): d/dy = sqrt(2 pi) e^(ans^2/2) e^y = sqrt(2 pi) exp(ans^2/2 + y)
defderiv(ndtri_exp_p, lambda ans, y: multiply(exp(add(multiply(square(ans), 0.5), y)), _SQRT_2PI))
