# ruff: noqa: NPY002
"""Issue 13: jit and plain NumPy code that must not silently give wrong answers.

NumPy random draws frozen by jit warn; captured NumPy arrays indexed by traced values; captured
arrays mutated after compiling (documented: frozen, as in JAX); containers with their own
``__array_ufunc__`` (xarray) keep their rules; ``np.<name>(tracer)`` reaches fluxion.numpy.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion import grad, jit

_RNG = np.random.default_rng(0)
_RS = np.random.RandomState(1)


def _frozen_warnings(fun, *args, calls=2):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = jit(fun)
        outs = [f(*args) for _ in range(calls)]
    return [w for w in caught if issubclass(w.category, fluxion.FrozenValueWarning)], outs


# ---------------------------------------------------------------------------------------------
# 1. NumPy random draws inside a traced function
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fun",
    [
        lambda x: x + np.random.normal(),
        lambda x: x + np.random.rand(),
        lambda x: x + np.random.default_rng(0).normal(),
        lambda x: x + np.random.RandomState(0).normal(),
        lambda x: x + _RNG.normal(size=3),
        lambda x: x + _RS.uniform(),
        lambda x: x + _RNG.bit_generator.random_raw() * 0.0,
    ],
    ids=["legacy", "legacy_rand", "default_rng", "RandomState", "captured_generator",
         "captured_randomstate", "bit_generator"],
)
def test_numpy_random_under_jit_warns_once(fun):
    caught, outs = _frozen_warnings(fun, 1.0)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "frozen" in message and "fluxion.random" in message
    # the value really is frozen (what the warning says)
    np.testing.assert_array_equal(outs[0], outs[1])


def test_numpy_random_warning_once_per_jitted_function_across_retraces():
    def f(x):
        return x + np.random.normal()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = jit(f)
        g(1.0)
        g(np.ones(3))  # a second signature traces again
        grad(g)(1.0)  # and so do its derivative rules
    assert g.trace_count >= 2
    assert sum(issubclass(w.category, fluxion.FrozenValueWarning) for w in caught) == 1


def test_keyed_random_and_plain_code_do_not_warn():
    key = fluxion.random.key(0)
    caught, outs = _frozen_warnings(lambda x, k: x + fluxion.random.normal(k, (3,)), 1.0, key)
    assert caught == []
    caught, _ = _frozen_warnings(lambda x: fnp.sin(x) * 2.0, 1.0)
    assert caught == []


def test_numpy_random_watch_is_removed_after_an_error():
    import numpy.random._generator as gen
    import numpy.random.mtrand as mtrand

    pcg, mt = gen.PCG64, mtrand._MT19937

    def bad(x):
        np.random.default_rng(0).normal()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        jit(bad)(1.0)
    assert gen.PCG64 is pcg and mtrand._MT19937 is mt
    # isinstance checks on the real classes keep working during a trace (np.random.seed uses one)
    caught, _ = _frozen_warnings(lambda x: (np.random.seed(3), x)[1], 1.0)
    assert len(caught) == 1


# ---------------------------------------------------------------------------------------------
# 2. A captured NumPy array indexed by traced values under jit
# ---------------------------------------------------------------------------------------------

_DATA = np.arange(5.0) ** 2


def test_captured_array_traced_int_array_index_is_guarded():
    f = jit(lambda i, x: _DATA[i] * x)
    np.testing.assert_array_equal(f(np.array([1, 2]), 3.0), _DATA[[1, 2]] * 3.0)
    np.testing.assert_array_equal(f(np.array([1, 2]), 5.0), _DATA[[1, 2]] * 5.0)
    assert f.trace_count == 1
    with pytest.warns(UserWarning, match="captured NumPy array"):
        out = f(np.array([4, 0]), 2.0)  # a new index value: a new specialization
    np.testing.assert_array_equal(out, _DATA[[4, 0]] * 2.0)
    np.testing.assert_array_equal(f(np.array([1, 2]), 1.0), _DATA[[1, 2]])  # the first one
    assert f.trace_count == 2
    # derivatives flow through the other operand
    g = grad(lambda x: fnp.sum(f(np.array([1, 2]), x)))(2.0)
    assert g == _DATA[1] + _DATA[2]


def test_captured_array_traced_int_scalar_and_bool_mask():
    f = jit(lambda i, x: _DATA[i] * x)
    assert f(3, 2.0) == _DATA[3] * 2.0
    assert f(np.int64(1), 2.0) == _DATA[1] * 2.0
    h = jit(lambda x: fnp.sum(_DATA[x > 2.0] * x[0]))
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    assert h(x) == np.sum(_DATA[x > 2.0] * x[0])
    np.testing.assert_allclose(grad(h)(x), [np.sum(_DATA[x > 2.0]), 0, 0, 0, 0])


def test_captured_array_index_limit_names_the_gather():
    f = jit(lambda i, x: _DATA[i] * x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(fluxion.ConcretizationError, match=r"fnp\.take"):
            for k in range(fluxion.config.jit_guard_limit + 1):
                f(np.array([k % 5, (k // 5) % 5]), 1.0)
    # the gather the message names: one specialization for every index value
    g = jit(lambda i, x: fnp.take(_DATA, i) * x)
    for k in range(12):
        i = np.array([k % 5, (3 * k) % 5])
        np.testing.assert_array_equal(g(i, 2.0), _DATA[i] * 2.0)
    assert g.trace_count == 1


def test_captured_array_traced_index_without_values_is_a_clear_error():
    # make_graph traces without concrete values: no guard can be recorded
    with pytest.raises(fluxion.ConcretizationError, match=r"fnp\.take\(data, i\)"):
        fluxion.make_graph(lambda i: _DATA[i])(np.array([1, 2]))


def test_assigning_traced_value_into_plain_numpy_array_names_the_fix():
    def f(x):
        y = np.zeros(3)
        y[0] = x
        return fnp.sum(y)

    for transform in (grad, jit):
        with pytest.raises(ValueError) as info:  # NumPy's error, raised from fluxion's
            transform(f)(1.0)
        cause = info.value.__cause__
        assert isinstance(cause, fluxion.ConcretizationError)
        assert "fluxion.numpy.zeros" in str(cause) and "at(" in str(cause)


# ---------------------------------------------------------------------------------------------
# 3. Captured arrays are constants (documented in fluxion.jit); the two documented ways to
#    change data between calls give fresh values
# ---------------------------------------------------------------------------------------------


def test_changing_data_between_calls_the_documented_ways():
    data = np.arange(3.0)
    f = jit(lambda x: (data * 2.0).sum() * x)
    assert f(1.0) == 6.0
    data[:] = 10.0
    f.clear_cache()
    assert f(1.0) == 60.0
    g = jit(lambda d, x: (d * 2.0).sum() * x)
    assert g(np.arange(3.0), 1.0) == 6.0
    assert g(np.full(3, 10.0), 1.0) == 60.0
    assert g.trace_count == 1
    assert "Notes" in jit.__doc__ and "clear_cache" in jit.__doc__


# ---------------------------------------------------------------------------------------------
# 5. Plain ``np.<name>(tracer)`` reaches fluxion.numpy's extra functions
# ---------------------------------------------------------------------------------------------

_X = np.array([0.3, 1.7, -0.4, 2.2, 0.9])


def test_plain_numpy_sort_median_trapezoid_differentiate():
    from fluxion.test_util import check_grads

    def f(x):
        return np.sort(x)[0] + np.median(x) + np.trapezoid(x)

    g = grad(f)(_X)
    np.testing.assert_allclose(g, [0.5, 1.0, 2.0, 1.0, 1.5])  # d/dx: trapezoid + sort[0] + median
    check_grads(f, (_X,), order=2)
    assert jit(f)(_X) == pytest.approx(f(_X), rel=1e-14)


def test_plain_numpy_extra_functions_route():
    from fluxion.test_util import check_grads

    def f(x):
        return (
            np.sum(np.diff(x) ** 2) + np.interp(0.5, np.arange(5.0), x)
            + np.sum(np.gradient(x) ** 2) + np.sum(np.convolve(x, x)) + np.sum(np.correlate(x, x))
            + np.sum(np.cov(np.stack([x, x ** 2]))) + np.sum(np.corrcoef(x, x ** 2))
            + np.sum(np.cross(x[:3], x[2:])) + np.sum(np.append(x, x))
            + np.sum(np.insert(x, 1, x[0])) + np.sum(np.delete(x, 1)) + np.quantile(x, 0.3)
            + np.percentile(x, 40) + np.sum(np.rot90(np.outer(x, x))) + np.polyval(x, 0.7)
            + np.sum(np.ediff1d(x) ** 3) + np.nanmedian(x)
        )

    check_grads(f, (_X,), order=2)
    assert jit(f)(_X) == pytest.approx(f(_X), rel=1e-12)
    # non-differentiable ones return plain values on traced input
    assert grad(lambda x: np.sum(np.argsort(x)) + 0.0 * x[0])(_X)[0] == 0.0
    g = grad(lambda x: np.searchsorted(np.sort(x), 1.0) * x[0])(_X)
    np.testing.assert_array_equal(g, [3.0, 0, 0, 0, 0])


def test_plain_numpy_put_along_axis_keeps_in_place_semantics():
    def f(x):
        y = x * 1.0
        assert np.put_along_axis(y, np.array([0]), x[1] * 3.0, 0) is None
        return fnp.sum(y * y)

    x = _X[:3]
    eager = np.array(x)
    np.put_along_axis(eager, np.array([0]), x[1] * 3.0, 0)
    assert f(x) == pytest.approx(np.sum(eager ** 2))
    np.testing.assert_allclose(grad(f)(x), [0.0, 2 * x[1] + 18 * x[1], 2 * x[2]])
    assert jit(f)(x) == pytest.approx(f(x))
    with pytest.raises(TypeError, match="fluxion.numpy.put_along_axis"):
        grad(lambda x: np.put_along_axis(np.zeros(3), np.array([0]), x, 0))(1.0)
