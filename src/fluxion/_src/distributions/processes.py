"""Stochastic processes: positive-definite kernels, Gaussian processes, random walks, AR(1).

Kernels (TFP's ``tfp.math.psd_kernels``, ``feature_ndims = 1``: a point is a vector of shape
``(d,)``, a set of points an array ``(..., N, d)``) are pytrees whose hyperparameters are
leaves, so ``grad`` with respect to them works and they pass through ``jit``/``vmap``:
:class:`ExponentiatedQuadratic`, :class:`Matern12`, :class:`Matern32`, :class:`Matern52`,
:class:`RationalQuadratic`, :class:`ExpSinSquared` (alias :data:`Periodic`), :class:`Linear`,
and their sums ``k1 + k2``, products ``k1 * k2`` and positive scalings ``c * k``.

:class:`GaussianProcess` is the multivariate normal of a kernel's values at index points;
:class:`GaussianProcessRegressionModel` its posterior predictive given noisy observations
(Rasmussen & Williams, Gaussian Processes for Machine Learning, 2006, eqs. 2.25-2.26, through
Cholesky solves, their Algorithm 2.1). :class:`GaussianRandomWalk` and :class:`AR1` are
Gaussian time series with event shape ``(num_steps,)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import random as frandom
from .. import tree_util
from ..core import Tracer
from ..numpy import core as fnp
from ..scipy import linalg as fsla
from . import constraints
from .base import Distribution

__all__ = [
    "PositiveSemidefiniteKernel",
    "ExponentiatedQuadratic",
    "Matern12",
    "Matern32",
    "Matern52",
    "RationalQuadratic",
    "ExpSinSquared",
    "Periodic",
    "Linear",
    "GaussianProcess",
    "GaussianProcessRegressionModel",
    "GaussianRandomWalk",
    "AR1",
]

Array = Any
Shape = tuple[int, ...]
_LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------


def _hyper(x: Any) -> Any:
    if x is None or isinstance(x, Tracer | np.ndarray):
        return x
    return np.asarray(x, dtype=np.float64)


def _pad(p: Any, extra: int) -> Any:
    """A hyperparameter with ``extra`` trailing unit axes (it broadcasts against the example
    dimensions of ``apply``/``matrix`` results)."""
    if p is None or extra == 0:
        return p
    return fnp.reshape(p, tuple(fnp.shape(p)) + (1,) * extra)


def _safe_norm(sq: Array) -> Array:
    """``sqrt(sq)`` with a finite derivative at 0 (coincident points: the kernels below are
    smooth functions of the distance away from 0, and their gradient in the points at 0 is 0)."""
    pos = sq > 0.0
    return fnp.where(pos, fnp.sqrt(fnp.where(pos, sq, 1.0)), 0.0)


class PositiveSemidefiniteKernel:
    """Base class of positive-semidefinite kernels (TFP's ``PositiveSemidefiniteKernel``).

    A subclass is a :func:`fluxion.tree.dataclass` whose fields are the hyperparameters and
    writes ``_apply(x1, x2, extra)``: the kernel at paired points ``x1``, ``x2`` (arrays
    ``(..., d)`` that broadcast), with hyperparameters padded by ``extra`` trailing unit axes.

    Notes
    -----
    ``feature_ndims = 1``: points are vectors (use shape ``(N, 1)`` for scalar inputs).
    ``batch_shape`` is the broadcast shape of the hyperparameters; ``matrix(x1, x2)`` has shape
    ``broadcast(batch_shape, x1.shape[:-2], x2.shape[:-2]) + (N1, N2)``.
    """

    feature_ndims = 1

    # --- public interface ---------------------------------------------------------------------

    def apply(self, x1: Any, x2: Any) -> Array:
        """The kernel at paired points.

        Parameters
        ----------
        x1, x2 : array_like, shape ``(..., d)``
            Broadcasting against each other (and against ``batch_shape``).

        Returns
        -------
        Array
            Shape ``broadcast(batch_shape, x1.shape[:-1], x2.shape[:-1])``.
        """
        x1, x2 = self._points("apply", x1, x2)
        return self._apply(x1, x2, 0)

    def matrix(self, x1: Any, x2: Any) -> Array:
        """The kernel matrix ``K[..., i, j] = k(x1[..., i, :], x2[..., j, :])``.

        Parameters
        ----------
        x1 : array_like, shape ``(..., N1, d)``
        x2 : array_like, shape ``(..., N2, d)``

        Returns
        -------
        Array
            Shape ``broadcast(batch_shape, x1.shape[:-2], x2.shape[:-2]) + (N1, N2)``.
        """
        x1, x2 = self._points("matrix", x1, x2)
        if fnp.ndim(x1) < 2 or fnp.ndim(x2) < 2:
            raise ValueError(
                f"{type(self).__name__}.matrix: expected sets of points of shape (..., N, d), "
                f"got shapes {tuple(fnp.shape(x1))} and {tuple(fnp.shape(x2))}"
            )
        return self._apply(fnp.expand_dims(x1, -2), fnp.expand_dims(x2, -3), 2)

    @property
    def batch_shape(self) -> Shape:
        """tuple of int : The broadcast shape of the hyperparameters."""
        shapes = [tuple(fnp.shape(v)) for v in self._hypers() if v is not None]
        return tuple(np.broadcast_shapes(*shapes)) if shapes else ()

    def __add__(self, other: Any) -> PositiveSemidefiniteKernel:
        if not isinstance(other, PositiveSemidefiniteKernel):
            return NotImplemented
        return _SumKernel((self, other))

    def __mul__(self, other: Any) -> PositiveSemidefiniteKernel:
        if isinstance(other, PositiveSemidefiniteKernel):
            return _ProductKernel((self, other))
        if isinstance(other, Tracer | int | float | np.ndarray | np.generic):
            if not isinstance(other, Tracer) and np.any(np.asarray(other) < 0):
                raise ValueError(
                    f"{type(self).__name__}: expected a scaling factor >= 0 (a negative multiple "
                    f"of a kernel is not positive semidefinite), got {other!r}"
                )
            return _ScaledKernel(self, _hyper(other))
        return NotImplemented

    __rmul__ = __mul__

    # --- to implement -------------------------------------------------------------------------

    def _hypers(self) -> list[Any]:
        return [getattr(self, f) for f in self.__dataclass_fields__]  # type: ignore[attr-defined]

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        raise NotImplementedError(f"{type(self).__name__}: _apply is not implemented")

    def _points(self, who: str, x1: Any, x2: Any) -> tuple[Array, Array]:
        out = []
        for x in (x1, x2):
            if not isinstance(x, Tracer):
                x = np.asarray(x, dtype=np.float64)
            if fnp.ndim(x) < 1:
                raise ValueError(
                    f"{type(self).__name__}.{who}: expected points with a feature dimension "
                    f"(shape (..., d)), got a scalar; use shape (N, 1) for scalar inputs"
                )
            out.append(x)
        if fnp.shape(out[0])[-1] != fnp.shape(out[1])[-1]:
            raise ValueError(
                f"{type(self).__name__}.{who}: expected points with the same feature size, got "
                f"{fnp.shape(out[0])[-1]} and {fnp.shape(out[1])[-1]}"
            )
        return out[0], out[1]

    def _post(self) -> None:
        for name in self.__dataclass_fields__:  # type: ignore[attr-defined]
            object.__setattr__(self, name, _hyper(getattr(self, name)))


def _sq_dist(x1: Array, x2: Array, length_scale: Any) -> Array:
    """``sum((x1 - x2)^2) / length_scale^2`` over the feature axis."""
    d = x1 - x2
    return fnp.sum(d * d, axis=-1) / length_scale**2


@tree_util.dataclass
class ExponentiatedQuadratic(PositiveSemidefiniteKernel):
    """``k(x, y) = amplitude^2 exp(-|x - y|^2 / (2 length_scale^2))`` (the RBF kernel).

    Parameters
    ----------
    amplitude : array_like, default 1.0
        ``> 0``.
    length_scale : array_like, default 1.0
        ``> 0``.
    """

    amplitude: Any = 1.0
    length_scale: Any = 1.0

    def __post_init__(self) -> None:
        self._post()

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        a, ls = _pad(self.amplitude, extra), _pad(self.length_scale, extra)
        return a**2 * fnp.exp(-0.5 * _sq_dist(x1, x2, ls))


@tree_util.dataclass
class Matern12(PositiveSemidefiniteKernel):
    """``k(x, y) = amplitude^2 exp(-r / length_scale)``, ``r = |x - y|`` (Matern, nu = 1/2).

    Parameters
    ----------
    amplitude, length_scale : array_like, default 1.0
        ``> 0``.
    """

    amplitude: Any = 1.0
    length_scale: Any = 1.0

    def __post_init__(self) -> None:
        self._post()

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        a, ls = _pad(self.amplitude, extra), _pad(self.length_scale, extra)
        r = _safe_norm(_sq_dist(x1, x2, ls))
        return a**2 * fnp.exp(-r)


@tree_util.dataclass
class Matern32(PositiveSemidefiniteKernel):
    """``k(x, y) = amplitude^2 (1 + sqrt(3) r / l) exp(-sqrt(3) r / l)`` (Matern, nu = 3/2).

    Parameters
    ----------
    amplitude, length_scale : array_like, default 1.0
        ``> 0``.
    """

    amplitude: Any = 1.0
    length_scale: Any = 1.0

    def __post_init__(self) -> None:
        self._post()

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        a, ls = _pad(self.amplitude, extra), _pad(self.length_scale, extra)
        z = math.sqrt(3.0) * _safe_norm(_sq_dist(x1, x2, ls))
        return a**2 * (1.0 + z) * fnp.exp(-z)


@tree_util.dataclass
class Matern52(PositiveSemidefiniteKernel):
    """``k(x, y) = amplitude^2 (1 + z + z^2 / 3) exp(-z)``, ``z = sqrt(5) r / l`` (nu = 5/2).

    Parameters
    ----------
    amplitude, length_scale : array_like, default 1.0
        ``> 0``.
    """

    amplitude: Any = 1.0
    length_scale: Any = 1.0

    def __post_init__(self) -> None:
        self._post()

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        a, ls = _pad(self.amplitude, extra), _pad(self.length_scale, extra)
        sq = _sq_dist(x1, x2, ls)
        z = math.sqrt(5.0) * _safe_norm(sq)
        return a**2 * (1.0 + z + (5.0 / 3.0) * sq) * fnp.exp(-z)


@tree_util.dataclass
class RationalQuadratic(PositiveSemidefiniteKernel):
    """``k(x, y) = amplitude^2 (1 + |x - y|^2 / (2 alpha l^2))^(-alpha)``.

    Parameters
    ----------
    amplitude, length_scale : array_like, default 1.0
        ``> 0``.
    scale_mixture_rate : array_like, default 1.0
        ``alpha > 0``; as ``alpha -> inf`` the kernel tends to the exponentiated quadratic.
    """

    amplitude: Any = 1.0
    length_scale: Any = 1.0
    scale_mixture_rate: Any = 1.0

    def __post_init__(self) -> None:
        self._post()

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        a, ls = _pad(self.amplitude, extra), _pad(self.length_scale, extra)
        alpha = _pad(self.scale_mixture_rate, extra)
        sq = _sq_dist(x1, x2, ls)
        return a**2 * fnp.exp(-alpha * fnp.log1p(sq / (2.0 * alpha)))


@tree_util.dataclass
class ExpSinSquared(PositiveSemidefiniteKernel):
    """The periodic kernel ``amplitude^2 exp(-2 sum_k sin^2(pi |x_k - y_k| / period) / l^2)``.

    TFP's ``ExpSinSquared`` (MacKay 1998; Rasmussen & Williams eq. 4.31).

    Parameters
    ----------
    amplitude, length_scale : array_like, default 1.0
        ``> 0``.
    period : array_like, default 1.0
        ``> 0``.
    """

    amplitude: Any = 1.0
    length_scale: Any = 1.0
    period: Any = 1.0

    def __post_init__(self) -> None:
        self._post()

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        a, ls = _pad(self.amplitude, extra), _pad(self.length_scale, extra)
        p = fnp.expand_dims(_pad(self.period, extra), -1)
        s = fnp.sin(math.pi * (x1 - x2) / p)
        return a**2 * fnp.exp(-2.0 * fnp.sum(s * s, axis=-1) / ls**2)


Periodic = ExpSinSquared


@tree_util.dataclass
class Linear(PositiveSemidefiniteKernel):
    """``k(x, y) = bias_amplitude^2 + slope_amplitude^2 (x - shift) . (y - shift)``.

    Parameters
    ----------
    bias_amplitude : array_like, default 0.0
    slope_amplitude : array_like, default 1.0
    shift : array_like, default 0.0
    """

    bias_amplitude: Any = 0.0
    slope_amplitude: Any = 1.0
    shift: Any = 0.0

    def __post_init__(self) -> None:
        self._post()

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        b, s = _pad(self.bias_amplitude, extra), _pad(self.slope_amplitude, extra)
        c = fnp.expand_dims(_pad(self.shift, extra), -1)
        return b**2 + s**2 * fnp.sum((x1 - c) * (x2 - c), axis=-1)


@tree_util.dataclass
class _SumKernel(PositiveSemidefiniteKernel):
    kernels: tuple = ()

    def _hypers(self) -> list[Any]:
        return []

    @property
    def batch_shape(self) -> Shape:
        return tuple(np.broadcast_shapes(*(k.batch_shape for k in self.kernels)))

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        out = self.kernels[0]._apply(x1, x2, extra)
        for k in self.kernels[1:]:
            out = out + k._apply(x1, x2, extra)
        return out


@tree_util.dataclass
class _ProductKernel(PositiveSemidefiniteKernel):
    kernels: tuple = ()

    def _hypers(self) -> list[Any]:
        return []

    @property
    def batch_shape(self) -> Shape:
        return tuple(np.broadcast_shapes(*(k.batch_shape for k in self.kernels)))

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        out = self.kernels[0]._apply(x1, x2, extra)
        for k in self.kernels[1:]:
            out = out * k._apply(x1, x2, extra)
        return out


@tree_util.dataclass
class _ScaledKernel(PositiveSemidefiniteKernel):
    kernel: Any
    scale: Any = 1.0

    def _hypers(self) -> list[Any]:
        return [self.scale]

    @property
    def batch_shape(self) -> Shape:
        return tuple(np.broadcast_shapes(self.kernel.batch_shape, tuple(fnp.shape(self.scale))))

    def _apply(self, x1: Array, x2: Array, extra: int) -> Array:
        return _pad(self.scale, extra) * self.kernel._apply(x1, x2, extra)


# --------------------------------------------------------------------------------------------
# Multivariate normal helpers (Cholesky based)
# --------------------------------------------------------------------------------------------


def _cholesky(cov: Array) -> Array:
    return fsla.cholesky(cov, lower=True)


def _mvn_log_prob(loc: Array, chol: Array, x: Array) -> Array:
    """``log N(x; loc, L L^T)`` for ``x`` of shape ``S + B + (N,)``; result ``S + B``.

    ``-1/2 |L^-1 (x - loc)|^2 - sum log diag L - N/2 log 2 pi``.
    """
    n = int(fnp.shape(chol)[-1])
    diff = x - loc
    bshape = tuple(np.broadcast_shapes(tuple(fnp.shape(diff))[:-1], tuple(fnp.shape(chol))[:-2]))
    diff = fnp.broadcast_to(diff, bshape + (n,))
    chol = fnp.broadcast_to(chol, bshape + (n, n))
    z = fsla.solve_triangular(chol, diff[..., None], lower=True)[..., 0]
    half_logdet = fnp.sum(fnp.log(fnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * fnp.sum(z * z, axis=-1) - half_logdet - 0.5 * n * _LOG_2PI


def _mvn_sample(loc: Array, chol: Array, shape: Shape, key: Any) -> Array:
    """``loc + L z`` for ``z ~ N(0, I)`` of shape ``shape + (N,)``."""
    n = int(fnp.shape(chol)[-1])
    z = frandom.normal(key, tuple(shape) + (n,))
    return loc + fnp.matmul(chol, z[..., None])[..., 0]


def _add_diagonal(m: Array, v: Any) -> Array:
    n = int(fnp.shape(m)[-1])
    return m + fnp.expand_dims(fnp.asarray(v, dtype=np.float64), (-1, -2)) * fnp.eye(n)


def _check_kernel(who: str, kernel: Any) -> None:
    if not isinstance(kernel, PositiveSemidefiniteKernel):
        raise TypeError(
            f"{who}: expected kernel to be a PositiveSemidefiniteKernel (e.g. "
            f"ExponentiatedQuadratic(amplitude, length_scale)), got {type(kernel).__name__}"
        )


def _check_points(who: str, name: str, x: Any) -> None:
    if fnp.ndim(x) < 2:
        raise ValueError(
            f"{who}: expected {name} of shape (..., N, d) (feature_ndims=1), got shape "
            f"{tuple(fnp.shape(x))}; use x[:, None] for scalar inputs"
        )


class _GaussianBase(Distribution):
    """A multivariate normal over ``(N,)`` given by ``_loc()`` and ``_cov()``."""

    support = constraints.real_vector
    reparameterized = True

    def _chol(self) -> Array:
        return _cholesky(self._cov())

    def _full_loc(self) -> Array:
        return fnp.broadcast_to(self._loc(), self.batch_shape + self.event_shape)

    def _log_prob(self, x: Array) -> Array:
        return _mvn_log_prob(self._full_loc(), self._chol(), x)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        shape = tuple(sample_shape) + tuple(self.batch_shape)
        chol = fnp.broadcast_to(self._chol(), self.batch_shape + self.event_shape * 2)
        return _mvn_sample(self._full_loc(), chol, shape, key)

    def _mean(self) -> Array:
        return self._loc()

    def _mode(self) -> Array:
        return self._loc()

    def _covariance(self) -> Array:
        return self._cov()

    def _variance(self) -> Array:
        return fnp.diagonal(self._cov(), axis1=-2, axis2=-1)

    def _entropy(self) -> Array:
        n = self.event_shape[0]
        half_logdet = fnp.sum(
            fnp.log(fnp.diagonal(self._chol(), axis1=-2, axis2=-1)), axis=-1
        )
        return 0.5 * n * (1.0 + _LOG_2PI) + half_logdet


# --------------------------------------------------------------------------------------------
# Gaussian processes
# --------------------------------------------------------------------------------------------


class GaussianProcess(_GaussianBase):
    """A Gaussian process at finitely many index points: a multivariate normal.

    ``f(X) ~ N(m(X), K(X, X) + (observation_noise_variance + jitter) I)``.

    Parameters
    ----------
    kernel : PositiveSemidefiniteKernel
        The covariance function (batch shape ``Bk``).
    index_points : array_like, shape ``(..., N, d)``
        Where the process is observed.
    mean_fn : callable, optional
        ``mean_fn(index_points) -> (..., N)``; default zero.
    observation_noise_variance : array_like, default 0.0
        Added to the diagonal (iid Gaussian noise), ``>= 0``.
    jitter : float, default 1e-6
        Added to the diagonal for a stable Cholesky factorization (TFP's default). It is part of
        the distribution: ``covariance()`` includes it and ``log_prob`` uses it.
    validate_args : bool, default False

    Notes
    -----
    ``batch_shape = broadcast(kernel.batch_shape, index_points.shape[:-2],
    observation_noise_variance.shape)``, ``event_shape = (N,)``. ``log_prob`` by a Cholesky
    factorization (``-1/2 |L^-1 (y - m)|^2 - sum log L_ii - N/2 log 2 pi``), so the log
    marginal likelihood and its gradients in the kernel's hyperparameters are available;
    ``sample`` is ``m + L z`` (reparameterized).

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.distributions as fd
    >>> gp = fd.GaussianProcess(fd.ExponentiatedQuadratic(1.0, 0.5), np.linspace(0, 1, 5)[:, None])
    >>> gp.event_shape
    (5,)
    """

    parameter_event_ndims = {"index_points": 2}
    parameter_constraints = {"observation_noise_variance": constraints.nonnegative}

    def __init__(
        self,
        kernel: PositiveSemidefiniteKernel,
        index_points: Any,
        mean_fn: Callable[[Any], Any] | None = None,
        observation_noise_variance: Any = 0.0,
        jitter: float = 1e-6,
        *,
        validate_args: bool = False,
    ) -> None:
        _check_kernel("GaussianProcess", kernel)
        _check_points("GaussianProcess", "index_points", index_points)
        if mean_fn is not None and not callable(mean_fn):
            raise TypeError(
                f"GaussianProcess: expected mean_fn to be callable, got {type(mean_fn).__name__}"
            )
        super().__init__(
            dict(kernel=kernel, index_points=index_points,
                 observation_noise_variance=observation_noise_variance),
            validate_args=validate_args,
            static=dict(mean_fn=mean_fn, jitter=float(jitter)),
        )

    def _batch_shape(self) -> Shape:
        return tuple(np.broadcast_shapes(super()._batch_shape(), self.kernel.batch_shape))

    def _event_shape(self) -> Shape:
        return (int(fnp.shape(self.index_points)[-2]),)

    def _loc(self) -> Array:
        if self.mean_fn is None:
            return fnp.zeros(self.event_shape)
        return self.mean_fn(self.index_points)

    def _cov(self) -> Array:
        k = self.kernel.matrix(self.index_points, self.index_points)
        return _add_diagonal(k, self.observation_noise_variance + self.jitter)


class GaussianProcessRegressionModel(_GaussianBase):
    """The posterior predictive of a Gaussian process given noisy observations.

    With ``K = kernel``, ``X*`` the index points, ``X`` the observation index points, ``y`` the
    observations and ``s2`` the observation noise variance (Rasmussen & Williams eqs.
    2.25-2.26)::

        mean = m(X*) + K(X*, X) [K(X, X) + s2 I]^-1 (y - m(X))
        cov  = K(X*, X*) - K(X*, X) [K(X, X) + s2 I]^-1 K(X, X*) + (predictive_noise + jitter) I

    computed through the Cholesky factor ``L`` of ``K(X, X) + (s2 + jitter) I``:
    ``alpha = L^-T L^-1 (y - m(X))``, ``A = L^-1 K(X, X*)``, ``cov = K(X*, X*) - A^T A``.

    Parameters
    ----------
    kernel : PositiveSemidefiniteKernel
    index_points : array_like, shape ``(..., M, d)``
        Where the predictive distribution is wanted.
    observation_index_points : array_like, shape ``(..., N, d)``
    observations : array_like, shape ``(..., N)``
    observation_noise_variance : array_like, default 0.0
    predictive_noise_variance : array_like, optional
        Noise added to the predictive covariance (default: ``observation_noise_variance``, as
        TFP: predictions of new noisy observations); pass 0.0 for the latent function.
    mean_fn : callable, optional
        Prior mean, default zero.
    jitter : float, default 1e-6
        Added to both diagonals for stable factorizations.
    validate_args : bool, default False

    Notes
    -----
    ``event_shape = (M,)``; the batch shape broadcasts the kernel's, the point sets' and the
    observations'. ``log_prob``, ``sample``, ``mean``, ``covariance`` as a multivariate normal.
    """

    parameter_event_ndims = {
        "index_points": 2, "observation_index_points": 2, "observations": 1,
    }
    parameter_constraints = {
        "observation_noise_variance": constraints.nonnegative,
        "predictive_noise_variance": constraints.nonnegative,
    }

    def __init__(
        self,
        kernel: PositiveSemidefiniteKernel,
        index_points: Any,
        observation_index_points: Any,
        observations: Any,
        observation_noise_variance: Any = 0.0,
        predictive_noise_variance: Any = None,
        mean_fn: Callable[[Any], Any] | None = None,
        jitter: float = 1e-6,
        *,
        validate_args: bool = False,
    ) -> None:
        who = "GaussianProcessRegressionModel"
        _check_kernel(who, kernel)
        _check_points(who, "index_points", index_points)
        _check_points(who, "observation_index_points", observation_index_points)
        n_obs = int(fnp.shape(observation_index_points)[-2])
        if tuple(fnp.shape(observations))[-1:] != (n_obs,):
            raise ValueError(
                f"{who}: expected observations with last dimension {n_obs} (one per "
                f"observation index point), got shape {tuple(fnp.shape(observations))}"
            )
        if predictive_noise_variance is None:
            predictive_noise_variance = observation_noise_variance
        super().__init__(
            dict(kernel=kernel, index_points=index_points,
                 observation_index_points=observation_index_points, observations=observations,
                 observation_noise_variance=observation_noise_variance,
                 predictive_noise_variance=predictive_noise_variance),
            validate_args=validate_args,
            static=dict(mean_fn=mean_fn, jitter=float(jitter)),
        )

    def _batch_shape(self) -> Shape:
        return tuple(np.broadcast_shapes(super()._batch_shape(), self.kernel.batch_shape))

    def _event_shape(self) -> Shape:
        return (int(fnp.shape(self.index_points)[-2]),)

    def _prior_mean(self, x: Array) -> Array:
        if self.mean_fn is None:
            return fnp.zeros(tuple(fnp.shape(x))[-2:-1])
        return self.mean_fn(x)

    def _posterior(self) -> tuple[Array, Array]:
        x_new, x_obs = self.index_points, self.observation_index_points
        k_oo = _add_diagonal(
            self.kernel.matrix(x_obs, x_obs), self.observation_noise_variance + self.jitter
        )
        k_on = self.kernel.matrix(x_obs, x_new)
        k_nn = self.kernel.matrix(x_new, x_new)
        resid = self.observations - self._prior_mean(x_obs)
        # one batch shape for the solves
        b = tuple(np.broadcast_shapes(
            tuple(fnp.shape(k_oo))[:-2], tuple(fnp.shape(k_on))[:-2],
            tuple(fnp.shape(resid))[:-1],
        ))
        n, m = int(fnp.shape(k_oo)[-1]), int(fnp.shape(k_on)[-1])
        chol = fnp.broadcast_to(_cholesky(k_oo), b + (n, n))
        k_on = fnp.broadcast_to(k_on, b + (n, m))
        resid = fnp.broadcast_to(resid, b + (n,))
        a = fsla.solve_triangular(chol, k_on, lower=True)  # L^-1 K(X, X*)
        w = fsla.solve_triangular(chol, resid[..., None], lower=True)  # L^-1 (y - m)
        # mean = K(X*, X) L^-T L^-1 (y - m) = A^T w
        mean = self._prior_mean(x_new) + fnp.matmul(fnp.swapaxes(a, -1, -2), w)[..., 0]
        cov = k_nn - fnp.matmul(fnp.swapaxes(a, -1, -2), a)
        cov = _add_diagonal(cov, self.predictive_noise_variance + self.jitter)
        return mean, cov

    def _loc(self) -> Array:
        return self._posterior()[0]

    def _cov(self) -> Array:
        return self._posterior()[1]


# --------------------------------------------------------------------------------------------
# Gaussian time series
# --------------------------------------------------------------------------------------------


class AR1(Distribution):
    """A Gaussian first-order autoregression of ``num_steps`` values.

    ``x_1 ~ N(init_loc, init_scale)``, ``x_t = coef x_{t-1} + scale eps_t`` (``eps_t`` iid
    standard normal) for ``t = 2..num_steps``.

    Parameters
    ----------
    coef : array_like
        The autoregression coefficient (any real; ``|coef| < 1`` is stationary).
    scale : array_like
        The innovations' standard deviation, ``> 0``.
    num_steps : int
        The length of the series (the event shape is ``(num_steps,)``).
    init_loc : array_like, default 0.0
    init_scale : array_like, optional
        ``x_1``'s standard deviation; default ``scale``. ``scale / sqrt(1 - coef^2)`` gives the
        stationary process.
    validate_args : bool, default False

    Notes
    -----
    ``log_prob(x) = log N(x_1; init_loc, init_scale) + sum_t log N(x_t; coef x_{t-1}, scale)``,
    shape ``sample_shape + batch_shape``. ``mean_t = init_loc coef^(t-1)``; the covariance
    ``Cov(x_t, x_u) = coef^(u-t) v_t`` (``u >= t``) with ``v_1 = init_scale^2``,
    ``v_t = coef^2 v_{t-1} + scale^2``. Samples are reparameterized (a linear map of iid
    normals).
    """

    parameter_constraints = {
        "coef": constraints.real, "scale": constraints.positive,
        "init_loc": constraints.real, "init_scale": constraints.positive,
    }
    support = constraints.real_vector
    reparameterized = True

    def __init__(
        self,
        coef: Any,
        scale: Any,
        num_steps: int,
        init_loc: Any = 0.0,
        init_scale: Any = None,
        *,
        validate_args: bool = False,
    ) -> None:
        n = int(num_steps)
        if n < 1:
            raise ValueError(f"{type(self).__name__}: expected num_steps >= 1, got {num_steps!r}")
        super().__init__(
            dict(coef=coef, scale=scale, init_loc=init_loc, init_scale=init_scale),
            validate_args=validate_args, static=dict(num_steps=n),
        )

    def _event_shape(self) -> Shape:
        return (self.num_steps,)

    def _init_scale(self) -> Array:
        return self.scale if self.init_scale is None else self.init_scale

    def _coef(self) -> Array:
        return self.coef

    def _log_prob(self, x: Array) -> Array:
        coef = fnp.expand_dims(self._coef(), -1)
        scale = fnp.expand_dims(self.scale, -1)
        first = x[..., 0]
        lp = _normal_logpdf(first, self.init_loc, self._init_scale())
        if self.num_steps > 1:
            lp = lp + fnp.sum(
                _normal_logpdf(x[..., 1:], coef * x[..., :-1], scale), axis=-1
            )
        return lp

    def _coef_powers(self) -> Array:
        """``coef^k`` for ``k = 0..num_steps-1`` (last axis), by a cumulative product: exact
        integer powers of a coefficient of either sign, differentiable everywhere."""
        n = self.num_steps
        coef = fnp.expand_dims(self._coef(), -1)
        ones = fnp.ones(tuple(fnp.shape(coef))[:-1] + (1,))
        reps = fnp.broadcast_to(coef, tuple(fnp.shape(coef))[:-1] + (n - 1,))
        return fnp.cumprod(fnp.concatenate([ones, reps], axis=-1), axis=-1)

    def _powers(self) -> Array:
        """``P[..., t, u] = coef^(t - u)`` for ``u <= t``, else 0: ``x = P e``."""
        n = self.num_steps
        lag = np.subtract.outer(np.arange(n), np.arange(n))
        lower = (lag >= 0).astype(np.float64)
        return self._coef_powers()[..., np.where(lag >= 0, lag, 0)] * lower

    def _innovation_scales(self) -> Array:
        # e_1 = init_scale z_1, e_t = scale z_t
        n = self.num_steps
        first = np.zeros(n)
        first[0] = 1.0
        s0 = fnp.expand_dims(self._init_scale(), -1)
        s = fnp.expand_dims(self.scale, -1)
        return s0 * first + s * (1.0 - first)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        shape = tuple(sample_shape) + tuple(self.batch_shape) + (self.num_steps,)
        e = frandom.normal(key, shape) * self._innovation_scales()
        x = fnp.matmul(self._powers(), e[..., None])[..., 0]
        return x + self._mean()

    def _mean(self) -> Array:
        # E[x_t] = init_loc coef^(t-1)
        return fnp.expand_dims(self.init_loc, -1) * self._coef_powers()

    def _covariance(self) -> Array:
        # Cov = P diag(e scales^2) P^T
        p = self._powers()
        s2 = self._innovation_scales() ** 2
        return fnp.matmul(p * fnp.expand_dims(s2, -2), fnp.swapaxes(p, -1, -2))

    def _variance(self) -> Array:
        return fnp.diagonal(self._covariance(), axis1=-2, axis2=-1)

    def _entropy(self) -> Array:
        # a triangular map of independent normals: the sum of their entropies
        n = self.num_steps
        return 0.5 * n * (1.0 + _LOG_2PI) + fnp.log(self._init_scale()) + (n - 1) * fnp.log(
            self.scale
        )


class GaussianRandomWalk(AR1):
    """A Gaussian random walk of ``num_steps`` values (NumPyro's, with an optional start).

    ``x_1 ~ N(loc, scale)``, ``x_t = x_{t-1} + scale eps_t``: the cumulative sum of iid
    ``N(0, scale^2)`` steps, started at ``loc``.

    Parameters
    ----------
    scale : array_like, default 1.0
        The steps' standard deviation, ``> 0``.
    num_steps : int, default 1
        The event shape is ``(num_steps,)``.
    loc : array_like, default 0.0
        Where the walk starts (NumPyro's walk starts at 0).
    validate_args : bool, default False

    Notes
    -----
    ``mean = loc``; ``Cov(x_t, x_u) = scale^2 min(t, u)``; ``log_prob`` sums the normal log
    densities of the increments (with ``x_0 = loc``). Reparameterized (a cumulative sum).
    """

    parameter_constraints = {"scale": constraints.positive, "loc": constraints.real}

    def __init__(
        self,
        scale: Any = 1.0,
        num_steps: int = 1,
        loc: Any = 0.0,
        *,
        validate_args: bool = False,
    ) -> None:
        n = int(num_steps)
        if n < 1:
            raise ValueError(f"GaussianRandomWalk: expected num_steps >= 1, got {num_steps!r}")
        Distribution.__init__(
            self, dict(scale=scale, loc=loc), validate_args=validate_args,
            static=dict(num_steps=n),
        )

    # AR1 with coef = 1, init_loc = loc, init_scale = scale
    def _coef(self) -> Array:
        return fnp.ones(tuple(fnp.shape(self.scale)))

    @property
    def init_loc(self) -> Array:
        return self.loc

    @property
    def init_scale(self) -> Array:
        return self.scale

    def _log_prob(self, x: Array) -> Array:
        start = fnp.broadcast_to(fnp.expand_dims(self.loc, -1), tuple(fnp.shape(x))[:-1] + (1,))
        steps = x - fnp.concatenate([start, x[..., :-1]], axis=-1)
        return fnp.sum(_normal_logpdf(steps, 0.0, fnp.expand_dims(self.scale, -1)), axis=-1)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        shape = tuple(sample_shape) + tuple(self.batch_shape) + (self.num_steps,)
        steps = frandom.normal(key, shape) * fnp.expand_dims(self.scale, -1)
        return fnp.expand_dims(self.loc, -1) + fnp.cumsum(steps, axis=-1)

    def _mean(self) -> Array:
        return fnp.expand_dims(self.loc, -1)

    def _variance(self) -> Array:
        t = np.arange(1, self.num_steps + 1, dtype=np.float64)
        return fnp.expand_dims(self.scale, -1) ** 2 * t

    def _covariance(self) -> Array:
        t = np.arange(1, self.num_steps + 1, dtype=np.float64)
        return fnp.expand_dims(self.scale, (-1, -2)) ** 2 * np.minimum.outer(t, t)


def _normal_logpdf(x: Array, loc: Any, scale: Any) -> Array:
    # -((x - m) / s)^2 / 2 - log s - log(2 pi) / 2
    z = (x - loc) / scale
    return -0.5 * z * z - fnp.log(scale) - 0.5 * _LOG_2PI
