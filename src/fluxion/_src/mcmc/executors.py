"""Chains as tasks on an executor: ``sample(..., executor=...)``.

An executor is any ``concurrent.futures.Executor`` (``ThreadPoolExecutor``,
``ProcessPoolExecutor``) or a ``dask.distributed.Client`` (recognised by its ``submit`` and
``gather`` methods; ``distributed`` is imported only when one is given). Each chain runs as a
sequence of tasks, one chunk of iterations each: a task gets the chain's last snapshot (None
for the first chunk), rebuilds the chain on the worker from the user's model and the chain's
seed, restores the snapshot, runs the chunk and returns the new snapshot. The driver keeps
every finished chunk, so that:

* progress, checkpoints (``save_dir``) and Ctrl-C work as with local chains;
* a chunk lost with its worker (a dask worker process killed, a machine gone) is run again
  from the chain's last snapshot on another worker: the chains are deterministic given their
  seed (Python chains carry their generator in the snapshot; compiled chains re-seed at every
  chunk, ``store.chunk_seed``), so the re-run gives the same draws, and no finished draw is
  lost. ``SampleResult.events`` says what happened.

This module holds the scheduling only; what a task runs is ``sample._chain_task``.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import pickle
from collections.abc import Callable
from typing import Any

__all__ = ["ChainJob", "executor_kind", "run_on_executor", "chunk_size"]

#: Chunks per chain: each is a round trip to a worker (a snapshot of the chain each way, a few
#: KB to MB), and the most a lost worker costs a chain.
CHUNKS_PER_CHAIN = 10

#: How many times one chunk is submitted again after its worker was lost, before the run fails.
MAX_RESUBMITS = 3


class ChainJob:
    """What a worker needs to rebuild the chains of one run.

    The user's model as given (``log_prob``, ``init``, ``constraints``: the compiled objects
    are not sent, each worker compiles or loads them from its own cache), the sampler's
    settings with the start computed by the driver, the seed's entropy, and the global
    options that decide the draws. ``local_args`` (the driver's own chain arguments) is used by
    a task that runs in the driver's process (a thread pool) and is never pickled.
    """

    def __init__(self, token: str, model: tuple, chain_args: Any, extra: dict, entropy: int,
                 chains: int, options: dict, compiled: str, local_args: Any = None) -> None:
        self.token = token  # the run: a worker builds its model once per run
        self.model = model  # (log_prob, init, constraints)
        self.chain_args = chain_args  # sample's _ChainArgs without the model and compiled NUTS
        self.extra = extra  # walkers, jit
        self.entropy = entropy
        self.chains = chains
        self.options = options
        self.compiled = compiled  # where the driver's chains run (SampleResult.compiled)
        self.driver_pid = os.getpid()
        self.local_args = local_args

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "local_args"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.local_args = None


def executor_kind(executor: Any, who: str = "sample") -> str:
    """"threads" (no pickling: the tasks run in this process), "futures" (another
    ``concurrent.futures.Executor``) or "dask" (a ``distributed.Client``, duck-typed); a clear
    ``TypeError`` for anything else."""
    if isinstance(executor, cf.ThreadPoolExecutor):
        return "threads"
    if isinstance(executor, cf.Executor):
        return "futures"
    if callable(getattr(executor, "submit", None)) and callable(getattr(executor, "gather", None)):
        return "dask"
    raise TypeError(
        f"{who}: expected executor to be a concurrent.futures.Executor (ThreadPoolExecutor, "
        f"ProcessPoolExecutor) or a dask.distributed.Client, got {type(executor).__name__}; "
        "pass one of those, or leave executor=None to run the chains here (chain_method=)"
    )


def check_picklable(job: ChainJob, kind: str, who: str = "sample", is_model: bool = False
                    ) -> None:
    """The model must travel to the workers: say so clearly if it cannot (before any work)."""
    if kind == "threads":
        return
    if kind == "dask":
        try:
            import cloudpickle as dumper  # what dask sends tasks with (closures included)
        except ImportError:  # pragma: no cover - distributed depends on it
            dumper = pickle
    else:
        dumper = pickle
    try:
        dumper.dumps(job)
    except Exception as err:
        what = ("a model's log density is a nested function, which a process pool cannot "
                "pickle" if is_model else "define log_prob at module level (a lambda or a "
                "nested function cannot be pickled by a process pool)")
        how = (f"{what}; use a dask Client (cloudpickle sends closures) or "
               "chain_method='parallel' (forked, nothing pickled)")
        raise TypeError(
            f"{who}: the model cannot be sent to the executor's workers ({type(err).__name__}: "
            f"{err}); {how}"
        ) from None


def chunk_size(total: int, granule: int) -> int:
    """Iterations per task: about ``total / CHUNKS_PER_CHAIN``, a multiple of ``granule``
    (compiled chains pause only at their own chunk boundaries)."""
    size = max(1, math.ceil(total / CHUNKS_PER_CHAIN))
    return max(granule, math.ceil(size / granule) * granule)


def _is_worker_loss(err: BaseException) -> bool:
    """A dask task that failed because its worker went away (not because of the model)."""
    name = type(err).__name__
    return name in ("KilledWorker", "CommClosedError", "FutureCancelledError") or (
        isinstance(err, OSError | ConnectionError) and "distributed" in type(err).__module__
    )


def _suspicious(client: Any, keys: list) -> dict:
    """How many times each task was running on a worker that died (the scheduler's count);
    {} where the scheduler cannot be asked. The function is a lambda so that cloudpickle sends
    it by value: the scheduler need not have fluxion installed."""
    probe = lambda dask_scheduler, keys: {  # noqa: E731
        k: int(getattr(dask_scheduler.tasks.get(k), "suspicious", 0) or 0) for k in keys
    }
    try:
        return dict(client.run_on_scheduler(probe, keys=keys))
    except Exception:  # an event not recorded is better than a run that fails for it
        return {}


def run_on_executor(
    executor: Any,
    kind: str,
    task: Callable,
    job: ChainJob,
    runners: list,
    granule: int,
    after_chunk: Callable,
    stop: Any,
    events: list[str] | None = None,
) -> list[str]:
    """Run every runner to its end as chunk tasks ``task(job, chain, snapshot, stop_at)`` on
    ``executor``; each finished chunk is restored into the local runner and reported to
    ``after_chunk(runner)`` (progress, checkpoints; it raises KeyboardInterrupt on Ctrl-C).
    Returns the events (lost workers, re-run chunks) as sentences, appended to ``events`` if
    given (so that they survive an exception)."""
    events = [] if events is None else events
    by_chain = {r.chain: r for r in runners}
    step = chunk_size(max(r.total for r in runners), granule)
    pending: dict = {}  # future -> (chain, start, stop, resubmits)
    if kind == "dask":
        from distributed import as_completed

        done_iter: Any = as_completed()
    else:
        done_iter = None

    def submit(chain: int, resubmits: int = 0) -> None:
        r = by_chain[chain]
        end = min(r.total, r.done + step)
        snap = r.snapshot() if r.done else None
        if kind == "dask":
            fut = executor.submit(task, job, chain, snap, end, pure=False)
            done_iter.add(fut)
        else:
            fut = executor.submit(task, job, chain, snap, end)
        pending[fut] = (chain, r.done, end, resubmits)

    def finished() -> list:
        if kind == "dask":
            return [next(done_iter)]
        done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
        return list(done)

    try:
        for r in runners:
            if r.done < r.total:
                submit(r.chain)
        while pending:
            if stop.is_set():
                raise KeyboardInterrupt
            for fut in finished():
                chain, start, end, resubmits = pending.pop(fut)
                r = by_chain[chain]
                try:
                    snap, where = fut.result()
                except BaseException as err:
                    if kind == "dask" and _is_worker_loss(err) and resubmits < MAX_RESUBMITS:
                        events.append(
                            f"chain {chain}: its worker was lost ({type(err).__name__}) while "
                            f"it ran iterations {start}-{end - 1}; re-submitted from its "
                            f"snapshot at iteration {start}"
                        )
                        submit(chain, resubmits + 1)
                        continue
                    if kind == "futures" and type(err).__name__ == "BrokenProcessPool":
                        raise RuntimeError(
                            f"sample: a worker process of the executor died while chain "
                            f"{chain} ran iterations {start}-{end - 1}; the pool cannot run "
                            "tasks any more. The chunks finished before are kept (with "
                            "save_dir=, resume=True continues the run); a dask.distributed "
                            "Client re-runs a lost chunk on another worker"
                        ) from err
                    raise
                if kind == "dask":
                    lost = _suspicious(executor, [fut.key]).get(fut.key, 0)
                    if lost:
                        events.append(
                            f"chain {chain}: worker lost {lost} time(s) while it ran iterations "
                            f"{start}-{end - 1}; the chunk was re-run from the chain's snapshot "
                            f"at iteration {start} on worker {where} (same seed: same draws)"
                        )
                r.restore(snap)
                after_chunk(r)
                if r.done < r.total:
                    submit(chain)
    except BaseException as err:
        for fut, (chain, _, _, _) in pending.items():
            fut.cancel()
            # chunks that finished meanwhile are kept (the caller returns what is finished)
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                by_chain[chain].restore(fut.result()[0])
        if events and hasattr(err, "add_note"):
            err.add_note("sample: before this error: " + "; ".join(events))
        raise
    return events


def worker_identity() -> str:
    """Where a task ran, for the events: the dask worker's address or host:pid."""
    import socket
    import sys

    if "distributed" in sys.modules:  # a dask worker has imported it; nobody else pays for it
        try:
            return str(sys.modules["distributed"].get_worker().address)
        except (AttributeError, ValueError):
            pass
    return f"{socket.gethostname()}:{os.getpid()}"
