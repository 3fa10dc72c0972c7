"""Joint distributions: JointDistributionSequential / Named / Coroutine, conditioning, the
model protocol (``sample``, ``minimize``, ``laplace`` take a conditioned model), the pointwise
log-likelihood and ``arviz.loo``, ``Predictive``, and the in-support densities the potential
uses. scipy.stats is the oracle."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats as st

import fluxion
import fluxion.distributions as fd
import fluxion.numpy as fnp
from fluxion.distributions import Root, Variable
from fluxion.infer import Predictive
from fluxion.mcmc import sample
from fluxion.optim import laplace, minimize

Y = np.array([0.8, 1.9, 1.2, 2.4, 0.3])


def sequential():
    return fd.JointDistributionSequential([
        fd.Normal(0.0, 2.0),
        fd.HalfNormal(1.5),
        lambda sigma, mu: fd.Normal(mu, sigma * np.ones(5)),
    ])


def named():
    return fd.JointDistributionNamed({
        "y": lambda mu, sigma: fd.Normal(mu, sigma * np.ones(5)),
        "mu": fd.Normal(0.0, 2.0),
        "sigma": fd.HalfNormal(1.5),
    })


def coroutine():
    def model():
        mu = yield Root(fd.Normal(0.0, 2.0), name="mu")
        sigma = yield Root(fd.HalfNormal(1.5), name="sigma")
        yield Variable(fd.Normal(mu, sigma * np.ones(5)), name="y")

    return fd.JointDistributionCoroutine(model)


def manual_log_prob(mu, sigma, y):
    return (st.norm.logpdf(mu, 0.0, 2.0) + st.halfnorm.logpdf(sigma, scale=1.5)
            + st.norm.logpdf(y, mu, sigma).sum(-1))


MAKERS = {"sequential": sequential, "named": named, "coroutine": coroutine}


# --- the three forms --------------------------------------------------------------------------


@pytest.mark.parametrize("form", MAKERS)
def test_names_and_shapes(form):
    jd = MAKERS[form]()
    expected = ["mu", "sigma", "x2"] if form == "sequential" else ["mu", "sigma", "y"]
    assert jd.names == expected
    shapes = dict(zip(expected, [(), (), (5,)]))
    if form == "named":
        assert jd.event_shape == shapes
        assert jd.batch_shape == {k: () for k in expected}
    else:
        assert jd.event_shape == list(shapes.values())
        assert jd.batch_shape == [(), (), ()]


@pytest.mark.parametrize("form", MAKERS)
def test_log_prob_matches_scipy(form):
    jd = MAKERS[form]()
    draw = jd.sample(seed=3)
    mu, sigma, y = (draw[k] for k in ("mu", "sigma", "y")) if form == "named" else draw
    assert np.shape(y) == (5,)
    np.testing.assert_allclose(jd.log_prob(draw), manual_log_prob(mu, sigma, y), rtol=1e-12)
    parts = jd.log_prob_parts(draw)
    parts = list(parts.values()) if form == "named" else parts
    np.testing.assert_allclose(parts[2], st.norm.logpdf(y, mu, sigma).sum(), rtol=1e-12)


@pytest.mark.parametrize("form", MAKERS)
def test_batched_sample_and_log_prob(form):
    jd = MAKERS[form]()
    draws = jd.sample((4, 3), seed=0)
    values = list(draws.values()) if form == "named" else draws
    assert [np.shape(v) for v in values] == [(4, 3), (4, 3), (4, 3, 5)]
    lp = jd.log_prob(draws)
    assert lp.shape == (4, 3)
    mu, sigma, y = values
    want = (st.norm.logpdf(mu, 0, 2) + st.halfnorm.logpdf(sigma, scale=1.5)
            + st.norm.logpdf(y, mu[..., None], sigma[..., None]).sum(-1))
    np.testing.assert_allclose(lp, want, rtol=1e-12)


def test_sample_moments():
    jd = named()
    draws = jd.sample(4000, seed=1)
    assert abs(draws["mu"].mean()) < 4 * 2.0 / np.sqrt(4000)
    # y - mu ~ N(0, sigma): its variance is E[sigma^2] = 1.5^2
    var = np.var(draws["y"] - draws["mu"][:, None])
    assert abs(var - 2.25) < 0.25


def test_sequential_arguments_are_previous_values_in_reverse_order():
    jd = fd.JointDistributionSequential([
        fd.Normal(10.0, 1e-6),
        lambda a: fd.Normal(-a, 1e-6),
        lambda b, a: fd.Normal(a + 2 * b, 1e-6),
    ])
    a, b, c = jd.sample(seed=0)
    assert abs(a - 10) < 1e-4 and abs(b + 10) < 1e-4 and abs(c + 10) < 1e-4
    assert jd.names == ["a", "b", "x2"]


def test_sequential_explicit_names_and_dict_values():
    jd = fd.JointDistributionSequential([fd.Normal(0.0, 1.0), lambda m: fd.Normal(m, 1.0)],
                                        names=["m", "obs"])
    lp = jd.log_prob({"m": 0.5, "obs": 1.0})
    np.testing.assert_allclose(lp, st.norm.logpdf(0.5) + st.norm.logpdf(1.0, 0.5))


def test_coroutine_automatic_names():
    def model():
        a = yield fd.Normal(0.0, 1.0)
        yield fd.Normal(a, 1.0)

    jd = fd.JointDistributionCoroutine(model)
    assert jd.names == ["x0", "x1"]


def test_log_prob_is_differentiable_and_jittable():
    jd = named()
    f = fluxion.jit(lambda p: jd.log_prob({"mu": p[0], "sigma": p[1], "y": Y}))
    g = fluxion.grad(lambda p: jd.log_prob({"mu": p[0], "sigma": p[1], "y": Y}))
    p = np.array([0.7, 1.1])
    np.testing.assert_allclose(f(p), manual_log_prob(0.7, 1.1, Y), rtol=1e-12)
    eps = 1e-6
    fd_grad = [(manual_log_prob(0.7 + eps, 1.1, Y) - manual_log_prob(0.7 - eps, 1.1, Y)) / 2e-6,
               (manual_log_prob(0.7, 1.1 + eps, Y) - manual_log_prob(0.7, 1.1 - eps, Y)) / 2e-6]
    np.testing.assert_allclose(g(p), fd_grad, rtol=1e-6)


# --- errors -----------------------------------------------------------------------------------


def test_condition_unknown_name_names_the_closest():
    with pytest.raises(ValueError, match=r"'sigam' \(did you mean 'sigma'\?\) is not a variable"):
        named().condition(sigam=1.0)


def test_construction_errors():
    with pytest.raises(ValueError, match="entry 1 takes 2 arguments"):
        fd.JointDistributionSequential([fd.Normal(0.0, 1.0), lambda a, b: fd.Normal(a, b)])
    with pytest.raises(ValueError, match=r"'mux' \(did you mean 'mu'\?\)"):
        fd.JointDistributionNamed({"mu": fd.Normal(0.0, 1.0), "y": lambda mux: fd.Normal(mux, 1)})
    with pytest.raises(ValueError, match="cycle"):
        fd.JointDistributionNamed({"a": lambda b: fd.Normal(b, 1.0),
                                   "b": lambda a: fd.Normal(a, 1.0)})
    with pytest.raises(TypeError, match="generator function"):
        fd.JointDistributionCoroutine(lambda: fd.Normal(0.0, 1.0))
    jd = fd.JointDistributionNamed({"a": fd.Normal(0.0, 1.0), "b": lambda a: None})
    with pytest.raises(TypeError, match="forget to return"):
        jd.sample(seed=0)


def test_model_errors():
    jd = fd.JointDistributionNamed({"rate": fd.Gamma(2.0, 1.0),
                                    "k": lambda rate: fd.Poisson(rate * np.ones(3))})
    with pytest.raises(ValueError, match="outside the support of Poisson"):
        jd.condition(k=np.array([1.0, -2.0, 3.0])).__fluxion_model__()
    with pytest.raises(ValueError, match="'k' is discrete"):
        jd.condition(rate=1.0).__fluxion_model__()
    with pytest.raises(ValueError, match="nothing is left to infer"):
        jd.condition(rate=1.0, k=np.ones(3)).__fluxion_model__()
    model = jd.condition(k=np.array([1.0, 0.0, 3.0]))
    with pytest.raises(ValueError, match=r"'rte' \(did you mean 'rate'\?\)"):
        sample(model, init={"rte": 1.0}, chains=1, draws=5, warmup=5, progress=False)
    with pytest.raises(TypeError, match="expected init"):
        sample(lambda p: -p**2)
    with pytest.raises(ValueError, match="missing values for 'y'"):
        named().log_prob({"mu": 0.0, "sigma": 1.0})


# --- conditioning and the model protocol --------------------------------------------------------


def test_conditioned_spec():
    model = named().condition(y=Y)
    spec = model.__fluxion_model__()
    assert model.free == ["mu", "sigma"]
    assert set(spec.init) == {"mu", "sigma"}
    assert float(spec.init["sigma"]) == 1.0  # exp(0): the positive bijector's image of zero
    assert np.isclose(float(spec.constraints["sigma"].forward(0.0)), 1.0)
    np.testing.assert_allclose(model.log_prob({"mu": 0.3, "sigma": 0.8}),
                               manual_log_prob(0.3, 0.8, Y), rtol=1e-12)
    ll = model.log_likelihood({"mu": 0.3, "sigma": 0.8})
    np.testing.assert_allclose(ll["y"], st.norm.logpdf(Y, 0.3, 0.8), rtol=1e-12)


@pytest.mark.parametrize("form", MAKERS)
def test_sample_a_conditioned_model(form):
    jd = MAKERS[form]()
    obs = "x2" if form == "sequential" else "y"
    model = jd.condition({obs: Y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(model, chains=2, draws=150, warmup=150, seed=1, progress=False)
    assert set(res.draws) == {"mu", "sigma"}
    assert res.draws["sigma"].shape == (2, 150)
    assert np.all(res.draws["sigma"] > 0)
    assert res.log_likelihood[obs].shape == (2, 150, 5)
    mu, sigma = res.draws["mu"][1, 7], res.draws["sigma"][1, 7]
    np.testing.assert_allclose(res.log_likelihood[obs][1, 7], st.norm.logpdf(Y, mu, sigma))
    assert abs(res.draws["mu"].mean() - Y.mean()) < 0.5


def test_to_arviz_and_loo_and_posterior_predictive():
    az = pytest.importorskip("arviz")
    model = named().condition(y=Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(model, chains=2, draws=200, warmup=200, seed=2, progress=False)
        pp = Predictive(model, res)(seed=3)
        idata = res.to_arviz(posterior_predictive=pp)
        loo = az.loo(idata)
    assert pp["y"].shape == (2, 200, 5)
    assert {"posterior", "log_likelihood", "observed_data", "posterior_predictive"} <= set(
        idata.groups())
    assert np.isfinite(loo.elpd_loo)


def test_predictive():
    jd = named()
    prior = Predictive(jd, num_samples=7)(seed=0)
    assert {k: v.shape for k, v in prior.items()} == {"mu": (7,), "sigma": (7,), "y": (7, 5)}
    post = Predictive(jd.condition(y=Y), {"mu": np.full((2, 3), 100.0),
                                          "sigma": np.full((2, 3), 1e-3)})(seed=1)
    assert list(post) == ["y"] and post["y"].shape == (2, 3, 5)
    np.testing.assert_allclose(post["y"], 100.0, atol=0.01)
    with pytest.raises(ValueError, match=r"'mus' \(did you mean 'mu'\?\)"):
        Predictive(jd, {"mus": np.zeros((1, 2))})
    with pytest.raises(TypeError, match="expected a joint distribution"):
        Predictive(lambda p: p)


def test_minimize_and_laplace_take_a_model():
    # conjugate: y_i ~ N(mu, 1), mu ~ N(0, 10): the posterior is normal
    rng = np.random.default_rng(0)
    y = rng.normal(1.5, 1.0, size=50)
    model = fd.JointDistributionNamed({
        "mu": fd.Normal(0.0, 10.0), "y": lambda mu: fd.Normal(mu * np.ones(50), 1.0),
    }).condition(y=y)
    prec = 1 / 100 + 50
    post_mean, post_sd = y.sum() / prec, prec**-0.5
    res = minimize(model)
    assert res.success
    np.testing.assert_allclose(res.x["mu"], post_mean, rtol=1e-6)
    fit = laplace(model)
    np.testing.assert_allclose(fit.mode["mu"], post_mean, rtol=1e-6)
    np.testing.assert_allclose(fit.std["mu"], post_sd, rtol=1e-6)


def test_minimize_respects_the_support():
    model = named().condition(y=Y)
    res = minimize(model)
    assert res.success and res.x["sigma"] > 0
    grid = np.linspace(0.2, 2.0, 2001)
    best = grid[np.argmax([manual_log_prob(res.x["mu"], s, Y) for s in grid])]
    assert abs(best - res.x["sigma"]) < 2e-3


def test_compiled_nuts_runs_a_joint_model(compiled_nuts):
    pytest.importorskip("numba")
    model = named().condition(y=Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(model, chains=2, draws=200, warmup=200, seed=4, progress=False)
    assert res.compiled == "chain"
    assert res.potential == "tape"
    assert res.log_likelihood["y"].shape == (2, 200, 5)


# --- the densities the potential uses ----------------------------------------------------------

RNG = np.random.default_rng(5)
IN_SUPPORT = [
    (fd.Normal(0.3, 1.7), st.norm(0.3, 1.7), RNG.normal(size=6)),
    (fd.Normal(RNG.normal(size=6), 1.7), None, RNG.normal(size=6)),
    (fd.Cauchy(0.3, 1.7), st.cauchy(0.3, 1.7), RNG.normal(size=6)),
    (fd.Laplace(0.3, 1.7), st.laplace(0.3, 1.7), RNG.normal(size=6)),
    (fd.StudentT(3.5, 0.3, 1.7), st.t(3.5, 0.3, 1.7), RNG.normal(size=6)),
    (fd.HalfNormal(1.7), st.halfnorm(scale=1.7), RNG.uniform(0.1, 3, 6)),
    (fd.HalfCauchy(0.0, 1.7), st.halfcauchy(scale=1.7), RNG.uniform(0.1, 3, 6)),
    (fd.LogNormal(0.3, 0.7), st.lognorm(0.7, scale=np.exp(0.3)), RNG.uniform(0.1, 3, 6)),
    (fd.Exponential(1.3), st.expon(scale=1 / 1.3), RNG.uniform(0.1, 3, 6)),
    (fd.Gamma(2.5, 1.3), st.gamma(2.5, scale=1 / 1.3), RNG.uniform(0.1, 3, 6)),
    (fd.Beta(2.5, 1.3), st.beta(2.5, 1.3), RNG.uniform(0.05, 0.95, 6)),
    (fd.Uniform(-1.0, 2.0), st.uniform(-1.0, 3.0), RNG.uniform(-0.9, 1.9, 6)),
]


@pytest.mark.parametrize("d, ref, x", IN_SUPPORT, ids=[c[0].name for c in IN_SUPPORT])
def test_in_support_densities(d, ref, x):
    want = np.asarray(d.log_prob(x)) if ref is None else ref.logpdf(x)
    np.testing.assert_allclose(d._log_prob_in_support(x), want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(d._log_prob_sum_in_support(x), want.sum(), rtol=1e-12)


def test_potential_has_no_support_masks():
    model = named().condition(y=Y)
    spec = model.__fluxion_model__()
    graph = fluxion.make_graph(lambda m, s: spec.log_prob({"mu": m, "sigma": s}))(0.1, 1.0)
    text = graph.pretty()
    assert "isnan" not in text and "where" not in text


def test_improper_uniform():
    flat = fd.ImproperUniform(fd.constraints.positive, shape=(2,))
    assert flat.batch_shape == (2,) and flat.event_shape == ()
    np.testing.assert_array_equal(flat.log_prob([1.0, 3.0]), [0.0, 0.0])
    assert np.all(np.isneginf(flat.log_prob([-1.0, -3.0])))
    assert np.all(flat.sample(10, seed=0) > 0)
    with pytest.raises(TypeError, match="expected support to be a constraint"):
        fd.ImproperUniform("positive")


def test_ordered_constraint_override():
    jd = fd.JointDistributionNamed({
        "mu": fd.Normal(np.zeros(2), 2.0),
        "y": lambda mu: fd.Normal(fnp.sum(mu) * np.ones(3), 1.0),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(jd.condition(y=np.zeros(3)), constraints={"mu": "ordered"}, chains=1,
                     draws=100, warmup=100, seed=0, progress=False)
    assert np.all(np.diff(res.draws["mu"], axis=-1) > 0)


def test_independent_in_support_density():
    base = fd.Normal(np.zeros((2, 3)), 1.5)
    d = fd.Independent(base, 1)
    x = np.random.default_rng(0).normal(size=(2, 3))
    np.testing.assert_allclose(d._log_prob_in_support(x), d.log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(d._log_prob_sum_in_support(x), d.log_prob(x).sum(), rtol=1e-12)


def test_support_depending_on_another_variable_is_an_error():
    jd = fd.JointDistributionNamed({
        "theta": fd.HalfNormal(1.0),
        "x": lambda theta: fd.Uniform(0.0, theta),
        "y": lambda x: fd.Normal(x, 1.0),
    })
    with pytest.raises(NotImplementedError, match="support of 'x'.*depends on other variables"):
        jd.condition(y=0.3).__fluxion_model__()


def test_mixture_and_mvn_in_support_densities():
    rng = np.random.default_rng(1)
    mix = fd.MixtureSameFamily(fd.Categorical(probs=np.array([0.3, 0.7])),
                               fd.Normal(np.array([-1.0, 2.0]), np.array([0.5, 1.5])))
    x = rng.normal(size=7)
    np.testing.assert_allclose(mix._log_prob_in_support(x), mix.log_prob(x), rtol=1e-12)
    batched = fd.MixtureSameFamily(fd.Categorical(probs=np.array([[0.3, 0.7]] * 3)),
                                   fd.Normal(rng.normal(size=(3, 2)), 1.5))
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(batched._log_prob_in_support(x), batched.log_prob(x), rtol=1e-12)
    components = fd.MultivariateNormalDiag(rng.normal(size=(3, 2)), np.ones((1, 2)))
    vector = fd.MixtureSameFamily(fd.Categorical(probs=np.array([0.2, 0.3, 0.5])), components)
    x = rng.normal(size=(5, 2))
    np.testing.assert_allclose(vector._log_prob_in_support(x), vector.log_prob(x), rtol=1e-12)
    nested = fd.MixtureSameFamily(fd.Categorical(probs=np.array([0.4, 0.6])),
                                  fd.Independent(fd.Normal(rng.normal(size=(2, 3)), 1.0), 1))
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(nested._log_prob_in_support(x), nested.log_prob(x), rtol=1e-12)
    a = rng.normal(size=(4, 4))
    cov = a @ a.T + 4 * np.eye(4)
    mvn = fd.MultivariateNormalFullCovariance(rng.normal(size=4), cov)
    y = rng.normal(size=4)
    np.testing.assert_allclose(mvn._log_prob_in_support(y),
                               st.multivariate_normal.logpdf(y, mvn.loc, cov), rtol=1e-12)


def test_a_singular_matrix_in_a_leapfrog_step_is_a_divergence():
    from fluxion._src.mcmc.hmc import Metric, _leapfrog

    def raises(q):
        raise np.linalg.LinAlgError("Singular matrix")

    q, p, logp, grad = _leapfrog(raises, np.zeros(2), np.ones(2), np.zeros(2), 0.1,
                                 Metric(np.ones(2)))
    assert logp == -np.inf and np.all(grad == 0)
