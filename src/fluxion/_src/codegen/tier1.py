"""Tier 1's entry points: whether a graph compiles, and its kernel module written and loaded.

The choice between the two tier-1 code generators sits here, above both: whole-graph array code
(:mod:`.numba_tier`) for small problems and loops, fused elementwise-then-reduce loops
(:mod:`.fused`) for large arrays. (Kept apart from ``numba_tier`` because ``fused`` builds on
``numba_tier``'s lowerings: one module holding both sides made an import cycle.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir.graph import Graph
from . import lowering
from .cache import load_module, write_module
from .fused import generate_fused, loop_shape
from .numba_tier import (
    PARALLEL_MIN_SIZE,
    NumbaCode,
    _largest,
    _missing,
    _user_lowering,
    all_eqns,
    blas_bound,
    generate_numba,
    has_scan,
    linalg_prelude,
)

__all__ = ["lowerable", "KernelModule", "compile_numba"]


def lowerable(graph: Graph) -> list[str]:
    """Why ``graph`` cannot be compiled to tier 1 (empty list: it can).

    Small graphs need a numba lowering for every equation. Graphs with large arrays (10^5
    elements or more) must also fuse into loops (see :mod:`.fused`): as separate array
    operations in numba they would be slower than tier 0 (NumPy's SIMD transcendental loops
    beat numba's). Two exceptions: graphs with loops (a scan runs far faster in numba), and
    graphs whose large arrays meet only BLAS products and plain arithmetic (see
    ``blas_bound``).
    """
    large = _largest(graph) >= PARALLEL_MIN_SIZE
    if large and not has_scan(graph) and not blas_bound(graph) and loop_shape(graph) is None:
        return ["large arrays outside fusable elementwise/reduction clusters"]
    return sorted(set(_missing(graph)))



class KernelModule:
    """A graph's tier-1 kernel written to its file in the cache directory, not yet imported.

    Attributes: ``source`` (the kernel function), ``module_name`` and ``path``, ``name`` (the
    function's name in the module), ``consts`` (array constants passed after the inputs),
    ``parallel``, ``injected`` (user primitives' globals the module needs before its first
    call) and ``cacheable`` (no injected globals: numba caches it on disk).
    """

    def __init__(self, graph: Graph, name: str = "f") -> None:
        missing = lowerable(graph)
        if missing:
            raise NotImplementedError(f"no numba lowering for: {', '.join(missing)}")
        import numba

        safe = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "f"
        del numba  # imported above only to fail early, with a clear ImportError, when missing
        shape = None if has_scan(graph) else loop_shape(graph)  # fused loops take no scan
        if shape is not None:  # one pass over memory per stage (see fused.py)
            source, consts = generate_fused(graph, safe, shape)
        else:
            source, consts = generate_numba(graph, safe)
        parallel = "numba.prange" in source
        # Fused loops may reassociate their sums (as NumPy's pairwise sum also does): that lets
        # LLVM vectorize the reductions instead of waiting on one serial add chain per sum
        # (measured: 2.8x faster at 10^6 elements). No other fast-math flag: NaN, inf and signed
        # zeros stay IEEE.
        fastmath = "{'reassoc'}" if shape is not None else "False"
        # User primitives' globals (ctypes pointers, njit functions): numba cannot cache a
        # pointer on disk, and a cached kernel would not notice a changed user function, so such
        # kernels are compiled per process (cache=False) -- slower to start, never wrong.
        injected: dict[str, Any] = {}
        for eqn in all_eqns(graph):
            user = _user_lowering(eqn)
            if user is not None:
                injected.update(user.get("globals", {}))
        cache = "False" if injected else "True"
        if injected:  # the loops' bodies too
            source = source.replace("numba.njit(nogil=True, cache=True,", "numba.njit(nogil=True,")
        module_source = (
            "import math\n\nimport numpy as np\nimport numba\n"
            "from fluxion._src.jit import GuardFailure\n\n\n"
            + linalg_prelude(source)  # the Cholesky / triangular-solve kernels it calls
            + lowering.scalar_prelude(source)  # helpers and vectorized formulas it calls
            # error_model="numpy": x / 0 is inf or nan as in NumPy (tier 0), not Python's
            # ZeroDivisionError (a sampler's step into sigma = 0 must give -inf, not crash)
            + f"@numba.njit(cache={cache}, fastmath={fastmath}, parallel={parallel}, nogil=True, "
            'error_model="numpy")\n'
            + source
        )
        self.module_name, self.path = write_module(f"fx_{safe}", "fluxion_numba", module_source)
        self.source, self.name, self.consts = source, safe, tuple(consts)
        self.parallel, self.injected, self.cacheable = parallel, injected, not injected


def compile_numba(graph: Graph, name: str = "f") -> NumbaCode:
    """Generate, write and numba-compile ``graph`` (blocking). Raises if not lowerable."""
    written = KernelModule(graph, name)
    module = load_module(written.module_name, written.path)
    module.__dict__.update(written.injected)  # before the first call: numba resolves globals
    kernel = getattr(module, written.name)
    out_dtypes = [o.aval.dtype.type if o.aval.ndim == 0 else None for o in graph.outs]
    # C-ordered constants, made once: a constant that is a view (``X.T`` folded by the
    # optimizer) would otherwise be copied by ``np.ascontiguousarray`` on every call
    const_args = tuple(
        np.ascontiguousarray(c) if isinstance(c, np.ndarray) and c.ndim > 1 else c
        for c in written.consts
    )

    def fn(*args: Any) -> tuple:
        outs = kernel(*args, *const_args)
        # numba returns Python scalars for 0-d results: restore the graph's NumPy dtypes
        return tuple(o if t is None else t(o) for o, t in zip(outs, out_dtypes))

    return NumbaCode(
        written.source,
        kernel,
        fn,
        written.path,
        written.parallel,
        written.module_name,
        written.name,
        const_args,
        cacheable=written.cacheable,
    )
