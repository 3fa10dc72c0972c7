"""Special-function primitives: gamma family, error functions, normal CDF, logistic, Bessel.

Each primitive's ``impl`` is the ``scipy.special`` ufunc itself (declared with the
:func:`~fluxion._src.prims.elementwise.elementwise` table helper); one :func:`defderiv` line gives
its jvp and vjp. Every derivative is written with primitives, so it can be differentiated again
(``digamma``'s derivative is ``polygamma(1, x)``, whose derivative is ``polygamma(2, x)``, ...).

Functions that are not plain ufunc calls (``polygamma`` with its static order, ``sinc`` from
NumPy) declare their shape rule by hand. Composites (``logsumexp``, ``softmax``, ``multigammaln``)
live in ``fluxion._src.scipy.special``. The incomplete gamma and beta functions, differentiable
in their shape parameters, are in ``special_incomplete``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from ..backend import namespace_of, scipy_special_of
from ..core import MissingRule, Primitive, ShapedArray, Zero
from ._helpers import dtype_for_promotion
from .batch_rules import batch_elementwise
from .elementwise import (
    FORMULA_ONLY,
    add,
    cos,
    defderiv,
    divide,
    elementwise,
    equal,
    exp,
    greater,
    log,
    log1p_p,
    logical_and_p,
    logical_or_p,
    multiply,
    negative,
    reciprocal,
    sign,
    square,
    subtract,
    where_p,
)
from .special_common import broadcast_abstract_eval

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def scipy_special_ufunc(name: str) -> Any:
    """``scipy.special.<name>`` as a NumPy ufunc. Under ``SCIPY_ARRAY_API=1`` SciPy wraps its
    ufuncs in Python functions (array-API dispatch); the ufunc is then the wrapper's
    ``__wrapped__`` (or ``scipy.special._ufuncs.<name>``)."""
    obj = getattr(sc, name)
    if not isinstance(obj, np.ufunc):
        wrapped = getattr(obj, "__wrapped__", None)
        obj = wrapped if isinstance(wrapped, np.ufunc) else getattr(sc._ufuncs, name, obj)
    return obj


def _scipy_ufunc(
    name: str, ufunc: Any = None, scalar: str | None = None, helpers: tuple = ()
) -> Primitive:
    """An elementwise primitive evaluated by ``scipy.special.<name>``; ``scalar`` is its formula
    for the compiled backends (numba knows no SciPy function; see ``elementwise``)."""
    ufunc = scipy_special_ufunc(name) if ufunc is None else ufunc
    args = ", ".join(f"{{{i}}}" for i in range(ufunc.nin))
    return elementwise(
        name, ufunc, template=f"scipy.special.{name}({args})", scalar=scalar, helpers=helpers
    )


# Scalar helpers: plain Python that numba compiles for tier 1 and the tape machine (they use
# only ``math``, ``np`` and each other; see ``codegen/lowering.py``).


def digamma_scalar(x: float) -> float:
    """psi(x) as scipy.special.psi: -inf at 0, NaN at the negative integers; reflection
    psi(x) = psi(1 - x) - pi / tan(pi x) below 0; the recurrence psi(x) = psi(x + 1) - 1/x up
    to x >= 10, then the asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k) to x^-14
    (truncation error below 1e-16 there)."""
    if x != x:
        return x
    if x == 0.0:
        return -np.inf
    shift = 0.0
    if x < 0.0:
        if x == math.floor(x):
            return np.nan
        shift = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (
        -1.0 / 12
        + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132 + f * (
            691.0 / 32760 + f * (-1.0 / 12)
        )))))
    )
    return shift + math.log(x) - 0.5 / x + series


def ndtr_scalar(x: float) -> float:
    """The standard normal CDF as Cephes/scipy: 0.5 (1 + erf(x/sqrt 2)) near 0, erfc in the
    tails (no cancellation)."""
    t = x * 0.7071067811865476
    if abs(t) < 0.7071067811865476:
        return 0.5 + 0.5 * math.erf(t)
    y = 0.5 * math.erfc(abs(t))
    return 1.0 - y if t > 0.0 else y




def log_ndtr_scalar(x: float) -> float:
    """log Phi(x) as scipy.special.log_ndtr, accurate in both tails.

    Upper half (x > 0): log(1 - q) = log1p(-q) with q = erfc(x/sqrt 2)/2 (no cancellation).
    Lower half down to x = -37: log(erfc(-x/sqrt 2)/2), erfc being relatively exact
    there (erfc(26.2) ~ 1e-300 is still a normal number). Below: the asymptotic series
    log Phi(x) = -x^2/2 - log(-x) - log sqrt(2 pi) + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + ...),
    whose first omitted term, 10395/x^12, is below 1e-15 for x < -37 (0.9189... = log sqrt(2 pi);
    helpers see only math, np and each other, so constants are inline)."""
    if x != x:
        return x
    if x > 0.0:
        return math.log1p(-0.5 * math.erfc(x * 0.7071067811865476))
    if x > -37.0:
        return math.log(0.5 * math.erfc(-x * 0.7071067811865476))
    r = 1.0 / (x * x)
    series = 1.0 - r * (1.0 - r * (3.0 - r * (15.0 - r * (105.0 - r * 945.0))))
    return -0.5 * x * x - math.log(-x) - 0.9189385332046728 + math.log(series)


def ndtri_scalar(p: float) -> float:
    """Phi^-1(p) by Wichura's algorithm AS 241 (PPND16, relative error about 1e-16), as
    scipy.special.ndtri: -inf at 0, inf at 1, NaN outside [0, 1]."""
    if p != p or p < 0.0 or p > 1.0:
        return np.nan
    if p == 0.0:
        return -np.inf
    if p == 1.0:
        return np.inf
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    z = num / den
    return -z if q < 0.0 else z


def erfinv_scalar(y: float) -> float:
    """erf^-1(y) as scipy.special.erfinv: +-inf at +-1, NaN outside [-1, 1].

    For ``|y| > 1/2``, ``sign(y) erfcinv(1 - |y|)`` (``1 - |y|`` is exact there). Otherwise
    the start ``ndtri((1 + y)/2)/sqrt 2`` (``erf(x) = 2 Phi(x sqrt 2) - 1``), whose rounding of
    ``(1 + y)/2`` costs relative accuracy for small ``|y|``, then Newton steps on
    ``erf(x) - y`` (``erf' = 2/sqrt(pi) e^(-x^2)``; ``math.erf`` is relatively exact near 0), which
    also reach ``y sqrt(pi)/2`` from a start of 0 for subnormal ``y``."""
    if y != y or y < -1.0 or y > 1.0:
        return np.nan
    if y == 0.0:
        return 0.0
    if abs(y) > 0.5:  # erfcinv(1 - |y|), as there, inline (numba: no mutual recursion)
        x = -ndtri_scalar(0.5 * (1.0 - abs(y))) * 0.7071067811865476
        return x if y > 0.0 else -x
    x = ndtri_scalar(0.5 + 0.5 * y) * 0.7071067811865476
    for _ in range(3):
        x -= (math.erf(x) - y) * 0.886226925452758 * math.exp(x * x)
    return x


def erfcinv_scalar(z: float) -> float:
    """erfc^-1(z) as scipy.special.erfcinv: inf at 0, -inf at 2, NaN outside [0, 2].

    ``-ndtri(z/2)/sqrt 2`` for ``z < 1/2`` (``erfc(x) = 2 Phi(-x sqrt 2)``; ``z/2`` is exact, so
    this is as accurate as ``ndtri`` in the tail), ``erfinv(1 - z)`` for ``1/2 <= z <= 3/2``
    and ``-erfcinv(2 - z)`` above (both differences exact, by Sterbenz's lemma)."""
    if z != z or z < 0.0 or z > 2.0:
        return np.nan
    if z < 0.5:
        return -ndtri_scalar(0.5 * z) * 0.7071067811865476
    if z == 1.0:
        return -0.0  # as SciPy
    if z <= 1.5:
        return erfinv_scalar(1.0 - z)
    return ndtri_scalar(1.0 - 0.5 * z) * 0.7071067811865476


def gamma_scalar(x: float) -> float:
    """Gamma(x) as scipy.special.gamma: +-inf at +-0, NaN at the negative integers and -inf,
    inf beyond 171.62 (``math.gamma``, a Lanczos approximation, elsewhere)."""
    if x != x:
        return x
    if x == 0.0:
        return math.copysign(np.inf, x)
    if x < 0.0 and x == math.floor(x):
        return np.nan
    if x > 171.7:
        return np.inf
    return math.gamma(x)


def entr_scalar(x: float) -> float:
    """scipy.special.entr: ``-x log x`` for x > 0, 0 at 0, -inf below."""
    if x != x:
        return x
    if x > 0.0:
        return -x * math.log(x) if x < np.inf else -np.inf
    return 0.0 if x == 0.0 else -np.inf


def _where(c: Any, x: Any, y: Any) -> Any:
    return where_p.bind(c, x, y)


def _logical_and(x: Any, y: Any) -> Any:
    return logical_and_p.bind(x, y)


def _less_equal_zero(x: Any) -> Any:
    return logical_or_p.bind(greater(0.0, x), equal(x, 0.0))


# --------------------------------------------------------------------------------------------
# Gamma family
# --------------------------------------------------------------------------------------------

# log|Gamma(x)|, +inf at the poles (C lgamma, as scipy.special.gammaln)
gammaln_p = _scipy_ufunc("gammaln", scalar="math.lgamma({0})")
digamma_p = _scipy_ufunc(
    "digamma", scipy_special_ufunc("psi"), scalar="digamma_scalar({0})", helpers=(digamma_scalar,)
)
gamma_p = _scipy_ufunc("gamma", scalar="gamma_scalar({0})", helpers=(gamma_scalar,))


# --- Hurwitz zeta and polygamma: scalar formulas (tier 1, fused loops, the tape machine) ------
# (coefficients: tools/zeta_coefficients.py)


def hurwitz_zeta_positive_scalar(x: float, q: float) -> float:
    """The Hurwitz zeta function ``zeta(x, q) = sum_k (k + q)^-x`` for ``1 < x < inf`` and
    ``q > 0`` (``q = inf`` included: 0).

    Parameters
    ----------
    x : float
        The exponent, ``1 < x < inf``.
    q : float
        The shift, ``q > 0``.

    Returns
    -------
    float
        ``zeta(x, q)`` (inf where ``q^-x`` overflows, 0 where the whole sum underflows).

    Notes
    -----
    Euler-Maclaurin summation (DLMF 2.10.1 applied to ``f(t) = (t + q)^-x``, as in DLMF
    25.11.6): the terms ``(q + k)^-x`` are summed directly while ``a = q + k`` is below
    ``max(10, 2x)``, stopping early once the tail bound ``a^-x (1 + a/(x - 1))`` is below
    ``1.4e-17`` of the sum; then ``zeta(x, a) = a^(1-x)/(x - 1) + a^-x/2 +
    sum_j B_2j/(2j)! (x)_(2j-1) a^(-x-2j+1)`` with up to 15 Bernoulli terms (the ratio of
    successive terms is about ``((x + 2j)/(2 pi a))^2 <= 1/4``). Against 40-digit mpmath:
    about 1e-15 relative at worst (see ``tests/test_zeta_polygamma_compiled.py``).
    """
    if q < 1.0 and -x * math.log(q) > 709.79:
        return np.inf  # q^-x overflows
    edge = max(10.0, 2.0 * x)
    s = 0.0
    a = q
    while a < edge:
        t = math.pow(a, -x)
        s += t
        a += 1.0
        if t * (1.0 + a / (x - 1.0)) <= 1.4e-17 * s:
            return s
    p = math.pow(a, 1.0 - x)
    w = p / a
    s += p / (x - 1.0) + 0.5 * w
    f = w * x / a  # (x)_(2j-1) a^(-x-2j+1) at j = 1
    k = x
    # B_2j / (2j)!, j = 1 ... 15 (exact rationals, rounded)
    for c in (0.08333333333333333, -0.001388888888888889, 3.306878306878307e-05,
              -8.267195767195768e-07, 2.08767569878681e-08, -5.284190138687493e-10,
              1.3382536530684679e-11, -3.3896802963225827e-13, 8.586062056277845e-15,
              -2.174868698558062e-16, 5.5090028283602295e-18, -1.3954464685812522e-19,
              3.534707039629467e-21, -8.953517427037546e-23, 2.267952452337683e-24):
        t = c * f
        s += t
        if abs(t) <= 1.4e-17 * abs(s):
            break
        f *= (k + 1.0) / a * ((k + 2.0) / a)
        k += 2.0
    return s


def hurwitz_zeta_scalar(x: float, q: float) -> float:
    """``scipy.special.zeta(x, q)``, the Hurwitz zeta function, with SciPy's conventions.

    Parameters
    ----------
    x : float
        The exponent.
    q : float
        The shift.

    Returns
    -------
    float
        ``zeta(x, q)``: inf at ``x = 1`` and at ``q = 0, -1, -2, ...`` (``q = -inf`` too); NaN
        for ``x < 1``, for NaN, and for ``q < 0`` with ``x`` not an integer (``(q + k)^-x`` is
        not real); ``x = inf`` gives inf, 1, 0 for ``q < 1``, ``q = 1``, ``q > 1``.

    Notes
    -----
    ``q > 0``: :func:`hurwitz_zeta_positive_scalar`. ``q < 0`` (``x`` an integer), with
    ``m = ceil(-q)`` and ``r = q + m`` in ``(0, 1)``: ``zeta(x, q) = sum_{k<m} (q + k)^-x +
    zeta(x, r)``, the finite sum reversed, ``(-1)^x [zeta(x, b) - zeta(x, 1 - q)]`` with ``b =
    -q - (m - 1) = 1 - r`` (exact), so three positive-shift values whatever ``m`` (SciPy sums
    the ``m`` terms one by one: ``-q`` steps). ``zeta(x, r) + (-1)^x zeta(x, b)`` is added
    first: exact cancellation at half-integers ``q`` for odd ``x``. Near the zeros of an odd
    ``x`` the value cancels (its error is then about 3e-16 of ``zeta(x, r) + zeta(x, b)``, as
    SciPy's is of its terms).
    Deliberate difference: ``zeta(inf, q)`` for ``q > 1`` is 0 here (the limit); SciPy gives
    NaN.
    """
    if x != x or q != q:
        return np.nan
    if x == 1.0:
        return np.inf
    if x < 1.0:
        return np.nan
    if x == np.inf:
        return np.inf if q < 1.0 else (1.0 if q == 1.0 else 0.0)
    if q <= 0.0:
        if q == np.floor(q):  # (np.floor: a float, whatever the magnitude, also in numba)
            return np.inf
        if x != np.floor(x):
            return np.nan
        # sum_{k<m} (q + k)^-x = (-1)^x [zeta(x, b) - zeta(x, 1 - q)], b = -q - (m - 1)
        m = np.ceil(-q)
        b = -q - (m - 1.0)
        sign = -1.0 if 0.5 * x != np.floor(0.5 * x) else 1.0  # (-1)^x
        near = hurwitz_zeta_positive_scalar(x, q + m) + sign * hurwitz_zeta_positive_scalar(x, b)
        return near - sign * hurwitz_zeta_positive_scalar(x, 1.0 - q)
    return hurwitz_zeta_positive_scalar(x, q)


def polygamma_scalar(n: float, x: float) -> float:
    """``scipy.special.polygamma(n, x)``: ``psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x)`` for
    ``n >= 1`` (DLMF 25.11.12), ``digamma(x)`` for ``n = 0``.

    Parameters
    ----------
    n : float
        The order, a non-negative integer (NaN otherwise, as SciPy).
    x : float
        The argument; negative non-integers are defined (``zeta`` with a negative shift).

    Returns
    -------
    float
        ``psi^(n)(x)``: ``+-inf`` at ``x = 0, -1, -2, ...`` with SciPy's sign
        ``(-1)^(n+1)``; 0 at ``x = inf``.

    Notes
    -----
    Through :func:`hurwitz_zeta_scalar` and :func:`digamma_scalar`; ``n! = gamma(n + 1)``
    (exact to n = 22). As SciPy, ``n > 170`` overflows ``n!`` (inf, or NaN where zeta
    underflows to 0).
    """
    if n != n or x != x:
        return np.nan
    if n < 0.0 or n != np.floor(n) or n == np.inf:
        return np.nan
    if n == 0.0:
        return digamma_scalar(x)
    value = math.gamma(n + 1.0) * hurwitz_zeta_scalar(n + 1.0, x)
    return value if 0.5 * n != np.floor(0.5 * n) else -value


def _polygamma_impl(n: Any, x: Any) -> Any:
    # scipy.special.polygamma is Python over NumPy, not a ufunc: a device array takes the
    # device library's own (cupyx.scipy.special.polygamma)
    if namespace_of(x) is np:
        return sc.polygamma(n, x)
    return scipy_special_of(x).polygamma(n, x)


def _polygamma_dtype(dtypes: tuple) -> Any:
    if any(np.dtype(d).kind not in "biuf" for d in dtypes):
        raise TypeError("polygamma takes a real order n and a real x")
    return np.dtype(np.float64)


# psi^(n)(x) with the order as an operand (the public polygamma binds a constant n), so that the
# compiled backends evaluate it by its scalar formula like any binary elementwise primitive
polygamma_p = Primitive("polygamma", _polygamma_impl)
polygamma_p.abstract_eval = broadcast_abstract_eval("polygamma", _polygamma_dtype)
polygamma_p.templates["numpy"] = "scipy.special.polygamma({0}, {1})"
polygamma_p.templates["scalar"] = "polygamma_scalar({0}, {1})"
polygamma_p.templates["scalar_helpers"] = (
    polygamma_scalar,
    hurwitz_zeta_scalar,
    hurwitz_zeta_positive_scalar,
    digamma_scalar,
)
polygamma_p.batch = batch_elementwise(polygamma_p)
FORMULA_ONLY.append(polygamma_p)


def gammaln(x: Any) -> Any:
    return gammaln_p.bind(x)


def digamma(x: Any) -> Any:
    return digamma_p.bind(x)


def polygamma(n: int, x: Any) -> Any:
    """``polygamma(n, x)`` for a static integer order ``n`` (``n == 0`` is ``digamma``): the
    primitive ``polygamma`` with ``n`` as a constant (float) operand."""
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
        raise TypeError(f"polygamma: expected a non-negative integer order n, got {n!r}")
    if n == 0:
        return digamma_p.bind(x)
    return polygamma_p.bind(float(n), x)


# d psi^(n)(x) = psi^(n+1)(x) dx; the order is not differentiable (an integer)
defderiv(polygamma_p, None, lambda ans, n, x: polygamma_p.bind(n + 1.0, x))
defderiv(gammaln_p, lambda ans, x: digamma(x))  # d lnGamma(x) = psi(x)
defderiv(digamma_p, lambda ans, x: polygamma(1, x))  # d psi(x) = psi^(1)(x)
defderiv(gamma_p, lambda ans, x: multiply(ans, digamma(x)))  # d Gamma(x) = Gamma(x) psi(x)

def stirling_correction_scalar(x: float) -> float:
    """lgamma(x) - [(x - 1/2) ln x - x + ln(2 pi)/2] for x >= 10: the Stirling series
    sum B_2k / (2k (2k-1) x^(2k-1)) to x^-13 (DLMF 5.11.1; the next term is below 1e-19 at
    x = 20 and 3e-17 at x = 10)."""
    r = 1.0 / (x * x)
    return (
        1.0 / 12.0 + r * (-1.0 / 360.0 + r * (1.0 / 1260.0 + r * (-1.0 / 1680.0 + r * (
            1.0 / 1188.0 + r * (-691.0 / 360360.0 + r / 156.0)))))
    ) / x


def _gamma_ratio_scalar(a: float, b: float) -> float:
    """Gamma(a) Gamma(b) / Gamma(a + b) for arguments away from the poles with |a|, |b|,
    |a + b| below 171 (no overflow of one Gamma): the division first between the closer pair
    (the other factor then stays in range; as Cephes ``beta``)."""
    gy = math.gamma(a + b)
    ga = math.gamma(a)
    gb = math.gamma(b)
    if abs(abs(ga) - abs(gy)) > abs(abs(gb) - abs(gy)):
        return gb / gy * ga
    return ga / gy * gb


def _betaln_off_poles_scalar(a: float, b: float) -> float:
    """log|B(a, b)| for a, b not non-positive integers. With ``a >= b``: where ``a`` and
    ``a + b`` are at least 20, ``lgamma(b) + [lgamma(a) - lgamma(a + b)]`` with the bracket
    from Stirling's formula, ``-(a - 1/2) log1p(b/a) - b ln(a + b) + b + c(a) - c(a + b)``
    (``c`` the series above), so nothing cancels when ``|b| << a`` (negative ``b`` included);
    for ``b < 1e-100`` otherwise, the sum of ``lgamma`` (``a`` small: no cancellation); else
    ``ln|Gamma(a) Gamma(b) / Gamma(a + b)|`` with the ratio taken first between the closer
    pair (Cephes ``lbeta``)."""
    if a < b:
        a, b = b, a
    y = a + b
    if a == math.inf:  # B(inf, b) = 0 for b > 0; |B| = inf for b < 0 (Gamma(b) / Gamma(inf))
        return -math.inf if b > 0.0 else (math.inf if b < 0.0 else math.nan)
    if a >= 20.0 and y >= 20.0:
        return (
            math.lgamma(b) - (a - 0.5) * math.log1p(b / a) - b * math.log(y) + b
            + stirling_correction_scalar(a) - stirling_correction_scalar(y)
        )
    if b < 1e-100:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(y)
    return math.log(abs(_gamma_ratio_scalar(a, b)))


def _beta_pole_scalar(a: float, b: float) -> tuple:
    """SciPy's B(a, b) where Gamma(a) or Gamma(b) is a pole (a non-positive integer).

    ``(1, s, a2, b2)``: the finite limit ``s B(a2, b2)`` with ``(a2, b2) = (1 - a - b, b)``
    (both positive) and ``s = (-1)^b``, when ``b`` is an integer with ``1 - a - b > 0``
    (Gamma(a + b) then has a pole of the same order); ``(2, s, 0, 0)``: ``s * inf``;
    ``(0, 1, a, b)``: neither argument is a pole. Cephes' order, ``a`` first, so B(NaN, -6)
    is inf; a pole beyond a C int (-inf included) is inf."""
    for _ in range(2):
        if a <= 0.0 and a == math.floor(a):
            if a < -2147483648.0 or abs(b) == math.inf:
                return 2, 1.0, 0.0, 0.0
            if b == math.floor(b) and 1.0 - a - b > 0.0:
                sign = 1.0 if b % 2.0 == 0.0 else -1.0
                if b <= 0.0:  # B(1 - a - b, b) is itself at a pole of Gamma(b)
                    return 2, sign, 0.0, 0.0
                return 1, sign, 1.0 - a - b, b
            return 2, 1.0, 0.0, 0.0
        a, b = b, a
    return 0, 1.0, a, b


def betaln_scalar(a: float, b: float) -> float:
    """log|B(a, b)| as scipy.special.betaln: poles as ``_beta_pole_scalar``, elsewhere
    ``_betaln_off_poles_scalar``."""
    kind, _, a, b = _beta_pole_scalar(a, b)
    if kind == 2:
        return math.inf
    if a != a or b != b:
        return a + b
    return _betaln_off_poles_scalar(a, b)


def beta_scalar(a: float, b: float) -> float:
    """B(a, b) as scipy.special.beta. At poles, ``_beta_pole_scalar``. Elsewhere the Gamma
    ratio where every Gamma is in range (``|a|, |b|, |a + b| < 171``), else
    ``sign * exp(log|B|)``, the sign that of Gamma(a) Gamma(b) / Gamma(a + b) (Gamma(z) < 0
    exactly for z < 0 with an odd floor); a pole of Gamma(a + b) alone gives 0."""
    kind, sign, a, b = _beta_pole_scalar(a, b)
    if kind == 2:
        return sign * math.inf
    if a != a or b != b:
        return a + b
    y = a + b
    if y <= 0.0 and y == math.floor(y):
        return 0.0  # 1 / Gamma(a + b) at a pole
    if abs(a) < 171.0 and abs(b) < 171.0 and abs(y) < 171.0:
        return sign * _gamma_ratio_scalar(a, b)
    for z in (a, b, y):
        if z < 0.0 and math.floor(z) % 2.0 != 0.0:
            sign = -sign
    return sign * math.exp(_betaln_off_poles_scalar(a, b))


_BETA_HELPERS = (
    stirling_correction_scalar, _gamma_ratio_scalar, _betaln_off_poles_scalar, _beta_pole_scalar,
)
betaln_p = _scipy_ufunc(
    "betaln", scalar="betaln_scalar({0}, {1})", helpers=(*_BETA_HELPERS, betaln_scalar)
)
beta_p = _scipy_ufunc(
    "beta", scalar="beta_scalar({0}, {1})", helpers=(*_BETA_HELPERS, beta_scalar)
)


def _digamma_diff(a: Any, b: Any) -> Any:
    # psi(a) - psi(a + b)
    return subtract(digamma(a), digamma(add(a, b)))


# d ln B(a, b) / da = psi(a) - psi(a + b); symmetric in b
defderiv(betaln_p, lambda ans, a, b: _digamma_diff(a, b), lambda ans, a, b: _digamma_diff(b, a))
# d B(a, b) / da = B(a, b) (psi(a) - psi(a + b)); symmetric in b
defderiv(
    beta_p,
    lambda ans, a, b: multiply(ans, _digamma_diff(a, b)),
    lambda ans, a, b: multiply(ans, _digamma_diff(b, a)),
)

def _forbid_shape_derivative(prim: Primitive) -> None:
    """Make differentiating ``prim`` in its shape argument ``a`` an error, not a silent zero."""
    jvp, vjp = prim.jvp, prim.vjp

    def jvp_checked(primals: Any, tangents: Any, **params: Any) -> Any:
        if type(tangents[0]) is not Zero:
            raise NotImplementedError(
                f"{prim.name}: the derivative in the shape parameter a is not implemented; "
                "differentiate with respect to x only and hold a fixed (pass it as a constant "
                "or through fluxion.stop_gradient)"
            )
        return jvp(primals, tangents, **params)

    def vjp_checked(g: Any, ans: Any, a: Any, x: Any, **params: Any) -> Any:
        # The placeholder raises in the backward pass only if a was traced.
        return (MissingRule(prim.name, 0), vjp(g, ans, a, x, **params)[1])

    prim.jvp = jvp_checked
    prim.vjp = vjp_checked


# --------------------------------------------------------------------------------------------
# Error functions and the normal distribution
# --------------------------------------------------------------------------------------------

erf_p = _scipy_ufunc("erf", scalar="math.erf({0})")
erfc_p = _scipy_ufunc("erfc", scalar="math.erfc({0})")
erfinv_p = _scipy_ufunc(
    "erfinv", scalar="erfinv_scalar({0})", helpers=(ndtri_scalar, erfinv_scalar)
)
erfcinv_p = _scipy_ufunc(
    "erfcinv", scalar="erfcinv_scalar({0})", helpers=(ndtri_scalar, erfinv_scalar, erfcinv_scalar)
)
ndtr_p = _scipy_ufunc("ndtr", scalar="ndtr_scalar({0})", helpers=(ndtr_scalar,))
ndtri_p = _scipy_ufunc("ndtri", scalar="ndtri_scalar({0})", helpers=(ndtri_scalar,))
log_ndtr_p = _scipy_ufunc(
    "log_ndtr", scalar="log_ndtr_scalar({0})", helpers=(log_ndtr_scalar,)
)


def _gauss(x: Any) -> Any:
    # e^(-x^2)
    return exp(negative(square(x)))


def _normal_pdf(x: Any) -> Any:
    # phi(x) = e^(-x^2/2) / sqrt(2 pi)
    return divide(exp(multiply(square(x), -0.5)), _SQRT_2PI)


defderiv(erf_p, lambda ans, x: multiply(_gauss(x), 2.0 / _SQRT_PI))  # 2/sqrt(pi) e^(-x^2)
defderiv(erfc_p, lambda ans, x: multiply(_gauss(x), -2.0 / _SQRT_PI))  # -2/sqrt(pi) e^(-x^2)
# erfinv'(y) = sqrt(pi)/2 e^(erfinv(y)^2)
defderiv(erfinv_p, lambda ans, x: multiply(exp(square(ans)), _SQRT_PI / 2.0))
# erfcinv'(y) = -sqrt(pi)/2 e^(erfcinv(y)^2)
defderiv(erfcinv_p, lambda ans, x: multiply(exp(square(ans)), -_SQRT_PI / 2.0))
defderiv(ndtr_p, lambda ans, x: _normal_pdf(x))  # Phi'(x) = phi(x)
# (Phi^-1)'(p) = sqrt(2 pi) e^(ans^2 / 2)
defderiv(ndtri_p, lambda ans, x: multiply(exp(multiply(square(ans), 0.5)), _SQRT_2PI))
# d log Phi(x) = phi(x) / Phi(x) = exp(-x^2/2 - log Phi(x) - log sqrt(2 pi))
defderiv(
    log_ndtr_p,
    lambda ans, x: exp(subtract(multiply(square(x), -0.5), add(ans, _LOG_SQRT_2PI))),
)


def erf(x: Any) -> Any:
    return erf_p.bind(x)


def ndtr(x: Any) -> Any:
    return ndtr_p.bind(x)


# --------------------------------------------------------------------------------------------
# Logistic functions
# --------------------------------------------------------------------------------------------

# Stable forms: expit(x) = e^min(x,0) / (1 + e^-|x|) and log expit(x) = min(x, 0) -
# log1p(e^-|x|) never overflow; logit(p) = log(p / (1 - p)).
expit_p = _scipy_ufunc(
    "expit", scalar="(np.exp(np.minimum({0}, 0.0)) / (1.0 + np.exp(-np.abs({0}))))"
)
logit_p = _scipy_ufunc("logit", scalar="np.log({0} / (1.0 - {0}))")

defderiv(expit_p, lambda ans, x: multiply(ans, subtract(1.0, ans)))  # s'(x) = s (1 - s)
defderiv(logit_p, lambda ans, x: reciprocal(multiply(x, subtract(1.0, x))))  # 1/(x (1 - x))

log_expit_p = _scipy_ufunc(
    "log_expit", scalar="(np.minimum({0}, 0.0) - np.log1p(np.exp(-np.abs({0}))))"
)
# d log s(x) = 1 - s(x) = s(-x)
defderiv(log_expit_p, lambda ans, x: expit(negative(x)))


def expit(x: Any) -> Any:
    return expit_p.bind(x)


# --------------------------------------------------------------------------------------------
# x log y, x log1p y, entropy (zero where x == 0, with finite derivatives there)
# --------------------------------------------------------------------------------------------

# 0 where x == 0 (unless y is NaN), as scipy.special.xlogy / xlog1py
xlogy_p = _scipy_ufunc(
    "xlogy", scalar="(0.0 if ({0} == 0.0 and {1} == {1}) else {0} * np.log({1}))"
)
xlog1py_p = _scipy_ufunc(
    "xlog1py", scalar="(0.0 if ({0} == 0.0 and {1} == {1}) else {0} * np.log1p({1}))"
)
entr_p = _scipy_ufunc("entr", scalar="entr_scalar({0})", helpers=(entr_scalar,))


def xlogy(x: Any, y: Any) -> Any:
    return xlogy_p.bind(x, y)


def _xlog_dx(x: Any, y: Any, log_fn: Any, y_min: float) -> Any:
    # d/dx x log(y) = log(y); where x == 0 and log(y) is undefined (y <= y_min) the function is
    # identically 0 in x's neighbourhood convention, so take 0. Double where: the untaken branch
    # sees a safe y, so its derivative stays finite.
    bad = _logical_and(equal(x, 0.0), _less_equal_zero(subtract(y, y_min)))
    safe_y = _where(bad, y_min + 1.0, y)
    return _where(bad, 0.0, log_fn(safe_y))


def _xlog_dy(x: Any, y: Any, y_min: float) -> Any:
    # d/dy x log(y - y_min) = x / (y - y_min), taken as 0 where x == 0 (double where)
    zero_x = equal(x, 0.0)
    safe_y = _where(zero_x, y_min + 1.0, y)
    return _where(zero_x, 0.0, divide(x, subtract(safe_y, y_min)))


defderiv(
    xlogy_p,
    lambda ans, x, y: _xlog_dx(x, y, log, 0.0),
    lambda ans, x, y: _xlog_dy(x, y, 0.0),
)
defderiv(
    xlog1py_p,
    lambda ans, x, y: _xlog_dx(x, y, log1p_p.bind, -1.0),
    lambda ans, x, y: _xlog_dy(x, y, -1.0),
)
# entr(x) = -x log x: d/dx = -(log x + 1)  (-inf at 0, as the true slope)
defderiv(entr_p, lambda ans, x: negative(add(log(x), 1.0)))


# --------------------------------------------------------------------------------------------
# Exponentially scaled modified Bessel functions
# --------------------------------------------------------------------------------------------

# Scalar formulas for the compiled backends: Cephes' Chebyshev expansions (S. L. Moshier,
# Cephes Math Library 2.8, i0.c and i1.c, public domain; the same coefficients as SciPy's
# i0e/i1e and NumPy's np.i0), in y = x/2 - 2 on [0, 8] and y = 32/x - 2 on (8, inf).


def chebyshev_series_scalar(y: float, coef: tuple) -> float:
    """Cephes' ``chbevl``: ``sum_k' c_k T_k(y / 2)`` by Clenshaw's recurrence
    ``b_k = y b_{k+1} - b_{k+2} + c_k``, result ``(b_0 - b_2) / 2``; ``coef`` from the highest
    degree down."""
    b0 = coef[0]
    b1 = 0.0
    b2 = 0.0
    for k in range(1, len(coef)):
        b2 = b1
        b1 = b0
        b0 = y * b1 - b2 + coef[k]
    return 0.5 * (b0 - b2)


def i0e_scalar(x: float) -> float:
    """``exp(-|x|) I0(x)`` as Cephes' ``i0e``: on ``|x| <= 8`` a 30-term Chebyshev series of
    ``exp(-x) I0(x)`` in ``x/2 - 2``; beyond, a 25-term series of ``exp(-x) sqrt(x) I0(x)`` in
    ``32/x - 2``, divided by ``sqrt(x)`` (0 at infinity, NaN for NaN)."""
    ax = abs(x)
    if ax <= 8.0:
        return chebyshev_series_scalar(0.5 * ax - 2.0, (
            -4.41534164647933937950e-18, 3.33079451882223809783e-17,
            -2.43127984654795469359e-16, 1.71539128555513303061e-15,
            -1.16853328779934516808e-14, 7.67618549860493561688e-14,
            -4.85644678311192946090e-13, 2.95505266312963983461e-12,
            -1.72682629144155570723e-11, 9.67580903537323691224e-11,
            -5.18979560163526290666e-10, 2.65982372468238665035e-9,
            -1.30002500998624804212e-8, 6.04699502254191894932e-8,
            -2.67079385394061173391e-7, 1.11738753912010371815e-6,
            -4.41673835845875056359e-6, 1.64484480707288970893e-5,
            -5.75419501008210370398e-5, 1.88502885095841655729e-4,
            -5.76375574538582365885e-4, 1.63947561694133579842e-3,
            -4.32430999505057594430e-3, 1.05464603945949983183e-2,
            -2.37374148058994688156e-2, 4.93052842396707084878e-2,
            -9.49010970480476444210e-2, 1.71620901522208775349e-1,
            -3.04682672343198398683e-1, 6.76795274409476084995e-1,
        ))
    return chebyshev_series_scalar(32.0 / ax - 2.0, (
        -7.23318048787475395456e-18, -4.83050448594418207126e-18,
        4.46562142029675999901e-17, 3.46122286769746109310e-17,
        -2.82762398051658348494e-16, -3.42548561967721913462e-16,
        1.77256013305652638360e-15, 3.81168066935262242075e-15,
        -9.55484669882830764870e-15, -4.15056934728722208663e-14,
        1.54008621752140982691e-14, 3.85277838274214270114e-13,
        7.18012445138366623367e-13, -1.79417853150680611778e-12,
        -1.32158118404477131188e-11, -3.14991652796324136454e-11,
        1.18891471078464383424e-11, 4.94060238822496958910e-10,
        3.39623202570838634515e-9, 2.26666899049817806459e-8,
        2.04891858946906374183e-7, 2.89137052083475648297e-6,
        6.88975834691682398426e-5, 3.36911647825569408990e-3,
        8.04490411014108831608e-1,
    )) / math.sqrt(ax)


def i1e_scalar(x: float) -> float:
    """``exp(-|x|) I1(x)`` as Cephes' ``i1e``: on ``|x| <= 8`` ``|x|`` times a 29-term
    Chebyshev series of ``exp(-x) I1(x) / x`` in ``x/2 - 2``; beyond, a 25-term series of
    ``exp(-x) sqrt(x) I1(x)`` in ``32/x - 2`` over ``sqrt(x)``; odd in ``x``."""
    z = abs(x)
    if z <= 8.0:
        r = z * chebyshev_series_scalar(0.5 * z - 2.0, (
            2.77791411276104639959e-18, -2.11142121435816608115e-17,
            1.55363195773620046921e-16, -1.10559694773538630805e-15,
            7.60068429473540693410e-15, -5.04218550472791168711e-14,
            3.22379336594557470981e-13, -1.98397439776494371520e-12,
            1.17361862988909016308e-11, -6.66348972350202774223e-11,
            3.62559028155211703701e-10, -1.88724975172282928790e-9,
            9.38153738649577178388e-9, -4.44505912879632808065e-8,
            2.00329475355213526229e-7, -8.56872026469545474066e-7,
            3.47025130813767847674e-6, -1.32731636560394358279e-5,
            4.78156510755005422638e-5, -1.61760815825896745588e-4,
            5.12285956168575772895e-4, -1.51357245063125314899e-3,
            4.15642294431288815669e-3, -1.05640848946261981558e-2,
            2.47264490306265168283e-2, -5.29459812080949914269e-2,
            1.02643658689847095384e-1, -1.76416518357834055153e-1,
            2.52587186443633654823e-1,
        ))
    else:
        r = chebyshev_series_scalar(32.0 / z - 2.0, (
            7.51729631084210481353e-18, 4.41434832307170791151e-18,
            -4.65030536848935832153e-17, -3.20952592199342395980e-17,
            2.96262899764595013876e-16, 3.30820231092092828324e-16,
            -1.88035477551078244854e-15, -3.81440307243700780478e-15,
            1.04202769841288027642e-14, 4.27244001671195135429e-14,
            -2.10154184277266431302e-14, -4.08355111109219731823e-13,
            -7.19855177624590851209e-13, 2.03562854414708950722e-12,
            1.41258074366137813316e-11, 3.25260358301548823856e-11,
            -1.89749581235054123450e-11, -5.58974346219658380687e-10,
            -3.83538038596423702205e-9, -2.63146884688951950684e-8,
            -2.51223623787020892529e-7, -3.88256480887769039346e-6,
            -1.10588938762623716291e-4, -9.76109749136146840777e-3,
            7.78576235018280120474e-1,
        )) / math.sqrt(z)
    return -r if x < 0.0 else r


i0e_p = _scipy_ufunc(
    "i0e", scalar="i0e_scalar({0})", helpers=(i0e_scalar, chebyshev_series_scalar)
)
i1e_p = _scipy_ufunc(
    "i1e", scalar="i1e_scalar({0})", helpers=(i1e_scalar, chebyshev_series_scalar)
)


def i0e(x: Any) -> Any:
    return i0e_p.bind(x)


def i1e(x: Any) -> Any:
    return i1e_p.bind(x)


def _i1e_over_x(ans: Any, x: Any) -> Any:
    # i1e(x) / x, whose limit at 0 is 1/2 (double where keeps the untaken branch finite)
    zero_x = equal(x, 0.0)
    return _where(zero_x, 0.5, divide(ans, _where(zero_x, 1.0, x)))


# i0e(x) = e^-|x| I0(x): d/dx = i1e(x) - sign(x) i0e(x)
defderiv(i0e_p, lambda ans, x: subtract(i1e(x), multiply(sign(x), ans)))
# i1e(x) = e^-|x| I1(x): d/dx = i0e(x) - sign(x) i1e(x) - i1e(x) / x
defderiv(
    i1e_p,
    lambda ans, x: subtract(subtract(i0e(x), multiply(sign(x), ans)), _i1e_over_x(ans, x)),
)


# --------------------------------------------------------------------------------------------
# sinc (NumPy's normalised sinc: sin(pi x) / (pi x)); not a ufunc, so its shape rule is by hand
# --------------------------------------------------------------------------------------------


def _sinc_abstract_eval(aval: ShapedArray) -> ShapedArray:
    dtype = np.result_type(dtype_for_promotion(aval), 1.0)
    if dtype.kind not in "fc":
        raise TypeError(f"sinc: expected a numeric input, got {aval}")
    return ShapedArray(aval.shape, dtype, aval.weak_type)


sinc_p = Primitive("sinc", np.sinc)
sinc_p.abstract_eval = _sinc_abstract_eval
sinc_p.templates["numpy"] = "np.sinc({0})"
sinc_p.templates["scalar"] = "np.sinc({0})"  # numba implements np.sinc
FORMULA_ONLY.append(sinc_p)

# Below this |x| the closed-form derivative loses digits to cancellation; use its Maclaurin series
# (|pi x| < 0.3: the 9 terms kept are exact to double precision, and it has all higher derivatives).
_SINC_SERIES_RADIUS = 0.1
_SINC_SERIES_TERMS = 9


def _sinc_deriv_series(x: Any) -> Any:
    # sinc'(x) = sum_{k>=1} (-1)^k pi^(2k) 2k x^(2k-1) / (2k+1)!, evaluated by Horner in x^2
    x2 = square(x)
    coeffs = [
        (-1.0) ** k * math.pi ** (2 * k) * 2 * k / math.factorial(2 * k + 1)
        for k in range(1, _SINC_SERIES_TERMS + 1)
    ]
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = add(multiply(acc, x2), c)
    return multiply(acc, x)


def _sinc_deriv(ans: Any, x: Any) -> Any:
    # sinc'(x) = (cos(pi x) - sinc(x)) / x, by its series near 0 (double where)
    near_zero = greater(_SINC_SERIES_RADIUS, multiply(x, sign(x)))
    safe_x = _where(near_zero, 1.0, x)
    closed = divide(subtract(cos(multiply(safe_x, math.pi)), sinc(safe_x)), safe_x)
    return _where(near_zero, _sinc_deriv_series(x), closed)


def sinc(x: Any) -> Any:
    return sinc_p.bind(x)


defderiv(sinc_p, _sinc_deriv)
sinc_p.batch = batch_elementwise(sinc_p)
