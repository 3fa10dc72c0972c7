"""The public-wrapper factory shared by the ``fluxion.scipy.special`` modules built on
elementwise primitives (``special_incomplete``, ``special_more``): one numpydoc template and
one function body (argument count check, SciPy's ufunc at once outside transforms, the
primitive under them)."""

from __future__ import annotations

import inspect
from typing import Any

from .. import core
from ..core import _state, impl_failed

UFUNC_DOC = """{summary}

Differentiable; matches ``scipy.special.{name}`` (broadcasting and dtype promotion included).

Parameters
----------
{params}

Returns
-------
Array
    {returns}
{raises}
Notes
-----
{notes}  SciPy's ``out=``, ``where=`` and other ufunc keywords are not supported.
{refs}"""


def name_public(fn: Any, name: str, args: tuple[str, ...]) -> None:
    """Give ``fn`` the name, module and positional-only signature ``name(*args)`` of a public
    ``fluxion.scipy.special`` function."""
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "fluxion.scipy.special"
    positional = inspect.Parameter.POSITIONAL_ONLY
    fn.__signature__ = inspect.Signature(
        [inspect.Parameter(a, positional, annotation="ArrayLike") for a in args],
        return_annotation="Array",
    )


def public_ufunc(
    name: str,
    prim: core.Primitive,
    args: tuple[str, ...],
    *,
    summary: str,
    params: str,
    returns: str,
    notes: str,
    raises: str = "",
    refs: str = "",
) -> Any:
    """A public ``fluxion.scipy.special`` function of ``len(args)`` positional arguments that
    binds ``prim``; ``raises`` is a whole numpydoc "Raises" section (or empty)."""
    impl = prim.impl
    bind = prim.bind
    nargs = len(args)

    def fn(*xs: Any) -> Any:
        if len(xs) != nargs:
            raise TypeError(
                f"{name}: expected {nargs} argument(s) ({', '.join(args)}), got {len(xs)}"
            )
        if _state.trace is None:
            try:
                return impl(*xs)
            except Exception as err:  # a device array SciPy cannot take, a user's mistake
                return impl_failed(prim, xs, {}, err)
        return bind(*xs)

    name_public(fn, name, args)
    fn.__doc__ = UFUNC_DOC.format(
        summary=summary,
        name=name,
        params=params,
        returns=returns,
        raises=raises,
        notes=notes,
        refs=refs,
    )
    return fn
