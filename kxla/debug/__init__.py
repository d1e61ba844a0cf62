"""kxla.debug — a debugger's view of the IR: step through it node by node, find NaNs.

    interp = kxla.debug.Interpreter(graph, hooks=[my_hook])      # un-jitted, one op at a time
    outputs, new_state = interp.run(params, state, inputs)       # == kxla.lower(graph)(...)
    model.intermediate_outputs(x)                                # {layer name: activation}
    issue = kxla.debug.check_numerics(model, x, y)               # first NaN/Inf, forward and backward
"""
from .interpreter import Hook, Interpreter, InterpreterError, layer_outputs
from .numerics import NumericsIssue, check_numerics
from . import flops, xla

__all__ = ["Hook", "Interpreter", "InterpreterError", "layer_outputs", "NumericsIssue", "check_numerics", "flops", "xla"]
