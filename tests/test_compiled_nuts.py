"""The compiled NUTS (numba): whole chains with Stan's warm-up, and single transitions.

The core (``_nuts_core.py``) compiles once per cache directory (several seconds): the tests
share one temporary cache directory for the session (conftest's ``compiled_nuts`` fixture).
"""

import warnings

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion.diagnostics import ess
from fluxion.mcmc import sample

pytest.importorskip("numba")

from test_mcmc import (  # noqa: E402
    check_divergences_reported,
    check_moments,
    correlated_gaussian,
)


@pytest.fixture(autouse=True, params=["tape", "kernel"])
def potential(request):
    """Every test here samples with the compiled NUTS (conftest), reaching the model through
    the tape machine and through its numba kernel."""
    request.getfixturevalue("compiled_nuts" if request.param == "tape" else "compiled_kernel")
    return request.param


def gaussian_log_prob(mu, cov):
    prec = np.linalg.inv(cov)

    def log_prob(x):
        r = x - mu
        return -0.5 * fnp.sum(r * (prec @ r))

    return log_prob


def test_100_dimensional_correlated_gaussian_in_compiled_chains():
    d = 100
    mu, cov = correlated_gaussian(d)
    res = sample(
        gaussian_log_prob(mu, cov),
        np.zeros(d),
        chains=4,
        draws=1000,
        warmup=1000,
        seed=1,
        progress=False,
    )
    assert res.compiled == "chain"
    draws = res.draws["x"]
    assert draws.shape == (4, 1000, d)
    check_moments(draws, mu, cov, sd_tol=np.inf)
    # each variance within 4.5 of its Monte-Carlo standard errors (Var[s^2] / sigma^4 is
    # about 2 / ESS of the squares): a fixed 10% bound over 100 dimensions failed at 3.5
    # standard errors (0.1002) once the compiled sums took NumPy's summation order
    var = draws.reshape(-1, d).var(axis=0)
    tol = 4.5 * np.sqrt(2 / ess((draws - mu) ** 2))
    assert np.all(np.abs(var / np.diag(cov) - 1) < tol)
    assert res.num_divergences == 0
    assert np.all(ess(draws) > 200)
    # Stan's warm-up ran: the adapted diagonal metric approximates the marginal variances
    for inv_mass in res.inv_metric:
        assert np.all(np.abs(inv_mass / np.diag(cov) - 1) < 0.5)
    assert res.warmup_stats["step_size"].shape == (4, 1000)
    assert np.all(res.stats["step_size"] == res.stats["step_size"][:, :1])  # fixed after warm-up


def test_compiled_chains_with_nutpie_adaptation():
    mu, cov = correlated_gaussian(4, seed=5)
    res = sample(
        gaussian_log_prob(mu, cov),
        np.zeros(4),
        chains=4,
        draws=1000,
        warmup=500,
        seed=2,
        progress=False,
        adaptation="nutpie",
    )
    assert res.compiled == "chain"
    assert res.adaptation == ["nutpie"] * 4
    check_moments(res.draws["x"], mu, cov)
    # the gradient-informed metric of a Gaussian is its marginal variances (exact from few
    # draws: Var[x] / Var[grad] = sigma^4 here)
    for inv_mass in res.inv_metric:
        assert np.all(np.abs(inv_mass / np.diag(cov) - 1) < 0.5)
    assert res.stats["n_leapfrog"].mean() > 1


def test_threads_processes_and_sequential_chains_give_the_same_draws():
    mu, cov = correlated_gaussian(3, seed=7)
    lp = gaussian_log_prob(mu, cov)
    kw = {"chains": 3, "draws": 200, "warmup": 200, "seed": 11, "progress": False}
    a = sample(lp, np.zeros(3), chain_method="threads", **kw)
    b = sample(lp, np.zeros(3), chain_method="sequential", **kw)
    c = sample(lp, np.zeros(3), **kw)  # "auto": threads
    e = sample(lp, np.zeros(3), chain_method="parallel", **kw)  # forked processes
    assert a.compiled == b.compiled == c.compiled == e.compiled == "chain"
    np.testing.assert_array_equal(a.draws["x"], b.draws["x"])
    np.testing.assert_array_equal(a.draws["x"], c.draws["x"])
    np.testing.assert_array_equal(a.draws["x"], e.draws["x"])
    d = sample(lp, np.zeros(3), **{**kw, "seed": 12})
    assert not np.array_equal(a.draws["x"], d.draws["x"])


def test_constrained_pytree_model_with_integer_data():
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 3, size=300)
    data = rng.normal(np.array([-1.0, 0.5, 2.0])[groups], 0.7)

    def log_prob(p):
        mu, sigma = p["mu"], p["sigma"]
        r = (data - fnp.take(mu, groups)) / sigma
        return fnp.sum(-0.5 * r**2) - data.size * fnp.log(sigma) - 0.5 * fnp.sum(mu**2) / 100

    res = sample(
        log_prob,
        {"mu": np.zeros(3), "sigma": 1.0},
        constraints={"mu": None, "sigma": "positive"},
        chains=2,
        draws=800,
        warmup=500,
        seed=0,
        progress=False,
    )
    assert res.compiled == "chain"
    assert res.draws["mu"].shape == (2, 800, 3)
    assert res.draws["sigma"].shape == (2, 800)
    assert res.draws["sigma"].min() > 0
    for k in range(3):
        sel = data[groups == k]
        assert abs(res.draws["mu"][..., k].mean() - sel.mean()) < 0.05
    assert abs(res.draws["sigma"].mean() - 0.7) < 0.05


def test_compiled_chains_report_divergences():
    res = check_divergences_reported(draws=1000, warmup=300, seed=1)
    assert res.compiled == "chain"


@pytest.mark.parametrize("warmup, max_depth", [(0, 10), (10, 10), (60, 1)])
def test_short_warmup_and_shallow_trees(warmup, max_depth):
    lp = gaussian_log_prob(np.zeros(2), np.eye(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(
            lp,
            np.zeros(2),
            chains=2,
            draws=100,
            warmup=warmup,
            max_depth=max_depth,
            seed=3,
            progress=False,
        )
    assert res.compiled == "chain"
    assert res.draws["x"].shape == (2, 100, 2)
    assert np.all(np.isfinite(res.draws["x"]))
    assert res.stats["tree_depth"].max() <= max_depth
    assert np.all(res.stats["n_leapfrog"] <= 2**max_depth)


def test_progress_while_threads_run(capsys):
    # stderr is not a terminal under pytest: plain lines, and a final line for all chains
    lp = gaussian_log_prob(np.zeros(2), np.eye(2))
    res = sample(lp, np.zeros(2), chains=2, draws=100, warmup=100, seed=3, progress=True)
    assert res.compiled == "chain"
    lines = capsys.readouterr().err.splitlines()
    assert any("sampling" in line and " it/s, ETA " in line for line in lines[:-1])
    assert lines[-1].startswith("sample: done, 400 iterations (2 chains x 100 warm-up + 100 draws)")
    assert "divergence" in lines[-1]


def test_a_nan_log_density_is_outside_the_support():
    # log(x) is NaN for x < 0: the compiled potential maps NaN to -inf, so trajectories that
    # leave the support are divergent or rejected, never accepted
    def lp(x):
        return fnp.sum(fnp.log(x) - x)  # Gamma(2, 1) on x > 0, written without constraints

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(lp, np.ones(1), chains=2, draws=1000, warmup=500, seed=4, progress=False)
    assert res.compiled == "chain"
    assert res.draws["x"].min() > 0
    assert abs(res.draws["x"].mean() - 2.0) < 0.2


def test_python_branches_on_values_call_the_model_from_the_compiled_nuts():
    # a value guard in the kernel: leaving the traced branch needs a retrace, so neither the
    # kernel nor the tape can run it; the compiled NUTS calls the jitted model back in Python
    def lp(x):
        if x[0] > 0:  # a Python branch on a traced value (fine under jit: guarded)
            return -0.5 * fnp.sum(x**2)
        return -0.5 * fnp.sum(x**2) - 0.0

    with pytest.warns(fluxion.PerformanceWarning, match="value guards") as caught:
        res = sample(lp, np.ones(2), chains=2, draws=200, warmup=200, seed=1, progress=False)
    assert not [w for w in caught if "NUTS runs in Python" in str(w.message)]
    assert (res.compiled, res.potential) == ("chain", "python")
    assert "value guards" in res.compiled_reason
    assert np.all(np.isfinite(res.draws["x"]))


def test_one_nuts_whatever_the_potential():
    # the same seed gives the same draws whether the model's gradient is its compiled form or
    # the model called back in Python (jit=False): one NUTS implementation. A density whose
    # value and gradient round alike in every evaluator (squares and powers of two), because
    # a last-bit difference (jit's rewrites, a sum's order) can flip one U-turn and so a chain
    def lp(p):
        return -0.5 * (p["mu"] - 1.0) ** 2 - 0.125 * p["v"] ** 2

    runs = {
        jit: sample(lp, {"mu": 0.0, "v": 0.5}, chains=2, draws=300, warmup=300, seed=3,
                    progress=False, jit=jit)
        for jit in (True, False)
    }
    assert runs[False].potential == "python" and runs[True].potential in ("tape", "kernel")
    assert "jit=False" in runs[False].compiled_reason
    for name in ("mu", "v"):
        np.testing.assert_array_equal(runs[False].draws[name], runs[True].draws[name])


def test_a_compiled_transition_is_the_python_nuts_transition():
    # CompiledTransition (the tree in the core, for warm-ups kept in Python) against the
    # reference nuts_step: from one state, with one step size and metric, the two transition
    # kernels give the same distribution of the next draw and of the tree's statistics
    from fluxion._src.mcmc.numba_nuts import compiled_nuts
    from fluxion.mcmc import Metric, init_state, nuts_step

    mu, cov = correlated_gaussian(4, seed=2)
    lp = fluxion.jit(fluxion.value_and_grad(gaussian_log_prob(mu, cov)))
    lp(np.zeros(4))
    native = lp.lower(np.zeros(4)).native_potential(fluxion.config.mcmc_potential)
    step = compiled_nuts(native, "stan").transition_step(4, 10)
    state = init_state(lp, np.ones(4))
    metric = Metric(np.diag(cov))
    n = 2500
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(1)
    a = [step(rng_a, state, 0.4, metric) for _ in range(n)]
    b = [nuts_step(rng_b, state, lp, 0.4, metric) for _ in range(n)]
    for key in ("n_leapfrog", "tree_depth", "accept_prob"):
        va = np.array([info[key] for _, info in a], dtype=float)
        vb = np.array([info[key] for _, info in b], dtype=float)
        se = np.sqrt((va.var() + vb.var()) / n)
        assert abs(va.mean() - vb.mean()) < 4.5 * se + 1e-12, (key, va.mean(), vb.mean())
    qa = np.array([s.q for s, _ in a])
    qb = np.array([s.q for s, _ in b])
    se = np.sqrt((qa.var(0) + qb.var(0)) / n)
    assert np.all(np.abs(qa.mean(0) - qb.mean(0)) < 4.5 * se)
    # the state handed in is left alone; the log density returned is the new draw's
    np.testing.assert_array_equal(state.q, np.ones(4))
    s, _ = a[-1]
    assert s.logp == pytest.approx(float(lp(s.q)[0]), rel=1e-12)


@pytest.mark.filterwarnings("ignore:sample. (R-hat|bulk ESS|tail ESS)")  # the short runs
def test_warmups_kept_in_python_build_their_trees_compiled(potential, tmp_path, monkeypatch):
    # nutpie's low-rank metric and adapt_metric without adapt_step_size: the tuner in Python,
    # every transition in the core. No PerformanceWarning, the Gaussian's moments, and the same
    # draws sequentially, in threads, and after an interrupted run resumes
    from test_resume import _interrupt_after

    mu, cov = correlated_gaussian(6, seed=3)
    log_prob = gaussian_log_prob(mu, cov)
    kw = {"chains": 2, "draws": 600, "warmup": 300, "seed": 4, "progress": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        low = sample(log_prob, np.zeros(6), adaptation="nutpie", metric="low_rank",
                     chain_method="sequential", **kw)
        fixed = sample(log_prob, np.zeros(6), step_size=0.5, adapt_step_size=False, **kw)
    assert (low.compiled, fixed.compiled) == ("transition", "transition")
    assert low.potential == fixed.potential == potential
    assert low.inv_metric[0].shape == (6, 6) and low.adaptation == ["nutpie"] * 2
    check_moments(low.draws["x"], mu, cov)
    assert np.all(fixed.stats["step_size"] == 0.5)  # the step stays, the metric is learnt
    assert not np.allclose(fixed.inv_metric[0], 1.0)
    check_moments(fixed.draws["x"], mu, cov)
    threads = sample(log_prob, np.zeros(6), adaptation="nutpie", metric="low_rank",
                     chain_method="threads", **kw)
    np.testing.assert_array_equal(threads.draws["x"], low.draws["x"])
    # (a short run: checkpoint_every=0 saves after every iteration of a Python-driven chain)
    short = {**kw, "draws": 60, "warmup": 60, "adaptation": "nutpie", "metric": "low_rank"}
    whole = sample(log_prob, np.zeros(6), **short)
    with monkeypatch.context() as m:
        _interrupt_after(m, 90)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            part = sample(log_prob, np.zeros(6), save_dir=tmp_path / "run", checkpoint_every=0,
                          **short)
    assert part.interrupted
    resumed = sample(log_prob, np.zeros(6), save_dir=tmp_path / "run", resume=True, **short)
    np.testing.assert_array_equal(resumed.draws["x"], whole.draws["x"])


def test_an_exception_in_a_python_potential_reaches_the_caller():
    # an error inside the callback cannot unwind through numba's frames: it is kept, the core
    # finishes its chunk on NaNs (divergences), and sample re-raises it unchanged
    calls = [0]

    def lp(x):
        calls[0] += 1
        if calls[0] > 150:
            raise RuntimeError("the model failed on purpose")
        return -0.5 * fnp.sum(x**2)

    with pytest.raises(RuntimeError, match="failed on purpose"):
        sample(lp, np.zeros(2), chains=1, draws=200, warmup=200, seed=1, progress=False,
               jit=False)
    assert calls[0] == 151  # after the error, the core's remaining calls never reach the model


def test_an_exception_in_the_model_rejects_the_point(potential):
    # solve() of a matrix that is singular at x = 1: there the compiled potential returns NaN
    # (the sampler's "outside the support"), it neither crashes nor returns garbage
    import ctypes

    from fluxion._src.mcmc.sample import Model, _compiled_nuts

    swap = np.array([[0.0, 1.0], [1.0, 0.0]])

    def lp(x):
        m = np.eye(2) + x[0] * swap
        y = fnp.linalg.solve(m, np.array([1.0, 0.0]))
        return -0.5 * fnp.sum(x**2) + 1e-3 * fnp.sum(y)

    model = Model(lp, np.zeros(1))
    model.logp_and_grad(model.u0)
    fast, _ = _compiled_nuts(model, "stan")
    assert fast is not None
    assert fast.potential == potential
    fn = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)(
        fast.fn
    )
    grad = np.zeros(1)
    ctx, _owner = fast.context()
    for x, finite in ((0.5, True), (1.0, False), (2.0, True)):
        q = np.array([x])
        value = fn(q.ctypes.data, grad.ctypes.data, ctx)
        assert np.isfinite(value) == finite, (x, value)
        if finite:
            want = model.logp_and_grad(q)
            assert value == pytest.approx(float(want[0]), rel=1e-12)
            np.testing.assert_allclose(grad, want[1], rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(lp, np.zeros(1), chains=2, draws=500, warmup=300, seed=2, progress=False)
    assert res.compiled == "chain"


def test_threads_stop_when_told():
    # what Ctrl-C does to chains in threads: the progress object's stop event makes every
    # worker raise at its next chunk
    from fluxion._src.mcmc.progress import ChainProgress

    progress = ChainProgress(False, 2, 50, 50)
    progress.update(0, 10, 0)  # running: nothing happens
    progress.stop.set()
    with pytest.raises(KeyboardInterrupt):
        progress.update(0, 11, 0)


def test_dense_metric_in_compiled_chains():
    # a strongly correlated Gaussian: Stan's dense warm-up learns the covariance, after which
    # NUTS needs few leapfrog steps (a diagonal metric needs many)
    d = 10
    rng = np.random.default_rng(4)
    a = rng.normal(size=(d, d))
    cov = a @ a.T / d + 0.05 * np.eye(d)
    mu = rng.normal(size=d)
    lp = gaussian_log_prob(mu, cov)
    kw = {"chains": 4, "draws": 1000, "warmup": 1000, "seed": 6, "progress": False}
    dense = sample(lp, np.zeros(d), metric="dense", **kw)
    diag = sample(lp, np.zeros(d), **kw)
    assert dense.compiled == diag.compiled == "chain"
    check_moments(dense.draws["x"], mu, cov)
    assert dense.inv_metric[0].shape == (d, d)
    for inv in dense.inv_metric:  # the adapted metric estimates the covariance
        assert np.allclose(inv, inv.T)
        assert np.linalg.norm(inv - cov) / np.linalg.norm(cov) < 0.25
    assert dense.stats["n_leapfrog"].mean() < 0.5 * diag.stats["n_leapfrog"].mean()


def _regression(n, k, seed):
    """A linear regression posterior (k coefficients, log sigma) on n x k data, and its init."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    y = x @ rng.normal(size=k) + 0.5 * rng.normal(size=n)

    def lp(p):
        r = y - x @ p["beta"]
        return (-n * p["log_sigma"] - 0.5 * fnp.sum(r * r) * fnp.exp(-2.0 * p["log_sigma"])
                - 0.5 * fnp.sum(p["beta"] ** 2) / 100.0)

    return lp, {"beta": np.zeros(k), "log_sigma": 0.0}


def test_a_model_with_more_than_thirty_constants_samples_compiled(potential):
    # the kernel potential hands the kernel one argument per constant: past 30, CPython 3.11
    # builds the call through a list, which numba cannot type inside the cfunc's try block
    # (the annotation example on 200 x 10 labels fell back to the Python NUTS)
    rng = np.random.default_rng(3)
    centres = [rng.normal(size=3) for _ in range(36)]  # 36 constants of the graph

    def lp(p):
        total = -0.5 * fnp.sum(p["x"] ** 2)
        for c in centres:
            total = total - 0.01 * fnp.sum((p["x"] - c) ** 2)
        return total

    # the density is Gaussian: precision 1 + 0.02 * 36, mean 0.02 * sum(centres) / precision
    precision = 1.0 + 0.02 * len(centres)
    mean = 0.02 * np.sum(centres, axis=0) / precision
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        res = sample(lp, {"x": np.zeros(3)}, chains=2, draws=1000, warmup=300, seed=5,
                     progress=False)
    assert res.compiled == "chain" and res.potential == potential, res.compiled_reason
    draws = res.draws["x"].reshape(-1, 3)
    se = np.sqrt(1.0 / precision / ess(res.draws["x"][..., 0]))
    np.testing.assert_allclose(draws.mean(0), mean, atol=5 * se)
    np.testing.assert_allclose(draws.var(0), 1.0 / precision, rtol=0.15)


@pytest.mark.parametrize("failing", [("kernel",), ("kernel", "tape")])
def test_a_potential_that_fails_to_compile_leaves_the_chains_compiled(potential, failing,
                                                                      monkeypatch):
    # a failed compile of the model's potential is not the core's: the next form down (tape,
    # then a Python callback) keeps the chains in numba, with a warning naming the failure
    if potential != "kernel":
        pytest.skip("the failure starts from the kernel")
    from fluxion._src.mcmc import numba_nuts

    real = numba_nuts.compiled_nuts

    def compiled_nuts(native, adaptation):
        if native.kind in failing:
            raise RuntimeError(f"compiling failed for fx_{native.kind} (simulated)")
        return real(native, adaptation)

    monkeypatch.setattr(numba_nuts, "compiled_nuts", compiled_nuts)
    mu, cov = correlated_gaussian(3, seed=4)
    instead = "tape machine" if len(failing) == 1 else "Python callback"
    with pytest.warns(fluxion.PerformanceWarning,
                      match=f"kernel potential failed.*simulated.*{instead}"):
        res = sample(gaussian_log_prob(mu, cov), np.zeros(3), chains=2, draws=1000,
                     warmup=300, seed=2, progress=False)
    assert res.compiled == "chain"
    assert res.potential == ("tape" if len(failing) == 1 else "python"), res.compiled_reason
    assert "kernel potential failed" in res.compiled_reason
    check_moments(res.draws["x"], mu, cov, sd_tol=np.inf)


def test_auto_chooses_the_potential_from_the_graph_alone(potential):
    # config.mcmc_potential = "auto": the choice depends on the model, never on what is cached
    # (the kernel and the tape round differently: a choice made from the cache would change
    # the draws of a seed between the first run on a machine and the next)

    if potential == "kernel":
        pytest.skip("one run of the auto path is enough")
    fluxion.config.update("mcmc_potential", "auto")
    small = np.linspace(-1.0, 2.0, 7)  # a model no other test compiles

    def lp(p):
        return -0.5 * fnp.sum((small - p["mu"]) ** 2) - 0.05 * p["mu"] ** 4

    kw = {"chains": 2, "draws": 300, "warmup": 300, "seed": 4, "progress": False}
    first = sample(lp, {"mu": 0.0}, **kw)
    again = sample(lp, {"mu": 0.0}, **kw)
    assert (first.compiled, first.potential) == (again.compiled, again.potential)
    assert first.potential == "tape" and "below KERNEL_MIN_WORK" in first.compiled_reason
    np.testing.assert_array_equal(again.draws["mu"], first.draws["mu"])
    # a regression on 2000 x 40 data moves enough data per gradient (360,941 elements) for the
    # kernel: its first run compiles the kernel (and waits), the second loads it; same draws
    big, init = _regression(2000, 40, seed=7)
    first = sample(big, init, **kw)
    again = sample(big, init, **kw)
    assert first.potential == again.potential == "kernel"
    np.testing.assert_array_equal(again.draws["beta"], first.draws["beta"])


_COLD_WARM_SCRIPT = """
import sys, numpy as np, fluxion
sys.path.insert(0, {tests!r})
from test_compiled_nuts import _regression
fluxion.config.update("cache_dir", {cache!r})
fluxion.config.update("mcmc_potential", {potential!r})
lp, init = _regression(200, 50, seed=8)
res = fluxion.mcmc.sample(lp, init, chains=2, draws=200, warmup=200, seed=11, progress=False)
assert res.compiled == "chain", res.compiled_reason
np.save({out!r}, res.draws["beta"])
"""


@pytest.mark.slow
def test_cold_and_warm_cache_give_the_same_draws(potential, tmp_path):
    # a fresh process on an empty cache directory (the core, and the kernel or the tape
    # machine, compile first), then one on the filled directory: the same seed, the same draws
    import os
    import subprocess
    import sys

    tests = os.path.dirname(os.path.abspath(__file__))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    outs = []
    for run in ("cold", "warm"):
        out = str(tmp_path / f"{run}.npy")
        script = _COLD_WARM_SCRIPT.format(
            tests=tests, cache=str(tmp_path / "cache"), potential=potential, out=out
        )
        subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=900)
        outs.append(np.load(out))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_a_gather_and_its_scatter_add_run_in_compiled_chains(potential):
    # a hierarchical normal model: each observation reads its group's mean through a data
    # index array (a gather, mu[group]); the gradient scatters back (scatter_add). Conjugate:
    # mu_j | y ~ N(sum_j y / (n_j + 1/s0^2), 1 / (n_j + 1/s0^2)), independent across groups
    rng = np.random.default_rng(12)
    n_groups, s0 = 6, 2.0
    group = rng.integers(0, n_groups, size=120)
    y = rng.normal(0.4 * group, 1.0)

    def lp(p):
        r = y - p["mu"][group]
        return -0.5 * fnp.sum(r * r) - 0.5 * fnp.sum(p["mu"] ** 2) / s0**2

    res = sample(lp, {"mu": np.zeros(n_groups)}, chains=4, draws=1000, warmup=500, seed=3,
                 progress=False)
    assert (res.compiled, res.potential) == ("chain", potential)
    precision = np.bincount(group, minlength=n_groups) + 1.0 / s0**2
    mean = np.bincount(group, weights=y, minlength=n_groups) / precision
    check_moments(res.draws["mu"], mean, np.diag(1.0 / precision))


def test_a_gather_of_rows_runs_on_the_potential_asked_for(potential):
    # rows of a matrix parameter gathered by a data index (beta[group] of a (groups, k) array):
    # its transpose is a scatter_add of rows, which both the tape machine and the model's
    # numba kernel lower (an accumulating loop over the index array, a row per index), so the
    # chains run on whichever potential is asked for, with no fallback warning

    rng = np.random.default_rng(13)
    n_groups, k = 4, 3
    group = rng.integers(0, n_groups, size=80)
    x = rng.normal(size=(80, k))
    y = rng.normal(size=80)

    def lp(p):
        beta = p["beta"]
        r = y - fnp.sum(x * beta[group], axis=1)
        return -0.5 * fnp.sum(r * r) - 0.5 * fnp.sum(beta**2)

    kw = {"chains": 2, "draws": 1000, "warmup": 500, "seed": 3, "progress": False}
    init = {"beta": np.zeros((n_groups, k))}
    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        res = sample(lp, init, **kw)
    assert (res.compiled, res.potential) == ("chain", potential)
    # the posterior is Gaussian: its mean solves the normal equations of the grouped regression
    precision = np.zeros((n_groups * k, n_groups * k))
    rhs = np.zeros(n_groups * k)
    for row, g in zip(x, group):
        sl = slice(g * k, (g + 1) * k)
        precision[sl, sl] += np.outer(row, row)
    for row, g, yy in zip(x, group, y):
        rhs[g * k:(g + 1) * k] += row * yy
    precision += np.eye(n_groups * k)
    mean = np.linalg.solve(precision, rhs)
    draws = res.draws["beta"]
    check_moments(draws.reshape(*draws.shape[:2], n_groups * k), mean, np.linalg.inv(precision))


def test_special_functions_run_compiled_on_the_tape(potential):
    # a gamma-Poisson (negative binomial) likelihood: gammaln and its derivative digamma of a
    # parameter. Their scalar formulas (prims/special.py) lower them in the tape machine and in
    # the model's numba kernel alike, so the chains are compiled either way
    import fluxion.scipy.special as fsp

    rng = np.random.default_rng(3)
    counts = rng.negative_binomial(5.0, 5.0 / (5.0 + 4.0), size=200).astype(float)

    def lp(p):
        r, mu = p["r"], p["mu"]
        return fnp.sum(
            fsp.gammaln(counts + r)
            - fsp.gammaln(r)
            + r * fnp.log(r / (r + mu))
            + counts * fnp.log(mu / (r + mu))
        )

    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)  # no fallback either way
        res = sample(
            lp,
            {"r": 2.0, "mu": 3.0},
            constraints={"r": "positive", "mu": "positive"},
            chains=2,
            draws=500,
            warmup=500,
            seed=5,
            progress=False,
        )
    assert (res.compiled, res.potential) == ("chain", potential)
    # the posterior sits near the truth (r 5, mu 4) and the mean count
    assert abs(np.mean(res.draws["mu"]) - counts.mean()) < 0.3
    assert 2.0 < np.mean(res.draws["r"]) < 12.0
