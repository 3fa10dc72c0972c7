"""Linear-algebra primitives: matmul, einsum, solve, inv, cholesky, triangular_solve, det,
slogdet and eigh.

Every primitive works on stacks of matrices (leading batch dimensions broadcast as in NumPy).
The derivative rules are written with these same primitives (and the shape and elementwise ones),
never with raw NumPy, so they can be differentiated again; raw NumPy appears only in ``impl`` and
for static constants (masks, identity matrices). The rules are for real inputs except where a
rule says it handles complex ones (eigh: Hermitian matrices).
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from ..backend import namespace_of
from ..core import Primitive, ShapedArray, Zero
from ._helpers import dtype_for_promotion, fmt_avals, per_example_aval, shape_of
from .batch_rules import batch_leading, pad_batched_rank
from .elementwise import add, conj_p, divide, multiply, negative, real_p, where_p
from .reduce import reduce_sum
from .shape import broadcast_to, moveaxis, reshape, transpose

__all__ = [
    "matmul_p",
    "einsum_p",
    "solve_p",
    "inv_p",
    "cholesky_p",
    "triangular_solve_p",
    "det_p",
    "slogdet_p",
    "eigh_p",
    "matmul",
    "einsum",
    "solve",
    "inv",
    "cholesky",
    "triangular_solve",
    "det",
    "slogdet",
    "eigh",
    "matrix_transpose",
]


# --------------------------------------------------------------------------------------------
# Small helpers (all differentiable: built on primitives)
# --------------------------------------------------------------------------------------------


def _ndim(x: Any) -> int:
    return len(shape_of(x))


def matrix_transpose(x: Any) -> Any:
    """Swap the last two axes."""
    nd = _ndim(x)
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


_mT = matrix_transpose


def _is_complex(x: Any) -> bool:
    return np.dtype(getattr(x, "dtype", np.float64)).kind == "c"


def _conj(x: Any) -> Any:
    """Complex conjugate; the identity (no operation recorded) for real values."""
    return conj_p.bind(x) if _is_complex(x) else x


def _mH(x: Any) -> Any:
    """Conjugate transpose of the last two axes (the transpose for real values)."""
    return _conj(_mT(x))


def _i_imag(x: Any) -> Any:
    """i Im(x) = (x - conj(x)) / 2."""
    return multiply(0.5, add(x, negative(conj_p.bind(x))))


def _herm(x: Any) -> Any:
    # herm(X) = (X + X^H) / 2 (sym for real values)
    return multiply(0.5, add(x, _mH(x)))


def _expand_last(x: Any) -> Any:
    return reshape(x, shape_of(x) + (1,))


def _drop_axis(x: Any, axis: int) -> Any:
    """Remove a size-1 ``axis`` (negative allowed)."""
    shape = list(shape_of(x))
    del shape[axis]
    return reshape(x, tuple(shape))


def _sum_last2(x: Any) -> Any:
    nd = _ndim(x)
    return reduce_sum(x, (nd - 2, nd - 1))


def _as_matrices(x: Any) -> Any:
    """Append two unit axes: a batch of scalars becomes a batch of 1x1 matrices."""
    return reshape(x, shape_of(x) + (1, 1))


def _broadcast_like(t: Any, shape: tuple[int, ...]) -> Any:
    return t if shape_of(t) == tuple(shape) else broadcast_to(t, shape)


def _linalg_dtype(op: str, *avals: ShapedArray) -> np.dtype:
    """NumPy's linalg result dtype: integers and booleans compute in float64."""
    dtype = np.result_type(*(dtype_for_promotion(a) for a in avals))
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    if dtype.kind not in "fc":
        raise TypeError(f"{op}: expected numeric arrays, got {fmt_avals(avals)}")
    return dtype


def _check_square(op: str, aval: ShapedArray, what: str = "a") -> int:
    if aval.ndim < 2 or aval.shape[-1] != aval.shape[-2]:
        raise ValueError(f"{op}: expected a square matrix (..., n, n) for {what}, got {aval}")
    return aval.shape[-1]


def _batch_shape(op: str, *avals: ShapedArray) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*(a.shape[:-2] for a in avals)))
    except ValueError:
        raise ValueError(
            f"{op}: batch dimensions could not be broadcast together, got {fmt_avals(avals)}"
        ) from None


# --------------------------------------------------------------------------------------------
# matmul
# --------------------------------------------------------------------------------------------


def _matmul_abstract_eval(a: ShapedArray, b: ShapedArray) -> ShapedArray:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: expected operands with at least one dimension, got {fmt_avals((a, b))}; "
            "use multiply for scalars"
        )
    a_shape = (1,) + a.shape if a.ndim == 1 else a.shape
    b_shape = b.shape + (1,) if b.ndim == 1 else b.shape
    if a_shape[-1] != b_shape[-2]:
        raise ValueError(
            f"matmul: expected the last axis of a to match the "
            f"{'only' if b.ndim == 1 else 'second-to-last'} axis of b, got {fmt_avals((a, b))}"
        )
    try:
        batch = tuple(np.broadcast_shapes(a_shape[:-2], b_shape[:-2]))
    except ValueError:
        raise ValueError(
            f"matmul: batch dimensions could not be broadcast together, got {fmt_avals((a, b))}"
        ) from None
    shape = batch
    if a.ndim > 1:
        shape += (a_shape[-2],)
    if b.ndim > 1:
        shape += (b_shape[-1],)
    dtype = np.result_type(dtype_for_promotion(a), dtype_for_promotion(b))
    return ShapedArray(shape, dtype, a.weak_type and b.weak_type)


matmul_p = Primitive("matmul", np.matmul)
matmul_p.abstract_eval = _matmul_abstract_eval
matmul_p.templates["numpy"] = "np.matmul({0}, {1})"


def matmul(a: Any, b: Any) -> Any:
    return matmul_p.bind(a, b)


def _matmul_jvp(primals: Any, tangents: Any) -> Any:
    # d(a @ b) = da @ b + a @ db
    a, b = primals
    ta, tb = tangents
    ans = matmul(a, b)
    out = None
    if type(ta) is not Zero:
        out = matmul(ta, b)
    if type(tb) is not Zero:
        term = matmul(a, tb)
        out = term if out is None else add(out, term)
    if out is None:
        return ans, Zero(ans)
    return ans, _broadcast_like(out, shape_of(ans))


def _matmul_vjp(g: Any, ans: Any, a: Any, b: Any) -> Any:
    # a_bar = g @ b^T, b_bar = a^T @ g; 1-D operands are promoted to matrices and back
    a_vec = _ndim(a) == 1
    b_vec = _ndim(b) == 1
    if a_vec and b_vec:
        return multiply(g, b), multiply(g, a)
    a2 = reshape(a, (1,) + shape_of(a)) if a_vec else a
    b2 = _expand_last(b) if b_vec else b
    gs = shape_of(g)
    if a_vec:
        g2 = reshape(g, gs[:-1] + (1,) + gs[-1:])
    elif b_vec:
        g2 = _expand_last(g)
    else:
        g2 = g
    ga = matmul(g2, _mT(b2))
    gb = matmul(_mT(a2), g2)
    if a_vec:
        ga = _drop_axis(ga, -2)
    if b_vec:
        gb = _drop_axis(gb, -1)
    return ga, gb


matmul_p.jvp = _matmul_jvp
matmul_p.vjp = _matmul_vjp
matmul_p.transpose = _matmul_vjp


def _matmul_batch(args: Any, dims: Any, *, axis_size: int) -> Any:
    # Batched operands get their batch axis first; a batched 1-D example becomes a 1-row (a) or
    # 1-column (b) matrix, so the batch axis is never taken for a matrix axis, and the unit
    # axis is dropped from the result. Unbatched operands broadcast as they are.
    (a, b), (ad, bd) = args, dims
    out_shape = _matmul_abstract_eval(per_example_aval(a, ad), per_example_aval(b, bd)).shape
    ops = []
    for x, d, is_a in ((a, ad, True), (b, bd, False)):
        if d is not None:
            x = moveaxis(x, d, 0)
            if len(shape_of(x)) == 2:
                shape = shape_of(x)
                x = reshape(x, (shape[0], 1, shape[1]) if is_a else shape + (1,))
        ops.append((x, d))
    rank = max(len(shape_of(x)) - (d is not None) for x, d in ops if len(shape_of(x)) > 1)
    a2, b2 = (pad_batched_rank(x, rank) if d is not None else x for x, d in ops)
    out = matmul(a2, b2)
    if shape_of(out) != (axis_size,) + out_shape:
        out = reshape(out, (axis_size,) + out_shape)
    return out, 0


matmul_p.batch = _matmul_batch


# --------------------------------------------------------------------------------------------
# einsum (explicit subscripts only: 'ij,jk->ik'; the numpy layer resolves '...' and implicit
# outputs)
# --------------------------------------------------------------------------------------------

_LABELS = string.ascii_letters


def parse_explicit(subscripts: str, op: str = "einsum") -> tuple[list[str], str]:
    """Split explicit subscripts ``'ij,jk->ik'`` into ``(['ij', 'jk'], 'ik')``."""
    if not isinstance(subscripts, str) or subscripts.count("->") != 1:
        raise ValueError(
            f"{op}: expected explicit subscripts such as 'ij,jk->ik', got {subscripts!r}"
        )
    inputs, output = subscripts.split("->")
    ins = inputs.split(",")
    for labels in ins + [output]:
        bad = [c for c in labels if c not in _LABELS]
        if bad:
            raise ValueError(
                f"{op}: invalid subscript characters {bad} in {subscripts!r}; "
                "expected letters a-z, A-Z"
            )
    return ins, output


def _einsum_abstract_eval(*avals: ShapedArray, subscripts: str) -> ShapedArray:
    ins, out = parse_explicit(subscripts)
    if len(ins) != len(avals):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(ins)} operands, got {len(avals)} "
            f"({fmt_avals(avals)})"
        )
    sizes: dict[str, int] = {}
    for labels, aval in zip(ins, avals):
        if len(labels) != aval.ndim:
            raise ValueError(
                f"einsum: operand {labels!r} of {subscripts!r} expects {len(labels)} "
                f"dimensions, got {aval}"
            )
        for pos, (label, n) in enumerate(zip(labels, aval.shape)):
            if label in labels[:pos] and sizes[label] != n:
                raise ValueError(
                    f"einsum: repeated label {label!r} in operand {labels!r} needs equal "
                    f"dimensions, got {aval}"
                )
            prev = sizes.get(label)
            if prev is None or prev == 1:
                sizes[label] = n
            elif n not in (1, prev):
                raise ValueError(
                    f"einsum: label {label!r} has inconsistent sizes {prev} and {n} in "
                    f"{subscripts!r} (operands {fmt_avals(avals)})"
                )
    if len(set(out)) != len(out) or any(label not in sizes for label in out):
        raise ValueError(
            f"einsum: output subscripts {out!r} must be distinct labels that appear in the "
            f"inputs of {subscripts!r}"
        )
    dtype = np.result_type(*(dtype_for_promotion(a) for a in avals))
    return ShapedArray(tuple(sizes[label] for label in out), dtype, all(a.weak_type for a in avals))


def _einsum_impl(*operands: Any, subscripts: str) -> Any:
    return np.einsum(subscripts, *operands, optimize=len(operands) > 2)


einsum_p = Primitive("einsum", _einsum_impl)
einsum_p.abstract_eval = _einsum_abstract_eval


def einsum(subscripts: str, *operands: Any) -> Any:
    """``einsum`` with explicit subscripts (``'ij,jk->ik'``)."""
    return einsum_p.bind(*operands, subscripts=subscripts)


def _einsum_jvp(primals: Any, tangents: Any, *, subscripts: str) -> Any:
    # multilinear: d einsum(x_1..x_m) = sum_k einsum(x_1, .., dx_k, .., x_m)
    ans = einsum(subscripts, *primals)
    out = None
    for k, t in enumerate(tangents):
        if type(t) is Zero:
            continue
        args = list(primals)
        args[k] = t
        term = einsum(subscripts, *args)
        out = term if out is None else add(out, term)
    if out is None:
        return ans, Zero(ans)
    return ans, _broadcast_like(out, shape_of(ans))


def _einsum_vjp(g: Any, ans: Any, *operands: Any, subscripts: str) -> Any:
    # x_k_bar = einsum(g, x_j (j != k) -> labels_k); a label repeated within an operand (a
    # diagonal) is renamed and tied back with an identity matrix, so every operand has distinct
    # labels; labels found nowhere else are broadcast over.
    ins, out = parse_explicit(subscripts)
    free = iter(c for c in _LABELS if c not in subscripts)
    dtype = getattr(g, "dtype", np.float64)
    renamed: list[str] = []
    deltas: list[tuple[str, Any]] = []
    for labels, x in zip(ins, operands):
        new = []
        for pos, label in enumerate(labels):
            if label in labels[:pos]:
                fresh = next(free, None)
                if fresh is None:
                    raise NotImplementedError(
                        f"einsum: the vjp of {subscripts!r} needs more distinct labels than "
                        "the 52 letters available"
                    )
                deltas.append((label + fresh, np.eye(shape_of(x)[pos], dtype=dtype)))
                new.append(fresh)
            else:
                new.append(label)
        renamed.append("".join(new))
    cts = []
    for k, labels_k in enumerate(renamed):
        terms = [(out, g)]
        terms += [(renamed[j], operands[j]) for j in range(len(operands)) if j != k]
        terms += deltas
        present = set("".join(lab for lab, _ in terms))
        keep = "".join(c for c in labels_k if c in present)
        spec = ",".join(lab for lab, _ in terms) + "->" + keep
        ct = einsum(spec, *(x for _, x in terms))
        if keep != labels_k:
            shape_k = shape_of(operands[k])
            sizes = iter(shape_of(ct))
            mid = tuple(next(sizes) if c in present else 1 for c in labels_k)
            target = tuple(m if c in present else n for c, m, n in zip(labels_k, mid, shape_k))
            ct = broadcast_to(reshape(ct, mid), target)
        cts.append(ct)
    return tuple(cts)


einsum_p.jvp = _einsum_jvp
einsum_p.vjp = _einsum_vjp
einsum_p.transpose = _einsum_vjp


def _einsum_batch(args: Any, dims: Any, *, axis_size: int, subscripts: str) -> Any:
    # a fresh label for the batch axis, on the batched operands and first in the output
    ins, out = parse_explicit(subscripts)
    label = next(c for c in _LABELS if c not in subscripts)
    operands = []
    new_ins = []
    for x, d, labels in zip(args, dims, ins):
        if d is not None:
            x = moveaxis(x, d, 0)
            labels = label + labels
        operands.append(x)
        new_ins.append(labels)
    return einsum(",".join(new_ins) + "->" + label + out, *operands), 0


einsum_p.batch = _einsum_batch


# --------------------------------------------------------------------------------------------
# solve: a x = b, with NumPy 2 semantics (b is a vector only when b.ndim == 1)
# --------------------------------------------------------------------------------------------


def _solve_abstract_eval(a: ShapedArray, b: ShapedArray) -> ShapedArray:
    n = _check_square("solve", a)
    dtype = _linalg_dtype("solve", a, b)
    if b.ndim == 1:
        if b.shape[0] != n:
            raise ValueError(
                f"solve: expected b of shape ({n},) or (..., {n}, k) to match a {a}, got {b}"
            )
        return ShapedArray(a.shape[:-1], dtype)
    if b.ndim < 1 or b.shape[-2] != n:
        raise ValueError(
            f"solve: expected b of shape ({n},) or (..., {n}, k) to match a {a}, got {b}"
        )
    batch = _batch_shape("solve", a, b)
    return ShapedArray(batch + b.shape[-2:], dtype)


def _solve_impl(a: Any, b: Any) -> Any:
    return np.linalg.solve(a, b)


solve_p = Primitive("solve", _solve_impl)
solve_p.abstract_eval = _solve_abstract_eval


def solve(a: Any, b: Any) -> Any:
    return solve_p.bind(a, b)


def _solve_jvp(primals: Any, tangents: Any) -> Any:
    # dx = a^-1 (db - da x)
    a, b = primals
    ta, tb = tangents
    ans = solve(a, b)
    vec = _ndim(b) == 1
    rhs = None
    if type(tb) is not Zero:
        rhs = _expand_last(tb) if vec else tb
    if type(ta) is not Zero:
        x2 = _expand_last(ans) if vec else ans
        term = negative(matmul(ta, x2))
        rhs = term if rhs is None else add(rhs, term)
    if rhs is None:
        return ans, Zero(ans)
    dx = solve(a, rhs)
    if vec:
        dx = _drop_axis(dx, -1)
    return ans, _broadcast_like(dx, shape_of(ans))


def _solve_vjp(g: Any, ans: Any, a: Any, b: Any) -> Any:
    # b_bar = a^-T g, a_bar = -b_bar x^T
    vec = _ndim(b) == 1
    g2 = _expand_last(g) if vec else g
    x2 = _expand_last(ans) if vec else ans
    gb = solve(_mT(a), g2)
    ga = negative(matmul(gb, _mT(x2)))
    if vec:
        gb = _drop_axis(gb, -1)
    return ga, gb


solve_p.jvp = _solve_jvp
solve_p.vjp = _solve_vjp


def _solve_batch(args: Any, dims: Any, *, axis_size: int) -> Any:
    # a batched vector b becomes a stack of one-column matrices (NumPy 2 reads a 2-D b as a
    # matrix); then leading dimensions broadcast as for any stack of matrices
    (a, b), (ad, bd) = args, dims
    if bd is not None and len(shape_of(b)) == 2:
        out_shape = _solve_abstract_eval(per_example_aval(a, ad), per_example_aval(b, bd)).shape
        b = _expand_last(moveaxis(b, bd, 0))
        out, _ = _solve_stack_batch((a, b), (ad, 0), axis_size=axis_size)
        return reshape(out, (axis_size,) + out_shape), 0
    if bd is None and len(shape_of(b)) == 1:  # a stack of systems, one shared vector b
        return solve(moveaxis(a, ad, 0), b), 0
    return _solve_stack_batch(args, dims, axis_size=axis_size)


_solve_stack_batch = batch_leading(solve_p, (2, 2))
solve_p.batch = _solve_batch


# --------------------------------------------------------------------------------------------
# inv
# --------------------------------------------------------------------------------------------


def _square_abstract_eval(op: str) -> Any:
    def abstract_eval(a: ShapedArray) -> ShapedArray:
        _check_square(op, a)
        return ShapedArray(a.shape, _linalg_dtype(op, a))

    return abstract_eval


inv_p = Primitive("inv", np.linalg.inv)
inv_p.abstract_eval = _square_abstract_eval("inv")


def inv(a: Any) -> Any:
    return inv_p.bind(a)


def _inv_jvp(primals: Any, tangents: Any) -> Any:
    # d a^-1 = -a^-1 da a^-1
    (a,), (t,) = primals, tangents
    ans = inv(a)
    if type(t) is Zero:
        return ans, Zero(ans)
    return ans, negative(matmul(ans, matmul(t, ans)))


inv_p.jvp = _inv_jvp
# a_bar = -a^-T g a^-T
inv_p.vjp = lambda g, ans, a: (negative(matmul(_mT(ans), matmul(g, _mT(ans)))),)
inv_p.batch = batch_leading(inv_p, (2,))


# --------------------------------------------------------------------------------------------
# triangular_solve: op(a) x = b, op(a) = a or a^T, reading only one triangle of a
# --------------------------------------------------------------------------------------------


def _triangular_solve_abstract_eval(
    a: ShapedArray, b: ShapedArray, *, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> ShapedArray:
    n = _check_square("triangular_solve", a)
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(
            f"triangular_solve: expected b of shape (..., {n}, k) to match a {a}, got {b}"
        )
    batch = _batch_shape("triangular_solve", a, b)
    return ShapedArray(batch + b.shape[-2:], _linalg_dtype("triangular_solve", a, b))


def _triangular_solve_impl(
    a: Any, b: Any, *, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> Any:
    xp = namespace_of(a, b)
    if xp is not np:
        return _triangular_solve_device(xp, a, b, lower, transpose_a, unit_diagonal)
    from scipy.linalg import solve_triangular

    a = np.asarray(a)
    b = np.asarray(b)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    dtype = np.result_type(a.dtype, b.dtype)
    if dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    out = np.empty(batch + b.shape[-2:], dtype=dtype)
    trans = 1 if transpose_a else 0
    for idx in np.ndindex(*batch):
        out[idx] = solve_triangular(
            a[idx], b[idx], trans=trans, lower=lower, unit_diagonal=unit_diagonal
        )
    return out


def _triangular_solve_device(
    xp: Any, a: Any, b: Any, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> Any:
    """On a device: one batched general solve with the triangle that the solve reads (the
    device libraries' triangular solves take one matrix at a time; a loop over the batch
    would cost a kernel launch per matrix)."""
    n = a.shape[-1]
    k = -1 if unit_diagonal else 0
    mask = xp.tri(n, n, k, dtype=bool) if lower else ~xp.tri(n, n, -1 - k, dtype=bool)
    t = xp.where(mask, a, 0)
    if unit_diagonal:
        t = t + xp.eye(n, dtype=t.dtype)
    if transpose_a:  # a^T x = b (scipy's trans=1: no conjugate)
        t = xp.swapaxes(t, -1, -2)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    dtype = np.result_type(a.dtype, b.dtype)
    if dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    t = xp.broadcast_to(t, batch + t.shape[-2:]).astype(dtype)
    b = xp.broadcast_to(b, batch + b.shape[-2:]).astype(dtype)
    return xp.linalg.solve(t, b)


triangular_solve_p = Primitive("triangular_solve", _triangular_solve_impl)
triangular_solve_p.abstract_eval = _triangular_solve_abstract_eval


def triangular_solve(
    a: Any, b: Any, *, lower: bool, transpose_a: bool = False, unit_diagonal: bool = False
) -> Any:
    return triangular_solve_p.bind(
        a, b, lower=bool(lower), transpose_a=bool(transpose_a), unit_diagonal=bool(unit_diagonal)
    )


def _triangle(x: Any, lower: bool, unit_diagonal: bool) -> Any:
    """Keep the triangle of ``x`` that a triangular solve reads (strict when unit_diagonal)."""
    n = shape_of(x)[-1]
    k = -1 if unit_diagonal else 0
    mask = np.tri(n, n, k, dtype=bool) if lower else ~np.tri(n, n, -1 - k, dtype=bool)
    return where_p.bind(mask, x, 0.0)


def _triangular_solve_jvp(primals: Any, tangents: Any, **params: Any) -> Any:
    # dx = op(a)^-1 (db - op(da) x), da restricted to the triangle that is read
    a, b = primals
    ta, tb = tangents
    ans = triangular_solve(a, b, **params)
    rhs = None if type(tb) is Zero else tb
    if type(ta) is not Zero:
        da = _triangle(ta, params["lower"], params["unit_diagonal"])
        if params["transpose_a"]:
            da = _mT(da)
        term = negative(matmul(da, ans))
        rhs = term if rhs is None else add(rhs, term)
    if rhs is None:
        return ans, Zero(ans)
    dx = triangular_solve(a, rhs, **params)
    return ans, _broadcast_like(dx, shape_of(ans))


def _triangular_solve_vjp(
    g: Any, ans: Any, a: Any, b: Any, *, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> Any:
    # b_bar = op(a)^-T g; op(a)_bar = -b_bar x^T (transposed back when op is a transpose)
    gb = triangular_solve(
        a, g, lower=lower, transpose_a=not transpose_a, unit_diagonal=unit_diagonal
    )
    if transpose_a:
        ga = negative(matmul(ans, _mT(gb)))
    else:
        ga = negative(matmul(gb, _mT(ans)))
    return _triangle(ga, lower, unit_diagonal), gb


triangular_solve_p.jvp = _triangular_solve_jvp
triangular_solve_p.vjp = _triangular_solve_vjp
triangular_solve_p.batch = batch_leading(triangular_solve_p, (2, 2))


# --------------------------------------------------------------------------------------------
# cholesky (lower factor: a = L L^T)
# --------------------------------------------------------------------------------------------

cholesky_p = Primitive("cholesky", np.linalg.cholesky)
cholesky_p.abstract_eval = _square_abstract_eval("cholesky")


def cholesky(a: Any) -> Any:
    return cholesky_p.bind(a)


def _phi(x: Any) -> Any:
    # Phi(X): the lower triangle of X with its diagonal halved
    n = shape_of(x)[-1]
    mask = np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)
    return multiply(x, mask.astype(x.dtype))


def _cholesky_jvp(primals: Any, tangents: Any) -> Any:
    # dL = L Phi(L^-1 sym(da) L^-T)
    (a,), (t,) = primals, tangents
    chol = cholesky(a)
    if type(t) is Zero:
        return chol, Zero(chol)
    # complex (Hermitian) a: S = herm(da) and L^-H in place of L^-T
    y = triangular_solve(chol, _herm(t), lower=True)  # L^-1 S
    x = _mH(triangular_solve(chol, _mH(y), lower=True))  # L^-1 S L^-H
    return chol, matmul(chol, _phi(x))


def _cholesky_vjp(g: Any, ans: Any, a: Any) -> Any:
    # a_bar = herm(L^-T Phi(L^T L_bar) conj(L)^-1) (sym(L^-T Phi(L^T L_bar) L^-1) if real)
    p = _phi(matmul(_mT(ans), g))
    z = triangular_solve(ans, p, lower=True, transpose_a=True)  # L^-T P
    w = _mT(triangular_solve(_conj(ans), _mT(z), lower=True, transpose_a=True))
    return (_herm(w),)


cholesky_p.jvp = _cholesky_jvp
cholesky_p.vjp = _cholesky_vjp
cholesky_p.batch = batch_leading(cholesky_p, (2,))


# --------------------------------------------------------------------------------------------
# det and slogdet
# --------------------------------------------------------------------------------------------


def _det_abstract_eval(a: ShapedArray) -> ShapedArray:
    _check_square("det", a)
    return ShapedArray(a.shape[:-2], _linalg_dtype("det", a))


det_p = Primitive("det", np.linalg.det)
det_p.abstract_eval = _det_abstract_eval


def det(a: Any) -> Any:
    return det_p.bind(a)


def _inv_transpose(a: Any) -> Any:
    return _mT(inv(a))


def _det_jvp(primals: Any, tangents: Any) -> Any:
    # d det(a) = det(a) tr(a^-1 da)
    (a,), (t,) = primals, tangents
    ans = det(a)
    if type(t) is Zero:
        return ans, Zero(ans)
    return ans, multiply(ans, _sum_last2(multiply(_inv_transpose(a), t)))


det_p.jvp = _det_jvp
# a_bar = g det(a) a^-T
det_p.vjp = lambda g, ans, a: (multiply(_as_matrices(multiply(g, ans)), _inv_transpose(a)),)
det_p.batch = batch_leading(det_p, (2,))


def _slogdet_abstract_eval(a: ShapedArray) -> tuple[ShapedArray, ShapedArray]:
    _check_square("slogdet", a)
    dtype = _linalg_dtype("slogdet", a)
    real = np.empty((), dtype).real.dtype
    return ShapedArray(a.shape[:-2], dtype), ShapedArray(a.shape[:-2], real)


slogdet_p = Primitive("slogdet", lambda a: tuple(np.linalg.slogdet(a)), multiple_results=True)
slogdet_p.abstract_eval = _slogdet_abstract_eval


def slogdet(a: Any) -> tuple[Any, Any]:
    return slogdet_p.bind(a)


def _slogdet_jvp(primals: Any, tangents: Any) -> Any:
    # d log|det a| = Re tr(a^-1 da); the sign is piecewise constant for real a, and
    # d sign = sign i Im tr(a^-1 da) for complex a
    (a,), (t,) = primals, tangents
    sign, logabsdet = slogdet(a)
    if type(t) is Zero:
        return (sign, logabsdet), (Zero(sign), Zero(logabsdet))
    tr = _sum_last2(multiply(_inv_transpose(a), t))
    if not _is_complex(tr):
        return (sign, logabsdet), (Zero(sign), tr)
    dsign = multiply(sign, _i_imag(tr)) if _is_complex(sign) else Zero(sign)
    return (sign, logabsdet), (dsign, real_p.bind(tr))


def _slogdet_vjp(g: Any, ans: Any, a: Any) -> Any:
    # a_bar = c a^-T with c = g_logabsdet (+ i Im(sign g_sign) for complex a)
    g_sign, g_logabsdet = g
    c = None if type(g_logabsdet) is Zero else g_logabsdet
    if _is_complex(a) and type(g_sign) is not Zero:
        term = _i_imag(multiply(ans[0], g_sign))
        c = term if c is None else add(c, term)
    if c is None:
        return (None,)
    return (multiply(_as_matrices(c), _inv_transpose(a)),)


slogdet_p.jvp = _slogdet_jvp
slogdet_p.vjp = _slogdet_vjp
slogdet_p.batch = batch_leading(slogdet_p, (2,))


# --------------------------------------------------------------------------------------------
# eigh (symmetric eigendecomposition: a = v diag(w) v^T, ascending w)
# --------------------------------------------------------------------------------------------


def _eigh_abstract_eval(a: ShapedArray) -> tuple[ShapedArray, ShapedArray]:
    _check_square("eigh", a)
    dtype = _linalg_dtype("eigh", a)
    real = np.empty((), dtype).real.dtype
    return ShapedArray(a.shape[:-1], real), ShapedArray(a.shape, dtype)


def _eigh_impl(a: Any) -> tuple[Any, Any]:
    w, v = np.linalg.eigh(a)
    return w, v


eigh_p = Primitive("eigh", _eigh_impl, multiple_results=True)
eigh_p.abstract_eval = _eigh_abstract_eval


def eigh(a: Any) -> tuple[Any, Any]:
    return eigh_p.bind(a)


def _eigh_gaps(w: Any) -> Any:
    # F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it
    shape = shape_of(w)
    n = shape[-1]
    diff = add(reshape(w, shape[:-1] + (1, n)), negative(reshape(w, shape + (1,))))
    eye = np.eye(n, dtype=bool)
    return where_p.bind(eye, 0.0, divide(1.0, where_p.bind(eye, 1.0, diff)))


def _eigh_jvp(primals: Any, tangents: Any) -> Any:
    # with S = v^H herm(da) v (Hermitian): dw = Re diag(S), dv = v (F o S)
    (a,), (t,) = primals, tangents
    w, v = eigh(a)
    if type(t) is Zero:
        return (w, v), (Zero(w), Zero(v))
    n = shape_of(w)[-1]
    s = matmul(_mH(v), matmul(_herm(t), v))
    diag = reduce_sum(multiply(s, np.eye(n, dtype=s.dtype)), (_ndim(s) - 1,))
    dw = real_p.bind(diag) if _is_complex(diag) else diag
    dv = matmul(v, multiply(_eigh_gaps(w), s))
    return (w, v), (dw, dv)


def _eigh_vjp(g: Any, ans: Any, a: Any) -> Any:
    # transpose of the jvp (cotangents pair as Re sum(g * t), no conjugation):
    # a_bar = herm(conj(v) K v^T), K = diag(w_bar) + F o (v^T v_bar)
    gw, gv = g
    w, v = ans
    inner = None
    if type(gw) is not Zero:
        n = shape_of(w)[-1]
        inner = multiply(reshape(gw, shape_of(gw)[:-1] + (1, n)), np.eye(n, dtype=v.dtype))
    if type(gv) is not Zero:
        term = multiply(_eigh_gaps(w), matmul(_mT(v), gv))
        inner = term if inner is None else add(inner, term)
    if inner is None:
        return (None,)
    return (_herm(matmul(_conj(v), matmul(inner, _mT(v)))),)


eigh_p.jvp = _eigh_jvp
eigh_p.vjp = _eigh_vjp
eigh_p.batch = batch_leading(eigh_p, (2,))


# --------------------------------------------------------------------------------------------
# Issue 13: svd, qr and eig (general matrices). Real and complex inputs. Cotangents pair with
# tangents as Re sum(g * t) (JAX's convention: transposes, no conjugation).
# --------------------------------------------------------------------------------------------

__all__ += ["svd_p", "qr_p", "eig_p", "svd", "qr", "eig"]


def _real_dtype(dtype: Any) -> np.dtype:
    return np.empty((), dtype).real.dtype


def _diag_embed(d: Any, dtype: Any) -> Any:
    """A stack of diagonal matrices from a stack of vectors."""
    n = shape_of(d)[-1]
    return multiply(_expand_last(d), np.eye(n, dtype=dtype))


def _diag_part(x: Any) -> Any:
    n = shape_of(x)[-1]
    return reduce_sum(multiply(x, np.eye(n, dtype=x.dtype)), (_ndim(x) - 1,))


def _row(s: Any) -> Any:
    """s as a row, to scale columns: X * _row(s) = X diag(s)."""
    shape = shape_of(s)
    return reshape(s, shape[:-1] + (1, shape[-1]))


def _svd_abstract_eval(a: ShapedArray, *, full_matrices: bool) -> tuple:
    if a.ndim < 2:
        raise ValueError(f"svd: expected an array of at least two dimensions (..., m, n), got {a}")
    dtype = _linalg_dtype("svd", a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    ku, kv = (m, n) if full_matrices else (k, k)
    return (
        ShapedArray(batch + (m, ku), dtype),
        ShapedArray(batch + (k,), _real_dtype(dtype)),
        ShapedArray(batch + (kv, n), dtype),
    )


def _svd_impl(a: Any, *, full_matrices: bool) -> tuple:
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return u, s, vh


svd_p = Primitive("svd", _svd_impl, multiple_results=True)
svd_p.abstract_eval = _svd_abstract_eval


def svd(a: Any, full_matrices: bool = False) -> tuple[Any, Any, Any]:
    """``(u, s, vh)`` with ``a = u diag(s) vh``, singular values descending."""
    return svd_p.bind(a, full_matrices=bool(full_matrices))


def _svd_gaps(s: Any) -> Any:
    # F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it (infinite at repeated values)
    return _eigh_gaps(multiply(s, s))


def _select(m: int, k: int, dtype: Any) -> np.ndarray:
    """The m x k matrix whose product with an (.., r, m) matrix keeps its first k columns."""
    return np.eye(m, k, dtype=dtype)


def _reduced(u: Any, vh: Any) -> tuple[Any, Any]:
    """The reduced factors U (m x k) and V (n x k) from full or reduced u and vh."""
    m, n = shape_of(u)[-2], shape_of(vh)[-1]
    k = min(m, n)
    if shape_of(u)[-1] != k:
        u = matmul(u, _select(m, k, u.dtype))
    v = _mH(vh)
    if shape_of(v)[-1] != k:
        v = matmul(v, _select(n, k, v.dtype))
    return u, v


def _pad_nan_columns(x: Any, total: int) -> Any:
    """(.., r, k) -> (.., r, total): the extra columns NaN (their derivative is not defined)."""
    k = shape_of(x)[-1]
    if k == total:
        return x
    mask = np.zeros(total, dtype=x.dtype)
    mask[k:] = np.nan
    return add(matmul(x, _select(total, k, x.dtype).T), mask)


def _svd_jvp(primals: Any, tangents: Any, *, full_matrices: bool) -> Any:
    # P = U^H dA V; ds = Re diag P; with F_ij = 1/(s_j^2 - s_i^2):
    # dU = U (F o (P S + S P^H) + i Im diag(P) / S) + (I - U U^H) dA V S^-1   (m > k)
    # dV = V (F o (S P + P^H S)) + (I - V V^H) dA^H U S^-1                  (n > k)
    (a,), (t,) = primals, tangents
    u, s, vh = svd(a, full_matrices)
    if type(t) is Zero:
        return (u, s, vh), (Zero(u), Zero(s), Zero(vh))
    uu, v = _reduced(u, vh)
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    complex_ = _is_complex(a) or _is_complex(t)
    p = matmul(_mH(uu), matmul(t, v))
    dp = _diag_part(p)
    ds = real_p.bind(dp) if _is_complex(dp) else dp
    f = _svd_gaps(s)
    ps = multiply(p, _row(s))
    sp = multiply(_expand_last(s), p)
    x = multiply(f, add(ps, _mH(ps)))
    if complex_:
        x = add(x, _diag_embed(divide(_i_imag(dp), s), p.dtype))
    du = matmul(uu, x)
    dv = matmul(v, multiply(f, add(sp, _mH(sp))))
    inv_s = _row(divide(1.0, s))
    if m > k:
        dav = matmul(t, v)
        du = add(du, multiply(add(dav, negative(matmul(uu, matmul(_mH(uu), dav)))), inv_s))
    if n > k:
        dahu = matmul(_mH(t), uu)
        dv = add(dv, multiply(add(dahu, negative(matmul(v, matmul(_mH(v), dahu)))), inv_s))
    # full_matrices with m != n: the extra singular vectors are not unique, their tangents NaN
    du = _pad_nan_columns(du, shape_of(u)[-1])
    dvh = _mH(_pad_nan_columns(dv, shape_of(vh)[-2]))
    return (u, s, vh), (_broadcast_like(du, shape_of(u)), ds, _broadcast_like(dvh, shape_of(vh)))


def _svd_vjp(g: Any, ans: Any, a: Any, *, full_matrices: bool) -> Any:
    # the transpose of _svd_jvp, term by term (see the derivation in the jvp's comment):
    # G_P = diag(gs) + (F o U^T gU) S + (F o U^T gU)^H S + i Im diag(U^T gU) / S
    #       + S (F o V^T gV) + S (F o V^T gV)^H,  gV = gVh^H
    # a_bar = conj(U) G_P V^T + (I - conj(U) U^T) gU S^-1 V^T + conj(U) S^-1 gV^H (I - conj(V) V^T)
    gu, gs, gvh = g
    u, s, vh = ans
    m_full, n_full = shape_of(u)[-2], shape_of(vh)[-1]
    if full_matrices and m_full != n_full and (type(gu) is not Zero or type(gvh) is not Zero):
        raise NotImplementedError(
            f"svd: derivatives of u and vh with full_matrices=True need a square matrix, got "
            f"u {shape_of(u)} and vh {shape_of(vh)}; use full_matrices=False (the extra "
            "singular vectors are not unique)"
        )
    uu, v = _reduced(u, vh)
    m, n = shape_of(uu)[-2], shape_of(v)[-2]
    k = min(m, n)
    dtype = uu.dtype
    complex_ = np.dtype(dtype).kind == "c"
    gp = None

    def acc(term: Any) -> None:
        nonlocal gp
        gp = term if gp is None else add(gp, term)

    if type(gs) is not Zero:
        acc(_diag_embed(gs, dtype))
    gu_r = gv = None
    if type(gu) is not Zero:
        gu_r = gu
        gx = matmul(_mT(uu), gu_r)
        q = multiply(_svd_gaps(s), gx)
        acc(multiply(add(q, _mH(q)), _row(s)))
        if complex_:
            acc(_diag_embed(divide(_i_imag(_diag_part(gx)), s), dtype))
    if type(gvh) is not Zero:
        gv = _mH(gvh)
        r = multiply(_svd_gaps(s), matmul(_mT(v), gv))
        acc(multiply(_expand_last(s), add(r, _mH(r))))
    if gp is None:
        return (None,)
    ga = matmul(_conj(uu), matmul(gp, _mT(v)))
    inv_s = _row(divide(1.0, s))
    if m > k and gu_r is not None:
        proj = add(gu_r, negative(matmul(_conj(uu), matmul(_mT(uu), gu_r))))
        ga = add(ga, matmul(multiply(proj, inv_s), _mT(v)))
    if n > k and gv is not None:
        proj = add(gv, negative(matmul(_conj(v), matmul(_mT(v), gv))))  # (I - conj(V) V^T) gV
        ga = add(ga, matmul(multiply(_conj(uu), inv_s), _mH(proj)))
    return (_broadcast_like(ga, shape_of(a)),)


svd_p.jvp = _svd_jvp
svd_p.vjp = _svd_vjp
svd_p.batch = batch_leading(svd_p, (2,))


def _qr_abstract_eval(a: ShapedArray, *, complete: bool) -> tuple:
    if a.ndim < 2:
        raise ValueError(f"qr: expected an array of at least two dimensions (..., m, n), got {a}")
    dtype = _linalg_dtype("qr", a)
    m, n = a.shape[-2:]
    k = m if complete else min(m, n)
    return ShapedArray(a.shape[:-2] + (m, k), dtype), ShapedArray(a.shape[:-2] + (k, n), dtype)


def _qr_impl(a: Any, *, complete: bool) -> tuple:
    q, r = np.linalg.qr(a, mode="complete" if complete else "reduced")
    return q, r


qr_p = Primitive("qr", _qr_impl, multiple_results=True)
qr_p.abstract_eval = _qr_abstract_eval


def qr(a: Any, complete: bool = False) -> tuple[Any, Any]:
    """``(q, r)`` with ``a = q r``, ``q`` with orthonormal columns, ``r`` upper triangular."""
    return qr_p.bind(a, complete=bool(complete))


def _qr_check_diff(a: Any, complete: bool) -> None:
    m, n = shape_of(a)[-2:]
    if m < n or (complete and m != n):
        raise NotImplementedError(
            f"qr: derivatives need a square or tall matrix (m >= n) and, for mode='complete', "
            f"a square one; got shape {shape_of(a)} with complete={complete}"
        )


def _right_solve_upper(r: Any, b: Any) -> Any:
    """b r^-1 for an upper-triangular r."""
    return _mT(triangular_solve(r, _mT(b), lower=False, transpose_a=True))


def _qr_jvp(primals: Any, tangents: Any, *, complete: bool) -> Any:
    # B = dA R^-1, C = Q^H B, Om = tril(C, -1) - tril(C, -1)^H + i Im diag(C) (skew-Hermitian):
    # dQ = Q (Om - C) + B, dR = (C - Om) R   (m >= n, full rank)
    (a,), (t,) = primals, tangents
    q, r = qr(a, complete)
    if type(t) is Zero:
        return (q, r), (Zero(q), Zero(r))
    _qr_check_diff(a, complete)
    n = shape_of(a)[-1]
    b = _right_solve_upper(r, t)
    c = matmul(_mH(q), b)
    low = multiply(c, np.tri(n, n, -1, dtype=c.dtype))
    om = add(low, negative(_mH(low)))
    if _is_complex(c):
        om = add(om, _diag_embed(_i_imag(_diag_part(c)), c.dtype))
    dq = add(matmul(q, add(om, negative(c))), b)
    dr = matmul(add(c, negative(om)), r)
    return (q, r), (_broadcast_like(dq, shape_of(q)), _broadcast_like(dr, shape_of(r)))


def _qr_vjp(g: Any, ans: Any, a: Any, *, complete: bool) -> Any:
    # transpose of _qr_jvp: M = Q^T gQ - gR R^T,
    # G_C = -M + tril(M, -1) - tril(M^H, -1) + i Im diag(M), a_bar = (gQ + conj(Q) G_C) R^-T
    gq, gr = g
    q, r = ans
    _qr_check_diff(a, complete)
    n = shape_of(a)[-1]
    m_ = None
    if type(gq) is not Zero:
        m_ = matmul(_mT(q), gq)
    if type(gr) is not Zero:
        term = negative(matmul(gr, _mT(r)))
        m_ = term if m_ is None else add(m_, term)
    if m_ is None:
        return (None,)
    mask = np.tri(n, n, -1, dtype=m_.dtype)
    gc = add(negative(m_), add(multiply(m_, mask), negative(multiply(_mH(m_), mask))))
    if _is_complex(m_):
        gc = add(gc, _diag_embed(_i_imag(_diag_part(m_)), m_.dtype))
    y = matmul(_conj(q), gc)
    if type(gq) is not Zero:
        y = add(y, gq)
    # y R^-T: solve X R^T = y, i.e. R X^T = y^T
    ga = _mT(triangular_solve(r, _mT(y), lower=False))
    if not _is_complex(a) and _is_complex(ga):
        ga = real_p.bind(ga)
    return (_broadcast_like(ga, shape_of(a)),)


qr_p.jvp = _qr_jvp
qr_p.vjp = _qr_vjp
qr_p.batch = batch_leading(qr_p, (2,))


def _complex_dtype(dtype: Any) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def _eig_abstract_eval(a: ShapedArray) -> tuple:
    _check_square("eig", a)
    dtype = _complex_dtype(_linalg_dtype("eig", a))
    return ShapedArray(a.shape[:-1], dtype), ShapedArray(a.shape, dtype)


def _eig_impl(a: Any) -> tuple:
    a = np.asarray(a)
    dtype = _complex_dtype(np.float64 if a.dtype.kind in "biu" else a.dtype)
    w, v = np.linalg.eig(a)
    return w.astype(dtype, copy=False), v.astype(dtype, copy=False)


eig_p = Primitive("eig", _eig_impl, multiple_results=True)
eig_p.abstract_eval = _eig_abstract_eval


def eig(a: Any) -> tuple[Any, Any]:
    """``(w, v)`` with ``a v = v diag(w)``; complex, unit-norm eigenvector columns."""
    return eig_p.bind(a)


def _eig_jvp(primals: Any, tangents: Any) -> Any:
    # K = V^-1 dA V: dw = diag(K); dv0 = V (F o K) with F_ij = 1/(w_j - w_i) (0 on the
    # diagonal); keeping the columns at unit norm: dv = dv0 - V diag(Re diag(V^H dv0))
    (a,), (t,) = primals, tangents
    w, v = eig(a)
    if type(t) is Zero:
        return (w, v), (Zero(w), Zero(v))
    k = solve(v, matmul(t, v))
    dw = _diag_part(k)
    dv0 = matmul(v, multiply(_eigh_gaps(w), k))
    dv = add(dv0, negative(multiply(v, _row(real_p.bind(_diag_part(matmul(_mH(v), dv0)))))))
    return (w, v), (_broadcast_like(dw, shape_of(w)), _broadcast_like(dv, shape_of(v)))


def _eig_vjp(g: Any, ans: Any, a: Any) -> Any:
    # transpose of _eig_jvp: G0 = gv - conj(V) diag(Re diag(V^T gv)),
    # G_K = diag(gw) + F o (V^T G0), a_bar = V^-T G_K V^T
    gw, gv = g
    w, v = ans
    gk = None
    if type(gv) is not Zero:
        d = real_p.bind(_diag_part(matmul(_mT(v), gv)))
        g0 = add(gv, negative(multiply(_conj(v), _row(d))))
        gk = multiply(_eigh_gaps(w), matmul(_mT(v), g0))
    if type(gw) is not Zero:
        term = _diag_embed(gw, v.dtype)
        gk = term if gk is None else add(gk, term)
    if gk is None:
        return (None,)
    ga = solve(_mT(v), matmul(gk, _mT(v)))
    if not _is_complex(a):
        ga = real_p.bind(ga)
    return (ga,)


eig_p.jvp = _eig_jvp
eig_p.vjp = _eig_vjp
eig_p.batch = batch_leading(eig_p, (2,))
