"""Tests for ``fluxion.nn``'s Conv1D, Embedding, LayerNorm, Dropout, Sequential and losses.

Oracles: direct NumPy loops and ``np.convolve`` (Conv1D, with TensorFlow's documented SAME
padding rule), NumPy indexing and ``np.add.at`` (Embedding and its scatter-add gradient), the
layer-norm formula in NumPy, the dropout mask's binomial statistics, SciPy's ``log_softmax``,
``expit`` and ``scipy.stats`` log-densities (losses), finite differences (``check_grads``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st
from scipy import special as ss

import fluxion
import fluxion.nn as nn
import fluxion.numpy as fnp
from fluxion.test_util import check_grads

KEY = fluxion.random.key(0)


# ---------------------------------------------------------------------------------------------
# Conv1D
# ---------------------------------------------------------------------------------------------


def _tf_same_pads(length, k, stride, dilation):
    # TensorFlow's documented SAME rule (tf.nn.convolution): out = ceil(L / s),
    # pad_total = max((out - 1) s + eff - L, 0), pad_before = pad_total // 2
    eff = (k - 1) * dilation + 1
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + eff - length, 0)
    return total // 2, total - total // 2


def _conv_loop(x, w, b, stride, lo, hi, dilation):
    """Direct cross-correlation by loops: x (B, L, C), w (K, C, F)."""
    bsz, length, c = x.shape
    k, _, f = w.shape
    xp = np.concatenate([np.zeros((bsz, lo, c)), x, np.zeros((bsz, hi, c))], axis=1)
    eff = (k - 1) * dilation + 1
    n_out = (length + lo + hi - eff) // stride + 1
    y = np.zeros((bsz, n_out, f))
    for n in range(bsz):
        for t in range(n_out):
            for j in range(k):
                for ci in range(c):
                    y[n, t, :] += xp[n, t * stride + j * dilation, ci] * w[j, ci, :]
    return y + b


@pytest.mark.parametrize(
    "k,stride,dilation,padding",
    [
        (3, 1, 1, "SAME"),
        (4, 1, 1, "SAME"),
        (3, 2, 1, "SAME"),
        (2, 3, 2, "SAME"),
        (3, 1, 2, "VALID"),
        (5, 2, 1, "VALID"),
        (3, 1, 2, "CAUSAL"),
        (3, 2, 1, 1),
        (2, 1, 1, (0, 3)),
    ],
)
def test_conv1d_matches_a_direct_loop(k, stride, dilation, padding):
    rng = np.random.default_rng(1)
    length, c, f = 11, 2, 3
    x = rng.normal(size=(2, length, c))
    conv = nn.Conv1D(f, k, strides=stride, padding=padding, kernel_dilation=dilation)
    params = conv.init(KEY, c)
    params["bias"] = rng.normal(size=f)
    w = np.asarray(params["kernel"])
    assert w.shape == (k, c, f)
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        lo, hi = _tf_same_pads(length, k, stride, dilation)
    elif padding == "VALID":
        lo, hi = 0, 0
    elif padding == "CAUSAL":
        lo, hi = eff - 1, 0
    elif isinstance(padding, int):
        lo, hi = padding, padding
    else:
        lo, hi = padding
    want = _conv_loop(x, w, params["bias"], stride, lo, hi, dilation)
    got = np.asarray(conv.apply(params, x))
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    if padding == "SAME":
        assert got.shape[1] == math.ceil(length / stride)
    assert conv.output_length(length) == got.shape[1]


def test_conv1d_single_channel_matches_np_convolve():
    rng = np.random.default_rng(2)
    x = rng.normal(size=17)
    w = rng.normal(size=5)
    for padding, mode in (("VALID", "valid"), ("SAME", "same")):
        conv = nn.Conv1D(1, 5, padding=padding, use_bias=False)
        got = np.asarray(conv.apply({"kernel": w.reshape(5, 1, 1)}, x.reshape(17, 1)))[:, 0]
        # deep-learning convolution is cross-correlation: np.convolve with the flipped kernel
        np.testing.assert_allclose(got, np.convolve(x, w[::-1], mode=mode), rtol=1e-13)
    # causal: output t = sum_j w[j] x[t - 4 + j], the first 17 entries of the full convolution
    conv = nn.Conv1D(1, 5, padding="CAUSAL", use_bias=False)
    got = np.asarray(conv.apply({"kernel": w.reshape(5, 1, 1)}, x.reshape(1, 17, 1)))[0, :, 0]
    np.testing.assert_allclose(got, np.convolve(x, w[::-1], mode="full")[:17], rtol=1e-13)


def test_conv1d_gradient_and_activation():
    rng = np.random.default_rng(3)
    conv = nn.Conv1D(2, 3, strides=2, kernel_dilation=2, activation="tanh")
    params = conv.init(KEY, 3)
    x = rng.normal(size=(2, 9, 3))
    want = np.tanh(
        _conv_loop(x, np.asarray(params["kernel"]), 0.0, 2, *_tf_same_pads(9, 3, 2, 2), 2)
    )
    np.testing.assert_allclose(np.asarray(conv.apply(params, x)), want, rtol=1e-13, atol=1e-14)
    check_grads(lambda p, x: fnp.sum(conv.apply(p, x) ** 2), (params, x), order=1)
    # jit gives the same numbers
    np.testing.assert_allclose(
        np.asarray(fluxion.jit(conv.apply)(params, x)), np.asarray(conv.apply(params, x)), 1e-14
    )


def test_conv1d_errors():
    conv = nn.Conv1D(2, 3)
    p = conv.init(KEY, 3)
    with pytest.raises(
        ValueError, match=r"Conv1D.apply: expected inputs of shape batch \+ \(length, 3\)"
    ):
        conv.apply(p, np.zeros((4, 10, 2)))
    with pytest.raises(ValueError, match="Conv1D.apply"):
        conv.apply(p, np.zeros(10))
    with pytest.raises(ValueError, match="shorter than the filter's span 5"):
        nn.Conv1D(1, 3, padding="VALID", kernel_dilation=2).apply(
            {"kernel": np.ones((3, 1, 1)), "bias": np.zeros(1)}, np.zeros((4, 1))
        )
    with pytest.raises(ValueError, match="Conv1D: expected padding"):
        nn.Conv1D(1, 3, padding="FULL")
    with pytest.raises(ValueError, match="Conv1D: expected padding"):
        nn.Conv1D(1, 3, padding=(1, -1))
    with pytest.raises(ValueError, match="Conv1D: expected strides to be a positive int"):
        nn.Conv1D(1, 3, strides=0)


# ---------------------------------------------------------------------------------------------
# Embedding
# ---------------------------------------------------------------------------------------------


def test_embedding_lookup_and_scatter_add_gradient():
    emb = nn.Embedding(num_embeddings=6, features=4)
    params = emb.init(KEY)
    table = np.asarray(params["embedding"])
    assert table.shape == (6, 4)
    ids = np.array([[0, 3, 3], [5, 3, 0]])
    np.testing.assert_array_equal(np.asarray(emb.apply(params, ids)), table[ids])
    weights = np.random.default_rng(4).normal(size=ids.shape + (4,))
    grad = fluxion.grad(lambda p: fnp.sum(emb.apply(p, ids) * weights))(params)["embedding"]
    want = np.zeros((6, 4))
    np.add.at(want, ids, weights)  # repeated ids accumulate
    np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-14)
    assert np.all(np.asarray(grad)[[1, 2, 4]] == 0)
    # the default table: normal with variance 1 / features (Flax's)
    big = np.asarray(nn.Embedding(4000, 25).init(KEY)["embedding"])
    np.testing.assert_allclose(big.var(), 1 / 25, rtol=0.03)


def test_embedding_errors():
    emb = nn.Embedding(5, 2)
    p = emb.init(KEY)
    with pytest.raises(TypeError, match=r"expected integer ids, got float64.*astype\(int\)"):
        emb.apply(p, np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="expected integer ids, got bool"):
        emb.apply(p, np.array([True]))
    with pytest.raises(
        ValueError, match=r"expected ids in 0..4 \(num_embeddings 5\), got ids from 0 to 5"
    ):
        emb.apply(p, np.array([0, 5]))
    with pytest.raises(ValueError, match="got ids from -1"):
        emb.apply(p, np.array([-1, 2]))
    with pytest.raises(ValueError, match="Embedding: expected features to be a positive int"):
        nn.Embedding(5, 0)


# ---------------------------------------------------------------------------------------------
# LayerNorm
# ---------------------------------------------------------------------------------------------


def test_layernorm_matches_numpy_and_gradients():
    rng = np.random.default_rng(5)
    x = rng.normal(loc=3.0, scale=2.0, size=(4, 3, 6))
    ln = nn.LayerNorm(epsilon=1e-3)
    params = ln.init(KEY, 6)
    np.testing.assert_array_equal(np.asarray(params["scale"]), np.ones(6))
    params = {"scale": rng.normal(size=6), "bias": rng.normal(size=6)}
    m = x.mean(-1, keepdims=True)
    v = x.var(-1, keepdims=True)
    want = (x - m) / np.sqrt(v + 1e-3) * params["scale"] + params["bias"]
    np.testing.assert_allclose(np.asarray(ln.apply(params, x)), want, rtol=1e-13, atol=1e-13)
    # without scale/bias: zero mean and (nearly) unit variance per example
    plain = nn.LayerNorm(epsilon=0.0, use_scale=False, use_bias=False)
    assert plain.init(KEY, 6) == {}
    y = np.asarray(plain.apply({}, x))
    np.testing.assert_allclose(y.mean(-1), 0.0, atol=1e-14)
    np.testing.assert_allclose(y.var(-1), 1.0, rtol=1e-12)
    check_grads(lambda p, x: fnp.sum(ln.apply(p, x) ** 3), (params, x[:2]), order=2)


def test_layernorm_errors():
    ln = nn.LayerNorm()
    p = ln.init(KEY, 4)
    with pytest.raises(ValueError, match=r"LayerNorm.apply: expected inputs with 4 features"):
        ln.apply(p, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="LayerNorm: expected epsilon a non-negative float"):
        nn.LayerNorm(epsilon=-1.0)


# ---------------------------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------------------------


def test_dropout_inverted_scaling_and_expectation():
    rate = 0.3
    x = np.linspace(1.0, 2.0, 20000)
    drop = nn.Dropout(rate)
    assert drop.init(KEY) == {}
    y = np.asarray(drop.apply({}, x, fluxion.random.key(7)))
    kept = y != 0
    # the survivors are scaled by 1 / (1 - rate)
    np.testing.assert_allclose(y[kept], x[kept] / (1 - rate), rtol=1e-15)
    # the kept fraction is Binomial(n, 1 - rate)/n: 5 standard deviations
    n = x.size
    assert abs(kept.mean() - (1 - rate)) < 5 * math.sqrt(rate * (1 - rate) / n)
    # E[y] = x: the mean of y / x over the draws is 1 within 5 standard errors
    ratio = y / x
    assert abs(ratio.mean() - 1.0) < 5 * ratio.std() / math.sqrt(n)
    # a different key, a different mask; the same key, the same mask
    y2 = np.asarray(drop.apply({}, x, fluxion.random.key(8)))
    assert np.any((y2 != 0) != kept)
    np.testing.assert_array_equal(np.asarray(drop.apply({}, x, fluxion.random.key(7))), y)
    # gradient: the mask over (1 - rate)
    g = fluxion.grad(lambda v: fnp.sum(drop.apply({}, v, fluxion.random.key(7))))(x)
    np.testing.assert_allclose(np.asarray(g), kept / (1 - rate), rtol=1e-15)


def test_dropout_identity_cases_and_errors():
    x = np.arange(5.0)
    np.testing.assert_array_equal(np.asarray(nn.Dropout(0.5).apply({}, x, deterministic=True)), x)
    np.testing.assert_array_equal(np.asarray(nn.Dropout(0.0).apply({}, x, KEY)), x)
    np.testing.assert_array_equal(np.asarray(nn.dropout(None, x, 0.0)), x)
    for rate in (1.0, -0.1, 1.5, "0.5", True):
        with pytest.raises(ValueError, match=r"Dropout: expected rate a float in \[0, 1\)"):
            nn.Dropout(rate)
    with pytest.raises(ValueError, match="Dropout.apply: expected a PRNG key when training"):
        nn.Dropout(0.2).apply({}, x)


def test_dropout_under_jit_draws_fresh_masks():
    f = fluxion.jit(lambda k, v: nn.dropout(k, v, 0.5))
    x = np.ones(64)
    a, b = np.asarray(f(fluxion.random.key(1), x)), np.asarray(f(fluxion.random.key(2), x))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, np.asarray(nn.dropout(fluxion.random.key(1), x, 0.5)))


# ---------------------------------------------------------------------------------------------
# Sequential
# ---------------------------------------------------------------------------------------------


def test_sequential_chains_layers_and_keys():
    net = nn.Sequential(
        (nn.Embedding(7, 4), nn.Conv1D(5, 3), "relu", nn.LayerNorm(), nn.Dropout(0.5), nn.Dense(2))
    )
    params = net.init(KEY)
    assert params[2] is None and params[4] == {}
    assert net.out_features(None) == 2 and net.stochastic
    ids = np.array([[0, 1, 2, 6, 3], [4, 4, 4, 5, 0]])
    # by hand, with the dropout layer's key split from the one given
    layers = net.layers
    h = layers[0].apply(params[0], ids)
    h = nn.relu(layers[1].apply(params[1], h))
    h = layers[3].apply(params[3], h)
    (sub,) = fluxion.random.split(fluxion.random.key(3), 1)
    h = layers[4].apply({}, h, sub)
    want = layers[5].apply(params[5], h)
    got = net.apply(params, ids, fluxion.random.key(3))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-14)
    assert np.asarray(got).shape == (2, 5, 2)
    det = net.apply(params, ids, deterministic=True)
    h = nn.relu(layers[1].apply(params[1], layers[0].apply(params[0], ids)))
    want = layers[5].apply(params[5], layers[3].apply(params[3], h))
    np.testing.assert_allclose(np.asarray(det), np.asarray(want), rtol=1e-14)
    with pytest.raises(ValueError, match="Dropout.apply: expected a PRNG key"):
        net.apply(params, ids)
    with pytest.raises(ValueError, match="Sequential.apply: expected a list of 6 layer parameters"):
        net.apply(params[:3], ids)
    with pytest.raises(TypeError, match="Sequential: expected layer 1 to be a layer"):
        nn.Sequential((nn.Dense(2), 3))
    bound = net.bind(params)
    np.testing.assert_allclose(np.asarray(bound(ids, deterministic=True)), np.asarray(det))


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------


def test_regression_losses():
    rng = np.random.default_rng(6)
    p, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)) * 2
    r = p - t
    np.testing.assert_allclose(float(nn.mse(p, t)), np.mean(r**2), rtol=1e-14)
    np.testing.assert_allclose(float(nn.mse(p, t, reduction="sum")), np.sum(r**2), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(nn.mse(p, t, reduction="none")), r**2, rtol=1e-14)
    np.testing.assert_allclose(float(nn.mae(p, t)), np.mean(np.abs(r)), rtol=1e-14)
    for delta in (0.5, 1.0, 3.0):
        want = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
        np.testing.assert_allclose(float(nn.huber(p, t, delta)), want.mean(), rtol=1e-14)
    check_grads(lambda p: nn.mse(p, t), (p,), order=2)
    check_grads(lambda p: nn.huber(p, t, 0.7), (p,), order=1)
    assert nn.losses.mse is nn.mse
    with pytest.raises(ValueError, match=r"mse: expected predictions and targets of broadcastable"):
        nn.mse(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="mse: expected reduction one of"):
        nn.mse(p, t, reduction="avg")
    with pytest.raises(ValueError, match="huber: expected delta a positive float"):
        nn.huber(p, t, 0.0)


def test_binary_cross_entropy_is_stable_and_exact():
    z = np.array([-800.0, -30.0, -2.0, 0.0, 0.3, 5.0, 40.0, 800.0])
    y = np.array([1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0, 0.0])
    # reference: -y log expit(z) - (1 - y) log expit(-z), both terms from SciPy's log_expit
    want = -y * ss.log_expit(z) - (1 - y) * ss.log_expit(-z)
    got = np.asarray(nn.binary_cross_entropy(z, y, reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert np.all(np.isfinite(got))
    # boolean labels are 0/1
    yb = y > 0.6
    want_b = np.where(yb, -ss.log_expit(z), -ss.log_expit(-z))
    np.testing.assert_allclose(float(nn.binary_cross_entropy(z, yb)), want_b.mean(), rtol=1e-13)
    check_grads(lambda z: nn.binary_cross_entropy(z, y[2:6]), (z[2:6],), order=2)
    # d/dz = sigmoid(z) - y
    g = fluxion.grad(lambda z: nn.binary_cross_entropy(z, y, reduction="sum"))(z)
    np.testing.assert_allclose(np.asarray(g), ss.expit(z) - y, rtol=1e-13, atol=1e-300)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: expected labels in \[0, 1\]"):
        nn.binary_cross_entropy(z, 2 * y)


def test_categorical_cross_entropy_integer_and_one_hot():
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(6, 4)) * 3
    logits[0] += 1000.0  # log_softmax keeps this finite
    labels = np.array([0, 3, 1, 1, 2, 0])
    logp = ss.log_softmax(logits, axis=-1)
    want = -logp[np.arange(6), labels]
    got = np.asarray(nn.categorical_cross_entropy(logits, labels, reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(
        float(nn.categorical_cross_entropy(logits, onehot)), want.mean(), rtol=1e-12
    )
    soft = rng.dirichlet(np.ones(4), size=6)
    np.testing.assert_allclose(
        float(nn.categorical_cross_entropy(logits, soft, reduction="sum")),
        -np.sum(soft * logp),
        rtol=1e-12,
    )
    # class axis first
    np.testing.assert_allclose(
        np.asarray(nn.categorical_cross_entropy(logits.T, labels, axis=0, reduction="none")),
        want,
        rtol=1e-12,
    )
    check_grads(lambda z: nn.categorical_cross_entropy(z, labels[1:]), (logits[1:],), order=2)
    # d/dz = softmax(z) - onehot
    g = fluxion.grad(lambda z: nn.categorical_cross_entropy(z, labels, reduction="sum"))(logits)
    np.testing.assert_allclose(np.asarray(g), ss.softmax(logits, axis=-1) - onehot, atol=1e-13)
    with pytest.raises(
        ValueError, match=r"expected integer labels in 0..3, got values from 0 to 4"
    ):
        nn.categorical_cross_entropy(logits, np.array([0, 1, 2, 3, 4, 0]))
    with pytest.raises(ValueError, match=r"expected integer labels of shape \(6,\)"):
        nn.categorical_cross_entropy(logits, labels[:5])
    with pytest.raises(ValueError, match="expected one-hot or probability labels"):
        nn.categorical_cross_entropy(logits, onehot[:, :3])
    with pytest.raises(TypeError, match="expected integer class ids or floating one-hot"):
        nn.categorical_cross_entropy(logits, onehot > 0)


def test_nll_and_kl_with_distributions():
    import fluxion.distributions as dist_mod
    rng = np.random.default_rng(8)
    loc, scale = rng.normal(size=5), np.exp(rng.normal(size=5))
    y = rng.normal(size=(3, 5))
    d = dist_mod.Normal(loc, scale)
    want = -np.mean(st.norm.logpdf(y, loc, scale))
    np.testing.assert_allclose(float(nn.nll(d, y)), want, rtol=1e-13)
    np.testing.assert_allclose(float(nn.nll(d.log_prob, y, reduction="sum")), want * 15, rtol=1e-13)
    # gradient of the NLL in the location (Normal: -(y - mu) / s^2, averaged)
    g = fluxion.grad(lambda m: nn.nll(dist_mod.Normal(m, scale), y, reduction="sum"))(loc)
    np.testing.assert_allclose(np.asarray(g), -np.sum(y - loc, axis=0) / scale**2, rtol=1e-12)
    q = dist_mod.Normal(0.5, 2.0)
    # closed form for two normals
    exact = np.log(2.0 / scale) + (scale**2 + (loc - 0.5) ** 2) / (2 * 4.0) - 0.5
    np.testing.assert_allclose(float(nn.kl(d, q)), exact.sum(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(nn.kl(d, q, reduction="none")), exact, rtol=1e-12)
    # Monte Carlo with given samples: within 5 standard errors of the exact value
    s = loc + scale * rng.normal(size=(20000, 5))
    mc = np.asarray(nn.kl(d, q, samples=s, reduction="none"))
    terms = st.norm.logpdf(s, loc, scale) - st.norm.logpdf(s, 0.5, 2.0)
    np.testing.assert_allclose(mc, terms.mean(0), rtol=1e-12)
    assert np.all(np.abs(mc - exact) < 5 * terms.std(0) / np.sqrt(20000))
    # callables for MC
    mc2 = nn.kl(lambda v: st.norm.logpdf(v, loc, scale), q.log_prob, samples=s)
    np.testing.assert_allclose(float(mc2), mc.sum(), rtol=1e-12)
    with pytest.raises(TypeError, match="kl: expected p to have kl_divergence"):
        nn.kl(d.log_prob, q)
    with pytest.raises(TypeError, match="nll: expected dist to be a distribution"):
        nn.nll(3.0, y)
