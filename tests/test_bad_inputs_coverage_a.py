"""Bad inputs for the fluxion.numpy functions of op-table coverage batch A (``acos`` ...
``identity``, rows in ``tests/optable/rows_coverage_a.py``): one case per function that takes
array input. Each asserts an error of NumPy's class whose message names the function the user
called (not a helper deep inside, not a bare NumPy message) and says what was received.
"""

from __future__ import annotations

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src.core import ConcretizationError

X1 = np.arange(3.0)
X2 = np.ones((2, 3))
RAGGED = [[1.0, 2.0], [3.0]]
STRINGS = np.array(["a", "b"])


def _grad(f, x):
    return fluxion.grad(lambda v: fnp.sum(f(v)))(x)


# (function name, call, exception class, extra text the message must contain)
CASES = [
    ("acos", lambda: fnp.acos(STRINGS), TypeError, "arccos"),
    ("asin", lambda: fnp.asin(STRINGS), TypeError, "arcsin"),
    ("asinh", lambda: fnp.asinh(STRINGS), TypeError, "arcsinh"),
    ("atan", lambda: fnp.atan(STRINGS), TypeError, "arctan"),
    ("atanh", lambda: fnp.atanh(STRINGS), TypeError, "arctanh"),
    ("all", lambda: fnp.all(X2, axis=2), ValueError, "out of bounds"),
    ("any", lambda: fnp.any(X2, axis=-3), ValueError, "out of bounds"),
    ("allclose", lambda: fnp.allclose(np.ones(3), np.ones(4)), ValueError, "broadcast"),
    ("amin", lambda: fnp.amin(X2, axis=2), ValueError, "out of bounds"),
    ("amin", lambda: fnp.amin(np.ones((0, 3))), ValueError, "zero-size"),
    ("append", lambda: fnp.append(X2, X1, axis=0), ValueError, "shapes must match"),
    ("argpartition", lambda: fnp.argpartition(X1, 5), ValueError, "out of bounds"),
    ("argwhere", lambda: fluxion.jit(fnp.argwhere)(X1), ConcretizationError, "concrete"),
    ("array", lambda: fnp.array(RAGGED), ValueError, "inhomogeneous"),
    ("array", lambda: _grad(lambda a: fnp.array([a, fnp.ones(2) * a]), 1.0), ValueError,
     "same shape"),
    ("array_equal", lambda: fnp.array_equal(RAGGED, X1), ValueError, "inhomogeneous"),
    ("array_equiv", lambda: fnp.array_equiv(RAGGED, X1), ValueError, "inhomogeneous"),
    ("asarray", lambda: _grad(lambda a: fnp.asarray([a, fnp.ones(2) * a]), 1.0), ValueError,
     "same shape"),
    ("atleast_1d", lambda: fnp.atleast_1d(RAGGED), ValueError, "inhomogeneous"),
    ("atleast_3d", lambda: fnp.atleast_3d(RAGGED), ValueError, "inhomogeneous"),
    ("bincount", lambda: fnp.bincount(np.array([1, -1])), ValueError, "non-negative"),
    ("bincount", lambda: fnp.bincount(np.array([1.5])), TypeError, "float64"),
    ("choose", lambda: fnp.choose(np.array([0, 3]), [X1[:2], X1[:2]]), ValueError,
     "invalid entry"),
    ("compress", lambda: fnp.compress([True] * 5, X2, axis=1), IndexError, "out of bounds"),
    ("concat", lambda: fnp.concat([X2, X1]), ValueError, "shapes must match"),
    ("count_nonzero", lambda: fnp.count_nonzero(X2, axis=2), ValueError, "out of bounds"),
    ("cumulative_sum", lambda: fnp.cumulative_sum(X2), ValueError, "axis must be given"),
    ("diag_indices_from", lambda: fnp.diag_indices_from(X2), ValueError, r"\(2, 3\)"),
    ("digitize", lambda: fnp.digitize(X1, X2), ValueError, "1-D bins"),
    ("digitize", lambda: fnp.digitize(X1, np.array([0.0, 2.0, 1.0])), ValueError, "monoton"),
    ("dsplit", lambda: fnp.dsplit(X2, 2), ValueError, "at least 3 dimensions"),
    ("ediff1d", lambda: fnp.ediff1d(RAGGED), ValueError, "inhomogeneous"),
    ("empty_like", lambda: fnp.empty_like(X2, shape=(-1,)), ValueError, "negative"),
    ("extract", lambda: fnp.extract(np.ones(7, bool), X2), IndexError, "out of bounds"),
    ("fix", lambda: fnp.fix(np.ones(2, complex)), TypeError, "not supported"),
    ("flatnonzero", lambda: fluxion.jit(fnp.flatnonzero)(X1), ConcretizationError, "concrete"),
    ("full", lambda: fnp.full((2, 3), np.ones(4)), ValueError, "broadcast"),
    ("full", lambda: _grad(lambda v: fnp.full((2, 3), v), np.ones(4)), ValueError, "broadcast"),
    ("geomspace", lambda: fnp.geomspace(0.0, 1.0, 3), ValueError, "zero"),
    # traced end points: the log-space formula used to give a silent NaN here
    ("geomspace", lambda: _grad(lambda a: fnp.geomspace(a, 1.0, 3), 0.0), ValueError, "zero"),
    ("geomspace", lambda: _grad(lambda a: fnp.geomspace(a, 1.0, 3), -1.0),
     NotImplementedError, "opposite signs"),
    ("histogram", lambda: fnp.histogram(X1, bins=-1), ValueError, "positive"),
    ("histogram2d", lambda: fnp.histogram2d(X1, np.ones(4)), ValueError, "same length"),
    ("histogram_bin_edges", lambda: fnp.histogram_bin_edges(X1, range=(1, 0)), ValueError,
     "larger than min"),
    ("histogramdd", lambda: fnp.histogramdd(np.ones((5, 2)), bins=(2, 2, 2)), ValueError,
     "dimension of bins"),
]


@pytest.mark.parametrize(
    "name, call, exc, text", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_input_names_the_function(name, call, exc, text):
    with pytest.raises(exc, match=rf"(^|fluxion\.numpy\.){name}: ") as info:
        call()
    assert info.match(text)
