"""Numerical derivative checks for testing fluxion functions and user-defined primitives.

``check_grads(f, args, order=2, modes=("fwd", "rev"))`` compares forward mode with central
differences and reverse mode with the inner-product identity, recursing to higher orders; see
:mod:`fluxion._src.test_util` for the tolerances.
"""

from ._src.test_util import check_grads as check_grads
from ._src.test_util import check_jvp as check_jvp
from ._src.test_util import check_vjp as check_vjp

__all__ = ["check_grads", "check_jvp", "check_vjp"]
