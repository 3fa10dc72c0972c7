"""Tests for ``fluxion.bijectors``: round trips, log-det-Jacobians against ``jacfwd``, event-rank
reduction, broadcasting, transforms (grad, jit, vmap), constrained outputs and the registry."""

from __future__ import annotations

import numpy as np
import pytest

import fluxion
import fluxion.bijectors as fb
import fluxion.numpy as fnp
from fluxion.test_util import check_grads

# --------------------------------------------------------------------------------------------
# Cases: a bijector, a sampler of unconstrained inputs (one event) and of constrained outputs.
# --------------------------------------------------------------------------------------------


def _rand_simplex(rng, k):
    return rng.dirichlet(np.full(k, 1.5))


def _rand_corr_cholesky(rng, k):
    a = rng.standard_normal((k, 2 * k))
    cov = a @ a.T / (2 * k)
    d = np.sqrt(np.diag(cov))
    return np.linalg.cholesky(cov / np.outer(d, d))


def _rand_ordered(rng, k):
    return np.sort(rng.standard_normal(k) * 3.0)


# (id, bijector, event shape of x, x sampler, y sampler)
CASES = [
    ("identity", fb.Identity(), (5,), lambda r, n: r.standard_normal(n), None),
    ("exp", fb.Exp(), (5,), lambda r, n: 3 * r.standard_normal(n), None),
    ("softplus", fb.Softplus(), (5,), lambda r, n: 3 * r.standard_normal(n), None),
    ("sigmoid", fb.Sigmoid(), (5,), lambda r, n: 3 * r.standard_normal(n), None),
    ("interval", fb.Sigmoid(-2.0, 5.0), (5,), lambda r, n: 3 * r.standard_normal(n), None),
    ("shift", fb.Shift(1.7), (5,), lambda r, n: r.standard_normal(n), None),
    ("scale", fb.Scale(-2.5), (5,), lambda r, n: r.standard_normal(n), None),
    ("greater_than", fb.GreaterThan(3.0), (5,), lambda r, n: 2 * r.standard_normal(n), None),
    ("less_than", fb.LessThan(-1.0), (5,), lambda r, n: 2 * r.standard_normal(n), None),
    (
        "chain",
        fb.Chain([fb.Shift(1.0), fb.Scale(2.0), fb.Softplus()]),
        (5,),
        lambda r, n: 2 * r.standard_normal(n),
        None,
    ),
    ("invert", fb.Invert(fb.Exp()), (5,), lambda r, n: np.exp(r.standard_normal(n)), None),
    (
        "stick_breaking",
        fb.StickBreaking(),
        (4,),
        lambda r, n: 2 * r.standard_normal(n),
        lambda r: _rand_simplex(r, 5),
    ),
    (
        "ordered",
        fb.Ordered(),
        (5,),
        lambda r, n: r.standard_normal(n),
        lambda r: _rand_ordered(r, 5),
    ),
    (
        "corr_cholesky",
        fb.CorrelationCholesky(),
        (6,),
        lambda r, n: r.standard_normal(n),
        lambda r: _rand_corr_cholesky(r, 4),
    ),
    (
        "positive_ordered",
        fb.Chain([fb.Exp(), fb.Ordered()]),
        (4,),
        lambda r, n: r.standard_normal(n),
        lambda r: np.sort(np.exp(r.standard_normal(4))),
    ),
]
IDS = [c[0] for c in CASES]


def _x(case, seed=0, batch=()):
    _, _, shape, sample_x, _ = case
    rng = np.random.default_rng(seed)
    return np.asarray(sample_x(rng, batch + shape), dtype=np.float64)


def _y(case, seed=1):
    _, b, _, _, sample_y = case
    rng = np.random.default_rng(seed)
    if sample_y is not None:
        return sample_y(rng)
    return np.asarray(b.forward(_x(case, seed)))


def _image_coordinates(b, y):
    """Coordinates of the image that make the Jacobian square (the free entries of y)."""
    if isinstance(b, fb.StickBreaking):
        return y[..., :-1]
    if isinstance(b, fb.CorrelationCholesky):
        k = fnp.shape(y)[-1]
        rows, cols = np.tril_indices(k, -1)
        return fnp.take(fnp.reshape(y, (k * k,)), rows * k + cols)
    return y


def _log_abs_det(b, x):
    jac = fluxion.jacfwd(lambda v: _image_coordinates(b, b.forward(v)))(x)
    sign, logdet = np.linalg.slogdet(np.asarray(jac))
    assert sign != 0
    return logdet


# --------------------------------------------------------------------------------------------
# Round trips and log-det-Jacobians
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_inverse_of_forward(case):
    b = case[1]
    for seed in range(3):
        x = _x(case, seed, batch=(3,))
        np.testing.assert_allclose(b.inverse(b.forward(x)), x, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_of_inverse(case):
    b = case[1]
    for seed in range(3):
        y = _y(case, seed)
        np.testing.assert_allclose(b.forward(b.inverse(y)), y, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_det_matches_jacobian(case):
    b = case[1]
    for seed in range(3):
        x = _x(case, seed)
        event_ndims = b.forward_min_event_ndims if b.forward_min_event_ndims else 1
        ldj = b.forward_log_det_jacobian(x, event_ndims)
        assert np.shape(ldj) == ()
        np.testing.assert_allclose(ldj, _log_abs_det(b, x), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_inverse_log_det_is_minus_forward(case):
    b = case[1]
    event_ndims = max(b.forward_min_event_ndims, 1)
    inv_event_ndims = event_ndims + b.inverse_min_event_ndims - b.forward_min_event_ndims
    for seed in range(3):
        x = _x(case, seed)
        y = b.forward(x)
        np.testing.assert_allclose(
            b.inverse_log_det_jacobian(y, inv_event_ndims),
            -b.forward_log_det_jacobian(x, event_ndims),
            rtol=1e-9,
            atol=1e-9,
        )
        # and at points sampled in the constrained set directly
        y = _y(case, seed)
        np.testing.assert_allclose(
            b.inverse_log_det_jacobian(y, inv_event_ndims),
            -b.forward_log_det_jacobian(b.inverse(y), event_ndims),
            rtol=1e-9,
            atol=1e-9,
        )


def test_correlation_cholesky_log_det_small_sizes():
    b = fb.CorrelationCholesky()
    assert np.allclose(b.forward(np.zeros(0)), np.eye(1))
    assert b.forward_log_det_jacobian(np.zeros(0)) == 0.0
    for m in (1, 3, 10):
        x = np.random.default_rng(m).standard_normal(m)
        np.testing.assert_allclose(b.forward_log_det_jacobian(x), _log_abs_det(b, x), rtol=1e-8)
        np.testing.assert_allclose(b.inverse(b.forward(x)), x, rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="K\\(K-1\\)/2"):
        b.forward(np.zeros(4))
    with pytest.raises(ValueError, match="square"):
        b.inverse(np.zeros((3, 4)))


def test_stick_breaking_and_ordered_small_sizes():
    sb = fb.StickBreaking()
    np.testing.assert_allclose(sb.forward(np.array([0.0])), [0.5, 0.5])
    np.testing.assert_allclose(sb.forward(np.zeros(4)), np.full(5, 0.2), rtol=1e-14)
    x = np.array([0.7])
    np.testing.assert_allclose(sb.forward_log_det_jacobian(x), _log_abs_det(sb, x), rtol=1e-10)
    od = fb.Ordered()
    np.testing.assert_allclose(od.forward(np.array([0.3])), [0.3])
    assert od.forward_log_det_jacobian(np.array([0.3])) == 0.0


# --------------------------------------------------------------------------------------------
# Extreme values
# --------------------------------------------------------------------------------------------


def test_exp_extremes():
    b = fb.Exp()
    x = np.array([-700.0, -300.0, -1e-12, 0.0, 1e-12, 300.0, 700.0])
    np.testing.assert_allclose(b.inverse(b.forward(x)), x, rtol=1e-14, atol=1e-14)
    y = np.array([1e-300, 1e-10, 1.0, 1e10, 1e300])
    np.testing.assert_allclose(b.forward(b.inverse(y)), y, rtol=1e-13)


def test_softplus_extremes():
    b = fb.Softplus()
    x = np.array([-700.0, -40.0, -10.0, -1e-8, 0.0, 1e-8, 10.0, 40.0, 700.0])
    y = b.forward(x)
    assert np.all(np.isfinite(y)) and np.all(y > 0)
    np.testing.assert_allclose(b.inverse(y), x, rtol=1e-10, atol=1e-10)
    y = np.array([1e-300, 1e-20, 1e-8, 0.5, 1.0, 30.0, 1e5, 1e300])
    np.testing.assert_allclose(b.forward(b.inverse(y)), y, rtol=1e-12)
    # log-det-Jacobians stay finite where exp would under- or overflow
    x = np.array([-800.0, -50.0, 50.0, 800.0])
    ldj = b.forward_log_det_jacobian(x)
    np.testing.assert_allclose(ldj, [-800.0, -50.0, -np.exp(-50.0), 0.0], rtol=1e-12)
    g = fluxion.grad(lambda v: fnp.sum(b.forward_log_det_jacobian(v)))(x)
    assert np.all(np.isfinite(g))


def test_sigmoid_extremes():
    b = fb.Sigmoid()
    # the lower tail is exact; the upper tail loses digits only by rounding y near 1
    x = np.array([-700.0, -100.0, -30.0, -1e-9, 0.0, 1e-9, 5.0, 10.0])
    np.testing.assert_allclose(b.inverse(b.forward(x)), x, rtol=1e-10, atol=1e-10)
    y = np.array([1e-300, 1e-15, 0.3, 0.5, 1 - 1e-12, 1 - 2.0**-52])
    np.testing.assert_allclose(b.forward(b.inverse(y)), y, rtol=1e-12)
    x = np.array([-800.0, 0.0, 800.0])
    np.testing.assert_allclose(b.forward_log_det_jacobian(x), [-800.0, np.log(0.25), -800.0])
    g = fluxion.grad(lambda v: fnp.sum(b.forward_log_det_jacobian(v)))(x)
    np.testing.assert_allclose(g, [1.0, 0.0, -1.0])
    interval = fb.Sigmoid(-2.0, 5.0)
    y = interval.forward(np.array([-800.0, -40.0, 0.0, 40.0, 800.0]))
    assert np.all((y >= -2.0) & (y <= 5.0))
    y = np.array([-2.0 + 1e-12, 1.5, 5.0 - 1e-12])
    np.testing.assert_allclose(interval.forward(interval.inverse(y)), y, rtol=1e-12)


def test_sigmoid_needs_both_ends():
    with pytest.raises(ValueError, match="both low and high"):
        fb.Sigmoid(low=1.0)


# --------------------------------------------------------------------------------------------
# Event-rank reduction and batch broadcasting
# --------------------------------------------------------------------------------------------


def test_event_ndims_reduction_elementwise():
    b = fb.Softplus()
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    full = b.forward_log_det_jacobian(x)
    assert full.shape == (2, 3, 4)
    np.testing.assert_allclose(b.forward_log_det_jacobian(x, 1), full.sum(-1))
    np.testing.assert_allclose(b.forward_log_det_jacobian(x, 2), full.sum((-2, -1)))
    np.testing.assert_allclose(b.forward_log_det_jacobian(x, 3), full.sum())
    y = b.forward(x)
    np.testing.assert_allclose(b.inverse_log_det_jacobian(y, 2), -full.sum((-2, -1)))


def test_event_ndims_constant_jacobian_broadcasts():
    b = fb.Scale(2.0)
    assert b.is_constant_jacobian
    x = np.zeros((2, 3))
    np.testing.assert_allclose(b.forward_log_det_jacobian(x), np.full((2, 3), np.log(2.0)))
    np.testing.assert_allclose(b.forward_log_det_jacobian(x, 1), np.full(2, 3 * np.log(2.0)))
    np.testing.assert_allclose(b.inverse_log_det_jacobian(x, 2), -6 * np.log(2.0))
    assert fb.Identity().forward_log_det_jacobian(x, 1).shape == (2,)
    assert fb.Shift(1.0).inverse_log_det_jacobian(x).shape == (2, 3)


def test_event_ndims_vector_bijectors():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    sb = fb.StickBreaking()
    ldj = sb.forward_log_det_jacobian(x)
    assert ldj.shape == (2, 3)
    np.testing.assert_allclose(sb.forward_log_det_jacobian(x, 2), ldj.sum(-1))
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(ldj[i, j], sb.forward_log_det_jacobian(x[i, j]))
    y = sb.forward(x)
    assert y.shape == (2, 3, 5)
    np.testing.assert_allclose(sb.inverse_log_det_jacobian(y, 3), -ldj.sum())

    cc = fb.CorrelationCholesky()
    x = np.random.default_rng(1).standard_normal((2, 3, 6))
    ldj = cc.forward_log_det_jacobian(x)
    assert ldj.shape == (2, 3)
    y = cc.forward(x)
    assert y.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(cc.inverse_log_det_jacobian(y), -ldj, rtol=1e-10)
    np.testing.assert_allclose(cc.inverse_log_det_jacobian(y, 3), -ldj.sum(-1), rtol=1e-10)
    np.testing.assert_allclose(cc.forward_log_det_jacobian(x, 3), ldj.sum(), rtol=1e-12)


def test_event_ndims_errors():
    with pytest.raises(ValueError, match="event_ndims >= 1"):
        fb.StickBreaking().forward_log_det_jacobian(np.zeros(3), 0)
    with pytest.raises(ValueError, match="exceeds the rank"):
        fb.Exp().forward_log_det_jacobian(np.zeros(3), 2)
    with pytest.raises(TypeError, match="event_ndims to be an int"):
        fb.Exp().forward_log_det_jacobian(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        fb.Ordered().forward(1.0)
    with pytest.raises(ValueError, match="event_ndims >= 2"):
        fb.CorrelationCholesky().inverse_log_det_jacobian(np.eye(3), 1)


def test_event_shapes():
    assert fb.Exp().forward_event_shape((2, 3)) == (2, 3)
    assert fb.StickBreaking().forward_event_shape((3,)) == (4,)
    assert fb.StickBreaking().inverse_event_shape((2, 4)) == (2, 3)
    assert fb.Ordered().inverse_event_shape((5,)) == (5,)
    assert fb.CorrelationCholesky().forward_event_shape((7, 6)) == (7, 4, 4)
    assert fb.CorrelationCholesky().inverse_event_shape((4, 4)) == (6,)
    chain = fb.Chain([fb.Scale(2.0), fb.CorrelationCholesky()])
    assert chain.forward_event_shape((3,)) == (3, 3)
    assert chain.inverse_event_shape((3, 3)) == (3,)
    assert fb.Invert(fb.StickBreaking()).forward_event_shape((4,)) == (3,)
    with pytest.raises(ValueError, match="K\\(K-1\\)/2"):
        fb.CorrelationCholesky().forward_event_shape((5,))
    with pytest.raises(ValueError, match="rank >= 1"):
        fb.StickBreaking().forward_event_shape(())


def test_parameters_broadcast_with_batch():
    x = np.random.default_rng(0).standard_normal(4)
    shift = np.array([[0.0], [1.0], [2.0]])
    y = fb.Shift(shift).forward(x)
    assert y.shape == (3, 4)
    np.testing.assert_allclose(y, x + shift)
    assert fb.Shift(shift).forward_log_det_jacobian(x).shape == (3, 4)
    scale = np.array([[1.0], [2.0]])
    ldj = fb.Scale(scale).forward_log_det_jacobian(x, 1)
    np.testing.assert_allclose(ldj, [0.0, 4 * np.log(2.0)])
    low, high = np.array([0.0, -1.0]), np.array([1.0, 3.0])
    b = fb.Sigmoid(low, high)
    xs = np.random.default_rng(1).standard_normal((5, 1))
    y = b.forward(xs)
    assert y.shape == (5, 2)
    assert np.all((y > low) & (y < high))
    np.testing.assert_allclose(b.inverse(y), np.broadcast_to(xs, (5, 2)), rtol=1e-10)
    ldj = b.forward_log_det_jacobian(xs, 1)
    assert ldj.shape == (5,)
    g = fb.GreaterThan(np.array([0.0, 1.0, 2.0]))
    assert g.forward_log_det_jacobian(0.5).shape == (3,)


def test_vector_bijectors_batch_rows_match():
    rng = np.random.default_rng(3)
    for b, m in [(fb.StickBreaking(), 3), (fb.Ordered(), 4), (fb.CorrelationCholesky(), 3)]:
        xs = rng.standard_normal((6, m))
        ys = b.forward(xs)
        ldj = b.forward_log_det_jacobian(xs)
        for i in range(6):
            np.testing.assert_allclose(ys[i], b.forward(xs[i]), rtol=1e-14)
            np.testing.assert_allclose(ldj[i], b.forward_log_det_jacobian(xs[i]), rtol=1e-14)


# --------------------------------------------------------------------------------------------
# Chain and Invert
# --------------------------------------------------------------------------------------------


def test_chain_order_and_min_event_ndims():
    b = fb.Chain([fb.Shift(1.0), fb.Exp()])
    np.testing.assert_allclose(b.forward(0.0), 2.0)
    np.testing.assert_allclose(b.inverse(2.0), 0.0)
    assert b.name == "chain_of_shift_of_exp"
    assert (b.forward_min_event_ndims, b.inverse_min_event_ndims) == (0, 0)
    c = fb.Chain([fb.Scale(0.5), fb.CorrelationCholesky()])
    assert (c.forward_min_event_ndims, c.inverse_min_event_ndims) == (1, 2)
    s = fb.Chain([fb.StickBreaking(), fb.Exp()])
    assert (s.forward_min_event_ndims, s.inverse_min_event_ndims) == (1, 1)
    assert fb.Chain([fb.Shift(1.0), fb.Scale(2.0)]).is_constant_jacobian
    assert not b.is_constant_jacobian
    empty = fb.Chain([])
    np.testing.assert_allclose(empty.forward(np.ones(3)), np.ones(3))
    np.testing.assert_allclose(empty.forward_log_det_jacobian(np.ones(3), 1), 0.0)
    with pytest.raises(TypeError, match="sequence of Bijector"):
        fb.Chain([fb.Exp(), "exp"])


def test_chain_log_det_with_rank_change():
    # Scale acts on the K outputs of StickBreaking: its term is K log 2 (TFP semantics)
    x = np.array([0.3, -0.4, 1.1])
    b = fb.Chain([fb.Scale(2.0), fb.StickBreaking()])
    expected = fb.StickBreaking().forward_log_det_jacobian(x) + 4 * np.log(2.0)
    np.testing.assert_allclose(b.forward_log_det_jacobian(x), expected)
    y = b.forward(x)
    np.testing.assert_allclose(b.inverse(y), x, rtol=1e-12)
    np.testing.assert_allclose(b.inverse_log_det_jacobian(y), -expected)
    # Scale after CorrelationCholesky: 9 entries of a 3x3 matrix
    x = np.array([0.2, -0.5, 0.9])
    c = fb.Chain([fb.Scale(3.0), fb.CorrelationCholesky()])
    expected = fb.CorrelationCholesky().forward_log_det_jacobian(x) + 9 * np.log(3.0)
    np.testing.assert_allclose(c.forward_log_det_jacobian(x), expected)
    np.testing.assert_allclose(c.inverse_log_det_jacobian(c.forward(x)), -expected)


def test_invert():
    b = fb.Invert(fb.Exp())
    np.testing.assert_allclose(b.forward(np.e), 1.0)
    np.testing.assert_allclose(b.inverse(1.0), np.e)
    np.testing.assert_allclose(b.forward_log_det_jacobian(2.0), -np.log(2.0))
    assert b.name == "invert_exp"
    inv = fb.Invert(fb.CorrelationCholesky())
    assert (inv.forward_min_event_ndims, inv.inverse_min_event_ndims) == (2, 1)
    assert inv.forward_event_shape((3, 3)) == (3,)
    assert fb.Invert(fb.Shift(1.0)).is_constant_jacobian
    with pytest.raises(TypeError, match="expected a Bijector"):
        fb.Invert(np.exp)


# --------------------------------------------------------------------------------------------
# Constrained outputs
# --------------------------------------------------------------------------------------------


def test_simplex_outputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 6)) * 10
    x[0] = 40.0
    x[1] = -40.0
    y = fb.StickBreaking().forward(x)
    assert y.shape == (50, 7)
    assert np.all(y > 0)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=0, atol=1e-14)


def test_ordered_outputs():
    x = np.random.default_rng(0).standard_normal((50, 6)) * 3
    y = fb.Ordered().forward(x)
    assert np.all(np.diff(y, axis=-1) > 0)
    np.testing.assert_allclose(y[:, 0], x[:, 0])


def test_correlation_cholesky_outputs():
    x = np.random.default_rng(0).standard_normal((50, 10)) * 2
    x[0] = 0.0
    L = fb.CorrelationCholesky().forward(x)
    assert L.shape == (50, 5, 5)
    np.testing.assert_allclose(L[0], np.eye(5))
    np.testing.assert_allclose(np.linalg.norm(L, axis=-1), 1.0, rtol=1e-14)
    assert np.all(np.diagonal(L, axis1=-2, axis2=-1) > 0)
    assert np.all(np.triu(L, 1) == 0)
    corr = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(np.diagonal(corr, axis1=-2, axis2=-1), 1.0, rtol=1e-14)
    assert np.all(np.linalg.eigvalsh(corr) > 0)


def test_positive_and_interval_outputs():
    x = np.linspace(-30, 30, 61)
    assert np.all(fb.Exp().forward(x) > 0)
    assert np.all(fb.Softplus().forward(x) > 0)
    y = fb.Sigmoid(1.0, 2.0).forward(np.linspace(-20, 20, 41))
    assert np.all((y > 1.0) & (y < 2.0))
    assert np.all(fb.GreaterThan(3.0).forward(x) > 3.0)
    assert np.all(fb.LessThan(-3.0).forward(x) < -3.0)


# --------------------------------------------------------------------------------------------
# Transforms: grad, jit, vmap; derivatives checked numerically
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jit(case):
    b = case[1]
    x = _x(case, 0, batch=(2,))
    np.testing.assert_allclose(fluxion.jit(b.forward)(x), b.forward(x), rtol=1e-13)
    y = b.forward(x)
    np.testing.assert_allclose(fluxion.jit(b.inverse)(y), b.inverse(y), rtol=1e-13, atol=1e-13)
    ldj = fluxion.jit(lambda v: b.forward_log_det_jacobian(v, b.forward_min_event_ndims + 1))
    np.testing.assert_allclose(
        ldj(x), b.forward_log_det_jacobian(x, b.forward_min_event_ndims + 1), rtol=1e-13
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vmap(case):
    b = case[1]
    xs = _x(case, 0, batch=(3,))
    np.testing.assert_allclose(fluxion.vmap(b.forward)(xs), b.forward(xs), rtol=1e-14)
    n = max(b.forward_min_event_ndims, 1)
    f = fluxion.vmap(lambda v: b.forward_log_det_jacobian(v, n))
    np.testing.assert_allclose(f(xs), b.forward_log_det_jacobian(xs, n), rtol=1e-13)
    ys = b.forward(xs)
    m = n + b.inverse_min_event_ndims - b.forward_min_event_ndims
    g = fluxion.vmap(lambda v: b.inverse_log_det_jacobian(v, m))
    np.testing.assert_allclose(g(ys), b.inverse_log_det_jacobian(ys, m), rtol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_grads(case):
    b = case[1]
    x = _x(case, 2)
    n = max(b.forward_min_event_ndims, 1)
    check_grads(b.forward, (x,), order=2)
    check_grads(lambda v: b.forward_log_det_jacobian(v, n), (x,), order=2)
    y = _y(case, 2)
    m = n + b.inverse_min_event_ndims - b.forward_min_event_ndims
    check_grads(b.inverse, (y,), order=1)
    check_grads(lambda v: b.inverse_log_det_jacobian(v, m), (y,), order=1)


def test_grad_of_log_det_matches_autodiff_of_logdet():
    # the samplers differentiate log-det-Jacobians: compare with d/dx of slogdet(jacfwd)
    b = fb.CorrelationCholesky()
    x = np.random.default_rng(5).standard_normal(6)
    g = fluxion.grad(lambda v: b.forward_log_det_jacobian(v))(x)
    eps = 1e-6
    numeric = np.array(
        [
            (_log_abs_det(b, x + eps * e) - _log_abs_det(b, x - eps * e)) / (2 * eps)
            for e in np.eye(6)
        ]
    )
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-7)
    # the Hessian at zero is finite and symmetric (smooth log(1 - tanh^2) there)
    h = fluxion.hessian(lambda v: b.forward_log_det_jacobian(v))(np.zeros(6))
    assert np.all(np.isfinite(h))
    np.testing.assert_allclose(h, h.T)
    check_grads(lambda v: b.forward_log_det_jacobian(v), (np.zeros(6),), order=2)


def test_bijectors_are_pytrees():
    b = fb.Chain([fb.Shift(1.0), fb.Scale(2.0), fb.Exp()])
    leaves = fluxion.tree.leaves(b)
    assert leaves == [1.0, 2.0]
    rebuilt = fluxion.tree.unflatten(fluxion.tree.structure(b), [3.0, 4.0])
    np.testing.assert_allclose(rebuilt.forward(0.0), 7.0)
    assert fluxion.tree.leaves(fb.Sigmoid()) == []
    assert fluxion.tree.leaves(fb.Sigmoid(0.0, 2.0)) == [0.0, 2.0]
    assert fb.Exp() == fb.Exp()


def test_grad_with_respect_to_parameters():
    x = np.array([0.5, -1.0, 2.0])
    g = fluxion.grad(lambda s: fb.Scale(s).forward_log_det_jacobian(x, 1))(2.0)
    np.testing.assert_allclose(g, 1.5)
    # a bijector as the differentiated argument: the gradient is a bijector of gradients
    gb = fluxion.grad(lambda b: fnp.sum(b.forward(x)))(fb.Shift(1.0))
    assert isinstance(gb, fb.Shift)
    np.testing.assert_allclose(gb.shift, 3.0)

    def loss(low, high):
        b = fb.Sigmoid(low, high)
        return fnp.sum(b.forward(x)) + b.forward_log_det_jacobian(x, 1)

    check_grads(loss, (-1.0, 3.0), order=2)


def test_jit_and_vmap_with_bijector_arguments():
    x = np.array([0.5, -1.0, 2.0])
    f = fluxion.jit(lambda b, v: b.forward(v))
    np.testing.assert_allclose(f(fb.Sigmoid(0.0, 2.0), x), fb.Sigmoid(0.0, 2.0).forward(x))
    np.testing.assert_allclose(f(fb.Sigmoid(1.0, 4.0), x), fb.Sigmoid(1.0, 4.0).forward(x))
    shifts = fb.Shift(np.array([0.0, 1.0, 2.0]))
    out = fluxion.vmap(lambda b: b.forward(x))(shifts)
    np.testing.assert_allclose(out, x[None, :] + np.array([[0.0], [1.0], [2.0]]))


def test_call_and_names():
    assert fb.Exp()(0.0) == 1.0
    assert fb.StickBreaking().name == "stick_breaking"
    assert fb.CorrelationCholesky().name == "correlation_cholesky"
    assert fb.Softplus().is_constant_jacobian is False
    assert fb.Identity().is_constant_jacobian is True


def test_integer_inputs_become_float():
    y = fb.Exp().forward(np.array([0, 1]))
    assert y.dtype == np.float64
    np.testing.assert_allclose(fb.Ordered().forward([0, 0, 0]), [0.0, 1.0, 2.0])


# --------------------------------------------------------------------------------------------
# The constraint registry
# --------------------------------------------------------------------------------------------


def test_registry_names():
    names = fb.constraint_names()
    for name in (
        "real",
        "positive",
        "unit_interval",
        "interval",
        "greater_than",
        "less_than",
        "simplex",
        "ordered",
        "corr_cholesky",
        "lower_cholesky",
        "positive_definite",
        "corr_matrix",
    ):
        assert name in names
    assert list(names) == sorted(names)


def test_registry_maps_specs():
    assert isinstance(fb.for_constraint("real"), fb.Identity)
    assert isinstance(fb.for_constraint("positive"), fb.Exp)
    assert fb.for_constraint("unit_interval") == fb.Sigmoid()
    assert isinstance(fb.for_constraint("simplex"), fb.StickBreaking)
    assert fb.for_constraint("lower_cholesky") == fb.FillScaleTriL(fb.Exp(), None)
    pd = fb.for_constraint("positive_definite")
    assert isinstance(pd, fb.Chain) and isinstance(pd.bijectors[0], fb.CholeskyOuterProduct)
    corr = fb.for_constraint("corr_matrix")
    assert corr.bijectors[0] == fb.CholeskyOuterProduct(unit_diagonal=True)
    assert isinstance(corr.bijectors[1], fb.CorrelationCholesky)
    with pytest.raises(ValueError, match=r"takes 0 parameter"):
        fb.for_constraint(("lower_cholesky", 1.0))
    assert isinstance(fb.for_constraint("ordered"), fb.Ordered)
    assert isinstance(fb.for_constraint("corr_cholesky"), fb.CorrelationCholesky)
    b = fb.for_constraint(("interval", -1.0, 3.0))
    assert isinstance(b, fb.Sigmoid)
    y = b.forward(np.linspace(-10, 10, 9))
    assert np.all((y > -1.0) & (y < 3.0))
    b = fb.for_constraint(("greater_than", 2.0))
    np.testing.assert_allclose(b.forward(0.0), 3.0)
    b = fb.for_constraint(["less_than", 2.0])
    np.testing.assert_allclose(b.forward(0.0), 1.0)
    custom = fb.Chain([fb.Shift(1.0), fb.Softplus()])
    assert fb.for_constraint(custom) is custom


def test_registry_errors():
    with pytest.raises(ValueError) as info:
        fb.for_constraint("postive")
    message = str(info.value)
    assert "for_constraint: unknown constraint 'postive'" in message
    assert "'simplex'" in message and "'corr_cholesky'" in message
    assert "(did you mean 'positive'?)" in message
    with pytest.raises(ValueError, match="unknown constraint 'banana'") as info:
        fb.for_constraint("banana")
    assert "did you mean" not in str(info.value)
    with pytest.raises(ValueError, match="takes 2 parameter"):
        fb.for_constraint("interval")
    with pytest.raises(ValueError, match=r"\('greater_than', low\)|\(\"greater_than\", low\)"):
        fb.for_constraint(("greater_than",))
    with pytest.raises(ValueError, match="takes 0 parameter"):
        fb.for_constraint(("positive", 1.0))
    with pytest.raises(TypeError, match="expected a constraint name"):
        fb.for_constraint(3.0)
    with pytest.raises(TypeError, match="expected a constraint name"):
        fb.for_constraint(())
