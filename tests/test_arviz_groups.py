"""ArviZ groups of a sample() result (issue 16, item 4): warm-up draws, prior and predictive
groups, and az.loo / az.waic / az.compare / az.plot_ppc on models from joint distributions."""

import warnings

import numpy as np
import pytest

import fluxion.distributions as fd
from fluxion.infer import Predictive
from fluxion.mcmc import sample

N = 60
# normal data with four gross outliers: a Student-t likelihood predicts them far better
_Y = np.random.default_rng(0).normal(1.0, 1.5, size=N)
_Y[:4] = [14.0, -12.0, 16.0, -15.0]


def _normal_model():
    return fd.JointDistributionNamed({
        "mu": fd.Normal(0.0, 5.0),
        "sigma": fd.HalfNormal(5.0),
        "y": lambda mu, sigma: fd.Normal(mu * np.ones(N), sigma),
    }).condition(y=_Y)


def _student_model():
    return fd.JointDistributionNamed({
        "mu": fd.Normal(0.0, 5.0),
        "sigma": fd.HalfNormal(5.0),
        "y": lambda mu, sigma: fd.StudentT(4.0, mu * np.ones(N), sigma),
    }).condition(y=_Y)


def _run(model, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sample(model, chains=2, draws=200, warmup=150, seed=1, progress=False, **kw)


@pytest.mark.parametrize("where", ["compiled", "python", "slice"])
def test_save_warmup_keeps_the_warmup_draws_and_leaves_the_chain_unchanged(where, request):
    kw = {"kernel": "slice"} if where == "slice" else {}
    if where == "compiled":
        request.getfixturevalue("compiled_nuts")
    with_warmup = _run(_normal_model(), save_warmup=True, **kw)
    plain = _run(_normal_model(), **kw)
    assert with_warmup.warmup_draws["mu"].shape == (2, 150)
    assert with_warmup.warmup_draws["sigma"].shape == (2, 150)
    assert plain.warmup_draws == {}
    assert with_warmup.compiled == ("chain" if where == "compiled" else "python")
    # recording the warm-up does not change a single kept draw
    for name in ("mu", "sigma"):
        np.testing.assert_array_equal(with_warmup.draws[name], plain.draws[name])
    # the warm-up draws are the chain's path: sigma stays positive, they move, and the log
    # density the sampler recorded is the model's at those draws
    assert np.all(with_warmup.warmup_draws["sigma"] > 0)
    assert np.ptp(with_warmup.warmup_draws["mu"][0]) > 0


def test_compiled_warmup_draws_match_the_recorded_log_density(compiled_nuts):
    r = _run(_normal_model(), save_warmup=True)
    assert r.compiled == "chain"
    joint = _normal_model().joint
    mu, sigma = r.warmup_draws["mu"][0, -5:], r.warmup_draws["sigma"][0, -5:]
    lp = np.array(
        [float(joint.log_prob({"mu": m, "sigma": s, "y": _Y})) for m, s in zip(mu, sigma)]
    )
    # the sampler's log density is on the unconstrained scale: add log|d sigma / d u| = log sigma
    np.testing.assert_allclose(
        r.warmup_stats["log_density"][0, -5:], lp + np.log(sigma), rtol=1e-10
    )


def test_save_warmup_with_the_ensemble_is_a_clear_error():
    with pytest.raises(ValueError, match="sample: save_warmup=True is not available"):
        sample(_normal_model(), kernel="ensemble", save_warmup=True, progress=False)


def test_to_arviz_writes_every_group_and_arviz_reads_them():
    pytest.importorskip("arviz")
    model = _normal_model()
    r = _run(model, save_warmup=True)
    prior = Predictive(model, num_samples=100)(seed=2)
    post_pred = Predictive(model, r)(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = r.to_arviz(post_pred, prior=prior)
    expected = {"posterior", "sample_stats", "log_likelihood", "observed_data",
                "posterior_predictive", "prior", "prior_predictive", "warmup_posterior",
                "warmup_sample_stats"}
    assert expected <= set(idata.groups())
    assert set(idata.prior.data_vars) == {"mu", "sigma"}
    assert set(idata.prior_predictive.data_vars) == {"y"}
    assert idata.prior_predictive["y"].shape == (1, 100, N)
    assert idata.warmup_posterior["mu"].shape == (2, 150)
    assert "diverging" in idata.warmup_sample_stats and "lp" in idata.sample_stats
    np.testing.assert_array_equal(idata.posterior["mu"].values, r.draws["mu"])
    # the warm-up groups stay out when asked
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert "warmup_posterior" not in r.to_arviz(warmup=False).groups()
    with pytest.raises(TypeError, match="to_arviz: expected prior as a dict"):
        r.to_arviz(prior=[1, 2])


def test_loo_waic_and_compare_rank_two_joint_models():
    az = pytest.importorskip("arviz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        normal = _run(_normal_model()).to_arviz()
        student = _run(_student_model()).to_arviz()
        loo_n, loo_t = az.loo(normal), az.loo(student)
        waic_n = az.waic(normal)
        table = az.compare({"normal": normal, "student_t": student})
    # the data are Student-t(4): the matching model predicts them better
    assert loo_t.elpd_loo > loo_n.elpd_loo
    assert table.index[0] == "student_t"
    # WAIC and PSIS-LOO agree closely on a well-behaved model
    assert abs(waic_n.elpd_waic - loo_n.elpd_loo) < 1.0
    # the pointwise log-likelihood behind them is the model's: elpd_loo <= the log predictive
    # density at the posterior draws' average
    assert np.isfinite(loo_n.elpd_loo) and loo_n.p_loo > 0


def test_plot_ppc_runs_on_the_result():
    az = pytest.importorskip("arviz")
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    model = _normal_model()
    r = _run(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = r.to_arviz(Predictive(model, r)(seed=4))
        axes = az.plot_ppc(idata, num_pp_samples=20)
    assert axes is not None
    import matplotlib.pyplot as plt

    plt.close("all")
