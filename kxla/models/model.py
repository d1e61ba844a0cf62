"""``Model``: functional (``Model(inputs, outputs)``) and subclassed models, traced to IR.

Every kind of model becomes IR the same way: ``to_ir(training)`` opens a
Builder, makes one graph input per model input, runs ``call`` on symbolic
tensors and takes the graph the layers recorded. Training and inference
graphs are traced separately (Dropout and BatchNormalization differ).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from ..ir import Graph, TensorType
from ..layers.layer import Layer, unique_name
from ..ops.tracing import Builder, KerasTensor, Variable, current_builder
from ..training.trainer import Trainer
from ..naming import snake_case
from ..remat_scope import call_with_remat
from . import call as model_call, description, functional, keras_config
from ..serialization import hooks


@dataclass
class Traced:
    """A model traced to IR: the graph, its Variables in graph order, the output structure."""

    graph: Graph
    variables: list            # kxla Variables, aligned with graph.params + graph.state
    out_treedef: object        # pytree structure of the model's outputs
    n_outputs: int             # graph outputs that are model outputs
    n_losses: int              # trailing graph outputs that are regularization losses


class Model(Trainer, Layer):
    """A Keras 3 model: ``Model(inputs, outputs)`` or a subclass defining ``call``."""

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if len(args) > 0 else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        name = kwargs.pop("name", None)
        self._functional = inputs is not None and outputs is not None
        default = "functional" if self._functional else snake_case(type(self).__name__)
        Layer.__init__(self, name=name or unique_name(default), **kwargs)
        Trainer.__init__(self)
        self._traced: dict = {}
        self._input_types: list[TensorType] | None = None
        self._input_names: list[str] | None = None
        self._input_struct = None
        if self._functional:
            self._init_functional(inputs, outputs)

    # -- functional ------------------------------------------------------------
    def _init_functional(self, inputs, outputs):
        flat_in = functional.tensor_leaves(inputs)
        for t in flat_in:
            if getattr(t, "_input_layer", None) is None:
                raise ValueError(f"Model inputs must come from kxla.Input(); got {t}")
        self._inputs_flat = flat_in
        self._input_struct = inputs
        self._outputs = outputs
        self._records = functional.collect(flat_in, outputs)
        # a layer called with training=True while the model was built keeps that flag in model(x) without
        # a training argument (Keras's functional call passes training=None there): its own trace mode
        self._records_training = any(r.layer is not None and r.kwargs.get("training") is True
                                     for r in self._records)
        self._tracking = False
        from .keras_order import keras_layer_order
        layers = keras_layer_order(flat_in, outputs, self._records)     # Keras's order: weights line up
        self._layers = layers
        self._tracking = True
        names = [l.name for l in layers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"All layer names should be unique; model {self.name!r} has duplicates {dupes}")
        self._input_types = [t.type for t in flat_in]
        self._input_names = [t._input_layer.name for t in flat_in]
        self.built = True

    @property
    def inputs(self):
        return list(self._inputs_flat) if self._functional else None

    @property
    def outputs(self):
        return functional.tensor_leaves(self._outputs) if self._functional else None

    def call(self, inputs, training=None):
        if not self._functional:
            raise TypeError(f"Model {type(self).__name__} must define call(inputs, training=False)")
        flat = functional.tensor_leaves(inputs)
        return functional.replay(self._records, self._inputs_flat, flat, self._outputs, training=training)

    # -- layers ------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_layer(self, name=None, index=None) -> Layer:
        if index is not None:
            if name is not None:
                raise ValueError("Provide either a layer name or a layer index, not both")
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}.")

    # -- input specs & building ---------------------------------------------------
    def _set_input_types(self, types: list[TensorType], names=None, struct=None):
        self._input_types = list(types)
        self._input_names = names or (["input"] if len(types) == 1 else
                                      [f"input_{i}" for i in range(len(types))])
        self._input_struct = struct

    def build(self, input_shape=None):
        """Build from an input shape (batch dim included, may be None), as ``keras.Model.build``."""
        if self._functional:
            return
        if input_shape is None:
            raise ValueError(f"Model {self.name!r}: build() needs an input_shape")
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        self._set_input_types([TensorType(tuple(s), "float32") for s in shapes],
                              struct=None if not isinstance(input_shape, list) else list(range(len(shapes))))
        self.trace(training=False)
        self.built = True

    def _ensure_input_types_from_data(self, xs: list):
        if self._input_types is None:
            types = [TensorType((None,) + tuple(np.shape(x)[1:]), _data_dtype(x)) for x in xs]
            self._set_input_types(types, struct=None if len(xs) == 1 else list(range(len(xs))))

    def _invalidate(self):
        self._traced.clear()
        self.__dict__.pop("_call_caches", None)
        self.__dict__.pop("_fast_call", None)
        Trainer._invalidate(self)

    # -- tracing to IR --------------------------------------------------------------
    def trace(self, training: bool = False) -> Traced:
        """Trace ``call`` to IR (cached per training mode and trainable flags)."""
        if self._input_types is None:
            raise ValueError(
                f"Model {self.name!r} has not been built: its input shape is unknown. Call "
                "model.build(input_shape), pass input_shape= to the first layer, or call fit/predict first.")
        mode = self._call_mode(training)
        key = (mode, tuple(w.trainable for w in self.weights))
        traced = self._traced.get(key)
        if traced is None:
            traced = self._traced[key] = self._trace(mode)
        return traced

    def _call_mode(self, training):
        """The trace mode of ``model(x, training=training)``: None (each layer keeps the flag it was called
        with, as Keras) for ``training=None`` on a functional model with a recorded ``training=True``."""
        return None if training is None and self.__dict__.get("_records_training") else bool(training)

    def _trace(self, training) -> Traced:
        with Builder(self.name, training=bool(training)) as b:
            xs = [b.input(t, n) for t, n in zip(self._input_types, self._input_names)]
            if self._input_struct is None or not isinstance(self._input_struct, (list, tuple, dict)):
                model_in = xs[0]
            else:
                model_in = jax.tree_util.tree_unflatten(
                    jax.tree_util.tree_structure(self._input_struct,
                                                 is_leaf=lambda x: isinstance(x, KerasTensor)), xs)
            out = call_with_remat(self, self._call_for_trace, (model_in, training), {})   # a RematScope's mark
            leaves, treedef = jax.tree_util.tree_flatten(out, is_leaf=lambda x: isinstance(x, KerasTensor))
            for i, leaf in enumerate(leaves):
                if not isinstance(leaf, KerasTensor):
                    raise ValueError(f"Model {self.name!r}: output {i} of call() is {type(leaf).__name__}, "
                                     "not a tensor computed from the inputs")
            # regularization penalties are extra outputs: added to the loss in fit and evaluate
            # (as Keras 3), and dropped by XLA from predict, which never reads them
            losses = list(b.losses) + [w.regularizer(w) for w in self._regularized_weights()]
            b.graph.outputs = [b.value_of(t) for t in leaves] + [b.value_of(l) for l in losses]
            variables = b.variables()
        self.built = True
        return Traced(b.graph, variables, treedef, len(leaves), len(losses))

    def _call_for_trace(self, inputs, training):
        if self._call_has_training:
            return self.call(inputs, training=training)
        return self.call(inputs)

    def _call_losses_of_last_call(self) -> list:
        losses = self.__dict__.get("_call_losses", [])        # add_loss terms, then weight penalties
        return list(losses[:len(losses) - len(self._regularized_weights())])

    def _regularized_weights(self):
        return [w for w in self.weights if w.regularizer is not None and w.trainable]

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of every quantizable layer (Keras 3): ``"int8"``, ``"int4"`` or a
        ``kxla.quantizers`` config; ``filters`` picks layers by name. See docs/quantization.md."""
        from .quantize import quantize_model
        quantize_model(self, mode, config, filters, **kwargs)

    def to_ir(self, training: bool = False, optimized: bool = False) -> Graph:
        """The model's IR graph (a copy); ``optimized=True`` runs the compile-time pipeline on it."""
        graph = self.trace(training).graph.clone()
        if optimized:
            graph = self._run_pipeline(graph, training)
        return graph

    # -- debugging --------------------------------------------------------------------
    def intermediate_outputs(self, x, layers=None) -> dict:
        """Every top-level layer's activation on ``x``: ``{layer name: numpy array}``, in layer order.

        The inference graph runs un-jitted in ``kxla.debug.Interpreter``; a
        layer's activation is the last value its nodes (or its sublayers'
        nodes) produced. Input layers map to their input; layers that add no
        node to the inference graph (e.g. Dropout) are absent.

        Arguments:
          x: one batch of inputs (array, list or dict, as for ``predict``).
          layers: optional list of layer names to keep.
        """
        from ..debug import layer_outputs
        xs, _, _, _ = self._prepare(x)
        traced = self.trace(training=False)
        names = [l.name for l in self.layers]
        for name in layers or []:
            if name not in names:
                raise ValueError(f"No such layer: {name}. Existing layers are: {names}.")
        arrays = {var.ir_name: var.value for var in traced.variables}
        found = {v.name: a for v, a in zip(traced.graph.inputs, xs)}
        found.update(layer_outputs(traced.graph, {v.name: arrays[v.name] for v in traced.graph.params},
                                   {v.name: arrays[v.name] for v in traced.graph.state}, xs))
        result = {n: jax.tree_util.tree_map(np.asarray, found[n]) for n in names
                  if n in found and (layers is None or n in layers)}
        missing = [n for n in layers or [] if n not in result]
        if missing:
            raise ValueError(f"Layer(s) {missing} add no node to the inference graph, so they have no "
                             "activation of their own")
        return result

    # -- the JAX escape hatch -----------------------------------------------------------
    def as_jax(self):
        """The model as plain JAX: ``(apply_fn, params, state)``.

        Returns:
          apply_fn: ``apply_fn(params, state, x, training=False, rng=None) -> (outputs, new_state)``,
            pure and jit-able; ``training`` is a Python bool choosing the traced graph; ``x`` is an
            array or a list of arrays in input order; ``outputs`` has the model's output structure.
          params: dict of all parameter arrays by IR name (``"dense.kernel"``); which are trainable
            is ``{v.ir_name for v in model.trainable_weights}``.
          state: dict of non-trainable state arrays (BatchNorm statistics).

        Write results back with ``model.set_weights`` or ``variable.assign``.
        """
        import jax.numpy as jnp
        from ..lowering import lower
        fns = {}

        def apply_fn(params, state, x, training=False, rng=None):
            traced = self.trace(bool(training))
            if bool(training) not in fns:
                fns[bool(training)] = lower(traced.graph)
            xs = list(x) if isinstance(x, (list, tuple)) else [x]
            outs, new_state = fns[bool(training)](params, state, xs, rng=rng, training=bool(training))
            return jax.tree_util.tree_unflatten(traced.out_treedef, outs[:traced.n_outputs]), new_state

        self.trace(False)                      # builds the layers, so the weights exist
        params = {v.ir_name: jnp.asarray(v.numpy()) for v in self.weights if v.kind == "param"}
        state = {v.ir_name: jnp.asarray(v.numpy()) for v in self.weights if v.kind == "state"}
        return apply_fn, params, state

    # -- summary ----------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None, show_flops=False):
        """Print Keras's table: Layer (type), Output Shape, Param # and the parameter totals.

        ``show_flops=True`` adds a FLOPs column (per sample, from the inference
        IR; see ``kxla.debug.flops`` for the counting rules) and the total.
        """
        from .summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range,
                      show_flops=show_flops)

    # -- saving & inspection (kxla.saving through kxla.serialization.hooks, kxla.debug.xla) ----------
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Save architecture, weights, optimizer state and compile config to one ``.kxla`` file.

        See ``kxla.saving.save_model``; load with ``kxla.models.load_model``.
        """
        hooks.get("save_model")(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights only (``*.weights.kxla``); see ``kxla.saving.save_weights``."""
        hooks.get("save_weights")(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights by layer and weight name; see ``kxla.saving.load_weights``."""
        hooks.get("load_weights")(self, filepath, skip_mismatch=skip_mismatch)

    def lowered_text(self, stage="stablehlo", mode="predict", batch_size=32, x=None, y=None) -> str:
        """What XLA receives or produced for one step: ``stage`` "stablehlo", "hlo" or "optimized_hlo".

        ``mode`` is "predict", "evaluate" or "train" (compiled models); see ``kxla.debug.xla``.
        """
        from ..debug.xla import lowered_text
        return lowered_text(self, stage=stage, mode=mode, batch_size=batch_size, x=x, y=y)

    def get_config(self):
        """Keras 3's config: a functional model's layers with inbound nodes, else name and trainable."""
        if self._functional:
            return keras_config.functional_config(self)
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from ``get_config()`` (a functional config as Keras or kxla writes it, or init arguments)."""
        if isinstance(config, dict) and "layers" in config and "input_layers" in config:
            return keras_config.functional_from_config(cls, config, custom_objects)
        return cls(**config)

    def to_json(self, **kwargs) -> str:
        """The model's Keras config as JSON (``kxla.models.model_from_json`` reads it, and so does Keras)."""
        import json
        from ..serialization.serialization_lib import serialize_keras_object
        return json.dumps(serialize_keras_object(self), **kwargs)

    @property
    def input_shape(self):
        """The input's shape (a list of them for several inputs), as Keras's functional/Sequential models."""
        return _shapes_of(self, self.inputs, "input")

    @property
    def output_shape(self):
        """The output's shape (a list of them for several outputs), as Keras's functional/Sequential models."""
        return _shapes_of(self, self.outputs, "output")

    def get_compile_config(self) -> dict | None:
        """Keras 3's compile config (optimizer, loss, loss_weights, metrics ... serialized); None before compile."""
        return keras_config.compile_config(self)

    def compile_from_config(self, config: dict):
        """Compile as ``get_compile_config()`` described it (fresh optimizer and metric state), as Keras."""
        keras_config.compile_from_config(self, config, None, "compile_from_config")

    # -- describing itself to kxla.serialization (which knows no model kind) ----------
    def _keras_entry(self) -> dict:
        """This model's Keras 3 entry (``kxla.serialization.keras_entries.serialize_layer_entry``)."""
        return keras_config.model_entry(self)

    @classmethod
    def _from_keras_entry(cls, entry, custom_objects=None, safe_mode=True, where="config"):
        """The model a Keras 3 entry of this class describes (``kxla.serialization.keras_entries``)."""
        return keras_config.model_from_entry(cls, entry, custom_objects, safe_mode, where)

    def _file_entry(self) -> dict:
        """``{"class_name", "model": <description>}`` in kxla's file format (``kxla.models.description``)."""
        return description.file_entry(self)

    def __call__(self, *args, **kwargs):
        if Variable._stateless_scope is None:             # (a StatelessScope's values: the eager path below)
            out = self._call_compiled(args, kwargs)
            if out is not None:
                return out
        if not self.built and args and not isinstance(args[0], KerasTensor) and hasattr(args[0], "shape"):
            self._ensure_input_types_from_data([args[0]] if not isinstance(args[0], (list, tuple))
                                               else list(args[0]))
        if len(args) == 1 and (not kwargs or set(kwargs) <= {"training"}) and current_builder() is None and \
                model_call.is_array_input(args[0]) and Variable._stateless_scope is None:   # (StatelessScope: eager)
            if self._input_types is None:
                self._ensure_input_types_from_data(jax.tree_util.tree_leaves(args[0]))
            try:
                return model_call.call_on_arrays(self, args[0], self._call_mode(kwargs.get("training")))
            except model_call.OtherShape:
                pass          # another non-batch shape than traced: layer by layer, as Keras's eager call
        return Layer.__call__(self, *args, **kwargs)

    def _call_compiled(self, args, kwargs):
        """model(x) through the cached jitted program when ``x`` is one array it was traced for; else None."""
        lean = self.__dict__.get("_fast_call")          # model(x) on an array of the traced shape
        if lean is not None and not kwargs and len(args) == 1:
            out = lean(args[0])
            if out is not None:
                return out
        if len(args) == 1 and (not kwargs or kwargs.keys() == {"training"}) and current_builder() is None:
            return model_call.fast_call(self, args[0], self._call_mode(kwargs.get("training")))
        return None

    def _maybe_build(self, args):
        if not self.built and self._input_types is None and args:
            first = args[0]
            xs = list(first) if isinstance(first, (list, tuple)) else [first]
            self._set_input_types([TensorType((None,) + tuple(x.shape[1:]), x.dtype) for x in xs],
                                  struct=None if len(xs) == 1 else list(range(len(xs))))
        self.built = True


def _data_dtype(x) -> str:
    dtype = np.asarray(x).dtype if not hasattr(x, "dtype") else x.dtype
    name = str(dtype)
    return {"float64": "float32", "int64": "int32"}.get(name, name)


def _shapes_of(model, tensors, what: str):
    if tensors is None:
        raise AttributeError(f"Model {model.name!r} has no defined {what} shape: it is not a functional model "
                             "or a Sequential model with a known input shape")
    shapes = [tuple(t.shape) for t in tensors]
    return shapes[0] if len(shapes) == 1 else shapes
