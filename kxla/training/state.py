"""The model-owned training state, and the SIGINT guard that keeps it whole.

``ModelState`` holds every array a step reads and writes: the trainable
parameters, the frozen parameters, the non-trainable state (BatchNorm
statistics) — all by IR name — plus the optimizer state, the dynamic loss
scale and a version counter. Once a model has run, its ``Variable``s *view*
this store (``Variable._value`` reads and writes through it), so a step only
swaps three dicts (``commit``): nothing is written back per batch, and
``get_weights``, ``save`` or a callback always see the state as of the last
completed step.

Concurrency: ``lock`` is held while a step is dispatched and committed and
while predict reads the weights and dispatches its program. A jitted step
donates its inputs; a reader that dispatched before the donation keeps its
buffers alive (XLA orders the donation after pending reads), so predict in
another thread always sees a consistent, whole state.

Interrupts: ``interrupt_guard()`` (fit, train_on_batch) defers a SIGINT that
arrives while a step is in flight (``state.busy``) to just after its commit:
Ctrl-C never leaves the store holding donated (deleted) buffers.
"""
from __future__ import annotations

import contextlib
import signal
import threading

import jax
import numpy as np

_PARTS = ("trainable", "frozen", "state")


class ModelState:
    """Arrays of one model by IR name, split as the current training graph splits them."""

    def __init__(self):
        self.trainable: dict = {}
        self.frozen: dict = {}
        self.state: dict = {}
        self.optimizer = None            # the optimizer's state dict (``Optimizer.init``)
        self.opt_keys = None             # sorted trainable names the optimizer state was built for
        self.loss_scale = None           # {"scale", "good_steps"} under mixed_float16
        self.version = 0                 # bumped on every commit and write
        self.lock = threading.RLock()
        self.busy = False                # a donating step is in flight (see interrupt_guard)
        self._where: dict = {}           # ir_name -> part name
        self._bound: dict = {}           # ir_name -> Variable viewing this store
        self.lost: dict = {}             # ir_name -> Variable another model's store took (layers shared)

    # -- Variables view the store --------------------------------------------------------
    def read(self, var):
        return getattr(self, self._where[var.ir_name])[var.ir_name]

    def write(self, var, value):
        """A Variable assigned from outside a step: placed like the array it replaces (a copy)."""
        name = var.ir_name
        part = getattr(self, self._where[name])
        old = part.get(name)
        sharding = getattr(old, "sharding", None)
        with self.lock:
            part[name] = jax.device_put(np.asarray(value) if not isinstance(value, jax.Array) else value,
                                        sharding, may_alias=False)
            self.version += 1

    def bind(self, split, dist=None):
        """Own the arrays of ``split = (trainable, frozen, state)`` Variable lists.

        A Variable not yet viewing the store is copied onto the device (never aliasing user
        data, which a donated step would delete); one whose placement differs from the
        distribution's is placed again. Variables no longer in the graph stop viewing.
        """
        with self.lock:
            names = {v.ir_name for group in split for v in group}
            for name, var in list(self._bound.items()):
                if name not in names:
                    self._unbind(var)
            new = ({}, {}, {})
            for part, group, target in zip(_PARTS, split, new):
                for var in group:
                    target[var.ir_name] = self._owned(var, dist)
            self.trainable, self.frozen, self.state = new
            for part, group in zip(_PARTS, split):
                for var in group:
                    self._where[var.ir_name] = part
                    self._bound[var.ir_name] = var
                    self.lost.pop(var.ir_name, None)
                    var._store = self
            self.version += 1

    def _owned(self, var, dist):
        sharding = dist.variable_sharding(var) if dist is not None else None
        if var._store is self:
            cur = self.read(var)
            if sharding is None or cur.sharding == sharding:
                return cur
            return jax.device_put(cur, sharding)
        other = var._store
        if other is None:
            return jax.device_put(var._array, sharding, may_alias=False)
        value = other.read(var)          # a layer shared with another model: its current value, from there
        other.give_up(var)
        return jax.device_put(value, sharding, may_alias=False)

    def give_up(self, var):
        """Another model's store takes ``var`` (a layer both models share): stop owning it, and let this
        model's caches see the change. A later step of this model takes it back (``reclaim``)."""
        with self.lock:
            name = var.ir_name
            if self._bound.get(name) is var:
                self.lost[name] = var
                del self._bound[name]
            self.version += 1
        from ..ops.tracing import Variable
        Variable.version += 1

    def reclaim(self):
        """After a step of this model, the Variables another store took view this one again (the
        last model to write a shared weight holds it, as one Keras Variable would)."""
        from ..ops.tracing import Variable
        for name, var in list(self.lost.items()):
            if name not in getattr(self, self._where.get(name, "state"), {}):
                continue                 # no longer in this model's graph: it stays where it is
            other = var._store
            if other is not None and other is not self:
                other.give_up(var)
            var._store = self
            self._bound[name] = var
        self.lost.clear()
        Variable.version += 1

    def _unbind(self, var):
        value = self.read(var)
        var._store = None
        var._array = value
        self._bound.pop(var.ir_name, None)
        self._where.pop(var.ir_name, None)

    def release(self):
        """Every Variable keeps its current value and stops viewing the store."""
        with self.lock:
            for var in list(self._bound.values()):
                self._unbind(var)
            self.trainable, self.frozen, self.state = {}, {}, {}
            self.version += 1

    # -- steps -------------------------------------------------------------------------------
    def commit(self, trainable, state, optimizer):
        """The outputs of a completed step become the model's state."""
        self.trainable = trainable
        self.state = state
        self.optimizer = optimizer
        self.version += 1
        if self.lost:
            self.reclaim()

    def inference(self):
        """``(params, state)`` dicts for the inference graph (all params, trainable or not)."""
        return {**self.trainable, **self.frozen}, self.state


_guard_lock = threading.Lock()
_guard = {"depth": 0, "previous": None, "pending": None, "stores": [], "exiting": False}


def _handler(signum, frame):
    if _guard["exiting"] or any(s.busy for s in _guard["stores"]):
        _guard["pending"] = (signum, frame)            # raised right after the step's commit / the guard's exit
        return
    _deliver(signum, frame)


def _deliver(signum, frame):
    previous = _guard["previous"]
    if callable(previous) and previous is not _handler:
        previous(signum, frame)
    else:
        raise KeyboardInterrupt


def raise_pending():
    """Deliver a SIGINT deferred while a step ran (call right after ``commit``)."""
    pending = _guard["pending"]
    if pending is not None:
        _guard["pending"] = None
        _deliver(*pending)


@contextlib.contextmanager
def interrupt_guard(store: ModelState):
    """Defer SIGINT while ``store.busy`` (main thread only; nests)."""
    main = threading.current_thread() is threading.main_thread()
    if main:
        with _guard_lock:
            if _guard["depth"] == 0:
                _guard["previous"] = signal.getsignal(signal.SIGINT)
                signal.signal(signal.SIGINT, _handler)
            _guard["depth"] += 1
            _guard["stores"].append(store)
    try:
        yield
    finally:
        if main:
            # a SIGINT during this bookkeeping is deferred too: raised inside it, it would leave the guard
            # installed with depth > 0, and every later deferred SIGINT would wait forever
            _guard["exiting"] = True
        store.busy = False
        if main:
            try:
                with _guard_lock:
                    _guard["stores"].remove(store)
                    _guard["depth"] -= 1
                    if _guard["depth"] == 0:
                        previous = _guard["previous"]
                        signal.signal(signal.SIGINT,
                                      previous if previous is not None else signal.default_int_handler)
                        _guard["previous"] = None
            finally:
                _guard["exiting"] = False
            if _guard["depth"] == 0:
                raise_pending()


class OptimizerView:
    """Lets a built optimizer's Keras-ordered Variables (``iteration``, ``learning_rate``, slots) view
    the model's optimizer state, so ``optimizer.iterations`` and ``optimizer.variables`` follow fit."""

    def __init__(self, store: ModelState, optimizer, names: list):
        self.store, self.optimizer, self.names = store, optimizer, names
        self.index = {id(v): entry for v, entry in zip(optimizer._variables, optimizer._layout)}

    def read(self, var):
        kind, key, i = self.index[id(var)]
        opt = self.store.optimizer
        if kind == "learning_rate":
            return np.float32(self.optimizer.learning_rate)
        if kind == "iterations":
            return opt["iterations"]
        return opt[key][self.names[i]] if kind == "slot" else opt[key]

    def write(self, var, value):
        kind, key, i = self.index[id(var)]
        if kind == "learning_rate":        # (the setter's own sync lands here too: no setter call back)
            if not isinstance(self.optimizer.learning_rate, (int, float)):
                raise TypeError("This optimizer's learning rate is a schedule; it is not settable")
            self.optimizer._learning_rate = float(np.asarray(value))
            return
        with self.store.lock:
            opt = dict(self.store.optimizer)
            old = opt["iterations"] if kind == "iterations" else (opt[key][self.names[i]] if kind == "slot"
                                                                  else opt[key])
            new = jax.device_put(np.asarray(value, dtype=np.asarray(old).dtype), getattr(old, "sharding", None))
            if kind == "slot":
                opt[key] = {**opt[key], self.names[i]: new}
            else:
                opt["iterations" if kind == "iterations" else key] = new
            self.store.optimizer = opt
            self.store.version += 1


def bind_optimizer(store: ModelState, optimizer, trainable_variables) -> None:
    """Build a Keras-API optimizer on the model's trainable variables and let its Variables view ``store``."""
    if not hasattr(optimizer, "build") or store.optimizer is None:
        return
    optimizer.build(trainable_variables)
    if [id(v) for v in getattr(optimizer, "_trainable_variables", [])] != [id(v) for v in trainable_variables]:
        return                       # built on other variables: leave its Variables alone
    names = [v.ir_name for v in trainable_variables]
    if hasattr(optimizer, "bind_state_views"):        # MultiOptimizer: a view per inner optimizer's state
        optimizer.bind_state_views(store, names, OptimizerView)
        return
    view = OptimizerView(store, optimizer, names)
    for var in optimizer._variables:
        var._store = view


class StateOwner:
    """Mixin of ``Trainer``: the model's ``ModelState`` bound to its Variables, optimizer state included."""

    @property
    def _opt_state(self):
        return self._model_state.optimizer

    @_opt_state.setter
    def _opt_state(self, value):
        self._model_state.optimizer = value

    @property
    def _opt_keys(self):
        return self._model_state.opt_keys

    @_opt_keys.setter
    def _opt_keys(self, value):
        self._model_state.opt_keys = value

    @property
    def loss_scale(self):
        """The current dynamic loss scale (``mixed_float16``), or None."""
        ls = self._model_state.loss_scale
        return None if ls is None else float(ls["scale"])

    def _weights(self, traced, dist=None):
        """``(trainable, frozen, state)`` dicts of device arrays for a traced graph, owned by the store."""
        store = self._model_state
        store.bind(self._split(traced), dist)
        return store.trainable, store.frozen, store.state

    def _device_arrays(self, variables, dist=None) -> dict:
        """Device arrays by IR name of ``variables`` (all of one traced graph)."""
        p, fz, st = self._weights(self.trace(False), dist)
        arrays = {**p, **fz, **st}
        return {v.ir_name: arrays[v.ir_name] for v in variables}

    def _bind_training_state(self, traced, dist):
        """Weights, optimizer state and loss scale of the training graph, placed for ``dist``."""
        from .step_builder import opt_shardings
        p, _, _ = self._weights(traced, dist)
        store = self._model_state
        keys = tuple(sorted(p))
        if store.optimizer is None or store.opt_keys != keys:
            self.optimizer.build(self._split(traced)[0])        # (a MultiOptimizer routes variables here)
            init = self._cache.opt_init.get(keys)
            if init is None:                                   # one program, not one per slot shape
                init = self._cache.opt_init[keys] = jax.jit(self.optimizer.init)
            store.optimizer, store.opt_keys = init(p), keys
            bind_optimizer(store, self.optimizer, [v for v in self._split(traced)[0]])
        if dist is not None:
            p_sh = {k: a.sharding for k, a in p.items()}
            store.optimizer = jax.device_put(store.optimizer, opt_shardings(store.optimizer, p_sh,
                                                                           dist.replicated()))
        if self._loss_scaling() and store.loss_scale is None:
            from .step_builder import LOSS_SCALE_INITIAL
            store.loss_scale = {"scale": jax.numpy.asarray(LOSS_SCALE_INITIAL, "float32"),
                                "good_steps": jax.numpy.zeros((), "int32")}
        if dist is not None and store.loss_scale is not None:
            store.loss_scale = jax.device_put(store.loss_scale, dist.replicated())

    def _inference_weights(self, dist=None):
        """``(traced, p, st)`` for evaluate/predict, rebuilt only when the state or a Variable changed.

        Call it holding ``self._model_state.lock`` when the arrays are dispatched right after
        (another thread's train step may donate them).
        """
        from ..ops.tracing import Variable
        store = self._model_state
        key = (store.version, Variable.version)
        cached = self._cache.inference
        if cached is not None and cached[0] == key and cached[1] is dist:
            return cached[2:]
        traced = self._lowered(False).traced
        self._weights(traced, dist)
        p, st = store.inference()
        self._cache.inference = ((store.version, Variable.version), dist, traced, p, st)
        return traced, p, st
