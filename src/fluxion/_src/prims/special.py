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

from ..core import MissingRule, Primitive, ShapedArray, Zero, bind_at, current_trace
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
gamma_p = _scipy_ufunc("gamma")


def _polygamma_impl(x: Any, *, n: int) -> Any:
    return sc.polygamma(n, x)


def _polygamma_abstract_eval(aval: ShapedArray, *, n: int) -> ShapedArray:
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
        raise TypeError(f"polygamma: expected a non-negative integer order n, got {n!r}")
    if aval.dtype.kind not in "biuf":
        raise TypeError(f"polygamma: expected a real input, got {aval}")
    return ShapedArray(aval.shape, np.float64, aval.weak_type)


polygamma_p = Primitive("polygamma", _polygamma_impl)
polygamma_p.abstract_eval = _polygamma_abstract_eval
polygamma_p.templates["numpy"] = "scipy.special.polygamma({n}, {0})"


def gammaln(x: Any) -> Any:
    return gammaln_p.bind(x)


def digamma(x: Any) -> Any:
    return digamma_p.bind(x)


def polygamma(n: int, x: Any) -> Any:
    """``polygamma(n, x)`` for a static integer order ``n`` (``n == 0`` is ``digamma``)."""
    if n == 0:
        return digamma_p.bind(x)
    return polygamma_p.bind(x, n=int(n))


def _polygamma_jvp(primals: Any, tangents: Any, *, n: int) -> Any:
    # d psi^(n)(x) = psi^(n+1)(x) dx
    (x,), (t,) = primals, tangents
    ans = bind_at(current_trace(), polygamma_p, (x,), {"n": n})
    if type(t) is Zero:
        return ans, Zero(ans)
    return ans, multiply(t, polygamma(n + 1, x))


polygamma_p.jvp = _polygamma_jvp
polygamma_p.vjp = lambda g, ans, x, *, n: (multiply(g, polygamma(n + 1, x)),)
polygamma_p.batch = batch_elementwise(polygamma_p)

defderiv(gammaln_p, lambda ans, x: digamma(x))  # d lnGamma(x) = psi(x)
defderiv(digamma_p, lambda ans, x: polygamma(1, x))  # d psi(x) = psi^(1)(x)
defderiv(gamma_p, lambda ans, x: multiply(ans, digamma(x)))  # d Gamma(x) = Gamma(x) psi(x)

betaln_p = _scipy_ufunc("betaln")
beta_p = _scipy_ufunc("beta")


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
erfinv_p = _scipy_ufunc("erfinv")
erfcinv_p = _scipy_ufunc("erfcinv")
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
entr_p = _scipy_ufunc("entr")


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

i0e_p = _scipy_ufunc("i0e")
i1e_p = _scipy_ufunc("i1e")


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
