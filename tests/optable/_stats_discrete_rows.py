"""Row builder for the discrete families of ``fluxion.scipy.stats`` (used by
``rows_stats_discrete.py``).

One row per family and method, as ``_stats_rows.continuous_rows``: ``fn`` calls
``fluxion.scipy.stats.<family>.<method>``, ``ref`` is ``scipy.stats.<family>.<method>`` with the
same arguments. The points ``k`` (3, 4) and ``loc`` (3, 1) are integer arrays, as are the integer
shape parameters (``n``, ``M``, ``N``, ``low``, ``high``; shape (4,)), so the derivative columns
perturb only the continuous shape parameters (float, (4,)). Quantile rows are ``nondiff``: a
discrete quantile is integer-valued, its derivatives are exactly zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from optable import OpCase
from optable._stats_rows import (
    DISCRETE_POINT_METHODS,
    LOC_SHAPE,
    MOMENT_METHODS,
    QUANTILE_METHODS,
    SHAPE_SHAPE,
    X_SHAPE,
    _call,
    _ref,
)

ALL_METHODS = DISCRETE_POINT_METHODS + QUANTILE_METHODS + MOMENT_METHODS


def discrete_rows(
    prefix: str,
    family: str,
    make_shapes: Callable[[np.random.Generator], tuple],
    k_range: Callable[[tuple], tuple[np.ndarray, np.ndarray]],
    *,
    methods: Sequence[str] = ALL_METHODS,
    q_range: tuple[float, float] = (0.02, 0.98),
    rtol: float = 1e-10,
    atol: float = 1e-12,
    order: int = 2,
    xfail: dict[str, dict[str, str] | str] | None = None,
    per_method: dict[str, dict] | None = None,
) -> list[OpCase]:
    """Rows for one discrete family.

    ``make_shapes(rng)`` draws the shape parameters (float arrays for continuous ones, int
    arrays for integer ones, each of shape (4,)); ``k_range(shapes)`` gives inclusive integer
    bounds ``(lo, hi)`` (broadcasting with (4,)) of the standardized points, inside the support
    and below its top (where the log-tails are finite and smooth).
    """
    rows = []
    for method in methods:
        kind = ("moment" if method in MOMENT_METHODS else
                "quantile" if method in QUANTILE_METHODS else "point")

        def make_args(rng, kind=kind):
            shapes = make_shapes(rng)
            loc = rng.integers(-2, 3, LOC_SHAPE)
            if kind == "moment":
                return shapes + (loc,)
            if kind == "quantile":
                return (rng.uniform(*q_range, X_SHAPE),) + shapes + (loc,)
            lo, hi = k_range(shapes)
            lo = np.broadcast_to(lo, SHAPE_SHAPE)
            hi = np.broadcast_to(hi, SHAPE_SHAPE)
            k = lo + np.floor(rng.uniform(size=X_SHAPE) * (hi - lo + 1)).astype(np.int64)
            return (k + loc,) + shapes + (loc,)

        fields = dict(ref=_ref(family, method), rtol=rtol, atol=atol, order=order,
                      nondiff=kind == "quantile")
        if xfail and method in xfail:
            fields["xfail"] = xfail[method]
        if per_method and method in per_method:
            fields.update(per_method[method])
        rows.append(OpCase(name=f"{prefix}{family}-{method}", fn=_call(family, method),
                           make_args=make_args, **fields))
    return rows
