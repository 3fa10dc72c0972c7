"""fluxion.scipy.special, issue 14 part (prims/special_more.py): values against SciPy and
derivatives at the awkward points the op table's random draws miss (0, negative and large
arguments, small Box-Cox lambdas, Spence near 1), closed forms of derivatives at special points,
and the errors (derivatives with no formula, wrong arity, dtypes SciPy refuses)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as sc

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.special as fs
from fluxion.test_util import check_grads


def _central(f, x, eps=1e-6):
    """Central difference of a scalar function of one real variable."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def _grad(f, x):
    return float(np.real(fluxion.grad(lambda t: fluxion.numpy.real(f(t)))(x)))


# (name, fluxion function of x, SciPy function of x, awkward points)
_UNARY = [
    ("i0", fs.i0, sc.i0, [0.0, -2.5, 30.0]),
    ("i1", fs.i1, sc.i1, [0.0, -2.5, 30.0]),
    ("j0", fs.j0, sc.j0, [0.0, -3.0, 80.0]),
    ("j1", fs.j1, sc.j1, [0.0, -3.0, 80.0]),
    ("y0", fs.y0, sc.y0, [0.05, 80.0]),
    ("y1", fs.y1, sc.y1, [0.05, 80.0]),
    ("k0", fs.k0, sc.k0, [0.05, 40.0]),
    ("k1", fs.k1, sc.k1, [0.05, 40.0]),
    ("k0e", fs.k0e, sc.k0e, [0.05, 500.0]),
    ("k1e", fs.k1e, sc.k1e, [0.05, 500.0]),
    ("iv", lambda x: fs.iv(2.0, x), lambda x: sc.iv(2.0, x), [0.0, -2.5, 40.0]),
    ("ive", lambda x: fs.ive(2.0, x), lambda x: sc.ive(2.0, x), [-2.5, 0.3, 500.0]),
    ("kv", lambda x: fs.kv(0.3, x), lambda x: sc.kv(0.3, x), [0.05, 40.0]),
    ("kve", lambda x: fs.kve(2.5, x), lambda x: sc.kve(2.5, x), [0.05, 500.0]),
    ("jv", lambda x: fs.jv(2.5, x), lambda x: sc.jv(2.5, x), [0.1, 100.0]),
    ("jv-integer-negative-x", lambda x: fs.jv(3.0, x), lambda x: sc.jv(3.0, x), [-4.0]),
    ("yv", lambda x: fs.yv(-1.5, x), lambda x: sc.yv(-1.5, x), [0.2, 100.0]),
    ("zeta-q", lambda q: fs.zeta(3.0, q), lambda q: sc.zeta(3.0, q), [0.05, 1.0, 200.0]),
    ("expi", fs.expi, sc.expi, [-20.0, -0.05, 0.05, 30.0]),
    ("exp1", fs.exp1, sc.exp1, [0.01, 30.0]),
    ("expn0", lambda x: fs.expn(0, x), lambda x: sc.expn(0, x), [0.05, 20.0]),
    ("expn3", lambda x: fs.expn(3, x), lambda x: sc.expn(3, x), [0.05, 20.0]),
    ("lambertw", fs.lambertw, sc.lambertw, [-0.3, 0.0, 1e3]),
    ("owens_t-h", lambda h: fs.owens_t(h, 0.7), lambda h: sc.owens_t(h, 0.7), [0.0, -3.0, 8.0]),
    ("owens_t-a", lambda a: fs.owens_t(1.2, a), lambda a: sc.owens_t(1.2, a), [0.0, -5.0, 50.0]),
    ("boxcox-lambda0", lambda lm: fs.boxcox(2.5, lm), lambda lm: sc.boxcox(2.5, lm),
     [0.0, 1e-9, -0.049, 0.051, 3.0]),
    ("boxcox-x", lambda x: fs.boxcox(x, 0.0), lambda x: sc.boxcox(x, 0.0), [1e-3, 100.0]),
    ("boxcox1p-lambda0", lambda lm: fs.boxcox1p(-0.5, lm), lambda lm: sc.boxcox1p(-0.5, lm),
     [0.0, 1e-9, -2.0]),
    ("inv_boxcox-lambda0", lambda lm: fs.inv_boxcox(1.5, lm),
     lambda lm: sc.inv_boxcox(1.5, lm), [0.0, 1e-9, 0.03, -0.2]),
    ("inv_boxcox1p-lambda0", lambda lm: fs.inv_boxcox1p(-0.7, lm),
     lambda lm: sc.inv_boxcox1p(-0.7, lm), [0.0, 1e-9, 0.4]),
    ("binom-n", lambda n: fs.binom(n, 2.5), lambda n: sc.binom(n, 2.5), [3.0, 40.0]),
    ("poch-m", lambda m: fs.poch(1.5, m), lambda m: sc.poch(1.5, m), [0.0, -0.5, 5.0]),
    ("spence", fs.spence, sc.spence, [1.0, 1.0 + 1e-9, 0.02, 50.0]),
    ("si", lambda x: fs.sici(x)[0], lambda x: sc.sici(x)[0], [0.0, -2.0, 60.0]),
    ("ci", lambda x: fs.sici(x)[1], lambda x: sc.sici(x)[1], [0.05, -2.0, 60.0]),
    ("fresnel-s", lambda x: fs.fresnel(x)[0], lambda x: sc.fresnel(x)[0], [0.0, -1.5, 6.0]),
    ("fresnel-c", lambda x: fs.fresnel(x)[1], lambda x: sc.fresnel(x)[1], [0.0, -1.5, 6.0]),
    ("wofz", fs.wofz, sc.wofz, [0.0, -3.0, 20.0]),
    ("rel_entr-x", lambda x: fs.rel_entr(x, 2.0), lambda x: sc.rel_entr(x, 2.0), [1e-3, 50.0]),
    ("kl_div-y", lambda y: fs.kl_div(0.5, y), lambda y: sc.kl_div(0.5, y), [1e-3, 50.0]),
    ("huber-r", lambda r: fs.huber(1.0, r), lambda r: sc.huber(1.0, r), [0.0, -0.5, -3.0]),
    ("pseudo_huber-delta", lambda d: fs.pseudo_huber(d, 2.0),
     lambda d: sc.pseudo_huber(d, 2.0), [1e-3, 0.5, 100.0]),
    ("pseudo_huber-r", lambda r: fs.pseudo_huber(0.7, r),
     lambda r: sc.pseudo_huber(0.7, r), [0.0, -1e-3, 100.0]),
    ("hyp1f1", lambda x: fs.hyp1f1(0.5, 1.5, x), lambda x: sc.hyp1f1(0.5, 1.5, x),
     [0.0, -10.0, 20.0]),
    ("hyp2f1", lambda z: fs.hyp2f1(0.5, 1.0, 1.5, z), lambda z: sc.hyp2f1(0.5, 1.0, 1.5, z),
     [0.0, -5.0, 0.95]),
    ("factorial", fs.factorial, sc.factorial, [1e-3, 0.5, 20.0]),
    ("comb-k", lambda k: fs.comb(7.0, k), lambda k: sc.comb(7.0, k), [0.5, 3.5]),
]


@pytest.mark.parametrize("name,f,ref,points", _UNARY, ids=[c[0] for c in _UNARY])
def test_values_and_derivatives_at_awkward_points(name, f, ref, points) -> None:
    for x in points:
        want = ref(x)
        got = f(x)
        assert np.asarray(got).dtype == np.asarray(want).dtype, name
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0, err_msg=f"{name}({x})")
        # the same values through the primitives (under jvp)
        traced, _ = fluxion.jvp(f, (np.float64(x),), (np.float64(1.0),))
        np.testing.assert_allclose(traced, want, rtol=1e-13, atol=0, err_msg=f"{name}({x})")
        eps = 1e-6 * max(1.0, abs(x))
        if x - eps < 0 <= x and name in ("y0", "y1", "k0", "k1", "k0e", "k1e", "kv", "kve"):
            eps = x / 10
        fd = _central(lambda t: np.real(ref(t)), x, eps)
        np.testing.assert_allclose(
            _grad(f, x), fd, rtol=2e-6, atol=1e-9 * max(1.0, abs(fd)), err_msg=f"{name}'({x})"
        )


@pytest.mark.parametrize(
    "name,f,x",
    [
        ("j1", fs.j1, 0.0),
        ("i1", fs.i1, 0.0),
        ("jv", lambda x: fs.jv(2.5, x), 100.0),
        ("kve", lambda x: fs.kve(2.5, x), 0.05),
        ("boxcox", lambda lm: fs.boxcox(2.5, lm), 0.0),
        ("boxcox", lambda lm: fs.boxcox(2.5, lm), 0.2),
        ("inv_boxcox", lambda lm: fs.inv_boxcox(1.5, lm), 0.0),
        ("spence", fs.spence, 1.0),
        ("spence", fs.spence, 2.0),
        ("si", lambda x: fs.sici(x)[0], 0.0),
        ("lambertw", lambda x: fs.lambertw(x).real, 0.0),
        ("pseudo_huber", lambda d: fs.pseudo_huber(d, 1.5), 0.4),
        ("owens_t", lambda h: fs.owens_t(h, 0.5), 0.0),
        ("hyp2f1", lambda z: fs.hyp2f1(0.5, 1.0, 1.5, z), 0.5),
    ],
)
def test_second_order_at_awkward_points(name, f, x) -> None:
    check_grads(f, (np.float64(x),), order=2, rng=0)


def test_closed_forms_at_special_points() -> None:
    d = fluxion.grad
    assert d(fs.j1)(0.0) == 0.5 and d(fs.i1)(0.0) == 0.5
    assert d(lambda x: fs.sici(x)[0])(0.0) == 1.0
    assert d(lambda x: fs.lambertw(x).real)(0.0) == 1.0
    # spence'(1) = -1, spence''(1) = 1/2
    assert d(fs.spence)(1.0) == -1.0
    np.testing.assert_allclose(d(d(fs.spence))(1.0), 0.5, rtol=1e-14)
    # boxcox at lambda = 0: d/dlambda = (log x)^2 / 2, d2/dlambda2 = (log x)^3 / 3
    log_x = math.log(2.5)
    np.testing.assert_allclose(d(lambda lm: fs.boxcox(2.5, lm))(0.0), log_x**2 / 2, rtol=1e-15)
    np.testing.assert_allclose(
        d(d(lambda lm: fs.boxcox(2.5, lm)))(0.0), log_x**3 / 3, rtol=1e-15
    )
    # inv_boxcox at lambda = 0: d/dlambda = -exp(y) y^2 / 2
    np.testing.assert_allclose(
        d(lambda lm: fs.inv_boxcox(1.5, lm))(0.0), -math.exp(1.5) * 1.5**2 / 2, rtol=1e-15
    )
    # zeta(x, q) in q: -x zeta(x + 1, q)
    np.testing.assert_allclose(d(lambda q: fs.zeta(3.0, q))(1.0), -3 * sc.zeta(4.0), rtol=1e-15)
    # factorial and comb are 0 (with derivative 0) outside their domains
    assert fs.factorial(-1.5) == 0.0 and d(fs.factorial)(-1.5) == 0.0
    assert d(lambda k: fs.comb(3.0, k))(4.5) == 0.0
    # wofz is holomorphic: its complex derivative along 1 and along i agree
    z = 0.3 + 0.8j
    _, along_1 = fluxion.jvp(fs.wofz, (z,), (1.0 + 0j,))
    _, along_i = fluxion.jvp(fs.wofz, (z,), (1j,))
    np.testing.assert_allclose(along_i, 1j * along_1, rtol=1e-14)
    np.testing.assert_allclose(along_1, -2 * z * sc.wofz(z) + 2j / math.sqrt(math.pi), rtol=1e-14)


def test_arrays_vmap_and_scipy_dispatch() -> None:
    x = np.linspace(0.5, 4.0, 5)
    # plain scipy.special calls on traced values are routed to fluxion
    g = fluxion.grad(lambda t: fluxion.numpy.sum(sc.jv(1.5, t)))(x)
    np.testing.assert_allclose(g, (sc.jv(0.5, x) - sc.jv(2.5, x)) / 2, rtol=1e-14)
    g = fluxion.grad(lambda t: fluxion.numpy.sum(sc.sici(t)[1]))(x)
    np.testing.assert_allclose(g, np.cos(x) / x, rtol=1e-14)
    g = fluxion.grad(lambda t: fluxion.numpy.sum(sc.fresnel(t)[0]))(x)
    np.testing.assert_allclose(g, np.sin(np.pi * x**2 / 2), rtol=1e-14)
    out = fluxion.vmap(lambda t: fs.expn(np.array([0, 1, 2]), t))(x)
    np.testing.assert_allclose(out, sc.expn(np.array([0, 1, 2]), x[:, None]), rtol=1e-14)
    w = fs.lambertw(x)
    assert w.dtype == np.complex128 and fluxion.jit(fs.lambertw)(x).dtype == np.complex128
    np.testing.assert_allclose(fluxion.jit(fs.lambertw)(x), sc.lambertw(x), rtol=1e-15)


@pytest.mark.parametrize(
    "fn,arg,what",
    [
        (lambda v: fnp.real(fs.jv(v, 2.0 + 0.5j)), 1.5, "jv: the derivative in the order v"),
        (lambda v: fnp.real(fs.kve(v, 2.0 + 0.5j)), 1.5, "kve: the derivative in the order v"),
        (
            fluxion.grad(fluxion.grad(lambda v: fs.iv(v, 2.0))),
            1.5,
            r"iv \(third derivative in the order v\)",
        ),
        # the parameter derivatives (tests/test_special_params.py) are for real arguments
        (lambda a: fnp.real(fs.hyp1f1(a, 1.5, 0.3 + 0.1j)), 0.5,
         "hyp1f1: the derivative in the parameters is implemented for a real argument only"),
        (lambda c: fnp.real(fs.hyp2f1(0.5, 1.0, c, 0.3j)), 2.0,
         "hyp2f1: the derivative in the parameters is implemented for a real argument only"),
        (lambda n: fs.expn(n, 1.0), 2.0, "expn: the derivative in the order n"),
    ],
)
def test_derivatives_without_a_formula_raise(fn, arg, what) -> None:
    for mode in ("fwd", "rev"):
        with pytest.raises(NotImplementedError, match=what):
            if mode == "fwd":
                fluxion.jvp(fn, (arg,), (1.0,))
            else:
                fluxion.grad(fn)(arg)


def test_holding_the_order_fixed_is_fine() -> None:
    # a traced order with a zero tangent is not an error (stop_gradient)
    f = lambda v, x: fs.jv(fluxion.stop_gradient(v), x)
    g = fluxion.grad(f, argnums=1)(1.5, 2.0)
    np.testing.assert_allclose(g, (sc.jv(0.5, 2.0) - sc.jv(2.5, 2.0)) / 2, rtol=1e-14)


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="jv: expected 2 argument"):
        fs.jv(1.0)
    with pytest.raises(TypeError, match="hyp2f1: expected 4 argument"):
        fs.hyp2f1(1.0, 2.0, 3.0)
    # complex where SciPy takes real values only: the error names the function
    for name, fn in [
        ("owens_t", lambda z: fs.owens_t(z, 0.5)),
        ("boxcox", lambda z: fs.boxcox(z, 0.5)),
        ("zeta", lambda z: fs.zeta(2.0, z)),
        ("k0", fs.k0),
    ]:
        with pytest.raises(TypeError, match=f"{name}: not defined for inputs"):
            fluxion.jvp(fn, (1.0 + 1j,), (1.0 + 0j,))
    with pytest.raises(TypeError, match="lambertw: expected an integer branch"):
        fs.lambertw(1.0, k=0.5)
    with pytest.raises(NotImplementedError, match="factorial: exact=True"):
        fluxion.grad(lambda n: fs.factorial(n, exact=True))(3.0)
    # outside the domain: SciPy's NaN/inf, no exception
    with np.errstate(all="ignore"):
        assert np.isnan(fluxion.grad(lambda x: fs.jv(1.5, x))(-1.0))
        assert np.isinf(fs.huber(-1.0, 2.0))
