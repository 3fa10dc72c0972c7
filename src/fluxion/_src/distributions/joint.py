"""Joint distributions (TensorFlow Probability's ``JointDistribution*``) and their use as models.

Three ways to write one generative model:

- :class:`JointDistributionSequential`: a list of distributions or callables of the earlier
  values (TFP's convention: a callable's arguments are the PREVIOUS values in reverse order,
  ``lambda b, a: ...`` for the third entry after ``a`` and ``b``);
- :class:`JointDistributionNamed`: a dict; a callable takes earlier variables by argument name
  (``"y": lambda mu, sigma: Normal(mu, sigma)``), in any order of the dict (a topological
  order is found);
- :class:`JointDistributionCoroutine`: a generator function that ``yield``s distributions and
  receives their values (``mu = yield Root(Normal(0., 1.), name="mu")``).

Semantics are TFP's "auto-batched" ones: each variable's ``log_prob`` is summed over its own
batch dimensions, so one draw of the joint has a scalar ``log_prob``; ``event_shape`` is, per
variable, the shape of one draw and ``batch_shape`` is ``()`` per variable. Batched draws
(``sample(sample_shape)``) and batched ``log_prob`` are vectorized with :func:`fluxion.vmap`, so
callables never need to broadcast over sample dimensions.

``model.condition(y=data)`` fixes observed variables and returns a :class:`ConditionedModel`,
which :func:`fluxion.mcmc.sample`, :func:`fluxion.optim.minimize` and
:func:`fluxion.optim.laplace` take directly through its ``__fluxion_model__()`` method (a
duck-typed protocol: this layer imports nothing of ``infer``, ``optim`` or ``mcmc``). The
returned :class:`ModelSpec` holds the log density of the free variables, their start values
and bijectors (each variable's ``default_bijector``), the observed data and the pointwise
log-likelihood.

The potential avoids the support masks of the public ``log_prob``: a free variable's value
comes from its bijector and observed data are checked against the support once, when the model
is built, so each variable's density is evaluated with ``Distribution._log_prob_in_support``
(the plain formula, no ``where``/``isnan`` masks, for the families that provide one).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .. import random as frandom
from .. import tree_util
from ..batching import vmap as _vmap
from ..core import Tracer, quote_with_closest
from ..numpy import core as fnp
from . import constraints as _constraints
from .base import Distribution, as_key, as_shape

__all__ = [
    "JointDistribution",
    "JointDistributionSequential",
    "JointDistributionNamed",
    "JointDistributionCoroutine",
    "Root",
    "Variable",
    "ConditionedModel",
    "ModelSpec",
    "ImproperUniform",
]

Array = Any
Shape = tuple[int, ...]


# --------------------------------------------------------------------------------------------
# Markers for the coroutine form
# --------------------------------------------------------------------------------------------


class Variable:
    """A distribution yielded by a :class:`JointDistributionCoroutine` model, with a name.

    Parameters
    ----------
    distribution : Distribution
    name : str, optional
        The variable's name (default: ``x<i>`` for the ``i``-th yielded variable).
    """

    root = False

    def __init__(self, distribution: Distribution, name: str | None = None) -> None:
        if not isinstance(distribution, Distribution):
            raise TypeError(
                f"{type(self).__name__}: expected a Distribution, got "
                f"{type(distribution).__name__}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: expected name to be a str, got {name!r}")
        self.distribution = distribution
        self.name = name


class Root(Variable):
    """Marks a variable without parents in a :class:`JointDistributionCoroutine` model.

    ``mu = yield Root(Normal(0.0, 1.0), name="mu")``. The joint's draws are vectorized with
    :func:`fluxion.vmap`, so ``Root`` only documents the model's structure (as in TFP); a
    variable yielded without it is treated the same way.

    Parameters
    ----------
    distribution : Distribution
    name : str, optional
    """

    root = True


# --------------------------------------------------------------------------------------------
# A flat prior
# --------------------------------------------------------------------------------------------


class ImproperUniform(Distribution):
    """A flat (improper) prior on a set: ``log_prob = 0`` on the support, ``-inf`` outside.

    Stan's default prior for a parameter without a ``~`` statement. It is not a probability
    distribution: use it for free variables of a conditioned model (the posterior must be
    proper). Its draws are ``default_bijector.forward(u)`` with ``u ~ Uniform(-2, 2)`` in the
    unconstrained space (Stan's initialization), for start values and shapes only.

    Parameters
    ----------
    support : Constraint, default ``constraints.real``
        The set (``constraints.positive``, ``constraints.unit_interval``, ...).
    shape : tuple of int, default ()
        The batch shape (independent flat scalars); event shape ``()`` for scalar sets, the
        set's own for vector sets (``constraints.simplex`` on shape ``(3,)``: pass
        ``event_shape=(3,)``).
    event_shape : tuple of int, default ()

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> flat = fd.ImproperUniform(fd.constraints.positive, shape=(2,))
    >>> flat.log_prob([1.0, 3.0]).tolist(), flat.log_prob(-1.0).tolist()
    ([0.0, 0.0], [-inf, -inf])
    """

    def __init__(
        self,
        support: Any = _constraints.real,
        shape: Sequence[int] = (),
        event_shape: Sequence[int] = (),
        *,
        validate_args: bool = False,
    ) -> None:
        if not isinstance(support, _constraints.Constraint):
            raise TypeError(
                f"ImproperUniform: expected support to be a constraint (e.g. "
                f"fluxion.distributions.constraints.positive), got {type(support).__name__}"
            )
        shape = as_shape("ImproperUniform", shape)
        event_shape = as_shape("ImproperUniform", event_shape)
        if len(event_shape) != support.event_ndims:
            raise ValueError(
                f"ImproperUniform: the support {support.name} has {support.event_ndims} event "
                f"dimension(s), got event_shape {event_shape}"
            )
        super().__init__(
            {}, validate_args=validate_args,
            static={"set": support, "shape": shape, "event": event_shape},
        )

    @property
    def support(self) -> Any:  # type: ignore[override]
        return self._static["set"]

    def _batch_shape(self) -> Shape:
        return tuple(self._static["shape"])

    def _event_shape(self) -> Shape:
        return tuple(self._static["event"])

    def _log_prob(self, x: Array) -> Array:
        shape = tuple(fnp.shape(x))
        batch = shape[: len(shape) - len(self.event_shape)]
        ok = self.support.check(x) if not isinstance(x, Tracer) else None
        zero = fnp.zeros(np.broadcast_shapes(batch, self.batch_shape))
        return zero if ok is None else fnp.where(ok, zero, -np.inf)

    def _log_prob_in_support(self, x: Array) -> Array:
        shape = tuple(fnp.shape(x))
        batch = shape[: len(shape) - len(self.event_shape)]
        return fnp.zeros(np.broadcast_shapes(batch, self.batch_shape))

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        b = self.default_bijector
        shape = b.inverse_event_shape(sample_shape + self.batch_shape + self.event_shape)
        return b.forward(frandom.uniform(key, tuple(shape), minval=-2.0, maxval=2.0))


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _unknown(who: str, names: Sequence[str], known: Sequence[str]) -> ValueError:
    """The error for names that are not variables of a joint model (with the closest one)."""
    parts = quote_with_closest(names, known)
    which = "is not a variable" if len(names) == 1 else "are not variables"
    shown = ", ".join(repr(k) for k in known)
    return ValueError(f"{who}: {parts} {which} of the model; its variables are {shown}")


def _arg_names(fn: Callable, who: str) -> list[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: cannot read the arguments of {fn!r}") from None
    names = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(
                f"{who}: a callable in the model may not take *args or **kwargs ({fn!r}); name "
                "the variables it depends on"
            )
        if p.default is not p.empty:
            continue  # a default is a constant of the callable, not a parent
        names.append(p.name)
    return names


def _as_value(x: Any) -> Any:
    if isinstance(x, Tracer):
        return x
    a = np.asarray(x)
    if a.dtype.kind in "biu":
        return a
    return np.asarray(a, dtype=np.float64)


def _reduce_to(x: Any, ndim: int) -> Any:
    """Sum ``x`` over all but its first ``ndim`` axes."""
    extra = fnp.ndim(x) - ndim
    if extra <= 0:
        return x
    return fnp.sum(x, axis=tuple(range(ndim, ndim + extra)))


def _log_prob_of(d: Distribution, value: Any, checked: bool) -> Array:
    """``d``'s log density at ``value``: the public, validating one, or (``checked``: the value
    is known to lie in the support) the plain formula without masks."""
    if checked:
        return d._log_prob_in_support(d._as_value("log_prob", value))
    return d.log_prob(value)


def _check_distribution(who: str, name: str, d: Any) -> Distribution:
    if isinstance(d, Variable):
        d = d.distribution
    if not isinstance(d, Distribution):
        hint = "; did a callable forget to return its distribution?" if d is None else ""
        raise TypeError(
            f"{who}: expected variable {name!r} to be a Distribution (or a callable returning "
            f"one), got {type(d).__name__}{hint}"
        )
    return d


# --------------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------------


class JointDistribution:
    """Base class of joint distributions over named variables (see the module docstring).

    A subclass implements :meth:`_execute` (run the model once, asking ``fetch(name, dist)`` for
    each variable's value) and :meth:`_pack` (values by name -> the user's structure: a list,
    a dict). Everything else is shared.

    Attributes
    ----------
    names : list of str
        The variables' names in the model's order.
    """

    _who = "JointDistribution"

    # --- subclass interface ---------------------------------------------------------------------

    def _execute(self, fetch: Callable[[str, Distribution], Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _pack(self, values: Mapping[str, Any]) -> Any:
        return dict(values)

    def _unpack(self, who: str, values: Any) -> dict[str, Any]:
        """The user's structure (a dict by name, or a sequence in order) -> dict by name."""
        names = self.names
        if isinstance(values, Mapping):
            unknown = [k for k in values if k not in names]
            if unknown:
                raise _unknown(who, unknown, names)
            return dict(values)
        if isinstance(values, Sequence) and not isinstance(values, str):
            if len(values) != len(names):
                raise ValueError(
                    f"{who}: expected {len(names)} values (one per variable: "
                    f"{', '.join(names)}), got {len(values)}"
                )
            return dict(zip(names, values))
        raise TypeError(
            f"{who}: expected the values as a dict by variable name or a sequence in the "
            f"model's order, got {type(values).__name__}"
        )

    # --- names and shapes -----------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """list of str : The variables' names, in the model's order."""
        cached = self.__dict__.get("_names_cache")
        if cached is None:
            cached = list(self._draw_one(frandom.key(0)))
            self.__dict__["_names_cache"] = cached
        return list(cached)

    def _shapes(self) -> dict[str, Shape]:
        cached = self.__dict__.get("_shapes_cache")
        if cached is None:
            draw = self._draw_one(frandom.key(0))
            cached = {k: tuple(fnp.shape(v)) for k, v in draw.items()}
            self.__dict__["_shapes_cache"] = cached
        return cached

    @property
    def event_shape(self) -> Any:
        """The shape of one draw of each variable, in the model's structure (list or dict)."""
        return self._pack(self._shapes())

    @property
    def batch_shape(self) -> Any:
        """``()`` for every variable (each variable's own batch is part of its event: one draw
        of the joint has a scalar ``log_prob``), in the model's structure."""
        return self._pack({k: () for k in self.names})

    # --- running the model ----------------------------------------------------------------------

    def _draw_one(self, key: Any, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One draw: every variable not in ``given`` is sampled (keys folded in by position)."""
        given = given or {}
        counter = iter(range(1 << 30))

        def fetch(name: str, d: Distribution) -> Any:
            i = next(counter)
            if name in given:
                return given[name]
            return d.sample(seed=frandom.fold_in(key, i))

        return self._execute(fetch)

    def _draw(
        self, sample_shape: Shape, key: Any, given: Mapping[str, Any] | None = None,
        given_batched: bool = False,
    ) -> dict[str, Any]:
        """Draws of shape ``sample_shape + event``: one draw per key, vectorized with vmap (a
        Python loop where vmap cannot run a family's sampler)."""
        n = int(np.prod(sample_shape, dtype=np.int64)) if sample_shape else 1
        if not sample_shape:
            return self._draw_one(key, given)
        keys = frandom.split(key, n)
        given = dict(given or {})
        if given_batched:
            flat_given = {k: fnp.reshape(v, (n,) + tuple(fnp.shape(v))[len(sample_shape):])
                          for k, v in given.items()}
        else:
            flat_given = {}

        def one(k: Any, g: dict) -> dict:
            return self._draw_one(k, {**given, **g} if not given_batched else g)

        try:
            out = _vmap(one)(keys, flat_given)
        except Exception:  # a sampler vmap cannot batch: one draw at a time
            rows = [
                one(keys[i], {k: v[i] for k, v in flat_given.items()}) for i in range(n)
            ]
            out = {k: fnp.stack([r[k] for r in rows]) for k in rows[0]}
        return {k: fnp.reshape(v, sample_shape + tuple(fnp.shape(v))[1:]) for k, v in out.items()}

    def sample(self, sample_shape: int | Sequence[int] = (), seed: Any = None) -> Any:
        """Draw every variable from the joint.

        Parameters
        ----------
        sample_shape : int or tuple of int, default ()
            Leading dimensions of independent draws.
        seed : None, int, numpy.random.Generator or fluxion.random key

        Returns
        -------
        list or dict
            The model's structure (a list for :class:`JointDistributionSequential` and
            :class:`JointDistributionCoroutine`, a dict for :class:`JointDistributionNamed`);
            each variable has shape ``sample_shape + event_shape[variable]``.
        """
        who = f"{self._who}.sample"
        shape = as_shape(who, sample_shape)
        return self._pack(self._draw(shape, as_key(who, seed)))

    def sample_named(self, sample_shape: int | Sequence[int] = (), seed: Any = None) -> dict:
        """As :meth:`sample`, as a dict by variable name whatever the model's structure."""
        who = f"{self._who}.sample_named"
        return self._draw(as_shape(who, sample_shape), as_key(who, seed))

    def _parts(self, values: Mapping[str, Any], checked: Sequence[str] = ()) -> dict[str, Any]:
        """Each variable's log density summed over its dimensions (one unbatched draw)."""
        names = self.names
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(
                f"{self._who}.log_prob: missing values for {', '.join(map(repr, missing))}; "
                f"give every variable ({', '.join(names)})"
            )
        parts: dict[str, Any] = {}
        checked = set(checked)

        def fetch(name: str, d: Distribution) -> Any:
            value = values[name]
            if name in checked:
                parts[name] = d._log_prob_sum_in_support(d._as_value("log_prob", value))
            else:
                parts[name] = fnp.sum(d.log_prob(value))
            return value

        self._execute(fetch)
        return parts

    def _sample_ndim(self, who: str, values: Mapping[str, Any]) -> Shape:
        shapes = self._shapes()
        missing = [n for n in self.names if n not in values]
        if missing:
            raise ValueError(
                f"{who}: missing values for {', '.join(map(repr, missing))}; give every "
                f"variable ({', '.join(self.names)})"
            )
        name = self.names[0]
        shape = tuple(fnp.shape(values[name]))
        k = len(shape) - len(shapes[name])
        if k < 0 or shape[k:] != shapes[name]:
            raise ValueError(
                f"{who}: expected {name!r} of shape sample_shape + {shapes[name]}, got {shape}"
            )
        return shape[:k]

    def log_prob_parts(self, values: Any) -> Any:
        """Each variable's log density (summed over that variable's own dimensions).

        Parameters
        ----------
        values : list, tuple or dict
            One value per variable (the model's structure, or a dict by name), each of shape
            ``sample_shape + event_shape[variable]``.

        Returns
        -------
        list or dict
            The model's structure; each part has shape ``sample_shape``.
        """
        return self._log_prob_parts(f"{self._who}.log_prob_parts", values)

    def _log_prob_parts(self, who: str, values: Any) -> Any:
        named = {k: _as_value(v) for k, v in self._unpack(who, values).items()}
        sample_shape = self._sample_ndim(who, named)
        if not sample_shape:
            return self._pack(self._parts(named))
        n = int(np.prod(sample_shape, dtype=np.int64))
        shapes = self._shapes()
        flat = {k: fnp.reshape(v, (n,) + shapes[k]) for k, v in named.items()}
        out = _vmap(self._parts)(flat)
        return self._pack({k: fnp.reshape(v, sample_shape) for k, v in out.items()})

    def log_prob(self, values: Any) -> Array:
        """The joint log density: the sum of :meth:`log_prob_parts`.

        Parameters
        ----------
        values : list, tuple or dict
            One value per variable, each of shape ``sample_shape + event_shape[variable]``.

        Returns
        -------
        Array
            Shape ``sample_shape``.
        """
        parts = self._log_prob_parts(f"{self._who}.log_prob", values)
        items = parts.values() if isinstance(parts, Mapping) else parts
        total = 0.0
        for p in items:
            total = total + p
        return total

    # --- conditioning ---------------------------------------------------------------------------

    def condition(
        self, observed: Mapping[str, Any] | None = None, **named: Any
    ) -> ConditionedModel:
        """Fix observed variables to data: a model of the remaining (free) variables.

        Parameters
        ----------
        observed : dict, optional
            Variable name -> data (the same may be given as keywords: ``condition(y=data)``).

        Returns
        -------
        ConditionedModel
            Taken directly by :func:`fluxion.mcmc.sample`, :func:`fluxion.optim.minimize`,
            :func:`fluxion.optim.laplace` and :class:`fluxion.infer.Predictive`.

        Raises
        ------
        ValueError
            A name that is not a variable (the message names the closest one), no data, data
            outside the variable's support, or data of the wrong shape.
        """
        data = dict(observed or {})
        overlap = set(data) & set(named)
        if overlap:
            raise ValueError(
                f"{self._who}.condition: {sorted(overlap)} given twice (in the dict and as a "
                "keyword); give each once"
            )
        data.update(named)
        return ConditionedModel(self, data)

    # --- pytree ---------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self.names)})"


# --------------------------------------------------------------------------------------------
# Sequential
# --------------------------------------------------------------------------------------------


class JointDistributionSequential(JointDistribution):
    """A joint distribution from a list of distributions and callables of earlier values.

    Parameters
    ----------
    model : sequence
        Each entry is a :class:`Distribution` or a callable returning one. A callable's
        arguments are the previous values in REVERSE order (TFP's convention): the entry after
        ``[a, b]`` may be ``lambda b: ...`` or ``lambda b, a: ...``.
    names : sequence of str, optional
        The variables' names. By default a variable is named by the argument name later
        callables give it (``lambda sigma, mu: ...`` names the two entries before it ``sigma``
        and ``mu``), else ``x<i>``.

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> jd = fd.JointDistributionSequential([
    ...     fd.Normal(0.0, 1.0),
    ...     fd.HalfNormal(1.0),
    ...     lambda sigma, mu: fd.Normal(mu, sigma),
    ... ])
    >>> jd.names
    ['mu', 'sigma', 'x2']
    >>> [x.shape for x in jd.sample(3, seed=0)]
    [(3,), (3,), (3,)]
    """

    _who = "JointDistributionSequential"

    def __init__(self, model: Sequence[Any], names: Sequence[str] | None = None) -> None:
        who = self._who
        if isinstance(model, Mapping) or not isinstance(model, Sequence) or not model:
            raise TypeError(
                f"{who}: expected a non-empty list of distributions and callables, got "
                f"{type(model).__name__}; for a dict use JointDistributionNamed"
            )
        model = list(model)
        args: list[list[str]] = []
        for i, m in enumerate(model):
            if isinstance(m, Distribution):
                args.append([])
            elif callable(m):
                a = _arg_names(m, who)
                if len(a) > i:
                    raise ValueError(
                        f"{who}: entry {i} takes {len(a)} arguments ({', '.join(a)}), but only "
                        f"{i} variable(s) come before it"
                    )
                args.append(a)
            else:
                raise TypeError(
                    f"{who}: expected entry {i} to be a Distribution or a callable, got "
                    f"{type(m).__name__}"
                )
        if names is None:
            found = [f"x{i}" for i in range(len(model))]
            for i, a in enumerate(args):
                for j, arg in enumerate(a):
                    found[i - 1 - j] = arg
        else:
            found = list(names)
            if len(found) != len(model):
                raise ValueError(
                    f"{who}: expected {len(model)} names (one per entry), got {len(found)}"
                )
        if len(set(found)) != len(found):
            raise ValueError(f"{who}: variable names must be distinct, got {found}")
        self._model = model
        self._args = args
        self.__dict__["_names_cache"] = found

    def _execute(self, fetch: Callable[[str, Distribution], Any]) -> dict[str, Any]:
        names = self.__dict__["_names_cache"]
        values: dict[str, Any] = {}
        ordered: list[Any] = []
        for name, m, a in zip(names, self._model, self._args):
            d = m if isinstance(m, Distribution) else m(*ordered[::-1][: len(a)])
            d = _check_distribution(self._who, name, d)
            v = fetch(name, d)
            values[name] = v
            ordered.append(v)
        return values

    def _pack(self, values: Mapping[str, Any]) -> Any:
        return [values[k] for k in self.names]


# --------------------------------------------------------------------------------------------
# Named
# --------------------------------------------------------------------------------------------


class JointDistributionNamed(JointDistribution):
    """A joint distribution from a dict of distributions and callables of other variables.

    Parameters
    ----------
    model : dict
        Variable name -> :class:`Distribution`, or a callable whose argument names are the
        variables it depends on (``"y": lambda mu, sigma: Normal(mu, sigma)``). The dict may be
        in any order; the variables are drawn in a topological order (the dict's order where
        it allows).

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> jd = fd.JointDistributionNamed({
    ...     "y": lambda mu: fd.Normal(mu, 1.0),
    ...     "mu": fd.Normal(0.0, 10.0),
    ... })
    >>> jd.names
    ['mu', 'y']
    >>> float(jd.log_prob({"mu": 0.0, "y": 0.0})) < 0
    True
    """

    _who = "JointDistributionNamed"

    def __init__(self, model: Mapping[str, Any]) -> None:
        who = self._who
        if not isinstance(model, Mapping) or not model:
            raise TypeError(
                f"{who}: expected a non-empty dict of distributions and callables, got "
                f"{type(model).__name__}; for a list use JointDistributionSequential"
            )
        parents: dict[str, list[str]] = {}
        for name, m in model.items():
            if not isinstance(name, str):
                raise TypeError(f"{who}: expected str variable names, got {name!r}")
            if isinstance(m, Distribution):
                parents[name] = []
            elif callable(m):
                a = _arg_names(m, who)
                bad = [p for p in a if p not in model]
                if bad:
                    raise ValueError(
                        f"{who}: the callable of {name!r} takes "
                        + quote_with_closest(bad, list(model))
                        + ", which is not a variable; the variables are "
                        + ", ".join(map(repr, model))
                    )
                parents[name] = a
            else:
                raise TypeError(
                    f"{who}: expected {name!r} to be a Distribution or a callable, got "
                    f"{type(m).__name__}"
                )
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(n: str, path: list[str]) -> None:
            if state.get(n) == 2:
                return
            if state.get(n) == 1:
                cycle = " -> ".join(path[path.index(n):] + [n])
                raise ValueError(f"{who}: the model has a cycle: {cycle}")
            state[n] = 1
            for p in parents[n]:
                visit(p, path + [n])
            state[n] = 2
            order.append(n)

        for n in model:
            visit(n, [])
        self._model = dict(model)
        self._parents = parents
        self.__dict__["_names_cache"] = order

    def _execute(self, fetch: Callable[[str, Distribution], Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in self.__dict__["_names_cache"]:
            m = self._model[name]
            if not isinstance(m, Distribution):
                m = m(**{p: values[p] for p in self._parents[name]})
            values[name] = fetch(name, _check_distribution(self._who, name, m))
        return values

    def _pack(self, values: Mapping[str, Any]) -> Any:
        return {k: values[k] for k in self.names}


# --------------------------------------------------------------------------------------------
# Coroutine
# --------------------------------------------------------------------------------------------


class JointDistributionCoroutine(JointDistribution):
    """A joint distribution from a generator function that yields distributions.

    Parameters
    ----------
    model : callable
        A generator function of no arguments. Each ``yield`` gives a :class:`Distribution`,
        a :class:`Root` (a variable without parents) or a :class:`Variable` (both may carry
        ``name=``), and receives the variable's value.

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> from fluxion.distributions import Root, Variable
    >>> def model():
    ...     mu = yield Root(fd.Normal(0.0, 1.0), name="mu")
    ...     yield Variable(fd.Normal(mu, 1.0), name="y")
    >>> jd = fd.JointDistributionCoroutine(model)
    >>> jd.names
    ['mu', 'y']
    """

    _who = "JointDistributionCoroutine"

    def __init__(self, model: Callable[[], Iterator[Any]]) -> None:
        if not inspect.isgeneratorfunction(model):
            raise TypeError(
                f"{self._who}: expected a generator function (a def with `yield`), got "
                f"{type(model).__name__}"
            )
        self._model = model

    def _execute(self, fetch: Callable[[str, Distribution], Any]) -> dict[str, Any]:
        gen = self._model()
        values: dict[str, Any] = {}
        try:
            item = next(gen)
            i = 0
            while True:
                name = item.name if isinstance(item, Variable) and item.name else f"x{i}"
                if name in values:
                    raise ValueError(
                        f"{self._who}: the variable name {name!r} is used twice; give each "
                        "yield its own name="
                    )
                v = fetch(name, _check_distribution(self._who, name, item))
                values[name] = v
                i += 1
                item = gen.send(v)
        except StopIteration:
            pass
        if not values:
            raise ValueError(f"{self._who}: the model yields no distribution")
        return values

    def _pack(self, values: Mapping[str, Any]) -> Any:
        return [values[k] for k in self.names]


# --------------------------------------------------------------------------------------------
# Conditioned models and the model protocol
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ModelSpec:
    """What a model gives the inference drivers (``__fluxion_model__()``).

    Attributes
    ----------
    log_prob : callable
        ``log_prob(params) -> scalar``: the joint log density with the observed variables
        fixed, ``params`` a dict of the free variables (constrained space).
    init : dict
        Start values of the free variables (constrained space).
    constraints : dict
        Free variable name -> Bijector (its distribution's ``default_bijector``).
    observed : dict
        Observed variable name -> data.
    log_likelihood : callable
        ``log_likelihood(params) -> {name: array}``: each observed variable's pointwise log
        density (summed over its event dimensions only), shape = the variable's batch shape.
    """

    log_prob: Callable[[dict], Any]
    init: dict
    constraints: dict
    observed: dict
    log_likelihood: Callable[[dict], dict]


class ConditionedModel:
    """A joint distribution with some variables fixed to data: a model of the others.

    Made by :meth:`JointDistribution.condition`. Take it directly to
    ``fluxion.mcmc.sample(model)``, ``fluxion.optim.minimize(model)`` (the MAP: the negative
    log density is minimized over the free variables), ``fluxion.optim.laplace(model)`` and
    ``fluxion.infer.Predictive(model, ...)``.

    Parameters
    ----------
    joint : JointDistribution
    observed : dict
        Variable name -> data.

    Attributes
    ----------
    joint : JointDistribution
    observed : dict
        The data, as arrays.
    free : list of str
        The free variables' names (the parameters), in the model's order.
    """

    def __init__(self, joint: JointDistribution, observed: Mapping[str, Any]) -> None:
        who = f"{joint._who}.condition"
        names = joint.names
        if not observed:
            raise ValueError(f"{who}: expected data for at least one variable, got none")
        unknown = [k for k in observed if k not in names]
        if unknown:
            raise _unknown(who, unknown, names)
        self.joint = joint
        self.observed = {k: _as_value(v) for k, v in observed.items()}
        self.free = [n for n in names if n not in self.observed]
        self._who = who
        self._spec: ModelSpec | None = None

    # --- the walk at the start values -----------------------------------------------------------

    def _start(self) -> tuple[dict, dict, dict]:
        """Start values, bijectors and (for the observed variables) each one's event rank,
        found by running the model once: each free variable starts at ``default_bijector``'s
        image of zeros (the median-ish point of its support)."""
        who = self._who
        init: dict[str, Any] = {}
        bijectors: dict[str, Any] = {}
        event_ndims: dict[str, int] = {}
        unchecked = set(self.observed)
        supports: dict[str, Any] = {}
        counter = iter(range(1 << 30))

        def fetch(name: str, d: Distribution) -> Any:
            i = next(counter)
            if name in self.observed:
                data = self.observed[name]
                event = d.event_shape
                shape = tuple(np.shape(data))
                if event and shape[len(shape) - len(event):] != tuple(event):
                    raise ValueError(
                        f"{who}: expected data for {name!r} whose trailing dimensions are the "
                        f"event shape {tuple(event)}, got shape {shape}"
                    )
                support = d.support
                if not support.params and not isinstance(data, Tracer):
                    # a fixed set (reals, positive, counts): checked once here, so the
                    # potential evaluates the density without masks
                    unchecked.discard(name)
                    ok = np.asarray(support.check(np.asarray(data)))
                    if not np.all(ok):
                        raise ValueError(
                            f"{who}: the data for {name!r} has values outside the support of "
                            f"{d.name} ({support.describe()}); check the data or the family"
                        )
                event_ndims[name] = len(event)
                return data
            if d.support.discrete:
                raise ValueError(
                    f"{who}: the free variable {name!r} is discrete ({d.name}); the samplers "
                    "and optimizers need continuous parameters: condition on it, or sum it "
                    "out (e.g. with MixtureSameFamily)"
                )
            draw = d.sample(seed=frandom.fold_in(frandom.key(0), i))
            b = d.default_bijector
            u_shape = b.inverse_event_shape(tuple(np.shape(draw)))
            x = np.asarray(b.forward(np.zeros(u_shape)), dtype=np.float64)
            if not np.all(np.isfinite(x)):
                x = np.asarray(draw, dtype=np.float64)
            init[name] = x
            bijectors[name] = b
            supports[name] = d.support
            return x

        self.joint._execute(fetch)
        if not init:
            raise ValueError(
                f"{who}: every variable is observed, so nothing is left to infer; leave at "
                "least one variable out of condition()"
            )
        self._unchecked = unchecked
        self._check_fixed_supports(init, bijectors, supports)
        return init, bijectors, event_ndims

    def _check_fixed_supports(self, init: dict, bijectors: dict, supports: dict) -> None:
        """The bijectors are fixed once; a support that moves with another variable (``x ~
        Uniform(0, theta)``) cannot be: run the model at a second point and compare."""
        moved = {n: np.asarray(b.forward(np.full(np.shape(b.inverse(init[n])), 0.5)))
                 for n, b in bijectors.items()}

        def fetch(name: str, d: Distribution) -> Any:
            if name in self.observed:
                return self.observed[name]
            before, after = supports[name].params, d.support.params
            same = len(before) == len(after) and all(
                np.shape(p) == np.shape(q) and np.allclose(np.asarray(p), np.asarray(q))
                for p, q in zip(before, after)
            )
            if not same:
                raise NotImplementedError(
                    f"{self._who}: the support of {name!r} ({d.support.describe()}) depends on "
                    "other variables, so no fixed bijector maps onto it; sample a variable on a "
                    "fixed set and scale it (e.g. raw ~ Uniform(0, 1), x = theta * raw, with "
                    "the Jacobian as a prior factor)"
                )
            return moved[name]

        self.joint._execute(fetch)

    def log_prob(self, params: Mapping[str, Any]) -> Array:
        """The joint log density with the observed variables fixed.

        Parameters
        ----------
        params : dict
            Free variable name -> value (each of its ``event_shape``).

        Returns
        -------
        Array, shape ``()``
        """
        spec = self.__fluxion_model__()
        return spec.log_prob(params)

    def log_likelihood(self, params: Mapping[str, Any]) -> dict[str, Array]:
        """Each observed variable's pointwise log density at ``params``.

        Returns
        -------
        dict
            Observed name -> array of the variable's batch shape (event dimensions summed).
        """
        return self.__fluxion_model__().log_likelihood(params)

    def __fluxion_model__(self) -> ModelSpec:
        """The model protocol of :func:`fluxion.mcmc.sample`, ``optim.minimize`` and
        ``optim.laplace``: a :class:`ModelSpec`."""
        if self._spec is not None:
            return self._spec
        init, bijectors, event_ndims = self._start()
        joint, observed, free = self.joint, self.observed, list(self.free)
        who = self._who
        # free values come from their bijectors; data of a fixed support were checked above
        checked = [n for n in joint.names if n not in self._unchecked]

        def log_prob(params: Mapping[str, Any]) -> Any:
            missing = [n for n in free if n not in params]
            if missing:
                raise ValueError(
                    f"{who}: log_prob: missing values for {', '.join(map(repr, missing))}"
                )
            parts = joint._parts({**params, **observed}, checked)
            total = 0.0
            for name in joint.names:
                total = total + parts[name]
            return total

        def log_likelihood(params: Mapping[str, Any]) -> dict:
            out: dict[str, Any] = {}

            def fetch(name: str, d: Distribution) -> Any:
                if name in observed:
                    lp = _log_prob_of(d, observed[name], name in checked)
                    shape = tuple(fnp.shape(observed[name]))
                    batch = shape[: len(shape) - event_ndims[name]]
                    out[name] = fnp.broadcast_to(lp, batch) if tuple(fnp.shape(lp)) != batch \
                        else lp
                    return observed[name]
                return params[name]

            joint._execute(fetch)
            return out

        self._spec = ModelSpec(log_prob, init, bijectors, dict(observed), log_likelihood)
        return self._spec

    def sample_prior(self, sample_shape: int | Sequence[int] = (), seed: Any = None) -> dict:
        """Draws of every variable from the prior (the observed ones too), by name; shapes
        ``sample_shape + event_shape``."""
        return self.joint.sample_named(sample_shape, seed)

    def __repr__(self) -> str:
        return (
            f"ConditionedModel({type(self.joint).__name__}, free={self.free}, "
            f"observed={list(self.observed)})"
        )


def _flatten_joint(jd: JointDistribution) -> tuple[tuple, Any]:
    return (), jd


def _unflatten_joint(aux: Any, children: tuple) -> JointDistribution:
    return aux


for _cls in (JointDistributionSequential, JointDistributionNamed, JointDistributionCoroutine):
    # a joint distribution is a static pytree node (its callables are code, not leaves)
    tree_util.register_pytree_node(_cls, _flatten_joint, _unflatten_joint)
