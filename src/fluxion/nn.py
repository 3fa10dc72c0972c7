"""``fluxion.nn``: a small functional neural-network toolkit.

Layers hold configuration only; parameters are pytrees created by ``layer.init(key, ...)`` and
consumed by ``layer.apply(params, x)``, so training is ``fluxion.grad`` plus
:mod:`fluxion.optim`. ``Dense``, ``MLP``, ``AutoregressiveNetwork`` (MADE, as TFP's
``tfb.AutoregressiveNetwork``), ``made_masks``, activations (``relu``, ``tanh``, ``gelu``,
``softplus``, ``silu``/``swish``, ``elu``, ``leaky_relu``, ``sigmoid``) and initializers
(``glorot_uniform``/``glorot_normal``, ``he_normal``/``he_uniform``, ``zeros``, ``ones``,
``normal``, ``variance_scaling``; JAX's signatures).

More layers: ``Conv1D`` (channels last; SAME/VALID/CAUSAL padding, strides, dilation),
``Embedding``, ``LayerNorm``, ``Dropout``/``dropout`` (explicit keys, a ``deterministic`` flag) and
the ``Sequential`` combinator. Losses (also as ``fluxion.nn.losses``): ``mse``, ``mae``, ``huber``,
``binary_cross_entropy`` and ``categorical_cross_entropy`` from logits, ``nll`` of a distribution,
``kl`` (exact or Monte Carlo). Bayesian layers with a mean-field Gaussian kernel, trained by the
ELBO: ``DenseReparameterization``, ``DenseLocalReparameterization``, ``DenseFlipout``, each with a
closed-form ``kl(params)`` (``gaussian_kl``); see ``examples/bnn_regression.py``.

Examples
--------
>>> import fluxion.nn
>>> made = fluxion.nn.AutoregressiveNetwork(params=2, event_shape=2, hidden_units=(16,))
>>> params = made.init(fluxion.random.key(0))
>>> made.apply(params, [0.5, -1.0]).shape
(2, 2)
>>> net = fluxion.nn.Sequential((fluxion.nn.DenseFlipout(8, activation="tanh"),
...                              fluxion.nn.DenseFlipout(1)))
>>> p = net.init(fluxion.random.key(0), 2)
>>> net.apply(p, [[0.5, -1.0]], fluxion.random.key(1)).shape
(1, 1)
"""

from ._src.nn import *  # noqa: F403
from ._src.nn import __all__ as __all__  # noqa: F401
