"""``fluxion.infer``: the unconstrained model shared by ``mcmc.sample``, ``optim.laplace`` and
``optim.minimize(constraints=...)``.

``UnconstrainedModel(log_prob, init, constraints)`` maps a pytree of constrained parameters to
one flat unconstrained vector ``u`` and back (``forward``, ``constrain_tree``,
``constrained_draws``), with the potential ``log_prob(forward(u)) + log|det J|`` and its
compiled value and gradient (``logp_and_grad``). Constraints are matched to parameters by name:
``{"sigma": "positive"}`` constrains ``sigma`` and leaves the rest unconstrained; an unknown
name is an error that lists the parameters and the closest match.

``Predictive(model, posterior=None, num_samples=)`` draws prior or posterior predictive
samples of a joint distribution (``model.condition(y=data)`` or the joint itself), by name;
``model_spec(obj)`` reads a model's ``__fluxion_model__`` protocol.
"""

from fluxion._src.infer.model import UnconstrainedModel as UnconstrainedModel
from fluxion._src.infer.model import leaf_names as leaf_names
from fluxion._src.infer.model import model_spec as model_spec
from fluxion._src.infer.predictive import Predictive as Predictive

__all__ = ["UnconstrainedModel", "leaf_names", "model_spec", "Predictive"]
