"""Elementwise bijectors: ``Log``, ``Tanh``, ``Power``, ``Reciprocal``, ``Square``, ``NormalCDF``.

Each acts on scalars (``forward_min_event_ndims == 0``); log-det-Jacobians are ``log|f'(x)|``
written in closed form, in the direction that is accurate (``log1p``, ``log_ndtr``-free
Gaussian density, ``tanh`` through ``logaddexp``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import tree_util
from ..numpy import core as fnp
from ..scipy import special as fsp
from .core import Array, Bijector, _log1m_tanh_sq

__all__ = ["Log", "NormalCDF", "Power", "Reciprocal", "Square", "Tanh"]

_LOG2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@tree_util.dataclass
class Log(Bijector):
    """``y = log(x)``: the positive reals to the real line (the inverse of :class:`Exp`).

    ``log|dy/dx| = -log(x)``; the inverse is ``exp`` with ``log|dx/dy| = y``.

    Examples
    --------
    >>> float(Log().forward(1.0))
    0.0
    """

    def _forward(self, x: Array) -> Array:
        return fnp.log(x)

    def _inverse(self, y: Array) -> Array:
        return fnp.exp(y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return -fnp.log(x)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return y


@tree_util.dataclass
class Tanh(Bijector):
    """``y = tanh(x)``: the real line to ``(-1, 1)``.

    ``log|dy/dx| = log(1 - tanh(x)^2) = 2 log 2 - 2 logaddexp(x, -x)``, finite for every
    finite ``x`` (no ``1 - 1`` cancellation in the tails). The inverse is ``arctanh`` with
    ``log|dx/dy| = -log1p(-y^2)``.

    Examples
    --------
    >>> float(Tanh().forward_log_det_jacobian(0.0))
    0.0
    """

    def _forward(self, x: Array) -> Array:
        return fnp.tanh(x)

    def _inverse(self, y: Array) -> Array:
        return fnp.arctanh(y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return _log1m_tanh_sq(x)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -fnp.log1p(-y * y)


def _odd_integer(p: Any) -> bool:
    """True for a concrete power that is an odd integer (the map is then a bijection of R)."""
    if not isinstance(p, int | float | np.ndarray | np.generic) or isinstance(p, bool):
        return False
    a = np.asarray(p, dtype=np.float64)
    return bool(np.all(np.isfinite(a) & (a == np.round(a)) & (np.abs(np.fmod(a, 2.0)) == 1.0)))


@tree_util.dataclass
class Power(Bijector):
    """``y = x ** power`` on the positive reals (TFP's ``Power``).

    ``log|dy/dx| = log|power| + (power - 1) log x``. For an odd integer ``power`` (known when
    the bijector is built) the map is a bijection of the whole real line,
    ``y = sign(x) |x|^power``, and the formulas use ``|x|``.

    Parameters
    ----------
    power : array_like
        Nonzero (``power == 0`` maps everything to 1 and has no inverse).
    odd_integer : bool, optional
        Whether ``power`` is an odd integer (the map then covers the whole real line). Default:
        read off a concrete ``power``; a traced one counts as not odd. Static data: it
        survives ``jit``, where the power itself is traced.

    Raises
    ------
    ValueError
        If a concrete ``power`` is 0 or not finite.

    Examples
    --------
    >>> float(Power(3.0).inverse(-8.0))
    -2.0
    """

    power: Any
    odd_integer: Any = tree_util.field(static=True, default=None)

    def __post_init__(self) -> None:
        if self.odd_integer is None:
            object.__setattr__(self, "odd_integer", _odd_integer(self.power))
        p = self.power
        if isinstance(p, int | float | np.ndarray | np.generic) and not isinstance(p, bool):
            a = np.asarray(p, dtype=np.float64)
            if not np.all(np.isfinite(a) & (a != 0)):
                raise ValueError(
                    f"Power: expected a finite, nonzero power (x ** 0 == 1 is not invertible), "
                    f"got {p!r}"
                )

    def _forward(self, x: Array) -> Array:
        if self.odd_integer:
            return fnp.sign(x) * fnp.abs(x) ** self.power
        return x**self.power

    def _inverse(self, y: Array) -> Array:
        if self.odd_integer:
            return fnp.sign(y) * fnp.abs(y) ** (1.0 / self.power)
        return y ** (1.0 / self.power)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        p = self.power
        return fnp.log(fnp.abs(p)) + (p - 1.0) * fnp.log(fnp.abs(x))

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        # x = y^(1/p): dx/dy = (1/p) y^(1/p - 1)
        p = self.power
        return -fnp.log(fnp.abs(p)) + (1.0 / p - 1.0) * fnp.log(fnp.abs(y))


@tree_util.dataclass
class Reciprocal(Bijector):
    """``y = 1 / x`` (on either half-line; its own inverse).

    ``log|dy/dx| = -2 log|x|``.

    Examples
    --------
    >>> float(Reciprocal().forward(4.0))
    0.25
    """

    def _forward(self, x: Array) -> Array:
        return 1.0 / x

    def _inverse(self, y: Array) -> Array:
        return 1.0 / y

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return -2.0 * fnp.log(fnp.abs(x))

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -2.0 * fnp.log(fnp.abs(y))


@tree_util.dataclass
class Square(Bijector):
    """``y = x ** 2`` on the non-negative reals; the inverse is ``sqrt``.

    ``log|dy/dx| = log 2 + log x``.

    Examples
    --------
    >>> float(Square().inverse(9.0))
    3.0
    """

    def _forward(self, x: Array) -> Array:
        return x * x

    def _inverse(self, y: Array) -> Array:
        return fnp.sqrt(y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return _LOG2 + fnp.log(x)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return -_LOG2 - 0.5 * fnp.log(y)


@tree_util.dataclass
class NormalCDF(Bijector):
    """``y = Phi(x)``, the standard normal CDF: the real line to ``(0, 1)``.

    ``log|dy/dx| = log phi(x) = -x^2/2 - log(sqrt(2 pi))``; the inverse is ``ndtri``.

    Examples
    --------
    >>> float(NormalCDF().forward(0.0))
    0.5
    """

    def _forward(self, x: Array) -> Array:
        return fsp.ndtr(x)

    def _inverse(self, y: Array) -> Array:
        return fsp.ndtri(y)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return -0.5 * x * x - _HALF_LOG_2PI

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        x = fsp.ndtri(y)
        return 0.5 * x * x + _HALF_LOG_2PI
