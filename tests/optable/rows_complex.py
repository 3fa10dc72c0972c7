"""Op-table rows with complex arguments: elementwise ufuncs, reductions, products and linear
algebra on complex128 (and complex64) inputs.

The op table perturbs complex arguments like real ones (``optable._is_float_leaf``): the jvp
column compares the forward derivative along a complex tangent with central differences, the
vjp column checks ``<u, J v> == <vjp(u), v>`` in the real inner product ``Re(sum(conj(a) b))``
(fluxion's and JAX's convention: the cotangent of a real loss is the conjugate of its
Wirtinger derivative d/dz), and second order runs ``check_grads``. Non-holomorphic functions
(``abs``, ``conj``, ``real``, ``angle``, ``norm`` ...) are checked as maps of R^2 that way.

Inputs stay off the branch cuts NumPy uses (``log``/``sqrt``/``power``: the negative real
axis; ``arcsin``/``arccos``/``arctanh``: real |x| > 1; ``arctan``/``arcsinh``: imaginary
|y| > 1; ``arccosh``: real x < 1), where finite differences straddle a jump.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import fluxion.numpy as fnp
from optable import OpCase

ROWS: list[OpCase] = []
C128 = np.complex128
C64 = np.complex64


def cplx(
    shape: tuple,
    re: tuple[float, float] = (-1.0, 1.0),
    im: tuple[float, float] = (-1.0, 1.0),
    im_away: bool = False,
    dtype: Any = C128,
) -> Callable[[np.random.Generator], np.ndarray]:
    """Complex values with real part in ``re`` and imaginary part in ``im`` (with a random
    sign and magnitude in ``im`` when ``im_away``: off the real axis)."""

    def make(rng: np.random.Generator) -> np.ndarray:
        x = rng.uniform(*re, shape)
        y = rng.uniform(*im, shape)
        if im_away:
            y = y * rng.choice(np.array([-1.0, 1.0]), size=shape)
        return (x + 1j * y).astype(dtype)

    return make


def _args(*makers: Callable) -> Callable[[np.random.Generator], tuple]:
    return lambda rng: tuple(m(rng) for m in makers)


def _row(name: str, fn: Callable, ref: Callable, make: Callable, **kw: Any) -> None:
    ROWS.append(OpCase(name=f"cx-{name}", fn=fn, ref=ref, make_args=make, **kw))


_WIDE = dict(re=(-1.5, 1.5), im=(-1.5, 1.5))
_RIGHT = dict(re=(0.3, 2.0), im=(-1.0, 1.0))  # off the negative real axis
_OFF_REAL = dict(re=(-0.8, 0.8), im=(0.2, 1.0), im_away=True)  # off the real axis
_OFF_IMAG = dict(re=(0.2, 1.0), im=(-0.8, 0.8))  # off the imaginary axis

# name, domain; every one of these NumPy ufuncs accepts complex input
_UNARY = [
    ("negative", _WIDE), ("positive", _WIDE), ("conjugate", _WIDE), ("conj", _WIDE),
    ("abs", _RIGHT), ("absolute", _RIGHT), ("exp", _WIDE), ("exp2", _WIDE),
    ("expm1", _WIDE), ("log", _RIGHT), ("log2", _RIGHT), ("log10", _RIGHT),
    ("log1p", dict(re=(-0.5, 1.5), im=(-1.0, 1.0))), ("sqrt", _RIGHT), ("square", _WIDE),
    ("reciprocal", _RIGHT), ("sin", _WIDE), ("cos", _WIDE), ("tan", dict(re=(-1, 1), im=(-1, 1))),
    ("arcsin", _OFF_REAL), ("arccos", _OFF_REAL), ("arctan", _OFF_IMAG), ("sinh", _WIDE),
    ("cosh", _WIDE), ("tanh", dict(re=(-1, 1), im=(-1, 1))), ("arcsinh", _OFF_IMAG),
    ("arccosh", _OFF_REAL), ("arctanh", _OFF_REAL), ("real", _WIDE), ("imag", _WIDE),
    ("angle", _RIGHT), ("real_if_close", _WIDE),
]

# real_if_close: its output dtype depends on the values, so it cannot be staged or batched
# (JAX's real_if_close is not jittable either); fluxion raises a ConcretizationError there
_VALUE_DEPENDENT = "the result's dtype depends on the input values (ConcretizationError)"
_INAPPLICABLE = {
    "real_if_close": dict.fromkeys(
        ["jit", "tape", "tier1", "vmap_axis0", "vmap_axis1"],
        _VALUE_DEPENDENT,
    )
}

for _name, _dom in _UNARY:
    for _shape in [(), (4,), (2, 3)]:
        _row(
            f"{_name}-{_shape}",
            lambda x, _n=_name: getattr(fnp, _n)(x),
            lambda x, _n=_name: getattr(np, _n)(x),
            _args(cplx(_shape, **_dom)),
            rtol=1e-12,
            atol=1e-12,
            inapplicable=dict(_INAPPLICABLE.get(_name, {})),
        )
    _row(
        f"{_name}-c64-(3,)",
        lambda x, _n=_name: getattr(fnp, _n)(x),
        lambda x, _n=_name: getattr(np, _n)(x),
        _args(cplx((3,), dtype=C64, **_dom)),
        rtol=1e-5,
        atol=1e-5,
        inapplicable=dict(_INAPPLICABLE.get(_name, {})),
    )

# a real-valued loss of a complex input: the case grad is defined for
_row("abs-squared-sum", lambda z: fnp.sum(fnp.abs(z) ** 2), lambda z: np.sum(np.abs(z) ** 2),
     _args(cplx((5,), **_RIGHT)))

# binary ufuncs, complex with complex and complex with real (mixed promotion)
_BINARY = [
    ("add", _WIDE, _WIDE), ("subtract", _WIDE, _WIDE), ("multiply", _WIDE, _WIDE),
    ("divide", _WIDE, _RIGHT), ("true_divide", _WIDE, _RIGHT), ("power", _RIGHT, _WIDE),
    ("float_power", _RIGHT, _WIDE),
]
for _name, _dx, _dy in _BINARY:
    _f = lambda x, y, _n=_name: getattr(fnp, _n)(x, y)  # noqa: E731
    _r = lambda x, y, _n=_name: getattr(np, _n)(x, y)  # noqa: E731
    _row(f"{_name}-(3,)-(3,)", _f, _r, _args(cplx((3,), **_dx), cplx((3,), **_dy)))
    _row(f"{_name}-(2,1)-(3,)", _f, _r, _args(cplx((2, 1), **_dx), cplx((3,), **_dy)))
    _row(
        f"{_name}-real-(3,)-(3,)",
        _f,
        _r,
        _args(lambda rng: rng.uniform(0.5, 2.0, 3), cplx((3,), **_dy)),
    )


# reductions and cumulative operations
def _reduce_row(name: str, **kw: Any) -> None:
    _row(
        f"{name}-{kw}",
        lambda x, _n=name: getattr(fnp, _n)(x, **kw),
        lambda x, _n=name: getattr(np, _n)(x, **kw),
        _args(cplx((3, 4), **_RIGHT)),
        rtol=1e-10,
        atol=1e-12,
    )


for _name in ["sum", "mean", "prod", "cumsum", "cumprod", "var", "std", "nansum", "nanmean",
              "trace", "diff", "average"]:
    _reduce_row(_name)
    if _name not in ("trace", "average"):
        _reduce_row(_name, axis=1)
_reduce_row("var", axis=0, ddof=1)
_reduce_row("std", axis=-1, keepdims=True)
_row("trapezoid", lambda y: fnp.trapezoid(y), lambda y: np.trapezoid(y), _args(cplx((6,))))
_row("sort_complex-distinct", fnp.sort_complex, np.sort_complex,
     lambda rng: (np.arange(5.0) * 0.3 + 1j * rng.uniform(-1, 1, 5),))


# products
_MAT = dict(re=(-1.0, 1.0), im=(-1.0, 1.0))
for _name, _shapes in [
    ("matmul", [(2, 3), (3, 4)]), ("dot", [(3,), (3,)]), ("vdot", [(4,), (4,)]),
    ("inner", [(2, 3), (4, 3)]), ("outer", [(3,), (2,)]), ("kron", [(2, 2), (2, 1)]),
    ("tensordot", [(2, 3, 4), (3, 4, 2)]), ("cross", [(3,), (3,)]), ("vecdot", [(2, 3), (3,)]),
    ("convolve", [(5,), (3,)]), ("correlate", [(5,), (3,)]),
]:
    _row(
        f"{_name}",
        lambda a, b, _n=_name: getattr(fnp, _n)(a, b),
        lambda a, b, _n=_name: getattr(np, _n)(a, b),
        _args(*(cplx(s, **_MAT) for s in _shapes)),
        rtol=1e-10,
        atol=1e-12,
    )
_row("einsum-ij,jk", lambda a, b: fnp.einsum("ij,jk->ik", a, b),
     lambda a, b: np.einsum("ij,jk->ik", a, b), _args(cplx((2, 3)), cplx((3, 2))))


# linear algebra on complex matrices: well conditioned general and Hermitian positive definite
def _general(n: int, batch: tuple = ()) -> Callable:
    def make(rng: np.random.Generator) -> np.ndarray:
        a = rng.uniform(-1, 1, batch + (n, n)) + 1j * rng.uniform(-1, 1, batch + (n, n))
        return a + 3.0 * np.eye(n)

    return make


def _hpd(n: int, batch: tuple = ()) -> Callable:
    def make(rng: np.random.Generator) -> np.ndarray:
        a = rng.uniform(-1, 1, batch + (n, n)) + 1j * rng.uniform(-1, 1, batch + (n, n))
        return a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)

    return make


def _linalg_row(name: str, fn: Callable, ref: Callable, make: Callable, **kw: Any) -> None:
    _row(f"linalg-{name}", fn, ref, make, rtol=kw.pop("rtol", 1e-9), atol=kw.pop("atol", 1e-10),
         **kw)


_linalg_row("inv", fnp.linalg.inv, np.linalg.inv, _args(_general(3)))
_linalg_row("inv-batched", fnp.linalg.inv, np.linalg.inv, _args(_general(2, (3,))))
_linalg_row("det", fnp.linalg.det, np.linalg.det, _args(_general(3)))
_linalg_row("slogdet", lambda a: tuple(fnp.linalg.slogdet(a)),
            lambda a: tuple(np.linalg.slogdet(a)), _args(_general(3)))
_linalg_row("solve", fnp.linalg.solve, np.linalg.solve, _args(_general(3), cplx((3, 2))))
_linalg_row("cholesky", fnp.linalg.cholesky, np.linalg.cholesky, _args(_hpd(3)))
_linalg_row("eigvalsh", fnp.linalg.eigvalsh, np.linalg.eigvalsh, _args(_hpd(3)))
_linalg_row("matrix_power", lambda a: fnp.linalg.matrix_power(a, 3),
            lambda a: np.linalg.matrix_power(a, 3), _args(_general(2)))
_linalg_row("multi_dot", lambda a, b, c: fnp.linalg.multi_dot([a, b, c]),
            lambda a, b, c: np.linalg.multi_dot([a, b, c]),
            _args(cplx((2, 3)), cplx((3, 3)), cplx((3, 2))))
_linalg_row("pinv", fnp.linalg.pinv, np.linalg.pinv, _args(_general(3)), rtol=1e-8)
_linalg_row("svdvals", fnp.linalg.svdvals, np.linalg.svdvals, _args(_general(3)))
_linalg_row("eigvals-abs", lambda a: fnp.sort(fnp.abs(fnp.linalg.eigvals(a))),
            lambda a: np.sort(np.abs(np.linalg.eigvals(a))), _args(_hpd(3)))
for _ord in [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]:
    _linalg_row(f"norm-matrix-{_ord}", lambda a, _o=_ord: fnp.linalg.norm(a, _o),
                lambda a, _o=_ord: np.linalg.norm(a, _o), _args(_general(3)))
for _ord in [None, 1, 2, 3, np.inf]:
    _linalg_row(f"norm-vector-{_ord}", lambda a, _o=_ord: fnp.linalg.norm(a, _o),
                lambda a, _o=_ord: np.linalg.norm(a, _o), _args(cplx((4,), **_RIGHT)))
_linalg_row("vector_norm", lambda a: fnp.linalg.vector_norm(a, axis=-1),
            lambda a: np.linalg.vector_norm(a, axis=-1), _args(cplx((2, 4), **_RIGHT)))
_linalg_row("matrix_norm", lambda a: fnp.linalg.matrix_norm(a),
            lambda a: np.linalg.matrix_norm(a), _args(_general(2, (2,))))
_linalg_row("lstsq", lambda a, b: fnp.linalg.lstsq(a, b)[0],
            lambda a, b: np.linalg.lstsq(a, b)[0], _args(cplx((5, 3)), cplx((5,))))
_linalg_row("tensorsolve", fnp.linalg.tensorsolve, np.linalg.tensorsolve,
            _args(lambda rng: _general(4)(rng).reshape(2, 2, 2, 2), cplx((2, 2))))
_linalg_row("cond", fnp.linalg.cond, np.linalg.cond, _args(_general(3)))
