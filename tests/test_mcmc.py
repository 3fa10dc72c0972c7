"""fluxion.mcmc: NUTS, HMC and the ensemble sampler on posteriors with known moments."""

import warnings

import numpy as np
import pytest

import fluxion.numpy as fnp
from fluxion.diagnostics import ess, mcse, rhat
from fluxion.mcmc import sample


def correlated_gaussian(d, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d))
    cov = a @ a.T / d + 0.5 * np.eye(d)
    return rng.standard_normal(d), cov


def check_moments(draws, mu, cov, sd_tol=None):
    """Every mean within 4 MCSE of the truth, R-hat < 1.01, and every variance within
    ``sd_tol`` (relative) or, by default, within 4.5 of its own Monte-Carlo standard errors
    (Var[s^2] / sigma^4 is about 2 / ESS of the squares): a fixed 10% over 100 dimensions
    failed at 3 standard errors whenever the gradient's rounding changed the chains' paths."""
    m = mcse(draws, method="mean")
    mean = draws.mean(axis=(0, 1))
    assert np.all(np.abs(mean - mu) <= 4 * m), np.max(np.abs(mean - mu) / m)
    var = draws.reshape(-1, mu.size).var(axis=0)
    if sd_tol is None:
        sd_tol = 4.5 * np.sqrt(2 / ess((draws - mu) ** 2))
    assert np.all(np.abs(var / np.diag(cov) - 1) < sd_tol), np.max(np.abs(var / np.diag(cov) - 1))
    assert np.all(rhat(draws) < 1.01), np.max(rhat(draws))


@pytest.mark.parametrize("kernel", ["nuts", "hmc"])
def test_100_dimensional_correlated_gaussian(kernel):
    d = 100
    mu, cov = correlated_gaussian(d)
    prec = np.linalg.inv(cov)

    def log_prob(x):
        r = x - mu
        return -0.5 * r @ (prec @ r)

    res = sample(
        log_prob,
        np.zeros(d),
        kernel=kernel,
        chains=4,
        draws=1000,
        warmup=1000,
        seed=1,
        progress=False,
        num_steps=24,
    )
    draws = res.draws["x"]
    assert draws.shape == (4, 1000, d)
    check_moments(draws, mu, cov)
    assert res.num_divergences == 0
    assert np.all(ess(draws) > 200)


def test_ensemble_on_a_10_dimensional_gaussian():
    d = 10
    mu, cov = correlated_gaussian(d, seed=2)
    prec = np.linalg.inv(cov)

    def log_prob(x):
        r = x - mu
        return -0.5 * fnp.sum(r * (prec @ r))

    res = sample(
        log_prob,
        mu + 0.1,
        kernel="ensemble",
        walkers=40,
        draws=4000,
        warmup=1000,
        seed=3,
        progress=False,
        init_jitter=0.5,
    )
    draws = res.draws["x"][:, ::10]  # thin: ensemble chains are strongly autocorrelated
    mean = draws.mean(axis=(0, 1))
    m = mcse(draws, method="mean")
    assert np.all(np.abs(mean - mu) <= 4 * m)
    var = draws.reshape(-1, d).var(axis=0)
    assert np.all(np.abs(var / np.diag(cov) - 1) < 0.1)


def test_constrained_parameters_come_back_constrained():
    rng = np.random.default_rng(3)
    data = rng.normal(1.5, 0.7, size=200)

    def log_prob(p):
        mu, sigma = p["mu"], p["sigma"]
        return fnp.sum(-0.5 * ((data - mu) / sigma) ** 2 - fnp.log(sigma)) - 0.5 * mu**2 / 100

    res = sample(
        log_prob,
        {"mu": 0.0, "sigma": 1.0},
        constraints={"mu": None, "sigma": "positive"},
        chains=2,
        draws=500,
        warmup=500,
        seed=0,
        progress=False,
    )
    assert set(res.draws) == {"mu", "sigma"}
    assert res.draws["sigma"].min() > 0
    assert abs(res.draws["mu"].mean() - data.mean()) < 0.02
    assert abs(res.draws["sigma"].mean() - data.std()) < 0.03
    assert {"step_size", "tree_depth", "accept_prob", "energy", "divergent"} <= set(res.stats)
    assert res.stats["tree_depth"].shape == (2, 500)


def funnel(p):
    """Neal's funnel, centered: divergent for HMC."""
    v, x = p["v"], p["x"]
    return -0.5 * v**2 / 9 - 0.5 * fnp.sum(x**2) * fnp.exp(-v) - 0.5 * x.size * v


def check_divergences_reported(**kwargs):
    """Sample the funnel: the divergences are warned about and counted, never hidden."""
    with pytest.warns(UserWarning, match="divergent transitions"):
        res = sample(funnel, {"v": 0.0, "x": np.zeros(9)}, chains=2, progress=False, **kwargs)
    assert res.num_divergences > 0
    assert res.stats["divergent"].sum() == res.num_divergences
    return res


def test_divergences_are_reported_not_hidden():
    check_divergences_reported(draws=300, warmup=300, seed=0)


def test_bad_input_gives_clear_errors():
    def lp(x):
        return -0.5 * fnp.sum(x**2)

    with pytest.raises(ValueError, match="not finite|is nan|-inf"):
        sample(lambda x: fnp.sum(fnp.log(x - 10.0)), np.array([1.0]), progress=False)
    with pytest.raises(ValueError, match="no free parameters"):
        sample(lambda p: 0.0, {}, progress=False)
    with pytest.raises(ValueError, match="chains to be an integer >= 1"):
        sample(lp, np.zeros(2), chains=0, progress=False)
    with pytest.raises(ValueError, match="unknown constraint 'postive'.*positive"):
        sample(lp, {"a": 1.0}, constraints={"a": "postive"}, progress=False)
    with pytest.raises(ValueError, match="constraints is a sequence.*'a', 'b'"):
        sample(
            lambda p: -(p["a"] ** 2) - p["b"] ** 2,
            {"a": 1.0, "b": 1.0},
            constraints=["positive"],
            progress=False,
        )
    with pytest.raises(ValueError, match="unknown kernel"):
        sample(lp, np.zeros(2), kernel="gibbs", progress=False)


def test_reproducible_with_a_seed():
    def lp(x):
        return -0.5 * fnp.sum(x**2)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sample(lp, np.zeros(2), chains=2, draws=50, warmup=50, seed=5, progress=False)
        b = sample(lp, np.zeros(2), chains=2, draws=50, warmup=50, seed=5, progress=False)
    np.testing.assert_array_equal(a.draws["x"], b.draws["x"])


def test_parallel_chains_and_optimized_start_give_the_same_posterior():
    def log_prob(p):
        return -0.5 * fnp.sum(((p["x"] - 3.0) / 0.5) ** 2)

    seq = sample(
        log_prob, {"x": np.zeros(2)}, chains=2, draws=400, warmup=300, seed=4, progress=False
    )
    par = sample(
        log_prob,
        {"x": np.zeros(2)},
        chains=2,
        draws=400,
        warmup=300,
        seed=4,
        progress=False,
        chain_method="parallel",
        init_method="optimize",
    )
    for res in (seq, par):
        assert res.draws["x"].shape == (2, 400, 2)
        assert np.all(np.abs(res.draws["x"].mean(axis=(0, 1)) - 3.0) < 0.1)
    with pytest.raises(ValueError, match="chain_method"):
        sample(log_prob, {"x": np.zeros(2)}, chain_method="vectorised", progress=False)
