"""Extend fluxion with your own primitives and their derivative rules.

``primitive`` wraps a function on arrays (NumPy, SciPy, compiled code); ``defvjp``/``defjvp`` take
autograd's rule makers; ``deflinear`` declares a multilinear function; ``defbatch`` (or
``primitive(f, elementwise=True)``) tells vmap how to batch it. ``c_primitive`` compiles a C
function at run time, ``numba_primitive`` wraps a numba function and ``cupy_primitive`` a CuPy
kernel; jit's numba tier calls the C and numba functions from inside its compiled kernels.
"""

from fluxion._src.core import Primitive as Primitive
from fluxion._src.extend import defbatch as defbatch
from fluxion._src.extend import defjvp as defjvp
from fluxion._src.extend import deflinear as deflinear
from fluxion._src.extend import defvjp as defvjp
from fluxion._src.extend import primitive as primitive
from fluxion._src.native import c_primitive as c_primitive
from fluxion._src.native import compile_c_library as compile_c_library
from fluxion._src.native import cupy_primitive as cupy_primitive
from fluxion._src.native import numba_primitive as numba_primitive

__all__ = [
    "Primitive",
    "c_primitive",
    "compile_c_library",
    "cupy_primitive",
    "defbatch",
    "deflinear",
    "defjvp",
    "defvjp",
    "numba_primitive",
    "primitive",
]
