"""Pytrees: flatten nested containers of arrays to leaves and back.

See :mod:`fluxion._src.tree_util` for the semantics (they follow ``jax.tree_util``).
"""

from ._src.tree_util import TreeDef as TreeDef
from ._src.tree_util import dataclass as dataclass
from ._src.tree_util import field as field
from ._src.tree_util import ravel_pytree as ravel_pytree
from ._src.tree_util import register_pytree_node as register
from ._src.tree_util import register_pytree_node_class as register_class
from ._src.tree_util import tree_all as all
from ._src.tree_util import tree_flatten as flatten
from ._src.tree_util import tree_leaves as leaves
from ._src.tree_util import tree_map as map
from ._src.tree_util import tree_structure as structure
from ._src.tree_util import tree_unflatten as unflatten

__all__ = [
    "TreeDef",
    "all",
    "dataclass",
    "field",
    "flatten",
    "leaves",
    "map",
    "ravel_pytree",
    "register",
    "register_class",
    "structure",
    "unflatten",
]
