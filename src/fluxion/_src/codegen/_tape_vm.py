"""The tape machine: a model's value-and-gradient graph run by one compiled interpreter.

This file is numba source, loaded like ``_nuts_core.py`` from a copy in ``config.cache_dir``
(``tape.py`` writes the copy; the line importing ``as_voidptr`` names the core's module there).
It is compiled once per machine, whatever the model: a new model costs an encoding of its graph
(``tape.encode``, milliseconds) instead of numba compiling a kernel for it (0.5 s to 10 s).

``potential`` has the signature of the compiled NUTS core's model function::

    double potential(double *q, double *grad_out, void *context)

The context is an int64 header (``tape.HEADER``): the addresses of the instructions, of the
chain's memory (one float64 array holding inputs, constants and every intermediate, each
C-contiguous at its own offset) and of the index maps (int64 positions of gathers, scatters and
reductions, computed when the graph is encoded), then the offsets of ``q``, the value and the
gradient. Each instruction is ``WIDTH`` int64 words: the opcode, then its operands (offsets in
memory, sizes, offsets in the index maps); elementwise operands carry a stride of 0 (a scalar
broadcast) or 1. Everything else about shapes was settled by the encoder, so the machine only
runs flat loops.
"""
# ruff: noqa: F401  (the import of as_voidptr is rewritten by the loader)

import math

import numba
import numpy as np
from fluxion_nutscore_CORE import as_voidptr
from numba import types

from fluxion._src.codegen.linalg_kernels import cholesky_into, sum8, triangular_solve_into
from fluxion._src.codegen.tape import (
    BINARY,
    HEADER,
    MAX_LOOP_DEPTH,
    OPCODES,
    REDUCTIONS,
    UNARY,
    WIDTH,
)

_JIT = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}
BLAS_MIN_WORK = 512  # multiply-adds from which a matmul calls BLAS

OP_UNARY = OPCODES.index("unary")
OP_BINARY = OPCODES.index("binary")
OP_WHERE = OPCODES.index("where")
OP_GATHER = OPCODES.index("gather")
OP_PUT = OPCODES.index("put")
OP_FILL = OPCODES.index("fill")
OP_SCATTER_ADD = OPCODES.index("scatter_add")
OP_REDUCE = OPCODES.index("reduce")
OP_MATMUL = OPCODES.index("matmul")
OP_CUMSUM = OPCODES.index("cumsum")
OP_COPY = OPCODES.index("copy")
OP_SOLVE = OPCODES.index("solve")
OP_INV = OPCODES.index("inv")
OP_SLOGDET = OPCODES.index("slogdet")
OP_CHOLESKY = OPCODES.index("cholesky")
OP_TRSOLVE = OPCODES.index("trsolve")
OP_DOT = OPCODES.index("dot")
OP_LOOP = OPCODES.index("loop")
OP_ENDLOOP = OPCODES.index("endloop")
OP_SLICE = OPCODES.index("slice")
OP_TERNARY = OPCODES.index("ternary")

H_CODE, H_NCODE, H_MEM, H_NMEM, H_MAPS, H_NMAPS, H_Q, H_DIM, H_VALUE, H_GRAD = (
    HEADER.index(k)
    for k in ("code", "n_code", "mem", "n_mem", "maps", "n_maps", "q", "dim", "value", "grad")
)

# the opcodes run_tape gives loops of their own (no call per element)
U_EXP = UNARY.index("exp")
U_LOG = UNARY.index("log")
U_NEGATIVE = UNARY.index("negative")
B_ADD = BINARY.index("add")
B_SUBTRACT = BINARY.index("subtract")
B_MULTIPLY = BINARY.index("multiply")
B_DIVIDE = BINARY.index("true_divide")

R_SUM = REDUCTIONS.index("sum")
R_PROD = REDUCTIONS.index("prod")
R_MAX = REDUCTIONS.index("max")
R_MIN = REDUCTIONS.index("min")

# _unary(fn, x), _binary(fn, x, y) and _ternary(fn, x, y, z), NumPy's and SciPy's elementwise
# functions on float64: one branch per opcode, generated from each primitive's scalar formula
# (the lowering table) by tape.machine_job, which puts them in place of the next line.
from fluxion_tapevm_DISPATCH import _binary, _ternary, _unary  # noqa: E402


@numba.njit(**_JIT)
def _arith_vv(fn, o, a, c):
    """``o = a (fn) c`` for the four arithmetic operators on contiguous views of one length.
    Loops over views (not offsets into the memory with run-time strides) are what LLVM
    vectorizes: 2-4x faster per element than the strided loops below."""
    if fn == B_ADD:
        for i in range(o.size):
            o[i] = a[i] + c[i]
    elif fn == B_MULTIPLY:
        for i in range(o.size):
            o[i] = a[i] * c[i]
    elif fn == B_SUBTRACT:
        for i in range(o.size):
            o[i] = a[i] - c[i]
    else:
        for i in range(o.size):
            o[i] = a[i] / c[i]


@numba.njit(**_JIT)
def _arith_sv(fn, o, s, c, s_first):
    """``o = s (fn) c`` (``s_first``) or ``o = c (fn) s``: a scalar and a contiguous view."""
    if fn == B_ADD:
        for i in range(o.size):
            o[i] = s + c[i] if s_first else c[i] + s
    elif fn == B_MULTIPLY:
        for i in range(o.size):
            o[i] = s * c[i] if s_first else c[i] * s
    elif fn == B_SUBTRACT:
        if s_first:
            for i in range(o.size):
                o[i] = s - c[i]
        else:
            for i in range(o.size):
                o[i] = c[i] - s
    elif s_first:
        for i in range(o.size):
            o[i] = s / c[i]
    else:
        for i in range(o.size):
            o[i] = c[i] / s


@numba.njit(**_JIT)
def _lu(mem, a, n, lu, piv):
    """LU factorization with partial pivoting (as LAPACK's getrf) of the ``n x n`` matrix at
    ``mem[a:]`` into ``mem[lu:]`` (unit lower and upper triangles) and the row order into
    ``mem[piv:]``. Returns (False, parity) on an exactly zero pivot (a singular matrix)."""
    for i in range(n * n):
        mem[lu + i] = mem[a + i]
    for i in range(n):
        mem[piv + i] = i
    parity = 1.0
    for k in range(n):
        best, row = abs(mem[lu + k * n + k]), k
        for i in range(k + 1, n):
            v = abs(mem[lu + i * n + k])
            if v > best:
                best, row = v, i
        if best == 0.0 or best != best:
            return False, parity
        if row != k:
            parity = -parity
            for j in range(n):
                t = mem[lu + k * n + j]
                mem[lu + k * n + j] = mem[lu + row * n + j]
                mem[lu + row * n + j] = t
            t = mem[piv + k]
            mem[piv + k] = mem[piv + row]
            mem[piv + row] = t
        pivot = mem[lu + k * n + k]
        for i in range(k + 1, n):
            f = mem[lu + i * n + k] / pivot
            mem[lu + i * n + k] = f
            if f != 0.0:
                for j in range(k + 1, n):
                    mem[lu + i * n + j] -= f * mem[lu + k * n + j]
    return True, parity


@numba.njit(**_JIT)
def _lu_solve(mem, lu, piv, n, b, nrhs, out, b_identity):
    """``out = A^-1 B`` from A's LU factors; B is ``n x nrhs`` at ``mem[b:]`` (C order), or
    the identity when ``b_identity``."""
    for c in range(nrhs):
        # forward substitution L y = P b (y written into out's column c)
        for i in range(n):
            r = int(mem[piv + i])
            s = (1.0 if r == c else 0.0) if b_identity else mem[b + r * nrhs + c]
            for j in range(i):
                s -= mem[lu + i * n + j] * mem[out + j * nrhs + c]
            mem[out + i * nrhs + c] = s
        # back substitution U x = y
        for i in range(n - 1, -1, -1):
            s = mem[out + i * nrhs + c]
            for j in range(i + 1, n):
                s -= mem[lu + i * n + j] * mem[out + j * nrhs + c]
            mem[out + i * nrhs + c] = s / mem[lu + i * n + i]


@numba.njit(**_JIT)
def _matmul(mem, out, x, y, mm, kk, nn, ta, tb):
    """``out = A @ B`` by BLAS: numba's ``np.dot`` on C-contiguous views of the memory calls
    gemv/gemm (through SciPy's BLAS); ``ta``/``tb`` say that A (B) is stored as its transpose,
    a C matrix (K, M) ((N, K)), which BLAS reads transposed in place. One branch per layout, so
    every ``np.dot`` sees arrays of one static layout."""
    if mm * kk * nn < BLAS_MIN_WORK:
        # small products: a BLAS call costs ~0.5-1 us of overhead, these loops ~1 ns per
        # multiply-add (measured crossover near 10 x 10 @ 10)
        a_row, a_col = (1, mm) if ta else (kk, 1)  # A[i, p] = mem[x + i*a_row + p*a_col]
        b_row, b_col = (1, kk) if tb else (nn, 1)  # B[p, j] = mem[y + p*b_row + j*b_col]
        for i in range(mm):
            for j in range(nn):
                acc = 0.0
                for p in range(kk):
                    acc += mem[x + i * a_row + p * a_col] * mem[y + p * b_row + j * b_col]
                mem[out + i * nn + j] = acc
        return
    a = mem[x : x + mm * kk]
    b = mem[y : y + kk * nn]
    o = mem[out : out + mm * nn]
    if mm == 1 and nn == 1:  # vector . vector
        o[0] = np.dot(a, b)
    elif nn == 1:  # matrix @ vector
        if ta:
            np.dot(a.reshape((kk, mm)).T, b, o)
        else:
            np.dot(a.reshape((mm, kk)), b, o)
    elif mm == 1:  # vector @ matrix = B^T a
        if tb:
            np.dot(b.reshape((nn, kk)), a, o)
        else:
            np.dot(a, b.reshape((kk, nn)), o)
    else:
        o2 = o.reshape((mm, nn))
        if ta and tb:
            np.dot(a.reshape((kk, mm)).T, b.reshape((nn, kk)).T, o2)
        elif ta:
            np.dot(a.reshape((kk, mm)).T, b.reshape((kk, nn)), o2)
        elif tb:
            np.dot(a.reshape((mm, kk)), b.reshape((nn, kk)).T, o2)
        else:
            np.dot(a.reshape((mm, kk)), b.reshape((kk, nn)), o2)


@numba.njit(**_JIT)
def run_tape(code, n_code, mem, maps):
    """Run the ``n_code`` instructions; False if a linear solve met a singular matrix (NumPy
    raises there; the potential then returns NaN and NUTS rejects the point).

    Instructions run in order, except that ``endloop`` jumps back to its ``loop``'s first body
    instruction until the loop has run ``length`` times (``counters``: each nesting level's
    iteration)."""
    counters = np.zeros(MAX_LOOP_DEPTH, dtype=np.int64)
    k = -1
    while k + 1 < n_code:
        k += 1  # here, not at the end: the branches below may ``continue``
        b = k * WIDTH
        op = code[b]
        if op == OP_BINARY:
            fn, out, x, sx, y, sy, n = (
                code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5], code[b + 6],
                code[b + 7],
            )
            # the four arithmetic operators get loops of their own: no call per element;
            # contiguous operands (stride 1) or a scalar (stride 0) loop over views
            arith = fn == B_ADD or fn == B_MULTIPLY or fn == B_SUBTRACT or fn == B_DIVIDE
            if n == 1:  # scalars (a loop body's recursion): no views, no loop
                xv, yv = mem[x], mem[y]
                if fn == B_ADD:
                    mem[out] = xv + yv
                elif fn == B_MULTIPLY:
                    mem[out] = xv * yv
                elif fn == B_SUBTRACT:
                    mem[out] = xv - yv
                elif fn == B_DIVIDE:
                    mem[out] = xv / yv
                else:
                    mem[out] = _binary(fn, xv, yv)
            elif arith and sx == 1 and sy == 1:
                _arith_vv(fn, mem[out : out + n], mem[x : x + n], mem[y : y + n])
            elif arith and sx == 0 and sy == 1:
                _arith_sv(fn, mem[out : out + n], mem[x], mem[y : y + n], True)
            elif arith and sx == 1 and sy == 0:
                _arith_sv(fn, mem[out : out + n], mem[y], mem[x : x + n], False)
            elif fn == B_ADD:
                for i in range(n):
                    mem[out + i] = mem[x + i * sx] + mem[y + i * sy]
            elif fn == B_MULTIPLY:
                for i in range(n):
                    mem[out + i] = mem[x + i * sx] * mem[y + i * sy]
            elif fn == B_SUBTRACT:
                for i in range(n):
                    mem[out + i] = mem[x + i * sx] - mem[y + i * sy]
            elif fn == B_DIVIDE:
                for i in range(n):
                    mem[out + i] = mem[x + i * sx] / mem[y + i * sy]
            else:
                for i in range(n):
                    mem[out + i] = _binary(fn, mem[x + i * sx], mem[y + i * sy])
        elif op == OP_UNARY:
            fn, out, x, n = code[b + 1], code[b + 2], code[b + 3], code[b + 4]
            if fn == U_EXP:
                for i in range(n):
                    mem[out + i] = math.exp(mem[x + i])
            elif fn == U_NEGATIVE:
                for i in range(n):
                    mem[out + i] = -mem[x + i]
            elif fn == U_LOG:
                for i in range(n):
                    mem[out + i] = np.log(mem[x + i])
            else:
                for i in range(n):
                    mem[out + i] = _unary(fn, mem[x + i])
        elif op == OP_REDUCE:
            kind, out, x, m, n_in, n_out = (
                code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5], code[b + 6]
            )
            init = 0.0
            if kind == R_PROD:
                init = 1.0
            elif kind == R_MAX:
                init = -np.inf
            elif kind == R_MIN:
                init = np.inf
            if kind == R_SUM and m < 0:  # a full sum: the common case
                mem[out] = sum8(mem[x : x + n_in], mem[x : x + n_in], False)
                continue
            for j in range(n_out):
                mem[out + j] = init
            for i in range(n_in):
                j = out + (maps[m + i] if m >= 0 else 0)
                v = mem[x + i]
                if kind == R_SUM:
                    mem[j] += v
                elif kind == R_PROD:
                    mem[j] *= v
                elif kind == R_MAX:  # NaN propagates, as np.max
                    if v > mem[j] or v != v:
                        mem[j] = v if mem[j] == mem[j] else mem[j]
                elif v < mem[j] or v != v:
                    mem[j] = v if mem[j] == mem[j] else mem[j]
        elif op == OP_DOT:  # sum(x * y) of contiguous operands, one pass
            out, x, y, n = code[b + 1], code[b + 2], code[b + 3], code[b + 4]
            mem[out] = sum8(mem[x : x + n], mem[y : y + n], True)
        elif op == OP_GATHER:
            out, x, m, n = code[b + 1], code[b + 2], code[b + 3], code[b + 4]
            for i in range(n):
                mem[out + i] = mem[x + maps[m + i]]
        elif op == OP_SCATTER_ADD:
            out, x, m, n = code[b + 1], code[b + 2], code[b + 3], code[b + 4]
            for i in range(n):
                mem[out + maps[m + i]] += mem[x + i]
        elif op == OP_PUT:
            out, x, m, n = code[b + 1], code[b + 2], code[b + 3], code[b + 4]
            for i in range(n):
                mem[out + maps[m + i]] = mem[x + i]
        elif op == OP_FILL:
            out, src, n = code[b + 1], code[b + 2], code[b + 3]
            v = mem[src]
            for i in range(n):
                mem[out + i] = v
        elif op == OP_COPY:
            out, x, n = code[b + 1], code[b + 2], code[b + 3]
            for i in range(n):
                mem[out + i] = mem[x + i]
        elif op == OP_SLICE:  # step t of a stacked array, out of it (into == 0) or into it
            out, x, n, level, length, reverse, into = (
                code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5], code[b + 6],
                code[b + 7],
            )
            t = counters[level]
            if reverse:
                t = length - 1 - t
            if into:
                for i in range(n):
                    mem[out + t * n + i] = mem[x + i]
            else:
                for i in range(n):
                    mem[out + i] = mem[x + t * n + i]
        elif op == OP_LOOP:  # level, length, the instruction after the matching endloop
            counters[code[b + 1]] = 0
            if code[b + 2] <= 0:
                k = code[b + 3] - 1
        elif op == OP_ENDLOOP:  # level, the loop's first body instruction, length
            level = code[b + 1]
            counters[level] += 1
            if counters[level] < code[b + 3]:
                k = code[b + 2] - 1
        elif op == OP_WHERE:
            out, c, sc, x, sx, y, sy, n = (
                code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5], code[b + 6],
                code[b + 7], code[b + 8],
            )
            for i in range(n):
                mem[out + i] = mem[x + i * sx] if mem[c + i * sc] != 0.0 else mem[y + i * sy]
        elif op == OP_TERNARY:  # betainc(a, b, x) and the like: three operands, stride 0 or 1
            fn, out, x, sx, y, sy, z, sz, n = (
                code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5], code[b + 6],
                code[b + 7], code[b + 8], code[b + 9],
            )
            for i in range(n):
                mem[out + i] = _ternary(fn, mem[x + i * sx], mem[y + i * sy], mem[z + i * sz])
        elif op == OP_MATMUL:  # (M, K) @ (K, N); ta/tb: an operand stored transposed
            _matmul(
                mem, code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5],
                code[b + 6], code[b + 7], code[b + 8],
            )
        elif op == OP_CUMSUM:  # running sums, or products (cumprod) when flagged, along rows
            out, x, n = code[b + 1], code[b + 2], code[b + 3]
            product, row = code[b + 4], code[b + 5]
            for r in range(0, n, row):
                s = 1.0 if product else 0.0
                for i in range(r, r + row):
                    s = s * mem[x + i] if product else s + mem[x + i]
                    mem[out + i] = s
        elif op == OP_SOLVE or op == OP_INV:
            out, a, y, n, nrhs, scratch = (
                code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5], code[b + 6]
            )
            ok, _ = _lu(mem, a, n, scratch, scratch + n * n)
            if not ok:
                return False
            _lu_solve(mem, scratch, scratch + n * n, n, y, nrhs, out, op == OP_INV)
        elif op == OP_SLOGDET:
            sign_out, logdet_out, a, n, scratch = (
                code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5]
            )
            ok, parity = _lu(mem, a, n, scratch, scratch + n * n)
            if not ok:  # NumPy: sign 0, log|det| -inf for a singular matrix
                mem[sign_out] = 0.0
                mem[logdet_out] = -np.inf
                continue
            total = 0.0
            for i in range(n):
                d = mem[scratch + i * n + i]
                if d < 0.0:
                    parity = -parity
                total += math.log(abs(d))
            mem[sign_out] = parity
            mem[logdet_out] = total
        elif op == OP_CHOLESKY:  # a stack of lower factors; NaN where not positive definite
            out, a, n, count = code[b + 1], code[b + 2], code[b + 3], code[b + 4]
            for m in range(count):
                cholesky_into(mem, a + m * n * n, mem, out + m * n * n, n)
        elif op == OP_TRSOLVE:  # op(A)^-1 B over a stack; flags: lower | trans << 1 | unit << 2
            out, a, y, n, nrhs, count, flags = (
                code[b + 1], code[b + 2], code[b + 3], code[b + 4], code[b + 5], code[b + 6],
                code[b + 7],
            )
            for m in range(count):
                triangular_solve_into(
                    mem, a + m * n * n, mem, y + m * n * nrhs, mem, out + m * n * nrhs, n, nrhs,
                    (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0,
                )
    return True


@numba.njit(**_JIT)
def evaluate(code, n_code, mem, maps):
    """``run_tape`` called from Python (``tape.run``: tests and debugging)."""
    return run_tape(code, n_code, mem, maps)


_SIG = types.float64(types.CPointer(types.float64), types.CPointer(types.float64), types.voidptr)


@numba.cfunc(_SIG, cache=True, error_model="numpy")
def potential(q_ptr, g_ptr, ctx):
    """The model's log density at ``q`` and its gradient, by running the tape in ``ctx``."""
    head = numba.carray(ctx, (len(HEADER),), np.int64)
    code = numba.carray(as_voidptr(head[H_CODE]), (head[H_NCODE] * WIDTH,), np.int64)
    mem = numba.carray(as_voidptr(head[H_MEM]), (head[H_NMEM],), np.float64)
    maps = numba.carray(as_voidptr(head[H_MAPS]), (head[H_NMAPS],), np.int64)
    q, dim = head[H_Q], head[H_DIM]
    for i in range(dim):
        mem[q + i] = q_ptr[i]
    if not run_tape(code, head[H_NCODE], mem, maps):
        return np.nan
    grad = head[H_GRAD]
    for i in range(dim):
        g_ptr[i] = mem[grad + i]
    return mem[head[H_VALUE]]
