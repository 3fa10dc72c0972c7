"""The backend seam: which array namespace (NumPy, CuPy, ...) and which device a value lives on.

Every primitive's ``impl`` asks :func:`namespace_of` for the namespace of its arguments
(``xp = namespace_of(x)``) and calls ``xp.<function>``, so the same engine runs on
``numpy.ndarray`` (the host, device ``"cpu"``) and on ``cupy.ndarray`` (device ``"gpu"``) with
results staying where they were computed. Other array types (a test double of a device, another
GPU library with a NumPy-compatible namespace) join with :func:`register_array_namespace`.

This module is the ground floor of ``fluxion._src``: it imports nothing from fluxion, and it never
imports CuPy on its own (that takes seconds and needs a GPU). A CuPy array is recognised by its
type's module, and CuPy itself is read from ``sys.modules``: a user holding a ``cupy.ndarray`` has
already imported CuPy. Only :func:`device_put` to ``"gpu"`` imports it, on request.

The lookup is on the eager fast path, so host values cost one ``type()`` and one set membership
test each; everything else is resolved once per type and cached.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = [
    "DeviceError",
    "GPU_INSTALL_HINT",
    "namespace_of",
    "device_of",
    "device_put_leaf",
    "register_array_namespace",
    "unregister_array_namespace",
    "registered_devices",
    "is_host",
    "require_host",
    "is_device_array",
    "as_array",
    "on_device_of",
    "scipy_special_of",
    "Placement",
    "placement_of",
]

GPU_INSTALL_HINT = (
    "install CuPy on a machine with an NVIDIA GPU: pip install fluxion[gpu] (it installs "
    "cupy-cuda12x)"
)


class DeviceError(TypeError):
    """An array on a device met code that cannot take it: arrays of two devices mixed in one
    operation, or a function that runs only on the host given a device array."""


# Types that are always host values: the fast path tests membership in this frozen set first.
_HOST_TYPES = frozenset(
    {
        np.ndarray,
        float,
        int,
        bool,
        complex,
        type(None),
        np.float64,
        np.float32,
        np.float16,
        np.int64,
        np.int32,
        np.int16,
        np.int8,
        np.uint8,
        np.uint16,
        np.uint32,
        np.uint64,
        np.bool_,
        np.complex128,
        np.complex64,
    }
)

_HOST = (np, "cpu")

# array type -> (namespace, device name); filled by register_array_namespace and, for CuPy, on
# first sight of a cupy.ndarray.
_registry: dict[type, tuple[Any, str]] = {}
# device name -> its scipy.special counterpart (CuPy's is imported on first need)
_special: dict[str, Any] = {}
# every type seen so far -> its (namespace, device), or None for host values
_cache: dict[type, tuple[Any, str] | None] = {}


def register_array_namespace(
    array_type: type, namespace: Any, device: str, scipy_special: Any = None
) -> None:
    """Declare that arrays of ``array_type`` live on ``device`` and compute with ``namespace``.

    Parameters
    ----------
    array_type : type
        The array class (for CuPy ``cupy.ndarray``; registered automatically).
    namespace : module or object
        NumPy-compatible functions for those arrays (``asarray``, ``zeros``, ``sin``, ...) plus
        ``asnumpy(x) -> numpy.ndarray`` for transfers to the host.
    device : str
        The device name used by :func:`fluxion.device_put` and :func:`fluxion.device_of`
        (``"gpu"`` for CuPy). ``"cpu"`` is reserved for NumPy.
    scipy_special : module or object, optional
        The device's counterpart of ``scipy.special`` (for CuPy ``cupyx.scipy.special``,
        found automatically) for the special functions that are not ufuncs
        (``polygamma``, ...).

    Raises
    ------
    ValueError
        If ``device`` is ``"cpu"`` or is already taken by another array type.
    TypeError
        If ``array_type`` is not a class or ``namespace`` lacks ``asarray``/``asnumpy``.
    """
    if not isinstance(array_type, type):
        raise TypeError(
            f"register_array_namespace: expected an array class, got {type(array_type).__name__}"
        )
    if not isinstance(device, str) or device == "cpu":
        raise ValueError(
            "register_array_namespace: expected a device name other than 'cpu' (NumPy's), "
            f"got {device!r}"
        )
    for name in ("asarray", "asnumpy"):
        if not callable(getattr(namespace, name, None)):
            raise TypeError(
                f"register_array_namespace: the namespace for device {device!r} has no "
                f"function {name!r}; it needs asarray (host -> device) and asnumpy (device -> "
                "host)"
            )
    for other, (_, other_device) in _registry.items():
        if other_device == device and other is not array_type:
            raise ValueError(
                f"register_array_namespace: device {device!r} is already taken by "
                f"{other.__module__}.{other.__qualname__}; choose another name"
            )
    _registry[array_type] = (namespace, device)
    if scipy_special is not None:
        _special[device] = scipy_special
    _cache.clear()


def unregister_array_namespace(array_type: type) -> None:
    """Remove a registration made with :func:`register_array_namespace` (tests use it)."""
    _registry.pop(array_type, None)
    _cache.clear()


def registered_devices() -> dict[str, Any]:
    """``{device name: namespace}`` for ``"cpu"`` and every registered device."""
    devices: dict[str, Any] = {"cpu": np}
    for namespace, device in _registry.values():
        devices[device] = namespace
    return devices


def _cupy_entry(t: type) -> tuple[Any, str] | None:
    """Register ``cupy.ndarray`` when ``t`` is it (CuPy is already imported: an array exists)."""
    cupy = sys.modules.get("cupy")
    if cupy is None or not isinstance(getattr(cupy, "ndarray", None), type):
        return None
    if not issubclass(t, cupy.ndarray):
        return None
    _registry.setdefault(cupy.ndarray, (cupy, "gpu"))
    return _registry[cupy.ndarray]


def _resolve(x: Any) -> tuple[Any, str] | None:
    """The slow path of :func:`namespace_of` for one value whose type is not a host type."""
    t = type(x)
    if t in _cache:
        return _cache[t]
    # A tracer (it has primal_value; core.py sits above this module) has the device of the
    # value it carries, which differs from one tracer to the next: never cached by type.
    if getattr(t, "primal_value", None) is not None:
        # JVP/VJP tracers carry .primal, batch tracers .val (a whole batch, same device); a
        # staged value (jit) carries no array and counts as the host's
        value = getattr(x, "primal", None)
        if value is None:
            value = getattr(x, "val", None)
        return None if type(value) in _HOST_TYPES else _resolve(value)
    entry = _registry.get(t)
    if entry is None:
        for registered, candidate in _registry.items():
            if issubclass(t, registered):
                entry = candidate
                break
    if entry is None and t.__module__.split(".", 1)[0] == "cupy":
        entry = _cupy_entry(t)
    _cache[t] = entry
    return entry


def _describe(x: Any) -> str:
    t = type(x)
    name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    shape = getattr(x, "shape", None)
    return name if shape is None else f"{name} of shape {tuple(shape)}"


def _mixed(first: Any, first_device: str, other: Any, other_device: str, what: str) -> DeviceError:
    return DeviceError(
        f"{what}: expected arrays on one device, got {_describe(first)} on {first_device!r} and "
        f"{_describe(other)} on {other_device!r}; move one of them with "
        f"fluxion.device_put(x, {first_device!r}) (or {other_device!r}) first"
    )


def _entry_of(xs: tuple, what: str) -> tuple[Any, str] | None:
    """The common (namespace, device) of ``xs`` (None: all host values), or raise if mixed."""
    found = None
    found_x = None
    host_x = None
    for x in xs:
        if type(x) in _HOST_TYPES:
            if host_x is None and type(x) is np.ndarray:
                host_x = x
            continue
        entry = _resolve(x)
        if entry is None:
            if host_x is None and isinstance(x, np.ndarray):
                host_x = x
            continue
        if found is None:
            found, found_x = entry, x
        elif entry[1] != found[1]:
            raise _mixed(found_x, found[1], x, entry[1], what)
    if found is not None and host_x is not None:
        raise _mixed(host_x, "cpu", found_x, found[1], what)
    return found


def namespace_of(*xs: Any) -> Any:
    """The array namespace of the arguments: ``numpy``, ``cupy`` or a registered namespace.

    Parameters
    ----------
    *xs : array_like
        Arrays, tracers, NumPy scalars or Python scalars (scalars go with any device).

    Returns
    -------
    module
        ``numpy`` when every argument is a host value; otherwise the namespace of the device the
        arrays live on (``cupy`` for ``cupy.ndarray``).

    Raises
    ------
    DeviceError
        If the arguments live on different devices (a ``numpy.ndarray`` with a ``cupy.ndarray``,
        say): move them to one device with :func:`fluxion.device_put` first.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion
    >>> fluxion.namespace_of(np.ones(3), 2.0) is np
    True
    """
    # The fast path: host values (almost every eager call) cost a set lookup each.
    for x in xs:
        if type(x) not in _HOST_TYPES:
            break
    else:
        return np
    entry = _entry_of(xs, "namespace_of")
    return np if entry is None else entry[0]


def device_of(*xs: Any) -> str:
    """The device the arguments live on: ``"cpu"`` for NumPy arrays and scalars, ``"gpu"`` for
    CuPy, or the name a registered array type was given; a :class:`DeviceError` if they mix
    devices."""
    if len(xs) == 1 and type(xs[0]) in _HOST_TYPES:
        return "cpu"
    entry = _entry_of(xs, "device_of")
    return "cpu" if entry is None else entry[1]


def is_host(*xs: Any, what: str = "is_host") -> bool:
    """True when no argument lives on a device; mixing devices raises a :class:`DeviceError`
    that names ``what``."""
    return _entry_of(xs, what) is None


def require_host(what: str, *xs: Any, why: str = "runs on the host only (NumPy/SciPy)") -> None:
    """Raise a :class:`DeviceError` naming ``what`` (and ``why``) if an argument lives on a
    device.

    For functions that run only on the host (SciPy routines, the compiled tiers): they must not
    move device arrays to the host silently.
    """
    entry = _entry_of(xs, what)
    if entry is not None:
        raise DeviceError(
            f"{what}: {why}, got an array on device "
            f"{entry[1]!r}; move the inputs with fluxion.device_put(x, 'cpu') and the result "
            f"back with fluxion.device_put(y, {entry[1]!r})"
        )


def _gpu_namespace() -> Any:
    """CuPy, imported on request and registered as device ``"gpu"``."""
    for namespace, device in _registry.values():
        if device == "gpu":
            return namespace
    try:
        import cupy  # noqa: PLC0415  (optional dependency, seconds to import)
    except ImportError as err:
        raise RuntimeError(
            f"device_put: device 'gpu' needs CuPy, which is not installed; {GPU_INSTALL_HINT}"
        ) from err
    register_array_namespace(cupy.ndarray, cupy, "gpu")
    return cupy


def device_put_leaf(x: Any, device: str, what: str = "device_put") -> Any:
    """Move one array (or scalar) to ``device``; see :func:`fluxion.device_put`."""
    if not isinstance(device, str):
        raise TypeError(
            f"{what}: expected a device name ('cpu', 'gpu' or a registered device), got "
            f"{type(device).__name__}"
        )
    if device == "gpu":
        target_ns = _gpu_namespace()
    elif device == "cpu":
        target_ns = np
    else:
        target_ns = registered_devices().get(device)
        if target_ns is None:
            names = ["cpu", "gpu"] + [d for d in registered_devices() if d not in ("cpu", "gpu")]
            raise ValueError(
                f"{what}: unknown device {device!r}; expected one of "
                + ", ".join(repr(d) for d in names)
            )
    if type(x) in _HOST_TYPES or isinstance(x, np.generic):
        entry = None
    else:
        entry = _resolve(x)
    current = "cpu" if entry is None else entry[1]
    if current == device:
        return x
    if getattr(type(x), "primal_value", None) is not None:
        raise DeviceError(
            f"{what}: a traced value (inside grad, vmap, jit, ...) cannot change device; move "
            "the arguments before calling the transformed function"
        )
    if entry is not None:  # device -> host first
        x = entry[0].asnumpy(x)
    if device == "cpu":
        return np.asarray(x)
    return target_ns.asarray(x)


def is_device_array(x: Any) -> bool:
    """True for an array that lives on a device (CuPy, a registered type), or a tracer carrying
    one; False for NumPy arrays, scalars and everything else."""
    if type(x) in _HOST_TYPES:
        return False
    return _resolve(x) is not None


def as_array(x: Any, dtype: Any = None) -> Any:
    """``x`` as an array without leaving its device: device arrays pass through (cast to
    ``dtype`` on the device when given), anything else goes through ``numpy.asarray``."""
    if type(x) is np.ndarray:
        return x if dtype is None else np.asarray(x, dtype=dtype)
    if type(x) not in _HOST_TYPES:
        entry = _resolve(x)
        if entry is not None:
            return x if dtype is None else entry[0].asarray(x, dtype=dtype)
    return np.asarray(x, dtype=dtype)


def on_device_of(like: Any, value: Any) -> Any:
    """``value`` (a host array or scalar built by the engine: a seed, a one-hot basis vector)
    moved to the device of ``like``; unchanged when ``like`` is a host value."""
    if type(like) in _HOST_TYPES:
        return value
    entry = _resolve(like)
    return value if entry is None else entry[0].asarray(value)


def scipy_special_of(*xs: Any) -> Any:
    """The ``scipy.special`` counterpart for the device of the arguments: ``scipy.special`` on
    the host, ``cupyx.scipy.special`` for CuPy, or what a registered device declared.

    Raises
    ------
    DeviceError
        If the device declared none.
    """
    entry = _entry_of(xs, "scipy_special_of")
    if entry is None:
        import scipy.special  # noqa: PLC0415  (SciPy costs ~0.2 s: imported on first need)

        return scipy.special
    device = entry[1]
    special = _special.get(device)
    if special is None and device == "gpu":
        import cupyx.scipy.special  # noqa: PLC0415  (with CuPy, imported on first need)

        special = _special[device] = cupyx.scipy.special
    if special is None:
        raise DeviceError(
            f"scipy_special_of: device {device!r} has no scipy.special counterpart; register "
            "one with register_array_namespace(..., scipy_special=...)"
        )
    return special


class Placement:
    """Where device arrays live: their namespace, the device name and a hashable key.

    ``key`` is ``(name, index)``: the index tells two GPUs apart (``cupy.ndarray.device.id``;
    None for a device without numbered units, such as the test fake), so compiled code that
    holds device constants is kept per unit. :func:`placement_of` builds it; host values have
    none (None).
    """

    __slots__ = ("xp", "name", "key")

    def __init__(self, xp: Any, name: str, index: Any = None) -> None:
        self.xp = xp
        self.name = name
        self.key = (name, index)

    def to_device(self, value: Any) -> Any:
        """A host array (a captured constant) copied to this device, on its unit."""
        index = self.key[1]
        cuda = getattr(self.xp, "cuda", None)
        if index is not None and cuda is not None:
            with cuda.Device(index):  # CuPy allocates on the current unit
                return self.xp.asarray(value)
        return self.xp.asarray(value)

    def __repr__(self) -> str:
        index = self.key[1]
        return f"Placement({self.name!r}" + ("" if index is None else f", {index}") + ")"


def placement_of(*xs: Any, what: str = "placement_of") -> Placement | None:
    """The :class:`Placement` of the arguments' device arrays; None when all are host values.

    Raises
    ------
    DeviceError
        Arrays of two devices, or a ``numpy.ndarray`` beside a device array (the message names
        ``what`` and the fix).
    """
    entry = _entry_of(xs, what)
    if entry is None:
        return None
    index = None
    for x in xs:
        if type(x) not in _HOST_TYPES and _resolve(x) is not None:
            unit = getattr(x, "device", None)
            index = getattr(unit, "id", None)  # CuPy: the GPU's number; tracers: none
            break
    return Placement(entry[0], entry[1], index)
