"""The Laplace approximation: a Gaussian at the mode of a log density, with the exact Hessian.

Constrained parameters go through the unconstrained model shared with ``mcmc.sample``
(``infer.UnconstrainedModel``: constraints by name, any ``fluxion.bijectors`` constraint): the
mode search and the Gaussian live in the unconstrained space, with the log-Jacobian of the
transform included in the density, and draws are mapped back to the constrained space.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..api import hessian as _hessian
from ..api import jacfwd as _jacfwd
from ..api import value_and_grad as _value_and_grad
from ..infer.model import UnconstrainedModel, resolve_model
from ..tree_util import tree_map
from .scipy_bridge import _float_leaf, minimize

__all__ = ["LaplaceResult", "laplace"]

# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class LaplaceResult:
    """A Gaussian approximation ``N(mean, covariance)`` in the unconstrained space.

    Attributes
    ----------
    mode : pytree
        The mode mapped to the parameters' own (constrained) space, structure of ``x0``.
    mean : ndarray, shape ``(d,)``
        The Gaussian's mean: the mode of the unconstrained density (raveled).
    hessian : ndarray, shape ``(d, d)``
        Hessian of the negative unconstrained log density at the mode (Jacobian term included).
    covariance : ndarray, shape ``(d, d)``
        Its inverse: the Gaussian's covariance in the unconstrained space.
    std : pytree
        Standard errors in the constrained space (delta method: ``|dx/du| * std_unconstrained``);
        equal to ``std_unconstrained`` for unconstrained leaves.
    std_unconstrained : pytree
        ``sqrt(diag(covariance))`` in ``x0``'s structure.
    log_prob_at_mode : float
        The unconstrained log density at the mode: ``log_prob(mode) + log|dx/du|``.
    marginal_log_likelihood : float
        The Laplace estimate of ``log ∫ exp(log_prob(x)) dx``:
        ``log_prob_at_mode + d/2 log 2π - 1/2 log det hessian``.
    optimize_result : scipy.optimize.OptimizeResult
        The result of :func:`fluxion.optim.minimize` on the negative unconstrained log density.
    unravel : callable
        ``unravel(vector of shape (d,)) -> pytree`` in the unconstrained space (no transform).
    """

    mode: Any
    mean: np.ndarray
    hessian: np.ndarray
    covariance: np.ndarray
    std: Any
    std_unconstrained: Any
    log_prob_at_mode: float
    marginal_log_likelihood: float
    optimize_result: Any
    unravel: Callable = dataclasses.field(repr=False)
    _chol_hessian: np.ndarray = dataclasses.field(repr=False)
    _model: UnconstrainedModel = dataclasses.field(repr=False)

    def to_constrained(self, u: np.ndarray) -> Any:
        """Map unconstrained vectors, shape ``batch + (d,)``, to a pytree of leaves
        ``batch + leaf.shape`` in the constrained space."""
        return self._model.constrain_tree(u)

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> Any:
        """Draw ``n`` samples, mapped to the constrained space.

        Parameters
        ----------
        n : int
        seed : int or numpy.random.Generator, optional

        Returns
        -------
        pytree
            The structure of ``x0``; each leaf has shape ``(n,) + leaf.shape``.
        """
        import scipy.linalg

        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        z = rng.standard_normal((int(n), self.mean.size))
        # covariance = H^-1 = L^-T L^-1, so u = mean + L^-T z has that covariance.
        u = self.mean + scipy.linalg.solve_triangular(self._chol_hessian, z.T, trans="T").T
        return self.to_constrained(u)

    def log_prob(self, x: Any) -> Any:
        """Log density of the approximation at ``x`` (constrained space, structure of ``x0``;
        leaves may carry leading batch axes). For constrained leaves this is the Gaussian's
        density pushed through the transform: ``log N(u) - log|det dx/du|``.

        Returns
        -------
        float or ndarray, shape ``batch``
        """
        u, log_jac = self._model.unconstrain_batch(x)
        d = self.mean.size
        r = (u - self.mean) @ self._chol_hessian  # ||L^T (u - mean)||^2 = (u-m)^T H (u-m)
        half_logdet_h = np.sum(np.log(np.diag(self._chol_hessian)))
        log_gauss = -0.5 * np.sum(r**2, axis=-1) - 0.5 * d * math.log(2 * math.pi) + half_logdet_h
        out = log_gauss - log_jac
        return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------------------------
# laplace
# --------------------------------------------------------------------------------------------


def _exact_or_differenced_hessian(fun: Callable, vg: Callable) -> Callable:
    """``fun``'s Hessian by forward-over-reverse autodiff; for a density that cannot be
    differentiated twice (a ``custom_vjp`` such as ``fluxion.parallel.ShardedSum``, whose
    shards live on other processes), central differences of its exact gradient, with a
    warning (2 d gradient evaluations; relative error about eps^(2/3) ~ 1e-10)."""
    exact = _hessian(fun)
    state = {"exact": True}

    def differenced(x: np.ndarray) -> np.ndarray:
        d = x.size
        h = np.empty((d, d))
        for i in range(d):
            step = np.finfo(np.float64).eps ** (1 / 3) * max(1.0, abs(float(x[i])))
            e = np.zeros(d)
            e[i] = step
            g_plus = np.asarray(vg(x + e)[1], dtype=np.float64)
            g_minus = np.asarray(vg(x - e)[1], dtype=np.float64)
            h[:, i] = (g_plus - g_minus) / (2 * step)
        return h

    def hess(x: np.ndarray) -> np.ndarray:
        if state["exact"]:
            try:
                return exact(x)
            except (TypeError, NotImplementedError) as err:
                state["exact"] = False
                warnings.warn(
                    f"laplace: the log density cannot be differentiated twice ({err}); the "
                    "Hessian is central differences of its exact gradient",
                    RuntimeWarning,
                    stacklevel=3,
                )
        return differenced(x)

    return hess


def laplace(
    log_prob: Callable,
    x0: Any = None,
    args: tuple = (),
    *,
    constraints: Any = None,
    method: str = "L-BFGS-B",
    jit: bool = True,
    tol: float | None = None,
    options: dict | None = None,
) -> LaplaceResult:
    """Laplace approximation of ``exp(log_prob)``: the mode, the exact Hessian there, a Gaussian.

    Parameters
    ----------
    log_prob : callable or model
        ``log_prob(x, *args) -> scalar``, an (unnormalized) log density of a parameter pytree;
        or a model (``__fluxion_model__``, e.g. a conditioned joint distribution), whose free
        variables, start values and constraints are then used.
    x0 : pytree, optional
        Starting point for the mode search, in the parameters' own (constrained) space.
        Required with a callable; with a model, a dict by name overriding its start values.
    args : tuple, optional
        Extra arguments of ``log_prob``.
    constraints : dict, pytree or spec, optional
        As in :func:`fluxion.mcmc.sample` (``infer.UnconstrainedModel``): a dict naming only the
        constrained parameters (``{"s": "positive"}``, nested or dotted names for nested
        ``x0``), a pytree shaped like ``x0`` (None = unconstrained), or one spec for every
        leaf; specs are those of ``fluxion.bijectors.for_constraint`` (``"positive"``:
        ``x = exp(u)``, ``("interval", low, high)``: ``x = low + (high - low) sigmoid(u)``,
        ``"simplex"``, ... or a ``Bijector``).
    method : str, optional
        The :func:`fluxion.optim.minimize` method for the mode search (default L-BFGS-B).
    jit : bool, optional
        Compile the objective (default True).
    tol, options : optional
        Passed to :func:`fluxion.optim.minimize`.

    Returns
    -------
    LaplaceResult
        With ``mode``, ``hessian`` and ``covariance`` (shape ``(d, d)``), ``std``,
        ``log_prob_at_mode``, ``marginal_log_likelihood``, ``optimize_result``, ``unravel``,
        ``sample(n, seed)`` and ``log_prob(x)``.

    Raises
    ------
    ValueError
        If the Hessian at the mode is not positive definite, a constraint names no parameter or
        does not fit its shape, or ``x0`` violates a constraint.

    Notes
    -----
    The Gaussian lives in the unconstrained space ``u`` with density
    ``log_prob(forward(u)) + log|d forward/du|``; its mode maps to ``mode`` (which is therefore
    not the constrained MAP when a leaf is constrained). After the optimizer stops, the mode is
    polished with up to five Newton steps using the exact gradient and Hessian (accepted only
    while they decrease the gradient norm without raising the objective), so the mean is
    accurate to rounding for nearly Gaussian densities. The evidence estimate is
    ``log p~(u*) + d/2 log 2π - 1/2 log det H``.

    Examples
    --------
    >>> import numpy as np, fluxion.numpy as fnp
    >>> from fluxion.optim import laplace
    >>> fit = laplace(lambda p: -0.5 * fnp.sum((p - 1.0) ** 2 / 4.0), np.zeros(2))
    >>> fit.mean.round(8).tolist(), np.diag(fit.covariance).round(8).tolist()
    ([1.0, 1.0], [4.0, 4.0])
    """
    log_prob, x0, constraints, _ = resolve_model("laplace", log_prob, x0, constraints)
    if not callable(log_prob):
        raise TypeError(f"laplace: expected a callable log_prob, got {type(log_prob).__name__}")
    if not isinstance(args, tuple):
        args = (args,)
    x0 = tree_map(lambda leaf: _float_leaf("laplace", leaf), x0)
    # the same unconstrained model as mcmc.sample: constraints by name, checked against x0
    model = UnconstrainedModel(log_prob, x0, constraints, jit=False, who="laplace")

    def neg_log_density_u(u: Any, *a: Any) -> Any:
        return -model.potential(u, *a)

    res = minimize(
        neg_log_density_u, model.u0, args, method=method, jit=jit, tol=tol, options=options
    )
    if not res.success:
        if res.status == -100 and not np.isfinite(res.fun):
            raise ValueError(f"laplace: the mode search failed: {res.message}")
        warnings.warn(
            f"laplace: the optimizer stopped without success ({res.message}); polishing the "
            "mode with Newton steps",
            RuntimeWarning,
            stacklevel=2,
        )

    def flat_neg(u: Any) -> Any:
        return neg_log_density_u(u, *args)

    vg = _value_and_grad(flat_neg)
    hess_fn = _exact_or_differenced_hessian(flat_neg, vg)
    mean = np.array(res.x_flat, dtype=np.float64)
    value, grad = vg(mean)
    value, grad = float(value), np.asarray(grad, dtype=np.float64)
    h = _symmetric(hess_fn(mean))
    for _ in range(5):  # Newton polishing of the mode
        if not np.all(np.isfinite(grad)) or np.max(np.abs(grad), initial=0.0) == 0.0:
            break
        try:
            step = np.linalg.solve(h, grad)
        except np.linalg.LinAlgError:
            break
        cand = mean - step
        c_value, c_grad = vg(cand)
        c_value, c_grad = float(c_value), np.asarray(c_grad, dtype=np.float64)
        scale = max(1.0, abs(value))
        ok = (
            np.isfinite(c_value)
            and c_value <= value + 1e-12 * scale
            and np.linalg.norm(c_grad) < np.linalg.norm(grad)
        )
        if not ok:
            break
        mean, value, grad = cand, c_value, c_grad
        h = _symmetric(hess_fn(mean))
    d = mean.size
    if not np.all(np.isfinite(h)):
        raise ValueError(
            "laplace: the Hessian at the mode is not finite; check the model's domain near "
            f"the mode {_describe(model.constrain_tree(mean))}"
        )
    try:
        chol = np.linalg.cholesky(h)
        # A numerically singular Hessian (a flat direction) can pass Cholesky by rounding.
        diag = np.diag(chol) ** 2
        singular = d > 0 and diag.min() <= 16 * d * np.finfo(np.float64).eps * diag.max()
    except np.linalg.LinAlgError:
        singular = True
    if singular:
        eig = np.linalg.eigvalsh(h)
        raise ValueError(
            "laplace: the Hessian at the mode is not positive definite (eigenvalues from "
            f"{eig.min():.6g} to {eig.max():.6g}); the mode search may not have converged "
            f"({res.message}), or the density is flat or unbounded in some direction (add a "
            "prior or constraints)"
        )
    eye = np.eye(d)
    import scipy.linalg

    covariance = scipy.linalg.cho_solve((chol, True), eye)
    covariance = _symmetric(covariance)
    std_u = np.sqrt(np.diag(covariance))
    log_prob_at_mode = -value
    logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
    evidence = log_prob_at_mode + 0.5 * d * math.log(2 * math.pi) - 0.5 * logdet

    # standard errors in the constrained space by the delta method: sqrt(diag(J C J^T)) with J
    # the Jacobian of the flat constrained vector in u (|dx/du| * std_u for elementwise maps)
    jac = np.asarray(_jacfwd(model.forward_flat)(mean), dtype=np.float64).reshape(-1, d)
    std_x = np.sqrt(np.maximum(np.sum((jac @ covariance) * jac, axis=1), 0.0))
    std_leaves, start = [], 0
    for shape in model.shapes:
        size = int(np.prod(shape, dtype=np.int64))
        std_leaves.append(std_x[start : start + size].reshape(shape))
        start += size
    return LaplaceResult(
        mode=model.constrain_tree(mean),
        mean=mean,
        hessian=h,
        covariance=covariance,
        std=model.tree.unflatten(std_leaves),
        std_unconstrained=model.unravel(std_u),
        log_prob_at_mode=log_prob_at_mode,
        marginal_log_likelihood=evidence,
        optimize_result=res,
        unravel=model.unravel,
        _chol_hessian=chol,
        _model=model,
    )


def _symmetric(h: Any) -> np.ndarray:
    h = np.asarray(h, dtype=np.float64)
    return 0.5 * (h + h.T)


def _describe(tree: Any) -> str:
    with np.printoptions(threshold=12, precision=6):
        return repr(tree)
