"""kxla.utils.Progbar prints the same text as keras.utils.Progbar (a fake clock makes times equal)."""
import logging

import pytest

import kxla
from kxla.callbacks import progbar as kxla_progbar   # kxla.utils.Progbar is implemented there


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        self.now += 0.37
        return self.now


def _run(module, cls, monkeypatch, capsys, calls, **kwargs):
    monkeypatch.setattr(module, "time", _Clock())
    bar = cls(**kwargs)
    for method, args in calls:
        getattr(bar, method)(*args)
    return capsys.readouterr().out


CALLS = [("update", (1, [("loss", 0.5), ("acc", 0.25)])), ("add", (2, [("loss", 0.25), ("acc", 0.5)])),
         ("update", (7, [("loss", 1e-5), ("acc", 0.75)])), ("update", (10, [("loss", 0.125), ("acc", 1.0)]))]


@pytest.mark.parametrize("kwargs", [dict(target=10), dict(target=10, verbose=2), dict(target=None),
                                    dict(target=10, stateful_metrics=["acc"], unit_name="sample"),
                                    dict(target=10, stateless_metrics=["loss"], width=7),
                                    dict(target=10, verbose=0), dict(target=120000, interval=0)])
def test_progbar_text_matches_keras(keras, monkeypatch, capsys, kwargs):
    from keras.src.utils import progbar as keras_progbar
    ours = _run(kxla_progbar, kxla.utils.Progbar, monkeypatch, capsys, CALLS, **kwargs)
    theirs = _run(keras_progbar, keras.utils.Progbar, monkeypatch, capsys, CALLS, **kwargs)
    assert ours == theirs
    assert kwargs.get("verbose") == 0 or ours


def test_progbar_refuses_both_metric_lists():
    with pytest.raises(ValueError, match="Only one of `stateful_metrics` or `stateless_metrics`"):
        kxla.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_interactive_logging_off_sends_progress_to_logging(monkeypatch, capsys, caplog):
    assert kxla.utils.is_interactive_logging_enabled() is kxla.config.is_interactive_logging_enabled() is True
    kxla.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="kxla"):
            _run(kxla_progbar, kxla.utils.Progbar, monkeypatch, capsys, CALLS, target=10, verbose=2)
            model = kxla.Sequential([kxla.layers.Input((2,)), kxla.layers.Dense(1)])
            model.compile("sgd", "mse")
            import numpy as np
            model.fit(np.zeros((8, 2), "float32"), np.zeros((8, 1), "float32"), epochs=1, verbose=2)
        assert kxla.utils.is_interactive_logging_enabled() is False
    finally:
        kxla.utils.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("10/10 - ") and "loss: 0.1250" in m for m in messages)
    # as Keras: no "Epoch 1/1" line for a single epoch
    assert "Epoch 1/1" not in messages and any(m.startswith("1/1 - ") for m in messages)
