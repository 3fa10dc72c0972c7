"""Many-chain ChEES-HMC (``fluxion.mcmc.sample_chees``), MEADS (``sample_meads``) and nested
R-hat.

Oracles: a 100-d Gaussian with a known covariance (AR(1) correlation 0.9, scales 0.1..10: its
means, sds and correlations, and the eigenvalues of the correlation matrix for the trajectory
length), an exponential distribution's moments through a constraint, posteriordb's eight
schools reference moments, and a loop-by-loop transcription of the nested R-hat formulas of
Margossian et al. (2024), eqs. 15-19.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from posteriors import POSTERIORDB, POSTERIORS, load_reference, stan_elements

import fluxion.numpy as fnp
from fluxion._src.mcmc.chees import halton
from fluxion._src.mcmc.meads import max_eigenvalue
from fluxion.diagnostics import mcse, nested_rhat
from fluxion.mcmc import sample_chees, sample_meads

needs_posteriordb = pytest.mark.skipif(
    POSTERIORDB is None,
    reason="posteriordb reference posteriors not found: expected ../shared/posteriordb beside "
    "the repository",
)

D = 100
RHO = 0.9
SCALES = np.logspace(-1, 1, D)
CORR = RHO ** np.abs(np.subtract.outer(np.arange(D), np.arange(D)))
PRECISION = np.linalg.inv(CORR * np.outer(SCALES, SCALES))


def gaussian_log_prob(p):
    x = p["x"]
    return -0.5 * fnp.sum(x * (x @ PRECISION))


@pytest.fixture(scope="module")
def gaussian_run():
    return sample_chees(
        gaussian_log_prob, {"x": np.zeros(D)}, chains=512, warmup=200, draws=50, seed=11
    )


# --------------------------------------------------------------------------------------------
# the 100-d correlated Gaussian
# --------------------------------------------------------------------------------------------


def test_gaussian_moments_within_monte_carlo_error(gaussian_run):
    x = gaussian_run.draws["x"]
    assert x.shape == (512, 50, D)
    assert gaussian_run.kernel == "chees"
    # means (true 0) and sds (true SCALES) within 5 Monte Carlo standard errors, each of the
    # 100 coordinates (the MCSEs come from the chains' own autocorrelation)
    mean, sd = x.mean(axis=(0, 1)), x.std(axis=(0, 1), ddof=1)
    assert np.all(np.abs(mean) <= 5 * mcse(x, method="mean"))
    assert np.all(np.abs(sd - SCALES) <= 5 * mcse(x, method="sd"))
    # the neighbours' correlation is 0.9 everywhere: the joint, not only the marginals
    flat = x.reshape(-1, D)
    corr = np.corrcoef(flat, rowvar=False)
    lag1 = np.diag(corr, 1)
    assert np.max(np.abs(lag1 - RHO)) < 0.02
    assert gaussian_run.num_divergences == 0
    assert gaussian_run.warnings == []


def test_gaussian_adapted_metric_and_trajectory_length(gaussian_run):
    # the cross-chain diagonal metric is the marginal variance
    inv_m = gaussian_run.inv_metric[0]
    np.testing.assert_allclose(inv_m, SCALES**2, rtol=0.2)
    # in the coordinates whitened by that metric the target is N(0, CORR): the longest
    # half-period is set by its largest sd, sqrt(lambda_max(CORR)) (4.2 here); ChEES with
    # Halton-jittered lengths h T, h in (0, 1), settles at a T of that order (a quarter to a
    # half period of the slowest direction on average)
    sd_max = np.sqrt(np.linalg.eigvalsh(CORR).max())
    length = gaussian_run.trajectory_length
    assert 0.5 * sd_max < length < 4 * sd_max
    st = gaussian_run.stats
    # lockstep: one step size, one jittered length per transition, shared by all chains
    assert np.all(st["step_size"] == st["step_size"][0, 0])
    assert np.all(st["trajectory_length"] == st["trajectory_length"][:1])
    np.testing.assert_allclose(
        st["trajectory_length"][0], length * halton(np.arange(201, 251)), rtol=1e-12
    )
    n = np.ceil(st["trajectory_length"][0] / st["step_size"][0, 0])
    np.testing.assert_array_equal(st["n_leapfrog"][0], n)
    # the step size is tuned so that the harmonic mean acceptance is near 0.651
    hm = 1.0 / np.mean(1.0 / st["accept_prob"], axis=0)
    assert 0.5 < np.mean(hm) < 0.9
    for key in ("accept_prob", "divergent", "energy", "log_density", "n_leapfrog"):
        assert st[key].shape == (512, 50)
        assert gaussian_run.warmup_stats[key].shape == (512, 200)


# --------------------------------------------------------------------------------------------
# smaller models: constraints, determinism, superchains, bad input
# --------------------------------------------------------------------------------------------


def exponential_log_prob(p):
    return -p["s"]  # Exponential(1) on s > 0: mean 1, sd 1


def test_constrained_exponential_matches_exact_moments():
    res = sample_chees(
        exponential_log_prob, {"s": 1.0}, constraints={"s": "positive"}, chains=256, warmup=150,
        draws=40, seed=3,
    )
    s = res.draws["s"]
    assert s.shape == (256, 40) and np.all(s > 0)
    assert abs(s.mean() - 1.0) <= 5 * float(mcse(s, method="mean"))
    assert abs(s.std(ddof=1) - 1.0) <= 5 * float(mcse(s, method="sd"))
    # the tail: P(s > 2) = exp(-2)
    p = np.mean(s > 2.0)
    assert abs(p - np.exp(-2.0)) < 0.02


def test_joint_model_needs_no_init_and_matches_the_conjugate_posterior():
    fd = pytest.importorskip("fluxion.distributions")
    # rate ~ Gamma(2, 1), k_i ~ Poisson(rate): the posterior is Gamma(2 + sum k, 1 + n)
    k = np.array([1.0, 0.0, 3.0])
    model = fd.JointDistributionNamed(
        {"rate": fd.Gamma(2.0, 1.0), "k": lambda rate: fd.Poisson(rate * np.ones(3))}
    ).condition(k=k)
    res = sample_chees(model, chains=256, warmup=150, draws=40, seed=4)
    rate = res.draws["rate"]
    a, b = 2.0 + k.sum(), 1.0 + k.size
    assert rate.shape == (256, 40) and np.all(rate > 0)
    assert abs(rate.mean() - a / b) <= 5 * float(mcse(rate, method="mean"))
    assert abs(rate.std(ddof=1) - np.sqrt(a) / b) <= 5 * float(mcse(rate, method="sd"))
    assert res.log_likelihood["k"].shape == (256, 40, 3)
    np.testing.assert_array_equal(res.observed_data["k"], k)


def small_log_prob(p):
    return -0.5 * fnp.sum((p["x"] - 1.0) ** 2 / np.array([1.0, 4.0, 0.25]))


def test_same_seed_same_draws_and_other_seed_other_draws():
    kw = dict(chains=32, warmup=30, draws=10)
    a = sample_chees(small_log_prob, {"x": np.zeros(3)}, seed=5, **kw)
    b = sample_chees(small_log_prob, {"x": np.zeros(3)}, seed=5, **kw)
    c = sample_chees(small_log_prob, {"x": np.zeros(3)}, seed=6, **kw)
    np.testing.assert_array_equal(a.draws["x"], b.draws["x"])
    np.testing.assert_array_equal(a.stats["accept_prob"], b.stats["accept_prob"])
    assert a.trajectory_length == b.trajectory_length
    assert not np.array_equal(a.draws["x"], c.draws["x"])
    # a Generator seed is accepted too
    sample_chees(small_log_prob, {"x": np.zeros(3)}, seed=np.random.default_rng(1), **kw)


def test_superchains_start_together_and_nested_rhat_converges():
    res = sample_chees(
        small_log_prob, {"x": np.zeros(3)}, chains=256, warmup=100, draws=20, seed=2,
        superchains=8,
    )
    np.testing.assert_array_equal(res.superchains, np.repeat(np.arange(8), 32))
    r = nested_rhat(res.draws["x"], res.superchains)
    assert r.shape == (3,) and np.all(r < 1.01)
    assert not any(w.kind == "rhat" for w in res.warnings)
    np.testing.assert_allclose(res.draws["x"].mean(axis=(0, 1)), 1.0, atol=0.1)


def test_bad_input_names_the_function():
    init = {"x": np.zeros(3)}
    with pytest.raises(ValueError, match="sample_chees: expected chains .* >= 2"):
        sample_chees(small_log_prob, init, chains=1)
    with pytest.raises(ValueError, match="sample_chees: expected superchains .* dividing"):
        sample_chees(small_log_prob, init, chains=10, superchains=3)
    with pytest.raises(ValueError, match="sample_chees: expected draws"):
        sample_chees(small_log_prob, init, chains=4, draws=0)
    with pytest.raises(ValueError, match="sample_chees: expected step_size"):
        sample_chees(small_log_prob, init, chains=4, step_size=-1.0)
    with pytest.raises(ValueError, match="sample_chees: expected 0 < target_accept < 1"):
        sample_chees(small_log_prob, init, chains=4, target_accept=1.5)
    with pytest.raises(TypeError, match="sample_chees: expected init"):
        sample_chees(small_log_prob, chains=4)
    with pytest.raises(ValueError, match="sample_chees: .* not a parameter"):
        sample_chees(small_log_prob, init, constraints={"y": "positive"}, chains=4)

    def nowhere(p):
        return -np.inf * fnp.sum(p["x"] ** 2)

    with pytest.raises(ValueError, match="sample_chees: .* non-finite log density"):
        sample_chees(nowhere, {"x": np.ones(2)}, chains=4, draws=2, warmup=2)

    def branching(p):
        if p["x"][0] > 0:  # Python control flow on a value: vmap cannot batch it
            return -fnp.sum(p["x"] ** 2)
        return -2.0 * fnp.sum(p["x"] ** 2)

    with pytest.raises(TypeError, match="sample_chees: .* batchable with fluxion.vmap"):
        sample_chees(branching, {"x": np.ones(2)}, chains=4, draws=2, warmup=2, seed=0)


def test_start_points_shared_within_superchains_and_within_jitter():
    from fluxion._src.infer.model import UnconstrainedModel
    from fluxion._src.mcmc.chees import _start_points

    model = UnconstrainedModel(
        exponential_log_prob, {"s": 2.0}, {"s": "positive"}, who="sample_chees"
    )
    rng = np.random.default_rng(0)
    q, labels = _start_points("sample_chees", model, rng, 12, 3, 2.0, model.batch_logp_and_grad)
    assert q.shape == (12, 1)
    for k in range(3):
        assert np.all(q[labels == k] == q[labels == k][0])
    assert len(np.unique(q)) == 3
    assert np.all(np.abs(q - np.log(2.0)) <= 2.0)  # uniform(-2, 2) around init, unconstrained
    q, labels = _start_points("sample_chees", model, rng, 12, None, 2.0, model.batch_logp_and_grad)
    assert len(np.unique(q)) == 12 and np.array_equal(labels, np.arange(12))


def test_warmup_zero_warns_that_nothing_is_adapted():
    from fluxion import SamplingWarning

    for fn in (sample_chees, sample_meads):
        with pytest.warns(SamplingWarning, match="warmup=0, so nothing is adapted"):
            res = fn(small_log_prob, {"x": np.zeros(3)}, chains=8, warmup=0, draws=3, seed=0)
        assert res.draws["x"].shape == (8, 3, 3)


def test_halton_is_van_der_corput():
    np.testing.assert_allclose(
        halton(np.arange(1, 8)), [1 / 2, 1 / 4, 3 / 4, 1 / 8, 5 / 8, 3 / 8, 7 / 8]
    )
    np.testing.assert_allclose(halton(np.arange(1, 4), base=3), [1 / 3, 2 / 3, 1 / 9])


# --------------------------------------------------------------------------------------------
# nested R-hat
# --------------------------------------------------------------------------------------------


def nested_rhat_loops(x, labels):
    """Margossian et al. (2024) eqs. 15-19, written out with loops (one parameter)."""
    ks = sorted(set(labels))
    n = x.shape[1]
    super_means, within = [], []
    for k in ks:
        chains = [x[c] for c in range(x.shape[0]) if labels[c] == k]
        m = len(chains)
        means = [sum(ch) / n for ch in chains]
        sk = sum(means) / m
        super_means.append(sk)
        b_k = sum((mu - sk) ** 2 for mu in means) / (m - 1) if m > 1 else 0.0
        w_k = (
            sum(sum((v - mu) ** 2 for v in ch) / (n - 1) for ch, mu in zip(chains, means)) / m
            if n > 1
            else 0.0
        )
        within.append(b_k + w_k)
    overall = sum(super_means) / len(ks)
    b_nu = sum((s - overall) ** 2 for s in super_means) / (len(ks) - 1)
    w_nu = sum(within) / len(ks)
    return np.sqrt(1.0 + b_nu / w_nu)


@pytest.mark.parametrize("chains,draws,k", [(12, 5, 3), (6, 1, 3), (5, 7, 5), (8, 4, 2)])
def test_nested_rhat_equals_the_formula(chains, draws, k):
    rng = np.random.default_rng(chains * 100 + draws)
    x = rng.normal(size=(chains, draws, 2)) + rng.normal(size=(chains, 1, 1))
    labels = np.repeat(np.arange(k), chains // k)
    got = nested_rhat(x, k)
    want = [nested_rhat_loops(x[..., j], list(labels)) for j in range(2)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # labels in any order and of any type name the same grouping
    perm = rng.permutation(chains)
    names = np.array([f"s{v}" for v in labels])
    np.testing.assert_allclose(nested_rhat(x[perm], names[perm]), got, rtol=1e-12)


def test_nested_rhat_iid_near_one_and_unmixed_superchains_flagged():
    rng = np.random.default_rng(0)
    iid = rng.normal(size=(1024, 10))
    r = nested_rhat(iid, 16)
    assert 1.0 <= r < 1.005  # at stationarity nR^2 - 1 ~ 1 / (M N) = 1 / 640
    # superchains that have not forgotten their starts: each offset by its own shift
    shift = np.repeat(rng.normal(scale=0.5, size=16), 64)
    stuck = iid + shift[:, None]
    assert nested_rhat(stuck, 16) > 1.05
    # while plain R-hat of each chain separately cannot see it as well with 10-draw chains,
    # the nested version grows with the disagreement
    assert nested_rhat(iid + 2 * shift[:, None], 16) > nested_rhat(stuck, 16)
    # NaN draws and a zero within-superchain variance give nan
    bad = iid.copy()
    bad[3, 2] = np.nan
    assert np.isnan(nested_rhat(bad, 16))
    assert np.isnan(nested_rhat(np.ones((8, 1)), 4))


def test_nested_rhat_bad_input():
    x = np.zeros((6, 5))
    with pytest.raises(ValueError, match="nested_rhat: expected superchains .* dividing"):
        nested_rhat(x, 4)
    with pytest.raises(ValueError, match="nested_rhat: expected superchains .* >= 2"):
        nested_rhat(x, 1)
    with pytest.raises(ValueError, match="nested_rhat: expected at least 2 superchains"):
        nested_rhat(x, [0, 0, 0, 1, 1, 2])
    with pytest.raises(ValueError, match=r"nested_rhat: expected superchains .*shape \(6,\)"):
        nested_rhat(x, [0, 1])
    with pytest.raises(TypeError, match="nested_rhat: expected real numeric draws"):
        nested_rhat(np.array([["a"]]), 1)


# --------------------------------------------------------------------------------------------
# a posteriordb reference posterior
# --------------------------------------------------------------------------------------------


@needs_posteriordb
def test_eight_schools_noncentered_matches_reference():
    name = "eight_schools-eight_schools_noncentered"
    post = POSTERIORS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample_chees(
            post.log_prob, post.init, constraints=post.constraints, chains=1024, warmup=300,
            draws=100, seed=7, target_accept=0.8, superchains=16,
        )
    draws = stan_elements(post.derived(res.draws))
    reference = load_reference(name)
    for label, ref in reference.items():
        x = draws[label]
        err = abs(float(x.mean()) - ref["mean"])
        assert err <= max(4 * float(mcse(x, method="mean")), 0.1 * ref["sd"]), label
        assert abs(float(x.std(ddof=1)) / ref["sd"] - 1) <= 0.10, label
    assert res.num_divergences <= 0.001 * res.stats["divergent"].size
    assert np.all(np.asarray(nested_rhat(res.draws["theta_trans"], res.superchains)) < 1.01)


# --------------------------------------------------------------------------------------------
# MEADS (generalized HMC, one leapfrog step per iteration)
# --------------------------------------------------------------------------------------------

D10 = 10
SCALES10 = np.logspace(-0.5, 0.5, D10)
CORR10 = 0.7 ** np.abs(np.subtract.outer(np.arange(D10), np.arange(D10)))
PRECISION10 = np.linalg.inv(CORR10 * np.outer(SCALES10, SCALES10))


def gaussian10_log_prob(p):
    x = p["x"]
    return -0.5 * fnp.sum(x * (x @ PRECISION10))


def test_meads_gaussian_moments_and_parameters_match_their_formulas():
    warmup = 400
    res = sample_meads(
        gaussian10_log_prob, {"x": np.zeros(D10)}, chains=256, warmup=warmup, draws=200, seed=1
    )
    x = res.draws["x"]
    assert x.shape == (256, 200, D10) and res.kernel == "meads"
    assert np.all(np.abs(x.mean(axis=(0, 1))) <= 5 * mcse(x, method="mean"))
    assert np.all(np.abs(x.std(axis=(0, 1), ddof=1) - SCALES10) <= 5 * mcse(x, method="sd"))
    np.testing.assert_allclose(res.inv_metric[0], SCALES10**2, rtol=0.2)
    # in whitened coordinates the Fisher matrix E[g g'] is CORR10^-1 and the covariance CORR10:
    # eps = 0.5 / sqrt(tr(F^2) / tr(F)), gamma = max(1 / sqrt(tr(C^2) / tr(C)), 1 / (t eps))
    fisher = np.linalg.inv(CORR10)
    eps = 0.5 / np.sqrt(np.trace(fisher @ fisher) / np.trace(fisher))
    gamma = max(1.0 / np.sqrt(np.trace(CORR10 @ CORR10) / np.trace(CORR10)),
                1.0 / ((warmup + 1) * eps))
    st = res.stats
    np.testing.assert_allclose(st["step_size"][0, 0], eps, rtol=0.1)
    np.testing.assert_allclose(st["damping"][0, 0], 1 - np.exp(-2 * eps * gamma), rtol=0.15)
    assert np.all(st["n_leapfrog"] == 1) and res.num_divergences == 0
    assert 0.8 < st["accept_prob"].mean() < 1.0


def test_meads_constrained_exponential_and_determinism():
    kw = dict(constraints={"s": "positive"}, chains=128, warmup=300, draws=300)
    a = sample_meads(exponential_log_prob, {"s": 1.0}, seed=8, **kw)
    s = a.draws["s"]
    assert abs(s.mean() - 1.0) <= 5 * float(mcse(s, method="mean"))
    assert abs(s.std(ddof=1) - 1.0) <= 5 * float(mcse(s, method="sd"))
    b = sample_meads(exponential_log_prob, {"s": 1.0}, seed=8, **kw)
    np.testing.assert_array_equal(a.draws["s"], b.draws["s"])


def test_max_eigenvalue_estimator():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3))
    s = x @ x.T
    off = sum(s[i, j] ** 2 for i in range(6) for j in range(6) if i != j) / 30
    assert np.isclose(max_eigenvalue(x), off / (np.trace(s) / 6), rtol=1e-12)
    # on many rows of N(0, C) it estimates tr(C^2) / tr(C), at most lambda_max(C)
    c = np.diag([9.0, 1.0, 1.0, 0.5])
    rows = rng.normal(size=(20000, 4)) * np.sqrt(np.diag(c))
    target = np.trace(c @ c) / np.trace(c)
    assert abs(max_eigenvalue(rows) / target - 1) < 0.03 and target <= 9.0


def test_meads_bad_input():
    init = {"x": np.zeros(3)}
    with pytest.raises(ValueError, match="sample_meads: expected chains to be a multiple"):
        sample_meads(small_log_prob, init, chains=10, folds=4)
    with pytest.raises(ValueError, match="sample_meads: expected folds"):
        sample_meads(small_log_prob, init, chains=8, folds=1)
    with pytest.raises(ValueError, match="sample_meads: expected 0 < step_size_factor < 2"):
        sample_meads(small_log_prob, init, chains=8, step_size_factor=3.0)
    with pytest.raises(TypeError, match="sample_meads: expected init"):
        sample_meads(small_log_prob, chains=8)
