"""User primitives written in Python, with autograd-style rule makers.

``primitive(fn)`` turns any function on arrays (NumPy, SciPy, a C extension, ...) into a fluxion
primitive: fluxion does not look inside it, and its derivatives come from the rules the user
gives with :func:`defvjp`, :func:`defjvp` or :func:`deflinear`. One kind of rule is enough for
both modes: a missing forward rule is obtained by reverse-differentiating the (linear)
vector-Jacobian map, and a missing reverse rule by reverse-differentiating the (linear)
tangent map. Rules written with ``fluxion.numpy`` differentiate again, to any order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .api import vjp as api_vjp
from .core import MissingRule, Primitive, Zero
from .prims._helpers import shape_of
from .prims.batch_rules import batch_elementwise
from .prims.shape import sum_to_shape

__all__ = ["primitive", "defvjp", "defjvp", "deflinear", "defbatch", "Primitive"]


class _UserPrimitive:
    """The callable returned by :func:`primitive`: binds the underlying :class:`Primitive`."""

    def __init__(self, fn: Callable, elementwise: bool = False) -> None:
        self.fn = fn
        self.prim = Primitive(getattr(fn, "__name__", "user_primitive"), self._impl)
        if elementwise:
            self.prim.batch = batch_elementwise(self.prim)
        self.vjp_makers: tuple | None = None
        self.jvp_makers: tuple | None = None
        # No shape rule: fluxion does not look inside a user function (the staging compiler
        # evaluates it to learn its output aval).
        functools.update_wrapper(self, fn)

    def _impl(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.prim.bind(*args, **kwargs)

    def __repr__(self) -> str:
        return f"fluxion.extend.primitive({self.prim.name})"


def primitive(fn: Callable | None = None, *, elementwise: bool = False) -> Any:
    """Wrap ``fn`` as a fluxion primitive whose derivatives the user defines.

    Parameters
    ----------
    fn : callable
        ``fn(*arrays, **kwargs) -> array``. Positional arguments may be differentiated; keyword
        arguments are static parameters.
    elementwise : bool, optional
        Declare ``fn`` elementwise with NumPy broadcasting (like a ufunc), so that
        :func:`fluxion.vmap` calls it once on the whole batch. Otherwise vmap calls it once per
        example (with a warning) unless a batch rule is given with :func:`defbatch`. Use as
        ``@primitive(elementwise=True)``.

    Returns
    -------
    callable
        Calls ``fn`` outside transforms; inside them, applies the rules given with
        :func:`defvjp` / :func:`defjvp` / :func:`deflinear`. Differentiating it without a rule
        raises ``NotImplementedError`` naming it.

    Examples
    --------
    >>> import numpy as np, fluxion, fluxion.numpy as fnp
    >>> from fluxion.extend import primitive, defvjp
    >>> @primitive
    ... def logsumexp(x):
    ...     m = np.max(x)
    ...     return m + np.log(np.sum(np.exp(x - m)))
    >>> defvjp(logsumexp, lambda ans, x: lambda g: g * fnp.exp(x - ans))
    >>> fluxion.grad(logsumexp)(np.zeros(2))
    array([0.5, 0.5])
    """
    if fn is None:
        return functools.partial(primitive, elementwise=elementwise)
    if not callable(fn):
        raise TypeError(f"primitive: expected a callable, got {type(fn).__name__}")
    return _UserPrimitive(fn, elementwise=elementwise)


def _check_user_prim(name: str, f: Any) -> _UserPrimitive:
    if not isinstance(f, _UserPrimitive):
        raise TypeError(
            f"{name}: expected a function made with fluxion.extend.primitive, got "
            f"{type(f).__name__}; wrap it first: f = primitive(f)"
        )
    return f


def _zeros_like(x: Any) -> Any:
    return np.zeros(shape_of(x), dtype=getattr(x, "dtype", np.float64))


def _vjp_from_makers(f: _UserPrimitive) -> Callable:
    makers = f.vjp_makers
    name = f.prim.name

    def vjp(g: Any, ans: Any, *args: Any, **kwargs: Any) -> tuple:
        cts = []
        for i in range(len(args)):
            if i >= len(makers):
                cts.append(MissingRule(name, i))
            elif makers[i] is None:
                cts.append(None)
            else:
                cts.append(makers[i](ans, *args, **kwargs)(g))
        return tuple(cts)

    return vjp


def _jvp_from_makers(f: _UserPrimitive) -> Callable:
    makers = f.jvp_makers
    name = f.prim.name

    def jvp(primals: Any, tangents: Any, **kwargs: Any) -> tuple:
        ans = f.prim.bind(*primals, **kwargs)
        out = None
        for i, t in enumerate(tangents):
            if type(t) is Zero:
                continue
            if i >= len(makers):
                raise NotImplementedError(
                    f"jvp rule for primitive '{name}' (argument {i}) is not defined; add it with "
                    "fluxion.extend.defjvp"
                )
            if makers[i] is None:
                continue
            term = makers[i](t, ans, *primals, **kwargs)
            out = term if out is None else out + term
        return ans, (Zero(ans) if out is None else out)

    return jvp


def _jvp_via_vjp(f: _UserPrimitive) -> Callable:
    """Forward mode from reverse rules: J t is the vjp of the linear map g -> J^T g."""
    vjp_rule = _vjp_from_makers(f)

    def jvp(primals: Any, tangents: Any, **kwargs: Any) -> tuple:
        ans = f.prim.bind(*primals, **kwargs)
        if all(type(t) is Zero for t in tangents):
            return ans, Zero(ans)
        out = None
        for i, t in enumerate(tangents):
            if type(t) is Zero:
                continue

            def transpose_map(g: Any, i: int = i) -> Any:
                ct = vjp_rule(g, ans, *primals, **kwargs)[i]
                if type(ct) is MissingRule:
                    raise ct.error()
                if ct is None:
                    return _zeros_like(primals[i])
                # an output-shaped cotangent of a broadcast argument (as the tape sums it down)
                return sum_to_shape(ct, shape_of(primals[i]))

            _, pullback = api_vjp(transpose_map, _zeros_like(ans))
            term = pullback(t)[0]
            out = term if out is None else out + term
        return ans, out

    return jvp


def _vjp_via_jvp(f: _UserPrimitive, jvp_rule: Callable) -> Callable:
    """Reverse mode from forward rules: J^T g is the vjp of the linear map t -> J t."""
    def vjp(g: Any, ans: Any, *args: Any, **kwargs: Any) -> tuple:
        cts = []
        for i in range(len(args)):

            def tangent_map(t: Any, i: int = i) -> Any:
                tangents = [Zero(a) for a in args]
                tangents[i] = t
                out_t = jvp_rule(list(args), tangents, **kwargs)[1]
                return _zeros_like(ans) if type(out_t) is Zero else out_t

            if getattr(args[i], "dtype", np.dtype(float)).kind not in "fc":
                cts.append(None)
                continue
            _, pullback = api_vjp(tangent_map, _zeros_like(args[i]))
            cts.append(pullback(g)[0])
        return tuple(cts)

    return vjp


def _install(f: _UserPrimitive) -> None:
    if f.jvp_makers is not None:
        f.prim.jvp = _jvp_from_makers(f)
    elif f.vjp_makers is not None:
        f.prim.jvp = _jvp_via_vjp(f)
    if f.vjp_makers is not None:
        f.prim.vjp = _vjp_from_makers(f)
    elif f.prim.jvp is not None:
        f.prim.vjp = _vjp_via_jvp(f, f.prim.jvp)


def defvjp(f: Any, *vjp_makers: Callable | None) -> None:
    """Define the reverse-mode rules of a user primitive (autograd's convention).

    Parameters
    ----------
    f : primitive
        A function made with :func:`primitive`.
    *vjp_makers : callable or None
        One per positional argument: ``maker(ans, *args, **kwargs)`` returns a function
        ``g -> cotangent`` (cotangent shaped like that argument; a cotangent shaped like the
        output is summed down automatically). ``None`` marks a non-differentiable argument;
        arguments beyond the makers given raise ``NotImplementedError`` if differentiated.

    Notes
    -----
    Forward mode comes for free: the maker's function is linear in ``g``, and fluxion
    differentiates it to get Jacobian-vector products. Write makers with ``fluxion.numpy`` so
    they can be differentiated (second order and forward mode).
    """
    f = _check_user_prim("defvjp", f)
    f.vjp_makers = tuple(vjp_makers)
    _install(f)


def defjvp(f: Any, *jvp_makers: Callable | None) -> None:
    """Define the forward-mode rules of a user primitive (autograd's convention).

    Parameters
    ----------
    f : primitive
        A function made with :func:`primitive`.
    *jvp_makers : callable or None
        One per positional argument: ``maker(t, ans, *args, **kwargs)`` returns the output
        tangent caused by the tangent ``t`` of that argument. ``None``: non-differentiable.

    Notes
    -----
    Reverse mode comes for free when no :func:`defvjp` rule is given: fluxion transposes the
    tangent map by differentiating it (it is linear in ``t``).
    """
    f = _check_user_prim("defjvp", f)
    f.jvp_makers = tuple(jvp_makers)
    _install(f)


def deflinear(f: Any, transpose: Callable | None = None) -> None:
    """Declare a user primitive linear in each positional argument (multilinear).

    Parameters
    ----------
    f : primitive
        A function made with :func:`primitive`, linear in each argument separately
        (``f(a + b, c) = f(a, c) + f(b, c)``), like a contraction.
    transpose : callable, optional
        ``transpose(g, *args, **kwargs) -> tuple`` of cotangents. Without it the transpose is
        derived by differentiating ``f`` itself.
    """
    f = _check_user_prim("deflinear", f)
    n_max = 64
    f.jvp_makers = tuple(
        (lambda t, ans, *args, _i=i, **kw: f(*args[:_i], t, *args[_i + 1 :], **kw))
        for i in range(n_max)
    )
    if transpose is not None:

        def vjp(g: Any, ans: Any, *args: Any, **kwargs: Any) -> tuple:
            return tuple(transpose(g, *args, **kwargs))

        f.prim.jvp = _jvp_from_makers(f)
        f.prim.vjp = vjp
        f.prim.transpose = vjp
    else:
        _install(f)


def defbatch(f: Any, rule: Callable) -> None:
    """Define how :func:`fluxion.vmap` batches a user primitive.

    Parameters
    ----------
    f : primitive
        A function made with :func:`primitive`.
    rule : callable
        ``rule(args, dims, *, axis_size, **kwargs) -> (out, out_dim)``: ``args`` are the
        stacked arrays, ``dims[i]`` the axis of ``args[i]`` holding the examples (``None``:
        not batched, the same for every example), ``axis_size`` the number of examples;
        ``out`` is the stacked result and ``out_dim`` its batch axis. Write it with
        ``fluxion.numpy`` (or call ``f`` itself on the stacked arrays) so it can be
        differentiated.

    Examples
    --------
    >>> import numpy as np, fluxion.numpy as fnp
    >>> from fluxion.extend import primitive, defbatch
    >>> @primitive
    ... def rowsum(x):
    ...     return np.sum(x, axis=-1)
    >>> defbatch(rowsum, lambda args, dims, *, axis_size: (
    ...     rowsum(fnp.moveaxis(args[0], dims[0], 0)), 0))
    """
    f = _check_user_prim("defbatch", f)
    if not callable(rule):
        raise TypeError(f"defbatch: expected a callable rule, got {type(rule).__name__}")
    f.prim.batch = rule
