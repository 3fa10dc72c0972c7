"""A small functional neural-network toolkit: activations, initializers and layers whose
parameters are pytrees (``layer.init(key, ...)`` / ``layer.apply(params, x)``).

It serves the normalizing flows of :mod:`fluxion.bijectors` (MADE for masked autoregressive
flows, MLPs for coupling layers) and trains with :mod:`fluxion.optim`; ``Conv1D``, ``Embedding``,
``LayerNorm``, ``Dropout`` and ``Sequential`` (:mod:`.layers2`), losses (:mod:`.losses`) and
mean-field Bayesian dense layers trained by the ELBO (:mod:`.bayesian`) complete it.
"""

from __future__ import annotations

from . import losses
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
from .bayesian import (
    DenseFlipout,
    DenseLocalReparameterization,
    DenseReparameterization,
    gaussian_kl,
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
from .layers2 import Conv1D, Dropout, Embedding, LayerNorm, Sequential, dropout
from .losses import (
    binary_cross_entropy,
    categorical_cross_entropy,
    huber,
    kl,
    mae,
    mse,
    nll,
)

__all__ = [
    "MLP",
    "AutoregressiveNetwork",
    "Bound",
    "Conv1D",
    "Dense",
    "DenseFlipout",
    "DenseLocalReparameterization",
    "DenseReparameterization",
    "Dropout",
    "Embedding",
    "LayerNorm",
    "Sequential",
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "dropout",
    "elu",
    "gaussian_kl",
    "gelu",
    "get_activation",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "huber",
    "kl",
    "leaky_relu",
    "losses",
    "mae",
    "made_masks",
    "mse",
    "nll",
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
