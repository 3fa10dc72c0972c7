"""``sample(kernel="chees")`` and ``sample(kernel="meads")``: the many-chain lockstep samplers
inside ``fluxion.mcmc.sample``, with its checkpoints, resume, Ctrl-C, progress, constraints,
starts, diagnostics and command line.

Oracles: ``sample_chees`` / ``sample_meads`` (the same draws for the same seed), an
uninterrupted run (the draws of an interrupted and resumed one), ``fluxion.diagnostics.
nested_rhat`` on the draws, and a conjugate posterior's exact moments.
"""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src.mcmc import store as store_module
from fluxion._src.mcmc.progress import ChainProgress
from fluxion.diagnostics import mcse, nested_rhat
from fluxion.mcmc import sample, sample_chees, sample_meads

SCALE = np.array([1.0, 2.0, 0.5])


def log_prob(p):
    # N(1, SCALE^2) for x, Exponential(1) for s > 0
    return -0.5 * fnp.sum(((p["x"] - 1.0) / SCALE) ** 2) - p["s"]


INIT = {"x": np.zeros(3), "s": 1.0}
CONS = {"s": "positive"}
KW = {"constraints": CONS, "chains": 32, "warmup": 40, "draws": 20, "seed": 3}
WRAPPERS = {"chees": sample_chees, "meads": sample_meads}
# ArviZ's heuristic, for every draws.nc of a run with more chains than draws
pytestmark = pytest.mark.filterwarnings("ignore:More chains:UserWarning")


def _quiet_sample(*args, **kw):
    """``sample`` without its convergence warnings (short runs: the checks are not tested
    here, except where a test asks for them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fluxion.SamplingWarning)
        return sample(*args, progress=False, **kw)


@pytest.mark.parametrize("kernel", ["chees", "meads"])
def test_sample_kernel_equals_the_standalone_sampler(kernel):
    res = _quiet_sample(log_prob, INIT, kernel=kernel, superchains=4, **KW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fluxion.SamplingWarning)
        ref = WRAPPERS[kernel](log_prob, INIT, superchains=4, **KW)
    assert res.kernel == kernel and res.draws["x"].shape == (32, 20, 3)
    for name in ("x", "s"):
        np.testing.assert_array_equal(res.draws[name], ref.draws[name])
    assert set(res.stats) == set(ref.stats)
    for k in ref.stats:
        np.testing.assert_array_equal(res.stats[k], ref.stats[k])
        np.testing.assert_array_equal(res.warmup_stats[k], ref.warmup_stats[k])
    np.testing.assert_array_equal(res.inv_metric[0], ref.inv_metric[0])
    np.testing.assert_array_equal(res.superchains, np.repeat(np.arange(4), 8))
    if kernel == "chees":
        assert res.trajectory_length == ref.trajectory_length
    assert "lockstep" in res.compiled_reason and res.compiled == "python"
    # nested R-hat of every parameter, as the diagnostics module computes it
    for name, x in res.draws.items():
        np.testing.assert_allclose(res.nested_rhat[name], nested_rhat(x, res.superchains))
    # ... and in the summary table, row by row (x[0..2], then s)
    table = res.summary()
    expected = np.concatenate([np.ravel(res.nested_rhat[n]) for n in res.draws])
    np.testing.assert_allclose(np.asarray(table["nested_r_hat"], dtype=float), expected)
    assert list(table.index) == res.param_labels
    assert [w.message.replace("sample:", "") for w in res.warnings] == [
        w.message.replace(f"sample_{kernel}:", "") for w in ref.warnings
    ]


def _interrupt_after(monkeypatch, iterations, exc=KeyboardInterrupt):
    """Stop the run (Ctrl-C, or a crash) at its first checkpoint opportunity after
    ``iterations`` iterations (the lockstep run is one checkpointed runner)."""
    original = store_module.RunStore.maybe_save

    def maybe_save(self, runner):
        original(self, runner)
        if runner.done >= iterations:
            raise exc("stop here")

    monkeypatch.setattr(store_module.RunStore, "maybe_save", maybe_save)


@pytest.mark.parametrize("kernel, stop", [("chees", 47), ("meads", 53), ("chees", 13)])
def test_an_interrupted_run_resumes_to_the_uninterrupted_draws(tmp_path, monkeypatch,
                                                               kernel, stop):
    whole = _quiet_sample(log_prob, INIT, kernel=kernel, **KW)
    d = tmp_path / "run"
    with monkeypatch.context() as m:
        _interrupt_after(m, stop)
        # Ctrl-C checkpoints the run where it stopped (no periodic checkpoint needed)
        if stop > KW["warmup"]:
            part = _quiet_sample(log_prob, INIT, kernel=kernel, save_dir=d,
                                 checkpoint_every=1000, **KW)
            n = stop - KW["warmup"]
            assert part.interrupted and part.draws["x"].shape == (32, n, 3)
            np.testing.assert_array_equal(part.draws["x"], whole.draws["x"][:, :n])
        else:  # stopped in warm-up: nothing to return, the checkpoint is kept
            with pytest.raises(KeyboardInterrupt, match="during warm-up"):
                _quiet_sample(log_prob, INIT, kernel=kernel, save_dir=d,
                              checkpoint_every=1000, **KW)
    assert json.loads((d / "run.json").read_text())["status"] == "interrupted"
    resumed = _quiet_sample(log_prob, INIT, kernel=kernel, save_dir=d, resume=True,
                            checkpoint_every=1000, **{k: v for k, v in KW.items() if k != "seed"})
    for name in ("x", "s"):
        np.testing.assert_array_equal(resumed.draws[name], whole.draws[name])
    for k in whole.stats:
        np.testing.assert_array_equal(resumed.stats[k], whole.stats[k])
        np.testing.assert_array_equal(resumed.warmup_stats[k], whole.warmup_stats[k])
    assert json.loads((d / "run.json").read_text())["status"] == "complete"


def test_a_crash_resumes_from_the_last_checkpoint_with_the_same_settings(tmp_path,
                                                                          monkeypatch):
    whole = _quiet_sample(log_prob, INIT, kernel="chees", **KW)
    d = tmp_path / "run"
    with monkeypatch.context() as m:
        # a crash (or a killed process) saves nothing more: the resumed run starts from the
        # last periodic checkpoint (every iteration here), written while the run went
        _interrupt_after(m, 42, exc=RuntimeError)
        with pytest.raises(RuntimeError, match="stop here"):
            _quiet_sample(log_prob, INIT, kernel="chees", save_dir=d, checkpoint_every=0, **KW)
    assert json.loads((d / "run.json").read_text())["status"] == "failed"
    for change, shown in (
        ({"superchains": 4}, "superchains: None there, 4 now"),
        ({"kernel_options": {"learning_rate": 0.1}}, "kernel_options"),
        ({"kernel": "meads"}, "kernel: 'chees' there, 'meads' now"),
    ):
        with pytest.raises(ValueError, match=f"other settings.*{shown}"):
            _quiet_sample(log_prob, INIT, save_dir=d, resume=True,
                          **{"kernel": "chees", **KW, **change})
    # numpy scalars are the same settings (and JSON-able in the fingerprint)
    resumed = _quiet_sample(log_prob, INIT, kernel="chees", save_dir=d, resume=True,
                            chain_method="parallel", **KW,
                            kernel_options={"max_leapfrog": np.int64(1000)})
    np.testing.assert_array_equal(resumed.draws["x"], whole.draws["x"])
    np.testing.assert_array_equal(resumed.stats["energy"], whole.stats["energy"])


def test_ctrl_c_from_the_progress_keeps_the_finished_draws_and_progress_shows(monkeypatch):
    whole = _quiet_sample(log_prob, INIT, kernel="chees", **KW)
    original = ChainProgress.update

    def update(self, chain, done, divergences):  # Ctrl-C once 5 draws are finished
        original(self, chain, done, divergences)
        if done == KW["warmup"] + 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(ChainProgress, "update", update)
    with pytest.warns(fluxion.SamplingWarning, match=r"interrupted; the result holds the 5 "):
        part = sample(log_prob, INIT, kernel="chees", progress=False, **KW)
    assert part.interrupted
    np.testing.assert_array_equal(part.draws["s"], whole.draws["s"][:, :5])
    # the progress lines count the lockstep run's iterations (one "chain") to the end
    monkeypatch.setattr(ChainProgress, "update", original)
    stream = io.StringIO()
    real = ChainProgress.__init__

    def to_stream(self, *args, **kw):
        real(self, *args, **{**kw, "stream": stream})

    monkeypatch.setattr(ChainProgress, "__init__", to_stream)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fluxion.SamplingWarning)
        sample(log_prob, INIT, kernel="chees", progress="lines", **KW)
    assert stream.getvalue().splitlines()[-1].startswith("sample: done")


def test_a_model_with_data_summary_arviz_and_the_exact_posterior():
    fd = pytest.importorskip("fluxion.distributions")
    # rate ~ Gamma(2, 1), k_i ~ Poisson(rate): the posterior is Gamma(2 + sum k, 1 + n)
    k = np.array([1.0, 0.0, 3.0])
    model = fd.JointDistributionNamed(
        {"rate": fd.Gamma(2.0, 1.0), "k": lambda rate: fd.Poisson(rate * np.ones(3))}
    ).condition(k=k)
    res = _quiet_sample(model, kernel="chees", chains=128, warmup=100, draws=30, seed=4,
                        superchains=8, save_warmup=True)
    rate = res.draws["rate"]
    a, b = 2.0 + k.sum(), 1.0 + k.size
    assert rate.shape == (128, 30) and np.all(rate > 0)
    assert abs(rate.mean() - a / b) <= 5 * float(mcse(rate, method="mean"))
    assert abs(rate.std(ddof=1) - np.sqrt(a) / b) <= 5 * float(mcse(rate, method="sd"))
    assert res.log_likelihood["k"].shape == (128, 30, 3)
    assert res.warmup_draws["rate"].shape == (128, 100)
    assert res.nested_rhat["rate"] < 1.05
    table = res.summary()
    assert list(table.index) == ["rate"]
    az = pytest.importorskip("arviz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ: "more chains than draws"
        idata = res.to_arviz()
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data",
            "warmup_posterior"} <= set(idata.groups())
    assert idata.posterior["rate"].shape == (128, 30)
    assert "trajectory_length" in idata.sample_stats and "diverging" in idata.sample_stats
    assert float(az.loo(idata).elpd_loo) < 0


def test_starts_chain_inits_and_optimized_start():
    # one start per chain: the chains start within init_jitter of their own start
    starts = [{"x": np.full(3, float(c)), "s": 1.0 + c} for c in range(8)]
    res = _quiet_sample(log_prob, INIT, kernel="chees", constraints=CONS, chains=8, warmup=1,
                        draws=1, seed=0, chain_inits=starts, init_jitter=1e-9, save_warmup=True,
                        kernel_options={"max_leapfrog": 1, "trajectory_length": 1e-12},
                        step_size=1e-9)
    # one leapfrog step of size 1e-9: the first warm-up draw is still at the start
    first = res.warmup_draws["x"][:, 0]
    np.testing.assert_allclose(first, np.repeat(np.arange(8.0), 3).reshape(8, 3), atol=1e-6)
    # init_method="optimize" centres the starts on the mode, (x, log s) = (1, -inf)-ish: x=1
    res = _quiet_sample(log_prob, INIT, kernel="meads", constraints=CONS, chains=8, warmup=1,
                        draws=1, seed=0, init_method="optimize", init_jitter=1e-9,
                        save_warmup=True)
    np.testing.assert_allclose(res.warmup_draws["x"][:, 0], 1.0, atol=1e-3)


def test_bad_arguments_name_the_kernel_and_the_fix():
    def run(**kw):
        sample(log_prob, INIT, constraints=CONS, progress=False,
               **{"chains": 8, "warmup": 2, "draws": 2, **kw})

    cases = [
        (dict(kernel="chees", chains=1), r"sample: expected chains .* >= 2"),
        (dict(kernel="chees", metric="dense"),
         r"sample: kernel='chees' adapts a diagonal metric.*metric='dense' is not available"),
        (dict(kernel="meads", metric="low_rank"), r"kernel='meads' adapts a diagonal metric"),
        (dict(kernel="chees", adaptation="nutpie"), r"adaptation='nutpie' does not apply"),
        (dict(kernel="chees", inverse_metric=np.ones(4)), r"drop inverse_metric"),
        (dict(kernel="chees", adapt_metric=False), r"always adapts .* warmup=0 with step_size"),
        (dict(kernel="meads", target_accept=0.8), r"kernel='meads' sets its step size.*drop "
         r"target_accept"),
        (dict(kernel="meads", step_size=0.1), r"drop step_size"),
        (dict(kernel="meads", chains=10), r"sample: expected chains to be a multiple of folds"),
        (dict(kernel="chees", superchains=3), r"sample: expected superchains .* dividing"),
        (dict(kernel="nuts", superchains=2), r"superchains is for kernel='chees' or 'meads'"),
        (dict(kernel="hmc", kernel_options={"folds": 2}), r"kernel_options is for kernel="),
        (dict(kernel="chees", kernel_options={"folds": 2}),
         r"unknown kernel_options 'folds' for kernel='chees'; expected some of 'learning_rate'"),
        (dict(kernel="chees", kernel_options={"learning_rate": -1.0}),
         r"sample: expected learning_rate > 0"),
        (dict(kernel="meads", kernel_options={"step_size_factor": 3}),
         r"sample: expected 0 < step_size_factor < 2"),
        (dict(kernel="chees", step_size=-1.0), r"sample: expected step_size > 0"),
        (dict(kernel="chees", chain_inits=[INIT] * 8, superchains=2),
         r"chain_inits .* or superchains .*, not both"),
    ]
    for kw, message in cases:
        with pytest.raises(ValueError, match=message):
            run(**kw)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="drop executor"):
        run(kernel="chees", executor=pool)
    with pytest.raises(TypeError, match="expected kernel_options as a dict"):
        run(kernel="chees", kernel_options=[("learning_rate", 0.1)])

    def branching(p):
        if p["x"][0] > 0:  # Python control flow on a value: vmap cannot batch it
            return -fnp.sum(p["x"] ** 2)
        return -2.0 * fnp.sum(p["x"] ** 2)

    with pytest.raises(TypeError, match="sample: .* batchable with fluxion.vmap"):
        sample(branching, {"x": np.ones(2)}, kernel="chees", chains=4, draws=2, warmup=2,
               seed=0, progress=False)
    with pytest.warns(fluxion.SamplingWarning, match="sample: warmup=0, so nothing is adapted: "
                      "the chains run with the step size 1e-3"):
        run(kernel="meads", warmup=0)


def test_the_command_line_runs_chees(tmp_path, capsys):
    from fluxion.cli import main

    model = tmp_path / "model.py"
    model.write_text(
        "import numpy as np\nimport fluxion.numpy as fnp\n"
        "init = {'mu': 0.0, 'sigma': 1.0}\nconstraints = {'sigma': 'positive'}\n"
        "def log_prob(p):\n"
        "    return -0.5 * p['mu'] ** 2 - p['sigma']\n"
    )
    out = tmp_path / "out"
    code = main(["sample", str(model), "--kernel", "chees", "--chains", "32", "--warmup", "40",
                 "--draws", "10", "--seed", "1", "--quiet", "--no-plots", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "mu" in printed and "sigma" in printed  # the summary table
    assert (out / "summary.csv").read_text().splitlines()[0].startswith(",mean")
    assert json.loads((out / "run.json").read_text())["fingerprint"]["kernel"] == "chees"
