"""Op-table rows for fluxion.numpy functions that were defined without a row (issue 13, coverage
batch b): creation and shape queries, NaN-ignoring order statistics, set and index helpers,
``unique*``, piecewise/select/put_along_axis, polynomial fitting, the ``linalg`` aliases; plus
differentiable rows for ``max``, ``vecdot``, ``angle`` and ``sort_complex`` (whose other rows take
integer or complex inputs only).

Every function is called as ``fnp.<name>`` inside the row's function, so the coverage script
(``tools/numpy_coverage.py``) sees the call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import fluxion.numpy as fnp
from optable import OpCase
from optable.rows_core import args, away, const, distinct, uniform

ROWS: list[OpCase] = []


def row(name, fn, ref, make, **kw):  # noqa: ANN001, ANN201, ANN003
    ROWS.append(OpCase(name=f"cb-{name}", fn=fn, ref=ref, make_args=make, **kw))


def _ints(shape: tuple, lo: int, hi: int) -> Any:
    return lambda rng: rng.integers(lo, hi, shape)


def _with_nan(maker: Any, where: Any) -> Any:
    """``maker``'s values with NaN at fixed positions."""

    def make(rng: np.random.Generator) -> np.ndarray:
        x = np.array(maker(rng))
        x[where] = np.nan
        return x

    return make


def _with_ties(shape: tuple) -> Any:
    """Values with repeated entries (ties for argmax, repeats for unique)."""
    return lambda rng: rng.integers(0, 3, shape).astype(np.float64)


def _complex(shape: tuple, lo: float = 0.5, hi: float = 1.0) -> Any:
    return uniform(shape, lo, hi, dtype=np.complex128)


def _parts(z: Any) -> tuple:
    """Real and imaginary parts (a real function of a complex result)."""
    return fnp.real(z), fnp.imag(z)


# Data-dependent output shapes (set helpers, unique, nonzero...) need concrete values: under jit
# they raise ConcretizationError (documented in each docstring), and vmap cannot stack results
# whose length differs between examples.
_DATA_SHAPE = "the output's shape depends on the input values (concrete values needed)"
CONCRETE = {c: _DATA_SHAPE for c in ("vmap_axis0", "vmap_axis1", "vmap_none", "jit", "tier1",
                                     "tape", "cupy")}
# real_if_close: whether the result is real (its dtype) depends on the values.
_CLOSE = "the result's dtype depends on the values (concrete values needed)"
CLOSE = {c: _CLOSE for c in ("vmap_axis0", "vmap_axis1", "vmap_none", "jit", "tier1", "tape",
                             "cupy")}
# Functions of shapes only (no array input): nothing to map or stage.
_NO_ARRAYS = "no array argument (a function of Python ints only)"
NO_ARRAYS = {c: _NO_ARRAYS for c in ("vmap_axis0", "vmap_axis1", "vmap_none")}
# Python-valued results (int, tuple, bool): not arrays, so not stacked by vmap or staged by jit.
_PY_RESULT = "returns a Python value (int/tuple/bool) read from the static shape or dtype"
PY_RESULT = {c: _PY_RESULT for c in ("vmap_axis0", "vmap_axis1", "vmap_none", "jit", "tier1",
                                     "tape", "cupy")}

# --------------------------------------------------------------------------------------------
# Creation: zeros, ones, *_like, tri, indices, logspace, meshgrid
# --------------------------------------------------------------------------------------------

row("zeros", lambda: fnp.zeros((2, 3)), lambda: np.zeros((2, 3)), lambda rng: (),
    nondiff=True, inapplicable=NO_ARRAYS)
row("zeros-int-empty", lambda: fnp.zeros((0, 2), dtype=np.int32),
    lambda: np.zeros((0, 2), dtype=np.int32), lambda rng: (), nondiff=True, inapplicable=NO_ARRAYS)
row("ones", lambda: fnp.ones(4), lambda: np.ones(4), lambda rng: (), nondiff=True,
    inapplicable=NO_ARRAYS)
row("ones-f32", lambda: fnp.ones((2, 2), dtype=np.float32),
    lambda: np.ones((2, 2), dtype=np.float32), lambda rng: (), nondiff=True, inapplicable=NO_ARRAYS)
row("zeros_like", fnp.zeros_like, np.zeros_like, args(uniform((2, 3))), nondiff=True)
row("zeros_like-dtype-shape", lambda x: fnp.zeros_like(x, dtype=np.int64, shape=(3,)),
    lambda x: np.zeros_like(x, dtype=np.int64, shape=(3,)), args(uniform((2, 3))), nondiff=True)
row("ones_like", fnp.ones_like, np.ones_like, args(uniform((2, 3))), nondiff=True)
row("ones_like-complex", fnp.ones_like, np.ones_like, args(_complex((3,))), nondiff=True)
row("ones_like-f32", lambda x: fnp.ones_like(x), lambda x: np.ones_like(x),
    args(uniform((4,), dtype=np.float32)), nondiff=True)
row("tri", lambda: fnp.tri(3, 4, 1), lambda: np.tri(3, 4, 1), lambda rng: (),
    nondiff=True, inapplicable=NO_ARRAYS)
row("tri-int-negk", lambda: fnp.tri(3, k=-1, dtype=int), lambda: np.tri(3, k=-1, dtype=int),
    lambda rng: (), nondiff=True, inapplicable=NO_ARRAYS)
row("indices", lambda: fnp.indices((2, 3)), lambda: np.indices((2, 3)), lambda rng: (),
    nondiff=True, inapplicable=NO_ARRAYS)
row("indices-sparse", lambda: fnp.indices((2, 3), sparse=True),
    lambda: np.indices((2, 3), sparse=True), lambda rng: (), nondiff=True, inapplicable=NO_ARRAYS)
row("logspace-traced", lambda a, b: fnp.logspace(a, b, 5), lambda a, b: np.logspace(a, b, 5),
    args(uniform((), -1.0, 0.0), uniform((), 0.5, 1.0)))
row("logspace-base-noendpoint", lambda a, b, base: fnp.logspace(a, b, 4, endpoint=False,
                                                                base=base),
    lambda a, b, base: np.logspace(a, b, 4, endpoint=False, base=base),
    args(uniform((), -1.0, 0.0), uniform((), 0.5, 1.0), uniform((), 1.5, 3.0)))
row("logspace-constant", lambda: fnp.logspace(0.0, 2.0, 3), lambda: np.logspace(0.0, 2.0, 3),
    lambda rng: (), inapplicable=NO_ARRAYS)
row("meshgrid-xy", lambda x, y: fnp.meshgrid(x, y), lambda x, y: np.meshgrid(x, y),
    args(uniform((3,)), uniform((2,))))
row("meshgrid-ij-3", lambda x, y, z: fnp.meshgrid(x, y, z, indexing="ij"),
    lambda x, y, z: np.meshgrid(x, y, z, indexing="ij"),
    args(uniform((2,)), uniform((3,)), uniform((2,))))
row("meshgrid-sparse", lambda x, y: fnp.meshgrid(x, y, sparse=True),
    lambda x, y: np.meshgrid(x, y, sparse=True), args(uniform((3,)), uniform((4,))))

# --------------------------------------------------------------------------------------------
# Shape queries and predicates (Python or boolean results)
# --------------------------------------------------------------------------------------------

row("ndim", fnp.ndim, np.ndim, args(uniform((2, 3))), nondiff=True, inapplicable=PY_RESULT)
row("ndim-scalar", fnp.ndim, np.ndim, args(uniform(())), nondiff=True, inapplicable=PY_RESULT)
row("shape", fnp.shape, np.shape, args(uniform((2, 3))), nondiff=True, inapplicable=PY_RESULT)
row("shape-empty", fnp.shape, np.shape, args(uniform((0, 3))), nondiff=True,
    inapplicable=PY_RESULT)
row("size", fnp.size, np.size, args(uniform((2, 3))), nondiff=True, inapplicable=PY_RESULT)
row("size-axis-neg", lambda x: fnp.size(x, -1), lambda x: np.size(x, -1), args(uniform((2, 3))),
    nondiff=True, inapplicable=PY_RESULT)
row("iscomplexobj-real", fnp.iscomplexobj, np.iscomplexobj, args(uniform((3,))), nondiff=True,
    inapplicable=PY_RESULT)
row("iscomplexobj-complex", fnp.iscomplexobj, np.iscomplexobj, args(_complex((3,))),
    nondiff=True, inapplicable=PY_RESULT)
row("isrealobj-real", fnp.isrealobj, np.isrealobj, args(uniform((3,))), nondiff=True,
    inapplicable=PY_RESULT)
row("isrealobj-complex", fnp.isrealobj, np.isrealobj, args(_complex((3,))), nondiff=True,
    inapplicable=PY_RESULT)
row("iscomplex-real", fnp.iscomplex, np.iscomplex, args(uniform((3,))), nondiff=True)
row("iscomplex-complex", fnp.iscomplex, np.iscomplex,
    args(lambda rng: np.array([1.0 + 0j, 2.0 + 1e-3j, -1j])), nondiff=True)
row("isreal-real", fnp.isreal, np.isreal, args(uniform((2, 2))), nondiff=True)
row("isreal-complex", fnp.isreal, np.isreal,
    args(lambda rng: np.array([1.0 + 0j, 2.0 + 1e-3j, -1j])), nondiff=True)
_INF = (np.array([0, 2]),)
_infs = args(lambda rng: np.concatenate([[np.inf], uniform((3,))(rng), [-np.inf]]))
row("isposinf", fnp.isposinf, np.isposinf, _infs, nondiff=True)
row("isneginf", fnp.isneginf, np.isneginf, _infs, nondiff=True)
row("isneginf-2d-nan", fnp.isneginf, np.isneginf,
    args(_with_nan(lambda rng: np.array([[-np.inf, 1.0], [2.0, np.inf]]), (0, 1))), nondiff=True)
row("isclose", fnp.isclose, np.isclose,
    args(uniform((4,)), lambda rng: np.array([0.0, 1e-9, 1e-3, 1.0])), nondiff=True)
row("isclose-nan-tol", lambda a, b: fnp.isclose(a, b, rtol=1e-3, atol=0.0, equal_nan=True),
    lambda a, b: np.isclose(a, b, rtol=1e-3, atol=0.0, equal_nan=True),
    args(const(np.array([np.nan, 1.0, 2.0, np.inf])), const(np.array([np.nan, 1.0005, 2.1,
                                                                      np.inf]))),
    nondiff=True)
row("isclose-complex-broadcast", fnp.isclose, np.isclose,
    args(_complex((2, 3)), const(np.complex128(0.75 + 0.75j))), nondiff=True)

# --------------------------------------------------------------------------------------------
# NaN-ignoring order statistics and percentile
# --------------------------------------------------------------------------------------------

_NAN2 = (np.array([0, 2]), np.array([1, 3]))
_nan_distinct = args(_with_nan(distinct((3, 5)), _NAN2))
row("nanmedian-axis1", lambda x: fnp.nanmedian(x, axis=1), lambda x: np.nanmedian(x, axis=1),
    _nan_distinct)
row("nanmedian-all", fnp.nanmedian, np.nanmedian, _nan_distinct)
row("nanmedian-keepdims-neg", lambda x: fnp.nanmedian(x, axis=-2, keepdims=True),
    lambda x: np.nanmedian(x, axis=-2, keepdims=True), _nan_distinct)
row("nanpercentile-q-array", lambda x: fnp.nanpercentile(x, [10.0, 50.0, 90.0], axis=1),
    lambda x: np.nanpercentile(x, [10.0, 50.0, 90.0], axis=1), _nan_distinct)
row("nanpercentile-midpoint", lambda x: fnp.nanpercentile(x, 30.0, axis=0, method="midpoint"),
    lambda x: np.nanpercentile(x, 30.0, axis=0, method="midpoint"), _nan_distinct)
row("nanquantile-q-array-keepdims",
    lambda x: fnp.nanquantile(x, np.array([0.25, 0.8]), axis=1, keepdims=True),
    lambda x: np.nanquantile(x, np.array([0.25, 0.8]), axis=1, keepdims=True), _nan_distinct)
row("nanquantile-nearest-all", lambda x: fnp.nanquantile(x, 0.4, method="nearest"),
    lambda x: np.nanquantile(x, 0.4, method="nearest"), _nan_distinct)
row("nanquantile-no-nan", lambda x: fnp.nanquantile(x, 0.3, axis=0),
    lambda x: np.nanquantile(x, 0.3, axis=0), args(distinct((4, 2))))
row("percentile-axis1", lambda x: fnp.percentile(x, 40.0, axis=1),
    lambda x: np.percentile(x, 40.0, axis=1), args(distinct((3, 5))))
row("percentile-q-array-all", lambda x: fnp.percentile(x, [5.0, 50.0, 95.0]),
    lambda x: np.percentile(x, [5.0, 50.0, 95.0]), args(distinct((3, 4))))
for _method in ("lower", "higher", "nearest", "midpoint"):
    row(f"percentile-{_method}",
        lambda x, _m=_method: fnp.percentile(x, 35.0, axis=-1, method=_m, keepdims=True),
        lambda x, _m=_method: np.percentile(x, 35.0, axis=-1, method=_m, keepdims=True),
        args(distinct((2, 5))))
row("nanargmax-axis1", lambda x: fnp.nanargmax(x, axis=1), lambda x: np.nanargmax(x, axis=1),
    _nan_distinct, nondiff=True)
row("nanargmax-ties-all", fnp.nanargmax, np.nanargmax,
    args(_with_nan(_with_ties((3, 4)), _NAN2)), nondiff=True)
row("nanargmax-keepdims-neg", lambda x: fnp.nanargmax(x, axis=-2, keepdims=True),
    lambda x: np.nanargmax(x, axis=-2, keepdims=True),
    args(_with_nan(_with_ties((3, 4)), _NAN2)), nondiff=True)
row("nanargmin-axis0", lambda x: fnp.nanargmin(x, axis=0), lambda x: np.nanargmin(x, axis=0),
    _nan_distinct, nondiff=True)
row("nanargmin-ties", lambda x: fnp.nanargmin(x, axis=1), lambda x: np.nanargmin(x, axis=1),
    args(_with_nan(_with_ties((3, 4)), _NAN2)), nondiff=True)

# --------------------------------------------------------------------------------------------
# Set helpers, unique, isin (data-dependent shapes: concrete values)
# --------------------------------------------------------------------------------------------

_rep = args(_with_ties((7,)), _with_ties((5,)))
_rep_int = args(_ints((7,), 0, 5), _ints((5,), 2, 8))
row("intersect1d", fnp.intersect1d, np.intersect1d, _rep, nondiff=True, inapplicable=CONCRETE)
row("intersect1d-indices",
    lambda a, b: fnp.intersect1d(a, b, return_indices=True),
    lambda a, b: np.intersect1d(a, b, return_indices=True), _rep_int, inapplicable=CONCRETE,
    nondiff=True)
row("intersect1d-empty", fnp.intersect1d, np.intersect1d,
    args(const(np.zeros(0)), uniform((3,))), nondiff=True, inapplicable=CONCRETE)
row("union1d", fnp.union1d, np.union1d, _rep, nondiff=True, inapplicable=CONCRETE)
row("union1d-2d-int", fnp.union1d, np.union1d, args(_ints((2, 3), 0, 5), _ints((4,), 2, 8)),
    inapplicable=CONCRETE, nondiff=True)
row("setdiff1d", fnp.setdiff1d, np.setdiff1d, _rep, nondiff=True, inapplicable=CONCRETE)
row("setdiff1d-assume_unique", lambda a, b: fnp.setdiff1d(a, b, assume_unique=True),
    lambda a, b: np.setdiff1d(a, b, assume_unique=True),
    args(const(np.array([3, 1, 4, 5])), const(np.array([4, 9]))), inapplicable=CONCRETE,
    nondiff=True)
row("setxor1d", fnp.setxor1d, np.setxor1d, _rep, nondiff=True, inapplicable=CONCRETE)
row("setxor1d-int", fnp.setxor1d, np.setxor1d, _rep_int, inapplicable=CONCRETE, nondiff=True)
row("isin", fnp.isin, np.isin, _rep, nondiff=True)
row("isin-invert-2d", lambda a, b: fnp.isin(a, b, invert=True),
    lambda a, b: np.isin(a, b, invert=True), args(_ints((2, 4), 0, 5), _ints((3,), 0, 5)),
    nondiff=True)
row("isin-complex", fnp.isin, np.isin,
    args(const(np.array([1j, 2.0, 3 + 1j])), const(np.array([2.0 + 0j, 1j]))), nondiff=True)
row("unique", fnp.unique, np.unique, args(_with_ties((3, 4))), nondiff=True,
    inapplicable=CONCRETE)
row("unique-return-all",
    lambda x: fnp.unique(x, return_index=True, return_inverse=True, return_counts=True),
    lambda x: np.unique(x, return_index=True, return_inverse=True, return_counts=True),
    args(_with_ties((8,))), nondiff=True, inapplicable=CONCRETE)
row("unique-axis0", lambda x: fnp.unique(x, axis=0, return_counts=True),
    lambda x: np.unique(x, axis=0, return_counts=True),
    args(const(np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 2.0]]))), nondiff=True,
    inapplicable=CONCRETE)
row("unique-empty", fnp.unique, np.unique, args(const(np.zeros(0))), nondiff=True,
    inapplicable=CONCRETE)
row("unique-complex", fnp.unique, np.unique,
    args(const(np.array([1j, 2.0, 1j, 0.0]))), nondiff=True, inapplicable=CONCRETE)
row("unique_values", fnp.unique_values, np.unique_values, args(_with_ties((3, 4))),
    nondiff=True, inapplicable=CONCRETE)
row("unique_counts", fnp.unique_counts, np.unique_counts, args(_with_ties((6,))),
    nondiff=True, inapplicable=CONCRETE)
row("unique_inverse", fnp.unique_inverse, np.unique_inverse, args(_with_ties((2, 3))),
    nondiff=True, inapplicable=CONCRETE)
row("unique_all", fnp.unique_all, np.unique_all, args(_ints((7,), 0, 4)), inapplicable=CONCRETE,
    nondiff=True)
row("unique_all-float", fnp.unique_all, np.unique_all, args(_with_ties((2, 3))), nondiff=True,
    inapplicable=CONCRETE)

# --------------------------------------------------------------------------------------------
# Index helpers
# --------------------------------------------------------------------------------------------

_z = np.array([0.0, 1.5, 0.0, -2.0, 0.0])
row("nonzero", fnp.nonzero, np.nonzero, args(lambda rng: uniform((5,))(rng) * (_z != 0)),
    nondiff=True, inapplicable=CONCRETE)
row("nonzero-2d-bool", fnp.nonzero, np.nonzero, args(lambda rng: rng.uniform(size=(3, 3)) > 0.5),
    inapplicable=CONCRETE, nondiff=True)
row("nonzero-empty", fnp.nonzero, np.nonzero, args(const(np.zeros((0, 2)))), nondiff=True,
    inapplicable=CONCRETE)
row("lexsort", lambda a, b: fnp.lexsort((a, b)), lambda a, b: np.lexsort((a, b)),
    args(distinct((6,)), _with_ties((6,))), nondiff=True)
row("lexsort-2d-axis0", lambda a, b: fnp.lexsort([a, b], axis=0),
    lambda a, b: np.lexsort([a, b], axis=0), args(_ints((4, 3), 0, 3), _ints((4, 3), 0, 2)),
    nondiff=True)
row("lexsort-array-keys", fnp.lexsort, np.lexsort, args(_with_ties((3, 5))), nondiff=True)
row("ix_", lambda a, b: fnp.ix_(a, b), lambda a, b: np.ix_(a, b),
    args(const(np.array([0, 2])), const(np.array([1, 0, 3]))), inapplicable=CONCRETE, nondiff=True)
row("ix_-bool", lambda m: fnp.ix_(m), lambda m: np.ix_(m),
    args(const(np.array([True, False, True]))), inapplicable=CONCRETE, nondiff=True)
_RAISE = "mode='raise' checks the bounds on concrete values (as in JAX); see the clip/wrap rows"
row("ravel_multi_index", lambda i, j: fnp.ravel_multi_index((i, j), (3, 4)),
    lambda i, j: np.ravel_multi_index((i, j), (3, 4)), args(_ints((5,), 0, 3), _ints((5,), 0, 4)),
    inapplicable={c: _RAISE for c in ("vmap_axis0", "vmap_axis1", "vmap_none", "jit", "tier1",
                                      "tape", "cupy")}, nondiff=True)
row("ravel_multi_index-wrap-clip", lambda i, j: fnp.ravel_multi_index((i, j), (3, 4),
                                                                       mode=("wrap", "clip")),
    lambda i, j: np.ravel_multi_index((i, j), (3, 4), mode=("wrap", "clip")),
    args(_ints((4,), -5, 7), _ints((4,), -2, 6)), nondiff=True)
row("ravel_multi_index-clip-F", lambda i, j: fnp.ravel_multi_index((i, j), (3, 4), mode="clip",
                                                                    order="F"),
    lambda i, j: np.ravel_multi_index((i, j), (3, 4), mode="clip", order="F"),
    args(_ints((2, 3), -2, 6), _ints((2, 3), 0, 6)), nondiff=True)
row("unravel_index", lambda i: fnp.unravel_index(i, (3, 4)),
    lambda i: np.unravel_index(i, (3, 4)), args(_ints((5,), 0, 12)), nondiff=True)
row("unravel_index-F-scalar", lambda i: fnp.unravel_index(i, (2, 3, 2), order="F"),
    lambda i: np.unravel_index(i, (2, 3, 2), order="F"), args(const(7)), nondiff=True)
row("tril_indices", lambda: fnp.tril_indices(3), lambda: np.tril_indices(3), lambda rng: (),
    nondiff=True, inapplicable=NO_ARRAYS)
row("tril_indices-k-m", lambda: fnp.tril_indices(3, -1, 4), lambda: np.tril_indices(3, -1, 4),
    lambda rng: (), nondiff=True, inapplicable=NO_ARRAYS)
row("triu_indices", lambda: fnp.triu_indices(4, 1), lambda: np.triu_indices(4, 1),
    lambda rng: (), nondiff=True, inapplicable=NO_ARRAYS)
row("triu_indices-m", lambda: fnp.triu_indices(2, 0, 3), lambda: np.triu_indices(2, 0, 3),
    lambda rng: (), nondiff=True, inapplicable=NO_ARRAYS)
row("tril_indices_from", fnp.tril_indices_from, np.tril_indices_from, args(uniform((3, 4))),
    nondiff=True)
row("tril_indices_from-k", lambda a: fnp.tril_indices_from(a, k=1),
    lambda a: np.tril_indices_from(a, k=1), args(uniform((3, 3))), nondiff=True)
row("triu_indices_from", fnp.triu_indices_from, np.triu_indices_from, args(uniform((4, 3))),
    nondiff=True)
row("triu_indices_from-k", lambda a: fnp.triu_indices_from(a, k=-1),
    lambda a: np.triu_indices_from(a, k=-1), args(uniform((3, 3))), nondiff=True)

# --------------------------------------------------------------------------------------------
# Differentiable composites
# --------------------------------------------------------------------------------------------

row("true_divide", fnp.true_divide, np.true_divide, args(uniform((2, 3)), away((3,))))
row("true_divide-scalar", lambda x: fnp.true_divide(x, 4.0), lambda x: np.true_divide(x, 4.0),
    args(uniform((3,))))
row("true_divide-int", fnp.true_divide, np.true_divide, args(_ints((3,), 0, 9), _ints((3,), 1, 5)))
row("true_divide-complex", fnp.true_divide, np.true_divide, args(_complex((3,)), _complex((3,))))
row("permute_dims", lambda x: fnp.permute_dims(x, (2, 0, 1)),
    lambda x: np.permute_dims(x, (2, 0, 1)), args(uniform((2, 3, 4))))
row("permute_dims-neg-axes", lambda x: fnp.permute_dims(x, (-1, 0, -2)),
    lambda x: np.permute_dims(x, (-1, 0, -2)), args(uniform((2, 3, 4))))
row("permute_dims-default", fnp.permute_dims, np.permute_dims, args(uniform((2, 3))))
row("row_stack", lambda a, b: fnp.row_stack([a, b]), lambda a, b: np.vstack([a, b]),
    args(uniform((3,)), uniform((2, 3))))
row("vsplit-sections", lambda a: fnp.vsplit(a, 2), lambda a: np.vsplit(a, 2),
    args(uniform((4, 3))))
row("vsplit-indices-3d", lambda a: fnp.vsplit(a, [1, 3]), lambda a: np.vsplit(a, [1, 3]),
    args(uniform((4, 2, 2))))
row("real_if_close-real", fnp.real_if_close, np.real_if_close, args(uniform((3,))))
row("real_if_close-tiny-imag", lambda a, b: fnp.real_if_close(a + 1j * (b * 1e-16)),
    lambda a, b: np.real_if_close(a + 1j * (b * 1e-16)), args(uniform((3,)), uniform((3,))),
    inapplicable=CLOSE)
row("real_if_close-keeps-complex", lambda a, b: _parts(fnp.real_if_close(a + 1j * b, tol=1000)),
    lambda a, b: _parts(np.real_if_close(a + 1j * b, tol=1000)),
    args(uniform((3,)), uniform((3,), 0.5, 1.0)),
    inapplicable=CLOSE)
_DTYPE_JUMP = ("perturbing the 1e-16 imaginary part past tol changes the result's dtype: "
               "finite differences are undefined here")
row("real_if_close-complex", fnp.real_if_close, np.real_if_close,
    args(const(np.array([1.0 + 1e-16j, 2.0]))),
    inapplicable={**CLOSE, **dict.fromkeys(("jvp", "vjp", "higher_order"), _DTYPE_JUMP)})
_M = np.array([[True, False, True], [False, False, True]])
row("select", lambda a, b: fnp.select([_M, ~_M], [a, b]), lambda a, b: np.select([_M, ~_M], [a, b]),
    args(uniform((2, 3)), uniform((2, 3))))
row("select-default-broadcast", lambda a, b, d: fnp.select([a > 0, b > 0.5], [a, b], default=d),
    lambda a, b, d: np.select([a > 0, b > 0.5], [a, b], default=d),
    args(away((2, 3)), uniform((3,), 0.6, 1.0), uniform(())))
row("piecewise", lambda x: fnp.piecewise(x, [x < 0, x >= 0], [lambda t: t**2, lambda t: 3 * t]),
    lambda x: np.piecewise(x, [x < 0, x >= 0], [lambda t: t**2, lambda t: 3 * t]),
    args(away((2, 3))))
row("piecewise-default-scalar",
    lambda x: fnp.piecewise(x, [x < -0.5, x > 0.5], [lambda t: fnp.sin(t), -1.0, lambda t: t]),
    lambda x: np.piecewise(x, [x < -0.5, x > 0.5], [lambda t: np.sin(t), -1.0, lambda t: t]),
    args(lambda rng: np.array([-1.2, -0.8, -0.1, 0.3, 0.9, 1.4]) + rng.uniform(0, 0.05, 6)))
row("piecewise-0d", lambda x: fnp.piecewise(x, [x > 0], [lambda t: fnp.exp(t)]),
    lambda x: np.piecewise(x, [x > 0], [lambda t: np.exp(t)]), args(away(())))
_X = np.linspace(-1.0, 1.0, 6)
row("polyfit-y", lambda y: fnp.polyfit(_X, y, 2), lambda y: np.polyfit(_X, y, 2),
    args(uniform((6,))))
row("polyfit-x-y-w", lambda x, y: fnp.polyfit(x, y, 1, w=np.linspace(0.5, 1.5, 5)),
    lambda x, y: np.polyfit(x, y, 1, w=np.linspace(0.5, 1.5, 5)),
    args(lambda rng: np.linspace(0.0, 2.0, 5) + rng.uniform(0, 0.1, 5), uniform((5,))))
row("polyfit-2d-y", lambda y: fnp.polyfit(_X, y, 1), lambda y: np.polyfit(_X, y, 1),
    args(uniform((6, 2))))
row("polysub", fnp.polysub, np.polysub, args(uniform((4,)), uniform((2,))))
row("polysub-shorter-first", fnp.polysub, np.polysub, args(uniform((2,)), uniform((3,))))
_IDX = np.array([[2, 0], [1, 3]])  # distinct per row: each value lands once
row("put_along_axis-axis1", lambda a, v: fnp.put_along_axis(a, _IDX, v, axis=1),
    lambda a, v: _put(a, _IDX, v, 1), args(uniform((2, 4)), uniform((2, 2))))
row("put_along_axis-broadcast-values", lambda a, v: fnp.put_along_axis(a, _IDX.T, v, axis=0),
    lambda a, v: _put(a, _IDX.T, v, 0), args(uniform((4, 2)), uniform(())))
row("put_along_axis-axis-none", lambda a, v: fnp.put_along_axis(a, np.array([5, 0]), v, None),
    lambda a, v: _put(a, np.array([5, 0]), v, None), args(uniform((2, 3)), uniform((2,))))
row("trim_zeros", lambda x: fnp.trim_zeros(x * np.array([0.0, 1, 0, 1, 0, 0])),
    lambda x: np.trim_zeros(x * np.array([0.0, 1, 0, 1, 0, 0])), args(away((6,))),
    inapplicable=CONCRETE)
# the zeros come from a fixed mask: central differences must not perturb them (that would
# change the trimmed length)
_F = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 0.0])
row("trim_zeros-f", lambda x: fnp.trim_zeros(x * _F, "f"), lambda x: np.trim_zeros(x * _F, "f"),
    args(away((6,))), inapplicable=CONCRETE)
_B2 = np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
row("trim_zeros-b-2d-axis", lambda x: fnp.trim_zeros(x * _B2, "b", axis=-1),
    lambda x: np.trim_zeros(x * _B2, "b", axis=-1), args(away((2, 4))), inapplicable=CONCRETE)
row("trim_zeros-all-zero", fnp.trim_zeros, np.trim_zeros, args(const(np.zeros(3))),
    nondiff=True, inapplicable=CONCRETE)

# linalg aliases
row("linalg.matmul", fnp.linalg.matmul, np.linalg.matmul, args(uniform((2, 3, 4)),
                                                                uniform((4, 2))))
row("linalg.matmul-vec", lambda a, b: fnp.linalg.matmul(a, b),
    lambda a, b: np.linalg.matmul(a, b), args(uniform((3,)), uniform((3, 2))))
row("linalg.matmul-complex", fnp.linalg.matmul, np.linalg.matmul,
    args(_complex((2, 3)), _complex((3, 2))))
row("linalg.matrix_transpose", fnp.linalg.matrix_transpose, np.linalg.matrix_transpose,
    args(uniform((2, 3, 4))))
row("linalg.outer", fnp.linalg.outer, np.linalg.outer, args(uniform((3,)), uniform((4,))))
row("linalg.outer-complex", fnp.linalg.outer, np.linalg.outer,
    args(_complex((2,)), _complex((3,))))
row("linalg.tensordot", lambda a, b: fnp.linalg.tensordot(a, b, axes=1),
    lambda a, b: np.linalg.tensordot(a, b, axes=1), args(uniform((2, 3)), uniform((3, 4))))
row("linalg.tensordot-default", lambda a, b: fnp.linalg.tensordot(a, b),
    lambda a, b: np.linalg.tensordot(a, b), args(uniform((2, 3, 4)), uniform((3, 4, 2))))
row("linalg.tensordot-pairs", lambda a, b: fnp.linalg.tensordot(a, b, axes=([0, 2], [1, 0])),
    lambda a, b: np.linalg.tensordot(a, b, axes=([0, 2], [1, 0])),
    args(uniform((2, 3, 4)), uniform((4, 2, 5))))

# --------------------------------------------------------------------------------------------
# Differentiable rows for functions whose other rows had integer or complex inputs only
# --------------------------------------------------------------------------------------------

row("max-axis1", lambda x: fnp.max(x, axis=1), lambda x: np.max(x, axis=1), args(distinct((3, 4))))
row("max-neg-axis-keepdims", lambda x: fnp.max(x, axis=-2, keepdims=True),
    lambda x: np.max(x, axis=-2, keepdims=True), args(distinct((3, 4))))
row("max-all", lambda x: fnp.max(x), lambda x: np.max(x), args(distinct((2, 3))))
row("vecdot", lambda a, b: fnp.vecdot(a, b), lambda a, b: np.vecdot(a, b),
    args(uniform((2, 3)), uniform((3,))))
row("vecdot-axis0", lambda a, b: fnp.vecdot(a, b, axis=0), lambda a, b: np.vecdot(a, b, axis=0),
    args(uniform((3, 2)), uniform((3, 2))))
# angle and sort_complex of z = a + ib: a real parameterisation, so every derivative column runs
# now (the complex rows below get their columns once the op table perturbs complex arguments).
row("angle-of-parts", lambda a, b: fnp.angle(a + 1j * b), lambda a, b: np.angle(a + 1j * b),
    args(away((4,)), away((4,))))
row("angle-deg-complex", lambda z: fnp.angle(z, deg=True), lambda z: np.angle(z, deg=True),
    args(lambda rng: rng.uniform(0.3, 1.0, (2, 2)) + 1j * rng.uniform(-1.0, 1.0, (2, 2))))
row("angle-real", fnp.angle, np.angle, args(away((4,))), nondiff=True)
row("sort_complex-of-parts", lambda a, b: _parts(fnp.sort_complex(a + 1j * b)),
    lambda a, b: _parts(np.sort_complex(a + 1j * b)), args(distinct((5,)), uniform((5,))))
row("sort_complex-real-ties", fnp.sort_complex, np.sort_complex,
    args(lambda rng: np.array([2.0, 1.0, 2.0, -1.0]) + 0j + 1j * rng.permutation(4)),
    inapplicable=dict.fromkeys(
        ("jvp", "vjp", "higher_order"),
        "tied real parts: any perturbation of them reorders the result (a jump)"))
row("sort_complex-real-input", fnp.sort_complex, np.sort_complex, args(distinct((4,))))


def _put(a: np.ndarray, idx: np.ndarray, v: Any, axis: Any) -> np.ndarray:
    out = np.array(a)
    np.put_along_axis(out, idx, v, axis)
    return out
