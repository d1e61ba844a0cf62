"""``evaluate`` and ``predict``: the builder's test and predict steps over padded batches.

Every batch is padded to the batch size and masked, so one program serves
every input length. Callbacks get Keras's hooks (``on_test_begin``,
``on_test_batch_begin/end``, ``on_test_end``; the same for predict).
``predict`` of one numpy batch with ``verbose=0`` takes a fast path that
remembers its last call. The model's state lock is held while weights are
read and a program dispatched, so predict in one thread and fit in another
is safe: predict sees the weights as of some completed step.
"""
from __future__ import annotations

import jax
import numpy as np

from .. import config as _config
from ..utils.traceback_utils import filter_traceback
from ..distribution import distribution_lib as _distribution_lib
from ..ops.tracing import Variable
from . import data as data_mod, validation
from .epoch_iterator import EpochData, first_batches
from .loop import LazyLogs
from ..seeding import next_seed
from .step_builder import PredictHit, current_distribution, overrides_step, step_key


class Inference:
    """Mixin of ``Trainer``: ``evaluate`` and ``predict``."""

    @filter_traceback
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics over ``x, y`` (Keras 3 signature)."""
        self._require_compiled("evaluate")
        validation.check_batch_size(batch_size)
        steps = _config.capped_steps(steps)
        if data_mod.is_batch_iterable(x):                 # a generator of (x, y[, sample_weight])
            (x, y, sample_weight), batch_size = self._generator_arrays(x, steps, "evaluate")
        data = self._prepare(x, y, sample_weight, need_y=True)
        batch_size = batch_size or 32
        data = first_batches(data, steps, batch_size)     # Keras's steps over arrays: the first batches
        verbose = 1 if verbose == "auto" else int(verbose)
        cblist = self._callback_list(callbacks, verbose, {"steps": data_mod.num_batches(data.n, batch_size),
                                                          "verbose": verbose}, run="evaluate")
        logs = self._evaluate_arrays(data, batch_size, cblist)
        return self._format_logs(logs, return_dict)

    def _evaluate_arrays(self, data: EpochData, batch_size, cblist=None):
        """Every batch padded to ``batch_size`` rows and masked: one program per batch size."""
        dist = current_distribution()
        eval_fn, metric_fns = self._eval_fn(data.sw is not None), self._metric_fns("test")
        traced = self._lowered(False).traced
        batch_losses = traced.n_losses - len(self._regularized_weights())   # add_loss terms count the padding
        store, pad = self._model_state, not overrides_step(self, "test") and batch_losses == 0
        keys = _batch_keys(self, "test")
        ms = metric_fns.init()
        shards = dist.num_model_replicas if dist is not None else 1
        batcher = data_mod.Batcher(data.xs, data.ys, data.sw, data_mod.padded_rows(batch_size, shards),
                                   put=self._mask_put(dist))
        collect = self._stats.collect("evaluate")
        hooks = cblist is not None
        if hooks:
            cblist.on_test_begin({})
        want_begin = hooks and cblist.wants("on_test_batch_begin")
        want_end = hooks and cblist.wants("on_test_batch_end")
        k, last = self.steps_per_execution, data_mod.num_batches(data.n, batch_size) - 1
        for b, idx in enumerate(data_mod.batch_slices(data.n, batch_size)):
            if want_begin and b % k == 0:
                cblist.on_test_batch_begin(b, {})
            args = self._place(batcher.single(idx, pad=pad), dist)
            with collect, store.lock:
                _, p, st = self._inference_weights(dist)
                ms = eval_fn(p, st, ms, *args, *keys(b))
            if want_end and (b % k == k - 1 or b == last):
                cblist.on_test_batch_end(b - b % k + k - 1, LazyLogs(metric_fns.result, ms))
        logs = metric_fns.result(ms)
        self._keep_metric_state("test", ms)
        if hooks:
            cblist.on_test_end(logs)
        return logs

    @filter_traceback
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` as numpy arrays, computed batch by batch (Keras 3 signature).

        Without ``batch_size``, an input of fewer than 32 samples is padded only to the next
        power of two (1, 2, 4 ... 32): batch-1 serving does not compute 32 rows. With
        ``verbose=0`` and no callbacks, an input that fits one batch takes a fast path: one
        call, weights prepared once and reused until they change.
        """
        validation.check_batch_size(batch_size)
        steps = _config.capped_steps(steps)
        if steps is not None and x.__class__ is np.ndarray:   # Keras's steps over arrays: the first batches
            x = x[:steps * (batch_size or 32)]
        if verbose == 0 and not callbacks and x.__class__ is np.ndarray:
            out = self._predict_fast(x, batch_size)
            if out is not None:
                return out
        if data_mod.is_batch_iterable(x) or (hasattr(x, "__next__") and not hasattr(x, "__array__")):
            batches = [b[0] if isinstance(b, tuple) else b for _, b in
                       zip(range(steps) if steps is not None else iter(int, 1), x)]
            if not batches:
                raise ValueError("predict() received a generator that yielded no batches")
            batch_size = batch_size or len(np.asarray(data_mod._first(batches[0])))
            x = data_mod._concat(batches)
        data = first_batches(self._prepare(x), steps, batch_size or 32)
        verbose = 1 if verbose == "auto" else int(verbose)
        rows = batch_size or (32 if data.n >= 32 else _bucket(data.n))
        cblist = self._callback_list(callbacks, verbose, {"steps": data_mod.num_batches(data.n, rows),
                                                          "verbose": verbose}, run="predict")
        chunks = self._predict_batches(data, rows, cblist)
        n = data.n
        results = [np.concatenate([np.asarray(outs[i])[:max(real, 0)] for outs, real in chunks])
                   for i in range(len(chunks[0][0]))]
        return jax.tree_util.tree_unflatten(self._lowered(False).traced.out_treedef, results)

    def _predict_batches(self, data: EpochData, rows: int, cblist):
        """``[(outputs, real rows)]`` per batch, with the predict hooks."""
        dist, store = current_distribution(), self._model_state
        shards = dist.num_model_replicas if dist is not None else 1
        batcher = data_mod.Batcher(data.xs, None, None, data_mod.padded_rows(rows, shards))
        single = self._predict_single()
        predict_fn = (lambda p, st, bx, *key: [single.fn(*single.weights(p, st), bx[0], *key)]) \
            if single is not None else self._predict_fn()
        collect, custom = self._stats.collect("predict"), overrides_step(self, "predict")
        keys = _batch_keys(self, "predict")
        cblist.on_predict_begin({})
        want_begin, want_end = cblist.wants("on_predict_batch_begin"), cblist.wants("on_predict_batch_end")
        chunks, n = [], data.n
        k, last = self.steps_per_execution, data_mod.num_batches(max(n, 1), rows) - 1
        for b, idx in enumerate(data_mod.batch_slices(max(n, 1), rows)):
            if want_begin and b % k == 0:
                cblist.on_predict_batch_begin(b, {})
            bx = self._place(batcher.single(idx, pad=not custom)[0], dist)
            with collect, store.lock:
                _, p, st = self._inference_weights(dist)
                outs = predict_fn(p, st, bx, *keys(b))
            chunks.append((outs, min(n - b * rows, rows)))
            if want_end and (b % k == k - 1 or b == last):
                cblist.on_predict_batch_end(b - b % k + k - 1, {"outputs": outs})
        cblist.on_predict_end({})
        return chunks

    def _predict_fast(self, x, batch_size):
        """predict() of one numpy batch that fits the model's single input, on one device: no
        conversion, no checks beyond shape and dtype, cached weights, one call. None if not applicable.

        The call is remembered (``StepCache.predict_hit``: input shape, batch_size, dtype, state
        version, runner): repeating it — batch-1 serving — costs a few comparisons and the call.
        """
        if _distribution_lib.in_use() or overrides_step(self, "predict"):
            return None
        store, hit = self._model_state, self._cache.predict_hit
        with store.lock:
            if hit is not None and hit.shape == x.shape and hit.batch_size == batch_size and \
                    hit.dtype is x.dtype and hit.version == (store.version, Variable.version):
                out = hit.run(x)
            else:
                run = self._predict_runner(x, batch_size)
                if run is None:
                    return None
                with self._stats.collect("predict"):
                    out = run(x)
                self._cache.predict_hit = PredictHit(x.shape, batch_size, x.dtype,
                                                     (store.version, Variable.version), run)
        return out()

    def _predict_runner(self, x, batch_size):
        """``run(x) -> finish()`` dispatching the predict program on one batch; None if not applicable."""
        spec = self._cache.predict_spec
        if spec is None:
            if self._input_types is None or len(self._input_types) != 1 or None in self._input_types[0].shape[1:]:
                return None
            t = self._input_types[0]
            spec = self._cache.predict_spec = (tuple(t.shape[1:]), np.dtype(t.dtype), self._predict_single())
        shape, dtype, single = spec
        n = x.shape[0]
        rows = batch_size or (32 if n >= 32 else _bucket(n))
        if x.shape[1:] != shape or x.dtype != dtype or n > rows or n == 0:
            return None
        traced, p, st = self._inference_weights(None)
        pad = (lambda x: x) if n == rows else (lambda x: data_mod._fill(x, slice(0, n), rows))
        keys = _batch_keys(self, "predict", per_call=True)
        if single is not None:
            pv, sv = single.weights(p, st)

            def run(x):
                out = single.fn(pv, sv, pad(x), *keys(0))
                return lambda: np.asarray(out) if n == rows else np.asarray(out)[:n]
            return run
        predict_fn, treedef = self._predict_fn(), traced.out_treedef

        def run(x):
            outs = predict_fn(p, st, [pad(x)], *keys(0))
            return lambda: jax.tree_util.tree_unflatten(treedef, [np.asarray(o)[:n] for o in outs])
        return run


def _batch_keys(model, kind: str, per_call: bool = False):
    """``keys(batch) -> ()``, or ``(key, index)`` for a graph that draws random numbers outside
    training: one key per evaluate / predict call from the seed state (``kxla.utils.set_random_seed``
    makes it reproducible), folded with the batch index in the step. ``per_call``: a remembered runner
    (predict's fast path) that draws a new key each time it runs."""
    if overrides_step(model, kind) or not model._inference_draws():
        return lambda b: ()
    if per_call:
        return lambda b: (step_key(next_seed()), np.int32(b))
    key = step_key(next_seed())
    return lambda b: (key, np.int32(b))


def _bucket(n: int) -> int:
    """The next power of two >= n (at least 1): predict's padded size for small inputs."""
    return 1 if n <= 1 else 1 << (n - 1).bit_length()
