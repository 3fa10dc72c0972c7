"""fluxion.glm.fit_sparse against scikit-learn's elastic-net solvers at the same penalties.

The objectives differ only by a positive factor, so the minimisers are the same point:

* ``ElasticNet(alpha, l1_ratio)`` minimises ``||y - Xb||^2 / (2n) + alpha r |b|_1
  + alpha (1 - r) |b|^2 / 2``; times ``n s^2`` this is ``fit_sparse``'s objective for
  ``Normal(scale=s)`` with ``l1 = n alpha r / s^2`` and ``l2 = n alpha (1 - r) / (2 s^2)``.
* ``LogisticRegression(C, l1_ratio=r)`` minimises ``C sum_i logloss_i + r |b|_1
  + (1 - r) |b|^2 / 2``; divided by ``C`` this is ``fit_sparse``'s objective for ``Bernoulli()``
  with ``l1 = r / C`` and ``l2 = (1 - r) / (2 C)``.

scikit-learn leaves the intercept unpenalised (saga, coordinate descent); fit_sparse does the same
with a column of ones and ``penalty_factor = 0`` for it. Before comparing, the oracle's own
solution is checked against the KKT conditions of the common objective, so a loosely converged
oracle cannot pass (or fail) the comparison by accident.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fluxion import glm

# LogisticRegression(l1_ratio=...) without ``penalty`` selects the L1/elastic-net penalty from 1.8
pytest.importorskip("sklearn", minversion="1.8")
sklearn_linear = pytest.importorskip("sklearn.linear_model")


def _problem(n: int, p: int, seed: int, family: str):
    rng = np.random.default_rng(seed)
    # correlated columns with unequal scales: coordinate descent must not rely on standardised X
    x = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p)))
    x *= rng.uniform(0.5, 2.0, size=p)
    beta = np.zeros(p)
    beta[: p // 3] = rng.normal(size=p // 3) * 1.5
    eta = 0.4 + x @ beta / np.sqrt(p)
    if family == "normal":
        y = eta + 0.7 * rng.normal(size=n)
    else:
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    return x, y


def _with_intercept(x):
    n, p = x.shape
    return np.column_stack([np.ones(n), x]), np.r_[0.0, np.ones(p)]


def _kkt_violation(x1, y, b, family, l1v, l2v, w):
    """Largest violation of the KKT conditions of ``fit_sparse``'s objective at ``b``.

    Relative to ``max(l1, 1)``: ``grad_j + l1_j sign(b_j) = 0`` where ``b_j != 0`` and
    ``|grad_j| <= l1_j`` where ``b_j = 0``; ``grad`` of the negative log-likelihood plus ridge.
    """
    mu, var, dmu = (np.asarray(a) for a in family.moments(x1 @ b))
    g = -x1.T @ (w * (y - mu) * dmu / var) + 2.0 * l2v * b
    nz = b != 0.0
    viol = np.where(nz, np.abs(g + l1v * np.sign(b)), np.maximum(np.abs(g) - l1v, 0.0))
    return float(np.max(viol)) / max(float(np.max(l1v)), 1.0)


@pytest.mark.parametrize(
    "alpha,l1_ratio,scale,weighted",
    [(0.05, 1.0, 1.0, False), (0.1, 0.3, 1.0, False), (0.02, 0.7, 2.0, True)],
)
def test_fit_sparse_equals_sklearn_elastic_net(alpha, l1_ratio, scale, weighted):
    n, p = 400, 12
    x, y = _problem(n, p, seed=7, family="normal")
    sw = np.random.default_rng(8).uniform(0.2, 3.0, size=n) if weighted else None
    if l1_ratio == 1.0:
        est = sklearn_linear.Lasso(alpha=alpha, tol=1e-14, max_iter=100_000)
    else:
        est = sklearn_linear.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14,
                                        max_iter=100_000)
    est.fit(x, y, sample_weight=sw)
    ref = np.r_[est.intercept_, est.coef_]
    # sklearn rescales sample weights to sum to n before applying alpha
    w = np.ones(n) if sw is None else sw * n / sw.sum()
    l1 = n * alpha * l1_ratio / scale**2
    l2 = n * alpha * (1.0 - l1_ratio) / (2.0 * scale**2)
    x1, factor = _with_intercept(x)
    family = glm.Normal(scale)
    assert _kkt_violation(x1, y, ref, family, l1 * factor, l2 * factor, w) < 1e-7
    res = glm.fit_sparse(x1, y, family, l1, l2, penalty_factor=factor, weights=w)
    assert res.is_converged
    assert 0 < np.count_nonzero(res.coefficients[1:]) < p  # the penalty is active
    np.testing.assert_allclose(res.coefficients, ref, rtol=0, atol=1e-6)
    assert np.array_equal(res.coefficients[1:] == 0.0, est.coef_ == 0.0)


@pytest.mark.parametrize(
    "solver,C,l1_ratio,intercept,weighted",
    [
        ("saga", 0.05, 1.0, True, False),
        ("saga", 0.2, 0.5, True, True),
        ("liblinear", 0.05, 1.0, False, False),
    ],
)
def test_fit_sparse_equals_sklearn_logistic(solver, C, l1_ratio, intercept, weighted):
    n, p = 400, 9
    x, y = _problem(n, p, seed=11, family="bernoulli")
    sw = np.random.default_rng(12).integers(1, 4, size=n).astype(float) if weighted else None
    est = sklearn_linear.LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-12,
                                            max_iter=100_000, fit_intercept=intercept)
    with warnings.catch_warnings():
        # liblinear's "l1_ratio is ignored" style notices are not what is under test
        warnings.simplefilter("ignore", FutureWarning)
        est.fit(x, y, sample_weight=sw)
    w = np.ones(n) if sw is None else sw
    l1 = l1_ratio / C
    l2 = (1.0 - l1_ratio) / (2.0 * C)
    if intercept:
        x1, factor = _with_intercept(x)
        ref = np.r_[est.intercept_, est.coef_[0]]
    else:
        x1, factor = x, np.ones(p)
        ref = est.coef_[0]
    family = glm.Bernoulli()
    assert _kkt_violation(x1, y, ref, family, l1 * factor, l2 * factor, w) < 1e-7
    res = glm.fit_sparse(x1, y, family, l1, l2, penalty_factor=factor, weights=w)
    assert res.is_converged
    assert np.count_nonzero(res.coefficients == 0.0) > 0  # some coefficient is thresholded
    np.testing.assert_allclose(res.coefficients, ref, rtol=0, atol=1e-6)
