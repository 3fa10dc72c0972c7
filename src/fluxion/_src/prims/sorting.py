"""Sorting and searching: argsort and searchsorted (integer outputs: no derivative).

``sort`` is a composite in ``fluxion.numpy`` (a gather by ``argsort``), so its derivative is the
gather's: each output receives the derivative of the input element that landed there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import as_array, namespace_of
from ..core import Primitive, ShapedArray, nondiff_jvp, nondiff_vjp
from ._helpers import shape_of
from .batch_rules import batch_axis_param
from .indexing import concatenate, slice_along
from .shape import broadcast_to, moveaxis, reshape

__all__ = ["argsort_p", "argsort", "searchsorted_p", "searchsorted"]

# --------------------------------------------------------------------------------------------
# argsort (stable)
# --------------------------------------------------------------------------------------------


def _argsort_abstract_eval(aval: ShapedArray, *, axis: int) -> ShapedArray:
    if not 0 <= axis < max(aval.ndim, 1):
        raise ValueError(f"argsort: axis {axis} is out of bounds for {aval}")
    return ShapedArray(aval.shape, np.int64)


def _argsort_impl(x: Any, *, axis: int) -> Any:
    x = as_array(x)
    xp = namespace_of(x)
    if x.ndim == 0:
        return xp.zeros((), np.int64)
    # CuPy's argsort is always stable and takes no kind keyword
    if xp is np:
        return np.argsort(x, axis=axis, kind="stable").astype(np.int64)
    return xp.argsort(x, axis=axis).astype(np.int64)


argsort_p = Primitive("argsort", _argsort_impl)
argsort_p.abstract_eval = _argsort_abstract_eval
argsort_p.jvp = nondiff_jvp
argsort_p.vjp = nondiff_vjp
argsort_p.batch = batch_axis_param(argsort_p)


def argsort(x: Any, axis: int) -> Any:
    """Stable argsort along ``axis`` (a non-negative int)."""
    return argsort_p.bind(x, axis=axis % max(len(shape_of(x)), 1))


# --------------------------------------------------------------------------------------------
# searchsorted (1-D sorted sequence, values of any shape)
# --------------------------------------------------------------------------------------------


def _searchsorted_abstract_eval(a: ShapedArray, v: ShapedArray, *, side: str) -> ShapedArray:
    if a.ndim != 1:
        raise ValueError(f"searchsorted: expected a 1-D sorted sequence, got {a}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return ShapedArray(v.shape, np.int64)


searchsorted_p = Primitive(
    "searchsorted",
    lambda a, v, *, side: as_array(namespace_of(a, v).searchsorted(a, v, side=side), np.int64),
)
searchsorted_p.abstract_eval = _searchsorted_abstract_eval
searchsorted_p.jvp = nondiff_jvp
searchsorted_p.vjp = nondiff_vjp


def searchsorted(a: Any, v: Any, side: str = "left") -> Any:
    return searchsorted_p.bind(a, v, side=side)


def _searchsorted_batch(args: Any, dims: Any, *, axis_size: int, side: str) -> Any:
    (a, v), (da, dv) = args, dims
    if da is None:  # one sequence for every example: search all the values at once
        return searchsorted_p.bind(a, v, side=side), dv
    # one sequence per example: search each example's values in its own sequence
    a = moveaxis(a, da, 0)
    if dv is None:
        v = broadcast_to(reshape(v, (1,) + shape_of(v)), (axis_size,) + shape_of(v))
    else:
        v = moveaxis(v, dv, 0)
    outs = []
    for i in range(axis_size):
        ai = reshape(slice_along(a, 0, i, i + 1), shape_of(a)[1:])
        vi = slice_along(v, 0, i, i + 1)
        outs.append(searchsorted_p.bind(ai, vi, side=side))
    return concatenate(outs, 0), 0


searchsorted_p.batch = _searchsorted_batch
