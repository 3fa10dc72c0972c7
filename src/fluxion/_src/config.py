"""``fluxion.config``: explicit global switches (no environment variables)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["config", "disable_jit"]


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
        tier 1 (numba), compiled in a background thread; 0 disables promotion.
    jit_tier : int or None
        Force every jitted function to one tier (0 or 1); None lets each choose.
    jit_parallel : bool
        Let tier-1 loops over large arrays use every core (numba prange). Off by default: it
        helps on an idle machine and hurts badly on a busy one (or under parallel chains).
    mcmc_compiled_nuts : {"auto", True, False}
        Whole NUTS chains in numba (a model-independent core calling the model's tier-1
        kernel through a C function pointer). "auto": used when the core is compiled on disk;
        otherwise a background process compiles it (about 10 s of CPU, once per cache
        directory) for the next runs while this one uses the Python NUTS. True: compile now.
        False: always the Python NUTS.
    mcmc_potential : {"auto", "tape", "kernel"}
        How the compiled NUTS reaches the model. "kernel": a numba function around the model's
        tier-1 kernel (fastest per gradient; numba compiles it per model: 0.5 s to 10 s, then
        cached on disk). "tape": the model's graph run by the tape machine, compiled once for
        every model (no compile for a new model; several times slower per gradient on large
        data). "auto": the kernel when it is compiled on disk, else the tape while a detached
        process compiles the kernel for the next run.
    cache_dir : str
        Where compiled kernels are kept between processes (numba's disk cache).
    """

    _defaults = {
        "disable_jit": False,
        "jit_guard_limit": 8,
        "jit_hot_calls": 20,
        "jit_tier": None,
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
