"""Bayesian dense layers: a mean-field Gaussian posterior over the kernel, trained by the ELBO.

Each layer's kernel has the variational posterior ``q(W) = prod_ij N(W_ij | mu_ij, s_ij^2)``
with ``s = softplus(rho)`` (so ``rho`` is unconstrained) and the prior
``p(W) = prod_ij N(W_ij | 0, prior_scale^2)``; the bias is a point estimate (TFP's default for
its ``Dense*`` layers). The three layers differ only in how ``apply`` draws a Monte Carlo sample
of the pre-activations ``x W + b``:

- :class:`DenseReparameterization`: one kernel ``W = mu + s * eps`` for the whole batch
  (Blundell et al. 2015, "Weight uncertainty in neural networks").
- :class:`DenseLocalReparameterization`: the pre-activations directly,
  ``N(x mu, x^2 s^2)`` independently per example (Kingma, Salimans and Welling 2015,
  "Variational dropout and the local reparameterization trick").
- :class:`DenseFlipout`: one shared perturbation ``dW = s * eps`` decorrelated across examples by
  random signs, ``x mu + ((x * r_n) dW) * c_n`` with ``r_n, c_n`` uniform on ``{-1, +1}``
  (Wen et al. 2018, "Flipout: efficient pseudo-independent weight perturbations on
  mini-batches").

All three give each example the same marginal distribution (mean ``x mu + b``, variance
``x^2 s^2``); local reparameterization and Flipout make the examples of a batch (nearly)
independent, which lowers the variance of the gradient. ``kl(params)`` is the closed-form
``KL(q || p)``; the negative ELBO to minimise is ``-sum_n E_q[log p(y_n | x_n, W)] + KL``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, ClassVar

from .. import random as frandom
from ..numpy import core as fnp
from .activations import get_activation, softplus
from .initializers import glorot_uniform, zeros
from .layers import _in_features, _Layer, _positive_int

__all__ = [
    "DenseFlipout",
    "DenseLocalReparameterization",
    "DenseReparameterization",
    "gaussian_kl",
]

Array = Any

_GLOROT_UNIFORM = glorot_uniform()
# keeps sqrt of the local-reparameterization variance differentiable where an input row is all
# zeros (variance exactly 0); negligible next to any variance that matters
_VAR_FLOOR = 1e-30


def gaussian_kl(loc: Array, scale: Array, prior_scale: float = 1.0) -> Array:
    """``sum KL(N(loc, scale^2) || N(0, prior_scale^2))`` over all entries, in closed form.

    Per entry: ``log(p / s) + (s^2 + mu^2) / (2 p^2) - 1/2`` (the KL between two univariate
    normals; e.g. Kingma and Welling 2014, "Auto-encoding variational Bayes", appendix B, with
    a prior variance ``p^2`` in place of 1).

    Parameters
    ----------
    loc, scale : array_like, broadcastable
        ``mu`` and ``s > 0``.
    prior_scale : float, default 1.0
        ``p > 0``.

    Returns
    -------
    Array, shape ``()``
    """
    if not isinstance(prior_scale, int | float) or isinstance(prior_scale, bool):
        raise TypeError(f"gaussian_kl: expected prior_scale a positive float, got {prior_scale!r}")
    if not prior_scale > 0:
        raise ValueError(f"gaussian_kl: expected prior_scale > 0, got {prior_scale!r}")
    loc, scale = fnp.asarray(loc), fnp.asarray(scale)
    var_ratio = (scale / prior_scale) ** 2
    per = 0.5 * (var_ratio + (loc / prior_scale) ** 2 - 1.0) - fnp.log(scale / prior_scale)
    return fnp.sum(per)


def _positive_float(who: str, arg: str, v: Any) -> float:
    if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
        raise ValueError(f"{who}: expected {arg} a positive finite float, got {v!r}")
    return float(v)


@dataclasses.dataclass(frozen=True)
class _BayesianDense(_Layer):
    features: int
    activation: Any = None
    use_bias: bool = True
    prior_scale: float = 1.0
    init_scale: float = 1e-2
    kernel_init: Callable[..., Any] = _GLOROT_UNIFORM
    bias_init: Callable[..., Any] = zeros
    stochastic: ClassVar[bool] = True

    def __post_init__(self) -> None:
        who = type(self).__name__
        _positive_int(who, "features", self.features)
        _positive_float(who, "prior_scale", self.prior_scale)
        _positive_float(who, "init_scale", self.init_scale)
        get_activation(self.activation)

    def out_features(self, in_features: Any = None) -> int:
        """int : the output width ``features``."""
        return self.features

    def init(self, key: Any, in_features: int) -> dict[str, Array]:
        """Parameters for inputs of width ``in_features``.

        Returns
        -------
        dict
            ``"kernel_loc"`` ``(in_features, features)`` (from ``kernel_init``),
            ``"kernel_rho"`` of the same shape, every entry ``softplus^{-1}(init_scale)``, and
            ``"bias"`` ``(features,)`` when ``use_bias``.
        """
        who = f"{type(self).__name__}.init"
        in_features = _positive_int(who, "in_features", in_features)
        k1, k2 = frandom.split(key)
        shape = (in_features, self.features)
        # softplus^{-1}(s) = log(expm1(s)): the posterior starts with scale init_scale everywhere
        rho0 = math.log(math.expm1(self.init_scale))
        params = {
            "kernel_loc": self.kernel_init(k1, shape),
            "kernel_rho": fnp.full(shape, rho0),
        }
        if self.use_bias:
            params["bias"] = self.bias_init(k2, (self.features,))
        return params

    def kernel_scale(self, params: dict[str, Array]) -> Array:
        """The posterior standard deviations ``softplus(kernel_rho)``, shape
        ``(in_features, features)``."""
        return softplus(params["kernel_rho"])

    def kl(self, params: dict[str, Array]) -> Array:
        """``KL(q(W) || p(W))`` in closed form (see :func:`gaussian_kl`), shape ``()``."""
        return gaussian_kl(params["kernel_loc"], self.kernel_scale(params), self.prior_scale)

    def apply(
        self,
        params: dict[str, Array],
        x: Array,
        key: Any = None,
        *,
        deterministic: bool = False,
    ) -> Array:
        """One Monte Carlo draw of ``activation(x W + b)``, ``W ~ q``.

        Parameters
        ----------
        params : dict
            From :meth:`init`.
        x : array_like, shape ``batch + (in_features,)``
        key : array, uint32, shape ``(2,)``
            Required unless ``deterministic``.
        deterministic : bool, default False
            True uses the posterior mean kernel (no sampling).

        Returns
        -------
        Array, shape ``batch + (features,)``
        """
        who = f"{type(self).__name__}.apply"
        x = fnp.asarray(x)
        loc = params["kernel_loc"]
        _in_features(who, x, fnp.shape(loc)[0])
        mean = fnp.matmul(x, loc)
        if not deterministic:
            if key is None:
                raise ValueError(
                    f"{who}: expected a PRNG key to sample the weights, got None; pass "
                    "key=fluxion.random.key(...), or deterministic=True for the mean network"
                )
            mean = mean + self._noise(x, self.kernel_scale(params), key)
        if self.use_bias:
            mean = mean + params["bias"]
        return get_activation(self.activation)(mean)

    def _noise(self, x: Array, scale: Array, key: Any) -> Array:  # pragma: no cover
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class DenseReparameterization(_BayesianDense):
    """A dense layer with a mean-field Gaussian kernel, sampled once per call (Blundell et al.
    2015, "Bayes by backprop"): ``W = mu + softplus(rho) * eps``, ``eps ~ N(0, I)``, shared by
    every example of the batch.

    Parameters
    ----------
    features : int
        Output width.
    activation : str or callable, optional
    use_bias : bool, default True
        A point-estimate bias (no prior, no KL).
    prior_scale : float, default 1.0
        The prior ``N(0, prior_scale^2)`` on every kernel entry.
    init_scale : float, default 0.01
        The posterior scale every kernel entry starts with.
    kernel_init, bias_init : callable
        For the posterior means (Glorot-uniform) and the bias (zeros).

    Notes
    -----
    ``init(key, in_features)`` returns ``{"kernel_loc", "kernel_rho": (in_features, features),
    "bias": (features,)}``; ``apply(params, x, key)`` maps ``batch + (in_features,)`` to
    ``batch + (features,)``; ``kl(params)`` is the closed-form KL to the prior.
    """

    def _noise(self, x: Array, scale: Array, key: Any) -> Array:
        eps = frandom.normal(key, fnp.shape(scale))
        return fnp.matmul(x, scale * eps)


@dataclasses.dataclass(frozen=True)
class DenseLocalReparameterization(_BayesianDense):
    """A mean-field Gaussian dense layer that samples its pre-activations (Kingma, Salimans and
    Welling 2015): ``x W ~ N(x mu, x^2 s^2)`` exactly for ``W ~ q``, drawn independently for each
    example, so the examples of a batch carry independent noise.

    Parameters and shapes as :class:`DenseReparameterization`.

    Notes
    -----
    Each output is exactly distributed as under a kernel sampled for that example alone, but
    outputs of the same example are drawn independently (they would be correlated through a
    shared kernel): exact for one layer's marginals, which is what the gradient estimator uses.
    """

    def _noise(self, x: Array, scale: Array, key: Any) -> Array:
        var = fnp.matmul(x * x, scale * scale)
        eps = frandom.normal(key, fnp.shape(var))
        return fnp.sqrt(var + _VAR_FLOOR) * eps


@dataclasses.dataclass(frozen=True)
class DenseFlipout(_BayesianDense):
    """A mean-field Gaussian dense layer with Flipout (Wen et al. 2018).

    One perturbation ``dW = softplus(rho) * eps`` is drawn per call and flipped per example by
    random signs ``r_n`` (inputs) and ``c_n`` (outputs), uniform on ``{-1, +1}``:
    ``y_n = x_n mu + ((x_n * r_n) dW) * c_n + b``. ``dW`` is symmetric, so each example's kernel
    ``mu + (r_n c_n^T) * dW`` has exactly the distribution ``q``, while the examples' noises are
    uncorrelated: the gradient variance drops nearly as with independent kernels, at the cost of
    two matrix products.

    Parameters and shapes as :class:`DenseReparameterization`.
    """

    def _noise(self, x: Array, scale: Array, key: Any) -> Array:
        k_eps, k_in, k_out = frandom.split(key, 3)
        eps = frandom.normal(k_eps, fnp.shape(scale))
        batch = fnp.shape(x)[:-1]
        # random signs: 2 * Bernoulli(1/2) - 1
        r = 2.0 * fnp.astype(frandom.bernoulli(k_in, 0.5, fnp.shape(x)), float) - 1.0
        c = 2.0 * fnp.astype(frandom.bernoulli(k_out, 0.5, batch + (self.features,)), float) - 1.0
        return fnp.matmul(x * r, scale * eps) * c
