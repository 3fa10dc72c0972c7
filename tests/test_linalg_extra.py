"""numpy.linalg beyond the op table (issue 13): complex Hermitian eigh derivatives, the values
of every norm order for real and complex input, and behaviour at degenerate points
(repeated or zero singular values and eigenvalues, shapes the derivatives do not cover)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion.test_util import check_grads

LA = fnp.linalg


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _complex(shape: tuple, seed: int = 0) -> np.ndarray:
    rng = _rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# --------------------------------------------------------------------------------------------
# eigh of complex Hermitian matrices (regression: complex, wrong eigenvalue derivatives)
# --------------------------------------------------------------------------------------------


def test_eigh_complex_eigenvalue_derivative_is_real_and_matches_formula() -> None:
    a = _complex((3, 3))
    h = a + a.conj().T
    t = _complex((3, 3), seed=1)
    w, dw = fluxion.jvp(lambda x: LA.eigh(x).eigenvalues, (h,), (t,))
    assert np.dtype(dw.dtype).kind == "f"
    _, v = np.linalg.eigh(h)
    herm = (t + t.conj().T) / 2  # eigh reads the lower triangle, so only its Hermitian part
    tl = np.tril(t, -1)
    used = tl + tl.conj().T + np.diag(t.diagonal().real)
    expected = np.real(np.einsum("ik,ij,jk->k", v.conj(), used, v))
    np.testing.assert_allclose(dw, expected, atol=1e-10)
    assert not np.allclose(used, herm)  # the triangle matters, not just the Hermitian part


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_complex_gradients_match_finite_differences(uplo: str) -> None:
    rng = _rng(2)
    xr, xi = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3))

    def f(xr: np.ndarray, xi: np.ndarray) -> tuple:
        w, v = LA.eigh(xr + 1j * xi, uplo)
        vh = fnp.conj(fnp.swapaxes(v, -1, -2))
        rec = (v * fnp.sin(w)[..., None, :]) @ vh
        return w, fnp.real(rec), fnp.imag(rec), fnp.real(v * fnp.conj(v))

    check_grads(f, (xr, xi), order=2)


def test_eigh_complex_values_read_one_triangle_like_numpy() -> None:
    a = _complex((2, 4, 4), seed=3)  # not Hermitian; the diagonal has imaginary parts
    for uplo in ("L", "U"):
        w, v = LA.eigh(a, uplo)
        w_ref, v_ref = np.linalg.eigh(a, uplo)
        np.testing.assert_allclose(w, w_ref, atol=1e-12)
        np.testing.assert_allclose(np.abs(v) ** 2, np.abs(v_ref) ** 2, atol=1e-10)


# --------------------------------------------------------------------------------------------
# norm: every order against NumPy (regression: complex 2, -2 and 'nuc' used x^T x)
# --------------------------------------------------------------------------------------------

MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]
VECTOR_ORDS = [None, 0, 1, -1, 2, -2, 0.5, 3.0, np.inf, -np.inf]


@pytest.mark.parametrize("kind", ["real", "complex"])
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (3, 3)])
@pytest.mark.parametrize("ord_", MATRIX_ORDS, ids=str)
def test_matrix_norm_values(kind: str, shape: tuple, ord_: object) -> None:
    x = _complex(shape, seed=4) if kind == "complex" else _rng(4).standard_normal(shape)
    np.testing.assert_allclose(LA.norm(x, ord_), np.linalg.norm(x, ord_), rtol=1e-12)
    np.testing.assert_allclose(
        LA.matrix_norm(x, ord="fro" if ord_ is None else ord_),
        np.linalg.matrix_norm(x, ord="fro" if ord_ is None else ord_),
        rtol=1e-12,
    )


@pytest.mark.parametrize("kind", ["real", "complex"])
@pytest.mark.parametrize("ord_", MATRIX_ORDS, ids=str)
@pytest.mark.parametrize("axis", [(0, 2), (2, 1)])
def test_matrix_norm_values_axis_keepdims(kind: str, ord_: object, axis: tuple) -> None:
    x = _complex((3, 2, 4), seed=5) if kind == "complex" else _rng(5).standard_normal((3, 2, 4))
    for keepdims in (False, True):
        got = LA.norm(x, ord_, axis=axis, keepdims=keepdims)
        ref = np.linalg.norm(x, ord_, axis=axis, keepdims=keepdims)
        assert np.shape(got) == ref.shape
        np.testing.assert_allclose(got, ref, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # negative ords at a zero
@pytest.mark.parametrize("kind", ["real", "complex"])
@pytest.mark.parametrize("ord_", VECTOR_ORDS, ids=str)
def test_vector_norm_values(kind: str, ord_: object) -> None:
    x = _complex((3, 5), seed=6) if kind == "complex" else _rng(6).standard_normal((3, 5))
    x[0, 1] = 0.0
    for axis in (0, 1, -1):
        for keepdims in (False, True):
            got = LA.norm(x, ord_, axis=axis, keepdims=keepdims)
            ref = np.linalg.norm(x, ord_, axis=axis, keepdims=keepdims)
            assert np.shape(got) == ref.shape
            np.testing.assert_allclose(got, ref, rtol=1e-12)
    np.testing.assert_allclose(LA.norm(x[0], ord_), np.linalg.norm(x[0], ord_), rtol=1e-12)
    o = 2 if ord_ is None else ord_
    np.testing.assert_allclose(
        LA.vector_norm(x, ord=o, axis=None), np.linalg.vector_norm(x, ord=o), rtol=1e-12
    )


@pytest.mark.parametrize("ord_", ["nuc", 2, -2, 1, np.inf])
def test_complex_matrix_norm_gradients(ord_: object) -> None:
    rng = _rng(7)
    xr, xi = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    check_grads(lambda a, b: LA.norm(a + 1j * b, ord_), (xr, xi), order=2)


# --------------------------------------------------------------------------------------------
# degenerate points
# --------------------------------------------------------------------------------------------


def test_svd_repeated_singular_values() -> None:
    # s is differentiable through a sum over the repeated group (the nuclear norm at I is
    # tr(da)); the singular vectors are not unique there and their tangents are not finite
    eye = np.eye(3)
    t = _rng(8).standard_normal((3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the unused U, V tangents divide by 0
        _, dnuc = fluxion.jvp(lambda a: LA.norm(a, "nuc"), (eye,), (t,))
    np.testing.assert_allclose(dnuc, np.trace(t), atol=1e-12)
    np.testing.assert_allclose(fluxion.grad(lambda a: LA.norm(a, "nuc"))(eye), eye, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (_, s, _), (du, ds, _) = fluxion.jvp(
            lambda a: tuple(LA.svd(a, full_matrices=False)), (eye,), (t,)
        )
    assert np.all(np.isfinite(ds))
    assert not np.all(np.isfinite(du))


def test_svd_zero_singular_value_of_a_tall_matrix() -> None:
    rng = _rng(9)
    q1, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    q2, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    a = q1[:, :2] @ np.diag([2.0, 1.0]) @ q2[:2]  # rank 2: s = (2, 1, ~1e-16)
    t = rng.standard_normal((4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (_, s, _), (du, ds, _) = fluxion.jvp(
            lambda x: tuple(LA.svd(x, full_matrices=False)), (a,), (t,)
        )
    assert s[-1] < 1e-14
    assert np.all(np.isfinite(ds))  # ds_k = Re(u_k^H da v_k), finite even at s_k = 0
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(ds, np.einsum("ik,ij,kj->k", u, t, vh), atol=1e-10)
    assert np.max(np.abs(du)) > 1e8  # (I - U U^H) da V / s blows up as s -> 0


def test_eigh_and_eig_at_repeated_eigenvalues() -> None:
    eye = np.eye(3)
    t = _rng(10).standard_normal((3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, dtr = fluxion.jvp(lambda a: fnp.sum(LA.eigvalsh(a)), (eye,), (t,))
        np.testing.assert_allclose(dtr, np.trace(t), atol=1e-12)
        _, (dw, dv) = fluxion.jvp(lambda a: tuple(LA.eig(a)), (eye,), (t,))
    np.testing.assert_allclose(dw, np.diag(t), atol=1e-12)
    assert not np.all(np.isfinite(dv))


def test_derivatives_that_are_not_defined_raise() -> None:
    rng = _rng(11)
    wide = rng.standard_normal((3, 4))
    with pytest.raises(NotImplementedError, match="qr: derivatives need a square or tall"):
        fluxion.jvp(lambda a: LA.qr(a).R, (wide,), (wide,))
    tall = rng.standard_normal((4, 3))
    with pytest.raises(NotImplementedError, match="qr: derivatives need"):
        fluxion.grad(lambda a: fnp.sum(LA.qr(a, "complete").Q))(tall)
    with pytest.raises(NotImplementedError, match="full_matrices=True"):
        fluxion.grad(lambda a: fnp.sum(LA.svd(a).U))(tall)
    # the singular values alone are fine with full_matrices=True (reverse and forward mode);
    # forward mode gives the first k singular vectors' tangents and NaN for the extra ones
    u, _, vh = np.linalg.svd(tall, full_matrices=False)
    for singular_values in (lambda a: LA.svd(a, compute_uv=False), lambda a: LA.svd(a).S):
        g = fluxion.grad(lambda a, f=singular_values: fnp.sum(f(a)))(tall)
        np.testing.assert_allclose(g, u @ vh, atol=1e-10)
    t = rng.standard_normal((4, 3))
    _, (du, ds, dvh) = fluxion.jvp(lambda a: tuple(LA.svd(a)), (tall,), (t,))
    _, (du_r, ds_r, dvh_r) = fluxion.jvp(
        lambda a: tuple(LA.svd(a, full_matrices=False)), (tall,), (t,)
    )
    np.testing.assert_allclose(ds, ds_r)
    np.testing.assert_allclose(du[:, :3], du_r)
    np.testing.assert_allclose(dvh, dvh_r)
    assert np.all(np.isnan(du[:, 3:]))


def test_bad_arguments_name_the_function() -> None:
    with pytest.raises(ValueError, match="qr: expected mode"):
        LA.qr(np.eye(2), "raw")
    with pytest.raises(ValueError, match="eig: expected a square matrix"):
        LA.eig(np.ones((2, 3)))
    with pytest.raises(ValueError, match="svd: expected an array of at least two"):
        LA.svd(np.ones(3))
    with pytest.raises(ValueError, match="tensorinv: expected prod"):
        LA.tensorinv(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="cross: expected 3-element"):
        LA.cross(np.ones(2), np.ones(2))


def test_rank_deficient_pinv_lstsq_rank() -> None:
    rng = _rng(12)
    a = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))
    b = rng.standard_normal(5)
    np.testing.assert_allclose(LA.pinv(a), np.linalg.pinv(a), atol=1e-12)
    for got, ref in zip(LA.lstsq(a, b), np.linalg.lstsq(a, b)):
        np.testing.assert_allclose(got, ref, atol=1e-10)
    assert fluxion.jit(LA.matrix_rank)(a) == np.linalg.matrix_rank(a) == 2
    stack = np.stack([a, rng.standard_normal((5, 4))])
    np.testing.assert_array_equal(fluxion.jit(LA.matrix_rank)(stack), [2, 4])


def test_eig_is_always_complex_and_traced_lstsq_matches_numpy() -> None:
    w, v = LA.eig(np.diag([1.0, 2.0, 3.0]))
    assert w.dtype == v.dtype == np.complex128
    rng = _rng(13)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    got = fluxion.jit(lambda a, b: tuple(LA.lstsq(a, b))[:2])(a, b)
    ref = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(got[0], ref[0], atol=1e-12)
    np.testing.assert_allclose(got[1], ref[1], atol=1e-12)


# --------------------------------------------------------------------------------------------
# cholesky and slogdet of complex matrices (their rules used plain transposes)
# --------------------------------------------------------------------------------------------


def _hpd(shape: tuple, seed: int) -> np.ndarray:
    a = _complex(shape, seed)
    return a @ np.conj(np.swapaxes(a, -1, -2)) / shape[-1] + np.eye(shape[-1])


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_complex_gradients(upper: bool) -> None:
    h = _hpd((2, 3, 3), seed=14)

    def f(xr: np.ndarray, xi: np.ndarray) -> tuple:
        c = LA.cholesky(xr + 1j * xi, upper=upper)
        return fnp.real(c), fnp.imag(c)

    np.testing.assert_allclose(LA.cholesky(h, upper=upper), np.linalg.cholesky(h, upper=upper))
    check_grads(f, (h.real, h.imag), order=2)


def test_slogdet_complex_gradients() -> None:
    a = _complex((2, 3, 3), seed=15)

    def f(xr: np.ndarray, xi: np.ndarray) -> tuple:
        sign, logabsdet = LA.slogdet(xr + 1j * xi)
        return fnp.real(sign), fnp.imag(sign), logabsdet

    check_grads(f, (a.real, a.imag), order=2)
