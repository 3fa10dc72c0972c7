"""A regression's value and gradient in the compiled backends (issue 11): the design matrix
read in place by both BLAS products (no transposed copy), scalar broadcasts kept scalar, sums in
NumPy's pairwise order (``linalg_kernels.sum8``), the tape's ``dot`` instruction and its
contiguous arithmetic loops; values and gradients against NumPy, and the rewrites exact."""

from __future__ import annotations

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src.ir.graph import Lit
from fluxion._src.ir.interpret import eval_graph

numba = pytest.importorskip("numba")

RNG = np.random.default_rng(20261206)


def _regression(n: int, d: int):
    X = RNG.standard_normal((n, d))
    y = X @ RNG.standard_normal(d) + 0.5 * RNG.standard_normal(n)
    theta = np.concatenate([RNG.standard_normal(d) * 0.3, [np.log(0.6)]])

    def log_prob(t):
        beta, log_sigma = t[:d], t[d]
        r = y - X @ beta
        return -n * log_sigma - 0.5 * fnp.sum(r**2) * fnp.exp(-2 * log_sigma)

    def reference(t):
        beta, log_sigma = t[:d], t[d]
        r = y - X @ beta
        s2 = np.exp(-2 * log_sigma)
        grad = np.append((X.T @ r) * s2, -n + (r @ r) * s2)
        return -n * log_sigma - 0.5 * (r @ r) * s2, grad

    return X, theta, log_prob, reference


def _graph(fn, *args):
    return fluxion.jit(fn, tier=0).lower(*args).graph


def _close(got, want):
    value, grad = got
    np.testing.assert_allclose(float(value), want[0], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(grad), want[1], rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------------
# sum8: NumPy's pairwise order
# --------------------------------------------------------------------------------------------


def test_sum8_gives_numpys_bits_for_sums_and_sums_of_products():
    from fluxion._src.codegen.linalg_kernels import dot_nd, sum8, sum_nd

    # below, at and above the 8-term unroll and the 128-term block, and long (many halvings)
    for n in [0, 1, 7, 8, 9, 127, 128, 129, 136, 1000, 5000, 100_003]:
        a, c = RNG.standard_normal(n), RNG.standard_normal(n)
        assert sum8(a, a, False) == np.sum(a), n
        assert sum8(a, c, True) == np.sum(a * c), n
        assert dot_nd(a, c) == np.sum(a * c), n
    m = RNG.standard_normal((40, 37))
    assert sum_nd(m) == np.sum(m)
    assert sum_nd(m.T) == np.sum(np.ascontiguousarray(m.T))  # C order of the view
    assert np.isnan(sum_nd(np.array([1.0, np.nan, 2.0])))


# --------------------------------------------------------------------------------------------
# The graph rewrites: exact, and what they remove
# --------------------------------------------------------------------------------------------


def test_a_constant_transpose_is_read_in_place_by_the_product():
    from fluxion._src.codegen.numba_tier import fold_transposes

    X, theta, log_prob, _ = _regression(50, 4)
    graph = _graph(fluxion.value_and_grad(log_prob), theta)
    folded = fold_transposes(graph)
    products = [e for e in folded.eqns if e.prim.name == "matmul"]
    assert len(products) == 2
    assert products[0].params.get("transposed", (0, 0)) == (0, 0)
    assert products[1].params["transposed"] == (1, 0)  # X.T @ g reads X
    for eqn in products:
        const = eqn.inputs[0]
        assert type(const) is Lit and const.val.flags.c_contiguous
        assert np.shares_memory(const.val, X)
    # (the folded graph is codegen's own: its values are checked on tier 1 and the tape below)


def test_scalar_broadcasts_stay_scalar_and_the_rewrite_is_exact():
    from fluxion._src.codegen.numba_tier import sink_scalar_broadcasts

    _, theta, log_prob, _ = _regression(60, 3)
    graph = _graph(fluxion.value_and_grad(log_prob), theta)
    assert any(e.prim.name == "broadcast_to" for e in graph.eqns)
    sunk = sink_scalar_broadcasts(graph)
    assert not any(e.prim.name in ("broadcast_to", "negative") and e.outs[0].aval.ndim
                   for e in sunk.eqns)
    big = [e for e in sunk.eqns if e.outs and e.outs[0].aval.size == 60]
    assert len(big) < len([e for e in graph.eqns if e.outs and e.outs[0].aval.size == 60])
    for got, want in zip(eval_graph(sunk, [theta]), eval_graph(graph, [theta])):
        np.testing.assert_array_equal(got, want)


def test_a_broadcast_read_whole_is_written_out():
    from fluxion._src.codegen.numba_tier import sink_scalar_broadcasts

    m = RNG.standard_normal((5, 5))

    def f(x, s):
        b = fnp.broadcast_to(s * 2.0, (5,))
        c = b * 3.0  # stays scalar ...
        return m @ c, -(s * x), fnp.sum(c * x), c  # ... but the product and output read it

    x, s = RNG.standard_normal(5), np.float64(0.7)
    graph = _graph(f, x, s)
    sunk = sink_scalar_broadcasts(graph)
    for got, want in zip(eval_graph(sunk, [x, s]), eval_graph(graph, [x, s])):
        assert np.shape(got) == np.shape(want)
        np.testing.assert_array_equal(got, want)


# --------------------------------------------------------------------------------------------
# Tier 1 and the tape on regressions of three shapes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, d", [(500, 25), (5000, 24)])
def test_tier1_regression_kernel(n, d):
    from fluxion._src.codegen import tier1

    _, theta, log_prob, reference = _regression(n, d)
    graph = _graph(fluxion.value_and_grad(log_prob), theta)
    assert tier1.lowerable(graph) == []
    code = tier1.compile_numba(graph, "blas_test")
    # one pass for sum(r ** 2), no filled broadcast, both products on the one copy of X
    assert "_fx_dot_nd(" in code.source
    assert "np.full" not in code.source
    matrices = [c for c in code.consts if isinstance(c, np.ndarray) and c.ndim == 2]
    assert len(matrices) == 2 and len({c.ctypes.data for c in matrices}) == 1
    _close(code.fn(theta), reference(theta))


@pytest.mark.parametrize("n, d", [(500, 25), (5000, 24)])
def test_tape_regression_program(machine, n, d):
    from fluxion._src.codegen import tape

    X, theta, log_prob, reference = _regression(n, d)
    graph = _graph(fluxion.value_and_grad(log_prob), theta)
    encoded, why = tape.encode(graph)
    assert encoded is not None, why
    ops = [tape.OPCODES[c] for c in encoded.code[:: tape.WIDTH]]
    assert ops.count("matmul") == 2 and ops.count("dot") == 1
    # no n-element gather (a materialised broadcast) and one copy of X in memory
    sizes = encoded.code.reshape(-1, tape.WIDTH)
    assert not any(tape.OPCODES[r[0]] == "gather" and r[4] >= n for r in sizes)
    assert X.size <= encoded.mem.size < 2 * X.size
    _close(tape.run(encoded, machine, theta), reference(theta))


def test_tape_arithmetic_with_a_scalar_on_either_side(machine):
    from fluxion._src.codegen import tape

    x = RNG.uniform(0.5, 2.0, 37)
    s = np.float64(1.7)

    def f(x, s):
        return s - x, x - s, s / x, x / s, s + x, x * s, x - x[::-1], x / x[::-1]

    graph = _graph(f, x, s)
    encoded, why = tape.encode(graph)
    assert encoded is not None, why
    for got, want in zip(tape.run(encoded, machine, x, s), f(x, s)):
        np.testing.assert_array_equal(got, want)


def test_tape_sum_of_products_with_a_broadcast_factor(machine):
    from fluxion._src.codegen import tape

    x, w = RNG.standard_normal((4, 33)), RNG.standard_normal(33)

    def f(x, w):
        return fnp.sum(x * w), fnp.sum(x * x), fnp.sum(x)

    encoded, why = tape.encode(_graph(f, x, w))
    assert encoded is not None, why
    got = tape.run(encoded, machine, x, w)
    assert got[1] == np.sum(x * x) and got[2] == np.sum(x)  # NumPy's order: its bits
    np.testing.assert_allclose(got[0], np.sum(x * w), rtol=1e-13)


def test_tape_keeps_a_product_read_elsewhere_through_an_alias(machine):
    from fluxion._src.codegen import tape

    x = RNG.standard_normal((3, 4))

    def f(x):
        p = x * x
        return fnp.sum(fnp.reshape(p, (12,))), p + 1.0  # the sum reads an alias of p

    encoded, why = tape.encode(_graph(f, x))
    assert encoded is not None, why
    got = tape.run(encoded, machine, x)
    assert got[0] == np.sum(x * x)
    np.testing.assert_array_equal(got[1], x * x + 1.0)
