"""Differentiable ``scipy.signal`` functions: convolution and correlation (N-D, direct or FFT),
2-D convolution with boundaries, linear recursive filters (``lfilter``, ``sosfilt``) and the
Savitzky-Golay filter.

Everything but ``lfilter`` is a composite of ``fluxion.numpy`` operations (gathers, tensordot,
pad, FFTs), so derivatives of every order come from theirs. ``lfilter`` is the primitive
``fluxion._src.prims.signal.lfilter_p`` (SciPy computes the values; the rules are time-reversed
filters); its initial state ``zi`` and final state ``zf`` are composites around it.

SciPy functions do not dispatch through NumPy's protocols, so plain ``scipy.signal`` calls on
traced values are not rerouted: call these (``fluxion.scipy.signal``) instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import as_array
from ..core import Tracer
from ..numpy import contract
from ..numpy import core as fnp
from ..numpy import fft as ffft
from ..prims import signal as sp
from ..prims._helpers import normalize_axis, shape_of

ArrayLike = Any
Array = Any

__all__ = [
    "convolve",
    "correlate",
    "fftconvolve",
    "oaconvolve",
    "convolve2d",
    "correlate2d",
    "lfilter",
    "sosfilt",
    "savgol_coeffs",
    "savgol_filter",
]

_MODES = ("full", "valid", "same")
_METHODS = ("auto", "direct", "fft")
# 'auto' takes the FFT when a direct sum would multiply more than this many pairs
_DIRECT_LIMIT = 1 << 16


def _asarray(x: Any) -> Any:
    if isinstance(x, Tracer | np.ndarray):
        return x
    return as_array(x)  # device arrays stay on their device


def _dtype(x: Any) -> np.dtype:
    return np.dtype(x.dtype)


def _check_mode(name: str, mode: Any) -> None:
    if mode not in _MODES:
        raise ValueError(f"{name}: expected mode in {_MODES}, got {mode!r}")


def _check_same_ndim(name: str, in1: Any, in2: Any) -> None:
    if np.ndim(in1) != np.ndim(in2):
        raise ValueError(
            f"{name}: expected in1 and in2 of the same dimensionality, got shapes "
            f"{shape_of(in1)} and {shape_of(in2)}"
        )


def _valid_swap(name: str, s1: tuple, s2: tuple) -> bool:
    """Whether 'valid' mode must swap the inputs (in2 larger), or raise if neither is larger."""
    if all(a >= b for a, b in zip(s1, s2)):
        return False
    if all(a <= b for a, b in zip(s1, s2)):
        return True
    raise ValueError(
        f"{name}: for 'valid' mode one input must be at least as large as the other in every "
        f"dimension, got shapes {s1} and {s2}"
    )


def _centered(x: Any, shape: tuple, axes: tuple | None = None) -> Any:
    """The central ``shape`` part of ``x`` (SciPy's ``_centered``) along ``axes`` (default all)."""
    full = shape_of(x)
    axes = tuple(range(len(full))) if axes is None else axes
    index = [slice(None)] * len(full)
    for ax, n in zip(axes, shape):
        start = (full[ax] - n) // 2
        index[ax] = slice(start, start + n)
    return x[tuple(index)]


def _windows_index(shape: tuple, out_shape: tuple, kshape: tuple) -> np.ndarray:
    """Flat indices into an array of ``shape``: ``[i, j] -> ravel(i + j)`` for ``i`` over
    ``out_shape`` and ``j`` over ``kshape`` (the sliding windows of a correlation)."""
    nd = len(shape)
    i = np.indices(out_shape).reshape(nd, -1)
    j = np.indices(kshape).reshape(nd, -1)
    coords = i[:, :, None] + j[:, None, :]
    flat = np.ravel_multi_index(tuple(coords), shape)
    return flat.reshape(tuple(out_shape) + tuple(kshape))


def _valid_correlate(big: Any, kernel: Any) -> Any:
    """``out[i] = sum_j big[i + j] * kernel[j]`` over the windows inside ``big`` ('valid')."""
    s1, s2 = shape_of(big), shape_of(kernel)
    nd = len(s1)
    out_shape = tuple(a - b + 1 for a, b in zip(s1, s2))
    if nd == 0:
        return big * kernel
    if any(n == 0 for n in out_shape):
        return fnp.zeros(out_shape, np.result_type(_dtype(big), _dtype(kernel)))
    index = _windows_index(s1, out_shape, s2)
    windows = fnp.take(fnp.reshape(big, (-1,)), index)
    return contract.tensordot(windows, kernel, axes=(list(range(nd, 2 * nd)), list(range(nd))))


def _direct_convolve(name: str, in1: Any, in2: Any, mode: str) -> Any:
    s1, s2 = shape_of(in1), shape_of(in2)
    if mode == "valid":
        if _valid_swap(name, s1, s2):
            in1, in2 = in2, in1
        return _valid_correlate(in1, fnp.flip(in2))
    # full (and same, its centre): the smaller operand is the kernel (convolution commutes)
    big, small = (in1, in2) if math.prod(s1) >= math.prod(s2) else (in2, in1)
    widths = [(n - 1, n - 1) for n in shape_of(small)]
    full = _valid_correlate(fnp.pad(big, widths), fnp.flip(small))
    return full if mode == "full" else _centered(full, s1)


def _prepare(name: str, in1: Any, in2: Any, mode: str) -> tuple[Any, Any]:
    in1, in2 = _asarray(in1), _asarray(in2)
    _check_mode(name, mode)
    _check_same_ndim(name, in1, in2)
    return in1, in2


def _empty_result(in1: Any, in2: Any) -> bool:
    return math.prod(shape_of(in1)) == 0 or math.prod(shape_of(in2)) == 0


def _check_not_empty(name: str, in1: Any, in2: Any) -> None:
    if _empty_result(in1, in2):
        raise ValueError(
            f"{name}: expected non-empty inputs, got shapes {shape_of(in1)} and {shape_of(in2)}"
        )


def convolve(in1: ArrayLike, in2: ArrayLike, mode: str = "full", method: str = "auto") -> Array:
    """Convolve two N-dimensional arrays. Differentiable in both; matches
    ``scipy.signal.convolve``.

    Parameters
    ----------
    in1 : array_like, shape ``s1``
    in2 : array_like, shape ``s2``, the same number of dimensions as ``in1``
    mode : {'full', 'valid', 'same'}, optional
        'full': shape ``s1 + s2 - 1``; 'valid': ``|s1 - s2| + 1`` (one input must be at least
        as large as the other in every dimension); 'same': ``s1``, centred on the full result.
    method : {'auto', 'direct', 'fft'}, optional
        'direct' sums the products (exact to rounding); 'fft' multiplies spectra
        (:func:`fftconvolve`); 'auto' takes the FFT when the direct sum has more than 65536
        products and the inputs are floating point.

    Returns
    -------
    Array
        Real if both inputs are real, complex otherwise; integer inputs give integers.

    Raises
    ------
    ValueError
        For an unknown mode or method, empty inputs, inputs of different dimensionality, or
        'valid' mode with neither input at least as large as the other in every dimension.

    Notes
    -----
    'auto' chooses by a size threshold, not by SciPy's timing model, so for mid-sized inputs
    the two may take different methods; the results then agree to FFT rounding.
    """
    in1, in2 = _prepare("convolve", in1, in2, mode)
    if method not in _METHODS:
        raise ValueError(f"convolve: expected method in {_METHODS}, got {method!r}")
    if np.ndim(in1) == 0:
        return in1 * in2
    _check_not_empty("convolve", in1, in2)
    if method == "auto":
        method = _choose_method(in1, in2, mode)
    if method == "fft":
        out = fftconvolve(in1, in2, mode=mode)
        kind = np.result_type(_dtype(in1), _dtype(in2)).kind
        if kind in "iub":  # SciPy rounds an FFT convolution of integers back to integers
            out = fnp.round(out).astype(np.result_type(_dtype(in1), _dtype(in2)))
        return out
    return _direct_convolve("convolve", in1, in2, mode)


def _choose_method(in1: Any, in2: Any, mode: str) -> str:
    kinds = {_dtype(in1).kind, _dtype(in2).kind}
    if not kinds <= set("fc"):
        return "direct"
    s1, s2 = shape_of(in1), shape_of(in2)
    if mode == "valid":
        out = math.prod(abs(a - b) + 1 for a, b in zip(s1, s2))
    else:
        out = math.prod(a + b - 1 for a, b in zip(s1, s2))
    products = out * min(math.prod(s1), math.prod(s2))
    return "fft" if products > _DIRECT_LIMIT else "direct"


def _reverse_and_conj(x: Any) -> Any:
    if _dtype(x).kind == "c":
        x = fnp.conj(x)
    return fnp.flip(x)


def correlate(in1: ArrayLike, in2: ArrayLike, mode: str = "full", method: str = "auto") -> Array:
    """Cross-correlate two N-dimensional arrays, ``z[k] = sum_l in1[l] * conj(in2[l - k])``
    (shifted as SciPy does). Differentiable in both; matches ``scipy.signal.correlate``.

    Parameters
    ----------
    in1 : array_like, shape ``s1``
    in2 : array_like, shape ``s2``, the same number of dimensions as ``in1``
    mode : {'full', 'valid', 'same'}, optional
        Output shapes as for :func:`convolve`.
    method : {'auto', 'direct', 'fft'}, optional
        As for :func:`convolve`.

    Returns
    -------
    Array
        The correlation: ``convolve(in1, conj(in2)[::-1, ...], mode, method)``.

    Raises
    ------
    ValueError
        As for :func:`convolve`.
    """
    in1, in2 = _prepare("correlate", in1, in2, mode)
    if method not in _METHODS:
        raise ValueError(f"correlate: expected method in {_METHODS}, got {method!r}")
    if np.ndim(in1) == 0:
        return in1 * (fnp.conj(in2) if _dtype(in2).kind == "c" else in2)
    _check_not_empty("correlate", in1, in2)
    if mode == "valid":
        _valid_swap("correlate", shape_of(in1), shape_of(in2))
    return convolve(in1, _reverse_and_conj(in2), mode, method)


def _fft_axes(name: str, in1: Any, in2: Any, axes: Any) -> tuple[int, ...]:
    nd = np.ndim(in1)
    if axes is None:
        return tuple(range(nd))
    if isinstance(axes, int | np.integer):
        axes = (axes,)
    out = tuple(normalize_axis(a, nd, name) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: expected distinct axes, got {axes}")
    s1, s2 = shape_of(in1), shape_of(in2)
    for ax in range(nd):
        if ax not in out and s1[ax] != s2[ax] and 1 not in (s1[ax], s2[ax]):
            raise ValueError(
                f"{name}: in1 and in2 must have equal sizes (or size 1) along the axes not "
                f"convolved, got shapes {s1} and {s2} with axes={out}"
            )
    return tuple(sorted(out))


def fftconvolve(in1: ArrayLike, in2: ArrayLike, mode: str = "full", axes: Any = None) -> Array:
    """Convolve two N-dimensional arrays with FFTs. Differentiable in both; matches
    ``scipy.signal.fftconvolve``.

    Parameters
    ----------
    in1 : array_like, shape ``s1``
    in2 : array_like, shape ``s2``, the same number of dimensions
    mode : {'full', 'valid', 'same'}, optional
        Output shapes as for :func:`convolve`, along ``axes``.
    axes : int or sequence of int, optional
        The axes to convolve over (default all); along the others the inputs broadcast (equal
        sizes or size 1).

    Returns
    -------
    Array
        Real (float64) for real inputs, complex otherwise.

    Notes
    -----
    Values agree with SciPy to FFT rounding (about ``1e-15`` times the largest output), not
    to a relative ``1e-12`` at outputs much smaller than the largest.
    """
    in1, in2 = _prepare("fftconvolve", in1, in2, mode)
    if np.ndim(in1) == 0:
        return in1 * in2
    if _empty_result(in1, in2):
        return np.array([])
    axes = _fft_axes("fftconvolve", in1, in2, axes)
    s1, s2 = shape_of(in1), shape_of(in2)
    if mode == "valid":
        _valid_swap("fftconvolve", tuple(s1[a] for a in axes), tuple(s2[a] for a in axes))
    lengths = [s1[a] + s2[a] - 1 for a in axes]
    if _dtype(in1).kind == "c" or _dtype(in2).kind == "c":
        spectrum = ffft.fftn(in1, s=lengths, axes=axes) * ffft.fftn(in2, s=lengths, axes=axes)
        full = ffft.ifftn(spectrum, s=lengths, axes=axes)
    else:
        in1 = in1 if _dtype(in1).kind == "f" else fnp.asarray(in1, np.float64)
        in2 = in2 if _dtype(in2).kind == "f" else fnp.asarray(in2, np.float64)
        spectrum = ffft.rfftn(in1, s=lengths, axes=axes) * ffft.rfftn(in2, s=lengths, axes=axes)
        full = ffft.irfftn(spectrum, s=lengths, axes=axes)
    if mode == "full":
        return full
    if mode == "same":
        return _centered(full, tuple(s1[a] for a in axes), axes)
    return _centered(full, tuple(abs(s1[a] - s2[a]) + 1 for a in axes), axes)


def oaconvolve(in1: ArrayLike, in2: ArrayLike, mode: str = "full", axes: Any = None) -> Array:
    """Convolve two N-dimensional arrays (SciPy's overlap-add method). Differentiable in both;
    matches ``scipy.signal.oaconvolve``.

    Parameters and returns as for :func:`fftconvolve`.

    Notes
    -----
    Overlap-add is a way to compute the same convolution with smaller FFTs; this computes it
    with one FFT (:func:`fftconvolve`), so the values agree with SciPy to FFT rounding.
    """
    return fftconvolve(in1, in2, mode=mode, axes=axes)


_BOUNDARIES = {"fill": "constant", "pad": "constant", "wrap": "wrap", "circular": "wrap",
               "symm": "symmetric", "symmetric": "symmetric"}


def _check_2d(name: str, in1: Any, in2: Any, mode: Any, boundary: Any, fillvalue: Any) -> None:
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise ValueError(
            f"{name}: expected two 2-D arrays, got shapes {shape_of(in1)} and {shape_of(in2)}"
        )
    _check_mode(name, mode)
    if boundary not in _BOUNDARIES:
        raise ValueError(
            f"{name}: expected boundary in ('fill', 'wrap', 'symm'), got {boundary!r}"
        )
    if np.ndim(fillvalue) != 0:
        raise ValueError(f"{name}: expected a scalar fillvalue, got shape {np.shape(fillvalue)}")


def _extend(in1: Any, s2: tuple, boundary: str, fillvalue: Any) -> Any:
    """``in1`` extended by ``s2 - 1`` on each side by the boundary rule."""
    widths = [(n - 1, n - 1) for n in s2]
    pad_mode = _BOUNDARIES[boundary]
    if pad_mode == "constant":
        return fnp.pad(in1, widths, constant_values=fillvalue)
    return fnp.pad(in1, widths, mode=pad_mode)


def _conv2d(name: str, in1: Any, in2: Any, mode: str, boundary: str, fillvalue: Any) -> Any:
    in1, in2 = _asarray(in1), _asarray(in2)
    _check_2d(name, in1, in2, mode, boundary, fillvalue)
    s1, s2 = shape_of(in1), shape_of(in2)
    if mode == "valid":
        if _valid_swap(name, s1, s2):
            in1, in2 = in2, in1
        return _valid_correlate(in1, fnp.flip(in2))
    if _empty_result(in1, in2):
        return np.array([[]])
    full = _valid_correlate(_extend(in1, s2, boundary, fillvalue), fnp.flip(in2))
    return full if mode == "full" else _centered(full, s1)


def convolve2d(in1: ArrayLike, in2: ArrayLike, mode: str = "full", boundary: str = "fill",
               fillvalue: Any = 0) -> Array:
    """Convolve two 2-D arrays, with a boundary rule for ``in1``. Differentiable in ``in1``,
    ``in2`` and ``fillvalue``; matches ``scipy.signal.convolve2d``.

    Parameters
    ----------
    in1 : array_like, shape (m1, n1)
    in2 : array_like, shape (m2, n2)
    mode : {'full', 'valid', 'same'}, optional
        Output shape ``(m1 + m2 - 1, n1 + n2 - 1)``, ``(|m1 - m2| + 1, |n1 - n2| + 1)`` or
        ``(m1, n1)``.
    boundary : {'fill', 'wrap', 'symm'}, optional
        How ``in1`` is extended: by ``fillvalue``, periodically, or mirrored (edge repeated).
    fillvalue : scalar, optional
        The value outside ``in1`` for ``boundary='fill'``.

    Returns
    -------
    Array, 2-D

    Raises
    ------
    ValueError
        For inputs that are not 2-D, an unknown mode or boundary, a non-scalar fillvalue, or
        'valid' mode with neither input at least as large as the other in both dimensions.
    """
    return _conv2d("convolve2d", in1, in2, mode, boundary, fillvalue)


def correlate2d(in1: ArrayLike, in2: ArrayLike, mode: str = "full", boundary: str = "fill",
                fillvalue: Any = 0) -> Array:
    """Cross-correlate two 2-D arrays, with a boundary rule for ``in1``. Differentiable in
    ``in1``, ``in2`` and ``fillvalue``; matches ``scipy.signal.correlate2d``.

    ``out[i] = sum_j in1[i + j - o] * conj(in2[j])`` with ``in1`` extended by ``boundary``.

    Parameters
    ----------
    in1, in2, mode, boundary, fillvalue
        As for :func:`convolve2d`.

    Returns
    -------
    Array, 2-D
        Shapes as for :func:`convolve2d`. As in SciPy, 'same' mode centres the window at
        ``in2.shape // 2``, and when 'valid' mode swaps the inputs (``in2`` larger) the result
        is ``correlate2d(in2, conj(in1))`` reversed.

    Raises
    ------
    ValueError
        As for :func:`convolve2d`.
    """
    in1, in2 = _asarray(in1), _asarray(in2)
    _check_2d("correlate2d", in1, in2, mode, boundary, fillvalue)
    s1, s2 = shape_of(in1), shape_of(in2)
    if mode == "valid":
        if _valid_swap("correlate2d", s1, s2):
            return fnp.flip(_valid_correlate(in2, _conj(in1)))
        return _valid_correlate(in1, _conj(in2))
    if _empty_result(in1, in2):
        return np.array([[]])
    full = _valid_correlate(_extend(in1, s2, boundary, fillvalue), _conj(in2))
    if mode == "full":
        return full
    # SciPy's 'same' correlation takes the window starting at in2.shape // 2 of the full one
    return full[s2[0] // 2 : s2[0] // 2 + s1[0], s2[1] // 2 : s2[1] // 2 + s1[1]]


def _conj(x: Any) -> Any:
    return fnp.conj(x) if _dtype(x).kind == "c" else x


# --------------------------------------------------------------------------------------------
# Recursive filters
# --------------------------------------------------------------------------------------------


def _coefficients(name: str, b: Any, a: Any) -> tuple[Any, Any]:
    b, a = _asarray(b), _asarray(a)
    if np.ndim(b) != 1 or np.ndim(a) != 1 or shape_of(b)[0] == 0 or shape_of(a)[0] == 0:
        raise ValueError(
            f"{name}: expected non-empty 1-D coefficient vectors b and a, got shapes "
            f"{shape_of(b)} and {shape_of(a)}"
        )
    if not isinstance(a, Tracer):
        if a[0] == 0:
            raise ValueError(f"{name}: expected a[0] != 0 (the filter must be causal), got a={a}")
        if a[0] == 1:
            return b, a
    # normalize as SciPy does, a[0] = 1 (differentiable in a[0] too)
    return b / a[0], a / a[0]


def _along(x: Any, axis: int, start: int, stop: int) -> Any:
    index = [slice(None)] * np.ndim(x)
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _pad_along(x: Any, axis: int, before: int, after: int) -> Any:
    widths = [(0, 0)] * np.ndim(x)
    widths[axis] = (before, after)
    return fnp.pad(x, widths)


def _coefficient(c: Any, j: int) -> Any:
    return c[j] if j < shape_of(c)[0] else 0.0


def _final_state(b: Any, a: Any, x: Any, y: Any, zi: Any, axis: int, order: int) -> Any:
    """The state of the transposed direct form II after the last sample (SciPy's ``zf``).

    ``zf[i] = sum_{j=i+1}^{K} (b[j] x[L-1+i+1-j] - a[j] y[L-1+i+1-j]) + zi[i+L]``, where terms
    with a negative sample index are absent and ``zi[i+L]`` only counts while ``i + L < K``
    (``K = order``, ``L`` the signal length).
    """
    length = shape_of(x)[axis]
    terms = []
    for j in range(1, order + 1):
        bj, aj = _coefficient(b, j), _coefficient(a, j)
        start = max(length - j, 0)
        # i = 0..j-1 reads sample L - j + i; samples before 0 are absent
        part = bj * _along(x, axis, start, length) - aj * _along(y, axis, start, length)
        lead = j - (length - start)
        terms.append(_pad_along(part, axis, lead, order - j))
    if length < order:
        terms.append(_pad_along(_along(zi, axis, length, order), axis, 0, length))
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def _check_axis(name: str, x: Any, axis: Any) -> int:
    if np.ndim(x) == 0:
        raise ValueError(f"{name}: expected a signal x with at least one dimension, got a scalar")
    return normalize_axis(axis, np.ndim(x), name)


def lfilter(b: ArrayLike, a: ArrayLike, x: ArrayLike, axis: int = -1, zi: ArrayLike = None) -> Any:
    """Filter a signal with a linear recursive (IIR or FIR) filter. Differentiable in ``b``,
    ``a``, ``x`` and ``zi``; matches ``scipy.signal.lfilter``.

    ``sum_k a[k] y[n - k] = sum_k b[k] x[n - k]`` along ``axis``, in SciPy's transposed direct
    form II with initial state ``zi``.

    Parameters
    ----------
    b : array_like, shape (nb,)
        Numerator coefficients.
    a : array_like, shape (na,)
        Denominator coefficients; ``a[0] != 0`` (both are divided by ``a[0]``).
    x : array_like, shape ``(..., L, ...)``
        The signal, filtered along ``axis``.
    axis : int, optional
    zi : array_like, optional
        Initial state: ``x``'s shape with ``max(na, nb) - 1`` along ``axis`` (size-1 axes
        broadcast).

    Returns
    -------
    y : Array, ``x``'s shape
    zf : Array, ``zi``'s shape
        The final state; returned (as ``(y, zf)``) only when ``zi`` is given.

    Raises
    ------
    ValueError
        For coefficients that are not non-empty 1-D vectors, ``a[0] == 0``, a scalar ``x``,
        an axis out of range, or ``zi`` of the wrong shape.

    Notes
    -----
    The primitive filters with zero state; the initial state adds
    ``lfilter([1], a, zi padded to L)`` (the zero-input response) and ``zf`` is a short sum
    over the last ``max(na, nb) - 1`` samples of ``x`` and ``y``.
    """
    x = _asarray(x)
    b, a = _coefficients("lfilter", b, a)
    axis = _check_axis("lfilter", x, axis)
    y = sp.lfilter(b, a, x, axis)
    if zi is None:
        return y
    order = max(shape_of(a)[0], shape_of(b)[0]) - 1
    zi = _asarray(zi)
    expected = list(shape_of(x))
    expected[axis] = order
    expected = tuple(expected)
    zshape = shape_of(zi)
    if len(zshape) != len(expected) or any(
        z != e and z != 1 for z, e in zip(zshape, expected)
    ) or (len(expected) and zshape[axis] != order):
        raise ValueError(
            f"lfilter: expected zi of shape {expected} (x's shape with max(len(a), len(b)) - 1 "
            f"along axis {axis}), got {zshape}"
        )
    if zshape != expected:
        zi = fnp.broadcast_to(zi, expected)
    length = shape_of(x)[axis]
    if order > 0:
        if length >= order:
            drive = _pad_along(zi, axis, 0, length - order)
        else:
            drive = _along(zi, axis, 0, length)
        y = y + sp.lfilter(np.ones(1, dtype=_dtype(a)), a, drive, axis)
        zf = _final_state(b, a, x, y, zi, axis, order)
    else:
        zf = zi * 1.0
    return y, zf


def sosfilt(sos: ArrayLike, x: ArrayLike, axis: int = -1, zi: ArrayLike = None) -> Any:
    """Filter a signal with cascaded second-order sections. Differentiable in ``sos``, ``x``
    and ``zi``; matches ``scipy.signal.sosfilt``.

    Parameters
    ----------
    sos : array_like, shape (n_sections, 6)
        Each row ``[b0, b1, b2, a0, a1, a2]`` with ``a0 == 1``.
    x : array_like
        The signal, filtered along ``axis``.
    axis : int, optional
    zi : array_like, optional
        Initial states, shape ``(n_sections, ..., 2, ...)``: ``x``'s shape with 2 along
        ``axis``, one per section.

    Returns
    -------
    y : Array, ``x``'s shape
    zf : Array, ``zi``'s shape
        Final states, returned (as ``(y, zf)``) only when ``zi`` is given.

    Raises
    ------
    ValueError
        For ``sos`` not of shape (n_sections, 6), ``sos[:, 3]`` not all ones, or ``zi`` of the
        wrong shape.
    """
    sos, x = _asarray(sos), _asarray(x)
    if np.ndim(sos) != 2 or shape_of(sos)[1] != 6 or shape_of(sos)[0] == 0:
        raise ValueError(f"sosfilt: expected sos of shape (n_sections, 6), got {shape_of(sos)}")
    if not isinstance(sos, Tracer) and not np.all(sos[:, 3] == 1):
        raise ValueError(f"sosfilt: expected sos[:, 3] to be all ones, got {sos[:, 3]}")
    axis = _check_axis("sosfilt", x, axis)
    n_sections = shape_of(sos)[0]
    if zi is not None:
        zi = _asarray(zi)
        expected = list(shape_of(x))
        expected[axis] = 2
        expected = (n_sections,) + tuple(expected)
        if shape_of(zi) != expected:
            raise ValueError(f"sosfilt: expected zi of shape {expected}, got {shape_of(zi)}")
    finals = []
    for s in range(n_sections):
        b, a = sos[s, :3], sos[s, 3:]
        if zi is None:
            x = lfilter(b, a, x, axis=axis)
        else:
            x, zf = lfilter(b, a, x, axis=axis, zi=zi[s])
            finals.append(zf)
    if zi is None:
        return x
    return x, fnp.stack(finals)


# --------------------------------------------------------------------------------------------
# Savitzky-Golay
# --------------------------------------------------------------------------------------------


def _check_savgol(name: str, window_length: Any, polyorder: Any, deriv: Any) -> tuple:
    for what, v in (("window_length", window_length), ("polyorder", polyorder),
                    ("deriv", deriv)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool):
            raise TypeError(f"{name}: expected an integer {what}, got {v!r}")
    if window_length < 1:
        raise ValueError(f"{name}: expected window_length >= 1, got {window_length}")
    if polyorder < 0 or polyorder >= window_length:
        raise ValueError(
            f"{name}: expected 0 <= polyorder < window_length, got polyorder={polyorder} and "
            f"window_length={window_length}"
        )
    if deriv < 0:
        raise ValueError(f"{name}: expected deriv >= 0, got {deriv}")
    return int(window_length), int(polyorder), int(deriv)


def _delta_power(delta: Any, deriv: int) -> Any:
    if deriv == 0:
        return 1.0
    if isinstance(delta, Tracer):
        return delta**deriv
    return float(delta) ** deriv


def savgol_coeffs(window_length: int, polyorder: int, deriv: int = 0, delta: float = 1.0,
                  pos: int | None = None, use: str = "conv") -> Array:
    """Savitzky-Golay filter coefficients. Differentiable in ``delta``; matches
    ``scipy.signal.savgol_coeffs``.

    Parameters
    ----------
    window_length : int
    polyorder : int
        Less than ``window_length``.
    deriv : int, optional
        Order of the derivative the filter estimates.
    delta : float, optional
        Sample spacing; the coefficients scale with ``delta ** -deriv``.
    pos : int, optional
        Where in the window the estimate is made (default the centre).
    use : {'conv', 'dot'}, optional

    Returns
    -------
    Array, shape (window_length,)

    Raises
    ------
    ValueError
        For ``polyorder >= window_length``, a negative ``deriv``, ``pos`` outside the window
        or an unknown ``use``.
    """
    window_length, polyorder, deriv = _check_savgol(
        "savgol_coeffs", window_length, polyorder, deriv
    )
    if use not in ("conv", "dot"):
        raise ValueError(f"savgol_coeffs: expected use in ('conv', 'dot'), got {use!r}")
    if pos is not None and not 0 <= pos < window_length:
        raise ValueError(
            f"savgol_coeffs: expected 0 <= pos < window_length, got pos={pos} and "
            f"window_length={window_length}"
        )
    from scipy.signal import savgol_coeffs as scipy_savgol_coeffs  # loads on first use

    base = scipy_savgol_coeffs(window_length, polyorder, deriv=deriv, delta=1.0, pos=pos, use=use)
    if deriv == 0:
        return base
    return base / _delta_power(delta, deriv)


_SAVGOL_MODES = {"mirror": "reflect", "nearest": "edge", "wrap": "wrap", "constant": None,
                 "interp": None}


def _edge_matrix(window_length: int, polyorder: int, deriv: int, rows: np.ndarray) -> np.ndarray:
    """The linear map from a window of samples to the ``deriv``-th derivative of their
    least-squares polynomial of order ``polyorder``, at the window positions ``rows``."""
    t = np.arange(window_length, dtype=np.float64)
    vander = t[:, None] ** np.arange(polyorder + 1)
    fit = np.linalg.pinv(vander)  # (polyorder + 1, window_length): samples -> coefficients
    powers = np.arange(polyorder + 1)
    scale = np.array([math.perm(int(p), deriv) for p in powers], dtype=np.float64)
    exps = np.maximum(powers - deriv, 0)
    evaluate = scale * rows[:, None].astype(np.float64) ** exps
    return evaluate @ fit


def savgol_filter(x: ArrayLike, window_length: int, polyorder: int, deriv: int = 0,
                  delta: float = 1.0, axis: int = -1, mode: str = "interp",
                  cval: float = 0.0) -> Array:
    """Smooth (or differentiate) a signal with a Savitzky-Golay filter. Differentiable in
    ``x``, ``delta`` and ``cval``; matches ``scipy.signal.savgol_filter``.

    Parameters
    ----------
    x : array_like
        The signal, filtered along ``axis``.
    window_length : int
        The filter length; at most ``x.shape[axis]`` when ``mode='interp'``.
    polyorder : int
        Less than ``window_length``.
    deriv : int, optional
    delta : float, optional
        Sample spacing (for ``deriv > 0``).
    axis : int, optional
    mode : {'interp', 'mirror', 'nearest', 'constant', 'wrap'}, optional
        'interp' fits a polynomial to the first and last ``window_length`` samples for the
        edges; the others extend the signal as ``scipy.ndimage`` does.
    cval : float, optional
        The value outside the signal for ``mode='constant'``.

    Returns
    -------
    Array, ``x``'s shape (float64 for integer input)

    Raises
    ------
    ValueError
        For ``polyorder >= window_length``, an unknown mode, or ``window_length`` greater
        than ``x.shape[axis]`` with ``mode='interp'``.
    """
    window_length, polyorder, deriv = _check_savgol(
        "savgol_filter", window_length, polyorder, deriv
    )
    if mode not in _SAVGOL_MODES:
        raise ValueError(
            f"savgol_filter: expected mode in {tuple(_SAVGOL_MODES)}, got {mode!r}"
        )
    x = _asarray(x)
    out_dtype = _dtype(x) if _dtype(x) in (np.float32, np.complex64) else None
    if _dtype(x).kind not in "fc" or out_dtype is not None:
        # computed in double precision; single-precision input gets a single-precision result
        x = x.astype(np.complex128 if _dtype(x).kind == "c" else np.float64)
    axis = _check_axis("savgol_filter", x, axis)
    n = shape_of(x)[axis]
    if mode == "interp" and window_length > n:
        raise ValueError(
            f"savgol_filter: with mode='interp', expected window_length <= x.shape[axis] "
            f"= {n}, got window_length={window_length}"
        )
    coeffs = savgol_coeffs(window_length, polyorder, deriv=deriv, delta=1.0)
    # ndimage.convolve1d centres an even-length filter one sample to the left
    left = (window_length - 1) // 2
    right = window_length - 1 - left
    pad_mode = _SAVGOL_MODES[mode]
    if pad_mode is not None:
        widths = [(0, 0)] * np.ndim(x)
        widths[axis] = (left, right)
        padded = fnp.pad(x, widths, mode=pad_mode)
    elif mode == "constant":
        shape_l = list(shape_of(x))
        shape_l[axis] = left
        shape_r = list(shape_of(x))
        shape_r[axis] = right
        fill_l = fnp.ones(tuple(shape_l), _dtype(x)) * cval
        fill_r = fnp.ones(tuple(shape_r), _dtype(x)) * cval
        padded = fnp.concatenate([fill_l, x, fill_r], axis=axis)
    else:
        padded = _pad_along(x, axis, left, right)
    y = _correlate_along(padded, coeffs[::-1], axis)
    if mode == "interp":
        half = window_length // 2
        rows_l = np.arange(half)
        rows_r = np.arange(window_length - half, window_length)
        m_left = _edge_matrix(window_length, polyorder, deriv, rows_l)
        m_right = _edge_matrix(window_length, polyorder, deriv, rows_r)
        x_last = fnp.moveaxis(x, axis, -1)
        edge_l = fnp.moveaxis(fnp.matmul(x_last[..., :window_length], m_left.T), -1, axis)
        edge_r = fnp.moveaxis(fnp.matmul(x_last[..., n - window_length:], m_right.T), -1, axis)
        y = fnp.concatenate([edge_l, _along(y, axis, half, n - half), edge_r], axis=axis)
    if deriv > 0:
        y = y / _delta_power(delta, deriv)
    return y if out_dtype is None else y.astype(out_dtype)


def _correlate_along(x: Any, weights: np.ndarray, axis: int) -> Any:
    """``out[n] = sum_k weights[k] x[n + k]`` along ``axis`` ('valid')."""
    width = weights.shape[0]
    length = shape_of(x)[axis] - width + 1
    out = None
    for k in range(width):
        term = weights[k] * _along(x, axis, k, k + length)
        out = term if out is None else out + term
    return out
