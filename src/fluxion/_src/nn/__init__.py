"""A small functional neural-network toolkit: activations, initializers and layers whose
parameters are pytrees (``layer.init(key, ...)`` / ``layer.apply(params, x)``).

It serves the normalizing flows of :mod:`fluxion.bijectors` (MADE for masked autoregressive
flows, MLPs for coupling layers) and trains with :mod:`fluxion.optim`.
"""

from __future__ import annotations

from .activations import (
    elu,
    gelu,
    get_activation,
    leaky_relu,
    relu,
    sigmoid,
    silu,
    softplus,
    swish,
    tanh,
)
from .initializers import (
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    normal,
    ones,
    variance_scaling,
    zeros,
)
from .layers import MLP, AutoregressiveNetwork, Bound, Dense, made_masks

__all__ = [
    "MLP",
    "AutoregressiveNetwork",
    "Bound",
    "Dense",
    "elu",
    "gelu",
    "get_activation",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "leaky_relu",
    "made_masks",
    "normal",
    "ones",
    "relu",
    "sigmoid",
    "silu",
    "softplus",
    "swish",
    "tanh",
    "variance_scaling",
    "zeros",
]
