"""fluxion: differentiable scientific modeling in plain Python.

Write a model as ordinary NumPy code; fluxion gives exact derivatives of any order
(:func:`grad`, :func:`jvp`, :func:`vjp`, :func:`hessian`, ...) over pytrees of arrays.
"""

import fluxion._src.numpy.core  # noqa: F401  (installs the tracer operators)
from fluxion._src.api import device_of as device_of
from fluxion._src.api import device_put as device_put
from fluxion._src.api import elementwise_grad as elementwise_grad
from fluxion._src.api import grad as grad
from fluxion._src.api import hessian as hessian
from fluxion._src.api import hvp as hvp
from fluxion._src.api import jacfwd as jacfwd
from fluxion._src.api import jacobian as jacobian
from fluxion._src.api import jacrev as jacrev
from fluxion._src.api import jvp as jvp
from fluxion._src.api import linearize as linearize
from fluxion._src.api import stop_gradient as stop_gradient
from fluxion._src.api import value_and_grad as value_and_grad
from fluxion._src.api import vjp as vjp
from fluxion._src.backend import DeviceError as DeviceError
from fluxion._src.backend import namespace_of as namespace_of
from fluxion._src.backend import register_array_namespace as register_array_namespace
from fluxion._src.batching import vmap as vmap
from fluxion._src.config import FrozenValueWarning as FrozenValueWarning
from fluxion._src.config import PerformanceWarning as PerformanceWarning
from fluxion._src.config import SamplingWarning as SamplingWarning
from fluxion._src.config import config as config
from fluxion._src.config import disable_jit as disable_jit
from fluxion._src.core import ConcretizationError as ConcretizationError
from fluxion._src.core import UnexpectedTracerError as UnexpectedTracerError
from fluxion._src.custom import checkpoint as checkpoint
from fluxion._src.custom import custom_jvp as custom_jvp
from fluxion._src.custom import custom_vjp as custom_vjp
from fluxion._src.ir.staging import make_graph as make_graph
from fluxion._src.jit import jit as jit

from . import lax as lax  # noqa: E402
from . import numpy as numpy  # noqa: E402
from . import tree as tree  # noqa: E402


def _load_scipy_special() -> None:
    # Imported on first need (a traced value meeting a scipy.special ufunc): SciPy costs ~0.2 s.
    # (the public module imports every fluxion._src.scipy.special* module, each mapping its ufuncs)
    import fluxion.scipy.special  # noqa: F401  (maps its ufuncs into fluxion.numpy's table)


fluxion._src.numpy.core.add_ufunc_loader(_load_scipy_special)

__version__ = "0.1.0"


def __getattr__(name: str):  # lazy submodules: SciPy costs ~0.2 s; plot needs no matplotlib yet
    lazy = (
        "scipy", "test_util", "extend", "bijectors", "infer", "mcmc", "optim", "diagnostics",
        "plot", "random", "distributions", "nn", "glm",
    )
    if name in lazy:
        import importlib

        return importlib.import_module(f"fluxion.{name}")
    raise AttributeError(f"module 'fluxion' has no attribute '{name}'")


__all__ = [
    "ConcretizationError",
    "DeviceError",
    "device_of",
    "device_put",
    "namespace_of",
    "register_array_namespace",
    "UnexpectedTracerError",
    "checkpoint",
    "config",
    "FrozenValueWarning",
    "PerformanceWarning",
    "SamplingWarning",
    "disable_jit",
    "jit",
    "make_graph",
    "custom_jvp",
    "custom_vjp",
    "elementwise_grad",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "lax",
    "linearize",
    "numpy",
    "stop_gradient",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]
