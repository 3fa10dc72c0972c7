"""Discrete and multivariate families: log_prob and its gradient in a parameter encode for the
compiled NUTS's tape machine (issue 15, Build 5: a model built from distributions never falls
back to the Python NUTS). The continuous families are covered in
test_distributions_continuous.py::test_every_family_log_prob_and_gradient_encode_for_the_compiled_nuts."""

import numpy as np
import pytest

import fluxion
import fluxion.distributions as fd
from fluxion._src.codegen import tape

fnp = fluxion.numpy
_COV = np.array([[2.0, 0.5], [0.5, 1.0]])


def _sigmoid(t):
    return 1.0 / (1.0 + fnp.exp(-t))


def _logits3(t):
    return fnp.stack([t, 0.0 * t, -t])


# name -> (distribution of the parameter t, data)
CASES = {
    "Bernoulli": (lambda t: fd.Bernoulli(probs=_sigmoid(t)), np.array([0.0, 1, 1])),
    "Binomial": (lambda t: fd.Binomial(10, probs=_sigmoid(t)), np.array([3.0, 5])),
    "BetaBinomial": (lambda t: fd.BetaBinomial(10, t, 2.0), np.array([3.0, 5])),
    "Poisson": (lambda t: fd.Poisson(t), np.array([3.0, 5])),
    "NegativeBinomial": (lambda t: fd.NegativeBinomial(t, probs=0.3), np.array([3.0, 5])),
    "Geometric": (lambda t: fd.Geometric(probs=_sigmoid(t)), np.array([3.0, 5])),
    "Categorical": (lambda t: fd.Categorical(logits=_logits3(t)), np.array([0, 2, 1])),
    "OneHotCategorical": (lambda t: fd.OneHotCategorical(logits=_logits3(t)), np.eye(3)),
    "Multinomial": (lambda t: fd.Multinomial(5, logits=_logits3(t)), np.array([[1.0, 2, 2]])),
    "DirichletMultinomial": (
        lambda t: fd.DirichletMultinomial(5, fnp.stack([t, 1.0 + 0 * t, 2.0 + 0 * t])),
        np.array([[1.0, 2, 2]]),
    ),
    "ZeroInflatedPoisson": (lambda t: fd.ZeroInflatedPoisson(t, 0.2), np.array([0.0, 5])),
    "ZeroInflatedNegativeBinomial": (
        lambda t: fd.ZeroInflatedNegativeBinomial(t, probs=0.3, gate=0.2),
        np.array([0.0, 5]),
    ),
    "OrderedLogistic": (lambda t: fd.OrderedLogistic(np.array([-1.0, 1.0]), t), np.array([0, 2])),
    "Skellam": (lambda t: fd.Skellam(t, 2.0), np.array([0.0, 5])),
    "MultivariateNormal": (
        lambda t: fd.MultivariateNormal(fnp.stack([t, t]), covariance_matrix=_COV),
        np.array([[0.0, 1]]),
    ),
    "MultivariateNormalDiag": (
        lambda t: fd.MultivariateNormalDiag(fnp.stack([t, t]), np.array([1.0, 2])),
        np.array([[0.0, 1]]),
    ),
    "MultivariateNormalLowRank": (
        lambda t: fd.MultivariateNormalLowRank(fnp.stack([t, t]), np.ones((2, 1)), np.ones(2)),
        np.array([[0.0, 1]]),
    ),
    "MultivariateStudentT": (
        lambda t: fd.MultivariateStudentT(4.0, fnp.stack([t, t]), _COV), np.array([[0.0, 1]])
    ),
    "Dirichlet": (
        lambda t: fd.Dirichlet(fnp.stack([t, 1.0 + 0 * t, 2.0 + 0 * t])),
        np.array([[0.2, 0.3, 0.5]]),
    ),
    "LKJ": (lambda t: fd.LKJ(2, t), np.array([[1.0, 0.3], [0.3, 1.0]])),
    "LKJCholesky": (
        lambda t: fd.LKJCholesky(2, t), np.linalg.cholesky(np.array([[1.0, 0.3], [0.3, 1.0]]))
    ),
    "Wishart": (lambda t: fd.Wishart(3.0 + t, np.eye(2)), np.array([[2.0, 0.3], [0.3, 1.0]])),
    "InverseWishart": (
        lambda t: fd.InverseWishart(3.0 + t, np.eye(2)), np.array([[2.0, 0.3], [0.3, 1.0]])
    ),
    "MatrixNormal": (
        lambda t: fd.MatrixNormal(t * np.ones((2, 2)), np.eye(2), np.eye(2)), np.eye(2)
    ),
    "GaussianRandomWalk": (lambda t: fd.GaussianRandomWalk(t, 5), np.arange(5.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_and_gradient_encode_for_the_compiled_nuts(name):
    make, data = CASES[name]

    def log_prob(t):
        return fnp.sum(make(t).log_prob(data))

    theta = np.array(1.3)
    assert np.isfinite(float(log_prob(theta)))
    for fn in (log_prob, fluxion.grad(log_prob)):
        encoded, why = tape.encode(fluxion.jit(fn, tier=0).lower(theta).graph)
        assert encoded is not None, f"{name}: {why}"
