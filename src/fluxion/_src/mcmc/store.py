"""A run's directory: draws written while the chains run, and checkpoints to resume from.

``sample(..., save_dir=DIR)`` (and ``fluxion sample --out DIR``) keeps, in ``DIR``:

* ``run.json``: the run's settings (its fingerprint), the seed's entropy and its status
  ("running", "interrupted", "failed" or "complete");
* ``draws.nc`` (ArviZ's netCDF; ``draws.npz`` where ArviZ or a netCDF engine is missing): every
  finished draw of every chain, rewritten (atomically: a temporary file renamed over the old
  one) at most every ``every`` seconds while the run goes and once at its end, so that Ctrl-C,
  an exception late in the run or a killed process leaves a readable partial result;
* ``.checkpoint/chain_<c>.pkl``: each chain's whole state (position, adaptation, generator,
  draws so far) at its last save, written by the thread or process that runs the chain, also
  atomically.

A chain restored from its checkpoint continues exactly as the uninterrupted chain would have:
Python chains carry their NumPy generator's state; compiled chains re-seed numba's generator
at fixed chunk boundaries from the chain's seed and the chunk's start (``chunk_seed``), so the
stream after a boundary depends on nothing that happened before it. The same seed therefore
gives the same draws, interrupted and resumed or not.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["RunStore", "chunk_seed"]

_FORMAT = 1  # bumped when a checkpoint's contents change: older ones are refused on resume


def chunk_seed(seed: int, start: int) -> int:
    """The seed of numba's generator for the chunk of a compiled chain starting at ``start``:
    SplitMix64's finalizer of the pair (cheap: it runs before every chunk; a SeedSequence
    costs ~10 us), folded to the 32 bits numba's ``np.random.seed`` takes."""
    mask = (1 << 64) - 1
    z = (seed * 0x9E3779B97F4A7C15 + start + 1) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return (z ^ (z >> 31)) & 0xFFFFFFFF


# the permissions a plain open() would give (mkstemp's files are private, 0600)
_UMASK = os.umask(0)
os.umask(_UMASK)


def _atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Write through ``write(tmp_path)`` then rename over ``path``: readers (and a process
    killed half-way) see the old file or the new one, never a torn one."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _write_text(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def check_output_dir(path: str, who: str) -> None:
    """Create ``path`` if needed and check that files can be written there, before any run."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{who}: the output directory {path!r} is an existing file; choose a "
                         "directory (it is created if missing)")
    try:
        os.makedirs(path, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-test-")
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise ValueError(
            f"{who}: cannot write to the output directory {path!r}: {err.strerror or err}; "
            "choose a writable directory"
        ) from None


def read_run(path: str) -> dict | None:
    """The ``run.json`` of the run directory ``path`` (settings, seed, status), or None."""
    try:
        with open(os.path.join(path, "run.json")) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


class RunStore:
    """The directory of one run (see the module docstring).

    Parameters
    ----------
    path : str
        The directory (created if missing).
    fingerprint : dict
        The settings that decide the draws (kernel, chains, draws, warm-up, ...; JSON-able).
    entropy : int
        The seed sequence's entropy (so that ``seed=None`` runs resume too).
    resume : bool
        Continue the run recorded there (its fingerprint must match) instead of starting one.
    every : float
        At most this many seconds between checkpoints of a chain and rewrites of the draws.
    who : str
        The caller's name for error messages.
    """

    def __init__(
        self,
        path: str,
        fingerprint: dict,
        entropy: int,
        resume: bool,
        every: float = 10.0,
        who: str = "sample",
    ) -> None:
        check_output_dir(path, who)
        self.path = path
        self.every = float(every)
        self.who = who
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.checkpoints = os.path.join(path, ".checkpoint")
        old = read_run(path)
        fingerprint = json.loads(json.dumps(fingerprint))  # as it reads back from disk
        if resume:
            if old is None:
                raise ValueError(f"{who}: nothing to resume in {path!r} (no readable run.json)")
            if old.get("format") != _FORMAT:
                raise ValueError(f"{who}: the run in {path!r} was written by another version "
                                 "of fluxion and cannot be resumed; start a new run")
            differ = sorted(
                k for k in set(fingerprint) | set(old["fingerprint"])
                if fingerprint.get(k) != old["fingerprint"].get(k)
            )
            if differ:
                shown = ", ".join(
                    f"{k}: {old['fingerprint'].get(k)!r} there, {fingerprint.get(k)!r} now"
                    for k in differ[:4]
                )
                raise ValueError(f"{who}: cannot resume the run in {path!r} with other "
                                 f"settings ({shown}); resume with the same settings")
            self.entropy = int(old["entropy"])
            self.meta = old
        else:
            if old is not None and old.get("status") not in ("complete", None):
                raise ValueError(
                    f"{who}: {path!r} holds an unfinished run (status {old.get('status')!r}); "
                    "resume it (resume=True, or `fluxion sample --resume DIR`) or choose "
                    "another directory"
                )
            self.entropy = int(entropy)
            self.meta = {"format": _FORMAT, "fingerprint": fingerprint, "entropy": self.entropy}
            if os.path.isdir(self.checkpoints):
                for name in os.listdir(self.checkpoints):
                    os.remove(os.path.join(self.checkpoints, name))
        os.makedirs(self.checkpoints, exist_ok=True)
        self.set_status("running")
        self._last_save: dict[int, float] = {}
        self._last_draws = time.monotonic()
        self.partial: Callable[[], Any] | None = None  # builds the partial result to write

    def set_status(self, status: str, **extra: Any) -> None:
        self.meta.update(status=status, **extra)
        text = json.dumps(self.meta, indent=1, default=str)
        _atomic_write(os.path.join(self.path, "run.json"), lambda tmp: _write_text(tmp, text))

    # ---- chain checkpoints --------------------------------------------------------------

    def _chain_path(self, chain: int) -> str:
        return os.path.join(self.checkpoints, f"chain_{chain}.pkl")

    def load(self, chain: int) -> dict | None:
        """The chain's last checkpoint, or None."""
        try:
            with open(self._chain_path(chain), "rb") as fh:
                return pickle.load(fh)
        except FileNotFoundError:
            return None

    def save(self, runner: Any) -> None:
        """Checkpoint ``runner`` now (in the thread that runs it: its arrays are at rest)."""
        blob = pickle.dumps(runner.snapshot(), protocol=pickle.HIGHEST_PROTOCOL)

        def write(tmp: str) -> None:
            with open(tmp, "wb") as fh:
                fh.write(blob)

        _atomic_write(self._chain_path(runner.chain), write)
        self._last_save[runner.chain] = time.monotonic()

    def maybe_save(self, runner: Any) -> None:
        """Checkpoint ``runner`` if its last checkpoint is ``every`` seconds old, and rewrite
        the draws file if that is (only from the process that owns the run)."""
        now = time.monotonic()  # called every iteration of a Python chain: time first
        if now - self._last_save.get(runner.chain, -np.inf) >= self.every:
            self.save(runner)
        if now - self._last_draws >= self.every and os.getpid() == self.pid:
            with self.lock:
                if now - self._last_draws >= self.every:
                    self._last_draws = now
                    self.write_partial()

    def write_partial(self) -> None:
        if self.partial is not None:
            result = self.partial()
            if result is not None:
                self.write_draws(result)

    # ---- the draws ----------------------------------------------------------------------

    def write_draws(self, result: Any) -> str:
        """``draws.nc`` (ArviZ) or ``draws.npz`` from a (partial) ``SampleResult``; the path."""
        nc = os.path.join(self.path, "draws.nc")
        try:
            idata = result.to_arviz()
            _atomic_write(nc, idata.to_netcdf)
            progress = {"draws": int(next(iter(result.draws.values())).shape[1])}
            _atomic_write(os.path.join(self.checkpoints, "written.json"),
                          lambda tmp: _write_text(tmp, json.dumps(progress)))
            return nc
        except ImportError:
            pass
        npz = os.path.join(self.path, "draws.npz")
        arrays = {**result.draws, **{f"stat_{k}": v for k, v in result.stats.items()}}
        _atomic_write(npz, lambda tmp: np.savez(tmp, **arrays))
        return npz

    def finish(self) -> None:
        """The run is complete: its checkpoints are no longer needed."""
        for name in os.listdir(self.checkpoints):
            os.remove(os.path.join(self.checkpoints, name))
        self.set_status("complete")
