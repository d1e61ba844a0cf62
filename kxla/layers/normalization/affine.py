"""The ``gamma`` / ``beta`` arguments the normalization layers share: resolved at init, written by get_config."""
from __future__ import annotations

from ... import constraints, initializers, regularizers

# (argument, module that resolves and serializes it), in Keras's get_config order
AFFINE_ARGS = (("beta_initializer", initializers), ("gamma_initializer", initializers),
               ("beta_regularizer", regularizers), ("gamma_regularizer", regularizers),
               ("beta_constraint", constraints), ("gamma_constraint", constraints))


def set_affine_args(layer, **values):
    """Sets each gamma/beta argument on ``layer``, resolved by its module's ``get``."""
    for name, module in AFFINE_ARGS:
        setattr(layer, name, module.get(values[name]))


def affine_config(layer) -> dict:
    """The gamma/beta arguments of ``layer`` as Keras's get_config writes them."""
    return {name: module.serialize(getattr(layer, name)) for name, module in AFFINE_ARGS}
