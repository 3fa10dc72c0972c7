"""A log-likelihood that is a sum over rows of data, its shards kept on an executor's workers.

``ShardedSum(fn, shards, executor)`` stands for ``sum_s fn(params, *shard_s)``. Each worker
computes the value and gradient of its shards with ``jit(value_and_grad(fn))`` (compiled once
per worker and run), and the driver adds them up in shard order, so that the result is the
unsharded sum up to floating-point reassociation (a few ulps; nothing is approximated). One
evaluation is one round trip to the workers: the parameters go out, one scalar and one
gradient per shard come back; the data never moves after ``ShardedSum`` scattered it.

Calling the object (``total(params)``) gives a differentiable fluxion function (a
``custom_vjp`` whose forward pass computes the gradient alongside the value), usable where
fluxion differentiates eagerly: ``optim.minimize(..., jit=False)``. It cannot be traced by
``jit`` (the workers run outside the traced graph).
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..api import value_and_grad
from ..custom import custom_vjp
from ..jit import jit
from ..tree_util import tree_flatten, tree_map, tree_unflatten

__all__ = ["ShardedSum", "shard_rows"]

#: A worker's compiled value-and-gradient per ShardedSum (by token): compiled once per worker.
_COMPILED: dict[str, Callable] = {}
_COMPILED_LOCK = threading.Lock()


def shard_rows(arrays: Any, n_shards: int) -> list[tuple]:
    """Split arrays along their first axis (rows) into ``n_shards`` contiguous shards.

    Parameters
    ----------
    arrays : array or sequence of arrays
        Arrays with the same number of rows ``n`` (shape ``(n, ...)`` each).
    n_shards : int
        Number of shards, ``1 <= n_shards <= n``.

    Returns
    -------
    list of tuple
        ``n_shards`` tuples of arrays, the ``s``-th holding rows of every array in the same
        order (sizes differ by at most one row).
    """
    if isinstance(arrays, np.ndarray) or not isinstance(arrays, Sequence):
        arrays = (arrays,)
    arrays = tuple(np.asarray(a) for a in arrays)
    if not arrays or any(a.ndim == 0 for a in arrays):
        raise ValueError("shard_rows: expected arrays with at least one axis (the rows)")
    n = arrays[0].shape[0]
    if any(a.shape[0] != n for a in arrays):
        rows = [a.shape[0] for a in arrays]
        raise ValueError(f"shard_rows: expected the same number of rows in every array, got "
                         f"{rows}")
    if not isinstance(n_shards, int | np.integer) or not 1 <= n_shards <= n:
        raise ValueError(f"shard_rows: expected 1 <= n_shards <= {n} (the rows), got "
                         f"{n_shards!r}")
    bounds = np.linspace(0, n, int(n_shards) + 1).round().astype(int)
    return [tuple(a[lo:hi] for a in arrays) for lo, hi in zip(bounds[:-1], bounds[1:])]


#: A worker's aligned copies of received shard arrays, by the received array's id (the
#: received array is kept alive alongside, so its id stays unique).
_ALIGNED: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _aligned(a: Any) -> Any:
    """``a`` itself, or (once per array) an aligned copy: dask can deliver a scattered array
    at an address that is not a multiple of 8 bytes, where BLAS takes its slow path (measured:
    a 10^6 x 50 float64 ``X.T @ r`` took 0.41 s on a worker against 0.033 s on a copy)."""
    if not isinstance(a, np.ndarray) or a.flags.aligned:
        return a
    with _COMPILED_LOCK:
        hit = _ALIGNED.get(id(a))
        if hit is None or hit[0] is not a:
            hit = _ALIGNED[id(a)] = (a, np.require(a, requirements=["A", "C"]))
    return hit[1]


def _shard_value_and_grad(token: str, fn: Callable, params: Any, shard: tuple) -> tuple:
    """On a worker: ``fn``'s value and gradient on one shard (the compiled function cached)."""
    with _COMPILED_LOCK:
        vg = _COMPILED.get(token)
        if vg is None:
            vg = _COMPILED[token] = jit(value_and_grad(fn))
    value, grad = vg(params, *(_aligned(a) for a in shard))
    return float(value), tree_map(lambda g: np.asarray(g, dtype=np.float64), grad)


class ShardedSum:
    """``sum_s fn(params, *shards[s])``, each shard's term and gradient computed on a worker.

    Parameters
    ----------
    fn : callable
        ``fn(params, *shard) -> scalar``, written with ``fluxion.numpy``: the log-likelihood
        of one shard's rows (a sum over them), differentiable in ``params``.
    shards : sequence of tuples of arrays
        The data, one tuple of arrays per shard (``shard_rows`` splits arrays by rows).
    executor : dask.distributed.Client or concurrent.futures.Executor
        Where the shards live and the terms are computed. A dask ``Client`` scatters the
        shards to its workers once (spread over them); a ``concurrent.futures`` executor
        gets each shard with every task (a thread pool shares them without copying).

    Attributes
    ----------
    n_shards : int
    calls : int
        Evaluations so far (each one a round trip to the workers).

    Notes
    -----
    The driver adds the shards' terms in shard order (fixed, whatever the order the workers
    finish in), so the same parameters give the same value and gradient every time.
    """

    def __init__(self, fn: Callable, shards: Sequence, executor: Any) -> None:
        if not callable(fn):
            raise TypeError(f"ShardedSum: expected fn to be a callable fn(params, *shard), got "
                            f"{type(fn).__name__}")
        shards = [tuple(s) if isinstance(s, tuple | list) else (s,) for s in shards]
        if not shards:
            raise ValueError("ShardedSum: expected at least one shard (shard_rows(arrays, n))")
        if isinstance(executor, cf.Executor):
            self._kind = "futures"
        elif callable(getattr(executor, "submit", None)) and callable(
            getattr(executor, "scatter", None)
        ):
            self._kind = "dask"
        else:
            raise TypeError(
                f"ShardedSum: expected executor to be a dask.distributed.Client or a "
                f"concurrent.futures.Executor, got {type(executor).__name__}"
            )
        self.fn = fn
        self.executor = executor
        self.n_shards = len(shards)
        self.calls = 0
        self._token = uuid.uuid4().hex
        if self._kind == "dask":  # the data moves once, spread over the workers
            self._shards = executor.scatter(shards, hash=False)
        else:
            self._shards = shards
        self._call = self._differentiable()

    def value_and_grad(self, params: Any) -> tuple[float, Any]:
        """The sum's value and its gradient (a pytree like ``params``) at concrete ``params``.

        Parameters
        ----------
        params : pytree of arrays

        Returns
        -------
        value : float
        grad : pytree
            Shaped like ``params`` (float64 leaves).
        """
        leaves, tree = tree_flatten(params)
        try:
            leaves = [np.asarray(x, dtype=np.float64) for x in leaves]
        except (TypeError, ValueError):
            raise TypeError(
                "ShardedSum: expected concrete parameters; it cannot be traced by jit (use "
                "optim.minimize(..., jit=False))"
            ) from None
        params = tree_unflatten(tree, leaves)
        extra = {"pure": False} if self._kind == "dask" else {}  # every call computes
        futures = [self.executor.submit(_shard_value_and_grad, self._token, self.fn, params,
                                        shard, **extra) for shard in self._shards]
        results = [f.result() for f in futures]  # in shard order: a fixed summation order
        self.calls += 1
        value = 0.0
        grad = tree_map(np.zeros_like, params)
        for v, g in results:
            value += v
            grad = tree_map(np.add, grad, g)
        return value, grad

    def _differentiable(self) -> Callable:
        def forward(params: Any) -> Any:
            value, grad = self.value_and_grad(params)
            return np.asarray(value), grad

        @custom_vjp
        def total(params: Any) -> Any:
            return forward(params)[0]

        def bwd(grad: Any, ct: Any) -> tuple:
            return (tree_map(lambda g: ct * g, grad),)

        total.defvjp(forward, bwd)
        return total

    def __call__(self, params: Any) -> Any:
        """The sum at ``params``, differentiable by fluxion's eager transforms.

        Parameters
        ----------
        params : pytree of arrays

        Returns
        -------
        scalar
        """
        return self._call(params)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        return f"ShardedSum({name}, {self.n_shards} shards on {self._kind})"
