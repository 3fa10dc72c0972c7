"""The Bayesian neural network regression example (examples/bnn_regression.py): mean-field VI with
Flipout layers gives calibrated predictive intervals on held-out data.

Why the coverage bands: with 1000 held-out points, the coverage of a perfectly calibrated 90%
interval has binomial standard deviation sqrt(0.9 * 0.1 / 1000) = 0.0095 and that of a 50%
interval 0.016. The bands [0.80, 0.97] and [0.40, 0.60] are 7 and 6 of those wide on either
side: they leave room for what mean-field VI legitimately gets wrong (it is an approximation;
a short run is slightly over-dispersed), and still fail for a predictive that ignores the weight
uncertainty of an underfit network or the observation noise (coverage far below nominal), or
one that is grossly over-dispersed (coverage near 1).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bnn_regression
import numpy as np
import pytest


def _check_calibrated(res):
    cov50, cov90 = res["coverage"][0.5], res["coverage"][0.9]
    assert 0.80 <= cov90 <= 0.97, res["coverage"]
    assert 0.40 <= cov50 <= 0.60, res["coverage"]
    # the heteroscedastic noise is learned: calibrated where the noise is small and large alike
    for part in ("coverage_inner", "coverage_outer"):
        assert 0.75 <= res[part][0.9] <= 0.99, (part, res[part])
    # the predictive spread matches the true noise (the epistemic part is small with 500 points)
    assert 0.8 <= res["mean_predictive_sd"] / res["mean_true_sd"] <= 1.4, res
    # the predictive mean is as accurate as a point MLP and close to the noise floor
    assert res["rmse_bnn"] <= 1.1 * res["rmse_mlp"], res
    assert res["rmse_bnn"] <= 1.15 * res["rmse_oracle"], res
    assert res["final_loss"] < 0.5 * res["initial_loss"]


def test_coverage_is_nominal_for_the_true_predictive_and_low_without_noise():
    # the coverage helper against the data's own law: nominal within binomial error
    data = bnn_regression.make_data(n_train=10, n_test=4000, seed=5)
    x = data["x_test"][:, 0]
    truth = np.sin(x) + 0.3 * x
    loc, scale = truth[None, :], data["noise_test"][None, :]
    cov = bnn_regression.coverage(loc, scale, data["y_test"])
    for a in (0.5, 0.9):
        assert abs(cov[a] - a) < 5 * np.sqrt(a * (1 - a) / 4000), cov
    # a predictive without the observation noise covers almost nothing
    cov = bnn_regression.coverage(loc, 1e-3 * scale, data["y_test"])
    assert cov[0.9] < 0.05


def test_bnn_regression_quick():
    res = bnn_regression.main(steps=2000, samples=100, verbose=False)
    _check_calibrated(res)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bnn_regression_default_run_other_seeds(seed):
    _check_calibrated(bnn_regression.main(seed=seed, verbose=False))


@pytest.mark.slow
def test_bnn_regression_script_prints_coverage():
    script = Path(__file__).resolve().parent.parent / "examples" / "bnn_regression.py"
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    assert "coverage of the 50% predictive interval" in out
    assert "coverage of the 90% predictive interval" in out
