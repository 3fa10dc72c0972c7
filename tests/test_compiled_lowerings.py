"""Lowerings that keep common model code compiled, in tier 1 and on the tape machine:
functional index updates (``x.at[i].set/add/multiply``), running products (``cumprod``, which
``prod``'s gradient takes), ``einsum``, reductions over some axes (a broadcast's gradient, a
``logsumexp`` over mixture components), ``flip`` of any axis and new axes in an index.

Before these, a model that built a vector with ``.at[...]`` (the idiom fluxion's own error
message suggests for ``y[i] = v``) or called ``einsum`` ran its gradient at tier 0 and sampled
through a Python callback; ``np.prod``'s and ``einsum``'s models could not go on the tape.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion.scipy.special import logsumexp

IDX = np.array([0, 2, 2, 1])  # a repeated index: the last write wins, as in NumPy
POINTS = (np.array([0, 1, 3]), np.array([1, 1, 4]))

CASES = {
    "set-scalar-static": lambda x: fnp.sum(fnp.sin(fnp.at(x)[1].set(x[0] * 3.0))),
    "set-slice": lambda x: fnp.sum(fnp.sin(fnp.at(x)[1:3].set(x[2:4] ** 2))),
    "set-reversed-slice": lambda x: fnp.sum(fnp.sin(fnp.at(x)[::-2].set(x[:3] * x[1]))),
    "set-index-array-repeated": lambda x: fnp.sum(fnp.sin(fnp.at(x)[IDX].set(x[:4] * 2.0))),
    "set-index-array-scalar": lambda x: fnp.sum(fnp.sin(fnp.at(x)[IDX].set(x[0]))),
    "add-index-array": lambda x: fnp.sum(fnp.sin(fnp.at(x)[IDX].add(x[:4] * 2.0))),
    "multiply-index-array": lambda x: fnp.sum(fnp.sin(fnp.at(x)[IDX].multiply(x[:4]))),
    "set-matrix-row": lambda x: fnp.sum(fnp.cos(fnp.at(fnp.outer(x, x))[2].set(x))),
    "set-matrix-points": lambda x: fnp.sum(fnp.cos(fnp.at(fnp.outer(x, x))[POINTS].set(x[:3]))),
    "set-matrix-rows-by-index": lambda x: fnp.sum(
        fnp.cos(fnp.at(fnp.outer(x, x))[IDX].set(fnp.outer(x[:4], x)))
    ),
    "set-rows-broadcast": lambda x: fnp.sum(fnp.cos(fnp.at(fnp.outer(x, x))[1:3].set(x))),
    "build-from-zeros": lambda x: fnp.sum(
        fnp.exp(fnp.zeros(3).at[0].set(x[0]).at[2].set(x[1] * x[2]))
    ),
    "prod": lambda x: fnp.prod(fnp.tanh(x) + 1.5) + fnp.sum(fnp.cumprod(0.5 * x + 1.0)),
    # einsum: loops in tier 1; on the tape, the operands gathered into the labels' space
    "einsum-matvec": lambda x: fnp.sum(fnp.sin(fnp.einsum("ij,j->i", A, x))),
    "einsum-quadratic-form": lambda x: fnp.einsum("i,ij,j->", x, S, x),
    "einsum-row-dots": lambda x: fnp.sum(fnp.einsum("ij,ij->i", A * x, A) ** 2),
    "einsum-trace-and-diagonal": lambda x: fnp.einsum("ii", S * x)
    + fnp.sum(fnp.einsum("ii->i", S * x) ** 2),
    "einsum-batched-ellipsis": lambda x: fnp.sum(fnp.tanh(fnp.einsum("...ij,j->...i", T * x, x))),
    "einsum-transpose-three-operands": lambda x: fnp.sum(
        fnp.einsum("ij->ji", fnp.outer(x, x[:3])) * B.T
    ) + fnp.einsum("i,ij,jk,k->", x[:4], A, B, x[:3]),
    "einsum-broadcast-size-1": lambda x: fnp.sum(fnp.einsum("ij,ij->i", A, x[None, :]) ** 2),
    # reductions over some of the axes, a flip of a matrix's rows, new axes
    "logsumexp-over-an-axis": lambda x: fnp.sum(logsumexp(fnp.outer(x, x[:3]), axis=1)),
    "max-over-an-axis": lambda x: fnp.sum(fnp.max(fnp.outer(x, x[:3]) * B, axis=0)),
    "prod-over-an-axis": lambda x: fnp.sum(fnp.prod(fnp.tanh(fnp.outer(x, x[:3])) + 1.5, axis=1)),
    "sum-over-two-of-three-axes": lambda x: fnp.sum(fnp.sum(T * x, axis=(0, 2)) ** 2),
    "min-keepdims": lambda x: fnp.sum(
        fnp.min(fnp.outer(x, x[:3]), axis=1, keepdims=True) * x[:, None]
    ),
    "flip-rows": lambda x: fnp.sum(fnp.flip(fnp.outer(x, x[:3]), axis=1) * B),
}
_RNG = np.random.default_rng(0)
X = _RNG.normal(size=5)
A, B, S, T = (_RNG.normal(size=shape) for shape in ((4, 5), (5, 3), (5, 5), (2, 4, 5)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_tier1_matches_eager_value_and_gradient(name: str, run_on_tier1) -> None:
    vg = fluxion.value_and_grad(CASES[name])
    want_value, want_grad = vg(X)
    value, grad = run_on_tier1(vg, X)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_tape_matches_eager_value_and_gradient(name: str, machine) -> None:
    from fluxion._src.codegen import tape

    vg = fluxion.value_and_grad(CASES[name])
    want_value, want_grad = vg(X)
    encoded, why = tape.encode(fluxion.jit(vg).lower(X).graph)
    assert encoded is not None, why
    value, grad = tape.run(encoded, machine, X)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-13)


def test_an_index_array_computed_at_run_time_is_refused_by_the_tape_with_the_reason() -> None:
    from fluxion._src.codegen import tape

    def f(x, i):
        return fnp.sum(fnp.at(x)[i].set(1.0) * x)

    graph = fluxion.jit(f).lower(X, np.array([1, 3])).graph
    encoded, why = tape.encode(graph)
    assert encoded is None and "update with an index array computed at run time" in why


def test_a_model_built_with_at_set_samples_on_the_compiled_chain(compiled_nuts) -> None:
    y = np.array([1.0, 2.0, 0.5])

    def log_prob(p):
        mu = fnp.zeros(3).at[IDX].add(p["a"] * np.arange(1.0, 5.0))
        mu = mu.at[0].set(p["b"])
        return -0.5 * fnp.sum((y - mu) ** 2) - 0.5 * p["a"] ** 2

    with warnings.catch_warnings():
        warnings.simplefilter("error", fluxion.PerformanceWarning)
        result = fluxion.mcmc.sample(
            log_prob, {"a": 0.1, "b": 0.2}, chains=2, draws=400, warmup=400, seed=3,
            progress=False,
        )
    assert result.compiled == "chain" and result.potential == "tape"
    # conjugate Gaussian: y0 ~ N(b, 1) alone; a enters y1 (coefficient 4) and y2 (2 + 3 = 5)
    a_mean = (4.0 * y[1] + 5.0 * y[2]) / (1.0 + 16.0 + 25.0)
    assert abs(np.mean(result.draws["a"]) - a_mean) < 0.05
    assert abs(np.mean(result.draws["b"]) - y[0]) < 0.15
