"""The :class:`Distribution` base class (TensorFlow Probability's interface) and the KL registry.

How a family is written (one class, one block; see ``continuous.Normal`` for the model)::

    class Normal(Distribution):
        parameter_constraints = {"loc": constraints.real, "scale": constraints.positive}
        support = constraints.real
        reparameterized = True

        def __init__(self, loc=0.0, scale=1.0, *, validate_args=False):
            super().__init__(dict(loc=loc, scale=scale), validate_args=validate_args)

        def _log_prob(self, x):
            return stats.norm.logpdf(x, self.loc, self.scale)

        def _sample(self, sample_shape, key):
            shape = sample_shape + self.batch_shape
            return self.loc + self.scale * random.normal(key, shape)

Rules the base relies on:

- ``__init__`` only passes the parameters to ``Distribution.__init__`` (plus hashable
  non-array settings as ``static=``). Anything derived is a method or property computed from
  them: a distribution is a pytree, and rebuilding it from its leaves inside ``jit``/``vmap``/
  ``grad`` skips ``__init__`` (so validation never sees traced values).
- Parameters are reached as attributes (``self.loc``); ``None`` marks an absent alternative
  (``probs`` or ``logits``). Parameters may also be distributions or bijectors (pytrees).
- ``_log_prob``, ``_cdf``, ... receive the value already converted and checked; they return
  arrays that broadcast to ``sample_shape + batch_shape``. Moments (``_mean``, ``_variance``,
  ...) may return anything that broadcasts: the base broadcasts them to
  ``batch_shape + event_shape``.
- ``_sample(sample_shape, key)`` returns ``sample_shape + batch_shape + event_shape`` and is
  written with :mod:`fluxion.random` and :mod:`fluxion.numpy`, so a reparameterized family's
  samples are differentiable in its parameters.
- The public methods validate (when ``validate_args=True`` and the values are concrete) and
  raise errors that name the family, the method, what was expected and what was received.
- ``_log_prob_in_support(x)`` (optional) is the plain density for a value known to lie in the
  support, without the ``where``/``isnan`` masks the public ``log_prob`` needs for arbitrary
  input; ``_log_prob_sum_in_support(x)`` its sum. A conditioned joint distribution's potential
  (what the samplers compile) uses them: its free values come from bijectors and its data are
  checked once, so the compiled graph carries no masks.
"""

from __future__ import annotations

import difflib
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from .. import random as frandom
from .. import tree_util
from ..bijectors import Bijector
from ..core import Tracer
from ..numpy import core as fnp
from ..numpy import extra3 as _fnp3
from . import constraints

__all__ = [
    "Distribution",
    "ScipyBacked",
    "kl_divergence",
    "register_kl",
    "as_key",
    "as_shape",
]

Array = Any
ArrayLike = Any
Shape = tuple[int, ...]


# --------------------------------------------------------------------------------------------
# Seeds and shapes
# --------------------------------------------------------------------------------------------


def as_key(who: str, seed: Any) -> Any:
    """A :mod:`fluxion.random` key from what users pass as ``seed=``.

    Parameters
    ----------
    who : str
        The calling method, for error messages (``"Normal.sample"``).
    seed : None, int, numpy.random.Generator or key
        None draws fresh entropy; an int seeds deterministically; a Generator is advanced (so
        successive calls give new draws, as emcee/NumPy users expect); a key (``uint32`` of shape
        ``(2,)``, possibly traced) is used as is.

    Returns
    -------
    key : array, uint32, shape ``(2,)``
    """
    if seed is None:
        return frandom.key(int(np.random.default_rng().integers(0, 2**63)))
    if isinstance(seed, np.random.Generator):
        return frandom.key(int(seed.integers(0, 2**63)))
    if isinstance(seed, Tracer) or (isinstance(seed, np.ndarray) and seed.dtype == np.uint32):
        if tuple(fnp.shape(seed)) != (2,):
            raise ValueError(
                f"{who}: expected a key of shape (2,) (fluxion.random.key(n)), got shape "
                f"{tuple(fnp.shape(seed))}; for many keys use fluxion.random.split"
            )
        return seed
    try:
        return frandom.key(operator.index(seed))
    except TypeError:
        raise TypeError(
            f"{who}: expected seed=None, an int, a numpy.random.Generator or a "
            f"fluxion.random key, got {type(seed).__name__}"
        ) from None


def as_shape(who: str, shape: Any) -> Shape:
    """``sample_shape`` as a tuple of non-negative ints (an int ``n`` means ``(n,)``)."""
    if isinstance(shape, int | np.integer):
        shape = (int(shape),)
    try:
        out = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(
            f"{who}: expected sample_shape as an int or a tuple of ints, got {shape!r}"
        ) from None
    if any(s < 0 for s in out):
        raise ValueError(f"{who}: expected non-negative sizes in sample_shape, got {out}")
    return out


def _describe(x: Any) -> str:
    if isinstance(x, Tracer):
        return f"a traced {getattr(x, 'aval', 'value')}"
    a = np.asarray(x)
    if a.ndim == 0:
        return f"{a.item()!r}"
    flat = a.ravel()
    head = ", ".join(f"{v:.6g}" if np.issubdtype(a.dtype, np.number) else str(v)
                     for v in flat[:4])
    return f"[{head}{', ...' if flat.size > 4 else ''}] (shape {a.shape})"


def _as_param(x: Any) -> Any:
    """Parameters: tracers, distributions, bijectors and None stay as they are; numbers and
    arrays become float64 NumPy arrays (integer and boolean arrays too: every density is
    written in floating point, as SciPy does)."""
    if x is None or isinstance(x, Tracer | Distribution | Bijector):
        return x
    if isinstance(x, np.ndarray) and x.dtype.kind in "fc":
        return x
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return x  # another pytree (a kernel, a list of distributions): the family checks it


# --------------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------------


class Distribution:
    """Base class of probability distributions (TensorFlow Probability's interface).

    A distribution has a ``batch_shape`` (independent, differently parameterized copies) and an
    ``event_shape`` (the shape of one draw). ``log_prob(x)`` of ``x`` with shape
    ``sample_shape + batch_shape + event_shape`` has shape ``sample_shape + batch_shape``;
    ``sample(sample_shape)`` has shape ``sample_shape + batch_shape + event_shape``. Parameters
    broadcast against each other (NumPy rules, after removing each parameter's own event
    dimensions).

    Distributions are pytrees: their array parameters are leaves, so they pass through
    :func:`fluxion.jit`, :func:`fluxion.vmap` and :func:`fluxion.grad` (gradients with respect to
    parameters), and every method is written with :mod:`fluxion.numpy`, so derivatives of any
    order exist.

    Parameters
    ----------
    parameters : dict
        The family's parameters by name, in its signature's order.
    validate_args : bool, default False
        Check parameters at construction and values at every method call (only concrete
        values; traced values are not checked). Without it, out-of-support values give what
        SciPy gives (``-inf`` log densities, ``nan`` for invalid parameters).
    static : dict, optional
        Hashable settings that are not arrays (``reinterpreted_batch_ndims``, a dtype).

    Attributes
    ----------
    parameter_constraints : dict
        Class attribute: each parameter's domain (a :class:`constraints.Constraint`); used by
        ``validate_args``.
    parameter_event_ndims : dict
        Class attribute: each parameter's own event rank (default 0), e.g. ``{"loc": 1,
        "scale_tril": 2}`` for a multivariate normal; the rest of its shape is batch.
    support : constraints.Constraint
        The set of values with positive density (a class attribute, or a property when it
        depends on the parameters).
    reparameterized : bool
        Class attribute: samples are differentiable functions of the parameters.
    """

    parameter_constraints: ClassVar[dict[str, constraints.Constraint]] = {}
    parameter_event_ndims: ClassVar[dict[str, int]] = {}
    support: Any = constraints.real
    reparameterized: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        tree_util.register_pytree_node(cls, _flatten, _make_unflatten(cls))

    def __init__(
        self,
        parameters: dict[str, Any],
        *,
        validate_args: bool = False,
        static: dict[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "_parameters", {k: _as_param(v) for k, v in parameters.items()})
        object.__setattr__(self, "_static", dict(static or {}))
        object.__setattr__(self, "_validate_args", bool(validate_args))
        self.batch_shape  # noqa: B018 -- parameters that do not broadcast fail here, always
        if validate_args:
            self._check_parameters()

    # --- attributes ---------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: parameters and static settings by name
        if not name.startswith("__"):
            d = self.__dict__
            if "_parameters" in d and name in d["_parameters"]:
                return d["_parameters"][name]
            if "_static" in d and name in d["_static"]:
                return d["_static"][name]
        raise AttributeError(
            f"{type(self).__name__!r} has no attribute {name!r}"
            + _did_you_mean(name, list(self.__dict__.get("_parameters", {})))
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable; make a new one with .copy({name}=...)"
        )

    @property
    def parameters(self) -> dict[str, Any]:
        """dict : The parameters by name (a copy)."""
        return dict(self._parameters)

    @property
    def validate_args(self) -> bool:
        """bool : Whether parameters and values are checked."""
        return self._validate_args

    @property
    def name(self) -> str:
        """str : The family's name."""
        return type(self).__name__

    def copy(self, **changes: Any) -> Distribution:
        """A new distribution of the same family with some parameters (or settings) replaced.

        Runs ``__init__`` again, so the new parameters are converted and validated.
        """
        params = {**self._parameters, **self._static}
        unknown = [k for k in changes if k not in params and k != "validate_args"]
        if unknown:
            raise TypeError(
                f"{self.name}.copy: unknown parameter {unknown[0]!r}"
                + _did_you_mean(unknown[0], list(params))
            )
        params.update(changes)
        params.setdefault("validate_args", self._validate_args)
        return type(self)(**params)

    @property
    def dtype(self) -> np.dtype:
        """numpy.dtype : The dtype of samples (float64; int64 for discrete families)."""
        return np.dtype(np.int64) if self.support.discrete else np.dtype(np.float64)

    @property
    def has_rsample(self) -> bool:
        """bool : Samples are reparameterized (differentiable in the parameters)."""
        return bool(self.reparameterized)

    # --- shapes -------------------------------------------------------------------------------

    @property
    def batch_shape(self) -> Shape:
        """tuple of int : The broadcast shape of the parameters without their event dimensions.

        Raises
        ------
        ValueError
            If the parameters do not broadcast.
        """
        return self._batch_shape()

    @property
    def event_shape(self) -> Shape:
        """tuple of int : The shape of one draw."""
        return tuple(self._event_shape())

    def _batch_shape(self) -> Shape:
        shapes = []
        for name, value in self._parameters.items():
            if value is None:
                continue
            if isinstance(value, Distribution):
                shapes.append(value.batch_shape)
                continue
            if not (isinstance(value, Tracer) or isinstance(value, np.ndarray)):
                continue
            shape = tuple(fnp.shape(value))
            k = self.parameter_event_ndims.get(name, 0)
            if len(shape) < k:
                raise ValueError(
                    f"{self.name}: expected {name} with at least {k} dimension(s), got shape "
                    f"{shape}"
                )
            shapes.append(shape[: len(shape) - k])
        try:
            return tuple(np.broadcast_shapes(*shapes)) if shapes else ()
        except ValueError:
            described = ", ".join(
                f"{n} {tuple(fnp.shape(v))}" for n, v in self._parameters.items()
                if isinstance(v, Tracer | np.ndarray)
            )
            raise ValueError(
                f"{self.name}: parameters do not broadcast to one batch shape: {described}"
            ) from None

    def _event_shape(self) -> Shape:
        return ()

    # --- validation ---------------------------------------------------------------------------

    def _check_parameters(self) -> None:
        for name, constraint in self.parameter_constraints.items():
            value = self._parameters.get(name)
            if value is None or not isinstance(value, np.ndarray):
                continue
            ok = constraint.check(value)
            if not np.all(ok):
                raise ValueError(
                    f"{self.name}: expected {name} {constraint.describe()}, got "
                    f"{_describe(_offending(value, ok, constraint.event_ndims))}"
                )
        for ok, message in self._parameter_checks():
            if is_concrete(ok) and not np.all(np.asarray(ok)):
                raise ValueError(f"{self.name}: expected {message}")

    def _parameter_checks(self) -> Sequence[tuple[Any, str]]:
        """Extra checks across parameters, as ``(condition, "what was expected, got ...")``
        pairs (e.g. ``low < high``). Only run with ``validate_args=True``."""
        return ()

    def _check_value(self, who: str, x: Any) -> None:
        if not self._validate_args or not is_concrete(x):
            return
        support = self.support
        if not is_concrete(*support.params):
            return
        ok = support.check(x)
        if not np.all(ok):
            raise ValueError(
                f"{self.name}.{who}: expected values in the support ({support.describe()}), "
                f"got {_describe(_offending(x, ok, support.event_ndims))}"
            )

    def _as_value(self, who: str, x: Any) -> Array:
        if not isinstance(x, Tracer):
            x = np.asarray(x)
            if x.dtype.kind not in "biufc":
                raise TypeError(f"{self.name}.{who}: expected a numeric array, got {x.dtype}")
            if x.dtype.kind not in "fc":
                x = x.astype(np.float64)
        event = self.event_shape
        shape = tuple(fnp.shape(x))
        if event and shape[len(shape) - len(event):] != event:
            raise ValueError(
                f"{self.name}.{who}: expected a value whose trailing dimensions are the event "
                f"shape {event}, got shape {shape}"
            )
        try:
            np.broadcast_shapes(shape[: len(shape) - len(event)], self.batch_shape)
        except ValueError:
            raise ValueError(
                f"{self.name}.{who}: expected a value whose shape broadcasts against "
                f"sample_shape + batch_shape + event_shape with batch_shape {self.batch_shape} "
                f"and event_shape {event}, got shape {shape}"
            ) from None
        self._check_value(who, x)
        return x

    def _check_probability(self, who: str, p: Any) -> Array:
        if not isinstance(p, Tracer):
            p = np.asarray(p, dtype=np.float64)
            if self._validate_args and not np.all((p >= 0) & (p <= 1)):
                raise ValueError(
                    f"{self.name}.{who}: expected probabilities in [0, 1], got "
                    f"{_describe(p[~((p >= 0) & (p <= 1))] if p.ndim else p)}"
                )
        return p

    # --- the public interface -----------------------------------------------------------------

    def sample(self, sample_shape: int | Sequence[int] = (), seed: Any = None) -> Array:
        """Draw samples.

        Parameters
        ----------
        sample_shape : int or tuple of int, default ()
            Leading dimensions of independent draws.
        seed : None, int, numpy.random.Generator or fluxion.random key
            Where the randomness comes from; a key may be traced (inside ``jit``/``vmap``).

        Returns
        -------
        Array
            Shape ``sample_shape + batch_shape + event_shape``; float64 (int64 for discrete
            families). Reparameterized families (``has_rsample``) are differentiable in the
            parameters.
        """
        who = f"{self.name}.sample"
        return self._sample(as_shape(who, sample_shape), as_key(who, seed))

    def sample_and_log_prob(
        self, sample_shape: int | Sequence[int] = (), seed: Any = None
    ) -> tuple[Array, Array]:
        """``(x, log_prob(x))`` for ``x = sample(sample_shape, seed)``."""
        x = self.sample(sample_shape, seed)
        return x, self._log_prob(x)

    def log_prob(self, value: ArrayLike) -> Array:
        """Log probability density (or mass) at ``value``.

        Parameters
        ----------
        value : array_like
            Shape ``sample_shape + batch_shape + event_shape`` (broadcasting against
            ``batch_shape``).

        Returns
        -------
        Array
            Shape ``sample_shape + batch_shape``; ``-inf`` outside the support.
        """
        x = self._as_value("log_prob", value)
        fast = self._log_prob_of_checked_data(x)
        return self._log_prob(x) if fast is None else fast

    def _log_prob_of_checked_data(self, x: Any) -> Array | None:
        """The in-support density for concrete data checked here to lie inside the support,
        with NaN where a parameter is outside its domain; None where this does not apply.

        Observed data are concrete arrays: checking them once with NumPy (at trace time under
        ``jit``) lets the graph skip the support masks, and the plain formula's ``log(x)`` of
        constant data is then folded into a constant (benchmarks/distributions.py: Gamma on
        10^6 values). Only for scalar supports whose interior is a simple test, parameters
        whose domains are (``positive``, ``nonnegative``, ``unit_interval``, ``real``), and
        families that define ``_log_prob_in_support``."""
        if (
            isinstance(x, Tracer)
            or self._validate_args
            or type(self)._log_prob_in_support is Distribution._log_prob_in_support
        ):
            return None
        interior = _INTERIOR_TESTS.get(self.support.name) if not self.support.params else None
        if interior is None or x.dtype.kind != "f":
            return None
        if any(isinstance(v, Distribution | Bijector) for v in self._parameters.values()):
            return None  # a meta distribution: its parts' parameters are not checked here
        with np.errstate(invalid="ignore"):
            if not np.all(interior(x)):
                return None
        valid = True
        for name, domain in self.parameter_constraints.items():
            v = getattr(self, name, None)
            if v is None or domain.name == "real":
                continue  # absent alternative; a NaN parameter propagates by itself
            test = _PARAMETER_TESTS.get(domain.name)
            if test is None or not isinstance(v, Tracer | np.ndarray | float | int):
                return None
            ok = test(v)
            if not isinstance(ok, Tracer) and np.all(ok):
                continue
            valid = ok if valid is True else fnp.logical_and(valid, ok)
        lp = self._log_prob_in_support(x)
        if valid is True:
            return lp
        # NaN where a parameter is outside its domain (as SciPy; a rate of exactly 0 too,
        # where SciPy's scale = inf gives -inf); added, so the mask has the parameters' shape
        # and its gradient is the identity
        return lp + fnp.where(valid, 0.0, np.nan)

    def prob(self, value: ArrayLike) -> Array:
        """Probability density (or mass) at ``value``; shapes as :meth:`log_prob`."""
        value = self._as_value("prob", value)
        return self._prob(value)

    def cdf(self, value: ArrayLike) -> Array:
        """Cumulative distribution function ``P(X <= value)``; shapes as :meth:`log_prob`."""
        return self._cdf(self._as_value("cdf", value))

    def log_cdf(self, value: ArrayLike) -> Array:
        """``log P(X <= value)``, accurate in the lower tail; shapes as :meth:`log_prob`."""
        return self._log_cdf(self._as_value("log_cdf", value))

    def survival_function(self, value: ArrayLike) -> Array:
        """``P(X > value) = 1 - cdf(value)``, accurate in the upper tail."""
        return self._survival_function(self._as_value("survival_function", value))

    def log_survival_function(self, value: ArrayLike) -> Array:
        """``log P(X > value)``, accurate in the upper tail."""
        return self._log_survival_function(self._as_value("log_survival_function", value))

    def quantile(self, p: ArrayLike) -> Array:
        """The inverse cdf: the smallest ``x`` with ``cdf(x) >= p``.

        Parameters
        ----------
        p : array_like
            Probabilities in [0, 1], broadcasting against ``batch_shape``.

        Returns
        -------
        Array
            Shape ``broadcast(p.shape, batch_shape)``.
        """
        return self._quantile(self._check_probability("quantile", p))

    def mean(self) -> Array:
        """The mean, shape ``batch_shape + event_shape`` (``nan`` where it does not exist)."""
        return self._broadcast_moment(self._mean(), "mean")

    def variance(self) -> Array:
        """The variance, shape ``batch_shape + event_shape`` (``inf``/``nan`` where it does not
        exist)."""
        return self._broadcast_moment(self._variance(), "variance")

    def stddev(self) -> Array:
        """The standard deviation, shape ``batch_shape + event_shape``."""
        return self._broadcast_moment(self._stddev(), "stddev")

    def covariance(self) -> Array:
        """The covariance: shape ``batch_shape + event_shape + event_shape`` for vector events;
        the variance for scalar events."""
        if not self.event_shape:
            return self.variance()
        cov = self._covariance()
        return fnp.broadcast_to(cov, self.batch_shape + self.event_shape + self.event_shape)

    def mode(self) -> Array:
        """The mode, shape ``batch_shape + event_shape``."""
        return self._broadcast_moment(self._mode(), "mode")

    def entropy(self) -> Array:
        """The (differential) entropy in nats, shape ``batch_shape``."""
        return fnp.broadcast_to(self._entropy(), self.batch_shape)

    def cross_entropy(self, other: Distribution) -> Array:
        """``H[p, q] = H[p] + KL[p || q]`` in nats, shape ``broadcast(batch shapes)``."""
        return self.entropy() + self.kl_divergence(other)

    def kl_divergence(self, other: Distribution) -> Array:
        """``KL[self || other]`` from the registry of analytic pairs (:func:`register_kl`)."""
        return kl_divergence(self, other)

    @property
    def default_bijector(self) -> Bijector:
        """Bijector : Maps unconstrained space onto :attr:`support` (what samplers and VI use)."""
        return self.support.bijector()

    # --- defaults a family may override -------------------------------------------------------

    def _broadcast_moment(self, value: Any, what: str) -> Array:
        return fnp.broadcast_to(
            fnp.asarray(value, dtype=np.float64), self.batch_shape + self.event_shape
        )

    def _missing(self, method: str) -> NotImplementedError:
        return NotImplementedError(f"{self.name}.{method} is not implemented for this family")

    def _log_prob(self, x: Array) -> Array:
        raise self._missing("log_prob")

    def _log_prob_in_support(self, x: Array) -> Array:
        """``_log_prob`` for a value known to lie in the support, with valid parameters (a
        sampler's bijector made it, or the data were checked once): a family may give the
        plain formula here, without the masks (``where``, ``isnan``) that the public
        ``log_prob`` needs for arbitrary input. The default is ``_log_prob``."""
        return self._log_prob(x)

    def _log_prob_sum_in_support(self, x: Array) -> Array:
        """``sum(_log_prob_in_support(x))``, a scalar: what a joint distribution's potential
        adds up. A family may save work here (the normal density with one scale divides the
        summed squares once, as a hand-written log density would)."""
        return fnp.sum(self._log_prob_in_support(x))

    def _prob(self, x: Array) -> Array:
        return fnp.exp(self._log_prob(x))

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        raise self._missing("sample")

    def _cdf(self, x: Array) -> Array:
        if type(self)._log_cdf is not Distribution._log_cdf:
            return fnp.exp(self._log_cdf(x))
        if type(self)._survival_function is not Distribution._survival_function:
            return 1.0 - self._survival_function(x)
        raise self._missing("cdf")

    def _log_cdf(self, x: Array) -> Array:
        return fnp.log(self._cdf(x))

    def _survival_function(self, x: Array) -> Array:
        return 1.0 - self._cdf(x)

    def _log_survival_function(self, x: Array) -> Array:
        if type(self)._survival_function is not Distribution._survival_function:
            return fnp.log(self._survival_function(x))
        return fnp.log1p(-self._cdf(x))

    def _quantile(self, p: Array) -> Array:
        raise self._missing("quantile")

    def _mean(self) -> Array:
        raise self._missing("mean")

    def _variance(self) -> Array:
        if type(self)._stddev is not Distribution._stddev:
            return self._stddev() ** 2
        raise self._missing("variance")

    def _stddev(self) -> Array:
        return fnp.sqrt(self._variance())

    def _covariance(self) -> Array:
        raise self._missing("covariance")

    def _mode(self) -> Array:
        raise self._missing("mode")

    def _entropy(self) -> Array:
        raise self._missing("entropy")

    # --- printing -----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"{self.name}(batch_shape={self.batch_shape}, event_shape={self.event_shape}, "
            f"dtype={self.dtype})"
        )


def is_concrete(*xs: Any) -> bool:
    return constraints.is_concrete(*xs)


def _offending(x: Any, ok: np.ndarray, event_ndims: int) -> np.ndarray:
    """The entries of ``x`` whose event failed a check (``ok`` is per event)."""
    x = np.asarray(x)
    if x.ndim == 0:
        return x
    mask = ~np.broadcast_to(ok.reshape(ok.shape + (1,) * event_ndims), x.shape)
    return x[mask]


# The interior of a scalar support (where every family's plain in-support density holds:
# boundary points such as x = 0 for a Gamma with concentration 1 need the masked formulas).
_INTERIOR_TESTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "real": np.isfinite,
    "positive": lambda x: np.isfinite(x) & (x > 0),
    "nonnegative": lambda x: np.isfinite(x) & (x > 0),
    "unit_interval": lambda x: (x > 0) & (x < 1),
}

# Parameter domains as tests that run on traced values too (fluxion operators).
_PARAMETER_TESTS: dict[str, Callable[[Any], Any]] = {
    "positive": lambda v: v > 0,
    "nonnegative": lambda v: v >= 0,
    "unit_interval": lambda v: (v >= 0) & (v <= 1),
}


def _did_you_mean(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


# --- pytree registration: parameters are the children; the rest is static aux data ------------


def _flatten(d: Distribution) -> tuple[tuple, tuple]:
    params = d._parameters
    static = tuple(sorted(d._static.items()))
    return tuple(params.values()), (tuple(params), static, d._validate_args)


def _make_unflatten(cls: type) -> Callable[[tuple, tuple], Distribution]:
    def unflatten(aux: tuple, children: tuple) -> Distribution:
        names, static, validate = aux
        obj = object.__new__(cls)
        object.__setattr__(obj, "_parameters", dict(zip(names, children)))
        object.__setattr__(obj, "_static", dict(static))
        object.__setattr__(obj, "_validate_args", validate)
        return obj

    return unflatten


# --------------------------------------------------------------------------------------------
# KL registry
# --------------------------------------------------------------------------------------------

_KL_REGISTRY: dict[tuple[type, type], Callable[[Any, Any], Array]] = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator: register ``fn(p, q) -> KL[p || q]`` for a pair of families.

    The most specific registered pair (by method resolution order distance) is used, so a rule
    for ``(Distribution, Distribution)`` can serve as a fallback.

    Examples
    --------
    >>> @register_kl(MyFamily, MyFamily)  # doctest: +SKIP
    ... def _kl_my(p, q):
    ...     return ...
    """

    def decorate(fn: Callable[[Any, Any], Array]) -> Callable[[Any, Any], Array]:
        _KL_REGISTRY[(type_p, type_q)] = fn
        return fn

    return decorate


def kl_divergence(p: Distribution, q: Distribution) -> Array:
    """``KL[p || q] = E_p[log p(X) - log q(X)]`` by an analytic formula.

    Parameters
    ----------
    p, q : Distribution
        Same event shape; batch shapes broadcast.

    Returns
    -------
    Array
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.

    Raises
    ------
    NotImplementedError
        When no analytic pair is registered; the message gives the Monte Carlo estimate to use.
    """
    best, best_rank = None, math.inf
    for (tp, tq), fn in _KL_REGISTRY.items():
        if isinstance(p, tp) and isinstance(q, tq):
            rank = type(p).__mro__.index(tp) + type(q).__mro__.index(tq)
            if rank < best_rank:
                best, best_rank = fn, rank
    if best is None:
        raise NotImplementedError(
            f"kl_divergence: no analytic KL[{type(p).__name__} || {type(q).__name__}] is "
            "registered; estimate it by Monte Carlo: x = p.sample(n, seed); "
            "(p.log_prob(x) - q.log_prob(x)).mean(0)"
        )
    out = best(p, q)
    shape = _fnp3.broadcast_shapes(p.batch_shape, q.batch_shape)
    return fnp.broadcast_to(out, shape)


# --------------------------------------------------------------------------------------------
# Families whose densities, cdfs and moments are fluxion.scipy.stats's
# --------------------------------------------------------------------------------------------


class ScipyBacked(Distribution):
    """A family whose numbers come from a :mod:`fluxion.scipy.stats` distribution.

    The subclass names the SciPy object (``scipy_dist = stats.gamma``) and maps its own
    parameters to SciPy's in :meth:`_scipy_args` (``((a,), {"scale": 1 / rate})``); log_prob,
    prob, cdf, log_cdf, survival_function, log_survival_function, quantile, mean, variance,
    stddev and entropy then agree with ``scipy.stats`` by construction (they are the same
    formulas, differentiable and compiled), and the family writes only ``_sample`` and what SciPy
    lacks (``_mode``). Discrete SciPy objects use their ``logpmf``/``pmf``.
    """

    scipy_dist: ClassVar[Any] = None

    def _scipy_args(self) -> tuple[tuple, dict]:
        raise NotImplementedError(f"{self.name}: _scipy_args is not implemented")

    def _call(self, method: str, *x: Any) -> Array:
        args, kwds = self._scipy_args()
        return getattr(self.scipy_dist, method)(*x, *args, **kwds)

    def _log_prob(self, x: Array) -> Array:
        return self._call("logpmf" if self.support.discrete else "logpdf", x)

    def _prob(self, x: Array) -> Array:
        return self._call("pmf" if self.support.discrete else "pdf", x)

    def _cdf(self, x: Array) -> Array:
        return self._call("cdf", x)

    def _log_cdf(self, x: Array) -> Array:
        return self._call("logcdf", x)

    def _survival_function(self, x: Array) -> Array:
        return self._call("sf", x)

    def _log_survival_function(self, x: Array) -> Array:
        return self._call("logsf", x)

    def _quantile(self, p: Array) -> Array:
        return self._call("ppf", p)

    def _mean(self) -> Array:
        return self._call("mean")

    def _variance(self) -> Array:
        return self._call("var")

    def _stddev(self) -> Array:
        return self._call("std")

    def _entropy(self) -> Array:
        return self._call("entropy")
