"""Regression tests for issue 13: complex derivatives, NaN-free std/var, and jit leniency."""

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion import grad, jit, jvp, vjp
from fluxion.test_util import check_grads, check_jvp, check_vjp

# ---------------------------------------------------------------------------------------------
# abs of a complex value (JAX's convention: grad of a real f of z is df/dx - i df/dy)
# ---------------------------------------------------------------------------------------------


def test_abs_complex_grad_matches_jax():
    # jax.grad(jnp.abs)(3+4j) == 0.6-0.8j
    g = grad(lambda z: fnp.abs(z))(np.complex128(3 + 4j))
    np.testing.assert_allclose(g, 0.6 - 0.8j, rtol=1e-12)


def test_abs_complex_jvp_is_real():
    z = np.complex128(3 + 4j)
    for t in (1.0 + 0j, 1j, 0.3 - 2j):
        out, dt = jvp(fnp.abs, (z,), (np.complex128(t),))
        assert np.isrealobj(dt)
        np.testing.assert_allclose(dt, np.real(np.conj(z) * t) / abs(z), rtol=1e-12)


def test_abs_complex_vjp_array():
    z = np.array([3 + 4j, -1 + 0.5j, 2.0 + 0j])
    _, f_vjp = vjp(fnp.abs, z)
    (ct,) = f_vjp(np.ones(3))
    np.testing.assert_allclose(ct, np.conj(z) / np.abs(z), rtol=1e-12)


def test_abs_real_unchanged_and_zero_kink():
    assert grad(fnp.abs)(-2.0) == -1.0
    assert grad(fnp.abs)(0.0) == 0.0
    g = grad(lambda z: fnp.abs(z))(np.complex128(0j))
    assert g == 0 and np.isfinite(g)


# ---------------------------------------------------------------------------------------------
# check_grads on complex functions
# ---------------------------------------------------------------------------------------------

_Z = np.array([0.3 + 0.7j, -1.1 + 0.4j, 0.8 - 0.5j])


@pytest.mark.parametrize(
    "f",
    [
        lambda z: fnp.abs(z),
        lambda z: fnp.exp(z),
        lambda z: fnp.sin(z),
        lambda z: z * fnp.conj(z),
        lambda z: fnp.real(z) * fnp.imag(z) + fnp.abs(z) ** 2,
    ],
    ids=["abs", "exp", "sin", "z_conj_z", "mixed"],
)
def test_check_grads_complex_elementwise(f):
    check_grads(f, (_Z,), order=2)


def test_check_grads_complex_matrix_loss():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    b = rng.standard_normal((2, 4)) + 1j * rng.standard_normal((2, 4))

    def loss(a, b):
        c = a @ b
        return fnp.sum(fnp.real(c * fnp.conj(c)))

    check_grads(loss, (a, b), order=2)


def test_check_jvp_vjp_complex_and_detects_wrong_rule():
    f = fnp.exp
    check_jvp(f, lambda p, t: jvp(f, p, t), (_Z,))
    check_vjp(f, lambda *a: vjp(f, *a), (_Z,))

    def wrong_vjp(z):
        out, pull = vjp(f, z)
        return out, lambda g: (fnp.conj(pull(g)[0]),)  # conjugated: the wrong convention

    with pytest.raises(AssertionError):
        check_vjp(f, wrong_vjp, (_Z,))


def test_check_grads_catches_old_abs_rule():
    # the pre-fix rule (sign(z) without the conjugate and a complex tangent) must be caught
    def bad_abs(z):
        return fnp.sqrt(fnp.real(z * z))  # not |z|: a different function, wrong derivative

    with pytest.raises(AssertionError):
        check_jvp(fnp.abs, lambda p, t: jvp(bad_abs, p, t), (_Z[:1] + 0.5,))


# ---------------------------------------------------------------------------------------------
# std / var with one element or a zero spread
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [fnp.std, fnp.var])
def test_std_var_single_element_grad_zero(fn):
    g = grad(lambda x: fn(x))(np.array([2.0]))
    np.testing.assert_array_equal(g, [0.0])
    g = grad(lambda x: fnp.sum(fn(x, axis=1)))(np.array([[2.0], [3.0]]))
    np.testing.assert_array_equal(g, [[0.0], [0.0]])


def test_std_constant_input_grad_zero():
    g = grad(lambda x: fnp.std(x))(np.array([2.0, 2.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    # away from zero the derivative is unchanged
    check_grads(lambda x: fnp.std(x, ddof=1), (np.array([1.0, 2.5, 4.0]),), order=2)


@pytest.mark.parametrize("fn", [fnp.std, fnp.var])
def test_std_var_ddof_equal_count_no_nan_derivative(fn):
    # N == ddof: NumPy's value is nan (0/0); the derivative is not NaN (0 where x has no spread)
    with np.errstate(all="ignore"):
        g = grad(lambda x: fn(x, ddof=1))(np.array([2.0]))
    assert not np.any(np.isnan(g))


# ---------------------------------------------------------------------------------------------
# jit regressions
# ---------------------------------------------------------------------------------------------


def test_jit_where_of_logical_and_with_python_float():
    f = jit(lambda v: fnp.where((v > 0) & (v < 1), v, 0.0))
    assert f(0.5) == 0.5
    assert f(1.5) == 0.0
    assert grad(f)(0.5) == 1.0


def test_jit_captured_numpy_array_traced_index():
    data = np.arange(5.0)
    f = jit(lambda i, x: data[i] * x)
    assert f(2, 3.0) == 6.0
    assert f(4, 3.0) == 12.0

    # eagerly, a traced integer array (derived from x) indexes a captured NumPy array
    def h(x):
        i = fnp.floor(x * np.array([0.5, 1.0])).astype(int)
        return fnp.sum(data[i] * x)

    assert grad(h)(2.5) == data[1] + data[2]


def test_jit_captured_numpy_array_traced_int_array_index():
    # the index array's value is guarded (a new value traces a new specialization); see
    # tests/test_numpy_jit_trust.py for the other cases
    data = np.arange(5.0)
    f = jit(lambda i, x: data[i] * x)
    np.testing.assert_array_equal(f(np.array([1, 2]), 3.0), [3.0, 6.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda x: fnp.logspace(0.0, x, 3),
        lambda x: fnp.geomspace(1.0, x, 3),
        lambda x: fnp.stack(fnp.meshgrid(fnp.stack([x, 2 * x]), fnp.stack([x, 3 * x]))),
        lambda x: fnp.full((2, 3), x),
    ],
    ids=["logspace", "geomspace", "meshgrid", "full"],
)
def test_constructors_on_traced_input(make):
    x = 2.0
    expect = {
        0: lambda: np.logspace(0.0, x, 3),
    }
    del expect
    eager = np.asarray(make(np.float64(x)))
    np.testing.assert_allclose(jit(make)(x), eager, rtol=1e-12)
    check_grads(make, (x,), order=1)


def test_empty_like_on_traced_input():
    out = jit(lambda x: fnp.empty_like(x) * 0 + x)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(out, [1.0, 2.0])
    assert grad(lambda x: fnp.sum(fnp.empty_like(x) * 0) + x)(1.0) == 1.0


@pytest.mark.parametrize(
    "red", [fnp.sum, fnp.max, fnp.mean, fnp.linalg.norm], ids=["sum", "max", "mean", "norm"]
)
def test_reductions_accept_list_of_tracers(red):
    def f(x):
        return red([x, 2.0 * x, (x, 3.0 * x)[1]])

    x = 1.5
    expect = float(red(np.array([x, 2 * x, 3 * x])))
    assert np.isclose(f(x), expect)
    assert np.isclose(jit(f)(x), expect)
    check_grads(f, (x,), order=1)


def test_numpy_int_cast_of_traced_value():
    assert grad(lambda x: np.int64(x) * x)(2.7) == 2.0
    assert grad(lambda x: int(x) * x)(2.7) == 2.0
    with pytest.raises(fluxion.ConcretizationError):
        jit(lambda x: np.zeros(np.int64(x)))(np.array([2.0, 3.0]))


@pytest.mark.parametrize(
    "f",
    [lambda x: x > 0, lambda x: fnp.floor(x).astype(int), lambda x: (x * 2).astype(np.int32)],
    ids=["bool", "int", "int32"],
)
def test_grad_of_integer_output_is_clear_type_error(f):
    with pytest.raises(TypeError, match="grad: f must return a float"):
        grad(f)(2.0)


@pytest.mark.parametrize("shape", [(1,), (1, 1)])
def test_grad_of_size_one_output(shape):
    g = grad(lambda x: fnp.sin(x) * np.ones(shape))(0.5)
    assert np.shape(g) == ()
    np.testing.assert_allclose(g, np.cos(0.5))
    g = grad(lambda x: fnp.reshape(x**2, shape))(np.array(3.0))
    np.testing.assert_allclose(g, 6.0)
    with pytest.raises(TypeError, match="scalar"):
        grad(lambda x: x * np.ones(2))(0.5)
