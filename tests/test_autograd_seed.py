"""Acceptance: the autograd talk's examples (shared/seeds/001) as tests."""

import numpy as np
import pytest
from conftest import central_difference_gradient as central_difference

import fluxion
import fluxion.numpy as fnp
from fluxion.extend import defjvp, defvjp, primitive

RNG = np.random.default_rng(0)


# -- the tanh MLP with parameters as a list of (W, b) tuples --------------------------------


def predict(weights, inputs):
    for W, b in weights:
        outputs = fnp.dot(inputs, W) + b
        inputs = fnp.tanh(outputs)
    return outputs


def init_params(scale, sizes, rng):
    return [
        (rng.standard_normal((nin, nout)) * scale, rng.standard_normal(nout) * scale)
        for nin, nout in zip(sizes[:-1], sizes[1:])
    ]


def logprob_func(weights, inputs, targets):
    preds = predict(weights, inputs)
    return fnp.sum((preds - targets) ** 2)


def test_mlp_gradient_has_the_parameter_structure_and_matches_finite_differences():
    rng = np.random.default_rng(1)
    params = init_params(0.5, [1, 4, 4, 1], rng)
    inputs = rng.standard_normal((6, 1))
    targets = rng.standard_normal((6, 1))
    grads = fluxion.grad(logprob_func)(params, inputs, targets)
    assert isinstance(grads, list) and len(grads) == 3
    flat, unravel = fluxion.tree.ravel_pytree(params)
    for (W, b), (gW, gb) in zip(params, grads):
        assert gW.shape == W.shape and gb.shape == b.shape
    g_flat, _ = fluxion.tree.ravel_pytree(grads)
    numeric = central_difference(lambda v: logprob_func(unravel(v), inputs, targets), flat)
    np.testing.assert_allclose(g_flat, numeric, rtol=1e-6, atol=1e-7)


# -- Hessian-vector products ----------------------------------------------------------------


def test_hvp_equals_hessian_times_vector():
    A = RNG.standard_normal((5, 5))

    def f(x):
        return fnp.sum(fnp.sin(A @ x) ** 2) + fnp.sum(x**4) / 4

    x = RNG.standard_normal(5)
    v = RNG.standard_normal(5)
    np.testing.assert_allclose(fluxion.hvp(f)(x, v), fluxion.hessian(f)(x) @ v, rtol=1e-10)


def test_hvp_written_autograd_style_as_in_the_talk():
    def hvp(func):
        def vector_dot_grad(arg, vector):
            return fnp.dot(vector, fluxion.grad(func)(arg))

        return fluxion.grad(vector_dot_grad)

    def f(x):
        return fnp.sum(fnp.exp(x) * x)

    x = np.array([0.1, -0.4, 0.7])
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(hvp(f)(x, v), fluxion.hessian(f)(x) @ v, rtol=1e-12)


def test_fourth_derivative_of_tanh_matches_closed_form():
    d4 = fluxion.grad(fluxion.grad(fluxion.grad(fluxion.grad(fnp.tanh))))
    for x in (-1.3, -0.2, 0.0, 0.5, 2.0):
        t = np.tanh(x)
        expected = 8 * t * (1 - t**2) * (2 - 3 * t**2)  # d^4/dx^4 tanh
        assert float(d4(x)) == pytest.approx(expected, rel=1e-10, abs=1e-12)
    xs = np.linspace(-2, 2, 9)
    e = fluxion.elementwise_grad
    t = np.tanh(xs)
    np.testing.assert_allclose(
        e(e(e(e(fnp.tanh))))(xs), 8 * t * (1 - t**2) * (2 - 3 * t**2), rtol=1e-10, atol=1e-12
    )


# -- Python control flow --------------------------------------------------------------------


def test_recursion():
    def power(x, n):
        return 1.0 if n == 0 else x * power(x, n - 1)

    assert float(fluxion.grad(power)(1.5, 5)) == pytest.approx(5 * 1.5**4)


def test_loop_with_data_dependent_break():
    def babylonian_sqrt(a):
        x = a / 2
        for _ in range(100):
            new = 0.5 * (x + a / x)
            if fnp.abs(new - x) < 1e-14:  # the branch reads the traced value
                break
            x = new
        return new

    for a in (2.0, 9.0, 0.3):
        assert float(fluxion.grad(babylonian_sqrt)(a)) == pytest.approx(0.5 / np.sqrt(a))


def test_while_loop_on_value_and_branch():
    def f(x):
        y = x
        while y < 10.0:
            y = y * 2
        return y if y > 12 else -y

    # x = 1.5 doubles 3 times -> 12.0 (not > 12) -> -8x; x = 1.6 -> 12.8 -> 8x
    assert float(fluxion.grad(f)(1.5)) == pytest.approx(-8.0)
    assert float(fluxion.grad(f)(1.6)) == pytest.approx(8.0)


def test_closure():
    def make_model(scale):
        def model(x):
            return scale * fnp.sum(fnp.sin(x))

        return model

    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(fluxion.grad(make_model(3.0))(x), 3 * np.cos(x))


def test_dict_parameters():
    def loss(params, x):
        return fnp.sum((params["w"] * x + params["b"]) ** 2) + params["extra"]["c"] ** 2

    params = {"w": np.array([1.0, 2.0]), "b": 0.5, "extra": {"c": np.array(3.0)}}
    x = np.array([0.1, -0.2])
    g = fluxion.grad(loss)(params, x)
    assert set(g) == {"w", "b", "extra"}
    r = params["w"] * x + params["b"]
    np.testing.assert_allclose(g["w"], 2 * r * x)
    assert float(g["b"]) == pytest.approx(np.sum(2 * r))
    assert float(g["extra"]["c"]) == pytest.approx(6.0)


# -- unmodified plain-NumPy code ------------------------------------------------------------


def test_plain_numpy_code_differentiates():
    def neg_log_like(params, x, y):
        import numpy as np  # noqa: F401  (the user's own import)

        m, b, log_s = params
        s = np.exp(log_s)
        model = m * x + b
        r = (y - model) / s
        return 0.5 * np.sum(r**2) + len(x) * np.log(s) + 0.5 * np.mean(np.maximum(r, 0.0))

    x = np.linspace(-1, 1, 7)
    y = 0.3 * x - 0.1 + 0.05 * np.cos(7 * x)
    p = np.array([0.2, 0.0, np.log(0.1)])
    g = fluxion.grad(neg_log_like)(p, x, y)
    numeric = central_difference(lambda v: neg_log_like(v, x, y), p)
    np.testing.assert_allclose(g, numeric, rtol=1e-6)


def test_plain_numpy_functions_inside_grad():
    def f(x):
        z = np.concatenate([np.sin(x), np.cos(x)])
        z = np.reshape(z, (2, -1)).T
        return np.sum(np.tanh(z) * np.arange(1.0, z.size + 1).reshape(z.shape)) + np.prod(x)

    x = np.array([0.4, -0.7, 1.1])
    np.testing.assert_allclose(fluxion.grad(f)(x), central_difference(f, x), rtol=1e-6)


# -- user primitives, autograd style --------------------------------------------------------


@primitive
def logsumexp(x):
    """A NumPy function fluxion does not look inside."""
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_vjp(ans, x):
    return lambda g: g * fnp.exp(x - ans)


defvjp(logsumexp, logsumexp_vjp)


def test_user_primitive_reverse_forward_and_second_order():
    x = np.array([0.2, -1.0, 0.7, 0.1])
    softmax = np.exp(x) / np.sum(np.exp(x))
    np.testing.assert_allclose(fluxion.grad(logsumexp)(x), softmax, rtol=1e-12)
    np.testing.assert_allclose(fluxion.jacfwd(logsumexp)(x), softmax, rtol=1e-12)
    expected_h = np.diag(softmax) - np.outer(softmax, softmax)
    np.testing.assert_allclose(fluxion.hessian(logsumexp)(x), expected_h, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        fluxion.jacrev(fluxion.grad(logsumexp))(x), expected_h, rtol=1e-10, atol=1e-14
    )


def test_user_primitive_with_jvp_rule_only_gets_reverse_mode():
    @primitive
    def cube(x):
        return x**3

    defjvp(cube, lambda t, ans, x: 3 * x**2 * t)
    x = np.array([0.5, -2.0])
    np.testing.assert_allclose(fluxion.grad(lambda x: fnp.sum(cube(x)))(x), 3 * x**2)
    np.testing.assert_allclose(fluxion.hessian(lambda x: fnp.sum(cube(x)))(x), np.diag(6 * x))


def test_user_primitive_without_rule_raises_naming_it():
    @primitive
    def opaque(x):
        return x * 2

    with pytest.raises(NotImplementedError, match="opaque"):
        fluxion.grad(lambda x: fnp.sum(opaque(x)))(np.ones(2))
    with pytest.raises(NotImplementedError, match="opaque"):
        fluxion.jvp(opaque, (np.ones(2),), (np.ones(2),))


def test_user_primitive_missing_rule_for_one_argument():
    @primitive
    def scaled(x, a):
        return a * x

    defvjp(scaled, lambda ans, x, a: lambda g: g * a)  # no rule for `a`
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(fluxion.grad(lambda x: fnp.sum(scaled(x, 3.0)))(x), [3.0, 3.0])
    with pytest.raises(NotImplementedError, match=r"scaled.*argument 1"):
        fluxion.grad(lambda a: fnp.sum(scaled(x, a)))(3.0)


# -- every NumPy/SciPy function on the talk's "Most Numpy functions implemented" slide ---------
# (seed 001's list): value and derivatives (forward and reverse, second order) vs central
# differences through check_grads.

_SX = np.array([0.3, 1.7, -0.4, 2.2, 0.9, 1.1])
_SA = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.8]])
_SZ = _SX[:3] + 1j * _SX[3:]


def _seed_cases():
    import fluxion.scipy.special as fss

    x, A, z = _SX, _SA, _SZ
    cases = {
        "imag": (lambda z: fnp.sum(fnp.imag(z) ** 2), (z,)),
        "conjugate": (lambda z: fnp.sum(fnp.abs(fnp.conjugate(z) * z)), (z,)),
        "angle": (lambda z: fnp.sum(fnp.angle(z)), (z,)),
        "real_if_close": (lambda x: fnp.sum(fnp.real_if_close(x + 0j) ** 2), (x,)),
        "real": (lambda z: fnp.sum(fnp.real(z) ** 2), (z,)),
        "fabs": (lambda x: fnp.sum(fnp.fabs(x)), (x,)),
        "fft": (lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x)) ** 2), (x,)),
        "fftshift": (lambda x: fnp.sum(fnp.fft.fftshift(x) * x), (x,)),
        "fft2": (lambda x: fnp.sum(fnp.abs(fnp.fft.fft2(x.reshape(2, 3)))), (x,)),
        "ifftn": (lambda x: fnp.sum(fnp.abs(fnp.fft.ifftn(x.reshape(2, 3)))), (x,)),
        "ifftshift": (lambda x: fnp.sum(fnp.fft.ifftshift(x) * x), (x,)),
        "ifft2": (lambda x: fnp.sum(fnp.abs(fnp.fft.ifft2(x.reshape(2, 3)))), (x,)),
        "ifft": (lambda x: fnp.sum(fnp.abs(fnp.fft.ifft(x))), (x,)),
        "atleast_1d": (lambda x: fnp.sum(fnp.atleast_1d(x[0]) ** 2), (x,)),
        "atleast_2d": (lambda x: fnp.sum(fnp.atleast_2d(x) ** 2), (x,)),
        "atleast_3d": (lambda x: fnp.sum(fnp.atleast_3d(x) ** 2), (x,)),
        "full": (lambda x: fnp.sum(fnp.full((2, 2), x[0]) * x[1]), (x,)),
        "repeat": (lambda x: fnp.sum(fnp.repeat(x, 2) ** 2), (x,)),
        "split": (lambda x: fnp.sum(fnp.split(x, 2)[1] ** 3), (x,)),
        "concatenate": (lambda x: fnp.sum(fnp.concatenate([x, x**2])), (x,)),
        "roll": (lambda x: fnp.sum(fnp.roll(x, 2) * x), (x,)),
        "transpose": (
            lambda x: fnp.sum(fnp.transpose(x.reshape(2, 3)) * x.reshape(3, 2) ** 2),
            (x,),
        ),
        "reshape": (lambda x: fnp.sum(fnp.reshape(x, (3, 2)) ** 3), (x,)),
        "squeeze": (lambda x: fnp.sum(fnp.squeeze(x[None]) ** 3), (x,)),
        "ravel": (lambda x: fnp.sum(fnp.ravel(x.reshape(2, 3)) ** 3), (x,)),
        "expand_dims": (lambda x: fnp.sum(fnp.expand_dims(x, 0) ** 3), (x,)),
        "logsumexp": (lambda x: fss.logsumexp(x), (x,)),
        "where": (lambda x: fnp.sum(fnp.where(x > 1, x**2, x)), (x,)),
        "einsum": (lambda A: fnp.einsum("ij,jk->", A, A), (A,)),
        "sort": (lambda x: fnp.sum(fnp.sort(x) * fnp.arange(6.0)), (x,)),
        "partition": (lambda x: fnp.sum(fnp.partition(x, 2)[:2]), (x,)),
        "clip": (lambda x: fnp.sum(fnp.clip(x, 0, 2) ** 2), (x,)),
        "outer": (lambda x: fnp.sum(fnp.outer(x, x) ** 2), (x,)),
        "diag": (lambda A: fnp.sum(fnp.diag(A) ** 2) + fnp.sum(fnp.diag(A[0])), (A,)),
        "tril": (lambda A: fnp.sum(fnp.tril(A) ** 2), (A,)),
        "triu": (lambda A: fnp.sum(fnp.triu(A) ** 2), (A,)),
        "rot90": (lambda A: fnp.sum(fnp.rot90(A) * A), (A,)),
        "dot": (lambda A: fnp.sum(fnp.dot(A, A)), (A,)),
        "tensordot": (lambda A: fnp.sum(fnp.tensordot(A, A, axes=1) ** 2), (A,)),
        "inv": (lambda A: fnp.sum(fnp.linalg.inv(A)), (A,)),
        "norm": (lambda A: fnp.linalg.norm(A), (A,)),
        "det": (lambda A: fnp.linalg.det(A), (A,)),
        "eigh": (lambda A: fnp.sum(fnp.linalg.eigh(A + A.T)[0] ** 2), (A,)),
        "solve": (lambda A: fnp.sum(fnp.linalg.solve(A, fnp.ones(3))), (A,)),
        "trace": (lambda A: fnp.trace(A @ A), (A,)),
        "cholesky": (lambda A: fnp.sum(fnp.linalg.cholesky(A @ A.T)), (A,)),
        "std": (lambda x: fnp.std(x), (x,)),
        "mean": (lambda x: fnp.mean(x**2), (x,)),
        "var": (lambda x: fnp.var(x), (x,)),
        "prod": (lambda x: fnp.prod(x), (x,)),
        "sum": (lambda x: fnp.sum(x**2), (x,)),
        "cumsum": (lambda x: fnp.sum(fnp.cumsum(x) ** 2), (x,)),
    }

    return cases


_SEED_CASES = _seed_cases()


@pytest.mark.parametrize("name", sorted(_SEED_CASES))
def test_seed_function_list_differentiates(name):
    from fluxion.test_util import check_grads

    f, args = _SEED_CASES[name]
    check_grads(f, args, order=2)


def test_seed_function_list_scipy_stats_dirichlet():
    # the slide's Stats column: scipy.stats.dirichlet (autograd.scipy.stats)
    import scipy.stats

    from fluxion.scipy.stats import dirichlet
    from fluxion.test_util import check_grads

    alpha = np.array([1.5, 2.0, 3.0])
    x = np.array([[0.2, 0.3], [0.3, 0.3], [0.5, 0.4]])  # SciPy's layout: components first
    np.testing.assert_allclose(dirichlet.logpdf(x, alpha), scipy.stats.dirichlet.logpdf(x, alpha),
                               rtol=1e-13)
    np.testing.assert_allclose(dirichlet.pdf(x[:2, 0], alpha),
                               scipy.stats.dirichlet.pdf(x[:2, 0], alpha), rtol=1e-13)
    np.testing.assert_allclose(dirichlet(alpha).entropy(), scipy.stats.dirichlet.entropy(alpha),
                               rtol=1e-13)
    np.testing.assert_allclose(dirichlet.var(alpha), scipy.stats.dirichlet.var(alpha), rtol=1e-13)
    check_grads(lambda x0, a: dirichlet.logpdf(x0, a), (x[:2, 0], alpha), order=2)
    with pytest.raises(ValueError, match="dirichlet.logpdf: x must lie on the simplex"):
        dirichlet.logpdf(np.array([0.5, 0.6, 0.2]), alpha)
