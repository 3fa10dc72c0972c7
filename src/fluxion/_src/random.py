"""Explicit-key pseudo-random numbers (``fluxion.random``), safe under jit, vmap and grad.

A key is a ``uint32`` array of shape ``(2,)``. Every draw is a deterministic function of its key:
the key seeds a counter-based Philox generator (``numpy.random.Philox``), so :func:`split` and
:func:`fold_in` derive new independent streams without any global state.

Design: three small primitives do the key-dependent work (``random_draw`` for parameter-free
draws, ``random_fold_in``, ``random_gamma``); everything else is written with fluxion.numpy ops on
their outputs, so location/scale/inverse-CDF samplers are differentiable in their parameters
automatically (reparameterization). ``random_gamma`` carries an implicit-reparameterization
derivative in its shape ``a`` (``random_gamma_grad``). Under jit the key is an ordinary traced
input: the primitives run their NumPy ``impl`` at run time (no compiled lowering). Under vmap a
batch of keys (``split(key, n)``) is drawn key by key (the loop rules below).
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from fluxion._src.codegen.lowering import BACKENDS, cannot_lower
from fluxion._src.core import (
    Primitive,
    ShapedArray,
    Tracer,
    Zero,
    aval_of,
    nondiff_jvp,
    nondiff_vjp,
)
from fluxion._src.numpy import core as fnp
from fluxion._src.numpy import linalg as fla
from fluxion._src.scipy import special as fsp

__all__ = [
    "PRNGKey",
    "bernoulli",
    "beta",
    "categorical",
    "cauchy",
    "choice",
    "dirichlet",
    "exponential",
    "fold_in",
    "gamma",
    "key",
    "laplace",
    "logistic",
    "lognormal",
    "multivariate_normal",
    "normal",
    "permutation",
    "poisson",
    "randint",
    "split",
    "t",
    "truncated_normal",
    "uniform",
]

_MASK32 = 0xFFFFFFFF


# --------------------------------------------------------------------------------------------
# Keys and the generator behind them
# --------------------------------------------------------------------------------------------


def _generator(key: Any, salt: int = 0) -> np.random.Generator:
    """Philox seeded by the 64-bit key word and a 64-bit salt (0 for draws, data+1 for fold_in)."""
    k = np.asarray(key, dtype=np.uint64)
    word = (int(k[0]) << 32) | int(k[1])
    return np.random.Generator(np.random.Philox(key=np.array([word, salt], dtype=np.uint64)))


def _check_key(name: str, key: Any) -> Any:
    """Validate a single key (a uint32 array of shape (2,)), traced or concrete."""
    if isinstance(key, Tracer):
        aval = aval_of(key)
        shape, dtype = aval.shape, aval.dtype
    else:
        if not isinstance(key, np.ndarray):
            raise TypeError(
                f"{name}: expected a PRNG key (a uint32 array of shape (2,) from "
                f"fluxion.random.key(seed)), got {type(key).__name__}; "
                "make one with fluxion.random.key(0)"
            )
        shape, dtype = key.shape, key.dtype
    if shape != (2,) or dtype != np.uint32:
        hint = (
            "; this looks like a batch of keys: map over it with fluxion.vmap or index one"
            if len(shape) >= 2 and shape[-1] == 2
            else "; make one with fluxion.random.key(seed)"
        )
        raise TypeError(
            f"{name}: expected a PRNG key, a uint32 array of shape (2,), "
            f"got {np.dtype(dtype).name} array of shape {tuple(shape)}{hint}"
        )
    return key


def _shape_tuple(name: str, shape: Any) -> tuple[int, ...]:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        out = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(
            f"{name}: expected shape to be a tuple of non-negative ints, got {shape!r}"
        ) from None
    if any(s < 0 for s in out):
        raise ValueError(f"{name}: expected shape to be non-negative, got {out}")
    return out


def _param_shape(x: Any) -> tuple[int, ...]:
    return tuple(aval_of(x).shape) if isinstance(x, Tracer) else np.shape(x)


def _out_shape(name: str, shape: Any, *params: Any) -> tuple[int, ...]:
    """``shape`` if given (it must be broadcast-compatible with the parameters), else theirs."""
    shapes = [_param_shape(p) for p in params]
    try:
        batch = np.broadcast_shapes(*shapes) if shapes else ()
    except ValueError:
        raise ValueError(
            f"{name}: the parameters' shapes {shapes} do not broadcast together"
        ) from None
    if shape is None:
        return tuple(batch)
    out = _shape_tuple(name, shape)
    try:
        if np.broadcast_shapes(out, batch) != out:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"{name}: the parameters' broadcast shape {tuple(batch)} does not broadcast to the "
            f"requested shape {out}"
        ) from None
    return out


def _float_dtype(name: str, dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{name}: expected a floating dtype, got {dt.name}")
    return dt


def _cast(x: Any, dtype: np.dtype) -> Any:
    return x if dtype == np.float64 else fnp.asarray(x).astype(dtype)


def key(seed: Any) -> np.ndarray:
    """A PRNG key from an integer seed.

    Parameters
    ----------
    seed : int
        Any Python or NumPy integer (taken modulo ``2**64``).

    Returns
    -------
    key : numpy.ndarray, uint32, shape ``(2,)``
        The high and low 32-bit words of the seed.

    Examples
    --------
    >>> import fluxion.random as fr
    >>> fr.key(0)
    array([0, 0], dtype=uint32)
    """
    if isinstance(seed, Tracer):
        raise TypeError(
            "key: expected a concrete integer seed, got a traced value; make the key outside "
            "jit/vmap and pass it in as an argument (or split/fold_in an existing key)"
        )
    if isinstance(seed, np.ndarray) and seed.shape == ():
        seed = seed.item()
    try:
        s = operator.index(seed) % (1 << 64)
    except TypeError:
        raise TypeError(
            f"key: expected an integer seed, got {type(seed).__name__} ({seed!r})"
        ) from None
    return np.array([(s >> 32) & _MASK32, s & _MASK32], dtype=np.uint32)


PRNGKey = key


# --------------------------------------------------------------------------------------------
# Primitives
# --------------------------------------------------------------------------------------------


def _loop_batch(prim: Primitive) -> Any:
    """Batch rule: one draw per example (a key batch is a set of independent streams)."""

    def batch(args: Any, dims: Any, *, axis_size: int, **params: Any) -> Any:
        outs = []
        for i in range(axis_size):
            sliced = [x if d is None else fnp.take(x, i, axis=d) for x, d in zip(args, dims)]
            outs.append(prim.bind(*sliced, **params))
        return fnp.stack(outs), 0

    return batch


_DRAW_DTYPES = {
    "bits": np.dtype(np.uint32),
    "uniform": np.dtype(np.float64),
    "normal": np.dtype(np.float64),
    "permutation": np.dtype(np.int64),
    "poisson": np.dtype(np.int64),
    "choice": np.dtype(np.int64),
}


def _draw_impl(key: Any, *args: Any, dist: str, shape: tuple) -> np.ndarray:
    gen = _generator(key)
    if dist == "bits":
        return gen.integers(0, 1 << 32, size=shape, dtype=np.uint32)
    if dist == "uniform":
        # 53 random bits, centred in their cell: strictly inside (0, 1), so logs stay finite
        return (gen.integers(0, 1 << 53, size=shape, dtype=np.uint64) + 0.5) * 2.0**-53
    if dist == "normal":
        return gen.standard_normal(shape)
    if dist == "permutation":
        return gen.permutation(shape[0]).astype(np.int64)
    if dist == "poisson":
        return gen.poisson(np.broadcast_to(args[0], shape)).astype(np.int64)
    if dist == "choice":
        # sampling without replacement by Gumbel top-k: the k largest log p + Gumbel noise
        logp, n = args[0], args[0].shape[0]
        keys = logp - np.log(-np.log(gen.random(n) * (1 - 2.0**-53) + 2.0**-54))
        return np.argsort(-keys, kind="stable")[: math.prod(shape)].reshape(shape)
    raise ValueError(f"random_draw: unknown distribution {dist!r}")


def _draw_abstract(key: Any, *args: Any, dist: str, shape: tuple) -> ShapedArray:
    return ShapedArray(tuple(shape), _DRAW_DTYPES[dist])


random_draw_p = Primitive("random_draw", lambda *a, **k: np.asarray(_draw_impl(*a, **k)))
random_draw_p.abstract_eval = _draw_abstract
random_draw_p.jvp = nondiff_jvp
random_draw_p.vjp = nondiff_vjp
random_draw_p.batch = _loop_batch(random_draw_p)


def _fold_in_impl(key: Any, data: Any) -> np.ndarray:
    salt = (int(np.asarray(data).astype(np.int64)) % (1 << 63)) + 1
    return _generator(key, salt).integers(0, 1 << 32, size=2, dtype=np.uint32)


random_fold_in_p = Primitive("random_fold_in", _fold_in_impl)
random_fold_in_p.abstract_eval = lambda key, data: ShapedArray((2,), np.dtype(np.uint32))
random_fold_in_p.jvp = nondiff_jvp
random_fold_in_p.vjp = nondiff_vjp
random_fold_in_p.batch = _loop_batch(random_fold_in_p)


def _gamma_impl(key: Any, a: Any) -> np.ndarray:
    return np.asarray(_generator(key).standard_gamma(np.asarray(a, dtype=np.float64)))


def _gamma_grad_impl(a: Any, x: Any) -> np.ndarray:
    """d x / d a of a Gamma(a, 1) draw x at fixed CDF value: -(dP/da) / (dP/dx).

    With ``P(a, x) = x^a e^-x sum_n x^n / Gamma(a+n+1)`` (the lower regularized incomplete
    gamma), ``dP/da = sum_n term_n (log x - digamma(a+n+1))``; summed in NumPy in log space
    until the terms are negligible (the terms fall monotonically once ``n > x - a``).
    ``dP/dx = x^(a-1) e^-x / Gamma(a)``. Exact up to the truncation (relative 1e-16 per term).
    """
    from scipy import special as ss

    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    flat_a = a.ravel()
    flat_x = np.maximum(x.ravel(), np.finfo(np.float64).tiny)
    out = np.empty(flat_a.shape)
    # terms needed: past the peak at n ~ x - a, then ~12 standard deviations of the decay
    n_needed = (flat_x + 12.0 * np.sqrt(flat_x + flat_a) + 60.0).astype(np.int64)
    order = np.argsort(n_needed)
    start = 0
    while start < order.size:
        # chunks of elements with similar term counts, at most ~2e6 terms per chunk
        stop = start + 1
        while stop < order.size and (stop - start + 1) * (int(n_needed[order[stop]]) + 1) <= 2e6:
            stop += 1
        idx = order[start:stop]
        n_max = int(n_needed[idx].max())
        ai, xi = flat_a[idx, None], flat_x[idx, None]
        n = np.arange(n_max + 1, dtype=np.float64)[None, :]
        log_x = np.log(xi)
        terms = np.exp((ai + n) * log_x - xi - ss.gammaln(ai + n + 1.0))
        dp_da = np.sum(terms * (log_x - ss.digamma(ai + n + 1.0)), axis=1)
        log_dp_dx = (ai[:, 0] - 1.0) * log_x[:, 0] - xi[:, 0] - ss.gammaln(ai[:, 0])
        out[idx] = -dp_da * np.exp(-log_dp_dx)
        start = stop
    return out.reshape(a.shape)


random_gamma_grad_p = Primitive("random_gamma_grad", _gamma_grad_impl)
random_gamma_grad_p.abstract_eval = lambda a, x: ShapedArray(
    np.broadcast_shapes(a.shape, x.shape), np.dtype(np.float64)
)
random_gamma_grad_p.batch = _loop_batch(random_gamma_grad_p)
# No jvp: the implicit derivative is itself not differentiated (second order raises).


def _gamma_jvp(primals: Any, tangents: Any) -> Any:
    key, a = primals
    ans = random_gamma_p.bind(key, a)
    t_a = tangents[1]
    if type(t_a) is Zero:
        return ans, Zero(ans)
    return ans, fnp.multiply(t_a, random_gamma_grad_p.bind(a, ans))


def _gamma_vjp(g: Any, ans: Any, key: Any, a: Any) -> Any:
    return None, fnp.multiply(g, random_gamma_grad_p.bind(a, ans))


random_gamma_p = Primitive("random_gamma", _gamma_impl)
random_gamma_p.abstract_eval = lambda key, a: ShapedArray(tuple(a.shape), np.dtype(np.float64))
random_gamma_p.jvp = _gamma_jvp
random_gamma_p.vjp = _gamma_vjp
random_gamma_p.batch = _loop_batch(random_gamma_p)

for _backend in BACKENDS:
    for _name in ("random_draw", "random_fold_in", "random_gamma", "random_gamma_grad"):
        cannot_lower(
            _backend,
            _name,
            "draws from NumPy's Philox generator seeded by the key at run time (jit calls the "
            "NumPy impl); no compiled counter-based generator is written for this backend",
        )


def _draw(key: Any, dist: str, shape: tuple, *args: Any) -> Any:
    return random_draw_p.bind(key, *args, dist=dist, shape=tuple(shape))


# --------------------------------------------------------------------------------------------
# Keys: split and fold_in
# --------------------------------------------------------------------------------------------


def split(key: Any, num: int = 2) -> Any:
    """Split a key into ``num`` new independent keys.

    Parameters
    ----------
    key : array, uint32, shape ``(2,)``
    num : int, optional

    Returns
    -------
    keys : array, uint32, shape ``(num, 2)``
    """
    _check_key("split", key)
    try:
        num = operator.index(num)
    except TypeError:
        raise TypeError(f"split: expected num to be an int, got {num!r}") from None
    if num < 0:
        raise ValueError(f"split: expected num >= 0, got {num}")
    return _draw(key, "bits", (num, 2))


def fold_in(key: Any, data: Any) -> Any:
    """A new key that is a deterministic function of ``key`` and the integer ``data``.

    Parameters
    ----------
    key : array, uint32, shape ``(2,)``
    data : int or integer array of shape ``()`` (may be traced, e.g. a loop counter)

    Returns
    -------
    key : array, uint32, shape ``(2,)``
    """
    _check_key("fold_in", key)
    if isinstance(data, Tracer):
        aval = aval_of(data)
        if aval.shape != () or aval.dtype.kind not in "iub":
            raise TypeError(
                f"fold_in: expected data to be an integer scalar, got {aval.dtype.name} array "
                f"of shape {tuple(aval.shape)}"
            )
    else:
        arr = np.asarray(data)
        if arr.shape != () or arr.dtype.kind not in "iub":
            raise TypeError(
                f"fold_in: expected data to be an integer scalar, got {arr.dtype.name} array "
                f"of shape {arr.shape}"
            )
        data = arr.astype(np.int64)
    return random_fold_in_p.bind(key, data)


# --------------------------------------------------------------------------------------------
# Continuous distributions (reparameterized: differentiable in their parameters)
# --------------------------------------------------------------------------------------------


def _std_uniform(name: str, key: Any, shape: tuple) -> Any:
    _check_key(name, key)
    return _draw(key, "uniform", shape)


def uniform(
    key: Any, shape: Any = (), dtype: Any = float, minval: Any = 0.0, maxval: Any = 1.0
) -> Any:
    """Uniform draws on ``[minval, maxval)``; differentiable in ``minval`` and ``maxval``.

    Parameters
    ----------
    key : array, uint32, shape ``(2,)``
    shape : tuple of int, optional
        Must be broadcast-compatible with ``minval`` and ``maxval``.
    dtype : floating dtype, optional
    minval, maxval : array_like, optional

    Returns
    -------
    x : array, shape ``shape``
        ``minval + (maxval - minval) * u`` with ``u`` uniform on (0, 1).
    """
    dt = _float_dtype("uniform", dtype)
    shape = _out_shape("uniform", shape, minval, maxval)
    u = _std_uniform("uniform", key, shape)
    return _cast(fnp.add(minval, fnp.multiply(fnp.subtract(maxval, minval), u)), dt)


def normal(
    key: Any, shape: Any = None, dtype: Any = float, loc: Any = 0.0, scale: Any = 1.0
) -> Any:
    """Normal draws ``loc + scale * z``; differentiable in ``loc`` and ``scale``.

    Parameters
    ----------
    key : array, uint32, shape ``(2,)``
    shape : tuple of int, optional
        Default: the broadcast shape of ``loc`` and ``scale`` (``()`` for the defaults).
    dtype : floating dtype, optional
    loc, scale : array_like, optional
        (An extension of ``jax.random.normal``, which draws the standard normal only.)

    Returns
    -------
    x : array, shape ``shape``
    """
    dt = _float_dtype("normal", dtype)
    shape = _out_shape("normal", shape, loc, scale)
    _check_key("normal", key)
    z = _draw(key, "normal", shape)
    return _cast(fnp.add(loc, fnp.multiply(scale, z)), dt)


def exponential(key: Any, shape: Any = None, dtype: Any = float, scale: Any = 1.0) -> Any:
    """Exponential draws ``-scale * log(u)``; differentiable in ``scale``.

    Returns
    -------
    x : array, shape ``shape`` (default: ``scale``'s shape)
    """
    dt = _float_dtype("exponential", dtype)
    shape = _out_shape("exponential", shape, scale)
    u = _std_uniform("exponential", key, shape)
    return _cast(fnp.multiply(scale, fnp.negative(fnp.log(u))), dt)


def laplace(
    key: Any, shape: Any = None, dtype: Any = float, loc: Any = 0.0, scale: Any = 1.0
) -> Any:
    """Laplace draws by the inverse CDF; differentiable in ``loc`` and ``scale``.

    Returns
    -------
    x : array, shape ``shape`` (default: the parameters' broadcast shape)
    """
    dt = _float_dtype("laplace", dtype)
    shape = _out_shape("laplace", shape, loc, scale)
    v = fnp.subtract(_std_uniform("laplace", key, shape), 0.5)
    # x = loc - scale sign(v) log(1 - 2|v|)
    z = fnp.negative(fnp.multiply(fnp.sign(v), fnp.log1p(fnp.multiply(-2.0, fnp.abs(v)))))
    return _cast(fnp.add(loc, fnp.multiply(scale, z)), dt)


def logistic(
    key: Any, shape: Any = None, dtype: Any = float, loc: Any = 0.0, scale: Any = 1.0
) -> Any:
    """Logistic draws ``loc + scale * log(u / (1 - u))``; differentiable in ``loc``, ``scale``.

    Returns
    -------
    x : array, shape ``shape`` (default: the parameters' broadcast shape)
    """
    dt = _float_dtype("logistic", dtype)
    shape = _out_shape("logistic", shape, loc, scale)
    u = _std_uniform("logistic", key, shape)
    z = fnp.subtract(fnp.log(u), fnp.log1p(fnp.negative(u)))
    return _cast(fnp.add(loc, fnp.multiply(scale, z)), dt)


def cauchy(
    key: Any, shape: Any = None, dtype: Any = float, loc: Any = 0.0, scale: Any = 1.0
) -> Any:
    """Cauchy draws ``loc + scale * tan(pi (u - 1/2))``; differentiable in ``loc``, ``scale``.

    Returns
    -------
    x : array, shape ``shape`` (default: the parameters' broadcast shape)
    """
    dt = _float_dtype("cauchy", dtype)
    shape = _out_shape("cauchy", shape, loc, scale)
    u = _std_uniform("cauchy", key, shape)
    z = fnp.tan(fnp.multiply(np.pi, fnp.subtract(u, 0.5)))
    return _cast(fnp.add(loc, fnp.multiply(scale, z)), dt)


def lognormal(
    key: Any, sigma: Any = 1.0, shape: Any = None, dtype: Any = float, mean: Any = 0.0
) -> Any:
    """Log-normal draws ``exp(mean + sigma * z)``; differentiable in ``sigma`` and ``mean``.

    Returns
    -------
    x : array, shape ``shape`` (default: the parameters' broadcast shape)
    """
    dt = _float_dtype("lognormal", dtype)
    shape = _out_shape("lognormal", shape, sigma, mean)
    _check_key("lognormal", key)
    z = _draw(key, "normal", shape)
    return _cast(fnp.exp(fnp.add(mean, fnp.multiply(sigma, z))), dt)


def truncated_normal(
    key: Any, lower: Any, upper: Any, shape: Any = None, dtype: Any = float
) -> Any:
    """Standard normal draws truncated to ``(lower, upper)``, by the inverse CDF.

    ``ndtri(ndtr(lower) + u (ndtr(upper) - ndtr(lower)))``, differentiable in both bounds.
    Accurate while the interval keeps some normal mass (about ``lower < 8``).

    Returns
    -------
    x : array, shape ``shape`` (default: the bounds' broadcast shape)
    """
    dt = _float_dtype("truncated_normal", dtype)
    shape = _out_shape("truncated_normal", shape, lower, upper)
    u = _std_uniform("truncated_normal", key, shape)
    lo, hi = fsp.ndtr(lower), fsp.ndtr(upper)
    x = fsp.ndtri(fnp.add(lo, fnp.multiply(u, fnp.subtract(hi, lo))))
    return _cast(fnp.clip(x, lower, upper), dt)


def gamma(key: Any, a: Any, shape: Any = None, dtype: Any = float) -> Any:
    """Gamma(a, 1) draws; differentiable in ``a`` by implicit reparameterization.

    The derivative is ``dx/da = -(dP/da)(a, x) / (dP/dx)(a, x)`` with ``P`` the regularized
    lower incomplete gamma function: the change of the draw at a fixed CDF value (Figurnov et
    al., 2018). ``dP/da`` is summed from its series in NumPy (exact to rounding; no finite
    differences). Second derivatives in ``a`` are not implemented.

    Parameters
    ----------
    key : array, uint32, shape ``(2,)``
    a : array_like, positive
    shape : tuple of int, optional
        Default: ``a``'s shape.

    Returns
    -------
    x : array, shape ``shape``
    """
    dt = _float_dtype("gamma", dtype)
    _check_key("gamma", key)
    shape = _out_shape("gamma", shape, a)
    if not isinstance(a, Tracer) and np.any(np.asarray(a) <= 0):
        raise ValueError(f"gamma: expected a > 0, got {np.asarray(a)!r}")
    a_b = fnp.broadcast_to(fnp.asarray(a, dtype=np.float64), shape)
    return _cast(random_gamma_p.bind(key, a_b), dt)


def beta(key: Any, a: Any, b: Any, shape: Any = None, dtype: Any = float) -> Any:
    """Beta(a, b) draws as ``G_a / (G_a + G_b)``; differentiable in ``a`` and ``b``.

    Returns
    -------
    x : array, shape ``shape`` (default: the parameters' broadcast shape)
    """
    dt = _float_dtype("beta", dtype)
    _check_key("beta", key)
    shape = _out_shape("beta", shape, a, b)
    ka, kb = split(key)
    ga, gb = gamma(ka, a, shape), gamma(kb, b, shape)
    return _cast(fnp.divide(ga, fnp.add(ga, gb)), dt)


def dirichlet(key: Any, alpha: Any, shape: Any = None, dtype: Any = float) -> Any:
    """Dirichlet draws by normalized gammas; differentiable in ``alpha``.

    Parameters
    ----------
    alpha : array_like, shape ``(..., k)``
    shape : tuple of int, optional
        The batch shape (default ``alpha.shape[:-1]``).

    Returns
    -------
    x : array, shape ``shape + (k,)``
    """
    dt = _float_dtype("dirichlet", dtype)
    _check_key("dirichlet", key)
    a_shape = _param_shape(alpha)
    if len(a_shape) < 1:
        raise ValueError("dirichlet: expected alpha with at least one axis (..., k), got a scalar")
    batch = _out_shape("dirichlet", shape, np.empty(a_shape[:-1]))
    g = gamma(key, fnp.broadcast_to(alpha, batch + a_shape[-1:]))
    return _cast(fnp.divide(g, fnp.sum(g, axis=-1, keepdims=True)), dt)


def t(key: Any, df: Any, shape: Any = None, dtype: Any = float) -> Any:
    """Student's t draws ``z / sqrt(2 G_{df/2} / df)``; differentiable in ``df``.

    Returns
    -------
    x : array, shape ``shape`` (default: ``df``'s shape)
    """
    dt = _float_dtype("t", dtype)
    _check_key("t", key)
    shape = _out_shape("t", shape, df)
    kz, kg = split(key)
    z = _draw(kz, "normal", shape)
    g = gamma(kg, fnp.multiply(0.5, df), shape)
    return _cast(fnp.divide(z, fnp.sqrt(fnp.divide(fnp.multiply(2.0, g), df))), dt)


def multivariate_normal(
    key: Any, mean: Any, cov: Any, shape: Any = None, dtype: Any = float
) -> Any:
    """Multivariate normal draws ``mean + L z`` with ``L = cholesky(cov)``; differentiable.

    Parameters
    ----------
    mean : array_like, shape ``(..., n)``
    cov : array_like, shape ``(..., n, n)``, symmetric positive definite
    shape : tuple of int, optional
        The batch shape (default: the broadcast of ``mean.shape[:-1]`` and ``cov.shape[:-2]``).

    Returns
    -------
    x : array, shape ``shape + (n,)``
    """
    dt = _float_dtype("multivariate_normal", dtype)
    _check_key("multivariate_normal", key)
    m_shape, c_shape = _param_shape(mean), _param_shape(cov)
    if len(m_shape) < 1 or len(c_shape) < 2 or c_shape[-2:] != (m_shape[-1],) * 2:
        raise ValueError(
            "multivariate_normal: expected mean of shape (..., n) and cov of shape (..., n, n), "
            f"got {m_shape} and {c_shape}"
        )
    n = m_shape[-1]
    batch = _out_shape(
        "multivariate_normal", shape, np.empty(m_shape[:-1]), np.empty(c_shape[:-2])
    )
    z = _draw(key, "normal", batch + (n,))
    chol = fla.cholesky(cov)
    x = fnp.add(mean, fnp.squeeze(fnp.matmul(chol, fnp.expand_dims(z, -1)), -1))
    return _cast(x, dt)


# --------------------------------------------------------------------------------------------
# Discrete distributions (integer or boolean draws: no derivative)
# --------------------------------------------------------------------------------------------


def bernoulli(key: Any, p: Any = 0.5, shape: Any = None) -> Any:
    """Boolean draws, True with probability ``p``.

    Returns
    -------
    x : array, bool, shape ``shape`` (default: ``p``'s shape)
    """
    shape = _out_shape("bernoulli", shape, p)
    return fnp.less(_std_uniform("bernoulli", key, shape), p)


def poisson(key: Any, lam: Any, shape: Any = None, dtype: Any = int) -> Any:
    """Poisson draws (integers; not differentiable in ``lam``).

    Returns
    -------
    x : array, int, shape ``shape`` (default: ``lam``'s shape)
    """
    _check_key("poisson", key)
    shape = _out_shape("poisson", shape, lam)
    if not isinstance(lam, Tracer) and np.any(np.asarray(lam) < 0):
        raise ValueError(f"poisson: expected lam >= 0, got {np.asarray(lam)!r}")
    lam_b = fnp.broadcast_to(fnp.asarray(lam, dtype=np.float64), shape)
    return fnp.asarray(_draw(key, "poisson", shape, lam_b)).astype(np.dtype(dtype))


def randint(key: Any, shape: Any, minval: Any, maxval: Any, dtype: Any = int) -> Any:
    """Integers uniform on ``[minval, maxval)``.

    Returns
    -------
    x : array, int, shape ``shape``
    """
    dt = np.dtype(dtype)
    if dt.kind not in "iu":
        raise TypeError(f"randint: expected an integer dtype, got {dt.name}")
    shape = _out_shape("randint", shape, minval, maxval)
    u = _std_uniform("randint", key, shape)
    lo = fnp.asarray(minval, dtype=np.float64)
    hi = fnp.asarray(maxval, dtype=np.float64)
    x = fnp.floor(fnp.add(lo, fnp.multiply(fnp.subtract(hi, lo), u)))
    return fnp.clip(x, lo, fnp.subtract(hi, 1.0)).astype(dt)


def categorical(key: Any, logits: Any, axis: int = -1, shape: Any = None) -> Any:
    """Category indices with probabilities ``softmax(logits, axis)`` (Gumbel-max).

    Parameters
    ----------
    logits : array_like, shape with ``k`` categories along ``axis``
    shape : tuple of int, optional
        Default: ``logits``' shape without ``axis``.

    Returns
    -------
    x : array, int, shape ``shape``
    """
    _check_key("categorical", key)
    l_shape = _param_shape(logits)
    if len(l_shape) < 1:
        raise ValueError("categorical: expected logits with at least one axis, got a scalar")
    axis = axis % len(l_shape)
    logits = fnp.moveaxis(logits, axis, -1)
    batch = _out_shape("categorical", shape, np.empty(l_shape[:axis] + l_shape[axis + 1:]))
    u = _draw(key, "uniform", batch + l_shape[axis:axis + 1])
    gumbel = fnp.negative(fnp.log(fnp.negative(fnp.log(u))))
    return fnp.argmax(fnp.add(logits, gumbel), axis=-1)


def permutation(key: Any, x: Any, axis: int = 0) -> Any:
    """A random permutation of ``arange(x)`` (int ``x``) or of ``x`` along ``axis``.

    Returns
    -------
    y : array, shape ``(x,)`` or ``x.shape``
    """
    _check_key("permutation", key)
    if isinstance(x, (int, np.integer)):
        if x < 0:
            raise ValueError(f"permutation: expected a non-negative int, got {x}")
        return _draw(key, "permutation", (int(x),))
    shape = _param_shape(x)
    if len(shape) == 0:
        raise ValueError("permutation: expected an int or an array with at least one axis")
    perm = _draw(key, "permutation", (shape[axis],))
    return fnp.take(x, perm, axis=axis)


def choice(
    key: Any, a: Any, shape: Any = (), replace: bool = True, p: Any = None, axis: int = 0
) -> Any:
    """Random elements of ``a`` (or of ``arange(a)`` for an int).

    Parameters
    ----------
    a : int or array_like
    shape : tuple of int, optional
    replace : bool, optional
    p : array_like, shape ``(n,)``, optional
        Probabilities (concrete; default uniform).

    Returns
    -------
    x : array, shape ``shape`` (an int ``a``) or ``shape + a.shape`` without ``axis``
    """
    _check_key("choice", key)
    shape = _shape_tuple("choice", shape)
    if isinstance(a, (int, np.integer)):
        n = int(a)
    else:
        a_shape = _param_shape(a)
        if len(a_shape) == 0:
            raise ValueError("choice: expected an int or an array with at least one axis")
        n = a_shape[axis]
    if n <= 0 and math.prod(shape) > 0:
        raise ValueError(f"choice: cannot draw from an empty population (n = {n})")
    if p is None:
        logp = np.zeros(n)
    else:
        if isinstance(p, Tracer):
            raise TypeError("choice: expected concrete probabilities p, got a traced value")
        p = np.asarray(p, dtype=np.float64)
        if p.shape != (n,) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
            raise ValueError(
                f"choice: expected p of shape ({n},), non-negative and summing to 1, got "
                f"shape {p.shape}, sum {p.sum():.6g}"
            )
        with np.errstate(divide="ignore"):
            logp = np.log(p)
    if replace:
        idx = categorical(key, logp, shape=shape)
    else:
        if math.prod(shape) > n:
            raise ValueError(
                f"choice: cannot take {math.prod(shape)} samples without replacement from {n}"
            )
        idx = _draw(key, "choice", shape, logp)
    if isinstance(a, (int, np.integer)):
        return idx
    return fnp.take(a, idx, axis=axis)
