"""Models written with ``x.at[i].set``, ``einsum``, ``prod`` and a ``logsumexp`` over an axis,
or calling SciPy special functions (``gammainc``, ``gamma``; ``gammaincc`` in its shape,
``betainc``, ``k0``): ``sample`` before and after
these primitives had tier-1 and tape lowerings.

Before, each of these models ran its gradient at tier 0 and the compiled NUTS called it back
in Python at every leapfrog step (a ``PerformanceWarning`` said so); now the potential is
compiled (the tape machine under ``mcmc_potential="auto"`` for these sizes).

Times ``fluxion.mcmc.sample`` (4 chains x 1000 warm-up + 1000 draws, sequential, seed 1,
default settings): the median of 3 runs after one warm-up run (caches, compiles). Prints the
potential each run used. Compare two commits by running this file with each on
``PYTHONPATH`` (e.g. a ``git worktree`` of the older one):

    python benchmarks/lowerings.py
    PYTHONPATH=/tmp/base/src python benchmarks/lowerings.py

Arguments, if any, pick the models whose names contain one of them
(``python benchmarks/lowerings.py censored weibull``).
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from math import gamma as math_gamma

import numpy as np
import scipy.special

import fluxion
import fluxion.mcmc
import fluxion.numpy as fnp
import fluxion.scipy.linalg
from fluxion.scipy.special import (
    betainc,
    gamma,
    gammainc,
    gammaincc,
    gammaln,
    j1,
    k0,
    kv,
    logsumexp,
    zeta,
)

rng = np.random.default_rng(0)
N, K, G = 200, 4, 8
X = rng.normal(size=(N, K))
GROUP = rng.integers(0, G, N)
Y = X @ np.array([1.0, -0.5, 0.3, 0.0]) + 0.7 + rng.normal(0, 0.5, G)[GROUP] + rng.normal(0, 1, N)
X1 = np.hstack([np.ones((N, 1)), X])
MIX = np.concatenate([rng.normal(-2, 0.7, 150), rng.normal(1.5, 0.7, 250)])
# counts above a detector's limit of 8 are recorded only as "8 or more"
RATE = np.exp(1.2 + 0.6 * X[:, 0])
COUNTS = rng.poisson(RATE)
LIMIT = 8
SEEN = COUNTS < LIMIT
# survival times, Weibull with shape 1.5 and mean exp(0.5 + 0.4 x)
T = np.exp(0.5 + 0.4 * X[:, 1]) / 0.9027452929509336 * rng.weibull(1.5, N)
# lifetimes, Gamma with shape 2.5 and mean exp(0.3 + 0.5 x), observed up to 3 (then censored)
LIFE = rng.gamma(2.5, np.exp(0.3 + 0.5 * X[:, 2]) / 2.5)
CUTOFF = 3.0
ALIVE = LIFE >= CUTOFF
LIFE_SEEN = np.where(ALIVE, 1.0, LIFE)
# fluxes, Student-t (4 degrees of freedom) around 1.0 with scale 0.5, below 0.6 reported only
# as "below the detection limit"
FLUX = 1.0 + 0.5 * rng.standard_t(4.0, N)
DETECTION = 0.6
FAINT = FLUX < DETECTION
# products of two Gaussian deviates (scale 1.3): density K0(|w| / s) / (pi s)
PRODUCT = 1.3 * rng.normal(size=N) * rng.normal(size=N)
# a star's radial profile: an Airy disk (first zero at r = 3.8317 w, w = 1.7 px) of amplitude
# 50 on a background, Gaussian noise of 0.5
RADIUS = np.linspace(0.05, 12.0, N)
_U = RADIUS / 1.7
PROFILE = 50.0 * (2.0 * scipy.special.j1(_U) / _U) ** 2
PROFILE = PROFILE + 0.2 + rng.normal(0.0, 0.5, N)
# a Matern-1.3 Gaussian process (length 1.5, amplitude 1) observed at 40 points with noise 0.1
GP_X = np.sort(rng.uniform(0.0, 10.0, 40))
GP_NU = 1.3
GP_R = np.abs(GP_X[:, None] - GP_X[None, :])
GP_Y = np.sin(GP_X) + rng.normal(0.0, 0.1, GP_X.size)
# word ranks drawn from a Zipf law with exponent 2.1
ZIPF = rng.zipf(2.1, N).astype(float)


def grouped_regression(p):
    """``.at`` builds the coefficient vector, ``einsum`` the mean, a gather the group effects."""
    beta = fnp.zeros(K + 1).at[0].set(p["alpha"]).at[1:].set(p["beta"])
    mu = fnp.einsum("nk,k->n", X1, beta) + p["u"][GROUP]
    return (
        -0.5 * fnp.sum((Y - mu) ** 2)
        - 0.5 * fnp.sum(p["u"] ** 2) / 0.25
        - 0.5 * fnp.sum(p["beta"] ** 2)
    )


def mixture(p):
    """Two Gaussian components: a ``logsumexp`` over the component axis of an (n, 2) array;
    the means ordered by a running product (``cumprod``) of positive steps."""
    means = fnp.log(fnp.cumprod(fnp.exp(p["steps"]))) + p["start"]
    w = fnp.stack([p["w"], 1.0 - p["w"]])
    comp = -0.5 * ((MIX[:, None] - means[None, :]) / 0.7) ** 2 + fnp.log(w)
    return fnp.sum(logsumexp(comp, axis=1)) - 0.5 * fnp.sum(p["steps"] ** 2)


def censored_poisson(p):
    """Poisson regression with right-censored counts: ``log P(Y >= 8) = log gammainc(8, lam)``
    (the regularized lower incomplete gamma function)."""
    log_lam = p["alpha"] + p["beta"] * X[:, 0]
    lam = fnp.exp(log_lam)
    seen = fnp.sum(fnp.where(SEEN, COUNTS * log_lam - lam, 0.0))
    censored = fnp.sum(fnp.where(SEEN, 0.0, fnp.log(gammainc(float(LIMIT), lam))))
    return seen + censored - 0.5 * (p["alpha"] ** 2 + p["beta"] ** 2)


def weibull_by_mean(p):
    """Weibull survival regression parameterized by its mean: scale = mean / Gamma(1 + 1/k)."""
    k = p["k"]
    scale = fnp.exp(p["a"] + p["b"] * X[:, 1]) / gamma(1.0 + 1.0 / k)
    z = T / scale
    return (fnp.sum(fnp.log(k) - fnp.log(scale) + (k - 1.0) * fnp.log(z) - z**k)
            - 0.5 * (p["a"] ** 2 + p["b"] ** 2) - k)


def censored_gamma(p):
    """Gamma lifetimes with unknown shape and a mean regression, right-censored at 3:
    ``log Q(k, 3 / theta)``; the gradient differentiates gammaincc in its shape (gammainc_da)."""
    k = fnp.exp(p["log_k"])
    theta = fnp.exp(p["a"] + p["b"] * X[:, 2]) / k
    z = LIFE_SEEN / theta
    seen = (k - 1.0) * fnp.log(z) - z - fnp.log(theta) - gammaln(k)
    censored = fnp.log(gammaincc(k, CUTOFF / theta))
    return (fnp.sum(fnp.where(ALIVE, censored, seen))
            - 0.5 * (p["a"] ** 2 + p["b"] ** 2 + p["log_k"] ** 2))


def t_cdf(z, nu):
    """Student-t CDF by the incomplete beta function: ``I_{nu/(nu+z^2)}(nu/2, 1/2) / 2`` below 0."""
    tail = 0.5 * betainc(0.5 * nu, 0.5, nu / (nu + z * z))
    return fnp.where(z < 0.0, tail, 1.0 - tail)


def censored_student_t(p):
    """Student-t fluxes (4 dof) with unknown location and scale, left-censored at a detection
    limit: ``log F((0.6 - mu) / s)`` by ``betainc``."""
    s = fnp.exp(p["log_s"])
    z = (FLUX - p["mu"]) / s
    seen = -2.5 * fnp.log1p(z * z / 4.0) - fnp.log(s)
    faint = fnp.log(t_cdf((DETECTION - p["mu"]) / s, 4.0))
    return fnp.sum(fnp.where(FAINT, faint, seen)) - 0.5 * (p["mu"] ** 2 + p["log_s"] ** 2)


def product_normal(p):
    """Products of two Gaussian deviates: ``log K0(|w| / s) - log(pi s)``."""
    s = fnp.exp(p["log_s"])
    return fnp.sum(fnp.log(k0(np.abs(PRODUCT) / s)) - fnp.log(np.pi * s)) - 0.5 * p["log_s"] ** 2


def censored_student_t_dof(p):
    """The censored Student-t fluxes with unknown degrees of freedom ``nu``: the gradient
    differentiates ``betainc`` in its first parameter (betainc_da)."""
    s = fnp.exp(p["log_s"])
    nu = fnp.exp(p["log_nu"])
    z = (FLUX - p["mu"]) / s
    seen = (gammaln(0.5 * nu + 0.5) - gammaln(0.5 * nu) - 0.5 * fnp.log(nu)
            - 0.5 * (nu + 1.0) * fnp.log1p(z * z / nu) - fnp.log(s))
    faint = fnp.log(t_cdf((DETECTION - p["mu"]) / s, nu))
    return (fnp.sum(fnp.where(FAINT, faint, seen))
            - 0.5 * (p["mu"] ** 2 + p["log_s"] ** 2 + (p["log_nu"] - 1.5) ** 2))


def airy_profile(p):
    """An Airy-disk point-spread function fitted to a radial profile:
    ``A (2 J1(r / w) / (r / w))^2 + b``."""
    u = RADIUS / fnp.exp(p["log_w"])
    model = fnp.exp(p["log_a"]) * (2.0 * j1(u) / u) ** 2 + p["b"]
    return (-0.5 * fnp.sum(((PROFILE - model) / 0.5) ** 2)
            - 0.5 * ((p["log_a"] - 4.0) ** 2 + p["log_w"] ** 2 + p["b"] ** 2))


def matern_gp(p):
    """A Gaussian process with a Matern kernel of smoothness 1.3:
    ``k(r) = s^2 2^(1-nu) / Gamma(nu) (sqrt(2 nu) r / l)^nu K_nu(sqrt(2 nu) r / l)``."""
    scaled = np.sqrt(2.0 * GP_NU) * fnp.where(GP_R > 0.0, GP_R, 1.0) / fnp.exp(p["log_l"])
    shape = 2.0 ** (1.0 - GP_NU) / math_gamma(GP_NU) * scaled**GP_NU * kv(GP_NU, scaled)
    amp2 = fnp.exp(2.0 * p["log_s"])
    cov = amp2 * fnp.where(GP_R > 0.0, shape, 1.0) + 0.01 * np.eye(GP_X.size)
    chol = fnp.linalg.cholesky(cov)
    alpha = fluxion.scipy.linalg.solve_triangular(chol, GP_Y, lower=True)
    return (-0.5 * fnp.sum(alpha**2) - fnp.sum(fnp.log(fnp.diagonal(chol)))
            - 0.5 * (p["log_l"] ** 2 + p["log_s"] ** 2))


def zipf_exponent(p):
    """A Zipf law's exponent: ``log p(k) = -s log k - log zeta(s)``, ``s = 1 + e^t``."""
    s = 1.0 + fnp.exp(p["t"])
    return fnp.sum(-s * np.log(ZIPF)) - N * fnp.log(zeta(s, 1.0)) - 0.5 * p["t"] ** 2


MODELS = {
    "grouped regression (.at, einsum, gather)": (
        grouped_regression,
        {"alpha": 0.0, "beta": np.zeros(K), "u": np.zeros(G)},
        None,
    ),
    "mixture (logsumexp over an axis, cumprod)": (
        mixture,
        {"start": -1.0, "steps": np.array([0.0, 1.0]), "w": 0.5},
        {"w": "unit_interval"},
    ),
    "censored Poisson (gammainc)": (censored_poisson, {"alpha": 0.0, "beta": 0.0}, None),
    "Weibull by its mean (gamma)": (
        weibull_by_mean, {"a": 0.0, "b": 0.0, "k": 1.0}, {"k": "positive"},
    ),
    "censored Gamma, unknown shape (gammaincc in a)": (
        censored_gamma, {"a": 0.0, "b": 0.0, "log_k": 0.0}, None,
    ),
    "censored Student-t fluxes (betainc)": (censored_student_t, {"mu": 0.5, "log_s": 0.0}, None),
    "product of two normals (k0)": (product_normal, {"log_s": 0.0}, None),
    "censored Student-t, unknown dof (betainc in a)": (
        censored_student_t_dof, {"mu": 0.5, "log_s": 0.0, "log_nu": 1.0}, None,
    ),
    "Airy PSF profile (j1)": (airy_profile, {"log_a": 4.0, "log_w": 0.5, "b": 0.0}, None),
    "Matern-1.3 Gaussian process (kv)": (matern_gp, {"log_l": 0.0, "log_s": 0.0}, None),
    "Zipf exponent (zeta)": (zipf_exponent, {"t": 0.0}, None),
}


def run(fn, init, constraints) -> tuple[float, fluxion.mcmc.SampleResult, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fluxion.PerformanceWarning)
        start = time.perf_counter()
        result = fluxion.mcmc.sample(
            fn, init, constraints=constraints, chains=4, draws=1000, warmup=1000, seed=1,
            progress=False, chain_method="sequential",
        )
        elapsed = time.perf_counter() - start
    return elapsed, result, [str(w.message)[:90] for w in caught]


def main() -> None:
    print(f"fluxion {fluxion.__version__}, numpy {np.__version__}")
    print(f"{'model':46s} {'potential':10s} {'median s':>9s}  min ESS  warnings")
    wanted = [w.lower() for w in sys.argv[1:]]
    for name, (fn, init, constraints) in MODELS.items():
        if wanted and not any(w in name.lower() for w in wanted):
            continue
        run(fn, init, constraints)  # compiles, caches
        times, result, caught = [], None, []
        for _ in range(3):
            elapsed, result, caught = run(fn, init, constraints)
            times.append(elapsed)
        ess = float(np.min(result.summary()["ess_bulk"]))
        print(f"{name:46s} {result.potential or 'python':10s} {statistics.median(times):9.2f}"
              f"  {ess:7.0f}  {len(caught)}")


if __name__ == "__main__":
    main()
