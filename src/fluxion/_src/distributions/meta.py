"""Meta-distributions: distributions built from other distributions (TFP's names).

- :class:`Independent` moves batch dimensions into the event (log_prob sums over them);
- :class:`Sample` draws iid copies of a distribution as one event;
- :class:`TransformedDistribution` pushes a distribution through a bijector;
- :class:`MixtureSameFamily` and :class:`Mixture` are finite mixtures;
- :class:`Truncated` restricts a scalar family to ``[low, high]`` and renormalizes;
- :class:`Censored` puts the mass outside ``[low, high]`` on the bounds;
- :class:`Masked` switches log_prob off where a mask is False;
- :class:`Deterministic` (alias :data:`Delta`) is a point mass; :class:`Empirical` is uniform over
  a set of samples.

Parameters that are distributions (or bijectors) are pytree children like array parameters, so
every meta-distribution passes through ``jit``, ``vmap`` and ``grad`` with its inner
distribution's parameters as leaves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import bijectors as fbij
from .. import random as frandom
from .. import tree_util
from ..core import Tracer
from ..numpy import core as fnp
from ..numpy import extra as fnpx
from ..scipy import special as fsp
from . import constraints
from .base import Distribution, ScipyBacked, register_kl

__all__ = [
    "Independent",
    "Sample",
    "TransformedDistribution",
    "MixtureSameFamily",
    "Mixture",
    "Truncated",
    "Censored",
    "Masked",
    "Deterministic",
    "Delta",
    "Empirical",
]

Array = Any
Shape = tuple[int, ...]
_LOG_HALF = math.log(0.5)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _require_distribution(who: str, name: str, d: Any) -> None:
    if not isinstance(d, Distribution):
        raise TypeError(
            f"{who}: expected {name} to be a fluxion.distributions.Distribution, got "
            f"{type(d).__name__}"
        )


def _sum_rightmost(x: Array, n: int) -> Array:
    """Sum over the ``n`` rightmost axes (``n == 0``: unchanged)."""
    if n == 0:
        return x
    return fnp.sum(x, axis=tuple(range(-n, 0)))


def _with_event_ndims(c: constraints.Constraint, n: int) -> constraints.Constraint:
    """The same set with ``n`` more event dimensions (membership of all entries)."""
    if n == 0:
        return c
    return constraints.Constraint(
        c.name, c.event_ndims + n, c._test, c.text, c.spec, c.discrete, c.params
    )


def _log1mexp(u: Array) -> Array:
    """``log(1 - exp(u))`` for ``u <= 0``, accurate everywhere (Maechler 2012): ``log(-expm1(u))``
    for ``u > -log 2``, ``log1p(-exp(u))`` below. Each branch sees a safe stand-in where it is
    not used, so neither its value nor its gradient can be nan there."""
    near = u > -math.log(2.0)
    a = fnp.log(-fnp.expm1(fnp.where(near, u, -1.0)))
    b = fnp.log1p(-fnp.exp(fnp.where(near, -1.0, u)))
    return fnp.where(near, a, b)


def _log_weights(who: str, mix: Distribution, k: int) -> Array:
    """Log mixture weights, shape ``mix.batch_shape + (k,)``.

    A distribution with ``logits`` (used first) or ``probs`` gives them directly (TFP's
    Categorical); any other distribution over ``{0, ..., k-1}`` gives ``log_prob(arange(k))``.
    """
    params = mix._parameters
    logits = params.get("logits")
    probs = params.get("probs")
    given = logits if logits is not None else probs
    if given is not None:
        kk = tuple(fnp.shape(given))[-1:]
        if kk != (k,):
            raise ValueError(
                f"{who}: expected the mixture distribution over {k} components (the last batch "
                f"dimension of the components), got {kk[0] if kk else 'a scalar'} categories"
            )
        if logits is not None:
            return fsp.log_softmax(logits, axis=-1)
        return fnp.log(probs)
    ks = np.arange(k, dtype=np.float64).reshape((k,) + (1,) * len(mix.batch_shape))
    return fnp.moveaxis(mix.log_prob(ks), 0, -1)


def _sample_batched(
    who: str, d: Any, sample_shape: Shape, batch: Shape, key: Any
) -> Array:
    """``d``'s draws of shape ``sample_shape + batch + d.event_shape`` where ``d.batch_shape``
    is a suffix of ``batch`` (extra leading batch dimensions are drawn as sample dimensions, so
    every batch member gets its own draw)."""
    own = tuple(d.batch_shape)
    prefix = batch[: len(batch) - len(own)]
    if batch[len(prefix):] != own:
        raise NotImplementedError(
            f"{who}: sampling needs the inner batch shape {own} to be a suffix of the batch "
            f"shape {batch}; broadcast the inner parameters to that shape"
        )
    return d._sample(tuple(sample_shape) + prefix, key)


# --------------------------------------------------------------------------------------------
# Independent
# --------------------------------------------------------------------------------------------


class Independent(Distribution):
    """Reinterprets batch dimensions of a distribution as event dimensions.

    ``log_prob(x) = sum over the reinterpreted dimensions of distribution.log_prob(x)``.

    Parameters
    ----------
    distribution : Distribution
        The base; batch shape ``B + R`` with ``len(R) == reinterpreted_batch_ndims``.
    reinterpreted_batch_ndims : int, optional
        How many rightmost batch dimensions become event dimensions (default: all of them,
        as TFP).
    validate_args : bool, default False

    Notes
    -----
    ``batch_shape = B``, ``event_shape = R + distribution.event_shape``. ``log_prob`` of shape
    ``sample_shape + B``; samples, mean, variance and mode are the base's. Reparameterized when
    the base is. ``cdf`` and friends are not defined (there is no order on vector events).

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> d = fd.Independent(fd.Normal([0.0, 1.0], 1.0), 1)
    >>> d.batch_shape, d.event_shape
    ((), (2,))
    """

    def __init__(
        self,
        distribution: Distribution,
        reinterpreted_batch_ndims: int | None = None,
        *,
        validate_args: bool = False,
    ) -> None:
        _require_distribution("Independent", "distribution", distribution)
        rank = len(distribution.batch_shape)
        n = rank if reinterpreted_batch_ndims is None else int(reinterpreted_batch_ndims)
        if not 0 <= n <= rank:
            raise ValueError(
                f"Independent: expected 0 <= reinterpreted_batch_ndims <= {rank} (the rank of "
                f"the distribution's batch shape {tuple(distribution.batch_shape)}), got {n}"
            )
        super().__init__(
            dict(distribution=distribution),
            validate_args=validate_args,
            static=dict(reinterpreted_batch_ndims=n),
        )

    def _batch_shape(self) -> Shape:
        b = tuple(self.distribution.batch_shape)
        return b[: len(b) - self.reinterpreted_batch_ndims]

    def _event_shape(self) -> Shape:
        b = tuple(self.distribution.batch_shape)
        n = self.reinterpreted_batch_ndims
        return b[len(b) - n:] + tuple(self.distribution.event_shape)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return _with_event_ndims(self.distribution.support, self.reinterpreted_batch_ndims)

    @property
    def reparameterized(self) -> bool:  # type: ignore[override]
        return self.distribution.reparameterized

    @property
    def dtype(self) -> np.dtype:
        return self.distribution.dtype

    @property
    def default_bijector(self) -> fbij.Bijector:
        return self.distribution.default_bijector

    def _log_prob(self, x: Array) -> Array:
        return _sum_rightmost(self.distribution.log_prob(x), self.reinterpreted_batch_ndims)

    def _log_prob_in_support(self, x: Array) -> Array:
        # the base's plain density (x is in the base's support), summed over the new event
        base = self.distribution._log_prob_in_support(x)
        return _sum_rightmost(base, self.reinterpreted_batch_ndims)

    def _log_prob_sum_in_support(self, x: Array) -> Array:
        return self.distribution._log_prob_sum_in_support(x)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        return self.distribution._sample(sample_shape, key)

    def _mean(self) -> Array:
        return self.distribution.mean()

    def _variance(self) -> Array:
        return self.distribution.variance()

    def _stddev(self) -> Array:
        return self.distribution.stddev()

    def _mode(self) -> Array:
        return self.distribution.mode()

    def _entropy(self) -> Array:
        return _sum_rightmost(self.distribution.entropy(), self.reinterpreted_batch_ndims)

    def _covariance(self) -> Array:
        n = self.reinterpreted_batch_ndims
        inner = len(self.distribution.event_shape)
        if n == 0:
            return self.distribution.covariance()
        if n == 1 and inner == 0:
            # independent scalar coordinates: a diagonal covariance
            var = self.distribution.variance()
            k = tuple(fnp.shape(var))[-1]
            return var[..., :, None] * fnp.eye(k)
        raise self._missing("covariance (only for events of rank 1)")


@register_kl(Independent, Independent)
def _kl_independent(p: Independent, q: Independent) -> Array:
    # KL of products of independent factors is the sum of the factors' KLs
    if p.event_shape != q.event_shape or (
        p.reinterpreted_batch_ndims - q.reinterpreted_batch_ndims
        != len(q.distribution.event_shape) - len(p.distribution.event_shape)
    ):
        raise NotImplementedError(
            "kl_divergence: Independent pairs need the same event structure, got event shapes "
            f"{p.event_shape} and {q.event_shape}"
        )
    from .base import kl_divergence

    n = p.reinterpreted_batch_ndims
    if n == q.reinterpreted_batch_ndims:
        return _sum_rightmost(kl_divergence(p.distribution, q.distribution), n)
    raise NotImplementedError(
        "kl_divergence: Independent pairs with different reinterpreted_batch_ndims are not "
        "supported"
    )


# --------------------------------------------------------------------------------------------
# Sample
# --------------------------------------------------------------------------------------------


class Sample(Distribution):
    """``sample_shape`` iid draws of a distribution, as one event.

    Parameters
    ----------
    distribution : Distribution
        Batch shape ``B``, event shape ``E``.
    sample_shape : int or tuple of int, default ()
        The shape ``S`` of the iid draws in one event.
    validate_args : bool, default False

    Notes
    -----
    ``batch_shape = B``, ``event_shape = S + E``; ``log_prob(x)`` sums the base's log_prob
    over the ``S`` dimensions, shape ``sample_shape' + B``. Samples of shape
    ``sample_shape' + B + S + E``; mean and variance repeat the base's along ``S``; the entropy
    is ``prod(S)`` times the base's.

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> d = fd.Sample(fd.Normal([0.0, 1.0], 1.0), 3)
    >>> d.batch_shape, d.event_shape
    ((2,), (3,))
    """

    def __init__(
        self,
        distribution: Distribution,
        sample_shape: int | Sequence[int] = (),
        *,
        validate_args: bool = False,
    ) -> None:
        _require_distribution("Sample", "distribution", distribution)
        from .base import as_shape

        shape = as_shape("Sample", sample_shape)
        super().__init__(
            dict(distribution=distribution),
            validate_args=validate_args,
            static=dict(sample_shape=shape),
        )

    def _batch_shape(self) -> Shape:
        return tuple(self.distribution.batch_shape)

    def _event_shape(self) -> Shape:
        return tuple(self.sample_shape) + tuple(self.distribution.event_shape)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return _with_event_ndims(self.distribution.support, len(self.sample_shape))

    @property
    def reparameterized(self) -> bool:  # type: ignore[override]
        return self.distribution.reparameterized

    @property
    def dtype(self) -> np.dtype:
        return self.distribution.dtype

    @property
    def default_bijector(self) -> fbij.Bijector:
        return self.distribution.default_bijector

    def _log_prob(self, x: Array) -> Array:
        s = len(self.sample_shape)
        e = len(self.distribution.event_shape)
        shape = tuple(fnp.shape(x))
        lead = shape[: len(shape) - s - e]
        # broadcast the leading dimensions to (extra sample dims) + batch, so the batch axes
        # sit right before the iid axes; then move the iid axes to the front, where the base
        # reads them as sample dimensions
        full = tuple(np.broadcast_shapes(lead, self.batch_shape))
        x = fnp.broadcast_to(x, full + shape[len(lead):])
        r = len(full)
        x = fnp.moveaxis(x, tuple(range(r, r + s)), tuple(range(s)))
        lp = self.distribution.log_prob(x)
        return fnp.sum(lp, axis=tuple(range(s))) if s else lp

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        s = len(self.sample_shape)
        draws = self.distribution._sample(tuple(self.sample_shape) + tuple(sample_shape), key)
        # (S + sample_shape + B + E) -> (sample_shape + B + S + E)
        n_lead = len(sample_shape) + len(self.batch_shape)
        return fnp.moveaxis(draws, tuple(range(s)), tuple(range(n_lead, n_lead + s)))

    def _repeat(self, m: Array) -> Array:
        # (B + E) -> (B + S + E)
        e = self.distribution.event_shape
        m = fnp.broadcast_to(m, tuple(self.batch_shape) + tuple(e))
        m = fnp.reshape(m, tuple(self.batch_shape) + (1,) * len(self.sample_shape) + tuple(e))
        return fnp.broadcast_to(m, self.batch_shape + self.event_shape)

    def _mean(self) -> Array:
        return self._repeat(self.distribution.mean())

    def _variance(self) -> Array:
        return self._repeat(self.distribution.variance())

    def _mode(self) -> Array:
        return self._repeat(self.distribution.mode())

    def _entropy(self) -> Array:
        return float(math.prod(self.sample_shape)) * self.distribution.entropy()


# --------------------------------------------------------------------------------------------
# TransformedDistribution
# --------------------------------------------------------------------------------------------


def _monotone_direction(b: Any) -> int | None:
    """+1 if a scalar bijector is increasing, -1 if decreasing, None if unknown."""
    name = type(b).__name__
    if name in ("Identity", "Exp", "Softplus", "Shift", "GreaterThan", "Sigmoid", "Log",
                "Tanh", "NormalCDF", "Sinh", "Expm1", "Log1p", "Cumsum"):
        return 1 if name != "Cumsum" else None
    if name in ("LessThan", "Reciprocal"):
        return -1 if name == "LessThan" else None
    if name == "Scale":
        s = b.scale
        if isinstance(s, Tracer):
            return None
        s = np.asarray(s)
        if np.all(s > 0):
            return 1
        if np.all(s < 0):
            return -1
        return None
    if name == "Invert":
        return _monotone_direction(b.bijector)
    if name == "Chain":
        out = 1
        for inner in b.bijectors:
            d = _monotone_direction(inner)
            if d is None:
                return None
            out *= d
        return out
    return None


def _affine_parts(b: Any) -> tuple[Any, Any] | None:
    """``(shift, scale)`` with ``forward(x) = shift + scale * x`` for affine bijectors."""
    name = type(b).__name__
    if name == "Identity":
        return 0.0, 1.0
    if name == "Shift":
        return b.shift, 1.0
    if name == "Scale":
        return 0.0, b.scale
    if name == "Chain":
        shift, scale = 0.0, 1.0
        for inner in reversed(b.bijectors):
            parts = _affine_parts(inner)
            if parts is None:
                return None
            s2, c2 = parts
            shift, scale = s2 + c2 * shift, c2 * scale
        return shift, scale
    return None



def _bijector_batch_shapes(bijector: fbij.Bijector, event_rank: int) -> list[Shape]:
    """The batch shapes a bijector's parameters add, TFP's rule in its common cases.

    A bijector may say (a ``batch_shape`` attribute); a Chain contributes its parts'; an
    elementwise bijector (``forward_min_event_ndims == 0``: Shift, Scale, Sigmoid(low, high),
    ...) its array parameters' shapes without the event dimensions. Bijectors on vector events
    whose parameters are not per-batch arrays (flows: their leaves are network weights)
    contribute nothing."""
    own = getattr(bijector, "batch_shape", None)
    if own is not None:
        return [tuple(own)]
    parts = getattr(bijector, "bijectors", None)
    if parts is not None and isinstance(parts, list | tuple):
        return [s for part in parts if isinstance(part, fbij.Bijector)
                for s in _bijector_batch_shapes(part, event_rank)]
    if bijector.forward_min_event_ndims != 0:
        return []
    shapes = []
    for leaf in tree_util.tree_leaves(bijector):
        if isinstance(leaf, Tracer | np.ndarray):
            shape = tuple(fnp.shape(leaf))
            shapes.append(shape[: max(0, len(shape) - event_rank)])
    return shapes

class TransformedDistribution(Distribution):
    """The distribution of ``Y = bijector.forward(X)`` for ``X ~ distribution``.

    ``log p_Y(y) = log p_X(bijector.inverse(y)) + bijector.inverse_log_det_jacobian(y)``,
    the log-det-Jacobian reduced over the event dimensions of ``y``.

    Parameters
    ----------
    distribution : Distribution
        The base, batch shape ``B``, event shape ``E``.
    bijector : fluxion.bijectors.Bijector
        An invertible map acting on events (``forward_min_event_ndims <= len(E)``, or acting
        elementwise).
    validate_args : bool, default False

    Notes
    -----
    ``batch_shape = B``; ``event_shape = bijector.forward_event_shape(E)``. ``sample`` applies
    the forward map to the base's draws (reparameterized when the base is). For scalar events
    and a bijector known to be monotone (Identity, Exp, Softplus, Sigmoid, Shift, Scale of
    either sign, GreaterThan, LessThan, and Chains/Inverts of them), ``cdf``,
    ``survival_function`` (and their logs) and ``quantile`` follow from the base's; ``mean``
    and ``variance`` are given for affine bijectors only (no closed form in general, as in
    TFP). ``default_bijector`` is ``Chain([bijector, distribution.default_bijector])``.

    Examples
    --------
    >>> import fluxion.bijectors as fb
    >>> import fluxion.distributions as fd
    >>> lognormal = fd.TransformedDistribution(fd.Normal(0.0, 1.0), fb.Exp())
    >>> round(float(lognormal.log_prob(1.0)), 6)
    -0.918939
    """

    def __init__(
        self,
        distribution: Distribution,
        bijector: fbij.Bijector,
        *,
        validate_args: bool = False,
    ) -> None:
        _require_distribution("TransformedDistribution", "distribution", distribution)
        if not isinstance(bijector, fbij.Bijector):
            raise TypeError(
                "TransformedDistribution: expected bijector to be a fluxion.bijectors.Bijector, "
                f"got {type(bijector).__name__}"
            )
        super().__init__(
            dict(distribution=distribution, bijector=bijector), validate_args=validate_args
        )

    def _batch_shape(self) -> Shape:
        # the base's batch shape broadcast with the bijector's parameter batch shape:
        # Shift([1., 2.]) of a scalar Normal is a batch of 2
        shapes = [tuple(self.distribution.batch_shape)]
        shapes += _bijector_batch_shapes(self.bijector, len(self.event_shape))
        try:
            return tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise ValueError(
                f"{self.name}: the bijector's parameter shapes do not broadcast against the "
                f"distribution's batch shape {shapes[0]}: {shapes[1:]}"
            ) from None

    def _event_shape(self) -> Shape:
        return tuple(self.bijector.forward_event_shape(self.distribution.event_shape))

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        # the image of the base's support is not a named set in general
        return constraints.Constraint(
            "dependent", len(self.event_shape), lambda x: np.ones(np.shape(x), bool),
            "(the image of the base's support under the bijector)",
        )

    @property
    def reparameterized(self) -> bool:  # type: ignore[override]
        return self.distribution.reparameterized

    @property
    def dtype(self) -> np.dtype:
        return self.distribution.dtype

    @property
    def default_bijector(self) -> fbij.Bijector:
        return fbij.Chain([self.bijector, self.distribution.default_bijector])

    def _event_ndims(self) -> int:
        return max(len(self.event_shape), self.bijector.inverse_min_event_ndims)

    def _log_prob(self, y: Array) -> Array:
        x = self.bijector.inverse(y)
        ildj = self.bijector.inverse_log_det_jacobian(y, event_ndims=self._event_ndims())
        return self.distribution.log_prob(x) + ildj

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        x = _sample_batched(self.name, self.distribution, sample_shape, self.batch_shape, key)
        return self.bijector.forward(x)

    def _direction(self, who: str) -> int:
        d = _monotone_direction(self.bijector) if not self.event_shape else None
        if d is None:
            raise NotImplementedError(
                f"{self.name}.{who} needs a scalar event and a bijector known to be monotone, "
                f"got {type(self.bijector).__name__} with event shape {self.event_shape}"
            )
        return d

    def _cdf(self, y: Array) -> Array:
        x = self.bijector.inverse(y)
        if self._direction("cdf") > 0:
            return self.distribution.cdf(x)
        return self.distribution.survival_function(x)

    def _log_cdf(self, y: Array) -> Array:
        x = self.bijector.inverse(y)
        if self._direction("log_cdf") > 0:
            return self.distribution.log_cdf(x)
        return self.distribution.log_survival_function(x)

    def _survival_function(self, y: Array) -> Array:
        x = self.bijector.inverse(y)
        if self._direction("survival_function") > 0:
            return self.distribution.survival_function(x)
        return self.distribution.cdf(x)

    def _log_survival_function(self, y: Array) -> Array:
        x = self.bijector.inverse(y)
        if self._direction("log_survival_function") > 0:
            return self.distribution.log_survival_function(x)
        return self.distribution.log_cdf(x)

    def _quantile(self, p: Array) -> Array:
        if self._direction("quantile") > 0:
            return self.bijector.forward(self.distribution.quantile(p))
        return self.bijector.forward(self.distribution.quantile(1.0 - p))

    def _affine(self, who: str) -> tuple[Any, Any]:
        parts = _affine_parts(self.bijector)
        if parts is None:
            raise NotImplementedError(
                f"{self.name}.{who}: no closed form for a {type(self.bijector).__name__} "
                "bijector (only affine ones: Identity, Shift, Scale and Chains of them); "
                "estimate it from samples"
            )
        return parts

    def _mean(self) -> Array:
        shift, scale = self._affine("mean")
        return shift + scale * self.distribution.mean()

    def _variance(self) -> Array:
        _, scale = self._affine("variance")
        return scale**2 * self.distribution.variance()

    def _mode(self) -> Array:
        shift, scale = self._affine("mode")
        return shift + scale * self.distribution.mode()

    def _entropy(self) -> Array:
        _, scale = self._affine("entropy")
        # H[aX + b] = H[X] + sum log|a| over the event
        e = len(self.event_shape)
        log_scale = fnp.broadcast_to(
            fnp.log(fnp.abs(fnp.asarray(scale, dtype=np.float64))),
            self.batch_shape + self.event_shape,
        ) if e else fnp.log(fnp.abs(fnp.asarray(scale, dtype=np.float64)))
        return self.distribution.entropy() + _sum_rightmost(log_scale, e)


# --------------------------------------------------------------------------------------------
# Mixtures
# --------------------------------------------------------------------------------------------


def _one_hot(idx: Array, k: int) -> Array:
    return fnp.asarray(idx[..., None] == np.arange(k), dtype=np.float64)


class _MixtureBase(Distribution):
    """What the two mixtures share. A subclass gives the number of components ``_k()``, the
    log weights ``_log_w()`` (``B' + (K,)``) and the components' values stacked along a
    component axis: ``_stack_log(method, x)`` (``S + B + (K,)``, for log_prob, log_cdf,
    log_survival_function at ``x`` of shape ``S + B + E``), ``_stack_moment(method)``
    (``B + (K,) + E``) and ``_stack_draws(sample_shape, key)`` (``S + B + (K,) + E``)."""

    def _log_w(self) -> Array:
        raise NotImplementedError

    def _k(self) -> int:
        raise NotImplementedError

    def _mixture(self) -> Distribution:
        raise NotImplementedError

    def _stack_log(self, method: str, x: Array) -> Array:
        raise NotImplementedError

    def _stack_moment(self, method: str) -> Array:
        raise NotImplementedError

    def _stack_draws(self, sample_shape: Shape, key: Any) -> Array:
        raise NotImplementedError

    def _log_prob(self, x: Array) -> Array:
        # log sum_k w_k p_k(x) = logsumexp_k(log w_k + log p_k(x))
        return fsp.logsumexp(self._stack_log("log_prob", x) + self._log_w(), axis=-1)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        k1, k2 = frandom.split(key)
        batch = self.batch_shape
        e = len(self.event_shape)
        # every batch member draws its own index and its own component values; the index
        # picks one component's draw by a one-hot mask (TFP's gather)
        idx = _sample_batched(self.name, self._mixture(), sample_shape, batch, k1)
        mask = _one_hot(idx, self._k())  # S + B + (K,)
        mask = fnp.reshape(mask, tuple(fnp.shape(mask)) + (1,) * e)
        draws = self._stack_draws(sample_shape, k2)
        return fnp.sum(draws * mask, axis=len(sample_shape) + len(batch))

    def _weighted(self, values: Array, extra: int) -> Array:
        # values: B' + (K,) + (extra event dims); sum_k w_k values_k
        w = fnp.exp(self._log_w())
        w = fnp.reshape(w, tuple(fnp.shape(w)) + (1,) * extra)
        return fnp.sum(w * values, axis=-1 - extra)

    def _mean(self) -> Array:
        # E[X] = sum_k w_k E[X | k]
        return self._weighted(self._stack_moment("mean"), len(self.event_shape))

    def _variance(self) -> Array:
        # Var[X] = E[Var[X | k]] + Var[E[X | k]] = sum_k w_k (var_k + (mean_k - mean)^2)
        e = len(self.event_shape)
        means = self._stack_moment("mean")
        mean = self._weighted(means, e)
        dev = means - fnp.expand_dims(mean, axis=fnp.ndim(mean) - e)
        return self._weighted(self._stack_moment("variance") + dev**2, e)

    def _covariance(self) -> Array:
        if len(self.event_shape) != 1:
            raise self._missing("covariance (only for vector events)")
        means = self._stack_moment("mean")
        mean = self._weighted(means, 1)
        dev = means - mean[..., None, :]
        outer = dev[..., :, None] * dev[..., None, :]
        return self._weighted(self._stack_moment("covariance") + outer, 2)

    def _scalar(self, who: str) -> None:
        if self.event_shape:
            raise NotImplementedError(f"{self.name}.{who} is defined for scalar events only")

    def _cdf(self, x: Array) -> Array:
        return fnp.exp(self._log_cdf(x))

    def _survival_function(self, x: Array) -> Array:
        return fnp.exp(self._log_survival_function(x))

    def _log_cdf(self, x: Array) -> Array:
        self._scalar("log_cdf")
        return _complement_log(self._raw("log_cdf", x), self._raw("log_survival_function", x))

    def _log_survival_function(self, x: Array) -> Array:
        self._scalar("log_survival_function")
        return _complement_log(self._raw("log_survival_function", x), self._raw("log_cdf", x))

    def _raw(self, method: str, x: Array) -> Array:
        # log sum_k w_k F_k(x) (or S_k)
        return fsp.logsumexp(self._stack_log(method, x) + self._log_w(), axis=-1)


def _component(d: Distribution, j: int) -> Distribution | None:
    """Member ``j`` of the last batch axis of ``d`` (a mixture's components) as a distribution
    of its own, its array parameters indexed along that axis; None when a parameter is not an
    array (a nested distribution, a bijector): the caller then works on the stacked batch."""
    k = d.batch_shape[-1]
    params = {}
    for name, v in d._parameters.items():
        if v is None:
            params[name] = v
            continue
        if not isinstance(v, np.ndarray | Tracer):
            return None
        shape = tuple(fnp.shape(v))
        b = len(shape) - d.parameter_event_ndims.get(name, 0)  # the parameter's batch rank
        if b == 0:
            params[name] = v  # broadcast along every batch axis
        elif shape[b - 1] == k:
            params[name] = v[(slice(None),) * (b - 1) + (j,)]
        elif shape[b - 1] == 1:
            params[name] = v[(slice(None),) * (b - 1) + (0,)]
        else:
            return None
    out = object.__new__(type(d))
    object.__setattr__(out, "_parameters", params)
    object.__setattr__(out, "_static", dict(d._static))
    object.__setattr__(out, "_validate_args", d._validate_args)
    return out


class MixtureSameFamily(_MixtureBase):
    """A finite mixture whose components are the batch members of one distribution.

    ``p(x) = sum_k w_k p_k(x)`` with ``w = softmax(mixture_distribution.logits)`` (or its
    ``probs``) over the last batch dimension of ``components_distribution``.

    Parameters
    ----------
    mixture_distribution : Distribution
        Over ``{0, ..., K-1}``, batch shape broadcasting against ``B``: a Categorical (its
        ``logits`` are used if given, else its ``probs``), or any distribution whose
        ``log_prob(k)`` gives the weights.
    components_distribution : Distribution
        Batch shape ``B + (K,)``, event shape ``E``.
    validate_args : bool, default False

    Notes
    -----
    ``batch_shape = broadcast(mixture.batch_shape, B)``; ``event_shape = E``. ``log_prob`` by
    ``logsumexp_k(log w_k + log p_k(x))``. ``sample`` draws the component index and gathers
    that component's draw (not reparameterized: the index is discrete). ``mean`` and
    ``variance`` by the laws of total expectation and variance
    (``Var = sum_k w_k (var_k + (mean_k - mean)^2)``); ``covariance`` likewise for vector events.
    For scalar events ``cdf = sum_k w_k cdf_k`` with its log, survival function and log
    survival function (each log near 0 from its complement, so both tails keep full relative
    precision). No ``quantile`` (no closed form).

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> m = fd.MixtureSameFamily(fd.Categorical(logits=[0.0, 1.0]),  # doctest: +SKIP
    ...                          fd.Normal([-1.0, 2.0], 0.5))
    """

    def __init__(
        self,
        mixture_distribution: Distribution,
        components_distribution: Distribution,
        *,
        validate_args: bool = False,
    ) -> None:
        who = "MixtureSameFamily"
        _require_distribution(who, "mixture_distribution", mixture_distribution)
        _require_distribution(who, "components_distribution", components_distribution)
        if len(components_distribution.batch_shape) == 0:
            raise ValueError(
                f"{who}: expected components_distribution with at least one batch dimension "
                "(the components), got batch shape ()"
            )
        super().__init__(
            dict(mixture_distribution=mixture_distribution,
                 components_distribution=components_distribution),
            validate_args=validate_args,
        )
        self._log_w()  # the number of categories must match, always

    def _k(self) -> int:
        return int(self.components_distribution.batch_shape[-1])

    def _mixture(self) -> Distribution:
        return self.mixture_distribution

    def _log_w(self) -> Array:
        return _log_weights(self.name, self.mixture_distribution, self._k())

    def _batch_shape(self) -> Shape:
        cb = tuple(self.components_distribution.batch_shape)[:-1]
        mb = tuple(self.mixture_distribution.batch_shape)
        try:
            return tuple(np.broadcast_shapes(mb, cb))
        except ValueError:
            raise ValueError(
                f"{self.name}: the mixture's batch shape {mb} does not broadcast against the "
                f"components' batch shape {cb} (without the component dimension)"
            ) from None

    def _event_shape(self) -> Shape:
        return tuple(self.components_distribution.event_shape)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return self.components_distribution.support

    @property
    def dtype(self) -> np.dtype:
        return self.components_distribution.dtype

    @property
    def default_bijector(self) -> fbij.Bijector:
        return self.components_distribution.default_bijector

    def _stack_log(self, method: str, x: Array) -> Array:
        # x: S + B + E -> S + B + (1,) + E, so it broadcasts against the component axis
        e = len(self.event_shape)
        xk = fnp.expand_dims(x, axis=fnp.ndim(x) - e)
        return getattr(self.components_distribution, method)(xk)

    def _stack_moment(self, method: str) -> Array:
        return getattr(self.components_distribution, method)()

    def _stack_draws(self, sample_shape: Shape, key: Any) -> Array:
        return _sample_batched(
            self.name, _Drop(self.components_distribution), sample_shape, self.batch_shape, key
        )

    def _log_prob_in_support(self, x: Array) -> Array:
        # a value in the (fixed) support lies in every component's: their plain densities;
        # log sum_k w_k p_k(x) by pairwise logaddexp for a few components (elementwise, so it
        # compiles where logsumexp's max reduction may not), logsumexp for many
        comp = self.components_distribution
        if comp.support.params:
            return self._log_prob(x)
        k = self._k()
        log_w = self._log_w()
        parts = [_component(comp, j) for j in range(k)] if k <= 8 else [None]
        if all(c is not None for c in parts):
            # component by component: each density over the values alone (no stacked
            # S + B + (K,) array to slice, nor its scatter in the backward pass)
            total = None
            for j, c in enumerate(parts):
                lp = c._log_prob_in_support(x) + log_w[..., j]
                total = lp if total is None else fnp.logaddexp(total, lp)
            return total
        e = len(self.event_shape)
        lp = comp._log_prob_in_support(fnp.expand_dims(x, axis=fnp.ndim(x) - e)) + log_w
        if k > 8:
            return fsp.logsumexp(lp, axis=-1)
        total = lp[..., 0]
        for j in range(1, k):
            total = fnp.logaddexp(total, lp[..., j])
        return total


class Mixture(_MixtureBase):
    """A finite mixture of distributions of possibly different families.

    ``p(x) = sum_k w_k p_k(x)``, ``w`` from ``cat`` (as for :class:`MixtureSameFamily`).

    Parameters
    ----------
    cat : Distribution
        Over ``{0, ..., K-1}`` (a Categorical: its ``logits`` or ``probs``), batch shape
        broadcasting against the components'.
    components : sequence of Distribution
        ``K`` distributions with one event shape ``E`` and broadcasting batch shapes.
    validate_args : bool, default False

    Notes
    -----
    ``batch_shape`` broadcasts ``cat``'s and the components'; ``event_shape = E``. Methods as
    :class:`MixtureSameFamily` (log_prob by logsumexp, sampling by index then gather, mean and
    variance by the total laws, cdf for scalar events). ``support`` is the first component's.

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> m = fd.Mixture(fd.Categorical(probs=[0.3, 0.7]),  # doctest: +SKIP
    ...                [fd.Normal(0.0, 1.0), fd.StudentT(3.0, 1.0, 2.0)])
    """

    def __init__(
        self,
        cat: Distribution,
        components: Sequence[Distribution],
        *,
        validate_args: bool = False,
    ) -> None:
        _require_distribution("Mixture", "cat", cat)
        components = list(components)
        if not components:
            raise ValueError("Mixture: expected at least one component, got none")
        for i, c in enumerate(components):
            _require_distribution("Mixture", f"components[{i}]", c)
        events = {tuple(c.event_shape) for c in components}
        if len(events) > 1:
            raise ValueError(
                f"Mixture: expected components with one event shape, got {sorted(events)}"
            )
        super().__init__(dict(cat=cat, components=components), validate_args=validate_args)
        self._log_w()

    def _k(self) -> int:
        return len(self.components)

    def _mixture(self) -> Distribution:
        return self.cat

    def _log_w(self) -> Array:
        return _log_weights(self.name, self.cat, self._k())

    def _batch_shape(self) -> Shape:
        shapes = [tuple(self.cat.batch_shape)] + [tuple(c.batch_shape) for c in self.components]
        try:
            return tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise ValueError(
                f"Mixture: the batch shapes of cat and the components do not broadcast: {shapes}"
            ) from None

    def _event_shape(self) -> Shape:
        return tuple(self.components[0].event_shape)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return self.components[0].support

    @property
    def dtype(self) -> np.dtype:
        return self.components[0].dtype

    @property
    def default_bijector(self) -> fbij.Bijector:
        return self.components[0].default_bijector

    def _stack_log(self, method: str, x: Array) -> Array:
        vals = [getattr(c, method)(x) for c in self.components]
        shape = tuple(np.broadcast_shapes(*(tuple(fnp.shape(v)) for v in vals)))
        return fnp.stack([fnp.broadcast_to(v, shape) for v in vals], axis=-1)

    def _stack_moment(self, method: str) -> Array:
        full = self.batch_shape + self.event_shape * (2 if method == "covariance" else 1)
        vals = [fnp.broadcast_to(getattr(c, method)(), full) for c in self.components]
        return fnp.stack(vals, axis=len(self.batch_shape))

    def _stack_draws(self, sample_shape: Shape, key: Any) -> Array:
        keys = frandom.split(key, self._k())
        draws = [
            _sample_batched(self.name, c, sample_shape, self.batch_shape, keys[i])
            for i, c in enumerate(self.components)
        ]
        full = tuple(sample_shape) + self.batch_shape + self.event_shape
        draws = [fnp.broadcast_to(fnp.asarray(d, dtype=np.float64), full) for d in draws]
        return fnp.stack(draws, axis=len(sample_shape) + len(self.batch_shape))


def _complement_log(log_p: Array, log_q: Array) -> Array:
    """``log p`` for probabilities ``p + q = 1`` given both logs: ``log p`` itself where
    ``p < 1/2``, else ``log1mexp(log q)``, which keeps full relative precision when ``p`` is
    close to one (``log p`` tiny) where a direct ``log`` of a sum near one cannot."""
    small = log_p < _LOG_HALF
    return fnp.where(small, log_p, _log1mexp(fnp.where(small, -1.0, fnp.minimum(log_q, 0.0))))


class _Drop:
    """Adapter for :func:`_sample_batched`: a components distribution whose last batch
    dimension (the component axis) is treated as part of the draw."""

    def __init__(self, d: Distribution) -> None:
        self.d = d
        self.batch_shape = tuple(d.batch_shape)[:-1]

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        return self.d._sample(sample_shape, key)


# --------------------------------------------------------------------------------------------
# Truncated
# --------------------------------------------------------------------------------------------


def _check_scalar_base(who: str, d: Distribution) -> None:
    if d.event_shape:
        raise ValueError(
            f"{who}: expected a distribution with scalar events, got event shape {d.event_shape}"
        )


def _upper_quantile(d: Distribution, q: Array) -> Array:
    """The x with ``P(X > x) = q``: SciPy's ``isf`` where the family is SciPy-backed (exact in
    the upper tail), else ``quantile(1 - q)``."""
    if isinstance(d, ScipyBacked) and hasattr(d.scipy_dist, "isf"):
        return d._call("isf", q)
    return d.quantile(1.0 - q)


class Truncated(Distribution):
    """A scalar distribution restricted to ``[low, high]`` and renormalized.

    ``log p(x) = log p_base(x) - log(F(high) - F(low))`` for ``low <= x <= high``, ``-inf``
    outside.

    Parameters
    ----------
    distribution : Distribution
        Scalar events, with ``log_cdf`` and ``log_survival_function`` (and ``quantile`` for
        sampling). Discrete families keep the mass at both bounds (``F(high) - F(low - 1)``).
    low, high : array_like or None
        The bounds (broadcasting against the base's batch shape); None for no bound on that
        side (at least one is given).
    validate_args : bool, default False
        Check ``low < high``.

    Notes
    -----
    ``batch_shape = broadcast(distribution.batch_shape, low.shape, high.shape)``,
    ``event_shape = ()``. The normalizer ``log(F(high) - F(low))`` is computed in log space from
    whichever tail is accurate: ``log F(high) + log1mexp(log F(low) - log F(high))`` when
    ``low`` is below the median and ``log S(low) + log1mexp(log S(high) - log S(low))`` above
    it, so truncations far in either tail keep full precision (e.g. a standard normal on
    ``[30, 31]``). ``cdf``, ``survival_function`` and their logs are computed the same way.
    ``quantile(p)`` is the base's quantile at ``F(low) + p (F(high) - F(low))`` (through the
    upper tail's ``isf`` where ``low`` is above the median), and ``sample`` applies it to
    uniform draws: the inverse-cdf method, reparameterized when the base's quantile is
    differentiable in its parameters. ``mean`` and ``variance`` have closed forms for a
    :class:`Normal` base (Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions
    Vol. 1, 13.10), as are ``entropy`` and ``mode``; other bases raise
    ``NotImplementedError``. Measured
    against mpmath (400 digits) for a standard normal on [-1, 2], [3, 5], [8, 40], [30, 31],
    [-31, -30]: log_prob, cdf, survival function and their logs within 1.1e-13 relative, the
    mean 1e-13, the entropy 2e-11; the variance's closed form cancels far in the tails
    (2e-13 at [3, 5], 4e-11 at [8, 40], 7.5e-8 at [30, 31]; SciPy's truncnorm alike).

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> t = fd.Truncated(fd.Normal(0.0, 1.0), low=0.0)
    >>> round(float(t.log_prob(0.5)), 6)
    -0.350791
    """

    def __init__(
        self,
        distribution: Distribution,
        low: Any = None,
        high: Any = None,
        *,
        validate_args: bool = False,
    ) -> None:
        _require_distribution("Truncated", "distribution", distribution)
        _check_scalar_base("Truncated", distribution)
        if low is None and high is None:
            raise ValueError("Truncated: expected low, high or both, got neither")
        super().__init__(
            dict(distribution=distribution, low=low, high=high), validate_args=validate_args
        )

    def _parameter_checks(self) -> Sequence[tuple[Any, str]]:
        if self.low is None or self.high is None:
            return ()
        ok = fnp.asarray(self.low) < fnp.asarray(self.high)
        return ((ok, f"low < high, got low {_text(self.low)} and high {_text(self.high)}"),)

    @property
    def dtype(self) -> np.dtype:
        return self.distribution.dtype

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        if self.distribution.support.discrete and self.low is not None and self.high is not None:
            return constraints.integer_interval(self.low, self.high)
        if self.low is None:
            return constraints.less_than(self.high)  # closed at high; close enough for checks
        if self.high is None:
            return constraints.greater_than_eq(self.low)
        return constraints.interval(self.low, self.high)

    @property
    def reparameterized(self) -> bool:  # type: ignore[override]
        return self.distribution.reparameterized

    # --- the stable log mass of an interval ---------------------------------------------------

    def _log_mass(self, a: Any, b: Any) -> Array:
        """``log(F(b) - F(a))`` for ``a <= b`` (None: an infinite end)."""
        d = self.distribution
        if a is None:
            return d.log_cdf(b)
        if b is None:
            return d.log_survival_function(a)
        lfa, lfb = d.log_cdf(a), d.log_cdf(b)
        lsa, lsb = d.log_survival_function(a), d.log_survival_function(b)
        upper = lfa > _LOG_HALF  # a above the median: both ends in the upper tail
        top = fnp.where(upper, lsa, lfb)
        bottom = fnp.where(upper, lsb, lfa)
        return top + _log1mexp(bottom - top)

    def _edge(self) -> Any:
        """The lower end of the kept mass: ``low`` for continuous bases, ``low - 1`` for
        discrete ones (so ``F(high) - F(low - 1)`` keeps the mass at ``low``)."""
        if self.low is None or not self.distribution.support.discrete:
            return self.low
        return self.low - 1.0

    def _log_normalizer(self) -> Array:
        return self._log_mass(self._edge(), self.high)

    def _inside(self, x: Array) -> Array:
        ok = fnp.isfinite(x) | ~fnp.isnan(x)
        if self.low is not None:
            ok = ok & (x >= self.low)
        if self.high is not None:
            ok = ok & (x <= self.high)
        return ok

    def _clip(self, x: Array, low: Any = None) -> Array:
        low = self.low if low is None else low
        if low is not None:
            x = fnp.maximum(x, low)
        if self.high is not None:
            x = fnp.minimum(x, self.high)
        return x

    def _log_prob(self, x: Array) -> Array:
        lp = self.distribution.log_prob(x) - self._log_normalizer()
        return fnp.where(self._inside(x), lp, -math.inf)

    def _raw_log_cdf(self, x: Array) -> Array:
        edge = self._edge()
        out = self._log_mass(edge, self._clip(x, edge)) - self._log_normalizer()
        if self.low is not None:
            out = fnp.where(x < self.low, -math.inf, out)
        if self.high is not None:
            out = fnp.where(x >= self.high, 0.0, out)
        return fnp.minimum(out, 0.0)

    def _raw_log_sf(self, x: Array) -> Array:
        out = self._log_mass(self._clip(x, self._edge()), self.high) - self._log_normalizer()
        if self.low is not None:
            out = fnp.where(x < self.low, 0.0, out)
        if self.high is not None:
            out = fnp.where(x >= self.high, -math.inf, out)
        return fnp.minimum(out, 0.0)

    def _log_cdf(self, x: Array) -> Array:
        return _complement_log(self._raw_log_cdf(x), self._raw_log_sf(x))

    def _log_survival_function(self, x: Array) -> Array:
        return _complement_log(self._raw_log_sf(x), self._raw_log_cdf(x))

    def _cdf(self, x: Array) -> Array:
        return fnp.exp(self._log_cdf(x))

    def _survival_function(self, x: Array) -> Array:
        return fnp.exp(self._log_survival_function(x))

    def _quantile(self, p: Array) -> Array:
        d = self.distribution
        p = fnp.asarray(p, dtype=np.float64)
        if self.low is None:
            # F^-1(p F(high))
            return self._clip(d.quantile(p * fnp.exp(d.log_cdf(self.high))))
        if self.high is None:
            # S^-1((1 - p) S(low))
            edge = self._edge()
            return self._clip(_upper_quantile(d, (1.0 - p) * d.survival_function(edge)))
        edge = self._edge()
        fa, fb = d.cdf(edge), d.cdf(self.high)
        sa, sb = d.survival_function(edge), d.survival_function(self.high)
        upper = d.log_cdf(edge) > _LOG_HALF
        # lower branch: F^-1(F(a) + p (F(b) - F(a))); upper branch: S^-1(S(a) - p (S(a) - S(b)))
        q_low = d.quantile(fnp.where(upper, 0.5, fa + p * (fb - fa)))
        q_up = _upper_quantile(d, fnp.where(upper, sa - p * (sa - sb), 0.5))
        return self._clip(fnp.where(upper, q_up, q_low))

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        u = frandom.uniform(key, tuple(sample_shape) + tuple(self.batch_shape))
        x = self._quantile(u)
        if self.distribution.support.discrete:
            x = fnp.asarray(x, dtype=self.dtype)
        return x

    # --- moments (Normal base) ----------------------------------------------------------------

    def _normal_moments(self, who: str) -> tuple[Array, Array, Array]:
        from .continuous import Normal

        d = self.distribution
        if not isinstance(d, Normal):
            raise NotImplementedError(
                f"{self.name}.{who}: closed form only for a Normal base, got "
                f"{type(d).__name__}; estimate it from samples"
            )
        # standardized bounds alpha, beta; with Z = Phi(beta) - Phi(alpha):
        # mean = mu + sigma (phi(a) - phi(b)) / Z
        # var = sigma^2 (1 + (a phi(a) - b phi(b)) / Z - ((phi(a) - phi(b)) / Z)^2)
        log_z = self._log_normalizer()
        half_log_2pi = 0.5 * math.log(2.0 * math.pi)

        def ratio(bound: Any) -> tuple[Array, Array]:
            if bound is None:
                return 0.0, 0.0
            z = (bound - d.loc) / d.scale
            r = fnp.exp(-0.5 * z * z - half_log_2pi - log_z)  # phi(z) / Z
            return r, z * r

        ra, za = ratio(self.low)
        rb, zb = ratio(self.high)
        m = ra - rb
        mean = d.loc + d.scale * m
        var = d.scale**2 * (1.0 + (za - zb) - m * m)
        # H = log(sqrt(2 pi e) sigma Z) + (a phi(a) - b phi(b)) / (2 Z)
        entropy = 0.5 * math.log(2.0 * math.pi * math.e) + fnp.log(d.scale) + log_z
        entropy = entropy + 0.5 * (za - zb)
        return mean, var, entropy

    def _mean(self) -> Array:
        return self._normal_moments("mean")[0]

    def _variance(self) -> Array:
        return self._normal_moments("variance")[1]

    def _entropy(self) -> Array:
        return self._normal_moments("entropy")[2]

    def _mode(self) -> Array:
        # a unimodal base's mode clipped to [low, high] (Normal; other bases raise)
        self._normal_moments("mode")
        return self._clip(fnp.broadcast_to(self.distribution.loc, self.batch_shape))


def _text(x: Any) -> str:
    if isinstance(x, Tracer):
        return "a traced value"
    a = np.asarray(x)
    return repr(a.item()) if a.ndim == 0 else f"{a.tolist()}"


# --------------------------------------------------------------------------------------------
# Censored
# --------------------------------------------------------------------------------------------


class Censored(Distribution):
    """A scalar distribution censored to ``[low, high]``: the mass outside sits on the bounds.

    ``X = clip(Y, low, high)`` for ``Y ~ distribution``: ``log p(low) = log F(low)``,
    ``log p(high) = log P(Y >= high)``, ``log p(x) = log p_Y(x)`` strictly inside, ``-inf``
    outside (Stan's and PyMC's ``Censored``).

    Parameters
    ----------
    distribution : Distribution
        Scalar events with ``log_cdf`` and ``log_survival_function``.
    low, high : array_like or None
        The censoring points (broadcasting against the batch shape); None for no censoring on
        that side.
    validate_args : bool, default False
        Check ``low < high``.

    Notes
    -----
    ``batch_shape = broadcast(distribution.batch_shape, low.shape, high.shape)``,
    ``event_shape = ()``. The log density is with respect to the sum of the base's reference
    measure and point masses at the bounds, as in Stan and PyMC, so a likelihood of censored
    data is ``Censored(...).log_prob(y)`` with ``y`` clipped to the bounds. For a discrete base
    the upper mass is ``P(Y >= high) = S(high - 1)``. ``sample`` clips the base's draws;
    ``cdf`` is the base's inside ``[low, high)``, 0 below ``low`` and 1 from ``high`` on.
    """

    def __init__(
        self,
        distribution: Distribution,
        low: Any = None,
        high: Any = None,
        *,
        validate_args: bool = False,
    ) -> None:
        _require_distribution("Censored", "distribution", distribution)
        _check_scalar_base("Censored", distribution)
        super().__init__(
            dict(distribution=distribution, low=low, high=high), validate_args=validate_args
        )

    def _parameter_checks(self) -> Sequence[tuple[Any, str]]:
        if self.low is None or self.high is None:
            return ()
        ok = fnp.asarray(self.low) < fnp.asarray(self.high)
        return ((ok, f"low < high, got low {_text(self.low)} and high {_text(self.high)}"),)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        if self.low is None and self.high is None:
            return self.distribution.support
        if self.low is None:
            return constraints.Constraint(
                "less_than_eq", 0, lambda x: x <= np.asarray(self.high),
                f"<= {_text(self.high)}", ("less_than", self.high), params=(self.high,),
            )
        if self.high is None:
            return constraints.greater_than_eq(self.low)
        return constraints.interval(self.low, self.high)

    @property
    def dtype(self) -> np.dtype:
        return self.distribution.dtype

    def _log_prob(self, x: Array) -> Array:
        d = self.distribution
        lp = d.log_prob(x)
        if self.low is not None:
            lp = fnp.where(x < self.low, -math.inf, lp)
            lp = fnp.where(x == self.low, d.log_cdf(self.low), lp)
        if self.high is not None:
            upper = self.high - 1.0 if d.support.discrete else self.high
            lp = fnp.where(x > self.high, -math.inf, lp)
            lp = fnp.where(x == self.high, d.log_survival_function(upper), lp)
        return lp

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        x = _sample_batched(self.name, self.distribution, sample_shape, self.batch_shape, key)
        if self.low is not None:
            x = fnp.maximum(x, self.low)
        if self.high is not None:
            x = fnp.minimum(x, self.high)
        return x

    def _cdf(self, x: Array) -> Array:
        c = self.distribution.cdf(x)
        if self.low is not None:
            c = fnp.where(x < self.low, 0.0, c)
        if self.high is not None:
            c = fnp.where(x >= self.high, 1.0, c)
        return c

    def _log_cdf(self, x: Array) -> Array:
        c = self.distribution.log_cdf(x)
        if self.low is not None:
            c = fnp.where(x < self.low, -math.inf, c)
        if self.high is not None:
            c = fnp.where(x >= self.high, 0.0, c)
        return c

    def _survival_function(self, x: Array) -> Array:
        return fnp.exp(self._log_survival_function(x))

    def _log_survival_function(self, x: Array) -> Array:
        s = self.distribution.log_survival_function(x)
        if self.low is not None:
            s = fnp.where(x < self.low, 0.0, s)
        if self.high is not None:
            s = fnp.where(x >= self.high, -math.inf, s)
        return s


# --------------------------------------------------------------------------------------------
# Masked
# --------------------------------------------------------------------------------------------


class Masked(Distribution):
    """A distribution whose ``log_prob`` is 0 where ``mask`` is False (NumPyro's ``mask``).

    Parameters
    ----------
    distribution : Distribution
    mask : array_like of bool
        Broadcasting against the batch shape; True where the log density counts.
    validate_args : bool, default False

    Notes
    -----
    ``batch_shape = broadcast(distribution.batch_shape, mask.shape)``; the event shape and
    every other method are the base's (samples are not masked). Used to drop missing
    observations from a likelihood without changing array shapes:
    ``log_prob(x) = where(mask, distribution.log_prob(x), 0)``.
    """

    def __init__(
        self, distribution: Distribution, mask: Any, *, validate_args: bool = False
    ) -> None:
        _require_distribution("Masked", "distribution", distribution)
        super().__init__(dict(distribution=distribution, mask=mask), validate_args=validate_args)

    def _event_shape(self) -> Shape:
        return tuple(self.distribution.event_shape)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return self.distribution.support

    @property
    def reparameterized(self) -> bool:  # type: ignore[override]
        return self.distribution.reparameterized

    @property
    def dtype(self) -> np.dtype:
        return self.distribution.dtype

    @property
    def default_bijector(self) -> fbij.Bijector:
        return self.distribution.default_bijector

    def _log_prob(self, x: Array) -> Array:
        return fnp.where(self.mask != 0, self.distribution.log_prob(x), 0.0)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        return _sample_batched(self.name, self.distribution, sample_shape, self.batch_shape, key)

    def _mean(self) -> Array:
        return self.distribution.mean()

    def _variance(self) -> Array:
        return self.distribution.variance()

    def _covariance(self) -> Array:
        return self.distribution.covariance()

    def _mode(self) -> Array:
        return self.distribution.mode()

    def _entropy(self) -> Array:
        return self.distribution.entropy()

    def _cdf(self, x: Array) -> Array:
        return self.distribution.cdf(x)

    def _log_cdf(self, x: Array) -> Array:
        return self.distribution.log_cdf(x)

    def _survival_function(self, x: Array) -> Array:
        return self.distribution.survival_function(x)

    def _log_survival_function(self, x: Array) -> Array:
        return self.distribution.log_survival_function(x)

    def _quantile(self, p: Array) -> Array:
        return self.distribution.quantile(p)


# --------------------------------------------------------------------------------------------
# Point masses
# --------------------------------------------------------------------------------------------


class Deterministic(Distribution):
    """A point mass at ``loc`` (TFP's ``Deterministic``).

    ``log_prob(x) = 0`` where ``|x - loc| <= atol + rtol |loc|``, ``-inf`` elsewhere.

    Parameters
    ----------
    loc : array_like
        The point; ``batch_shape = loc.shape``, ``event_shape = ()``.
    atol, rtol : array_like, default 0.0
        Tolerances of the comparison (``>= 0``).
    validate_args : bool, default False

    Notes
    -----
    ``sample`` returns ``loc`` (differentiable in it); mean and mode ``loc``, variance and
    entropy 0; ``cdf(x) = 1`` for ``x >= loc - tol``; ``quantile`` is ``loc``.
    """

    parameter_constraints = {
        "loc": constraints.real, "atol": constraints.nonnegative, "rtol": constraints.nonnegative,
    }
    reparameterized = True

    def __init__(
        self, loc: Any, atol: Any = 0.0, rtol: Any = 0.0, *, validate_args: bool = False
    ) -> None:
        super().__init__(dict(loc=loc, atol=atol, rtol=rtol), validate_args=validate_args)

    def _tol(self) -> Array:
        return self.atol + self.rtol * fnp.abs(self.loc)

    def _log_prob(self, x: Array) -> Array:
        hit = fnp.abs(x - self.loc) <= self._tol()
        return fnp.where(hit, 0.0, -math.inf)

    def _cdf(self, x: Array) -> Array:
        return fnp.where(x >= self.loc - self._tol(), 1.0, 0.0)

    def _log_cdf(self, x: Array) -> Array:
        return fnp.where(x >= self.loc - self._tol(), 0.0, -math.inf)

    def _survival_function(self, x: Array) -> Array:
        return 1.0 - self._cdf(x)

    def _quantile(self, p: Array) -> Array:
        return fnp.broadcast_to(self.loc, np.broadcast_shapes(
            tuple(fnp.shape(p)), self.batch_shape))

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        return fnp.broadcast_to(self.loc, tuple(sample_shape) + tuple(self.batch_shape))

    def _mean(self) -> Array:
        return self.loc

    def _mode(self) -> Array:
        return self.loc

    def _variance(self) -> Array:
        return fnp.zeros(self.batch_shape)

    def _entropy(self) -> Array:
        return fnp.zeros(self.batch_shape)


class Delta(Distribution):
    """A point mass at ``v`` with an attached log density (NumPyro's ``Delta``).

    ``log_prob(x) = log_density`` where ``x == v`` (all over the event), ``-inf`` elsewhere.

    Parameters
    ----------
    v : array_like, default 0.0
        The point, shape ``batch_shape + event_shape``.
    log_density : array_like, default 0.0
        Added to the log density at ``v`` (a Jacobian term, as in NumPyro), shape
        broadcasting against ``batch_shape``.
    event_ndims : int, default 0
        How many rightmost dimensions of ``v`` form the event.
    validate_args : bool, default False

    Notes
    -----
    ``sample`` returns ``v`` (differentiable in it); mean and mode ``v``; variance and entropy
    0.
    """

    reparameterized = True

    def __init__(
        self, v: Any = 0.0, log_density: Any = 0.0, event_ndims: int = 0, *,
        validate_args: bool = False,
    ) -> None:
        n = int(event_ndims)
        if not 0 <= n <= fnp.ndim(v):
            raise ValueError(
                f"Delta: expected 0 <= event_ndims <= v.ndim ({fnp.ndim(v)}), got {event_ndims!r}"
            )
        super().__init__(
            dict(v=v, log_density=log_density), validate_args=validate_args,
            static=dict(event_ndims=n),
        )

    @property
    def parameter_event_ndims(self) -> dict[str, int]:  # type: ignore[override]
        return {"v": self.event_ndims}

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return _with_event_ndims(constraints.real, self.event_ndims)

    def _event_shape(self) -> Shape:
        shape = tuple(fnp.shape(self.v))
        return shape[len(shape) - self.event_ndims:]

    def _log_prob(self, x: Array) -> Array:
        n = self.event_ndims
        hit = fnp.asarray(x == self.v, dtype=np.float64)
        hit = fnp.sum(hit, axis=tuple(range(-n, 0))) if n else hit
        size = float(math.prod(self.event_shape))
        return fnp.where(hit == size, 0.0, -math.inf) + self.log_density

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        shape = tuple(sample_shape) + tuple(self.batch_shape) + tuple(self.event_shape)
        return fnp.broadcast_to(self.v, shape)

    def _mean(self) -> Array:
        return self.v

    def _mode(self) -> Array:
        return self.v

    def _variance(self) -> Array:
        return fnp.zeros(self.batch_shape + self.event_shape)

    def _entropy(self) -> Array:
        return fnp.zeros(self.batch_shape)


# --------------------------------------------------------------------------------------------
# Empirical
# --------------------------------------------------------------------------------------------


class Empirical(Distribution):
    """The empirical distribution of a set of samples: uniform over them (TFP's ``Empirical``).

    Parameters
    ----------
    samples : array_like
        Shape ``batch_shape + (n,) + event_shape``; repeated values carry proportionally more
        mass.
    event_ndims : int, default 0
        The rank of one sample.
    validate_args : bool, default False

    Notes
    -----
    ``log_prob(x) = log(#{i : samples_i == x} / n)`` (``-inf`` for values not among the
    samples). ``sample`` picks samples uniformly with replacement (not reparameterized).
    ``mean`` and ``variance`` are the samples' (the variance with divisor ``n``); ``entropy`` is
    ``-sum_u p_u log p_u`` over the distinct values. For scalar events ``cdf(x)`` is the fraction
    of samples ``<= x`` and ``quantile(p)`` the smallest sample whose cdf is ``>= p``
    (SciPy's/NumPy's "inverted_cdf" quantile).
    """

    def __init__(
        self, samples: Any, event_ndims: int = 0, *, validate_args: bool = False
    ) -> None:
        n = int(event_ndims)
        if fnp.ndim(samples) < n + 1:
            raise ValueError(
                f"Empirical: expected samples of shape batch_shape + (n,) + event_shape with "
                f"{n} event dimension(s), got shape {tuple(fnp.shape(samples))}"
            )
        super().__init__(dict(samples=samples), validate_args=validate_args,
                         static=dict(event_ndims=n))

    @property
    def parameter_event_ndims(self) -> dict[str, int]:  # type: ignore[override]
        return {"samples": self.event_ndims + 1}

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return _with_event_ndims(constraints.real, self.event_ndims)

    def _event_shape(self) -> Shape:
        shape = tuple(fnp.shape(self.samples))
        return shape[len(shape) - self.event_ndims:]

    def _n(self) -> int:
        return int(fnp.shape(self.samples)[-1 - self.event_ndims])

    def _log_prob(self, x: Array) -> Array:
        e = self.event_ndims
        # x: S + B + E against samples B + (n,) + E: compare along a new sample axis
        xk = fnp.expand_dims(x, axis=fnp.ndim(x) - e)
        hit = fnp.asarray(xk == self.samples, dtype=np.float64)
        if e:
            hit = fnp.asarray(
                fnp.sum(hit, axis=tuple(range(-e, 0))) == float(math.prod(self.event_shape)),
                dtype=np.float64,
            )
        return fnp.log(fnp.sum(hit, axis=-1)) - math.log(self._n())

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        n = self._n()
        batch = tuple(self.batch_shape)
        idx = frandom.randint(key, tuple(sample_shape) + batch, 0, n)
        if not batch:
            return fnp.take(self.samples, idx, axis=0)
        mask = _one_hot(idx, n)  # S + B + (n,)
        mask = fnp.reshape(mask, tuple(fnp.shape(mask)) + (1,) * self.event_ndims)
        return fnp.sum(mask * self.samples, axis=len(sample_shape) + len(batch))

    def _mean(self) -> Array:
        return fnp.mean(self.samples, axis=-1 - self.event_ndims)

    def _variance(self) -> Array:
        return fnp.var(self.samples, axis=-1 - self.event_ndims)

    def _entropy(self) -> Array:
        # -sum_u p_u log p_u = -(1/n) sum_i log p(samples_i)
        ax = -1 - self.event_ndims
        s = fnp.moveaxis(self.samples, ax, 0)  # (n,) + B + E: the samples as values
        return -fnp.mean(self.log_prob(s), axis=0)

    def _scalar(self, who: str) -> None:
        if self.event_ndims:
            raise NotImplementedError(f"{self.name}.{who} is defined for scalar events only")

    def _cdf(self, x: Array) -> Array:
        self._scalar("cdf")
        below = fnp.asarray(self.samples <= x[..., None], dtype=np.float64)
        return fnp.mean(below, axis=-1)

    def _quantile(self, p: Array) -> Array:
        self._scalar("quantile")
        n = self._n()
        srt = fnpx.sort(self.samples, axis=-1)
        # the smallest sorted sample with i / n >= p: index ceil(n p) - 1 (0 for p = 0)
        k = fnp.clip(fnp.ceil(p * n) - 1.0, 0.0, n - 1.0)
        mask = fnp.asarray(k[..., None] == np.arange(n), dtype=np.float64)
        return fnp.sum(mask * srt, axis=-1)

    def _mode(self) -> Array:
        self._scalar("mode")
        # the most frequent sample (the first such in the stored order)
        s = self.samples
        counts = fnp.sum(fnp.asarray(s[..., :, None] == s[..., None, :], dtype=np.float64), -1)
        n = self._n()
        best = fnp.argmax(counts, axis=-1)
        mask = fnp.asarray(best[..., None] == np.arange(n), dtype=np.float64)
        return fnp.sum(mask * s, axis=-1)
