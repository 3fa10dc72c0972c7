"""``fluxion.plot``: corner and trace plots of draws (optional: matplotlib, corner).

Install with ``pip install fluxion[plot]``. Both functions take the ``draws`` dict of a
``SampleResult`` (name -> array of shape ``(chain, draw, *shape)``), or the result itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["corner", "trace"]


def _flat_columns(draws: Any, var_names: list[str] | None) -> tuple[list[str], np.ndarray]:
    """Flatten every (element of every) parameter into one column per scalar."""
    draws = getattr(draws, "draws", draws)
    if not isinstance(draws, dict):
        raise TypeError(
            f"plot: expected a dict of draws or a SampleResult, got {type(draws).__name__}"
        )
    names, columns = [], []
    for name in var_names or list(draws):
        if name not in draws:
            raise KeyError(f"plot: no parameter named {name!r}; have {sorted(draws)}")
        arr = np.asarray(draws[name])
        if arr.ndim < 2:
            raise ValueError(
                f"plot: draws[{name!r}] must have shape (chain, draw, ...), got {arr.shape}"
            )
        flat = arr.reshape(arr.shape[0], arr.shape[1], -1)
        for k in range(flat.shape[2]):
            idx = np.unravel_index(k, arr.shape[2:]) if arr.ndim > 2 else ()
            names.append(name + (f"[{', '.join(map(str, idx))}]" if idx else ""))
            columns.append(flat[:, :, k])
    return names, np.stack(columns, axis=-1)  # (chain, draw, k)


def _require(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(
            f"fluxion.plot needs {module}: pip install fluxion[plot] (matplotlib and corner)"
        ) from None


def corner(draws: Any, *, var_names: list[str] | None = None, truths: Any = None,
           path: str | None = None, **kwargs: Any) -> Any:
    """A corner plot (the ``corner`` package) of every scalar parameter.

    Parameters
    ----------
    draws : dict or SampleResult
        name -> array ``(chain, draw, *shape)``.
    var_names : list of str, optional
        Which parameters (default: all).
    truths : sequence of float or dict, optional
        Reference values drawn as lines (a dict by name, or one value per scalar column).
    path : str, optional
        Save the figure there (PNG by extension).
    **kwargs
        Passed to ``corner.corner``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require("matplotlib")
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        matplotlib.use("Agg", force=False)
    corner_pkg = _require("corner")
    names, cols = _flat_columns(draws, var_names)
    samples = cols.reshape(-1, cols.shape[-1])
    if isinstance(truths, dict):
        truths = [truths.get(n, None) for n in names]
    fig = corner_pkg.corner(samples, labels=names, truths=truths, **kwargs)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def trace(draws: Any, *, var_names: list[str] | None = None, path: str | None = None) -> Any:
    """Trace plots (draw index vs value, one line per chain) and marginal histograms.

    Parameters
    ----------
    draws : dict or SampleResult
    var_names : list of str, optional
    path : str, optional
        Save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require("matplotlib")
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    names, cols = _flat_columns(draws, var_names)
    k = len(names)
    fig, axes = plt.subplots(k, 2, figsize=(10, 2.0 * k), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 1]})
    for j, name in enumerate(names):
        for c in range(cols.shape[0]):
            axes[j, 0].plot(cols[c, :, j], lw=0.5, alpha=0.8)
            axes[j, 1].hist(cols[c, :, j], bins=40, histtype="step", density=True)
        axes[j, 0].set_ylabel(name)
    axes[-1, 0].set_xlabel("draw")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
