"""MCMC convergence diagnostics on draws: R-hat, ESS, MCSE, autocorrelation, E-BFMI, summary.

These functions operate on concrete draws (plain NumPy/SciPy), not on traced values. A draw array
has shape ``(chain, draw)`` or ``(chain, draw, *param_shape)``; every diagnostic is vectorized over
the trailing ``param_shape`` and returns an array of that shape (a NumPy scalar when it is ``()``).
A 1-D array is read as a single chain.

The algorithms are those of ArviZ 0.x (``arviz.rhat``, ``ess``, ``mcse``, ``bfmi``, ``summary``),
which follow Vehtari et al. (2021), and give the same numbers on the same draws (to floating-point
rounding). ``integrated_time`` is emcee's estimator with Sokal's automated window.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special  # not scipy.stats: its import costs ~0.3 s of every first run

__all__ = [
    "AutocorrError",
    "SummaryTable",
    "autocorr",
    "autocov",
    "bfmi",
    "ess",
    "hdi",
    "integrated_time",
    "mcse",
    "nested_rhat",
    "rhat",
    "summary",
]

RHAT_METHODS = ("rank", "split", "folded", "z_scale", "identity")
ESS_METHODS = (
    "bulk",
    "tail",
    "quantile",
    "mean",
    "sd",
    "median",
    "mad",
    "z_scale",
    "folded",
    "identity",
    "local",
)
MCSE_METHODS = ("mean", "sd", "median", "quantile")

# ArviZ's minimum shapes: R-hat needs 2 chains of 4 draws, ESS and MCSE 1 chain of 4 draws.
_MIN_DRAWS = 4
_RHAT_MIN_CHAINS = 2
_ESS_MIN_CHAINS = 1

# MCSE of a quantile: the central 68.27% interval (+-1 sd of a normal) of the Beta posterior of the
# quantile's rank, as in ArviZ.
_MCSE_QUANTILE_PROBS = np.array([0.1586553, 0.8413447])


class AutocorrError(RuntimeError):
    """The chain is too short to estimate the integrated autocorrelation time reliably.

    The estimate computed anyway is in the ``tau`` attribute (shape ``param_shape``).
    """

    def __init__(self, tau: np.ndarray, message: str) -> None:
        super().__init__(message)
        self.tau = tau


# --------------------------------------------------------------------------------------------------
# input handling


def _as_draws(x: ArrayLike, fname: str) -> np.ndarray:
    """Validate draws and return a float64 array of shape ``(chain, draw, *param_shape)``."""
    if isinstance(x, Mapping):
        raise TypeError(
            f"{fname}: expected an array of draws of shape (chain, draw, *param_shape), got a "
            f"dict; call {fname} on each entry (or use fluxion.diagnostics.summary)"
        )
    try:
        ary = np.asarray(x)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(
            f"{fname}: expected an array of draws of shape (chain, draw, *param_shape), got "
            f"{type(x).__name__} that NumPy cannot convert ({exc})"
        ) from None
    if ary.dtype.kind not in "biuf":
        raise TypeError(
            f"{fname}: expected real numeric draws, got dtype {ary.dtype} (shape {ary.shape})"
        )
    if ary.ndim == 0:
        raise ValueError(
            f"{fname}: expected draws of shape (chain, draw, *param_shape), got a scalar; "
            "a 1-D array is read as a single chain"
        )
    if ary.ndim == 1:
        ary = ary[np.newaxis]
    if ary.shape[0] == 0 or ary.shape[1] == 0:
        raise ValueError(
            f"{fname}: expected at least one chain and one draw, got shape {ary.shape} "
            "(chain, draw, *param_shape)"
        )
    return np.asarray(ary, dtype=np.float64)


def _flat(ary: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """Reshape ``(chain, draw, *param_shape)`` to ``(chain, draw, m)``; also return param_shape."""
    param_shape = ary.shape[2:]
    return ary.reshape(ary.shape[0], ary.shape[1], -1), param_shape


def _unflat(values: np.ndarray, param_shape: tuple[int, ...]) -> np.ndarray | np.float64:
    out = np.asarray(values, dtype=np.float64).reshape(param_shape)
    return out[()] if out.ndim == 0 else out


def _shape_ok(ary: np.ndarray, min_chains: int, fname: str, what: str) -> bool:
    """ArviZ's shape check; warn (as ArviZ logs) and return False when too small."""
    n_chain, n_draw = ary.shape[:2]
    if n_chain < min_chains or n_draw < _MIN_DRAWS:
        warnings.warn(
            f"{fname}: {what} needs at least {min_chains} chain(s) of {_MIN_DRAWS} draws, got "
            f"{n_chain} chain(s) of {n_draw} draws (shape {ary.shape}); returning nan",
            RuntimeWarning,
            stacklevel=3,
        )
        return False
    return True


def _nan_params(ary: np.ndarray) -> np.ndarray:
    """Boolean mask of shape ``(m,)``: parameters with any NaN among their draws."""
    return np.isnan(ary).any(axis=(0, 1))


# --------------------------------------------------------------------------------------------------
# building blocks (all on arrays of shape (chain, draw, m))


def _split_chains(ary: np.ndarray) -> np.ndarray:
    """Halve each chain: ``(c, n, m) -> (2c, n // 2, m)``; an odd middle draw is dropped."""
    half = ary.shape[1] // 2
    return np.concatenate((ary[:, :half], ary[:, ary.shape[1] - half :]), axis=0)


def _z_scale(ary: np.ndarray) -> np.ndarray:
    """Rank-normalize each parameter over all chains and draws (Vehtari et al. 2021, eq. 14).

    z = Phi^-1((r - 3/8) / (S - 2 * 3/8 + 1)), r the average ("fractional") rank among S draws.
    """
    c, n, m = ary.shape
    size = c * n
    rank = _average_ranks(ary.reshape(size, m).T).T
    offset = 3 / 8
    # Blom's back-transformation of ranks to (0, 1)
    u = (rank - offset) / (size - 2 * offset + 1)
    return special.ndtri(u).reshape(c, n, m)


def _average_ranks(a: np.ndarray) -> np.ndarray:
    """Ranks 1..S along the last axis of ``(m, S)``, ties getting their mean rank.

    Equals ``scipy.stats.rankdata(a, method="average", axis=-1)`` for NaN-free rows, faster.
    """
    m, size = a.shape
    order = np.argsort(a, axis=1)
    s = np.take_along_axis(a, order, axis=1)
    idx = np.broadcast_to(np.arange(size), (m, size))
    first = np.ones((m, size), dtype=bool)  # the first element of each run of ties
    first[:, 1:] = s[:, 1:] != s[:, :-1]
    last = np.ones((m, size), dtype=bool)  # the last element of each run of ties
    last[:, :-1] = first[:, 1:]
    start = np.maximum.accumulate(np.where(first, idx, 0), axis=1)
    end = np.minimum.accumulate(np.where(last, idx, size - 1)[:, ::-1], axis=1)[:, ::-1]
    # a run over sorted positions i0..i1 (0-based) has mean rank (i0 + i1) / 2 + 1
    sorted_rank = (start + end) / 2.0 + 1.0
    rank = np.empty((m, size))
    np.put_along_axis(rank, order, sorted_rank, axis=1)
    return rank


def _fold(ary: np.ndarray) -> np.ndarray:
    """|x - median(x)| per parameter, the median over all chains and draws."""
    return np.abs(ary - np.median(ary, axis=(0, 1)))


def _quantile(ary: np.ndarray, prob: float) -> np.ndarray:
    """Type-7 quantile over chains and draws, computed as ``scipy.stats.mstats.mquantiles`` does.

    Returns shape ``(m,)``.
    """
    c, n, m = ary.shape
    size = c * n
    x = np.sort(ary.reshape(size, m), axis=0)
    if size == 1:
        return x[0]
    # mquantiles with alphap = betap = 1: aleph = n p + (1 - p), k = floor(clip(aleph, 1, n - 1))
    aleph = size * prob + (prob * (1.0 - 1.0 - 1.0) + 1.0)
    k = int(np.floor(np.clip(aleph, 1, size - 1)))
    gamma = float(np.clip(aleph - k, 0, 1))
    return (1.0 - gamma) * x[k - 1] + gamma * x[k]


def _autocov_fft(ary: np.ndarray, axis: int) -> np.ndarray:
    """Biased autocovariance along ``axis``, every lag: acov_t = sum (x_i - m)(x_{i+t} - m) / n."""
    n = ary.shape[axis]
    m = _next_fast_len(2 * n)
    centered = ary - ary.mean(axis=axis, keepdims=True)
    spec = np.fft.rfft(centered, n=m, axis=axis)
    spec *= np.conjugate(spec)
    cov = np.fft.irfft(spec, n=m, axis=axis)
    cov = np.take(cov, np.arange(n), axis=axis)
    cov /= n
    return cov


def _next_fast_len(target: int) -> int:
    """Smallest 5-smooth integer >= target (what ``scipy.fftpack.next_fast_len`` returns)."""
    from scipy.fft import next_fast_len

    return int(next_fast_len(target, real=True))


def _ess_core(ary: np.ndarray, relative: bool = False) -> np.ndarray:
    """ESS of each parameter of ``(chain, draw, m)`` draws by Geyer's initial monotone sequence.

    Follows Stan's and ArviZ's estimator: the multi-chain autocorrelation
    rho_t = 1 - (W - mean_chains(acov_t)) / var_plus with var_plus = W (n-1)/n + B/n, truncated at
    the first pair sum rho_{2k} + rho_{2k+1} that is not positive, made monotone, then
    tau = -1 + 2 sum_t rho_t (at least 1 / log10(chain * draw)) and ess = chain * draw / tau.
    Returns shape ``(m,)``.
    """
    ary = np.asarray(ary, dtype=np.float64)
    n_chain, n_draw, m = ary.shape
    out = np.full(m, np.nan)
    nan_mask = _nan_params(ary)
    spread = ary.max(axis=(0, 1), initial=-np.inf) - ary.min(axis=(0, 1), initial=np.inf)
    # a constant parameter has ess = chain * draw
    const_mask = ~nan_mask & (spread < np.finfo(float).resolution)
    out[const_mask] = ary.shape[0] * ary.shape[1]
    live = ~(nan_mask | const_mask)
    if not live.any():
        return out
    x = ary[:, :, live]
    acov = _autocov_fft(x, axis=1)  # (chain, draw, k)
    chain_mean = x.mean(axis=1)  # (chain, k)
    mean_var = np.mean(acov[:, 0], axis=0) * n_draw / (n_draw - 1.0)  # W
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus = var_plus + np.var(chain_mean, axis=0, ddof=1)  # + B / n
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (mean_var - np.mean(acov, axis=0)) / var_plus  # (draw, k)
    rho[0] = 1.0  # the lag-0 autocorrelation is 1 by definition (not W / var_plus)
    total = n_chain * n_draw
    # The loop of Stan/ArviZ visits pairs P_j = rho_2j + rho_2j+1 for j = 0, 1, ... while
    # 2j + 2 < n_draw and the previous pair was positive; J is the last pair visited.
    j_hi = max(int(math.ceil((n_draw - 2) / 2)) - 1, 0)  # largest j with 2j < n_draw - 2
    n_pairs = j_hi + 1
    idx = np.arange(n_pairs)
    even = rho[2 * idx]
    odd = rho[np.minimum(2 * idx + 1, n_draw - 1)]
    pairs = even + odd  # (n_pairs, k)
    res = np.empty(x.shape[2])
    for col in range(x.shape[2]):
        p = pairs[:, col]
        stops = np.flatnonzero(~(p[:j_hi] > 0.0))
        last = int(stops[0]) if stops.size else j_hi
        last_even = even[last, col]
        # the last visited pair's even term: kept when positive, or when its pair sum is >= 0
        if last == 0 or last_even > 0 or p[last] >= 0:
            tail = last_even
        else:
            tail = 0.0
        # Geyer's initial monotone sequence over the pairs before the last one
        mono = np.minimum.accumulate(p[:last])
        tau = -1.0 + 2.0 * np.sum(mono) + tail
        tau = max(tau, 1.0 / np.log10(total))
        if np.isnan(rho[: 2 * last + 2, col]).any():
            res[col] = np.nan
        else:
            res[col] = (1.0 if relative else total) / tau
    out[live] = res
    return out


def _rhat_core(ary: np.ndarray) -> np.ndarray:
    """Scale reduction sqrt(((n - 1)/n W + B/n) / W) of ``(chain, draw, m)`` draws; shape (m,)."""
    _, n, _ = ary.shape
    chain_mean = ary.mean(axis=1)
    chain_var = np.var(ary, axis=1, ddof=1)
    between = n * np.var(chain_mean, axis=0, ddof=1)  # B
    within = np.mean(chain_var, axis=0)  # W
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.sqrt((between / within + n - 1) / n)
    value[_nan_params(ary)] = np.nan
    return value


def _rhat_rank(ary: np.ndarray, fold_after_split: bool = True) -> np.ndarray:
    """max(bulk, tail) rank-normalized split R-hat; ``fold_after_split`` picks ArviZ's ``rhat``
    (median of the split draws) over ``summary`` (median of all draws)."""
    split = _split_chains(ary)
    bulk = _rhat_core(_z_scale(split))
    folded = _fold(split) if fold_after_split else _split_chains(_fold(ary))
    tail = _rhat_core(_z_scale(folded))
    return _first_max(bulk, tail)


def _first_max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise Python ``max(a, b)`` (as ArviZ takes it): ``b`` only where ``b > a``, so a NaN in
    ``b`` is ignored but a NaN in ``a`` is kept."""
    return np.where(b > a, b, a)


def _first_min(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise Python ``min(a, b)``: ``b`` only where ``b < a``."""
    return np.where(b < a, b, a)


def _ess_quantile(ary: np.ndarray, prob: float, relative: bool = False) -> np.ndarray:
    """ESS of the indicator I(x <= q_prob), q over all chains and draws."""
    q = _quantile(ary, prob)
    return _ess_core(_split_chains((ary <= q).astype(np.float64)), relative)


def _ess_method(ary: np.ndarray, method: str, prob: Any, relative: bool) -> np.ndarray:
    if method == "bulk":
        return _ess_core(_z_scale(_split_chains(ary)), relative)
    if method == "tail":
        lo, hi = _tail_probs(prob)
        return _first_min(_ess_quantile(ary, lo, relative), _ess_quantile(ary, hi, relative))
    if method == "quantile":
        return _ess_quantile(ary, float(prob), relative)
    if method == "mean":
        return _ess_core(_split_chains(ary), relative)
    if method == "sd":
        return _ess_core(_split_chains((ary - ary.mean(axis=(0, 1))) ** 2), relative)
    if method == "median":
        return _ess_quantile(ary, 0.5, relative)
    if method == "mad":
        dev = _fold(ary)
        below = (dev <= np.median(dev, axis=(0, 1))).astype(np.float64)
        return _ess_core(_z_scale(_split_chains(below)), relative)
    if method == "z_scale":
        return _ess_core(_z_scale(_split_chains(ary)), relative)
    if method == "folded":
        split = _split_chains(ary)
        return _ess_core(_z_scale(_fold(split)), relative)
    if method == "identity":
        return _ess_core(ary, relative)
    # "local": I(q_lo <= x <= q_hi)
    lo, hi = prob
    inside = (_quantile(ary, lo) <= ary) & (ary <= _quantile(ary, hi))
    return _ess_core(_split_chains(inside.astype(np.float64)), relative)


def _tail_probs(prob: Any) -> tuple[float, float]:
    if prob is None:
        return 0.05, 0.95
    if isinstance(prob, Sequence) and not isinstance(prob, str):
        if len(prob) != 2:
            raise ValueError(f"ess: method='tail' expects prob=p or (lower, upper), got {prob!r}")
        lo, hi = prob
        return float(lo), float(hi)
    return float(prob), 1.0 - float(prob)


def _mcse_mean(ary: np.ndarray) -> np.ndarray:
    """sd / sqrt(ess_mean), sd over all draws with ddof=1."""
    flat = ary.reshape(-1, ary.shape[2])
    sd = np.std(flat, axis=0, ddof=1)
    return sd / np.sqrt(_ess_core(_split_chains(ary)))


def _mcse_sd(ary: np.ndarray) -> np.ndarray:
    """Delta method: Var(sd) ~= Var(s^2) / (4 s^2), Var(s^2) from the ESS of (x - mean)^2."""
    sims_c2 = (ary - ary.mean(axis=(0, 1))) ** 2
    ess_c2 = _ess_core(_split_chains(sims_c2))
    evar = sims_c2.mean(axis=(0, 1))
    varvar = ((sims_c2**2).mean(axis=(0, 1)) - evar**2) / ess_c2
    with np.errstate(invalid="ignore", divide="ignore"):
        varsd = varvar / evar / 4
    return np.sqrt(varsd)


def _mcse_quantile(ary: np.ndarray, prob: float) -> np.ndarray:
    """Half the width of the draws' order statistics at the Beta(ess p + 1, ess (1-p) + 1)
    posterior's 15.9% and 84.1% quantiles of the rank (ArviZ's quantile MCSE)."""
    ess_q = _ess_quantile(ary, prob)
    c, n, m = ary.shape
    size = c * n
    sorted_ary = np.sort(ary.reshape(size, m), axis=0)
    out = np.empty(m)
    for col in range(m):
        with np.errstate(invalid="ignore"):
            # the Beta(a, b) quantiles: scipy.stats.beta.ppf is this same regularized
            # incomplete beta inverse
            ppf = special.betaincinv(
                ess_q[col] * prob + 1, ess_q[col] * (1 - prob) + 1, _MCSE_QUANTILE_PROBS
            )
        ppf_size = ppf * size - 1
        th1 = sorted_ary[int(np.floor(np.nanmax((ppf_size[0], 0)))), col]
        th2 = sorted_ary[int(np.ceil(np.nanmin((ppf_size[1], size - 1)))), col]
        out[col] = (th2 - th1) / 2
    return out


# --------------------------------------------------------------------------------------------------
# public diagnostics


def rhat(x: ArrayLike, method: str = "rank") -> np.ndarray | np.float64:
    r"""Potential scale reduction factor :math:`\hat{R}` (rank-normalized split R-hat by default).

    Parameters
    ----------
    x : ArrayLike, shape ``(chain, draw)`` or ``(chain, draw, *param_shape)``
        Draws; a 1-D array is one chain (whose R-hat is ``nan``: at least 2 chains are needed).
    method : {"rank", "split", "folded", "z_scale", "identity"}
        ``"rank"`` (default, recommended by Vehtari et al. 2021): the larger of the split R-hat of
        the rank-normalized draws (bulk) and of the rank-normalized draws folded about their median
        (tail). ``"split"``: split R-hat of the raw draws. ``"folded"``: of the folded, rank-
        normalized draws. ``"z_scale"``: of the rank-normalized draws. ``"identity"``: the classic
        Gelman-Rubin R-hat without splitting.

    Returns
    -------
    r_hat : ndarray, shape ``param_shape`` (a NumPy scalar when it is ``()``)
        ``nan`` for a parameter whose draws contain NaN or are constant, and everywhere when there
        are fewer than 2 chains or 4 draws (with a ``RuntimeWarning``).

    Raises
    ------
    ValueError
        For an unknown ``method`` or empty draws.
    TypeError
        For non-numeric draws.

    See Also
    --------
    ess, mcse, summary

    Notes
    -----
    Equals ``arviz.rhat(x, method=method)`` (ArviZ 0.x) on the same draws. Splitting halves each
    chain, dropping the middle draw of an odd-length chain. Rank normalization uses average ranks
    ``r`` over all ``S`` split draws and :math:`z = \Phi^{-1}((r - 3/8) / (S + 1/4))`. With ``W``
    the mean within-chain variance and ``B/n`` the variance of the chain means,
    :math:`\hat{R} = \sqrt{((n - 1) / n \, W + B / n) / W}`.

    References
    ----------
    Vehtari, Gelman, Simpson, Carpenter, Bürkner (2021). Rank-normalization, folding, and
    localization: an improved R-hat for assessing convergence of MCMC. Bayesian Analysis 16(2).

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import rhat
    >>> x = np.random.default_rng(0).normal(size=(4, 1000))
    >>> bool(rhat(x) < 1.01)
    True
    >>> rhat(np.random.default_rng(1).normal(size=(4, 500, 3))).shape
    (3,)
    """
    if method not in RHAT_METHODS:
        raise ValueError(
            f"rhat: expected method in {RHAT_METHODS}, got {method!r}; 'rank' is the default"
        )
    ary, param_shape = _flat(_as_draws(x, "rhat"))
    if not _shape_ok(ary, _RHAT_MIN_CHAINS, "rhat", "R-hat"):
        return _unflat(np.full(ary.shape[2], np.nan), param_shape)
    if method == "rank":
        out = _rhat_rank(ary)
    elif method == "split":
        out = _rhat_core(_split_chains(ary))
    elif method == "folded":
        out = _rhat_core(_z_scale(_fold(_split_chains(ary))))
    elif method == "z_scale":
        out = _rhat_core(_z_scale(_split_chains(ary)))
    else:
        out = _rhat_core(ary)
    out[_nan_params(ary)] = np.nan
    return _unflat(out, param_shape)


def _superchain_labels(superchains: Any, n_chain: int, fname: str) -> np.ndarray:
    """Superchain index ``0..K-1`` of every chain, from K (contiguous groups) or labels."""
    if isinstance(superchains, int | np.integer) and not isinstance(superchains, bool):
        k = int(superchains)
        if k < 2 or n_chain % k:
            raise ValueError(
                f"{fname}: expected superchains to be an integer >= 2 dividing the number of "
                f"chains ({n_chain}), got {k}; or pass one label per chain"
            )
        return np.repeat(np.arange(k), n_chain // k)
    try:
        labels = np.asarray(superchains)
    except Exception:  # a ragged sequence
        labels = np.asarray([None])
    if labels.ndim != 1 or labels.shape[0] != n_chain or labels.dtype.kind not in "biuUS":
        raise ValueError(
            f"{fname}: expected superchains as an integer K or one label per chain (shape "
            f"({n_chain},)), got {type(superchains).__name__} of shape {np.shape(labels)}"
        )
    _, index, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.size < 2 or counts.min() != counts.max():
        raise ValueError(
            f"{fname}: expected at least 2 superchains with the same number of chains each, got "
            f"{counts.size} superchain(s) of sizes {sorted(set(counts.tolist()))}"
        )
    return index.reshape(n_chain)


def nested_rhat(x: ArrayLike, superchains: Any) -> np.ndarray | np.float64:
    r"""Nested :math:`\hat{R}` for many short chains grouped into superchains
    (Margossian et al. 2024).

    The chains of a superchain start from the same point; nested R-hat compares the variance
    between superchains with the variance within them (between their chains plus within each
    chain), so that it can approach 1 with chains of a few draws each, where R-hat cannot.

    Parameters
    ----------
    x : ArrayLike, shape ``(chain, draw)`` or ``(chain, draw, *param_shape)``
        Draws.
    superchains : int or array of shape ``(chain,)``
        K, the number of superchains, with the chains in K contiguous groups of equal size
        (``fluxion.mcmc.sample_chees(..., superchains=K)`` lays them out so); or one label per
        chain (``result.superchains``), every superchain with the same number of chains.

    Returns
    -------
    nested_r_hat : ndarray, shape ``param_shape`` (a NumPy scalar when it is ``()``)
        ``nan`` for a parameter whose draws contain NaN or whose within-superchain variance
        is 0.

    Raises
    ------
    ValueError
        Fewer than 2 superchains, superchains of unequal sizes, labels of the wrong length.
    TypeError
        Non-numeric draws.

    See Also
    --------
    rhat

    Notes
    -----
    With K superchains of M chains of N draws, chain means :math:`\bar f_{mk}`, superchain
    means :math:`\bar f_k` and their mean :math:`\bar f` (the paper's eqs. 15-19):

    .. math::
        \hat B_\nu = \frac{1}{K - 1} \sum_k (\bar f_k - \bar f)^2, \quad
        \hat W_\nu = \frac{1}{K} \sum_k (\tilde B_k + \tilde W_k),

    with :math:`\tilde B_k` the variance (denominator M - 1) of the chain means of superchain
    k (0 when M = 1) and :math:`\tilde W_k` the mean of its chains' variances (denominator
    N - 1; 0 when N = 1); :math:`\hat R_\nu = \sqrt{1 + \hat B_\nu / \hat W_\nu}`. At
    stationarity :math:`\hat R_\nu^2 - 1` is about :math:`1 / (M N_\text{eff})`, with
    :math:`N_\text{eff}` the effective draws per chain: a threshold of 1.01 asks for about 50
    effective draws per superchain (the paper's Section 4 discusses the choice of threshold).
    Equals the ``posterior`` R package's ``rhat_nested`` on the same draws.

    References
    ----------
    Margossian, Hoffman, Sountsov, Riou-Durand, Vehtari, Gelman (2024). Nested R-hat: assessing
    the convergence of Markov chain Monte Carlo when running many short chains. Bayesian
    Analysis. doi:10.1214/24-BA1453

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import nested_rhat
    >>> x = np.random.default_rng(0).normal(size=(256, 10))
    >>> bool(nested_rhat(x, superchains=8) < 1.01)
    True
    """
    ary, param_shape = _flat(_as_draws(x, "nested_rhat"))
    n_chain, n_draw, _ = ary.shape
    labels = _superchain_labels(superchains, n_chain, "nested_rhat")
    k = int(labels.max()) + 1
    m = n_chain // k
    order = np.argsort(labels, kind="stable")
    grouped = ary[order].reshape(k, m, n_draw, -1)  # (superchain, chain, draw, param)
    chain_mean = grouped.mean(axis=2)  # (K, M, p)
    super_mean = chain_mean.mean(axis=1)  # (K, p): equal chain lengths, so the draws' mean
    between_super = np.var(super_mean, axis=0, ddof=1)
    between_chain = np.var(chain_mean, axis=1, ddof=1) if m > 1 else np.zeros_like(super_mean)
    within_chain = (
        np.var(grouped, axis=2, ddof=1).mean(axis=1) if n_draw > 1 else np.zeros_like(super_mean)
    )
    within_super = np.mean(between_chain + within_chain, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.sqrt(1.0 + between_super / within_super)
    value = np.where(within_super > 0, value, np.nan)
    value[_nan_params(ary)] = np.nan
    return _unflat(value, param_shape)


def ess(
    x: ArrayLike,
    method: str = "bulk",
    *,
    prob: float | tuple[float, float] | None = None,
    relative: bool = False,
) -> np.ndarray | np.float64:
    r"""Effective sample size of MCMC draws (bulk ESS by default).

    Parameters
    ----------
    x : ArrayLike, shape ``(chain, draw)`` or ``(chain, draw, *param_shape)``
        Draws; a 1-D array is one chain.
    method : str
        ``"bulk"`` (default; ESS of the rank-normalized split draws), ``"tail"`` (the smaller of the
        5% and 95% quantile ESS, or of ``prob`` and ``1 - prob``, or of the pair ``prob``),
        ``"quantile"`` (ESS of the indicator ``x <= q_prob``; needs ``prob``), ``"mean"`` (split
        ESS of the raw draws), ``"sd"`` (of the squared deviations from the mean), ``"median"``,
        ``"mad"``, ``"z_scale"``, ``"folded"``, ``"identity"`` (no splitting) and ``"local"`` (ESS
        of the indicator ``q_lo <= x <= q_hi``; needs ``prob=(lo, hi)``), as named by ArviZ.
    prob : float or tuple of two floats, optional
        Probability for ``"tail"``, ``"quantile"`` and ``"local"``.
    relative : bool, default False
        Return ``ess / (chain * draw)`` (of the split draws) instead of the ESS.

    Returns
    -------
    ess : ndarray, shape ``param_shape`` (a NumPy scalar when it is ``()``)
        ``nan`` for a parameter whose draws contain NaN, and everywhere when there are fewer than
        4 draws (with a ``RuntimeWarning``). A constant parameter has ESS ``chain * draw``.

    Raises
    ------
    ValueError
        For an unknown ``method``, a missing or malformed ``prob``, or empty draws.
    TypeError
        For non-numeric draws.

    See Also
    --------
    rhat, mcse, integrated_time

    Notes
    -----
    Equals ``arviz.ess(x, method=method, prob=prob, relative=relative)`` (ArviZ 0.x). With
    :math:`\hat\rho_t = 1 - (W - \overline{\mathrm{acov}}_t) / \widehat{\mathrm{var}}^+` (FFT
    autocovariances, biased estimator), the sum is truncated by Geyer's initial positive sequence
    and made monotone, :math:`\hat\tau = -1 + 2 \sum_t \hat\rho_t \ge 1 / \log_{10}(MN)`, and
    :math:`\mathrm{ESS} = MN / \hat\tau \le MN \log_{10}(MN)`.

    References
    ----------
    Vehtari et al. (2021), Bayesian Analysis 16(2); Geyer (1992), Statistical Science 7(4).

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import ess
    >>> x = np.random.default_rng(0).normal(size=(4, 1000))
    >>> bool(3000 < ess(x) < 5000)
    True
    """
    if method not in ESS_METHODS:
        raise ValueError(f"ess: expected method in {ESS_METHODS}, got {method!r}")
    if method in ("quantile",) and prob is None:
        raise ValueError("ess: method='quantile' needs prob, a float in (0, 1); got prob=None")
    if method == "quantile" and not np.isscalar(prob):
        raise ValueError(f"ess: method='quantile' expects a float prob, got {prob!r}")
    if method == "local" and (
        prob is None or not isinstance(prob, Sequence) or len(prob) != 2  # type: ignore[arg-type]
    ):
        raise ValueError(f"ess: method='local' expects prob=(lower, upper), got {prob!r}")
    ary, param_shape = _flat(_as_draws(x, "ess"))
    if not _shape_ok(ary, _ESS_MIN_CHAINS, "ess", "ESS"):
        return _unflat(np.full(ary.shape[2], np.nan), param_shape)
    out = _ess_method(ary, method, prob, relative)
    out[_nan_params(ary)] = np.nan
    return _unflat(out, param_shape)


def mcse(
    x: ArrayLike, method: str = "mean", *, prob: float | None = None
) -> np.ndarray | np.float64:
    r"""Monte Carlo standard error of a posterior mean, sd, median or quantile estimate.

    Parameters
    ----------
    x : ArrayLike, shape ``(chain, draw)`` or ``(chain, draw, *param_shape)``
        Draws; a 1-D array is one chain.
    method : {"mean", "sd", "median", "quantile"}
        The estimate whose error is wanted; ``"quantile"`` needs ``prob``.
    prob : float, optional
        The quantile's probability for ``method="quantile"``.

    Returns
    -------
    mcse : ndarray, shape ``param_shape`` (a NumPy scalar when it is ``()``)
        ``nan`` when there are fewer than 4 draws (with a ``RuntimeWarning``).

    Raises
    ------
    ValueError
        For an unknown ``method``, a missing ``prob`` or empty draws.

    See Also
    --------
    ess, summary

    Notes
    -----
    Equals ``arviz.mcse(x, method=method, prob=prob)`` (ArviZ 0.x):
    ``mean``: :math:`s / \sqrt{\mathrm{ESS_{mean}}}`; ``sd`` (delta method):
    :math:`\sqrt{(\overline{d^2} - \overline{d}^2) / \mathrm{ESS_{mean}}(d) / (4 \overline{d})}`
    with :math:`d = (x - \bar x)^2`; ``quantile``: half the distance between the draws' order
    statistics at the 15.87% and 84.13% quantiles of
    :math:`\mathrm{Beta}(\mathrm{ESS}_q p + 1, \mathrm{ESS}_q (1 - p) + 1)`.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import mcse
    >>> x = np.random.default_rng(0).normal(size=(4, 1000))
    >>> bool(0.01 < mcse(x) < 0.02)
    True
    """
    if method not in MCSE_METHODS:
        raise ValueError(f"mcse: expected method in {MCSE_METHODS}, got {method!r}")
    if method == "quantile" and (prob is None or not np.isscalar(prob)):
        raise ValueError(f"mcse: method='quantile' needs a float prob in (0, 1), got {prob!r}")
    ary, param_shape = _flat(_as_draws(x, "mcse"))
    if not _shape_ok(ary, _ESS_MIN_CHAINS, "mcse", "MCSE"):
        return _unflat(np.full(ary.shape[2], np.nan), param_shape)
    if method == "mean":
        out = _mcse_mean(ary)
    elif method == "sd":
        out = _mcse_sd(ary)
    elif method == "median":
        out = _mcse_quantile(ary, 0.5)
    else:
        out = _mcse_quantile(ary, float(prob))  # type: ignore[arg-type]
    out[_nan_params(ary)] = np.nan
    return _unflat(out, param_shape)


def bfmi(energy: ArrayLike) -> np.ndarray:
    r"""Energy Bayesian fraction of missing information (E-BFMI) of each chain.

    Parameters
    ----------
    energy : ArrayLike, shape ``(chain, draw)``
        The Hamiltonian energy of each draw (HMC/NUTS ``stats["energy"]``); 1-D is one chain.

    Returns
    -------
    bfmi : ndarray, shape ``(chain,)``
        :math:`\mathrm{mean}_t (E_t - E_{t-1})^2 / \mathrm{var}(E)` (``ddof=1``) per chain; values
        below 0.3 suggest the momentum resampling explores the energy distribution poorly.

    Raises
    ------
    ValueError
        If ``energy`` is not 1-D or 2-D, or has fewer than 2 draws.

    Notes
    -----
    Equals ``arviz.bfmi(energy)``.

    References
    ----------
    Betancourt (2016). Diagnosing suboptimal cotangent disintegrations in Hamiltonian Monte Carlo.
    arXiv:1604.00695.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import bfmi
    >>> bfmi(np.random.default_rng(0).normal(size=(2, 1000))).shape
    (2,)
    """
    ary = _as_draws(energy, "bfmi")
    if ary.ndim != 2:
        raise ValueError(
            f"bfmi: expected energy of shape (chain, draw), got shape {np.shape(energy)}"
        )
    if ary.shape[1] < 2:
        raise ValueError(f"bfmi: expected at least 2 draws per chain, got shape {ary.shape}")
    num = np.square(np.diff(ary, axis=1)).mean(axis=1)
    den = np.var(ary, axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


# --------------------------------------------------------------------------------------------------
# autocorrelation


def autocov(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Autocovariance at every lag along ``axis``, by FFT (biased estimator).

    Parameters
    ----------
    x : ArrayLike
        The series; for draws of shape ``(chain, draw, *param_shape)`` pass ``axis=1``.
    axis : int, default -1
        The time axis.

    Returns
    -------
    acov : ndarray, same shape as ``x``
        :math:`\hat\gamma_t = \frac{1}{n} \sum_{i=0}^{n-1-t} (x_i - \bar x)(x_{i+t} - \bar x)`.

    Notes
    -----
    Equals ``arviz.autocov(x, axis)``; zero-padded to a 5-smooth length >= 2n, so no circular wrap.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import autocov
    >>> x = np.random.default_rng(0).normal(size=100)
    >>> bool(np.isclose(autocov(x)[0], np.var(x)))
    True
    """
    ary = np.asarray(x, dtype=np.float64)
    if ary.ndim == 0:
        raise ValueError("autocov: expected an array with a time axis, got a scalar")
    axis = _check_axis(axis, ary.ndim, "autocov")
    return _autocov_fft(ary, axis)


def autocorr(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Autocorrelation at every lag along ``axis``, by FFT: ``autocov(x) / autocov(x)[lag 0]``.

    Parameters
    ----------
    x : ArrayLike
        The series; for draws of shape ``(chain, draw, *param_shape)`` pass ``axis=1``.
    axis : int, default -1
        The time axis.

    Returns
    -------
    acorr : ndarray, same shape as ``x``
        1 at lag 0; ``nan`` for a constant series.

    Notes
    -----
    Equals ``arviz.autocorr(x, axis)`` and, for a 1-D series, ``emcee.autocorr.function_1d(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import autocorr
    >>> float(autocorr(np.random.default_rng(0).normal(size=100))[0])
    1.0
    """
    ary = np.asarray(x, dtype=np.float64)
    if ary.ndim == 0:
        raise ValueError("autocorr: expected an array with a time axis, got a scalar")
    axis = _check_axis(axis, ary.ndim, "autocorr")
    cov = _autocov_fft(ary, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.take(cov, [0], axis=axis)


def _check_axis(axis: int, ndim: int, fname: str) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{fname}: expected axis in [{-ndim}, {ndim}), got axis={axis}")
    return axis % ndim


INTEGRATED_TIME_LAYOUTS = ("emcee", "chain_draw")


def integrated_time(
    x: ArrayLike,
    c: float = 5,
    tol: float = 50,
    quiet: bool = False,
    has_walkers: bool = True,
    *,
    layout: str = "emcee",
) -> np.ndarray | np.float64:
    r"""Integrated autocorrelation time by emcee's estimator with Sokal's automated window.

    The signature, the default axis order and the errors are emcee's
    (``emcee.autocorr.integrated_time``), so emcee code runs unchanged; fluxion's own draws
    (``result.draws[name]``, laid out ``(chain, draw, ...)`` like every other function in
    this module) take ``layout="chain_draw"``, or use ``result.get_autocorr_time()``.

    Parameters
    ----------
    x : ArrayLike
        The series. With ``layout="emcee"`` (the default): shape ``(n_steps,)``,
        ``(n_steps, n_walkers)`` or ``(n_steps, n_walkers, n_dim)`` (and further parameter axes
        after ``n_dim``), as ``sampler.get_chain()`` and ``SampleResult.get_chain()`` give it;
        emcee 2's ``sampler.chain`` is ``(n_walkers, n_steps, n_dim)``: pass
        ``np.swapaxes(sampler.chain, 0, 1)``. With ``layout="chain_draw"``: shape ``(n_draw,)``,
        ``(chain, draw)`` or ``(chain, draw, *param_shape)``. Walkers (chains) share one
        estimate: their normalized autocorrelation functions are averaged.
    c : float, default 5
        Window constant: the window is the smallest ``M`` with ``M >= c * tau(M)``.
    tol : float, default 50
        The chain must be longer than ``tol * tau`` for the estimate to be trusted.
    quiet : bool, default False
        When the chain is too short, warn (``RuntimeWarning``) and return the estimate instead of
        raising :class:`AutocorrError`.
    has_walkers : bool, default True
        emcee's switch for 2-D ``x`` in the emcee layout: False reads it as
        ``(n_steps, n_dim)`` (one walker). Ignored otherwise.
    layout : {"emcee", "chain_draw"}, default "emcee"
        Which axis is time: the first (emcee's ``(step, walker, ...)``) or the second
        (fluxion's and ArviZ's ``(chain, draw, ...)``). Never guessed from the shape.

    Returns
    -------
    tau : ndarray or NumPy scalar
        One value per parameter: shape ``(n_dim, ...)`` for 3-D emcee input, ``(n_dim,)`` for
        2-D input with ``has_walkers=False``, a scalar for 1-D and ``(n_steps, n_walkers)``
        input (emcee returns shape ``(1,)`` there); ``param_shape`` with ``"chain_draw"``.

    Raises
    ------
    AutocorrError
        If ``tol * tau > n_steps`` for some parameter and ``quiet`` is False; the estimate is in
        its ``tau`` attribute.
    ValueError
        An unknown ``layout``.

    Notes
    -----
    With :math:`\hat\rho_t` the walker-averaged autocorrelation,
    :math:`\hat\tau(M) = 1 + 2 \sum_{t=1}^{M} \hat\rho_t` and the window ``M`` is the first
    with :math:`M \ge c \hat\tau(M)` (the last lag if none is). Equals
    ``emcee.autocorr.integrated_time(x)`` on the same array.

    Before fluxion 0.1.1 the only layout was ``(chain, draw, ...)``: such calls now need
    ``layout="chain_draw"``. A ``(chain, draw)`` array read as emcee's layout has only a few
    "steps" and raises :class:`AutocorrError`, whose message points here.

    References
    ----------
    Sokal (1997). Monte Carlo methods in statistical mechanics: foundations and new algorithms.
    Goodman & Weare (2010); Foreman-Mackey et al. (2013), emcee.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import integrated_time
    >>> x = np.random.default_rng(0).normal(size=(5000, 4))  # (step, walker)
    >>> bool(0.8 < integrated_time(x) < 1.2)
    True
    >>> bool(0.8 < integrated_time(x.T, layout="chain_draw") < 1.2)
    True
    """
    if layout not in INTEGRATED_TIME_LAYOUTS:
        raise ValueError(
            f"integrated_time: unknown layout {layout!r}; expected 'emcee' (time on the first "
            "axis: (step, walker, ...)) or 'chain_draw' (time on the second: (chain, draw, ...))"
        )
    if layout == "emcee" and not isinstance(x, Mapping):
        try:
            x = np.asarray(x)
        except Exception:  # ragged input: _as_draws says so
            pass
        else:
            if x.ndim == 2 and not has_walkers:
                x = x[:, np.newaxis, :]
            if x.ndim >= 2:
                x = np.swapaxes(x, 0, 1)  # (step, walker, ...) -> (walker, step, ...)
    ary = _as_draws(x, "integrated_time")
    ary, param_shape = _flat(ary)
    n_t = ary.shape[1]
    acf = autocorr(ary, axis=1).mean(axis=0)  # (draw, m), averaged over chains
    taus = 2.0 * np.cumsum(acf, axis=0) - 1.0
    # window: the first lag M with M >= c tau(M), else the last lag
    below = np.arange(n_t)[:, np.newaxis] < c * taus
    window = np.where(below.all(axis=0), n_t - 1, np.argmin(below, axis=0))
    tau = taus[window, np.arange(taus.shape[1])]
    flag = tol * tau > n_t
    if np.any(flag):
        steps = "steps" if layout == "emcee" else "draws"
        msg = (
            f"integrated_time: the chain is shorter than {tol} times the integrated "
            f"autocorrelation time for {int(np.sum(flag))} parameter(s); use this estimate with "
            f"caution and run a longer chain (N/{tol} = {n_t / tol:.0f} with N = {n_t} {steps}; "
            f"tau = {tau})"
        )
        if ary.shape[0] > n_t:
            other = "layout='chain_draw'" if layout == "emcee" else "the default layout='emcee'"
            msg += (
                f". x was read as {n_t} {steps} of {ary.shape[0]} "
                f"{'walkers' if layout == 'emcee' else 'chains'}: if time runs along the other "
                f"axis, pass {other}"
            )
        if not quiet:
            raise AutocorrError(_unflat(tau, param_shape), msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return _unflat(tau, param_shape)


# --------------------------------------------------------------------------------------------------
# summary


def hdi(x: ArrayLike, hdi_prob: float = 0.94) -> np.ndarray:
    """Highest density interval of unimodal draws: the narrowest interval holding ``hdi_prob``.

    Parameters
    ----------
    x : ArrayLike, shape ``(chain, draw)`` or ``(chain, draw, *param_shape)``
        Draws; chains are pooled (a 1-D array is one chain).
    hdi_prob : float, default 0.94
        Probability mass of the interval, in (0, 1].

    Returns
    -------
    interval : ndarray, shape ``param_shape + (2,)``
        Lower and upper bounds.

    Raises
    ------
    ValueError
        If ``hdi_prob`` is outside (0, 1] or there are too few draws.

    Notes
    -----
    Equals ``arviz.hdi`` (``multimodal=False``) on the pooled draws: among the intervals
    ``[x_(i), x_(i + floor(p S))]`` of the sorted draws, the first of least width.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import hdi
    >>> hdi(np.random.default_rng(0).normal(size=(4, 1000))).shape
    (2,)
    """
    if not 0 < hdi_prob <= 1:
        raise ValueError(f"hdi: expected hdi_prob in (0, 1], got {hdi_prob!r}")
    ary, param_shape = _flat(_as_draws(x, "hdi"))
    return _hdi(ary, hdi_prob).reshape(*param_shape, 2)


def _hdi(ary: np.ndarray, hdi_prob: float) -> np.ndarray:
    """HDI bounds of ``(chain, draw, m)`` draws; shape ``(m, 2)``."""
    c, n, m = ary.shape
    size = c * n
    s = np.sort(ary.reshape(size, m), axis=0)
    inc = int(np.floor(hdi_prob * size))
    n_intervals = size - inc
    if n_intervals <= 0:
        raise ValueError(f"hdi: too few draws ({size}) for an interval of probability {hdi_prob}")
    width = s[inc:] - s[:n_intervals]
    lo_idx = np.argmin(width, axis=0)
    cols = np.arange(m)
    return np.stack((s[lo_idx, cols], s[lo_idx + inc, cols]), axis=-1)


@dataclass
class SummaryTable:
    """A summary table when pandas is not installed: rows are parameters, columns are statistics.

    Attributes
    ----------
    index : list of str
        Row labels: ``name`` for a scalar parameter, ``name[i, j]`` for an element of an array one.
    columns : list of str
        Statistic names.
    values : ndarray, shape ``(len(index), len(columns))``
    """

    index: list[str]
    columns: list[str]
    values: np.ndarray = field(repr=False)

    def __getitem__(self, column: str) -> np.ndarray:
        if column not in self.columns:
            raise KeyError(f"SummaryTable: no column {column!r}; columns are {self.columns}")
        return self.values[:, self.columns.index(column)]

    @property
    def loc(self) -> _RowLookup:
        """``table.loc[row, column]`` like pandas."""
        return _RowLookup(self)

    def to_dict(self) -> dict[str, np.ndarray]:
        """Column name -> values of shape ``(len(index),)``."""
        return {col: self.values[:, i].copy() for i, col in enumerate(self.columns)}

    def to_csv(self, path: str) -> None:
        """Write the table as CSV (a header row, then one row per parameter), like pandas."""
        import csv

        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["", *self.columns])
            for label, row in zip(self.index, self.values):
                writer.writerow([label, *(repr(float(v)) for v in row)])

    def __str__(self) -> str:
        cells = [[_format_cell(v) for v in row] for row in self.values]
        label_w = max([len(s) for s in self.index] + [0])
        widths = [
            max([len(col)] + [len(row[i]) for row in cells]) for i, col in enumerate(self.columns)
        ]
        head = " " * label_w + "".join(f"  {col:>{w}}" for col, w in zip(self.columns, widths))
        lines = [head]
        for label, row in zip(self.index, cells):
            body = "".join(f"  {cell:>{w}}" for cell, w in zip(row, widths))
            lines.append(f"{label:<{label_w}}{body}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


@dataclass
class _RowLookup:
    table: SummaryTable

    def __getitem__(self, key: tuple[str, str]) -> float:
        row, col = key
        if row not in self.table.index:
            raise KeyError(f"SummaryTable: no row {row!r}")
        return float(self.table[col][self.table.index.index(row)])


def _format_cell(v: float) -> str:
    if np.isnan(v):
        return "nan"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{v:.1f}"
    return f"{v:.6g}"


def _element_labels(name: str, param_shape: tuple[int, ...]) -> list[str]:
    if param_shape == ():
        return [name]
    return [f"{name}[{', '.join(str(i) for i in idx)}]" for idx in np.ndindex(*param_shape)]


def _summary_rows(ary: np.ndarray, hdi_prob: float) -> np.ndarray:
    """The nine statistics for the m parameters of ``(chain, draw, m)`` draws; shape ``(m, 9)``."""
    m = ary.shape[2]
    flat = ary.reshape(-1, m)
    mean = flat.mean(axis=0)
    sd = np.std(flat, axis=0, ddof=1)
    interval = _hdi(ary, hdi_prob)
    diag = np.full((m, 5), np.nan)
    n_chain, n_draw = ary.shape[:2]
    if n_draw >= _MIN_DRAWS:
        nan_mask = _nan_params(ary)
        ok = ~nan_mask
        a = ary[:, :, ok]
        lo, hi = _tail_probs(None)
        ess_tail = _first_min(_ess_quantile(a, lo), _ess_quantile(a, hi))
        if n_chain >= _RHAT_MIN_CHAINS:
            r_hat = _rhat_rank(a, fold_after_split=False)
        else:
            r_hat = np.full(a.shape[2], np.nan)
        diag[ok] = np.column_stack(
            (_mcse_mean(a), _mcse_sd(a), _ess_core(_z_scale(_split_chains(a))), ess_tail, r_hat)
        )
    return np.column_stack((mean, sd, interval, diag))


_AUTO_DECIMALS = {"ess_bulk": 0, "ess_tail": 0, "r_hat": 2}


def summary(
    draws: Any,
    *,
    var_names: Sequence[str] | str | None = None,
    round_to: int | str | None = None,
    hdi_prob: float = 0.94,
) -> Any:
    r"""Summary table of posterior draws: mean, sd, HDI, MCSE, bulk and tail ESS, R-hat.

    Parameters
    ----------
    draws : dict of str to ArrayLike, ArrayLike, or an object with a ``draws`` dict
        Each array has shape ``(chain, draw)`` or ``(chain, draw, *param_shape)``; a bare array is
        named ``"x"``. A sampling result (anything with a ``.draws`` mapping) is accepted.
    var_names : str or sequence of str, optional
        Variables to include, in this order (default: all, in the dict's order).
    round_to : int or "auto", optional
        ``None`` (default) keeps full precision; an int rounds every column to that many decimals;
        ``"auto"`` rounds as ``arviz.summary`` does by default (3 decimals, ESS to integers, R-hat
        to 2).
    hdi_prob : float, default 0.94
        Probability of the highest density interval, in (0, 1].

    Returns
    -------
    table : pandas.DataFrame or SummaryTable
        One row per scalar parameter (``name`` or ``name[i, j]``), columns ``mean``, ``sd``,
        ``hdi_3%``, ``hdi_97%`` (named after ``hdi_prob``), ``mcse_mean``, ``mcse_sd``,
        ``ess_bulk``, ``ess_tail``, ``r_hat``. A pandas DataFrame when pandas is importable, else
        a :class:`SummaryTable` (same index, columns and values; ``str()`` prints it).

    Raises
    ------
    ValueError
        For an unknown variable name, a bad ``hdi_prob`` or ``round_to``, or empty draws.
    TypeError
        For non-numeric draws.

    Notes
    -----
    Equals ``arviz.summary(draws, hdi_prob=hdi_prob, round_to="none")`` (ArviZ 0.x). As there,
    the tail R-hat folds the draws about the median of all draws before splitting (``rhat``
    folds the split draws), which differs only for an odd number of draws. ESS and MCSE are
    ``nan`` with fewer than 4 draws, R-hat with fewer than 2 chains.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import summary
    >>> rng = np.random.default_rng(0)
    >>> table = summary({"mu": rng.normal(size=(4, 500)), "theta": rng.normal(size=(4, 500, 2))})
    >>> list(table.index)
    ['mu', 'theta[0]', 'theta[1]']
    """
    if not 0 < hdi_prob <= 1:
        raise ValueError(f"summary: expected hdi_prob in (0, 1], got {hdi_prob!r}")
    if round_to is not None and round_to != "auto" and not isinstance(round_to, int | np.integer):
        raise ValueError(f"summary: expected round_to None, an int or 'auto', got {round_to!r}")
    if hasattr(draws, "draws") and isinstance(draws.draws, Mapping):
        draws = draws.draws
    if isinstance(draws, list | tuple) and any(
        hasattr(d, "shape") or isinstance(d, Mapping) for d in draws
    ):
        # a list of arrays would be stacked as chains of one variable: never what was meant
        raise TypeError(
            f"summary: expected a dict name -> draws (chain, draw, *param_shape), a sampling "
            f"result or one array, got a {type(draws).__name__} of {len(draws)} arrays; name "
            "them (summary({'a': a, 'b': b})), or np.stack them if they are the chains of one "
            "variable"
        )
    if not isinstance(draws, Mapping):
        draws = {"x": draws}
    if var_names is None:
        names = list(draws)
    else:
        names = [var_names] if isinstance(var_names, str) else list(var_names)
        missing = [n for n in names if n not in draws]
        if missing:
            raise ValueError(
                f"summary: var_names {missing} not among the draws' variables {list(draws)}"
            )
    alpha = 1 - hdi_prob
    columns = [
        "mean",
        "sd",
        f"hdi_{100 * alpha / 2:g}%",
        f"hdi_{100 * (1 - alpha / 2):g}%",
        "mcse_mean",
        "mcse_sd",
        "ess_bulk",
        "ess_tail",
        "r_hat",
    ]
    index: list[str] = []
    blocks: list[np.ndarray] = []
    for name in names:
        ary, param_shape = _flat(_as_draws(draws[name], f"summary (variable {name!r})"))
        index.extend(_element_labels(str(name), param_shape))
        blocks.append(_summary_rows(ary, hdi_prob))
    values = np.concatenate(blocks, axis=0) if blocks else np.empty((0, len(columns)))
    if isinstance(round_to, int | np.integer):
        values = np.round(values, int(round_to))
    elif round_to == "auto":
        for i, col in enumerate(columns):
            values[:, i] = np.round(values[:, i], _AUTO_DECIMALS.get(col, 3))
    try:
        import pandas as pd
    except ImportError:
        return SummaryTable(index=index, columns=columns, values=values)
    return pd.DataFrame(values, index=index, columns=columns)
