"""lax.scan / fori_loop as one scan equation under jit: rules, lowerings, the compiled chain."""

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion import lax
from fluxion.test_util import check_grads

RNG = np.random.default_rng(7)
Y = np.cumsum(RNG.standard_normal(40)) * 0.1
P = np.array([0.1, 0.5, 0.2, np.log(0.5)])


def arma11(p, y):
    """ARMA(1,1) Gaussian log-likelihood by the innovations recursion (a scan)."""
    mu, phi, theta, log_sigma = p[0], p[1], p[2], p[3]
    sigma = fnp.exp(log_sigma)

    def step(carry, y_t):
        ll, prev_y, prev_e = carry
        e = y_t - mu - phi * (prev_y - mu) - theta * prev_e
        return (ll - 0.5 * (e / sigma) ** 2 - log_sigma, y_t, e), e

    (ll, _, _), es = lax.scan(step, (0.0, y[0], 0.0), y[1:])
    return ll + 0.01 * fnp.sum(es**2)


def arma11_loop(p, y):
    mu, phi, theta, log_sigma = p[0], p[1], p[2], p[3]
    sigma = fnp.exp(log_sigma)
    ll, prev_e, es = 0.0, 0.0, 0.0
    for t in range(1, y.shape[0]):
        e = y[t] - mu - phi * (y[t - 1] - mu) - theta * prev_e
        ll = ll - 0.5 * (e / sigma) ** 2 - log_sigma
        es = es + e**2
        prev_e = e
    return ll + 0.01 * es


def _scan_eqns(graph):
    return [e for e in graph.eqns if e.prim.name == "scan"]


def test_jit_keeps_one_scan_equation_and_matches_the_unrolled_loop():
    graph = fluxion.make_graph(arma11)(P, Y)
    assert len(_scan_eqns(graph)) == 1
    assert len(graph.eqns) < 20  # not 40 unrolled steps
    want = arma11_loop(P, Y)
    np.testing.assert_allclose(fluxion.jit(arma11)(P, Y), want, rtol=1e-12)
    g_want = fluxion.grad(arma11_loop)(P, Y)
    np.testing.assert_allclose(fluxion.jit(fluxion.grad(arma11))(P, Y), g_want, rtol=1e-10)
    grad_graph = fluxion.make_graph(fluxion.grad(arma11))(P, Y)
    assert len(_scan_eqns(grad_graph)) == 2  # the forward scan and the reverse scan
    h_want = fluxion.hessian(arma11_loop)(P, Y)
    np.testing.assert_allclose(fluxion.jit(fluxion.hessian(arma11))(P, Y), h_want, rtol=1e-8)


def test_scan_rules_against_finite_differences_to_second_order():
    check_grads(fluxion.jit(lambda p: arma11(p, Y)), (P,), order=2)
    check_grads(lambda p: fluxion.jit(arma11)(p, Y), (P,), order=2)


@pytest.mark.parametrize("reverse", [False, True])
def test_reverse_and_pytree_carries_and_stacked_pytree_outputs(reverse):
    xs = {"a": RNG.standard_normal((6, 2)), "b": RNG.standard_normal(6)}

    def f(w, xs):
        def step(carry, x):
            s, v = carry["s"], carry["v"]
            v = fnp.tanh(w * v + x["a"]) * x["b"]
            return {"s": s + fnp.sum(v), "v": v}, (v * 2.0, s)

        carry, (vs, ss) = lax.scan(step, {"s": 0.0, "v": fnp.ones(2)}, xs, reverse=reverse)
        return carry["s"] + fnp.sum(vs**2) + fnp.sum(fnp.sin(ss))

    w = np.array([0.3, -0.7])
    assert len(_scan_eqns(fluxion.make_graph(f)(w, xs))) == 1
    np.testing.assert_allclose(fluxion.jit(f)(w, xs), f(w, xs), rtol=1e-12)
    np.testing.assert_allclose(
        fluxion.jit(fluxion.grad(f))(w, xs), fluxion.grad(f)(w, xs), rtol=1e-10
    )
    check_grads(fluxion.jit(lambda w: f(w, xs)), (w,), order=2)
    # the xs are differentiated too (their cotangent is the reverse scan's stacked output)
    check_grads(fluxion.jit(lambda a: f(w, {"a": a, "b": xs["b"]})), (xs["a"],), order=1)


def test_length_without_xs_and_fori_loop_with_an_integer_counter():
    def f(x):
        carry, ys = lax.scan(lambda c, _: (c * 0.9 + 1.0, c), x, length=5)
        return carry + fnp.sum(ys)

    def g(x):
        return lax.fori_loop(0, 7, lambda i, v: v * fnp.cos(v + i), x)

    x = np.array([0.2, 0.4])
    for fun in (f, g):
        assert len(_scan_eqns(fluxion.make_graph(fun)(x))) == 1
        np.testing.assert_allclose(fluxion.jit(fun)(x), fun(x), rtol=1e-12)
        check_grads(fluxion.jit(lambda x, fun=fun: fnp.sum(fun(x))), (x,), order=2)
    assert np.asarray(fluxion.jit(f)(x)).shape == (2,)


def test_scan_inside_vmap_and_inside_grad_inside_jit():
    ps = P + 0.05 * RNG.standard_normal((3, 4))
    want = np.array([arma11_loop(p, Y) for p in ps])
    np.testing.assert_allclose(fluxion.jit(fluxion.vmap(lambda p: arma11(p, Y)))(ps), want)
    np.testing.assert_allclose(fluxion.vmap(lambda p: fluxion.jit(arma11)(p, Y))(ps), want)
    g_want = np.array([fluxion.grad(arma11_loop)(p, Y) for p in ps])
    batched_grad = fluxion.jit(fluxion.vmap(fluxion.grad(lambda p: arma11(p, Y))))
    np.testing.assert_allclose(batched_grad(ps), g_want, rtol=1e-10)
    # a mapped xs (each example its own series) and a mapped carry
    ys = Y + 0.1 * RNG.standard_normal((3, Y.shape[0]))
    got = fluxion.jit(fluxion.vmap(arma11, in_axes=(None, 0)))(P, ys)
    np.testing.assert_allclose(got, [arma11_loop(P, y) for y in ys], rtol=1e-12)


def test_scan_in_scan_differentiates():
    def f(w):
        def outer(c, x):
            inner, _ = lax.scan(lambda d, z: (d * w + z, None), c, fnp.ones(3) * x)
            return inner, inner

        c, cs = lax.scan(outer, 1.0, fnp.arange(4.0) * 0.1)
        return c + fnp.sum(cs)

    w = np.array(0.8)
    np.testing.assert_allclose(fluxion.jit(f)(w), f(w), rtol=1e-12)
    check_grads(fluxion.jit(f), (w,), order=2)


def test_tier0_source_holds_a_python_loop_and_length_zero_keeps_init():
    f = fluxion.jit(lambda x: lax.scan(lambda c, v: (c + v, c * v), 0.0, x), tier=0)
    assert "for _i in range(3):" in f.lower(np.ones(3)).source
    carry, ys = f(np.arange(3.0))
    assert carry == 3.0 and ys.tolist() == [0.0, 0.0, 2.0]
    carry, ys = f(np.ones(0))
    assert carry == 0.0 and carry.dtype == np.float64 and ys.shape == (0,)


def test_a_carry_whose_dtype_changes_is_an_error_naming_the_fix():
    with pytest.raises(TypeError, match="0.0 instead of 0"):
        fluxion.jit(lambda x: lax.scan(lambda c, v: (c + v, None), 0, x)[0])(np.ones(3))


# --------------------------------------------------------------------------------------------
# Tier 1: the loop in the numba kernel
# --------------------------------------------------------------------------------------------

numba = pytest.importorskip("numba")


def test_tier1_runs_the_loop_in_the_kernel_value_and_grad():
    f = fluxion.jit(fluxion.value_and_grad(arma11), tier=1)
    value, grad = f(P, Y)
    assert f.tier == 1, f.tier_info()
    want_value, want_grad = fluxion.value_and_grad(arma11_loop)(P, Y)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10)
    source = next(iter(f._cache.values())).specs[-1].numba_code.source
    assert "for _it in range(1, 39):" in source  # a loop, not 39 unrolled steps


def nested_reverse_loops(w, xs):
    """A reverse scan with an array carry and stacked array outputs, a scan in its body."""

    def step(v, x):
        inner, _ = lax.scan(lambda d, z: (d * 0.5 + z, None), v, fnp.ones(3))
        v = fnp.tanh(w * inner + x)
        return v, fnp.outer(v, x)

    v, vs = lax.scan(step, fnp.ones(2), xs, reverse=True)
    return fnp.sum(v) + fnp.sum(vs**2)


def test_tier1_array_carries_stacked_array_outputs_reverse_and_nested_loops():
    w = np.array([0.3, -0.7])
    xs = RNG.standard_normal((5, 2))
    f = nested_reverse_loops

    want_value, want_grad = fluxion.value_and_grad(f)(w, xs)
    g = fluxion.jit(fluxion.value_and_grad(f), tier=1)
    value, grad = g(w, xs)
    assert g.tier == 1, g.tier_info()
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10)


# --------------------------------------------------------------------------------------------
# The compiled chain: a scan model samples on its numba kernel
# --------------------------------------------------------------------------------------------


def _arma_series(steps=200, seed=3):
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(steps + 1) * 0.5
    y = np.zeros(steps + 1)
    for t in range(1, steps + 1):
        y[t] = 0.1 + 0.5 * (y[t - 1] - 0.1) + e[t] + 0.2 * e[t - 1]
    return y


@pytest.mark.parametrize("setting", ["tape", "kernel"])
def test_arma_scan_model_samples_on_the_potential_asked_for(setting, request):
    from fluxion.mcmc import sample

    # a loop is a loop on both: the tape machine's loop instruction, the kernel's for loop
    request.getfixturevalue("compiled_nuts" if setting == "tape" else "compiled_kernel")
    y = _arma_series()

    def log_prob(p):
        prior = -0.5 * fnp.sum(p**2) / 4.0
        return arma11(p, y) + prior

    init = np.array([0.0, 0.3, 0.0, np.log(0.6)])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)  # no fallback either way
        res = sample(log_prob, init, chains=2, draws=300, warmup=300, seed=4, progress=False)
    assert res.compiled == "chain" and res.potential == setting
    draws = res.draws["x"] if isinstance(res.draws, dict) else res.draws
    mean = np.asarray(draws).reshape(-1, 4).mean(axis=0)
    assert abs(mean[1] - 0.5) < 0.25 and abs(np.exp(mean[3]) - 0.5) < 0.15


# --------------------------------------------------------------------------------------------
# Loops on the tape machine: loop / slice / endloop instructions, not unrolled
# --------------------------------------------------------------------------------------------


def _on_the_tape(f, *args):
    """``f``'s value and gradient run on the tape machine, and the tape's instruction count."""
    from fluxion._src.codegen import tape

    graph = fluxion.jit(f).lower(*args).graph
    encoded, why = tape.encode(graph)
    assert encoded is not None, why
    return tape.run(encoded, tape.load_machine(), *args), encoded.n_code


def test_the_tape_runs_the_arma_recursion_as_a_loop():
    y = _arma_series()
    f = fluxion.value_and_grad(lambda p: arma11(p, y))
    (value, grad), n_code = _on_the_tape(f, P)
    want_value, want_grad = fluxion.value_and_grad(lambda p: arma11_loop(p, y))(P)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10)
    assert n_code < 150  # two loops of 200 steps (value, gradient), not 200 copies of a body


def test_the_tape_runs_reverse_nested_loops_array_carries_and_stacked_outputs():
    w = np.array([0.3, -0.7])
    xs = RNG.standard_normal((5, 2))
    f = nested_reverse_loops

    (value, grad_w, grad_xs), _ = _on_the_tape(
        lambda w, xs: (f(w, xs), *fluxion.grad(f, argnums=(0, 1))(w, xs)), w, xs
    )
    want = fluxion.value_and_grad(f, argnums=(0, 1))(w, xs)
    np.testing.assert_allclose(value, want[0], rtol=1e-12)
    np.testing.assert_allclose(grad_w, want[1][0], rtol=1e-10)
    np.testing.assert_allclose(grad_xs, want[1][1], rtol=1e-10)


def test_the_tape_loop_keeps_the_old_carry_swaps_counts_and_runs_zero_times():
    def f(a, b):
        # ys are the old carry (read before the carry moves), the carry swaps its halves, the
        # counter is an integer (fori_loop), and an empty scan keeps its initial carry
        def step(carry, _):
            x, y = carry
            return (y, x * 1.5 + y), x

        (x, y), olds = lax.scan(step, (a, b), None, length=7)
        total = lax.fori_loop(0, 4, lambda i, s: s + i * x, 0.0)
        (z, _), _ = lax.scan(step, (a, b), None, length=0)
        return fnp.sum(olds) + y + total + z

    a, b = 0.3, -1.2
    (value, grad_a, grad_b), _ = _on_the_tape(
        lambda a, b: (f(a, b), *fluxion.grad(f, argnums=(0, 1))(a, b)), a, b
    )
    want_value, (want_a, want_b) = fluxion.value_and_grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose([grad_a, grad_b], [want_a, want_b], rtol=1e-12)


GARCH_Y = RNG.standard_normal(100)
ROWS_X = RNG.standard_normal((30, 4))
MIX_A = RNG.standard_normal((4, 4)) * 0.3
GATHER_XS = RNG.standard_normal((6, 4))
BATCH_YS = RNG.standard_normal((5, 20))


def garch11(p):
    w, a, b = fnp.exp(p[0]), 1 / (1 + fnp.exp(-p[1])), 1 / (1 + fnp.exp(-p[2]))

    def step(carry, y_t):
        s2, ll = carry
        ll = ll - 0.5 * (fnp.log(s2) + y_t**2 / s2)
        return (w + a * y_t**2 + b * s2, ll), s2

    (_, ll), s2s = lax.scan(step, (1.0, 0.0), GARCH_Y)
    return ll + 0.001 * fnp.sum(fnp.log(s2s))


def rows_through_a_matvec(beta):
    def step(c, x_row):  # a row of a matrix per step, a dot product in the body
        r = fnp.tanh(x_row @ beta + c)
        return 0.5 * c + r, r**2

    c, rs = lax.scan(step, 0.0, ROWS_X)
    return c + fnp.sum(rs)


def matrix_times_array_carry(v0):
    def step(v, _):
        v2 = MIX_A @ v + fnp.sin(v)
        return v2, fnp.sum(v2**2)

    v, s = lax.scan(step, v0, None, length=12)
    return fnp.sum(v) + fnp.sum(s)


def gather_in_the_body(theta):
    idx = np.array([2, 0, 1, 1])

    def step(c, x):
        return c + fnp.sum(theta[idx] * x), theta[idx][0] * x[1]

    c, ys = lax.scan(step, 0.0, GATHER_XS)
    return c + fnp.sum(ys)


def vmap_of_a_scan(theta):
    def series(y):
        def step(c, y_t):
            return 0.9 * c + y_t * theta[0], (y_t - c) ** 2

        _, e = lax.scan(step, 0.0, y)
        return fnp.sum(e)

    return fnp.sum(fluxion.vmap(series)(BATCH_YS)) + theta[1] ** 2


@pytest.mark.parametrize(
    "f, x",
    [
        (garch11, np.array([-1.0, 0.2, 1.0])),
        (rows_through_a_matvec, np.array([0.3, -0.2, 0.5, 0.1])),
        (matrix_times_array_carry, np.array([0.4, -0.1, 0.2, 0.3])),
        (gather_in_the_body, np.array([0.5, -1.0, 2.0])),
        (vmap_of_a_scan, np.array([0.3, 0.2])),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_tape_loops_match_eager_value_and_gradient(f, x):
    # loop bodies holding what a likelihood holds: transcendental recursions (GARCH), a row of a
    # stacked matrix and a dot product, a matrix times an array carry, a gather with a constant
    # index array, and a batched (vmapped) scan
    vg = fluxion.value_and_grad(f)
    (value, grad), _ = _on_the_tape(vg, x)
    want_value, want_grad = vg(x)
    np.testing.assert_allclose(value, want_value, rtol=1e-11)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Matrices on the tape machine: BLAS for large products, loops for small ones
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shapes", [(3, 4, 2), (40, 30, 20), (50, 60, 1), (1, 70, 60), (1, 900, 1), (3, 4, 1)]
)
def test_tape_matmul_and_its_folded_transposes_match_eager(shapes):
    from fluxion._src.codegen import tape

    machine = tape.load_machine()
    m, k, n = shapes
    a, b = RNG.standard_normal((m, k)), RNG.standard_normal((k, n))

    def f(a, b):  # the gradient holds a.T @ g and g @ b.T; b.T @ a.T reads both transposed
        return fnp.sum(fnp.sin(a @ b)) + fnp.sum((b.T @ a.T) ** 2)

    vg = fluxion.jit(fluxion.value_and_grad(f, argnums=(0, 1)), tier=0)
    graph = vg.lower(a, b).graph
    encoded, why = tape.encode(graph)
    assert encoded is not None, why
    # the transposes feeding only matmuls are not gathered: each becomes a flag of its matmul
    n_transposes = sum(e.prim.name == "transpose" for e in graph.eqns)
    n_gathers = sum(
        tape.OPCODES[op] == "gather" for op in encoded.code.reshape(-1, tape.WIDTH)[:, 0]
    )
    assert n_gathers < n_transposes
    value, grad_a, grad_b = tape.run(encoded, machine, a, b)
    want_value, (want_a, want_b) = vg(a, b)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(grad_a, want_a, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(grad_b, want_b, rtol=1e-11, atol=1e-12)


def test_large_regression_reaches_tier1_with_blas_and_no_transpose_copy():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((5000, 24))  # 1.2e5 elements: too large for a non-fused kernel
    y = X @ rng.standard_normal(24) + rng.standard_normal(5000)

    def log_prob(theta):
        beta, log_sigma = theta[:24], theta[24]
        r = y - X @ beta
        return -5000 * log_sigma - 0.5 * fnp.sum(r**2) * fnp.exp(-2 * log_sigma)

    theta = np.r_[np.zeros(24), 0.1]
    f = fluxion.jit(fluxion.value_and_grad(log_prob), tier=1)
    value, grad = f(theta)
    assert f.tier == 1, f.tier_info()
    r = y - X @ theta[:24]
    s2 = np.exp(-2 * theta[24])
    np.testing.assert_allclose(value, -5000 * theta[24] - 0.5 * (r @ r) * s2, rtol=1e-12)
    np.testing.assert_allclose(grad[:24], (X.T @ r) * s2, rtol=1e-10)
    np.testing.assert_allclose(grad[24], -5000 + (r @ r) * s2, rtol=1e-10)
    code = f.lower(theta).entry.specs[0].numba_code
    assert all(c.flags.c_contiguous for c in code.consts if isinstance(c, np.ndarray))
