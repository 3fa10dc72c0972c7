"""numba kernels for the Cholesky factorization, triangular solves and sums (tier 1 and the
tape).

Both compiled backends share these: the kernels work on flat float64 buffers at offsets (the
tape machine's memory, or a tier-1 array's ``ravel()``), one matrix at a time, and the
``*_nd`` wrappers run them over the leading (batch) dimensions of arrays for tier 1.

* :func:`cholesky_into` -- the lower factor ``L`` of ``A = L L^T``, reading only the lower
  triangle of ``A`` (as ``numpy.linalg.cholesky``). A matrix that is not positive definite
  (or holds a NaN) gives a factor of NaNs instead of an exception: compiled code cannot raise
  into a sampler, and a NaN log density makes NUTS reject the step. Small matrices run the
  Cholesky-Banachiewicz loops; from ``LAPACK_MIN_N`` on, LAPACK's ``potrf`` through numba's
  ``np.linalg.cholesky``.
* :func:`triangular_solve_into` -- ``op(A) X = B`` with ``op(A) = A`` or ``A^T``, ``A`` lower
  or upper triangular (only that triangle read), optionally with a unit diagonal; ``B`` is
  ``n x k``. Forward or back substitution, row by row, whose inner loop runs along the ``k``
  right-hand sides (contiguous, vectorized by LLVM).
* :func:`sum8` -- ``sum(a)`` or ``sum(a * c)`` in NumPy's pairwise order (eight interleaved
  partial sums per block, vectorized; NumPy's bits); :func:`sum_nd` and :func:`dot_nd` take
  arrays of any shape for tier 1.

References
----------
G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., 2013: Algorithm 4.2.1
(the Cholesky recurrences ``L_jj = sqrt(A_jj - sum_p L_jp^2)``, ``L_ij = (A_ij - sum_p L_ip
L_jp) / L_jj``) and Algorithms 3.1.1-3.1.2 (row-oriented forward and back substitution).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "LAPACK_MIN_N",
    "cholesky_into",
    "triangular_solve_into",
    "cholesky_nd",
    "triangular_solve_nd",
    "sum8",
    "sum_nd",
    "dot_nd",
]

_JIT = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}

# From this order on, the factorization calls LAPACK (measured: the loops win below ~24)
LAPACK_MIN_N = 24
# Triangular solves with many right-hand sides run in blocks of this many rows (see
# triangular_solve_into)
TRSM_BLOCK = 16
TRSM_MIN_RHS = 8


@numba.njit(**_JIT)
def _cholesky_loops(src, s, dst, d, n):
    # Cholesky-Banachiewicz, row by row: L_ij = (A_ij - sum_{p<j} L_ip L_jp) / L_jj,
    # L_ii = sqrt(A_ii - sum_{p<i} L_ip^2); both sums run along contiguous rows of L
    for i in range(n):
        row = d + i * n
        for j in range(i + 1):
            acc = src[s + i * n + j]
            other = d + j * n
            for p in range(j):
                acc -= dst[row + p] * dst[other + p]
            if i == j:
                if not acc > 0.0:  # not positive definite, or NaN
                    return False
                dst[row + i] = math.sqrt(acc)
            else:
                dst[row + j] = acc / dst[other + j]
        for j in range(i + 1, n):
            dst[row + j] = 0.0
    return True


@numba.njit(**_JIT)
def cholesky_into(src, s, dst, d, n):
    """The lower Cholesky factor of one matrix, NaNs where it does not exist.

    Parameters
    ----------
    src : ndarray of float64, shape (m,)
        Holds ``A`` (C order, ``n x n``) at ``src[s : s + n * n]``; only its lower triangle is
        read.
    s : int
    dst : ndarray of float64, shape (m2,)
        Receives ``L`` (C order, zeros above the diagonal) at ``dst[d : d + n * n]``; must not
        overlap ``A`` unless ``dst is src and d == s``.
    d, n : int

    Returns
    -------
    bool
        False if ``A`` is not (numerically) positive definite or holds a NaN; ``L`` is then
        all NaN.
    """
    ok = True
    if n >= LAPACK_MIN_N:
        a = src[s : s + n * n].reshape((n, n))
        try:
            chol = np.linalg.cholesky(a)  # LAPACK potrf on a copy
            out = dst[d : d + n * n]
            flat = chol.ravel()
            for i in range(n * n):
                out[i] = flat[i]
            for i in range(n):  # LAPACK lets a NaN through: a NaN pivot fails, as in the loops
                if not out[i * (n + 1)] > 0.0:
                    ok = False
        except Exception:  # noqa: BLE001  (numba raises LinAlgError: not positive definite)
            ok = False
    else:
        ok = _cholesky_loops(src, s, dst, d, n)
    if not ok:
        for i in range(n * n):
            dst[d + i] = np.nan
    return ok


@numba.njit(**_JIT)
def _substitute(a, ao, out, oo, n, k, r_stride, c_stride, forward, unit, i0, i1):
    # rows i0..i1 of X, given the rows already solved outside the block subtracted:
    # x_i = (x_i - sum_j op(A)_ij x_j) / op(A)_ii over the block's solved rows j
    for step in range(i1 - i0):
        i = i0 + step if forward else i1 - 1 - step
        xi = oo + i * k
        if forward:
            lo, hi = i0, i
        else:
            lo, hi = i + 1, i1
        if k >= 8:
            # row views: numba then emits vector loops over the right-hand sides (indexing
            # `out` twice in one loop, LLVM cannot rule out an overlap and keeps it scalar);
            # a view per row costs more than it saves for a few right-hand sides
            row_i = out[xi : xi + k]
            for j in range(lo, hi):
                aij = a[ao + i * r_stride + j * c_stride]
                if aij != 0.0:
                    row_j = out[oo + j * k : oo + j * k + k]
                    for c in range(k):
                        row_i[c] -= aij * row_j[c]
        else:
            for j in range(lo, hi):
                aij = a[ao + i * r_stride + j * c_stride]
                if aij != 0.0:
                    xj = oo + j * k
                    for c in range(k):
                        out[xi + c] -= aij * out[xj + c]
        if not unit:
            inv = 1.0 / a[ao + i * (n + 1)]
            for c in range(k):
                out[xi + c] *= inv


@numba.njit(**_JIT)
def triangular_solve_into(a, ao, b, bo, out, oo, n, k, lower, trans, unit):
    """``X = op(A)^-1 B`` for one triangular ``A`` (``op(A) = A^T`` when ``trans``).

    Parameters
    ----------
    a : ndarray of float64
        ``A`` (C order, ``n x n``) at ``a[ao:]``; only its lower (``lower``) or upper triangle
        is read, and not its diagonal when ``unit`` (taken as ones).
    ao : int
    b : ndarray of float64
        ``B`` (C order, ``n x k``) at ``b[bo:]``.
    bo : int
    out : ndarray of float64
        Receives ``X`` (C order, ``n x k``) at ``out[oo:]``; may be ``B`` itself (same buffer
        and offset), not another overlap of ``A`` or ``B``.
    oo, n, k : int
    lower, trans, unit : bool

    Notes
    -----
    Blocked (LAPACK's ``trsm`` scheme) once there are ``TRSM_MIN_RHS`` right-hand sides or
    more and ``n > TRSM_BLOCK``: for each block of ``TRSM_BLOCK`` rows, the rows already
    solved are subtracted by one matrix product (BLAS ``gemm`` through ``np.dot``:
    ``X_blk -= op(A)_blk,solved X_solved``), then the block is solved by substitution. A
    zero on the diagonal gives infinities and NaNs (IEEE division), where SciPy's
    ``solve_triangular`` raises; compiled code does not raise.
    """
    # op(A)_ij = A_ji when trans; op(A) is lower triangular when lower != trans
    if trans:
        r_stride, c_stride = 1, n
    else:
        r_stride, c_stride = n, 1
    forward = lower != trans
    if not (out is b and oo == bo):
        for i in range(n * k):
            out[oo + i] = b[bo + i]
    nb = TRSM_BLOCK if (k >= TRSM_MIN_RHS and n > TRSM_BLOCK) else max(n, 1)
    for q in range((n + nb - 1) // nb):
        if forward:
            i0 = q * nb
            i1 = min(i0 + nb, n)
            c0, c1 = 0, i0
        else:
            i1 = n - q * nb
            i0 = max(i1 - nb, 0)
            c0, c1 = i1, n
        if c1 > c0:
            blk = np.empty((i1 - i0, c1 - c0))
            for r in range(i0, i1):
                for c in range(c0, c1):
                    blk[r - i0, c - c0] = a[ao + r * r_stride + c * c_stride]
            solved = out[oo + c0 * k : oo + c1 * k].reshape((c1 - c0, k))
            update = np.dot(blk, solved).ravel()
            for t in range((i1 - i0) * k):
                out[oo + i0 * k + t] -= update[t]
        _substitute(a, ao, out, oo, n, k, r_stride, c_stride, forward, unit, i0, i1)


@numba.njit(**_JIT)
def cholesky_nd(a):
    """The lower Cholesky factors of a stack of matrices (tier 1).

    Parameters
    ----------
    a : ndarray of float64, shape (..., n, n)

    Returns
    -------
    ndarray of float64, shape (..., n, n)
        ``L`` with ``A = L L^T`` per matrix; all NaN for a matrix that is not positive definite.
    """
    n = a.shape[-1]
    src = np.ascontiguousarray(a).ravel()
    flat = np.empty(src.size, dtype=np.float64)
    for m in range(src.size // max(n * n, 1)):
        cholesky_into(src, m * n * n, flat, m * n * n, n)
    return flat.reshape(a.shape)


@numba.njit(**_JIT)
def triangular_solve_nd(a, b, lower, trans, unit):
    """``op(A)^-1 B`` over a stack (tier 1); the leading dimensions of ``a`` and ``b`` are equal
    (the lowering broadcasts them first).

    Parameters
    ----------
    a : ndarray of float64, shape (..., n, n)
    b : ndarray of float64, shape (..., n, k)
    lower, trans, unit : bool
        As ``triangular_solve``'s ``lower``, ``transpose_a`` and ``unit_diagonal``.

    Returns
    -------
    ndarray of float64, shape (..., n, k)
    """
    n, k = b.shape[-2], b.shape[-1]
    af = np.ascontiguousarray(a).ravel()
    bf = np.ascontiguousarray(b).ravel()
    flat = np.empty(bf.size, dtype=np.float64)
    for m in range(bf.size // max(n * k, 1)):
        triangular_solve_into(af, m * n * n, bf, m * n * k, flat, m * n * k, n, k, lower, trans,
                              unit)
    return flat.reshape(b.shape)


PAIRWISE_BLOCK = 128  # NumPy's PW_BLOCKSIZE: sums up to this long run in eight partial sums


@numba.njit(**_JIT)
def _block(a, c, lo, n, products):
    """The sum of ``a[lo:lo + n]`` (of ``a[i] * c[i]`` when ``products``), ``n`` at most
    ``PAIRWISE_BLOCK``: eight interleaved partial sums combined pairwise, then the last
    ``n % 8`` terms one by one (NumPy's ``pairwise_sum`` below its block size)."""
    m = n - n % 8
    if m == 0:
        total = 0.0
        for i in range(lo, lo + n):
            total += a[i] * c[i] if products else a[i]
        return total
    if products:
        s0, s1 = a[lo] * c[lo], a[lo + 1] * c[lo + 1]
        s2, s3 = a[lo + 2] * c[lo + 2], a[lo + 3] * c[lo + 3]
        s4, s5 = a[lo + 4] * c[lo + 4], a[lo + 5] * c[lo + 5]
        s6, s7 = a[lo + 6] * c[lo + 6], a[lo + 7] * c[lo + 7]
        for i in range(lo + 8, lo + m, 8):
            s0 += a[i] * c[i]
            s1 += a[i + 1] * c[i + 1]
            s2 += a[i + 2] * c[i + 2]
            s3 += a[i + 3] * c[i + 3]
            s4 += a[i + 4] * c[i + 4]
            s5 += a[i + 5] * c[i + 5]
            s6 += a[i + 6] * c[i + 6]
            s7 += a[i + 7] * c[i + 7]
    else:
        s0, s1, s2, s3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        s4, s5, s6, s7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        for i in range(lo + 8, lo + m, 8):
            s0 += a[i]
            s1 += a[i + 1]
            s2 += a[i + 2]
            s3 += a[i + 3]
            s4 += a[i + 4]
            s5 += a[i + 5]
            s6 += a[i + 6]
            s7 += a[i + 7]
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for i in range(lo + m, lo + n):
        total += a[i] * c[i] if products else a[i]
    return total


@numba.njit(**_JIT)
def sum8(a, c, products):
    """``sum(a)``, or ``sum(a * c)`` when ``products``, of 1-D float64 arrays of one length.

    NumPy's pairwise order (``pairwise_sum`` in its ``loops_utils.h``): blocks of up to 128
    terms summed in eight interleaved partial sums (eight independent add chains instead of
    one, which the compiler packs into vector registers: several times faster than a serial
    sum), longer ranges split in halves (the first a multiple of 8 long) and added. The result
    is the bits of ``numpy.sum(a)`` (``numpy.sum(a * c)``) on a contiguous array, the same on
    every call: tier 1 and the tape agree with tier 0 on such sums. The halving runs on an
    explicit stack: numba's on-disk cache cannot hold a recursive function (a cached one
    crashed the next process).
    """
    n = a.size
    if n <= PAIRWISE_BLOCK:
        return _block(a, c, 0, n, products)
    # post-order walk of the halving tree; 64 levels cover any array
    lo_of = np.empty(64, dtype=np.int64)
    n_of = np.empty(64, dtype=np.int64)
    stage = np.empty(64, dtype=np.int64)  # 0: new, 1: left half pending, 2: right pending
    left = np.empty(64, dtype=np.float64)
    lo_of[0], n_of[0], stage[0] = 0, n, 0
    top = 0
    result = 0.0
    while top >= 0:
        size = n_of[top]
        if size <= PAIRWISE_BLOCK or stage[top] == 2:
            if size <= PAIRWISE_BLOCK:
                value = _block(a, c, lo_of[top], size, products)
            else:
                value = left[top] + result  # result: the right half, just finished
            top -= 1
            if top < 0:
                return value
            if stage[top] == 1:  # a left half done: start the right one
                left[top] = value
                stage[top] = 2
                half = n_of[top] // 2
                half -= half % 8
                lo_of[top + 1], n_of[top + 1], stage[top + 1] = (
                    lo_of[top] + half, n_of[top] - half, 0
                )
                top += 1
            else:
                result = value
            continue
        half = size // 2
        half -= half % 8
        stage[top] = 1
        lo_of[top + 1], n_of[top + 1], stage[top + 1] = lo_of[top], half, 0
        top += 1
    return result


@numba.njit(**_JIT)
def sum_nd(x):
    """The sum of every element of ``x`` (``sum8`` over its elements in C order)."""
    a = np.ascontiguousarray(x).ravel()
    return sum8(a, a, False)


@numba.njit(**_JIT)
def dot_nd(x, y):
    """``sum(x * y)`` of two arrays of one shape, in one pass (``sum8``)."""
    a = np.ascontiguousarray(x).ravel()
    c = np.ascontiguousarray(y).ravel()
    return sum8(a, c, True)


@numba.njit(**_JIT)
def cumulative_last(x, product):
    """Running sums, or products when ``product``, along the last axis of a float64 array of
    any rank (``np.cumsum``/``np.cumprod`` with ``axis=-1``; numba's take no axis). The
    gradient of ``cumprod`` takes the running products of a square array's rows."""
    a = np.ascontiguousarray(x)
    out = np.empty(a.shape)
    n = a.shape[-1] if a.ndim else 1
    rows_in = a.reshape((a.size // max(n, 1), n))
    rows_out = out.reshape(rows_in.shape)
    for r in range(rows_in.shape[0]):
        s = 1.0 if product else 0.0
        for i in range(n):
            s = s * rows_in[r, i] if product else s + rows_in[r, i]
            rows_out[r, i] = s
    return out


@numba.njit(**_JIT)
def reduce_axes(x, perm, out_shape, kind):
    """``sum`` (kind 0), ``prod`` (1), ``max`` (2) or ``min`` (3) of a float64 array over some
    of its axes: ``perm`` puts the kept axes first, the reduced ones last, and each row of
    the reduced elements becomes one element of ``out_shape`` (the kept axes, with the
    reduced ones as 1 under ``keepdims``). Sums run in NumPy's pairwise order (``sum8``);
    ``max``/``min`` propagate NaN, as NumPy's do. numba's own reductions take no axis but
    ``np.sum``'s one."""
    a = np.ascontiguousarray(np.transpose(x, perm))
    n_out = 1
    for n in out_shape:
        n_out *= n
    n_red = a.size // n_out if n_out else 0
    rows = a.reshape((n_out, n_red))
    out = np.empty(n_out)
    for r in range(n_out):
        if kind == 0:
            out[r] = sum8(rows[r], rows[r], False)
            continue
        acc = 1.0 if kind == 1 else (-np.inf if kind == 2 else np.inf)
        for i in range(n_red):
            v = rows[r, i]
            if kind == 1:
                acc *= v
            elif v != v or acc != acc:
                acc = np.nan
            elif (kind == 2 and v > acc) or (kind == 3 and v < acc):
                acc = v
        out[r] = acc
    return out.reshape(out_shape)
