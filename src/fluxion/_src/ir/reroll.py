"""Loop re-rolling: a run of repeated equation blocks in a staged graph becomes one ``scan``.

A Python ``for`` loop over a static range inside a jitted function is unrolled by tracing: an
ARMA(1,1) likelihood of 200 steps, with its gradient, is ~5,400 equations, and numba takes
tens of seconds to compile the straight-line kernel. :func:`reroll` finds such runs after the
other passes and rewrites each as one ``scan_p`` equation whose body is one block, so tier 0,
tier 1 and the compiled NUTS run a real loop.

What counts as a run (anything else stays unrolled; the pass never guesses):

* ``R >= min_steps`` consecutive blocks of ``P`` equations (``R * P >= min_eqns``) with the
  same primitives, the same parameters, the same input types and the same literal constants,
  position by position. A ``getitem`` may differ in its first static index (``y[t]``), which
  must advance by one constant stride from block to block; a float64 scalar literal may
  change from block to block (see (e)).
* Every input of block ``k`` is (a) a value of block ``k`` itself at the same position in
  every block, (b) a value of block ``k - 1`` at the same position in every block: a *carry*
  (block 0 reads its initial value, one value defined before the run, the same for every use),
  (c) one value defined before the run, or the same literal, in every block: a constant, or
  (d) ``A[i0 + k * stride, ...]`` for one array ``A`` defined before the run and a constant
  stride (an indexed element in the block, a ``getitem`` before the run, or the element an
  earlier block indexed: ``y[t - 2]``): a scanned input, passed to the scan as a slice
  ``A[start:stop:step]`` (a view: no copy of the data per step), or (e) a float64 scalar
  literal whose value changes (a captured data array's elements, which constant folding
  turned into literals; ``0.01 * t``): scanned from one constant array of those values.
* Strides of one run share a sign (all negative: the scan runs in reverse).
* Values of a block used after the run become the scan's final carry (a carry of the last
  block) or a stacked output ``ys`` read back with ``getitem`` where used (what the reverse
  pass of a gradient reads: the next run then scans these ``ys`` as its inputs).

Exactness: the body is block 0's equations in their order, so every step performs the same
operations on the same operands as the unrolled graph: results are bitwise equal.

Detection: each equation gets an integer signature (primitive, parameters with the first
``getitem`` index abstracted, input types, literals); the most frequent distances between
equal signatures are the periods ``P`` examined, and for each a vectorized comparison of the
signature array with itself shifted by ``P`` gives the runs. The candidates
that cover the most equations are checked first (every phase of the run), the first that
passes the rules above is rewritten, and the search repeats on the new graph (the forward and
the reverse loop of a gradient are two runs). A scan body is re-rolled too (nested loops).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import ShapedArray
from ..prims.indexing import getitem_p
from .graph import Eqn, Graph, Lit, Var
from .passes import dead_code, substituted
from .scan import scan_p

__all__ = ["reroll", "count_eqns"]

# Runs shorter than this many steps stay unrolled (a loop of 2-3 steps is cheaper straight).
MIN_STEPS = 4
# Runs covering fewer equations stay unrolled: a short straight-line graph compiles quickly,
# and on the tape machine (the compiled NUTS's potential for small models) a loop adds the
# copies of its carry and slices per iteration.
MIN_EQNS = 128
# The same inside a loop's body (already a loop: no tape to keep).
BODY_MIN_EQNS = 16
# Longest block looked for, in equations.
MAX_PERIOD = 2000
# Periods examined per search (the most frequent distances between equal signatures).
MAX_PERIODS_CHECKED = 64
# Candidates checked per search before giving up on the graph.
MAX_CANDIDATES = 24
# Checks of a (run, phase, length) per call of reroll: bounds the pass's time on a large graph
# full of near-repeats that never pass.
MAX_ATTEMPTS = 150
# Phases (first equation of block 0 within the periodic stretch) tried per candidate: a loop
# whose blocks depend on adjacent blocks only passes at any phase, so the first few are
# enough, and failing candidates (the reverse pass of a gradient, before its forward loop is
# re-rolled) must not eat the attempt budget.
MAX_PHASES = 8
# How many blocks a run may be shortened by at its end when its last blocks do not fit.
TRIM_STEPS = 2


def count_eqns(graph: Graph) -> int:
    """Equations of ``graph`` and, recursively, of its loops' bodies."""
    n = 0
    for eqn in graph.eqns:
        n += 1
        if eqn.prim is scan_p:
            n += count_eqns(eqn.params["body"])
    return n


# --------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------


def _lit_key(lit: Lit) -> Any:
    val = lit.val
    if type(val) in (int, float, bool, complex):
        return (type(val).__name__, repr(val))
    arr = np.asarray(val)
    if arr.size <= 64:
        return (arr.dtype.str, arr.shape, arr.tobytes(), isinstance(val, np.ndarray))
    return ("array", id(val))


def _slice_key(step: tuple) -> tuple:
    """(array, first index, stride) of a scanned input: the slice the scan reads."""
    return (id(step[0]), step[2], step[3])


def _float_scalar(atom: Any) -> bool:
    """A float64 scalar literal (Python float or NumPy float64)."""
    if type(atom) is not Lit:
        return False
    val = atom.val
    return type(val) is float or (
        isinstance(val, np.float64 | np.ndarray) and np.ndim(val) == 0
        and np.asarray(val).dtype == np.float64
    )


def _is_index_getitem(eqn: Eqn) -> bool:
    """``getitem`` whose first spec entry is a static integer (``A[t]``, ``A[t, ...]``)."""
    if eqn.prim.name != "getitem" or len(eqn.inputs) != 1:
        return False
    spec = eqn.params.get("spec", ())
    return bool(spec) and spec[0][0] == "i"


def _params_key(eqn: Eqn) -> Any:
    params = eqn.params
    if _is_index_getitem(eqn):
        params = dict(params, spec=(("i", None),) + tuple(params["spec"][1:]))
    items = []
    for k, v in sorted(params.items()):
        if isinstance(v, np.ndarray):
            v = ("array", id(v))
        items.append((k, v))
    key = tuple(items)
    hash(key)
    return key


def _signature(eqn: Eqn) -> Any:
    try:
        params = _params_key(eqn)
    except TypeError:  # unhashable parameters: never part of a run
        return ("unique", id(eqn))
    # float64 scalar literals by type only: the check tells equal ones (body constants) from
    # changing ones (scanned from a stacked constant array)
    ins = tuple(
        ("V", a.aval.shape, a.aval.dtype.str) if type(a) is not Lit
        else ("F", type(a.val).__name__) if _float_scalar(a)
        else ("L", _lit_key(a))
        for a in eqn.inputs
    )
    outs = tuple((v.aval.shape, v.aval.dtype.str) for v in eqn.outs)
    return (eqn.prim, params, ins, outs)


def _candidates(
    ids: np.ndarray, min_steps: int, min_eqns: int
) -> list[tuple[int, int, int, int]]:
    """(covered equations, period, start) of the longest periodic run for each period."""
    n = ids.size
    # periods worth checking: distances between an equation and the previous one with the same
    # signature, the most frequent first (a loop of period P puts most equations at distance P)
    order = np.argsort(ids, kind="stable")
    same = ids[order[1:]] == ids[order[:-1]]
    gaps = (order[1:] - order[:-1])[same]
    gaps = gaps[gaps <= min(MAX_PERIOD, n // min_steps)]
    if gaps.size == 0:
        return []
    counts = np.bincount(gaps)
    periods = np.flatnonzero(counts >= min_steps)
    periods = periods[np.argsort(-counts[periods], kind="stable")][:MAX_PERIODS_CHECKED]
    found = []
    for period in (int(p) for p in periods):
        same = ids[:-period] == ids[period:]
        if not same.any():
            continue
        edges = np.diff(np.concatenate(([0], same.astype(np.int8), [0])))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        lengths = ends - starts
        best = int(np.argmax(lengths))
        steps = (int(lengths[best]) + period) // period
        if steps >= min_steps and steps * period >= min_eqns:
            found.append((steps * period, period, int(starts[best]), int(lengths[best])))
    found.sort(key=lambda c: (-c[0], c[1]))
    return found


# --------------------------------------------------------------------------------------------
# Checking one run and rewriting it
# --------------------------------------------------------------------------------------------


class _NotALoop(Exception):
    pass


def _getitem_step(eqns: list[Eqn], indices: list[int], array_of: Any) -> tuple | None:
    """For per-block getitem equations: (array atom, rest of spec, first index, stride)."""
    first = eqns[indices[0]]
    if not _is_index_getitem(first):
        return None
    arr = array_of(first)
    spec = first.params["spec"]
    n = arr.aval.shape[0] if arr.aval.ndim else 0
    idx = []
    for i in indices:
        e = eqns[i]
        if not _is_index_getitem(e) or array_of(e) is not arr:
            return None
        s = e.params["spec"]
        if tuple(s[1:]) != tuple(spec[1:]):
            return None
        k = s[0][1]
        idx.append(k + n if k < 0 else k)
    stride = idx[1] - idx[0]
    if stride == 0 or any(b - a != stride for a, b in zip(idx, idx[1:])):
        return None
    if not all(0 <= k < n for k in idx):
        return None
    return arr, tuple(spec[1:]), idx[0], stride


def _rewrite(graph: Graph, where: dict, start: int, period: int, steps: int) -> Graph:
    """The graph with blocks ``start + k*period`` (k < steps) as one scan (or _NotALoop).

    ``where`` maps ``id(var)`` to (defining equation's index, output position)."""
    eqns = graph.eqns
    end = start + period * steps
    for g in range(start, end):
        if not eqns[g].outs:
            raise _NotALoop("an equation with no result (a guard) in the run")

    def classify(atom: Any, k: int) -> tuple:
        if type(atom) is Lit:
            return ("lit", _lit_key(atom))
        pos = where.get(id(atom))
        if pos is None or pos[0] < start:
            return ("out", id(atom))
        g, o = pos
        kb, j = divmod(g - start, period)
        if kb == k:
            return ("in", j, o)
        if kb == k - 1:
            return ("carry", j, o)
        return ("far", j, o)  # two or more blocks back: only an indexed element may be

    def indexed(atoms: list) -> tuple | None:
        """The (array, rest, first index, stride) when ``atoms`` are ``A[i0 + k*stride]``
        of one array defined before the run, whatever equation indexes it."""
        producers = [None if type(x) is Lit else where.get(id(x)) for x in atoms]
        if any(p is None or p[1] != 0 for p in producers):
            return None
        step = _getitem_step(eqns, [p[0] for p in producers], lambda e: e.inputs[0])
        if step is None:
            return None
        arr = step[0]
        if type(arr) is Var:
            pos = where.get(id(arr))
            if pos is not None and pos[0] >= start:
                return None
        return step

    # eqns whose own parameters vary: index getitems of one array, as scanned inputs
    scanned_eqn: dict[int, tuple] = {}
    for j in range(period):
        block = [start + k * period + j for k in range(steps)]
        if _is_index_getitem(eqns[block[0]]):
            specs = {eqns[g].params["spec"] for g in block}
            if len(specs) > 1:
                kinds = {classify(eqns[g].inputs[0], k) for k, g in enumerate(block)}
                if len(kinds) != 1 or next(iter(kinds))[0] not in ("out", "lit"):
                    raise _NotALoop("an indexed array that changes from block to block")
                step = _getitem_step(eqns, block, lambda e: e.inputs[0])
                if step is None:
                    raise _NotALoop("indices that do not advance by one constant stride")
                scanned_eqn[j] = step
        # (other parameters are equal: the blocks' signatures are)
    if len(scanned_eqn) == period:
        raise _NotALoop("blocks that only index (reads of a stacked output): nothing to loop")

    # every input position: its role across the blocks
    roles: dict[tuple[int, int], tuple] = {}
    init_of: dict[tuple[int, int], Any] = {}  # carry (j, o) -> its initial atom
    for j in range(period):
        if j in scanned_eqn:
            continue
        n_in = len(eqns[start + j].inputs)
        for a in range(n_in):
            atoms = [eqns[start + k * period + j].inputs[a] for k in range(steps)]
            kinds = [classify(x, k) for k, x in enumerate(atoms)]
            if all(c[0] == "lit" for c in kinds) and len(set(kinds)) > 1:
                # a literal that changes from step to step (a captured array's elements,
                # folded): scanned from a constant array of the same float64 values
                e = eqns[start + j]
                if not all(_float_scalar(x) for x in atoms) or any(
                    v.aval.dtype != np.float64 for v in e.outs
                ):
                    raise _NotALoop("a constant that changes from block to block")
                values = np.array([float(x.val) for x in atoms], dtype=np.float64)
                roles[(j, a)] = ("xs", (Lit(values), (), 0, 0))  # stride 0: stacked here
                continue
            later = set(kinds[1:])
            if len(later) != 1 or any(c[0] == "far" for c in kinds):
                # per-step elements A[i0 + k*stride] (indexed before the run, or in an
                # earlier block: y[t - 2] is the y[t] of two steps back)
                step = indexed(atoms)
                if step is None:
                    raise _NotALoop("an input that changes from block to block")
                roles[(j, a)] = ("xs", step)
                continue
            kind = next(iter(later))
            if kind[0] == "carry":
                if kinds[0][0] not in ("out", "lit"):
                    raise _NotALoop("block 0 reads a carry from inside the run")
                key = (kind[1], kind[2])
                init = atoms[0]
                prev = init_of.setdefault(key, init)
                if prev is not init and not (
                    type(prev) is Lit and type(init) is Lit and _lit_key(prev) == _lit_key(init)
                ):
                    raise _NotALoop("one carry with two different initial values")
                aval = eqns[start + key[0]].outs[key[1]].aval
                if (init.aval.shape, init.aval.dtype) != (aval.shape, aval.dtype):
                    raise _NotALoop("an initial value of another type than its carry")
                roles[(j, a)] = ("carry", key)
            elif kinds[0] != kind:
                raise _NotALoop("block 0 differs from the others")
            elif kind[0] == "in":
                roles[(j, a)] = ("in", (kind[1], kind[2]))
            elif kind[0] == "lit":
                roles[(j, a)] = ("lit", atoms[0])
            else:
                roles[(j, a)] = ("const", atoms[0])

    # values used after the run
    used_after: dict[int, list] = {}  # id(var) -> [(eqn index or -1 for graph outs, pos)]
    for g in range(end, len(eqns)):
        for p, a in enumerate(eqns[g].inputs):
            if type(a) is Var:
                used_after.setdefault(id(a), []).append((g, p))
    for p, o in enumerate(graph.outs):
        if type(o) is Var:
            used_after.setdefault(id(o), []).append((-1, p))
    leaving: dict[tuple[int, int], list[int]] = {}  # (j, o) -> blocks whose value leaves
    for k in range(steps):
        for j in range(period):
            for o, v in enumerate(eqns[start + k * period + j].outs):
                if id(v) in used_after:
                    leaving.setdefault((j, o), []).append(k)

    # signs of the strides: one direction per scan
    steps_xs = [r[1] for r in roles.values() if r[0] == "xs"] + list(scanned_eqn.values())
    signs = {s[3] > 0 for s in steps_xs if s[3] != 0}
    if len(signs) > 1:
        raise _NotALoop("scanned inputs that run in opposite directions")
    reverse = signs == {False}

    # ---- the body: block 0's equations over new variables ----------------------------------
    carries = list(dict.fromkeys(r[1] for r in roles.values() if r[0] == "carry"))
    consts = list(dict.fromkeys(r[1] for r in roles.values() if r[0] == "const"))
    # one scanned slice per (array, first index, stride): y[t, 0] and y[t, 1] share y[t]
    xs_steps = [r[1] for r in roles.values() if r[0] == "xs"] + list(scanned_eqn.values())
    by_slice: dict[tuple, tuple] = {}
    for step in xs_steps:
        by_slice.setdefault(_slice_key(step), step)
    xs_keys = list(by_slice.values())
    const_vars = {id(c): Var(c.aval) for c in consts}
    carry_vars = {key: Var(eqns[start + key[0]].outs[key[1]].aval) for key in carries}

    def x_aval(step: tuple) -> ShapedArray:
        arr = step[0]
        return ShapedArray(tuple(arr.aval.shape[1:]), arr.aval.dtype)

    xs_vars = {_slice_key(step): Var(x_aval(step)) for step in xs_keys}
    body_env: dict[tuple[int, int], Any] = {}
    body_eqns = []
    elements: dict[Any, Any] = {}

    def element(step: tuple) -> Any:
        """The step's element in the body: the scanned slice, indexed further by ``rest``."""
        key = (id(step[0]), step[1:])
        if key not in elements:
            arr, rest = step[0], step[1]
            if rest:
                out = Var(_index_aval(arr.aval.shape[1:], arr.aval.dtype, rest))
                body_eqns.append(Eqn(getitem_p, [xs_vars[_slice_key(step)]], {"spec": rest}, [out]))
                elements[key] = out
            else:
                elements[key] = xs_vars[_slice_key(step)]
        return elements[key]

    for j in range(period):
        e = eqns[start + j]
        if j in scanned_eqn:
            body_env[(j, 0)] = element(scanned_eqn[j])
            continue
        ins = []
        for a in range(len(e.inputs)):
            kind, val = roles[(j, a)]
            if kind == "in":
                ins.append(body_env[val])
            elif kind == "carry":
                ins.append(carry_vars[val])
            elif kind == "lit":
                ins.append(val)
            elif kind == "const":
                ins.append(const_vars[id(val)])
            else:
                ins.append(element(val))
        outs = [Var(v.aval) for v in e.outs]
        for o, v in enumerate(outs):
            body_env[(j, o)] = v
        body_eqns.append(Eqn(e.prim, ins, e.params, outs))
    ys_keys = []
    final_carry = set()
    for key, blocks in leaving.items():
        if key in carry_vars and blocks == [steps - 1]:
            final_carry.add(key)
        else:
            ys_keys.append(key)
    body = Graph(
        [const_vars[id(c)] for c in consts] + [carry_vars[k] for k in carries]
        + [xs_vars[_slice_key(s)] for s in xs_keys],
        body_eqns,
        [body_env[k] for k in carries] + [body_env[k] for k in ys_keys],
    )
    body = reroll(dead_code(body), min_eqns=BODY_MIN_EQNS)  # an inner loop

    # ---- the outer equations: slices, the scan, reads of its stacked outputs ----------------
    new_eqns = list(eqns[:start])
    xs_atoms = []
    for step in xs_keys:
        arr, _, i0, stride = step
        if stride == 0:  # literals stacked in block order
            xs_atoms.append(Lit(arr.val[::-1].copy()) if reverse else arr)
            continue
        if reverse:
            lo, hi, by = i0 + (steps - 1) * stride, i0 + 1, -stride
        else:
            lo, hi, by = i0, i0 + (steps - 1) * stride + 1, stride
        aval = ShapedArray((steps, *arr.aval.shape[1:]), arr.aval.dtype)
        if (lo, hi, by) == (0, arr.aval.shape[0], 1):
            xs_atoms.append(arr)
            continue
        out = Var(aval)
        spec = (("s", lo, hi, by),)
        new_eqns.append(Eqn(getitem_p, [arr], {"spec": spec}, [out]))
        xs_atoms.append(out)
    carry_out = {k: Var(carry_vars[k].aval) for k in carries}
    ys_out = {k: Var(ShapedArray((steps, *body_env[k].aval.shape), body_env[k].aval.dtype))
              for k in ys_keys}
    params = {
        "body": body,
        "n_consts": len(consts),
        "n_carry": len(carries),
        "length": steps,
        "reverse": reverse,
    }
    new_eqns.append(Eqn(
        scan_p,
        list(consts) + [init_of[k] for k in carries] + xs_atoms,
        params,
        [carry_out[k] for k in carries] + [ys_out[k] for k in ys_keys],
    ))
    env: dict[int, Any] = {}
    for key, blocks in leaving.items():
        j, o = key
        for k in blocks:
            old = eqns[start + k * period + j].outs[o]
            if key in final_carry:
                env[id(old)] = carry_out[key]
                continue
            i = steps - 1 - k if reverse else k
            new = Var(old.aval)
            new_eqns.append(Eqn(getitem_p, [ys_out[key]], {"spec": (("i", i),)}, [new]))
            env[id(old)] = new
    for e in eqns[end:]:
        ins = substituted(e.inputs, env)
        # an equation that reads nothing of the run is kept as it is (reroll's signature
        # cache then knows it on the next pass)
        same = all(x is y for x, y in zip(ins, e.inputs))
        new_eqns.append(e if same else Eqn(e.prim, ins, e.params, e.outs))
    outs = substituted(graph.outs, env)
    return Graph(graph.in_vars, new_eqns, outs)


def _index_aval(shape: tuple, dtype: Any, spec: tuple) -> ShapedArray:
    """The aval of ``x[spec]`` for static integer/slice specs."""
    dummy = np.broadcast_to(np.zeros((), dtype), shape)
    index = []
    for entry in spec:
        if entry[0] == "i":
            index.append(entry[1])
        elif entry[0] == "s":
            index.append(slice(*entry[1:]))
        else:
            raise _NotALoop("a sub-index other than integers and slices")
    return ShapedArray(dummy[tuple(index)].shape, np.dtype(dtype))


def reroll(graph: Graph, min_steps: int = MIN_STEPS, min_eqns: int = MIN_EQNS) -> Graph:
    """``graph`` with its runs of repeated equation blocks rewritten as ``scan`` equations.

    Parameters
    ----------
    graph : Graph
        An optimized graph (``ir.passes.optimize``): common subexpressions shared, dead code
        gone, so the blocks of an unrolled loop line up.
    min_steps : int, optional
        Shortest run rewritten, in blocks.
    min_eqns : int, optional
        Fewest equations a rewritten run covers.

    Returns
    -------
    Graph
        The same computation, bitwise (module docstring); ``graph`` itself when nothing
        repeats. Unused stacked reads are removed (dead code).
    """
    if scan_p.impl is None:  # lax (which gives scan its implementation) is not loaded
        return graph
    changed = False
    attempts = 0
    # id(eqn) -> (eqn, its signature): a pass after a rewrite meets mostly the same equations
    # (the eqn is kept alive with its entry, so its id is not reused)
    signatures: dict[int, tuple] = {}

    def signature(e: Eqn) -> Any:
        hit = signatures.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        sig = _signature(e)
        signatures[id(e)] = (e, sig)
        return sig

    for _ in range(16):  # runs rewritten, at most
        eqns = graph.eqns
        if len(eqns) < max(2 * min_steps, min_eqns):
            break
        table: dict[Any, int] = {}
        ids = np.fromiter(
            (table.setdefault(signature(e), len(table)) for e in eqns), np.int64, len(eqns)
        )
        where = {id(v): (g, o) for g, e in enumerate(eqns) for o, v in enumerate(e.outs)}
        done = False
        tried: list[tuple[int, int, int]] = []
        for _, period, run_start, run_len in _candidates(ids, min_steps, min_eqns):
            if len(tried) >= MAX_CANDIDATES:
                break
            total = run_len + period  # equations in the periodic stretch
            if any(
                period % p == 0 and period > 2 * p and run_start < s + n and s < run_start + total
                for p, s, n in tried
            ):
                # a multiple of a period that failed on the same stretch: twice the period is
                # tried (two steps per block carry a recursion two steps deep, x[t - 2]),
                # higher multiples are not
                continue
            tried.append((period, run_start, total))
            for phase in range(min(period, MAX_PHASES)):
                steps = (total - phase) // period
                # the first or last steps of a loop often differ (an initial value, the
                # reverse pass reaching the peeled first step): also try a run shorter by
                # up to TRIM_STEPS blocks at its end
                for fewer in range(TRIM_STEPS + 1):
                    if steps - fewer < min_steps or (steps - fewer) * period < min_eqns:
                        break
                    attempts += 1
                    if attempts > MAX_ATTEMPTS:
                        return dead_code(graph) if changed else graph
                    try:
                        graph = _rewrite(graph, where, run_start + phase, period, steps - fewer)
                    except _NotALoop:
                        continue
                    done = changed = True
                    break
                if done:
                    break
            if done:
                break
        if not done:
            break
    return dead_code(graph) if changed else graph
