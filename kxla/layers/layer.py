"""``Layer``: the Keras 3 layer contract (build / call / add_weight / get_config) on top of kxla.ops.

A layer's ``call`` uses kxla.ops only, so calling it does one of three things
(see ``kxla.ops.tracing``): records IR nodes under an active Builder, records a
CallRecord during functional construction (after tracing ``call`` once in a
scratch builder to learn output shapes and catch shape errors early), or
computes eagerly on arrays.
"""
from __future__ import annotations

import inspect
import math

import jax
import numpy as np

from .. import initializers as initializers_mod
from ..ir import TensorType, canonical_dtype
from ..ops.tracing import Builder, CallRecord, KerasTensor, Variable, current_builder
from ..naming import snake_case
from ..remat_scope import call_with_remat, current_remat_mode
from ..scopes import current_path

_NAME_COUNTS: dict[str, int] = {}


def unique_name(base: str) -> str:
    """Keras's auto names: ``dense``, ``dense_1``, ``dense_2`` ... per process."""
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def reset_names() -> None:
    """Forget auto-name counters (``kxla.backend.clear_session``)."""
    _NAME_COUNTS.clear()


class _ModelEnds:
    """A functional model's (or InputLayer's) own tensors, shaped like a CallRecord for ``input``/``output``."""

    def __init__(self, tensors):
        tensors = list(tensors)
        self.args, self.kwargs, self.outputs = [tensors[0] if len(tensors) == 1 else tensors], {}, tensors


class InputSpec:
    """What a layer accepts: ``ndim``, ``min_ndim`` and fixed sizes of some ``axes`` ({axis: size})."""

    def __init__(self, ndim=None, min_ndim=None, axes=None, dtype=None):
        self.ndim, self.min_ndim, self.axes, self.dtype = ndim, min_ndim, dict(axes or {}), dtype

    def check(self, layer: "Layer", index: int, shape: tuple) -> None:
        prefix = f"Input {index} of layer {layer.name!r} is incompatible with the layer: "
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(prefix + f"expected ndim={self.ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {shape}")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(prefix + f"expected min_ndim={self.min_ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {shape}")
        for axis, size in self.axes.items():
            if -len(shape) <= axis < len(shape) and shape[axis] not in (None, size):
                raise ValueError(prefix + f"expected axis {axis} of input shape to have value {size}, "
                                 f"but received input with shape {shape}")


def _leaves(tree):
    return jax.tree_util.tree_leaves(tree, is_leaf=lambda x: isinstance(x, (KerasTensor, Variable)))


def _shape_of(x):
    if isinstance(x, (list, tuple)) and x and all(hasattr(e, "shape") for e in x):
        return [tuple(e.shape) for e in x]
    return tuple(x.shape) if hasattr(x, "shape") else None


def _mask_of(x):
    """The ``_keras_mask`` of a tensor, or a list of them for a list of tensors (None if none)."""
    if isinstance(x, (list, tuple)):
        masks = [getattr(e, "_keras_mask", None) for e in x]
        return masks if any(m is not None for m in masks) else None
    return getattr(x, "_keras_mask", None)


def _keras_mask_of(tensor):
    """Replay of a functional output's mask: the mask its layer attached when it ran again."""
    if getattr(tensor, "_keras_mask", None) is None:
        raise ValueError(f"{tensor} lost its mask when the functional model was traced again")
    return tensor._keras_mask


def _is_quantized_policy(dtype) -> bool:
    """A quantized policy, a policy map, their names or serialized forms (not a float policy)."""
    from ..dtype_policies import QUANTIZATION_MODES, DTypePolicyMap, QuantizedDTypePolicy
    if isinstance(dtype, dict):
        return dtype.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy")
    if isinstance(dtype, str):
        return dtype.startswith(QUANTIZATION_MODES)
    return isinstance(dtype, (QuantizedDTypePolicy, DTypePolicyMap))


class Layer:
    """Base class of all layers (Keras 3 API).

    Subclasses define ``__init__``, ``build(input_shape)`` (creating weights with
    ``add_weight``) and ``call(inputs, training=None)`` written with kxla.ops.
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        self._tracking = False
        self._parent_path = None        # the kxla.name_scope path at the first weight (Keras: at build)
        self._layers: list[Layer] = []
        self._trainable_variables: list[Variable] = []
        self._non_trainable_variables: list[Variable] = []
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        self._batch_size_arg = batch_size
        self.activity_regularizer = None
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__ got unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        if activity_regularizer is not None:
            from .. import regularizers
            self.activity_regularizer = regularizers.get(activity_regularizer)
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        from .. import config
        if _is_quantized_policy(dtype):                         # "int8_from_float32", a policy map ...
            from .. import dtype_policies
            self.dtype_policy = dtype_policies.get(dtype)
            self.dtype = self.dtype_policy.variable_dtype
        elif dtype is None or config.is_policy_name(dtype):       # a dtype policy: the global one by default
            self.dtype_policy = config.DTypePolicy(dtype) if dtype is not None else config.dtype_policy()
            self.dtype = self.dtype_policy.variable_dtype
        else:
            self.dtype = canonical_dtype(dtype) if isinstance(dtype, str) else "float32"
            self.dtype_policy = config.DTypePolicy(self.dtype) if self.dtype == "float32" else None
        self.built = False
        self.input_spec = None
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        self._call_has_training = "training" in inspect.signature(self.call).parameters
        self._call_has_mask = "mask" in inspect.signature(self.call).parameters
        params = inspect.signature(self.call).parameters
        self._call_mask_args = [k for k in params if f"{k}_mask" in params]    # query -> query_mask
        self._remat_mode = current_remat_mode()         # the RematScope at creation (kxla.remat_scope)
        self._tracking = True

    # -- attribute tracking (sublayers) -----------------------------------
    def __setattr__(self, name, value):
        if getattr(self, "_tracking", False) and name != "_layers":
            for v in (value if isinstance(value, (list, tuple)) else [value]):
                if isinstance(v, Layer) and v is not self and all(v is not l for l in self._layers):
                    self._layers.append(v)
        object.__setattr__(self, name, value)

    # -- losses (Keras's add_loss) -------------------------------------------------
    def add_loss(self, loss):
        """Add a loss term: its sum joins the training loss (``fit`` / ``evaluate``), as in Keras.

        Inside a traced call (every ``fit``, ``evaluate``, ``predict`` and ``model(x)``) the
        term becomes an output of the graph; called eagerly it is kept in ``self.losses`` until the
        layer's next call.
        """
        from .. import ops
        builder = current_builder()
        if builder is not None:
            t = ops.sum(loss)
            builder.losses.append(t if t.dtype.startswith("float") else ops.cast(t, "float32"))
            return
        import jax.numpy as jnp
        value = jnp.sum(jnp.asarray(loss))
        self.__dict__.setdefault("_eager_losses", []).append(
            value if jnp.issubdtype(value.dtype, jnp.floating) else value.astype(jnp.float32))

    @property
    def losses(self) -> list:
        """The ``add_loss`` terms of the last call (own and sublayers') plus the weight
        regularization penalties of the current weights, as Keras's ``Layer.losses``."""
        out = list(self.__dict__.get("_eager_losses", []))
        for layer in self._layers:
            out.extend(layer.__dict__.get("_eager_losses", []))
        out.extend(self._call_losses_of_last_call())
        return out + [w.regularizer(w.value) for w in self.weights if w.regularizer is not None and w.trainable]

    def _call_losses_of_last_call(self) -> list:
        return []

    # -- weights ------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, regularizer=None,
                   constraint=None, name=None, **kwargs):
        """Create a weight owned by this layer (Keras 3 signature) and return its Variable."""
        shape = tuple(int(d) for d in (shape or ()))
        dtype = canonical_dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith("float") else "zeros"
        init = initializers_mod.get(initializer)
        name = name or f"variable_{len(self._trainable_variables) + len(self._non_trainable_variables)}"
        value = np.asarray(init(shape, dtype), dtype=dtype)
        if value.shape != shape:
            raise ValueError(f"Initializer for weight {name!r} of layer {self.name!r} returned shape "
                             f"{value.shape}, expected {shape}")
        from .. import constraints, regularizers
        if getattr(self, "_parent_path", None) is None:
            self._parent_path = current_path()
        parent = self._parent_path
        var = Variable(value, name=name, path=f"{parent}/{self.name}/{name}" if parent else f"{self.name}/{name}",
                       kind="param" if trainable else "state",
                       trainable=bool(trainable) and self._trainable,
                       initializer_name=initializers_mod.name_of(init),
                       regularizer=regularizers.get(regularizer),
                       constraint=constraints.get(constraint))
        (self._trainable_variables if trainable else self._non_trainable_variables).append(var)
        return var

    def add_variable(self, shape, initializer, dtype=None, trainable=True, name=None, **kwargs):
        """Alias of ``add_weight`` kept from older Keras."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
                               name=name, **kwargs)

    def _own_weights(self):
        return self._trainable_variables + self._non_trainable_variables

    @property
    def weights(self) -> list[Variable]:
        """All weights: own (trainable-created first, then non-trainable), then sublayers'."""
        out, seen = [], set()
        for w in self._own_weights() + [w for l in self._layers for w in l.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if w.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if not w.trainable]

    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool):
        self._trainable = bool(value)
        for w in self._trainable_variables:
            w.trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    def get_weights(self) -> list[np.ndarray]:
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights) -> None:
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"Layer {self.name!r} expects {len(own)} weights "
                             f"({[w.path for w in own]}), but set_weights received {len(weights)}")
        for var, value in zip(own, weights):
            value = np.asarray(value)
            if tuple(value.shape) != var.shape:
                raise ValueError(f"Layer {self.name!r} weight {var.path!r} has shape {var.shape}, "
                                 f"but the value given has shape {tuple(value.shape)}")
        for var, value in zip(own, weights):
            var.assign(np.asarray(value, dtype=var.dtype))

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"Layer {self.name!r} is not built yet: call it on an input or build() it "
                             "before count_params()")
        return int(sum(math.prod(w.shape) for w in self.weights))

    # -- the layer contract --------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise TypeError(f"Layer {type(self).__name__} does not define call()")

    def compute_mask(self, inputs, mask=None):
        """The output mask(s) for ``inputs`` whose mask is ``mask`` (Keras 3).

        The default passes ``mask`` through when ``supports_masking``, else
        drops it. Layers that make masks (Embedding with ``mask_zero``) or
        consume them (GlobalAveragePooling1D) override this.
        """
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """Output shape(s) found by tracing ``call`` on a symbolic input."""
        specs = jax.tree_util.tree_map(lambda s: KerasTensor(TensorType(s, self.dtype)), input_shape,
                                       is_leaf=lambda s: isinstance(s, tuple))
        out = self(specs)
        return jax.tree_util.tree_map(lambda t: t.shape, out, is_leaf=lambda x: isinstance(x, KerasTensor))

    @property
    def compute_dtype(self) -> str:
        """The dtype matmuls and convolutions run in (bfloat16/float16 under a mixed policy)."""
        policy = getattr(self, "dtype_policy", None)
        return policy.compute_dtype if policy is not None else self.dtype

    def get_config(self) -> dict:
        policy = getattr(self, "dtype_policy", None)
        dtype = policy.name if policy is not None and policy.is_mixed else self.dtype
        if _is_quantized_policy(policy):
            from .. import dtype_policies
            dtype = dtype_policies.serialize(policy)
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype}
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- quantization (Keras 3): Dense, EinsumDense and Embedding implement ``_quantize`` ------------
    @property
    def quantization_mode(self):
        """The quantization mode of this layer (``"int8"``, ``"int4"`` ...), None if not quantized."""
        policy = getattr(self, "dtype_policy", None)
        if policy is not None and hasattr(policy, "default_policy"):        # a DTypePolicyMap, by layer name
            policy = policy[self.name]
        return getattr(policy, "quantization_mode", None)

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize this built layer's weights (``"int8"`` / ``"int4"``, or a ``QuantizationConfig``).

        As Keras: the layer must be built and not yet quantized; layers without a quantized form
        raise ``NotImplementedError``; float8, GPTQ and AWQ raise ``NotImplementedError`` naming the mode.
        """
        from .core.quantized import quantize_layer
        quantize_layer(self, mode, type_check, config)

    def _quantize(self, mode, config, type_check):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` method implemented.")

    def _keras_saved_variables(self) -> list:
        """This layer's own variables in the order Keras's ``save_own_variables`` writes them."""
        return list(self._trainable_variables) + list(self._non_trainable_variables)

    # -- calling ---------------------------------------------------------------
    def _maybe_build(self, args):
        if self.built:
            return
        first = args[0] if args else None
        shape = _shape_of(first)
        if shape is None:
            raise ValueError(f"Layer {self.name!r} cannot be built from input {first!r}")
        try:
            self.build(shape)
        except (TypeError, ValueError) as e:
            raise type(e)(f"Layer {self.name!r} ({type(self).__name__}) could not be built for input "
                          f"shape {shape}: {e}") from None
        self.built = True

    def _check_inputs(self, args):
        if self.input_spec is None or not args:
            return
        specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
        first = args[0]
        inputs = first if isinstance(first, (list, tuple)) else [first]
        for i, (spec, x) in enumerate(zip(specs, inputs)):
            if spec is not None and hasattr(x, "shape"):
                spec.check(self, i, tuple(x.shape))

    def __call__(self, *args, **kwargs):
        leaves = _leaves((args, kwargs))
        builder = current_builder()
        if any(isinstance(x, KerasTensor) and x.builder is None for x in leaves):
            return self._record_call(args, kwargs)     # training mode is decided at replay
        if self._call_has_training and kwargs.get("training") is None:
            kwargs["training"] = builder.training if builder is not None else False
        elif not self._call_has_training:
            kwargs.pop("training", None)
        self._check_inputs(args)
        self._maybe_build(args)
        self._check_inputs(args)
        previous_mask = self._populate_masks(args, kwargs)
        if builder is not None:
            builder.layer_path.append(self.name)
            try:
                out = call_with_remat(self, self.call, args, kwargs)
                self._attach_masks(args, out, previous_mask)
            finally:
                builder.layer_path.pop()
            self._output_shapes = [tuple(t.shape) for t in jax.tree_util.tree_leaves(
                out, is_leaf=lambda x: isinstance(x, KerasTensor)) if isinstance(t, KerasTensor)]
        else:
            self.__dict__.pop("_eager_losses", None)
            out = call_with_remat(self, self.call, args, kwargs)
            self._attach_masks(args, out, previous_mask)
        if self.activity_regularizer is not None and builder is not None:
            from .. import ops          # as Keras 3: each output's penalty divided by its batch size
            for t in jax.tree_util.tree_leaves(out, is_leaf=lambda x: isinstance(x, KerasTensor)):
                if isinstance(t, KerasTensor):
                    builder.losses.append(ops.divide(self.activity_regularizer(t), ops.dim(t, 0)))
        return out

    def _record_call(self, args, kwargs):
        """Functional construction: trace once in a scratch builder for output types, then record."""
        leaves = [x for x in _leaves((args, kwargs)) if isinstance(x, KerasTensor)]
        with Builder("shape_probe", training=bool(kwargs.get("training"))) as probe:
            mapping = {id(x): probe.input(x.type, f"in{i}") for i, x in enumerate(leaves)}
            for x in leaves:                    # input masks travel into the probe with their tensors
                m = getattr(x, "_keras_mask", None)
                if isinstance(m, KerasTensor):
                    if id(m) not in mapping:
                        mapping[id(m)] = probe.input(m.type, f"mask{len(mapping)}")
                    mapping[id(x)]._keras_mask = mapping[id(m)]
            p_args, p_kwargs = jax.tree_util.tree_map(
                lambda x: mapping.get(id(x), x), (args, kwargs),
                is_leaf=lambda x: isinstance(x, (KerasTensor, Variable)))
            out = self(*p_args, **p_kwargs)
        record = CallRecord(self, args, kwargs, layer=self)
        self.__dict__.setdefault("_inbound_calls", []).append(record)      # for layer.input / layer.output
        out_leaves, treedef = jax.tree_util.tree_flatten(out, is_leaf=lambda x: isinstance(x, KerasTensor))
        record.outputs = [KerasTensor(t.type, history=(record, i)) for i, t in enumerate(out_leaves)]
        for placeholder, t in zip(record.outputs, out_leaves):
            m = getattr(t, "_keras_mask", None)
            if isinstance(m, KerasTensor):      # the output's mask: a record that reads it at replay
                mask_record = CallRecord(_keras_mask_of, [placeholder], {})
                mask_record.outputs = [KerasTensor(m.type, history=(mask_record, 0))]
                placeholder._keras_mask = mask_record.outputs[0]
        return jax.tree_util.tree_unflatten(treedef, record.outputs)

    # -- layer.input / layer.output (Keras 3): the tensors of the first functional call ---------
    def _first_call(self, what):
        calls = self.__dict__.get("_inbound_calls")
        if not calls and getattr(self, "_functional", False):            # a functional model: its own tensors
            tensors = self.inputs if what == "input" else self.outputs
            return _ModelEnds(tensors)
        if not calls and what == "input" and "_output_override" in self.__dict__:   # InputLayer: in = out
            return _ModelEnds([self.__dict__["_output_override"]])
        if not calls:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        return calls[0]

    @property
    def input(self):
        """The symbolic input of this layer's first functional call (a tensor, or the list it was given)."""
        if "_input_override" in self.__dict__:
            return self.__dict__["_input_override"]
        record = self._first_call("input")
        return record.args[0] if record.args else next(iter(record.kwargs.values()))

    @input.setter
    def input(self, value):
        self.__dict__["_input_override"] = value

    @property
    def output(self):
        """The symbolic output of this layer's first functional call (a tensor, or a list)."""
        if "_output_override" in self.__dict__:
            return self.__dict__["_output_override"]
        outputs = self._first_call("output").outputs
        return outputs[0] if len(outputs) == 1 else list(outputs)

    @output.setter
    def output(self, value):
        self.__dict__["_output_override"] = value

    # -- masks (Keras 3): symbolic tensors carry ``_keras_mask`` ---------------------------------
    def _populate_masks(self, args, kwargs):
        """Fill ``mask=`` (and ``<arg>_mask=``) from the inputs' ``_keras_mask``; return the input mask."""
        first = args[0] if args else None
        if self._call_has_mask and kwargs.get("mask") is None:
            mask = _mask_of(first)
            if mask is not None:
                kwargs["mask"] = mask
        if self._call_mask_args and len(args) + len(kwargs) > 1:
            try:
                bound = inspect.signature(self.call).bind_partial(*args, **kwargs).arguments
            except TypeError:
                bound = {}
            for name in self._call_mask_args:
                if name in bound and bound.get(f"{name}_mask") is None:
                    mask = _mask_of(bound[name])
                    if mask is not None:
                        kwargs[f"{name}_mask"] = mask
        return kwargs["mask"] if kwargs.get("mask") is not None else _mask_of(first)

    def _attach_masks(self, args, out, previous_mask):
        """Set ``_keras_mask`` on the outputs from ``compute_mask`` (layers that support masking).

        Symbolic tensors always take it; eager jax arrays take it too (as in
        Keras on JAX), so an eager call of a model propagates masks as well.
        """
        if not self.supports_masking:
            return
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if all(getattr(o, "_keras_mask", None) is not None for o in outs):
            return
        masks = self.compute_mask(args[0] if args else None, previous_mask)
        if masks is None:
            return
        masks = list(masks) if isinstance(masks, (list, tuple)) else [masks]
        for o, m in zip(outs, masks):
            if m is not None and hasattr(o, "shape") and getattr(o, "_keras_mask", None) is None:
                try:
                    o._keras_mask = m
                except AttributeError:          # numpy arrays take no attributes
                    pass

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
