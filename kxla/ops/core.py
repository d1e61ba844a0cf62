"""How ops are defined and applied: ``defop`` registers one op; ``apply`` runs it in any mode.

An op is defined once, in one place:

    @defop("relu", infer=same_as_input, layout="agnostic", doc="max(x, 0)")
    def _relu(ctx, x):                     # the JAX lowering rule
        return jax.nn.relu(x)

    def relu(x):                           # the keras.ops-named function users call
        return apply("relu", x)

``apply`` records a node when a Builder is active, records a CallRecord when
called on KerasTensors during functional construction, and otherwise calls
the lowering rule on arrays (eager mode), so eager results and compiled
results come from the same code.
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np

from ..ir import is_floating, OpDef, TensorType, canonical_dtype, get_op, register_op
from .tracing import Builder, CallRecord, KerasTensor, Variable, current_builder


def defop(name: str, *, infer, layout: str, attrs: dict | None = None, arity: int | None = 1,
          remap_axes=None, effect: str | None = None, doc: str = "", traits=(), cost=None,
          reference=None, public: str | None = None, aliases=(), extra: dict | None = None):
    """Decorator: register op ``name`` with the decorated function as its JAX lowering rule.

    Arguments:
      name: op name in IR text.
      infer: ``infer(input_types, attrs) -> list[TensorType]``.
      layout: "agnostic", "axis" (needs ``remap_axes``), "sensitive" or "opaque".
      attrs: ordered ``{name: kxla.ir.Attr}`` schema.
      arity: number of inputs, None for variadic.
      effect: "random" for ops that draw random numbers.
      traits: names from ``kxla.ir.registry.TRAITS``.
      cost: ``cost(input_types, output_types, attrs) -> {"flops", "bytes"}``.
      reference: numpy reference implementation ``reference(*arrays, **attrs)``.
      public: dotted name of the public function.
      aliases: older names of the op; IR text and saved models using them load as this op.
      extra: op-specific facts (``activation_forms``, ``kernel_out_axis``; see ``kxla.ir.OpDef``).

    Returns:
      The registered ``OpDef``.
    """
    def wrap(lower):
        return register_op(OpDef(name=name, attrs=dict(attrs or {}), infer=infer, layout=layout,
                                 arity=arity, lower=lower, remap_axes=remap_axes, effect=effect,
                                 doc=doc or (lower.__doc__ or "").strip().split("\n")[0],
                                 traits=frozenset(traits) | ({"random"} if effect == "random" else set()),
                                 cost=cost, reference=reference, public=public,
                                 aliases=tuple(aliases), extra=dict(extra or {})))
    return wrap


class LowerContext:
    """What a lowering rule may ask besides its inputs: training mode, random keys, and (for an op with
    a region, e.g. scan) ``run_region(graph, args, rng, training) -> outputs``, the graph evaluator
    that ran the node (``kxla.lowering.Evaluator``) evaluating the region."""

    def __init__(self, rng=None, training: bool = False, node_index: int = 0, run_region=None):
        self.rng = rng
        self.training = training
        self.node_index = node_index
        self.run_region = run_region

    def key(self):
        """A PRNG key for the current node: the call's key folded with ``node_index`` — for random
        ops the node's key id (``random_ops.random_key_ids``), not its position."""
        if self.rng is None:
            raise ValueError("This graph draws random numbers (dropout, noise); pass rng= to the "
                             "lowered function")
        return jax.random.fold_in(self.rng, self.node_index)


def _eager_context(opdef: OpDef) -> LowerContext:
    if opdef.effect == "random":
        from ..seeding import next_key
        return LowerContext(rng=next_key(), training=True)
    return LowerContext(training=False)


def _type_of(x, like: TensorType | None) -> TensorType:
    if isinstance(x, (KerasTensor, Variable)):
        return TensorType(x.shape, x.dtype)
    if isinstance(x, (bool, int, float)) and like is not None:
        return TensorType((), like.dtype)
    if isinstance(x, jax.Array) or isinstance(x, jax.core.Tracer):
        return TensorType(x.shape, canonical_dtype(x.dtype))     # never pull a traced value to host
    arr = np.asarray(x)
    dtype = {np.dtype("float64"): "float32", np.dtype("int64"): "int32"}.get(arr.dtype, arr.dtype)
    return TensorType(arr.shape, canonical_dtype(dtype))


def _first_type(inputs) -> TensorType | None:
    for x in inputs:
        if isinstance(x, (KerasTensor, Variable)):
            return TensorType(x.shape, x.dtype)
    for x in inputs:
        if hasattr(x, "shape") and hasattr(x, "dtype"):
            return _type_of(x, None)
    return None


def _op_error(opdef: OpDef, builder: Builder | None, err: Exception) -> ValueError:
    where = ""
    if builder is not None and builder.layer_path:
        where = f"Layer {builder.layer_path[-1]!r} ({'/'.join(builder.layer_path)}): "
    return ValueError(f"{where}op {opdef.name}: {err}")


def apply(name: str, *inputs, **attrs):
    """Apply op ``name`` to ``inputs`` in whatever mode the inputs call for (see module doc).

    Returns a tensor (KerasTensor or jax array), or a tuple for multi-result ops.
    """
    opdef = get_op(name)
    name = opdef.name                      # an old name (alias) records the current one
    attrs = opdef.normalize_attrs(attrs)
    builder = current_builder()
    like = _first_type(inputs)
    if like is not None and "elementwise" in opdef.traits and _float_meets_integer(inputs, like):
        # Keras's weak typing: a Python float promotes an integer or bool tensor to float32.
        inputs = tuple(x if isinstance(x, (bool, int, float)) else apply("cast", x, dtype="float32")
                       for x in inputs)
        like = TensorType(like.shape, "float32")
    if builder is not None and any(isinstance(x, (KerasTensor, Variable)) for x in inputs) or \
            (builder is not None and not inputs):
        values = [builder.value_of(x, like) for x in inputs]
        try:
            types = opdef.infer_types([v.type for v in values], attrs)
        except (TypeError, ValueError) as e:
            raise _op_error(opdef, builder, e) from None
        results = [KerasTensor(v.type, value=v, builder=builder)
                   for v in builder.add_node(name, values, attrs, types)]
        return results[0] if len(results) == 1 else tuple(results)
    if any(isinstance(x, KerasTensor) for x in inputs):
        try:
            types = opdef.infer_types([_type_of(x, like) for x in inputs], attrs)
        except (TypeError, ValueError) as e:
            raise _op_error(opdef, None, e) from None
        record = CallRecord(lambda *args: apply(name, *args, **attrs), list(inputs), {}, op=name, attrs=attrs)
        record.outputs = [KerasTensor(t, history=(record, i)) for i, t in enumerate(types)]
        return record.outputs[0] if len(types) == 1 else tuple(record.outputs)
    arrays = [_to_array(x, like) for x in inputs]
    try:
        opdef.infer_types([TensorType(a.shape, a.dtype) for a in arrays], attrs)
    except (TypeError, ValueError) as e:
        raise _op_error(opdef, None, e) from None
    return opdef.lower(_eager_context(opdef), *arrays, **attrs)


def _float_meets_integer(inputs, like: TensorType) -> bool:
    return not is_floating(like.dtype) and any(isinstance(x, float) for x in inputs) and \
        all(isinstance(x, (bool, int, float)) or not is_floating(_type_of(x, None).dtype) for x in inputs)


def _to_array(x, like: TensorType | None):
    if isinstance(x, Variable):
        return jnp.asarray(x.value)
    if isinstance(x, (bool, int, float)) and like is not None:
        return jnp.asarray(x, dtype=like.dtype)
    if isinstance(x, jax.Array):
        return x
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    elif arr.dtype == np.int64:
        arr = arr.astype(np.int32)
    return jnp.asarray(arr)
