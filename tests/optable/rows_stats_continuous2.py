"""Op-table rows for the special-function continuous families of ``fluxion.scipy.stats``
(prefix ``s2-``): every method of gamma, invgamma, beta, chi2, chi, weibull_min, pareto,
vonmises, truncnorm, skewnorm, gennorm and genextreme, differentiated in the value, the shape
parameters, ``loc`` and ``scale``, with broadcasting (see ``_stats_rows``)."""

import numpy as np
import scipy.integrate

from optable._stats_rows import continuous_rows


def vonmises_var_by_quadrature(kappa, loc=0.0, scale=1.0):
    """The von Mises variance on ``[-pi, pi]`` (times ``scale**2``; ``loc`` only broadcasts) by
    tight quadrature of ``x**2 p(x)``: SciPy's ``var`` integrates its own quantile function,
    which takes 15-25 s for one row and is accurate to about 1e-8."""

    def standard(k):
        def p(x):
            return np.exp(k * (np.cos(x) - 1.0))  # unnormalized, peak 1: no overflow

        pieces = list(zip(_VONMISES_BREAKS[:-1], _VONMISES_BREAKS[1:]))
        num = sum(scipy.integrate.quad(lambda x: x * x * p(x), u, v, epsabs=0,
                                       epsrel=1e-13)[0] for u, v in pieces)
        den = sum(scipy.integrate.quad(p, u, v, epsabs=0, epsrel=1e-13)[0] for u, v in pieces)
        return num / den

    var = np.vectorize(standard)(np.asarray(kappa, dtype=float)) * np.asarray(scale) ** 2
    return var + 0.0 * np.asarray(loc)


_VONMISES_BREAKS = (-np.pi, -1.0, -0.2, 0.0, 0.2, 1.0, np.pi)  # the peak's scale at large kappa


def _vonmises_std_by_quadrature(kappa, loc=0.0, scale=1.0):
    return np.sqrt(vonmises_var_by_quadrature(kappa, loc, scale))


# what the SciPy coverage table says the values were checked against (tools/scipy_coverage.py)
vonmises_var_by_quadrature.reference = _vonmises_std_by_quadrature.reference = "quadrature"

ROWS = [
    *continuous_rows("s2-", "gamma", [(0.6, 4.0)], (0.2, 4.0)),
    *continuous_rows("s2-", "invgamma", [(2.5, 6.0)], (0.15, 2.0)),
    *continuous_rows("s2-", "beta", [(0.6, 4.0), (0.6, 4.0)], (0.05, 0.95)),
    *continuous_rows("s2-", "chi2", [(1.5, 8.0)], (0.3, 6.0)),
    *continuous_rows("s2-", "chi", [(1.5, 8.0)], (0.3, 3.0)),
    *continuous_rows("s2-", "weibull_min", [(0.6, 4.0)], (0.1, 2.5)),
    *continuous_rows("s2-", "pareto", [(2.5, 5.0)], (1.1, 4.0)),
    # kappa < 50: SciPy's series branch. var and std against quadrature
    # (vonmises_var_by_quadrature), not SciPy's slow and looser numerical var.
    *continuous_rows("s2-", "vonmises", [(0.3, 20.0)], (-1.5, 1.5), rtol=1e-9, atol=1e-11,
                     per_method={"var": dict(ref=vonmises_var_by_quadrature),
                                 "std": dict(ref=_vonmises_std_by_quadrature),
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
