"""``fluxion.lax``: structured control flow — cond, switch, while_loop, fori_loop, scan.

Each function works eagerly, under every transform, and under jit:

* With concrete values (no jit involved; also under grad/jvp, whose tracers carry values) the
  loops are plain Python loops and the branches plain ``if``: the tape or the tangents follow
  them, so forward and reverse mode work with no special rules.
* Under jit, ``cond``/``switch`` on a traced predicate evaluate the branches and select the
  result (differentiable; both branches run, so guard the inputs of a branch that could produce
  inf/NaN). ``scan`` (static length) and ``fori_loop`` with static bounds become one ``scan``
  equation carrying the body as a sub-graph (not unrolled: a 200-step recursion stays a loop in
  tier 0 and in the numba kernel); its jvp, vjp and batch rules are scans again.
  ``while_loop`` with a traced condition becomes the ``while`` primitive carrying its
  condition and body as sub-graphs; it has a forward-mode rule (reverse mode through a loop
  whose trip count is not known raises, naming the fix: ``fori_loop``/``scan``).

A Python ``for`` loop over a static range inside a jitted function is unrolled by tracing
(one copy of the body per step); jit then re-rolls the repeated blocks into a ``scan``
equation where it can prove they repeat exactly (``ir/reroll.py``,
``fluxion.config.jit_reroll_loops``). ``scan``/``fori_loop`` keep a loop a loop from the
start (no unrolled trace, and no reliance on the pattern being recognised).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .api import jvp, vjp
from .backend import placement_of
from .batching import vmap
from .codegen.numpy_tier import compile_body
from .core import Primitive, ShapedArray, Tracer, Zero, aval_of, current_trace
from .ir.graph import Graph, Var
from .ir.interpret import eval_graph
from .ir.passes import optimize
from .ir.scan import scan_p
from .ir.staging import StagingTrace, StagingTracer, trace_subgraph
from .numpy import core as fnp
from .prims.shape import moveaxis
from .tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten

__all__ = [
    "cond", "switch", "select", "while_loop", "fori_loop", "scan", "while_p", "scan_p"
]


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




def _while_impl(*args: Any, cond_graph: Graph, body_graph: Graph, n_consts: int) -> tuple:
    consts, carry = args[:n_consts], list(args[n_consts:])
    # on device arrays, the bodies' device forms (their constants copied to the device once)
    placement = placement_of(*args, what="while_loop")
    cond_fn = compile_body(cond_graph, placement)
    body_fn = compile_body(body_graph, placement)
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
# The scan primitive: a loop with a static trip count, one equation carrying its body graph
# --------------------------------------------------------------------------------------------
#
#   scan_p(*consts, *init, *xs; body, n_consts, n_carry, length, reverse) -> (*carry, *ys)
#
# ``body`` is a Graph ``(*consts, *carry, *x_t) -> (*carry', *y_t)``; the ``xs`` and the ``ys``
# are stacked on their leading axis (``length``). Every rule below is itself a scan_p bind over a
# transformed body (jvp: the body's jvp; vjp: a reverse scan over the body's vjp; batch: the
# vmapped body), so the results stay one equation under jit and differentiate again.


def _staging_active() -> bool:
    """True when some active trace stages a graph (jit, or the body of a control-flow loop)."""
    trace = current_trace()
    while trace is not None:
        if isinstance(trace, StagingTrace):
            return True
        trace = trace.parent
    return False


def _split3(seq: Any, n_consts: int, n_carry: int) -> tuple[list, list, list]:
    seq = list(seq)
    return seq[:n_consts], seq[n_consts : n_consts + n_carry], seq[n_consts + n_carry :]


def _float_positions(values: Any) -> list[int]:
    return [i for i, v in enumerate(values) if _inexact(v)]


def _scan_impl(
    *args: Any, body: Graph, n_consts: int, n_carry: int, length: int, reverse: bool
) -> tuple:
    # The loop in Python over the body's tier-0 code (compiled once per body graph).
    consts, carry, xs = _split3(args, n_consts, n_carry)
    # on device arrays: the body's device form, the stacked outputs allocated on the device
    placement = placement_of(*args, what="scan")
    xp = np if placement is None else placement.xp
    step = compile_body(body, placement)
    out_avals = body.out_avals
    ys = [xp.empty((length, *a.shape), a.dtype) for a in out_avals[n_carry:]]
    for i in range(length - 1, -1, -1) if reverse else range(length):
        out = step(*consts, *carry, *[x[i] for x in xs])
        carry = out[:n_carry]
        for buf, y in zip(ys, out[n_carry:]):
            buf[i] = y
    final = []
    for c, a in zip(carry, out_avals[:n_carry]):
        c = xp.asarray(c, a.dtype)
        final.append(c[()] if c.ndim == 0 else c)
    return (*final, *ys)


scan_p.impl = _scan_impl  # scan_p is declared in ir/scan.py with its shape rule (graph passes
# such as the loop re-roller build scan equations there)


def _slice_aval(x: Any) -> ShapedArray:
    aval = aval_of(x)
    return ShapedArray(aval.shape[1:], aval.dtype)


def _scan_bind(
    step: Callable,
    consts: list,
    carry: list,
    xs: list,
    length: int,
    reverse: bool,
    what: str = "scan",
) -> list:
    """Trace ``step(*consts, *carry, *x_t) -> [*carry', *y_t]`` and bind one scan_p.

    Outer tracers the step closes over become extra constants (first in the body's inputs).
    """
    avals = [aval_of(c) for c in consts] + [aval_of(k) for k in carry]
    avals += [_slice_aval(x) for x in xs]
    graph, captured = trace_subgraph(lambda *a: list(step(*a)), avals, f"{what} body")
    graph = optimize(graph)
    n_carry = len(carry)
    for got, want in zip(graph.out_avals[:n_carry], avals[len(consts) :], strict=False):
        if (got.shape, got.dtype) != (want.shape, want.dtype):
            raise TypeError(
                f"{what}: f must return a carry with the shapes and dtypes of init, got {got} for "
                f"{want}; give init the dtype the loop computes (e.g. 0.0 instead of 0)"
            )
    out = scan_p.bind(
        *captured,
        *consts,
        *carry,
        *xs,
        body=graph,
        n_consts=len(captured) + len(consts),
        n_carry=n_carry,
        length=int(length),
        reverse=bool(reverse),
    )
    return list(out)


def _substitute(base: list, positions: list[int], values: Any) -> list:
    vals = list(base)
    for j, v in zip(positions, values, strict=True):
        vals[j] = v
    return vals


def _scan_jvp(
    primals: Any, tangents: Any, *, body: Graph, n_consts: int, n_carry: int, length: int,
    reverse: bool,
) -> tuple:
    # A scan of the body's jvp: the carry is (carry, d carry), the xs (xs, d xs), the constants
    # (consts, d consts); only floating-point entries carry tangents.
    consts, carry, xs = _split3(primals, n_consts, n_carry)
    t_consts, t_carry, t_xs = _split3(tangents, n_consts, n_carry)
    fc, fk, fx = _float_positions(consts), _float_positions(carry), _float_positions(xs)
    n_out = len(body.outs)
    fo = [j for j, a in enumerate(body.out_avals) if a.dtype.kind in "fc"]
    float_in = fc + [n_consts + i for i in fk] + [n_consts + n_carry + i for i in fx]
    counts = (n_consts, len(fc), n_carry, len(fk), len(xs), len(fx))

    def step(*a: Any) -> list:
        cs, tcs, k, tk, x, tx = _cut(a, counts)
        base = cs + k + x

        def f(*float_vals: Any) -> tuple:
            return tuple(eval_graph(body, _substitute(base, float_in, float_vals)))

        out, out_t = jvp(f, tuple(base[j] for j in float_in), tuple(tcs + tk + tx))
        out_t = [_instantiate(t, o) for t, o in zip(out_t, out)]
        k_out, y_out = list(out[:n_carry]), list(out[n_carry:])
        return k_out + [out_t[i] for i in fk] + y_out + [out_t[j] for j in fo if j >= n_carry]

    new_consts = consts + [_instantiate(t_consts[i], consts[i]) for i in fc]
    new_carry = carry + [_instantiate(t_carry[i], carry[i]) for i in fk]
    new_xs = xs + [_instantiate(t_xs[i], xs[i]) for i in fx]
    out = _scan_bind(step, new_consts, new_carry, new_xs, length, reverse, "scan jvp")
    fy = [j for j in fo if j >= n_carry]
    k_end, tk_end = out[:n_carry], out[n_carry : n_carry + len(fk)]
    ys = out[n_carry + len(fk) : n_carry + len(fk) + n_out - n_carry]
    ty = out[n_carry + len(fk) + n_out - n_carry :]
    primal_out = k_end + ys
    tangent_out: list = [Zero(o) for o in primal_out]
    for i, t in zip(fk, tk_end):
        tangent_out[i] = t
    for j, t in zip(fy, ty):
        tangent_out[j] = t
    return tuple(primal_out), tuple(tangent_out)


def _cut(seq: Any, counts: tuple) -> list[list]:
    parts, start = [], 0
    for n in counts:
        parts.append(list(seq[start : start + n]))
        start += n
    return parts


def _scan_fwd(
    *args: Any, body: Graph, n_consts: int, n_carry: int, length: int, reverse: bool
) -> tuple:
    # The forward scan also stacks the carry each step starts from: the backward pass's residuals
    # (the body is re-run from them inside the reverse scan, so nothing else is kept).
    consts, carry, xs = _split3(args, n_consts, n_carry)

    def step(*a: Any) -> list:
        return eval_graph(body, list(a)) + list(a[n_consts : n_consts + n_carry])

    out = _scan_bind(step, consts, carry, xs, length, reverse, "scan (forward pass)")
    n_out = len(body.outs)
    return tuple(out[:n_out]), tuple(out[n_out:])


def _scan_vjp(
    g: Any, ans: Any, *args: Any, residuals: tuple, body: Graph, n_consts: int, n_carry: int,
    length: int, reverse: bool,
) -> tuple:
    # A scan in the opposite direction over the body's vjp: its carry is (d carry, the running
    # sum of d consts), its xs (the stacked carries, xs, d ys), its ys the d xs.
    consts, carry, xs = _split3(args, n_consts, n_carry)
    fc, fk, fx = _float_positions(consts), _float_positions(carry), _float_positions(xs)
    fy = [j for j, a in enumerate(body.out_avals[n_carry:]) if a.dtype.kind in "fc"]
    n_args = len(args)
    if not fk and not fy:
        return (None,) * n_args
    float_in = fc + [n_consts + i for i in fk] + [n_consts + n_carry + i for i in fx]
    ct_carry = [_instantiate(g[i], ans[i]) for i in fk]
    ct_ys = [_instantiate(g[n_carry + j], ans[n_carry + j]) for j in fy]
    ct_consts = [fnp.zeros_like(consts[i]) for i in fc]
    counts = (n_consts, len(fk), len(fc), n_carry, len(xs), len(fy))

    def step(*a: Any) -> list:
        cs, ctk, ctc, k, x, cty = _cut(a, counts)
        base = cs + k + x

        def f(*float_vals: Any) -> list:
            outs = eval_graph(body, _substitute(base, float_in, float_vals))
            return [outs[i] for i in fk] + [outs[n_carry + j] for j in fy]

        _, pullback = vjp(f, *(base[j] for j in float_in))
        cts = [_instantiate(c, base[j]) for c, j in zip(pullback(ctk + cty), float_in)]
        d_consts, d_carry, d_x = _cut(cts, (len(fc), len(fk), len(fx)))
        return d_carry + [fnp.add(s, d) for s, d in zip(ctc, d_consts)] + d_x

    out = _scan_bind(
        step,
        consts,
        ct_carry + ct_consts,
        list(residuals) + xs + ct_ys,
        length,
        not reverse,
        "scan (backward pass)",
    )
    d_carry, d_consts, d_xs = _cut(out, (len(fk), len(fc), len(fx)))
    cts: list = [None] * n_args
    for i, d in zip(fc, d_consts):
        cts[i] = d
    for i, d in zip(fk, d_carry):
        cts[n_consts + i] = d
    for i, d in zip(fx, d_xs):
        cts[n_consts + n_carry + i] = d
    return tuple(cts)


def _scan_batch(
    args: Any, dims: Any, *, axis_size: int, body: Graph, n_consts: int, n_carry: int,
    length: int, reverse: bool,
) -> tuple:
    # The scan of the vmapped body: mapped constants and every carry (a carry may become mapped
    # after one step, so all are) on axis 0; mapped xs on axis 1 (axis 0 is the loop's).
    consts, carry, xs = _split3(args, n_consts, n_carry)
    c_dims, k_dims, x_dims = _split3(dims, n_consts, n_carry)
    consts = [c if d is None else moveaxis(c, d, 0) for c, d in zip(consts, c_dims)]
    carry = [
        fnp.broadcast_to(k, (axis_size, *fnp.shape(k))) if d is None else moveaxis(k, d, 0)
        for k, d in zip(carry, k_dims)
    ]
    xs = [x if d is None else moveaxis(x, d, 1) for x, d in zip(xs, x_dims)]
    in_axes = tuple(
        [None if d is None else 0 for d in c_dims]
        + [0] * n_carry
        + [None if d is None else 0 for d in x_dims]
    )

    def run_body(*a: Any) -> list:
        return eval_graph(body, list(a))

    batched_body = vmap(run_body, in_axes=in_axes, out_axes=0, axis_size=axis_size)
    out = _scan_bind(batched_body, consts, carry, xs, length, reverse, "scan (vmapped)")
    return out, [0] * n_carry + [1] * (len(out) - n_carry)


scan_p.jvp = _scan_jvp
scan_p.fwd = _scan_fwd
scan_p.vjp = _scan_vjp
scan_p.batch = _scan_batch


# --------------------------------------------------------------------------------------------
# fori_loop and scan (static trip counts)
# --------------------------------------------------------------------------------------------


def fori_loop(lower: int, upper: int, body_fun: Callable, init_val: Any) -> Any:
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    Parameters
    ----------
    lower, upper : int
        Loop bounds. Static integers give a loop that is differentiable in both modes (under
        jit one ``scan`` equation over ``arange(lower, upper)``: ``i`` is then a traced int64
        scalar); traced bounds become a ``while_loop`` (forward mode only).
    body_fun : callable
        ``body_fun(i, val) -> val``.
    init_val : pytree

    Returns
    -------
    pytree
    """
    if _is_concrete(lower) and _is_concrete(upper):
        lo, hi = int(lower), int(upper)
        if not _staging_active():
            val = init_val
            for i in range(lo, hi):
                val = body_fun(i, val)
            return val
        steps = np.arange(lo, max(lo, hi), dtype=np.int64)
        val, _ = scan(lambda v, i: (body_fun(i, v), None), init_val, steps)
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
        ``f(carry, x) -> (carry, y)``; ``carry`` keeps its structure, shapes and dtypes.
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
    Differentiable in both modes (the trip count is static). Under jit (or inside another
    loop's body) the loop is one ``scan`` equation carrying ``f``'s graph: tier 0 runs it as a
    Python loop over the body's code, tier 1 as a loop in the numba kernel, and its derivatives
    are scans too (reverse mode: the forward scan keeps the carries, a reverse scan runs the
    body's vjp). Outside jit it is a plain Python loop, so eager ``grad`` records the unrolled
    iterations on the tape: for the short loops of eager code that is faster than tracing and
    compiling the body first.
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
    init_tree = tree_structure(init)
    if _staging_active():
        return _scan_staged(f, init, xs_flat, xs_tree, n, reverse)
    carry = init
    ys = []
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


def _scan_staged(
    f: Callable, init: Any, xs_flat: list, xs_tree: Any, length: int, reverse: bool
) -> tuple[Any, Any]:
    """``scan`` as one scan_p equation (under jit or inside another loop's body)."""
    init_flat, init_tree = tree_flatten(init)
    n_carry = len(init_flat)
    y_trees: list = []

    def step(*a: Any) -> list:
        carry = tree_unflatten(init_tree, list(a[:n_carry]))
        x = tree_unflatten(xs_tree, list(a[n_carry:])) if xs_flat else None
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"scan: f must return a pair (carry, y), got {type(out).__name__}")
        new_carry, y = out
        new_flat, new_tree = tree_flatten(new_carry)
        if new_tree != init_tree:
            raise TypeError(
                f"scan: f must return a carry with the structure of init {init_tree}, got "
                f"{new_tree}"
            )
        y_flat, y_tree = tree_flatten(y)
        y_trees.append(y_tree)
        return new_flat + y_flat

    out = _scan_bind(step, [], list(init_flat), list(xs_flat), length, reverse)
    return tree_unflatten(init_tree, out[:n_carry]), tree_unflatten(y_trees[0], out[n_carry:])
