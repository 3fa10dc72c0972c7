"""Weight initializers (``jax.nn.initializers``'s): each factory returns
``init(key, shape, dtype=float64) -> array``.

``fan_in = shape[-2]`` and ``fan_out = shape[-1]`` for a dense kernel of shape
``(in_features, out_features)`` (times the product of any leading receptive-field dimensions).
The normal variants draw from a normal truncated at two standard deviations, rescaled so that
the variance is the target (JAX's ``variance_scaling(..., "truncated_normal")``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import random as frandom
from ..numpy import core as fnp

__all__ = [
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "normal",
    "ones",
    "variance_scaling",
    "zeros",
]

Initializer = Callable[..., Any]

# standard deviation of a standard normal truncated to [-2, 2]
_TRUNC_STD = 0.87962566103423978


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def variance_scaling(scale: float, mode: str, distribution: str) -> Initializer:
    """Draws with variance ``scale / n``, ``n`` the fan in, fan out or their average.

    Parameters
    ----------
    scale : float
    mode : {"fan_in", "fan_out", "fan_avg"}
    distribution : {"truncated_normal", "normal", "uniform"}

    Returns
    -------
    callable
        ``init(key, shape, dtype=np.float64)``.
    """
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"variance_scaling: unknown mode {mode!r}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"variance_scaling: unknown distribution {distribution!r}")

    def init(key: Any, shape: Any, dtype: Any = np.float64) -> Any:
        shape = tuple(int(s) for s in shape)
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": 0.5 * (fan_in + fan_out)}[mode]
        var = scale / max(n, 1.0)
        if distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return frandom.uniform(key, shape, dtype, minval=-limit, maxval=limit)
        if distribution == "normal":
            return math.sqrt(var) * frandom.normal(key, shape, dtype)
        return (math.sqrt(var) / _TRUNC_STD) * frandom.truncated_normal(
            key, -2.0, 2.0, shape, dtype
        )

    return init


def glorot_uniform() -> Initializer:
    """Uniform on ``[-l, l]``, ``l = sqrt(6 / (fan_in + fan_out))`` (Glorot and Bengio 2010)."""
    return variance_scaling(1.0, "fan_avg", "uniform")


def glorot_normal() -> Initializer:
    """Truncated normal with variance ``2 / (fan_in + fan_out)``."""
    return variance_scaling(1.0, "fan_avg", "truncated_normal")


def he_normal() -> Initializer:
    """Truncated normal with variance ``2 / fan_in`` (He et al. 2015)."""
    return variance_scaling(2.0, "fan_in", "truncated_normal")


def he_uniform() -> Initializer:
    """Uniform with variance ``2 / fan_in``: ``l = sqrt(6 / fan_in)``."""
    return variance_scaling(2.0, "fan_in", "uniform")


def normal(stddev: float = 1e-2) -> Initializer:
    """Normal with mean 0 and standard deviation ``stddev`` (JAX's default 0.01)."""

    def init(key: Any, shape: Any, dtype: Any = np.float64) -> Any:
        return stddev * frandom.normal(key, tuple(int(s) for s in shape), dtype)

    return init


def zeros(key: Any, shape: Any, dtype: Any = np.float64) -> Any:
    """All zeros (``key`` unused; the signature of every initializer)."""
    return fnp.zeros(tuple(int(s) for s in shape), dtype=dtype)


def ones(key: Any, shape: Any, dtype: Any = np.float64) -> Any:
    """All ones (``key`` unused)."""
    return fnp.ones(tuple(int(s) for s in shape), dtype=dtype)
