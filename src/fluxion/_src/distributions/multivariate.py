"""Multivariate families: vector events ``(K,)`` and matrix events ``(K, K)`` or ``(n, p)``.

Every density is computed from a Cholesky factor: Mahalanobis terms by triangular solves
(:func:`fluxion.scipy.linalg.solve_triangular`), log-determinants from the factor's diagonal
(``log det(L L^T) = 2 sum log L_ii``), never from an explicit inverse or determinant. Parameters
carry their own event ranks (``parameter_event_ndims``); what is left of their shapes is batch
and broadcasts (NumPy rules) across parameters.

The normal families share one class, :class:`MultivariateNormal`, whose subclasses differ in
how the covariance ``Sigma`` is represented (a Cholesky factor, a full covariance, a precision,
a diagonal, a diagonal plus low rank); each representation supplies four operations
(``_inv_quad`` = ``tr(M^T Sigma^-1 M)``, ``_half_log_det`` = ``log det Sigma^(1/2)``,
``_color`` = ``Sigma^(1/2) z`` and ``_factor`` = some ``F`` with ``F F^T = Sigma``), and the
density, sampler, entropy and KL divergence are written once in terms of them.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .. import random as frandom
from ..core import Tracer
from ..numpy import core as fnp
from ..numpy import linalg as fla
from ..scipy import linalg as fsl
from ..scipy import special as fsp
from . import constraints
from .base import Distribution, register_kl

__all__ = [
    "CholeskyLKJ",
    "Dirichlet",
    "InverseWishart",
    "LKJ",
    "LKJCholesky",
    "LowRankMultivariateNormal",
    "MatrixNormal",
    "MultivariateNormal",
    "MultivariateNormalDiag",
    "MultivariateNormalFullCovariance",
    "MultivariateNormalLowRank",
    "MultivariateNormalTriL",
    "MultivariateStudentT",
    "Wishart",
    "WishartTriL",
]

Array = Any
ArrayLike = Any
Shape = tuple[int, ...]

_LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------------------------
# Linear-algebra helpers (batched, differentiable, Cholesky-based)
# --------------------------------------------------------------------------------------------


def _shape(x: Any) -> Shape:
    return tuple(fnp.shape(x))


def _matvec(m: Array, v: Array) -> Array:
    """``m @ v`` for matrices ``(..., n, k)`` and vectors ``(..., k)``, batch dims broadcast."""
    return fnp.squeeze(fnp.matmul(m, fnp.expand_dims(v, -1)), -1)


def _mT(m: Array) -> Array:  # noqa: N802 -- the matrix transpose, as numpy's .mT
    return fnp.swapaxes(m, -1, -2)


# Factors up to this size are solved and factored by substitution written with elementwise
# operations (one vectorized step per row/column, over every batch member and draw at once):
# differentiable to any order, encodable by the compiled NUTS's tape machine (which has no
# triangular-solve or Cholesky instruction), and faster than the primitives, which loop over the
# batch in Python. Larger factors use the LAPACK-backed primitives.
_UNROLL_MAX = 32


def _forward_substitution(t: Array, m: Array) -> Array:
    """``t^-1 m`` for lower-triangular ``t`` ``(..., K, K)``, ``m`` ``(..., K, J)``:
    ``x_i = (m_i - sum_{j<i} t_ij x_j) / t_ii``, row by row."""
    k = _shape(t)[-1]
    rows: list[Array] = []
    for i in range(k):
        r = m[..., i, :]
        if i:
            done = fnp.stack(rows, axis=-2)  # (..., i, J)
            r = r - fnp.sum(fnp.expand_dims(t[..., i, :i], -1) * done, axis=-2)
        rows.append(r / fnp.expand_dims(t[..., i, i], -1))
    return fnp.stack(rows, axis=-2)


def _few_concrete_factors(t: Array, m: Array) -> bool:
    """Eager (nothing traced) with at most 16 distinct factors once the draws are folded into
    columns: LAPACK is then the faster path (3x at 10^5 draws, K = 10); anything traced (jit,
    grad) takes the substitution, which the tape machine runs."""
    if isinstance(t, Tracer) or isinstance(m, Tracer):
        return False
    t_batch = _shape(t)[:-2]
    inner = tuple(np.broadcast_shapes(t_batch, _shape(m)[:-2]))[-len(t_batch):] if t_batch \
        else ()
    return int(np.prod(inner, dtype=np.int64)) <= 16


def _tri_solve(t: Array, m: Array, *, lower: bool = True, trans: bool = False) -> Array:
    """``op(t)^-1 m`` for triangular ``t`` ``(..., K, K)`` and matrices ``m`` ``(..., K, J)``
    (``op`` the transpose when ``trans``); only ``t``'s triangle named by ``lower`` is read.
    Batch dimensions broadcast."""
    k = _shape(t)[-1]
    if k <= _UNROLL_MAX and not _few_concrete_factors(t, m):
        if trans:
            t, lower = _mT(t), not lower
        if lower:
            return _forward_substitution(t, m)
        # an upper system U x = m is the lower system (J U J)(J x) = J m, J the reversal
        x = _forward_substitution(fnp.flip(t, axis=(-2, -1)), fnp.flip(m, axis=-2))
        return fnp.flip(x, axis=-2)
    return _tri_solve_lapack(t, m, lower=lower, trans=trans)


def _fold(t_batch: Shape, m: Array) -> tuple[Array, Any]:
    """Fold the leading dimensions of ``m`` ``(lead..., inner..., K, J)`` that a matrix with
    batch ``t_batch`` (broadcasting to ``inner``) lacks into its columns:
    ``(inner..., K, J * prod(lead))``. Returns the folded ``m`` and the function that
    unfolds a result ``(inner..., R, J * prod(lead))`` back to ``(lead..., inner..., R, J)``.

    A product or solve against a shared matrix then takes one call over all draws (the
    triangular-solve primitive loops over batches in Python; the tape machine runs 2-D
    matrix products only)."""
    m_shape = _shape(m)
    batch = tuple(np.broadcast_shapes(tuple(t_batch), m_shape[:-2]))
    lead = batch[: len(batch) - len(t_batch)]
    inner = batch[len(lead):]
    k, j = m_shape[-2:]
    n_lead = int(np.prod(lead, dtype=np.int64))
    m = fnp.broadcast_to(m, batch + (k, j))
    if lead:
        # lead + inner + (K, J) -> inner + (K, J) + lead -> inner + (K, J * n_lead)
        m = fnp.moveaxis(m, tuple(range(len(lead))), tuple(range(-len(lead), 0)))
    m = fnp.reshape(m, inner + (k, j * n_lead))

    def unfold(x: Array) -> Array:
        x = fnp.reshape(x, inner + (_shape(x)[-2], j) + lead)
        if lead:
            x = fnp.moveaxis(x, tuple(range(-len(lead), 0)), tuple(range(len(lead))))
        return x

    return m, unfold


def _matmul(a: Array, m: Array) -> Array:
    """``a @ m`` for ``a`` ``(..., R, K)`` and ``m`` ``(..., K, J)``, batch dims broadcast; the
    dimensions of ``m`` that ``a`` lacks are folded into columns (a 2-D product when ``a``
    is one matrix, which the compiled NUTS's tape machine runs)."""
    a_batch = _shape(a)[:-2]
    folded, unfold = _fold(a_batch, m)
    inner = _shape(folded)[:-2]
    r, k = _shape(a)[-2:]
    if inner and int(np.prod(inner, dtype=np.int64)) * r * k * _shape(folded)[-1] <= 2**24:
        # a batch of products of moderate size: sum_k a_rk m_kj elementwise (the tape machine
        # has no batched matrix product)
        prod = fnp.expand_dims(a, -1) * fnp.expand_dims(folded, -3)
        return unfold(fnp.sum(prod, axis=-2))
    return unfold(fnp.matmul(fnp.broadcast_to(a, inner + _shape(a)[-2:]), folded))


def _tri_solve_lapack(t: Array, m: Array, *, lower: bool = True, trans: bool = False) -> Array:
    """:func:`_tri_solve` by the primitive, with the dimensions of ``m`` that ``t`` lacks
    folded into columns (one solve per distinct factor, not one per draw)."""
    folded, unfold = _fold(_shape(t)[:-2], m)
    inner = _shape(folded)[:-2]
    t = fnp.broadcast_to(t, inner + _shape(t)[-2:])
    return unfold(fsl.solve_triangular(t, folded, trans=1 if trans else 0, lower=lower))


def _tri_solve_vec(t: Array, b: Array, *, lower: bool = True, trans: bool = False) -> Array:
    """``op(t)^-1 b`` for triangular ``t`` ``(..., K, K)`` and vectors ``b`` ``(..., K)``."""
    return fnp.squeeze(_tri_solve(t, fnp.expand_dims(b, -1), lower=lower, trans=trans), -1)


def _sum_log_diag(t: Array) -> Array:
    """``sum_i log|t_ii|`` over the last two axes: ``log |det t|`` of a triangular ``t``."""
    return fnp.sum(fnp.log(fnp.abs(fnp.diagonal(t, axis1=-2, axis2=-1))), axis=-1)


def _chol(a: Array) -> Array:
    """Lower Cholesky factors of ``a`` ``(..., K, K)``, reading its lower triangle. Up to
    ``_UNROLL_MAX`` by columns (Cholesky-Crout: ``L[j:, j] = (a[j:, j] - L[j:, :j] L[j, :j])
    / L_jj``, ``L_jj = sqrt(a_jj - |L[j, :j]|^2)``), where a matrix that is not positive
    definite gives ``nan`` instead of raising; larger ones by the primitive."""
    k = _shape(a)[-1]
    if k > _UNROLL_MAX:
        return fla.cholesky(a)
    cols: list[Array] = []
    rows = np.arange(k)
    for j in range(k):
        v = a[..., :, j]
        if j:
            done = fnp.stack(cols, axis=-1)  # (..., K, j)
            v = v - fnp.sum(done * fnp.expand_dims(done[..., j, :], -2), axis=-1)
        cols.append(fnp.where(rows >= j, v / fnp.sqrt(v[..., j : j + 1]), 0.0))
    return fnp.stack(cols, axis=-1)


def _cholesky(who: str, what: str, a: Array) -> Array:
    """The lower Cholesky factor of a parameter; a concrete matrix that is not positive
    definite is a clear error (a traced one gives a factor holding ``nan``)."""
    if not isinstance(a, Tracer):
        arr = np.asarray(a)
        if np.all(np.isfinite(arr)):
            try:
                np.linalg.cholesky(arr)  # reads the lower triangle, as _chol
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"{who}: expected {what} symmetric positive definite; its Cholesky "
                    "factorization failed (pass validate_args=True to locate the offending "
                    "matrix)"
                ) from None
    return _chol(a)


def _eye_like(k: int) -> np.ndarray:
    return np.eye(k)


def _diag_embed(v: Array) -> Array:
    """``(..., K)`` -> ``(..., K, K)`` with ``v`` on the diagonal."""
    k = _shape(v)[-1]
    return fnp.expand_dims(v, -1) * _eye_like(k)


def _as_float(x: Any) -> Any:
    if x is None or isinstance(x, Tracer):
        return x
    return np.asarray(x, dtype=np.float64)


def _event_vector(who: str, name: str, x: Any, k: int) -> Any:
    """A vector parameter of event size ``k``: None -> zeros, scalars and size-1 last axes
    broadcast (``loc=0.0`` as NumPyro allows)."""
    if x is None:
        return np.zeros(k)
    x = _as_float(x)
    shape = _shape(x)
    if len(shape) == 0 or shape[-1] == 1:
        return fnp.broadcast_to(x, shape[:-1] + (k,)) if shape else fnp.broadcast_to(x, (k,))
    if shape[-1] != k:
        raise ValueError(
            f"{who}: expected {name} with last dimension {k} (the event size), got shape {shape}"
        )
    return x


def _square_matrix(who: str, name: str, m: Any) -> Any:
    m = _as_float(m)
    shape = _shape(m)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(
            f"{who}: expected {name} as square matrices of shape (..., K, K), got shape {shape}"
        )
    return m


# --------------------------------------------------------------------------------------------
# The multivariate normal families
# --------------------------------------------------------------------------------------------


class MultivariateNormal(Distribution):
    """The multivariate normal distribution ``N(loc, Sigma)`` on ``R^K``.

    ``log p(x) = -(K log(2 pi) + log det Sigma + (x - loc)^T Sigma^-1 (x - loc)) / 2``.

    Exactly one of ``covariance_matrix``, ``precision_matrix`` (``Sigma^-1``) and
    ``scale_tril`` (lower-triangular ``L`` with ``Sigma = L L^T``) is given (NumPyro's
    signature; TFP's :class:`MultivariateNormalTriL`, :class:`MultivariateNormalFullCovariance`
    and :class:`MultivariateNormalDiag` are subclasses).

    Parameters
    ----------
    loc : array_like, shape ``(..., K)``, optional
        The mean; a scalar broadcasts to ``(K,)``; default zeros.
    covariance_matrix : array_like, shape ``(..., K, K)``, optional
        Symmetric positive definite (only its lower triangle is read); factored by Cholesky.
    precision_matrix : array_like, shape ``(..., K, K)``, optional
        Symmetric positive definite; the density uses it directly (no inversion).
    scale_tril : array_like, shape ``(..., K, K)``, optional
        Lower triangular with a positive diagonal (the upper triangle is ignored).
    validate_args : bool, default False
        Check the matrix (lower triangular, or symmetric positive definite) at construction and
        values at each call.

    Notes
    -----
    ``event_shape = (K,)``; ``batch_shape`` is the broadcast of ``loc.shape[:-1]`` and the
    matrix's ``shape[:-2]``. ``log_prob(x)`` for ``x`` of shape
    ``sample_shape + batch_shape + (K,)`` has shape ``sample_shape + batch_shape``.
    ``sample`` is reparameterized: ``x = loc + L z`` (``z`` standard normal; for a precision
    ``P = U U^T`` with ``U`` upper triangular, ``x = loc + U^-T z``). Matches
    ``scipy.stats.multivariate_normal(loc, Sigma)``. Without ``validate_args`` a covariance
    that is not positive definite raises when it is factored (eagerly; ``nan`` under ``jit``).

    Attributes ``scale_tril``, ``covariance_matrix`` and ``precision_matrix`` return the
    representation asked for, derived when it was not the one given (with the given matrix's
    batch dimensions, not broadcast against ``loc``'s).

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.distributions as fd
    >>> d = fd.MultivariateNormal(np.zeros(2), covariance_matrix=[[2.0, 0.5], [0.5, 1.0]])
    >>> d.event_shape, d.log_prob(np.ones((3, 2))).shape
    ((2,), (3,))
    """

    parameter_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    parameter_event_ndims = {
        "loc": 1, "covariance_matrix": 2, "precision_matrix": 2, "scale_tril": 2,
    }
    support = constraints.real_vector
    reparameterized = True

    def __init__(
        self,
        loc: ArrayLike | None = None,
        covariance_matrix: ArrayLike | None = None,
        precision_matrix: ArrayLike | None = None,
        scale_tril: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ) -> None:
        who = type(self).__name__
        given = {
            k: v for k, v in (("covariance_matrix", covariance_matrix),
                              ("precision_matrix", precision_matrix),
                              ("scale_tril", scale_tril)) if v is not None
        }
        if len(given) != 1:
            raise ValueError(
                f"{who}: expected exactly one of covariance_matrix, precision_matrix and "
                f"scale_tril, got {', '.join(given) if given else 'none'}"
            )
        (name, m), = given.items()
        m = _square_matrix(who, name, m)
        params = dict(loc=_event_vector(who, "loc", loc, _shape(m)[-1]),
                      covariance_matrix=None, precision_matrix=None, scale_tril=None)
        params[name] = m
        super().__init__(params, validate_args=validate_args)

    # --- the representation --------------------------------------------------------------------

    def _given(self) -> tuple[str, Array]:
        p = self._parameters
        for name in ("scale_tril", "covariance_matrix", "precision_matrix"):
            if p.get(name) is not None:
                return name, p[name]
        raise ValueError(f"{self.name}: no covariance representation is set")

    def _event_shape(self) -> Shape:
        return (_shape(self._given()[1])[-1],)

    def _precision_upper(self) -> Array:
        """Upper-triangular ``U`` with ``P = U U^T`` (so ``Sigma = U^-T U^-1``): the Cholesky
        factor of the reversed precision, reversed back (NumPyro's trick)."""
        p = self._parameters["precision_matrix"]
        lf = _cholesky(self.name, "precision_matrix", fnp.flip(p, axis=(-2, -1)))
        return fnp.flip(lf, axis=(-2, -1))

    def _tril(self) -> Array:
        """Lower-triangular ``L`` with ``Sigma = L L^T``."""
        name, m = self._given()
        if name == "scale_tril":
            return fnp.tril(m)
        if name == "covariance_matrix":
            return _cholesky(self.name, "covariance_matrix", m)
        # Sigma = U^-T U^-1 and U^-T is lower triangular
        u = self._precision_upper()
        k = _shape(u)[-1]
        return _tri_solve(u, fnp.broadcast_to(np.eye(k), _shape(u)), lower=False, trans=True)

    def _factor(self) -> Array:
        """Some ``F`` (``(..., K, J)``) with ``F F^T = Sigma``."""
        return self._tril()

    def _inv_quad(self, m: Array) -> Array:
        """``tr(M^T Sigma^-1 M)`` for ``M`` of shape ``(..., K, J)``."""
        if self._parameters.get("precision_matrix") is not None:
            # M^T P M = (U^T M)^T (U^T M)
            w = _matmul(_mT(self._precision_upper()), m)
        else:
            w = _tri_solve(self._tril(), m, lower=True)
        return fnp.sum(w * w, axis=(-2, -1))

    def _mahalanobis(self, d: Array) -> Array:
        """``d^T Sigma^-1 d`` for ``d`` of shape ``(..., K)``."""
        return self._inv_quad(fnp.expand_dims(d, -1))

    def _half_log_det(self) -> Array:
        """``log det Sigma / 2``."""
        if self._parameters.get("precision_matrix") is not None:
            return -_sum_log_diag(self._precision_upper())
        return _sum_log_diag(self._tril())

    def _color(self, z: Array) -> Array:
        """``Sigma^(1/2) z`` (a square root, for sampling) for ``z`` of shape ``(..., K)``."""
        if self._parameters.get("precision_matrix") is not None:
            return _tri_solve_vec(self._precision_upper(), z, lower=False, trans=True)
        return _matvec(self._tril(), z)

    # --- derived representations (NumPyro's attributes) ----------------------------------------

    @property
    def scale_tril(self) -> Array:
        """Array, shape ``batch + (K, K)``: lower-triangular ``L`` with ``L L^T = Sigma``."""
        return self._tril()

    @property
    def covariance_matrix(self) -> Array:
        """Array, shape ``batch + (K, K)``: ``Sigma``."""
        return self._covariance()

    @property
    def precision_matrix(self) -> Array:
        """Array, shape ``batch + (K, K)``: ``Sigma^-1``."""
        p = self._parameters.get("precision_matrix")
        if p is not None:
            return p
        tril = self._tril()
        linv = _tri_solve(tril, fnp.broadcast_to(np.eye(_shape(tril)[-1]), _shape(tril)))
        return fnp.matmul(_mT(linv), linv)  # Sigma^-1 = L^-T L^-1

    # --- the distribution ----------------------------------------------------------------------

    def _log_prob(self, x: Array) -> Array:
        k = self.event_shape[0]
        maha = self._mahalanobis(x - self.loc)
        return -0.5 * maha - self._half_log_det() - 0.5 * k * _LOG_2PI

    def _log_prob_in_support(self, x: Array) -> Array:
        # With a covariance matrix: -(d' Sigma^-1 d + log det Sigma + K log 2 pi) / 2 by
        # slogdet and solve (two linear-algebra primitives that compile to LAPACK calls),
        # where the Cholesky route of small factors is written elementwise (hundreds of
        # equations in a sampler's graph). Other representations, or values with more batch
        # dimensions than the matrix, take the Cholesky route.
        cov = self._parameters.get("covariance_matrix")
        d = x - self.loc
        if cov is None or _shape(d)[:-1] != _shape(cov)[:-2]:
            return self._log_prob(x)
        k = self.event_shape[0]
        _, log_det = fla.slogdet(cov)
        quad = fnp.sum(d * fla.solve(cov, d[..., None])[..., 0], axis=-1)
        return -0.5 * (quad + log_det) - 0.5 * k * _LOG_2PI

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        z = frandom.normal(key, sample_shape + self.batch_shape + self.event_shape)
        return self.loc + self._color(z)

    def _mean(self) -> Array:
        return self.loc

    def _mode(self) -> Array:
        return self.loc

    def _variance(self) -> Array:
        f = self._factor()
        return fnp.sum(f * f, axis=-1)  # diag(F F^T)

    def _covariance(self) -> Array:
        name, m = self._given()
        if name == "covariance_matrix":
            return m
        f = self._factor()
        return fnp.matmul(f, _mT(f))

    def _entropy(self) -> Array:
        k = self.event_shape[0]
        return 0.5 * k * (1.0 + _LOG_2PI) + self._half_log_det()


class MultivariateNormalTriL(MultivariateNormal):
    """The multivariate normal ``N(loc, L L^T)`` given the Cholesky factor ``L`` (TFP's name).

    Parameters
    ----------
    loc : array_like, shape ``(..., K)``, optional
        The mean (default zeros).
    scale_tril : array_like, shape ``(..., K, K)``, optional
        Lower triangular with a positive diagonal (its upper triangle is ignored); default
        the identity of ``loc``'s size.
    validate_args : bool, default False

    Notes
    -----
    Everything as :class:`MultivariateNormal` with ``scale_tril=``: ``event_shape = (K,)``,
    ``log_prob`` returns ``sample_shape + batch_shape``, ``sample`` (reparameterized)
    ``sample_shape + batch_shape + (K,)``. Cost per density: one triangular solve,
    ``O(K^2)``.
    """

    def __init__(
        self,
        loc: ArrayLike | None = None,
        scale_tril: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ) -> None:
        who = type(self).__name__
        if scale_tril is None:
            if loc is None:
                raise ValueError(f"{who}: expected loc or scale_tril (got neither)")
            scale_tril = np.eye(_shape(_as_float(loc))[-1])
        m = _square_matrix(who, "scale_tril", scale_tril)
        loc = _event_vector(who, "loc", loc, _shape(m)[-1])
        Distribution.__init__(self, dict(loc=loc, scale_tril=m), validate_args=validate_args)


class MultivariateNormalFullCovariance(MultivariateNormal):
    """The multivariate normal ``N(loc, covariance_matrix)`` (TFP's name).

    Parameters
    ----------
    loc : array_like, shape ``(..., K)``, optional
        The mean (default zeros).
    covariance_matrix : array_like, shape ``(..., K, K)``
        Symmetric positive definite (only the lower triangle is read by the factorization).
    validate_args : bool, default False

    Notes
    -----
    As :class:`MultivariateNormal` with ``covariance_matrix=`` (shapes, sampler, methods).
    """

    def __init__(
        self,
        loc: ArrayLike | None = None,
        covariance_matrix: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ) -> None:
        who = type(self).__name__
        if covariance_matrix is None:
            raise ValueError(f"{who}: expected covariance_matrix (got None)")
        m = _square_matrix(who, "covariance_matrix", covariance_matrix)
        loc = _event_vector(who, "loc", loc, _shape(m)[-1])
        Distribution.__init__(self, dict(loc=loc, covariance_matrix=m),
                              validate_args=validate_args)


class MultivariateNormalDiag(MultivariateNormal):
    """The multivariate normal with a diagonal covariance ``diag(scale_diag)^2`` (TFP's name).

    Parameters
    ----------
    loc : array_like, shape ``(..., K)``, optional
        The mean (default zeros).
    scale_diag : array_like, shape ``(..., K)``, optional
        The standard deviations, ``> 0`` (default ones).
    validate_args : bool, default False

    Notes
    -----
    ``event_shape = (K,)`` with ``K`` the broadcast of the two last axes; ``batch_shape`` the
    broadcast of the rest. The same law as ``Independent(Normal(loc, scale_diag), 1)``, with
    the multivariate normal's interface (``covariance``, KL against any
    :class:`MultivariateNormal`). Everything is elementwise, ``O(K)``. Reparameterized:
    ``x = loc + scale_diag * z``.
    """

    parameter_constraints = {"loc": constraints.real_vector,
                             "scale_diag": constraints.positive_vector}
    parameter_event_ndims = {"loc": 1, "scale_diag": 1}

    def __init__(
        self,
        loc: ArrayLike | None = None,
        scale_diag: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ) -> None:
        who = type(self).__name__
        loc, scale_diag = _as_float(loc), _as_float(scale_diag)
        for name, v in (("loc", loc), ("scale_diag", scale_diag)):
            if v is not None and len(_shape(v)) == 0:
                raise ValueError(f"{who}: expected {name} of shape (..., K), got a scalar")
        if loc is None and scale_diag is None:
            raise ValueError(f"{who}: expected loc or scale_diag (got neither)")
        if scale_diag is None:
            scale_diag = np.ones(_shape(loc)[-1])
        if loc is None:
            loc = np.zeros(_shape(scale_diag)[-1])
        Distribution.__init__(self, dict(loc=loc, scale_diag=scale_diag),
                              validate_args=validate_args)

    def _event_shape(self) -> Shape:
        try:
            return tuple(np.broadcast_shapes(_shape(self.loc)[-1:],
                                             _shape(self.scale_diag)[-1:]))
        except ValueError:
            raise ValueError(
                f"{self.name}: expected loc and scale_diag with the same last dimension, got "
                f"shapes {_shape(self.loc)} and {_shape(self.scale_diag)}"
            ) from None

    def _diag(self) -> Array:
        return fnp.broadcast_to(self.scale_diag, self.batch_shape + self.event_shape)

    def _given(self) -> tuple[str, Array]:
        return "scale_diag", self.scale_diag

    def _tril(self) -> Array:
        return _diag_embed(self._diag())

    def _inv_quad(self, m: Array) -> Array:
        w = m / fnp.expand_dims(self.scale_diag, -1)
        return fnp.sum(w * w, axis=(-2, -1))

    def _mahalanobis(self, d: Array) -> Array:
        w = d / self.scale_diag
        return fnp.sum(w * w, axis=-1)

    def _half_log_det(self) -> Array:
        return fnp.sum(fnp.log(self._diag()), axis=-1)

    def _color(self, z: Array) -> Array:
        return self.scale_diag * z

    def _variance(self) -> Array:
        return self.scale_diag**2

    def _stddev(self) -> Array:
        return self.scale_diag

    def _covariance(self) -> Array:
        return _diag_embed(self._diag() ** 2)

    @property
    def precision_matrix(self) -> Array:
        """Array, shape ``batch + (K, K)``: ``diag(scale_diag^-2)``."""
        return _diag_embed(self._diag() ** -2)


class MultivariateNormalLowRank(MultivariateNormal):
    """The multivariate normal with covariance ``W W^T + diag(d)`` (a diagonal plus low rank).

    NumPyro's ``LowRankMultivariateNormal(loc, cov_factor, cov_diag)`` (also exported under that
    name); TFP's ``MultivariateNormalDiagPlusLowRankCovariance``.

    Parameters
    ----------
    loc : array_like, shape ``(..., K)``
        The mean.
    cov_factor : array_like, shape ``(..., K, R)``
        ``W``, the low-rank factor (any real values; ``R`` is usually much smaller than ``K``).
    cov_diag : array_like, shape ``(..., K)``
        ``d > 0``, the diagonal part.
    validate_args : bool, default False

    Notes
    -----
    ``event_shape = (K,)``; ``batch_shape`` broadcasts ``loc.shape[:-1]``,
    ``cov_factor.shape[:-2]`` and ``cov_diag.shape[:-1]``. No ``K x K`` matrix is formed or
    factored: with the capacitance ``C = I_R + W^T diag(d)^-1 W = L_C L_C^T``, the Woodbury
    identity gives ``x^T Sigma^-1 x = x^T d^-1 x - |L_C^-1 W^T d^-1 x|^2`` and the matrix
    determinant lemma ``log det Sigma = log det C + sum log d``: ``O(K R^2)`` per density.
    Reparameterized: ``x = loc + W z_1 + sqrt(d) z_2`` with ``z_1`` of size ``R`` and ``z_2`` of
    size ``K``. ``log_prob`` returns ``sample_shape + batch_shape``.
    """

    parameter_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.real,
                             "cov_diag": constraints.positive_vector}
    parameter_event_ndims = {"loc": 1, "cov_factor": 2, "cov_diag": 1}

    def __init__(
        self,
        loc: ArrayLike,
        cov_factor: ArrayLike,
        cov_diag: ArrayLike,
        *,
        validate_args: bool = False,
    ) -> None:
        who = type(self).__name__
        cov_factor, cov_diag = _as_float(cov_factor), _as_float(cov_diag)
        if len(_shape(cov_factor)) < 2:
            raise ValueError(
                f"{who}: expected cov_factor of shape (..., K, R), got shape {_shape(cov_factor)}"
            )
        k = _shape(cov_factor)[-2]
        cov_diag = _event_vector(who, "cov_diag", cov_diag, k)
        loc = _event_vector(who, "loc", loc, k)
        Distribution.__init__(self, dict(loc=loc, cov_factor=cov_factor, cov_diag=cov_diag),
                              validate_args=validate_args)

    def _given(self) -> tuple[str, Array]:
        return "cov_factor", self.cov_factor

    def _event_shape(self) -> Shape:
        return (_shape(self.cov_factor)[-2],)

    def _capacitance_tril(self) -> tuple[Array, Array]:
        """``(W^T d^-1, L_C)`` with ``L_C L_C^T = I_R + W^T d^-1 W``."""
        w, d = self.cov_factor, self.cov_diag
        wt_dinv = _mT(w / fnp.expand_dims(d, -1))  # (..., R, K)
        r = _shape(w)[-1]
        cap = np.eye(r) + _matmul(wt_dinv, w)
        return wt_dinv, _cholesky(self.name, "the capacitance I + W^T diag(d)^-1 W", cap)

    def _inv_quad(self, m: Array) -> Array:
        # Woodbury: M^T Sigma^-1 M = M^T d^-1 M - (L_C^-1 W^T d^-1 M)^T (L_C^-1 W^T d^-1 M)
        wt_dinv, lc = self._capacitance_tril()
        first = fnp.sum(m * m / fnp.expand_dims(self.cov_diag, -1), axis=(-2, -1))
        v = _tri_solve(lc, _matmul(wt_dinv, m), lower=True)
        return first - fnp.sum(v * v, axis=(-2, -1))

    def _half_log_det(self) -> Array:
        # matrix determinant lemma: log det Sigma = log det C + sum log d
        _, lc = self._capacitance_tril()
        return _sum_log_diag(lc) + 0.5 * fnp.sum(fnp.log(self.cov_diag), axis=-1)

    def _factor(self) -> Array:
        # F = [W, diag(sqrt d)], F F^T = W W^T + diag(d)
        shape = self.batch_shape + self.event_shape
        w = fnp.broadcast_to(self.cov_factor, shape + _shape(self.cov_factor)[-1:])
        return fnp.concatenate([w, _diag_embed(fnp.broadcast_to(fnp.sqrt(self.cov_diag), shape))],
                               axis=-1)

    def _tril(self) -> Array:
        return _cholesky(self.name, "the covariance", self._covariance())

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        k1, k2 = frandom.split(key)
        base = sample_shape + self.batch_shape
        z1 = frandom.normal(k1, base + _shape(self.cov_factor)[-1:])
        z2 = frandom.normal(k2, base + self.event_shape)
        return self.loc + _matvec(self.cov_factor, z1) + fnp.sqrt(self.cov_diag) * z2

    def _variance(self) -> Array:
        return fnp.sum(self.cov_factor**2, axis=-1) + self.cov_diag

    def _covariance(self) -> Array:
        w = self.cov_factor
        return fnp.matmul(w, _mT(w)) + _diag_embed(self.cov_diag)


LowRankMultivariateNormal = MultivariateNormalLowRank


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Array:
    # KL = (tr(Sq^-1 Sp) + (mq - mp)^T Sq^-1 (mq - mp) - K) / 2 + log det Sq^(1/2) - log det
    # Sp^(1/2), with tr(Sq^-1 Sp) = tr(Fp^T Sq^-1 Fp) for any factor Fp Fp^T = Sp
    k = p.event_shape[0]
    trace = q._inv_quad(p._factor())
    maha = q._mahalanobis(p.loc - q.loc)
    return 0.5 * (trace + maha - k) + q._half_log_det() - p._half_log_det()


@register_kl(MultivariateNormalDiag, MultivariateNormalDiag)
def _kl_mvndiag_mvndiag(p: MultivariateNormalDiag, q: MultivariateNormalDiag) -> Array:
    # the sum over coordinates of the univariate normal KL
    ratio = p.scale_diag / q.scale_diag
    z = (p.loc - q.loc) / q.scale_diag
    return fnp.sum(-fnp.log(ratio) + 0.5 * (ratio**2 + z**2) - 0.5, axis=-1)


# --------------------------------------------------------------------------------------------
# Dirichlet
# --------------------------------------------------------------------------------------------


class Dirichlet(Distribution):
    """The Dirichlet distribution on the probability simplex of ``R^K``.

    ``log p(x) = sum_i (a_i - 1) log x_i - (sum_i lgamma(a_i) - lgamma(a_0))``,
    ``a_0 = sum_i a_i``.

    Parameters
    ----------
    concentration : array_like, shape ``(..., K)``
        ``a > 0``; ``batch_shape = concentration.shape[:-1]``, ``event_shape = (K,)``.
    validate_args : bool, default False
        Check ``concentration > 0`` at construction, and that values lie on the simplex.

    Notes
    -----
    ``log_prob(x)`` for ``x`` of shape ``sample_shape + batch_shape + (K,)`` has shape
    ``sample_shape + batch_shape``; ``-inf`` where an entry is negative (that the entries sum
    to 1 is checked by ``validate_args`` only, as TFP and NumPyro); ``0 log 0 = 0`` where
    ``a_i = 1``. Matches ``scipy.stats.dirichlet``. ``sample`` normalizes gamma draws in log
    space (``log G_a = log G_(a+1) + log(U) / a``, so concentrations down to ``1e-3`` and
    below give no ``0/0``); it is differentiable in ``concentration`` (implicit
    reparameterization of :func:`fluxion.random.gamma`, and the explicit ``log(U) / a``).
    ``default_bijector`` is :class:`fluxion.bijectors.StickBreaking`.
    """

    parameter_constraints = {"concentration": constraints.positive_vector}
    parameter_event_ndims = {"concentration": 1}
    support = constraints.simplex
    reparameterized = True

    def __init__(self, concentration: ArrayLike, *, validate_args: bool = False) -> None:
        concentration = _as_float(concentration)
        if len(_shape(concentration)) == 0:
            raise ValueError("Dirichlet: expected concentration of shape (..., K), got a scalar")
        super().__init__(dict(concentration=concentration), validate_args=validate_args)

    def _event_shape(self) -> Shape:
        return _shape(self.concentration)[-1:]

    def _log_normalizer(self) -> Array:
        a = self.concentration
        return fnp.sum(fsp.gammaln(a), axis=-1) - fsp.gammaln(fnp.sum(a, axis=-1))

    def _log_prob(self, x: Array) -> Array:
        a = self.concentration
        lp = fnp.sum(fsp.xlogy(a - 1.0, x), axis=-1) - self._log_normalizer()
        # a negative coordinate is off the support; the sum is checked by validate_args only
        # (as TFP and NumPyro), so the density stays differentiable in x around the simplex
        return fnp.where(fnp.all(x >= 0.0, axis=-1), lp, -np.inf)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        # Normalized gammas, in log space: G_a = G_(a+1) U^(1/a) (Marsaglia and Tsang's boost),
        # so log G_a = log G_(a+1) + log(U) / a does not underflow for small a (G_0.001 is 0.0
        # in float64 about half the time, and a draw of all zeros would be 0/0); then softmax.
        # Differentiable in a: implicitly through G_(a+1), explicitly through log(U) / a.
        shape = sample_shape + self.batch_shape + self.event_shape
        a = fnp.broadcast_to(self.concentration, shape)
        kg, ku = frandom.split(key)
        log_g = fnp.log(frandom.gamma(kg, a + 1.0)) + fnp.log(frandom.uniform(ku, shape)) / a
        return fnp.exp(log_g - fsp.logsumexp(log_g, axis=-1, keepdims=True))

    def _a0(self) -> Array:
        return fnp.sum(self.concentration, axis=-1, keepdims=True)

    def _mean(self) -> Array:
        return self.concentration / self._a0()

    def _variance(self) -> Array:
        a, a0 = self.concentration, self._a0()
        return a * (a0 - a) / (a0**2 * (a0 + 1.0))

    def _covariance(self) -> Array:
        # Cov = (diag(a) a0 - a a^T) / (a0^2 (a0 + 1))
        a, a0 = self.concentration, self._a0()
        outer = fnp.expand_dims(a, -1) * fnp.expand_dims(a, -2)
        num = _diag_embed(a * a0) - outer
        return num / fnp.expand_dims(a0**2 * (a0 + 1.0), -1)

    def _mode(self) -> Array:
        # (a - 1) / (a0 - K), defined when every a_i > 1 (nan otherwise, as TFP's default)
        a, a0 = self.concentration, self._a0()
        k = self.event_shape[0]
        ok = fnp.all(a > 1.0, axis=-1, keepdims=True)
        return fnp.where(ok, (a - 1.0) / fnp.where(ok, a0 - k, 1.0), np.nan)

    def _entropy(self) -> Array:
        # log B(a) + (a0 - K) psi(a0) - sum (a_i - 1) psi(a_i)
        a = self.concentration
        a0 = fnp.sum(a, axis=-1)
        k = self.event_shape[0]
        return (self._log_normalizer() + (a0 - k) * fsp.digamma(a0)
                - fnp.sum((a - 1.0) * fsp.digamma(a), axis=-1))


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Array:
    # KL = lgamma(a0) - sum lgamma(a) - lgamma(b0) + sum lgamma(b)
    #      + sum (a - b) (psi(a) - psi(a0))
    a, b = p.concentration, q.concentration
    a0 = fnp.sum(a, axis=-1, keepdims=True)
    return (q._log_normalizer() - p._log_normalizer()
            + fnp.sum((a - b) * (fsp.digamma(a) - fsp.digamma(a0)), axis=-1))


# --------------------------------------------------------------------------------------------
# Multivariate Student t
# --------------------------------------------------------------------------------------------


class MultivariateStudentT(Distribution):
    """The multivariate Student t distribution on ``R^K`` (NumPyro's signature).

    ``log p(x) = lgamma((df + K) / 2) - lgamma(df / 2) - K log(df pi) / 2 - log det L
    - (df + K) / 2 log(1 + |L^-1 (x - loc)|^2 / df)``.

    Parameters
    ----------
    df : array_like
        Degrees of freedom, ``> 0``; shape ``(...)`` (batch).
    loc : array_like, shape ``(..., K)``, default 0.0
        The location (a scalar broadcasts to ``(K,)``).
    scale_tril : array_like, shape ``(..., K, K)``
        Lower triangular with a positive diagonal: the scale matrix is ``L L^T`` (the
        covariance is ``df / (df - 2) L L^T`` for ``df > 2``).
    validate_args : bool, default False

    Notes
    -----
    ``event_shape = (K,)``; ``batch_shape`` broadcasts ``df.shape``, ``loc.shape[:-1]`` and
    ``scale_tril.shape[:-2]``. ``log_prob`` returns ``sample_shape + batch_shape``; matches
    ``scipy.stats.multivariate_t(loc, L L^T, df)``. Sampling: ``x = loc + L z / sqrt(c / df)``
    with ``c ~ chi2(df)`` = ``2 Gamma(df / 2)``, reparameterized in ``loc`` and ``scale_tril``
    and, through the gamma draw's implicit reparameterization, in ``df``. ``mean`` is ``nan``
    for ``df <= 1``; ``variance``/``covariance`` are ``inf`` for ``1 < df <= 2`` and ``nan``
    for ``df <= 1`` (TFP's and NumPyro's conventions).
    """

    parameter_constraints = {"df": constraints.positive, "loc": constraints.real_vector,
                             "scale_tril": constraints.lower_cholesky}
    parameter_event_ndims = {"df": 0, "loc": 1, "scale_tril": 2}
    support = constraints.real_vector
    reparameterized = True

    def __init__(
        self,
        df: ArrayLike,
        loc: ArrayLike = 0.0,
        scale_tril: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ) -> None:
        who = type(self).__name__
        if scale_tril is None:
            raise ValueError(f"{who}: expected scale_tril of shape (..., K, K), got None")
        m = _square_matrix(who, "scale_tril", scale_tril)
        loc = _event_vector(who, "loc", loc, _shape(m)[-1])
        super().__init__(dict(df=df, loc=loc, scale_tril=m), validate_args=validate_args)

    def _event_shape(self) -> Shape:
        return (_shape(self.scale_tril)[-1],)

    def _tril(self) -> Array:
        return fnp.tril(self.scale_tril)

    def _log_prob(self, x: Array) -> Array:
        k = self.event_shape[0]
        df = self.df
        w = _tri_solve_vec(self._tril(), x - self.loc)
        maha = fnp.sum(w * w, axis=-1)
        half = 0.5 * (df + k)
        return (fsp.gammaln(half) - fsp.gammaln(0.5 * df) - 0.5 * k * fnp.log(df * math.pi)
                - _sum_log_diag(self._tril()) - half * fnp.log1p(maha / df))

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        kz, kg = frandom.split(key)
        base = sample_shape + self.batch_shape
        z = frandom.normal(kz, base + self.event_shape)
        g = frandom.gamma(kg, fnp.broadcast_to(0.5 * self.df, base))
        # c = 2 g ~ chi2(df); x = loc + L z / sqrt(c / df)
        scale = fnp.sqrt(self.df / (2.0 * g))
        return self.loc + _matvec(self._tril(), z) * fnp.expand_dims(scale, -1)

    def _mean(self) -> Array:
        return fnp.where(fnp.expand_dims(self.df, -1) > 1.0, self.loc, np.nan)

    def _mode(self) -> Array:
        return self.loc

    def _var_factor(self) -> Array:
        # df / (df - 2) for df > 2, inf for 1 < df <= 2, nan for df <= 1
        df = self.df
        safe = fnp.where(df > 2.0, df, 3.0)
        return fnp.where(df > 2.0, safe / (safe - 2.0), fnp.where(df > 1.0, np.inf, np.nan))

    def _variance(self) -> Array:
        tril = self._tril()
        return fnp.expand_dims(self._var_factor(), -1) * fnp.sum(tril * tril, axis=-1)

    def _covariance(self) -> Array:
        tril = self._tril()
        factor = fnp.expand_dims(fnp.expand_dims(self._var_factor(), -1), -1)
        return factor * fnp.matmul(tril, _mT(tril))

    def _entropy(self) -> Array:
        # -lgamma((df+K)/2) + lgamma(df/2) + K/2 log(df pi) + (df+K)/2 (psi((df+K)/2) - psi(df/2))
        # + log det L
        k = self.event_shape[0]
        df = self.df
        half = 0.5 * (df + k)
        return (-fsp.gammaln(half) + fsp.gammaln(0.5 * df) + 0.5 * k * fnp.log(df * math.pi)
                + half * (fsp.digamma(half) - fsp.digamma(0.5 * df))
                + _sum_log_diag(self._tril()))


# --------------------------------------------------------------------------------------------
# LKJ: correlation matrices and their Cholesky factors
# --------------------------------------------------------------------------------------------


def _value_cholesky(x: Array) -> tuple[Array, Any]:
    """Lower Cholesky factors of values, and which of them are positive definite (the others
    get ``-inf`` density from the caller). Concrete matrices that are not positive definite
    get a placeholder factor (the identity), so no ``nan`` reaches the density; traced values
    are factored as they are."""
    if isinstance(x, Tracer):
        return _chol(x), True
    x = np.asarray(x)
    try:
        np.linalg.cholesky(x)
        return _chol(x), True
    except np.linalg.LinAlgError:
        pass
    ok = np.zeros(x.shape[:-2], dtype=bool)
    for idx in np.ndindex(*x.shape[:-2]):
        try:
            np.linalg.cholesky(x[idx])
            ok[idx] = True
        except np.linalg.LinAlgError:
            pass
    safe = np.where(ok[..., None, None], x, np.eye(x.shape[-1]))
    return _chol(safe), ok


class _LKJBase(Distribution):
    """What LKJ and LKJCholesky share: the parameters, the normalizer and the onion sampler."""

    parameter_constraints = {"concentration": constraints.positive}
    parameter_event_ndims = {"concentration": 0}
    reparameterized = False

    def __init__(
        self, dimension: int, concentration: ArrayLike = 1.0, *, validate_args: bool = False
    ) -> None:
        who = type(self).__name__
        try:
            k = operator.index(dimension)
        except TypeError:
            raise TypeError(f"{who}: expected dimension as an int >= 2, got {dimension!r}") \
                from None
        if k < 2:
            raise ValueError(f"{who}: expected dimension >= 2, got {k}")
        super().__init__(dict(concentration=concentration), validate_args=validate_args,
                         static=dict(dimension=k))

    def _event_shape(self) -> Shape:
        return (self.dimension, self.dimension)

    def _log_normalizer(self) -> Array:
        """``log c_K(eta)``, ``c_K = integral over correlation matrices of det(C)^(eta - 1)``
        (Lewandowski, Kurowicka and Joe 2009, eq. 16; as TFP's ``_log_normalization``):
        ``sum_{k=1}^{K-1} [k/2 log pi + lgamma(b_k) - lgamma(b_k + k/2)]``,
        ``b_k = eta + (K - 1 - k) / 2``."""
        eta, dim = self.concentration, self.dimension
        total = 0.0
        for k in range(1, dim):
            b = eta + 0.5 * (dim - 1 - k)
            total = total + 0.5 * k * math.log(math.pi) + fsp.gammaln(b) - fsp.gammaln(b + 0.5 * k)
        return total

    def _sample_cholesky(self, sample_shape: Shape, key: Any) -> Array:
        """The onion method (LKJ 2009, section 3.2; as NumPyro): row ``i`` (0-based, ``i >= 1``)
        of the factor is ``sqrt(y_i) u_i`` off the diagonal, with ``u_i`` uniform on the
        sphere of ``R^i`` and ``y_i ~ Beta(i / 2, eta + (K - 2) / 2 - (i - 1) / 2)``, and
        ``sqrt(1 - y_i)`` on the diagonal."""
        dim = self.dimension
        kb, kn = frandom.split(key)
        base = sample_shape + self.batch_shape
        i = np.arange(1, dim, dtype=np.float64)
        a = fnp.broadcast_to(0.5 * i, base + (dim - 1,))
        b = fnp.broadcast_to(fnp.expand_dims(self.concentration, -1) + 0.5 * (dim - 2)
                             - 0.5 * (i - 1.0), base + (dim - 1,))
        y = frandom.beta(kb, a, b)
        # row i uses its first i entries: the lower triangle (with diagonal) of a (K-1)^2 block
        z = frandom.normal(kn, base + (dim - 1, dim - 1)) * np.tril(np.ones((dim - 1, dim - 1)))
        u = z / fnp.sqrt(fnp.sum(z * z, axis=-1, keepdims=True))
        w = fnp.expand_dims(fnp.sqrt(y), -1) * u
        # place w at rows 1.., columns ..K-2 of a K x K matrix
        w = fnp.concatenate([fnp.zeros(base + (1, dim - 1)), w], axis=-2)
        off = fnp.concatenate([w, fnp.zeros(base + (dim, 1))], axis=-1)
        diag = fnp.sqrt(fnp.maximum(1.0 - fnp.sum(off * off, axis=-1), 0.0))
        return off + _diag_embed(diag)


class LKJCholesky(_LKJBase):
    """The LKJ distribution on Cholesky factors of correlation matrices (NumPyro's
    ``LKJCholesky``; also exported under TFP's name ``CholeskyLKJ``).

    ``L`` is lower triangular with a positive diagonal and rows of unit norm, so ``L L^T`` is
    a correlation matrix distributed as :class:`LKJ`:
    ``log p(L) = sum_{i=1}^{K-1} (K - i - 1 + 2 (eta - 1)) log L_ii - log c_K(eta)``
    (0-based ``i``; the exponent ``K - i - 1`` is the Jacobian of ``L -> L L^T``; Stan's
    ``lkj_corr_cholesky``).

    Parameters
    ----------
    dimension : int
        ``K >= 2``.
    concentration : array_like, default 1.0
        ``eta > 0``; shape ``batch_shape``. ``eta = 1`` is uniform over correlation matrices;
        larger values concentrate at the identity.
    validate_args : bool, default False
        Check ``eta > 0``, and that values are Cholesky factors of correlation matrices.

    Notes
    -----
    ``event_shape = (K, K)``; ``log_prob`` of values ``sample_shape + batch_shape + (K, K)``
    has shape ``sample_shape + batch_shape``. Sampling by the onion method (not
    reparameterized). ``default_bijector`` is :class:`fluxion.bijectors.CorrelationCholesky`.

    References
    ----------
    Lewandowski, Kurowicka and Joe (2009), "Generating random correlation matrices based on
    vines and extended onion method", J. Multivariate Analysis 100.
    """

    support = constraints.corr_cholesky

    def _log_prob(self, x: Array) -> Array:
        dim = self.dimension
        diag = fnp.diagonal(x, axis1=-2, axis2=-1)[..., 1:]
        i = np.arange(1, dim, dtype=np.float64)
        exponent = (dim - i - 1.0) + 2.0 * (fnp.expand_dims(self.concentration, -1) - 1.0)
        return fnp.sum(exponent * fnp.log(diag), axis=-1) - self._log_normalizer()

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        return self._sample_cholesky(sample_shape, key)


CholeskyLKJ = LKJCholesky  # TFP's name


class LKJ(_LKJBase):
    """The LKJ distribution on ``K x K`` correlation matrices: ``p(C) = det(C)^(eta - 1) /
    c_K(eta)`` (TFP's and NumPyro's ``LKJ``).

    Parameters
    ----------
    dimension : int
        ``K >= 2``.
    concentration : array_like, default 1.0
        ``eta > 0``; shape ``batch_shape``.
    validate_args : bool, default False
        Check ``eta > 0``, and that values are correlation matrices.

    Notes
    -----
    ``event_shape = (K, K)``; ``log_prob`` of ``sample_shape + batch_shape + (K, K)`` values
    has shape ``sample_shape + batch_shape``; ``log det C`` comes from the Cholesky factor
    (``-inf`` for values that are not positive definite, eagerly). ``c_K(eta)`` as
    :class:`LKJCholesky`. Samples are ``L L^T`` of the onion method's ``L``. Each
    off-diagonal entry has the marginal ``2 Beta(b, b) - 1``, ``b = eta - 1 + K / 2``: mean
    0, variance ``1 / (2 eta + K - 1)``. ``mean`` is the identity; ``mode`` the identity for
    ``eta >= 1`` (``nan`` below, where the density is unbounded).
    """

    support = constraints.corr_matrix

    def _log_prob(self, x: Array) -> Array:
        tril, ok = _value_cholesky(x)
        log_det = 2.0 * _sum_log_diag(tril)
        lp = (self.concentration - 1.0) * log_det - self._log_normalizer()
        return lp if ok is True else fnp.where(ok, lp, -np.inf)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        tril = self._sample_cholesky(sample_shape, key)
        return fnp.matmul(tril, _mT(tril))

    def _eta(self) -> Array:
        return fnp.expand_dims(fnp.expand_dims(fnp.asarray(self.concentration), -1), -1)

    def _mean(self) -> Array:
        return np.eye(self.dimension)

    def _variance(self) -> Array:
        eye = np.eye(self.dimension)
        return (1.0 - eye) / (2.0 * self._eta() + self.dimension - 1.0)

    def _mode(self) -> Array:
        return fnp.where(self._eta() >= 1.0, np.eye(self.dimension), np.nan)


# --------------------------------------------------------------------------------------------
# Wishart and inverse Wishart
# --------------------------------------------------------------------------------------------


def _bartlett(key: Any, df: Array, shape: Shape, dim: int) -> Array:
    """Bartlett's factor ``A``: lower triangular, ``A_ii = sqrt(chi2(df - i))`` (0-based
    ``i``), ``A_ij ~ N(0, 1)`` below the diagonal; ``A A^T ~ Wishart(df, I)``. Differentiable in
    ``df`` through the gamma draws' implicit reparameterization (``chi2(k) = 2 Gamma(k/2)``)."""
    kn, kg = frandom.split(key)
    z = frandom.normal(kn, shape + (dim, dim)) * np.tril(np.ones((dim, dim)), -1)
    half = 0.5 * (fnp.expand_dims(df, -1) - np.arange(dim, dtype=np.float64))
    c = 2.0 * frandom.gamma(kg, fnp.broadcast_to(half, shape + (dim,)))
    return z + _diag_embed(fnp.sqrt(c))


class _WishartBase(Distribution):
    parameter_constraints = {"df": constraints.positive, "scale_tril": constraints.lower_cholesky}
    parameter_event_ndims = {"df": 0, "scale_tril": 2}
    support = constraints.positive_definite
    reparameterized = True

    def __init__(self, df: ArrayLike, scale_tril: ArrayLike, *,
                 validate_args: bool = False) -> None:
        m = _square_matrix(type(self).__name__, "scale_tril", scale_tril)
        super().__init__(dict(df=df, scale_tril=m), validate_args=validate_args)

    def _parameter_checks(self) -> list[tuple[Any, str]]:
        p = self.event_shape[0]
        df = self.df
        return [(np.asarray(df) > p - 1, f"df > dimension - 1 = {p - 1}, got df = {df!r}")]

    def _event_shape(self) -> Shape:
        k = _shape(self.scale_tril)[-1]
        return (k, k)

    def _tril(self) -> Array:
        return fnp.tril(self.scale_tril)

    def _scale(self) -> Array:
        tril = self._tril()
        return fnp.matmul(tril, _mT(tril))

    def _df2(self) -> Array:
        return fnp.expand_dims(fnp.expand_dims(fnp.asarray(self.df), -1), -1)

    def _multidigamma(self, a: Array) -> Array:
        """``sum_{i=1}^{p} psi(a + (1 - i) / 2)``."""
        p = self.event_shape[0]
        return fnp.sum(fsp.digamma(fnp.expand_dims(a, -1) - 0.5 * np.arange(p)), axis=-1)


class Wishart(_WishartBase):
    """The Wishart distribution on ``p x p`` positive-definite matrices, with scale ``S = L L^T``
    (TFP's ``WishartTriL``; also exported as ``WishartTriL``).

    ``log p(X) = (df - p - 1)/2 log det X - tr(S^-1 X)/2 - df p/2 log 2 - df/2 log det S
    - log Gamma_p(df/2)``.

    Parameters
    ----------
    df : array_like
        Degrees of freedom, ``> p - 1``; shape ``(...)`` (batch).
    scale_tril : array_like, shape ``(..., p, p)``
        Lower triangular with a positive diagonal (the upper triangle is ignored).
    validate_args : bool, default False
        Check ``scale_tril`` and ``df > p - 1`` at construction, values positive definite.

    Notes
    -----
    ``event_shape = (p, p)``; ``log_prob`` of ``sample_shape + batch_shape + (p, p)`` values
    has shape ``sample_shape + batch_shape``; matches ``scipy.stats.wishart(df, L L^T)``.
    ``log det X`` and ``tr(S^-1 X) = |L^-1 L_X|_F^2`` come from the value's Cholesky factor
    ``L_X`` (``-inf`` for values that are not positive definite, eagerly). Sampling by the
    Bartlett decomposition ``X = (L A)(L A)^T`` (reparameterized in ``scale_tril``, and in
    ``df`` through the gamma draws). ``mean = df S``, ``variance_ij = df (S_ij^2 + S_ii S_jj)``,
    ``mode = (df - p - 1) S`` for ``df >= p + 1`` (``nan`` otherwise), closed-form entropy.
    """

    def _log_prob(self, x: Array) -> Array:
        p = self.event_shape[0]
        df = self.df
        lx, ok = _value_cholesky(x)
        tril = self._tril()
        v = _tri_solve(tril, lx, lower=True)  # L^-1 L_X: tr(S^-1 X) = |L^-1 L_X|_F^2
        lp = (0.5 * (df - p - 1.0) * 2.0 * _sum_log_diag(lx)
              - 0.5 * fnp.sum(v * v, axis=(-2, -1))
              - 0.5 * df * p * math.log(2.0) - df * _sum_log_diag(tril)
              - fsp.multigammaln(0.5 * df, p))
        return lp if ok is True else fnp.where(ok, lp, -np.inf)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        p = self.event_shape[0]
        shape = sample_shape + self.batch_shape
        la = fnp.matmul(self._tril(), _bartlett(key, fnp.broadcast_to(self.df, shape), shape, p))
        return fnp.matmul(la, _mT(la))

    def _mean(self) -> Array:
        return self._df2() * self._scale()

    def _variance(self) -> Array:
        s = self._scale()
        d = fnp.diagonal(s, axis1=-2, axis2=-1)
        return self._df2() * (s * s + fnp.expand_dims(d, -1) * fnp.expand_dims(d, -2))

    def _mode(self) -> Array:
        p = self.event_shape[0]
        df = self._df2()
        return fnp.where(df >= p + 1.0, (df - p - 1.0) * self._scale(), np.nan)

    def _entropy(self) -> Array:
        # (p+1)/2 log det S + p(p+1)/2 log 2 + log Gamma_p(df/2) - (df-p-1)/2 psi_p(df/2)
        # + df p / 2
        p = self.event_shape[0]
        df = self.df
        return ((p + 1.0) * _sum_log_diag(self._tril()) + 0.5 * p * (p + 1.0) * math.log(2.0)
                + fsp.multigammaln(0.5 * df, p)
                - 0.5 * (df - p - 1.0) * self._multidigamma(0.5 * df) + 0.5 * df * p)


WishartTriL = Wishart


class InverseWishart(_WishartBase):
    """The inverse Wishart distribution: ``X^-1 ~ Wishart(df, S^-1)`` for scale ``S = L L^T``
    (``scipy.stats.invwishart(df, S)``'s parameterization).

    ``log p(X) = df/2 log det S - df p/2 log 2 - log Gamma_p(df/2) - (df + p + 1)/2 log det X
    - tr(S X^-1)/2``.

    Parameters
    ----------
    df : array_like
        Degrees of freedom, ``> p - 1``; shape ``(...)`` (batch).
    scale_tril : array_like, shape ``(..., p, p)``
        Lower triangular with a positive diagonal: the scale ``S = L L^T``.
    validate_args : bool, default False

    Notes
    -----
    ``event_shape = (p, p)``; ``log_prob`` returns ``sample_shape + batch_shape``; matches
    ``scipy.stats.invwishart``. ``tr(S X^-1) = |L_X^-1 L|_F^2`` with the value's Cholesky
    factor ``L_X``. Sampling: ``X = (L A^-T)(L A^-T)^T`` with Bartlett's ``A`` (``A A^T ~
    Wishart(df, I)``, so ``X^-1 = L^-T A A^T L^-1 ~ Wishart(df, S^-1)``): reparameterized.
    ``mean = S / (df - p - 1)`` for ``df > p + 1``; ``mode = S / (df + p + 1)``;
    ``variance_ij = ((df - p + 1) S_ij^2 + (df - p - 1) S_ii S_jj) / ((df - p) (df - p - 1)^2
    (df - p - 3))`` for ``df > p + 3`` (``nan`` where a moment does not exist).
    """

    def _log_prob(self, x: Array) -> Array:
        p = self.event_shape[0]
        df = self.df
        lx, ok = _value_cholesky(x)
        tril = self._tril()
        v = _tri_solve(lx, fnp.broadcast_to(tril, np.broadcast_shapes(_shape(lx), _shape(tril))),
                       lower=True)  # L_X^-1 L: tr(S X^-1) = |L_X^-1 L|_F^2
        lp = (df * _sum_log_diag(tril) - 0.5 * df * p * math.log(2.0)
              - fsp.multigammaln(0.5 * df, p)
              - (df + p + 1.0) * _sum_log_diag(lx) - 0.5 * fnp.sum(v * v, axis=(-2, -1)))
        return lp if ok is True else fnp.where(ok, lp, -np.inf)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        p = self.event_shape[0]
        shape = sample_shape + self.batch_shape
        a = _bartlett(key, fnp.broadcast_to(self.df, shape), shape, p)
        # B = A^-1 L^T, X = B^T B = L A^-T A^-1 L^T
        lt = fnp.broadcast_to(_mT(self._tril()), shape + (p, p))
        b = _tri_solve(a, lt, lower=True)
        return fnp.matmul(_mT(b), b)

    def _mean(self) -> Array:
        p = self.event_shape[0]
        df = self._df2()
        ok = df > p + 1.0
        return fnp.where(ok, self._scale() / fnp.where(ok, df - p - 1.0, 1.0), np.nan)

    def _variance(self) -> Array:
        p = self.event_shape[0]
        df = self._df2()
        ok = df > p + 3.0
        safe = fnp.where(ok, df, p + 4.0)
        s = self._scale()
        d = fnp.diagonal(s, axis1=-2, axis2=-1)
        num = ((safe - p + 1.0) * s * s
               + (safe - p - 1.0) * fnp.expand_dims(d, -1) * fnp.expand_dims(d, -2))
        den = (safe - p) * (safe - p - 1.0) ** 2 * (safe - p - 3.0)
        return fnp.where(ok, num / den, np.nan)

    def _mode(self) -> Array:
        p = self.event_shape[0]
        return self._scale() / (self._df2() + p + 1.0)

    def _entropy(self) -> Array:
        # log Gamma_p(df/2) + df p/2 + (p+1)/2 (log det S - log 2)
        # - (df+p+1)/2 sum_{i=1}^{p} psi((df - p + i)/2)   (scipy's eq. 17)
        p = self.event_shape[0]
        df = self.df
        psi = fnp.sum(fsp.digamma(0.5 * (fnp.expand_dims(df, -1) - p
                                         + np.arange(1, p + 1, dtype=np.float64))), axis=-1)
        return (fsp.multigammaln(0.5 * df, p) + 0.5 * p * df
                + 0.5 * (p + 1.0) * (2.0 * _sum_log_diag(self._tril()) - math.log(2.0))
                - 0.5 * (df + p + 1.0) * psi)


# --------------------------------------------------------------------------------------------
# Matrix normal
# --------------------------------------------------------------------------------------------


class MatrixNormal(Distribution):
    """The matrix normal distribution on ``n x p`` matrices: ``vec(X) ~ N(vec(M), V (x) U)``
    with row covariance ``U = L_r L_r^T`` and column covariance ``V = L_c L_c^T``.

    ``log p(X) = -(n p log(2 pi) + p log det U + n log det V
    + tr(V^-1 (X - M)^T U^-1 (X - M))) / 2``.

    Parameters
    ----------
    loc : array_like, shape ``(..., n, p)``
        The mean ``M`` (None: zeros).
    scale_row_tril : array_like, shape ``(..., n, n)``
        Lower triangular, positive diagonal: ``L_r``.
    scale_column_tril : array_like, shape ``(..., p, p)``
        Lower triangular, positive diagonal: ``L_c``.
    validate_args : bool, default False

    Notes
    -----
    ``event_shape = (n, p)``; ``log_prob`` of ``sample_shape + batch_shape + (n, p)`` values
    has shape ``sample_shape + batch_shape``; matches ``scipy.stats.matrix_normal(M, U, V)``.
    The trace is ``|L_r^-1 (X - M) L_c^-T|_F^2`` (two triangular solves). Reparameterized:
    ``X = M + L_r Z L_c^T``. ``variance_ij = U_ii V_jj``; ``covariance`` has shape
    ``batch_shape + (n, p, n, p)`` with entries ``U_ik V_jl``.
    """

    parameter_constraints = {"loc": constraints.real,
                             "scale_row_tril": constraints.lower_cholesky,
                             "scale_column_tril": constraints.lower_cholesky}
    parameter_event_ndims = {"loc": 2, "scale_row_tril": 2, "scale_column_tril": 2}
    support = constraints.Constraint("real_matrix", 2, lambda x: ~np.isnan(x),
                                     "a real matrix (no nan)", "real")
    reparameterized = True

    def __init__(
        self,
        loc: ArrayLike | None,
        scale_row_tril: ArrayLike,
        scale_column_tril: ArrayLike,
        *,
        validate_args: bool = False,
    ) -> None:
        who = type(self).__name__
        r = _square_matrix(who, "scale_row_tril", scale_row_tril)
        c = _square_matrix(who, "scale_column_tril", scale_column_tril)
        n, p = _shape(r)[-1], _shape(c)[-1]
        if loc is None:
            loc = np.zeros((n, p))
        loc = _as_float(loc)
        if len(_shape(loc)) < 2 or _shape(loc)[-2:] != (n, p):
            raise ValueError(
                f"{who}: expected loc of shape (..., {n}, {p}) (rows from scale_row_tril, "
                f"columns from scale_column_tril), got shape {_shape(loc)}"
            )
        super().__init__(dict(loc=loc, scale_row_tril=r, scale_column_tril=c),
                         validate_args=validate_args)

    def _event_shape(self) -> Shape:
        return (_shape(self.scale_row_tril)[-1], _shape(self.scale_column_tril)[-1])

    def _row(self) -> Array:
        return fnp.tril(self.scale_row_tril)

    def _col(self) -> Array:
        return fnp.tril(self.scale_column_tril)

    def _log_prob(self, x: Array) -> Array:
        n, p = self.event_shape
        a = _tri_solve(self._row(), x - self.loc, lower=True)  # L_r^-1 D, (..., n, p)
        b = _tri_solve(self._col(), _mT(a), lower=True)  # L_c^-1 D^T L_r^-T, (..., p, n)
        return (-0.5 * fnp.sum(b * b, axis=(-2, -1)) - 0.5 * n * p * _LOG_2PI
                - p * _sum_log_diag(self._row()) - n * _sum_log_diag(self._col()))

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        z = frandom.normal(key, sample_shape + self.batch_shape + self.event_shape)
        return self.loc + fnp.matmul(fnp.matmul(self._row(), z), _mT(self._col()))

    def _mean(self) -> Array:
        return self.loc

    def _mode(self) -> Array:
        return self.loc

    def _variance(self) -> Array:
        u = fnp.sum(self._row() ** 2, axis=-1)  # diag(U)
        v = fnp.sum(self._col() ** 2, axis=-1)  # diag(V)
        return fnp.expand_dims(u, -1) * fnp.expand_dims(v, -2)

    def _covariance(self) -> Array:
        r, c = self._row(), self._col()
        u, v = fnp.matmul(r, _mT(r)), fnp.matmul(c, _mT(c))
        return fnp.einsum("...ik,...jl->...ijkl", u, v)

    def covariance(self) -> Array:
        """The covariance of the entries: shape ``batch_shape + (n, p, n, p)``,
        ``Cov(X_ij, X_kl) = U_ik V_jl``."""
        return fnp.broadcast_to(self._covariance(), self.batch_shape + self.event_shape * 2)

    def _entropy(self) -> Array:
        n, p = self.event_shape
        return (0.5 * n * p * (1.0 + _LOG_2PI) + p * _sum_log_diag(self._row())
                + n * _sum_log_diag(self._col()))
