"""Op-table rows for NumPy ufuncs added as one block each in ``prims/elementwise.py`` (fmod,
heaviside, fmax, fmin, deg2rad/radians, rad2deg/degrees, fabs, float_power, nextafter, spacing,
signbit), and ``sinc`` at its awkward point.

Smooth rows draw inputs away from kinks, jumps and ties; the ``-special`` rows put the awkward
points NumPy defines (0, -0, negative values, inf, NaN) through the value columns (impl, shape
rule, vmap, jit, tier 1, tape), where finite differences mean nothing.
"""

from __future__ import annotations

import numpy as np

import fluxion.numpy as fnp
from fluxion._src.prims import elementwise as ew
from fluxion._src.prims import special as sp
from optable import OpCase

from .rows_core import away, const, distinct, off_grid, uniform

ROWS: list[OpCase] = []

_NO_DERIVATIVE = {
    "jvp": "awkward points (inf, NaN, jumps): finite differences are undefined there",
    "vjp": "awkward points (inf, NaN, jumps): finite differences are undefined there",
    "higher_order": "awkward points (inf, NaN, jumps): finite differences are undefined there",
}


def _args(*makers):
    return lambda rng: tuple(m(rng) for m in makers)


def _row(name, fn, ref, make, prims, **kw) -> None:
    ROWS.append(OpCase(name=name, fn=fn, ref=ref, make_args=make, prims=tuple(prims), **kw))


def _special(name, fn, ref, values, prims, **kw) -> None:
    """A row at fixed awkward values: value columns only."""
    with np.errstate(all="ignore"):
        _row(
            f"{name}-special",
            fn,
            ref,
            _args(*(const(np.asarray(v, dtype=np.float64)) for v in values)),
            prims,
            inapplicable=dict(_NO_DERIVATIVE),
            **kw,
        )


# --------------------------------------------------------------------------------------------
# Unary
# --------------------------------------------------------------------------------------------

_UNARY = [
    ("deg2rad", fnp.deg2rad, np.deg2rad, ew.deg2rad_p, lambda s: uniform(s, -200, 200), False),
    ("radians", fnp.radians, np.radians, ew.deg2rad_p, lambda s: uniform(s, -200, 200), False),
    ("rad2deg", fnp.rad2deg, np.rad2deg, ew.rad2deg_p, lambda s: uniform(s, -3, 3), False),
    ("degrees", fnp.degrees, np.degrees, ew.rad2deg_p, lambda s: uniform(s, -3, 3), False),
    ("fabs", fnp.fabs, np.fabs, ew.fabs_p, lambda s: away(s, 0.2, 2), False),
    ("spacing", fnp.spacing, np.spacing, ew.spacing_p, lambda s: away(s, 0.2, 2), True),
    ("signbit", fnp.signbit, np.signbit, ew.signbit_p, lambda s: away(s, 0.2, 2), True),
]

for _name, _fn, _ref, _prim, _dom, _nondiff in _UNARY:
    for _shape in [(), (4,), (2, 3), (0,)]:
        _row(f"{_name}-{_shape}", _fn, _ref, _args(_dom(_shape)), (_prim,), nondiff=_nondiff)

_row("deg2rad-f32-(3,)", fnp.deg2rad, np.deg2rad, _args(uniform((3,), dtype=np.float32)),
     (ew.deg2rad_p,))
_row("fabs-int-(4,)", fnp.fabs, np.fabs, lambda rng: (rng.integers(-5, 5, 4),), (ew.fabs_p,))

_AWKWARD = [0.0, -0.0, -1.5, np.inf, -np.inf, np.nan, 1e308, 5e-324]
for _name, _fn, _ref, _prim, _, _nondiff in _UNARY:
    _special(_name, _fn, _ref, [_AWKWARD], (_prim,), nondiff=_nondiff)


# --------------------------------------------------------------------------------------------
# Binary
# --------------------------------------------------------------------------------------------

_PAIRS = [((3,), (3,)), ((3, 1), (4,)), ((), (2, 3)), ((0,), (0,))]

# fmod: x away from the multiples of y (the jumps of the derivative in y)
for _sx, _sy in _PAIRS:
    _row(
        f"fmod-{_sx}-{_sy}",
        fnp.fmod,
        np.fmod,
        lambda rng, _sx=_sx, _sy=_sy: (
            off_grid(_sx, 1.4)(rng),
            np.full(_sy, 0.7) * rng.choice([-1.0, 1.0], _sy),
        ),
        (ew.fmod_p,),
    )
_row("fmod-int-int", fnp.fmod, np.fmod,
     lambda rng: (rng.integers(-9, 9, (2, 3)), rng.integers(1, 4, (3,))), (ew.fmod_p,))
_special("fmod", fnp.fmod, np.fmod,
         [[0.0, -0.0, 5.5, -5.5, np.inf, np.nan, 3.0, 2.0],
          [2.0, 2.0, 0.0, -2.0, 2.0, 2.0, np.inf, np.nan]], (ew.fmod_p,))

# heaviside: x away from 0 (smooth: derivative 0 in x, 0 in h), and the point x == 0 itself
for _sx, _sy in _PAIRS:
    _row(f"heaviside-{_sx}-{_sy}", fnp.heaviside, np.heaviside,
         _args(away(_sx), uniform(_sy)), (ew.heaviside_p,))
# at x == 0 (x held fixed: the jump) the value is h, with derivative 1 in h
_ZEROS = np.array([0.0, -0.0, 0.0])
_row("heaviside-at-zero", lambda h: fnp.heaviside(_ZEROS, h), lambda h: np.heaviside(_ZEROS, h),
     _args(uniform((3,))), (ew.heaviside_p,))
_special("heaviside", fnp.heaviside, np.heaviside,
         [[-1.0, 0.0, -0.0, 2.0, np.nan, -np.inf, np.inf, 0.0],
          [0.5, 0.5, 0.25, 0.5, 0.5, 0.5, 0.5, np.nan]], (ew.heaviside_p,))

# fmax / fmin: interleaved values (no ties), and NaN operands (the other one wins)
for _name, _fn, _ref, _prim in [("fmax", fnp.fmax, np.fmax, ew.fmax_p),
                                ("fmin", fnp.fmin, np.fmin, ew.fmin_p)]:
    _row(f"{_name}-(5,)-(5,)", _fn, _ref,
         lambda rng: tuple(np.split(distinct((10,))(rng), 2)), (_prim,))
    _row(f"{_name}-(3,1)-(4,)", _fn, _ref,
         lambda rng: (distinct((12,))(rng)[:3].reshape(3, 1), distinct((12,))(rng)[3:7] + 0.05),
         (_prim,))
    _row(f"{_name}-()-(2,3)", _fn, _ref,
         lambda rng: (np.float64(0.055), distinct((2, 3))(rng)), (_prim,))
    _row(f"{_name}-(0,)-(0,)", _fn, _ref, _args(uniform((0,)), uniform((0,))), (_prim,))
    _row(f"{_name}-int-int", _fn, _ref,
         lambda rng: (rng.integers(0, 9, 5), rng.integers(0, 9, 5)), (_prim,))
    # a NaN in one operand: the derivative goes wholly to the other (smooth there)
    _row(f"{_name}-nan-operand", _fn, _ref,
         lambda rng: (uniform((4,))(rng), np.array([np.nan, 0.3, np.nan, -0.2])),
         (_prim,), modes=("fwd", "rev"))
    _special(_name, _fn, _ref,
             [[np.nan, 1.0, np.nan, -np.inf, 0.0, 2.0],
              [1.0, np.nan, np.nan, np.inf, -0.0, 2.0]], (_prim,))
    _row(f"{_name}-complex", lambda x, y, _f=_fn: _f(x + 1j * y, y - 0.5j * x),
         lambda x, y, _r=_ref: _r(x + 1j * y, y - 0.5j * x), _args(uniform((4,)), uniform((4,))),
         (_prim,), inapplicable={
             "jvp": "complex order (lexicographic) is not differentiable",
             "vjp": "complex order (lexicographic) is not differentiable",
             "higher_order": "complex order (lexicographic) is not differentiable"})

# float_power: positive bases for derivatives; integer inputs give float64; negative bases give
# NaN for fractional exponents (as NumPy); complex operands give complex128
for _sx, _sy in _PAIRS:
    _row(f"float_power-{_sx}-{_sy}", fnp.float_power, np.float_power,
         _args(uniform(_sx, 0.3, 2), uniform(_sy, -2, 2)), (ew.float_power_p,))
_row("float_power-int-int", fnp.float_power, np.float_power,
     lambda rng: (rng.integers(1, 5, (2, 3)), rng.integers(-2, 3, (3,))), (ew.float_power_p,))
_row("float_power-f32", fnp.float_power, np.float_power,
     _args(uniform((3,), 0.3, 2, np.float32), uniform((3,), -2, 2, np.float32)),
     (ew.float_power_p,))
_special("float_power", fnp.float_power, np.float_power,
         [[-2.0, 0.0, 0.0, 2.0, -8.0, np.inf, np.nan, 0.5],
          [0.5, 0.0, -1.0, np.inf, 3.0, -1.0, 0.0, -np.inf]], (ew.float_power_p,))
_row("float_power-complex", lambda x, y: fnp.float_power(x + 1j * y, 1.5 - 0.5j),
     lambda x, y: np.float_power(x + 1j * y, 1.5 - 0.5j), _args(uniform((4,), 0.3, 2),
                                                            uniform((4,), 0.3, 2)),
     (ew.float_power_p,), inapplicable={
         "jvp": "complex output: the op table differentiates real outputs",
         "vjp": "complex output: the op table differentiates real outputs",
         "higher_order": "complex output: the op table differentiates real outputs"})
_row("float_power-complex-real-part", lambda x, y: fnp.real(fnp.float_power(x + 1j * y, 1.5)),
     lambda x, y: np.real(np.float_power(x + 1j * y, 1.5)),
     _args(uniform((4,), 0.3, 2), uniform((4,), 0.3, 2)), (ew.float_power_p,))

# nextafter: derivative 1 in x, 0 in y
for _sx, _sy in _PAIRS:
    _row(f"nextafter-{_sx}-{_sy}", fnp.nextafter, np.nextafter,
         _args(uniform(_sx), uniform(_sy, 2, 3)), (ew.nextafter_p,))
_special("nextafter", fnp.nextafter, np.nextafter,
         [[0.0, 1.0, np.inf, np.nan, -0.0, 1.0, 5e-324],
          [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, -1.0]], (ew.nextafter_p,))


# --------------------------------------------------------------------------------------------
# sinc at 0 (first derivative 0, second -pi^2/3: checked against finite differences here and
# exactly in test_op_table.test_sinc_derivatives_at_zero)
# --------------------------------------------------------------------------------------------

_row("sinc-at-zero", fnp.sinc, np.sinc, _args(const(np.array([0.0, 1e-9, -1e-9, 0.05]))),
     (sp.sinc_p,), order=3)
_special("sinc", fnp.sinc, np.sinc, [[0.0, -0.0, 1.0, -2.0, np.inf, np.nan]], (sp.sinc_p,))
