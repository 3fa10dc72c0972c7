"""The shape rule and primitive factory shared by the special-function primitives that are not
plain ufuncs (``special_incomplete``, ``special_more``): elementwise with broadcasting, an
output dtype from a ``resolve`` function of the input dtypes, and the elementwise batch rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import as_array
from ..core import Primitive, ShapedArray
from ._helpers import dtype_for_promotion, fmt_avals
from .batch_rules import batch_elementwise


def broadcast_abstract_eval(name: str, resolve: Any) -> Any:
    """A shape rule: broadcasting, and the output dtype ``resolve(input dtypes)`` (which
    raises TypeError, or NumPy's no-loop error, when the inputs are refused)."""

    def abstract_eval(*avals: ShapedArray, **params: Any) -> ShapedArray:
        try:
            shape = np.broadcast_shapes(*(a.shape for a in avals))
        except ValueError:
            raise ValueError(
                f"{name}: operands could not be broadcast together, got {fmt_avals(avals)}"
            ) from None
        try:
            dtype = resolve(tuple(dtype_for_promotion(a) for a in avals))
        except (TypeError, np._core._exceptions._UFuncNoLoopError) as err:  # type: ignore[attr-defined]
            raise TypeError(f"{name}: not defined for inputs {fmt_avals(avals)} ({err})") from None
        return ShapedArray(shape, np.dtype(dtype), all(a.weak_type for a in avals))

    return abstract_eval


def real_float_dtype(nin: int) -> Any:
    """``resolve`` for NumPy-evaluated real functions of ``nin`` inputs: NumPy's promotion with
    at least float16 (so integers give float64); complex or non-numeric inputs are refused."""

    def resolve(dtypes: tuple) -> Any:
        if len(dtypes) != nin:
            raise TypeError(f"expected {nin} operands, got {len(dtypes)}")
        if any(np.dtype(d).kind not in "biuf" for d in dtypes):
            raise TypeError("expected real inputs")
        return np.result_type(*dtypes, np.float16)

    return resolve


def array_elementwise(
    name: str, impl: Any, resolve: Any, template: str | None = None, cast: bool = False
) -> Primitive:
    """An elementwise primitive with a hand-written NumPy ``impl`` on arrays; ``cast``: the
    result is cast to ``resolve``'s dtype of the inputs (for impls that compute in float64)."""
    if cast:
        compute = impl

        def impl(*args: Any, **params: Any) -> Any:
            dtype = resolve(tuple(np.result_type(x) for x in args))
            return as_array(compute(*args, **params)).astype(dtype, copy=False)

    prim = Primitive(name, impl)
    prim.abstract_eval = broadcast_abstract_eval(name, resolve)
    if template is not None:
        prim.templates["numpy"] = template
    prim.batch = batch_elementwise(prim)
    return prim
