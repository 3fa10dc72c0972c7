"""fluxion.random (explicit keys) and fluxion.numpy.random (NumPy's module, passed through)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import fluxion
import fluxion.numpy as fnp
import fluxion.random as fr

KEY = fr.key(1234)
N = 20000


def _check_moments(x: np.ndarray, mean: float, var: float, z: float = 5.0) -> None:
    """Sample mean within ``z`` standard errors; variance within ``z`` of its standard error."""
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    assert abs(x.mean() - mean) < z * np.sqrt(var / n), (x.mean(), mean)
    # standard error of the sample variance: sqrt((mu4 - var^2) / n), mu4 estimated from x
    mu4 = np.mean((x - x.mean()) ** 4)
    assert abs(x.var() - var) < z * np.sqrt(max(mu4 - var**2, 0.0) / n), (x.var(), var)


# ------------------------------------------------------------------ keys


def test_key_shape_dtype_and_seeds() -> None:
    k = fr.key(0)
    assert k.shape == (2,) and k.dtype == np.uint32
    assert np.array_equal(fr.key(2**32 + 5), np.array([1, 5], np.uint32))
    assert np.array_equal(fr.PRNGKey(7), fr.key(7))


def test_reproducible_and_split_and_fold_in() -> None:
    a = fr.normal(KEY, (5,))
    assert np.array_equal(a, fr.normal(fr.key(1234), (5,)))
    keys = fr.split(KEY, 3)
    assert keys.shape == (3, 2) and keys.dtype == np.uint32
    assert np.array_equal(keys, fr.split(KEY, 3))
    draws = [fr.normal(k, (5,)) for k in keys]
    assert not np.allclose(draws[0], draws[1]) and not np.allclose(draws[1], draws[2])
    assert not np.allclose(draws[0], a)
    f1, f2 = fr.fold_in(KEY, 1), fr.fold_in(KEY, 2)
    assert f1.shape == (2,) and f1.dtype == np.uint32
    assert np.array_equal(f1, fr.fold_in(KEY, 1)) and not np.array_equal(f1, f2)
    assert not np.array_equal(fr.fold_in(KEY, 0), KEY)


@pytest.mark.parametrize(
    "call, shape, kind",
    [
        (lambda k: fr.uniform(k, (3, 2)), (3, 2), "f"),
        (lambda k: fr.uniform(k, (4,), dtype=np.float32), (4,), "f"),
        (lambda k: fr.normal(k, (2,)), (2,), "f"),
        (lambda k: fr.normal(k, loc=np.zeros(3)), (3,), "f"),
        (lambda k: fr.gamma(k, 2.0, (3,)), (3,), "f"),
        (lambda k: fr.beta(k, 2.0, 3.0, (2, 2)), (2, 2), "f"),
        (lambda k: fr.dirichlet(k, np.ones(4), (5,)), (5, 4), "f"),
        (lambda k: fr.poisson(k, 3.0, (6,)), (6,), "i"),
        (lambda k: fr.categorical(k, np.zeros((2, 5))), (2,), "i"),
        (lambda k: fr.choice(k, 10, (3,), replace=False), (3,), "i"),
        (lambda k: fr.permutation(k, 6), (6,), "i"),
        (lambda k: fr.multivariate_normal(k, np.zeros(3), np.eye(3), (4,)), (4, 3), "f"),
        (lambda k: fr.truncated_normal(k, -1.0, 1.0, (3,)), (3,), "f"),
        (lambda k: fr.bernoulli(k, 0.5, (3,)), (3,), "b"),
        (lambda k: fr.randint(k, (3,), 0, 5), (3,), "i"),
        (lambda k: fr.t(k, 4.0, (2,)), (2,), "f"),
    ],
)
def test_shapes_and_dtypes(call, shape, kind) -> None:
    x = np.asarray(call(KEY))
    assert x.shape == shape and x.dtype.kind == kind


def test_float32_dtype() -> None:
    assert np.asarray(fr.normal(KEY, (3,), dtype=np.float32)).dtype == np.float32


# ------------------------------------------------------------------ moments


@pytest.mark.parametrize(
    "name, draw, dist",
    [
        ("uniform", lambda k: fr.uniform(k, (N,), minval=-1.0, maxval=3.0), stats.uniform(-1, 4)),
        ("normal", lambda k: fr.normal(k, (N,), loc=2.0, scale=3.0), stats.norm(2, 3)),
        ("exponential", lambda k: fr.exponential(k, (N,), scale=2.0), stats.expon(scale=2)),
        ("laplace", lambda k: fr.laplace(k, (N,), loc=1.0, scale=2.0), stats.laplace(1, 2)),
        ("logistic", lambda k: fr.logistic(k, (N,), loc=1.0, scale=0.5), stats.logistic(1, 0.5)),
        ("lognormal", lambda k: fr.lognormal(k, 0.5, (N,)), stats.lognorm(0.5)),
        ("gamma", lambda k: fr.gamma(k, 2.5, (N,)), stats.gamma(2.5)),
        ("gamma_small", lambda k: fr.gamma(k, 0.3, (N,)), stats.gamma(0.3)),
        ("beta", lambda k: fr.beta(k, 2.0, 5.0, (N,)), stats.beta(2, 5)),
        ("t", lambda k: fr.t(k, 8.0, (N,)), stats.t(8)),
        ("poisson", lambda k: fr.poisson(k, 4.0, (N,)), stats.poisson(4)),
        ("truncnorm", lambda k: fr.truncated_normal(k, -0.5, 2.0, (N,)), stats.truncnorm(-0.5, 2)),
        ("bernoulli", lambda k: fr.bernoulli(k, 0.3, (N,)), stats.bernoulli(0.3)),
        ("randint", lambda k: fr.randint(k, (N,), 2, 9), stats.randint(2, 9)),
    ],
)
def test_moments(name, draw, dist) -> None:
    x = np.asarray(draw(KEY))
    _check_moments(x, dist.mean(), dist.var())


def test_cauchy_quantiles() -> None:
    x = np.asarray(fr.cauchy(KEY, (N,), loc=1.0, scale=2.0))
    # median and quartiles within 5 binomial standard errors of their probabilities
    for q in (0.25, 0.5, 0.75):
        frac = np.mean(x < stats.cauchy(1, 2).ppf(q))
        assert abs(frac - q) < 5 * np.sqrt(q * (1 - q) / N)


def test_dirichlet_and_categorical_and_choice_frequencies() -> None:
    alpha = np.array([1.0, 2.0, 3.0])
    x = np.asarray(fr.dirichlet(KEY, alpha, (N,)))
    assert np.allclose(x.sum(-1), 1.0)
    m = alpha / alpha.sum()
    var = m * (1 - m) / (alpha.sum() + 1)
    for j in range(3):
        _check_moments(x[:, j], m[j], var[j])
    p = np.array([0.1, 0.2, 0.7])
    for draws in (fr.categorical(KEY, np.log(p), shape=(N,)), fr.choice(KEY, 3, (N,), p=p)):
        counts = np.bincount(np.asarray(draws), minlength=3) / N
        assert np.all(np.abs(counts - p) < 5 * np.sqrt(p * (1 - p) / N)), counts


def test_multivariate_normal_moments() -> None:
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    x = np.asarray(fr.multivariate_normal(KEY, np.array([1.0, -1.0]), cov, (N,)))
    assert np.all(np.abs(x.mean(0) - [1.0, -1.0]) < 5 * np.sqrt(np.diag(cov) / N))
    assert np.allclose(np.cov(x.T), cov, atol=5 * 2.0 * np.sqrt(2.0 / N) * 2)


def test_permutation_and_choice_without_replacement() -> None:
    perm = np.asarray(fr.permutation(KEY, 10))
    assert sorted(perm.tolist()) == list(range(10))
    x = np.arange(12.0).reshape(4, 3)
    px = np.asarray(fr.permutation(KEY, x))
    assert sorted(px[:, 0].tolist()) == [0.0, 3.0, 6.0, 9.0] and np.allclose(px[:, 1] - px[:, 0], 1)
    c = np.asarray(fr.choice(KEY, np.arange(20.0) * 2, (7,), replace=False))
    assert len(set(c.tolist())) == 7 and np.all(c % 2 == 0)
    cp = np.asarray(fr.choice(KEY, 5, (4,), replace=False, p=[0.1, 0.2, 0.3, 0.4, 0.0]))
    assert len(set(cp.tolist())) == 4 and 4 not in cp


# ------------------------------------------------------------------ gradients


def _fd(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize(
    "name, f, x0",
    [
        ("normal_loc", lambda m: fr.normal(KEY, (3,), loc=m, scale=2.0).sum(), 0.7),
        ("normal_scale", lambda s: fr.normal(KEY, (3,), loc=1.0, scale=s).sum(), 1.3),
        ("uniform_max", lambda b: fr.uniform(KEY, (3,), minval=-1.0, maxval=b).sum(), 2.0),
        ("exponential", lambda s: fr.exponential(KEY, (3,), scale=s).sum(), 1.5),
        ("laplace", lambda s: fr.laplace(KEY, (3,), loc=0.2, scale=s).sum(), 1.5),
        ("logistic", lambda s: fr.logistic(KEY, (3,), loc=0.2, scale=s).sum(), 1.5),
        ("cauchy", lambda s: fr.cauchy(KEY, (3,), scale=s).sum(), 0.5),
        ("lognormal", lambda s: fr.lognormal(KEY, s, (3,)).sum(), 0.4),
        ("truncnorm_lower", lambda a: fr.truncated_normal(KEY, a, 2.0, (3,)).sum(), -0.3),
        (
            "mvn_cov",
            lambda c: fr.multivariate_normal(
                KEY, np.zeros(2), np.diag([2.0, 1.0]) + c * np.array([[0, 1], [1, 0]])
            ).sum(),
            0.4,
        ),
    ],
)
def test_reparameterized_gradients(name, f, x0) -> None:
    expected = _fd(lambda v: float(f(v)), x0)
    assert np.isclose(fluxion.grad(f)(x0), expected, rtol=1e-6, atol=1e-8)
    _, t = fluxion.jvp(f, (x0,), (1.0,))
    assert np.isclose(t, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("alpha", [0.05, 0.3, 1.0, 2.5, 15.0, 200.0, 5000.0])
def test_gamma_implicit_gradient(alpha: float) -> None:
    x = np.asarray(fr.gamma(KEY, alpha, (4,)))
    u = stats.gamma.cdf(x, alpha)
    h = 1e-5 * alpha
    expected = (stats.gamma.ppf(u, alpha + h) - stats.gamma.ppf(u, alpha - h)) / (2 * h)
    got = fluxion.jacobian(lambda a: fr.gamma(KEY, a, (4,)))(alpha)
    assert np.allclose(got, expected, rtol=1e-4, atol=1e-10), (got, expected)
    _, t = fluxion.jvp(lambda a: fr.gamma(KEY, a, (4,)), (alpha,), (1.0,))
    assert np.allclose(t, got, rtol=1e-12)


def test_beta_and_dirichlet_gradients_via_gamma() -> None:
    g = fluxion.grad(lambda a: fr.beta(KEY, a, 3.0, (2,)).sum())(2.0)
    ka, kb = fr.split(KEY)
    ga = np.asarray(fr.gamma(ka, 2.0, (2,)))
    gb = np.asarray(fr.gamma(kb, 3.0, (2,)))
    dga = fluxion.jacobian(lambda a: fr.gamma(ka, a, (2,)))(2.0)
    assert np.isclose(g, np.sum(dga * gb / (ga + gb) ** 2))
    # the components of a Dirichlet draw sum to 1 at every alpha: their gradients sum to 0
    jac = fluxion.jacobian(lambda a: fr.dirichlet(KEY, a * np.array([1.0, 2.0, 3.0])))(1.5)
    assert abs(np.sum(jac)) < 1e-10 and np.any(np.abs(jac) > 1e-3)


def test_gamma_second_order_is_an_error() -> None:
    with pytest.raises(Exception, match="random_gamma_grad"):
        fluxion.grad(fluxion.grad(lambda a: fr.gamma(KEY, a)))(2.0)


# ------------------------------------------------------------------ jit and vmap


def test_jit_matches_eager_with_key_argument() -> None:
    f = fluxion.jit(lambda k, m: fr.normal(k, (3,), loc=m) + fr.gamma(fr.split(k)[1], 2.0, (3,)))
    eager = fr.normal(KEY, (3,), loc=1.0) + fr.gamma(fr.split(KEY)[1], 2.0, (3,))
    assert np.allclose(f(KEY, 1.0), eager)
    k2 = fr.key(99)
    expected = fr.normal(k2, (3,), loc=1.0) + fr.gamma(fr.split(k2)[1], 2.0, (3,))
    assert np.allclose(f(k2, 1.0), expected)
    g = fluxion.jit(lambda k, i: fr.fold_in(k, i))
    assert np.array_equal(g(KEY, np.int64(5)), fr.fold_in(KEY, 5))


def test_vmap_over_keys_matches_loop() -> None:
    keys = fr.split(KEY, 5)
    batched = fluxion.vmap(lambda k: fr.normal(k, (3,)))(keys)
    assert np.allclose(batched, np.stack([fr.normal(k, (3,)) for k in keys]))
    gam = fluxion.vmap(lambda k, a: fr.gamma(k, a, (2,)))(keys, np.arange(1.0, 6.0))
    loop = np.stack([fr.gamma(k, a, (2,)) for k, a in zip(keys, np.arange(1.0, 6.0))])
    assert np.allclose(gam, loop)
    folded = fluxion.vmap(lambda i: fr.fold_in(KEY, i))(np.arange(3))
    assert np.array_equal(folded, np.stack([fr.fold_in(KEY, i) for i in range(3)]))


def test_grad_of_vmapped_gamma() -> None:
    keys = fr.split(KEY, 3)
    g = fluxion.grad(lambda a: fluxion.vmap(lambda k: fr.gamma(k, a))(keys).sum())(2.0)
    expected = sum(float(fluxion.grad(lambda a, k=k: fr.gamma(k, a))(2.0)) for k in keys)
    assert np.isclose(g, expected)


# ------------------------------------------------------------------ errors


def test_bad_inputs_name_the_function() -> None:
    with pytest.raises(TypeError, match="normal: expected a PRNG key.*batch of keys"):
        fr.normal(fr.split(KEY, 3), (2,))
    with pytest.raises(TypeError, match="uniform: expected a PRNG key"):
        fr.uniform(0, (2,))
    with pytest.raises(TypeError, match="split: expected a PRNG key"):
        fr.split(np.zeros(2))
    with pytest.raises(TypeError, match="key: expected an integer seed"):
        fr.key(1.5)
    with pytest.raises(ValueError, match="gamma: expected a > 0"):
        fr.gamma(KEY, -1.0)
    with pytest.raises(ValueError, match="normal: the parameters' broadcast shape"):
        fr.normal(KEY, (3,), loc=np.zeros(4))
    with pytest.raises(TypeError, match="fold_in: expected data to be an integer scalar"):
        fr.fold_in(KEY, 1.5)
    with pytest.raises(ValueError, match="choice: cannot take 5 samples without replacement"):
        fr.choice(KEY, 3, (5,), replace=False)
    with pytest.raises(ValueError, match="multivariate_normal: expected mean of shape"):
        fr.multivariate_normal(KEY, np.zeros(2), np.eye(3))
    with pytest.raises(TypeError, match="key: expected a concrete integer seed"):
        fluxion.jit(lambda s: fr.normal(fr.key(s)))(3)


# ------------------------------------------------------------------ fluxion.numpy.random


def test_numpy_random_passthrough() -> None:
    from fluxion.numpy import random as npr

    for name in ("seed", "rand", "randn", "normal", "uniform", "choice", "permutation", "shuffle",
                 "RandomState", "default_rng", "Generator", "SeedSequence", "Philox", "PCG64"):
        assert hasattr(npr, name), name
    assert fnp.random is npr
    assert fluxion.random is fr
    fnp.random.seed(3)
    a = fnp.random.randn(4)
    np.random.seed(3)  # noqa: NPY002  (the legacy global state is the point here)
    assert type(a) is np.ndarray and np.array_equal(a, np.random.randn(4))  # noqa: NPY002
    ours, numpys = npr.RandomState(0).normal(size=3), np.random.RandomState(0).normal(size=3)
    assert np.array_equal(ours, numpys)
    assert isinstance(npr.default_rng(0), np.random.Generator)
    x = np.arange(5)
    npr.shuffle(x)
    assert sorted(x.tolist()) == list(range(5))


def test_numpy_random_traced_parameter_error_names_fluxion_random() -> None:
    match = r"numpy.random.normal: got a traced parameter.*fluxion\.random"
    with pytest.raises(TypeError, match=match):
        fluxion.grad(lambda m: fnp.random.normal(m, 1.0))(1.0)
    # draws are constants to differentiation: noise transformed by fluxion ops is fine
    fnp.random.seed(0)
    assert fluxion.grad(lambda m: m + 2.0 * fnp.random.randn())(1.0) == 1.0
