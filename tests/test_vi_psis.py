"""fluxion.vi.psis: against ArviZ's psislw and against ratios with a known Pareto tail."""

import numpy as np
import pytest

from fluxion.vi import khat_threshold, psis


@pytest.mark.parametrize("n, scale", [(400, 0.7), (1000, 1.2), (4000, 3.0), (2000, 10.0)])
def test_psis_equals_arviz(n, scale):
    az = pytest.importorskip("arviz")
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    log_ratios = -0.5 * (x / scale) ** 2 + 0.5 * x**2 + 0.1 * rng.standard_t(3, n)
    ours = psis(log_ratios)
    log_w, k = az.psislw(log_ratios.copy())
    np.testing.assert_allclose(ours.pareto_k, float(k), rtol=1e-12)
    np.testing.assert_allclose(ours.log_weights, np.asarray(log_w), atol=1e-12)


@pytest.mark.parametrize("k_true", [0.2, 0.5, 0.9])
def test_khat_recovers_a_known_pareto_tail(k_true):
    # ratios r = (U^-k - 1)/k + 1 are GPD(k) distributed: k-hat estimates k (the prior pulls
    # towards 0.5 by 10/(M + 10), M ~ 3 sqrt(S) tail draws: a few hundredths here)
    rng = np.random.default_rng(3)
    u = rng.uniform(size=40_000)
    ratios = np.expm1(-k_true * np.log(u)) / k_true + 1.0
    out = psis(np.log(ratios))
    assert abs(out.pareto_k - k_true) < 0.12
    np.testing.assert_allclose(np.logaddexp.reduce(out.log_weights), 0.0, atol=1e-12)
    assert 1.0 <= out.ess <= ratios.size


def test_psis_equal_weights_and_small_samples():
    out = psis(np.zeros(1000))
    np.testing.assert_allclose(out.log_weights, -np.log(1000), atol=1e-12)
    assert np.isinf(psis(np.arange(6.0)).pareto_k)  # tail of 2 draws: no fit
    assert khat_threshold(100) == pytest.approx(0.5)
    assert khat_threshold(10**6) == pytest.approx(0.7)


def test_psis_bad_input():
    with pytest.raises(ValueError, match=r"psis: expected a 1-D array"):
        psis(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"psis: 1 of 5 log ratios are NaN"):
        psis(np.array([0.0, 1.0, np.nan, 2.0, 3.0]))
