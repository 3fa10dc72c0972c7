"""Differentiable ``numpy.linalg`` functions on the linear-algebra primitives.

``solve``, ``inv``, ``cholesky``, ``det``, ``slogdet`` and ``eigh`` bind primitives; ``norm``,
``matrix_power``, ``multi_dot`` and the rest are composites. Functions that NumPy computes from
one triangle of a symmetric input (``cholesky``, ``eigh``, ``eigvalsh``) first rebuild the
symmetric matrix from that triangle, so their derivatives agree with finite differences of the
NumPy function for any perturbation.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..backend import as_array
from ..core import Tracer
from ..prims import linalg as la
from ..prims._helpers import normalize_axis, shape_of
from . import contract
from . import core as fnp

ArrayLike = Any
Array = Any

__all__ = [
    "EigResult",
    "EighResult",
    "LstsqResult",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "tensorinv",
    "tensorsolve",
    "trace",
    "vecdot",
    "vector_norm",
]


class SlogdetResult(NamedTuple):
    """``(sign, logabsdet)`` of :func:`slogdet`; ``det = sign * exp(logabsdet)``."""

    sign: Any
    logabsdet: Any


class EighResult(NamedTuple):
    """``(eigenvalues, eigenvectors)`` of :func:`eigh`."""

    eigenvalues: Any
    eigenvectors: Any


def _asarray(x: Any) -> Any:
    if isinstance(x, Tracer | np.ndarray):
        return x
    return as_array(x)  # device arrays stay on their device


def _ndim(x: Any) -> int:
    return len(shape_of(x))


def _require_matrix(name: str, a: Any) -> None:
    if _ndim(a) < 2:
        raise ValueError(
            f"{name}: expected an array of at least two dimensions (..., n, n), got shape "
            f"{shape_of(a)}"
        )


def _require_square(name: str, a: Any) -> None:
    shape = shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name}: expected a square matrix (..., n, n), got shape {shape}")


def _from_triangle(a: Any, lower: bool) -> Any:
    """The symmetric (complex: Hermitian) matrix whose chosen triangle is that of ``a``.

    As LAPACK does for Hermitian input, the other triangle is the conjugate transpose of the
    chosen one and the imaginary part of the diagonal is ignored.
    """
    strict = fnp.tril(a, -1) if lower else fnp.triu(a, 1)
    if fnp.iscomplexobj(a):
        n = shape_of(a)[-1]
        diag = fnp.multiply(fnp.real(a), np.eye(n))
        return fnp.add(fnp.add(strict, fnp.conj(la.matrix_transpose(strict))), diag)
    if lower:
        return fnp.add(fnp.tril(a), la.matrix_transpose(fnp.tril(a, -1)))
    return fnp.add(fnp.triu(a), la.matrix_transpose(fnp.triu(a, 1)))


# --------------------------------------------------------------------------------------------
# Primitive-backed functions
# --------------------------------------------------------------------------------------------


def solve(a: ArrayLike, b: ArrayLike) -> Array:
    """Solve the linear system ``a @ x = b``.

    Differentiable; matches ``numpy.linalg.solve`` (NumPy 2 semantics: ``b`` is a vector only
    when ``b.ndim == 1``; otherwise it is a stack of matrices).

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
        Coefficient matrices.
    b : array_like, shape ``(n,)`` or ``(..., n, k)``
        Right-hand sides.

    Returns
    -------
    Array, shape ``(..., n)`` or ``(..., n, k)``
        The solution; batch dimensions broadcast.

    Raises
    ------
    ValueError
        If ``a`` is not square or ``b`` does not match it.
    numpy.linalg.LinAlgError
        If ``a`` is singular.
    """
    return la.solve(_asarray(a), _asarray(b))


def inv(a: ArrayLike) -> Array:
    """Inverse of a square matrix (or a stack of them).

    Differentiable; matches ``numpy.linalg.inv``.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n, n)``

    Raises
    ------
    ValueError
        If ``a`` is not square.
    numpy.linalg.LinAlgError
        If ``a`` is singular.
    """
    return la.inv(_asarray(a))


def cholesky(a: ArrayLike, /, *, upper: bool = False) -> Array:
    """Cholesky factor of a symmetric positive-definite matrix.

    Differentiable; matches ``numpy.linalg.cholesky``: ``a = L @ L.conj().T`` with ``L`` lower
    triangular (or ``a = U.conj().T @ U`` with ``upper=True``); complex ``a`` is Hermitian.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
        Symmetric positive-definite matrices; only the lower (``upper=True``: upper) triangle is
        read.
    upper : bool, optional
        Return the upper-triangular factor ``U = L.T``.

    Returns
    -------
    Array, shape ``(..., n, n)``

    Raises
    ------
    ValueError
        If ``a`` is not square.
    numpy.linalg.LinAlgError
        If ``a`` is not positive definite.

    Notes
    -----
    As NumPy reads one triangle only, the derivative with respect to the other triangle is
    zero; for a symmetric ``a(θ)`` built by the caller the chain rule gives the usual result.
    """
    a = _asarray(a)
    _require_square("cholesky", a)
    if upper:  # U = L^H (the conjugate transpose for complex a, as NumPy)
        factor = la.matrix_transpose(la.cholesky(_from_triangle(a, lower=False)))
        return fnp.conj(factor) if fnp.iscomplexobj(factor) else factor
    return la.cholesky(_from_triangle(a, lower=True))


def det(a: ArrayLike) -> Array:
    """Determinant of a square matrix (or a stack of them).

    Differentiable; matches ``numpy.linalg.det``.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(...)``

    Notes
    -----
    The derivative ``det(a) a^-T`` needs ``a`` invertible.
    """
    return la.det(_asarray(a))


def slogdet(a: ArrayLike) -> SlogdetResult:
    """Sign and natural log of the absolute determinant.

    Differentiable (in ``logabsdet``; ``sign`` is piecewise constant); matches
    ``numpy.linalg.slogdet``.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``

    Returns
    -------
    SlogdetResult
        ``sign`` and ``logabsdet``, each of shape ``(...)``.
    """
    sign, logabsdet = la.slogdet(_asarray(a))
    return SlogdetResult(sign, logabsdet)


def eigh(a: ArrayLike, UPLO: str = "L") -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix.

    Differentiable; matches ``numpy.linalg.eigh``.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
        Symmetric matrices; only the triangle chosen by ``UPLO`` is read.
    UPLO : {'L', 'U'}, optional
        Which triangle to read (default lower).

    Returns
    -------
    EighResult
        ``eigenvalues`` of shape ``(..., n)`` and ``eigenvectors`` of shape ``(..., n, n)``
        (column ``i`` belongs to eigenvalue ``i``).

    Notes
    -----
    Eigenvectors are defined up to sign (and, for repeated eigenvalues, up to rotation); the
    eigenvector derivative divides by eigenvalue gaps and is infinite for repeated eigenvalues.
    Differentiate sign-invariant quantities (``v * v``, ``v @ diag(f(w)) @ v.T``).
    """
    a = _asarray(a)
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: expected UPLO to be 'L' or 'U', got {UPLO!r}")
    _require_square("eigh", a)
    w, v = la.eigh(_from_triangle(a, lower=UPLO == "L"))
    return EighResult(w, v)


def eigvalsh(a: ArrayLike, UPLO: str = "L") -> Array:  # noqa: N803
    """Eigenvalues (ascending) of a symmetric matrix.

    Differentiable; matches ``numpy.linalg.eigvalsh``.

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``
    UPLO : {'L', 'U'}, optional
        Which triangle to read.

    Returns
    -------
    Array, shape ``(..., n)``
    """
    return eigh(a, UPLO).eigenvalues


# --------------------------------------------------------------------------------------------
# Composites
# --------------------------------------------------------------------------------------------


def matmul(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Matrix product; the same as :func:`fluxion.numpy.matmul` (``numpy.linalg.matmul``)."""
    return contract.matmul(x1, x2)


def tensordot(x1: ArrayLike, x2: ArrayLike, /, *, axes: Any = 2) -> Array:
    """Tensor dot product; the same as :func:`fluxion.numpy.tensordot`."""
    return contract.tensordot(x1, x2, axes)


def outer(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Outer product of two 1-D arrays; matches ``numpy.linalg.outer``.

    Parameters
    ----------
    x1 : array_like, shape ``(m,)``
    x2 : array_like, shape ``(n,)``

    Returns
    -------
    Array, shape ``(m, n)``
    """
    x1, x2 = _asarray(x1), _asarray(x2)
    if _ndim(x1) != 1 or _ndim(x2) != 1:
        raise ValueError(
            f"outer: expected 1-D inputs, got shapes {shape_of(x1)} and {shape_of(x2)}"
        )
    return contract.outer(x1, x2)


def matrix_transpose(x: ArrayLike, /) -> Array:
    """Swap the last two axes; matches ``numpy.linalg.matrix_transpose``.

    Parameters
    ----------
    x : array_like, shape ``(..., m, n)``

    Returns
    -------
    Array, shape ``(..., n, m)``
    """
    x = _asarray(x)
    _require_matrix("matrix_transpose", x)
    return la.matrix_transpose(x)


def matrix_power(a: ArrayLike, n: int) -> Array:
    """Raise a square matrix to an integer power by repeated squaring.

    Differentiable; matches ``numpy.linalg.matrix_power``.

    Parameters
    ----------
    a : array_like, shape ``(..., m, m)``
    n : int
        The exponent; negative powers invert ``a`` first, ``0`` gives the identity.

    Returns
    -------
    Array, shape ``(..., m, m)``
    """
    a = _asarray(a)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: expected an integer exponent, got {n!r}") from None
    shape = shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"matrix_power: expected a square matrix (..., m, m), got shape {shape}")
    if n == 0:
        dtype = a.dtype if a.dtype.kind in "fc" else np.float64
        return np.broadcast_to(np.eye(shape[-1], dtype=dtype), shape).copy()
    if n < 0:
        a = inv(a)
        n = -n
    result = None
    base = a
    while n:
        if n & 1:
            result = base if result is None else la.matmul(result, base)
        n >>= 1
        if n:
            base = la.matmul(base, base)
    return result


def multi_dot(arrays: Sequence[ArrayLike], *, out: Any = None) -> Array:
    """Chain of matrix products; the first and last arrays may be vectors.

    Differentiable; matches ``numpy.linalg.multi_dot``.

    Parameters
    ----------
    arrays : sequence of array_like
        ``(n,)`` or ``(n, k)`` first, 2-D in between, ``(k,)`` or ``(k, m)`` last.

    Returns
    -------
    Array
        The product, with the axes of 1-D end operands removed.

    Notes
    -----
    The products are evaluated left to right; ``out`` is not supported.
    """
    if out is not None:
        raise TypeError("multi_dot: the out= argument is not supported")
    arrays = [_asarray(x) for x in arrays]
    if len(arrays) < 2:
        raise ValueError(f"multi_dot: expected at least two arrays, got {len(arrays)}")
    for i, x in enumerate(arrays):
        allowed = (1, 2) if i in (0, len(arrays) - 1) else (2,)
        if _ndim(x) not in allowed:
            raise ValueError(
                f"multi_dot: array {i} must be {' or '.join(f'{d}-D' for d in allowed)}, got "
                f"shape {shape_of(x)}"
            )
    result = arrays[0]
    for x in arrays[1:]:
        result = la.matmul(result, x)
    return result


def _as_float(x: Any) -> Any:
    if x.dtype.kind not in "fc":
        return fnp.astype(x, np.float64)
    return x


def _abs(x: Any) -> Any:
    # |x|; for complex x as sqrt(Re(x conj x)), whose derivative Re(conj(x) dx) / |x| is real
    # (fnp.abs of a complex array currently has a complex tangent)
    if x.dtype.kind == "c":
        return fnp.sqrt(_abs_square(x))
    return fnp.abs(x)


def _abs_square(x: Any) -> Any:
    if x.dtype.kind == "c":
        return fnp.real(fnp.multiply(x, fnp.conj(x)))
    return fnp.multiply(x, x)


def vector_norm(
    x: ArrayLike,
    /,
    *,
    axis: Any = None,
    keepdims: bool = False,
    ord: Any = 2,  # noqa: A002
) -> Array:
    """Vector norm over ``axis`` (all axes by default); matches ``numpy.linalg.vector_norm``.

    Parameters
    ----------
    x : array_like
    axis : int or tuple of int, optional
        Axes to take the norm over (``None``: all, flattened).
    keepdims : bool, optional
        Keep the reduced axes with size one.
    ord : {2, 1, inf, -inf, 0, float}, optional
        ``sum(abs(x)**ord)**(1/ord)``; ``inf``/``-inf``: max/min of ``abs(x)``; ``0``: the
        number of non-zeros (not differentiable).

    Returns
    -------
    Array
        ``x.shape`` without the reduced axes.

    Notes
    -----
    The 2-norm is not differentiable at ``x = 0`` (NaN there, as in JAX).
    """
    x = _as_float(_asarray(x))
    if ord is None:
        ord = 2  # noqa: A001
    if isinstance(ord, str):
        raise ValueError(f"vector_norm: invalid norm order {ord!r} for vectors")
    if ord == 2:
        return fnp.sqrt(fnp.sum(_abs_square(x), axis=axis, keepdims=keepdims))
    ax = _abs(x)
    if ord == np.inf:
        return fnp.max(ax, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return fnp.min(ax, axis=axis, keepdims=keepdims)
    if ord == 0:
        return fnp.sum(fnp.astype(fnp.not_equal(x, 0), x.real.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return fnp.sum(ax, axis=axis, keepdims=keepdims)
    total = fnp.sum(fnp.power(ax, float(ord)), axis=axis, keepdims=keepdims)
    return fnp.power(total, 1.0 / ord)


def _singular_values(x: Any) -> Any:
    """Singular values (ascending) of the last two axes."""
    return fnp.flip(la.svd(x)[1], axis=-1)


def matrix_norm(x: ArrayLike, /, *, keepdims: bool = False, ord: Any = "fro") -> Array:  # noqa: A002
    """Matrix norm of the last two axes; matches ``numpy.linalg.matrix_norm``.

    Parameters
    ----------
    x : array_like, shape ``(..., m, n)``
    keepdims : bool, optional
    ord : {'fro', 'nuc', 1, -1, 2, -2, inf, -inf}, optional

    Returns
    -------
    Array, shape ``(...)``
    """
    x = _asarray(x)
    _require_matrix("matrix_norm", x)
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def norm(x: ArrayLike, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Array:  # noqa: A002
    """Matrix or vector norm.

    Differentiable; matches ``numpy.linalg.norm``.

    Parameters
    ----------
    x : array_like
        Input; with ``axis=None`` it must be 1-D or 2-D unless ``ord`` is ``None``.
    ord : {None, 'fro', 'nuc', inf, -inf, 0, 1, -1, 2, -2, float}, optional
        The norm (see ``numpy.linalg.norm``); ``None`` is the 2-norm of the flattened input.
    axis : int or (int, int), optional
        A vector norm over one axis or a matrix norm over two.
    keepdims : bool, optional
        Keep the reduced axes with size one.

    Returns
    -------
    Array
        ``x.shape`` without the reduced axes.

    Raises
    ------
    ValueError
        For an invalid ``ord`` or ``axis``.

    Notes
    -----
    The matrix 2-norm, -2-norm and nuclear norm use the singular values (:func:`svd`); their
    derivatives need the extreme singular value to be simple (2, -2) or all singular values
    to be distinct and non-zero (nuc, second derivatives).
    """
    x = _as_float(_asarray(fnp.seq_as_array(x)))  # a list of traced scalars is accepted
    nd = _ndim(x)
    if axis is None:
        if ord is None or (ord in ("f", "fro") and nd == 2) or (ord == 2 and nd == 1):
            out = fnp.sqrt(fnp.sum(_abs_square(x)))
            return fnp.reshape(out, (1,) * nd) if keepdims else out
        if nd == 1:
            axis = (0,)
        elif nd == 2:
            axis = (0, 1)
        else:
            raise ValueError(
                f"norm: improper number of dimensions to norm, got shape {shape_of(x)}; pass axis"
            )
    if isinstance(axis, int | np.integer):
        axis = (axis,)
    axis = tuple(normalize_axis(a, nd, "norm") for a in axis)
    if len(axis) == 1:
        return vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    if len(axis) != 2 or axis[0] == axis[1]:
        raise ValueError(f"norm: expected one axis or two distinct axes, got {axis}")
    row, col = axis
    if ord is None or ord in ("f", "fro"):
        out = fnp.sqrt(fnp.sum(_abs_square(x), axis=axis))
    elif ord in (1, -1):
        reduce = fnp.max if ord == 1 else fnp.min
        out = reduce(fnp.sum(_abs(x), axis=row), axis=col - 1 if col > row else col)
    elif ord in (np.inf, -np.inf):
        reduce = fnp.max if ord == np.inf else fnp.min
        out = reduce(fnp.sum(_abs(x), axis=col), axis=row - 1 if row > col else row)
    elif ord in (2, -2, "nuc"):
        s = _singular_values(fnp.moveaxis(x, (row, col), (-2, -1)))
        if ord == 2:
            out = s[..., -1]
        elif ord == -2:
            out = s[..., 0]
        else:
            out = fnp.sum(s, axis=-1)
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        shape = list(shape_of(x))
        for a in axis:
            shape[a] = 1
        out = fnp.reshape(out, tuple(shape))
    return out




# --------------------------------------------------------------------------------------------
# Issue 13: further numpy.linalg functions (compositions of the primitives above)
# --------------------------------------------------------------------------------------------


def svdvals(x: ArrayLike, /) -> Array:
    """Singular values of a matrix (or a stack), in descending order.

    Differentiable; matches ``numpy.linalg.svdvals``.

    Parameters
    ----------
    x : array_like, shape ``(..., m, n)``

    Returns
    -------
    Array, shape ``(..., min(m, n))``, real.

    Notes
    -----
    First derivatives, ``ds_k = Re(u_k^H da v_k)``, are finite everywhere; at repeated
    singular values they depend on which singular vectors LAPACK picks (the singular values
    are not differentiable there). Second derivatives divide by the gaps ``s_i^2 - s_j^2`` and
    by ``s`` (non-square matrices): they are infinite or NaN at repeated or zero values.
    """
    x = _as_float(_asarray(x))
    _require_matrix("svdvals", x)
    return fnp.flip(_singular_values(x), axis=-1)


def cond(x: ArrayLike, p: Any = None) -> Array:
    """Condition number of a matrix (or a stack).

    Differentiable; matches ``numpy.linalg.cond``.

    Parameters
    ----------
    x : array_like, shape ``(..., m, n)``
        Square unless ``p`` is ``None``, ``2`` or ``-2``.
    p : {None, 1, -1, 2, -2, inf, -inf, 'fro', 'nuc'}, optional
        The norm; ``None``/``2``: ``s_max / s_min``, ``-2``: ``s_min / s_max``, otherwise
        ``norm(x, p) * norm(inv(x), p)``.

    Returns
    -------
    Array, shape ``(...)``

    Notes
    -----
    Singular matrices raise ``LinAlgError`` for the ``norm(inv)`` orders (NumPy returns inf).
    """
    x = _as_float(_asarray(x))
    _require_matrix("cond", x)
    if p is None or p in (2, -2):
        s = _singular_values(x)
        big, small = s[..., -1], s[..., 0]
        return fnp.divide(small, big) if p == -2 else fnp.divide(big, small)
    _require_square("cond", x)
    return fnp.multiply(
        norm(x, p, axis=(-2, -1)), norm(inv(x), p, axis=(-2, -1))
    )


def _default_rtol(x: Any, rtol: Any) -> Any:
    m, n = shape_of(x)[-2:]
    if rtol is None:
        return max(m, n) * np.finfo(np.empty((), x.dtype).real.dtype).eps
    return rtol


def pinv(a: ArrayLike, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Array:
    """Moore-Penrose pseudo-inverse of a matrix (or a stack).

    Differentiable for matrices of full rank; matches ``numpy.linalg.pinv``.

    Parameters
    ----------
    a : array_like, shape ``(..., m, n)``
    rcond, rtol : float, optional
        Relative cutoff for small singular values (NumPy's meanings; pass at most one).
    hermitian : bool, optional
        Whether ``a`` is Hermitian (NumPy then uses an eigendecomposition).

    Returns
    -------
    Array, shape ``(..., n, m)``

    Notes
    -----
    A concrete (not traced) input is handed to NumPy, so rank-deficient matrices get NumPy's
    truncated pseudo-inverse. Traced (differentiated or jitted) inputs use
    ``(a^H a)^-1 a^H`` (tall or square) or ``a^H (a a^H)^-1`` (wide), which is smooth for full
    rank and assumes it: the cutoffs are not applied, an exactly singular Gram matrix raises
    ``LinAlgError`` and a nearly singular one gives an inaccurate result.
    """
    if rcond is not None and rtol is not None:
        raise ValueError("pinv: pass only one of rcond and rtol")
    a = _as_float(_asarray(a))
    _require_matrix("pinv", a)
    if not isinstance(a, Tracer):
        kwargs = {} if rtol is None else {"rtol": rtol}
        if rcond is not None:
            kwargs["rcond"] = rcond
        return np.linalg.pinv(a, hermitian=hermitian, **kwargs)
    m, n = shape_of(a)[-2:]
    ah = la.matrix_transpose(a)
    if fnp.iscomplexobj(a):
        ah = fnp.conj(ah)
    if m >= n:
        return solve(la.matmul(ah, a), ah)
    return la.matrix_transpose(solve(la.matrix_transpose(la.matmul(a, ah)),
                                     la.matrix_transpose(ah)))


class LstsqResult(NamedTuple):
    """``(x, residuals, rank, s)`` of :func:`lstsq`, as ``numpy.linalg.lstsq`` returns."""

    x: Any
    residuals: Any
    rank: Any
    s: Any


def lstsq(a: ArrayLike, b: ArrayLike, rcond: Any = None) -> LstsqResult:
    """Least-squares solution of ``a @ x = b`` for a full-rank ``a``.

    Differentiable in ``x``, ``residuals`` and ``s``; matches ``numpy.linalg.lstsq``.

    Parameters
    ----------
    a : array_like, shape ``(m, n)``
    b : array_like, shape ``(m,)`` or ``(m, k)``
    rcond : float, optional
        Accepted for NumPy compatibility (``a`` must have full rank).

    Returns
    -------
    LstsqResult
        ``x`` of shape ``(n,)`` or ``(n, k)``; ``residuals`` of shape ``(1,)`` or ``(k,)``
        (the squared 2-norms of ``b - a x``; empty when ``m <= n``); ``rank`` (int, not
        differentiable); ``s``, the singular values of ``a``, shape ``(min(m, n),)``.

    Notes
    -----
    Concrete inputs are handed to NumPy. Traced ones use ``x = pinv(a) @ b``, which assumes
    full rank (see :func:`pinv`); ``rank`` is then ``min(m, n)``.
    """
    a = _as_float(_asarray(a))
    b = _as_float(_asarray(b))
    if _ndim(a) != 2 or _ndim(b) not in (1, 2) or shape_of(b)[0] != shape_of(a)[0]:
        raise ValueError(
            f"lstsq: expected a of shape (m, n) and b of shape (m,) or (m, k), got "
            f"{shape_of(a)} and {shape_of(b)}"
        )
    if not isinstance(a, Tracer) and not isinstance(b, Tracer):
        return LstsqResult(*np.linalg.lstsq(a, b, rcond=rcond))
    m, n = shape_of(a)
    x = la.matmul(pinv(a, rcond), b)
    s = svdvals(a)
    if m > n:
        r = fnp.subtract(b, la.matmul(a, x))
        residuals = fnp.sum(_abs_square(r), axis=0)
        if _ndim(b) == 1:
            residuals = fnp.reshape(residuals, (1,))
    else:
        residuals = np.empty((0,), dtype=np.empty((), x.dtype).real.dtype)
    return LstsqResult(x, residuals, min(m, n), s)


def matrix_rank(A: ArrayLike, tol: Any = None, hermitian: bool = False, *,  # noqa: N803
                rtol: Any = None) -> Array:
    """Rank of a matrix (or a stack): the number of singular values above a tolerance.

    Not differentiable (an integer); matches ``numpy.linalg.matrix_rank``.

    Parameters
    ----------
    A : array_like, shape ``(..., m, n)`` (or fewer dimensions: rank 0 or 1)
    tol : float, optional
        Absolute threshold; default ``s_max * max(m, n) * eps`` (or ``rtol * s_max``).
    hermitian : bool, optional
        Accepted for NumPy compatibility.
    rtol : float, optional
        Relative threshold (only without ``tol``).

    Returns
    -------
    Array of int, shape ``(...)``
    """
    A = _asarray(A)
    if not isinstance(A, Tracer):
        return np.asarray(np.linalg.matrix_rank(A, tol, hermitian, rtol=rtol))
    if _ndim(A) < 2:
        return fnp.astype(fnp.any(fnp.not_equal(A, 0)), np.int64)
    s = svdvals(_as_float(A))
    if tol is None:
        thresh = fnp.multiply(s[..., :1], _default_rtol(A, rtol))
    else:
        thresh = fnp.expand_dims(fnp.asarray(tol), -1)
    return fnp.sum(fnp.astype(fnp.greater(s, thresh), np.int64), axis=-1)


def tensorinv(a: ArrayLike, ind: int = 2) -> Array:
    """Inverse of ``a`` as a tensor of the operation ``tensordot(a, x, ind)``.

    Differentiable; matches ``numpy.linalg.tensorinv``.

    Parameters
    ----------
    a : array_like
        ``prod(a.shape[:ind]) == prod(a.shape[ind:])``.
    ind : int, optional
        Number of leading axes of the operator's output.

    Returns
    -------
    Array, shape ``a.shape[ind:] + a.shape[:ind]``
    """
    a = _asarray(a)
    shape = shape_of(a)
    if not isinstance(ind, int | np.integer) or ind <= 0:
        raise ValueError(f"tensorinv: expected a positive integer ind, got {ind!r}")
    rows = int(np.prod(shape[:ind]))
    cols = int(np.prod(shape[ind:]))
    if rows != cols:
        raise ValueError(
            f"tensorinv: expected prod(a.shape[:ind]) == prod(a.shape[ind:]), got shape "
            f"{shape} with ind={ind}"
        )
    return fnp.reshape(inv(fnp.reshape(a, (rows, cols))), shape[ind:] + shape[:ind])


def tensorsolve(a: ArrayLike, b: ArrayLike, axes: Any = None) -> Array:
    """Solve ``tensordot(a, x, axes=x.ndim) = b`` for ``x``.

    Differentiable; matches ``numpy.linalg.tensorsolve``.

    Parameters
    ----------
    a : array_like, shape ``b.shape + Q`` with ``prod(Q) == prod(b.shape)``
    b : array_like
    axes : tuple of int, optional
        Axes of ``a`` moved to the end first.

    Returns
    -------
    Array, shape ``Q``
    """
    a = _asarray(a)
    b = _asarray(b)
    if axes is not None:
        nd = _ndim(a)
        axes = [normalize_axis(ax, nd, "tensorsolve") for ax in axes]
        rest = [k for k in range(nd) if k not in axes]
        a = fnp.transpose(a, tuple(rest + axes))
    bshape = shape_of(b)
    ashape = shape_of(a)
    q = ashape[len(bshape):]
    rows = int(np.prod(bshape))
    if ashape[: len(bshape)] != bshape or int(np.prod(q)) != rows:
        raise ValueError(
            f"tensorsolve: expected a of shape b.shape + Q with prod(Q) == prod(b.shape), got "
            f"{ashape} and {bshape}"
        )
    x = solve(fnp.reshape(a, (rows, rows)), fnp.reshape(b, (rows,)))
    return fnp.reshape(x, q)


def cross(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """Cross product of 3-element vectors along ``axis``.

    Differentiable; matches ``numpy.linalg.cross`` (both inputs must have 3 elements there).

    Parameters
    ----------
    x1, x2 : array_like, shape ``(..., 3, ...)``
        Broadcast against each other.
    axis : int, optional

    Returns
    -------
    Array, the broadcast shape.
    """
    x1, x2 = _asarray(x1), _asarray(x2)
    n1, n2 = _ndim(x1), _ndim(x2)
    if n1 == 0 or n2 == 0 or shape_of(x1)[axis] != 3 or shape_of(x2)[axis] != 3:
        raise ValueError(
            f"cross: expected 3-element vectors along axis {axis}, got shapes {shape_of(x1)} "
            f"and {shape_of(x2)}"
        )
    a = fnp.moveaxis(x1, axis, -1)
    b = fnp.moveaxis(x2, axis, -1)
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    out = fnp.stack(
        [
            fnp.subtract(fnp.multiply(a1, b2), fnp.multiply(a2, b1)),
            fnp.subtract(fnp.multiply(a2, b0), fnp.multiply(a0, b2)),
            fnp.subtract(fnp.multiply(a0, b1), fnp.multiply(a1, b0)),
        ],
        axis=-1,
    )
    return fnp.moveaxis(out, -1, axis)


def vecdot(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """Vector dot product ``sum(conj(x1) * x2)`` along ``axis``; matches ``numpy.linalg.vecdot``.

    Parameters
    ----------
    x1, x2 : array_like
        Broadcast against each other; equal sizes along ``axis``.
    axis : int, optional

    Returns
    -------
    Array, the broadcast shape without ``axis``.
    """
    x1, x2 = _asarray(x1), _asarray(x2)
    if _ndim(x1) == 0 or _ndim(x2) == 0 or shape_of(x1)[axis] != shape_of(x2)[axis]:
        raise ValueError(
            f"vecdot: expected equal sizes along axis {axis}, got shapes {shape_of(x1)} and "
            f"{shape_of(x2)}"
        )
    if fnp.iscomplexobj(x1):
        x1 = fnp.conj(x1)
    return fnp.sum(fnp.multiply(x1, x2), axis=axis)


def diagonal(x: ArrayLike, /, *, offset: int = 0) -> Array:
    """Diagonals of the last two axes; matches ``numpy.linalg.diagonal``.

    Parameters
    ----------
    x : array_like, shape ``(..., m, n)``
    offset : int, optional

    Returns
    -------
    Array, shape ``(..., k)``
    """
    x = _asarray(x)
    _require_matrix("diagonal", x)
    return fnp.diagonal(x, offset, -2, -1)


def trace(x: ArrayLike, /, *, offset: int = 0, dtype: Any = None) -> Array:
    """Sum of the diagonals of the last two axes; matches ``numpy.linalg.trace``.

    Parameters
    ----------
    x : array_like, shape ``(..., m, n)``
    offset : int, optional
    dtype : dtype, optional

    Returns
    -------
    Array, shape ``(...)``
    """
    x = _asarray(x)
    _require_matrix("trace", x)
    out = fnp.trace(x, offset, -2, -1)
    return out if dtype is None else fnp.astype(out, dtype)



class SVDResult(NamedTuple):
    """``(U, S, Vh)`` of :func:`svd`: ``a = U @ (S[..., None] * Vh)``."""

    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    """``(Q, R)`` of :func:`qr`."""

    Q: Any
    R: Any


class EigResult(NamedTuple):
    """``(eigenvalues, eigenvectors)`` of :func:`eig`."""

    eigenvalues: Any
    eigenvectors: Any


def svd(a: ArrayLike, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    """Singular value decomposition ``a = U @ diag(S) @ Vh`` of a matrix (or a stack).

    Differentiable; matches ``numpy.linalg.svd`` (singular values descending).

    Parameters
    ----------
    a : array_like, shape ``(..., m, n)``
    full_matrices : bool, optional
        ``U`` of shape ``(..., m, m)`` and ``Vh`` of ``(..., n, n)`` (default) instead of
        ``(..., m, k)`` and ``(..., k, n)``, ``k = min(m, n)``.
    compute_uv : bool, optional
        Return only ``S`` when false.
    hermitian : bool, optional
        Accepted for NumPy compatibility (the general algorithm is used).

    Returns
    -------
    SVDResult or Array
        ``U``, ``S`` of shape ``(..., k)`` (real) and ``Vh``; only ``S`` without ``compute_uv``.

    Notes
    -----
    Derivatives of ``S`` (``dS_k = Re(u_k^H da v_k)``) exist everywhere a singular value is
    simple. Derivatives of ``U`` and ``Vh`` divide by the gaps ``s_i^2 - s_j^2`` and, for
    non-square matrices (or complex ones), by the singular values: they are infinite or NaN
    at repeated or zero singular values, where the singular vectors are not unique.
    Singular vectors are defined up to a phase (sign) per pair; differentiate quantities
    invariant to it, such as ``U @ diag(f(S)) @ Vh``. With ``full_matrices=True`` and
    ``m != n`` the extra ``m - k`` columns of ``U`` (rows of ``Vh``) are not unique: ``S`` is
    differentiable as usual, forward mode gives NaN tangents for the extra vectors (the first
    ``k`` are as with ``full_matrices=False``) and reverse mode through ``U`` or ``Vh`` raises
    ``NotImplementedError``; use ``full_matrices=False`` to differentiate them.
    """
    a = _as_float(_asarray(a))
    _require_matrix("svd", a)
    if not compute_uv:
        return fnp.flip(_singular_values(a), axis=-1)
    u, s, vh = la.svd(a, full_matrices=full_matrices)
    return SVDResult(u, s, vh)


def qr(a: ArrayLike, mode: str = "reduced") -> Any:
    """QR decomposition ``a = Q @ R`` of a matrix (or a stack).

    Differentiable for square and tall matrices of full rank; matches ``numpy.linalg.qr``.

    Parameters
    ----------
    a : array_like, shape ``(..., m, n)``
    mode : {'reduced', 'complete', 'r'}, optional
        ``'reduced'``: ``Q`` ``(..., m, k)``, ``R`` ``(..., k, n)``, ``k = min(m, n)``;
        ``'complete'``: ``Q`` ``(..., m, m)``, ``R`` ``(..., m, n)``; ``'r'``: only ``R``
        (``(..., k, n)``).

    Returns
    -------
    QRResult or Array

    Raises
    ------
    ValueError
        For another ``mode`` (NumPy's deprecated ``'raw'``, ``'full'``, ``'economic'`` are not
        supported).

    Notes
    -----
    The derivative needs ``m >= n`` and ``R`` invertible (full column rank); with
    ``mode='complete'`` it needs a square matrix (the extra columns of ``Q`` are not unique).
    Other cases raise ``NotImplementedError`` when differentiated.
    """
    a = _as_float(_asarray(a))
    _require_matrix("qr", a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: expected mode 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = la.qr(a, complete=mode == "complete")
    if mode == "r":
        return r
    return QRResult(q, r)


def eig(a: ArrayLike) -> EigResult:
    """Eigenvalues and right eigenvectors of a general square matrix (or a stack).

    Differentiable; matches ``numpy.linalg.eig`` up to the dtype: results are always complex
    (NumPy returns real arrays when every eigenvalue happens to be real, a dtype that depends
    on the values and so cannot be known when tracing).

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``

    Returns
    -------
    EigResult
        ``eigenvalues`` of shape ``(..., n)`` and unit-norm ``eigenvectors`` (columns) of shape
        ``(..., n, n)``, both complex.

    Notes
    -----
    Derivatives need distinct eigenvalues (they divide by the gaps ``w_j - w_i``) and a
    diagonalizable ``a``. Eigenvectors are defined up to a complex phase per column; the
    derivative keeps them at unit norm, so differentiate phase-invariant quantities
    (``abs(v)**2``, ``v @ diag(f(w)) @ inv(v)``).
    """
    a = _as_float(_asarray(a))
    _require_square("eig", a)
    w, v = la.eig(a)
    return EigResult(w, v)


def eigvals(a: ArrayLike) -> Array:
    """Eigenvalues of a general square matrix (or a stack), complex.

    Differentiable for distinct eigenvalues; matches ``numpy.linalg.eigvals`` up to the dtype
    (always complex, see :func:`eig`).

    Parameters
    ----------
    a : array_like, shape ``(..., n, n)``

    Returns
    -------
    Array, shape ``(..., n)``, complex.
    """
    return eig(a).eigenvalues


fnp.register_numpy_dispatch(globals(), __all__, np.linalg)
