"""NUTS against posteriordb's reference posteriors (``../shared/posteriordb``).

For every posterior (models in ``posteriors.py``, translated by hand from the Stan code) the test
samples 4 chains with a fixed seed and requires, for every parameter element in
``reference.json`` (the README's pass criterion):

- ``|mean - ref.mean| <= max(4 MCSE_run, 0.1 ref.sd)``,
- ``|sd / ref.sd - 1| <= 0.10``,
- a healthy run: no divergences, R-hat < 1.01 and bulk ESS >= 400 for every element.

The heavy-tailed marginals (eight schools' tau and theta, gp_regr's alpha, garch's alpha0) get
longer runs rather than wider bands (see each model's ``sampler`` settings). Runs that take more
than about ten seconds are marked slow.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from posteriors import POSTERIORDB, POSTERIORS, load_reference, stan_elements

from fluxion.diagnostics import ess, mcse, rhat
from fluxion.mcmc import sample

needs_posteriordb = pytest.mark.skipif(
    POSTERIORDB is None,
    reason="posteriordb reference posteriors not found: expected ../shared/posteriordb beside "
    "the repository",
)

# Seconds per run under pytest (the Python NUTS, see conftest.py; 4 chains, one core of the
# 2-core development machine, compile included): kidscore_interaction_c 2-3, sblrc-blr 3-4.5,
# eight_schools 5-6.5 (4 x 2 500 draws), arK 6-7.5, kidscore_momiq 6-8 run in the fast suite;
# gp_regr 8, low_dim_gauss_mix 10 (N = 1000), earnings 18-22 and mesquite 23-25 (correlated
# regressions: ~60 leapfrog steps per draw with the diagonal metric), garch11 22 are slow.
SLOW = {
    "earnings-earn_height",
    "garch-garch11",
    "gp_pois_regr-gp_regr",
    "low_dim_gauss_mix-low_dim_gauss_mix",
    "mesquite-mesquite",
}

SEED = 20250429

# Every posterior's value-and-gradient reaches tier 1 and the tape machine, so all run whole
# chains in numba under the compiled NUTS. The tests on the numba kernels of the posteriors
# whose tier-1 compile takes long in a fresh cache (measured: gp_regr 11 s, numba's np.linalg
# solve/inv/slogdet; garch11 7 s, 242 unrolled equations) are marked slow; on the tape they are
# quick (nothing compiles per model).
SLOW_COMPILED = {"gp_pois_regr-gp_regr", "garch-garch11"}


def run_posterior(name: str, seed: int = SEED, **options):
    """Sample one posterior; returns (result, Stan-named draws)."""
    post = POSTERIORS[name]()
    kwargs = {"chains": 4, "draws": 1000, "warmup": 1000, "seed": seed, "progress": False}
    kwargs.update(options)
    kwargs.update(post.sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergences are asserted on below, not hidden
        res = sample(post.log_prob, post.init, constraints=post.constraints, **kwargs)
    return res, stan_elements(post.derived(res.draws))


def compare(draws: dict, reference: dict) -> list[dict]:
    """Per element: the run's mean, sd, MCSE, R-hat and bulk ESS against the reference."""
    rows = []
    for label, ref in reference.items():
        x = draws[label]
        mean, sd = float(x.mean()), float(x.std(ddof=1))
        se = float(mcse(x, method="mean"))
        tol = max(4 * se, 0.1 * ref["sd"])
        rows.append(
            {
                "param": label,
                "mean_err": abs(mean - ref["mean"]),
                "mean_tol": tol,
                "z": (mean - ref["mean"]) / se,  # deviation in MCSE units
                "sd_ratio": sd / ref["sd"],
                "rhat": float(rhat(x)),
                "ess": float(ess(x, method="bulk")),
            }
        )
    return rows


def format_rows(rows: list[dict]) -> str:
    lines = [f"{'param':>10} {'z(MCSE)':>8} {'err/tol':>8} {'sd ratio':>8} {'rhat':>7} {'ess':>7}"]
    for r in rows:
        lines.append(
            f"{r['param']:>10} {r['z']:8.2f} {r['mean_err'] / r['mean_tol']:8.2f} "
            f"{r['sd_ratio']:8.3f} {r['rhat']:7.4f} {r['ess']:7.0f}"
        )
    return "\n".join(lines)


@needs_posteriordb
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in POSTERIORS],
)
def test_posterior_matches_reference(name):
    check_posterior(name, SEED)


def _compiled_cases() -> list:
    """(name, adaptation, metric, potential): Stan's diagonal warm-up on each model's numba
    kernel (slow where the kernel's compile is: SLOW_COMPILED), nutpie's and Stan's dense one
    on the tape machine."""
    cases = []
    for name in POSTERIORS:
        for adaptation, metric, potential in (
            ("stan", "diag", "kernel"),
            ("nutpie", "diag", "tape"),
            ("stan", "dense", "tape"),
        ):
            slow = potential == "kernel" and name in SLOW_COMPILED
            marks = [pytest.mark.slow] if slow else []
            cases.append(pytest.param(name, adaptation, metric, potential, marks=marks))
    return cases


@needs_posteriordb
@pytest.mark.parametrize("name, adaptation, metric, potential", _compiled_cases())
def test_posterior_matches_reference_with_the_compiled_nuts(
    name, adaptation, metric, potential, request
):
    # the default path (whole chains in numba), with each warm-up and metric it compiles and
    # both ways of reaching the model; other seeds than the Python NUTS's
    pytest.importorskip("numba")
    request.getfixturevalue("compiled_kernel" if potential == "kernel" else "compiled_nuts")
    seed = SEED + {"stan": 1, "nutpie": 2}[adaptation] + (2 if metric == "dense" else 0)
    res = check_posterior(name, seed, adaptation=adaptation, metric=metric)
    assert res.compiled == "chain"
    assert res.potential == potential
    assert res.adaptation == [adaptation] * 4
    assert res.metric == metric


def check_posterior(name: str, seed: int, run=None, **options):
    """Sample ``name`` (with ``run``, default :func:`run_posterior`: ``run(name, seed,
    **options) -> (result, Stan-named draws)``) and assert the reference checks."""
    cpu = time.process_time()
    res, draws = (run or run_posterior)(name, seed, **options)
    cpu = time.process_time() - cpu
    reference = load_reference(name)
    assert set(draws) == set(reference), (sorted(draws), sorted(reference))
    rows = compare(draws, reference)
    table = format_rows(rows)
    print(
        f"\n{name} ({res.compiled}): {res.elapsed:.1f} s wall, {cpu:.1f} s CPU, "
        f"{res.num_divergences} divergences"
        f"\n{table}"
    )

    failures = []
    for r in rows:
        if r["mean_err"] > r["mean_tol"]:
            failures.append(f"{r['param']}: mean off by {r['mean_err']:.4g} > {r['mean_tol']:.4g}")
        if abs(r["sd_ratio"] - 1) > 0.10:
            failures.append(f"{r['param']}: sd ratio {r['sd_ratio']:.3f} outside [0.9, 1.1]")
        if not r["rhat"] < 1.01:
            failures.append(f"{r['param']}: R-hat {r['rhat']:.4f} >= 1.01")
        if not r["ess"] >= 400:
            failures.append(f"{r['param']}: bulk ESS {r['ess']:.0f} < 400")
    if res.num_divergences:
        failures.append(f"{res.num_divergences} divergent transitions")
    assert not failures, f"{name} ({res.compiled}):\n" + "\n".join(failures) + "\n" + table
    return res


def test_stan_elements_names_follow_stan():
    draws = {"beta": np.zeros((2, 3, 2)), "sigma": np.ones((2, 3)), "L": np.zeros((2, 3, 2, 2))}
    out = stan_elements(draws)
    assert list(out) == ["beta[1]", "beta[2]", "sigma", "L[1,1]", "L[1,2]", "L[2,1]", "L[2,2]"]
    assert out["beta[2]"].shape == (2, 3)
