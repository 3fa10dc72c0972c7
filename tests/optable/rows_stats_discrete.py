"""Op-table rows for the discrete families of ``fluxion.scipy.stats`` (prefix ``sd-``): every
method of poisson, binom, nbinom, geom, bernoulli, betabinom, hypergeom, randint and zipf at
integer points, differentiated in the continuous shape parameters, with broadcasting (see
``_stats_discrete_rows``)."""

import mpmath
import numpy as np
import scipy.special as sc

from optable._stats_discrete_rows import ALL_METHODS, discrete_rows
from optable._stats_rows import MOMENT_METHODS, SHAPE_SHAPE

# The beta-binomial and hypergeometric cdfs, their quantiles and the binomial-family entropies
# sum the pmf over the support, whose length an integer parameter sets: they need concrete
# integer parameters and points (a clear TypeError under jit or vmap, where they are traced).
_SUM = ("sums over the support need concrete integer parameters and points: under jit and "
        "vmap they are traced (TypeError naming the method)")
_TRACED_COLUMNS = {c: _SUM for c in ("vmap_axis0", "vmap_axis1", "vmap_none", "jit", "tape",
                                     "tier1")}
_SUMMED = ("cdf", "logcdf", "sf", "logsf", "ppf", "isf", "entropy")
# Under a trace the quantile is a fixed 12-step, 64-way search (~330 equations). Where every
# primitive has a numba lowering (geom, bernoulli, randint, zipf; the others hold incomplete
# gamma/beta functions that numba declines), numba compiles that one function for over six minutes
# (stopped there): too slow for the column. The jit, tape and vmap columns run the same graph.
_SLOW_NUMBA = {"inapplicable": {"tier1": "numba compiles the traced 12-step quantile search "
                                         "for over six minutes (cost, not a defect); "
                                         "jit, tape and vmap run the same graph"}}
_QUANTILES_SLOW = {"ppf": _SLOW_NUMBA, "isf": _SLOW_NUMBA}


def _u(rng, lo, hi):
    return rng.uniform(lo, hi, SHAPE_SHAPE)


def _i(rng, lo, hi):
    return rng.integers(lo, hi + 1, SHAPE_SHAPE)


def _zipf_sf(k, a, loc):
    # SciPy's zipf sums the pmf (about 1e-9 relative in the upper tail); the Hurwitz zeta
    # function is the exact reference: P(X > k) = zeta(a, k + 1) / zeta(a)
    return sc.zeta(a, k - loc + 1.0) / sc.zeta(a)


def _zipf_logsf(k, a, loc):
    return np.log(_zipf_sf(k, a, loc))


def _zipf_entropy(a, loc):
    # log zeta(a) - a zeta'(a) / zeta(a) (SciPy's summation does not converge for a near 1)
    def one(s):
        z = mpmath.zeta(s)
        return float(mpmath.log(z) - s * mpmath.zeta(s, 1, 1) / z)

    a, loc = np.broadcast_arrays(a, loc)
    return np.vectorize(one, otypes=[np.float64])(a)


ROWS = [
    *discrete_rows("sd-", "poisson", lambda r: (_u(r, 0.5, 12.0),),
                   lambda s: (0, np.ceil(2.0 * s[0] + 3.0))),
    *discrete_rows("sd-", "binom", lambda r: (_i(r, 5, 30), _u(r, 0.15, 0.85)),
                   lambda s: (0, s[0] - 1), xfail={"entropy": _TRACED_COLUMNS}),
    *discrete_rows("sd-", "nbinom", lambda r: (_i(r, 1, 10), _u(r, 0.2, 0.8)),
                   lambda s: (0, 12), xfail={"entropy": _TRACED_COLUMNS}),
    *discrete_rows("sd-", "geom", lambda r: (_u(r, 0.1, 0.8),), lambda s: (1, 8),
                   per_method=_QUANTILES_SLOW),
    *discrete_rows("sd-", "bernoulli", lambda r: (_u(r, 0.1, 0.9),), lambda s: (0, 0),
                   per_method=_QUANTILES_SLOW),
    *discrete_rows("sd-", "betabinom", lambda r: (_i(r, 3, 20), _u(r, 0.5, 4.0),
                                                  _u(r, 0.5, 4.0)),
                   lambda s: (0, s[0] - 1), xfail={m: _TRACED_COLUMNS for m in _SUMMED}),
    *discrete_rows("sd-", "hypergeom", lambda r: (_i(r, 30, 50), _i(r, 5, 20), _i(r, 3, 15)),
                   lambda s: (np.maximum(s[2] - (s[0] - s[1]), 0),
                              np.minimum(s[1], s[2]) - 1),
                   xfail={m: _TRACED_COLUMNS for m in _SUMMED}),
    *discrete_rows("sd-", "randint", lambda r: (_i(r, -5, 2), _i(r, 4, 12)),
                   lambda s: (s[0], s[1] - 2), per_method=_QUANTILES_SLOW),
    *discrete_rows("sd-", "zipf", lambda r: (_u(r, 1.5, 6.0),), lambda s: (1, 20),
                   methods=[m for m in ALL_METHODS if m not in MOMENT_METHODS],
                   per_method={"sf": dict(ref=_zipf_sf), "logsf": dict(ref=_zipf_logsf),
                               **_QUANTILES_SLOW}),
    # the mean is finite for a > 2, the variance for a > 3
    *discrete_rows("sd-", "zipf", lambda r: (_u(r, 3.2, 6.0),), lambda s: (1, 20),
                   methods=MOMENT_METHODS, per_method={"entropy": dict(ref=_zipf_entropy)}),
]
