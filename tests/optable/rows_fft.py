"""Op-table rows for ``fluxion.numpy.fft`` (primitives fft, rfft, irfft in ``prims/fft.py``).

Complex inputs are built from two real arguments (``x + 1j y``) and complex results are
returned as ``(real, imag)`` so that every column (finite differences, ``<u, J v> ==
<vjp(u), v>``) works on real arrays; the vjp column thereby checks the transposes under
fluxion's convention for complex cotangents. Lengths cover padding, truncation, odd and even
``n`` and every ``norm``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import fluxion.numpy as fnp
from fluxion._src.prims import fft as pf
from optable import OpCase

F32 = np.float32

ROWS: list[OpCase] = []


def normal(shape: tuple, dtype: Any = np.float64) -> Callable:
    return lambda rng: rng.standard_normal(shape).astype(dtype)


def parts(z: Any, lib: Any) -> tuple:
    return lib.real(z), lib.imag(z)


def real_row(name: str, fname: str, shape: tuple, prims: tuple, dtype: Any = np.float64,
             **kw: Any) -> None:
    """``fname(x, **kw)`` of one real input; complex results as (real, imag)."""

    def run(lib: Any) -> Callable:
        def f(x: Any) -> Any:
            out = getattr(lib.fft, fname)(x, **kw)
            return parts(out, lib) if np.iscomplexobj(np.empty(0, out.dtype)) else out

        return f

    tol = 1e-4 if dtype == F32 else 1e-9
    ROWS.append(OpCase(name=name, fn=run(fnp), ref=run(np), make_args=lambda rng: (
        normal(shape, dtype)(rng),), prims=prims, rtol=tol, atol=tol))


def complex_row(name: str, fname: str, shape: tuple, prims: tuple, **kw: Any) -> None:
    """``fname(x + 1j y, **kw)``; complex results as (real, imag)."""

    def run(lib: Any) -> Callable:
        def f(x: Any, y: Any) -> Any:
            out = getattr(lib.fft, fname)(x + 1j * y, **kw)
            return parts(out, lib) if np.iscomplexobj(np.empty(0, out.dtype)) else out

        return f

    ROWS.append(OpCase(name=name, fn=run(fnp), ref=run(np), make_args=lambda rng: (
        normal(shape)(rng), normal(shape)(rng)), prims=prims, rtol=1e-9, atol=1e-9))


FFT = (pf.fft_p,)
RFFT = (pf.rfft_p,)
IRFFT = (pf.irfft_p,)

# complex to complex
real_row("fft-real-(8,)", "fft", (8,), FFT)
real_row("fft-real-f32-(6,)", "fft", (6,), FFT, dtype=F32)
for _norm in (None, "ortho", "forward"):
    complex_row(f"fft-complex-(6,)-{_norm}", "fft", (6,), FFT, norm=_norm)
    complex_row(f"ifft-complex-(5,)-{_norm}", "ifft", (5,), FFT, norm=_norm)
complex_row("fft-pad-n8-(5,)", "fft", (5,), FFT, n=8)
complex_row("fft-truncate-n3-(2,5)", "fft", (2, 5), FFT, n=3)
complex_row("ifft-axis0-(4,3)", "ifft", (4, 3), FFT, axis=0, norm="ortho")
complex_row("fft2-complex-(3,4)", "fft2", (3, 4), FFT)
complex_row("ifft2-s-(2,3,4)", "ifft2", (2, 3, 4), FFT, s=(4, 5), norm="forward")
complex_row("fftn-axes02-(2,3,4)", "fftn", (2, 3, 4), FFT, axes=(0, 2))
real_row("ifftn-real-s-(2,3,4)", "ifftn", (2, 3, 4), FFT, s=(3, -1, 2), axes=(0, 1, 2))
complex_row("fftn-all-(2,3)", "fftn", (2, 3), FFT, norm="ortho")

# real to complex
real_row("rfft-(8,)", "rfft", (8,), RFFT)
real_row("rfft-(7,)-ortho", "rfft", (7,), RFFT, norm="ortho")
real_row("rfft-n10-(7,)-forward", "rfft", (7,), RFFT, n=10, norm="forward")
real_row("rfft-n5-(3,8)", "rfft", (3, 8), RFFT, n=5)
real_row("rfft-axis0-(5,3)", "rfft", (5, 3), RFFT, axis=0)
real_row("rfft-f32-(6,)", "rfft", (6,), RFFT, dtype=F32)
real_row("rfft2-(4,6)", "rfft2", (4, 6), RFFT)
real_row("rfftn-axes02-(2,3,5)", "rfftn", (2, 3, 5), RFFT, axes=(0, 2), norm="ortho")
real_row("rfftn-s-(3,4)", "rfftn", (3, 4), RFFT, s=(2, 5), axes=(0, 1))

# complex (half spectrum) to real
for _norm in (None, "ortho", "forward"):
    complex_row(f"irfft-(5,)-{_norm}", "irfft", (5,), IRFFT, norm=_norm)
complex_row("irfft-odd-n9-(5,)", "irfft", (5,), IRFFT, n=9)
complex_row("irfft-odd-n7-(4,)", "irfft", (4,), IRFFT, n=7, norm="ortho")
complex_row("irfft-truncate-n3-(6,)", "irfft", (6,), IRFFT, n=3)
complex_row("irfft-axis0-(4,3)", "irfft", (4, 3), IRFFT, axis=0)
real_row("irfft-real-input-(5,)", "irfft", (5,), IRFFT)
complex_row("irfft2-s-(4,4)", "irfft2", (4, 4), IRFFT, s=(4, 6))
complex_row("irfft2-(3,4)-odd", "irfft2", (3, 4), IRFFT, s=(3, 7), norm="forward")
complex_row("irfftn-(2,3,3)", "irfftn", (2, 3, 3), IRFFT, norm="ortho")
complex_row("irfftn-axes01-(3,4,2)", "irfftn", (3, 4, 2), IRFFT, axes=(0, 1), s=(3, 5))

# Hermitian transforms
complex_row("hfft-(5,)", "hfft", (5,), IRFFT)
complex_row("hfft-n7-(4,)-ortho", "hfft", (4,), IRFFT, n=7, norm="ortho")
real_row("hfft-real-(5,)-forward", "hfft", (5,), IRFFT, norm="forward")
real_row("ihfft-(6,)", "ihfft", (6,), RFFT)
real_row("ihfft-n5-(2,6)-forward", "ihfft", (2, 6), RFFT, n=5, norm="forward")

# shifts (rolls) and frequencies (differentiable in a traced spacing d)
real_row("fftshift-(5,)", "fftshift", (5,), ())
real_row("fftshift-axes1-(3,4)", "fftshift", (3, 4), (), axes=1)
real_row("ifftshift-(4,5)", "ifftshift", (4, 5), ())
for _fname in ("fftfreq", "rfftfreq"):
    ROWS.append(OpCase(
        name=f"{_fname}-d", fn=lambda d, _f=_fname: getattr(fnp.fft, _f)(7, d),
        ref=lambda d, _f=_fname: getattr(np.fft, _f)(7, d),
        make_args=lambda rng: (np.asarray(rng.uniform(0.5, 2.0)),),
    ))
