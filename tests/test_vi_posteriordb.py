"""ADVI (mean-field, full-rank) and a normalizing-flow guide on posteriordb reference posteriors.

Posteriors (``../shared/posteriordb``, models in ``posteriors.py``): eight_schools_noncentered
(hierarchical; ``tau`` is skewed, so it is exempt from the mean criterion), kidscore_momiq (a
regression whose intercept and ``mom_iq`` slope correlate at about -0.99) and mesquite (a
regression with 7 coefficients on raw-scale predictors, several strongly correlated).

Criteria (the issue's): the approximation's means within 0.2 reference sd for every element
of the near-Gaussian posteriors (all but eight schools' ``tau``), k-hat recorded (printed with
``-s``), and full-rank beating mean-field on the strongly correlated posteriors (its largest
relative sd error and its k-hat are smaller: mean-field must underestimate the marginal sds
there, by theory ``sd_mf = 1 / sqrt(diag(precision))``).

Every run uses ``init_to="map"`` (the guide is fitted in coordinates standardized by the
Laplace sds: the regressions' coefficients live at scales from 0.01 to 1000) and a fixed budget
with a cosine-decaying Adam learning rate, so the result does not depend on where the
convergence rule stops. Seconds per fit on the 2-core development machine: 0.6-1.5 (mean-field,
full-rank), 2.5-3 (flow); the whole file about 22 s, the unmarked test 4 s.
"""

from __future__ import annotations

import numpy as np
import pytest
from posteriors import POSTERIORDB, POSTERIORS, load_reference, stan_elements

from fluxion import optim, vi

needs_posteriordb = pytest.mark.skipif(
    POSTERIORDB is None,
    reason="posteriordb reference posteriors not found: expected ../shared/posteriordb beside "
    "the repository",
)

STEPS = {"meanfield": 4000, "fullrank": 4000, "flow": 4000}
SKEWED = {"eight_schools-eight_schools_noncentered": {"tau"}}


def run(name: str, guide: str, seed: int = 1) -> dict:
    """Fit one guide; the per-element errors against the reference and the k-hat."""
    post = POSTERIORS[name]()
    ref = load_reference(name)
    steps = STEPS[guide]
    res = vi.fit(
        post.log_prob,
        post.init,
        constraints=post.constraints,
        guide=guide,
        init_to="map",
        optimizer=optim.adam(optim.cosine_decay_schedule(0.02, steps)),
        steps=steps,
        tol=None,
        num_particles=2,
        seed=seed,
        progress=False,
    )
    draws = {k: v[None] for k, v in res.sample_posterior(8000, seed=seed + 1).items()}
    draws = stan_elements(post.derived(draws))
    mean_err = {k: abs(draws[k].mean() - r["mean"]) / r["sd"] for k, r in ref.items()}
    sd_err = {k: abs(draws[k].std(ddof=1) / r["sd"] - 1.0) for k, r in ref.items()}
    diag = res.diagnose(4000, seed=seed + 2)
    out = {
        "mean_err": mean_err,
        "sd_err": sd_err,
        "khat": diag.khat,
        "verdict": diag.verdict,
        "elbo": res.final_elbo,
        "seconds": res.elapsed,
    }
    worst = max(mean_err, key=mean_err.get)
    print(
        f"\n{name} {guide}: k-hat {diag.khat:.3f} ({diag.verdict}), max |mean err|/sd "
        f"{mean_err[worst]:.3f} ({worst}), max |sd ratio - 1| {max(sd_err.values()):.3f}, "
        f"ELBO {res.final_elbo:.3f}, {res.elapsed:.1f} s"
    )
    return out


def check_means(name: str, out: dict) -> None:
    exempt = SKEWED.get(name, set())
    bad = {k: round(v, 3) for k, v in out["mean_err"].items() if v > 0.2 and k not in exempt}
    assert not bad, f"{name}: means off by more than 0.2 reference sd: {bad}"


@needs_posteriordb
def test_fullrank_beats_meanfield_on_kidscore_momiq():
    name = "kidiq-kidscore_momiq"
    mf, fr = run(name, "meanfield"), run(name, "fullrank")
    check_means(name, mf)
    check_means(name, fr)
    # mean-field misses the intercept/slope correlation: it underestimates their sds (by ~85%)
    assert max(mf["sd_err"].values()) > 0.5
    assert max(fr["sd_err"].values()) < 0.15
    assert fr["khat"] < mf["khat"] and fr["khat"] < 0.7


@needs_posteriordb
@pytest.mark.slow
@pytest.mark.parametrize("guide", ["meanfield", "fullrank", "flow"])
@pytest.mark.parametrize(
    "name",
    ["eight_schools-eight_schools_noncentered", "kidiq-kidscore_momiq", "mesquite-mesquite"],
)
def test_means_within_a_fifth_of_the_reference_sd(name, guide):
    out = run(name, guide)
    check_means(name, out)
    assert np.isfinite(out["khat"])


@needs_posteriordb
@pytest.mark.slow
def test_fullrank_beats_meanfield_on_mesquite():
    name = "mesquite-mesquite"
    mf, fr = run(name, "meanfield"), run(name, "fullrank")
    assert max(fr["sd_err"].values()) < 0.5 * max(mf["sd_err"].values())
    assert fr["khat"] < mf["khat"]
