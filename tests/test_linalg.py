"""Linear algebra and contractions: values against NumPy/SciPy, derivatives, errors, dispatch."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.linalg as fsl
from fluxion._src.prims import linalg as la
from fluxion.test_util import check_grads


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def spd(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Well-conditioned symmetric positive-definite matrices of ``shape`` (..., n, n)."""
    n = shape[-1]
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) / n + np.eye(n)


def well(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Well-conditioned general square matrices."""
    n = shape[-1]
    return rng.standard_normal(shape) / np.sqrt(n) + 2.0 * np.eye(n)


# --------------------------------------------------------------------------------------------
# Values against NumPy / SciPy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((3, 4), (4, 5)),
        ((4,), (4, 5)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 3, 4), (4, 5)),
        ((4,), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((2, 3, 4), (4,)),
    ],
)
def test_matmul_values(sa: tuple, sb: tuple) -> None:
    rng = _rng()
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose(fnp.matmul(a, b), np.matmul(a, b))
    out = fluxion.jvp(fnp.matmul, (a, b), (a, b))[0]
    np.testing.assert_allclose(out, np.matmul(a, b))


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((), (3,)),
        ((3,), ()),
        ((4,), (4,)),
        ((3, 4), (4,)),
        ((4,), (4, 5)),
        ((3, 4), (4, 5)),
        ((2, 3, 4), (5, 4, 6)),
        ((2, 3, 4), (4,)),
    ],
)
def test_dot_values(sa: tuple, sb: tuple) -> None:
    rng = _rng(1)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose(fnp.dot(a, b), np.dot(a, b))


@pytest.mark.parametrize(
    "sa, sb, axes",
    [
        ((3, 4, 5), (4, 5, 2), 2),
        ((3, 4), (4, 2), 1),
        ((3, 4), (5,), 0),
        ((3, 4, 5), (5, 2, 3), ([0, 2], [2, 0])),
        ((3, 4), (2, 4), (1, 1)),
    ],
)
def test_tensordot_values(sa: tuple, sb: tuple, axes: object) -> None:
    rng = _rng(2)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose(fnp.tensordot(a, b, axes), np.tensordot(a, b, axes))


@pytest.mark.parametrize(
    "subscripts, shapes",
    [
        ("ij,jk->ik", [(3, 4), (4, 5)]),
        ("ij,jk", [(3, 4), (4, 5)]),
        ("ba,ac", [(3, 4), (4, 5)]),
        ("bA", [(3, 4)]),
        ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
        ("...ij,...jk", [(1, 3, 4), (6, 4, 5)]),
        ("i...,i...", [(2, 3), (2, 1)]),
        ("ii->i", [(4, 4)]),
        ("ii", [(4, 4)]),
        ("ij,ij,jk->ik", [(1, 3), (2, 3), (3, 4)]),
        ("i,j->ij", [(3,), (4,)]),
        ("ijk->kji", [(2, 3, 4)]),
        ("ij->", [(2, 3)]),
    ],
)
def test_einsum_values(subscripts: str, shapes: list) -> None:
    rng = _rng(3)
    ops = [rng.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(fnp.einsum(subscripts, *ops), np.einsum(subscripts, *ops))


def test_einsum_sublist_and_optimize() -> None:
    rng = _rng(4)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    np.testing.assert_allclose(fnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), a @ b)
    np.testing.assert_allclose(fnp.einsum("ij,jk", a, b, optimize=True), a @ b)


def test_outer_inner_vdot_kron_vander() -> None:
    rng = _rng(5)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(fnp.outer(a, b), np.outer(a, b))
    np.testing.assert_allclose(fnp.inner(a, b.T), np.inner(a, b.T))
    np.testing.assert_allclose(fnp.vdot(a, b.T), np.vdot(a, b.T))
    np.testing.assert_allclose(fnp.kron(a, b), np.kron(a, b))
    np.testing.assert_allclose(fnp.kron(a[0], b), np.kron(a[0], b))
    x = np.array([0.0, 1.5, -2.0])
    for n in (None, 0, 1, 2, 5):
        for inc in (False, True):
            np.testing.assert_allclose(fnp.vander(x, n, inc), np.vander(x, n, inc))


@pytest.mark.parametrize("batch", [(), (3,), (2, 3)])
def test_linalg_values(batch: tuple) -> None:
    rng = _rng(6)
    n = 4
    a = well(rng, batch + (n, n))
    s = spd(rng, batch + (n, n))
    b_vec = rng.standard_normal(n)
    b_mat = rng.standard_normal(batch + (n, 2))
    np.testing.assert_allclose(fnp.linalg.solve(a, b_vec), np.linalg.solve(a, b_vec))
    np.testing.assert_allclose(fnp.linalg.solve(a, b_mat), np.linalg.solve(a, b_mat))
    np.testing.assert_allclose(fnp.linalg.inv(a), np.linalg.inv(a))
    np.testing.assert_allclose(fnp.linalg.det(a), np.linalg.det(a))
    sign, logabsdet = fnp.linalg.slogdet(a)
    ref = np.linalg.slogdet(a)
    np.testing.assert_allclose(sign, ref.sign)
    np.testing.assert_allclose(logabsdet, ref.logabsdet)
    np.testing.assert_allclose(fnp.linalg.cholesky(s), np.linalg.cholesky(s))
    np.testing.assert_allclose(
        fnp.linalg.cholesky(s, upper=True), np.linalg.cholesky(s, upper=True)
    )
    w, v = fnp.linalg.eigh(s)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(s))
    np.testing.assert_allclose(v @ (w[..., None] * np.swapaxes(v, -1, -2)), s, atol=1e-12)
    np.testing.assert_allclose(fnp.linalg.eigvalsh(a, "U"), np.linalg.eigvalsh(a, "U"))
    np.testing.assert_allclose(fnp.linalg.matrix_power(a, 3), np.linalg.matrix_power(a, 3))
    np.testing.assert_allclose(fnp.linalg.matrix_power(a, -2), np.linalg.matrix_power(a, -2))
    np.testing.assert_allclose(fnp.linalg.matrix_power(a, 0), np.linalg.matrix_power(a, 0))


def test_eigh_reads_chosen_triangle() -> None:
    a = _rng(7).standard_normal((4, 4))  # not symmetric: only one triangle is read
    for uplo in ("L", "U"):
        w, v = fnp.linalg.eigh(a, uplo)
        w_ref, v_ref = np.linalg.eigh(a, uplo)
        np.testing.assert_allclose(w, w_ref)
        np.testing.assert_allclose(np.abs(v), np.abs(v_ref), atol=1e-10)


def test_scipy_linalg_values() -> None:
    rng = _rng(8)
    n = 4
    lo = np.tril(well(rng, (n, n)))
    up = np.triu(well(rng, (n, n)))
    b = rng.standard_normal((n, 3))
    v = rng.standard_normal(n)
    for trans in (0, 1, "T"):
        for bb in (b, v):
            np.testing.assert_allclose(
                fsl.solve_triangular(lo, bb, trans=trans, lower=True),
                scipy.linalg.solve_triangular(lo, bb, trans=trans, lower=True),
            )
            np.testing.assert_allclose(
                fsl.solve_triangular(up, bb, trans=trans, unit_diagonal=True),
                scipy.linalg.solve_triangular(up, bb, trans=trans, unit_diagonal=True),
            )
    s = spd(rng, (n, n))
    for lower in (False, True):
        np.testing.assert_allclose(fsl.cholesky(s, lower=lower), scipy.linalg.cholesky(s, lower))
        np.testing.assert_allclose(
            fsl.cho_solve(fsl.cho_factor(s, lower=lower), b), np.linalg.solve(s, b)
        )
    # batched triangular solve with broadcasting batch dimensions
    la_b = np.tril(well(rng, (2, 1, n, n)))
    bb = rng.standard_normal((3, n, 2))
    ref = np.linalg.solve(la_b, bb)
    np.testing.assert_allclose(fsl.solve_triangular(la_b, bb, lower=True), ref, atol=1e-12)


@pytest.mark.parametrize("ord", [None, 1, 2, 3.5, np.inf, -np.inf, 0])
def test_vector_norm_values(ord: object) -> None:
    x = _rng(9).standard_normal((3, 5))
    np.testing.assert_allclose(fnp.linalg.norm(x[0], ord), np.linalg.norm(x[0], ord))
    np.testing.assert_allclose(
        fnp.linalg.norm(x, ord, axis=1, keepdims=True),
        np.linalg.norm(x, ord, axis=1, keepdims=True),
    )


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norm_values(ord: object) -> None:
    x = _rng(10).standard_normal((2, 3, 5))
    np.testing.assert_allclose(fnp.linalg.norm(x[0], ord), np.linalg.norm(x[0], ord))
    np.testing.assert_allclose(
        fnp.linalg.norm(x, ord, axis=(2, 1)), np.linalg.norm(x, ord, axis=(2, 1))
    )


def test_multi_dot_values() -> None:
    rng = _rng(11)
    mats = [rng.standard_normal(s) for s in [(3,), (3, 4), (4, 2), (2,)]]
    np.testing.assert_allclose(fnp.linalg.multi_dot(mats), np.linalg.multi_dot(mats))


# --------------------------------------------------------------------------------------------
# Derivatives: forward and reverse against central differences, second order
# --------------------------------------------------------------------------------------------

_R = _rng(12)
_A = well(_R, (2, 4, 4))
_S = spd(_R, (2, 4, 4))
_L = np.tril(well(_R, (4, 4)))
_B = _R.standard_normal((4, 3))
_V = _R.standard_normal(4)

GRAD_CASES = {
    "matmul": (fnp.matmul, (_R.standard_normal((3, 4)), _R.standard_normal((2, 4, 5)))),
    "matmul_vec_left": (fnp.matmul, (_V, _R.standard_normal((2, 4, 5)))),
    "matmul_vec_right": (fnp.matmul, (_R.standard_normal((2, 3, 4)), _V)),
    "matmul_vec_vec": (fnp.matmul, (_V, _V + 1.0)),
    "dot_nd": (fnp.dot, (_R.standard_normal((2, 3)), _R.standard_normal((4, 3, 2)))),
    "tensordot": (
        lambda a, b: fnp.tensordot(a, b, ([0, 2], [2, 0])),
        (_R.standard_normal((3, 4, 5)), _R.standard_normal((5, 2, 3))),
    ),
    "einsum_batched": (
        lambda a, b: fnp.einsum("...ij,...jk", a, b),
        (_R.standard_normal((1, 3, 4)), _R.standard_normal((2, 4, 5))),
    ),
    "einsum_diag_trace": (lambda a, b: fnp.einsum("ii,ij,j", a, b, _V), (_A[0], _A[1])),
    "einsum_broadcast_label": (
        lambda a, b: fnp.einsum("ij,ij->j", a, b),
        (_R.standard_normal((1, 3)), _R.standard_normal((2, 3))),
    ),
    "einsum_summed_alone": (lambda a, b: fnp.einsum("ij,k->jk", a, b), (_B, _V)),
    "outer_inner_kron": (
        lambda a, b: [fnp.outer(a, b), fnp.inner(a, b), fnp.kron(a, b)],
        (_V, _V[::-1].copy()),
    ),
    "vander_at_zero": (lambda x: fnp.vander(x, 4), (np.array([0.0, 0.5, -1.5]),)),
    "solve_vec": (fnp.linalg.solve, (_A, _V)),
    "solve_mat": (fnp.linalg.solve, (_A, _B)),
    "solve_batch_b": (fnp.linalg.solve, (_A[0], _R.standard_normal((2, 4, 3)))),
    "inv": (fnp.linalg.inv, (_A,)),
    "det": (fnp.linalg.det, (_A,)),
    "slogdet": (lambda a: fnp.linalg.slogdet(a).logabsdet, (_A,)),
    "cholesky": (fnp.linalg.cholesky, (_S,)),
    "cholesky_upper": (lambda a: fnp.linalg.cholesky(a, upper=True), (_S,)),
    "cholesky_primitive": (lambda a: la.cholesky(a @ a.mT + np.eye(4)), (_A,)),
    "eigh": (lambda a: [fnp.linalg.eigh(a)[0], fnp.linalg.eigh(a)[1] ** 2], (_S,)),
    "eigh_upper": (lambda a: fnp.linalg.eigh(a, "U")[1] ** 2, (_S,)),
    "eigh_reconstruct": (
        lambda a: (lambda w, v: v @ (fnp.exp(w)[..., None] * v.mT))(*fnp.linalg.eigh(a)),
        (_S,),
    ),
    "solve_triangular": (lambda a, b: fsl.solve_triangular(a, b, lower=True), (_L, _B)),
    "solve_triangular_trans": (lambda a, b: fsl.solve_triangular(a, b, trans=1), (_L.T, _V)),
    "solve_triangular_unit": (
        lambda a, b: fsl.solve_triangular(a, b, lower=True, unit_diagonal=True),
        (_L / 4, _B),
    ),
    "cho_solve": (lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b), (_S[0], _B)),
    "norm_vector": (
        lambda x: [fnp.linalg.norm(x), fnp.linalg.norm(x, 3), fnp.linalg.norm(x, 1)],
        (_V,),
    ),
    "norm_matrix": (
        lambda x: [
            fnp.linalg.norm(x, "fro"),
            fnp.linalg.norm(x, 2),
            fnp.linalg.norm(x, "nuc"),
            fnp.linalg.norm(x, -2),
        ],
        (_B,),
    ),
    "matrix_power": (lambda a: fnp.linalg.matrix_power(a, -3), (_A,)),
    "multi_dot": (lambda a, b: fnp.linalg.multi_dot([_V, a, b]), (_A[0], _B)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grads(name: str) -> None:
    fn, args = GRAD_CASES[name]
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


def _fd_jacobian(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central-difference Jacobian, laid out as ``f(x).shape + x.shape``."""
    cols = []
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps))
    out = np.stack(cols, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


@pytest.mark.parametrize(
    "name, f, x",
    [
        (
            "logdet_cholesky",
            lambda a: 2 * fnp.sum(fnp.log(fnp.diagonal(fnp.linalg.cholesky(a)))),
            _S[0],
        ),
        ("inv_trace", lambda a: fnp.trace(fnp.linalg.inv(a) @ a.T), _A[0]),
        ("eigh_top", lambda a: fnp.linalg.eigvalsh(a)[-1], _S[0]),
        ("det", lambda a: fnp.linalg.det(a), _A[0]),
        ("solve_quad", lambda a: _V @ fnp.linalg.solve(a, _V), _A[0]),
    ],
)
def test_hessian_vs_fd_of_gradient(name: str, f, x: np.ndarray) -> None:
    hess = fluxion.jacfwd(fluxion.jacrev(f))(x)
    grad = fluxion.grad(f)
    fd = _fd_jacobian(grad, x)  # fd[i, j] = d grad[i] / d x[j]
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fluxion.jacrev(fluxion.jacrev(f))(x), hess, rtol=1e-8, atol=1e-10)


def test_cholesky_gradient_matches_numpy_finite_differences() -> None:
    # numpy reads the lower triangle only; the derivative agrees for any perturbation
    s = _S[0]
    g = fluxion.grad(lambda a: fnp.sum(fnp.linalg.cholesky(a) ** 3))(s)
    fd = _fd_jacobian(lambda a: np.sum(np.linalg.cholesky(a) ** 3), s)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.triu(g, 1), 0.0)


def test_vander_derivative_at_zero_is_finite() -> None:
    jac = fluxion.jacfwd(lambda x: fnp.vander(x, 3, increasing=True))(np.zeros(2))
    assert np.all(np.isfinite(jac))
    np.testing.assert_allclose(jac[:, 1], np.eye(2))
    np.testing.assert_allclose(jac[:, 0], 0.0)


# --------------------------------------------------------------------------------------------
# Plain-NumPy dispatch
# --------------------------------------------------------------------------------------------


def test_numpy_dispatch_inside_grad() -> None:
    a, b = _A[0], _V

    def f(a):
        x = np.linalg.solve(a, b)
        return np.sum(x**2) + np.linalg.slogdet(a)[1] + np.trace(np.linalg.inv(a)) + (a @ x)[0]

    def g(a):
        x = fnp.linalg.solve(a, b)
        return fnp.sum(x**2) + fnp.linalg.slogdet(a)[1] + fnp.trace(fnp.linalg.inv(a)) + (a @ x)[0]

    np.testing.assert_allclose(fluxion.grad(f)(a), fluxion.grad(g)(a))
    check_grads(f, (a,), order=1)


def test_numpy_dispatch_contractions() -> None:
    a, b = _B, _R.standard_normal((3, 2))
    f = lambda a: np.einsum("ij,jk->ik", a, b) + np.dot(a, b) + np.tensordot(a, b, 1)  # noqa: E731
    check_grads(f, (a,), order=1)
    h = lambda a: np.linalg.norm(a) + np.linalg.det(a[:3, :3]) + np.outer(a, a).sum()  # noqa: E731
    check_grads(h, (a,), order=1)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, args, message",
    [
        (fnp.linalg.solve, (np.ones((3, 4)), np.ones(3)), "solve: expected a square matrix"),
        (fnp.linalg.solve, (np.eye(3), np.ones(4)), "solve: expected b of shape"),
        (fnp.linalg.solve, (np.eye(3), np.ones((2, 4, 1))), "solve: expected b of shape"),
        (fnp.linalg.inv, (np.ones((2, 3)),), "inv: expected a square matrix"),
        (fnp.linalg.det, (np.ones((3, 2)),), "det: expected a square matrix"),
        (fnp.linalg.slogdet, (np.ones((3, 2)),), "slogdet: expected a square matrix"),
        (fnp.linalg.cholesky, (np.ones((3, 2)),), "cholesky: expected a square matrix"),
        (fnp.linalg.eigh, (np.ones((3, 2)),), "eigh: expected a square matrix"),
        (fnp.matmul, (np.ones((3, 3)), np.ones(4)), "matmul: expected the last axis"),
        (fnp.matmul, (np.ones((2, 3, 4)), np.ones((3, 4, 5))), "matmul: batch dimensions"),
        (fnp.matmul, (np.ones(()), np.ones(3)), "matmul: expected operands"),
        (fnp.tensordot, (np.ones((3, 4)), np.ones((3, 4)), 1), "tensordot: shape mismatch"),
        (
            lambda a, b: fnp.einsum("ij,jk", a, b),
            (np.ones((3, 4)), np.ones((5, 2))),
            "einsum: label 'j' has inconsistent sizes",
        ),
        (lambda a: fnp.einsum("ijk", a), (np.ones((3, 4)),), "einsum: operand 'ijk'"),
        (
            lambda a, b: fsl.solve_triangular(a, b),
            (np.ones((3, 3)), np.ones(4)),
            "triangular_solve: expected b of shape",
        ),
    ],
)
def test_errors(fn, args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fn(*args)
    # the same error under a transform (the shape rule explains the failure)
    with pytest.raises(ValueError, match=message):
        fluxion.grad(lambda x: _total(fn(x, *args[1:])))(args[0].astype(float))


def _total(out: object) -> object:
    return fnp.sum(out[0] if isinstance(out, tuple) else out)


def test_shape_rules_direct() -> None:
    from fluxion._src.core import ShapedArray

    f64 = np.dtype(np.float64)
    assert la.matmul_p.abstract_eval(
        ShapedArray((4,), f64), ShapedArray((2, 4, 5), f64)
    ) == ShapedArray((2, 5), f64)
    assert la.solve_p.abstract_eval(
        ShapedArray((2, 3, 3), f64), ShapedArray((3,), f64)
    ) == ShapedArray((2, 3), f64)
    w, v = la.eigh_p.abstract_eval(ShapedArray((2, 3, 3), np.dtype(np.int64)))
    assert w == ShapedArray((2, 3), f64) and v == ShapedArray((2, 3, 3), f64)
    with pytest.raises(ValueError, match=r"solve: expected a square matrix .* got f64\[3,4\]"):
        la.solve_p.abstract_eval(ShapedArray((3, 4), f64), ShapedArray((3,), f64))


def test_singular_matrix_raises_linalg_error() -> None:
    with pytest.raises(np.linalg.LinAlgError):
        fnp.linalg.solve(np.zeros((3, 3)), np.ones(3))


def test_unsupported_keywords() -> None:
    with pytest.raises(TypeError, match="out="):
        fnp.matmul(np.eye(2), np.eye(2), out=np.empty((2, 2)))
    with pytest.raises(ValueError, match="UPLO"):
        fnp.linalg.eigh(np.eye(2), "X")
    with pytest.raises(ValueError, match="trans"):
        fsl.solve_triangular(np.eye(2), np.ones(2), trans=5)
