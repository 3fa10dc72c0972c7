"""``fluxion.numpy.fft``: differentiable discrete Fourier transforms (matches ``numpy.fft``)."""

from fluxion._src.numpy.fft import *  # noqa: F403
from fluxion._src.numpy.fft import __all__ as __all__  # noqa: F401
