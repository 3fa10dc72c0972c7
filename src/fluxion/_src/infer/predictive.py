"""Prior and posterior predictive draws of a joint distribution (``fluxion.infer.Predictive``).

Layering: ``infer`` sits above ``distributions``, so this module may import the joint
distributions; the samplers' results are read duck-typed (anything with ``.draws``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..distributions.base import as_key
from ..distributions.joint import ConditionedModel, JointDistribution, _unknown

__all__ = ["Predictive"]


class Predictive:
    """Draws from a model's prior predictive or posterior predictive distribution.

    Parameters
    ----------
    model : JointDistribution or ConditionedModel
        The generative model (for a conditioned one, its joint distribution; the data are
        not used, only which variables are observed).
    posterior : SampleResult or dict, optional
        Posterior draws of (some of) the free variables: a ``fluxion.mcmc.sample`` result, or
        a dict name -> array of shape ``(chain, draw, *shape)``. None: prior predictive.
    num_samples : int, optional
        The number of prior predictive draws (default 1000); not used with ``posterior``.
    return_names : sequence of str, optional
        The variables to return. Default: every variable for the prior predictive; for the
        posterior predictive, every variable not in ``posterior`` (the observed ones).

    Examples
    --------
    >>> import numpy as np, fluxion.distributions as fd
    >>> from fluxion.infer import Predictive
    >>> jd = fd.JointDistributionNamed({
    ...     "mu": fd.Normal(0.0, 1.0), "y": lambda mu: fd.Normal(mu, np.ones(3))})
    >>> prior = Predictive(jd, num_samples=5)(seed=0)
    >>> prior["mu"].shape, prior["y"].shape
    ((5,), (5, 3))
    >>> post = Predictive(jd, {"mu": np.zeros((2, 4))})(seed=1)
    >>> post["y"].shape
    (2, 4, 3)
    """

    def __init__(
        self,
        model: Any,
        posterior: Any = None,
        *,
        num_samples: int | None = None,
        return_names: Sequence[str] | None = None,
    ) -> None:
        if isinstance(model, ConditionedModel):
            model = model.joint
        if not isinstance(model, JointDistribution):
            raise TypeError(
                "Predictive: expected a joint distribution or a conditioned one "
                f"(model.condition(y=data)), got {type(model).__name__}"
            )
        names = model.names
        if posterior is not None:
            draws = getattr(posterior, "draws", posterior)
            if not isinstance(draws, Mapping):
                raise TypeError(
                    "Predictive: expected posterior as a sample() result or a dict of name -> "
                    f"draws of shape (chain, draw, *shape), got {type(posterior).__name__}"
                )
            unknown = [k for k in draws if k not in names]
            if unknown:
                raise _unknown("Predictive", unknown, names)
            if num_samples is not None:
                raise ValueError(
                    "Predictive: num_samples is for prior predictive draws; with posterior, "
                    "there is one predictive draw per posterior draw (thin the draws instead)"
                )
            posterior = {k: np.asarray(v) for k, v in draws.items()}
            if not posterior:
                raise ValueError("Predictive: posterior holds no draws")
        if num_samples is None:
            num_samples = 1000
        if isinstance(num_samples, bool) or not isinstance(num_samples, int | np.integer) or (
            num_samples < 1
        ):
            raise ValueError(
                f"Predictive: expected num_samples to be an integer >= 1, got {num_samples!r}"
            )
        if return_names is not None:
            unknown = [k for k in return_names if k not in names]
            if unknown:
                raise _unknown("Predictive", unknown, names)
        self.model = model
        self.posterior = posterior
        self.num_samples = int(num_samples)
        self.return_names = None if return_names is None else list(return_names)

    def __call__(self, seed: Any = None) -> dict[str, np.ndarray]:
        """Draw.

        Parameters
        ----------
        seed : None, int, numpy.random.Generator or fluxion.random key

        Returns
        -------
        dict
            Name -> array: ``(num_samples, *shape)`` for the prior predictive, ``(chain,
            draw, *shape)`` for the posterior predictive.
        """
        key = as_key("Predictive", seed)
        model = self.model
        if self.posterior is None:
            out = model._draw((self.num_samples,), key)
            keep = self.return_names or model.names
        else:
            first = next(iter(self.posterior.values()))
            shapes = model._shapes()
            name0 = next(iter(self.posterior))
            lead = first.shape[: first.ndim - len(shapes[name0])]
            if not lead:
                raise ValueError(
                    f"Predictive: expected posterior draws with leading (chain, draw) "
                    f"dimensions, got {name0!r} of shape {first.shape}"
                )
            out = model._draw(tuple(lead), key, self.posterior, given_batched=True)
            keep = self.return_names or [k for k in model.names if k not in self.posterior]
        return {k: np.asarray(out[k]) for k in keep}
