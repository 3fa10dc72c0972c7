"""Discrete Fourier transforms: fft (complex, forward or inverse), rfft and irfft.

All three are linear. Cotangents follow JAX's convention (transpose, no conjugation; see
``elementwise.py``'s complex parts), under which:

* the complex DFT matrix ``F`` is symmetric, so the transpose of ``fft`` (forward or inverse,
  any ``norm``) is the same transform with the same parameters;
* ``rfft = S F E`` (embed the real input as complex, transform, keep the first ``n // 2 + 1``
  frequencies of the last axis), so its transpose is ``real(F(pad(g)))``;
* ``irfft`` reads each stored frequency ``k`` of the last axis once (``k = 0`` and, for even
  ``n``, the Nyquist frequency) or twice (``X_k`` and its mirror ``conj(X_k)``), so its transpose
  is ``conj(c * w * rfft(t))`` with weights ``w`` in {1, 2} and ``c`` the transform's scale
  (``1/N``, ``1/sqrt(N)`` or ``1`` for the norms "backward", "ortho", "forward").

The public functions (``fluxion.numpy.fft``) pad or truncate the input to the transform lengths
before binding, so each primitive's lengths are those of its operand (irfft: its output).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray
from ._helpers import deflinear, shape_of
from .elementwise import conj_p, convert_element_type, multiply, real
from .indexing import pad_constant, slice_along

__all__ = ["fft_p", "rfft_p", "irfft_p", "fft", "rfft", "irfft", "NORMS"]

NORMS = ("backward", "ortho", "forward")


def _check_axes(op: str, aval: ShapedArray, axes: tuple[int, ...]) -> None:
    if not axes:
        raise ValueError(f"{op}: expected at least one axis, got axes={axes}")
    for a in axes:
        if not 0 <= a < aval.ndim:
            raise ValueError(f"{op}: axis {a} is out of bounds for {aval}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: expected distinct axes, got {axes}")


def _check_norm(op: str, norm: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"{op}: expected norm in {NORMS}, got {norm!r}")


def _shift_axes(axes: tuple[int, ...], ndim: int, d: int) -> tuple[int, ...]:
    # renumber one example's axes around the batch axis d, which stays where it is
    return tuple(a % ndim + (a % ndim >= d) for a in axes)


def _as_complex(x: Any) -> Any:
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        dtype = np.result_type(x)
    if np.dtype(dtype).kind == "c":
        return x
    return convert_element_type(x, np.result_type(dtype, np.complex64))


def _as_real(x: Any, dtype: Any) -> Any:
    xd = getattr(x, "dtype", None)
    if xd is not None and np.dtype(xd).kind == "c":
        x = real(x)
    if getattr(x, "dtype", None) != dtype:
        x = convert_element_type(x, dtype)
    return x


# --------------------------------------------------------------------------------------------
# fft: complex to complex over the given axes
# --------------------------------------------------------------------------------------------


def _fft_impl(x: Any, *, axes: tuple[int, ...], inverse: bool, norm: str) -> Any:
    fn = np.fft.ifftn if inverse else np.fft.fftn
    return fn(x, axes=axes, norm=norm)


def _fft_abstract_eval(
    aval: ShapedArray, *, axes: tuple[int, ...], inverse: bool, norm: str
) -> ShapedArray:
    _check_axes("fft", aval, axes)
    _check_norm("fft", norm)
    if aval.dtype.kind != "c":
        raise TypeError(f"fft: expected a complex operand, got {aval}")
    return ShapedArray(aval.shape, aval.dtype)


fft_p = Primitive("fft", _fft_impl)
fft_p.abstract_eval = _fft_abstract_eval


def fft(x: Any, axes: tuple[int, ...], inverse: bool = False, norm: str = "backward") -> Any:
    """The complex DFT of ``x`` (made complex if real) over ``axes`` (non-negative ints)."""
    return fft_p.bind(_as_complex(x), axes=tuple(axes), inverse=bool(inverse), norm=norm)


# the DFT matrix is symmetric: the transpose is the same transform
deflinear(
    fft_p,
    lambda g, x, *, axes, inverse, norm: (fft(g, axes, inverse, norm),),
)


def _fft_batch(args: Any, dims: Any, *, axis_size: int, axes: Any, inverse: bool, norm: str):
    (x,), (d,) = args, dims
    ndim = len(shape_of(x)) - 1
    return fft(x, _shift_axes(axes, ndim, d), inverse, norm), d


fft_p.batch = _fft_batch


# --------------------------------------------------------------------------------------------
# rfft: real to complex; the last of ``axes`` keeps n // 2 + 1 frequencies
# --------------------------------------------------------------------------------------------


def _complex_of(dtype: Any) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def _real_of(dtype: Any) -> np.dtype:
    return np.empty((), dtype).real.dtype


def _rfft_impl(x: Any, *, axes: tuple[int, ...], norm: str) -> Any:
    return np.fft.rfftn(x, axes=axes, norm=norm)


def _rfft_abstract_eval(aval: ShapedArray, *, axes: tuple[int, ...], norm: str) -> ShapedArray:
    _check_axes("rfft", aval, axes)
    _check_norm("rfft", norm)
    if aval.dtype.kind != "f":
        raise TypeError(f"rfft: expected a real floating-point operand, got {aval}")
    shape = list(aval.shape)
    shape[axes[-1]] = shape[axes[-1]] // 2 + 1
    return ShapedArray(tuple(shape), _complex_of(aval.dtype))


rfft_p = Primitive("rfft", _rfft_impl)
rfft_p.abstract_eval = _rfft_abstract_eval


def rfft(x: Any, axes: tuple[int, ...], norm: str = "backward") -> Any:
    """The DFT of real ``x`` over ``axes``, half of the last axis' spectrum (NumPy's rfftn)."""
    return rfft_p.bind(x, axes=tuple(axes), norm=norm)


def _rfft_transpose(g: Any, x: Any, *, axes: tuple[int, ...], norm: str) -> Any:
    # rfft = slice . F . embed, so rfft^T = real . F . zero-pad
    shape = shape_of(x)
    last = axes[-1]
    widths = [(0, 0)] * len(shape)
    widths[last] = (0, shape[last] - shape_of(g)[last])
    full = pad_constant(_as_complex(g), 0.0, tuple(widths))
    return (_as_real(fft(full, axes, False, norm), getattr(x, "dtype", np.float64)),)


deflinear(rfft_p, _rfft_transpose)


def _rfft_batch(args: Any, dims: Any, *, axis_size: int, axes: Any, norm: str) -> Any:
    (x,), (d,) = args, dims
    ndim = len(shape_of(x)) - 1
    return rfft(x, _shift_axes(axes, ndim, d), norm), d


rfft_p.batch = _rfft_batch


# --------------------------------------------------------------------------------------------
# irfft: complex (half spectrum) to real; ``lengths`` are the output lengths along ``axes``
# --------------------------------------------------------------------------------------------


def _irfft_impl(x: Any, *, axes: tuple[int, ...], lengths: tuple[int, ...], norm: str) -> Any:
    return np.fft.irfftn(x, s=lengths, axes=axes, norm=norm)


def _irfft_abstract_eval(
    aval: ShapedArray, *, axes: tuple[int, ...], lengths: tuple[int, ...], norm: str
) -> ShapedArray:
    _check_axes("irfft", aval, axes)
    _check_norm("irfft", norm)
    if aval.dtype.kind != "c":
        raise TypeError(f"irfft: expected a complex operand, got {aval}")
    if len(lengths) != len(axes) or any(n < 1 for n in lengths):
        raise ValueError(
            f"irfft: expected one positive output length per axis {axes}, got {lengths}"
        )
    want = list(aval.shape)
    for a, n in zip(axes[:-1], lengths[:-1]):
        want[a] = n
    want[axes[-1]] = lengths[-1] // 2 + 1
    if tuple(want) != aval.shape:
        raise ValueError(
            f"irfft: an operand of shape {tuple(want)} is expected for output lengths {lengths} "
            f"along axes {axes}, got {aval}"
        )
    shape = list(aval.shape)
    shape[axes[-1]] = lengths[-1]
    return ShapedArray(tuple(shape), _real_of(aval.dtype))


irfft_p = Primitive("irfft", _irfft_impl)
irfft_p.abstract_eval = _irfft_abstract_eval


def irfft(x: Any, axes: tuple[int, ...], lengths: tuple[int, ...], norm: str = "backward") -> Any:
    """NumPy's irfftn of ``x``, whose shape along ``axes`` must already fit ``lengths``."""
    return irfft_p.bind(
        _as_complex(x), axes=tuple(axes), lengths=tuple(int(n) for n in lengths), norm=norm
    )


def _irfft_scale(lengths: tuple[int, ...], norm: str) -> float:
    size = math.prod(lengths)
    return {"backward": 1.0 / size, "ortho": 1.0 / math.sqrt(size), "forward": 1.0}[norm]


def _irfft_transpose(
    g: Any, x: Any, *, axes: tuple[int, ...], lengths: tuple[int, ...], norm: str
) -> Any:
    # irfft^T t = conj(c * w * rfft_unnormalized(t)); w = 2 for the frequencies that stand for
    # a mirrored pair, 1 for k = 0 and (even n) the Nyquist frequency
    dtype = getattr(x, "dtype", np.complex128)
    n = lengths[-1]
    m = n // 2 + 1
    weights = np.full(m, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    ndim = len(shape_of(g))
    last = axes[-1]
    weights = weights.reshape((m,) + (1,) * (ndim - 1 - last))
    weights = (weights * _irfft_scale(lengths, norm)).astype(_real_of(dtype))
    spectrum = rfft(_as_real(g, _real_of(dtype)), axes, "backward")
    return (conj_p.bind(multiply(spectrum, weights)),)


deflinear(irfft_p, _irfft_transpose)


def _irfft_batch(
    args: Any, dims: Any, *, axis_size: int, axes: Any, lengths: Any, norm: str
) -> Any:
    (x,), (d,) = args, dims
    ndim = len(shape_of(x)) - 1
    return irfft(x, _shift_axes(axes, ndim, d), lengths, norm), d


irfft_p.batch = _irfft_batch


def fit_length(x: Any, axis: int, n: int) -> Any:
    """``x`` zero-padded or truncated at the end of ``axis`` to length ``n``."""
    have = shape_of(x)[axis]
    if have == n:
        return x
    if have > n:
        return slice_along(x, axis, 0, n)
    widths = [(0, 0)] * len(shape_of(x))
    widths[axis] = (0, n - have)
    return pad_constant(x, 0.0, tuple(widths))
