"""Matrix bijectors: triangular fills, Cholesky outer products, matrix-vector scalings.

Matrix-valued events are measured by Lebesgue measure on their free entries: the lower triangle
(diagonal included) of a lower-triangular or symmetric matrix, the strictly lower triangle of a
correlation matrix or of its Cholesky factor. The log-det-Jacobians below are those of the maps
between these free entries (what a density on the matrices, e.g. Wishart's or LKJ's, is written
against), and the tests check them against ``log|det jacfwd|`` of the flattened maps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import tree_util
from ..numpy import core as fnp
from ..numpy import linalg as fla
from ..scipy import linalg as fsl
from .core import (
    _CONSTRAINTS,
    Array,
    Bijector,
    Chain,
    CorrelationCholesky,
    Exp,
    Shape,
    Shift,
    Softplus,
    _Composite,
)

__all__ = [
    "CholeskyOuterProduct",
    "FillScaleTriL",
    "FillTriangular",
    "ScaleMatvecDiag",
    "ScaleMatvecTriL",
    "TransformDiagonal",
]

_LOG2 = math.log(2.0)


def _tri_size(m: int, who: str) -> int:
    """``n`` with ``n (n + 1) / 2 == m``, or a ValueError."""
    n = (math.isqrt(1 + 8 * m) - 1) // 2
    if n * (n + 1) // 2 != m:
        raise ValueError(
            f"{who}: expected a vector of length n(n+1)/2 (1, 3, 6, 10, ...), got length {m}"
        )
    return n


def _square(who: str, y: Array) -> int:
    shape = fnp.shape(y)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{who}: expected square matrices in the last two axes, got shape {shape}")
    return shape[-1]


def _square_shape(who: str, shape: Shape) -> int:
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{who}: expected a shape ending in (n, n), got {shape}")
    return shape[-1]


@tree_util.dataclass
class FillTriangular(Bijector):
    """A vector of length ``n(n+1)/2`` to an ``n x n`` lower- (or upper-) triangular matrix.

    The entries fill the lower triangle row by row: ``(0,0), (1,0), (1,1), (2,0), (2,1), ...``
    (NumPyro's and Stan's order; TFP fills in a different order, so vectors differ from TFP's
    for the same matrix). With ``upper=True`` the result is the transpose. The map is a
    rearrangement of entries, so ``log|det J| = 0``.

    Parameters
    ----------
    upper : bool, default False
        Fill the upper triangle (the transpose of the lower fill) instead.

    Notes
    -----
    ``forward``: ``x`` of shape ``batch + (n(n+1)/2,)`` to ``batch + (n, n)``; ``inverse``
    reads the triangle back (entries outside it are ignored).

    Examples
    --------
    >>> FillTriangular().forward([1.0, 2.0, 3.0])
    array([[1., 0.],
           [2., 3.]])
    """

    upper: bool = tree_util.field(static=True, default=False)

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 2
    is_constant_jacobian = True

    def _forward(self, x: Array) -> Array:
        m = fnp.shape(x)[-1]
        n = _tri_size(m, "FillTriangular.forward")
        index = np.zeros((n, n), dtype=np.intp)
        rows, cols = np.tril_indices(n)
        index[rows, cols] = np.arange(1, m + 1)
        zero = fnp.zeros(fnp.shape(x)[:-1] + (1,), dtype=x.dtype)
        out = fnp.take(fnp.concatenate([zero, x], axis=-1), index, axis=-1)
        return fnp.swapaxes(out, -1, -2) if self.upper else out

    def _inverse(self, y: Array) -> Array:
        n = _square("FillTriangular.inverse", y)
        if self.upper:
            y = fnp.swapaxes(y, -1, -2)
        rows, cols = np.tril_indices(n)
        flat = fnp.reshape(y, fnp.shape(y)[:-2] + (n * n,))
        return fnp.take(flat, rows * n + cols, axis=-1)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.zeros((), dtype=x.dtype)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        _square("FillTriangular.inverse_log_det_jacobian", y)
        return fnp.zeros((), dtype=y.dtype)

    def _forward_event_shape(self, shape: Shape) -> Shape:
        n = _tri_size(shape[-1], "FillTriangular.forward_event_shape")
        return shape[:-1] + (n, n)

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        n = _square_shape("FillTriangular.inverse_event_shape", shape)
        return shape[:-2] + (n * (n + 1) // 2,)


@tree_util.dataclass
class TransformDiagonal(Bijector):
    """Apply ``diag_bijector`` to the diagonal of square matrices, leaving the rest unchanged.

    ``log|det J|`` is the diagonal bijector's log-det-Jacobian over the diagonal (the other
    entries pass through with unit derivative).

    Parameters
    ----------
    diag_bijector : Bijector
        Elementwise or vector bijector that keeps the length of the diagonal.

    Notes
    -----
    Shapes: ``batch + (n, n)`` both ways.

    Examples
    --------
    >>> TransformDiagonal(Exp()).forward([[0.0, 0.0], [1.0, 0.0]])
    array([[1., 0.],
           [1., 1.]])
    """

    diag_bijector: Bijector

    forward_min_event_ndims = 2
    inverse_min_event_ndims = 2

    def __post_init__(self) -> None:
        b = self.diag_bijector
        if not isinstance(b, Bijector):
            raise TypeError(f"TransformDiagonal: expected a Bijector, got {type(b).__name__}")
        if b.forward_min_event_ndims > 1 or b.inverse_min_event_ndims > 1:
            raise ValueError(
                "TransformDiagonal: expected a diag_bijector acting on scalars or vectors, got "
                f"{b.name} with event ranks ({b.forward_min_event_ndims}, "
                f"{b.inverse_min_event_ndims})"
            )

    def _apply(self, x: Array, f: Any, who: str) -> Array:
        n = _square(who, x)
        diag = fnp.diagonal(x, axis1=-2, axis2=-1)
        new = f(diag)
        return fnp.where(np.eye(n, dtype=bool), fnp.expand_dims(new, -2), x)

    def _forward(self, x: Array) -> Array:
        return self._apply(x, self.diag_bijector.forward, "TransformDiagonal.forward")

    def _inverse(self, y: Array) -> Array:
        return self._apply(y, self.diag_bijector.inverse, "TransformDiagonal.inverse")

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        _square("TransformDiagonal.forward_log_det_jacobian", x)
        diag = fnp.diagonal(x, axis1=-2, axis2=-1)
        return self.diag_bijector.forward_log_det_jacobian(diag, 1)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        _square("TransformDiagonal.inverse_log_det_jacobian", y)
        diag = fnp.diagonal(y, axis1=-2, axis2=-1)
        return self.diag_bijector.inverse_log_det_jacobian(diag, 1)

    def _forward_event_shape(self, shape: Shape) -> Shape:
        _square_shape("TransformDiagonal.forward_event_shape", shape)
        return shape

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        _square_shape("TransformDiagonal.inverse_event_shape", shape)
        return shape


@tree_util.dataclass
class FillScaleTriL(_Composite):
    """A vector of length ``n(n+1)/2`` to a lower-triangular matrix with a positive diagonal.

    ``FillScaleTriL(b, s) == Chain([TransformDiagonal(Chain([Shift(s), b])), FillTriangular()])``
    (TFP's): the vector fills the lower triangle row by row (see :class:`FillTriangular`), then
    the diagonal goes through ``diag_bijector`` and is shifted by ``diag_shift``.

    Parameters
    ----------
    diag_bijector : Bijector, optional
        Makes the diagonal positive; default :class:`Softplus` (TFP's default).
    diag_shift : float or None, default 1e-5
        Added to the diagonal after ``diag_bijector`` (TFP's default keeps the diagonal away from
        0); None for no shift, which makes the map onto all lower-Cholesky factors (what
        ``for_constraint("lower_cholesky")`` uses).

    Notes
    -----
    ``forward``: ``batch + (n(n+1)/2,)`` to ``batch + (n, n)``. ``log|det J|`` is the diagonal
    bijector's summed over the diagonal.

    Examples
    --------
    >>> L = FillScaleTriL(Exp(), None).forward([0.0, 2.0, 0.0])
    >>> L
    array([[1., 0.],
           [2., 1.]])
    """

    diag_bijector: Any = None
    diag_shift: Any = 1e-5

    def __post_init__(self) -> None:
        if self.diag_bijector is not None and not isinstance(self.diag_bijector, Bijector):
            raise TypeError(
                "FillScaleTriL: expected diag_bijector to be a Bijector or None, got "
                f"{type(self.diag_bijector).__name__}"
            )

    def _bijector(self) -> Bijector:
        diag = Softplus() if self.diag_bijector is None else self.diag_bijector
        if self.diag_shift is not None:
            diag = Chain([Shift(self.diag_shift), diag])
        return Chain([TransformDiagonal(diag), FillTriangular()])


@tree_util.dataclass
class CholeskyOuterProduct(Bijector):
    """``Y = L L^T``: lower-triangular matrices with a positive diagonal to SPD matrices.

    The inverse is the Cholesky factorization. With ``L`` as its lower triangle (``n(n+1)/2``
    entries) and ``Y`` as its lower triangle, ``log|det J| = n log 2 + sum_i (n - i) log L_ii``
    (``i = 0..n-1``), TFP's formula.

    With ``unit_diagonal=True`` the input is the Cholesky factor of a correlation matrix (rows
    of unit norm, as :class:`CorrelationCholesky` makes) and both sides are measured by their
    strictly lower triangles (``n(n-1)/2`` free entries; the diagonals are determined). Then
    ``log|det J| = sum_i (n - 1 - i) log L_ii``, the factor relating the LKJ density on
    correlation matrices to the LKJ-Cholesky density; this is the map
    ``for_constraint("corr_matrix")`` composes with :class:`CorrelationCholesky`.

    Parameters
    ----------
    unit_diagonal : bool, default False
        Measure both sides by their strictly lower triangles (correlation matrices).

    Notes
    -----
    Shapes: ``batch + (n, n)`` both ways. Only the lower triangle of the input is read.

    Examples
    --------
    >>> CholeskyOuterProduct().forward([[1.0, 0.0], [2.0, 1.0]])
    array([[1., 2.],
           [2., 5.]])
    """

    unit_diagonal: bool = tree_util.field(static=True, default=False)

    forward_min_event_ndims = 2
    inverse_min_event_ndims = 2

    def _forward(self, x: Array) -> Array:
        _square("CholeskyOuterProduct.forward", x)
        low = fnp.tril(x)
        return fnp.matmul(low, fnp.swapaxes(low, -1, -2))

    def _inverse(self, y: Array) -> Array:
        _square("CholeskyOuterProduct.inverse", y)
        return fla.cholesky(y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        n = _square("CholeskyOuterProduct.forward_log_det_jacobian", x)
        log_diag = fnp.log(fnp.abs(fnp.diagonal(x, axis1=-2, axis2=-1)))
        if self.unit_diagonal:
            return fnp.sum(log_diag * np.arange(n - 1, -1, -1, dtype=np.float64), axis=-1)
        powers = np.arange(n, 0, -1, dtype=np.float64)
        return n * _LOG2 + fnp.sum(log_diag * powers, axis=-1)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -self._forward_log_det_jacobian(self._inverse(y))

    def _forward_event_shape(self, shape: Shape) -> Shape:
        _square_shape("CholeskyOuterProduct.forward_event_shape", shape)
        return shape

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        _square_shape("CholeskyOuterProduct.inverse_event_shape", shape)
        return shape


def _is_concrete_number(v: Any) -> bool:
    return isinstance(v, int | float | np.ndarray | np.generic | list | tuple) and not isinstance(
        v, bool
    )


@tree_util.dataclass
class ScaleMatvecDiag(Bijector):
    """``y = diag(scale_diag) @ x``: a vector scaled entrywise (TFP's ``ScaleMatvecDiag``).

    ``log|det J| = sum_i log|scale_diag_i|``, one number per vector.

    Parameters
    ----------
    scale_diag : array_like
        Shape ``batch + (n,)``, nonzero; its batch dimensions broadcast with ``x``'s.

    Notes
    -----
    Shapes: ``batch + (n,)`` both ways.

    Examples
    --------
    >>> float(ScaleMatvecDiag([2.0, 3.0]).forward_log_det_jacobian([1.0, 1.0]))
    1.791759469228055
    """

    scale_diag: Any

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 1
    is_constant_jacobian = True

    def __post_init__(self) -> None:
        if _is_concrete_number(self.scale_diag):
            arr = np.asarray(self.scale_diag, dtype=np.float64)
            if arr.ndim < 1:
                raise ValueError(
                    f"ScaleMatvecDiag: expected scale_diag with at least 1 dimension (a "
                    f"vector), got shape {arr.shape}; use Scale for a scalar"
                )
            if not np.all(np.isfinite(arr) & (arr != 0)):
                raise ValueError(
                    "ScaleMatvecDiag: expected finite, nonzero scale_diag (it must be "
                    f"invertible), got {self.scale_diag!r}"
                )

    def _forward(self, x: Array) -> Array:
        return x * self.scale_diag

    def _inverse(self, y: Array) -> Array:
        return y / self.scale_diag

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.sum(fnp.log(fnp.abs(fnp.asarray(self.scale_diag))), axis=-1)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -fnp.sum(fnp.log(fnp.abs(fnp.asarray(self.scale_diag))), axis=-1)


@tree_util.dataclass
class ScaleMatvecTriL(Bijector):
    """``y = L @ x`` with a lower-triangular ``L`` (TFP's ``ScaleMatvecTriL``).

    Only the lower triangle of ``scale_tril`` is used. ``log|det J| = sum_i log|L_ii|``; the
    inverse is a triangular solve.

    Parameters
    ----------
    scale_tril : array_like
        Shape ``batch + (n, n)``, with a nonzero diagonal; its batch dimensions broadcast with
        ``x``'s.

    Notes
    -----
    Shapes: ``batch + (n,)`` both ways.

    Examples
    --------
    >>> ScaleMatvecTriL([[2.0, 0.0], [1.0, 1.0]]).forward([1.0, 1.0])
    array([2., 2.])
    """

    scale_tril: Any

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 1
    is_constant_jacobian = True

    def __post_init__(self) -> None:
        if _is_concrete_number(self.scale_tril):
            arr = np.asarray(self.scale_tril, dtype=np.float64)
            if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
                raise ValueError(
                    "ScaleMatvecTriL: expected scale_tril of shape (..., n, n), got shape "
                    f"{arr.shape}"
                )
            d = np.diagonal(arr, axis1=-2, axis2=-1)
            if not np.all(np.isfinite(d) & (d != 0)):
                raise ValueError(
                    "ScaleMatvecTriL: expected a finite, nonzero diagonal (the matrix must be "
                    f"invertible), got diagonal {d!r}"
                )

    def _tril(self) -> Array:
        return fnp.tril(fnp.asarray(self.scale_tril))

    def _check(self, who: str, x: Array) -> None:
        n = fnp.shape(self.scale_tril)[-1]
        if fnp.shape(x)[-1] != n:
            raise ValueError(
                f"{who}: expected vectors of length {n} (scale_tril is {n} x {n}), got shape "
                f"{fnp.shape(x)}"
            )

    def _forward(self, x: Array) -> Array:
        self._check("ScaleMatvecTriL.forward", x)
        return fnp.squeeze(fnp.matmul(self._tril(), fnp.expand_dims(x, -1)), -1)

    def _inverse(self, y: Array) -> Array:
        self._check("ScaleMatvecTriL.inverse", y)
        low = self._tril()
        batch = np.broadcast_shapes(fnp.shape(low)[:-2], fnp.shape(y)[:-1])
        n = fnp.shape(low)[-1]
        low = fnp.broadcast_to(low, batch + (n, n))
        rhs = fnp.broadcast_to(fnp.expand_dims(y, -1), batch + (n, 1))
        return fnp.squeeze(fsl.solve_triangular(low, rhs, lower=True), -1)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        d = fnp.diagonal(fnp.asarray(self.scale_tril), axis1=-2, axis2=-1)
        return fnp.sum(fnp.log(fnp.abs(d)), axis=-1)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -self._forward_log_det_jacobian(y)


# ---------------------------------------------------------------------------------------------
# Registry entries (distributions' constraints ask for these names)


def _lower_cholesky() -> Bijector:
    # exp on the diagonal, no shift: onto every lower-Cholesky factor (Stan's cholesky_factor_cov)
    return FillScaleTriL(Exp(), None)


def _positive_definite() -> Bijector:
    return Chain([CholeskyOuterProduct(), _lower_cholesky()])


def _corr_matrix() -> Bijector:
    return Chain([CholeskyOuterProduct(unit_diagonal=True), CorrelationCholesky()])


_CONSTRAINTS["lower_cholesky"] = (0, _lower_cholesky, '"lower_cholesky"')
_CONSTRAINTS["positive_definite"] = (0, _positive_definite, '"positive_definite"')
_CONSTRAINTS["corr_matrix"] = (0, _corr_matrix, '"corr_matrix"')
