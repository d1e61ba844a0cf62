"""Keras 3's stateless model API, used by custom steps: ``stateless_call``, ``stateless_compute_loss``,
``metrics``, and the overridable ``train_step`` / ``test_step`` / ``predict_step``.

State is passed as lists ordered like ``model.trainable_variables`` and
``model.non_trainable_variables`` (Keras's form); ``stateless_call`` also
takes kxla's dicts by IR name. See ``custom_step`` for how fit, evaluate and
predict call an override.
"""
from __future__ import annotations

import contextlib

import jax


class Stateless:
    """Mixin of ``Trainer``."""

    _step_rng = None

    # -- overridable steps (Keras 3, JAX backend) ----------------------------------------------
    def train_step(self, state, data):
        """One training step; override it as in Keras 3's JAX backend (``custom_step``). Runs inside
        ``jax.jit``: ``state = (trainable_variables, non_trainable_variables, optimizer_variables,
        metrics_variables)`` (lists), ``data = (x, y)`` or ``(x, y, sample_weight)``; return
        ``(logs, new_state)``. Not overridden, fit runs kxla's built-in step."""
        raise TypeError("Trainer.train_step is only called when a subclass overrides it")

    def test_step(self, state, data):
        """One evaluation step; override as in Keras 3: ``state = (trainable_variables,
        non_trainable_variables, metrics_variables)``; return ``(logs, new_state)``."""
        raise TypeError("Trainer.test_step is only called when a subclass overrides it")

    def predict_step(self, state, data):
        """One prediction step; override as in Keras 3: ``state = (trainable_variables,
        non_trainable_variables)``, ``data = (x,)``; return the predictions."""
        raise TypeError("Trainer.predict_step is only called when a subclass overrides it")

    @property
    def metrics(self) -> list:
        """The compiled metrics: the loss tracker (named "loss") first, then each metric (Keras 3)."""
        if not getattr(self, "compiled", False):
            return []
        return list(self._metric_objects().values())

    @contextlib.contextmanager
    def _step_rng_scope(self, rng):
        """The random key ``stateless_call(training=True)`` uses inside a custom step."""
        previous, self._step_rng = self._step_rng, rng
        try:
            yield
        finally:
            self._step_rng = previous

    # -- stateless calls -----------------------------------------------------------------------
    def stateless_call(self, trainable_variables, non_trainable_variables, x, training: bool = False,
                       rng=None, return_losses: bool = False, **kwargs):
        """Run the model as a pure function: ``(y_pred, non_trainable_variables)``.

        Keras's form: lists ordered like ``trainable_variables`` / ``non_trainable_variables``
        (returned as a list in the same order). kxla's form: dicts by IR name (``params`` with
        every parameter, ``state`` with the non-trainable state), returned as a dict.
        """
        if kwargs:
            raise ValueError(f"stateless_call got unsupported arguments {sorted(kwargs)}")
        traced, fn, _ = self._lowered(bool(training))
        lists = isinstance(trainable_variables, (list, tuple))
        if lists:
            params, state = self._from_lists(traced, trainable_variables, non_trainable_variables)
        else:
            params, state = trainable_variables, non_trainable_variables
        if rng is None and training:
            rng = self._step_rng
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        outs, new_state = fn(params, state, xs, rng=rng, training=bool(training))
        self._regularization = outs[traced.n_outputs:]       # picked up by compute_loss in this trace
        y_pred = jax.tree_util.tree_unflatten(traced.out_treedef, outs[:traced.n_outputs])
        losses = (list(self._regularization),) if return_losses else ()   # add_loss terms, penalties
        if lists:
            merged = {**params, **new_state}
            return (y_pred, [merged[v.ir_name] for v in self.non_trainable_variables]) + losses
        return (y_pred, new_state) + losses

    def _from_lists(self, traced, trainable, non_trainable):
        tv, ntv = self.trainable_variables, self.non_trainable_variables
        if len(trainable) != len(tv) or len(non_trainable) != len(ntv):
            raise ValueError(f"stateless_call expects {len(tv)} trainable and {len(ntv)} non-trainable values "
                             f"(model.trainable_variables / non_trainable_variables); got {len(trainable)} "
                             f"and {len(non_trainable)}")
        values = {v.ir_name: a for v, a in zip(tv, trainable)}
        values.update({v.ir_name: a for v, a in zip(ntv, non_trainable)})
        params = {v.ir_name: values[v.ir_name] for v in traced.variables if v.kind == "param"}
        state = {v.ir_name: values[v.ir_name] for v in traced.variables if v.kind == "state"}
        return params, state

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables, metrics_variables, x=None,
                               y=None, y_pred=None, sample_weight=None, training=True):
        """``compute_loss`` as a pure function: ``(loss, (trainable, non_trainable, metrics_variables))``."""
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        return loss, (trainable_variables, non_trainable_variables, metrics_variables)
