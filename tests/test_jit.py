"""jit: tracing, caching, tier-0 code, value guards, composition with the other transforms."""

import warnings

import numpy as np
import pytest
from fluid_seed import fluid_loss

import fluxion
import fluxion.numpy as fnp
from fluxion._src.demo import line_log_prob, simulate_line_data

X, Y = simulate_line_data()
THETA = np.array([-0.4, 0.03, np.log(0.1)])


def seed_log_prob(theta):
    return line_log_prob(theta, X, Y)


def test_jit_value_and_grad_of_the_seed_matches_eager_and_traces_once():
    eager = fluxion.value_and_grad(seed_log_prob)
    compiled = fluxion.jit(eager)
    rng = np.random.default_rng(0)
    for k in range(5):
        theta = THETA + 0.1 * rng.standard_normal(3) * (k > 0)
        v0, g0 = eager(theta)
        v1, g1 = compiled(theta)
        assert v1 == pytest.approx(v0, rel=1e-12)
        np.testing.assert_allclose(g1, g0, rtol=1e-12)
    assert compiled.trace_count == 1 and compiled.cache_hits == 4


def test_make_graph_prints_readable_graphs():
    text = str(fluxion.make_graph(seed_log_prob)(THETA))
    assert text.startswith("{ lambda a:f64[3] .")
    for op in ("getitem", "exp", "multiply", "sum[axes=(0,)]", "log", "in ("):
        assert op in text
    grad_text = str(fluxion.make_graph(fluxion.grad(seed_log_prob))(THETA))
    assert "scatter_add" in grad_text and grad_text.count("\n") > text.count("\n")


def test_lower_shows_graph_and_source():
    lowered = fluxion.jit(fluxion.grad(seed_log_prob)).lower(THETA)
    assert "def " in lowered.source and "return" in lowered.source
    fluxion._src.ir.typecheck(lowered.graph)
    assert len(lowered.graph.eqns) < len(lowered.unoptimized_graph.eqns)  # passes did work
    assert "tier 0 source" in lowered.as_text()


def test_retrace_on_new_shapes_and_static_args():
    f = fluxion.jit(lambda x, n: fnp.sum(x**n), static_argnums=1)
    assert float(f(np.ones(3), 2)) == 3.0
    assert float(f(np.ones(3), 2)) == 3.0
    assert f.trace_count == 1
    f(np.ones(4), 2)
    f(np.ones(3), 3)
    assert f.trace_count == 3
    with pytest.raises(TypeError, match=r"static arguments must be hashable, got list"):
        f(np.ones(3), [2])


def test_static_argnames_and_pytrees():
    @fluxion.jit
    def f(params, scale=1.0):
        return {"out": params["w"] * scale, "pair": (params["b"], params["w"].sum())}

    out = f({"w": np.arange(3.0), "b": 2.0}, scale=2.0)
    np.testing.assert_allclose(out["out"], [0, 2, 4])
    assert out["pair"][0] == 2.0 and out["pair"][1] == 3.0

    g = fluxion.jit(lambda x, mode: x * (2.0 if mode == "double" else 1.0), static_argnames="mode")
    assert float(g(1.5, mode="double")) == 3.0 and float(g(1.5, mode="same")) == 1.5


def test_composition_with_grad_jvp_hessian_and_nesting():
    def f(x):
        return fnp.sum(fnp.tanh(x) * fnp.exp(-(x**2)))

    jf = fluxion.jit(f)
    x = np.array([0.3, -1.1, 0.7])
    v = np.array([1.0, 0.5, -2.0])
    np.testing.assert_allclose(fluxion.grad(jf)(x), fluxion.grad(f)(x), rtol=1e-12)
    np.testing.assert_allclose(
        fluxion.jvp(jf, (x,), (v,))[1], fluxion.jvp(f, (x,), (v,))[1], rtol=1e-12
    )
    np.testing.assert_allclose(fluxion.hessian(jf)(x), fluxion.hessian(f)(x), rtol=1e-12)
    np.testing.assert_allclose(fluxion.jit(fluxion.grad(jf))(x), fluxion.grad(f)(x), rtol=1e-12)
    outer = fluxion.jit(lambda x: jf(x) * 2 + jf(2 * x))
    assert float(outer(x)) == pytest.approx(2 * f(x) + f(2 * x), rel=1e-12)


def test_disable_jit_runs_the_python_function():
    calls = []

    def f(x):
        calls.append(type(x).__name__)
        return x * 2

    jf = fluxion.jit(f)
    with fluxion.disable_jit():
        jf(np.ones(2))
    assert calls == ["ndarray"]
    jf(np.ones(2))
    assert calls[-1] == "StagingTracer"
    fluxion.config.update("disable_jit", True)
    try:
        jf(np.ones(2))
        assert calls[-1] == "ndarray"
    finally:
        fluxion.config.update("disable_jit", False)
    with pytest.raises(KeyError, match="unknown option 'disable_jitt'"):
        fluxion.config.update("disable_jitt", True)


def branchy(x):
    if fnp.sum(x) > 0:  # a Python branch on a traced value
        return fnp.sum(x**2)
    return fnp.sum(-x)


def test_value_dependent_if_gives_the_right_answer_on_both_branches():
    jf = fluxion.jit(branchy)
    pos, neg = np.array([1.0, 2.0]), np.array([-1.0, -3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x in (pos, neg, pos, neg):
            assert float(jf(x)) == float(branchy(x))
            np.testing.assert_allclose(fluxion.grad(jf)(x), fluxion.grad(branchy)(x))
    assert jf.trace_count == 2  # one specialization per branch, then cache hits
    assert "guard" in jf.lower(pos).as_text()


def test_guard_limit_gives_a_concretization_error_with_the_fix():
    def f(x):
        return x * 2.0 if x > 0 else x * 3.0

    jf = fluxion.jit(f)
    fluxion.config.update("jit_guard_limit", 1)
    try:
        assert float(jf(1.0)) == 2.0
        with pytest.raises(fluxion.ConcretizationError, match=r"lax.cond"):
            jf(-1.0)
    finally:
        fluxion.config.update("jit_guard_limit", 8)


def test_branch_without_guards_raises_concretization_error_naming_the_line():
    with pytest.raises(fluxion.ConcretizationError, match=r"test_jit.py:\d+ \(branchy\).*lax.cond"):
        fluxion.make_graph(branchy)(np.ones(2))


def test_int_of_a_traced_value_specializes():
    def f(x, n):
        total = 0.0
        for _ in range(int(n)):
            total = total + x
        return total

    jf = fluxion.jit(f)
    assert float(jf(2.0, 3.0)) == 6.0
    with pytest.warns(UserWarning, match="specialization 2"):
        assert float(jf(2.0, 4.0)) == 8.0


def test_closing_over_an_outer_tracer_is_a_clear_error():
    def f(x):
        return fluxion.jit(lambda y: x * y)(2.0)

    with pytest.raises(fluxion.UnexpectedTracerError, match=r"closes over.*pass that value"):
        fluxion.grad(f)(1.0)


def test_non_array_dynamic_argument():
    with pytest.raises(TypeError, match=r"jit: expected arrays or numbers.*static_argnums"):
        fluxion.jit(lambda x, s: x)(1.0, "text")


def test_constant_folding_and_cse_in_the_graph():
    def f(x):
        a = fnp.sin(x) * (np.float64(2.0) * 3.0)
        b = fnp.sin(x) * (np.float64(2.0) * 3.0)
        return a + b + 0.0

    graph = fluxion.jit(f).lower(np.ones(3)).graph
    names = [e.prim.name for e in graph.eqns]
    assert names.count("sin") == 1 and names.count("multiply") == 1 and "add" in names


# -- the autograd seed's fluid simulation, under jit ------------------------------------------


def test_fluid_simulation_gradient_under_jit_equals_eager():
    n = 32
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:n, 0:n] / n
    smoke = np.exp(-((xx - 0.5) ** 2 + (yy - 0.3) ** 2) * 40)
    target = np.exp(-((xx - 0.5) ** 2 + (yy - 0.7) ** 2) * 40)
    init_vel = 0.5 * rng.standard_normal(2 * n * n)
    eager = fluxion.value_and_grad(fluid_loss)
    compiled = fluxion.jit(eager)
    v0, g0 = eager(init_vel, smoke, target)
    v1, g1 = compiled(init_vel, smoke, target)
    assert v1 == pytest.approx(v0, rel=1e-12)
    np.testing.assert_allclose(g1, g0, rtol=1e-10, atol=1e-14)
    assert np.abs(g0).max() > 0


# -- tier 1 (numba) -------------------------------------------------------------------------

numba = pytest.importorskip("numba")


def test_tier1_value_and_grad_of_the_seed_matches_eager():
    eager = fluxion.value_and_grad(seed_log_prob)
    compiled = fluxion.jit(eager, tier=1)
    v1, g1 = compiled(THETA)
    assert compiled.tier == 1, compiled.tier_info()
    v0, g0 = eager(THETA)
    assert v1 == pytest.approx(v0, rel=1e-12)
    np.testing.assert_allclose(g1, g0, rtol=1e-12)
    assert type(v1) is np.float64
    theta2 = THETA + 0.05
    np.testing.assert_allclose(compiled(theta2)[1], eager(theta2)[1], rtol=1e-12)
    assert compiled.trace_count == 1


def test_promotion_after_hot_calls_and_explicit_compile():
    f = fluxion.jit(lambda x: fnp.sum(fnp.exp(x) * x))
    x = np.linspace(0, 1, 7)
    f(x)
    assert f.tier == 0
    f.compile(tier=1)
    assert f.tier == 1
    assert float(f(x)) == pytest.approx(float(np.sum(np.exp(x) * x)), rel=1e-12)


def test_tier1_guards_still_choose_the_right_branch():
    jf = fluxion.jit(branchy, tier=1)
    pos, neg = np.array([1.0, 2.0]), np.array([-1.0, -3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x in (pos, neg, pos, neg):
            assert float(jf(x)) == float(branchy(x))
    assert jf.tier == 1


def test_graphs_numba_cannot_lower_stay_on_tier0_and_say_why():
    import fluxion.scipy.special as fs

    # spence has no numba implementation yet (codegen/lowering.py says so)
    f = fluxion.jit(lambda x: fnp.sum(fs.spence(x)), tier=1)
    with pytest.warns(fluxion.PerformanceWarning, match=r"tier 1 .*requested.*lowering for spence"):
        value = float(f(np.array([1.5, 2.5])))
    assert value == pytest.approx(float(np.sum(__import__("scipy").special.spence([1.5, 2.5]))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per function, not once per call
        f(np.array([1.5, 2.5]))
        f(np.array([1.5, 2.5, 3.5]))
    assert f.tier == 0 and "spence" in f.tier_info()[0]


def test_custom_rules_and_checkpoint_inside_jit():
    @fluxion.custom_vjp
    def clip_grad(x):
        return x

    clip_grad.defvjp(lambda x: (x, None), lambda res, g: (fnp.clip(g, -1.0, 1.0),))

    def f(x):
        y = fluxion.checkpoint(lambda v: fnp.sin(v) * 3.0)(x)
        return fnp.sum(clip_grad(y) * 10.0)

    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(fluxion.jit(fluxion.grad(f))(x), fluxion.grad(f)(x))
    np.testing.assert_allclose(fluxion.grad(fluxion.jit(f))(x), fluxion.grad(f)(x))


def test_grad_of_jit_with_pytree_arguments_and_outputs():
    @fluxion.jit
    def loss(params, data):
        pred = data["x"] @ params["w"] + params["b"]
        return fnp.mean((pred - data["y"]) ** 2), pred

    rng = np.random.default_rng(2)
    params = {"w": rng.standard_normal(3), "b": 0.5}
    data = {"x": rng.standard_normal((8, 3)), "y": rng.standard_normal(8)}
    (value, pred), g = fluxion.value_and_grad(loss, has_aux=True)(params, data)
    eager = fluxion.value_and_grad(loss.__wrapped__, has_aux=True)(params, data)
    np.testing.assert_allclose(g["w"], eager[1]["w"], rtol=1e-12)
    assert float(g["b"]) == pytest.approx(float(eager[1]["b"]), rel=1e-12)


def test_tier0_buffer_reuse_keeps_results_independent():
    n = 40_000  # large enough for persistent buffers
    x = np.linspace(-1, 1, n)

    def f(a, b):
        t = fnp.exp(a * x) + b
        u = t * t - fnp.sin(t)
        return u, fnp.sum(u * 2.0), fnp.reshape(t, (200, 200))

    jf = fluxion.jit(f, tier=0)
    assert "out=B" in jf.lower(0.5, 1.0).source
    first = jf(0.5, 1.0)
    kept = [np.copy(first[0]), float(first[1]), np.copy(first[2])]
    second = jf(-0.3, 2.0)  # writes the persistent buffers again
    np.testing.assert_array_equal(first[0], kept[0])
    np.testing.assert_array_equal(first[2], kept[2])
    for got, want in zip(second, f(-0.3, 2.0)):
        np.testing.assert_allclose(got, want, rtol=1e-14)
    g = fluxion.jit(fluxion.grad(lambda a: fnp.sum(f(a, 1.0)[0])), tier=0)
    assert float(g(0.2)) == pytest.approx(float(fluxion.grad(lambda a: fnp.sum(f(a, 1.0)[0]))(0.2)))


def test_without_numba_jit_stays_on_tier0(monkeypatch):
    import fluxion._src.codegen.numba_tier as numba_tier

    monkeypatch.setattr(numba_tier, "numba_available", lambda: False)
    f = fluxion.jit(lambda x: fnp.sum(x * 2.0), tier=1)
    with pytest.warns(fluxion.PerformanceWarning, match="numba is not installed"):
        assert float(f(np.ones(3))) == 6.0
    assert f.tier == 0 and "numba is not installed" in f.tier_info()[0]


def test_tier1_kernels_are_cached_on_disk_between_processes(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "import time, numpy as np, fluxion, fluxion.numpy as fnp\n"
        f"fluxion.config.update('cache_dir', {str(tmp_path)!r})\n"
        "f = fluxion.jit(lambda x: fnp.sum(fnp.exp(x) * x))\n"
        "x = np.linspace(0, 1, 9)\n"
        "f(x)\n"
        "t = time.perf_counter(); f.compile(tier=1); print(time.perf_counter() - t, f.tier)\n"
    )
    # numba's default cache location (beside the kernel's source), not the suite's
    # NUMBA_CACHE_DIR (conftest.py)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0][1] == runs[1][1] == "1"
    assert list((tmp_path / "numba").glob("fx_*.py")), "the generated kernel source is kept"
    assert list((tmp_path / "numba" / "__pycache__").glob("*.nbi")), "numba's index is on disk"


@pytest.mark.parametrize("n", [5, 50])  # array code (small) and fused loops
def test_tier1_gradient_assembled_from_unpacked_parameters(n):
    # element gradients from theta[i] (repeated, negative and sliced indices) are assembled
    # lazily by the code generator; pending arrays read by other operations are written out
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)

    def f(theta):
        a, b, c = theta[0], theta[-2], theta[3]
        head = theta[:2]
        r = x * a + b - c * theta[0]
        return fnp.sum(r**2) + fnp.sum(head**2) + 0.5 * theta[1] * theta[-1]

    def g(theta):  # the gradient itself consumed by later operations
        grad = fluxion.grad(f)(theta)
        return fnp.sum(grad * grad) + grad[2]

    theta = np.array([0.3, -1.2, 0.7, 2.0, 0.4])
    for fun in (fluxion.value_and_grad(f), g, fluxion.value_and_grad(g)):
        compiled = fluxion.jit(fun, tier=1)
        got = compiled(theta)
        assert compiled.tier == 1, compiled.tier_info()
        want = fun(theta)
        for a, b in zip(fluxion.tree.flatten(got)[0], fluxion.tree.flatten(want)[0]):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_tier1_lowerings_for_logistic_linalg_cumsum_and_flip():
    import fluxion.scipy.special as fsp

    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    b = rng.normal(size=4)

    def f(x):  # x: 40 values, some far in the tails
        s = fsp.expit(x) + fsp.log_expit(x) + fsp.log_expit(-x)
        p = fsp.expit(0.01 * x)
        head = x[:4]
        m = a + fnp.outer(head, head) * 0.01
        sign, logdet = fnp.linalg.slogdet(m)
        y = fnp.linalg.solve(m, b + head)
        return (
            fnp.sum(s)
            + fnp.sum(fsp.logit(p))
            + sign * logdet
            + fnp.sum(y)
            + fnp.sum(fnp.linalg.inv(m))
            + fnp.sum(fnp.cumsum(head) * fnp.flip(head))
        )

    x = np.concatenate([rng.normal(size=36) * 3, [800.0, -800.0, 40.0, -40.0]])
    vg = fluxion.value_and_grad(f)
    compiled = fluxion.jit(vg, tier=1)
    v1, g1 = compiled(x)
    assert compiled.tier == 1, compiled.tier_info()
    v0, g0 = vg(x)
    assert np.isfinite(v1) and np.all(np.isfinite(g1))
    assert v1 == pytest.approx(v0, rel=1e-12)
    np.testing.assert_allclose(g1, g0, rtol=1e-10, atol=1e-14)


def test_tier1_indexing_with_an_ellipsis():
    # the "ordered" bijector's x[..., :1] / x[..., 1:] (and their gradients' scatters)
    def f(x):
        head, tail = x[..., :1], x[..., 1:]
        m = x.reshape(2, 3)
        return (
            fnp.sum(head * 2.0)
            + fnp.sum(fnp.exp(tail))
            + fnp.sum(m[..., 1] * m[:, 2])
            + fnp.sum(m[0, ...] ** 2)
        )

    x = np.linspace(-1.0, 1.0, 6)
    vg = fluxion.value_and_grad(f)
    compiled = fluxion.jit(vg, tier=1)
    v1, g1 = compiled(x)
    assert compiled.tier == 1, compiled.tier_info()
    v0, g0 = vg(x)
    assert v1 == pytest.approx(v0, rel=1e-12)
    np.testing.assert_allclose(g1, g0, rtol=1e-12)
