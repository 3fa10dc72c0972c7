"""Fisher scoring over data kept in shards on a cluster: :func:`fit_sharded`.

The IRLS step needs only sums over rows: the Fisher information ``X^T W X``, the right-hand
side ``X^T (W (eta - offset) + score)`` and the log-likelihood. Each worker computes them on the
shards it holds and the driver adds ``p x p`` matrices in shard order, so a design matrix that
does not fit one machine's memory is fitted with the same iterations as :func:`fit` (the sums
are reassociated: equal to rounding).

A shard is given as arrays (scattered to the workers once) or as a callable that loads or makes
them on the worker (``source() -> (X, y[, offset[, weights]])``): dask keeps each loaded shard
as the result of a task, so a shard lost with its worker is recomputed from its source on
another worker.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .families import Family
from .fit import (
    GLMResult,
    _check_count,
    _check_dispersion,
    _check_iterations,
    _check_penalty,
    _check_start,
    _fisher_scoring,
    _initial_eta,
    _log_likelihood,
    _standard_errors,
    _working,
    _working_checked,
)
from .sparse import _coordinate_descent

__all__ = ["fit_sharded", "fit_sparse_sharded"]


def _load(caller: str, source: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """On a worker: ``(X, y, offset, weights)`` of one shard, from arrays or a callable."""
    shard = source() if callable(source) else source
    if not isinstance(shard, tuple | list) or not 2 <= len(shard) <= 4:
        raise TypeError(
            f"{caller}: expected each shard (or its source's result) to be (X, y), "
            f"(X, y, offset) or (X, y, offset, weights), got {type(shard).__name__}"
        )
    x = np.require(np.asarray(shard[0], dtype=np.float64), requirements=["A", "C"])
    y = np.asarray(shard[1], dtype=np.float64)
    n = x.shape[0]
    if x.ndim != 2 or y.shape != (n,):
        raise ValueError(
            f"{caller}: expected a shard's X of shape (n, p) and y of shape (n,), got "
            f"{x.shape} and {y.shape}"
        )
    off = np.broadcast_to(np.asarray(shard[2] if len(shard) > 2 and shard[2] is not None
                                     else 0.0, dtype=np.float64), (n,))
    w = np.broadcast_to(np.asarray(shard[3] if len(shard) > 3 and shard[3] is not None
                                   else 1.0, dtype=np.float64), (n,))
    return x, y, off, w


def _normal_equations(model: Family, shard: tuple, b: Any, it: int) -> tuple:
    """On a worker: one shard's ``X^T W X`` and ``X^T (W (eta - offset) + score)`` at ``b``
    (None: the family's initial mean)."""
    x, y, off, w = shard
    eta = _initial_eta(model, y, off) if b is None else x @ b + off
    fisher_w, score = _working_checked("fit_sharded", model, y, eta, w, it)
    info = x.T @ (x * fisher_w[:, None])
    rhs = x.T @ (fisher_w * (eta - off) + score)
    return info, rhs


def _gram_and_gradient(model: Family, shard: tuple, b: np.ndarray, it: int) -> tuple:
    """On a worker: one shard's ``X^T W X`` and log-likelihood gradient ``X^T score`` at
    ``b``."""
    x, y, off, w = shard
    fisher_w, score = _working_checked("fit_sparse_sharded", model, y, x @ b + off, w, it)
    xs = x * np.sqrt(fisher_w)[:, None]
    return xs.T @ xs, x.T @ score


def _columns(model: Family, shard: tuple) -> int:  # noqa: ARG001 (the map's signature)
    return shard[0].shape[1]


def _log_lik(model: Family, shard: tuple, b: np.ndarray) -> float:
    x, y, off, w = shard
    with np.errstate(all="ignore"):
        return _log_likelihood(model, y, x @ b + off, w)


def _final_sums(model: Family, shard: tuple, b: np.ndarray) -> tuple:
    """On a worker, at the solution: Fisher information at the family's dispersion, the
    log-likelihood, the Pearson sum and the sum of weights."""
    x, y, off, w = shard
    eta = x @ b + off
    with np.errstate(all="ignore"):
        fisher_w, _ = _working(model, y, eta, w)
        mu, var, _ = (np.asarray(a, dtype=np.float64) for a in model.moments(eta))
        pearson = float(np.sum(np.where(w > 0, w * (y - mu) ** 2 / var, 0.0)))
    return (x.T @ (x * fisher_w[:, None]), _log_likelihood(model, y, eta, w), pearson,
            float(np.sum(w)))


class _Shards:
    """The loaded shards on a dask client (futures) or in this process (a thread pool), with
    the arguments every sharded fit takes checked (``caller`` names the fit in errors) and
    ``p``, the shards' common number of columns."""

    def __init__(self, caller: str, shards: Sequence, model: Any, executor: Any) -> None:
        if not isinstance(model, Family):
            raise TypeError(f"{caller}: expected model to be a fluxion.glm family instance "
                            f"(e.g. glm.Bernoulli()), got {type(model).__name__}")
        if isinstance(shards, np.ndarray | tuple) or not isinstance(shards, Sequence) or (
            not shards
        ):
            raise TypeError(f"{caller}: expected shards as a non-empty list of (X, y) tuples "
                            f"or callables, got {type(shards).__name__}")
        self.executor = executor
        if isinstance(executor, cf.ThreadPoolExecutor):
            self.kind = "threads"
            self.items = list(executor.map(lambda s: _load(caller, s), shards))
        elif callable(getattr(executor, "submit", None)) and callable(
            getattr(executor, "scatter", None)
        ):
            self.kind = "dask"
            items = []
            for s in shards:
                src = s if callable(s) else executor.scatter(tuple(s), hash=False)
                # a task: dask recomputes it from its source when its worker is lost
                items.append(executor.submit(_load, caller, src, pure=False))
            self.items = items
        else:
            raise TypeError(
                f"{caller}: expected executor to be a dask.distributed.Client or a "
                f"concurrent.futures.ThreadPoolExecutor, got {type(executor).__name__} (a "
                "process pool would send the data with every step)"
            )
        cols = sorted(set(self.map(_columns, model)))
        if len(cols) != 1:
            raise ValueError(f"{caller}: expected every shard's X to have the same number of "
                             f"columns, got {cols}")
        self.p = cols[0]

    def map(self, fn: Callable, *args: Any) -> list:
        if self.kind == "threads":
            return list(self.executor.map(lambda s: fn(args[0], s, *args[1:]), self.items))
        futures = [self.executor.submit(fn, args[0], s, *args[1:], pure=False)
                   for s in self.items]
        return self.executor.gather(futures)


def fit_sharded(
    shards: Sequence,
    model: Family,
    executor: Any,
    *,
    l2_regularizer: Any = None,
    model_coefficients_start: Any = None,
    max_iterations: int = 100,
    tolerance: float = 1e-10,
    dispersion: Any = None,
) -> GLMResult:
    """Fit a GLM by Fisher scoring with its data in shards on a cluster.

    The same estimator, step control and standard errors as :func:`fit`; each iteration is
    one round trip in which every worker returns its shards' ``p x p`` Fisher information and
    ``p`` right-hand side (plus one log-likelihood sum per step-halving check).

    Parameters
    ----------
    shards : sequence
        Each ``(X_s, y_s)`` (optionally ``offset_s``, ``weights_s``), with ``X_s`` of shape
        ``(n_s, p)``; or a callable returning that tuple on the worker (data that never pass
        through this process; a lost shard is recomputed from it).
    model : Family
        A family from :mod:`fluxion.glm`.
    executor : dask.distributed.Client or concurrent.futures.ThreadPoolExecutor
    l2_regularizer, model_coefficients_start, max_iterations, tolerance, dispersion
        As :func:`fit`.

    Returns
    -------
    GLMResult
        As :func:`fit`'s, except ``linear_response`` is None (it lives on the workers).

    Raises
    ------
    TypeError
        An executor of another kind, or a shard that is not ``(X, y[, offset[, weights]])``.
    ValueError
        Shards with different numbers of columns, bad shapes, penalties or iteration settings.
    FloatingPointError
        Non-finite working weights (the mean left the family's domain).
    """
    caller = "fit_sharded"
    l2 = _check_penalty(caller, "l2_regularizer", l2_regularizer)
    max_iterations, tolerance = _check_iterations(caller, max_iterations, tolerance)
    how = _check_dispersion(caller, dispersion, model)
    data = _Shards(caller, shards, model, executor)
    p = data.p

    def total_log_lik(b: np.ndarray) -> float:
        return float(sum(data.map(_log_lik, model, b)))

    def objective(b: np.ndarray) -> float:
        value = -total_log_lik(b) + l2 * float(b @ b)
        return value if np.isfinite(value) else np.inf

    def normal_equations(at: np.ndarray | None, it: int) -> tuple[np.ndarray, np.ndarray]:
        parts = data.map(_normal_equations, model, at, it)  # at None: the initial mean
        return sum(part[0] for part in parts), sum(part[1] for part in parts)

    def evaluate(b: np.ndarray) -> tuple[float, np.ndarray]:
        return objective(b), b

    if model_coefficients_start is None:
        b, current = None, np.inf  # the first step starts from the family's initial mean
    else:
        b = _check_start(caller, model_coefficients_start, p)
        current = objective(b)
    b, _, converged, it = _fisher_scoring(
        caller, normal_equations, evaluate, b, b, current, l2, max_iterations, tolerance
    )

    sums = data.map(_final_sums, model, b)
    info = sum(s[0] for s in sums)
    log_lik = float(sum(s[1] for s in sums))
    if how == "family":
        ratio = 1.0
    elif how == "pearson":
        df = sum(s[3] for s in sums) - np.linalg.matrix_rank(info)
        ratio = float(sum(s[2] for s in sums)) / df if df > 0 else np.nan
    else:
        ratio = float(how) / float(np.asarray(model.dispersion, dtype=np.float64))
    info = info / ratio
    info[np.diag_indices(p)] += 2.0 * l2
    se = _standard_errors(info) if np.all(np.isfinite(info)) else np.full(p, np.nan)
    phi = float(np.asarray(model.dispersion, dtype=np.float64)) * ratio
    return GLMResult(
        coefficients=b,
        linear_response=None,
        is_converged=converged,
        iter=it,
        standard_errors=se,
        log_likelihood=log_lik,
        dispersion=phi,
    )


def fit_sparse_sharded(
    shards: Sequence,
    model: Family,
    executor: Any,
    l1_regularizer: Any,
    *,
    l2_regularizer: Any = None,
    penalty_factor: Any = None,
    model_coefficients_start: Any = None,
    max_iterations: int = 100,
    tolerance: float = 1e-8,
    max_full_sweeps: int = 1000,
) -> GLMResult:
    """:func:`fit_sparse`'s elastic net with the data in shards on a cluster.

    The same objective (``-sum_i w_i log p(y_i | eta_i) + sum_j l1_j |b_j| + l2_j b_j^2``)
    by proximal Newton: each outer step is one round trip in which every worker returns its
    shards' ``p x p`` matrix ``X^T W X`` and gradient ``X^T score``; coordinate descent on the
    quadratic model runs here, and the line search asks the workers for log-likelihood sums.
    Every step works on all ``p`` coordinates (the data never come here to be subset), so it
    suits ``p`` up to a few hundred.

    Parameters
    ----------
    shards, model, executor
        As :func:`fit_sharded`.
    l1_regularizer : float
    l2_regularizer, penalty_factor, model_coefficients_start, max_iterations, tolerance, \
max_full_sweeps
        As :func:`fit_sparse`.

    Returns
    -------
    GLMResult
        As :func:`fit_sparse`'s, except ``linear_response`` is None.

    Raises
    ------
    TypeError, ValueError, FloatingPointError
        As :func:`fit_sharded`; negative penalties as :func:`fit_sparse`.
    """
    caller = "fit_sparse_sharded"
    l1 = _check_penalty(caller, "l1_regularizer", l1_regularizer)
    l2 = _check_penalty(caller, "l2_regularizer", l2_regularizer)
    max_iterations, tolerance = _check_iterations(caller, max_iterations, tolerance)
    max_full_sweeps = _check_count(caller, "max_full_sweeps", max_full_sweeps)
    data = _Shards(caller, shards, model, executor)
    p = data.p

    def gram(b: np.ndarray, it: int) -> tuple[np.ndarray, np.ndarray]:
        parts = data.map(_gram_and_gradient, model, b, it)
        return sum(q[0] for q in parts), sum(q[1] for q in parts)
    factor = np.ones(p) if penalty_factor is None else np.asarray(penalty_factor, dtype=float)
    if factor.shape != (p,) or not np.all(np.isfinite(factor)) or np.any(factor < 0):
        raise ValueError(f"{caller}: expected non-negative finite penalty_factor of shape "
                         f"({p},), got {penalty_factor!r}")
    l1v, l2v = l1 * factor, l2 * factor
    b = np.zeros(p) if model_coefficients_start is None else _check_start(
        caller, model_coefficients_start, p)

    def objective(c: np.ndarray) -> float:
        value = (-float(sum(data.map(_log_lik, model, c))) + float(l1v @ np.abs(c))
                 + float(l2v @ (c * c)))
        return value if np.isfinite(value) else np.inf

    current = objective(b)
    if not np.isfinite(current):
        raise ValueError(f"{caller}: the log-likelihood is not finite at the start; pass "
                         "model_coefficients_start")
    converged = False
    it = 0
    h, g = gram(b, 1)
    for it in range(1, max_iterations + 1):  # noqa: B007
        # quadratic model in c = b + d: c^T H c / 2 - v^T c with v = H b + g
        c, _ = _coordinate_descent(h, h @ b + g, b, l1v, l2v, max_full_sweeps,
                                   1e-3 * tolerance * max(float(np.linalg.norm(b)), 1.0))
        d = c - b
        step_norm = float(np.linalg.norm(d))
        if step_norm == 0.0:
            converged = True
            break
        decrement = (-float(g @ d) + float(l1v @ (np.abs(c) - np.abs(b)))
                     + float(l2v @ (c * c - b * b)))
        t = 1.0
        while True:
            value = objective(b + t * d)
            if value <= current + 1e-4 * t * min(decrement, 0.0) or t < 1e-10:
                break
            t *= 0.5
        if not value <= current:
            converged = step_norm <= np.sqrt(tolerance) * max(float(np.linalg.norm(b)), 1.0)
            break
        b, current = b + t * d, value
        h, g = gram(b, it + 1)
        if t * step_norm <= tolerance * max(float(np.linalg.norm(b)), 1.0):
            converged = True
            break

    nonzero = b != 0.0
    se = np.full(p, np.nan)
    if np.any(nonzero):
        info = h[np.ix_(nonzero, nonzero)].copy()
        info[np.diag_indices(info.shape[0])] += 2.0 * l2v[nonzero]
        se[nonzero] = _standard_errors(info)
    return GLMResult(
        coefficients=b,
        linear_response=None,
        is_converged=bool(converged),
        iter=it,
        standard_errors=se,
        log_likelihood=float(sum(data.map(_log_lik, model, b))),
        dispersion=model.dispersion,
    )
