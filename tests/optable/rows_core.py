"""Op-table rows for the core primitives: elementwise, reductions, shape, indexing, call prims.

Inputs are drawn inside each function's smooth domain, away from kinks, poles and ties by much
more than the finite-difference step. Shapes cover scalars, vectors, matrices, broadcasting
pairs and size-0 arrays; a few rows run in float32.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import fluxion
import fluxion.numpy as fnp
from fluxion._src import custom
from fluxion._src.prims import elementwise as ew
from fluxion._src.prims import indexing as ix
from fluxion._src.prims import reduce as rd
from fluxion._src.prims import shape as sh
from optable import OpCase

F64 = np.float64
F32 = np.float32

Maker = Callable[[np.random.Generator], Any]


# --------------------------------------------------------------------------------------------
# Input makers
# --------------------------------------------------------------------------------------------


def uniform(shape: tuple, lo: float = -1.0, hi: float = 1.0, dtype: Any = F64) -> Maker:
    """Uniform values in [lo, hi]."""
    return lambda rng: rng.uniform(lo, hi, shape).astype(dtype)


def away(shape: tuple, lo: float = 0.3, hi: float = 1.5, dtype: Any = F64) -> Maker:
    """Magnitudes in [lo, hi] with random signs (away from zero)."""

    def make(rng: np.random.Generator) -> np.ndarray:
        sign = rng.choice(np.array([-1.0, 1.0]), size=shape)
        return (rng.uniform(lo, hi, shape) * sign).astype(dtype)

    return make


def distinct(shape: tuple, dtype: Any = F64) -> Maker:
    """Values at least 0.1 apart from each other (no ties for max, min, sorting)."""

    def make(rng: np.random.Generator) -> np.ndarray:
        n = int(np.prod(shape, dtype=np.int64))
        values = 0.1 * rng.permutation(n) - 0.05 * n + rng.uniform(0.0, 0.02, n)
        return values.reshape(shape).astype(dtype)

    return make


def off_grid(shape: tuple, step: float = 1.0, dtype: Any = F64) -> Maker:
    """Values at least 0.1 * step away from every multiple of step / 2 (floor, round, mod)."""

    def make(rng: np.random.Generator) -> np.ndarray:
        base = rng.integers(-4, 4, shape) * (step / 2)
        return (base + rng.uniform(0.1, 0.4, shape) * step).astype(dtype)

    return make


def const(value: Any) -> Maker:
    return lambda rng: value


def args(*makers: Maker) -> Callable[[np.random.Generator], tuple]:
    return lambda rng: tuple(m(rng) for m in makers)


ROWS: list[OpCase] = []


def row(
    name: str, fn: Callable, ref: Callable | None, make: Callable, prims: tuple, **kw: Any
) -> None:
    ROWS.append(OpCase(name=name, fn=fn, ref=ref, make_args=make, prims=tuple(prims), **kw))


# --------------------------------------------------------------------------------------------
# Elementwise unary
# --------------------------------------------------------------------------------------------

SHAPES = [(), (4,), (2, 3)]

# name, fluxion function, reference, primitive, input maker (shape, dtype) -> Maker
UNARY = [
    ("negative", fnp.negative, np.negative, ew.negative_p, lambda s, d: uniform(s, -2, 2, d)),
    ("abs", fnp.abs, np.abs, ew.abs_p, lambda s, d: away(s, 0.2, 2, d)),
    ("exp", fnp.exp, np.exp, ew.exp_p, lambda s, d: uniform(s, -2, 2, d)),
    ("exp2", fnp.exp2, np.exp2, ew.exp2_p, lambda s, d: uniform(s, -2, 2, d)),
    ("expm1", fnp.expm1, np.expm1, ew.expm1_p, lambda s, d: uniform(s, -2, 2, d)),
    ("log", fnp.log, np.log, ew.log_p, lambda s, d: uniform(s, 0.2, 3, d)),
    ("log2", fnp.log2, np.log2, ew.log2_p, lambda s, d: uniform(s, 0.2, 3, d)),
    ("log10", fnp.log10, np.log10, ew.log10_p, lambda s, d: uniform(s, 0.2, 3, d)),
    ("log1p", fnp.log1p, np.log1p, ew.log1p_p, lambda s, d: uniform(s, -0.7, 2, d)),
    ("sqrt", fnp.sqrt, np.sqrt, ew.sqrt_p, lambda s, d: uniform(s, 0.2, 3, d)),
    ("cbrt", fnp.cbrt, np.cbrt, ew.cbrt_p, lambda s, d: away(s, 0.2, 3, d)),
    ("square", fnp.square, np.square, ew.square_p, lambda s, d: uniform(s, -2, 2, d)),
    ("reciprocal", fnp.reciprocal, np.reciprocal, ew.reciprocal_p, lambda s, d: away(s, 0.3, 2, d)),
    ("sin", fnp.sin, np.sin, ew.sin_p, lambda s, d: uniform(s, -3, 3, d)),
    ("cos", fnp.cos, np.cos, ew.cos_p, lambda s, d: uniform(s, -3, 3, d)),
    ("tan", fnp.tan, np.tan, ew.tan_p, lambda s, d: uniform(s, -1.2, 1.2, d)),
    ("arcsin", fnp.arcsin, np.arcsin, ew.arcsin_p, lambda s, d: uniform(s, -0.9, 0.9, d)),
    ("arccos", fnp.arccos, np.arccos, ew.arccos_p, lambda s, d: uniform(s, -0.9, 0.9, d)),
    ("arctan", fnp.arctan, np.arctan, ew.arctan_p, lambda s, d: uniform(s, -3, 3, d)),
    ("sinh", fnp.sinh, np.sinh, ew.sinh_p, lambda s, d: uniform(s, -2, 2, d)),
    ("cosh", fnp.cosh, np.cosh, ew.cosh_p, lambda s, d: uniform(s, -2, 2, d)),
    ("tanh", fnp.tanh, np.tanh, ew.tanh_p, lambda s, d: uniform(s, -2, 2, d)),
    ("arcsinh", fnp.arcsinh, np.arcsinh, ew.arcsinh_p, lambda s, d: uniform(s, -3, 3, d)),
    ("arccosh", fnp.arccosh, np.arccosh, ew.arccosh_p, lambda s, d: uniform(s, 1.2, 3, d)),
    ("arctanh", fnp.arctanh, np.arctanh, ew.arctanh_p, lambda s, d: uniform(s, -0.8, 0.8, d)),
]

_FLOAT32_UNARY = {"exp", "log", "sin", "tanh", "sqrt", "reciprocal"}

for _name, _fn, _ref, _prim, _dom in UNARY:
    for _shape in SHAPES:
        row(f"{_name}-{_shape}", _fn, _ref, args(_dom(_shape, F64)), (_prim,))
    row(f"{_name}-(0,)", _fn, _ref, args(_dom((0,), F64)), (_prim,))
    if _name in _FLOAT32_UNARY:
        row(f"{_name}-f32-(3,)", _fn, _ref, args(_dom((3,), F32)), (_prim,))

row("absolute-(4,)", fnp.absolute, np.absolute, args(away((4,))), (ew.abs_p,))
row("positive-(4,)", fnp.positive, np.positive, args(uniform((4,))), ())


# --------------------------------------------------------------------------------------------
# Elementwise binary, with broadcasting
# --------------------------------------------------------------------------------------------

PAIRS = [((3,), (3,)), ((3, 1), (4,)), ((), (2, 3)), ((2, 3), ()), ((0,), (0,)), ((0, 2), (2,))]

# name, fluxion function, reference, primitive, maker of x, maker of y
BINARY = [
    ("add", fnp.add, np.add, ew.add_p, uniform, uniform),
    ("subtract", fnp.subtract, np.subtract, ew.subtract_p, uniform, uniform),
    ("multiply", fnp.multiply, np.multiply, ew.multiply_p, uniform, uniform),
    ("divide", fnp.divide, np.divide, ew.true_divide_p, uniform, away),
    (
        "power",
        fnp.power,
        np.power,
        ew.power_p,
        lambda s: uniform(s, 0.3, 2),
        lambda s: uniform(s, -2, 2),
    ),
    ("arctan2", fnp.arctan2, np.arctan2, ew.arctan2_p, away, away),
    ("hypot", fnp.hypot, np.hypot, ew.hypot_p, away, away),
    ("logaddexp", fnp.logaddexp, np.logaddexp, ew.logaddexp_p, uniform, uniform),
    ("logaddexp2", fnp.logaddexp2, np.logaddexp2, ew.logaddexp2_p, uniform, uniform),
    ("copysign", fnp.copysign, np.copysign, ew.copysign_p, away, away),
]

for _name, _fn, _ref, _prim, _mx, _my in BINARY:
    for _sx, _sy in PAIRS:
        row(f"{_name}-{_sx}-{_sy}", _fn, _ref, args(_mx(_sx), _my(_sy)), (_prim,))

# one operand a constant (its tangent is a symbolic zero), broadcast against the other
_CONST_X = np.array([[0.4], [-0.8], [1.3]])
_CONST_Y = np.array([0.9, -0.6, 1.2, 0.5])
for _name, _fn, _ref, _prim, _mx, _my in BINARY:
    if _name == "power":
        _cx, _cy = np.abs(_CONST_X), _CONST_Y
    else:
        _cx, _cy = _CONST_X, _CONST_Y
    row(
        f"{_name}-const-x-(3,1)-(4,)",
        lambda y, _f=_fn, _c=_cx: _f(_c, y),
        lambda y, _r=_ref, _c=_cx: _r(_c, y),
        args(_my((4,))),
        (_prim,),
    )
    row(
        f"{_name}-const-y-(3,1)-(4,)",
        lambda x, _f=_fn, _c=_cy: _f(x, _c),
        lambda x, _r=_ref, _c=_cy: _r(x, _c),
        args(_mx((3, 1))),
        (_prim,),
    )

# maximum/minimum: x and y interleaved so that no pair ties
for _name, _fn, _ref, _prim in [
    ("maximum", fnp.maximum, np.maximum, ew.maximum_p),
    ("minimum", fnp.minimum, np.minimum, ew.minimum_p),
]:
    row(
        f"{_name}-(5,)-(5,)",
        _fn,
        _ref,
        lambda rng: tuple(np.split(distinct((10,))(rng), 2)),
        (_prim,),
    )
    row(
        f"{_name}-(3,1)-(4,)",
        _fn,
        _ref,
        lambda rng: (distinct((12,))(rng)[:3].reshape(3, 1), distinct((12,))(rng)[3:7] + 0.05),
        (_prim,),
    )
    row(
        f"{_name}-()-(2,3)",
        _fn,
        _ref,
        lambda rng: (np.float64(0.055), distinct((2, 3))(rng)),
        (_prim,),
    )
    row(f"{_name}-(0,)-(0,)", _fn, _ref, args(uniform((0,)), uniform((0,))), (_prim,))

# mod: x away from multiples of y
row(
    "mod-(4,)-(4,)",
    fnp.mod,
    np.mod,
    lambda rng: (off_grid((4,), 1.0)(rng) * 1.5, np.full(4, 1.5) * rng.choice([-1.0, 1.0], 4)),
    (ew.mod_p,),
)
row(
    "mod-(3,1)-(4,)",
    fnp.mod,
    np.mod,
    lambda rng: (off_grid((3, 1))(rng) * 0.7, np.full(4, 0.7)),
    (ew.mod_p,),
)
row(
    "remainder-()-()",
    fnp.remainder,
    np.remainder,
    args(const(np.array(2.3)), const(0.7)),
    (ew.mod_p,),
)

# integer and boolean inputs: values and dtypes only (nothing to differentiate)
_ints = args(lambda rng: rng.integers(1, 5, (2, 3)), lambda rng: rng.integers(1, 5, (3,)))
row("add-int-int", fnp.add, np.add, _ints, (ew.add_p,))
row("divide-int-int", fnp.divide, np.divide, _ints, (ew.true_divide_p,))
row("floor_divide-int-int", fnp.floor_divide, np.floor_divide, _ints, (ew.floor_divide_p,),
    nondiff=True)
row("mod-int-int", fnp.mod, np.mod, _ints, (ew.mod_p,))
row("power-int-int", fnp.power, np.power, _ints, (ew.power_p,))
row(
    "maximum-int32-int64",
    fnp.maximum,
    np.maximum,
    lambda rng: (rng.integers(0, 5, 3).astype(np.int32), rng.integers(0, 5, 3)),
    (ew.maximum_p,),
)
row("sqrt-int", fnp.sqrt, np.sqrt, lambda rng: (rng.integers(1, 9, 4),), (ew.sqrt_p,))
row("abs-int8", fnp.abs, np.abs, lambda rng: (rng.integers(-9, 9, 4).astype(np.int8),), (ew.abs_p,))
row(
    "sum-bool",
    lambda m: fnp.sum(m, axis=0),
    lambda m: np.sum(m, axis=0),
    lambda rng: (rng.uniform(size=(3, 2)) > 0.5,),
    (rd.sum_p,),
)
row(
    "sum-int32", fnp.sum, np.sum, lambda rng: (rng.integers(0, 9, 4).astype(np.int32),), (rd.sum_p,)
)
row(
    "prod-int32",
    lambda n: fnp.prod(n, axis=1),
    lambda n: np.prod(n, axis=1),
    lambda rng: (rng.integers(1, 4, (2, 3)).astype(np.int32),),
    (rd.prod_p,),
)
row(
    "cumsum-int32",
    fnp.cumsum,
    np.cumsum,
    lambda rng: (rng.integers(0, 9, 4).astype(np.int32),),
    (rd.cumsum_p,),
)
row(
    "cumprod-uint8",
    fnp.cumprod,
    np.cumprod,
    lambda rng: (rng.integers(1, 4, 4).astype(np.uint8),),
    (rd.cumprod_p,),
)
row(
    "max-int",
    lambda n: fnp.max(n, axis=0),
    lambda n: np.max(n, axis=0),
    lambda rng: (rng.integers(0, 9, (3, 2)),),
    (rd.max_p,),
)
row(
    "where-int-branches",
    fnp.where,
    np.where,
    lambda rng: (rng.uniform(size=3) > 0.5, rng.integers(0, 9, 3), 7),
    (ew.where_p,),
)
row(
    "concatenate-int-float",
    lambda n, x: fnp.concatenate([n, x]),
    lambda n, x: np.concatenate([n, x]),
    lambda rng: (rng.integers(0, 9, 2), uniform((3,))(rng)),
    (ix.concatenate_p,),
)

# Python scalars are weak: they never upcast float32
row(
    "add-f32-pyscalar",
    lambda x: x + 2.0,
    lambda x: x + np.float32(2.0),
    args(uniform((3,), dtype=F32)),
    (ew.add_p,),
)
row(
    "multiply-f32-(3,1)-(4,)",
    fnp.multiply,
    np.multiply,
    args(uniform((3, 1), dtype=F32), uniform((4,), dtype=F32)),
    (ew.multiply_p,),
)
row(
    "divide-f32-pyscalar",
    lambda x: 1.5 / x,
    lambda x: np.float32(1.5) / x,
    args(away((3,), dtype=F32)),
    (ew.true_divide_p,),
)
row(
    "power-f32-(3,)-pyscalar",
    lambda x: x**3.0,
    lambda x: x ** np.float32(3.0),
    args(uniform((3,), 0.3, 2, F32)),
    (ew.power_p,),
)
row("power-int-exponent", lambda x: x**2, lambda x: x**2, args(uniform((3,))), (ew.power_p,))
row(
    "multiply-by-int-array",
    lambda x, n: x * n,
    lambda x, n: x * n,
    lambda rng: (uniform((2, 3))(rng), rng.integers(-3, 4, 3)),
    (ew.multiply_p,),
)
row(
    "multiply-f32-by-int-array",
    lambda x, n: x * n,
    lambda x, n: x * n,
    lambda rng: (uniform((3,), dtype=F32)(rng), rng.integers(-3, 4, 3)),
    (ew.multiply_p,),
)
row("add-f32-f64", fnp.add, np.add, args(uniform((3,), dtype=F32), uniform((3,))), (ew.add_p,))
row(
    "power-zero-base-int-exponent",
    lambda x, n: x**n,
    lambda x, n: x**n,
    lambda rng: (np.array([0.0, 0.7, -1.1, 0.0]), np.array([2, 3, 2, 3])),
    (ew.power_p,),
)
row(
    "power-zero-exponent",
    fnp.power,
    np.power,
    lambda rng: (uniform((3,), 0.3, 2)(rng), np.zeros(3)),
    (ew.power_p,),
)
row(
    "logaddexp-large",
    fnp.logaddexp,
    np.logaddexp,
    args(uniform((3,), 800, 801), uniform((3,), 799, 800)),
    (ew.logaddexp_p,),
)
row(
    "logaddexp2-large",
    fnp.logaddexp2,
    np.logaddexp2,
    args(uniform((3,), 1100, 1101), uniform((3,), -1, 1)),
    (ew.logaddexp2_p,),
)
row("rpow-pyscalar", lambda x: 2.0**x, lambda x: 2.0**x, args(uniform((3,))), (ew.power_p,))


# --------------------------------------------------------------------------------------------
# Non-differentiable elementwise: piecewise constant, comparisons, logic
# --------------------------------------------------------------------------------------------

for _name, _fn, _ref, _prim in [
    ("sign", fnp.sign, np.sign, ew.sign_p),
    ("floor", fnp.floor, np.floor, ew.floor_p),
    ("ceil", fnp.ceil, np.ceil, ew.ceil_p),
    ("trunc", fnp.trunc, np.trunc, ew.trunc_p),
    ("rint", fnp.rint, np.rint, ew.rint_p),
]:
    row(f"{_name}-(2,3)", _fn, _ref, args(off_grid((2, 3))), (_prim,), nondiff=True)
    row(f"{_name}-()", _fn, _ref, args(off_grid(())), (_prim,), nondiff=True)

row(
    "round-(5,)",
    lambda x: fnp.round(x, 1),
    lambda x: np.round(x, 1),
    args(off_grid((5,), 0.1)),
    (ew.round_p,),
    nondiff=True,
)
row("round-()", fnp.round, np.round, args(off_grid(())), (ew.round_p,), nondiff=True)
row(
    "floor_divide-(3,1)-(4,)",
    fnp.floor_divide,
    np.floor_divide,
    lambda rng: (off_grid((3, 1), 0.7)(rng), np.full(4, 0.7)),
    (ew.floor_divide_p,),
    nondiff=True,
)

for _name, _fn, _ref, _prim in [
    ("less", fnp.less, np.less, ew.less_p),
    ("less_equal", fnp.less_equal, np.less_equal, ew.less_equal_p),
    ("greater", fnp.greater, np.greater, ew.greater_p),
    ("greater_equal", fnp.greater_equal, np.greater_equal, ew.greater_equal_p),
    ("equal", fnp.equal, np.equal, ew.equal_p),
    ("not_equal", fnp.not_equal, np.not_equal, ew.not_equal_p),
]:
    row(
        f"{_name}-(3,1)-(4,)",
        _fn,
        _ref,
        lambda rng: (np.round(uniform((3, 1))(rng), 1), np.round(uniform((4,))(rng), 1)),
        (_prim,),
        nondiff=True,
    )
    row(
        f"{_name}-()-(2,3)",
        _fn,
        _ref,
        args(const(np.array(0.5)), uniform((2, 3))),
        (_prim,),
        nondiff=True,
    )

for _name, _fn, _ref, _prim in [
    ("logical_and", fnp.logical_and, np.logical_and, ew.logical_and_p),
    ("logical_or", fnp.logical_or, np.logical_or, ew.logical_or_p),
    ("logical_xor", fnp.logical_xor, np.logical_xor, ew.logical_xor_p),
]:
    # the booleans come from float inputs, so the derivative of the whole is checked to be 0
    row(
        f"{_name}-(3,1)-(4,)",
        lambda x, y, _f=_fn: _f(x > 0, y > 0),
        lambda x, y, _r=_ref: _r(x > 0, y > 0),
        args(away((3, 1)), away((4,))),
        (_prim, ew.greater_p),
        nondiff=True,
    )
    row(
        f"{_name}-bool-(4,)",
        _fn,
        _ref,
        lambda rng: (rng.uniform(size=4) > 0.5, rng.uniform(size=4) > 0.5),
        (_prim,),
        nondiff=True,
    )

row(
    "logical_not-(2,3)",
    lambda x: fnp.logical_not(x > 0),
    lambda x: np.logical_not(x > 0),
    args(away((2, 3))),
    (ew.logical_not_p, ew.greater_p),
    nondiff=True,
)
row(
    "invert-bool-(4,)",
    lambda x: fnp.invert(x > 0),
    lambda x: np.invert(x > 0),
    args(away((4,))),
    (ew.invert_p, ew.greater_p),
    nondiff=True,
)
row(
    "invert-int-(4,)",
    fnp.invert,
    np.invert,
    lambda rng: (rng.integers(-5, 5, 4),),
    (ew.invert_p,),
    nondiff=True,
)
row(
    "operator-lt-f32",
    lambda x, y: x < y,
    lambda x, y: x < y,
    args(uniform((3,), dtype=F32), uniform((3,), dtype=F32)),
    (ew.less_p,),
    nondiff=True,
)

_SPECIAL_VALUES = np.array([0.5, np.inf, -np.inf, np.nan, -2.0])
for _name, _fn, _ref, _prim in [
    ("isfinite", fnp.isfinite, np.isfinite, ew.isfinite_p),
    ("isnan", fnp.isnan, np.isnan, ew.isnan_p),
    ("isinf", fnp.isinf, np.isinf, ew.isinf_p),
]:
    row(f"{_name}-special-(5,)", _fn, _ref, args(const(_SPECIAL_VALUES)), (_prim,), nondiff=True)
    row(f"{_name}-(2,3)", _fn, _ref, args(uniform((2, 3))), (_prim,), nondiff=True)


# --------------------------------------------------------------------------------------------
# Selection, casts, complex parts, copies, stop_gradient
# --------------------------------------------------------------------------------------------

row(
    "where-(2,3)",
    fnp.where,
    np.where,
    lambda rng: (rng.uniform(size=(2, 3)) > 0.5, uniform((2, 3))(rng), uniform((2, 3))(rng)),
    (ew.where_p,),
)
row(
    "where-broadcast-(3,1)-(4,)-()",
    fnp.where,
    np.where,
    lambda rng: (rng.uniform(size=(3, 1)) > 0.5, uniform((4,))(rng), uniform(())(rng)),
    (ew.where_p,),
)
row(
    "where-pyscalar-branch",
    lambda c, x: fnp.where(c, x, 0.0),
    lambda c, x: np.where(c, x, 0.0),
    lambda rng: (rng.uniform(size=4) > 0.5, uniform((4,), dtype=F32)(rng)),
    (ew.where_p,),
)
row(
    "where-(0,)",
    fnp.where,
    np.where,
    lambda rng: (np.zeros(0, bool), uniform((0,))(rng), uniform((0,))(rng)),
    (ew.where_p,),
)
row(
    "clip-(5,)",
    lambda x: fnp.clip(x, -0.5, 0.5),
    lambda x: np.clip(x, -0.5, 0.5),
    args(const(np.array([-0.9, -0.2, 0.1, 0.45, 0.8]))),
    (ew.where_p, ew.less_p, ew.greater_p),
)

row(
    "clip-traced-bounds",
    fnp.clip,
    np.clip,
    args(
        const(np.array([-0.9, -0.2, 0.1, 0.45, 0.8])),
        uniform((5,), -0.6, -0.4),
        uniform((5,), 0.5, 0.7),
    ),
    (ew.where_p, ew.less_p, ew.greater_p),
)
row(
    "where-mixed-f32-f64",
    fnp.where,
    np.where,
    lambda rng: (rng.uniform(size=3) > 0.5, uniform((3,), dtype=F32)(rng), uniform(())(rng)),
    (ew.where_p,),
)
row(
    "numpy-dispatch",
    lambda x: np.sum(np.sin(x) * np.exp(x), axis=0),
    lambda x: np.sum(np.sin(x) * np.exp(x), axis=0),
    args(uniform((2, 3))),
    (ew.sin_p, ew.exp_p, ew.multiply_p, rd.sum_p),
)
row(
    "tracer-methods",
    lambda x: _tracer_methods(x),
    lambda x: _tracer_methods(x),
    args(uniform((2, 3))),
    (sh.transpose_p, sh.reshape_p, rd.sum_p, ew.true_divide_p),
)
row(
    "astype-f64-to-f32",
    lambda x: fnp.astype(x, F32),
    lambda x: x.astype(F32),
    args(uniform((2, 3))),
    (ew.convert_element_type_p,),
)
row(
    "astype-f32-to-f64",
    lambda x: fnp.astype(x, F64),
    lambda x: x.astype(F64),
    args(uniform((3,), dtype=F32)),
    (ew.convert_element_type_p,),
)
row(
    "astype-()-f32",
    lambda x: fnp.astype(x, F32),
    lambda x: x.astype(F32),
    args(uniform(())),
    (ew.convert_element_type_p,),
)
row(
    "astype-to-int",
    lambda x: fnp.astype(x, np.int64),
    lambda x: x.astype(np.int64),
    args(off_grid((4,))),
    (ew.convert_element_type_p,),
    nondiff=True,
)
row(
    "astype-int-to-f64-times-x",
    lambda n, x: fnp.astype(n, F64) * x,
    lambda n, x: n.astype(F64) * x,
    lambda rng: (rng.integers(-3, 3, 4), uniform((4,))(rng)),
    (ew.convert_element_type_p, ew.multiply_p),
)

row("copy-(2,3)", fnp.copy, np.copy, args(uniform((2, 3))), (ew.copy_p,))
row("copy-()", fnp.copy, np.copy, args(uniform(())), (ew.copy_p,))

# complex parts, through complex intermediates of real inputs
row(
    "real-of-complex",
    lambda x, y: fnp.real(fnp.exp(x + 1j * y)),
    lambda x, y: np.real(np.exp(x + 1j * y)),
    args(uniform((3,)), uniform((3,))),
    (ew.real_p, ew.exp_p, ew.multiply_p, ew.add_p),
)
row(
    "imag-of-complex",
    lambda x, y: fnp.imag(fnp.exp(x + 1j * y)),
    lambda x, y: np.imag(np.exp(x + 1j * y)),
    args(uniform((3,)), uniform((3,))),
    (ew.imag_p,),
)
row(
    "conj-of-complex",
    lambda x, y: fnp.real(fnp.conj(x + 1j * y) * (x - 2j * y)),
    lambda x, y: np.real(np.conj(x + 1j * y) * (x - 2j * y)),
    args(uniform((3,)), uniform((3,))),
    (ew.conj_p,),
)
row(
    "imag-part-only",
    lambda x, y: fnp.imag(x + 1j * y) * x,
    lambda x, y: np.imag(x + 1j * y) * x,
    args(uniform((2, 2)), uniform((2, 2))),
    (ew.imag_p,),
)
row("real-of-real-(2,3)", fnp.real, np.real, args(uniform((2, 3))), (ew.real_p,))
row("imag-of-real-(3,)", fnp.imag, np.imag, args(uniform((3,))), (ew.imag_p,))
row("conjugate-of-real-(3,)", fnp.conjugate, np.conjugate, args(uniform((3,))), (ew.conj_p,))

row(
    "stop_gradient-numpy-(3,)",
    fnp.stop_gradient,
    lambda x: x,
    args(uniform((3,))),
    (ew.stop_gradient_p,),
    nondiff=True,
)
row(
    "stop_gradient-api-tree",
    lambda x, y: fluxion.stop_gradient({"a": x, "b": (y,)}),
    lambda x, y: {"a": x, "b": (y,)},
    args(uniform((2,)), uniform(())),
    (ew.stop_gradient_p,),
    nondiff=True,
)

# --------------------------------------------------------------------------------------------
# Reductions and scans
# --------------------------------------------------------------------------------------------

_REDUCE_CASES = [
    ("all", (2, 3), None, False),
    ("axis0", (2, 3), 0, False),
    ("axis-1-keepdims", (2, 3), -1, True),
    ("axes02", (2, 3, 2), (0, 2), False),
    ("scalar", (), None, False),
]

for _name, _fn, _ref, _prim in [
    ("sum", fnp.sum, np.sum, rd.sum_p),
    ("prod", fnp.prod, np.prod, rd.prod_p),
    ("max", fnp.max, np.max, rd.max_p),
    ("min", fnp.min, np.min, rd.min_p),
]:
    for _case, _shape, _axis, _keep in _REDUCE_CASES:
        row(
            f"{_name}-{_case}-{_shape}",
            lambda x, _f=_fn, _a=_axis, _k=_keep: _f(x, axis=_a, keepdims=_k),
            lambda x, _r=_ref, _a=_axis, _k=_keep: _r(x, axis=_a, keepdims=_k),
            args(distinct(_shape)),
            (_prim,),
        )

row(
    "sum-axis-empty-tuple",
    lambda x: fnp.sum(x, axis=()),
    lambda x: np.sum(x, axis=()),
    args(uniform((2, 3))),
    (rd.sum_p,),
)
row(
    "sum-keepdims-f32",
    lambda x: fnp.sum(x, axis=(0, 2), keepdims=True),
    lambda x: np.sum(x, axis=(0, 2), keepdims=True),
    args(uniform((2, 1, 3), dtype=F32)),
    (rd.sum_p, sh.reshape_p),
)
row(
    "prod-f32-axis0",
    lambda x: fnp.prod(x, axis=0),
    lambda x: np.prod(x, axis=0),
    args(uniform((3, 2), 0.5, 1.5, F32)),
    (rd.prod_p,),
)
row(
    "min-f32-axis1-keepdims",
    lambda x: fnp.min(x, axis=1, keepdims=True),
    lambda x: np.min(x, axis=1, keepdims=True),
    args(distinct((2, 3), F32)),
    (rd.min_p,),
)
row(
    "sum-empty-(0,3)-axis0",
    lambda x: fnp.sum(x, axis=0),
    lambda x: np.sum(x, axis=0),
    args(uniform((0, 3))),
    (rd.sum_p,),
)
row("sum-empty-(0,)", fnp.sum, np.sum, args(uniform((0,))), (rd.sum_p,))
row(
    "prod-empty-(2,0)-axis1",
    lambda x: fnp.prod(x, axis=1),
    lambda x: np.prod(x, axis=1),
    args(uniform((2, 0))),
    (rd.prod_p,),
)
row(
    "sum-f32-(2,3)",
    lambda x: fnp.sum(x, axis=1),
    lambda x: np.sum(x, axis=1),
    args(uniform((2, 3), dtype=F32)),
    (rd.sum_p,),
)
row("max-f32-(5,)", fnp.max, np.max, args(distinct((5,), F32)), (rd.max_p,))
row(
    "prod-with-zero",
    lambda x: fnp.prod(x, axis=1),
    lambda x: np.prod(x, axis=1),
    lambda rng: (np.array([[0.0, 1.3, -0.7], [0.5, 0.0, 0.0]]),),
    (rd.prod_p,),
)
row(
    "sum-int-to-float-dtype",
    lambda x: fnp.sum(x, dtype=F64) * 1.0,
    lambda x: np.sum(x, dtype=F64) * 1.0,
    lambda rng: (rng.integers(0, 5, 4),),
    (rd.sum_p,),
)
row(
    "mean-axis1",
    lambda x: fnp.mean(x, axis=1),
    lambda x: np.mean(x, axis=1),
    args(uniform((2, 3))),
    (rd.sum_p, ew.true_divide_p),
)
row(
    "var-ddof1",
    lambda x: fnp.var(x, axis=0, ddof=1),
    lambda x: np.var(x, axis=0, ddof=1),
    args(uniform((4, 2))),
    (rd.sum_p,),
)
row("std-all", fnp.std, np.std, args(distinct((2, 3))), (ew.sqrt_p, rd.sum_p))

for _name, _fn, _ref, _prim in [
    ("argmax", fnp.argmax, np.argmax, rd.argmax_p),
    ("argmin", fnp.argmin, np.argmin, rd.argmin_p),
]:
    row(f"{_name}-flat-(2,3)", _fn, _ref, args(distinct((2, 3))), (_prim,), nondiff=True)
    row(
        f"{_name}-axis1-(2,3)",
        lambda x, _f=_fn: _f(x, axis=1),
        lambda x, _r=_ref: _r(x, axis=1),
        args(distinct((2, 3))),
        (_prim,),
        nondiff=True,
    )
    row(
        f"{_name}-axis0-keepdims",
        lambda x, _f=_fn: _f(x, axis=0, keepdims=True),
        lambda x, _r=_ref: _r(x, axis=0, keepdims=True),
        args(distinct((3, 2))),
        (_prim,),
        nondiff=True,
    )
    row(f"{_name}-()", _fn, _ref, args(uniform(())), (_prim,), nondiff=True)

for _name, _fn, _ref, _prim in [
    ("all", fnp.all, np.all, rd.all_p),
    ("any", fnp.any, np.any, rd.any_p),
]:
    row(
        f"{_name}-axis1-(3,2)",
        lambda x, _f=_fn: _f(x > 0, axis=1),
        lambda x, _r=_ref: _r(x > 0, axis=1),
        args(away((3, 2))),
        (_prim, ew.greater_p),
        nondiff=True,
    )
    row(
        f"{_name}-flat-keepdims",
        lambda x, _f=_fn: _f(x > 0, keepdims=True),
        lambda x, _r=_ref: _r(x > 0, keepdims=True),
        args(away((2, 2))),
        (_prim,),
        nondiff=True,
    )
    row(
        f"{_name}-empty-(0,)",
        lambda x, _f=_fn: _f(x > 0),
        lambda x, _r=_ref: _r(x > 0),
        args(uniform((0,))),
        (_prim,),
        nondiff=True,
    )

for _name, _fn, _ref, _prim in [
    ("cumsum", fnp.cumsum, np.cumsum, rd.cumsum_p),
    ("cumprod", fnp.cumprod, np.cumprod, rd.cumprod_p),
]:
    row(f"{_name}-flat-(2,3)", _fn, _ref, args(uniform((2, 3))), (_prim,))
    row(
        f"{_name}-axis0-(3,2)",
        lambda x, _f=_fn: _f(x, axis=0),
        lambda x, _r=_ref: _r(x, axis=0),
        args(uniform((3, 2))),
        (_prim,),
    )
    row(
        f"{_name}-axis-1-(2,4)",
        lambda x, _f=_fn: _f(x, axis=-1),
        lambda x, _r=_ref: _r(x, axis=-1),
        args(uniform((2, 4))),
        (_prim,),
    )
    row(f"{_name}-()", _fn, _ref, args(uniform(())), (_prim,))
    row(f"{_name}-(0,)", _fn, _ref, args(uniform((0,))), (_prim,))
row(
    "cumprod-length-1-axis",
    lambda x: fnp.cumprod(x, axis=1),
    lambda x: np.cumprod(x, axis=1),
    args(uniform((3, 1))),
    (rd.cumprod_p,),
)
row("cumprod-f32", fnp.cumprod, np.cumprod, args(uniform((4,), 0.5, 1.5, F32)), (rd.cumprod_p,))
row(
    "cumprod-with-zero",
    fnp.cumprod,
    np.cumprod,
    args(const(np.array([0.7, 0.0, -1.2, 0.0, 0.9]))),
    (rd.cumprod_p,),
)
row("cumsum-f32-(4,)", fnp.cumsum, np.cumsum, args(uniform((4,), dtype=F32)), (rd.cumsum_p,))


# --------------------------------------------------------------------------------------------
# Shape primitives and the composites built on them
# --------------------------------------------------------------------------------------------

row(
    "reshape-(2,3)-to-(3,2)",
    lambda x: fnp.reshape(x, (3, 2)),
    lambda x: np.reshape(x, (3, 2)),
    args(uniform((2, 3))),
    (sh.reshape_p,),
)
row(
    "reshape-minus1",
    lambda x: fnp.reshape(x, (-1, 2)),
    lambda x: np.reshape(x, (-1, 2)),
    args(uniform((2, 3, 2))),
    (sh.reshape_p,),
)
row(
    "reshape-()-to-(1,1)",
    lambda x: fnp.reshape(x, (1, 1)),
    lambda x: np.reshape(x, (1, 1)),
    args(uniform(())),
    (sh.reshape_p,),
)
row(
    "reshape-order-F",
    lambda x: fnp.reshape(x, (3, 2), order="F"),
    lambda x: np.reshape(x, (3, 2), order="F"),
    args(uniform((2, 3))),
    (sh.reshape_p, sh.transpose_p),
)
row(
    "reshape-(0,3)",
    lambda x: fnp.reshape(x, (3, 0)),
    lambda x: np.reshape(x, (3, 0)),
    args(uniform((0, 3))),
    (sh.reshape_p,),
)
row("ravel-(2,3)", fnp.ravel, np.ravel, args(uniform((2, 3))), (sh.reshape_p,))
row("squeeze-(1,3,1)", fnp.squeeze, np.squeeze, args(uniform((1, 3, 1))), (sh.reshape_p,))
row(
    "expand_dims-(2,3)",
    lambda x: fnp.expand_dims(x, (0, -1)),
    lambda x: np.expand_dims(x, (0, -1)),
    args(uniform((2, 3))),
    (sh.reshape_p,),
)

row("transpose-(2,3)", fnp.transpose, np.transpose, args(uniform((2, 3))), (sh.transpose_p,))
row(
    "transpose-axes-(2,3,4)",
    lambda x: fnp.transpose(x, (1, 2, 0)),
    lambda x: np.transpose(x, (1, 2, 0)),
    args(uniform((2, 3, 4))),
    (sh.transpose_p,),
)
row("transpose-(0,2)", fnp.transpose, np.transpose, args(uniform((0, 2))), (sh.transpose_p,))
row(
    "swapaxes-(2,3,1)",
    lambda x: fnp.swapaxes(x, 0, 2),
    lambda x: np.swapaxes(x, 0, 2),
    args(uniform((2, 3, 1))),
    (sh.transpose_p,),
)
row(
    "moveaxis-(2,3,4)",
    lambda x: fnp.moveaxis(x, 0, -1),
    lambda x: np.moveaxis(x, 0, -1),
    args(uniform((2, 3, 4))),
    (sh.transpose_p,),
)
row(
    "T-f32-(2,3)",
    lambda x: fnp.transpose(x) * 1.0,
    lambda x: x.T * np.float32(1.0),
    args(uniform((2, 3), dtype=F32)),
    (sh.transpose_p,),
)

row(
    "broadcast_to-(3,1)-(2,3,4)",
    lambda x: fnp.broadcast_to(x, (2, 3, 4)),
    lambda x: np.broadcast_to(x, (2, 3, 4)),
    args(uniform((3, 1))),
    (sh.broadcast_to_p,),
)
row(
    "broadcast_to-()-(2,2)",
    lambda x: fnp.broadcast_to(x, (2, 2)),
    lambda x: np.broadcast_to(x, (2, 2)),
    args(uniform(())),
    (sh.broadcast_to_p,),
)
row(
    "broadcast_to-(3,)-(0,3)",
    lambda x: fnp.broadcast_to(x, (0, 3)),
    lambda x: np.broadcast_to(x, (0, 3)),
    args(uniform((3,))),
    (sh.broadcast_to_p,),
)
row(
    "broadcast_arrays",
    lambda x, y: fnp.broadcast_arrays(x, y),
    lambda x, y: list(np.broadcast_arrays(x, y)),
    args(uniform((3, 1)), uniform((2,))),
    (sh.broadcast_to_p,),
)

row(
    "concatenate-axis0",
    lambda x, y: fnp.concatenate([x, y]),
    lambda x, y: np.concatenate([x, y]),
    args(uniform((2, 3)), uniform((1, 3))),
    (ix.concatenate_p,),
)
row(
    "concatenate-axis-1-three",
    lambda x, y, z: fnp.concatenate([x, y, z], axis=-1),
    lambda x, y, z: np.concatenate([x, y, z], axis=-1),
    args(uniform((2, 1)), uniform((2, 2)), uniform((2, 0))),
    (ix.concatenate_p,),
)
row(
    "concatenate-mixed-f32-f64",
    lambda x, y: fnp.concatenate([x, y]),
    lambda x, y: np.concatenate([x, y]),
    args(uniform((2,), dtype=F32), uniform((3,))),
    (ix.concatenate_p,),
)
row(
    "concatenate-with-constant",
    lambda x: fnp.concatenate([x, np.ones(2)]),
    lambda x: np.concatenate([x, np.ones(2)]),
    args(uniform((3,))),
    (ix.concatenate_p,),
)
row(
    "stack-axis1",
    lambda x, y: fnp.stack([x, y], axis=1),
    lambda x, y: np.stack([x, y], axis=1),
    args(uniform((2, 3)), uniform((2, 3))),
    (ix.concatenate_p, sh.reshape_p),
)
row(
    "hstack-vstack",
    lambda x, y: fnp.vstack([fnp.hstack([x, y]), fnp.hstack([y, x])]),
    lambda x, y: np.vstack([np.hstack([x, y]), np.hstack([y, x])]),
    args(uniform((2,)), uniform((2,))),
    (ix.concatenate_p,),
)

row("flip-(2,3)-all", fnp.flip, np.flip, args(uniform((2, 3))), (sh.flip_p,))
row(
    "flip-(2,3)-axis1",
    lambda x: fnp.flip(x, 1),
    lambda x: np.flip(x, 1),
    args(uniform((2, 3))),
    (sh.flip_p,),
)
row("flip-(0,)", fnp.flip, np.flip, args(uniform((0,))), (sh.flip_p,))
row(
    "fliplr-flipud",
    lambda x: fnp.flipud(fnp.fliplr(x)),
    lambda x: np.flipud(np.fliplr(x)),
    args(uniform((3, 2))),
    (sh.flip_p,),
)

row(
    "roll-(5,)",
    lambda x: fnp.roll(x, 2),
    lambda x: np.roll(x, 2),
    args(uniform((5,))),
    (sh.roll_p,),
)
row(
    "roll-(2,3)-flat",
    lambda x: fnp.roll(x, -1),
    lambda x: np.roll(x, -1),
    args(uniform((2, 3))),
    (sh.roll_p, sh.reshape_p),
)
row(
    "roll-(2,3)-two-axes",
    lambda x: fnp.roll(x, (1, -2), axis=(0, 1)),
    lambda x: np.roll(x, (1, -2), axis=(0, 1)),
    args(uniform((2, 3))),
    (sh.roll_p,),
)

row(
    "pad-constant-zero",
    lambda x: fnp.pad(x, ((1, 0), (2, 1))),
    lambda x: np.pad(x, ((1, 0), (2, 1))),
    args(uniform((2, 3))),
    (ix.pad_p,),
)
row(
    "pad-constant-traced-value",
    lambda x, c: fnp.pad(x, 1, constant_values=c),
    lambda x, c: np.pad(x, 1, constant_values=c),
    args(uniform((3,)), uniform(())),
    (ix.pad_p,),
)
row(
    "pad-constant-value",
    lambda x: fnp.pad(x, (2, 1), constant_values=0.5),
    lambda x: np.pad(x, (2, 1), constant_values=0.5),
    args(uniform((3,))),
    (ix.pad_p,),
)
row(
    "pad-edge",
    lambda x: fnp.pad(x, ((1, 2), (0, 1)), mode="edge"),
    lambda x: np.pad(x, ((1, 2), (0, 1)), mode="edge"),
    args(uniform((2, 3))),
    (ix.getitem_p,),
)
row(
    "pad-reflect",
    lambda x: fnp.pad(x, 2, mode="reflect"),
    lambda x: np.pad(x, 2, mode="reflect"),
    args(uniform((4,))),
    (ix.getitem_p,),
)
row(
    "pad-f32",
    lambda x: fnp.pad(x, 1),
    lambda x: np.pad(x, 1),
    args(uniform((2,), dtype=F32)),
    (ix.pad_p,),
)
row(
    "pad-f32-pyscalar-value",
    lambda x: fnp.pad(x, 1, constant_values=0.5),
    lambda x: np.pad(x, 1, constant_values=0.5),
    args(uniform((2,), dtype=F32)),
    (ix.pad_p,),
)

row(
    "atleast_2d-column_stack",
    lambda x, y: fnp.column_stack([x, fnp.atleast_2d(y).T]),
    lambda x, y: np.column_stack([x, np.atleast_2d(y).T]),
    args(uniform((3,)), uniform((3,))),
    (ix.concatenate_p, sh.reshape_p),
)
row(
    "stack-scalars",
    lambda x, y: fnp.stack([x, y, x]),
    lambda x, y: np.stack([x, y, x]),
    args(uniform(()), uniform(())),
    (ix.concatenate_p,),
)
row(
    "repeat-array-repeats",
    lambda x: fnp.repeat(x, np.array([1, 0, 3])),
    lambda x: np.repeat(x, np.array([1, 0, 3])),
    args(uniform((3,))),
    (ix.getitem_p,),
)
row(
    "diag-extract",
    lambda x: fnp.diag(x, -1),
    lambda x: np.diag(x, -1),
    args(uniform((3, 3))),
    (ix.getitem_p,),
)
row(
    "mean-keepdims-f32",
    lambda x: fnp.mean(x, axis=0, keepdims=True),
    lambda x: np.mean(x, axis=0, keepdims=True),
    args(uniform((3, 2), dtype=F32)),
    (rd.sum_p,),
)
row(
    "linspace-traced",
    lambda a, b: fnp.linspace(a, b, 4),
    lambda a, b: np.linspace(a, b, 4),
    args(uniform(()), uniform(())),
    (ew.add_p, ew.multiply_p, ew.subtract_p),
)
row(
    "full_like-traced",
    lambda x, c: fnp.full_like(x, c) * x,
    lambda x, c: np.full_like(x, c) * x,
    args(uniform((2, 2)), uniform(())),
    (sh.broadcast_to_p,),
)
row(
    "tile-(2,3)",
    lambda x: fnp.tile(x, (2, 1, 2)),
    lambda x: np.tile(x, (2, 1, 2)),
    args(uniform((2, 3))),
    (ix.getitem_p, sh.reshape_p),
)
row(
    "repeat-(2,3)",
    lambda x: fnp.repeat(x, 2, axis=1),
    lambda x: np.repeat(x, 2, axis=1),
    args(uniform((2, 3))),
    (ix.getitem_p,),
)
row(
    "split-(6,)",
    lambda x: fnp.split(x, 3),
    lambda x: np.split(x, 3),
    args(uniform((6,))),
    (ix.getitem_p,),
)
row(
    "array_split-(2,5)",
    lambda x: fnp.array_split(x, [1, 3], axis=1),
    lambda x: np.array_split(x, [1, 3], axis=1),
    args(uniform((2, 5))),
    (ix.getitem_p,),
)


# --------------------------------------------------------------------------------------------
# Indexing: gather, scatter-add, functional update
# --------------------------------------------------------------------------------------------

for _name, _index in [
    ("int", 1),
    ("neg-int", -1),
    ("slice", slice(1, None)),
    ("slice-step", slice(None, None, -2)),
    ("int-slice", (1, slice(0, 2))),
    ("ellipsis-newaxis", (Ellipsis, None, 0)),
    ("int-array", np.array([2, 0, 2])),
    ("int-array-2d", (np.array([[0, 1], [1, 0]]), np.array([2, 1]))),
    ("bool-mask", np.array([True, False, True])),
    ("mixed", (slice(None), np.array([0, 2, 2]))),
    ("empty-array", np.array([], dtype=np.int64)),
]:
    row(
        f"getitem-{_name}",
        lambda x, _i=_index: x[_i],
        lambda x, _i=_index: x[_i],
        args(uniform((3, 3))),
        (ix.getitem_p,),
    )

row("getitem-(0,)-slice", lambda x: x[1:], lambda x: x[1:], args(uniform((0,))), (ix.getitem_p,))
row(
    "getitem-out-of-range-slice",
    lambda x: x[2:10],
    lambda x: x[2:10],
    args(uniform((4,))),
    (ix.getitem_p,),
)
row(
    "getitem-neg-int-array",
    lambda x: x[np.array([-1, 0, -1])],
    lambda x: x[np.array([-1, 0, -1])],
    args(uniform((3, 2))),
    (ix.getitem_p,),
)
row(
    "getitem-split-advanced",
    lambda x: x[np.array([0, 2]), :, np.array([1, 1])],
    lambda x: x[np.array([0, 2]), :, np.array([1, 1])],
    args(uniform((3, 2, 3))),
    (ix.getitem_p,),
)
row(
    "getitem-newaxis-array",
    lambda x: x[None, np.array([1, 0]), ..., None],
    lambda x: x[None, np.array([1, 0]), ..., None],
    args(uniform((2, 3))),
    (ix.getitem_p,),
)
row("getitem-()-ellipsis", lambda x: x[...], lambda x: x[...], args(uniform(())), (ix.getitem_p,))
row(
    "getitem-f32-int-array",
    lambda x: x[np.array([1, 1, 0])],
    lambda x: x[np.array([1, 1, 0])],
    args(uniform((3,), dtype=F32)),
    (ix.getitem_p,),
)
row(
    "getitem-index-arg",
    lambda x, i: x[i],
    lambda x, i: x[i],
    lambda rng: (uniform((4, 2))(rng), rng.integers(0, 4, 5)),
    (ix.getitem_p,),
)
# index arrays as arguments: mapped by the vmap columns (each example reads its own indices)
_ix_2x3x4 = lambda rng: (  # noqa: E731
    uniform((2, 3, 4))(rng),
    rng.integers(0, 3, 2),
    rng.integers(-4, 4, (3, 2)),
)
for _name, _index in [
    ("adjacent-late", lambda i, j: (slice(None), i, j)),
    ("split", lambda i, j: (j[0] % 2, i, slice(None))),
    ("split-slice", lambda i, j: (i[:1] % 2, slice(None), j)),
    ("ellipsis", lambda i, j: (Ellipsis, j)),
    ("newaxis-int", lambda i, j: (None, 1, slice(1, None), j)),
]:
    row(
        f"getitem-index-args-{_name}",
        lambda x, i, j, _i=_index: ix.getitem(x, _i(i, j)),
        lambda x, i, j, _i=_index: x[_i(i, j)],
        _ix_2x3x4,
        (ix.getitem_p,),
    )
row(
    "scatter_add-index-arg",
    lambda g, i: _scatter_add(g, (slice(None), i), (2, 4)),
    lambda g, i: _scatter_add_ref(g, (slice(None), i), (2, 4)),
    lambda rng: (uniform((2, 5))(rng), rng.integers(0, 4, 5)),
    (ix.scatter_add_p,),
)
row(
    "scatter_add-split-index-args",
    lambda g, i, j: _scatter_add(g, (i, slice(None), j), (3, 2, 4)),
    lambda g, i, j: _scatter_add_ref(g, (i, slice(None), j), (3, 2, 4)),
    lambda rng: (uniform((5, 2))(rng), rng.integers(0, 3, 5), rng.integers(0, 4, 5)),
    (ix.scatter_add_p,),
)
row(
    "update-index-arg",
    lambda x, v, i: ix.update(x, (slice(None), i), v),
    lambda x, v, i: _update_ref(x, (slice(None), i), v),
    lambda rng: (uniform((2, 4))(rng), uniform((2,))(rng), rng.permutation(4)[:2]),
    (ix.update_p,),
)
row(
    "update-split-index-args",
    lambda x, v, i, j: ix.update(x, (i, slice(None), j), v),
    lambda x, v, i, j: _update_ref(x, (i, slice(None), j), v),
    lambda rng: (
        uniform((3, 2, 4))(rng),
        uniform((2, 2))(rng),
        rng.permutation(3)[:2],
        rng.permutation(4)[:2],
    ),
    (ix.update_p,),
)
row(
    "take-axis1",
    lambda x: fnp.take(x, np.array([2, 0]), axis=1),
    lambda x: np.take(x, np.array([2, 0]), axis=1),
    args(uniform((2, 3))),
    (ix.getitem_p,),
)
row(
    "take_along_axis",
    lambda x: fnp.take_along_axis(x, np.array([[1], [0]]), axis=1),
    lambda x: np.take_along_axis(x, np.array([[1], [0]]), axis=1),
    args(uniform((2, 3))),
    (ix.getitem_p,),
)
row(
    "diagonal-(3,4)",
    lambda x: fnp.diagonal(x, 1),
    lambda x: np.diagonal(x, 1),
    args(uniform((3, 4))),
    (ix.getitem_p,),
)
row("trace-(3,3)", fnp.trace, np.trace, args(uniform((3, 3))), (ix.getitem_p, rd.sum_p))
row(
    "tril-triu",
    lambda x: fnp.tril(x) + 2.0 * fnp.triu(x, 1),
    lambda x: np.tril(x) + 2.0 * np.triu(x, 1),
    args(uniform((3, 3))),
    (ew.where_p,),
)


def _scatter_add(g: Any, index: Any, shape: tuple) -> Any:
    spec, arrays = ix.parse_index(index)
    return ix.scatter_add_p.bind(g, *arrays, spec=spec, shape=shape)


def _scatter_add_ref(g: Any, index: Any, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, np.result_type(g))
    np.add.at(out, index, g)
    return out


for _name, _index, _gshape in [
    ("repeated", np.array([0, 2, 0, 0]), (4, 3)),
    ("slice", (slice(1, 3), 0), (2,)),
    ("broadcast-g", (np.array([1, 1]),), (3,)),
    ("2d-arrays", (np.array([0, 1, 0]), np.array([2, 2, 2])), (3,)),
]:
    row(
        f"scatter_add-{_name}",
        lambda g, _i=_index: _scatter_add(g, _i, (3, 3)),
        lambda g, _i=_index: _scatter_add_ref(g, _i, (3, 3)),
        args(uniform(_gshape)),
        (ix.scatter_add_p,),
    )
row(
    "scatter_add-f32",
    lambda g: _scatter_add(g, np.array([1, 1]), (3,)),
    lambda g: _scatter_add_ref(g, np.array([1, 1]), (3,)),
    args(uniform((2,), dtype=F32)),
    (ix.scatter_add_p,),
)


def _update_ref(x: np.ndarray, index: Any, v: Any) -> np.ndarray:
    out = np.array(x, dtype=np.result_type(x, v), copy=True)
    out[index] = v
    return out


for _name, _index, _vshape in [
    ("int", 1, (3,)),
    ("slice-broadcast-v", (slice(0, 2), slice(None)), (3,)),
    ("scalar-v", (0, 2), ()),
    ("int-array", np.array([2, 0]), (2, 3)),
    ("bool-mask", np.array([[True, False, True], [False, False, True], [True, True, False]]), (5,)),
]:
    row(
        f"update-{_name}",
        lambda x, v, _i=_index: ix.update(x, _i, v),
        lambda x, v, _i=_index: _update_ref(x, _i, v),
        args(uniform((3, 3)), uniform(_vshape)),
        (ix.update_p,),
    )
row(
    "update-f32-pyscalar-v",
    lambda x: ix.update(x, np.array([0, 2]), 0.5),
    lambda x: _update_ref(x, np.array([0, 2]), 0.5),
    args(uniform((3,), dtype=F32)),
    (ix.update_p,),
)
row(
    "update-repeated-index",
    lambda x, v: ix.update(x, np.array([0, 2, 0]), v),
    lambda x, v: _update_ref(x, np.array([0, 2, 0]), v),
    args(uniform((3,)), uniform((3,))),
    (ix.update_p,),
)
row(
    "update-neg-step-slice",
    lambda x, v: ix.update(x, slice(None, None, -2), v),
    lambda x, v: _update_ref(x, slice(None, None, -2), v),
    args(uniform((5,)), uniform((3,))),
    (ix.update_p,),
)
row(
    "update-split-advanced",
    lambda x, v: ix.update(x, (np.array([0, 2]), 0, np.array([1, 2])), v),
    lambda x, v: _update_ref(x, (np.array([0, 2]), 0, np.array([1, 2])), v),
    args(uniform((3, 2, 3)), uniform((2,))),
    (ix.update_p,),
)
row(
    "update-diag",
    lambda v: fnp.diag(v, 1),
    lambda v: np.diag(v, 1),
    args(uniform((3,))),
    (ix.update_p,),
)
row(
    "update-setitem-traced",
    lambda x, v: _setitem_copy(x, v),
    lambda x, v: _update_ref(x, 1, v),
    args(uniform((3,)), uniform(())),
    (ix.update_p,),
)
row(
    "update-f32",
    lambda x, v: ix.update(x, np.array([0, 2]), v),
    lambda x, v: _update_ref(x, np.array([0, 2]), v),
    args(uniform((3,), dtype=F32), uniform((2,), dtype=F32)),
    (ix.update_p,),
)


def _setitem_copy(x: Any, v: Any) -> Any:
    y = fnp.copy(x) if not isinstance(x, np.ndarray) else x.copy()
    y[1] = v
    return y


# --------------------------------------------------------------------------------------------
# Call primitives: checkpoint, custom_jvp, custom_vjp
# --------------------------------------------------------------------------------------------

# The call primitives' shape rule traces their function abstractly (staging).
_NO_CALL_SHAPE_RULE = None


@fluxion.checkpoint
def _remat_body(x: Any, y: Any) -> Any:
    return {"s": fnp.sin(x) * y, "c": fnp.cos(x * y)}


row(
    "checkpoint-tree",
    _remat_body,
    lambda x, y: {"s": np.sin(x) * y, "c": np.cos(x * y)},
    args(uniform((3,)), uniform((3,))),
    (custom.checkpoint_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)
row(
    "checkpoint-mixed-outputs",
    fluxion.checkpoint(lambda x: (fnp.sin(x), x > 0, x * 2.0)),
    lambda x: (np.sin(x), x > 0, x * 2.0),
    args(away((3,))),
    (custom.checkpoint_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)
row(
    "checkpoint-nested-grad",
    lambda x: fluxion.grad(fluxion.checkpoint(lambda z: fnp.sum(fnp.tanh(z) ** 2)))(x),
    lambda x: 2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
    args(uniform((3,))),
    (custom.checkpoint_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)


@fluxion.custom_jvp
def _softplus(x: Any) -> Any:
    return fnp.logaddexp(x, 0.0)


@_softplus.defjvp
def _softplus_jvp(primals: tuple, tangents: tuple) -> tuple:
    (x,), (t,) = primals, tangents
    return _softplus(x), t / (1.0 + fnp.exp(-x))


row(
    "custom_jvp-softplus",
    _softplus,
    lambda x: np.logaddexp(x, 0.0),
    args(uniform((4,), -3, 3)),
    (custom.custom_jvp_call_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)
row(
    "custom_jvp-f32",
    _softplus,
    lambda x: np.logaddexp(x, np.float32(0.0)),
    args(uniform((3,), dtype=F32)),
    (custom.custom_jvp_call_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)
row(
    "custom_jvp-softplus-()",
    _softplus,
    lambda x: np.logaddexp(x, 0.0),
    args(uniform(())),
    (custom.custom_jvp_call_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)


def _scaled_product(scale: float, x: Any, y: Any) -> Any:
    return scale * x * fnp.sin(y)


_custom_jvp_static = fluxion.custom_jvp(_scaled_product, nondiff_argnums=(0,))


@_custom_jvp_static.defjvp
def _scaled_product_jvp(scale: float, primals: tuple, tangents: tuple) -> tuple:
    (x, y), (tx, ty) = primals, tangents
    out = _custom_jvp_static(scale, x, y)
    return out, scale * (tx * fnp.sin(y) + x * fnp.cos(y) * ty)


row(
    "custom_jvp-nondiff_argnums",
    lambda x, y: _custom_jvp_static(1.5, x, y),
    lambda x, y: 1.5 * x * np.sin(y),
    args(uniform((3,)), uniform((3,))),
    (custom.custom_jvp_call_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)


@fluxion.custom_vjp
def _logsumexp_pair(x: Any, y: Any) -> Any:
    m = fnp.maximum(x, y)
    return m + fnp.log(fnp.exp(x - m) + fnp.exp(y - m))


def _logsumexp_pair_fwd(x: Any, y: Any) -> tuple:
    out = _logsumexp_pair(x, y)
    return out, (x, y, out)


def _logsumexp_pair_bwd(residuals: tuple, g: Any) -> tuple:
    x, y, out = residuals
    return g * fnp.exp(x - out), g * fnp.exp(y - out)


_logsumexp_pair.defvjp(_logsumexp_pair_fwd, _logsumexp_pair_bwd)

row(
    "custom_vjp-logaddexp",
    _logsumexp_pair,
    np.logaddexp,
    args(distinct((4,)), uniform((4,))),
    (custom.custom_vjp_call_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)


def _power_sum(p: float, x: Any) -> Any:
    return fnp.sum(fnp.abs(x) ** p)


_custom_vjp_static = fluxion.custom_vjp(_power_sum, nondiff_argnums=(0,))


def _power_sum_fwd(p: float, x: Any) -> tuple:
    return _custom_vjp_static(p, x), x


def _power_sum_bwd(p: float, x: Any, g: Any) -> tuple:
    return (g * p * fnp.abs(x) ** (p - 1.0) * fnp.sign(x),)


_custom_vjp_static.defvjp(_power_sum_fwd, _power_sum_bwd)

row(
    "custom_vjp-nondiff_argnums",
    lambda x: _custom_vjp_static(3.0, x),
    lambda x: np.sum(np.abs(x) ** 3.0),
    args(away((3,))),
    (custom.custom_vjp_call_p,),
    xfail=_NO_CALL_SHAPE_RULE,
)


def _tracer_methods(x: Any) -> Any:
    """Array methods and operators, on ndarrays and on tracers alike."""
    y = x.T.reshape(2, 3) - x.mean(axis=0) ** 2
    return y.sum(axis=1) / 2.0 + abs(-x).max() + x[0].dot(x[1])
