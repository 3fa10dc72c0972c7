"""GLM fitting by Fisher scoring (iteratively reweighted least squares).

The objective is the penalised negative log-likelihood

    ``-sum_i w_i log p(y_i | eta_i) + l2 * ||b||_2^2``,  ``eta = X b + offset``,

(TFP's convention for the L2 penalty). Each step solves the weighted least-squares problem
``(X^T W X + 2 l2 I) b = X^T W z`` with ``W = w (dmu/deta)^2 / Var(y)`` and the working response
``z = eta - offset + (y - mu) / (dmu/deta)``, by Cholesky (lstsq with a warning where ``X^T W X``
is singular); a step that does not decrease the objective is halved.

The standard errors come from the Fisher information at the solution, rescaled by the dispersion
``phi``: Pearson's ``chi^2 / (sum(w) - rank(X))`` for the families with a free dispersion
(Normal, Gamma, InverseGaussian), as statsmodels' and R's ``glm`` default, the family's own
otherwise (``GLMResult.dispersion``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .families import Family

Array = Any

__all__ = ["GLMResult", "GLMRankWarning", "fit"]


class GLMRankWarning(RuntimeWarning):
    """The weighted normal equations of a GLM fit are singular; lstsq was used."""


@dataclass(frozen=True)
class GLMResult:
    """The result of :func:`fit` or :func:`fit_sparse`.

    Unpacks as TFP's four values: ``coefficients, linear_response, is_converged, iter = result``.

    Attributes
    ----------
    coefficients : ndarray, shape ``(p,)``
    linear_response : ndarray, shape ``(n,)``
        ``X @ coefficients + offset`` at the solution.
    is_converged : bool
    iter : int
        Outer iterations taken (Fisher scoring or proximal Newton steps).
    standard_errors : ndarray, shape ``(p,)``
        ``sqrt(diag(I^-1))`` with ``I = X^T W X / r + 2 l2 I_p`` the (penalised) Fisher
        information at the solution, ``W`` computed at the family's own dispersion and
        ``r = dispersion / model.dispersion`` (1 unless :func:`fit` estimated or was given
        another dispersion). For :func:`fit_sparse`, computed on the non-zero coefficients (the
        zeros get ``nan``) at the family's dispersion.
    log_likelihood : float
        ``sum_i w_i log p(y_i | eta_i)`` at the solution (no penalty), at the family's own
        dispersion.
    dispersion : float
        The dispersion ``phi`` (``Var(y | mu) = phi V(mu)``, statsmodels' ``scale``) behind the
        standard errors: by default in :func:`fit` Pearson's ``chi^2 / (sum(w) - rank(X))``
        for Normal, Gamma and InverseGaussian, the family's own (1) for the others; an array
        where the family's parameter is one.
    """

    coefficients: np.ndarray
    linear_response: np.ndarray
    is_converged: bool
    iter: int
    standard_errors: np.ndarray
    log_likelihood: float
    dispersion: Any = 1.0

    def __iter__(self):
        return iter((self.coefficients, self.linear_response, self.is_converged, self.iter))


def _as_float_array(caller: str, name: str, value: Any) -> np.ndarray:
    """``value`` as a float64 array, or a ``TypeError`` naming ``caller`` and ``name``."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{caller}: expected {name} to be an array of numbers, got "
                        f"{type(value).__name__} ({err})") from None


def _per_observation(
    caller: str, name: str, value: Any, default: float, n: int, expected: str
) -> np.ndarray:
    """An offset or weights: ``None`` (the default everywhere), a scalar, or shape ``(n,)``."""
    if value is None:
        return np.full(n, default)
    arr = _as_float_array(caller, name, value)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    ok = arr.shape == (n,) and bool(np.all(np.isfinite(arr)))
    # weights are frequency weights: a negative one has no meaning
    if ok and name == "weights":
        ok = not np.any(arr < 0)
    if not ok:
        what = " with negative or non-finite values" if arr.shape == (n,) else ""
        raise ValueError(
            f"{caller}: expected {expected} {name} of shape ({n},) or a scalar, "
            f"got shape {np.shape(value)}{what}"
        )
    return arr


def _validate(
    caller: str,
    model_matrix: Any,
    response: Any,
    model: Any,
    offset: Any,
    weights: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(model, type) and issubclass(model, Family):
        raise TypeError(
            f"{caller}: expected model to be a fluxion.glm family instance, got the class "
            f"{model.__name__}; call it: glm.{model.__name__}()"
        )
    if not isinstance(model, Family):
        raise TypeError(
            f"{caller}: expected model to be a fluxion.glm family (e.g. glm.Bernoulli()), "
            f"got {type(model).__name__}"
        )
    x = _as_float_array(caller, "model_matrix", model_matrix)
    if x.ndim != 2:
        raise ValueError(
            f"{caller}: expected model_matrix of shape (n, p), got shape {x.shape}"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(
            f"{caller}: expected a model_matrix with at least one row and one column, got "
            f"shape {x.shape}"
        )
    n = x.shape[0]
    y = _as_float_array(caller, "response", response)
    if y.shape != (n,):
        raise ValueError(
            f"{caller}: expected response of shape ({n},) to match model_matrix {x.shape}, "
            f"got shape {y.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{caller}: expected a finite model_matrix, got nan or inf entries")
    model.check_response(y, caller)
    off = _per_observation(caller, "offset", offset, 0.0, n, "a finite")
    w = _per_observation(caller, "weights", weights, 1.0, n, "non-negative finite")
    return x, y, off, w


def _check_penalty(caller: str, name: str, value: Any) -> float:
    if value is None:
        return 0.0
    if np.ndim(value) != 0:
        raise TypeError(f"{caller}: expected {name} to be a non-negative float, got an array "
                        f"of shape {np.shape(value)}; for per-coefficient penalties pass one "
                        f"value and penalty_factor")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{caller}: expected {name} to be a non-negative float, "
                        f"got {value!r}") from None
    if not np.isfinite(v):
        raise ValueError(f"{caller}: expected a finite {name} >= 0, got {value!r}")
    if v < 0:
        raise ValueError(f"{caller}: expected {name} >= 0, got {value!r}")
    return v


def _check_count(caller: str, name: str, value: Any) -> int:
    """A positive int argument (``max_iterations``, ``max_full_sweeps``)."""
    ok = isinstance(value, int | np.integer | float | np.floating) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or int(value) != value or value < 1:
        raise ValueError(f"{caller}: expected {name} >= 1 (an int), got {value!r}")
    return int(value)


def _check_iterations(caller: str, max_iterations: Any, tolerance: Any) -> tuple[int, float]:
    max_iterations = _check_count(caller, "max_iterations", max_iterations)
    try:
        tol = float(tolerance)
    except (TypeError, ValueError):
        raise TypeError(f"{caller}: expected tolerance to be a positive float, "
                        f"got {tolerance!r}") from None
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"{caller}: expected tolerance > 0, got {tolerance!r}")
    return max_iterations, tol


def _check_start(caller: str, start: Any, p: int) -> np.ndarray:
    """``model_coefficients_start`` as a finite float array of shape ``(p,)``."""
    b = np.asarray(start, dtype=np.float64)
    if b.shape != (p,) or not np.all(np.isfinite(b)):
        raise ValueError(f"{caller}: expected finite model_coefficients_start of shape ({p},), "
                         f"got shape {b.shape}")
    return b


def _working(model: Family, y: np.ndarray, eta: np.ndarray, w: np.ndarray):
    """Fisher weights and the score residual: ``W = w dmu^2 / var``, ``r = w dmu (y - mu) / var``.

    ``X^T r`` is the gradient of the log-likelihood; ``X^T W X`` its Fisher information.
    """
    mu, var, dmu = (np.asarray(a, dtype=np.float64) for a in model.moments(eta))
    # W_i = w_i (dmu/deta)^2 / Var(y_i)
    fisher_w = w * dmu * dmu / var
    # d/deta log p(y | eta) = (y - mu) / Var * dmu/deta
    score = w * (y - mu) * dmu / var
    # a mean saturated at the edge of the support (Var underflowed to 0, as for separable
    # logistic data) carries no information: weight 0, not 0/0
    saturated = (var == 0.0) & ~(np.isfinite(fisher_w) & np.isfinite(score))
    if np.any(saturated):
        fisher_w = np.where(saturated, 0.0, fisher_w)
        score = np.where(saturated, 0.0, score)
    return fisher_w, score


def _working_checked(
    caller: str, model: Family, y: np.ndarray, eta: np.ndarray, w: np.ndarray, it: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_working` inside a solver's loop: a non-finite weight or score is an error there.

    Raises ``FloatingPointError`` naming ``caller`` and the iteration ``it``.
    """
    with np.errstate(all="ignore"):
        fisher_w, score = _working(model, y, eta, w)
    if not (np.all(np.isfinite(fisher_w)) and np.all(np.isfinite(score))):
        raise FloatingPointError(
            f"{caller}: non-finite working weights at iteration {it} (the mean left the "
            f"family's domain; try another link or model_coefficients_start)"
        )
    return fisher_w, score


def _log_likelihood(model: Family, y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    lp = np.asarray(model.log_prob(y, eta), dtype=np.float64)
    # a zero weight drops the observation even where its log-likelihood is -inf
    return float(np.sum(np.where(w > 0, w * lp, 0.0)))


def _solve_spd(a: np.ndarray, b: np.ndarray, caller: str) -> np.ndarray:
    """Solve ``a x = b`` for symmetric PSD ``a``: Cholesky, or lstsq with a warning."""
    try:
        c, lower = scipy.linalg.cho_factor(a, lower=True, check_finite=False)
        d = np.abs(np.diag(c))
        # a numerically singular a can still factor; its pivots betray it
        if d.min() > np.sqrt(np.finfo(np.float64).eps) * d.max():
            return scipy.linalg.cho_solve((c, lower), b, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        pass
    warnings.warn(
        f"{caller}: the weighted normal equations are singular or nearly so (rank-deficient "
        f"model_matrix?); solving by least squares (minimum-norm solution)",
        GLMRankWarning, stacklevel=3,
    )
    return np.linalg.lstsq(a, b, rcond=None)[0]


def _standard_errors(info: np.ndarray) -> np.ndarray:
    try:
        c = scipy.linalg.cho_factor(info, lower=True, check_finite=False)
        inv = scipy.linalg.cho_solve(c, np.eye(info.shape[0]), check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        inv = np.linalg.pinv(info)
    return np.sqrt(np.maximum(np.diag(inv), 0.0))


def _initial_eta(model: Family, y: np.ndarray, off: np.ndarray) -> np.ndarray:
    mu0 = model.initial_mean(y)
    with np.errstate(all="ignore"):
        eta0 = np.asarray(model.link.link(mu0), dtype=np.float64)
    if not np.all(np.isfinite(eta0)):
        eta0 = np.where(np.isfinite(eta0), eta0, 0.0)
    return eta0


def _rank(x: np.ndarray, info: np.ndarray) -> int:
    """``rank(X)``: ``p`` when the Fisher information factors cleanly, else by SVD."""
    p = info.shape[0]
    try:
        c = np.linalg.cholesky(info)
        d = np.abs(np.diag(c))
        if d.min() > np.sqrt(np.finfo(np.float64).eps) * d.max():
            return p
    except np.linalg.LinAlgError:
        pass
    return int(np.linalg.matrix_rank(x))


def _check_dispersion(caller: str, dispersion: Any, model: Family) -> str | float:
    """``fit``'s ``dispersion`` argument as ``"pearson"``, ``"family"`` or a positive float."""
    if dispersion is None:
        return "pearson" if model.free_dispersion else "family"
    if isinstance(dispersion, str):
        if dispersion not in ("pearson", "family"):
            raise ValueError(f"{caller}: expected dispersion to be None, 'pearson', 'family' "
                             f"or a positive float, got {dispersion!r}")
        return dispersion
    try:
        value = float(dispersion)
    except (TypeError, ValueError):
        raise TypeError(f"{caller}: expected dispersion to be None, 'pearson', 'family' or a "
                        f"positive float, got {dispersion!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{caller}: expected dispersion > 0, got {dispersion!r}")
    return value


def _dispersion_ratio(
    caller: str,
    how: str | float,
    model: Family,
    y: np.ndarray,
    eta: np.ndarray,
    w: np.ndarray,
    rank: int,
) -> Any:
    """``r = phi / model.dispersion``: the factor that rescales the family's Fisher weights.

    Pearson's estimate: ``phi_hat = sum_i w_i (y_i - mu_i)^2 / V(mu_i) / (sum(w) - rank)``
    (McCullagh & Nelder 1989, sec. 2.5; statsmodels' default ``scale``). With the family's
    variance ``Var_i = phi_0 V(mu_i)`` this is ``r = sum_i w_i (y_i - mu_i)^2 / Var_i / df``.
    """
    if how == "family":
        return 1.0
    if how != "pearson":
        return float(how) / np.asarray(model.dispersion, dtype=np.float64)
    df = float(np.sum(w)) - rank
    if df <= 0:
        warnings.warn(
            f"{caller}: no residual degrees of freedom (sum(weights) = {np.sum(w):g}, "
            f"rank(model_matrix) = {rank}); the Pearson dispersion and the standard errors "
            f"are nan (pass dispersion='family' or a value)",
            RuntimeWarning, stacklevel=3,
        )
        return np.nan
    with np.errstate(all="ignore"):
        mu, var, _ = (np.asarray(a, dtype=np.float64) for a in model.moments(eta))
        pearson = np.where(w > 0, w * (y - mu) ** 2 / var, 0.0)
    return float(np.sum(pearson)) / df


def _fisher_scoring(
    caller: str,
    normal_equations: Callable[[Any, int], tuple[np.ndarray, np.ndarray]],
    evaluate: Callable[[np.ndarray], tuple[float, Any]],
    b: np.ndarray | None,
    state: Any,
    current: float,
    l2: float,
    max_iterations: int,
    tolerance: float,
) -> tuple[np.ndarray, Any, bool, int]:
    """Fisher scoring (IRLS) with step halving: the loop of :func:`fit` and ``fit_sharded``.

    ``normal_equations(state, it)`` returns the unpenalised ``X^T W X`` and ``X^T W z`` at the
    current point; ``evaluate(b)`` returns the objective (``-log p + l2 |b|^2``, ``inf`` where
    not finite) and the point's state (``fit``: the linear predictor; ``fit_sharded``: ``b``,
    which the workers evaluate). ``b`` is None for a start from the family's initial mean
    (``state`` then describes it, and the first step is taken whatever its objective).

    A step that does not decrease the objective beyond rounding is halved, up to 40 times; if
    none does, ``b`` is optimal to working precision when the full Fisher step was small
    (``sqrt(tolerance)``). Converged when ``|b_new - b| <= tolerance * max(|b_new|, 1)``.
    Returns ``(b, state, converged, iterations)``.
    """
    converged = False
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007
        info, rhs = normal_equations(state, it)
        info[np.diag_indices(info.shape[0])] += 2.0 * l2
        b_new = _solve_spd(info, rhs, caller)
        value, new_state = evaluate(b_new)
        if b is not None:
            halvings = 0
            # a change within rounding of the objective counts as no increase: near the optimum
            # the objective cannot resolve the last digits the Fisher step still gains
            slack = 64.0 * np.finfo(np.float64).eps * abs(current)
            while not value <= current + slack and halvings < 40:
                b_new = 0.5 * (b + b_new)
                value, new_state = evaluate(b_new)
                halvings += 1
            if not value <= current + slack:
                full_step = float(np.linalg.norm(b_new - b)) * 2.0**halvings
                converged = full_step <= np.sqrt(tolerance) * max(float(np.linalg.norm(b)), 1.0)
                break
        step = np.inf if b is None else float(np.linalg.norm(b_new - b))
        b, state, current = b_new, new_state, value
        if step <= tolerance * max(float(np.linalg.norm(b)), 1.0):
            converged = True
            break
    return b, state, converged, it


def fit(
    model_matrix: Any,
    response: Any,
    model: Family,
    *,
    offset: Any = None,
    weights: Any = None,
    l2_regularizer: Any = None,
    model_coefficients_start: Any = None,
    max_iterations: int = 100,
    tolerance: float = 1e-10,
    dispersion: Any = None,
) -> GLMResult:
    """Fit a generalized linear model by Fisher scoring (IRLS).

    Maximises ``sum_i w_i log p(y_i | eta_i) - l2 ||b||_2^2`` over ``b``, with
    ``eta = model_matrix @ b + offset``.

    Parameters
    ----------
    model_matrix : array_like, shape ``(n, p)``
        The design matrix ``X`` (include a column of ones for an intercept).
    response : array_like, shape ``(n,)``
        Observations ``y``, in the family's support.
    model : Family
        A family from :mod:`fluxion.glm` (``Bernoulli()``, ``Poisson()``, ...).
    offset : array_like, shape ``(n,)`` or scalar, optional
        Added to the linear predictor (e.g. ``log(exposure)`` for a Poisson rate).
    weights : array_like, shape ``(n,)``, optional
        Non-negative observation weights (frequency weights) multiplying each log-likelihood
        term.
    l2_regularizer : float, optional
        Ridge penalty ``l2 * ||b||_2^2`` (TFP's convention); all coefficients are penalised.
    model_coefficients_start : array_like, shape ``(p,)``, optional
        A starting point; by default the first step starts from the family's initial mean.
    max_iterations : int, default 100
    tolerance : float, default 1e-10
        Stop when ``||b_new - b||_2 <= tolerance * max(||b_new||_2, 1)``.
    dispersion : None, ``"pearson"``, ``"family"`` or float, optional
        The dispersion ``phi`` (``Var(y | mu) = phi V(mu)``) behind the standard errors; it
        does not change the coefficients. ``None`` (default): Pearson's estimate for the
        families with a free dispersion (Normal, Gamma, InverseGaussian), the family's own for
        the others, as statsmodels' and R's default. ``"pearson"``: always estimate it (a
        quasi-likelihood fit of over-dispersed counts). ``"family"``: the family's parameters
        as given (``Normal.scale ** 2``, ``1 / Gamma.concentration``, ...). A float: that
        ``phi`` (statsmodels' ``scale=``).

    Returns
    -------
    GLMResult
        ``coefficients`` (p,), ``linear_response`` (n,), ``is_converged``, ``iter``,
        ``standard_errors`` (p,), ``log_likelihood``, ``dispersion``; unpacks into the first
        four.

    Raises
    ------
    TypeError
        ``model`` is not a family.
    ValueError
        Shapes that do not match, a response outside the family's support, negative weights or
        ``l2_regularizer``.

    Warns
    -----
    GLMRankWarning
        The weighted normal equations are singular (least squares used).

    See Also
    --------
    fit_sparse : L1 + L2 (elastic-net) penalised fit.

    Notes
    -----
    The coefficients of an unpenalised fit do not depend on the dispersion; the standard
    errors are ``sqrt(diag((X^T W X)^-1) * phi / phi_0)`` with ``W`` the Fisher weights at the
    family's dispersion ``phi_0`` (``model.dispersion``). Pearson's estimate is
    ``phi = sum_i w_i (y_i - mu_i)^2 / V(mu_i) / (sum(w) - rank(X))``, statsmodels'
    ``GLM.fit().scale`` (weights as its ``freq_weights``). With ``l2_regularizer`` the penalty
    is added to the information rescaled by ``phi_0 / phi``, and the coefficients themselves
    depend on ``phi_0`` (the penalty is weighed against ``log p`` at the family's dispersion).

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion import glm
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(200), rng.normal(size=200)])
    >>> y = rng.poisson(np.exp(0.5 + 0.3 * x[:, 1])).astype(float)
    >>> res = glm.fit(x, y, glm.Poisson())
    >>> bool(res.is_converged), res.coefficients.shape
    (True, (2,))
    """
    caller = "glm.fit"
    x, y, off, w = _validate(caller, model_matrix, response, model, offset, weights)
    l2 = _check_penalty(caller, "l2_regularizer", l2_regularizer)
    max_iterations, tolerance = _check_iterations(caller, max_iterations, tolerance)
    how = _check_dispersion(caller, dispersion, model)
    p = x.shape[1]

    def objective(eta: np.ndarray, b: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = -_log_likelihood(model, y, eta, w) + l2 * float(b @ b)
        return value if np.isfinite(value) else np.inf

    def normal_equations(eta: np.ndarray, it: int) -> tuple[np.ndarray, np.ndarray]:
        fisher_w, score = _working_checked(caller, model, y, eta, w, it)
        # X^T W z with z = eta - offset + score / W, i.e. X^T (W (eta - offset) + score)
        return x.T @ (x * fisher_w[:, None]), x.T @ (fisher_w * (eta - off) + score)

    def evaluate(b: np.ndarray) -> tuple[float, np.ndarray]:
        eta = x @ b + off
        return objective(eta, b), eta

    if model_coefficients_start is None:
        b = None
        eta = _initial_eta(model, y, off)
        current = np.inf  # the starting mean is not tied to a b: accept the first step
    else:
        b = _check_start(caller, model_coefficients_start, p)
        current, eta = evaluate(b)
    b, eta, converged, it = _fisher_scoring(
        caller, normal_equations, evaluate, b, eta, current, l2, max_iterations, tolerance
    )

    with np.errstate(all="ignore"):
        fisher_w, _ = _working(model, y, eta, w)
    info = x.T @ (x * fisher_w[:, None])
    ratio = _dispersion_ratio(caller, how, model, y, eta, w, _rank(x, info))
    # the Fisher weights scale as 1 / phi: I(phi) = X^T W(phi_0) X phi_0 / phi
    info = x.T @ (x * (fisher_w / ratio)[:, None]) if np.ndim(ratio) else info / ratio
    info[np.diag_indices(p)] += 2.0 * l2
    if np.all(np.isfinite(info)):
        se = _standard_errors(info)
    else:
        se = np.full(p, np.nan)
    phi = np.asarray(model.dispersion, dtype=np.float64) * ratio
    return GLMResult(
        coefficients=b,
        linear_response=eta,
        is_converged=converged,
        iter=it,
        standard_errors=se,
        log_likelihood=_log_likelihood(model, y, eta, w),
        dispersion=float(phi) if np.ndim(phi) == 0 else phi,
    )
