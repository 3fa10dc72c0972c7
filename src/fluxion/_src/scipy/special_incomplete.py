"""``fluxion.scipy.special``: incomplete gamma and beta functions (differentiable in every
continuous argument), their inverses, and ``loggamma``, ``rgamma``, ``gammasgn``, ``erfcx``,
``dawsn``, ``ndtri_exp``.

Each function wraps a primitive of ``fluxion._src.prims.special_incomplete`` (outside transforms
it calls the SciPy ufunc at once). Plain ``scipy.special.<ufunc>(traced)`` calls are routed here
through NumPy's ``__array_ufunc__`` protocol.
"""

from __future__ import annotations

from typing import Any

import scipy.special as sc

from .. import core
from ..numpy.core import register_numpy_dispatch
from ..prims import special_incomplete as si
from .special_common import public_ufunc

ArrayLike = Any
Array = Any

__all__: list[str] = []

_SECOND_ORDER = (
    "Second derivatives work in every argument: those in the shape parameter{s} (``{pair}``) "
    "are Richardson-extrapolated differences of the smooth part of the log-derivative "
    "(about 1e-9 relative, 2e-7 at worst against mpmath over {them} in [1e-3, 300]); a "
    "third derivative purely in the shape parameter{s} raises ``NotImplementedError``."
)

_REFS_GAMMA = """
References
----------
R. J. Moore, "Algorithm AS 187: Derivatives of the incomplete gamma integral", Applied
Statistics 31 (1982) 330-335.
"""

_REFS_BETA = """
References
----------
R. J. Boik and J. F. Robison-Cox, "Derivatives of the incomplete beta function", Journal of
Statistical Software 3 (1998).
"""


def _make(
    name: str,
    prim: core.Primitive,
    args: tuple[str, ...],
    summary: str,
    deriv: str,
    params: str,
    refs: str = "",
) -> Any:
    shapes = " and ".join(f"``{a}``" for a in args) if len(args) > 1 else f"``{args[0]}``"
    fn = public_ufunc(
        name,
        prim,
        args,
        summary=summary,
        params=params,
        returns=f"The broadcast shape of {shapes}.",
        notes=deriv,
        refs=refs,
    )
    __all__.append(name)
    return fn


_GAMMA_PARAMS = """a : array_like
    Shape parameter, ``a > 0``.
x : array_like
    Integration limit, ``x >= 0``; broadcasts with ``a``."""

_GAMMA_DA = (
    "The derivative in ``x`` is the integrand ``x**(a-1) exp(-x) / Gamma(a)``; the derivative "
    "in ``a`` is computed numerically (the series of ``P`` differentiated term by term for "
    "``x <= a + 1``, the continued fraction of ``Q`` differentiated through its Lentz "
    "recurrences otherwise; about 1e-12 relative for ``a`` in [1e-3, 1e3]). "
    + _SECOND_ORDER.format(s="", pair="a, a", them="``a``")
)

gammainc = _make(
    "gammainc",
    si.gammainc_p,
    ("a", "x"),
    "The regularized lower incomplete gamma function ``P(a, x)``.",
    _GAMMA_DA,
    _GAMMA_PARAMS,
    _REFS_GAMMA,
)
gammaincc = _make(
    "gammaincc",
    si.gammaincc_p,
    ("a", "x"),
    "The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``.",
    "Derivatives are those of :func:`gammainc`, negated. " + _GAMMA_DA,
    _GAMMA_PARAMS,
    _REFS_GAMMA,
)

_GAMMA_INV_PARAMS = """a : array_like
    Shape parameter, ``a > 0``.
y : array_like
    Probability in ``[0, 1]``; broadcasts with ``a``."""
_IMPLICIT = (
    "Derivatives by implicit differentiation: ``dx/dy = 1 / (dF/dx)`` and ``dx/d{p} = "
    "-(dF/d{p}) / (dF/dx)`` at ``x`` = the result, ``F`` being {f}{which}. "
)

gammaincinv = _make(
    "gammaincinv",
    si.gammaincinv_p,
    ("a", "y"),
    "The inverse of :func:`gammainc` in ``x``: ``x`` with ``P(a, x) = y``.",
    _IMPLICIT.format(p="a", f=":func:`gammainc`", which="")
    + _SECOND_ORDER.format(s="", pair="a, a", them="``a``"),
    _GAMMA_INV_PARAMS,
    _REFS_GAMMA,
)
gammainccinv = _make(
    "gammainccinv",
    si.gammainccinv_p,
    ("a", "y"),
    "The inverse of :func:`gammaincc` in ``x``: ``x`` with ``Q(a, x) = y``.",
    _IMPLICIT.format(p="a", f=":func:`gammaincc`", which="")
    + _SECOND_ORDER.format(s="", pair="a, a", them="``a``"),
    _GAMMA_INV_PARAMS,
    _REFS_GAMMA,
)

_BETA_PARAMS = """a, b : array_like
    Shape parameters, ``a > 0`` and ``b > 0``.
x : array_like
    Integration limit in ``[0, 1]``; ``a``, ``b`` and ``x`` broadcast together."""
_BETA_D = (
    "The derivative in ``x`` is the integrand ``x**(a-1) (1-x)**(b-1) / B(a, b)``; the "
    "derivatives in ``a`` and ``b`` are computed numerically (the continued fraction of "
    "``I_x(a, b)`` differentiated through its Lentz recurrences, on the side "
    "``x < (a+1)/(a+b+2)`` and by ``I_x(a, b) = 1 - I_(1-x)(b, a)`` on the other; about 1e-11 "
    "relative for ``a, b`` in [1e-3, 1e3]). "
    + _SECOND_ORDER.format(s="s", pair="a, a``, ``a, b`` or ``b, b", them="``a`` and ``b``")
)

betainc = _make(
    "betainc",
    si.betainc_p,
    ("a", "b", "x"),
    "The regularized incomplete beta function ``I_x(a, b)``.",
    _BETA_D,
    _BETA_PARAMS,
    _REFS_BETA,
)
betaincc = _make(
    "betaincc",
    si.betaincc_p,
    ("a", "b", "x"),
    "The complement ``1 - I_x(a, b)`` of :func:`betainc`, accurate where it is small.",
    "Derivatives are those of :func:`betainc`, negated. " + _BETA_D,
    _BETA_PARAMS,
    _REFS_BETA,
)

_BETA_INV_PARAMS = """a, b : array_like
    Shape parameters, ``a > 0`` and ``b > 0``.
y : array_like
    Probability in ``[0, 1]``; ``a``, ``b`` and ``y`` broadcast together."""
_BETA_INV_D = _IMPLICIT + _SECOND_ORDER.format(
    s="s", pair="a, a``, ``a, b`` or ``b, b", them="``a`` and ``b``"
)

betaincinv = _make(
    "betaincinv",
    si.betaincinv_p,
    ("a", "b", "y"),
    "The inverse of :func:`betainc` in ``x``: ``x`` with ``I_x(a, b) = y``.",
    _BETA_INV_D.format(p="s", which=" and ``s`` either shape parameter", f=":func:`betainc`"),
    _BETA_INV_PARAMS,
    _REFS_BETA,
)
betainccinv = _make(
    "betainccinv",
    si.betainccinv_p,
    ("a", "b", "y"),
    "The inverse of :func:`betaincc` in ``x``: ``x`` with ``1 - I_x(a, b) = y``.",
    _BETA_INV_D.format(p="s", which=" and ``s`` either shape parameter", f=":func:`betaincc`"),
    _BETA_INV_PARAMS,
    _REFS_BETA,
)

_X = """x : array_like
    Real input, any shape."""

loggamma = _make(
    "loggamma",
    si.loggamma_p,
    ("x",),
    "The principal branch of ``log Gamma(x)``; for real ``x`` it is ``gammaln(x)`` for "
    "``x > 0`` and NaN for ``x < 0``.",
    "The derivative is ``digamma(x)`` (to any order). Real input is what is supported and tested.",
    _X,
)
rgamma = _make(
    "rgamma",
    si.rgamma_p,
    ("x",),
    "The reciprocal of the gamma function, ``1 / Gamma(x)`` (0 at the non-positive integers).",
    "The derivative is ``-digamma(x) / Gamma(x)``, and ``(-1)**n n!`` at the pole ``x = -n``. "
    "Higher derivatives at the poles themselves are not exact (elsewhere they are).",
    _X,
)
gammasgn = _make(
    "gammasgn",
    si.gammasgn_p,
    ("x",),
    "The sign of the gamma function (-1, 1, or 0 / NaN at the poles as SciPy).",
    "Piecewise constant: the derivative is 0.",
    _X,
)
erfcx = _make(
    "erfcx",
    si.erfcx_p,
    ("x",),
    "The scaled complementary error function ``exp(x**2) erfc(x)``.",
    "The derivative is ``2 x erfcx(x) - 2/sqrt(pi)``.",
    _X,
)
dawsn = _make(
    "dawsn",
    si.dawsn_p,
    ("x",),
    "Dawson's integral ``exp(-x**2) int_0^x exp(t**2) dt``.",
    "The derivative is ``1 - 2 x dawsn(x)``.",
    _X,
)
ndtri_exp = _make(
    "ndtri_exp",
    si.ndtri_exp_p,
    ("y",),
    "The inverse of ``log_ndtr``: ``ndtri(exp(y))``, accurate for very negative ``y``.",
    "The derivative is ``sqrt(2 pi) exp(ndtri_exp(y)**2 / 2 + y)``.",
    """y : array_like
    Log-probability, ``y <= 0``, any shape.""",
)

register_numpy_dispatch(globals(), __all__, sc)
