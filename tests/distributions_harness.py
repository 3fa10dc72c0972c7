"""Shared checks for fluxion.distributions families (used by tests/test_distributions_*.py).

Each family's test file lists cases (a constructor, parameters with broadcasting batch shapes,
the SciPy reference, points) and runs these checks on them:

- :func:`check_against_scipy`: every method against ``scipy.stats`` (relative ``rtol``);
- :func:`check_sampling`: moments (within 6 standard errors) and, for scalar events, the
  Dvoretzky-Kiefer-Wolfowitz bound ``P(sup|F_n - F| > eps) <= 2 exp(-2 n eps^2)`` with
  ``eps`` chosen for a false-failure rate ``alpha`` (default 1e-6 per check, fixed seed);
- :func:`check_log_prob_grads`: fluxion.test_util.check_grads of log_prob in the parameters and
  in the value;
- :func:`check_reparam_gradient`: the gradient of a Monte Carlo ``E[f(X)]`` by reparameterized
  samples against an analytic gradient, within 6 Monte Carlo standard errors;
- :func:`check_kl_monte_carlo`: an analytic KL against ``mean(log p(x) - log q(x))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import fluxion
from fluxion.test_util import check_grads

# method of fluxion.distributions.Distribution -> method of a scipy.stats frozen distribution
SCIPY_METHODS = {
    "log_prob": ("logpdf", "logpmf"),
    "prob": ("pdf", "pmf"),
    "cdf": ("cdf",),
    "log_cdf": ("logcdf",),
    "survival_function": ("sf",),
    "log_survival_function": ("logsf",),
}
SCIPY_MOMENTS = {"mean": "mean", "variance": "var", "stddev": "std", "entropy": "entropy"}


def _scipy_method(ref: Any, names: Sequence[str]) -> Callable:
    for name in names:
        if hasattr(ref, name):
            return getattr(ref, name)
    raise AttributeError(f"the reference has none of {names}")


def assert_close(got: Any, want: Any, rtol: float, atol: float, what: str) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape or got.shape == np.broadcast_shapes(got.shape, want.shape), (
        f"{what}: shape {got.shape} vs reference {want.shape}"
    )
    want = np.broadcast_to(want, got.shape)
    same_nonfinite = (~np.isfinite(want)) & (got == want)
    both_nan = np.isnan(got) & np.isnan(want)
    # an infinite reference is matched only by the same infinity: |got - inf| <= rtol * inf is
    # True for every finite got, which would hide a finite answer where SciPy gives +-inf
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isfinite(want) & (np.abs(got - want) <= atol + rtol * np.abs(want))
    # ... except where SciPy's log-space method underflowed to -inf and fluxion's did not: a
    # finite log value whose exp is 0 in float64 (< about -745) is the better answer there
    underflowed = (want == -np.inf) & np.isfinite(got) & (np.exp(np.minimum(got, 0.0)) == 0.0)
    ok = same_nonfinite | both_nan | close | underflowed
    if not ok.all():
        i = np.argmax(~ok.ravel())
        raise AssertionError(
            f"{what}: {(~ok).sum()} of {ok.size} entries differ; first at flat index {i}: "
            f"got {got.ravel()[i]!r}, want {want.ravel()[i]!r} (rtol {rtol}, atol {atol})"
        )


def check_against_scipy(
    dist: Any,
    ref: Any,
    x: Any,
    p: Any = (0.01, 0.3, 0.5, 0.9, 0.999),
    rtol: float = 1e-10,
    atol: float = 0.0,
    methods: Sequence[str] | None = None,
    moments: Sequence[str] | None = None,
    quantile: bool = True,
) -> None:
    """Every method of ``dist`` against the frozen SciPy distribution ``ref``.

    ``x`` has shape ``sample_shape + batch_shape`` (or broadcasts to it); ``p`` is reshaped
    to ``(len(p),) + (1,) * len(batch_shape)``. ``methods``/``moments`` restrict what is
    compared (default: all of SCIPY_METHODS and SCIPY_MOMENTS).
    """
    x = np.asarray(x, dtype=float)
    for method in methods if methods is not None else SCIPY_METHODS:
        got = getattr(dist, method)(x)
        want = _scipy_method(ref, SCIPY_METHODS[method])(x)
        assert_close(got, want, rtol, atol, f"{dist.name}.{method}")
    if quantile:
        pp = np.reshape(np.asarray(p, float), (-1,) + (1,) * len(dist.batch_shape))
        assert_close(dist.quantile(pp), ref.ppf(pp), rtol, atol, f"{dist.name}.quantile")
    for moment in moments if moments is not None else SCIPY_MOMENTS:
        got = getattr(dist, moment)()
        want = getattr(ref, SCIPY_MOMENTS[moment])()
        assert np.shape(got) == tuple(dist.batch_shape) + tuple(dist.event_shape) or (
            moment == "entropy" and np.shape(got) == tuple(dist.batch_shape)
        ), f"{dist.name}.{moment}: shape {np.shape(got)}"
        assert_close(got, want, rtol, atol, f"{dist.name}.{moment}")


def dkw_epsilon(n: int, alpha: float) -> float:
    """The DKW band half-width: ``P(sup|F_n - F| > eps) <= alpha``."""
    return math.sqrt(math.log(2.0 / alpha) / (2.0 * n))


def check_sampling(
    dist: Any,
    cdf: Callable[[np.ndarray], np.ndarray] | None = None,
    n: int = 20000,
    seed: int = 0,
    alpha: float = 1e-6,
    check_moments: bool = True,
    discrete: bool = False,
) -> np.ndarray:
    """Draw ``n`` samples and check their shape, moments and (scalar events) the DKW bound.

    ``cdf`` is the reference cdf (default ``dist.cdf``), applied to the sorted samples of each
    batch member separately. For discrete families the empirical cdf is compared at the
    support points it jumps at (the DKW bound holds for any distribution). Returns the draws.
    """
    xs = np.asarray(dist.sample((n,), seed=seed))
    assert xs.shape == (n,) + tuple(dist.batch_shape) + tuple(dist.event_shape), xs.shape
    assert np.all(np.isfinite(xs)), f"{dist.name}.sample gave non-finite draws"
    if check_moments:
        mean = np.asarray(dist.mean())
        var = np.asarray(dist.variance())
        finite = np.isfinite(mean) & np.isfinite(var)
        se = np.sqrt(np.where(finite, var, 1.0) / n)
        err = np.abs(xs.mean(0) - mean)
        ok = ~finite | (err <= 6 * se + 1e-12)
        assert ok.all(), (
            f"{dist.name}: sample mean off by {err[~ok].max()} ({(err / se)[~ok].max():.1f} "
            "standard errors)"
        )
    if not dist.event_shape:
        eps = dkw_epsilon(n, alpha)
        ref_cdf = cdf if cdf is not None else (lambda v: np.asarray(dist.cdf(v)))
        srt = np.sort(xs, axis=0)
        f = np.asarray(ref_cdf(srt))
        upper = np.arange(1, n + 1).reshape((n,) + (1,) * (srt.ndim - 1)) / n
        if discrete:
            # empirical cdf at each jump: the fraction of draws <= that value
            last = np.concatenate([srt[1:] != srt[:-1], np.ones((1,) + srt.shape[1:], bool)])
            gap = np.where(last, np.abs(upper - f), 0.0)
        else:
            gap = np.maximum(np.abs(upper - f), np.abs(upper - 1.0 / n - f))
        assert gap.max() <= eps, (
            f"{dist.name}: DKW distance {gap.max():.4g} > {eps:.4g} (alpha {alpha}, n {n})"
        )
    return xs


def check_log_prob_grads(
    make: Callable[..., Any], params: Sequence[Any], x: Any, order: int = 2, **kw: Any
) -> None:
    """check_grads of ``make(*params).log_prob(x)`` in the parameters, then in ``x``."""
    params = tuple(np.asarray(p, dtype=float) for p in params)
    x = np.asarray(x, dtype=float)
    check_grads(lambda *ps: make(*ps).log_prob(x), params, order=order, **kw)
    check_grads(lambda v: make(*params).log_prob(v), (x,), order=order, **kw)


def check_reparam_gradient(
    make: Callable[[Any], Any],
    theta: Any,
    f: Callable[[Any], Any],
    exact_grad: Any,
    n: int = 20000,
    seed: int = 0,
) -> None:
    """``d/dtheta E[f(X)]``, ``X ~ make(theta)``, by reparameterized samples vs ``exact_grad``.

    The per-sample gradients' standard error sets the tolerance (6 standard errors).
    """
    theta = np.asarray(theta, dtype=float)

    def per_sample(t: Any) -> Any:
        return f(make(t).sample((n,), seed=seed))

    jac = np.asarray(fluxion.jacrev(per_sample)(theta)).reshape(n, -1)
    est, se = jac.mean(0), jac.std(0) / math.sqrt(n)
    exact = np.asarray(exact_grad, dtype=float).reshape(-1)
    assert np.all(np.abs(est - exact) <= 6 * se + 1e-10), (est, exact, se)


def check_kl_monte_carlo(p: Any, q: Any, n: int = 200000, seed: int = 0) -> None:
    """The registered analytic KL[p || q] against its Monte Carlo estimate (6 standard errors)."""
    x = p.sample((n,), seed=seed)
    d = np.asarray(p.log_prob(x)) - np.asarray(q.log_prob(x))
    est, se = d.mean(0), d.std(0) / math.sqrt(n)
    kl = np.asarray(fluxion.distributions.kl_divergence(p, q))
    assert np.all(np.abs(kl - est) <= 6 * se + 1e-10), (kl, est, se)
