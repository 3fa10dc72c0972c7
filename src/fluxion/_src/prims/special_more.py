"""More special-function primitives: Bessel functions, zeta, exponential integrals, Lambert W,
Owen's T, Box-Cox transforms, binomial and Pochhammer symbols, Spence, sine/cosine and Fresnel
integrals, the Faddeeva function, relative entropies, Huber losses, hypergeometric functions.

Values come from ``scipy.special`` (each ``impl`` is the SciPy ufunc, or a one-line call of it);
every derivative is written with primitives, so it can be differentiated again. Where a
function's derivative in a parameter has no closed form and no method here (a third derivative
in a Bessel order) differentiating in it raises ``NotImplementedError`` naming the function
(:func:`forbid_derivative`), never a silent zero. The derivatives of ``zeta`` in its exponent
and of ``hyp1f1``/``hyp2f1`` in their parameters are primitives ``zeta_dx``,
``riemann_zeta_dx``, ``hyp1f1_dp``, ``hyp2f1_dp`` with a static derivative order, evaluated by
Euler-Maclaurin and by the hypergeometric series on truncated Taylor series
(``special_params``; 3e-13 relative at worst against mpmath); every order is available.
The first derivative in the order ``v`` of ``iv``, ``ive``, ``kv``, ``kve``, ``jv``, ``yv``
(real ``x``) is a primitive ``<kind>_dv`` evaluated by series and quadrature
(``special_order``; ~1e-10 relative against mpmath), the second a primitive ``<kind>_dvv``
(Richardson differences of the first, 6e-8 at worst).
Two-output SciPy ufuncs (``sici``, ``fresnel``) are two single-output primitives here.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np
import scipy.special as sc

from ..core import MissingRule, Primitive, ShapedArray, Zero
from .batch_rules import batch_elementwise
from .elementwise import (
    FORMULA_ONLY,
    abs_p,
    add,
    cos_p,
    defderiv,
    divide,
    elementwise,
    equal,
    exp,
    greater,
    less_equal_p,
    log,
    log1p_p,
    multiply,
    negative,
    power,
    real,
    sign,
    sin_p,
    sqrt,
    square,
    subtract,
    where_p,
)
from .special import (
    chebyshev_series_scalar,
    digamma,
    erf,
    hurwitz_zeta_positive_scalar,
    hurwitz_zeta_scalar,
    i0e_scalar,
    i1e_scalar,
    scipy_special_ufunc,
    sinc,
)
from .special_common import array_elementwise, real_float_dtype
from .special_order import bessel_dv_values, bessel_dvv_values
from .special_params import (
    hyp1f1_dp_values,
    hyp2f1_dp_values,
    riemann_zeta_dx_values,
    zeta_dx_values,
)

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _where(c: Any, x: Any, y: Any) -> Any:
    return where_p.bind(c, x, y)


def _abs(x: Any) -> Any:
    return abs_p.bind(x)


def _ufunc(name: str, scalar: str | None = None, helpers: tuple = ()) -> Primitive:
    """An elementwise primitive evaluated by the SciPy ufunc ``scipy.special.<name>``."""
    ufunc = scipy_special_ufunc(name)
    args = ", ".join(f"{{{i}}}" for i in range(ufunc.nin))
    return elementwise(
        name, ufunc, template=f"scipy.special.{name}({args})", scalar=scalar, helpers=helpers
    )


def _custom(name: str, impl: Any, resolve: Any, template: str) -> Primitive:
    """An elementwise primitive with a hand-written ``impl`` (a call of SciPy)."""
    return array_elementwise(name, impl, resolve, template)


def _output_part(ufunc: Any, index: int) -> Any:
    """``resolve`` for output ``index`` of a multi-output ufunc (sici, fresnel)."""

    def resolve(dtypes: tuple) -> Any:
        return ufunc.resolve_dtypes(dtypes + (None,) * ufunc.nout)[ufunc.nin + index]

    return resolve


def forbid_derivative(
    prim: Primitive, names: dict[int, str], why: str, label: str | None = None
) -> None:
    """Make differentiating ``prim`` in the arguments ``names`` (position -> name) an error that
    names the function (``label``, default the primitive's name) and says why, instead of a
    silent zero (call after :func:`defderiv`)."""
    jvp, vjp, parts = prim.jvp, prim.vjp, prim.vjp_parts
    positions = tuple(names)
    label = prim.name if label is None else label

    def error(i: int) -> NotImplementedError:
        return NotImplementedError(
            f"{label}: the derivative in {names[i]} is not implemented ({why}); hold {names[i]} "
            "fixed (pass it as a constant or through fluxion.stop_gradient)"
        )

    def jvp_checked(primals: Any, tangents: Any, **params: Any) -> Any:
        for i in positions:
            if type(tangents[i]) is not Zero:
                raise error(i)
        return jvp(primals, tangents, **params)

    def vjp_checked(g: Any, ans: Any, *args: Any, **params: Any) -> Any:
        cts = list(vjp(g, ans, *args, **params))
        for i in positions:
            cts[i] = MissingRule(prim.name, i)  # raises in the backward pass only if needed
        return tuple(cts)

    def raiser(i: int) -> Any:
        def part(g: Any, ans: Any, *args: Any, **params: Any) -> Any:
            raise error(i)

        return part

    prim.jvp = jvp_checked
    prim.vjp = vjp_checked
    if parts is not None:
        # the backward pass calls a part only for an argument being differentiated
        prim.vjp_parts = tuple(raiser(i) if i in positions else p for i, p in enumerate(parts))


def _over_x(num: Any, x: Any, limit: float) -> Any:
    # num / x, with the value ``limit`` at x == 0 (double where: the untaken branch stays finite)
    zero = equal(x, 0.0)
    return _where(zero, limit, divide(num, _where(zero, 1.0, x)))


# --------------------------------------------------------------------------------------------
# Bessel functions of integer order 0 and 1
# --------------------------------------------------------------------------------------------

# I0 = e^|x| i0e(x), I1 = e^|x| i1e(x) (i1e is odd, as I1): the scaled functions' Chebyshev
# series, as Cephes evaluates I0 and I1 themselves (inf beyond x ~ 713, NaN at +-inf, as SciPy)
i0_p = _ufunc(
    "i0", "np.exp(np.abs({0})) * i0e_scalar({0})", (i0e_scalar, chebyshev_series_scalar)
)
i1_p = _ufunc(
    "i1", "np.exp(np.abs({0})) * i1e_scalar({0})", (i1e_scalar, chebyshev_series_scalar)
)


def bessel_k01_scalar(x: float, order: int, scaled: int) -> float:
    """The modified Bessel function of the second kind ``K_order(x)`` (order 0 or 1), times
    ``e^x`` if ``scaled``: scipy.special.k0, k1, k0e, k1e on reals.

    On ``0 < x <= 1`` the series (DLMF 10.31.2, and 10.31.1 with n = 1)
    ``K0 = -(ln(x/2) + gamma) I0(x) + sum_k H_k (x^2/4)^k / k!^2`` and
    ``K1 = 1/x + (ln(x/2) + gamma) I1(x) - (x/4) sum_k (H_k + H_(k+1)) (x^2/4)^k / (k! (k+1)!)``
    (``H_k`` harmonic numbers; I0, I1 summed in the same loop). Beyond, the integral
    ``K_n(x) = int_0^inf e^(-x cosh t) cosh(n t) dt`` (DLMF 10.32.9) with ``sinh(t/2) =
    s / sqrt(2x)``: ``e^x K_n(x) = sqrt(2/x) int_0^inf e^(-s^2) (1 + s^2/x)^n
    (1 + s^2/(2x))^(-1/2) ds``, by the trapezoidal rule, which converges geometrically for an
    integrand analytic in a strip: the error is about ``e^(-pi^2/h^2)`` while ``pi/h`` is below
    the branch points ``s = +-i sqrt(2x)``, ``e^(2x - 2 pi sqrt(2x)/h)`` otherwise; the step h
    keeps it under ``e^-39`` (h = 0.217 at x = 1, 0.503 from x = 19.5 on; 13 to 30 nodes, up to
    s = 6.5). The unscaled value beyond the series is ``e^-x`` (in two halves) times the scaled
    one, so it underflows gradually as SciPy's does, to 0 from x = 745.
    Against 40-digit mpmath: 8.5e-16 relative at worst (x between 2 and 6), as SciPy's (1.1e-15).
    Edges as SciPy: inf at +-0, 0 at inf, NaN for x < 0, -inf and NaN. Deliberate differences
    (mpmath as judge): at subnormal x SciPy halves x before its logarithm (K0 4e-4 off at
    x = 1.5e-323, inf at 5e-324, K1(5e-324) NaN); here ``ln x - ln 2``: ``K0(5e-324) = 744.556``
    and ``K1(5e-324) = inf`` (``1/x`` overflows), likewise for the scaled ones.
    """
    if x != x or x < 0.0:
        return np.nan
    if x == 0.0:
        return np.inf
    if x <= 1.0:
        y = 0.25 * x * x
        t = 1.0  # (x^2/4)^k / k!^2
        harmonic = 0.0
        i0 = 1.0
        s0 = 0.0
        i1 = 1.0  # I1(x) / (x/2)
        s1 = 1.0
        for k in range(1, 30):
            t *= y / (k * k)
            harmonic += 1.0 / k
            u = t / (k + 1)
            i0 += t
            s0 += harmonic * t
            i1 += u
            s1 += (2.0 * harmonic + 1.0 / (k + 1)) * u
            if t < 1e-17:
                break
        log_term = math.log(x) - 0.6931471805599453 + 0.5772156649015329  # ln(x/2) + gamma
        if order == 0:
            value = s0 - log_term * i0
        else:
            value = 1.0 / x + 0.5 * x * (log_term * i1 - 0.5 * s1)
        return value * math.exp(x) if scaled else value
    if x > 750.0 and not scaled:
        return 0.0
    if x >= 19.5:
        h = 0.5030569246448981  # pi / sqrt(39)
    else:
        h = 2.0 * math.pi * math.sqrt(2.0 * x) / (2.0 * x + 39.0)
    total = 0.5
    for j in range(1, 31):
        s2 = (j * h) * (j * h)
        if s2 > 42.25:
            break
        weight = math.exp(-s2) / math.sqrt(1.0 + s2 / (2.0 * x))
        if order == 1:
            weight *= 1.0 + s2 / x
        total += weight
    value = math.sqrt(2.0 / x) * h * total
    if scaled:
        return value
    half = math.exp(-0.5 * x)
    return half * (half * value)


k0_p = _ufunc("k0", "bessel_k01_scalar({0}, 0, 0)", (bessel_k01_scalar,))
k1_p = _ufunc("k1", "bessel_k01_scalar({0}, 1, 0)", (bessel_k01_scalar,))
k0e_p = _ufunc("k0e", "bessel_k01_scalar({0}, 0, 1)", (bessel_k01_scalar,))
k1e_p = _ufunc("k1e", "bessel_k01_scalar({0}, 1, 1)", (bessel_k01_scalar,))

# J0, J1, Y0, Y1 (scipy.special.j0, j1, y0, y1): power series, Miller's backward recurrence
# normalized by Neumann sums, and Hankel's expansion in modulus/phase form with the phase
# reduced modulo pi/4 in double-double. tools/bessel_jy_constants.py derives the pi/4 split.


def bessel_jy01_hankel_scalar(x: float, order: int, second: int) -> float:
    """``J_order(x)`` (``second == 0``) or ``Y_order(x)`` (``second == 1``), order 0 or 1, for
    ``x >= 18`` by Hankel's expansion in modulus/phase form.

    Parameters
    ----------
    x : float
        The argument, at least 18 (finite).
    order : int
        0 or 1.
    second : int
        0 for J, 1 for Y.

    Returns
    -------
    float
        ``M cos(theta)`` for J, ``M sin(theta)`` for Y.

    Notes
    -----
    DLMF 10.17.3: ``J = sqrt(2/(pi x)) (P cos w - Q sin w)``,
    ``Y = sqrt(2/(pi x)) (P sin w + Q cos w)``, ``w = x - (2n + 1) pi/4``, with
    ``P ~ sum_k (-1)^k a_2k / x^2k``, ``Q ~ sum_k (-1)^k a_(2k+1) / x^(2k+1)`` and
    ``a_k = a_(k-1) (4n^2 - (2k - 1)^2) / (8k)`` (DLMF 10.17.1, exact rationals generated on the
    fly), summed until the terms fall below 1e-17 or start to grow (the least term is about
    ``e^-2x``: below 2e-16 for ``x >= 18``). In modulus/phase form (DLMF 10.18.3, 10.18.4)
    ``J = M cos(w + phi)``, ``Y = M sin(w + phi)`` with ``M = sqrt(2/(pi x)) sqrt(P^2 + Q^2)`` and
    ``phi = atan(Q/P)`` (``|phi| < 1/(8x)``). The phase: ``K`` the odd integer nearest ``4x/pi``,
    ``r = x - K pi/4`` (``|r| <= pi/4``) in double-double by pi/4 split into three 24-bit pieces and
    a double (exact products ``K C_i`` while ``K < 2^29``), then ``w + phi = t + m pi/2`` with
    ``t = r + phi`` and ``m = (K - 1)/2 - n``; the quadrant ``m mod 4`` picks ``+-cos t`` or
    ``+-sin t``. Near a zero of J or Y, ``t`` is small and its absolute error is that of ``phi``, a
    few ``eps/(8x)``, plus the series' truncation (1e-17 near x = 18): the error is far below
    ``eps M`` there (measured at the doubles nearest the zeros: 2e-17 M at worst; relative to the
    value itself 1e-2 near x = 18, 3e-6 at 3e3, 3e-11 at 3e5, 8e-16 at 3e7; Cephes' rounded
    ``x - pi/4`` gives SciPy 1.5e-9 M by x = 3e7). Beyond ``x = 2^28`` the products are no longer
    exact: ``cos(w + phi)`` comes from the correctly reduced ``math.cos(x)``, ``math.sin(x)`` and
    the angle ``phi - (2n + 1) pi/4``, accurate to about ``1e-16 M`` absolute (relative away from
    zeros), up to the largest double.
    """
    mu = 4.0 * order * order
    inverse = 1.0 / x
    p = 1.0
    q = 0.0
    u = 1.0  # a_k / x^k
    for k in range(1, 60):
        # a_k / a_(k-1) apart from u: the division stays off the chain of products
        ratio = (mu - (2.0 * k - 1.0) * (2.0 * k - 1.0)) / (8.0 * k)
        nxt = (u * ratio) * inverse
        if abs(nxt) >= abs(u):
            break
        u = nxt
        quarter = k % 4  # the signs (-1)^k of P's and Q's terms
        if quarter == 1:
            q += u
        elif quarter == 2:
            p -= u
        elif quarter == 3:
            q -= u
        else:
            p += u
        if abs(u) < 1e-17:
            break
    phi = math.atan(q / p)
    modulus = 0.7978845608028654 * math.sqrt(p * p + q * q) / math.sqrt(x)  # sqrt(2/pi) ...
    if x >= 268435456.0:  # 2^28
        # cos(x + alpha), sin(x + alpha) with alpha = phi - (2n + 1) pi/4
        alpha = phi - (0.7853981633974483 if order == 0 else 2.356194490192345)
        c = math.cos(x)
        s = math.sin(x)
        if second:
            return modulus * (s * math.cos(alpha) + c * math.sin(alpha))
        return modulus * (c * math.cos(alpha) - s * math.sin(alpha))
    half_turns = math.floor(x * 0.6366197723675814)  # x / (pi/2)
    odd = 2.0 * half_turns + 1.0  # K
    # r = x - K pi/4: x - K C1 is exact (Sterbenz), the next two differences keep their
    # rounding errors (Knuth's two-sum), the last product's rounding is below 1e-30
    a = x - odd * 0.7853981256484985
    piece = odd * 3.774894707930798e-08
    b = a - piece
    virtual = b - a
    low = (a - (b - virtual)) + (-piece - virtual)
    piece = odd * 2.6951512649788824e-15
    c = b - piece
    virtual = c - b
    low += (b - (c - virtual)) + (-piece - virtual)
    low -= odd * 1.6410017714367502e-22
    t = c + (low + phi)
    quadrant = (int(half_turns) - order + (3 if second else 0)) % 4  # Y: sin(v) = cos(v - pi/2)
    if quadrant == 0:
        return modulus * math.cos(t)
    if quadrant == 1:
        return -modulus * math.sin(t)
    if quadrant == 2:
        return -modulus * math.cos(t)
    return modulus * math.sin(t)


def bessel_jy01_scalar(x: float, order: int, second: int) -> float:
    """The Bessel functions of the first and second kind of order 0 and 1 on reals:
    scipy.special.j0, j1 (``second == 0``), y0, y1 (``second == 1``).

    Parameters
    ----------
    x : float
        The argument.
    order : int
        0 or 1.
    second : int
        0 for ``J_order(x)``, 1 for ``Y_order(x)``.

    Returns
    -------
    float
        The value; NaN for NaN, and for ``x < 0`` in Y.

    Notes
    -----
    ``J0`` is even and ``J1`` odd. Three methods by ``|x|``:

    - ``|x| <= 1``: the power series (DLMF 10.2.2) ``J0 = sum_k q^k / k!^2``, ``J1 = (x/2)
      sum_k q^k / (k! (k+1)!)``, ``q = -x^2/4``, and with the logarithm (DLMF 10.8.2, and 10.8.1
      with n = 1; ``H_k`` harmonic numbers, ``L = ln(x/2) + gamma``) ``Y0 = (2/pi) (L J0 -
      sum_k H_k q^k / k!^2)``, ``Y1 = -2/(pi x) + (2/pi) L J1 - (x/(2 pi)) sum_k (H_k +
      H_(k+1)) q^k / (k! (k+1)!)``.
    - ``1 < |x| < 18``: Miller's backward recurrence ``f_(k-1) = (2k/x) f_k - f_(k+1)``
      (DLMF 10.6.1) from ``f_(N+1) = 0``, ``f_N = 1``, ``N ~ x + 24 + 8 x^(1/3)`` (even),
      normalized by Neumann's sum ``1 = J0 + 2 sum_k J_2k`` (DLMF 10.12.4); then with the same
      ``f``, Neumann's expansions of Y (Abramowitz & Stegun 9.1.88, 9.1.89; checked against
      mpmath) ``Y0 = (2/pi) (L J0 - 2 sum_k (-1)^k J_2k / k)`` and ``Y1 = (2/pi) ((L - 1) J1 -
      J0/x - sum_k (-1)^k (2k+1) J_(2k+1) / (k (k+1)))``.
    - ``|x| >= 18``: Hankel's expansion, :func:`bessel_jy01_hankel_scalar`.

    Accuracy against 40-digit mpmath, as ``|error| / max(|f(x)|, sqrt(2/(pi max(x, 1))))``
    (relative away from the zeros, absolute in units of the envelope near them, where no method
    is relatively accurate without the zero itself): 1.3e-15 at worst, between x = 10 and 18 (the
    recurrence's rounding; 2,800 random points in [0, 40]), 9e-16 just above 18, below 4e-16
    from x = 40 up to the largest double; SciPy's on the same points: 3.6e-15 below x = 40,
    4e-13 by x = 1e4, 8e-9 by 2.7e8 and no digit right beyond x ~ 1e18 (its phase ``x - pi/4``
    is rounded to a double). Near the zeros: 1e-15 of the envelope at worst (x < 18), 2e-17
    beyond (:func:`bessel_jy01_hankel_scalar`).
    Edges: ``J0(+-0) = 1``, ``J1(+-0) = +-0``, ``Y(0) = -inf``, NaN for ``x < 0`` in Y, NaN for
    NaN, as SciPy; at ``+-inf`` the limit 0 (SciPy 1.17 returns NaN there, a deliberate
    difference).
    """
    if x != x:
        return x
    if second:
        if x < 0.0:
            return math.nan
        if x == 0.0:
            return -math.inf
    ax = abs(x)
    sign = -1.0 if (order == 1 and not second and x < 0.0) else 1.0  # J1 is odd
    if ax == math.inf:
        return sign * 0.0
    if ax >= 18.0:
        return sign * bessel_jy01_hankel_scalar(ax, order, second)
    if ax <= 1.0:
        q = -0.25 * ax * ax
        t0 = 1.0  # q^k / k!^2
        j0 = 1.0
        j1 = 1.0  # J1(x) / (x/2)
        harmonic = 0.0
        s0 = 0.0
        s1 = 1.0
        for k in range(1, 30):
            t0 *= q / (k * k)
            t1 = t0 / (k + 1)
            harmonic += 1.0 / k
            j0 += t0
            j1 += t1
            s0 += harmonic * t0
            s1 += (2.0 * harmonic + 1.0 / (k + 1)) * t1
            if abs(t0) < 1e-17:
                break
        if not second:
            return j0 if order == 0 else (0.5 * x) * j1  # J1(-0) = -0
        log_term = math.log(ax) - 0.11593151565841245  # ln(x/2) + gamma
        if order == 0:
            return 0.6366197723675814 * (log_term * j0 - s0)  # 2/pi ...
        return 0.6366197723675814 * (0.5 * ax * (log_term * j1 - 0.5 * s1) - 1.0 / ax)
    n = 2 * int(0.5 * ax + 12.0 + 4.0 * ax ** (1.0 / 3.0))
    f_above = 0.0  # f_(k+1)
    f = 1.0  # f_k
    norm = 0.0  # sum_(j>=1) f_2j
    s0 = 0.0  # sum_(j>=1) (-1)^j f_2j / j
    s1 = 0.0  # sum_(j>=1) (-1)^j (2j+1) f_(2j+1) / (j (j+1))
    for k in range(n, 0, -1):
        if k % 2 == 0:
            j = k // 2
            norm += f
            s0 += f / j if j % 2 == 0 else -f / j
        elif k >= 3:
            j = (k - 1) // 2
            term = k * f / (j * (j + 1.0))
            s1 += term if j % 2 == 0 else -term
        f_below = (2.0 * k / ax) * f - f_above
        f_above = f
        f = f_below
    norm = f + 2.0 * norm  # f = f_0, f_above = f_1
    j0 = f / norm
    j1 = f_above / norm
    if not second:
        return j0 if order == 0 else sign * j1
    log_term = math.log(ax) - 0.11593151565841245
    if order == 0:
        return 0.6366197723675814 * (log_term * j0 - 2.0 * s0 / norm)
    return 0.6366197723675814 * ((log_term - 1.0) * j1 - j0 / ax - s1 / norm)


_JY01 = (bessel_jy01_scalar, bessel_jy01_hankel_scalar)
j0_p = _ufunc("j0", "bessel_jy01_scalar({0}, 0, 0)", _JY01)
j1_p = _ufunc("j1", "bessel_jy01_scalar({0}, 1, 0)", _JY01)
y0_p = _ufunc("y0", "bessel_jy01_scalar({0}, 0, 1)", _JY01)
y1_p = _ufunc("y1", "bessel_jy01_scalar({0}, 1, 1)", _JY01)

defderiv(i0_p, lambda ans, x: i1_p.bind(x))  # I0' = I1
# I1' = I0 - I1 / x  (1/2 at 0)
defderiv(i1_p, lambda ans, x: subtract(i0_p.bind(x), _over_x(ans, x, 0.5)))
defderiv(k0_p, lambda ans, x: negative(k1_p.bind(x)))  # K0' = -K1
# K1' = -K0 - K1 / x
defderiv(k1_p, lambda ans, x: negative(add(k0_p.bind(x), divide(ans, x))))
# k0e = e^x K0: k0e' = k0e - k1e
defderiv(k0e_p, lambda ans, x: subtract(ans, k1e_p.bind(x)))
# k1e = e^x K1: k1e' = k1e - k0e - k1e / x
defderiv(k1e_p, lambda ans, x: subtract(subtract(ans, k0e_p.bind(x)), divide(ans, x)))
defderiv(j0_p, lambda ans, x: negative(j1_p.bind(x)))  # J0' = -J1
# J1' = J0 - J1 / x  (1/2 at 0)
defderiv(j1_p, lambda ans, x: subtract(j0_p.bind(x), _over_x(ans, x, 0.5)))
defderiv(y0_p, lambda ans, x: negative(y1_p.bind(x)))  # Y0' = -Y1
# Y1' = Y0 - Y1 / x
defderiv(y1_p, lambda ans, x: subtract(y0_p.bind(x), divide(ans, x)))

# --------------------------------------------------------------------------------------------
# Bessel functions of real order v (derivatives in x by the recurrences; in v numerically,
# by the series / integrals of ``special_order``)
# --------------------------------------------------------------------------------------------

def bessel_ik_positive_scalar(v: float, x: float, e: int, want: int) -> tuple:
    """``(I_v(x) e^(e x), K_v(x) e^(e x))`` for an order ``v >= 0`` and ``0 < x < inf``
    (``e`` in -1, 0, 1: the scaling; ``want``: 0 the I value only, 1 the K value only, 2 both;
    the unwanted one may come back as 0).

    Parameters
    ----------
    v : float
        The order, ``v >= 0`` (finite).
    x : float
        The argument, ``0 < x < inf``.
    e : int
        Both values come back times ``e^(e x)``.
    want : int
        Which values the caller needs (0: I, 1: K, 2: both).

    Returns
    -------
    tuple of float
        ``(I_v(x) e^(e x), K_v(x) e^(e x))``.

    Notes
    -----
    Four methods, by region:

    * ``v >= 50``: the uniform asymptotic expansions (DLMF 10.41.3-4), ``U_0 .. U_9`` (DLMF
      10.41.9; ``tools/bessel_ik_coefficients.py``); the first term left out is below
      ``1.3e-17`` relative (``max |U_10| = 1.24``). The exponent ``v eta(x/v)`` is
      ``sqrt(v^2 + x^2) - v asinh(v/x)``, and ``v eta - x = v^2 / (sqrt(v^2 + x^2) + x) -
      v asinh(v/x)`` without cancellation.
    * ``x > max(v^2, 30)``: Hankel's expansions (DLMF 10.40.1-2), ``e^-x I_v`` and ``e^x K_v``
      (the exponentially small part of ``I_v`` is below ``e^-60`` relative).
    * ``x <= 2``: ``I_v`` by its power series (DLMF 10.25.2, positive terms); ``K_mu``,
      ``K_(mu+1)`` (``mu = v - round(v)`` in ``[-1/2, 1/2)``) by Temme's series (Temme 1975,
      with ``1/Gamma(1 +- mu)`` from their Taylor series), then ``K_v`` by the forward
      recurrence ``K_(w+1) = K_(w-1) + (2 w / x) K_w`` (DLMF 10.29.1; stable upwards).
    * else (``2 < x <= max(v^2, 30)``, ``v < 50``): ``e^x K_mu`` and ``e^x K_(mu+1)`` by
      Steed's evaluation of the continued fraction CF2 (Temme 1975; Thompson & Barnett 1987),
      the forward recurrence to ``e^x K_v``, ``e^x K_(v+1)``; the ratio ``I_(v+1) / I_v`` by
      the continued fraction CF1 (from DLMF 10.29.1; modified Lentz, about ``6 sqrt(x)``
      terms) and ``I_v`` from the Wronskian ``I_v K_(v+1) + I_(v+1) K_v = 1/x`` (DLMF
      10.28.2).

    Every loop is bounded (60, 40, 50, 200 and 1000 iterations at most).
    """
    if v >= 50.0:
        h = math.hypot(v, x)
        p = v / h
        p2 = p * p
        u = (
            1.0, 0.125, -0.20833333333333334, 0.0703125, -0.4010416666666667,
            0.3342013888888889, 0.0732421875, -0.8912109375, 1.8464626736111112,
            -1.0258125964506173, 0.112152099609375, -2.3640869140625, 8.78912353515625,
            -11.207002616222994, 4.669584423426247, 0.22710800170898438, -7.368794359479632,
            42.53499874538846, -91.81824154324002, 84.63621767460073, -28.212072558200244,
            0.5725014209747314, -26.491430486951554, 218.1905117442116, -699.5796273761325,
            1059.9904525279999, -765.2524681411817, 212.57013003921713, 1.7277275025844574,
            -108.09091978839466, 1200.9029132163525, -5305.646978613403, 11655.393336864534,
            -13586.550006434138, 8061.722181737309, -1919.457662318407, 6.074042001273483,
            -493.915304773088, 7109.514302489364, -41192.65496889755, 122200.46498301746,
            -203400.17728041555, 192547.00123253153, -96980.59838863752, 20204.29133096615,
            24.380529699556064, -2499.8304818112097, 45218.76898136273, -331645.1724845636,
            1268365.2733216248, -2813563.226586534, 3763271.297656404, -2998015.9185381066,
            1311763.6146629772, -242919.18790055133,
        )
        sum_i = 0.0
        sum_k = 0.0
        power = 1.0  # (p / v)^k
        start = 0
        for k in range(10):
            uk = 0.0  # U_k(p) / p^k, Horner in p^2
            for j in range(k, -1, -1):
                uk = uk * p2 + u[start + j]
            start += k + 1
            term = uk * power
            sum_i += term
            sum_k += term if k % 2 == 0 else -term
            power *= p / v
        a = v * math.asinh(v / x)
        if e == -1:
            expo_i = v * (v / (h + x)) - a
            expo_k = a - h - x
        elif e == 1:
            expo_i = h - a + x
            expo_k = a - v * (v / (h + x))
        else:
            expo_i = h - a
            expo_k = a - h
        half_i = math.exp(0.5 * expo_i)  # in halves: no spurious overflow or underflow
        half_k = math.exp(0.5 * expo_k)
        value_i = (sum_i / math.sqrt(2.0 * math.pi * h) * half_i) * half_i
        value_k = (sum_k * math.sqrt(0.5 * math.pi / h) * half_k) * half_k
        return value_i, value_k
    if x > max(v * v, 30.0):
        w = 4.0 * v * v
        term = 1.0
        sum_i = 1.0
        sum_k = 1.0
        for k in range(1, 60):
            term *= (w - (2.0 * k - 1.0) ** 2) / (8.0 * k * x)
            sum_k += term
            sum_i += -term if k % 2 == 1 else term
            if abs(term) < 1e-17:
                break
        ive = sum_i / math.sqrt(2.0 * math.pi * x)
        kve = sum_k * math.sqrt(0.5 * math.pi / x)
    else:
        n = int(v + 0.5)
        mu = v - n
        if x <= 2.0:
            value_i = 0.0
            value_k = 0.0
            if want != 1:
                y = 0.25 * x * x
                term = 1.0
                total = 1.0
                for k in range(1, 40):
                    term *= y / (k * (v + k))
                    total += term
                    if term < 1e-17 * total:
                        break
                if x > 1e-300:
                    lead = math.pow(0.5 * x, v)
                else:
                    lead = math.pow(x, v) * math.pow(0.5, v)  # 0.5 x may round to 0
                value_i = lead / math.gamma(v + 1.0) * total * math.exp(e * x)
            if want != 0:
                # Taylor coefficients of 1/Gamma(1 + mu) (tools/bessel_ik_coefficients.py)
                g = (
                    1.0, 0.5772156649015329, -0.6558780715202539, -0.04200263503409524,
                    0.16653861138229148, -0.04219773455554433, -0.009621971527876973,
                    0.0072189432466631, -0.0011651675918590652, -0.00021524167411495098,
                    0.0001280502823881162, -2.013485478078824e-05, -1.2504934821426706e-06,
                    1.133027231981696e-06, -2.056338416977607e-07, 6.116095104481416e-09,
                    5.002007644469223e-09, -1.18127457048702e-09, 1.0434267116911005e-10,
                    7.782263439905071e-12, -3.696805618642206e-12, 5.100370287454476e-13,
                )
                m2 = mu * mu
                even = 0.0
                odd = 0.0
                for j in range(10, -1, -1):
                    even = even * m2 + g[2 * j]
                    odd = odd * m2 + g[2 * j + 1]
                # Temme's Gamma_1 = (1/Gamma(1-mu) - 1/Gamma(1+mu)) / (2 mu) = -odd,
                # Gamma_2 = (1/Gamma(1-mu) + 1/Gamma(1+mu)) / 2 = even
                log_2x = 0.6931471805599453 - math.log(x)  # ln(2/x)
                sigma = mu * log_2x
                if x > 1e-300:  # (x/2)^-mu, by pow: exp(sigma) would err by |sigma| eps
                    grow = math.pow(0.5 * x, -mu)
                else:
                    grow = math.pow(x, -mu) * math.pow(0.5, -mu)
                # f_0 = (mu pi / sin(mu pi)) (Gamma_1 cosh(sigma) + Gamma_2 sinh(sigma) / mu)
                if abs(sigma) < 1.0:
                    sinh_mu = log_2x if sigma == 0.0 else math.sinh(sigma) / sigma * log_2x
                else:
                    sinh_mu = 0.5 * (grow - 1.0 / grow) / mu
                fac = 1.0 if mu == 0.0 else math.pi * mu / math.sin(math.pi * mu)
                f = fac * (-odd * 0.5 * (grow + 1.0 / grow) + even * sinh_mu)
                pk = 0.5 * grow / (even + mu * odd)  # (x/2)^-mu Gamma(1+mu) / 2
                qk = 0.5 / (grow * (even - mu * odd))  # (x/2)^mu Gamma(1-mu) / 2
                ck = 1.0  # (x^2/4)^k / k!
                y = 0.25 * x * x
                sum0 = f
                sum1 = pk
                for k in range(1, 40):
                    f = (k * f + pk + qk) / (k * k - m2)
                    pk /= k - mu
                    qk /= k + mu
                    ck *= y / k
                    d0 = ck * f
                    d1 = ck * (pk - k * f)
                    sum0 += d0
                    sum1 += d1
                    if abs(d0) < 1e-17 * abs(sum0) and abs(d1) < 1e-17 * abs(sum1):
                        break
                k_lo = sum0  # K_mu
                k_hi = 2.0 * sum1 / x  # K_(mu+1)
                for j in range(n):
                    k_next = k_lo + (2.0 * (mu + 1.0 + j) / x) * k_hi
                    k_lo = k_hi
                    k_hi = k_next
                value_k = k_lo * math.exp(e * x)
            return value_i, value_k
        # CF2 by Steed's algorithm: K_(mu+1)/K_mu and the normalization of e^x K_mu
        a1 = 0.25 - mu * mu
        b = 2.0 * (1.0 + x)
        d = 1.0 / b
        step = d
        hsum = d
        q_prev = 0.0
        q_cur = 1.0
        c = a1
        q = a1
        a = -a1
        s = 1.0 + q * step
        for i in range(2, 200):
            a -= 2.0 * (i - 1)
            c = -a * c / i
            q_next = (q_prev - b * q_cur) / a
            q_prev = q_cur
            q_cur = q_next
            q += c * q_next
            b += 2.0
            d = 1.0 / (b + a * d)
            step = (b * d - 1.0) * step
            hsum += step
            ds = q * step
            s += ds
            if abs(ds) < 1e-17 * abs(s):
                break
        k_lo = math.sqrt(0.5 * math.pi / x) / s  # e^x K_mu
        k_hi = k_lo * (mu + x + 0.5 - a1 * hsum) / x  # e^x K_(mu+1)
        for j in range(n):
            k_next = k_lo + (2.0 * (mu + 1.0 + j) / x) * k_hi
            k_lo = k_hi
            k_hi = k_next
        kve = k_lo
        ive = 0.0
        if want != 1:
            # CF1: I_(v+1)/I_v = 1/(2(v+1)/x + 1/(2(v+2)/x + ...)), modified Lentz
            ratio = 1e-300
            cl = ratio
            dl = 0.0
            for k in range(1, 1000):
                bk = 2.0 * (v + k) / x
                dl = bk + dl
                dl = 1.0 / (dl if dl != 0.0 else 1e-300)
                cl = bk + 1.0 / cl
                if cl == 0.0:
                    cl = 1e-300
                delta = cl * dl
                ratio *= delta
                if abs(delta - 1.0) < 1e-16:
                    break
            ive = 1.0 / (x * (k_hi + ratio * k_lo))  # the Wronskian, scaled
    value_i = 0.0
    if want != 1:
        up = math.exp(0.5 * (e + 1) * x)  # I_v e^(e x) = (e^-x I_v) e^((e+1) x), in halves
        value_i = (ive * up) * up
    down = math.exp(0.5 * (e - 1) * x)
    return value_i, (kve * down) * down


def bessel_ik_scalar(v: float, x: float, kind: int, scaled: int) -> float:
    """The modified Bessel functions of real order and argument: ``scipy.special.iv``
    (``kind = 0``), ``ive`` (0, ``scaled = 1``: times ``e^-|x|``), ``kv`` (1) and ``kve``
    (1, scaled: times ``e^x``).

    Parameters
    ----------
    v : float
        The order (any real).
    x : float
        The argument (real).
    kind : int
        0 for ``I_v``, 1 for ``K_v``.
    scaled : int
        1 for the exponentially scaled function.

    Returns
    -------
    float
        The value; NaN where SciPy's is NaN.

    Notes
    -----
    ``bessel_ik_positive_scalar`` evaluates ``|v|`` at ``|x|``; ``K_-v = K_v`` (DLMF
    10.27.3), ``I_-v = I_v + (2/pi) sin(v pi) K_v`` (DLMF 10.27.2, with an exact
    ``sin(v pi)``: 0 at integers), ``I_n(-x) = (-1)^n I_n(x)`` for integer ``n`` (DLMF
    10.27.1, 10.25.2). Edges as SciPy: NaN for ``x < 0`` (``I_v`` of a non-integer ``v``;
    ``K_v``), ``I_v(0)`` 1 at ``v = 0``, 0 for ``v > 0`` or an integer ``v``, ``inf`` (NaN
    scaled) for other ``v < 0``; ``K_v(0) = inf``; at ``x = +-inf`` ``I`` and ``ive`` are NaN,
    ``kv`` 0 and ``kve`` NaN; at an infinite order ``iv`` 0 and the others NaN (``kv(+-inf,
    0) = inf``, and ``kv(nan, 0) = inf``). Accuracy against 40-digit mpmath
    (``tools/bessel_ik_accuracy.py``, ``tests/test_bessel_ik_compiled.py``): 3.3e-15 relative
    for ``|v| < 50`` (more near the zeros of ``I_-v``, from the cancellation in 10.27.2),
    up to 1.7e-13 for ``|v| >= 50``, the rounding of the exponent ``v eta`` (as SciPy's).
    Deliberate differences (mpmath as judge): at subnormal ``x`` SciPy's ``iv`` is NaN and
    its ``kv``, ``kve`` inf (``kv(0, 5e-324) = 744.556``; ``ive(1, 1e-310) = 5e-311``, SciPy
    0); for orders far beyond the argument (``v = 1e10``, ``x = 1``) SciPy gives NaN, here
    ``kv = inf`` and ``ive = 0``; for huge ``x`` (``ive(0.5, 1e300)``, ``kve``) SciPy gives
    NaN, here Hankel's expansion; SciPy's ``kv`` underflows to 0 early (``kv(0, 700)``) and
    overflows early (``kv(150.5, 1) = 1.3e307``, ``iv(100, 720)``): here the values; where
    ``I_v`` of a negative non-integer order overflows SciPy's ``ive`` is NaN, here +-inf.
    """
    if x != x:
        return x
    av = abs(v)
    if kind == 1:
        if x == 0.0:
            return math.inf  # (also for a NaN order, as SciPy)
        if v != v or x < 0.0 or av == math.inf:
            return math.nan
        if x == math.inf:
            return math.nan if scaled else 0.0
        return bessel_ik_positive_scalar(av, x, 1 if scaled else 0, 1)[1]
    if v != v or abs(x) == math.inf:
        return math.nan
    if av == math.inf:
        return math.nan if scaled else 0.0
    integer = av == math.floor(av)
    if x < 0.0 and not integer:
        return math.nan
    if x == 0.0:
        if v == 0.0:
            return 1.0
        if v > 0.0 or integer:
            return 0.0
        return math.nan if scaled else math.inf
    ax = abs(x)
    want = 0 if (v >= 0.0 or integer) else 2
    value, k_value = bessel_ik_positive_scalar(av, ax, -1 if scaled else 0, want)
    if want == 2:
        r = av % 2.0  # sin(pi v) exactly reduced
        sign = 1.0
        if r >= 1.0:
            r -= 1.0
            sign = -1.0
        value += (2.0 / math.pi) * (sign * math.sin(math.pi * min(r, 1.0 - r))) * k_value
    if x < 0.0 and av % 2.0 == 1.0:
        return -value
    return value


_BESSEL_IK = (bessel_ik_scalar, bessel_ik_positive_scalar)
iv_p = _ufunc("iv", "bessel_ik_scalar({0}, {1}, 0, 0)", _BESSEL_IK)
ive_p = _ufunc("ive", "bessel_ik_scalar({0}, {1}, 0, 1)", _BESSEL_IK)
kv_p = _ufunc("kv", "bessel_ik_scalar({0}, {1}, 1, 0)", _BESSEL_IK)
kve_p = _ufunc("kve", "bessel_ik_scalar({0}, {1}, 1, 1)", _BESSEL_IK)
jv_p = _ufunc("jv")
yv_p = _ufunc("yv")


def _neighbours(prim: Primitive, v: Any, x: Any) -> tuple[Any, Any]:
    # (f_{v-1}(x), f_{v+1}(x))
    return prim.bind(subtract(v, 1.0), x), prim.bind(add(v, 1.0), x)


def _half_sum(prim: Primitive, v: Any, x: Any) -> Any:
    lo, hi = _neighbours(prim, v, x)
    return multiply(add(lo, hi), 0.5)


def _half_difference(prim: Primitive, v: Any, x: Any) -> Any:
    lo, hi = _neighbours(prim, v, x)
    return multiply(subtract(lo, hi), 0.5)


def _sign_of_real(x: Any) -> Any:
    # sign(Re x): ive scales by e^-|Re x| (holomorphic in each half plane)
    if np.dtype(x.dtype).kind == "c":
        return sign(real(x))
    return sign(x)


# The x-derivatives by the recurrences; they hold for the v-derivatives as well (d/dv and d/dx
# commute), so each v-derivative primitive <kind>_dv below is differentiable in x the same way.
_X_DERIVATIVE = {
    # I_v' = (I_{v-1} + I_{v+1}) / 2
    "iv": lambda prim, ans, v, x: _half_sum(prim, v, x),
    # ive = e^-|x| I_v: ive' = (ive_{v-1} + ive_{v+1}) / 2 - sign(x) ive
    "ive": lambda prim, ans, v, x: subtract(
        _half_sum(prim, v, x), multiply(_sign_of_real(x), ans)
    ),
    # K_v' = -(K_{v-1} + K_{v+1}) / 2
    "kv": lambda prim, ans, v, x: negative(_half_sum(prim, v, x)),
    # kve = e^x K_v: kve' = kve - (kve_{v-1} + kve_{v+1}) / 2
    "kve": lambda prim, ans, v, x: subtract(ans, _half_sum(prim, v, x)),
    # J_v' = (J_{v-1} - J_{v+1}) / 2, and the same for Y_v
    "jv": lambda prim, ans, v, x: _half_difference(prim, v, x),
    "yv": lambda prim, ans, v, x: _half_difference(prim, v, x),
}


def _kv_x_derivative(prim: Primitive, ans: Any, v: Any, x: Any) -> Any:
    # K_v = K_|v| (DLMF 10.27.3), K_v' = -K_(|v|-1) - (|v| / x) K_v (DLMF 10.29.2): one more
    # evaluation instead of the half sum's two, and both terms have one sign (no cancellation).
    # Not for the v-derivative primitives: the coefficient |v| / x depends on v.
    order = abs_p.bind(v)
    return negative(add(prim.bind(subtract(order, 1.0), x), multiply(divide(order, x), ans)))


def _kve_x_derivative(prim: Primitive, ans: Any, v: Any, x: Any) -> Any:
    # kve = e^x K_v: kve' = kve - kve_(|v|-1) - (|v| / x) kve (as _kv_x_derivative)
    order = abs_p.bind(v)
    lower = prim.bind(subtract(order, 1.0), x)
    return subtract(subtract(ans, lower), multiply(divide(order, x), ans))


# the x-derivatives of kv and kve themselves (the v-derivative primitives keep the half sums)
_X_DERIVATIVE_OF_VALUE = {**_X_DERIVATIVE, "kv": _kv_x_derivative, "kve": _kve_x_derivative}


def _order_derivative_primitive(kind: str, order: int) -> Primitive:
    """``d/dv`` (order 1) or ``d2/dv2`` (order 2) of ``scipy.special.<kind>(v, x)`` for real v
    and x (``special_order``)."""
    values = bessel_dv_values if order == 1 else bessel_dvv_values
    return array_elementwise(
        f"{kind}_d{'v' * order}",
        lambda v, x: values(kind, v, x),
        real_float_dtype(2),
        cast=True,
    )


def _order_rule(kind: str, dv_prim: Primitive) -> Any:
    def deriv(ans: Any, v: Any, x: Any) -> Any:
        dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
        if np.dtype(dtype).kind == "c":
            raise NotImplementedError(
                f"{kind}: the derivative in the order v is implemented for real x only (got "
                f"complex x); hold v fixed (pass it as a constant or through "
                "fluxion.stop_gradient)"
            )
        return dv_prim.bind(v, x)

    return deriv


_ORDER_DV = {}
_ORDER_DVV = {}
for _prim in (iv_p, ive_p, kv_p, kve_p, jv_p, yv_p):
    _kind = _prim.name
    _dv = _order_derivative_primitive(_kind, 1)
    _dvv = _order_derivative_primitive(_kind, 2)
    _ORDER_DV[_kind], _ORDER_DVV[_kind] = _dv, _dvv
    defderiv(_prim, _order_rule(_kind, _dv),
             functools.partial(_X_DERIVATIVE_OF_VALUE[_kind], _prim))
    # the v-derivatives: differentiable in x by the same recurrences (d/dv and d/dx commute)
    defderiv(_dv, lambda ans, v, x, _dvv=_dvv: _dvv.bind(v, x),
             functools.partial(_X_DERIVATIVE[_kind], _dv))
    defderiv(_dvv, None, functools.partial(_X_DERIVATIVE[_kind], _dvv))
    forbid_derivative(
        _dvv, {0: "the order v"}, "first and second derivatives in the order are implemented",
        label=f"{_kind} (third derivative in the order v)",
    )
iv_dv_p, ive_dv_p, kv_dv_p, kve_dv_p, jv_dv_p, yv_dv_p = _ORDER_DV.values()
iv_dvv_p, ive_dvv_p, kv_dvv_p, kve_dvv_p, jv_dvv_p, yv_dvv_p = _ORDER_DVV.values()

# --------------------------------------------------------------------------------------------
# Zeta functions
# --------------------------------------------------------------------------------------------


def _real_float(name: str) -> Any:
    def resolve(dtypes: tuple) -> Any:
        for d in dtypes:
            if np.dtype(d).kind not in "biuf":
                raise TypeError(f"{name} takes real inputs")
        return np.result_type(*dtypes, np.float64)

    return resolve


# --- Hurwitz and Riemann zeta: scalar formulas (the Hurwitz helpers are in prims/special.py,
# beside polygamma; coefficients: tools/zeta_coefficients.py) ---------------------------------


def riemann_zeta_scalar(x: float) -> float:
    """``scipy.special.zeta(x)``, the Riemann zeta function, with SciPy's conventions.

    Parameters
    ----------
    x : float
        The argument.

    Returns
    -------
    float
        ``zeta(x)``: inf at 1, 1 at inf, NaN at -inf and NaN, 0 at the negative even integers,
        overflowing to ``+-inf`` below about -260 (as SciPy).

    Notes
    -----
    ``x > 1``: ``hurwitz_zeta_positive_scalar(x, 1)`` (Euler-Maclaurin). ``-1 <= x < 1``:
    the Laurent expansion about the pole, ``zeta(x) = 1/(x - 1) + sum_n (-1)^n gamma_n/n!
    (x - 1)^n`` (DLMF 25.2.4; Stieltjes constants ``gamma_n``, 24 terms: truncation below
    5e-20 for ``|x - 1| <= 2``). ``x < -1``: the functional equation ``zeta(x) = 2 (2 pi)^(x-1)
    sin(pi x / 2) Gamma(1 - x) zeta(1 - x)`` (DLMF 25.4.2) with ``sin`` of the argument reduced
    mod 4 exactly, ``fl(2 pi)^p`` corrected by ``1 - p delta`` (``delta`` the relative error of
    ``fl(2 pi)``), and below ``x = -169`` ``Gamma(1 - x)`` split by the duplication formula
    (DLMF 5.5.5) so that nothing overflows before the result does. Against 40-digit mpmath:
    about 1e-15 relative on ``x > -1``, a few 1e-15 on ``-260 < x < -1`` (see
    ``tests/test_zeta_polygamma_compiled.py``).
    """
    if x != x:
        return x
    if x >= 1.0:
        if x == 1.0:
            return np.inf
        if x == np.inf:
            return 1.0
        return hurwitz_zeta_positive_scalar(x, 1.0)
    if x >= -1.0:
        u = x - 1.0
        series = 0.0
        # (-1)^n gamma_n / n!, n = 23 ... 0
        for c in (4.8118570515125666e-26, -4.818498501107353e-25, -2.0441543122262165e-24,
                  1.9168201593991233e-22, -4.139956737713306e-21, 4.800850782488065e-20,
                  -7.387676660538637e-20, -9.544466076366965e-18, 2.1677312200726828e-16,
                  -2.3997862217709992e-15, 4.4104247417577536e-15, 3.4921159366720317e-13,
                  -6.768689863513697e-12, 5.658421927608708e-11, 9.47827778276236e-11,
                  -8.733218100273798e-09, 1.0462094584479188e-07, -3.316240908752772e-07,
                  -6.6110318108421895e-06, 9.689041939447084e-05, -0.00034230573671722433,
                  -0.00484518159643616, 0.07281584548367673, 0.5772156649015329):
            series = series * u + c
        return 1.0 / u + series
    if x == -np.inf:
        return np.nan
    v = -x
    r = v - 4.0 * np.floor(0.25 * v)  # sin(pi x / 2) = -sin(pi r / 2), r = -x mod 4 (exact)
    sign = -1.0
    if r >= 2.0:
        r -= 2.0
        sign = 1.0
    if r > 1.0:
        r = 2.0 - r
    if r == 0.0:
        return 0.0  # the trivial zeros
    s = sign * math.sin(0.5 * math.pi * r)
    y = 1.0 + v
    ey = 1.0 - (y - v)  # 1 - x = y + ey exactly (Fast2Sum): Gamma(y) is ill-conditioned
    z = hurwitz_zeta_positive_scalar(y, 1.0)
    delta = 3.8981718325193755e-17  # (2 pi - fl(2 pi)) / fl(2 pi)
    log_2pi = 1.8378770664093453
    if y <= 170.0:
        # first-order corrections: psi(y) ~ ln y - 1/(2y) for ey's, -y delta for fl(2 pi)
        fix = 1.0 + ey * (math.log(y) - 0.5 / y - log_2pi) - y * delta
        return 2.0 * s * z * (math.gamma(y) * math.pow(6.283185307179586, -y) * fix)
    if y > 340.0:
        return math.copysign(np.inf, s)  # |zeta(x)| > 1e400 (Gamma(y/2) would overflow)
    # Gamma(y) = Gamma(h) Gamma(h + 1/2) 2^(y-1) / sqrt(pi), h = y/2 (DLMF 5.5.5)
    h = 0.5 * y
    w = h + 0.5
    ew = 0.5 - (w - h) + 0.5 * ey  # h + 1/2 + ey/2 = w + ew
    fix = (1.0 + 0.5 * ey * (math.log(h) - 0.5 / h) + ew * (math.log(w) - 0.5 / w)
           + ey * (0.6931471805599453 - log_2pi) - y * delta)
    scale = math.pow(6.283185307179586, -h)
    f = (math.gamma(h) * scale) * (math.gamma(w) * scale) * fix
    e = np.floor(y - 1.0)
    half = np.floor(0.5 * e)  # 2^e as two exact powers of two (overflowing to inf, no error)
    value = 2.0 * s * z * f * math.pow(2.0, y - 1.0 - e) / 1.7724538509055159
    return value * math.pow(2.0, half) * math.pow(2.0, e - half)


def hurwitz_zeta_dx_scalar(x: float, q: float) -> float:
    """``d/dx zeta(x, q) = -sum_k ln(k + q) (k + q)^-x``, the first derivative of the Hurwitz
    zeta function in its exponent, for ``1 < x < inf`` and ``0 < q < inf`` (NaN elsewhere, as
    the eager ``zeta_dx_values``).

    Parameters
    ----------
    x : float
        The exponent.
    q : float
        The shift.

    Returns
    -------
    float
        ``d/dx zeta(x, q)``.

    Notes
    -----
    The Euler-Maclaurin sum of :func:`hurwitz_zeta_positive_scalar` differentiated term by
    term: ``-ln(a) a^-x`` for the direct terms (stopping once the tail bound ``a^-x (ln a
    (1 + a/(x-1)) + a/(x-1)^2)`` is below ``1.4e-17`` of the sum of their magnitudes),
    ``-a^(1-x)/(x-1) (ln a + 1/(x-1)) - ln(a) a^-x / 2`` and each Bernoulli term times
    ``sum_{i<2j-1} 1/(x+i) - ln a``. Against 40-digit mpmath: about 1e-15 relative (relative
    to the sum of the magnitudes of the terms where ``q < 1`` and the derivative nears 0).
    """
    if not (x > 1.0 and q > 0.0) or x == np.inf or q == np.inf:
        return np.nan
    if q < 1.0 and -x * math.log(q) > 709.79:
        return np.inf  # q^-x overflows
    edge = max(10.0, 2.0 * x)
    s = 0.0
    size = 0.0
    a = q
    while a < edge:
        t = math.pow(a, -x)
        la = math.log(a)
        s -= la * t
        size += abs(la) * t
        a += 1.0
        if t * (math.log(a) * (1.0 + a / (x - 1.0)) + a / ((x - 1.0) * (x - 1.0))) <= (
            1.4e-17 * size
        ):
            return s
    la = math.log(a)
    p = math.pow(a, 1.0 - x)
    w = p / a
    s -= p / (x - 1.0) * (la + 1.0 / (x - 1.0)) + 0.5 * la * w
    f = w * x / a  # (x)_(2j-1) a^(-x-2j+1) at j = 1
    h = 1.0 / x  # sum_{i<2j-1} 1/(x + i) at j = 1
    k = x
    # B_2j / (2j)!, j = 1 ... 15 (as in hurwitz_zeta_positive_scalar)
    for c in (0.08333333333333333, -0.001388888888888889, 3.306878306878307e-05,
              -8.267195767195768e-07, 2.08767569878681e-08, -5.284190138687493e-10,
              1.3382536530684679e-11, -3.3896802963225827e-13, 8.586062056277845e-15,
              -2.174868698558062e-16, 5.5090028283602295e-18, -1.3954464685812522e-19,
              3.534707039629467e-21, -8.953517427037546e-23, 2.267952452337683e-24):
        t = c * f * (h - la)
        s += t
        if abs(t) <= 1.4e-17 * abs(s):
            break
        f *= (k + 1.0) / a * ((k + 2.0) / a)
        h += 1.0 / (k + 1.0) + 1.0 / (k + 2.0)
        k += 2.0
    return s


# Hurwitz zeta(x, q) = sum_k (k + q)^-x
zeta_p = _custom(
    "zeta", lambda x, q: sc.zeta(x, q), _real_float("zeta"), "scipy.special.zeta({0}, {1})"
)
# Riemann zeta(x) (analytic continuation below 1)
riemann_zeta_p = _custom(
    "riemann_zeta", lambda x: sc.zeta(x), _real_float("zeta"), "scipy.special.zeta({0})"
)
# compiled (tier 1, fused loops, the tape machine): the scalar formulas above
zeta_p.templates["scalar"] = "hurwitz_zeta_scalar({0}, {1})"
zeta_p.templates["scalar_helpers"] = (hurwitz_zeta_scalar, hurwitz_zeta_positive_scalar)
riemann_zeta_p.templates["scalar"] = "riemann_zeta_scalar({0})"
riemann_zeta_p.templates["scalar_helpers"] = (riemann_zeta_scalar, hurwitz_zeta_positive_scalar)
FORMULA_ONLY.extend((zeta_p, riemann_zeta_p))


def zeta(x: Any, q: Any) -> Any:
    return zeta_p.bind(x, q)


def _check_order(name: str, order: Any) -> None:
    if not isinstance(order, int | np.integer) or isinstance(order, bool) or order < 1:
        raise ValueError(f"{name}: expected a positive integer derivative order, got {order!r}")


def _params_primitive(name: str, values: Any, nin: int, check: Any) -> Primitive:
    """An elementwise derivative primitive evaluated by ``values(*args, **params)`` (NumPy, in
    float64), whose shape rule also validates the static parameters with ``check``."""
    prim = array_elementwise(name, values, real_float_dtype(nin), cast=True)
    base = prim.abstract_eval

    def abstract_eval(*avals: ShapedArray, **params: Any) -> ShapedArray:
        check(name, **params)
        return base(*avals, **params)

    prim.abstract_eval = abstract_eval
    return prim


def _check_zeta(name: str, *, order: Any) -> None:
    _check_order(name, order)


# d^n/dx^n zeta(x, q) (Hurwitz) and zeta(x) (Riemann), static n >= 1
zeta_dx_p = _params_primitive(
    "zeta_dx", lambda x, q, *, order: zeta_dx_values(x, q, order), 2, _check_zeta
)
riemann_zeta_dx_p = _params_primitive(
    "riemann_zeta_dx", lambda x, *, order: riemann_zeta_dx_values(x, order), 1, _check_zeta
)


# d/dx zeta(x, q) alone, an elementwise primitive with no parameter (the derivative zeta's
# gradient needs, e.g. fitting a Zipf exponent): compiled by its scalar formula; the eager value
# is zeta_dx_values's
zeta_dx1_p = array_elementwise(
    "zeta_dx1", lambda x, q: zeta_dx_values(x, q, 1), real_float_dtype(2), cast=True
)
zeta_dx1_p.templates["scalar"] = "hurwitz_zeta_dx_scalar({0}, {1})"
zeta_dx1_p.templates["scalar_helpers"] = (hurwitz_zeta_dx_scalar,)
FORMULA_ONLY.append(zeta_dx1_p)


def _zeta_x_derivative(x: Any, q: Any, order: int) -> Any:
    # Z_n(x, q) = d^n/dx^n zeta(x, q): zeta, zeta_dx1, zeta_dx(order=n)
    if order == 0:
        return zeta_p.bind(x, q)
    if order == 1:
        return zeta_dx1_p.bind(x, q)
    return zeta_dx_p.bind(x, q, order=order)


def _zeta_dq(x: Any, q: Any, order: int) -> Any:
    # d/dq d^n/dx^n zeta(x, q) = d^n/dx^n (-x zeta(x + 1, q))
    #                          = -x Z_n(x + 1, q) - n Z_(n-1)(x + 1, q)   (Z_0 = zeta)
    x1 = add(x, 1.0)
    out = negative(multiply(x, _zeta_x_derivative(x1, q, order)))
    if order >= 1:
        out = subtract(out, multiply(_zeta_x_derivative(x1, q, order - 1), float(order)))
    return out


# zeta: d/dx = zeta_dx1, d/dq = -x zeta(x + 1, q)
defderiv(zeta_p, lambda ans, x, q: zeta_dx1_p.bind(x, q), lambda ans, x, q: _zeta_dq(x, q, 0))
defderiv(zeta_dx1_p, lambda ans, x, q: zeta_dx_p.bind(x, q, order=2),
         lambda ans, x, q: _zeta_dq(x, q, 1))
defderiv(
    zeta_dx_p,
    lambda ans, x, q, *, order: zeta_dx_p.bind(x, q, order=order + 1),
    lambda ans, x, q, *, order: _zeta_dq(x, q, order),
    with_params=True,
)
defderiv(riemann_zeta_p, lambda ans, x: riemann_zeta_dx_p.bind(x, order=1))
defderiv(
    riemann_zeta_dx_p,
    lambda ans, x, *, order: riemann_zeta_dx_p.bind(x, order=order + 1),
    with_params=True,
)

# --------------------------------------------------------------------------------------------
# Exponential integrals
# --------------------------------------------------------------------------------------------

def exp1_scalar(x: float) -> float:
    """The exponential integral ``E1(x) = int_x^inf e^-t / t dt`` as scipy.special.exp1 on reals.

    On ``0 < x <= 1`` the power series ``E1(x) = -gamma - ln x - sum_k (-x)^k / (k k!)`` (DLMF
    6.6.2); beyond, ``e^-x`` over the even contraction of its continued fraction
    ``x + 1 - 1^2/(x + 3 - 2^2/(x + 5 - ...))`` (DLMF 6.9.1), evaluated backward from a depth of
    ``150/x + 10`` (160 at x = 1, 13 at x = 50; forward evaluation by modified Lentz lost 5e-15
    to rounding near x = 1.2), with ``e^-x`` taken as two halves so that the result underflows
    gradually, as SciPy's does. Against 40-digit mpmath: 1.1e-15 relative at worst (x near 0.9,
    where the series cancels to a quarter of its largest part); SciPy's 1.3e-15.
    Edges as SciPy: inf at +-0, 0 from x = 745 on and at inf, NaN for x < 0 and for NaN.
    """
    if x != x or x < 0.0:
        return np.nan
    if x == 0.0:
        return np.inf
    if x <= 1.0:
        term = 1.0
        total = 0.0
        for k in range(1, 40):
            term *= -x / k  # (-x)^k / k!
            total += term / k
            if abs(term) < 1e-18:
                break
        return -0.5772156649015329 - math.log(x) - total
    if x > 750.0:
        return 0.0  # below half the smallest subnormal
    t = 0.0
    for n in range(int(150.0 / x) + 10, 0, -1):
        t = -float(n * n) / (x + 2.0 * n + 1.0 + t)
    h = math.exp(-0.5 * x)
    return h * (h / (x + 1.0 + t))


def expi_scalar(x: float) -> float:
    """The exponential integral ``Ei(x) = -PV int_{-x}^inf e^-t / t dt`` as scipy.special.expi.

    ``-E1(-x)`` for x < 0. For x > 0 the power series ``Ei(x) = gamma + ln x + sum_k x^k /
    (k k!)`` (DLMF 6.6.1; positive terms, at most 95 of them) up to x = 40, and the asymptotic
    series ``e^x / x sum_k k! / x^k`` (DLMF 6.12.2) to its smallest term (below 7e-17) beyond,
    ``e^x`` in two halves. Around the zero ``x0 = 0.37250741...`` (0.18 < x < 0.75) the series
    is taken as its difference from ``Ei(x0) = 0``: ``Ei(x) = log1p(d / x0) + sum_k (x^k -
    x0^k) / (k k!)`` with ``d = x - x0`` (``x0`` in two parts, so ``d`` is exact) and ``x^k -
    x0^k = x (x^(k-1) - x0^(k-1)) + x0^(k-1) d``: every term carries the sign of ``d``, so the
    relative error stays at rounding through the zero (SciPy's error there is absolute, up to
    2.7e-16, so its relative error is unbounded). Against 40-digit mpmath: 1.8e-15 relative at
    worst for x > 0 (x = 27.6, the long series), 3.3e-16 within 0.1 of the zero, and E1's for
    x < 0; SciPy's is 2.7e-14 near x = 40.
    Edges as SciPy: -inf at +-0, inf at inf, -0.0 at -inf and below x = -745, NaN for NaN.
    A deliberate difference: between x = 709.78 and 716.36, where ``e^x`` overflows but ``Ei``
    does not (3.2e305 at x = 710, mpmath), the value is finite where SciPy gives inf.
    """
    if x != x:
        return x
    if x < 0.0:
        return -exp1_scalar(-x)
    if x == 0.0:
        return -np.inf
    if x > 40.0:
        if x > 720.0:
            return np.inf
        term = 1.0
        total = 1.0
        for k in range(1, 60):
            following = term * k / x  # k! / x^k
            if following > term:
                break
            term = following
            total += term
            if term < 1e-17:
                break
        h = math.exp(0.5 * x)
        return h * (h * (total / x))
    if 0.18 < x < 0.75:
        # the zero of Ei, 0.37250741078136663446..., as 0.3725074107813666 + 1.314...e-17
        x0 = 0.3725074107813666
        d = (x - x0) - 1.3140183414386028e-17
        power = x0  # x0^(k-1)
        difference = d  # x^k - x0^k
        factorial = 1.0
        total = d
        for k in range(2, 40):
            difference = x * difference + power * d
            power *= x0
            factorial *= k
            term = difference / (k * factorial)
            total += term
            if abs(term) < 1e-18 * abs(total):
                break
        return math.log1p(d / x0) + total
    term = 1.0
    total = 0.0
    for k in range(1, 200):
        term *= x / k  # x^k / k!
        total += term / k
        if term < 1e-18 * total:
            break
    return 0.5772156649015329 + math.log(x) + total


expi_p = _ufunc("expi", "expi_scalar({0})", (expi_scalar, exp1_scalar))
exp1_p = _ufunc("exp1", "exp1_scalar({0})", (exp1_scalar,))
expn_p = _ufunc("expn")

defderiv(expi_p, lambda ans, x: divide(exp(x), x))  # Ei'(x) = e^x / x
defderiv(exp1_p, lambda ans, x: negative(divide(exp(negative(x)), x)))  # E1'(x) = -e^-x / x


def _expn_dx(ans: Any, n: Any, x: Any) -> Any:
    # E_n'(x) = -E_{n-1}(x) for n >= 1; E_0(x) = e^-x / x, so E_0'(x) = -e^-x (1/x + 1/x^2)
    first = equal(n, 0)
    lower = expn_p.bind(_where(first, 1, subtract(n, 1)), x)
    e0 = multiply(exp(negative(x)), add(divide(1.0, x), divide(1.0, square(x))))
    return negative(_where(first, e0, lower))


defderiv(expn_p, None, _expn_dx)
forbid_derivative(expn_p, {0: "the order n"}, "the order n is an integer")

# --------------------------------------------------------------------------------------------
# Lambert W (SciPy's complex result; static branch k and tolerance)
# --------------------------------------------------------------------------------------------


def _lambertw_impl(x: Any, *, k: int, tol: float) -> Any:
    return sc.lambertw(x, k, tol)


def _lambertw_abstract_eval(aval: ShapedArray, *, k: int, tol: float) -> ShapedArray:
    if not isinstance(k, int | np.integer) or isinstance(k, bool):
        raise TypeError(f"lambertw: expected an integer branch k, got {k!r}")
    if aval.dtype.kind not in "biufc":
        raise TypeError(f"lambertw: expected a numeric input, got {aval}")
    return ShapedArray(aval.shape, np.dtype(np.complex128), aval.weak_type)


lambertw_p = Primitive("lambertw", _lambertw_impl)
lambertw_p.abstract_eval = _lambertw_abstract_eval
lambertw_p.templates["numpy"] = "scipy.special.lambertw({0}, {k}, {tol})"
lambertw_p.batch = batch_elementwise(lambertw_p)
# W'(x) = W / (x (1 + W)) = e^-W / (1 + W)  (x = W e^W; 1 at x = 0)
defderiv(lambertw_p, lambda ans, x: divide(exp(negative(ans)), add(ans, 1.0)))

# --------------------------------------------------------------------------------------------
# Owen's T function
# --------------------------------------------------------------------------------------------

owens_t_p = _ufunc("owens_t")


def _owens_t_dh(ans: Any, h: Any, a: Any) -> Any:
    # dT/dh = -phi(h) erf(a h / sqrt 2) / 2
    phi = divide(exp(multiply(square(h), -0.5)), _SQRT_2PI)
    return multiply(multiply(phi, erf(multiply(multiply(a, h), 1.0 / math.sqrt(2.0)))), -0.5)


def _owens_t_da(ans: Any, h: Any, a: Any) -> Any:
    # dT/da = e^(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))
    s = add(square(a), 1.0)
    return divide(exp(multiply(multiply(square(h), s), -0.5)), multiply(s, 2.0 * math.pi))


defderiv(owens_t_p, _owens_t_dh, _owens_t_da)

# --------------------------------------------------------------------------------------------
# Box-Cox transforms
# --------------------------------------------------------------------------------------------

# Series radius below which the lambda-derivatives use their Maclaurin series (cancellation)
_BOXCOX_SERIES_RADIUS = 0.05
_BOXCOX_TERMS = 16


def _horner(coeffs: list[float], u: Any) -> Any:
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = add(multiply(acc, u), c)
    return acc


def _series_or_closed(u: Any, series: Any, closed: Any) -> Any:
    # series(u) for |u| < radius, closed(u) elsewhere (double where)
    near = greater(_BOXCOX_SERIES_RADIUS, _abs(u))
    safe = _where(near, 1.0, u)
    return _where(near, series(u), closed(safe))


# g(u) = (u e^u - expm1(u)) / u^2 = sum_{n>=2} (n - 1) / n! u^(n-2)
_G_COEFFS = [(n - 1) / math.factorial(n) for n in range(2, 2 + _BOXCOX_TERMS)]


def _g(u: Any) -> Any:
    def closed(u: Any) -> Any:
        return divide(add(subtract(multiply(u, exp(u)), exp(u)), 1.0), square(u))

    return _series_or_closed(u, lambda u: _horner(_G_COEFFS, u), closed)


# h(v) = (v / (1 + v) - log1p(v)) / v^2 = sum_{k>=0} (-1)^(k+1) (k + 1) / (k + 2) v^k
_H_COEFFS = [(-1.0) ** (k + 1) * (k + 1) / (k + 2) for k in range(_BOXCOX_TERMS + 8)]


def _h(v: Any) -> Any:
    def closed(v: Any) -> Any:
        return divide(subtract(divide(v, add(v, 1.0)), log1p_p.bind(v)), square(v))

    return _series_or_closed(v, lambda v: _horner(_H_COEFFS, v), closed)


def boxcox_scalar(x: float, lmbda: float) -> float:
    """scipy.special.boxcox: log(x) for |lambda| < 1e-19, else expm1(lambda log x) / lambda."""
    if abs(lmbda) < 1e-19:
        return np.log(x)
    return np.expm1(lmbda * np.log(x)) / lmbda


def boxcox1p_scalar(x: float, lmbda: float) -> float:
    """scipy.special.boxcox1p: log1p(x) for tiny lambda or log1p(x), else
    expm1(lambda log1p x) / lambda."""
    lgx = np.log1p(x)
    if abs(lmbda) < 1e-19 or (abs(lgx) < 1e-289 and abs(lmbda) < 1e273):
        return lgx
    return np.expm1(lmbda * lgx) / lmbda


def inv_boxcox_scalar(y: float, lmbda: float) -> float:
    """scipy.special.inv_boxcox: exp(y) at lambda == 0, else exp(log1p(lambda y) / lambda)."""
    if lmbda == 0.0:
        return np.exp(y)
    return np.exp(np.log1p(lmbda * y) / lmbda)


def inv_boxcox1p_scalar(y: float, lmbda: float) -> float:
    """scipy.special.inv_boxcox1p: expm1(y) at lambda == 0, y where |lambda y| < 1e-154, else
    expm1(log1p(lambda y) / lambda)."""
    if lmbda == 0.0:
        return np.expm1(y)
    if abs(lmbda * y) < 1e-154:
        return y
    return np.expm1(np.log1p(lmbda * y) / lmbda)


boxcox_p = _ufunc("boxcox", "boxcox_scalar({0}, {1})", (boxcox_scalar,))
boxcox1p_p = _ufunc("boxcox1p", "boxcox1p_scalar({0}, {1})", (boxcox1p_scalar,))
inv_boxcox_p = _ufunc("inv_boxcox", "inv_boxcox_scalar({0}, {1})", (inv_boxcox_scalar,))
inv_boxcox1p_p = _ufunc(
    "inv_boxcox1p", "inv_boxcox1p_scalar({0}, {1})", (inv_boxcox1p_scalar,)
)


def _boxcox_dlmbda(log_x: Any, lmbda: Any) -> Any:
    # d/dlambda (x^lambda - 1) / lambda = L^2 g(lambda L), L = log x
    return multiply(square(log_x), _g(multiply(lmbda, log_x)))


# boxcox: d/dx = x^(lambda - 1)
defderiv(
    boxcox_p,
    lambda ans, x, lm: power(x, subtract(lm, 1.0)),
    lambda ans, x, lm: _boxcox_dlmbda(log(x), lm),
)
# boxcox1p: d/dx = (1 + x)^(lambda - 1)
defderiv(
    boxcox1p_p,
    lambda ans, x, lm: power(add(x, 1.0), subtract(lm, 1.0)),
    lambda ans, x, lm: _boxcox_dlmbda(log1p_p.bind(x), lm),
)


def _inv_dy(base: Any, y: Any, lm: Any) -> Any:
    # x = (1 + lambda y)^(1/lambda): dx/dy = x / (1 + lambda y)
    return divide(base, add(multiply(lm, y), 1.0))


def _inv_dlmbda(base: Any, y: Any, lm: Any) -> Any:
    # dx/dlambda = x y^2 h(lambda y)
    return multiply(multiply(base, square(y)), _h(multiply(lm, y)))


defderiv(
    inv_boxcox_p,
    lambda ans, y, lm: _inv_dy(ans, y, lm),
    lambda ans, y, lm: _inv_dlmbda(ans, y, lm),
)
# inv_boxcox1p = inv_boxcox - 1
defderiv(
    inv_boxcox1p_p,
    lambda ans, y, lm: _inv_dy(add(ans, 1.0), y, lm),
    lambda ans, y, lm: _inv_dlmbda(add(ans, 1.0), y, lm),
)

# --------------------------------------------------------------------------------------------
# Binomial coefficient and Pochhammer symbol (through digamma)
# --------------------------------------------------------------------------------------------

binom_p = _ufunc("binom")
poch_p = _ufunc("poch")


def binom(n: Any, k: Any) -> Any:
    return binom_p.bind(n, k)


# binom(n, k) = Gamma(n+1) / (Gamma(k+1) Gamma(n-k+1)):
# d/dn = binom (psi(n+1) - psi(n-k+1)), d/dk = binom (psi(n-k+1) - psi(k+1))
defderiv(
    binom_p,
    lambda ans, n, k: multiply(
        ans, subtract(digamma(add(n, 1.0)), digamma(add(subtract(n, k), 1.0)))
    ),
    lambda ans, n, k: multiply(
        ans, subtract(digamma(add(subtract(n, k), 1.0)), digamma(add(k, 1.0)))
    ),
)
# poch(z, m) = Gamma(z+m) / Gamma(z): d/dz = poch (psi(z+m) - psi(z)), d/dm = poch psi(z+m)
defderiv(
    poch_p,
    lambda ans, z, m: multiply(ans, subtract(digamma(add(z, m)), digamma(z))),
    lambda ans, z, m: multiply(ans, digamma(add(z, m))),
)

# --------------------------------------------------------------------------------------------
# Spence's function, sine/cosine integrals, Fresnel integrals, Faddeeva function
# --------------------------------------------------------------------------------------------

spence_p = _ufunc("spence")
# log(1 + w) / w = sum_k (-1)^k w^k / (k + 1), for |w| < radius
_LOG1P_OVER_COEFFS = [(-1.0) ** k / (k + 1) for k in range(14)]


def _spence_dz(ans: Any, z: Any) -> Any:
    # spence(z) = int_1^z log t / (1 - t) dt: d/dz = log z / (1 - z) = -log1p(w) / w, w = z - 1
    w = subtract(z, 1.0)
    near = greater(_BOXCOX_SERIES_RADIUS, _abs(w))
    safe = _where(near, 1.0, w)
    closed = divide(log1p_p.bind(safe), safe)
    return negative(_where(near, _horner(_LOG1P_OVER_COEFFS, w), closed))


defderiv(spence_p, _spence_dz)

_SICI = scipy_special_ufunc("sici")
_FRESNEL = scipy_special_ufunc("fresnel")
si_p = _custom("sici_si", lambda x: sc.sici(x)[0], _output_part(_SICI, 0),
               "scipy.special.sici({0})[0]")
ci_p = _custom("sici_ci", lambda x: sc.sici(x)[1], _output_part(_SICI, 1),
               "scipy.special.sici({0})[1]")
# Si'(x) = sin x / x = sinc(x / pi) (1 at 0); Ci'(x) = cos x / x (also for SciPy's Re Ci, x < 0)
defderiv(si_p, lambda ans, x: sinc(multiply(x, 1.0 / math.pi)))
defderiv(ci_p, lambda ans, x: divide(cos_p.bind(x), x))

fresnel_s_p = _custom("fresnel_s", lambda z: sc.fresnel(z)[0], _output_part(_FRESNEL, 0),
                      "scipy.special.fresnel({0})[0]")
fresnel_c_p = _custom("fresnel_c", lambda z: sc.fresnel(z)[1], _output_part(_FRESNEL, 1),
                      "scipy.special.fresnel({0})[1]")
# S'(z) = sin(pi z^2 / 2), C'(z) = cos(pi z^2 / 2)
defderiv(fresnel_s_p, lambda ans, z: sin_p.bind(multiply(square(z), math.pi / 2.0)))
defderiv(fresnel_c_p, lambda ans, z: cos_p.bind(multiply(square(z), math.pi / 2.0)))

wofz_p = _ufunc("wofz")
# w'(z) = -2 z w(z) + 2i / sqrt(pi)  (holomorphic)
defderiv(wofz_p, lambda ans, z: add(multiply(multiply(z, ans), -2.0), 2.0j / _SQRT_PI))

# --------------------------------------------------------------------------------------------
# Relative entropies and Huber losses (with scalar formulas for the compiled backends)
# --------------------------------------------------------------------------------------------


def rel_entr_scalar(x: float, y: float) -> float:
    """scipy.special.rel_entr: x log(x / y) for x, y > 0 (log1p near x == y, log x - log y
    where x / y under- or overflows); 0 at x == 0, y >= 0; inf otherwise."""
    if x != x or y != y:
        return np.nan
    if x <= 0.0 or y <= 0.0:
        if x == 0.0 and y >= 0.0:
            return 0.0
        return np.inf
    ratio = x / y
    if 0.5 < ratio < 2.0:
        return x * np.log1p((x - y) / y)
    if 2.2250738585072014e-308 < ratio < np.inf:
        return x * np.log(ratio)
    return x * (np.log(x) - np.log(y))


def kl_div_scalar(x: float, y: float) -> float:
    """scipy.special.kl_div: x log(x / y) - x + y for x, y > 0; y at x == 0, y >= 0; else inf."""
    if x != x or y != y:
        return np.nan
    if x > 0.0 and y > 0.0:
        return x * np.log(x / y) - x + y
    if x == 0.0 and y >= 0.0:
        return y
    return np.inf


def huber_scalar(delta: float, r: float) -> float:
    """scipy.special.huber: inf for delta < 0; r^2 / 2 for |r| <= delta; else
    delta (|r| - delta / 2)."""
    if delta < 0.0:
        return np.inf
    if abs(r) <= delta:
        return 0.5 * r * r
    return delta * (abs(r) - 0.5 * delta)


def pseudo_huber_scalar(delta: float, r: float) -> float:
    """scipy.special.pseudo_huber: inf for delta < 0; 0 for delta == 0 or r == 0; else
    delta^2 (sqrt(1 + (r / delta)^2) - 1) as delta^2 expm1(log1p((r / delta)^2) / 2)."""
    if delta < 0.0:
        return np.inf
    if delta == 0.0 or r == 0.0:
        return 0.0
    u = r / delta
    return delta * delta * np.expm1(0.5 * np.log1p(u * u))


rel_entr_p = _ufunc("rel_entr", "rel_entr_scalar({0}, {1})", (rel_entr_scalar,))
kl_div_p = _ufunc("kl_div", "kl_div_scalar({0}, {1})", (kl_div_scalar,))
huber_p = _ufunc("huber", "huber_scalar({0}, {1})", (huber_scalar,))
pseudo_huber_p = _ufunc("pseudo_huber", "pseudo_huber_scalar({0}, {1})", (pseudo_huber_scalar,))

# rel_entr = x log(x / y): d/dx = log(x / y) + 1, d/dy = -x / y
defderiv(
    rel_entr_p,
    lambda ans, x, y: add(log(divide(x, y)), 1.0),
    lambda ans, x, y: negative(divide(x, y)),
)
# kl_div = x log(x / y) - x + y: d/dx = log(x / y), d/dy = 1 - x / y
defderiv(
    kl_div_p,
    lambda ans, x, y: log(divide(x, y)),
    lambda ans, x, y: subtract(1.0, divide(x, y)),
)


def _inside(delta: Any, r: Any) -> Any:
    return less_equal_p.bind(_abs(r), delta)


# huber: d/ddelta = 0 inside (|r| <= delta), |r| - delta outside; d/dr = r inside, delta sign(r)
defderiv(
    huber_p,
    lambda ans, d, r: _where(_inside(d, r), 0.0, subtract(_abs(r), d)),
    lambda ans, d, r: _where(_inside(d, r), r, multiply(d, sign(r))),
)


def _pseudo_huber_parts(delta: Any, r: Any) -> tuple[Any, Any]:
    # R = sqrt(delta^2 + r^2), with a safe 1 where R == 0
    big_r = sqrt(add(square(delta), square(r)))
    zero = equal(big_r, 0.0)
    return zero, _where(zero, 1.0, big_r)


def _pseudo_huber_ddelta(ans: Any, delta: Any, r: Any) -> Any:
    # d/ddelta delta^2 (sqrt(1 + (r/delta)^2) - 1) = r^4 / (R (R + delta)^2)  (0 at r == 0)
    zero, big_r = _pseudo_huber_parts(delta, r)
    value = divide(square(square(r)), multiply(big_r, square(add(big_r, delta))))
    return _where(zero, 0.0, value)


def _pseudo_huber_dr(ans: Any, delta: Any, r: Any) -> Any:
    # d/dr = r delta / R
    zero, big_r = _pseudo_huber_parts(delta, r)
    return _where(zero, 0.0, divide(multiply(r, delta), big_r))


defderiv(pseudo_huber_p, _pseudo_huber_ddelta, _pseudo_huber_dr)

# --------------------------------------------------------------------------------------------
# Hypergeometric functions (derivatives in x by the contiguous relations; in the parameters by
# the primitives hyp1f1_dp / hyp2f1_dp of a static multi-order, series on Taylor jets)
# --------------------------------------------------------------------------------------------

hyp1f1_p = _ufunc("hyp1f1")
hyp2f1_p = _ufunc("hyp2f1")


def _check_orders(count: int) -> Any:
    def check(name: str, *, orders: Any) -> None:
        ok = (
            isinstance(orders, tuple)
            and len(orders) == count
            and all(isinstance(o, int | np.integer) and not isinstance(o, bool) for o in orders)
            and all(o >= 0 for o in orders)
            and sum(orders) >= 1
        )
        if not ok:
            raise ValueError(
                f"{name}: expected orders, a tuple of {count} non-negative integers with a "
                f"positive sum, got {orders!r}"
            )

    return check


# d^i/da^i d^j/db^j 1F1(a; b; x), orders = (i, j)
hyp1f1_dp_p = _params_primitive(
    "hyp1f1_dp", lambda a, b, x, *, orders: hyp1f1_dp_values(a, b, x, orders), 3,
    _check_orders(2),
)
# d^i/da^i d^j/db^j d^k/dc^k 2F1(a, b; c; z), orders = (i, j, k)
hyp2f1_dp_p = _params_primitive(
    "hyp2f1_dp", lambda a, b, c, z, *, orders: hyp2f1_dp_values(a, b, c, z, orders), 4,
    _check_orders(3),
)


def _hyp_partial(prim: Primitive, dp: Primitive, args: tuple, orders: tuple) -> Any:
    # the partial derivative of ``prim`` of multi-order ``orders`` at ``args``
    if not any(orders):
        return prim.bind(*args)
    return dp.bind(*args, orders=tuple(int(o) for o in orders))


def _bump(orders: tuple, i: int) -> tuple:
    return tuple(o + (j == i) for j, o in enumerate(orders))


def _numerator_factor(p: Any, k: int) -> Any:
    # d^k/dp^k p: p, 1, then 0
    return p if k == 0 else 1.0


def _inverse_factor(c: Any, k: int) -> Any:
    # d^k/dc^k 1/c = (-1)^k k! c^-(k+1)
    return multiply(power(c, float(-(k + 1))), (-1.0) ** k * math.factorial(k))


def _hyp_dz(prim: Primitive, dp: Primitive, args: tuple, orders: tuple) -> Any:
    """d/dz of the ``orders`` partial: the same partial of (prod upper / lower) F(params + 1, z)
    (d/dz pFq = prod a_i / prod b_j pFq(a + 1; b + 1; z)), expanded by Leibniz's rule (the
    upper parameters enter linearly, so their factors stop at the first derivative)."""
    *params, z = args
    shifted = tuple(add(p, 1.0) for p in params) + (z,)
    n_upper = len(params) - 1
    ranges = [range(min(o, 1) + 1) for o in orders[:n_upper]] + [range(orders[-1] + 1)]
    out = None
    for ks in itertools.product(*ranges):
        coeff = float(math.prod(math.comb(o, k) for o, k in zip(orders, ks)))
        factor = _inverse_factor(params[-1], ks[-1])
        for p, k in zip(params[:n_upper], ks[:n_upper]):
            factor = multiply(factor, _numerator_factor(p, k))
        rest = tuple(o - k for o, k in zip(orders, ks))
        term = multiply(multiply(factor, coeff), _hyp_partial(prim, dp, shifted, rest))
        out = term if out is None else add(out, term)
    return out


def _real_argument(name: str, z: Any) -> None:
    dtype = z.dtype if hasattr(z, "dtype") else np.asarray(z).dtype
    if np.dtype(dtype).kind == "c":
        raise NotImplementedError(
            f"{name}: the derivative in the parameters is implemented for a real argument only "
            "(got complex); hold the parameters fixed (pass them as constants or through "
            "fluxion.stop_gradient)"
        )


def _hyp_rules(prim: Primitive, dp: Primitive, n_params: int) -> None:
    def param_rule(i: int) -> Any:
        return lambda ans, *args, orders: dp.bind(*args, orders=_bump(orders, i))

    def first_rule(i: int) -> Any:
        def rule(ans: Any, *args: Any) -> Any:
            _real_argument(prim.name, args[-1])
            return dp.bind(*args, orders=_bump(zero, i))

        return rule

    def z_rule(ans: Any, *args: Any, orders: tuple) -> Any:
        return _hyp_dz(prim, dp, args, orders)

    zero = (0,) * n_params
    defderiv(
        prim,
        *(first_rule(i) for i in range(n_params)),
        lambda ans, *args: _hyp_dz(prim, dp, args, zero),
    )
    defderiv(dp, *(param_rule(i) for i in range(n_params)), z_rule, with_params=True)


# d/dx 1F1(a; b; x) = a / b 1F1(a + 1; b + 1; x); d/da, d/db: hyp1f1_dp
_hyp_rules(hyp1f1_p, hyp1f1_dp_p, 2)
# d/dz 2F1(a, b; c; z) = a b / c 2F1(a + 1, b + 1; c + 1; z); d/da, d/db, d/dc: hyp2f1_dp
_hyp_rules(hyp2f1_p, hyp2f1_dp_p, 3)
