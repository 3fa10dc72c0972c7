"""``fluxion.optim``: optimizers (optax-style gradient transformations), learning-rate schedules,
``fit``, the ``scipy.optimize`` bridge (``minimize``, ``least_squares``, ``root``) and the
Laplace approximation."""

# Each implementation module appends its public names here (one import block per module).
__all__: list[str] = []

# The scipy.optimize bridge and the Laplace approximation.
from fluxion._src.optim.laplace import LaplaceResult as LaplaceResult  # noqa: E402
from fluxion._src.optim.laplace import laplace as laplace  # noqa: E402
from fluxion._src.optim.scipy_bridge import NONFINITE_STATUS as NONFINITE_STATUS  # noqa: E402
from fluxion._src.optim.scipy_bridge import least_squares as least_squares  # noqa: E402
from fluxion._src.optim.scipy_bridge import minimize as minimize  # noqa: E402
from fluxion._src.optim.scipy_bridge import root as root  # noqa: E402

__all__ += ["LaplaceResult", "NONFINITE_STATUS", "laplace", "least_squares", "minimize", "root"]

# --- gradient transformations, schedules and fit (fluxion._src.optim.transforms, schedules, fit)
from fluxion._src.optim.fit import FitHistory as FitHistory  # noqa: E402
from fluxion._src.optim.fit import FitResult as FitResult  # noqa: E402
from fluxion._src.optim.fit import fit as fit  # noqa: E402
from fluxion._src.optim.schedules import constant_schedule as constant_schedule  # noqa: E402
from fluxion._src.optim.schedules import cosine_decay_schedule as cosine_decay_schedule  # noqa: E402
from fluxion._src.optim.schedules import exponential_decay as exponential_decay  # noqa: E402
from fluxion._src.optim.schedules import join_schedules as join_schedules  # noqa: E402
from fluxion._src.optim.schedules import linear_schedule as linear_schedule  # noqa: E402
from fluxion._src.optim.schedules import piecewise_constant_schedule as piecewise_constant_schedule  # noqa: E402
from fluxion._src.optim.schedules import polynomial_schedule as polynomial_schedule  # noqa: E402
from fluxion._src.optim.schedules import (  # noqa: E402
    warmup_cosine_decay_schedule as warmup_cosine_decay_schedule,
)
from fluxion._src.optim.transforms import EmptyState as EmptyState  # noqa: E402
from fluxion._src.optim.transforms import GradientTransformation as GradientTransformation  # noqa: E402
from fluxion._src.optim.transforms import ScaleByAdamState as ScaleByAdamState  # noqa: E402
from fluxion._src.optim.transforms import ScaleByRmsState as ScaleByRmsState  # noqa: E402
from fluxion._src.optim.transforms import ScaleByRssState as ScaleByRssState  # noqa: E402
from fluxion._src.optim.transforms import ScaleByScheduleState as ScaleByScheduleState  # noqa: E402
from fluxion._src.optim.transforms import TraceState as TraceState  # noqa: E402
from fluxion._src.optim.transforms import adagrad as adagrad  # noqa: E402
from fluxion._src.optim.transforms import adam as adam  # noqa: E402
from fluxion._src.optim.transforms import adamw as adamw  # noqa: E402
from fluxion._src.optim.transforms import add_decayed_weights as add_decayed_weights  # noqa: E402
from fluxion._src.optim.transforms import apply_updates as apply_updates  # noqa: E402
from fluxion._src.optim.transforms import chain as chain  # noqa: E402
from fluxion._src.optim.transforms import clip as clip  # noqa: E402
from fluxion._src.optim.transforms import clip_by_global_norm as clip_by_global_norm  # noqa: E402
from fluxion._src.optim.transforms import global_norm as global_norm  # noqa: E402
from fluxion._src.optim.transforms import identity as identity  # noqa: E402
from fluxion._src.optim.transforms import momentum as momentum  # noqa: E402
from fluxion._src.optim.transforms import nesterov as nesterov  # noqa: E402
from fluxion._src.optim.transforms import rmsprop as rmsprop  # noqa: E402
from fluxion._src.optim.transforms import scale as scale  # noqa: E402
from fluxion._src.optim.transforms import scale_by_adam as scale_by_adam  # noqa: E402
from fluxion._src.optim.transforms import scale_by_learning_rate as scale_by_learning_rate  # noqa: E402
from fluxion._src.optim.transforms import scale_by_rms as scale_by_rms  # noqa: E402
from fluxion._src.optim.transforms import scale_by_rss as scale_by_rss  # noqa: E402
from fluxion._src.optim.transforms import scale_by_schedule as scale_by_schedule  # noqa: E402
from fluxion._src.optim.transforms import sgd as sgd  # noqa: E402
from fluxion._src.optim.transforms import trace as trace  # noqa: E402

__all__ += [
    "EmptyState",
    "FitHistory",
    "FitResult",
    "GradientTransformation",
    "ScaleByAdamState",
    "ScaleByRmsState",
    "ScaleByRssState",
    "ScaleByScheduleState",
    "TraceState",
    "adagrad",
    "adam",
    "adamw",
    "add_decayed_weights",
    "apply_updates",
    "chain",
    "clip",
    "clip_by_global_norm",
    "constant_schedule",
    "cosine_decay_schedule",
    "exponential_decay",
    "fit",
    "global_norm",
    "identity",
    "join_schedules",
    "linear_schedule",
    "momentum",
    "nesterov",
    "piecewise_constant_schedule",
    "polynomial_schedule",
    "rmsprop",
    "scale",
    "scale_by_adam",
    "scale_by_learning_rate",
    "scale_by_rms",
    "scale_by_rss",
    "scale_by_schedule",
    "sgd",
    "trace",
    "warmup_cosine_decay_schedule",
]
