"""Tests for ``fluxion.nn``: activations against NumPy/SciPy formulas, initializers' variances,
Dense/MLP against explicit matrix products, MADE masks (the autoregressive property through
``jacfwd``, full connectivity of the allowed pairs), parameter pytrees and their gradients."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special as ss

import fluxion
import fluxion.nn as nn
import fluxion.numpy as fnp
from fluxion.test_util import check_grads

X = np.array([-30.0, -3.0, -0.5, 0.0, 0.5, 3.0, 30.0])


def test_activations_match_formulas():
    np.testing.assert_array_equal(np.asarray(nn.relu(X)), np.maximum(X, 0))
    np.testing.assert_allclose(np.asarray(nn.tanh(X)), np.tanh(X), rtol=1e-15)
    np.testing.assert_allclose(np.asarray(nn.sigmoid(X)), ss.expit(X), rtol=1e-15)
    np.testing.assert_allclose(np.asarray(nn.softplus(X)), np.logaddexp(0, X), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(nn.silu(X)), X * ss.expit(X), rtol=1e-14)
    assert nn.swish is nn.silu
    np.testing.assert_allclose(
        np.asarray(nn.gelu(X, approximate=False)), X * ss.ndtr(X), rtol=1e-14, atol=1e-300
    )
    approx = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X**3)))
    np.testing.assert_allclose(np.asarray(nn.gelu(X)), approx, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(nn.elu(X)), np.where(X > 0, X, np.expm1(X)), rtol=1e-15)
    np.testing.assert_allclose(
        np.asarray(nn.elu(X, alpha=2.0)), np.where(X > 0, X, 2 * np.expm1(X)), rtol=1e-15
    )
    np.testing.assert_allclose(
        np.asarray(nn.leaky_relu(X, 0.2)), np.where(X >= 0, X, 0.2 * X), rtol=1e-15
    )
    # softplus stays accurate where log(1 + exp(x)) would overflow or round to 0
    assert float(nn.softplus(1000.0)) == 1000.0
    np.testing.assert_allclose(float(nn.softplus(-50.0)), np.exp(-50.0), rtol=1e-14)


def test_activation_gradients():
    pts = np.array([-2.0, -0.3, 0.4, 1.7])
    for name in ("tanh", "sigmoid", "softplus", "silu", "gelu", "elu", "leaky_relu"):
        f = nn.get_activation(name)
        check_grads(lambda v, f=f: fnp.sum(f(v)), (pts,), order=2)
    g = fluxion.vmap(fluxion.grad(nn.relu))(pts)
    np.testing.assert_array_equal(np.asarray(g), [0.0, 0.0, 1.0, 1.0])


def test_get_activation():
    assert nn.get_activation("relu") is nn.relu
    assert nn.get_activation(np.sin) is np.sin
    assert float(nn.get_activation(None)(3.0)) == 3.0
    with pytest.raises(ValueError, match=r"unknown activation 'rleu'"):
        nn.get_activation("rleu")


def test_initializers_shapes_and_variances():
    key = fluxion.random.key(0)
    shape = (300, 200)
    fan_in, fan_out = 300, 200
    trunc = 2 / 0.87962566103423978  # a normal truncated at 2 sd, rescaled to the target sd
    cases = [
        (nn.glorot_uniform(), 2.0 / (fan_in + fan_out), np.sqrt(6.0 / (fan_in + fan_out))),
        (nn.glorot_normal(), 2.0 / (fan_in + fan_out), trunc * np.sqrt(2.0 / (fan_in + fan_out))),
        (nn.he_normal(), 2.0 / fan_in, trunc * np.sqrt(2.0 / fan_in)),
        (nn.he_uniform(), 2.0 / fan_in, np.sqrt(6.0 / fan_in)),
        (nn.normal(0.05), 0.05**2, np.inf),
    ]
    for init, var, bound in cases:
        w = np.asarray(init(key, shape))
        assert w.shape == shape and w.dtype == np.float64
        # 60000 draws: the sample variance is within ~2% of the target (5 sigma ~ 3%)
        np.testing.assert_allclose(w.var(), var, rtol=0.04)
        assert np.abs(w.mean()) < 5 * np.sqrt(var / w.size)
        assert np.all(np.abs(w) <= bound * (1 + 1e-12))
    np.testing.assert_array_equal(np.asarray(nn.zeros(key, (2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(np.asarray(nn.ones(key, (2,))), np.ones(2))
    a = np.asarray(nn.he_normal()(fluxion.random.key(1), (4, 4)))
    b = np.asarray(nn.he_normal()(fluxion.random.key(1), (4, 4)))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"unknown mode"):
        nn.variance_scaling(1.0, "fan_sum", "normal")


def test_dense_and_mlp_match_matrix_products():
    key = fluxion.random.key(2)
    dense = nn.Dense(4, activation="tanh")
    p = dense.init(key, 3)
    assert p["kernel"].shape == (3, 4) and p["bias"].shape == (4,)
    x = np.random.default_rng(0).standard_normal((5, 3))
    p = {"kernel": np.asarray(p["kernel"]), "bias": np.arange(4.0)}
    np.testing.assert_allclose(
        np.asarray(dense.apply(p, x)), np.tanh(x @ p["kernel"] + p["bias"]), rtol=1e-14
    )
    assert "bias" not in nn.Dense(2, use_bias=False).init(key, 3)
    mlp = nn.MLP((6, 5, 2), activation="relu")
    q = mlp.init(key, 3)
    assert [layer["kernel"].shape for layer in q] == [(3, 6), (6, 5), (5, 2)]
    q = [{k: np.asarray(v) + 0.1 for k, v in layer.items()} for layer in q]
    h = np.maximum(x @ q[0]["kernel"] + q[0]["bias"], 0)
    h = np.maximum(h @ q[1]["kernel"] + q[1]["bias"], 0)
    out = h @ q[2]["kernel"] + q[2]["bias"]
    np.testing.assert_allclose(np.asarray(mlp.apply(q, x)), out, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(mlp.bind(q)(x)), out, rtol=1e-13)
    with pytest.raises(ValueError, match=r"Dense.apply: expected inputs with 3 features"):
        dense.apply(p, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"MLP: expected at least one layer"):
        nn.MLP(())
    with pytest.raises(ValueError, match=r"Dense: expected features to be a positive int"):
        nn.Dense(0)


def test_mlp_gradients_and_bound_pytree():
    mlp = nn.MLP((5, 1), activation="tanh")
    params = mlp.init(fluxion.random.key(3), 2)
    x = np.random.default_rng(1).standard_normal((4, 2))

    def loss(p):
        return fnp.sum(mlp.apply(p, x) ** 2)

    check_grads(loss, (params,), order=1, modes=("rev",))
    bound = mlp.bind(params)
    assert len(fluxion.tree.leaves(bound)) == 4
    g = fluxion.grad(lambda b: fnp.sum(b(x) ** 2))(bound)
    ref = fluxion.grad(loss)(params)
    for a, b in zip(fluxion.tree.leaves(g), fluxion.tree.leaves(ref), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-13)
    jitted = fluxion.jit(lambda b, v: b(v))
    np.testing.assert_allclose(np.asarray(jitted(bound, x)), np.asarray(bound(x)), rtol=1e-13)


def _input_degrees(order, d, seed):
    if order == "left-to-right":
        return np.arange(1, d + 1)
    if order == "right-to-left":
        return np.arange(d, 0, -1)
    if order == "random":
        return np.random.default_rng(seed).permutation(d) + 1
    return np.asarray(order)


def _dependence(made, params, d):
    x = np.random.default_rng(2).standard_normal(d)
    jac = np.asarray(fluxion.jacfwd(lambda v: made.apply(params, v))(x))  # (D, P, D)
    return np.abs(jac).sum(axis=1) > 0  # out i depends on in j


@pytest.mark.parametrize(
    "order,degrees",
    [
        ("left-to-right", "equal"),
        ("right-to-left", "equal"),
        ("random", "equal"),
        ((3, 1, 4, 2), "equal"),
        ("left-to-right", "random"),
    ],
)
def test_made_is_autoregressive(order, degrees):
    d = 4
    made = nn.AutoregressiveNetwork(
        params=3,
        event_shape=d,
        hidden_units=(16, 16),
        activation="tanh",
        input_order=order,
        hidden_degrees=degrees,
        seed=5,
    )
    params = made.init(fluxion.random.key(4))
    out = made.apply(params, np.zeros((7, d)))
    assert out.shape == (7, d, 3)
    dep = _dependence(made, params, d)
    deg_in = _input_degrees(order, d, seed=5)
    allowed = deg_in[None, :] < deg_in[:, None]  # out i may see in j iff deg j < deg i
    assert not np.any(dep & ~allowed)
    if degrees == "equal":
        # with >= D - 1 units of every degree, every allowed pair is connected
        np.testing.assert_array_equal(dep, allowed)


def test_made_masks_connectivity():
    masks = nn.made_masks(5, (12, 12), params=2)
    assert [m.shape for m in masks] == [(5, 12), (12, 12), (12, 10)]
    path = masks[0] @ masks[1] @ masks[2]  # (inputs, outputs): number of paths
    deg_out = np.repeat(np.arange(1, 6), 2)
    np.testing.assert_array_equal(path > 0, np.arange(1, 6)[:, None] < deg_out[None, :])
    # no hidden layer: inputs connect straight to later outputs
    (m,) = nn.made_masks(3, (), params=1)
    np.testing.assert_array_equal(m, np.tri(3, 3, -1).T)


def test_made_errors():
    made = nn.AutoregressiveNetwork(params=2, event_shape=3, hidden_units=(8,))
    params = made.init(fluxion.random.key(5))
    with pytest.raises(ValueError, match=r"built for events of size 3, got inputs of shape \(4,\)"):
        made.apply(params, np.zeros(4))
    with pytest.raises(ValueError, match=r"expected 2 layer parameters"):
        made.apply(params[:1], np.zeros(3))
    other = nn.AutoregressiveNetwork(params=2, event_shape=3, hidden_units=(6,)).init(
        fluxion.random.key(5)
    )
    with pytest.raises(ValueError, match=r"layer 0 kernel has shape \(3, 6\), expected \(3, 8\)"):
        made.apply(other, np.zeros(3))
    with pytest.raises(ValueError, match=r"permutation of 1..3"):
        nn.AutoregressiveNetwork(params=2, event_shape=3, input_order=(1, 1, 2))
    with pytest.raises(ValueError, match=r"expected input_order"):
        nn.AutoregressiveNetwork(params=2, event_shape=3, input_order="sideways")
    with pytest.raises(ValueError, match=r"expected event_shape a positive int"):
        nn.AutoregressiveNetwork(params=2, event_shape=(2, 2))
    with pytest.raises(ValueError, match=r"expected params to be a positive int"):
        nn.AutoregressiveNetwork(params=0, event_shape=3)
    with pytest.raises(ValueError, match=r"expected hidden_degrees"):
        nn.AutoregressiveNetwork(params=1, event_shape=3, hidden_units=(4,), hidden_degrees="x")


def test_made_gradients_reach_only_unmasked_weights():
    made = nn.AutoregressiveNetwork(params=1, event_shape=3, hidden_units=(4,), activation="tanh")
    params = made.init(fluxion.random.key(6))
    x = np.random.default_rng(3).standard_normal((5, 3))
    g = fluxion.grad(lambda p: fnp.sum(made.apply(p, x) ** 2))(params)
    for layer, m in zip(g, made.masks(), strict=True):
        np.testing.assert_array_equal(np.asarray(layer["kernel"])[m == 0], 0.0)
    check_grads(lambda p: fnp.sum(made.apply(p, x) ** 2), (params,), order=1, modes=("rev",))
