"""Supports and parameter domains of distributions (TFP's and NumPyro's ``constraints``).

A :class:`Constraint` answers three questions about a set:

- ``check(x)``: a boolean array, one entry per event (``x.shape[:x.ndim - event_ndims]``), True
  where ``x`` lies in the set (used by ``validate_args=True``);
- ``bijector()``: the :class:`fluxion.bijectors.Bijector` from unconstrained space onto the set
  (what ``Distribution.default_bijector`` returns and what samplers and optimizers use);
- ``describe()``: a short text for error messages (``"> 0"``, ``"in [0, 1]"``).

Constraints with parameters (``interval(low, high)``, ``greater_than(low)``,
``integer_interval(low, high)``) hold them as arrays, so a family's support may depend on its
parameters (``Uniform(low, high).support``).

The bijectors come from :func:`fluxion.bijectors.for_constraint`; a constraint whose bijector is
not in that registry says so when asked (discrete sets have none: they cannot be sampled by
gradient-based methods).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import bijectors as _bij
from ..core import Tracer

__all__ = [
    "Constraint",
    "boolean",
    "circular",
    "corr_cholesky",
    "corr_matrix",
    "dependent",
    "greater_than",
    "greater_than_eq",
    "integer_interval",
    "interval",
    "less_than",
    "lower_cholesky",
    "nonnegative",
    "nonnegative_integer",
    "ordered_vector",
    "positive",
    "positive_definite",
    "positive_integer",
    "positive_vector",
    "real",
    "real_vector",
    "simplex",
    "unit_interval",
    "is_concrete",
]


def is_concrete(*xs: Any) -> bool:
    """True when none of ``xs`` is a traced value (so it can be checked eagerly)."""
    return not any(isinstance(x, Tracer) for x in xs)


def _event_reduce(ok: np.ndarray, event_ndims: int) -> np.ndarray:
    ok = np.asarray(ok, dtype=bool)
    if event_ndims:
        ok = ok.all(axis=tuple(range(ok.ndim - event_ndims, ok.ndim)))
    return ok


class Constraint:
    """A set of values: a support or a parameter domain.

    Parameters
    ----------
    name : str
        The registry name (``"positive"``, ``"interval"``, ...).
    event_ndims : int
        Rank of one element of the set (0 for scalar sets, 1 for vectors, 2 for matrices).
    test : callable
        ``test(x) -> bool ndarray`` elementwise (before the event reduction), on NumPy arrays.
    text : str
        What an error message prints after "expected": e.g. ``"> 0"``.
    spec : str or tuple, optional
        What :func:`fluxion.bijectors.for_constraint` takes for this set; None for sets with no
        bijector (discrete sets).
    discrete : bool
        True for sets of integers or booleans.
    """

    __slots__ = ("name", "event_ndims", "_test", "text", "spec", "discrete", "params")

    def __init__(
        self,
        name: str,
        event_ndims: int,
        test: Any,
        text: str,
        spec: Any = None,
        discrete: bool = False,
        params: tuple = (),
    ) -> None:
        self.name = name
        self.event_ndims = event_ndims
        self._test = test
        self.text = text
        self.spec = spec
        self.discrete = discrete
        self.params = params

    def check(self, x: Any) -> np.ndarray:
        """Membership per event.

        Parameters
        ----------
        x : array_like
            Concrete values, shape ``batch + event`` with ``len(event) == event_ndims``.

        Returns
        -------
        numpy.ndarray of bool
            Shape ``x.shape[:x.ndim - event_ndims]``.
        """
        x = np.asarray(x)
        with np.errstate(invalid="ignore"):
            ok = self._test(x)
        return _event_reduce(ok, self.event_ndims)

    def describe(self) -> str:
        """The set as an error message states it (``"> 0"``, ``"a simplex"``)."""
        return self.text

    def bijector(self) -> _bij.Bijector:
        """The bijector from unconstrained space onto this set.

        Raises
        ------
        NotImplementedError
            For discrete sets and sets with no registered bijector.
        """
        if self.spec is None:
            kind = "a discrete set" if self.discrete else "this set"
            raise NotImplementedError(
                f"constraint {self.name!r}: {kind} has no bijector from the real line; "
                "a discrete variable cannot be a gradient-based sampler's parameter "
                "(marginalize it out, or observe it)"
            )
        return _bij.for_constraint(self.spec)

    def __repr__(self) -> str:
        if self.params:
            return f"{self.name}({', '.join(_short(p) for p in self.params)})"
        return self.name


def _short(p: Any) -> str:
    if isinstance(p, Tracer):
        return repr(p.aval) if hasattr(p, "aval") else "traced"
    a = np.asarray(p)
    return repr(a.item()) if a.ndim == 0 else f"array{a.shape}"


def _is_int(x: np.ndarray) -> np.ndarray:
    return np.isfinite(x) & (np.floor(x) == x)


# --- scalar sets ------------------------------------------------------------------------------
real = Constraint("real", 0, lambda x: ~np.isnan(x), "a real number (not nan)", "real")
positive = Constraint("positive", 0, lambda x: x > 0, "> 0", "positive")
nonnegative = Constraint("nonnegative", 0, lambda x: x >= 0, ">= 0", "positive")
unit_interval = Constraint(
    "unit_interval", 0, lambda x: (x >= 0) & (x <= 1), "in [0, 1]", "unit_interval"
)
circular = Constraint(
    "circular", 0, lambda x: (x >= -math.pi) & (x <= math.pi), "in [-pi, pi]",
    ("interval", -math.pi, math.pi),
)
boolean = Constraint("boolean", 0, lambda x: (x == 0) | (x == 1), "0 or 1", discrete=True)
nonnegative_integer = Constraint(
    "nonnegative_integer", 0, lambda x: _is_int(x) & (x >= 0), "an integer >= 0", discrete=True
)
positive_integer = Constraint(
    "positive_integer", 0, lambda x: _is_int(x) & (x >= 1), "an integer >= 1", discrete=True
)
dependent = Constraint(
    "dependent", 0, lambda x: np.ones(np.shape(x), bool), "(depends on the parameters)"
)


def interval(low: Any, high: Any) -> Constraint:
    """The closed interval ``[low, high]`` (arrays broadcast)."""
    return Constraint(
        "interval", 0,
        lambda x: (x >= np.asarray(low)) & (x <= np.asarray(high)),
        f"in [{_short(low)}, {_short(high)}]", ("interval", low, high), params=(low, high),
    )


def greater_than(low: Any) -> Constraint:
    """``x > low``."""
    return Constraint(
        "greater_than", 0, lambda x: x > np.asarray(low), f"> {_short(low)}",
        ("greater_than", low), params=(low,),
    )


def greater_than_eq(low: Any) -> Constraint:
    """``x >= low`` (its bijector maps onto ``x > low``)."""
    return Constraint(
        "greater_than_eq", 0, lambda x: x >= np.asarray(low), f">= {_short(low)}",
        ("greater_than", low), params=(low,),
    )


def less_than(high: Any) -> Constraint:
    """``x < high``."""
    return Constraint(
        "less_than", 0, lambda x: x < np.asarray(high), f"< {_short(high)}",
        ("less_than", high), params=(high,),
    )


def integer_interval(low: Any, high: Any) -> Constraint:
    """The integers ``low, low + 1, ..., high``."""
    return Constraint(
        "integer_interval", 0,
        lambda x: _is_int(x) & (x >= np.asarray(low)) & (x <= np.asarray(high)),
        f"an integer in [{_short(low)}, {_short(high)}]", discrete=True, params=(low, high),
    )


# --- vector and matrix sets -------------------------------------------------------------------
real_vector = Constraint("real_vector", 1, lambda x: ~np.isnan(x), "a real vector", "real")
positive_vector = Constraint("positive_vector", 1, lambda x: x > 0, "a vector > 0", "positive")


def _simplex_test(x: np.ndarray) -> np.ndarray:
    ok = (x >= 0).all(axis=-1) & (np.abs(x.sum(axis=-1) - 1.0) < 1e-6)
    return np.broadcast_to(ok[..., None], x.shape)


simplex = Constraint("simplex", 1, _simplex_test, "a simplex (entries >= 0 summing to 1)",
                     "simplex")


def _ordered_test(x: np.ndarray) -> np.ndarray:
    ok = (np.diff(x, axis=-1) > 0).all(axis=-1)
    return np.broadcast_to(ok[..., None], x.shape)


ordered_vector = Constraint("ordered_vector", 1, _ordered_test, "a strictly increasing vector",
                            "ordered")


def _lower_cholesky_test(x: np.ndarray) -> np.ndarray:
    upper_zero = (np.triu(x, 1) == 0).all(axis=(-2, -1))
    diag_pos = (np.diagonal(x, axis1=-2, axis2=-1) > 0).all(axis=-1)
    return np.broadcast_to((upper_zero & diag_pos)[..., None, None], x.shape)


lower_cholesky = Constraint(
    "lower_cholesky", 2, _lower_cholesky_test,
    "a lower-triangular matrix with a positive diagonal", "lower_cholesky",
)


def _corr_cholesky_test(x: np.ndarray) -> np.ndarray:
    ok = _lower_cholesky_test(x)[..., 0, 0]
    ok = ok & (np.abs(np.sum(x * x, axis=-1) - 1.0) < 1e-6).all(axis=-1)
    return np.broadcast_to(ok[..., None, None], x.shape)


corr_cholesky = Constraint(
    "corr_cholesky", 2, _corr_cholesky_test,
    "the Cholesky factor of a correlation matrix (lower triangular, rows of unit norm)",
    "corr_cholesky",
)


def _pd_test(x: np.ndarray) -> np.ndarray:
    sym = np.abs(x - np.swapaxes(x, -1, -2)).max(axis=(-2, -1), initial=0.0) < 1e-8 * (
        1.0 + np.abs(x).max(axis=(-2, -1), initial=0.0)
    )
    with np.errstate(all="ignore"):
        eig = np.linalg.eigvalsh(np.where(np.isfinite(x), x, 0.0))
    ok = sym & (eig > 0).all(axis=-1) & np.isfinite(x).all(axis=(-2, -1))
    return np.broadcast_to(ok[..., None, None], x.shape)


positive_definite = Constraint(
    "positive_definite", 2, _pd_test, "a symmetric positive-definite matrix",
    "positive_definite",
)


def _corr_matrix_test(x: np.ndarray) -> np.ndarray:
    ok = _pd_test(x)[..., 0, 0] & (
        np.abs(np.diagonal(x, axis1=-2, axis2=-1) - 1.0) < 1e-8
    ).all(axis=-1)
    return np.broadcast_to(ok[..., None, None], x.shape)


corr_matrix = Constraint(
    "corr_matrix", 2, _corr_matrix_test, "a correlation matrix (positive definite, unit diagonal)",
    "corr_matrix",
)
