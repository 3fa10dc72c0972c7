"""``fluxion.lax``: structured control flow — cond, switch, while_loop, fori_loop, scan.

Each function works eagerly, under every transform, and under jit:

* With concrete values (no jit involved; also under grad/jvp, whose tracers carry values) the
  loops are plain Python loops and the branches plain ``if``: the tape or the tangents follow
  them, so forward and reverse mode work with no special rules.
* Under jit, ``cond``/``switch`` on a traced predicate evaluate the branches and select the
  result (differentiable; both branches run, so guard the inputs of a branch that could produce
  inf/NaN). ``fori_loop`` with static bounds and ``scan`` (static length) are unrolled into the
  graph. ``while_loop`` with a traced condition becomes the ``while`` primitive carrying its
  condition and body as sub-graphs; it has a forward-mode rule (reverse mode through a loop
  whose trip count is not known raises, naming the fix: ``fori_loop``/``scan``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .api import jvp
from .codegen.numpy_tier import compile_numpy
from .core import Primitive, Tracer, Zero, aval_of
from .ir.graph import Graph, Var
from .ir.interpret import eval_graph
from .ir.passes import optimize
from .ir.staging import StagingTracer, trace_subgraph
from .numpy import core as fnp
from .tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten

__all__ = ["cond", "switch", "select", "while_loop", "fori_loop", "scan", "while_p"]


def _is_concrete(x: Any) -> bool:
    """True when ``x``'s value is known now (no staged or batched layer underneath)."""
    while isinstance(x, Tracer):
        if isinstance(x, StagingTracer):
            return False
        try:
            x = x.primal_value()
        except Exception:  # a batched value has no single concrete value
            return False
    return True


def _all_concrete(tree: Any) -> bool:
    return all(_is_concrete(leaf) for leaf in tree_flatten(tree)[0])


# --------------------------------------------------------------------------------------------
# cond, switch, select
# --------------------------------------------------------------------------------------------


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """Elementwise choice ``where(pred, on_true, on_false)`` over matching pytrees."""
    t_flat, t_tree = tree_flatten(on_true)
    f_flat, f_tree = tree_flatten(on_false)
    if t_tree != f_tree:
        raise TypeError(
            f"select: both branches must return the same structure, got {t_tree} and {f_tree}"
        )
    out = []
    for a, b in zip(t_flat, f_flat):
        if fnp.shape(a) != fnp.shape(b):
            raise TypeError(
                f"select: both branches must return the same shapes, got {fnp.shape(a)} and "
                f"{fnp.shape(b)}"
            )
        out.append(fnp.where(pred, a, b))
    return tree_unflatten(t_tree, out)


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    Parameters
    ----------
    pred : bool or scalar array
        The condition (may be traced).
    true_fun, false_fun : callable
        Branches with the same output structure, shapes and dtypes.
    *operands
        Passed to the branch.

    Returns
    -------
    pytree
        The chosen branch's result.

    Notes
    -----
    With a concrete predicate (eager code, grad, jvp) only the chosen branch runs. Under jit or
    vmap with a traced predicate both branches run and the result is selected elementwise.
    """
    if fnp.ndim(pred) != 0:
        raise TypeError(f"cond: expected a scalar predicate, got shape {fnp.shape(pred)}")
    if _is_concrete(pred):
        return true_fun(*operands) if bool(pred) else false_fun(*operands)
    return select(pred, true_fun(*operands), false_fun(*operands))


def switch(index: Any, branches: Sequence[Callable], *operands: Any) -> Any:
    """``branches[index](*operands)``, with ``index`` clamped to the valid range.

    Parameters
    ----------
    index : int or integer scalar array
        Which branch (may be traced).
    branches : sequence of callables
        Branches with the same output structure, shapes and dtypes.
    *operands
        Passed to the branch.

    Returns
    -------
    pytree
    """
    branches = list(branches)
    if not branches:
        raise ValueError("switch: expected at least one branch, got none")
    if _is_concrete(index):
        i = min(max(int(index), 0), len(branches) - 1)
        return branches[i](*operands)
    index = fnp.clip(index, 0, len(branches) - 1)
    out = branches[-1](*operands)
    for i in range(len(branches) - 2, -1, -1):
        out = select(fnp.equal(index, i), branches[i](*operands), out)
    return out


# --------------------------------------------------------------------------------------------
# while_loop and the while primitive
# --------------------------------------------------------------------------------------------


def _compiled(graph: Graph) -> Callable:
    """Tier-0 code of a sub-graph, compiled once and kept with the graph object."""
    cache = _COMPILED.get(id(graph))
    if cache is None or cache[0] is not graph:
        cache = _COMPILED[id(graph)] = (graph, compile_numpy(graph, "body").fn)
    return cache[1]


_COMPILED: dict[int, tuple] = {}


def _while_impl(*args: Any, cond_graph: Graph, body_graph: Graph, n_consts: int) -> tuple:
    consts, carry = args[:n_consts], list(args[n_consts:])
    cond_fn, body_fn = _compiled(cond_graph), _compiled(body_graph)
    while bool(cond_fn(*consts, *carry)[0]):
        carry = list(body_fn(*consts, *carry))
    return tuple(carry)


while_p = Primitive("while", _while_impl, multiple_results=True)
while_p.abstract_eval = lambda *avals, cond_graph, body_graph, n_consts: list(body_graph.out_avals)


def _inexact(x: Any) -> bool:
    return np.dtype(getattr(x, "dtype", np.float64)).kind in "fc"


def _while_jvp(
    primals: Any, tangents: Any, *, cond_graph: Graph, body_graph: Graph, n_consts: int
) -> Any:
    # Carry (x, dx) through the loop: x' = body(c, x), dx' = d body(c, x)[dc, dx]; only the
    # float entries of the constants and of the carry have tangents.
    consts, carry = list(primals[:n_consts]), list(primals[n_consts:])
    n = len(carry)
    fc = [i for i, c in enumerate(consts) if _inexact(c)]
    fx = [i for i, x in enumerate(carry) if _inexact(x)]
    t_consts = [_instantiate(tangents[i], consts[i]) for i in fc]
    t_carry = [_instantiate(tangents[n_consts + i], carry[i]) for i in fx]
    k = len(fc)

    def split(state: Any) -> tuple:
        cs = list(state[:n_consts])
        tcs = state[n_consts : n_consts + k]
        x = list(state[n_consts + k : n_consts + k + n])
        tx = state[n_consts + k + n :]
        return cs, tcs, x, tx

    def body(*state: Any) -> list:
        cs, tcs, x, tx = split(state)

        def f(*float_vals: Any) -> tuple:
            vals = cs + x
            for j, v in zip(fc + [n_consts + i for i in fx], float_vals):
                vals[j] = v
            return tuple(eval_graph(body_graph, vals))

        float_in = [cs[i] for i in fc] + [x[i] for i in fx]
        out, out_t = jvp(f, tuple(float_in), tuple(tcs) + tuple(tx))
        return list(out) + [out_t[i] for i in fx]

    def cond_fn(*state: Any) -> Any:
        cs, _, x, _ = split(state)
        return eval_graph(cond_graph, cs + x)[0]

    out = _while_generic(cond_fn, body, consts + t_consts, carry + t_carry)
    out_tangents = [Zero(x) for x in out[:n]]
    for j, i in enumerate(fx):
        out_tangents[i] = out[n + j]
    return tuple(out[:n]), tuple(out_tangents)


def _instantiate(t: Any, like: Any) -> Any:
    return np.zeros(np.shape(like), getattr(like, "dtype", np.float64)) if type(t) is Zero else t


def _while_vjp(*args: Any, **params: Any) -> Any:
    raise NotImplementedError(
        "reverse-mode differentiation through while_loop is not supported (its trip count is "
        "only known at run time); use fluxion.lax.fori_loop with static bounds or "
        "fluxion.lax.scan, or forward mode (jvp, jacfwd)"
    )


while_p.jvp = _while_jvp
while_p.vjp = _while_vjp


def _while_generic(cond_fun: Callable, body_fun: Callable, consts: list, carry: list) -> list:
    """Bind a while primitive for flat ``carry`` with flat loop-invariant ``consts``."""
    avals = [aval_of(c) for c in consts] + [aval_of(x) for x in carry]
    n_consts = len(consts)
    body_graph, body_captured = trace_subgraph(
        lambda *a: list(body_fun(*a)), avals, "while_loop body"
    )
    cond_graph, cond_captured = trace_subgraph(lambda *a: [cond_fun(*a)], avals, "while_loop cond")
    for got, want in zip(body_graph.out_avals, avals[n_consts:], strict=True):
        if (got.shape, got.dtype) != (want.shape, want.dtype):
            raise TypeError(
                f"while_loop: body_fun must return the carry's shapes and dtypes, got {got} for "
                f"{want}"
            )
    # Both sub-graphs take [every captured value (union), consts, carry].
    union: list = []
    seen: set = set()
    for t in body_captured + cond_captured:
        if id(t) not in seen:
            seen.add(id(t))
            union.append(t)
    body_graph = _with_captures(body_graph, body_captured, union)
    cond_graph = _with_captures(cond_graph, cond_captured, union)
    out = while_p.bind(
        *union,
        *consts,
        *carry,
        cond_graph=cond_graph,
        body_graph=body_graph,
        n_consts=len(union) + n_consts,
    )
    return list(out)


def _with_captures(graph: Graph, captured: list, union: list) -> Graph:
    """Re-list ``graph``'s inputs as [all of ``union``, then its own arguments]."""
    own = {id(t): v for t, v in zip(captured, graph.in_vars)}
    ins = [own.get(id(t)) or Var(t.aval) for t in union] + graph.in_vars[len(captured) :]
    return optimize(Graph(ins, graph.eqns, graph.outs))


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """Repeat ``val = body_fun(val)`` while ``cond_fun(val)`` is true.

    Parameters
    ----------
    cond_fun : callable
        ``cond_fun(val) -> bool scalar``.
    body_fun : callable
        ``body_fun(val) -> val`` with the same structure, shapes and dtypes.
    init_val : pytree
        The initial carry.

    Returns
    -------
    pytree
        The final carry.

    Notes
    -----
    Differentiable in forward mode everywhere. Reverse mode works on concrete values (eager
    grad records the iterations actually run); under jit it raises: use ``fori_loop`` or
    ``scan`` when the trip count is known.
    """
    # Run in Python while the condition's value is known; switch to the staged loop (with the
    # current carry) as soon as it depends on a value that is only known at run time.
    val = init_val
    while True:
        pred = cond_fun(val)
        if not (_is_concrete(pred) and _all_concrete(val)):
            break
        if not bool(pred):
            return val
        val = body_fun(val)
    init_val = val
    flat, tree = tree_flatten(init_val)

    def body(*leaves: Any) -> list:
        out = body_fun(tree_unflatten(tree, list(leaves)))
        out_flat, out_tree = tree_flatten(out)
        if out_tree != tree:
            raise TypeError(
                f"while_loop: body_fun must return the structure of init_val {tree}, got {out_tree}"
            )
        return out_flat

    def cond_flat(*leaves: Any) -> Any:
        return cond_fun(tree_unflatten(tree, list(leaves)))

    return tree_unflatten(tree, _while_generic(cond_flat, body, [], list(flat)))


# --------------------------------------------------------------------------------------------
# fori_loop and scan (static trip counts)
# --------------------------------------------------------------------------------------------


def fori_loop(lower: int, upper: int, body_fun: Callable, init_val: Any) -> Any:
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    Parameters
    ----------
    lower, upper : int
        Loop bounds. Static integers give a loop that is differentiable in both modes and
        unrolled under jit; traced bounds become a ``while_loop`` (forward mode only).
    body_fun : callable
        ``body_fun(i, val) -> val``.
    init_val : pytree

    Returns
    -------
    pytree
    """
    if _is_concrete(lower) and _is_concrete(upper):
        val = init_val
        for i in range(int(lower), int(upper)):
            val = body_fun(i, val)
        return val

    def cond_fn(state: Any) -> Any:
        return fnp.less(state[0], upper)

    def body(state: Any) -> Any:
        i, val = state
        return (i + 1, body_fun(i, val))

    return while_loop(cond_fn, body, (fnp.asarray(lower), init_val))[1]


def scan(
    f: Callable,
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``, stacking the ``y``.

    Parameters
    ----------
    f : callable
        ``f(carry, x) -> (carry, y)``; ``carry`` keeps its structure and shapes.
    init : pytree
        The initial carry.
    xs : pytree of arrays, optional
        Scanned over their leading axis (all the same length), or None with ``length``.
    length : int, optional
        The number of steps when ``xs`` is None.
    reverse : bool, optional
        Scan from the end.

    Returns
    -------
    carry : pytree
        The final carry.
    ys : pytree of arrays
        The stacked outputs, leading axis of size ``length``.

    Notes
    -----
    Differentiable in both modes (the trip count is static); under jit the loop is unrolled.
    """
    xs_flat, xs_tree = tree_flatten(xs)
    lengths = {fnp.shape(x)[0] for x in xs_flat if fnp.ndim(x) > 0}
    if any(fnp.ndim(x) == 0 for x in xs_flat):
        raise TypeError("scan: every leaf of xs needs a leading axis to scan over")
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1:
        raise ValueError(
            f"scan: expected xs with one common leading length (or length=), got {sorted(lengths)}"
        )
    n = lengths.pop()
    carry = init
    ys = []
    init_tree = tree_structure(init)
    order = range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        x = tree_unflatten(xs_tree, [leaf[i] for leaf in xs_flat]) if xs_flat else None
        carry, y = f(carry, x)
        if tree_structure(carry) != init_tree:
            raise TypeError(
                f"scan: f must return a carry with the structure of init {init_tree}, got "
                f"{tree_structure(carry)}"
            )
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    stacked = tree_map(lambda *leaves: fnp.stack(leaves), *ys)
    return carry, stacked
