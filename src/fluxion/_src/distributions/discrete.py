"""Discrete families (TensorFlow Probability's names and parameterizations).

Every family here has integer (or integer-vector) values; ``sample`` returns ``int64`` arrays
(the base's ``dtype``), ``log_prob`` is ``-inf`` off the support (non-integers, negatives,
counts above ``total_count``) unless ``validate_args=True``, which raises instead, and
``default_bijector`` raises: a discrete variable has no bijection from the real line (marginalize
it out or observe it).

Where :mod:`fluxion.scipy.stats` has the family, the class derives from
:class:`~.base.ScipyBacked` and maps TFP's parameters to SciPy's, so log_prob, cdf, quantile,
moments and entropy equal ``scipy.stats`` by construction; the ``logits``/``log_rate``
alternatives get their own log-mass formulas (written in the log-odds, so ``logits = 40`` keeps
``log(1 - p) = -40`` instead of rounding ``p`` to 1).

Where TFP accepts ``probs`` or ``logits`` (``rate`` or ``log_rate``), exactly one is given; the
other attribute is ``None``, and ``probs_parameter()`` / ``logits_parameter()`` give either form.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random as frandom
from ..numpy import core as fnp
from ..scipy import special as fsp
from ..scipy import stats as fstats
from . import constraints
from .base import Distribution, ScipyBacked, register_kl

__all__ = ["Bernoulli", "Binomial", "Categorical", "Poisson"]

Array = Any
_INF = float("inf")
_NAN = float("nan")


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _exactly_one(family: str, values: dict[str, Any]) -> None:
    """Raise unless exactly one of the alternative parameters is given (TFP's rule)."""
    given = [k for k, v in values.items() if v is not None]
    if len(given) != 1:
        names = " or ".join(f"{k}=" for k in values)
        got = "both" if given else "neither"
        raise ValueError(f"{family}: expected exactly one of {names}, got {got}")


def _is_count(x: Array) -> Array:
    """``x`` is a finite integer ``>= 0`` (elementwise)."""
    return fnp.logical_and(fnp.logical_and(x >= 0.0, x == fnp.floor(x)), fnp.isfinite(x))


def _masked(x: Array, inside: Array, value: Array) -> Array:
    """``value`` on the support, ``-inf`` off it, ``nan`` at ``nan`` values (as SciPy)."""
    return fnp.where(inside, value, fnp.where(fnp.isnan(x), _NAN, -_INF))


def _safe(inside: Array, x: Array, fill: float = 0.0) -> Array:
    """``x`` on the support, ``fill`` off it: formulas then never see a point where they (or
    their derivatives) are nan, and ``where`` selects ``-inf`` afterwards."""
    return fnp.where(inside, x, fill)


def _as_int(x: Array) -> Array:
    """Samples as int64 (the dtype of every discrete family)."""
    return fnp.astype(x, np.int64)


class _DiscreteDistribution(Distribution):
    """Base of the discrete families: ``default_bijector`` raises a clear error."""

    @property
    def default_bijector(self) -> Any:
        """Discrete families have none.

        Raises
        ------
        NotImplementedError
            Always: a discrete variable cannot be a gradient-based sampler's parameter.
        """
        raise NotImplementedError(
            f"{self.name}.default_bijector: {self.name} is discrete (support "
            f"{self.support.describe()}); there is no bijector from the real line onto it, so "
            "it cannot be a parameter of a gradient-based sampler or optimizer: marginalize it "
            "out (sum its log_prob over the support) or observe it"
        )


class _ProbsLogits:
    """Mixin for families with ``probs`` or ``logits`` (one of them is None).

    ``_kind`` is ``"binary"`` (a success probability; ``probs = expit(logits)``) or
    ``"simplex"`` (a vector of category probabilities; ``probs = softmax(logits)``).
    """

    _kind = "binary"

    def probs_parameter(self) -> Array:
        """The probabilities, from ``probs`` or ``logits`` whichever was given.

        Returns
        -------
        Array
            The parameter's shape (``batch_shape`` for a success probability,
            ``batch_shape + (K,)`` for category probabilities, normalized).
        """
        if self.probs is not None:
            if self._kind == "simplex":
                return self.probs / fnp.sum(self.probs, axis=-1, keepdims=True)
            return self.probs
        if self._kind == "simplex":
            return fsp.softmax(self.logits, axis=-1)
        return fsp.expit(self.logits)

    def logits_parameter(self) -> Array:
        """The log-odds (binary) or normalized log-probabilities (categories)."""
        if self._kind == "simplex":
            return self._log_probs_vector()
        if self.logits is not None:
            return self.logits
        return fsp.logit(self.probs)

    def _log_p_q(self) -> tuple[Array, Array]:
        """``(log p, log(1 - p))`` for a success probability, accurate in both forms."""
        if self.logits is not None:
            return fsp.log_expit(self.logits), fsp.log_expit(-self.logits)
        return fnp.log(self.probs), fnp.log1p(-self.probs)

    def _log_probs_vector(self) -> Array:
        """Normalized log category probabilities, shape ``batch + (K,)``."""
        if self.logits is not None:
            return fsp.log_softmax(self.logits, axis=-1)
        return fnp.log(self.probs) - fnp.log(fnp.sum(self.probs, axis=-1, keepdims=True))


def _xlogy_where(p: Array, value: Array) -> Array:
    """``p * value`` with ``0 * anything = 0`` (entropy and KL terms at ``p = 0``)."""
    return fnp.where(p > 0.0, p * fnp.where(p > 0.0, value, 0.0), 0.0)


# --------------------------------------------------------------------------------------------
# Bernoulli
# --------------------------------------------------------------------------------------------


class Bernoulli(_ProbsLogits, _DiscreteDistribution, ScipyBacked):
    """The Bernoulli distribution on ``{0, 1}``.

    ``P(X = 1) = p``, ``P(X = 0) = 1 - p``, with ``p = probs`` or ``p = expit(logits)``.

    Parameters
    ----------
    logits : array_like, optional
        Log-odds ``log(p / (1 - p))``, any real. Exactly one of ``logits`` and ``probs``.
    probs : array_like, optional
        Success probability in ``[0, 1]``. ``batch_shape`` is the parameter's shape.
    validate_args : bool, default False
        Check ``probs`` in [0, 1] at construction and values in ``{0, 1}`` at each call.

    Notes
    -----
    Support ``{0, 1}`` (``constraints.boolean``); ``event_shape = ()``; samples are int64.
    log_prob, cdf, quantile, moments and entropy match ``scipy.stats.bernoulli(p)``; with
    ``logits`` the log-mass is ``x log_expit(l) + (1 - x) log_expit(-l)`` (exact for large
    ``|l|``). ``mode`` is ``1`` where ``p > 1/2`` else ``0`` (TFP's rule). Not reparameterized.
    (TFP's signature order: ``Bernoulli(logits=None, probs=None)``.)

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> d = fd.Bernoulli(probs=[0.2, 0.9])
    >>> d.log_prob([0, 1]).round(4)
    array([-0.2231, -0.1054])
    >>> d.sample(3, seed=0).shape
    (3, 2)
    """

    parameter_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    scipy_dist = fstats.bernoulli

    def __init__(
        self, logits: Any = None, probs: Any = None, *, validate_args: bool = False
    ) -> None:
        _exactly_one("Bernoulli", {"logits": logits, "probs": probs})
        super().__init__(dict(logits=logits, probs=probs), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.probs_parameter(),), {}

    def _log_prob(self, x: Array) -> Array:
        if self.logits is None:
            return super()._log_prob(x)
        inside = fnp.logical_or(x == 0.0, x == 1.0)
        xs = _safe(inside, x)
        # x log p + (1 - x) log(1 - p), with log p = log_expit(l), log(1 - p) = log_expit(-l)
        log_p, log_q = self._log_p_q()
        return _masked(x, inside, xs * log_p + (1.0 - xs) * log_q)

    def _prob(self, x: Array) -> Array:
        return fnp.exp(self._log_prob(x))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return _as_int(frandom.bernoulli(key, self.probs_parameter(), shape))

    def _mode(self) -> Array:
        return fnp.where(self.probs_parameter() > 0.5, 1.0, 0.0)

    def _entropy(self) -> Array:
        if self.logits is None:
            return super()._entropy()
        # H = -p log p - (1 - p) log(1 - p) in the log-odds (no rounding of p near 0 or 1)
        log_p, log_q = self._log_p_q()
        return -fnp.exp(log_p) * log_p - fnp.exp(log_q) * log_q


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Array:
    # KL = p (log p - log q) + (1 - p) (log(1 - p) - log(1 - q)), 0 log 0 = 0
    lp1, lp0 = p._log_p_q()
    lq1, lq0 = q._log_p_q()
    prob = p.probs_parameter()
    return _xlogy_where(prob, lp1 - lq1) + _xlogy_where(1.0 - prob, lp0 - lq0)


# --------------------------------------------------------------------------------------------
# Binomial
# --------------------------------------------------------------------------------------------


class Binomial(_ProbsLogits, _DiscreteDistribution, ScipyBacked):
    """The binomial distribution: successes in ``total_count`` independent trials.

    ``P(X = k) = C(n, k) p^k (1 - p)^(n - k)``, ``k = 0, ..., n``, with ``n = total_count`` and
    ``p = probs`` or ``expit(logits)``.

    Parameters
    ----------
    total_count : array_like
        Number of trials, an integer ``>= 0``.
    logits : array_like, optional
        Log-odds of success. Exactly one of ``logits`` and ``probs``.
    probs : array_like, optional
        Success probability in [0, 1]. ``batch_shape`` is the broadcast of the parameters.
    validate_args : bool, default False
        Check ``total_count`` a non-negative integer and ``probs`` in [0, 1]; values integers
        in ``[0, total_count]``.

    Notes
    -----
    Support ``{0, ..., total_count}`` (``constraints.integer_interval(0, total_count)``);
    samples are int64, drawn by the inverse cdf of uniforms (exact). Matches
    ``scipy.stats.binom(n, p)``; with ``logits`` the log-mass is
    ``log C(n, k) + k log_expit(l) + (n - k) log_expit(-l)``. log_prob is differentiable in
    ``probs``/``logits`` and in ``total_count`` (through ``gammaln``). ``mode`` is
    ``min(floor((n + 1) p), n)`` (the larger of two modes when ``(n + 1) p`` is an integer).
    The entropy sums over the support (concrete ``total_count``).
    """

    parameter_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    scipy_dist = fstats.binom

    def __init__(
        self,
        total_count: Any,
        logits: Any = None,
        probs: Any = None,
        *,
        validate_args: bool = False,
    ) -> None:
        _exactly_one("Binomial", {"logits": logits, "probs": probs})
        super().__init__(
            dict(total_count=total_count, logits=logits, probs=probs),
            validate_args=validate_args,
        )

    @property
    def support(self) -> constraints.Constraint:
        """constraints.Constraint : The integers ``0, ..., total_count``."""
        return constraints.integer_interval(0.0, self.total_count)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.total_count, self.probs_parameter()), {}

    def _log_prob(self, x: Array) -> Array:
        if self.logits is None:
            return super()._log_prob(x)
        n = self.total_count
        inside = fnp.logical_and(_is_count(x), x <= n)
        xs = _safe(inside, x)
        log_p, log_q = self._log_p_q()
        # log C(n, k) + k log p + (n - k) log(1 - p)
        log_comb = fsp.gammaln(n + 1.0) - fsp.gammaln(xs + 1.0) - fsp.gammaln(n - xs + 1.0)
        return _masked(x, inside, log_comb + xs * log_p + (n - xs) * log_q)

    def _prob(self, x: Array) -> Array:
        return fnp.exp(self._log_prob(x))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        u = frandom.uniform(key, shape)
        return _as_int(fstats.binom.ppf(u, self.total_count, self.probs_parameter()))

    def _mode(self) -> Array:
        n = self.total_count
        return fnp.minimum(fnp.floor((n + 1.0) * self.probs_parameter()), n)


# --------------------------------------------------------------------------------------------
# Poisson
# --------------------------------------------------------------------------------------------


class Poisson(_DiscreteDistribution, ScipyBacked):
    """The Poisson distribution: ``P(X = k) = rate^k e^-rate / k!``, ``k = 0, 1, ...``.

    Parameters
    ----------
    rate : array_like, optional
        The mean, ``>= 0``. Exactly one of ``rate`` and ``log_rate``.
    log_rate : array_like, optional
        ``log(rate)``, any real (the natural parameter of a Poisson regression).
        ``batch_shape`` is the parameter's shape.
    validate_args : bool, default False
        Check ``rate >= 0`` and values non-negative integers.

    Notes
    -----
    Support the non-negative integers; samples are int64 (NumPy's Poisson sampler on the
    key's stream). Matches ``scipy.stats.poisson(rate)``; with ``log_rate`` the log-mass is
    ``k log_rate - exp(log_rate) - log k!``. Unlike TFP (whose default log_prob is a continuous
    relaxation at non-integers) a non-integer value has log_prob ``-inf``, as SciPy.
    ``mode = floor(rate)`` (TFP's choice). The entropy is SciPy's (a 600-term sum, an
    asymptotic series above ``rate = 400``).
    """

    parameter_constraints = {"rate": constraints.nonnegative, "log_rate": constraints.real}
    support = constraints.nonnegative_integer
    scipy_dist = fstats.poisson

    def __init__(
        self, rate: Any = None, log_rate: Any = None, *, validate_args: bool = False
    ) -> None:
        _exactly_one("Poisson", {"rate": rate, "log_rate": log_rate})
        super().__init__(dict(rate=rate, log_rate=log_rate), validate_args=validate_args)

    def rate_parameter(self) -> Array:
        """The rate, from ``rate`` or ``exp(log_rate)``; shape of the parameter."""
        return self.rate if self.rate is not None else fnp.exp(self.log_rate)

    def log_rate_parameter(self) -> Array:
        """``log(rate)``; shape of the parameter."""
        return self.log_rate if self.log_rate is not None else fnp.log(self.rate)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.rate_parameter(),), {}

    def _log_prob(self, x: Array) -> Array:
        if self.log_rate is None:
            return super()._log_prob(x)
        inside = _is_count(x)
        xs = _safe(inside, x)
        # k log(rate) - rate - log k!
        lp = xs * self.log_rate - fnp.exp(self.log_rate) - fsp.gammaln(xs + 1.0)
        return _masked(x, inside, lp)

    def _prob(self, x: Array) -> Array:
        return fnp.exp(self._log_prob(x))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return _as_int(frandom.poisson(key, self.rate_parameter(), shape))

    def _mode(self) -> Array:
        return fnp.floor(self.rate_parameter())


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Array:
    # KL = r_p (log r_p - log r_q) - r_p + r_q
    rp, rq = p.rate_parameter(), q.rate_parameter()
    return _xlogy_where(rp, p.log_rate_parameter() - q.log_rate_parameter()) - rp + rq


# --------------------------------------------------------------------------------------------
# Categorical
# --------------------------------------------------------------------------------------------


def _select_last(values: Array, x: Array) -> Array:
    """``values[..., x]`` for integer-valued float ``x`` of shape ``sample + batch`` and
    ``values`` of shape ``batch + (K,)``: a one-hot weighted sum (differentiable, lowers in
    every backend; ``x`` outside ``0..K-1`` selects nothing and gives 0)."""
    k = fnp.shape(values)[-1]
    hit = fnp.expand_dims(x, -1) == fnp.arange(k, dtype=np.float64)
    return fnp.sum(fnp.where(hit, values, 0.0), axis=-1)


class Categorical(_ProbsLogits, _DiscreteDistribution):
    """The categorical distribution on the category indices ``{0, ..., K - 1}``.

    ``P(X = k) = p_k``, with ``p = probs / sum(probs)`` or ``p = softmax(logits)``.

    Parameters
    ----------
    logits : array_like, optional
        Shape ``batch_shape + (K,)``: unnormalized log-probabilities. Exactly one of
        ``logits`` and ``probs``.
    probs : array_like, optional
        Shape ``batch_shape + (K,)``: probabilities (normalized over the last axis).
    validate_args : bool, default False
        Check ``probs`` a simplex; values integers in ``[0, K - 1]``.

    Notes
    -----
    ``event_shape = ()``; ``batch_shape`` is the parameter's shape without its last axis;
    ``log_prob(x)`` of ``x`` with shape ``sample_shape + batch_shape`` has that shape. Samples
    are int64 (Gumbel-max on ``fluxion.random``). Besides TFP's methods, the index's cdf
    (``sum_{j <= x} p_j``), survival function, quantile, mean and variance are defined (the
    categories are ordered integers), as in TFP's ``Categorical.cdf``. ``mode`` is the first
    most probable category; the entropy is ``-sum p log p``.

    Examples
    --------
    >>> import fluxion.distributions as fd
    >>> d = fd.Categorical(probs=[[0.2, 0.8], [0.5, 0.5]])
    >>> d.batch_shape, d.event_shape
    ((2,), ())
    >>> d.log_prob(1).round(4)
    array([-0.2231, -0.6931])
    """

    parameter_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    parameter_event_ndims = {"probs": 1, "logits": 1}
    _kind = "simplex"

    def __init__(
        self, logits: Any = None, probs: Any = None, *, validate_args: bool = False
    ) -> None:
        _exactly_one("Categorical", {"logits": logits, "probs": probs})
        super().__init__(dict(logits=logits, probs=probs), validate_args=validate_args)

    @property
    def num_categories(self) -> int:
        """int : ``K``, the length of the parameter's last axis."""
        p = self.logits if self.logits is not None else self.probs
        return int(fnp.shape(p)[-1])

    @property
    def support(self) -> constraints.Constraint:
        """constraints.Constraint : The integers ``0, ..., K - 1``."""
        return constraints.integer_interval(0, self.num_categories - 1)

    def _inside(self, x: Array) -> Array:
        return fnp.logical_and(_is_count(x), x <= self.num_categories - 1)

    def _log_prob(self, x: Array) -> Array:
        inside = self._inside(x)
        return _masked(x, inside, _select_last(self._log_probs_vector(), _safe(inside, x)))

    def _cdf(self, x: Array) -> Array:
        # P(X <= x) = sum_{j <= floor(x)} p_j (0 below 0, 1 from K - 1 on)
        p = self.probs_parameter()
        j = fnp.arange(self.num_categories, dtype=np.float64)
        below = j <= fnp.expand_dims(fnp.floor(x), -1)
        return fnp.sum(fnp.where(below, p, 0.0), axis=-1)

    def _survival_function(self, x: Array) -> Array:
        p = self.probs_parameter()
        j = fnp.arange(self.num_categories, dtype=np.float64)
        above = j > fnp.expand_dims(fnp.floor(x), -1)
        return fnp.sum(fnp.where(above, p, 0.0), axis=-1)

    def _log_cdf(self, x: Array) -> Array:
        return fnp.log(self._cdf(x))

    def _log_survival_function(self, x: Array) -> Array:
        return fnp.log(self._survival_function(x))

    def _quantile(self, q: Array) -> Array:
        # the smallest k with cdf(k) >= q: the number of categories whose cdf is below q
        cdf = fnp.cumsum(self.probs_parameter(), axis=-1)
        count = fnp.sum(fnp.where(cdf < fnp.expand_dims(q, -1), 1.0, 0.0), axis=-1)
        return fnp.where(fnp.isnan(q), _NAN, fnp.minimum(count, self.num_categories - 1.0))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        logits = self.logits if self.logits is not None else fnp.log(self.probs)
        return _as_int(frandom.categorical(key, logits, shape=shape))

    def _mean(self) -> Array:
        j = fnp.arange(self.num_categories, dtype=np.float64)
        return fnp.sum(self.probs_parameter() * j, axis=-1)

    def _variance(self) -> Array:
        j = fnp.arange(self.num_categories, dtype=np.float64)
        p = self.probs_parameter()
        m = fnp.sum(p * j, axis=-1, keepdims=True)
        return fnp.sum(p * (j - m) ** 2, axis=-1)

    def _mode(self) -> Array:
        return fnp.astype(fnp.argmax(self._log_probs_vector(), axis=-1), np.float64)

    def _entropy(self) -> Array:
        # H = -sum_k p_k log p_k
        logp = self._log_probs_vector()
        return -fnp.sum(_xlogy_where(fnp.exp(logp), logp), axis=-1)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Array:
    # KL = sum_k p_k (log p_k - log q_k), 0 log 0 = 0
    lp, lq = p._log_probs_vector(), q._log_probs_vector()
    return fnp.sum(_xlogy_where(fnp.exp(lp), lp - lq), axis=-1)
