"""Gradient transformations in the style of optax: ``init(params) -> state`` and
``update(updates, state, params=None) -> (updates, new_state)``.

Everything is computed with :mod:`fluxion.numpy` ops and :func:`fluxion.tree.map`, so a whole
training loop is a differentiable function of its hyperparameters (learning rates, schedule
values, momentum, ...), and an optimizer step can be jitted and vmapped. States are
NamedTuples of pytrees; stateful transformations carry an integer step ``count`` (int32).

The update formulas follow optax's (same defaults, same bias correction, same placement of
``eps``); the code is fluxion's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..numpy import core as fnp
from ..tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten

PyTree = Any
Params = Any
Updates = Any
OptState = Any
Schedule = Callable[[Any], Any]
ScalarOrSchedule = float | Any | Schedule

__all__ = [
    "EmptyState",
    "GradientTransformation",
    "ScaleByAdamState",
    "ScaleByRmsState",
    "ScaleByRssState",
    "ScaleByScheduleState",
    "TraceState",
    "adagrad",
    "adam",
    "adamw",
    "add_decayed_weights",
    "apply_updates",
    "chain",
    "clip",
    "clip_by_global_norm",
    "global_norm",
    "identity",
    "momentum",
    "nesterov",
    "rmsprop",
    "scale",
    "scale_by_adam",
    "scale_by_learning_rate",
    "scale_by_rms",
    "scale_by_rss",
    "scale_by_schedule",
    "sgd",
    "trace",
]


class GradientTransformation(NamedTuple):
    """A pair of pure functions transforming gradients into parameter updates.

    Attributes
    ----------
    init : callable
        ``init(params) -> state``: the initial state for parameters shaped like ``params``.
    update : callable
        ``update(updates, state, params=None) -> (updates, new_state)``: transform a pytree of
        gradients (the structure of ``params``) into a pytree of updates, to be added to the
        parameters with :func:`apply_updates`.

    Examples
    --------
    >>> import fluxion, fluxion.numpy as fnp
    >>> from fluxion import optim
    >>> opt = optim.adam(0.1)
    >>> params = {"w": fnp.ones(3)}
    >>> state = opt.init(params)
    >>> grads = fluxion.grad(lambda p: fnp.sum(p["w"] ** 2))(params)
    >>> updates, state = opt.update(grads, state, params)
    >>> params = optim.apply_updates(params, updates)
    >>> [round(float(v), 6) for v in params["w"]]
    [0.9, 0.9, 0.9]
    """

    init: Callable[[Params], OptState]
    update: Callable[..., tuple[Updates, OptState]]


class EmptyState(NamedTuple):
    """The state of a stateless transformation (no leaves)."""


class TraceState(NamedTuple):
    """State of :func:`trace`: the step ``count`` and the momentum buffer (params' structure)."""

    count: Any
    trace: PyTree


class ScaleByAdamState(NamedTuple):
    """State of :func:`scale_by_adam`: ``count`` and the first and second moments."""

    count: Any
    mu: PyTree
    nu: PyTree


class ScaleByRmsState(NamedTuple):
    """State of :func:`scale_by_rms`: ``count`` and the running mean of squared gradients."""

    count: Any
    nu: PyTree


class ScaleByRssState(NamedTuple):
    """State of :func:`scale_by_rss`: ``count`` and the running sum of squared gradients."""

    count: Any
    sum_of_squares: PyTree


class ScaleByScheduleState(NamedTuple):
    """State of :func:`scale_by_schedule`: the step ``count`` passed to the schedule."""

    count: Any


# ---------------------------------------------------------------------------------------------
# helpers


def _zero_count() -> Any:
    return fnp.zeros((), dtype=fnp.int32)


def _is_concrete_number(x: Any) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


def _check_real(
    name: str,
    arg: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = True,
) -> None:
    """Validate a hyperparameter when it is a concrete number (traced values pass through)."""
    if value is None or isinstance(value, bool) or callable(value):
        if isinstance(value, bool):
            raise TypeError(f"{name}: expected a number for {arg}, got bool {value!r}")
        return
    if not _is_concrete_number(value):
        return  # an array or a tracer: a hyperparameter being differentiated or vmapped
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name}: expected a finite {arg}, got {v!r}")
    bad_low = low is not None and (v <= low if low_open else v < low)
    bad_high = high is not None and (v >= high if high_open else v > high)
    if bad_low or bad_high:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        interval = f"{'(' if low_open else '['}{lo}, {hi}{')' if high_open else ']'}"
        raise ValueError(f"{name}: expected {arg} in {interval}, got {v!r}")


def _check_learning_rate(name: str, learning_rate: Any) -> None:
    if learning_rate is None:
        raise TypeError(f"{name}: expected a learning_rate (a float or a schedule), got None")
    if isinstance(learning_rate, bool | str):
        raise TypeError(
            f"{name}: expected a learning_rate (a float or a schedule step -> lr), got "
            f"{type(learning_rate).__name__} {learning_rate!r}"
        )
    if _is_concrete_number(learning_rate):
        lr = float(learning_rate)
        if not math.isfinite(lr):
            raise ValueError(f"{name}: expected a finite learning_rate, got {lr!r}")
        if lr < 0:
            raise ValueError(
                f"{name}: expected learning_rate >= 0, got {lr!r}; the sign is already "
                "chosen to descend (to maximize, minimize the negated objective)"
            )


def _check_updates(name: str, updates: Any, reference: Any, what: str) -> None:
    """Raise a clear ValueError if ``updates`` and ``reference`` differ in structure or shapes."""
    u_leaves, u_tree = tree_flatten(updates)
    r_leaves, r_tree = tree_flatten(reference)
    if u_tree != r_tree:
        raise ValueError(
            f"{name}: expected updates with the pytree structure of {what} {r_tree!r}, got "
            f"{u_tree!r}; pass gradients of the same pytree that was given to init(params)"
        )
    for i, (u, r) in enumerate(zip(u_leaves, r_leaves)):
        if fnp.shape(u) != fnp.shape(r):
            raise ValueError(
                f"{name}: expected updates leaf {i} with shape {fnp.shape(r)} (as in {what}), "
                f"got shape {fnp.shape(u)}; pass gradients of the same pytree that was given to "
                "init(params)"
            )


def _cast_like(s: Any, x: Any) -> Any:
    """Cast the scalar factor ``s`` to the dtype of the float leaf ``x`` (no float32 upcast)."""
    if type(s) is float or type(s) is int:
        return s  # Python scalars are weak: they never upcast (np.float64 is not weak)
    dx = fnp.result_type(x)
    if np.issubdtype(dx, np.floating) and fnp.result_type(s) != dx:
        return fnp.astype(s, dx)
    return s


def _increment(count: Any) -> Any:
    return count + 1


def global_norm(tree: PyTree) -> Any:
    """The Euclidean norm of all the leaves of ``tree`` taken together.

    Parameters
    ----------
    tree : pytree of arrays

    Returns
    -------
    Array, shape ``()``
        ``sqrt(sum_leaves sum(leaf ** 2))``.
    """
    return fnp.sqrt(_sum_of_squares(tree))


def _sum_of_squares(tree: PyTree) -> Any:
    leaves = tree_flatten(tree)[0]
    total = 0.0
    for leaf in leaves:
        total = total + fnp.sum(fnp.square(leaf))
    return total


# ---------------------------------------------------------------------------------------------
# applying updates


def apply_updates(params: Params, updates: Updates) -> Params:
    """Add ``updates`` to ``params`` leaf by leaf, keeping each parameter's dtype.

    Parameters
    ----------
    params : pytree of arrays
    updates : pytree of arrays
        The structure and leaf shapes of ``params`` (the output of ``update``).

    Returns
    -------
    pytree of arrays
        ``params + updates``, with the structure and dtypes of ``params``.

    Raises
    ------
    ValueError
        If the structures or leaf shapes of ``params`` and ``updates`` differ.
    """
    _check_updates("apply_updates", updates, params, "params")

    def add(p: Any, u: Any) -> Any:
        new = p + u
        dp = fnp.result_type(p)
        if np.issubdtype(dp, np.floating) and fnp.result_type(new) != dp:
            new = fnp.astype(new, dp)
        return new

    return tree_map(add, params, updates)


# ---------------------------------------------------------------------------------------------
# building blocks


def identity() -> GradientTransformation:
    """The transformation that returns the updates unchanged (state: :class:`EmptyState`)."""

    def init_fn(params: Params) -> EmptyState:
        del params
        return EmptyState()

    def update_fn(updates: Updates, state: EmptyState, params: Params = None) -> tuple:
        del params
        return updates, state

    return GradientTransformation(init_fn, update_fn)


def scale(step_size: Any) -> GradientTransformation:
    """Multiply the updates by a constant ``step_size``.

    Parameters
    ----------
    step_size : float or Array, shape ``()``
        The factor; may be a traced value (its derivative flows through the update).

    Returns
    -------
    GradientTransformation
        ``updates -> step_size * updates``; state :class:`EmptyState`.
    """
    if callable(step_size):
        raise TypeError(
            "scale: expected a number for step_size; use scale_by_schedule for a schedule"
        )

    def init_fn(params: Params) -> EmptyState:
        del params
        return EmptyState()

    def update_fn(updates: Updates, state: EmptyState, params: Params = None) -> tuple:
        del params
        # u <- step_size * u
        new = tree_map(lambda u: _cast_like(step_size, u) * u, updates)
        return new, state

    return GradientTransformation(init_fn, update_fn)


def scale_by_schedule(step_size_fn: Schedule) -> GradientTransformation:
    """Multiply the updates by ``step_size_fn(count)`` at step ``count`` (0, 1, 2, ...).

    Parameters
    ----------
    step_size_fn : callable
        ``step_size_fn(count) -> factor``, with ``count`` an int32 array of shape ``()`` (traced
        under jit); see :mod:`fluxion.optim` schedules.

    Returns
    -------
    GradientTransformation
        State :class:`ScaleByScheduleState`.
    """
    if not callable(step_size_fn):
        raise TypeError(
            f"scale_by_schedule: expected a callable count -> factor, got "
            f"{type(step_size_fn).__name__}; use scale for a constant"
        )

    def init_fn(params: Params) -> ScaleByScheduleState:
        del params
        return ScaleByScheduleState(count=_zero_count())

    def update_fn(updates: Updates, state: ScaleByScheduleState, params: Params = None) -> tuple:
        del params
        step_size = step_size_fn(state.count)
        # u <- schedule(count) * u
        new = tree_map(lambda u: _cast_like(step_size, u) * u, updates)
        return new, ScaleByScheduleState(count=_increment(state.count))

    return GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(learning_rate: ScalarOrSchedule, *, flip_sign: bool = True):
    """Scale by ``-learning_rate`` (or ``+`` with ``flip_sign=False``); a schedule is allowed.

    Parameters
    ----------
    learning_rate : float, Array or callable
        A constant (possibly traced, for hypergradients) or a schedule ``count -> lr``.
    flip_sign : bool, optional
        Negate, so that adding the updates descends (default).

    Returns
    -------
    GradientTransformation
    """
    _check_learning_rate("scale_by_learning_rate", learning_rate)
    sign = -1.0 if flip_sign else 1.0
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


def trace(decay: Any, nesterov: bool = False) -> GradientTransformation:
    """Momentum: accumulate a decaying trace of past updates.

    Parameters
    ----------
    decay : float or Array, shape ``()``
        The momentum coefficient, usually in ``[0, 1)``.
    nesterov : bool, optional
        Nesterov's variant.

    Returns
    -------
    GradientTransformation
        State :class:`TraceState` (the trace starts at zero).

    Notes
    -----
    ``t <- g + decay * t``; the update is ``t`` (heavy ball) or ``g + decay * t`` (Nesterov).
    """
    _check_real("trace", "decay", decay, low=0.0)

    def init_fn(params: Params) -> TraceState:
        return TraceState(count=_zero_count(), trace=tree_map(fnp.zeros_like, params))

    def update_fn(updates: Updates, state: TraceState, params: Params = None) -> tuple:
        del params
        _check_updates("trace.update", updates, state.trace, "the momentum trace (from init)")
        # t <- g + decay * t
        new_trace = tree_map(lambda g, t: g + _cast_like(decay, t) * t, updates, state.trace)
        if nesterov:
            # u <- g + decay * t_new
            new = tree_map(lambda g, t: g + _cast_like(decay, t) * t, updates, new_trace)
        else:
            new = new_trace
        return new, TraceState(count=_increment(state.count), trace=new_trace)

    return GradientTransformation(init_fn, update_fn)


def scale_by_adam(
    b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8, eps_root: Any = 0.0
) -> GradientTransformation:
    """Adam's rescaling: bias-corrected first moment over the root of the second moment.

    Parameters
    ----------
    b1, b2 : float, optional
        Decay rates of the first and second moment estimates, in ``[0, 1)``.
    eps : float, optional
        Added to the root of the second moment (outside the square root).
    eps_root : float, optional
        Added inside the square root (use ``> 0`` when differentiating through the update at a
        zero gradient).

    Returns
    -------
    GradientTransformation
        State :class:`ScaleByAdamState`.

    Notes
    -----
    With ``k = count + 1``: ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g**2``,
    ``u = (m / (1 - b1**k)) / (sqrt(v / (1 - b2**k) + eps_root) + eps)``.

    References
    ----------
    Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2014.
    """
    _check_real("scale_by_adam", "b1", b1, low=0.0, high=1.0)
    _check_real("scale_by_adam", "b2", b2, low=0.0, high=1.0)
    _check_real("scale_by_adam", "eps", eps, low=0.0)
    _check_real("scale_by_adam", "eps_root", eps_root, low=0.0)

    def init_fn(params: Params) -> ScaleByAdamState:
        mu = tree_map(fnp.zeros_like, params)
        nu = tree_map(fnp.zeros_like, params)
        return ScaleByAdamState(count=_zero_count(), mu=mu, nu=nu)

    def update_fn(updates: Updates, state: ScaleByAdamState, params: Params = None) -> tuple:
        del params
        _check_updates("scale_by_adam.update", updates, state.mu, "the adam state (from init)")
        # m <- b1 m + (1 - b1) g
        mu = tree_map(
            lambda g, m: _cast_like(b1, m) * m + _cast_like(1 - b1, g) * g, updates, state.mu
        )
        # v <- b2 v + (1 - b2) g^2
        nu = tree_map(
            lambda g, v: _cast_like(b2, v) * v + _cast_like(1 - b2, g) * fnp.square(g),
            updates,
            state.nu,
        )
        count = _increment(state.count)
        # bias corrections 1 - b^k
        bc1 = 1 - b1**count
        bc2 = 1 - b2**count

        def direction(m: Any, v: Any) -> Any:
            # u = m_hat / (sqrt(v_hat + eps_root) + eps)
            m_hat = m / _cast_like(bc1, m)
            v_hat = v / _cast_like(bc2, v)
            return m_hat / (fnp.sqrt(v_hat + _cast_like(eps_root, v)) + _cast_like(eps, v))

        new = tree_map(direction, mu, nu)
        return new, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init_fn, update_fn)


def scale_by_rms(
    decay: Any = 0.9, eps: Any = 1e-8, initial_scale: Any = 0.0
) -> GradientTransformation:
    """RMSProp's rescaling by the root of a running mean of squared gradients.

    Parameters
    ----------
    decay : float, optional
        Decay rate of the running mean, in ``[0, 1)``.
    eps : float, optional
        Added inside the square root (as in optax).
    initial_scale : float, optional
        The initial value of the running mean.

    Returns
    -------
    GradientTransformation
        State :class:`ScaleByRmsState`.

    Notes
    -----
    ``v <- decay v + (1 - decay) g**2``, ``u = g / sqrt(v + eps)``.
    """
    _check_real("scale_by_rms", "decay", decay, low=0.0, high=1.0)
    _check_real("scale_by_rms", "eps", eps, low=0.0)

    def init_fn(params: Params) -> ScaleByRmsState:
        nu = tree_map(lambda p: fnp.full_like(p, initial_scale), params)
        return ScaleByRmsState(count=_zero_count(), nu=nu)

    def update_fn(updates: Updates, state: ScaleByRmsState, params: Params = None) -> tuple:
        del params
        _check_updates("scale_by_rms.update", updates, state.nu, "the rmsprop state (from init)")
        # v <- decay v + (1 - decay) g^2
        nu = tree_map(
            lambda g, v: _cast_like(decay, v) * v + _cast_like(1 - decay, g) * fnp.square(g),
            updates,
            state.nu,
        )
        # u = g / sqrt(v + eps)
        new = tree_map(lambda g, v: g / fnp.sqrt(v + _cast_like(eps, v)), updates, nu)
        return new, ScaleByRmsState(count=_increment(state.count), nu=nu)

    return GradientTransformation(init_fn, update_fn)


def scale_by_rss(initial_accumulator_value: Any = 0.1, eps: Any = 1e-7) -> GradientTransformation:
    """AdaGrad's rescaling by the root of the running sum of squared gradients.

    Parameters
    ----------
    initial_accumulator_value : float, optional
        The initial value of the sum (``>= 0``).
    eps : float, optional
        Added inside the square root.

    Returns
    -------
    GradientTransformation
        State :class:`ScaleByRssState`.

    Notes
    -----
    ``s <- s + g**2``, ``u = g / sqrt(s + eps)`` (zero where ``s == 0``).
    """
    _check_real(
        "scale_by_rss", "initial_accumulator_value", initial_accumulator_value, low=0.0, high=None
    )
    _check_real("scale_by_rss", "eps", eps, low=0.0, high=None)

    def init_fn(params: Params) -> ScaleByRssState:
        s = tree_map(lambda p: fnp.full_like(p, initial_accumulator_value), params)
        return ScaleByRssState(count=_zero_count(), sum_of_squares=s)

    def update_fn(updates: Updates, state: ScaleByRssState, params: Params = None) -> tuple:
        del params
        _check_updates(
            "scale_by_rss.update", updates, state.sum_of_squares, "the adagrad state (from init)"
        )
        # s <- s + g^2
        sos = tree_map(lambda g, s: s + fnp.square(g), updates, state.sum_of_squares)

        def direction(g: Any, s: Any) -> Any:
            # u = g / sqrt(s + eps), 0 where s == 0
            positive = s > 0
            safe = fnp.where(positive, s, 1.0)
            return fnp.where(positive, g / fnp.sqrt(safe + _cast_like(eps, s)), 0.0 * g)

        new = tree_map(direction, updates, sos)
        return new, ScaleByRssState(count=_increment(state.count), sum_of_squares=sos)

    return GradientTransformation(init_fn, update_fn)


def add_decayed_weights(weight_decay: Any = 0.0, mask: Any = None) -> GradientTransformation:
    """Add ``weight_decay * params`` to the updates (decoupled weight decay, as in AdamW).

    Parameters
    ----------
    weight_decay : float or Array, shape ``()``
    mask : pytree of bool or callable, optional
        Which leaves to decay: a pytree of Python bools with the structure of the parameters,
        or ``mask(params) -> that pytree``. Default: all leaves.

    Returns
    -------
    GradientTransformation
        State :class:`EmptyState`. ``update`` requires ``params``.
    """
    _check_real("add_decayed_weights", "weight_decay", weight_decay, low=0.0, high=None)

    def init_fn(params: Params) -> EmptyState:
        del params
        return EmptyState()

    def update_fn(updates: Updates, state: EmptyState, params: Params = None) -> tuple:
        if params is None:
            raise ValueError(
                "add_decayed_weights.update: expected params, got None; call "
                "update(grads, state, params)"
            )
        _check_updates("add_decayed_weights.update", updates, params, "params")
        if mask is None:
            flags = None
        else:
            flags = mask(params) if callable(mask) else mask
            flags_leaves, flags_tree = tree_flatten(flags)
            if flags_tree != tree_structure(params):
                raise ValueError(
                    f"add_decayed_weights: expected a mask with the structure of params "
                    f"{tree_structure(params)!r}, got {flags_tree!r}"
                )
        u_leaves, u_tree = tree_flatten(updates)
        p_leaves = tree_flatten(params)[0]
        out = []
        for i, (u, p) in enumerate(zip(u_leaves, p_leaves)):
            if flags is not None and not flags_leaves[i]:
                out.append(u)
            else:
                # u <- u + weight_decay * p
                out.append(u + _cast_like(weight_decay, p) * p)
        return tree_unflatten(u_tree, out), state

    return GradientTransformation(init_fn, update_fn)


def clip(max_delta: Any) -> GradientTransformation:
    """Clip every update element to ``[-max_delta, max_delta]``.

    Parameters
    ----------
    max_delta : float
        The bound (``> 0``).

    Returns
    -------
    GradientTransformation
        State :class:`EmptyState`.
    """
    _check_real("clip", "max_delta", max_delta, low=0.0, low_open=True, high=None)

    def init_fn(params: Params) -> EmptyState:
        del params
        return EmptyState()

    def update_fn(updates: Updates, state: EmptyState, params: Params = None) -> tuple:
        del params
        new = tree_map(lambda u: fnp.clip(u, -max_delta, max_delta), updates)
        return new, state

    return GradientTransformation(init_fn, update_fn)


def clip_by_global_norm(max_norm: Any) -> GradientTransformation:
    """Rescale the updates so that their global norm is at most ``max_norm``.

    Parameters
    ----------
    max_norm : float
        The largest allowed global norm (``> 0``).

    Returns
    -------
    GradientTransformation
        State :class:`EmptyState`.

    Notes
    -----
    ``u <- u * max_norm / max(||u||, max_norm)`` with ``||u||`` the norm of all leaves together
    (see :func:`global_norm`); computed as ``max_norm / sqrt(max(sum u**2, max_norm**2))`` so
    that it stays differentiable at a zero gradient.
    """
    _check_real("clip_by_global_norm", "max_norm", max_norm, low=0.0, low_open=True, high=None)

    def init_fn(params: Params) -> EmptyState:
        del params
        return EmptyState()

    def update_fn(updates: Updates, state: EmptyState, params: Params = None) -> tuple:
        del params
        # factor = max_norm / max(||u||, max_norm)
        factor = max_norm / fnp.sqrt(fnp.maximum(_sum_of_squares(updates), max_norm**2))
        new = tree_map(lambda u: _cast_like(factor, u) * u, updates)
        return new, state

    return GradientTransformation(init_fn, update_fn)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply several transformations in sequence.

    Parameters
    ----------
    *transforms : GradientTransformation
        Applied left to right: the updates of one are the input of the next.

    Returns
    -------
    GradientTransformation
        Its state is the tuple of the inner states.

    Examples
    --------
    >>> from fluxion import optim
    >>> opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adam(1e-3))
    """
    for i, t in enumerate(transforms):
        if not (hasattr(t, "init") and hasattr(t, "update")):
            raise TypeError(
                f"chain: expected GradientTransformation arguments, got {type(t).__name__} at "
                f"position {i}"
            )

    def init_fn(params: Params) -> tuple:
        return tuple(t.init(params) for t in transforms)

    def update_fn(updates: Updates, state: tuple, params: Params = None) -> tuple:
        if not isinstance(state, tuple) or len(state) != len(transforms):
            n = len(state) if isinstance(state, tuple) else type(state).__name__
            raise ValueError(
                f"chain.update: expected a state tuple of {len(transforms)} inner states (from "
                f"this chain's init), got {n}"
            )
        new_states = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            new_states.append(s)
        return updates, tuple(new_states)

    return GradientTransformation(init_fn, update_fn)


# ---------------------------------------------------------------------------------------------
# optimizers


def sgd(
    learning_rate: ScalarOrSchedule, momentum: Any = None, nesterov: bool = False
) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float, Array or callable
        A constant (possibly traced, for hypergradients) or a schedule ``count -> lr``.
    momentum : float, optional
        The momentum coefficient; None (default) for plain gradient descent.
    nesterov : bool, optional
        Nesterov momentum (requires ``momentum``).

    Returns
    -------
    GradientTransformation
        ``chain(trace(momentum, nesterov), scale_by_learning_rate(learning_rate))``.

    Notes
    -----
    Plain: ``p <- p - lr g``. Momentum: ``t <- g + momentum t``, ``p <- p - lr t``.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> from fluxion import optim
    >>> opt = optim.sgd(0.1)
    >>> state = opt.init(fnp.ones(2))
    >>> updates, state = opt.update(fnp.array([1.0, 2.0]), state)
    >>> [float(u) for u in updates]
    [-0.1, -0.2]
    """
    _check_learning_rate("sgd", learning_rate)
    if nesterov and momentum is None:
        raise ValueError("sgd: nesterov=True needs a momentum coefficient, got momentum=None")
    first = identity() if momentum is None else trace(decay=momentum, nesterov=nesterov)
    return chain(first, scale_by_learning_rate(learning_rate))


def momentum(learning_rate: ScalarOrSchedule, momentum: Any = 0.9) -> GradientTransformation:
    """SGD with heavy-ball momentum: ``sgd(learning_rate, momentum)``.

    Parameters
    ----------
    learning_rate : float, Array or callable
    momentum : float, optional

    Returns
    -------
    GradientTransformation
    """
    return sgd(learning_rate, momentum=momentum, nesterov=False)


def nesterov(learning_rate: ScalarOrSchedule, momentum: Any = 0.9) -> GradientTransformation:
    """SGD with Nesterov momentum: ``sgd(learning_rate, momentum, nesterov=True)``.

    Parameters
    ----------
    learning_rate : float, Array or callable
    momentum : float, optional

    Returns
    -------
    GradientTransformation
    """
    return sgd(learning_rate, momentum=momentum, nesterov=True)


def adam(
    learning_rate: ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-8,
    eps_root: Any = 0.0,
) -> GradientTransformation:
    """Adam: ``chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(lr))``.

    Parameters
    ----------
    learning_rate : float, Array or callable
    b1, b2, eps, eps_root : float, optional
        See :func:`scale_by_adam`.

    Returns
    -------
    GradientTransformation

    Notes
    -----
    ``p <- p - lr * m_hat / (sqrt(v_hat + eps_root) + eps)`` with bias-corrected moments.
    """
    _check_learning_rate("adam", learning_rate)
    return chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def adamw(
    learning_rate: ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-8,
    eps_root: Any = 0.0,
    weight_decay: Any = 1e-4,
    mask: Any = None,
) -> GradientTransformation:
    """Adam with decoupled weight decay (AdamW).

    Parameters
    ----------
    learning_rate : float, Array or callable
    b1, b2, eps, eps_root : float, optional
        See :func:`scale_by_adam`.
    weight_decay : float, optional
    mask : pytree of bool or callable, optional
        Which parameters to decay; see :func:`add_decayed_weights`.

    Returns
    -------
    GradientTransformation
        ``chain(scale_by_adam(...), add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(lr))``; its ``update`` requires ``params``.

    Notes
    -----
    ``p <- p - lr * (m_hat / (sqrt(v_hat + eps_root) + eps) + weight_decay * p)``.

    References
    ----------
    Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019.
    """
    _check_learning_rate("adamw", learning_rate)
    return chain(
        scale_by_adam(b1, b2, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def rmsprop(
    learning_rate: ScalarOrSchedule,
    decay: Any = 0.9,
    eps: Any = 1e-8,
    momentum: Any = None,
    nesterov: bool = False,
    initial_scale: Any = 0.0,
) -> GradientTransformation:
    """RMSProp, optionally with momentum applied after the learning-rate scaling (as in optax).

    Parameters
    ----------
    learning_rate : float, Array or callable
    decay, eps, initial_scale : float, optional
        See :func:`scale_by_rms`.
    momentum : float, optional
        None (default) for no momentum.
    nesterov : bool, optional

    Returns
    -------
    GradientTransformation
        ``chain(scale_by_rms(decay, eps, initial_scale), scale_by_learning_rate(lr),
        trace(momentum, nesterov))``.

    Notes
    -----
    ``v <- decay v + (1 - decay) g**2``, ``p <- p - lr g / sqrt(v + eps)``.
    """
    _check_learning_rate("rmsprop", learning_rate)
    if nesterov and momentum is None:
        raise ValueError("rmsprop: nesterov=True needs a momentum coefficient, got momentum=None")
    parts = [scale_by_rms(decay, eps, initial_scale), scale_by_learning_rate(learning_rate)]
    if momentum is not None:
        parts.append(trace(decay=momentum, nesterov=nesterov))
    return chain(*parts)


def adagrad(
    learning_rate: ScalarOrSchedule, initial_accumulator_value: Any = 0.1, eps: Any = 1e-7
) -> GradientTransformation:
    """AdaGrad: ``chain(scale_by_rss(initial_accumulator_value, eps), scale_by_learning_rate)``.

    Parameters
    ----------
    learning_rate : float, Array or callable
    initial_accumulator_value, eps : float, optional
        See :func:`scale_by_rss`.

    Returns
    -------
    GradientTransformation

    Notes
    -----
    ``s <- s + g**2``, ``p <- p - lr g / sqrt(s + eps)``.

    References
    ----------
    Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization", 2011.
    """
    _check_learning_rate("adagrad", learning_rate)
    return chain(
        scale_by_rss(initial_accumulator_value, eps), scale_by_learning_rate(learning_rate)
    )
