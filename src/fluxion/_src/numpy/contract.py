"""Contractions for ``fluxion.numpy``: dot, matmul, tensordot, einsum, outer, inner, vander.

Everything here is written on the ``matmul`` and ``einsum`` primitives plus the shape and
elementwise ones, so the composites need no derivative rules of their own. This module must not
import ``fluxion._src.numpy.core`` at import time (``core`` imports it).
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from ..backend import as_array
from ..core import Tracer
from ..prims import elementwise as ew
from ..prims import indexing as ix
from ..prims import linalg as la
from ..prims import reduce as rd
from ..prims import shape as sh
from ..prims._helpers import normalize_axis, shape_of

ArrayLike = Any
Array = Any

__all__ = [
    "matmul",
    "dot",
    "tensordot",
    "einsum",
    "outer",
    "inner",
    "vdot",
    "vander",
    "kron",
]


def _asarray(x: Any) -> Any:
    """Arrays and tracers pass through; lists and scalars become NumPy arrays."""
    if isinstance(x, Tracer) or isinstance(x, np.ndarray):
        return x
    return as_array(x)  # device arrays stay on their device


def _ndim(x: Any) -> int:
    return len(shape_of(x))


def _ravel(x: Any) -> Any:
    shape = shape_of(x)
    return sh.reshape(x, (int(np.prod(shape, dtype=np.int64)),))


def _reject(name: str, kwargs: dict) -> None:
    if kwargs.get("out") is not None:
        raise TypeError(
            f"fluxion.numpy.{name}: the out= argument is not supported (fluxion arrays are "
            f"values); assign the result instead: `y = np.{name}(...)`"
        )
    unknown = sorted(k for k, v in kwargs.items() if k != "out" and v is not None)
    if unknown:
        raise TypeError(f"fluxion.numpy.{name}: unsupported keyword(s) {unknown}")


# --------------------------------------------------------------------------------------------
# matmul, dot, tensordot
# --------------------------------------------------------------------------------------------


def matmul(x1: ArrayLike, x2: ArrayLike, /, out: Any = None, **kwargs: Any) -> Array:
    """Matrix product of two arrays.

    Differentiable; matches ``numpy.matmul``: 1-D operands are promoted to a row (``x1``) or a
    column (``x2``) and the added axis removed again; leading batch dimensions broadcast.

    Parameters
    ----------
    x1 : array_like, shape ``(..., n, k)`` or ``(k,)``
        Left operand.
    x2 : array_like, shape ``(..., k, m)`` or ``(k,)``
        Right operand.

    Returns
    -------
    Array, shape ``(..., n, m)``
        The broadcast batch shape followed by ``(n, m)``, minus the axes of 1-D operands.

    Raises
    ------
    ValueError
        For 0-d operands, mismatched inner dimensions or batch shapes that do not broadcast.

    Notes
    -----
    ``out``, ``dtype``, ``casting``, ``axes`` and the other ufunc keywords are not supported.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.numpy as fnp
    >>> fnp.matmul(np.ones((2, 3)), np.ones(3)).shape
    (2,)
    """
    _reject("matmul", dict(kwargs, out=out))
    return la.matmul(_asarray(x1), _asarray(x2))


def dot(a: ArrayLike, b: ArrayLike, out: Any = None) -> Array:
    """Dot product of two arrays.

    Differentiable; matches ``numpy.dot`` for every rank: scalars multiply, 1-D by 1-D is the
    inner product, 2-D by 2-D the matrix product, N-D by 1-D sums over the last axis of ``a``,
    and N-D by M-D (M >= 2) sums over the last axis of ``a`` and the second-to-last of ``b``.

    Parameters
    ----------
    a : array_like
        First operand.
    b : array_like
        Second operand.

    Returns
    -------
    Array, shape ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``
        (for ``b`` with at least two dimensions; see NumPy for the other cases).

    Notes
    -----
    ``out`` is not supported.
    """
    _reject("dot", {"out": out})
    a = _asarray(a)
    b = _asarray(b)
    if _ndim(a) == 0 or _ndim(b) == 0:
        return ew.multiply(a, b)
    if _ndim(b) == 1 or _ndim(a) == 1 or (_ndim(a) == 2 and _ndim(b) == 2):
        return la.matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


def _normalize_tensordot_axes(a: Any, b: Any, axes: Any) -> tuple[list[int], list[int]]:
    nd_a, nd_b = _ndim(a), _ndim(b)
    if isinstance(axes, int | np.integer):
        axes = int(axes)
        if axes < 0 or axes > min(nd_a, nd_b):
            raise ValueError(
                f"tensordot: expected 0 <= axes <= {min(nd_a, nd_b)} for operands of shapes "
                f"{shape_of(a)} and {shape_of(b)}, got axes={axes}"
            )
        a_axes = list(range(nd_a - axes, nd_a))
        b_axes = list(range(axes))
    else:
        try:
            a_axes, b_axes = axes
        except (TypeError, ValueError):
            raise TypeError(
                f"tensordot: expected axes as an int or a pair of sequences of ints, got {axes!r}"
            ) from None
        a_axes = [a_axes] if isinstance(a_axes, int | np.integer) else list(a_axes)
        b_axes = [b_axes] if isinstance(b_axes, int | np.integer) else list(b_axes)
        a_axes = [normalize_axis(i, nd_a, "tensordot") for i in a_axes]
        b_axes = [normalize_axis(i, nd_b, "tensordot") for i in b_axes]
    if len(a_axes) != len(b_axes):
        raise ValueError(
            f"tensordot: expected as many axes for a as for b, got {a_axes} and {b_axes}"
        )
    sa, sb = shape_of(a), shape_of(b)
    for i, j in zip(a_axes, b_axes):
        if sa[i] != sb[j]:
            raise ValueError(
                f"tensordot: shape mismatch for sum: axis {i} of a {sa} has size {sa[i]}, "
                f"axis {j} of b {sb} has size {sb[j]}"
            )
    return a_axes, b_axes


def tensordot(a: ArrayLike, b: ArrayLike, axes: Any = 2) -> Array:
    """Tensor dot product: sum products over the given axes of ``a`` and ``b``.

    Differentiable; matches ``numpy.tensordot``.

    Parameters
    ----------
    a, b : array_like
        The operands.
    axes : int or (sequence of int, sequence of int), optional
        An int ``N`` sums over the last ``N`` axes of ``a`` and the first ``N`` of ``b``; a
        pair lists the summed axes of ``a`` and of ``b`` in matching order. Default 2.

    Returns
    -------
    Array, shape ``free axes of a + free axes of b``

    Raises
    ------
    ValueError
        If the summed axes have different sizes.
    """
    a = _asarray(a)
    b = _asarray(b)
    a_axes, b_axes = _normalize_tensordot_axes(a, b, axes)
    sa, sb = shape_of(a), shape_of(b)
    a_free = [i for i in range(len(sa)) if i not in a_axes]
    b_free = [i for i in range(len(sb)) if i not in b_axes]
    k = int(np.prod([sa[i] for i in a_axes], dtype=np.int64))
    m = int(np.prod([sa[i] for i in a_free], dtype=np.int64))
    n = int(np.prod([sb[i] for i in b_free], dtype=np.int64))
    perm_a = a_free + a_axes
    perm_b = b_axes + b_free
    if perm_a != list(range(len(sa))):
        a = sh.transpose(a, tuple(perm_a))
    if perm_b != list(range(len(sb))):
        b = sh.transpose(b, tuple(perm_b))
    out = la.matmul(sh.reshape(a, (m, k)), sh.reshape(b, (k, n)))
    return sh.reshape(out, tuple(sa[i] for i in a_free) + tuple(sb[i] for i in b_free))


# --------------------------------------------------------------------------------------------
# einsum
# --------------------------------------------------------------------------------------------

_LETTERS = string.ascii_letters


def _sublist_to_str(sub: Any) -> str:
    out = []
    for item in sub:
        if item is Ellipsis:
            out.append("...")
        elif isinstance(item, int | np.integer) and 0 <= item < len(_LETTERS):
            out.append(_LETTERS[int(item)])
        else:
            raise ValueError(
                f"einsum: expected subscripts in a sublist as ints in [0, 52) or Ellipsis, "
                f"got {item!r}"
            )
    return "".join(out)


def _sublist_form(args: tuple) -> tuple[str, list]:
    """``einsum(op0, sub0, op1, sub1, ..., [sub_out])`` -> ``('...', [op0, op1, ...])``."""
    operands = list(args[0::2])
    subs = list(args[1::2])
    out = None
    if len(operands) > len(subs):
        out = operands.pop()
    text = ",".join(_sublist_to_str(s) for s in subs)
    if out is not None:
        text += "->" + _sublist_to_str(out)
    return text, operands


def parse_einsum(subscripts: str, shapes: list[tuple[int, ...]]) -> str:
    """Resolve ``'...'`` and an implicit output into explicit subscripts (``'ij,jk->ik'``)."""
    text = subscripts.replace(" ", "")
    if "->" in text:
        lhs, rhs = text.split("->", 1)
        if "->" in rhs:
            raise ValueError(f"einsum: more than one '->' in subscripts {subscripts!r}")
    else:
        lhs, rhs = text, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operands, got {len(shapes)}"
        )
    for term in terms + ([rhs] if rhs is not None else []):
        rest = term.replace("...", "")
        if "." in rest or any(c not in _LETTERS for c in rest):
            raise ValueError(
                f"einsum: invalid subscripts {subscripts!r}; expected letters, ',' , '->' "
                "and at most one '...' per operand"
            )
        if term.count("...") > 1:
            raise ValueError(f"einsum: more than one '...' in operand {term!r}")
    free = [c for c in _LETTERS if c not in text]
    ell_dims = []
    for term, shape in zip(terms, shapes):
        explicit = len(term.replace("...", ""))
        if "..." in term:
            if len(shape) < explicit:
                raise ValueError(
                    f"einsum: operand {term!r} needs at least {explicit} dimensions, got shape "
                    f"{shape}"
                )
            ell_dims.append(len(shape) - explicit)
        else:
            if len(shape) != explicit:
                raise ValueError(
                    f"einsum: operand {term!r} has {explicit} subscripts but the array has "
                    f"shape {shape}"
                )
            ell_dims.append(0)
    n_ell = max(ell_dims, default=0)
    if n_ell > len(free):
        raise ValueError("einsum: too many broadcast dimensions for the available labels")
    ell = "".join(free[:n_ell])
    resolved = [
        term.replace("...", ell[n_ell - e :]) if "..." in term else term
        for term, e in zip(terms, ell_dims)
    ]
    if rhs is None:
        counts: dict[str, int] = {}
        for term in resolved:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        singles = sorted(c for c, k in counts.items() if k == 1 and c not in ell)
        out = ell + "".join(singles)
    elif "..." in rhs:
        out = rhs.replace("...", ell)
    else:
        if n_ell:
            raise ValueError(
                f"einsum: output subscripts {rhs!r} have no '...' but the operands have "
                "broadcast dimensions; add '...' to the output"
            )
        out = rhs
    return ",".join(resolved) + "->" + out


def einsum(*operands: Any, out: Any = None, optimize: Any = False, **kwargs: Any) -> Array:
    """Evaluate the Einstein summation convention on the operands.

    Differentiable; matches ``numpy.einsum``: ``'...'`` broadcasting, implicit output (the
    labels used once, in alphabetical order), repeated labels (diagonals and traces) and the
    sublist form ``einsum(op0, [0, 1], op1, [1, 2])``.

    Parameters
    ----------
    subscripts : str
        Labels for each operand's axes separated by commas, optionally ``'->'`` and the output
        labels, e.g. ``'ij,jk->ik'``, ``'...ij,...jk'``, ``'ii'``.
    *operands : array_like
        The arrays; operand ``k`` has one axis per label of term ``k``.
    optimize : bool or str, optional
        Accepted and ignored (the contraction order is chosen internally).

    Returns
    -------
    Array
        One axis per output label, sized by the operands.

    Raises
    ------
    ValueError
        If the subscripts do not fit the operands.

    Notes
    -----
    ``out``, ``dtype``, ``order`` and ``casting`` are not supported.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.numpy as fnp
    >>> fnp.einsum("ij,j->i", np.eye(2), np.ones(2))
    array([1., 1.])
    """
    _reject("einsum", dict(kwargs, out=out))
    if not operands:
        raise TypeError("einsum: expected subscripts and at least one operand, got nothing")
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0], list(operands[1:])
    else:
        subscripts, arrays = _sublist_form(operands)
    if not arrays:
        raise ValueError("einsum: expected at least one operand")
    arrays = [_asarray(x) for x in arrays]
    explicit = parse_einsum(subscripts, [shape_of(x) for x in arrays])
    return la.einsum(explicit, *arrays)


# --------------------------------------------------------------------------------------------
# outer, inner, vdot, kron, vander
# --------------------------------------------------------------------------------------------


def outer(a: ArrayLike, b: ArrayLike, out: Any = None) -> Array:
    """Outer product of two vectors (inputs are flattened first).

    Differentiable; matches ``numpy.outer``.

    Parameters
    ----------
    a : array_like, shape ``(m,)`` after flattening
    b : array_like, shape ``(n,)`` after flattening

    Returns
    -------
    Array, shape ``(m, n)``
        ``out[i, j] = a[i] * b[j]``.
    """
    _reject("outer", {"out": out})
    a = _ravel(_asarray(a))
    b = _ravel(_asarray(b))
    return ew.multiply(sh.reshape(a, shape_of(a) + (1,)), sh.reshape(b, (1,) + shape_of(b)))


def inner(a: ArrayLike, b: ArrayLike, /) -> Array:
    """Inner product over the last axes.

    Differentiable; matches ``numpy.inner``.

    Parameters
    ----------
    a : array_like, shape ``(..., k)``
    b : array_like, shape ``(..., k)``

    Returns
    -------
    Array, shape ``a.shape[:-1] + b.shape[:-1]``
        A scalar when both are vectors; ``a * b`` when either is a scalar.
    """
    a = _asarray(a)
    b = _asarray(b)
    if _ndim(a) == 0 or _ndim(b) == 0:
        return ew.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def vdot(a: ArrayLike, b: ArrayLike, /) -> Array:
    """Dot product of the flattened inputs, conjugating the first.

    Differentiable; matches ``numpy.vdot``.

    Parameters
    ----------
    a, b : array_like
        Arrays with the same number of elements.

    Returns
    -------
    Array, shape ``()``
    """
    a = _ravel(_asarray(a))
    b = _ravel(_asarray(b))
    if a.dtype.kind == "c":
        a = ew.conj_p.bind(a)
    return la.matmul(a, b)


def kron(a: ArrayLike, b: ArrayLike) -> Array:
    """Kronecker product: blocks of ``b`` scaled by the entries of ``a``.

    Differentiable; matches ``numpy.kron``.

    Parameters
    ----------
    a : array_like, shape ``(p_1, ..., p_d)``
    b : array_like, shape ``(q_1, ..., q_d)``
        The shorter shape is padded with leading ones.

    Returns
    -------
    Array, shape ``(p_1 q_1, ..., p_d q_d)``
    """
    a = _asarray(a)
    b = _asarray(b)
    nd = max(_ndim(a), _ndim(b))
    sa = (1,) * (nd - _ndim(a)) + shape_of(a)
    sb = (1,) * (nd - _ndim(b)) + shape_of(b)
    a2 = sh.reshape(a, tuple(d for p in sa for d in (p, 1)))
    b2 = sh.reshape(b, tuple(d for q in sb for d in (1, q)))
    return sh.reshape(ew.multiply(a2, b2), tuple(p * q for p, q in zip(sa, sb)))


def vander(x: ArrayLike, N: int | None = None, increasing: bool = False) -> Array:  # noqa: N803
    """Vandermonde matrix: columns are powers of ``x``.

    Differentiable; matches ``numpy.vander``. Powers are running products, so the derivative
    at ``x = 0`` is exact (the constant column has derivative 0, never NaN).

    Parameters
    ----------
    x : array_like, shape ``(n,)``
        Input vector.
    N : int, optional
        Number of columns (default ``n``).
    increasing : bool, optional
        Powers increase left to right when True; default decreasing (``x**(N-1)`` first).

    Returns
    -------
    Array, shape ``(n, N)``
        ``out[:, j] = x ** (N - 1 - j)`` (or ``x ** j`` when increasing).

    Raises
    ------
    ValueError
        If ``x`` is not one-dimensional or ``N`` is negative.
    """
    x = _asarray(x)
    if _ndim(x) != 1:
        raise ValueError(f"vander: expected a 1-D array x, got shape {shape_of(x)}")
    n = shape_of(x)[0]
    cols = n if N is None else int(N)
    if cols < 0:
        raise ValueError(f"vander: expected N >= 0, got {N}")
    dtype = x.dtype
    if cols <= 1:
        return np.ones((n, cols), dtype=dtype)
    ones = np.ones((n, 1), dtype=dtype)
    # x**k for k = 1 .. N-1 as running products of x along the columns
    reps = sh.broadcast_to(sh.reshape(x, (n, 1)), (n, cols - 1))
    out = ix.concatenate([ones, rd.cumprod(reps, 1)], 1)
    if not increasing:
        out = sh.flip(out, (1,))
    return out
