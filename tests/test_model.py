"""The unconstrained model (``fluxion.infer.UnconstrainedModel``) and its three users:
``mcmc.sample``, ``optim.laplace`` and ``optim.minimize(constraints=...)``. Constraints are
matched to parameters by name; the same dict means the same thing to all three."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.special

import fluxion
import fluxion.bijectors as fb
import fluxion.numpy as fnp
from fluxion.diagnostics import rhat
from fluxion.infer import UnconstrainedModel, leaf_names
from fluxion.mcmc import sample
from fluxion.optim import laplace, minimize

# A regression with three parameters, two unconstrained (a, b) and one positive (sigma).
RNG = np.random.default_rng(11)
XS = np.linspace(-1.0, 1.0, 60)
YS = 0.5 - 1.2 * XS + RNG.normal(0.0, 0.3, XS.size)
DESIGN = np.column_stack([np.ones_like(XS), XS])
OLS = np.linalg.lstsq(DESIGN, YS, rcond=None)[0]
RSS = float(np.sum((YS - DESIGN @ OLS) ** 2))
INIT = {"a": 0.0, "b": 0.0, "sigma": 1.0}


def log_post(p):
    """Gaussian likelihood, flat priors on a, b and sigma."""
    r = (YS - p["a"] - p["b"] * XS) / p["sigma"]
    return -0.5 * fnp.sum(r**2) - XS.size * fnp.log(p["sigma"])


def neg_log_post(p):
    return -log_post(p)


# --------------------------------------------------------------------------------------------
# Must show: a three-leaf model, a partial dict, one object for sample, laplace and minimize
# --------------------------------------------------------------------------------------------


def test_three_leaf_sample_with_a_partial_dict_agrees_with_laplace_and_minimize():
    constraints = {"sigma": "positive"}  # a and b are not named: unconstrained
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a rare divergence must not fail the comparison
        res = sample(
            log_post,
            INIT,
            constraints=constraints,
            chains=2,
            draws=600,
            warmup=400,
            seed=1,
            progress=False,
        )
    draws = res.draws
    assert set(draws) == {"a", "b", "sigma"}
    assert draws["sigma"].min() > 0
    for name in draws:
        assert rhat(draws[name]) < 1.05, name
    # the posterior of (a, b) given flat priors is centred on least squares
    sd_a = np.sqrt(RSS / XS.size / XS.size)  # the posterior sd of a, sigma / sqrt(N)
    assert abs(draws["a"].mean() - OLS[0]) < 4 * sd_a / np.sqrt(100)
    assert abs(draws["b"].mean() - OLS[1]) < 0.05

    # minimize, the same dict: the MAP (the MLE here) sits inside the support, in closed form
    fit_min = minimize(neg_log_post, INIT, constraints=constraints)
    assert fit_min.success
    np.testing.assert_allclose([fit_min.x["a"], fit_min.x["b"]], OLS, rtol=1e-6)
    assert float(fit_min.x["sigma"]) == pytest.approx(np.sqrt(RSS / XS.size), rel=1e-6)
    np.testing.assert_allclose(fit_min.x_unconstrained[2], np.log(fit_min.x["sigma"]))

    # laplace, the same dict: in u = log sigma the mode has sigma^2 = RSS / (N - 1), and the
    # Gaussian's moments match the sampled posterior's in u (the marginal mode of log sigma is
    # at RSS / (N - 3): 0.017 away)
    fit = laplace(log_post, INIT, constraints=constraints)
    assert float(fit.mode["sigma"]) == pytest.approx(np.sqrt(RSS / (XS.size - 1)), rel=1e-8)
    np.testing.assert_allclose([fit.mode["a"], fit.mode["b"]], OLS, rtol=1e-8)
    u_draws = np.stack(
        [draws["a"].ravel(), draws["b"].ravel(), np.log(draws["sigma"]).ravel()], axis=1
    )
    np.testing.assert_allclose(u_draws.mean(axis=0), fit.mean, atol=0.03)
    np.testing.assert_allclose(u_draws.std(axis=0), np.sqrt(np.diag(fit.covariance)), rtol=0.15)
    # one model behind the three: the same names and the same map
    model = UnconstrainedModel(log_post, INIT, constraints)
    assert model.names == ["a", "b", "sigma"]
    assert float(model.forward(fit.mean)["sigma"]) == pytest.approx(float(fit.mode["sigma"]))
    assert float(model.forward(fit_min.x_unconstrained)["sigma"]) == pytest.approx(
        float(fit_min.x["sigma"])
    )


def test_a_misspelt_name_is_an_error_naming_the_parameter():
    pattern = (
        r"'sgima' \(did you mean 'sigma'\?\), which is not a parameter; "
        r"the parameters are 'a', 'b', 'sigma'"
    )
    with pytest.raises(ValueError, match="sample: constraints name " + pattern):
        sample(log_post, INIT, constraints={"sgima": "positive"}, progress=False)
    with pytest.raises(ValueError, match="laplace: constraints name " + pattern):
        laplace(log_post, INIT, constraints={"sgima": "positive"})
    with pytest.raises(ValueError, match="minimize: constraints name " + pattern):
        minimize(neg_log_post, INIT, constraints={"sgima": "positive"})


def test_the_old_positional_trap_is_an_error():
    # {"b": "positive", "c": None} for parameters a, b used to constrain a and leave b free
    with pytest.raises(ValueError, match=r"name 'c'.*not a parameter; the parameters are 'a', 'b'"):
        sample(
            lambda p: -(p["a"] ** 2) - p["b"] ** 2,
            {"a": 1.0, "b": 1.0},
            constraints={"b": "positive", "c": None},
            progress=False,
        )
    model = UnconstrainedModel(None, {"a": 1.0, "b": 1.0}, {"b": "positive"})
    assert model.bijectors[0] is None and isinstance(model.bijectors[1], fb.Exp)


# --------------------------------------------------------------------------------------------
# Shapes and start values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "init, spec, message",
    [
        (0.5, "simplex", r"'simplex' needs a parameter with at least 1 dimension\(s\), but 'w'"),
        (np.zeros(3), "corr_cholesky", r"'corr_cholesky' needs .* 2 dimension\(s\).*'w'"),
        (np.eye(3)[:, :2], "corr_cholesky", r"'corr_cholesky' does not fit 'w' of shape \(3, 2\)"),
        (0.5, ("interval", np.zeros(3), np.ones(3)), r"does not fit 'w' of shape \(\)"),
    ],
)
def test_a_constraint_that_does_not_fit_the_shape_is_an_error(init, spec, message):
    with pytest.raises(ValueError, match="sample: constraint .*" + message):
        UnconstrainedModel(None, {"w": init, "z": 0.0}, {"w": spec}, who="sample")


@pytest.mark.parametrize(
    "value, spec, shown",
    [
        (-1.0, "positive", r"'positive': got -1.0"),
        (0.0, "positive", r"'positive': got 0.0"),
        (2.0, ("interval", 0.0, 1.0), r"\('interval', 0.0, 1.0\): got 2.0"),
        (np.array([0.2, 0.2]), "simplex", r"'simplex': got \[0.2, 0.2\]"),
        (np.array([1.0, 0.5]), "ordered", r"'ordered'"),
        (-3.0, fb.Softplus(), r"Softplus\(\)"),
    ],
)
def test_a_start_value_outside_its_constraint_is_an_error(value, spec, shown):
    pattern = "the start value of 'theta' is outside its constraint " + shown
    with pytest.raises(ValueError, match="sample: " + pattern):
        sample(lambda p: -fnp.sum(p["theta"] ** 2), {"theta": value}, constraints={"theta": spec})
    with pytest.raises(ValueError, match="laplace: " + pattern):
        laplace(lambda p: -fnp.sum(p["theta"] ** 2), {"theta": value}, constraints={"theta": spec})
    with pytest.raises(ValueError, match="minimize: " + pattern):
        minimize(lambda p: fnp.sum(p["theta"] ** 2), {"theta": value}, constraints={"theta": spec})


def test_an_unknown_or_empty_constraint_names_the_parameter():
    with pytest.raises(
        ValueError, match="the constraint of 'sigma': .*unknown constraint 'postive'"
    ):
        UnconstrainedModel(None, INIT, {"sigma": "postive"})
    with pytest.raises(ValueError, match="the constraint of 'a': .*finite low < high, got"):
        UnconstrainedModel(None, INIT, {"a": ("interval", 1.0, 0.0)})
    with pytest.raises(ValueError, match="finite low < high.*greater_than"):
        UnconstrainedModel(None, INIT, {"a": ("interval", 0.0, np.inf)})


# --------------------------------------------------------------------------------------------
# The forms of constraints
# --------------------------------------------------------------------------------------------

NESTED = {"loc": {"mu": 0.3, "tau": 2.0}, "w": np.array([0.2, 0.3, 0.5]), "z": np.zeros(2)}


def test_names_are_key_paths_in_flatten_order():
    assert leaf_names(NESTED) == ["loc.mu", "loc.tau", "w", "z"]
    assert leaf_names(np.zeros(2)) == ["x"]
    assert leaf_names((1.0, [2.0, {"k": 3.0}])) == ["x[0]", "x[1][0]", "x[1][1].k"]

    @fluxion.tree.dataclass
    class Params:
        scale: float
        shift: float

    assert leaf_names({"p": Params(1.0, 2.0)}) == ["p.scale", "p.shift"]
    # the order is tree_flatten's, so names line up with the leaves
    leaves, _ = fluxion.tree.flatten(NESTED)
    assert len(leaves) == 4


@pytest.mark.parametrize(
    "constraints",
    [
        {"loc": {"tau": "positive"}, "w": "simplex"},  # nested like init
        {"loc.tau": "positive", "w": "simplex"},  # dotted names
        {"loc": {"mu": None, "tau": "positive"}, "w": "simplex", "z": None},  # full pytree
        {"loc": "positive", "loc.mu": "real", "w": fb.StickBreaking()},  # prefix, most specific
    ],
)
def test_nested_params_in_every_form(constraints):
    model = UnconstrainedModel(None, NESTED, constraints)
    assert model.names == ["loc.mu", "loc.tau", "w", "z"]
    assert [b is None for b in model.bijectors] == [True, False, False, True]
    assert model.u_shapes == [(), (), (2,), (2,)]
    assert model.dim == 6
    back = model.forward(model.u0)
    assert float(back["loc"]["tau"]) == pytest.approx(2.0)
    np.testing.assert_allclose(back["w"], NESTED["w"])
    np.testing.assert_allclose(model.u0[1], np.log(2.0))


def test_pytree_constraints_for_a_tuple_and_one_spec_for_all():
    model = UnconstrainedModel(None, (0.5, 2.0), (None, "positive"))
    assert model.names == ["x[0]", "x[1]"] and model.bijectors[0] is None
    model = UnconstrainedModel(None, np.array([1.0, 2.0]), "positive")
    np.testing.assert_allclose(model.u0, np.log([1.0, 2.0]))
    with pytest.raises(ValueError, match="constraints is a sequence, but the parameters have"):
        UnconstrainedModel(None, {"a": 1.0, "b": 1.0}, ["positive"])


def test_the_potential_adds_the_log_jacobian_and_its_gradient_is_exact():
    def log_prob(p):
        w = p["w"]
        return (
            -0.5 * p["loc"]["mu"] ** 2
            - p["loc"]["tau"]
            + fnp.sum(np.array([1.0, 2.0, 3.0]) * fnp.log(w))
            - 0.5 * fnp.sum(p["z"] ** 2)
        )

    model = UnconstrainedModel(log_prob, NESTED, {"loc.tau": "positive", "w": "simplex"})
    u = np.array([0.1, -0.3, 0.2, -0.5, 0.7, 1.1])
    params = model.forward(u)
    tau = np.exp(-0.3)
    log_det = -0.3 + float(fb.StickBreaking().forward_log_det_jacobian(u[2:4]))
    assert float(model.potential(u)) == pytest.approx(float(log_prob(params)) + log_det)
    assert float(params["loc"]["tau"]) == pytest.approx(tau)
    # the simplex Jacobian term against a determinant: the map onto the first K-1 coordinates
    jac = fluxion.jacfwd(lambda v: fb.StickBreaking().forward(v)[:2])(u[2:4])
    assert log_det + 0.3 == pytest.approx(np.log(abs(np.linalg.det(jac))), rel=1e-10)
    value, grad = model.logp_and_grad(u)
    assert float(value) == pytest.approx(float(model.potential(u)), rel=1e-12)
    eps = 1e-6
    numeric = [
        (model.potential(u + eps * e) - model.potential(u - eps * e)) / (2 * eps)
        for e in np.eye(u.size)
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.batch_logp(np.stack([u, u])), [value, value], rtol=1e-12)


def test_constrained_draws_are_vectorized_and_inverse_to_unconstrain():
    model = UnconstrainedModel(None, NESTED, {"loc.tau": "positive", "w": "simplex"})
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(3, 50, model.dim))
    out = model.constrained_draws(draws)
    assert list(out) == model.names
    assert out["w"].shape == (3, 50, 3) and out["loc.tau"].shape == (3, 50)
    np.testing.assert_allclose(out["w"].sum(axis=-1), 1.0)
    np.testing.assert_allclose(out["loc.tau"], np.exp(draws[..., 1]))
    one = model.constrain(draws[1, 7])
    np.testing.assert_allclose(one[2], out["w"][1, 7])
    tree = model.constrain_tree(draws)
    u, log_det = model.unconstrain_batch(tree)
    np.testing.assert_allclose(u, draws, atol=1e-10)
    assert log_det.shape == (3, 50)
    expected = draws[..., 1] + np.asarray(
        fb.StickBreaking().forward_log_det_jacobian(draws[..., 2:4])
    )
    np.testing.assert_allclose(log_det, expected, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# minimize and laplace with the shared model
# --------------------------------------------------------------------------------------------


def test_minimize_on_a_simplex_matches_the_closed_form():
    counts = np.array([3.0, 5.0, 12.0])

    def nll(p):
        return -fnp.sum(counts * fnp.log(p["w"])) + 0.5 * (p["scale"] - 2.0) ** 2

    start = {"w": np.ones(3) / 3, "scale": 1.0}
    seen = []
    res = minimize(nll, start, constraints={"w": "simplex"}, callback=seen.append)
    assert res.success
    np.testing.assert_allclose(res.x["w"], counts / counts.sum(), rtol=1e-5)
    assert float(res.x["scale"]) == pytest.approx(2.0, abs=1e-4)  # BFGS stops at |g| < 1e-5
    assert res.x_flat.shape == (4,) and res.x_unconstrained.shape == (3,)
    assert "jac" not in res and res.jac_unconstrained.shape == (3,)
    assert seen and all(abs(np.sum(x["w"]) - 1.0) < 1e-12 for x in seen)
    # SciPy's constraint functions keep working beside it
    con = {"type": "eq", "fun": lambda p: fnp.sum(p["w"]) - 1.0}
    res2 = minimize(nll, start, constraints=[con], method="slsqp")
    np.testing.assert_allclose(res2.x["w"], counts / counts.sum(), atol=1e-4)
    with pytest.raises(ValueError, match="bounds cannot be combined with constraints"):
        minimize(nll, start, constraints={"w": "simplex"}, bounds={"w": None, "scale": (0, 5)})
    with pytest.raises(ValueError, match="mixes SciPy constraints"):
        minimize(nll, start, constraints=[con, "positive"])


def test_laplace_with_an_interval_and_nested_params_matches_a_beta():
    a, b = 3.0, 5.0

    def log_prob(p):
        q = p["inner"]["q"]
        return (a - 1) * fnp.log(q) + (b - 1) * fnp.log(1 - q) - 0.5 * p["m"] ** 2

    fit = laplace(
        log_prob, {"inner": {"q": 0.5}, "m": 1.0}, constraints={"inner": {"q": "unit_interval"}}
    )
    # names in order: inner.q, m. In u = logit q the density is Beta(q) q (1 - q): mode
    # q = a / (a + b), curvature ab / (a + b)
    q = a / (a + b)
    assert float(fit.mode["inner"]["q"]) == pytest.approx(q, rel=1e-9)
    assert float(fit.mode["m"]) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(np.diag(fit.hessian), [a * b / (a + b), 1.0], rtol=1e-9)
    expected_std = q * (1 - q) / np.sqrt(a * b / (a + b))  # delta method: dq/du * std_u
    assert float(fit.std["inner"]["q"]) == pytest.approx(expected_std, rel=1e-9)
    assert float(fit.std["m"]) == pytest.approx(1.0, rel=1e-9)
    draws = fit.sample(1000, seed=0)
    assert draws["inner"]["q"].shape == (1000,)
    assert np.all((draws["inner"]["q"] > 0) & (draws["inner"]["q"] < 1))
    # log_prob: the Gaussian in u minus log|dq/du|; a difference cancels the constants
    qs = np.array([0.2, 0.4])
    lp = fit.log_prob({"inner": {"q": qs}, "m": np.zeros(2)})
    assert lp.shape == (2,)
    u = scipy.special.logit(qs)
    by_hand = -0.5 * fit.hessian[0, 0] * (u - fit.mean[0]) ** 2 - np.log(qs * (1 - qs))
    assert lp[1] - lp[0] == pytest.approx(by_hand[1] - by_hand[0], rel=1e-10)


# --------------------------------------------------------------------------------------------
# The public names and the layering
# --------------------------------------------------------------------------------------------


def test_public_names():
    assert fluxion.mcmc.Model is UnconstrainedModel
    assert fluxion.infer.UnconstrainedModel is UnconstrainedModel


def test_the_model_module_imports_neither_optim_nor_mcmc():
    code = (
        "import sys, fluxion._src.infer.model\n"
        "bad = [m for m in sys.modules if m.startswith(('fluxion._src.optim', "
        "'fluxion._src.mcmc')) or m in ('fluxion.optim', 'fluxion.mcmc', 'fluxion.bijectors')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
