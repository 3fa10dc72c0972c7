"""fluxion.vi: guides, variational objectives and the SVI loop, against closed forms.

Oracles: SciPy's Gaussian densities; the Gaussian KL divergence in closed form (for a normalized
Gaussian target the ELBO is ``-KL(q || p)``); the power-mean inequality for Rényi bounds; the
exact ELBO gradient of a Gaussian guide on a Gaussian target; theory for the mean-field optimum
on a correlated Gaussian (its variances are ``1 / diag(precision)``, Bishop 2006, sec. 10.1.2);
finite-difference Jacobians for the flows' log densities.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

import fluxion
import fluxion.numpy as fnp
from fluxion import optim, vi
from fluxion._src.tree_util import tree_map

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def gaussian_log_p(mean, cov):
    """A normalized Gaussian log density ``(n, d) -> (n,)`` written with fluxion.numpy."""
    mean = np.asarray(mean, dtype=float)
    prec = np.linalg.inv(cov)
    const = -0.5 * (len(mean) * math.log(2 * math.pi) + np.linalg.slogdet(cov)[1])

    def log_p(u):
        r = u - mean
        return const - 0.5 * fnp.sum(fnp.matmul(r, prec) * r, axis=-1)

    return log_p


def gaussian_kl(m0, c0, m1, c1):
    """KL(N(m0, c0) || N(m1, c1)) in closed form."""
    d = len(m0)
    p1 = np.linalg.inv(c1)
    r = m1 - m0
    return 0.5 * (
        np.trace(p1 @ c0) + r @ p1 @ r - d + np.linalg.slogdet(c1)[1] - np.linalg.slogdet(c0)[1]
    )


def perturbed(params, seed, size=0.3):
    rng = np.random.default_rng(seed)
    return tree_map(lambda a: np.asarray(a) + size * rng.standard_normal(np.shape(a)), params)


def bound(guide, dim, loc):
    return guide.bind(dim, np.asarray(loc, dtype=float))


# --------------------------------------------------------------------------------------------
# Guides
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls", [vi.AutoNormal, vi.AutoMultivariateNormal, vi.AutoLowRankMultivariateNormal]
)
def test_gaussian_guides_log_q_matches_scipy(cls):
    d = 4
    g = bound(cls(), d, np.arange(d) - 1.5)
    params = perturbed(g.init(1), 2)
    params["loc"] = g.init(1)["loc"]
    u, log_q = g.sample_and_log_q(params, seed=3, n=50)
    mean, cov = g.mean_cov(params)
    np.testing.assert_allclose(
        log_q, scipy.stats.multivariate_normal(mean, cov).logpdf(u), atol=1e-10
    )
    np.testing.assert_allclose(np.asarray(g.log_q(params, u)), log_q, atol=1e-10)
    # the draws have the guide's moments
    draws = g.sample(params, seed=4, n=40000)
    np.testing.assert_allclose(draws.mean(0), mean, atol=5 * np.sqrt(np.diag(cov) / 40000).max())
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.05 * np.abs(cov).max())


@pytest.mark.parametrize("flow", ["iaf", "realnvp"])
def test_flow_guide_log_q_is_a_density_of_its_draws(flow):
    d = 3
    g = bound(vi.AutoNormalizingFlow(flow=flow, num_flows=2), d, np.zeros(d))
    params = perturbed(g.init(0), 5, size=0.2)  # away from the identity start
    eps = np.random.default_rng(0).standard_normal((4, d))
    u, log_q = g.transform(params, eps)
    for i in range(4):
        # change of variables with the Jacobian of eps -> u by central differences
        h = 1e-5
        jac = np.column_stack(
            [
                (
                    np.asarray(g.transform(params, (eps[i] + h * e)[None])[0][0])
                    - np.asarray(g.transform(params, (eps[i] - h * e)[None])[0][0])
                )
                / (2 * h)
                for e in np.eye(d)
            ]
        )
        expect = scipy.stats.norm.logpdf(eps[i]).sum() - np.linalg.slogdet(jac)[1]
        assert abs(float(log_q[i]) - expect) < 1e-7
    # log_q at arbitrary points inverts the flow and agrees with the draws' densities
    np.testing.assert_allclose(np.asarray(g.log_q(params, u)), np.asarray(log_q), atol=1e-9)


def test_flow_guide_starts_as_the_mean_field_guide():
    g = bound(vi.AutoNormalizingFlow(), 3, [1.0, 2.0, 3.0])
    mf = bound(vi.AutoNormal(), 3, [1.0, 2.0, 3.0])
    eps = np.random.default_rng(0).standard_normal((5, 3))
    u1, l1 = g.transform(g.init(0), eps)
    u2, l2 = mf.transform(mf.init(0), eps)
    np.testing.assert_allclose(np.asarray(u1), np.asarray(u2), atol=1e-14)
    np.testing.assert_allclose(np.asarray(l1), np.asarray(l2), atol=1e-12)


def test_guide_errors():
    with pytest.raises(ValueError, match="built for dim=2"):
        vi.AutoNormal(2).bind(3, np.zeros(3))
    with pytest.raises(ValueError, match="init_scale"):
        vi.AutoNormal(init_scale=0.0)
    with pytest.raises(ValueError, match="needs at least 2 dimensions"):
        vi.AutoNormalizingFlow(flow="realnvp").bind(1, np.zeros(1))
    with pytest.raises(ValueError, match="no dimension yet"):
        vi.AutoNormal().init()
    with pytest.raises(ValueError, match="expected guide"):
        vi.fit(lambda p: -(p**2), 0.0, guide="mean-field")


# --------------------------------------------------------------------------------------------
# Objectives
# --------------------------------------------------------------------------------------------

MEAN = np.array([1.0, -2.0])
COV = np.array([[2.0, 0.6], [0.6, 0.5]])


def _fullrank_guide():
    g = bound(vi.AutoMultivariateNormal(), 2, [0.5, -1.0])
    params = g.init()
    params["scale_tril"] = np.array([[0.3, 0.0], [0.4, -0.2]])
    return g, params


def test_elbo_estimators_match_the_closed_form():
    g, params = _fullrank_guide()
    log_p = gaussian_log_p(MEAN, COV)
    qm, qc = g.mean_cov(params)
    exact = -gaussian_kl(qm, qc, MEAN, COV)  # log Z = 0: the target is normalized
    n = 20000
    eps = np.random.default_rng(1).standard_normal((n, 2))
    u, log_q = g.transform(params, eps)
    w = np.asarray(log_p(u) - log_q)
    se = w.std() / math.sqrt(n)
    for objective in (vi.ELBO(n), vi.ELBO(n, estimator="score_function"), vi.RenyiELBO(1.0, n)):
        loss, estimate = objective.loss(g, log_p, params, eps)
        assert abs(float(estimate) - exact) < 4 * se, objective
        assert abs(float(loss) + float(estimate)) < 1e-12


def test_renyi_bounds_order_and_iwae():
    g, params = _fullrank_guide()
    log_p = gaussian_log_p(MEAN, COV)
    eps = np.random.default_rng(2).standard_normal((16, 2))
    values = [float(vi.RenyiELBO(a, 16).loss(g, log_p, params, eps)[1]) for a in (0.0, 0.5, 1.0)]
    # power means: the bound decreases as alpha grows, for the same draws
    assert values[0] >= values[1] >= values[2]
    iwae = float(vi.IWAE(16).loss(g, log_p, params, eps)[1])
    assert iwae == pytest.approx(values[0], abs=1e-12)
    u, log_q = g.transform(params, eps)
    w = np.asarray(log_p(u) - log_q)
    assert iwae == pytest.approx(scipy.special.logsumexp(w) - math.log(16), abs=1e-12)


def test_iwae_expectation_increases_with_k_towards_log_z():
    g, params = _fullrank_guide()
    log_p = gaussian_log_p(MEAN, COV)
    rng = np.random.default_rng(3)
    reps = 400
    means, ses = [], []
    for k in (1, 4, 32):
        est = np.array(
            [
                float(vi.IWAE(k).loss(g, log_p, params, rng.standard_normal((k, 2)))[1])
                for _ in range(reps)
            ]
        )
        means.append(est.mean())
        ses.append(est.std() / math.sqrt(reps))
    qm, qc = g.mean_cov(params)
    elbo = -gaussian_kl(qm, qc, MEAN, COV)
    assert abs(means[0] - elbo) < 4 * ses[0]  # K = 1 is the ELBO
    assert means[0] + 2 * ses[0] < means[1] and means[1] + 2 * ses[1] < means[2]
    assert means[2] < 0.0 + 4 * ses[2]  # below log Z = 0


class NotReparameterizedNormal(vi.AutoNormal):
    """A mean-field guide whose draws must not be differentiated through."""

    reparameterized = False


def test_score_function_gradient_matches_the_exact_and_reparameterized_ones():
    mean, sd = np.array([1.0, -1.0]), np.array([2.0, 0.5])
    log_p = gaussian_log_p(mean, np.diag(sd**2))
    params = {"loc": np.array([0.2, 0.3]), "scale": np.array([0.1, -0.4])}
    sigma = np.log1p(np.exp(params["scale"]))
    # ELBO = -KL(q || p): d/dloc = (mean - loc) / sd^2; d/dsigma = 1/sigma - sigma / sd^2,
    # times softplus' = sigmoid(raw)
    exact_loc = (mean - params["loc"]) / sd**2
    exact_raw = (1 / sigma - sigma / sd**2) / (1 + np.exp(-params["scale"]))
    n = 40000
    eps = np.random.default_rng(4).standard_normal((n, 2))
    sf = bound(NotReparameterizedNormal(), 2, np.zeros(2))
    rp = bound(vi.AutoNormal(), 2, np.zeros(2))
    objective = vi.ELBO(n)
    assert objective.uses_score_function(sf) and not objective.uses_score_function(rp)
    g_sf = fluxion.grad(lambda p: objective.loss(sf, log_p, p, eps)[0])(params)
    g_rp = fluxion.grad(lambda p: objective.loss(rp, log_p, p, eps)[0])(params)
    # the per-draw score-function terms (d log q / d loc = (u - loc) / sigma^2) give the Monte
    # Carlo error of their mean
    u = np.asarray(sf.transform(params, eps)[0])
    f = np.asarray(log_p(u) - sf.log_q(params, u))
    per_draw_loc = (u - params["loc"]) / sigma**2
    se_loc = (per_draw_loc * (f - f.mean())[:, None]).std(0) / math.sqrt(n)
    np.testing.assert_allclose(-np.asarray(g_sf["loc"]), exact_loc, atol=4 * se_loc.max())
    np.testing.assert_allclose(-np.asarray(g_rp["loc"]), exact_loc, atol=0.05)
    np.testing.assert_allclose(-np.asarray(g_rp["scale"]), exact_raw, atol=0.05)
    np.testing.assert_allclose(-np.asarray(g_sf["scale"]), exact_raw, rtol=0.1, atol=0.05)


def test_leave_one_out_baseline_reduces_variance():
    mean = np.array([3.0])
    log_p = gaussian_log_p(mean, np.eye(1))
    g = bound(NotReparameterizedNormal(), 1, np.zeros(1))
    params = g.init()
    rng = np.random.default_rng(5)

    def grads(cv):
        obj = vi.ELBO(8, control_variate=cv)
        out = []
        for _ in range(200):
            eps = rng.standard_normal((8, 1))
            out.append(
                float(fluxion.grad(lambda p, e=eps: obj.loss(g, log_p, p, e)[0])(params)["loc"][0])
            )
        return np.array(out)

    with_cv, without = grads("leave_one_out"), grads(None)
    assert with_cv.var() < 0.5 * without.var()
    # both unbiased for d(-ELBO)/dloc = -(mean - loc) = -3
    assert abs(with_cv.mean() + 3.0) < 4 * with_cv.std() / math.sqrt(200)


def test_objective_errors():
    with pytest.raises(ValueError, match="num_particles"):
        vi.ELBO(0)
    with pytest.raises(ValueError, match="estimator"):
        vi.ELBO(estimator="reinforce")
    with pytest.raises(ValueError, match="alpha"):
        vi.RenyiELBO(-1.0)
    g = bound(NotReparameterizedNormal(), 1, np.zeros(1))
    with pytest.raises(ValueError, match="not reparameterized"):
        vi.IWAE(4).loss(g, gaussian_log_p([0.0], np.eye(1)), g.init(), np.zeros((4, 1)))


# --------------------------------------------------------------------------------------------
# fit on Gaussian targets
# --------------------------------------------------------------------------------------------


def _decaying(steps, lr=0.05):
    """Adam with a cosine-decaying learning rate: the iterates settle instead of jittering at
    the scale of the constant learning rate (Robbins-Monro)."""
    return optim.adam(optim.cosine_decay_schedule(lr, steps))


def _gauss_model(mean, cov):
    prec = np.linalg.inv(cov)

    def log_prob(x):
        r = x - mean
        return -0.5 * fnp.dot(r, fnp.dot(prec, r))

    return log_prob


def test_meanfield_recovers_a_diagonal_gaussian():
    mean, sd = np.array([1.0, -3.0, 0.5]), np.array([0.5, 2.0, 1.0])
    res = vi.fit(
        _gauss_model(mean, np.diag(sd**2)),
        np.zeros(3),
        seed=0,
        progress=False,
        num_particles=4,
        steps=3000,
        tol=None,
        optimizer=_decaying(3000),
    )
    m, c = res.guide.mean_cov(res.params)
    np.testing.assert_allclose((m - mean) / sd, 0.0, atol=0.06)
    np.testing.assert_allclose(np.sqrt(np.diag(c)), sd, rtol=0.05)
    assert res.khat < 0.5 and res.diagnose().verdict == "good"
    # the ELBO reaches log Z = d/2 log 2 pi + sum log sd
    log_z = 1.5 * math.log(2 * math.pi) + np.log(sd).sum()
    assert abs(res.final_elbo - log_z) < 0.1


def _correlated(d, rho, seed=0):
    rng = np.random.default_rng(seed)
    sd = rng.uniform(0.5, 2.0, d)
    corr = np.full((d, d), rho) + (1 - rho) * np.eye(d)
    return rng.normal(size=d), corr * np.outer(sd, sd)


@pytest.mark.parametrize("d", [2, 5])
def test_fullrank_recovers_a_correlated_gaussian(d):
    mean, cov = _correlated(d, 0.8)
    res = vi.fit(
        _gauss_model(mean, cov),
        np.zeros(d),
        guide="fullrank",
        seed=1,
        progress=False,
        num_particles=4,
        steps=4000,
        tol=None,
        optimizer=_decaying(4000),
    )
    m, c = res.guide.mean_cov(res.params)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose((m - mean) / sd, 0.0, atol=0.06)
    np.testing.assert_allclose(c / np.outer(sd, sd), cov / np.outer(sd, sd), atol=0.05)
    assert gaussian_kl(m, c, mean, cov) < 0.01
    assert res.khat < 0.5


def test_meanfield_on_a_correlated_gaussian_underestimates_variances_as_theory_says():
    mean, cov = _correlated(3, 0.9, seed=2)
    res = vi.fit(
        _gauss_model(mean, cov),
        np.zeros(3),
        seed=2,
        progress=False,
        num_particles=4,
        steps=3000,
        tol=None,
        optimizer=_decaying(3000),
    )
    m, c = res.guide.mean_cov(res.params)
    theory = 1.0 / np.diag(np.linalg.inv(cov))  # KL(q||p)'s optimum: 1 / diag(precision)
    np.testing.assert_allclose(np.diag(c), theory, rtol=0.1)
    assert np.all(np.diag(c) < 0.5 * np.diag(cov))
    np.testing.assert_allclose(m, mean, atol=0.1 * np.sqrt(theory).min())
    # a too-narrow approximation: heavy-tailed importance ratios
    assert res.khat > 0.7 and res.diagnose().verdict == "bad"


def test_lowrank_renyi_and_iwae_fits_of_a_correlated_gaussian():
    mean, cov = _correlated(3, 0.8, seed=3)
    kl = {}
    for name, kwargs in {
        "lowrank": {"guide": vi.AutoLowRankMultivariateNormal(rank=1)},
        "renyi": {"guide": "fullrank", "objective": vi.RenyiELBO(0.5, 4)},
        "iwae": {"guide": "fullrank", "objective": vi.IWAE(4)},
    }.items():
        res = vi.fit(
            _gauss_model(mean, cov),
            np.zeros(3),
            seed=4,
            progress=False,
            steps=3000,
            tol=None,
            optimizer=_decaying(3000),
            **kwargs,
        )
        m, c = res.guide.mean_cov(res.params)
        kl[name] = gaussian_kl(m, c, mean, cov)
    # rank 1 fits an equicorrelated covariance (one factor plus a diagonal) exactly; every bound
    # is maximised by q = p here. IWAE's guide gradient is the noisiest (its signal-to-noise
    # ratio falls with K: Rainforth et al. 2018), hence its wider band
    assert kl["lowrank"] < 0.02 and kl["renyi"] < 0.02 and kl["iwae"] < 0.05, kl


def test_convergence_detection_stops_early_and_records_history():
    res = vi.fit(
        _gauss_model(np.zeros(2), np.eye(2)),
        np.ones(2),
        seed=0,
        progress=False,
        steps=20000,
        window=200,
    )
    assert res.converged and res.steps_run < 20000 and res.steps_run % 200 == 0
    assert res.elbo.shape == (res.steps_run,)
    assert abs(res.final_elbo - math.log(2 * math.pi)) < 0.1
    full = vi.fit(
        _gauss_model(np.zeros(2), np.eye(2)),
        np.ones(2),
        seed=0,
        progress=False,
        steps=700,
        tol=None,
    )
    assert not full.converged and full.steps_run == 700


def test_fit_is_reproducible_and_continues():
    lp = _gauss_model(np.ones(2), np.eye(2))
    a = vi.fit(lp, np.zeros(2), seed=7, progress=False, steps=300, tol=None)
    b = vi.fit(lp, np.zeros(2), seed=7, progress=False, steps=300, tol=None)
    # same seed, same numbers (to rounding: jit may promote the step to another tier midway)
    np.testing.assert_allclose(a.elbo, b.elbo, rtol=1e-9, atol=1e-9)
    c = vi.fit(
        lp,
        np.zeros(2),
        seed=8,
        progress=False,
        steps=300,
        tol=None,
        init_params=a.params,
        opt_state=a.opt_state,
    )
    assert c.elbo[:50].mean() > a.elbo[:50].mean()


def test_constraints_and_sample_posterior_in_the_constrained_space():
    # sigma ~ LogNormal(0, 0.5) exactly: log sigma is N(0, 0.5^2), so the mean-field guide on
    # u = log sigma is exact
    def log_prob(p):
        s = p["sigma"]
        return -0.5 * (fnp.log(s) / 0.5) ** 2 - fnp.log(s) - 0.5 * p["mu"] ** 2

    res = vi.fit(
        log_prob,
        {"mu": 1.0, "sigma": 2.0},
        constraints={"sigma": "positive"},
        seed=0,
        progress=False,
        steps=3000,
        tol=None,
        num_particles=4,
    )
    draws = res.sample_posterior(20000, seed=1)
    assert set(draws) == {"mu", "sigma"} and draws["sigma"].shape == (20000,)
    assert np.all(draws["sigma"] > 0)
    ref = scipy.stats.lognorm(0.5)
    assert abs(np.median(draws["sigma"]) - 1.0) < 0.05
    assert abs(draws["sigma"].mean() - ref.mean()) < 0.06
    assert abs(draws["mu"].std() - 1.0) < 0.06


# --------------------------------------------------------------------------------------------
# Errors and the NaN stop
# --------------------------------------------------------------------------------------------


def test_nan_elbo_stops_with_the_last_finite_state():
    # a target that is NaN beyond x = 2 while its mode is at 10: the guide walks into it
    def log_prob(x):
        return -0.5 * (x - 10.0) ** 2 + fnp.where(x > 2.0, fnp.nan, 0.0)

    with pytest.raises(vi.NonFiniteELBOError, match=r"non-finite at step \d+.*err.params") as info:
        vi.fit(log_prob, 0.0, seed=0, progress=False, steps=5000, optimizer=optim.adam(0.05))
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert err.step > 0 and err.result.steps_run == err.step
    assert err.result.params is err.params
    assert np.all(np.isfinite(err.result.elbo))
    assert float(err.params["loc"][0]) < 2.5  # the state before the bad step


def test_fit_bad_input():
    lp = _gauss_model(np.zeros(1), np.eye(1))
    with pytest.raises(TypeError, match="expected init"):
        vi.fit(lp)
    with pytest.raises(ValueError, match="steps"):
        vi.fit(lp, np.zeros(1), steps=-1)
    with pytest.raises(ValueError, match="init_to"):
        vi.fit(lp, np.zeros(1), init_to="median")
    with pytest.raises(TypeError, match="optimizer"):
        vi.fit(lp, np.zeros(1), optimizer="adam")
    with pytest.raises(TypeError, match="objective"):
        vi.fit(lp, np.zeros(1), objective="elbo")
    with pytest.raises(ValueError, match="tol"):
        vi.fit(lp, np.zeros(1), tol=-1.0)
    with pytest.raises(ValueError, match="constraints name 'sgima'"):
        vi.fit(lambda p: -p["sigma"], {"sigma": 1.0}, constraints={"sgima": "positive"})


def test_init_to_map_preconditions_a_badly_scaled_posterior():
    # sd 1000 and 0.001: Adam's steps of ~lr cannot reach this from the start in 2000 steps
    mean, sd = np.array([5000.0, 0.01]), np.array([1000.0, 0.001])
    lp = _gauss_model(mean, np.diag(sd**2))
    res = vi.fit(
        lp,
        np.zeros(2),
        init_to="map",
        seed=0,
        progress=False,
        steps=2000,
        tol=None,
        num_particles=4,
    )
    m, c = res.guide.mean_cov(res.params)
    np.testing.assert_allclose(m, mean, atol=0.1 * 0.001, rtol=0.02)
    np.testing.assert_allclose(np.sqrt(np.diag(c)), sd, rtol=0.1)
    draws = res.sample_unconstrained(20000, seed=1)
    np.testing.assert_allclose(draws.std(0), sd, rtol=0.1)
    assert res.khat < 0.5


# --------------------------------------------------------------------------------------------
# Results as MCMC results; joint models
# --------------------------------------------------------------------------------------------


def test_to_sample_result_summary_arviz_and_plots(tmp_path):
    lp = _gauss_model(np.array([1.0, 2.0]), np.eye(2))
    res = vi.fit(
        lambda p: lp(fnp.stack([p["a"], p["b"]])),
        {"a": 0.0, "b": 0.0},
        seed=0,
        progress=False,
        steps=1500,
        tol=None,
    )
    sr = res.to_sample_result(draws=500, chains=2, seed=3)
    assert sr.kernel == "vi" and sr.draws["a"].shape == (2, 500)
    assert sr.stats["log_density"].shape == (2, 500) and sr.stats["log_q"].shape == (2, 500)
    table = sr.summary()
    rows = list(table.index)
    means = np.asarray(table["mean"]) if hasattr(table, "__getitem__") else None
    assert rows == ["a", "b"]
    np.testing.assert_allclose(np.asarray(means, dtype=float), [1.0, 2.0], atol=0.2)
    az = pytest.importorskip("arviz")
    idata = sr.to_arviz()
    assert isinstance(idata, az.InferenceData)
    assert idata.posterior["a"].shape == (2, 500)
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from fluxion import plot

    plot.trace(sr, path=str(tmp_path / "trace.png"))
    assert (tmp_path / "trace.png").stat().st_size > 0
    pytest.importorskip("corner")
    plot.corner(sr, path=str(tmp_path / "corner.png"))
    assert (tmp_path / "corner.png").stat().st_size > 0


def test_fit_a_joint_model_without_init():
    import fluxion.distributions as fd

    rng = np.random.default_rng(0)
    y = rng.normal(1.5, 2.0, size=50)
    model = fd.JointDistributionNamed(
        {
            "mu": fd.Normal(0.0, 10.0),
            "sigma": fd.HalfNormal(5.0),
            "y": lambda mu, sigma: fd.Independent(fd.Normal(mu * fnp.ones(50), sigma), 1),
        }
    ).condition(y=y)
    res = vi.fit(model, seed=0, progress=False, steps=3000, tol=None, num_particles=2)
    draws = res.sample_posterior(4000, seed=1)
    assert set(draws) == {"mu", "sigma"}
    assert abs(draws["mu"].mean() - y.mean()) < 0.1
    assert abs(draws["sigma"].mean() - y.std(ddof=1)) < 0.25
    sr = res.to_sample_result(draws=200)
    assert sr.log_likelihood["y"].shape == (1, 200)  # y is one event (Independent)
    assert sr.observed_data["y"].shape == (50,)


# --------------------------------------------------------------------------------------------
# The banana example: a normalizing flow beats mean-field
# --------------------------------------------------------------------------------------------


def test_banana_flow_beats_meanfield_quick():
    import banana_flow_vi

    out = banana_flow_vi.main(steps=1000, verbose=False)
    mf, flow = out["meanfield"], out["flow"]
    assert flow["elbo"] > mf["elbo"] + 0.15
    assert flow["elbo"] < banana_flow_vi.LOG_Z + 0.05  # a lower bound (up to MC noise)
    assert flow["khat"] < 0.7 < mf["khat"]
    # E[x2] = 1: the Gaussian fit misses it by far more than the flow
    assert abs(flow["mean"][1] - 1.0) < 0.5 * abs(mf["mean"][1] - 1.0)


@pytest.mark.slow
def test_banana_flow_matches_the_closed_form_moments():
    import banana_flow_vi

    out = banana_flow_vi.main(steps=6000, verbose=False)
    flow = out["flow"]
    true_mean, true_sd = banana_flow_vi.TRUE_MEAN, banana_flow_vi.TRUE_SD
    assert abs(flow["elbo"] - banana_flow_vi.LOG_Z) < 0.02
    assert flow["khat"] < 0.5
    np.testing.assert_allclose((flow["mean"] - true_mean) / true_sd, 0.0, atol=0.1)
    np.testing.assert_allclose(flow["sd"] / true_sd, 1.0, atol=0.1)
    np.testing.assert_allclose((flow["psis_mean"] - true_mean) / true_sd, 0.0, atol=0.05)
    np.testing.assert_allclose(flow["psis_sd"] / true_sd, 1.0, atol=0.05)


def test_fit_with_the_score_function_estimator():
    # a guide marked not reparameterized is fitted through log q's gradient alone
    mean, sd = np.array([2.0, -1.0]), np.array([1.0, 0.5])
    res = vi.fit(
        _gauss_model(mean, np.diag(sd**2)),
        np.zeros(2),
        guide=NotReparameterizedNormal(),
        num_particles=8,
        steps=3000,
        tol=None,
        optimizer=_decaying(3000),
        seed=0,
        progress=False,
    )
    m, c = res.guide.mean_cov(res.params)
    np.testing.assert_allclose((m - mean) / sd, 0.0, atol=0.1)
    np.testing.assert_allclose(np.sqrt(np.diag(c)) / sd, 1.0, atol=0.1)


def test_progress_bar_on_a_stream():
    import io

    stream = io.StringIO()
    vi.fit(
        _gauss_model(np.zeros(1), np.eye(1)),
        np.zeros(1),
        steps=200,
        tol=None,
        progress=stream,
        seed=0,
    )
    text = stream.getvalue()
    assert "200/200" in text and "loss" in text
