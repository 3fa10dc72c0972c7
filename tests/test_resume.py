"""No lost work: runs with ``save_dir`` write their draws while they go, keep checkpoints, and
resume to the draws of an uninterrupted run (``sample(save_dir=..., resume=True)``)."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src.mcmc import store as store_module
from fluxion.mcmc import sample


def log_prob(p):
    return -0.5 * fnp.sum(p["x"] ** 2) - 0.5 * (p["y"] / 2.0) ** 2


INIT = {"x": np.zeros(3), "y": 1.0}
KW = {"chains": 2, "draws": 120, "warmup": 80, "seed": 11, "progress": False}


def _interrupt_after(monkeypatch, iterations: int, chains: int = 2,
                     exc: type[BaseException] = KeyboardInterrupt):
    """Make the run stop (Ctrl-C, or a crash) at the first checkpoint opportunity after every
    chain has run ``iterations`` iterations (chains in threads do not run in step)."""
    original = store_module.RunStore.maybe_save
    done = {}

    def maybe_save(self, runner):
        original(self, runner)
        done[runner.chain] = runner.done
        if len(done) == chains and min(done.values()) >= iterations:
            raise exc("stop here")

    monkeypatch.setattr(store_module.RunStore, "maybe_save", maybe_save)


@pytest.mark.parametrize(
    "kernel, extra",
    [
        ("nuts", {}),  # compiled chains (threads)
        ("nuts", {"chain_method": "sequential"}),
        ("nuts", {"adaptation": "nutpie"}),
        ("hmc", {}),  # Python chains, taking turns
        ("rwm", {}),
        ("slice", {}),
        ("ensemble", {"walkers": 8}),
    ],
)
def test_an_interrupted_run_resumes_to_the_uninterrupted_draws(
    tmp_path, monkeypatch, kernel, extra
):
    whole = sample(log_prob, INIT, kernel=kernel, **KW, **extra)
    d = tmp_path / "run"
    with monkeypatch.context() as m:  # stop well after warm-up, at 60% of the iterations
        _interrupt_after(m, 120, chains=1 if kernel == "ensemble" else 2)
        # (not pytest.warns: numba compiling in a background thread swaps the warning filters
        # under it; the warning itself is tested below)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            part = sample(log_prob, INIT, kernel=kernel, save_dir=d, checkpoint_every=0, **KW,
                          **extra)
    assert part.interrupted
    n = part.draws["x"].shape[1]
    assert 0 < n < KW["draws"]
    np.testing.assert_array_equal(part.draws["x"], whole.draws["x"][:, :n])
    assert json.loads((d / "run.json").read_text())["status"] == "interrupted"
    assert (d / "draws.nc").exists()
    resumed = sample(log_prob, INIT, kernel=kernel, save_dir=d, resume=True,
                     **{k: v for k, v in KW.items() if k != "seed"}, **extra)
    np.testing.assert_array_equal(resumed.draws["x"], whole.draws["x"])
    np.testing.assert_array_equal(resumed.draws["y"], whole.draws["y"])
    for k in whole.stats:
        np.testing.assert_array_equal(resumed.stats[k], whole.stats[k])
    assert json.loads((d / "run.json").read_text())["status"] == "complete"
    assert not any(name.endswith(".pkl") for name in os.listdir(d / ".checkpoint"))


def test_ctrl_c_keeps_the_finished_draws_and_says_so(monkeypatch):
    from fluxion._src.mcmc.progress import ChainProgress

    original = ChainProgress.update

    def update(self, chain, done, divergences):  # Ctrl-C once both chains are at 150
        original(self, chain, done, divergences)
        if chain == 1 and done == 150:
            raise KeyboardInterrupt

    monkeypatch.setattr(ChainProgress, "update", update)
    with pytest.warns(fluxion.SamplingWarning, match=r"interrupted; the result holds the \d+ "):
        part = sample(log_prob, INIT, kernel="rwm", jit=False, **KW)
    assert part.interrupted and part.draws["x"].shape[1] == 70


def test_a_late_exception_leaves_the_finished_draws(tmp_path, monkeypatch):
    d = tmp_path / "run"
    _interrupt_after(monkeypatch, 150, exc=RuntimeError)
    with pytest.raises(RuntimeError, match="stop here") as info:
        sample(log_prob, INIT, kernel="rwm", save_dir=d, checkpoint_every=0, **KW)
    assert any(str(d) in note for note in getattr(info.value, "__notes__", []))
    meta = json.loads((d / "run.json").read_text())
    assert meta["status"] == "failed" and "RuntimeError" in meta["error"]
    az = pytest.importorskip("arviz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_netcdf(d / "draws.nc")
    assert 0 < idata.posterior.sizes["draw"] < KW["draws"]


def test_the_draws_are_the_same_whichever_way_the_chains_run():
    runs = [
        sample(log_prob, INIT, chain_method=m, **KW)
        for m in ("threads", "sequential", "parallel")
    ]
    for r in runs[1:]:
        np.testing.assert_array_equal(r.draws["x"], runs[0].draws["x"])


def test_resume_checks_the_directory_and_the_settings(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="nothing to resume"):
        sample(log_prob, INIT, save_dir=tmp_path / "empty", resume=True, **KW)
    with pytest.raises(ValueError, match="resume=True needs save_dir"):
        sample(log_prob, INIT, resume=True, **KW)
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(ValueError, match="is an existing file"):
        sample(log_prob, INIT, save_dir=a_file, **KW)
    d = tmp_path / "run"
    with monkeypatch.context() as m:
        _interrupt_after(m, 100)
        with pytest.warns(fluxion.SamplingWarning):
            sample(log_prob, INIT, kernel="rwm", save_dir=d, checkpoint_every=0, **KW)
    with pytest.raises(ValueError, match="unfinished run"):
        sample(log_prob, INIT, kernel="rwm", save_dir=d, **KW)
    with pytest.raises(ValueError, match="other settings.*draws: 120 there, 121 now"):
        sample(log_prob, INIT, kernel="rwm", save_dir=d, resume=True,
               **{**KW, "draws": 121})
    with pytest.raises(ValueError, match="another seed"):
        sample(log_prob, INIT, kernel="rwm", save_dir=d, resume=True, **{**KW, "seed": 12})


def test_a_complete_run_directory_can_be_reused(tmp_path):
    d = tmp_path / "run"
    a = sample(log_prob, INIT, kernel="rwm", save_dir=d, **KW)
    b = sample(log_prob, INIT, kernel="rwm", save_dir=d, **KW)
    np.testing.assert_array_equal(a.draws["x"], b.draws["x"])
