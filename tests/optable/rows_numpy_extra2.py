"""Op-table rows for fluxion.numpy's second batch of NumPy functions (issue 13): NumPy 2 aliases,
NaN-ignoring reductions, average/ptp and the other differentiable composites of extra2."""

from __future__ import annotations

import numpy as np

import fluxion.numpy as fnp
from optable import OpCase
from optable.rows_core import args, distinct, uniform

ROWS: list[OpCase] = []


def row(name, fn, ref, make, **kw):  # noqa: ANN001, ANN201, ANN003
    ROWS.append(OpCase(name=name, fn=fn, ref=ref, make_args=make, **kw))


def _with_nan(shape, where):  # noqa: ANN001, ANN202
    """Uniform inputs with NaN at fixed positions (the derivative there is 0)."""
    base = uniform(shape, 0.2, 1.0)

    def make(rng):  # noqa: ANN001, ANN202
        x = np.array(base(rng))
        x[where] = np.nan
        return x

    return make


# (1) NumPy 2 aliases
row("x2-atan2", fnp.atan2, np.atan2, args(uniform((3,)), uniform((3,), 0.5, 1.0)))
row("x2-pow", fnp.pow, np.pow, args(uniform((3,), 0.5, 1.5), uniform((3,))))
row("x2-acosh", fnp.acosh, np.acosh, args(uniform((4,), 1.2, 2.0)))
row("x2-matrix_transpose", fnp.matrix_transpose, np.matrix_transpose, args(uniform((2, 3, 4))))
row("x2-vecdot-complex", fnp.vecdot, np.vecdot,
    args(uniform((2, 3), dtype=np.complex128), uniform((3,), dtype=np.complex128)))
row("x2-matvec", fnp.matvec, np.matvec, args(uniform((2, 3, 4)), uniform((4,))))
row("x2-vecmat", fnp.vecmat, np.vecmat, args(uniform((3,)), uniform((2, 3, 4))))
row("x2-cumulative_prod-initial",
    lambda x: fnp.cumulative_prod(x, axis=1, include_initial=True),
    lambda x: np.cumulative_prod(x, axis=1, include_initial=True), args(uniform((2, 3))))
row("x2-unstack", lambda x: fnp.stack(fnp.unstack(x, axis=1)[::-1]),
    lambda x: np.stack(np.unstack(x, axis=1)[::-1]), args(uniform((2, 3))))

# (2) NaN-ignoring reductions, average, ptp
_NAN = (np.array([0, 1]), np.array([1, 2]))
for _name in ("nansum", "nanmean", "nanprod", "nanstd", "nanvar"):
    row(f"x2-{_name}-axis1", lambda x, _n=_name: getattr(fnp, _n)(x, axis=1),
        lambda x, _n=_name: getattr(np, _n)(x, axis=1), args(_with_nan((3, 4), _NAN)))
row("x2-nanmax-axis0", lambda x: fnp.nanmax(x, axis=0), lambda x: np.nanmax(x, axis=0),
    args(_with_nan((3, 4), _NAN)))
row("x2-nanmin-all", fnp.nanmin, np.nanmin, args(_with_nan((3, 4), _NAN)))
row("x2-nancumsum-axis1", lambda x: fnp.nancumsum(x, axis=1),
    lambda x: np.nancumsum(x, axis=1), args(_with_nan((3, 4), _NAN)))
row("x2-nancumprod", fnp.nancumprod, np.nancumprod, args(_with_nan((3, 4), _NAN)))
row("x2-average-weights", lambda a, w: fnp.average(a, axis=1, weights=w),
    lambda a, w: np.average(a, axis=1, weights=w), args(uniform((3, 4)), uniform((4,), 0.5, 1)))
row("x2-ptp-axis0", lambda x: fnp.ptp(x, axis=0), lambda x: np.ptp(x, axis=0),
    args(distinct((3, 4))))

# (3) shape helpers
row("x2-dstack", lambda a, b: fnp.dstack([a, b]), lambda a, b: np.dstack([a, b]),
    args(uniform((2, 3)), uniform((2, 3))))
row("x2-hsplit", lambda a: fnp.hsplit(a, [1])[1], lambda a: np.hsplit(a, [1])[1],
    args(uniform((2, 3))))
row("x2-rollaxis", lambda a: fnp.rollaxis(a, 2), lambda a: np.rollaxis(a, 2),
    args(uniform((2, 3, 2))))
row("x2-resize", lambda a: fnp.resize(a, (3, 3)), lambda a: np.resize(a, (3, 3)),
    args(uniform((2, 2))))
row("x2-diagflat", lambda a: fnp.diagflat(a, 1), lambda a: np.diagflat(a, 1),
    args(uniform((2, 2))))
row("x2-block", lambda a, b: fnp.block([[a, b], [b, a]]), lambda a, b: np.block([[a, b], [b, a]]),
    args(uniform((2, 2)), uniform((2, 1))))
row("x2-c_", lambda a, b: fnp.c_[a, b], lambda a, b: np.c_[a, b],
    args(uniform((3,)), uniform((3,))))
row("x2-apply_along_axis", lambda a: fnp.apply_along_axis(lambda r: fnp.cumsum(r) * r, 1, a),
    lambda a: np.apply_along_axis(lambda r: np.cumsum(r) * r, 1, a), args(uniform((2, 3))))

# (4) elementwise helpers
row("x2-modf-frac", lambda x: fnp.modf(x)[0], lambda x: np.modf(x)[0],
    args(uniform((4,), 0.1, 0.9)))
row("x2-frexp-mantissa", lambda x: fnp.frexp(x)[0], lambda x: np.frexp(x)[0],
    args(uniform((4,), 0.6, 0.9)))
row("x2-ldexp", lambda x: fnp.ldexp(x, np.array([1, -2, 3])), lambda x: np.ldexp(x, [1, -2, 3]),
    args(uniform((3,))))
row("x2-nan_to_num", fnp.nan_to_num, np.nan_to_num, args(uniform((3,))))
row("x2-angle-complex", fnp.angle, np.angle, args(uniform((3,), 0.5, 1.0, dtype=np.complex128)))
row("x2-i0", fnp.i0, np.i0, args(uniform((5,), -3.0, 3.0)))
row("x2-divmod-rem", lambda a, b: fnp.divmod(a, b)[1], lambda a, b: np.divmod(a, b)[1],
    args(uniform((3,), 0.1, 0.4), uniform((3,), 0.5, 1.0)))

# (5) polynomials and windows
row("x2-polyadd", fnp.polyadd, np.polyadd, args(uniform((3,)), uniform((2,))))
row("x2-polymul", fnp.polymul, np.polymul, args(uniform((3,)), uniform((2,))))
row("x2-polyder", lambda p: fnp.polyder(p, 2), lambda p: np.polyder(p, 2), args(uniform((4,))))
row("x2-polyint", lambda p, k: fnp.polyint(p, 2, k=[k, 2 * k]),
    lambda p, k: np.polyint(p, 2, k=[k, 2 * k]), args(uniform((3,)), uniform(())))
row("x2-polydiv-q", lambda u, v: fnp.polydiv(u, v)[0], lambda u, v: np.polydiv(u, v)[0],
    args(uniform((4,)), uniform((2,), 0.5, 1.0)),
    inapplicable={c: "polydiv trims the remainder by its concrete value (NumPy's shape rule)"
                  for c in ("vmap_axis0", "vmap_axis1", "vmap_none", "jit", "tier1", "tape",
                            "cupy")})
row("x2-kaiser-beta", lambda b: fnp.kaiser(5, b), lambda b: np.kaiser(5, b),
    args(uniform((), 1.0, 5.0)))

# (6) partition, sort_complex, unwrap
row("x2-partition", lambda x: fnp.partition(x, 2, axis=0)[2],
    lambda x: np.partition(x, 2, axis=0)[2], args(distinct((5, 3))))
row("x2-sort_complex", fnp.sort_complex, np.sort_complex,
    args(distinct((4,), dtype=np.complex128)))
row("x2-unwrap", lambda x: fnp.unwrap(x * 4.0), lambda x: np.unwrap(x * 4.0),
    args(uniform((6,), 0.0, 1.5)))
