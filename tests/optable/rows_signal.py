"""Op-table rows for ``fluxion.scipy.signal`` (issue 14): convolution and correlation (N-D,
direct and FFT), 2-D convolution with boundaries, lfilter (the primitive
``fluxion._src.prims.signal.lfilter_p``) with and without initial state, sosfilt,
Savitzky-Golay and the windows.

Static parameters (modes, lengths, orders, axes) are fixed inside each row's function; the
float parameters the functions differentiate in (filter coefficients, ``fillvalue``,
``delta``, ``cval``, window shape parameters) are row arguments. ``sosfilt`` rows build the
sections with ``a0 = 1`` inside the function (SciPy requires it), so only the free
coefficients are perturbed.
"""

from __future__ import annotations

import numpy as np
import scipy.signal as ss
import scipy.signal.windows as sw

import fluxion.numpy as fnp
import fluxion.scipy.signal as fss
from fluxion._src.prims.signal import lfilter_p
from optable import OpCase

_LF = (lfilter_p,)
_EXACT = {"rtol": 1e-12, "atol": 1e-13}
_FFT = {"rtol": 1e-10, "atol": 1e-12}  # FFT rounding is relative to the largest output
_SAVGOL = {"rtol": 1e-10, "atol": 1e-12}  # edge fits: pinv vs SciPy's polyfit (conditioning)


def _row(name, fn, ref, make_args, prims=(), **kw):
    return OpCase(name=f"sg-{name}", fn=fn, ref=ref, make_args=make_args, prims=prims, **kw)


def _normal(*shapes, cplx: bool = False):
    def make_args(rng: np.random.Generator) -> tuple:
        out = []
        for s in shapes:
            x = rng.standard_normal(s)
            if cplx:
                x = x + 1j * rng.standard_normal(s)
            out.append(x)
        return tuple(out)

    return make_args


def _scalars(*ranges):
    def make_args(rng: np.random.Generator) -> tuple:
        return tuple(np.array(rng.uniform(lo, hi)) for lo, hi in ranges)

    return make_args


def _denominator(rng: np.random.Generator, n: int, a0: float = 1.0, cplx: bool = False):
    """Stable denominators: ``a0`` then small coefficients (poles well inside the circle)."""
    tail = 0.25 * rng.uniform(-1.0, 1.0, n - 1)
    if cplx:
        tail = tail + 0.25j * rng.uniform(-1.0, 1.0, n - 1)
    return np.concatenate([[a0 + (0j if cplx else 0.0)], tail])


def _lfilter_args(nb: int, na: int, shape: tuple, a0: float = 1.0, cplx: bool = False):
    def make_args(rng: np.random.Generator) -> tuple:
        b = rng.standard_normal(nb)
        x = rng.standard_normal(shape)
        if cplx:
            b = b + 1j * rng.standard_normal(nb)
            x = x + 1j * rng.standard_normal(shape)
        return b, _denominator(rng, na, a0, cplx), x

    return make_args


def _lfilter_zi_args(rng: np.random.Generator) -> tuple:
    b, a, x = _lfilter_args(3, 4, (2, 7))(rng)
    return b, a, x, rng.standard_normal((2, 3))


def _lfilter_zi_short_args(rng: np.random.Generator) -> tuple:
    # a signal shorter than the state: zf carries part of zi forward
    b, a, x = _lfilter_args(4, 2, (2,))(rng)
    return b, a, x, rng.standard_normal(3)


def _sos_args(rng: np.random.Generator) -> tuple:
    num = rng.standard_normal((2, 3))
    den = 0.3 * rng.uniform(-1.0, 1.0, (2, 2))
    return num, den, rng.standard_normal((3, 9))


def _sos_zi_args(rng: np.random.Generator) -> tuple:
    return _sos_args(rng) + (rng.standard_normal((2, 3, 2)),)


def _sections(num, den, xp):
    return xp.concatenate([num, xp.ones((num.shape[0], 1)), den], axis=1)


def _savgol_args(shape: tuple):
    def make_args(rng: np.random.Generator) -> tuple:
        return (rng.standard_normal(shape), np.array(rng.uniform(0.5, 2.0)))

    return make_args


def _conv2d_fill_args(rng: np.random.Generator) -> tuple:
    return rng.standard_normal((4, 5)), rng.standard_normal((2, 3)), np.array(rng.normal())


def _windows_row(name, fn, ref, ranges):
    return _row(name, fn, ref, _scalars(*ranges), **_EXACT)


_NO_ARGS_WINDOWS = ("hann", "hamming", "blackman", "bartlett", "triang", "boxcar", "cosine")


def _constant_window_row(name: str, sym: bool):
    """A window without float parameters: values only (no inputs to map or perturb)."""
    tag = "sym" if sym else "periodic"
    return _row(
        f"{name}-{tag}",
        lambda: getattr(fss.windows, name)(9, sym=sym),
        lambda: getattr(sw, name)(9, sym=sym),
        lambda rng: (),
        **_EXACT,
    )


ROWS = [
    # --- lfilter (the primitive) --------------------------------------------------------------
    _row("lfilter", lambda b, a, x: fss.lfilter(b, a, x),
         lambda b, a, x: ss.lfilter(b, a, x), _lfilter_args(3, 3, (2, 8)), _LF, **_EXACT),
    _row("lfilter-fir", lambda b, x: fss.lfilter(b, [1.0], x),
         lambda b, x: ss.lfilter(b, [1.0], x), _normal((4,), (7,)), _LF, **_EXACT),
    _row("lfilter-axis0", lambda b, x: fss.lfilter(b, [1.0, -0.5], x, axis=0),
         lambda b, x: ss.lfilter(b, [1.0, -0.5], x, axis=0), _normal((2,), (6, 3)), _LF,
         **_EXACT),
    _row("lfilter-a0", lambda b, a, x: fss.lfilter(b, a, x),
         lambda b, a, x: ss.lfilter(b, a, x), _lfilter_args(2, 3, (7,), a0=1.6), _LF, **_EXACT),
    _row("lfilter-complex", lambda b, a, x: fss.lfilter(b, a, x),
         lambda b, a, x: ss.lfilter(b, a, x), _lfilter_args(3, 2, (6,), cplx=True), _LF,
         **_EXACT),
    _row("lfilter-zi", lambda b, a, x, zi: fss.lfilter(b, a, x, zi=zi),
         lambda b, a, x, zi: ss.lfilter(b, a, x, zi=zi), _lfilter_zi_args, _LF, **_EXACT),
    _row("lfilter-zi-short", lambda b, a, x, zi: fss.lfilter(b, a, x, zi=zi),
         lambda b, a, x, zi: ss.lfilter(b, a, x, zi=zi), _lfilter_zi_short_args, _LF,
         **_EXACT),
    _row("sosfilt", lambda num, den, x: fss.sosfilt(_sections(num, den, fnp), x),
         lambda num, den, x: ss.sosfilt(_sections(num, den, np), x), _sos_args, _LF, **_EXACT),
    _row("sosfilt-zi", lambda num, den, x, zi: fss.sosfilt(_sections(num, den, fnp), x, zi=zi),
         lambda num, den, x, zi: ss.sosfilt(_sections(num, den, np), x, zi=zi), _sos_zi_args,
         _LF, **_EXACT),
    # --- convolution and correlation ------------------------------------------------------------
    _row("convolve-full", lambda a, v: fss.convolve(a, v),
         lambda a, v: ss.convolve(a, v), _normal((7,), (3,)), **_EXACT),
    _row("convolve-same-2d", lambda a, v: fss.convolve(a, v, mode="same"),
         lambda a, v: ss.convolve(a, v, mode="same"), _normal((4, 5), (2, 3)), **_EXACT),
    _row("convolve-valid-swapped", lambda a, v: fss.convolve(a, v, mode="valid"),
         lambda a, v: ss.convolve(a, v, mode="valid"), _normal((3, 2), (5, 4)), **_EXACT),
    _row("convolve-fft", lambda a, v: fss.convolve(a, v, method="fft"),
         lambda a, v: ss.convolve(a, v, method="fft"), _normal((6,), (4,)), **_FFT),
    _row("convolve-complex", lambda a, v: fss.convolve(a, v, mode="same"),
         lambda a, v: ss.convolve(a, v, mode="same"), _normal((6,), (3,), cplx=True), **_EXACT),
    _row("correlate-full", lambda a, v: fss.correlate(a, v),
         lambda a, v: ss.correlate(a, v), _normal((6,), (4,)), **_EXACT),
    _row("correlate-same-2d", lambda a, v: fss.correlate(a, v, mode="same", method="direct"),
         lambda a, v: ss.correlate(a, v, mode="same", method="direct"),
         _normal((4, 5), (2, 2)), **_EXACT),
    _row("correlate-valid-swapped", lambda a, v: fss.correlate(a, v, mode="valid"),
         lambda a, v: ss.correlate(a, v, mode="valid"), _normal((3,), (6,)), **_EXACT),
    _row("correlate-complex", lambda a, v: fss.correlate(a, v, method="fft"),
         lambda a, v: ss.correlate(a, v, method="fft"), _normal((5,), (3,), cplx=True), **_FFT),
    _row("fftconvolve", lambda a, v: fss.fftconvolve(a, v, mode="same"),
         lambda a, v: ss.fftconvolve(a, v, mode="same"), _normal((4, 6), (3, 3)), **_FFT),
    _row("fftconvolve-axes", lambda a, v: fss.fftconvolve(a, v, axes=1),
         lambda a, v: ss.fftconvolve(a, v, axes=1), _normal((3, 6), (1, 4)), **_FFT),
    _row("fftconvolve-complex", lambda a, v: fss.fftconvolve(a, v, mode="valid"),
         lambda a, v: ss.fftconvolve(a, v, mode="valid"), _normal((7,), (3,), cplx=True),
         **_FFT),
    _row("oaconvolve", lambda a, v: fss.oaconvolve(a, v),
         lambda a, v: ss.oaconvolve(a, v), _normal((9,), (4,)), **_FFT),
    _row("convolve2d-fill", lambda a, v, c: fss.convolve2d(a, v, boundary="fill", fillvalue=c),
         lambda a, v, c: ss.convolve2d(a, v, boundary="fill", fillvalue=c), _conv2d_fill_args,
         **_EXACT),
    _row("convolve2d-same-wrap", lambda a, v: fss.convolve2d(a, v, "same", boundary="wrap"),
         lambda a, v: ss.convolve2d(a, v, "same", boundary="wrap"), _normal((4, 5), (3, 2)),
         **_EXACT),
    _row("convolve2d-symm", lambda a, v: fss.convolve2d(a, v, boundary="symm"),
         lambda a, v: ss.convolve2d(a, v, boundary="symm"), _normal((3, 4), (2, 3)), **_EXACT),
    _row("correlate2d-same-symm", lambda a, v: fss.correlate2d(a, v, "same", boundary="symm"),
         lambda a, v: ss.correlate2d(a, v, "same", boundary="symm"), _normal((4, 5), (2, 2)),
         **_EXACT),
    _row("correlate2d-fill", lambda a, v, c: fss.correlate2d(a, v, fillvalue=c),
         lambda a, v, c: ss.correlate2d(a, v, fillvalue=c), _conv2d_fill_args, **_EXACT),
    _row("correlate2d-valid-swapped", lambda a, v: fss.correlate2d(a, v, "valid"),
         lambda a, v: ss.correlate2d(a, v, "valid"), _normal((2, 3), (4, 4), cplx=True),
         **_EXACT),
    # --- Savitzky-Golay -------------------------------------------------------------------------
    _row("savgol_coeffs", lambda d: fss.savgol_coeffs(7, 3, deriv=1, delta=d),
         lambda d: ss.savgol_coeffs(7, 3, deriv=1, delta=d), _scalars((0.5, 2.0)), **_EXACT),
    _row("savgol_filter-interp", lambda x, d: fss.savgol_filter(x, 7, 3, deriv=1, delta=d),
         lambda x, d: ss.savgol_filter(x, 7, 3, deriv=1, delta=d), _savgol_args((2, 12)),
         **_SAVGOL),
    _row("savgol_filter-interp-even",
         lambda x, d: fss.savgol_filter(x, 6, 2, deriv=2, delta=d, axis=0),
         lambda x, d: ss.savgol_filter(x, 6, 2, deriv=2, delta=d, axis=0),
         _savgol_args((10, 2)), **_SAVGOL),
    _row("savgol_filter-mirror", lambda x: fss.savgol_filter(x, 5, 2, mode="mirror"),
         lambda x: ss.savgol_filter(x, 5, 2, mode="mirror"), _normal((9,)), **_SAVGOL),
    _row("savgol_filter-nearest", lambda x: fss.savgol_filter(x, 5, 2, mode="nearest"),
         lambda x: ss.savgol_filter(x, 5, 2, mode="nearest"), _normal((9,)), **_SAVGOL),
    _row("savgol_filter-constant",
         lambda x, c: fss.savgol_filter(x, 5, 3, mode="constant", cval=c),
         lambda x, c: ss.savgol_filter(x, 5, 3, mode="constant", cval=c),
         _savgol_args((9,)), **_SAVGOL),
    _row("savgol_filter-wrap", lambda x: fss.savgol_filter(x, 4, 2, mode="wrap"),
         lambda x: ss.savgol_filter(x, 4, 2, mode="wrap"), _normal((8,)), **_SAVGOL),
    # --- windows --------------------------------------------------------------------------------
    _windows_row("kaiser", lambda beta: fss.windows.kaiser(8, beta),
                 lambda beta: sw.kaiser(8, beta), [(0.5, 9.0)]),
    _windows_row("kaiser-periodic", lambda beta: fss.windows.kaiser(7, beta, sym=False),
                 lambda beta: sw.kaiser(7, beta, sym=False), [(0.5, 9.0)]),
    _windows_row("gaussian", lambda std: fss.windows.gaussian(9, std),
                 lambda std: sw.gaussian(9, std), [(0.8, 4.0)]),
    _windows_row("tukey", lambda alpha: fss.windows.tukey(11, alpha),
                 lambda alpha: sw.tukey(11, alpha), [(0.25, 0.35)]),
    _windows_row("general_gaussian", lambda p, sig: fss.windows.general_gaussian(9, p, sig),
                 lambda p, sig: sw.general_gaussian(9, p, sig), [(0.6, 2.0), (1.0, 4.0)]),
    _windows_row("general_hamming", lambda alpha: fss.windows.general_hamming(8, alpha),
                 lambda alpha: sw.general_hamming(8, alpha), [(0.4, 0.7)]),
    _row("general_cosine", lambda a: fss.windows.general_cosine(8, a),
         lambda a: sw.general_cosine(8, a), _normal((3,)), **_EXACT),
    _windows_row("exponential",
                 lambda center, tau: fss.windows.exponential(8, center, tau, sym=False),
                 lambda center, tau: sw.exponential(8, center, tau, sym=False),
                 [(2.2, 2.8), (0.5, 3.0)]),
    _windows_row("get_window-kaiser", lambda beta: fss.get_window(("kaiser", beta), 8),
                 lambda beta: ss.get_window(("kaiser", beta), 8), [(0.5, 9.0)]),
    _windows_row("windows-get_window-gaussian",
                 lambda std: fss.windows.get_window(("gaussian", std), 8, fftbins=False),
                 lambda std: sw.get_window(("gaussian", std), 8, fftbins=False), [(0.8, 4.0)]),
    *[_constant_window_row(name, sym) for name in _NO_ARGS_WINDOWS for sym in (True, False)],
]
