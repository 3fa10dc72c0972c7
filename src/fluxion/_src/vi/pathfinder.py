"""Pathfinder: Gaussian approximations along an L-BFGS path (single- and multi-path).

Zhang, Carpenter, Gelman & Vehtari (2022), "Pathfinder: Parallel quasi-Newton variational
inference", JMLR 23(306). In the unconstrained space of the model (``infer.UnconstrainedModel``:
the density of ``u`` is ``log_prob(forward(u)) + log|det J_forward(u)|``):

1. L-BFGS maximizes ``log p(u)`` from a random start; every iterate ``u_l`` and its gradient
   ``g_l = grad log p(u_l)`` are kept (the optimization *path*).
2. At each iterate the L-BFGS inverse-Hessian estimate ``H_l = diag(alpha_l) + beta_l gamma_l
   beta_l^T`` (the paper's Algorithm 3: a diagonal from Gilbert & Lemarechal's update, plus the
   compact low-rank correction of Byrd, Nocedal & Schnabel 1994 from the last ``J`` pairs
   ``(s, y)`` that pass the curvature test) gives a Gaussian ``q_l = N(u_l + H_l g_l, H_l)``:
   one Newton step from ``u_l``, the local covariance ``H_l``.
3. ``K`` draws from each ``q_l`` estimate its ELBO ``E_q[log p - log q]`` (Algorithm 4 samples
   ``q_l`` in ``O(n J^2)`` with a thin QR factorization when ``2J < n``); the iterate with the
   highest ELBO is kept and ``M`` draws are taken from it, with their ``log q``.

Multi-path Pathfinder (the paper's Algorithm 2) runs several single paths from independent
starts, pools their draws and importance-resamples them with Pareto-smoothed weights
(``vi.psis``, Vehtari et al. 2024); the pooled Pareto k-hat says how far the mixture of
Gaussians is from the target.

The optimizer is SciPy's L-BFGS-B (no bounds) with ``maxcor = history_size``: a tested
implementation with a Wolfe line search; its ``callback`` reports each accepted iterate, and the
gradient there is the one already computed by the line search (memoized), so recording the path
costs no extra evaluation. The inverse-Hessian factors are rebuilt here from the recorded
``(s, y)`` pairs, as the paper does, so they do not depend on SciPy's internal state.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..infer.model import UnconstrainedModel, pointwise_log_likelihood, resolve_model
from ..mcmc.result import SampleResult
from .psis import psis

__all__ = ["PathfinderResult", "pathfinder", "multi_pathfinder"]

_LOG_2PI = math.log(2.0 * math.pi)
# Stan's defaults: tol_rel_obj = 1e4 (in units of machine epsilon), tol_grad = 1e-8
_FTOL = 1e4 * np.finfo(np.float64).eps
_GTOL = 1e-8
_START_TRIES = 100  # Stan's number of tries for a random start with a finite density


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class PathfinderResult:
    """Draws from a Pathfinder approximation and how it was found.

    Attributes
    ----------
    draws : dict of str to ndarray
        Parameter name -> draws of shape ``(n, *param_shape)``, constrained space.
    draws_unconstrained : ndarray, shape ``(n, dim)``
        The same draws in the unconstrained space (flat, in the order of the parameters).
    log_p : ndarray, shape ``(n,)``
        The unconstrained log density ``log_prob(forward(u)) + log|det J|`` at each draw
        (``-inf`` where it is not finite).
    log_q : ndarray, shape ``(n,)``
        The approximation's log density at each draw (for multi-path Pathfinder: the density
        of the Gaussian of the path that drew it).
    elbo : ndarray
        Single path: the ELBO estimate at each iterate ``1..L`` of the path, shape ``(L,)``.
        Multi-path: the best ELBO of each path, shape ``(num_paths,)``.
    best_iteration : int or ndarray
        The iterate whose Gaussian was kept (``0`` is the start): an int for a single path, one
        per path, shape ``(num_paths,)``, for multi-path Pathfinder.
    mean : ndarray, shape ``(dim,)`` or ``(num_paths, dim)``
        The kept Gaussian's mean ``u_l + H_l g_l`` (one per path for multi-path Pathfinder).
    num_gradient_evals : int
        Log-density-and-gradient evaluations of the optimizer(s).
    num_logp_evals : int
        Log-density evaluations (no gradient) for the ELBO estimates and the kept draws.
    pareto_k : float
        Pareto k-hat of the importance ratios ``p / q`` of the draws (pooled over the paths for
        multi-path Pathfinder): below ~0.7 the approximation is usable for importance
        sampling; far above it, use the draws only as starting points.
    elapsed : float
        Wall time in seconds (compilation included).
    path : ndarray, shape ``(L + 1, dim)``
        The L-BFGS iterates (single path; for multi-path see ``paths``).
    message : str
        The optimizer's stopping message (single path).
    paths : list of PathfinderResult
        Multi-path Pathfinder: each path's own result (its draws before resampling); empty for
        a single path.
    """

    draws: dict
    draws_unconstrained: np.ndarray
    log_p: np.ndarray
    log_q: np.ndarray
    elbo: np.ndarray
    best_iteration: Any
    mean: np.ndarray
    num_gradient_evals: int
    num_logp_evals: int
    pareto_k: float
    elapsed: float
    path: np.ndarray
    message: str
    paths: list = dataclasses.field(default_factory=list, repr=False)
    _model: UnconstrainedModel | None = dataclasses.field(default=None, repr=False)
    _spec: Any = dataclasses.field(default=None, repr=False)
    _gaussian: Any = dataclasses.field(default=None, repr=False)

    @property
    def covariance(self) -> np.ndarray:
        """The kept Gaussian's covariance ``H_l`` (dense), shape ``(dim, dim)``; single path
        only (for multi-path Pathfinder see ``paths[i].covariance``)."""
        if self._gaussian is None:
            raise ValueError(
                "PathfinderResult.covariance: a multi-path result holds one Gaussian per path; "
                "use result.paths[i].covariance"
            )
        return self._gaussian.covariance()

    def to_sample_result(self) -> SampleResult:
        """The draws as a one-chain ``fluxion.mcmc.SampleResult`` (``kernel="pathfinder"``), so
        that ``summary()``, ``to_arviz()`` and the plots work on them.

        Returns
        -------
        SampleResult
            ``draws`` of shape ``(1, n, *param_shape)``; ``stats`` holds ``log_density``
            (``log p``) and ``log_q``, shape ``(1, n)``. For a model with observed variables
            (a conditioned joint distribution) the pointwise log-likelihood and the observed
            data are filled in as ``sample`` does. R-hat of a single chain of independent
            draws is not a convergence diagnostic here.
        """
        draws = {k: np.asarray(v)[None] for k, v in self.draws.items()}
        stats = {"log_density": self.log_p[None].copy(), "log_q": self.log_q[None].copy()}
        res = SampleResult(
            draws, stats, {}, [], self.elapsed, "pathfinder", adaptation=["none"], metric="none"
        )
        if self._spec is not None:
            res.log_likelihood = pointwise_log_likelihood(self._spec, draws)
            res.observed_data = dict(self._spec.observed)
        return res

    def init_for_chains(self, chains: int, seed: int | np.random.Generator | None = None) -> list:
        """``chains`` distinct draws as start values for MCMC chains (constrained space).

        Parameters
        ----------
        chains : int
            How many starts.
        seed : int or numpy.random.Generator, optional
            Which draws are picked.

        Returns
        -------
        list of pytree
            ``chains`` start values, each with the structure of the model's ``init`` (a dict
            by free variable name for a joint model), for
            ``fluxion.mcmc.sample(model, chains=n, chain_inits=starts,
            inverse_metric=result.inverse_metric())``.

        Raises
        ------
        ValueError
            ``chains`` is not a positive integer, or the draws hold fewer distinct finite
            points than ``chains``.
        """
        if isinstance(chains, bool) or not isinstance(chains, int | np.integer) or chains < 1:
            raise ValueError(f"init_for_chains: expected chains >= 1, got {chains!r}")
        ok = np.isfinite(self.log_p)
        candidates = np.unique(self.draws_unconstrained[ok], axis=0)
        if candidates.shape[0] < chains:
            raise ValueError(
                f"init_for_chains: the result holds {candidates.shape[0]} distinct draws with a "
                f"finite density, fewer than the {chains} chains asked for; draw more "
                "(num_draws) or resample without replacement"
            )
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        pick = rng.choice(candidates.shape[0], size=int(chains), replace=False)
        assert self._model is not None
        return [self._model.constrain_tree(candidates[i]) for i in pick]

    def inverse_metric(self) -> np.ndarray:
        """The variance of the unconstrained draws, shape ``(dim,)``: a diagonal inverse mass
        matrix for ``fluxion.mcmc.sample(inverse_metric=...)``."""
        u = self.draws_unconstrained[np.isfinite(self.log_p)]
        return np.var(u, axis=0, ddof=1)


# --------------------------------------------------------------------------------------------
# The L-BFGS inverse Hessian (Algorithm 3) and its Gaussian (Algorithm 4)
# --------------------------------------------------------------------------------------------


def _gilbert_diagonal(alpha: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gilbert & Lemarechal (1989) eq. 4.9: the diagonal of the BFGS update of
    ``diag(1/alpha)`` after Oren-Luenberger scaling by ``a/b``:
    ``1/alpha' = (a/b) (1/alpha - (s/alpha)^2 / c) + y^2 / b`` with ``a = y' diag(alpha) y``,
    ``b = y's``, ``c = s' diag(alpha)^-1 s``. The diagonal of a positive definite BFGS update,
    so positive whenever ``b > 0``."""
    a = float(y @ (alpha * y))
    b = float(y @ s)
    c = float(s @ (s / alpha))
    return b / (a / alpha + y * y - (a / c) * (s / alpha) ** 2)


def _compact_factors(
    alpha: np.ndarray, s_hist: np.ndarray, y_hist: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(beta, gamma)`` with ``H = diag(alpha) + beta gamma beta'`` the L-BFGS inverse Hessian
    from the pairs in the columns of ``s_hist``, ``y_hist`` (shape ``(n, m)``, oldest first)
    and ``H0 = diag(alpha)`` (Byrd, Nocedal & Schnabel 1994, eq. 3.1; the paper's Algorithm 3):

    ``beta = [H0 Y, S]``, ``gamma = [[0, -R^-1], [-R^-T, R^-T (D + Y' H0 Y) R^-1]]`` with
    ``R = triu(S' Y)`` and ``D = diag(S' Y)``."""
    import scipy.linalg

    n, m = s_hist.shape
    if m == 0:
        return np.zeros((n, 0)), np.zeros((0, 0))
    sty = s_hist.T @ y_hist
    r = np.triu(sty)
    r_inv = scipy.linalg.solve_triangular(r, np.eye(m))
    h0y = alpha[:, None] * y_hist
    middle = np.diag(np.diag(sty)) + y_hist.T @ h0y
    beta = np.concatenate([h0y, s_hist], axis=1)
    gamma = np.zeros((2 * m, 2 * m))
    gamma[:m, m:] = -r_inv
    gamma[m:, :m] = -r_inv.T
    gamma[m:, m:] = r_inv.T @ middle @ r_inv
    return beta, gamma


def lbfgs_inverse_hessian(alpha: np.ndarray, s_hist: np.ndarray, y_hist: np.ndarray) -> np.ndarray:
    """The dense L-BFGS inverse Hessian ``diag(alpha) + beta gamma beta'`` (for tests and
    small problems); ``s_hist``, ``y_hist`` of shape ``(n, m)``, oldest pair first."""
    beta, gamma = _compact_factors(alpha, s_hist, y_hist)
    return np.diag(alpha) + beta @ gamma @ beta.T


class _Gaussian:
    """``N(theta + H g, H)`` with ``H = diag(alpha) + beta gamma beta'`` (Algorithm 4).

    When ``2m >= n`` the dense ``H`` is factored (Cholesky); otherwise the thin QR of
    ``diag(alpha)^-1/2 beta = Q R`` and the Cholesky factor ``Lt`` of ``I + R gamma R'`` give
    ``H = A A'`` with ``A = diag(alpha)^1/2 (Q (Lt - I) Q' + I)`` at ``O(n m^2)`` cost, and
    ``log det H = sum log alpha + 2 sum log diag Lt``."""

    def __init__(
        self, theta: np.ndarray, g: np.ndarray, alpha: np.ndarray, beta: np.ndarray,
        gamma: np.ndarray,
    ) -> None:
        self.n = theta.size
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        # mean: one quasi-Newton step, theta + H g (g is the gradient of log p: an ascent)
        self.mean = theta + alpha * g + beta @ (gamma @ (beta.T @ g))
        self.dense = beta.shape[1] >= self.n
        if self.dense:
            h = np.diag(alpha) + beta @ gamma @ beta.T
            self.chol = np.linalg.cholesky(0.5 * (h + h.T))
            self.log_det = 2.0 * float(np.sum(np.log(np.diag(self.chol))))
        else:
            sqrt_alpha = np.sqrt(alpha)
            q, r = np.linalg.qr(beta / sqrt_alpha[:, None])
            inner = np.eye(r.shape[0]) + r @ gamma @ r.T
            self.q = q
            self.l_tilde = np.linalg.cholesky(0.5 * (inner + inner.T))
            self.sqrt_alpha = sqrt_alpha
            self.log_det = float(np.sum(np.log(alpha))) + 2.0 * float(
                np.sum(np.log(np.diag(self.l_tilde)))
            )
        if not np.isfinite(self.log_det) or not np.all(np.isfinite(self.mean)):
            raise np.linalg.LinAlgError("the approximation is not finite")

    def transform(self, z: np.ndarray) -> np.ndarray:
        """Standard normal ``z`` of shape ``(k, n)`` -> draws ``mean + A z``."""
        if self.dense:
            return self.mean + z @ self.chol.T
        qz = z @ self.q  # (k, 2m)
        inner = qz @ (self.l_tilde - np.eye(self.l_tilde.shape[0])).T @ self.q.T
        return self.mean + (inner + z) * self.sqrt_alpha

    def log_q(self, z: np.ndarray) -> np.ndarray:
        """``log q`` at ``mean + A z``: ``-(log det H + z'z + n log 2 pi) / 2``."""
        return -0.5 * (self.log_det + np.sum(z * z, axis=1) + self.n * _LOG_2PI)

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """``log q`` at arbitrary points ``x`` of shape ``(k, n)``: ``z = A^-1 (x - mean)``,
        with ``A^-1 = (Q (Lt^-1 - I) Q' + I) diag(alpha)^-1/2`` in the thin-QR case (``Q`` has
        orthonormal columns, so ``(I + Q B Q')^-1 = I + Q ((I + B)^-1 - I) Q'``)."""
        import scipy.linalg

        r = np.atleast_2d(x) - self.mean
        if self.dense:
            z = scipy.linalg.solve_triangular(self.chol, r.T, lower=True).T
        else:
            w = r / self.sqrt_alpha
            m = self.l_tilde.shape[0]
            inv_l = scipy.linalg.solve_triangular(self.l_tilde, np.eye(m), lower=True)
            z = w + (w @ self.q) @ (inv_l - np.eye(m)).T @ self.q.T
        return self.log_q(z)

    def covariance(self) -> np.ndarray:
        h = np.diag(self.alpha) + self.beta @ self.gamma @ self.beta.T
        return 0.5 * (h + h.T)


def _inverse_hessians(
    positions: np.ndarray, grads: np.ndarray, history_size: int, eps: float = 1e-12
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(alpha_l, S_l, Y_l)`` for the iterates ``l = 1..L`` (Algorithm 3).

    ``s = u_l - u_{l-1}``, ``y = g_{l-1} - g_l`` (the change of the gradient of ``-log p``);
    a pair enters the history (at most ``history_size``, oldest dropped) and updates the
    diagonal only when the curvature condition ``s'y > eps |y|^2`` holds, which keeps every
    ``H_l`` positive definite."""
    n = positions.shape[1]
    alpha = np.ones(n)
    s_list: collections.deque = collections.deque(maxlen=history_size)
    y_list: collections.deque = collections.deque(maxlen=history_size)
    out = []
    for pos in range(1, positions.shape[0]):
        s = positions[pos] - positions[pos - 1]
        y = grads[pos - 1] - grads[pos]
        if float(s @ y) > eps * float(y @ y):
            candidate = _gilbert_diagonal(alpha, s, y)
            if np.all(np.isfinite(candidate)) and np.all(candidate > 0):
                alpha = candidate
                s_list.append(s)
                y_list.append(y)
        s_hist = np.array(s_list).T.reshape(n, len(s_list))
        y_hist = np.array(y_list).T.reshape(n, len(y_list))
        out.append((alpha.copy(), s_hist, y_hist))
    return out


# --------------------------------------------------------------------------------------------
# The optimization path
# --------------------------------------------------------------------------------------------


class _Counter:
    """The model's value-and-gradient of ``log p`` with a count and a memo of recent points."""

    def __init__(self, model: UnconstrainedModel) -> None:
        self.logp_and_grad = model.logp_and_grad
        self.count = 0
        self.memo: collections.OrderedDict = collections.OrderedDict()

    def __call__(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        self.count += 1
        lp, g = self.logp_and_grad(u)
        lp, g = float(lp), np.asarray(g, dtype=np.float64).copy()
        self.memo[u.tobytes()] = (lp, g)
        if len(self.memo) > 64:
            self.memo.popitem(last=False)
        return lp, g

    def lookup(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        hit = self.memo.get(u.tobytes())
        return hit if hit is not None else self(u)


def _lbfgs_path(
    counter: _Counter, u0: np.ndarray, lp0: float, g0: np.ndarray, history_size: int,
    max_iters: int, ftol: float, gtol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Maximize ``log p`` from ``u0`` with L-BFGS; every accepted iterate, its ``log p`` and
    gradient (shapes ``(L + 1, n)``, ``(L + 1,)``, ``(L + 1, n)``) and the stopping message."""
    import scipy.optimize

    positions, values, grads = [u0.copy()], [lp0], [g0.copy()]

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        lp, g = counter(np.array(u, dtype=np.float64))
        if not (math.isfinite(lp) and np.all(np.isfinite(g))):
            return math.inf, np.zeros_like(u)  # outside the support: the line search backs off
        return -lp, -g

    def record(xk: np.ndarray) -> None:
        u = np.array(xk, dtype=np.float64)
        lp, g = counter.lookup(u)
        if math.isfinite(lp) and np.all(np.isfinite(g)):
            positions.append(u)
            values.append(lp)
            grads.append(g)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf - inf in a failed line search
        res = scipy.optimize.minimize(
            objective, u0, jac=True, method="L-BFGS-B", callback=record,
            options={"maxiter": max_iters, "maxcor": history_size, "ftol": ftol, "gtol": gtol},
        )
    return np.array(positions), np.array(values), np.array(grads), str(res.message)


# --------------------------------------------------------------------------------------------
# One path
# --------------------------------------------------------------------------------------------


class _Evaluator:
    """``log p`` of many unconstrained points at once (the model's jitted ``vmap``), falling
    back to one point at a time for a density that does not batch; non-finite -> ``-inf``."""

    def __init__(self, model: UnconstrainedModel) -> None:
        self.model = model
        self.batched = True
        self.count = 0

    def __call__(self, u: np.ndarray) -> np.ndarray:
        self.count += u.shape[0]
        out = None
        if self.batched:
            try:
                with np.errstate(all="ignore"):
                    out = np.asarray(self.model.batch_logp(u), dtype=np.float64).reshape(-1)
            except Exception:  # a density vmap cannot batch: one draw at a time
                self.batched = False
        if out is None:
            logp = self.model.logp
            rows = []
            for row in u:
                try:
                    with np.errstate(all="ignore"):
                        rows.append(float(logp(row)))
                except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                    rows.append(-math.inf)
            out = np.array(rows)
        return np.where(np.isfinite(out), out, -math.inf)


@dataclasses.dataclass
class _PathOutput:
    u: np.ndarray
    log_p: np.ndarray
    log_q: np.ndarray
    elbo: np.ndarray
    best: int
    gaussian: _Gaussian
    path: np.ndarray
    message: str
    n_grad: int
    n_logp: int


def _start(
    who: str, model: UnconstrainedModel, counter: _Counter, rng: np.random.Generator,
    init_radius: float,
) -> tuple[np.ndarray, float, np.ndarray]:
    """A start ``u0 + uniform(-init_radius, init_radius)`` with a finite density and gradient
    (Stan's rule, around ``init``'s unconstrained value; up to 100 tries)."""
    last = (math.nan, None)
    for _ in range(_START_TRIES if init_radius > 0 else 1):
        u = model.u0 + rng.uniform(-init_radius, init_radius, model.dim)
        try:
            lp, g = counter(u)
        except Exception as err:
            what = "evaluating log_prob at the initial values failed"
            raise _with_prefix(who, what, err) from err
        if math.isfinite(lp) and np.all(np.isfinite(g)):
            return u, lp, g
        last = (lp, g)
    where = "at the initial values" if init_radius == 0 else (
        f"at {_START_TRIES} random starts within init_radius={init_radius} of the initial values"
    )
    raise ValueError(
        f"{who}: the log density is {last[0]} (or its gradient is not finite) {where}; start "
        "from a point inside the support (init), or add constraints"
    )


def _with_prefix(who: str, what: str, err: Exception) -> Exception:
    try:
        new = type(err)(f"{who}: {what}: {err}")
    except Exception:
        new = ValueError(f"{who}: {what}: {type(err).__name__}: {err}")
    return new


def _single_path(
    who: str, model: UnconstrainedModel, evaluator: _Evaluator, rng: np.random.Generator,
    num_draws: int, history_size: int, num_elbo_draws: int, max_iters: int, init_radius: float,
    ftol: float, gtol: float,
) -> _PathOutput:
    counter = _Counter(model)
    u0, lp0, g0 = _start(who, model, counter, rng, init_radius)
    positions, _, grads, message = _lbfgs_path(
        counter, u0, lp0, g0, history_size, max_iters, ftol, gtol
    )
    n = model.dim
    factors = _inverse_hessians(positions, grads, history_size)
    if not factors:  # the start is already a stationary point: the paper's H_0 = I there
        factors = [(np.ones(n), np.zeros((n, 0)), np.zeros((n, 0)))]
        iterates = [0]
    else:
        iterates = list(range(1, positions.shape[0]))
    gaussians: list[_Gaussian | None] = []
    zs, phis, log_qs = [], [], []
    for it, (alpha, s_hist, y_hist) in zip(iterates, factors):
        try:
            beta, gamma = _compact_factors(alpha, s_hist, y_hist)
            gauss: _Gaussian | None = _Gaussian(positions[it], grads[it], alpha, beta, gamma)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            gauss = None  # a numerically indefinite estimate: this iterate gets ELBO -inf
        gaussians.append(gauss)
        z = rng.standard_normal((num_elbo_draws, n))
        zs.append(z)
        if gauss is not None:
            phis.append(gauss.transform(z))
            log_qs.append(gauss.log_q(z))
        else:
            phis.append(np.full((num_elbo_draws, n), np.nan))
            log_qs.append(np.full(num_elbo_draws, np.nan))
    phi = np.concatenate(phis)
    ok = np.all(np.isfinite(phi), axis=1)
    log_p = np.full(phi.shape[0], -math.inf)
    if ok.any():
        log_p[ok] = evaluator(phi[ok])
    # ELBO_l = mean over the K draws of log p - log q (Algorithm 1); a draw outside the
    # support makes it -inf, as the paper's Monte Carlo estimate would
    ratios = (log_p - np.concatenate(log_qs)).reshape(len(iterates), num_elbo_draws)
    ratios = np.where(np.isnan(ratios), -math.inf, ratios)
    with np.errstate(invalid="ignore"):
        elbo = ratios.mean(axis=1)
    elbo = np.where(np.isnan(elbo), -math.inf, elbo)
    if not np.any(np.isfinite(elbo)):
        raise ValueError(
            f"{who}: every Gaussian along the optimization path put its draws where the log "
            f"density is not finite ({positions.shape[0] - 1} iterates; optimizer: {message}); "
            "check the model's support and constraints"
        )
    pick = int(np.argmax(elbo))
    gauss = gaussians[pick]
    assert gauss is not None
    z = rng.standard_normal((num_draws, n))
    u = gauss.transform(z)
    log_q = gauss.log_q(z)
    log_p_draws = evaluator(u)
    return _PathOutput(
        u, log_p_draws, log_q, elbo, iterates[pick], gauss, positions, message, counter.count,
        phi.shape[0] + num_draws,
    )


# --------------------------------------------------------------------------------------------
# The drivers
# --------------------------------------------------------------------------------------------


def _check_int(who: str, name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{who}: expected {name} to be an integer >= {low}, got {value!r}")
    return int(value)


def _setup(
    who: str, log_prob: Any, init: Any, constraints: Any, jit: bool, init_radius: Any,
) -> tuple[UnconstrainedModel, Any]:
    if not (isinstance(init_radius, float | int) and not isinstance(init_radius, bool)
            and 0 <= init_radius < math.inf):
        raise ValueError(f"{who}: expected init_radius >= 0, got {init_radius!r}")
    log_prob, init, constraints, spec = resolve_model(who, log_prob, init, constraints)
    if not callable(log_prob):
        raise TypeError(
            f"{who}: expected a log density callable or a model (a conditioned joint "
            f"distribution), got {type(log_prob).__name__}"
        )
    model = UnconstrainedModel(log_prob, init, constraints, jit=jit, who=who)
    if model.dim == 0:
        raise ValueError(f"{who}: the model has no free parameters")
    return model, spec


def _seed_sequence(seed: Any) -> np.random.SeedSequence:
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    return np.random.SeedSequence(seed)


def _result_from_path(
    out: _PathOutput, model: UnconstrainedModel, spec: Any, elapsed: float
) -> PathfinderResult:
    ratios = out.log_p - out.log_q
    k_hat = psis(ratios).pareto_k if ratios.size >= 2 and np.any(np.isfinite(ratios)) else np.inf
    return PathfinderResult(
        draws=model.constrained_draws(out.u),
        draws_unconstrained=out.u,
        log_p=out.log_p,
        log_q=out.log_q,
        elbo=out.elbo,
        best_iteration=out.best,
        mean=out.gaussian.mean,
        num_gradient_evals=out.n_grad,
        num_logp_evals=out.n_logp,
        pareto_k=float(k_hat),
        elapsed=elapsed,
        path=out.path,
        message=out.message,
        _model=model,
        _spec=spec,
        _gaussian=out.gaussian,
    )


def pathfinder(
    log_prob: Callable | Any,
    init: Any = None,
    *,
    constraints: Any = None,
    num_draws: int = 1000,
    history_size: int = 6,
    num_elbo_draws: int = 5,
    max_iters: int = 1000,
    init_radius: float = 2.0,
    ftol: float = _FTOL,
    gtol: float = _GTOL,
    seed: int | np.random.Generator | None = None,
    jit: bool = True,
) -> PathfinderResult:
    """Single-path Pathfinder: the best Gaussian along an L-BFGS path, and draws from it.

    Parameters
    ----------
    log_prob : callable or model
        ``log_prob(params) -> scalar`` log density (up to a constant) of a parameter pytree;
        or a model that describes itself (``__fluxion_model__``), such as a conditioned joint
        distribution, which brings its own start values and constraints.
    init : pytree, optional
        Start values (constrained space): required with a callable (they also fix the
        parameters' structure and shapes); with a model, a dict by name overriding some of its
        start values.
    constraints : dict, pytree or spec, optional
        As in :func:`fluxion.mcmc.sample`: by parameter name, e.g. ``{"sigma": "positive"}``.
    num_draws : int
        ``M``, draws from the kept Gaussian (default 1000).
    history_size : int
        ``J``, the ``(s, y)`` pairs of the L-BFGS inverse Hessian (default 6, the paper's).
    num_elbo_draws : int
        ``K``, draws per iterate for its ELBO estimate (default 5, the paper's).
    max_iters : int
        At most this many L-BFGS iterations (default 1000).
    init_radius : float
        The optimizer starts at ``init`` moved by ``uniform(-init_radius, init_radius)`` in
        each unconstrained coordinate (Stan's rule, default 2; Stan centres it at zero); 0
        starts at ``init`` exactly. A start where the density is not finite is redrawn (up to
        100 times).
    ftol, gtol : float
        L-BFGS stops when the relative decrease of ``-log p`` is below ``ftol`` or the largest
        gradient component below ``gtol`` (Stan's ``tol_rel_obj`` and ``tol_grad``: defaults
        ``1e4`` machine epsilons and ``1e-8``).
    seed : int or numpy.random.Generator, optional
        The start, the ELBO draws and the kept draws.
    jit : bool
        Compile the log density (default True).

    Returns
    -------
    PathfinderResult
        ``draws`` (name -> ``(num_draws, *shape)``), ``draws_unconstrained``, ``log_p``,
        ``log_q``, ``elbo`` per iterate, ``best_iteration``, ``mean``, ``covariance``,
        ``num_gradient_evals``, ``pareto_k``, ``to_sample_result()``, ``init_for_chains(n)``.

    Raises
    ------
    TypeError
        ``init`` missing with a callable, or ``log_prob`` failing at the start (the message
        names pathfinder and the original error, e.g. an ``init`` of the wrong shape).
    ValueError
        Bad counts, a log density that is not finite at every start tried, constraints that
        name no parameter, or no Gaussian on the path with a finite ELBO.

    Notes
    -----
    The approximation lives in the unconstrained space: its ``log_q`` and the ``log_p`` it is
    compared with include the log-Jacobian of the constraints' transforms, so ``log_p - log_q``
    are proper importance ratios for the constrained posterior too. See the module docstring
    for the algorithm; the paper is Zhang, Carpenter, Gelman & Vehtari (2022), JMLR 23(306).

    Examples
    --------
    >>> import numpy as np, fluxion.numpy as fnp
    >>> from fluxion.vi import pathfinder
    >>> res = pathfinder(lambda p: -0.5 * fnp.sum((p - 3.0) ** 2), np.zeros(2), seed=1)
    >>> np.round(res.mean, 6).tolist()
    [3.0, 3.0]
    """
    who = "pathfinder"
    start_time = time.perf_counter()
    num_draws = _check_int(who, "num_draws", num_draws, 1)
    history_size = _check_int(who, "history_size", history_size, 1)
    num_elbo_draws = _check_int(who, "num_elbo_draws", num_elbo_draws, 1)
    max_iters = _check_int(who, "max_iters", max_iters, 1)
    model, spec = _setup(who, log_prob, init, constraints, jit, init_radius)
    rng = np.random.default_rng(_seed_sequence(seed))
    out = _single_path(
        who, model, _Evaluator(model), rng, num_draws, history_size, num_elbo_draws, max_iters,
        float(init_radius), ftol, gtol,
    )
    return _result_from_path(out, model, spec, time.perf_counter() - start_time)


def multi_pathfinder(
    log_prob: Callable | Any,
    init: Any = None,
    *,
    constraints: Any = None,
    num_paths: int = 4,
    num_draws: int = 1000,
    num_draws_per_path: int | None = None,
    resample: bool = True,
    replace: bool = True,
    importance: str = "path",
    history_size: int = 6,
    num_elbo_draws: int = 5,
    max_iters: int = 1000,
    init_radius: float = 2.0,
    ftol: float = _FTOL,
    gtol: float = _GTOL,
    seed: int | np.random.Generator | None = None,
    jit: bool = True,
) -> PathfinderResult:
    """Multi-path Pathfinder: several single paths, pooled and importance-resampled (PSIS).

    Each path starts at its own random point (``init_radius`` around ``init``) and returns
    ``num_draws_per_path`` draws with their ``log q``; the pooled draws get the importance
    ratios ``log p - log q``, Pareto-smoothed (:func:`fluxion.vi.psis`), and ``num_draws`` of
    them are resampled with those weights (the paper's Algorithm 2). A path that fails (no
    finite start, or no finite ELBO) is left out with a warning.

    Parameters
    ----------
    log_prob, init, constraints, history_size, num_elbo_draws, max_iters, init_radius, ftol, \
gtol, jit
        As :func:`pathfinder`.
    num_paths : int
        Independent single paths (default 4, as Stan).
    num_draws : int
        Draws returned after resampling (default 1000).
    num_draws_per_path : int, optional
        Draws from each path's Gaussian before resampling (default ``num_draws``).
    resample : bool
        Importance-resample the pooled draws (default). False returns every pooled draw
        (``num_paths * num_draws_per_path``), unweighted; ``pareto_k`` is computed either way.
    replace : bool
        Resample with replacement (default, as Stan's multi-path Pathfinder); without
        replacement the draws are distinct (needs ``num_draws <= `` the pooled draws with a
        non-zero weight) and less prone to repeating a few heavy draws when k-hat is large.
    importance : {"path", "mixture"}
        The proposal density in the importance ratios ``log p - log q``: "path" (default, the
        paper's Algorithm 2 and Stan's) uses the Gaussian of the path that drew each draw;
        "mixture" uses the equal-weight mixture of all the paths' Gaussians (the balance
        heuristic of multiple importance sampling: bounded ratios where one path's Gaussian is
        too narrow, so a smaller k-hat; it costs ``num_paths`` density evaluations per draw).
        ``log_q`` of the result is that density.
    seed : int or numpy.random.Generator, optional
        The paths' seeds are spawned from it, so results do not depend on timing.

    Returns
    -------
    PathfinderResult
        As :func:`pathfinder`, with ``elbo``, ``best_iteration`` and ``mean`` given per path,
        ``num_gradient_evals`` summed over the paths, the pooled ``pareto_k``, and ``paths``
        holding each path's own result.

    Raises
    ------
    ValueError
        Bad counts, every path failing, or ``replace=False`` with too few draws to pick from.

    Examples
    --------
    >>> import numpy as np, fluxion.numpy as fnp
    >>> from fluxion.vi import multi_pathfinder
    >>> res = multi_pathfinder(lambda p: -0.5 * fnp.sum(p**2), np.zeros(3), seed=0)
    >>> res.draws["x"].shape, len(res.paths)
    ((1000, 3), 4)
    """
    who = "multi_pathfinder"
    start_time = time.perf_counter()
    num_paths = _check_int(who, "num_paths", num_paths, 1)
    num_draws = _check_int(who, "num_draws", num_draws, 1)
    per_path = num_draws if num_draws_per_path is None else num_draws_per_path
    per_path = _check_int(who, "num_draws_per_path", per_path, 1)
    history_size = _check_int(who, "history_size", history_size, 1)
    num_elbo_draws = _check_int(who, "num_elbo_draws", num_elbo_draws, 1)
    max_iters = _check_int(who, "max_iters", max_iters, 1)
    for name, flag in (("resample", resample), ("replace", replace), ("jit", jit)):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{who}: expected {name} to be True or False, got {flag!r}")
    if importance not in ("path", "mixture"):
        raise ValueError(
            f"{who}: unknown importance {importance!r}; expected 'path' or 'mixture'"
        )
    if resample and not replace and num_draws > num_paths * per_path:
        raise ValueError(
            f"{who}: resampling {num_draws} draws without replacement needs at least as many "
            f"pooled draws, got num_paths * num_draws_per_path = {num_paths * per_path}"
        )
    model, spec = _setup(who, log_prob, init, constraints, jit, init_radius)
    seeds = _seed_sequence(seed).spawn(num_paths + 1)
    evaluator = _Evaluator(model)
    outputs, failures = [], []
    for i in range(num_paths):
        path_start = time.perf_counter()
        try:
            out = _single_path(
                who, model, evaluator, np.random.default_rng(seeds[i]), per_path, history_size,
                num_elbo_draws, max_iters, float(init_radius), ftol, gtol,
            )
        except ValueError as err:
            failures.append(f"path {i}: {err}")
            continue
        outputs.append((out, time.perf_counter() - path_start))
    if not outputs:
        raise ValueError(f"{who}: every path failed: " + "; ".join(failures))
    if failures:
        warnings.warn(
            f"{who}: {len(failures)} of {num_paths} paths failed and were left out: "
            + "; ".join(failures),
            RuntimeWarning,
            stacklevel=2,
        )
    paths = [_result_from_path(out, model, spec, t) for out, t in outputs]
    u = np.concatenate([out.u for out, _ in outputs])
    log_p = np.concatenate([out.log_p for out, _ in outputs])
    log_q = np.concatenate([out.log_q for out, _ in outputs])
    if importance == "mixture":
        # log (1/I) sum_i q_i(u): every draw under every path's Gaussian
        per_path_q = np.stack([out.gaussian.log_density(u) for out, _ in outputs])
        log_q = np.logaddexp.reduce(per_path_q, axis=0) - math.log(len(outputs))
    smoothed = psis(log_p - log_q)
    if resample:
        weights = np.exp(smoothed.log_weights)
        weights = weights / weights.sum()
        rng = np.random.default_rng(seeds[-1])
        if not replace and np.count_nonzero(weights) < num_draws:
            raise ValueError(
                f"{who}: only {np.count_nonzero(weights)} pooled draws have a non-zero weight, "
                f"fewer than num_draws={num_draws} to resample without replacement; use "
                "replace=True or more num_draws_per_path"
            )
        pick = rng.choice(u.shape[0], size=num_draws, replace=replace, p=weights)
        u, log_p, log_q = u[pick], log_p[pick], log_q[pick]
    return PathfinderResult(
        draws=model.constrained_draws(u),
        draws_unconstrained=u,
        log_p=log_p,
        log_q=log_q,
        elbo=np.array([float(np.max(p.elbo)) for p in paths]),
        best_iteration=np.array([p.best_iteration for p in paths]),
        mean=np.stack([p.mean for p in paths]),
        num_gradient_evals=int(sum(p.num_gradient_evals for p in paths)),
        num_logp_evals=int(sum(p.num_logp_evals for p in paths)),
        pareto_k=float(smoothed.pareto_k),
        elapsed=time.perf_counter() - start_time,
        path=paths[0].path,
        message="; ".join(p.message for p in paths),
        paths=paths,
        _model=model,
        _spec=spec,
        _gaussian=None,
    )
