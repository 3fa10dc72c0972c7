"""``fluxion.lax``: structured control flow (cond, switch, select, while_loop, fori_loop, scan)."""

from fluxion._src.lax import cond as cond
from fluxion._src.lax import fori_loop as fori_loop
from fluxion._src.lax import scan as scan
from fluxion._src.lax import select as select
from fluxion._src.lax import switch as switch
from fluxion._src.lax import while_loop as while_loop

__all__ = ["cond", "fori_loop", "scan", "select", "switch", "while_loop"]
