"""Start-up and layering guards.

The layer contracts themselves are checked by ``lint-imports`` in CI (pyproject.toml,
``[tool.importlinter]``). Here: ``import fluxion`` stays light (the heavy optional dependencies
load on first use), and the public API that moved between ``_src`` modules is unchanged.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

import fluxion

# Each costs from 0.2 s (SciPy) to seconds (numba, matplotlib, arviz) at start-up.
_LAZY = ("numba", "scipy", "scipy.optimize", "matplotlib", "arviz")


def test_import_fluxion_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, fluxion, fluxion.numpy, fluxion.lax, fluxion.tree\n"
        f"print(','.join(m for m in {_LAZY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.strip()
    assert loaded == "", f"import fluxion loaded {loaded}; import them where they are used"


def test_scipy_ufunc_on_a_tracer_loads_its_rules_on_first_use() -> None:
    # fluxion.numpy maps scipy.special's ufuncs only once fluxion.scipy.special is loaded; the
    # public package registers that loader, so a tracer meeting gammaln works from a cold start.
    code = (
        "import json, numpy as np, scipy.special as sc, fluxion\n"
        "g = fluxion.grad(lambda x: sc.gammaln(x).sum())(np.array([2.0, 3.5]))\n"
        "print(json.dumps(g.tolist()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    from scipy.special import digamma

    np.testing.assert_allclose(json.loads(out.stdout), digamma([2.0, 3.5]), rtol=1e-12)


def test_custom_rules_keep_their_public_names() -> None:
    from fluxion._src import custom

    assert fluxion.custom_jvp is custom.custom_jvp
    assert fluxion.custom_vjp is custom.custom_vjp
    assert fluxion.checkpoint is custom.checkpoint
