"""fluxion.numpy.fft beyond the op table: values of every function and norm against NumPy,
dtypes, odd lengths, gradients of real losses through round trips, jit, vmap, dispatch of
plain ``numpy.fft`` calls and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion.test_util import check_grads

NORMS = (None, "backward", "ortho", "forward")
RNG = np.random.default_rng(13)


def _x(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def _z(shape):
    return _x(shape) + 1j * _x(shape)


def _abs2(z, lib=fnp):
    # |z|^2 from the parts (fluxion's abs of a complex value has its own derivative rule)
    return lib.real(z) ** 2 + lib.imag(z) ** 2


ONE_D = [
    # (name, input maker, n values)
    ("fft", _z, (None, 4, 9)),
    ("ifft", _z, (None, 3, 8)),
    ("rfft", _x, (None, 5, 10)),
    ("irfft", _z, (None, 1, 7, 8, 11)),
    ("hfft", _z, (None, 5, 8)),
    ("ihfft", _x, (None, 4, 9)),
]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,make,ns", ONE_D, ids=[c[0] for c in ONE_D])
def test_one_dimensional_values_match_numpy(name, make, ns, norm):
    a = make((3, 6))
    for n in ns:
        for axis in (-1, 0):
            got = getattr(fnp.fft, name)(a, n=n, axis=axis, norm=norm)
            want = getattr(np.fft, name)(a, n=n, axis=axis, norm=norm)
            assert got.shape == want.shape and got.dtype == want.dtype, (name, n, axis)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


ND = [
    ("fft2", _z, {}),
    ("ifft2", _z, {"s": (3, 5)}),
    ("fftn", _z, {"axes": (0, 2)}),
    ("ifftn", _z, {"s": (2, -1, 6), "axes": (0, 1, 2)}),
    ("rfft2", _x, {}),
    ("rfftn", _x, {"s": (3, 7), "axes": (1, 2)}),
    ("irfft2", _z, {"s": (4, 7)}),
    ("irfftn", _z, {}),
    ("irfftn", _z, {"s": (2, 3, 5), "axes": (0, 1, 2)}),
    ("irfftn", _z, {"s": (2, -1), "axes": (0, 2)}),
]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,make,kw", ND, ids=[f"{c[0]}-{i}" for i, c in enumerate(ND)])
def test_n_dimensional_values_match_numpy(name, make, kw, norm):
    a = make((2, 3, 4))
    got = getattr(fnp.fft, name)(a, norm=norm, **kw)
    want = getattr(np.fft, name)(a, norm=norm, **kw)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_single_precision_and_integer_dtypes_match_numpy():
    for a in (_x((8,), np.float32), _z((8,)).astype(np.complex64), np.arange(8),
              np.arange(8) % 2 == 0):
        for name in ("fft", "ifft", "irfft", "hfft"):
            got, want = getattr(fnp.fft, name)(a), getattr(np.fft, name)(a)
            assert got.dtype == want.dtype, (name, a.dtype)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        if a.dtype.kind != "c":
            for name in ("rfft", "ihfft"):
                got, want = getattr(fnp.fft, name)(a), getattr(np.fft, name)(a)
                assert got.dtype == want.dtype, (name, a.dtype)
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_helpers_match_numpy():
    for n in (1, 6, 7):
        for d in (1.0, 0.25):
            np.testing.assert_array_equal(fnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d))
            np.testing.assert_array_equal(fnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d))
    a = _x((4, 5, 3))
    for axes in (None, 0, (1,), (0, 2), -1):
        np.testing.assert_array_equal(fnp.fft.fftshift(a, axes), np.fft.fftshift(a, axes))
        np.testing.assert_array_equal(fnp.fft.ifftshift(a, axes), np.fft.ifftshift(a, axes))
    np.testing.assert_array_equal(fnp.fft.ifftshift(fnp.fft.fftshift(a)), a)


def test_irfft_odd_length_round_trip_and_ignored_imaginary_parts():
    x = _x((7,))
    np.testing.assert_allclose(fnp.fft.irfft(fnp.fft.rfft(x), n=7), x, atol=1e-14)
    spec = _z((5,))
    # the imaginary part of the zero frequency (and of Nyquist for even n) is ignored: its
    # derivative is exactly zero, that of an odd n's last frequency is not
    for n, dead in ((8, (0, 4)), (9, (0,))):
        jac = fluxion.jacobian(lambda y, n=n: fnp.fft.irfft(spec.real + 1j * y, n=n))(spec.imag)
        for k in range(5):
            assert (np.all(jac[:, k] == 0)) == (k in dead), (n, k)


@pytest.mark.parametrize("norm", NORMS)
def test_grad_of_a_real_loss_through_a_round_trip(norm):
    x = _x((9,))
    filt = np.linspace(1.0, 0.1, 5)

    def loss(x):
        y = fnp.fft.irfft(fnp.fft.rfft(x, norm=norm) * filt, n=9, norm=norm)
        return fnp.sum(fnp.sin(y) * x)

    check_grads(loss, (x,), order=2)

    def loss_complex(x, y):
        z = fnp.fft.ifftn(fnp.fft.fftn(x + 1j * y, norm=norm) ** 2, norm=norm)
        return fnp.sum(_abs2(fnp.fft.fftshift(z)))

    check_grads(loss_complex, (_x((3, 4)), _x((3, 4))), order=2)


def test_hermitian_losses_against_finite_differences():
    def loss(x, y):
        h = fnp.fft.hfft(x + 1j * y, n=7, norm="ortho")
        return fnp.sum(h * fnp.cos(h)) + fnp.sum(_abs2(fnp.fft.ihfft(h)))

    check_grads(loss, (_x((4,)), _x((4,))), order=2)


def test_fftfreq_is_differentiable_in_a_traced_spacing():
    g = fluxion.grad(lambda d: fnp.sum(fnp.fft.fftfreq(6, d) ** 2))(0.5)
    want = -2 * np.sum(np.fft.fftfreq(6, 1.0) ** 2) / 0.5**3
    np.testing.assert_allclose(g, want, rtol=1e-12)


def test_jit_and_vmap():
    x = _x((4, 6))

    def f(x):
        back = fnp.fft.irfft2(fnp.fft.rfft2(x) * 2.0, s=(4, 6))
        return back + fnp.real(fnp.fft.fft(x, n=8))[..., :6]

    want = f(x)
    np.testing.assert_allclose(fluxion.jit(f)(x), want, atol=1e-12)
    batch = np.stack([x, 2 * x, -x])
    np.testing.assert_allclose(
        fluxion.vmap(lambda v: fnp.fft.fft(v, axis=0))(batch), np.fft.fft(batch, axis=1),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        fluxion.vmap(fnp.fft.irfft, in_axes=1)(batch.astype(complex)),
        np.fft.irfft(np.moveaxis(batch, 1, 0)),
        atol=1e-12,
    )
    def loss(x):
        return fnp.sum(fnp.fft.irfft(fnp.fft.rfft(x, norm="ortho") ** 2, n=5) * x)

    np.testing.assert_allclose(fluxion.jit(fluxion.grad(loss))(x[0, :5]),
                               fluxion.grad(loss)(x[0, :5]), rtol=1e-12)
    jac = fluxion.jit(fluxion.jacfwd(lambda v: fnp.real(fnp.fft.fft(v))))(x[0])
    np.testing.assert_allclose(jac, np.real(np.fft.fft(np.eye(6), axis=0)), atol=1e-12)


def test_plain_numpy_fft_calls_on_traced_values_are_routed():
    x = _x((6,))
    g = fluxion.grad(lambda x: np.sum(_abs2(np.fft.fft(x), np)))(x)
    # Parseval: sum |F x|^2 = n sum x^2
    np.testing.assert_allclose(g, 2 * 6 * x, rtol=1e-12)


def test_fnp_fft_is_the_public_module():
    import fluxion.numpy.fft as public

    assert fnp.fft is public
    assert sorted(public.__all__) == sorted(
        ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
         "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]
    )


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: fnp.fft.fft(np.ones(4), norm="unitary"), ValueError, "fft: expected norm"),
        (lambda: fnp.fft.fft(np.ones(4), n=0), ValueError, "fft: invalid number"),
        (lambda: fnp.fft.fft(np.ones(4), n=2.5), TypeError, "fft: expected an integer length"),
        (lambda: fnp.fft.fft(np.ones(4), axis=1), ValueError, "out of bounds"),
        (lambda: fnp.fft.fft(np.float64(1.0)), ValueError, "at least 1 dimension"),
        (lambda: fnp.fft.rfft(np.ones(4) + 1j), TypeError, "rfft: expected a real array"),
        (lambda: fnp.fft.irfft(np.ones(1)), ValueError, "irfft: invalid number"),
        (lambda: fnp.fft.fft(np.ones((2, 0))), ValueError, "fft: invalid number .* axis 1"),
        (lambda: fnp.fft.rfftn(np.ones((0, 3))), ValueError, "rfftn: invalid number"),
        (lambda: fnp.fft.fftn(np.ones((2, 2)), axes=(0, 0)), ValueError, "repeated axes"),
        (lambda: fnp.fft.fftn(np.ones((2, 2)), s=(2,), axes=(0, 1)), ValueError, "same length"),
        (lambda: fnp.fft.fft(np.ones(4), out=np.ones(4)), TypeError, "out= is not supported"),
        (lambda: fnp.fft.fft(np.array(["a"])), TypeError, "expected a numeric array"),
    ],
)
def test_bad_input_errors_name_the_function(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_docstring_examples_run():
    import doctest

    import fluxion._src.numpy.fft as module

    for name in module.__all__:
        assert "Examples" in getattr(module, name).__doc__, name
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= len(module.__all__) and result.failed == 0
