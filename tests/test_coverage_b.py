"""Checks that go with op-table batch ``cb-`` (``tests/optable/rows_coverage_b.py``) and that the
table's columns do not make yet:

- derivatives with respect to COMPLEX inputs (the op table perturbs real inputs only for now):
  ``fluxion.grad`` of a real function of ``angle``, ``sort_complex``, ``true_divide``,
  ``vecdot``, ``linalg.matmul``/``outer`` and ``real_if_close`` against central differences
  (``check_grads`` with complex arguments, JAX's convention ``df/dx - i df/dy``);
- ``floor_divide`` of floats has an exactly-zero derivative (it is piecewise constant; JAX's
  float ``floor_divide`` ends in ``lax.round``/``lax.floor``, whose JVP is zero, so ``jax.grad``
  also gives 0; NumPy has no derivatives). Its op-table rows are therefore ``nondiff``;
- ``isin``, ``unravel_index`` and ``ravel_multi_index`` under ``jit`` and ``vmap`` (traced
  inputs take the integer-arithmetic path) equal NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion.test_util import check_grads

RNG = np.random.default_rng(0)


def _z(shape: tuple) -> np.ndarray:
    """Complex values with real and imaginary parts in [0.5, 1] (away from 0 and the cut)."""
    return RNG.uniform(0.5, 1.0, shape) + 1j * RNG.uniform(0.5, 1.0, shape)


def _sq(z):  # noqa: ANN001, ANN202
    """A real, smooth function of a complex array: sum of |z|^2 weighted by position."""
    w = np.arange(1.0, np.size(z) + 1).reshape(np.shape(z))
    return fnp.sum(w * fnp.real(z * fnp.conj(z)))


COMPLEX_CASES = [
    ("angle", lambda z: fnp.angle(z), (_z((4,)),)),
    ("angle-deg", lambda z: fnp.angle(z, deg=True) / 90.0, (_z((2, 2)),)),
    # distinct real parts: the order is locally constant, so sort_complex is a permutation
    ("sort_complex", fnp.sort_complex,
     (np.array([0.9, -0.4, 0.3, 1.5]) + 1j * RNG.uniform(-1, 1, 4),)),
    ("true_divide", fnp.true_divide, (_z((3,)), _z((3,)))),
    ("vecdot", lambda a, b: fnp.vecdot(a, b), (_z((2, 3)), _z((3,)))),
    ("linalg.matmul", fnp.linalg.matmul, (_z((2, 3)), _z((3, 2)))),
    ("linalg.outer", fnp.linalg.outer, (_z((2,)), _z((3,)))),
    ("real_if_close-keeps-complex", lambda z: fnp.real_if_close(z), (_z((3,)),)),
]


@pytest.mark.parametrize("name, f, args", COMPLEX_CASES, ids=[c[0] for c in COMPLEX_CASES])
def test_complex_input_derivatives(name: str, f, args: tuple) -> None:  # noqa: ANN001
    """Forward, reverse and second order with respect to complex inputs."""
    check_grads(f, args, order=2, modes=("fwd", "rev"), rng=np.random.default_rng(1))


def _central_grad(f, z: np.ndarray, eps: float = 1e-6) -> np.ndarray:  # noqa: ANN001
    """``df/dx - i df/dy`` of a real ``f`` by central differences (JAX's convention)."""
    g = np.zeros_like(z)
    for k in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[k] = eps
        dx = (f(z + e) - f(z - e)) / (2 * eps)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        g[k] = dx - 1j * dy
    return g


@pytest.mark.parametrize("name, fn", [
    ("angle", lambda z: fnp.angle(z)),
    ("sort_complex", fnp.sort_complex),
])
def test_grad_of_real_function_matches_central_differences(name: str, fn) -> None:  # noqa: ANN001
    z = np.array([0.9 + 0.2j, -0.4 + 0.7j, 0.3 - 0.6j, 1.5 + 0.1j])

    def loss(z):  # noqa: ANN001, ANN202
        return _sq(fn(z)) if name == "sort_complex" else fnp.sum(fnp.arange(1.0, 5.0) * fn(z))

    got = fluxion.grad(loss)(z)
    want = _central_grad(lambda v: float(loss(v)), z)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_floor_divide_derivative_is_exactly_zero() -> None:
    x = np.array([0.35, -1.2, 2.6])
    y = np.array([0.7, 0.7, -0.9])

    def f(a, b):  # noqa: ANN001, ANN202
        return fnp.sum(fnp.floor_divide(a, b) * np.array([1.0, 2.0, 3.0]))

    gx, gy = fluxion.grad(f, argnums=(0, 1))(x, y)
    assert np.array_equal(gx, np.zeros(3)) and np.array_equal(gy, np.zeros(3))
    _, t = fluxion.jvp(lambda a: fnp.floor_divide(a, y), (x,), (np.ones(3),))
    assert not np.any(np.asarray(t))
    # and the function is indeed locally constant there (central differences give 0 too)
    assert np.array_equal(np.floor_divide(x + 1e-6, y), np.floor_divide(x - 1e-6, y))


def test_isin_traced_equals_numpy() -> None:
    a = np.array([[1.0, np.nan, 3.0], [4.0, 2.0, 0.0]])
    b = np.array([2.0, 3.0, np.nan, 7.0])
    for invert in (False, True):
        want = np.isin(a, b, invert=invert)
        got = fluxion.jit(lambda u, v, _i=invert: fnp.isin(u, v, invert=_i))(a, b)
        assert got.dtype == bool
        np.testing.assert_array_equal(got, want)
    rows = fluxion.vmap(lambda u: fnp.isin(u, b))(a)
    np.testing.assert_array_equal(rows, np.isin(a, b))


@pytest.mark.parametrize("order", ["C", "F"])
def test_index_conversions_under_jit_and_vmap(order: str) -> None:
    flat = np.array([0, 5, 11, 7])
    want = np.unravel_index(flat, (3, 4), order=order)
    got = fluxion.jit(lambda i: fnp.unravel_index(i, (3, 4), order=order))(flat)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        assert np.asarray(g).dtype == w.dtype
    i, j = np.array([0, 2, -1, 5]), np.array([3, -2, 1, 9])
    mode = ("wrap", "clip")
    want = np.ravel_multi_index((i, j), (3, 4), mode=mode, order=order)
    got = fluxion.vmap(lambda a, b: fnp.ravel_multi_index((a, b), (3, 4), mode=mode,
                                                          order=order))(i, j)
    np.testing.assert_array_equal(got, want)
    assert np.asarray(got).dtype == want.dtype
