"""The Laplace approximation: a Gaussian at the mode of a log density, with the exact Hessian.

Constrained parameters are handled by a small local set of transforms (``"positive"``,
``("interval", low, high)``) until the library's bijector layer exists: the mode search and the
Gaussian live in the unconstrained space, with the log-Jacobian of the transform included in
the density, and draws are mapped back to the constrained space.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..api import hessian as _hessian
from ..api import value_and_grad as _value_and_grad
from ..numpy import core as fnp
from ..tree_util import ravel_pytree, tree_flatten, tree_map, tree_structure, tree_unflatten
from .scipy_bridge import _float_leaf, minimize

__all__ = ["LaplaceResult", "laplace"]

_LEAF_DEF = tree_structure(0.0)


def log_expit(u: Any) -> Any:
    return -fnp.logaddexp(0.0, -u)  # log sigmoid(u) = -log(1 + exp(-u)), stable both ways


def expit(u: Any) -> Any:
    return fnp.exp(log_expit(u))  # sigmoid(u)


# --------------------------------------------------------------------------------------------
# Transforms from the unconstrained space: x = forward(u), log|dx/du| elementwise
# --------------------------------------------------------------------------------------------


class _Real:
    name = "real"

    def forward(self, u: Any) -> Any:
        return u

    def inverse(self, x: Any) -> Any:
        return x

    def log_det_jacobian(self, u: Any) -> Any:
        return None  # zero: nothing to add

    def derivative(self, u: np.ndarray) -> np.ndarray:
        return np.ones_like(u)

    def check(self, x: np.ndarray, where: str) -> None:
        pass


class _Positive:
    name = "positive"

    def forward(self, u: Any) -> Any:
        return fnp.exp(u)  # x = exp(u)

    def inverse(self, x: Any) -> Any:
        return fnp.log(x)

    def log_det_jacobian(self, u: Any) -> Any:
        return u  # log|dx/du| = u

    def derivative(self, u: np.ndarray) -> np.ndarray:
        return np.exp(u)

    def check(self, x: np.ndarray, where: str) -> None:
        if not np.all(x > 0):
            raise ValueError(f"laplace: {where} is constrained positive, but x0 has {x.min()!r}")


class _Interval:
    name = "interval"

    def __init__(self, low: float, high: float) -> None:
        self.low = float(low)
        self.high = float(high)
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(
                f"laplace: expected ('interval', low, high) with finite low < high, got "
                f"({low!r}, {high!r})"
            )

    def forward(self, u: Any) -> Any:
        return self.low + (self.high - self.low) * expit(u)  # x = low + (high - low) sigmoid(u)

    def inverse(self, x: Any) -> Any:
        return fnp.log(x - self.low) - fnp.log(self.high - x)

    def log_det_jacobian(self, u: Any) -> Any:
        # log|dx/du| = log(high - low) + log sigmoid(u) + log sigmoid(-u)
        return math.log(self.high - self.low) + log_expit(u) + log_expit(-u)

    def derivative(self, u: np.ndarray) -> np.ndarray:
        s = 1.0 / (1.0 + np.exp(-u))
        return (self.high - self.low) * s * (1.0 - s)

    def check(self, x: np.ndarray, where: str) -> None:
        if not np.all((x > self.low) & (x < self.high)):
            raise ValueError(
                f"laplace: {where} is constrained to ({self.low}, {self.high}), but x0 has "
                f"values in [{x.min()!r}, {x.max()!r}]"
            )


_REAL = _Real()
_POSITIVE = _Positive()


def _parse_spec(spec: Any, where: str) -> Any:
    if spec is None or spec == "real":
        return _REAL
    if spec == "positive":
        return _POSITIVE
    if isinstance(spec, tuple | list) and len(spec) == 3 and spec[0] == "interval":
        return _Interval(spec[1], spec[2])
    raise ValueError(
        f"laplace: unknown constraint {spec!r} for {where}; expected None, 'real', 'positive' "
        "or ('interval', low, high)"
    )


def _is_spec(x: Any) -> bool:
    return (
        x is None
        or isinstance(x, str)
        or (isinstance(x, tuple | list) and len(x) == 3 and x[0] == "interval")
    )


def _parse_constraints(constraints: Any, x0: Any) -> list:
    """One transform per leaf of x0."""
    leaves, treedef = tree_flatten(x0)
    names = _leaf_names(x0, treedef)
    if constraints is None or _is_spec(constraints):
        return [_parse_spec(constraints, name) for name in names]
    if isinstance(constraints, dict) and isinstance(x0, dict):
        unknown = set(constraints) - set(x0)
        if unknown:
            raise ValueError(
                f"laplace: constraints name {sorted(map(str, unknown))}, which are not keys of "
                f"x0 ({sorted(map(str, x0))})"
            )
        constraints = {k: constraints.get(k) for k in x0}
    try:
        specs = treedef.flatten_up_to(_protect_specs(constraints))
    except ValueError:
        raise ValueError(
            f"laplace: constraints must have the structure of x0 ({treedef!r}) with leaves None, "
            f"'real', 'positive' or ('interval', low, high), got {constraints!r}"
        ) from None
    return [_parse_spec(_unprotect(s), name) for s, name in zip(specs, names)]


class _Spec:
    """Keeps an ('interval', low, high) tuple whole while its tree is matched against x0's."""

    __slots__ = ("spec",)

    def __init__(self, spec: Any) -> None:
        self.spec = spec


def _protect_specs(tree: Any) -> Any:
    if _is_spec(tree) and tree is not None:
        return _Spec(tree)
    return tree_map(lambda s: _Spec(s), tree, is_leaf=lambda s: _is_spec(s) and s is not None)


def _unprotect(s: Any) -> Any:
    return s.spec if isinstance(s, _Spec) else s


def _leaf_names(x0: Any, treedef: Any) -> list[str]:
    if treedef == _LEAF_DEF:
        return ["x0"]
    if isinstance(x0, dict) and treedef.num_leaves == len(x0):
        keys = sorted(x0)
        if all(tree_structure(x0[k]) == _LEAF_DEF for k in keys):
            return [f"x0[{k!r}]" for k in keys]
    return [f"leaf {i} of x0" for i in range(treedef.num_leaves)]


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
    _transforms: list = dataclasses.field(repr=False)
    _shapes: list = dataclasses.field(repr=False)
    _treedef: Any = dataclasses.field(repr=False)

    def to_constrained(self, u: np.ndarray) -> Any:
        """Map unconstrained vectors, shape ``batch + (d,)``, to a pytree of leaves
        ``batch + leaf.shape`` in the constrained space."""
        u = np.asarray(u, dtype=np.float64)
        batch = u.shape[:-1]
        out = []
        start = 0
        for t, shape in zip(self._transforms, self._shapes):
            size = int(np.prod(shape, dtype=np.int64))
            piece = u[..., start : start + size].reshape(batch + tuple(shape))
            out.append(np.asarray(t.forward(piece)))
            start += size
        return tree_unflatten(self._treedef, out)

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
        density pushed through the transform: ``log N(u) - log|dx/du|``.

        Returns
        -------
        float or ndarray, shape ``batch``
        """
        leaves = self._treedef.flatten_up_to(x)
        us = []
        log_jac = 0.0
        batch: tuple = ()
        for t, shape, leaf in zip(self._transforms, self._shapes, leaves):
            leaf = np.asarray(leaf, dtype=np.float64)
            nb = leaf.ndim - len(shape)
            if nb < 0 or leaf.shape[nb:] != tuple(shape):
                raise ValueError(
                    f"LaplaceResult.log_prob: expected a leaf of shape batch + {tuple(shape)}, "
                    f"got {leaf.shape}"
                )
            batch = leaf.shape[:nb]
            u = np.asarray(t.inverse(leaf))
            ldj = t.log_det_jacobian(u)
            if ldj is not None:
                log_jac = log_jac + np.sum(np.asarray(ldj).reshape(batch + (-1,)), axis=-1)
            us.append(u.reshape(batch + (-1,)))
        u = np.concatenate(us, axis=-1) if us else np.zeros(batch + (0,))
        d = self.mean.size
        r = (u - self.mean) @ self._chol_hessian  # ||L^T (u - mean)||^2 = (u-m)^T H (u-m)
        half_logdet_h = np.sum(np.log(np.diag(self._chol_hessian)))
        log_gauss = -0.5 * np.sum(r**2, axis=-1) - 0.5 * d * math.log(2 * math.pi) + half_logdet_h
        out = log_gauss - log_jac
        return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------------------------
# laplace
# --------------------------------------------------------------------------------------------


def laplace(
    log_prob: Callable,
    x0: Any,
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
    log_prob : callable
        ``log_prob(x, *args) -> scalar``, an (unnormalized) log density of a parameter pytree.
    x0 : pytree
        Starting point for the mode search, in the parameters' own (constrained) space.
    args : tuple, optional
        Extra arguments of ``log_prob``.
    constraints : pytree, optional
        ``None`` (all real), a single spec for every leaf, a pytree with the structure of ``x0``
        (for a dict ``x0``: a dict naming some of its keys) whose leaves are ``None``/``"real"``,
        ``"positive"`` (``x = exp(u)``) or ``("interval", low, high)``
        (``x = low + (high - low) sigmoid(u)``).
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
        If the Hessian at the mode is not positive definite, or ``x0`` violates a constraint.

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
    if not callable(log_prob):
        raise TypeError(f"laplace: expected a callable log_prob, got {type(log_prob).__name__}")
    if not isinstance(args, tuple):
        args = (args,)
    x0 = tree_map(lambda leaf: _float_leaf("laplace", leaf), x0)
    transforms = _parse_constraints(constraints, x0)
    leaves, treedef = tree_flatten(x0)
    names = _leaf_names(x0, treedef)
    u_leaves = []
    for t, leaf, name in zip(transforms, leaves, names):
        arr = np.asarray(leaf, dtype=np.float64)
        t.check(arr, name)
        u_leaves.append(np.asarray(t.inverse(arr), dtype=np.float64))
    u0 = tree_unflatten(treedef, u_leaves)
    shapes = [np.shape(leaf) for leaf in leaves]

    def log_density_u(u_tree: Any, *a: Any) -> Any:
        u_list = treedef.flatten_up_to(u_tree)
        xs = []
        total = 0.0
        for t, u in zip(transforms, u_list):
            xs.append(t.forward(u))
            ldj = t.log_det_jacobian(u)
            if ldj is not None:
                total = total + fnp.sum(ldj)
        return log_prob(tree_unflatten(treedef, xs), *a) + total

    def neg_log_density_u(u_tree: Any, *a: Any) -> Any:
        return -log_density_u(u_tree, *a)

    res = minimize(neg_log_density_u, u0, args, method=method, jit=jit, tol=tol, options=options)
    if not res.success:
        if res.status == -100 and not np.isfinite(res.fun):
            raise ValueError(f"laplace: the mode search failed: {res.message}")
        warnings.warn(
            f"laplace: the optimizer stopped without success ({res.message}); polishing the "
            "mode with Newton steps",
            RuntimeWarning,
            stacklevel=2,
        )
    _, unravel = ravel_pytree(u0)

    def flat_neg(u: Any) -> Any:
        return neg_log_density_u(unravel(u), *args)

    vg = _value_and_grad(flat_neg)
    hess_fn = _hessian(flat_neg)
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
            f"the mode {_describe(unravel(mean))}"
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

    mode_leaves, std_leaves, std_u_leaves = [], [], []
    start = 0
    for t, shape in zip(transforms, shapes):
        size = int(np.prod(shape, dtype=np.int64))
        u = mean[start : start + size].reshape(shape)
        su = std_u[start : start + size].reshape(shape)
        mode_leaves.append(np.asarray(t.forward(u), dtype=np.float64))
        std_leaves.append(np.abs(t.derivative(u)) * su)
        std_u_leaves.append(su)
        start += size
    return LaplaceResult(
        mode=tree_unflatten(treedef, mode_leaves),
        mean=mean,
        hessian=h,
        covariance=covariance,
        std=tree_unflatten(treedef, std_leaves),
        std_unconstrained=tree_unflatten(treedef, std_u_leaves),
        log_prob_at_mode=log_prob_at_mode,
        marginal_log_likelihood=evidence,
        optimize_result=res,
        unravel=unravel,
        _chol_hessian=chol,
        _transforms=transforms,
        _shapes=shapes,
        _treedef=treedef,
    )


def _symmetric(h: Any) -> np.ndarray:
    h = np.asarray(h, dtype=np.float64)
    return 0.5 * (h + h.T)


def _describe(tree: Any) -> str:
    with np.printoptions(threshold=12, precision=6):
        return repr(tree)
