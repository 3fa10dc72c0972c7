"""Differentiable ``scipy.linalg`` functions: triangular solves and Cholesky factorisations.

SciPy functions do not dispatch through NumPy's protocols, so plain ``scipy.linalg`` calls on
traced values are not rerouted: call these (``fluxion.scipy.linalg``) instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tracer
from ..numpy import linalg as fla
from ..prims import linalg as la
from ..prims._helpers import shape_of
from ..prims.shape import reshape

ArrayLike = Any
Array = Any

__all__ = ["cho_factor", "cho_solve", "cholesky", "solve_triangular"]

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def _asarray(x: Any) -> Any:
    if isinstance(x, Tracer | np.ndarray):
        return x
    return np.asarray(x)


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
