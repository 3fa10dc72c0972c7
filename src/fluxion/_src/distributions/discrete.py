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

``quantile(p)`` is the smallest support point ``k`` with ``cdf(k) >= p``; ``quantile(0)`` is one
below the support's lowest point (SciPy's discrete ``ppf`` convention), in every family.

Where TFP accepts ``probs`` or ``logits`` (``rate`` or ``log_rate``), exactly one is given; the
other attribute is ``None``, and ``probs_parameter()`` / ``logits_parameter()`` give either form.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random as frandom
from ..numpy import core as fnp
from ..scipy import special as fsp
from ..scipy import special_more as _fsp_more
from ..scipy import stats as fstats
from ..scipy.stats._discrete import _Discrete, _need_concrete
from . import constraints
from .base import Distribution, ScipyBacked, register_kl

__all__ = [
    "Bernoulli",
    "BetaBinomial",
    "Binomial",
    "Categorical",
    "DirichletMultinomial",
    "DiscreteUniform",
    "Geometric",
    "Multinomial",
    "NegativeBinomial",
    "OneHotCategorical",
    "OrderedLogistic",
    "Poisson",
    "Skellam",
    "ZeroInflatedNegativeBinomial",
    "ZeroInflatedPoisson",
]

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
    ``logits`` the log-mass is ``x log_expit(l) + (1 - x) log_expit(-l)`` and the cdf, survival
    function and their logs are ``expit(-l)``, ``expit(l)``, ``log_expit(-+l)`` on [0, 1) (exact
    for large ``|l|``). ``mode`` is ``1`` where ``p > 1/2`` else ``0`` (TFP's rule). Not
    reparameterized. (TFP's signature order: ``Bernoulli(logits=None, probs=None)``.)

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

    def _tail(self, x: Array, below: Any, at_zero: Array, above: Any) -> Array:
        # a step function: ``below`` for x < 0, ``at_zero`` on [0, 1), ``above`` from 1 on
        return fnp.where(x < 0.0, below, fnp.where(x < 1.0, at_zero, above))

    def _cdf(self, x: Array) -> Array:
        if self.logits is None:
            return super()._cdf(x)
        return self._tail(x, 0.0, fsp.expit(-self.logits), 1.0)

    def _log_cdf(self, x: Array) -> Array:
        if self.logits is None:
            return super()._log_cdf(x)
        return self._tail(x, -_INF, self._log_p_q()[1], 0.0)

    def _survival_function(self, x: Array) -> Array:
        if self.logits is None:
            return super()._survival_function(x)
        return self._tail(x, 1.0, fsp.expit(self.logits), 0.0)

    def _log_survival_function(self, x: Array) -> Array:
        if self.logits is None:
            return super()._log_survival_function(x)
        return self._tail(x, 0.0, self._log_p_q()[0], -_INF)

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
        # q = 0 gives -1, one below the support, as SciPy's discrete ppf
        value = fnp.where(q == 0.0, -1.0, fnp.minimum(count, self.num_categories - 1.0))
        return fnp.where(fnp.isnan(q), _NAN, value)

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


# --------------------------------------------------------------------------------------------
# Negative binomial and geometric
# --------------------------------------------------------------------------------------------


class NegativeBinomial(_ProbsLogits, _DiscreteDistribution, ScipyBacked):
    """The negative binomial distribution (TFP's parameterization).

    Bernoulli trials with success probability ``p`` are run until ``total_count = f``
    failures; ``X`` counts the successes:
    ``P(X = s) = Gamma(s + f) / (Gamma(f) s!) p^s (1 - p)^f``, ``s = 0, 1, ...``.

    Parameters
    ----------
    total_count : array_like
        ``f > 0``: the number of failures to stop at (a real ``f`` is allowed: the
        Gamma-Poisson mixture).
    logits : array_like, optional
        Log-odds of a success. Exactly one of ``logits`` and ``probs``.
    probs : array_like, optional
        Success probability ``p`` in ``[0, 1)``. ``batch_shape`` is the parameters' broadcast.
    validate_args : bool, default False
        Check ``total_count > 0`` and ``probs`` in [0, 1]; values non-negative integers.

    Notes
    -----
    TFP's ``probs`` is the probability of the *counted* events, so this is
    ``scipy.stats.nbinom(n=total_count, p=1 - probs)`` (SciPy counts failures before the
    ``n``-th success); every method matches it under that mapping. Mean ``f p / (1 - p)``,
    variance ``f p / (1 - p)^2``. With ``logits`` the log-mass is written in the log-odds.
    Samples (int64) are Poisson draws with a Gamma(f, scale = p / (1 - p)) rate.
    ``mode = floor((f - 1) p / (1 - p))`` for ``f > 1``, else 0 (TFP's). The entropy is
    SciPy's sum over the support (concrete parameters).
    """

    parameter_constraints = {
        "total_count": constraints.positive,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer
    scipy_dist = fstats.nbinom

    def __init__(
        self,
        total_count: Any,
        logits: Any = None,
        probs: Any = None,
        *,
        validate_args: bool = False,
    ) -> None:
        _exactly_one("NegativeBinomial", {"logits": logits, "probs": probs})
        super().__init__(
            dict(total_count=total_count, logits=logits, probs=probs),
            validate_args=validate_args,
        )

    def _failure_prob(self) -> Array:
        # 1 - p, directly from the log-odds where given (no cancellation for p near 1)
        if self.logits is not None:
            return fsp.expit(-self.logits)
        return 1.0 - self.probs

    def _odds(self) -> Array:
        # p / (1 - p)
        if self.logits is not None:
            return fnp.exp(self.logits)
        return self.probs / (1.0 - self.probs)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.total_count, self._failure_prob()), {}

    def _log_prob(self, x: Array) -> Array:
        if self.logits is None:
            return super()._log_prob(x)
        f = self.total_count
        inside = _is_count(x)
        xs = _safe(inside, x)
        log_p, log_q = self._log_p_q()
        # log Gamma(s + f) - log Gamma(f) - log s! + s log p + f log(1 - p)
        coeff = fsp.gammaln(xs + f) - fsp.gammaln(f) - fsp.gammaln(xs + 1.0)
        return _masked(x, inside, coeff + xs * log_p + f * log_q)

    def _prob(self, x: Array) -> Array:
        return fnp.exp(self._log_prob(x))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        k_gamma, k_poisson = frandom.split(key)
        rate = frandom.gamma(k_gamma, fnp.broadcast_to(self.total_count, shape)) * self._odds()
        return _as_int(frandom.poisson(k_poisson, fnp.stop_gradient(rate), shape))

    def _mode(self) -> Array:
        f = self.total_count
        return fnp.where(f > 1.0, fnp.floor((f - 1.0) * self._odds()), 0.0)


class Geometric(_ProbsLogits, _DiscreteDistribution, ScipyBacked):
    """The geometric distribution: failures before the first success (TFP's).

    ``P(X = k) = (1 - p)^k p``, ``k = 0, 1, ...``, with ``p = probs`` or ``expit(logits)``.

    Parameters
    ----------
    logits : array_like, optional
        Log-odds of success. Exactly one of ``logits`` and ``probs``.
    probs : array_like, optional
        Success probability in ``(0, 1]``. ``batch_shape`` is the parameter's shape.
    validate_args : bool, default False
        Check ``probs`` in [0, 1]; values non-negative integers.

    Notes
    -----
    Support ``{0, 1, ...}``: this is ``scipy.stats.geom(p, loc=-1)`` (SciPy counts trials,
    from 1), and every method matches it. Samples (int64) by the inverse cdf
    ``floor(log u / log(1 - p))``. ``mode = 0``.
    """

    parameter_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer
    scipy_dist = fstats.geom

    def __init__(
        self, logits: Any = None, probs: Any = None, *, validate_args: bool = False
    ) -> None:
        _exactly_one("Geometric", {"logits": logits, "probs": probs})
        super().__init__(dict(logits=logits, probs=probs), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.probs_parameter(),), {"loc": -1.0}

    def _log_prob(self, x: Array) -> Array:
        if self.logits is None:
            return super()._log_prob(x)
        inside = _is_count(x)
        xs = _safe(inside, x)
        log_p, log_q = self._log_p_q()
        # k log(1 - p) + log p
        return _masked(x, inside, xs * log_q + log_p)

    def _prob(self, x: Array) -> Array:
        return fnp.exp(self._log_prob(x))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        u = frandom.uniform(key, shape)
        # P(X >= k) = (1 - p)^k, so X = floor(log u / log(1 - p)) (0 when p = 1)
        _, log_q = self._log_p_q()
        return _as_int(fnp.floor(fnp.log(u) / fnp.stop_gradient(log_q)))

    def _mode(self) -> Array:
        return fnp.zeros(self.batch_shape)


# --------------------------------------------------------------------------------------------
# Beta-binomial and the discrete uniform
# --------------------------------------------------------------------------------------------


class BetaBinomial(_DiscreteDistribution, ScipyBacked):
    """The beta-binomial distribution: a binomial whose success probability is Beta-distributed.

    ``P(X = k) = C(n, k) B(k + a, n - k + b) / B(a, b)``, ``k = 0, ..., n``, with
    ``n = total_count``, ``a = concentration1``, ``b = concentration0``.

    Parameters
    ----------
    total_count : array_like
        Number of trials, an integer ``>= 0``.
    concentration1 : array_like
        ``a > 0``, the Beta's first shape (pseudo-successes).
    concentration0 : array_like
        ``b > 0``, the Beta's second shape (pseudo-failures). ``batch_shape`` is the
        parameters' broadcast.
    validate_args : bool, default False
        Check the parameters' domains; values integers in ``[0, total_count]``.

    Notes
    -----
    Matches ``scipy.stats.betabinom(n, a, b)`` (cdf, quantile and entropy sum over the
    support: concrete ``total_count``). Samples (int64): ``p ~ Beta(a, b)``, then a binomial
    by the inverse cdf. ``mode`` is not implemented (no closed form).
    """

    parameter_constraints = {
        "total_count": constraints.nonnegative_integer,
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    scipy_dist = fstats.betabinom

    def __init__(
        self,
        total_count: Any,
        concentration1: Any,
        concentration0: Any,
        *,
        validate_args: bool = False,
    ) -> None:
        super().__init__(
            dict(total_count=total_count, concentration1=concentration1,
                 concentration0=concentration0),
            validate_args=validate_args,
        )

    @property
    def support(self) -> constraints.Constraint:
        """constraints.Constraint : The integers ``0, ..., total_count``."""
        return constraints.integer_interval(0.0, self.total_count)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.total_count, self.concentration1, self.concentration0), {}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        k_beta, k_binom = frandom.split(key)
        p = frandom.beta(k_beta, self.concentration1, self.concentration0, shape)
        u = frandom.uniform(k_binom, shape)
        return _as_int(fstats.binom.ppf(u, self.total_count, fnp.stop_gradient(p)))


_integer = constraints.Constraint(
    "integer", 0, lambda x: np.isfinite(x) & (np.floor(x) == x), "an integer", discrete=True
)


class DiscreteUniform(_DiscreteDistribution, ScipyBacked):
    """The discrete uniform distribution on the integers ``low, low + 1, ..., high``.

    ``P(X = k) = 1 / (high - low + 1)``.

    Parameters
    ----------
    low, high : array_like
        Integers with ``low <= high`` (both ends included, as NumPyro's DiscreteUniform).
        ``batch_shape`` is their broadcast.
    validate_args : bool, default False
        Check integer ends with ``low <= high``; values integers in ``[low, high]``.

    Notes
    -----
    ``scipy.stats.randint(low, high + 1)`` (SciPy excludes the upper end); every method
    matches it. Samples (int64) by ``fluxion.random.randint``. ``mode`` is not implemented
    (every support point is a mode).
    """

    parameter_constraints = {"low": _integer, "high": _integer}
    scipy_dist = fstats.randint

    def __init__(self, low: Any = 0.0, high: Any = 1.0, *, validate_args: bool = False) -> None:
        super().__init__(dict(low=low, high=high), validate_args=validate_args)

    def _parameter_checks(self) -> list[tuple[Any, str]]:
        ok = np.asarray(self.low) <= np.asarray(self.high)
        return [(ok, f"low <= high, got low {self.low!r} and high {self.high!r}")]

    @property
    def support(self) -> constraints.Constraint:
        """constraints.Constraint : The integers ``low, ..., high``."""
        return constraints.integer_interval(self.low, self.high)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.low, self.high + 1.0), {}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return _as_int(frandom.randint(key, shape, self.low, self.high + 1.0))


# --------------------------------------------------------------------------------------------
# Zero-inflated counts
# --------------------------------------------------------------------------------------------


class _ZeroInflated(_DiscreteDistribution):
    """A point mass at 0 with probability ``gate`` mixed with a count distribution
    (:meth:`_counts`, a distribution on ``{0, 1, ...}``) with probability ``1 - gate``."""

    support = constraints.nonnegative_integer

    def _counts(self) -> Distribution:
        raise NotImplementedError

    def gate_parameter(self) -> Array:
        """The zero-inflation probability, from ``gate`` or ``expit(gate_logits)``."""
        return self.gate if self.gate is not None else fsp.expit(self.gate_logits)

    def _log_gates(self) -> tuple[Array, Array]:
        """``(log gate, log(1 - gate))``, accurate in both forms."""
        if self.gate_logits is not None:
            return fsp.log_expit(self.gate_logits), fsp.log_expit(-self.gate_logits)
        return fnp.log(self.gate), fnp.log1p(-self.gate)

    def _log_prob(self, x: Array) -> Array:
        inside = _is_count(x)
        xs = _safe(inside, x)
        log_g, log_1mg = self._log_gates()
        counts = log_1mg + self._counts()._log_prob(xs)
        # P(0) = gate + (1 - gate) P_counts(0); P(k > 0) = (1 - gate) P_counts(k)
        at_zero = fnp.logaddexp(log_g, counts)
        return _masked(x, inside, fnp.where(xs == 0.0, at_zero, counts))

    def _cdf(self, x: Array) -> Array:
        g = self.gate_parameter()
        return fnp.where(x < 0.0, 0.0, g + (1.0 - g) * self._counts()._cdf(x))

    def _survival_function(self, x: Array) -> Array:
        g = self.gate_parameter()
        return fnp.where(x < 0.0, 1.0, (1.0 - g) * self._counts()._survival_function(x))

    def _log_survival_function(self, x: Array) -> Array:
        _, log_1mg = self._log_gates()
        tail = log_1mg + self._counts()._log_survival_function(x)
        return fnp.where(x < 0.0, 0.0, tail)

    def _log_cdf(self, x: Array) -> Array:
        return fnp.log(self._cdf(x))

    def _quantile(self, q: Array) -> Array:
        # smallest k with g + (1 - g) F(k) >= q: 0 when q <= g, else F^-1((q - g) / (1 - g))
        g = self.gate_parameter()
        inner = fnp.clip((q - g) / (1.0 - g), 0.0, 1.0)
        value = self._counts()._quantile(fnp.where(q <= g, 0.5, inner))
        # q = 0 gives -1, one below the support, as SciPy's discrete ppf
        return fnp.where(q == 0.0, -1.0, fnp.where(q <= g, 0.0, value))

    def _mean(self) -> Array:
        return (1.0 - self.gate_parameter()) * self._counts()._mean()

    def _variance(self) -> Array:
        # Var = (1 - g) (v + m^2) - ((1 - g) m)^2 = (1 - g) (v + g m^2)
        g, counts = self.gate_parameter(), self._counts()
        m = counts._mean()
        return (1.0 - g) * (counts._variance() + g * m * m)

    def _mode(self) -> Array:
        # the counts' mode, unless the inflated zero is more probable
        k = self._counts()._mode()
        return fnp.where(self._log_prob(fnp.zeros_like(k)) >= self._log_prob(k), 0.0, k)

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        k_gate, k_counts = frandom.split(key)
        zero = frandom.bernoulli(k_gate, self.gate_parameter(), shape)
        counts = self._counts()._sample(sample_shape, k_counts)
        return _as_int(fnp.where(zero, 0, counts))


class ZeroInflatedPoisson(_ZeroInflated):
    """A Poisson with extra zeros: ``0`` with probability ``gate``, else ``Poisson(rate)``.

    ``P(0) = g + (1 - g) e^-rate``, ``P(k) = (1 - g) rate^k e^-rate / k!`` for ``k >= 1``.

    Parameters
    ----------
    rate : array_like
        The Poisson mean, ``>= 0``.
    gate : array_like, optional
        The extra-zero probability in [0, 1]. Exactly one of ``gate`` and ``gate_logits``.
    gate_logits : array_like, optional
        ``logit(gate)``. ``batch_shape`` is the parameters' broadcast.
    validate_args : bool, default False

    Notes
    -----
    NumPyro's ZeroInflatedPoisson (TFP spells the gate ``inflated_loc_probs``). cdf, survival,
    quantile, mean, variance and mode from the Poisson's (SciPy's) closed forms; samples are
    int64. The entropy is not implemented (no closed form).
    """

    parameter_constraints = {
        "rate": constraints.nonnegative,
        "gate": constraints.unit_interval,
        "gate_logits": constraints.real,
    }

    def __init__(
        self,
        rate: Any,
        gate: Any = None,
        *,
        gate_logits: Any = None,
        validate_args: bool = False,
    ) -> None:
        _exactly_one("ZeroInflatedPoisson", {"gate": gate, "gate_logits": gate_logits})
        super().__init__(dict(rate=rate, gate=gate, gate_logits=gate_logits),
                         validate_args=validate_args)

    def _counts(self) -> Poisson:
        return Poisson(fnp.broadcast_to(self.rate, self.batch_shape))


class ZeroInflatedNegativeBinomial(_ZeroInflated):
    """A negative binomial with extra zeros: ``0`` with probability ``gate``, else
    ``NegativeBinomial(total_count, logits|probs)`` (TFP's parameterization).

    Parameters
    ----------
    total_count : array_like
        The negative binomial's ``f > 0``.
    logits, probs : array_like, optional
        Its success log-odds or probability (exactly one); see :class:`NegativeBinomial`.
    gate : array_like, optional
        The extra-zero probability in [0, 1] (TFP: ``inflated_loc_probs``, also accepted).
    gate_logits : array_like, optional
        ``logit(gate)`` (TFP: ``inflated_loc_logits``, also accepted). Exactly one of the gate
        forms. ``batch_shape`` is the parameters' broadcast.
    validate_args : bool, default False

    Notes
    -----
    cdf, survival, quantile, mean, variance and mode from the negative binomial's (SciPy's
    ``nbinom(f, 1 - p)``); samples are int64. The entropy is not implemented.
    """

    parameter_constraints = {
        "total_count": constraints.positive,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
        "gate": constraints.unit_interval,
        "gate_logits": constraints.real,
    }

    def __init__(
        self,
        total_count: Any,
        logits: Any = None,
        probs: Any = None,
        gate: Any = None,
        *,
        gate_logits: Any = None,
        inflated_loc_probs: Any = None,
        inflated_loc_logits: Any = None,
        validate_args: bool = False,
    ) -> None:
        gate = gate if inflated_loc_probs is None else inflated_loc_probs
        gate_logits = gate_logits if inflated_loc_logits is None else inflated_loc_logits
        _exactly_one("ZeroInflatedNegativeBinomial", {"logits": logits, "probs": probs})
        _exactly_one("ZeroInflatedNegativeBinomial", {"gate": gate, "gate_logits": gate_logits})
        super().__init__(
            dict(total_count=total_count, logits=logits, probs=probs, gate=gate,
                 gate_logits=gate_logits),
            validate_args=validate_args,
        )

    def _counts(self) -> NegativeBinomial:
        b = self.batch_shape
        f = fnp.broadcast_to(self.total_count, b)
        if self.logits is not None:
            return NegativeBinomial(f, logits=fnp.broadcast_to(self.logits, b))
        return NegativeBinomial(f, probs=fnp.broadcast_to(self.probs, b))


# --------------------------------------------------------------------------------------------
# One-hot categorical, multinomial, Dirichlet-multinomial
# --------------------------------------------------------------------------------------------


def _one_hot_test(x: np.ndarray) -> np.ndarray:
    ok = ((x == 0) | (x == 1)).all(-1) & (x.sum(-1) == 1)
    return np.broadcast_to(ok[..., None], x.shape)


_one_hot = constraints.Constraint(
    "one_hot", 1, _one_hot_test, "a one-hot vector (one entry 1, the others 0)", discrete=True
)


def _counts_summing_to(total: Any) -> constraints.Constraint:
    """Vectors of non-negative integers summing to ``total`` (a multinomial's support)."""

    def test(x: np.ndarray) -> np.ndarray:
        entries = (x >= 0) & np.isfinite(x) & (np.floor(x) == x)
        ok = entries.all(-1) & (x.sum(-1) == np.asarray(total))
        return np.broadcast_to(ok[..., None], ok.shape + x.shape[-1:])

    return constraints.Constraint(
        "multinomial", 1, test,
        f"a vector of integers >= 0 summing to total_count ({constraints._short(total)})",
        discrete=True, params=(total,),
    )


def _is_count_vector(x: Array, total: Array) -> Array:
    """Every entry a count and the entries summing to ``total`` (one bool per event)."""
    entries = fnp.all(_is_count(x), axis=-1)
    return fnp.logical_and(entries, fnp.sum(fnp.where(_is_count(x), x, 0.0), axis=-1) == total)


def _masked_event(x: Array, inside: Array, value: Array) -> Array:
    """``_masked`` for vector events: nan if any entry of the event is nan."""
    return fnp.where(inside, value, fnp.where(fnp.any(fnp.isnan(x), axis=-1), _NAN, -_INF))


def _multinomial_draw(key: Any, total: Array, probs: Array, shape: tuple) -> Array:
    """Multinomial counts of shape ``shape + (K,)`` by conditional binomials: the k-th count is
    ``Binomial(n - (counts so far), p_k / (p_k + ... + p_K))`` (each by the inverse cdf)."""
    k_count = int(fnp.shape(probs)[-1])
    p = fnp.stop_gradient(fnp.broadcast_to(probs, shape + (k_count,)))
    left = fnp.broadcast_to(fnp.stop_gradient(total), shape)
    out = []
    if k_count > 1:
        u = frandom.uniform(key, (k_count - 1,) + shape)
    for k in range(k_count - 1):
        rest = fnp.sum(p[..., k:], axis=-1)
        ratio = fnp.clip(p[..., k] / fnp.where(rest > 0.0, rest, 1.0), 0.0, 1.0)
        draw = fstats.binom.ppf(u[k], left, fnp.where(rest > 0.0, ratio, 0.0))
        out.append(draw)
        left = left - draw
    out.append(left)
    return _as_int(fnp.stack(out, axis=-1))


class OneHotCategorical(_ProbsLogits, _DiscreteDistribution):
    """The categorical distribution with one-hot values: ``x`` is ``e_k`` with probability
    ``p_k``.

    Parameters
    ----------
    logits : array_like, optional
        Shape ``batch_shape + (K,)``: unnormalized log-probabilities. Exactly one of
        ``logits`` and ``probs``.
    probs : array_like, optional
        Shape ``batch_shape + (K,)``: probabilities (normalized over the last axis).
    validate_args : bool, default False
        Check ``probs`` a simplex; values one-hot vectors.

    Notes
    -----
    ``event_shape = (K,)``: ``log_prob`` of ``x`` with shape ``sample_shape + batch_shape +
    (K,)`` has shape ``sample_shape + batch_shape``; samples are int64 one-hot vectors. Mean
    ``p``, variance ``p (1 - p)``, covariance ``diag(p) - p p^T``, mode the one-hot vector of
    the first most probable category, entropy ``-sum p log p``.
    """

    parameter_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    parameter_event_ndims = {"probs": 1, "logits": 1}
    support = _one_hot
    _kind = "simplex"

    def __init__(
        self, logits: Any = None, probs: Any = None, *, validate_args: bool = False
    ) -> None:
        _exactly_one("OneHotCategorical", {"logits": logits, "probs": probs})
        super().__init__(dict(logits=logits, probs=probs), validate_args=validate_args)

    def _event_shape(self) -> tuple:
        p = self.logits if self.logits is not None else self.probs
        return (int(fnp.shape(p)[-1]),)

    def _log_prob(self, x: Array) -> Array:
        inside = fnp.logical_and(
            fnp.all(fnp.logical_or(x == 0.0, x == 1.0), axis=-1), fnp.sum(x, axis=-1) == 1.0
        )
        logp = self._log_probs_vector()
        return _masked_event(x, inside, fnp.sum(fnp.where(x == 1.0, logp, 0.0), axis=-1))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        logits = self.logits if self.logits is not None else fnp.log(self.probs)
        idx = frandom.categorical(key, logits, shape=shape)
        k = self.event_shape[0]
        return _as_int(fnp.expand_dims(idx, -1) == fnp.arange(k))

    def _mean(self) -> Array:
        return self.probs_parameter()

    def _variance(self) -> Array:
        p = self.probs_parameter()
        return p * (1.0 - p)

    def _covariance(self) -> Array:
        # diag(p) - p p^T
        p = self.probs_parameter()
        eye = fnp.eye(self.event_shape[0])
        return eye * fnp.expand_dims(p, -1) - fnp.expand_dims(p, -1) * fnp.expand_dims(p, -2)

    def _mode(self) -> Array:
        idx = fnp.argmax(self._log_probs_vector(), axis=-1)
        return fnp.where(fnp.expand_dims(idx, -1) == fnp.arange(self.event_shape[0]), 1.0, 0.0)

    def _entropy(self) -> Array:
        logp = self._log_probs_vector()
        return -fnp.sum(_xlogy_where(fnp.exp(logp), logp), axis=-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Array:
    # KL = sum_k p_k (log p_k - log q_k)
    lp, lq = p._log_probs_vector(), q._log_probs_vector()
    return fnp.sum(_xlogy_where(fnp.exp(lp), lp - lq), axis=-1)


class Multinomial(_ProbsLogits, _DiscreteDistribution):
    """The multinomial distribution: category counts of ``total_count`` independent draws.

    ``P(x) = n! / prod_k x_k! prod_k p_k^x_k`` for count vectors ``x`` summing to ``n``.

    Parameters
    ----------
    total_count : array_like
        ``n``, an integer ``>= 0``; shape broadcasting against ``batch_shape``.
    logits : array_like, optional
        Shape ``batch_shape + (K,)``. Exactly one of ``logits`` and ``probs``.
    probs : array_like, optional
        Shape ``batch_shape + (K,)``, normalized over the last axis.
    validate_args : bool, default False
        Check ``total_count`` a non-negative integer and ``probs`` a simplex; values count
        vectors summing to ``total_count``.

    Notes
    -----
    ``event_shape = (K,)``. Matches ``scipy.stats.multinomial(n, p)``'s logpmf. Mean ``n p``,
    variance ``n p (1 - p)``, covariance ``n (diag(p) - p p^T)``. Samples (int64) by
    conditional binomials (``K - 1`` inverse-cdf draws). ``mode`` and ``entropy`` are not
    implemented (no closed form). log_prob is differentiable in ``probs``/``logits`` and in
    ``total_count`` (through ``gammaln``).
    """

    parameter_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.simplex,
        "logits": constraints.real_vector,
    }
    parameter_event_ndims = {"probs": 1, "logits": 1}
    _kind = "simplex"

    def __init__(
        self,
        total_count: Any,
        logits: Any = None,
        probs: Any = None,
        *,
        validate_args: bool = False,
    ) -> None:
        _exactly_one("Multinomial", {"logits": logits, "probs": probs})
        super().__init__(
            dict(total_count=total_count, logits=logits, probs=probs),
            validate_args=validate_args,
        )

    @property
    def support(self) -> constraints.Constraint:
        """constraints.Constraint : Count vectors summing to ``total_count``."""
        return _counts_summing_to(self.total_count)

    def _event_shape(self) -> tuple:
        p = self.logits if self.logits is not None else self.probs
        return (int(fnp.shape(p)[-1]),)

    def _log_prob(self, x: Array) -> Array:
        n = self.total_count
        inside = _is_count_vector(x, n)
        xs = fnp.where(fnp.expand_dims(inside, -1), x, 0.0)
        logp = self._log_probs_vector()
        # log n! - sum_k log x_k! + sum_k x_k log p_k  (0 log 0 = 0)
        terms = fnp.sum(fnp.where(xs > 0.0, xs * logp, 0.0) - fsp.gammaln(xs + 1.0), axis=-1)
        return _masked_event(x, inside, fsp.gammaln(n + 1.0) + terms)

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        return _multinomial_draw(key, self.total_count, self.probs_parameter(), shape)

    def _mean(self) -> Array:
        return fnp.expand_dims(self.total_count, -1) * self.probs_parameter()

    def _variance(self) -> Array:
        p = self.probs_parameter()
        return fnp.expand_dims(self.total_count, -1) * p * (1.0 - p)

    def _covariance(self) -> Array:
        # n (diag(p) - p p^T)
        p = self.probs_parameter()
        eye = fnp.eye(self.event_shape[0])
        outer = eye * fnp.expand_dims(p, -1) - fnp.expand_dims(p, -1) * fnp.expand_dims(p, -2)
        return fnp.expand_dims(fnp.expand_dims(self.total_count, -1), -1) * outer


class DirichletMultinomial(_DiscreteDistribution):
    """The Dirichlet-multinomial distribution: a multinomial whose probabilities are
    Dirichlet-distributed.

    ``P(x) = n! Gamma(a0) / Gamma(n + a0) prod_k Gamma(x_k + a_k) / (x_k! Gamma(a_k))``,
    ``a0 = sum_k a_k``, for count vectors ``x`` summing to ``n``.

    Parameters
    ----------
    total_count : array_like
        ``n``, an integer ``>= 0``.
    concentration : array_like
        Shape ``batch_shape + (K,)``, entries ``> 0``.
    validate_args : bool, default False
        Check the parameters' domains; values count vectors summing to ``total_count``.

    Notes
    -----
    ``event_shape = (K,)``. Matches ``scipy.stats.dirichlet_multinomial(a, n)``'s logpmf.
    With ``p = a / a0``: mean ``n p``, covariance
    ``n (n + a0) / (1 + a0) (diag(p) - p p^T)``. Samples (int64): ``p ~ Dirichlet(a)``, then a
    multinomial. ``mode`` and ``entropy`` are not implemented.
    """

    parameter_constraints = {
        "total_count": constraints.nonnegative_integer,
        "concentration": constraints.positive_vector,
    }
    parameter_event_ndims = {"concentration": 1}

    def __init__(
        self, total_count: Any, concentration: Any, *, validate_args: bool = False
    ) -> None:
        super().__init__(dict(total_count=total_count, concentration=concentration),
                         validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        """constraints.Constraint : Count vectors summing to ``total_count``."""
        return _counts_summing_to(self.total_count)

    def _event_shape(self) -> tuple:
        return (int(fnp.shape(self.concentration)[-1]),)

    def _log_prob(self, x: Array) -> Array:
        n, a = self.total_count, self.concentration
        inside = _is_count_vector(x, n)
        xs = fnp.where(fnp.expand_dims(inside, -1), x, 0.0)
        a0 = fnp.sum(a, axis=-1)
        # log n! + log Gamma(a0) - log Gamma(n + a0)
        #   + sum_k [log Gamma(x_k + a_k) - log Gamma(a_k) - log x_k!]
        terms = fnp.sum(fsp.gammaln(xs + a) - fsp.gammaln(a) - fsp.gammaln(xs + 1.0), axis=-1)
        value = fsp.gammaln(n + 1.0) + fsp.gammaln(a0) - fsp.gammaln(n + a0) + terms
        return _masked_event(x, inside, value)

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        k_dir, k_mult = frandom.split(key)
        p = frandom.dirichlet(k_dir, self.concentration, shape)
        return _multinomial_draw(k_mult, self.total_count, p, shape)

    def _p(self) -> Array:
        a = self.concentration
        return a / fnp.sum(a, axis=-1, keepdims=True)

    def _spread(self) -> Array:
        # n (n + a0) / (1 + a0), shape batch + (1,)
        n = fnp.expand_dims(self.total_count, -1)
        a0 = fnp.sum(self.concentration, axis=-1, keepdims=True)
        return n * (n + a0) / (1.0 + a0)

    def _mean(self) -> Array:
        return fnp.expand_dims(self.total_count, -1) * self._p()

    def _variance(self) -> Array:
        p = self._p()
        return self._spread() * p * (1.0 - p)

    def _covariance(self) -> Array:
        p = self._p()
        eye = fnp.eye(self.event_shape[0])
        outer = eye * fnp.expand_dims(p, -1) - fnp.expand_dims(p, -1) * fnp.expand_dims(p, -2)
        return fnp.expand_dims(self._spread(), -1) * outer


# --------------------------------------------------------------------------------------------
# Ordered logistic
# --------------------------------------------------------------------------------------------


class OrderedLogistic(_DiscreteDistribution):
    """The ordered logistic distribution (TFP's): the bin of a latent logistic draw.

    With ``K`` non-decreasing ``cutpoints`` ``c`` and ``loc``, a latent
    ``z ~ Logistic(loc, 1)`` falls into category ``k`` when ``c_{k-1} < z <= c_k``
    (``c_{-1} = -inf``, ``c_K = inf``): ``P(X = k) = expit(loc - c_{k-1}) - expit(loc - c_k)``,
    ``k = 0, ..., K``.

    Parameters
    ----------
    cutpoints : array_like
        Shape ``(..., K)``, non-decreasing along the last axis.
    loc : array_like
        Any real. ``batch_shape = broadcast(cutpoints.shape[:-1], loc.shape)``.
    validate_args : bool, default False
        Check non-decreasing cutpoints; values integers in ``[0, K]``.

    Notes
    -----
    ``event_shape = ()``; samples are int64 (the count of cutpoints below a logistic draw).
    The log-mass is ``log_expit(a) + log_expit(-b) + log(-expm1(b - a))`` with
    ``a = loc - c_{k-1}``, ``b = loc - c_k`` (no cancellation in the difference of sigmoids);
    ``cdf(k) = expit(c_k - loc)``, ``log_cdf = log_expit(c_k - loc)``. Mean, variance, mode
    (the first most probable category) and entropy from the category probabilities
    (:meth:`categorical_probs`).
    """

    parameter_constraints = {"cutpoints": constraints.Constraint(
        "nondecreasing", 1,
        lambda x: np.broadcast_to((np.diff(x, axis=-1) >= 0).all(-1)[..., None], x.shape),
        "a non-decreasing vector"), "loc": constraints.real}
    parameter_event_ndims = {"cutpoints": 1}

    def __init__(self, cutpoints: Any, loc: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(cutpoints=cutpoints, loc=loc), validate_args=validate_args)

    @property
    def num_categories(self) -> int:
        """int : ``K + 1``."""
        return int(fnp.shape(self.cutpoints)[-1]) + 1

    @property
    def support(self) -> constraints.Constraint:
        """constraints.Constraint : The integers ``0, ..., K``."""
        return constraints.integer_interval(0, self.num_categories - 1)

    def categorical_log_probs(self) -> Array:
        """``log P(X = k)`` for every ``k``, shape ``batch_shape + (K + 1,)``."""
        c = self.cutpoints
        pad = fnp.full(tuple(fnp.shape(c))[:-1] + (1,), _INF)
        lower = fnp.concatenate([-pad, c], axis=-1)
        upper = fnp.concatenate([c, pad], axis=-1)
        loc = fnp.expand_dims(self.loc, -1)
        a, b = loc - lower, loc - upper
        # expit(a) - expit(b) = expit(a) expit(-b) (1 - e^(b - a))
        return fsp.log_expit(a) + fsp.log_expit(-b) + fnp.log(-fnp.expm1(b - a))

    def categorical_probs(self) -> Array:
        """``P(X = k)`` for every ``k``, shape ``batch_shape + (K + 1,)``."""
        return fnp.exp(self.categorical_log_probs())

    def _log_prob(self, x: Array) -> Array:
        inside = fnp.logical_and(_is_count(x), x <= self.num_categories - 1)
        return _masked(x, inside, _select_last(self.categorical_log_probs(), _safe(inside, x)))

    def _tail_arg(self, x: Array) -> tuple[Array, Array, Array]:
        """``(c_k - loc, below, top)`` at ``k = floor(x)``: ``below`` where ``x < 0``, ``top``
        where ``k >= K`` (the cdf is 0 and 1 there)."""
        k = fnp.floor(x)
        top = k >= self.num_categories - 1
        below = x < 0.0
        c = self.cutpoints
        diff = _select_last(c - fnp.expand_dims(self.loc, -1), fnp.where(top | below, 0.0, k))
        return diff, below, top

    def _cdf(self, x: Array) -> Array:
        d, below, top = self._tail_arg(x)
        return fnp.where(below, 0.0, fnp.where(top, 1.0, fsp.expit(d)))

    def _log_cdf(self, x: Array) -> Array:
        d, below, top = self._tail_arg(x)
        return fnp.where(below, -_INF, fnp.where(top, 0.0, fsp.log_expit(d)))

    def _survival_function(self, x: Array) -> Array:
        d, below, top = self._tail_arg(x)
        return fnp.where(below, 1.0, fnp.where(top, 0.0, fsp.expit(-d)))

    def _log_survival_function(self, x: Array) -> Array:
        d, below, top = self._tail_arg(x)
        return fnp.where(below, 0.0, fnp.where(top, -_INF, fsp.log_expit(-d)))

    def _quantile(self, q: Array) -> Array:
        # the smallest k with expit(c_k - loc) >= q: the number of cutpoints whose cdf is below q
        cdf = fsp.expit(self.cutpoints - fnp.expand_dims(self.loc, -1))
        count = fnp.sum(fnp.where(cdf < fnp.expand_dims(q, -1), 1.0, 0.0), axis=-1)
        # q = 0 gives -1, one below the support, as SciPy's discrete ppf
        return fnp.where(fnp.isnan(q), _NAN, fnp.where(q == 0.0, -1.0, count))

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        z = frandom.logistic(key, shape, loc=fnp.stop_gradient(self.loc))
        below = fnp.expand_dims(z, -1) > fnp.stop_gradient(self.cutpoints)
        return _as_int(fnp.sum(below, axis=-1))

    def _mean(self) -> Array:
        j = fnp.arange(self.num_categories, dtype=np.float64)
        return fnp.sum(self.categorical_probs() * j, axis=-1)

    def _variance(self) -> Array:
        j = fnp.arange(self.num_categories, dtype=np.float64)
        p = self.categorical_probs()
        m = fnp.sum(p * j, axis=-1, keepdims=True)
        return fnp.sum(p * (j - m) ** 2, axis=-1)

    def _mode(self) -> Array:
        return fnp.astype(fnp.argmax(self.categorical_log_probs(), axis=-1), np.float64)

    def _entropy(self) -> Array:
        logp = self.categorical_log_probs()
        return -fnp.sum(_xlogy_where(fnp.exp(logp), logp), axis=-1)


# --------------------------------------------------------------------------------------------
# Skellam
# --------------------------------------------------------------------------------------------

# the cdf and entropy sum the pmf over [mean - _TAIL_SD sd - _TAIL_PAD, mean + _TAIL_SD sd +
# _TAIL_PAD]: beyond, the mass is far below 1e-300 (the tails fall faster than a Poisson's
# with the larger rate)
_TAIL_SD = 40.0
_TAIL_PAD = 40.0


class _skellam_gen(_Discrete):
    """``scipy.stats.skellam`` on fluxion arrays (fluxion.scipy.stats has none): the pmf through
    the exponentially scaled Bessel function, the cdf and entropy by sums over a window that
    holds all but ~1e-300 of the mass (concrete parameters), the quantile by the shared
    discrete search."""

    name = "skellam"
    shapes = ("mu1", "mu2")
    a = -_INF
    b = _INF

    def _logpmf(self, k: Any, mu1: Any, mu2: Any) -> Any:
        # -(mu1 + mu2) + k/2 log(mu1 / mu2) + log I_|k|(2 sqrt(mu1 mu2)), with
        # log I_v(z) = log ive(v, z) + z
        z = 2.0 * fnp.sqrt(mu1 * mu2)
        return (z - mu1 - mu2 + 0.5 * k * (fnp.log(mu1) - fnp.log(mu2))
                + fnp.log(_fsp_more.ive(fnp.abs(k), z)))

    def _stats(self, mu1: Any, mu2: Any) -> tuple[Any, Any]:
        return mu1 - mu2, mu1 + mu2

    def _ends(self, mu1: Any, mu2: Any) -> tuple[Any, Any]:
        m, v = self._stats(mu1, mu2)
        sd = fnp.sqrt(v)
        return (fnp.floor(m - _TAIL_SD * sd - _TAIL_PAD),
                fnp.ceil(m + _TAIL_SD * sd + _TAIL_PAD))

    def _table(self, where: str, mu1: Any, mu2: Any) -> tuple[float, int, Any]:
        """The pmf over one grid of integers ``start, ..., start + count - 1`` that covers every
        batch member's window, shape ``batch + (count,)`` (0 outside a member's window)."""
        lo, hi = self._ends(mu1, mu2)
        lo_c, hi_c = _need_concrete(where, "the rates", lo, hi)
        lo_c, hi_c = np.broadcast_arrays(np.asarray(lo_c, float), np.asarray(hi_c, float))
        start = float(np.min(lo_c, initial=0.0))
        count = int(float(np.max(hi_c, initial=start)) - start) + 1
        j = start + np.arange(count, dtype=np.float64)
        inside = (j >= lo_c[..., None]) & (j <= hi_c[..., None])
        js = np.where(inside, j, lo_c[..., None])
        lp = self._logpmf(js, fnp.expand_dims(mu1, -1), fnp.expand_dims(mu2, -1))
        return start, count, fnp.where(inside, fnp.exp(lp), 0.0)

    @staticmethod
    def _lookup(table: Any, k: Any, start: float, count: int) -> Any:
        """``table[..., k - start]`` for points ``k`` broadcasting against the table's batch
        (a flat gather: no copy of the table per point); indices clipped to the grid."""
        batch = tuple(fnp.shape(table))[:-1]
        full = np.broadcast_shapes(tuple(fnp.shape(k)), batch)
        member = np.broadcast_to(np.arange(int(np.prod(batch))).reshape(batch), full)
        j = fnp.astype(fnp.clip(k - start, 0.0, count - 1.0), np.int64)
        return fnp.take(fnp.reshape(table, (-1,)), member * count + j)

    def _cdf(self, k: Any, mu1: Any, mu2: Any) -> Any:
        # P(X <= k): the cumulated pmf table (0 below the window; 1 above it)
        start, count, pm = self._table("skellam.cdf", mu1, mu2)
        below = self._lookup(fnp.cumsum(pm, axis=-1), k, start, count)
        return fnp.where(k < start, 0.0, fnp.where(k >= start + count - 1, 1.0, below))

    def _sf(self, k: Any, mu1: Any, mu2: Any) -> Any:
        # P(X > k) = S(k + 1) with S(j) = sum_{i >= j} pmf(i), cumulated from the top (so the
        # upper tail keeps its digits)
        start, count, pm = self._table("skellam.sf", mu1, mu2)
        upper = fnp.flip(fnp.cumsum(fnp.flip(pm, axis=-1), axis=-1), axis=-1)
        above = self._lookup(upper, k + 1.0, start, count)
        return fnp.where(k < start, 1.0, fnp.where(k >= start + count - 1, 0.0, above))

    def _entropy(self, mu1: Any, mu2: Any) -> Any:
        _, _, pm = self._table("skellam.entropy", mu1, mu2)
        return -fnp.sum(_xlogy_where(pm, fnp.log(fnp.where(pm > 0.0, pm, 1.0))), axis=-1)



_skellam = _skellam_gen()


class Skellam(_DiscreteDistribution, ScipyBacked):
    """The Skellam distribution: the difference of two independent Poisson counts.

    ``X = N1 - N2`` with ``N1 ~ Poisson(rate1)``, ``N2 ~ Poisson(rate2)``:
    ``P(X = k) = e^-(r1 + r2) (r1 / r2)^(k/2) I_|k|(2 sqrt(r1 r2))``, ``k`` any integer.

    Parameters
    ----------
    rate1, rate2 : array_like
        The Poisson means, ``> 0``. ``batch_shape`` is their broadcast.
    validate_args : bool, default False
        Check positive rates; values integers.

    Notes
    -----
    Matches ``scipy.stats.skellam(rate1, rate2)``. log_prob goes through the exponentially
    scaled Bessel function ``ive`` (finite for large rates) and is differentiable in both
    rates; the cdf, survival function, quantile and entropy sum the pmf over
    ``mean +- (40 sd + 40)`` (concrete parameters: not under ``jit``). Mean ``r1 - r2``,
    variance ``r1 + r2``. Samples (int64): the difference of two Poisson draws. ``mode`` is
    not implemented. (TFP's ``log_rate1``/``log_rate2`` alternatives are not offered.)
    """

    parameter_constraints = {"rate1": constraints.positive, "rate2": constraints.positive}
    support = _integer
    scipy_dist = _skellam

    def __init__(self, rate1: Any, rate2: Any, *, validate_args: bool = False) -> None:
        super().__init__(dict(rate1=rate1, rate2=rate2), validate_args=validate_args)

    def _scipy_args(self) -> tuple[tuple, dict]:
        return (self.rate1, self.rate2), {}

    def _sample(self, sample_shape: tuple, key: Any) -> Array:
        shape = sample_shape + self.batch_shape
        k1, k2 = frandom.split(key)
        return _as_int(frandom.poisson(k1, self.rate1, shape) - frandom.poisson(k2, self.rate2,
                                                                                 shape))
