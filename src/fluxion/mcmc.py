"""``fluxion.mcmc``: sample posteriors with NUTS, HMC, MALA, random-walk Metropolis, slice
sampling or the ensemble sampler, with Stan's or nutpie's warm-up adaptation; or many chains
of HMC in lockstep with ChEES adaptation (``sample_chees``) or of generalized HMC with
MEADS adaptation (``sample_meads``).

``sample(log_prob, init, constraints={"sigma": "positive"}, kernel="nuts", adaptation="stan",
chains=4, draws=1000, warmup=1000, seed=...)``; constraints name the constrained parameters
(``Model`` is ``fluxion.infer.UnconstrainedModel``, shared with ``optim.laplace`` and
``optim.minimize``). The kernels are pure functions (``nuts_step``, ``hmc_step``, ``mala_step``,
``rwm_step``, ``slice_step``) usable on their own.
"""

from fluxion._src.mcmc.adaptation import DualAveraging as DualAveraging
from fluxion._src.mcmc.adaptation import NutpieAdaptation as NutpieAdaptation
from fluxion._src.mcmc.adaptation import WindowedAdaptation as WindowedAdaptation
from fluxion._src.mcmc.chees import sample_chees as sample_chees
from fluxion._src.mcmc.hmc import HMCState as HMCState
from fluxion._src.mcmc.hmc import Metric as Metric
from fluxion._src.mcmc.hmc import hmc_step as hmc_step
from fluxion._src.mcmc.hmc import init_state as init_state
from fluxion._src.mcmc.hmc import nuts_step as nuts_step
from fluxion._src.mcmc.kernels import SliceState as SliceState
from fluxion._src.mcmc.kernels import mala_step as mala_step
from fluxion._src.mcmc.kernels import rwm_step as rwm_step
from fluxion._src.mcmc.kernels import slice_step as slice_step
from fluxion._src.mcmc.meads import sample_meads as sample_meads
from fluxion._src.mcmc.result import SampleResult as SampleResult
from fluxion._src.mcmc.sample import KERNELS as KERNELS
from fluxion._src.mcmc.sample import Model as Model
from fluxion._src.mcmc.sample import sample as sample

__all__ = [
    "KERNELS",
    "DualAveraging",
    "HMCState",
    "Metric",
    "Model",
    "NutpieAdaptation",
    "SampleResult",
    "SliceState",
    "WindowedAdaptation",
    "hmc_step",
    "init_state",
    "mala_step",
    "nuts_step",
    "rwm_step",
    "sample",
    "sample_chees",
    "sample_meads",
    "slice_step",
]
