"""The engine's core: primitives, traces, tracers, abstract values and symbolic zeros.

Every differentiable operation in fluxion is a :class:`Primitive`. Calling ``prim.bind(*arrays,
**params)`` is the single interception point: with no transform active it calls ``prim.impl`` at
once (the fast eager path); otherwise the innermost active :class:`Trace` processes the call. A
trace whose tracers are absent from the arguments hands the call to its parent and records nothing.

Traces nest (``grad(grad(f))``, ``jvp(grad(f))``): each trace knows its parent, and while a trace
runs a primitive's rules it makes its parent the current trace, so the operations inside the rules
are seen (and differentiated) by the outer transforms only. Tracers are matched to their trace by
identity, so two transforms never confuse each other's perturbations.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .backend import DeviceError, device_of, is_device_array, is_host, namespace_of
from .scipy_calls import scipy_call_hint

__all__ = [
    "Primitive",
    "ShapedArray",
    "Zero",
    "Trace",
    "Tracer",
    "ConcretizationError",
    "UnexpectedTracerError",
    "aval_of",
    "current_trace",
    "new_trace",
    "bind_at",
    "find_primal",
    "MissingRule",
    "nondiff_jvp",
    "nondiff_vjp",
]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ConcretizationError(TypeError):
    """A traced value was used where a concrete Python value is required."""


class UnexpectedTracerError(RuntimeError):
    """A tracer was used outside the transform that created it (a leaked tracer)."""


# --------------------------------------------------------------------------------------------
# Abstract values
# --------------------------------------------------------------------------------------------

_SHORT_DTYPE = {
    "float64": "f64",
    "float32": "f32",
    "float16": "f16",
    "int64": "i64",
    "int32": "i32",
    "int16": "i16",
    "int8": "i8",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "bool": "bool",
    "complex128": "c128",
    "complex64": "c64",
}


def quote_with_closest(names: Sequence[str], known: Sequence[str]) -> str:
    """``'sgima' (did you mean 'sigma'?), 'x'``: the names quoted, each with its closest known
    name when one is close (difflib), for errors about names that do not exist."""
    parts = []
    for name in names:
        close = difflib.get_close_matches(name, list(known), n=1)
        parts.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    return ", ".join(parts)


def short_dtype(dtype: Any) -> str:
    """The compact name of a dtype as printed in avals (``float64`` -> ``f64``)."""
    name = np.dtype(dtype).name
    return _SHORT_DTYPE.get(name, name)


class ShapedArray:
    """The abstract value (aval) of an array: its shape, dtype and weak-type flag.

    Parameters
    ----------
    shape : tuple of int
        The array's shape.
    dtype : numpy.dtype
        The array's dtype.
    weak_type : bool, optional
        True for values that came from Python scalars; they never upcast an array in promotion.
    """

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape: tuple[int, ...], dtype: Any, weak_type: bool = False) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is ShapedArray
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.weak_type))

    def __repr__(self) -> str:
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"

    def str_short(self) -> str:
        return repr(self)


_PY_SCALAR_DTYPE = {
    bool: np.dtype(bool),
    int: np.dtype(np.int64),
    float: np.dtype(np.float64),
    complex: np.dtype(np.complex128),
}


def aval_of(x: Any) -> ShapedArray:
    """Return the abstract value of an array, tracer, NumPy scalar or Python scalar."""
    if isinstance(x, Tracer):
        return x.aval
    t = type(x)
    if t in _PY_SCALAR_DTYPE:
        return ShapedArray((), _PY_SCALAR_DTYPE[t], weak_type=True)
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return ShapedArray(x.shape, x.dtype)
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"fluxion: expected an array or a number, got {type(x).__name__}")
    return ShapedArray(arr.shape, arr.dtype)


# --------------------------------------------------------------------------------------------
# Symbolic zeros
# --------------------------------------------------------------------------------------------


class Zero:
    """A symbolic zero tangent or cotangent.

    It stands for an all-zero array shaped like ``like`` (a value or a :class:`ShapedArray`),
    so rules can skip work; :meth:`instantiate` materialises it only when asked.
    """

    __slots__ = ("like",)

    def __init__(self, like: Any) -> None:
        self.like = like

    @property
    def aval(self) -> ShapedArray:
        like = self.like
        return like if type(like) is ShapedArray else aval_of(like)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    def instantiate(self) -> np.ndarray:
        """A concrete zero array of this zero's shape (float dtype for integer avals)."""
        aval = self.aval
        dtype = aval.dtype if aval.dtype.kind in "fc" else np.float64
        like = self.like
        # on the device of the value it stands for (an aval alone carries no device: the host)
        xp = np if type(like) is ShapedArray else namespace_of(like)
        return xp.zeros(aval.shape, dtype)

    def __repr__(self) -> str:
        return f"Zero({self.aval})"


def instantiate(t: Any) -> Any:
    """Materialise a symbolic :class:`Zero`; return anything else unchanged."""
    return t.instantiate() if type(t) is Zero else t


# --------------------------------------------------------------------------------------------
# Rule markers shared by the primitive families and the differentiation traces
# --------------------------------------------------------------------------------------------


# Markers for non-differentiable primitives (comparisons, floor, argmax, ...): their outputs are
# returned untraced, so no derivative flows and no node is recorded. They live here, below both
# the primitive families (which set them) and ad.py (which tests for them).
def nondiff_jvp(primals: Any, tangents: Any, **params: Any) -> Any:  # pragma: no cover - marker
    raise AssertionError("nondiff_jvp is a marker and is never called")


def nondiff_vjp(g: Any, ans: Any, *args: Any, **params: Any) -> Any:  # pragma: no cover - marker
    raise AssertionError("nondiff_vjp is a marker and is never called")


class MissingRule:
    """A cotangent placeholder returned for an argument whose vjp rule the user did not define.

    The backward pass raises ``NotImplementedError`` only if that cotangent is actually needed.
    """

    __slots__ = ("prim_name", "argnum")

    def __init__(self, prim_name: str, argnum: int) -> None:
        self.prim_name = prim_name
        self.argnum = argnum

    def error(self) -> NotImplementedError:
        return NotImplementedError(
            f"vjp rule for primitive '{self.prim_name}' (argument {self.argnum}) is not defined; "
            "add it with fluxion.extend.defvjp"
        )


# --------------------------------------------------------------------------------------------
# Primitives
# --------------------------------------------------------------------------------------------


class _TraceState(threading.local):
    """The current trace, per thread (``None``: no transform active, the fast eager path)."""

    trace: Trace | None = None


_state = _TraceState()


def current_trace() -> Trace | None:
    """The innermost active trace of this thread, or ``None`` outside every transform."""
    return _state.trace


class Primitive:
    """An atomic operation with its rules as attributes.

    Parameters
    ----------
    name : str
        The operation's name, used in errors and printed graphs.
    impl : callable, optional
        ``impl(*arrays, **params) -> array`` evaluates the operation on concrete arrays.
    multiple_results : bool, optional
        True when ``impl`` returns a tuple of arrays.

    Notes
    -----
    The rules (see CONVENTIONS.md for signatures) are plain attributes so that a primitive's
    whole definition sits in one block: ``impl``, ``abstract_eval``, ``jvp``, ``vjp``,
    ``transpose`` (linear primitives), ``batch``, ``templates`` (codegen), ``fwd`` (optional:
    ``fwd(*args, **params) -> (ans, residuals)`` for primitives whose vjp needs residuals saved on
    the forward pass; the vjp rule then receives them as the keyword ``residuals``),
    ``vjp_parts`` (optional: one function per positional argument with the vjp signature that
    returns just that argument's cotangent; the backward pass then computes only the cotangents
    it needs — a constant operand costs nothing. Set it with ``defvjp_parts``, which also
    builds the tuple-returning ``vjp``).
    """

    __slots__ = (
        "name",
        "impl",
        "abstract_eval",
        "jvp",
        "_vjp",
        "transpose",
        "batch",
        "templates",
        "nondiff_argnums",
        "multiple_results",
        "fwd",
        "vjp_parts",
        "__weakref__",
    )

    def __init__(self, name: str, impl: Any = None, *, multiple_results: bool = False) -> None:
        self.name = name
        self.impl = impl
        self.abstract_eval = None
        self.jvp = None
        self._vjp = None
        self.transpose = None
        self.batch = None
        self.templates = {}
        self.nondiff_argnums = ()
        self.multiple_results = multiple_results
        self.fwd = None
        self.vjp_parts = None

    @property
    def vjp(self) -> Any:
        """The reverse-mode rule ``vjp(g, ans, *args, **params) -> tuple`` (or None)."""
        return self._vjp

    @vjp.setter
    def vjp(self, rule: Any) -> None:
        # A new tuple rule replaces any per-argument parts (defvjp_parts sets parts after this).
        self._vjp = rule
        self.vjp_parts = None

    def bind(self, *args: Any, **params: Any) -> Any:
        """Apply the primitive: ``impl`` at once outside transforms, else the current trace."""
        trace = _state.trace
        if trace is None:
            try:
                return self.impl(*args, **params)
            except Exception as err:
                return impl_failed(self, args, params, err)
        return trace.process_primitive(self, args, params)

    def __repr__(self) -> str:
        return f"Primitive({self.name})"


def bind_at(trace: Trace | None, prim: Primitive, args: Any, params: dict) -> Any:
    """Apply ``prim`` at the level of ``trace`` (``None``: evaluate with ``impl``)."""
    if trace is None:
        try:
            return prim.impl(*args, **params)
        except Exception as err:
            return impl_failed(prim, args, params, err)
    return trace.process_primitive(prim, args, params)


def impl_failed(prim: Primitive, args: Any, params: dict, err: Exception) -> Any:
    """``prim.impl(*args)`` raised ``err``: retry once with host constants moved to the device
    of the other operands, else raise the clearest error.

    A NumPy array beside device arrays is a constant made on the host (by a rule, a
    ``fluxion.numpy`` wrapper or the user's code: ``np.eye(n)``, an index array): it goes to the
    device, as JAX commits uncommitted constants, so the result stays on the device. Device data
    never goes to the host silently. This runs only after a failure: the eager fast path stays
    one ``impl`` call.
    """
    moved = _host_arrays_to_device(args)
    if moved is not None:
        try:
            return prim.impl(*moved, **params)
        except Exception as retry_err:
            args, err = moved, retry_err
    raise _explain_impl_error(prim, args, params, err) from err


def _host_arrays_to_device(args: Any) -> tuple | None:
    """``args`` with its NumPy arrays on the device of its device arrays (None if there are no
    NumPy arrays, no device arrays, or arrays of two devices)."""
    host = False
    device_array = None
    for a in args:
        if type(a) is np.ndarray:
            host = True
        elif device_array is None and is_device_array(a):
            device_array = a
    if not host or device_array is None:
        return None
    try:
        xp = namespace_of(*[a for a in args if type(a) is not np.ndarray])
    except DeviceError:  # arrays of two devices: nothing to retry
        return None
    return tuple(xp.asarray(a) if type(a) is np.ndarray else a for a in args)


def _explain_impl_error(prim: Primitive, args: Any, params: dict, err: Exception) -> Exception:
    """Turn a low-level failure of ``impl`` into the shape rule's clear error when it has one."""
    if isinstance(err, UnexpectedTracerError | ConcretizationError | DeviceError):
        return err
    if prim.abstract_eval is not None:
        try:
            avals = [aval_of(a) for a in args]
            prim.abstract_eval(*avals, **params)
        except (TypeError, ValueError) as clear:
            return clear
        except Exception:  # the shape rule could not run on these inputs: keep the original
            return err
    return _device_error(prim.name, args, err)


def _device_error(name: str, args: Any, err: Exception) -> Exception:
    """``err`` from a function given device arrays, restated: arrays of two devices mixed, or a
    function that cannot run on the device (it converted an input to NumPy, or called a NumPy
    or SciPy routine that the device's library lacks). ``err`` itself for host inputs."""
    flat = [a for a in args if type(a) is not tuple and type(a) is not list]
    for a in args:
        if type(a) is tuple or type(a) is list:
            flat.extend(a)
    try:
        if is_host(*flat, what=name):
            return err
    except DeviceError as mixed:  # a host array met a device array
        return mixed
    device = next(device_of(a) for a in flat if is_device_array(a))
    return DeviceError(
        f"{name}: cannot run on device {device!r} ({type(err).__name__}: {err}); compute it on "
        f"the host with fluxion.device_put(x, 'cpu') and move the result back with "
        f"fluxion.device_put(y, {device!r})"
    )


# --------------------------------------------------------------------------------------------
# Traces
# --------------------------------------------------------------------------------------------


class Trace:
    """One active transform. Subclasses implement :meth:`process_primitive`.

    Attributes
    ----------
    parent : Trace or None
        The trace that was current when this one started; rules run at its level.
    alive : bool
        False once the transform has returned; its tracers are then unusable.
    """

    __slots__ = ("parent", "alive", "transform")

    def __init__(self, parent: Trace | None, transform: str) -> None:
        self.parent = parent
        self.alive = True
        self.transform = transform

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        raise NotImplementedError

    def lift(self, value: Any) -> Any:
        """``value`` (a constant array) as a tracer of this trace that carries no derivative.

        Used by the creation functions of ``fluxion.numpy`` (``zeros``, ``ones``, ...) so that
        the array they return inside a transform accepts traced values through ``y[i] = v``
        (a tracer rebinds itself functionally). The base class returns ``value`` unchanged.
        """
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transform})"


class new_trace:  # noqa: N801  (a context manager used like a function)
    """Context manager: make a fresh trace of ``trace_type`` current; kill it on exit."""

    __slots__ = ("trace", "previous")

    def __init__(self, trace_type: type, transform: str) -> None:
        self.previous = _state.trace
        self.trace = trace_type(self.previous, transform)

    def __enter__(self) -> Any:
        _state.trace = self.trace
        return self.trace

    def __exit__(self, *exc: Any) -> None:
        self.trace.alive = False
        _state.trace = self.previous


class run_at:  # noqa: N801
    """Context manager: make ``trace`` (possibly ``None``) current for the block."""

    __slots__ = ("trace", "previous")

    def __init__(self, trace: Trace | None) -> None:
        self.trace = trace

    def __enter__(self) -> None:
        self.previous = _state.trace
        _state.trace = self.trace

    def __exit__(self, *exc: Any) -> None:
        _state.trace = self.previous


# --------------------------------------------------------------------------------------------
# Tracers
# --------------------------------------------------------------------------------------------

# Set by fluxion._src.numpy.core at import (it sits above this layer): the module whose functions
# implement the tracer operators; tree_util.ravel_pytree reaches fluxion.numpy through it too.
_fnp: Any = None


def _check_active(tracer: Tracer, what: str) -> None:
    """Raise if ``tracer`` does not belong to a trace on the current trace chain."""
    trace = tracer._trace
    t = _state.trace
    while t is not None:
        if t is trace:
            return
        t = t.parent
    if not trace.alive:
        raise UnexpectedTracerError(
            f"{what}: a {type(tracer).__name__} {tracer.aval} created inside "
            f"{trace.transform} was used after {trace.transform} returned (a leaked tracer). "
            "Return the value from the transformed function instead of storing it in a global, "
            "a closure or an object attribute."
        )
    raise UnexpectedTracerError(
        f"{what}: a {type(tracer).__name__} {tracer.aval} of an active {trace.transform} "
        "reached code that runs outside it (for example a custom rule closing over a traced "
        "value). Pass the value as an argument instead."
    )


def find_primal(x: Any) -> Any:
    """Strip every tracer layer from ``x`` down to the concrete array (for printing, bool)."""
    while isinstance(x, Tracer):
        x = x.primal_value()
    return x


class Tracer:
    """Base class of traced values; behaves like an array inside transforms.

    Operators, methods (``sum``, ``reshape``, ``T``, ...), indexing and NumPy's dispatch
    protocols (``__array_ufunc__``, ``__array_function__``) route to ``fluxion.numpy``, so plain
    NumPy code differentiates unchanged.
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    # -- abstract value ------------------------------------------------------------------------
    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    def primal_value(self) -> Any:
        """The value one level down (a concrete array or a tracer of an outer transform)."""
        raise NotImplementedError

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d traced value")
        return shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d traced value")
        return (self[i] for i in range(self.shape[0]))

    # -- conversions ---------------------------------------------------------------------------
    def __bool__(self) -> bool:
        return bool(self.primal_value())

    def __int__(self) -> int:
        return int(find_primal(self))

    def __index__(self) -> int:
        return int(find_primal(self))

    def __float__(self) -> float:
        raise ConcretizationError(
            f"float() of a traced {self.aval} inside {self._trace.transform} would drop its "
            "derivative (math.exp, math.log, math.sqrt and the other math functions call "
            "float() too); use fluxion.numpy (fnp.exp, fnp.log, ...: import fluxion.numpy as "
            "fnp) inside a differentiated function, keep values arrays (e.g. x[()] or "
            "x.reshape(())), or use fluxion.stop_gradient(x) if the derivative is meant to be "
            "dropped. Assigning into a NumPy array (y[i] = v) also lands here: create y with "
            "fluxion.numpy.zeros / fnp.empty / fnp.ones / fnp.full inside the transformed "
            "function (it then accepts traced values), or use y = fnp.at(y)[i].set(v)"
        )

    def __complex__(self) -> complex:
        raise ConcretizationError(
            f"complex() of a traced {self.aval} inside {self._trace.transform} would drop its "
            "derivative; keep it an array"
        )

    def item(self) -> Any:
        raise ConcretizationError(
            f"item() of a traced {self.aval} inside {self._trace.transform} would drop its "
            "derivative; index it instead (x[()]), or use fluxion.stop_gradient(x)"
        )

    def tolist(self) -> Any:
        raise ConcretizationError(
            f"tolist() of a traced {self.aval} inside {self._trace.transform} would drop its "
            "derivative; keep it an array"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        _check_active(self, "numpy conversion")
        target = np.dtype(dtype) if dtype is not None else self.aval.dtype
        if target.kind in "iub":
            # an integer or boolean result carries no derivative (autograd's leniency:
            # np.int64(x), a captured array indexed with a traced integer); under jit the
            # value is unknown and primal_value raises ConcretizationError
            return np.asarray(find_primal(self), dtype=target)
        # SciPy called it (scipy.special.logsumexp, ...): name that function instead
        hint = scipy_call_hint(
            f"a traced {self.aval} inside {self._trace.transform} would lose its derivative"
        )
        if hint is not None:
            raise TypeError(hint)
        raise TypeError(
            f"numpy.asarray/numpy.array of a traced {self.aval} inside "
            f"{self._trace.transform}: the result would lose its derivative. Use "
            "fluxion.numpy.asarray / fluxion.numpy.stack (e.g. `import fluxion.numpy as np`), "
            "or build the array from traced values with fnp.stack([...]). Indexing a NumPy "
            "array with a traced index also lands here: pass that array to the transformed "
            "function as an argument instead of capturing it. So does assigning into a NumPy "
            "array (y[i] = v): create y with fluxion.numpy.zeros / fnp.empty / fnp.ones / "
            "fnp.full inside the transformed function (it then accepts traced values), or use "
            "y = fnp.at(y)[i].set(v)."
        )

    def __repr__(self) -> str:
        try:
            value = repr(find_primal(self))
        except ConcretizationError:  # staged underneath: no value while tracing
            return f"{type(self).__name__}<{self.aval}>"
        return f"{type(self).__name__}<{self.aval}>({value})"

    def __str__(self) -> str:
        try:
            return str(find_primal(self))
        except ConcretizationError:
            return repr(self)

    def __format__(self, spec: str) -> str:
        return format(find_primal(self), spec)

    def __hash__(self) -> int:
        raise TypeError(f"unhashable type: traced {self.aval} (arrays are not hashable)")

    # -- NumPy dispatch protocols --------------------------------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        for x in inputs:
            if isinstance(x, Tracer):
                _check_active(x, f"numpy.{ufunc.__name__}")
        return _fnp._dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        _check_active(self, f"numpy.{getattr(func, '__name__', func)}")
        return _fnp._dispatch_function(func, args, kwargs)

    # -- operators -----------------------------------------------------------------------------
    def __neg__(self):
        return _fnp.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _fnp.abs(self)

    def __invert__(self):
        return _fnp.invert(self)

    def __add__(self, other):
        return _fnp.add(self, other)

    def __radd__(self, other):
        return _fnp.add(other, self)

    def __sub__(self, other):
        return _fnp.subtract(self, other)

    def __rsub__(self, other):
        return _fnp.subtract(other, self)

    def __mul__(self, other):
        return _fnp.multiply(self, other)

    def __rmul__(self, other):
        return _fnp.multiply(other, self)

    def __truediv__(self, other):
        return _fnp.true_divide(self, other)

    def __rtruediv__(self, other):
        return _fnp.true_divide(other, self)

    def __floordiv__(self, other):
        return _fnp.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _fnp.floor_divide(other, self)

    def __mod__(self, other):
        return _fnp.mod(self, other)

    def __rmod__(self, other):
        return _fnp.mod(other, self)

    def __pow__(self, other):
        return _fnp.power(self, other)

    def __rpow__(self, other):
        return _fnp.power(other, self)

    def __matmul__(self, other):
        return _fnp.matmul(self, other)

    def __rmatmul__(self, other):
        return _fnp.matmul(other, self)

    def __lt__(self, other):
        return _fnp.less(self, other)

    def __le__(self, other):
        return _fnp.less_equal(self, other)

    def __gt__(self, other):
        return _fnp.greater(self, other)

    def __ge__(self, other):
        return _fnp.greater_equal(self, other)

    def __eq__(self, other):  # type: ignore[override]
        return _fnp.equal(self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _fnp.not_equal(self, other)

    def __and__(self, other):
        return _fnp.logical_and(self, other)

    def __or__(self, other):
        return _fnp.logical_or(self, other)

    # -- indexing ------------------------------------------------------------------------------
    def __getitem__(self, index: Any):
        return _fnp._getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        # A functional update of this tracer: it now stands for the updated array.
        self._become(_fnp._setitem(self, index, value))

    def _become(self, other: Any) -> None:
        raise NotImplementedError

    @property
    def at(self):
        """Functional index updates, as in JAX: ``x.at[idx].set(v)``, ``.add(v)``,
        ``.multiply(v)``, ``.divide(v)``, ``.power(v)``, ``.min(v)``, ``.max(v)``, ``.get()``.

        Each returns a new array (``x`` is unchanged); see :func:`fluxion.numpy.at`.
        """
        return _fnp.at(self)

    # -- methods -------------------------------------------------------------------------------
    @property
    def T(self):  # noqa: N802
        return _fnp.transpose(self)

    @property
    def mT(self):  # noqa: N802
        return _fnp.swapaxes(self, -1, -2)

    @property
    def real(self):
        return _fnp.real(self)

    @property
    def imag(self):
        return _fnp.imag(self)

    def conj(self):
        return _fnp.conj(self)

    conjugate = conj

    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return _fnp.sum(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return _fnp.prod(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return _fnp.mean(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return _fnp.var(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return _fnp.std(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def max(self, axis=None, out=None, keepdims=False):
        return _fnp.max(self, axis=axis, out=out, keepdims=keepdims)

    def min(self, axis=None, out=None, keepdims=False):
        return _fnp.min(self, axis=axis, out=out, keepdims=keepdims)

    def argmax(self, axis=None):
        return _fnp.argmax(self, axis=axis)

    def argmin(self, axis=None):
        return _fnp.argmin(self, axis=axis)

    def cumsum(self, axis=None):
        return _fnp.cumsum(self, axis=axis)

    def cumprod(self, axis=None):
        return _fnp.cumprod(self, axis=axis)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _fnp.reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return _fnp.transpose(self, axes if axes else None)

    def swapaxes(self, axis1, axis2):
        return _fnp.swapaxes(self, axis1, axis2)

    def ravel(self, order="C"):
        return _fnp.ravel(self, order=order)

    def flatten(self, order="C"):
        return _fnp.ravel(self, order=order)

    def squeeze(self, axis=None):
        return _fnp.squeeze(self, axis=axis)

    def dot(self, other):
        return _fnp.dot(self, other)

    def astype(self, dtype, copy=True):
        return _fnp.astype(self, dtype)

    def clip(self, min=None, max=None):  # noqa: A002
        return _fnp.clip(self, min, max)

    def round(self, decimals=0):
        return _fnp.round(self, decimals)

    def repeat(self, repeats, axis=None):
        return _fnp.repeat(self, repeats, axis=axis)

    def take(self, indices, axis=None):
        return _fnp.take(self, indices, axis=axis)

    def copy(self):
        return _fnp.copy(self)

    def all(self, axis=None, keepdims=False):
        return _fnp.all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _fnp.any(self, axis=axis, keepdims=keepdims)
