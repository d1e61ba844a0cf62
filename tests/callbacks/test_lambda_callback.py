"""LambdaCallback: every hook fires in Keras's order with the right arguments; model.stop_training and
model.history work from any hook."""
import pytest

from callback_check import tiny_data, tiny_model
from kxla.callbacks import History, LambdaCallback


def _recorder(events):
    return LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda e, logs: events.append(f"epoch_begin {e}"),
        on_train_batch_begin=lambda b, logs: events.append(f"batch_begin {b}"),
        on_train_batch_end=lambda b, logs: events.append(f"batch_end {b} {sorted(logs)}"),
        on_epoch_end=lambda e, logs: events.append(f"epoch_end {e} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"),
        on_test_begin=lambda logs: events.append("test_begin"),
        on_test_end=lambda logs: events.append(f"test_end {sorted(logs)}"))


def test_hook_order_and_arguments():
    x, y = tiny_data(n=16)
    events = []
    tiny_model(metrics=["mae"]).fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[_recorder(events)])
    batch = "['loss', 'mae']"
    assert events == ["train_begin",
                      "epoch_begin 0", "batch_begin 0", f"batch_end 0 {batch}", "batch_begin 1",
                      f"batch_end 1 {batch}", f"epoch_end 0 {batch}",
                      "epoch_begin 1", "batch_begin 0", f"batch_end 0 {batch}", "batch_begin 1",
                      f"batch_end 1 {batch}", f"epoch_end 1 {batch}",
                      "train_end"]


def test_extra_hooks_through_kwargs_and_aliases():
    x, y = tiny_data(n=16)
    events = []
    model = tiny_model()
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[_recorder(events)])
    assert events == ["test_begin", "test_end ['loss']"]
    ends = []
    cb = LambdaCallback(on_batch_end=lambda b, logs: ends.append(b), note="kept")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[cb])
    assert ends == [0, 1] and cb.note == "kept"


# hook that sets model.stop_training -> (epochs whose end was reached, batches run)
STOPS = {
    "on_train_begin": ([0], 1),
    "on_epoch_begin": ([0, 1], 5),                    # set in epoch 1: its first batch still runs
    "on_train_batch_begin": ([0], 2),                 # set before batch 1: batch 1 still runs
    "on_train_batch_end": ([0], 2),                   # set after batch 1
    "on_epoch_end": ([0], 4),
}


@pytest.mark.parametrize("hook", sorted(STOPS))
def test_stop_training_from_any_hook(hook):
    x, y = tiny_data()
    model = tiny_model()
    batches = []

    def stop(*args):
        if hook == "on_train_begin" or (hook == "on_epoch_begin" and args[0] == 1) or \
                (hook.startswith("on_train_batch") and args[0] == 1) or hook == "on_epoch_end":
            model.stop_training = True

    counter = LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0,
                        callbacks=[LambdaCallback(**{hook: stop}), counter])
    epochs, n_batches = STOPS[hook]
    assert history.epoch == epochs and len(batches) == n_batches
    assert isinstance(model.history, History) and model.history is history
    assert len(history.history["loss"]) == len(epochs)
