"""``normalize``, ``get_source_inputs``, ``model_to_dot`` and ``plot_model`` (Keras 3 names).

``model_to_dot`` returns the model's layer graph as Graphviz DOT text (Keras
returns a ``pydot.Dot``; kxla does not depend on pydot); ``plot_model`` renders
it with Graphviz's ``dot`` program when it is installed and raises ImportError
otherwise.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np

__all__ = ["normalize", "get_source_inputs", "model_to_dot", "plot_model"]


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (numpy in, numpy out; zero norms left as 1)."""
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        return x / np.expand_dims(norm, -1 if axis is None else axis)
    from .. import ops
    from ..config import epsilon
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    if order == 2:
        inv = ops.minimum(ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)), 1.0 / epsilon())
        return ops.multiply(x, inv)
    norm = ops.power(ops.sum(ops.power(ops.abs(x), float(order)), axis=axis, keepdims=True), 1.0 / order)
    return ops.divide(x, ops.maximum(norm, epsilon()))


def get_source_inputs(tensor) -> list:
    """The ``Input`` tensors that ``tensor`` was computed from (itself when it is one)."""
    from ..ops.tracing import tensor_leaves
    sources, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.history is None:
            sources.append(t)
            continue
        record = t.history[0]
        stack.extend(reversed(tensor_leaves((record.args, record.kwargs))))
    return sources


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable):
    name = f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__
    parts = [name]
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        from ..activations import serialize
        parts.append(f"activation: {serialize(layer.activation)}")
    if show_shapes:
        out = getattr(layer, "output", None)          # the first call's output (AttributeError: never called)
        parts.append(f"output shape: {getattr(out, 'shape', None)}")
    if show_dtype:
        parts.append(f"dtype: {getattr(layer, 'dtype', None)}")
    if show_trainable:
        parts.append(f"trainable: {getattr(layer, 'trainable', True)}")
    return "\\n".join(p.replace('"', "'") for p in parts)


def _edges(model):
    """``(nodes, edges)``: layers in order and (producer, consumer) pairs."""
    layers = list(model.layers)
    records = getattr(model, "_records", None)
    if not records:
        return layers, list(zip(layers, layers[1:]))
    from ..ops.tracing import tensor_leaves
    producer = {}
    input_layers = [layer for layer in layers if type(layer).__name__ == "InputLayer"]
    for tensor, layer in zip(getattr(model, "_inputs_flat", []), input_layers):
        producer[id(tensor)] = layer
    for record in records:
        for out in record.outputs:
            producer[id(out)] = record.layer
    edges = []
    for record in records:
        for t in tensor_leaves((record.args, record.kwargs)):
            src = producer.get(id(t))
            if src is not None and record.layer is not None and (src, record.layer) not in edges:
                edges.append((src, record.layer))
    return layers, edges


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, **kwargs):
    """The layer graph of ``model`` as Graphviz DOT text."""
    if expand_nested or subgraph:
        raise ValueError("model_to_dot: expand_nested and subgraph are not supported by kxla")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    layers, edges = _edges(model)
    ids = {id(layer): f"n{i}" for i, layer in enumerate(layers)}
    lines = [f'digraph "{model.name}" {{', f'  graph [rankdir={rankdir}, dpi={int(dpi)}];',
             '  node [shape=record];']
    for layer in layers:
        label = _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
        lines.append(f'  {ids[id(layer)]} [label="{label}"];')
    lines += [f"  {ids[id(a)]} -> {ids[id(b)]};" for a, b in edges if id(a) in ids and id(b) in ids]
    return "\n".join(lines + ["}"]) + "\n"


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Render ``model_to_dot(model, ...)`` to ``to_file`` (format from its extension: png, svg, pdf, dot ...)."""
    dot_text = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                            show_layer_names=show_layer_names, rankdir=rankdir, expand_nested=expand_nested,
                            dpi=dpi, show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                            **kwargs)
    fmt = os.path.splitext(str(to_file))[1][1:].lower() or "png"
    if fmt == "dot":
        with open(to_file, "w") as f:
            f.write(dot_text)
        return to_file
    exe = shutil.which("dot")
    if exe is None:
        raise ImportError("plot_model needs Graphviz's `dot` program on PATH (e.g. `apt-get install graphviz`); "
                          "model_to_dot(model) gives the DOT text without it")
    done = subprocess.run([exe, f"-T{fmt}", "-o", str(to_file)], input=dot_text.encode(), capture_output=True)
    if done.returncode != 0:
        raise ValueError(f"Graphviz could not write {to_file!r}: {done.stderr.decode(errors='replace').strip()}")
    return to_file
