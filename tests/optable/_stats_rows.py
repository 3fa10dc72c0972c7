"""Row builders for the ``fluxion.scipy.stats`` families (used by ``rows_stats_*.py``).

One row per family and method: ``fn`` calls ``fluxion.scipy.stats.<family>.<method>`` (so the
SciPy coverage script sees the call), ``ref`` is ``scipy.stats.<family>.<method>`` with the same
arguments. Arguments broadcast: ``x`` (3, 4), every shape parameter (4,), ``loc`` (3, 1) and
``scale`` () — so each row also checks broadcasting. Every float argument is perturbed by the
op table's derivative columns: the value, every shape parameter, ``loc`` and ``scale``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.stats as ss

import fluxion.scipy.stats as fst
from optable import OpCase

X_SHAPE = (3, 4)
SHAPE_SHAPE = (4,)
LOC_SHAPE = (3, 1)

POINT_METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
QUANTILE_METHODS = ("ppf", "isf")
MOMENT_METHODS = ("mean", "var", "std", "entropy")
DISCRETE_POINT_METHODS = ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")


def _call(family: str, method: str) -> Callable:
    def fn(*args):
        return getattr(getattr(fst, family), method)(*args)

    fn.__name__ = f"{family}.{method}"
    return fn


def _ref(family: str, method: str) -> Callable:
    return getattr(getattr(ss, family), method)


def continuous_rows(
    prefix: str,
    family: str,
    shape_ranges: Sequence[tuple[float, float]],
    x_range: tuple[float, float],
    *,
    loc: bool = True,
    scale: bool = True,
    methods: Sequence[str] = POINT_METHODS + QUANTILE_METHODS + MOMENT_METHODS,
    q_range: tuple[float, float] = (0.02, 0.98),
    rtol: float = 1e-10,
    atol: float = 1e-12,
    order: int = 2,
    xfail: dict[str, dict[str, str] | str] | None = None,
    inapplicable: dict[str, dict[str, str]] | None = None,
    per_method: dict[str, dict] | None = None,
) -> list[OpCase]:
    """Rows for one continuous family.

    ``x_range`` is the range of the STANDARDIZED point ``(x - loc) / scale`` inside the smooth
    part of the support; shape parameters are drawn from ``shape_ranges``; ``loc`` from
    (-1, 1) and ``scale`` from (0.5, 2). ``per_method`` overrides row fields per method.
    """
    rows = []
    for method in methods:
        kind = ("moment" if method in MOMENT_METHODS else
                "quantile" if method in QUANTILE_METHODS else "point")

        def make_args(rng, kind=kind):
            shapes = tuple(rng.uniform(lo, hi, SHAPE_SHAPE) for lo, hi in shape_ranges)
            lc = rng.uniform(-1.0, 1.0, LOC_SHAPE)
            sc = np.float64(rng.uniform(0.5, 2.0))
            params = shapes + ((lc,) if loc else ()) + ((sc,) if scale else ())
            if kind == "moment":
                return params
            if kind == "quantile":
                return (rng.uniform(*q_range, X_SHAPE),) + params
            x = rng.uniform(*x_range, X_SHAPE)
            if scale:
                x = sc * x
            if loc:
                x = lc + x
            return (x,) + params

        fields = dict(rtol=rtol, atol=atol, order=order)
        if xfail and method in xfail:
            fields["xfail"] = xfail[method]
        if inapplicable and method in inapplicable:
            fields["inapplicable"] = inapplicable[method]
        if per_method and method in per_method:
            fields.update(per_method[method])  # may replace ``ref``
        fields.setdefault("ref", _ref(family, method))
        rows.append(OpCase(name=f"{prefix}{family}-{method}", fn=_call(family, method),
                           make_args=make_args, **fields))
    return rows
