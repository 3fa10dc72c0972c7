"""The TFP seed's examples in fluxion terms (examples/tfp_seed.py, examples/annotation.py)."""

from __future__ import annotations

import itertools
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st
from scipy.special import logsumexp

import fluxion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import annotation  # noqa: E402
import tfp_seed  # noqa: E402


def test_hello_world_density_is_the_standard_normal():
    x, px = tfp_seed.hello_world(seed=3)
    assert np.isfinite(x)
    assert px == pytest.approx(st.norm.pdf(x), rel=1e-14)


def test_factorial_mixture_samples_and_log_prob_match_a_direct_sum():
    mog, samples, lp = tfp_seed.factorial_mixture(num_vars=3, num_components=4, dims=2, seed=1)
    assert mog.batch_shape == () and mog.event_shape == (3, 2)
    assert np.shape(samples) == (1000, 3, 2) and np.shape(lp) == (1000,)
    mu = mog.distribution.components_distribution.loc  # (3, 4, 2)
    s = np.asarray(samples)
    comp = st.norm.logpdf(s[:, :, None, :], mu[None], 0.5).sum(-1)  # (1000, 3, 4)
    direct = (logsumexp(comp, axis=-1) - np.log(4)).sum(-1)
    np.testing.assert_allclose(np.asarray(lp), direct, rtol=1e-11)
    # every variable's draws sit near one of its four components
    dist = np.min(np.linalg.norm(s[:, :, None, :] - mu[None], axis=-1), axis=-1)
    assert np.quantile(dist, 0.99) < 0.5 * 3.7  # 99% of |N(0, 0.5^2 I_2)| is below 1.52


def test_maf_beats_the_best_gaussian_on_two_moons_quickly():
    out = tfp_seed.masked_autoregressive_flow(n_train=500, steps=120, layers=2, hidden=(16, 16))
    assert np.all(np.isfinite(out["losses"]))
    assert out["flow_ll"] > out["gauss_ll"] + 0.2, (out["flow_ll"], out["gauss_ll"])


def _params(items, annotators, rng):
    return {
        "pi": 0.35, "rho": np.array([0.8, 1.3]), "mu": np.array([1.0, 1.5]),
        "sigma": np.array([0.6, 0.4]), "gamma_raw": rng.standard_normal((annotators, 2)),
        "eta": rng.standard_normal(items),
    }


def test_annotation_marginal_equals_the_sum_over_every_category_assignment():
    rng = np.random.default_rng(0)
    x = (rng.random((3, 4)) < 0.5).astype(float)
    p = _params(3, 4, rng)
    got = float(annotation.make_log_prob(x)(p))
    g = p["mu"] + p["sigma"] * p["gamma_raw"]
    prior = (
        st.uniform.logpdf(p["pi"]) + st.uniform.logpdf(p["rho"], 0, 50).sum()
        + st.norm.logpdf(p["mu"], 0, 10).sum()
        + st.uniform.logpdf(p["sigma"], 0, [50, 100]).sum()
        + st.norm.logpdf(p["gamma_raw"]).sum() + st.norm.logpdf(p["eta"]).sum()
    )
    terms = []
    for z in itertools.product([0, 1], repeat=3):  # brute force over the 8 assignments
        total = 0.0
        for i, zi in enumerate(z):
            d = p["rho"][zi] * p["eta"][i]
            logits = g[:, 1] - d if zi else -g[:, 0] + d
            prob = 1.0 / (1.0 + np.exp(-logits))
            total += np.log(p["pi"] if zi else 1 - p["pi"])
            total += st.bernoulli.logpmf(x[i], prob).sum()
        terms.append(total)
    np.testing.assert_allclose(got, prior + logsumexp(terms), rtol=1e-12)


def test_annotation_log_density_encodes_for_the_compiled_nuts():
    from fluxion._src.codegen import tape
    from fluxion.infer import UnconstrainedModel

    data = annotation.simulate(items=20, annotators=3, seed=2)
    model = UnconstrainedModel(
        annotation.make_log_prob(data["x"]), annotation.init_values(20, 3),
        annotation.CONSTRAINTS,
    )
    for fn in (model.potential, fluxion.grad(model.potential)):
        encoded, why = tape.encode(fluxion.jit(fn, tier=0).lower(model.u0).graph)
        assert encoded is not None, why


@pytest.mark.slow  # ~10 s of sampling plus the compile on 2 cores
def test_annotation_model_samples_on_the_compiled_chain_and_beats_chance(compiled_nuts):
    data = annotation.simulate(items=150, annotators=8, seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = annotation.fit(data["x"], chains=2, draws=300, warmup=400, seed=1)
    assert res.compiled == "chain", res.compiled_reason
    # pi mixes slowly in this model (bulk ESS about 10 in 2 x 300 draws, the compiled and the
    # Python NUTS alike; see the example's "Labels per item"), so R-hat at this length is noise:
    # what must hold is that chains that disagree are never silent
    r_hat = res.summary()["r_hat"].to_numpy()
    warned = [str(w.message) for w in caught if issubclass(w.category, fluxion.SamplingWarning)]
    if np.nanmax(r_hat) > 1.01:
        assert any("R-hat" in m for m in warned), warned
    # both chains sit in the mode where annotators beat chance and recover the categories
    for chain in range(2):
        probs = annotation.item_posteriors(
            {k: v[chain:chain + 1, ::10] for k, v in res.draws.items()}, data["x"]
        )
        assert np.mean((probs > 0.5) == data["z"]) > 0.85, chain
