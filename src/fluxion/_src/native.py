"""User primitives from compiled code: C (compiled at run time), numba functions, CuPy kernels.

Each constructor returns the same kind of object as :func:`fluxion.extend.primitive`, so
derivatives are attached with :func:`~fluxion.extend.defvjp` / :func:`~fluxion.extend.defjvp`
(rules written with ``fluxion.numpy``, possibly calling the primitive itself) and vmap rules with
:func:`~fluxion.extend.defbatch`. What the constructors add is the part a Python function does
not need: checking and converting the arrays before they reach foreign code (a wrong dtype or
shape is a clear Python error, never a crash), a shape rule, an elementwise batch rule, and a
lowering for the numba tier of :func:`fluxion.jit` that calls the compiled function from inside
the whole-graph kernel.

The C calling conventions
-------------------------
Elementwise (``elementwise=True``)::

    void name(int64_t n, const double* in0, ..., const double* in{k-1},
              double* out0, ..., double* out{m-1});

Every array holds ``n`` contiguous doubles: the inputs are broadcast together (like a NumPy
ufunc) and converted to C-contiguous float64 before the call; the outputs have the broadcast
shape.

General (``elementwise=False``; a shape rule ``abstract_eval`` is then required)::

    void name(const int64_t* dims, const double* in0, ..., double* out0, ...);

``dims`` describes every argument in order, inputs then outputs, each as its number of
dimensions followed by its dimensions: for a matrix ``A`` (3 x 4) and an output vector (3,),
``dims = {2, 3, 4, 1, 3}``. Arrays are C-contiguous float64; output shapes come from the shape
rule.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import itertools
import math
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .config import config
from .core import Primitive, ShapedArray, aval_of
from .extend import _UserPrimitive
from .prims._helpers import result_type_operand
from .prims.batch_rules import batch_elementwise

__all__ = ["c_primitive", "numba_primitive", "cupy_primitive", "compile_c_library"]

_helper_ids = itertools.count()
_F64 = np.dtype(np.float64)


# --------------------------------------------------------------------------------------------
# The primitive object shared by the three constructors
# --------------------------------------------------------------------------------------------


class NativePrimitive(_UserPrimitive):
    """A user primitive backed by compiled code (see :func:`c_primitive`).

    Works with :func:`~fluxion.extend.defvjp`, :func:`~fluxion.extend.defjvp` and
    :func:`~fluxion.extend.defbatch` like any :func:`~fluxion.extend.primitive`.
    """

    def __init__(
        self,
        name: str,
        impl: Callable,
        *,
        n_out: int,
        abstract_eval: Callable | None,
        batch: Callable | None,
        doc: str,
    ) -> None:
        self.fn = impl
        self.prim = Primitive(name, impl, multiple_results=n_out > 1)
        self.prim.abstract_eval = abstract_eval
        self.prim.batch = batch
        self.vjp_makers = None
        self.jvp_makers = None
        self.__name__ = self.__qualname__ = name
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"fluxion.extend native primitive {self.prim.name!r}"


def _arg_names(spec: int | Sequence[str], what: str, fn: str) -> tuple[str, ...]:
    if isinstance(spec, int | np.integer) and not isinstance(spec, bool):
        if spec < 0 or (what == "outputs" and spec < 1):
            raise ValueError(f"{fn}: expected a positive number of {what}, got {spec}")
        prefix = "in" if what == "inputs" else "out"
        return tuple(f"{prefix}{i}" for i in range(int(spec)))
    if isinstance(spec, str) or not all(isinstance(s, str) for s in spec):
        raise TypeError(f"{fn}: expected {what} as a count or a sequence of names, got {spec!r}")
    names = tuple(spec)
    if what == "outputs" and not names:
        raise ValueError(f"{fn}: expected at least one output")
    return names


def _check_arity(name: str, in_names: tuple, args: tuple, params: dict) -> None:
    if params:
        raise TypeError(
            f"{name}: expected only array arguments, got keyword parameters "
            f"{', '.join(sorted(params))}; compiled primitives take no static parameters"
        )
    if len(args) != len(in_names):
        raise TypeError(
            f"{name}: expected {len(in_names)} array arguments ({', '.join(in_names)}), "
            f"got {len(args)}"
        )


def _check_real_dtype(name: str, in_names: tuple, i: int, dtype: np.dtype, shape: tuple) -> None:
    """Only real numbers that float64 represents exactly may reach a C double."""
    kind = dtype.kind
    if kind in "iub" or (kind == "f" and dtype.itemsize <= 8):
        return
    got = f"{dtype.name} array of shape {tuple(shape)}"
    if kind == "c":
        raise TypeError(
            f"{name}: argument {i} ({in_names[i]}): expected a real array (float64), got a "
            f"{got}; the compiled function takes doubles and would drop the imaginary part: "
            "pass x.real explicitly if that is what you mean"
        )
    if kind == "f":
        raise TypeError(
            f"{name}: argument {i} ({in_names[i]}): expected float64 or narrower, got a {got} "
            "(converting it to double would lose precision)"
        )
    raise TypeError(
        f"{name}: argument {i} ({in_names[i]}): expected a real numeric array (float64; "
        f"integers and booleans are converted), got a {got}"
    )


def _as_numpy(name: str, in_names: tuple, i: int, x: Any) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except Exception as err:
        raise TypeError(
            f"{name}: argument {i} ({in_names[i]}): expected an array, got {type(x).__name__}"
        ) from err
    _check_real_dtype(name, in_names, i, arr.dtype, arr.shape)
    return arr


def _broadcast_shape(name: str, in_names: tuple, shapes: list) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        got = ", ".join(f"{n}: {tuple(s)}" for n, s in zip(in_names, shapes))
        raise ValueError(
            f"{name}: expected elementwise arguments that broadcast together (like a NumPy "
            f"ufunc), got shapes {got}"
        ) from None


def _as_c_doubles(a: np.ndarray, shape: tuple) -> np.ndarray:
    """``a`` broadcast to ``shape`` as C-contiguous float64 (no copy when it already is)."""
    if a.shape == shape:
        if a.dtype == _F64 and a.flags.c_contiguous:
            return a
        return np.ascontiguousarray(a, dtype=_F64)
    if a.ndim == 0:
        return np.full(shape, a, dtype=_F64)
    return np.ascontiguousarray(np.broadcast_to(a, shape), dtype=_F64)


def _pack(outs: list, n_out: int) -> Any:
    """One result or a tuple; 0-d results become NumPy scalars, like a ufunc's."""
    outs = [o[()] if o.ndim == 0 else o for o in outs]
    return outs[0] if n_out == 1 else tuple(outs)


def _elementwise_float64_rule(name: str, in_names: tuple, n_out: int) -> Callable:
    """Shape rule of an elementwise C/CuPy primitive: broadcast shape, float64 results."""

    def abstract_eval(*avals: ShapedArray, **params: Any) -> Any:
        _check_arity(name, in_names, avals, params)
        for i, a in enumerate(avals):
            _check_real_dtype(name, in_names, i, a.dtype, a.shape)
        shape = _broadcast_shape(name, in_names, [a.shape for a in avals])
        out = ShapedArray(shape, _F64)
        return out if n_out == 1 else tuple(out for _ in range(n_out))

    return abstract_eval


def _user_float64_rule(name: str, in_names: tuple, n_out: int, rule: Callable) -> Callable:
    """Wrap a user's shape rule: validate the inputs, make the outputs float64 avals."""

    def abstract_eval(*avals: ShapedArray, **params: Any) -> Any:
        _check_arity(name, in_names, avals, params)
        for i, a in enumerate(avals):
            _check_real_dtype(name, in_names, i, a.dtype, a.shape)
        out = rule(*(ShapedArray(a.shape, _F64) for a in avals))
        single = isinstance(out, ShapedArray) or (
            isinstance(out, tuple | list) and all(isinstance(d, int | np.integer) for d in out)
        )  # one aval or one shape (a tuple of ints; () is a scalar's shape)
        outs = [out] if single else list(out)
        if len(outs) != n_out:
            raise ValueError(
                f"{name}: expected the shape rule to return {n_out} output avals, got {len(outs)}"
            )
        result = []
        for o in outs:
            shape = getattr(o, "shape", o)  # a ShapedArray, or just a shape tuple
            if not all(isinstance(d, int | np.integer) and d >= 0 for d in shape):
                raise ValueError(f"{name}: the shape rule returned an invalid shape {shape!r}")
            result.append(ShapedArray(tuple(int(d) for d in shape), _F64))
        return result[0] if n_out == 1 else tuple(result)

    return abstract_eval


# --------------------------------------------------------------------------------------------
# C: compile with the system compiler, load with ctypes
# --------------------------------------------------------------------------------------------


def _c_cache_dir() -> str:
    path = os.path.join(os.path.expanduser(config.cache_dir), "c")
    os.makedirs(path, exist_ok=True)
    return path


def compile_c_library(
    source: str,
    *,
    name: str = "lib",
    compiler: str = "cc",
    flags: Sequence[str] = ("-O2",),
    libraries: Sequence[str] = ("m",),
) -> str:
    """Compile C source into a shared library in the cache directory; return its path.

    The library is named by a hash of the source, compiler, flags, libraries and platform, so
    an unchanged source is compiled once and reused by later processes. Concurrent processes
    compiling the same source each write a private file and rename it into place (atomic).

    Raises
    ------
    RuntimeError
        If the compiler is not found, or compilation fails (with the compiler's messages).
    """
    path_cc = shutil.which(compiler)
    if path_cc is None:
        raise RuntimeError(
            f"c_primitive: no C compiler found (tried {compiler!r}); install gcc or pass "
            "compiler=..."
        )
    flags = tuple(str(f) for f in flags)
    libraries = tuple(str(lib) for lib in libraries)
    key = "\0".join(
        [source, path_cc, *flags, "|", *libraries, sys.platform, platform.machine()]
    ).encode()
    digest = hashlib.sha256(key).hexdigest()[:24]
    safe = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "lib"
    stem = os.path.join(_c_cache_dir(), f"{safe}_{digest}")
    lib_path = stem + (".dylib" if sys.platform == "darwin" else ".so")
    if os.path.exists(lib_path):
        return lib_path
    tag = f"{os.getpid()}_{next(_helper_ids)}"
    src_tmp = f"{stem}.{tag}.c"
    lib_tmp = f"{stem}.{tag}.so.tmp"
    with open(src_tmp, "w") as fh:
        fh.write(source)
    cmd = [path_cc, *flags, "-shared", "-fPIC", "-o", lib_tmp, src_tmp]
    cmd += [f"-l{lib}" for lib in libraries]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as err:
        raise RuntimeError(f"c_primitive: running {compiler!r} failed: {err}") from err
    finally:
        if os.path.exists(src_tmp):
            os.replace(src_tmp, stem + ".c")  # kept next to the library, for reading
    if proc.returncode != 0:
        if os.path.exists(lib_tmp):
            os.remove(lib_tmp)
        raise RuntimeError(
            f"c_primitive: compiling {name!r} failed ({' '.join(cmd)}, exit status "
            f"{proc.returncode}):\n{proc.stderr.strip()}"
        )
    os.replace(lib_tmp, lib_path)
    return lib_path


def _load_c_function(lib_path: str, name: str, n_args: int) -> Any:
    lib = ctypes.CDLL(lib_path)
    try:
        cfunc = getattr(lib, name)
    except AttributeError:
        raise ValueError(
            f"c_primitive: the compiled source defines no function {name!r}; check the name, "
            'do not declare it static, and in C++ declare it extern "C"'
        ) from None
    cfunc.restype = None
    cfunc.argtypes = [ctypes.c_void_p] * n_args
    return cfunc


def c_primitive(
    source: str,
    name: str,
    *,
    inputs: int | Sequence[str] = 1,
    outputs: int | Sequence[str] = 1,
    elementwise: bool = True,
    abstract_eval: Callable | None = None,
    batch: Callable | None = None,
    compiler: str = "cc",
    flags: Sequence[str] = ("-O2",),
    libraries: Sequence[str] = ("m",),
) -> NativePrimitive:
    """Compile a C function at run time and wrap it as a fluxion primitive.

    Parameters
    ----------
    source : str
        C source defining ``name`` with the calling convention of the module docstring:
        ``void name(int64_t n, const double* in0, ..., double* out0, ...)`` when elementwise,
        ``void name(const int64_t* dims, const double* in0, ..., double* out0, ...)`` otherwise.
        Include ``<stdint.h>`` for ``int64_t``.
    name : str
        The C function's name; also the primitive's name in errors and printed graphs.
    inputs, outputs : int or sequence of str, optional
        How many array inputs and outputs the function has, or their names (used in errors).
    elementwise : bool, optional
        True (default): inputs broadcast together like a ufunc, outputs have the broadcast shape,
        and vmap calls the function once on the whole batch.
    abstract_eval : callable, optional
        Required when not elementwise: ``abstract_eval(*avals) -> aval or tuple of avals`` (or
        shapes), given float64 input avals; raise ``TypeError``/``ValueError`` for invalid
        shapes: the rule runs before every call, so a wrong shape never reaches the C code.
    batch : callable, optional
        A vmap rule (see :func:`fluxion.extend.defbatch`). Default: the elementwise rule when
        elementwise, else vmap calls the function once per example (with a warning).
    compiler : str, optional
        The C compiler command (``cc``, ``gcc``, ``clang``, a path).
    flags : sequence of str, optional
        Compiler flags (``-shared -fPIC`` are added).
    libraries : sequence of str, optional
        Libraries to link (``m``: the math library).

    Returns
    -------
    callable
        ``f(*arrays) -> array`` (a tuple of arrays for several outputs), float64. Inputs of any
        real dtype are converted to contiguous float64 (integers and booleans included);
        complex or non-numeric inputs raise ``TypeError``, non-broadcastable shapes
        ``ValueError``, naming the primitive, the argument, and the shape and dtype received.

    Raises
    ------
    RuntimeError
        No C compiler (``c_primitive: no C compiler found (tried 'cc'); ...``) or a compile
        error (with the compiler's messages).
    ValueError
        The compiled source has no function ``name``.

    Notes
    -----
    The library is cached in ``fluxion.config.cache_dir``/``c`` by a hash of the source and
    flags, and reused by later processes. Under :func:`fluxion.jit` tier 0 calls the function
    through ctypes; tier 1 (numba) calls it from inside the whole-graph kernel through the same
    function pointer (such kernels are not cached on disk: numba cannot cache a pointer). The
    GIL is released during the call. Several outputs work everywhere, but derivative rules for
    several outputs are supported in reverse mode only (the makers receive a tuple ``g``).

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.extend import c_primitive
    >>> src = '''
    ... #include <stdint.h>
    ... void axpy(int64_t n, const double* a, const double* x, double* out) {
    ...     for (int64_t i = 0; i < n; ++i) out[i] = a[i] * x[i] + 1.0;
    ... }'''
    >>> axpy = c_primitive(src, "axpy", inputs=("a", "x"))
    >>> axpy(2.0, np.arange(3))
    array([1., 3., 5.])
    """
    fn = "c_primitive"
    if not isinstance(source, str):
        raise TypeError(f"{fn}: expected C source as a str, got {type(source).__name__}")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{fn}: expected the C function's name (an identifier), got {name!r}")
    in_names = _arg_names(inputs, "inputs", fn)
    out_names = _arg_names(outputs, "outputs", fn)
    n_in, n_out = len(in_names), len(out_names)
    if not elementwise and abstract_eval is None:
        raise TypeError(
            f"{fn}: a non-elementwise C function needs a shape rule: pass "
            "abstract_eval=lambda *avals: <output shape(s)>"
        )
    lib_path = compile_c_library(
        source, name=name, compiler=compiler, flags=flags, libraries=libraries
    )
    cfunc = _load_c_function(lib_path, name, 1 + n_in + n_out)
    if elementwise:
        cfunc.argtypes = [ctypes.c_int64] + [ctypes.c_void_p] * (n_in + n_out)
        rule = _elementwise_float64_rule(name, in_names, n_out)
    else:
        rule = _user_float64_rule(name, in_names, n_out, abstract_eval)

    def impl(*args: Any, **params: Any) -> Any:
        _check_arity(name, in_names, args, params)
        arrays = [_as_numpy(name, in_names, i, x) for i, x in enumerate(args)]
        if elementwise:
            shape = arrays[0].shape if arrays else ()
            if any(a.shape != shape for a in arrays):
                shape = _broadcast_shape(name, in_names, [a.shape for a in arrays])
            ins = [_as_c_doubles(a, shape) for a in arrays]
            outs = [np.empty(shape, _F64) for _ in range(n_out)]
            head = math.prod(shape)
        else:
            ins = [np.ascontiguousarray(a, dtype=_F64) for a in arrays]
            out_avals = rule(*(ShapedArray(a.shape, _F64) for a in ins))
            out_avals = [out_avals] if n_out == 1 else list(out_avals)
            outs = [np.empty(a.shape, _F64) for a in out_avals]
            dims = [d for a in ins + outs for d in (a.ndim, *a.shape)]
            head = np.array(dims, dtype=np.int64)
        pointers = [a.ctypes.data for a in ins + outs]
        cfunc(head if elementwise else head.ctypes.data, *pointers)
        return _pack(outs, n_out)

    impl.__name__ = f"_{name}_impl"
    if batch is None and elementwise:
        batch_rule = None  # set below, once the primitive exists
    else:
        batch_rule = batch
    doc = f"C function {name}({', '.join(in_names)}) -> {', '.join(out_names)} ({lib_path})"
    f = NativePrimitive(name, impl, n_out=n_out, abstract_eval=rule, batch=batch_rule, doc=doc)
    if batch is None and elementwise:
        f.prim.batch = batch_elementwise(f.prim)
    f.library_path = lib_path
    f.c_function = cfunc
    f.prim.templates["numba"] = _c_numba_lowering(name, cfunc, elementwise, n_out)
    return f


def _operands(n: int) -> str:
    """``{0}, {1}, ...``: the operand placeholders of a numba-tier call template."""
    return ", ".join("{" + str(i) + "}" for i in range(n))


def _c_numba_lowering(name: str, cfunc: Any, elementwise: bool, n_out: int) -> Callable:
    """``templates["numba"]``: an njit helper per signature that calls ``cfunc`` (a pointer)."""
    helpers: dict[tuple, dict] = {}

    def lower(eqn: Any) -> dict | None:
        in_avals = [a.aval for a in eqn.inputs]
        out_avals = [v.aval for v in eqn.outs]
        key = (tuple((a.shape, a.dtype) for a in in_avals), tuple(a.shape for a in out_avals))
        spec = helpers.get(key)
        if spec is None:
            spec = helpers[key] = _c_numba_helper(name, cfunc, elementwise, in_avals, out_avals)
        return spec

    return lower


def _c_numba_helper(
    name: str, cfunc: Any, elementwise: bool, in_avals: list, out_avals: list
) -> dict:
    import numba

    helper = f"_fx_c_{name}_{next(_helper_ids)}"
    args = [f"x{i}" for i in range(len(in_avals))]
    lines = [f"def {helper}({', '.join(args)}):"]
    for i, a in enumerate(in_avals):
        target = out_avals[0].shape if elementwise else a.shape
        lines.append(
            f"    b{i} = np.ascontiguousarray(np.broadcast_to(np.asarray(x{i}, "
            f"dtype=np.float64), {target!r}))"
        )
    rets = []
    for j, o in enumerate(out_avals):
        alloc = (1,) if o.ndim == 0 else o.shape  # a 0-d result is returned as a scalar
        lines.append(f"    o{j} = np.empty({alloc!r}, dtype=np.float64)")
        rets.append(f"o{j}[0]" if o.ndim == 0 else f"o{j}")
    pointers = [f"b{i}.ctypes.data" for i in range(len(in_avals))]
    pointers += [f"o{j}.ctypes.data" for j in range(len(out_avals))]
    if elementwise:
        head = str(math.prod(out_avals[0].shape))
    else:
        dims = [d for a in [*in_avals, *out_avals] for d in (a.ndim, *a.shape)]
        lines.append(f"    dims = np.array({dims!r}, dtype=np.int64)")
        head = "dims.ctypes.data"
    lines.append(f"    cfunc({head}, {', '.join(pointers)})")
    lines.append(f"    return {', '.join(rets)}")
    namespace: dict[str, Any] = {"np": np, "cfunc": cfunc}
    exec(compile("\n".join(lines) + "\n", f"<fluxion c_primitive {helper}>", "exec"), namespace)
    call = f"{helper}({_operands(len(in_avals))})"
    return {"call": call, "globals": {helper: numba.njit(nogil=True)(namespace[helper])}}


# --------------------------------------------------------------------------------------------
# numba functions
# --------------------------------------------------------------------------------------------


def _import_numba(fn: str) -> Any:
    try:
        import numba
    except ImportError as err:
        raise ImportError(f"{fn}: numba is not installed (pip install numba)") from err
    return numba


def _elementwise_dtype(avals: Sequence[ShapedArray], out_dtype: Any) -> np.dtype:
    """The declared result dtype: ``out_dtype``, else the promoted inputs, at least float."""
    if out_dtype is not None:
        return np.dtype(out_dtype)
    dtype = np.result_type(*(result_type_operand(a) for a in avals)) if avals else _F64
    return dtype if dtype.kind in "fc" else _F64


def numba_primitive(
    fn: Callable | None = None,
    *,
    elementwise: bool = True,
    vectorize: bool = False,
    outputs: int | Sequence[str] = 1,
    out_dtype: Any = None,
    abstract_eval: Callable | None = None,
    batch: Callable | None = None,
    name: str | None = None,
) -> Any:
    """Wrap a numba function as a fluxion primitive that jit's numba tier calls directly.

    Parameters
    ----------
    fn : callable
        A ``numba.njit`` function on arrays (written with NumPy array expressions, so it also
        accepts scalars and broadcasts), a ``numba.vectorize`` ufunc, or a plain Python function
        (compiled with ``numba.njit``). With ``vectorize=True``: a function of scalars, compiled
        with ``numba.vectorize`` into a broadcasting ufunc. Use as a decorator, with or without
        keywords.
    elementwise : bool, optional
        True (default): arguments broadcast like a ufunc; the shape rule, dtype rule and vmap
        rule follow. False: give ``abstract_eval`` (else the staging compiler evaluates ``fn``
        on zeros) and ``batch`` (else vmap loops, with a warning).
    vectorize : bool, optional
        Compile a scalar function with ``numba.vectorize`` (lazy: one loop per input types).
    outputs : int or sequence of str, optional
        Number (or names) of results; ``fn`` returns a tuple when there are several.
    out_dtype : dtype, optional
        The results' dtype. Default: the inputs' promoted dtype, float64 for integer inputs.
        Results are cast to it, so eager, jit tier 0 and tier 1 agree.
    abstract_eval, batch : callable, optional
        Shape rule and vmap rule (see :func:`c_primitive`, :func:`fluxion.extend.defbatch`).
    name : str, optional
        The primitive's name (default: the function's).

    Returns
    -------
    callable
        The primitive; attach derivatives with :func:`fluxion.extend.defvjp` or ``defjvp``.

    Notes
    -----
    Under :func:`fluxion.jit`, tier 0 calls ``fn``; tier 1 calls it as a global of the
    whole-graph numba kernel (no Python in between; such kernels are not cached on disk). If
    numba cannot compile ``fn`` for the kernel's types, the graph stays on tier 0 and
    ``tier_info()`` says why.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.extend import numba_primitive
    >>> @numba_primitive(vectorize=True)
    ... def softplus(x):
    ...     return np.log1p(np.exp(-abs(x))) + max(x, 0.0)
    >>> softplus(np.array([-1.0, 0.0, 2.0])).round(4)
    array([0.3133, 0.6931, 2.1269])
    """
    if fn is None:
        return functools.partial(
            numba_primitive,
            elementwise=elementwise,
            vectorize=vectorize,
            outputs=outputs,
            out_dtype=out_dtype,
            abstract_eval=abstract_eval,
            batch=batch,
            name=name,
        )
    api = "numba_primitive"
    numba = _import_numba(api)
    from numba.core.dispatcher import Dispatcher
    from numba.np.ufunc.dufunc import DUFunc

    if not callable(fn):
        raise TypeError(f"{api}: expected a function, got {type(fn).__name__}")
    py_name = getattr(getattr(fn, "py_func", fn), "__name__", None) or getattr(fn, "__name__", "")
    prim_name = name or py_name or "numba_primitive"
    if vectorize:
        kernel = fn if isinstance(fn, DUFunc) else numba.vectorize(getattr(fn, "py_func", fn))
    elif isinstance(fn, Dispatcher | DUFunc):
        kernel = fn
    elif callable(fn) and hasattr(fn, "__code__"):
        kernel = numba.njit(fn)
    else:
        raise TypeError(
            f"{api}: expected a numba.njit or numba.vectorize function or a Python function, got "
            f"{type(fn).__name__}"
        )
    out_names = _arg_names(outputs, "outputs", api)
    n_out = len(out_names)
    if elementwise:

        def rule(*avals: ShapedArray, **params: Any) -> Any:
            if params:
                raise TypeError(f"{prim_name}: expected only array arguments, got {sorted(params)}")
            names = tuple(f"in{i}" for i in range(len(avals)))
            shape = _broadcast_shape(prim_name, names, [a.shape for a in avals])
            if abstract_eval is not None:
                return abstract_eval(*avals)
            out = ShapedArray(shape, _elementwise_dtype(avals, out_dtype))
            return out if n_out == 1 else tuple(out for _ in range(n_out))

    else:
        rule = abstract_eval

    def cast(r: Any, aval: Any) -> Any:
        r = np.asarray(r)
        dtype = aval.dtype if aval is not None else r.dtype
        r = r.astype(dtype, copy=False)
        return r[()] if r.ndim == 0 else r

    def impl(*args: Any, **params: Any) -> Any:
        if elementwise:
            out_avals = rule(*(_aval(x) for x in args), **params)
        else:
            out_avals = rule(*(_aval(x) for x in args), **params) if rule is not None else None
        try:
            result = kernel(*args, **params)
        except numba.core.errors.TypingError as err:
            got = ", ".join(str(_aval(x)) for x in args)
            first = str(err).strip().splitlines()
            raise TypeError(
                f"{prim_name}: numba could not compile the function for arguments ({got}): "
                f"{first[0] if first else err}"
            ) from None
        if n_out == 1:
            return cast(result, out_avals)
        if out_avals is None:
            out_avals = (None,) * n_out
        return tuple(cast(r, a) for r, a in zip(result, out_avals))

    impl.__name__ = f"_{prim_name}_impl"
    doc = getattr(fn, "__doc__", None) or f"numba function {prim_name}"
    f = NativePrimitive(prim_name, impl, n_out=n_out, abstract_eval=rule, batch=batch, doc=doc)
    if batch is None and elementwise:
        f.prim.batch = batch_elementwise(f.prim)
    f.numba_function = kernel
    f.prim.templates["numba"] = _numba_fn_lowering(prim_name, kernel, n_out)
    return f


def _aval(x: Any) -> ShapedArray:
    return aval_of(x)


def _numba_fn_lowering(name: str, kernel: Any, n_out: int) -> Callable:
    """``templates["numba"]``: an njit helper that calls ``kernel`` and casts its results."""
    helpers: dict[tuple, dict] = {}

    def lower(eqn: Any) -> dict | None:
        in_avals = [a.aval for a in eqn.inputs]
        out_avals = [v.aval for v in eqn.outs]
        key = (tuple(in_avals), tuple(out_avals))
        spec = helpers.get(key)
        if spec is None:
            spec = helpers[key] = _numba_fn_helper(name, kernel, len(in_avals), out_avals)
        return spec

    return lower


def _numba_fn_helper(name: str, kernel: Any, n_in: int, out_avals: list) -> dict:
    import numba

    safe = "".join(c if c.isalnum() else "_" for c in name)
    helper = f"_fx_numba_{safe}_{next(_helper_ids)}"
    args = ", ".join(f"x{i}" for i in range(n_in))
    results = [f"r{j}" for j in range(len(out_avals))]
    lines = [f"def {helper}({args}):", f"    {', '.join(results)} = kernel({args})"]
    rets = []
    for r, o in zip(results, out_avals):
        dtype = f"np.{o.dtype.name}"
        rets.append(f"{dtype}({r})" if o.ndim == 0 else f"np.asarray({r}, dtype={dtype})")
    lines.append(f"    return {', '.join(rets)}")
    if len(out_avals) == 1:  # ``r0, = kernel(...)`` would unpack an array
        lines[1] = f"    r0 = kernel({args})"
    namespace: dict[str, Any] = {"np": np, "kernel": kernel}
    exec(compile("\n".join(lines) + "\n", f"<fluxion numba_primitive {helper}>", "exec"), namespace)
    call = f"{helper}({_operands(n_in)})"
    return {"call": call, "globals": {helper: numba.njit(nogil=True)(namespace[helper])}}


# --------------------------------------------------------------------------------------------
# CuPy kernels (GPU)
# --------------------------------------------------------------------------------------------


def _import_cupy() -> Any:
    try:
        import cupy
    except ImportError as err:
        raise ImportError(
            "cupy_primitive: CuPy is not installed; it needs an NVIDIA GPU and "
            "pip install cupy-cuda12x (or fluxion[gpu])"
        ) from err
    return cupy


def cupy_primitive(
    kernel: Any,
    *,
    name: str | None = None,
    inputs: int | Sequence[str] = 1,
    outputs: int | Sequence[str] = 1,
    block_size: int = 256,
    host: bool = True,
    batch: Callable | None = None,
) -> NativePrimitive:
    """Wrap a CuPy kernel (elementwise, float64) as a fluxion primitive for GPU arrays.

    Parameters
    ----------
    kernel : cupy.ElementwiseKernel, cupy.RawKernel or str
        An ``ElementwiseKernel`` whose parameters are float64 (``'float64 x, float64 e'``,
        ``'float64 y'``), called with the inputs; or a ``RawKernel`` (or CUDA source, then
        ``name`` is the kernel's name) with the elementwise convention ::

            extern "C" __global__ void name(long long n, const double* in0, ...,
                                            double* out0, ...)

        launched on ``ceil(n / block_size)`` blocks of ``block_size`` threads; each thread
        computes its elements (``i = blockDim.x * blockIdx.x + threadIdx.x``, ``i < n``).
    name : str, optional
        The primitive's name (required with CUDA source: the kernel's name).
    inputs, outputs : int or sequence of str, optional
        How many (or the names of) inputs and outputs.
    block_size : int, optional
        Threads per block for a raw kernel.
    host : bool, optional
        True (default): NumPy inputs are copied to the GPU and the results back to NumPy, so
        the primitive composes with fluxion's NumPy operations and rules. False: inputs are
        used on the device (``cupy.asarray``) and the results are CuPy arrays.
    batch : callable, optional
        A vmap rule; default: the elementwise rule.

    Returns
    -------
    callable
        The primitive (float64 results with the broadcast shape of the inputs); complex,
        non-numeric or non-broadcastable inputs raise ``TypeError``/``ValueError`` before launch.

    Raises
    ------
    ImportError
        CuPy is not installed (checked here, not at ``import fluxion``).

    Notes
    -----
    Untested on a GPU in fluxion's CI (no CuPy there): written against CuPy's documented API.
    :func:`fluxion.jit` runs it on tier 0 (no numba lowering: the graph stays on tier 0).
    """
    cupy = _import_cupy()
    api = "cupy_primitive"
    in_names = _arg_names(inputs, "inputs", api)
    out_names = _arg_names(outputs, "outputs", api)
    n_out = len(out_names)
    if isinstance(kernel, str):
        if not name:
            raise TypeError(f"{api}: CUDA source needs name= (the __global__ function's name)")
        kernel = cupy.RawKernel(kernel, name)
    is_raw = isinstance(kernel, cupy.RawKernel)
    if not is_raw and not isinstance(kernel, cupy.ElementwiseKernel):
        raise TypeError(
            f"{api}: expected a cupy.RawKernel, a cupy.ElementwiseKernel or CUDA source, got "
            f"{type(kernel).__name__}"
        )
    prim_name = name or getattr(kernel, "name", None) or "cupy_kernel"
    if not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"{api}: expected a positive block_size, got {block_size!r}")
    rule = _elementwise_float64_rule(prim_name, in_names, n_out)

    def to_device(i: int, x: Any) -> Any:
        if not isinstance(x, cupy.ndarray):
            x = _as_numpy(prim_name, in_names, i, x)
        else:
            _check_real_dtype(prim_name, in_names, i, x.dtype, x.shape)
        return cupy.asarray(x)

    def impl(*args: Any, **params: Any) -> Any:
        _check_arity(prim_name, in_names, args, params)
        arrays = [to_device(i, x) for i, x in enumerate(args)]
        shape = _broadcast_shape(prim_name, in_names, [a.shape for a in arrays])
        ins = [
            cupy.ascontiguousarray(cupy.broadcast_to(a, shape), dtype=cupy.float64) for a in arrays
        ]
        if is_raw:
            outs = [cupy.empty(shape, dtype=cupy.float64) for _ in range(n_out)]
            n = math.prod(shape)
            if n:
                grid = ((n + block_size - 1) // block_size,)
                kernel(grid, (block_size,), (np.int64(n), *ins, *outs))
        else:
            result = kernel(*ins)
            outs = list(result) if isinstance(result, tuple) else [result]
            if len(outs) != n_out:
                raise ValueError(f"{prim_name}: expected {n_out} outputs, got {len(outs)}")
        if host:
            outs = [cupy.asnumpy(o) for o in outs]
            return _pack(outs, n_out)
        return outs[0] if n_out == 1 else tuple(outs)

    impl.__name__ = f"_{prim_name}_impl"
    doc = f"CuPy kernel {prim_name}({', '.join(in_names)}) -> {', '.join(out_names)}"
    f = NativePrimitive(prim_name, impl, n_out=n_out, abstract_eval=rule, batch=batch, doc=doc)
    if batch is None:
        f.prim.batch = batch_elementwise(f.prim)
    f.cupy_kernel = kernel
    return f
