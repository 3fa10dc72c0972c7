"""Window functions (``scipy.signal.windows``), differentiable in their float parameters.

Each window is written with ``fluxion.numpy`` operations, so ``kaiser``'s ``beta``,
``gaussian``'s ``std``, ``tukey``'s ``alpha``, ``general_gaussian``'s ``p`` and ``sig``,
``exponential``'s ``center`` and ``tau``, ``general_cosine``'s coefficients and
``general_hamming``'s ``alpha`` can be differentiated (and traced). The window length ``M``
and ``sym`` are static.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tracer
from ..numpy import core as fnp
from ..numpy import extra2
from ..prims._helpers import shape_of

ArrayLike = Any
Array = Any

__all__ = [
    "bartlett",
    "blackman",
    "boxcar",
    "cosine",
    "exponential",
    "gaussian",
    "general_cosine",
    "general_gaussian",
    "general_hamming",
    "get_window",
    "hamming",
    "hann",
    "kaiser",
    "triang",
    "tukey",
]


def _length(name: str, M: Any) -> int:
    if isinstance(M, bool) or not isinstance(M, int | np.integer) or M < 0:
        raise ValueError(f"{name}: expected a non-negative integer window length M, got {M!r}")
    return int(M)


def _extend(M: int, sym: bool) -> tuple[int, bool]:
    """The length to compute: one more for a periodic (``sym=False``) window, truncated later."""
    if not sym:
        return M + 1, True
    return M, False


def _truncate(w: Any, needed: bool) -> Any:
    return w[:-1] if needed else w


def _trivial(M: int) -> Array | None:
    if M <= 1:
        return np.ones(M)
    return None


def _n(M: int) -> np.ndarray:
    return np.arange(M, dtype=np.float64)


def general_cosine(M: int, a: ArrayLike, sym: bool = True) -> Array:
    """Generic weighted sum of cosines, ``w[n] = sum_k (-1)^k a[k] cos(2 pi k n / (M - 1))``.

    Differentiable in ``a``; matches ``scipy.signal.windows.general_cosine``.

    Parameters
    ----------
    M : int
        Number of points.
    a : array_like, shape (K,)
        The cosine weights.
    sym : bool, optional
        Symmetric (True, filter design) or periodic (False, spectral analysis).

    Returns
    -------
    Array, shape (M,)
    """
    M = _length("general_cosine", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    a = a if isinstance(a, Tracer) else np.asarray(a, dtype=np.float64)
    if len(shape_of(a)) != 1:
        raise ValueError(f"general_cosine: expected 1-D weights a, got shape {shape_of(a)}")
    fac = np.linspace(-np.pi, np.pi, M)
    out = 0.0
    for k in range(shape_of(a)[0]):
        out = out + a[k] * np.cos(k * fac)
    return _truncate(out, cut)


def general_hamming(M: int, alpha: float, sym: bool = True) -> Array:
    """Generalized Hamming window, ``alpha - (1 - alpha) cos(2 pi n / (M - 1))``.
    Differentiable in ``alpha``; matches ``scipy.signal.windows.general_hamming``.

    Parameters
    ----------
    M : int
    alpha : float
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    M = _length("general_hamming", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    # general_cosine with weights [alpha, 1 - alpha], without stacking the two scalars
    fac = np.linspace(-np.pi, np.pi, M)
    alpha = fnp.asarray(alpha)
    return _truncate(alpha * 1.0 + (1.0 - alpha) * np.cos(fac), cut)


def hann(M: int, sym: bool = True) -> Array:
    """Hann window; matches ``scipy.signal.windows.hann``.

    Parameters
    ----------
    M : int
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    return general_cosine(_length("hann", M), np.array([0.5, 0.5]), sym)


def hamming(M: int, sym: bool = True) -> Array:
    """Hamming window; matches ``scipy.signal.windows.hamming``.

    Parameters
    ----------
    M : int
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    return general_cosine(_length("hamming", M), np.array([0.54, 0.46]), sym)


def blackman(M: int, sym: bool = True) -> Array:
    """Blackman window; matches ``scipy.signal.windows.blackman``.

    Parameters
    ----------
    M : int
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    return general_cosine(_length("blackman", M), np.array([0.42, 0.50, 0.08]), sym)


def boxcar(M: int, sym: bool = True) -> Array:
    """Rectangular window (all ones); matches ``scipy.signal.windows.boxcar``.

    Parameters
    ----------
    M : int
    sym : bool, optional
        Ignored (a boxcar is the same either way).

    Returns
    -------
    Array, shape (M,)
    """
    return np.ones(_length("boxcar", M))


def bartlett(M: int, sym: bool = True) -> Array:
    """Bartlett (triangular, zero at the ends) window; matches
    ``scipy.signal.windows.bartlett``.

    Parameters
    ----------
    M : int
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    M = _length("bartlett", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    n = _n(M)
    w = np.where(n <= (M - 1) / 2.0, 2.0 * n / (M - 1), 2.0 - 2.0 * n / (M - 1))
    return _truncate(w, cut)


def triang(M: int, sym: bool = True) -> Array:
    """Triangular window (non-zero at the ends); matches ``scipy.signal.windows.triang``.

    Parameters
    ----------
    M : int
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    M = _length("triang", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    n = np.arange(1, (M + 1) // 2 + 1, dtype=np.float64)
    if M % 2 == 0:
        half = (2 * n - 1.0) / M
        w = np.concatenate([half, half[::-1]])
    else:
        half = 2 * n / (M + 1.0)
        w = np.concatenate([half, half[-2::-1]])
    return _truncate(w, cut)


def cosine(M: int, sym: bool = True) -> Array:
    """Simple cosine (sine) window, ``sin(pi (n + 1/2) / M)``; matches
    ``scipy.signal.windows.cosine``.

    Parameters
    ----------
    M : int
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    M = _length("cosine", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    return _truncate(np.sin(np.pi / M * (_n(M) + 0.5)), cut)


def kaiser(M: int, beta: float, sym: bool = True) -> Array:
    """Kaiser window, ``I0(beta sqrt(1 - (2n/(M-1) - 1)^2)) / I0(beta)``. Differentiable in
    ``beta``; matches ``scipy.signal.windows.kaiser``.

    Parameters
    ----------
    M : int
    beta : float
        Shape parameter (0: rectangular; about 8.6: close to Blackman).
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    M = _length("kaiser", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    alpha = (M - 1) / 2.0
    r = np.sqrt(np.clip(1.0 - ((_n(M) - alpha) / alpha) ** 2, 0.0, None))
    w = extra2.i0(beta * r) / extra2.i0(fnp.asarray(beta) * 1.0)
    return _truncate(w, cut)


def gaussian(M: int, std: float, sym: bool = True) -> Array:
    """Gaussian window, ``exp(-n^2 / (2 std^2))`` with ``n`` centred. Differentiable in
    ``std``; matches ``scipy.signal.windows.gaussian``.

    Parameters
    ----------
    M : int
    std : float
        Standard deviation, in samples.
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)
    """
    M = _length("gaussian", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    n = _n(M) - (M - 1.0) / 2.0
    return _truncate(fnp.exp(-(n**2) / (2.0 * fnp.asarray(std) ** 2)), cut)


def general_gaussian(M: int, p: float, sig: float, sym: bool = True) -> Array:
    """Generalized Gaussian window, ``exp(-|n / sig|^(2p) / 2)`` with ``n`` centred.
    Differentiable in ``p`` and ``sig``; matches ``scipy.signal.windows.general_gaussian``.

    Parameters
    ----------
    M : int
    p : float
        Shape (1: Gaussian; 0.5: Laplace-like).
    sig : float
        Width, in samples.
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)

    Notes
    -----
    At the centre of an odd-length window ``|n / sig| = 0``; the derivative in ``p`` there is
    zero (the power is taken as ``exp(2p log|n/sig|)`` only away from it).
    """
    M = _length("general_gaussian", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    n = _n(M) - (M - 1.0) / 2.0
    ratio = np.abs(n) / fnp.asarray(sig)  # sig > 0
    zero = n == 0
    safe = fnp.where(zero, 1.0, ratio)
    power = fnp.where(zero, 0.0, fnp.exp(2.0 * fnp.asarray(p) * fnp.log(safe)))
    return _truncate(fnp.exp(-0.5 * power), cut)


def tukey(M: int, alpha: float = 0.5, sym: bool = True) -> Array:
    """Tukey (tapered cosine) window. Differentiable in ``alpha``; matches
    ``scipy.signal.windows.tukey``.

    Parameters
    ----------
    M : int
    alpha : float, optional
        Fraction of the window inside the cosine tapers (0: rectangular, 1: Hann).
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)

    Notes
    -----
    ``alpha <= 0`` and ``alpha >= 1`` (decided on the value of ``alpha``, so they need a
    concrete ``alpha`` under jit) give the boxcar and the Hann window, as in SciPy. Inside,
    the taper boundary ``floor(alpha (M - 1) / 2)`` moves in steps, so the window is
    differentiable in ``alpha`` except where that boundary jumps.
    """
    M = _length("tukey", M)
    if (w := _trivial(M)) is not None:
        return w
    value = None if isinstance(alpha, Tracer) else float(alpha)
    if value is not None and value <= 0:
        return np.ones(M)
    if value is not None and value >= 1.0:
        return hann(M, sym=sym)
    M, cut = _extend(M, sym)
    n = _n(M)
    alpha = fnp.asarray(alpha) * 1.0
    width = fnp.floor(alpha * (M - 1) / 2.0)
    w1 = 0.5 * (1 + fnp.cos(np.pi * (-1 + 2.0 * n / alpha / (M - 1))))
    w3 = 0.5 * (1 + fnp.cos(np.pi * (-2.0 / alpha + 1 + 2.0 * n / alpha / (M - 1))))
    w = fnp.where(n <= width, w1, fnp.where(n >= M - width - 1, w3, 1.0))
    return _truncate(w, cut)


def exponential(M: int, center: float | None = None, tau: float = 1.0,
                sym: bool = True) -> Array:
    """Exponential (Poisson) window, ``exp(-|n - center| / tau)``. Differentiable in
    ``center`` (away from the samples) and ``tau``; matches
    ``scipy.signal.windows.exponential``.

    Parameters
    ----------
    M : int
    center : float, optional
        Default ``(M - 1) / 2``; only with ``sym=False``.
    tau : float, optional
        Decay, in samples.
    sym : bool, optional

    Returns
    -------
    Array, shape (M,)

    Raises
    ------
    ValueError
        For ``sym=True`` with a ``center``.
    """
    if sym and center is not None:
        raise ValueError("exponential: expected center=None for a symmetric window (sym=True)")
    M = _length("exponential", M)
    if (w := _trivial(M)) is not None:
        return w
    M, cut = _extend(M, sym)
    if center is None:
        center = (M - 1) / 2.0
    w = fnp.exp(-fnp.abs(_n(M) - center) / fnp.asarray(tau))
    return _truncate(w, cut)


_NO_PARAMS = {
    "hann": hann, "hanning": hann, "han": hann,
    "hamming": hamming, "hamm": hamming, "ham": hamming,
    "blackman": blackman, "black": blackman, "blk": blackman,
    "bartlett": bartlett, "bart": bartlett, "brt": bartlett,
    "triang": triang, "triangle": triang, "tri": triang,
    "boxcar": boxcar, "box": boxcar, "ones": boxcar, "rect": boxcar, "rectangular": boxcar,
    "cosine": cosine, "halfcosine": cosine,
    "tukey": tukey, "tuk": tukey,
    "exponential": exponential, "poisson": exponential,
}
_WITH_PARAMS = {
    "kaiser": kaiser, "ksr": kaiser,
    "gaussian": gaussian, "gauss": gaussian, "gss": gaussian,
    "general_gaussian": general_gaussian, "general gaussian": general_gaussian,
    "general gauss": general_gaussian, "general_gauss": general_gaussian, "ggs": general_gaussian,
    "tukey": tukey, "tuk": tukey,
    "general_cosine": general_cosine, "general cosine": general_cosine,
    "general_hamming": general_hamming,
    "exponential": exponential, "poisson": exponential,
}


def get_window(window: Any, Nx: int, fftbins: bool = True) -> Array:
    """A window by name. Differentiable in the window's float parameters; matches
    ``scipy.signal.get_window``.

    Parameters
    ----------
    window : str, float or tuple
        A name (``'hann'``), a name with parameters (``('kaiser', 8.0)``), or a float (the
        Kaiser ``beta``).
    Nx : int
        Number of samples.
    fftbins : bool, optional
        True: periodic window (for spectral analysis); False: symmetric.

    Returns
    -------
    Array, shape (Nx,)

    Notes
    -----
    Windows not written here (``'dpss'``, ``'chebwin'``, ...) come from SciPy as constants:
    their parameters are not differentiable.

    Raises
    ------
    ValueError
        For an unknown window or a window that needs parameters given without them.
    """
    sym = not fftbins
    if isinstance(window, tuple):
        name, args = window[0], window[1:]
    elif isinstance(window, str):
        name, args = window, ()
    elif isinstance(window, float | int | np.floating | Tracer) and not isinstance(window, bool):
        name, args = "kaiser", (window,)
    else:
        raise ValueError(
            f"get_window: expected a window name, a (name, parameters...) tuple or a float "
            f"beta, got {window!r}"
        )
    if not isinstance(name, str):
        raise ValueError(f"get_window: expected a window name, got {name!r}")
    key = name.lower()
    if args and key in _WITH_PARAMS:
        return _WITH_PARAMS[key](Nx, *args, sym=sym)
    if not args and key in _NO_PARAMS:
        return _NO_PARAMS[key](Nx, sym=sym)
    if key in _WITH_PARAMS:
        raise ValueError(f"get_window: the {name!r} window needs parameters, e.g. ({name!r}, x)")
    if any(isinstance(v, Tracer) for v in args):
        raise ValueError(f"get_window: the {name!r} window is not differentiable here")
    from scipy.signal.windows import get_window as scipy_get_window  # loads on first use

    try:
        return scipy_get_window(window, Nx, fftbins=fftbins)
    except ValueError as err:
        raise ValueError(f"get_window: {err}") from None

