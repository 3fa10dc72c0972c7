"""Hamiltonian Monte Carlo kernels on a flat unconstrained vector: HMC and NUTS.

Both are pure ``init``/``step`` pairs: ``step(rng, state, params) -> (state, info)`` with a
diagonal or dense metric (inverse mass matrix). The potential is given as ``logp_and_grad(q) ->
(log density, gradient)`` — typically a ``fluxion.jit``-compiled function, so one call costs a
few microseconds.

NUTS follows Stan's implementation (Betancourt 2017, "A Conceptual Introduction to Hamiltonian
Monte Carlo", appendix A): multinomial sampling from the trajectory with biased progressive
sampling between subtrees, the generalized no-U-turn criterion on sharp momenta, the extra
criterion checks across merged subtrees (Stan >= 2.23), a maximum tree depth, and divergence
detection when the energy error exceeds ``max_delta_energy``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = ["HMCState", "Metric", "hmc_step", "nuts_step", "init_state"]

# an energy error above this marks a transition divergent (Stan's value)
MAX_DELTA_ENERGY = 1000.0


class HMCState(NamedTuple):
    """Position ``q`` (flat, unconstrained), its log density and gradient."""

    q: np.ndarray
    logp: float
    grad: np.ndarray


class Metric:
    """The inverse mass matrix: a vector (diagonal) or a matrix (dense).

    Parameters
    ----------
    inv_mass : ndarray, shape ``(d,)`` or ``(d, d)``

    Raises
    ------
    ValueError
        Another shape, non-finite entries, a diagonal that is not positive, or a dense
        matrix that is not symmetric positive definite.
    """

    __slots__ = ("inv_mass", "dense", "chol_mass")

    def __init__(self, inv_mass: np.ndarray) -> None:
        try:
            inv_mass = np.asarray(inv_mass, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"Metric: expected inv_mass as a (d,) or (d, d) array of numbers, got "
                f"{type(inv_mass).__name__} ({err})"
            ) from None
        if inv_mass.ndim not in (1, 2) or (
            inv_mass.ndim == 2 and inv_mass.shape[0] != inv_mass.shape[1]
        ):
            raise ValueError(
                "Metric: expected inv_mass of shape (d,) (diagonal) or (d, d) (dense), got "
                f"shape {inv_mass.shape}"
            )
        if inv_mass.size == 0:
            raise ValueError("Metric: expected a non-empty inv_mass, got shape (0,)")
        if not np.all(np.isfinite(inv_mass)):
            raise ValueError("Metric: inv_mass has non-finite entries (nan or inf)")
        self.inv_mass = inv_mass
        self.dense = inv_mass.ndim == 2
        if self.dense:
            # p ~ N(0, M) with M = inv_mass^{-1}: p = L^{-T} z where inv_mass = L L^T
            try:
                self.chol_mass = np.linalg.cholesky(inv_mass)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"Metric: a dense inv_mass must be symmetric positive definite; the "
                    f"{inv_mass.shape} matrix given is not (its Cholesky factorization failed)"
                ) from None
        else:
            if not np.all(inv_mass > 0):
                raise ValueError(
                    f"Metric: a diagonal inv_mass must be positive, got minimum "
                    f"{float(inv_mass.min())!r}"
                )
            self.chol_mass = None

    def velocity(self, p: np.ndarray) -> np.ndarray:
        """dK/dp = M^{-1} p (the "sharp" momentum)."""
        return self.inv_mass @ p if self.dense else self.inv_mass * p

    def kinetic(self, p: np.ndarray) -> float:
        return 0.5 * float(p @ self.velocity(p))

    def sample_momentum(self, rng: np.random.Generator, d: int) -> np.ndarray:
        z = rng.standard_normal(d)
        if self.dense:
            from scipy.linalg import solve_triangular

            return solve_triangular(self.chol_mass, z, lower=True, trans="T")
        return z / np.sqrt(self.inv_mass)


def _check_step(who: str, state: Any, step_size: Any, metric: Any) -> None:
    """The checks every transition makes: a few scalar comparisons, no array scans."""
    if not 0.0 < step_size < math.inf:  # False for nan too
        raise ValueError(
            f"{who}: expected a finite step_size > 0, got {step_size!r}"
            + ("; the sign of the step is chosen by the kernel" if step_size < 0 else "")
        )
    if type(metric) is not Metric:
        raise TypeError(
            f"{who}: expected metric as a fluxion.mcmc.Metric, got {type(metric).__name__}; "
            "wrap the inverse mass matrix: Metric(inv_mass)"
        )
    if metric.inv_mass.shape[0] != state.q.size:
        raise ValueError(
            f"{who}: the metric is for dimension {metric.inv_mass.shape[0]} (inv_mass of shape "
            f"{metric.inv_mass.shape}), but the state's position has {state.q.size} entries"
        )


def init_state(logp_and_grad: Callable, q: np.ndarray) -> HMCState:
    """The state at ``q``: evaluates the log density and its gradient once."""
    q = np.array(q, dtype=np.float64)
    logp, grad = logp_and_grad(q)
    return HMCState(q, float(logp), np.asarray(grad, dtype=np.float64))


def _leapfrog(
    logp_and_grad: Callable,
    q: np.ndarray,
    p: np.ndarray,
    grad: np.ndarray,
    eps: float,
    metric: Metric,
) -> tuple:
    # velocity Verlet: half kick, drift, half kick (the gradient of log p is minus the force)
    p = p + 0.5 * eps * grad
    q = q + eps * metric.velocity(p)
    try:
        logp, grad = logp_and_grad(q)
    except np.linalg.LinAlgError:
        # the density is undefined here (a matrix singular to machine precision, far out in a
        # tail where a large trial step landed): no finite energy, so a divergence, as the
        # compiled chains (LAPACK's status, not an exception) report it
        return q, p, -math.inf, np.zeros_like(q)
    grad = np.asarray(grad, dtype=np.float64)
    p = p + 0.5 * eps * grad
    return q, p, float(logp), grad


def hmc_step(
    rng: np.random.Generator,
    state: HMCState,
    logp_and_grad: Callable,
    step_size: float,
    metric: Metric,
    num_steps: int,
) -> tuple[HMCState, dict]:
    """One HMC transition and a Metropolis correction.

    The trajectory length is drawn uniformly from ``[ceil(num_steps / 2), num_steps]`` leapfrog
    steps each transition: a fixed length can resonate with the posterior's periods and stall
    some directions (Neal 2011, section 5.4.2.2).
    """
    _check_step("hmc_step", state, step_size, metric)
    if not num_steps >= 1:
        raise ValueError(f"hmc_step: expected num_steps >= 1, got {num_steps!r}")
    d = state.q.size
    num_steps = int(rng.integers((num_steps + 1) // 2, num_steps + 1))
    p0 = metric.sample_momentum(rng, d)
    h0 = -state.logp + metric.kinetic(p0)
    q, p, logp, grad = state.q, p0, state.logp, state.grad
    for _ in range(num_steps):
        q, p, logp, grad = _leapfrog(logp_and_grad, q, p, grad, step_size, metric)
        if not math.isfinite(logp):
            break
    h = -logp + metric.kinetic(p) if math.isfinite(logp) else math.inf
    delta = h - h0
    accept_prob = 1.0 if delta <= 0 else math.exp(-delta)
    divergent = not math.isfinite(h) or delta > MAX_DELTA_ENERGY
    if rng.uniform() < accept_prob:
        new, energy = HMCState(q, logp, grad), h
    else:
        new, energy = state, h0
    return new, {
        "accept_prob": accept_prob,
        "n_leapfrog": num_steps,
        "tree_depth": 0,
        "divergent": divergent,
        "energy": energy,
    }


class _Tree:
    """The state of a (sub)trajectory while NUTS builds it."""

    __slots__ = (
        "q",
        "p",
        "grad",
        "logp",
        "p_sharp_beg",
        "p_sharp_end",
        "p_beg",
        "p_end",
        "rho",
        "log_w",
        "sample",
    )

    def __init__(self) -> None:
        pass


def nuts_step(
    rng: np.random.Generator,
    state: HMCState,
    logp_and_grad: Callable,
    step_size: float,
    metric: Metric,
    max_depth: int = 10,
    max_delta_energy: float = MAX_DELTA_ENERGY,
) -> tuple[HMCState, dict]:
    """One NUTS transition (Stan's multinomial, generalized-U-turn variant).

    Returns
    -------
    state : HMCState
    info : dict
        ``accept_prob`` (mean Metropolis acceptance over the trajectory, for step-size
        adaptation), ``n_leapfrog``, ``tree_depth``, ``divergent``, ``energy``.

    Raises
    ------
    ValueError
        A step size that is not finite and > 0, ``max_depth < 1``, or a metric whose
        dimension differs from the state's.
    TypeError
        A metric that is not a :class:`Metric`, or a non-integer ``max_depth``.
    """
    _check_step("nuts_step", state, step_size, metric)
    if type(max_depth) is not int and not isinstance(max_depth, int | np.integer):
        raise TypeError(f"nuts_step: expected an int max_depth >= 1, got {max_depth!r}")
    if max_depth < 1:
        raise ValueError(f"nuts_step: expected max_depth >= 1, got {max_depth!r}")
    d = state.q.size
    p0 = metric.sample_momentum(rng, d)
    h0 = -state.logp + metric.kinetic(p0)
    v0 = metric.velocity(p0)
    # the two ends of the trajectory: (q, p, grad, logp)
    minus = [state.q, p0, state.grad, state.logp]
    plus = [state.q, p0, state.grad, state.logp]
    p_sharp_minus, p_sharp_plus = v0, v0
    p_minus_beg, p_plus_end = p0, p0  # momenta at the extreme ends
    rho = p0.copy()
    log_sum_w = 0.0
    sample = (state.q, state.logp, state.grad)
    counters = {"n": 0, "metro": 0.0, "divergent": False}
    depth = 0
    while depth < max_depth:
        forward = rng.uniform() > 0.5
        sign = 1.0 if forward else -1.0
        end = plus if forward else minus
        sub = _build_tree(
            rng, end, depth, sign * step_size, h0, logp_and_grad, metric, max_delta_energy, counters
        )
        if sub is None:  # divergent or U-turn inside the new subtree: reject it, stop
            break
        depth += 1
        # biased progressive sampling: prefer the new subtree in proportion to its weight
        if sub.log_w > log_sum_w or rng.uniform() < math.exp(sub.log_w - log_sum_w):
            sample = sub.sample
        log_sum_w = _logaddexp(log_sum_w, sub.log_w)
        if forward:
            plus[:] = [sub.q, sub.p, sub.grad, sub.logp]
            # old tree is "backward", the new subtree "forward"
            rho_bck, rho_fwd = rho, sub.rho
            p_sharp_bck_bck, p_sharp_bck_fwd = p_sharp_minus, p_sharp_plus
            p_bck_fwd = p_plus_end
            p_sharp_fwd_bck, p_sharp_fwd_fwd = sub.p_sharp_beg, sub.p_sharp_end
            p_fwd_bck = sub.p_beg
            p_sharp_plus, p_plus_end = sub.p_sharp_end, sub.p_end
        else:
            minus[:] = [sub.q, sub.p, sub.grad, sub.logp]
            rho_bck, rho_fwd = sub.rho, rho
            p_sharp_bck_bck, p_sharp_bck_fwd = sub.p_sharp_end, sub.p_sharp_beg
            p_bck_fwd = sub.p_beg
            p_sharp_fwd_bck, p_sharp_fwd_fwd = p_sharp_minus, p_sharp_plus
            p_fwd_bck = p_minus_beg
            p_sharp_minus, p_minus_beg = sub.p_sharp_end, sub.p_end
        rho = rho_bck + rho_fwd
        # the no-U-turn criterion around the merged tree and across the two subtrees
        ok = _criterion(p_sharp_bck_bck, p_sharp_fwd_fwd, rho)
        ok = ok and _criterion(p_sharp_bck_bck, p_sharp_fwd_bck, rho_bck + p_fwd_bck)
        ok = ok and _criterion(p_sharp_bck_fwd, p_sharp_fwd_fwd, rho_fwd + p_bck_fwd)
        if not ok:
            break
    q, logp, grad = sample
    n = max(counters["n"], 1)
    info = {
        "accept_prob": counters["metro"] / n,
        "n_leapfrog": counters["n"],
        "tree_depth": depth,
        "divergent": counters["divergent"],
        "energy": h0,
    }
    return HMCState(q, logp, grad), info


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def _criterion(p_sharp_minus: np.ndarray, p_sharp_plus: np.ndarray, rho: np.ndarray) -> bool:
    return float(p_sharp_plus @ rho) > 0 and float(p_sharp_minus @ rho) > 0


def _build_tree(
    rng: np.random.Generator,
    end: list,
    depth: int,
    eps: float,
    h0: float,
    logp_and_grad: Callable,
    metric: Metric,
    max_delta_energy: float,
    counters: dict,
) -> _Tree | None:
    """Extend the trajectory from ``end`` by 2**depth leapfrog steps of size ``eps``.

    Returns the subtree, or None if it is invalid (divergence or an internal U-turn).
    """
    if depth == 0:
        q, p, grad, _ = end
        q, p, logp, grad = _leapfrog(logp_and_grad, q, p, grad, eps, metric)
        counters["n"] += 1
        h = -logp + metric.kinetic(p) if math.isfinite(logp) else math.inf
        if math.isnan(h):
            h = math.inf
        if h - h0 > max_delta_energy:
            counters["divergent"] = True
            return None
        counters["metro"] += 1.0 if h0 - h > 0 else math.exp(h0 - h)
        tree = _Tree()
        tree.q, tree.p, tree.grad, tree.logp = q, p, grad, logp
        v = metric.velocity(p)
        tree.p_sharp_beg = tree.p_sharp_end = v
        tree.p_beg = tree.p_end = p
        tree.rho = p.copy()
        tree.log_w = h0 - h
        tree.sample = (q, logp, grad)
        return tree
    left = _build_tree(
        rng, end, depth - 1, eps, h0, logp_and_grad, metric, max_delta_energy, counters
    )
    if left is None:
        return None
    right = _build_tree(
        rng,
        [left.q, left.p, left.grad, left.logp],
        depth - 1,
        eps,
        h0,
        logp_and_grad,
        metric,
        max_delta_energy,
        counters,
    )
    if right is None:
        return None
    tree = _Tree()
    tree.q, tree.p, tree.grad, tree.logp = right.q, right.p, right.grad, right.logp
    tree.log_w = _logaddexp(left.log_w, right.log_w)
    # multinomial sampling within the subtree
    if right.log_w > tree.log_w or rng.uniform() < math.exp(right.log_w - tree.log_w):
        tree.sample = right.sample
    else:
        tree.sample = left.sample
    tree.rho = left.rho + right.rho
    tree.p_sharp_beg, tree.p_sharp_end = left.p_sharp_beg, right.p_sharp_end
    tree.p_beg, tree.p_end = left.p_beg, right.p_end
    ok = _criterion(tree.p_sharp_beg, tree.p_sharp_end, tree.rho)
    ok = ok and _criterion(left.p_sharp_beg, right.p_sharp_beg, left.rho + right.p_beg)
    ok = ok and _criterion(left.p_sharp_end, right.p_sharp_end, right.rho + left.p_end)
    return tree if ok else None


_ = Any
