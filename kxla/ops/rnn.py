"""Recurrent ops: ``simple_rnn``, ``lstm``, ``gru`` — one IR node per layer call, one ``lax.scan`` each.

Each op is a single multi-result node, layout "opaque" (its dimensions are
(batch, time, features) by definition), so passes see a whole recurrent layer
as one unit. Inputs, in order (the flag attributes say which optional ones are
present):

    x                 (batch, time, features)
    kernel            (features, G*units)       G = 1 simple_rnn, 4 lstm (i,f,c,o), 3 gru (z,r,h)
    recurrent_kernel  (units, G*units)
    bias              (G*units,); gru with reset_after: (2, 3*units)  [use_bias]
    mask              (batch, time), True = step is real            [masked]
    initial states    (batch, units) each: h, plus c for lstm        [initial_state]
    recurrent mask    (batch, units), multiplies h before the recurrent matmul  [recurrent_dropout]

Results: the output sequence (batch, time, units) or the last output
(batch, units) (``return_sequences``), then the final states (h; h and c for
lstm). Weight layouts and gate orders are Keras 3's, so Keras weights load
unchanged.

Where the input projection runs is chosen per backend, by measurement
(``hoist_projection``). On XLA:CPU each step projects its own slice inside the
scan: hoisting it out of the loop (one matmul of the whole sequence) measured
1.13-1.5x slower for the train step and 2-3x slower for predict at batch
32-256 (a 6,400-row weight-gradient matmul after a 3.3 MB transpose, 1.7x the
scratch memory, a cell-state fusion compiled to scalar code); with the
projection in the loop kxla's step is at parity with a hand-written scan
(benchmarks/step_ratios.py). On other backends (GPU, TPU: not yet measured;
one big matmul is the usual win there) the projection is hoisted while it
(batch x time x G*units) stays within ``HOIST_LIMIT_BYTES`` (32 MiB); past it
each step projects its own slice, so memory grows with the input, not with G
times it. Masked steps carry the previous state and repeat
the previous output (zeros with ``zero_output_for_mask``), as Keras does;
``go_backwards`` scans from the end and returns the outputs in processing
order. ``unroll`` is accepted and ignored (the scan is never unrolled).

Two helpers for TimeDistributed live here too: ``fold_time`` (batch, time,
...) -> (batch*time, ...) and ``unfold_time`` back, valid with an unknown batch.
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp

import numpy as np

from ..ir import Attr, TensorType, activation_forms, get_op, is_floating
from . import costs
from .core import apply, defop

__all__ = ["simple_rnn", "lstm", "gru", "fold_time", "unfold_time", "rnn_activation_names",
           "rnn_activation"]


# the attribute holds a Keras activation name; Keras's "gelu" is the erf form, "swish" is silu
_KERAS_NAMES = {"gelu": "gelu_exact", "swish": "silu"}


def _form(name: str) -> str:
    return _KERAS_NAMES.get(name, name)


def rnn_activation_names() -> list:
    """Keras activation names a recurrent op accepts: every activation op's forms (see OpDef)."""
    forms = set(activation_forms())
    return sorted((forms - {"gelu_exact"}) | {k for k, v in _KERAS_NAMES.items() if v in forms})


def rnn_activation(name: str):
    """The function of a jax array that activation ``name`` (a Keras name) denotes."""
    forms = activation_forms()
    if _form(name) not in forms:
        raise ValueError(f"recurrent ops: unknown activation {name!r}; use one of {rnn_activation_names()}")
    op, attrs = forms[_form(name)]
    if op is None:
        return lambda x: x
    opdef = get_op(op)
    attrs = opdef.normalize_attrs(attrs)
    return lambda x: opdef.lower(None, x, **attrs)


_GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
_STATES = {"simple_rnn": 1, "lstm": 2, "gru": 1}
HOIST_LIMIT_BYTES = 32 << 20     # largest input projection computed for all steps at once
HOIST_ON_CPU = False             # measured: the hoist loses on XLA:CPU (module docstring)


def hoist_projection(backend: str, nbytes: int) -> bool:
    """Whether to project every time step at once before the scan (see the module docstring)."""
    if backend == "cpu" and not HOIST_ON_CPU:
        return False
    return nbytes <= HOIST_LIMIT_BYTES


def _attrs(op: str) -> dict:
    attrs = {"activation": Attr("str", "tanh")}           # checked by the shape rule (rnn_activation)
    if op != "simple_rnn":
        attrs["recurrent_activation"] = Attr("str", "sigmoid")
    if op == "gru":
        attrs["reset_after"] = Attr("bool", True)
    attrs.update({
        "return_sequences": Attr("bool", False), "go_backwards": Attr("bool", False),
        "zero_output_for_mask": Attr("bool", False), "use_bias": Attr("bool", True),
        "masked": Attr("bool", False), "initial_state": Attr("bool", False),
        "recurrent_dropout": Attr("bool", False), "unroll": Attr("bool", False),
    })
    return attrs


def _split_inputs(op: str, inputs: list, attrs: dict) -> dict:
    """Name the inputs of an ``op`` node from its flag attributes (types or arrays alike)."""
    n_states = _STATES[op]
    expected = 3 + attrs["use_bias"] + attrs["masked"] + n_states * attrs["initial_state"] + \
        attrs["recurrent_dropout"]
    if len(inputs) != expected:
        raise ValueError(f"{op} with use_bias={attrs['use_bias']}, masked={attrs['masked']}, "
                         f"initial_state={attrs['initial_state']}, recurrent_dropout="
                         f"{attrs['recurrent_dropout']} takes {expected} inputs, got {len(inputs)}")
    it = iter(inputs)
    parts = {"x": next(it), "kernel": next(it), "recurrent_kernel": next(it)}
    parts["bias"] = next(it) if attrs["use_bias"] else None
    parts["mask"] = next(it) if attrs["masked"] else None
    parts["states"] = [next(it) for _ in range(n_states)] if attrs["initial_state"] else None
    parts["recurrent_mask"] = next(it) if attrs["recurrent_dropout"] else None
    return parts


def _check(what: str, shape: tuple, expected: tuple, op: str) -> None:
    if len(shape) != len(expected) or any(a is not None and b is not None and a != b
                                          for a, b in zip(shape, expected)):
        shown = tuple("?" if d is None else d for d in expected)
        raise ValueError(f"{op}: {what} must have shape {shown}, got {shape}")


def _infer(op: str):
    gates = _GATES[op]

    def infer(types, attrs):
        p = _split_inputs(op, types, attrs)
        x, kernel, rkernel = p["x"], p["kernel"], p["recurrent_kernel"]
        for key in ("activation", "recurrent_activation"):
            if key in attrs:
                rnn_activation(attrs[key])
        if x.rank != 3:
            raise ValueError(f"{op}: the input must have rank 3 (batch, time, features), got {x.shape}")
        if not is_floating(x.dtype):
            raise ValueError(f"{op}: the input must be floating point, got {x.dtype}")
        if rkernel.rank != 2 or rkernel.shape[0] is None:
            raise ValueError(f"{op}: recurrent_kernel must be (units, {gates}*units), got {rkernel.shape}")
        units = rkernel.shape[0]
        batch, time = x.shape[0], x.shape[1]
        _check("recurrent_kernel", rkernel.shape, (units, gates * units), op)
        _check("kernel", kernel.shape, (x.shape[2], gates * units), op)
        if p["bias"] is not None:
            bias_shape = (2, 3 * units) if op == "gru" and attrs["reset_after"] else (gates * units,)
            _check("bias", p["bias"].shape, bias_shape, op)
        if p["mask"] is not None:
            _check("mask", p["mask"].shape, (batch, time), op)
        for i, s in enumerate(p["states"] or []):
            _check(f"initial state {i}", s.shape, (batch, units), op)
        if p["recurrent_mask"] is not None:
            _check("recurrent dropout mask", p["recurrent_mask"].shape, (batch, units), op)
        out = (batch, time, units) if attrs["return_sequences"] else (batch, units)
        return [TensorType(out, x.dtype)] + [TensorType((batch, units), x.dtype)] * _STATES[op]
    return infer


# -- the cells: one step of the recurrence, given the step's input projection ----------------
# Gates are taken apart with jnp.split: its gradient is one concatenate, where one slice per gate
# would pad and add a full-width buffer per gate on every step (lstm's step: 1.22x -> 0.97x of a
# hand-written cell on XLA:CPU).
def _simple_cell(act, rec_act, rkernel, rbias, units, reset_after):
    def step(proj, h_rec, states):
        h = act(proj + h_rec @ rkernel)
        return (h,)
    return step


def _lstm_cell(act, rec_act, rkernel, rbias, units, reset_after):
    def step(proj, h_rec, states):
        z = proj + h_rec @ rkernel
        i, f, g, o = jnp.split(z, 4, axis=-1)
        c = rec_act(f) * states[1] + rec_act(i) * act(g)
        h = rec_act(o) * act(c)
        return (h, c)
    return step


def _gru_cell(act, rec_act, rkernel, rbias, units, reset_after):
    def step(proj, h_rec, states):
        x_z, x_r, x_h = jnp.split(proj, 3, axis=-1)
        if reset_after:
            inner = h_rec @ rkernel
            if rbias is not None:
                inner = inner + rbias
            h_z, h_r, h_h = jnp.split(inner, 3, axis=-1)
            z = rec_act(x_z + h_z)
            r = rec_act(x_r + h_r)
            hh = act(x_h + r * h_h)
        else:
            h_z, h_r = jnp.split(h_rec @ rkernel[:, :2 * units], 2, axis=-1)
            z = rec_act(x_z + h_z)
            r = rec_act(x_r + h_r)
            hh = act(x_h + (r * h_rec) @ rkernel[:, 2 * units:])
        h = z * states[0] + (1 - z) * hh
        return (h,)
    return step


_CELLS = {"simple_rnn": _simple_cell, "lstm": _lstm_cell, "gru": _gru_cell}


def _lower(op: str):
    n_states = _STATES[op]

    def lower(ctx, *inputs, **attrs):
        p = _split_inputs(op, list(inputs), attrs)
        x, kernel, rkernel = p["x"], p["kernel"], p["recurrent_kernel"]
        dtype = x.dtype
        kernel, rkernel = kernel.astype(dtype), rkernel.astype(dtype)
        units = rkernel.shape[0]
        batch = x.shape[0]
        bias, rbias = p["bias"], None
        if bias is not None:
            bias = bias.astype(dtype)
            if bias.ndim == 2:                      # gru reset_after: (input bias, recurrent bias)
                bias, rbias = bias[0], bias[1]
        # the input projection: hoisted (one matmul over every time step, time-major) where that
        # wins and fits, else per step inside the scan
        steps_in = jnp.swapaxes(x, 0, 1)
        hoist = hoist_projection(jax.default_backend(),
                                 steps_in.shape[0] * batch * kernel.shape[1] * dtype.itemsize)

        def project(x_t):
            return x_t @ kernel if bias is None else x_t @ kernel + bias

        states = tuple(s.astype(dtype) for s in p["states"]) if p["states"] is not None else \
            tuple(jnp.zeros((batch, units), dtype) for _ in range(n_states))
        rmask = None if p["recurrent_mask"] is None else p["recurrent_mask"].astype(dtype)
        act = rnn_activation(attrs["activation"])
        rec_act = rnn_activation(attrs.get("recurrent_activation", "sigmoid"))
        cell = _CELLS[op](act, rec_act, rkernel, rbias, units, attrs.get("reset_after", True))
        return_sequences, zero_out = attrs["return_sequences"], attrs["zero_output_for_mask"]
        mask = p["mask"]

        def step(carry, xs):
            in_t, mask_t = xs if mask is not None else (xs, None)
            proj_t = in_t if hoist else project(in_t)
            h_rec = carry[0] if rmask is None else carry[0] * rmask
            new = cell(proj_t, h_rec, carry)
            if mask_t is None:
                return new, (new[0] if return_sequences else None)
            new = tuple(jnp.where(mask_t, n, c) for n, c in zip(new, carry))
            if not return_sequences:
                return new, None
            out = jnp.where(mask_t, new[0], jnp.zeros_like(new[0]) if zero_out else carry[0])
            return new, out

        xs = project(steps_in) if hoist else steps_in
        if mask is not None:
            mask = jnp.swapaxes(mask.astype(bool), 0, 1)[:, :, None]     # (time, batch, 1)
            xs = (xs, mask)
        final, ys = jax.lax.scan(step, states, xs, reverse=attrs["go_backwards"])
        if return_sequences:
            if attrs["go_backwards"]:
                ys = ys[::-1]                                          # processing order, as Keras
            out = jnp.swapaxes(ys, 0, 1)
        else:
            out = final[0]
            if mask is not None and zero_out:
                last = mask[0] if attrs["go_backwards"] else mask[-1]
                out = jnp.where(last, out, jnp.zeros_like(out))
        return (out,) + tuple(final)
    return lower


def _rnn_cost(op: str):
    """Input and recurrent projections (2 FLOPs per multiply-add) + ~4 FLOPs per gate element."""
    gates = _GATES[op]

    def cost(ins, outs, attrs):
        batch, steps, features = costs.dims(ins[0])
        units = costs.dims(ins[2])[0]
        macs = batch * steps * (features + units) * gates * units
        return {"flops": 2 * macs + 4 * batch * steps * gates * units,
                "bytes": costs.nbytes(ins) + costs.nbytes(outs)}
    return cost


for _op, _doc in (("simple_rnn", "Elman RNN h = act(x@W + h@U + b), one lax.scan"),
                  ("lstm", "LSTM (Keras gate order i,f,c,o), one lax.scan"),
                  ("gru", "GRU (Keras gate order z,r,h; reset_after), one lax.scan")):
    defop(_op, infer=_infer(_op), layout="opaque", attrs=_attrs(_op), arity=None, doc=_doc,
          cost=_rnn_cost(_op), public=f"kxla.ops.{_op}")(_lower(_op))


# -- folding time into batch (TimeDistributed) -----------------------------------------------
def _fold_infer(types, attrs):
    t = types[0]
    if t.rank < 2:
        raise ValueError(f"fold_time: the input needs (batch, time, ...) dims, got {t.shape}")
    b, n = t.shape[0], t.shape[1]
    return [TensorType((None if b is None or n is None else b * n,) + t.shape[2:], t.dtype)]


@defop("fold_time", infer=_fold_infer, layout="opaque", doc="(batch, time, ...) -> (batch*time, ...)",
       traits={"data_movement"}, cost=costs.bitcast, public="kxla.ops.fold_time",
       reference=lambda x: np.reshape(x, (-1,) + x.shape[2:]))
def _fold_time(ctx, x):
    return jnp.reshape(x, (x.shape[0] * x.shape[1],) + x.shape[2:])


def _unfold_infer(types, attrs):
    t, steps = types[0], attrs["steps"]
    if t.rank < 1 or steps < 1:
        raise ValueError(f"unfold_time: needs a (batch*time, ...) input and steps >= 1, got {t.shape}, {steps}")
    n = t.shape[0]
    if n is not None and n % steps:
        raise ValueError(f"unfold_time: {n} rows do not split into sequences of {steps} steps")
    return [TensorType((None if n is None else n // steps, steps) + t.shape[1:], t.dtype)]


@defop("unfold_time", infer=_unfold_infer, layout="opaque", attrs={"steps": Attr("int")},
       doc="(batch*steps, ...) -> (batch, steps, ...)",
       traits={"data_movement"}, cost=costs.bitcast, public="kxla.ops.unfold_time",
       reference=lambda x, steps: np.reshape(x, (-1, steps) + x.shape[1:]))
def _unfold_time(ctx, x, steps):
    return jnp.reshape(x, (x.shape[0] // steps, steps) + x.shape[1:])


def fold_time(x):
    """Merge the batch and time axes: ``(batch, time, ...) -> (batch*time, ...)`` (TimeDistributed)."""
    return apply("fold_time", x)


def unfold_time(x, steps):
    """Split the leading axis into (batch, steps): the inverse of ``fold_time``."""
    return apply("unfold_time", x, steps=int(steps))


def _run(op, x, kernel, recurrent_kernel, bias, mask, initial_state, recurrent_dropout_mask, attrs):
    states = None
    if initial_state is not None:
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != _STATES[op]:
            raise ValueError(f"{op}: initial_state needs {_STATES[op]} tensor(s), got {len(states)}")
    inputs = [x, kernel, recurrent_kernel] + ([bias] if bias is not None else []) + \
        ([mask] if mask is not None else []) + (states or []) + \
        ([recurrent_dropout_mask] if recurrent_dropout_mask is not None else [])
    return apply(op, *inputs, use_bias=bias is not None, masked=mask is not None,
                 initial_state=states is not None, recurrent_dropout=recurrent_dropout_mask is not None,
                 **attrs)


def simple_rnn(x, kernel, recurrent_kernel, bias=None, mask=None, initial_state=None,
               recurrent_dropout_mask=None, activation="tanh", return_sequences=False, go_backwards=False,
               zero_output_for_mask=False, unroll=False):
    """A fully connected RNN over ``x`` (Keras's ``SimpleRNN`` computation) as one ``simple_rnn`` node.

    Arguments:
      x: (batch, time, features) floating tensor.
      kernel, recurrent_kernel, bias: (features, units), (units, units), (units,) or None.
      mask: optional (batch, time) bool; False steps keep the previous state.
      initial_state: optional h0 (batch, units) (or a one-element list).
      recurrent_dropout_mask: optional (batch, units) multiplier for h before the recurrent matmul.
      activation: a name in ``rnn_activation_names()``.
      return_sequences, go_backwards, zero_output_for_mask: Keras's meanings; unroll is ignored.

    Returns:
      ``(output, h)``: output is (batch, time, units) or (batch, units).
    """
    return _run("simple_rnn", x, kernel, recurrent_kernel, bias, mask, initial_state, recurrent_dropout_mask,
                dict(activation=activation, return_sequences=bool(return_sequences),
                     go_backwards=bool(go_backwards), zero_output_for_mask=bool(zero_output_for_mask),
                     unroll=bool(unroll)))


def lstm(x, kernel, recurrent_kernel, bias=None, mask=None, initial_state=None, recurrent_dropout_mask=None,
         activation="tanh", recurrent_activation="sigmoid", return_sequences=False, go_backwards=False,
         zero_output_for_mask=False, unroll=False):
    """An LSTM over ``x`` with Keras 3 weights (gates i, f, c, o) as one ``lstm`` node.

    Arguments:
      x: (batch, time, features) floating tensor.
      kernel, recurrent_kernel, bias: (features, 4*units), (units, 4*units), (4*units,) or None.
      mask: optional (batch, time) bool; False steps keep the previous states.
      initial_state: optional ``[h0, c0]``, each (batch, units).
      recurrent_dropout_mask: optional (batch, units) multiplier for h before the recurrent matmul.
      activation, recurrent_activation: names in ``rnn_activation_names()``.
      return_sequences, go_backwards, zero_output_for_mask: Keras's meanings; unroll is ignored.

    Returns:
      ``(output, h, c)``.
    """
    return _run("lstm", x, kernel, recurrent_kernel, bias, mask, initial_state, recurrent_dropout_mask,
                dict(activation=activation, recurrent_activation=recurrent_activation,
                     return_sequences=bool(return_sequences), go_backwards=bool(go_backwards),
                     zero_output_for_mask=bool(zero_output_for_mask), unroll=bool(unroll)))


def gru(x, kernel, recurrent_kernel, bias=None, mask=None, initial_state=None, recurrent_dropout_mask=None,
        activation="tanh", recurrent_activation="sigmoid", reset_after=True, return_sequences=False,
        go_backwards=False, zero_output_for_mask=False, unroll=False):
    """A GRU over ``x`` with Keras 3 weights (gates z, r, h) as one ``gru`` node.

    Arguments:
      x: (batch, time, features) floating tensor.
      kernel, recurrent_kernel: (features, 3*units), (units, 3*units).
      bias: (2, 3*units) (input and recurrent bias) with ``reset_after``, else (3*units,); or None.
      mask: optional (batch, time) bool; False steps keep the previous state.
      initial_state: optional h0 (batch, units) (or a one-element list).
      recurrent_dropout_mask: optional (batch, units) multiplier for h in the recurrent matmuls.
      activation, recurrent_activation: names in ``rnn_activation_names()``.
      reset_after: apply the reset gate after the recurrent matmul (Keras 3 default, cuDNN style).
      return_sequences, go_backwards, zero_output_for_mask: Keras's meanings; unroll is ignored.

    Returns:
      ``(output, h)``.
    """
    return _run("gru", x, kernel, recurrent_kernel, bias, mask, initial_state, recurrent_dropout_mask,
                dict(activation=activation, recurrent_activation=recurrent_activation,
                     reset_after=bool(reset_after), return_sequences=bool(return_sequences),
                     go_backwards=bool(go_backwards), zero_output_for_mask=bool(zero_output_for_mask),
                     unroll=bool(unroll)))
