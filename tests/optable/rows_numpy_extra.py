"""Op-table rows for fluxion.numpy's extra functions (issue 13): argsort/searchsorted primitives
and composites built on them (sort, quantile, interp, diff, convolve, cov, ...)."""

from __future__ import annotations

import numpy as np

import fluxion.numpy as fnp
from fluxion._src.prims import sorting as so
from optable import OpCase
from optable.rows_core import args, distinct, uniform

ROWS: list[OpCase] = []


def row(name, fn, ref, make, prims=(), **kw):  # noqa: ANN001, ANN201, ANN003
    ROWS.append(OpCase(name=name, fn=fn, ref=ref, make_args=make, prims=tuple(prims), **kw))


row("argsort-(2,5)", fnp.argsort, np.argsort, args(distinct((2, 5))), (so.argsort_p,),
    nondiff=True)
row("sort-axis0-(4,3)", lambda x: fnp.sort(x, axis=0), lambda x: np.sort(x, axis=0),
    args(distinct((4, 3))), (so.argsort_p,))
_B = np.linspace(-1.0, 1.0, 6)
row("searchsorted-(3,4)", lambda v: fnp.searchsorted(_B, v), lambda v: np.searchsorted(_B, v),
    args(uniform((3, 4), -1.2, 1.2)), (so.searchsorted_p,), nondiff=True)
row("quantile-axis1", lambda x: fnp.quantile(x, [0.3, 0.75], axis=1),
    lambda x: np.quantile(x, [0.3, 0.75], axis=1), args(distinct((3, 5))), (so.argsort_p,))
row("median-keepdims", lambda x: fnp.median(x, axis=0, keepdims=True),
    lambda x: np.median(x, axis=0, keepdims=True), args(distinct((4, 3))), (so.argsort_p,))
_XP = np.linspace(-1.0, 1.0, 5) + 0.01
row("interp-x-fp", lambda x, fp: fnp.interp(x, _XP, fp), lambda x, fp: np.interp(x, _XP, fp),
    args(uniform((4,), -0.93, -0.55), uniform((5,))), (so.searchsorted_p,))
row("diff-n2-axis0", lambda x: fnp.diff(x, 2, axis=0), lambda x: np.diff(x, 2, axis=0),
    args(uniform((5, 3))))
row("gradient-coords", lambda x: fnp.gradient(x, np.array([0.0, 0.4, 1.0, 1.3])),
    lambda x: np.gradient(x, np.array([0.0, 0.4, 1.0, 1.3])), args(uniform((4,))))
row("trapezoid-x", fnp.trapezoid, np.trapezoid, args(uniform((3, 4)), uniform((4,))))
row("convolve-same", lambda a, v: fnp.convolve(a, v, "same"),
    lambda a, v: np.convolve(a, v, "same"), args(uniform((5,)), uniform((3,))))
row("correlate-full", lambda a, v: fnp.correlate(a, v, "full"),
    lambda a, v: np.correlate(a, v, "full"), args(uniform((5,)), uniform((3,))))
row("cov-(3,6)", fnp.cov, np.cov, args(uniform((3, 6))))
row("corrcoef-(3,6)", fnp.corrcoef, np.corrcoef, args(uniform((3, 6))))
row("cross-(4,3)", fnp.cross, np.cross, args(uniform((4, 3)), uniform((3,))))
row("insert-axis1", lambda x, v: fnp.insert(x, [1, 3], v, axis=1),
    lambda x, v: np.insert(x, [1, 3], v, axis=1), args(uniform((2, 4)), uniform((2,))))
row("delete-axis0", lambda x: fnp.delete(x, [0, 2], axis=0),
    lambda x: np.delete(x, [0, 2], axis=0), args(uniform((4, 3))))
row("rot90-k3", lambda x: fnp.rot90(x, 3), lambda x: np.rot90(x, 3), args(uniform((2, 3))))
row("polyval", fnp.polyval, np.polyval, args(uniform((4,)), uniform((3,))))
row("poly", fnp.poly, np.poly, args(uniform((3,))))
