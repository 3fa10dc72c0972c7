"""Sources of fused ``cupy.ElementwiseKernel``s for elementwise clusters of a graph (the next
step of the ``"cupy"`` backend, issue 17 Build item 2).

Each elementwise primitive declares its scalar formula once (``codegen/lowering.py``): a Python
expression over ``{0}``, ``{1}``... with operators, ``np.<ufunc>`` calls and conditional
expressions. :func:`c_formula` spells that formula in C (CUDA's math library has the same names
as C99's ``<math.h>``); :func:`elementwise_clusters` finds runs of float64 elementwise equations
of one shape in a graph, and :func:`cluster_kernel` writes one kernel for a run: its
``in_params``, ``out_params`` and ``operation``, the arguments of ``cupy.ElementwiseKernel``.
One launch then replaces one CuPy call (and one temporary array) per equation.

Status: the sources are generated and checked on the CPU (the operation compiled as C on the
host, against NumPy, in ``tests/test_device_jit.py``); :func:`build_kernel` hands them to CuPy.
jit's device form does not call these kernels yet: wiring them in waits for a session with a
GPU to run them. Formulas with no C spelling (SciPy functions, helpers, NumPy ufuncs whose
C library counterpart differs at special values) say why in :func:`c_formula_reason`.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ir.graph import Graph, Lit, Var
from . import lowering

__all__ = [
    "c_formula",
    "c_formula_reason",
    "KernelSource",
    "elementwise_clusters",
    "cluster_kernel",
    "build_kernel",
]

# np.<name> -> a C spelling over the operands a, b (same results as NumPy's ufunc for float64,
# NaN and infinities included)
_C_CALLS = {
    "absolute": "fabs({0})",
    "fabs": "fabs({0})",
    "arccos": "acos({0})",
    "arccosh": "acosh({0})",
    "arcsin": "asin({0})",
    "arcsinh": "asinh({0})",
    "arctan": "atan({0})",
    "arctan2": "atan2({0}, {1})",
    "arctanh": "atanh({0})",
    "cbrt": "cbrt({0})",
    "ceil": "ceil({0})",
    "copysign": "copysign({0}, {1})",
    "cos": "cos({0})",
    "cosh": "cosh({0})",
    "exp": "exp({0})",
    "exp2": "exp2({0})",
    "expm1": "expm1({0})",
    "floor": "floor({0})",
    "fmax": "fmax({0}, {1})",
    "fmin": "fmin({0}, {1})",
    "fmod": "fmod({0}, {1})",
    "hypot": "hypot({0}, {1})",
    "log": "log({0})",
    "log10": "log10({0})",
    "log1p": "log1p({0})",
    "log2": "log2({0})",
    "power": "pow({0}, {1})",
    "rint": "rint({0})",
    "sin": "sin({0})",
    "sinh": "sinh({0})",
    "sqrt": "sqrt({0})",
    "tan": "tan({0})",
    "tanh": "tanh({0})",
    "trunc": "trunc({0})",
    "nextafter": "nextafter({0}, {1})",
    "square": "({0} * {0})",
    "reciprocal": "(1.0 / {0})",
    # NumPy's maximum/minimum propagate NaN from either side (C's fmax/fmin do not)
    "maximum": "((({0}) > ({1}) || ({0}) != ({0})) ? ({0}) : ({1}))",
    "minimum": "((({0}) < ({1}) || ({0}) != ({0})) ? ({0}) : ({1}))",
    # NumPy multiplies by the double nearest pi/180 (180/pi); M_PI is not defined under NVRTC
    "deg2rad": f"(({{0}}) * {np.pi / 180.0!r})",
    "rad2deg": f"(({{0}}) * {180.0 / np.pi!r})",
    # boolean results (inside a formula: a condition of a conditional expression)
    # (C's classification macros return any nonzero int for true: glibc's isinf(-inf) is -1)
    "isnan": "(isnan({0}) != 0)",
    "isinf": "(isinf({0}) != 0)",
    "isfinite": "(isfinite({0}) != 0)",
    "signbit": "(signbit({0}) != 0)",
    "equal": "(({0}) == ({1}))",
    "not_equal": "(({0}) != ({1}))",
    "less": "(({0}) < ({1}))",
    "less_equal": "(({0}) <= ({1}))",
    "greater": "(({0}) > ({1}))",
    "greater_equal": "(({0}) >= ({1}))",
    "logical_and": "(({0}) && ({1}))",
    "logical_or": "(({0}) || ({1}))",
    "logical_not": "(!({0}))",
    "logical_xor": "((!({0})) != (!({1})))",
}

_C_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_C_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
              ast.NotEq: "!="}


class _NoC(Exception):
    """A formula (or part of one) with no C spelling here; the message says which part."""


def _c_literal(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return f"{int(value)}.0"  # the kernels compute in double
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return "NAN"
        if math.isinf(value):
            return "INFINITY" if value > 0 else "(-INFINITY)"
        return repr(value)
    raise _NoC(f"a constant of type {type(value).__name__}")


def _to_c(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        if re.fullmatch(r"x\d+", node.id):
            return "{" + node.id[1:] + "}"
        raise _NoC(f"the name {node.id!r}")
    if isinstance(node, ast.Constant):
        return _c_literal(node.value)
    if isinstance(node, ast.BinOp):
        left, right = _to_c(node.left), _to_c(node.right)
        if type(node.op) in _C_BINOPS:
            return f"({left} {_C_BINOPS[type(node.op)]} {right})"
        if isinstance(node.op, ast.Pow):
            return f"pow({left}, {right})"
        raise _NoC(f"the operator {type(node.op).__name__}")
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return f"(-{_to_c(node.operand)})"
        if isinstance(node.op, ast.Not):
            return f"(!{_to_c(node.operand)})"
        raise _NoC(f"the unary operator {type(node.op).__name__}")
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _C_COMPARE:
            raise _NoC("a chained or membership comparison")
        op = _C_COMPARE[type(node.ops[0])]
        return f"({_to_c(node.left)} {op} {_to_c(node.comparators[0])})"
    if isinstance(node, ast.IfExp):
        return f"({_to_c(node.test)} ? {_to_c(node.body)} : {_to_c(node.orelse)})"
    if isinstance(node, ast.BoolOp):
        op = " && " if isinstance(node.op, ast.And) else " || "
        return "(" + op.join(_to_c(v) for v in node.values) + ")"
    if isinstance(node, ast.Call):
        fn = node.func
        if not (isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name)
                and fn.value.id in ("np", "math")) or node.keywords:
            raise _NoC("a call of a helper function")
        template = _C_CALLS.get(fn.attr)
        if template is None:
            raise _NoC(f"{fn.value.id}.{fn.attr} (no C spelling with NumPy's results)")
        return template.format(*[_to_c(a) for a in node.args])
    raise _NoC(f"a {type(node).__name__} expression")


def _translate(prim: Any) -> tuple[str | None, str | None]:
    formula = lowering.scalar_formula(prim)
    if formula is None:
        return None, "no scalar formula (a SciPy function or a non-elementwise primitive)"
    if lowering.helpers(prim):
        return None, "the formula calls Python helper functions (numba compiles those)"
    try:
        tree = ast.parse(re.sub(r"\{(\d+)\}", r"x\1", formula), mode="eval")
        return _to_c(tree.body), None
    except _NoC as err:
        return None, f"the formula uses {err}"


def c_formula(prim: Any) -> str | None:
    """The primitive's scalar formula in C (``{0}``, ``{1}`` for the operands), or None."""
    return _translate(prim)[0]


def c_formula_reason(prim: Any) -> str | None:
    """Why :func:`c_formula` has no C spelling for ``prim`` (None when it has one)."""
    return _translate(prim)[1]


class KernelSource:
    """One fused elementwise kernel: ``cupy.ElementwiseKernel(in_params, out_params,
    operation, name)`` computes ``outputs`` (graph variables) from ``inputs`` (graph variables
    or array constants) in one launch."""

    __slots__ = ("name", "in_params", "out_params", "operation", "inputs", "outputs", "eqns")

    def __init__(self, name: str, inputs: list, outputs: list, operation: str,
                 eqns: list) -> None:
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.in_params = ", ".join(f"float64 in{i}" for i in range(len(inputs)))
        self.out_params = ", ".join(f"float64 out{i}" for i in range(len(outputs)))
        self.operation = operation
        self.eqns = eqns

    def arguments(self) -> tuple[str, str, str, str]:
        """``(in_params, out_params, operation, name)`` for ``cupy.ElementwiseKernel``."""
        return self.in_params, self.out_params, self.operation, self.name


def _fusable(eqn: Any) -> bool:
    """A float64 elementwise equation with a C formula: operands float64 arrays or scalar
    constants, one float64 result."""
    if eqn.params or len(eqn.outs) != 1 or eqn.outs[0].aval.dtype != np.float64:
        return False
    if c_formula(eqn.prim) is None:
        return False
    for a in eqn.inputs:
        if type(a) is Lit and a.is_scalar() and np.asarray(a.val).dtype.kind in "biuf":
            continue
        if a.aval.dtype != np.float64:
            return False
    return True


def elementwise_clusters(graph: Graph, min_size: int = 2) -> list[list]:
    """Runs of consecutive fusable equations whose results have one shape, of at least
    ``min_size`` equations (one equation is one CuPy call already)."""
    runs: list[list] = []
    current: list = []
    for eqn in graph.eqns:
        if _fusable(eqn) and (not current or eqn.outs[0].aval.shape
                              == current[0].outs[0].aval.shape):
            current.append(eqn)
            continue
        if len(current) >= min_size:
            runs.append(current)
        current = [eqn] if _fusable(eqn) else []
    if len(current) >= min_size:
        runs.append(current)
    return runs


def cluster_kernel(graph: Graph, eqns: Sequence, name: str = "fluxion_fused") -> KernelSource:
    """The kernel of one cluster of :func:`elementwise_clusters`: scalar constants written in
    the source, other operands as inputs, the cluster's values used after it (or returned by
    the graph) as outputs."""
    produced = {id(v) for e in eqns for v in e.outs}
    inside = {id(e) for e in eqns}
    used_after = {id(o) for o in graph.outs if type(o) is Var}
    for e in graph.eqns:
        if id(e) not in inside:
            used_after.update(id(a) for a in e.inputs if type(a) is Var)
    names: dict[int, str] = {}
    inputs: list = []
    lines: list[str] = []

    def operand(a: Any) -> str:
        if type(a) is Lit and a.is_scalar():
            return _c_literal(np.asarray(a.val).item())
        if id(a) not in names:
            names[id(a)] = f"in{len(inputs)}"
            inputs.append(a)
        return names[id(a)]

    for k, eqn in enumerate(eqns):
        args = [operand(a) for a in eqn.inputs]
        out = eqn.outs[0]
        names[id(out)] = f"t{k}"
        lines.append(f"double t{k} = {c_formula(eqn.prim).format(*args)};")
    outputs = [v for e in eqns for v in e.outs if id(v) in used_after and id(v) in produced]
    for i, v in enumerate(outputs):
        lines.append(f"out{i} = {names[id(v)]};")
    return KernelSource(name, inputs, outputs, "\n".join(lines), list(eqns))


def build_kernel(source: KernelSource) -> Any:
    """``cupy.ElementwiseKernel`` of ``source`` (needs CuPy and a GPU).

    Raises
    ------
    RuntimeError
        CuPy is not installed (the message says how to install it).
    """
    try:
        import cupy  # noqa: PLC0415  (optional dependency, seconds to import)
    except ImportError as err:
        from ..backend import GPU_INSTALL_HINT

        raise RuntimeError(
            f"build_kernel: fused device kernels need CuPy, which is not installed; "
            f"{GPU_INSTALL_HINT}"
        ) from err
    return cupy.ElementwiseKernel(*source.arguments())
