"""``fluxion.scipy.special`` names of issue 14's list that are composites of existing fluxion
functions (found missing by ``tools/scipy_coverage.py``): ``sinc``."""

from __future__ import annotations

from typing import Any

from ..numpy import core as fnp

ArrayLike = Any
Array = Any

__all__ = ["sinc"]


def sinc(x: ArrayLike, /) -> Array:
    """Normalised sinc, ``sin(pi x) / (pi x)``, elementwise (1 at ``x = 0``).

    Differentiable; matches ``scipy.special.sinc`` (which is ``numpy.sinc``). Any order of
    derivative, the removable singularity at 0 included.

    Parameters
    ----------
    x : array_like
        Input, any shape (real or complex).

    Returns
    -------
    Array
        Same shape as ``x``.
    """
    return fnp.sinc(x)
