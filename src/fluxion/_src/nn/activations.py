"""Activation functions (JAX's ``jax.nn`` names and defaults), written with fluxion.numpy so that
every derivative exists."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..numpy import core as fnp
from ..scipy import special as fsp

__all__ = [
    "elu",
    "gelu",
    "get_activation",
    "leaky_relu",
    "relu",
    "sigmoid",
    "silu",
    "softplus",
    "swish",
    "tanh",
]

Array = Any

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def relu(x: Array) -> Array:
    """``max(x, 0)``, elementwise (derivative 0 at 0, as JAX)."""
    return fnp.where(x > 0, x, fnp.zeros_like(x))


def tanh(x: Array) -> Array:
    """The hyperbolic tangent, elementwise."""
    return fnp.tanh(x)


def sigmoid(x: Array) -> Array:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise (``expit``, no overflow)."""
    return fsp.expit(x)


def softplus(x: Array) -> Array:
    """``log(1 + exp(x))`` computed as ``-log_expit(-x)`` (no overflow, no cancellation)."""
    return -fsp.log_expit(-x)


def silu(x: Array) -> Array:
    """``x * sigmoid(x)`` (SiLU, also called swish)."""
    return x * fsp.expit(x)


swish = silu


def gelu(x: Array, approximate: bool = True) -> Array:
    """The Gaussian error linear unit ``x * Phi(x)`` (JAX's default: the tanh approximation).

    Parameters
    ----------
    x : array_like
    approximate : bool, default True
        ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` if True, else the exact
        ``x * ndtr(x)``.
    """
    if approximate:
        return 0.5 * x * (1.0 + fnp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
    return x * fsp.ndtr(x)


def elu(x: Array, alpha: float = 1.0) -> Array:
    """``x`` for ``x > 0``, ``alpha (exp(x) - 1)`` otherwise (``expm1`` of ``min(x, 0)``, so the
    unused branch never overflows)."""
    return fnp.where(x > 0, x, alpha * fnp.expm1(fnp.minimum(x, 0.0)))


def leaky_relu(x: Array, negative_slope: float = 0.01) -> Array:
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return fnp.where(x >= 0, x, negative_slope * x)


_BY_NAME: dict[str, Callable[[Array], Array]] = {
    "elu": elu,
    "gelu": gelu,
    "leaky_relu": leaky_relu,
    "relu": relu,
    "sigmoid": sigmoid,
    "silu": silu,
    "softplus": softplus,
    "swish": swish,
    "tanh": tanh,
}


def get_activation(activation: str | Callable[[Array], Array] | None) -> Callable[[Array], Array]:
    """An activation by name (``"relu"``, ``"tanh"``, ...), a callable as is, None as identity.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if activation is None:
        return _identity
    if callable(activation):
        return activation
    if isinstance(activation, str) and activation in _BY_NAME:
        return _BY_NAME[activation]
    raise ValueError(
        f"unknown activation {activation!r}; expected a callable or one of {sorted(_BY_NAME)}"
    )


def _identity(x: Array) -> Array:
    return x
