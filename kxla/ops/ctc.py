"""CTC beam search decoding: ``keras.ops.nn.ctc_decode(strategy="beam_search")`` — one catalogue row.

The search Keras's JAX backend runs (TensorFlow's ordering of ties): over the
log-softmax of the logits, keep the ``beam_width`` best label prefixes, each
as two hypotheses — paths ending in the blank (``mask_index``) and paths
ending in a label. A step extends every hypothesis by every class (the blank
or a repeat of the last label without a blank between leaves the prefix as
it is), merges equal prefixes (log-sum-exp of their scores, per kind) and
keeps the best ``beam_width`` by total. Classes are numbered from the top
while searching, so that equal scores break as TensorFlow's decoder does.
Steps past a sequence's length leave its beams alone. The result is the
``top_paths`` best prefixes, ``[top_paths, batch, max_time]`` int32 padded
with -1, and their log probabilities ``[batch, top_paths]``. As in Keras's
JAX backend, ``merge_repeated`` has no effect on this strategy (repeats
separated by no blank always merge, as CTC collapses them).

``_search`` is written once over an array namespace: ``jax.numpy`` for the
lowering (``vmap`` over the batch, ``lax.scan`` over time), numpy for the
reference (loops).
"""
from __future__ import annotations

import numpy as np

from .lazy_jax import jax, jnp
from . import families as F
from .catalog import op

_PAD = -1


def _unique_rows(xp, paths, size):
    """Sorted distinct rows padded with -1 rows to ``size``, and each row's index among them."""
    if xp is np:
        rows, inverse = np.unique(paths, axis=0, return_inverse=True)
        fill = np.full((size - len(rows), paths.shape[1]), _PAD, paths.dtype)
        return np.concatenate([rows, fill]), inverse.reshape(-1)
    rows, inverse = jnp.unique(paths, axis=0, return_inverse=True, size=size, fill_value=_PAD)
    return rows, inverse.reshape(-1)


def _merge(xp, inverse, scores):
    """Log-sum-exp of the scores of equal rows, at each distinct row's index (-inf where none)."""
    top = xp.max(scores)
    if xp is np:
        total = np.zeros_like(scores)
        with np.errstate(invalid="ignore"):
            np.add.at(total, inverse, np.exp(scores - top))
        with np.errstate(divide="ignore"):
            return np.log(total) + top
    return jnp.log(jnp.zeros_like(scores).at[inverse].add(jnp.exp(scores - top))) + top


def _argsort(xp, x):
    return np.argsort(x, kind="stable") if xp is np else jnp.argsort(x, stable=True)


def _extend(xp, paths, scores, ends_blank, x, blank):
    """Every hypothesis extended by every class: (paths, scores, ends_blank), ``classes`` times as many."""
    classes = x.shape[0]
    n = paths.shape[0] * classes
    paths, scores, ends_blank = (xp.repeat(a, classes, axis=0) for a in (paths, scores, ends_blank))
    rows = xp.arange(n)
    length = xp.argmax(paths == _PAD, axis=1)
    last = xp.where(length == 0, _PAD, paths[rows, length - 1])
    label = xp.tile(xp.where(xp.arange(classes) == blank, _PAD, xp.arange(classes)), n // classes)
    new_blank = label == _PAD
    label = xp.where(~ends_blank & (last == label), _PAD, label)        # a repeat without a blank: merged
    if xp is np:
        paths = paths.copy()
        paths[rows, length] = label
    else:
        paths = paths.at[rows, length].set(label)
    return paths, scores + xp.tile(x, n // classes), new_blank


def _prune(xp, paths, scores, ends_blank, beam_width):
    """Equal prefixes merged per kind; the ``beam_width`` best prefixes, each as a label and a blank hypothesis."""
    rows, inverse = _unique_rows(xp, paths, paths.shape[0])
    label = _merge(xp, inverse, xp.where(ends_blank, -np.inf, scores))
    blank = _merge(xp, inverse, xp.where(ends_blank, scores, -np.inf))
    keep = _argsort(xp, xp.logaddexp(label, blank))[-beam_width:]
    flags = xp.concatenate([xp.zeros(beam_width, bool), xp.ones(beam_width, bool)])
    return xp.tile(rows[keep], (2, 1)), xp.concatenate([label[keep], blank[keep]]), flags


def _search(xp, logp, active, beam_width, top_paths, blank):
    """One sequence: ``logp [time, classes]`` (classes numbered from the top), ``active [time]`` bools."""
    time, classes = logp.shape
    first = min(classes, beam_width)
    start = _argsort(xp, logp[0])[-first:]
    paths = xp.full((2 * beam_width, time), _PAD, dtype=xp.int32)
    scores = xp.full((2 * beam_width,), -np.inf, dtype=logp.dtype)
    start_labels = xp.where(start == blank, _PAD, start).astype(xp.int32)
    if xp is np:
        paths[:first, 0], scores[:first] = start_labels, logp[0][start]
    else:
        paths, scores = paths.at[:first, 0].set(start_labels), scores.at[:first].set(logp[0][start])
    state = (paths, scores, paths[:, 0] == _PAD)

    def step(state, x):
        return _prune(xp, *_extend(xp, *state, x, blank), beam_width)

    if xp is np:
        for t in range(1, time):
            if active[t]:
                state = step(state, logp[t])
    else:
        def scan_step(state, inp):             # a step past the sequence's length keeps the beams
            x, on = inp
            return tuple(jnp.where(on, a, b) for a, b in zip(step(state, x), state)), None
        state, _ = jax.lax.scan(scan_step, state, (logp[1:], active[1:]))
    paths, scores, _ = state
    rows, inverse = _unique_rows(xp, paths, 2 * classes * beam_width)
    total = _merge(xp, inverse, scores)
    best = _argsort(xp, total)[-top_paths:][::-1]
    return rows[best], total[best]


def _search_batch(logp, active, beam_width, top_paths, blank):
    """The jax search over the batch, jitted once per shape and attributes (eager calls reuse it)."""
    global _JITTED
    if _JITTED is None:
        _JITTED = jax.jit(lambda lp, on, w, k, b: jax.vmap(lambda l, o: _search(jnp, l, o, w, k, b))(lp, on),
                          static_argnums=(2, 3, 4))
    return _JITTED(logp, active, beam_width, top_paths, blank)


_JITTED = None


def _decode(inputs, sequence_lengths, beam_width, top_paths, mask_index):
    xp = np if isinstance(inputs, np.ndarray) else jnp
    batch, time, classes = inputs.shape
    _check(beam_width, top_paths)
    dtype = xp.promote_types(inputs.dtype, xp.float32)
    x = inputs.astype(dtype)
    shifted = x - xp.max(x, axis=-1, keepdims=True)
    logp = shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))
    blank = classes - 1 - (classes - 1 if mask_index is None else mask_index)
    logp = xp.flip(logp, axis=2)
    active = xp.arange(time)[None, :] < sequence_lengths.astype(xp.int32)[:, None]
    if xp is np:
        found = [_search(np, logp[b], active[b], beam_width, top_paths, blank) for b in range(batch)]
        paths, scores = np.stack([p for p, _ in found]), np.stack([s for _, s in found])
    else:
        paths, scores = _search_batch(logp, active, beam_width, top_paths, blank)
    paths = xp.where(paths == _PAD, _PAD, classes - 1 - paths).astype(xp.int32)
    return xp.transpose(paths, (1, 0, 2)), scores.astype(dtype)


def _check(beam_width, top_paths):
    if int(beam_width) < 1 or int(top_paths) < 1:
        raise ValueError(f"ctc_decode: beam_width and top_paths must be positive, got beam_width={beam_width}, "
                         f"top_paths={top_paths}")
    if int(top_paths) > 2 * int(beam_width):
        raise ValueError(f"ctc_decode: top_paths={top_paths} is more than the 2 * beam_width={2 * beam_width} "
                         "hypotheses the beam search keeps")


def _shape(types, attrs):
    _check(attrs["beam_width"], attrs["top_paths"])
    batch, time = types[0].shape[:2]
    return [(attrs["top_paths"], batch, time), (batch, attrs["top_paths"])]


ctc_beam_search_decode = op(
    "ctc_beam_search_decode", "inputs, sequence_lengths, beam_width=100, top_paths=1, mask_index=0",
    _decode, _decode, shape=_shape,
    dtype=[F.fixed("int32"), lambda d, a: "float64" if d[0] == "float64" else "float32"], ns=None,
    tensors=("inputs", "sequence_lengths"), cost=F.per_input(8),
    doc="beam search CTC decoding: (decoded [top_paths, batch, time] with -1 padding, log probs [batch, top_paths])")
