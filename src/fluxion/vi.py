"""``fluxion.vi``: variational inference.

:func:`psis` Pareto-smooths importance ratios and estimates k-hat (Vehtari et al. 2024), the
diagnostic reported for every fitted approximation.
"""

from ._src.vi import *  # noqa: F403
from ._src.vi import __all__ as __all__  # noqa: F401
