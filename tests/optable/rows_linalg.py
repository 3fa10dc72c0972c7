"""Op-table rows for the linear-algebra primitives and the contractions built on them.

Inputs are well conditioned: general matrices are ``2 I`` plus a small random part, SPD matrices
are ``A A^T / n + I`` (distinct eigenvalues with probability one, gaps far above the
finite-difference step). Functions of eigenvectors are sign-invariant (``v * v``,
``v diag(f(w)) v^T``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg

import fluxion.numpy as fnp
import fluxion.scipy.linalg as fsl
from fluxion._src.prims import linalg as la
from optable import OpCase

F64 = np.float64
F32 = np.float32

Maker = Callable[[np.random.Generator], Any]

ROWS: list[OpCase] = []


def row(
    name: str, fn: Callable, ref: Callable | None, make: Callable, prims: tuple, **kw: Any
) -> None:
    ROWS.append(OpCase(name=name, fn=fn, ref=ref, make_args=make, prims=tuple(prims), **kw))


def args(*makers: Maker) -> Callable[[np.random.Generator], tuple]:
    return lambda rng: tuple(m(rng) for m in makers)


def normal(shape: tuple, dtype: Any = F64) -> Maker:
    return lambda rng: rng.standard_normal(shape).astype(dtype)


def well(shape: tuple, dtype: Any = F64) -> Maker:
    """General square matrices near 2 I (well conditioned, positive determinant)."""

    def make(rng: np.random.Generator) -> np.ndarray:
        n = shape[-1]
        return (rng.standard_normal(shape) / (2 * np.sqrt(n)) + 2 * np.eye(n)).astype(dtype)

    return make


def spd(shape: tuple, dtype: Any = F64) -> Maker:
    """Symmetric positive-definite matrices ``A A^T / n + I``."""

    def make(rng: np.random.Generator) -> np.ndarray:
        n = shape[-1]
        a = rng.standard_normal(shape)
        return (a @ np.swapaxes(a, -1, -2) / n + np.eye(n)).astype(dtype)

    return make


def lower(shape: tuple) -> Maker:
    return lambda rng: np.tril(well(shape)(rng))


def upper(shape: tuple) -> Maker:
    return lambda rng: np.triu(well(shape)(rng))


# --------------------------------------------------------------------------------------------
# matmul and the contractions written on it
# --------------------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
    ((2, 1, 3, 4), (5, 4, 2)),
]
for sa, sb in MATMUL_SHAPES:
    row(f"matmul-{sa}-{sb}", fnp.matmul, np.matmul, args(normal(sa), normal(sb)), (la.matmul_p,))
row(
    "matmul-f32-(3,4)-(4,2)",
    fnp.matmul,
    np.matmul,
    args(normal((3, 4), F32), normal((4, 2), F32)),
    (la.matmul_p,),
    rtol=1e-5,
    atol=1e-5,
)
row(
    "matmul-operator-(2,3,4)-(4,5)",
    lambda a, b: a @ b,
    np.matmul,
    args(normal((2, 3, 4)), normal((4, 5))),
    (la.matmul_p,),
)

for sa, sb in [((), (3,)), ((3, 4), (4,)), ((3, 4), (4, 2)), ((2, 3, 4), (5, 4, 2))]:
    row(f"dot-{sa}-{sb}", fnp.dot, np.dot, args(normal(sa), normal(sb)), ())
row(
    "tensordot-int",
    lambda a, b: fnp.tensordot(a, b, 2),
    lambda a, b: np.tensordot(a, b, 2),
    args(normal((3, 4, 5)), normal((4, 5, 2))),
    (la.matmul_p,),
)
row(
    "tensordot-pairs",
    lambda a, b: fnp.tensordot(a, b, ([0, 2], [2, 0])),
    lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0])),
    args(normal((3, 4, 5)), normal((5, 2, 3))),
    (la.matmul_p,),
)
row("outer-(2,2)-(3,)", fnp.outer, np.outer, args(normal((2, 2)), normal((3,))), ())
row("inner-(2,3)-(4,3)", fnp.inner, np.inner, args(normal((2, 3)), normal((4, 3))), ())
row("vdot-(2,3)-(6,)", fnp.vdot, np.vdot, args(normal((2, 3)), normal((6,))), (la.matmul_p,))
row("kron-(2,3)-(2,2)", fnp.kron, np.kron, args(normal((2, 3)), normal((2, 2))), ())
row("kron-(3,)-(2,2)", fnp.kron, np.kron, args(normal((3,)), normal((2, 2))), ())
row(
    "vander-decreasing",
    lambda x: fnp.vander(x, 4),
    lambda x: np.vander(x, 4),
    args(normal((3,))),
    (),
)
row(
    "vander-at-zero",
    lambda x: fnp.vander(x, 3, increasing=True),
    lambda x: np.vander(x, 3, increasing=True),
    lambda rng: (np.array([0.0, 0.7, -1.2]),),
    (),
)

# --------------------------------------------------------------------------------------------
# einsum
# --------------------------------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("...ij,...jk", [(1, 3, 4), (2, 4, 5)]),
    ("ii,ij,j", [(4, 4), (4, 3), (3,)]),
    ("ii->i", [(3, 3)]),
    ("ij,ij->j", [(1, 3), (2, 3)]),
    ("ij,k->jk", [(2, 3), (4,)]),
    ("ijk->kij", [(2, 3, 4)]),
    ("ij->", [(2, 3)]),
]
for spec, shapes in EINSUM_CASES:
    row(
        f"einsum-{spec}-{'-'.join(map(str, shapes))}",
        lambda *xs, spec=spec: fnp.einsum(spec, *xs),
        lambda *xs, spec=spec: np.einsum(spec, *xs),
        args(*(normal(s) for s in shapes)),
        (la.einsum_p,),
    )

# --------------------------------------------------------------------------------------------
# solve, inv, det, slogdet
# --------------------------------------------------------------------------------------------

row(
    "solve-vector-b",
    fnp.linalg.solve,
    np.linalg.solve,
    args(well((4, 4)), normal((4,))),
    (la.solve_p,),
)
row(
    "solve-batched-a-vector-b",
    fnp.linalg.solve,
    np.linalg.solve,
    args(well((2, 4, 4)), normal((4,))),
    (la.solve_p,),
)
row(
    "solve-matrix-b",
    fnp.linalg.solve,
    np.linalg.solve,
    args(well((4, 4)), normal((4, 3))),
    (la.solve_p,),
)
row(
    "solve-broadcast-batch",
    fnp.linalg.solve,
    np.linalg.solve,
    args(well((2, 1, 3, 3)), normal((4, 3, 2))),
    (la.solve_p,),
)
row(
    "solve-f32",
    fnp.linalg.solve,
    np.linalg.solve,
    args(well((3, 3), F32), normal((3, 2), F32)),
    (la.solve_p,),
    rtol=1e-5,
    atol=1e-5,
)
row("inv-(3,3)", fnp.linalg.inv, np.linalg.inv, args(well((3, 3))), (la.inv_p,))
row("inv-(2,3,3)", fnp.linalg.inv, np.linalg.inv, args(well((2, 3, 3))), (la.inv_p,))
row("det-(3,3)", fnp.linalg.det, np.linalg.det, args(well((3, 3))), (la.det_p,))
row("det-(2,4,4)", fnp.linalg.det, np.linalg.det, args(well((2, 4, 4))), (la.det_p,))
row(
    "slogdet-(2,3,3)",
    lambda a: tuple(fnp.linalg.slogdet(a)),
    lambda a: tuple(np.linalg.slogdet(a)),
    args(well((2, 3, 3))),
    (la.slogdet_p,),
)
row(
    "slogdet-negative-det",
    lambda a: tuple(fnp.linalg.slogdet(a)),
    lambda a: tuple(np.linalg.slogdet(a)),
    lambda rng: (well((3, 3))(rng) * np.array([[-1.0], [1.0], [1.0]]),),
    (la.slogdet_p,),
)

# --------------------------------------------------------------------------------------------
# cholesky and triangular solves
# --------------------------------------------------------------------------------------------

row("cholesky-(4,4)", fnp.linalg.cholesky, np.linalg.cholesky, args(spd((4, 4))), (la.cholesky_p,))
row(
    "cholesky-(2,3,3)",
    fnp.linalg.cholesky,
    np.linalg.cholesky,
    args(spd((2, 3, 3))),
    (la.cholesky_p,),
)
row(
    "cholesky-upper",
    lambda a: fnp.linalg.cholesky(a, upper=True),
    lambda a: np.linalg.cholesky(a, upper=True),
    args(spd((3, 3))),
    (la.cholesky_p,),
)
row(
    "cholesky-primitive-of-gram",
    lambda a: la.cholesky(a @ la.matrix_transpose(a) + np.eye(3)),
    lambda a: np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + np.eye(3)),
    args(normal((2, 3, 3))),
    (la.cholesky_p, la.matmul_p),
)
row(
    "cho_solve",
    lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b),
    lambda a, b: scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), b),
    args(spd((4, 4)), normal((4, 2))),
    (la.cholesky_p, la.triangular_solve_p),
)

TRIANGULAR_CASES = [
    ("lower", lower((4, 4)), normal((4, 2)), {"lower": True}),
    ("upper-vector-b", upper((4, 4)), normal((4,)), {}),
    ("lower-trans", lower((4, 4)), normal((4, 3)), {"lower": True, "trans": 1}),
    ("upper-trans-T", upper((3, 3)), normal((3,)), {"trans": "T"}),
    ("lower-unit", lower((4, 4)), normal((4, 2)), {"lower": True, "unit_diagonal": True}),
    ("upper-unit-trans", upper((3, 3)), normal((3, 2)), {"unit_diagonal": True, "trans": 1}),
]
for label, make_a, make_b, kw in TRIANGULAR_CASES:
    row(
        f"solve_triangular-{label}",
        lambda a, b, kw=kw: fsl.solve_triangular(a, b, **kw),
        lambda a, b, kw=kw: scipy.linalg.solve_triangular(a, b, **kw),
        args(make_a, make_b),
        (la.triangular_solve_p,),
    )
row(
    "triangular_solve-batched",
    lambda a, b: la.triangular_solve(a, b, lower=True, transpose_a=True),
    lambda a, b: np.linalg.solve(np.swapaxes(a, -1, -2), b),
    args(lower((2, 1, 3, 3)), normal((4, 3, 2))),
    (la.triangular_solve_p,),
)

# --------------------------------------------------------------------------------------------
# eigh
# --------------------------------------------------------------------------------------------


def _eigh_sign_free(eigh: Callable) -> Callable:
    def fn(a: Any) -> tuple:
        w, v = eigh(a)
        return w, v * v

    return fn


def _eigh_reconstruct(eigh: Callable, exp: Callable) -> Callable:
    def fn(a: Any) -> Any:
        w, v = eigh(a)
        return (v * exp(w)[..., None, :]) @ np.swapaxes(v, -1, -2)

    return fn


row(
    "eigh-(4,4)",
    _eigh_sign_free(fnp.linalg.eigh),
    _eigh_sign_free(np.linalg.eigh),
    args(spd((4, 4))),
    (la.eigh_p,),
    atol=1e-8,
)
row(
    "eigh-upper-(3,3)",
    _eigh_sign_free(lambda a: fnp.linalg.eigh(a, "U")),
    _eigh_sign_free(lambda a: np.linalg.eigh(a, "U")),
    args(spd((3, 3))),
    (la.eigh_p,),
    atol=1e-8,
)
row(
    "eigh-reconstruct-(2,3,3)",
    _eigh_reconstruct(fnp.linalg.eigh, fnp.exp),
    _eigh_reconstruct(np.linalg.eigh, np.exp),
    args(spd((2, 3, 3))),
    (la.eigh_p,),
    atol=1e-8,
)
row("eigvalsh-(3,3)", fnp.linalg.eigvalsh, np.linalg.eigvalsh, args(normal((3, 3))), (la.eigh_p,))

# --------------------------------------------------------------------------------------------
# Composites in fluxion.numpy.linalg
# --------------------------------------------------------------------------------------------

for ord_ in [None, 1, 3.0, np.inf]:
    row(
        f"norm-vector-{ord_}",
        lambda x, o=ord_: fnp.linalg.norm(x, o),
        lambda x, o=ord_: np.linalg.norm(x, o),
        args(normal((5,))),
        (),
    )
for ord_ in ["fro", 1, np.inf, 2, -2, "nuc"]:
    row(
        f"norm-matrix-{ord_}",
        lambda x, o=ord_: fnp.linalg.norm(x, o, axis=(1, 2)),
        lambda x, o=ord_: np.linalg.norm(x, o, axis=(1, 2)),
        args(normal((2, 4, 3))),
        (),
    )
row(
    "matrix_power-5",
    lambda a: fnp.linalg.matrix_power(a, 5),
    lambda a: np.linalg.matrix_power(a, 5),
    args(well((3, 3))),
    (la.matmul_p,),
)
row(
    "matrix_power-neg2",
    lambda a: fnp.linalg.matrix_power(a, -2),
    lambda a: np.linalg.matrix_power(a, -2),
    args(well((2, 3, 3))),
    (la.inv_p, la.matmul_p),
)
row(
    "multi_dot",
    lambda a, b, c: fnp.linalg.multi_dot([a, b, c]),
    lambda a, b, c: np.linalg.multi_dot([a, b, c]),
    args(normal((3,)), normal((3, 4)), normal((4, 2))),
    (la.matmul_p,),
)
