"""Values of fluxion.numpy's extra functions (issue 13) against NumPy, keyword variants included."""

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp

RNG = np.random.default_rng(13)
X = RNG.normal(size=(3, 5, 4))


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "nearest", "midpoint"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_quantile_variants(method, axis, keepdims):
    for q in (0.3, [0.1, 0.5, 1.0]):
        got = fnp.quantile(X, q, axis=axis, method=method, keepdims=keepdims)
        np.testing.assert_allclose(got, np.quantile(X, q, axis=axis, method=method,
                                                    keepdims=keepdims), rtol=1e-12)
        got = fnp.percentile(X, np.multiply(q, 100), axis=axis, method=method, keepdims=keepdims)
        np.testing.assert_allclose(got, np.percentile(X, np.multiply(q, 100), axis=axis,
                                                      method=method, keepdims=keepdims),
                                   rtol=1e-12)


def test_nan_versions():
    y = X.copy()
    y[0, 1, 2] = np.nan
    np.testing.assert_allclose(fnp.nanmedian(y, axis=1), np.nanmedian(y, axis=1))
    np.testing.assert_allclose(fnp.nanquantile(y, [0.2, 0.9], axis=2),
                               np.nanquantile(y, [0.2, 0.9], axis=2))


def test_sort_grad_and_jit():
    x = np.array([0.3, -1.0, 2.0, 0.5])
    g = fluxion.grad(lambda v: fnp.sort(v)[-1] + 2 * fnp.median(v))(x)
    np.testing.assert_allclose(g, [1.0, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(fluxion.jit(lambda v: fnp.sort(v))(x), np.sort(x))


def test_misc_values():
    x = X[0]
    xp = np.sort(RNG.normal(size=7))
    fp = RNG.normal(size=7)
    xs = RNG.normal(size=(3, 5)) * 2
    np.testing.assert_allclose(fnp.interp(xs, xp, fp, left=-5, right=3.0),
                               np.interp(xs, xp, fp, left=-5, right=3.0))
    np.testing.assert_allclose(fnp.diff(x, prepend=0.5, append=np.ones((5, 1))),
                               np.diff(x, prepend=0.5, append=np.ones((5, 1))))
    np.testing.assert_allclose(fnp.ediff1d(x, to_end=[1, 2], to_begin=3),
                               np.ediff1d(x, to_end=[1, 2], to_begin=3))
    co = np.cumsum(RNG.uniform(0.5, 1, 4))
    np.testing.assert_allclose(fnp.gradient(x, 2.0, co), np.gradient(x, 2.0, co))
    np.testing.assert_allclose(fnp.trapezoid(x, dx=0.3, axis=0), np.trapezoid(x, dx=0.3, axis=0))
    a, v = RNG.normal(size=7), RNG.normal(size=3) + 1j
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(fnp.convolve(v, a, mode), np.convolve(v, a, mode))
        np.testing.assert_allclose(fnp.correlate(v, a, mode), np.correlate(v, a, mode))
    for kw in ({"rowvar": False}, {"bias": True}, {"ddof": 2}, {"y": x[::-1]}):
        np.testing.assert_allclose(fnp.cov(x, **kw), np.cov(x, **kw))
    b = RNG.normal(size=(3, 5))
    np.testing.assert_allclose(fnp.cross(b, b[::-1], axis=0), np.cross(b, b[::-1], axis=0))
    np.testing.assert_allclose(fnp.insert(x, 2, [9.0]), np.insert(x, 2, [9.0]))
    np.testing.assert_allclose(fnp.delete(x, slice(1, 3), axis=1),
                               np.delete(x, slice(1, 3), axis=1))
    np.testing.assert_allclose(fnp.append(x, x, axis=0), np.append(x, x, axis=0))
    i = np.argsort(x, axis=1)[:, :2]
    y = x.copy()
    np.put_along_axis(y, i, -1.0, axis=1)
    np.testing.assert_allclose(fnp.put_along_axis(x, i, -1.0, 1), y)
    c = RNG.integers(0, 3, x.shape)
    np.testing.assert_allclose(fnp.choose(c, [x, 2 * x, 3 * x]), np.choose(c, [x, 2 * x, 3 * x]))
    np.testing.assert_allclose(fnp.select([x > 0.5, x < 0], [x, -x], 7.0),
                               np.select([x > 0.5, x < 0], [x, -x], 7.0))
    np.testing.assert_allclose(fnp.compress([1, 0, 1], x, axis=0),
                               np.compress([1, 0, 1], x, axis=0))
    bins = np.linspace(-1, 1, 5)
    for bb in (bins, bins[::-1]):
        np.testing.assert_array_equal(fnp.digitize(x, bb, True), np.digitize(x, bb, True))
    xs = np.linspace(0, 1, 10)
    np.testing.assert_allclose(fnp.polyfit(xs, np.sin(3 * xs), 3, w=xs + 1),
                               np.polyfit(xs, np.sin(3 * xs), 3, w=xs + 1), rtol=1e-8)
    h = fnp.histogram(x, bins=4)
    np.testing.assert_array_equal(h[0], np.histogram(x, bins=4)[0])
