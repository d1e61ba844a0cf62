"""Binds the file formats to the hooks the model classes call (``kxla.serialization.hooks``).

``Model.save`` / ``save_weights`` / ``load_weights`` and ``kxla.models.load_model``
/ ``save_model`` reach this package only through these bindings: ``kxla.saving``
imports ``kxla.models``, never the reverse. The package root lists this module
in ``kxla._SERIALIZATION_PLUGINS``, so the first call imports it.
"""
from ..serialization import hooks
from .model_io import load_model, save_model
from .weights_io import load_weights, save_weights

hooks.bind(save_model=save_model, load_model=load_model, save_weights=save_weights, load_weights=load_weights)
