"""Op-table rows for the closed-form continuous families of ``fluxion.scipy.stats`` (prefix
``st-``): every method of every family, differentiated in the value, the shape parameters,
``loc`` and ``scale``, with broadcasting (see ``_stats_rows``)."""

from optable._stats_rows import continuous_rows

_REAL = (-2.5, 2.5)
_POSITIVE = (0.2, 3.0)

ROWS = [
    *continuous_rows("st-", "norm", (), _REAL),
    # df > 2: finite variance (df <= 2 gives inf, as SciPy, tested in test_stats.py)
    *continuous_rows("st-", "t", [(2.5, 8.0)], _REAL, rtol=1e-9),
    *continuous_rows("st-", "cauchy", (), _REAL, methods=("logpdf", "pdf", "cdf", "logcdf", "sf",
                                                           "logsf", "ppf", "isf", "entropy")),
    *continuous_rows("st-", "laplace", (), _REAL),
    *continuous_rows("st-", "logistic", (), _REAL),
    *continuous_rows("st-", "gumbel_r", (), _REAL),
    *continuous_rows("st-", "gumbel_l", (), _REAL),
    *continuous_rows("st-", "expon", (), _POSITIVE),
    *continuous_rows("st-", "uniform", (), (0.05, 0.95)),
    *continuous_rows("st-", "halfnorm", (), _POSITIVE),
    *continuous_rows("st-", "halfcauchy", (), _POSITIVE, methods=("logpdf", "pdf", "cdf",
                                                                   "logcdf", "sf", "logsf", "ppf",
                                                                   "isf", "entropy")),
    *continuous_rows("st-", "rayleigh", (), _POSITIVE),
    *continuous_rows("st-", "lognorm", [(0.3, 2.0)], _POSITIVE),
]
