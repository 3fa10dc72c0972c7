"""``fluxion.scipy.special``: differentiable special functions matching ``scipy.special``.

The elementwise functions wrap primitives from ``fluxion._src.prims.special`` (outside transforms
they call the SciPy ufunc at once); ``logsumexp``, ``softmax``, ``log_softmax``, ``multigammaln``
and ``polygamma`` with an array order are composites written with fluxion operations, so they
need no rules of their own. Plain ``scipy.special.<ufunc>(traced)`` calls are routed here through
NumPy's ``__array_ufunc__`` protocol.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from .. import core
from ..backend import is_host
from ..core import Tracer, _state
from ..numpy import core as fnp
from ..numpy.core import register_numpy_dispatch
from ..prims import special as sp
from ..prims._helpers import normalize_axes, shape_of
from .special_common import name_public

ArrayLike = Any
Array = Any

__all__: list[str] = []

# --------------------------------------------------------------------------------------------
# Elementwise functions (generated: one fast wrapper per primitive)
# --------------------------------------------------------------------------------------------

_UNARY_DOC = """{summary}

Differentiable; matches ``scipy.special.{name}``.

Parameters
----------
x : array_like
    Input array, any shape{domain}.

Returns
-------
Array
    Same shape as ``x``.

Notes
-----
{deriv}  SciPy's ``out=``, ``where=`` and other ufunc keywords are not supported.
"""

_BINARY_DOC = """{summary}

Differentiable; matches ``scipy.special.{name}`` (broadcasting and dtype promotion included).

Parameters
----------
{arg0}, {arg1} : array_like
    Inputs; their shapes must broadcast together{domain}.

Returns
-------
Array
    The broadcast shape of ``{arg0}`` and ``{arg1}``.

Notes
-----
{deriv}  SciPy's ``out=``, ``where=`` and other ufunc keywords are not supported.
"""


def _make_unary(name: str, prim: core.Primitive, summary: str, deriv: str, domain: str = "") -> Any:
    ufunc = prim.impl
    bind = prim.bind

    def fn(x: ArrayLike, /) -> Array:
        if _state.trace is None:
            return ufunc(x)
        return bind(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "fluxion.scipy.special"
    fn.__doc__ = _UNARY_DOC.format(
        summary=summary, name=name, deriv=deriv, domain=f" ({domain})" if domain else ""
    )
    __all__.append(name)
    return fn


def _make_binary(
    name: str,
    prim: core.Primitive,
    summary: str,
    deriv: str,
    args: tuple[str, str] = ("x", "y"),
    domain: str = "",
) -> Any:
    bind = prim.bind

    def fn(x1: ArrayLike, x2: ArrayLike, /) -> Array:
        return bind(x1, x2)

    name_public(fn, name, args)
    fn.__doc__ = _BINARY_DOC.format(
        summary=summary,
        name=name,
        deriv=deriv,
        arg0=args[0],
        arg1=args[1],
        domain=f" ({domain})" if domain else "",
    )
    __all__.append(name)
    return fn


gammaln = _make_unary(
    "gammaln",
    sp.gammaln_p,
    "Logarithm of the absolute value of the gamma function, ``log|Gamma(x)|``.",
    "The derivative is ``digamma(x)``.",
    "real",
)
digamma = _make_unary(
    "digamma",
    sp.digamma_p,
    "The digamma function ``psi(x) = d/dx log Gamma(x)``.",
    "The derivative is ``polygamma(1, x)``.",
    "real",
)
psi = _make_unary(
    "psi",
    sp.digamma_p,
    "The digamma function ``psi(x) = d/dx log Gamma(x)`` (alias of :func:`digamma`).",
    "The derivative is ``polygamma(1, x)``.",
    "real",
)
gamma = _make_unary(
    "gamma",
    sp.gamma_p,
    "The gamma function ``Gamma(x)``.",
    "The derivative is ``gamma(x) * digamma(x)``.",
    "real; infinite at the non-positive integers",
)
erf = _make_unary(
    "erf",
    sp.erf_p,
    "The error function ``erf(x) = 2/sqrt(pi) int_0^x exp(-t**2) dt``.",
    "The derivative is ``2/sqrt(pi) * exp(-x**2)``.",
)
erfc = _make_unary(
    "erfc",
    sp.erfc_p,
    "The complementary error function ``1 - erf(x)``, accurate for large ``x``.",
    "The derivative is ``-2/sqrt(pi) * exp(-x**2)``.",
)
erfinv = _make_unary(
    "erfinv",
    sp.erfinv_p,
    "The inverse of :func:`erf`.",
    "The derivative is ``sqrt(pi)/2 * exp(erfinv(y)**2)``.",
    "in ``[-1, 1]``",
)
erfcinv = _make_unary(
    "erfcinv",
    sp.erfcinv_p,
    "The inverse of :func:`erfc`.",
    "The derivative is ``-sqrt(pi)/2 * exp(erfcinv(y)**2)``.",
    "in ``[0, 2]``",
)
ndtr = _make_unary(
    "ndtr",
    sp.ndtr_p,
    "The standard normal cumulative distribution function ``Phi(x)``.",
    "The derivative is the standard normal density ``exp(-x**2/2) / sqrt(2 pi)``.",
)
ndtri = _make_unary(
    "ndtri",
    sp.ndtri_p,
    "The inverse of :func:`ndtr` (the standard normal quantile function).",
    "The derivative is ``sqrt(2 pi) * exp(ndtri(p)**2 / 2)``.",
    "in ``[0, 1]``",
)
log_ndtr = _make_unary(
    "log_ndtr",
    sp.log_ndtr_p,
    "The logarithm of :func:`ndtr`, accurate far into the lower tail.",
    "The derivative is ``exp(-x**2/2 - log_ndtr(x)) / sqrt(2 pi)``, stable in both tails.",
)
expit = _make_unary(
    "expit",
    sp.expit_p,
    "The logistic sigmoid ``1 / (1 + exp(-x))``.",
    "The derivative is ``expit(x) * (1 - expit(x))``.",
)
logit = _make_unary(
    "logit",
    sp.logit_p,
    "The log-odds ``log(x / (1 - x))``, the inverse of :func:`expit`.",
    "The derivative is ``1 / (x (1 - x))``.",
    "in ``[0, 1]``",
)
log_expit = _make_unary(
    "log_expit",
    sp.log_expit_p,
    "The logarithm of :func:`expit`, ``-log1p(exp(-x))``, computed stably.",
    "The derivative is ``expit(-x)``.",
)
entr = _make_unary(
    "entr",
    sp.entr_p,
    "The elementwise entropy ``-x log x`` (0 at 0, ``-inf`` for negative ``x``).",
    "The derivative is ``-(log x + 1)``.",
    "non-negative",
)
i0e = _make_unary(
    "i0e",
    sp.i0e_p,
    "The exponentially scaled modified Bessel function of order 0, ``exp(-|x|) I0(x)``.",
    "The derivative is ``i1e(x) - sign(x) i0e(x)``.",
)
i1e = _make_unary(
    "i1e",
    sp.i1e_p,
    "The exponentially scaled modified Bessel function of order 1, ``exp(-|x|) I1(x)``.",
    "The derivative is ``i0e(x) - sign(x) i1e(x) - i1e(x)/x`` (1/2 at 0).",
)

xlogy = _make_binary(
    "xlogy",
    sp.xlogy_p,
    "``x * log(y)``, defined as 0 where ``x == 0`` (even where ``y == 0``).",
    "Derivatives: ``log(y)`` in ``x`` and ``x / y`` in ``y``. Where ``x == 0`` both are finite: "
    "the ``y`` derivative is 0, and the ``x`` derivative is ``log(y)`` for ``y > 0`` and 0 for "
    "``y <= 0`` (never NaN).",
)
xlog1py = _make_binary(
    "xlog1py",
    sp.xlog1py_p,
    "``x * log1p(y)``, defined as 0 where ``x == 0``.",
    "Derivatives: ``log1p(y)`` in ``x`` and ``x / (1 + y)`` in ``y``. Where ``x == 0`` both are "
    "finite: the ``y`` derivative is 0, and the ``x`` derivative is 0 for ``y <= -1``.",
)
betaln = _make_binary(
    "betaln",
    sp.betaln_p,
    "The logarithm of the absolute value of the beta function, ``log|B(a, b)|``.",
    "Derivatives: ``digamma(a) - digamma(a + b)`` in ``a``, symmetrically in ``b``.",
    args=("a", "b"),
)
beta = _make_binary(
    "beta",
    sp.beta_p,
    "The beta function ``B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)``.",
    "Derivatives: ``beta(a, b) (digamma(a) - digamma(a + b))`` in ``a``, symmetrically in ``b``.",
    args=("a", "b"),
)


# --------------------------------------------------------------------------------------------
# polygamma and multigammaln (integer parameters)
# --------------------------------------------------------------------------------------------


def _static_int(name: str, what: str, value: Any) -> Any:
    if isinstance(value, Tracer):
        raise TypeError(
            f"{name}: expected a concrete integer {what}, got a traced {value.aval}; "
            f"{what} is not differentiable, pass it as a plain int"
        )
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf" or not np.all(arr == np.floor(arr)):
        raise TypeError(f"{name}: expected an integer {what}, got {value!r}")
    return arr.astype(np.int64)


def polygamma(n: ArrayLike, x: ArrayLike) -> Array:
    """The polygamma function ``psi^(n)(x)``, the ``n``-th derivative of :func:`digamma`.

    Differentiable; matches ``scipy.special.polygamma`` (derivatives are in ``x``).

    Parameters
    ----------
    n : int or array_like of int
        The order (non-negative, concrete: it is a static parameter, not differentiable). An
        array of orders broadcasts against ``x``.
    x : array_like
        Real input, any shape.

    Returns
    -------
    Array
        The broadcast shape of ``n`` and ``x``, float64.

    Raises
    ------
    TypeError
        If ``n`` is traced or not an integer.

    Notes
    -----
    The derivative in ``x`` is ``polygamma(n + 1, x)``, so derivatives of any order work.

    Examples
    --------
    >>> import fluxion
    >>> from fluxion.scipy.special import polygamma
    >>> float(fluxion.grad(lambda x: polygamma(1, x))(2.0))  # polygamma(2, 2.0)
    -0.4041138063191886
    """
    if _state.trace is None and not isinstance(x, Tracer) and is_host(x, n):
        return sc.polygamma(n, x)  # SciPy directly (host values only: it is NumPy code)
    orders = _static_int("polygamma", "order n", n)
    if np.any(orders < 0):
        raise ValueError(f"polygamma: expected non-negative orders n, got {n!r}")
    if orders.ndim == 0:
        return sp.polygamma(int(orders), x)
    # An array of orders: one primitive per distinct order, selected elementwise.
    out = None
    for k in np.unique(orders):
        term = fnp.where(orders == k, sp.polygamma(int(k), x), 0.0)
        out = term if out is None else fnp.add(out, term)
    return out


def multigammaln(a: ArrayLike, d: int) -> Array:
    """The log of the multivariate gamma function of dimension ``d``.

    Differentiable; matches ``scipy.special.multigammaln`` (derivatives are in ``a``).

    Parameters
    ----------
    a : array_like
        Input, any shape; every element must exceed ``(d - 1) / 2``.
    d : int
        The dimension (a concrete positive integer).

    Returns
    -------
    Array
        Same shape as ``a``.

    Raises
    ------
    ValueError
        If ``d`` is not a positive integer, or (outside transforms) if ``a <= (d - 1) / 2``.

    Notes
    -----
    Computed as ``d (d - 1) / 4 log(pi) + sum_{j=1}^{d} gammaln(a - (j - 1) / 2)``.

    Examples
    --------
    >>> from fluxion.scipy.special import multigammaln
    >>> round(float(multigammaln(3.0, 2)), 6)
    1.550195
    """
    d_int = int(_static_int("multigammaln", "dimension d", d))
    if d_int <= 0:
        raise ValueError(f"multigammaln: expected a positive integer dimension d, got {d!r}")
    if _state.trace is None and not isinstance(a, Tracer) and is_host(a):
        return sc.multigammaln(a, d_int)  # SciPy directly (host values only: it is NumPy code)
    # log Gamma_d(a) = d (d - 1)/4 log(pi) + sum_{j=0}^{d-1} lnGamma(a - j/2)
    out = fnp.asarray(d_int * (d_int - 1) / 4.0 * math.log(math.pi))
    for j in range(d_int):
        out = fnp.add(out, gammaln(fnp.subtract(a, j / 2.0)))
    return out


__all__ += ["polygamma", "multigammaln"]


# --------------------------------------------------------------------------------------------
# logsumexp, softmax, log_softmax (composites)
# --------------------------------------------------------------------------------------------


def logsumexp(
    a: ArrayLike,
    axis: Any = None,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
) -> Array | tuple[Array, Array]:
    """``log(sum(b * exp(a), axis))``, computed stably.

    Differentiable; matches ``scipy.special.logsumexp`` (derivatives in ``a`` and ``b``).

    Parameters
    ----------
    a : array_like
        Input, shape ``(d0, ..., dn)``.
    axis : None, int or tuple of int, optional
        Axes to reduce over (default all).
    b : array_like, optional
        Weights, broadcastable with ``a``; entries where ``b == 0`` are ignored (even where
        ``a`` is infinite), as in SciPy.
    keepdims : bool, optional
        Keep the reduced axes with size 1.
    return_sign : bool, optional
        Also return the sign of the sum; the first output is then ``log|sum|``. Without it a
        negative weighted sum gives NaN, as in SciPy.

    Returns
    -------
    res : Array
        The broadcast shape of ``a`` and ``b`` without the reduced axes (with size-1 axes if
        ``keepdims``). ``-inf`` where every term is zero (an all ``-inf`` slice, or an empty one).
    sgn : Array
        Only with ``return_sign``: the sign of the sum (-1, 0 or 1), same shape as ``res``.

    Notes
    -----
    The largest element of each slice is subtracted (under ``stop_gradient``) before
    exponentiating. Where a slice's sum is zero the value is ``-inf`` and the gradient is 0, not
    NaN (a double ``where`` keeps the untaken branch finite).

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.scipy.special import logsumexp
    >>> float(logsumexp(np.array([0.0, np.log(3.0)])))  # log(1 + 3)
    1.3862943611198906
    """
    a = fnp.asarray(a)
    if a.dtype.kind in "biu":
        a = fnp.astype(a, np.float64)
    if b is not None:
        b = fnp.asarray(b)
        # Entries with zero weight do not contribute, even where a is +-inf.
        a = fnp.where(fnp.equal(b, 0), -np.inf, a)
    shape = shape_of(a) if b is None else np.broadcast_shapes(shape_of(a), shape_of(b))
    axes = normalize_axes(axis, len(shape), "logsumexp")
    if b is not None and shape_of(a) != shape:
        a = fnp.broadcast_to(a, shape)

    if all(shape[i] > 0 for i in axes):
        # The shift: a constant, finite (0 for a slice that is all -inf or holds +inf / NaN).
        amax = fnp.max(fnp.stop_gradient(a), axis=axes, keepdims=True)
        amax = fnp.stop_gradient(fnp.where(fnp.isfinite(amax), amax, 0.0))
    else:
        amax = 0.0
    terms = fnp.exp(fnp.subtract(a, amax))
    if b is not None:
        terms = fnp.multiply(b, terms)
    total = fnp.sum(terms, axis=axes, keepdims=True)
    if return_sign:
        sgn = fnp.sign(total)
        total = fnp.absolute(total)
    # log(total) + amax, with log(0) = -inf and a zero (not NaN) gradient there: double where.
    empty = fnp.equal(total, 0.0)
    safe_log = fnp.log(fnp.where(empty, 1.0, total))
    res = fnp.add(fnp.where(empty, -np.inf, safe_log), amax)
    if not keepdims:
        out_shape = tuple(d for i, d in enumerate(shape) if i not in axes)
        res = fnp.reshape(res, out_shape)
        if return_sign:
            sgn = fnp.reshape(sgn, out_shape)
    if return_sign:
        return res, sgn
    return res


def log_softmax(x: ArrayLike, axis: Any = None) -> Array:
    """The logarithm of :func:`softmax`, ``x - logsumexp(x, axis, keepdims=True)``.

    Differentiable; matches ``scipy.special.log_softmax``.

    Parameters
    ----------
    x : array_like
        Input, any shape.
    axis : None, int or tuple of int, optional
        Axes to normalise over (default all, as in SciPy).

    Returns
    -------
    Array
        Same shape as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.scipy.special import log_softmax
    >>> np.exp(log_softmax(np.array([0.0, 0.0]))).tolist()
    [0.5, 0.5]
    """
    x = fnp.asarray(x)
    if x.dtype.kind in "biu":
        x = fnp.astype(x, np.float64)
    axes = normalize_axes(axis, fnp.ndim(x), "log_softmax")
    if not all(shape_of(x)[i] > 0 for i in axes):
        return fnp.subtract(x, logsumexp(x, axis=axis, keepdims=True))
    # As SciPy: shift by the (constant, finite) maximum first, so that entries near the maximum
    # keep their relative accuracy (x - logsumexp(x) cancels to ~|x| * eps absolutely).
    amax = fnp.max(fnp.stop_gradient(x), axis=axes, keepdims=True)
    shifted = fnp.subtract(x, fnp.stop_gradient(fnp.where(fnp.isfinite(amax), amax, 0.0)))
    return fnp.subtract(shifted, logsumexp(shifted, axis=axis, keepdims=True))


def softmax(x: ArrayLike, axis: Any = None) -> Array:
    """The softmax ``exp(x) / sum(exp(x), axis)``, computed stably.

    Differentiable; matches ``scipy.special.softmax``.

    Parameters
    ----------
    x : array_like
        Input, any shape.
    axis : None, int or tuple of int, optional
        Axes to normalise over (default all, as in SciPy).

    Returns
    -------
    Array
        Same shape as ``x``; sums to one over ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.scipy.special import softmax
    >>> softmax(np.array([0.0, np.log(3.0)])).round(6).tolist()
    [0.25, 0.75]
    """
    return fnp.exp(log_softmax(x, axis=axis))


__all__ += ["logsumexp", "log_softmax", "softmax"]

register_numpy_dispatch(globals(), __all__, sc)
