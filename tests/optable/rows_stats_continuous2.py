"""Op-table rows for the special-function continuous families of ``fluxion.scipy.stats``
(prefix ``s2-``): every method of gamma, invgamma, beta, chi2, chi, weibull_min, pareto,
vonmises, truncnorm, skewnorm, gennorm and genextreme, differentiated in the value, the shape
parameters, ``loc`` and ``scale``, with broadcasting (see ``_stats_rows``)."""

from optable._stats_rows import continuous_rows

ROWS = [
    *continuous_rows("s2-", "gamma", [(0.6, 4.0)], (0.2, 4.0)),
    *continuous_rows("s2-", "invgamma", [(2.5, 6.0)], (0.15, 2.0)),
    *continuous_rows("s2-", "beta", [(0.6, 4.0), (0.6, 4.0)], (0.05, 0.95)),
    *continuous_rows("s2-", "chi2", [(1.5, 8.0)], (0.3, 6.0)),
    *continuous_rows("s2-", "chi", [(1.5, 8.0)], (0.3, 3.0)),
    *continuous_rows("s2-", "weibull_min", [(0.6, 4.0)], (0.1, 2.5)),
    *continuous_rows("s2-", "pareto", [(2.5, 5.0)], (1.1, 4.0)),
    # kappa < 50: SciPy's series branch. SciPy's var integrates numerically (about 1e-8), and
    # slowly: its reference takes 15-25 s (the impl check runs with -m slow).
    *continuous_rows("s2-", "vonmises", [(0.3, 20.0)], (-1.5, 1.5), rtol=1e-9, atol=1e-11,
                     per_method={"var": dict(rtol=1e-6, slow=("impl",)),
                                 "std": dict(rtol=1e-6, slow=("impl",)),
                                 "mean": dict(atol=1e-10)}),
    *continuous_rows("s2-", "truncnorm", [(-2.0, -0.5), (0.3, 2.0)], (-0.4, 0.2)),
    # ppf/isf: 16 bracketed Newton steps of log cdf (Owen's T, Gauss-Laguerre tails) traced
    # unrolled, about 95,000 equations: 5-25 s per jit or tape check (run with -m slow)
    *continuous_rows("s2-", "skewnorm", [(-3.0, 3.0)], (-1.5, 1.5), rtol=1e-9,
                     per_method={"entropy": dict(rtol=1e-8),
                                 "ppf": dict(slow=("jit", "tape")),
                                 "isf": dict(slow=("jit", "tape"))}),
    *continuous_rows("s2-", "gennorm", [(0.8, 4.0)], (0.2, 2.0)),
    *continuous_rows("s2-", "genextreme", [(-0.4, 0.4)], (-1.0, 1.0)),
]
