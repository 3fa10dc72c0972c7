"""Differentiable ``numpy.fft`` on three primitives (``prims/fft.py``): fft, rfft and irfft.

Every transform binds one of them after padding or truncating its input to the transform
lengths; ``hfft``/``ihfft`` are irfft/rfft of conjugates with the norm's direction swapped (as
NumPy defines them), ``fftshift``/``ifftshift`` are rolls, and ``fftfreq``/``rfftfreq`` build
plain arrays (differentiable in a traced spacing ``d``).

Inputs are real or complex (integers and booleans are transformed as float64, as NumPy does);
float32 and complex64 stay single precision. ``norm`` is ``None``/"backward", "ortho" or
"forward". NumPy's ``out`` argument is not supported (pass ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import as_array
from ..core import Tracer
from ..prims import fft as pf
from ..prims._helpers import normalize_axis, shape_of
from ..prims.elementwise import conj_p, convert_element_type
from . import core as fnp

ArrayLike = Any
Array = Any

__all__ = [
    "fft",
    "ifft",
    "fft2",
    "ifft2",
    "fftn",
    "ifftn",
    "rfft",
    "irfft",
    "rfft2",
    "irfft2",
    "rfftn",
    "irfftn",
    "hfft",
    "ihfft",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]

_SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


# --------------------------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------------------------


def _asarray(x: Any) -> Any:
    if isinstance(x, Tracer | np.ndarray):
        return x
    return as_array(x)  # device arrays stay on their device


def _dtype(x: Any) -> np.dtype:
    return np.dtype(x.dtype)


def _norm(name: str, norm: Any) -> str:
    if norm is None:
        return "backward"
    if norm not in pf.NORMS:
        raise ValueError(
            f"fluxion.numpy.fft.{name}: expected norm None, 'backward', 'ortho' or 'forward', "
            f"got {norm!r}"
        )
    return norm


def _no_out(name: str, out: Any) -> None:
    if out is not None:
        raise TypeError(f"fluxion.numpy.fft.{name}: out= is not supported (arrays are immutable)")


def _inexact(name: str, a: Any, real_only: bool = False) -> Any:
    """``a`` as an array of a float or complex dtype (integers and booleans become float64)."""
    a = _asarray(a)
    kind = _dtype(a).kind
    if kind in "biu":
        return convert_element_type(a, np.float64)
    if kind == "c" and real_only:
        raise TypeError(
            f"fluxion.numpy.fft.{name}: expected a real array, got {_dtype(a)} with shape "
            f"{shape_of(a)}; use fft for complex input"
        )
    if kind not in "fc":
        raise TypeError(
            f"fluxion.numpy.fft.{name}: expected a numeric array, got {_dtype(a)} with shape "
            f"{shape_of(a)}"
        )
    return a


def _length(name: str, n: Any) -> int:
    if not isinstance(n, int | np.integer) or isinstance(n, bool):
        raise TypeError(f"fluxion.numpy.fft.{name}: expected an integer length, got {n!r}")
    if n < 1:
        raise ValueError(f"fluxion.numpy.fft.{name}: invalid number of data points ({n}) specified")
    return int(n)


def _one_axis(
    name: str, a: Any, n: Any, axis: Any
) -> tuple[tuple[int, ...], tuple[int | None, ...]]:
    nd = len(shape_of(a))
    if nd == 0:
        raise ValueError(f"fluxion.numpy.fft.{name}: expected an array of at least 1 dimension, "
                         "got a 0-d array")
    ax = normalize_axis(axis, nd, f"fluxion.numpy.fft.{name}")
    lengths = (None if n is None else _length(name, n),)
    _check_empty(name, a, (ax,), lengths)
    return (ax,), lengths


def _cook_nd(
    name: str, a: Any, s: Any, axes: Any
) -> tuple[tuple[int, ...], tuple[int | None, ...]]:
    """Normalized axes and the requested lengths along them (None: keep the input's)."""
    shape = shape_of(a)
    nd = len(shape)
    op = f"fluxion.numpy.fft.{name}"
    if axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    elif isinstance(axes, int | np.integer):
        axes = (axes,)
    axes = tuple(normalize_axis(x, nd, op) for x in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: repeated axes are not supported, got axes={axes}")
    if s is None:
        lengths: tuple[int | None, ...] = (None,) * len(axes)
    else:
        if isinstance(s, int | np.integer):
            s = (s,)
        s = tuple(s)
        if len(s) != len(axes):
            raise ValueError(f"{op}: s and axes must have the same length, got s={s} and "
                             f"axes={axes}")
        # -1: the input's length along that axis; None: the 1-D transform's default (as NumPy)
        lengths = tuple(
            None if n is None else shape[ax] if n == -1 else _length(name, n)
            for n, ax in zip(s, axes)
        )
    if not axes:
        raise ValueError(f"{op}: expected at least one axis to transform, got shape {shape}")
    _check_empty(name, a, axes, lengths)
    return axes, lengths


def _check_empty(name: str, a: Any, axes: Sequence[int], lengths: Sequence[int | None]) -> None:
    shape = shape_of(a)
    for ax, n in zip(axes, lengths):
        if n is None and shape[ax] == 0:
            raise ValueError(
                f"fluxion.numpy.fft.{name}: invalid number of data points (0) specified: the "
                f"input has length 0 along axis {ax} (shape {shape}); pass n or s"
            )


def _fit(a: Any, axes: Sequence[int], lengths: Sequence[int | None]) -> Any:
    for ax, n in zip(axes, lengths):
        if n is not None:
            a = pf.fit_length(a, ax, n)
    return a


# --------------------------------------------------------------------------------------------
# complex transforms
# --------------------------------------------------------------------------------------------


def _c2c(name: str, a: Any, s: Any, axes: Any, norm: Any, inverse: bool, one: bool) -> Array:
    a = _inexact(name, a)
    if one:
        axes, lengths = _one_axis(name, a, s, axes)
    else:
        axes, lengths = _cook_nd(name, a, s, axes)
    norm = _norm(name, norm)
    return pf.fft(_fit(a, axes, lengths), axes, inverse, norm)


_C2C_DOC = """{summary}. Differentiable; matches ``numpy.fft.{name}``.

    Parameters
    ----------
    a : array_like
        Real or complex input.
    {lengths}
    norm : {{None, "backward", "ortho", "forward"}}, optional
        Normalization: ``None``/"backward" scales the inverse by ``1/n``, "ortho" both
        directions by ``1/sqrt(n)``, "forward" the forward transform by ``1/n``.
    out : None
        Not supported.

    Returns
    -------
    Array
        Complex (complex64 for float32/complex64 input, else complex128); the shape of ``a``
        with the transformed axes of the requested lengths.

    Raises
    ------
    ValueError
        For an out-of-range or repeated axis, a length below 1 or an unknown ``norm``.

    Notes
    -----
    Repeated axes are not supported; ``out`` must be None.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.numpy as fnp
{example}
    """

_ONE_LEN = """n : int, optional
        Length of the transformed axis; the input is zero-padded or truncated to it.
    axis : int, optional
        Axis to transform (default last)."""
_ND_LEN = """s : sequence of int, optional
        Lengths of the transformed axes (``-1``: the input's); the input is zero-padded or
        truncated.
    axes : sequence of int, optional
        Axes to transform ({default})."""


def fft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
        out: Any = None) -> Array:
    _no_out("fft", out)
    return _c2c("fft", a, n, axis, norm, False, True)


def ifft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: Any = None) -> Array:
    _no_out("ifft", out)
    return _c2c("ifft", a, n, axis, norm, True, True)


def fftn(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None, out: Any = None) -> Array:
    _no_out("fftn", out)
    return _c2c("fftn", a, s, axes, norm, False, False)


def ifftn(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None, out: Any = None) -> Array:
    _no_out("ifftn", out)
    return _c2c("ifftn", a, s, axes, norm, True, False)


def fft2(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None, out: Any = None) -> Array:
    _no_out("fft2", out)
    return _c2c("fft2", a, s, axes, norm, False, False)


def ifft2(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None, out: Any = None) -> Array:
    _no_out("ifft2", out)
    return _c2c("ifft2", a, s, axes, norm, True, False)


# --------------------------------------------------------------------------------------------
# real transforms
# --------------------------------------------------------------------------------------------


def _r2c(name: str, a: Any, s: Any, axes: Any, norm: Any, one: bool) -> Array:
    a = _inexact(name, a, real_only=True)
    if one:
        axes, lengths = _one_axis(name, a, s, axes)
    else:
        axes, lengths = _cook_nd(name, a, s, axes)
    norm = _norm(name, norm)
    return pf.rfft(_fit(a, axes, lengths), axes, norm)


def _c2r(name: str, a: Any, s: Any, axes: Any, norm: Any, one: bool) -> Array:
    a = _inexact(name, a)
    if one:
        axes, lengths = _one_axis(name, a, s, axes)
    else:
        axes, lengths = _cook_nd(name, a, s, axes)
    norm = _norm(name, norm)
    shape = shape_of(a)
    out_lengths = [shape[ax] if n is None else n for ax, n in zip(axes, lengths)]
    if lengths[-1] is None:
        out_lengths[-1] = 2 * (shape[axes[-1]] - 1)
        if out_lengths[-1] < 1:
            raise ValueError(
                f"fluxion.numpy.fft.{name}: invalid number of data points ({out_lengths[-1]}) "
                f"specified (input length {shape[axes[-1]]} along axis {axes[-1]}); pass n"
            )
    fitted = list(out_lengths)
    fitted[-1] = out_lengths[-1] // 2 + 1
    return pf.irfft(_fit(a, axes, fitted), axes, tuple(out_lengths), norm)


def rfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: Any = None) -> Array:
    _no_out("rfft", out)
    return _r2c("rfft", a, n, axis, norm, True)


def irfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: Any = None) -> Array:
    _no_out("irfft", out)
    return _c2r("irfft", a, n, axis, norm, True)


def rfftn(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None, out: Any = None) -> Array:
    _no_out("rfftn", out)
    return _r2c("rfftn", a, s, axes, norm, False)


def irfftn(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None, out: Any = None) -> Array:
    _no_out("irfftn", out)
    return _c2r("irfftn", a, s, axes, norm, False)


def rfft2(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None, out: Any = None) -> Array:
    _no_out("rfft2", out)
    return _r2c("rfft2", a, s, axes, norm, False)


def irfft2(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None, out: Any = None) -> Array:
    _no_out("irfft2", out)
    return _c2r("irfft2", a, s, axes, norm, False)


def hfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: Any = None) -> Array:
    _no_out("hfft", out)
    # NumPy: irfft(conj(a), n, axis, norm=swap(norm))
    a = _inexact("hfft", a)
    if _dtype(a).kind == "c":
        a = conj_p.bind(a)
    return _c2r("hfft", a, n, axis, _SWAP[_norm("hfft", norm)], True)


def ihfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: Any = None) -> Array:
    _no_out("ihfft", out)
    # NumPy: conj(rfft(a, n, axis, norm=swap(norm)))
    return conj_p.bind(_r2c("ihfft", a, n, axis, _SWAP[_norm("ihfft", norm)], True))


# --------------------------------------------------------------------------------------------
# helpers: frequencies and shifts
# --------------------------------------------------------------------------------------------


def fftfreq(n: int, d: Any = 1.0, device: Any = None) -> Array:
    """Sample frequencies of :func:`fft`. Matches ``numpy.fft.fftfreq``.

    Parameters
    ----------
    n : int
        Window length.
    d : scalar, optional
        Sample spacing; may be traced (the result is differentiable in ``d``).
    device : None
        Accepted for NumPy compatibility ("cpu" or None).

    Returns
    -------
    Array, shape ``(n,)``
        ``[0, 1, ..., n/2-1, -n/2, ..., -1] / (d n)`` for even ``n`` (NumPy's layout).

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> fnp.fft.fftfreq(4, 0.5)
    array([ 0. ,  0.5, -1. , -0.5])
    """
    n = _length("fftfreq", n)
    if isinstance(d, Tracer):
        return fnp.divide(np.fft.fftfreq(n, 1.0), d)
    return np.fft.fftfreq(n, d)


def rfftfreq(n: int, d: Any = 1.0, device: Any = None) -> Array:
    """Sample frequencies of :func:`rfft`. Matches ``numpy.fft.rfftfreq``.

    Parameters
    ----------
    n : int
        Window length.
    d : scalar, optional
        Sample spacing; may be traced (the result is differentiable in ``d``).
    device : None
        Accepted for NumPy compatibility ("cpu" or None).

    Returns
    -------
    Array, shape ``(n // 2 + 1,)``
        ``[0, 1, ..., n // 2] / (d n)``.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> fnp.fft.rfftfreq(4, 0.5)
    array([0. , 0.5, 1. ])
    """
    n = _length("rfftfreq", n)
    if isinstance(d, Tracer):
        return fnp.divide(np.fft.rfftfreq(n, 1.0), d)
    return np.fft.rfftfreq(n, d)


def _shift(name: str, x: Any, axes: Any, sign: int) -> Array:
    x = _asarray(x)
    shape = shape_of(x)
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, int | np.integer):
        axes = (axes,)
    axes = tuple(normalize_axis(a, len(shape), f"fluxion.numpy.fft.{name}") for a in axes)
    if not axes:
        return x
    shifts = tuple(sign * (shape[a] // 2) for a in axes)
    return fnp.roll(x, shifts, axes)


def fftshift(x: ArrayLike, axes: int | Sequence[int] | None = None) -> Array:
    """Move the zero frequency to the centre. Differentiable; matches ``numpy.fft.fftshift``.

    Parameters
    ----------
    x : array_like
    axes : int or sequence of int, optional
        Axes to shift (default all).

    Returns
    -------
    Array
        Same shape and dtype as ``x``, rolled by ``n // 2`` along each axis.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> fnp.fft.fftshift(fnp.fft.fftfreq(5))
    array([-0.4, -0.2,  0. ,  0.2,  0.4])
    """
    return _shift("fftshift", x, axes, 1)


def ifftshift(x: ArrayLike, axes: int | Sequence[int] | None = None) -> Array:
    """The inverse of :func:`fftshift`. Differentiable; matches ``numpy.fft.ifftshift``.

    Parameters
    ----------
    x : array_like
    axes : int or sequence of int, optional
        Axes to shift (default all).

    Returns
    -------
    Array
        Same shape and dtype as ``x``, rolled by ``-(n // 2)`` along each axis.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> fnp.fft.ifftshift(fnp.fft.fftshift(fnp.fft.fftfreq(5)))
    array([ 0. ,  0.2,  0.4, -0.4, -0.2])
    """
    return _shift("ifftshift", x, axes, -1)


# --------------------------------------------------------------------------------------------
# docstrings of the transforms (one template; each function differs in summary and lengths)
# --------------------------------------------------------------------------------------------



_X = "np.array([1.0, 2.0, 0.0, -1.0])"
_EXAMPLES = {
    "fft": (f"fnp.fft.fft({_X})", "array([2.+0.j, 1.-3.j, 0.+0.j, 1.+3.j])"),
    "ifft": (f"fnp.fft.ifft({_X})", "array([0.5 +0.j  , 0.25+0.75j, 0.  +0.j  , 0.25-0.75j])"),
    "rfft": (f"fnp.fft.rfft({_X})", "array([2.+0.j, 1.-3.j, 0.+0.j])"),
    "irfft": (f"fnp.fft.irfft(fnp.fft.rfft({_X}))", "array([ 1.,  2.,  0., -1.])"),
    "hfft": ("fnp.fft.hfft(np.array([1.0, 2.0, 3.0]))", "array([ 8., -2.,  0., -2.])"),
    "ihfft": (f"fnp.fft.ihfft({_X})", "array([0.5 -0.j  , 0.25+0.75j, 0.  -0.j  ])"),
    "fft2": ("fnp.fft.fft2(np.eye(2))", "array([[2.+0.j, 0.+0.j],\n       [0.+0.j, 2.+0.j]])"),
    "ifft2": ("fnp.fft.ifft2(np.eye(2))",
              "array([[0.5+0.j, 0. +0.j],\n       [0. +0.j, 0.5+0.j]])"),
    "fftn": ("fnp.fft.fftn(np.eye(2))", "array([[2.+0.j, 0.+0.j],\n       [0.+0.j, 2.+0.j]])"),
    "ifftn": ("fnp.fft.ifftn(np.eye(2))",
              "array([[0.5+0.j, 0. +0.j],\n       [0. +0.j, 0.5+0.j]])"),
    "rfft2": ("fnp.fft.rfft2(np.eye(2))",
              "array([[2.+0.j, 0.+0.j],\n       [0.+0.j, 2.+0.j]])"),
    "irfft2": ("fnp.fft.irfft2(np.eye(2))", "array([[0.5, 0. ],\n       [0. , 0.5]])"),
    "rfftn": ("fnp.fft.rfftn(np.eye(2))",
              "array([[2.+0.j, 0.+0.j],\n       [0.+0.j, 2.+0.j]])"),
    "irfftn": ("fnp.fft.irfftn(np.eye(2))", "array([[0.5, 0. ],\n       [0. , 0.5]])"),
}


def _example(name: str) -> str:
    call, output = _EXAMPLES[name]
    return "\n".join(["    >>> " + call] + ["    " + line for line in output.split("\n")])


def _nd_lengths(name: str) -> str:
    if name.endswith("2"):
        return _ND_LEN.format(default="default the last two")
    return _ND_LEN.format(default="default all, or the last ``len(s)``")


_SUMMARY = {
    "fft": "One-dimensional discrete Fourier transform",
    "ifft": "One-dimensional inverse discrete Fourier transform",
    "fft2": "Two-dimensional discrete Fourier transform",
    "ifft2": "Two-dimensional inverse discrete Fourier transform",
    "fftn": "N-dimensional discrete Fourier transform",
    "ifftn": "N-dimensional inverse discrete Fourier transform",
}

for _name, _summary in _SUMMARY.items():
    if _name in ("fft", "ifft"):
        _lens = _ONE_LEN
    else:
        _lens = _nd_lengths(_name)
    globals()[_name].__doc__ = _C2C_DOC.format(
        summary=_summary, name=_name, lengths=_lens, example=_example(_name)
    )

_REAL_DOC = """{summary}. Differentiable; matches ``numpy.fft.{name}``.

    Parameters
    ----------
    a : array_like
        {input}
    {lengths}
    norm : {{None, "backward", "ortho", "forward"}}, optional
        Normalization, as for :func:`fft`.
    out : None
        Not supported.

    Returns
    -------
    Array
        {output}

    Raises
    ------
    TypeError
        {raises}
    ValueError
        For an out-of-range or repeated axis, a length below 1 or an unknown ``norm``.

    Notes
    -----
    {notes}Repeated axes are not supported; ``out`` must be None.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.numpy as fnp
{example}
    """

_REAL = {
    "rfft": ("Discrete Fourier transform of real input", _ONE_LEN, "Real input.",
             "Complex; the transformed axis has ``n // 2 + 1`` entries.",
             "For complex input (use :func:`fft`).", ""),
    "rfft2": ("Two-dimensional transform of real input", None, "Real input.",
              "Complex; the last transformed axis has ``s[-1] // 2 + 1`` entries.",
              "For complex input (use :func:`fft2`).", ""),
    "rfftn": ("N-dimensional transform of real input", None, "Real input.",
              "Complex; the last transformed axis has ``s[-1] // 2 + 1`` entries.",
              "For complex input (use :func:`fftn`).", ""),
    "irfft": ("Inverse of :func:`rfft`", _ONE_LEN.replace("zero-padded or truncated to it",
                                                          "fitted to ``n // 2 + 1`` entries"),
              "Half spectrum (complex or real).",
              "Real, ``n`` entries along ``axis`` (default ``2 (m - 1)`` for ``m`` inputs).",
              "For a non-numeric input.",
              "The imaginary parts of the zero (and, for even ``n``, Nyquist) frequency are "
              "ignored, as in NumPy; their derivative is zero.\n    "),
    "irfft2": ("Inverse of :func:`rfft2`", None, "Half spectrum (complex or real).",
               "Real; the last transformed axis has ``s[-1]`` entries.",
               "For a non-numeric input.", ""),
    "irfftn": ("Inverse of :func:`rfftn`", None, "Half spectrum (complex or real).",
               "Real; the last transformed axis has ``s[-1]`` entries.",
               "For a non-numeric input.", ""),
    "hfft": ("Transform of a Hermitian-symmetric signal given by its first half", _ONE_LEN,
             "The first half of a Hermitian-symmetric signal.",
             "Real spectrum, ``n`` entries along ``axis`` (default ``2 (m - 1)``).",
             "For a non-numeric input.",
             "Computed as ``irfft(conj(a), n, axis, norm=swap(norm))``, as in NumPy.\n    "),
    "ihfft": ("Inverse of :func:`hfft`", _ONE_LEN, "Real input.",
              "Complex, ``n // 2 + 1`` entries along ``axis``.",
              "For complex input.",
              "Computed as ``conj(rfft(a, n, axis, norm=swap(norm)))``, as in NumPy.\n    "),
}

for _name, (_summary, _lens, _inp, _outp, _raises, _notes) in _REAL.items():
    if _lens is None:
        _lens = _nd_lengths(_name)
    globals()[_name].__doc__ = _REAL_DOC.format(
        summary=_summary, name=_name, lengths=_lens, input=_inp, output=_outp, raises=_raises,
        notes=_notes, example=_example(_name),
    )

# plain numpy.fft calls on traced values route here
fnp.register_numpy_dispatch(globals(), __all__, np.fft)
