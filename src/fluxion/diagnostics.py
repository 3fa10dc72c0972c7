"""``fluxion.diagnostics``: MCMC diagnostics on draws (R-hat, ESS, MCSE, autocorrelation, E-BFMI)
and the convergence checks run after every ``fluxion.mcmc.sample`` (:func:`check_sampling`).

Draw arrays have shape ``(chain, draw, *param_shape)``; the numbers equal ArviZ's on the same draws.
"""

from fluxion._src.diagnostics import AutocorrError as AutocorrError
from fluxion._src.diagnostics import SummaryTable as SummaryTable
from fluxion._src.diagnostics import autocorr as autocorr
from fluxion._src.diagnostics import autocov as autocov
from fluxion._src.diagnostics import bfmi as bfmi
from fluxion._src.diagnostics import ess as ess
from fluxion._src.diagnostics import hdi as hdi
from fluxion._src.diagnostics import integrated_time as integrated_time
from fluxion._src.diagnostics import mcse as mcse
from fluxion._src.diagnostics import nested_rhat as nested_rhat
from fluxion._src.diagnostics import rhat as rhat
from fluxion._src.diagnostics import summary as summary
from fluxion._src.run_checks import RunWarning as RunWarning
from fluxion._src.run_checks import check_sampling as check_sampling

__all__ = [
    "AutocorrError",
    "RunWarning",
    "SummaryTable",
    "autocorr",
    "autocov",
    "bfmi",
    "check_sampling",
    "ess",
    "hdi",
    "integrated_time",
    "mcse",
    "nested_rhat",
    "rhat",
    "summary",
]
