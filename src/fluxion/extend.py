"""Extend fluxion with your own primitives and their derivative rules.

``primitive`` wraps a function on arrays (NumPy, SciPy, compiled code); ``defvjp``/``defjvp`` take
autograd's rule makers; ``deflinear`` declares a multilinear function; ``defbatch`` (or
``primitive(f, elementwise=True)``) tells vmap how to batch it.
"""

from fluxion._src.core import Primitive as Primitive
from fluxion._src.extend import defbatch as defbatch
from fluxion._src.extend import defjvp as defjvp
from fluxion._src.extend import deflinear as deflinear
from fluxion._src.extend import defvjp as defvjp
from fluxion._src.extend import primitive as primitive

__all__ = ["Primitive", "defbatch", "deflinear", "defjvp", "defvjp", "primitive"]
