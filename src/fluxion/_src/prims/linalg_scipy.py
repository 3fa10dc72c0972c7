"""Primitives behind ``fluxion.scipy.linalg``: matrix functions (expm, logm, sqrtm), the
Sylvester equation, the LU and Schur decompositions.

Every primitive works on stacks of matrices (leading dimensions broadcast) and, except ``lu``'s
integer outputs, on real and complex values. Derivative rules are written with primitives, so
they can be differentiated again. Cotangents pair with tangents as ``Re sum(g * t)`` (JAX's
convention, as in :mod:`.linalg`): the transpose of ``E -> L_f(A, E)``, the Frechet derivative
of a primary matrix function ``f``, is ``G -> L_f(A^T, G)``.

The Frechet derivative of a primary matrix function comes from the block identity
``f([[A, E], [0, A]]) = [[f(A), L_f(A, E)], [0, f(A)]]`` (Higham, Functions of Matrices,
Thm 3.6): for ``expm`` and ``logm`` the rule evaluates the function on the ``2n x 2n`` block
matrix, which is itself differentiable (second order comes from the same rule). ``sqrtm``'s
rule solves the Sylvester equation ``X dX + dX X = dA``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla

from ..core import Primitive, ShapedArray, Zero
from ._helpers import fmt_avals, shape_of
from .batch_rules import batch_leading
from .elementwise import add, equal, multiply, negative, real_p, where_p
from .indexing import concatenate, slice_along
from .linalg import (
    _batch_shape,
    _check_square,
    _is_complex,
    _linalg_dtype,
    _mT,
    matmul,
    triangular_solve,
)
from .shape import broadcast_to, reshape

__all__ = [
    "expm_p",
    "logm_p",
    "sqrtm_p",
    "sylvester_p",
    "lu_p",
    "schur_p",
    "expm",
    "logm",
    "sqrtm",
    "sylvester",
    "lu",
    "schur",
    "frechet",
    "perm_matrix",
]


def _ndim(x: Any) -> int:
    return len(shape_of(x))


def _float_dtype(x: np.ndarray) -> np.dtype:
    return np.dtype(np.float64) if x.dtype.kind in "biu" else x.dtype


def _square_same(op: str) -> Any:
    def abstract_eval(a: ShapedArray) -> ShapedArray:
        _check_square(op, a)
        return ShapedArray(a.shape, _linalg_dtype(op, a))

    return abstract_eval


def _block(a: Any, e: Any) -> Any:
    """The block upper-triangular matrix ``[[a, e], [0, a]]`` (a stack of them)."""
    nd = _ndim(a)
    zeros = np.zeros(shape_of(a), dtype=np.result_type(a.dtype, e.dtype))
    top = concatenate((a, e), nd - 1)
    bottom = concatenate((zeros, a), nd - 1)
    return concatenate((top, bottom), nd - 2)


def _top_right(m: Any, n: int) -> Any:
    nd = _ndim(m)
    return slice_along(slice_along(m, nd - 2, 0, n), nd - 1, n, 2 * n)


def _broadcast_pair(a: Any, e: Any) -> tuple[Any, Any]:
    shape = tuple(np.broadcast_shapes(shape_of(a), shape_of(e)))
    if shape_of(a) != shape:
        a = broadcast_to(a, shape)
    if shape_of(e) != shape:
        e = broadcast_to(e, shape)
    return a, e


def frechet(bind: Any, a: Any, e: Any) -> Any:
    """``L_f(a, e)`` for the primary matrix function computed by ``bind``, by the block trick."""
    a, e = _broadcast_pair(a, e)
    n = shape_of(a)[-1]
    return _top_right(bind(_block(a, e)), n)


def _primary_rules(prim: Primitive, bind: Any) -> None:
    def jvp(primals: Any, tangents: Any) -> Any:
        (a,), (t,) = primals, tangents
        ans = bind(a)
        if type(t) is Zero:
            return ans, Zero(ans)
        return ans, frechet(bind, a, t)

    def vjp(g: Any, ans: Any, a: Any) -> Any:
        ga = frechet(bind, _mT(a), g)
        if not _is_complex(a) and _is_complex(ga):
            ga = real_p.bind(ga)
        return (ga,)

    prim.jvp = jvp
    prim.vjp = vjp
    prim.batch = batch_leading(prim, (2,))


# --------------------------------------------------------------------------------------------
# expm
# --------------------------------------------------------------------------------------------


def _expm_impl(a: Any) -> Any:
    a = np.asarray(a)
    return sla.expm(a.astype(_float_dtype(a), copy=False))


expm_p = Primitive("expm", _expm_impl)
expm_p.abstract_eval = _square_same("expm")


def expm(a: Any) -> Any:
    return expm_p.bind(a)


_primary_rules(expm_p, expm)


# --------------------------------------------------------------------------------------------
# logm and sqrtm (principal branches; a real input must have a real result)
# --------------------------------------------------------------------------------------------


def _real_result(op: str, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """SciPy returns a complex result for a real matrix with no real principal ``op``: we keep
    the dtype of the input (a traced program's dtypes are fixed) and say so."""
    if a.dtype.kind == "c" or np.asarray(out).dtype.kind != "c":
        return np.asarray(out, dtype=a.dtype)
    scale = max(float(np.max(np.abs(out), initial=0.0)), 1.0)
    if np.max(np.abs(out.imag), initial=0.0) > 1e3 * np.finfo(a.dtype).eps * scale:
        raise ValueError(
            f"{op}: this real matrix has no real principal {op[:-1]} (an eigenvalue on the "
            "closed negative real axis); pass a complex array to get the complex one"
        )
    return np.ascontiguousarray(out.real, dtype=a.dtype)


def _logm_impl(a: Any) -> Any:
    a = np.asarray(a)
    a = a.astype(_float_dtype(a), copy=False)
    return _real_result("logm", a, sla.logm(a))


logm_p = Primitive("logm", _logm_impl)
logm_p.abstract_eval = _square_same("logm")


def logm(a: Any) -> Any:
    return logm_p.bind(a)


_primary_rules(logm_p, logm)


def _sqrtm_impl(a: Any) -> Any:
    a = np.asarray(a)
    a = a.astype(_float_dtype(a), copy=False)
    return _real_result("sqrtm", a, sla.sqrtm(a))


sqrtm_p = Primitive("sqrtm", _sqrtm_impl)
sqrtm_p.abstract_eval = _square_same("sqrtm")


def sqrtm(a: Any) -> Any:
    return sqrtm_p.bind(a)


def _sqrtm_jvp(primals: Any, tangents: Any) -> Any:
    # X = sqrtm(A): X dX + dX X = dA
    (a,), (t,) = primals, tangents
    x = sqrtm(a)
    if type(t) is Zero:
        return x, Zero(x)
    return x, sylvester(x, x, t)


def _sqrtm_vjp(g: Any, x: Any, a: Any) -> Any:
    # transpose of dA -> sylvester(X, X, dA): a_bar solves X^T a_bar + a_bar X^T = g
    xt = _mT(x)
    return (sylvester(xt, xt, g),)


sqrtm_p.jvp = _sqrtm_jvp
sqrtm_p.vjp = _sqrtm_vjp
sqrtm_p.batch = batch_leading(sqrtm_p, (2,))


# --------------------------------------------------------------------------------------------
# sylvester: A X + X B = Q
# --------------------------------------------------------------------------------------------


def _sylvester_abstract_eval(a: ShapedArray, b: ShapedArray, q: ShapedArray) -> ShapedArray:
    m = _check_square("solve_sylvester", a, "a")
    n = _check_square("solve_sylvester", b, "b")
    if q.ndim < 2 or q.shape[-2:] != (m, n):
        raise ValueError(
            f"solve_sylvester: expected q of shape (..., {m}, {n}) to match a and b, got "
            f"{fmt_avals((a, b, q))}"
        )
    batch = _batch_shape("solve_sylvester", a, b, q)
    return ShapedArray(batch + (m, n), _linalg_dtype("solve_sylvester", a, b, q))


def _sylvester_impl(a: Any, b: Any, q: Any) -> Any:
    a, b, q = (np.asarray(x) for x in (a, b, q))
    dtype = np.result_type(a.dtype, b.dtype, q.dtype)
    if dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])
    a, b, q = (np.broadcast_to(x, batch + x.shape[-2:]).astype(dtype) for x in (a, b, q))
    out = np.empty(batch + q.shape[-2:], dtype=dtype)
    for idx in np.ndindex(*batch):
        out[idx] = sla.solve_sylvester(a[idx], b[idx], q[idx])
    return out


sylvester_p = Primitive("sylvester", _sylvester_impl)
sylvester_p.abstract_eval = _sylvester_abstract_eval


def sylvester(a: Any, b: Any, q: Any) -> Any:
    return sylvester_p.bind(a, b, q)


def _sylvester_jvp(primals: Any, tangents: Any) -> Any:
    # A dX + dX B = dQ - dA X - X dB
    a, b, q = primals
    ta, tb, tq = tangents
    x = sylvester(a, b, q)
    rhs = None if type(tq) is Zero else tq
    if type(ta) is not Zero:
        term = negative(matmul(ta, x))
        rhs = term if rhs is None else add(rhs, term)
    if type(tb) is not Zero:
        term = negative(matmul(x, tb))
        rhs = term if rhs is None else add(rhs, term)
    if rhs is None:
        return x, Zero(x)
    dx = sylvester(a, b, rhs)
    if shape_of(dx) != shape_of(x):
        dx = broadcast_to(dx, shape_of(x))
    return x, dx


def _sylvester_vjp(g: Any, x: Any, a: Any, b: Any, q: Any) -> Any:
    # Y solves A^T Y + Y B^T = g; q_bar = Y, a_bar = -Y X^T, b_bar = -X^T Y
    y = sylvester(_mT(a), _mT(b), g)
    return negative(matmul(y, _mT(x))), negative(matmul(_mT(x), y)), y


sylvester_p.jvp = _sylvester_jvp
sylvester_p.vjp = _sylvester_vjp
sylvester_p.batch = batch_leading(sylvester_p, (2, 2, 2))


# --------------------------------------------------------------------------------------------
# lu: P^T A = L U with partial pivoting. Outputs the packed factor (L - I + U, LAPACK's layout),
# LAPACK's pivot indices (int32) and the row permutation (int64): A[perm] = L U.
# --------------------------------------------------------------------------------------------


def _lu_abstract_eval(a: ShapedArray) -> tuple:
    if a.ndim < 2:
        raise ValueError(f"lu: expected an array of at least two dimensions (..., m, n), got {a}")
    dtype = _linalg_dtype("lu", a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    return (
        ShapedArray(a.shape, dtype),
        ShapedArray(batch + (k,), np.dtype(np.int32)),
        ShapedArray(batch + (m,), np.dtype(np.int64)),
    )


def _lu_impl(a: Any) -> tuple:
    a = np.asarray(a)
    a = a.astype(_float_dtype(a), copy=False)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    packed = np.empty(a.shape, a.dtype)
    piv = np.empty(batch + (k,), np.int32)
    perm = np.empty(batch + (m,), np.int64)
    for idx in np.ndindex(*batch):
        lu_, p = sla.lu_factor(a[idx], check_finite=False)
        packed[idx] = lu_
        piv[idx] = p[:k]
        order = np.arange(m)
        for i, j in enumerate(p[:k]):
            order[[i, j]] = order[[j, i]]
        perm[idx] = order
    return packed, piv, perm


lu_p = Primitive("lu", _lu_impl, multiple_results=True)
lu_p.abstract_eval = _lu_abstract_eval


def lu(a: Any) -> tuple[Any, Any, Any]:
    """``(packed, piv, perm)``: ``a[perm] = L U``, ``packed = tril(L, -1) + U``."""
    return lu_p.bind(a)


def _tri_mask(n: int, k: int, dtype: Any) -> np.ndarray:
    return np.tri(n, n, k, dtype=dtype)


def _unpack(packed: Any) -> tuple[Any, Any]:
    n = shape_of(packed)[-1]
    strict = multiply(packed, _tri_mask(n, -1, packed.dtype))
    low = add(strict, np.eye(n, dtype=packed.dtype))
    up = multiply(packed, 1 - _tri_mask(n, -1, packed.dtype))
    return low, up


def perm_matrix(perm: Any, dtype: Any) -> Any:
    """``Q`` with ``Q[i, j] = (perm[i] == j)``, so that ``Q @ x = x[perm]`` and
    ``Q^T @ y`` undoes it (a constant of the derivative: ``perm`` is an integer output)."""
    m = shape_of(perm)[-1]
    pshape = shape_of(perm) + (1,)
    hit = equal(reshape(perm, pshape), np.arange(m))
    return where_p.bind(hit, np.ones((), dtype), np.zeros((), dtype))


def _split(x: Any, axis: int, k: int) -> tuple[Any, Any]:
    """``x`` cut along ``axis`` (negative) after ``k`` entries."""
    nd = _ndim(x)
    ax = nd + axis
    size = shape_of(x)[ax]
    return slice_along(x, ax, 0, k), slice_along(x, ax, k, size)


def _solve_upper_right(up: Any, b: Any) -> Any:
    """``b up^-1`` for a square upper-triangular ``up``."""
    return _mT(triangular_solve(up, _mT(b), lower=False, transpose_a=True))


def _lu_square_jvp(low: Any, up: Any, da: Any) -> tuple[Any, Any]:
    # F = L^-1 dA U^-1; dL = L tril(F, -1), dU = triu(F) U
    n = shape_of(low)[-1]
    f = _solve_upper_right(up, triangular_solve(low, da, lower=True, unit_diagonal=True))
    strict = _tri_mask(n, -1, f.dtype)
    return matmul(low, multiply(f, strict)), matmul(multiply(f, 1 - strict), up)


def _lu_square_vjp(low: Any, up: Any, gl: Any, gu: Any) -> Any:
    # transpose of _lu_square_jvp: F_bar = tril(L^T gL, -1) + triu(gU U^T), dA_bar = L^-T F_bar U^-T
    n = shape_of(low)[-1]
    strict = _tri_mask(n, -1, low.dtype)
    fbar = add(multiply(matmul(_mT(low), gl), strict), multiply(matmul(gu, _mT(up)), 1 - strict))
    z = triangular_solve(low, fbar, lower=True, transpose_a=True, unit_diagonal=True)
    return _mT(triangular_solve(up, _mT(z), lower=False))


def _lu_jvp(primals: Any, tangents: Any) -> Any:
    # P^T A = L U, P^T dA = dL U + L dU with dL strictly lower, dU upper. The leading k x k
    # block (k = min(m, n)) is the square case; a tall matrix's extra rows of L follow from
    # dA2 = dL2 U + L2 dU, a wide matrix's extra columns of U from dA2 = dL U2 + L dU2.
    (a,), (t,) = primals, tangents
    packed, piv, perm = lu(a)
    outs = (packed, piv, perm)
    if type(t) is Zero:
        return outs, (Zero(packed), Zero(piv), Zero(perm))
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    pt = matmul(perm_matrix(perm, t.dtype), t)
    top, rest_rows = _split(packed, -2, k)
    sq, rest_cols = _split(top, -1, k)
    low, up = _unpack(sq)
    if m > n:
        da1, da2 = _split(pt, -2, k)
        dl, du = _lu_square_jvp(low, up, da1)
        dl2 = _solve_upper_right(up, add(da2, negative(matmul(rest_rows, du))))
        dp = concatenate((add(dl, du), dl2), _ndim(dl) - 2)
    elif m < n:
        da1, da2 = _split(pt, -1, k)
        dl, du = _lu_square_jvp(low, up, da1)
        du2 = triangular_solve(low, add(da2, negative(matmul(dl, rest_cols))), lower=True,
                               unit_diagonal=True)
        dp = concatenate((add(dl, du), du2), _ndim(dl) - 1)
    else:
        dl, du = _lu_square_jvp(low, up, pt)
        dp = add(dl, du)
    return outs, (_broadcast_pair(dp, packed)[0], Zero(piv), Zero(perm))


def _lu_vjp(g: Any, ans: Any, a: Any) -> Any:
    # the transpose of _lu_jvp, block by block
    gp = g[0]
    if type(gp) is Zero:
        return (None,)
    packed, _, perm = ans
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    top, rest_rows = _split(packed, -2, k)
    sq, rest_cols = _split(top, -1, k)
    low, up = _unpack(sq)
    strict = _tri_mask(k, -1, gp.dtype)
    g_top, g_rows = _split(gp, -2, k)
    g_sq, g_cols = _split(g_top, -1, k)
    gl = multiply(g_sq, strict)
    gu = multiply(g_sq, 1 - strict)
    if m > n:
        # dL2 = (dA2 - L2 dU) U^-1: dA2_bar = H = gL2 U^-T, dU_bar -= L2^T H
        h = _mT(triangular_solve(up, _mT(g_rows), lower=False))
        gu = add(gu, negative(matmul(_mT(rest_rows), h)))
        w = concatenate((_lu_square_vjp(low, up, gl, gu), h), _ndim(h) - 2)
    elif m < n:
        # dU2 = L^-1 (dA2 - dL U2): dA2_bar = K = L^-T gU2, dL_bar -= K U2^T
        kk = triangular_solve(low, g_cols, lower=True, transpose_a=True, unit_diagonal=True)
        gl = add(gl, negative(matmul(kk, _mT(rest_cols))))
        w = concatenate((_lu_square_vjp(low, up, gl, gu), kk), _ndim(kk) - 1)
    else:
        w = _lu_square_vjp(low, up, gl, gu)
    # a_bar[perm] = w: a_bar = Q^T w
    return (matmul(_mT(perm_matrix(perm, w.dtype)), w),)


lu_p.jvp = _lu_jvp
lu_p.vjp = _lu_vjp
lu_p.batch = batch_leading(lu_p, (2,))


# --------------------------------------------------------------------------------------------
# schur: A = Z T Z^H. Values only: the derivative of the Schur form is not implemented.
# --------------------------------------------------------------------------------------------


def _schur_abstract_eval(a: ShapedArray, *, output: str) -> tuple:
    _check_square("schur", a)
    dtype = _linalg_dtype("schur", a)
    if output == "complex":
        dtype = np.result_type(dtype, np.complex64)
    return ShapedArray(a.shape, dtype), ShapedArray(a.shape, dtype)


def _schur_impl(a: Any, *, output: str) -> tuple:
    a = np.asarray(a)
    a = a.astype(_float_dtype(a), copy=False)
    if output == "complex":
        a = a.astype(np.result_type(a.dtype, np.complex64), copy=False)
    t = np.empty(a.shape, a.dtype)
    z = np.empty(a.shape, a.dtype)
    for idx in np.ndindex(*a.shape[:-2]):
        t[idx], z[idx] = sla.schur(a[idx], output=output)
    return t, z


schur_p = Primitive("schur", _schur_impl, multiple_results=True)
schur_p.abstract_eval = _schur_abstract_eval


def schur(a: Any, output: str = "real") -> tuple[Any, Any]:
    return schur_p.bind(a, output=output)


_SCHUR_WHY = (
    "schur: derivatives of the Schur form are not implemented (the Schur vectors are not "
    "unique and the real form's 2x2 blocks change shape with the eigenvalues); differentiate "
    "a function of the eigenvalues with fluxion.numpy.linalg.eig/eigvals, or the matrix "
    "function itself (expm, logm, sqrtm)"
)


def _schur_jvp(primals: Any, tangents: Any, *, output: str) -> Any:
    (t,) = tangents
    outs = schur(primals[0], output)
    if type(t) is Zero:
        return outs, (Zero(outs[0]), Zero(outs[1]))
    raise NotImplementedError(_SCHUR_WHY)


def _schur_vjp(g: Any, ans: Any, a: Any, *, output: str) -> Any:
    if all(type(x) is Zero for x in g):
        return (None,)
    raise NotImplementedError(_SCHUR_WHY)


schur_p.jvp = _schur_jvp
schur_p.vjp = _schur_vjp
schur_p.batch = batch_leading(schur_p, (2,))


# --------------------------------------------------------------------------------------------
# pivots_to_permutation: LAPACK's row swaps (piv, as lu_factor returns) to the permutation perm
# with a[perm] = L U. Integer in, integer out: not differentiable.
# --------------------------------------------------------------------------------------------


def _pivots_abstract_eval(piv: ShapedArray, *, m: int) -> ShapedArray:
    if piv.ndim < 1 or piv.dtype.kind not in "iu" or piv.shape[-1] > m:
        raise ValueError(
            f"lu_solve: expected integer pivot indices of shape (..., k) with k <= {m}, got {piv}"
        )
    return ShapedArray(piv.shape[:-1] + (m,), np.dtype(np.int64))


def _pivots_impl(piv: Any, *, m: int) -> Any:
    piv = np.asarray(piv)
    out = np.empty(piv.shape[:-1] + (m,), np.int64)
    for idx in np.ndindex(*piv.shape[:-1]):
        order = np.arange(m)
        for i, j in enumerate(piv[idx]):
            if not 0 <= j < m:
                raise ValueError(f"lu_solve: pivot index {j} out of range for {m} rows")
            order[[i, j]] = order[[j, i]]
        out[idx] = order
    return out


pivots_to_permutation_p = Primitive("pivots_to_permutation", _pivots_impl)
pivots_to_permutation_p.abstract_eval = _pivots_abstract_eval
pivots_to_permutation_p.jvp = lambda primals, tangents, *, m: (
    pivots_to_permutation(primals[0], m),
    Zero(pivots_to_permutation(primals[0], m)),
)
pivots_to_permutation_p.vjp = lambda g, ans, piv, *, m: (None,)
pivots_to_permutation_p.batch = batch_leading(pivots_to_permutation_p, (1,))


def pivots_to_permutation(piv: Any, m: int) -> Any:
    return pivots_to_permutation_p.bind(piv, m=int(m))


__all__ += ["pivots_to_permutation_p", "pivots_to_permutation"]
