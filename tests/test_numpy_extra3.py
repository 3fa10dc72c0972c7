"""fluxion.numpy's third batch (issue 13): what the op table cannot express — in-place mutation
of plain arrays, the error for a traced value written into a plain array, mutators inside
iterative solvers under grad and jit, NumPy dispatch, bit packing configurations and bad
input."""

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp

A0 = np.array([[4.0, 1.0, 0.5], [1.0, 5.0, 2.0], [0.3, 2.0, 6.0]])
B0 = np.array([1.0, -2.0, 3.0])


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


# --------------------------------------------------------------------------------------------
# Plain arrays: mutated in place exactly like NumPy
# --------------------------------------------------------------------------------------------

MUTATIONS = [
    ("put", lambda m, y: m.put(y, [0, 7, -1], [9.0, 8.0])),
    ("put-wrap", lambda m, y: m.put(y, [13, -14], [1.5, 2.5], mode="wrap")),
    ("put-clip", lambda m, y: m.put(y, [40, -3], [1.5, 2.5], mode="clip")),
    ("putmask", lambda m, y: m.putmask(y, y > 5, [-1.0, -2.0, -3.0])),
    ("place", lambda m, y: m.place(y, np.arange(12).reshape(3, 4) > 5, [-1.0, -2.0, -3.0])),
    ("fill_diagonal", lambda m, y: m.fill_diagonal(y, [7.0, 6.0])),
    ("fill_diagonal-wrap", lambda m, y: m.fill_diagonal(y, 5.0, wrap=True)),
    ("copyto", lambda m, y: m.copyto(y, np.arange(4.0) * 10)),
    ("copyto-where", lambda m, y: m.copyto(y, -1.0, where=y > 4)),
]


@pytest.mark.parametrize("name,mutate", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutators_modify_plain_arrays_in_place_like_numpy(name, mutate):
    got = np.arange(12.0).reshape(3, 4)
    want = got.copy()
    assert mutate(fnp, got) is None
    mutate(np, want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name,mutate", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutators_on_created_arrays_under_jit_match_numpy(name, mutate):
    def f(x):
        y = fnp.array(x)
        mutate(fnp, y)
        return y

    x = np.arange(12.0).reshape(3, 4)
    want = x.copy()
    mutate(np, want)
    np.testing.assert_array_equal(fluxion.jit(f)(x), want)
    np.testing.assert_array_equal(x, np.arange(12.0).reshape(3, 4))  # the argument is unchanged


def test_integer_targets_cast_like_numpy():
    got, want = np.zeros(4, int), np.zeros(4, int)
    fnp.put(got, [1, 2], [1.7, -2.2])
    np.put(want, [1, 2], [1.7, -2.2])
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name,call", [
    ("put", lambda y, v: fnp.put(y, [1], v)),
    ("putmask", lambda y, v: fnp.putmask(y, np.array([True, False, True]), v)),
    ("place", lambda y, v: fnp.place(y, np.array([True, False, True]), v)),
    ("fill_diagonal", lambda y, v: fnp.fill_diagonal(y.reshape(1, 3), v)),
    ("copyto", lambda y, v: fnp.copyto(y, v)),
    ("numpy.put", lambda y, v: np.put(y, [1], v)),
    ("numpy.copyto", lambda y, v: np.copyto(y, v)),
])
def test_traced_value_into_plain_array_names_the_fix(name, call):
    def f(x):
        y = np.zeros(3)  # a NumPy array: it cannot hold a traced value
        call(y, x * 2.0)
        return fnp.sum(y)

    with pytest.raises(TypeError) as info:
        fluxion.grad(f)(1.0)
    text = str(info.value)
    assert "fluxion.numpy.zeros" in text and "fnp.at(y)[i].set(v)" in text


def test_array_of_a_traced_value_is_a_copy():
    # fnp.array copies like numpy.array: mutating the copy must not change the argument
    def f(x):
        y = fnp.array(x)
        fnp.fill_diagonal(y, 0.0)
        return fnp.sum(x) + 10.0 * fnp.sum(y)

    x = np.arange(4.0).reshape(2, 2) + 1.0
    np.testing.assert_allclose(fluxion.grad(f)(x), [[1.0, 11.0], [11.0, 1.0]])


# --------------------------------------------------------------------------------------------
# Mutators inside an iterative solver: derivatives vs central differences, eager and jit
# --------------------------------------------------------------------------------------------


def jacobi_like(a, b, sweeps=25):
    """Gauss-Seidel sweeps written with put / fill_diagonal / copyto / putmask."""
    n = b.shape[0]
    off = fnp.zeros((n, n))
    fnp.copyto(off, a)
    fnp.fill_diagonal(off, 0.0)  # the off-diagonal part of a
    x = fnp.zeros(n)
    for _ in range(sweeps):
        for i in range(n):
            fnp.put(x, [i], (b[i] - fnp.sum(off[i] * x)) / a[i, i])
    fnp.putmask(x, np.array([False, False, False]), 0.0)  # a no-op mask keeps every entry
    return x


def solver_loss(a, b):
    return fnp.sum(jacobi_like(a, b) * np.array([1.0, 2.0, -1.0]))


def test_solver_value_on_plain_arrays_matches_solve():
    np.testing.assert_allclose(jacobi_like(A0, B0), np.linalg.solve(A0, B0), rtol=1e-10)


@pytest.mark.parametrize("jit", [False, True])
def test_solver_gradient_matches_central_differences(jit):
    f = fluxion.jit(solver_loss) if jit else solver_loss
    ga, gb = fluxion.grad(f, argnums=(0, 1))(A0, B0)
    np.testing.assert_allclose(ga, central_diff(solver_loss, (A0, B0), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, central_diff(solver_loss, (A0, B0), 1), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, np.linalg.solve(A0.T, [1.0, 2.0, -1.0]), rtol=1e-8)


def test_fill_diagonal_gradients_reach_values_and_untouched_entries():
    def f(a, d):
        y = fnp.array(a)
        fnp.fill_diagonal(y, d)
        return fnp.sum(y ** 2 * np.arange(1.0, 10.0).reshape(3, 3))

    a, d = A0.copy(), np.array([0.5, -1.0, 2.0])
    ga, gd = fluxion.grad(f, argnums=(0, 1))(a, d)
    w = np.arange(1.0, 10.0).reshape(3, 3)
    np.testing.assert_allclose(ga, 2 * a * w * (1 - np.eye(3)))  # the diagonal is overwritten
    np.testing.assert_allclose(gd, 2 * d * np.diag(w))


# --------------------------------------------------------------------------------------------
# NumPy dispatch and traced integers
# --------------------------------------------------------------------------------------------


def test_numpy_calls_on_traced_values_route_to_fluxion():
    def f(x):
        y = fnp.zeros(4)
        np.put(y, [0, 2], x)
        np.copyto(y, x[1] * 5.0, where=np.array([False, True, False, False]))
        k = np.floor(x * 4.0).astype(np.int64)
        bits = np.bitwise_and(np.left_shift(k, 1), 6)  # a traced integer through ufuncs
        return y * bits[0]

    x = np.array([0.6, 0.9])
    jac = fluxion.jacobian(f)(x)
    # k = floor(4 x) = [2, 3]; bits[0] = (2 << 1) & 6 = 4
    np.testing.assert_allclose(jac, [[4.0, 0.0], [0.0, 20.0], [0.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(fluxion.jit(f)(x), f(x))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("bitorder", ["big", "little"])
def test_packbits_unpackbits_under_jit_and_vmap(axis, bitorder):
    bits = np.random.default_rng(0).integers(0, 3, (3, 13))
    pack = fluxion.jit(lambda a: fnp.packbits(a, axis=axis, bitorder=bitorder))
    np.testing.assert_array_equal(pack(bits), np.packbits(bits, axis=axis, bitorder=bitorder))
    packed = np.packbits(bits, axis=axis, bitorder=bitorder)
    for count in (None, 0, 5, -4, 30):
        unpack = fluxion.jit(lambda a, c=count: fnp.unpackbits(a, axis, c, bitorder))
        want = np.unpackbits(packed, axis=axis, count=count, bitorder=bitorder)
        got = unpack(packed)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    rows = fluxion.vmap(lambda r: fnp.packbits(r, bitorder=bitorder))(bits)
    np.testing.assert_array_equal(rows, np.packbits(bits, axis=1, bitorder=bitorder))


def test_asarray_chkfinite_checks_concrete_traced_values():
    with pytest.raises(ValueError, match="infs or NaNs"), np.errstate(divide="ignore"):
        fluxion.grad(lambda x: fnp.sum(fnp.asarray_chkfinite(x / 0.0)))(np.array([1.0]))
    assert fluxion.grad(lambda x: fnp.sum(fnp.asarray_chkfinite(x) * 2))(np.ones(2)).tolist() == [
        2.0, 2.0]
    # under jit the values are unknown while tracing: the value passes through
    assert np.isnan(fluxion.jit(lambda x: fnp.asarray_chkfinite(x))(np.array([np.nan])))[0]


def test_einsum_path_returns_numpy_result_for_traced_operands():
    a, b, c = np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5))
    want = np.einsum_path("ij,jk,kl->il", a, b, c, optimize="optimal")

    def f(x):
        got = fnp.einsum_path("ij,jk,kl->il", x, b, c, optimize="optimal")
        assert got == want
        return fnp.sum(x)

    fluxion.jit(f)(a)
    fluxion.grad(f)(a)


def test_roots_degenerate_cases_match_numpy():
    for p in ([0.0, 0.0], [0.0, 3.0], [2.0, 0.0, 0.0], [0, 1, -3, 2, 0], [1, 0, 1], [1 + 1j, 2]):
        got, want = fnp.roots(p), np.roots(p)
        assert got.dtype == want.dtype and got.shape == want.shape, p
        np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(want), atol=1e-12)
    with pytest.raises(fluxion.ConcretizationError, match="roots"):
        fluxion.jit(fnp.roots)(np.array([1.0, -3.0, 2.0]))


# --------------------------------------------------------------------------------------------
# Bad input: clear errors naming the function
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call,error,match", [
    (lambda: fnp.bitwise_and(np.ones(2), 1), TypeError, "bitwise_and: expected integer"),
    (lambda: fnp.left_shift(np.array([1]), 1.5), TypeError, "left_shift: expected integer"),
    (lambda: fnp.packbits(np.ones(3)), TypeError, "packbits: expected an integer"),
    (lambda: fnp.packbits(np.ones(3, int), bitorder="middle"), ValueError, "bitorder"),
    (lambda: fnp.packbits(np.ones(3, int), axis=1), ValueError, "packbits: expected an integer"),
    (lambda: fnp.unpackbits(np.ones(3, int)), TypeError, "unpackbits: expected a uint8"),
    (lambda: fnp.broadcast_shapes((2, 3), (4,)), ValueError, "broadcast_shapes"),
    (lambda: fnp.asarray_chkfinite([1.0, np.inf]), ValueError, "infs or NaNs"),
    (lambda: fnp.mask_indices(-1, np.triu), ValueError, "mask_indices: expected an integer n"),
    (lambda: fnp.apply_over_axes(lambda a, k: a.ravel()[:1].reshape(()), np.ones((2, 2)), 0),
     ValueError, "apply_over_axes: func returned"),
    (lambda: fnp.apply_over_axes(np.sum, np.ones((2, 2)), 2), ValueError, "apply_over_axes"),
    (lambda: fnp.roots(np.ones((2, 2))), ValueError, "roots: expected a 1-D"),
    (lambda: fnp.put([1.0, 2.0], [0], 1.0), TypeError, "put: expected a numpy.ndarray"),
    (lambda: fnp.put(np.zeros(3), [0], 1.0, mode="bad"), ValueError, "put: expected mode"),
    (lambda: fnp.put(np.zeros(3), [0.5], 1.0), TypeError, "put: expected integer indices"),
    (lambda: fnp.putmask(np.zeros(3), np.ones(2, bool), 1.0), ValueError, "putmask: mask and"),
    (lambda: fnp.place(np.zeros(3), np.ones(4, bool), 1.0), ValueError, "place: mask and"),
    (lambda: fnp.fill_diagonal(np.zeros(3), 1.0), ValueError, "fill_diagonal: expected an"),
    (lambda: fnp.fill_diagonal(np.zeros((2, 3, 2)), 1.0), ValueError, "all dimensions equal"),
    (lambda: fnp.copyto(np.zeros(3), 1.0, casting="bad"), ValueError, "copyto: expected"),
])
def test_bad_input_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("call,error,match", [
    (lambda y, x: fnp.put(y, [5], x), IndexError, "put: index 5 is out of bounds"),
    (lambda y, x: fnp.place(y, np.ones(3, bool), x[:0]), ValueError, "place: cannot insert"),
    (lambda y, x: fnp.copyto(y, x * 1j), TypeError, "copyto: cannot cast"),
    (lambda y, x: fnp.copyto(y, fnp.ones(2) * x[0]), ValueError, "copyto: src of shape"),
    (lambda y, x: fnp.putmask(y, np.ones(2, bool), x), ValueError, "putmask: mask and"),
])
def test_bad_input_errors_on_traced_targets(call, error, match):
    def f(x):
        y = fnp.zeros(3)
        call(y, x)
        return fnp.sum(y)

    with pytest.raises(error, match=match):
        fluxion.grad(f)(np.ones(3))
