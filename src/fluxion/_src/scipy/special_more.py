"""More of ``fluxion.scipy.special``: Bessel functions, zeta, exponential integrals, Lambert W,
Owen's T, Box-Cox, factorial/comb/binom/poch, Spence, sici, fresnel, wofz, rel_entr, kl_div,
huber, pseudo_huber, hyp1f1 and hyp2f1.

The elementwise functions wrap primitives from ``fluxion._src.prims.special_more`` (outside
transforms they call SciPy at once); ``factorial``, ``comb`` and the two-output ``sici`` and
``fresnel`` are composites. Plain ``scipy.special.<ufunc>(traced)`` calls are routed here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from .. import core
from ..backend import is_host
from ..core import Tracer, _state
from ..numpy import core as fnp
from ..numpy.core import register_numpy_dispatch
from ..prims import special as sp
from ..prims import special_more as sm
from .special_common import public_ufunc

ArrayLike = Any
Array = Any

__all__: list[str] = []

_RAISES = """
Raises
------
TypeError
    If an input's dtype is one SciPy refuses (for example complex where it takes real values).
NotImplementedError
    {raises}
"""


def _make(
    name: str,
    prim: core.Primitive,
    args: tuple[str, ...],
    summary: str,
    deriv: str,
    domain: str = "any shape",
    raises: str = "Never (every argument is differentiable).",
    dtype: str = "",
) -> Any:
    """A public elementwise function of ``len(args)`` positional arguments binding ``prim``."""
    fn = public_ufunc(
        name,
        prim,
        args,
        summary=summary,
        params=f"{', '.join(args)} : array_like\n    Inputs that broadcast together ({domain}).",
        returns=f"The broadcast shape of the inputs{dtype}.",
        notes=deriv,
        raises=_RAISES.format(raises=raises),
    )
    __all__.append(name)
    return fn


_ORDER = (
    "If a derivative in the order ``v`` is requested at complex ``x``, or a third derivative "
    "in ``v``."
)
_IN_V = (
    " Differentiable in the order ``v`` too (real ``x``): by the power series where its terms "
    "do not cancel, else by a Schlaefli-type integral representation (Gauss-Legendre "
    "quadrature); ``kv``/``kve`` by quadrature of ``int_0^inf t sinh(v t) exp(-x cosh t) dt``; "
    "about 1e-10 relative against mpmath (``tools/special_incomplete_accuracy.py --bessel``); "
    "the second derivative in ``v`` by Richardson-extrapolated differences of the first "
    "(6e-8 relative at worst against mpmath)."
)

# Bessel functions --------------------------------------------------------------------------

i0 = _make("i0", sm.i0_p, ("x",), "The modified Bessel function of order 0, ``I0(x)``.",
           "The derivative is ``i1(x)``.", "real")
i1 = _make("i1", sm.i1_p, ("x",), "The modified Bessel function of order 1, ``I1(x)``.",
           "The derivative is ``i0(x) - i1(x)/x`` (1/2 at 0).", "real")
k0 = _make("k0", sm.k0_p, ("x",), "The modified Bessel function of the second kind, order 0.",
           "The derivative is ``-k1(x)``.", "real, ``x > 0``")
k1 = _make("k1", sm.k1_p, ("x",), "The modified Bessel function of the second kind, order 1.",
           "The derivative is ``-k0(x) - k1(x)/x``.", "real, ``x > 0``")
k0e = _make("k0e", sm.k0e_p, ("x",), "The exponentially scaled ``exp(x) K0(x)``.",
            "The derivative is ``k0e(x) - k1e(x)``.", "real, ``x > 0``")
k1e = _make("k1e", sm.k1e_p, ("x",), "The exponentially scaled ``exp(x) K1(x)``.",
            "The derivative is ``k1e(x) - k0e(x) - k1e(x)/x``.", "real, ``x > 0``")
j0 = _make("j0", sm.j0_p, ("x",), "The Bessel function of the first kind of order 0.",
           "The derivative is ``-j1(x)``.", "real")
j1 = _make("j1", sm.j1_p, ("x",), "The Bessel function of the first kind of order 1.",
           "The derivative is ``j0(x) - j1(x)/x`` (1/2 at 0).", "real")
y0 = _make("y0", sm.y0_p, ("x",), "The Bessel function of the second kind of order 0.",
           "The derivative is ``-y1(x)``.", "real, ``x > 0``")
y1 = _make("y1", sm.y1_p, ("x",), "The Bessel function of the second kind of order 1.",
           "The derivative is ``y0(x) - y1(x)/x``.", "real, ``x > 0``")
_DOMAIN_V = "real order ``v``; real or complex ``x``"
iv = _make("iv", sm.iv_p, ("v", "x"), "The modified Bessel function of the first kind ``I_v``.",
           "Differentiable in ``x``: ``(iv(v-1, x) + iv(v+1, x)) / 2``." + _IN_V,
           _DOMAIN_V, _ORDER)
ive = _make("ive", sm.ive_p, ("v", "x"), "The exponentially scaled ``exp(-|Re x|) I_v(x)``.",
            "Differentiable in ``x``: ``(ive(v-1, x) + ive(v+1, x)) / 2 - sign(Re x) "
            "ive(v, x)``." + _IN_V, _DOMAIN_V, _ORDER)
kv = _make("kv", sm.kv_p, ("v", "x"), "The modified Bessel function of the second kind ``K_v``.",
           "Differentiable in ``x``: ``-(kv(v-1, x) + kv(v+1, x)) / 2``." + _IN_V,
           _DOMAIN_V, _ORDER)
kve = _make("kve", sm.kve_p, ("v", "x"), "The exponentially scaled ``exp(x) K_v(x)``.",
            "Differentiable in ``x``: ``kve(v, x) - (kve(v-1, x) + kve(v+1, x)) / 2``." + _IN_V,
            _DOMAIN_V, _ORDER)
jv = _make("jv", sm.jv_p, ("v", "x"), "The Bessel function of the first kind ``J_v``.",
           "Differentiable in ``x``: ``(jv(v-1, x) - jv(v+1, x)) / 2``." + _IN_V,
           _DOMAIN_V, _ORDER)
yv = _make("yv", sm.yv_p, ("v", "x"), "The Bessel function of the second kind ``Y_v``.",
           "Differentiable in ``x``: ``(yv(v-1, x) - yv(v+1, x)) / 2``." + _IN_V,
           _DOMAIN_V, _ORDER)

# Exponential integrals, Lambert W, Owen's T ---------------------------------------------------

expi = _make("expi", sm.expi_p, ("x",), "The exponential integral ``Ei(x)``.",
             "The derivative is ``exp(x) / x``.", "real or complex")
exp1 = _make("exp1", sm.exp1_p, ("x",), "The exponential integral ``E1(x)``.",
             "The derivative is ``-exp(-x) / x``.", "real or complex")
expn = _make("expn", sm.expn_p, ("n", "x"), "The generalized exponential integral ``E_n(x)``.",
             "Differentiable in ``x``: ``-expn(n-1, x)`` (``-exp(-x)(1/x + 1/x**2)`` for n = 0).",
             "integer order ``n >= 0``, real ``x``",
             "If a derivative in the integer order ``n`` is requested.")
owens_t = _make("owens_t", sm.owens_t_p, ("h", "a"), "Owen's T function ``T(h, a)``.",
                "Derivatives: ``-phi(h) erf(a h / sqrt 2) / 2`` in ``h`` and "
                "``exp(-h**2 (1 + a**2) / 2) / (2 pi (1 + a**2))`` in ``a``.", "real")

# Box-Cox -----------------------------------------------------------------------------------

_BOXCOX_LAMBDA = ("In ``lmbda`` the derivative uses the Maclaurin series of "
                  "``(u e^u - expm1 u) / u**2`` near ``lmbda log x == 0`` (no cancellation).")
boxcox = _make("boxcox", sm.boxcox_p, ("x", "lmbda"), "The Box-Cox transform.",
               "Derivatives: ``x**(lmbda - 1)`` in ``x``. " + _BOXCOX_LAMBDA, "real, ``x > 0``")
boxcox1p = _make("boxcox1p", sm.boxcox1p_p, ("x", "lmbda"), "The Box-Cox transform of ``1 + x``.",
                 "Derivatives: ``(1 + x)**(lmbda - 1)`` in ``x``. " + _BOXCOX_LAMBDA,
                 "real, ``x > -1``")
inv_boxcox = _make("inv_boxcox", sm.inv_boxcox_p, ("y", "lmbda"),
                   "The inverse of :func:`boxcox`.",
                   "Derivatives: ``x / (1 + lmbda y)`` in ``y`` and ``x y**2 h(lmbda y)`` in "
                   "``lmbda`` with ``h(v) = (v/(1+v) - log1p(v)) / v**2`` (series near 0).",
                   "real")
inv_boxcox1p = _make("inv_boxcox1p", sm.inv_boxcox1p_p, ("y", "lmbda"),
                     "The inverse of :func:`boxcox1p`.",
                     "Derivatives as for :func:`inv_boxcox` with ``x = inv_boxcox1p + 1``.",
                     "real")

# Binomial, Pochhammer ------------------------------------------------------------------------

binom = _make("binom", sm.binom_p, ("n", "k"), "The binomial coefficient as a real function.",
              "Derivatives: ``binom (psi(n+1) - psi(n-k+1))`` in ``n`` and "
              "``binom (psi(n-k+1) - psi(k+1))`` in ``k``.", "real")
poch = _make("poch", sm.poch_p, ("z", "m"),
             "The Pochhammer symbol ``(z)_m = gamma(z + m) / gamma(z)``.",
             "Derivatives: ``poch (psi(z+m) - psi(z))`` in ``z`` and ``poch psi(z+m)`` in ``m``.",
             "real")

# Spence, Faddeeva, entropies, Huber ----------------------------------------------------------

spence = _make("spence", sm.spence_p, ("z",), "Spence's function ``int_1^z log t / (1 - t) dt``.",
               "The derivative is ``log z / (1 - z)`` (-1 at 1, by its series nearby).",
               "real ``z >= 0``, or complex")
wofz = _make("wofz", sm.wofz_p, ("z",), "The Faddeeva function ``exp(-z**2) erfc(-i z)``.",
             "Holomorphic; the derivative is ``-2 z wofz(z) + 2i / sqrt(pi)``.",
             "real or complex", dtype=", complex")
rel_entr = _make("rel_entr", sm.rel_entr_p, ("x", "y"), "The relative entropy ``x log(x/y)``.",
                 "Derivatives: ``log(x/y) + 1`` in ``x``, ``-x/y`` in ``y``.", "real")
kl_div = _make("kl_div", sm.kl_div_p, ("x", "y"),
               "The Kullback-Leibler divergence term ``x log(x/y) - x + y``.",
               "Derivatives: ``log(x/y)`` in ``x``, ``1 - x/y`` in ``y``.", "real")
huber = _make("huber", sm.huber_p, ("delta", "r"), "The Huber loss.",
              "Derivatives: ``r`` inside ``|r| <= delta`` and ``delta sign(r)`` outside, in "
              "``r``; 0 inside and ``|r| - delta`` outside, in ``delta``.", "real")
pseudo_huber = _make("pseudo_huber", sm.pseudo_huber_p, ("delta", "r"), "The pseudo-Huber loss.",
                     "Derivatives, with ``R = sqrt(delta**2 + r**2)``: ``r delta / R`` in ``r`` "
                     "and ``r**4 / (R (R + delta)**2)`` in ``delta`` (0 where both are 0).",
                     "real")

# Hypergeometric ----------------------------------------------------------------------------

hyp1f1 = _make("hyp1f1", sm.hyp1f1_p, ("a", "b", "x"),
               "The confluent hypergeometric function ``1F1(a; b; x)``.",
               "Differentiable in ``x``: ``a/b hyp1f1(a+1, b+1, x)``; in ``a`` and ``b`` (real "
               "``x``, any order) by the power series differentiated term by term on Taylor "
               "series in the parameters (Kummer's ``e^x 1F1(b-a; b; -x)`` for ``x < 0``), "
               "1.5e-13 relative at worst against mpmath (``tools/special_params_accuracy.py``); "
               "NaN where the series has not converged in 10000 terms (``|x|`` beyond about "
               "9000).",
               "real ``a``, ``b``; real or complex ``x``",
               "If a derivative in ``a`` or ``b`` is requested at complex ``x``.")
hyp2f1 = _make("hyp2f1", sm.hyp2f1_p, ("a", "b", "c", "z"),
               "The Gauss hypergeometric function ``2F1(a, b; c; z)``.",
               "Differentiable in ``z``: ``a b / c hyp2f1(a+1, b+1, c+1, z)``; in ``a``, ``b``, "
               "``c`` (real ``z < 1``, any order) by the power series differentiated term by "
               "term on Taylor series in the parameters (Pfaff's ``(1-z)^-a 2F1(a, c-b; c; "
               "z/(z-1))`` for ``z < 0``), 3.3e-13 relative at worst against mpmath "
               "(``tools/special_params_accuracy.py``); NaN at ``z >= 1`` and where the series "
               "has not converged in 10000 terms (``z`` within about 0.004 of 1, or "
               "``z`` below about -300, for moderate parameters).",
               "real ``a``, ``b``, ``c``; real or complex ``z``",
               "If a derivative in ``a``, ``b`` or ``c`` is requested at complex ``z``.")


# --------------------------------------------------------------------------------------------
# Functions that are not single ufunc calls
# --------------------------------------------------------------------------------------------


def _traced(*xs: Any) -> bool:
    return _state.trace is not None or any(isinstance(x, Tracer) for x in xs)


def zeta(x: ArrayLike, q: ArrayLike | None = None) -> Array:
    """The Riemann zeta function, or the Hurwitz zeta function ``sum_k (k + q)**-x``.

    Differentiable; matches ``scipy.special.zeta``.

    Parameters
    ----------
    x : array_like
        Real exponent, any shape.
    q : array_like, optional
        Real shift, broadcasting with ``x``; without it, the Riemann zeta function (defined
        below ``x = 1`` by analytic continuation).

    Returns
    -------
    Array
        The broadcast shape of ``x`` and ``q``.

    Raises
    ------
    TypeError
        For complex inputs (SciPy's ``zeta`` takes real values).

    Notes
    -----
    The derivative in ``q`` is ``-x zeta(x + 1, q)``. The derivatives in ``x`` (any order,
    ``-sum_k log(k + q) (k + q)**-x`` for the first) come from the Euler-Maclaurin formula on
    Taylor series in ``x``, and for the Riemann function at ``x < 0`` from the functional
    equation; 1e-13 relative at worst against mpmath (``tools/special_params_accuracy.py``). The
    Hurwitz derivative in ``x`` is NaN for ``x <= 1`` or ``q <= 0`` (where SciPy's value is
    NaN, or real only at integer ``x``).

    Examples
    --------
    >>> import fluxion
    >>> from fluxion.scipy.special import zeta
    >>> round(float(fluxion.grad(lambda q: zeta(3.0, q))(1.0)), 10)  # -3 zeta(4)
    -3.2469697011
    >>> round(float(fluxion.grad(zeta)(0.0)), 10)  # zeta'(0) = -log(2 pi) / 2
    -0.9189385332
    """
    if q is None:
        if not _traced(x) and is_host(x):  # SciPy directly for host values only
            return sc.zeta(x)
        return sm.riemann_zeta_p.bind(x)
    if not _traced(x, q) and is_host(x, q):
        return sc.zeta(x, q)
    return sm.zeta_p.bind(x, q)


def lambertw(z: ArrayLike, k: int = 0, tol: float = 1e-8) -> Array:
    """The Lambert W function, the inverse of ``w exp(w)``, on branch ``k``.

    Differentiable; matches ``scipy.special.lambertw``, including its dtype: the result is
    always complex128 (take ``.real`` for the real principal branch on ``z >= -1/e``).

    Parameters
    ----------
    z : array_like
        Real or complex input, any shape.
    k : int, optional
        The branch (static; default the principal branch 0).
    tol : float, optional
        SciPy's stopping tolerance (static).

    Returns
    -------
    Array
        Same shape as ``z``, complex128.

    Raises
    ------
    TypeError
        If ``k`` is not an integer or ``k``/``tol`` are traced.

    Notes
    -----
    The derivative is ``W / (z (1 + W)) = exp(-W) / (1 + W)`` (1 at ``z = 0``; infinite at the
    branch point ``-1/e``).

    Examples
    --------
    >>> import fluxion
    >>> from fluxion.scipy.special import lambertw
    >>> float(fluxion.grad(lambda z: lambertw(z).real)(0.0))
    1.0
    """
    if isinstance(k, Tracer) or isinstance(tol, Tracer):
        raise TypeError("lambertw: expected a concrete branch k and tolerance tol, got a tracer")
    if not isinstance(k, int | np.integer) or isinstance(k, bool):
        raise TypeError(f"lambertw: expected an integer branch k, got {k!r}")
    if not _traced(z) and is_host(z):
        return sc.lambertw(z, k, tol)
    return sm.lambertw_p.bind(z, k=int(k), tol=float(tol))


def sici(x: ArrayLike) -> tuple[Array, Array]:
    """The sine and cosine integrals ``Si(x) = int_0^x sin t / t dt`` and
    ``Ci(x) = gamma + log x + int_0^x (cos t - 1) / t dt``.

    Differentiable; matches ``scipy.special.sici`` (for real ``x < 0`` SciPy's ``Ci`` is the
    real part, ``Ci(|x|)``).

    Parameters
    ----------
    x : array_like
        Real or complex input, any shape.

    Returns
    -------
    si, ci : Array
        Each the shape of ``x``.

    Notes
    -----
    Derivatives: ``sin x / x`` (1 at 0) and ``cos x / x``.

    Examples
    --------
    >>> from fluxion.scipy.special import sici
    >>> [round(float(v), 6) for v in sici(1.0)]
    [0.946083, 0.337404]
    """
    if not _traced(x):
        return sc.sici(x)
    return sm.si_p.bind(x), sm.ci_p.bind(x)


def fresnel(z: ArrayLike) -> tuple[Array, Array]:
    """The Fresnel integrals ``S(z) = int_0^z sin(pi t**2 / 2) dt`` and
    ``C(z) = int_0^z cos(pi t**2 / 2) dt``, in SciPy's order ``(S, C)``.

    Differentiable; matches ``scipy.special.fresnel``.

    Parameters
    ----------
    z : array_like
        Real or complex input, any shape.

    Returns
    -------
    S, C : Array
        Each the shape of ``z``.

    Notes
    -----
    Derivatives: ``sin(pi z**2 / 2)`` and ``cos(pi z**2 / 2)``.

    Examples
    --------
    >>> from fluxion.scipy.special import fresnel
    >>> [round(float(v), 6) for v in fresnel(1.0)]
    [0.438259, 0.779893]
    """
    if not _traced(z) and is_host(z):
        return sc.fresnel(z)
    return sm.fresnel_s_p.bind(z), sm.fresnel_c_p.bind(z)


def _inexact_only(name: str, exact: bool) -> None:
    if exact:
        raise NotImplementedError(
            f"{name}: exact=True works on concrete integers only (SciPy's exact arithmetic), "
            "got a traced value; use exact=False (the gamma-function form) to differentiate"
        )


def factorial(n: ArrayLike, exact: bool = False) -> Array:
    """The factorial ``n! = gamma(n + 1)``, 0 for ``n < 0``.

    Differentiable; matches ``scipy.special.factorial`` (derivatives with ``exact=False``).

    Parameters
    ----------
    n : array_like
        Input, any shape.
    exact : bool, optional
        SciPy's exact integer arithmetic: concrete inputs only (not differentiable).

    Returns
    -------
    Array
        Same shape as ``n``.

    Raises
    ------
    NotImplementedError
        With ``exact=True`` on a traced value.

    Notes
    -----
    The derivative is ``gamma(n + 1) digamma(n + 1)`` for ``n >= 0`` and 0 below.

    Examples
    --------
    >>> import fluxion
    >>> from fluxion.scipy.special import factorial
    >>> round(float(fluxion.grad(factorial)(3.0)), 6)  # 6 psi(4)
    7.536706
    """
    if not _traced(n) and is_host(n):
        return sc.factorial(n, exact=exact)
    _inexact_only("factorial", exact)
    n = fnp.asarray(n)
    valid = fnp.greater_equal(n, 0)
    safe = fnp.where(valid, n, 0.0)
    return fnp.where(valid, sp.gamma_p.bind(fnp.add(safe, 1.0)), 0.0)


def comb(N: ArrayLike, k: ArrayLike, *, exact: bool = False, repetition: bool = False) -> Array:
    """The number of combinations of ``N`` things taken ``k`` at a time, as a real function.

    Differentiable; matches ``scipy.special.comb`` (derivatives with ``exact=False``).

    Parameters
    ----------
    N, k : array_like
        Inputs that broadcast together.
    exact : bool, optional
        SciPy's exact integer arithmetic: concrete inputs only (not differentiable).
    repetition : bool, optional
        Combinations with repetition, ``comb(N + k - 1, k)``.

    Returns
    -------
    Array
        The broadcast shape of ``N`` and ``k``; 0 where ``k > N``, ``N < 0`` or ``k < 0``.

    Raises
    ------
    NotImplementedError
        With ``exact=True`` on a traced value.

    Notes
    -----
    Computed as :func:`binom` where defined, so the derivatives are ``binom``'s.

    Examples
    --------
    >>> from fluxion.scipy.special import comb
    >>> float(comb(5.0, 2.0))
    10.0
    """
    if not _traced(N, k) and is_host(N, k):
        return sc.comb(N, k, exact=exact, repetition=repetition)
    _inexact_only("comb", exact)
    if repetition:
        N = fnp.subtract(fnp.add(N, k), 1)
    N, k = fnp.asarray(N), fnp.asarray(k)
    valid = fnp.logical_and(
        fnp.logical_and(fnp.less_equal(k, N), fnp.greater_equal(N, 0)), fnp.greater_equal(k, 0)
    )
    safe_n = fnp.where(valid, N, 1.0)
    safe_k = fnp.where(valid, k, 0.0)
    return fnp.where(valid, sm.binom(safe_n, safe_k), 0.0)


__all__ += ["zeta", "lambertw", "sici", "fresnel", "factorial", "comb"]

register_numpy_dispatch(globals(), __all__, sc)
