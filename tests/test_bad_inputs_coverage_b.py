"""Bad inputs for the functions of op-table batch ``cb-`` (``tests/optable/rows_coverage_b.py``):
one wrong shape, ndim, axis, dtype or keyword per function that takes array input, each raising an
error whose message names the function.

Not here, because NumPy accepts every input they can be given (they read only ``.dtype`` or the
shape of any object): ``iscomplexobj``, ``isrealobj``, ``ndim``, ``shape``. The creation functions
``zeros``, ``ones``, ``tri``, ``indices``, ``tril_indices``, ``triu_indices`` take no array.
"""

from __future__ import annotations

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src.core import ConcretizationError

X1 = np.linspace(0.1, 0.9, 3)
X2 = np.arange(6.0).reshape(2, 3)
X3 = np.ones((2, 3, 4))
MIXED = np.array([1, "a"], dtype=object)  # values that cannot be ordered
RAGGED = [[1.0], [1.0, 2.0]]

CASES = [
    ("intersect1d", lambda: fnp.intersect1d(MIXED, X1), TypeError),
    ("union1d", lambda: fnp.union1d(MIXED, X1), TypeError),
    ("setdiff1d", lambda: fnp.setdiff1d(MIXED, X1), TypeError),
    ("setxor1d", lambda: fnp.setxor1d(MIXED, X1), TypeError),
    ("isin", lambda: fnp.isin(X1, X1, kind="bogus"), ValueError),
    ("isclose", lambda: fnp.isclose(X2, np.ones(4)), ValueError),
    ("iscomplex", lambda: fnp.iscomplex(RAGGED), ValueError),
    ("isreal", lambda: fnp.isreal(RAGGED), ValueError),
    ("isneginf", lambda: fnp.isneginf(np.array([1j])), TypeError),
    ("isposinf", lambda: fnp.isposinf(np.array([1j])), TypeError),
    ("ix_", lambda: fnp.ix_(X2), ValueError),
    ("lexsort", lambda: fnp.lexsort((X1, np.ones(4))), ValueError),
    ("logspace", lambda: fnp.logspace(np.ones(2), 2.0, 3, axis=5), ValueError),
    ("meshgrid", lambda: fnp.meshgrid(X1, X1, indexing="xz"), ValueError),
    ("nanargmax", lambda: fnp.nanargmax(X2, axis=2), ValueError),
    ("nanargmin", lambda: fnp.nanargmin(X2, axis=-3), ValueError),
    ("nanmedian", lambda: fnp.nanmedian(X2, axis=2), ValueError),
    ("nanpercentile", lambda: fnp.nanpercentile(X2, 150.0), ValueError),
    ("nanquantile", lambda: fnp.nanquantile(X2, -0.1), ValueError),
    ("percentile", lambda: fnp.percentile(X2, 50.0, method="bogus"), NotImplementedError),
    ("nonzero", lambda: fnp.nonzero(np.float64(1.0)), ValueError),
    ("ones_like", lambda: fnp.ones_like(X2, shape=(-1, 2)), ValueError),
    ("zeros_like", lambda: fnp.zeros_like(X2, dtype="bogus"), TypeError),
    ("permute_dims", lambda: fnp.permute_dims(X2, (0, 0)), ValueError),
    ("piecewise", lambda: fnp.piecewise(X1, [X1 > 0], [1.0, 2.0, 3.0]), ValueError),
    ("polyfit", lambda: fnp.polyfit(X2, X2, 1), ValueError),
    ("polysub", lambda: fnp.polysub(X2, X1), ValueError),
    ("put_along_axis", lambda: fnp.put_along_axis(X2, np.array([0, 1]), 1.0, axis=1),
     ValueError),
    ("ravel_multi_index", lambda: fnp.ravel_multi_index((np.array([3]), np.array([0])), (3, 4)),
     ValueError),
    ("unravel_index", lambda: fnp.unravel_index(np.array([1.0]), (3, 4)), TypeError),
    ("real_if_close", lambda: fnp.real_if_close(X1, tol="big"), TypeError),
    ("row_stack", lambda: fnp.row_stack([X1, np.ones(4)]), ValueError),
    ("select", lambda: fnp.select([X1 > 0], [X1, X1]), ValueError),
    ("size", lambda: fnp.size(X2, 3), ValueError),
    ("tril_indices_from", lambda: fnp.tril_indices_from(X1), ValueError),
    ("triu_indices_from", lambda: fnp.triu_indices_from(X3), ValueError),
    ("trim_zeros", lambda: fnp.trim_zeros(X1, "x"), ValueError),
    ("true_divide", lambda: fnp.true_divide(X2, np.ones(4)), ValueError),
    ("unique", lambda: fnp.unique(X2, axis=3), ValueError),
    ("unique_all", lambda: fnp.unique_all(MIXED), TypeError),
    ("unique_counts", lambda: fnp.unique_counts(MIXED), TypeError),
    ("unique_inverse", lambda: fnp.unique_inverse(MIXED), TypeError),
    ("unique_values", lambda: fnp.unique_values(MIXED), TypeError),
    ("vsplit", lambda: fnp.vsplit(X1, 2), ValueError),
    ("matmul", lambda: fnp.linalg.matmul(X2, X2), ValueError),
    ("matrix_transpose", lambda: fnp.linalg.matrix_transpose(X1), ValueError),
    ("outer", lambda: fnp.linalg.outer(X2, X1), ValueError),
    ("tensordot", lambda: fnp.linalg.tensordot(X2, X2, axes=1), ValueError),
]


@pytest.mark.parametrize("name, call, exc", CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_function(name: str, call, exc: type) -> None:  # noqa: ANN001
    with pytest.raises(exc, match=rf"\b{name}\b"):
        call()


def test_unravel_index_out_of_bounds_names_the_function() -> None:
    with pytest.raises(ValueError, match="unravel_index.*out of bounds"):
        fnp.unravel_index(np.array([12]), (3, 4))


def test_ravel_multi_index_raise_mode_under_jit() -> None:
    """mode='raise' checks bounds on concrete values: under jit it says so (as JAX does)."""
    f = fluxion.jit(lambda i: fnp.ravel_multi_index((i, i), (3, 4)))
    with pytest.raises(ConcretizationError, match="ravel_multi_index"):
        f(np.array([0, 1]))


def test_nanargmax_all_nan_slice() -> None:
    with pytest.raises(ValueError, match="nanargmax: All-NaN slice"):
        fnp.nanargmax(np.array([[np.nan, 1.0], [np.nan, np.nan]]), axis=1)
