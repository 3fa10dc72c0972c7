"""Functional index updates (``x.at[idx]``, ``fnp.at(x)[idx]``) and item assignment into arrays
created by ``fluxion.numpy`` inside transforms (issue 13, item 6)."""

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion.test_util import check_grads

A0 = np.array([[4.0, 1.0, 0.5], [1.0, 5.0, 2.0], [0.3, 2.0, 6.0]])
B0 = np.array([1.0, -2.0, 3.0])


def gauss_seidel(a, b, sweeps=6):
    n = b.shape[0]
    x = fnp.zeros(n)
    for _ in range(sweeps):
        for i in range(n):
            acc = b[i]
            for j in range(n):
                if j != i:
                    acc = acc - a[i, j] * x[j]
            x[i] = acc / a[i, i]
    return x


def central_diff(f, args, argnum, eps=1e-6):
    x = np.array(args[argnum], dtype=float)
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[k] += eps
        lo[k] -= eps
        a_hi, a_lo = list(args), list(args)
        a_hi[argnum], a_lo[argnum] = hi, lo
        out[k] = (f(*a_hi) - f(*a_lo)) / (2 * eps)
    return out


def gs_loss(a, b):
    x = gauss_seidel(a, b)
    return fnp.sum(x * np.array([1.0, 2.0, -1.0]))


def test_gauss_seidel_value_matches_solve():
    # a fresh fnp.zeros array outside a transform is a plain ndarray (the eager fast path)
    assert type(fnp.zeros(3)) is np.ndarray
    x = gauss_seidel(A0, B0, sweeps=40)
    np.testing.assert_allclose(x, np.linalg.solve(A0, B0), rtol=1e-10)


@pytest.mark.parametrize("jit", [False, True])
def test_gauss_seidel_gradient_matches_finite_differences(jit):
    f = fluxion.jit(gs_loss) if jit else gs_loss
    ga, gb = fluxion.grad(f, argnums=(0, 1))(A0, B0)
    np.testing.assert_allclose(ga, central_diff(gs_loss, (A0, B0), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, central_diff(gs_loss, (A0, B0), 1), rtol=1e-6, atol=1e-8)
    assert np.any(ga != 0) and np.any(gb != 0)


def test_gauss_seidel_jit_of_grad_and_forward_mode():
    g = fluxion.jit(fluxion.grad(gs_loss, argnums=1))(A0, B0)
    np.testing.assert_allclose(g, central_diff(gs_loss, (A0, B0), 1), rtol=1e-6, atol=1e-8)
    check_grads(lambda a, b: gauss_seidel(a, b, sweeps=3), (A0, B0), order=2)


def test_assignment_forms_into_created_arrays():
    def f(x):
        y = fnp.zeros(4)
        y[x > 1.5] = x[x > 1.5] ** 2  # boolean mask
        y[0] += x[0]  # augmented assignment
        z = fnp.ones_like(x)
        z[1:3] = x[:2] * 3.0  # slice
        w = fnp.empty(2)
        w[:] = x[2:]
        v = fnp.full(4, 2.0)
        v[np.array([0, 3])] = x[1:3]
        u = fnp.array([1.0, 2.0, 3.0, 4.0])
        u[2] = x[3] ** 3
        return fnp.concatenate([y, z, w, v, u, fnp.zeros_like(x) + fnp.full_like(x, 0.5)])

    x = np.array([1.0, 2.0, 3.0, 0.5])
    expect = np.concatenate(
        [[1.0, 4.0, 9.0, 0.0], [1.0, 3.0, 6.0, 1.0], [3.0, 0.5], [2.0, 2.0, 2.0, 3.0]]
        + [[1.0, 2.0, 0.125, 4.0], np.full(4, 0.5)]
    )
    np.testing.assert_allclose(f(x), expect)
    np.testing.assert_allclose(fluxion.jit(f)(x), expect)
    check_grads(f, (x,), order=2)
    # integer arrays stay plain (they carry no derivative and may index NumPy arrays)
    assert fluxion.grad(lambda t: t * fnp.sum(np.ones(3)[fnp.zeros(2, dtype=int)]))(1.0) == 2.0


def test_assigning_traced_value_into_numpy_array_names_the_fix():
    def scalar(x):
        y = np.zeros(3)
        y[1] = x
        return fnp.sum(y)

    def vector(x):
        y = np.zeros((3, 2))
        y[1] = x
        return fnp.sum(y)

    for f, x in [(scalar, 1.0), (vector, np.ones(2))]:
        with pytest.raises((TypeError, ValueError)) as info:
            fluxion.grad(f)(x)
        err = info.value
        text = str(err) + str(err.__cause__)
        assert "fluxion.numpy.zeros" in text and "fnp.at(y)[i].set(v)" in text


def test_at_ops_on_plain_arrays_match_numpy():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    idx = np.array([0, 0, 3, 1, 0])
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    ref = x.copy()
    np.add.at(ref, idx, v)
    np.testing.assert_allclose(fnp.at(x)[idx].add(v), ref)
    np.testing.assert_allclose(x, [1.0, 2.0, 3.0, 4.0, 5.0])  # unchanged

    u = np.array([3, 1, 4])
    w = np.array([2.0, -1.0, 0.5])
    for name, op in [
        ("set", lambda a, b: b),
        ("multiply", np.multiply),
        ("divide", np.divide),
        ("power", np.power),
        ("min", np.minimum),
        ("max", np.maximum),
    ]:
        ref = x.copy()
        ref[u] = op(x[u], w)
        np.testing.assert_allclose(getattr(fnp.at(x)[u], name)(w), ref, err_msg=name)
    np.testing.assert_allclose(fnp.at(x)[1:3].get(), x[1:3])
    np.testing.assert_allclose(fnp.at(x)[1:4].add(1.0), x + [0, 1, 1, 1, 0])
    m = np.arange(12.0).reshape(3, 4)
    ref = m.copy()
    ref[m > 5] = -1.0
    np.testing.assert_allclose(fnp.at(m)[m > 5].set(-1.0), ref)


_UFUNC_AT = {"multiply": np.multiply, "divide": np.divide, "power": np.power,
             "min": np.minimum, "max": np.maximum}


@pytest.mark.parametrize("name", sorted(_UFUNC_AT))
def test_at_repeated_indices_match_numpy_ufunc_at(name):
    # an element selected k times is updated k times, like numpy.<ufunc>.at
    x = np.array([1.5, 2.0, 0.7, 1.2, 0.9])
    idx = np.array([0, 3, 0, 2, 0, 3])
    v = np.array([1.1, 0.6, 1.9, 0.8, 1.3, 0.5])
    ref = x.copy()
    _UFUNC_AT[name].at(ref, idx, v)
    np.testing.assert_allclose(getattr(fnp.at(x)[idx], name)(v), ref, rtol=1e-13)
    # 2-d with an index tuple and a broadcast value
    m = np.arange(1.0, 7.0).reshape(2, 3)
    rows, cols = np.array([1, 0, 1]), np.array([2, 1, 2])
    ref = m.copy()
    _UFUNC_AT[name].at(ref, (rows, cols), 1.5)
    np.testing.assert_allclose(getattr(fnp.at(m)[rows, cols], name)(1.5), ref, rtol=1e-13)

    # derivatives through repeated updates, w.r.t. x and v, both modes and second order
    def f(x, v):
        return getattr(fnp.at(x)[idx], name)(v)

    if name in ("min", "max"):  # distinct values: no ties between x and v
        v = v + 0.01 * np.arange(6)
    check_grads(f, (x, v), order=2, modes=("fwd", "rev"))


def test_at_traced_index_for_combining_updates_names_the_fix():
    def f(i, x):
        return fnp.sum(fnp.at(x)[i].multiply(2.0))

    with pytest.raises(NotImplementedError, match="concrete"):
        fluxion.jit(f)(np.array([0, 1]), np.ones(3))


@pytest.mark.parametrize("name", ["set", "add", "multiply", "divide", "power", "min", "max"])
def test_at_ops_on_tracers_gradients(name):
    idx = np.array([0, 0, 2]) if name in ("set", "add") else np.array([3, 0, 2])

    def f(x, v):  # fnp.at works on plain arrays too (finite differences call f eagerly)
        return getattr(fnp.at(x)[idx], name)(v)

    def f_tracer(x, v):  # the .at property of traced values
        return getattr(x.at[idx], name)(v)

    x = np.array([0.7, 1.3, 0.4, 2.1])
    v = np.array([1.1, 0.6, 1.9])
    ref = x.copy()
    if name == "add":
        np.add.at(ref, idx, v)
    else:
        op = {
            "set": lambda a, b: b,
            "multiply": np.multiply,
            "divide": np.divide,
            "power": np.power,
            "min": np.minimum,
            "max": np.maximum,
        }[name]
        ref[idx] = op(x[idx], v)
    np.testing.assert_allclose(f(x, v), ref)
    np.testing.assert_allclose(fluxion.jit(f_tracer)(x, v), ref)
    np.testing.assert_allclose(fluxion.jvp(f_tracer, (x, v), (x, v))[0], ref)
    gx, gv = fluxion.grad(lambda a, b: fnp.sum(f_tracer(a, b) ** 2), argnums=(0, 1))(x, v)
    fd = (lambda a, b: np.sum(f(a, b) ** 2), (x, v))
    np.testing.assert_allclose(gx, central_diff(*fd, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gv, central_diff(*fd, 1), rtol=1e-6, atol=1e-8)
    check_grads(f, (x, v), order=2)


def test_at_set_repeated_index_last_write_wins_and_get():
    def f(x, v):
        return fnp.sum(x.at[np.array([1, 1])].set(v) ** 2) + fnp.sum(x.at[2:].get())

    np.testing.assert_allclose(fnp.at(np.zeros(3))[np.array([1, 1])].set([5.0, 7.0]), [0, 7, 0])

    x = np.array([1.0, 2.0, 3.0])
    v = np.array([5.0, 7.0])
    gx, gv = fluxion.grad(f, argnums=(0, 1))(x, v)
    np.testing.assert_allclose(gx, [2.0, 0.0, 7.0])
    np.testing.assert_allclose(gv, [0.0, 14.0])


def test_vmap_of_at_set():
    def f(x, v):
        return fnp.at(fnp.at(x)[1].set(v * x[0]))[np.array([2, 2])].add(v)

    def f_tracer(x, v):
        return x.at[1].set(v * x[0]).at[np.array([2, 2])].add(v)

    xs = np.arange(12.0).reshape(4, 3)
    vs = np.array([1.0, -1.0, 2.0, 0.5])
    ref = np.stack([f(x, v) for x, v in zip(xs, vs)])
    np.testing.assert_allclose(ref[:, 2], xs[:, 2] + 2 * vs)
    np.testing.assert_allclose(fluxion.vmap(f_tracer)(xs, vs), ref)
    np.testing.assert_allclose(
        fluxion.vmap(f_tracer, in_axes=(0, None))(xs, 3.0), np.stack([f(x, 3.0) for x in xs])
    )
    check_grads(fluxion.vmap(f), (xs, vs), order=1)

    def g(x):  # a created array assigned to inside vmap
        y = fnp.zeros(2)
        y[0] = x[0] * x[1]
        return y

    np.testing.assert_allclose(fluxion.vmap(g)(xs), np.stack([xs[:, 0] * xs[:, 1], 0 * vs], 1))
