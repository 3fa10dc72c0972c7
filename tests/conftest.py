"""Shared pytest configuration: make the ``tests`` directory importable (``import optable``)."""

from __future__ import annotations

import sys
from pathlib import Path

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
    """Tests use the Python NUTS unless they ask for the compiled one: "auto" would start a
    background compile process (about 15 s of CPU) for every new model under test."""
    import fluxion

    fluxion.config.update("mcmc_compiled_nuts", False)
