"""Values of fluxion.numpy's second batch of NumPy functions (issue 13) against NumPy."""

import warnings

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp

RNG = np.random.default_rng(1313)
A = RNG.normal(size=(3, 4))
B = RNG.normal(size=(2, 3, 4))
U = RNG.uniform(-0.9, 0.9, size=(5,))
V = RNG.uniform(1.1, 2.0, size=(5,))
C = RNG.normal(size=(4,)) + 1j * RNG.normal(size=(4,))
N = A.copy()
N[0, 1] = N[2, 3] = np.nan
NALL = N.copy()
NALL[1] = np.nan
W = RNG.uniform(0.5, 1.0, size=(4,))

# (label, call): ``call(m)`` is evaluated with m = fluxion.numpy and m = numpy
CASES = [
    ("acos", lambda m: m.acos(U)), ("asin", lambda m: m.asin(U)), ("atan", lambda m: m.atan(U)),
    ("atan2", lambda m: m.atan2(U, V)), ("acosh", lambda m: m.acosh(V)),
    ("asinh", lambda m: m.asinh(U)), ("atanh", lambda m: m.atanh(U)),
    ("pow", lambda m: m.pow(V, U)), ("concat", lambda m: m.concat([A, A], axis=1)),
    ("concat-none", lambda m: m.concat([A, B], axis=None)),
    ("permute_dims", lambda m: m.permute_dims(B, (2, 0, 1))),
    ("matrix_transpose", lambda m: m.matrix_transpose(B)),
    ("vecdot", lambda m: m.vecdot(B, C)), ("vecdot-axis0", lambda m: m.vecdot(A, A, axis=0)),
    ("matvec", lambda m: m.matvec(B, C)), ("vecmat", lambda m: m.vecmat(C[:3], B)),
    ("cumulative_sum", lambda m: m.cumulative_sum(U)),
    ("cumulative_sum-init", lambda m: m.cumulative_sum(A, axis=0, include_initial=True)),
    ("cumulative_prod", lambda m: m.cumulative_prod(B, axis=-1, include_initial=True)),
    ("unstack", lambda m: m.unstack(B, axis=2)),
    ("unstack-0", lambda m: m.unstack(A)),
]
for _ax in (None, 0, 1, (0, 1)):
    for _n in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar"):
        CASES.append((f"{_n}-{_ax}", lambda m, _n=_n, _ax=_ax: getattr(m, _n)(NALL, axis=_ax)))
    CASES.append((f"ptp-{_ax}", lambda m, _ax=_ax: m.ptp(A, axis=_ax)))
    CASES.append((f"count_nonzero-{_ax}",
                  lambda m, _ax=_ax: m.count_nonzero(np.round(A), axis=_ax)))
    CASES.append((f"average-{_ax}", lambda m, _ax=_ax: m.average(A, axis=_ax, returned=True)))
CASES += [
    ("nanvar-ddof", lambda m: m.nanvar(N, axis=1, ddof=1, keepdims=True)),
    ("nanstd-complex", lambda m: m.nanstd(N + 2j * A, axis=0)),
    ("nanmean-keepdims", lambda m: m.nanmean(N, axis=0, keepdims=True)),
    ("nancumsum", lambda m: m.nancumsum(N)), ("nancumsum-1", lambda m: m.nancumsum(N, axis=1)),
    ("nancumprod", lambda m: m.nancumprod(N, axis=0)),
    ("nanargmax", lambda m: m.nanargmax(N)), ("nanargmax-1", lambda m: m.nanargmax(N, axis=1)),
    ("nanargmin-0", lambda m: m.nanargmin(N, axis=0, keepdims=True)),
    ("average-w", lambda m: m.average(A, axis=1, weights=W, returned=True)),
    ("average-wfull", lambda m: m.average(A, weights=A ** 2)),
    ("average-keepdims", lambda m: m.average(A, axis=0, weights=A ** 2, keepdims=True)),
    ("count_nonzero-keep", lambda m: m.count_nonzero(np.round(A), axis=1, keepdims=True)),
    ("nansum-int", lambda m: m.nansum(np.arange(6).reshape(2, 3), axis=1)),
]


def _close(got, want):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want):
            _close(g, w)
        return
    want = np.asarray(want)
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "biu":
        assert got.dtype.kind in "biu"
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, equal_nan=True)


@pytest.mark.parametrize("label,call", CASES, ids=[c[0] for c in CASES])
def test_matches_numpy(label, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _close(call(fnp), call(np))


@pytest.mark.parametrize("label,call", CASES, ids=[c[0] for c in CASES])
def test_matches_numpy_traced(label, call):
    """The same values through a (trivial) transform, so the composite path runs."""
    if label.startswith(("nanargm", "count_nonzero")):
        pytest.skip("integer result")

    def f(s):
        return fluxion.numpy.multiply(s, 1.0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = fluxion.jvp(lambda s: (call(fnp), f(s))[0], (1.0,), (1.0,))[0]
        _close(got, call(np))


@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanmax", "nanmin", "nanprod",
                                  "nanstd", "nanvar"])
def test_nan_reduction_grads(name):
    x = RNG.uniform(0.5, 1.5, size=7)
    x[[1, 4]] = np.nan
    keep = ~np.isnan(x)
    g = fluxion.grad(lambda v: getattr(fnp, name)(v))(x)
    plain = getattr(fnp, name[3:] if name not in ("nanmax", "nanmin") else name[3:])
    g_ref = fluxion.grad(lambda v: plain(v))(x[keep])
    np.testing.assert_allclose(g[keep], g_ref, rtol=1e-12)
    np.testing.assert_array_equal(g[~keep], 0.0)
    assert np.all(np.isfinite(g))


def test_nancumsum_average_grads():
    x = RNG.uniform(0.5, 1.5, size=5)
    x[2] = np.nan
    g = fluxion.grad(lambda v: fnp.sum(fnp.nancumsum(v) * np.arange(5)))(x)
    np.testing.assert_allclose(g, [10, 10, 0, 7, 4])
    a, w = RNG.normal(size=4), RNG.uniform(0.5, 1, size=4)
    ga, gw = fluxion.grad(lambda a, w: fnp.average(a, weights=w), argnums=(0, 1))(a, w)
    np.testing.assert_allclose(ga, w / w.sum())
    np.testing.assert_allclose(gw, (a - np.average(a, weights=w)) / w.sum())


def test_errors():
    with pytest.raises(ValueError, match="matrix_transpose"):
        fnp.matrix_transpose(U)
    with pytest.raises(ValueError, match="cumulative_sum: axis must be given"):
        fnp.cumulative_sum(A)
    with pytest.raises(ValueError, match="vecdot"):
        fnp.vecdot(A, U)
    with pytest.raises(ValueError, match="All-NaN"):
        fnp.nanargmax(NALL, axis=1)
    with pytest.raises(TypeError, match="average: axis must be specified"):
        fnp.average(A, weights=W)
    with pytest.raises(ValueError, match="average: length of weights"):
        fnp.average(A, axis=0, weights=W)
    with pytest.raises(TypeError, match="out="):
        fnp.nansum(A, out=np.empty(4))
