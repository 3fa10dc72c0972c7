"""``fluxion.plot``: corner and trace plots of draws (optional: matplotlib, corner).

Install with ``pip install fluxion[plot]``. Both functions take

- a ``SampleResult`` or its ``draws`` dict: name -> array of shape ``(chain, draw, *shape)``
  (a 1-D array is one chain);
- a flat array of shape ``(n, d)``: ``n`` samples of ``d`` scalars, such as emcee's
  ``sampler.flatchain`` or ``result.flatchain`` (one "chain");
- an array of shape ``(n_draws, n_chains, d)``: emcee's ``sampler.get_chain()`` and
  ``result.get_chain()`` (``layout="chain_draw"`` reads it as ``(chain, draw, d)``);
- a 1-D array: draws of one scalar.

Both stay small however many parameters a model has: ``corner`` plots at most ``max_scalars``
scalars (12 by default) and ``trace`` one row per variable (every element of a vector overlaid in
that row), at most ``max_vars`` rows (20), thinned to ``max_points`` points per line. What was
left out is said in a ``UserWarning`` and in a note on the figure; ``var_names`` chooses.

With ``path``, the figure is drawn without pyplot (no window, no backend, nothing kept in
pyplot's list of figures) and saved; without it, it is a pyplot figure (shown by Jupyter or
``plt.show()``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .mcmc.result import element_names

__all__ = ["corner", "trace"]

LAYOUTS = ("emcee", "chain_draw")
_MAX_PIXELS = 2400  # the longest side of a saved corner plot, in pixels


class _Var(NamedTuple):
    name: str
    values: np.ndarray  # (chain, draw, size)
    elements: list[str]  # the names of its scalars, length size


# --------------------------------------------------------------------------------------------------
# input


def _variables(data: Any, who: str, layout: str) -> list[_Var]:
    """Read any accepted input as a list of variables of shape (chain, draw, size)."""
    if layout not in LAYOUTS:
        raise ValueError(
            f"{who}: unknown layout {layout!r}; expected 'emcee' ((draw, chain, d) arrays, as "
            "get_chain() gives them) or 'chain_draw' ((chain, draw, d))"
        )
    if hasattr(data, "draws") and isinstance(data.draws, Mapping):  # a SampleResult
        data = data.draws
    if isinstance(data, Mapping):
        if not data:
            raise ValueError(f"{who}: the draws dict is empty")
        out = []
        for name, value in data.items():
            arr = _numeric(value, who, f"draws[{name!r}]")
            if arr.ndim == 0:
                raise ValueError(
                    f"{who}: draws[{name!r}] must have shape (chain, draw, *shape), got a scalar"
                )
            if arr.ndim == 1:
                arr = arr[np.newaxis]
            shape = arr.shape[2:]
            size = int(np.prod(shape, dtype=np.int64))
            out.append(_Var(str(name), arr.reshape(arr.shape[0], arr.shape[1], size),
                            element_names(str(name), shape)))
        first = out[0]
        for var in out[1:]:
            if var.values.shape[:2] != first.values.shape[:2]:
                raise ValueError(
                    f"{who}: every parameter needs the same (chain, draw) shape; "
                    f"{first.name!r} has {first.values.shape[:2]}, {var.name!r} "
                    f"{var.values.shape[:2]}"
                )
        return out
    if isinstance(data, (str, bytes)) or not isinstance(data, np.ndarray | Sequence):
        raise TypeError(
            f"{who}: expected draws as a SampleResult, a dict of arrays (chain, draw, ...), an "
            f"(n, d) array or an (n_draws, n_chains, d) array, got {type(data).__name__}"
        )
    arr = _numeric(data, who, "the array")
    if arr.ndim == 1:
        arr = arr[np.newaxis, :, np.newaxis]
    elif arr.ndim == 2:
        arr = arr[np.newaxis]  # (n, d): one chain of n draws
    elif arr.ndim == 3:
        if layout == "emcee":
            arr = np.swapaxes(arr, 0, 1)
    else:
        raise ValueError(
            f"{who}: expected an array of shape (n,), (n, d) or (n_draws, n_chains, d), got "
            f"shape {arr.shape}; pass a dict name -> (chain, draw, *shape) for parameters "
            "with more axes"
        )
    return [_Var(f"x[{k}]", arr[:, :, k:k + 1], [f"x[{k}]"]) for k in range(arr.shape[2])]


def _numeric(value: Any, who: str, what: str) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise TypeError(f"{who}: {what} cannot be read as an array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{who}: expected real numbers in {what}, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{who}: {what} is empty (shape {arr.shape})")
    return arr


def _key(name: str) -> str:
    return "".join(name.split())  # "w[1,2]" == "w[1, 2]"


def _select(
    variables: list[_Var], var_names: Any, who: str
) -> list[tuple[int, int, str]]:
    """The chosen scalars as (variable index, element index, name), in the order asked for."""
    if var_names is None:
        return [(i, e, n) for i, v in enumerate(variables) for e, n in enumerate(v.elements)]
    if isinstance(var_names, str):
        var_names = [var_names]
    by_var = {_key(v.name): i for i, v in enumerate(variables)}
    by_elem = {_key(n): (i, e) for i, v in enumerate(variables) for e, n in enumerate(v.elements)}
    out: list[tuple[int, int, str]] = []
    for name in var_names:
        k = _key(str(name))
        if k in by_var:
            i = by_var[k]
            out += [(i, e, n) for e, n in enumerate(variables[i].elements)]
        elif k in by_elem:
            i, e = by_elem[k]
            out.append((i, e, variables[i].elements[e]))
        else:
            have = [v.name for v in variables]
            listed = ", ".join(map(repr, have[:10])) + (", ..." if len(have) > 10 else "")
            raise KeyError(
                f"{who}: no parameter or element named {name!r}; have {listed} (elements are "
                f"named like {variables[0].elements[-1]!r})"
            )
    if not out:
        raise ValueError(f"{who}: var_names selects nothing")
    return out


def _per_column(value: Any, n_shown: int, n_total: int, who: str, what: str) -> list | None:
    """A per-column sequence given for the plotted columns or for all selected columns."""
    if value is None:
        return None
    seq = list(value)
    if len(seq) == n_shown:
        return seq
    if len(seq) == n_total:
        return seq[:n_shown]
    counts = f"{n_shown}" if n_shown == n_total else f"{n_shown} (plotted) or {n_total} (selected)"
    raise ValueError(f"{who}: expected {counts} {what}, one per column, got {len(seq)}")


def _truths_from_dict(
    truths: Mapping, variables: list[_Var], cols: list[tuple[int, int, str]],
    labels: list[str] | None,
) -> list[Any]:
    known = {_key(v.name) for v in variables} | {_key(n) for v in variables for n in v.elements}
    known |= {_key(str(lab)) for lab in labels or []}
    unknown = [k for k in truths if _key(str(k)) not in known]
    if unknown:
        raise KeyError(
            f"corner: truths names {unknown!r}, which are no parameter, element or label of the "
            "draws"
        )
    table = {_key(str(k)): v for k, v in truths.items()}
    out: list[Any] = []
    for j, (i, e, name) in enumerate(cols):
        var = variables[i]
        if _key(name) in table:
            out.append(table[_key(name)])
        elif labels is not None and _key(str(labels[j])) in table:
            out.append(table[_key(str(labels[j]))])
        elif _key(var.name) in table:
            value = np.asarray(table[_key(var.name)], dtype=np.float64).reshape(-1)
            if value.size not in (1, len(var.elements)):
                raise ValueError(
                    f"corner: truths[{var.name!r}] has {value.size} values; expected 1 or "
                    f"{len(var.elements)} (one per element)"
                )
            out.append(float(value[e if value.size > 1 else 0]))
        else:
            out.append(None)
    return out


def _require(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(
            f"fluxion.plot needs {module}: pip install fluxion[plot] (matplotlib and corner)"
        ) from None


def _new_figure(path: str | None, figsize: tuple[float, float]) -> Any:
    """A pyplot figure for interactive use; a bare one (no pyplot, no backend) when saving."""
    if path is None:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize)
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def _left_out_note(who: str, shown: int, total: int, what: str, knob: str) -> str:
    return (
        f"{who}: showing {shown} of {total} {what} ({total - shown} left out); choose with "
        f"var_names=[...] or raise {knob}"
    )


# --------------------------------------------------------------------------------------------------
# corner


def corner(
    draws: Any,
    *,
    var_names: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    truths: Any = None,
    max_scalars: int | None = 12,
    layout: str = "emcee",
    path: str | None = None,
    dpi: float | None = None,
    **kwargs: Any,
) -> Any:
    """A corner plot (the ``corner`` package) of the scalar parameters: at most ``max_scalars``.

    Parameters
    ----------
    draws : SampleResult, dict, or ndarray
        A ``SampleResult`` or its draws dict (name -> ``(chain, draw, *shape)``); an ``(n, d)``
        array of samples (emcee's ``flatchain``, ``result.flatchain``); an
        ``(n_draws, n_chains, d)`` array (``get_chain()``); or an ``(n,)`` array.
    var_names : list of str, optional
        What to plot, in this order: parameter names (all their elements) or element names
        (``"w[3]"``, ``"L[1, 0]"``; columns of an array are ``"x[0]"``, ``"x[1]"``, ...).
        Default: every scalar, in the order of the draws.
    labels : list of str, optional
        Axis labels, one per plotted column (or one per selected column); replace the
        generated names.
    truths : dict or sequence, optional
        Reference values drawn as lines: a dict by parameter name (a scalar, or an array of the
        parameter's shape), element name or label; or one value per plotted (or selected)
        column. Missing entries and None draw no line.
    max_scalars : int or None, default 12
        Plot at most this many scalars (the first selected); None plots all (a 100-parameter
        corner plot is a 10,000-panel figure). When some are left out, a ``UserWarning`` and a
        note on the figure say how many.
    layout : {"emcee", "chain_draw"}, default "emcee"
        How a 3-D array is laid out: ``(draw, chain, d)`` or ``(chain, draw, d)``. The corner
        plot pools them, so this only matters for ``trace``; here for symmetry.
    path : str, optional
        Save the figure there (format by extension).
    dpi : float, optional
        Resolution of the saved file; by default 100, lowered so that a side is at most 2,400
        pixels.
    **kwargs
        Passed to ``corner.corner``: ``quantiles``, ``range`` (one per plotted or selected
        column), ``show_titles``, ``bins``, ``smooth``, ``color``, ``fig``, ...

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError, KeyError
        Input of another kind, a name that is no parameter or element, ``labels`` or ``truths``
        of the wrong length, a constant column without ``range``.
    ImportError
        matplotlib or corner is not installed (``pip install fluxion[plot]``).

    Examples
    --------
    >>> from fluxion.plot import corner
    >>> fig = corner(result, var_names=["m", "b"], truths={"m": -0.4})  # doctest: +SKIP
    >>> fig = corner(result.flatchain, labels=["m", "b", "log(s)"])  # doctest: +SKIP
    """
    _require("matplotlib")
    corner_pkg = _require("corner")
    if max_scalars is not None and (
        isinstance(max_scalars, bool) or not isinstance(max_scalars, int) or max_scalars < 1
    ):
        raise ValueError(f"corner: expected max_scalars >= 1 or None, got {max_scalars!r}")
    variables = _variables(draws, "corner", layout)
    cols = _select(variables, var_names, "corner")
    total = len(cols)
    note = None
    if max_scalars is not None and total > max_scalars:
        cols = cols[:max_scalars]
        note = _left_out_note("corner", len(cols), total, "scalars", "max_scalars (None: all)")
        warnings.warn(note, UserWarning, stacklevel=2)
    k = len(cols)
    labels = _per_column(labels, k, total, "corner", "labels")
    names = [str(lab) for lab in labels] if labels is not None else [c[2] for c in cols]
    if isinstance(truths, Mapping):
        truths = _truths_from_dict(truths, variables, cols, labels)
    else:
        truths = _per_column(truths, k, total, "corner", "truths")
    if kwargs.get("range") is not None:
        kwargs["range"] = _per_column(kwargs["range"], k, total, "corner", "range entries")
    n_chain, n_draw = variables[0].values.shape[:2]
    samples = np.empty((n_chain * n_draw, k))
    for j, (i, e, _) in enumerate(cols):
        samples[:, j] = variables[i].values[:, :, e].reshape(-1)
    side = 1.4 + 2.0 * k + 0.1 * (k - 1)  # corner's own figure size (2 in per panel)
    if kwargs.get("fig") is None:
        kwargs["fig"] = _new_figure(path, (side, side))
    try:
        fig = corner_pkg.corner(samples, labels=names, truths=truths, **kwargs)
    except (ValueError, AssertionError) as err:
        msg = str(err)
        if "no dynamic range" in msg:
            const = [names[j] for j in range(k) if np.ptp(samples[:, j]) == 0]
            raise ValueError(
                f"corner: {', '.join(const)} never change(s) in the draws (a constant column); "
                "leave it out with var_names=, or pass range=[(lo, hi), ...]"
            ) from None
        if "more dimensions than samples" in msg:
            raise ValueError(
                f"corner: {samples.shape[0]} samples of {k} columns; corner needs at least as "
                "many samples as columns (is the array transposed? expected (n, d))"
            ) from None
        raise
    if note is not None:
        fig.text(0.98, 0.98, note.replace("; ", "\n"), ha="right", va="top", fontsize=12,
                 color="0.3")
    if path is not None:
        fig.savefig(path, dpi=dpi if dpi is not None else min(100.0, _MAX_PIXELS / side))
    return fig


# --------------------------------------------------------------------------------------------------
# trace


def trace(
    draws: Any,
    *,
    var_names: Sequence[str] | None = None,
    max_vars: int | None = 20,
    max_lines: int = 64,
    max_points: int = 1000,
    bins: int = 40,
    layout: str = "emcee",
    path: str | None = None,
    dpi: float = 100,
) -> Any:
    """Compact trace plots: one row per variable, every chain and element overlaid.

    The left column is value against draw (one color per chain; the elements of a vector in
    the same row), the right the marginal histogram of every chain and element, sharing the
    value axis. Rows, lines and points are bounded, so a model with thousands of parameters
    plots in seconds.

    Parameters
    ----------
    draws : SampleResult, dict, or ndarray
        As :func:`corner`; the columns of an array are variables ``"x[0]"``, ``"x[1]"``, ...
    var_names : list of str, optional
        Variables (or single elements, ``"w[3]"``) to plot, one row per variable.
    max_vars : int or None, default 20
        At most this many rows (the first variables); None plots all. A ``UserWarning`` and a
        note on the figure say how many were left out.
    max_lines : int, default 64
        At most this many lines (elements x chains) per row: a vector with more has evenly
        spaced elements shown, and its row label says how many.
    max_points : int, default 1000
        Longer chains are thinned to about this many points per line (every k-th draw; the
        x axis says so). Histograms use every draw.
    bins : int, default 40
        Histogram bins per row.
    layout : {"emcee", "chain_draw"}, default "emcee"
        How a 3-D array is laid out: ``(draw, chain, d)`` (``get_chain()``) or
        ``(chain, draw, d)``.
    path : str, optional
        Save the figure there.
    dpi : float, default 100

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes``: two per row (trace, histogram).

    Raises
    ------
    TypeError, ValueError, KeyError
        As :func:`corner`; ``max_vars``, ``max_lines`` or ``max_points`` below 1.
    ImportError
        matplotlib is not installed.
    """
    _require("matplotlib")
    from matplotlib.collections import LineCollection

    for knob, value in (("max_lines", max_lines), ("max_points", max_points), ("bins", bins)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"trace: expected {knob} >= 1, got {value!r}")
    if max_vars is not None and (
        isinstance(max_vars, bool) or not isinstance(max_vars, int) or max_vars < 1
    ):
        raise ValueError(f"trace: expected max_vars >= 1 or None, got {max_vars!r}")
    variables = _variables(draws, "trace", layout)
    rows: dict[int, list[int]] = {}
    for i, e, _ in _select(variables, var_names, "trace"):
        if e not in rows.setdefault(i, []):
            rows[i].append(e)
    notes = []
    if max_vars is not None and len(rows) > max_vars:
        notes.append(_left_out_note("trace", max_vars, len(rows), "variables", "max_vars"))
        warnings.warn(notes[-1], UserWarning, stacklevel=2)
        rows = dict(list(rows.items())[:max_vars])
    n_chain, n_draw = variables[0].values.shape[:2]
    stride = max(1, math.ceil(n_draw / max_points))
    steps = np.arange(0, n_draw, stride)
    colors = [f"C{c % 10}" for c in range(n_chain)]
    fig = _new_figure(path, (10.0, 1.5 * len(rows) + 0.8))
    axes = fig.subplots(len(rows), 2, squeeze=False, sharey="row",
                        gridspec_kw={"width_ratios": [4, 1]})
    for r, (i, elems) in enumerate(rows.items()):
        var = variables[i]
        n_c = var.values.shape[0]
        label = var.name if len(var.elements) == len(elems) else ", ".join(
            var.elements[e] for e in elems[:3]) + (", ..." if len(elems) > 3 else "")
        keep = max(1, max_lines // n_c)
        if len(elems) > keep:
            elems = [elems[j] for j in np.unique(np.linspace(0, len(elems) - 1, keep).round()
                                                 .astype(int))]
            label = f"{var.name}\n({len(elems)} of {len(var.elements)} shown)"
        vals = var.values[:, :, elems]  # (chain, draw, e)
        finite = vals[np.isfinite(vals)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        edges = np.histogram_bin_edges(finite if finite.size else [0.0], bins=bins,
                                       range=(lo, hi) if hi > lo else None)
        segs, hsegs, cols = [], [], []
        for c in range(n_c):
            for j in range(len(elems)):
                series = vals[c, :, j]
                segs.append(np.column_stack([steps, series[::stride]]))
                ok = series[np.isfinite(series)]
                dens, _ = np.histogram(ok, bins=edges, density=ok.size > 0 and hi > lo)
                hsegs.append(np.column_stack([np.repeat(dens, 2),
                                              np.repeat(edges, 2)[1:-1]]))
                cols.append(colors[c % len(colors)])
        alpha = 0.8 if len(elems) == 1 else max(0.15, 0.8 / math.sqrt(len(elems)))
        axes[r, 0].add_collection(LineCollection(segs, colors=cols, linewidths=0.5, alpha=alpha))
        axes[r, 1].add_collection(LineCollection(hsegs, colors=cols, linewidths=0.8, alpha=alpha))
        axes[r, 0].set_xlim(0, max(n_draw - 1, 1))
        pad = 0.05 * (hi - lo) if hi > lo else 0.5
        axes[r, 0].set_ylim(lo - pad, hi + pad)
        axes[r, 1].autoscale_view(scalex=True, scaley=False)
        axes[r, 1].set_xlim(left=0)
        axes[r, 0].set_ylabel(label, fontsize=9)
        axes[r, 1].tick_params(labelleft=False)
    axes[-1, 0].set_xlabel("draw" + (f" (every {stride} draws shown)" if stride > 1 else ""))
    axes[-1, 1].set_xlabel("density")
    if notes:
        fig.suptitle("\n".join(notes), fontsize=9, color="0.3")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig
