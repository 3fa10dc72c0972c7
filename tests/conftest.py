"""Shared pytest configuration: make the ``tests`` directory importable (``import optable``)."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from pathlib import Path

import pytest

# The suite compiles hundreds of numba kernels, most of them cold on a fresh machine: at LLVM
# -O1 they compile about a quarter faster than at numba's default -O3 (measured on
# tests/test_compiled_lowerings.py's tier-1 half, cold: 43.5 s -> 32.8 s) and compute the same
# IEEE results (no fast-math flag depends on the level). Those kernels are cached in a
# directory of their own, so the suite never leaves -O1 code in the user's numba caches (the
# package's helper kernels and the cache directory's modules are cached where NUMBA_CACHE_DIR
# says). Set NUMBA_OPT=3 to test at the users' level. Before numba is first imported:
os.environ.setdefault("NUMBA_OPT", "1")
_NUMBA_TEST_CACHE = f"~/.cache/fluxion-tests/numba-O{os.environ['NUMBA_OPT']}"
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.expanduser(_NUMBA_TEST_CACHE))

_TESTS_DIR = str(Path(__file__).resolve().parent)
_EXAMPLES_DIR = str(Path(__file__).resolve().parent.parent / "examples")
for _path in (_TESTS_DIR, _EXAMPLES_DIR):  # tests import the examples they run
    if _path not in sys.path:
        sys.path.insert(0, _path)


def central_difference_gradient(f, x, eps=1e-6):
    """Full central-difference gradient of a scalar function of a float array (test helper)."""
    import numpy as np

    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def pytest_configure(config):
    """Tests use the Python NUTS unless they ask for the compiled one (the ``compiled_nuts``
    fixture): "auto" would compile the NUTS core (tens of seconds of CPU, once) in the user's
    cache directory."""
    import fluxion

    fluxion.config.update("mcmc_compiled_nuts", False)


def pytest_sessionfinish(session, exitstatus):
    """Let background tier-1 compiles finish before pytest's summary imports plugins (their
    assertion rewriting parses source: see ``jit.wait_for_background_compiles``)."""
    from fluxion._src.jit import wait_for_background_compiles

    wait_for_background_compiles(timeout=600)


@pytest.fixture(scope="session")
def compiled_nuts_cache(tmp_path_factory):
    """A cache directory shared by the session's compiled-NUTS tests: the model-independent
    core compiles once (several seconds), then every test loads it."""
    return str(tmp_path_factory.mktemp("fluxion_cache"))


@pytest.fixture
def machine(compiled_nuts_cache):
    """The tape machine (its numba entry points), loaded from the session's cache dir."""
    import fluxion
    from fluxion._src.codegen import tape

    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", compiled_nuts_cache)
    try:
        yield tape.load_machine()
    finally:
        fluxion.config.update("cache_dir", old)


@pytest.fixture
def run_on_tier1(compiled_nuts_cache):
    """``run(fn, *args)``: ``fluxion.jit(fn, tier=1)`` compiled in the session's cache dir and
    called on ``args``; any warning is an error (no "tier 1 was requested ... runs at tier 0")
    and the call must have run on tier 1. Returns its output."""
    import fluxion

    def run(fn, *args):
        old = fluxion.config.cache_dir
        fluxion.config.update("cache_dir", compiled_nuts_cache)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                compiled = fluxion.jit(fn, tier=1)
                out = compiled(*args)
        finally:
            fluxion.config.update("cache_dir", old)
        assert compiled.tier == 1, compiled.tier_info()
        return out

    return run


@pytest.fixture
def run_on_tape(machine):
    """``run(fn, *args)``: the jit graph of ``fn`` at ``args`` encoded for the tape machine (it
    must encode: otherwise the test fails with encode's reason) and run there on ``args``;
    its outputs as a tuple of NumPy arrays."""
    from fluxion._src.codegen import tape

    def run(fn, *args):
        import fluxion

        encoded, why = tape.encode(fluxion.jit(fn, tier=0).lower(*args).graph)
        assert encoded is not None, why
        return tape.run(encoded, machine, *args)

    return run


@contextlib.contextmanager
def _compiled_nuts_config(cache: str, potential: str):
    import fluxion

    names = ("mcmc_compiled_nuts", "cache_dir", "mcmc_potential")
    old = tuple(getattr(fluxion.config, n) for n in names)
    for name, value in zip(names, (True, cache, potential)):
        fluxion.config.update(name, value)
    try:
        yield
    finally:
        for name, value in zip(names, old):
            fluxion.config.update(name, value)


@pytest.fixture
def compiled_nuts(compiled_nuts_cache):
    """Sample with the compiled NUTS (compiled once, in the session's cache dir), the model
    run by the tape machine: nothing compiled per model."""
    with _compiled_nuts_config(compiled_nuts_cache, "tape"):
        yield


@pytest.fixture
def compiled_kernel(compiled_nuts_cache):
    """Sample with the compiled NUTS calling the model's numba kernel (compiled per model)."""
    with _compiled_nuts_config(compiled_nuts_cache, "kernel"):
        yield
