"""kxla.tree = keras.tree: nested-structure utilities on optree, with Keras 3's semantics.

``None`` is a leaf (``none_is_leaf=True``), dicts flatten in sorted-key order,
and classes registered with ``register_tree_node_class`` live in kxla's own
optree namespace.
"""
from __future__ import annotations

import optree

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
           "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure", "map_structure_up_to",
           "pack_sequence_as", "register_tree_node_class", "traverse"]

_NS = "kxla"
_SAME = "Structures don't have the same nested structure."


class MAP_TO_NONE:
    """Returned by a ``traverse`` function to put ``None`` in the result at that place."""


def register_tree_node_class(cls):
    """Register ``cls`` (with ``tree_flatten`` / ``tree_unflatten``) as a node of kxla's trees."""
    return optree.register_pytree_node_class(cls, namespace=_NS)


def _is_leaf(x, none_is_leaf=True):
    return optree.tree_is_leaf(x, none_is_leaf=none_is_leaf, namespace=_NS)


def is_nested(structure) -> bool:
    """Whether ``structure`` is a container (list, tuple, dict, namedtuple, registered class)."""
    return not _is_leaf(structure)


def flatten(structure) -> list:
    """The leaves of ``structure`` in order (dicts by sorted key)."""
    return optree.tree_flatten(structure, none_is_leaf=True, namespace=_NS)[0]


def flatten_with_path(structure) -> list:
    """``[(path, leaf), ...]`` with each path a tuple of keys / indices."""
    paths, leaves, _ = optree.tree_flatten_with_path(structure, none_is_leaf=True, namespace=_NS)
    return list(zip(paths, leaves))


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied leafwise across ``structures`` of the same structure."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def checked(*args):
        if not all(_is_leaf(s, none_is_leaf) for s in args):
            raise ValueError(_SAME)
        return func(*args)
    return optree.tree_map(checked if len(structures) > 1 else func, *structures, none_is_leaf=none_is_leaf,
                           namespace=_NS)


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the sub-structures of ``structures`` at the leaves of ``shallow_structure``."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def checked(shallow, *args):
        if not optree.tree_is_leaf(shallow):
            raise ValueError(_SAME)
        return func(*args)
    return optree.tree_map(checked, shallow_structure, *structures, none_is_leaf=True, namespace=_NS)


def assert_same_structure(a, b):
    """Raise ValueError unless ``a`` and ``b`` nest the same way."""
    def check(x, y):
        if not _is_leaf(x) or not _is_leaf(y):
            raise ValueError(_SAME)
    optree.tree_map(check, a, b, none_is_leaf=True, namespace=_NS)


def assert_same_paths(a, b):
    """Raise ValueError unless ``a`` and ``b`` have the same set of leaf paths."""
    a_paths = set(optree.tree_paths(a, none_is_leaf=True, namespace=_NS))
    b_paths = set(optree.tree_paths(b, none_is_leaf=True, namespace=_NS))
    if a_paths != b_paths:
        msg = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            msg += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            msg += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(msg)


def pack_sequence_as(structure, flat_sequence):
    """``flat_sequence`` arranged in the shape of ``structure``."""
    _, spec = optree.tree_flatten(structure, none_is_leaf=True, namespace=_NS)
    return optree.tree_unflatten(spec, list(flat_sequence))


def traverse(func, structure, top_down=True):
    """Apply ``func`` to every node; a non-None result replaces the node (``MAP_TO_NONE`` -> None)."""
    def children():
        kids, spec = optree.tree_flatten(structure, is_leaf=lambda x: x is not structure, none_is_leaf=True,
                                         namespace=_NS)
        if spec.num_nodes == 1 and spec.num_leaves == 1:
            return structure
        return optree.tree_unflatten(spec, [traverse(func, c, top_down=top_down) for c in kids])
    if top_down:
        out = func(structure)
        if out is None:
            return children()
    else:
        done = children()
        out = func(done)
        if out is None:
            return done
    return None if out is MAP_TO_NONE else out


def lists_to_tuples(structure):
    """Every list in ``structure`` turned into a tuple."""
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def map_shape_structure(func, structure):
    """``func`` applied to each shape tuple (a list/tuple of ints and Nones) in ``structure``."""
    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)
    return optree.tree_map(func, structure, is_leaf=is_shape, none_is_leaf=True, namespace=_NS)
