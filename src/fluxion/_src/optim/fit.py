"""``fit``: a small training loop over a :class:`GradientTransformation`, with history and a
progress bar."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO

import numpy as np

from ..api import value_and_grad
from ..jit import jit as _jit
from ..numpy import core as fnp
from ..tree_util import tree_flatten
from .transforms import GradientTransformation, apply_updates

__all__ = ["FitHistory", "FitResult", "fit"]


class FitHistory(NamedTuple):
    """What :func:`fit` recorded.

    Attributes
    ----------
    loss : numpy.ndarray, shape ``(steps_run,)``
        ``loss[i]`` is the loss at the parameters before update ``i``.
    params : list of pytree
        Snapshots of the parameters (after the update) every ``record_params_every`` steps;
        empty when not asked for.
    params_steps : numpy.ndarray of int, shape ``(len(params),)``
        The number of updates applied when each snapshot was taken.
    """

    loss: np.ndarray
    params: list
    params_steps: np.ndarray


class FitResult(NamedTuple):
    """The result of :func:`fit`.

    Attributes
    ----------
    params : pytree
        The final parameters.
    opt_state : pytree
        The final optimizer state (pass it back to continue training).
    history : FitHistory
        Losses per step and optional parameter snapshots.
    steps_run : int
        The number of updates applied.
    elapsed : float
        Wall-clock seconds, compilation included.
    stopped_early : str or None
        Why the loop ended before ``steps`` (``"callback"``, ``"data exhausted"``), else None.
    """

    params: Any
    opt_state: Any
    history: FitHistory
    steps_run: int
    elapsed: float
    stopped_early: str | None = None


class _Progress:
    """A one-line text progress bar written with carriage returns."""

    def __init__(self, stream: TextIO | None, total: int, every: int, width: int = 24) -> None:
        self.stream = stream
        self.total = total
        self.every = max(1, every)
        self.width = width
        self.start = time.perf_counter()
        self.shown = -1  # the step count last written
        self.length = 0  # the length of the last line written (to blank it out)

    def show(self, done: int, loss: float, force: bool = False) -> None:
        if self.stream is None or done == self.shown:
            return
        if not (force or done % self.every == 0 or done == self.total):
            return
        self.shown = done
        frac = done / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        dt = time.perf_counter() - self.start
        rate = done / dt if dt > 0 else 0.0
        width = len(str(self.total))
        line = (
            f"fit {frac:4.0%} |{bar}| {done:{width}d}/{self.total} loss {loss:.6g} {rate:.1f} it/s"
        )
        self.stream.write("\r" + line.ljust(self.length))
        self.length = len(line)
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:  # end the line
            self.stream.write("\n")
            self.stream.flush()


def _progress_stream(progress: Any) -> TextIO | None:
    if progress is False or progress is None:
        return None
    if progress is True:
        stream = sys.stderr
        isatty = getattr(stream, "isatty", None)
        return stream if isatty is not None and isatty() else None
    if hasattr(progress, "write"):
        return progress  # an explicit stream: always written to
    raise TypeError(
        f"fit: expected progress to be a bool or a writable stream, got {type(progress).__name__}"
    )


def _all_finite(tree: Any) -> Any:
    ok = fnp.asarray(True)
    for leaf in tree_flatten(tree)[0]:
        ok = fnp.logical_and(ok, fnp.all(fnp.isfinite(leaf)))
    return ok


def fit(
    loss_fn: Callable,
    params: Any,
    optimizer: GradientTransformation,
    steps: int,
    *,
    data: Any = None,
    opt_state: Any = None,
    jit: bool = True,
    progress: bool | TextIO = True,
    callback: Callable | None = None,
    log_every: int | None = None,
    record_params_every: int | None = None,
) -> FitResult:
    """Minimize ``loss_fn`` with ``optimizer`` for ``steps`` updates.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(params) -> scalar`` or, with ``data``, ``loss_fn(params, batch) -> scalar``.
    params : pytree of arrays
        The initial parameters.
    optimizer : GradientTransformation
        For example ``fluxion.optim.adam(1e-2)``.
    steps : int
        The number of updates (``>= 0``).
    data : optional
        None: ``loss_fn(params)``. An iterator (has ``__next__``, e.g. a generator or
        ``iter(batches)``): one batch per step; the loop stops when it is exhausted. Anything
        else (an array, a tuple of arrays, ...): the same batch at every step.
    opt_state : pytree, optional
        A state to continue from (default ``optimizer.init(params)``).
    jit : bool, optional
        Compile the step (``value_and_grad``, update, apply) with :func:`fluxion.jit`.
    progress : bool or stream, optional
        True: a progress bar on stderr when it is a terminal. False: none. A stream (anything
        with ``write``): the bar is written there.
    callback : callable, optional
        ``callback(step, params, loss)`` after each update (``step`` counts from 0, ``params``
        are the new parameters, ``loss`` the float loss before the update); return True to stop.
    log_every : int, optional
        Refresh the progress bar every ``log_every`` steps (default ``max(1, steps // 100)``).
    record_params_every : int, optional
        Snapshot the parameters every this many steps (see :class:`FitHistory`).

    Returns
    -------
    FitResult
        ``params``, ``opt_state``, ``history`` (``history.loss`` has shape ``(steps_run,)``),
        ``steps_run``, ``elapsed`` seconds and ``stopped_early``.

    Raises
    ------
    FloatingPointError
        When the loss or a gradient becomes NaN or infinite; the message names the step, and the
        exception's ``result`` attribute holds the :class:`FitResult` up to the last good step.
    TypeError, ValueError
        For an invalid ``optimizer``, ``steps``, ``log_every`` or ``record_params_every``.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> from fluxion import optim
    >>> res = optim.fit(lambda p: fnp.sum((p - 3.0) ** 2), fnp.zeros(2), optim.adam(0.1), 500,
    ...                 progress=False)
    >>> [round(float(v), 3) for v in res.params], res.history.loss.shape
    ([3.0, 3.0], (500,))
    """
    if not isinstance(optimizer, GradientTransformation):
        if not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
            raise TypeError(
                "fit: expected a GradientTransformation optimizer (e.g. "
                f"fluxion.optim.adam(1e-3)), got {type(optimizer).__name__}"
            )
    if not callable(loss_fn):
        raise TypeError(f"fit: expected a callable loss_fn, got {type(loss_fn).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"fit: expected an integer steps >= 0, got {steps!r}")
    steps = int(steps)
    for name, value in (("log_every", log_every), ("record_params_every", record_params_every)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1
        ):
            raise ValueError(f"fit: expected an integer {name} >= 1 or None, got {value!r}")

    iterator = data if hasattr(data, "__next__") else None
    has_data = data is not None

    def step_fn(p: Any, state: Any, batch: Any) -> tuple:
        if has_data:
            loss, grads = value_and_grad(loss_fn)(p, batch)
        else:
            loss, grads = value_and_grad(loss_fn)(p)
        updates, new_state = optimizer.update(grads, state, p)
        new_params = apply_updates(p, updates)
        finite = fnp.logical_and(fnp.isfinite(loss), _all_finite(grads))
        return new_params, new_state, loss, finite

    step = _jit(step_fn) if jit else step_fn
    if opt_state is None:
        opt_state = optimizer.init(params)

    stream = _progress_stream(progress)
    bar = _Progress(stream, steps, log_every or max(1, steps // 100))
    losses = np.empty(steps)
    snapshots: list = []
    snapshot_steps: list[int] = []
    stopped: str | None = None
    start = time.perf_counter()
    n = 0

    def result() -> FitResult:
        history = FitHistory(
            loss=losses[:n].copy(),
            params=snapshots,
            params_steps=np.asarray(snapshot_steps, dtype=np.int64),
        )
        elapsed = time.perf_counter() - start
        return FitResult(params, opt_state, history, n, elapsed, stopped)

    try:
        while n < steps:
            if iterator is not None:
                try:
                    batch = next(iterator)
                except StopIteration:
                    stopped = "data exhausted"
                    break
            else:
                batch = data
            new_params, new_state, loss, finite = step(params, opt_state, batch)
            loss_value = float(loss)
            if not bool(finite):
                what = "the loss" if not math.isfinite(loss_value) else "a gradient"
                last = f"; last finite loss {losses[n - 1]:.6g} at step {n - 1}" if n else ""
                err = FloatingPointError(
                    f"fit: {what} became non-finite at step {n} (loss {loss_value!r}){last}; "
                    "lower the learning rate, clip the gradients (e.g. chain("
                    "clip_by_global_norm(1.0), optimizer)) or check loss_fn for log/sqrt/divide "
                    "of non-positive values. The parameters before that step are in "
                    "err.result.params"
                )
                err.result = result()  # type: ignore[attr-defined]
                raise err
            params, opt_state = new_params, new_state
            losses[n] = loss_value
            n += 1
            if record_params_every is not None and n % record_params_every == 0:
                snapshots.append(params)
                snapshot_steps.append(n)
            bar.show(n, loss_value)
            if callback is not None and callback(n - 1, params, loss_value):
                stopped = "callback"
                break
    finally:
        if n > 0:
            bar.show(n, float(losses[n - 1]), force=True)
            bar.close()
    return result()
