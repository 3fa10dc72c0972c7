"""Differentiable ``scipy.linalg`` functions: solves, factorisations, matrix functions, matrix
equations and special matrices.

SciPy functions do not dispatch through NumPy's protocols, so plain ``scipy.linalg`` calls on
traced values are not rerouted: call these (``fluxion.scipy.linalg``) instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import as_array
from ..core import Tracer
from ..numpy import core as fnp
from ..numpy import linalg as fla
from ..prims import linalg as la
from ..prims import linalg_scipy as ls
from ..prims._helpers import shape_of
from ..prims.shape import reshape
from ..prims.sorting import argsort

ArrayLike = Any
Array = Any

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "circulant",
    "companion",
    "coshm",
    "cosm",
    "det",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "expm",
    "expm_frechet",
    "hankel",
    "inv",
    "khatri_rao",
    "logm",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_solve",
    "norm",
    "pinv",
    "polar",
    "qr",
    "schur",
    "sinhm",
    "sinm",
    "solve",
    "solve_banded",
    "solve_continuous_lyapunov",
    "solve_discrete_lyapunov",
    "solve_sylvester",
    "solve_triangular",
    "solveh_banded",
    "sqrtm",
    "svd",
    "tanhm",
    "tanm",
    "toeplitz",
]

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def _asarray(x: Any) -> Any:
    if isinstance(x, Tracer | np.ndarray):
        return x
    return as_array(x)  # device arrays stay on their device


def _triangular(a: Any, b: Any, lower: bool, transpose_a: bool, unit_diagonal: bool) -> Any:
    """``op(a) x = b`` with a vector ``b`` (``b.ndim == 1``) or a stack of matrices."""
    a = _asarray(a)
    b = _asarray(b)
    if len(shape_of(a)) < 2:
        raise ValueError(
            f"solve_triangular: expected a square matrix (..., n, n), got shape {shape_of(a)}"
        )
    if len(shape_of(b)) == 0:
        raise ValueError("solve_triangular: expected b of shape (n,) or (..., n, k), got a scalar")
    vec = len(shape_of(b)) == 1
    if vec:
        b = reshape(b, shape_of(b) + (1,))
    x = la.triangular_solve(a, b, lower=lower, transpose_a=transpose_a, unit_diagonal=unit_diagonal)
    if vec:
        x = reshape(x, shape_of(x)[:-1])
    return x


def solve_triangular(
    a: ArrayLike,
    b: ArrayLike,
    trans: Any = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``a x = b`` (or ``a^T x = b``) for a triangular ``a``.

    Differentiable; matches ``scipy.linalg.solve_triangular``. Only the triangle of ``a`` named
    by ``lower`` is read (without its diagonal when ``unit_diagonal``), so the derivative with
    respect to ``a`` is zero elsewhere.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
        Triangular matrices.
    b : array_like, shape ``(n,)`` or ``(..., n, k)``
        Right-hand sides (a vector only when ``b.ndim == 1``).
    trans : {0, 1, 2, 'N', 'T', 'C'}, optional
        Solve ``a x = b`` (0, 'N') or ``a^T x = b`` (1, 'T', and 2, 'C' for real input).
    lower : bool, optional
        Use the lower triangle of ``a`` (default upper).
    unit_diagonal : bool, optional
        Assume ones on the diagonal of ``a`` (the stored diagonal is not read).
    overwrite_b, check_finite : bool, optional
        Accepted for compatibility and ignored.

    Returns
    -------
    Array, shape ``(..., n)`` or ``(..., n, k)``

    Raises
    ------
    ValueError
        If ``a`` is not square, ``b`` does not match it, or ``trans`` is invalid.
    """
    if trans not in _TRANS:
        raise ValueError(
            f"solve_triangular: expected trans in (0, 1, 2, 'N', 'T', 'C'), got {trans!r}"
        )
    return _triangular(a, b, bool(lower), _TRANS[trans], bool(unit_diagonal))


def cholesky(
    a: ArrayLike, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> Array:
    """Cholesky factor of a symmetric positive-definite matrix (upper by default).

    Differentiable; matches ``scipy.linalg.cholesky``: ``a = U^T U`` (``lower=False``) or
    ``a = L L^T`` (``lower=True``), reading only that triangle of ``a``.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    lower : bool, optional
        Return the lower factor (default upper).
    overwrite_a, check_finite : bool, optional
        Accepted and ignored.

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    return fla.cholesky(a, upper=not lower)


def cho_factor(
    a: ArrayLike, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Array, bool]:
    """Cholesky factorisation for :func:`cho_solve`.

    Differentiable; like ``scipy.linalg.cho_factor``, except that the unused triangle of the
    returned factor holds zeros (SciPy leaves arbitrary values there).

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    lower : bool, optional
        Compute the lower factor (default upper).

    Returns
    -------
    c : Array, shape ``(..., n, n)``
        The triangular factor.
    lower : bool
        Which factor ``c`` holds.
    """
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(
    c_and_lower: tuple[ArrayLike, bool],
    b: ArrayLike,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``a x = b`` given the Cholesky factorisation of ``a`` from :func:`cho_factor`.

    Differentiable (in the factor and in ``b``); matches ``scipy.linalg.cho_solve``.

    Parameters
    ----------
    c_and_lower : (array_like, bool)
        The factor, shape ``(..., n, n)``, and whether it is lower triangular.
    b : array_like, shape ``(n,)`` or ``(..., n, k)``

    Returns
    -------
    Array, shape of ``b`` (with broadcast batch dimensions)
    """
    c, lower = c_and_lower
    if lower:
        # a = L L^T: x = L^-T (L^-1 b)
        y = _triangular(c, b, True, False, False)
        return _triangular(c, y, True, True, False)
    # a = U^T U: x = U^-1 (U^-T b)
    y = _triangular(c, b, False, True, False)
    return _triangular(c, y, False, False, False)


# --------------------------------------------------------------------------------------------
# Issue 14: the rest of scipy.linalg
# --------------------------------------------------------------------------------------------


def _float(name: str, x: Any) -> Any:
    """``x`` as an array of a floating (or complex) dtype; integers and booleans become float64."""
    x = _asarray(x)
    kind = np.dtype(x.dtype).kind
    if kind in "biu":
        return fnp.astype(x, np.float64) if isinstance(x, Tracer) else x.astype(np.float64)
    if kind not in "fc":
        raise TypeError(f"{name}: expected a numeric array, got dtype {x.dtype}")
    return x


def _square(name: str, a: Any, what: str = "a", batched: bool = True) -> Any:
    a = _float(name, a)
    shape = shape_of(a)
    ok = len(shape) >= 2 if batched else len(shape) == 2
    if not ok or shape[-1] != shape[-2]:
        want = "(..., n, n)" if batched else "(n, n)"
        raise ValueError(f"{name}: expected a square matrix {want} for {what}, got shape {shape}")
    return a


def _matrix(name: str, a: Any) -> Any:
    a = _float(name, a)
    if len(shape_of(a)) < 2:
        raise ValueError(
            f"{name}: expected an array of at least two dimensions (..., m, n), got shape "
            f"{shape_of(a)}"
        )
    return a


def _is_cplx(x: Any) -> bool:
    return np.dtype(x.dtype).kind == "c"


def _mH(x: Any) -> Any:
    xt = la.matrix_transpose(x)
    return fnp.conj(xt) if _is_cplx(x) else xt


_ASSUME = {
    None: "gen", "gen": "gen", "general": "gen", "sym": "sym", "symmetric": "sym",
    "her": "her", "hermitian": "her", "pos": "pos", "positive definite": "pos",
}


def solve(
    a: ArrayLike,
    b: ArrayLike,
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    assume_a: str | None = None,
    transposed: bool = False,
) -> Array:
    """Solve ``a x = b`` (or ``a^T x = b``) for a square ``a``.

    Differentiable in ``a`` and ``b``; matches ``scipy.linalg.solve``. With
    ``assume_a='sym'``, ``'her'`` or ``'pos'`` only the triangle named by ``lower`` is read (as
    LAPACK does), so the derivative with respect to ``a`` is zero in the other one.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    b : array_like, shape ``(n,)`` or ``(..., n, k)``
        A vector only when ``b.ndim == 1``.
    lower : bool, optional
        For the symmetric, Hermitian and positive-definite cases: read the lower triangle
        (default upper).
    assume_a : {None, 'gen', 'sym', 'her', 'pos'} (or SciPy's long names), optional
    transposed : bool, optional
        Solve ``a^T x = b`` (real ``a`` only, as in SciPy).
    overwrite_a, overwrite_b, check_finite : bool, optional
        Accepted and ignored.

    Returns
    -------
    Array, shape ``(..., n)`` or ``(..., n, k)``
    """
    if assume_a not in _ASSUME:
        raise ValueError(
            f"solve: expected assume_a in {sorted(k for k in _ASSUME if k)} or None, got "
            f"{assume_a!r}"
        )
    kind = _ASSUME[assume_a]
    a = _square("solve", a)
    b = _float("solve", b)
    if len(shape_of(b)) == 0:
        raise ValueError("solve: expected b of shape (n,) or (..., n, k), got a scalar")
    if transposed:
        if _is_cplx(a):
            raise NotImplementedError("solve: transposed=True is not supported for complex a "
                                      "(as in SciPy)")
        a = la.matrix_transpose(a)
    if kind == "sym":
        lo = bool(lower)
        strict = fnp.tril(a, -1) if lo else fnp.triu(a, 1)
        diag_part = fnp.tril(fnp.triu(a))
        a = fnp.add(fnp.add(strict, la.matrix_transpose(strict)), diag_part)
    elif kind in ("her", "pos"):
        a = fla._from_triangle(a, lower=bool(lower))
    return fla.solve(a, b)


def inv(
    a: ArrayLike,
    overwrite_a: bool = False,
    check_finite: bool = True,
    *,
    assume_a: str | None = None,
    lower: bool = False,
) -> Array:
    """Inverse of a square matrix (or a stack). Differentiable; matches ``scipy.linalg.inv``.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    assume_a, lower : optional
        As in :func:`solve`: with ``'sym'``, ``'her'`` or ``'pos'`` only one triangle is read.

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    a = _square("inv", a)
    if assume_a is None or _ASSUME.get(assume_a) == "gen":
        return fla.inv(a)
    n = shape_of(a)[-1]
    eye = np.broadcast_to(np.eye(n, dtype=a.dtype), shape_of(a))
    return solve(a, eye, lower=lower, assume_a=assume_a)


def det(a: ArrayLike, overwrite_a: bool = False, check_finite: bool = True) -> Array:
    """Determinant of a square matrix (or a stack). Differentiable; matches ``scipy.linalg.det``.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(...)``
    """
    return fla.det(_square("det", a))


# --- LU ----------------------------------------------------------------------------------------


def _lu_parts(packed: Any, m: int, n: int) -> tuple[Any, Any]:
    k = min(m, n)
    dtype = packed.dtype
    batch = shape_of(packed)[:-2]
    low = packed if n == k else fnp.take(packed, np.arange(k), axis=-1)
    low = fnp.add(fnp.tril(low, -1), np.eye(m, k, dtype=dtype))
    up = packed if m == k else fnp.take(packed, np.arange(k), axis=-2)
    up = fnp.triu(up)
    del batch
    return low, up


def lu(
    a: ArrayLike,
    permute_l: bool = False,
    overwrite_a: bool = False,
    check_finite: bool = True,
    p_indices: bool = False,
) -> tuple:
    """LU decomposition with partial pivoting, ``a = p @ l @ u``.

    Matches ``scipy.linalg.lu``. Differentiable in ``a`` (``l`` and ``u``, square and
    rectangular matrices whose leading ``k x k`` block of ``p^T a`` is nonsingular; the
    permutation is piecewise constant, its derivative zero).

    Parameters
    ----------
    a : array_like, shape ``(..., m, n)``
    permute_l : bool, optional
        Return ``(p @ l, u)``.
    p_indices : bool, optional
        Return the permutation as row indices ``perm`` with ``a = l[perm] @ u`` (int32).
    overwrite_a, check_finite : bool, optional
        Accepted and ignored.

    Returns
    -------
    p : Array, shape ``(..., m, m)`` (or ``(..., m)`` with ``p_indices``)
        Not returned when ``permute_l``.
    l : Array, shape ``(..., m, k)``, ``k = min(m, n)``
        Unit lower triangular (``p @ l`` when ``permute_l``).
    u : Array, shape ``(..., k, n)``
        Upper triangular.
    """
    a = _matrix("lu", a)
    m, n = shape_of(a)[-2:]
    packed, _, perm = ls.lu(a)
    low, up = _lu_parts(packed, m, n)
    q = ls.perm_matrix(perm, low.dtype)  # a[perm] = q @ a = l u, so a = q^T l u
    if permute_l:
        return la.matmul(la.matrix_transpose(q), low), up
    if p_indices:
        # a = l[p] @ u: p is the inverse permutation of perm
        inv = argsort(perm, axis=-1)
        return fnp.astype(inv, np.int32), low, up
    p = la.matrix_transpose(ls.perm_matrix(perm, np.empty((), low.dtype).real.dtype))
    return p, low, up


def lu_factor(
    a: ArrayLike, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Array, Array]:
    """LU factorisation for :func:`lu_solve`: ``(lu, piv)`` as ``scipy.linalg.lu_factor``.

    Differentiable in ``a``: ``lu`` packs ``l`` below its diagonal (unit diagonal not stored)
    and ``u`` on and above it.

    Parameters
    ----------
    a : array_like, shape ``(..., m, n)``

    Returns
    -------
    lu : Array, shape ``(..., m, n)``
    piv : Array of int32, shape ``(..., min(m, n))``
        LAPACK's pivots: row ``i`` was swapped with row ``piv[i]``.
    """
    a = _matrix("lu_factor", a)
    packed, piv, _ = ls.lu(a)
    return packed, piv


def lu_solve(
    lu_and_piv: tuple[ArrayLike, ArrayLike],
    b: ArrayLike,
    trans: int = 0,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``a x = b`` given ``(lu, piv) = lu_factor(a)``.

    Differentiable in ``lu`` and ``b``; matches ``scipy.linalg.lu_solve``.

    Parameters
    ----------
    lu_and_piv : (array_like, array_like)
        The packed factor, shape ``(..., n, n)``, and the pivots, shape ``(..., n)``.
    b : array_like, shape ``(n,)`` or ``(..., n, k)``
    trans : {0, 1, 2}, optional
        Solve ``a x = b`` (0), ``a^T x = b`` (1) or ``a^H x = b`` (2).

    Returns
    -------
    Array, shape of ``b`` (with broadcast batch dimensions)
    """
    if trans not in (0, 1, 2):
        raise ValueError(f"lu_solve: expected trans in (0, 1, 2), got {trans!r}")
    try:
        packed, piv = lu_and_piv
    except (TypeError, ValueError):
        raise TypeError("lu_solve: expected lu_and_piv = (lu, piv) as lu_factor returns") from None
    packed = _square("lu_solve", packed, "lu")
    piv = _asarray(piv)
    b = _float("lu_solve", b)
    n = shape_of(packed)[-1]
    if len(shape_of(b)) == 0 or (shape_of(b)[0] if len(shape_of(b)) == 1 else
                                 shape_of(b)[-2]) != n:
        raise ValueError(
            f"lu_solve: expected b of shape ({n},) or (..., {n}, k) to match lu "
            f"{shape_of(packed)}, got {shape_of(b)}"
        )
    perm = ls.pivots_to_permutation(piv, n)
    vec = len(shape_of(b)) == 1
    if vec:
        b = fnp.reshape(b, shape_of(b) + (1,))
    if trans == 2 and _is_cplx(packed):
        packed = fnp.conj(packed)
    dtype = np.result_type(packed.dtype, b.dtype)
    q = ls.perm_matrix(perm, dtype)
    if trans == 0:
        # a = q^T l u: x = u^-1 l^-1 (q b)
        y = la.triangular_solve(packed, la.matmul(q, b), lower=True, unit_diagonal=True)
        x = la.triangular_solve(packed, y, lower=False)
    else:
        # a^T = u^T l^T q: x = q^T l^-T u^-T b
        y = la.triangular_solve(packed, b, lower=False, transpose_a=True)
        y = la.triangular_solve(packed, y, lower=True, transpose_a=True, unit_diagonal=True)
        x = la.matmul(la.matrix_transpose(q), y)
    if vec:
        x = fnp.reshape(x, shape_of(x)[:-1])
    return x


# --- QR, SVD, eigh, Schur, polar ---------------------------------------------------------------


def qr(
    a: ArrayLike,
    overwrite_a: bool = False,
    lwork: Any = None,
    mode: str = "full",
    pivoting: bool = False,
    check_finite: bool = True,
) -> tuple:
    """QR decomposition ``a = q @ r``; matches ``scipy.linalg.qr``.

    Differentiable for square and tall matrices of full column rank (``mode='full'`` needs a
    square matrix for its derivative: the extra columns of ``q`` are not unique).

    Parameters
    ----------
    a : array_like, shape ``(..., m, n)``
    mode : {'full', 'economic', 'r'}, optional
        ``'full'``: ``q`` ``(..., m, m)``, ``r`` ``(..., m, n)``; ``'economic'``: ``q``
        ``(..., m, k)``, ``r`` ``(..., k, n)`` with ``k = min(m, n)``; ``'r'``: ``(r,)`` with
        ``r`` of shape ``(..., m, n)`` (differentiable for tall matrices too).
    pivoting : bool, optional
        Not supported (raises ``NotImplementedError``).

    Returns
    -------
    (q, r) or (r,)
    """
    if pivoting:
        raise NotImplementedError(
            "qr: pivoting=True is not supported (column pivoting is a data-dependent "
            "permutation); use pivoting=False"
        )
    if mode not in ("full", "economic", "r"):
        raise ValueError(f"qr: expected mode 'full', 'economic' or 'r', got {mode!r} "
                         "('raw' is not supported)")
    a = _matrix("qr", a)
    m, n = shape_of(a)[-2:]
    if mode == "r":
        _, r = la.qr(a, complete=False)
        if m > n:
            zeros = np.zeros(shape_of(r)[:-2] + (m - n, n), dtype=r.dtype)
            r = fnp.concatenate([r, zeros], axis=-2)
        return (r,)
    q, r = la.qr(a, complete=mode == "full")
    return q, r


def svd(
    a: ArrayLike,
    full_matrices: bool = True,
    compute_uv: bool = True,
    overwrite_a: bool = False,
    check_finite: bool = True,
    lapack_driver: str = "gesdd",
) -> Any:
    """Singular value decomposition ``a = u @ diag(s) @ vh``; matches ``scipy.linalg.svd``.

    Differentiable (see ``fluxion.numpy.linalg.svd`` for where singular vectors are).

    Parameters
    ----------
    a : array_like, shape ``(..., m, n)``
    full_matrices : bool, optional
        ``u`` ``(..., m, m)`` and ``vh`` ``(..., n, n)`` (default), else ``(..., m, k)`` and
        ``(..., k, n)``.
    compute_uv : bool, optional
        Return only ``s`` when false.
    lapack_driver : {'gesdd', 'gesvd'}, optional
        Accepted (the values agree to rounding).

    Returns
    -------
    (u, s, vh) or s
        ``s`` of shape ``(..., k)``, real, descending.
    """
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f"svd: expected lapack_driver 'gesdd' or 'gesvd', got {lapack_driver!r}")
    a = _matrix("svd", a)
    out = fla.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    if not compute_uv:
        return out
    return tuple(out)


def _eigh_prep(name: str, a: Any, b: Any, lower: bool, type_: int, subset_by_value: Any) -> Any:
    if type_ != 1:
        raise NotImplementedError(f"{name}: only type=1 (a v = w b v) is supported, got {type_}")
    if subset_by_value is not None:
        raise NotImplementedError(
            f"{name}: subset_by_value is not supported (the number of eigenvalues returned "
            "would depend on the values); use subset_by_index"
        )
    return _square(name, a)


def _eigh_core(name: str, a: Any, b: Any, lower: bool, subset_by_index: Any) -> tuple:
    a = fla._from_triangle(a, lower=bool(lower))
    chol = None
    if b is not None:
        b = _square(name, b, "b")
        if shape_of(b)[-1] != shape_of(a)[-1]:
            raise ValueError(
                f"{name}: expected b of the same order as a, got {shape_of(a)} and {shape_of(b)}"
            )
        chol = fla.cholesky(fla._from_triangle(b, lower=bool(lower)))
        # c = L^-1 a L^-H
        y = la.triangular_solve(chol, a, lower=True)
        a = _mH(la.triangular_solve(chol, _mH(y), lower=True))
    w, v = la.eigh(a)
    if chol is not None:
        v = la.triangular_solve(chol, v, lower=True, transpose_a=True) if not _is_cplx(chol) \
            else la.triangular_solve(fnp.conj(chol), v, lower=True, transpose_a=True)
    if subset_by_index is not None:
        n = shape_of(a)[-1]
        try:
            lo, hi = (int(i) for i in subset_by_index)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected subset_by_index = [lo, hi], got "
                             f"{subset_by_index!r}") from None
        if not 0 <= lo <= hi < n:
            raise ValueError(f"{name}: expected 0 <= lo <= hi < {n} in subset_by_index, got "
                             f"{subset_by_index!r}")
        idx = np.arange(lo, hi + 1)
        w = fnp.take(w, idx, axis=-1)
        v = fnp.take(v, idx, axis=-1)
    return w, v


def eigh(
    a: ArrayLike,
    b: ArrayLike | None = None,
    *,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,  # noqa: A002
    check_finite: bool = True,
    subset_by_index: Any = None,
    subset_by_value: Any = None,
    driver: Any = None,
) -> Any:
    """Eigenvalues (ascending) and eigenvectors of a symmetric/Hermitian matrix, or of the
    generalized problem ``a v = w b v`` with ``b`` positive definite.

    Differentiable in ``a`` and ``b``; matches ``scipy.linalg.eigh`` (eigenvectors up to sign;
    for ``b`` they are normalized so that ``v^H b v = I``).

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
        Only the triangle named by ``lower`` is read.
    b : array_like, shape ``(..., n, n)``, optional
        Positive definite; only the same triangle is read.
    lower : bool, optional
        Read the lower (default) or upper triangle.
    eigvals_only : bool, optional
        Return only ``w``.
    subset_by_index : (int, int), optional
        Inclusive index range of the eigenvalues to return (ascending order).
    type : int, optional
        Only 1 is supported.
    subset_by_value : optional
        Not supported (raises ``NotImplementedError``).

    Returns
    -------
    w : Array, shape ``(..., n)`` (or the subset's length), real
    v : Array, shape ``(..., n, n)`` (or ``(..., n, len(w))``); not returned with
        ``eigvals_only``.
    """
    a = _eigh_prep("eigh", a, b, lower, type, subset_by_value)
    w, v = _eigh_core("eigh", a, b, lower, subset_by_index)
    return w if eigvals_only else (w, v)


def eigvalsh(
    a: ArrayLike,
    b: ArrayLike | None = None,
    *,
    lower: bool = True,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,  # noqa: A002
    check_finite: bool = True,
    subset_by_index: Any = None,
    subset_by_value: Any = None,
    driver: Any = None,
) -> Array:
    """Eigenvalues (ascending) of a symmetric/Hermitian matrix (or of ``a v = w b v``).

    Differentiable; matches ``scipy.linalg.eigvalsh``. Parameters as :func:`eigh`.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    b : array_like, shape ``(..., n, n)``, optional

    Returns
    -------
    Array, shape ``(..., n)``, real
    """
    a = _eigh_prep("eigvalsh", a, b, lower, type, subset_by_value)
    return _eigh_core("eigvalsh", a, b, lower, subset_by_index)[0]


def schur(
    a: ArrayLike,
    output: str = "real",
    lwork: Any = None,
    overwrite_a: bool = False,
    sort: Any = None,
    check_finite: bool = True,
) -> tuple[Array, Array]:
    """Schur decomposition ``a = z @ t @ z^H``; matches ``scipy.linalg.schur``.

    Values only: differentiating raises ``NotImplementedError`` (the Schur vectors are not
    unique, and the real form's 2x2 blocks change with the eigenvalues). Differentiate the
    eigenvalues (``fluxion.numpy.linalg.eigvals``) or a matrix function instead.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    output : {'real', 'complex'}, optional
        Real Schur form (quasi-triangular, 2x2 blocks for complex pairs) or complex (upper
        triangular).
    sort : optional
        Not supported (raises ``NotImplementedError``).

    Returns
    -------
    t : Array, shape ``(..., n, n)``
    z : Array, shape ``(..., n, n)``, orthogonal/unitary
    """
    if output in ("r", "real"):
        output = "real"
    elif output in ("c", "complex"):
        output = "complex"
    else:
        raise ValueError(f"schur: expected output 'real' or 'complex', got {output!r}")
    if sort is not None:
        raise NotImplementedError("schur: sort is not supported")
    a = _square("schur", a)
    if _is_cplx(a):
        output = "complex"
    return ls.schur(a, output)


def polar(a: ArrayLike, side: str = "right") -> tuple[Array, Array]:
    """Polar decomposition: ``a = u @ p`` (``side='right'``) or ``a = p @ u`` (``'left'``).

    Differentiable (through the SVD: needs distinct, nonzero singular values); matches
    ``scipy.linalg.polar``.

    Parameters
    ----------
    a : array_like, shape ``(m, n)`` (stacks allowed)
    side : {'right', 'left'}, optional

    Returns
    -------
    u : Array, shape ``(..., m, n)``
        Orthonormal columns (``m >= n``) or rows (``m < n``).
    p : Array, Hermitian positive semi-definite, shape ``(..., n, n)`` (right) or
        ``(..., m, m)`` (left).
    """
    if side not in ("right", "left"):
        raise ValueError(f"polar: expected side 'right' or 'left', got {side!r}")
    a = _matrix("polar", a)
    w, s, vh = la.svd(a, full_matrices=False)
    u = la.matmul(w, vh)
    if side == "right":
        v = _mH(vh)
        p = la.matmul(fnp.multiply(v, fnp.expand_dims(s, -2)), vh)
    else:
        p = la.matmul(fnp.multiply(w, fnp.expand_dims(s, -2)), _mH(w))
    return u, p


# --- matrix functions ----------------------------------------------------------------------------


def expm(A: ArrayLike) -> Array:  # noqa: N803
    """Matrix exponential (of a matrix or a stack); matches ``scipy.linalg.expm``.

    Differentiable to any order: the derivative is the Frechet derivative ``L(A, E)`` (see
    :func:`expm_frechet`), computed from ``expm([[A, E], [0, A]])``; reverse mode uses
    ``L(A^T, G)``.

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``, real or complex

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    return ls.expm(_square("expm", A))


def expm_frechet(
    A: ArrayLike,  # noqa: N803
    E: ArrayLike,  # noqa: N803
    method: str | None = None,
    compute_expm: bool = True,
    check_finite: bool = True,
) -> Any:
    """Frechet derivative of the matrix exponential at ``A`` in the direction ``E``.

    ``L(A, E) = d/dt expm(A + t E) |_{t=0}``, from the block identity
    ``expm([[A, E], [0, A]]) = [[expm(A), L(A, E)], [0, expm(A)]]`` (Higham, Functions of
    Matrices, Thm 3.6). Differentiable in ``A`` and ``E``; matches
    ``scipy.linalg.expm_frechet`` (which SciPy computes by Al-Mohy and Higham's algorithm: the
    values agree to rounding).

    Parameters
    ----------
    A, E : array_like, shape ``(..., n, n)``
    method : {None, 'SPS', 'blockEnlarge'}, optional
        Accepted; the block method is always used.
    compute_expm : bool, optional
        Return ``(expm(A), L(A, E))`` (default) or only ``L(A, E)``.

    Returns
    -------
    expm_A : Array, shape ``(..., n, n)`` (only with ``compute_expm``)
    expm_frechet_AE : Array, shape ``(..., n, n)``
    """
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(f"expm_frechet: expected method None, 'SPS' or 'blockEnlarge', got "
                         f"{method!r}")
    a = _square("expm_frechet", A, "A")
    e = _square("expm_frechet", E, "E")
    if shape_of(a)[-1] != shape_of(e)[-1]:
        raise ValueError(f"expm_frechet: expected A and E of the same shape, got "
                         f"{shape_of(a)} and {shape_of(e)}")
    a, e = ls._broadcast_pair(a, e)
    n = shape_of(a)[-1]
    big = ls.expm(ls._block(a, e))
    frechet = ls._top_right(big, n)
    if not compute_expm:
        return frechet
    nd = len(shape_of(big))
    from ..prims.indexing import slice_along

    top_left = slice_along(slice_along(big, nd - 2, 0, n), nd - 1, 0, n)
    return top_left, frechet


def logm(A: ArrayLike, disp: bool = True) -> Array:  # noqa: N803
    """Principal matrix logarithm; matches ``scipy.linalg.logm``.

    Differentiable to any order (the Frechet derivative from ``logm([[A, E], [0, A]])``).
    A real ``A`` gives a real result: when it has no real logarithm (an eigenvalue on the
    closed negative real axis) a ``ValueError`` says so (SciPy would return a complex array;
    pass a complex ``A`` for that).

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``
    disp : bool, optional
        Only ``True`` is supported (SciPy deprecates ``disp``).

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    if disp is not True:
        raise NotImplementedError("logm: only disp=True is supported (deprecated in SciPy)")
    return ls.logm(_square("logm", A, "A"))


def sqrtm(A: ArrayLike, disp: bool = True, blocksize: int = 64) -> Array:  # noqa: N803
    """Principal matrix square root; matches ``scipy.linalg.sqrtm``.

    Differentiable to any order: ``X dX + dX X = dA`` is solved as a Sylvester equation (needs
    no two eigenvalues of ``X`` summing to zero, true for the principal root of a nonsingular
    ``A``). A real ``A`` gives a real result; without a real principal root (a negative real
    eigenvalue) a ``ValueError`` says so (pass a complex ``A``).

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``
    disp : bool, optional
        Only ``True`` is supported (deprecated in SciPy).
    blocksize : int, optional
        Accepted and ignored.

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    if disp is not True:
        raise NotImplementedError("sqrtm: only disp=True is supported (deprecated in SciPy)")
    return ls.sqrtm(_square("sqrtm", A, "A"))


# --- matrix equations --------------------------------------------------------------------------


def solve_sylvester(a: ArrayLike, b: ArrayLike, q: ArrayLike) -> Array:
    """Solve the Sylvester equation ``a x + x b = q``; matches ``scipy.linalg.solve_sylvester``.

    Differentiable in ``a``, ``b`` and ``q`` (the derivative solves a second Sylvester
    equation with the same ``a`` and ``b``); needs ``a`` and ``-b`` to share no eigenvalue.

    Parameters
    ----------
    a : array_like, shape ``(..., m, m)``
    b : array_like, shape ``(..., n, n)``
    q : array_like, shape ``(..., m, n)``

    Returns
    -------
    Array, shape ``(..., m, n)``
    """
    a = _square("solve_sylvester", a, "a")
    b = _square("solve_sylvester", b, "b")
    q = _matrix("solve_sylvester", q)
    return ls.sylvester(a, b, q)


def solve_continuous_lyapunov(a: ArrayLike, q: ArrayLike) -> Array:
    """Solve ``a x + x a^H = q``; matches ``scipy.linalg.solve_continuous_lyapunov``.

    Differentiable in ``a`` and ``q`` (a Sylvester equation with ``b = a^H``).

    Parameters
    ----------
    a, q : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    a = _square("solve_continuous_lyapunov", a, "a")
    q = _square("solve_continuous_lyapunov", q, "q")
    if shape_of(q)[-1] != shape_of(a)[-1]:
        raise ValueError(f"solve_continuous_lyapunov: expected a and q of the same order, got "
                         f"{shape_of(a)} and {shape_of(q)}")
    return ls.sylvester(a, _mH(a), q)


def solve_discrete_lyapunov(a: ArrayLike, q: ArrayLike, method: str | None = None) -> Array:
    """Solve ``x - a x a^H = q``; matches ``scipy.linalg.solve_discrete_lyapunov``.

    Differentiable in ``a`` and ``q``. Solved directly as the ``n^2 x n^2`` linear system
    ``(I - kron(a, conj(a))) vec(x) = vec(q)`` (SciPy's ``method='direct'``; its
    ``'bilinear'`` gives the same values), so it suits small and moderate ``n``.

    Parameters
    ----------
    a, q : array_like, shape ``(..., n, n)``
    method : {None, 'direct', 'bilinear'}, optional

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    if method not in (None, "direct", "bilinear"):
        raise ValueError(f"solve_discrete_lyapunov: expected method None, 'direct' or "
                         f"'bilinear', got {method!r}")
    a = _square("solve_discrete_lyapunov", a, "a")
    q = _square("solve_discrete_lyapunov", q, "q")
    n = shape_of(a)[-1]
    if shape_of(q)[-1] != n:
        raise ValueError(f"solve_discrete_lyapunov: expected a and q of the same order, got "
                         f"{shape_of(a)} and {shape_of(q)}")
    ac = fnp.conj(a) if _is_cplx(a) else a
    kron = fnp.einsum("...ik,...jl->...ijkl", a, ac)
    batch = shape_of(kron)[:-4]
    lhs = fnp.subtract(np.eye(n * n), fnp.reshape(kron, batch + (n * n, n * n)))
    qb = shape_of(q)[:-2]
    rhs = fnp.reshape(q, qb + (n * n, 1))
    x = fla.solve(lhs, rhs)
    return fnp.reshape(x, shape_of(x)[:-2] + (n, n))


def solve_banded(
    l_and_u: tuple[int, int],
    ab: ArrayLike,
    b: ArrayLike,
    overwrite_ab: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``a x = b`` for a banded ``a`` given in LAPACK's band storage ``ab``.

    Differentiable in ``ab`` (its band entries; the unused corners get zero) and ``b``;
    matches ``scipy.linalg.solve_banded`` (``a[i, j] = ab[u + i - j, j]``).

    Parameters
    ----------
    l_and_u : (int, int)
        Numbers of nonzero lower and upper diagonals.
    ab : array_like, shape ``(l + u + 1, n)``
    b : array_like, shape ``(n,)`` or ``(n, k)``

    Returns
    -------
    Array, shape of ``b``
    """
    try:
        nl, nu = (int(v) for v in l_and_u)
    except (TypeError, ValueError):
        raise ValueError(f"solve_banded: expected l_and_u = (l, u), got {l_and_u!r}") from None
    ab = _float("solve_banded", ab)
    b = _float("solve_banded", b)
    if nl < 0 or nu < 0:
        raise ValueError(f"solve_banded: expected non-negative (l, u), got {(nl, nu)}")
    if len(shape_of(ab)) != 2 or shape_of(ab)[0] != nl + nu + 1:
        raise ValueError(f"solve_banded: expected ab of shape ({nl + nu + 1}, n) for (l, u) = "
                         f"{(nl, nu)}, got {shape_of(ab)}")
    n = shape_of(ab)[1]
    if len(shape_of(b)) not in (1, 2) or shape_of(b)[0] != n:
        raise ValueError(f"solve_banded: expected b of shape ({n},) or ({n}, k), got "
                         f"{shape_of(b)}")
    i, j = np.indices((n, n))
    row = nu + i - j
    inside = (row >= 0) & (row <= nl + nu)
    flat = np.where(inside, row * n + j, 0)
    full = fnp.take(fnp.reshape(ab, ((nl + nu + 1) * n,)), flat)
    full = fnp.where(inside, full, np.zeros((), dtype=full.dtype))
    return fla.solve(full, b)


# --- pinv, lstsq -------------------------------------------------------------------------------


def pinv(
    a: ArrayLike,
    *,
    atol: Any = None,
    rtol: Any = None,
    return_rank: bool = False,
    check_finite: bool = True,
) -> Any:
    """Moore-Penrose pseudo-inverse; matches ``scipy.linalg.pinv``.

    Singular values below ``atol + rtol * max(s)`` are dropped. Differentiable where the rank
    is constant: with the default cutoffs (``atol=0``) the full-rank formula of
    ``fluxion.numpy.linalg.pinv`` is used; with ``atol > 0`` the SVD is truncated (whose
    derivative needs distinct singular values).

    Parameters
    ----------
    a : array_like, shape ``(..., m, n)``
    atol, rtol : float, optional
        Absolute and relative cutoffs (defaults 0 and ``max(m, n) * eps``).
    return_rank : bool, optional
        Also return the effective rank.

    Returns
    -------
    B : Array, shape ``(..., n, m)``
    rank : int or Array of int (only with ``return_rank``)
    """
    a = _matrix("pinv", a)
    m, n = shape_of(a)[-2:]
    eps = np.finfo(np.empty((), a.dtype).real.dtype).eps
    atol_v = 0.0 if atol is None else atol
    rtol_v = max(m, n) * eps if rtol is None else rtol
    if (np.ndim(atol_v) or np.ndim(rtol_v)) or atol_v < 0 or rtol_v < 0:
        raise ValueError(f"pinv: expected non-negative scalar atol and rtol, got {atol!r} and "
                         f"{rtol!r}")
    u, s, vh = la.svd(a, full_matrices=False)
    smax = fnp.max(s, axis=-1, keepdims=True)
    keep = fnp.greater(s, fnp.add(atol_v, fnp.multiply(rtol_v, smax)))
    if atol_v == 0 and not isinstance(a, Tracer):
        full_rank = bool(np.all(np.asarray(keep)))
    else:
        full_rank = atol_v == 0
    if full_rank:
        out = fla.pinv(a, rtol=rtol_v)
    else:
        sinv = fnp.where(keep, fnp.divide(1.0, fnp.where(keep, s, 1.0)), 0.0)
        out = la.matmul(fnp.multiply(_mH(vh), fnp.expand_dims(sinv, -2)), _mH(u))
    if return_rank:
        return out, fnp.sum(keep, axis=-1)
    return out


def lstsq(
    a: ArrayLike,
    b: ArrayLike,
    cond: Any = None,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    lapack_driver: str | None = None,
) -> tuple:
    """Least-squares solution of ``a x = b`` for a full-rank ``a``; matches
    ``scipy.linalg.lstsq``'s ``(x, residues, rank, s)``.

    Differentiable in ``x``, ``residues`` and ``s`` (full-rank ``a``).

    Parameters
    ----------
    a : array_like, shape ``(m, n)``
    b : array_like, shape ``(m,)`` or ``(m, k)``
    cond : float, optional
        Accepted (``a`` must have full rank).
    lapack_driver : {None, 'gelsd', 'gelsy', 'gelss'}, optional
        Accepted.

    Returns
    -------
    x : Array, shape ``(n,)`` or ``(n, k)``
    residues : Array, shape ``()`` or ``(k,)`` (squared 2-norms of ``b - a x``) when ``m > n``,
        else shape ``(0,)``
    rank : int
    s : Array, shape ``(min(m, n),)``
    """
    if lapack_driver not in (None, "gelsd", "gelsy", "gelss"):
        raise ValueError(f"lstsq: expected lapack_driver None, 'gelsd', 'gelsy' or 'gelss', got "
                         f"{lapack_driver!r}")
    a = _float("lstsq", a)
    b = _float("lstsq", b)
    if len(shape_of(a)) != 2 or len(shape_of(b)) not in (1, 2) or shape_of(b)[0] != \
            shape_of(a)[0]:
        raise ValueError(f"lstsq: expected a of shape (m, n) and b of shape (m,) or (m, k), got "
                         f"{shape_of(a)} and {shape_of(b)}")
    m, n = shape_of(a)
    x = la.matmul(fla.pinv(a), b)
    s = fla.svdvals(a)
    if m > n:
        r = fnp.subtract(b, la.matmul(a, x))
        residues = fnp.sum(fnp.real(fnp.multiply(r, fnp.conj(r))), axis=0)
    else:
        residues = np.empty((0,), dtype=np.empty((), x.dtype).real.dtype)
    return x, residues, min(m, n), s


# --- special matrices ----------------------------------------------------------------------------


def _vector(name: str, x: Any, what: str) -> Any:
    x = _asarray(x)
    if len(shape_of(x)) == 0:
        x = fnp.reshape(x, (1,))
    return x


def toeplitz(c: ArrayLike, r: ArrayLike | None = None) -> Array:
    """Toeplitz matrix ``T[i, j] = c[i - j]`` (``i >= j``), ``r[j - i]`` (``i < j``).

    Differentiable (a gather); matches ``scipy.linalg.toeplitz``. ``r[0]`` is ignored.

    Parameters
    ----------
    c : array_like, shape ``(..., m)``
        First column.
    r : array_like, shape ``(..., n)``, optional
        First row (default ``conj(c)``).

    Returns
    -------
    Array, shape ``(..., m, n)``
    """
    c = _vector("toeplitz", c, "c")
    r = (fnp.conj(c) if _is_cplx(c) else c) if r is None else _vector("toeplitz", r, "r")
    m, n = shape_of(c)[-1], shape_of(r)[-1]
    try:
        batch = tuple(np.broadcast_shapes(shape_of(c)[:-1], shape_of(r)[:-1]))
    except ValueError:
        raise ValueError(f"toeplitz: batch dimensions of c {shape_of(c)} and r {shape_of(r)} "
                         "do not broadcast") from None
    c = fnp.broadcast_to(c, batch + (m,))
    r = fnp.broadcast_to(r, batch + (n,))
    vals = fnp.concatenate([fnp.flip(c, axis=-1), fnp.take(r, np.arange(1, n), axis=-1)],
                           axis=-1)
    i, j = np.indices((m, n))
    return fnp.take(vals, m - 1 + j - i, axis=-1)


def circulant(c: ArrayLike) -> Array:
    """Circulant matrix ``C[i, j] = c[(i - j) % n]``; matches ``scipy.linalg.circulant``.

    Differentiable (a gather).

    Parameters
    ----------
    c : array_like, shape ``(..., n)``
        First column.

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    c = _vector("circulant", c, "c")
    n = shape_of(c)[-1]
    i, j = np.indices((n, n))
    return fnp.take(c, (i - j) % n, axis=-1)


def hankel(c: ArrayLike, r: ArrayLike | None = None) -> Array:
    """Hankel matrix ``H[i, j] = c[i + j]`` (``i + j < m``), ``r[i + j - m + 1]`` otherwise.

    Differentiable (a gather); matches ``scipy.linalg.hankel`` for 1-D input (stacks are
    treated as batches, as SciPy will from version 1.19). ``r[0]`` is ignored.

    Parameters
    ----------
    c : array_like, shape ``(..., m)``
        First column.
    r : array_like, shape ``(..., n)``, optional
        Last row (default zeros, ``n = m``).

    Returns
    -------
    Array, shape ``(..., m, n)``
    """
    c = _vector("hankel", c, "c")
    if r is None:
        r = np.zeros(shape_of(c), dtype=c.dtype)
    r = _vector("hankel", r, "r")
    m, n = shape_of(c)[-1], shape_of(r)[-1]
    try:
        batch = tuple(np.broadcast_shapes(shape_of(c)[:-1], shape_of(r)[:-1]))
    except ValueError:
        raise ValueError(f"hankel: batch dimensions of c {shape_of(c)} and r {shape_of(r)} "
                         "do not broadcast") from None
    c = fnp.broadcast_to(c, batch + (m,))
    r = fnp.broadcast_to(r, batch + (n,))
    vals = fnp.concatenate([c, fnp.take(r, np.arange(1, n), axis=-1)], axis=-1)
    i, j = np.indices((m, n))
    return fnp.take(vals, i + j, axis=-1)


def block_diag(*arrs: ArrayLike) -> Array:
    """Block-diagonal matrix of the given blocks; matches ``scipy.linalg.block_diag``.

    Differentiable (a concatenation). 0-d inputs are 1x1 blocks, 1-D inputs are rows.

    Parameters
    ----------
    *arrs : array_like, up to 2-D each

    Returns
    -------
    Array, shape ``(sum of rows, sum of columns)`` (``(1, 0)`` for no input)
    """
    if not arrs:
        return np.empty((1, 0))
    blocks = []
    for k, x in enumerate(arrs):
        x = _asarray(x)
        nd = len(shape_of(x))
        if nd > 2:
            raise ValueError(f"block_diag: expected arrays of at most 2 dimensions, got shape "
                             f"{shape_of(x)} for argument {k}")
        if nd < 2:
            x = fnp.reshape(x, (1, -1) if nd == 1 else (1, 1))
        blocks.append(x)
    dtype = np.result_type(*(b.dtype for b in blocks))
    cols = [shape_of(b)[1] for b in blocks]
    total = sum(cols)
    rows = []
    start = 0
    for blk, w in zip(blocks, cols):
        h = shape_of(blk)[0]
        parts = []
        if start:
            parts.append(np.zeros((h, start), dtype))
        parts.append(fnp.astype(blk, dtype) if blk.dtype != dtype else blk)
        if total - start - w:
            parts.append(np.zeros((h, total - start - w), dtype))
        rows.append(fnp.concatenate(parts, axis=1) if len(parts) > 1 else parts[0])
        start += w
    return fnp.concatenate(rows, axis=0) if len(rows) > 1 else rows[0]


# --- trigonometric and hyperbolic matrix functions (from expm: differentiable through it) ------


def _maybe_real(a: Any, x: Any) -> Any:
    return fnp.real(x) if not _is_cplx(a) and _is_cplx(x) else x


def cosm(A: ArrayLike) -> Array:  # noqa: N803
    """Matrix cosine, ``(expm(iA) + expm(-iA)) / 2``; matches ``scipy.linalg.cosm``.

    Differentiable to any order (through :func:`expm`).

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    a = _square("cosm", A, "A")
    if _is_cplx(a):
        return fnp.multiply(0.5, fnp.add(ls.expm(fnp.multiply(1j, a)),
                                         ls.expm(fnp.multiply(-1j, a))))
    return fnp.real(ls.expm(fnp.multiply(1j, a)))


def sinm(A: ArrayLike) -> Array:  # noqa: N803
    """Matrix sine, ``(expm(iA) - expm(-iA)) / 2i``; matches ``scipy.linalg.sinm``.

    Differentiable to any order (through :func:`expm`).

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    a = _square("sinm", A, "A")
    if _is_cplx(a):
        return fnp.multiply(-0.5j, fnp.subtract(ls.expm(fnp.multiply(1j, a)),
                                                ls.expm(fnp.multiply(-1j, a))))
    return fnp.imag(ls.expm(fnp.multiply(1j, a)))


def tanm(A: ArrayLike) -> Array:  # noqa: N803
    """Matrix tangent, ``cosm(A)^-1 sinm(A)``; matches ``scipy.linalg.tanm``.

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    a = _square("tanm", A, "A")
    return _maybe_real(a, fla.solve(cosm(a), sinm(a)))


def coshm(A: ArrayLike) -> Array:  # noqa: N803
    """Matrix hyperbolic cosine, ``(expm(A) + expm(-A)) / 2``; matches ``scipy.linalg.coshm``.

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    a = _square("coshm", A, "A")
    return fnp.multiply(0.5, fnp.add(ls.expm(a), ls.expm(fnp.negative(a))))


def sinhm(A: ArrayLike) -> Array:  # noqa: N803
    """Matrix hyperbolic sine, ``(expm(A) - expm(-A)) / 2``; matches ``scipy.linalg.sinhm``.

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    a = _square("sinhm", A, "A")
    return fnp.multiply(0.5, fnp.subtract(ls.expm(a), ls.expm(fnp.negative(a))))


def tanhm(A: ArrayLike) -> Array:  # noqa: N803
    """Matrix hyperbolic tangent, ``coshm(A)^-1 sinhm(A)``; matches ``scipy.linalg.tanhm``.

    Parameters
    ----------
    A : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n, n)``
    """
    a = _square("tanhm", A, "A")
    return fla.solve(coshm(a), sinhm(a))


# --- eig, eigvals, norm ------------------------------------------------------------------------


def _eig_prep(name: str, a: Any, b: Any, homogeneous_eigvals: bool) -> Any:
    if homogeneous_eigvals:
        raise NotImplementedError(f"{name}: homogeneous_eigvals=True is not supported")
    a = _square(name, a)
    if b is not None:
        b = _square(name, b, "b")
        if shape_of(b)[-1] != shape_of(a)[-1]:
            raise ValueError(f"{name}: expected b of the same order as a, got {shape_of(a)} "
                             f"and {shape_of(b)}")
        a = fla.solve(b, a)
    return a


def eig(
    a: ArrayLike,
    b: ArrayLike | None = None,
    left: bool = False,
    right: bool = True,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    homogeneous_eigvals: bool = False,
) -> Any:
    """Eigenvalues and right eigenvectors of a general square matrix; matches
    ``scipy.linalg.eig``.

    Differentiable (see ``fluxion.numpy.linalg.eig``: distinct eigenvalues; eigenvectors are
    unit-norm columns, defined up to a phase). With ``b`` (nonsingular) the generalized
    eigenvalues of ``a v = w b v`` are those of ``b^-1 a``; only ``right=False`` is supported
    then (LAPACK normalizes generalized eigenvectors differently).

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    b : array_like, shape ``(..., n, n)``, optional
    left : bool, optional
        Left eigenvectors are not supported (raises ``NotImplementedError``).
    right : bool, optional
        Return the right eigenvectors (default).

    Returns
    -------
    w : Array, shape ``(..., n)``, complex
    vr : Array, shape ``(..., n, n)``, complex (only with ``right``)
    """
    if left:
        raise NotImplementedError("eig: left eigenvectors are not supported (left=True)")
    if b is not None and right:
        raise NotImplementedError(
            "eig: generalized eigenvectors (b given, right=True) are not supported; pass "
            "right=False for the eigenvalues"
        )
    a = _eig_prep("eig", a, b, homogeneous_eigvals)
    if not right:
        return fla.eigvals(a)
    w, v = fla.eig(a)
    return w, v


def eigvals(
    a: ArrayLike,
    b: ArrayLike | None = None,
    overwrite_a: bool = False,
    check_finite: bool = True,
    homogeneous_eigvals: bool = False,
) -> Array:
    """Eigenvalues of a general square matrix (or of ``a v = w b v``, nonsingular ``b``);
    matches ``scipy.linalg.eigvals``. Differentiable for distinct eigenvalues.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    b : array_like, shape ``(..., n, n)``, optional

    Returns
    -------
    Array, shape ``(..., n)``, complex
    """
    return fla.eigvals(_eig_prep("eigvals", a, b, homogeneous_eigvals))


def norm(
    a: ArrayLike,
    ord: Any = None,  # noqa: A002
    axis: Any = None,
    keepdims: bool = False,
    check_finite: bool = True,
) -> Array:
    """Matrix or vector norm; matches ``scipy.linalg.norm`` (``numpy.linalg.norm``'s
    conventions). Differentiable where the norm is (see ``fluxion.numpy.linalg.norm``).

    Parameters
    ----------
    a : array_like
    ord : {None, 'fro', 'nuc', inf, -inf, int, float}, optional
    axis : int or (int, int), optional
    keepdims : bool, optional

    Returns
    -------
    Array
    """
    return fla.norm(_float("norm", a), ord=ord, axis=axis, keepdims=keepdims)


# --- more special matrices ------------------------------------------------------------------------


def khatri_rao(a: ArrayLike, b: ArrayLike) -> Array:
    """Column-wise Kronecker product; matches ``scipy.linalg.khatri_rao``. Differentiable.

    Parameters
    ----------
    a : array_like, shape ``(m, k)``
    b : array_like, shape ``(p, k)``

    Returns
    -------
    Array, shape ``(m * p, k)``
    """
    a = _asarray(a)
    b = _asarray(b)
    if len(shape_of(a)) != 2 or len(shape_of(b)) != 2 or shape_of(a)[1] != shape_of(b)[1]:
        raise ValueError(f"khatri_rao: expected 2-D a and b with the same number of columns, "
                         f"got shapes {shape_of(a)} and {shape_of(b)}")
    (m, k), p = shape_of(a), shape_of(b)[0]
    return fnp.reshape(fnp.einsum("ik,jk->ijk", a, b), (m * p, k))


def companion(a: ArrayLike) -> Array:
    """Companion matrix of the polynomial with coefficients ``a`` (highest degree first);
    matches ``scipy.linalg.companion``. Differentiable (``a[0] != 0``).

    Parameters
    ----------
    a : array_like, shape ``(..., n)``, ``n >= 2``

    Returns
    -------
    Array, shape ``(..., n - 1, n - 1)``: first row ``-a[1:] / a[0]``, ones below the diagonal.
    """
    a = _float("companion", a)
    shape = shape_of(a)
    if len(shape) < 1 or shape[-1] < 2:
        raise ValueError(f"companion: expected a of shape (..., n) with n >= 2, got {shape}")
    n = shape[-1]
    lead = fnp.take(a, np.arange(1), axis=-1)
    first = fnp.negative(fnp.divide(fnp.take(a, np.arange(1, n), axis=-1), lead))
    first = fnp.expand_dims(first, -2)
    if n == 2:
        return first
    below = np.broadcast_to(np.eye(n - 2, n - 1, dtype=first.dtype), shape[:-1] + (n - 2, n - 1))
    return fnp.concatenate([first, below], axis=-2)


def solveh_banded(
    ab: ArrayLike,
    b: ArrayLike,
    overwrite_ab: bool = False,
    overwrite_b: bool = False,
    lower: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``a x = b`` for a Hermitian positive-definite banded ``a`` in LAPACK's band
    storage; matches ``scipy.linalg.solveh_banded``.

    Differentiable in ``ab`` (the stored band; the unused corner gets zero) and ``b``.
    Upper form (default): ``ab[u + i - j, j] = a[i, j]`` for ``i <= j``; lower form:
    ``ab[i - j, j] = a[i, j]`` for ``i >= j``.

    Parameters
    ----------
    ab : array_like, shape ``(u + 1, n)``
    b : array_like, shape ``(n,)`` or ``(n, k)``
    lower : bool, optional

    Returns
    -------
    Array, shape of ``b``
    """
    ab = _float("solveh_banded", ab)
    b = _float("solveh_banded", b)
    if len(shape_of(ab)) != 2:
        raise ValueError(f"solveh_banded: expected ab of shape (u + 1, n), got {shape_of(ab)}")
    rows, n = shape_of(ab)
    if len(shape_of(b)) not in (1, 2) or shape_of(b)[0] != n:
        raise ValueError(f"solveh_banded: expected b of shape ({n},) or ({n}, k), got "
                         f"{shape_of(b)}")
    u = rows - 1
    i, j = np.indices((n, n))
    row = i - j if lower else u + i - j
    inside = (i >= j) & (i - j <= u) if lower else (i <= j) & (j - i <= u)
    flat = np.where(inside, row * n + j, 0)
    full = fnp.take(fnp.reshape(ab, (rows * n,)), flat)
    full = fnp.where(inside, full, np.zeros((), dtype=full.dtype))
    return fla.solve(fla._from_triangle(full, lower=bool(lower)), b)
