"""Float8 training of Dense / EinsumDense (Keras 3's ``quantize("float8")``), delayed scaling.

The float kernel stays (trainable); six float32 variables are added, in
Keras's names, order, shapes and initial values: ``inputs_scale``,
``inputs_amax_history``, ``kernel_scale``, ``kernel_amax_history``,
``outputs_grad_scale``, ``outputs_grad_amax_history`` (histories
``amax_history_length`` long, 1024 unless the policy says otherwise).

The forward records ``float8_qdq`` on the inputs and the kernel
(``float8_e4m3fn``), the matmul / einsum, ``float8_grad_qdq`` on its result
(the gradient in ``float8_e5m2``) and the bias rounded through bfloat16 under
a float32 policy, as Keras's ``_float8_call``. The six variables are graph
state: traced for training (layer trainable), they are marked
``update="gradient"`` and the train step writes into each the gradient the
ops give it, i.e. the next scale or history (Keras makes them trainable with
``overwrite_with_gradient``, so its optimizer does the same write).
"""
from __future__ import annotations

from ... import ops
from ...ops.tracing import current_builder

FLOAT8_VARIABLES = ("inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
                    "outputs_grad_scale", "outputs_grad_amax_history")
DEFAULT_AMAX_HISTORY_LENGTH = 1024


def check_policy(layer):
    """Float8 runs under a float32 policy only here (a clear error for mixed ones)."""
    if layer.compute_dtype != "float32":
        from ...quantizers.config import UnsupportedQuantization
        raise UnsupportedQuantization(f"kxla runs float8 training under a float32 dtype policy only; layer "
                                      f"{layer.name!r} computes in {layer.compute_dtype}")


def build_float8(layer):
    """Keras's ``_float8_build``: the scales (ones) and amax histories (zeros), float32, never autocast."""
    check_policy(layer)
    length = getattr(layer.dtype_policy, "amax_history_length", DEFAULT_AMAX_HISTORY_LENGTH)
    for name in FLOAT8_VARIABLES:
        history = name.endswith("history")
        var = layer.add_weight(name=name, shape=(length,) if history else (),
                               initializer="zeros" if history else "ones", dtype="float32", trainable=False)
        setattr(layer, name, var)


def float8_variables(layer) -> list:
    return [getattr(layer, n) for n in FLOAT8_VARIABLES]


def float8_dot(layer, inputs, equation=None):
    """Keras's ``_float8_call`` up to the activation: qdq'd inputs and kernel multiplied (``equation``
    None: matmul), the output's gradient qdq'd, plus the bias (through bfloat16 under float32)."""
    builder = current_builder()
    if builder is not None and builder.training and layer.trainable:
        for var in float8_variables(layer):
            builder.update_with_gradient(var)
    x = ops.apply("float8_qdq", inputs, layer.inputs_scale, layer.inputs_amax_history, dtype="float8_e4m3fn")
    k = ops.apply("float8_qdq", layer.kernel, layer.kernel_scale, layer.kernel_amax_history,
                  dtype="float8_e4m3fn")
    y = ops.matmul(x, k) if equation is None else ops.einsum(equation, x, k)
    y = ops.apply("float8_grad_qdq", y, layer.outputs_grad_scale, layer.outputs_grad_amax_history,
                  dtype="float8_e5m2")
    if layer.bias is None:
        return y
    bias = layer.bias
    if layer.compute_dtype == "float32":
        bias = ops.cast(ops.cast(bias, "bfloat16"), "float32")
    return ops.add(y, bias)
