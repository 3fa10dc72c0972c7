"""``fluxion.nn``: a small functional neural-network toolkit.

Layers hold configuration only; parameters are pytrees created by ``layer.init(key, ...)`` and
consumed by ``layer.apply(params, x)``, so training is ``fluxion.grad`` plus
:mod:`fluxion.optim`. ``Dense``, ``MLP``, ``AutoregressiveNetwork`` (MADE, as TFP's
``tfb.AutoregressiveNetwork``), ``made_masks``, activations (``relu``, ``tanh``, ``gelu``,
``softplus``, ``silu``/``swish``, ``elu``, ``leaky_relu``, ``sigmoid``) and initializers
(``glorot_uniform``/``glorot_normal``, ``he_normal``/``he_uniform``, ``zeros``, ``ones``,
``normal``, ``variance_scaling``; JAX's signatures).

Examples
--------
>>> import fluxion.nn
>>> made = fluxion.nn.AutoregressiveNetwork(params=2, event_shape=2, hidden_units=(16,))
>>> params = made.init(fluxion.random.key(0))
>>> made.apply(params, [0.5, -1.0]).shape
(2, 2)
"""

from ._src.nn import *  # noqa: F403
from ._src.nn import __all__ as __all__  # noqa: F401
