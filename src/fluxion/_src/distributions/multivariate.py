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
    "Dirichlet",
    "MultivariateNormal",
    "MultivariateNormalDiag",
    "MultivariateNormalFullCovariance",
    "MultivariateNormalTriL",
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


def _tri_solve(t: Array, m: Array, *, lower: bool = True, trans: bool = False) -> Array:
    """``op(t)^-1 m`` for triangular ``t`` ``(..., K, K)`` and matrices ``m`` ``(..., K, J)``.

    The triangular-solve primitive loops over the batch of matrices, so dimensions of ``m``
    that ``t`` lacks (sample dimensions: 10^5 draws against one factor) are folded into the
    right-hand-side columns: one solve per distinct factor, not one per draw.
    """
    t_batch, m_shape = _shape(t)[:-2], _shape(m)
    batch = tuple(np.broadcast_shapes(t_batch, m_shape[:-2]))
    lead = batch[: len(batch) - len(t_batch)]
    inner = batch[len(lead):]
    op = 1 if trans else 0
    if not lead and inner == t_batch:
        return fsl.solve_triangular(t, m, trans=op, lower=lower)
    k, j = m_shape[-2:]
    n_lead = int(np.prod(lead, dtype=np.int64))
    m = fnp.broadcast_to(m, batch + (k, j))
    # lead + inner + (K, J) -> inner + (K, J) + lead -> inner + (K, J * n_lead)
    m = fnp.moveaxis(m, tuple(range(len(lead))), tuple(range(-len(lead), 0)))
    m = fnp.reshape(m, inner + (k, j * n_lead))
    t = fnp.broadcast_to(t, inner + (k, k))
    x = fsl.solve_triangular(t, m, trans=op, lower=lower)
    x = fnp.reshape(x, inner + (k, j) + lead)
    return fnp.moveaxis(x, tuple(range(-len(lead), 0)), tuple(range(len(lead))))


def _tri_solve_vec(t: Array, b: Array, *, lower: bool = True, trans: bool = False) -> Array:
    """``op(t)^-1 b`` for triangular ``t`` ``(..., K, K)`` and vectors ``b`` ``(..., K)``."""
    return fnp.squeeze(_tri_solve(t, fnp.expand_dims(b, -1), lower=lower, trans=trans), -1)


def _sum_log_diag(t: Array) -> Array:
    """``sum_i log|t_ii|`` over the last two axes: ``log |det t|`` of a triangular ``t``."""
    return fnp.sum(fnp.log(fnp.abs(fnp.diagonal(t, axis1=-2, axis2=-1))), axis=-1)


def _cholesky(who: str, what: str, a: Array) -> Array:
    """The lower Cholesky factor; a matrix that is not positive definite is a clear error
    eagerly (under tracing the factorization gives nan instead)."""
    try:
        return fla.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{who}: expected {what} symmetric positive definite; its Cholesky factorization "
            "failed (pass validate_args=True to locate the offending matrix)"
        ) from None


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
        return fsl.solve_triangular(u, fnp.broadcast_to(np.eye(k), _shape(u)), trans=1,
                                    lower=False)

    def _factor(self) -> Array:
        """Some ``F`` (``(..., K, J)``) with ``F F^T = Sigma``."""
        return self._tril()

    def _inv_quad(self, m: Array) -> Array:
        """``tr(M^T Sigma^-1 M)`` for ``M`` of shape ``(..., K, J)``."""
        if self._parameters.get("precision_matrix") is not None:
            # M^T P M = (U^T M)^T (U^T M)
            w = fnp.matmul(_mT(self._precision_upper()), m)
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
        linv = fsl.solve_triangular(tril, fnp.broadcast_to(np.eye(_shape(tril)[-1]),
                                                           _shape(tril)), lower=True)
        return fnp.matmul(_mT(linv), linv)  # Sigma^-1 = L^-T L^-1

    # --- the distribution ----------------------------------------------------------------------

    def _log_prob(self, x: Array) -> Array:
        k = self.event_shape[0]
        maha = self._mahalanobis(x - self.loc)
        return -0.5 * maha - self._half_log_det() - 0.5 * k * _LOG_2PI

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
    ``a_i = 1``. Matches
    ``scipy.stats.dirichlet``. ``sample`` normalizes gamma draws; it is differentiable in
    ``concentration`` by implicit reparameterization (:func:`fluxion.random.gamma`).
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
        shape = sample_shape + self.batch_shape + self.event_shape
        return frandom.dirichlet(key, fnp.broadcast_to(self.concentration, shape))

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
