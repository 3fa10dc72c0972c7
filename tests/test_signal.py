"""fluxion.scipy.signal beyond the op table (tests/optable/rows_signal.py): errors for bad
input, values against SciPy over modes and shapes, and derivative paths the rows do not take
(per-example coefficients under vmap, jit of a gradient, the ``a[0]`` normalisation)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.signal as fss
from fluxion.test_util import check_grads

RNG = np.random.default_rng(20261205)


def _rel(got, want) -> float:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300))


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: fss.lfilter([1.0], [0.0, 1.0], np.ones(4)), r"lfilter: expected a\[0\] != 0"),
        (lambda: fss.lfilter(np.ones((2, 2)), [1.0], np.ones(4)),
         "lfilter: expected non-empty 1-D"),
        (lambda: fss.lfilter([1.0], [], np.ones(4)), "lfilter: expected non-empty 1-D"),
        (lambda: fss.lfilter([1.0], [1.0], 3.0), "lfilter: expected a signal x"),
        (lambda: fss.lfilter([1.0], [1.0], np.ones(4), axis=1), "lfilter: axis 1 is out of"),
        (lambda: fss.lfilter([1.0, 2.0, 3.0], [1.0], np.ones(4), zi=np.ones(3)),
         r"lfilter: expected zi of shape \(2,\)"),
        (lambda: fss.sosfilt(np.ones((2, 5)), np.ones(4)), "sosfilt: expected sos of shape"),
        (lambda: fss.sosfilt(np.ones((1, 6)) * 2.0, np.ones(4)), r"sosfilt: expected sos\[:, 3\]"),
        (lambda: fss.sosfilt(ss.butter(2, 0.3, output="sos"), np.ones(4), zi=np.ones(2)),
         "sosfilt: expected zi of shape"),
        (lambda: fss.savgol_filter(np.ones(5), 7, 2), "savgol_filter: with mode='interp'"),
        (lambda: fss.savgol_filter(np.ones(9), 5, 5), "savgol_filter: expected 0 <= polyorder"),
        (lambda: fss.savgol_filter(np.ones(9), 5, 2, mode="reflect"),
         "savgol_filter: expected mode"),
        (lambda: fss.savgol_filter(np.ones(9), 5.0, 2), "savgol_filter: expected an integer"),
        (lambda: fss.savgol_coeffs(5, 6), "savgol_coeffs: expected 0 <= polyorder"),
        (lambda: fss.savgol_coeffs(5, 2, pos=5), "savgol_coeffs: expected 0 <= pos"),
        (lambda: fss.convolve(np.ones(3), np.ones((2, 2))), "convolve: expected in1 and in2 of"),
        (lambda: fss.convolve(np.ones(3), np.ones(2), mode="middle"), "convolve: expected mode"),
        (lambda: fss.convolve(np.ones(0), np.ones(2)), "convolve: expected non-empty inputs"),
        (lambda: fss.correlate(np.ones(3), np.ones(0)), "correlate: expected non-empty inputs"),
        (lambda: fss.convolve(np.ones(3), np.ones(2), method="slow"), "convolve: expected method"),
        (lambda: fss.convolve(np.ones((3, 1)), np.ones((1, 3)), mode="valid"),
         "convolve: for 'valid' mode one input"),
        (lambda: fss.correlate(np.ones((3, 1)), np.ones((1, 3)), mode="valid"),
         "correlate: for 'valid' mode one input"),
        (lambda: fss.fftconvolve(np.ones((3, 2)), np.ones((2, 3)), axes=0),
         "fftconvolve: in1 and in2 must have equal sizes"),
        (lambda: fss.convolve2d(np.ones(3), np.ones((2, 2))), "convolve2d: expected two 2-D"),
        (lambda: fss.correlate2d(np.ones((3, 3)), np.ones(2)), "correlate2d: expected two 2-D"),
        (lambda: fss.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="reflect"),
         "convolve2d: expected boundary"),
        (lambda: fss.convolve2d(np.ones((3, 3)), np.ones((2, 2)), fillvalue=[1.0, 2.0]),
         "convolve2d: expected a scalar fillvalue"),
        (lambda: fss.windows.kaiser(-1, 2.0), "kaiser: expected a non-negative integer"),
        (lambda: fss.windows.exponential(5, center=1.0), "exponential: expected center=None"),
        (lambda: fss.get_window("kaiser", 8), "get_window: the 'kaiser' window needs"),
        (lambda: fss.get_window("nonsense", 8), "get_window: "),
        (lambda: fss.get_window([1, 2], 8), "get_window: expected a window name"),
    ],
)
def test_bad_input_raises_naming_the_function(call, match) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- values over modes and shapes ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_convolve_correlate_match_scipy(name: str, mode: str, method: str) -> None:
    for s1, s2 in [((7,), (4,)), ((4,), (7,)), ((5, 6), (2, 3)), ((2, 3), (5, 6)),
                   ((4, 3, 3), (2, 2, 3))]:
        for cplx in (False, True):
            a, b = RNG.standard_normal(s1), RNG.standard_normal(s2)
            if cplx:
                a, b = a + 1j * RNG.standard_normal(s1), b + 1j * RNG.standard_normal(s2)
            want = getattr(ss, name)(a, b, mode=mode, method=method)
            got = getattr(fss, name)(a, b, mode=mode, method=method)
            assert _rel(got, want) < (1e-12 if method == "direct" else 1e-10)


def test_convolve_integers_stay_integers() -> None:
    a, b = np.arange(6), np.array([1, -2, 3])
    for method in ("direct", "fft", "auto"):
        got, want = fss.convolve(a, b, method=method), ss.convolve(a, b, method=method)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_single_precision_stays_single() -> None:
    x, k = np.arange(10, dtype=np.float32), np.ones(3, np.float32)
    for name in ("convolve", "correlate", "fftconvolve", "oaconvolve"):
        assert getattr(fss, name)(x, k).dtype == getattr(ss, name)(x, k).dtype == np.float32
    got, want = fss.savgol_filter(x, 5, 2), ss.savgol_filter(x, 5, 2)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)


def test_auto_method_takes_the_fft_for_large_inputs() -> None:
    a, b = RNG.standard_normal(600), RNG.standard_normal(300)
    assert _rel(fss.convolve(a, b), ss.convolve(a, b)) < 1e-10


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_2d_match_scipy(mode: str, boundary: str) -> None:
    for s1, s2 in [((5, 6), (2, 3)), ((2, 3), (5, 6)), ((4, 4), (3, 3)), ((6, 5), (4, 2))]:
        a, b = RNG.standard_normal(s1), RNG.standard_normal(s2) + 1j * RNG.standard_normal(s2)
        for name in ("convolve2d", "correlate2d"):
            want = getattr(ss, name)(a, b, mode, boundary, fillvalue=0.7)
            got = getattr(fss, name)(a, b, mode, boundary, fillvalue=0.7)
            assert _rel(got, want) < 1e-12, (name, s1, s2)


@pytest.mark.parametrize("nb, na, length", [(3, 3, 8), (1, 4, 8), (4, 2, 8), (3, 4, 2),
                                            (2, 2, 1)])
def test_lfilter_state_matches_scipy(nb: int, na: int, length: int) -> None:
    b = RNG.standard_normal(nb)
    a = np.r_[1.7, 0.3 * RNG.standard_normal(na - 1)]
    x = RNG.standard_normal((length, 2))
    zi = RNG.standard_normal((max(na, nb) - 1, 2))
    y, zf = fss.lfilter(b, a, x, axis=0, zi=zi)
    y_want, zf_want = ss.lfilter(b, a, x, axis=0, zi=zi)
    assert _rel(y, y_want) < 1e-12
    assert _rel(zf, zf_want) < 1e-12
    # a broadcast zi (size 1 along the other axis)
    y, zf = fss.lfilter(b, a, x, axis=0, zi=zi[:, :1])
    y_want, zf_want = ss.lfilter(b, a, x, axis=0, zi=np.repeat(zi[:, :1], 2, axis=1))
    assert _rel(y, y_want) < 1e-12 and _rel(zf, zf_want) < 1e-12


@pytest.mark.parametrize("mode", ["interp", "mirror", "nearest", "constant", "wrap"])
def test_savgol_matches_scipy(mode: str) -> None:
    x = RNG.standard_normal((3, 15))
    for window, order, deriv in [(5, 2, 0), (7, 3, 1), (6, 2, 0), (6, 3, 2), (9, 4, 0)]:
        want = ss.savgol_filter(x, window, order, deriv, delta=0.5, mode=mode, cval=0.3)
        got = fss.savgol_filter(x, window, order, deriv, delta=0.5, mode=mode, cval=0.3)
        # the interp edges fit polynomials (pinv here, polyfit in SciPy): agree to the
        # conditioning of the Vandermonde matrix
        assert _rel(got, want) < 1e-11


@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("M", [1, 2, 7, 8])
def test_windows_match_scipy(M: int, sym: bool) -> None:
    import scipy.signal.windows as sw

    w = fss.windows
    for name in ("hann", "hamming", "blackman", "bartlett", "triang", "boxcar", "cosine"):
        assert _rel(getattr(w, name)(M, sym=sym), getattr(sw, name)(M, sym=sym)) < 1e-13
    for name, args in [("kaiser", (3.3,)), ("gaussian", (1.7,)), ("tukey", (0.6,)),
                       ("tukey", (0.0,)), ("tukey", (1.0,)), ("general_gaussian", (1.5, 2.0)),
                       ("general_cosine", ([0.5, 0.3, 0.2],)), ("general_hamming", (0.6,))]:
        got, want = getattr(w, name)(M, *args, sym=sym), getattr(sw, name)(M, *args, sym=sym)
        assert _rel(got, want) < 1e-13, name
    for window in ("hann", ("kaiser", 4.0), 7.5, ("tukey", 0.3), "blackmanharris"):
        got = fss.get_window(window, M, fftbins=not sym)
        assert _rel(got, ss.get_window(window, M, fftbins=not sym)) < 1e-13


# --- derivatives beyond the rows -----------------------------------------------------------------


def test_lfilter_per_example_coefficients_under_vmap() -> None:
    b = RNG.standard_normal((3, 2))
    a = np.c_[np.ones(3), 0.4 * RNG.uniform(-1, 1, (3, 2))]
    x = RNG.standard_normal((3, 6))
    got = fluxion.vmap(lambda b, a, x: fss.lfilter(b, a, x))(b, a, x)
    want = np.stack([ss.lfilter(b[i], a[i], x[i]) for i in range(3)])
    assert _rel(got, want) < 1e-12
    # and its gradient, batched the same way
    g = fluxion.vmap(fluxion.grad(lambda a: fnp.sum(fss.lfilter(b[0], a, x[0]) ** 2)))(a)
    eps = 1e-6
    for i in range(3):
        for k in range(3):
            e = np.zeros(3)
            e[k] = eps
            fd = (np.sum(ss.lfilter(b[0], a[i] + e, x[0]) ** 2)
                  - np.sum(ss.lfilter(b[0], a[i] - e, x[0]) ** 2)) / (2 * eps)
            assert abs(g[i, k] - fd) < 1e-6 * max(1.0, abs(fd))


def test_lfilter_gradient_under_jit_and_third_order() -> None:
    b, a = RNG.standard_normal(3), np.array([1.2, -0.3, 0.1])
    x = RNG.standard_normal(7)

    def loss(b, a, x):
        return fnp.sum(fnp.sin(fss.lfilter(b, a, x)))

    grads = fluxion.jit(fluxion.grad(loss, argnums=(0, 1, 2)))(b, a, x)
    eager = fluxion.grad(loss, argnums=(0, 1, 2))(b, a, x)
    for g, e in zip(grads, eager):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
    check_grads(lambda a: fss.lfilter(b, a, x), (a,), order=3, modes=("fwd", "rev"))


def test_sosfilt_gradient_in_initial_state_and_sections() -> None:
    sos = ss.butter(3, 0.25, output="sos")
    x = RNG.standard_normal(10)
    zi = RNG.standard_normal((sos.shape[0], 2))
    check_grads(lambda x, zi: fss.sosfilt(sos, x, zi=zi), (x, zi), order=2,
                modes=("fwd", "rev"))
    check_grads(lambda num: fss.sosfilt(fnp.concatenate([num, sos[:, 3:]], axis=1), x),
                (sos[:, :3],), order=2, modes=("fwd", "rev"))


def test_window_parameters_differentiate() -> None:
    check_grads(lambda beta: fss.windows.kaiser(9, beta), (np.array(5.0),), order=2,
                modes=("fwd", "rev"))
    check_grads(lambda std: fss.get_window(("gaussian", std), 9), (np.array(1.3),), order=2,
                modes=("fwd", "rev"))
    check_grads(lambda p: fss.windows.general_gaussian(7, p, 1.5), (np.array(0.8),), order=2,
                modes=("fwd", "rev"))


def test_lfilter_complex_state_values_and_derivatives() -> None:
    b = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    a = np.array([1.2, 0.2 - 0.1j, 0.05j])
    x = RNG.standard_normal(6) + 1j * RNG.standard_normal(6)
    zi = RNG.standard_normal(2) + 1j * RNG.standard_normal(2)
    (y, zf), (y_want, zf_want) = fss.lfilter(b, a, x, zi=zi), ss.lfilter(b, a, x, zi=zi)
    assert _rel(y, y_want) < 1e-12 and _rel(zf, zf_want) < 1e-12
    check_grads(lambda b, a, x, zi: fss.lfilter(b, a, x, zi=zi), (b, a, x, zi), order=2,
                modes=("fwd", "rev"))
