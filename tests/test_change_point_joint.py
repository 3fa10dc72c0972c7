"""The change-point model as a joint distribution (examples/change_point_joint.py): its density is
the marginal of the TFP seed's model, and NUTS on it recovers the exact posterior."""

from __future__ import annotations

import numpy as np
import pytest
from change_point import simulate
from change_point_joint import change_point_model, fit
from scipy import stats
from test_change_point import brute_force_log_marginal, exact_posterior

from fluxion.diagnostics import mcse


def test_joint_density_is_the_marginal_of_the_seed_model():
    counts = simulate(12, 5, 4.0, 1.5, seed=7)
    model = change_point_model(counts)
    alpha = 1.0 / counts.mean()
    for l1, l2 in ((3.0, 1.2), (0.7, 2.5)):
        want = (stats.expon.logpdf(l1, scale=1 / alpha) + stats.expon.logpdf(l2, scale=1 / alpha)
                + brute_force_log_marginal(counts, l1, l2))
        np.testing.assert_allclose(model.log_prob({"lambda_1": l1, "lambda_2": l2}), want,
                                   rtol=1e-10)


@pytest.mark.slow  # about 20 s (the Python NUTS of pytest, 2 x 900 iterations)
def test_joint_change_point_recovers_the_exact_posterior():
    counts = simulate(40, 15, 4.0, 1.0, seed=7)
    out = fit(counts, chains=2, draws=600, warmup=300, seed=2)
    res = out["result"]
    assert res.num_divergences == 0
    assert res.log_likelihood["counts"].shape == (2, 600)  # one observation: the count vector
    exact = exact_posterior(counts)
    for name in ("lambda_1", "lambda_2"):
        x = out[name]
        mean, sd = exact[name]
        assert abs(x.mean() - mean) < 4 * float(mcse(x)) + 0.02 * sd, (name, x.mean(), mean)
        assert abs(x.std() / sd - 1) < 0.15, (name, x.std(), sd)
    assert np.abs(out["switch_probs"] - exact["switch_probs"]).max() < 0.05
