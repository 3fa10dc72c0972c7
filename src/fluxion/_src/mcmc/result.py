"""The result of ``fluxion.mcmc.sample``: draws, sampler statistics and how the run went."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SampleResult"]


class SampleResult:
    """Draws and sampler statistics from :func:`sample`.

    Attributes
    ----------
    draws : dict of str to ndarray
        Parameter name -> draws of shape ``(chain, draw, *param_shape)``, constrained space.
    stats : dict of str to ndarray
        ``step_size``, ``tree_depth``, ``n_leapfrog``, ``accept_prob``, ``energy``,
        ``divergent`` and ``log_density``, each of shape ``(chain, draw)``.
    warmup_stats : dict
        The same statistics for the warm-up iterations.
        For "rwm" and "mala": ``step_size``, ``accept_prob``, ``accepted``, ``n_evals``,
        ``log_density``; for "slice": ``n_evals`` (log-density evaluations per sweep) and
        ``log_density``.
    warmup_stats : dict
        The same statistics for the warm-up iterations.
    inv_metric : list of ndarray
        The adapted inverse metric of each chain (for "slice": the adapted slice widths).
    elapsed : float
        Wall time in seconds (compile and warm-up included).
    kernel : str
    adaptation : list of str
        Which warm-up adaptation ran in each chain: "stan", "nutpie", "slice-width" or "none".
    metric : str
        The metric kind: "diag", "dense" or "low_rank" ("none" for slice and ensemble).
    compiled : str
        Where the chains ran: "chain" (whole chains, warm-up included, in numba) or "python".
    potential : str or None
        With compiled chains, how they reached the model: "kernel" (its numba-compiled
        gradient) or "tape" (its graph on the tape machine; see ``config.mcmc_potential``).
    compiled_reason : str
        Why the chains ran where they did: the potential's choice ("auto: 2,400 elements per
        call...") or why the Python NUTS ran (naming the primitive); "" when not NUTS.
    """

    #: True for the partial result of a run stopped by Ctrl-C (the draws every chain finished)
    interrupted: bool = False

    def __init__(
        self,
        draws: dict,
        stats: dict,
        warmup_stats: dict,
        inv_metric: list,
        elapsed: float,
        kernel: str,
        adaptation: list | None = None,
        metric: str = "none",
        compiled: str = "python",
        potential: str | None = None,
        compiled_reason: str = "",
    ) -> None:
        self.draws = draws
        self.stats = stats
        self.warmup_stats = warmup_stats
        self.inv_metric = inv_metric
        self.elapsed = elapsed
        self.kernel = kernel
        self.adaptation = list(adaptation) if adaptation is not None else []
        self.metric = metric
        self.compiled = compiled
        self.potential = potential if compiled == "chain" else None
        self.compiled_reason = compiled_reason

    @property
    def num_divergences(self) -> int:
        return int(np.sum(self.stats.get("divergent", 0)))

    def summary(self, **kwargs: Any) -> Any:
        """The diagnostics table (``fluxion.diagnostics.summary``) of the draws."""
        from ..diagnostics import summary  # per call: diagnostics loads scipy.stats (~0.3 s)

        return summary(self.draws, **kwargs)

    def to_arviz(self) -> Any:
        """An ``arviz.InferenceData`` with the posterior and the sample stats."""
        try:
            import arviz
        except ImportError:
            raise ImportError(
                "to_arviz: ArviZ is not installed; pip install arviz (or fluxion[arviz])"
            ) from None
        stats = {
            ("diverging" if k == "divergent" else "lp" if k == "log_density" else k): v
            for k, v in self.stats.items()
        }
        return arviz.from_dict(posterior=self.draws, sample_stats=stats)

    def __repr__(self) -> str:
        shape = next(iter(self.draws.values())).shape[:2]
        return (
            f"SampleResult({self.kernel}: {shape[0]} chains x {shape[1]} draws, "
            f"{len(self.draws)} parameters, {self.num_divergences} divergences, "
            f"{self.elapsed:.2f} s)"
        )
