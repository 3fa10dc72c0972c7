"""User primitives from compiled code: C compiled at run time, numba functions, CuPy kernels.

The Must-show of issue 5: the TensorFlow seed's Kepler solver as a C primitive with the seed's
gradient rule, checked numerically to second order, equal to a pure-Python Newton solver, under
jit (both tiers) and vmap, safe against wrong inputs, and fitting a radial-velocity model.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion._src.codegen.numba_tier import numba_available
from fluxion.extend import c_primitive, cupy_primitive, defvjp, numba_primitive
from fluxion.test_util import check_grads

HAS_CC = shutil.which("cc") is not None
HAS_NUMBA = numba_available()
needs_cc = pytest.mark.skipif(not HAS_CC, reason="no C compiler (cc) on this machine")
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")


@pytest.fixture(scope="module")
def kepler():
    if not HAS_CC:
        pytest.skip("no C compiler (cc) on this machine")
    from kepler_rv import make_kepler

    return make_kepler()


def python_kepler(M: float, e: float) -> float:
    """The reference: the same Newton iteration in pure Python (math module)."""
    x = M + e * math.sin(M)
    for _ in range(100):
        dx = (x - e * math.sin(x) - M) / (1.0 - e * math.cos(x))
        x -= dx
        if abs(dx) <= 1e-12:
            break
    return x


def _points(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 2 * np.pi, n), rng.uniform(0.0, 0.9, n)


# --------------------------------------------------------------------------------------------
# The Kepler C primitive: values and derivatives
# --------------------------------------------------------------------------------------------


def test_kepler_equals_python_newton(kepler):
    M, e = _points(200)
    E = kepler(M, e)
    assert E.dtype == np.float64 and E.shape == M.shape
    ref = np.array([python_kepler(m, ecc) for m, ecc in zip(M, e)])
    np.testing.assert_allclose(E, ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(E - e * np.sin(E), M, rtol=0, atol=1e-12)  # solves Kepler


def test_kepler_scalars_and_broadcasting(kepler):
    E = kepler(1.0, 0.2)
    assert isinstance(E, np.float64)
    assert abs(E - python_kepler(1.0, 0.2)) <= 1e-12
    M = np.linspace(0, 6, 12).reshape(3, 4)
    e = np.array([0.1, 0.2, 0.5, 0.8])
    np.testing.assert_array_equal(kepler(M, e), kepler(M, np.broadcast_to(e, (3, 4)).copy()))


def test_kepler_check_grads_second_order(kepler):
    M, e = _points(8, seed=1)
    check_grads(kepler, (M, e), order=2, modes=("fwd", "rev"))
    # a scalar eccentricity broadcast against an array of mean anomalies
    check_grads(lambda M, e: fnp.sum(fnp.sin(kepler(M, e))), (M, np.float64(0.4)), order=2)


def test_kepler_gradient_is_the_seed_formula(kepler):
    M, e = _points(10, seed=2)
    E = kepler(M, e)
    dM = fluxion.elementwise_grad(kepler, 0)(M, e)
    de = fluxion.elementwise_grad(kepler, 1)(M, e)
    np.testing.assert_allclose(dM, 1 / (1 - e * np.cos(E)), rtol=1e-14)
    np.testing.assert_allclose(de, np.sin(E) / (1 - e * np.cos(E)), rtol=1e-14)


def test_kepler_under_jit_tier0(kepler):
    M, e = _points(16)

    def model(M, e):
        return fnp.sum(fnp.cos(kepler(M, e)) * M)

    f = fluxion.jit(model, tier=0)
    assert f(M, e) == pytest.approx(model(M, e), rel=1e-15)
    g = fluxion.jit(fluxion.grad(model, argnums=(0, 1)), tier=0)
    for a, b in zip(g(M, e), fluxion.grad(model, argnums=(0, 1))(M, e)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    assert f.tier_info() == ["0: tier 0"]


@needs_numba
def test_kepler_under_jit_tier1_calls_c_from_the_kernel(kepler):
    M, e = _points(16)

    def model(M, e):
        return fnp.sum(fnp.cos(kepler(M, e)) * M)

    f = fluxion.jit(fluxion.value_and_grad(model, argnums=(0, 1)), tier=1)
    value, (gM, ge) = f(M, e)
    ref_value, (ref_gM, ref_ge) = fluxion.value_and_grad(model, argnums=(0, 1))(M, e)
    assert f.tier_info() == ["0: tier 1"]
    assert "_fx_c_kepler_" in f.lower(M, e).tier1_source  # the C call is inside the kernel
    assert value == pytest.approx(ref_value, rel=1e-14)
    np.testing.assert_allclose(gM, ref_gM, rtol=1e-13)
    np.testing.assert_allclose(ge, ref_ge, rtol=1e-13)
    # a scalar (0-d) call and a Python-scalar eccentricity
    h = fluxion.jit(lambda m: kepler(m, 0.3), tier=1)
    assert h(1.0) == pytest.approx(python_kepler(1.0, 0.3), abs=1e-12)
    assert h.tier_info() == ["0: tier 1"]


def test_kepler_under_vmap(kepler):
    M = np.linspace(0.0, 2 * np.pi, 9)
    es = np.array([0.0, 0.2, 0.5, 0.9])
    out = fluxion.vmap(kepler, in_axes=(None, 0))(M, es)
    assert out.shape == (4, 9)
    for row, ecc in zip(out, es):
        np.testing.assert_array_equal(row, kepler(M, ecc))
    # batched gradients of a scalar model, one per eccentricity
    dE = fluxion.vmap(fluxion.grad(lambda e: fnp.sum(kepler(M, e))))(es)
    E = kepler(M, es[:, None])
    np.testing.assert_allclose(dE, np.sum(np.sin(E) / (1 - es[:, None] * np.cos(E)), 1))
    if HAS_NUMBA:
        j = fluxion.jit(fluxion.vmap(kepler, in_axes=(None, 0)), tier=1)
        np.testing.assert_array_equal(j(M, es), out)
        assert j.tier_info() == ["0: tier 1"]


# --------------------------------------------------------------------------------------------
# Wrong inputs never reach the C code: clear errors or correct conversion
# --------------------------------------------------------------------------------------------


def test_integer_bool_and_float32_inputs_are_converted(kepler):
    M = np.arange(5, dtype=np.int32)
    ref = kepler(M.astype(np.float64), 0.25)
    np.testing.assert_array_equal(kepler(M, np.float32(0.25)), ref)
    np.testing.assert_array_equal(kepler(M.tolist(), 0.25), ref)  # a list
    assert kepler(np.array([True, False]), 0).dtype == np.float64


def test_complex_and_non_numeric_inputs_raise(kepler):
    with pytest.raises(TypeError, match=r"kepler: argument 0 \(M\).*complex128.*x\.real"):
        kepler(np.ones(3, complex), 0.1)
    with pytest.raises(TypeError, match=r"kepler: argument 1 \(e\).*got a str"):
        kepler(np.ones(3), "a")
    with pytest.raises(TypeError, match=r"kepler: argument 1 \(e\).*float128|longdouble"):
        kepler(np.ones(3), np.ones(3, np.longdouble))
    with pytest.raises(TypeError, match="kepler: argument 0"):
        kepler(np.array([object()]), 0.1)
    with pytest.raises(TypeError, match=r"kepler: argument 0 \(M\).*complex"):
        fluxion.jit(kepler)(np.ones(3, complex), 0.1)  # the shape rule, before any call


def test_mismatched_shapes_raise(kepler):
    with pytest.raises(ValueError, match=r"kepler: expected .* broadcast .*M: \(3,\), e: \(4,\)"):
        kepler(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="kepler: expected .* broadcast"):
        fluxion.jit(kepler)(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="kepler: expected .* broadcast"):
        fluxion.grad(lambda M: fnp.sum(kepler(M, np.ones(4))))(np.ones(3))


def test_wrong_number_of_arguments_and_no_n(kepler):
    # n is never the caller's: it is the size of the (broadcast) arrays
    with pytest.raises(TypeError, match=r"kepler: expected 2 array arguments \(M, e\), got 3"):
        kepler(np.ones(3), 0.1, -(2**62))
    with pytest.raises(TypeError, match="kepler: expected only array arguments"):
        kepler(np.ones(3), 0.1, n=-(2**62))
    with pytest.raises(TypeError, match="kepler: expected 2 array arguments"):
        kepler(np.ones(3))
    assert kepler(np.ones(0), 0.1).shape == (0,)  # n = 0: nothing to do
    assert kepler(np.ones((2, 0, 3)), 0.1).shape == (2, 0, 3)
    huge = kepler(np.array([-(2.0**62), 2.0**62, np.inf, np.nan]), 0.1)  # runs, no crash
    assert huge.shape == (4,)


def test_non_contiguous_inputs(kepler):
    base = np.linspace(0, 6, 40).reshape(5, 8)
    e = np.linspace(0.0, 0.8, 16).reshape(2, 8)[:, ::-1]
    for M in (base[:, ::2], base.T, np.asfortranarray(base), base[::2, 1::3]):
        assert not M.flags.c_contiguous
        np.testing.assert_array_equal(kepler(M, 0.3), kepler(M.copy(), 0.3))
    np.testing.assert_array_equal(kepler(base[:2], e), kepler(base[:2], e.copy()))
    ro = np.linspace(0, 1, 5)
    ro.flags.writeable = False
    np.testing.assert_array_equal(kepler(ro, 0.5), kepler(ro.copy(), 0.5))
    # the inputs are never written to
    M = np.linspace(0, 1, 5)
    before = M.copy()
    kepler(M, 0.5)
    np.testing.assert_array_equal(M, before)


# --------------------------------------------------------------------------------------------
# More C: several outputs, the general (non-elementwise) convention, compiler errors, caching
# --------------------------------------------------------------------------------------------

SINCOS_C = r"""
#include <math.h>
#include <stdint.h>
void sincos2(int64_t n, const double* x, const double* w, double* s, double* c) {
    for (int64_t i = 0; i < n; ++i) { s[i] = sin(w[i] * x[i]); c[i] = cos(w[i] * x[i]); }
}
"""

MATVEC_C = r"""
#include <stdint.h>
/* dims = {2, m, n, 1, n, 1, m}: A (m x n), x (n,), y (m,) */
void matvec(const int64_t* dims, const double* A, const double* x, double* y) {
    const int64_t m = dims[1], n = dims[2];
    for (int64_t i = 0; i < m; ++i) {
        double acc = 0.0;
        for (int64_t j = 0; j < n; ++j) acc += A[i * n + j] * x[j];
        y[i] = acc;
    }
}
"""


@needs_cc
def test_several_outputs():
    sc = c_primitive(SINCOS_C, "sincos2", inputs=("x", "w"), outputs=("s", "c"))
    x = np.linspace(0, 3, 7)
    s, c = sc(x, 2.0)
    np.testing.assert_allclose(s, np.sin(2 * x), rtol=1e-15)
    np.testing.assert_allclose(c, np.cos(2 * x), rtol=1e-15)
    # reverse mode: the maker receives a cotangent per output
    defvjp(
        sc,
        lambda ans, x, w: lambda g: g[0] * w * ans[1] - g[1] * w * ans[0],
        lambda ans, x, w: lambda g: g[0] * x * ans[1] - g[1] * x * ans[0],
    )

    def loss(x):
        s, c = sc(x, 2.0)
        return fnp.sum(s * c + s)

    np.testing.assert_allclose(fluxion.grad(loss)(x), 2 * np.cos(4 * x) + 2 * np.cos(2 * x))
    vs, vc = fluxion.vmap(sc, in_axes=(0, None))(np.stack([x, x + 1]), 2.0)
    np.testing.assert_allclose(vs[1], np.sin(2 * (x + 1)), rtol=1e-15)
    for tier in (0, 1) if HAS_NUMBA else (0,):
        j = fluxion.jit(lambda x: sc(x, 2.0), tier=tier)
        js, jc = j(x)
        np.testing.assert_array_equal(js, s)
        np.testing.assert_array_equal(jc, c)
        assert j.tier_info() == [f"0: tier {tier}"]


@needs_cc
def test_general_convention_with_shape_rule():
    def shape_rule(A, x):
        if A.ndim != 2 or x.ndim != 1 or A.shape[1] != x.shape[0]:
            raise ValueError(f"matvec: expected A (m, n) and x (n,), got {A} and {x}")
        return (A.shape[0],)

    mv = c_primitive(
        MATVEC_C, "matvec", inputs=("A", "x"), elementwise=False, abstract_eval=shape_rule
    )
    A = np.arange(12.0).reshape(3, 4)
    x = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(mv(A, x), A @ x)
    np.testing.assert_allclose(mv(A.T.copy().T, x), A @ x)  # Fortran order converted
    with pytest.raises(ValueError, match=r"matvec: expected A \(m, n\) and x \(n,\)"):
        mv(A, np.ones(3))  # would read past x in C: caught by the shape rule first
    with pytest.raises(ValueError, match="matvec: expected A"):
        mv(np.ones(4), x)
    with pytest.raises(TypeError, match="needs a shape rule"):
        c_primitive(MATVEC_C, "matvec", inputs=2, elementwise=False)
    for tier in (0, 1) if HAS_NUMBA else (0,):
        j = fluxion.jit(lambda A, x: mv(A, x) * 2.0, tier=tier)
        np.testing.assert_allclose(j(A, x), 2 * A @ x)
        assert j.tier_info() == [f"0: tier {tier}"]


def test_missing_compiler_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"no C compiler found \(tried 'no-such-cc-xyz'\)"):
        c_primitive("void f(void) {}", "f", compiler="no-such-cc-xyz")


@needs_cc
def test_compile_errors_and_missing_function():
    with pytest.raises(RuntimeError, match="(?s)compiling 'broken' failed.*error"):
        c_primitive("void broken(int64_t n, { nonsense", "broken")
    src = "#include <stdint.h>\nvoid other(int64_t n, const double* x, double* y) {}\n"
    with pytest.raises(ValueError, match="defines no function 'absent'"):
        c_primitive(src, "absent")
    with pytest.raises(ValueError, match="expected the C function's name"):
        c_primitive(src, "not a name")


@needs_cc
def test_library_is_cached_across_processes(tmp_path):
    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", str(tmp_path))
    try:
        f = c_primitive(SINCOS_C, "sincos2", inputs=2, outputs=2)
        again = c_primitive(SINCOS_C, "sincos2", inputs=2, outputs=2)
    finally:
        fluxion.config.update("cache_dir", old)
    assert f.library_path == again.library_path
    assert f.library_path.startswith(os.path.join(str(tmp_path), "c"))
    mtime = os.stat(f.library_path).st_mtime_ns
    code = textwrap.dedent(
        f"""
        import fluxion
        from fluxion.extend import c_primitive
        fluxion.config.update("cache_dir", {str(tmp_path)!r})
        f = c_primitive({SINCOS_C!r}, "sincos2", inputs=2, outputs=2)
        print(f.library_path)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f.library_path
    assert os.stat(f.library_path).st_mtime_ns == mtime  # reused, not recompiled


# --------------------------------------------------------------------------------------------
# numba primitives
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def numba_kepler():
    if not HAS_NUMBA:
        pytest.skip("numba is not installed")

    @numba_primitive(vectorize=True)
    def nkepler(M, e):
        x = M + e * np.sin(M)
        for _ in range(100):
            dx = (x - e * np.sin(x) - M) / (1.0 - e * np.cos(x))
            x -= dx
            if abs(dx) <= 1e-12:
                break
        return x

    defvjp(
        nkepler,
        lambda E, M, e: lambda g: g / (1.0 - e * fnp.cos(E)),
        lambda E, M, e: lambda g: g * fnp.sin(E) / (1.0 - e * fnp.cos(E)),
    )
    return nkepler


def test_numba_vectorized_kepler(numba_kepler):
    M, e = _points(50)
    ref = np.array([python_kepler(m, ecc) for m, ecc in zip(M, e)])
    np.testing.assert_allclose(numba_kepler(M, e), ref, rtol=0, atol=1e-12)
    check_grads(numba_kepler, (M[:6], e[:6]), order=2, modes=("fwd", "rev"))
    out = fluxion.vmap(numba_kepler, in_axes=(None, 0))(M, e[:3])
    np.testing.assert_array_equal(out[2], numba_kepler(M, e[2]))

    def model(M, e):
        return fnp.sum(fnp.cos(numba_kepler(M, e)) * M)

    j = fluxion.jit(fluxion.value_and_grad(model, argnums=(0, 1)), tier=1)
    value, (gM, ge) = j(M, e)
    ref_value, (ref_gM, ref_ge) = fluxion.value_and_grad(model, argnums=(0, 1))(M, e)
    assert j.tier_info() == ["0: tier 1"]
    assert "_fx_numba_nkepler_" in j.lower(M, e).tier1_source
    assert value == pytest.approx(ref_value, rel=1e-14)
    np.testing.assert_allclose(gM, ref_gM, rtol=1e-13)
    np.testing.assert_allclose(ge, ref_ge, rtol=1e-13)


@needs_numba
def test_numba_njit_array_function():
    import numba

    @numba.njit
    def softplus(x):
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)

    sp = numba_primitive(softplus)
    defvjp(sp, lambda ans, x: lambda g: g / (1.0 + fnp.exp(-x)))  # d/dx softplus = sigmoid
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(sp(x), np.logaddexp(0, x), rtol=1e-15)
    assert isinstance(sp(np.float64(1.0)), np.float64)
    assert sp(np.arange(3)).dtype == np.float64  # integer inputs: a float result
    assert sp(np.ones(2, np.float32)).dtype == np.float32
    check_grads(sp, (x,), order=2)
    np.testing.assert_allclose(fluxion.grad(lambda x: fnp.sum(sp(x)))(x), 1 / (1 + np.exp(-x)))
    batched = fluxion.vmap(fluxion.grad(lambda x: fnp.sum(sp(x) ** 2)))(np.stack([x, 2 * x]))
    assert batched.shape == (2, 7)
    for tier in (0, 1):
        j = fluxion.jit(lambda x: fnp.sum(sp(x) * x), tier=tier)
        assert j(x) == pytest.approx(np.sum(np.logaddexp(0, x) * x), rel=1e-14)
        assert j(np.float64(0.5)) == pytest.approx(np.logaddexp(0, 0.5) * 0.5, rel=1e-14)
        assert j.tier_info()[0] == f"0: tier {tier}"
    with pytest.raises(ValueError, match="softplus: expected elementwise arguments"):
        numba_primitive(lambda x, y: x + y, name="softplus")(np.ones(3), np.ones(4))


@needs_numba
def test_numba_plain_python_function_and_several_outputs():
    def polar(x, y):
        return np.sqrt(x * x + y * y), np.arctan2(y, x)

    p = numba_primitive(polar, outputs=("r", "theta"))
    x, y = np.array([1.0, 0.0, -2.0]), np.array([0.0, 3.0, 2.0])
    r, th = p(x, y)
    np.testing.assert_allclose(r, np.hypot(x, y))
    np.testing.assert_allclose(th, np.arctan2(y, x))
    j = fluxion.jit(lambda x, y: p(x, y)[0] + p(x, y)[1], tier=1)
    np.testing.assert_allclose(j(x, y), r + th)
    assert j.tier_info() == ["0: tier 1"]
    with pytest.raises(TypeError, match="polar: numba could not compile the function"):
        p(np.ones(2), "a")


@needs_numba
def test_numba_function_with_explicit_loops():
    def double(x):
        out = np.empty(x.shape[0])
        for i in range(x.shape[0]):
            out[i] = 2.0 * x[i]
        return out

    f = numba_primitive(double, elementwise=False)
    j = fluxion.jit(lambda x: f(x) + 1.0, tier=1)
    np.testing.assert_allclose(j(np.arange(3.0)), [1.0, 3.0, 5.0])
    assert j.tier_info() == ["0: tier 1"]


@needs_numba
def test_tier1_falls_back_to_tier0_with_a_reason():
    def twice(x):
        return 2.0 * x

    f = numba_primitive(twice)
    x = np.linspace(0.0, 1.0, 200_000)  # large: outside fusable clusters, tier 1 declines
    j = fluxion.jit(lambda x: fnp.sum(f(x)), tier=1)
    with pytest.warns(fluxion.PerformanceWarning, match="tier 1 .*requested.*large arrays"):
        assert j(x) == pytest.approx(2 * np.sum(x))
    assert j.tier_info()[0].startswith("0: tier 0") and "large arrays" in j.tier_info()[0]
    small = np.arange(3.0)
    f.prim.templates["numba"] = lambda eqn: 1 / 0  # a lowering that fails: no lowering
    j = fluxion.jit(lambda x: f(x) + 1.0, tier=1)
    with pytest.warns(fluxion.PerformanceWarning, match="no numba lowering for twice"):
        np.testing.assert_allclose(j(small), [1.0, 3.0, 5.0])
    assert "no numba lowering for twice" in j.tier_info()[0]
    f.prim.templates["numba"] = {"call": "no_such_helper({0})", "globals": {}}
    j = fluxion.jit(lambda x: f(x) + 1.0, tier=1)
    with pytest.warns(fluxion.PerformanceWarning, match="numba failed"):
        np.testing.assert_allclose(j(small), [1.0, 3.0, 5.0])  # numba fails to compile: tier 0
    assert j.tier_info()[0].startswith("0: tier 0") and "numba failed" in j.tier_info()[0]


# --------------------------------------------------------------------------------------------
# CuPy (GPU): skipped without CuPy
# --------------------------------------------------------------------------------------------


def test_cupy_primitive_without_cupy_is_a_clear_error():
    try:
        import cupy  # noqa: F401

        pytest.skip("CuPy is installed")
    except ImportError:
        pass
    with pytest.raises(ImportError, match="cupy_primitive: CuPy is not installed"):
        cupy_primitive('extern "C" __global__ void f() {}', name="f")


def test_cupy_raw_kernel_kepler():
    cupy = pytest.importorskip("cupy")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception:
        pytest.skip("no CUDA device")
    src = r"""
    extern "C" __global__ void kepler_gpu(long long n, const double* M, const double* e,
                                          double* E) {
        long long i = (long long)blockDim.x * blockIdx.x + threadIdx.x;
        if (i >= n) return;
        double m = M[i], ecc = e[i], x = m + ecc * sin(m);
        for (int it = 0; it < 100; ++it) {
            double dx = (x - ecc * sin(x) - m) / (1.0 - ecc * cos(x));
            x -= dx;
            if (fabs(dx) <= 1e-12) break;
        }
        E[i] = x;
    }
    """
    kg = cupy_primitive(src, name="kepler_gpu", inputs=("M", "e"))
    defvjp(
        kg,
        lambda E, M, e: lambda g: g / (1.0 - e * fnp.cos(E)),
        lambda E, M, e: lambda g: g * fnp.sin(E) / (1.0 - e * fnp.cos(E)),
    )
    M, e = _points(300)
    ref = np.array([python_kepler(m, ecc) for m, ecc in zip(M, e)])
    np.testing.assert_allclose(kg(M, e), ref, atol=1e-12)
    check_grads(kg, (M[:5], e[:5]), order=1)
    out = fluxion.vmap(kg, in_axes=(None, 0))(M, e[:3])
    np.testing.assert_allclose(out[1], kg(M, e[1]))
    ew = cupy.ElementwiseKernel("float64 x, float64 y", "float64 z", "z = x * y + 1.0", "fma1")
    f = cupy_primitive(ew, inputs=2)
    np.testing.assert_allclose(f(np.arange(3.0), 2.0), [1.0, 3.0, 5.0])
    with pytest.raises(TypeError, match="complex"):
        f(np.ones(2, complex), 1.0)


# --------------------------------------------------------------------------------------------
# The radial-velocity fit and the example
# --------------------------------------------------------------------------------------------


def test_radial_velocity_fit_recovers_planted_orbit(kepler):
    import kepler_rv

    t, y = kepler_rv.simulate(n=80, sigma=1.0, seed=3)
    start = {"P": 7.33, "K": 10.5, "e": 0.28, "omega": 1.25, "t0": 2.25}
    fitted, res = kepler_rv.fit(t, y, 1.0, start)
    assert res.success
    names = list(kepler_rv.TRUTH)

    def nll(v):  # in the orbital parameters themselves, for their standard errors
        r = kepler_rv.radial_velocity(t, *[v[i] for i in range(5)]) - y
        return 0.5 * fnp.sum(r * r)

    best = np.array([fitted[k] for k in names])
    truth = np.array([kepler_rv.TRUTH[k] for k in names])
    assert nll(best) <= nll(truth)
    np.testing.assert_allclose(fluxion.grad(nll)(best), 0.0, atol=1e-3)
    se = np.sqrt(np.diag(np.linalg.inv(fluxion.hessian(nll)(best))))
    z = np.abs(best - truth) / se
    assert np.all(z < 4.0), dict(zip(names, z))
    assert np.all(np.abs(best - truth) < [0.01, 0.6, 0.05, 0.15, 0.15])


def test_example_main_runs(kepler, capsys):
    from kepler_rv import TRUTH, main

    out = main(n=40, seed=1)
    fitted = out["fitted"]
    assert abs(fitted["P"] - TRUTH["P"]) < 0.02 and abs(fitted["e"] - TRUTH["e"]) < 0.1
    printed = capsys.readouterr().out
    assert "recovered" in printed and "omega" in printed
