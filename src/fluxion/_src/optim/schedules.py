"""Learning-rate schedules: functions ``schedule(count) -> value`` written with fluxion ops.

``count`` is the optimizer's step counter (0 for the first update): a Python int, a NumPy
integer, or a traced int32 scalar under jit. The values (``init_value`` and so on) may be
traced too, so a loss can be differentiated with respect to a schedule's parameters. The
formulas follow optax's schedules of the same names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..numpy import core as fnp

Schedule = Callable[[Any], Any]

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_schedule",
    "piecewise_constant_schedule",
    "polynomial_schedule",
    "warmup_cosine_decay_schedule",
]


def _check_steps(name: str, arg: str, value: Any, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: expected an integer {arg}, got {type(value).__name__} {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: expected {arg} {bound}, got {value}")
    return int(value)


def _as_float(count: Any) -> Any:
    return fnp.astype(fnp.asarray(count), fnp.float64)


def constant_schedule(value: Any) -> Schedule:
    """A schedule that always returns ``value``.

    Parameters
    ----------
    value : float or Array, shape ``()``

    Returns
    -------
    callable
        ``schedule(count) -> value``.
    """

    def schedule(count: Any) -> Any:
        del count
        return value

    return schedule


def exponential_decay(
    init_value: Any,
    transition_steps: int,
    decay_rate: Any,
    *,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: Any = None,
) -> Schedule:
    """Exponential decay: ``init_value * decay_rate ** ((count - transition_begin) / steps)``.

    Parameters
    ----------
    init_value : float
        The value up to ``transition_begin``.
    transition_steps : int
        The number of steps over which the value is multiplied by ``decay_rate`` (``> 0``).
    decay_rate : float
        The factor per ``transition_steps`` (``> 0``; ``< 1`` decays, ``> 1`` grows).
    transition_begin : int, optional
        Steps at ``init_value`` before the decay starts.
    staircase : bool, optional
        Decay in discrete jumps every ``transition_steps`` (``floor`` of the exponent).
    end_value : float, optional
        A floor (when decaying) or ceiling (when growing) on the value.

    Returns
    -------
    callable
        ``schedule(count) -> value``, shape ``()``.

    Examples
    --------
    >>> from fluxion.optim import exponential_decay
    >>> s = exponential_decay(1.0, transition_steps=10, decay_rate=0.5)
    >>> float(s(10)), float(s(20))
    (0.5, 0.25)
    """
    transition_steps = _check_steps("exponential_decay", "transition_steps", transition_steps)
    transition_begin = _check_steps(
        "exponential_decay", "transition_begin", transition_begin, allow_zero=True
    )
    if isinstance(decay_rate, int | float) and decay_rate <= 0:
        raise ValueError(f"exponential_decay: expected decay_rate > 0, got {decay_rate}")

    def schedule(count: Any) -> Any:
        # p = max(count - begin, 0) / steps
        steps_in = fnp.maximum(_as_float(count) - transition_begin, 0.0)
        p = steps_in / transition_steps
        if staircase:
            p = fnp.floor(p)
        # value = init * rate ** p
        value = init_value * fnp.power(decay_rate, p)
        if end_value is not None:
            grows = isinstance(decay_rate, int | float) and decay_rate > 1
            value = fnp.minimum(value, end_value) if grows else fnp.maximum(value, end_value)
        return value

    return schedule


def polynomial_schedule(
    init_value: Any,
    end_value: Any,
    power: Any,
    transition_steps: int,
    transition_begin: int = 0,
) -> Schedule:
    """Polynomial interpolation from ``init_value`` to ``end_value`` over ``transition_steps``.

    Parameters
    ----------
    init_value, end_value : float
    power : float
        ``1`` is linear.
    transition_steps : int
        Steps from ``init_value`` to ``end_value`` (``> 0``).
    transition_begin : int, optional
        Steps at ``init_value`` before the transition.

    Returns
    -------
    callable
        ``schedule(count) -> (init - end) * (1 - t / steps) ** power + end`` with
        ``t = clip(count - transition_begin, 0, steps)``.
    """
    transition_steps = _check_steps("polynomial_schedule", "transition_steps", transition_steps)
    transition_begin = _check_steps(
        "polynomial_schedule", "transition_begin", transition_begin, allow_zero=True
    )

    def schedule(count: Any) -> Any:
        t = fnp.clip(_as_float(count) - transition_begin, 0.0, float(transition_steps))
        # value = (init - end) * (1 - t / steps) ** power + end
        frac = 1.0 - t / transition_steps
        return (init_value - end_value) * frac**power + end_value

    return schedule


def linear_schedule(
    init_value: Any, end_value: Any, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """Linear interpolation from ``init_value`` to ``end_value``, then constant.

    Parameters
    ----------
    init_value, end_value : float
    transition_steps : int
        Steps from ``init_value`` to ``end_value`` (``> 0``).
    transition_begin : int, optional
        Steps at ``init_value`` before the transition.

    Returns
    -------
    callable
        ``schedule(count) -> value``, shape ``()``.

    Examples
    --------
    >>> from fluxion.optim import linear_schedule
    >>> s = linear_schedule(0.0, 1.0, transition_steps=4)
    >>> [float(s(i)) for i in range(6)]
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def cosine_decay_schedule(
    init_value: Any, decay_steps: int, alpha: Any = 0.0, exponent: Any = 1.0
) -> Schedule:
    """Cosine decay from ``init_value`` to ``alpha * init_value`` over ``decay_steps``.

    Parameters
    ----------
    init_value : float
    decay_steps : int
        Steps of the decay (``> 0``); the value stays at ``alpha * init_value`` afterwards.
    alpha : float, optional
        The final value as a fraction of ``init_value``.
    exponent : float, optional
        Power applied to the cosine factor.

    Returns
    -------
    callable
        ``schedule(count) -> init * ((1 - alpha) * c ** exponent + alpha)`` with
        ``c = (1 + cos(pi * min(count, decay_steps) / decay_steps)) / 2``.

    References
    ----------
    Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """
    decay_steps = _check_steps("cosine_decay_schedule", "decay_steps", decay_steps)

    def schedule(count: Any) -> Any:
        t = fnp.minimum(_as_float(count), float(decay_steps))
        # c = (1 + cos(pi t / T)) / 2
        cosine = 0.5 * (1.0 + fnp.cos(np.pi * t / decay_steps))
        return init_value * ((1.0 - alpha) * cosine**exponent + alpha)

    return schedule


def piecewise_constant_schedule(
    init_value: Any, boundaries_and_scales: Mapping[int, Any] | None = None
) -> Schedule:
    """A piecewise-constant schedule: multiply by ``scale`` from step ``boundary`` on.

    Parameters
    ----------
    init_value : float
    boundaries_and_scales : dict of int to float, optional
        ``{boundary: scale}``; at ``count >= boundary`` the value is multiplied by ``scale``
        (the scales of all passed boundaries accumulate).

    Returns
    -------
    callable
        ``schedule(count) -> value``, shape ``()``.

    Examples
    --------
    >>> from fluxion.optim import piecewise_constant_schedule
    >>> s = piecewise_constant_schedule(1.0, {2: 0.5, 4: 0.1})
    >>> [round(float(s(i)), 6) for i in range(6)]
    [1.0, 1.0, 0.5, 0.5, 0.05, 0.05]
    """
    items = sorted((boundaries_and_scales or {}).items())
    for boundary, _ in items:
        _check_steps("piecewise_constant_schedule", "boundary", boundary, allow_zero=True)

    def schedule(count: Any) -> Any:
        value = init_value * fnp.ones(())
        for boundary, factor in items:
            # value <- value * scale once count >= boundary
            value = fnp.where(fnp.asarray(count) >= boundary, value * factor, value)
        return value

    return schedule


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules[i]`` from ``boundaries[i - 1]`` on, each restarted at count 0.

    Parameters
    ----------
    schedules : sequence of callable
        ``len(boundaries) + 1`` schedules.
    boundaries : sequence of int
        Increasing step counts at which the next schedule takes over.

    Returns
    -------
    callable
        ``schedule(count)``: ``schedules[0](count)`` before ``boundaries[0]``, then
        ``schedules[1](count - boundaries[0])``, and so on.
    """
    schedules = list(schedules)
    boundaries = [
        _check_steps("join_schedules", "boundary", b, allow_zero=True) for b in boundaries
    ]
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(
            f"join_schedules: expected len(boundaries) + 1 schedules, got {len(schedules)} "
            f"schedules and {len(boundaries)} boundaries"
        )
    if any(b2 < b1 for b1, b2 in zip(boundaries, boundaries[1:])):
        raise ValueError(f"join_schedules: expected increasing boundaries, got {boundaries}")
    for i, s in enumerate(schedules):
        if not callable(s):
            raise TypeError(
                f"join_schedules: expected callable schedules, got {type(s).__name__} at {i}"
            )

    def schedule(count: Any) -> Any:
        count = fnp.asarray(count)
        value = schedules[0](count)
        for boundary, sched in zip(boundaries, schedules[1:]):
            value = fnp.where(count < boundary, value, sched(count - boundary))
        return value

    return schedule


def warmup_cosine_decay_schedule(
    init_value: Any,
    peak_value: Any,
    warmup_steps: int,
    decay_steps: int,
    end_value: Any = 0.0,
    exponent: Any = 1.0,
) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value``, then cosine decay to ``end_value``.

    Parameters
    ----------
    init_value, peak_value, end_value : float
    warmup_steps : int
        Steps of the linear warmup (``> 0``).
    decay_steps : int
        Total steps, warmup included (``> warmup_steps``); ``end_value`` afterwards.
    exponent : float, optional
        See :func:`cosine_decay_schedule`.

    Returns
    -------
    callable
        ``schedule(count) -> value``, shape ``()``.
    """
    warmup_steps = _check_steps("warmup_cosine_decay_schedule", "warmup_steps", warmup_steps)
    decay_steps = _check_steps("warmup_cosine_decay_schedule", "decay_steps", decay_steps)
    if decay_steps <= warmup_steps:
        raise ValueError(
            f"warmup_cosine_decay_schedule: expected decay_steps > warmup_steps (decay_steps "
            f"counts the warmup), got decay_steps={decay_steps}, warmup_steps={warmup_steps}"
        )
    warmup = linear_schedule(init_value, peak_value, warmup_steps)

    def decay(count: Any) -> Any:
        # cosine from peak to end: end + (peak - end) * c ** exponent
        t = fnp.minimum(_as_float(count), float(decay_steps - warmup_steps))
        cosine = 0.5 * (1.0 + fnp.cos(np.pi * t / (decay_steps - warmup_steps)))
        return end_value + (peak_value - end_value) * cosine**exponent

    return join_schedules([warmup, decay], [warmup_steps])
