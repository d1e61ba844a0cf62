"""``kxla.distillation.Distiller`` trains, evaluates and predicts as Keras 3's ``keras.distillation.Distiller``.

Each case builds the same teacher and student in kxla and in Keras (weights copied from kxla), fits
a few epochs with the same optimizer on the same data, and compares the history (every log), the
student's weights, ``evaluate`` (dict and list) and ``predict``; logits and feature distillation,
loss weights, temperatures, ``student_loss_weight`` 0 / 1, Sequential, functional and subclassed
models.
"""
import numpy as np
import pytest

import kxla

RNG = np.random.default_rng(0)
X = RNG.random((20, 6)).astype("float32")
Y = RNG.integers(0, 4, 20).astype("int32")


def _functional(lib, prefix, hidden):
    inputs = lib.Input((6,))
    h = lib.layers.Dense(hidden, activation="relu", name=f"{prefix}_hidden")(inputs)
    h = lib.layers.Dense(8, activation="tanh", name=f"{prefix}_features")(h)
    return lib.Model(inputs, lib.layers.Dense(4, name=f"{prefix}_logits")(h), name=prefix)


def _sequential(lib, prefix, hidden):
    return lib.Sequential([lib.Input((6,)), lib.layers.Dense(hidden, activation="relu", name=f"{prefix}_hidden"),
                           lib.layers.Dense(8, activation="tanh", name=f"{prefix}_features"),
                           lib.layers.Dense(4, name=f"{prefix}_logits")], name=prefix)


def _subclassed(lib, prefix, hidden):
    class Net(lib.Model):
        def __init__(self):
            super().__init__(name=prefix)
            self.hidden = lib.layers.Dense(hidden, activation="relu", name=f"{prefix}_hidden")
            self.out = lib.layers.Dense(4, name=f"{prefix}_logits")

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))
    net = Net()
    net(X[:2])
    return net


def _distiller(lib, build, losses, **kwargs):
    D = lib.distillation
    teacher, student = build(lib, "teacher", 16), build(lib, "student", 10)
    return D.Distiller(teacher, student, losses(D), **kwargs)


def _batchnorm(lib, prefix, hidden):
    inputs = lib.Input((6,))
    h = lib.layers.BatchNormalization(name=f"{prefix}_bn")(lib.layers.Dense(8, name=f"{prefix}_hidden")(inputs))
    h = lib.layers.Activation("relu", name=f"{prefix}_features")(h)
    return lib.Model(inputs, lib.layers.Dense(4, name=f"{prefix}_logits")(h), name=prefix)


CASES = {
    "logits": (_functional, lambda D: D.LogitsDistillation(temperature=2.0), {}, "adam"),
    "logits_and_features": (
        _functional, lambda D: [D.LogitsDistillation(temperature=4.0),
                                D.FeatureDistillation(teacher_layer_name="teacher_features",
                                                      student_layer_name="student_features")],
        dict(distillation_loss_weights=[1.0, 0.5], student_loss_weight=0.3), "sgd"),
    "sequential_features": (
        _sequential, lambda D: [D.FeatureDistillation(loss="cosine_similarity", teacher_layer_name="teacher_features",
                                                      student_layer_name="student_features"),
                                D.LogitsDistillation(temperature=1.5, loss="mse")],
        dict(distillation_loss_weights=[0.25, 2.0], student_loss_weight=0.6), "rmsprop"),
    "final_outputs_only": (_functional, lambda D: D.FeatureDistillation(), dict(student_loss_weight=0.0), "adam"),
    "batchnorm_features": (        # the feature extractor's statistics update follows the forward pass's
        _batchnorm, lambda D: [D.LogitsDistillation(temperature=2.0),
                               D.FeatureDistillation(teacher_layer_name="teacher_features",
                                                     student_layer_name="student_features")],
        dict(student_loss_weight=0.4), "sgd"),
    "student_loss_only": (_sequential, lambda D: D.LogitsDistillation(), dict(student_loss_weight=1.0), "sgd"),
    "two_temperatures_subclassed": (
        _subclassed, lambda D: [D.LogitsDistillation(temperature=3.0), D.LogitsDistillation(temperature=2.0)],
        dict(distillation_loss_weights=[0.7, 0.3]), "adam"),
}


def _train(lib, case, weights=None):
    build, losses, kwargs, optimizer = CASES[case]
    distiller = _distiller(lib, build, losses, **kwargs)
    if weights is not None:
        distiller.set_weights(weights)
    start = distiller.get_weights()
    distiller.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = distiller.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    if case == "batchnorm_features":        # Keras's evaluate keeps the extractor's updates: kxla refuses
        if lib is kxla:
            with pytest.raises(ValueError, match="student updates state in training mode"):
                distiller.evaluate(X, Y, verbose=0)
        return dict(start=start, history=history, weights=distiller.get_weights(), predict=distiller.predict(X))
    return dict(start=start, history=history, weights=distiller.get_weights(),
                evaluate=distiller.evaluate(X, Y, batch_size=8, verbose=0, return_dict=True),
                evaluate_list=distiller.evaluate(X, Y, batch_size=8, verbose=0),
                predict=distiller.predict(X, verbose=0))


FAST = ("logits_and_features",)


@pytest.mark.parametrize("case", [c if c in FAST else pytest.param(c, marks=pytest.mark.slow) for c in CASES])
def test_fit_evaluate_predict_match_keras(keras, case):
    ours = _train(kxla, case)
    theirs = _train(keras, case, ours["start"])
    assert set(ours["history"]) == set(theirs["history"]) == {
        "loss", "accuracy", "student_loss", "distillation_loss", "total_loss"}
    for key, values in theirs["history"].items():
        np.testing.assert_allclose(ours["history"][key], values, rtol=2e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours["weights"], theirs["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours["predict"], theirs["predict"], rtol=1e-5, atol=1e-6)
    if "evaluate" not in ours:
        return
    assert ours["evaluate"].keys() == theirs["evaluate"].keys()
    for key, value in theirs["evaluate"].items():
        np.testing.assert_allclose(ours["evaluate"][key], value, rtol=2e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(ours["evaluate_list"], theirs["evaluate_list"], rtol=2e-5, atol=1e-6)


def test_structure_matches_keras(keras):
    """Layers, weights (order, trainable split), the frozen teacher, metrics, call = the student."""
    build, losses, kwargs, _ = CASES["logits_and_features"]
    ours, theirs = _distiller(kxla, build, losses, **kwargs), _distiller(keras, build, losses, **kwargs)
    assert [l.name for l in ours.layers] == [l.name for l in theirs.layers] == [
        "teacher", "student", "teacher_multi_feature_extractor", "student_multi_feature_extractor"]
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    assert [w.path for w in ours.trainable_weights] == [w.path for w in theirs.trainable_weights]
    assert not ours.teacher.trainable and ours.student.trainable
    assert ours.distillation_losses[1].student_layer_name == "student_features"
    assert [m.name for m in ours.metrics] == ["student_loss", "distillation_loss", "total_loss"]
    np.testing.assert_allclose(ours(X), ours.student(X), rtol=1e-6)
    ours.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert [m.name for m in ours.metrics] == ["loss", "accuracy", "student_loss", "distillation_loss",
                                              "total_loss"]


def test_compute_loss_matches_keras_and_updates_trackers(keras):
    """``compute_loss`` called directly (outside fit), as Keras's: the value and the three trackers."""
    build, losses, kwargs, _ = CASES["logits_and_features"]
    results = []
    for lib, weights in ((kxla, None), (keras, "copy")):
        distiller = _distiller(lib, build, losses, **kwargs)
        if weights is not None:
            distiller.set_weights(results[0][0])
        distiller.compile(loss="sparse_categorical_crossentropy")
        total = distiller.compute_loss(X, Y, distiller(X))
        trackers = [float(np.asarray(m.result())) for m in (distiller.student_loss_tracker,
                                                            distiller.distillation_loss_tracker,
                                                            distiller.total_loss_tracker)]
        results.append((distiller.get_weights(), float(np.asarray(total)), trackers))
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-5)
    assert results[0][2][2] == pytest.approx(results[0][1], rel=1e-6)


def test_fit_with_validation_and_without_labels_for_distillation_only():
    build, losses, kwargs, _ = CASES["final_outputs_only"]
    distiller = _distiller(kxla, build, losses, **kwargs)
    distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = distiller.fit(X, Y, validation_data=(X[:8], Y[:8]), batch_size=8, epochs=2, verbose=0).history
    assert {"val_total_loss", "val_student_loss", "val_distillation_loss", "val_accuracy"} <= set(history)
    before = distiller.student.get_weights()
    distiller.fit(X, batch_size=8, epochs=1, verbose=0)          # no labels: the distillation term alone
    assert any(not np.allclose(a, b) for a, b in zip(before, distiller.student.get_weights()))


def _train_weighted(lib, weights=None):
    build, losses, kwargs, _ = CASES["logits"]
    distiller = _distiller(lib, build, losses, student_loss_weight=0.3)
    if weights is not None:
        distiller.set_weights(weights)
    start = distiller.get_weights()
    distiller.compile(optimizer=lib.optimizers.LossScaleOptimizer(lib.optimizers.SGD(0.1)),
                      loss="sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
    sample_weight = np.linspace(0.1, 1.0, len(X)).astype("float32")
    history = distiller.fit(X, Y, sample_weight=sample_weight, batch_size=8, epochs=2, shuffle=False,
                            verbose=0).history
    return start, history, distiller.student.get_weights()


def test_loss_scale_optimizer_and_sample_weights_match_keras(keras):
    """The step scales the loss as Keras's (``optimizer.scale_loss``); sample weights reach only the
    weighted metrics (Keras's distiller loss ignores them)."""
    start, ours, ours_weights = _train_weighted(kxla)
    _, theirs, theirs_weights = _train_weighted(keras, start)
    assert set(ours) == set(theirs)
    for key, values in theirs.items():
        np.testing.assert_allclose(ours[key], values, rtol=2e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours_weights, theirs_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
