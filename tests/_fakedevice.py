"""A strict, CuPy-like fake device for checking fluxion's backend seam without a GPU.

:class:`FakeArray` wraps a ``numpy.ndarray`` (it is not a subclass) the way a ``cupy.ndarray``
wraps device memory, and interoperates with NumPy the way CuPy does:

- ``numpy.sin(x)``, ``numpy.sum(x)``, ``numpy.concatenate([x, y])`` dispatch through NEP 13/18
  (``__array_ufunc__``, ``__array_function__``): the wrapped data is computed on with NumPy and
  the result is wrapped again, so it stays "on the device";
- implicit conversion to NumPy raises like CuPy: ``numpy.asarray(x)`` calls ``__array__``, which
  raises ``TypeError("Implicit conversion to a NumPy array is not allowed...")``; the explicit
  transfers are ``xp.asnumpy(x)`` / ``x.get()``;
- mixing with a ``numpy.ndarray`` in one operation raises ``TypeError`` (CuPy: "Unsupported
  type <class 'numpy.ndarray'>"); Python and NumPy scalars are fine;
- reductions and integer indexing give 0-d device arrays, never NumPy scalars (as in CuPy);
- ``float(x)``, ``int(x)``, ``bool(x)`` and ``x.item()`` work on one-element arrays (a
  synchronising device-to-host copy in CuPy): code that uses them in a place where an array is
  expected leaves the device, which the seam tests catch by checking where results live.

:data:`xp` is the namespace module (``cupy``'s stand-in): NumPy's functions wrapped so that
results are :class:`FakeArray`, ``xp.linalg`` and ``xp.fft``, ``xp.asarray`` (host -> device) and
``xp.asnumpy`` (device -> host). SciPy's special-function ufuncs dispatch only where
``cupyx.scipy.special`` has the function (:data:`CUPYX_SPECIAL`, as of CuPy 13); every other
SciPy ufunc refuses a device array, as ``cupy.ndarray.__array_ufunc__`` does.

:func:`install` registers it as the device ``"fake"`` with
``fluxion._src.backend.register_array_namespace``.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

DEVICE = "fake"

IMPLICIT_CONVERSION = (
    "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a "
    "NumPy array explicitly."
)

# The scipy.special ufuncs with a cupyx.scipy.special counterpart (CuPy 13's list, abridged to
# the ones fluxion implements). A device array reaching any other SciPy ufunc is refused.
CUPYX_SPECIAL = frozenset(
    {
        "gamma",
        "gammaln",
        "loggamma",
        "rgamma",
        "digamma",
        "psi",
        "polygamma",
        "multigammaln",
        "gammainc",
        "gammaincc",
        "gammaincinv",
        "gammainccinv",
        "beta",
        "betaln",
        "betainc",
        "betaincinv",
        "erf",
        "erfc",
        "erfcx",
        "erfinv",
        "erfcinv",
        "ndtr",
        "log_ndtr",
        "ndtri",
        "expit",
        "logit",
        "log_expit",
        "xlogy",
        "xlog1py",
        "entr",
        "rel_entr",
        "kl_div",
        "huber",
        "pseudo_huber",
        "zeta",
        "zetac",
        "i0",
        "i0e",
        "i1",
        "i1e",
        "k0",
        "k0e",
        "k1",
        "k1e",
        "j0",
        "j1",
        "y0",
        "y1",
        "jv",
        "yv",
        "iv",
        "kv",
        "yn",
        "expn",
        "exp1",
        "expi",
        "sinc",
        "spence",
        "ellipk",
        "ellipkm1",
        "ellipj",
        "boxcox",
        "boxcox1p",
        "inv_boxcox",
        "inv_boxcox1p",
        "bdtr",
        "bdtrc",
        "bdtri",
        "btdtr",
        "btdtri",
        "chdtr",
        "chdtrc",
        "chdtri",
        "fdtr",
        "fdtrc",
        "fdtri",
        "gdtr",
        "gdtrc",
        "nbdtr",
        "nbdtrc",
        "nbdtri",
        "pdtr",
        "pdtrc",
        "pdtri",
        "sici",
        "shichi",
        "lpmv",
        "sph_harm",
        "wright_bessel",
        "log_wright_bessel",
        "exprel",
        "cbrt",
        "exp10",
        "exp2",
        "expm1",
        "log1p",
        "cosdg",
        "sindg",
        "tandg",
        "cotdg",
        "radian",
        "round",
        "softplus",
    }
)


def _is_numpy_ufunc(ufunc: Any) -> bool:
    return getattr(np, ufunc.__name__, None) is ufunc


def _unwrap(value: Any, what: str) -> Any:
    """The NumPy data of a FakeArray (lists/tuples recursively); refuse host ndarrays."""
    t = type(value)
    if t is FakeArray:
        return value._data
    if t is np.ndarray:
        raise TypeError(f"Unsupported type {np.ndarray} in {what} (a host array met a device one)")
    if t is list or t is tuple:
        return t(_unwrap(v, what) for v in value)
    return value


def _wrap(value: Any) -> Any:
    t = type(value)
    if t is np.ndarray:
        return FakeArray(value)
    if isinstance(value, np.generic):
        # a reduction or an integer index gives a 0-d device array in CuPy, not a scalar
        return FakeArray(np.asarray(value))
    if t is tuple or t is list:
        return t(_wrap(v) for v in value)
    if isinstance(value, tuple):  # a named tuple (EighResult, SlogdetResult, ...)
        return t(*[_wrap(v) for v in value])
    return value


class FakeArray(NDArrayOperatorsMixin):
    """A CuPy-like device array over a NumPy buffer (see the module docstring)."""

    __slots__ = ("_data",)
    __array_priority__ = 100  # as cupy.ndarray

    def __init__(self, data: np.ndarray) -> None:
        if type(data) is not np.ndarray:
            raise TypeError(f"FakeArray wraps a numpy.ndarray, got {type(data).__name__}")
        self._data = data

    # -- the NumPy protocols ---------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(IMPLICIT_CONVERSION)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if not _is_numpy_ufunc(ufunc) and ufunc.__name__ not in CUPYX_SPECIAL:
            return NotImplemented  # NumPy then raises TypeError, as with CuPy
        what = f"{ufunc.__name__}.{method}" if method != "__call__" else ufunc.__name__
        if method == "at":  # ufunc.at(a, index, b): the index is not an operand
            a, index, *rest = inputs
            if type(a) is not FakeArray:
                return NotImplemented
            ufunc.at(a._data, _index(index), *[_unwrap(x, what) for x in rest])
            return None
        for x in inputs:
            if type(x) is not FakeArray and not _is_scalar(x):
                if type(x) is np.ndarray:
                    raise TypeError(f"Unsupported type {np.ndarray} in {what}")
                return NotImplemented
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o, what) for o in out)
        result = getattr(ufunc, method)(*[_unwrap(x, what) for x in inputs], **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if method == "at":
            return None
        return _wrap(result)

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        for t in types_:
            if t is not FakeArray and t is not np.ndarray:
                return NotImplemented
        what = getattr(func, "__name__", str(func))
        new_args = _unwrap(tuple(args), what)
        new_kwargs = {k: _unwrap(v, what) for k, v in kwargs.items()}
        return _wrap(func(*new_args, **new_kwargs))

    # -- attributes --------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        return self._data.strides

    @property
    def flags(self) -> Any:
        return self._data.flags

    @property
    def T(self) -> FakeArray:  # noqa: N802
        return FakeArray(self._data.T)

    @property
    def mT(self) -> FakeArray:  # noqa: N802
        return FakeArray(np.swapaxes(self._data, -1, -2))

    @property
    def real(self) -> FakeArray:
        return FakeArray(np.asarray(self._data.real))

    @property
    def imag(self) -> FakeArray:
        return FakeArray(np.asarray(self._data.imag))

    @property
    def device(self) -> str:
        return DEVICE

    # -- explicit transfers and Python conversions (synchronising copies in CuPy) ------------
    def get(self) -> np.ndarray:
        return self._data.copy()

    def item(self) -> Any:
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self._data)

    def __int__(self) -> int:
        return int(self._data)

    def __complex__(self) -> complex:
        return complex(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __index__(self) -> int:
        return self._data.__index__()

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"FakeArray({self._data!r})"

    def __str__(self) -> str:
        return str(self._data)

    def __format__(self, spec: str) -> str:
        return format(self._data, spec)

    __hash__ = None  # type: ignore[assignment]  (arrays are unhashable)

    # -- indexing ----------------------------------------------------------------------------
    def __getitem__(self, index: Any) -> FakeArray:
        return _wrap(self._data[_index(index)])

    def __setitem__(self, index: Any, value: Any) -> None:
        self._data[_index(index)] = _unwrap(value, "__setitem__")

    # -- methods (those of cupy.ndarray that fluxion may call) -----------------------------
    def reshape(self, *shape: Any, order: str = "C") -> FakeArray:
        if len(shape) == 1:
            shape = shape[0]
        return FakeArray(self._data.reshape(shape, order=order))

    def astype(self, dtype: Any, order: str = "K", casting: Any = None, copy: bool = True) -> Any:
        kwargs = {} if casting is None else {"casting": casting}
        return FakeArray(self._data.astype(dtype, order=order, copy=copy, **kwargs))

    def copy(self, order: str = "C") -> FakeArray:
        return FakeArray(self._data.copy(order=order))

    def view(self, dtype: Any = None) -> FakeArray:
        return FakeArray(self._data.view() if dtype is None else self._data.view(dtype))

    def fill(self, value: Any) -> None:
        self._data.fill(_unwrap(value, "fill"))

    def __getattr__(self, name: str) -> Any:
        # the remaining cupy.ndarray methods: compute on the buffer, wrap the result
        if name in _METHODS:
            method = getattr(self._data, name)

            def call(*args: Any, **kwargs: Any) -> Any:
                args = _unwrap(args, name)
                kwargs = {k: _unwrap(v, name) for k, v in kwargs.items()}
                return _wrap(method(*args, **kwargs))

            return call
        raise AttributeError(f"'FakeArray' object has no attribute {name!r}")


_METHODS = frozenset(
    {
        "sum",
        "prod",
        "mean",
        "var",
        "std",
        "max",
        "min",
        "argmax",
        "argmin",
        "cumsum",
        "cumprod",
        "transpose",
        "swapaxes",
        "ravel",
        "flatten",
        "squeeze",
        "dot",
        "clip",
        "round",
        "repeat",
        "take",
        "all",
        "any",
        "conj",
        "conjugate",
        "nonzero",
        "diagonal",
        "trace",
        "sort",
        "argsort",
        "partition",
        "argpartition",
        "ptp",
        "searchsorted",
        "choose",
        "compress",
        "put",
        "__abs__",
        "__pos__",
    }
)


def _is_scalar(x: Any) -> bool:
    return type(x) in (int, float, complex, bool) or isinstance(x, np.generic)


def _index(index: Any) -> Any:
    """An index with device arrays unwrapped (CuPy also accepts host integer index arrays)."""
    t = type(index)
    if t is FakeArray:
        return index._data
    if t is tuple:
        return tuple(i._data if type(i) is FakeArray else i for i in index)
    return index


# --------------------------------------------------------------------------------------------
# The namespace (cupy's stand-in)
# --------------------------------------------------------------------------------------------

# Creation functions that take host data on purpose (explicit host -> device transfers).
_TRANSFERS = frozenset({"asarray", "array", "asanyarray", "ascontiguousarray"})


# Host <-> device copies made through the namespace (xp.asarray/xp.array of host data, and
# xp.asnumpy): tests read them to check that compiled code moves constants once, not per call.
TRANSFERS = {"to_device": 0, "to_host": 0}


def _count_to_device(a: Any) -> None:
    if type(a) is not FakeArray:
        TRANSFERS["to_device"] += 1


def _asarray(a: Any, dtype: Any = None, order: Any = None, copy: Any = None) -> FakeArray:
    if type(a) is FakeArray:
        if dtype is None or np.dtype(dtype) == a.dtype:
            return a
        return a.astype(dtype)
    _count_to_device(a)
    data = _unwrap_for_transfer(a)
    return FakeArray(np.array(data, dtype=dtype, order=order or "K", copy=True))


def _array(obj: Any, dtype: Any = None, copy: bool = True, order: str = "K", ndmin: int = 0) -> Any:
    """``cupy.array``: a copy by default (``asarray`` returns device arrays as they are)."""
    _count_to_device(obj)
    data = _unwrap_for_transfer(obj)
    return FakeArray(np.array(data, dtype=dtype, copy=copy, order=order, ndmin=ndmin))


def _unwrap_for_transfer(a: Any) -> Any:
    t = type(a)
    if t is FakeArray:
        return a._data
    if t is list or t is tuple:
        return [_unwrap_for_transfer(v) for v in a]
    return a


def _asnumpy(a: Any) -> np.ndarray:
    TRANSFERS["to_host"] += 1
    if type(a) is FakeArray:
        return a._data.copy()
    return np.asarray(a)


def _wrap_function(name: str, func: Any) -> Any:
    def device_function(*args: Any, **kwargs: Any) -> Any:
        args = _unwrap(args, name)
        kwargs = {k: _unwrap(v, name) for k, v in kwargs.items()}
        return _wrap(func(*args, **kwargs))

    device_function.__name__ = name
    device_function.__qualname__ = name
    device_function.__doc__ = f"fake device: numpy.{name} on device arrays"
    return device_function


def _make_namespace(name: str, source: types.ModuleType) -> types.ModuleType:
    module = types.ModuleType(name, f"fake device namespace over {source.__name__}")
    for attr in dir(source):
        if attr.startswith("_"):
            continue
        obj = getattr(source, attr)
        if isinstance(obj, type) or isinstance(obj, np.ufunc):
            # dtypes and classes are NumPy's own (cupy.float64 is numpy.float64); ufuncs
            # dispatch through FakeArray.__array_ufunc__ and refuse host arrays there
            setattr(module, attr, obj)
        elif callable(obj):
            setattr(module, attr, _wrap_function(attr, obj))
        elif not isinstance(obj, types.ModuleType):
            setattr(module, attr, obj)  # constants: pi, inf, nan, newaxis, ...
    return module


def _make_xp() -> types.ModuleType:
    module = _make_namespace("fakedevice_xp", np)
    # dtype queries take dtypes, not arrays: NumPy's own (as in CuPy)
    for attr in (
        "dtype",
        "result_type",
        "promote_types",
        "can_cast",
        "finfo",
        "iinfo",
        "issubdtype",
        "broadcast_shapes",
        "ndim",
        "shape",
        "isscalar",
    ):
        setattr(module, attr, getattr(np, attr))
    module.linalg = _make_namespace("fakedevice_xp.linalg", np.linalg)
    module.fft = _make_namespace("fakedevice_xp.fft", np.fft)
    module.asarray = _asarray
    module.array = _array
    module.asanyarray = _asarray
    module.ascontiguousarray = _asarray
    module.asnumpy = _asnumpy
    module.ndarray = FakeArray
    return module


xp = _make_xp()


def _make_special() -> types.ModuleType:
    """``cupyx.scipy.special``'s stand-in: the functions of :data:`CUPYX_SPECIAL` plus the
    non-ufunc ones CuPy also has (``polygamma``), on device arrays."""
    import scipy.special as sc

    module = types.ModuleType("fakedevice_special", "fake device scipy.special")
    for name in sorted(CUPYX_SPECIAL | {"polygamma"}):
        func = getattr(sc, name, None)
        if func is not None:
            setattr(module, name, _wrap_function(name, func))
    return module


def install() -> None:
    """Register :class:`FakeArray` as the device ``"fake"`` (idempotent)."""
    from fluxion._src.backend import register_array_namespace

    register_array_namespace(FakeArray, xp, DEVICE, scipy_special=_make_special())


def put(x: Any) -> Any:
    """``x`` on the fake device: every ``numpy.ndarray`` and NumPy scalar leaf of a tuple, list or
    dict (NumPy scalars become 0-d device arrays); Python scalars stay."""
    if type(x) is np.ndarray:
        return FakeArray(x.copy())
    if isinstance(x, np.generic):  # a NumPy scalar: a 0-d device array (CuPy has no scalars)
        return FakeArray(np.asarray(x))
    if type(x) in (tuple, list):
        return type(x)(put(v) for v in x)
    if type(x) is dict:
        return {k: put(v) for k, v in x.items()}
    return x


def get(x: Any) -> Any:
    """The inverse of :func:`put`: every FakeArray leaf as a ``numpy.ndarray``."""
    if type(x) is FakeArray:
        return x._data.copy()
    if type(x) in (tuple, list):
        return type(x)(get(v) for v in x)
    if type(x) is dict:
        return {k: get(v) for k, v in x.items()}
    return x


# --------------------------------------------------------------------------------------------
# the seed's line fit, the model that test_backend_seam and test_device_jit run on the device
# --------------------------------------------------------------------------------------------


def chi2(theta: Any, x: Any, y: Any, sigma: Any) -> Any:
    """The seed's straight-line fit: chi^2 of y = a x + b with errors sigma."""
    import fluxion.numpy as fnp

    a, b = theta[0], theta[1]
    r = (y - (a * x + b)) / sigma
    return fnp.sum(r * r)


def line_data() -> tuple:
    """``(theta, x, y, sigma)`` of a 50-point line fit, as host arrays (``put`` moves them)."""
    rng = np.random.default_rng(3)
    x = np.linspace(0.0, 10.0, 50)
    sigma = 0.5 + rng.random(50)
    y = 2.5 * x - 1.0 + sigma * rng.standard_normal(50)
    return np.array([2.0, -0.5]), x, y, sigma


def cupy_usable() -> bool:
    """Whether real CuPy and a GPU are here (the real-device tests skip cleanly otherwise)."""
    import importlib.util

    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device
        return False
