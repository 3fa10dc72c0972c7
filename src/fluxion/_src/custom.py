"""User-defined derivatives and rematerialization: custom_jvp, custom_vjp, checkpoint.

Each is a *call primitive*: the user's function (flattened to leaves) travels as the static
parameter ``fun`` and is called by ``impl``, so the transforms above it see one operation whose
rules this module defines. Every rule of the three primitives is here, one block each:

- ``impl``: call the function;
- ``jvp`` / ``vjp``: the user's rule (custom_jvp, custom_vjp) or a recomputation (checkpoint);
- ``batch``: batch the inner function and rules and bind the primitive again one level down, so
  the transforms above still see a checkpoint or a custom rule;
- ``abstract_eval`` and staging: under ``jit`` the call is inlined (its function is traced in
  place) and its shape rule is its function's.

These sit above ``api`` and ``batching`` in the layers: the rules are written with ``jvp``,
``vjp`` and ``vmap`` themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .api import _check_callable, _zeros_like_leaf, jvp, vjp
from .batching import _broadcast_new_axis, batch_fun, vmap
from .core import Primitive, Zero
from .ir.staging import register_inline, trace_subgraph
from .prims.shape import moveaxis
from .tree_util import tree_flatten, tree_structure, tree_unflatten

__all__ = ["checkpoint", "custom_jvp", "custom_vjp"]


# --------------------------------------------------------------------------------------------
# Shared by the three call primitives
# --------------------------------------------------------------------------------------------


def _call_primitive(name: str) -> Primitive:
    """A primitive whose ``impl`` calls its ``fun`` parameter, staged by inlining ``fun``."""
    prim = Primitive(name, multiple_results=True)
    prim.impl = lambda *args, fun, **params: tuple(fun(*args))
    prim.abstract_eval = _call_abstract_eval
    register_inline(prim)
    return prim


def _call_abstract_eval(*avals: Any, fun: Callable, **params: Any) -> list:
    # the shape rule of a call is its function's: trace it abstractly
    graph, _ = trace_subgraph(lambda *a: list(fun(*a)), list(avals), "shape rule")
    return graph.out_avals


def _flat_fun(fun: Callable, in_tree: Any, out_store: list) -> Callable:
    """Wrap ``fun`` to take and return flat lists of leaves (its output tree goes to out_store)."""

    def flat(*leaves: Any) -> tuple:
        out = fun(*tree_unflatten(in_tree, list(leaves)))
        out_flat, out_tree = tree_flatten(out)
        if out_store:
            out_store[0] = out_tree
        else:
            out_store.append(out_tree)
        return tuple(out_flat)

    return flat


def _merge(static: tuple, dyn: tuple, nondiff: tuple[int, ...]) -> list:
    """Interleave the static (``nondiff_argnums``) and dynamic arguments back into call order."""
    args = []
    s, d = iter(static), iter(dyn)
    for i in range(len(static) + len(dyn)):
        args.append(next(s) if i in nondiff else next(d))
    return args


def _instantiate_all(ts: Any) -> tuple:
    return tuple(t.instantiate() if type(t) is Zero else t for t in ts)


def _vmapped_flat(fun: Callable, dims: Any, axis_size: int, out_axes: Any = 0) -> Callable:
    return vmap(fun, in_axes=tuple(dims), out_axes=out_axes, axis_size=axis_size)


# --------------------------------------------------------------------------------------------
# checkpoint: recompute the function's intermediates in the backward pass
# --------------------------------------------------------------------------------------------

checkpoint_p = _call_primitive("checkpoint")


def _checkpoint_jvp(primals: Any, tangents: Any, *, fun: Callable) -> Any:
    out, out_t = jvp(lambda *a: fun(*a), tuple(primals), _instantiate_all(tangents))
    return tuple(out), tuple(out_t)


def _checkpoint_vjp(g: Any, ans: Any, *args: Any, fun: Callable) -> Any:
    # recompute the forward pass now, recording its tape only for this backward step
    _, pullback = vjp(lambda *a: fun(*a), *args)
    return pullback(_instantiate_all(g))


def _checkpoint_batch(args: Any, dims: Any, *, axis_size: int, fun: Callable) -> Any:
    # every result is batched along axis 0
    out = checkpoint_p.bind(*args, fun=_vmapped_flat(fun, dims, axis_size))
    return out, (0,) * len(out)


checkpoint_p.jvp = _checkpoint_jvp
checkpoint_p.vjp = _checkpoint_vjp
checkpoint_p.batch = _checkpoint_batch


def checkpoint(fun: Callable) -> Callable:
    """Rematerialize ``fun``'s intermediates in the backward pass instead of storing them.

    Parameters
    ----------
    fun : callable
        Takes and returns pytrees of arrays.

    Returns
    -------
    callable
        Same values and derivatives as ``fun``; under reverse mode only its inputs are kept, and
        its forward pass runs again during the backward pass (memory for time).
    """
    _check_callable("checkpoint", fun)

    @functools.wraps(fun)
    def remat(*args: Any) -> Any:
        flat, in_tree = tree_flatten(args)
        store: list = []
        out = checkpoint_p.bind(*flat, fun=_flat_fun(fun, in_tree, store))
        return tree_unflatten(store[0], list(out))

    return remat


# --------------------------------------------------------------------------------------------
# custom_jvp: a user-defined JVP rule (reverse mode transposes its tangent map)
# --------------------------------------------------------------------------------------------


class custom_jvp:  # noqa: N801 (JAX's name)
    """A function with a user-defined JVP rule.

    Parameters
    ----------
    fun : callable
        The primal function, on arrays.
    nondiff_argnums : tuple of int, optional
        Positional arguments that are static (not differentiated, passed to the rule first).

    Notes
    -----
    Define the rule with ``@f.defjvp`` on ``rule(primals, tangents) -> (out, out_tangent)``.
    Reverse mode differentiates the rule's tangent map (it is linear in the tangents), so one
    JVP rule serves both modes.

    Examples
    --------
    >>> import fluxion, fluxion.numpy as fnp
    >>> @fluxion.custom_jvp
    ... def log1pexp(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @log1pexp.defjvp
    ... def _(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t / (1 + fnp.exp(-x))
    >>> float(fluxion.grad(log1pexp)(100.0))
    1.0
    """

    def __init__(self, fun: Callable, nondiff_argnums: tuple[int, ...] = ()) -> None:
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp_rule: Callable | None = None
        functools.update_wrapper(self, fun)

    def defjvp(self, rule: Callable) -> Callable:
        self.jvp_rule = rule
        return rule

    def __call__(self, *args: Any) -> Any:
        if self.jvp_rule is None:
            raise AttributeError(
                f"custom_jvp function {getattr(self.fun, '__name__', self.fun)} has no JVP rule; "
                "define one with @f.defjvp"
            )
        static = tuple(args[i] for i in self.nondiff_argnums)
        dyn = tuple(a for i, a in enumerate(args) if i not in self.nondiff_argnums)
        flat, in_tree = tree_flatten(dyn)
        store: list = []
        fun, rule, nondiff = self.fun, self.jvp_rule, self.nondiff_argnums

        def call(*d: Any) -> Any:
            return fun(*_merge(static, d, nondiff))

        def flat_rule(primals: Any, tangents: Any) -> Any:
            p = tree_unflatten(in_tree, list(primals))
            t = tree_unflatten(in_tree, list(tangents))
            out, out_t = rule(*static, p, t) if static else rule(p, t)
            out_flat, out_tree = tree_flatten(out)
            if not store:  # the rule ran instead of fun (forward mode): record the structure
                store.append(out_tree)
            return tuple(out_flat), tuple(tree_flatten(out_t)[0])

        out = custom_jvp_call_p.bind(*flat, fun=_flat_fun(call, in_tree, store), rule=flat_rule)
        return tree_unflatten(store[0], list(out))


custom_jvp_call_p = _call_primitive("custom_jvp_call")


def _custom_jvp_call_jvp(primals: Any, tangents: Any, *, fun: Callable, rule: Callable) -> Any:
    out, out_t = rule(tuple(primals), _instantiate_all(tangents))
    return tuple(out), tuple(out_t)


def _custom_jvp_call_vjp(g: Any, ans: Any, *args: Any, fun: Callable, rule: Callable) -> Any:
    # The rule's tangent map t -> J t is linear; its vjp at t = 0 is the transpose J^T g.
    zeros = tuple(_zeros_like_leaf(a) for a in args)

    def tangent_map(*t: Any) -> Any:
        return rule(tuple(args), t)[1]

    _, pullback = vjp(tangent_map, *zeros)
    return pullback(_instantiate_all(g))


def _custom_jvp_call_batch(
    args: Any, dims: Any, *, axis_size: int, fun: Callable, rule: Callable
) -> Any:
    dims = tuple(dims)

    def batched_rule(primals: Any, tangents: Any) -> Any:
        # the tangents of the stacked primals are stacked along the same axes
        return vmap(rule, in_axes=(dims, dims), axis_size=axis_size)(
            tuple(primals), tuple(tangents)
        )

    out = custom_jvp_call_p.bind(*args, fun=_vmapped_flat(fun, dims, axis_size), rule=batched_rule)
    return out, (0,) * len(out)


custom_jvp_call_p.jvp = _custom_jvp_call_jvp
custom_jvp_call_p.vjp = _custom_jvp_call_vjp
custom_jvp_call_p.batch = _custom_jvp_call_batch


# --------------------------------------------------------------------------------------------
# custom_vjp: a user-defined VJP rule (forward mode differentiates the function itself)
# --------------------------------------------------------------------------------------------


class custom_vjp:  # noqa: N801 (JAX's name)
    """A function with a user-defined VJP rule.

    Parameters
    ----------
    fun : callable
        The primal function.
    nondiff_argnums : tuple of int, optional
        Static positional arguments (passed to ``bwd`` first).

    Notes
    -----
    ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)``; ``bwd(residuals, g) -> tuple``
    with one cotangent per (non-static) argument (``None`` for zero). Forward mode
    differentiates ``fun`` itself.
    """

    def __init__(self, fun: Callable, nondiff_argnums: tuple[int, ...] = ()) -> None:
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        functools.update_wrapper(self, fun)

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args: Any) -> Any:
        if self.fwd is None:
            raise AttributeError(
                f"custom_vjp function {getattr(self.fun, '__name__', self.fun)} has no VJP rule; "
                "define one with f.defvjp(fwd, bwd)"
            )
        nondiff = self.nondiff_argnums
        static = tuple(args[i] for i in nondiff)
        dyn = tuple(a for i, a in enumerate(args) if i not in nondiff)
        flat, in_tree = tree_flatten(dyn)
        store: list = []
        fun, fwd, bwd = self.fun, self.fwd, self.bwd

        def call(*d: Any) -> Any:
            return fun(*_merge(static, d, nondiff))

        def flat_fwd(*leaves: Any) -> Any:
            d = tree_unflatten(in_tree, list(leaves))
            out, res = fwd(*_merge(static, d, nondiff))
            out_flat, out_tree = tree_flatten(out)
            if store:
                store[0] = out_tree
            else:
                store.append(out_tree)
            return tuple(out_flat), res

        def flat_bwd(res: Any, g: Any) -> Any:
            g_tree = tree_unflatten(store[0], list(g))
            cts = bwd(*static, res, g_tree) if static else bwd(res, g_tree)
            if not isinstance(cts, tuple):
                raise TypeError(
                    f"custom_vjp bwd of {getattr(fun, '__name__', fun)}: expected a tuple with "
                    f"one cotangent per argument, got {type(cts).__name__}"
                )
            cts_flat = []
            for ct, arg in zip(cts, dyn):
                if ct is None:
                    cts_flat.extend([None] * len(tree_flatten(arg)[0]))
                else:
                    cts_flat.extend(tree_flatten(ct)[0])
            return tuple(cts_flat)

        out = custom_vjp_call_p.bind(
            *flat, fun=_flat_fun(call, in_tree, store), fwd_rule=flat_fwd, bwd_rule=flat_bwd
        )
        return tree_unflatten(store[0], list(out))


custom_vjp_call_p = _call_primitive("custom_vjp_call")
# reverse mode runs the user's fwd (its residuals reach the vjp rule as ``residuals``)
custom_vjp_call_p.fwd = lambda *args, fun, fwd_rule, bwd_rule: fwd_rule(*args)


def _custom_vjp_call_jvp(primals: Any, tangents: Any, *, fun: Callable, **rules: Any) -> Any:
    out, out_t = jvp(fun, tuple(primals), _instantiate_all(tangents))
    return tuple(out), tuple(out_t)


def _custom_vjp_call_vjp(
    g: Any,
    ans: Any,
    *args: Any,
    fun: Callable,
    fwd_rule: Callable,
    bwd_rule: Callable,
    residuals: Any,
) -> Any:
    return bwd_rule(residuals, _instantiate_all(g))


def _custom_vjp_call_batch(
    args: Any,
    dims: Any,
    *,
    axis_size: int,
    fun: Callable,
    fwd_rule: Callable,
    bwd_rule: Callable,
) -> Any:
    dims = tuple(dims)
    res_info: list = []  # (residual tree, residual batch axes) of the last batched fwd

    def batched_fwd(*primals: Any) -> Any:
        def fwd_flat(*p: Any) -> Any:
            out, res = fwd_rule(*p)
            return tuple(out), res

        vals, vdims, tree, _ = batch_fun(fwd_flat, list(primals), list(dims), axis_size)
        n_out = tree.children()[0].num_leaves
        outs = [
            _broadcast_new_axis(v, 0, axis_size) if d is None else moveaxis(v, d, 0)
            for v, d in zip(vals[:n_out], vdims[:n_out])
        ]
        res_tree = tree_structure(tree_unflatten(tree, vals)[1])
        res_info[:] = [(res_tree, vdims[n_out:])]
        return tuple(outs), vals[n_out:]

    def batched_bwd(res: Any, g: Any) -> Any:
        res_tree, res_dims = res_info[0]
        cts_axes = tuple(0 if d is None else d for d in dims)

        def bwd_flat(res_leaves: Any, g: Any) -> Any:
            return bwd_rule(tree_unflatten(res_tree, list(res_leaves)), g)

        return vmap(
            bwd_flat,
            in_axes=(list(res_dims), 0),
            out_axes=cts_axes,
            axis_size=axis_size,
        )(list(res), tuple(g))

    out = custom_vjp_call_p.bind(
        *args,
        fun=_vmapped_flat(fun, dims, axis_size),
        fwd_rule=batched_fwd,
        bwd_rule=batched_bwd,
    )
    return out, (0,) * len(out)


custom_vjp_call_p.jvp = _custom_vjp_call_jvp
custom_vjp_call_p.vjp = _custom_vjp_call_vjp
custom_vjp_call_p.batch = _custom_vjp_call_batch
