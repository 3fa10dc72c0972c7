"""``fluxion.glm``: generalized linear models, as ``tfp.glm``.

Families (:class:`Bernoulli`, :class:`Poisson`, :class:`Gamma`, ...; any link from
:data:`LINKS`), :func:`fit` by Fisher scoring, :func:`fit_sparse` (L1 + L2 elastic-net by
proximal Newton with coordinate descent) and :func:`bayesian_model` (a posterior that
``fluxion.mcmc.sample`` takes directly)::

    coeffs, linear_response, is_converged, num_iter = glm.fit_sparse(
        model_matrix=x, response=y, l1_regularizer=0.5, l2_regularizer=1.0,
        model=glm.Bernoulli())
"""

from ._src.glm import *  # noqa: F403
from ._src.glm import __all__ as __all__  # noqa: F401
