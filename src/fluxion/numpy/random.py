"""``fluxion.numpy.random``: NumPy's random module, for code written against ``numpy.random``.

Every public name of :mod:`numpy.random` is here (``seed``, ``rand``, ``randn``, ``normal``,
``choice``, ``shuffle``, ``RandomState``, ``default_rng``, ``Generator``, ``SeedSequence``, the bit
generators, ...), and each returns ordinary NumPy arrays, so ``import fluxion.numpy as np;
np.random.randn(3)`` and ``from fluxion.numpy import random as npr; npr.RandomState(0)`` run
unchanged (as with ``autograd.numpy.random``).

The draws are constants to differentiation: they are sampled with concrete parameters. The
module-level functions reject a traced parameter (say ``np.random.normal(mu, 1.0)`` inside
``grad``) with an error naming the fix: draw the parameter-free noise and transform it with
differentiable ops (``mu + np.random.randn()``), or use :mod:`fluxion.random`, whose samplers are
differentiable in their parameters and safe under jit and vmap.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy.random as _npr

from fluxion._src.core import Tracer as _Tracer

__all__ = [name for name in dir(_npr) if not name.startswith("_")]


def _has_tracer(value: Any) -> bool:
    if isinstance(value, _Tracer):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_tracer(v) for v in value)
    return False


def _checked(name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if any(_has_tracer(a) for a in args) or any(_has_tracer(v) for v in kwargs.values()):
            raise TypeError(
                f"numpy.random.{name}: got a traced parameter (inside grad, jit or vmap); NumPy's "
                "sampler needs concrete values and its draws carry no derivative. Reparameterize: "
                "draw parameter-free noise and transform it with fluxion.numpy ops (e.g. "
                "mu + sigma * np.random.randn(n)), or use fluxion.random with an explicit key "
                "(mu + sigma * fluxion.random.normal(key, shape), or "
                f"fluxion.random.{name if name in _KEYED else 'normal'}(key, ...)), which is "
                "differentiable in its parameters and safe under jit and vmap"
            )
        return fn(*args, **kwargs)

    return wrapper


_KEYED = {
    "normal", "uniform", "gamma", "beta", "dirichlet", "poisson", "choice", "permutation",
    "multivariate_normal", "exponential", "laplace", "logistic", "lognormal",
}

for _name in __all__:
    _value = getattr(_npr, _name)
    if callable(_value) and not isinstance(_value, type):
        globals()[_name] = _checked(_name, _value)
    else:
        globals()[_name] = _value
del _name, _value
