"""vmap: batching equals a Python loop, over pytrees, nested with the other transforms.

The op table (``tests/test_op_table.py``, the ``vmap_*`` columns) checks every primitive's batch
rule; these tests cover the transform itself: the issue's acceptance cases (per-example
gradients of the seed log-prob and of an MLP), in_axes/out_axes, pytrees, nesting, errors and
the loop fallback.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest
from fluid_seed import advect

import fluxion
import fluxion.numpy as fnp
from fluxion._src.batching import BatchingFallbackWarning, vmap
from fluxion._src.demo import line_log_prob, simulate_line_data
from fluxion.extend import defbatch, defvjp, primitive


def _loop(fun: Any, *args: Any, in_axes: tuple | None = None) -> Any:
    """Apply ``fun`` example by example (every argument mapped along ``in_axes``) and stack."""
    in_axes = in_axes or (0,) * len(args)
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = []
    for i in range(size):
        call = [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)]
        outs.append(fun(*call))
    return fluxion.tree.map(lambda *xs: np.stack(xs), *outs)


def _assert_tree_close(got: Any, expected: Any, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    g_leaves, g_tree = fluxion.tree.flatten(got)
    e_leaves, e_tree = fluxion.tree.flatten(expected)
    assert g_tree == e_tree
    for g, e in zip(g_leaves, e_leaves):
        assert np.shape(g) == np.shape(e)
        assert np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


@pytest.fixture(autouse=True)
def _no_fallback_warnings():
    """Every built-in primitive has a batch rule: the loop fallback must not run here."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        yield


# --------------------------------------------------------------------------------------------
# The Must-show: per-example gradients
# --------------------------------------------------------------------------------------------


def test_seed_log_prob_gradient_over_1000_parameter_vectors_equals_a_loop():
    x, y = simulate_line_data()
    rng = np.random.default_rng(0)
    thetas = np.array([-0.4, 0.03, np.log(0.1)]) + 0.3 * rng.standard_normal((1000, 3))
    grad_lp = fluxion.grad(line_log_prob)
    batched = vmap(grad_lp, in_axes=(0, None, None))(thetas, x, y)
    loop = np.stack([grad_lp(theta, x, y) for theta in thetas])
    assert batched.shape == (1000, 3)
    np.testing.assert_allclose(batched, loop, rtol=1e-12, atol=1e-12)
    # the values too, and with the parameters along axis 1
    values = vmap(line_log_prob, in_axes=(1, None, None))(thetas.T, x, y)
    np.testing.assert_allclose(values, [line_log_prob(t, x, y) for t in thetas], rtol=1e-13)


def _mlp_loss(params: dict, x: Any, y: Any) -> Any:
    h = fnp.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    logz = fluxion.scipy.special.logsumexp(logits)
    return logz - logits[y]


def test_per_example_gradients_of_an_mlp_loss_equal_a_loop():
    rng = np.random.default_rng(1)
    params = {
        "w1": rng.standard_normal((4, 8)) / 2,
        "b1": rng.standard_normal(8) / 10,
        "w2": rng.standard_normal((8, 3)) / 3,
        "b2": np.zeros(3),
    }
    xs = rng.standard_normal((16, 4))
    ys = rng.integers(0, 3, 16)  # integer labels, batched
    per_example = vmap(fluxion.grad(_mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    loop = [fluxion.grad(_mlp_loss)(params, x, y) for x, y in zip(xs, ys)]
    expected = fluxion.tree.map(lambda *g: np.stack(g), *loop)
    _assert_tree_close(per_example, expected)
    assert per_example["w1"].shape == (16, 4, 8)
    # their mean is the gradient of the mean loss
    mean_grad = fluxion.grad(lambda p: fnp.mean(vmap(_mlp_loss, in_axes=(None, 0, 0))(p, xs, ys)))
    _assert_tree_close(
        mean_grad(params), fluxion.tree.map(lambda g: g.mean(axis=0), per_example), rtol=1e-10
    )


# --------------------------------------------------------------------------------------------
# in_axes, out_axes, pytrees
# --------------------------------------------------------------------------------------------


def test_in_axes_int_none_negative_and_per_argument():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal(4)

    def f(x, y):
        return fnp.sin(x) * y

    np.testing.assert_allclose(vmap(f, in_axes=(0, None))(a, b), np.sin(a) * b)
    np.testing.assert_allclose(vmap(f, in_axes=(1, None))(a.T, b), np.sin(a) * b)
    np.testing.assert_allclose(vmap(f, in_axes=(-1, None))(a.T, b), np.sin(a) * b)
    np.testing.assert_allclose(vmap(f, in_axes=[0, 0])(a, a), np.sin(a) * a)
    np.testing.assert_allclose(vmap(f)(a, a), np.sin(a) * a)


def test_out_axes_positive_negative_and_none():
    x = np.arange(6.0).reshape(2, 3)

    def f(v):
        return {"outer": fnp.outer(v, v), "const": np.ones(2), "n": 3.0}

    out = vmap(f, out_axes={"outer": 1, "const": None, "n": 0})(x)
    expected = np.stack([np.outer(v, v) for v in x], axis=1)
    np.testing.assert_allclose(out["outer"], expected)
    np.testing.assert_array_equal(out["const"], np.ones(2))  # unmapped output kept as it is
    np.testing.assert_array_equal(out["n"], [3.0, 3.0])  # an unbatched output is broadcast
    out = vmap(lambda v: fnp.outer(v, v), out_axes=-1)(x)
    np.testing.assert_allclose(out, np.stack([np.outer(v, v) for v in x], axis=-1))


class Pair(NamedTuple):
    mean: Any
    scale: Any


def test_pytrees_in_and_out_with_prefix_in_axes():
    rng = np.random.default_rng(3)
    params = {"w": rng.standard_normal((5, 3)), "b": rng.standard_normal(3)}  # w mapped, b not
    data = (rng.standard_normal((3, 5, 2)), [np.float64(2.0)])

    def f(p, d):
        xs, (c,) = d
        z = p["w"] @ xs[:, 0] + p["b"]
        return Pair(mean=fnp.mean(z) * c, scale=(fnp.std(z), z))

    out = vmap(f, in_axes=({"w": 0, "b": None}, (1, [None])))(params, data)
    assert isinstance(out, Pair)
    for i in range(5):
        ref = f({"w": params["w"][i], "b": params["b"]}, (data[0][:, i], data[1]))
        np.testing.assert_allclose(out.mean[i], ref.mean)
        np.testing.assert_allclose(out.scale[0][i], ref.scale[0])
        np.testing.assert_allclose(out.scale[1][i], ref.scale[1])


def test_keyword_arguments_are_mapped_along_axis_0():
    x = np.arange(6.0).reshape(3, 2)
    out = vmap(lambda a, *, scale: a * scale, in_axes=None)(np.ones(2), scale=x)
    np.testing.assert_allclose(out, x)


def test_axis_size_with_no_mapped_argument_broadcasts():
    out = vmap(lambda a: fnp.sum(a), in_axes=None, axis_size=4)(np.arange(3.0))
    np.testing.assert_array_equal(out, [3.0, 3.0, 3.0, 3.0])
    out[0] = 1.0  # a real array, not a read-only broadcast view


def test_integer_and_boolean_values_are_batched():
    idx = np.array([[0, 2], [1, 1], [2, 0]])
    table = np.arange(12.0).reshape(3, 4)
    out = vmap(lambda t, i: (t[i], fnp.argmax(t), t > 5, i * 2))(table, idx)
    assert out[0].shape == (3, 2) and out[1].dtype == np.int64 and out[2].dtype == bool
    np.testing.assert_array_equal(out[0], [table[k][idx[k]] for k in range(3)])
    np.testing.assert_array_equal(out[3], idx * 2)


def test_unmapped_arrays_take_mapped_indices_and_any_numpy_function():
    grid = np.linspace(0.0, 1.0, 11)
    table = np.arange(11.0) ** 2

    def f(x, grid, table):
        k = np.searchsorted(grid, 0.35)  # NumPy function without a fluxion version: unmapped
        n = int(table.shape[0] * grid[1])  # unmapped values are concrete
        j = fnp.astype(x * 10, int)
        return x * table[k] + table[j] + n + (table > 50)[j]

    xs = np.array([0.1, 0.5, 0.9])
    got = vmap(f, in_axes=(0, None, None))(xs, grid, table)
    np.testing.assert_allclose(got, [f(x, grid, table) for x in xs])


def test_float32_stays_float32():
    x = np.linspace(0, 1, 6, dtype=np.float32).reshape(3, 2)
    out = vmap(lambda v: fnp.exp(v) * 2.0 + fnp.sum(v))(x)
    assert out.dtype == np.float32
    g = vmap(fluxion.grad(lambda v: fnp.sum(fnp.sin(v))))(x)
    assert g.dtype == np.float32


def test_item_assignment_on_a_batched_value():
    def f(x, v):
        y = x * 1.0
        y[1] = v
        y[fnp.argmax(x)] += 10.0
        return y

    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]])
    v = np.array([3.0, 4.0])
    _assert_tree_close(vmap(f)(x, v), _loop(f, x, v))


def test_fluid_advection_batched_fancy_indexing_needs_no_loop():

    def step(v):
        f = np.outer(np.arange(6.0), np.ones(6))
        out = advect(f + np.roll(v, 1, axis=0), v, 0.5 * v)
        return np.sum(out**2)

    rng = np.random.default_rng(4)
    vs = 0.7 * rng.standard_normal((4, 6, 6))
    fs = rng.standard_normal((4, 6, 6))
    # batched field and batched integer index arrays of the same batch
    _assert_tree_close(vmap(advect)(fs, vs, 0.5 * vs), _loop(advect, fs, vs, 0.5 * vs))
    _assert_tree_close(
        vmap(advect, in_axes=(None, 0, 0))(fs[0], vs, vs),
        _loop(advect, fs[0], vs, vs, in_axes=(None, 0, 0)),
    )
    # per-example gradients through the fancy indexing and the rolls
    _assert_tree_close(vmap(fluxion.grad(step))(vs), _loop(fluxion.grad(step), vs), rtol=1e-10)


@pytest.mark.parametrize(
    "index",
    [
        lambda i, j: (slice(None), i, j),  # adjacent advanced entries after a slice
        lambda i, j: (i, slice(None), j),  # split by a slice: advanced dimensions first
        lambda i, j: (Ellipsis, j),
        lambda i, j: (None, 1, slice(None), j),  # an int counts as an advanced entry
        lambda i, j: (i, j),
        lambda i, j: (1, j),
    ],
    ids=["adjacent-late", "split", "ellipsis", "newaxis-int", "front", "int-array"],
)
@pytest.mark.parametrize("mapped", [(0, 0, 0), (None, 0, 0), (0, None, 0), (1, 0, None)])
def test_gather_scatter_update_with_batched_index_arrays(index, mapped):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 3, 4, 5))
    i = rng.integers(0, 3, (3, 2))
    j = rng.integers(-5, 5, (3, 2))
    xm = np.moveaxis(x, 0, mapped[0]) if mapped[0] is not None else x[0]
    im = i if mapped[1] is not None else i[0]
    jm = j if mapped[2] is not None else j[0]

    def gather(x, i, j):
        return x[index(i, j)]

    def update(x, i, j):
        y = x * 1.0
        y[index(i, j)] = 2.0 * y[index(i, j)] + 1.0
        return y

    def loss(x, i, j):
        g = gather(x, i, j)
        return fnp.sum(fnp.sin(g) * g)

    for f in (gather, update, fluxion.grad(loss)):
        got = vmap(f, in_axes=mapped)(xm, im, jm)
        _assert_tree_close(got, _loop(f, xm, im, jm, in_axes=mapped))
    # reverse mode through the batched gather (a scatter-add of the batched index)
    total = fluxion.grad(lambda x: fnp.sum(vmap(loss, in_axes=mapped)(x, im, jm)))(xm)
    per_example = _loop(fluxion.grad(loss), xm, im, jm, in_axes=mapped)
    if mapped[0] is None:
        per_example = per_example.sum(axis=0)
    else:
        per_example = np.moveaxis(per_example, 0, mapped[0])
    np.testing.assert_allclose(total, per_example, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Nesting with the other transforms
# --------------------------------------------------------------------------------------------


def _f(x: Any) -> Any:
    return fnp.sum(fnp.sin(x) * fnp.cumsum(x) ** 2) + fnp.prod(x[:2])


def test_vmap_of_grad():
    xs = np.random.default_rng(6).standard_normal((5, 3))
    _assert_tree_close(vmap(fluxion.grad(_f))(xs), _loop(fluxion.grad(_f), xs), rtol=1e-12)


def test_grad_of_vmap_sums_the_examples():
    xs = np.random.default_rng(7).standard_normal((5, 3))
    g = fluxion.grad(lambda a: fnp.sum(vmap(_f)(a)))(xs)
    _assert_tree_close(g, _loop(fluxion.grad(_f), xs))
    # an unmapped argument's gradient sums over the examples
    w = np.array([0.5, -1.0, 2.0])
    gw = fluxion.grad(lambda w: fnp.sum(vmap(lambda x, w: _f(x * w), in_axes=(0, None))(xs, w)))(w)
    expected = sum(fluxion.grad(lambda w, x=x: _f(x * w))(w) for x in xs)
    np.testing.assert_allclose(gw, expected, rtol=1e-12)


def test_jvp_of_vmap():
    rng = np.random.default_rng(8)
    xs, ts = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    out, out_t = fluxion.jvp(vmap(_f), (xs,), (ts,))
    np.testing.assert_allclose(out, [_f(x) for x in xs])
    expected = [fluxion.jvp(_f, (x,), (t,))[1] for x, t in zip(xs, ts)]
    np.testing.assert_allclose(out_t, expected, rtol=1e-12)


def test_vmap_of_jvp_and_of_hvp():
    rng = np.random.default_rng(9)
    xs, ts = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    out_t = vmap(lambda x, t: fluxion.jvp(_f, (x,), (t,))[1])(xs, ts)
    np.testing.assert_allclose(out_t, [fluxion.jvp(_f, (x,), (t,))[1] for x, t in zip(xs, ts)])
    hv = vmap(fluxion.hvp(_f))(xs, ts)
    _assert_tree_close(hv, _loop(fluxion.hvp(_f), xs, ts), rtol=1e-10)


def test_vmap_of_vmap():
    x = np.random.default_rng(10).standard_normal((2, 4, 3))
    out = vmap(vmap(_f))(x)
    np.testing.assert_allclose(out, [[_f(v) for v in row] for row in x], rtol=1e-12)
    # the inner map over axis 1 of each example, the outer over axis 2 of the stack
    out = vmap(vmap(_f, in_axes=1), in_axes=2)(np.moveaxis(x, 0, 2).transpose(1, 0, 2))
    np.testing.assert_allclose(out, [[_f(v) for v in row] for row in x], rtol=1e-12)
    outer = vmap(vmap(lambda a, b: a * b, in_axes=(None, 0)), in_axes=(0, None))
    np.testing.assert_allclose(
        outer(np.arange(3.0), np.arange(4.0)), np.outer(np.arange(3.0), np.arange(4.0))
    )


def test_vmap_of_jacrev_jacfwd_and_hessian():
    xs = np.random.default_rng(11).standard_normal((4, 3))

    def g(x):
        return fnp.tanh(x) * fnp.sum(x**2)

    for transform in (fluxion.jacrev, fluxion.jacfwd):
        _assert_tree_close(vmap(transform(g))(xs), _loop(transform(g), xs), rtol=1e-12)
    _assert_tree_close(vmap(fluxion.hessian(_f))(xs), _loop(fluxion.hessian(_f), xs), rtol=1e-10)


def test_jacrev_of_vmap_is_block_diagonal():
    xs = np.random.default_rng(12).standard_normal((3, 2))
    jac = fluxion.jacrev(vmap(lambda x: fnp.sin(x) * x[0]))(xs)
    assert jac.shape == (3, 2, 3, 2)
    for a in range(3):
        for b in range(3):
            block = jac[a, :, b, :]
            expected = fluxion.jacrev(lambda x: fnp.sin(x) * x[0])(xs[a]) if a == b else 0 * block
            np.testing.assert_allclose(block, expected, atol=1e-15)


# --------------------------------------------------------------------------------------------
# Call primitives: checkpoint, custom_jvp, custom_vjp
# --------------------------------------------------------------------------------------------


@fluxion.custom_jvp
def _softplus(x):
    return fnp.logaddexp(x, 0.0)


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _softplus(x), t * fluxion.scipy.special.expit(x)


@fluxion.custom_vjp
def _clip_gradient(x, lo):
    return x * 1.0


def _clip_fwd(x, lo):
    return x * 1.0, lo


def _clip_bwd(lo, g):
    return fnp.maximum(g, lo), None


_clip_gradient.defvjp(_clip_fwd, _clip_bwd)


@pytest.mark.parametrize("name", ["checkpoint", "custom_jvp", "custom_vjp"])
def test_call_primitives_batch_without_the_loop(name):
    rng = np.random.default_rng(13)
    xs = rng.standard_normal((4, 3))
    los = -np.abs(rng.standard_normal(4))
    if name == "checkpoint":
        inner = fluxion.checkpoint(lambda x, lo: fnp.sin(x) * fnp.exp(lo))
    elif name == "custom_jvp":
        inner = lambda x, lo: _softplus(x) * lo  # noqa: E731
    else:
        inner = lambda x, lo: _clip_gradient(x * 3.0, lo)  # noqa: E731

    def loss(x, lo):
        return fnp.sum(inner(x, lo) ** 2)

    _assert_tree_close(vmap(inner)(xs, los), _loop(inner, xs, los))
    _assert_tree_close(
        vmap(inner, in_axes=(0, None))(xs, los[0]), _loop(inner, xs, los[0], in_axes=(0, None))
    )
    per_example = _loop(fluxion.grad(loss), xs, los)
    _assert_tree_close(vmap(fluxion.grad(loss))(xs, los), per_example, rtol=1e-12)
    # reverse mode through the batched call primitive (the rule runs under the outer grad)
    total = fluxion.grad(lambda x: fnp.sum(vmap(loss)(x, los)))(xs)
    _assert_tree_close(total, per_example, rtol=1e-12)
    # the gradient of an unmapped argument sums over the examples
    g_lo = fluxion.grad(lambda lo: fnp.sum(vmap(loss, in_axes=(0, None))(xs, lo)))(los[0])
    expected = sum(fluxion.grad(loss, argnums=1)(x, los[0]) for x in xs)
    np.testing.assert_allclose(g_lo, expected, rtol=1e-12)
    # forward mode (custom_vjp differentiates its function itself there)
    tangent = fluxion.jvp(lambda x: vmap(loss)(x, los), (xs,), (np.ones_like(xs),))[1]
    expected = [fluxion.jvp(loss, (x, lo), (np.ones(3), 0.0))[1] for x, lo in zip(xs, los)]
    np.testing.assert_allclose(tangent, expected, rtol=1e-12)


def test_grad_of_vmap_uses_the_custom_vjp_rule():
    xs = np.array([[1.0, -2.0], [0.5, 3.0]])
    # the bwd rule raises the cotangent to at least lo (2 and 3 here); the true derivative is -1
    g = fluxion.grad(lambda x: fnp.sum(vmap(_clip_gradient)(-x, np.array([2.0, 3.0]))))(xs)
    np.testing.assert_allclose(g, [[-2.0, -2.0], [-3.0, -3.0]])


# --------------------------------------------------------------------------------------------
# User primitives and the loop fallback
# --------------------------------------------------------------------------------------------


def test_loop_fallback_warns_once_for_a_user_primitive():
    @primitive
    def cube_sum(x):
        return np.sum(x**3, axis=-1)

    defvjp(cube_sum, lambda ans, x: lambda g: g[..., None] * 3.0 * x**2)
    xs = np.arange(6.0).reshape(3, 2)
    with pytest.warns(BatchingFallbackWarning, match="'cube_sum' has no batch rule") as record:
        out = vmap(cube_sum)(xs)
        out2 = vmap(cube_sum)(xs * 2)
    assert len([w for w in record if issubclass(w.category, BatchingFallbackWarning)]) == 1
    np.testing.assert_allclose(out, np.sum(xs**3, axis=-1))
    np.testing.assert_allclose(out2, np.sum((2 * xs) ** 3, axis=-1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning
        g = vmap(fluxion.grad(cube_sum))(xs)
        total = fluxion.grad(lambda x: fnp.sum(vmap(cube_sum)(x)))(xs)
    np.testing.assert_allclose(g, 3 * xs**2)
    np.testing.assert_allclose(total, 3 * xs**2)


def test_elementwise_user_primitive_and_defbatch_need_no_loop():
    @primitive(elementwise=True)
    def softsign(x):
        return x / (1 + np.abs(x))

    defvjp(softsign, lambda ans, x: lambda g: g / (1 + fnp.abs(x)) ** 2)

    @primitive
    def rowsum(x):
        return np.sum(x, axis=-1)

    defbatch(
        rowsum, lambda args, dims, *, axis_size: (rowsum(fnp.moveaxis(args[0], dims[0], 0)), 0)
    )
    xs = np.linspace(-2, 2, 12).reshape(3, 4)
    np.testing.assert_allclose(vmap(softsign, in_axes=1)(xs), (xs / (1 + np.abs(xs))).T)
    np.testing.assert_allclose(
        vmap(fluxion.grad(lambda x: fnp.sum(softsign(x))))(xs), 1 / (1 + np.abs(xs)) ** 2
    )
    np.testing.assert_allclose(vmap(rowsum, in_axes=1)(xs), xs.sum(axis=0))


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_inconsistent_sizes_name_every_argument():
    with pytest.raises(ValueError) as err:
        vmap(lambda a, b: a + b)(np.ones(3), np.ones(4))
    assert str(err.value) == (
        "vmap: got inconsistent sizes for the mapped axes: argument 0 has size 3 along axis 0, "
        "argument 1 has size 4 along axis 0"
    )
    with pytest.raises(ValueError, match="axis_size is 5"):
        vmap(lambda a: a, axis_size=5)(np.ones(3))


def test_axis_out_of_range_and_no_mapped_argument():
    with pytest.raises(
        ValueError, match=r"in_axes 2 is out of range for argument 0 of shape \(3, 4\)"
    ):
        vmap(lambda a: a, in_axes=2)(np.ones((3, 4)))
    with pytest.raises(ValueError, match="rank 0"):
        vmap(lambda a: a)(1.0)
    with pytest.raises(ValueError, match="no argument is mapped.*axis_size"):
        vmap(lambda a: a, in_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="out_axes 3 is out of range for the output"):
        vmap(lambda a: a, out_axes=3)(np.ones((3, 4)))


def test_bad_in_axes_and_out_axes():
    with pytest.raises(ValueError, match="in_axes is a tuple of length 1.*2 positional"):
        vmap(lambda a, b: a, in_axes=(0,))(np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="ints or None"):
        vmap(lambda a: a, in_axes=(0.5,))
    with pytest.raises(TypeError, match="in_axes must be an int, None, or a tuple"):
        vmap(lambda a: a, in_axes={"a": 0})
    with pytest.raises(ValueError, match="tree prefix"):
        vmap(lambda a: a, in_axes=((0, 0),))(np.ones(3))
    with pytest.raises(ValueError, match="out_axes is None for the output, but it depends"):
        vmap(lambda a: a * 2, out_axes=None)(np.ones(3))
    with pytest.raises(TypeError, match="did you mean 'in_axes'"):
        vmap(lambda a: a, in_axis=0)
    with pytest.raises(TypeError, match="expected a callable"):
        vmap(3)


def test_python_control_flow_on_a_batched_value_raises():
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(
        fluxion.ConcretizationError, match=r"bool\(\).*of a batched bool\[\] inside vmap.*where"
    ):
        vmap(f)(np.array([1.0, -1.0]))
    with pytest.raises(TypeError, match="plain NumPy array cannot hold a mapped value.*take"):
        vmap(lambda i: np.arange(5.0)[i])(np.array([1, 2]))
    # fnp.where is the batched way
    np.testing.assert_allclose(
        vmap(lambda x: fnp.where(x > 0, x, -x))(np.array([1.0, -1.0])), [1, 1]
    )


def test_leaked_batch_tracer():
    leaked = []
    vmap(lambda x: leaked.append(x) or x)(np.ones(2))
    with pytest.raises(fluxion.UnexpectedTracerError, match="leaked tracer"):
        np.asarray(leaked[0])


def test_item_assignment_across_nested_transforms():
    xs = np.arange(6.0).reshape(3, 2)

    def total(w, pass_w):
        def per(x, w_in):
            y = (w_in if pass_w else w) * 1.0
            y[0] = fnp.sum(x)  # each example writes its own value into y
            return fnp.sum(y * y)

        return fnp.sum(vmap(per, in_axes=(0, None))(xs, w))

    # w passed in unmapped: y belongs to the vmap, and d/dw sum_i (s_i^2 + w_1^2) = [0, 6 w_1]
    np.testing.assert_allclose(fluxion.grad(lambda w: total(w, True))(np.ones(2)), [0.0, 6.0])
    # w closed over: y is grad's value and cannot hold a per-example value; a clear error
    with pytest.raises(TypeError, match="outer grad but the new value depends on the inner vmap"):
        fluxion.grad(lambda w: total(w, False))(np.ones(2))
