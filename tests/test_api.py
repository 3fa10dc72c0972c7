"""Transforms and their compositions: nesting, pytrees, custom rules, dtypes, updates."""

import numpy as np
import pytest
from fluid_seed import advect

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special  # noqa: F401


def test_no_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 (Siskind & Pearlmutter's example)
    def outer(x):
        return x * fluxion.grad(lambda y: x + y)(1.0)

    assert float(fluxion.grad(outer)(2.0)) == pytest.approx(1.0)
    # the inner derivative closes over the outer tracer: d/dx [d/dy (x y)] = d/dx x = 1
    assert float(fluxion.grad(lambda x: fluxion.grad(lambda y: x * y)(3.0))(2.0)) == 1.0


def test_grad_of_a_function_that_calls_grad():
    def f(x):
        return fnp.sin(x) * x

    def g(x):
        return fluxion.grad(f)(x) ** 2

    x = 0.7
    fp = np.cos(x) * x + np.sin(x)
    fpp = -np.sin(x) * x + 2 * np.cos(x)
    assert float(fluxion.grad(g)(x)) == pytest.approx(2 * fp * fpp)


def test_forward_over_reverse_and_reverse_over_forward():
    def f(x):
        return fnp.sum(fnp.exp(x) * fnp.sin(x))

    x = np.array([0.3, -0.5])
    v = np.array([1.0, 0.5])
    h = fluxion.hessian(f)(x)
    _, jg = fluxion.jvp(fluxion.grad(f), (x,), (v,))
    np.testing.assert_allclose(jg, h @ v, rtol=1e-12)
    rf = fluxion.grad(lambda x: fluxion.jvp(f, (x,), (v,))[1])(x)
    np.testing.assert_allclose(rf, h @ v, rtol=1e-12)


def test_third_order_mixed_modes():
    f = fnp.sin
    d3 = fluxion.grad(lambda x: fluxion.jvp(fluxion.grad(f), (x,), (1.0,))[1])
    assert float(d3(0.4)) == pytest.approx(-np.cos(0.4))


def test_value_and_grad_has_aux_and_argnums_tuple():
    def f(a, b, scale):
        loss = fnp.sum(a * b) * scale
        return loss, {"loss": loss, "note": "aux"}

    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    (value, aux), (ga, gb) = fluxion.value_and_grad(f, argnums=(0, 1), has_aux=True)(a, b, 2.0)
    assert value == pytest.approx(2.0)
    assert aux["note"] == "aux" and float(aux["loss"]) == pytest.approx(2.0)
    assert not isinstance(aux["loss"], fluxion._src.core.Tracer)
    np.testing.assert_allclose(ga, 2 * b)
    np.testing.assert_allclose(gb, 2 * a)
    g, aux2 = fluxion.grad(f, has_aux=True)(a, b, 2.0)
    np.testing.assert_allclose(g, 2 * b)


def test_non_differentiated_arguments_may_be_any_object():
    class Config:
        power = 3

    def f(x, cfg, label, table):
        assert label == "hello" and table["k"] == [1, 2]
        return fnp.sum(x**cfg.power)

    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(fluxion.grad(f)(x, Config(), "hello", {"k": [1, 2]}), 3 * x**2)


def test_float32_in_float32_out():
    x = np.array([0.5, 1.5], dtype=np.float32)
    g = fluxion.grad(lambda x: fnp.sum(fnp.sin(x) * 2.0 + x**2))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * np.cos(x) + 2 * x, rtol=1e-6)
    h = fluxion.hessian(lambda x: fnp.sum(fnp.exp(x)))(x)
    assert h.dtype == np.float32


def test_scalar_python_float_input():
    g = fluxion.grad(lambda x: x**3)(2.0)
    assert float(g) == pytest.approx(12.0)


def test_jacobians_shapes_and_pytrees():
    def f(x):
        return {"a": fnp.outer(x, x), "b": fnp.sum(x)}

    x = np.array([1.0, 2.0, 3.0])
    for jac in (fluxion.jacfwd, fluxion.jacrev):
        j = jac(f)(x)
        assert j["a"].shape == (3, 3, 3) and j["b"].shape == (3,)
        np.testing.assert_allclose(j["b"], np.ones(3))
        expected = np.einsum("ik,j->ijk", np.eye(3), x) + np.einsum("i,jk->ijk", x, np.eye(3))
        np.testing.assert_allclose(j["a"], expected)


def test_jacobian_with_respect_to_several_arguments():
    def f(x, y):
        return x * y[0] + y[1]

    x = np.array([1.0, 2.0])
    y = np.array([3.0, 4.0])
    jx, jy = fluxion.jacrev(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(jx, 3.0 * np.eye(2))
    np.testing.assert_allclose(jy, np.stack([x, np.ones(2)], axis=1))


def test_vjp_with_pytree_output_and_multiple_calls():
    def f(x, y):
        return (x * y, fnp.sum(x) * y)

    x, y = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    out, pullback = fluxion.vjp(f, x, y)
    np.testing.assert_allclose(out[0], x * y)
    gx, gy = pullback((np.ones(2), np.zeros(2)))
    np.testing.assert_allclose(gx, y)
    np.testing.assert_allclose(gy, x)
    gx2, gy2 = pullback((np.zeros(2), np.array([1.0, 0.0])))
    np.testing.assert_allclose(gx2, [3.0, 3.0])
    np.testing.assert_allclose(gy2, [3.0, 0.0])


def test_linearize():
    f = fnp.sin
    out, f_jvp = fluxion.linearize(f, 0.5)
    assert float(out) == pytest.approx(np.sin(0.5))
    assert float(f_jvp(2.0)) == pytest.approx(2 * np.cos(0.5))


def test_elementwise_grad():
    x = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(fluxion.elementwise_grad(fnp.tanh)(x), 1 - np.tanh(x) ** 2)


def test_stop_gradient():
    def f(x):
        return fnp.sum(x * fluxion.stop_gradient(x))

    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(fluxion.grad(f)(x), x)
    tree = {"a": x}
    assert fluxion.stop_gradient(tree)["a"] is x


def test_checkpoint_gives_the_same_derivatives():
    def block(x, w):
        return fnp.tanh(x * w) * w

    def f(x, w):
        return fnp.sum(fluxion.checkpoint(block)(x, w) ** 2)

    def g(x, w):
        return fnp.sum(block(x, w) ** 2)

    x, w = np.array([0.2, 0.5]), np.array([1.5, -0.3])
    for argnums in (0, 1):
        np.testing.assert_allclose(
            fluxion.grad(f, argnums)(x, w), fluxion.grad(g, argnums)(x, w), rtol=1e-12
        )
    np.testing.assert_allclose(fluxion.hessian(f)(x, w), fluxion.hessian(g)(x, w), rtol=1e-12)


def test_custom_jvp_in_both_modes():
    @fluxion.custom_jvp
    def log1pexp(x):
        return fnp.log1p(fnp.exp(x))

    @log1pexp.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * fluxion.scipy.special.expit(x)

    assert float(fluxion.grad(log1pexp)(100.0)) == pytest.approx(1.0)  # naive rule gives nan
    x = np.array([-1.0, 0.0, 2.0])
    expit = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(fluxion.elementwise_grad(log1pexp)(x), expit)
    np.testing.assert_allclose(fluxion.jvp(log1pexp, (x,), (np.ones(3),))[1], expit)
    np.testing.assert_allclose(
        fluxion.elementwise_grad(fluxion.elementwise_grad(log1pexp))(x), expit * (1 - expit)
    )


def test_custom_vjp():
    @fluxion.custom_vjp
    def clip_gradient(x):
        return x

    def fwd(x):
        return x, None

    def bwd(res, g):
        return (fnp.clip(g, -1.0, 1.0),)

    clip_gradient.defvjp(fwd, bwd)

    def f(x):
        return fnp.sum(clip_gradient(x) * 10.0)

    np.testing.assert_allclose(fluxion.grad(f)(np.array([1.0, 2.0])), [1.0, 1.0])
    # forward mode differentiates the primal function
    np.testing.assert_allclose(
        fluxion.jvp(clip_gradient, (np.ones(2),), (np.ones(2),))[1], np.ones(2)
    )


def test_custom_vjp_with_residuals():
    @fluxion.custom_vjp
    def f(x, y):
        return fnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (fnp.cos(x), fnp.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)

    f.defvjp(f_fwd, f_bwd)
    x, y = np.array([0.1, 0.4]), np.array([2.0, 3.0])
    gx, gy = fluxion.grad(lambda x, y: fnp.sum(f(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x) * y)
    np.testing.assert_allclose(gy, np.sin(x))


def test_item_assignment_is_a_functional_update():
    def f(x):
        y = fnp.zeros(3) + x[0]
        y[1] = x[1] ** 2
        y[2] = x[0] * x[1]
        return fnp.sum(y * np.array([1.0, 2.0, 3.0]))

    x = np.array([1.5, -2.0])
    # f = x0 + 2 x1^2 + 3 x0 x1
    np.testing.assert_allclose(fluxion.grad(f)(x), [1 + 3 * x[1], 4 * x[1] + 3 * x[0]])


def test_advanced_indexing_and_scatter_accumulate():
    idx = np.array([0, 2, 2, 1])

    def f(x):
        return fnp.sum(x[idx] ** 2) + fnp.sum(x[x > 0])

    x = np.array([1.0, -2.0, 3.0])
    # d/dx: 2 x_i * count_i + (x_i > 0)
    np.testing.assert_allclose(fluxion.grad(f)(x), [2 + 1, -4, 12 + 1])


def test_fluid_style_indexing_roll_and_floor():

    def loss(v):
        f = np.outer(np.arange(5.0), np.ones(5))
        out = advect(f + np.roll(v, 1, axis=0), v, 0.5 * v)
        return np.sum(out**2)

    rng = np.random.default_rng(3)
    v = 0.3 * rng.standard_normal((5, 5))
    g = fluxion.grad(loss)(v)
    d = rng.standard_normal((5, 5))
    eps = 1e-6
    numeric = (loss(v + eps * d) - loss(v - eps * d)) / (2 * eps)
    assert np.sum(g * d) == pytest.approx(numeric, rel=1e-6)


def test_max_ties_split_evenly():
    x = np.array([1.0, 3.0, 3.0, 2.0])
    np.testing.assert_allclose(fluxion.grad(fnp.max)(x), [0, 0.5, 0.5, 0])
    np.testing.assert_allclose(
        fluxion.grad(lambda x: fnp.sum(fnp.maximum(x, 2.0)))(x), [0, 1, 1, 0.5]
    )


def test_prod_and_cumprod_with_zeros():
    x = np.array([2.0, 0.0, 3.0])
    np.testing.assert_allclose(fluxion.grad(fnp.prod)(x), [0.0, 6.0, 0.0])
    np.testing.assert_allclose(
        fluxion.grad(lambda x: fnp.sum(fnp.cumprod(x)))(x), [1.0, 2 + 6, 0.0]
    )


def test_int_allowed_when_asked():
    g = fluxion.grad(lambda x: fnp.sum(x * 2.0), allow_int=True)(np.array([1, 2]))
    np.testing.assert_allclose(g, [2.0, 2.0])


def test_item_assignment_into_an_input():
    def f(x):
        x[0] = x[1] * 3.0  # overwrites the input's first entry
        return fnp.sum(x**2)

    # f = (3 x1)^2 + x1^2 + x2^2 -> df/dx0 = 0
    np.testing.assert_allclose(fluxion.grad(f)(np.array([5.0, 1.0, 2.0])), [0.0, 20.0, 4.0])
