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
from ..core import Tracer
from ..numpy import core as fnp
from ..scipy import special as fsp
from . import constraints
from .base import Distribution, ScipyBacked, register_kl

__all__ = [
    "Independent",
    "Sample",
    "TransformedDistribution",
    "MixtureSameFamily",
    "Truncated",
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
        return tuple(self.distribution.batch_shape)

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
        return self.bijector.forward(self.distribution._sample(sample_shape, key))

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


class MixtureSameFamily(Distribution):
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
    For scalar events ``cdf = sum_k w_k cdf_k`` (and its log, survival, log survival).

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

    def _component_values(self, x: Array) -> Array:
        # x: S + B + E -> S + B + (1,) + E, so it broadcasts against the component axis
        e = len(self.event_shape)
        return fnp.expand_dims(x, axis=fnp.ndim(x) - e)

    def _log_prob(self, x: Array) -> Array:
        lp = self.components_distribution.log_prob(self._component_values(x))
        return fsp.logsumexp(lp + self._log_w(), axis=-1)

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        k1, k2 = frandom.split(key)
        batch = self.batch_shape
        e = len(self.event_shape)
        n = len(sample_shape)
        # every batch member draws its own index and its own component values
        idx = _sample_batched(self.name, self.mixture_distribution, sample_shape, batch, k1)
        mask = _one_hot(idx, self._k())  # S + B + (K,)
        mask = fnp.reshape(mask, tuple(fnp.shape(mask)) + (1,) * e)
        draws = _sample_batched(
            self.name, _Drop(self.components_distribution), sample_shape, batch, k2
        )
        return fnp.sum(draws * mask, axis=n + len(batch))

    def _weighted(self, values: Array, extra: int) -> Array:
        # values: B' + (K,) + (extra event dims); sum_k w_k values_k
        w = fnp.exp(self._log_w())
        w = fnp.reshape(w, tuple(fnp.shape(w)) + (1,) * extra)
        return fnp.sum(w * values, axis=-1 - extra)

    def _mean(self) -> Array:
        return self._weighted(self.components_distribution.mean(), len(self.event_shape))

    def _variance(self) -> Array:
        e = len(self.event_shape)
        means = self.components_distribution.mean()
        mean = self._weighted(means, e)
        dev = means - fnp.expand_dims(mean, axis=fnp.ndim(mean) - e)
        return self._weighted(self.components_distribution.variance() + dev**2, e)

    def _covariance(self) -> Array:
        if len(self.event_shape) != 1:
            raise self._missing("covariance (only for vector events)")
        means = self.components_distribution.mean()
        mean = self._weighted(means, 1)
        dev = means - mean[..., None, :]
        outer = dev[..., :, None] * dev[..., None, :]
        return self._weighted(self.components_distribution.covariance() + outer, 2)

    def _scalar(self, who: str) -> None:
        if self.event_shape:
            raise NotImplementedError(f"{self.name}.{who} is defined for scalar events only")

    def _cdf(self, x: Array) -> Array:
        return fnp.exp(self._log_cdf(x))

    def _survival_function(self, x: Array) -> Array:
        return fnp.exp(self._log_survival_function(x))

    def _log_cdf(self, x: Array) -> Array:
        self._scalar("log_cdf")
        return _complement_log(self._raw_log_cdf(x), self._raw_log_sf(x))

    def _log_survival_function(self, x: Array) -> Array:
        self._scalar("log_survival_function")
        return _complement_log(self._raw_log_sf(x), self._raw_log_cdf(x))

    def _raw_log_cdf(self, x: Array) -> Array:
        # log sum_k w_k F_k(x)
        lc = self.components_distribution.log_cdf(x[..., None])
        return fsp.logsumexp(lc + self._log_w(), axis=-1)

    def _raw_log_sf(self, x: Array) -> Array:
        ls = self.components_distribution.log_survival_function(x[..., None])
        return fsp.logsumexp(ls + self._log_w(), axis=-1)


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
        sampling): any continuous family of this library.
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
    Vol. 1, 13.10); other bases raise ``NotImplementedError``.

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
    def support(self) -> constraints.Constraint:  # type: ignore[override]
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

    def _log_normalizer(self) -> Array:
        return self._log_mass(self.low, self.high)

    def _inside(self, x: Array) -> Array:
        ok = fnp.isfinite(x) | ~fnp.isnan(x)
        if self.low is not None:
            ok = ok & (x >= self.low)
        if self.high is not None:
            ok = ok & (x <= self.high)
        return ok

    def _clip(self, x: Array) -> Array:
        if self.low is not None:
            x = fnp.maximum(x, self.low)
        if self.high is not None:
            x = fnp.minimum(x, self.high)
        return x

    def _log_prob(self, x: Array) -> Array:
        lp = self.distribution.log_prob(x) - self._log_normalizer()
        return fnp.where(self._inside(x), lp, -math.inf)

    def _raw_log_cdf(self, x: Array) -> Array:
        out = self._log_mass(self.low, self._clip(x)) - self._log_normalizer()
        if self.low is not None:
            out = fnp.where(x <= self.low, -math.inf, out)
        if self.high is not None:
            out = fnp.where(x >= self.high, 0.0, out)
        return fnp.minimum(out, 0.0)

    def _raw_log_sf(self, x: Array) -> Array:
        out = self._log_mass(self._clip(x), self.high) - self._log_normalizer()
        if self.low is not None:
            out = fnp.where(x <= self.low, 0.0, out)
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
            return self._clip(_upper_quantile(d, (1.0 - p) * d.survival_function(self.low)))
        fa, fb = d.cdf(self.low), d.cdf(self.high)
        sa, sb = d.survival_function(self.low), d.survival_function(self.high)
        upper = d.log_cdf(self.low) > _LOG_HALF
        # lower branch: F^-1(F(a) + p (F(b) - F(a))); upper branch: S^-1(S(a) - p (S(a) - S(b)))
        q_low = d.quantile(fnp.where(upper, 0.5, fa + p * (fb - fa)))
        q_up = _upper_quantile(d, fnp.where(upper, sa - p * (sa - sb), 0.5))
        return self._clip(fnp.where(upper, q_up, q_low))

    def _sample(self, sample_shape: Shape, key: Any) -> Array:
        u = frandom.uniform(key, tuple(sample_shape) + tuple(self.batch_shape))
        return self._quantile(u)

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


def _text(x: Any) -> str:
    if isinstance(x, Tracer):
        return "a traced value"
    a = np.asarray(x)
    return repr(a.item()) if a.ndim == 0 else f"{a.tolist()}"
