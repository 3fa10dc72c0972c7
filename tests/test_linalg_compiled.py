"""Cholesky and triangular solves in the compiled backends: the numba kernels
(``codegen/linalg_kernels.py``), jit tier 1 and the tape machine, against NumPy/SciPy and eager
fluxion; values and gradients, batched, lower/upper, transposed, unit diagonal; NaN (never an
exception) for a matrix that is not positive definite; a GP model on the compiled chain."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg

import fluxion
import fluxion.numpy as fnp
from fluxion._src.prims import linalg as la

numba = pytest.importorskip("numba")

RNG = np.random.default_rng(20261206)


def _spd(shape: tuple) -> np.ndarray:
    a = RNG.standard_normal(shape)
    n = shape[-1]
    return a @ np.swapaxes(a, -1, -2) / n + np.eye(n)


def _triangular(n: int, lower: bool) -> np.ndarray:
    """A well-conditioned triangular matrix with random junk in the triangle a solve must not
    read."""
    t = np.linalg.cholesky(_spd((n, n)))
    if not lower:
        t = t.T.copy()
    junk = RNG.standard_normal((n, n))
    return t + (np.triu(junk, 1) if lower else np.tril(junk, -1))


def _on_tier1(fn, *args):
    from fluxion._src.codegen import tier1

    graph = fluxion.jit(fn, tier=0).lower(*args).graph
    assert tier1.lowerable(graph) == []
    return tier1.compile_numba(graph, "linalg_test").fn(*args)


# --------------------------------------------------------------------------------------------
# The kernels
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 5, 23, 24, 40])  # both sides of LAPACK_MIN_N = 24
def test_cholesky_kernel_matches_numpy_batched(n):
    from fluxion._src.codegen.linalg_kernels import cholesky_nd

    a = _spd((2, 3, n, n))
    a_upper_junk = a + np.triu(RNG.standard_normal((n, n)), 1)  # only the lower triangle read
    np.testing.assert_allclose(cholesky_nd(a_upper_junk), np.linalg.cholesky(a), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("n", [3, 30])
def test_cholesky_kernel_gives_nan_for_a_matrix_that_is_not_positive_definite(n):
    from fluxion._src.codegen.linalg_kernels import cholesky_nd

    good = _spd((n, n))
    bad = good.copy()
    bad[n - 1, n - 1] = -1.0
    nan_input = good.copy()
    nan_input[1, 0] = np.nan
    out = cholesky_nd(np.stack([good, bad, nan_input]))
    np.testing.assert_allclose(out[0], np.linalg.cholesky(good), rtol=1e-12, atol=1e-14)
    assert np.isnan(out[1]).all() and np.isnan(out[2]).all()


@pytest.mark.parametrize("n,k", [(1, 1), (4, 2), (40, 7), (40, 12), (65, 33)])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_triangular_solve_kernel_matches_scipy(n, k, lower, trans, unit):
    # (40, 12) and (65, 33) take the blocked path (k >= 8, n > 16)
    from fluxion._src.codegen.linalg_kernels import triangular_solve_nd

    a = np.stack([_triangular(n, lower) for _ in range(2)])
    b = RNG.standard_normal((2, n, k))
    got = triangular_solve_nd(a, b, lower, trans, unit)
    for i in range(2):
        want = scipy.linalg.solve_triangular(a[i], b[i], lower=lower, trans=int(trans),
                                             unit_diagonal=unit)
        np.testing.assert_allclose(got[i], want, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Tier 1 and the tape machine, values and gradients
# --------------------------------------------------------------------------------------------


def _chol_and_solves(a, b):
    """Every flag combination the vjp rules use, and a cotangent that reaches every entry."""
    chol = la.cholesky(a)
    w = np.arange(1.0, 1.0 + a.shape[-1] * b.shape[-1]).reshape(b.shape) / 10
    total = fnp.sum(fnp.sin(chol))
    for lower in (True, False):
        tri = chol if lower else la.matrix_transpose(chol)
        for trans in (False, True):
            x = la.triangular_solve(tri, b, lower=lower, transpose_a=trans)
            total = total + fnp.sum(w * x)
    x = la.triangular_solve(chol, b, lower=True, unit_diagonal=True)
    return total + fnp.sum(x * x)


@pytest.mark.parametrize("n,k", [(4, 2), (30, 9)])
def test_tier1_and_tape_values_and_gradients_match_eager(run_on_tape, n, k):
    a, b = _spd((n, n)), RNG.standard_normal((n, k))
    vg = fluxion.value_and_grad(_chol_and_solves, argnums=(0, 1))
    v0, (ga0, gb0) = vg(a, b)
    for name, run in (("tier 1", _on_tier1), ("tape", run_on_tape)):
        v, ga, gb = run(vg, a, b)
        assert v == pytest.approx(v0, rel=1e-11), name
        np.testing.assert_allclose(ga, ga0, rtol=1e-9, atol=1e-11, err_msg=name)
        np.testing.assert_allclose(gb, gb0, rtol=1e-9, atol=1e-11, err_msg=name)


def test_gradient_through_tier1_matches_central_differences():
    a, b = _spd((5, 5)), RNG.standard_normal((5, 2))
    g = _on_tier1(fluxion.grad(_chol_and_solves), a, b)[0]
    direction = RNG.standard_normal((5, 5))
    direction = direction + direction.T  # symmetric: the Cholesky rule's convention
    eps = 1e-6
    fd = (_chol_and_solves(a + eps * direction, b) - _chol_and_solves(a - eps * direction, b))
    assert np.sum(g * direction) == pytest.approx(float(fd) / (2 * eps), rel=1e-7)


def test_batched_forward_on_tier1_and_tape_with_broadcast_leading_dimensions(run_on_tape):
    a = _spd((3, 1, 4, 4))
    b = RNG.standard_normal((2, 4, 3))

    def f(a, b):
        chol = la.cholesky(a)
        return chol, la.triangular_solve(chol, b, lower=True, transpose_a=True)

    want_l = np.linalg.cholesky(a)
    want_x = np.linalg.solve(np.swapaxes(np.broadcast_to(want_l, (3, 2, 4, 4)), -1, -2), b)
    for name, got in (("tier 1", _on_tier1(f, a, b)), ("tape", run_on_tape(f, a, b))):
        np.testing.assert_allclose(got[0], want_l, rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(got[1], want_x, rtol=1e-10, atol=1e-12, err_msg=name)


def test_not_positive_definite_gives_nan_compiled_and_raises_eagerly(run_on_tape):
    def logdet(a):
        return 2.0 * fnp.sum(fnp.log(fnp.diagonal(la.cholesky(a))))

    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(np.linalg.LinAlgError):
        logdet(bad)
    vg = fluxion.value_and_grad(logdet)
    for name, run in (("tier 1", _on_tier1), ("tape", run_on_tape)):
        v, g = run(vg, bad)
        assert np.isnan(v) and np.isnan(g).all(), name
        good = _spd((2, 2))
        v, g = run(vg, good)
        assert v == pytest.approx(np.linalg.slogdet(good)[1], rel=1e-12), name
        np.testing.assert_allclose(g, np.linalg.inv(good), rtol=1e-10)


# --------------------------------------------------------------------------------------------
# A Gaussian process's log marginal likelihood
# --------------------------------------------------------------------------------------------


def _gp_log_marginal(theta, x, y):
    import fluxion.distributions as fd

    amp, ls, noise = fnp.exp(theta[0]), fnp.exp(theta[1]), fnp.exp(theta[2])
    gp = fd.GaussianProcess(fd.ExponentiatedQuadratic(amp, ls), x,
                            observation_noise_variance=noise)
    return gp.log_prob(y)


def _gp_data(n=8):
    x = np.linspace(0.0, 4.0, n)[:, None]
    y = np.sin(1.3 * x[:, 0]) + 0.2 * np.random.default_rng(3).standard_normal(n)
    return x, y


def test_gp_log_marginal_likelihood_value_and_gradient_compiled(run_on_tape):
    x, y = _gp_data()
    theta = np.array([0.2, -0.3, -1.5])
    vg = fluxion.value_and_grad(lambda t: _gp_log_marginal(t, x, y))
    v0, g0 = vg(theta)
    # reference: SciPy's Cholesky, R&W Algorithm 2.1
    amp2, ls2, noise = np.exp(2 * theta[0]), np.exp(2 * theta[1]), np.exp(theta[2])
    c = amp2 * np.exp(-0.5 * (x - x.T) ** 2 / ls2) + (noise + 1e-6) * np.eye(y.size)
    chol = scipy.linalg.cholesky(c, lower=True)
    z = scipy.linalg.solve_triangular(chol, y, lower=True)
    want = -0.5 * z @ z - np.log(np.diag(chol)).sum() - 0.5 * y.size * np.log(2 * np.pi)
    assert v0 == pytest.approx(want, rel=1e-12)
    for name, run in (("tier 1", _on_tier1), ("tape", run_on_tape)):
        v, g = run(vg, theta)
        assert v == pytest.approx(v0, rel=1e-12), name
        np.testing.assert_allclose(g, g0, rtol=1e-10, atol=1e-12, err_msg=name)


def _grid_posterior_means(x, y, lo=-3.0, hi=3.0, m=31):
    """Posterior means of the three log-hyperparameters (standard normal priors) on a grid, with
    NumPy's batched Cholesky."""
    g = np.linspace(lo, hi, m)
    t = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    amp2, ls2, noise = np.exp(2 * t[:, 0]), np.exp(2 * t[:, 1]), np.exp(t[:, 2])
    r2 = (x - x.T) ** 2
    c = amp2[:, None, None] * np.exp(-0.5 * r2 / ls2[:, None, None])
    c = c + (noise + 1e-6)[:, None, None] * np.eye(y.size)
    chol = np.linalg.cholesky(c)
    z = np.linalg.solve(chol, np.broadcast_to(y, (t.shape[0], y.size))[..., None])[..., 0]
    logp = (-0.5 * np.sum(z * z, -1) - np.log(np.diagonal(chol, 0, -2, -1)).sum(-1)
            - 0.5 * np.sum(t * t, -1))
    w = np.exp(logp - logp.max())
    w /= w.sum()
    mean = w @ t
    sd = np.sqrt(w @ (t - mean) ** 2)
    return mean, sd


@pytest.mark.slow  # the compiled NUTS core compiles once per session (about a minute)
def test_gp_model_samples_on_the_compiled_chain(compiled_nuts):
    from fluxion.mcmc import sample

    x, y = _gp_data()

    def log_density(theta):
        return _gp_log_marginal(theta, x, y) - 0.5 * fnp.sum(theta * theta)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample(log_density, np.zeros(3), chains=2, draws=600, warmup=400, seed=1,
                     progress=False)
    assert res.compiled == "chain", res.compiled_reason
    draws = res.draws["x"].reshape(-1, 3)
    assert np.all(np.isfinite(draws))
    mean, sd = _grid_posterior_means(x, y)
    # 1200 correlated draws: the Monte Carlo error of a mean is well under 0.3 sd
    assert np.all(np.abs(draws.mean(0) - mean) < 0.3 * sd), (draws.mean(0), mean, sd)
