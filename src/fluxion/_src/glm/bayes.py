"""A Bayesian GLM: the posterior of the coefficients as a model the samplers take directly.

:func:`bayesian_model` returns a :class:`BayesianGLM`, which implements the model protocol of
:func:`fluxion.mcmc.sample`, :func:`fluxion.optim.minimize` and :func:`fluxion.optim.laplace`
(``__fluxion_model__()`` returning a :class:`fluxion.distributions.ModelSpec`, as a conditioned
joint distribution does): the sampler needs no start values, and the pointwise log-likelihood it
records feeds ``arviz.loo``.

The log density is

    ``log p(b, phi | y) = log prior(b) + log prior(phi) + sum_i w_i log p(y_i | eta_i, phi)``,
    ``eta = X b + offset``,

with ``phi`` the family's dispersion parameter (``Normal.scale``, ``Gamma.concentration``, ...)
sampled only when a ``dispersion_prior`` is given, otherwise fixed at the family's value.

Layering: ``glm`` sits below ``optim`` and ``mcmc``; this module imports only
``distributions`` (for ``ModelSpec`` and the priors) and ``numpy``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import distributions as fd
from ..numpy import core as fnp
from .families import Family
from .fit import _validate, fit

__all__ = ["BayesianGLM", "bayesian_model"]

_WHO = "glm.bayesian_model"


def _check_prior(prior: Any, p: int) -> None:
    if not isinstance(prior, fd.Distribution):
        raise TypeError(
            f"{_WHO}: expected prior to be a fluxion distribution over the coefficients (e.g. "
            f"fluxion.distributions.Normal(0.0, 10.0)), got {type(prior).__name__}"
        )
    batch, event = tuple(prior.batch_shape), tuple(prior.event_shape)
    if not (event == (p,) and batch == ()) and not (event == () and batch in ((), (p,))):
        raise ValueError(
            f"{_WHO}: expected a prior of batch shape () or ({p},) with event shape (), or "
            f"event shape ({p},) (one per coefficient), got batch shape {batch} and event shape "
            f"{event}"
        )


def _check_dispersion_prior(prior: Any, model: Family) -> None:
    if model.dispersion_parameter is None:
        raise ValueError(
            f"{_WHO}: {model!r} has no free dispersion parameter to put a dispersion_prior on "
            f"(only Normal, Gamma and InverseGaussian do); drop dispersion_prior"
        )
    if not isinstance(prior, fd.Distribution):
        raise TypeError(
            f"{_WHO}: expected dispersion_prior to be a fluxion distribution over "
            f"{type(model).__name__}.{model.dispersion_parameter} (e.g. "
            f"fluxion.distributions.HalfNormal(2.0)), got {type(prior).__name__}"
        )
    if tuple(prior.batch_shape) != () or tuple(prior.event_shape) != ():
        raise ValueError(
            f"{_WHO}: expected a scalar dispersion_prior (batch and event shape ()), got batch "
            f"shape {tuple(prior.batch_shape)} and event shape {tuple(prior.event_shape)}"
        )
    if np.ndim(getattr(model, model.dispersion_parameter)) != 0:
        raise ValueError(
            f"{_WHO}: {type(model).__name__}.{model.dispersion_parameter} is an array; a "
            f"dispersion_prior needs a family with one scalar {model.dispersion_parameter}"
        )


class BayesianGLM:
    """The posterior of a GLM's coefficients (and optionally its dispersion parameter).

    Made by :func:`bayesian_model`; take it directly to ``fluxion.mcmc.sample(model)``,
    ``fluxion.optim.laplace(model)`` or ``fluxion.optim.minimize(model)`` (the MAP).

    Attributes
    ----------
    model_matrix : ndarray, shape ``(n, p)``
    response : ndarray, shape ``(n,)``
    family : Family
    prior : Distribution or None
        None: the flat (improper) prior on the coefficients.
    dispersion_prior : Distribution or None
    offset, weights : ndarray, shape ``(n,)``
    names : list of str
        The parameters: ``"coefficients"`` (shape ``(p,)``) and, with a dispersion prior, the
        family's dispersion parameter (``"scale"`` or ``"concentration"``, shape ``()``).
    """

    def __init__(
        self,
        model_matrix: Any,
        response: Any,
        model: Family,
        prior: Any = None,
        dispersion_prior: Any = None,
        offset: Any = None,
        weights: Any = None,
    ) -> None:
        x, y, off, w = _validate(_WHO, model_matrix, response, model, offset, weights)
        p = x.shape[1]
        if prior is not None:
            _check_prior(prior, p)
        if dispersion_prior is not None:
            _check_dispersion_prior(dispersion_prior, model)
        self.model_matrix, self.response, self.offset, self.weights = x, y, off, w
        self.family = model
        self.prior = prior
        self.dispersion_prior = dispersion_prior
        self._unit_weights = bool(np.all(w == 1.0))
        self.names = ["coefficients"]
        if dispersion_prior is not None:
            self.names.append(model.dispersion_parameter)
        self._spec: fd.ModelSpec | None = None

    # --- the densities ----------------------------------------------------------------------

    def _family_at(self, params: Mapping[str, Any]) -> Family:
        if self.dispersion_prior is None:
            return self.family
        return self.family._with_parameter(params[self.family.dispersion_parameter])

    def _pointwise(self, params: Mapping[str, Any]) -> Any:
        eta = fnp.matmul(self.model_matrix, params["coefficients"]) + self.offset
        lp = self._family_at(params).log_prob(self.response, eta)
        # frequency weights: w_i copies of observation i
        return lp if self._unit_weights else self.weights * lp

    def log_likelihood(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The pointwise log-likelihood ``w_i log p(y_i | eta_i)``.

        Parameters
        ----------
        params : dict
            ``"coefficients"`` (shape ``(p,)``) and, with a dispersion prior, the family's
            dispersion parameter.

        Returns
        -------
        dict
            ``{"y": array of shape (n,)}``.
        """
        self._check_params(params)
        return {"y": self._pointwise(params)}

    def log_prob(self, params: Mapping[str, Any]) -> Any:
        """The unnormalised log posterior density.

        Parameters
        ----------
        params : dict
            As :meth:`log_likelihood`.

        Returns
        -------
        Array, shape ``()``
        """
        self._check_params(params)
        total = fnp.sum(self._pointwise(params))
        if self.prior is not None:
            total = total + fnp.sum(self.prior.log_prob(params["coefficients"]))
        if self.dispersion_prior is not None:
            name = self.family.dispersion_parameter
            total = total + self.dispersion_prior.log_prob(params[name])
        return total

    def _check_params(self, params: Mapping[str, Any]) -> None:
        missing = [n for n in self.names if n not in params]
        if missing:
            raise ValueError(
                f"{_WHO}: log_prob: missing values for {', '.join(map(repr, missing))}; the "
                f"parameters are {', '.join(map(repr, self.names))}"
            )

    # --- the model protocol -----------------------------------------------------------------

    def _start(self) -> tuple[dict, dict]:
        """Start values and bijectors: the IRLS estimate (and Pearson dispersion) where the
        prior allows it, else each prior's ``default_bijector`` image of zeros."""
        x, p = self.model_matrix, self.model_matrix.shape[1]
        init: dict[str, Any] = {}
        bijectors: dict[str, Any] = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mle = fit(x, self.response, self.family, offset=self.offset,
                          weights=self.weights, max_iterations=50)
            b0 = np.asarray(mle.coefficients, dtype=np.float64)
            phi = float(np.asarray(mle.dispersion))
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            b0, phi = np.zeros(p), np.nan
        if self.prior is None:
            bijectors["coefficients"] = fd.ImproperUniform(shape=(p,)).default_bijector
        else:
            bijectors["coefficients"] = self.prior.default_bijector
            inside = np.all(np.isfinite(b0)) and np.all(
                np.isfinite(np.asarray(self.prior.log_prob(b0))))
            if not inside:
                u_shape = bijectors["coefficients"].inverse_event_shape((p,))
                b0 = np.asarray(bijectors["coefficients"].forward(np.zeros(u_shape)),
                                dtype=np.float64)
        if not np.all(np.isfinite(b0)):
            b0 = np.zeros(p)
        init["coefficients"] = np.broadcast_to(b0, (p,)).copy()
        if self.dispersion_prior is not None:
            name = self.family.dispersion_parameter
            # Pearson's phi in the family's own parameter: scale = sqrt(phi), concentration = 1/phi
            value = np.sqrt(phi) if name == "scale" else 1.0 / phi
            prior = self.dispersion_prior
            if not (np.isfinite(value) and value > 0
                    and np.isfinite(float(np.asarray(prior.log_prob(value))))):
                value = float(np.asarray(prior.default_bijector.forward(0.0)))
            init[name] = np.asarray(value, dtype=np.float64)
            bijectors[name] = prior.default_bijector
        value = float(np.asarray(self.log_prob(init)))
        if not np.isfinite(value):
            raise ValueError(
                f"{_WHO}: the log density is not finite at the start values ({value}); check "
                f"the priors' supports against the family's link (e.g. Gamma with the inverse "
                f"link needs a positive linear predictor)"
            )
        return init, bijectors

    def __fluxion_model__(self) -> fd.ModelSpec:
        """The model protocol of :func:`fluxion.mcmc.sample`, ``optim.minimize`` and
        ``optim.laplace``: a :class:`fluxion.distributions.ModelSpec`."""
        if self._spec is None:
            init, bijectors = self._start()
            self._spec = fd.ModelSpec(self.log_prob, init, bijectors, {"y": self.response},
                                      self.log_likelihood)
        return self._spec

    def __repr__(self) -> str:
        n, p = self.model_matrix.shape
        prior = "flat" if self.prior is None else repr(self.prior)
        return f"BayesianGLM({self.family!r}, n={n}, p={p}, prior={prior})"


def bayesian_model(
    model_matrix: Any,
    response: Any,
    model: Family,
    *,
    prior: Any = None,
    dispersion_prior: Any = None,
    offset: Any = None,
    weights: Any = None,
) -> BayesianGLM:
    """A Bayesian GLM, ready for :func:`fluxion.mcmc.sample` (no start values needed).

    The posterior ``p(b | y) ∝ prior(b) prod_i p(y_i | eta_i)^(w_i)``, ``eta = X b + offset``;
    with ``dispersion_prior`` the family's dispersion parameter is a parameter too.

    Parameters
    ----------
    model_matrix : array_like, shape ``(n, p)``
        The design matrix ``X`` (include a column of ones for an intercept).
    response : array_like, shape ``(n,)``
        Observations, in the family's support.
    model : Family
        A family from :mod:`fluxion.glm`.
    prior : Distribution, optional
        The prior of the coefficients: scalar (i.i.d., e.g. ``Normal(0.0, 2.5)``), batch shape
        ``(p,)`` (one per coefficient) or event shape ``(p,)`` (e.g. ``MultivariateNormalTriL``).
        Default: flat (improper); the posterior is then proper only where the likelihood is
        (full-rank ``X``, no separation in binary data).
    dispersion_prior : Distribution, optional
        A scalar prior on the family's dispersion parameter (``Normal``: ``scale``; ``Gamma``,
        ``InverseGaussian``: ``concentration``), sampled under that name. Default: fixed at
        the family's value.
    offset : array_like, shape ``(n,)`` or scalar, optional
    weights : array_like, shape ``(n,)``, optional
        Non-negative frequency weights: observation ``i`` counts ``w_i`` times.

    Returns
    -------
    BayesianGLM
        Implements ``__fluxion_model__``: ``mcmc.sample(model)`` draws ``"coefficients"``
        (``(chain, draw, p)``) and records the pointwise log-likelihood ``"y"`` (``(chain, draw,
        n)``) for ``arviz.loo``. Chains start near the IRLS estimate (:func:`fit`).

    Raises
    ------
    TypeError
        ``model`` is not a family, a prior is not a distribution.
    ValueError
        Shapes that do not match, a response outside the family's support, a prior of the
        wrong shape, a dispersion prior for a family without a dispersion parameter.

    See Also
    --------
    fit : the maximum-likelihood estimate (the posterior mode under a flat prior).

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion.distributions as fd
    >>> from fluxion import glm
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(100), rng.normal(size=100)])
    >>> y = rng.poisson(np.exp(0.5 + 0.3 * x[:, 1])).astype(float)
    >>> model = glm.bayesian_model(x, y, glm.Poisson(), prior=fd.Normal(0.0, 5.0))
    >>> model.names
    ['coefficients']
    >>> float(model.log_prob({"coefficients": np.zeros(2)})) < 0
    True
    """
    return BayesianGLM(model_matrix, response, model, prior, dispersion_prior, offset, weights)
