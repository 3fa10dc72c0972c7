"""Tier 1's entry points: whether a graph compiles, and its kernel module written and loaded.

The choice between the two tier-1 code generators sits here, above both: whole-graph array code
(:mod:`.numba_tier`) for small problems and loops, fused elementwise-then-reduce loops
(:mod:`.fused`) for large arrays. (Kept apart from ``numba_tier`` because ``fused`` builds on
``numba_tier``'s lowerings: one module holding both sides made an import cycle.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir.graph import Graph
from . import lowering
from .cache import llvm_opt_level, load_module, write_module
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

__all__ = [
    "lowerable",
    "KernelModule",
    "compile_numba",
    "estimated_compile_seconds",
    "TIER1_ENTRY",
]

# Compile cost of straight-line array kernels (measured with numba 0.68 / LLVM on the 2-core
# development machine, cold cache; a MAF training step of 378 equations, 300 kernel lines):
# numba's front end (typing, lowering) is about linear in the lines, but LLVM's function
# passes at -O3 grow about quadratically with one function's size: 105 s at -O3, 29 s at -O1,
# 12 s at -O0 for that step, while its run time was 0.86, 0.79 and 2.7 ms per call. Array
# statements gain nothing from -O3's loop vectorizer and unrolling that -O1 lacks (each is a
# short loop over a small array, or a BLAS call), so long kernels compile at -O1.
# Loops (scans) and fused kernels keep -O3: a scan body runs many times and fused loops are
# vectorized on purpose. The sampler's kernel potential compiles its kernel at the same level
# (CompileJob.opt_level): the annotation example's value and gradient on 200 x 10 labels, a
# 354-line kernel, compiled in 46.7 s at -O3 and 26.2 s at -O1, and ran at 229 and 234 us
# per call (medians of 3 x 5 x 500 calls).
LOW_OPT_LINES = 150
TIER1_ENTRY = "tier1"  # the marker entry (cache.marker) of a kernel numba has cached


def _kernel_lines(source: str) -> int:
    return source.count("\n")


def _opt_level(graph: Graph, fused: bool, source: str) -> int:
    if fused or has_scan(graph) or _kernel_lines(source) <= LOW_OPT_LINES:
        return 3
    return 1


def estimated_compile_seconds(graph: Graph) -> float:
    """A rough cold-cache numba compile time for ``graph``'s tier-1 kernel, in seconds.

    Fitted to straight-line kernels on the 2-core development machine (about one kernel line
    per equation): half a second of fixed cost, 0.02 s per equation of numba's front end and
    the function passes' quadratic term (-O3 up to ``LOW_OPT_LINES``: 3-8 s for kernels of
    100-160 lines; -O1 past it: 29 s for 378 equations). An estimate for deciding when an
    automatic promotion pays (see ``jit``), not a promise.
    """
    n = sum(1 for _ in all_eqns(graph))
    quadratic = 1.5e-4 if n > LOW_OPT_LINES and not has_scan(graph) else 2e-4
    return 0.5 + 0.02 * n + quadratic * n * n


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
    call), ``cacheable`` (no injected globals: numba caches it on disk) and ``opt_level`` (the
    LLVM level its first compile runs at: 1 for long straight-line kernels, see
    ``LOW_OPT_LINES``).
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
        self.opt_level = _opt_level(graph, shape is not None, source)
        # Fused loops may reassociate their sums (as NumPy's pairwise sum also does): that lets
        # LLVM vectorize the reductions instead of waiting on one serial add chain per sum
        # (measured: 2.8x faster at 10^6 elements). No other fast-math flag: NaN, inf and signed
        # zeros stay IEEE. Not where the loop calls a scalar helper: LLVM inlines the helper
        # into the kernel, whose flag then reorders the helper's own arithmetic, which is
        # ordered on purpose (beta's Gamma(a) / Gamma(a + b) * Gamma(b) became
        # Gamma(a) * Gamma(b) / Gamma(a + b): inf at a = 170.5, b = 1e-8; scaled recurrences,
        # series in Horner form). A helper costs tens of operations per element, so the
        # serial sum is no longer the bottleneck there (log_ndtr, digamma: within 10%).
        helpers = lowering.scalar_prelude(source)
        fastmath = "{'reassoc'}" if shape is not None and not helpers else "False"
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
            + helpers  # the scalar helpers and vectorized formulas it calls
            # error_model="numpy": x / 0 is inf or nan as in NumPy (tier 0), not Python's
            # ZeroDivisionError (a sampler's step into sigma = 0 must give -inf, not crash)
            + f"@numba.njit(cache={cache}, fastmath={fastmath}, parallel={parallel}, nogil=True, "
            'error_model="numpy")\n'
            + source
        )
        self.module_name, self.path = write_module(f"fx_{safe}", "fluxion_numba", module_source)
        self.source, self.name, self.consts = source, safe, tuple(consts)
        self.parallel, self.injected, self.cacheable = parallel, injected, not injected


def _first_call_at(level: int, call: Callable) -> Callable:
    """``call`` whose first call (numba's compile) runs at LLVM ``-O{level}``."""
    compiled: list[bool] = []

    def first_compile_at_level(*args: Any) -> tuple:
        if compiled:
            return call(*args)
        with llvm_opt_level(level):
            outs = call(*args)
        compiled.append(True)
        return outs

    return first_compile_at_level


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

    # numba returns Python scalars for 0-d results: the wrapper restores the graph's NumPy
    # dtypes (np.float64, np.int32). A 0-d input is passed as a scalar too: numba types a 0-d
    # array and a scalar apart, and a loop feeding a kernel's 0-d output back (an optimizer's
    # step count: a 0-d array at the first call, np.int32 after) compiled the kernel twice
    # (measured: 2 x 105 s for a MAF training step).
    zero_d = tuple(i for i, v in enumerate(graph.in_vars) if v.aval.ndim == 0)

    def call(*args: Any) -> tuple:
        if zero_d:
            args = list(args)
            for i in zero_d:
                if type(args[i]) is np.ndarray:
                    args[i] = args[i][()]
        outs = kernel(*args, *const_args)
        return tuple(o if t is None else t(o) for o, t in zip(outs, out_dtypes))

    # the first call compiles: at the kernel's LLVM level
    fn = call if written.opt_level == 3 else _first_call_at(written.opt_level, call)
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
