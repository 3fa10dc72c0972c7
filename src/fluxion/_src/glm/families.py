"""GLM model families: a response distribution, its variance function and a link.

A family maps the linear predictor ``eta = X @ b + offset`` to the mean ``mu = h(eta)`` (``h`` is
the inverse link), and knows ``Var(y | mu)`` and the log-likelihood of a response. Fisher scoring
(:mod:`.fit`) and the proximal Newton solver (:mod:`.sparse`) need only :meth:`Family.moments`
(``mu``, ``Var(y)``, ``dmu/deta``) and :meth:`Family.log_prob`.

Every formula is written with :mod:`fluxion.numpy`, so a family's ``log_prob`` can be
differentiated (``fluxion.grad``) and used inside a user's own model.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .. import distributions as fd
from ..numpy import core as fnp
from ..scipy import special as fsp

Array = Any

__all__ = [
    "Link",
    "Family",
    "Bernoulli",
    "BernoulliNormalCDF",
    "Binomial",
    "Poisson",
    "PoissonSoftplus",
    "Normal",
    "Gamma",
    "InverseGaussian",
    "NegativeBinomial",
    "LINKS",
]

_LOG_2PI = float(np.log(2.0 * np.pi))


class Link:
    """A link function ``g`` and its inverse ``h = g^-1``.

    Parameters
    ----------
    name : str
        The link's name (``"logit"``, ``"log"``, ...).
    link : callable
        ``g(mu) -> eta``, elementwise.
    inverse : callable
        ``h(eta) -> mu``, elementwise.
    inverse_derivative : callable
        ``h'(eta) = dmu/deta``, elementwise.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import LINKS
    >>> float(LINKS["log"].inverse(np.array(0.0)))
    1.0
    """

    __slots__ = ("name", "link", "inverse", "inverse_derivative")

    def __init__(self, name: str, link: Any, inverse: Any, inverse_derivative: Any) -> None:
        self.name = name
        self.link = link
        self.inverse = inverse
        self.inverse_derivative = inverse_derivative

    def __repr__(self) -> str:
        return f"Link({self.name!r})"


def _softplus(eta: Array) -> Array:
    return fnp.logaddexp(0.0, eta)


def _softplus_inverse(mu: Array) -> Array:
    # log(exp(mu) - 1) = mu + log(1 - exp(-mu))
    return mu + fnp.log(-fnp.expm1(-mu))


LINKS: dict[str, Link] = {
    "identity": Link("identity", lambda mu: mu, lambda eta: eta, lambda eta: fnp.ones_like(eta)),
    # mu = exp(eta), dmu/deta = exp(eta)
    "log": Link("log", fnp.log, fnp.exp, fnp.exp),
    # mu = expit(eta), dmu/deta = mu (1 - mu)
    "logit": Link("logit", fsp.logit, fsp.expit, lambda eta: fsp.expit(eta) * fsp.expit(-eta)),
    # mu = Phi(eta), dmu/deta = phi(eta)
    "probit": Link(
        "probit", fsp.ndtri, fsp.ndtr,
        lambda eta: fnp.exp(-0.5 * eta * eta - 0.5 * _LOG_2PI),
    ),
    # mu = 1 - exp(-exp(eta)), dmu/deta = exp(eta - exp(eta))
    "cloglog": Link(
        "cloglog", lambda mu: fnp.log(-fnp.log1p(-mu)), lambda eta: -fnp.expm1(-fnp.exp(eta)),
        lambda eta: fnp.exp(eta - fnp.exp(eta)),
    ),
    # mu = log(1 + exp(eta)), dmu/deta = expit(eta)
    "softplus": Link("softplus", _softplus_inverse, _softplus, fsp.expit),
    # mu = 1 / eta, dmu/deta = -1 / eta^2
    "inverse": Link("inverse", lambda mu: 1.0 / mu, lambda eta: 1.0 / eta,
                    lambda eta: -1.0 / (eta * eta)),
    # mu = eta^(-1/2), dmu/deta = -eta^(-3/2) / 2
    "inverse_squared": Link(
        "inverse_squared", lambda mu: 1.0 / (mu * mu), lambda eta: 1.0 / fnp.sqrt(eta),
        lambda eta: -0.5 / (eta * fnp.sqrt(eta)),
    ),
}


def _as_link(link: Any, family: str) -> Link:
    if isinstance(link, Link):
        return link
    if isinstance(link, str) and link in LINKS:
        return LINKS[link]
    raise ValueError(
        f"{family}: expected link to be a Link or one of {sorted(LINKS)}, got {link!r}"
    )


def _positive(value: Any, name: str, family: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{family}: expected {name} > 0 and finite, got {value!r}")
    return arr


class Family:
    """Base class of the GLM families: a response distribution, a variance function, a link.

    Subclasses implement :meth:`variance` (``Var(y | mu)``, dispersion included),
    :meth:`log_prob` and :meth:`_check_response`; the link is chosen at construction.

    Parameters
    ----------
    link : str or Link
        The link ``g`` with ``g(mu) = eta``; each family has a default (its canonical link,
        except where noted).

    Notes
    -----
    For every family here ``d log p(y | mu) / d mu = (y - mu) / Var(y | mu)`` (exponential
    dispersion families with the dispersion fixed), which is what Fisher scoring uses.
    """

    name = "Family"
    default_link = "identity"
    #: Whether ``Var(y | mu) = dispersion * V(mu)`` has a free dispersion that :func:`fit`
    #: estimates by default (Normal, Gamma, InverseGaussian), as statsmodels and R's ``glm`` do.
    free_dispersion = False
    #: The attribute that sets the dispersion (``"scale"``, ``"concentration"``), or None:
    #: :func:`bayesian_model` samples it when given a ``dispersion_prior``.
    dispersion_parameter: str | None = None

    def __init__(self, link: Any = None) -> None:
        self.link = _as_link(self.default_link if link is None else link, type(self).__name__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(link={self.link.name!r})"

    # -- the mean and its derivative --------------------------------------------------------
    def mean(self, eta: Array) -> Array:
        """The mean ``mu = h(eta)``.

        Parameters
        ----------
        eta : array_like, shape ``(n,)``
            The linear predictor.

        Returns
        -------
        mu : Array, shape ``(n,)``
        """
        return self.link.inverse(eta)

    def mean_derivative(self, eta: Array) -> Array:
        """``dmu/deta = h'(eta)``; shape of ``eta``."""
        return self.link.inverse_derivative(eta)

    def variance(self, mu: Array) -> Array:
        """``Var(y | mu)`` (dispersion included); shape of ``mu``."""
        raise NotImplementedError

    def _with_parameter(self, value: Any) -> Family:
        """A copy whose dispersion parameter is ``value`` (a traced value is allowed: no check)."""
        twin = copy.copy(self)
        setattr(twin, self.dispersion_parameter, value)
        return twin

    @property
    def dispersion(self) -> Any:
        """The dispersion ``phi`` this family fixes, in ``Var(y | mu) = phi V(mu)``.

        ``V`` is the unit variance function (statsmodels' and R's convention): ``phi`` is
        ``scale^2`` for :class:`Normal`, ``1 / concentration`` for :class:`Gamma` and
        :class:`InverseGaussian`, and 1 for the families without a free dispersion.

        Returns
        -------
        float or ndarray (the shape of the family's parameter)
        """
        return 1.0

    def moments(self, eta: Array) -> tuple[Array, Array, Array]:
        """``(mean, variance, mean_derivative)`` at the linear predictor (TFP's ``model(eta)``).

        Parameters
        ----------
        eta : array_like, shape ``(n,)``

        Returns
        -------
        mu, var, dmu : Array, each shape ``(n,)``
        """
        mu = self.mean(eta)
        return mu, self.variance(mu), self.mean_derivative(eta)

    def log_prob(self, response: Array, eta: Array) -> Array:
        """Pointwise log-likelihood ``log p(y_i | eta_i)``.

        Parameters
        ----------
        response : array_like, shape ``(n,)``
        eta : array_like, shape ``(n,)``
            The linear predictor (offset included).

        Returns
        -------
        Array, shape ``(n,)``
        """
        raise NotImplementedError

    def initial_mean(self, response: np.ndarray) -> np.ndarray:
        """A starting mean inside the link's domain (statsmodels' ``(y + mean(y)) / 2``)."""
        return 0.5 * (response + np.mean(response))

    def check_response(self, response: np.ndarray, caller: str) -> None:
        """Raise ``ValueError`` naming ``caller`` when a response is outside the support."""
        bad = ~self._in_support(response)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{caller}: expected response values in the support of {self!r} "
                f"({self._support_text()}), got {float(response[i])!r} at index {i}"
            )

    def _in_support(self, y: np.ndarray) -> np.ndarray:
        return np.isfinite(y)

    def _support_text(self) -> str:
        return "finite reals"


def _show(value: Any) -> str:
    """A parameter for a repr: ``2.0`` for a scalar, the array's repr otherwise."""
    return repr(float(value)) if np.ndim(value) == 0 else repr(value)


def _scalar_or_array(value: np.ndarray) -> Any:
    return float(value) if np.ndim(value) == 0 else value


def _is_integer(y: np.ndarray) -> np.ndarray:
    return np.isfinite(y) & (y == np.round(y))


class Bernoulli(Family):
    """Bernoulli responses ``y in {0, 1}``; logit link by default.

    ``mu = P(y = 1)``, ``Var(y) = mu (1 - mu)``. The log-likelihood is
    :class:`fluxion.distributions.Bernoulli` (from the logits for the logit link).

    Parameters
    ----------
    link : str or Link, default ``"logit"``
        Also ``"probit"`` (see :class:`BernoulliNormalCDF`), ``"cloglog"``.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import Bernoulli
    >>> mu, var, dmu = Bernoulli().moments(np.array([0.0]))
    >>> float(mu[0]), float(var[0]), float(dmu[0])
    (0.5, 0.25, 0.25)
    """

    default_link = "logit"

    def variance(self, mu: Array) -> Array:
        return mu * (1.0 - mu)

    def moments(self, eta: Array) -> tuple[Array, Array, Array]:
        if self.link.name in ("logit", "probit"):
            # symmetric links: 1 - mu = h(-eta) without cancellation where mu is near 1
            mu = self.link.inverse(eta)
            return mu, mu * self.link.inverse(-eta), self.link.inverse_derivative(eta)
        return super().moments(eta)

    def log_prob(self, response: Array, eta: Array) -> Array:
        if self.link.name == "logit":
            return fd.Bernoulli(logits=eta).log_prob(response)
        if self.link.name == "probit":
            # y log Phi(eta) + (1 - y) log Phi(-eta), without cancellation in the tails
            return response * fsp.log_ndtr(eta) + (1.0 - response) * fsp.log_ndtr(-eta)
        mu = self.mean(eta)
        return fsp.xlogy(response, mu) + fsp.xlogy(1.0 - response, 1.0 - mu)

    def _in_support(self, y: np.ndarray) -> np.ndarray:
        return (y == 0.0) | (y == 1.0)

    def _support_text(self) -> str:
        return "0 or 1"


class BernoulliNormalCDF(Bernoulli):
    """Bernoulli responses with the probit link ``mu = Phi(eta)`` (TFP's name).

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import BernoulliNormalCDF
    >>> float(BernoulliNormalCDF().mean(np.array(0.0)))
    0.5
    """

    default_link = "probit"


class Binomial(Family):
    """Binomial counts ``y in {0, ..., total_count}``; logit link by default.

    ``mu = total_count * p``, ``p = h(eta)``, ``Var(y) = total_count p (1 - p)``.

    Parameters
    ----------
    total_count : array_like, scalar or shape ``(n,)``
        The number of trials (positive).
    link : str or Link, default ``"logit"``
        The link of the success probability ``p``.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import Binomial
    >>> float(Binomial(10).mean(np.array(0.0)))
    5.0
    """

    default_link = "logit"

    def __init__(self, total_count: Any, link: Any = None) -> None:
        super().__init__(link)
        self.total_count = _positive(total_count, "total_count", "Binomial")

    def __repr__(self) -> str:
        return f"Binomial(total_count={_show(self.total_count)}, link={self.link.name!r})"

    def mean(self, eta: Array) -> Array:
        return self.total_count * self.link.inverse(eta)

    def mean_derivative(self, eta: Array) -> Array:
        return self.total_count * self.link.inverse_derivative(eta)

    def variance(self, mu: Array) -> Array:
        p = mu / self.total_count
        return self.total_count * p * (1.0 - p)

    def log_prob(self, response: Array, eta: Array) -> Array:
        if self.link.name == "logit":
            return fd.Binomial(self.total_count, logits=eta).log_prob(response)
        return fd.Binomial(self.total_count, probs=self.link.inverse(eta)).log_prob(response)

    def initial_mean(self, response: np.ndarray) -> np.ndarray:
        n = self.total_count
        return n * (response + 0.5) / (n + 1.0)

    def _in_support(self, y: np.ndarray) -> np.ndarray:
        return _is_integer(y) & (y >= 0) & (y <= self.total_count)

    def _support_text(self) -> str:
        return "integers 0..total_count"


class Poisson(Family):
    """Poisson counts ``y in {0, 1, ...}``; log link by default. ``Var(y) = mu``.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import Poisson
    >>> float(Poisson().mean(np.array(0.0)))
    1.0
    """

    default_link = "log"

    def variance(self, mu: Array) -> Array:
        return mu

    def log_prob(self, response: Array, eta: Array) -> Array:
        if self.link.name == "log":
            return fd.Poisson(log_rate=eta).log_prob(response)
        return fd.Poisson(rate=self.link.inverse(eta)).log_prob(response)

    def _in_support(self, y: np.ndarray) -> np.ndarray:
        return _is_integer(y) & (y >= 0)

    def _support_text(self) -> str:
        return "non-negative integers"


class PoissonSoftplus(Poisson):
    """Poisson counts with the softplus link ``mu = log(1 + exp(eta))`` (TFP's name).

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import PoissonSoftplus
    >>> round(float(PoissonSoftplus().mean(np.array(0.0))), 6)
    0.693147
    """

    default_link = "softplus"


class Normal(Family):
    """Normal responses with a fixed ``scale``; identity link by default. ``Var(y) = scale^2``.

    Parameters
    ----------
    scale : float, default 1
        The standard deviation (positive).
    link : str or Link, default ``"identity"``

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import Normal
    >>> float(Normal(2.0).variance(np.array(0.0)))
    4.0
    """

    default_link = "identity"
    free_dispersion = True
    dispersion_parameter = "scale"

    def __init__(self, scale: Any = 1.0, link: Any = None) -> None:
        super().__init__(link)
        self.scale = _positive(scale, "scale", "Normal")

    def __repr__(self) -> str:
        return f"Normal(scale={_show(self.scale)}, link={self.link.name!r})"

    @property
    def dispersion(self) -> Any:
        return _scalar_or_array(self.scale * self.scale)

    def variance(self, mu: Array) -> Array:
        return self.scale * self.scale + 0.0 * mu

    def log_prob(self, response: Array, eta: Array) -> Array:
        return fd.Normal(self.mean(eta), self.scale).log_prob(response)

    def initial_mean(self, response: np.ndarray) -> np.ndarray:
        if self.link.name == "identity":
            return np.asarray(response, dtype=np.float64)
        return super().initial_mean(response)


class Gamma(Family):
    """Gamma responses ``y > 0`` with a fixed ``concentration`` ``k``; log link by default.

    ``Var(y) = mu^2 / k``; the canonical link ``"inverse"`` (``mu = 1 / eta``) is available.

    Parameters
    ----------
    concentration : float, default 1
        The shape ``k`` (positive); the dispersion is ``1 / k``.
    link : str or Link, default ``"log"``

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import Gamma
    >>> float(Gamma(2.0).variance(np.array(2.0)))
    2.0
    """

    default_link = "log"
    free_dispersion = True
    dispersion_parameter = "concentration"

    def __init__(self, concentration: Any = 1.0, link: Any = None) -> None:
        super().__init__(link)
        self.concentration = _positive(concentration, "concentration", "Gamma")

    def __repr__(self) -> str:
        return f"Gamma(concentration={_show(self.concentration)}, link={self.link.name!r})"

    @property
    def dispersion(self) -> Any:
        return _scalar_or_array(1.0 / self.concentration)

    def variance(self, mu: Array) -> Array:
        return mu * mu / self.concentration

    def log_prob(self, response: Array, eta: Array) -> Array:
        k = self.concentration
        return fd.Gamma(k, rate=k / self.mean(eta)).log_prob(response)

    def _in_support(self, y: np.ndarray) -> np.ndarray:
        return np.isfinite(y) & (y > 0)

    def _support_text(self) -> str:
        return "positive reals"


class InverseGaussian(Family):
    """Inverse Gaussian responses ``y > 0`` with a fixed ``concentration`` ``lambda``.

    ``Var(y) = mu^3 / lambda``; log link by default, canonical ``"inverse_squared"`` available.
    ``log p = (log(lambda / (2 pi y^3)) - lambda (y - mu)^2 / (mu^2 y)) / 2``.

    Parameters
    ----------
    concentration : float, default 1
        ``lambda`` (positive); the dispersion is ``1 / lambda``.
    link : str or Link, default ``"log"``

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import InverseGaussian
    >>> float(InverseGaussian(2.0).variance(np.array(2.0)))
    4.0
    """

    default_link = "log"
    free_dispersion = True
    dispersion_parameter = "concentration"

    def __init__(self, concentration: Any = 1.0, link: Any = None) -> None:
        super().__init__(link)
        self.concentration = _positive(concentration, "concentration", "InverseGaussian")

    def __repr__(self) -> str:
        return (f"InverseGaussian(concentration={_show(self.concentration)}, "
                f"link={self.link.name!r})")

    @property
    def dispersion(self) -> Any:
        return _scalar_or_array(1.0 / self.concentration)

    def variance(self, mu: Array) -> Array:
        return mu * mu * mu / self.concentration

    def log_prob(self, response: Array, eta: Array) -> Array:
        lam = self.concentration
        mu = self.mean(eta)
        y = response
        # (log(lam) - log(2 pi) - 3 log y) / 2 - lam (y - mu)^2 / (2 mu^2 y)
        d = y - mu
        log_norm = 0.5 * (fnp.log(lam) - _LOG_2PI - 3.0 * fnp.log(y))
        return log_norm - lam * d * d / (2.0 * mu * mu * y)

    def _in_support(self, y: np.ndarray) -> np.ndarray:
        return np.isfinite(y) & (y > 0)

    def _support_text(self) -> str:
        return "positive reals"


class NegativeBinomial(Family):
    """Negative binomial counts with a fixed ``total_count`` ``r``; log link by default.

    ``Var(y) = mu + mu^2 / r`` (the NB2 model; statsmodels' ``alpha = 1 / r``). The
    log-likelihood is :class:`fluxion.distributions.NegativeBinomial` with
    ``logits = log(mu / r)``.

    Parameters
    ----------
    total_count : float
        ``r > 0`` (a real value is allowed).
    link : str or Link, default ``"log"``

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.glm import NegativeBinomial
    >>> float(NegativeBinomial(2.0).variance(np.array(2.0)))
    4.0
    """

    default_link = "log"

    def __init__(self, total_count: Any = 1.0, link: Any = None) -> None:
        super().__init__(link)
        self.total_count = _positive(total_count, "total_count", "NegativeBinomial")

    def __repr__(self) -> str:
        return (f"NegativeBinomial(total_count={_show(self.total_count)}, "
                f"link={self.link.name!r})")

    def variance(self, mu: Array) -> Array:
        return mu + mu * mu / self.total_count

    def log_prob(self, response: Array, eta: Array) -> Array:
        r = self.total_count
        if self.link.name == "log":
            logits = eta - fnp.log(r)
        else:
            logits = fnp.log(self.mean(eta)) - fnp.log(r)
        return fd.NegativeBinomial(r, logits=logits).log_prob(response)

    def _in_support(self, y: np.ndarray) -> np.ndarray:
        return _is_integer(y) & (y >= 0)

    def _support_text(self) -> str:
        return "non-negative integers"
