"""Bijectors: invertible, differentiable maps with log-det-Jacobians (TFP's interface).

A bijector maps ``x`` to ``y = forward(x)`` and back with ``inverse(y)``, and reports
``log|det J|`` of either direction, summed over the event dimensions. Samplers use them to map
constrained parameters (positive, interval, simplex, ordered, correlation Cholesky factors) to
the real line; :func:`for_constraint` is the registry they go through.

Semantics follow TensorFlow Probability:

- ``forward_min_event_ndims`` is the rank of the smallest input a bijector acts on (0 for
  elementwise maps, 1 for vector maps such as :class:`StickBreaking`);
  ``inverse_min_event_ndims`` the same for the output.
- ``forward_log_det_jacobian(x, event_ndims)`` returns one number per batch member: the
  leftmost ``x.ndim - event_ndims`` dimensions are batch, the rest are event dimensions and are
  summed over. ``event_ndims`` defaults to ``forward_min_event_ndims`` and may not be smaller.
- ``Chain([f, g]).forward(x) == f.forward(g.forward(x))``.

Every bijector is a pytree (a frozen :func:`fluxion.tree.dataclass`): its parameters are leaves,
so bijectors pass through :func:`fluxion.grad`, :func:`fluxion.jit` and :func:`fluxion.vmap`, and
every method is written with :mod:`fluxion.numpy`, so derivatives of any order exist.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import tree_util
from ..numpy import core as fnp
from ..scipy import special as fsp

__all__ = [
    "Bijector",
    "Chain",
    "CorrelationCholesky",
    "Exp",
    "GreaterThan",
    "Identity",
    "Invert",
    "LessThan",
    "Ordered",
    "Scale",
    "Shift",
    "Sigmoid",
    "Softplus",
    "StickBreaking",
    "constraint_names",
    "for_constraint",
]

Array = Any
ArrayLike = Any
Shape = tuple[int, ...]

_LOG2 = math.log(2.0)


# ---------------------------------------------------------------------------------------------
# Helpers


def _as_float(x: ArrayLike) -> Array:
    """``x`` as an array (traced values stay traced); integers and booleans become float64."""
    x = fnp.asarray(x)
    if x.dtype.kind not in "fc":
        x = fnp.astype(x, np.float64)
    return x


def _snake(name: str) -> str:
    # TFP's names: "NormalCDF" -> "normal_cdf", "FillScaleTriL" -> "fill_scale_tril"
    name = name.replace("TriL", "Tril")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _reduce_ldj(ldj: Array, batch_shape: Shape, extra: int) -> Array:
    """Broadcast ``ldj`` against ``batch_shape`` and sum its ``extra`` rightmost dimensions."""
    ldj_shape = fnp.shape(ldj)
    if ldj_shape != batch_shape:
        shape = np.broadcast_shapes(ldj_shape, batch_shape)
        if ldj_shape != shape:
            ldj = fnp.broadcast_to(ldj, shape)
    if extra:
        ldj = fnp.sum(ldj, axis=tuple(range(-extra, 0)))
    return ldj


def _cumsum_last(a: Array) -> Array:
    """``cumsum`` along the last axis.

    The compiled NUTS's tape machine encodes ``cumsum`` of vectors only, so a batch of short
    vectors is summed by a running sum over the (static) last axis instead: the same order of
    additions, and an infinity stays an infinity (a triangular matmul would make ``0 * inf``).
    """
    k = fnp.shape(a)[-1]
    if fnp.ndim(a) <= 1 or k > 32:
        return fnp.cumsum(a, axis=-1)
    cols = [a[..., 0]]
    for i in range(1, k):
        cols.append(cols[-1] + a[..., i])
    return fnp.stack(cols, axis=-1)


def _exclusive_cumsum(a: Array) -> Array:
    """``cumsum`` along the last axis shifted right by one, starting at 0."""
    c = _cumsum_last(a)
    zero = fnp.zeros_like(a[..., :1])
    return fnp.concatenate([zero, c[..., :-1]], axis=-1)


def _reverse_cumsum(a: Array) -> Array:
    """``out[..., i] = sum(a[..., i:])`` along the last axis (no cancellation for a >= 0)."""
    return fnp.flip(_cumsum_last(fnp.flip(a, -1)), -1)


def _softplus(x: Array) -> Array:
    # softplus(x) = log(1 + e^x) = -log_expit(-x), stable both ways
    return -fsp.log_expit(-x)


def _softplus_inverse(y: Array) -> Array:
    # log(e^y - 1) = y + log(1 - e^-y) = y + log(-expm1(-y)): no overflow, no cancellation
    return y + fnp.log(-fnp.expm1(-y))


def _log1m_tanh_sq(x: Array) -> Array:
    # log(1 - tanh(x)^2) = log(sech(x)^2) = 2 log 2 - 2 logaddexp(x, -x); smooth at 0
    return 2.0 * _LOG2 - 2.0 * fnp.logaddexp(x, -x)


def _check_event_ndims(
    who: str, event_ndims: int | None, min_event_ndims: int, rank: int, arg: str
) -> int:
    if event_ndims is None:
        return min_event_ndims
    if not isinstance(event_ndims, int | np.integer) or isinstance(event_ndims, bool):
        raise TypeError(f"{who}: expected event_ndims to be an int, got {event_ndims!r}")
    event_ndims = int(event_ndims)
    if event_ndims < min_event_ndims:
        raise ValueError(
            f"{who}: expected event_ndims >= {min_event_ndims} (the bijector's minimum), "
            f"got {event_ndims}"
        )
    if event_ndims > rank:
        raise ValueError(
            f"{who}: event_ndims={event_ndims} exceeds the rank of {arg} ({rank}); "
            f"pass an array with at least {event_ndims} dimensions"
        )
    return event_ndims


def _check_rank(who: str, x: Array, rank: int, what: str) -> None:
    if fnp.ndim(x) < rank:
        raise ValueError(
            f"{who}: expected {what} with at least {rank} dimension(s), got shape {fnp.shape(x)}"
        )


# ---------------------------------------------------------------------------------------------
# The base class


class Bijector:
    """Base class of invertible, differentiable maps (TFP's ``Bijector`` interface).

    Subclasses are frozen :func:`fluxion.tree.dataclass` es and implement ``_forward``,
    ``_inverse`` and ``_forward_log_det_jacobian`` (unreduced: one value per application of the
    map at ``forward_min_event_ndims``; a constant may be returned as a broadcastable scalar),
    and optionally ``_inverse_log_det_jacobian`` (default: minus the forward one at
    ``inverse(y)``) and the event-shape maps. The public methods convert and validate their
    inputs and sum the log-det-Jacobians over the extra event dimensions.

    Attributes
    ----------
    forward_min_event_ndims : int
        Rank of the smallest input the forward map acts on.
    inverse_min_event_ndims : int
        Rank of the smallest output (input of the inverse map).
    is_constant_jacobian : bool
        True if the Jacobian does not depend on the point (Identity, Shift, Scale).
    name : str
        A snake-case name, e.g. ``"softplus"`` or ``"chain_of_shift_of_exp"``.
    """

    forward_min_event_ndims: int = 0
    inverse_min_event_ndims: int = 0
    is_constant_jacobian: bool = False

    @property
    def name(self) -> str:
        """str : The bijector's name (snake case of the class name)."""
        return _snake(type(self).__name__)

    # --- public interface ---------------------------------------------------------------------

    def forward(self, x: ArrayLike) -> Array:
        """Apply the map.

        Parameters
        ----------
        x : array_like
            Shape ``batch_shape + event_shape`` with ``len(event_shape) >=
            forward_min_event_ndims``.

        Returns
        -------
        Array
            ``y``, shape ``batch_shape + forward_event_shape(event_shape)``.
        """
        x = _as_float(x)
        _check_rank(f"{type(self).__name__}.forward", x, self.forward_min_event_ndims, "x")
        return self._forward(x)

    def inverse(self, y: ArrayLike) -> Array:
        """Apply the inverse map.

        Parameters
        ----------
        y : array_like
            Shape ``batch_shape + event_shape`` with ``len(event_shape) >=
            inverse_min_event_ndims``.

        Returns
        -------
        Array
            ``x`` with ``forward(x) == y``.
        """
        y = _as_float(y)
        _check_rank(f"{type(self).__name__}.inverse", y, self.inverse_min_event_ndims, "y")
        return self._inverse(y)

    def forward_log_det_jacobian(self, x: ArrayLike, event_ndims: int | None = None) -> Array:
        """``log|det J_forward(x)|``, summed over the event dimensions.

        Parameters
        ----------
        x : array_like
            The input point.
        event_ndims : int, optional
            How many rightmost dimensions of ``x`` form one event (default and minimum
            ``forward_min_event_ndims``).

        Returns
        -------
        Array
            Shape ``x.shape[:x.ndim - event_ndims]`` (broadcast with the parameters' batch
            shape).

        Raises
        ------
        ValueError
            If ``event_ndims`` is below the minimum or above the rank of ``x``.
        """
        x = _as_float(x)
        who = f"{type(self).__name__}.forward_log_det_jacobian"
        rank = fnp.ndim(x)
        n = _check_event_ndims(who, event_ndims, self.forward_min_event_ndims, rank, "x")
        ldj = self._forward_log_det_jacobian(x)
        batch = fnp.shape(x)[: rank - self.forward_min_event_ndims]
        return _reduce_ldj(ldj, batch, n - self.forward_min_event_ndims)

    def inverse_log_det_jacobian(self, y: ArrayLike, event_ndims: int | None = None) -> Array:
        """``log|det J_inverse(y)|`` (``= -forward_log_det_jacobian(inverse(y))``), reduced.

        Parameters
        ----------
        y : array_like
            The output point.
        event_ndims : int, optional
            How many rightmost dimensions of ``y`` form one event (default and minimum
            ``inverse_min_event_ndims``).

        Returns
        -------
        Array
            Shape ``y.shape[:y.ndim - event_ndims]`` (broadcast with the parameters' batch
            shape).
        """
        y = _as_float(y)
        who = f"{type(self).__name__}.inverse_log_det_jacobian"
        rank = fnp.ndim(y)
        n = _check_event_ndims(who, event_ndims, self.inverse_min_event_ndims, rank, "y")
        ldj = self._inverse_log_det_jacobian(y)
        batch = fnp.shape(y)[: rank - self.inverse_min_event_ndims]
        return _reduce_ldj(ldj, batch, n - self.inverse_min_event_ndims)

    def forward_event_shape(self, shape: Sequence[int]) -> Shape:
        """The output shape for an input of ``shape`` (only the rightmost dimensions change)."""
        shape = tuple(int(s) for s in shape)
        if len(shape) < self.forward_min_event_ndims:
            raise ValueError(
                f"{type(self).__name__}.forward_event_shape: expected a shape of rank >= "
                f"{self.forward_min_event_ndims}, got {shape}"
            )
        return self._forward_event_shape(shape)

    def inverse_event_shape(self, shape: Sequence[int]) -> Shape:
        """The input shape for an output of ``shape`` (only the rightmost dimensions change)."""
        shape = tuple(int(s) for s in shape)
        if len(shape) < self.inverse_min_event_ndims:
            raise ValueError(
                f"{type(self).__name__}.inverse_event_shape: expected a shape of rank >= "
                f"{self.inverse_min_event_ndims}, got {shape}"
            )
        return self._inverse_event_shape(shape)

    def __call__(self, x: ArrayLike) -> Array:
        """Same as :meth:`forward`."""
        return self.forward(x)

    # --- to implement -------------------------------------------------------------------------

    def _forward(self, x: Array) -> Array:
        raise NotImplementedError(f"{type(self).__name__}: _forward is not implemented")

    def _inverse(self, y: Array) -> Array:
        raise NotImplementedError(f"{type(self).__name__}: _inverse is not implemented")

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        raise NotImplementedError(
            f"{type(self).__name__}: _forward_log_det_jacobian is not implemented"
        )

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -self._forward_log_det_jacobian(self._inverse(y))

    def _forward_event_shape(self, shape: Shape) -> Shape:
        return shape

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        return shape


# ---------------------------------------------------------------------------------------------
# Elementwise bijectors


@tree_util.dataclass
class Identity(Bijector):
    """``y = x``.

    Examples
    --------
    >>> Identity().forward_log_det_jacobian([1.0, 2.0])
    array([0., 0.])
    """

    is_constant_jacobian = True

    def _forward(self, x: Array) -> Array:
        return x

    def _inverse(self, y: Array) -> Array:
        return y

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.zeros((), dtype=x.dtype)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return fnp.zeros((), dtype=y.dtype)


@tree_util.dataclass
class Exp(Bijector):
    """``y = exp(x)``: the real line to the positive reals.

    ``log|dy/dx| = x``; the inverse is ``log`` with ``log|dx/dy| = -log(y)``.

    Examples
    --------
    >>> float(Exp().inverse(1.0))
    0.0
    """

    def _forward(self, x: Array) -> Array:
        return fnp.exp(x)

    def _inverse(self, y: Array) -> Array:
        return fnp.log(y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        # d exp(x)/dx = exp(x)
        return x

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        # d log(y)/dy = 1/y
        return -fnp.log(y)


@tree_util.dataclass
class Softplus(Bijector):
    """``y = log(1 + exp(x))``: the real line to the positive reals, linear for large ``x``.

    Both directions are stable: the forward map is ``-log_expit(-x)`` and the inverse
    ``log(expm1(y))`` is computed as ``y + log(-expm1(-y))``, which neither overflows for large
    ``y`` nor cancels for small ``y``.

    Examples
    --------
    >>> float(Softplus().inverse(Softplus().forward(-30.0)))
    -30.0
    """

    def _forward(self, x: Array) -> Array:
        return _softplus(x)

    def _inverse(self, y: Array) -> Array:
        return _softplus_inverse(y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        # d softplus(x)/dx = expit(x)
        return fsp.log_expit(x)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        # dx/dy = 1 / (1 - e^-y)
        return -fnp.log(-fnp.expm1(-y))


@tree_util.dataclass
class Sigmoid(Bijector):
    """``y = low + (high - low) * expit(x)``: the real line to the interval ``(low, high)``.

    With the defaults (``low=None, high=None``) the standard logistic map onto ``(0, 1)``.
    The forward map is ``high * expit(x) + low * expit(-x)``, accurate at both ends; the
    inverse is ``log(y - low) - log(high - y)`` and the log-det-Jacobian
    ``log_expit(x) + log_expit(-x) + log(high - low)``, so nothing under- or overflows.

    Parameters
    ----------
    low, high : array_like, optional
        The interval's ends (broadcastable); both or neither.

    Examples
    --------
    >>> float(Sigmoid(-1.0, 1.0).forward(0.0))
    0.0
    """

    low: Any = None
    high: Any = None

    def __post_init__(self) -> None:
        if (self.low is None) != (self.high is None):
            raise ValueError("Sigmoid: expected both low and high or neither, got one of them")

    def _forward(self, x: Array) -> Array:
        if self.low is None:
            return fsp.expit(x)
        # y = hi s(x) + lo s(-x), then clipped into [lo, hi] keeping the gradient
        ans = self.high * fsp.expit(x) + self.low * fsp.expit(-x)
        clipped = fnp.clip(fnp.stop_gradient(ans), self.low, self.high)
        return ans + (clipped - fnp.stop_gradient(ans))

    def _inverse(self, y: Array) -> Array:
        if self.low is None:
            # logit(y) = log(y) - log(1 - y)
            return fnp.log(y) - fnp.log1p(-y)
        return fnp.log(y - self.low) - fnp.log(self.high - y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        # s'(x) = s(x) s(-x)
        ldj = fsp.log_expit(x) + fsp.log_expit(-x)
        if self.low is None:
            return ldj
        return ldj + fnp.log(self.high - self.low)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        if self.low is None:
            # d logit(y)/dy = 1 / (y (1 - y))
            return -fnp.log(y) - fnp.log1p(-y)
        # dx/dy = (hi - lo) / ((y - lo) (hi - y))
        return fnp.log(self.high - self.low) - fnp.log(y - self.low) - fnp.log(self.high - y)


@tree_util.dataclass
class Shift(Bijector):
    """``y = x + shift``.

    Parameters
    ----------
    shift : array_like
        Broadcasts against ``x``.
    """

    shift: Any

    is_constant_jacobian = True

    def _forward(self, x: Array) -> Array:
        return x + self.shift

    def _inverse(self, y: Array) -> Array:
        return y - self.shift

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.zeros(fnp.shape(self.shift), dtype=x.dtype)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return fnp.zeros(fnp.shape(self.shift), dtype=y.dtype)


@tree_util.dataclass
class Scale(Bijector):
    """``y = x * scale`` (elementwise; ``scale`` nonzero, of either sign).

    Parameters
    ----------
    scale : array_like
        Broadcasts against ``x``.
    """

    scale: Any

    is_constant_jacobian = True

    def __post_init__(self) -> None:
        # a concrete scale is checked now (a traced one, e.g. a learned scale, passes through)
        if isinstance(self.scale, int | float | np.ndarray | np.generic) and not isinstance(
            self.scale, bool
        ):
            arr = np.asarray(self.scale)
            if arr.dtype.kind in "biuf" and not np.all(np.isfinite(arr) & (arr != 0)):
                raise ValueError(
                    f"Scale: expected a finite, nonzero scale (it must be invertible), got "
                    f"{self.scale!r}"
                )

    def _forward(self, x: Array) -> Array:
        return x * self.scale

    def _inverse(self, y: Array) -> Array:
        return y / self.scale

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        # dy/dx = scale
        return fnp.log(fnp.abs(self.scale))

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -fnp.log(fnp.abs(self.scale))


@tree_util.dataclass
class GreaterThan(Bijector):
    """``y = low + exp(x)``: the real line to ``(low, inf)`` (Stan's lower bound).

    The same map as ``Chain([Shift(low), Exp()])``, in one step.

    Parameters
    ----------
    low : array_like
        The lower bound (broadcastable).
    """

    low: Any

    def _forward(self, x: Array) -> Array:
        return self.low + fnp.exp(x)

    def _inverse(self, y: Array) -> Array:
        return fnp.log(y - self.low)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return _reduce_ldj(x, fnp.shape(self.low), 0)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -fnp.log(y - self.low)


@tree_util.dataclass
class LessThan(Bijector):
    """``y = high - exp(x)``: the real line to ``(-inf, high)`` (Stan's upper bound).

    Parameters
    ----------
    high : array_like
        The upper bound (broadcastable).
    """

    high: Any

    def _forward(self, x: Array) -> Array:
        return self.high - fnp.exp(x)

    def _inverse(self, y: Array) -> Array:
        return fnp.log(self.high - y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return _reduce_ldj(x, fnp.shape(self.high), 0)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -fnp.log(self.high - y)


# ---------------------------------------------------------------------------------------------
# Composition


def _chain_min_event_ndims(bijectors: Sequence[Bijector], forward: bool) -> int:
    """TFP's rule: the least event rank a chain's input (or output) needs.

    Walks the bijectors in the order the direction applies them, tracking how many rightmost
    dimensions have been touched so far, adjusted for the rank changes of vector bijectors.
    """
    order = reversed(bijectors) if forward else bijectors
    min_event_ndims = 0
    touched = 0
    for b in order:
        if forward:
            need, give = b.forward_min_event_ndims, b.inverse_min_event_ndims
        else:
            need, give = b.inverse_min_event_ndims, b.forward_min_event_ndims
        if touched < need:
            min_event_ndims += need - touched
        touched = max(need, touched) - (need - give)
    return min_event_ndims


@tree_util.dataclass
class Chain(Bijector):
    """The composition of bijectors, applied right to left.

    ``Chain([f, g]).forward(x) == f.forward(g.forward(x))`` and
    ``Chain([f, g]).inverse(y) == g.inverse(f.inverse(y))``; log-det-Jacobians add up, each
    member's taken at its own input with the event rank carried through rank-changing members.

    Parameters
    ----------
    bijectors : sequence of Bijector
        Outermost first. An empty chain is the identity.

    Examples
    --------
    >>> b = Chain([Shift(1.0), Exp()])
    >>> float(b.forward(0.0))
    2.0
    """

    bijectors: tuple = ()

    def __post_init__(self) -> None:
        bijectors = tuple(self.bijectors)
        for i, b in enumerate(bijectors):
            if not isinstance(b, Bijector):
                raise TypeError(
                    f"Chain: expected a sequence of Bijector, got {type(b).__name__} at "
                    f"position {i}"
                )
        object.__setattr__(self, "bijectors", bijectors)

    @property
    def name(self) -> str:
        return "chain_of_" + "_of_".join(b.name for b in self.bijectors)

    @property
    def forward_min_event_ndims(self) -> int:  # type: ignore[override]
        return _chain_min_event_ndims(self.bijectors, forward=True)

    @property
    def inverse_min_event_ndims(self) -> int:  # type: ignore[override]
        return _chain_min_event_ndims(self.bijectors, forward=False)

    @property
    def is_constant_jacobian(self) -> bool:  # type: ignore[override]
        return all(b.is_constant_jacobian for b in self.bijectors)

    def _forward(self, x: Array) -> Array:
        for b in reversed(self.bijectors):
            x = b.forward(x)
        return x

    def _inverse(self, y: Array) -> Array:
        for b in self.bijectors:
            y = b.inverse(y)
        return y

    def forward_log_det_jacobian(self, x: ArrayLike, event_ndims: int | None = None) -> Array:
        x = _as_float(x)
        rank = fnp.ndim(x)
        n = _check_event_ndims(
            "Chain.forward_log_det_jacobian", event_ndims, self.forward_min_event_ndims, rank, "x"
        )
        ldj = fnp.zeros(fnp.shape(x)[: rank - n], dtype=x.dtype)
        for b in reversed(self.bijectors):
            ldj = ldj + b.forward_log_det_jacobian(x, n)
            x = b.forward(x)
            n += b.inverse_min_event_ndims - b.forward_min_event_ndims
        return ldj

    def inverse_log_det_jacobian(self, y: ArrayLike, event_ndims: int | None = None) -> Array:
        y = _as_float(y)
        rank = fnp.ndim(y)
        n = _check_event_ndims(
            "Chain.inverse_log_det_jacobian", event_ndims, self.inverse_min_event_ndims, rank, "y"
        )
        ldj = fnp.zeros(fnp.shape(y)[: rank - n], dtype=y.dtype)
        for b in self.bijectors:
            ldj = ldj + b.inverse_log_det_jacobian(y, n)
            y = b.inverse(y)
            n -= b.inverse_min_event_ndims - b.forward_min_event_ndims
        return ldj

    def _forward_event_shape(self, shape: Shape) -> Shape:
        for b in reversed(self.bijectors):
            shape = b.forward_event_shape(shape)
        return shape

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        for b in self.bijectors:
            shape = b.inverse_event_shape(shape)
        return shape


@tree_util.dataclass
class Invert(Bijector):
    """The inverse of a bijector: ``Invert(b).forward == b.inverse`` and vice versa.

    Parameters
    ----------
    bijector : Bijector

    Examples
    --------
    >>> float(Invert(Exp()).forward(1.0))
    0.0
    """

    bijector: Bijector

    def __post_init__(self) -> None:
        if not isinstance(self.bijector, Bijector):
            raise TypeError(f"Invert: expected a Bijector, got {type(self.bijector).__name__}")

    @property
    def name(self) -> str:
        return "invert_" + self.bijector.name

    @property
    def forward_min_event_ndims(self) -> int:  # type: ignore[override]
        return self.bijector.inverse_min_event_ndims

    @property
    def inverse_min_event_ndims(self) -> int:  # type: ignore[override]
        return self.bijector.forward_min_event_ndims

    @property
    def is_constant_jacobian(self) -> bool:  # type: ignore[override]
        return self.bijector.is_constant_jacobian

    def forward(self, x: ArrayLike) -> Array:
        return self.bijector.inverse(x)

    def inverse(self, y: ArrayLike) -> Array:
        return self.bijector.forward(y)

    def forward_log_det_jacobian(self, x: ArrayLike, event_ndims: int | None = None) -> Array:
        return self.bijector.inverse_log_det_jacobian(x, event_ndims)

    def inverse_log_det_jacobian(self, y: ArrayLike, event_ndims: int | None = None) -> Array:
        return self.bijector.forward_log_det_jacobian(y, event_ndims)

    def forward_event_shape(self, shape: Sequence[int]) -> Shape:
        return self.bijector.inverse_event_shape(shape)

    def inverse_event_shape(self, shape: Sequence[int]) -> Shape:
        return self.bijector.forward_event_shape(shape)


class _Composite(Bijector):
    """A bijector defined as another one (usually a :class:`Chain`) built from its fields.

    Subclasses implement ``_bijector()``; every public method delegates to it, so the event
    ranks, the log-det-Jacobian reduction and the shapes are exactly the built bijector's.
    """

    def _bijector(self) -> Bijector:
        raise NotImplementedError

    @property
    def forward_min_event_ndims(self) -> int:  # type: ignore[override]
        return self._bijector().forward_min_event_ndims

    @property
    def inverse_min_event_ndims(self) -> int:  # type: ignore[override]
        return self._bijector().inverse_min_event_ndims

    @property
    def is_constant_jacobian(self) -> bool:  # type: ignore[override]
        return self._bijector().is_constant_jacobian

    def forward(self, x: ArrayLike) -> Array:
        return self._bijector().forward(x)

    def inverse(self, y: ArrayLike) -> Array:
        return self._bijector().inverse(y)

    def forward_log_det_jacobian(self, x: ArrayLike, event_ndims: int | None = None) -> Array:
        return self._bijector().forward_log_det_jacobian(x, event_ndims)

    def inverse_log_det_jacobian(self, y: ArrayLike, event_ndims: int | None = None) -> Array:
        return self._bijector().inverse_log_det_jacobian(y, event_ndims)

    def forward_event_shape(self, shape: Sequence[int]) -> Shape:
        return self._bijector().forward_event_shape(shape)

    def inverse_event_shape(self, shape: Sequence[int]) -> Shape:
        return self._bijector().inverse_event_shape(shape)


# ---------------------------------------------------------------------------------------------
# Vector bijectors


@tree_util.dataclass
class StickBreaking(Bijector):
    """Stick-breaking map from ``R^(K-1)`` to the probability simplex in ``R^K`` (Stan's).

    With ``z_i = expit(x_i - log(K - 1 - i))`` for ``i = 0..K-2``, ``y_i = z_i * r_i`` where
    ``r_i = prod_{j<i} (1 - z_j)`` is the stick left, and ``y_{K-1} = r_{K-1}``. The logit
    offset makes ``x = 0`` map to the uniform simplex. Everything is computed in log space
    (``log z = log_expit``, ``log(1 - z) = log_expit(-.)``), so tiny components stay accurate.
    The Jacobian of the first ``K - 1`` outputs is triangular, and
    ``log|det J| = sum_i (log z_i + log(1 - z_i) + log r_i) = sum_{k<K} log y_k``.
    The inverse uses tail sums ``r_{i+1} = sum_{k>i} y_k`` (no cancellation):
    ``x_i = log y_i - log r_{i+1} + log(K - 1 - i)``.

    Examples
    --------
    >>> StickBreaking().forward([0.0, 0.0, 0.0])
    array([0.25, 0.25, 0.25, 0.25])
    """

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 1

    @staticmethod
    def _offset(n: int) -> np.ndarray:
        # log(K - 1 - i) for i = 0..K-2, with n = K - 1
        return np.log(np.arange(n, 0, -1, dtype=np.float64))

    def _log_y(self, x: Array) -> Array:
        t = x - self._offset(fnp.shape(x)[-1])
        log_z = fsp.log_expit(t)
        log_r = _exclusive_cumsum(fsp.log_expit(-t))  # log of the stick left before each break
        log_last = fnp.sum(fsp.log_expit(-t), axis=-1, keepdims=True)
        return fnp.concatenate([log_z + log_r, log_last], axis=-1)

    def _forward(self, x: Array) -> Array:
        return fnp.exp(self._log_y(x))

    def _inverse(self, y: Array) -> Array:
        n = fnp.shape(y)[-1] - 1
        tail = _reverse_cumsum(y)[..., 1:]  # r_{i+1} = sum_{k>i} y_k
        return fnp.log(y[..., :-1]) - fnp.log(tail) + self._offset(n)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.sum(self._log_y(x), axis=-1)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        # on the simplex sum(y) = 1; the -log(sum y) term keeps this exact for y off it
        return -fnp.sum(fnp.log(y), axis=-1) + fnp.log(fnp.sum(y, axis=-1))

    def _forward_event_shape(self, shape: Shape) -> Shape:
        return shape[:-1] + (shape[-1] + 1,)

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        if shape[-1] < 1:
            raise ValueError(
                f"StickBreaking.inverse_event_shape: expected a simplex of size >= 1, got {shape}"
            )
        return shape[:-1] + (shape[-1] - 1,)


@tree_util.dataclass
class Ordered(Bijector):
    """``R^K`` to increasing vectors: ``y_0 = x_0``, ``y_k = y_{k-1} + exp(x_k)`` (Stan's).

    ``log|det J| = sum_{k>=1} x_k``; the inverse is ``x_0 = y_0``,
    ``x_k = log(y_k - y_{k-1})``.

    Examples
    --------
    >>> Ordered().forward([1.0, 0.0, 0.0])
    array([1., 2., 3.])
    """

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 1

    def _forward(self, x: Array) -> Array:
        steps = fnp.concatenate([x[..., :1], fnp.exp(x[..., 1:])], axis=-1)
        return _cumsum_last(steps)

    def _inverse(self, y: Array) -> Array:
        return fnp.concatenate([y[..., :1], fnp.log(y[..., 1:] - y[..., :-1])], axis=-1)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.sum(x[..., 1:], axis=-1)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -fnp.sum(fnp.log(y[..., 1:] - y[..., :-1]), axis=-1)


def _tril_size(m: int, who: str) -> int:
    """``K`` with ``K (K - 1) / 2 == m``, or a ValueError."""
    k = (1 + math.isqrt(1 + 8 * m)) // 2
    if k * (k - 1) // 2 != m:
        raise ValueError(
            f"{who}: expected a vector of length K(K-1)/2 (0, 1, 3, 6, 10, ...), got length {m}"
        )
    return k


def _tril_indices(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-major strictly-lower indices: (1,0), (2,0), (2,1), (3,0), ... (Stan's order)."""
    rows, cols = np.tril_indices(k, -1)
    return rows, cols


@tree_util.dataclass
class CorrelationCholesky(Bijector):
    """``R^(K(K-1)/2)`` to Cholesky factors of ``K x K`` correlation matrices (Stan's).

    The inputs are unconstrained canonical partial correlations: ``z = tanh(x)`` fills the
    strictly lower triangle row by row (``(1,0), (2,0), (2,1), (3,0), ...``), and row ``i`` of
    ``L`` is ``L_ij = z_ij sqrt(w_ij)`` for ``j < i`` and ``L_ii = sqrt(w_ii)``, where
    ``w_ij = 1 - sum_{l<j} L_il^2 = prod_{l<j} (1 - z_il^2)``. Each row has unit norm and a
    positive diagonal, so ``L L^T`` has a unit diagonal. ``x = 0`` gives the identity.

    ``log|det J|`` of the map to the strictly-lower entries is
    ``sum_{j<i} [log(1 - z_ij^2) + 0.5 log w_ij]``, computed in log space
    (``log(1 - tanh(x)^2) = 2 log 2 - 2 logaddexp(x, -x)``).

    Notes
    -----
    This is Stan's ``cholesky_factor_corr`` transform (and NumPyro's
    ``CorrCholeskyTransform``). TFP's ``CorrelationCholesky`` reaches the same set by
    normalizing the rows of an unconstrained lower-triangular matrix instead, with a different
    vector order, so unconstrained values differ between the two.

    Examples
    --------
    >>> L = CorrelationCholesky().forward([0.5, 0.0, -0.3])
    >>> L.shape
    (3, 3)
    """

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 2

    def _fill(self, x: Array, who: str) -> tuple[Array, int]:
        """The strictly lower triangle of a ``K x K`` matrix filled from ``x``; zeros elsewhere."""
        m = fnp.shape(x)[-1]
        k = _tril_size(m, who)
        index = np.zeros((k, k), dtype=np.intp)
        rows, cols = _tril_indices(k)
        index[rows, cols] = np.arange(1, m + 1)
        zero = fnp.zeros(fnp.shape(x)[:-1] + (1,), dtype=x.dtype)
        padded = fnp.concatenate([zero, x], axis=-1)
        return fnp.take(padded, index, axis=-1), k

    def _log_w(self, x: Array) -> tuple[Array, Array, int]:
        xm, k = self._fill(x, "CorrelationCholesky.forward")
        lower = np.tri(k, k, -1, dtype=bool)
        log1m_z2 = fnp.where(lower, _log1m_tanh_sq(xm), 0.0)
        # exclusive cumsum along rows as a matmul with a strictly upper triangle of ones: the
        # compiled NUTS's tape encodes cumsum of vectors only, and k is small (the terms are
        # finite, so the zeros of the triangle cannot meet an infinity)
        return xm, fnp.matmul(log1m_z2, np.triu(np.ones((k, k)), 1)), k

    def _forward(self, x: Array) -> Array:
        xm, log_w, k = self._log_w(x)
        # L = (Z + I) * sqrt(W); upper entries vanish since Z and I are zero there
        return (fnp.tanh(xm) + np.eye(k)) * fnp.exp(0.5 * log_w)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        xm, log_w, k = self._log_w(x)
        lower = np.tri(k, k, -1, dtype=bool)
        terms = fnp.where(lower, _log1m_tanh_sq(xm) + 0.5 * log_w, 0.0)
        return fnp.sum(terms, axis=(-2, -1))

    def _check_square(self, y: Array, who: str) -> int:
        shape = fnp.shape(y)
        if shape[-1] != shape[-2]:
            raise ValueError(f"{who}: expected square matrices in the last two axes, got {shape}")
        return shape[-1]

    def _inverse(self, y: Array) -> Array:
        k = self._check_square(y, "CorrelationCholesky.inverse")
        rows, cols = _tril_indices(k)
        # w_ij = 1 - sum_{l<j} L_il^2 = sum_{l>=j} L_il^2 for unit rows (tail sums: no cancellation)
        w = _reverse_cumsum(fnp.tril(y) ** 2)
        flat = fnp.reshape(y, fnp.shape(y)[:-2] + (k * k,))
        flat_w = fnp.reshape(w, fnp.shape(w)[:-2] + (k * k,))
        pos = rows * k + cols
        z = fnp.take(flat, pos, axis=-1) / fnp.sqrt(fnp.take(flat_w, pos, axis=-1))
        return fnp.arctanh(z)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        # sum_{j<i} log(1 - z_ij^2) telescopes to sum_i log w_ii = sum_i 2 log L_ii
        k = self._check_square(y, "CorrelationCholesky.inverse_log_det_jacobian")
        w = _reverse_cumsum(fnp.tril(y) ** 2)
        lower = np.tri(k, k, -1, dtype=bool)
        diag = fnp.diagonal(y, axis1=-2, axis2=-1)
        half_log_w = 0.5 * fnp.sum(fnp.log(fnp.where(lower, w, 1.0)), axis=(-2, -1))
        return -(2.0 * fnp.sum(fnp.log(diag), axis=-1) + half_log_w)

    def _forward_event_shape(self, shape: Shape) -> Shape:
        k = _tril_size(shape[-1], "CorrelationCholesky.forward_event_shape")
        return shape[:-1] + (k, k)

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(
                f"CorrelationCholesky.inverse_event_shape: expected a shape ending in (K, K), "
                f"got {shape}"
            )
        k = shape[-1]
        return shape[:-2] + (k * (k - 1) // 2,)


# ---------------------------------------------------------------------------------------------
# The constraint registry


def _interval(low: ArrayLike, high: ArrayLike) -> Bijector:
    # the specs are concrete here (a user's constraint), so an empty interval is caught now
    lo, hi = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    if not np.all((lo < hi) & np.isfinite(lo) & np.isfinite(hi)):
        raise ValueError(
            f"for_constraint: expected ('interval', low, high) with finite low < high, got "
            f"({low!r}, {high!r}); use ('greater_than', low) or ('less_than', high) for a "
            "half-line"
        )
    return Sigmoid(low, high)


# name -> (number of parameters, factory, how to write it)
_CONSTRAINTS: dict[str, tuple[int, Callable[..., Bijector], str]] = {
    "real": (0, Identity, '"real"'),
    "positive": (0, Exp, '"positive"'),
    "unit_interval": (0, Sigmoid, '"unit_interval"'),
    "interval": (2, _interval, '("interval", low, high)'),
    "greater_than": (1, GreaterThan, '("greater_than", low)'),
    "less_than": (1, LessThan, '("less_than", high)'),
    "simplex": (0, StickBreaking, '"simplex"'),
    "ordered": (0, Ordered, '"ordered"'),
    "corr_cholesky": (0, CorrelationCholesky, '"corr_cholesky"'),
}


def constraint_names() -> tuple[str, ...]:
    """The constraint names :func:`for_constraint` knows, sorted.

    Returns
    -------
    tuple of str
    """
    return tuple(sorted(_CONSTRAINTS))


def for_constraint(spec: Any) -> Bijector:
    """The bijector from the real line (unconstrained space) onto a constrained set.

    Parameters
    ----------
    spec : str, tuple or Bijector
        ``"real"`` (:class:`Identity`), ``"positive"`` (:class:`Exp`, as in Stan),
        ``"unit_interval"`` (:class:`Sigmoid`), ``("interval", low, high)``
        (``Sigmoid(low, high)``), ``("greater_than", low)`` (:class:`GreaterThan`,
        ``low + exp(x)``), ``("less_than", high)`` (:class:`LessThan`, ``high - exp(x)``),
        ``"simplex"`` (:class:`StickBreaking`), ``"ordered"`` (:class:`Ordered`),
        ``"corr_cholesky"`` (:class:`CorrelationCholesky`), ``"lower_cholesky"``
        (``FillScaleTriL(Exp(), None)``: lower-triangular with a positive diagonal),
        ``"positive_definite"`` (``Chain([CholeskyOuterProduct(), FillScaleTriL(Exp(),
        None)])``), ``"corr_matrix"`` (``Chain([CholeskyOuterProduct(unit_diagonal=True),
        CorrelationCholesky()])``); a :class:`Bijector` is returned unchanged.

    Returns
    -------
    Bijector
        ``forward`` maps unconstrained values into the set.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones and suggests the closest), or
        the wrong number of parameters.
    TypeError
        For a spec that is none of the above.

    Examples
    --------
    >>> for_constraint("positive")
    Exp()
    >>> for_constraint(("interval", 0.0, 2.0))
    Sigmoid(low=0.0, high=2.0)
    """
    if isinstance(spec, Bijector):
        return spec
    if isinstance(spec, str):
        name, params = spec, ()
    elif isinstance(spec, tuple | list) and spec and isinstance(spec[0], str):
        name, params = spec[0], tuple(spec[1:])
    else:
        raise TypeError(
            "for_constraint: expected a constraint name (str), a tuple (name, *params) or a "
            f"Bijector, got {spec!r} ({type(spec).__name__})"
        )
    entry = _CONSTRAINTS.get(name)
    if entry is None:
        names = constraint_names()
        message = (
            f"for_constraint: unknown constraint {name!r}; expected one of "
            f"{', '.join(repr(n) for n in names)}"
        )
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
        raise ValueError(message)
    arity, factory, usage = entry
    if len(params) != arity:
        raise ValueError(
            f"for_constraint: constraint {name!r} takes {arity} parameter(s), got {len(params)}; "
            f"write it as {usage}"
        )
    for i, p in enumerate(params):
        if isinstance(p, Bijector) or p is None:
            ok = False
        else:
            try:
                arr = np.asarray(p, dtype=np.float64)
                ok = True
            except (TypeError, ValueError):
                ok = False
        if not ok:
            raise TypeError(
                f"for_constraint: parameter {i + 1} of constraint {name!r} must be a number or "
                f"an array of numbers, got {type(p).__name__} {p!r}; write it as {usage}"
            )
        if name != "interval" and not np.all(np.isfinite(arr)):
            raise ValueError(
                f"for_constraint: parameter {i + 1} of constraint {name!r} must be finite, got "
                f"{p!r}; write it as {usage}, or use 'real' for no bound"
            )
    return factory(*params)
