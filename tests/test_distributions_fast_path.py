"""The public log_prob on concrete data inside the support: the plain in-support density
(no masks; log of constant data folded by jit) with NaN for parameters outside their domain,
and the masked formulas everywhere else (boundaries, traced values, validate_args)."""

import numpy as np
import pytest
import scipy.stats as st

import fluxion
import fluxion.distributions as fd

fnp = fluxion.numpy
X = np.random.default_rng(3).gamma(2.5, 0.6, size=70_000)  # above the small-fold limit


def _graph(fn, theta):
    return fluxion.jit(fn, tier=0).lower(theta).graph


def test_constant_data_density_has_no_masks_and_folds_log_of_the_data():
    def log_prob(t):
        return fnp.sum(fd.Gamma(t[0], t[1]).log_prob(X))

    theta = np.array([2.4, 1.6])
    for fn in (log_prob, fluxion.grad(log_prob)):
        eqns = _graph(fn, theta).eqns
        big = [e for e in eqns if e.outs and e.outs[0].aval.size == X.size]
        names = {e.prim.name for e in big}
        assert not names & {"log", "xlogy", "isnan", "where", "greater_equal"}, names
        assert names <= {"add", "subtract", "multiply", "sum", "negative", "broadcast_to",
                         "true_divide"}, names
    want = st.gamma.logpdf(X, 2.4, scale=1 / 1.6).sum()
    np.testing.assert_allclose(float(fluxion.jit(log_prob)(theta)), want, rtol=1e-12)
    g = fluxion.grad(log_prob)(theta)
    h = 1e-6
    fd_grad = [(log_prob(theta + h * e) - log_prob(theta - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(g, np.array(fd_grad, dtype=float), rtol=1e-6)


@pytest.mark.parametrize("concentration, rate", [(-1.0, 1.0), (2.0, -0.5), (2.0, 0.0)])
def test_parameters_outside_their_domain_give_nan_traced_or_not(concentration, rate):
    x = np.array([0.5, 1.5])
    eager = fd.Gamma(concentration, rate).log_prob(x)
    traced = fluxion.jit(lambda a, b: fd.Gamma(a, b).log_prob(x))(
        np.float64(concentration), np.float64(rate)
    )
    assert np.all(np.isnan(eager)) and np.all(np.isnan(traced))
    if rate != 0:  # SciPy's scale = 1 / rate = inf is a valid scale there (-inf density)
        assert np.all(np.isnan(st.gamma.logpdf(x, concentration, scale=1 / rate)))


def test_boundary_and_outside_values_keep_the_masked_formulas():
    # x = 0 with concentration 1 is the exponential density at 0: log(rate), not 0 * log(0)
    np.testing.assert_allclose(fd.Gamma(1.0, 2.0).log_prob(np.array([0.0, 1.0])),
                               st.gamma.logpdf([0.0, 1.0], 1.0, scale=0.5), rtol=1e-14)
    assert fd.Gamma(2.0, 1.0).log_prob(np.array([-1.0]))[0] == -np.inf
    assert fd.Beta(2.0, 3.0).log_prob(np.array([0.0]))[0] == -np.inf
    np.testing.assert_allclose(fd.Beta(1.0, 3.0).log_prob(np.array([0.0, 0.5])),
                               st.beta.logpdf([0.0, 0.5], 1.0, 3.0), rtol=1e-14)


@pytest.mark.parametrize("make, ref, x", [
    (lambda: fd.Normal(0.3, 1.7), st.norm(0.3, 1.7), np.linspace(-5, 5, 11)),
    (lambda: fd.StudentT(3.5, 0.3, 1.7), st.t(3.5, 0.3, 1.7), np.linspace(-5, 5, 11)),
    (lambda: fd.LogNormal(0.3, 0.8), st.lognorm(0.8, scale=np.exp(0.3)), np.linspace(0.1, 5, 11)),
    (lambda: fd.Exponential(1.3), st.expon(scale=1 / 1.3), np.linspace(0.1, 5, 11)),
    (lambda: fd.HalfCauchy(0.0, 2.0), st.halfcauchy(0.0, 2.0), np.linspace(0.1, 5, 11)),
    (lambda: fd.Beta(2.5, 0.7), st.beta(2.5, 0.7), np.linspace(0.01, 0.99, 11)),
])
def test_in_support_densities_equal_scipy_on_data(make, ref, x):
    np.testing.assert_allclose(make().log_prob(x), ref.logpdf(x), rtol=1e-12, atol=1e-14)


def test_meta_distributions_with_invalid_parts_keep_the_masked_path():
    # a component's concentration outside its domain: NaN as before, not the plain formula's
    # finite value (gammaln of a negative non-integer is finite)
    m = fd.MixtureSameFamily(fd.Categorical(logits=np.zeros(2)),
                             fd.Gamma(np.array([-0.5, 2.0]), 1.0))
    assert np.all(np.isnan(m.log_prob(np.array([0.5, 1.0]))))
