"""kxla.tree against keras.tree on the same nested structures (None is a leaf, dicts by sorted key)."""
import collections

import pytest

from kxla import tree

Point = collections.namedtuple("Point", "x y")
STRUCTS = [1, None, [1, 2, (3, None)], {"b": 1, "a": [2, {"d": 3, "c": None}]}, Point(1, [2, 3]), (), [[], {}],
           {"x": (1, 2), "y": Point(None, 4)}]


@pytest.mark.parametrize("s", STRUCTS)
def test_same_as_keras(keras, s):
    kt = keras.tree
    assert tree.flatten(s) == kt.flatten(s)
    assert tree.flatten_with_path(s) == kt.flatten_with_path(s)
    assert tree.is_nested(s) == kt.is_nested(s)
    assert tree.map_structure(lambda v: None if v is None else v * 2, s) == \
        kt.map_structure(lambda v: None if v is None else v * 2, s)
    assert tree.pack_sequence_as(s, list(range(len(tree.flatten(s))))) == \
        kt.pack_sequence_as(s, list(range(len(kt.flatten(s)))))
    assert tree.lists_to_tuples(s) == kt.lists_to_tuples(s)
    to_none = lambda v: tree.MAP_TO_NONE if isinstance(v, int) and v == 2 else None   # noqa: E731
    to_none_k = lambda v: kt.MAP_TO_NONE if isinstance(v, int) and v == 2 else None   # noqa: E731
    assert tree.traverse(to_none, s) == kt.traverse(to_none_k, s)
    assert tree.traverse(to_none, s, top_down=False) == kt.traverse(to_none_k, s, top_down=False)


def test_structure_checks_and_shapes(keras):
    a, b = {"a": [1, 2]}, {"a": [3, (4,)]}
    with pytest.raises(ValueError, match="same nested structure"):
        tree.assert_same_structure(a, b)
    with pytest.raises(ValueError, match="same nested structure"):
        tree.map_structure(lambda x, y: x, a, b)
    with pytest.raises(ValueError, match="same paths"):
        tree.assert_same_paths({"a": 1}, {"b": 1})
    tree.assert_same_structure([1, (2, 3)], [4, (5, 6)])
    shapes = {"x": (None, 3), "y": [(2,), (4, 5)]}
    assert tree.map_shape_structure(lambda s: tuple(s)[::-1], shapes) == \
        keras.tree.map_shape_structure(lambda s: tuple(s)[::-1], shapes)
    assert tree.map_structure_up_to({"a": 0, "b": 0}, lambda v: len(v), {"a": [1, 2], "b": (3,)}) == \
        keras.tree.map_structure_up_to({"a": 0, "b": 0}, lambda v: len(v), {"a": [1, 2], "b": (3,)})
