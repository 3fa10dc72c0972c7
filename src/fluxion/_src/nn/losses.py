"""Loss functions: regression (``mse``, ``mae``, ``huber``), classification from logits
(``binary_cross_entropy``, ``categorical_cross_entropy``), and the probabilistic ones (``nll`` of
a distribution, ``kl`` between two distributions, exact or Monte Carlo).

``nn`` sits below :mod:`fluxion.distributions` in the layering, so the probabilistic losses use
duck typing: anything with ``log_prob`` (and ``kl_divergence`` for the exact KL), or a plain
log-density callable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Tracer, aval_of
from ..numpy import core as fnp
from ..scipy import special as fsp
from .activations import softplus

__all__ = [
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "huber",
    "kl",
    "mae",
    "mse",
    "nll",
]

Array = Any

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(who: str, loss: Array, reduction: str) -> Array:
    if reduction == "mean":
        return fnp.mean(loss)
    if reduction == "sum":
        return fnp.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{who}: expected reduction one of {_REDUCTIONS}, got {reduction!r}")


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(aval_of(x).shape)


def _dtype(x: Any) -> np.dtype:
    return np.dtype(aval_of(x).dtype)


def _pair(who: str, pred: Any, target: Any) -> tuple[Array, Array]:
    pred, target = fnp.asarray(pred), fnp.asarray(target)
    ps, ts = _shape(pred), _shape(target)
    try:
        np.broadcast_shapes(ps, ts)
    except ValueError:
        raise ValueError(
            f"{who}: expected predictions and targets of broadcastable shapes, got {ps} and {ts}"
        ) from None
    return pred, target


def mse(predictions: Array, targets: Array, reduction: str = "mean") -> Array:
    """Mean squared error ``mean((predictions - targets)^2)``.

    Parameters
    ----------
    predictions, targets : array_like
        Broadcastable shapes.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    Array
        Shape ``()``, or the broadcast shape for ``reduction="none"``.
    """
    p, t = _pair("mse", predictions, targets)
    d = p - t
    return _reduce("mse", d * d, reduction)


def mae(predictions: Array, targets: Array, reduction: str = "mean") -> Array:
    """Mean absolute error ``mean(|predictions - targets|)`` (shapes as :func:`mse`)."""
    p, t = _pair("mae", predictions, targets)
    return _reduce("mae", fnp.abs(p - t), reduction)


def huber(predictions: Array, targets: Array, delta: float = 1.0, reduction: str = "mean") -> Array:
    """The Huber loss (Huber 1964): quadratic for small errors, linear for large ones.

    ``0.5 r^2`` for ``|r| <= delta``, ``delta (|r| - 0.5 delta)`` otherwise, ``r = predictions -
    targets`` (optax's ``huber_loss``). Shapes as :func:`mse`.
    """
    if not isinstance(delta, int | float) or isinstance(delta, bool) or not delta > 0:
        raise ValueError(f"huber: expected delta a positive float, got {delta!r}")
    p, t = _pair("huber", predictions, targets)
    a = fnp.abs(p - t)
    # 0.5 min(a, delta)^2 + delta (a - min(a, delta)) is both branches in one smooth expression
    q = fnp.minimum(a, delta)
    return _reduce("huber", 0.5 * q * q + delta * (a - q), reduction)


def binary_cross_entropy(logits: Array, labels: Array, reduction: str = "mean") -> Array:
    """Binary cross-entropy from logits: ``-y log sigmoid(z) - (1 - y) log(1 - sigmoid(z))``.

    Computed as ``softplus(z) - y z`` (``softplus`` written as ``-log_expit(-z)``), which never
    overflows and keeps full precision for large ``|z|`` where ``log(sigmoid(z))`` would round.

    Parameters
    ----------
    logits : array_like, float
        ``z``, any shape.
    labels : array_like
        ``y`` in ``[0, 1]`` (0/1 or soft labels), broadcastable with ``logits``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    Array
        Shape ``()``, or the broadcast shape for ``reduction="none"``.
    """
    z, y = _pair("binary_cross_entropy", logits, labels)
    if not isinstance(y, Tracer):
        ya = np.asarray(y)
        if ya.dtype.kind == "b":
            y = ya.astype(np.float64)
        elif ya.size and (np.nanmin(ya) < 0 or np.nanmax(ya) > 1):
            raise ValueError(
                "binary_cross_entropy: expected labels in [0, 1], got values from "
                f"{np.nanmin(ya)} to {np.nanmax(ya)}"
            )
    return _reduce("binary_cross_entropy", softplus(z) - y * z, reduction)


def categorical_cross_entropy(
    logits: Array, labels: Array, axis: int = -1, reduction: str = "mean"
) -> Array:
    """Categorical (softmax) cross-entropy from logits: ``-sum_k y_k log_softmax(z)_k``.

    Parameters
    ----------
    logits : array_like, float, shape ``batch + (K,)``
        Unnormalised log-probabilities over ``K`` classes along ``axis``.
    labels : array_like
        Either integer class ids of shape ``batch`` (values in ``0 .. K - 1``), or one-hot /
        probability vectors of the logits' shape (floating dtype).
    axis : int, default -1
        The class axis of ``logits``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    Array
        Shape ``()``, or ``batch`` for ``reduction="none"``.

    Notes
    -----
    ``log_softmax`` subtracts the maximum before exponentiating, so large logits never
    overflow. Integer labels pick ``-log_softmax(z)[label]`` directly.
    """
    who = "categorical_cross_entropy"
    z = fnp.asarray(logits)
    zs = _shape(z)
    if len(zs) < 1:
        raise ValueError(f"{who}: expected logits with a class axis, got a scalar")
    axis = axis + len(zs) if axis < 0 else axis
    if not 0 <= axis < len(zs):
        raise ValueError(f"{who}: axis {axis} is out of range for logits of shape {zs}")
    logp = fsp.log_softmax(z, axis=axis)
    if not isinstance(labels, Tracer):
        labels = np.asarray(labels)
    ldt, ls = _dtype(labels), _shape(labels)
    if ldt.kind in "iu":
        k = zs[axis]
        batch = zs[:axis] + zs[axis + 1 :]
        if ls != batch:
            raise ValueError(
                f"{who}: expected integer labels of shape {batch} (the logits' shape {zs} "
                f"without the class axis), got {ls}"
            )
        if not isinstance(labels, Tracer) and labels.size:
            lo, hi = int(labels.min()), int(labels.max())
            if lo < 0 or hi >= k:
                raise ValueError(
                    f"{who}: expected integer labels in 0..{k - 1}, got values from {lo} to {hi}"
                )
        picked = fnp.take_along_axis(logp, fnp.expand_dims(labels, axis), axis=axis)
        loss = -fnp.squeeze(picked, axis=axis)
    elif ldt.kind == "f":
        if ls != zs:
            raise ValueError(
                f"{who}: expected one-hot or probability labels of the logits' shape {zs}, got "
                f"{ls}; integer class ids go in an integer array of shape "
                f"{zs[:axis] + zs[axis + 1 :]}"
            )
        loss = -fnp.sum(labels * logp, axis=axis)
    else:
        raise TypeError(
            f"{who}: expected integer class ids or floating one-hot labels, got {ldt.name}"
        )
    return _reduce(who, loss, reduction)


def _log_prob_fn(who: str, arg: str, d: Any) -> Callable[[Array], Array]:
    if hasattr(d, "log_prob"):
        return d.log_prob
    if callable(d):
        return d
    raise TypeError(
        f"{who}: expected {arg} to be a distribution (with log_prob) or a log-density callable, "
        f"got {type(d).__name__}"
    )


def nll(dist: Any, y: Array, reduction: str = "mean") -> Array:
    """Negative log-likelihood ``-mean(dist.log_prob(y))``.

    Parameters
    ----------
    dist : distribution or callable
        Anything with ``log_prob`` (a :mod:`fluxion.distributions` distribution, e.g. the
        predictive ``Normal(loc=net(x), scale=sigma)``), or a log-density ``f(y)``.
    y : array_like
        Observations, shape ``sample_shape + batch_shape + event_shape``.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over all entries of ``log_prob(y)``; ``"sum"`` is the negative log-likelihood of the
        whole data set, the term an ELBO needs.

    Returns
    -------
    Array
        Shape ``()``, or ``log_prob(y)``'s shape for ``reduction="none"``.
    """
    log_prob = _log_prob_fn("nll", "dist", dist)
    return _reduce("nll", -fnp.asarray(log_prob(y)), reduction)


def kl(p: Any, q: Any, samples: Array | None = None, reduction: str = "sum") -> Array:
    """The Kullback-Leibler divergence ``KL(p || q) = E_p[log p - log q]``.

    Parameters
    ----------
    p, q : distribution or callable
        Exact mode (``samples`` None): ``p.kl_divergence(q)`` (closed forms registered with
        :mod:`fluxion.distributions`). Monte Carlo mode: anything with ``log_prob``, or
        log-density callables.
    samples : array_like, optional
        Draws from ``p``, shape ``(S,) + batch_shape + event_shape``: the estimate is
        ``mean_s [log p(x_s) - log q(x_s)]`` (unbiased; reparameterised draws give its
        gradient).
    reduction : {"sum", "mean", "none"}, default "sum"
        Over the batch entries of the divergence: "sum" is the divergence between the
        products of independent batch members (what an ELBO subtracts).

    Returns
    -------
    Array
        Shape ``()``, or ``batch_shape`` for ``reduction="none"``.
    """
    if samples is None:
        if not hasattr(p, "kl_divergence"):
            raise TypeError(
                f"kl: expected p to have kl_divergence for the exact KL, got "
                f"{type(p).__name__}; pass samples from p for a Monte Carlo estimate"
            )
        return _reduce("kl", fnp.asarray(p.kl_divergence(q)), reduction)
    log_p = _log_prob_fn("kl", "p", p)
    log_q = _log_prob_fn("kl", "q", q)
    samples = fnp.asarray(samples)
    if len(_shape(samples)) < 1:
        raise ValueError(
            "kl: expected samples with a leading sample axis, shape (S,) + batch + event, got a "
            "scalar"
        )
    diff = fnp.asarray(log_p(samples)) - fnp.asarray(log_q(samples))
    return _reduce("kl", fnp.mean(diff, axis=0), reduction)
