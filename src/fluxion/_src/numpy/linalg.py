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

from ..core import Tracer
from ..prims import linalg as la
from ..prims._helpers import normalize_axis, shape_of
from . import contract
from . import core as fnp

ArrayLike = Any
Array = Any

__all__ = [
    "EighResult",
    "SlogdetResult",
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "slogdet",
    "solve",
    "tensordot",
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
    return np.asarray(x)


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
    """The symmetric matrix whose chosen triangle (diagonal included) is that of ``a``."""
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

    Differentiable; matches ``numpy.linalg.cholesky``: ``a = L @ L.T`` with ``L`` lower
    triangular (or ``a = U.T @ U`` with ``upper=True``).

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
    if upper:
        return la.matrix_transpose(la.cholesky(_from_triangle(a, lower=False)))
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
    ax = fnp.abs(x)
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
    """Singular values (ascending) of the last two axes, via the smaller Gram matrix."""
    m, n = shape_of(x)[-2:]
    xt = la.matrix_transpose(x)
    gram = la.matmul(xt, x) if n <= m else la.matmul(x, xt)
    w = la.eigh(_from_triangle(gram, lower=True))[0]
    return fnp.sqrt(fnp.maximum(w, 0.0))


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
    The matrix 2-norm, -2-norm and nuclear norm use the eigenvalues of the smaller Gram matrix
    ``x^T x``; their derivatives need distinct, non-zero singular values.
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
        out = reduce(fnp.sum(fnp.abs(x), axis=row), axis=col - 1 if col > row else col)
    elif ord in (np.inf, -np.inf):
        reduce = fnp.max if ord == np.inf else fnp.min
        out = reduce(fnp.sum(fnp.abs(x), axis=col), axis=row - 1 if row > col else row)
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


fnp.register_numpy_dispatch(globals(), __all__, np.linalg)
