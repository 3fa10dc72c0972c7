"""Name the SciPy function behind a failed NumPy conversion of a traced value.

Plain SciPy functions written in Python over NumPy (``scipy.special.logsumexp``,
``scipy.stats.norm.logpdf``, ``scipy.linalg.expm``) convert their inputs with
``numpy.asarray``, which a traced value refuses (the result would lose its derivative).
:func:`scipy_call_hint`, called from ``Tracer.__array__`` before it raises, walks the Python
stack for the SciPy function the user called (the outermost frame of the run of SciPy frames
that leads to the conversion), and names it together with its ``fluxion.scipy`` counterpart
when there is one. The counterpart is looked up by name at call time (``importlib`` with a
string), so this module imports nothing from fluxion and SciPy is never imported here.
"""

from __future__ import annotations

import importlib
import sys
from types import FrameType
from typing import Any

# modules whose frames may stand between the SciPy function and the failed conversion
_PASS_THROUGH = ("numpy", "array_api_compat", "fluxion._src", "functools", "contextlib")


def _module_of(frame: FrameType) -> str:
    return str(frame.f_globals.get("__name__", ""))


def _is_scipy(module: str) -> bool:
    return module == "scipy" or module.startswith("scipy.")


def _public_module(module: str) -> str:
    """``scipy.special._logsumexp`` -> ``scipy.special`` (the leading non-private parts)."""
    parts = []
    for part in module.split("."):
        if part.startswith("_"):
            break
        parts.append(part)
    return ".".join(parts)


def _lookup(path: str) -> Any:
    """The object at dotted ``path`` (``fluxion.scipy.stats.norm.logpdf``), or None."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        module_name = ".".join(parts[:i])
        try:
            obj: Any = importlib.import_module(module_name)
        except Exception:  # noqa: BLE001 - a missing or failing module is just "no counterpart"
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _describe(frame: FrameType) -> tuple[str, str] | None:
    """(what the user called, e.g. ``scipy.stats.norm.logpdf``, and its dotted path below
    ``scipy``, e.g. ``stats.norm.logpdf``) for a SciPy frame, or None when it is not a public
    SciPy function or method."""
    module = _module_of(frame)
    code = frame.f_code
    qualname = getattr(code, "co_qualname", code.co_name)
    if "<" in qualname:  # a closure, lambda, comprehension: a wrapper, not the public name
        return None
    public = _public_module(module)
    if "." in qualname:
        # a method: a distribution's (scipy.stats.norm.logpdf, frozen norm(...).logpdf)
        method = qualname.rsplit(".", 1)[1]
        self = frame.f_locals.get("self")
        dist = getattr(self, "dist", self)
        name = getattr(dist, "name", None)
        if not isinstance(name, str) or not public.startswith("scipy.stats"):
            return None
        frozen = dist is not self
        called = f"scipy.stats.{name}{'(...)' if frozen else ''}.{method}"
        return called, f"stats.{name}.{method}"
    target = sys.modules.get(public)
    if target is None or getattr(target, qualname, None) is None:
        return None
    return f"{public}.{qualname}", f"{public[len('scipy.'):]}.{qualname}".lstrip(".")


def _scipy_function(start: FrameType | None) -> tuple[str, str] | None:
    """The public SciPy function on the stack above ``start`` that led to the conversion."""
    frame = start
    found: list[FrameType] = []
    while frame is not None:
        module = _module_of(frame)
        if _is_scipy(module):
            found.append(frame)
        elif found and not module.startswith(_PASS_THROUGH):
            break  # the caller of the outermost SciPy frame: user code
        frame = frame.f_back
    for scipy_frame in reversed(found):  # outermost first
        described = _describe(scipy_frame)
        if described is not None:
            return described
    return None


def scipy_call_hint(why: str) -> str | None:
    """The error message for ``numpy.asarray`` of a traced value when SciPy called it (``why``
    says what the conversion would do, e.g. "a traced f64[] inside grad would lose its
    derivative"), or None when no public SciPy function is on the stack."""
    try:
        described = _scipy_function(sys._getframe(1))
    except Exception:  # noqa: BLE001 - a hint must never hide the error it explains
        return None
    if described is None:
        return None
    called, below = described
    head = (
        f"{called} cannot run on traced values: it converts its input with numpy.asarray, "
        f"and {why}. "
    )
    counterpart = f"fluxion.scipy.{below}"
    if _lookup(counterpart) is not None:
        shown = counterpart
        if "(...)" in called:  # a frozen distribution: the same call on the fluxion object
            name, method = below.split(".")[1:]
            shown = f"fluxion.scipy.stats.{name}(...).{method}"
        return head + f"Use {shown} instead (the same arguments)."
    return head + (
        f"fluxion has no counterpart of {called} (no {counterpart}): write it with "
        "fluxion.numpy (import fluxion.numpy as np), or hold its input fixed with "
        "fluxion.stop_gradient."
    )
