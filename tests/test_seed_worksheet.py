"""Acceptance: the seed worksheet's line fit (shared/seeds/002) — value, gradient, Hessian."""

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src.demo import line_log_likelihood, line_log_prob, simulate_line_data

X, Y = simulate_line_data()
P = np.array([-0.4, 0.03, 0.1])
EXPECTED_VALUE = 38.043974115093675
EXPECTED_GRAD = np.array([-48.6057096067264, 52.63990461776443, 122.76707748749914])
EXPECTED_HESS = np.array(
    [
        [-1080.95955, -18.57867, 972.11419],
        [-18.57867, -5000.0, -1052.79809],
        [972.11419, -1052.79809, -13683.01232],
    ]
)


def loglike(p):
    return line_log_likelihood(p[0], p[1], p[2], X, Y)


def test_data_matches_the_worksheet_recipe():
    np.random.seed(123)  # noqa: NPY002  (the worksheet's own recipe, verbatim)
    x = np.sort(np.random.uniform(-1, 1, 50))  # noqa: NPY002
    y = -0.4 * x + 0.03 + 0.1 * np.random.randn(len(x))  # noqa: NPY002
    np.testing.assert_array_equal(X, x)
    np.testing.assert_array_equal(Y, y)


def test_value_and_gradient():
    value, grad = fluxion.value_and_grad(loglike)(P)
    assert value == pytest.approx(EXPECTED_VALUE, rel=1e-12)
    np.testing.assert_allclose(grad, EXPECTED_GRAD, rtol=1e-12)


def test_gradient_with_respect_to_three_scalars():
    g = fluxion.grad(line_log_likelihood, argnums=(0, 1, 2))(-0.4, 0.03, 0.1, X, Y)
    assert isinstance(g, tuple) and len(g) == 3
    np.testing.assert_allclose(np.array(g), EXPECTED_GRAD, rtol=1e-12)


def test_hessian_matches_nested_jacobians_and_reference():
    h = fluxion.hessian(loglike)(P)
    np.testing.assert_allclose(h, EXPECTED_HESS, rtol=5e-6, atol=1e-4)
    for nested in (
        fluxion.jacfwd(fluxion.jacrev(loglike)),
        fluxion.jacrev(fluxion.jacfwd(loglike)),
        fluxion.jacrev(fluxion.jacrev(loglike)),
        fluxion.jacfwd(fluxion.jacfwd(loglike)),
    ):
        np.testing.assert_allclose(nested(P), h, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(h, h.T, rtol=1e-12)


def test_log_s_parameterization():
    theta = np.array([-0.4, 0.03, np.log(0.1)])
    g = fluxion.grad(lambda t: line_log_likelihood(t[0], t[1], fnp.exp(t[2]), X, Y))(theta)
    assert g[2] == pytest.approx(12.27670775, rel=1e-9)
    # chain rule: d/dlog s = s d/ds
    assert g[2] == pytest.approx(0.1 * EXPECTED_GRAD[2], rel=1e-12)


def test_log_prob_with_prior():
    theta = np.array([-0.4, 0.03, np.log(0.1)])
    value, g = fluxion.value_and_grad(line_log_prob)(theta, X, Y)
    assert value == pytest.approx(EXPECTED_VALUE - 1.5 * np.log(1.16), rel=1e-12)
    prior_dm = -1.5 * 2 * -0.4 / 1.16
    np.testing.assert_allclose(
        g, [EXPECTED_GRAD[0] + prior_dm, EXPECTED_GRAD[1], 0.1 * EXPECTED_GRAD[2]], rtol=1e-12
    )


def test_demo_command_prints_the_numbers(capsys):
    from fluxion.cli import main

    assert main(["demo", "--no-sampling"]) == 0
    out = capsys.readouterr().out
    assert "38.043974115093675" in out
    assert "-48.6057096067" in out
    assert "12.2767077487" in out


def test_demo_rejects_bad_arguments(capsys):
    from fluxion.cli import main

    with pytest.raises(SystemExit) as info:
        main(["demo", "--n", "1"])
    assert info.value.code == 2
    assert "--n" in capsys.readouterr().err
