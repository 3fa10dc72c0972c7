"""The TFP seed's change-point model (examples/change_point.py): marginalized switch, NUTS rates.

Besides recovering the planted rates and switch point, the run is checked against the exact
posterior: with Exponential priors the model is conjugate given the switch index ``k``
(``lambda_1 | k ~ Gamma(C_k + 1, k + alpha)``, ``lambda_2 | k ~ Gamma(C_N - C_k + 1, N - k +
alpha)``), so ``p(k | c)`` and the rates' moments have closed forms.
"""

from __future__ import annotations

import numpy as np
import pytest
from change_point import (
    PLANTED,
    discrete_hdi,
    fit,
    log_lik_by_switch,
    main,
    make_log_prob,
    simulate,
    switch_posterior,
)
from scipy import stats
from scipy.special import gammaln, logsumexp

from fluxion.diagnostics import mcse, rhat


def exact_posterior(counts: np.ndarray) -> dict:
    """p(k | c) for k = 1..N and the rates' posterior means and sds, in closed form."""
    n = counts.size
    alpha = 1.0 / counts.mean()
    k = np.arange(1, n + 1)
    c1 = np.cumsum(counts)
    c2 = counts.sum() - c1
    a1, b1 = c1 + 1, k + alpha  # Gamma(shape, rate) of lambda_1 given k
    a2, b2 = c2 + 1, n - k + alpha
    log_w = gammaln(a1) - a1 * np.log(b1) + gammaln(a2) - a2 * np.log(b2)
    pk = np.exp(log_w - logsumexp(log_w))
    out = {"switch_probs": pk}
    for name, a, b in (("lambda_1", a1, b1), ("lambda_2", a2, b2)):
        m1 = np.sum(pk * a / b)
        m2 = np.sum(pk * a * (a + 1) / b**2)
        out[name] = (m1, np.sqrt(m2 - m1**2))
    return out


def brute_force_log_marginal(counts, l1, l2):
    """log of (1/N) sum_k prod_i Poisson(c_i | rate_i(k)), by loops, with the c_i! constants."""
    n = counts.size
    terms = []
    for k in range(1, n + 1):
        rates = np.array([l1 if i < k else l2 for i in range(n)])
        terms.append(stats.poisson.logpmf(counts, rates).sum())
    return logsumexp(terms) - np.log(n)


def test_the_marginal_sums_the_tfp_likelihood_over_switch_points():
    counts = simulate(12, 5, 4.0, 1.5, seed=7)
    alpha = 1.0 / counts.mean()
    log_prob = make_log_prob(counts)
    const = -gammaln(counts + 1).sum()  # the Poisson constant the model drops
    for l1, l2 in ((4.0, 1.5), (0.7, 2.2), (3.1, 3.1)):
        want = brute_force_log_marginal(counts, l1, l2) - alpha * (l1 + l2)
        got = float(log_prob({"lambda_1": l1, "lambda_2": l2})) + const
        assert got == pytest.approx(want, rel=1e-12, abs=1e-10)
    # tau in ((k-1)/N, k/N] uses lambda_1 exactly for the indices i < k (TFP's tau N <= i)
    tau = 0.4
    k = int(np.ceil(tau * counts.size))
    uses_second = tau * counts.size <= np.arange(counts.size)
    assert np.array_equal(uses_second, np.arange(counts.size) >= k)
    ll = np.asarray(log_lik_by_switch(counts, 2.0, 1.0))
    rates = np.where(uses_second, 1.0, 2.0)
    assert ll[k - 1] + const == pytest.approx(stats.poisson.logpmf(counts, rates).sum())


def test_switch_posterior_and_interval_helpers():
    counts = simulate(30, 10, 5.0, 1.0, seed=1)
    probs, draws = switch_posterior(counts, np.full((2, 50), 5.0), np.full((2, 50), 1.0))
    assert probs.shape == (30,) and probs.sum() == pytest.approx(1.0)
    assert draws.shape == (2, 50) and draws.min() >= 1 and draws.max() <= 30
    lo, hi = discrete_hdi(probs, 0.94)
    assert probs[lo - 1 : hi].sum() >= 0.94
    assert discrete_hdi(np.array([0.0, 0.5, 0.5, 0.0]), 0.9) == (2, 3)
    with pytest.raises(ValueError, match="switch"):
        simulate(10, 0)


@pytest.fixture(scope="module")
def fitted():
    counts = simulate()  # 100 days, switch at index 40, rates 3 and 1
    return counts, fit(counts, chains=4, draws=1000, warmup=500, seed=1)


def test_recovers_the_planted_rates_and_switch_point(fitted):
    counts, out = fitted
    res = out["result"]
    assert res.num_divergences == 0
    for name in ("lambda_1", "lambda_2"):
        x = out[name]
        assert float(rhat(x)) < 1.01
        assert abs(x.mean() - PLANTED[name]) < 3 * x.std()
    probs = out["switch_probs"]
    planted = PLANTED["switch"]
    assert abs(out["switch_mode"] - planted) <= 1
    assert probs[planted - 4 : planted + 3].sum() > 0.7  # k within +-3 of the planted index
    lo, hi = out["switch_hdi"]
    assert lo <= planted <= hi and hi - lo <= 15
    # the per-draw switch samples follow the averaged conditionals
    freq = np.bincount(out["switch_draws"].ravel(), minlength=counts.size + 1)[1:]
    assert np.abs(freq / freq.sum() - probs).max() < 0.03


def test_matches_the_exact_posterior(fitted):
    counts, out = fitted
    exact = exact_posterior(counts)
    for name in ("lambda_1", "lambda_2"):
        x = out[name]
        mean, sd = exact[name]
        assert abs(x.mean() - mean) <= 4 * float(mcse(x, method="mean")), name
        assert abs(x.std(ddof=1) / sd - 1) < 0.1, name
    # total variation distance between the Rao-Blackwellized p(k | c) and the exact one
    tv = 0.5 * np.abs(out["switch_probs"] - exact["switch_probs"]).sum()
    assert tv < 0.03, tv
    assert out["switch_mode"] == int(np.argmax(exact["switch_probs"])) + 1


def test_example_main_runs(capsys):
    out = main(
        ["--days", "40", "--switch", "15", "--draws", "200", "--warmup", "200", "--chains", "2"]
    )
    text = capsys.readouterr().out
    assert "posterior mode" in text and "94% interval" in text
    assert out["switch_probs"].shape == (40,)
