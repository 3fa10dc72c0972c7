"""emcee's conventions: SampleResult.get_chain & co., integrated_time's layout, the port."""

import numpy as np
import pytest

from fluxion.diagnostics import AutocorrError, integrated_time
from fluxion.mcmc import SampleResult


def _result(n_chain=2, n_draw=5, kernel="nuts", stats=None, **kwargs):
    # values that name their own position: a = 100 c + i, w = 100 c + i + k / 10
    c = np.arange(n_chain)[:, None]
    i = np.arange(n_draw)[None, :]
    a = 100.0 * c + i
    w = a[:, :, None] + np.arange(3) / 10
    if stats is None:
        stats = {"log_density": -a, "divergent": np.zeros((n_chain, n_draw), bool)}
    return SampleResult({"a": a, "w": w}, stats, {}, [], 1.5, kernel, **kwargs)


def _ar1(rng, n_series, n, phi):
    x = np.empty((n_series, n))
    x[:, 0] = rng.normal(size=n_series) / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + rng.normal(size=n_series)
    return x


def _emcee_reference(x, c=5.0):
    """emcee's estimator by its documented definition, direct sums; x is (step, walker, dim)."""
    n_t, n_w, n_d = x.shape
    tau = np.empty(n_d)
    for d in range(n_d):
        f = np.zeros(n_t)
        for k in range(n_w):
            y = x[:, k, d] - x[:, k, d].mean()
            acov = np.correlate(y, y, mode="full")[n_t - 1:]  # sum_t y_t y_{t+lag}
            f += acov / acov[0]
        taus = 2.0 * np.cumsum(f / n_w) - 1.0
        m = np.arange(n_t) < c * taus
        window = np.argmin(m) if np.any(m) else n_t - 1
        tau[d] = taus[window]
    return tau


# --------------------------------------------------------------------------------------------------
# SampleResult


def test_get_chain_layout_and_labels():
    res = _result()
    chain = res.get_chain()
    assert chain.shape == (5, 2, 4)
    assert res.param_labels == ["a", "w[0]", "w[1]", "w[2]"] == res.labels
    for i in range(5):
        for c in range(2):
            np.testing.assert_allclose(chain[i, c], 100 * c + i + np.array([0, 0, 0.1, 0.2]))
    flat = res.get_chain(flat=True)
    assert flat.shape == (10, 4)
    np.testing.assert_array_equal(flat[3], chain[1, 1])  # row i * n_chains + c, as emcee
    np.testing.assert_array_equal(res.flatchain, flat)


def test_matrix_parameter_labels():
    draws = {"L": np.zeros((1, 4, 2, 2)), "s": np.zeros((1, 4))}
    res = SampleResult(draws, {}, {}, [], 0.0, "nuts")
    assert res.param_labels == ["L[0, 0]", "L[0, 1]", "L[1, 0]", "L[1, 1]", "s"]
    assert res.get_chain().shape == (4, 1, 5)


def test_thin_and_discard_follow_emcee():
    res = _result(n_draw=10)
    # emcee keeps draws discard + thin - 1, discard + 2 thin - 1, ...: here 3, 5, 7, 9
    chain = res.get_chain(thin=2, discard=2)
    np.testing.assert_array_equal(chain[:, 0, 0], [3, 5, 7, 9])
    np.testing.assert_array_equal(res.get_chain(discard=8)[:, 1, 0], [108, 109])
    lp = res.get_log_prob(thin=3)
    assert lp.shape == (3, 2)
    np.testing.assert_array_equal(lp[:, 1], [-102, -105, -108])
    assert res.get_log_prob(flat=True).shape == (20,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"thin": 0}, "get_chain: expected thin to be an integer >= 1, got 0"),
        ({"thin": 1.5}, "thin to be an integer"),
        ({"discard": -1}, "get_chain: expected discard to be an integer >= 0"),
        ({"discard": 5}, "get_chain: discard=5 and thin=1 leave no draws of the 5"),
        ({"discard": 3, "thin": 3}, "leave no draws"),
    ],
)
def test_get_chain_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _result().get_chain(**kwargs)


def test_get_log_prob_and_acceptance_fraction_errors():
    res = _result(stats={"accept_prob": np.ones((2, 5))})
    with pytest.raises(ValueError, match="get_log_prob: .*no stats\\['log_density'\\]"):
        res.get_log_prob()
    with pytest.raises(ValueError, match="acceptance_fraction: kernel 'nuts'.*accept_prob"):
        res.acceptance_fraction  # noqa: B018
    with pytest.raises(ValueError, match="get_log_prob: expected thin"):
        _result().get_log_prob(thin=0)


def test_acceptance_fraction_per_walker():
    accepted = np.array([[1, 0, 1, 1], [0, 0, 0, 1], [1, 1, 1, 1]], dtype=float)
    res = SampleResult({"x": np.zeros((3, 4))}, {"accepted": accepted}, {}, [], 0.0, "ensemble")
    np.testing.assert_allclose(res.acceptance_fraction, [0.75, 0.25, 1.0])


def test_repr_counts_parameters_and_scalars():
    text = repr(_result())
    assert "2 chains x 5 draws" in text
    assert "2 parameters (4 scalars)" in text and "0 divergences" in text
    one = SampleResult({"w": np.zeros((1, 3, 3))}, {"divergent": np.eye(1, 3, dtype=bool)},
                       {}, [], 0.0, "nuts")
    assert "1 chain x 3 draws, 1 parameter (3 scalars), 1 divergence," in repr(one)
    scalars = SampleResult({"m": np.zeros((32, 2)), "b": np.zeros((32, 2))}, {}, {}, [], 0.0,
                           "ensemble")
    assert "32 walkers x 2 draws, 2 parameters, 0 divergences" in repr(scalars)


def test_warnings_attribute():
    res, other = _result(), _result()
    assert res.warnings == [] and res.warnings is not other.warnings
    flagged = _result(warnings=["R-hat of w[0] is 1.2"])
    assert flagged.warnings == ["R-hat of w[0] is 1.2"]


def test_get_autocorr_time_matches_emcee_definition():
    rng = np.random.default_rng(3)
    x = np.stack([_ar1(rng, 8, 3000, 0.7), _ar1(rng, 8, 3000, 0.2)], axis=-1)  # (chain, draw, 2)
    res = SampleResult({"x": x}, {}, {}, [], 0.0, "ensemble")
    tau = res.get_autocorr_time()
    assert tau.shape == (2,)
    np.testing.assert_allclose(tau, _emcee_reference(np.swapaxes(x, 0, 1)), rtol=1e-9)
    np.testing.assert_allclose(tau, [(1 + 0.7) / 0.3, 1.2 / 0.8], rtol=0.15)
    thinned = res.get_autocorr_time(thin=2, discard=10, quiet=True)
    np.testing.assert_allclose(
        thinned, 2 * integrated_time(res.get_chain(thin=2, discard=10), quiet=True)
    )
    short = SampleResult({"x": x[:, :100]}, {}, {}, [], 0.0, "ensemble")
    with pytest.raises(AutocorrError, match="shorter than 50 times"):
        short.get_autocorr_time()
    with pytest.warns(RuntimeWarning, match="shorter than 50 times"):
        short.get_autocorr_time(quiet=True)


# --------------------------------------------------------------------------------------------------
# integrated_time in emcee's layout


def test_integrated_time_takes_emcee_layout():
    rng = np.random.default_rng(4)
    walkers = np.stack([_ar1(rng, 16, 2000, 0.8), _ar1(rng, 16, 2000, 0.4)], axis=-1)
    steps_first = np.swapaxes(walkers, 0, 1)  # (step, walker, dim), emcee's get_chain()
    ref = _emcee_reference(steps_first)
    np.testing.assert_allclose(integrated_time(steps_first), ref, rtol=1e-9)
    np.testing.assert_allclose(integrated_time(walkers, layout="chain_draw"), ref, rtol=1e-9)
    # the worksheet's lines: emcee 2's sampler.chain is (walker, step, dim)
    np.testing.assert_allclose(integrated_time(np.swapaxes(walkers, 0, 1)), ref, rtol=1e-9)
    nuts0 = walkers[0]  # (steps, dim): one chain
    one = integrated_time(nuts0[:, None, :])
    np.testing.assert_allclose(one, _emcee_reference(nuts0[:, None, :]), rtol=1e-9)
    np.testing.assert_allclose(integrated_time(nuts0, has_walkers=False), one)
    # 2-D (step, walker) and 1-D
    two = integrated_time(steps_first[..., 0])
    np.testing.assert_allclose(two, ref[0], rtol=1e-9)
    np.testing.assert_allclose(integrated_time(nuts0[:, 0]), one[0], rtol=1e-9)


def test_integrated_time_layout_errors():
    rng = np.random.default_rng(5)
    draws = _ar1(rng, 4, 3000, 0.5)  # (chain, draw): fluxion's layout, read as 4 emcee steps
    with pytest.raises(AutocorrError, match="read as 4 steps of 3000 walkers.*layout='chain_draw'"):
        integrated_time(draws)
    assert integrated_time(draws, layout="chain_draw") > 1.5
    with pytest.raises(ValueError, match="integrated_time: unknown layout 'walker_step'"):
        integrated_time(draws, layout="walker_step")


# --------------------------------------------------------------------------------------------------
# the worksheet's emcee section, ported (examples/emcee_port.py)


def test_emcee_port_example_runs(tmp_path):
    import importlib.util

    import emcee_port

    # the corner plot needs the plot extra (matplotlib, corner); CI installs only the test one
    plots = all(importlib.util.find_spec(m) is not None for m in ("matplotlib", "corner"))
    out = tmp_path / "corner.png"
    res = emcee_port.main(walkers=16, warmup=30, draws=150, nuts_draws=80, nuts_warmup=60,
                          out=str(out) if plots else None, verbose=False)
    result = res["result"]
    assert res["chain"].shape == (150, 16, 3)
    assert result.flatchain.shape == (150 * 16, 3)
    if plots:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    tau = np.asarray(res["tau_emcee"])
    assert tau.shape == (3,) and np.all(tau > 1)
    with pytest.warns(RuntimeWarning, match="shorter than 50 times"):  # 150 steps < 50 tau
        np.testing.assert_allclose(tau, result.get_autocorr_time(quiet=True))
    assert res["neff_emcee"] == pytest.approx(150 * 16 / np.mean(tau))
    assert np.asarray(res["tau_nuts"]).shape == (3,)
    assert res["nuts"].get_chain().shape == (80, 1, 3)
    # the posterior is the worksheet's: m near its true -0.4 (sd ~0.02)
    assert abs(np.mean(result.flatchain[:, 0]) + 0.4) < 0.1
    assert np.all((result.acceptance_fraction > 0) & (result.acceptance_fraction < 1))


def test_an_ensemble_summary_has_tau_not_a_walker_r_hat():
    import fluxion.numpy as fnp
    from fluxion.mcmc import sample

    res = sample(lambda p: -0.5 * fnp.sum(p["x"] ** 2), {"x": np.zeros(2)}, kernel="ensemble",
                 walkers=8, draws=1500, warmup=200, seed=1, progress=False)
    table = res.summary()
    columns = list(table.columns)
    assert "r_hat" not in columns and "ess_bulk" not in columns
    assert columns[-3:] == ["tau", "ess", "mcse_mean"]
    tau = np.asarray(table["tau"], dtype=float)
    np.testing.assert_allclose(tau, res.get_autocorr_time(quiet=True))
    np.testing.assert_allclose(np.asarray(table["ess"], dtype=float), 8 * 1500 / tau)
