"""``fluxion.config``: explicit global switches (no environment variables)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = [
    "FrozenValueWarning",
    "PerformanceWarning",
    "SamplingWarning",
    "config",
    "disable_jit",
]


class PerformanceWarning(UserWarning):
    """A computation ran on a slower path than the one asked for or expected (e.g. ``sample``
    on the Python NUTS instead of compiled chains); the message names the cause (the primitive,
    the option) and how to get the fast path. Silence it with ``warnings.filterwarnings``."""


class FrozenValueWarning(UserWarning):
    """A value computed while ``fluxion.jit`` traced a function became a constant of the
    compiled function, although the user most likely meant it to change from call to call:
    a ``numpy.random`` draw (every call of the compiled function returns the same "random"
    numbers). The message names the function, the first offending call and the fix
    (``fluxion.random`` with an explicit key passed as an argument). Warned once per jitted
    function; silence it with ``warnings.filterwarnings("ignore",
    category=fluxion.FrozenValueWarning)``."""


class SamplingWarning(UserWarning):
    """An MCMC run's draws fail a convergence check (R-hat, ESS, divergences, tree depth,
    E-BFMI, an improper posterior, an ensemble run shorter than 50 autocorrelation times), or
    the run was interrupted: the estimates may be wrong. The message names the parameters, the
    worst value and the usual fix; the checks are ``fluxion.diagnostics.check_sampling``.
    Silence it with ``warnings.filterwarnings("ignore", category=fluxion.SamplingWarning)``."""


class Config:
    """Global settings. Change one with ``fluxion.config.update("disable_jit", True)``.

    Attributes
    ----------
    disable_jit : bool
        Run jitted functions eagerly, op by op (for debugging with print and pdb).
    jit_guard_limit : int
        How many value-guarded specializations one jitted function may build before its
        Python branches on traced values are treated as errors.
    jit_hot_calls : int
        After this many calls a specialization is promoted from tier 0 (NumPy source) to
        tier 1 (numba), compiled in a background thread; 0 disables promotion. A long graph
        whose cold compile is estimated at more than 10 s (about 200 equations) and that is
        not in numba's disk cache waits further, until its tier-0 calls have taken as long as
        the compile would (``tier_info()`` shows the count); ``tier=1`` compiles at once.
    jit_tier : int or None
        Force every jitted function to one tier (0 or 1); None lets each choose.
    jit_reroll_loops : bool
        Rewrite the repeated blocks of equations that a Python ``for`` loop over a static range
        leaves in a traced graph as one loop (a ``scan`` equation; ``ir/reroll.py``), so tier 1
        and the compiled NUTS compile a loop instead of thousands of straight-line equations
        (an ARMA(1,1) likelihood of 200 steps with its gradient: 5,411 equations to 80). The
        results are bitwise the same; only runs proven to repeat exactly are rewritten. False:
        the traced graph as it is.
    jit_parallel : bool
        Let tier-1 loops over large arrays use every core (numba prange). Off by default: it
        helps on an idle machine and hurts badly on a busy one (or under parallel chains).
    mcmc_compiled_nuts : {"auto", True, False}
        Whole NUTS chains in numba (a model-independent core calling the model through a C
        function pointer). The first run on a machine compiles the core's entry points it
        needs, side by side in separate processes, and waits (once per cache directory; tens
        of seconds on a slow machine; ``python -m fluxion precompile`` does it ahead). A model
        the compiled chains cannot run (or a failed compile) samples with the Python NUTS, with
        a ``PerformanceWarning`` saying why. "auto" and True: compiled chains where possible
        (True is kept for older code). False: always the Python NUTS.
    mcmc_potential : {"auto", "tape", "kernel"}
        How the compiled NUTS reaches the model. "kernel": a numba function around the model's
        tier-1 kernel (fastest per gradient; numba compiles it per model: 0.5 s to 10 s, then
        cached on disk). "tape": the model's graph run by the tape machine, compiled once for
        every model (no compile for a new model; 1-4x slower per gradient on large data).
        "auto": decided from the model's graph alone (never from what is cached, so a seed
        gives the same draws on a fresh machine and later): the kernel when one gradient moves
        at least ``codegen.native.KERNEL_MIN_WORK`` elements, else the tape.
    cache_dir : str
        Where compiled kernels are kept between processes (numba's disk cache).
    """

    _defaults = {
        "disable_jit": False,
        "jit_guard_limit": 8,
        "jit_hot_calls": 20,
        "jit_tier": None,
        "jit_reroll_loops": True,
        "jit_parallel": False,
        "mcmc_compiled_nuts": "auto",
        "mcmc_potential": "auto",
        "cache_dir": "~/.cache/fluxion",
    }

    def __init__(self) -> None:
        for k, v in self._defaults.items():
            object.__setattr__(self, k, v)

    def update(self, name: str, value: Any) -> None:
        """Set the option ``name`` to ``value``."""
        if name not in self._defaults:
            raise KeyError(
                f"fluxion.config.update: unknown option {name!r}; expected one of "
                f"{', '.join(sorted(self._defaults))}"
            )
        object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        self.update(name, value)

    def __repr__(self) -> str:
        return "Config(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self._defaults) + ")"


config = Config()


@contextlib.contextmanager
def disable_jit(disable: bool = True) -> Iterator[None]:
    """Context manager: run jitted functions eagerly inside the block.

    Parameters
    ----------
    disable : bool, optional
        False re-enables jit inside an outer ``disable_jit()`` block.
    """
    previous = config.disable_jit
    config.update("disable_jit", disable)
    try:
        yield
    finally:
        config.update("disable_jit", previous)
