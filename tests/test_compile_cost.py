"""What a tier-1 compile costs, and who pays it.

Long straight-line kernels compile at LLVM -O1 (numba's -O3 function passes grow about
quadratically with a function's length: a 378-equation MAF step took 105 s at -O3 and 29 s at
-O1, running at the same speed), and an automatic promotion whose compile is estimated to be
costly waits until tier 0 has cost as much (ski rental), unless numba's disk cache already holds
the kernel.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src import jit as jit_module
from fluxion._src.codegen import tier1


def long_chain(x):
    """About 2 equations per round: a straight-line graph longer than ``LOW_OPT_LINES``."""
    for k in range(90):
        x = x * (1.0 + 1e-3 * k) + 0.25
    return fnp.sum(x)


@pytest.fixture(autouse=True)
def straight_lines(monkeypatch):
    # jit would roll long_chain's Python loop back into a scan (ir/reroll.py)
    monkeypatch.setattr(fluxion.config, "jit_reroll_loops", False)


def graph_of(f, *args):
    return fluxion.jit(f, tier=0).lower(*args).graph


@pytest.fixture
def cold_cache(tmp_path):
    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", str(tmp_path))
    try:
        yield str(tmp_path)
    finally:
        fluxion.config.update("cache_dir", old)


def record_levels(monkeypatch, module) -> list:
    """The LLVM levels ``module.llvm_opt_level`` is entered with, from now on."""
    levels = []
    real = module.llvm_opt_level

    def recording(level):
        levels.append(level)
        return real(level)

    monkeypatch.setattr(module, "llvm_opt_level", recording)
    return levels


def test_long_straight_line_kernels_compile_at_O1_and_small_ones_at_O3(cold_cache, monkeypatch):
    x = np.linspace(0.0, 1.0, 5)
    long_graph, short_graph = graph_of(long_chain, x), graph_of(lambda v: fnp.sum(v * v), x)
    assert tier1.KernelModule(long_graph).opt_level == 1
    assert tier1.KernelModule(short_graph).opt_level == 3

    from numba.core import config as numba_config

    levels = record_levels(monkeypatch, tier1)
    code = tier1.compile_numba(long_graph, "long_chain")
    (value,) = code.fn(x)
    assert value == pytest.approx(float(long_chain(x)), rel=1e-13)
    (again,) = code.fn(x + 1.0)  # compiled: no second switch of the level
    assert again == pytest.approx(float(long_chain(x + 1.0)), rel=1e-13)
    assert levels == [1]
    # numba's own level (3, or the suite's NUMBA_OPT: see conftest.py) is back for every
    # other compile
    assert int(numba_config.OPT) == int(os.environ.get("NUMBA_OPT", "3"))


def test_the_opt_level_switch_restores_numbas_level_after_an_error():
    from numba.core import config as numba_config

    before = numba_config.OPT
    with pytest.raises(RuntimeError), tier1.llvm_opt_level(1):
        assert int(numba_config.OPT) == 1
        raise RuntimeError("compile failed")
    assert numba_config.OPT is before


def test_the_compile_estimate_grows_with_the_graph():
    x = np.linspace(0.0, 1.0, 5)
    small = tier1.estimated_compile_seconds(graph_of(lambda v: fnp.sum(v * v), x))
    large = tier1.estimated_compile_seconds(graph_of(long_chain, x))
    assert 0.0 < small < 1.0 < large < jit_module.COSTLY_COMPILE_SECONDS


def wait_for_tier1(f, timeout=120.0):
    assert jit_module.wait_for_background_compiles(timeout)
    return f.tier


def test_a_costly_automatic_promotion_waits_until_tier0_has_cost_as_much(
    cold_cache, monkeypatch
):
    # pretend every compile is costly: 20 ms estimated, deferred past a 10 ms threshold
    monkeypatch.setattr(jit_module, "COSTLY_COMPILE_SECONDS", 0.01)
    monkeypatch.setattr(tier1, "estimated_compile_seconds", lambda graph: 0.02)
    monkeypatch.setattr(fluxion.config, "jit_hot_calls", 3)

    def model(v):
        return fnp.sum(fnp.exp(v) * v)

    x = np.linspace(0.0, 1.0, 200_000)  # a few hundred microseconds a call on tier 0
    f = fluxion.jit(model)
    for _ in range(4):  # the first call traces; the next three count
        f(x)
    (spec,) = [s for e in f._cache.values() for s in e.specs]
    assert spec.promotion is None and spec.rent_due == pytest.approx(0.02)
    assert "deferred" in f.tier_info()[0]
    calls = 4
    while spec.rent < 0.02:
        assert spec.promotion is None and f.tier == 0
        f(x)
        calls += 1
    # the call that paid the rent started the compile
    assert spec.promotion in ("running", "done") and spec.rent_due is None
    assert calls > 5
    assert wait_for_tier1(f) == 1
    assert float(f(x)) == pytest.approx(float(np.sum(np.exp(x) * x)), rel=1e-12)

    # the kernel is in numba's disk cache now: a new jit of the same function buys at once
    g = fluxion.jit(model)
    for _ in range(4):
        g(x)
    (spec,) = [s for e in g._cache.values() for s in e.specs]
    assert spec.rent_due is None and spec.promotion in ("running", "done")
    assert wait_for_tier1(g) == 1


def test_cheap_promotions_and_explicit_tier1_are_not_deferred(cold_cache, monkeypatch):
    monkeypatch.setattr(fluxion.config, "jit_hot_calls", 2)
    x = np.linspace(0.0, 1.0, 7)
    f = fluxion.jit(lambda v: fnp.sum(v * v))
    for _ in range(3):  # the first call traces; the next two count
        f(x)
    (spec,) = [s for e in f._cache.values() for s in e.specs]
    assert spec.rent_due is None and spec.promotion in ("running", "done")
    assert wait_for_tier1(f) == 1
    # tier=1 asked for: compiled at the first call whatever it costs
    monkeypatch.setattr(jit_module, "COSTLY_COMPILE_SECONDS", 0.0)
    h = fluxion.jit(lambda v: fnp.sum(v * v * 3.0), tier=1)
    h(x)
    assert h.tier == 1


def test_a_long_kernel_potential_compiles_at_the_kernels_level(cold_cache, monkeypatch):
    # the sampler's kernel potential (a cfunc around the tier-1 kernel) compiles in its own job,
    # in this process or in a child interpreter: both at the kernel's level
    import ctypes

    from fluxion._src.codegen import cache

    def chain(x):  # a short kernel, made "long" below: the rule, not LLVM's time, is tested
        for k in range(4):
            x = x * (1.0 + 1e-3 * k) + 0.25
        return fnp.sum(x)

    monkeypatch.setattr(tier1, "LOW_OPT_LINES", 5)
    x = np.linspace(0.0, 1.0, 5)
    value_and_grad = fluxion.jit(fluxion.value_and_grad(chain))
    native = value_and_grad.lower(x).native_potential("kernel")
    (job,) = native.jobs
    assert job.opt_level == 1
    assert "config.OPT = type(config.OPT)(1)" in job.script()  # the child interpreter's
    levels = record_levels(monkeypatch, cache)
    native.load()
    assert levels == [1]
    address, owner = native.context()
    signature = ctypes.CFUNCTYPE(
        ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
        ctypes.c_void_p,
    )
    q, g = x + 0.5, np.empty(5)
    as_pointer = ctypes.POINTER(ctypes.c_double)
    value = signature(native.address)(q.ctypes.data_as(as_pointer), g.ctypes.data_as(as_pointer),
                                      address)
    want_value, want_grad = value_and_grad(q)
    assert value == pytest.approx(float(want_value), rel=1e-13)
    np.testing.assert_allclose(g, want_grad, rtol=1e-13)
