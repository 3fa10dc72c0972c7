"""Pytrees: nested containers of arrays, flattened to a list of leaves and a structure.

A pytree is a nested structure of containers (tuple, list, dict, namedtuple, OrderedDict,
defaultdict, None, registered classes and :func:`dataclass` instances) whose non-container
elements are *leaves*. Semantics follow JAX's ``jax.tree_util``:

- dict children come in sorted-key order (insertion order if the keys do not sort);
  OrderedDict children in insertion order;
- ``None`` is a node with no children, not a leaf;
- everything that is not a registered container is a leaf.

Flattening runs on every transformed call, so it is written for speed: node kinds are found by
an exact-type dictionary lookup (no ``isinstance`` chain), and :class:`TreeDef` is an immutable
tuple so that hashing and comparing structures (the jit cache key) run in C.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

from . import core as _core

__all__ = [
    "TreeDef",
    "dataclass",
    "field",
    "ravel_pytree",
    "register_pytree_node",
    "register_pytree_node_class",
    "tree_all",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
]

PyTree = Any
T = TypeVar("T")
FlattenFn = Callable[[Any], tuple[Iterable[Any], Hashable]]
UnflattenFn = Callable[[Hashable, Sequence[Any]], Any]


class _NodeKind:
    """How one container type is taken apart and put back together.

    ``to_children(node) -> (children, aux)`` and ``from_children(aux, children) -> node``;
    ``describe(aux, child_reprs) -> str`` renders the node inside ``PyTreeDef(...)``.
    Kinds compare by identity, so one kind object exists per container type.
    """

    __slots__ = ("type", "to_children", "from_children", "describe")

    def __init__(
        self,
        type_: type,
        to_children: Callable[[Any], tuple[Sequence[Any], Hashable]],
        from_children: Callable[[Hashable, list[Any]], Any],
        describe: Callable[[Hashable, list[str]], str],
    ) -> None:
        self.type = type_
        self.to_children = to_children
        self.from_children = from_children
        self.describe = describe

    def __repr__(self) -> str:
        return f"_NodeKind({self.type.__qualname__})"


# ---------------------------------------------------------------------------------------------
# TreeDef


class TreeDef(tuple):
    """The structure of a pytree: immutable, hashable, comparable.

    A ``TreeDef`` is what :func:`tree_flatten` returns beside the leaves; it rebuilds a tree from
    a new list of leaves with :meth:`unflatten`. Two trees have equal ``TreeDef`` s when they have
    the same containers, the same dict keys and the same static (auxiliary) data. It is part of
    every jit cache key, so it is stored as a nested tuple ``(kind, aux, children, num_leaves)``
    whose hash and equality run in C.

    Examples
    --------
    >>> import fluxion.tree as ft
    >>> leaves, treedef = ft.flatten((1.0, [2.0, 3.0], {"a": 4.0}))
    >>> treedef
    PyTreeDef((*, [*, *], {'a': *}))
    >>> treedef.num_leaves
    4
    >>> treedef.unflatten([5.0, 6.0, 7.0, 8.0])
    (5.0, [6.0, 7.0], {'a': 8.0})
    """

    __slots__ = ()

    @property
    def num_leaves(self) -> int:
        """int : The number of leaves in the structure."""
        return tuple.__getitem__(self, 3)

    @property
    def num_nodes(self) -> int:
        """int : The number of nodes, leaves and containers (``None`` included)."""
        children = tuple.__getitem__(self, 2)
        return 1 + sum(c.num_nodes for c in children)

    def children(self) -> list[TreeDef]:
        """Return the structures of this node's immediate children (empty for a leaf)."""
        return list(tuple.__getitem__(self, 2))

    def is_leaf(self) -> bool:
        """Return True if this structure is a single leaf."""
        return tuple.__getitem__(self, 0) is None

    def unflatten(self, leaves: Iterable[Any]) -> PyTree:
        """Build a tree of this structure from ``leaves``; see :func:`tree_unflatten`."""
        return tree_unflatten(self, leaves)

    def flatten_up_to(self, tree: PyTree) -> list[Any]:
        """Flatten ``tree`` only as deep as this structure goes.

        Parameters
        ----------
        tree : pytree
            A tree whose structure has this one as a prefix: where this structure has a leaf,
            ``tree`` may hold a whole subtree.

        Returns
        -------
        list
            ``num_leaves`` elements: the subtrees of ``tree`` at this structure's leaves.

        Raises
        ------
        ValueError
            If ``tree`` does not have this structure as a prefix.
        """
        out: list[Any] = []
        _flatten_up_to(self, tree, out, self, tree)
        return out

    def __repr__(self) -> str:
        return f"PyTreeDef({_describe(self)})"

    def __str__(self) -> str:
        return self.__repr__()

    def __reduce__(self) -> Any:
        raise TypeError("TreeDef cannot be pickled")


_new_treedef = tuple.__new__

#: The structure of a single leaf (a singleton: leaves are recognised by identity).
_LEAF: TreeDef = _new_treedef(TreeDef, (None, None, (), 1))


def _describe(treedef: TreeDef) -> str:
    kind, aux, children, _ = treedef
    if kind is None:
        return "*"
    return kind.describe(aux, [_describe(c) for c in children])


# ---------------------------------------------------------------------------------------------
# The registry: exact type -> kind. A known leaf type maps to None; an unseen type is classified
# once (namedtuple or leaf) and cached, so a leaf costs one dictionary lookup.

_UNSEEN = object()
_registry: dict[type, _NodeKind | None] = {}
_registry_get = _registry.get
_builtin_types: set[type] = set()
_MAX_CACHED_LEAF_TYPES = 4096
_num_cached_leaf_types = 0


def _classify(cls: type) -> _NodeKind | None:
    """Return the kind for a type not yet in the registry (namedtuple or leaf), and cache it."""
    global _num_cached_leaf_types
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        kind = _namedtuple_kind(cls)
        _registry[cls] = kind
        return kind
    if _num_cached_leaf_types < _MAX_CACHED_LEAF_TYPES:
        _num_cached_leaf_types += 1
        _registry[cls] = None
    return None


def _kind_of(cls: type) -> _NodeKind | None:
    kind = _registry_get(cls, _UNSEEN)
    if kind is _UNSEEN:
        return _classify(cls)
    return kind


def _join(items: list[str]) -> str:
    return ", ".join(items)


def _tuple_to_children(x: tuple) -> tuple[tuple, None]:
    return x, None


def _tuple_from_children(aux: None, children: list[Any]) -> tuple:
    return tuple(children)


def _tuple_describe(aux: None, children: list[str]) -> str:
    if len(children) == 1:
        return f"({children[0]},)"
    return f"({_join(children)})"


def _list_to_children(x: list) -> tuple[list, None]:
    return x, None


def _list_from_children(aux: None, children: list[Any]) -> list:
    return children


def _list_describe(aux: None, children: list[str]) -> str:
    return f"[{_join(children)}]"


def _sorted_keys(x: dict) -> tuple:
    try:
        return tuple(sorted(x))
    except TypeError:
        return tuple(x)


def _dict_to_children(x: dict) -> tuple[list, tuple]:
    keys = _sorted_keys(x)
    return [x[k] for k in keys], keys


def _dict_from_children(keys: tuple, children: list[Any]) -> dict:
    return dict(zip(keys, children))


def _dict_items_repr(keys: tuple, children: list[str]) -> str:
    return _join([f"{k!r}: {c}" for k, c in zip(keys, children)])


def _dict_describe(keys: tuple, children: list[str]) -> str:
    return "{" + _dict_items_repr(keys, children) + "}"


def _ordered_dict_to_children(x: collections.OrderedDict) -> tuple[list, tuple]:
    keys = tuple(x)
    return [x[k] for k in keys], keys


def _ordered_dict_from_children(keys: tuple, children: list[Any]) -> collections.OrderedDict:
    return collections.OrderedDict(zip(keys, children))


def _ordered_dict_describe(keys: tuple, children: list[str]) -> str:
    return "OrderedDict({" + _dict_items_repr(keys, children) + "})"


def _default_dict_to_children(x: collections.defaultdict) -> tuple[list, tuple]:
    keys = _sorted_keys(x)
    return [x[k] for k in keys], (x.default_factory, keys)


def _default_dict_from_children(aux: tuple, children: list[Any]) -> collections.defaultdict:
    factory, keys = aux
    return collections.defaultdict(factory, zip(keys, children))


def _default_dict_describe(aux: tuple, children: list[str]) -> str:
    factory, keys = aux
    return f"defaultdict({factory!r}, {{{_dict_items_repr(keys, children)}}})"


def _none_to_children(x: None) -> tuple[tuple, None]:
    return (), None


def _none_from_children(aux: None, children: list[Any]) -> None:
    return None


def _none_describe(aux: None, children: list[str]) -> str:
    return "None"


def _namedtuple_kind(cls: type) -> _NodeKind:
    fields = cls._fields
    make = cls._make
    name = cls.__name__

    def from_children(aux: None, children: list[Any]) -> Any:
        return make(children)

    def describe(aux: None, children: list[str]) -> str:
        return f"{name}({_join([f'{f}={c}' for f, c in zip(fields, children)])})"

    return _NodeKind(cls, _tuple_to_children, from_children, describe)


def _register_builtin(kind: _NodeKind) -> None:
    _registry[kind.type] = kind
    _builtin_types.add(kind.type)


_TUPLE = _NodeKind(tuple, _tuple_to_children, _tuple_from_children, _tuple_describe)
_LIST = _NodeKind(list, _list_to_children, _list_from_children, _list_describe)
_DICT = _NodeKind(dict, _dict_to_children, _dict_from_children, _dict_describe)
_NONE = _NodeKind(type(None), _none_to_children, _none_from_children, _none_describe)
for _kind in (
    _TUPLE,
    _LIST,
    _DICT,
    _NONE,
    _NodeKind(
        collections.OrderedDict,
        _ordered_dict_to_children,
        _ordered_dict_from_children,
        _ordered_dict_describe,
    ),
    _NodeKind(
        collections.defaultdict,
        _default_dict_to_children,
        _default_dict_from_children,
        _default_dict_describe,
    ),
):
    _register_builtin(_kind)

# Common leaf types, known up front.
for _leaf_type in (
    int,
    float,
    complex,
    bool,
    str,
    bytes,
    np.ndarray,
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.bool_,
    np.complex128,
    np.complex64,
):
    _registry[_leaf_type] = None
del _kind, _leaf_type


# ---------------------------------------------------------------------------------------------
# Flatten / unflatten


def _flatten(x: Any, leaves: list[Any]) -> TreeDef:
    kind = _registry_get(type(x), _UNSEEN)
    if kind is None:
        leaves.append(x)
        return _LEAF
    if kind is _UNSEEN:
        kind = _classify(type(x))
        if kind is None:
            leaves.append(x)
            return _LEAF
    if kind is _TUPLE or kind is _LIST:
        children = x
        aux = None
    else:
        children, aux = kind.to_children(x)
    start = len(leaves)
    child_defs = []
    # Leaf children are handled inline: one lookup, no recursive call.
    for c in children:
        if _registry_get(type(c), _UNSEEN) is None:
            leaves.append(c)
            child_defs.append(_LEAF)
        else:
            child_defs.append(_flatten(c, leaves))
    return _new_treedef(TreeDef, (kind, aux, tuple(child_defs), len(leaves) - start))


def _flatten_is_leaf(x: Any, leaves: list[Any], is_leaf: Callable[[Any], bool]) -> TreeDef:
    if is_leaf(x):
        leaves.append(x)
        return _LEAF
    kind = _kind_of(type(x))
    if kind is None:
        leaves.append(x)
        return _LEAF
    children, aux = kind.to_children(x)
    start = len(leaves)
    child_defs = tuple([_flatten_is_leaf(c, leaves, is_leaf) for c in children])
    return _new_treedef(TreeDef, (kind, aux, child_defs, len(leaves) - start))


def _leaves(x: Any, leaves: list[Any]) -> None:
    kind = _registry_get(type(x), _UNSEEN)
    if kind is None:
        leaves.append(x)
        return
    if kind is _UNSEEN:
        kind = _classify(type(x))
        if kind is None:
            leaves.append(x)
            return
    if kind is _TUPLE or kind is _LIST:
        children = x
    else:
        children = kind.to_children(x)[0]
    for c in children:
        _leaves(c, leaves)


def _unflatten(treedef: TreeDef, it: Any) -> Any:
    # ``treedef`` is a node (leaves are handled by the caller); leaf children inline.
    kind, aux, children, _ = treedef
    values = [next(it) if c is _LEAF else _unflatten(c, it) for c in children]
    if kind is _TUPLE:
        return tuple(values)
    if kind is _LIST:
        return values
    return kind.from_children(aux, values)


def _flatten_up_to(
    treedef: TreeDef, x: Any, out: list[Any], whole_def: TreeDef, whole_tree: Any
) -> None:
    kind, aux, children, _ = treedef
    if kind is None:
        out.append(x)
        return
    if _kind_of(type(x)) is not kind:
        raise _structure_error(whole_def, whole_tree)
    x_children, x_aux = kind.to_children(x)
    x_children = list(x_children)
    if len(x_children) != len(children) or x_aux != aux:
        raise _structure_error(whole_def, whole_tree)
    for c, xc in zip(children, x_children):
        _flatten_up_to(c, xc, out, whole_def, whole_tree)


def _structure_error(treedef: TreeDef, tree: Any) -> ValueError:
    return ValueError(
        f"tree structure mismatch: expected a tree with prefix {treedef!r}, "
        f"got {tree_structure(tree)!r}"
    )


def tree_flatten(
    tree: PyTree, is_leaf: Callable[[Any], bool] | None = None
) -> tuple[list[Any], TreeDef]:
    """Flatten a pytree into a list of leaves and its structure.

    Parameters
    ----------
    tree : pytree
        Nested tuples, lists, dicts, namedtuples, OrderedDicts, defaultdicts, ``None``,
        registered classes and :func:`dataclass` instances; anything else is a leaf.
    is_leaf : callable, optional
        ``is_leaf(node) -> bool``, called on every node before it is taken apart; a node for
        which it returns True is kept whole as one leaf (``None`` included).

    Returns
    -------
    leaves : list
        The leaves, depth first, dict children in sorted-key order; length
        ``treedef.num_leaves``.
    treedef : TreeDef
        The structure, to rebuild a tree with :func:`tree_unflatten`.

    See Also
    --------
    tree_unflatten, tree_leaves, tree_structure

    Examples
    --------
    >>> leaves, treedef = tree_flatten({"b": (1.0, None), "a": [2.0]})
    >>> leaves
    [2.0, 1.0]
    >>> treedef
    PyTreeDef({'a': [*], 'b': (*, None)})
    """
    leaves: list[Any] = []
    if is_leaf is None:
        treedef = _flatten(tree, leaves)
    else:
        treedef = _flatten_is_leaf(tree, leaves, is_leaf)
    return leaves, treedef


def tree_unflatten(treedef: TreeDef, leaves: Iterable[Any]) -> PyTree:
    """Build a pytree of structure ``treedef`` from ``leaves``.

    Parameters
    ----------
    treedef : TreeDef
        A structure returned by :func:`tree_flatten` or :func:`tree_structure`.
    leaves : iterable
        Exactly ``treedef.num_leaves`` leaves, in flattening order.

    Returns
    -------
    pytree
        A tree with the structure ``treedef`` and the given leaves.

    Raises
    ------
    ValueError
        If the number of leaves differs from ``treedef.num_leaves``.

    Examples
    --------
    >>> leaves, treedef = tree_flatten((1.0, [2.0, 3.0]))
    >>> tree_unflatten(treedef, [4.0, 5.0, 6.0])
    (4.0, [5.0, 6.0])
    """
    if type(treedef) is not TreeDef:
        raise TypeError(
            f"tree_unflatten: expected a TreeDef as first argument, got {type(treedef).__name__}; "
            "the signature is tree_unflatten(treedef, leaves)"
        )
    if type(leaves) is not list and type(leaves) is not tuple:
        leaves = list(leaves)
    if len(leaves) != treedef[3]:
        raise ValueError(
            f"tree_unflatten: expected {treedef[3]} leaves for {treedef!r}, got {len(leaves)}"
        )
    if treedef is _LEAF:
        return leaves[0]
    return _unflatten(treedef, iter(leaves))


def tree_leaves(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """Return the leaves of a pytree, in flattening order.

    Parameters
    ----------
    tree : pytree
        The tree to take apart.
    is_leaf : callable, optional
        As in :func:`tree_flatten`.

    Returns
    -------
    list
        The leaves, as ``tree_flatten(tree)[0]``.

    Examples
    --------
    >>> tree_leaves([1.0, {"x": 2.0, "w": None}])
    [1.0, 2.0]
    """
    leaves: list[Any] = []
    if is_leaf is None:
        _leaves(tree, leaves)
    else:
        _flatten_is_leaf(tree, leaves, is_leaf)
    return leaves


def tree_structure(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> TreeDef:
    """Return the structure of a pytree.

    Parameters
    ----------
    tree : pytree
        The tree.
    is_leaf : callable, optional
        As in :func:`tree_flatten`.

    Returns
    -------
    TreeDef
        As ``tree_flatten(tree)[1]``.

    Examples
    --------
    >>> tree_structure((1.0, {"a": 2.0}))
    PyTreeDef((*, {'a': *}))
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_map(
    f: Callable[..., Any],
    tree: PyTree,
    *rest: PyTree,
    is_leaf: Callable[[Any], bool] | None = None,
) -> PyTree:
    """Apply ``f`` to the leaves of one or more pytrees, keeping the structure of the first.

    Parameters
    ----------
    f : callable
        ``f(leaf, *rest_leaves) -> new_leaf``.
    tree : pytree
        The tree whose structure the result has.
    *rest : pytree
        Trees with the structure of ``tree``, or with ``tree``'s structure as a prefix (a leaf
        of ``tree`` may correspond to a whole subtree, which is passed to ``f`` as it is).
    is_leaf : callable, optional
        As in :func:`tree_flatten`, applied to ``tree``.

    Returns
    -------
    pytree
        ``tree``'s structure with ``f(leaf, *corresponding)`` at every leaf.

    Raises
    ------
    ValueError
        If a tree in ``rest`` does not have ``tree``'s structure; the message shows both.

    Examples
    --------
    >>> tree_map(lambda x, y: x + y, (1.0, [2.0]), (10.0, [20.0]))
    (11.0, [22.0])
    """
    if not callable(f):
        raise TypeError(
            f"tree_map: expected a callable as the first argument, got {type(f).__name__}; "
            "the function comes first: tree_map(f, tree, *rest)"
        )
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return tree_unflatten(treedef, [f(x) for x in leaves])
    all_leaves = [leaves]
    for i, other in enumerate(rest, start=1):
        other_leaves, other_def = tree_flatten(other)
        if other_def != treedef:
            try:
                other_leaves = treedef.flatten_up_to(other)
            except ValueError:
                raise ValueError(
                    f"tree_map: argument {i} of rest has a different tree structure than the "
                    f"first tree: expected {treedef!r}, got {other_def!r}"
                ) from None
        all_leaves.append(other_leaves)
    return tree_unflatten(treedef, [f(*xs) for xs in zip(*all_leaves)])


def tree_all(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Return True if every leaf of ``tree`` is truthy (True for a tree with no leaves).

    Parameters
    ----------
    tree : pytree
        The tree.
    is_leaf : callable, optional
        As in :func:`tree_flatten`.

    Returns
    -------
    bool
        ``all(tree_leaves(tree))``.

    Examples
    --------
    >>> tree_all((True, [1, 2]))
    True
    """
    return all(tree_leaves(tree, is_leaf))


# ---------------------------------------------------------------------------------------------
# Registration


def _check_registrable(cls: type) -> None:
    if not isinstance(cls, type):
        raise TypeError(f"register: expected a class, got {cls!r}")
    if cls in _builtin_types:
        raise ValueError(
            f"register: {cls.__qualname__} is a built-in pytree node; it cannot be registered again"
        )
    if _registry_get(cls) is not None:
        raise ValueError(f"register: {cls.__qualname__} is already registered as a pytree node")


def register_pytree_node(cls: type[T], flatten_fn: FlattenFn, unflatten_fn: UnflattenFn) -> type[T]:
    """Register a class as a pytree node.

    Parameters
    ----------
    cls : type
        The class. Only exact instances are nodes; subclasses are leaves unless registered too.
    flatten_fn : callable
        ``flatten_fn(obj) -> (children, aux)``: the children (an iterable of pytrees) and
        hashable auxiliary data, which becomes part of the :class:`TreeDef`.
    unflatten_fn : callable
        ``unflatten_fn(aux, children) -> obj``, ``children`` a tuple.

    Returns
    -------
    type
        ``cls``, unchanged.

    Raises
    ------
    ValueError
        If ``cls`` is a built-in container or already registered.

    Examples
    --------
    >>> class Pair:
    ...     def __init__(self, a, b):
    ...         self.a, self.b = a, b
    >>> _ = register_pytree_node(
    ...     Pair, lambda p: ((p.a, p.b), None), lambda aux, ch: Pair(*ch)
    ... )
    >>> tree_leaves(Pair(1.0, (2.0, 3.0)))
    [1.0, 2.0, 3.0]
    """
    _check_registrable(cls)
    name = cls.__qualname__

    def to_children(x: Any) -> tuple[Sequence[Any], Hashable]:
        children, aux = flatten_fn(x)
        return children, aux

    def from_children(aux: Hashable, children: list[Any]) -> Any:
        return unflatten_fn(aux, tuple(children))

    def describe(aux: Hashable, children: list[str]) -> str:
        return f"CustomNode({name}[{aux!r}], [{_join(children)}])"

    _registry[cls] = _NodeKind(cls, to_children, from_children, describe)
    return cls


def register_pytree_node_class(cls: type[T]) -> type[T]:
    """Class decorator: register ``cls`` using its ``tree_flatten``/``tree_unflatten`` methods.

    ``obj.tree_flatten() -> (children, aux)`` and the classmethod
    ``cls.tree_unflatten(aux, children) -> obj``, as in JAX.

    Parameters
    ----------
    cls : type
        The class to register.

    Returns
    -------
    type
        ``cls``, registered.

    Examples
    --------
    >>> @register_pytree_node_class
    ... class Scaled:
    ...     def __init__(self, x, scale):
    ...         self.x, self.scale = x, scale
    ...     def tree_flatten(self):
    ...         return (self.x,), self.scale
    ...     @classmethod
    ...     def tree_unflatten(cls, aux, children):
    ...         return cls(children[0], aux)
    >>> tree_structure(Scaled(1.0, 2))
    PyTreeDef(CustomNode(Scaled[2], [*]))
    """
    return register_pytree_node(
        cls, lambda obj: obj.tree_flatten(), lambda aux, ch: cls.tree_unflatten(aux, ch)
    )


# ---------------------------------------------------------------------------------------------
# Dataclasses

_STATIC = "fluxion_static"


def field(*, static: bool = False, **kwargs: Any) -> Any:
    """A :func:`dataclasses.field` for :func:`dataclass`, optionally static.

    Parameters
    ----------
    static : bool, default False
        If True the field is auxiliary data: it is stored in the :class:`TreeDef` (so it must be
        hashable, and changing it changes the structure, e.g. re-traces under jit) instead of
        being a leaf that transforms see.
    **kwargs
        Passed to :func:`dataclasses.field` (``default``, ``default_factory``, ``repr``, ...).

    Returns
    -------
    dataclasses.Field
        The field specification.

    Examples
    --------
    >>> @dataclass
    ... class Layer:
    ...     w: float
    ...     activation: str = field(static=True, default="tanh")
    >>> tree_flatten(Layer(1.0))
    ([1.0], PyTreeDef(Layer(w=*, activation='tanh')))
    """
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata[_STATIC] = static
    return dataclasses.field(metadata=metadata, **kwargs)


def _replace(self: T, **changes: Any) -> T:
    """Return a copy with the given fields replaced (:func:`dataclasses.replace`)."""
    return dataclasses.replace(self, **changes)


def dataclass(cls: type[T] | None = None, /, **kwargs: Any) -> Any:
    """Decorator: a frozen :func:`dataclasses.dataclass` registered as a pytree node.

    Fields are leaves (subtrees) unless declared with ``field(static=True)``, which puts them in
    the :class:`TreeDef` instead. Instances get a ``replace(**changes)`` method. Rebuilding an
    instance from leaves (inside transforms) does not call ``__init__`` or ``__post_init__``,
    so validation there never sees traced values.

    Parameters
    ----------
    cls : type, optional
        The class; omit it to pass options: ``@dataclass(eq=False)``.
    **kwargs
        Passed to :func:`dataclasses.dataclass`; ``frozen`` is always True.

    Returns
    -------
    type
        The frozen dataclass, registered.

    Raises
    ------
    ValueError
        If ``frozen=False`` is asked for.

    Examples
    --------
    >>> @dataclass
    ... class Normal:
    ...     loc: float
    ...     scale: float
    ...     name: str = field(static=True, default="x")
    >>> d = Normal(0.0, 1.0)
    >>> tree_leaves(d)
    [0.0, 1.0]
    >>> d.replace(scale=2.0)
    Normal(loc=0.0, scale=2.0, name='x')
    """
    if cls is None:

        def wrap(c: type[T]) -> type[T]:
            return dataclass(c, **kwargs)

        return wrap
    if kwargs.get("frozen", True) is not True:
        raise ValueError("dataclass: fluxion dataclasses are always frozen; drop frozen=False")
    kwargs["frozen"] = True
    cls = dataclasses.dataclass(cls, **kwargs)
    fields = dataclasses.fields(cls)
    data_names = tuple(f.name for f in fields if not f.metadata.get(_STATIC, False))
    static_names = tuple(f.name for f in fields if f.metadata.get(_STATIC, False))
    if "replace" not in cls.__dict__:
        cls.replace = _replace
    _check_registrable(cls)
    new = object.__new__
    setattr_ = object.__setattr__
    name = cls.__name__

    def to_children(x: Any) -> tuple[list[Any], tuple]:
        return [getattr(x, n) for n in data_names], tuple([getattr(x, n) for n in static_names])

    def from_children(aux: tuple, children: list[Any]) -> Any:
        obj = new(cls)
        for n, v in zip(data_names, children):
            setattr_(obj, n, v)
        for n, v in zip(static_names, aux):
            setattr_(obj, n, v)
        return obj

    def describe(aux: tuple, children: list[str]) -> str:
        items = [f"{n}={c}" for n, c in zip(data_names, children)]
        items += [f"{n}={v!r}" for n, v in zip(static_names, aux)]
        return f"{name}({_join(items)})"

    _registry[cls] = _NodeKind(cls, to_children, from_children, describe)
    return cls


# ---------------------------------------------------------------------------------------------
# ravel_pytree

_PYTHON_SCALARS = (bool, int, float, complex)


def ravel_pytree(tree: PyTree) -> tuple[Any, Callable[[Any], PyTree]]:
    """Concatenate the leaves of a pytree into one 1-D vector; differentiable both ways.

    Parameters
    ----------
    tree : pytree
        A tree of array-like leaves (arrays, traced arrays, NumPy or Python scalars).

    Returns
    -------
    flat : Array, shape ``(n,)``
        The raveled leaves, concatenated in flattening order; ``n`` is the total number of
        elements. Its dtype is the result type of the leaves (Python scalars are weak), promoted
        to float64 if that is not a floating or complex type; float64 for a tree without leaves.
    unravel : callable
        ``unravel(vector) -> pytree``: splits a vector of shape ``(n,)`` back into a tree of the
        original structure, shapes and dtypes (Python scalar leaves come back as 0-d arrays).
        It raises ``ValueError`` for a vector of the wrong shape.

    Notes
    -----
    Both directions are written with ``fluxion.numpy`` (ravel, concatenate, slicing, reshape,
    astype), so gradients flow through ``flat`` and through ``unravel``.
    Matches ``jax.flatten_util.ravel_pytree`` except that integer and boolean leaves give a
    float64 vector (fluxion vectors are for optimizers and samplers), cast back by ``unravel``.

    Examples
    --------
    >>> import numpy as np
    >>> flat, unravel = ravel_pytree({"w": np.ones((2, 2)), "b": 0.5})
    >>> flat
    array([0.5, 1. , 1. , 1. , 1. ])
    >>> unravel(flat)["w"].shape
    (2, 2)
    """
    fnp = _core._fnp  # fluxion.numpy sits above this layer; it installs itself in core

    leaves, treedef = tree_flatten(tree)
    shapes = [np.shape(x) for x in leaves]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    dtype = _flat_dtype(leaves)
    # Weak Python scalars come back in the vector's dtype (float/complex) or the default int/bool.
    leaf_dtypes = [_leaf_dtype(x, dtype) for x in leaves]
    pieces = []
    for x in leaves:
        piece = fnp.ravel(fnp.asarray(x))
        if piece.dtype != dtype:
            piece = piece.astype(dtype)
        pieces.append(piece)
    if pieces:
        flat = fnp.concatenate(pieces)
    else:
        flat = np.zeros(0, dtype=dtype)
    total = sum(sizes)

    def unravel(vector: Any) -> PyTree:
        shape = np.shape(vector)
        if shape != (total,):
            raise ValueError(
                f"unravel: expected a 1-D vector of length {total} for {treedef!r}, "
                f"got shape {shape}"
            )
        out = []
        start = 0
        for shape, size, leaf_dtype in zip(shapes, sizes, leaf_dtypes):
            piece = fnp.reshape(vector[start : start + size], shape)
            if piece.dtype != leaf_dtype:
                if piece.dtype.kind == "c" and leaf_dtype.kind != "c":
                    piece = fnp.real(piece)  # a real leaf in a complex vector
                if piece.dtype != leaf_dtype:
                    piece = piece.astype(leaf_dtype)
            out.append(piece)
            start += size
        return tree_unflatten(treedef, out)

    return flat, unravel


def _dtype(x: Any) -> np.dtype:
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return np.asarray(x).dtype
    return np.dtype(dtype)


def _flat_dtype(leaves: list[Any]) -> np.dtype:
    """The result type of the leaves (Python scalars weak), promoted to float64 if not inexact."""
    strong = set()
    weak = {}
    for x in leaves:
        cls = type(x)
        if cls in _PYTHON_SCALARS:
            weak[cls] = _WEAK_REPRESENTATIVE[cls]
        else:
            dtype = _dtype(x)
            if dtype.kind not in "biufc":
                raise TypeError(
                    f"ravel_pytree: expected leaves that are numbers or numeric arrays, got a "
                    f"leaf of dtype {dtype} ({type(x).__name__} {x!r:.40})"
                )
            strong.add(dtype)
    if not strong and not weak:
        return np.dtype(np.float64)
    dtype = np.result_type(*strong, *weak.values())
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.dtype(np.float64)
    return dtype


_WEAK_REPRESENTATIVE = {bool: False, int: 0, float: 0.0, complex: 0j}


def _leaf_dtype(x: Any, flat_dtype: np.dtype) -> np.dtype:
    """The dtype that ``unravel`` gives back for leaf ``x``."""
    cls = type(x)
    if cls is float:
        return np.finfo(flat_dtype).dtype  # the real dtype of the vector's precision
    if cls is complex:
        return flat_dtype
    if cls is int:
        return np.dtype(np.int64)
    if cls is bool:
        return np.dtype(np.bool_)
    return _dtype(x)
