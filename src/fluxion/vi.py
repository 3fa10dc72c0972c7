"""``fluxion.vi``: variational inference.

:func:`fit` fits a variational approximation (ADVI: mean-field :class:`AutoNormal`, full-rank
:class:`AutoMultivariateNormal`, :class:`AutoLowRankMultivariateNormal`, or a normalizing flow
:class:`AutoNormalizingFlow`) on a model's unconstrained space by stochastic optimisation of
an objective (:class:`ELBO`, :class:`RenyiELBO`, :class:`IWAE`). Its :class:`VIResult` gives
draws in the constrained space, a :class:`fluxion.mcmc.SampleResult` view (``summary()``,
``to_arviz()``, plots) and the PSIS k-hat of the approximation.

:func:`pathfinder` and :func:`multi_pathfinder` (Zhang et al. 2022) follow an L-BFGS path
and keep the best of its Gaussian approximations: a fast approximation, and start values and
an inverse metric for NUTS (``sample(model, chain_inits=pf.init_for_chains(4))``).

:func:`psis` Pareto-smooths importance ratios and estimates k-hat (Vehtari et al. 2024), the
diagnostic reported for every fitted approximation.
"""

from ._src.vi import *  # noqa: F403
from ._src.vi import __all__ as __all__  # noqa: F401
