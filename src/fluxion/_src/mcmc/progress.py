"""Placeholder progress reporter (replaced by the tqdm-based one)."""

from __future__ import annotations

import threading
from typing import Any


class ChainProgress:
    def __init__(self, mode: Any, chains: int, warmup: int, draws: int, *, desc: str = "sample",
                 stream: Any = None) -> None:
        self.enabled = False
        self.stop = threading.Event()

    def update(self, chain: int, done: int, divergences: int) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt

    def close(self) -> None:
        pass

    def __enter__(self) -> ChainProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
