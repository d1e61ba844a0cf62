"""The Keras guide "Training & evaluation with the built-in methods" (keras-io
guides/training_with_built_in_methods.py), section by section.

Our own code following the guide's steps with the same API calls, on small synthetic data in place
of MNIST. Each section is written once as a function of the library (``keras`` or ``kxla``, the only
difference being the import) and run on both; the numbers (histories, evaluate results, predictions)
are compared with Keras 3 from the same initial weights. Where the guide lets ``fit`` shuffle, the
comparison passes ``shuffle=False`` (the two libraries draw different permutations).
"""
import numpy as np
import pytest

import kxla

RNG = np.random.default_rng(0)
X = RNG.random((192, 784)).astype("float32")
Y = X[:, :10].argmax(axis=1).astype("float32")
X_VAL, Y_VAL = X[-64:], Y[-64:]
X_TRAIN, Y_TRAIN = X[:-64], Y[:-64]


def _both(keras, section, **kwargs):
    """Run ``section(lib, init)`` with kxla and Keras from the same initial weights."""
    init = []
    got = section(kxla, init, **kwargs)
    want = section(keras, init, **kwargs)
    return got, want


def _same_weights(model, init):
    """The first library records its initial weights; the second starts from them."""
    if init:
        model.set_weights(init[0])
    else:
        init.append([np.asarray(w) for w in model.get_weights()])


def _close(got, want, rtol=2e-4, atol=2e-5):
    if isinstance(want, dict):
        assert set(got) == set(want), (sorted(got), sorted(want))
        for k in want:
            _close(got[k], want[k], rtol, atol)
        return
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64), rtol=rtol, atol=atol)


def get_uncompiled_model(lib):
    layers = lib.layers
    inputs = lib.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return lib.Model(inputs=inputs, outputs=outputs)


def get_compiled_model(lib, init):
    model = get_uncompiled_model(lib)
    _same_weights(model, init)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


# -- API overview: a first end-to-end example -------------------------------------------------------
def _end_to_end(lib, init):
    model = get_uncompiled_model(lib)
    _same_weights(model, init)
    model.compile(optimizer=lib.optimizers.RMSprop(), loss=lib.losses.SparseCategoricalCrossentropy(),
                  metrics=[lib.metrics.SparseCategoricalAccuracy()])
    history = model.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=2, validation_data=(X_VAL, Y_VAL),
                        shuffle=False, verbose=0)
    results = model.evaluate(X_VAL, Y_VAL, batch_size=128, verbose=0)
    predictions = model.predict(X_VAL[:3], verbose=0)
    assert predictions.shape == (3, 10)
    return {**history.history, "test": results, "predictions": predictions}


def test_end_to_end_fit_evaluate_predict(keras):
    got, want = _both(keras, _end_to_end)
    assert sorted(got) == sorted(want) and set(want) >= {"loss", "sparse_categorical_accuracy", "val_loss",
                                                        "val_sparse_categorical_accuracy"}
    _close(got, want)


# -- custom losses and metrics ----------------------------------------------------------------------
def _custom_losses(lib, init):
    ops = lib.ops

    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    class CustomMSE(lib.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    y_train_one_hot = ops.one_hot(Y_TRAIN, num_classes=10)
    out = {}
    for name, loss in (("function", custom_mean_squared_error), ("subclass", CustomMSE())):
        model = get_uncompiled_model(lib)
        _same_weights(model, init)
        model.compile(optimizer=lib.optimizers.Adam(), loss=loss)
        out[name] = model.fit(X_TRAIN, y_train_one_hot, batch_size=64, epochs=1, shuffle=False,
                              verbose=0).history["loss"]
    return out


def _custom_metric(lib, init):
    ops = lib.ops

    class CategoricalTruePositives(lib.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            self.true_positives.assign(0.0)

    model = get_uncompiled_model(lib)
    _same_weights(model, init)
    model.compile(optimizer=lib.optimizers.RMSprop(learning_rate=1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy(), metrics=[CategoricalTruePositives()])
    return model.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=3, shuffle=False, verbose=0).history


@pytest.mark.slow
def test_custom_losses(keras):
    got, want = _both(keras, _custom_losses)
    _close(got, want)


@pytest.mark.slow
def test_custom_metric(keras):
    got, want = _both(keras, _custom_metric)
    _close(got, want)


# -- losses that don't fit the standard signature -----------------------------------------------------
def _add_loss_layer(lib, init):
    layers, ops = lib.layers, lib.ops

    class ActivityRegularizationLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs) * 0.1)
            return inputs

    inputs = lib.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = ActivityRegularizationLayer()(x)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)
    model = lib.Model(inputs=inputs, outputs=outputs)
    _same_weights(model, init)
    model.compile(optimizer=lib.optimizers.RMSprop(learning_rate=1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=1, shuffle=False, verbose=0).history


def _logistic_endpoint(lib, init):
    class LogisticEndpoint(lib.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = lib.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            loss = self.loss_fn(targets, logits, sample_weights)
            self.add_loss(loss)
            return lib.ops.softmax(logits)

    inputs = lib.Input(shape=(3,), name="inputs")
    targets = lib.Input(shape=(10,), name="targets")
    logits = lib.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(logits, targets)
    model = lib.Model(inputs=[inputs, targets], outputs=predictions)
    _same_weights(model, init)
    model.compile(optimizer="adam")                  # no loss argument
    rng = np.random.default_rng(3)
    data = {"inputs": rng.random((3, 3)).astype("float32"), "targets": rng.random((3, 10)).astype("float32")}
    return model.fit(data, verbose=0).history


@pytest.mark.slow
def test_add_loss_from_a_layer(keras):
    got, want = _both(keras, _add_loss_layer)
    _close(got, want)


def test_logistic_endpoint_without_compiled_loss(keras):
    got, want = _both(keras, _logistic_endpoint)
    _close(got, want)


# -- validation_split, PyDataset, class and sample weights -------------------------------------------
def _validation_split(lib, init):
    model = get_compiled_model(lib, init)
    return model.fit(X_TRAIN, Y_TRAIN, batch_size=64, validation_split=0.2, epochs=1, shuffle=False,
                     verbose=0).history


def _py_dataset(lib, init):
    class ExamplePyDataset(lib.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            batch_x = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
            batch_y = self.y[idx * self.batch_size:(idx + 1) * self.batch_size]
            return batch_x, batch_y

    train = ExamplePyDataset(X_TRAIN, Y_TRAIN, batch_size=32)
    val = ExamplePyDataset(X_VAL, Y_VAL, batch_size=32)
    model = get_compiled_model(lib, init)
    history = model.fit(train, batch_size=64, validation_data=val, epochs=1, shuffle=False, verbose=0).history
    return {**history, "eval": model.evaluate(val, verbose=0)}


def _weights(lib, init):
    class_weight = {c: 1.0 for c in range(10)}
    class_weight[5] = 2.0
    model = get_compiled_model(lib, init)
    a = model.fit(X_TRAIN, Y_TRAIN, class_weight=class_weight, batch_size=64, epochs=1, shuffle=False,
                  verbose=0).history
    sample_weight = np.ones(shape=(len(Y_TRAIN),))
    sample_weight[Y_TRAIN == 5] = 2.0
    model = get_compiled_model(lib, init)
    b = model.fit(X_TRAIN, Y_TRAIN, sample_weight=sample_weight, batch_size=64, epochs=1, shuffle=False,
                  verbose=0).history
    return {"class_weight": a, "sample_weight": b}


@pytest.mark.slow
def test_validation_split(keras):
    got, want = _both(keras, _validation_split)
    _close(got, want)


@pytest.mark.slow
def test_py_dataset(keras):
    got, want = _both(keras, _py_dataset)
    _close(got, want)


@pytest.mark.slow
def test_class_and_sample_weights(keras):
    got, want = _both(keras, _weights)
    _close(got, want)


# -- multi-input, multi-output models -----------------------------------------------------------------
def _multi_io_model(lib, init):
    layers = lib.layers
    image_input = lib.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = lib.Input(shape=(20, 10), name="ts_input")
    x1 = layers.GlobalMaxPooling2D()(layers.Conv2D(3, 3)(image_input))
    x2 = layers.GlobalMaxPooling1D()(layers.Conv1D(3, 3)(timeseries_input))
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    model = lib.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])
    _same_weights(model, init)
    return model


MULTI = np.random.default_rng(4)
IMG = MULTI.random((64, 32, 32, 3)).astype("float32")
TS = MULTI.random((64, 20, 10)).astype("float32")
SCORE = MULTI.random((64, 1)).astype("float32")
CLASS = MULTI.random((64, 5)).astype("float32")


def _multi_io(lib, init, variant):
    L, M = lib.losses, lib.metrics
    model = _multi_io_model(lib, init)
    if variant == "lists":
        model.compile(optimizer=lib.optimizers.RMSprop(1e-3),
                      loss=[L.MeanSquaredError(), L.CategoricalCrossentropy()],
                      metrics=[[M.MeanAbsolutePercentageError(), M.MeanAbsoluteError()], [M.CategoricalAccuracy()]])
        return model.fit([IMG, TS], [SCORE, CLASS], batch_size=32, epochs=1, shuffle=False, verbose=0).history
    if variant == "dicts":
        model.compile(optimizer=lib.optimizers.RMSprop(1e-3),
                      loss={"score_output": L.MeanSquaredError(), "class_output": L.CategoricalCrossentropy()},
                      metrics={"score_output": [M.MeanAbsolutePercentageError(), M.MeanAbsoluteError()],
                               "class_output": [M.CategoricalAccuracy()]},
                      loss_weights={"score_output": 2.0, "class_output": 1.0})
        return model.fit({"img_input": IMG, "ts_input": TS}, {"score_output": SCORE, "class_output": CLASS},
                         batch_size=32, epochs=1, shuffle=False, verbose=0).history
    model.compile(optimizer=lib.optimizers.RMSprop(1e-3), loss=[None, L.CategoricalCrossentropy()])
    return model.fit([IMG, TS], [SCORE, CLASS], batch_size=32, epochs=1, shuffle=False, verbose=0).history


@pytest.mark.parametrize("variant", [pytest.param("lists", marks=pytest.mark.slow),
                                     pytest.param("dicts", marks=pytest.mark.slow),
                                     pytest.param("no_loss_for_one_output", marks=pytest.mark.slow)])
def test_multi_input_multi_output(keras, variant):
    got, want = _both(keras, _multi_io, variant=variant)
    _close(got, want, rtol=1e-3, atol=1e-4)


# -- callbacks, checkpointing, learning-rate schedules ---------------------------------------------------
def _callbacks(lib, init, tmp):
    class LossHistory(lib.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    model = get_compiled_model(lib, init)
    history = LossHistory()
    callbacks = [
        lib.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=0),
        lib.callbacks.ModelCheckpoint(filepath=f"{tmp}/mymodel_{{epoch}}.keras", save_best_only=True,
                                      monitor="val_loss", verbose=0),
        history,
    ]
    fit = model.fit(X_TRAIN, Y_TRAIN, epochs=6, batch_size=64, callbacks=callbacks, validation_split=0.2,
                    shuffle=False, verbose=0)
    saved = sorted(p.name for p in tmp.iterdir())
    restored = lib.models.load_model(f"{tmp}/{saved[-1]}")
    lr_schedule = lib.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96,
                                                           staircase=True)
    model = get_uncompiled_model(lib)
    _same_weights(model, init)
    model.compile(optimizer=lib.optimizers.RMSprop(learning_rate=lr_schedule), loss="sparse_categorical_crossentropy")
    scheduled = model.fit(X_TRAIN, Y_TRAIN, epochs=1, batch_size=64, shuffle=False, verbose=0).history
    return {**fit.history, "epochs": len(fit.epoch), "batches": history.per_batch_losses, "saved": len(saved),
            "restored": restored.predict(X_VAL, verbose=0), "scheduled": scheduled}


@pytest.mark.slow
def test_callbacks_checkpoints_and_schedules(keras, tmp_path):
    (tmp_path / "kx").mkdir()
    (tmp_path / "ke").mkdir()
    init = []
    got = _callbacks(kxla, init, tmp_path / "kx")
    want = _callbacks(keras, init, tmp_path / "ke")
    _close(got, want)
