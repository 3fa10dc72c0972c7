"""The result of ``fluxion.mcmc.sample``: draws, sampler statistics and how the run went."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SampleResult", "element_names"]


def element_names(name: str, shape: tuple[int, ...]) -> list[str]:
    """The names of a parameter's scalars in C order: ``"m"``, ``"w[0]"``, ``"L[1, 0]"``.

    Parameters
    ----------
    name : str
    shape : tuple of int
        The parameter's shape (``()`` for a scalar).

    Returns
    -------
    list of str, length ``prod(shape)``
    """
    if not shape:
        return [name]
    return [f"{name}[{', '.join(map(str, idx))}]" for idx in np.ndindex(*shape)]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _check_thin_discard(who: str, thin: Any, discard: Any, n_draws: int) -> None:
    if isinstance(thin, bool) or not isinstance(thin, int | np.integer) or thin < 1:
        raise ValueError(f"{who}: expected thin to be an integer >= 1, got {thin!r}")
    if isinstance(discard, bool) or not isinstance(discard, int | np.integer) or discard < 0:
        raise ValueError(f"{who}: expected discard to be an integer >= 0, got {discard!r}")
    if discard + thin - 1 >= n_draws:
        raise ValueError(
            f"{who}: discard={discard} and thin={thin} leave no draws of the {n_draws} per chain "
            f"(emcee's rule keeps draws discard + thin - 1, discard + 2 thin - 1, ...); "
            f"use discard < {max(n_draws - thin + 1, 0)}"
        )


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
        Where the chains ran: "chain" (whole chains, warm-up included, in numba),
        "transition" (NUTS with a warm-up that runs in Python, ``metric="low_rank"`` or
        ``adapt_metric`` without ``adapt_step_size``: every transition in numba) or "python".
    potential : str or None
        With compiled chains, how they reached the model: "kernel" (its numba-compiled
        gradient), "tape" (its graph on the tape machine; see ``config.mcmc_potential``) or
        "python" (the model called back in Python once per gradient: ``jit=False``, or a model
        neither compiled form can run, e.g. an ODE solve; ``compiled_reason`` names why).
    compiled_reason : str
        Why the chains ran where they did: the potential's choice ("auto: 2,400 elements per
        call..."), why the potential runs in Python, or why the Python NUTS ran (naming the
        primitive or the option); "" when not NUTS.
    warnings : list of str
        The convergence warnings of the run (R-hat, ESS, divergences, ...), in the order they
        were raised; empty when none (or when they were not checked).
    log_likelihood : dict of str to ndarray
        For a model with observed variables (a conditioned joint distribution): each observed
        variable's pointwise log-likelihood at every draw, shape ``(chain, draw, *batch)``;
        empty otherwise. ``to_arviz()`` puts it in the ``log_likelihood`` group (``az.loo``).
    observed_data : dict of str to ndarray
        The observed variables' data (``to_arviz()``'s ``observed_data`` group); empty
        otherwise.
    events : list of str
        What happened to a run on an ``executor`` (a lost worker and the chunk re-run from the
        chain's snapshot, ...); empty otherwise.
    warmup_draws : dict of str to ndarray
        With ``sample(save_warmup=True)``: the warm-up draws, shape ``(chain, warmup,
        *shape)`` (``to_arviz()``'s ``warmup_posterior`` group); empty otherwise.

    Notes
    -----
    emcee's conventions are there too, for code ported from an ``emcee.EnsembleSampler``:
    :meth:`get_chain` (``(draw, chain, n_dim)``, every scalar parameter as one column, named by
    :attr:`param_labels`), :attr:`flatchain`, :meth:`get_log_prob`, :attr:`acceptance_fraction`
    and :meth:`get_autocorr_time`. With ``kernel="ensemble"`` every walker is a chain.
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
        warnings: list | None = None,
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
        self.potential = potential if compiled in ("chain", "transition") else None
        self.compiled_reason = compiled_reason
        self.warnings = list(warnings) if warnings is not None else []
        self.log_likelihood: dict = {}
        self.observed_data: dict = {}
        self.warmup_draws: dict = {}
        self.events: list = []

    @property
    def num_divergences(self) -> int:
        return int(np.sum(self.stats.get("divergent", 0)))

    def summary(self, **kwargs: Any) -> Any:
        """The diagnostics table (``fluxion.diagnostics.summary``) of the draws.

        For ``kernel="ensemble"`` the walkers are not independent chains, so R-hat and the
        per-chain ESS mean nothing there: the table has ``tau`` (emcee's integrated
        autocorrelation time, :meth:`get_autocorr_time`), ``ess`` (``draws * walkers / tau``,
        the worksheet's effective sample size) and ``mcse_mean`` (``sd / sqrt(ess)``) instead.

        For a many-chain run with superchains (``sample(kernel="chees", superchains=K)``) the
        table gains ``nested_r_hat`` (:func:`fluxion.diagnostics.nested_rhat`), the convergence
        check meant for many short chains, where the per-chain ``r_hat`` is pessimistic.
        """
        from ..diagnostics import summary  # per call: diagnostics loads scipy.stats (~0.3 s)

        table = summary(self.draws, **kwargs)
        if self.kernel == "ensemble":
            return self._ensemble_columns(table, kwargs.get("round_to"))
        nested = getattr(self, "nested_rhat", None)
        if not nested or kwargs.get("var_names") is not None:
            return table
        by_label = dict(zip(self.param_labels, np.concatenate(
            [np.ravel(np.asarray(nested[name], dtype=np.float64)) for name in self.draws])))
        column = np.array([by_label.get(str(r), np.nan) for r in table.index])
        round_to = kwargs.get("round_to")
        if round_to is not None:
            column = np.round(column, 3 if round_to == "auto" else int(round_to))
        return _with_column(table, "nested_r_hat", column)

    def _ensemble_columns(self, table: Any, round_to: Any) -> Any:
        import warnings

        with warnings.catch_warnings():  # "shorter than 50 tau" is result.warnings' business
            warnings.simplefilter("ignore", RuntimeWarning)
            tau = dict(zip(self.param_labels, self.get_autocorr_time(quiet=True)))
        n_chains, n_draws = self._shape
        rows = list(table.index)
        columns = list(table.columns)
        keep = [j for j, c in enumerate(columns) if c in ("mean", "sd") or c.startswith("hdi_")]
        values = np.asarray(table.values, dtype=np.float64)[:, keep]
        tau_col = np.array([tau.get(r, np.nan) for r in rows])
        ess = n_chains * n_draws / tau_col
        sd = values[:, [columns[j] for j in keep].index("sd")]
        extra = np.column_stack([tau_col, ess, sd / np.sqrt(ess)])
        if round_to == "auto":  # as summary's "auto": ESS to integers, the rest to 3 decimals
            extra = np.column_stack([np.round(tau_col, 3), np.round(ess), np.round(extra[:, 2], 3)])
        elif round_to is not None:
            extra = np.round(extra, int(round_to))
        names = [columns[j] for j in keep] + ["tau", "ess", "mcse_mean"]
        new = np.concatenate([values, extra], axis=1)
        if type(table).__name__ == "DataFrame":
            return type(table)(new, index=table.index, columns=names)
        return type(table)(rows, names, new)

    def to_arviz(
        self,
        posterior_predictive: dict | None = None,
        *,
        prior: dict | None = None,
        prior_predictive: dict | None = None,
        warmup: bool = True,
    ) -> Any:
        """An ``arviz.InferenceData`` with ArviZ's groups.

        ``posterior`` and ``sample_stats`` (ArviZ's names: ``diverging``, ``lp``, ...); for a
        model with observed variables, ``log_likelihood`` and ``observed_data`` (so
        ``arviz.loo``, ``arviz.waic`` and ``arviz.compare`` work); ``warmup_posterior`` and
        ``warmup_sample_stats`` for a run with ``save_warmup=True``; and the predictive groups
        given here.

        Parameters
        ----------
        posterior_predictive : dict, optional
            Name -> draws of shape ``(chain, draw, *shape)``, e.g. from
            ``fluxion.infer.Predictive(model, result)(seed)``: the ``posterior_predictive``
            group (``arviz.plot_ppc``).
        prior : dict, optional
            Prior predictive draws of shape ``(num_samples, *shape)`` as
            ``fluxion.infer.Predictive(model, num_samples=n)(seed)`` returns them: the free
            variables go to the ``prior`` group and the observed ones (those in
            :attr:`observed_data`) to ``prior_predictive``, each with one chain.
        prior_predictive : dict, optional
            Name -> draws of shape ``(num_samples, *shape)`` for the ``prior_predictive``
            group, when they are not part of ``prior``.
        warmup : bool, default True
            Write the warm-up groups when the run saved its warm-up draws.

        Returns
        -------
        arviz.InferenceData
        """
        try:
            import arviz
        except ImportError:
            raise ImportError(
                "to_arviz: ArviZ is not installed; pip install arviz (or fluxion[arviz])"
            ) from None

        def arviz_stats(stats: dict) -> dict:
            return {
                ("diverging" if k == "divergent" else "lp" if k == "log_density" else k): v
                for k, v in stats.items()
            }

        def by_name(arg: str, value: Any, leading: str) -> dict:
            if not isinstance(value, dict):
                raise TypeError(
                    f"to_arviz: expected {arg} as a dict of name -> draws of shape "
                    f"({leading}, *shape), got {type(value).__name__}"
                )
            return {k: np.asarray(v) for k, v in value.items()}

        groups: dict[str, Any] = {
            "posterior": self.draws, "sample_stats": arviz_stats(self.stats),
        }
        if self.log_likelihood:
            groups["log_likelihood"] = self.log_likelihood
        if self.observed_data:
            groups["observed_data"] = {k: np.asarray(v) for k, v in self.observed_data.items()}
        if posterior_predictive is not None:
            groups["posterior_predictive"] = by_name(
                "posterior_predictive", posterior_predictive, "chain, draw"
            )
        one_chain: dict[str, dict] = {"prior": {}, "prior_predictive": {}}
        if prior is not None:
            for k, v in by_name("prior", prior, "num_samples").items():
                group = "prior_predictive" if k in self.observed_data else "prior"
                one_chain[group][k] = v[None]
        if prior_predictive is not None:
            for k, v in by_name("prior_predictive", prior_predictive, "num_samples").items():
                one_chain["prior_predictive"][k] = v[None]
        groups.update({g: v for g, v in one_chain.items() if v})
        if warmup and self.warmup_draws:
            groups["warmup_posterior"] = self.warmup_draws
            groups["warmup_sample_stats"] = arviz_stats(
                {k: v for k, v in self.warmup_stats.items() if k in self.stats}
            )
            return arviz.from_dict(**groups, save_warmup=True)
        return arviz.from_dict(**groups)

    # ---------------------------------------------------------------------------------------------
    # emcee's conventions

    @property
    def _shape(self) -> tuple[int, int]:
        """(chains, draws) of the draws."""
        if not self.draws:
            raise ValueError("SampleResult: the result holds no draws")
        return tuple(np.shape(next(iter(self.draws.values())))[:2])

    @property
    def param_labels(self) -> list[str]:
        """The names of the columns of :meth:`get_chain`: ``["m", "b", "w[0]", "w[1]", ...]``.

        Every scalar of every parameter, in the order of ``draws`` (elements in C order).
        """
        names: list[str] = []
        for name, value in self.draws.items():
            names += element_names(name, tuple(np.shape(value)[2:]))
        return names

    @property
    def labels(self) -> list[str]:
        """Alias of :attr:`param_labels` (for ``corner(..., labels=result.labels)``)."""
        return self.param_labels

    def get_chain(self, flat: bool = False, thin: int = 1, discard: int = 0) -> np.ndarray:
        """The draws as one array in emcee's layout: draw, chain (walker), scalar parameter.

        Parameters
        ----------
        flat : bool, default False
            Merge the draw and chain axes, draw-major as emcee does (row ``i * n_chains + c`` is
            draw ``i`` of chain ``c``).
        thin : int, default 1
            Keep every ``thin``-th draw: emcee's rule, draws ``discard + thin - 1``,
            ``discard + 2 thin - 1``, ...
        discard : int, default 0
            Drop the first ``discard`` draws of every chain (warm-up is already dropped).

        Returns
        -------
        ndarray, shape ``(n_draws, n_chains, n_dim)``, or ``(n_draws * n_chains, n_dim)`` if flat
            ``n_dim`` is the number of scalar parameters (columns named by :attr:`param_labels`),
            in constrained space; ``n_draws = (draws - discard) // thin``.

        Raises
        ------
        ValueError
            ``thin < 1``, ``discard < 0``, or no draws left.

        Examples
        --------
        ``tau = fluxion.diagnostics.integrated_time(result.get_chain())`` (emcee's layout).
        """
        n_chains, n_draws = self._shape
        _check_thin_discard("get_chain", thin, discard, n_draws)
        keep = slice(discard + thin - 1, None, thin)
        cols = [
            np.asarray(v, dtype=np.float64)[:, keep].reshape(n_chains, -1, _size(v))
            for v in self.draws.values()
        ]
        chain = np.swapaxes(np.concatenate(cols, axis=2), 0, 1)  # (draw, chain, n_dim)
        return chain.reshape(-1, chain.shape[2]) if flat else chain

    @property
    def flatchain(self) -> np.ndarray:
        """``get_chain(flat=True)``: shape ``(n_draws * n_chains, n_dim)``, as emcee's."""
        return self.get_chain(flat=True)

    def get_log_prob(self, flat: bool = False, thin: int = 1, discard: int = 0) -> np.ndarray:
        """The log density at every draw (``stats["log_density"]``), in emcee's layout.

        Parameters
        ----------
        flat, thin, discard
            As :meth:`get_chain`.

        Returns
        -------
        ndarray, shape ``(n_draws, n_chains)``, or ``(n_draws * n_chains,)`` if flat
        """
        if "log_density" not in self.stats:
            raise ValueError(
                f"get_log_prob: this result ({self.kernel}) has no stats['log_density']"
            )
        lp = np.asarray(self.stats["log_density"], dtype=np.float64)
        _check_thin_discard("get_log_prob", thin, discard, lp.shape[1])
        out = lp[:, discard + thin - 1 :: thin].T
        return out.reshape(-1) if flat else out

    @property
    def acceptance_fraction(self) -> np.ndarray:
        """The fraction of accepted proposals of each chain (walker) over the kept draws.

        Shape ``(n_chains,)``, from ``stats["accepted"]`` (kernels "ensemble", "rwm" and
        "mala"). NUTS, HMC and slice sampling make no single accept/reject decision: see
        ``stats["accept_prob"]`` (NUTS, HMC) instead.
        """
        if "accepted" not in self.stats:
            hint = (
                "; its mean acceptance statistic is stats['accept_prob'].mean(axis=1)"
                if "accept_prob" in self.stats
                else ""
            )
            raise ValueError(
                f"acceptance_fraction: kernel {self.kernel!r} records no accept/reject decisions "
                f"(stats has {sorted(self.stats)}){hint}"
            )
        return np.mean(np.asarray(self.stats["accepted"], dtype=np.float64), axis=1)

    def get_autocorr_time(
        self,
        discard: int = 0,
        thin: int = 1,
        c: float = 5,
        tol: float = 50,
        quiet: bool = False,
    ) -> np.ndarray:
        """emcee's integrated autocorrelation time of every scalar parameter.

        ``thin * integrated_time(self.get_chain(discard=discard, thin=thin), c, tol, quiet)``,
        chains (walkers) sharing one estimate, as ``emcee.EnsembleSampler.get_autocorr_time``.

        Parameters
        ----------
        discard, thin : int
            As :meth:`get_chain`; tau is given in draws of the unthinned chain.
        c, tol, quiet
            As :func:`fluxion.diagnostics.integrated_time`.

        Returns
        -------
        tau : ndarray, shape ``(n_dim,)``
            Columns named by :attr:`param_labels`.

        Raises
        ------
        fluxion.diagnostics.AutocorrError
            The chain is shorter than ``tol * tau`` and ``quiet`` is False (a
            ``RuntimeWarning`` instead when quiet).
        """
        from ..diagnostics import integrated_time  # per call: diagnostics loads scipy.stats

        chain = self.get_chain(discard=discard, thin=thin)
        return thin * np.asarray(integrated_time(chain, c=c, tol=tol, quiet=quiet))

    def __repr__(self) -> str:
        if not self.draws:
            return f"SampleResult({self.kernel}: no draws)"
        n_chains, n_draws = self._shape
        n_scalars = sum(_size(v) for v in self.draws.values())
        params = _plural(len(self.draws), "parameter")
        if n_scalars != len(self.draws):
            params += f" ({_plural(n_scalars, 'scalar')})"
        chains = _plural(n_chains, "walker" if self.kernel == "ensemble" else "chain")
        return (
            f"SampleResult({self.kernel}: {chains} x {_plural(n_draws, 'draw')}, {params}, "
            f"{_plural(self.num_divergences, 'divergence')}, {self.elapsed:.2f} s)"
        )


def _size(value: Any) -> int:
    """The number of scalars of one draw of a parameter of draws shape (chain, draw, *shape)."""
    return int(np.prod(np.shape(value)[2:], dtype=np.int64))


def _with_column(table: Any, name: str, column: np.ndarray) -> Any:
    """``table`` (a pandas DataFrame, or diagnostics' plain table) with ``column`` appended."""
    if type(table).__name__ == "DataFrame":
        out = table.copy()
        out[name] = column
        return out
    values = np.column_stack([np.asarray(table.values, dtype=np.float64), column])
    return type(table)(list(table.index), [*table.columns, name], values)
