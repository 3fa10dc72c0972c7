"""fluxion.optim gradient transformations, schedules and fit.

Update formulas are checked against hand-written NumPy recurrences (and a few literal numbers)
for the first three steps; the Must-show "optimize optimization itself" hypergradient is checked
against central finite differences.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion import optim
from fluxion.test_util import check_grads

GRADS = [np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([-1.0, 3.0])]
P0 = np.array([0.3, -0.7])


def run_three(opt, params=P0, grads=GRADS):
    """Apply ``opt`` to the fixed gradient sequence; return the three updates."""
    state = opt.init(params)
    out = []
    for g in grads:
        updates, state = opt.update(g, state, params)
        params = optim.apply_updates(params, updates)
        out.append(np.asarray(updates))
    return out


def reference_updates(kind, lr=0.1, **kw):
    """The first three updates computed by hand (plain NumPy, optax's formulas)."""
    out = []
    params = P0.copy()
    m = np.zeros(2)
    v = np.zeros(2)
    t = np.zeros(2)
    s = np.full(2, 0.1)
    for k, g in enumerate(GRADS, start=1):
        if kind == "sgd":
            u = -lr * g
        elif kind in ("momentum", "nesterov"):
            t = g + 0.9 * t
            u = -lr * (g + 0.9 * t if kind == "nesterov" else t)
        elif kind in ("adam", "adamw"):
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g**2
            direction = (m / (1 - 0.9**k)) / (np.sqrt(v / (1 - 0.999**k)) + 1e-8)
            if kind == "adamw":
                direction = direction + kw["weight_decay"] * params
            u = -lr * direction
        elif kind == "rmsprop":
            v = 0.9 * v + 0.1 * g**2
            u = -lr * g / np.sqrt(v + 1e-8)
            if kw.get("momentum") is not None:
                t = u + kw["momentum"] * t
                u = t
        elif kind == "adagrad":
            s = s + g**2
            u = -lr * g / np.sqrt(s + 1e-7)
        else:
            raise AssertionError(kind)
        params = params + u
        out.append(u)
    return out


# ---------------------------------------------------------------------------------------------
# each optimizer's first three steps


@pytest.mark.parametrize(
    "opt, kind, kw",
    [
        (optim.sgd(0.1), "sgd", {}),
        (optim.sgd(0.1, momentum=0.9), "momentum", {}),
        (optim.momentum(0.1, 0.9), "momentum", {}),
        (optim.sgd(0.1, momentum=0.9, nesterov=True), "nesterov", {}),
        (optim.nesterov(0.1, 0.9), "nesterov", {}),
        (optim.adam(0.1), "adam", {}),
        (optim.adamw(0.1, weight_decay=0.05), "adamw", {"weight_decay": 0.05}),
        (optim.rmsprop(0.1), "rmsprop", {}),
        (optim.rmsprop(0.1, momentum=0.5), "rmsprop", {"momentum": 0.5}),
        (optim.adagrad(0.1), "adagrad", {}),
    ],
    ids=[
        "sgd",
        "sgd-momentum",
        "momentum",
        "sgd-nesterov",
        "nesterov",
        "adam",
        "adamw",
        "rmsprop",
        "rmsprop-momentum",
        "adagrad",
    ],
)
def test_first_three_steps_match_hand_computation(opt, kind, kw):
    got = run_three(opt)
    want = reference_updates(kind, **kw)
    for k in range(3):
        np.testing.assert_allclose(got[k], want[k], rtol=1e-13, atol=1e-15)


def test_literal_hand_computed_values():
    # sgd: u = -lr g
    np.testing.assert_allclose(run_three(optim.sgd(0.1))[0], [-0.1, 0.2])
    # momentum step 2: t = g2 + 0.9 g1 = [1.4, -1.3]
    np.testing.assert_allclose(run_three(optim.momentum(0.1, 0.9))[1], [-0.14, 0.13])
    # nesterov step 1: g1 + 0.9 g1 = 1.9 g1
    np.testing.assert_allclose(run_three(optim.nesterov(0.1, 0.9))[0], [-0.19, 0.38])
    # adam step 1: bias-corrected m_hat = g, v_hat = g^2, so u = -lr g / (|g| + eps)
    np.testing.assert_allclose(
        run_three(optim.adam(0.1))[0], [-0.1 / (1 + 1e-8), 0.1 * 2 / (2 + 1e-8)], rtol=1e-15
    )
    # adagrad step 1: s = 0.1 + g^2 = [1.1, 4.1]
    np.testing.assert_allclose(
        run_three(optim.adagrad(0.1))[0],
        [-0.1 / np.sqrt(1.1 + 1e-7), 0.2 / np.sqrt(4.1 + 1e-7)],
        rtol=1e-15,
    )
    # rmsprop step 1: v = 0.1 g^2, u = -lr g / sqrt(0.1 g^2 + eps) ~ -lr sign(g) / sqrt(0.1)
    np.testing.assert_allclose(
        run_three(optim.rmsprop(0.1))[0], [-0.1 / np.sqrt(0.1), 0.1 / np.sqrt(0.1)], rtol=1e-7
    )


def test_state_is_namedtuple_with_count():
    opt = optim.adam(0.1)
    state = opt.init({"w": np.ones(2)})
    adam_state = state[0]
    assert isinstance(adam_state, optim.ScaleByAdamState)
    assert adam_state.count.dtype == np.int32 and int(adam_state.count) == 0
    _, state = opt.update({"w": np.ones(2)}, state)
    _, state = opt.update({"w": np.ones(2)}, state)
    assert int(state[0].count) == 2
    assert isinstance(optim.trace(0.9).init(np.ones(2)), optim.TraceState)
    assert isinstance(optim.scale_by_rms().init(np.ones(2)), optim.ScaleByRmsState)
    assert isinstance(optim.scale_by_rss().init(np.ones(2)), optim.ScaleByRssState)


def test_pytree_params_and_schedule_learning_rate():
    params = {"a": np.array([1.0, 2.0]), "b": (np.array(3.0), np.ones((2, 2)))}
    grads = fluxion.tree.map(lambda x: 0.5 * x, params)
    opt = optim.sgd(optim.piecewise_constant_schedule(0.1, {1: 0.5}))
    state = opt.init(params)
    u1, state = opt.update(grads, state)
    u2, state = opt.update(grads, state)
    np.testing.assert_allclose(u1["b"][1], -0.05 * np.ones((2, 2)))
    np.testing.assert_allclose(u2["a"], -0.025 * params["a"])
    new = optim.apply_updates(params, u1)
    assert fluxion.tree.structure(new) == fluxion.tree.structure(params)


def test_float32_params_stay_float32():
    params = np.ones(3, dtype=np.float32)
    opt = optim.adamw(optim.exponential_decay(0.1, 10, 0.5), weight_decay=0.01)
    state = opt.init(params)
    for _ in range(3):
        updates, state = opt.update(np.full(3, 0.5, dtype=np.float32), state, params)
        assert updates.dtype == np.float32
        params = optim.apply_updates(params, updates)
    assert params.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# building blocks


def test_clip_and_clip_by_global_norm():
    g = np.array([3.0, 4.0])  # norm 5
    u, _ = optim.clip_by_global_norm(1.0).update(g, optim.EmptyState())
    np.testing.assert_allclose(u, [0.6, 0.8])
    u, _ = optim.clip_by_global_norm(10.0).update(g, optim.EmptyState())
    np.testing.assert_allclose(u, g)
    tree = {"a": np.array([3.0]), "b": np.array([[4.0]])}
    u, _ = optim.clip_by_global_norm(2.5).update(tree, optim.EmptyState())
    np.testing.assert_allclose(u["a"], [1.5])
    np.testing.assert_allclose(u["b"], [[2.0]])
    np.testing.assert_allclose(optim.global_norm(tree), 5.0)
    u, _ = optim.clip(1.5).update(np.array([-3.0, 0.5, 2.0]), optim.EmptyState())
    np.testing.assert_allclose(u, [-1.5, 0.5, 1.5])
    # differentiable at a zero gradient (no NaN from the norm)
    d = fluxion.grad(lambda x: fnp.sum(optim.clip_by_global_norm(1.0).update(x, ())[0]))(
        np.zeros(2)
    )
    np.testing.assert_allclose(d, [1.0, 1.0])


def test_chain_clip_by_global_norm_then_adam():
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adam(0.1))
    grads = [np.array([3.0, 4.0]), np.array([0.3, 0.4]), np.array([-6.0, 8.0])]
    got = run_three(opt, grads=grads)
    # by hand: clip to norm <= 1, then adam
    m = v = np.zeros(2)
    for k, g in enumerate(grads, start=1):
        g = g * min(1.0, 1.0 / np.linalg.norm(g))
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        want = -0.1 * (m / (1 - 0.9**k)) / (np.sqrt(v / (1 - 0.999**k)) + 1e-8)
        np.testing.assert_allclose(got[k - 1], want, rtol=1e-13)
    # the clipped gradient itself
    u, _ = optim.chain(optim.clip_by_global_norm(1.0), optim.sgd(1.0)).update(
        grads[0], optim.chain(optim.clip_by_global_norm(1.0), optim.sgd(1.0)).init(np.zeros(2))
    )
    np.testing.assert_allclose(u, [-0.6, -0.8])


def test_add_decayed_weights_mask_and_scale_by_schedule():
    params = {"w": np.array([1.0, 2.0]), "b": np.array([5.0])}
    grads = {"w": np.zeros(2), "b": np.zeros(1)}
    t = optim.add_decayed_weights(0.5, mask={"w": True, "b": False})
    u, _ = t.update(grads, t.init(params), params)
    np.testing.assert_allclose(u["w"], [0.5, 1.0])
    np.testing.assert_allclose(u["b"], [0.0])
    t = optim.add_decayed_weights(0.5, mask=lambda p: {"w": False, "b": True})
    u, _ = t.update(grads, t.init(params), params)
    np.testing.assert_allclose(u["b"], [2.5])
    s = optim.scale_by_schedule(lambda c: 2.0**c)
    state = s.init(np.ones(1))
    outs = []
    for _ in range(3):
        u, state = s.update(np.ones(1), state)
        outs.append(float(u[0]))
    assert outs == [1.0, 2.0, 4.0]


# ---------------------------------------------------------------------------------------------
# convergence


def quadratic(p):
    A = np.array([[3.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, -2.0])
    return 0.5 * p @ (A @ p) - b @ p


QUAD_MIN = np.linalg.solve(np.array([[3.0, 0.5], [0.5, 1.0]]), np.array([1.0, -2.0]))


@pytest.mark.parametrize(
    "opt, steps",
    [
        (optim.sgd(0.3), 300),
        (optim.momentum(0.1, 0.9), 300),
        (optim.nesterov(0.1, 0.9), 300),
        (optim.adam(0.05), 2000),
        (optim.rmsprop(0.003), 3000),
        (optim.adagrad(0.5), 2000),
        (optim.adamw(0.05, weight_decay=0.0), 2000),
        (optim.sgd(optim.exponential_decay(0.3, 100, 0.9)), 500),
        (optim.adam(optim.warmup_cosine_decay_schedule(0.0, 0.1, 50, 3000)), 3000),
    ],
)
def test_convergence_on_quadratic(opt, steps):
    res = optim.fit(quadratic, np.zeros(2), opt, steps, progress=False)
    np.testing.assert_allclose(res.params, QUAD_MIN, atol=2e-3)


def test_adam_converges_on_rosenbrock():
    def rosenbrock(p):
        return (1 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2

    res = optim.fit(rosenbrock, np.array([-1.2, 1.0]), optim.adam(0.02), 5000, progress=False)
    np.testing.assert_allclose(res.params, [1.0, 1.0], atol=1e-6)
    assert res.history.loss[-1] < 1e-10 < res.history.loss[0]


# ---------------------------------------------------------------------------------------------
# schedules


def test_schedule_values():
    s = optim.constant_schedule(0.3)
    assert [float(s(i)) for i in (0, 5)] == [0.3, 0.3]

    s = optim.exponential_decay(1.0, 10, 0.5)
    np.testing.assert_allclose([s(i) for i in (0, 5, 10, 20)], [1.0, 0.5**0.5, 0.5, 0.25])
    s = optim.exponential_decay(1.0, 10, 0.5, staircase=True)
    np.testing.assert_allclose([s(i) for i in (0, 9, 10, 19, 20)], [1, 1, 0.5, 0.5, 0.25])
    s = optim.exponential_decay(1.0, 10, 0.5, end_value=0.3)
    np.testing.assert_allclose([s(i) for i in (10, 20, 100)], [0.5, 0.3, 0.3])
    s = optim.exponential_decay(1.0, 10, 0.5, transition_begin=5)
    np.testing.assert_allclose([s(i) for i in (0, 5, 15)], [1.0, 1.0, 0.5])
    s = optim.exponential_decay(1.0, 1, 2.0, end_value=4.0)  # growing, capped
    np.testing.assert_allclose([s(i) for i in (1, 2, 5)], [2.0, 4.0, 4.0])

    s = optim.cosine_decay_schedule(2.0, 10, alpha=0.1)
    want = [2.0 * (0.9 * 0.5 * (1 + np.cos(np.pi * min(i, 10) / 10)) + 0.1) for i in range(13)]
    np.testing.assert_allclose([s(i) for i in range(13)], want, rtol=1e-14)
    assert float(s(5)) == pytest.approx(2.0 * (0.45 + 0.1))

    s = optim.linear_schedule(1.0, 0.0, 4, transition_begin=2)
    np.testing.assert_allclose([s(i) for i in range(8)], [1, 1, 1, 0.75, 0.5, 0.25, 0, 0])

    s = optim.piecewise_constant_schedule(1.0, {2: 0.5, 4: 0.1})
    np.testing.assert_allclose([s(i) for i in range(6)], [1, 1, 0.5, 0.5, 0.05, 0.05])

    s = optim.join_schedules(
        [optim.constant_schedule(1.0), optim.linear_schedule(2.0, 0.0, 2)], [3]
    )
    np.testing.assert_allclose([s(i) for i in range(7)], [1, 1, 1, 2, 1, 0, 0])

    s = optim.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=4, decay_steps=14, end_value=0.2)
    got = [float(s(i)) for i in range(16)]
    np.testing.assert_allclose(got[:5], [0.0, 0.25, 0.5, 0.75, 1.0])
    assert got[9] == pytest.approx(0.2 + 0.8 * 0.5)  # half way through the decay
    np.testing.assert_allclose(got[14:], [0.2, 0.2])


def test_schedules_under_jit_and_grad():
    s = optim.warmup_cosine_decay_schedule(0.0, 1.0, 4, 14, end_value=0.2)
    js = fluxion.jit(s)
    for i in (0, 2, 4, 9, 20):
        np.testing.assert_allclose(js(np.int32(i)), s(i), rtol=1e-14)
    # derivative with respect to a schedule parameter
    d = fluxion.grad(lambda v: optim.exponential_decay(v, 10, 0.5)(20))(3.0)
    assert float(d) == pytest.approx(0.25)
    d = fluxion.grad(lambda r: optim.exponential_decay(1.0, 10, r)(20))(0.5)
    assert float(d) == pytest.approx(2 * 0.5)


def test_schedule_argument_errors():
    with pytest.raises(ValueError, match="transition_steps"):
        optim.exponential_decay(1.0, 0, 0.5)
    with pytest.raises(TypeError, match="integer decay_steps"):
        optim.cosine_decay_schedule(1.0, 10.5)
    with pytest.raises(ValueError, match="decay_steps > warmup_steps"):
        optim.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10)
    with pytest.raises(ValueError, match="len\\(boundaries\\) \\+ 1"):
        optim.join_schedules([optim.constant_schedule(1.0)], [3])


# ---------------------------------------------------------------------------------------------
# jit and vmap


@pytest.mark.parametrize(
    "make",
    [
        lambda: optim.sgd(0.1, momentum=0.9, nesterov=True),
        lambda: optim.adam(optim.cosine_decay_schedule(0.1, 5)),
        lambda: optim.adamw(0.1, weight_decay=0.1),
        lambda: optim.rmsprop(0.1, momentum=0.5),
        lambda: optim.adagrad(0.1),
        lambda: optim.chain(optim.clip_by_global_norm(1.0), optim.adam(0.1)),
    ],
)
def test_jit_step_equals_eager(make):
    opt = make()
    params = {"w": np.array([0.3, -0.7, 1.2]), "b": np.array(0.5)}

    def loss(p):
        return fnp.sum((p["w"] - 1.0) ** 2) + fnp.sin(p["b"]) * fnp.sum(p["w"])

    def step(p, state):
        g = fluxion.grad(loss)(p)
        updates, state = opt.update(g, state, p)
        return optim.apply_updates(p, updates), state

    jstep = fluxion.jit(step)
    pe, se = params, opt.init(params)
    pj, sj = params, opt.init(params)
    for _ in range(4):
        pe, se = step(pe, se)
        pj, sj = jstep(pj, sj)
    for a, b in zip(fluxion.tree.leaves((pe, se)), fluxion.tree.leaves((pj, sj))):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert fluxion.tree.structure(se) == fluxion.tree.structure(sj)


def train_quadratic(lr, steps=20, make=optim.sgd):
    opt = make(lr)
    p = np.array([1.0, -1.0])
    state = opt.init(p)
    for _ in range(steps):
        updates, state = opt.update(fluxion.grad(quadratic)(p), state, p)
        p = optim.apply_updates(p, updates)
    return quadratic(p)


@pytest.mark.parametrize("make", [optim.sgd, optim.adam, optim.momentum])
def test_vmap_over_learning_rates(make):
    lrs = np.array([0.01, 0.05, 0.1, 0.2])
    batched = fluxion.vmap(lambda lr: train_quadratic(lr, make=make))(lrs)
    each = [train_quadratic(float(lr), make=make) for lr in lrs]
    np.testing.assert_allclose(batched, each, rtol=1e-12)


def test_hypergradient_of_scalar_learning_rate_through_adam():
    # d/dlr of the final loss through adam's sqrt and bias corrections
    f = lambda lr: train_quadratic(lr, steps=10, make=optim.adam)
    check_grads(f, (0.05,), order=1, modes=("rev",))
    check_grads(lambda lr: train_quadratic(lr, steps=10, make=optim.rmsprop), (0.01,), order=1)


# ---------------------------------------------------------------------------------------------
# errors


def test_mismatched_structures_give_clear_errors():
    opt = optim.adam(0.1)
    state = opt.init({"w": np.ones(2)})
    with pytest.raises(
        ValueError, match=r"scale_by_adam\.update: expected updates with the pytree"
    ):
        opt.update({"v": np.ones(2)}, state)
    with pytest.raises(ValueError, match=r"leaf 0 with shape \(2,\).*got shape \(3,\)"):
        opt.update({"w": np.ones(3)}, state)
    with pytest.raises(ValueError, match="apply_updates"):
        optim.apply_updates({"w": np.ones(2)}, [np.ones(2)])
    with pytest.raises(ValueError, match="expected params, got None"):
        o = optim.adamw(0.1)
        o.update(np.ones(2), o.init(np.ones(2)))
    with pytest.raises(ValueError, match="state tuple of 2 inner states"):
        opt.update({"w": np.ones(2)}, state[0])
    with pytest.raises(ValueError, match=r"trace\.update"):
        o = optim.momentum(0.1)
        o.update([np.ones(2)], o.init(np.ones(2)))


def test_invalid_hyperparameters():
    with pytest.raises(ValueError, match="nesterov=True needs a momentum"):
        optim.sgd(0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"b1 in \[0.0, 1.0\)"):
        optim.adam(0.1, b1=1.0)
    with pytest.raises(TypeError, match="learning_rate"):
        optim.adam(None)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_by_global_norm(0.0)
    with pytest.raises(TypeError, match="chain: expected GradientTransformation"):
        optim.chain(optim.sgd(0.1), 3)


# ---------------------------------------------------------------------------------------------
# fit


def test_fit_history_and_result():
    res = optim.fit(
        quadratic, np.zeros(2), optim.sgd(0.3), 50, progress=False, record_params_every=10
    )
    assert isinstance(res, optim.FitResult)
    assert res.steps_run == 50 and res.stopped_early is None and res.elapsed > 0
    assert res.history.loss.shape == (50,) and res.history.loss.dtype == np.float64
    assert res.history.loss[0] == 0.0  # the loss at the initial parameters
    assert np.all(np.diff(res.history.loss) <= 1e-15)
    assert list(res.history.params_steps) == [10, 20, 30, 40, 50]
    np.testing.assert_allclose(res.history.params[-1], res.params)
    # continue from the returned state; eager equals jitted
    res2 = optim.fit(
        quadratic, res.params, optim.sgd(0.3), 5, opt_state=res.opt_state, progress=False, jit=False
    )
    res3 = optim.fit(
        quadratic, res.params, optim.sgd(0.3), 5, opt_state=res.opt_state, progress=False
    )
    np.testing.assert_allclose(res2.params, res3.params, rtol=1e-14)
    np.testing.assert_allclose(res2.history.loss, res3.history.loss, rtol=1e-14)


def test_fit_with_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    w_true = np.array([1.0, -2.0, 0.5])
    y = X @ w_true

    def loss(w, batch):
        Xb, yb = batch
        return fnp.mean((Xb @ w - yb) ** 2)

    res = optim.fit(loss, np.zeros(3), optim.adam(0.05), 1000, data=(X, y), progress=False)
    np.testing.assert_allclose(res.params, w_true, atol=1e-5)

    batches = ((X[i : i + 16], y[i : i + 16]) for _ in range(3) for i in range(0, 64, 16))
    res = optim.fit(loss, np.zeros(3), optim.sgd(0.1), 100, data=batches, progress=False)
    assert res.steps_run == 12 and res.stopped_early == "data exhausted"
    assert res.history.loss.shape == (12,)


def test_fit_callback_and_progress():
    seen = []

    def callback(step, params, loss):
        seen.append((step, loss))
        return step == 6

    res = optim.fit(quadratic, np.zeros(2), optim.sgd(0.3), 100, progress=False, callback=callback)
    assert res.steps_run == 7 and res.stopped_early == "callback"
    assert [s for s, _ in seen] == list(range(7))
    assert seen[3][1] == res.history.loss[3]

    buf = io.StringIO()
    optim.fit(quadratic, np.zeros(2), optim.sgd(0.3), 40, progress=buf, log_every=10)
    text = buf.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n")
    assert "40/40" in text and "100%" in text and "loss" in text

    # progress=True writes nothing when stderr is not a terminal (as under pytest capture)
    class NotATerminal(io.StringIO):
        def isatty(self):
            return False

    old, sys.stderr = sys.stderr, NotATerminal()
    try:
        optim.fit(quadratic, np.zeros(2), optim.sgd(0.3), 5, progress=True)
        assert sys.stderr.getvalue() == ""
    finally:
        sys.stderr = old


def test_fit_stops_on_nan_with_clear_error():
    def loss(p):
        return fnp.sum(fnp.log(p))  # p hits 0 after one step of sgd(1.0) from 1

    with np.errstate(all="ignore"), pytest.raises(FloatingPointError) as info:
        optim.fit(loss, np.ones(2), optim.sgd(1.0), 50, progress=False)
    msg = str(info.value)
    assert "non-finite at step 1" in msg and "learning rate" in msg
    assert info.value.result.steps_run == 1
    np.testing.assert_allclose(info.value.result.params, [0.0, 0.0])

    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="a gradient"):
        optim.fit(lambda p: fnp.sum(fnp.sqrt(p)), np.zeros(2), optim.sgd(0.1), 5, progress=False)


def test_fit_argument_errors():
    with pytest.raises(TypeError, match="GradientTransformation"):
        optim.fit(quadratic, np.zeros(2), 0.1, 10)
    with pytest.raises(ValueError, match="steps >= 0"):
        optim.fit(quadratic, np.zeros(2), optim.sgd(0.1), -1)
    with pytest.raises(ValueError, match="log_every"):
        optim.fit(quadratic, np.zeros(2), optim.sgd(0.1), 10, log_every=0)


# ---------------------------------------------------------------------------------------------
# Must show: optimize optimization itself


def _regression_data(seed=0, n=30, dim=4):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=dim)
    X = rng.normal(size=(2 * n, dim))
    y = X @ w + 0.2 * rng.normal(size=2 * n)
    return X[:n], y[:n], X[n:], y[n:]


X_TR, Y_TR, X_VAL, Y_VAL = _regression_data()


def _validation_loss(lrs, use_scan):
    """100 steps of SGD with lrs[t] at step t, then the validation MSE."""

    def train_loss(w):
        return fnp.mean((X_TR @ w - Y_TR) ** 2)

    opt = optim.sgd(lambda count: lrs[count])
    w = fnp.zeros(X_TR.shape[1])
    state = opt.init(w)

    def step(carry, _):
        w, state = carry
        updates, state = opt.update(fluxion.grad(train_loss)(w), state, w)
        return (optim.apply_updates(w, updates), state), None

    if use_scan:
        (w, _), _ = fluxion.lax.scan(step, (w, state), length=lrs.shape[0])
    else:
        carry = (w, state)
        for _ in range(lrs.shape[0]):
            carry, _ = step(carry, None)
        w = carry[0]
    return fnp.mean((X_VAL @ w - Y_VAL) ** 2)


@pytest.mark.parametrize("use_scan", [False, True], ids=["python-loop", "scan"])
def test_hypergradient_of_learning_rate_schedule(use_scan):
    lrs = np.linspace(0.05, 0.01, 100)
    f = lambda lrs: _validation_loss(lrs, use_scan)
    g = fluxion.grad(f)(lrs)
    assert g.shape == (100,) and np.all(np.isfinite(g)) and np.linalg.norm(g) > 1e-4
    # explicit central differences along random directions, 1e-6 relative
    rng = np.random.default_rng(1)
    eps = 1e-6
    for _ in range(3):
        v = rng.normal(size=100)
        v /= np.linalg.norm(v)
        fd = (float(f(lrs + eps * v)) - float(f(lrs - eps * v))) / (2 * eps)
        assert float(g @ v) == pytest.approx(fd, rel=1e-6, abs=1e-12)
    # a few single coordinates (an early, a middle and the last rate)
    for i in (0, 50, 99):
        e = np.zeros(100)
        e[i] = eps
        fd = (float(f(lrs + e)) - float(f(lrs - e))) / (2 * eps)
        assert g[i] == pytest.approx(fd, rel=1e-6, abs=1e-12)
    # and fluxion's own numerical check (inner-product identity against central differences)
    check_grads(f, (lrs,), order=1, modes=("rev",), rtol=1e-6)


def test_hypergradient_loop_scan_and_jit_agree():
    lrs = np.linspace(0.05, 0.01, 100)
    g_loop = fluxion.grad(lambda l: _validation_loss(l, False))(lrs)
    g_scan = fluxion.grad(lambda l: _validation_loss(l, True))(lrs)
    g_jit = fluxion.jit(fluxion.grad(lambda l: _validation_loss(l, False)))(lrs)
    np.testing.assert_allclose(g_scan, g_loop, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g_jit, g_loop, rtol=1e-10, atol=1e-14)


def _load_example():
    path = Path(__file__).resolve().parents[1] / "examples" / "hypergradient.py"
    spec = importlib.util.spec_from_file_location("hypergradient_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hypergradient_example_main(capsys):
    example = _load_example()
    out = example.main(steps=30, n_train=20, n_val=20, dim=3, meta_steps=3)
    printed = capsys.readouterr().out
    assert "hypergradient" in printed and "finite difference" in printed
    assert out["grad"].shape == (30,)
    np.testing.assert_allclose(out["grad_scan"], out["grad"], rtol=1e-12, atol=1e-15)
    assert out["max_rel_error"] < 1e-6
    assert len(out["val_losses"]) == 4
