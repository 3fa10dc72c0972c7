"""Distribution families: processes (being filled; see base.py for the rules a family follows)."""

from __future__ import annotations

__all__: list[str] = []
