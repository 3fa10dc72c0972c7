"""Elementwise primitives: arithmetic, powers, exponentials, trigonometry, comparisons, casts.

Each primitive is declared by a table helper (:func:`elementwise`) that fills ``impl`` (the NumPy
ufunc itself, which also dispatches to CuPy arrays through ``__array_ufunc__``), the shape/dtype
rule and the codegen template; one :func:`defderiv` line then gives both its jvp and its vjp.
Rules compute with primitives (the short functions below), never with raw NumPy, so they can be
differentiated again.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..core import (
    Primitive,
    ShapedArray,
    Zero,
    bind_at,
    current_trace,
    nondiff_jvp,
    nondiff_vjp,
)
from ._helpers import defvjp_parts, dtype_for_promotion, fmt_avals, result_type_operand
from .batch_rules import batch_elementwise
from .shape import broadcast_to

# --------------------------------------------------------------------------------------------
# Table helpers
# --------------------------------------------------------------------------------------------


def _ufunc_abstract_eval(name: str, ufunc: Any) -> Any:
    def abstract_eval(*avals: ShapedArray, **params: Any) -> ShapedArray:
        try:
            shape = np.broadcast_shapes(*(a.shape for a in avals))
        except ValueError:
            raise ValueError(
                f"{name}: operands could not be broadcast together, got {fmt_avals(avals)}; "
                "expected shapes that are equal or 1 in each differing trailing dimension"
            ) from None
        try:
            dtypes = ufunc.resolve_dtypes(
                tuple(dtype_for_promotion(a) for a in avals) + (None,) * ufunc.nout
            )
        except (TypeError, np._core._exceptions._UFuncNoLoopError) as err:  # type: ignore[attr-defined]
            raise TypeError(f"{name}: not defined for inputs {fmt_avals(avals)} ({err})") from None
        weak = all(a.weak_type for a in avals)
        return ShapedArray(shape, dtypes[-1], weak)

    return abstract_eval


# The NumPy ufunc behind each elementwise primitive (the eager fluxion.numpy wrappers call it).
UFUNC_OF: dict = {}
# Elementwise primitives that are not ufunc calls but declare a scalar formula (sinc).
FORMULA_ONLY: list = []


def elementwise(
    name: str,
    ufunc: Any,
    *,
    template: str | None = None,
    scalar: str | None = None,
    helpers: tuple = (),
) -> Primitive:
    """Declare an elementwise primitive whose ``impl`` is the NumPy ufunc ``ufunc``.

    Parameters
    ----------
    name : str
        The primitive's name (``sin``, ``add``, ...).
    ufunc : numpy.ufunc
        The ufunc that evaluates it (NumPy's or SciPy's special functions).
    template : str, optional
        Python source of the lowering, with ``{0}``, ``{1}`` for the operands (codegen tier 0);
        by default ``np.<name>({0}, ...)``.
    scalar : str, optional
        The scalar formula every compiled backend derives its lowering from (tier 1 array code,
        fused loops, the tape machine; see ``codegen/lowering.py``): a Python expression over
        ``{0}``, ``{1}`` with operators, ``np.<ufunc>``, ``math.<fn>`` and ``helpers``, valid
        in numba. By default NumPy's ufunc itself, ``np.<ufunc>({0}, ...)`` (numba implements
        most of them); SciPy's ufuncs need one.
    helpers : tuple of functions, optional
        Plain-Python scalar functions the formula calls (numba compiles their source; they may
        use ``math``, ``np`` and other helpers only).
    """
    prim = Primitive(name, ufunc)
    UFUNC_OF[prim] = ufunc
    prim.abstract_eval = _ufunc_abstract_eval(name, ufunc)
    if template is None:
        args = ", ".join(f"{{{i}}}" for i in range(ufunc.nin))
        template = f"np.{ufunc.__name__}({args})"
    prim.templates["numpy"] = template
    if scalar is not None:
        prim.templates["scalar"] = scalar
    if helpers:
        prim.templates["scalar_helpers"] = tuple(helpers)
    prim.batch = batch_elementwise(prim)
    return prim


def defnondiff(*prims: Primitive) -> None:
    """Mark primitives as non-differentiable: their outputs carry no derivative."""
    for prim in prims:
        prim.jvp = nondiff_jvp
        prim.vjp = nondiff_vjp


_PY_SCALARS = (int, float, complex, bool)


def _broadcast_like(t: Any, shape: tuple[int, ...]) -> Any:
    if getattr(t, "shape", ()) != shape:
        return broadcast_to(t, shape)
    return t


def defderiv(prim: Primitive, *derivs: Any, with_params: bool = False) -> None:
    """Give an elementwise primitive its derivatives, one function per argument.

    ``derivs[i](ans, *args)`` returns the partial derivative of the output with respect to
    argument ``i`` (``None``: not differentiable in that argument). The jvp is
    ``sum_i d_i * t_i`` and the vjp ``(g * d_i for each i)``; un-broadcasting is central.
    ``with_params=True``: the primitive has static parameters (e.g. a derivative order) and
    each rule is called ``derivs[i](ans, *args, **params)``.
    """

    def deriv(d: Any, ans: Any, args: Any, params: dict) -> Any:
        return d(ans, *args, **params) if with_params else d(ans, *args)

    def jvp(primals: Any, tangents: Any, **params: Any) -> Any:
        ans = bind_at(current_trace(), prim, primals, params)
        out_t = None
        for d, t in zip(derivs, tangents):
            if d is None or type(t) is Zero:
                continue
            term = multiply(t, deriv(d, ans, primals, params))
            out_t = term if out_t is None else add(out_t, term)
        if out_t is None:
            return ans, Zero(ans)
        return ans, _broadcast_like(out_t, ans.shape)

    def part(d: Any) -> Any:
        if d is None:
            return None
        return lambda g, ans, *args, **params: multiply(g, deriv(d, ans, args, params))

    prim.jvp = jvp
    defvjp_parts(prim, *(part(d) for d in derivs))


# --------------------------------------------------------------------------------------------
# Arithmetic (explicit rules: the hottest primitives, no multiplication by one)
# --------------------------------------------------------------------------------------------

# Python operators: the fast path for NumPy scalars in tier 0, the plain instruction in numba.
add_p = elementwise("add", np.add, template="({0} + {1})", scalar="({0} + {1})")
subtract_p = elementwise("subtract", np.subtract, template="({0} - {1})", scalar="({0} - {1})")
multiply_p = elementwise("multiply", np.multiply, template="({0} * {1})", scalar="({0} * {1})")
true_divide_p = elementwise(
    "true_divide", np.true_divide, template="({0} / {1})", scalar="({0} / {1})"
)
negative_p = elementwise("negative", np.negative, template="(-{0})", scalar="(-{0})")

# Under transforms, arithmetic on the 0-d parameters of a model (theta[0] * x, m ** 2) is the
# common case; Python's operators reach NumPy scalars' fast paths (np.float64 ** 2 takes 60 ns,
# np.power 600 ns) and call the same ufuncs on arrays.
add_p.impl = operator.add
subtract_p.impl = operator.sub
multiply_p.impl = operator.mul
true_divide_p.impl = operator.truediv
negative_p.impl = operator.neg


def add(x: Any, y: Any) -> Any:
    return add_p.bind(x, y)


def subtract(x: Any, y: Any) -> Any:
    return subtract_p.bind(x, y)


def multiply(x: Any, y: Any) -> Any:
    return multiply_p.bind(x, y)


def divide(x: Any, y: Any) -> Any:
    return true_divide_p.bind(x, y)


def negative(x: Any) -> Any:
    return negative_p.bind(x)


def _add_jvp(primals: Any, tangents: Any) -> Any:
    # d(x + y) = dx + dy
    ans = bind_at(current_trace(), add_p, primals, {})
    tx, ty = tangents
    if type(tx) is Zero:
        return ans, (ty if type(ty) is Zero else _broadcast_like(ty, ans.shape))
    if type(ty) is Zero:
        return ans, _broadcast_like(tx, ans.shape)
    return ans, _broadcast_like(add(tx, ty), ans.shape)


def _subtract_jvp(primals: Any, tangents: Any) -> Any:
    # d(x - y) = dx - dy
    ans = bind_at(current_trace(), subtract_p, primals, {})
    tx, ty = tangents
    if type(tx) is Zero:
        return ans, (ty if type(ty) is Zero else _broadcast_like(negative(ty), ans.shape))
    if type(ty) is Zero:
        return ans, _broadcast_like(tx, ans.shape)
    return ans, _broadcast_like(subtract(tx, ty), ans.shape)


def _multiply_jvp(primals: Any, tangents: Any) -> Any:
    # d(x y) = dx y + x dy
    x, y = primals
    ans = bind_at(current_trace(), multiply_p, primals, {})
    tx, ty = tangents
    if type(tx) is Zero:
        if type(ty) is Zero:
            return ans, Zero(ans)
        return ans, _broadcast_like(multiply(x, ty), ans.shape)
    if type(ty) is Zero:
        return ans, _broadcast_like(multiply(tx, y), ans.shape)
    return ans, _broadcast_like(add(multiply(tx, y), multiply(x, ty)), ans.shape)


def _divide_jvp(primals: Any, tangents: Any) -> Any:
    # d(x / y) = dx / y - (x / y) dy / y
    x, y = primals
    ans = bind_at(current_trace(), true_divide_p, primals, {})
    tx, ty = tangents
    out = None
    if type(tx) is not Zero:
        out = divide(tx, y)
    if type(ty) is not Zero:
        term = negative(multiply(ty, divide(ans, y)))
        out = term if out is None else add(out, term)
    if out is None:
        return ans, Zero(ans)
    return ans, _broadcast_like(out, ans.shape)


def _negative_jvp(primals: Any, tangents: Any) -> Any:
    ans = negative(primals[0])
    t = tangents[0]
    return ans, t if type(t) is Zero else negative(t)


add_p.jvp = _add_jvp
# Per-argument vjp parts: the backward pass computes only the cotangents it needs.
defvjp_parts(add_p, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
subtract_p.jvp = _subtract_jvp
defvjp_parts(subtract_p, lambda g, ans, x, y: g, lambda g, ans, x, y: negative(g))
multiply_p.jvp = _multiply_jvp
defvjp_parts(multiply_p, lambda g, ans, x, y: multiply(g, y), lambda g, ans, x, y: multiply(g, x))
true_divide_p.jvp = _divide_jvp
defvjp_parts(
    true_divide_p,
    lambda g, ans, x, y: divide(g, y),  # d(x/y)/dx = 1/y
    lambda g, ans, x, y: multiply(g, divide(ans, negative(y))),  # d(x/y)/dy = -(x/y)/y
)
negative_p.jvp = _negative_jvp
defvjp_parts(negative_p, lambda g, ans, x: negative(g))


# --------------------------------------------------------------------------------------------
# Unary math
# --------------------------------------------------------------------------------------------

exp_p = elementwise("exp", np.exp)
exp2_p = elementwise("exp2", np.exp2)
expm1_p = elementwise("expm1", np.expm1)
log_p = elementwise("log", np.log)
log2_p = elementwise("log2", np.log2)
log10_p = elementwise("log10", np.log10)
log1p_p = elementwise("log1p", np.log1p)
sqrt_p = elementwise("sqrt", np.sqrt)
cbrt_p = elementwise("cbrt", np.cbrt)
square_p = elementwise("square", np.square)
reciprocal_p = elementwise("reciprocal", np.reciprocal)
sin_p = elementwise("sin", np.sin)
cos_p = elementwise("cos", np.cos)
tan_p = elementwise("tan", np.tan)
arcsin_p = elementwise("arcsin", np.arcsin)
arccos_p = elementwise("arccos", np.arccos)
arctan_p = elementwise("arctan", np.arctan)
sinh_p = elementwise("sinh", np.sinh)
cosh_p = elementwise("cosh", np.cosh)
tanh_p = elementwise("tanh", np.tanh)
arcsinh_p = elementwise("arcsinh", np.arcsinh)
arccosh_p = elementwise("arccosh", np.arccosh)
arctanh_p = elementwise("arctanh", np.arctanh)
abs_p = elementwise("abs", np.absolute, template="np.abs({0})")


def exp(x: Any) -> Any:
    return exp_p.bind(x)


def log(x: Any) -> Any:
    return log_p.bind(x)


def sqrt(x: Any) -> Any:
    return sqrt_p.bind(x)


def sin(x: Any) -> Any:
    return sin_p.bind(x)


def cos(x: Any) -> Any:
    return cos_p.bind(x)


def cosh(x: Any) -> Any:
    return cosh_p.bind(x)


def sinh(x: Any) -> Any:
    return sinh_p.bind(x)


def square(x: Any) -> Any:
    return multiply_p.bind(x, x)


def reciprocal(x: Any) -> Any:
    return true_divide_p.bind(1.0, x)


_LOG2 = math.log(2.0)
_LOG10 = math.log(10.0)

defderiv(exp_p, lambda ans, x: ans)  # d exp(x) = exp(x)
defderiv(exp2_p, lambda ans, x: multiply(ans, _LOG2))  # d 2^x = 2^x log 2
defderiv(expm1_p, lambda ans, x: add(ans, 1.0))  # d (e^x - 1) = e^x
defderiv(log_p, lambda ans, x: reciprocal(x))  # d log x = 1/x
defvjp_parts(log_p, lambda g, ans, x: divide(g, x))  # the same rule in one operation
defderiv(log2_p, lambda ans, x: reciprocal(multiply(x, _LOG2)))  # 1/(x log 2)
defderiv(log10_p, lambda ans, x: reciprocal(multiply(x, _LOG10)))  # 1/(x log 10)
defderiv(log1p_p, lambda ans, x: reciprocal(add(x, 1.0)))  # 1/(1 + x)
defderiv(sqrt_p, lambda ans, x: divide(0.5, ans))  # 1/(2 sqrt x)
defderiv(cbrt_p, lambda ans, x: divide(1.0 / 3.0, square(ans)))  # 1/(3 x^(2/3))
defderiv(square_p, lambda ans, x: multiply(2.0, x))  # 2x
defderiv(reciprocal_p, lambda ans, x: negative(square(ans)))  # -1/x^2
defderiv(sin_p, lambda ans, x: cos(x))
defderiv(cos_p, lambda ans, x: negative(sin(x)))
defderiv(tan_p, lambda ans, x: add(1.0, square(ans)))  # 1 + tan^2
defderiv(arcsin_p, lambda ans, x: reciprocal(sqrt(subtract(1.0, square(x)))))  # 1/sqrt(1-x^2)
defderiv(arccos_p, lambda ans, x: negative(reciprocal(sqrt(subtract(1.0, square(x))))))
defderiv(arctan_p, lambda ans, x: reciprocal(add(1.0, square(x))))  # 1/(1+x^2)
defderiv(sinh_p, lambda ans, x: cosh(x))
defderiv(cosh_p, lambda ans, x: sinh(x))
defderiv(tanh_p, lambda ans, x: subtract(1.0, square(ans)))  # 1 - tanh^2
defderiv(arcsinh_p, lambda ans, x: reciprocal(sqrt(add(square(x), 1.0))))  # 1/sqrt(x^2+1)
# 1/(sqrt(x-1) sqrt(x+1)): equal to 1/sqrt(x^2-1) for real x > 1, and the one that matches
# NumPy's principal branch of arccosh for complex x (1/sqrt(x^2-1) has the wrong sign where
# Re x < 0; found by the complex rows of the op table)
defderiv(arccosh_p, lambda ans, x: reciprocal(multiply(sqrt(subtract(x, 1.0)), sqrt(add(x, 1.0)))))
defderiv(arctanh_p, lambda ans, x: reciprocal(subtract(1.0, square(x))))  # 1/(1-x^2)

# Piecewise-constant functions: derivative zero almost everywhere.
sign_p = elementwise("sign", np.sign)
floor_p = elementwise("floor", np.floor)
ceil_p = elementwise("ceil", np.ceil)
trunc_p = elementwise("trunc", np.trunc)
rint_p = elementwise("rint", np.rint)
floor_divide_p = elementwise("floor_divide", np.floor_divide, template="({0} // {1})")
defnondiff(sign_p, floor_p, ceil_p, trunc_p, rint_p, floor_divide_p)


def sign(x: Any) -> Any:
    return sign_p.bind(x)


def floor(x: Any) -> Any:
    return floor_p.bind(x)


# d|x| = sign(x) (real); zero at the kink, as in JAX and autograd. For complex z the tangent
# map t -> Re(conj(z) t) / |z| is real, and its transpose (JAX's convention, no conjugation of
# the cotangent) is g -> g conj(z) / |z|, so grad(abs)(3+4j) = 0.6-0.8j as in JAX; both are 0
# at z = 0.


def _is_complex(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype if dtype is not None else np.result_type(x)).kind == "c"


def _abs_unit(ans: Any, x: Any) -> Any:
    """``conj(x) / |x|``, 0 where ``|x| == 0`` (computed without a division by zero)."""
    nonzero = greater(ans, 0.0)
    safe = _where(nonzero, ans, 1.0)
    return _where(nonzero, divide(conj_p.bind(x), safe), 0.0)


def _abs_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    ans = abs_p.bind(x)
    if type(t) is Zero:
        return ans, Zero(ans)
    if not _is_complex(x):
        return ans, _broadcast_like(multiply(t, sign(x)), ans.shape)
    return ans, _broadcast_like(real_p.bind(multiply(t, _abs_unit(ans, x))), ans.shape)


def _abs_vjp(g: Any, ans: Any, x: Any) -> Any:
    if not _is_complex(x):
        return multiply(g, sign(x))
    return multiply(g, _abs_unit(ans, x))


abs_p.jvp = _abs_jvp

round_p = Primitive("round", lambda x, *, decimals: np.round(x, decimals))
round_p.abstract_eval = lambda aval, *, decimals: aval
round_p.templates["numpy"] = "np.round({0}, {decimals})"
defnondiff(round_p)
round_p.batch = batch_elementwise(round_p)


# --------------------------------------------------------------------------------------------
# Binary math
# --------------------------------------------------------------------------------------------

power_p = elementwise("power", np.power, template="({0} ** {1})", scalar="({0} ** {1})")
power_p.impl = operator.pow  # the scalar fast path, as for the arithmetic above
arctan2_p = elementwise("arctan2", np.arctan2)
hypot_p = elementwise("hypot", np.hypot)
logaddexp_p = elementwise("logaddexp", np.logaddexp)
logaddexp2_p = elementwise("logaddexp2", np.logaddexp2)
maximum_p = elementwise("maximum", np.maximum)
minimum_p = elementwise("minimum", np.minimum)
mod_p = elementwise("mod", np.mod, template="({0} % {1})")
copysign_p = elementwise("copysign", np.copysign)


def power(x: Any, y: Any) -> Any:
    return power_p.bind(x, y)


def maximum(x: Any, y: Any) -> Any:
    return maximum_p.bind(x, y)


def _where(c: Any, x: Any, y: Any) -> Any:
    return where_p.bind(c, x, y)


def _power_dx(ans: Any, x: Any, y: Any) -> Any:
    # d x^y / dx = y x^(y-1), taken as 0 where x == 0 and y == 0 (0**0: 0, not 0 * inf = nan).
    # Elsewhere the formula stays whole, so its own derivative in y is right at y == 0 too.
    if type(y) in _PY_SCALARS:
        return 0.0 if y == 0 else multiply(y, power(x, y - 1))
    origin = logical_and_p.bind(equal(x, 0), equal(y, 0))
    safe = power(x, subtract(_where(origin, 1.0, y), 1))
    return _where(origin, 0.0, multiply(y, safe))


def _power_dy(ans: Any, x: Any, y: Any) -> Any:
    # d x^y / dy = x^y log x, taken as 0 where x == 0 (the limit for y > 0)
    safe_log = log(_where(equal(x, 0), 1.0, x))
    return _where(equal(x, 0), 0.0, multiply(ans, safe_log))


defderiv(power_p, _power_dx, _power_dy)


def _power_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if type(y) in _PY_SCALARS:
        # constant exponent (x**2, x**0.5): d x^c / dx = c x^(c-1), no guards needed
        if y == 0:
            return None
        if y == 1:
            return g
        if y == 2:
            return multiply(multiply(g, 2.0), x)
        return multiply(g, multiply(y, power(x, y - 1)))
    return multiply(g, _power_dx(ans, x, y))


def _power_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # log(x) of a negative base is NaN (the derivative in y does not exist there)
    with np.errstate(invalid="ignore", divide="ignore"):
        return multiply(g, _power_dy(ans, x, y))


defvjp_parts(power_p, _power_vjp_x, _power_vjp_y)


def _atan2_denominator(x1: Any, x2: Any) -> Any:
    return add(square(x1), square(x2))


# arctan2(x1, x2): d/dx1 = x2 / (x1^2 + x2^2), d/dx2 = -x1 / (x1^2 + x2^2)
defderiv(
    arctan2_p,
    lambda ans, x1, x2: divide(x2, _atan2_denominator(x1, x2)),
    lambda ans, x1, x2: negative(divide(x1, _atan2_denominator(x1, x2))),
)
# hypot(x, y) = sqrt(x^2 + y^2): d/dx = x / hypot, d/dy = y / hypot
defderiv(hypot_p, lambda ans, x, y: divide(x, ans), lambda ans, x, y: divide(y, ans))
# logaddexp(x, y) = log(e^x + e^y): d/dx = e^(x - ans), d/dy = e^(y - ans)
defderiv(
    logaddexp_p,
    lambda ans, x, y: exp(subtract(x, ans)),
    lambda ans, x, y: exp(subtract(y, ans)),
)
# logaddexp2(x, y) = log2(2^x + 2^y): d/dx = 2^(x - ans)
defderiv(
    logaddexp2_p,
    lambda ans, x, y: exp2_p.bind(subtract(x, ans)),
    lambda ans, x, y: exp2_p.bind(subtract(y, ans)),
)


def _select_share(mine: Any, other: Any) -> Any:
    # 1 where this argument wins, 0 where it loses, 1/2 on ties (ties split evenly)
    return _where(greater(mine, other), 1.0, _where(equal(mine, other), 0.5, 0.0))


def _share_min(mine: Any, other: Any) -> Any:
    return _where(less(mine, other), 1.0, _where(equal(mine, other), 0.5, 0.0))


defderiv(maximum_p, lambda ans, x, y: _select_share(x, y), lambda ans, x, y: _select_share(y, x))
defderiv(minimum_p, lambda ans, x, y: _share_min(x, y), lambda ans, x, y: _share_min(y, x))
# mod(x, y) = x - floor(x / y) y: d/dx = 1, d/dy = -floor(x / y)
defderiv(
    mod_p,
    lambda ans, x, y: _ones_like_weak(ans),
    lambda ans, x, y: negative(floor(divide(x, y))),
)
# copysign(x, y) = |x| sign(y)-ish: d/dx = sign(x) * sign(ans); not differentiable in y
defderiv(copysign_p, lambda ans, x, y: multiply(sign(x), sign(ans)), None)


def _ones_like_weak(ans: Any) -> Any:
    return 1.0


# --------------------------------------------------------------------------------------------
# More of NumPy's ufuncs: one block each (primitive, formula where numba lacks the ufunc,
# derivative)
# --------------------------------------------------------------------------------------------

# fmod(x, y) = x - trunc(x / y) y (C's fmod: the sign of x): d/dx = 1, d/dy = -trunc(x / y)
fmod_p = elementwise("fmod", np.fmod)
defderiv(
    fmod_p,
    lambda ans, x, y: _ones_like_weak(ans),
    lambda ans, x, y: negative(trunc_p.bind(divide(x, y))),
)

# heaviside(x, h) = 0 for x < 0, h at x == 0, 1 for x > 0 (NaN for NaN x). numba has no
# np.heaviside, so the formula says it. Piecewise constant in x (derivative 0, as in JAX);
# d/dh = 1 where x == 0, else 0.
heaviside_p = elementwise(
    "heaviside",
    np.heaviside,
    scalar="({0} if {0} != {0} else (0.0 if {0} < 0.0 else (1.0 if {0} > 0.0 else {1})))",
)
defderiv(heaviside_p, None, lambda ans, x, h: _where(equal(x, 0.0), 1.0, 0.0))


def _fmax_share(mine: Any, other: Any, wins: Any) -> Any:
    # fmax/fmin ignore a NaN operand (NumPy): the other one takes the whole derivative; else
    # as maximum/minimum: 1 where this argument wins, 1/2 on ties
    take = logical_or_p.bind(wins(mine, other), isnan_p.bind(other))
    return _where(take, 1.0, _where(equal(mine, other), 0.5, 0.0))


fmax_p = elementwise("fmax", np.fmax)
fmin_p = elementwise("fmin", np.fmin)
defderiv(
    fmax_p,
    lambda ans, x, y: _fmax_share(x, y, greater),
    lambda ans, x, y: _fmax_share(y, x, greater),
)
defderiv(
    fmin_p,
    lambda ans, x, y: _fmax_share(x, y, less),
    lambda ans, x, y: _fmax_share(y, x, less),
)

# deg2rad(x) = x pi / 180, rad2deg(x) = x 180 / pi: constant derivatives
_RAD_PER_DEG = math.pi / 180.0
deg2rad_p = elementwise("deg2rad", np.deg2rad)
rad2deg_p = elementwise("rad2deg", np.rad2deg)
defderiv(deg2rad_p, lambda ans, x: _RAD_PER_DEG)
defderiv(rad2deg_p, lambda ans, x: 1.0 / _RAD_PER_DEG)

# fabs(x) = |x| for real x (NumPy refuses complex): d/dx = sign(x), 0 at the kink as for abs
fabs_p = elementwise("fabs", np.fabs)
defderiv(fabs_p, lambda ans, x: sign(x))

# float_power(x, y) = x^y computed in float64 (or complex128). In numba, np.power of
# float64-promoted operands. Derivatives as power's, with the same guards at x == 0, but in
# float_power so that they are float64 too.
float_power_p = elementwise("float_power", np.float_power, scalar="np.power({0} * 1.0, {1})")


def _float_power_dx(ans: Any, x: Any, y: Any) -> Any:
    # d x^y / dx = y x^(y-1), 0 where x == 0 and y == 0
    if type(y) in _PY_SCALARS:
        return 0.0 if y == 0 else multiply(y, float_power_p.bind(x, y - 1))
    origin = logical_and_p.bind(equal(x, 0), equal(y, 0))
    safe = float_power_p.bind(x, subtract(_where(origin, 1.0, y), 1))
    return _where(origin, 0.0, multiply(y, safe))


def _float_power_dy(ans: Any, x: Any, y: Any) -> Any:
    # d x^y / dy = x^y log x, 0 where x == 0 (double where)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe_log = log(_where(equal(x, 0), 1.0, x))
        return _where(equal(x, 0), 0.0, multiply(ans, safe_log))


defderiv(float_power_p, _float_power_dx, _float_power_dy)

# nextafter(x, y) = x + e(x) sign(y - x), e piecewise constant: d/dx = 1 almost everywhere,
# d/dy = 0
nextafter_p = elementwise("nextafter", np.nextafter)
defderiv(nextafter_p, lambda ans, x, y: _ones_like_weak(ans), None)

# spacing(x) (the gap to the next float) and signbit(x) (a boolean) are piecewise constant
spacing_p = elementwise("spacing", np.spacing)
signbit_p = elementwise("signbit", np.signbit)


# --------------------------------------------------------------------------------------------
# Comparisons and logic (no derivative)
# --------------------------------------------------------------------------------------------

less_p = elementwise("less", np.less, template="({0} < {1})")
less_equal_p = elementwise("less_equal", np.less_equal, template="({0} <= {1})")
greater_p = elementwise("greater", np.greater, template="({0} > {1})")
greater_equal_p = elementwise("greater_equal", np.greater_equal, template="({0} >= {1})")
equal_p = elementwise("equal", np.equal, template="({0} == {1})")
not_equal_p = elementwise("not_equal", np.not_equal, template="({0} != {1})")
logical_and_p = elementwise("logical_and", np.logical_and)
logical_or_p = elementwise("logical_or", np.logical_or)
logical_xor_p = elementwise("logical_xor", np.logical_xor)
logical_not_p = elementwise("logical_not", np.logical_not)
invert_p = elementwise("invert", np.invert, template="(~{0})")
isfinite_p = elementwise("isfinite", np.isfinite)
# bitwise operations on integers and booleans (issue 13): piecewise constant, no derivative;
# numba compiles NumPy's ufuncs for them (bitwise_count has no numba implementation)
bitwise_and_p = elementwise("bitwise_and", np.bitwise_and, template="({0} & {1})")
bitwise_or_p = elementwise("bitwise_or", np.bitwise_or, template="({0} | {1})")
bitwise_xor_p = elementwise("bitwise_xor", np.bitwise_xor, template="({0} ^ {1})")
left_shift_p = elementwise("left_shift", np.left_shift)
right_shift_p = elementwise("right_shift", np.right_shift)
bitwise_count_p = elementwise("bitwise_count", np.bitwise_count)
gcd_p = elementwise("gcd", np.gcd)
lcm_p = elementwise("lcm", np.lcm)
isnan_p = elementwise("isnan", np.isnan)
isinf_p = elementwise("isinf", np.isinf)
defnondiff(
    less_p,
    less_equal_p,
    greater_p,
    greater_equal_p,
    equal_p,
    not_equal_p,
    logical_and_p,
    logical_or_p,
    logical_xor_p,
    logical_not_p,
    invert_p,
    bitwise_and_p,
    bitwise_or_p,
    bitwise_xor_p,
    left_shift_p,
    right_shift_p,
    bitwise_count_p,
    gcd_p,
    lcm_p,
    isfinite_p,
    isnan_p,
    isinf_p,
    spacing_p,
    signbit_p,
)


def less(x: Any, y: Any) -> Any:
    return less_p.bind(x, y)


def greater(x: Any, y: Any) -> Any:
    return greater_p.bind(x, y)


def equal(x: Any, y: Any) -> Any:
    return equal_p.bind(x, y)


# --------------------------------------------------------------------------------------------
# Selection, casts, complex parts, identity
# --------------------------------------------------------------------------------------------


def _where_abstract_eval(cond: ShapedArray, x: ShapedArray, y: ShapedArray) -> ShapedArray:
    try:
        shape = np.broadcast_shapes(cond.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"where: condition, x and y could not be broadcast together, got "
            f"{fmt_avals((cond, x, y))}"
        ) from None
    dtype = np.result_type(result_type_operand(x), result_type_operand(y))
    return ShapedArray(shape, dtype, x.weak_type and y.weak_type)


where_p = Primitive("where", np.where)
where_p.abstract_eval = _where_abstract_eval
where_p.templates["numpy"] = "np.where({0}, {1}, {2})"


def _where_jvp(primals: Any, tangents: Any) -> Any:
    # d where(c, x, y) = where(c, dx, dy)
    cond, x, y = primals
    ans = where_p.bind(cond, x, y)
    _, tx, ty = tangents
    if type(tx) is Zero and type(ty) is Zero:
        return ans, Zero(ans)
    tx = 0.0 if type(tx) is Zero else tx
    ty = 0.0 if type(ty) is Zero else ty
    return ans, _broadcast_like(where_p.bind(cond, tx, ty), ans.shape)


where_p.jvp = _where_jvp
where_p.vjp = lambda g, ans, cond, x, y: (
    None,
    where_p.bind(cond, g, 0.0),
    where_p.bind(cond, 0.0, g),
)
where_p.transpose = where_p.vjp
where_p.batch = batch_elementwise(where_p)


def _convert_impl(x: Any, *, dtype: Any, weak: bool = False) -> Any:
    if not hasattr(x, "astype"):
        x = np.asarray(x)  # a Python scalar (arrays of every namespace have astype)
    return x.astype(dtype, copy=False)


convert_element_type_p = Primitive("convert_element_type", _convert_impl)
convert_element_type_p.abstract_eval = lambda aval, *, dtype, weak=False: ShapedArray(
    aval.shape, dtype, weak
)
convert_element_type_p.templates["numpy"] = "{0}.astype(np.{dtype})"


def convert_element_type(x: Any, dtype: Any, weak: bool = False) -> Any:
    """Cast ``x`` to ``dtype`` (differentiable between inexact dtypes)."""
    return convert_element_type_p.bind(x, dtype=np.dtype(dtype), weak=weak)


def _convert_jvp(primals: Any, tangents: Any, *, dtype: Any, weak: bool = False) -> Any:
    ans = convert_element_type_p.bind(primals[0], dtype=dtype, weak=weak)
    t = tangents[0]
    if type(t) is Zero or np.dtype(dtype).kind not in "fc":
        return ans, Zero(ans)
    return ans, convert_element_type_p.bind(t, dtype=dtype, weak=weak)


convert_element_type_p.jvp = _convert_jvp
# The backward pass casts the cotangent back to the argument's dtype centrally.
convert_element_type_p.vjp = lambda g, ans, x, *, dtype, weak=False: (g,)
convert_element_type_p.batch = batch_elementwise(convert_element_type_p)


def _complex_part(name: str, fn: Any) -> Primitive:
    prim = Primitive(name, fn)
    prim.abstract_eval = lambda aval: ShapedArray(
        aval.shape, np.empty((), aval.dtype).real.dtype, aval.weak_type
    )
    prim.templates["numpy"] = f"np.{name}({{0}})"
    prim.batch = batch_elementwise(prim)
    return prim


real_p = _complex_part("real", np.real)
imag_p = _complex_part("imag", np.imag)
conj_p = elementwise("conjugate", np.conjugate)


def real(x: Any) -> Any:
    return real_p.bind(x)


# Complex parts are linear; cotangents follow JAX's convention (transpose, no conjugation).
real_p.jvp = lambda primals, tangents: (
    real_p.bind(primals[0]),
    tangents[0] if type(tangents[0]) is Zero else real_p.bind(tangents[0]),
)
real_p.vjp = lambda g, ans, x: (g,)
imag_p.jvp = lambda primals, tangents: (
    imag_p.bind(primals[0]),
    tangents[0] if type(tangents[0]) is Zero else imag_p.bind(tangents[0]),
)
imag_p.vjp = lambda g, ans, x: (multiply(g, -1j),)
conj_p.jvp = lambda primals, tangents: (
    conj_p.bind(primals[0]),
    tangents[0] if type(tangents[0]) is Zero else conj_p.bind(tangents[0]),
)
conj_p.vjp = lambda g, ans, x: (conj_p.bind(g),)

copy_p = Primitive("copy", np.copy)
copy_p.abstract_eval = lambda aval: aval
copy_p.templates["numpy"] = "np.copy({0})"
copy_p.jvp = lambda primals, tangents: (copy_p.bind(primals[0]), tangents[0])
copy_p.vjp = lambda g, ans, x: (g,)
copy_p.batch = batch_elementwise(copy_p)

# stop_gradient: the identity whose derivative is zero.
stop_gradient_p = Primitive("stop_gradient", lambda x: x)
stop_gradient_p.abstract_eval = lambda aval: aval
stop_gradient_p.templates["numpy"] = "{0}"
defnondiff(stop_gradient_p)
stop_gradient_p.batch = batch_elementwise(stop_gradient_p)

defvjp_parts(abs_p, _abs_vjp)  # after conj_p / real_p (defined above)
