"""``fluxion.distributions``: probability distributions with TensorFlow Probability's interface.

``Normal(loc, scale).log_prob(x)``, ``.sample(sample_shape, seed=)``, ``.cdf``, ``.quantile``,
``.mean()``, ``.entropy()``, ``kl_divergence(p, q)``, ``batch_shape``/``event_shape``,
``support`` and ``default_bijector``; every family is a pytree written with
:mod:`fluxion.numpy`, so it works under ``jit``, ``vmap`` and ``grad`` and compiles into the
NUTS sampler. See :mod:`fluxion._src.distributions.base` for the conventions.

Joint distributions (``JointDistributionSequential``, ``JointDistributionNamed``,
``JointDistributionCoroutine`` with ``Root``/``Variable``) describe whole models;
``joint.condition(y=data)`` gives a model that ``fluxion.mcmc.sample``,
``fluxion.optim.minimize``/``laplace`` and ``fluxion.infer.Predictive`` take directly (start
values and constraints from each variable's support, the observed variables' pointwise
log-likelihood recorded for ``arviz.loo``). ``ImproperUniform`` is Stan's flat prior.
"""

from ._src.distributions import *  # noqa: F403
from ._src.distributions import __all__ as __all__  # noqa: F401
