"""``fluxion sample`` loses no work: a run killed with SIGINT or SIGKILL at about half of its
sampling leaves its finished draws in ``--out`` (readable by ArviZ), and ``--resume DIR``
completes it to the draws of an uninterrupted run with the same seed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

az = pytest.importorskip("arviz")

# an eager model (--no-jit) that sleeps a little per evaluation: a run of a few seconds whose
# progress the test can catch half-way on any machine
MODEL = """
import time
import numpy as np
import fluxion.numpy as fnp

def log_prob(p):
    time.sleep(0.003)
    return -0.5 * fnp.sum(p["x"] ** 2) - 0.5 * (p["s"] - 1.0) ** 2

init = {"x": np.zeros(2), "s": 1.0}
constraints = {"s": "positive"}
"""
ARGS = ["--kernel", "rwm", "--no-jit", "--chains", "2", "--warmup", "100", "--draws", "400",
        "--seed", "7", "--no-plots", "--quiet", "--checkpoint-every", "0.3"]


def _fluxion(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "-m", "fluxion", "sample", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _posterior(path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_netcdf(path)
    return {k: idata.posterior[k].values for k in idata.posterior.data_vars}


def _written_draws(out) -> int:
    try:
        with open(os.path.join(out, ".checkpoint", "written.json")) as fh:
            return json.load(fh)["draws"]
    except (OSError, ValueError):
        return 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    model = base / "model.py"
    model.write_text(MODEL)
    out = base / "whole"
    proc = _fluxion(str(model), "--out", str(out), *ARGS)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return model, _posterior(out / "draws.nc")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_killed_run_keeps_its_draws_and_resumes(reference, tmp_path, sig):
    model, whole = reference
    out = tmp_path / "run"
    proc = _fluxion(str(model), "--out", str(out), *ARGS)
    deadline = time.monotonic() + 300
    while _written_draws(out) < 200 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before the test could interrupt it"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        assert f"fluxion sample --resume {out}" in err
        status = "interrupted"
    else:
        assert proc.returncode == -signal.SIGKILL
        status = "running"  # nobody was left to say otherwise
    assert json.loads((out / "run.json").read_text())["status"] == status
    partial = _posterior(out / "draws.nc")  # ArviZ reads the finished draws
    n = partial["x"].shape[1]
    assert 200 <= n < 400
    np.testing.assert_array_equal(partial["x"], whole["x"][:, :n])
    resumed = _fluxion("--resume", str(out), "--no-plots", "--quiet")
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    final = _posterior(out / "draws.nc")
    for name in whole:
        np.testing.assert_array_equal(final[name], whole[name])
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    assert (out / "summary.csv").exists()


def test_resume_needs_a_run_directory(tmp_path):
    proc = _fluxion("--resume", str(tmp_path), "--quiet")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "no run to resume there" in err
