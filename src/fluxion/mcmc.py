"""``fluxion.mcmc``: sample posteriors with NUTS or HMC (Stan's warm-up adaptation).

``sample(log_prob, init, constraints=..., chains=4, draws=1000, warmup=1000, seed=...)``; the
kernels are pure functions (``nuts_step``, ``hmc_step``) usable on their own.
"""

from fluxion._src.mcmc.adaptation import DualAveraging as DualAveraging
from fluxion._src.mcmc.adaptation import WindowedAdaptation as WindowedAdaptation
from fluxion._src.mcmc.hmc import HMCState as HMCState
from fluxion._src.mcmc.hmc import Metric as Metric
from fluxion._src.mcmc.hmc import hmc_step as hmc_step
from fluxion._src.mcmc.hmc import init_state as init_state
from fluxion._src.mcmc.hmc import nuts_step as nuts_step
from fluxion._src.mcmc.sample import Model as Model
from fluxion._src.mcmc.sample import SampleResult as SampleResult
from fluxion._src.mcmc.sample import sample as sample

__all__ = [
    "DualAveraging",
    "HMCState",
    "Metric",
    "Model",
    "SampleResult",
    "WindowedAdaptation",
    "hmc_step",
    "init_state",
    "nuts_step",
    "sample",
]
