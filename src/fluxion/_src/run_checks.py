"""Convergence checks run after every MCMC run: R-hat, ESS, divergences, tree depth, E-BFMI,
an improper posterior, and (for the ensemble sampler) the chain length in autocorrelation times.

``fluxion.mcmc.sample`` calls :func:`check_sampling` on its draws and statistics, stores the
result in ``result.warnings`` and emits each as a :class:`fluxion.SamplingWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .diagnostics import _element_labels, bfmi, ess, integrated_time, rhat

__all__ = ["RunWarning", "check_sampling"]

KINDS = (
    "rhat",
    "ess_bulk",
    "ess_tail",
    "divergences",
    "tree_depth",
    "bfmi",
    "improper",
    "ensemble_tau",
)

# Stan's thresholds (Vehtari et al. 2021; Betancourt 2016) and emcee's.
RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100
BFMI_MIN = 0.3
TAU_FACTOR = 50
# Improper-posterior thresholds (see _improper_mask for why these never fire on a proper one).
RUNAWAY = 1e30
DRIFT_FLOOR = 1e8
DRIFT_RHAT = 1.1
_MIN_DRAWS = 4  # R-hat, ESS and E-BFMI need at least this many draws per chain
_MAX_NAMES = 5


@dataclass(frozen=True)
class RunWarning:
    """One failed convergence check of an MCMC run.

    Attributes
    ----------
    kind : str
        Which check: ``"rhat"``, ``"ess_bulk"``, ``"ess_tail"``, ``"divergences"``,
        ``"tree_depth"``, ``"bfmi"``, ``"improper"``, ``"ensemble_tau"``; ``sample`` adds
        ``"interrupted"`` to the partial result of a run stopped by Ctrl-C.
    message : str
        What failed, for which parameters, the worst value and the usual fix (``str(w)``).
    params : tuple of str
        The parameter elements concerned, worst first (``"w[3]"`` for an element of a vector);
        empty for run-wide checks (divergences, tree depth, E-BFMI).
    """

    kind: str
    message: str
    params: tuple[str, ...]

    def __str__(self) -> str:
        return self.message


def check_sampling(
    draws: Mapping[str, Any],
    stats: Mapping[str, Any] | None = None,
    *,
    kernel: str,
    max_depth: int | None = None,
) -> list[RunWarning]:
    """Check an MCMC run for the usual signs of unreliable draws (Stan's, PyMC's and emcee's).

    Parameters
    ----------
    draws : dict of str to ndarray, each of shape ``(chain, draw, *param_shape)``
        The draws (``SampleResult.draws``); for ``kernel="ensemble"`` the chains are the walkers.
    stats : dict of str to ndarray, each of shape ``(chain, draw)``, optional
        Sampler statistics after warm-up (``SampleResult.stats``). The checks use
        ``"divergent"``, ``"tree_depth"`` and ``"energy"`` where present and skip the ones whose
        key is missing (RWM, MALA, slice and ensemble runs have none of them).
    kernel : str
        The kernel that made the draws (``"nuts"``, ``"hmc"``, ``"rwm"``, ``"mala"``,
        ``"slice"`` or ``"ensemble"``). ``"ensemble"`` replaces the R-hat and ESS checks (its
        walkers are not independent chains) by the integrated autocorrelation time.
    max_depth : int, optional
        NUTS's maximum tree depth; the tree-depth check runs only for ``kernel="nuts"`` with it.

    Returns
    -------
    warnings : list of RunWarning
        One per failed check, in the order: improper, R-hat, bulk ESS, tail ESS, divergences,
        tree depth, E-BFMI (or improper, ensemble_tau); empty when every check passes.

    Raises
    ------
    TypeError
        If ``draws`` or ``stats`` is not a mapping, or a draw array is not numeric.
    ValueError
        If a draw array has fewer than 2 dimensions.

    Notes
    -----
    The rules, each applied where the draws allow it (a check that needs more chains or draws
    than the run has is skipped, never an error):

    - ``"improper"``: a parameter element with a non-finite draw, a draw with
      ``|x| > 1e30``, or a drift: a draw with ``|x| > 1e8`` while the chains are not stationary
      (rank R-hat of the chains' halves, taken as chains, ``> 1.1``).
    - ``"rhat"``: rank-normalized split R-hat (:func:`fluxion.diagnostics.rhat`) ``> 1.01``;
      needs 2 chains and 4 draws.
    - ``"ess_bulk"``, ``"ess_tail"``: bulk or tail ESS ``< 100 * chains`` (Stan's rule).
    - ``"divergences"``: any divergent transition after warm-up.
    - ``"tree_depth"``: any NUTS transition with ``tree_depth >= max_depth``.
    - ``"bfmi"``: a chain's E-BFMI (:func:`fluxion.diagnostics.bfmi`) ``< 0.3``.
    - ``"ensemble_tau"``: ``draw < 50 * tau`` for some parameter, ``tau`` the integrated
      autocorrelation time over the walkers (:func:`fluxion.diagnostics.integrated_time`).

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.diagnostics import check_sampling
    >>> rng = np.random.default_rng(0)
    >>> check_sampling({"x": rng.normal(size=(4, 1000))}, {}, kernel="nuts")
    []
    >>> stuck = {"x": rng.normal(size=(4, 1000)) + np.arange(4)[:, None]}
    >>> [w.kind for w in check_sampling(stuck, {}, kernel="nuts")]
    ['rhat', 'ess_bulk', 'ess_tail']
    """
    if not isinstance(draws, Mapping):
        raise TypeError(
            "check_sampling: expected draws as a dict of arrays of shape (chain, draw, "
            f"*param_shape), got {type(draws).__name__}"
        )
    if stats is None:
        stats = {}
    if not isinstance(stats, Mapping):
        raise TypeError(
            "check_sampling: expected stats as a dict of arrays of shape (chain, draw), got "
            f"{type(stats).__name__}"
        )
    flat, labels = _flatten(draws)
    out: list[RunWarning] = []
    if flat is None:
        return out
    finite = np.isfinite(flat).all(axis=(0, 1))
    _append(out, _check_improper(flat, labels))
    if kernel == "ensemble":
        _append(out, _check_tau(flat[:, :, finite], labels[finite]))
        return out
    _append(out, _check_rhat(flat[:, :, finite], labels[finite]))
    for method in ("bulk", "tail"):
        _append(out, _check_ess(flat[:, :, finite], labels[finite], method))
    _append(out, _check_divergences(stats))
    if kernel == "nuts" and max_depth is not None:
        _append(out, _check_tree_depth(stats, int(max_depth)))
    _append(out, _check_bfmi(stats))
    return out


# --------------------------------------------------------------------------------------------------
# helpers


def _append(out: list[RunWarning], w: RunWarning | None) -> None:
    if w is not None:
        out.append(w)


def _flatten(draws: Mapping[str, Any]) -> tuple[np.ndarray | None, np.ndarray]:
    """Stack every parameter element: ``(chain, draw, m)`` float64 and the m element labels."""
    columns, labels = [], []
    for name, value in draws.items():
        ary = np.asarray(value)
        if ary.dtype.kind not in "biuf":
            raise TypeError(
                f"check_sampling: expected real numeric draws for {name!r}, got dtype {ary.dtype}"
            )
        if ary.ndim < 2:
            raise ValueError(
                f"check_sampling: expected draws[{name!r}] of shape (chain, draw, *param_shape), "
                f"got shape {ary.shape}"
            )
        if columns and ary.shape[:2] != columns[0].shape[:2]:
            raise ValueError(
                f"check_sampling: draws[{name!r}] has {ary.shape[:2]} (chain, draw), the other "
                f"parameters {columns[0].shape[:2]}"
            )
        columns.append(ary.reshape(ary.shape[0], ary.shape[1], -1).astype(np.float64))
        labels.extend(_element_labels(str(name), ary.shape[2:]))
    if not columns or columns[0].shape[0] == 0 or columns[0].shape[1] == 0:
        return None, np.array([], dtype=object)
    return np.concatenate(columns, axis=2), np.array(labels, dtype=object)


def _names(labels: Any) -> str:
    """At most five names, then "and N more"."""
    labels = list(labels)
    shown = ", ".join(labels[:_MAX_NAMES])
    if len(labels) > _MAX_NAMES:
        shown += f" and {len(labels) - _MAX_NAMES} more"
    return shown


def _fmt(v: float) -> str:
    return f"{v:.4g}" if np.isfinite(v) else str(float(v))


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a diagnostic without its RuntimeWarnings (too few draws, constant series)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def _stat(stats: Mapping[str, Any], key: str) -> np.ndarray | None:
    """``stats[key]`` as a float64 ``(chain, draw)`` array, or None when absent or malformed."""
    if key not in stats:
        return None
    ary = np.asarray(stats[key], dtype=np.float64)
    if ary.ndim == 1:
        ary = ary[np.newaxis]
    if ary.ndim != 2 or ary.size == 0:
        return None
    return ary


# --------------------------------------------------------------------------------------------------
# the checks


def _improper_mask(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which elements look improper, and a magnitude for ordering them (largest first).

    Why these rules do not fire on a proper posterior:

    - A non-finite draw: a sampler targeting a proper density keeps finite positions; inf or
      nan means positions (or the constraining transform) overflowed while running away.
    - ``|x| > 1e30``: where a density does not decay, every adaptation grows without bound
      (dual averaging raises the step size while every move is accepted, the metric and the
      slice widths follow the draws' spread), so the chains run off exponentially: measured
      1e34 after 30 warm-up steps of NUTS, 1e51 after 100, 1e185 after 300. A proper posterior
      on a scale beyond 1e30 in the sampled space does not occur in a sensible parameterization.
    - Drift: samplers with bounded moves (slice, ensemble, short warm-ups) walk off more slowly
      (measured 1e9 to 1e12 after 100 to 300 slice steps), and a magnitude alone cannot tell
      that from a proper posterior in large units. What a proper posterior cannot do is both: a
      draw beyond ``1e8`` AND non-stationary chains (rank R-hat > 1.1 over each chain's halves,
      so that one chain is enough). A random walk on a flat density gives R-hat 1.8 to 2.9; a
      proper posterior at any scale that the sampler explores has R-hat near 1. (A badly mixed
      proper posterior beyond 1e8 can be flagged, but its R-hat and ESS warnings fire anyway.)
    """
    n_chain, n_draw, m = flat.shape
    nonfinite = ~np.isfinite(flat).all(axis=(0, 1))
    with np.errstate(invalid="ignore"):
        absx = np.where(np.isfinite(flat), np.abs(flat), 0.0)
    big = absx.max(axis=(0, 1))
    bad = nonfinite | (big > RUNAWAY)
    candidates = ~bad & (big > DRIFT_FLOOR)
    half = n_draw // 2
    if candidates.any() and half >= _MIN_DRAWS:
        halves = np.concatenate((flat[:, :half], flat[:, n_draw - half :]), axis=0)
        r = np.asarray(_quiet(rhat, halves[:, :, candidates]), dtype=np.float64).reshape(-1)
        with np.errstate(invalid="ignore"):
            bad[np.flatnonzero(candidates)[r > DRIFT_RHAT]] = True
    score = np.where(nonfinite, np.inf, big)
    return bad, score


def _check_improper(flat: np.ndarray, labels: np.ndarray) -> RunWarning | None:
    bad, score = _improper_mask(flat)
    if not bad.any():
        return None
    idx = np.flatnonzero(bad)
    idx = idx[np.argsort(-score[idx], kind="stable")]
    worst = idx[0]
    if np.isinf(score[worst]):
        what = f"{labels[worst]} has non-finite draws"
    else:
        what = f"{labels[worst]} reaches |draw| = {score[worst]:.3g}"
    return RunWarning(
        "improper",
        f"sample: the draws of {len(idx)} parameter(s) run off to huge or non-finite values "
        f"({_names(labels[idx])}; {what}): the posterior looks improper (the log density does "
        "not decay in some direction) or the model overflows; give the parameter a proper prior "
        "or a constraint, or check the log density",
        tuple(labels[idx]),
    )


def _check_rhat(flat: np.ndarray, labels: np.ndarray) -> RunWarning | None:
    n_chain, n_draw, m = flat.shape
    if n_chain < 2 or n_draw < _MIN_DRAWS or m == 0:
        return None
    r = np.asarray(_quiet(rhat, flat), dtype=np.float64).reshape(m)
    # a constant-in-each-chain parameter gives inf (chains disagree with zero spread): kept
    with np.errstate(invalid="ignore"):
        bad = r > RHAT_MAX
    if not bad.any():
        return None
    idx = np.flatnonzero(bad)
    idx = idx[np.argsort(-r[idx], kind="stable")]
    return RunWarning(
        "rhat",
        f"sample: R-hat > {RHAT_MAX} for {len(idx)} parameter(s) ({_names(labels[idx])}; "
        f"worst {labels[idx[0]]}: R-hat = {_fmt(r[idx[0]])}): the chains have not mixed (they "
        "disagree, e.g. stuck in different modes); run longer, reparameterize, or check for "
        "multimodality",
        tuple(labels[idx]),
    )


def _check_ess(flat: np.ndarray, labels: np.ndarray, method: str) -> RunWarning | None:
    n_chain, n_draw, m = flat.shape
    if n_draw < _MIN_DRAWS or m == 0:
        return None
    e = np.asarray(_quiet(ess, flat, method), dtype=np.float64).reshape(m)
    floor = ESS_PER_CHAIN_MIN * n_chain
    with np.errstate(invalid="ignore"):
        bad = e < floor
    if not bad.any():
        return None
    idx = np.flatnonzero(bad)
    idx = idx[np.argsort(e[idx], kind="stable")]
    which = "bulk" if method == "bulk" else "tail"
    what = "posterior means and medians" if method == "bulk" else "tail quantiles and intervals"
    return RunWarning(
        f"ess_{which}",
        f"sample: {which} ESS < {floor} ({ESS_PER_CHAIN_MIN} per chain) for {len(idx)} "
        f"parameter(s) ({_names(labels[idx])}; worst {labels[idx[0]]}: ESS = "
        f"{_fmt(e[idx[0]])}): {what} may be unreliable; run more draws or reparameterize",
        tuple(labels[idx]),
    )


def _check_divergences(stats: Mapping[str, Any]) -> RunWarning | None:
    div = _stat(stats, "divergent")
    if div is None:
        return None
    n = int(np.sum(div != 0))
    if n == 0:
        return None
    per_chain = ", ".join(str(int(k)) for k in np.sum(div != 0, axis=1))
    return RunWarning(
        "divergences",
        f"sample: {n} divergent transitions after warm-up (of {div.size}, {n / div.size:.1%}; "
        f"per chain: {per_chain}); the posterior may be biased where the sampler could not "
        "follow its curvature: raise target_accept (e.g. 0.95) or reparameterize (e.g. a "
        "non-centered hierarchy); see result.stats['divergent']",
        (),
    )


def _check_tree_depth(stats: Mapping[str, Any], max_depth: int) -> RunWarning | None:
    depth = _stat(stats, "tree_depth")
    if depth is None:
        return None
    n = int(np.sum(depth >= max_depth))
    if n == 0:
        return None
    return RunWarning(
        "tree_depth",
        f"sample: {n} of {depth.size} transitions ({n / depth.size:.1%}) hit the maximum tree "
        f"depth {max_depth} (their trajectories were cut short: an efficiency concern, not "
        "bias); reparameterize (strong correlations or very different scales), try "
        f"metric='dense', or raise max_depth (> {max_depth})",
        (),
    )


def _check_bfmi(stats: Mapping[str, Any]) -> RunWarning | None:
    energy = _stat(stats, "energy")
    if energy is None or energy.shape[1] < _MIN_DRAWS:
        return None
    b = np.asarray(_quiet(bfmi, energy), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = b < BFMI_MIN
    if not bad.any():
        return None
    chains = np.flatnonzero(bad)
    values = ", ".join(f"chain {c}: {b[c]:.3g}" for c in chains)
    return RunWarning(
        "bfmi",
        f"sample: E-BFMI < {BFMI_MIN} in {len(chains)} of {len(b)} chain(s) ({values}): the "
        "momentum resampling explores the energy distribution poorly (typical of heavy tails "
        "and funnels); reparameterize (e.g. non-centered) or use lighter-tailed priors",
        (),
    )


def _check_tau(flat: np.ndarray, labels: np.ndarray) -> RunWarning | None:
    n_walker, n_draw, m = flat.shape
    if n_draw < _MIN_DRAWS or m == 0:
        return None
    tau = np.asarray(
        _quiet(integrated_time, flat, tol=TAU_FACTOR, quiet=True, layout="chain_draw"),
        dtype=np.float64,
    )
    tau = tau.reshape(m)
    with np.errstate(invalid="ignore"):
        bad = TAU_FACTOR * tau > n_draw
    if not bad.any():
        return None
    idx = np.flatnonzero(bad)
    idx = idx[np.argsort(-tau[idx], kind="stable")]
    shown = ", ".join(f"{labels[i]}: {tau[i]:.3g}" for i in idx[:_MAX_NAMES])
    if len(idx) > _MAX_NAMES:
        shown += f" and {len(idx) - _MAX_NAMES} more"
    return RunWarning(
        "ensemble_tau",
        f"sample: the chain is shorter than {TAU_FACTOR} times the integrated autocorrelation "
        f"time for {len(idx)} parameter(s) ({n_draw} draws per walker, draws/{TAU_FACTOR} = "
        f"{n_draw / TAU_FACTOR:.3g}; tau: [{shown}]); use the estimates with caution and run "
        f"longer (draws > {TAU_FACTOR} * {tau[idx[0]]:.3g})",
        tuple(labels[idx]),
    )
