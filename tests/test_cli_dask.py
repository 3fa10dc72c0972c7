"""``fluxion sample MODEL.py --workers N``: the same model file sampled on a local dask cluster
gives the draws of the local run (issue 18, the CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

az = pytest.importorskip("arviz")
pytest.importorskip("distributed")

MODEL = """
import numpy as np
import fluxion.numpy as fnp

y = np.array([1.2, 0.4, 2.2, 1.7, 0.9])

def log_prob(p):
    return -0.5 * fnp.sum((y - p["mu"]) ** 2 / p["s"] ** 2) - y.size * fnp.log(p["s"]) \\
        - 0.5 * p["mu"] ** 2 / 10.0

init = {"mu": 0.0, "s": 1.0}
constraints = {"s": "positive"}
"""
ARGS = ["--kernel", "rwm", "--no-jit", "--chains", "2", "--warmup", "100", "--draws", "200",
        "--seed", "11", "--no-plots", "--quiet"]


def _run(model: str, out: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "fluxion", "sample", model, "--out", out,
                           *ARGS, *extra], env=env, capture_output=True, text=True, timeout=300)


def _posterior(path: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_netcdf(path)
    return {k: idata.posterior[k].values for k in idata.posterior.data_vars}


def test_the_same_model_file_on_a_local_cluster_gives_the_local_draws(tmp_path):
    model = tmp_path / "model.py"
    model.write_text(MODEL)
    local = _run(str(model), str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    cluster = _run(str(model), str(tmp_path / "cluster"), "--workers", "2")
    assert cluster.returncode == 0, cluster.stderr
    a = _posterior(str(tmp_path / "local" / "draws.nc"))
    b = _posterior(str(tmp_path / "cluster" / "draws.nc"))
    assert set(a) == {"mu", "s"}
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_cluster_flags_are_checked():
    from fluxion.cli import main

    with pytest.raises(SystemExit):
        main(["sample", "m.py", "--workers", "2", "--scheduler", "tcp://x:1"])
    with pytest.raises(SystemExit):
        main(["sample", "m.py", "--workers", "0"])
