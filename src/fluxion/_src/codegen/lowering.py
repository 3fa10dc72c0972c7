"""Lowering tables: one per backend, keyed by primitive name.

Backends: ``numpy`` (tier 0, NumPy source), ``numba`` (tier 1: whole-graph kernels and fused
loops), ``tape`` (the compiled tape machine) and ``cupy`` (device arrays: CuPy or a registered
namespace). The models are PyTensor's per-backend ``numba_funcify.register`` and tinygrad's
``code_for_op``.

The ``cupy`` backend is, for now, tier 0's source run on the device namespace (the *device
form* of ``codegen/numpy_tier.py``, what ``jit`` runs for device arrays): an elementwise
primitive calls the device's ufunc, every other primitive its impl, which computes with the
arrays' namespace (``backend.namespace_of``); registered entries (``getitem``) write source of
their own. A primitive whose impl runs on the host only records why with :func:`cannot_lower`
(the device form raises a ``DeviceError`` naming it). Next step (issue 17, Build item 2):
fused kernels for elementwise clusters. ``codegen/cupy_elementwise.py`` already writes the
``cupy.ElementwiseKernel`` sources from the same scalar formulas (their C spellings are checked
against NumPy on the host); calling them from the device form, ``ReductionKernel``s for
elementwise-then-reduce clusters and cuBLAS/cuSOLVER-backed linear algebra wait for a GPU
session. Until then each equation is one CuPy call.

* An **elementwise primitive** declares its scalar formula once, in its ``prims/`` block
  (``elementwise("expit", ..., scalar="...")``): a Python expression over ``{0}``, ``{1}``...
  written with operators, NumPy ufuncs (``np.exp``), ``math`` functions and the primitive's
  scalar helpers (plain Python functions that numba compiles). Without one, the formula is the
  NumPy ufunc itself, ``np.<ufunc>({0}, ...)``. Every compiled backend derives its lowering from
  it: tier 1 array code uses the formula directly when it is array-safe (ufuncs and operators
  only) and a ``numba.vectorize`` of it otherwise, fused loops and the tape machine evaluate
  it on scalars (:func:`scalar_formula`, :func:`array_formula`, :func:`scalar_prelude`).
* **Other primitives** register a lowering function per backend with :func:`register`
  (``numba_tier`` and ``tape`` do, next to the code that emits them).
* A primitive a backend **cannot lower** says why in one place: the :func:`cannot_lower`
  calls at the end of this module.

:func:`status` answers, for a backend and a primitive, "lowered" or the reason; the op table
checks that every primitive has one or the other in every backend.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Any

from ..core import Primitive
from ..prims import elementwise as _ew

__all__ = [
    "BACKENDS",
    "register",
    "cannot_lower",
    "lowering",
    "reason",
    "status",
    "scalar_formula",
    "array_formula",
    "scalar_prelude",
    "elementwise_primitives",
]

BACKENDS = ("numpy", "numba", "tape", "cupy")

# backend -> primitive name -> lowering function (its signature is the backend's business)
_TABLES: dict[str, dict[str, Callable]] = {b: {} for b in BACKENDS}
# backend -> primitive name -> why the backend cannot lower it
_REASONS: dict[str, dict[str, str]] = {b: {} for b in BACKENDS}
# backend -> why whole classes of values do not run there (dtypes), checked by the op table
DTYPE_LIMITS: dict[str, str] = {}


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"lowering: expected a backend in {BACKENDS}, got {backend!r}")


def register(backend: str, *names: str) -> Callable[[Callable], Callable]:
    """Decorator: ``fn`` lowers the primitives ``names`` in ``backend``.

    What ``fn`` takes and returns is the backend's convention (tier 1: the equation -> a format
    string, or None where these parameters cannot be lowered).
    """
    _check_backend(backend)

    def deco(fn: Callable) -> Callable:
        for name in names:
            _TABLES[backend][name] = fn
        return fn

    return deco


def cannot_lower(backend: str, prim_name: str, why: str) -> None:
    """Record that ``backend`` cannot lower ``prim_name``, and why (shown to users on fallback)."""
    _check_backend(backend)
    _REASONS[backend][prim_name] = why


def lowering(backend: str, prim_name: str) -> Callable | None:
    """The registered lowering function of ``prim_name`` in ``backend`` (None: none)."""
    return _TABLES[backend].get(prim_name)


def reason(backend: str, prim_name: str) -> str | None:
    """Why ``backend`` cannot lower ``prim_name`` (None: no reason recorded)."""
    why = _REASONS[backend].get(prim_name)
    if why is None and prim_name not in _TABLES[backend]:
        why = _BACKEND_REASONS.get(backend)
    return why


def status(backend: str, prim: Primitive) -> tuple[bool, str]:
    """(True, how) if ``backend`` lowers ``prim``; (False, why not) if it records a reason;
    (False, "") if it has neither (a gap the op table reports)."""
    _check_backend(backend)
    why = _REASONS[backend].get(prim.name)
    if why is None and prim.name not in _TABLES[backend]:
        why = _BACKEND_REASONS.get(backend)
    if why is not None:
        return False, why
    if prim.name in _TABLES[backend]:
        return True, "registered"
    if backend in ("numba", "tape") and scalar_formula(prim) is not None:
        return True, "scalar formula"
    if backend == "numpy":
        return True, "impl call"  # tier 0 calls any primitive's impl (jit always works)
    if backend == "cupy":
        # the device form calls the device's ufunc, or the impl on the device namespace
        return True, DEVICE_IMPL_CALL
    return False, ""


DEVICE_IMPL_CALL = "device tier 0: the device namespace's ufunc or the impl on device arrays"


# --------------------------------------------------------------------------------------------
# Elementwise primitives: the scalar formula declared on the primitive
# --------------------------------------------------------------------------------------------


def elementwise_primitives() -> list[Primitive]:
    """Every loaded primitive with a scalar formula (declared, or its NumPy ufunc), in name
    order. (The special-function family loads with SciPy, on first use; the tape machine
    imports it so that its opcode table is complete.)"""
    found = {id(p): p for p in [*_ew.UFUNC_OF, *_ew.FORMULA_ONLY]}
    prims = [p for p in found.values() if scalar_formula(p) is not None]
    return sorted(prims, key=lambda p: p.name)


def scalar_formula(prim: Primitive) -> str | None:
    """The primitive's scalar formula (``{0}``, ``{1}`` for the operands), or None.

    Declared with ``elementwise(..., scalar=...)``; otherwise NumPy's own ufunc
    ``np.<name>(...)`` (numba implements NumPy's ufuncs on scalars and arrays alike). SciPy's
    ufuncs have no default: numba does not know them.
    """
    declared = prim.templates.get("scalar")
    if declared is not None:
        return declared
    ufunc = _ew.UFUNC_OF.get(prim)
    if ufunc is None or ufunc.nout != 1 or type(ufunc).__module__ != "numpy":
        return None
    if getattr(__import__("numpy"), ufunc.__name__, None) is not ufunc:
        return None  # a ufunc from another package (scipy.special)
    return f"np.{ufunc.__name__}(" + ", ".join(f"{{{i}}}" for i in range(ufunc.nin)) + ")"


def arity(prim: Primitive) -> int:
    """Number of operands of an elementwise primitive (from its formula's placeholders)."""
    found = [int(k) for k in re.findall(r"\{(\d+)\}", scalar_formula(prim) or "")]
    return max(found) + 1 if found else 0


def helpers(prim: Primitive) -> tuple:
    """The scalar helper functions the primitive's formula calls (plain Python, numba-safe)."""
    return tuple(prim.templates.get("scalar_helpers", ()))


def _parsed(formula: str) -> ast.AST:
    return ast.parse(re.sub(r"\{(\d+)\}", r"x\1", formula), mode="eval")


def array_safe(prim: Primitive) -> bool:
    """Whether the formula works on whole arrays in numba: operators, comparisons, literals and
    ``np.*`` calls only (no conditional expression, no ``math``, no helper)."""
    formula = scalar_formula(prim)
    if formula is None or helpers(prim):
        return False
    for node in ast.walk(_parsed(formula)):
        if isinstance(node, ast.IfExp | ast.BoolOp | ast.Lambda):
            return False
        if isinstance(node, ast.Call):
            fn = node.func
            if not (isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name)
                    and fn.value.id == "np"):
                return False
        if isinstance(node, ast.Name) and not (node.id == "np" or re.fullmatch(r"x\d+", node.id)):
            return False
    return True


def vectorized_name(prim: Primitive) -> str:
    """The name of the ``numba.vectorize`` of a primitive's formula in generated modules."""
    return f"_vec_{prim.name}"


def array_formula(prim: Primitive) -> str | None:
    """Tier-1 array code for an elementwise primitive: its formula if array-safe, else a call
    of its vectorized formula (defined by :func:`scalar_prelude`)."""
    formula = scalar_formula(prim)
    if formula is None:
        return None
    if array_safe(prim):
        return formula
    args = ", ".join(f"{{{i}}}" for i in range(arity(prim)))
    return f"{vectorized_name(prim)}({args})"


# A helper's source cannot change while the process runs. Reading it (inspect tokenizes the
# module) and scanning it for calls cost about 1 ms each; the tape machine's dispatch alone
# calls ~80 helpers, and it was regenerated on every ``tape.load_machine()`` (a third of the
# op table's tape column, 380 of its 550 s, went to these two lines and their regex searches).
@functools.cache
def _helper_source(fn: Callable) -> str:
    return textwrap.dedent(inspect.getsource(fn))


_CALL = re.compile(r"\b(\w+)\(")


def _calls(text: str) -> frozenset[str]:
    """The names called in ``text`` (an identifier followed by ``(``)."""
    return frozenset(_CALL.findall(text))


@functools.cache
def _helper_calls(fn: Callable) -> frozenset[str]:
    return _calls(_helper_source(fn))


def scalar_prelude(source: str, prims: Any = None) -> str:
    """numba definitions that generated ``source`` needs: the scalar helpers it calls (and the
    helpers those call), and the vectorized formulas it calls. Empty if none.

    ``prims`` defaults to every elementwise primitive; the definitions come out in a fixed
    order, so the same source gives the same module (and numba's disk cache stays valid).
    """
    prims = elementwise_primitives() if prims is None else prims
    by_helper = {fn.__name__: fn for p in prims for fn in helpers(p)}
    lines: list[str] = []
    called = _calls(source)
    wanted_vec = [p for p in prims if vectorized_name(p) in called]
    called = called.union(*(_calls(scalar_formula(p)) for p in wanted_vec))
    wanted: set[str] = set()
    pending = [n for n in by_helper if n in called]
    while pending:  # helpers calling helpers
        name = pending.pop()
        if name in wanted:
            continue
        wanted.add(name)
        pending += [n for n in by_helper if n not in wanted and n in _helper_calls(by_helper[name])]
    for name in sorted(wanted):
        decorator = '@numba.njit(cache=True, nogil=True, error_model="numpy")\n'
        lines.append(decorator + _helper_source(by_helper[name]).strip() + "\n")
    for p in wanted_vec:
        n = arity(p)
        params = ", ".join(f"x{i}" for i in range(n))
        sig = "float64(" + ", ".join(["float64"] * n) + ")"
        body = scalar_formula(p).format(*(f"x{i}" for i in range(n)))
        lines.append(f'@numba.vectorize(["{sig}"], cache=True)')
        lines.append(f"def {vectorized_name(p)}({params}):\n    return {body}\n")
    return "\n\n".join(lines) + ("\n\n" if lines else "")


# --------------------------------------------------------------------------------------------
# What each backend cannot lower, and why (the one place)
# --------------------------------------------------------------------------------------------

# A backend with no lowerings yet: every primitive carries this reason until one registers.
_BACKEND_REASONS: dict[str, str] = {}

DTYPE_LIMITS["numba"] = (
    "tier 1 compiles real (bool, integer, float) values; a graph with complex values stays on "
    "tier 0; formulas that are not NumPy ufuncs (helpers, branches) are compiled for float64 "
    "results only"
)
DTYPE_LIMITS["tape"] = (
    "the tape machine holds every value as float64: complex, float32 and object values are not "
    "encoded, nor integer or boolean results whose float64 arithmetic would differ from NumPy's"
)

# Primitives with no tier-1 (numba) lowering.
for _name, _why in {
    "round": "np.round with decimals is not lowered yet",
    "real": "complex values stay on tier 0",
    "imag": "complex values stay on tier 0",
    "pad": "pad is not lowered yet",
    "roll": "roll is not lowered yet",
    "det": "det is not lowered yet (slogdet is)",
    "eigh": "eigh is not lowered yet",
    "argmax": "argmax is not lowered yet",
    "argmin": "argmin is not lowered yet",
    "checkpoint": "checkpoint is inlined by staging; the call primitive itself is not lowered",
    "custom_jvp_call": "inlined by staging; the call primitive itself is not lowered",
    "custom_vjp_call": "inlined by staging; the call primitive itself is not lowered",
    "jit_call": "a jit inside jit is inlined by staging; the call primitive itself is not lowered",
    "while": "while_loop's trip count is decided at run time: no numba lowering yet, so jit runs "
             "it at tier 0 (a Python while over the body's generated code); lax.scan and "
             "fori_loop have loops in every tier",
}.items():
    cannot_lower("numba", _name, _why)

# Primitives the tape encoder (codegen/tape.py) does not encode.
for _name, _why in {
    "round": "np.round with decimals has no tape instruction",
    "real": "complex values are not encoded",
    "imag": "complex values are not encoded",
    "conjugate": "complex values are not encoded",
    "invert": "bitwise NOT of integers has no float64 form",
    "floor_divide": "not encoded yet",
    "pad": "pad has no tape instruction yet",
    "det": "no tape instruction yet (slogdet has one)",
    "eigh": "no tape instruction",
    "all": "no tape instruction yet",
    "any": "no tape instruction yet",
    "argmax": "integer results of a search have no tape instruction",
    "argmin": "integer results of a search have no tape instruction",
    "checkpoint": "inlined by staging; the call primitive itself is not encoded",
    "custom_jvp_call": "inlined by staging; the call primitive itself is not encoded",
    "custom_vjp_call": "inlined by staging; the call primitive itself is not encoded",
    "jit_call": "a jit inside jit is inlined by staging; the call primitive itself is not encoded",
    "while": "while_loop's trip count is decided at run time: no tape instruction yet (scan has "
             "one); nor does a potential hold one, as while_loop has no reverse-mode gradient",
    "guard": "a value guard (a Python branch on a traced value) must trigger a retrace when the "
             "branch changes, which the tape cannot signal; the compiled NUTS calls such a model "
             "back in Python (tier 1 returns a flag and retraces)",
}.items():
    cannot_lower("tape", _name, _why)


# --- issue 13: numpy.fft (prims/fft.py). Tier 0 calls numpy.fft through the primitives' impl.
for _name in ("fft", "rfft", "irfft"):
    cannot_lower("numba", _name, "numba has no FFT (and complex values stay on tier 0); "
                 "tier 0 calls numpy.fft")
    cannot_lower("tape", _name, "the tape machine has no FFT instruction and does not encode "
                 "complex values")

# --- issue 13 (sorting and searching: prims/sorting.py) -------------------------------------
for _name, _why in {
    "argsort": "argsort is not lowered yet (tier 0 calls NumPy)",
    "searchsorted": "searchsorted is not lowered yet (tier 0 calls NumPy)",
}.items():
    cannot_lower("numba", _name, _why)
for _name, _why in {
    "argsort": "integer results of a sort have no tape instruction",
    "searchsorted": "integer results of a search have no tape instruction",
}.items():
    cannot_lower("tape", _name, _why)

# --- issue 13 (linalg): decompositions added for numpy.linalg; jit tier 0 calls their impl ---
for _name, _why in {
    "svd": "svd is not lowered yet (complex-capable LAPACK call; tier 0 calls NumPy)",
    "qr": "qr is not lowered yet (tier 0 calls NumPy)",
    "eig": "eig has complex results; complex values stay on tier 0",
}.items():
    cannot_lower("numba", _name, _why)
for _name, _why in {
    "svd": "no tape instruction for a matrix decomposition",
    "qr": "no tape instruction for a matrix decomposition",
    "eig": "complex results are not encoded",
}.items():
    cannot_lower("tape", _name, _why)

# --- issue 13 (bitwise ufuncs: prims/elementwise.py, numpy/extra3.py) -----------------------
cannot_lower("numba", "bitwise_count", "numba has no np.bitwise_count (tier 0 calls NumPy)")
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift",
              "bitwise_count"):
    cannot_lower("tape", _name, "bitwise operations on integers have no float64 form")
for _name in ("gcd", "lcm"):
    cannot_lower("tape", _name, "integer-only operation with no tape instruction")

# --- issue 14 (incomplete gamma/beta: prims/special_incomplete.py); tier 0 calls SciPy / NumPy --
for _name in ("gammasgn", "dawsn"):
    for _backend in ("numba", "tape"):
        cannot_lower(_backend, _name, f"no numba implementation of scipy.special.{_name} yet "
                     "(tier 0 calls SciPy)")
for _name in ("gammainc_daa", "betainc_daa", "betainc_dab", "betainc_dbb"):
    cannot_lower("numba", _name, f"{_name} is a vectorized NumPy series / continued fraction "
                 "with a data-dependent iteration count; not ported to numba (tier 0 calls it)")
    cannot_lower("tape", _name, f"{_name} has no tape instruction (an iterative NumPy "
                 "evaluation; tier 0 calls it)")

# --- issue 14 (prims/special_more.py): SciPy functions numba has no implementation of; tier 0
# calls SciPy. (The Box-Cox family, rel_entr, kl_div, huber, pseudo_huber, exp1, expi, k0, k1,
# k0e, k1e, j0, j1, y0, y1, iv, ive, kv, kve, zeta, riemann_zeta: scalar formulas.)
for _name in ("jv", "yv", "expn", "owens_t", "binom", "poch", "spence", "sici_si", "sici_ci",
              "fresnel_s", "fresnel_c", "hyp1f1", "hyp2f1"):
    for _backend in ("numba", "tape"):
        cannot_lower(_backend, _name, f"no numba implementation of scipy.special.{_name} yet "
                     "(tier 0 calls SciPy)")


# --- issue 14 (Bessel order derivatives: prims/special_order.py via prims/special_more.py) ----
for _kind in ("iv", "ive", "kv", "kve", "jv", "yv"):
    for _name in (f"{_kind}_dv", f"{_kind}_dvv"):
        cannot_lower("numba", _name, f"{_name} is a vectorized NumPy series / quadrature with a "
                     "data-dependent size; not ported to numba (tier 0 calls it)")
        cannot_lower("tape", _name, f"{_name} has no tape instruction (a NumPy series / "
                     "quadrature; tier 0 calls it)")
# --- parameter derivatives of zeta / hyp1f1 / hyp2f1 (prims/special_params.py) --------------
for _name in ("zeta_dx", "riemann_zeta_dx", "hyp1f1_dp", "hyp2f1_dp"):
    cannot_lower("numba", _name, f"{_name} is a vectorized NumPy series on Taylor jets with a "
                 "data-dependent term count; not ported to numba (tier 0 calls it)")
    cannot_lower("tape", _name, f"{_name} has no tape instruction (a NumPy series on Taylor "
                 "jets; tier 0 calls it)")
for _name in ("lambertw", "wofz"):
    cannot_lower("numba", _name, "complex results; complex values stay on tier 0 (SciPy)")
    cannot_lower("tape", _name, "complex results are not encoded")

# --- issue 14 (scipy.signal: prims/signal.py); tier 0 calls scipy.signal.lfilter -------------
cannot_lower("numba", "lfilter", "lfilter is not lowered to numba yet (a sequential recursion "
             "with complex support; tier 0 calls scipy.signal.lfilter)")
cannot_lower("tape", "lfilter", "the tape machine has no instruction for a recursive filter "
             "(tier 0 calls scipy.signal.lfilter)")
# --- issue 14 (scipy.linalg: prims/linalg_scipy.py); tier 0 calls SciPy through the impl ------
for _name in ("expm", "logm", "sqrtm", "sylvester", "lu", "schur", "pivots_to_permutation"):
    cannot_lower("numba", _name, f"no numba implementation of scipy.linalg's {_name} (a LAPACK "
                 "/ Schur-based routine; tier 0 calls SciPy)")
    cannot_lower("tape", _name, "no tape instruction for a matrix function or decomposition")

# --- issue 17 (devices): primitives whose impl runs on the host only, so the device form of
# tier 0 (the "cupy" backend) raises a DeviceError naming them instead of moving device data
# to the host. (tests/_device_expectations.py lists the op-table rows they refuse.)
for _name in ("betaincc", "betainccinv", "binom", "dawsn", "gammasgn", "hyp1f1", "hyp2f1",
              "ive", "kve", "ndtri_exp", "owens_t", "poch", "wofz", "lambertw", "fresnel_s",
              "fresnel_c"):
    cannot_lower("cupy", _name, f"cupyx.scipy.special has no {_name} (as of CuPy 13); the "
                 "SciPy function runs on the host only")
for _name in ("gammainc_da", "betainc_da", "betainc_db", "gammainc_daa", "betainc_daa",
              "betainc_dab", "betainc_dbb", "zeta_dx", "zeta_dx1", "riemann_zeta_dx", "hyp1f1_dp",
              "hyp2f1_dp") + tuple(f"{k}_{d}" for k in ("iv", "ive", "kv", "kve", "jv", "yv")
                                   for d in ("dv", "dvv")):
    cannot_lower("cupy", _name, f"{_name} is fluxion's NumPy series / quadrature kernel on host"
                 " arrays; not ported to the device namespace")
for _name in ("expm", "logm", "sqrtm", "sylvester", "lu", "schur", "pivots_to_permutation"):
    cannot_lower("cupy", _name, f"scipy.linalg's {_name} runs on the host only (no CuPy "
                 "counterpart used yet)")
cannot_lower("cupy", "eig", "CuPy has no general (non-symmetric) eigensolver")
cannot_lower("cupy", "lfilter", "scipy.signal.lfilter's C loop runs on the host only")
for _name in ("quad", "ode", "ode_adjoint"):
    cannot_lower("cupy", _name, "fluxion.integrate solves with scipy.integrate on the host (a "
                 "Python call per step)")
