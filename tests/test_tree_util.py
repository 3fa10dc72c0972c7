"""Tests for fluxion.tree (pytrees): containers, TreeDef, registration, dataclasses, ravel."""

from __future__ import annotations

import collections
from typing import NamedTuple

import numpy as np
import pytest

import fluxion.tree as ft
from fluxion._src import tree_util as tu


class Point(NamedTuple):
    x: object
    y: object


# --- containers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tree, expected_leaves",
    [
        (1.0, [1.0]),
        ((1.0, 2.0, 3.0), [1.0, 2.0, 3.0]),
        ([1.0, [2.0, (3.0,)]], [1.0, 2.0, 3.0]),
        ({"b": 2.0, "a": 1.0, "c": 3.0}, [1.0, 2.0, 3.0]),
        (Point(1.0, 2.0), [1.0, 2.0]),
        (collections.OrderedDict([("b", 1.0), ("a", 2.0)]), [1.0, 2.0]),
        (collections.defaultdict(list, {"b": 2.0, "a": 1.0}), [1.0, 2.0]),
        (None, []),
        ((), []),
        ([], []),
        ({}, []),
        ({"w": [np.ones(2), None], "b": (3.0,)}, [3.0, np.ones(2)]),
    ],
)
def test_flatten_unflatten_round_trip(tree, expected_leaves):
    leaves, treedef = ft.flatten(tree)
    assert len(leaves) == len(expected_leaves) == treedef.num_leaves
    for got, want in zip(leaves, expected_leaves):
        np.testing.assert_array_equal(got, want)
    rebuilt = ft.unflatten(treedef, leaves)
    assert type(rebuilt) is type(tree)
    assert ft.structure(rebuilt) == treedef
    assert repr(ft.structure(rebuilt)) == repr(treedef)
    assert ft.leaves(tree) == leaves or all(
        np.array_equal(a, b) for a, b in zip(ft.leaves(tree), leaves)
    )


def test_dict_sorted_keys_and_unsortable_fallback():
    leaves, treedef = ft.flatten({"z": 1, "a": 2})
    assert leaves == [2, 1]
    rebuilt = treedef.unflatten(["A", "Z"])
    assert rebuilt == {"a": "A", "z": "Z"}
    # Keys of mixed types do not sort: insertion order.
    leaves, treedef = ft.flatten({"b": 1, 2: 2, "a": 3})
    assert leaves == [1, 2, 3]
    assert treedef.unflatten([4, 5, 6]) == {"b": 4, 2: 5, "a": 6}


def test_dict_key_order_does_not_change_structure():
    assert ft.structure({"a": 1, "b": 2}) == ft.structure({"b": 2, "a": 1})
    assert hash(ft.structure({"a": 1, "b": 2})) == hash(ft.structure({"b": 2, "a": 1}))


def test_ordered_dict_keeps_insertion_order():
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    leaves, treedef = ft.flatten(od)
    assert leaves == [1, 2]
    rebuilt = treedef.unflatten([3, 4])
    assert type(rebuilt) is collections.OrderedDict
    assert list(rebuilt.items()) == [("b", 3), ("a", 4)]
    assert treedef != ft.structure(collections.OrderedDict([("a", 1), ("b", 2)]))
    assert treedef != ft.structure({"b": 1, "a": 2})


def test_defaultdict_keeps_factory():
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    leaves, treedef = ft.flatten(dd)
    rebuilt = treedef.unflatten([10, 20])
    assert type(rebuilt) is collections.defaultdict
    assert rebuilt.default_factory is list
    assert dict(rebuilt) == {"a": 10, "b": 20}
    assert treedef != ft.structure(collections.defaultdict(int, {"b": 1, "a": 2}))


def test_namedtuple_round_trip():
    p = Point(1.0, (2.0, 3.0))
    leaves, treedef = ft.flatten(p)
    assert leaves == [1.0, 2.0, 3.0]
    q = treedef.unflatten([4.0, 5.0, 6.0])
    assert type(q) is Point
    assert q == Point(4.0, (5.0, 6.0))
    assert repr(treedef) == "PyTreeDef(Point(x=*, y=(*, *)))"
    # A namedtuple is not a plain tuple structure.
    assert treedef != ft.structure((1.0, (2.0, 3.0)))


def test_none_is_a_node_without_children():
    leaves, treedef = ft.flatten([None, 1.0, (None,)])
    assert leaves == [1.0]
    assert treedef.num_leaves == 1
    assert treedef.unflatten([2.0]) == [None, 2.0, (None,)]
    assert repr(ft.structure(None)) == "PyTreeDef(None)"
    assert ft.structure(None) != ft.structure(1.0)
    assert ft.map(lambda x: x + 1, {"a": None, "b": 1}) == {"a": None, "b": 2}


def test_tuple_subclass_that_is_not_namedtuple_is_a_leaf():
    class MyTuple(tuple):
        pass

    t = MyTuple((1, 2))
    assert ft.leaves(t) == [t]


def test_is_leaf():
    tree = {"a": (1.0, 2.0), "b": [3.0, (4.0, 5.0)]}
    leaves, treedef = ft.flatten(tree, is_leaf=lambda x: type(x) is tuple)
    assert leaves == [(1.0, 2.0), 3.0, (4.0, 5.0)]
    assert treedef.num_leaves == 3
    assert treedef.unflatten(leaves) == tree
    assert ft.leaves(tree, is_leaf=lambda x: type(x) is tuple) == leaves
    mapped = ft.map(
        lambda x: x if type(x) is tuple else -x, tree, is_leaf=lambda x: type(x) is tuple
    )
    assert mapped == {"a": (1.0, 2.0), "b": [-3.0, (4.0, 5.0)]}
    # is_leaf can make None a leaf.
    leaves, treedef = ft.flatten([None, 1.0], is_leaf=lambda x: x is None)
    assert leaves == [None, 1.0]


def test_leaves_and_all():
    assert ft.leaves([1, {"x": 2, "w": None}]) == [1, 2]
    assert ft.all((True, [1, 2]))
    assert not ft.all((True, [0, 2]))
    assert ft.all(None)


# --- TreeDef ----------------------------------------------------------------------------------


def test_treedef_repr():
    treedef = ft.structure((1.0, [2.0, 3.0], {"a": 4.0}))
    assert repr(treedef) == "PyTreeDef((*, [*, *], {'a': *}))"
    assert repr(ft.structure((1.0,))) == "PyTreeDef((*,))"
    assert repr(ft.structure(1.0)) == "PyTreeDef(*)"
    assert str(treedef) == repr(treedef)


def test_treedef_equality_and_hash():
    a = ft.structure((1.0, [2.0, 3.0]))
    b = ft.structure((np.ones(3), ["x", 2]))
    c = ft.structure((1.0, (2.0, 3.0)))
    d = ft.structure((1.0, [2.0]))
    assert type(a) is ft.TreeDef
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert a != d
    assert len({a, b, c, d}) == 3
    cache = {a: "hit"}
    assert cache[b] == "hit"


def test_treedef_is_immutable():
    treedef = ft.structure((1.0, 2.0))
    with pytest.raises(AttributeError):
        treedef.num_leaves = 3
    with pytest.raises(AttributeError):
        treedef.foo = 1


def test_treedef_children_and_nodes():
    treedef = ft.structure((1.0, [2.0, None]))
    assert [repr(c) for c in treedef.children()] == ["PyTreeDef(*)", "PyTreeDef([*, None])"]
    assert treedef.num_nodes == 5
    assert ft.structure(1.0).is_leaf()
    assert not treedef.is_leaf()


def test_unflatten_wrong_leaf_count():
    treedef = ft.structure((1.0, [2.0, 3.0]))
    with pytest.raises(ValueError) as info:
        ft.unflatten(treedef, [1.0, 2.0])
    assert str(info.value) == (
        "tree_unflatten: expected 3 leaves for PyTreeDef((*, [*, *])), got 2"
    )
    with pytest.raises(ValueError, match="expected 3 leaves"):
        treedef.unflatten([1.0, 2.0, 3.0, 4.0])


def test_unflatten_accepts_any_iterable():
    treedef = ft.structure([1, (2, 3)])
    assert ft.unflatten(treedef, iter([4, 5, 6])) == [4, (5, 6)]
    assert ft.unflatten(treedef, (4, 5, 6)) == [4, (5, 6)]


def test_unflatten_argument_order_error():
    with pytest.raises(TypeError, match="tree_unflatten"):
        ft.unflatten([1.0], ft.structure(1.0))


def test_unflatten_returns_fresh_containers():
    leaves, treedef = ft.flatten([1.0, 2.0])
    out = treedef.unflatten(leaves)
    out.append(3.0)
    assert leaves == [1.0, 2.0]
    assert treedef.unflatten([1.0, 2.0]) == [1.0, 2.0]


# --- tree_map ---------------------------------------------------------------------------------


def test_map_single_and_multiple_trees():
    tree = {"a": 1.0, "b": (2.0, [3.0])}
    assert ft.map(lambda x: 2 * x, tree) == {"a": 2.0, "b": (4.0, [6.0])}
    other = {"b": (20.0, [30.0]), "a": 10.0}
    assert ft.map(lambda x, y: x + y, tree, other) == {"a": 11.0, "b": (22.0, [33.0])}
    assert ft.map(lambda x, y, z: x + y + z, tree, other, other)["a"] == 21.0


def test_map_rest_may_have_deeper_structure_at_leaves():
    # As in JAX: the first tree's structure only needs to be a prefix of the others'.
    out = ft.map(lambda x, y: (x, y), (1, 2), ((3, 4), 5))
    assert out == ((1, (3, 4)), (2, 5))


def test_map_structure_mismatch_names_both_structures():
    with pytest.raises(ValueError) as info:
        ft.map(lambda x, y: x + y, (1.0, 2.0), [1.0, 2.0])
    message = str(info.value)
    assert "tree_map" in message
    assert "PyTreeDef((*, *))" in message
    assert "PyTreeDef([*, *])" in message
    with pytest.raises(ValueError, match="tree_map"):
        ft.map(lambda x, y: x + y, {"a": 1.0}, {"b": 1.0})
    with pytest.raises(ValueError, match="tree_map"):
        ft.map(lambda x, y: x + y, (1.0, 2.0), (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="tree_map"):
        ft.map(lambda x, y: x, (None, 1.0), (1.0, 1.0))


# --- registration -----------------------------------------------------------------------------


class Pair:
    def __init__(self, a, b, tag="t"):
        self.a = a
        self.b = b
        self.tag = tag

    def __eq__(self, other):
        return type(other) is Pair and (self.a, self.b, self.tag) == (other.a, other.b, other.tag)


ft.register(
    Pair,
    lambda p: ((p.a, p.b), p.tag),
    lambda tag, children: Pair(children[0], children[1], tag),
)


@ft.register_class
class Scaled:
    def __init__(self, x, scale):
        self.x = x
        self.scale = scale

    def tree_flatten(self):
        return (self.x,), self.scale

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(children[0], aux)


def test_register():
    p = Pair(1.0, (2.0, 3.0), tag="u")
    leaves, treedef = ft.flatten(p)
    assert leaves == [1.0, 2.0, 3.0]
    assert repr(treedef) == "PyTreeDef(CustomNode(Pair['u'], [*, (*, *)]))"
    assert treedef.unflatten([4.0, 5.0, 6.0]) == Pair(4.0, (5.0, 6.0), tag="u")
    assert treedef != ft.structure(Pair(1.0, (2.0, 3.0), tag="v"))
    assert ft.map(lambda x: x * 2, [p])[0] == Pair(2.0, (4.0, 6.0), tag="u")


def test_register_class():
    s = Scaled(np.ones(2), 3)
    leaves, treedef = ft.flatten({"s": s})
    assert len(leaves) == 1
    rebuilt = treedef.unflatten([np.zeros(2)])["s"]
    assert type(rebuilt) is Scaled
    assert rebuilt.scale == 3
    np.testing.assert_array_equal(rebuilt.x, np.zeros(2))
    assert repr(ft.structure(Scaled(1.0, 2))) == "PyTreeDef(CustomNode(Scaled[2], [*]))"


def test_register_errors():
    with pytest.raises(ValueError, match="already registered"):
        ft.register(Pair, lambda p: ((), None), lambda aux, ch: Pair(0, 0))
    with pytest.raises(ValueError, match="built-in"):
        ft.register(tuple, lambda p: ((), None), lambda aux, ch: ())
    with pytest.raises(TypeError, match="expected a class"):
        ft.register(Pair(1, 2), lambda p: ((), None), lambda aux, ch: None)


def test_register_a_type_already_seen_as_leaf():
    class Box:
        def __init__(self, v):
            self.v = v

    assert len(ft.leaves([Box(1.0)])) == 1  # a leaf, and its type is cached as a leaf type
    ft.register(Box, lambda b: ((b.v,), None), lambda aux, ch: Box(ch[0]))
    assert ft.leaves([Box(1.0)]) == [1.0]


def test_subclass_of_registered_class_is_a_leaf():
    class SubPair(Pair):
        pass

    sp = SubPair(1.0, 2.0)
    assert ft.leaves(sp) == [sp]


# --- dataclass --------------------------------------------------------------------------------


@ft.dataclass
class Normal:
    loc: object
    scale: object
    name: str = ft.field(static=True, default="x")


def test_dataclass_flatten_and_static_fields():
    d = Normal(np.zeros(2), 1.0)
    leaves, treedef = ft.flatten(d)
    assert len(leaves) == 2
    np.testing.assert_array_equal(leaves[0], np.zeros(2))
    assert leaves[1] == 1.0
    assert repr(treedef) == "PyTreeDef(Normal(loc=*, scale=*, name='x'))"
    rebuilt = treedef.unflatten([1.0, 2.0])
    assert type(rebuilt) is Normal
    assert (rebuilt.loc, rebuilt.scale, rebuilt.name) == (1.0, 2.0, "x")


def test_dataclass_static_field_changes_treedef():
    a = ft.structure(Normal(0.0, 1.0, name="x"))
    b = ft.structure(Normal(5.0, 6.0, name="x"))
    c = ft.structure(Normal(0.0, 1.0, name="y"))
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert hash(a) != hash(c)


def test_dataclass_is_frozen_and_has_replace():
    d = Normal(0.0, 1.0)
    with pytest.raises(AttributeError):
        d.loc = 3.0
    e = d.replace(scale=2.0, name="z")
    assert (e.loc, e.scale, e.name) == (0.0, 2.0, "z")
    assert (d.loc, d.scale, d.name) == (0.0, 1.0, "x")


def test_dataclass_unflatten_skips_post_init():
    calls = []

    @ft.dataclass
    class Positive:
        value: object

        def __post_init__(self):
            calls.append(self.value)
            if not isinstance(self.value, float):
                raise TypeError("value must be a float")

    p = Positive(1.0)
    assert calls == [1.0]
    rebuilt = ft.map(lambda v: "traced", p)
    assert rebuilt.value == "traced"
    assert calls == [1.0]


def test_dataclass_with_options_and_nesting():
    @ft.dataclass(eq=False)
    class State:
        params: object
        step: object
        lr: float = ft.field(static=True, default=0.1)

    s = State(params={"w": np.ones(2), "b": 0.0}, step=3)
    leaves, treedef = ft.flatten(s)
    assert len(leaves) == 3
    assert leaves[0] == 0.0  # params["b"] sorts before params["w"]
    assert leaves[2] == 3
    out = ft.map(lambda x: x * 2, s)
    assert out.lr == 0.1
    assert out.step == 6
    np.testing.assert_array_equal(out.params["w"], 2 * np.ones(2))


def test_dataclass_rejects_non_frozen():
    with pytest.raises(ValueError, match="frozen"):

        @ft.dataclass(frozen=False)
        class Bad:
            x: float


def test_field_keeps_user_metadata():
    import dataclasses

    @ft.dataclass
    class WithMeta:
        x: float = ft.field(default=1.0, metadata={"units": "m"})

    (f,) = dataclasses.fields(WithMeta)
    assert f.metadata["units"] == "m"
    assert ft.leaves(WithMeta()) == [1.0]


# --- ravel_pytree -----------------------------------------------------------------------------


def test_ravel_pytree_round_trip_mixed_shapes_and_dtypes():
    tree = {
        "w": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": np.array([1.5, -2.0], dtype=np.float64),
        "s": (np.float64(3.0), np.ones((1, 1, 2), dtype=np.float32)),
    }
    flat, unravel = ft.ravel_pytree(tree)
    assert flat.shape == (2 + 1 + 2 + 6,)
    assert flat.dtype == np.float64
    # Flattening order: sorted keys b, s, w.
    np.testing.assert_array_equal(flat[:2], [1.5, -2.0])
    np.testing.assert_array_equal(flat[5:], np.arange(6.0))
    rebuilt = unravel(flat)
    assert ft.structure(rebuilt) == ft.structure(tree)
    for got, want in zip(ft.leaves(rebuilt), ft.leaves(tree)):
        assert np.shape(got) == np.shape(want)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got, want)
    doubled = unravel(2 * flat)
    np.testing.assert_array_equal(doubled["w"], 2 * tree["w"])
    assert doubled["w"].dtype == np.float32


def test_ravel_pytree_scalar_leaves():
    flat, unravel = ft.ravel_pytree((1.0, np.float64(2.0), 3))
    assert flat.shape == (3,)
    assert flat.dtype == np.float64
    np.testing.assert_array_equal(flat, [1.0, 2.0, 3.0])
    a, b, c = unravel(flat + 1)
    assert np.shape(a) == np.shape(b) == np.shape(c) == ()
    assert float(a) == 2.0
    assert float(b) == 3.0
    assert int(c) == 4
    assert np.asarray(c).dtype == np.int64


def test_ravel_pytree_float32_only_and_weak_scalars():
    flat, unravel = ft.ravel_pytree([np.ones(2, dtype=np.float32), 0.5])
    assert flat.dtype == np.float32  # a Python float does not upcast float32
    np.testing.assert_array_equal(flat, [1.0, 1.0, 0.5])
    out = unravel(flat)
    assert out[0].dtype == np.float32
    assert float(out[1]) == 0.5


def test_ravel_pytree_integer_leaves_give_float_vector():
    flat, unravel = ft.ravel_pytree({"n": np.array([1, 2]), "m": True})
    assert flat.dtype == np.float64
    out = unravel(flat)
    assert out["n"].dtype == np.array([1, 2]).dtype
    np.testing.assert_array_equal(out["n"], [1, 2])
    assert np.asarray(out["m"]).dtype == np.bool_


def test_ravel_pytree_complex():
    flat, unravel = ft.ravel_pytree((np.array([1 + 2j]), 1.0))
    assert flat.dtype == np.complex128
    out = unravel(flat)
    assert out[0].dtype == np.complex128
    assert np.asarray(out[1]).dtype == np.float64


def test_ravel_pytree_empty_tree():
    flat, unravel = ft.ravel_pytree({"a": None, "b": ()})
    assert flat.shape == (0,)
    assert flat.dtype == np.float64
    assert unravel(flat) == {"a": None, "b": ()}


def test_unravel_wrong_length():
    flat, unravel = ft.ravel_pytree((np.ones(3), np.ones((2, 2))))
    with pytest.raises(ValueError, match="expected a 1-D vector of length 7"):
        unravel(np.ones(6))
    with pytest.raises(ValueError, match="got shape"):
        unravel(np.ones((7, 1)))


def test_ravel_pytree_copies():
    x = np.ones(3)
    flat, _ = ft.ravel_pytree([x])
    flat[0] = 5.0
    assert x[0] == 1.0


# --- public surface ---------------------------------------------------------------------------


def test_public_names():
    for name in [
        "flatten",
        "unflatten",
        "map",
        "leaves",
        "structure",
        "all",
        "register",
        "register_class",
        "dataclass",
        "field",
        "ravel_pytree",
        "TreeDef",
    ]:
        assert hasattr(ft, name), name
    assert ft.flatten is tu.tree_flatten
    assert ft.register is tu.register_pytree_node
    assert ft.register_class is tu.register_pytree_node_class
    for name in [
        "tree_flatten",
        "tree_unflatten",
        "tree_map",
        "tree_leaves",
        "tree_structure",
        "register_pytree_node",
        "register_pytree_node_class",
    ]:
        assert hasattr(tu, name), name
