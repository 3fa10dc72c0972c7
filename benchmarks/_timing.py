"""The timing rule the benchmark scripts share (import it as ``from _timing import ...``: the
scripts run as ``python benchmarks/<name>.py``, so this folder is on ``sys.path``)."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def median_per_call(fn: Callable[[], object], repeats: int, target: float) -> float:
    """Median seconds per call of ``fn``: two warm-up calls (compiles, caches), then
    ``repeats`` loops of about ``target`` seconds each, with the garbage collector paused so a
    collection does not land inside one loop."""
    fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    loops = max(1, int(target / once))
    samples = []
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(loops):
                fn()
            samples.append((time.perf_counter() - t0) / loops)
    finally:
        gc.enable()
    return statistics.median(samples)
