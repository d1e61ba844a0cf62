"""kxla.serialization — the name registry's built-ins and Keras / kxla config entries, below layers and models.

Package order (README, "Layout of the code"): object_registration, activations,
initializers, losses, metrics, optimizers ... <- **serialization** <- layers <-
models <- saving. Nothing here imports ``kxla.layers``, ``kxla.models`` or
``kxla.saving``; those register into it instead:

  * ``builtins`` — the built-in classes names resolve to (``kxla.layers``
    registers its namespace and ``Layer``, ``kxla.models`` the model classes);
  * ``serialization_lib`` — Keras 3's ``serialize_keras_object`` /
    ``deserialize_keras_object`` (re-exported as ``kxla.saving.serialization_lib``);
  * ``keras_entries`` — a layer's Keras entry, both ways (a model writes and
    reads its own: ``kxla.models.keras_config``); ``keras_ops`` — Keras
    ``Operation`` entries (``ops.add`` between layers);
  * ``layer_entries`` — a layer in kxla's own file format (``TimeDistributed``,
    ``Bidirectional`` and the ``.kxla`` model description use it);
  * ``values`` — plain values, tensors and field checks (``FormatError``);
  * ``hooks`` — functions bound from above: ``Model.save`` / ``load_weights``
    and ``kxla.models.load_model`` call the file formats (``kxla.saving``) through it.
"""
