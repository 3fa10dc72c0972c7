"""The rest of NumPy's numeric namespace (issue 13, third batch): the bitwise ufuncs, bit
packing, shape and conversion utilities, ``roots``, ``apply_over_axes`` and NumPy's in-place
mutators (``copyto``, ``put``, ``putmask``, ``place``, ``fill_diagonal``).

The bitwise ufuncs are elementwise primitives (``prims/elementwise.py``) with no derivative; bit
packing is a composite of them, so it works under ``jit`` and ``vmap`` too.

The mutators modify a plain ``numpy.ndarray`` in place exactly like NumPy. Inside a transform, an
array created by ``fluxion.numpy`` (``zeros``, ``ones``, ``full``, ``array``...) is a traced
value that accepts item assignment (``y[i] = v`` rebinds it functionally); the mutators are
expressed as that same item assignment, so derivatives flow to the written values and to the
entries left untouched. Writing a traced value into a plain NumPy array is an error that names
the fix, as plain item assignment does. Traced values have no views: mutating
``y.reshape(...)`` or ``y.T`` inside a transform changes that new value, not ``y``.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..core import ConcretizationError, Tracer, _state, run_at
from ..prims import elementwise as ew
from ..prims._helpers import shape_of
from . import core as fnp
from . import extra as fex
from . import linalg as fla

ArrayLike = Any
Array = Any

__all__: list[str] = []


def _export(fn: Any) -> Any:
    __all__.append(fn.__name__)
    return fn


def _dtype(x: Any) -> np.dtype:
    dtype = getattr(x, "dtype", None)  # tracers and arrays of every device have one
    return np.asarray(x).dtype if dtype is None else np.dtype(dtype)


def _describe(x: Any) -> str:
    if isinstance(x, Tracer):
        return f"traced {x.aval}"
    arr = np.asarray(x)
    return f"{type(x).__name__} of dtype {arr.dtype} and shape {arr.shape}"


def _size(x: Any) -> int:
    return int(np.prod(shape_of(x), dtype=np.int64))


# --------------------------------------------------------------------------------------------
# Bitwise and other integer ufuncs (integers and booleans; no derivative)
# --------------------------------------------------------------------------------------------

_BITWISE_NOTES = """
Notes
-----
Integer and boolean inputs only (NumPy raises for floating inputs, and so does this function).
The result is piecewise constant: it carries no derivative, and works on traced integer values
under every transform (``grad``, ``vmap``, ``jit``)."""


def _bitwise(name: str, prim: Any, summary: str, target: str) -> Any:
    ufunc = ew.UFUNC_OF[prim]
    nin = ufunc.nin

    def fn(*args: ArrayLike) -> Array:
        if len(args) != nin:
            raise TypeError(
                f"fluxion.numpy.{name}: expected {nin} array argument(s), got {len(args)}"
            )
        if _state.trace is None:
            try:
                return ufunc(*args)
            except TypeError as err:
                got = ", ".join(_describe(a) for a in args)
                raise TypeError(
                    f"fluxion.numpy.{name}: expected integer or boolean inputs, got {got} "
                    f"({err})"
                ) from None
        return prim.bind(*args)

    fn.__name__ = fn.__qualname__ = name
    params = "x : array_like\n    Integer or boolean input, any shape." if nin == 1 else (
        "x1, x2 : array_like\n    Integer or boolean inputs; their shapes must broadcast "
        "together."
    )
    shape = "Same shape as ``x``" if nin == 1 else "The broadcast shape of ``x1`` and ``x2``"
    fn.__doc__ = (
        f"{summary}\n\nMatches ``numpy.{target}`` (dtype promotion included); not "
        f"differentiable.\n\nParameters\n----------\n{params}\n\nReturns\n-------\nArray\n    "
        f"{shape}.\n{_BITWISE_NOTES}\n"
    )
    __all__.append(name)
    return fn


bitwise_and = _bitwise("bitwise_and", ew.bitwise_and_p, "Bitwise AND, elementwise.",
                       "bitwise_and")
bitwise_or = _bitwise("bitwise_or", ew.bitwise_or_p, "Bitwise OR, elementwise.", "bitwise_or")
bitwise_xor = _bitwise("bitwise_xor", ew.bitwise_xor_p, "Bitwise XOR, elementwise.",
                       "bitwise_xor")
left_shift = _bitwise("left_shift", ew.left_shift_p, "Shift the bits of x1 left by x2.",
                      "left_shift")
right_shift = _bitwise("right_shift", ew.right_shift_p, "Shift the bits of x1 right by x2.",
                       "right_shift")
bitwise_left_shift = _bitwise("bitwise_left_shift", ew.left_shift_p,
                              "Shift the bits of x1 left by x2 (array-API name).", "left_shift")
bitwise_right_shift = _bitwise("bitwise_right_shift", ew.right_shift_p,
                               "Shift the bits of x1 right by x2 (array-API name).",
                               "right_shift")
bitwise_not = _bitwise("bitwise_not", ew.invert_p, "Bitwise NOT (``~x``), elementwise.", "invert")
bitwise_invert = _bitwise("bitwise_invert", ew.invert_p,
                          "Bitwise NOT (``~x``), elementwise (array-API name).", "invert")
bitwise_count = _bitwise("bitwise_count", ew.bitwise_count_p,
                         "Number of 1 bits in the absolute value of x (uint8).", "bitwise_count")

gcd = _bitwise("gcd", ew.gcd_p, "Greatest common divisor of |x1| and |x2|, elementwise.", "gcd")
lcm = _bitwise("lcm", ew.lcm_p, "Least common multiple of |x1| and |x2|, elementwise.", "lcm")


def _check_bitorder(name: str, bitorder: str) -> None:
    if bitorder not in ("big", "little"):
        raise ValueError(
            f"fluxion.numpy.{name}: expected bitorder 'big' or 'little', got {bitorder!r}"
        )


def _bit_axis(name: str, a: Any, axis: Any) -> tuple[Any, int]:
    """``a`` flattened (axis None) or with ``axis`` normalised."""
    if axis is None:
        return fnp.ravel(a), 0
    ndim = len(shape_of(a))
    if not isinstance(axis, int | np.integer) or not -ndim <= axis < ndim:
        raise ValueError(
            f"fluxion.numpy.{name}: expected an integer axis in [{-ndim}, {ndim}) for an "
            f"array of shape {shape_of(a)}, got {axis!r}"
        )
    return a, int(axis) % ndim


@_export
def packbits(a: ArrayLike, axis: int | None = None, bitorder: str = "big") -> Array:
    """Pack the elements of a binary-valued array into bits of ``uint8`` bytes.

    Matches ``numpy.packbits``; not differentiable (integer output). Non-zero entries are 1
    bits; each run of 8 along ``axis`` becomes one byte, the last one padded with zero bits.

    Parameters
    ----------
    a : array_like of integer or bool
        Any shape.
    axis : int, optional
        The axis to pack along; by default the flattened array.
    bitorder : {'big', 'little'}, optional
        Whether the first element is the most (``'big'``) or least significant bit.

    Returns
    -------
    Array of uint8
        Shape of ``a`` with ``axis`` of length ``ceil(n / 8)`` (1-D of that length when
        ``axis`` is None).

    Raises
    ------
    TypeError
        For floating or complex ``a``.
    """
    _check_bitorder("packbits", bitorder)
    if _dtype(a).kind not in "biu":
        raise TypeError(
            f"fluxion.numpy.packbits: expected an integer or boolean array, got {_describe(a)}"
        )
    a, axis_in = fnp.asarray(a), axis
    a, axis = _bit_axis("packbits", a, axis)
    if _state.trace is None:
        return np.packbits(np.asarray(a), axis=None if axis_in is None else axis,
                           bitorder=bitorder)
    bits = fnp.moveaxis(fnp.not_equal(a, 0), axis, -1)
    n = shape_of(bits)[-1]
    pad = (-n) % 8
    if pad:
        widths = [(0, 0)] * (len(shape_of(bits)) - 1) + [(0, pad)]
        bits = fnp.pad(bits, widths)
    grouped = fnp.reshape(bits, shape_of(bits)[:-1] + ((n + pad) // 8, 8))
    weights = np.left_shift(np.uint8(1), np.arange(8, dtype=np.uint8))
    if bitorder == "big":
        weights = weights[::-1].copy()
    # byte = sum_k bit_k * 2**position(k)
    packed = fnp.astype(fnp.sum(fnp.where(grouped, weights, np.uint8(0)), axis=-1), np.uint8)
    return fnp.moveaxis(packed, -1, axis)


@_export
def unpackbits(
    a: ArrayLike, axis: int | None = None, count: int | None = None, bitorder: str = "big"
) -> Array:
    """Unpack the bits of a ``uint8`` array into a binary-valued ``uint8`` array.

    Matches ``numpy.unpackbits``; not differentiable (integer output).

    Parameters
    ----------
    a : array_like of uint8
        Any shape.
    axis : int, optional
        The axis to unpack along; by default the flattened array.
    count : int, optional
        Keep this many bits along ``axis`` (more pads with zeros; negative drops ``-count``
        bits from the end); by default all ``8 * n``.
    bitorder : {'big', 'little'}, optional
        Bit order of each byte, as in :func:`packbits`.

    Returns
    -------
    Array of uint8
        Shape of ``a`` with ``axis`` of length ``8 * n`` (or as ``count`` says).

    Raises
    ------
    TypeError
        For an ``a`` that is not uint8.
    """
    _check_bitorder("unpackbits", bitorder)
    if _dtype(a) != np.uint8:
        raise TypeError(f"fluxion.numpy.unpackbits: expected a uint8 array, got {_describe(a)}")
    if count is not None and not isinstance(count, int | np.integer):
        raise TypeError(f"fluxion.numpy.unpackbits: expected an integer count, got {count!r}")
    a, axis_in = fnp.asarray(a), axis
    a, axis = _bit_axis("unpackbits", a, axis)
    if _state.trace is None:
        return np.unpackbits(np.asarray(a), axis=None if axis_in is None else axis, count=count,
                             bitorder=bitorder)
    last = fnp.moveaxis(a, axis, -1)
    shifts = np.arange(8, dtype=np.uint8)
    if bitorder == "big":
        shifts = shifts[::-1].copy()
    # bit k of byte b = (b >> shift_k) & 1
    bits = bitwise_and(right_shift(fnp.expand_dims(last, -1), shifts), np.uint8(1))
    lead = shape_of(last)[:-1]
    total = shape_of(last)[-1] * 8
    bits = fnp.reshape(bits, lead + (total,))
    if count is not None:
        keep = int(count) if count >= 0 else builtins.max(total + int(count), 0)
        if keep <= total:
            bits = bits[..., :keep]
        else:
            bits = fnp.pad(bits, [(0, 0)] * len(lead) + [(0, keep - total)])
    return fnp.moveaxis(bits, -1, axis)


# --------------------------------------------------------------------------------------------
# Shape and conversion utilities
# --------------------------------------------------------------------------------------------


@_export
def broadcast_shapes(*args: Any) -> tuple[int, ...]:
    """The shape that arrays of the given shapes broadcast to. Matches
    ``numpy.broadcast_shapes`` (a pure shape computation; works on traced shapes alike).

    Parameters
    ----------
    *args : tuple of int, or int
        The shapes.

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        When the shapes do not broadcast together.
    """
    shapes = []
    for s in args:
        if isinstance(s, int | np.integer):
            shapes.append((int(s),))
            continue
        try:
            shapes.append(tuple(int(d) for d in s))
        except TypeError:
            raise TypeError(
                f"fluxion.numpy.broadcast_shapes: expected shapes (tuples of int), got {s!r}"
            ) from None
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(
            f"fluxion.numpy.broadcast_shapes: shapes {', '.join(map(str, shapes))} do not "
            "broadcast together; expected sizes that are equal or 1 in each trailing dimension"
        ) from None


@_export
def asanyarray(a: ArrayLike, dtype: Any = None, order: Any = None) -> Array:
    """Convert to an array, passing ndarray subclasses through. Matches ``numpy.asanyarray``.

    Traced values stay traced (as :func:`fluxion.numpy.asarray`), so it is differentiable.

    Parameters
    ----------
    a : array_like
        Any shape.
    dtype : dtype, optional
        Cast to this dtype.
    order : {'C', 'F', 'A', 'K'}, optional
        Memory layout of a plain result.

    Returns
    -------
    Array
        The shape of ``a``.
    """
    if isinstance(a, np.ndarray) and not isinstance(a, Tracer) and _state.trace is None:
        return np.asanyarray(a, dtype=dtype, order=order)
    return fnp.asarray(a, dtype=dtype, order=order)


@_export
def asarray_chkfinite(a: ArrayLike, dtype: Any = None, order: Any = None) -> Array:
    """Convert to an array, raising if it contains NaN or infinity. Matches
    ``numpy.asarray_chkfinite``; differentiable (the identity).

    Parameters
    ----------
    a : array_like
        Any shape.
    dtype : dtype, optional
        Cast to this dtype.
    order : {'C', 'F', 'A', 'K'}, optional
        Memory layout of a plain result.

    Returns
    -------
    Array
        The shape of ``a``.

    Raises
    ------
    ValueError
        If ``a`` contains NaN or infinity.

    Notes
    -----
    A traced value is checked through its concrete value where one exists (under ``grad``,
    ``jvp``, ``vjp``); under ``jit`` and ``vmap`` the values are not known while tracing and
    the value passes through unchecked.
    """
    if not isinstance(a, Tracer) and not fnp._contains_tracer(a):
        arr = np.asarray_chkfinite(a, dtype=dtype, order=order)
        return fnp.asarray(arr) if _state.trace is not None else arr
    out = fnp.asarray(a, dtype=dtype)
    try:
        value = fex._concrete(out, "asarray_chkfinite", "a")
    except (ConcretizationError, NotImplementedError):
        return out  # values unknown while tracing (jit, vmap): pass through
    if value.dtype.kind in "fc" and not np.isfinite(value).all():
        raise ValueError("fluxion.numpy.asarray_chkfinite: array must not contain infs or NaNs")
    return out


def _shape_stand_in(x: Any) -> Any:
    """A zero-strided array with ``x``'s shape and dtype (einsum_path reads only shapes)."""
    if isinstance(x, Tracer):
        return np.broadcast_to(np.zeros((), x.dtype), x.shape)
    return x


@_export
def einsum_path(subscripts: Any, *operands: Any, optimize: Any = "greedy",
                einsum_call: bool = False) -> Any:
    """The contraction order ``numpy.einsum`` would use, from the operands' shapes.

    Delegates to ``numpy.einsum_path`` and returns its result unchanged; traced operands
    contribute their shapes only (so it works under every transform).

    Parameters
    ----------
    subscripts : str or array_like
        As for :func:`fluxion.numpy.einsum` (the sublist form passes operands and lists).
    *operands : array_like
        The operands.
    optimize : {bool, list, 'greedy', 'optimal'}, optional
        The path search, as for ``numpy.einsum_path``.

    Returns
    -------
    path : list
        ``['einsum_path', (i, j), ...]``: pass it as ``optimize=`` to ``einsum``.
    report : str
        NumPy's printable description of the path.
    """
    args = [_shape_stand_in(subscripts)] + [_shape_stand_in(o) for o in operands]
    try:
        return np.einsum_path(*args, optimize=optimize, einsum_call=einsum_call)
    except (ValueError, TypeError) as err:
        raise type(err)(f"fluxion.numpy.einsum_path: {err}") from None


@_export
def mask_indices(n: int, mask_func: Any, k: Any = 0) -> tuple:
    """Indices of the entries of an ``(n, n)`` array that ``mask_func`` keeps non-zero.

    Matches ``numpy.mask_indices``; not differentiable (integer indices).

    Parameters
    ----------
    n : int
        The side of the square array.
    mask_func : callable
        Called as ``mask_func(ones((n, n), int), k)``, e.g. ``numpy.triu`` or ``fnp.tril``.
    k : scalar, optional
        Passed to ``mask_func``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Row and column indices, each shape ``(m,)``.
    """
    if not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"fluxion.numpy.mask_indices: expected an integer n >= 0, got {n!r}")
    if not callable(mask_func):
        raise TypeError(
            f"fluxion.numpy.mask_indices: expected a callable mask_func, got {mask_func!r}"
        )
    with run_at(None):  # a function of a constant: evaluate it outside the transforms (jit)
        kept = mask_func(np.ones((n, n), int), k)
    kept = fex._concrete(kept, "mask_indices", "mask_func's result")
    return np.nonzero(kept != 0)


@_export
def apply_over_axes(func: Any, a: ArrayLike, axes: Any) -> Array:
    """Apply ``func(a, axis)`` over each of ``axes`` in turn, keeping the number of dimensions.

    Differentiable when ``func`` is; matches ``numpy.apply_over_axes``. After each call a
    result with one dimension less gets that axis back with length 1.

    Parameters
    ----------
    func : callable
        ``func(a, axis)`` returning an array of ``a``'s rank or one less (a reduction).
    a : array_like
        Any shape, rank ``N``.
    axes : int or sequence of int
        The axes, each in ``[-N, N)``.

    Returns
    -------
    Array
        Rank ``N``.

    Raises
    ------
    ValueError
        For an axis out of range, or a ``func`` whose result has another rank.
    """
    val = a if isinstance(a, Tracer) else fnp.asarray(a)
    ndim = len(shape_of(val))
    for axis in np.atleast_1d(np.asarray(axes)).tolist():
        if not isinstance(axis, int) or not -ndim <= axis < ndim:
            raise ValueError(
                f"fluxion.numpy.apply_over_axes: expected integer axes in [{-ndim}, {ndim}), "
                f"got {axes!r}"
            )
        axis = axis % ndim
        res = func(val, axis)
        rank = len(shape_of(res))
        if rank == ndim - 1:
            res = fnp.expand_dims(res, axis)
        elif rank != ndim:
            raise ValueError(
                "fluxion.numpy.apply_over_axes: func returned an array of shape "
                f"{shape_of(res)}; expected rank {ndim} or {ndim - 1} for input shape "
                f"{shape_of(val)}"
            )
        val = res
    return val


# --------------------------------------------------------------------------------------------
# Polynomial roots
# --------------------------------------------------------------------------------------------


@_export
def roots(p: ArrayLike) -> Array:
    """Roots of the polynomial ``p[0] x**(n-1) + ... + p[n-1]``.

    Differentiable (through :func:`fluxion.numpy.linalg.eigvals` of the companion matrix);
    matches ``numpy.roots``: leading zero coefficients are dropped, trailing ones give roots at
    zero, and the result is real when every root is real (complex otherwise).

    Parameters
    ----------
    p : array_like, shape ``(n,)``
        Coefficients, highest power first.

    Returns
    -------
    Array, shape ``(m,)``
        ``m`` is ``n - 1`` minus the number of leading zeros (0 for a constant).

    Raises
    ------
    ValueError
        If ``p`` is not 1-D.
    ConcretizationError
        Under ``jit``: the zero pattern of ``p`` decides the shape of the result.

    Notes
    -----
    The derivative of a repeated root is undefined (infinite): the eigenvalue derivative
    divides by the gap between eigenvalues.
    """
    shape = shape_of(p)
    if len(shape) != 1:
        raise ValueError(
            f"fluxion.numpy.roots: expected a 1-D array of coefficients, got shape {shape}"
        )
    value = fex._concrete(p, "roots", "p")
    nonzero = np.nonzero(value)[0]
    if len(nonzero) == 0:
        return np.array([])
    trailing = len(value) - int(nonzero[-1]) - 1
    p = p if isinstance(p, Tracer) else fnp.asarray(p)
    q = p[int(nonzero[0]):int(nonzero[-1]) + 1]
    if value.dtype.kind not in "fc":
        q = fnp.astype(q, np.float64)
    n = shape_of(q)[0]
    if n <= 1:
        return np.zeros(trailing)  # NumPy: no root but the trailing zeros, float64
    # companion matrix: first row -q[1:] / q[0], ones on the subdiagonal
    top = fnp.negative(fnp.true_divide(q[1:], q[0]))
    below = np.eye(n - 2, n - 1, dtype=_dtype(q))
    found = fla.eigvals(fnp.concatenate([fnp.expand_dims(top, 0), below], axis=0))
    if _dtype(q).kind == "f" and not np.any(fex._concrete(found, "roots", "the roots").imag):
        found = fnp.real(found)  # numpy.linalg.eigvals is real when every root is
    if trailing:
        found = fnp.concatenate([found, np.zeros(trailing, _dtype(found))])
    return found


# --------------------------------------------------------------------------------------------
# In-place mutators
# --------------------------------------------------------------------------------------------


def _is_traced_target(a: Any, name: str) -> bool:
    if isinstance(a, Tracer):
        return True
    if not isinstance(a, np.ndarray):
        raise TypeError(
            f"fluxion.numpy.{name}: expected a numpy.ndarray (or, inside a transform, an array "
            f"created by fluxion.numpy) to modify in place, got {type(a).__name__}"
        )
    return False


def _reject_traced_into_plain(name: str, a: np.ndarray, *values: Any) -> None:
    """The error plain item assignment gives for a traced value written into a NumPy array."""
    if builtins.any(isinstance(v, Tracer) or fnp._contains_tracer(v) for v in values):
        raise TypeError(
            f"fluxion.numpy.{name}: cannot write a traced value into a plain NumPy array "
            f"({a.dtype}{list(a.shape)}): it would lose its derivative. Create the array with "
            "fluxion.numpy.zeros / fnp.empty / fnp.ones / fnp.full / fnp.array inside the "
            "transformed function (it then accepts traced values), or use the functional "
            "update y = fnp.at(y)[i].set(v)"
        )


def _cycled(name: str, values: Any, n: int, dtype: np.dtype) -> Any:
    """``values`` flattened, repeated cyclically to length ``n`` and cast to ``dtype`` (how
    NumPy's put, place, putmask and flat assignment use a short value array)."""
    flat = fnp.ravel(fnp.asarray(values))
    size = shape_of(flat)[0]
    if size == 0:
        raise ValueError(f"fluxion.numpy.{name}: cannot insert from an empty array of values")
    if size != n:
        flat = flat[np.arange(n) % size]
    return flat if _dtype(flat) == dtype else fnp.astype(flat, dtype)


def _write_flat(a: Any, flat_index: np.ndarray, vals: Any) -> None:
    """``a.flat[flat_index] = vals`` on a traced ``a``, as item assignment (last write wins)."""
    shape = shape_of(a)
    if not shape:
        a[...] = vals[-1]
        return
    a[np.unravel_index(flat_index, shape)] = vals


@_export
def put(a: Any, ind: ArrayLike, v: ArrayLike, mode: str = "raise") -> None:
    """Replace ``a.flat[ind]`` by the values ``v``, in place. Matches ``numpy.put``.

    Differentiable on arrays created by ``fluxion.numpy`` inside a transform: derivatives flow
    to ``v`` and to the entries of ``a`` that are not replaced.

    Parameters
    ----------
    a : numpy.ndarray or traced array
        The target, any shape; modified in place.
    ind : array_like of int, shape ``(k,)`` (or any shape, flattened)
        Flat indices into ``a``; a repeated index keeps the last value written.
    v : array_like
        Values, flattened and repeated cyclically to ``k``; cast to ``a``'s dtype.
    mode : {'raise', 'wrap', 'clip'}, optional
        Out-of-range indices raise, wrap around, or clip to the ends.

    Returns
    -------
    None

    Raises
    ------
    IndexError
        For an out-of-range index with ``mode='raise'``.
    TypeError
        For a traced ``v`` written into a plain NumPy array (create ``a`` with
        ``fluxion.numpy.zeros`` etc. inside the transform, or use ``fnp.at``).
    """
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(
            f"fluxion.numpy.put: expected mode 'raise', 'wrap' or 'clip', got {mode!r}"
        )
    index = np.ravel(fex._concrete(ind, "put", "ind"))
    if index.size and index.dtype.kind not in "iu":
        raise TypeError(f"fluxion.numpy.put: expected integer indices, got dtype {index.dtype}")
    if not _is_traced_target(a, "put"):
        _reject_traced_into_plain("put", a, v)
        np.put(a, index, v, mode=mode)
        return
    n = _size(a)
    if _size(v) == 0 or index.size == 0:
        return  # NumPy writes nothing
    if mode == "wrap":
        index = index % n
    elif mode == "clip":
        index = np.clip(index, 0, n - 1)
    elif np.any((index < -n) | (index >= n)):
        bad = int(index[(index < -n) | (index >= n)][0])
        raise IndexError(
            f"fluxion.numpy.put: index {bad} is out of bounds for an array of size {n}"
        )
    _write_flat(a, index % n, _cycled("put", v, index.size, a.dtype))


def _same_size_mask(name: str, a: Any, mask: Any) -> Any:
    if _size(mask) != _size(a):
        raise ValueError(
            f"fluxion.numpy.{name}: mask and data must be the same size, got mask shape "
            f"{shape_of(mask)} for an array of shape {shape_of(a)}"
        )
    return fnp.reshape(mask, shape_of(a))


@_export
def putmask(a: Any, mask: ArrayLike, values: ArrayLike) -> None:
    """Set ``a.flat[n] = values[n % len(values)]`` where ``mask.flat[n]`` is true, in place.

    Matches ``numpy.putmask``. Differentiable on arrays created by ``fluxion.numpy`` inside a
    transform: derivatives flow to the used ``values`` and to the entries where ``mask`` is
    false.

    Parameters
    ----------
    a : numpy.ndarray or traced array
        The target, any shape; modified in place.
    mask : array_like of bool
        Same size as ``a``.
    values : array_like
        Flattened and repeated cyclically over the positions of ``a`` (not over the true
        entries: compare :func:`place`); cast to ``a``'s dtype.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        If ``mask`` and ``a`` differ in size.
    TypeError
        For a traced ``values`` written into a plain NumPy array.
    """
    if not _is_traced_target(a, "putmask"):
        _reject_traced_into_plain("putmask", a, values)
        m = fex._concrete(mask, "putmask", "mask")
        _same_size_mask("putmask", a, m)
        np.putmask(a, m, values)
        return
    m = fnp.astype(_same_size_mask("putmask", a, fnp.asarray(mask)), bool)
    if _size(values) == 0:
        return  # NumPy writes nothing
    full = fnp.reshape(_cycled("putmask", values, _size(a), a.dtype), shape_of(a))
    a[...] = fnp.where(m, full, a)


@_export
def place(arr: Any, mask: ArrayLike, vals: ArrayLike) -> None:
    """Set the entries of ``arr`` where ``mask`` is true to ``vals``, in order, in place.

    Matches ``numpy.place``: the k-th true entry gets ``vals[k % len(vals)]``. Differentiable
    on arrays created by ``fluxion.numpy`` inside a transform (derivatives flow to the used
    ``vals`` and to the entries where ``mask`` is false).

    Parameters
    ----------
    arr : numpy.ndarray or traced array
        The target, any shape; modified in place.
    mask : array_like of bool
        Same size as ``arr``; must be concrete (its count decides how ``vals`` is used).
    vals : array_like
        Values, flattened; cast to ``arr``'s dtype.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        If ``mask`` and ``arr`` differ in size, or ``vals`` is empty while ``mask`` has a true
        entry.
    TypeError
        For a traced ``vals`` written into a plain NumPy array.
    """
    traced = _is_traced_target(arr, "place")
    m = fex._concrete(mask, "place", "mask").astype(bool)
    m = np.reshape(_same_size_mask("place", arr, m), shape_of(arr))
    if not traced:
        _reject_traced_into_plain("place", arr, vals)
        np.place(arr, m, vals)
        return
    count = int(m.sum())
    if count == 0:
        return
    arr[m] = _cycled("place", vals, count, arr.dtype)


@_export
def fill_diagonal(a: Any, val: ArrayLike, wrap: bool = False) -> None:
    """Fill the main diagonal of ``a`` with ``val``, in place. Matches ``numpy.fill_diagonal``.

    Differentiable on arrays created by ``fluxion.numpy`` inside a transform: derivatives flow
    to ``val`` and to the off-diagonal entries.

    Parameters
    ----------
    a : numpy.ndarray or traced array, shape ``(n, m)`` or ``(n, n, ..., n)``
        The target, at least 2-D; all dimensions equal beyond 2-D. Modified in place.
    val : scalar or array_like
        Written along the diagonal, flattened and repeated cyclically; cast to ``a``'s dtype.
    wrap : bool, optional
        For a tall 2-D ``a``, restart the diagonal every ``m + 1`` rows (NumPy's wrap).

    Returns
    -------
    None

    Raises
    ------
    ValueError
        For ``a`` of rank below 2, or of rank above 2 with unequal dimensions.
    TypeError
        For a traced ``val`` written into a plain NumPy array.
    """
    traced = _is_traced_target(a, "fill_diagonal")
    shape = shape_of(a)
    if len(shape) < 2:
        raise ValueError(
            f"fluxion.numpy.fill_diagonal: expected an array of at least 2 dimensions, got "
            f"shape {shape}"
        )
    if len(shape) > 2 and len(set(shape)) != 1:
        raise ValueError(
            f"fluxion.numpy.fill_diagonal: expected all dimensions equal for an array of more "
            f"than 2 dimensions, got shape {shape}"
        )
    if not traced:
        _reject_traced_into_plain("fill_diagonal", a, val)
        np.fill_diagonal(a, val, wrap=wrap)
        return
    size = _size(a)
    if len(shape) == 2:
        step = shape[1] + 1
        end = size if wrap else shape[1] * shape[1]
    else:
        step = 1 + int(np.sum(np.cumprod(shape[:-1])))
        end = size
    index = np.arange(size)[:end:step]
    if index.size == 0:
        return
    _write_flat(a, index, _cycled("fill_diagonal", val, index.size, a.dtype))


def _can_cast(value: Any, to: np.dtype, casting: str) -> bool:
    if type(value) in (bool, int, float, complex):
        # Python scalars are weak (NumPy 2): only their kind counts
        order = "biufc"
        kind = {bool: "b", int: "i", float: "f", complex: "c"}[type(value)]
        if casting == "unsafe":
            return True
        if casting in ("same_kind", "safe"):
            return order.index(kind) <= order.index("i" if to.kind == "u" else to.kind)
        return False
    return bool(np.can_cast(_dtype(value), to, casting))


@_export
def copyto(dst: Any, src: ArrayLike, casting: str = "same_kind", where: ArrayLike = True) -> None:
    """Copy ``src`` into ``dst`` (broadcasting) where ``where`` is true, in place.

    Matches ``numpy.copyto``. Differentiable on arrays created by ``fluxion.numpy`` inside a
    transform: derivatives flow to ``src`` and to the entries of ``dst`` that ``where`` keeps.

    Parameters
    ----------
    dst : numpy.ndarray or traced array
        The target, any shape; modified in place.
    src : array_like
        Broadcastable to ``dst``'s shape.
    casting : {'no', 'equiv', 'safe', 'same_kind', 'unsafe'}, optional
        Which casts of ``src`` to ``dst``'s dtype are allowed.
    where : array_like of bool, optional
        Broadcastable to ``dst``'s shape; may be traced (on a traced ``dst``).

    Returns
    -------
    None

    Raises
    ------
    TypeError
        For a cast ``casting`` forbids, or a traced ``src`` written into a plain NumPy array.
    ValueError
        When ``src`` or ``where`` does not broadcast to ``dst``.
    """
    if casting not in ("no", "equiv", "safe", "same_kind", "unsafe"):
        raise ValueError(
            "fluxion.numpy.copyto: expected casting 'no', 'equiv', 'safe', 'same_kind' or "
            f"'unsafe', got {casting!r}"
        )
    if not _is_traced_target(dst, "copyto"):
        _reject_traced_into_plain("copyto", dst, src)
        if isinstance(where, Tracer):
            where = fex._concrete(where, "copyto", "where")
        np.copyto(dst, src, casting=casting, where=where)
        return
    if not _can_cast(src, dst.dtype, casting):
        raise TypeError(
            f"fluxion.numpy.copyto: cannot cast {_describe(src)} to {dst.dtype} according to "
            f"the rule {casting!r}"
        )
    shape = shape_of(dst)
    for what, x in (("src", src), ("where", where)):
        try:
            np.broadcast_shapes(shape_of(x), shape)
            ok = np.broadcast_shapes(shape_of(x), shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"fluxion.numpy.copyto: {what} of shape {shape_of(x)} does not broadcast to "
                f"dst's shape {shape}"
            )
    value = fnp.broadcast_to(fnp.astype(fnp.asarray(src), dst.dtype), shape)
    if not (where is True or (not isinstance(where, Tracer) and np.all(where))):
        value = fnp.where(where, value, dst)
    dst[...] = value


fnp.register_numpy_dispatch(
    globals(),
    [n for n in __all__ if getattr(np, n, None) not in fnp._FUNCTION_MAP
     and getattr(np, n, None) not in fnp._UFUNC_MAP],
)
