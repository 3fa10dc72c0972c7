"""``fluxion.numpy``: NumPy's API written on fluxion primitives.

Every function here is differentiable and matches the NumPy function of the same name
(broadcasting, dtype promotion, ``axis``/``keepdims``). Outside transforms, the elementwise
functions call the NumPy ufunc straight away (the fast eager path); under a transform they bind
the primitive. Composites stay composites: ``mean``, ``var``, ``stack``, ``tile`` ... are written
with primitives and need no rules of their own.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import core
from ..backend import is_device_array, namespace_of
from ..core import Tracer, _state
from ..ir.graph import Lit
from ..ir.staging import StagingTrace, StagingTracer
from ..prims import elementwise as ew
from ..prims import indexing as ix
from ..prims import reduce as rd
from ..prims import shape as sh
from ..prims._helpers import normalize_axes, normalize_axis, shape_of

ArrayLike = Any
Array = Any

__all__: list[str] = []


def _export(fn: Any) -> Any:
    __all__.append(fn.__name__)
    return fn


def _ndim(x: Any) -> int:
    return len(shape_of(x))


def _is_traced(*xs: Any) -> bool:
    return _state.trace is not None and builtins.any(isinstance(x, Tracer) for x in xs)


def _relabel(err: Exception, name: str) -> Exception:
    """``err`` with its message prefixed by ``fluxion.numpy.<name>: `` (same class where the
    class can be rebuilt from a message, else its TypeError/ValueError/IndexError base)."""
    msg = f"fluxion.numpy.{name}: {err}"
    try:
        new = type(err)(msg)
        if str(new) == msg:
            return new
    except Exception:  # noqa: BLE001 - classes like UFuncTypeError need other arguments
        pass
    for cls in (TypeError, ValueError, IndexError):
        if isinstance(err, cls):
            return cls(msg)
    return err


def _names_errors(name: str) -> Any:
    """Decorator: a user's mistake that surfaces as a NumPy error (or as the error of a fluxion
    function called inside) is re-raised naming ``name``, the function the user called. Free
    when nothing is raised (a try block)."""

    def deco(fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except (TypeError, ValueError, IndexError) as err:
                if str(err).startswith((f"fluxion.numpy.{name}:", f"{name}:")):
                    raise
                raise _relabel(err, name) from err

        wrapper.__name__ = wrapper.__qualname__ = name
        wrapper.__doc__ = fn.__doc__
        wrapper.__wrapped__ = fn
        return wrapper

    return deco


def _reject_out(name: str, out: Any) -> None:
    if out is not None:
        raise TypeError(
            f"fluxion.numpy.{name}: the out= argument is not supported (fluxion arrays are "
            "values); assign the result instead: `y = np." + name + "(...)`"
        )


# --------------------------------------------------------------------------------------------
# Elementwise functions (generated: one fast wrapper per primitive)
# --------------------------------------------------------------------------------------------

_UNARY_DOC = """{summary}

Differentiable; matches ``numpy.{npname}``.

Parameters
----------
x : array_like
    Input array, any shape.

Returns
-------
Array
    Same shape as ``x``.{notes}
"""

_BINARY_DOC = """{summary}

Differentiable; matches ``numpy.{npname}`` (broadcasting and dtype promotion included).

Parameters
----------
x1, x2 : array_like
    Inputs; their shapes must broadcast together.

Returns
-------
Array
    The broadcast shape of ``x1`` and ``x2``.{notes}
"""

_NONDIFF_NOTE = """

Notes
-----
Piecewise constant or boolean-valued: its derivative is zero, and under a transform the result
is returned untraced."""


def _notes(nondiff: bool, notes: str) -> str:
    if notes:
        return "\n\nNotes\n-----\n" + notes
    return _NONDIFF_NOTE if nondiff else ""


def _make_unary(
    name: str,
    prim: core.Primitive,
    summary: str,
    nondiff: bool = False,
    notes: str = "",
    npname: str = "",
) -> Any:
    ufunc = ew.UFUNC_OF.get(prim, prim.impl)

    def fn(x: ArrayLike, /) -> Array:
        if _state.trace is None:
            return ufunc(x)
        return prim.bind(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = _UNARY_DOC.format(
        summary=summary, npname=npname or ufunc.__name__, notes=_notes(nondiff, notes)
    )
    __all__.append(name)
    return fn


def _make_binary(
    name: str, prim: core.Primitive, summary: str, nondiff: bool = False, notes: str = ""
) -> Any:
    ufunc = ew.UFUNC_OF[prim]

    def fn(x1: ArrayLike, x2: ArrayLike, /) -> Array:
        if _state.trace is None:
            try:
                return ufunc(x1, x2)
            except Exception as err:
                return core.impl_failed(prim, (x1, x2), {}, err)
        return prim.bind(x1, x2)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = _BINARY_DOC.format(
        summary=summary, npname=ufunc.__name__, notes=_notes(nondiff, notes)
    )
    __all__.append(name)
    return fn


negative = _make_unary("negative", ew.negative_p, "Numerical negative, elementwise.")
absolute = _make_unary("absolute", ew.abs_p, "Absolute value, elementwise.")
abs = _make_unary("abs", ew.abs_p, "Absolute value, elementwise.")  # noqa: A001
exp = _make_unary("exp", ew.exp_p, "Exponential, elementwise.")
exp2 = _make_unary("exp2", ew.exp2_p, "2**x, elementwise.")
expm1 = _make_unary("expm1", ew.expm1_p, "exp(x) - 1, accurate for small x.")
log = _make_unary("log", ew.log_p, "Natural logarithm, elementwise.")
log2 = _make_unary("log2", ew.log2_p, "Base-2 logarithm, elementwise.")
log10 = _make_unary("log10", ew.log10_p, "Base-10 logarithm, elementwise.")
log1p = _make_unary("log1p", ew.log1p_p, "log(1 + x), accurate for small x.")
sqrt = _make_unary("sqrt", ew.sqrt_p, "Square root, elementwise.")
cbrt = _make_unary("cbrt", ew.cbrt_p, "Cube root, elementwise.")
square = _make_unary("square", ew.square_p, "x**2, elementwise.")
reciprocal = _make_unary("reciprocal", ew.reciprocal_p, "1/x, elementwise.")
sin = _make_unary("sin", ew.sin_p, "Sine, elementwise.")
cos = _make_unary("cos", ew.cos_p, "Cosine, elementwise.")
tan = _make_unary("tan", ew.tan_p, "Tangent, elementwise.")
arcsin = _make_unary("arcsin", ew.arcsin_p, "Inverse sine, elementwise.")
arccos = _make_unary("arccos", ew.arccos_p, "Inverse cosine, elementwise.")
arctan = _make_unary("arctan", ew.arctan_p, "Inverse tangent, elementwise.")
sinh = _make_unary("sinh", ew.sinh_p, "Hyperbolic sine, elementwise.")
cosh = _make_unary("cosh", ew.cosh_p, "Hyperbolic cosine, elementwise.")
tanh = _make_unary("tanh", ew.tanh_p, "Hyperbolic tangent, elementwise.")
arcsinh = _make_unary("arcsinh", ew.arcsinh_p, "Inverse hyperbolic sine, elementwise.")
arccosh = _make_unary("arccosh", ew.arccosh_p, "Inverse hyperbolic cosine, elementwise.")
arctanh = _make_unary("arctanh", ew.arctanh_p, "Inverse hyperbolic tangent, elementwise.")
sign = _make_unary("sign", ew.sign_p, "Sign (-1, 0, 1), elementwise.", nondiff=True)
floor = _make_unary("floor", ew.floor_p, "Floor, elementwise.", nondiff=True)
ceil = _make_unary("ceil", ew.ceil_p, "Ceiling, elementwise.", nondiff=True)
trunc = _make_unary("trunc", ew.trunc_p, "Truncation toward zero.", nondiff=True)
rint = _make_unary("rint", ew.rint_p, "Round to the nearest integer.", nondiff=True)
isfinite = _make_unary("isfinite", ew.isfinite_p, "Test for finiteness.", nondiff=True)
isnan = _make_unary("isnan", ew.isnan_p, "Test for NaN.", nondiff=True)
isinf = _make_unary("isinf", ew.isinf_p, "Test for infinity.", nondiff=True)
logical_not = _make_unary("logical_not", ew.logical_not_p, "Logical NOT.", nondiff=True)
invert = _make_unary("invert", ew.invert_p, "Bitwise/logical NOT.", nondiff=True)
real = _make_unary("real", ew.real_p, "Real part.")
imag = _make_unary("imag", ew.imag_p, "Imaginary part.")
conjugate = _make_unary("conjugate", ew.conj_p, "Complex conjugate.")
conj = _make_unary("conj", ew.conj_p, "Complex conjugate.")

add = _make_binary("add", ew.add_p, "x1 + x2, elementwise.")
subtract = _make_binary("subtract", ew.subtract_p, "x1 - x2, elementwise.")
multiply = _make_binary("multiply", ew.multiply_p, "x1 * x2, elementwise.")
divide = _make_binary("divide", ew.true_divide_p, "x1 / x2, elementwise.")
true_divide = _make_binary("true_divide", ew.true_divide_p, "x1 / x2, elementwise.")
floor_divide = _make_binary(
    "floor_divide", ew.floor_divide_p, "x1 // x2, elementwise.", nondiff=True
)
power = _make_binary("power", ew.power_p, "x1 ** x2, elementwise.")
mod = _make_binary("mod", ew.mod_p, "Remainder of x1 / x2 with the sign of x2.")
remainder = _make_binary("remainder", ew.mod_p, "Remainder of x1 / x2 with the sign of x2.")
arctan2 = _make_binary("arctan2", ew.arctan2_p, "Quadrant-aware arctan(x1 / x2).")
hypot = _make_binary("hypot", ew.hypot_p, "sqrt(x1**2 + x2**2), elementwise.")
logaddexp = _make_binary("logaddexp", ew.logaddexp_p, "log(exp(x1) + exp(x2)), stably.")
logaddexp2 = _make_binary("logaddexp2", ew.logaddexp2_p, "log2(2**x1 + 2**x2), stably.")
maximum = _make_binary("maximum", ew.maximum_p, "Elementwise maximum (ties split the gradient).")
minimum = _make_binary("minimum", ew.minimum_p, "Elementwise minimum (ties split the gradient).")
copysign = _make_binary("copysign", ew.copysign_p, "Magnitude of x1 with the sign of x2.")
less = _make_binary("less", ew.less_p, "x1 < x2.", nondiff=True)
less_equal = _make_binary("less_equal", ew.less_equal_p, "x1 <= x2.", nondiff=True)
greater = _make_binary("greater", ew.greater_p, "x1 > x2.", nondiff=True)
greater_equal = _make_binary("greater_equal", ew.greater_equal_p, "x1 >= x2.", nondiff=True)
equal = _make_binary("equal", ew.equal_p, "x1 == x2.", nondiff=True)
not_equal = _make_binary("not_equal", ew.not_equal_p, "x1 != x2.", nondiff=True)
logical_and = _make_binary("logical_and", ew.logical_and_p, "Logical AND.", nondiff=True)
logical_or = _make_binary("logical_or", ew.logical_or_p, "Logical OR.", nondiff=True)
logical_xor = _make_binary("logical_xor", ew.logical_xor_p, "Logical XOR.", nondiff=True)
fmod = _make_binary(
    "fmod",
    ew.fmod_p,
    "Remainder of x1 / x2 with the sign of x1 (C's fmod), elementwise.",
    notes="The derivative is 1 in ``x1`` and ``-trunc(x1 / x2)`` in ``x2`` (away from the jumps).",
)
heaviside = _make_binary(
    "heaviside",
    ew.heaviside_p,
    "Heaviside step function: 0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0.",
    notes="Piecewise constant in ``x1`` (derivative 0, also at the jump); the derivative in\n"
    "``x2`` is 1 where ``x1 == 0``. NaN in ``x1`` gives NaN.",
)
fmax = _make_binary(
    "fmax",
    ew.fmax_p,
    "Elementwise maximum ignoring NaN: a NaN operand gives the other one.",
    notes="The derivative goes to the larger operand (split evenly on ties), or wholly to the\n"
    "non-NaN operand where the other is NaN.",
)
fmin = _make_binary(
    "fmin",
    ew.fmin_p,
    "Elementwise minimum ignoring NaN: a NaN operand gives the other one.",
    notes="The derivative goes to the smaller operand (split evenly on ties), or wholly to the\n"
    "non-NaN operand where the other is NaN.",
)
float_power = _make_binary(
    "float_power",
    ew.float_power_p,
    "x1 ** x2 computed in float64 (complex128 for complex inputs), elementwise.",
    notes="Derivatives as ``power``'s: ``x2 x1**(x2-1)`` (0 at ``0**0``) and ``x1**x2 log x1``\n"
    "(0 where ``x1 == 0``), in float64.",
)
nextafter = _make_binary(
    "nextafter",
    ew.nextafter_p,
    "The next floating-point value after x1 towards x2, elementwise.",
    notes="``nextafter(x1, x2) = x1 + e(x1) sign(x2 - x1)`` with ``e`` piecewise constant: the\n"
    "derivative is 1 in ``x1`` and 0 in ``x2``.",
)
deg2rad = _make_unary("deg2rad", ew.deg2rad_p, "Degrees to radians, x * pi / 180.")
radians = _make_unary(
    "radians", ew.deg2rad_p, "Degrees to radians, x * pi / 180.", npname="radians"
)
rad2deg = _make_unary("rad2deg", ew.rad2deg_p, "Radians to degrees, x * 180 / pi.")
degrees = _make_unary(
    "degrees", ew.rad2deg_p, "Radians to degrees, x * 180 / pi.", npname="degrees"
)
fabs = _make_unary(
    "fabs",
    ew.fabs_p,
    "Absolute value of real numbers, elementwise (complex input is a TypeError).",
    notes="The derivative is ``sign(x)``, 0 at the kink (as for ``abs``).",
)
spacing = _make_unary(
    "spacing", ew.spacing_p, "Distance to the next floating-point number.", nondiff=True
)
signbit = _make_unary("signbit", ew.signbit_p, "Whether the sign bit is set.", nondiff=True)


@_export
def positive(x: ArrayLike, /) -> Array:
    """+x (a no-op). Differentiable; matches ``numpy.positive``.

    Parameters
    ----------
    x : array_like
        Input, any shape.

    Returns
    -------
    Array
        ``x``, same shape.
    """
    return x if isinstance(x, Tracer) else np.positive(x)


@_export
def sinc(x: ArrayLike, /) -> Array:
    """Normalised sinc, sin(pi x) / (pi x), elementwise (1 at x = 0).

    Differentiable; matches ``numpy.sinc``.

    Parameters
    ----------
    x : array_like
        Input, any shape.

    Returns
    -------
    Array
        Same shape as ``x``.
    """
    from ..prims.special import sinc_p  # the special-function family loads SciPy lazily

    return sinc_p.bind(x)


@_export
def where(condition: ArrayLike, x: ArrayLike = None, y: ArrayLike = None, /) -> Array:
    """Choose elements from ``x`` where ``condition`` holds, else from ``y``.

    Differentiable in ``x`` and ``y``; matches ``numpy.where``.

    Parameters
    ----------
    condition : array_like of bool
        Selector; broadcasts with ``x`` and ``y``.
    x, y : array_like
        Values to choose from.

    Returns
    -------
    Array
        The broadcast shape of the three inputs. With only ``condition`` given, returns the
        tuple of index arrays of ``numpy.nonzero`` (not differentiable).

    Notes
    -----
    The derivative of the branch not taken is zero, but its value is still computed: guard
    the inputs of a branch that can produce inf or NaN (the "double where" trick).
    """
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("fluxion.numpy.where: expected either both x and y or neither")
    return ew.where_p.bind(condition, x, y)


@_export
def nonzero(a: ArrayLike) -> tuple:
    """Indices of the non-zero elements (not differentiable). Matches ``numpy.nonzero``.

    Parameters
    ----------
    a : array_like
        Input, any shape.

    Returns
    -------
    tuple of ndarray
        One int array per dimension of ``a``.
    """
    value = core.find_primal(a)
    if np.ndim(value) == 0:
        raise ValueError(
            "fluxion.numpy.nonzero: expected an array of at least 1 dimension, got a 0-d "
            "value; use nonzero(atleast_1d(a))"
        )
    return np.nonzero(value)


@_export
def clip(a: ArrayLike, a_min: ArrayLike = None, a_max: ArrayLike = None, out: Any = None) -> Array:
    """Limit values to ``[a_min, a_max]``. Differentiable; matches ``numpy.clip``.

    Parameters
    ----------
    a : array_like
        Input.
    a_min, a_max : array_like or None
        Bounds (broadcast with ``a``); ``None`` for no bound on that side.

    Returns
    -------
    Array
        The broadcast shape of the inputs.

    Notes
    -----
    The derivative with respect to ``a`` is 1 inside the closed interval and 0 outside; the
    bound that is active receives the derivative instead.
    """
    _reject_out("clip", out)
    if a_min is None and a_max is None:
        raise ValueError("fluxion.numpy.clip: expected at least one of a_min or a_max, got None")
    out_ = a
    if a_min is not None:
        out_ = ew.where_p.bind(less(out_, a_min), a_min, out_)
    if a_max is not None:
        out_ = ew.where_p.bind(greater(out_, a_max), a_max, out_)
    return out_


@_export
def round(a: ArrayLike, decimals: int = 0, out: Any = None) -> Array:  # noqa: A001
    """Round to ``decimals`` places. Zero derivative; matches ``numpy.round``.

    Parameters
    ----------
    a : array_like
        Input.
    decimals : int, optional
        Number of decimal places.

    Returns
    -------
    Array
        Same shape as ``a``.
    """
    _reject_out("round", out)
    return ew.round_p.bind(a, decimals=int(decimals))


around = round
__all__.append("around")


@_export
def astype(x: ArrayLike, dtype: Any, /, *, copy: bool = True) -> Array:
    """Cast to ``dtype``. Differentiable between float and complex dtypes.

    Parameters
    ----------
    x : array_like
        Input, any shape.
    dtype : dtype
        Target dtype. Casting to an integer or boolean dtype gives no derivative.

    Returns
    -------
    Array
        Same shape as ``x``.
    """
    return ew.convert_element_type(x, dtype)


@_export
def stop_gradient(x: ArrayLike) -> Array:
    """The identity with a zero derivative.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    Array
        ``x``'s value, treated as a constant by every transform.
    """
    return ew.stop_gradient_p.bind(x)


@_export
def copy(a: ArrayLike) -> Array:
    """A copy of ``a``. Differentiable; matches ``numpy.copy``.

    Parameters
    ----------
    a : array_like
        Any shape.

    Returns
    -------
    Array
        Same shape and dtype.
    """
    return ew.copy_p.bind(a)


# --------------------------------------------------------------------------------------------
# Array creation and conversion
# --------------------------------------------------------------------------------------------


def _contains_tracer(obj: Any) -> bool:
    """Whether ``obj`` (nested lists/tuples) holds a tracer or a device array: numpy.asarray
    cannot build the result then (it would drop the derivative, or refuses the device array);
    stacking does."""
    if isinstance(obj, Tracer) or is_device_array(obj):
        return True
    if isinstance(obj, list | tuple):
        return builtins.any(_contains_tracer(o) for o in obj)
    return False


@_export
def asarray(a: Any, dtype: Any = None, order: Any = None) -> Array:
    """Convert to an array; traced values stay traced. Matches ``numpy.asarray``.

    Parameters
    ----------
    a : array_like
        An array, a traced value, a scalar, or nested lists/tuples of those (traced elements
        are stacked, differentiably).
    dtype : dtype, optional
        Cast to this dtype.

    Returns
    -------
    Array
        The array, shape inferred from ``a``.
    """
    if isinstance(a, Tracer) or is_device_array(a):
        return a if dtype is None or np.dtype(dtype) == a.dtype else astype(a, dtype)
    if isinstance(a, list | tuple) and _contains_tracer(a):
        try:
            out = stack([asarray(x) for x in a])
        except ValueError as err:  # ragged: name the function the user called
            raise _relabel(err, "asarray") from err
        return out if dtype is None else astype(out, dtype)
    try:
        arr = np.asarray(a, dtype=dtype, order=order)
    except (TypeError, ValueError) as err:  # ragged lists, bad dtypes: NumPy's message, named
        raise _relabel(err, "asarray") from err
    if _state.trace is not None:
        return _staged_constant(arr)
    return arr


def _staged_constant(arr: np.ndarray) -> Any:
    """Under jit, a constant as a staged value (like jnp.asarray): it can then be indexed by
    traced integer arrays, which a plain NumPy array cannot."""
    t = _state.trace
    while t is not None:
        if type(t) is StagingTrace:
            return StagingTracer(t, Lit(arr))
        t = t.parent
    return arr


@_export
def array(obj: Any, dtype: Any = None, copy: bool = True, ndmin: int = 0) -> Array:
    """Create an array; traced values stay traced. Matches ``numpy.array``.

    Parameters
    ----------
    obj : array_like
        As for :func:`asarray`.
    dtype : dtype, optional
        Cast to this dtype.
    copy : bool, optional
        Copy a NumPy input (traced values are immutable, never copied).
    ndmin : int, optional
        Minimum number of dimensions (ones are prepended).

    Returns
    -------
    Array
    """
    if (
        isinstance(obj, Tracer)
        or is_device_array(obj)
        or (isinstance(obj, list | tuple) and _contains_tracer(obj))
    ):
        try:
            out = asarray(obj, dtype)
        except ValueError as err:
            raise _relabel(err, "array") from err
        if out is obj and copy:
            # a new value, like numpy.array: item assignment (y[i] = v rebinds the tracer) or
            # an in-place mutator on the result must not change the caller's obj
            out = ew.copy_p.bind(out)
        while _ndim(out) < ndmin:
            out = expand_dims(out, 0)
        return out
    try:
        out = np.array(obj, dtype=dtype, copy=copy, ndmin=ndmin)
    except (TypeError, ValueError) as err:  # ragged lists, bad dtypes: NumPy's message, named
        raise _relabel(err, "array") from err
    return out if isinstance(obj, np.ndarray) and not copy else _assignable(out)


def _like(a: Any, dtype: Any, shape: Any, name: str) -> tuple[tuple[int, ...], Any]:
    shape = shape_of(a) if shape is None else (shape if isinstance(shape, tuple) else (shape,))
    if builtins.any(not isinstance(d, int | np.integer) or d < 0 for d in shape):
        raise ValueError(
            f"fluxion.numpy.{name}: expected a shape of non-negative ints, got {shape!r}"
        )
    if dtype is None:  # never np.asarray a tracer (getattr's default is evaluated eagerly)
        dtype = getattr(a, "dtype", None)
        dtype = dtype if dtype is not None else np.asarray(a).dtype
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"fluxion.numpy.{name}: expected a dtype, got {dtype!r}") from None
    return shape, dtype


@_export
def zeros_like(a: ArrayLike, dtype: Any = None, shape: Any = None) -> Array:
    """Zeros with the shape and dtype of ``a`` (a constant: no derivative).

    Parameters
    ----------
    a : array_like
        Template array (may be traced).
    dtype : dtype, optional
        Override the dtype.
    shape : int or tuple of int, optional
        Override the shape.

    Returns
    -------
    Array
        A plain ndarray outside transforms; inside one (floating dtypes) a value that
        accepts traced values by item assignment, like :func:`zeros`.
    """
    shape, dtype = _like(a, dtype, shape, "zeros_like")
    return _assignable(namespace_of(a).zeros(shape, dtype))  # on a's device, as numpy's


@_export
def ones_like(a: ArrayLike, dtype: Any = None, shape: Any = None) -> Array:
    """Ones with the shape and dtype of ``a`` (a constant: no derivative).

    Parameters
    ----------
    a : array_like
        Template array (may be traced).
    dtype : dtype, optional
        Override the dtype.
    shape : int or tuple of int, optional
        Override the shape.

    Returns
    -------
    Array
        A plain ndarray outside transforms; inside one (floating dtypes) a value that
        accepts traced values by item assignment, like :func:`zeros`.
    """
    shape, dtype = _like(a, dtype, shape, "ones_like")
    return _assignable(namespace_of(a).ones(shape, dtype))  # on a's device, as numpy's


@_export
def full_like(a: ArrayLike, fill_value: ArrayLike, dtype: Any = None, shape: Any = None) -> Array:
    """An array shaped like ``a`` filled with ``fill_value`` (differentiable in the fill value).

    Parameters
    ----------
    a : array_like
        Template array.
    fill_value : array_like
        Scalar (or broadcastable) fill value; may be traced.
    dtype : dtype, optional
        Override the dtype.
    shape : int or tuple of int, optional
        Override the shape.

    Returns
    -------
    Array
    """
    shape, dtype = _like(a, dtype, shape, "full_like")
    if isinstance(fill_value, Tracer):
        return broadcast_to(astype(fill_value, dtype), shape)
    return _assignable(namespace_of(a, fill_value).full(shape, fill_value, dtype))


@_export
def linspace(
    start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True, dtype: Any = None
) -> Array:
    """Evenly spaced numbers over an interval; differentiable in ``start`` and ``stop``.

    Parameters
    ----------
    start, stop : array_like
        Scalar end points (may be traced).
    num : int, optional
        Number of samples.
    endpoint : bool, optional
        Include ``stop``.
    dtype : dtype, optional
        Output dtype.

    Returns
    -------
    Array, shape ``(num,)``
    """
    if not _is_traced(start, stop):
        return np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype)
    unit = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    out = add(start, multiply(subtract(stop, start), unit))
    return out if dtype is None else astype(out, dtype)


def _scalar_ends(name: str, axis: int, *ends: Any) -> None:
    for x in ends:
        if _ndim(x) != 0:
            raise NotImplementedError(
                f"{name}: traced end points must be scalars, got shape {shape_of(x)}; build "
                "the array with fnp.stack over scalar calls"
            )
    if axis != 0:
        raise NotImplementedError(f"{name}: axis must be 0 for scalar end points, got {axis}")


@_export
def logspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = 50,
    endpoint: bool = True,
    base: ArrayLike = 10.0,
    dtype: Any = None,
    axis: int = 0,
) -> Array:
    """Numbers spaced evenly on a log scale, ``base ** linspace(start, stop, num)``.

    Differentiable in ``start``, ``stop`` and ``base``; matches ``numpy.logspace``.

    Parameters
    ----------
    start, stop : array_like
        Scalar exponents of the end points (may be traced).
    num : int, optional
        Number of samples.
    endpoint : bool, optional
        Include ``base ** stop``.
    base : array_like, optional
        Scalar base of the log space.
    dtype : dtype, optional
        Output dtype.
    axis : int, optional
        Must be 0 when anything is traced.

    Returns
    -------
    Array, shape ``(num,)``
    """
    if not _is_traced(start, stop, base):
        try:
            return np.logspace(start, stop, num, endpoint=endpoint, base=base, dtype=dtype,
                               axis=axis)
        except (TypeError, ValueError) as err:  # name the function, not NumPy's internals
            raise type(err)(f"fluxion.numpy.logspace: {err}") from None
    _scalar_ends("logspace", axis, start, stop, base)
    out = power(base, linspace(start, stop, num, endpoint=endpoint))
    return out if dtype is None else astype(out, dtype)


def _check_geomspace_ends(start: Any, stop: Any) -> None:
    """Traced end points that are concrete (under grad/jvp/vjp) must be nonzero and of one sign:
    the log-space formula would otherwise give a silent NaN (NumPy raises for zero)."""
    ends = []
    for x in (start, stop):
        while isinstance(x, Tracer):
            try:
                x = x.primal_value()
            except (NotImplementedError, core.ConcretizationError):  # staged or batched
                return
        ends.append(float(np.asarray(x)))
    if ends[0] == 0.0 or ends[1] == 0.0:
        raise ValueError(f"fluxion.numpy.geomspace: geometric sequence cannot include zero, "
                         f"got start={ends[0]}, stop={ends[1]}")
    if (ends[0] > 0) != (ends[1] > 0):
        raise NotImplementedError(
            "fluxion.numpy.geomspace: traced end points of opposite signs are not supported "
            f"(the series would be complex), got start={ends[0]}, stop={ends[1]}"
        )


@_export
@_names_errors("geomspace")
def geomspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = 50,
    endpoint: bool = True,
    dtype: Any = None,
    axis: int = 0,
) -> Array:
    """Numbers spaced evenly on a log scale between ``start`` and ``stop`` (a geometric series).

    Differentiable in ``start`` and ``stop``; matches ``numpy.geomspace`` for real end points
    of the same sign (both negative gives the negated series).

    Parameters
    ----------
    start, stop : array_like
        Real, nonzero scalar end points of the same sign (may be traced).
    num : int, optional
        Number of samples.
    endpoint : bool, optional
        Include ``stop``.
    dtype : dtype, optional
        Output dtype.
    axis : int, optional
        Must be 0 when anything is traced.

    Returns
    -------
    Array, shape ``(num,)``
    """
    if not _is_traced(start, stop):
        return np.geomspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    _scalar_ends("geomspace", axis, start, stop)
    if iscomplexobj(start) or iscomplexobj(stop):
        raise NotImplementedError("geomspace: complex traced end points are not supported")
    _check_geomspace_ends(start, stop)
    s = sign(stop)  # the same sign as start for a valid series
    out = multiply(
        s, exp(linspace(log(multiply(s, start)), log(multiply(s, stop)), num, endpoint=endpoint))
    )
    return out if dtype is None else astype(out, dtype)


@_export
@_names_errors("full")
def full(shape: Any, fill_value: ArrayLike, dtype: Any = None, order: str = "C") -> Array:
    """An array of shape ``shape`` filled with ``fill_value``; differentiable in the fill value.

    Parameters
    ----------
    shape : int or tuple of int
        Output shape.
    fill_value : array_like
        Scalar (or broadcastable) fill value; may be traced.
    dtype : dtype, optional
        Output dtype (default: the fill value's).
    order : {"C", "F"}, optional
        Memory layout of the untraced result.

    Returns
    -------
    Array, shape ``shape``
    """
    if not isinstance(fill_value, Tracer):
        return _assignable(np.full(shape, fill_value, dtype, order=order))
    shape = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    value = fill_value if dtype is None else astype(fill_value, dtype)
    return broadcast_to(value, shape)


@_export
@_names_errors("empty_like")
def empty_like(
    prototype: ArrayLike, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None
) -> Array:
    """An uninitialised (here: zero) array shaped like ``prototype``; carries no derivative.

    Parameters
    ----------
    prototype : array_like
        Template array (may be traced: only its shape and dtype are used).
    dtype : dtype, optional
        Override the dtype.
    shape : int or tuple of int, optional
        Override the shape.

    Returns
    -------
    Array
        A plain ndarray outside transforms; inside one (floating dtypes) a value that
        accepts traced values by item assignment, like :func:`zeros`.
    """
    if _state.trace is None:
        return np.empty_like(prototype, dtype=dtype, order=order, subok=subok, shape=shape)
    shape, dtype = _like(prototype, dtype, shape, "empty_like")
    return _assignable(np.zeros(shape, dtype))


@_export
def meshgrid(*xi: ArrayLike, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> Any:
    """Coordinate matrices from coordinate vectors; differentiable. Matches ``numpy.meshgrid``.

    Parameters
    ----------
    *xi : array_like
        ``n`` coordinate vectors (flattened), lengths ``N1, ..., Nn``; may be traced.
    copy : bool, optional
        Ignored for traced inputs (the outputs are fresh values).
    sparse : bool, optional
        Return arrays with size-1 axes instead of full grids.
    indexing : {"xy", "ij"}, optional
        Cartesian (first two axes swapped) or matrix indexing.

    Returns
    -------
    tuple of Array
        Each of shape ``(N2, N1, N3, ...)`` for ``"xy"`` or ``(N1, N2, ...)`` for ``"ij"``.
    """
    if indexing not in ("xy", "ij"):  # checked first, so plain inputs get this message too
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    if not _is_traced(*xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    n = len(xi)
    vecs = [ravel(x) for x in xi]
    sizes = [shape_of(v)[0] for v in vecs]
    if indexing == "xy" and n > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    outs = []
    for i, v in enumerate(vecs):
        axis = i
        if indexing == "xy" and n > 1 and i < 2:
            axis = 1 - i
        one = [1] * n
        one[axis] = shape_of(v)[0]
        out = reshape(v, tuple(one))
        outs.append(out if sparse else broadcast_to(out, tuple(sizes)))
    return tuple(outs)


def _assignable(arr: np.ndarray) -> Any:
    """A fresh floating (or complex) array as a tracer of the innermost active transform, so
    that ``y[i] = v`` with a traced ``v`` rebinds ``y`` functionally (derivatives flow); outside
    every transform, and for integer or boolean arrays, the plain ndarray itself."""
    t = _state.trace
    if t is None or arr.dtype.kind not in "fc":
        return arr
    return t.lift(arr)


@_export
def zeros(shape: Any, dtype: Any = float, order: str = "C") -> Array:
    """An array of zeros. Matches ``numpy.zeros``.

    Inside a transform a floating result accepts traced values by item assignment
    (``y[i] = v``, ``y[mask] = v``, ``y[i] += v``); derivatives flow through them.

    Parameters
    ----------
    shape : int or tuple of int
        Output shape.
    dtype : dtype, optional
        Output dtype (default float64).
    order : {"C", "F"}, optional
        Memory layout.

    Returns
    -------
    Array, shape ``shape``
    """
    return _assignable(np.zeros(shape, dtype, order=order))


@_export
def ones(shape: Any, dtype: Any = None, order: str = "C") -> Array:
    """An array of ones. Matches ``numpy.ones``; assignable inside transforms like :func:`zeros`.

    Parameters
    ----------
    shape : int or tuple of int
        Output shape.
    dtype : dtype, optional
        Output dtype (default float64).
    order : {"C", "F"}, optional
        Memory layout.

    Returns
    -------
    Array, shape ``shape``
    """
    return _assignable(np.ones(shape, dtype, order=order))


@_export
def empty(shape: Any, dtype: Any = float, order: str = "C") -> Array:
    """An uninitialised array. Matches ``numpy.empty``.

    Inside a transform the array is zero-filled (so no garbage reaches a derivative) and
    assignable like :func:`zeros`.

    Parameters
    ----------
    shape : int or tuple of int
        Output shape.
    dtype : dtype, optional
        Output dtype (default float64).
    order : {"C", "F"}, optional
        Memory layout.

    Returns
    -------
    Array, shape ``shape``
    """
    if _state.trace is None:
        return np.empty(shape, dtype, order=order)
    return _assignable(np.zeros(shape, dtype, order=order))


for _name in (
    "arange",
    "eye",
    "identity",
    "tri",
    "indices",
):
    globals()[_name] = getattr(np, _name)
    __all__.append(_name)

for _name in (
    "pi",
    "e",
    "inf",
    "nan",
    "newaxis",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool_",
    "dtype",
    "ndarray",
    "finfo",
    "iinfo",
    "promote_types",
    "isscalar",
):
    globals()[_name] = getattr(np, _name)
    __all__.append(_name)


def _dtype_of_tracer(x: Any) -> Any:
    # NumPy's dtype functions dispatch tracers back here: hand them the tracer's dtype
    return x.dtype if isinstance(x, Tracer) else x


@_export
def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """The dtype NumPy's promotion gives these arrays and dtypes (tracers included).

    Matches ``numpy.result_type``.
    """
    return np.result_type(*(_dtype_of_tracer(x) for x in arrays_and_dtypes))


@_export
def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """Whether a cast can occur under the casting rule (tracers included).

    Matches ``numpy.can_cast``.
    """
    return np.can_cast(_dtype_of_tracer(from_), to, casting)


@_export
def shape(a: ArrayLike) -> tuple[int, ...]:
    """The shape of ``a`` (traced or not). Matches ``numpy.shape``."""
    return shape_of(a)


@_export
def ndim(a: ArrayLike) -> int:
    """The number of dimensions of ``a``. Matches ``numpy.ndim``."""
    return _ndim(a)


@_export
def size(a: ArrayLike, axis: int | None = None) -> int:
    """The number of elements of ``a`` (along ``axis``). Matches ``numpy.size``."""
    s = shape_of(a)
    if axis is None:
        return int(np.prod(s, dtype=np.int64))
    return s[normalize_axis(axis, len(s), "size")]


@_export
def iscomplexobj(x: ArrayLike) -> bool:
    """True if ``x`` has a complex dtype. Matches ``numpy.iscomplexobj``."""
    dtype = getattr(x, "dtype", None)  # never np.asarray a tracer
    return np.dtype(dtype if dtype is not None else np.asarray(x).dtype).kind == "c"


# --------------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------------


def _holds_tracer(a: Any) -> bool:
    if isinstance(a, Tracer):
        return True
    return isinstance(a, list | tuple) and builtins.any(_holds_tracer(x) for x in a)


def seq_as_array(a: Any) -> Any:
    """A list or tuple holding traced values as one traced array (as autograd accepts them).

    Anything else is returned unchanged, so the reductions' eager NumPy path stays as it was.
    """
    if isinstance(a, list | tuple) and _holds_tracer(a):
        return array(a)
    return a


def _reduce(name: str, prim: core.Primitive, a: Any, axis: Any, keepdims: bool) -> Array:
    nd = _ndim(a)
    axes = normalize_axes(axis, nd, name)
    out = prim.bind(a, axes=axes)
    if keepdims:
        out = sh.reshape(out, rd.keepdims_shape(shape_of(a), axes))
    return out


@_export
def sum(  # noqa: A001
    a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Array:
    """Sum of elements over ``axis``. Differentiable; matches ``numpy.sum``.

    Parameters
    ----------
    a : array_like
        Input, shape ``(d0, ..., dn)``.
    axis : None, int or tuple of int, optional
        Axes to sum over (default all).
    dtype : dtype, optional
        Accumulate in this dtype.
    keepdims : bool, optional
        Keep the reduced axes with size 1.

    Returns
    -------
    Array
        ``a``'s shape without the reduced axes (with size-1 axes if ``keepdims``).
    """
    _reject_out("sum", out)
    a = seq_as_array(a)
    if _state.trace is None:
        return np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    if dtype is not None:
        a = astype(a, dtype)
    return _reduce("sum", rd.sum_p, a, axis, keepdims)


@_export
def prod(
    a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Array:
    """Product of elements over ``axis``. Differentiable (exact with zeros); matches ``numpy.prod``.

    Parameters
    ----------
    a : array_like
        Input.
    axis : None, int or tuple of int, optional
        Axes to multiply over (default all).
    dtype : dtype, optional
        Accumulate in this dtype.
    keepdims : bool, optional
        Keep the reduced axes with size 1.

    Returns
    -------
    Array
        ``a``'s shape without the reduced axes.
    """
    _reject_out("prod", out)
    a = seq_as_array(a)
    if _state.trace is None:
        return np.prod(a, axis=axis, dtype=dtype, keepdims=keepdims)
    if dtype is not None:
        a = astype(a, dtype)
    return _reduce("prod", rd.prod_p, a, axis, keepdims)


@_export
def max(a: ArrayLike, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Maximum over ``axis``; ties share the derivative evenly. Matches ``numpy.max``.

    Parameters
    ----------
    a : array_like
        Input (non-empty along the reduced axes).
    axis : None, int or tuple of int, optional
        Axes to reduce (default all).
    keepdims : bool, optional
        Keep the reduced axes with size 1.

    Returns
    -------
    Array
        ``a``'s shape without the reduced axes.
    """
    _reject_out("max", out)
    a = seq_as_array(a)
    if _state.trace is None:
        return np.max(a, axis=axis, keepdims=keepdims)
    return _reduce("max", rd.max_p, a, axis, keepdims)


@_export
def min(a: ArrayLike, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Minimum over ``axis``; ties share the derivative evenly. Matches ``numpy.min``.

    Parameters
    ----------
    a : array_like
        Input (non-empty along the reduced axes).
    axis : None, int or tuple of int, optional
        Axes to reduce (default all).
    keepdims : bool, optional
        Keep the reduced axes with size 1.

    Returns
    -------
    Array
        ``a``'s shape without the reduced axes.
    """
    _reject_out("min", out)
    a = seq_as_array(a)
    if _state.trace is None:
        return np.min(a, axis=axis, keepdims=keepdims)
    return _reduce("min", rd.min_p, a, axis, keepdims)


# NumPy's aliases, reporting errors under their own names (fnp.amin(x, axis=2) names amin)
amax = _names_errors("amax")(max)
amin = _names_errors("amin")(min)
__all__ += ["amax", "amin"]


@_export
def all(a: ArrayLike, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """True where all elements along ``axis`` are true. Matches ``numpy.all``.

    Parameters
    ----------
    a : array_like
    axis : None, int or tuple of int, optional
    keepdims : bool, optional

    Returns
    -------
    Array of bool
    """
    _reject_out("all", out)
    return _reduce("all", rd.all_p, a, axis, keepdims)


@_export
def any(a: ArrayLike, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """True where any element along ``axis`` is true. Matches ``numpy.any``.

    Parameters
    ----------
    a : array_like
    axis : None, int or tuple of int, optional
    keepdims : bool, optional

    Returns
    -------
    Array of bool
    """
    _reject_out("any", out)
    return _reduce("any", rd.any_p, a, axis, keepdims)


def _argext(name: str, prim: core.Primitive, a: Any, axis: Any, keepdims: bool) -> Array:
    if axis is not None:
        axis = normalize_axis(axis, _ndim(a), name)
    return prim.bind(a, axis=axis, keepdims=bool(keepdims))


@_export
def argmax(
    a: ArrayLike, axis: int | None = None, out: Any = None, *, keepdims: bool = False
) -> Array:
    """Index of the maximum (not differentiable). Matches ``numpy.argmax``.

    Parameters
    ----------
    a : array_like
    axis : int, optional
        Default: over the flattened array.
    keepdims : bool, optional

    Returns
    -------
    ndarray of int64
    """
    _reject_out("argmax", out)
    return _argext("argmax", rd.argmax_p, a, axis, keepdims)


@_export
def argmin(
    a: ArrayLike, axis: int | None = None, out: Any = None, *, keepdims: bool = False
) -> Array:
    """Index of the minimum (not differentiable). Matches ``numpy.argmin``.

    Parameters
    ----------
    a : array_like
    axis : int, optional
        Default: over the flattened array.
    keepdims : bool, optional

    Returns
    -------
    ndarray of int64
    """
    _reject_out("argmin", out)
    return _argext("argmin", rd.argmin_p, a, axis, keepdims)


def _count(a: Any, axis: Any) -> int:
    s = shape_of(a)
    axes = normalize_axes(axis, len(s), "mean")
    return int(np.prod([s[i] for i in axes], dtype=np.int64))


@_export
def mean(
    a: ArrayLike, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Array:
    """Arithmetic mean over ``axis``. Differentiable; matches ``numpy.mean``.

    Parameters
    ----------
    a : array_like
        Input.
    axis : None, int or tuple of int, optional
        Axes to average over (default all).
    dtype : dtype, optional
        Compute in this dtype.
    keepdims : bool, optional
        Keep the reduced axes with size 1.

    Returns
    -------
    Array
        ``a``'s shape without the reduced axes; integer inputs give float64.
    """
    _reject_out("mean", out)
    a = seq_as_array(a)
    if _state.trace is None:
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    normalize_axes(axis, len(shape_of(a)), "mean")  # the error names mean, not sum
    total = sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return divide(total, _count(a, axis))


@_export
def var(
    a: ArrayLike,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Array:
    """Variance over ``axis`` (``ddof`` delta degrees of freedom). Matches ``numpy.var``.

    Parameters
    ----------
    a : array_like
        Input.
    axis : None, int or tuple of int, optional
        Axes to reduce (default all).
    dtype : dtype, optional
        Compute in this dtype.
    ddof : int, optional
        The divisor is ``N - ddof``.
    keepdims : bool, optional
        Keep the reduced axes with size 1.

    Returns
    -------
    Array
        ``a``'s shape without the reduced axes.

    Notes
    -----
    When ``N - ddof <= 0`` the value is NumPy's (``nan`` or ``inf``, a division by zero) and
    the derivative is taken as zero rather than NaN: the function has no derivative there.
    """
    _reject_out("var", out)
    a = seq_as_array(a)
    if _state.trace is None:
        return np.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    normalize_axes(axis, len(shape_of(a)), "var")  # the error names var, not sum
    centered = subtract(a, mean(a, axis=axis, dtype=dtype, keepdims=True))
    if iscomplexobj(centered):
        sq = real(multiply(centered, conj(centered)))
    else:
        sq = square(centered)
    total = sum(sq, axis=axis, keepdims=keepdims)
    dof = _count(a, axis) - ddof
    if dof <= 0:
        # NumPy's value (nan or inf, 0/0 or x/0) with a zero derivative instead of NaN
        with np.errstate(divide="ignore", invalid="ignore"):
            return stop_gradient(divide(total, float(dof)))
    return divide(total, dof)


@_export
def std(
    a: ArrayLike,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Array:
    """Standard deviation over ``axis``. Differentiable; matches ``numpy.std``.

    Parameters
    ----------
    a : array_like
        Input.
    axis : None, int or tuple of int, optional
        Axes to reduce (default all).
    dtype : dtype, optional
        Compute in this dtype.
    ddof : int, optional
        The divisor is ``N - ddof``.
    keepdims : bool, optional
        Keep the reduced axes with size 1.

    Returns
    -------
    Array
        ``a``'s shape without the reduced axes.

    Notes
    -----
    Where the standard deviation is zero (one element, or all elements equal) the derivative
    of the square root is taken as zero: zero is a subgradient there (the standard deviation
    is smallest at a constant input), as autograd and JAX users expect, instead of the
    ``inf * 0 = NaN`` of the chain rule. Elsewhere the derivative is exact. With
    ``N - ddof <= 0`` see :func:`var`.
    """
    _reject_out("std", out)
    a = seq_as_array(a)
    if _state.trace is None:
        return np.std(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    normalize_axes(axis, len(shape_of(a)), "std")  # the error names std, not sum
    v = var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    # sqrt with a safe derivative at 0: neither branch of the select differentiates sqrt at 0
    positive = greater(v, 0.0)
    return where(positive, sqrt(where(positive, v, 1.0)), multiply(v, 0.0))


def _scan(name: str, fn: Any, a: Any, axis: Any, dtype: Any) -> Array:
    if dtype is not None:
        a = astype(a, dtype)
    if axis is None:
        a = ravel(a)
        axis = 0
    return fn(a, normalize_axis(axis, _ndim(a), name))


@_export
def cumsum(a: ArrayLike, axis: int | None = None, dtype: Any = None, out: Any = None) -> Array:
    """Cumulative sum along ``axis``. Differentiable; matches ``numpy.cumsum``.

    Parameters
    ----------
    a : array_like
        Input.
    axis : int, optional
        Default: over the flattened array.
    dtype : dtype, optional
        Accumulate in this dtype.

    Returns
    -------
    Array
        Same shape as ``a`` (1-D if ``axis`` is None).
    """
    _reject_out("cumsum", out)
    return _scan("cumsum", rd.cumsum, a, axis, dtype)


@_export
def cumprod(a: ArrayLike, axis: int | None = None, dtype: Any = None, out: Any = None) -> Array:
    """Cumulative product along ``axis``. Differentiable; matches ``numpy.cumprod``.

    Parameters
    ----------
    a : array_like
        Input.
    axis : int, optional
        Default: over the flattened array.
    dtype : dtype, optional
        Accumulate in this dtype.

    Returns
    -------
    Array
        Same shape as ``a`` (1-D if ``axis`` is None).

    Notes
    -----
    The derivative is exact even where ``a`` has zeros; it costs O(n^2) in the length of the
    scanned axis.
    """
    _reject_out("cumprod", out)
    return _scan("cumprod", rd.cumprod, a, axis, dtype)


# --------------------------------------------------------------------------------------------
# Shape manipulation
# --------------------------------------------------------------------------------------------


def _resolve_shape(size: int, newshape: Any, op: str = "reshape") -> tuple[int, ...]:
    if isinstance(newshape, int | np.integer):
        newshape = (int(newshape),)
    newshape = tuple(int(d) for d in newshape)
    unknown = [i for i, d in enumerate(newshape) if d == -1]
    if len(unknown) > 1:
        raise ValueError(f"{op}: can only specify one unknown dimension (-1), got {newshape}")
    if unknown:
        known = int(np.prod([d for d in newshape if d != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ValueError(f"{op}: cannot reshape an array of size {size} into shape {newshape}")
        newshape = tuple(size // known if d == -1 else d for d in newshape)
    return newshape


@_export
def reshape(a: ArrayLike, newshape: Any = None, order: str = "C", *, shape: Any = None) -> Array:
    """Give a new shape without changing the data. Differentiable; matches ``numpy.reshape``.

    Parameters
    ----------
    a : array_like
        Input.
    newshape, shape : int or tuple of int
        The new shape; one entry may be -1.
    order : {'C', 'F'}, optional
        Index order.

    Returns
    -------
    Array
        Shape ``newshape``.
    """
    newshape = shape if shape is not None else newshape
    if newshape is None:
        raise TypeError("fluxion.numpy.reshape: expected a shape, got none")
    s = shape_of(a)
    target = _resolve_shape(int(np.prod(s, dtype=np.int64)), newshape)
    if order == "F":
        flipped = sh.reshape(transpose(a), tuple(reversed(target)))
        return transpose(flipped)
    if order != "C":
        raise ValueError(f"fluxion.numpy.reshape: expected order 'C' or 'F', got {order!r}")
    if target == s:
        return a
    return sh.reshape(a, target)


@_export
def ravel(a: ArrayLike, order: str = "C") -> Array:
    """Flatten to 1-D. Differentiable; matches ``numpy.ravel``.

    Parameters
    ----------
    a : array_like
    order : {'C', 'F'}, optional

    Returns
    -------
    Array, shape ``(a.size,)``
    """
    return reshape(a, (-1,), order=order)


@_export
def transpose(a: ArrayLike, axes: Any = None) -> Array:
    """Permute the axes (reverse them by default). Differentiable; matches ``numpy.transpose``.

    Parameters
    ----------
    a : array_like
    axes : tuple of int, optional
        The permutation.

    Returns
    -------
    Array
        ``a``'s shape permuted.
    """
    nd = _ndim(a)
    if axes is None:
        axes = tuple(range(nd))[::-1]
    else:
        axes = tuple(normalize_axis(x, nd, "transpose") for x in axes)
    if axes == tuple(range(nd)):
        return a
    return sh.transpose(a, axes)


@_export
def swapaxes(a: ArrayLike, axis1: int, axis2: int) -> Array:
    """Interchange two axes. Differentiable; matches ``numpy.swapaxes``."""
    nd = _ndim(a)
    perm = list(range(nd))
    i, j = normalize_axis(axis1, nd, "swapaxes"), normalize_axis(axis2, nd, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


@_export
def moveaxis(a: ArrayLike, source: Any, destination: Any) -> Array:
    """Move axes to new positions. Differentiable; matches ``numpy.moveaxis``."""
    nd = _ndim(a)
    src = (
        normalize_axes(source, nd, "moveaxis")
        if not isinstance(source, int)
        else (normalize_axis(source, nd, "moveaxis"),)
    )
    if isinstance(source, Sequence):
        src = tuple(normalize_axis(s, nd, "moveaxis") for s in source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    dst = tuple(normalize_axis(d, nd, "moveaxis") for d in dst)
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


@_export
def broadcast_to(array: ArrayLike, shape: Any) -> Array:
    """Broadcast to ``shape``. Differentiable; matches ``numpy.broadcast_to``.

    Parameters
    ----------
    array : array_like
    shape : int or tuple of int

    Returns
    -------
    Array, shape ``shape``
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if shape_of(array) == shape:
        return array
    return sh.broadcast_to(array, shape)


@_export
def broadcast_arrays(*args: ArrayLike) -> list:
    """Broadcast arrays against each other. Differentiable; matches ``numpy.broadcast_arrays``."""
    target = np.broadcast_shapes(*(shape_of(a) for a in args))
    return [broadcast_to(a, target) for a in args]


@_export
def expand_dims(a: ArrayLike, axis: Any) -> Array:
    """Insert size-1 axes at ``axis``. Differentiable; matches ``numpy.expand_dims``."""
    s = shape_of(a)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = len(s) + len(axes)
    axes = sorted(normalize_axis(x, nd, "expand_dims") for x in axes)
    out = list(s)
    for x in axes:
        out.insert(x, 1)
    return sh.reshape(a, tuple(out))


@_export
def squeeze(a: ArrayLike, axis: Any = None) -> Array:
    """Remove size-1 axes. Differentiable; matches ``numpy.squeeze``."""
    s = shape_of(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(s) if d == 1)
    else:
        axes = normalize_axes(axis, len(s), "squeeze")
        for x in axes:
            if s[x] != 1:
                raise ValueError(
                    f"fluxion.numpy.squeeze: cannot select an axis to squeeze out which has "
                    f"size not equal to one (axis {x} of shape {s})"
                )
    return sh.reshape(a, tuple(d for i, d in enumerate(s) if i not in axes))


@_export
@_names_errors("atleast_1d")
def atleast_1d(*arys: ArrayLike) -> Any:
    """View inputs as arrays with at least one dimension. Matches ``numpy.atleast_1d``."""
    res = [reshape(asarray(a), (1,)) if _ndim(a) == 0 else asarray(a) for a in arys]
    return res[0] if len(res) == 1 else res


@_export
def atleast_2d(*arys: ArrayLike) -> Any:
    """View inputs as arrays with at least two dimensions. Matches ``numpy.atleast_2d``."""
    res = []
    for a in arys:
        a = asarray(a)
        nd = _ndim(a)
        res.append(reshape(a, (1, 1)) if nd == 0 else (expand_dims(a, 0) if nd == 1 else a))
    return res[0] if len(res) == 1 else res


@_export
def concatenate(arrays: Sequence[ArrayLike], axis: int | None = 0, out: Any = None) -> Array:
    """Join arrays along an existing axis. Differentiable; matches ``numpy.concatenate``.

    Parameters
    ----------
    arrays : sequence of array_like
        Shapes equal except along ``axis``.
    axis : int or None, optional
        ``None`` flattens the inputs first.

    Returns
    -------
    Array
    """
    _reject_out("concatenate", out)
    arrays = list(arrays)
    if not arrays:
        raise ValueError("fluxion.numpy.concatenate: need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    nd = _ndim(arrays[0])
    if nd == 0:
        raise ValueError(
            "fluxion.numpy.concatenate: zero-dimensional arrays cannot be concatenated"
        )
    arrays = [a if hasattr(a, "shape") else np.asarray(a) for a in arrays]
    return ix.concatenate(arrays, normalize_axis(axis, nd, "concatenate"))


@_export
def stack(arrays: Sequence[ArrayLike], axis: int = 0, out: Any = None) -> Array:
    """Join arrays along a new axis. Differentiable; matches ``numpy.stack``.

    Parameters
    ----------
    arrays : sequence of array_like
        All of the same shape.
    axis : int, optional
        Position of the new axis.

    Returns
    -------
    Array
        One more dimension than the inputs.
    """
    _reject_out("stack", out)
    arrays = [a if hasattr(a, "shape") else np.asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("fluxion.numpy.stack: need at least one array to stack")
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(
            f"fluxion.numpy.stack: all input arrays must have the same shape, got {sorted(shapes)}"
        )
    nd = _ndim(arrays[0]) + 1
    axis = normalize_axis(axis, nd, "stack")
    return ix.concatenate([expand_dims(a, axis) for a in arrays], axis)


@_export
def vstack(tup: Sequence[ArrayLike]) -> Array:
    """Stack arrays vertically (row-wise). Differentiable; matches ``numpy.vstack``."""
    return concatenate([atleast_2d(a) for a in tup], axis=0)


@_export
def hstack(tup: Sequence[ArrayLike]) -> Array:
    """Stack arrays horizontally. Differentiable; matches ``numpy.hstack``."""
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if _ndim(arrs[0]) == 1 else 1)


@_export
def column_stack(tup: Sequence[ArrayLike]) -> Array:
    """Stack 1-D arrays as columns. Differentiable; matches ``numpy.column_stack``."""
    cols = [reshape(a, (-1, 1)) if _ndim(a) < 2 else a for a in tup]
    return concatenate(cols, axis=1)


@_export
def split(ary: ArrayLike, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into sub-arrays along ``axis``. Differentiable; matches ``numpy.split``.

    Parameters
    ----------
    ary : array_like
    indices_or_sections : int or sequence of int
        Number of equal sections, or the split points.
    axis : int, optional

    Returns
    -------
    list of Array
    """
    return _split(ary, indices_or_sections, axis, "split", strict=True)


@_export
def array_split(ary: ArrayLike, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into (possibly unequal) sub-arrays. Matches ``numpy.array_split``."""
    return _split(ary, indices_or_sections, axis, "array_split", strict=False)


def _split(ary: Any, sections: Any, axis: int, op: str, strict: bool) -> list:
    s = shape_of(ary)
    axis = normalize_axis(axis, len(s), op)
    n = s[axis]
    if isinstance(sections, int | np.integer):
        k = int(sections)
        if k <= 0:
            raise ValueError(f"fluxion.numpy.{op}: number of sections must be larger than 0")
        if strict and n % k:
            raise ValueError(
                f"fluxion.numpy.{op}: array split does not result in an equal division "
                f"({n} elements into {k} sections); use array_split"
            )
        base, extra = divmod(n, k)
        sizes = [base + 1] * extra + [base] * (k - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in sections] + [n]
    return [
        ix.slice_along(ary, axis, a, builtins.max(a, b)) for a, b in zip(bounds[:-1], bounds[1:])
    ]


@_export
def flip(m: ArrayLike, axis: Any = None) -> Array:
    """Reverse the order of elements along ``axis``. Differentiable; matches ``numpy.flip``."""
    axes = normalize_axes(axis, _ndim(m), "flip")
    return sh.flip(m, axes) if axes else m


@_export
def fliplr(m: ArrayLike) -> Array:
    """Reverse along axis 1. Matches ``numpy.fliplr``."""
    return flip(m, 1)


@_export
def flipud(m: ArrayLike) -> Array:
    """Reverse along axis 0. Matches ``numpy.flipud``."""
    return flip(m, 0)


@_export
def roll(a: ArrayLike, shift: Any, axis: Any = None) -> Array:
    """Roll elements along ``axis`` (flattened if None). Differentiable; matches ``numpy.roll``.

    Parameters
    ----------
    a : array_like
    shift : int or tuple of int
    axis : int or tuple of int, optional

    Returns
    -------
    Array
        Same shape as ``a``.
    """
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    shifts = (shift,) if isinstance(shift, int | np.integer) else tuple(shift)
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    nd = _ndim(a)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(
            f"fluxion.numpy.roll: shift and axis must have the same length, got {shifts} and {axes}"
        )
    axes = tuple(normalize_axis(x, nd, "roll") for x in axes)
    return sh.roll(a, tuple(int(s) for s in shifts), axes)


@_export
def take(a: ArrayLike, indices: ArrayLike, axis: int | None = None, mode: Any = None) -> Array:
    """Take elements along an axis. Differentiable in ``a``; matches ``numpy.take``.

    Parameters
    ----------
    a : array_like
    indices : array_like of int
    axis : int, optional
        Default: over the flattened array.

    Returns
    -------
    Array
        ``a.shape[:axis] + indices.shape + a.shape[axis+1:]``.
    """
    if mode is not None and mode != "raise":
        raise NotImplementedError(f"fluxion.numpy.take: mode={mode!r} is not supported")
    if axis is None:
        return ix.getitem(ravel(a), (indices,))
    axis = normalize_axis(axis, _ndim(a), "take")
    return ix.getitem(a, (slice(None),) * axis + (indices,))


@_export
def take_along_axis(arr: ArrayLike, indices: ArrayLike, axis: int) -> Array:
    """Gather values along ``axis`` with an index array of the same rank.

    Differentiable in ``arr``; matches ``numpy.take_along_axis``.
    """
    nd = _ndim(arr)
    axis = normalize_axis(axis, nd, "take_along_axis")
    idx_shape = shape_of(indices)
    index = []
    for i in range(nd):
        if i == axis:
            index.append(indices)
        else:
            shp = [1] * nd
            shp[i] = idx_shape[i]
            index.append(np.arange(idx_shape[i]).reshape(shp))
    return ix.getitem(arr, tuple(index))


@_export
def tile(A: ArrayLike, reps: Any) -> Array:  # noqa: N803
    """Repeat ``A`` ``reps`` times along each axis. Differentiable; matches ``numpy.tile``."""
    reps = (reps,) if isinstance(reps, int | np.integer) else tuple(reps)
    s = shape_of(A)
    nd = builtins.max(len(s), len(reps))
    A = reshape(A, (1,) * (nd - len(s)) + s)
    reps = (1,) * (nd - len(reps)) + reps
    for axis, r in enumerate(reps):
        if r != 1:
            n = shape_of(A)[axis]
            A = take(A, np.tile(np.arange(n), r), axis=axis)
    return A


@_export
def repeat(a: ArrayLike, repeats: Any, axis: int | None = None) -> Array:
    """Repeat each element. Differentiable; matches ``numpy.repeat``."""
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = normalize_axis(axis, _ndim(a), "repeat")
    n = shape_of(a)[axis]
    return take(a, np.repeat(np.arange(n), repeats), axis=axis)


@_export
def pad(array: ArrayLike, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Array:
    """Pad an array. Differentiable; matches ``numpy.pad``.

    Parameters
    ----------
    array : array_like
    pad_width : int or sequence
        As for ``numpy.pad``.
    mode : {'constant', 'edge', 'wrap', 'reflect', 'symmetric'}, optional
    constant_values : scalar, optional
        For ``mode='constant'`` (may be traced).

    Returns
    -------
    Array

    Notes
    -----
    ``linear_ramp``, ``maximum``, ``mean``, ``median``, ``minimum`` and callables are not
    supported.
    """
    nd = _ndim(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (nd, 2))
    widths = tuple((int(lo), int(hi)) for lo, hi in widths)
    if mode == "constant":
        value = kwargs.pop("constant_values", 0)
        if kwargs:
            raise TypeError(f"fluxion.numpy.pad: unexpected keyword(s) {sorted(kwargs)}")
        if np.ndim(value) != 0 and not isinstance(value, Tracer):
            raise NotImplementedError(
                "fluxion.numpy.pad: only a scalar constant_values is supported"
            )
        return ix.pad_constant(array, value, widths)
    if mode not in ("edge", "wrap", "reflect", "symmetric"):
        raise NotImplementedError(f"fluxion.numpy.pad: mode={mode!r} is not supported")
    if kwargs:
        raise TypeError(f"fluxion.numpy.pad: unexpected keyword(s) {sorted(kwargs)}")
    out = array
    for axis, w in enumerate(widths):
        if w != (0, 0):
            n = shape_of(out)[axis]
            out = take(out, np.pad(np.arange(n), w, mode=mode), axis=axis)
    return out


@_export
def diagonal(a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
    """Diagonal of the (axis1, axis2) matrices, appended as the last axis.

    Differentiable; matches ``numpy.diagonal``.
    """
    nd = _ndim(a)
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = shape_of(a)[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    return a[..., rows, rows + offset] if nd >= 2 else a


@_export
def diag(v: ArrayLike, k: int = 0) -> Array:
    """Extract a diagonal, or build a diagonal matrix. Differentiable; matches ``numpy.diag``."""
    nd = _ndim(v)
    if nd == 2:
        return diagonal(v, k)
    if nd != 1:
        raise ValueError(f"fluxion.numpy.diag: expected a 1-D or 2-D input, got {nd}-D")
    n = shape_of(v)[0] + builtins.abs(k)
    rows = np.arange(shape_of(v)[0]) + builtins.max(0, -k)
    return ix.update(np.zeros((n, n), dtype=getattr(v, "dtype", np.float64)), (rows, rows + k), v)


@_export
def trace(a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
    """Sum along a diagonal. Differentiable; matches ``numpy.trace``."""
    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


@_export
def tril(m: ArrayLike, k: int = 0) -> Array:
    """Lower triangle (zeros above the k-th diagonal). Matches ``numpy.tril``."""
    n, p = shape_of(m)[-2:]
    return ew.where_p.bind(np.tri(n, p, k, dtype=bool), m, 0.0)


@_export
def triu(m: ArrayLike, k: int = 0) -> Array:
    """Upper triangle (zeros below the k-th diagonal). Matches ``numpy.triu``."""
    n, p = shape_of(m)[-2:]
    return ew.where_p.bind(np.tri(n, p, k - 1, dtype=bool), 0.0, m)


# --------------------------------------------------------------------------------------------
# Indexing (used by Tracer.__getitem__ / __setitem__)
# --------------------------------------------------------------------------------------------


def _getitem(x: Any, index: Any) -> Array:
    return ix.getitem(x, index)


def _setitem(x: Any, index: Any, value: Any) -> Array:
    return ix.update(x, index, value)


def _update_value(v: Any) -> Any:
    return asarray(v) if isinstance(v, list | tuple) else v


class _IndexUpdate:
    """``at(x)[index]``: the pending functional update of ``x[index]``."""

    __slots__ = ("x", "index")

    def __init__(self, x: Any, index: Any) -> None:
        self.x = x
        self.index = index

    def get(self) -> Array:
        """``x[index]``."""
        return ix.getitem(self.x, self.index)

    def set(self, v: ArrayLike) -> Array:
        """A copy of ``x`` with ``x[index] = v`` (the last write wins for a repeated index)."""
        return ix.update(self.x, self.index, _update_value(v))

    def add(self, v: ArrayLike) -> Array:
        """A copy of ``x`` with ``v`` added at ``index``; repeated indices accumulate
        (like ``numpy.add.at``)."""
        x, v = self.x, _update_value(v)
        spec, arrays = ix.parse_index(self.index, "at.add")
        region = shape_of(ix.getitem(x, self.index))
        g = broadcast_to(astype(v, result_type(x, v)), region)
        return add(x, ix.scatter_add_p.bind(g, *arrays, spec=spec, shape=shape_of(x)))

    def _combine(self, op: Any, name: str, v: ArrayLike) -> Array:
        """``x[index] = op(x[index], v)``, applied once per selection like ``numpy.<op>.at``:
        an element selected k times is updated k times in index order (so ``multiply`` gives
        the product of its values, ``min``/``max`` the extreme of all of them)."""
        v = _update_value(v)
        spec, arrays = ix.parse_index(self.index, f"at.{name}")
        if not ix.has_arrays(spec):  # basic indexing selects each element at most once
            return ix.update(self.x, self.index, op(ix.getitem(self.x, self.index), v))
        if builtins.any(isinstance(a, Tracer) for a in arrays):
            raise NotImplementedError(
                f"at[...].{name}: a traced index array is not supported (whether its entries "
                "repeat decides the result); pass the index as a concrete array (e.g. a "
                "static argument of jit), or use .set / .add, which take traced indices"
            )
        shape = shape_of(self.x)
        flat = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
        hit = np.ravel(flat[self.index])  # flat target of each selected position
        if np.unique(hit).size == hit.size:
            return ix.update(self.x, self.index, op(ix.getitem(self.x, self.index), v))
        # Repeated targets: split the selections into rounds of distinct targets (round k holds
        # each target's k-th selection, in index order) and apply the update round by round.
        order = np.argsort(hit, kind="stable")
        sorted_hit = hit[order]
        first = np.r_[0, np.flatnonzero(np.diff(sorted_hit)) + 1]
        group_start = np.repeat(first, np.diff(np.r_[first, hit.size]))
        occurrence = np.empty(hit.size, dtype=np.int64)
        occurrence[order] = np.arange(hit.size) - group_start
        region = tuple(np.shape(flat[self.index]))
        values = reshape(broadcast_to(astype(v, result_type(self.x, v)), region), (-1,))
        out = reshape(self.x, (-1,))
        for k in range(int(occurrence.max()) + 1):
            picked = np.flatnonzero(occurrence == k)
            targets = hit[picked]
            updated = op(ix.getitem(out, targets), ix.getitem(values, picked))
            out = ix.update(out, targets, updated)
        return reshape(out, shape)

    def multiply(self, v: ArrayLike) -> Array:
        """A copy of ``x`` with ``x[index] *= v``;
        a repeated index multiplies by each of its values."""
        return self._combine(multiply, "multiply", v)

    def divide(self, v: ArrayLike) -> Array:
        """A copy of ``x`` with ``x[index] /= v``;
        a repeated index divides by each of its values."""
        return self._combine(true_divide, "divide", v)

    def power(self, v: ArrayLike) -> Array:
        """A copy of ``x`` with ``x[index] **= v``;
        a repeated index is raised to each of its values in turn."""
        return self._combine(power, "power", v)

    def min(self, v: ArrayLike) -> Array:
        """A copy of ``x`` with ``x[index] = minimum(x[index], v)``;
        a repeated index takes the minimum of all its values."""
        return self._combine(minimum, "min", v)

    def max(self, v: ArrayLike) -> Array:
        """A copy of ``x`` with ``x[index] = maximum(x[index], v)``;
        a repeated index takes the maximum of all its values."""
        return self._combine(maximum, "max", v)


class _AtIndexer:
    """``at(x)``: index it to get an :class:`_IndexUpdate`."""

    __slots__ = ("x",)

    def __init__(self, x: Any) -> None:
        self.x = x

    def __getitem__(self, index: Any) -> _IndexUpdate:
        return _IndexUpdate(self.x, index)


@_export
def at(x: ArrayLike) -> Any:
    """Functional index updates of ``x`` (JAX's ``x.at``), for plain arrays and traced values.

    ``at(x)[index].set(v)`` returns a copy of ``x`` with ``x[index] = v``; likewise ``.add(v)``
    (repeated indices accumulate, like ``numpy.add.at``), ``.multiply(v)``, ``.divide(v)``,
    ``.power(v)``, ``.min(v)``, ``.max(v)`` (a repeated index is updated once per selection, like
    ``numpy.multiply.at``; these five need a concrete index array) and ``.get()``
    (``x[index]``). ``x`` is never modified; derivatives flow to ``x`` and ``v``. A traced
    value also has the property ``x.at`` with the same meaning.

    Parameters
    ----------
    x : array_like
        The array to update, any shape.

    Returns
    -------
    object
        Index it with any NumPy basic or advanced index; ``v`` must broadcast to the shape of
        ``x[index]``. Each update returns an array of the shape of ``x``.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> fnp.at(fnp.zeros(3))[fnp.array([0, 0, 2])].add(1.0)
    array([2., 0., 1.])
    """
    if not isinstance(x, Tracer):
        x = np.asarray(x)
    return _AtIndexer(x)


# --------------------------------------------------------------------------------------------
# NumPy dispatch: np.<function>(tracer) -> fluxion.numpy.<function>
# --------------------------------------------------------------------------------------------

_UFUNC_MAP: dict = {}
_FUNCTION_MAP: dict = {}
_UFUNC_REDUCE = {
    "add": "sum",
    "multiply": "prod",
    "maximum": "max",
    "minimum": "min",
    "logical_and": "all",
    "logical_or": "any",
}
_UFUNC_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}


def register_numpy_dispatch(namespace: dict, names: Any, numpy_module: Any = np) -> None:
    """Map ``numpy_module.<name>`` to ``namespace[name]`` for NumPy's dispatch protocols."""
    for name in names:
        target = getattr(numpy_module, name, None)
        fn = namespace.get(name)
        if target is None or fn is None or not callable(target):
            continue
        if isinstance(target, np.ufunc):
            _UFUNC_MAP[target] = fn
        else:
            _FUNCTION_MAP[target] = fn


def _describe(args: Any) -> str:
    return ", ".join(str(a.aval) if isinstance(a, Tracer) else type(a).__name__ for a in args)


# Layers above this one that map more ufuncs (scipy.special's) register a loader here; the
# loaders run once, the first time a traced value meets a ufunc that is not mapped yet. The
# public package registers fluxion.scipy.special's, so SciPy (~0.2 s) is imported only then.
_ufunc_loaders: list = []


def add_ufunc_loader(loader: Any) -> None:
    """Run ``loader()`` (which registers more ufuncs) the first time an unmapped ufunc is met."""
    _ufunc_loaders.append(loader)


def _load_more_ufuncs() -> bool:
    """Run the pending ufunc loaders; False when there were none."""
    if not _ufunc_loaders:
        return False
    loaders = list(_ufunc_loaders)
    _ufunc_loaders.clear()
    for loader in loaders:
        loader()
    return True


def _dispatch_ufunc(ufunc: Any, method: str, inputs: Any, kwargs: dict) -> Any:
    name = ufunc.__name__
    if kwargs.get("out") is not None:
        raise TypeError(
            f"numpy.{name}: out= cannot receive a traced value ({_describe(inputs)}); fluxion "
            f"arrays are values, write `y = np.{name}(...)` instead of updating in place"
        )
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    if method == "__call__":
        fn = _UFUNC_MAP.get(ufunc)
        if fn is None and _load_more_ufuncs():
            fn = _UFUNC_MAP.get(ufunc)
        if fn is not None and not kwargs:
            return fn(*inputs)
    elif method == "reduce" and name in _UFUNC_REDUCE:
        return globals()[_UFUNC_REDUCE[name]](inputs[0], axis=kwargs.pop("axis", 0), **kwargs)
    elif method == "accumulate" and name in _UFUNC_ACCUMULATE:
        return globals()[_UFUNC_ACCUMULATE[name]](inputs[0], axis=kwargs.pop("axis", 0), **kwargs)
    extra = f" with keywords {sorted(kwargs)}" if kwargs else ""
    raise NotImplementedError(
        f"numpy.{name}.{method}{extra} is not supported on traced values ({_describe(inputs)}); "
        "use the fluxion.numpy function, or define a primitive with fluxion.extend.primitive"
    )


def _dispatch_function(func: Any, args: Any, kwargs: dict) -> Any:
    fn = _FUNCTION_MAP.get(func)
    if fn is None:
        name = getattr(func, "__name__", repr(func))
        module = getattr(func, "__module__", "numpy") or "numpy"
        raise NotImplementedError(
            f"{module}.{name} is not differentiable by fluxion yet (called on "
            f"{_describe(args)}); use a fluxion.numpy function, or define a primitive with "
            "fluxion.extend.primitive"
        )
    return fn(*args, **kwargs)


# Contractions live in their own module (they need nothing from this one).
from .contract import *  # noqa: E402, F403
from .contract import __all__ as _contract_all  # noqa: E402

__all__ += _contract_all

register_numpy_dispatch(globals(), __all__)
core._fnp = __import__(__name__, fromlist=["_"])
