"""Distribution families: multivariate (being filled; see base.py for the rules)."""

from __future__ import annotations

__all__: list[str] = []
