"""One epoch of ``fit``: the train steps over the epoch's batches, with the batch hooks.

``_tight_epoch`` is the common case (single steps, batches prepared inline):
per batch Python slices the batch, dispatches the step and commits its
outputs to the model's ``ModelState`` (three dict swaps). When every batch
of the epoch is full and there are no sample weights, no distribution and
no loss scaling, it dispatches the builder's *lean* step (no weights, no
padding mask, no key for a graph without random ops); otherwise the padded,
masked step that serves every batch length with one program. Batch hooks
are called in Keras's order (every ``k`` steps with ``steps_per_execution=k``);
a hook's logs are fetched from the device only when read.
``_callback_epoch`` runs scanned groups of ``k`` steps or prefetched batches.
"""
from __future__ import annotations

import time

import numpy as np

from ..seeding import numpy_rng
from . import data as data_mod
from . import plan as plan_mod
from .state import _guard as _PENDING, raise_pending


class EpochLoop:
    """Mixin of ``Trainer`` (through ``Loop``): one epoch of fit's steps."""

    def _train_epoch(self, run, cblist, n: int, batch_size: int, shuffle: bool):
        """One epoch of steps; returns the metric state."""
        self._weights(run.traced, run.dist)       # validation or a callback may have rebound the state
        ms = run.metrics.init()
        if run.cursor is not None:
            batches = run.cursor.next_epoch(numpy_rng())
        else:
            order = numpy_rng().permutation(n) if shuffle else None
            batches = list(data_mod.batch_slices(n, batch_size, order))
        if run.plan.mode != "scan" and run.depth == 0:
            return self._tight_epoch(run, batches, ms, cblist, n)
        units = plan_mod.units(batches, run.plan.k, run.plan.mode == "scan", run.coupled, batch_size, n)
        feed = data_mod.Prefetcher(units, lambda u: self._produce(run, u), run.depth) if run.depth > 0 else \
            ((u, self._produce(run, u)) for u in units)
        try:
            return self._callback_epoch(run, cblist, feed, ms, len(batches))
        finally:
            if run.depth > 0:
                feed.close()

    def _tight_epoch(self, run, batches, ms, cblist, n: int):
        """The common case, kept tight: one dispatch per batch, and the batch hooks if anyone listens
        (every ``k`` steps with ``steps_per_execution=k``, Keras's indices; a hook whose listeners only
        need it from time to time, the progress bar, only when due). The compile collector is entered
        once per epoch without hooks; with hooks (which may compile their own programs) only around the
        first and the last step, the only ones whose batch shape can be new."""
        store, lock, dist, k = self._model_state, self._model_state.lock, run.dist, run.plan.k
        lean = run.lean is not None and bool(batches) and \
            data_mod.Batcher._size(batches[-1], n) == run.batcher.rows        # only a pass's last can be short
        fn = run.lean if lean else run.train_1
        batch_args = run.batcher.full_fn() if lean else run.batcher.single_fn(not run.coupled)
        begin = cblist.on_train_batch_begin if cblist.wants("on_train_batch_begin") else None
        end = cblist.on_train_batch_end if cblist.wants("on_train_batch_end") else None
        next_due = cblist.throttle("on_train_batch_end") if end is not None else None
        hooked, result, last = begin is not None or end is not None, run.metrics.result, len(batches) - 1
        collect, rate, due = self._stats.collect("train"), _RateArg(self, dist), 0.0
        scaled, random = store.loss_scale is not None, run.fixed_step is None
        tail = _tail_fn(lean, random, run.rng_key, run.fixed_step)
        lr = rate.get()
        extra, stale = tail(lr, run.step_count), False
        both = _Both(lock, collect)
        with _NULL if hooked else collect:
            for b, idx in enumerate(batches):
                if begin is not None and b % k == 0:
                    begin(b, {})
                    stale = True
                args = batch_args(idx)
                if dist is not None:
                    args = self._place(args, dist)
                if stale:                         # a hook ran: it may have set the learning rate
                    lr, stale = rate.get(), False
                    extra = tail(lr, run.step_count)
                elif random:
                    extra = tail(lr, run.step_count)
                with both if hooked and (b == 0 or b == last) else lock:
                    store.busy = True
                    if scaled:
                        p, st, opt, ms, store.loss_scale = fn(store.trainable, store.frozen, store.state,
                                                              store.optimizer, ms, *args, *extra,
                                                              store.loss_scale)
                    else:
                        p, st, opt, ms = fn(store.trainable, store.frozen, store.state, store.optimizer, ms,
                                            *args, *extra)
                    store.trainable, store.state, store.optimizer = p, st, opt      # store.commit, inlined
                    store.version += 1
                    if store.lost:
                        store.reclaim()
                    store.busy = False
                if _PENDING["pending"] is not None:
                    raise_pending()
                run.step_count += 1
                if end is not None and (b % k == k - 1 or b == last) and \
                        (next_due is None or b == last or time.time() >= due):
                    end(b - b % k + k - 1, LazyLogs(result, ms))
                    stale = True
                    if next_due is not None:
                        due = next_due()
                if self.stop_training:
                    break
        return ms

    def _callback_epoch(self, run, cblist, feed, ms, total: int):
        """Steps with batch callbacks (or scanned groups, or prefetched batches)."""
        want_begin, want_end = cblist.wants("on_train_batch_begin"), cblist.wants("on_train_batch_end")
        result, b, since, start, k = run.metrics.result, 0, 0, 0, run.plan.k
        for (kind, group), args in feed:
            if since == 0:
                start = b
                if want_begin:
                    cblist.on_train_batch_begin(b, {})
            ms = self._dispatch(run.train_k if kind == "scan" else run.train_1, run, args, ms)
            run.step_count += len(group)
            b += len(group)
            since += len(group)
            if since >= k or b >= total:
                since = 0
                if want_end:         # Keras's index: the group's last step, as if the group were full
                    cblist.on_train_batch_end(start + k - 1, LazyLogs(result, ms))
            if self.stop_training:
                break
        return ms

    def _dispatch(self, fn, run, args, ms):
        """One train-step dispatch, committed to the model state (SIGINT waits for the commit)."""
        store = self._model_state
        lr = self._lr_arg(run.dist)
        step0 = np.int32(run.step_count) if run.fixed_step is None else run.fixed_step
        with self._stats.collect("train"), store.lock:
            store.busy = True
            out = fn(store.trainable, store.frozen, store.state, store.optimizer, ms, *args, run.rng_key, step0, lr,
                     *(() if store.loss_scale is None else (store.loss_scale,)))
            if store.loss_scale is not None:
                store.loss_scale = out[4]
            store.commit(out[0], out[1], out[2])
            store.busy = False
        raise_pending()
        return out[3]

    def _produce(self, run, unit):
        kind, group = unit
        args = run.batcher.stacked(group, run.plan.k) if kind == "scan" else \
            run.batcher.single(group[0], pad=not run.coupled)
        return self._place(args, run.dist, stacked=kind == "scan", threaded=run.depth > 0)


def _tail_fn(lean: bool, random: bool, key, fixed):
    """``tail(lr, step)``: the step's arguments after the batch. The lean step takes ``lr`` (and
    ``key, step`` when the graph draws random numbers); the padded step ``key, step, lr``."""
    if lean:
        return (lambda lr, step: (lr, key, np.int32(step))) if random else (lambda lr, step: (lr,))
    if random:
        return lambda lr, step: (key, np.int32(step), lr)
    return lambda lr, step: (key, fixed, lr)


class LazyLogs(dict):
    """A logs dict that fetches metric values from the device only when a callback reads it."""

    __slots__ = ("_fetch", "_state")

    def __init__(self, fetch, state=None):
        self._fetch, self._state = fetch, state

    def _fill(self):
        if self._fetch is not None:
            fetch, self._fetch = self._fetch, None
            self.update(fetch(self._state))

    def __getitem__(self, k):
        self._fill()
        return super().__getitem__(k)

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self):
        self._fill()
        return super().__len__()

    def __contains__(self, k):
        self._fill()
        return super().__contains__(k)

    def get(self, k, default=None):
        self._fill()
        return super().get(k, default)

    def items(self):
        self._fill()
        return super().items()

    def keys(self):
        self._fill()
        return super().keys()

    def values(self):
        self._fill()
        return super().values()

    def copy(self):
        self._fill()
        return dict(self)


class _RateArg:
    """The learning-rate argument of the step, looked up again only when the optimizer's rate object
    changed (a callback may set it between steps)."""

    __slots__ = ("model", "dist", "source", "value")

    def __init__(self, model, dist):
        self.model, self.dist, self.source, self.value = model, dist, _UNSET, None

    def get(self):
        source = getattr(self.model.optimizer, "_learning_rate", _UNSET)
        if source is not self.source or source is _UNSET:
            self.source, self.value = source, self.model._lr_arg(self.dist)
        return self.value


_UNSET = object()


class _Both:
    """``with lock`` and ``with collect`` in one (reusable) context manager."""

    __slots__ = ("lock", "collect")

    def __init__(self, lock, collect):
        self.lock, self.collect = lock, collect

    def __enter__(self):
        self.collect.__enter__()
        self.lock.__enter__()
        return self

    def __exit__(self, *exc):
        self.lock.__exit__(*exc)
        return self.collect.__exit__(*exc)


class _Null:
    """A reusable no-op context manager."""

    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NULL = _Null()
