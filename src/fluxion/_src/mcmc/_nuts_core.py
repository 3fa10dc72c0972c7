"""Model-independent compiled NUTS: whole chains (warm-up adaptation included) in numba.

This file is numba source. ``numba_nuts.py`` loads it from a copy in ``config.cache_dir``
(``codegen.cache``: numba's disk cache sits beside the other compiled code and one compile
serves every model), and the functions here reach the model only through a C function pointer
(``codegen.native_abi``)::

    double potential(double *q, double *grad_out, void *context)

which returns the log density at ``q`` and writes its gradient to ``grad_out``.
``codegen.native`` makes that function per model: a numba ``cfunc`` around the model's tier-1
kernel (the context holds the addresses of the kernel's constant arrays) or the tape machine's
``potential`` (the context holds the chain's tape memory). The address is an ordinary integer
argument here, so nothing in this file depends on the model and its compile happens once per
machine, not once per model.

The algorithms are those of ``hmc.py`` (NUTS) and ``adaptation.py`` (Stan's windowed warm-up
with a diagonal or dense metric; nutpie's with a diagonal one). The metric is one 2-D array:
``(1, d)``, the diagonal of the inverse mass matrix, or ``(2d, d)``, the dense inverse mass
matrix over its Cholesky factor (see ``_p_dot_velocity``):

* NUTS (Betancourt 2017, appendix A; Stan): multinomial sampling, biased progressive sampling
  between subtrees, the generalized no-U-turn criterion on sharp momenta with Stan's extra
  checks across merged subtrees, divergence when the energy error exceeds ``max_delta_energy``.
  The subtree of ``2**depth`` leapfrog steps is built iteratively, not recursively: leaf ``n``
  closes the subtrees of sizes ``2**k`` for each trailing one-bit ``k`` of ``n``; the summary of
  an open left sibling at level ``k`` (first and last momenta, momentum sum) waits in slot ``k``.
  Multinomial sampling inside a subtree is progressive (leaf ``n`` replaces the candidate with
  probability ``w_n / sum_{m<=n} w_m``), which draws leaves in proportion to their weights, as
  the recursive scheme does.
* Stan's warm-up: dual averaging of the step size (Hoffman & Gelman 2014, Stan's constants),
  the step-size heuristic (double or halve until one leapfrog step's acceptance crosses 0.8),
  windowed variance (or covariance) estimates regularized as ``n/(n+5) var + 1e-3 * 5/(n+5)``
  (times the identity), Welford's running moments inside each slow window.
* nutpie's warm-up (Seyboldt, Carlson & Carpenter): ``sqrt(Var[x] / Var[grad])`` over
  overlapping foreground/background windows (``run_chain_nutpie``).

Chains may run in several threads at once: every function is ``nogil`` and numba's random
state is per thread (each chain seeds its own).
"""
# ruff: noqa: NPY002  (numba's per-thread legacy generator; Generator objects would have to be
# part of the explicit signatures that make the core model-independent)

import numba
import numpy as np

from fluxion._src.codegen.native_abi import call_potential

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}

# state vector layout (float64): the chain's scalars carried between chunks of iterations
S_LOGP, S_STEP, S_MU, S_SBAR, S_XBAR, S_COUNT, S_WELFORD_N, S_DIVERGENCES = range(8)
# nutpie's warm-up: foreground set (0/1), draws in each set, switch window, first change pending
S_FG, S_N0, S_N1, S_WINDOW, S_FIRST = range(8, 13)
N_SCALARS = 13
# per-iteration statistics, in sample.py's _STAT_KEYS order
STAT_STEP, STAT_DEPTH, STAT_NLEAP, STAT_ACCEPT, STAT_ENERGY, STAT_DIV, STAT_LOGP = range(7)
N_STATS = 7
N_WORK_ROWS = 20  # rows of the (N_WORK_ROWS, d) workspace of one transition


@numba.njit(**_JIT)
def _potential(fn, ctx, q, grad):
    """Log density at ``q`` (gradient into ``grad``); NaN becomes -inf (outside the support)."""
    lp = call_potential(fn, ctx, q, grad)
    if np.isnan(lp):
        return -np.inf
    return lp


@numba.njit(**_JIT)
def _p_dot_velocity(metric, p, x):
    """``x . (M^-1 p)``. ``metric`` is ``(1, d)``: the diagonal of ``M^-1``, or ``(2d, d)``: the
    dense ``M^-1`` over its Cholesky factor ``L`` (``L L^T = M^-1``)."""
    s = 0.0
    if metric.shape[0] == 1:
        for i in range(p.size):
            s += metric[0, i] * p[i] * x[i]
        return s
    for i in range(p.size):
        v = 0.0
        for j in range(p.size):
            v += metric[i, j] * p[j]
        s += v * x[i]
    return s


@numba.njit(**_JIT)
def _kinetic(metric, p):
    return 0.5 * _p_dot_velocity(metric, p, p)


@numba.njit(**_JIT)
def _sample_momentum(metric, p):
    """``p ~ N(0, M)``: ``z / sqrt(diag)``, or ``L^-T z`` (back substitution) when dense."""
    d = p.size
    for i in range(d):
        p[i] = np.random.standard_normal()
    if metric.shape[0] == 1:
        for i in range(d):
            p[i] /= np.sqrt(metric[0, i])
        return
    for i in range(d - 1, -1, -1):  # L^T p = z, L = metric[d:]
        s = p[i]
        for k in range(i + 1, d):
            s -= metric[d + k, i] * p[k]
        p[i] = s / metric[d + i, i]


@numba.njit(**_JIT)
def _leapfrog(fn, ctx, q, p, grad, eps, metric):
    """One velocity-Verlet step in place; returns the new log density."""
    d = q.size
    for i in range(d):
        p[i] += 0.5 * eps * grad[i]
    if metric.shape[0] == 1:
        for i in range(d):
            q[i] += eps * metric[0, i] * p[i]
    else:
        for i in range(d):
            v = 0.0
            for j in range(d):
                v += metric[i, j] * p[j]
            q[i] += eps * v
    lp = _potential(fn, ctx, q, grad)
    for i in range(d):
        p[i] += 0.5 * eps * grad[i]
    return lp


@numba.njit(**_JIT)
def _logaddexp(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    m = max(a, b)
    return m + np.log(np.exp(a - m) + np.exp(b - m))


@numba.njit(**_JIT)
def _no_uturn(metric, p_minus, p_plus, rho):
    """Stan's generalized criterion: both sharp end momenta point along ``rho``."""
    # v . rho = p^T M^-1 rho (M^-1 is symmetric)
    return (
        _p_dot_velocity(metric, p_plus, rho) > 0.0 and _p_dot_velocity(metric, p_minus, rho) > 0.0
    )


@numba.njit(**_JIT)
def _no_uturn_merged(metric, l_beg, l_end, l_rho, r_beg, r_end, r_rho, tmp):
    """The three checks when subtree ``l`` (earlier) and ``r`` (later) merge (Stan >= 2.23):
    around the merged tree, and across (``l`` plus r's first point, l's last point plus ``r``)."""
    for i in range(tmp.size):
        tmp[i] = l_rho[i] + r_rho[i]
    if not _no_uturn(metric, l_beg, r_end, tmp):
        return False
    for i in range(tmp.size):
        tmp[i] = l_rho[i] + r_beg[i]
    if not _no_uturn(metric, l_beg, r_beg, tmp):
        return False
    for i in range(tmp.size):
        tmp[i] = r_rho[i] + l_end[i]
    return _no_uturn(metric, l_end, r_end, tmp)


@numba.njit(**_JIT)
def _build_subtree(fn, ctx, work, depth, eps, h0, metric, max_de, sub, slots, cur, tmp, acc):
    """Extend the trajectory from the end in ``work`` (rows q, p, grad; its log density in
    ``acc[3]``) by ``2**depth`` leapfrog steps of signed size ``eps``, in place.

    ``sub`` receives the subtree's summary rows (first momentum, last momentum, momentum sum,
    sampled q, sampled grad); ``acc`` accumulates (leapfrog count, acceptance sum, divergent)
    and holds [3] the end's log density, [4] the sampled point's log density and [5] the
    subtree's log weight. Returns whether the subtree is valid (no divergence, no U-turn).
    """
    d = work.shape[1]
    q = work[0]
    p = work[1]
    g = work[2]
    log_w = -np.inf
    n_leaves = 1 << depth
    for n in range(n_leaves):
        lp = _leapfrog(fn, ctx, q, p, g, eps, metric)
        acc[3] = lp
        acc[0] += 1.0
        h = -lp + _kinetic(metric, p) if np.isfinite(lp) else np.inf
        if np.isnan(h):
            h = np.inf
        if h - h0 > max_de:
            acc[2] = 1.0
            return False
        acc[1] += 1.0 if h0 - h > 0.0 else np.exp(h0 - h)
        # progressive multinomial sampling inside the subtree
        new_log_w = _logaddexp(log_w, h0 - h)
        if n == 0 or np.random.random() < np.exp(h0 - h - new_log_w):
            sub[3, :] = q
            sub[4, :] = g
            acc[4] = lp
        log_w = new_log_w
        # the leaf's summary: cur rows (first p, last p, rho)
        cur[0, :] = p
        cur[1, :] = p
        cur[2, :] = p
        k = 0
        while (n >> k) & 1:  # this level-k subtree is a right sibling: merge with slot k
            if not _no_uturn_merged(
                metric, slots[k, 0], slots[k, 1], slots[k, 2], cur[0], cur[1], cur[2], tmp
            ):
                return False
            cur[0, :] = slots[k, 0]
            for i in range(d):
                cur[2, i] += slots[k, 2, i]
            k += 1
        if k < depth:  # a left sibling: wait for its right one
            slots[k, :, :] = cur
    sub[0, :] = cur[0]
    sub[1, :] = cur[1]
    sub[2, :] = cur[2]
    acc[5] = log_w
    return True


@numba.njit(**_JIT)
def transition(fn, ctx, q, grad, logp, eps, metric, max_depth, max_de, ws, slots, out):
    """One NUTS transition from ``(q, grad, logp)``, written into ``q`` and ``grad`` in place.

    Workspaces: ``ws`` of shape ``(N_WORK_ROWS, d)``, ``slots`` of shape ``(max_depth, 3, d)``.
    ``out`` receives (log density, accept stat, leapfrog steps, tree depth, divergent, energy).
    """
    d = q.size
    p0 = ws[0]
    _sample_momentum(metric, p0)
    h0 = -logp + _kinetic(metric, p0)
    minus = ws[1:4]  # rows q, p, grad of the backward end
    plus = ws[4:7]
    minus[0, :] = q
    minus[1, :] = p0
    minus[2, :] = grad
    plus[:, :] = minus
    rho = ws[7]
    rho[:] = p0
    p_minus_end = ws[8]  # momenta at the two extreme ends
    p_plus_end = ws[9]
    p_minus_end[:] = p0
    p_plus_end[:] = p0
    rho_new = ws[10]
    tmp = ws[11]
    cur = ws[12:15]
    sub = ws[15:20]
    acc = np.zeros(6)
    lp_minus = logp
    lp_plus = logp
    sample_lp = logp
    log_sum_w = 0.0
    depth = 0
    while depth < max_depth:
        forward = np.random.random() > 0.5
        acc[3] = lp_plus if forward else lp_minus
        end = plus if forward else minus
        ok = _build_subtree(
            fn,
            ctx,
            end,
            depth,
            eps if forward else -eps,
            h0,
            metric,
            max_de,
            sub,
            slots,
            cur,
            tmp,
            acc,
        )
        if forward:
            lp_plus = acc[3]
        else:
            lp_minus = acc[3]
        if not ok:
            break
        depth += 1
        sub_log_w = acc[5]
        # biased progressive sampling: prefer the new subtree in proportion to its weight
        if sub_log_w > log_sum_w or np.random.random() < np.exp(sub_log_w - log_sum_w):
            q[:] = sub[3]
            grad[:] = sub[4]
            sample_lp = acc[4]
        log_sum_w = _logaddexp(log_sum_w, sub_log_w)
        for i in range(d):
            rho_new[i] = rho[i] + sub[2, i]
        if forward:  # old tree first, then the new subtree
            ok = _no_uturn_merged(metric, p_minus_end, p_plus_end, rho, sub[0], sub[1], sub[2], tmp)
            p_plus_end[:] = sub[1]
        else:  # the new subtree (built backwards: its last point is the new minus end) first
            ok = _no_uturn_merged(metric, sub[1], sub[0], sub[2], p_minus_end, p_plus_end, rho, tmp)
            p_minus_end[:] = sub[1]
        rho[:] = rho_new
        if not ok:
            break
    n = acc[0]
    out[0] = sample_lp
    out[1] = acc[1] / max(n, 1.0)
    out[2] = n
    out[3] = depth
    out[4] = acc[2]
    out[5] = h0


@numba.njit(**_JIT)
def _find_step_size(fn, ctx, q, grad, logp, step_size, metric, ws):
    """Stan's heuristic: double or halve until one leapfrog step's acceptance crosses 0.8."""
    q1 = ws[0]
    p = ws[1]
    g1 = ws[2]
    direction = 0
    log08 = np.log(0.8)
    for _ in range(100):
        _sample_momentum(metric, p)
        h0 = -logp + _kinetic(metric, p)
        q1[:] = q
        g1[:] = grad
        lp1 = _leapfrog(fn, ctx, q1, p, g1, step_size, metric)
        h = -lp1 + _kinetic(metric, p) if np.isfinite(lp1) else np.inf
        delta = h0 - h if np.isfinite(h) else -np.inf
        if direction == 0:
            direction = 1 if delta > log08 else -1
        if direction == 1 and not delta > log08:
            break
        if direction == -1 and not delta < log08:
            break
        step_size = step_size * 2.0 if direction == 1 else step_size * 0.5
        if step_size > 1e7 or step_size < 1e-12:
            break
    return step_size


@numba.njit(**_JIT)
def _dual_restart(s, step_size):
    s[S_MU] = np.log(10.0 * step_size)
    s[S_SBAR] = 0.0
    s[S_XBAR] = 0.0
    s[S_COUNT] = 0.0
    s[S_STEP] = step_size


@numba.njit(**_JIT)
def _dual_update(s, accept, target):
    """Dual averaging (gamma 0.05, t0 10, kappa 0.75): the step size for the next transition."""
    s[S_COUNT] += 1.0
    t = s[S_COUNT]
    if not np.isfinite(accept):
        accept = 0.0
    accept = min(1.0, accept)
    eta = 1.0 / (t + 10.0)
    s[S_SBAR] = (1.0 - eta) * s[S_SBAR] + eta * (target - accept)
    x = s[S_MU] - s[S_SBAR] * np.sqrt(t) / 0.05
    x_eta = t ** (-0.75)
    s[S_XBAR] = x_eta * x + (1.0 - x_eta) * s[S_XBAR]
    s[S_STEP] = np.exp(x)


@numba.njit(**_JIT)
def init_chain(fn, ctx, q, grad, metric, s, ws, seed):
    """Seed this thread's generator, evaluate the start, find the first step size."""
    np.random.seed(seed)
    s[:] = 0.0
    s[S_LOGP] = _potential(fn, ctx, q, grad)
    step = _find_step_size(fn, ctx, q, grad, s[S_LOGP], 1.0, metric, ws)
    _dual_restart(s, step)


@numba.njit(**_JIT)
def _step_and_record(
    fn, ctx, q, grad, metric, s, ws, slots, i, warmup, max_depth, max_de, kept, stats, out
):
    """Transition ``i`` and its statistics; True after warm-up (the draw is kept).

    ``kept`` has a row per kept draw, or a row per iteration when the warm-up draws are saved
    too (``sample(save_warmup=True)``, or a plain burn-in run with ``warmup=0`` here)."""
    step = s[S_STEP]
    transition(fn, ctx, q, grad, s[S_LOGP], step, metric, max_depth, max_de, ws, slots, out)
    s[S_LOGP] = out[0]
    stats[i, STAT_STEP] = step
    stats[i, STAT_DEPTH] = out[3]
    stats[i, STAT_NLEAP] = out[2]
    stats[i, STAT_ACCEPT] = out[1]
    stats[i, STAT_ENERGY] = out[5]
    stats[i, STAT_DIV] = out[4]
    stats[i, STAT_LOGP] = out[0]
    # rows of `kept` before the first kept draw: `warmup` when warm-up draws are saved, else 0
    saved_warmup = kept.shape[0] - (stats.shape[0] - warmup)
    if i >= warmup:
        kept[i - warmup + saved_warmup, :] = q
        s[S_DIVERGENCES] += out[4]
        return True
    if saved_warmup > 0:
        kept[i, :] = q
    return False


@numba.njit(**_JIT)
def _windowed_metric(welford, n, metric):
    """Stan's regularized estimate from a window of n draws: ``n/(n+5) Var + 1e-3 5/(n+5)``
    (times the identity when dense), and for a dense metric its Cholesky factor below it. A
    factorization that fails (not positive definite in floating point) keeps the old metric."""
    d = metric.shape[1]
    shrink = n / (n + 5.0)
    ridge = 1e-3 * (5.0 / (n + 5.0))
    if metric.shape[0] == 1:
        for j in range(d):
            var = welford[1, j] / (n - 1.0) if n > 1.0 else 1.0
            metric[0, j] = shrink * var + ridge
        return
    new = np.empty((d, d))
    for j in range(d):
        for k in range(d):
            if n > 1.0:
                cov = welford[1 + j, k] / (n - 1.0)
            else:
                cov = 1.0 if j == k else 0.0
            new[j, k] = shrink * cov + (ridge if j == k else 0.0)
    chol = np.zeros((d, d))
    for j in range(d):  # Cholesky-Banachiewicz: new = chol chol^T
        for k in range(j + 1):
            acc = new[j, k]
            for m in range(k):
                acc -= chol[j, m] * chol[k, m]
            if j == k:
                if not acc > 0.0:
                    return
                chol[j, j] = np.sqrt(acc)
            else:
                chol[j, k] = acc / chol[k, k]
    metric[:d, :] = new
    metric[d:, :] = chol


@numba.njit(**_JIT)
def run_chain(
    fn,
    ctx,
    q,
    grad,
    metric,
    s,
    ws,
    slots,
    welford,
    start,
    stop,
    warmup,
    max_depth,
    target,
    max_de,
    init_buffer,
    end_slow,
    window_ends,
    kept,
    stats,
):
    """Iterations ``start <= i < stop`` of a chain with Stan's warm-up for the first ``warmup``.

    The chain's state lives in the arguments between calls (so the driver can run a chain in
    chunks and report progress): ``q``, ``grad`` (d,), ``metric`` ((1, d) diagonal or (2d, d)
    dense, see ``_p_dot_velocity``), ``s`` (N_SCALARS,), ``welford`` for the current slow
    window's running mean (row 0) and sums of squares (row 1: diagonal; rows 1..d: the dense
    cross products).
    ``kept`` (draws, d) receives the draws after warm-up, ``stats`` (warmup + draws, N_STATS)
    every iteration's statistics. Returns the number of divergences after warm-up so far.
    """
    d = q.size
    out = np.zeros(6)
    tmp = np.empty(d)
    for i in range(start, stop):
        if _step_and_record(
            fn, ctx, q, grad, metric, s, ws, slots, i, warmup, max_depth, max_de, kept, stats, out
        ):
            continue
        _dual_update(s, out[1], target)
        if init_buffer <= i < end_slow:
            # Welford: mean += (x - mean) / n; m2 += (x - mean_old) * (x - mean_new)
            s[S_WELFORD_N] += 1.0
            n = s[S_WELFORD_N]
            dense = metric.shape[0] > 1
            for j in range(d):
                dx = q[j] - welford[0, j]
                tmp[j] = dx
                welford[0, j] += dx / n
            for j in range(d):
                if dense:  # m2 += (x - mean_old)(x - mean_new)^T
                    for k in range(d):
                        welford[1 + j, k] += tmp[j] * (q[k] - welford[0, k])
                else:
                    welford[1, j] += tmp[j] * (q[j] - welford[0, j])
            ends_here = False
            for e in window_ends:
                if e == i + 1:
                    ends_here = True
            if ends_here:
                _windowed_metric(welford, n, metric)
                s[S_WELFORD_N] = 0.0
                welford[:, :] = 0.0
                step = _find_step_size(fn, ctx, q, grad, s[S_LOGP], s[S_STEP], metric, ws)
                _dual_restart(s, step)
        if i == warmup - 1:
            s[S_STEP] = np.exp(s[S_XBAR])
    return s[S_DIVERGENCES]


# --------------------------------------------------------------------------------------------
# nutpie's warm-up (adaptation.NutpieAdaptation with a diagonal metric, sample._NutpieTuner)
# --------------------------------------------------------------------------------------------


@numba.njit(**_JIT)
def _moments_add(m, n, q, grad):
    """Welford update of one estimator ``m`` (rows mean_x, m2_x, mean_g, m2_g) to n draws."""
    for j in range(q.size):
        dx = q[j] - m[0, j]
        m[0, j] += dx / n
        m[1, j] += dx * (q[j] - m[0, j])
        dg = grad[j] - m[2, j]
        m[2, j] += dg / n
        m[3, j] += dg * (grad[j] - m[2, j])


@numba.njit(**_JIT)
def _fisher_diagonal(m, n, metric):
    """``sqrt(Var[x] / Var[grad])`` clipped to [1e-20, 1e20]; Var[x] (or 1) where the ratio is
    not a positive number."""
    for j in range(metric.size):
        var_x = m[1, j] / n
        var_g = m[3, j] / n
        v = np.sqrt(var_x / var_g) if var_g > 0.0 else np.inf
        if not (np.isfinite(v) and v > 0.0):
            v = var_x if (np.isfinite(var_x) and var_x > 0.0) else 1.0
        metric[j] = min(max(v, 1e-20), 1e20)


@numba.njit(**_JIT)
def init_nutpie(fn, ctx, q, grad, metric, s, moments, ws, seed, switch_freq):
    """Seed, evaluate the start, seed both estimators with it, the initial metric
    ``1 / |grad|`` (nutpie's) and the first step size."""
    np.random.seed(seed)
    s[:] = 0.0
    s[S_LOGP] = _potential(fn, ctx, q, grad)
    moments[:, :, :] = 0.0
    _moments_add(moments[0], 1.0, q, grad)
    _moments_add(moments[1], 1.0, q, grad)
    s[S_N0] = 1.0
    s[S_N1] = 1.0
    s[S_FG] = 0.0
    s[S_WINDOW] = switch_freq
    s[S_FIRST] = 1.0
    for j in range(q.size):
        a = abs(grad[j])
        v = 1.0 / a if a > 0.0 else np.inf
        metric[0, j] = min(max(v, 1e-20), 1e20) if np.isfinite(v) else 1.0
    step = _find_step_size(fn, ctx, q, grad, s[S_LOGP], 1.0, metric, ws)
    _dual_restart(s, step)


@numba.njit(**_JIT)
def run_chain_nutpie(
    fn,
    ctx,
    q,
    grad,
    metric,
    s,
    ws,
    slots,
    moments,
    start,
    stop,
    warmup,
    max_depth,
    target,
    max_de,
    early_end,
    final_start,
    early_switch_freq,
    window_growth,
    kept,
    stats,
):
    """Like ``run_chain`` with nutpie's warm-up: every non-divergent warm-up draw and its
    gradient enter a foreground and a background estimator (``moments`` (2, 4, d), rows mean
    and sum of squares of draws and gradients); when the background holds the switch count of
    draws (10 early, then a window growing by ``window_growth``), it becomes the foreground. The
    metric ``sqrt(Var[x]/Var[grad])`` of the foreground is refreshed after every draw; the step
    size is found again after the first refresh and dual-averaged, restarted for the final
    step-size-only window that starts at ``final_start``."""
    out = np.zeros(6)
    for i in range(start, stop):
        if _step_and_record(
            fn, ctx, q, grad, metric, s, ws, slots, i, warmup, max_depth, max_de, kept, stats, out
        ):
            continue
        if i < final_start:
            early = i < early_end
            freq = early_switch_freq if early else s[S_WINDOW]
            fg = int(s[S_FG])
            bg = 1 - fg
            if out[4] == 0.0:  # a divergent draw does not enter the estimators
                s[S_N0 + fg] += 1.0
                _moments_add(moments[fg], s[S_N0 + fg], q, grad)
                s[S_N0 + bg] += 1.0
                _moments_add(moments[bg], s[S_N0 + bg], q, grad)
            if s[S_N0 + bg] >= freq and not (i + freq > final_start):
                moments[fg, :, :] = 0.0  # the background becomes the foreground
                s[S_N0 + fg] = 0.0
                s[S_FG] = bg
                fg = bg
                if not early:
                    s[S_WINDOW] = np.ceil(s[S_WINDOW] * window_growth)
            n = s[S_N0 + fg]
            if n >= 3.0:
                _fisher_diagonal(moments[fg], n, metric[0])
                if s[S_FIRST] == 1.0:  # the step size for the first estimated metric
                    s[S_FIRST] = 0.0
                    step = _find_step_size(fn, ctx, q, grad, s[S_LOGP], s[S_STEP], metric, ws)
                    _dual_restart(s, step)
                    continue
            _dual_update(s, out[1], target)
            if i == final_start - 1:  # the metric is final: fresh dual averaging
                _dual_restart(s, s[S_STEP])
        else:
            _dual_update(s, out[1], target)
        if i == warmup - 1:
            s[S_STEP] = np.exp(s[S_XBAR])
    return s[S_DIVERGENCES]
