"""Progress of MCMC chains: tqdm bars on a terminal or in a notebook, plain lines elsewhere.

One object, ``ChainProgress``, serves every way ``sample`` runs its chains (one after the other,
in threads, in compiled chunks): each chain reports how many iterations it has finished and its
divergences so far, from any thread; the object decides what to show and when.

- On a terminal (or in a Jupyter notebook) with tqdm installed (``pip install fluxion[progress]``):
  one bar per chain (up to 8 chains; one combined bar for more), with the rate, the time left,
  the phase (warm-up or sampling) and the divergences.
- On a terminal without tqdm: one line redrawn in place (a carriage return).
- Anywhere else (output piped to a file, a job scheduler's log): a plain line every 10% of the
  work or every 30 seconds, whichever comes first, and a final line.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import IO, Any

__all__ = ["ChainProgress"]

#: Above this many chains, one combined tqdm bar instead of one bar per chain.
MAX_BARS = 8
#: Seconds between two redraws (bars and the carriage-return line).
REDRAW_INTERVAL = 0.1
#: A plain line at least every this many seconds ...
LINE_INTERVAL = 30.0
#: ... and every time this fraction of the whole work is done.
LINE_FRACTION = 0.1

_MODES = ("auto", "bar", "lines")
_PHASES = ("done", "sampling", "warm-up", "waiting")  # as listed: the furthest first


class ChainProgress:
    """Progress of ``chains`` chains of ``warmup + draws`` iterations each.

    Parameters
    ----------
    mode : {True, "auto", "bar", "lines", False, None}
        True or "auto": tqdm bars on a terminal or in a notebook (a single line redrawn in place
        on a terminal when tqdm is not installed), plain periodic lines when ``stream`` is not a
        terminal. "bar": tqdm bars (or the line redrawn in place without tqdm) wherever the
        stream goes. "lines": plain periodic lines. False or None: nothing.
    chains : int
        Number of chains (``0 <= chain < chains`` in ``update``).
    warmup, draws : int
        Warm-up and kept iterations per chain.
    desc : str
        The label of the output (and the name in error messages).
    divergences : bool
        Whether the kernel has divergent transitions to show (NUTS and HMC do; slice sampling
        and the ensemble sampler do not).
    stream : file-like, optional
        Where to write (``sys.stderr`` by default, read when the object is made).

    Attributes
    ----------
    enabled : bool
        Whether anything is displayed.
    stop : threading.Event
        Set by the driver on Ctrl-C: every later ``update`` raises ``KeyboardInterrupt``, so
        chains running in threads stop at their next report.

    Raises
    ------
    ValueError
        ``mode`` is none of the above.

    Notes
    -----
    ``update`` may be called from several threads at once and as often as every iteration: it
    records the numbers and redraws at most about 10 times a second. Call ``update(chain, 0, 0)``
    when a chain starts, so that its rate is timed from then (chains run one after the other
    otherwise count their wait). ``close`` writes the final state once; the object is also a
    context manager that closes on exit (after an interruption too).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with ChainProgress("lines", chains=1, warmup=10, draws=10, stream=out) as progress:
    ...     for i in range(20):
    ...         progress.update(0, i + 1, 0)
    >>> out.getvalue().splitlines()[-1].startswith("sample: done")
    True
    """

    def __init__(
        self,
        mode: Any,
        chains: int,
        warmup: int,
        draws: int,
        *,
        desc: str = "sample",
        divergences: bool = True,
        stream: IO[str] | None = None,
    ) -> None:
        self.desc = desc
        self.show_divergences = divergences
        style = _check_mode(mode, desc)
        self.stop = threading.Event()
        self.chains, self.warmup, self.draws = int(chains), int(warmup), int(draws)
        self.per_chain = self.warmup + self.draws
        self.total = self.chains * self.per_chain
        self.stream = sys.stderr if stream is None else stream
        notebook = stream is None and _in_notebook()
        tty = _isatty(self.stream)
        if style == "auto":
            style = "bar" if tty or notebook else "lines"
        self._tqdm: Any = None
        if style == "bar":
            self._tqdm = _tqdm_class(notebook)
            if self._tqdm is None:
                style = "line"  # no tqdm: one line redrawn in place
        if self.stream is None or self.total == 0:
            style = None
        self.style: str | None = style  # "bar", "line" (carriage return), "lines" or None
        self.enabled = style is not None
        self._lock = threading.Lock()
        self._done = [0] * self.chains
        self._sum_done = 0  # sum(self._done)
        self._divergences = [0] * self.chains
        self._started = [False] * self.chains
        self._start_time: float | None = None
        self._last_draw = 0.0
        self._closed = False
        self._bars: list | None = None  # tqdm bars, made at the first report
        self._shown = [0] * self.chains  # what each bar shows (per-chain bars)
        self._line_width = 0  # of the last carriage-return line, to blank it out
        self._next_line_at = 0  # plain lines: the next 10% mark ...
        self._last_line_time = 0.0  # ... and the time of the last line

    # ----------------------------------------------------------------------------------------
    # what the drivers call
    # ----------------------------------------------------------------------------------------

    def update(self, chain: int, done: int, divergences: int) -> None:
        """Record that ``chain`` has finished ``done`` iterations (warm-up and sampling
        together, ``0 <= done <= warmup + draws``) with ``divergences`` divergent transitions
        after warm-up so far; redraw when it is time.

        Raises
        ------
        KeyboardInterrupt
            ``stop`` is set (the driver was interrupted).
        """
        if self.stop.is_set():
            raise KeyboardInterrupt
        if not self.enabled:
            return
        now = time.perf_counter()
        with self._lock:
            if self._closed:
                return
            if self._start_time is None:
                self._start_time = self._last_line_time = now
                self._next_line_at = self._line_step()
            if not self._started[chain]:
                self._started[chain] = True
                if self.style == "bar":
                    self._start_bar(chain)
            self._sum_done += done - self._done[chain]
            self._done[chain], self._divergences[chain] = done, divergences
            if self.style == "lines":
                self._maybe_write_line(now)
                return
            if done < self.per_chain and now - self._last_draw < REDRAW_INTERVAL:
                return  # a chain's last report is always drawn
            self._last_draw = now
            if self.style == "bar":
                self._draw_bars()
            else:
                self._draw_line(now)

    def close(self) -> None:
        """Show the final state (once; later calls do nothing)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self.enabled or self._start_time is None:
                return  # nothing ever ran: nothing to say
            now = time.perf_counter()
            if self.style == "bar":
                self._draw_bars()
                for bar in self._bars or ():
                    bar.close()  # in position order: each leaves its last state on its line
            elif self.style == "line":
                self._write_line(self._final_line(now), final=True)
            else:
                self._write(self._final_line(now) + "\n")

    def __enter__(self) -> ChainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------------------
    # the state, in words
    # ----------------------------------------------------------------------------------------

    def _phase(self, chain: int) -> str:
        done = self._done[chain]
        if not self._started[chain]:
            return "waiting"
        if done >= self.per_chain:
            return "done"
        return "warm-up" if done < self.warmup else "sampling"

    def _phases(self) -> str:
        """``"warm-up"`` for one chain; ``"chains: 2 warm-up, 2 sampling"`` for several."""
        if self.chains == 1:
            return self._phase(0)
        counts = dict.fromkeys(_PHASES, 0)
        for c in range(self.chains):
            counts[self._phase(c)] += 1
        return "chains: " + ", ".join(f"{n} {p}" for p, n in counts.items() if n)

    def _any_sampling(self) -> bool:
        """Whether to show divergences: the kernel has them and a chain is past its warm-up."""
        if not self.show_divergences:
            return False
        return any(s and d >= self.warmup for s, d in zip(self._started, self._done))

    def _rate(self, now: float) -> float | None:
        elapsed = now - (self._start_time or now)
        done = sum(self._done)
        return done / elapsed if elapsed > 0 and done > 0 else None

    def _progress_line(self, now: float) -> str:
        """``sample: 40% (1600/4000 iterations, chains: ...), 812 it/s, ETA 0:00:02, ...``"""
        done = sum(self._done)
        rate = self._rate(now)
        eta = _interval((self.total - done) / rate) if rate else "?"
        line = (
            f"{self.desc}: {100 * done // self.total}% ({done}/{self.total} iterations, "
            f"{self._phases()}), {_rate(rate)}, ETA {eta}"
        )
        if self._any_sampling():
            line += f", {_divergences(sum(self._divergences))}"
        return line

    def _final_line(self, now: float) -> str:
        done = sum(self._done)
        elapsed = _interval(now - (self._start_time or now))
        rate = _rate(self._rate(now))
        if done >= self.total:
            each = f"{self.chains} chains x " if self.chains > 1 else ""
            line = (
                f"{self.desc}: done, {done} iterations ({each}{self.warmup} warm-up + "
                f"{self.draws} draws) in {elapsed}, {rate}"
            )
        else:
            line = (
                f"{self.desc}: stopped at {100 * done // self.total}% ({done}/{self.total} "
                f"iterations, {self._phases()}) after {elapsed}, {rate}"
            )
        if self._any_sampling():
            line += f", {_divergences(sum(self._divergences))}"
            if self.chains > 1 and sum(self._divergences):
                each = ", ".join(f"chain {c}: {k}" for c, k in enumerate(self._divergences) if k)
                line += f" ({each})"
        return line

    # ----------------------------------------------------------------------------------------
    # plain lines (not a terminal)
    # ----------------------------------------------------------------------------------------

    def _line_step(self) -> int:
        return max(1, round(LINE_FRACTION * self.total))

    def _maybe_write_line(self, now: float) -> None:
        done = self._sum_done
        if done >= self.total:
            return  # the final line (close) says it
        if done < self._next_line_at and now - self._last_line_time < LINE_INTERVAL:
            return
        step = self._line_step()
        self._next_line_at = (done // step + 1) * step
        self._last_line_time = now
        self._write(self._progress_line(now) + "\n")

    # ----------------------------------------------------------------------------------------
    # one line redrawn in place (a terminal without tqdm)
    # ----------------------------------------------------------------------------------------

    def _draw_line(self, now: float) -> None:
        """``sample: [########            ] 40% 1600/4000, 812 it/s, ETA 0:00:02, ...``: the
        numbers first, the phases last (cut where the terminal is narrow)."""
        done = sum(self._done)
        rate = self._rate(now)
        eta = _interval((self.total - done) / rate) if rate else "?"
        filled = int(20 * done / self.total)
        line = (
            f"{self.desc}: [{'#' * filled:<20}] {100 * done // self.total}% {done}/{self.total}, "
            f"{_rate(rate)}, ETA {eta}"
        )
        if self._any_sampling():
            line += f", {_divergences(sum(self._divergences))}"
        line += f", {self._phases()}"
        # a line longer than the terminal wraps, and the carriage return then redraws only
        # its last row
        self._write_line(line[: _columns(self.stream) - 1], final=False)

    def _write_line(self, line: str, final: bool) -> None:
        pad = max(0, self._line_width - len(line))
        self._line_width = len(line)
        self._write("\r" + line + " " * pad + ("\n" if final else ""))

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: stop showing, keep sampling
            self.enabled = False

    # ----------------------------------------------------------------------------------------
    # tqdm bars
    # ----------------------------------------------------------------------------------------

    def _make_bars(self) -> None:
        common = {"file": self.stream, "unit": "it", "leave": True, "mininterval": 0}
        if self.chains <= MAX_BARS:
            self._bars = [
                self._tqdm(
                    total=self.per_chain,
                    desc=f"chain {c}" if self.chains > 1 else self.desc,
                    position=c,
                    **common,
                )
                for c in range(self.chains)
            ]
        else:
            self._bars = [
                self._tqdm(total=self.total, desc=f"{self.desc} ({self.chains} chains)", **common)
            ]
        self._shown = [0] * len(self._bars)

    def _start_bar(self, chain: int) -> None:
        """A chain starts: its bar's clock starts now (not when the first chain started)."""
        if self._bars is None:
            self._make_bars()
        if self.chains <= MAX_BARS:
            self._bars[chain].reset()

    def _draw_bars(self) -> None:
        bars = self._bars or ()
        if len(bars) == self.chains:
            for c, bar in enumerate(bars):
                if not self._started[c]:
                    continue
                postfix = self._phase(c)
                if self.show_divergences and self._done[c] >= self.warmup:
                    postfix += f", {_divergences(self._divergences[c])}"
                self._move(c, bar, self._done[c], postfix)
        elif bars:
            postfix = self._phases().removeprefix("chains: ")
            if self._any_sampling():
                postfix += f", {_divergences(sum(self._divergences))}"
            self._move(0, bars[0], sum(self._done), postfix)

    def _move(self, index: int, bar: Any, done: int, postfix: str) -> None:
        bar.set_postfix_str(postfix, refresh=False)
        step = done - self._shown[index]
        self._shown[index] = done
        if step > 0:
            bar.update(step)  # through update, so that tqdm's rate follows the chain
        else:
            bar.refresh()
        if bar.n >= bar.total and not getattr(bar, "_fluxion_frozen", False):
            # finished: stop its clock, or its final rate (drawn again by close, after the
            # other chains) would count the time it sat finished; tqdm reads the time through
            # the instance's _time
            stopped = bar._time()
            bar._time = lambda: stopped
            bar._fluxion_frozen = True


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _check_mode(mode: Any, who: str) -> str | None:
    """``"auto"``, ``"bar"``, ``"lines"`` or None (nothing to show)."""
    if mode is None or mode is False:
        return None
    if mode is True:
        return "auto"
    if type(mode).__name__ == "bool_":  # numpy's booleans, without importing numpy here
        return "auto" if bool(mode) else None
    if isinstance(mode, str) and mode in _MODES:
        return mode
    raise ValueError(
        f"{who}: progress expected True, False, 'auto', 'bar' or 'lines', got {mode!r} "
        f"({type(mode).__name__})"
    )


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):  # no isatty, or a closed stream
        return False


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where tqdm.auto shows widgets)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # an IPython too old or too new for this check: not a notebook
        return False


def _tqdm_class(notebook: bool) -> Any:
    """tqdm's bar class (tqdm.auto's in a notebook), or None without tqdm."""
    try:
        from tqdm.std import tqdm
    except ImportError:
        return None
    if not notebook:
        return tqdm
    import importlib.util

    if importlib.util.find_spec("ipywidgets") is None:
        return tqdm  # tqdm's widgets need ipywidgets; text bars show in a notebook too
    try:
        from tqdm.auto import tqdm as auto_tqdm
    except Exception:  # a tqdm.auto that fails to import: text bars
        return tqdm
    return auto_tqdm


def _columns(stream: Any) -> int:
    """The width of the terminal behind ``stream`` (80 where it cannot be told)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80


def _interval(seconds: float) -> str:
    """``0:00:02``, ``1:02:03``."""
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _rate(rate: float | None) -> str:
    if rate is None:
        return "? it/s"
    return f"{rate:.0f} it/s" if rate >= 100 else f"{rate:.3g} it/s"


def _divergences(n: int) -> str:
    return f"{n} divergence" + ("" if n == 1 else "s")
