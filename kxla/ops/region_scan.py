"""The ``scan`` op: a loop over one axis whose body is a traced sub-graph (a region), lowered to ``lax.scan``.

    %c, %ys = scan(%xs, %c0, %w) {num_xs=1, num_carries=1, axis=1, reverse=false, unroll=1, body=@body} : ...
      region @body(%x_t: f32[?,5], %c: f32[?,3], %w: f32[5,3]) { ... return %c_new, %y_t }

Operands, in order: ``num_xs`` sequences (scanned over ``axis``), ``num_carries``
initial carries, then the constants the body reads (weights, outer values).
The body takes one step of each sequence (``axis`` removed), the carries and
the constants, all as region inputs (nothing is captured implicitly), and
returns the new carries (same types: checked by the shape rule) followed by
the step outputs. The node's results are the final carries, then the step
outputs stacked along ``axis`` (``ys[t]`` belongs to ``xs[t]`` also when
``reverse``, as in ``jax.lax.scan``).

``unroll`` is ``jax.lax.scan``'s (steps per loop iteration; 0 unrolls fully).
The lowering runs the body through the same graph evaluator as the rest of
the graph (``LowerContext.run_region``), in the node's training mode, with the
node's random key folded with the step index (a random draw in the body,
dropout in a cell, differs from step to step). Its cost (FLOPs, bytes) is the
body's times the length (one step when the length is unknown). Passes treat the node as
opaque: layout ``opaque``, no numpy reference, and ``effect="random"`` (it may
draw), so CSE never merges two scans, constant folding never folds one,
layout conversion stops at it, and the trainer feeds the graph a key. The
body is not rewritten by passes.

``RegionBuilder`` traces Python code (a cell's ``call``) into a region:
variables and tensors of enclosing graphs it reads become region inputs
and the node's operands.
"""
from __future__ import annotations

from ..ir import Attr, Graph, TensorType, Value
from .core import defop
from .lazy_jax import jax, jnp, lax
from .tracing import Builder, KerasTensor, Variable


def _compatible(a: TensorType, b: TensorType) -> bool:
    """Same dtype and rank, and equal dims where both are known (a region keeps ``?`` for the batch when
    a pass specialises the outer graph)."""
    return a.dtype == b.dtype and a.rank == b.rank and \
        all(x is None or y is None or x == y for x, y in zip(a.shape, b.shape))


def _drop(t: TensorType, axis: int) -> TensorType:
    return t.with_shape(t.shape[:axis] + t.shape[axis + 1:])


def _infer(types, attrs):
    body, n_xs, n_carries, axis = attrs["body"], attrs["num_xs"], attrs["num_carries"], attrs["axis"]
    if n_xs < 1 or n_carries < 0 or axis < 0 or attrs["unroll"] < 0:
        raise ValueError(f"scan needs num_xs >= 1, num_carries >= 0, axis >= 0 and unroll >= 0 (0: fully), got "
                         f"{n_xs}, {n_carries}, {axis}, {attrs['unroll']}")
    if len(types) < n_xs + n_carries:
        raise ValueError(f"scan has {len(types)} operand(s), fewer than num_xs + num_carries = {n_xs + n_carries}")
    xs = types[:n_xs]
    if any(t.rank <= axis for t in xs):
        raise ValueError(f"scan's sequences must have an axis {axis}, got {', '.join(map(str, xs))}")
    known = {t.shape[axis] for t in xs} - {None}
    if len(known) > 1:
        raise ValueError(f"scan's sequences disagree on the length of axis {axis}: {sorted(known)}")
    length = known.pop() if known else None
    expected = [_drop(t, axis) for t in xs] + list(types[n_xs:])
    got = [v.type for v in body.inputs]
    if len(got) != len(expected) or not all(_compatible(g, e) for g, e in zip(got, expected)):
        raise ValueError(f"scan's region @{body.name} takes ({', '.join(map(str, got))}), but the operands give "
                         f"({', '.join(map(str, expected))}) (sequences without axis {axis}, carries, constants)")
    outs = [v.type for v in body.outputs]
    if len(outs) < n_carries:
        raise ValueError(f"scan's region returns {len(outs)} value(s), fewer than its {n_carries} carries")
    for i, (new, old) in enumerate(zip(outs, types[n_xs:n_xs + n_carries])):
        if not _compatible(new, old):
            raise ValueError(f"scan's carry {i} enters the region as {old} but leaves it as {new}; a carried "
                             "value keeps its type")
    ys = [t.with_shape(t.shape[:axis] + (length,) + t.shape[axis:]) for t in outs[n_carries:]]
    return list(types[n_xs:n_xs + n_carries]) + ys


def _cost(in_types, out_types, attrs):
    """The body's cost (its nodes' own rules) times the length; an unknown length counts one step. The body's
    unknown dims take the batch size (the sequences' axis 0 when ``axis`` is not 0) in front, else 1."""
    from ..ir import get_op
    body, axis = attrs["body"], attrs["axis"]
    length = in_types[0].shape[axis] or 1
    batch = (in_types[0].shape[0] or 1) if axis != 0 else 1

    def concrete(t):
        return t.with_shape(tuple((batch if i == 0 else 1) if d is None else d for i, d in enumerate(t.shape)))

    total = {"flops": 0, "bytes": 0}
    for node in body.nodes:
        rule = get_op(node.op).cost
        if rule is not None:
            cost = rule([concrete(v.type) for v in node.inputs], [concrete(r.type) for r in node.results],
                        node.attrs)
            total = {k: total[k] + int(cost.get(k, 0)) for k in total}
    return {k: v * length for k, v in total.items()}


@defop("scan", infer=_infer, layout="opaque", arity=None, effect="random", cost=_cost,
       attrs={"num_xs": Attr("int"), "num_carries": Attr("int"), "axis": Attr("int", 0),
              "reverse": Attr("bool", False), "unroll": Attr("int", 1), "body": Attr("region")},
       doc="loop a region over an axis of sequences, carrying values (jax.lax.scan)")
def _scan(ctx, *operands, num_xs, num_carries, axis, reverse, unroll, body):
    xs = tuple(jnp.moveaxis(x, axis, 0) for x in operands[:num_xs])
    carries = tuple(operands[num_xs:num_xs + num_carries])
    consts = list(operands[num_xs + num_carries:])
    key = ctx.key() if ctx.rng is not None else None
    if ctx.run_region is None:
        raise ValueError("scan: its region needs a graph evaluator; lower the graph with kxla.lower")

    def step(carry, item):
        t, x_t = item
        rng = None if key is None else jax.random.fold_in(key, t)
        outs = ctx.run_region(body, list(x_t) + list(carry) + consts, rng=rng, training=ctx.training)
        new = tuple(o.astype(c.dtype) if o.dtype != c.dtype else o for o, c in zip(outs[:num_carries], carry))
        return new, tuple(outs[num_carries:])

    steps = jnp.arange(xs[0].shape[0], dtype=jnp.int32)
    final, ys = lax.scan(step, carries, (steps, xs), reverse=reverse, unroll=True if unroll == 0 else unroll)
    return [*final, *(jnp.moveaxis(y, 0, axis) for y in ys)]


class RegionBuilder(Builder):
    """Traces code into a region of the ``parent`` builder's graph: what it reads from outside becomes an input.

    A ``Variable`` or a tensor of an enclosing graph used inside becomes a region input (after the inputs
    made with ``input``), and its outer value an operand: ``captures`` lists the outer values in input
    order. Assigning variables or adding losses inside a region is refused (a loop body has no state).
    """

    def __init__(self, parent: Builder, name: str = "body", what: str = "a scan body"):
        super().__init__(name, training=parent.training)
        self.parent, self.what = parent, what
        self.layer_path = list(parent.layer_path)
        self.captures: list[Value] = []          # outer values, one per captured region input
        self._captured: dict[int, Value] = {}    # id(outer Value) -> region input

    def _capture(self, outer: Value, name: str | None) -> Value:
        inner = self._captured.get(id(outer))
        if inner is None:
            taken = {v.name for v in self.graph.inputs}
            name = name if name and name not in taken else f"capture{len(self.captures)}"
            inner = Value(outer.type, name=name, kind="input")
            self.graph.inputs.append(inner)
            self._captured[id(outer)] = inner
            self.captures.append(outer)
        return inner

    def variable_value(self, var: Variable) -> Value:
        v = self._var_values.get(id(var))
        if v is None:
            v = self._var_values[id(var)] = self._capture(self.parent.value_of(var), var.ir_name)
            self._vars.append(var)
        return v

    def value_of(self, x, like: TensorType | None = None) -> Value:
        if isinstance(x, KerasTensor) and x.builder is not self and _encloses(x.builder, self):
            return self._capture(self.parent.value_of(x), None)
        return super().value_of(x, like)

    def update(self, var: Variable, new) -> None:
        raise ValueError(f"Variable {var.path!r} is assigned inside {self.what}; kxla cannot update state "
                         "from inside a loop body (a cell's call must not assign variables)")

    def finish(self, outputs: list) -> Graph:
        """The region: its inputs, the nodes recorded, and ``outputs`` (KerasTensors of this builder)."""
        if self.losses:
            raise ValueError(f"{self.what} adds a loss (an activity regularizer or add_loss inside the cell); "
                             "kxla does not support losses added inside a loop body")
        values = []
        for out in outputs:
            if not isinstance(out, KerasTensor) or out.builder is not self:
                out = KerasTensor(self.value_of(out).type, self.value_of(out), self)
            values.append(out.value)
        self.graph.outputs = values
        return self.graph


def _encloses(builder, region: RegionBuilder) -> bool:
    b = region.parent
    while b is not None:
        if b is builder:
            return True
        b = getattr(b, "parent", None)
    return False


def record_scan(builder: Builder, body: Graph, xs: list, carries: list, captures: list, axis: int = 0,
                reverse: bool = False, unroll: int = 1) -> list:
    """Record a ``scan`` node in ``builder``'s graph; returns its results (final carries, stacked ys)."""
    from ..ir import get_op
    operands = [x if isinstance(x, Value) else builder.value_of(x) for x in list(xs) + list(carries)]
    operands += list(captures)
    attrs = get_op("scan").normalize_attrs({"num_xs": len(xs), "num_carries": len(carries), "axis": axis,
                                           "reverse": reverse, "unroll": unroll, "body": body})
    types = get_op("scan").infer_types([v.type for v in operands], attrs)
    return [KerasTensor(v.type, value=v, builder=builder)
            for v in builder.add_node("scan", operands, attrs, types)]


def _flat(tree):
    return jax.tree_util.tree_flatten(tree, is_leaf=lambda x: isinstance(x, (KerasTensor, Variable)))


def symbolic_scan(f, init, xs, reverse=False, unroll=1):
    """``keras.ops.scan`` on symbolic tensors: ``f(carry, x) -> (carry, y)`` traced once into a scan node.

    In a graph being built (a Builder active) records the node; during functional construction records a
    call that is replayed inside the model's builder (output types from a probe trace).
    """
    from .tracing import CallRecord, current_builder, tensor_leaves
    if xs is None:
        raise ValueError("ops.scan on symbolic tensors needs `xs` (the sequences to scan over); kxla cannot "
                         "record a scan over `length` alone")
    unroll = 0 if unroll is True else int(unroll)
    builder = current_builder()
    if builder is not None:
        return _traced_scan(builder, f, init, xs, reverse, unroll)
    leaves = tensor_leaves((init, xs))
    with Builder("shape_probe") as probe:
        mapping = {id(x): probe.input(x.type, f"in{i}") for i, x in enumerate(leaves)}
        args = jax.tree_util.tree_map(lambda x: mapping.get(id(x), x), (init, xs),
                                      is_leaf=lambda x: isinstance(x, (KerasTensor, Variable)))
        out = _traced_scan(probe, f, args[0], args[1], reverse, unroll)
    record = CallRecord(lambda init_, xs_: symbolic_scan(f, init_, xs_, reverse, unroll), [init, xs], {})
    out_leaves, treedef = _flat(out)
    record.outputs = [KerasTensor(t.type, history=(record, i)) for i, t in enumerate(out_leaves)]
    return jax.tree_util.tree_unflatten(treedef, record.outputs)


def _traced_scan(builder, f, init, xs, reverse, unroll):
    init_leaves, init_tree = _flat(init)
    xs_leaves, xs_tree = _flat(xs)
    carries = [builder.value_of(c) for c in init_leaves]
    seqs = [builder.value_of(x) for x in xs_leaves]
    if any(v.type.rank < 1 for v in seqs):
        raise ValueError("ops.scan: every leaf of `xs` needs a leading axis to scan over")
    region = RegionBuilder(builder, "body", what="the function given to ops.scan")
    with region:
        x_in = [region.input(_drop(v.type, 0), f"x{i}") for i, v in enumerate(seqs)]
        c_in = [region.input(v.type, f"carry{i}") for i, v in enumerate(carries)]
        result = f(jax.tree_util.tree_unflatten(init_tree, c_in), jax.tree_util.tree_unflatten(xs_tree, x_in))
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError("ops.scan: `f` must return a pair (new carry, output)")
        new_leaves, new_tree = _flat(result[0])
        if new_tree != init_tree:
            raise ValueError(f"ops.scan: `f` returned a carry of structure {new_tree}, but `init` has structure "
                             f"{init_tree}; the carry keeps its structure")
        y_leaves, y_tree = _flat(result[1])
        body = region.finish(list(new_leaves) + list(y_leaves))
    try:
        results = record_scan(builder, body, seqs, carries, region.captures, axis=0, reverse=reverse,
                              unroll=unroll)
    except ValueError as e:
        raise ValueError(f"ops.scan: {e}") from None
    return (jax.tree_util.tree_unflatten(init_tree, results[:len(carries)]),
            jax.tree_util.tree_unflatten(y_tree, results[len(carries):]))
