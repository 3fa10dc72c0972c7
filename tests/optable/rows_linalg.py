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

# --------------------------------------------------------------------------------------------
# Issue 13: complex inputs (as real and imaginary parts; outputs split the same way), svd, qr,
# eig and the rest of numpy.linalg. Functions of singular vectors and eigenvectors are
# invariant to their phases (U diag(f(s)) Vh, |v|^2, v diag(f(w)) v^-1).
# --------------------------------------------------------------------------------------------


def _parts(*xs: Any) -> tuple:
    out: list = []
    for x in xs:
        if np.dtype(x.dtype).kind == "c":
            out += [x.real, x.imag]
        else:
            out.append(x)
    return tuple(out)


def _cplx(fn: Callable) -> Callable:
    """fn of one complex matrix as a function of its real and imaginary parts."""
    return lambda xr, xi: fn(xr + 1j * xi)


def _eigh_c(lib: Any) -> Callable:
    def fn(a: Any) -> tuple:
        w, v = lib.linalg.eigh(a)
        vh = lib.conj(lib.swapaxes(v, -1, -2))
        return _parts(w, (v * lib.conj(v)).real, (v * lib.exp(w)[..., None, :]) @ vh)

    return fn


for shape in [(3, 3), (2, 3, 3)]:
    row(
        f"eigh-complex-{shape}",
        _cplx(_eigh_c(fnp)),
        _cplx(_eigh_c(np)),
        args(spd(shape), normal(shape)),
        (la.eigh_p,),
        atol=1e-8,
    )
row(
    "eigvalsh-complex-(3,3)",
    _cplx(fnp.linalg.eigvalsh),
    _cplx(np.linalg.eigvalsh),
    args(normal((3, 3)), normal((3, 3))),
    (la.eigh_p,),
)


def _svd_fn(lib: Any) -> Callable:
    def fn(a: Any) -> tuple:
        u, s, vh = lib.linalg.svd(a, full_matrices=False)
        return _parts(s, (u * lib.sin(s)[..., None, :]) @ vh)

    return fn


for shape in [(4, 3), (3, 4), (2, 3, 3)]:
    row(f"svd-{shape}", _svd_fn(fnp), _svd_fn(np), args(normal(shape)), (la.svd_p,), atol=1e-8)
for shape in [(4, 3), (2, 3, 4)]:
    row(
        f"svd-complex-{shape}",
        _cplx(_svd_fn(fnp)),
        _cplx(_svd_fn(np)),
        args(normal(shape), normal(shape)),
        (la.svd_p,),
        atol=1e-8,
    )
row(
    "svd-full_matrices-(3,3)",
    lambda a: _parts(*fnp.linalg.svd(a)[1:2]),
    lambda a: _parts(*np.linalg.svd(a)[1:2]),
    args(normal((3, 3))),
    (la.svd_p,),
)
row(
    "svd-compute_uv-False-(2,4,3)",
    lambda a: fnp.linalg.svd(a, compute_uv=False),
    lambda a: np.linalg.svd(a, compute_uv=False),
    args(normal((2, 4, 3))),
    (la.svd_p,),
)
row("svdvals-(3,5)", fnp.linalg.svdvals, np.linalg.svdvals, args(normal((3, 5))), (la.svd_p,))


def _qr_fn(lib: Any, mode: str) -> Callable:
    def fn(a: Any) -> tuple:
        out = lib.linalg.qr(a, mode)
        return _parts(out) if mode == "r" else _parts(*out)

    return fn


for shape, mode in [((4, 3), "reduced"), ((3, 3), "complete"), ((2, 4, 3), "r")]:
    row(
        f"qr-{mode}-{shape}",
        _qr_fn(fnp, mode),
        _qr_fn(np, mode),
        args(normal(shape)),
        (la.qr_p,),
        atol=1e-8,
    )
row(
    "qr-complex-(2,4,3)",
    _cplx(_qr_fn(fnp, "reduced")),
    _cplx(_qr_fn(np, "reduced")),
    args(normal((2, 4, 3)), normal((2, 4, 3))),
    (la.qr_p,),
    atol=1e-8,
)


def _eig_fn(lib: Any) -> Callable:
    def fn(a: Any) -> tuple:
        w, v = lib.linalg.eig(a)
        w = w.astype(complex)
        v = v.astype(complex)
        rec = lib.linalg.solve(lib.swapaxes(v, -1, -2),
                               lib.swapaxes(v * lib.sin(w)[..., None, :], -1, -2))
        return _parts(w, (v * lib.conj(v)).real, rec)

    return fn


row("eig-(3,3)", _eig_fn(fnp), _eig_fn(np), args(well((3, 3))), (la.eig_p,), atol=1e-8)
row(
    "eig-complex-(2,3,3)",
    _cplx(_eig_fn(fnp)),
    _cplx(_eig_fn(np)),
    args(well((2, 3, 3)), normal((2, 3, 3))),
    (la.eig_p,),
    atol=1e-8,
)
row(
    "eigvals-(2,3,3)",
    lambda a: _parts(fnp.linalg.eigvals(a)),
    lambda a: _parts(np.linalg.eigvals(a).astype(complex)),
    args(well((2, 3, 3))),
    (la.eig_p,),
)

for ord_ in [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]:
    row(
        f"norm-matrix-complex-{ord_}",
        _cplx(lambda x, o=ord_: fnp.linalg.norm(x, o, axis=(-2, -1))),
        _cplx(lambda x, o=ord_: np.linalg.norm(x, o, axis=(-2, -1))),
        args(normal((2, 4, 3)), normal((2, 4, 3))),
        (),
    )
for ord_ in [None, 1, 3.0, np.inf, -np.inf]:
    row(
        f"norm-vector-complex-{ord_}",
        _cplx(lambda x, o=ord_: fnp.linalg.norm(x, o, axis=-1, keepdims=True)),
        _cplx(lambda x, o=ord_: np.linalg.norm(x, o, axis=-1, keepdims=True)),
        args(normal((2, 5)), normal((2, 5))),
        (),
    )
row(
    "matrix_norm-nuc-keepdims",
    lambda x: fnp.linalg.matrix_norm(x, ord="nuc", keepdims=True),
    lambda x: np.linalg.matrix_norm(x, ord="nuc", keepdims=True),
    args(normal((2, 3, 4))),
    (la.svd_p,),
)
row(
    "vector_norm-axis01",
    lambda x: fnp.linalg.vector_norm(x, axis=(0, 1), ord=3),
    lambda x: np.linalg.vector_norm(x, axis=(0, 1), ord=3),
    args(normal((2, 3, 4))),
    (),
)
for shape in [(4, 3), (3, 4), (2, 3, 3)]:
    row(f"pinv-{shape}", fnp.linalg.pinv, np.linalg.pinv, args(normal(shape)), (la.solve_p,))
row(
    "pinv-complex-(2,4,3)",
    _cplx(lambda a: _parts(fnp.linalg.pinv(a))),
    _cplx(lambda a: _parts(np.linalg.pinv(a))),
    args(normal((2, 4, 3)), normal((2, 4, 3))),
    (la.solve_p,),
)
for bshape in [(5,), (5, 2)]:
    row(
        f"lstsq-(5,3)-{bshape}",
        lambda a, b: fnp.linalg.lstsq(a, b)[::3] + (fnp.linalg.lstsq(a, b)[1],),
        lambda a, b: np.linalg.lstsq(a, b)[::3] + (np.linalg.lstsq(a, b)[1],),
        args(normal((5, 3)), normal(bshape)),
        (la.solve_p, la.svd_p),
        inapplicable={"vmap_axis0": "lstsq takes single matrices (NumPy: 2-D a only)",
                      "vmap_axis1": "lstsq takes single matrices (NumPy: 2-D a only)",
                      "vmap_none": "lstsq takes single matrices (NumPy: 2-D a only)"},
    )
for p in [None, -2, 1, "fro", np.inf]:
    row(
        f"cond-{p}",
        lambda a, p=p: fnp.linalg.cond(a, p),
        lambda a, p=p: np.linalg.cond(a, p),
        args(well((2, 3, 3))),
        (),
    )
row(
    "matrix_rank",
    lambda a: fnp.linalg.matrix_rank(a),
    lambda a: np.linalg.matrix_rank(a),
    lambda rng: (np.stack([rng.standard_normal((4, 3)),
                           rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))]),),
    (),
    nondiff=True,
)
row(
    "tensorinv-(2,3,6)",
    lambda a: fnp.linalg.tensorinv(a, 2),
    lambda a: np.linalg.tensorinv(a, 2),
    args(lambda rng: well((6, 6))(rng).reshape(2, 3, 6)),
    (la.inv_p,),
)
row(
    "tensorsolve-(2,3,6)",
    fnp.linalg.tensorsolve,
    np.linalg.tensorsolve,
    args(lambda rng: well((6, 6))(rng).reshape(2, 3, 6), normal((2, 3))),
    (la.solve_p,),
)
row(
    "cross-(2,3)-(3,)",
    fnp.linalg.cross,
    np.linalg.cross,
    args(normal((2, 3)), normal((3,))),
    (),
)
row(
    "vecdot-complex-(2,3)",
    lambda a, b, c: _parts(fnp.linalg.vecdot(a + 1j * b, c)),
    lambda a, b, c: _parts(np.linalg.vecdot(a + 1j * b, c)),
    args(normal((2, 3)), normal((2, 3)), normal((3,))),
    (),
)
row(
    "linalg-diagonal-offset1",
    lambda a: fnp.linalg.diagonal(a, offset=1),
    lambda a: np.linalg.diagonal(a, offset=1),
    args(normal((2, 3, 4))),
    (),
)
row(
    "linalg-trace",
    fnp.linalg.trace,
    np.linalg.trace,
    args(normal((2, 3, 3))),
    (),
)


def _hpd(shape: tuple) -> Callable:
    """Real and imaginary parts of Hermitian positive-definite matrices A A^H / n + I."""

    def make(rng: np.random.Generator) -> tuple:
        n = shape[-1]
        a = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
        h = a @ np.conj(np.swapaxes(a, -1, -2)) / n + np.eye(n)
        return h.real, h.imag

    return make


row(
    "cholesky-complex-(2,3,3)",
    _cplx(lambda a: _parts(fnp.linalg.cholesky(a))),
    _cplx(lambda a: _parts(np.linalg.cholesky(a))),
    _hpd((2, 3, 3)),
    (la.cholesky_p,),
)
row(
    "slogdet-complex-(2,3,3)",
    _cplx(lambda a: _parts(*fnp.linalg.slogdet(a))),
    _cplx(lambda a: _parts(*np.linalg.slogdet(a))),
    args(well((2, 3, 3)), normal((2, 3, 3))),
    (la.slogdet_p,),
)
for name, f_fn, np_fn, prim in [
    ("det", fnp.linalg.det, np.linalg.det, la.det_p),
    ("inv", fnp.linalg.inv, np.linalg.inv, la.inv_p),
]:
    row(
        f"{name}-complex-(2,3,3)",
        _cplx(lambda a, f=f_fn: _parts(f(a))),
        _cplx(lambda a, f=np_fn: _parts(f(a))),
        args(well((2, 3, 3)), normal((2, 3, 3))),
        (prim,),
    )
row(
    "solve-complex-(2,3,3)-(2,3,2)",
    lambda ar, ai, b: _parts(fnp.linalg.solve(ar + 1j * ai, b)),
    lambda ar, ai, b: _parts(np.linalg.solve(ar + 1j * ai, b)),
    args(well((2, 3, 3)), normal((2, 3, 3)), normal((2, 3, 2))),
    (la.solve_p,),
)
row(
    "cholesky-upper-complex-(3,3)",
    _cplx(lambda a: _parts(fnp.linalg.cholesky(a, upper=True))),
    _cplx(lambda a: _parts(np.linalg.cholesky(a, upper=True))),
    _hpd((3, 3)),
    (la.cholesky_p,),
)
