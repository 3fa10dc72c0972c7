"""``ChainProgress``: what ``sample`` shows while chains run (tqdm bars, in-place line, plain
lines), from one thread or many, and how it stops. No sampling here: the chains are simulated
by calling ``update`` as a driver would."""

from __future__ import annotations

import io
import sys
import threading

import pytest

from fluxion._src.mcmc import progress as progress_module
from fluxion._src.mcmc.progress import ChainProgress


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_tqdm(monkeypatch):
    """Make ``import tqdm`` (and ``tqdm.std``, ``tqdm.auto``) fail, as where it is not installed."""
    for name in [m for m in sys.modules if m == "tqdm" or m.startswith("tqdm.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tqdm", None)


def run_chains(progress, chains, warmup, draws, divergent_every=0):
    """Chains one after the other; a divergence every ``divergent_every`` sampling iterations.
    Returns each chain's divergence count."""
    counts = []
    for c in range(chains):
        progress.update(c, 0, 0)
        k = 0
        for i in range(warmup + draws):
            if divergent_every and i >= warmup and (i - warmup) % divergent_every == 0:
                k += 1
            progress.update(c, i + 1, k)
        counts.append(k)
    return counts


# --------------------------------------------------------------------------------------------
# not a terminal: plain lines
# --------------------------------------------------------------------------------------------


def test_lines_when_the_stream_is_not_a_terminal():
    out = io.StringIO()
    with ChainProgress(True, chains=2, warmup=50, draws=50, stream=out) as p:
        assert p.enabled
        counts = run_chains(p, 2, 50, 50, divergent_every=20)
    text = out.getvalue()
    assert "\r" not in text  # a log file gets whole lines
    lines = text.splitlines()
    # a line at every 10% of the 200 iterations (not at 100%), and the final line
    assert len(lines) == 9 + 1
    assert lines[0].startswith("sample: 10% (20/200 iterations, chains: 1 warm-up, 1 waiting)")
    for line in lines[:-1]:
        assert " it/s, ETA " in line
    # chain 0 in warm-up: no divergences yet; once it samples, they are counted
    assert "divergence" not in lines[1]
    assert "chains: 1 sampling, 1 waiting" in lines[3] and "divergences" in lines[3]
    assert "chains: 1 done, 1 warm-up" in lines[5]
    total = sum(counts)
    assert lines[-1].startswith("sample: done, 200 iterations (2 chains x 50 warm-up + 50 draws)")
    assert f"{total} divergences (chain 0: {counts[0]}, chain 1: {counts[1]})" in lines[-1]


def test_lines_also_every_30_seconds(monkeypatch):
    # a slow run says something before its first 10%: here "30 s" has already passed
    monkeypatch.setattr(progress_module, "LINE_INTERVAL", 0.0)
    out = io.StringIO()
    with ChainProgress("lines", chains=1, warmup=100, draws=100, stream=out) as p:
        p.update(0, 0, 0)
        p.update(0, 1, 0)
        p.update(0, 2, 0)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 + 1  # a line at every report, then the final line
    assert lines[0].startswith("sample: 0% (0/200 iterations, warm-up), ? it/s, ETA ?")
    assert lines[1].startswith("sample: 0% (1/200 iterations, warm-up)")
    assert lines[-1].startswith("sample: stopped at 1% (2/200 iterations, warm-up) after ")


def test_lines_mode_on_a_terminal_too():
    out = FakeTerminal()
    with ChainProgress("lines", chains=1, warmup=0, draws=30, stream=out) as p:
        run_chains(p, 1, 0, 30, divergent_every=7)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    # no warm-up: sampling (and counting divergences) from the start
    assert lines[0].startswith("sample: 10% (3/30 iterations, sampling)")
    assert lines[0].endswith(", 1 divergence")
    assert lines[-1] == lines[-1].rstrip() and "5 divergences" in lines[-1]
    assert lines[-1].startswith("sample: done, 30 iterations (0 warm-up + 30 draws) in ")


def test_interrupted_run_says_where_it_stopped():
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with ChainProgress(True, chains=3, warmup=10, draws=10, stream=out) as p:
            p.update(0, 0, 0)
            p.update(0, 15, 2)
            raise KeyboardInterrupt
    last = out.getvalue().splitlines()[-1]
    assert last.startswith(
        "sample: stopped at 25% (15/60 iterations, chains: 1 sampling, 2 waiting)"
    )
    assert last.endswith("2 divergences (chain 0: 2)")


# --------------------------------------------------------------------------------------------
# a terminal: tqdm bars, or one line redrawn in place without tqdm
# --------------------------------------------------------------------------------------------


def test_one_tqdm_bar_per_chain_on_a_terminal():
    pytest.importorskip("tqdm")
    out = FakeTerminal()
    with ChainProgress(True, chains=3, warmup=20, draws=20, stream=out) as p:
        assert p.style == "bar"
        run_chains(p, 3, 20, 20, divergent_every=10)
    text = out.getvalue()
    for c in range(3):
        assert f"chain {c}: 100%" in text
    assert "chain 3" not in text
    assert "it/s" in text and "40/40" in text
    assert "warm-up" in text or "sampling" in text  # phase in the postfix while running
    assert "done, 2 divergences" in text
    assert "\x1b[A" in text  # bars at positions 1 and 2 move the cursor back up


def test_one_combined_tqdm_bar_for_many_chains():
    pytest.importorskip("tqdm")
    out = FakeTerminal()
    with ChainProgress("bar", chains=10, warmup=5, draws=5, stream=out) as p:
        run_chains(p, 10, 5, 5)
    text = out.getvalue()
    assert "sample (10 chains): 100%" in text and "100/100" in text
    assert "chain 0" not in text
    assert "10 done, 0 divergences" in text


def test_bar_mode_on_a_pipe_draws_tqdm_bars_there():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    with ChainProgress("bar", chains=1, warmup=5, draws=5, desc="ensemble", stream=out) as p:
        run_chains(p, 1, 5, 5)
    assert "ensemble: 100%" in out.getvalue()


def test_in_place_line_on_a_terminal_without_tqdm(no_tqdm):
    out = FakeTerminal()
    p = ChainProgress(True, chains=2, warmup=10, draws=10, stream=out)
    assert p.style == "line"
    run_chains(p, 2, 10, 10, divergent_every=4)
    running = out.getvalue()
    assert running.startswith("\rsample: [") and "\n" not in running
    # each chain's last report is drawn: chain 1 finished, both done
    assert "100% 40/40" in running and "it/s, ETA " in running
    p.close()
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    final = text.rsplit("\r", 1)[-1]
    assert final.startswith("sample: done, 40 iterations (2 chains x 10 warm-up + 10 draws)")
    assert "6 divergences (chain 0: 3, chain 1: 3)" in final


def test_without_tqdm_bar_mode_falls_back_to_the_line(no_tqdm):
    out = io.StringIO()
    with ChainProgress("bar", chains=1, warmup=1, draws=1, stream=out) as p:
        run_chains(p, 1, 1, 1)
    assert p.style == "line"
    assert out.getvalue().startswith("\rsample: [") and out.getvalue().endswith("\n")


def test_in_place_line_fits_the_terminal(no_tqdm):
    out = FakeTerminal()  # no terminal size to ask: 80 columns
    with ChainProgress(True, chains=100, warmup=10, draws=10, stream=out) as p:
        for c in range(100):
            p.update(c, 0, 0)
        running = out.getvalue()
    assert all(len(seg) < 80 for seg in running.split("\r"))


def test_notebook_uses_bars_on_stderr(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress_module, "_in_notebook", lambda: True)
    with ChainProgress(True, chains=2, warmup=2, draws=2) as p:  # stderr is no terminal here
        assert p.style == "bar"
        run_chains(p, 2, 2, 2)
    assert "chain 1: 100%" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# threads, stop, close, off, errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, stream", [("lines", io.StringIO), ("bar", FakeTerminal)])
def test_chains_in_threads(mode, stream):
    if mode == "bar":
        pytest.importorskip("tqdm")
    out = stream()
    chains, warmup, draws = 6, 300, 300
    counts = [0] * chains
    progress = ChainProgress(mode, chains, warmup, draws, stream=out)
    barrier = threading.Barrier(chains)

    def chain(c):
        barrier.wait()  # all at once
        progress.update(c, 0, 0)
        k = 0
        for i in range(warmup + draws):
            k += i >= warmup and i % (c + 5) == 0
            progress.update(c, i + 1, k)
        counts[c] = k

    threads = [threading.Thread(target=chain, args=(c,)) for c in range(chains)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    progress.close()
    text = out.getvalue()
    if mode == "lines":
        lines = text.splitlines()
        assert len(lines) == 9 + 1  # each 10% mark once, even when crossed by several threads
        percents = [int(line.split("%")[0].removeprefix("sample: ")) for line in lines[:-1]]
        assert percents == sorted(percents) and len(set(percents)) == 9
        assert lines[-1].startswith(f"sample: done, {chains * (warmup + draws)} iterations")
        assert f"{sum(counts)} divergences" in lines[-1]
    else:
        for c in range(chains):
            assert f"chain {c}: 100%" in text
            assert f"done, {counts[c]} divergences" in text


@pytest.mark.parametrize("mode, stream", [("lines", io.StringIO), ("bar", FakeTerminal)])
def test_no_divergences_for_kernels_without_them(mode, stream):
    if mode == "bar":
        pytest.importorskip("tqdm")
    out = stream()
    with ChainProgress(mode, 2, 5, 5, divergences=False, stream=out) as p:
        run_chains(p, 2, 5, 5)
    assert "divergence" not in out.getvalue()
    assert "it/s" in out.getvalue()


@pytest.mark.parametrize("mode", [True, False])
def test_stop_makes_update_raise(mode):
    p = ChainProgress(mode, chains=2, warmup=10, draws=10, stream=io.StringIO())
    p.update(0, 1, 0)
    p.stop.set()
    with pytest.raises(KeyboardInterrupt):
        p.update(1, 1, 0)
    p.close()


def test_stop_reaches_a_thread():
    p = ChainProgress(False, chains=1, warmup=10, draws=10)
    stopped = []

    def chain():
        try:
            while True:
                p.update(0, 1, 0)
        except KeyboardInterrupt:
            stopped.append(True)

    t = threading.Thread(target=chain)
    t.start()
    p.stop.set()
    t.join(timeout=60)
    assert stopped == [True]


def test_close_is_idempotent_and_later_updates_are_ignored():
    out = io.StringIO()
    p = ChainProgress("lines", chains=1, warmup=5, draws=5, stream=out)
    run_chains(p, 1, 5, 5)
    p.close()
    first = out.getvalue()
    assert first.count("sample: done") == 1
    p.close()
    with p:
        pass
    p.update(0, 3, 0)
    assert out.getvalue() == first


def test_close_before_any_update_prints_nothing():
    out = FakeTerminal()
    ChainProgress(True, chains=4, warmup=5, draws=5, stream=out).close()
    assert out.getvalue() == ""


@pytest.mark.parametrize("mode", [False, None])
def test_nothing_shown_when_off(mode):
    out = FakeTerminal()
    with ChainProgress(mode, chains=2, warmup=5, draws=5, stream=out) as p:
        assert not p.enabled
        run_chains(p, 2, 5, 5, divergent_every=2)
    assert out.getvalue() == ""


@pytest.mark.parametrize("mode", ["yes", "tqdm", 1, 0.5, "Lines"])
def test_bad_mode(mode):
    with pytest.raises(ValueError) as err:
        ChainProgress(mode, chains=1, warmup=1, draws=1)
    msg = str(err.value)
    assert msg.startswith("sample: progress expected True, False, 'auto', 'bar' or 'lines', got ")
    assert repr(mode) in msg


def test_a_broken_stream_stops_the_output_not_the_chains():
    out = io.StringIO()
    p = ChainProgress("lines", chains=1, warmup=5, draws=5, stream=out)
    out.close()
    run_chains(p, 1, 5, 5)  # no error
    p.close()
    assert not p.enabled


def test_sample_prints_lines_when_piped(capsys):
    import numpy as np

    import fluxion
    import fluxion.numpy as fnp

    res = fluxion.mcmc.sample(
        lambda x: -0.5 * fnp.sum(x**2),
        np.zeros(1),
        kernel="rwm",
        chains=2,
        warmup=100,
        draws=100,
        seed=0,
        progress="lines",
    )
    assert res.draws
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("sample: done, 400 iterations (2 chains x 100 warm-up + 100 draws)")
