"""fluxion.scipy.linalg (issue 14): bad input, unsupported options and undefined derivatives
give clear errors naming the function; the matrix-function derivatives agree with SciPy's
Frechet derivative. Values and derivatives of every function are checked by the op table
(tests/optable/rows_scipy_linalg.py, rows ``sl-*``)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import fluxion
import fluxion.scipy.linalg as fsl

RNG = np.random.default_rng(14)
A = RNG.standard_normal((3, 3)) / 3 + 2 * np.eye(3)
E = RNG.standard_normal((3, 3))
RECT = RNG.standard_normal((3, 4))


@pytest.mark.parametrize(
    "name, call",
    [
        ("expm", lambda: fsl.expm(RECT)),
        ("logm", lambda: fsl.logm(np.ones(3))),
        ("sqrtm", lambda: fsl.sqrtm(RECT)),
        ("inv", lambda: fsl.inv(RECT)),
        ("det", lambda: fsl.det(np.ones(3))),
        ("solve", lambda: fsl.solve(RECT, np.ones(3))),
        ("schur", lambda: fsl.schur(RECT)),
        ("expm_frechet", lambda: fsl.expm_frechet(A, RECT)),
        ("solve_sylvester", lambda: fsl.solve_sylvester(RECT, A, A)),
        ("solve_continuous_lyapunov", lambda: fsl.solve_continuous_lyapunov(A, RECT)),
        ("solve_discrete_lyapunov", lambda: fsl.solve_discrete_lyapunov(RECT, A)),
        ("lu_solve", lambda: fsl.lu_solve((RECT, np.zeros(3, np.int32)), np.ones(3))),
        ("eigh", lambda: fsl.eigh(RECT)),
        ("eigvalsh", lambda: fsl.eigvalsh(A, RECT)),
        ("lu", lambda: fsl.lu(np.ones(3))),
        ("polar", lambda: fsl.polar(np.ones(3))),
        ("qr", lambda: fsl.qr(np.ones(3))),
        ("cosm", lambda: fsl.cosm(RECT)),
        ("tanhm", lambda: fsl.tanhm(np.ones(3))),
        ("eig", lambda: fsl.eig(RECT)),
        ("eigvals", lambda: fsl.eigvals(A, np.eye(2))),
        ("khatri_rao", lambda: fsl.khatri_rao(A, RECT)),
        ("companion", lambda: fsl.companion(np.ones(1))),
        ("solveh_banded", lambda: fsl.solveh_banded(np.ones((2, 4)), np.ones(3))),
    ],
)
def test_non_square_or_wrong_ndim(name: str, call) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        call()


@pytest.mark.parametrize(
    "name, call",
    [
        ("solve", lambda: fsl.solve(A, np.ones(4))),
        ("solve_sylvester", lambda: fsl.solve_sylvester(A, A, np.ones((2, 3)))),
        ("expm_frechet", lambda: fsl.expm_frechet(A, np.eye(2))),
        ("lu_solve", lambda: fsl.lu_solve(fsl.lu_factor(A), np.ones(4))),
        ("solve_banded", lambda: fsl.solve_banded((1, 1), np.ones((2, 4)), np.ones(4))),
        ("solve_banded", lambda: fsl.solve_banded((1, 1), np.ones((3, 4)), np.ones(5))),
        ("solve_banded", lambda: fsl.solve_banded((-1, 1), np.ones((1, 4)), np.ones(4))),
        ("lstsq", lambda: fsl.lstsq(RECT, np.ones(4))),
        ("toeplitz", lambda: fsl.toeplitz(np.ones((2, 3)), np.ones((3, 3)))),
        ("hankel", lambda: fsl.hankel(np.ones((2, 3)), np.ones((3, 3)))),
        ("block_diag", lambda: fsl.block_diag(np.ones((2, 2, 2)))),
        ("eigh", lambda: fsl.eigh(A, np.eye(2))),
        ("eigh", lambda: fsl.eigh(A, subset_by_index=[2, 1])),
        ("pinv", lambda: fsl.pinv(A, atol=-1.0)),
    ],
)
def test_mismatched_shapes_and_bad_values(name: str, call) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: "):
        call()


@pytest.mark.parametrize(
    "name, call",
    [
        ("solve", lambda: fsl.solve(A, E, assume_a="banded-ish")),
        ("lu_solve", lambda: fsl.lu_solve(fsl.lu_factor(A), E, trans=3)),
        ("qr", lambda: fsl.qr(A, mode="raw")),
        ("schur", lambda: fsl.schur(A, output="quaternion")),
        ("polar", lambda: fsl.polar(A, side="up")),
        ("svd", lambda: fsl.svd(A, lapack_driver="gesvj")),
        ("expm_frechet", lambda: fsl.expm_frechet(A, E, method="taylor")),
        ("solve_discrete_lyapunov", lambda: fsl.solve_discrete_lyapunov(A, E, method="x")),
        ("lstsq", lambda: fsl.lstsq(A, E, lapack_driver="gesv")),
    ],
)
def test_bad_options(name: str, call) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        call()


@pytest.mark.parametrize(
    "name, call",
    [
        ("qr", lambda: fsl.qr(A, pivoting=True)),
        ("schur", lambda: fsl.schur(A, sort="lhp")),
        ("eigh", lambda: fsl.eigh(A, subset_by_value=(0.0, 1.0))),
        ("eigvalsh", lambda: fsl.eigvalsh(A, A @ A.T, type=2)),
        ("logm", lambda: fsl.logm(A, disp=False)),
        ("sqrtm", lambda: fsl.sqrtm(A, disp=False)),
        ("eig", lambda: fsl.eig(A, left=True)),
        ("eig", lambda: fsl.eig(A, np.eye(3))),
        ("eigvals", lambda: fsl.eigvals(A, homogeneous_eigvals=True)),
    ],
)
def test_unsupported_options(name: str, call) -> None:
    with pytest.raises(NotImplementedError, match=rf"^{name}: "):
        call()


def test_no_real_logarithm_or_root() -> None:
    neg = np.diag([-1.0, 2.0])
    for f in (fsl.logm, fsl.sqrtm):
        with pytest.raises(ValueError, match="no real principal"):
            f(neg)
    # complex input gives the complex principal branch, as SciPy
    np.testing.assert_allclose(fsl.logm(neg.astype(complex)), sl.logm(neg), atol=1e-12)
    np.testing.assert_allclose(fsl.sqrtm(neg.astype(complex)), sl.sqrtm(neg), atol=1e-12)


def test_schur_derivatives_raise() -> None:
    with pytest.raises(NotImplementedError, match="^schur: derivatives"):
        fluxion.grad(lambda a: fluxion.numpy.sum(fsl.schur(a)[0]))(A)
    with pytest.raises(NotImplementedError, match="^schur: derivatives"):
        fluxion.jvp(lambda a: fsl.schur(a, output="complex"), (A,), (E,))
    # a function of the values alone stays differentiable at zero cost
    assert np.all(fluxion.grad(lambda a: fluxion.numpy.sum(fsl.lu(a)[0]))(A) == 0)


@pytest.mark.parametrize("cplx", [False, True])
def test_expm_derivatives_are_scipy_frechet(cplx: bool) -> None:
    a = A + (0.4j * E if cplx else 0)
    e = E + (0.3j * A if cplx else 0)
    _, tangent = fluxion.jvp(fsl.expm, (a,), (e,))
    np.testing.assert_allclose(tangent, sl.expm_frechet(a, e, compute_expm=False), rtol=1e-10,
                               atol=1e-12)
    # reverse mode: the cotangent pairs as Re sum(g * t), so a_bar = L(A^T, g)
    g = RNG.standard_normal((3, 3))
    _, pull = fluxion.vjp(fsl.expm, a)
    (a_bar,) = pull(g)
    np.testing.assert_allclose(a_bar, sl.expm_frechet(a.T, g, compute_expm=False), rtol=1e-10,
                               atol=1e-12)


def test_sqrtm_derivative_solves_the_sylvester_equation() -> None:
    x = fsl.sqrtm(A)
    _, dx = fluxion.jvp(fsl.sqrtm, (A,), (E,))
    np.testing.assert_allclose(x @ dx + dx @ x, E, atol=1e-12)


def test_matrix_functions_under_jit() -> None:
    f = fluxion.jit(lambda a: fsl.expm(a) + fsl.logm(a) + fsl.sqrtm(a))
    np.testing.assert_allclose(f(A), sl.expm(A) + sl.logm(A) + sl.sqrtm(A), rtol=1e-12)
