"""The convergence checks run after every MCMC run (``fluxion.diagnostics.check_sampling``).

Each warning kind is triggered on synthetic arrays and by a model built to cause it, and is absent
on well-behaved models (a standard normal, posteriordb reference posteriors).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from posteriors import POSTERIORDB, POSTERIORS

import fluxion
import fluxion.numpy as fnp
from fluxion.diagnostics import RunWarning, check_sampling
from fluxion.mcmc import sample

SEED = 20250611


def kinds(ws: list[RunWarning]) -> list[str]:
    return [w.kind for w in ws]


def run(log_prob, init, kernel="nuts", max_depth=10, **options):
    """Sample quietly (the run's own warnings are not under test) and check the result."""
    options.setdefault("progress", False)
    options.setdefault("seed", SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(log_prob, init, kernel=kernel, max_depth=max_depth, **options)
    return res, check_sampling(res.draws, res.stats, kernel=kernel, max_depth=max_depth)


def normal_draws(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def good_stats(chains=4, draws=1000, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "divergent": np.zeros((chains, draws)),
        "tree_depth": np.full((chains, draws), 3.0),
        "energy": rng.normal(size=(chains, draws)),  # independent draws: E-BFMI about 2
    }


# --------------------------------------------------------------------------------------------------
# the public names


def test_public_names():
    assert issubclass(fluxion.SamplingWarning, UserWarning)
    assert fluxion.diagnostics.check_sampling is check_sampling
    w = RunWarning("rhat", "the message", ("x",))
    assert str(w) == "the message"
    with pytest.raises(AttributeError):
        w.kind = "ess_bulk"  # frozen


# --------------------------------------------------------------------------------------------------
# synthetic arrays


def test_well_behaved_arrays_give_no_warning():
    draws = {"mu": normal_draws((4, 1000)), "w": normal_draws((4, 1000, 3, 2), seed=1)}
    assert check_sampling(draws, good_stats(), kernel="nuts", max_depth=10) == []


def test_rhat_names_the_worst_element_first():
    x = normal_draws((4, 1000, 8))
    x[:, :, 3] += np.arange(4)[:, None]  # chains disagree on w[3] ...
    x[:, :, 5] += 0.3 * np.arange(4)[:, None]  # ... and less on w[5]
    ws = check_sampling({"w": x}, {}, kernel="nuts")
    (w,) = [w for w in ws if w.kind == "rhat"]
    assert w.params == ("w[3]", "w[5]")
    assert "w[3]" in w.message and "R-hat" in w.message


def test_rhat_boundary_is_1_01():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(4, 2000))
    from fluxion.diagnostics import rhat

    def shifted(delta):
        return base + delta * np.arange(4)[:, None]

    lo, hi = 0.0, 1.0  # bisect a chain shift to R-hat just below and just above 1.01
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if rhat(shifted(mid)) <= 1.01 else (lo, mid)
    assert "rhat" not in kinds(check_sampling({"x": shifted(lo)}, {}, kernel="nuts"))
    assert "rhat" in kinds(check_sampling({"x": shifted(hi)}, {}, kernel="nuts"))


def test_many_names_are_cut_after_five():
    x = normal_draws((4, 500, 12)) + np.arange(4)[:, None, None]
    (w,) = [w for w in check_sampling({"b": x}, {}, kernel="nuts") if w.kind == "rhat"]
    assert len(w.params) == 12
    assert "and 7 more" in w.message


def test_ess_is_100_per_chain():
    rng = np.random.default_rng(4)
    # an AR(1) chain with phi = 0.95 has ESS about n (1 - phi) / (1 + phi) = n / 39 per chain
    n = 1000
    x = np.zeros((4, n))
    for t in range(1, n):
        x[:, t] = 0.95 * x[:, t - 1] + rng.normal(size=4)
    ws = check_sampling({"x": x}, {}, kernel="rwm")
    assert {"ess_bulk", "ess_tail"} <= set(kinds(ws))
    (w,) = [w for w in ws if w.kind == "ess_bulk"]
    assert "400" in w.message and w.params == ("x",)
    # the same number of independent draws passes
    assert check_sampling({"x": normal_draws((4, n))}, {}, kernel="rwm") == []


def test_one_chain_skips_rhat_but_checks_ess():
    assert check_sampling({"x": normal_draws((1, 1000))}, {}, kernel="nuts") == []
    walk = np.cumsum(normal_draws((1, 1000)), axis=1)
    ws = kinds(check_sampling({"x": walk}, {}, kernel="nuts"))
    assert "rhat" not in ws and "ess_bulk" in ws


@pytest.mark.parametrize("n_draw", [1, 2, 3])
def test_too_few_draws_never_crash(n_draw):
    draws = {"x": normal_draws((2, n_draw)), "w": normal_draws((2, n_draw, 3))}
    stats = {"energy": normal_draws((2, n_draw)), "divergent": np.zeros((2, n_draw))}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a RuntimeWarning from the diagnostics
        assert check_sampling(draws, stats, kernel="nuts", max_depth=10) == []
        assert check_sampling(draws, stats, kernel="ensemble") == []


def test_divergences_count_and_fraction():
    stats = good_stats()
    stats["divergent"][1, :7] = 1
    ws = check_sampling({"x": normal_draws((4, 1000))}, stats, kernel="nuts", max_depth=10)
    assert kinds(ws) == ["divergences"]
    assert "7 divergent transitions after warm-up (of 4000" in ws[0].message
    assert "target_accept" in ws[0].message
    assert ws[0].params == ()


def test_tree_depth_counts_saturated_transitions():
    stats = good_stats()
    stats["tree_depth"][0, :40] = 10
    ws = check_sampling({"x": normal_draws((4, 1000))}, stats, kernel="nuts", max_depth=10)
    assert kinds(ws) == ["tree_depth"]
    assert "40 of 4000" in ws[0].message and "1.0%" in ws[0].message
    assert "max_depth" in ws[0].message
    # below the maximum, without max_depth, or for HMC: nothing
    stats["tree_depth"][0, :40] = 9
    assert check_sampling({"x": normal_draws((4, 1000))}, stats, kernel="nuts", max_depth=10) == []
    stats["tree_depth"][0, :40] = 10
    assert check_sampling({"x": normal_draws((4, 1000))}, stats, kernel="nuts") == []
    assert check_sampling({"x": normal_draws((4, 1000))}, stats, kernel="hmc", max_depth=10) == []


def test_low_bfmi_from_a_slowly_moving_energy():
    stats = good_stats()
    rng = np.random.default_rng(5)
    stats["energy"][2] = np.cumsum(rng.normal(size=1000)) * 0.1  # a random walk: E-BFMI ~ 0
    ws = check_sampling({"x": normal_draws((4, 1000))}, stats, kernel="nuts")
    assert kinds(ws) == ["bfmi"]
    assert "chain 2" in ws[0].message and "chain 0" not in ws[0].message


def test_missing_stats_are_skipped():
    for kernel in ("rwm", "mala", "slice", "nuts"):
        assert check_sampling({"x": normal_draws((4, 1000))}, {}, kernel=kernel) == []
    assert check_sampling({"x": normal_draws((4, 1000))}, None, kernel="nuts") == []


def test_nan_draws_are_improper_and_not_crashing():
    x = normal_draws((4, 1000, 3))
    x[1, 500:, 2] = np.nan
    ws = check_sampling({"w": x}, {}, kernel="nuts")
    assert kinds(ws) == ["improper"]
    assert ws[0].params == ("w[2]",) and "non-finite" in ws[0].message


def test_runaway_draws_are_improper():
    x = normal_draws((4, 1000)) * 1e40  # at a scale no proper model samples on
    assert kinds(check_sampling({"x": x}, {}, kernel="nuts")) == ["improper"]


def test_large_but_stationary_draws_are_not_improper():
    # a proper posterior in large units: location 1e12, scale 1e9, well mixed
    x = 1e12 + 1e9 * normal_draws((4, 1000))
    assert check_sampling({"mass": x}, {}, kernel="nuts") == []


def test_large_drifting_draws_are_improper():
    walk = 1e7 * np.cumsum(normal_draws((4, 1000)), axis=1)  # reaches ~1e8-1e9, a random walk
    ws = check_sampling({"x": walk}, {}, kernel="slice")
    assert "improper" in kinds(ws) and "rhat" in kinds(ws)
    # the same walk on an ordinary scale is a mixing problem, not an improper posterior
    assert "improper" not in kinds(check_sampling({"x": walk / 1e7}, {}, kernel="slice"))


def test_ensemble_uses_tau_not_rhat():
    rng = np.random.default_rng(6)
    n = 2000
    x = np.zeros((32, n, 2))
    for t in range(1, n):  # AR(1), tau = (1 + phi) / (1 - phi) = 39 for phi = 0.95
        x[:, t] = 0.95 * x[:, t - 1] + rng.normal(size=(32, 2))
    ws = check_sampling({"x": x[:, :1000]}, {}, kernel="ensemble")
    assert kinds(ws) == ["ensemble_tau"]
    assert "50 times the integrated autocorrelation time for 2 parameter(s)" in ws[0].message
    assert "tau: [" in ws[0].message
    iid = {"x": rng.normal(size=(32, 200, 2))}
    assert check_sampling(iid, {}, kernel="ensemble") == []


def test_bad_input_messages():
    with pytest.raises(TypeError, match="check_sampling: expected draws as a dict"):
        check_sampling(np.zeros((4, 10)), {}, kernel="nuts")
    with pytest.raises(ValueError, match=r"check_sampling: expected draws\['x'\]"):
        check_sampling({"x": np.zeros(10)}, {}, kernel="nuts")
    with pytest.raises(TypeError, match="stats as a dict"):
        check_sampling({"x": np.zeros((4, 10))}, [1], kernel="nuts")


# --------------------------------------------------------------------------------------------------
# models built to trip each check


def _bimodal(p):
    x = p["x"]
    return fnp.logaddexp(-0.5 * (x - 8.0) ** 2, -0.5 * (x + 8.0) ** 2)


def test_model_two_separated_modes_trip_rhat():
    res, ws = run(_bimodal, {"x": 0.0}, chains=4, draws=200, warmup=200, init_jitter=2.0)
    signs = np.sign(res.draws["x"].mean(axis=1))
    assert len(set(signs)) == 2, "the seed should put chains in both modes"
    (w,) = [w for w in ws if w.kind == "rhat"]
    assert w.params == ("x",)


def test_model_tiny_rwm_run_in_many_dims_trips_ess():
    _, ws = run(
        lambda p: -0.5 * fnp.sum(p["x"] ** 2),
        {"x": np.zeros(50)},
        kernel="rwm",
        chains=2,
        draws=200,
        warmup=200,
    )
    assert {"ess_bulk", "ess_tail"} <= set(kinds(ws))
    (w,) = [w for w in ws if w.kind == "ess_bulk"]
    assert len(w.params) == 50 and "and 45 more" in w.message


def _funnel(p):  # Neal's funnel, centered: v ~ N(0, 3), x_i ~ N(0, exp(v / 2))
    v, x = p["v"], p["x"]
    return -(v**2) / 18.0 - 0.5 * fnp.sum(x**2) * fnp.exp(-v) - 0.5 * x.shape[0] * v


def test_model_funnel_trips_divergences_and_bfmi():
    # target_accept=0.5 (large steps) makes the neck diverge in every seed tried (8 of 8; at the
    # default 0.8 a short run often stays out of the neck); E-BFMI was low in all 14 runs tried
    _, ws = run(
        _funnel, {"v": 0.0, "x": np.zeros(9)}, chains=2, draws=300, warmup=300, target_accept=0.5
    )
    assert "divergences" in kinds(ws)
    assert "bfmi" in kinds(ws)


def test_model_correlated_gaussian_at_max_depth_2_trips_tree_depth():
    prec = np.linalg.inv(np.array([[1.0, 0.999], [0.999, 1.0]]))
    _, ws = run(
        lambda p: -0.5 * p["x"] @ (prec @ p["x"]),
        {"x": np.zeros(2)},
        max_depth=2,
        chains=2,
        draws=200,
        warmup=200,
    )
    (w,) = [w for w in ws if w.kind == "tree_depth"]
    assert "maximum tree depth 2" in w.message


@pytest.mark.parametrize(
    "kernel, options",
    [
        ("nuts", {"max_depth": 5, "warmup": 100, "draws": 100}),
        ("rwm", {"warmup": 100, "draws": 100}),
        ("slice", {"warmup": 100, "draws": 100}),
        ("ensemble", {"warmup": 100, "draws": 100, "walkers": 8}),
    ],
)
def test_model_flat_density_trips_improper(kernel, options):
    res, ws = run(lambda p: 0.0 * p["x"], {"x": 0.0}, kernel=kernel, chains=2, **options)
    assert "improper" in kinds(ws), [str(w) for w in ws]


def test_model_ensemble_too_short_and_long_enough():
    def log_prob(p):
        return -0.5 * fnp.sum(p["x"] ** 2)

    opts = {"kernel": "ensemble", "walkers": 32, "warmup": 300}
    _, short = run(log_prob, {"x": np.zeros(2)}, draws=200, **opts)
    assert kinds(short) == ["ensemble_tau"]
    _, long = run(log_prob, {"x": np.zeros(2)}, draws=4000, **opts)
    assert long == []


# --------------------------------------------------------------------------------------------------
# no false alarms


def test_standard_normal_default_run_has_no_warning():
    _, ws = run(lambda p: -0.5 * fnp.sum(p["x"] ** 2), {"x": np.zeros(3)})
    assert ws == [], [str(w) for w in ws]


needs_posteriordb = pytest.mark.skipif(POSTERIORDB is None, reason="posteriordb not found")
SLOW = {
    "eight_schools-eight_schools_noncentered",
    "arK-arK",
    "kidiq-kidscore_momiq",
    "earnings-earn_height",
    "garch-garch11",
    "gp_pois_regr-gp_regr",
    "low_dim_gauss_mix-low_dim_gauss_mix",
    "mesquite-mesquite",
}  # 7 to 55 s each on the busy 2-core machine (the Python NUTS, 4 x 1000 draws)


def _reference_cases() -> list:
    cases = []
    for n in POSTERIORS:
        marks = [pytest.mark.slow] if n in SLOW else []
        cases.append(pytest.param(n, marks=marks))
    return cases


@needs_posteriordb
@pytest.mark.parametrize("name", _reference_cases())
def test_posteriordb_reference_has_no_warning(name):
    post = POSTERIORS[name]()
    options = {"chains": 4, "draws": 1000, "warmup": 1000, "seed": 20250429, **post.sampler}
    _, ws = run(post.log_prob, post.init, constraints=post.constraints, **options)
    assert ws == [], [str(w) for w in ws]
