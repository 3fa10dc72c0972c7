"""Numerical checks of derivatives: :func:`check_grads`, :func:`check_jvp`, :func:`check_vjp`.

The checks follow ``jax.test_util``. Forward mode is compared with a central difference along a
random direction ``v``; reverse mode with the inner-product identity
``<u, J v> == <J^T u, v>`` for random ``v`` and a random output cotangent ``u``; higher orders
recurse on the JVP and VJP functions themselves. Everything runs eagerly in float64 or float32,
with tolerances chosen by the least precise dtype among the inputs and outputs.

Tolerances: a difference passes when ``|ad - numerical| <= atol + rtol * scale + roundoff``, where
``scale`` is the largest magnitude among the numbers compared (per output leaf) and ``roundoff``
bounds the floating-point error of the central difference itself (``macheps * |f| / eps``), so
exact zeros compare cleanly and a function with large values but small slopes is not reported
by mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .api import jvp as _jvp
from .api import vjp as _vjp
from .core import Tracer, find_primal
from .tree_util import tree_flatten, tree_unflatten

__all__ = ["check_grads", "check_jvp", "check_vjp"]

# default step and tolerance by the least precise floating dtype involved
_DEFAULT_EPS = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3, np.dtype(np.float16): 1e-2}
_DEFAULT_TOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 1e-2, np.dtype(np.float16): 1e-1}
# the roundoff bound of a central difference is macheps * |f| / eps; this is its safety factor
_ROUNDOFF_FACTOR = 16.0


# --------------------------------------------------------------------------------------------
# Helpers on flat lists of leaves
# --------------------------------------------------------------------------------------------


def _as_array(x: Any) -> np.ndarray:
    """A concrete NumPy array for a leaf (outputs may be NumPy scalars or Python numbers)."""
    return np.asarray(find_primal(x)) if isinstance(x, Tracer) else np.asarray(x)


def _dtype(x: Any) -> np.dtype:
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype if dtype is not None else np.asarray(x).dtype)


def _is_float(x: Any) -> bool:
    """Real or complex floating point (the leaves that carry derivatives)."""
    return _dtype(x).kind in "fc"


def _check_input_leaves(name: str, leaves: list) -> None:
    for i, x in enumerate(leaves):
        dtype = _dtype(x)
        if dtype.kind not in "fc":
            raise TypeError(
                f"{name}: expected real or complex floating-point inputs, got {dtype} for "
                f"input leaf {i} "
                f"(shape {np.shape(x)}); pass floats (e.g. x.astype(float)), and close over "
                "integer or boolean arguments with a lambda"
            )


def _least_precise(leaves: list) -> np.dtype:
    """The float dtype with the smallest mantissa among ``leaves`` (float64 if none)."""
    dtypes = [np.dtype(getattr(x, "dtype", np.float64)) for x in leaves]
    dtypes = [np.finfo(d).dtype if d.kind == "c" else d for d in dtypes]  # complex64: float32
    floats = [d for d in dtypes if d.kind == "f"]
    if not floats:
        return np.dtype(np.float64)
    return max(floats, key=lambda d: float(np.finfo(d).eps))


def _default(table: dict, dtype: np.dtype) -> float:
    return table.get(dtype, table[np.dtype(np.float64)])


def _random_like(rng: np.random.Generator, x: Any) -> Any:
    """A standard normal array with the shape and dtype of the float leaf ``x``.

    For a complex leaf, real and imaginary parts are independent standard normals, so the
    finite differences move along both the real and the imaginary directions.
    """
    dtype = np.dtype(getattr(x, "dtype", np.float64))
    if dtype.kind == "c":
        re = rng.standard_normal(np.shape(x))
        im = rng.standard_normal(np.shape(x))
        return (re + 1j * im).astype(dtype)
    return rng.standard_normal(np.shape(x)).astype(dtype)


def _axpy(alpha: float, v: Any, x: Any) -> Any:
    """``x + alpha * v`` in ``x``'s dtype (works on tracers through their operators)."""
    dtype = np.dtype(getattr(x, "dtype", np.float64))
    return x + (alpha * _as_array(v)).astype(dtype)


def _inner(us: list, ts: list) -> tuple[float, float]:
    """``sum_i Re <u_i, t_i>`` (``Re sum conj(u) t``) in float64, and the sum of the magnitudes
    of its terms: the real inner product of C^n seen as R^2n."""
    total = 0.0
    magnitude = 0.0
    for u, t in zip(us, ts):
        u, t = _as_array(u), _as_array(t)
        if u.dtype.kind == "c" or t.dtype.kind == "c":
            prod = np.conj(u.astype(np.complex128)) * t.astype(np.complex128)
            total += float(np.sum(prod.real))
            magnitude += float(np.sum(np.abs(prod)))
            continue
        prod = u.astype(np.float64) * t.astype(np.float64)
        total += float(np.sum(prod))
        magnitude += float(np.sum(np.abs(prod)))
    return total, magnitude


def _max_abs(x: np.ndarray) -> float:
    return float(np.max(np.abs(x))) if x.size else 0.0


def _short(x: Any) -> str:
    """A compact rendering of an array for error messages."""
    return np.array2string(
        np.asarray(x), precision=6, threshold=20, edgeitems=3, max_line_width=200
    )


def _resolve(name: str, args: Any, rng: Any) -> tuple[tuple, np.random.Generator]:
    if not isinstance(args, tuple | list):
        raise TypeError(
            f"{name}: expected args as a tuple of positional arguments, got "
            f"{type(args).__name__}; write {name}(f, (x,)) for a function of one argument"
        )
    if rng is None or isinstance(rng, int | np.integer):
        rng = np.random.default_rng(0 if rng is None else int(rng))
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name}: expected rng as None, an int seed or a numpy.random.Generator, got "
            f"{type(rng).__name__}"
        )
    return tuple(args), rng


def _perturbed_args(args: tuple, v_flat: list, step: float) -> tuple:
    flat, tree = tree_flatten(args)
    moved = [_axpy(step, v, x) for x, v in zip(flat, v_flat)]
    return tuple(tree_unflatten(tree, moved))


def _central_difference(f: Callable, args: tuple, v_flat: list, eps: float) -> tuple[list, list]:
    """``(f(x + eps v) - f(x - eps v)) / (2 eps)`` per output leaf, and the roundoff bounds."""
    plus, _ = tree_flatten(f(*_perturbed_args(args, v_flat, eps)))
    minus, _ = tree_flatten(f(*_perturbed_args(args, v_flat, -eps)))
    diffs = []
    roundoff = []
    for p, m in zip(plus, minus):
        p, m = _as_array(p), _as_array(m)
        if p.dtype.kind not in "fc":
            diffs.append(np.zeros(p.shape))
            roundoff.append(np.zeros(p.shape))
            continue
        macheps = float(np.finfo(p.dtype).eps)
        wide = np.complex128 if p.dtype.kind == "c" else np.float64
        p64, m64 = p.astype(wide), m.astype(wide)
        diffs.append((p64 - m64) / (2.0 * eps))
        size = np.maximum(np.abs(p64), np.abs(m64))
        roundoff.append(_ROUNDOFF_FACTOR * macheps * size / eps)
    return diffs, roundoff


def _tolerances(
    dtype: np.dtype, atol: float | None, rtol: float | None, eps: float | None
) -> tuple[float, float, float]:
    atol = _default(_DEFAULT_TOL, dtype) if atol is None else float(atol)
    rtol = _default(_DEFAULT_TOL, dtype) if rtol is None else float(rtol)
    eps = _default(_DEFAULT_EPS, dtype) if eps is None else float(eps)
    return atol, rtol, eps


# --------------------------------------------------------------------------------------------
# Public checks
# --------------------------------------------------------------------------------------------


def check_jvp(
    f: Callable,
    f_jvp: Callable,
    args: Sequence[Any],
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
    rng: np.random.Generator | int | None = None,
    err_msg: str = "",
) -> None:
    """Check a JVP function against central differences of ``f`` along a random direction.

    Parameters
    ----------
    f : callable
        ``f(*args)`` returning a pytree of arrays.
    f_jvp : callable
        ``f_jvp(primals, tangents) -> (out, out_tangent)`` with ``primals`` and ``tangents``
        tuples shaped like ``args`` (for example ``functools.partial(fluxion.jvp, f)``).
    args : tuple
        The point, a tuple of pytrees of real or complex floating-point arrays (any shapes);
        complex leaves are moved along random real and imaginary directions.
    atol, rtol : float, optional
        Absolute tolerance and tolerance relative to the largest magnitude compared (per output
        leaf). Default ``1e-5`` for float64, ``1e-2`` for float32.
    eps : float, optional
        Finite-difference step. Default ``1e-6`` for float64, ``1e-3`` for float32.
    rng : numpy.random.Generator or int, optional
        Source (or seed) of the random direction; default seed 0.
    err_msg : str, optional
        Prefix of the error message (what is being checked).

    Raises
    ------
    AssertionError
        If the JVP differs from the central difference by more than the tolerance, or the primal
        output of ``f_jvp`` differs from ``f(*args)``.
    TypeError
        If ``args`` is not a tuple or has a leaf that is neither real nor complex floating point.

    Examples
    --------
    >>> import functools, fluxion, fluxion.numpy as fnp
    >>> from fluxion.test_util import check_jvp
    >>> check_jvp(fnp.sin, functools.partial(fluxion.jvp, fnp.sin), (fnp.array([0.5, 1.0]),))
    """
    args, rng = _resolve("check_jvp", args, rng)
    flat, _ = tree_flatten(args)
    _check_input_leaves("check_jvp", flat)
    _jvp_check(f, f_jvp, args, flat, atol, rtol, eps, rng, err_msg or "JVP of f at order 1")


def _jvp_check(
    f: Callable,
    f_jvp: Callable,
    args: tuple,
    flat: list,
    atol: Any,
    rtol: Any,
    eps: Any,
    rng: np.random.Generator,
    what: str,
) -> None:
    v_flat = [_random_like(rng, x) for x in flat]
    tangents = tree_unflatten(tree_flatten(args)[1], v_flat)
    out, out_t = f_jvp(args, tuple(tangents))
    out_flat, _ = tree_flatten(out)
    t_flat, t_tree = tree_flatten(out_t)
    atol, rtol, eps = _tolerances(_least_precise(flat + out_flat), atol, rtol, eps)
    num_flat, roundoff = _central_difference(f, args, v_flat, eps)
    if len(num_flat) != len(t_flat):
        raise AssertionError(
            f"check_grads: {what}: the JVP has {len(t_flat)} output leaves ({t_tree}) but f "
            f"has {len(num_flat)}"
        )
    for k, (t, num, ro) in enumerate(zip(t_flat, num_flat, roundoff)):
        t = _as_array(t)
        where = f" (output leaf {k})" if len(t_flat) > 1 else ""
        if t.shape != num.shape:
            raise AssertionError(
                f"check_grads: {what}{where}: the JVP has shape {t.shape} but f's output has "
                f"shape {num.shape}"
            )
        if not t.size:
            continue
        wide = np.complex128 if t.dtype.kind == "c" or num.dtype.kind == "c" else np.float64
        err = np.abs(t.astype(wide) - num)
        scale = max(_max_abs(t.astype(wide)), _max_abs(num))
        bound = atol + rtol * scale + ro
        if not np.all(err <= bound):  # also fails on NaN
            excess = np.where(np.isnan(err), np.inf, err - bound)
            worst = int(np.argmax(excess))
            raise AssertionError(
                f"check_grads: {what}{where} does not match central differences: max abs error "
                f"{np.nanmax(err) if not np.all(np.isnan(err)) else np.nan:.3g} (tolerance "
                f"{bound.flat[worst]:.3g} = atol {atol:.1e} + rtol {rtol:.1e} * scale "
                f"{scale:.3g} + roundoff {ro.flat[worst]:.2g}; eps {eps:.1e}); "
                f"jvp={_short(t)}, numerical={_short(num)}"
            )


def check_vjp(
    f: Callable,
    f_vjp: Callable,
    args: Sequence[Any],
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
    rng: np.random.Generator | int | None = None,
    err_msg: str = "",
    f_jvp: Callable | None = None,
) -> None:
    """Check a VJP function with the identity ``<u, J v> == <J^T u, v>`` for random ``u``, ``v``.

    Parameters
    ----------
    f : callable
        ``f(*args)`` returning a pytree of arrays.
    f_vjp : callable
        ``f_vjp(*args) -> (out, vjp_fun)`` where ``vjp_fun(u)`` returns a tuple of cotangents
        shaped like ``args`` (for example ``functools.partial(fluxion.vjp, f)``).
    args : tuple
        The point, a tuple of pytrees of real or complex floating-point arrays. The VJP
        follows JAX's convention (the transpose of the JVP, cotangents not conjugated): the
        identity checked is ``Re <u, J v> == Re <conj(vjp(conj(u))), v>``.
    atol, rtol : float, optional
        As for :func:`check_jvp`; ``rtol`` is relative to the sum of the magnitudes of the terms
        of the inner products.
    eps : float, optional
        Finite-difference step, used when ``f_jvp`` is not given.
    rng : numpy.random.Generator or int, optional
        Source (or seed) of the random vectors; default seed 0.
    err_msg : str, optional
        Prefix of the error message.
    f_jvp : callable, optional
        ``f_jvp(primals, tangents) -> (out, out_tangent)``. When given, ``J v`` comes from it
        (an exact identity between the two modes); otherwise from a central difference of ``f``.

    Raises
    ------
    AssertionError
        If the two inner products differ by more than the tolerance, or a cotangent has the
        wrong shape.
    TypeError
        If ``args`` is not a tuple or has a leaf that is neither real nor complex floating point.
    """
    args, rng = _resolve("check_vjp", args, rng)
    flat, _ = tree_flatten(args)
    _check_input_leaves("check_vjp", flat)
    _vjp_check(f, f_vjp, f_jvp, args, flat, atol, rtol, eps, rng, err_msg or "VJP of f at order 1")


def _vjp_check(
    f: Callable,
    f_vjp: Callable,
    f_jvp: Callable | None,
    args: tuple,
    flat: list,
    atol: Any,
    rtol: Any,
    eps: Any,
    rng: np.random.Generator,
    what: str,
) -> None:
    in_tree = tree_flatten(args)[1]
    v_flat = [_random_like(rng, x) for x in flat]
    out, vjp_fun = f_vjp(*args)
    out_flat, out_tree = tree_flatten(out)
    atol, rtol, eps = _tolerances(_least_precise(flat + out_flat), atol, rtol, eps)
    u_flat = [_random_like(rng, o) if _is_float(o) else np.zeros(np.shape(o)) for o in out_flat]
    # JAX's convention: the VJP is the transpose (not the adjoint) of the JVP, so with the
    # real inner product <a, b> = Re sum conj(a) b the identity reads
    # <u, J v> == <conj(vjp(conj(u))), v>; for real leaves the conjugates do nothing.
    cts = vjp_fun(tree_unflatten(out_tree, [np.conj(u) for u in u_flat]))
    ct_flat, ct_tree = tree_flatten(tuple(cts))
    ct_flat = [np.conj(_as_array(c)) if _dtype(c).kind == "c" else c for c in ct_flat]
    if ct_tree != in_tree:
        raise AssertionError(
            f"check_grads: {what}: the cotangents have structure {ct_tree}, expected the "
            f"structure of the arguments {in_tree}"
        )
    for k, (ct, x) in enumerate(zip(ct_flat, flat)):
        if np.shape(ct) != np.shape(x):
            raise AssertionError(
                f"check_grads: {what}: the cotangent of input leaf {k} has shape "
                f"{np.shape(ct)}, expected {np.shape(x)}"
            )
    rhs, rhs_mag = _inner(ct_flat, v_flat)
    if f_jvp is not None:
        tangents = tree_unflatten(in_tree, v_flat)
        _, out_t = f_jvp(args, tuple(tangents))
        t_flat, _ = tree_flatten(out_t)
        lhs, lhs_mag = _inner(u_flat, t_flat)
        roundoff = 0.0
        source = "jvp"
    else:
        num_flat, ro_flat = _central_difference(f, args, v_flat, eps)
        lhs, lhs_mag = _inner(u_flat, num_flat)
        roundoff, _ = _inner([np.abs(u) for u in u_flat], ro_flat)
        source = "numerical"
    scale = max(lhs_mag, rhs_mag)
    bound = atol + rtol * scale + roundoff
    err = abs(lhs - rhs)
    if not err <= bound:
        raise AssertionError(
            f"check_grads: {what} does not satisfy <u, J v> == <vjp(u), v>: max abs error "
            f"{err:.3g} (tolerance {bound:.3g} = atol {atol:.1e} + rtol {rtol:.1e} * scale "
            f"{scale:.3g} + roundoff {roundoff:.2g}); <u, {source}(v)>={lhs!r}, "
            f"<vjp(u), v>={rhs!r}"
        )


def check_grads(
    f: Callable,
    args: Sequence[Any],
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> None:
    """Check fluxion's derivatives of ``f`` at ``args`` numerically, up to ``order``.

    Parameters
    ----------
    f : callable
        ``f(*args)`` returning a pytree of arrays (scalars included). Non-float output leaves
        are allowed and must have a zero derivative.
    args : tuple
        The point: a tuple of positional arguments, each a pytree of real or complex
        floating-point arrays of any shapes (size 0 included), float64/float32 or
        complex128/complex64. Close over other arguments.
    order : int, optional
        Highest derivative order to check (``>= 1``).
    modes : sequence of {"fwd", "rev"}, optional
        ``"fwd"``: ``fluxion.jvp(f, args, v)`` against the central difference
        ``(f(x + eps v) - f(x - eps v)) / (2 eps)`` for a random direction ``v``. ``"rev"``:
        ``<u, J v> == <vjp(u), v>`` for random ``v`` and output cotangent ``u``, where ``J v``
        is the JVP if ``"fwd"`` is also checked and the central difference otherwise.
    atol, rtol : float, optional
        Absolute tolerance and tolerance relative to the largest magnitude compared. Defaults by
        the least precise dtype among inputs and outputs: ``1e-5`` for float64, ``1e-2`` for
        float32. The floating-point error of the central difference is added to the bound.
    eps : float, optional
        Finite-difference step: ``1e-6`` for float64, ``1e-3`` for float32 by default.
    rng : numpy.random.Generator or int, optional
        Source (or seed) of the random directions; default seed 0, so a check is reproducible.

    Raises
    ------
    AssertionError
        On the first mismatch, naming the mode and order, e.g. ``check_grads: JVP of f at
        order 1 does not match central differences: max abs error 3.1e-02 (tolerance ...);
        jvp=..., numerical=...``.
    TypeError
        If ``args`` is not a tuple, or a leaf of ``args`` is not a real float array.
    ValueError
        If ``order < 1`` or ``modes`` names an unknown mode.

    See Also
    --------
    check_jvp, check_vjp

    Notes
    -----
    For ``order > 1`` the check recurses, with fresh random vectors, on the JVP function
    ``x -> jvp(f, x, v)[1]`` (mode ``"fwd"``) and on the VJP function
    ``x -> vjp(f, *x)[1](u)`` (mode ``"rev"``), each with ``order - 1``. Choose points inside
    the smooth domain of ``f``, away from kinks and poles by more than ``eps``. Complex inputs
    and outputs are treated as pairs of reals: directions ``v`` and cotangents ``u`` have
    random real and imaginary parts, and reverse mode is checked in JAX's convention (see
    :func:`check_vjp`), the one ``fluxion.grad`` uses. ``atol`` is absolute (as in JAX):
    derivatives much smaller than it are not resolved, so pass a smaller ``atol`` (or rescale
    ``f``) for functions with tiny slopes.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> from fluxion.test_util import check_grads
    >>> check_grads(lambda x, y: fnp.sin(x) * y, (fnp.array([0.5, 1.0]), 2.0), order=2)
    """
    if not isinstance(order, int | np.integer) or order < 1:
        raise ValueError(f"check_grads: expected an integer order >= 1, got {order!r}")
    modes = tuple(modes)
    unknown = [m for m in modes if m not in ("fwd", "rev")]
    if unknown or not modes:
        raise ValueError(f"check_grads: expected modes from ('fwd', 'rev'), got {modes!r}")
    args, rng = _resolve("check_grads", args, rng)
    args = tuple(_floatify(a) for a in args)
    _check_grads(f, args, int(order), modes, atol, rtol, eps, rng, "f", 1)


def _floatify(tree: Any) -> Any:
    """Turn Python floats among the leaves into float64 NumPy scalars (they carry a dtype)."""
    flat, tree_def = tree_flatten(tree)
    return tree_unflatten(tree_def, [np.float64(x) if type(x) is float else x for x in flat])


def _check_grads(
    f: Callable,
    args: tuple,
    order: int,
    modes: tuple,
    atol: Any,
    rtol: Any,
    eps: Any,
    rng: np.random.Generator,
    name: str,
    level: int,
) -> None:
    flat, _ = tree_flatten(args)
    _check_input_leaves("check_grads", flat)

    def f_jvp(primals: tuple, tangents: tuple) -> Any:
        return _jvp(f, primals, tangents)

    def f_vjp(*primals: Any) -> Any:
        return _vjp(f, *primals)

    if "fwd" in modes:
        _jvp_check(f, f_jvp, args, flat, atol, rtol, eps, rng, f"JVP of {name} at order {level}")
        if order > 1:
            v_flat = [_random_like(rng, x) for x in flat]
            tangents = tuple(tree_unflatten(tree_flatten(args)[1], v_flat))

            def jvp_of_f(*primals: Any) -> Any:
                return _jvp(f, primals, tangents)[1]

            _check_grads(
                jvp_of_f,
                args,
                order - 1,
                modes,
                atol,
                rtol,
                eps,
                rng,
                f"(x -> jvp({name}, x, v)[1])",
                level + 1,
            )
    if "rev" in modes:
        _vjp_check(
            f,
            f_vjp,
            f_jvp if "fwd" in modes else None,
            args,
            flat,
            atol,
            rtol,
            eps,
            rng,
            f"VJP of {name} at order {level}",
        )
        if order > 1:
            out_flat, out_tree = tree_flatten(f(*args))
            u = tree_unflatten(
                out_tree,
                [_random_like(rng, o) if _is_float(o) else np.zeros(np.shape(o)) for o in out_flat],
            )

            def vjp_of_f(*primals: Any) -> Any:
                return _vjp(f, *primals)[1](u)

            _check_grads(
                vjp_of_f,
                args,
                order - 1,
                modes,
                atol,
                rtol,
                eps,
                rng,
                f"(x -> vjp({name}, x)[1](u))",
                level + 1,
            )
