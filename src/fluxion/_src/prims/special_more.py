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
j0_p = _ufunc("j0")
j1_p = _ufunc("j1")
y0_p = _ufunc("y0")
y1_p = _ufunc("y1")

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

def ive_integer_scalar(v: float, x: float) -> float:
    """``ive(v, x) = exp(-|x|) I_v(x)`` for an integer order ``v`` (the compiled backends'
    formula; their lowerings take it only for orders known to be integers, see
    ``codegen/numba_tier.py`` and ``codegen/tape.py``).

    ``I_{-n} = I_n``, ``I_n(-x) = (-1)^n I_n(x)``. Orders 0 and 1 are Cephes' ``i0e``/``i1e``.
    For ``x > max(2 n^2, 40)``: the asymptotic series (Abramowitz & Stegun 9.7.1)
    ``ive(n, x) ~ (2 pi x)^-1/2 sum_k (-1)^k prod_{j<=k} (4n^2 - (2j-1)^2) / (k! (8x)^k)``,
    summed while its terms shrink (below 1e-17 relative). For ``|x| < 1e-5`` the first three
    terms of the power series (A&S 9.6.10). Otherwise Miller's backward
    recurrence ``f_{k-1} = f_{k+1} + (2k/x) f_k`` from ``f_{N+1} = 0``, ``f_N = 1`` with
    ``N = 2 (n + floor(sqrt(40 n))) + 2 floor(x) + 20`` (the recurrence is stable downwards and
    forgets its start), normalized by ``f_0 = I_0``: ``ive(n, x) = i0e(x) f_n / f_0``
    (Numerical Recipes' ``bessi``, with the start moved past ``x``)."""
    if v != v or x != x:
        return v + x
    ax = abs(x)
    if ax == math.inf:
        return math.nan  # as scipy.special.ive (whose i0e(inf) is 0)
    n = int(abs(v))
    odd = n % 2 == 1
    if n == 0:
        return i0e_scalar(x)
    if n == 1:
        return i1e_scalar(x)
    if ax == 0.0:
        return 0.0
    if ax < 1e-5 and n > 170:
        return 0.0  # (x/2)^n / n! underflows
    if ax < 1e-5:
        # the power series I_n = (x/2)^n / n! (1 + q/(n+1) + q^2/(2 (n+1)(n+2))), q = x^2/4:
        # the next term is below 1e-22 relative; underflows gracefully to 0
        q = 0.25 * ax * ax
        series = 1.0 + q / (n + 1.0) * (1.0 + q / (2.0 * (n + 2.0)))
        r = math.pow(0.5 * ax, n) / math.gamma(n + 1.0) * series * math.exp(-ax)
    elif ax > max(2.0 * n * n, 40.0):
        mu = 4.0 * n * n
        term = 1.0
        total = 1.0
        for k in range(1, 200):
            nxt = -term * (mu - (2.0 * k - 1.0) ** 2) / (8.0 * k * ax)
            if abs(nxt) >= abs(term):
                break
            term = nxt
            total += term
            if abs(term) < 1e-17 * abs(total):
                break
        r = total / math.sqrt(2.0 * math.pi * ax)
    else:
        start = 2 * (n + int(math.sqrt(40.0 * n))) + 2 * int(ax) + 20
        f_next = 0.0
        f = 1.0
        saved = 0.0
        for k in range(start, 0, -1):
            f_prev = f_next + (2.0 * k / ax) * f
            f_next = f
            f = f_prev
            if abs(f) > 1e250:  # rescale to stay finite (by 2^-830: exact)
                f *= 1.3967014978599092e-250
                f_next *= 1.3967014978599092e-250
                saved *= 1.3967014978599092e-250
            if k - 1 == n:
                saved = f
        r = i0e_scalar(ax) * saved / f
    return -r if (odd and x < 0.0) else r


iv_p = _ufunc("iv")
ive_p = _ufunc(
    "ive",
    scalar="ive_integer_scalar({0}, {1})",
    helpers=(ive_integer_scalar, i0e_scalar, i1e_scalar, chebyshev_series_scalar),
)
kv_p = _ufunc("kv")
kve_p = _ufunc("kve")
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
    defderiv(_prim, _order_rule(_kind, _dv), functools.partial(_X_DERIVATIVE[_kind], _prim))
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
