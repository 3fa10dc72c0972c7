"""Shape and structure bijectors: ``Reshape``, ``Permute``, ``Transpose``, ``Cumsum``,
``SoftmaxCentered``, ``Ascending``, ``Split``, ``Concat``, ``Blockwise``, ``JointMap``.

``Split`` maps one array to a list of arrays, ``Concat`` the reverse, and ``JointMap`` a
structure (list, tuple or dict) of arrays to one of the same structure; their event ranks are
then structures too (TFP's convention), and their log-det-Jacobians are one number per batch
member, summed over the parts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import tree_util
from ..numpy import core as fnp
from ..scipy import special as fsp
from .core import (
    Array,
    ArrayLike,
    Bijector,
    Invert,
    Ordered,
    Shape,
    _as_float,
    _check_event_ndims,
    _check_rank,
    _Composite,
)

__all__ = [
    "Ascending",
    "Blockwise",
    "Concat",
    "Cumsum",
    "JointMap",
    "Permute",
    "Reshape",
    "SoftmaxCentered",
    "Split",
    "Transpose",
]


def _static_shape(who: str, arg: str, shape: Any, allow_unknown: bool) -> tuple[int, ...]:
    try:
        out = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: expected {arg} to be a sequence of ints, got {shape!r}") from None
    unknown = sum(1 for s in out if s == -1)
    if any(s < -1 for s in out) or unknown > (1 if allow_unknown else 0):
        allowed = "at most one -1 and non-negative sizes" if allow_unknown else "non-negative sizes"
        raise ValueError(f"{who}: expected {arg} with {allowed}, got {out}")
    return out


def _resolve(who: str, spec: Shape, size: int, arg: str) -> Shape:
    """``spec`` with its ``-1`` (if any) resolved so that the product is ``size``."""
    known = math.prod(s for s in spec if s != -1)
    if -1 in spec:
        if known == 0 or size % known:
            raise ValueError(f"{who}: cannot fit {size} elements into {arg}={spec}")
        return tuple(size // known if s == -1 else s for s in spec)
    if known != size:
        raise ValueError(f"{who}: expected {size} elements to fit {arg}={spec}, got {known}")
    return spec


def _match(who: str, spec: Shape, got: Shape, arg: str) -> None:
    if len(got) != len(spec) or any(s not in (-1, g) for s, g in zip(spec, got, strict=True)):
        raise ValueError(f"{who}: expected an event of shape {arg}={spec}, got {got}")


@tree_util.dataclass
class Reshape(Bijector):
    """Reshape the rightmost dimensions from ``event_shape_in`` to ``event_shape_out``.

    Either shape may contain one ``-1``, resolved from the number of elements. The map only
    rearranges entries: ``log|det J| = 0``.

    Parameters
    ----------
    event_shape_out : sequence of int
        The output event shape.
    event_shape_in : sequence of int, default (-1,)
        The input event shape (TFP's default: a vector of any length).

    Notes
    -----
    ``forward``: ``batch + event_shape_in`` to ``batch + event_shape_out``.

    Examples
    --------
    >>> Reshape((2, 3)).forward(np.arange(6.0)).shape
    (2, 3)
    """

    event_shape_out: tuple = tree_util.field(static=True)
    event_shape_in: tuple = tree_util.field(static=True, default=(-1,))

    is_constant_jacobian = True

    def __post_init__(self) -> None:
        out = _static_shape("Reshape", "event_shape_out", self.event_shape_out, True)
        inn = _static_shape("Reshape", "event_shape_in", self.event_shape_in, True)
        object.__setattr__(self, "event_shape_out", out)
        object.__setattr__(self, "event_shape_in", inn)

    @property
    def forward_min_event_ndims(self) -> int:  # type: ignore[override]
        return len(self.event_shape_in)

    @property
    def inverse_min_event_ndims(self) -> int:  # type: ignore[override]
        return len(self.event_shape_out)

    def _map(self, shape: Shape, src: Shape, dst: Shape, who: str, a: str, b: str) -> Shape:
        k = len(src)
        event = shape[len(shape) - k :]
        _match(who, src, event, a)
        return shape[: len(shape) - k] + _resolve(who, dst, math.prod(event), b)

    def _forward_event_shape(self, shape: Shape) -> Shape:
        return self._map(
            shape,
            self.event_shape_in,
            self.event_shape_out,
            "Reshape.forward_event_shape",
            "event_shape_in",
            "event_shape_out",
        )

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        return self._map(
            shape,
            self.event_shape_out,
            self.event_shape_in,
            "Reshape.inverse_event_shape",
            "event_shape_out",
            "event_shape_in",
        )

    def _forward(self, x: Array) -> Array:
        return fnp.reshape(x, self._forward_event_shape(fnp.shape(x)))

    def _inverse(self, y: Array) -> Array:
        return fnp.reshape(y, self._inverse_event_shape(fnp.shape(y)))

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        self._forward_event_shape(fnp.shape(x))
        return fnp.zeros((), dtype=x.dtype)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        self._inverse_event_shape(fnp.shape(y))
        return fnp.zeros((), dtype=y.dtype)


def _negative_axis(who: str, axis: Any) -> int:
    if not isinstance(axis, int | np.integer) or isinstance(axis, bool) or axis >= 0:
        raise ValueError(
            f"{who}: expected a negative axis (counted from the right, inside the event), got "
            f"{axis!r}"
        )
    return int(axis)


@tree_util.dataclass
class Permute(Bijector):
    """Permute entries along an axis: ``y[..., i] = x[..., permutation[i]]`` (TFP's).

    ``log|det J| = 0`` (a permutation matrix has determinant +-1).

    Parameters
    ----------
    permutation : sequence of int
        A permutation of ``0..n-1``.
    axis : int, default -1
        The (negative) axis permuted; ``forward_min_event_ndims == -axis``.

    Examples
    --------
    >>> Permute([2, 0, 1]).forward([10.0, 11.0, 12.0])
    array([12., 10., 11.])
    """

    permutation: tuple = tree_util.field(static=True)
    axis: int = tree_util.field(static=True, default=-1)

    is_constant_jacobian = True

    def __post_init__(self) -> None:
        perm = np.asarray(self.permutation)
        if (
            perm.ndim != 1
            or perm.dtype.kind not in "iu"
            or not np.array_equal(np.sort(perm), np.arange(perm.size))
        ):
            raise ValueError(
                f"Permute: expected a permutation of 0..n-1 (ints), got {self.permutation!r}"
            )
        object.__setattr__(self, "permutation", tuple(int(p) for p in perm))
        object.__setattr__(self, "axis", _negative_axis("Permute", self.axis))

    @property
    def forward_min_event_ndims(self) -> int:  # type: ignore[override]
        return -self.axis

    @property
    def inverse_min_event_ndims(self) -> int:  # type: ignore[override]
        return -self.axis

    def _check(self, who: str, x: Array) -> None:
        n = fnp.shape(x)[self.axis]
        if n != len(self.permutation):
            raise ValueError(
                f"{who}: expected size {len(self.permutation)} along axis {self.axis}, got "
                f"shape {fnp.shape(x)}"
            )

    def _forward(self, x: Array) -> Array:
        self._check("Permute.forward", x)
        return fnp.take(x, np.asarray(self.permutation), axis=self.axis)

    def _inverse(self, y: Array) -> Array:
        self._check("Permute.inverse", y)
        return fnp.take(y, np.argsort(self.permutation), axis=self.axis)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.zeros((), dtype=x.dtype)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return fnp.zeros((), dtype=y.dtype)


@tree_util.dataclass
class Transpose(Bijector):
    """Transpose the rightmost ``len(perm)`` dimensions by ``perm`` (TFP's ``Transpose``).

    ``log|det J| = 0``.

    Parameters
    ----------
    perm : sequence of int
        A permutation of ``0..k-1``, applied to the last ``k`` dimensions:
        ``y.shape[-k:] == tuple(x.shape[-k:][p] for p in perm)``.

    Examples
    --------
    >>> Transpose([1, 0]).forward(np.zeros((2, 3))).shape
    (3, 2)
    """

    perm: tuple = tree_util.field(static=True)

    is_constant_jacobian = True

    def __post_init__(self) -> None:
        perm = np.asarray(self.perm)
        if (
            perm.ndim != 1
            or perm.dtype.kind not in "iu"
            or not np.array_equal(np.sort(perm), np.arange(perm.size))
        ):
            raise ValueError(f"Transpose: expected a permutation of 0..k-1, got {self.perm!r}")
        object.__setattr__(self, "perm", tuple(int(p) for p in perm))

    @property
    def forward_min_event_ndims(self) -> int:  # type: ignore[override]
        return len(self.perm)

    @property
    def inverse_min_event_ndims(self) -> int:  # type: ignore[override]
        return len(self.perm)

    def _axes(self, ndim: int, perm: Sequence[int]) -> tuple[int, ...]:
        b = ndim - len(perm)
        return tuple(range(b)) + tuple(b + p for p in perm)

    def _forward(self, x: Array) -> Array:
        return fnp.transpose(x, self._axes(fnp.ndim(x), self.perm))

    def _inverse(self, y: Array) -> Array:
        return fnp.transpose(y, self._axes(fnp.ndim(y), tuple(np.argsort(self.perm))))

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.zeros((), dtype=x.dtype)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return fnp.zeros((), dtype=y.dtype)

    def _forward_event_shape(self, shape: Shape) -> Shape:
        k = len(self.perm)
        b = len(shape) - k
        return shape[:b] + tuple(shape[b + p] for p in self.perm)

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        k = len(self.perm)
        b = len(shape) - k
        inv = np.argsort(self.perm)
        return shape[:b] + tuple(shape[b + int(p)] for p in inv)


@tree_util.dataclass
class Cumsum(Bijector):
    """``y = cumsum(x, axis)``; the inverse takes differences (TFP's ``Cumsum``).

    The Jacobian is unit lower-triangular: ``log|det J| = 0``.

    Parameters
    ----------
    axis : int, default -1
        The (negative) axis summed along; ``forward_min_event_ndims == -axis``.

    Examples
    --------
    >>> Cumsum().forward([1.0, 2.0, 3.0])
    array([1., 3., 6.])
    """

    axis: int = tree_util.field(static=True, default=-1)

    is_constant_jacobian = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "axis", _negative_axis("Cumsum", self.axis))

    @property
    def forward_min_event_ndims(self) -> int:  # type: ignore[override]
        return -self.axis

    @property
    def inverse_min_event_ndims(self) -> int:  # type: ignore[override]
        return -self.axis

    def _forward(self, x: Array) -> Array:
        return fnp.cumsum(x, axis=self.axis)

    def _inverse(self, y: Array) -> Array:
        n = fnp.shape(y)[self.axis]
        head = fnp.take(y, np.arange(0, 1), axis=self.axis)
        diff = fnp.take(y, np.arange(1, n), axis=self.axis) - fnp.take(
            y, np.arange(0, n - 1), axis=self.axis
        )
        return fnp.concatenate([head, diff], axis=self.axis)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return fnp.zeros((), dtype=x.dtype)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return fnp.zeros((), dtype=y.dtype)


@tree_util.dataclass
class SoftmaxCentered(Bijector):
    """``R^(K-1)`` to the simplex in ``R^K``: ``y = softmax([x, 0])`` (TFP's).

    The last logit is pinned at 0, which makes the map a bijection. The Jacobian of the first
    ``K - 1`` outputs is ``diag(y') - y' y'^T`` with determinant ``prod_{k<=K} y_k``, so
    ``log|det J| = sum_k log y_k = sum(x) - K logsumexp([x, 0])``. The inverse is
    ``x_k = log y_k - log y_K``.

    Examples
    --------
    >>> SoftmaxCentered().forward([0.0, 0.0])
    array([0.33333333, 0.33333333, 0.33333333])
    """

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 1

    def _logits(self, x: Array) -> Array:
        zero = fnp.zeros(fnp.shape(x)[:-1] + (1,), dtype=x.dtype)
        return fnp.concatenate([x, zero], axis=-1)

    def _forward(self, x: Array) -> Array:
        z = self._logits(x)
        return fnp.exp(z - fsp.logsumexp(z, axis=-1, keepdims=True))

    def _inverse(self, y: Array) -> Array:
        log_y = fnp.log(y)
        return log_y[..., :-1] - log_y[..., -1:]

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        k = fnp.shape(x)[-1] + 1
        return fnp.sum(x, axis=-1) - k * fsp.logsumexp(self._logits(x), axis=-1)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        # exact on the simplex; the log(sum y) term extends it consistently off it
        k = fnp.shape(y)[-1]
        return -fnp.sum(fnp.log(y), axis=-1) + k * fnp.log(fnp.sum(y, axis=-1))

    def _forward_event_shape(self, shape: Shape) -> Shape:
        return shape[:-1] + (shape[-1] + 1,)

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        if shape[-1] < 1:
            raise ValueError(
                f"SoftmaxCentered.inverse_event_shape: expected a simplex of size >= 1, got {shape}"
            )
        return shape[:-1] + (shape[-1] - 1,)


@tree_util.dataclass
class Ascending(Ordered):
    """TFP's ``Ascending``: ``y_0 = x_0``, ``y_k = y_{k-1} + exp(x_k)`` (the same map as
    :class:`Ordered`, Stan's name for it).

    Examples
    --------
    >>> Ascending().forward([0.0, 0.0])
    array([0., 1.])
    """


# ---------------------------------------------------------------------------------------------
# Structured bijectors


def _split_sizes(who: str, spec: Any, n: int) -> tuple[int, ...]:
    """The sizes of the parts: ``spec`` an int (equal parts) or a sequence with one -1 allowed."""
    if isinstance(spec, int | np.integer) and not isinstance(spec, bool):
        k = int(spec)
        if k < 1 or n % k:
            raise ValueError(f"{who}: cannot split size {n} into {k} equal parts")
        return (n // k,) * k
    sizes = _static_shape(who, "num_or_size_splits", spec, True)
    known = sum(s for s in sizes if s != -1)
    if -1 in sizes:
        if known > n:
            raise ValueError(f"{who}: cannot split size {n} into num_or_size_splits={sizes}")
        return tuple(n - known if s == -1 else s for s in sizes)
    if known != n:
        raise ValueError(
            f"{who}: expected size {known} along the split axis (num_or_size_splits={sizes}), "
            f"got {n}"
        )
    return sizes


@tree_util.dataclass
class Split(Bijector):
    """One array to a list of arrays, split along ``axis`` (TFP's ``Split``).

    ``forward(x)`` returns a list; ``inverse`` concatenates a list back. ``log|det J| = 0``.
    The event ranks are ``-axis`` for the input and a list of ``-axis`` for the outputs.

    Parameters
    ----------
    num_or_size_splits : int or sequence of int
        The number of equal parts, or the size of each (one ``-1`` allowed, resolved from the
        input's size).
    axis : int, default -1
        The (negative) axis split.

    Examples
    --------
    >>> [p.shape for p in Split([1, -1]).forward(np.zeros(4))]
    [(1,), (3,)]
    """

    num_or_size_splits: Any = tree_util.field(static=True)
    axis: int = tree_util.field(static=True, default=-1)

    is_constant_jacobian = True

    def __post_init__(self) -> None:
        s = self.num_or_size_splits
        if not (isinstance(s, int | np.integer) and not isinstance(s, bool)):
            s = _static_shape("Split", "num_or_size_splits", s, True)
        elif int(s) < 1:
            raise ValueError(f"Split: expected a positive number of splits, got {s!r}")
        object.__setattr__(self, "num_or_size_splits", s)
        object.__setattr__(self, "axis", _negative_axis("Split", self.axis))

    def _count(self) -> int:
        s = self.num_or_size_splits
        return int(s) if isinstance(s, int | np.integer) else len(s)

    @property
    def forward_min_event_ndims(self) -> int:  # type: ignore[override]
        return -self.axis

    @property
    def inverse_min_event_ndims(self) -> list[int]:  # type: ignore[override]
        return [-self.axis] * self._count()

    def _sizes(self, who: str, n: int) -> tuple[int, ...]:
        return _split_sizes(who, self.num_or_size_splits, n)

    def forward(self, x: ArrayLike) -> list[Array]:
        x = _as_float(x)
        _check_rank("Split.forward", x, -self.axis, "x")
        sizes = self._sizes("Split.forward", fnp.shape(x)[self.axis])
        bounds = np.cumsum((0,) + sizes)
        return [
            fnp.take(x, np.arange(bounds[i], bounds[i + 1]), axis=self.axis)
            for i in range(len(sizes))
        ]

    def _parts(self, who: str, ys: Any) -> list[Array]:
        if not isinstance(ys, list | tuple) or len(ys) != self._count():
            raise ValueError(f"{who}: expected a list of {self._count()} arrays, got {ys!r:.80}")
        parts = [_as_float(y) for y in ys]
        for y in parts:
            _check_rank(who, y, -self.axis, "each part")
        return parts

    def inverse(self, y: Any) -> Array:
        parts = self._parts("Split.inverse", y)
        sizes = tuple(fnp.shape(p)[self.axis] for p in parts)
        self._sizes("Split.inverse", sum(sizes))
        if not isinstance(self.num_or_size_splits, int | np.integer):
            spec = self.num_or_size_splits
            _match("Split.inverse", spec, sizes, "num_or_size_splits")
        batch = np.broadcast_shapes(*[fnp.shape(p)[: fnp.ndim(p) + self.axis] for p in parts])
        parts = [
            fnp.broadcast_to(p, batch + fnp.shape(p)[fnp.ndim(p) + self.axis :]) for p in parts
        ]
        return fnp.concatenate(parts, axis=self.axis)

    def forward_log_det_jacobian(self, x: ArrayLike, event_ndims: int | None = None) -> Array:
        x = _as_float(x)
        rank = fnp.ndim(x)
        n = _check_event_ndims("Split.forward_log_det_jacobian", event_ndims, -self.axis, rank, "x")
        return fnp.zeros(fnp.shape(x)[: rank - n], dtype=x.dtype)

    def inverse_log_det_jacobian(self, y: Any, event_ndims: Any = None) -> Array:
        who = "Split.inverse_log_det_jacobian"
        parts = self._parts(who, y)
        if event_ndims is None or isinstance(event_ndims, int | np.integer):
            event_ndims = [event_ndims] * len(parts)
        if len(event_ndims) != len(parts) or len({e for e in event_ndims}) != 1:
            raise ValueError(f"{who}: expected one event_ndims for all parts, got {event_ndims}")
        batches = []
        for p, e in zip(parts, event_ndims, strict=True):
            n = _check_event_ndims(who, e, -self.axis, fnp.ndim(p), "each part")
            batches.append(fnp.shape(p)[: fnp.ndim(p) - n])
        return fnp.zeros(np.broadcast_shapes(*batches), dtype=parts[0].dtype)

    def forward_event_shape(self, shape: Sequence[int]) -> list[Shape]:  # type: ignore[override]
        shape = tuple(int(s) for s in shape)
        if len(shape) < -self.axis:
            raise ValueError(
                f"Split.forward_event_shape: expected rank >= {-self.axis}, got {shape}"
            )
        sizes = self._sizes("Split.forward_event_shape", shape[self.axis])
        ax = len(shape) + self.axis
        return [shape[:ax] + (s,) + shape[ax + 1 :] for s in sizes]

    def inverse_event_shape(self, shape: Any) -> Shape:  # type: ignore[override]
        shapes = [tuple(int(s) for s in sh) for sh in shape]
        if len(shapes) != self._count():
            raise ValueError(
                f"Split.inverse_event_shape: expected {self._count()} shapes, got {len(shapes)}"
            )
        ax = len(shapes[0]) + self.axis
        total = sum(sh[ax] for sh in shapes)
        return shapes[0][:ax] + (total,) + shapes[0][ax + 1 :]


@tree_util.dataclass
class Concat(_Composite):
    """A list of arrays to one array, concatenated along ``axis``: the inverse of :class:`Split`.

    Parameters
    ----------
    num_or_size_splits : int or sequence of int
        The sizes of the parts along ``axis`` (needed by ``inverse`` to cut the array again).
    axis : int, default -1

    Examples
    --------
    >>> Concat([1, 2]).forward([np.zeros(1), np.ones(2)])
    array([0., 1., 1.])
    """

    num_or_size_splits: Any = tree_util.field(static=True)
    axis: int = tree_util.field(static=True, default=-1)

    def __post_init__(self) -> None:
        Split(self.num_or_size_splits, self.axis)  # validates

    def _bijector(self) -> Bijector:
        return Invert(Split(self.num_or_size_splits, self.axis))


@tree_util.dataclass
class Blockwise(Bijector):
    """Apply ``bijectors[i]`` to block ``i`` of the last axis (TFP's ``Blockwise``).

    The input vector is cut into blocks of ``block_sizes`` (default: one entry each), each
    block goes through its bijector (which may change its length, e.g. :class:`StickBreaking`),
    and the results are concatenated. ``log|det J|`` is the sum of the blocks'.

    Parameters
    ----------
    bijectors : sequence of Bijector
        Each acting on scalars or vectors (``forward_min_event_ndims <= 1``).
    block_sizes : sequence of int, optional
        The input length of each block.

    Notes
    -----
    Shapes: ``batch + (sum(block_sizes),)`` to ``batch + (sum of output sizes,)``.

    Examples
    --------
    >>> from fluxion.bijectors import Exp, Identity
    >>> Blockwise([Exp(), Identity()], [1, 2]).forward([0.0, 5.0, 6.0])
    array([1., 5., 6.])
    """

    bijectors: tuple = ()
    block_sizes: Any = tree_util.field(static=True, default=None)

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 1

    def __post_init__(self) -> None:
        bs = tuple(self.bijectors)
        if not bs:
            raise ValueError("Blockwise: expected at least one bijector")
        for i, b in enumerate(bs):
            if not isinstance(b, Bijector):
                raise TypeError(f"Blockwise: expected Bijectors, got {type(b).__name__} at {i}")
            if b.forward_min_event_ndims > 1 or b.inverse_min_event_ndims > 1:
                raise ValueError(
                    f"Blockwise: bijector {i} ({b.name}) acts on events of rank > 1; expected "
                    "scalar or vector bijectors"
                )
        sizes = (1,) * len(bs) if self.block_sizes is None else self.block_sizes
        sizes = _static_shape("Blockwise", "block_sizes", sizes, False)
        if len(sizes) != len(bs):
            raise ValueError(
                f"Blockwise: expected {len(bs)} block sizes (one per bijector), got {len(sizes)}"
            )
        object.__setattr__(self, "bijectors", bs)
        object.__setattr__(self, "block_sizes", sizes)

    def _out_sizes(self) -> tuple[int, ...]:
        return tuple(
            b.forward_event_shape((s,))[-1]
            for b, s in zip(self.bijectors, self.block_sizes, strict=True)
        )

    def _cut(self, who: str, x: Array, sizes: Sequence[int]) -> list[Array]:
        if fnp.shape(x)[-1] != sum(sizes):
            raise ValueError(
                f"{who}: expected vectors of length {sum(sizes)} (blocks {tuple(sizes)}), got "
                f"shape {fnp.shape(x)}"
            )
        bounds = np.cumsum((0,) + tuple(sizes))
        return [x[..., bounds[i] : bounds[i + 1]] for i in range(len(sizes))]

    def _forward(self, x: Array) -> Array:
        parts = self._cut("Blockwise.forward", x, self.block_sizes)
        return fnp.concatenate(
            [b.forward(p) for b, p in zip(self.bijectors, parts, strict=True)], axis=-1
        )

    def _inverse(self, y: Array) -> Array:
        parts = self._cut("Blockwise.inverse", y, self._out_sizes())
        return fnp.concatenate(
            [b.inverse(p) for b, p in zip(self.bijectors, parts, strict=True)], axis=-1
        )

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        parts = self._cut("Blockwise.forward_log_det_jacobian", x, self.block_sizes)
        ldj = [b.forward_log_det_jacobian(p, 1) for b, p in zip(self.bijectors, parts, strict=True)]
        return sum(ldj[1:], ldj[0])

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        parts = self._cut("Blockwise.inverse_log_det_jacobian", y, self._out_sizes())
        ldj = [b.inverse_log_det_jacobian(p, 1) for b, p in zip(self.bijectors, parts, strict=True)]
        return sum(ldj[1:], ldj[0])

    def _forward_event_shape(self, shape: Shape) -> Shape:
        if shape[-1] != sum(self.block_sizes):
            raise ValueError(
                f"Blockwise.forward_event_shape: expected length {sum(self.block_sizes)}, got "
                f"{shape}"
            )
        return shape[:-1] + (sum(self._out_sizes()),)

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        if shape[-1] != sum(self._out_sizes()):
            raise ValueError(
                f"Blockwise.inverse_event_shape: expected length {sum(self._out_sizes())}, got "
                f"{shape}"
            )
        return shape[:-1] + (sum(self.block_sizes),)


def _is_bijector(b: Any) -> bool:
    return isinstance(b, Bijector)


def _is_shape(s: Any) -> bool:
    return isinstance(s, tuple | list) and all(
        isinstance(d, int | np.integer) and not isinstance(d, bool) for d in s
    )


@tree_util.dataclass
class JointMap(Bijector):
    """A structure of bijectors applied part by part to a structure of arrays (TFP's).

    ``JointMap({"a": Exp(), "b": Identity()}).forward({"a": xa, "b": xb}) ==
    {"a": exp(xa), "b": xb}``; lists and tuples work the same way. ``log|det J|`` is the sum
    of the parts', each reduced over its own event dimensions, so it has the broadcast batch
    shape of the parts.

    Parameters
    ----------
    bijectors : list, tuple or dict of Bijector (nested allowed)

    Notes
    -----
    ``forward_min_event_ndims`` and ``inverse_min_event_ndims`` are structures of ints, and
    ``event_ndims`` arguments may be such a structure (or None for the minima).

    Examples
    --------
    >>> from fluxion.bijectors import Exp, Shift
    >>> out = JointMap([Exp(), Shift(1.0)]).forward([0.0, 0.0])
    >>> [float(v) for v in out]
    [1.0, 1.0]
    """

    bijectors: Any

    def __post_init__(self) -> None:
        leaves, _ = tree_util.tree_flatten(self.bijectors, is_leaf=_is_bijector)
        bad = [type(b).__name__ for b in leaves if not isinstance(b, Bijector)]
        if bad or not leaves:
            raise TypeError(
                "JointMap: expected a non-empty list, tuple or dict of Bijectors, got "
                f"{bad[0] if bad else 'an empty structure'}"
            )

    def _flat(self) -> tuple[list[Bijector], Any]:
        return tree_util.tree_flatten(self.bijectors, is_leaf=_is_bijector)

    def _values(self, who: str, x: Any) -> list[Any]:
        bs, treedef = self._flat()
        leaves, xdef = tree_util.tree_flatten(x)
        if xdef != treedef:
            raise ValueError(
                f"{who}: expected values structured like the bijectors ({treedef}), got {xdef}"
            )
        return leaves

    def _event_ndims(self, who: str, event_ndims: Any, n: int) -> list[Any]:
        if event_ndims is None:
            return [None] * n
        _, treedef = self._flat()
        leaves, edef = tree_util.tree_flatten(event_ndims)
        if edef != treedef:
            raise ValueError(
                f"{who}: expected event_ndims structured like the bijectors ({treedef}), got "
                f"{event_ndims!r}"
            )
        return leaves

    @property
    def forward_min_event_ndims(self) -> Any:  # type: ignore[override]
        bs, treedef = self._flat()
        return tree_util.tree_unflatten(treedef, [b.forward_min_event_ndims for b in bs])

    @property
    def inverse_min_event_ndims(self) -> Any:  # type: ignore[override]
        bs, treedef = self._flat()
        return tree_util.tree_unflatten(treedef, [b.inverse_min_event_ndims for b in bs])

    @property
    def is_constant_jacobian(self) -> bool:  # type: ignore[override]
        return all(b.is_constant_jacobian for b in self._flat()[0])

    def forward(self, x: Any) -> Any:
        bs, treedef = self._flat()
        xs = self._values("JointMap.forward", x)
        return tree_util.tree_unflatten(
            treedef, [b.forward(v) for b, v in zip(bs, xs, strict=True)]
        )

    def inverse(self, y: Any) -> Any:
        bs, treedef = self._flat()
        ys = self._values("JointMap.inverse", y)
        return tree_util.tree_unflatten(
            treedef, [b.inverse(v) for b, v in zip(bs, ys, strict=True)]
        )

    def _ldj(self, who: str, x: Any, event_ndims: Any, forward: bool) -> Array:
        bs, _ = self._flat()
        xs = self._values(who, x)
        ens = self._event_ndims(who, event_ndims, len(bs))
        total = None
        for b, v, e in zip(bs, xs, ens, strict=True):
            part = b.forward_log_det_jacobian(v, e) if forward else b.inverse_log_det_jacobian(v, e)
            total = part if total is None else total + part
        return total

    def forward_log_det_jacobian(self, x: Any, event_ndims: Any = None) -> Array:
        return self._ldj("JointMap.forward_log_det_jacobian", x, event_ndims, True)

    def inverse_log_det_jacobian(self, y: Any, event_ndims: Any = None) -> Array:
        return self._ldj("JointMap.inverse_log_det_jacobian", y, event_ndims, False)

    def _shapes(self, who: str, shape: Any, forward: bool) -> Any:
        bs, treedef = self._flat()
        shapes, sdef = tree_util.tree_flatten(shape, is_leaf=_is_shape)
        if sdef != treedef:
            raise ValueError(f"{who}: expected shapes structured like the bijectors ({treedef})")
        out = [
            b.forward_event_shape(s) if forward else b.inverse_event_shape(s)
            for b, s in zip(bs, shapes, strict=True)
        ]
        return tree_util.tree_unflatten(treedef, out)

    def forward_event_shape(self, shape: Any) -> Any:
        return self._shapes("JointMap.forward_event_shape", shape, True)

    def inverse_event_shape(self, shape: Any) -> Any:
        return self._shapes("JointMap.inverse_event_shape", shape, False)
