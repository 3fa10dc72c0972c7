"""Loop re-rolling (ir/reroll.py): unrolled Python loops in a jit graph become scan equations."""

import contextlib

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src.ir.interpret import eval_graph
from fluxion._src.ir.reroll import count_eqns
from fluxion.test_util import check_grads

RNG = np.random.default_rng(11)
N = 100
Y = np.cumsum(RNG.standard_normal(N)) * 0.1
P = np.array([0.1, 0.5, 0.2, np.log(0.5)])


@contextlib.contextmanager
def reroll_setting(on):
    before = fluxion.config.jit_reroll_loops
    fluxion.config.update("jit_reroll_loops", on)
    try:
        yield
    finally:
        fluxion.config.update("jit_reroll_loops", before)


def arma_loop(p, y):
    """ARMA(1,1) log-likelihood, a plain Python loop (the issue's example)."""
    mu, phi, th, log_sigma = p[0], p[1], p[2], p[3]
    sigma = fnp.exp(log_sigma)
    err = y[0] - mu - phi * mu
    acc = -0.5 * (err / sigma) ** 2
    for t in range(1, y.shape[0]):
        nu = mu + phi * y[t - 1] + th * err
        err = y[t] - nu
        acc = acc - 0.5 * (err / sigma) ** 2
    return acc - y.shape[0] * log_sigma


def garch_loop(p, y):
    """GARCH(1,1) Gaussian log-likelihood: two carried values (variance, last residual)."""
    omega, alpha, beta = fnp.exp(p[0]), fnp.exp(p[1]) * 0.1, fnp.exp(p[2]) * 0.1
    s2 = omega / (1.0 - alpha - beta)
    e_prev = 0.0
    ll = 0.0
    for t in range(y.shape[0]):
        s2 = omega + alpha * e_prev**2 + beta * s2
        ll = ll - 0.5 * (fnp.log(s2) + y[t] ** 2 / s2)
        e_prev = y[t]
    return ll


def scans(graph):
    return [e for e in graph.eqns if e.prim.name == "scan"]


def graphs(f, *args):
    """(re-rolled graph, unrolled graph) of jit(f) for these arguments."""
    with reroll_setting(True):
        on = fluxion.jit(f).lower(*args).graph
    with reroll_setting(False):
        off = fluxion.jit(f).lower(*args).graph
    return on, off


def run_both(f, *args):
    with reroll_setting(True):
        on = fluxion.jit(f, tier=0)(*args)
    with reroll_setting(False):
        off = fluxion.jit(f, tier=0)(*args)
    return on, off


def assert_bitwise(a, b):
    for x, y in zip(fluxion.tree.leaves(a), fluxion.tree.leaves(b)):
        assert np.array_equal(np.asarray(x), np.asarray(y)), (x, y)


def test_arma_loop_rerolls_value_and_grad_and_is_bitwise_equal():
    vg = fluxion.value_and_grad(arma_loop)
    on, off = graphs(vg, P, Y)
    assert len(off.eqns) > 10 * len(on.eqns)
    assert count_eqns(on) * 10 < len(off.eqns)
    assert len(scans(on)) == 2  # the forward recursion and the reverse pass of the gradient
    assert any(e.params["reverse"] for e in scans(on))
    got, want = run_both(vg, P, Y)
    assert_bitwise(got, want)
    np.testing.assert_allclose(got[0], arma_loop(P, Y), rtol=1e-13)


def test_the_rerolled_graph_differentiates():
    # the value-only graph, re-rolled, differentiated through scan's rules (eval_graph binds it)
    on, _ = graphs(arma_loop, P, Y)
    assert len(scans(on)) == 1

    def via_graph(p):
        return eval_graph(on, [p, Y])[0]

    g_graph = fluxion.grad(via_graph)(P)
    g_eager = fluxion.grad(arma_loop)(P, Y)
    np.testing.assert_allclose(g_graph, g_eager, rtol=1e-12)
    with reroll_setting(True):
        check_grads(fluxion.jit(lambda p: arma_loop(p, Y)), (P,), order=1)
        check_grads(via_graph, (P,), order=1, modes=("fwd", "rev"))


def test_garch_two_carries():
    p = np.array([np.log(0.1), 0.0, np.log(8.0)])
    y = RNG.standard_normal(80) * 0.3
    vg = fluxion.value_and_grad(garch_loop)
    on, off = graphs(vg, p, y)
    assert scans(on) and len(on.eqns) * 5 < len(off.eqns)
    got, want = run_both(vg, p, y)
    assert_bitwise(got, want)
    g_eager = fluxion.grad(garch_loop)(p, y)
    np.testing.assert_allclose(got[1], g_eager, rtol=1e-12)


def test_two_carried_values_and_several_lags():
    # AR(3) with the lags summed by a short inner loop: three scanned slices of y per step
    def ar3(phi, y):
        ll, level = 0.0, 0.0
        for t in range(3, y.shape[0]):
            pred = level
            for j in range(3):
                pred = pred + phi[j] * y[t - 1 - j]
            level = 0.9 * level + 0.1 * y[t]
            ll = ll - (y[t] - pred) ** 2
        return ll

    phi = np.array([0.4, -0.2, 0.1])
    on, off = graphs(ar3, phi, Y)
    assert len(scans(on)) == 1 and len(on.eqns) * 5 < len(off.eqns)
    assert_bitwise(*run_both(fluxion.value_and_grad(ar3), phi, Y))


def test_a_recursion_two_steps_deep():
    def ar2(p, y):
        x1, x2, ll = 0.0, 0.0, 0.0
        for t in range(y.shape[0]):
            x = p[0] * x1 + p[1] * x2 + y[t]  # x[t - 2]: a value of two steps back
            ll = ll - fnp.tanh(x) ** 2
            x2, x1 = x1, x
        return ll

    p = np.array([0.5, -0.3])
    vg = fluxion.value_and_grad(ar2)
    on, off = graphs(vg, p, Y)
    assert len(scans(on)) == 2 and count_eqns(on) * 10 < len(off.eqns)
    assert_bitwise(*run_both(vg, p, Y))


def test_nested_loops():
    x = RNG.standard_normal((30, 20))

    def nested(c, x):
        total = 0.0
        for t in range(x.shape[0]):
            s = 0.0
            for j in range(x.shape[1]):
                s = s * c[0] + x[t, j]
            total = total + fnp.tanh(s) * c[1]
        return total

    c = np.array([0.7, 1.3])
    on, off = graphs(nested, c, x)
    assert scans(on) and count_eqns(on) * 5 < len(off.eqns)
    vg_on, _ = graphs(fluxion.value_and_grad(nested), c, x)
    # the outer loop re-rolled, and the inner loop inside its body
    assert any(scans(e.params["body"]) for e in scans(vg_on))
    assert_bitwise(*run_both(nested, c, x))
    assert_bitwise(*run_both(fluxion.value_and_grad(nested), c, x))


def test_a_changing_constant_is_scanned_data_bitwise():
    # a literal that changes every step (here 0.01 * t; also a captured array's elements,
    # which constant folding turns into literals): the loop's constants are stacked
    def drift(p, y):
        acc = 0.0
        for t in range(y.shape[0]):
            acc = fnp.sin(acc * p[0]) + (0.01 * t) * y[t]
        return acc

    on, off = graphs(drift, P, Y)
    assert scans(on) and len(on.eqns) * 5 < len(off.eqns)
    assert_bitwise(*run_both(fluxion.value_and_grad(drift), P, Y))


def test_a_loop_in_a_graph_that_indexes_nothing_rerolls():
    # A scalar recurrence over literals only (a continued fraction, as scipy.stats.vonmises.var
    # computes its Bessel ratios): the graph has no getitem of its own, but the gradient reads
    # the forward loop's values back from the scan's stacked outputs. Before, the pass looked
    # for a getitem equation in the graph to do that with, found none, and left the loop
    # unrolled (vonmises.std's gradient: 2,419 equations).
    def continued_fraction(k):
        ratio = 0.0 * k
        total = 0.0 * k
        for n in range(60, 0, -1):
            ratio = k / (2.0 * n + k * ratio)
            total = ratio * ((-1.0) ** n / (n * n) + total)
        return total

    k = np.array(2.5)
    for f in (continued_fraction, fluxion.grad(continued_fraction)):
        on, off = graphs(f, k)
        assert scans(on) and count_eqns(on) * 5 < len(off.eqns), (count_eqns(on), len(off.eqns))
        assert not any(e.prim.name == "getitem" for e in off.eqns)
        assert_bitwise(*run_both(f, k))
    with reroll_setting(True):
        check_grads(fluxion.jit(continued_fraction), (k,), order=2)


def test_a_loop_that_does_not_repeat_stays_unrolled_and_correct():
    primes = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73}

    def irregular(p, y):
        acc = 0.0
        for t in range(y.shape[0] - 20):
            # the operation depends on the step with no period: no two blocks line up
            acc = fnp.sin(acc + y[t]) if t in primes else fnp.cos(acc * p[0])
        return acc

    on, off = graphs(irregular, P, Y)
    assert not scans(on) and len(on.eqns) == len(off.eqns)
    assert_bitwise(*run_both(fluxion.value_and_grad(irregular), P, Y))


def test_a_step_dependent_branch_is_correct():
    def switch(p, y):
        acc = 0.0
        for t in range(y.shape[0]):
            if t % 10 == 3:  # a Python branch on the step: not every block is the same
                acc = fnp.sin(acc) + y[t]
            else:
                acc = acc * p[1] + y[t] ** 2
        return acc

    got, want = run_both(fluxion.value_and_grad(switch), P, Y)
    assert_bitwise(got, want)
    np.testing.assert_allclose(got[0], switch(P, Y), rtol=1e-13)


def test_short_loops_stay_unrolled():
    def short(p, y):
        acc = 0.0
        for t in range(3):
            acc = fnp.sin(acc * p[0] + y[t]) * p[1]
        return acc

    on, off = graphs(fluxion.value_and_grad(short), P, Y)
    assert not scans(on) and len(on.eqns) == len(off.eqns)


def test_flag_off_is_the_unrolled_graph():
    with reroll_setting(False):
        f = fluxion.jit(fluxion.value_and_grad(arma_loop))
        low = f.lower(P, Y)
    assert not scans(low.graph)
    assert len(low.graph.eqns) > 1000
    assert fluxion.config.jit_reroll_loops is True  # the default


def test_tier1_runs_the_rerolled_loop_bitwise():
    vg = fluxion.value_and_grad(arma_loop)
    with reroll_setting(True):
        f0 = fluxion.jit(vg, tier=0)
        f1 = fluxion.jit(vg).compile(P, Y, tier=1)
        assert f1.tier == 1
        assert_bitwise(f1(P, Y), f0(P, Y))


@pytest.mark.slow  # ~25 s on a 2-core box: the model's kernel and the NUTS core load
@pytest.mark.filterwarnings("ignore::fluxion.SamplingWarning")  # a short run
def test_arma_loop_model_samples_on_a_compiled_loop(compiled_nuts):
    from fluxion.mcmc import sample

    y = np.zeros(120)
    e = RNG.standard_normal(120) * 0.5
    for t in range(1, 120):
        y[t] = 0.1 + 0.5 * y[t - 1] + e[t] + 0.2 * e[t - 1]

    def log_prob(p):
        return arma_loop(p, y) - 0.5 * fnp.sum(p**2) / 4.0

    init = np.array([0.0, 0.3, 0.0, np.log(0.6)])
    fluxion.config.update("mcmc_potential", "auto")  # the default (the fixture restores it)
    res = sample(log_prob, init, chains=2, draws=300, warmup=300, seed=4, progress=False)
    # the unrolled loop would be a 3,000-instruction tape; re-rolled it is a loop: the kernel's
    # for loop or the tape machine's loop instruction, as auto's measure of the work says
    # (codegen.native.graph_work: 120 steps are about KERNEL_MIN_WORK)
    assert res.compiled == "chain" and res.potential in ("kernel", "tape")
    assert res.compiled_reason.startswith("auto:"), res.compiled_reason
    draws = res.draws["x"] if isinstance(res.draws, dict) else res.draws
    mean = np.asarray(draws).reshape(-1, 4).mean(axis=0)
    assert abs(mean[1] - 0.5) < 0.3 and abs(np.exp(mean[3]) - 0.5) < 0.15


def test_hessian_and_vmap_of_a_loop_are_bitwise_equal():
    y = Y[:30]
    hess = fluxion.hessian(arma_loop)
    assert_bitwise(*run_both(hess, P, y))
    batched = fluxion.vmap(fluxion.grad(arma_loop), in_axes=(0, None))
    ps = np.stack([P, P * 1.1, P * 0.9])
    on, off = graphs(batched, ps, y)
    assert scans(on) and len(on.eqns) * 5 < len(off.eqns)
    assert_bitwise(*run_both(batched, ps, y))
