"""Tier 1: the whole graph as one numba-compiled function (no Python between operations).

A graph is lowered when every equation has a numba lowering (arithmetic, NumPy ufuncs,
reductions over all axes or one axis, static indexing and its scatter, reshape, transpose,
broadcast, where, casts, matmul, concatenate, guards). Array constants become extra arguments
(numba would otherwise freeze them into the machine code). Large problems (an array of 10^5
elements or more) are compiled with ``parallel=True``: numba's ParallelAccelerator fuses
elementwise expressions into loops and runs them on every core.

The generated source is written to a file in the cache directory (named by its hash) so that
numba's on-disk cache (``cache=True``) serves the compiled kernel to later processes.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import ShapedArray
from ..ir.graph import Eqn, Graph, Lit, Var, gc_paused
from . import lowering
from .numpy_tier import _OPERATORS, _index_source  # noqa: F401  (shared with tier 0)

__all__ = ["numba_available", "generate_numba", "NumbaCode"]

PARALLEL_MIN_SIZE = 100_000

def numba_available() -> bool:
    """Whether numba can be imported (tier 1 needs it; tier 0 does not)."""
    return importlib.util.find_spec("numba") is not None


class NumbaCode:
    """Tier-1 code: the source, the numba dispatcher and the wrapper that adds constants."""

    __slots__ = ("source", "kernel", "fn", "path", "parallel", "module_name", "name", "consts",
                 "cacheable")

    def __init__(self, source: str, kernel: Any, fn: Callable, path: str, parallel: bool,
                 module_name: str = "", name: str = "", consts: tuple = (),
                 cacheable: bool = True) -> None:
        self.source = source
        self.kernel = kernel
        self.fn = fn
        self.path = path
        self.parallel = parallel
        self.module_name = module_name  # importable (registered in sys.modules)
        self.name = name
        self.consts = consts  # the array constants passed after the inputs
        self.cacheable = cacheable


def index_spec(eqn: Any) -> tuple:
    """A getitem/scatter_add index spec with its Ellipsis expanded into full slices (numba's
    indexing takes ``...`` poorly; the array's rank is static, so the expansion is exact)."""
    spec = eqn.params["spec"]
    if not any(e[0] == "e" for e in spec):
        return spec
    ndim = len(eqn.params["shape"]) if eqn.prim.name == "scatter_add" else eqn.inputs[0].aval.ndim
    used = sum(1 for e in spec if e[0] not in "ne")  # entries that consume an axis
    full = ("s", None, None, None)
    out: list = []
    for e in spec:
        if e[0] == "e":
            out.extend([full] * (ndim - used))
        else:
            out.append(e)
    return tuple(out)


def _index_ok(spec: tuple) -> bool:
    return sum(1 for e in spec if e[0] == "a") <= 1 and not any(e[0] in "ne" for e in spec)


def _lowering(eqn: Any) -> str | None:
    """A format string for the equation (``{0}``... operands), or None if not lowerable.

    Elementwise primitives: their scalar formula (``lowering.array_formula``); the others: the
    numba lowering table (the registered blocks below); user primitives: their own template.
    """
    name = eqn.prim.name
    registered = lowering.lowering("numba", name)
    if registered is not None:
        return registered(eqn)
    if not eqn.params and lowering.reason("numba", name) is None:
        formula = lowering.array_formula(eqn.prim)
        if formula is not None:
            if not lowering.array_safe(eqn.prim) and any(
                np.dtype(v.aval.dtype) != np.float64 for v in eqn.outs
            ):
                return None  # vectorized formulas are float64 -> float64
            return formula
    user = _user_lowering(eqn)
    if user is not None:
        return user["call"]
    return None


def _in_avals(eqn: Any) -> list:
    return [a.aval for a in eqn.inputs]


# numba's np.linalg (LAPACK through SciPy) takes single 2-D matrices
@lowering.register("numba", "inv")
def _numba_inv(eqn: Any) -> str | None:
    """Single 2-D matrices only (numba's np.linalg)."""
    return "np.linalg.inv({0})" if _in_avals(eqn)[0].ndim == 2 else None


@lowering.register("numba", "slogdet")
def _numba_slogdet(eqn: Any) -> str | None:
    """Single 2-D matrices only (numba's np.linalg)."""
    return "np.linalg.slogdet({0})" if _in_avals(eqn)[0].ndim == 2 else None


@lowering.register("numba", "solve")
def _numba_solve(eqn: Any) -> str | None:
    """A 2-D matrix and a 1-D or 2-D right-hand side only (numba's np.linalg)."""
    a, b = _in_avals(eqn)
    return "np.linalg.solve({0}, {1})" if a.ndim == 2 and b.ndim in (1, 2) else None


# Cholesky and triangular solves: the kernels of ``linalg_kernels`` (imported by the generated
# module, see ``linalg_prelude``), batched over the leading dimensions; NaN for a matrix that is
# not positive definite
LINALG_KERNELS = {
    "_fx_cholesky_nd": "cholesky_nd",
    "_fx_triangular_solve_nd": "triangular_solve_nd",
    "_fx_sum_nd": "sum_nd",
    "_fx_dot_nd": "dot_nd",
    "_fx_cumulative_last": "cumulative_last",
    "_fx_reduce_axes": "reduce_axes",
}


@lowering.register("numba", "cholesky")
def _numba_cholesky(eqn: Any) -> str | None:
    """float64 stacks of matrices."""
    return "_fx_cholesky_nd({0})" if _in_avals(eqn)[0].dtype == np.float64 else None


@lowering.register("numba", "triangular_solve")
def _numba_triangular_solve(eqn: Any) -> str | None:
    """float64 stacks; leading dimensions of ``a`` and ``b`` broadcast first."""
    a, b = _in_avals(eqn)
    if a.dtype != np.float64 or b.dtype != np.float64:
        return None
    out = tuple(eqn.outs[0].aval.shape)
    n = a.shape[-1]
    ops = []
    for k, (aval, shape) in enumerate(((a, out[:-2] + (n, n)), (b, out))):
        ops.append(f"{{{k}}}" if tuple(aval.shape) == shape else
                   f"np.broadcast_to({{{k}}}, {shape!r})")
    p = eqn.params
    flags = f"{bool(p['lower'])}, {bool(p['transpose_a'])}, {bool(p['unit_diagonal'])}"
    return f"_fx_triangular_solve_nd({ops[0]}, {ops[1]}, {flags})"


def linalg_prelude(source: str) -> str:
    """The import of the linear-algebra kernels that generated ``source`` calls ("" if none),
    with the kernels' digest: numba's cache of a kernel does not notice a changed callee, so
    a change to ``linalg_kernels.py`` must give a new module."""
    used = [n for n in sorted(LINALG_KERNELS) if re.search(rf"\b{n}\(", source)]
    if not used:
        return ""
    from . import linalg_kernels
    from .cache import digest_of

    names = ", ".join(f"{LINALG_KERNELS[n]} as {n}" for n in used)
    return (f"# linalg_kernels {digest_of(linalg_kernels.__file__)}\n"
            f"from fluxion._src.codegen.linalg_kernels import {names}\n\n\n")


@lowering.register("numba", "cumsum")
@lowering.register("numba", "cumprod")
def _numba_cumulative(eqn: Any) -> str | None:
    """1-D arrays (numba's own), or float64 along the last axis (``prod``'s gradient takes
    running products of its operand, ``cumprod``'s of a square array's rows)."""
    x = _in_avals(eqn)[0]
    if x.ndim == 1:
        return f"np.{eqn.prim.name}({{0}})"
    last = eqn.params["axis"] % x.ndim == x.ndim - 1
    if last and x.dtype == np.float64 == eqn.outs[0].aval.dtype:
        return f"_fx_cumulative_last({{0}}, {eqn.prim.name == 'cumprod'})"
    return None


@lowering.register("numba", "flip")
def _numba_flip(eqn: Any) -> str | None:
    """Reversed slices along the flipped axes, copied (``prod``'s gradient flips rows)."""
    ndim = _in_avals(eqn)[0].ndim
    if ndim == 0:
        return None
    axes = {a % ndim for a in eqn.params["axes"]}
    return "{0}[" + ", ".join("::-1" if k in axes else ":" for k in range(ndim)) + "].copy()"


@lowering.register("numba", "sum", "prod", "max", "min")
def _numba_reduce(eqn: Any) -> str | None:
    """Over all axes; sum also over one axis (numba's np.sum takes axis=, np.prod does not);
    float64 over any axes through ``_fx_reduce_axes``."""
    name = eqn.prim.name
    axes = eqn.params["axes"]
    x = _in_avals(eqn)[0]
    if len(axes) == x.ndim:
        if name == "sum" and x.ndim and x.dtype == np.float64:
            # NumPy's pairwise order, vectorized (numba's np.sum is one serial add chain)
            return "_fx_sum_nd({0})"
        return f"np.{name}({{0}})"
    if len(axes) == 1 and name == "sum":
        return f"np.{name}({{0}}, axis={axes[0]})"
    if x.dtype == np.float64 == eqn.outs[0].aval.dtype:
        # over some axes (a broadcast's gradient, a logsumexp over components): a row of
        # reduced elements per kept element (linalg_kernels.reduce_axes)
        axes = tuple(a % x.ndim for a in axes)
        perm = tuple(k for k in range(x.ndim) if k not in axes) + axes
        out_shape = tuple(eqn.outs[0].aval.shape)
        kind = ("sum", "prod", "max", "min").index(name)
        return f"_fx_reduce_axes({{0}}, {perm!r}, {out_shape!r}, {kind})"
    return None


@lowering.register("numba", "all", "any")
def _numba_all_any(eqn: Any) -> str | None:
    """Over all axes (numba's np.all/np.any take no axis=); a 0-d input is its own truth."""
    ndim = _in_avals(eqn)[0].ndim
    if len(eqn.params["axes"]) != ndim:
        return None
    return "bool({0})" if ndim == 0 else f"np.{eqn.prim.name}({{0}})"


def _pointwise_arrays(spec: tuple, ndim: int, arrays: list) -> bool:
    """Whether ``spec`` indexes every axis of a rank-``ndim`` array with 1-D index arrays of
    one length (``x[i, j]``: a diagonal, a list of points; ``arrays`` are the index arrays'
    avals), which a loop over the points lowers (numba's indexing takes one index array only)."""
    if len(spec) != ndim or ndim < 2 or any(e[0] != "a" for e in spec):
        return False
    shapes = {tuple(arrays[e[1]].shape) for e in spec}
    return len(shapes) == 1 and len(next(iter(shapes))) == 1


@lowering.register("numba", "getitem")
def _numba_getitem(eqn: Any) -> str | None:
    """Static indices with at most one index array, no None or Ellipsis left; or one 1-D
    index array per axis (a loop over the points)."""
    spec = index_spec(eqn)
    # basic indexing may hold new axes (x[None, :], x[:, None, 1:]): numba takes None there
    if _index_ok(spec) or all(e[0] in "isn" for e in spec):
        return "IDX"
    avals = _in_avals(eqn)
    return "POINTS" if _pointwise_arrays(spec, avals[0].ndim, avals[1:]) else None


class _IndexWrite:
    """An indexed write into a fresh array: scatter_add's ``zeros(shape)[spec] += value`` or
    update's ``copy(x)[spec] = value`` (``x.at[spec].set(value)``; ``.add`` and the other
    ``at`` methods read ``x[spec]`` first). One set of loops lowers both; ``=`` keeps NumPy's
    order, so a repeated index holds its last write, as ``out[idx] = v`` does."""

    __slots__ = ("shape", "spec", "value", "arrays", "assign", "squeezed", "newaxes")

    def __init__(self, eqn: Any) -> None:
        self.assign = eqn.prim.name == "update"
        first = 2 if self.assign else 1  # update's inputs: x, value, *arrays
        self.shape = tuple(eqn.inputs[0].aval.shape if self.assign else eqn.params["shape"])
        self.value = eqn.inputs[first - 1].aval
        self.arrays = [a.aval for a in eqn.inputs[first:]]
        spec = index_spec(eqn)
        # new axes (the gradient of x[None, :]) hold one element each: write through the
        # value with those axes squeezed out, by the spec without them
        self.squeezed: tuple | None = None
        if any(e[0] == "n" for e in spec) and self.value.ndim:
            region = [e for e in spec if e[0] in "sn"] + [None] * (len(self.shape) - len(
                [e for e in spec if e[0] != "n"]))
            if len(region) == self.value.ndim:
                self.squeezed = tuple(
                    n for e, n in zip(region, self.value.shape) if e is None or e[0] != "n"
                )
        self.spec = tuple(e for e in spec if e[0] != "n")
        self.newaxes = len(spec) - len(self.spec)

    def lowerable(self) -> bool:
        """Static indices; one 1-D index array per axis; or one 1-D index array among
        slices, with a value of the indexed region's shape (update: or a scalar)."""
        spec = self.spec
        if self.assign and not self.shape:
            return False  # a 0-d target is a scalar in the kernel, not an array to write
        if self.newaxes and (self.arrays or (self.value.ndim and self.squeezed is None)):
            return False
        if not any(e[0] == "a" for e in spec):
            return _index_ok(spec)
        if self.pointwise():
            return True
        arrays = [e for e in spec if e[0] == "a"]
        if len(arrays) != 1 or any(e[0] not in "as" for e in spec):
            return False
        if self.arrays[arrays[0][1]].ndim != 1:
            return False
        if self.assign and self.value.ndim == 0:
            return True
        # NumPy keeps one advanced index where it is: the region's axis k runs along the array
        region = [
            self.arrays[e[1]].shape[0] if e[0] == "a"
            else len(range(*slice(*e[1:]).indices(self.shape[k])))
            for k, e in enumerate(spec)
        ]
        return tuple(self.value.shape) == tuple(region) + self.shape[len(spec):]

    def pointwise(self) -> bool:
        return _pointwise_arrays(self.spec, len(self.shape), self.arrays)


@lowering.register("numba", "scatter_add")
@lowering.register("numba", "update")
def _numba_index_write(eqn: Any) -> str | None:
    """Accumulating (scatter_add) or assigning (update) loops: ``_scatter_lines``."""
    return "SCATTER" if _IndexWrite(eqn).lowerable() else None


def einsum_terms(eqn: Any) -> tuple[list[str], str, dict[str, int]]:
    """An einsum's operand labels, output labels and each label's size (explicit subscripts:
    ``numpy.contract.parse_einsum`` resolved ``...`` and an implicit output; an axis of size
    1 broadcasts against its label's size, as in ``numpy.einsum``)."""
    lhs, out = eqn.params["subscripts"].split("->")
    terms = lhs.split(",")
    sizes: dict[str, int] = {}
    for term, a in zip(terms, eqn.inputs):
        for label, n in zip(term, a.aval.shape):
            sizes[label] = max(sizes.get(label, 1), int(n))
    return terms, out, sizes


@lowering.register("numba", "einsum")
def _numba_einsum(eqn: Any) -> str | None:
    """float64 operands: explicit loops over the output labels, a sum over the others
    (``_einsum_lines``)."""
    avals = [*_in_avals(eqn), eqn.outs[0].aval]
    return "EINSUM" if all(np.dtype(a.dtype) == np.float64 for a in avals) else None


def _einsum_lines(out: str, eqn: Any, ins: list[str]) -> list[str]:
    """``out = einsum(subscripts, *ins)`` as loops: one per output label, then one per summed
    label around ``s += a[..] * b[..]``. Repeated labels (diagonals, traces) index twice with
    one variable; a size-1 axis against a larger label reads index 0 (broadcasting)."""
    terms, out_labels, sizes = einsum_terms(eqn)
    summed = sorted(set("".join(terms)) - set(out_labels))

    def read(k: int) -> str:
        shape = eqn.inputs[k].aval.shape
        if not terms[k]:
            return ins[k]
        at = [
            "0" if n == 1 < sizes[lab] else f"_e_{lab}" for lab, n in zip(terms[k], shape)
        ]
        return f"{ins[k]}[{', '.join(at)}]"

    lines = []
    if out_labels:
        shape = tuple(sizes[lab] for lab in out_labels)
        lines.append(f"    {out} = np.empty({shape!r})")
    pad = "    "
    for lab in out_labels:
        lines.append(f"{pad}for _e_{lab} in range({sizes[lab]}):")
        pad += "    "
    lines.append(f"{pad}_e_sum = 0.0")
    inner = pad
    for lab in summed:
        lines.append(f"{inner}for _e_{lab} in range({sizes[lab]}):")
        inner += "    "
    lines.append(f"{inner}_e_sum += {' * '.join(read(k) for k in range(len(terms)))}")
    target = f"{out}[{', '.join(f'_e_{lab}' for lab in out_labels)}]" if out_labels else out
    lines.append(f"{pad}{target} = _e_sum")
    return lines


@lowering.register("numba", "reshape")
def _numba_reshape(eqn: Any) -> str:
    shape = eqn.params["shape"]
    if _in_avals(eqn)[0].ndim:
        return f"np.reshape(np.ascontiguousarray({{0}}), {shape!r})"
    return f"np.full({shape!r}, np.asarray({{0}}).item())"


@lowering.register("numba", "broadcast_to")
def _numba_broadcast_to(eqn: Any) -> str:
    shape = eqn.params["shape"]
    if _in_avals(eqn)[0].ndim == 0:
        return f"np.full({shape!r}, np.asarray({{0}}).item())"
    return f"np.broadcast_to({{0}}, {shape!r})"


@lowering.register("numba", "transpose")
def _numba_transpose(eqn: Any) -> str:
    return f"np.transpose({{0}}, {eqn.params['axes']!r})"


@lowering.register("numba", "where")
def _numba_where(eqn: Any) -> str:
    out = eqn.outs[0].aval
    if out.ndim == 0 and np.dtype(out.dtype).kind in "iuf":
        # numba's np.where of 0-d inputs gives a 0-d array, which a later scalar use (e.g.
        # scatter_add's `v[i] += w`) rejects: select between the scalars instead
        dtype = np.dtype(out.dtype).name
        return (f"np.{dtype}(np.asarray({{1}}).item() if np.asarray({{0}}).item() "
                f"else np.asarray({{2}}).item())")
    return "np.where({0}, {1}, {2})"


@lowering.register("numba", "convert_element_type")
def _numba_convert(eqn: Any) -> str | None:
    """To bool, integer and float dtypes (complex stays on tier 0)."""
    dtype = np.dtype(eqn.params["dtype"])
    if dtype.kind not in "biuf":
        return None
    if _in_avals(eqn)[0].ndim == 0:
        # A 0-d operand may reach here as a scalar or as a 0-d array (an argument); numba
        # casts neither np.float32(array0d) nor .astype on a scalar, so go through .item().
        return f"np.{dtype.name}(np.asarray({{0}}).item())"
    return f"{{0}}.astype(np.{dtype.name})"


@lowering.register("numba", "stop_gradient")
def _numba_identity(eqn: Any) -> str:
    return "{0}"


@lowering.register("numba", "copy")
def _numba_copy(eqn: Any) -> str:
    return "np.copy({0})" if _in_avals(eqn)[0].ndim else "{0}"


@lowering.register("numba", "matmul")
def _numba_matmul(eqn: Any) -> str | None:
    """1-D and 2-D float operands (np.dot); batched products stay on tier 0."""
    avals = _in_avals(eqn)
    if all(a.ndim in (1, 2) for a in avals) and all(a.dtype.kind == "f" for a in avals):
        return "np.dot(np.ascontiguousarray({0}), np.ascontiguousarray({1}))"
    return None


@lowering.register("numba", "concatenate")
def _numba_concatenate(eqn: Any) -> str | None:
    """Operands of rank 1 or more."""
    avals = _in_avals(eqn)
    if all(a.ndim >= 1 for a in avals):
        ops = ", ".join(f"{{{i}}}" for i in range(len(avals)))
        return f"np.concatenate(({ops},), {eqn.params['axis']})"
    return None


@lowering.register("numba", "fmod")
def _numba_fmod(eqn: Any) -> str | None:
    """Floats only: numba's np.fmod of integers takes the divisor's sign (Python's %), not the
    dividend's as C and NumPy do, so integer fmod stays on tier 0."""
    if eqn.params or any(np.dtype(v.aval.dtype).kind != "f" for v in eqn.outs):
        return None
    return lowering.scalar_formula(eqn.prim)


@lowering.register("numba", "guard")
def _numba_guard(eqn: Any) -> str | None:
    # an array-valued guard (a traced integer/boolean array that indexed a captured NumPy
    # array) compares whole arrays: left to tier 0
    return None if eqn.params["kind"] == "array" else "GUARD"


def _user_lowering(eqn: Any) -> dict | None:
    """A user primitive's own lowering (``fluxion.extend``), from ``prim.templates["numba"]``.

    The template is ``{"call": "helper({0}, {1})", "globals": {"helper": obj}}`` or a function
    of the equation returning one (or None). ``compile_numba`` puts the globals in the kernel's
    module before its first call. A template that fails leaves the graph on tier 0.
    """
    spec = eqn.prim.templates.get("numba")
    if spec is None:
        return None
    if callable(spec):
        try:
            spec = spec(eqn)
        except Exception:
            return None
    return spec if isinstance(spec, dict) and isinstance(spec.get("call"), str) else None


def _largest(graph: Graph) -> int:
    sizes = [v.aval.size for v in graph.in_vars] + [
        v.aval.size for e in graph.eqns for v in list(e.inputs) + list(e.outs)
    ]
    return max(sizes, default=0)


def _missing(graph: Graph) -> list[str]:
    """The equations of ``graph`` (and of its loops' bodies) with no numba lowering."""
    missing = []
    for eqn in graph.eqns:
        if any(a.aval.dtype.kind == "c" for a in eqn.inputs):
            missing.append(eqn.prim.name + "(complex)")
        elif eqn.prim.name == "scan":
            missing.extend(f"{m} (in a scan body)" for m in _missing(eqn.params["body"]))
        elif _lowering(eqn) is None:
            missing.append(eqn.prim.name)
    return missing


def _scalar_source(val: Any) -> str | None:
    t = type(val)
    if t is bool or t is int:
        return repr(val)
    if t is float:
        if math.isfinite(val):
            return repr(val)
        # numba cannot compile np.float64('nan'); np.nan and np.inf are module constants it knows
        return "np.nan" if math.isnan(val) else ("np.inf" if val > 0 else "-np.inf")
    return None


@gc_paused()
def generate_numba(graph: Graph, name: str) -> tuple[str, list]:
    """Numba-compatible source for ``graph``; returns (source, constant arrays in order)."""
    graph = sink_scalar_broadcasts(fold_transposes(graph))
    consts: list = []
    const_names: dict[int, str] = {}
    names: dict[int, str] = {}

    def atom(a: Any) -> str:
        if type(a) is Lit:
            src = _scalar_source(a.val)
            if src is not None:
                return src
            key = id(a.val)
            if key not in const_names:
                const_names[key] = f"k{len(consts)}"
                consts.append(a.val)
            return const_names[key]
        return names[id(a)]

    params = [f"a{i}" for i in range(len(graph.in_vars))]
    for i, v in enumerate(graph.in_vars):
        names[id(v)] = f"a{i}"
    body: list[str] = []
    helpers: list[str] = []  # the loops' bodies, as njit functions after this one
    tmp = itertools.count()
    builders = ElementBuilders()
    products = summed_products(graph)
    for eqn in graph.eqns:
        if id(eqn) in products:  # computed inside the sum that reads it (_fx_dot_nd)
            continue
        outs = []
        for v in eqn.outs:
            names[id(v)] = f"v{next(tmp)}"
            outs.append(names[id(v)])
        if eqn.prim.name == "sum" and id(eqn.inputs[0]) in products:
            factors = [atom(a) for a in products[id(eqn.inputs[0])]]
            body.extend(builders.materialize(factors))
            body.append(f"    {outs[0]} = _fx_dot_nd({factors[0]}, {factors[1]})")
            continue
        ins = [atom(a) for a in eqn.inputs]
        if eqn.prim.name == "matmul" and "transposed" in eqn.params:
            body.extend(builders.materialize(ins))
            body.append(f"    {outs[0]} = {folded_matmul(eqn, ins)}")
            continue
        if eqn.prim.name == "scan":
            body.extend(builders.materialize(ins))
            helper = f"{name}_scan{len(helpers)}"
            lines, helper_source = scan_lines(eqn, ins, outs, helper, lambda c: atom(Lit(c)))
            helpers.append(helper_source)
            body.extend(lines)
            continue
        absorbed = builders.absorb(eqn, outs, ins)
        if absorbed is not None:
            body.extend(absorbed)
            continue
        body.extend(builders.materialize(ins))
        low = _lowering(eqn)
        if low == "GUARD":
            kind, expected = eqn.params["kind"], eqn.params["expected"]
            conv = "bool" if kind == "bool" else "int"
            body.append(f"    if {conv}({ins[0]}) != {expected!r}:")
            body.append("        raise GuardFailure()")
            continue
        if low == "IDX":
            expr = f"{ins[0]}[{_index_source(index_spec(eqn), ins[1:])}]"
        elif low == "POINTS":  # x[i, j, ...] with 1-D index arrays: a loop over the points
            body.extend(_points_lines(outs[0], eqn, ins))
            continue
        elif low == "SCATTER":
            body.extend(_scatter_lines(outs[0], eqn, ins))
            continue
        elif low == "EINSUM":
            body.extend(_einsum_lines(outs[0], eqn, ins))
            continue
        else:
            expr = low.format(*ins)
        body.append(f"    {', '.join(outs)} = {expr}")
    rets = [atom(o) for o in graph.outs]
    body.extend(builders.materialize(rets))
    const_params = [f"k{i}" for i in range(len(consts))]
    header = f"def {name}({', '.join(params + const_params)}):"
    ret = f"    return ({', '.join(rets)}{',' if len(rets) == 1 else ''})"
    return "\n".join([header, *body, ret]) + "\n" + "".join(helpers), consts


def summed_products(graph: Graph) -> dict[int, tuple]:
    """The products that only a full sum reads: ``sum(a * b)`` and ``sum(a ** 2)`` of float64
    arrays of one shape (the squared residuals of a Gaussian log-likelihood). Maps both the
    product equation's id and its result's id to the factors ``(a, b)``: tier 1 then emits
    one pass, ``_fx_dot_nd(a, b)``, instead of a temporary array and a sum over it. Same
    bits: ``x ** 2`` is ``x * x`` in NumPy, and the sum runs in NumPy's order (``sum8``)."""
    uses: dict[int, int] = {}
    for eqn in graph.eqns:
        for a in eqn.inputs:
            if type(a) is not Lit:
                uses[id(a)] = uses.get(id(a), 0) + 1
    outs = {id(o) for o in graph.outs}
    made: dict[int, Any] = {}
    found: dict[int, tuple] = {}
    for eqn in graph.eqns:
        for o in eqn.outs:
            made[id(o)] = eqn
        x = eqn.inputs[0] if eqn.inputs else None
        if (
            eqn.prim.name != "sum"
            or type(x) is Lit
            or eqn.outs[0].aval.ndim != 0
            or uses.get(id(x)) != 1
            or id(x) in outs
            or id(x) not in made
        ):
            continue
        prod = made[id(x)]
        if prod.params or len(prod.outs) != 1:
            continue
        if prod.prim.name == "multiply":
            a, b = prod.inputs
        elif prod.prim.name == "power" and _is_literal_two(prod.inputs[1]):
            a = b = prod.inputs[0]
        else:
            continue
        if all(
            type(f) is not Lit and f.aval.dtype == np.float64 and f.aval.shape == x.aval.shape
            for f in (a, b)
        ) and x.aval.dtype == np.float64 and x.aval.ndim >= 1:
            found[id(prod)] = found[id(x)] = (a, b)
    return found


def _is_literal_two(a: Any) -> bool:
    return type(a) is Lit and np.ndim(a.val) == 0 and a.val == 2


# --------------------------------------------------------------------------------------------
# Matrix products: BLAS on operands read in place
# --------------------------------------------------------------------------------------------


def fold_transposes(graph: Graph) -> Graph:
    """``graph`` with each 2-D transpose that only feeds matmuls folded into them.

    The gradient of ``X @ beta`` is ``X.T @ g``: run literally, the transpose copies every
    element of ``X`` on each call (the tape machine's gather; tier 1's ``ascontiguousarray``
    before ``np.dot``), which for a 5000 x 24 design matrix cost more than the products.
    Folded, the matmul reads ``X`` where it is and tells BLAS it is transposed (param
    ``transposed=(ta, tb)``). Used by the tape encoder and by tier 1 (not by fused loops).

    A constant operand that is the transpose of a C-ordered array (the optimizer folds
    ``transpose(X)`` of a constant ``X`` into the view ``X.T``) is folded the same way: the
    matmul reads the C-ordered array, so the kernel and the tape hold one copy of ``X`` for
    ``X @ b`` and ``X.T @ g`` instead of a second, transposed one (two copies of a 5000 x 24
    design matrix overflow a 1 MB L2 cache).
    """
    if not any(eqn.prim.name == "matmul" for eqn in graph.eqns):
        return graph  # nothing to fold into (most graphs: no index of uses is built)
    outs = {id(o) for o in graph.outs if type(o) is not Lit}
    uses: dict[int, list] = {}
    for eqn in graph.eqns:
        for k, a in enumerate(eqn.inputs):
            if type(a) is not Lit:
                uses.setdefault(id(a), []).append((eqn, k))
    folded: dict[int, Any] = {}  # id(transposed var) -> the matrix it transposes
    for eqn in graph.eqns:
        if (
            eqn.prim.name == "transpose"
            and tuple(eqn.params.get("axes", ())) == (1, 0)
            and eqn.inputs[0].aval.dtype.kind == "f"
            and id(eqn.outs[0]) not in outs
            and all(
                e.prim.name == "matmul" and not e.params and e.inputs[0] is not e.inputs[1]
                for e, _ in uses.get(id(eqn.outs[0]), [])
            )
        ):
            folded[id(eqn.outs[0])] = eqn.inputs[0]
    if not folded and not any(
        eqn.prim.name == "matmul" and not eqn.params and any(map(_transposed_constant,
                                                                 eqn.inputs))
        for eqn in graph.eqns
    ):
        return graph
    eqns = []
    for eqn in graph.eqns:
        if eqn.prim.name == "transpose" and id(eqn.outs[0]) in folded:
            continue
        if eqn.prim.name == "matmul" and not eqn.params:
            flags, inputs = [], []
            for a in eqn.inputs:
                if type(a) is Lit:
                    flag = _transposed_constant(a)
                    inputs.append(Lit(a.val.T) if flag else a)
                else:
                    flag = id(a) in folded
                    inputs.append(folded.get(id(a), a))
                flags.append(int(flag))
            if any(flags):
                eqn = Eqn(eqn.prim, inputs, {"transposed": tuple(flags)}, eqn.outs)
        eqns.append(eqn)
    return Graph(graph.in_vars, eqns, graph.outs)


def _transposed_constant(atom: Any) -> bool:
    """Whether ``atom`` is a float matrix constant stored as the transpose of a C-ordered one
    (F-ordered and not C-ordered: ``X.T`` of a C-ordered ``X``)."""
    if type(atom) is not Lit:
        return False
    val = atom.val
    return (
        type(val) is np.ndarray
        and val.ndim == 2
        and val.dtype.kind == "f"
        and val.flags.f_contiguous
        and not val.flags.c_contiguous
    )


def sink_scalar_broadcasts(graph: Graph) -> Graph:
    """``graph`` with broadcasts of scalars kept scalar through elementwise arithmetic, and a
    negation of a scalar-times-array product moved onto the scalar.

    The gradient of ``sum(r ** 2) * c`` arrives as ``broadcast_to(c', (n,)) * 2.0 * r``,
    negated: run literally, that is a filled array of ``n`` copies of one number, an array
    times 2.0, a product and a negation, four passes over ``n`` elements where one suffices.
    Here an elementwise equation whose operands are scalars or such broadcasts computes its
    scalar once (its result stands for the broadcast), an equation with a full-shape operand
    reads the scalar directly, and ``-(a * x)`` with ``a`` a scalar becomes ``(-a) * x``.
    Both are exact: every element of the broadcast result is that one scalar, and IEEE
    multiplication is symmetric in sign. A broadcast is written out (``broadcast_to`` again)
    only where something other than elementwise arithmetic reads it, or it is an output.
    Used by tier 1's whole-graph kernels and the tape encoder; float64 values only (numba's
    scalar arithmetic promotes float32 where NumPy's array arithmetic keeps it).
    """
    from ..prims.elementwise import negative_p
    from ..prims.shape import broadcast_to_p

    elementwise = {id(p) for p in lowering.elementwise_primitives()}
    sunk: dict[int, Any] = {}  # id(full-shape var) -> the scalar var standing for it
    written: dict[int, Any] = {}  # id(full-shape var) -> its broadcast, once written out
    producer: dict[int, int] = {}  # id(var) -> index in eqns of the equation that made it
    uses: dict[int, int] = {}
    for eqn in graph.eqns:
        for a in eqn.inputs:
            if type(a) is not Lit:
                uses[id(a)] = uses.get(id(a), 0) + 1
    outs = {id(o) for o in graph.outs if type(o) is not Lit}
    eqns: list = []
    changed = False

    def full(a: Any) -> Any:
        """``a`` as the graph had it (a sunk broadcast written out, once)."""
        if type(a) is Lit or id(a) not in sunk:
            return a
        if id(a) not in written:
            eqns.append(Eqn(broadcast_to_p, [sunk[id(a)]], {"shape": tuple(a.aval.shape)}, [a]))
            written[id(a)] = a
        return a

    for eqn in graph.eqns:
        name = eqn.prim.name
        ins = list(eqn.inputs)
        if len(eqn.outs) != 1:  # guards (no result), multiple results: operands written out
            eqns.append(Eqn(eqn.prim, [full(a) for a in ins], eqn.params, eqn.outs))
            for o in eqn.outs:
                producer[id(o)] = len(eqns) - 1
            continue
        out = eqn.outs[0]
        if (
            name == "broadcast_to"
            and type(ins[0]) is not Lit
            and ins[0].aval.ndim == 0
            and ins[0].aval.dtype == np.float64
            and out.aval.dtype == np.float64
            and id(out) not in outs
        ):
            sunk[id(out)] = ins[0]
            changed = True
            continue
        if id(eqn.prim) in elementwise and not eqn.params:
            if any(type(a) is not Lit and id(a) in sunk for a in ins):
                scalar = [sunk[id(a)] if type(a) is not Lit and id(a) in sunk else a for a in ins]
                shape = np.broadcast_shapes(*(tuple(a.aval.shape) for a in scalar))
                if shape == () and out.aval.dtype == np.float64:  # a scalar result too
                    # (float64 only: numba's scalar arithmetic does not keep float32)
                    standin = Var(ShapedArray((), out.aval.dtype, out.aval.weak_type))
                    eqns.append(Eqn(eqn.prim, scalar, {}, [standin]))
                    producer[id(standin)] = len(eqns) - 1
                    sunk[id(out)] = standin
                    if id(out) in outs:
                        full(out)
                    continue
                if shape == tuple(out.aval.shape):
                    ins = scalar
            if (
                eqn.prim is negative_p
                and type(ins[0]) is not Lit
                and uses.get(id(ins[0])) == 1
                and id(ins[0]) not in outs
                and id(ins[0]) in producer
            ):
                k = producer[id(ins[0])]
                prod = eqns[k]
                if prod is not None and prod.prim.name == "multiply" and not prod.params:
                    a, b = prod.inputs
                    if a.aval.ndim != 0 and b.aval.ndim == 0:
                        a, b = b, a
                    if (
                        a.aval.ndim == 0
                        and a.aval.dtype == out.aval.dtype == np.float64
                        and tuple(b.aval.shape) == tuple(out.aval.shape)
                        and b.aval.dtype == out.aval.dtype
                    ):
                        negated = Var(ShapedArray((), a.aval.dtype, a.aval.weak_type))
                        eqns[k] = Eqn(negative_p, [a], {}, [negated])
                        eqns.append(Eqn(prod.prim, [negated, b], {}, [out]))
                        producer[id(out)] = len(eqns) - 1
                        changed = True
                        continue
        ins = [full(a) for a in ins]  # a reader of the whole array (or a mismatched shape)
        eqns.append(Eqn(eqn.prim, ins, eqn.params, eqn.outs))
        for o in eqn.outs:
            producer[id(o)] = len(eqns) - 1
    if not changed:
        return graph
    for o in graph.outs:
        full(o)
    return Graph(graph.in_vars, eqns, graph.outs)


# What a large array may meet in a tier-1 kernel that is not fused (blas_bound): operations
# numba runs as fast as NumPy (arithmetic, moves, sums), besides the BLAS products.
_CHEAP_ON_LARGE = {
    "add", "subtract", "multiply", "negative", "true_divide", "square", "sum", "broadcast_to",
    "reshape", "getitem", "transpose", "where", "stop_gradient", "copy", "convert_element_type",
}


def blas_bound(graph: Graph) -> bool:
    """Whether ``graph`` has a matrix product on a large array and otherwise only cheap
    operations on large arrays (``_CHEAP_ON_LARGE``, ``x ** 2``). Such a graph (a regression's
    ``X @ beta`` and ``X.T @ g``) is mostly BLAS time; the fused loops cannot take it (two large
    shapes), and as a plain kernel it measured on a par with hand-written NumPy and 2x faster
    than tier 0 (5000 x 24 design matrix)."""
    has_product = False
    for eqn in graph.eqns:
        avals = [a.aval for a in list(eqn.inputs) + list(eqn.outs)]
        if max((a.size for a in avals), default=0) < PARALLEL_MIN_SIZE // 4:
            continue
        name = eqn.prim.name
        if name == "matmul":
            has_product = True
        elif name == "power":
            k = eqn.inputs[1]
            if not (type(k) is Lit and np.ndim(k.val) == 0 and k.val == 2):
                return False
        elif name not in _CHEAP_ON_LARGE:
            return False
    return has_product


def folded_matmul(eqn: Any, ins: list[str]) -> str:
    """``np.dot`` (BLAS) of a folded matmul: a transposed operand is the C-contiguous source's
    ``.T`` (an F-contiguous view: BLAS reads it transposed, nothing is copied)."""
    ops = []
    for name, flag in zip(ins, eqn.params["transposed"]):
        ops.append(f"np.ascontiguousarray({name})" + (".T" if flag else ""))
    return f"np.dot({ops[0]}, {ops[1]})"


# --------------------------------------------------------------------------------------------
# Loops: the scan primitive (lax.scan, fori_loop) as a ``for`` loop in the kernel
# --------------------------------------------------------------------------------------------


def has_scan(graph: Graph) -> bool:
    """Whether ``graph`` holds a loop (a scan equation)."""
    return any(eqn.prim.name == "scan" for eqn in graph.eqns)


def all_eqns(graph: Graph) -> Any:
    """The equations of ``graph`` and, recursively, of its loops' bodies."""
    for eqn in graph.eqns:
        yield eqn
        if eqn.prim.name == "scan":
            yield from all_eqns(eqn.params["body"])


@lowering.register("numba", "scan")
def _numba_scan(eqn: Any) -> None:  # noqa: ARG001 (the table's signature)
    """Tier 1 lowers a scan with :func:`scan_lines`, which the kernel generator calls itself
    (a scan needs its outputs' names and a helper function, not a one-line template); a graph
    with a scan never takes the fused loops. Here, for the one-line paths: None (declined)."""
    return None


def scan_lines(
    eqn: Any, ins: list[str], outs: list[str], helper: str, const_name: Callable
) -> tuple[list[str], str]:
    """Kernel lines running a scan equation as a loop over its body's own njit function.

    The body (``generate_numba`` of the body graph, its own loops included) becomes the function
    ``helper``, defined after the kernel in the same module; LLVM inlines it into the loop. The
    first step is peeled off the loop so that the carry's numba type is the body's output type
    from the start (an input may arrive as a 0-d array or a non-contiguous view; the loop must
    not change a variable's type). The stacked outputs are preallocated and filled element by
    element (a slice assignment of an array costs seconds of numba compile, see
    ``_static_scatter``). The body's array constants become the kernel's (``const_name`` gives
    their names there). Returns (lines, helper source).
    """
    p = eqn.params
    body, n_consts, n_carry = p["body"], p["n_consts"], p["n_carry"]
    length, reverse = p["length"], p["reverse"]
    source, body_consts = generate_numba(body, helper)
    helper_source = '\n\n@numba.njit(nogil=True, cache=True, error_model="numpy")\n' + source
    consts, carry = ins[:n_consts], ins[n_consts : n_consts + n_carry]
    xs = ins[n_consts + n_carry :]
    extra = [const_name(c) for c in body_consts]
    k_out, y_out = outs[:n_carry], outs[n_carry:]
    y_avals = body.out_avals[n_carry:]
    lines = []
    for y, aval in zip(y_out, y_avals):
        lines.append(f"    {y} = np.empty({(length, *aval.shape)!r}, dtype=np.{aval.dtype.name})")
    if length == 0 or not body.outs:  # no step, or steps with no effect
        return lines + [f"    {k} = {c}" for k, c in zip(k_out, carry)], helper_source
    step_out = [f"{helper}_o{j}" for j in range(len(body.outs))]

    def step(i: str, carry_names: list[str], indent: str) -> list[str]:
        args = consts + carry_names + [f"{x}[{i}]" for x in xs] + extra
        call = f"{helper}({', '.join(args)})"
        step_lines = [f"{indent}{', '.join(step_out)}, = {call}"]
        step_lines += [f"{indent}{k} = {o}" for k, o in zip(k_out, step_out)]
        for y, o, aval in zip(y_out, step_out[n_carry:], y_avals):
            if aval.ndim == 0:
                step_lines.append(f"{indent}{y}[{i}] = {o}")
                continue
            step_lines.append(f"{indent}{y}_flat = np.ravel({o})")
            step_lines.append(f"{indent}for _j in range({aval.size}):")
            step_lines.append(f"{indent}    {y}_rows[{i}, _j] = {y}_flat[_j]")
        return step_lines

    for y, aval in zip(y_out, y_avals):
        if aval.ndim:
            lines.append(f"    {y}_rows = {y}.reshape(({length}, {aval.size}))")
    first = length - 1 if reverse else 0
    lines += step(str(first), carry, "    ")
    if length > 1:
        lines.append(f"    for _it in range(1, {length}):")
        i = f"{length - 1} - _it" if reverse else "_it"
        lines.append(f"        _i = {i}")
        lines += step("_i", k_out, "        ")
    return lines, helper_source


class ElementBuilders:
    """Small arrays assembled element by element, written out only when something reads them.

    The gradient with respect to a parameter vector that the model unpacks (``theta[0]``,
    ``theta[1]``, ...) arrives as a sum of single-element scatters into zeros followed by a
    full-slice scatter. Emitted literally that is one zero array per element, an array addition
    per element and a copy; here such values stay pending (index -> expression) through
    ``scatter_add`` and ``add`` and become one ``np.zeros`` plus element stores where read.
    Measured on the worksheet's value-and-gradient: 0.58 s -> 0.33 s of numba compile, and
    three fewer allocations per call.
    """

    def __init__(self) -> None:
        self.pending: dict[str, tuple[tuple, str, dict]] = {}

    def absorb(self, eqn: Any, outs: list[str], ins: list[str]) -> list[str] | None:
        """Lines for ``eqn`` if it is an assembly step (none while its result stays pending),
        or None for an ordinary equation."""
        name, p = eqn.prim.name, eqn.params
        if name == "scatter_add":
            spec, shape = index_spec(eqn), tuple(p["shape"])
            if any(e[0] not in "is" for e in spec):
                return None
            dtype = np.dtype(eqn.outs[0].aval.dtype).name
            value_shape = tuple(eqn.inputs[0].aval.shape)
            if value_shape == () and len(spec) == len(shape) and all(e[0] == "i" for e in spec):
                index = tuple(e[1] % d for e, d in zip(spec, shape))
                self.pending[outs[0]] = (shape, dtype, {index: ins[0]})
                return []
            whole = all(
                e[0] == "s" and slice(*e[1:]).indices(d) == (0, d, 1) for e, d in zip(spec, shape)
            )
            if ins[0] in self.pending and whole and value_shape == shape:
                self.pending[outs[0]] = self.pending[ins[0]]
                return []
            return None
        if name != "add" or p or len(ins) != 2 or not any(i in self.pending for i in ins):
            return None
        out_shape = tuple(eqn.outs[0].aval.shape)
        if all(i in self.pending for i in ins):
            (sa, da, ea), (sb, db, eb) = self.pending[ins[0]], self.pending[ins[1]]
            if sa != sb or da != db or out_shape != sa:
                return None
            merged = dict(ea)
            for k, e in eb.items():
                merged[k] = f"({merged[k]} + {e})" if k in merged else e
            self.pending[outs[0]] = (sa, da, merged)
            return []
        # an ordinary array plus a pending one: copy it and add the pending elements
        j = 0 if ins[0] in self.pending else 1
        shape, dtype, elements = self.pending[ins[j]]
        other = eqn.inputs[1 - j].aval
        if tuple(other.shape) != shape or out_shape != shape or np.dtype(other.dtype).name != dtype:
            return None
        lines = [f"    {outs[0]} = {ins[1 - j]}.copy()"]
        for index, expr in sorted(elements.items()):
            lines.append(f"    {outs[0]}[{', '.join(map(str, index))}] += {expr}")
        return lines

    def materialize(self, names: list[str]) -> list[str]:
        """Lines writing out the pending arrays among ``names`` (which then stop pending)."""
        lines = []
        for n in names:
            if n not in self.pending:
                continue
            shape, dtype, elements = self.pending.pop(n)
            lines.append(f"    {n} = np.zeros({shape!r}, dtype=np.{dtype})")
            for index, expr in sorted(elements.items()):
                lines.append(f"    {n}[{', '.join(map(str, index))}] = {expr}")
        return lines


def _scatter_lines(out: str, eqn: Any, ins: list[str]) -> list[str]:
    """Lines computing ``out = scatter_add(zeros(shape), spec, value)`` or ``out = update(x,
    value, spec)`` (``_IndexWrite``; tier 1 and fused)."""
    write = _IndexWrite(eqn)
    shape, spec = write.shape, write.spec
    dtype = np.dtype(eqn.outs[0].aval.dtype).name
    if write.assign:
        x, value, arrays = ins[0], ins[1], ins[2:]
        lines = [f"    {out} = {x}.astype(np.{dtype})"]  # astype copies, in numba as in NumPy
        op = "="
    else:
        value, arrays = ins[0], ins[1:]
        lines = [f"    {out} = np.zeros({shape!r}, dtype=np.{dtype})"]
        op = "+="
    scalar = write.value.ndim == 0
    if write.squeezed is not None:
        lines.append(f"    {out}_v = np.ascontiguousarray({value}).reshape({write.squeezed!r})")
        value = f"{out}_v"
    if write.pointwise():
        # one index array per axis (the transpose of a diagonal gather): a loop over the points
        points = [arrays[e[1]] for e in spec]
        lines.append(f"    for _j in range({points[0]}.shape[0]):")
        at = ", ".join(f"{a}[_j]" for a in points)
        lines.append(f"        {out}[{at}] {op} {value if scalar else value + '[_j]'}")
        return lines
    if any(e[0] == "a" for e in spec):
        # repeated indices accumulate (scatter_add) or keep the last write (update): an
        # explicit loop over the index array, in order
        idx = _index_source(spec, arrays)
        arr = arrays[next(e[1] for e in spec if e[0] == "a")]
        axis = next(k for k, e in enumerate(spec) if e[0] == "a")
        item = value if scalar else f"{value}[{':, ' * axis}_j]"  # along the index array
        lines.append(f"    for _j in range({arr}.shape[0]):")
        lines.append(f"        {out}[{idx.replace(arr, arr + '[_j]')}] {op} {item}")
        return lines
    value_shape = write.squeezed if write.squeezed is not None else tuple(write.value.shape)
    return lines + _static_scatter(out, shape, spec, value, value_shape)


def _points_lines(out: str, eqn: Any, ins: list[str]) -> list[str]:
    """Lines computing ``out = x[i0, i1, ...]`` for 1-D index arrays of one length."""
    arrays = [ins[1 + e[1]] for e in index_spec(eqn)]
    dtype = np.dtype(eqn.outs[0].aval.dtype).name
    return [
        f"    {out} = np.empty({arrays[0]}.shape[0], dtype=np.{dtype})",
        f"    for _j in range({arrays[0]}.shape[0]):",
        f"        {out}[_j] = {ins[0]}[{', '.join(f'{a}[_j]' for a in arrays)}]",
    ]


def _static_scatter(out: str, shape: tuple, spec: tuple, value: str,
                    value_shape: tuple) -> list[str]:
    """``out[spec] = value`` into the fresh array ``out`` for static int/slice indices (which
    name each element once, so ``=`` serves scatter_add into zeros too).

    An array value is written element by element in explicit loops: numba compiles a slice
    assignment of an array through its generic broadcasting machinery, which measured ~1.8 s
    of compile for one ``g[0:3] += v`` (the loops compile in milliseconds)."""
    idx = _index_source(spec, [])
    if not value_shape:
        return [f"    {out}[{idx}] = {value}"]
    targets, loops = [], []
    for axis, dim in enumerate(shape):
        entry = spec[axis] if axis < len(spec) else ("s", None, None, None)
        if entry[0] == "i":
            targets.append(repr(entry[1] % dim))
            continue
        start, stop, step = slice(*entry[1:]).indices(dim)
        var = f"_i{len(loops)}"
        loops.append((var, len(range(start, stop, step))))
        targets.append(f"{start} + {step} * {var}" if step != 1 else f"{start} + {var}")
    if tuple(n for _, n in loops) != value_shape:  # a broadcast value: let numba do it
        return [f"    {out}[{idx}] = {value}"]
    lines = []
    for depth, (var, n) in enumerate(loops):
        lines.append("    " * (depth + 1) + f"for {var} in range({n}):")
    src = ", ".join(v for v, _ in loops)
    lines.append("    " * (len(loops) + 1) + f"{out}[{', '.join(targets)}] = {value}[{src}]")
    return lines
