"""``Distiller``'s config, files and errors: ``get_config`` / ``from_config`` (kxla's and Keras's),
``save`` / ``load_model`` in kxla's format and as a ``.keras`` archive, and Keras 3's checks with
their messages."""
import json
import warnings

import numpy as np
import pytest

import kxla
from kxla.distillation import Distiller, FeatureDistillation, LogitsDistillation

X = np.random.default_rng(1).random((4, 5)).astype("float32")


def _pair(lib=kxla, teacher_out=3, student_in=5, dtype="float32"):
    t = lib.Sequential([lib.Input((5,)), lib.layers.Dense(8, activation="relu", name="t_dense"),
                        lib.layers.Dense(teacher_out, name="t_out")], name="teacher")
    s = lib.Sequential([lib.Input((student_in,), dtype=dtype), lib.layers.Dense(4, activation="relu", name="s_dense"),
                        lib.layers.Dense(3, name="s_out")], name="student")
    return t, s


def _distiller(**kwargs):
    t, s = _pair()
    return Distiller(t, s, [LogitsDistillation(temperature=3.0),
                            FeatureDistillation(loss="mae", teacher_layer_name="t_out", student_layer_name="s_out")],
                     distillation_loss_weights=[0.6, 0.4], student_loss_weight=0.7, **kwargs)


def test_config_round_trip_and_keras_reads_it(keras):
    distiller = _distiller()
    config = json.loads(json.dumps(distiller.get_config()))
    assert config["student_loss_weight"] == 0.7 and config["distillation_loss_weights"] == [0.6, 0.4]
    assert [c["class_name"] for c in config["distillation_losses"]] == ["LogitsDistillation", "FeatureDistillation"]
    assert config["distillation_losses"][0]["module"] == "keras.distillation"
    again = Distiller.from_config(config)
    assert again.distillation_losses[0].temperature == 3.0
    assert again.distillation_losses[1].teacher_layer_name == "t_out"
    again.set_weights(distiller.get_weights())
    np.testing.assert_allclose(again(X), distiller(X), rtol=1e-6)
    theirs = keras.distillation.Distiller.from_config(config)        # Keras rebuilds kxla's config
    theirs.set_weights(distiller.get_weights())
    np.testing.assert_allclose(np.asarray(theirs(X)), distiller(X), rtol=1e-5, atol=1e-6)
    assert theirs.student_loss_weight == 0.7 and theirs.distillation_losses[1].student_layer_name == "s_out"


@pytest.mark.parametrize("ext", ["kxla", "keras"])
def test_save_and_load_model(tmp_path, ext):
    """Weights and arguments come back; as in Keras, the custom ``compile`` is not replayed (a warning)."""
    distiller = _distiller()
    distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / f"distiller.{ext}"
    distiller.save(path)
    with pytest.warns(UserWarning, match="compile\\(\\)` was not called as part of model loading"):
        loaded = kxla.models.load_model(path)
    assert isinstance(loaded, Distiller) and not loaded.compiled
    assert loaded.student_loss_weight == 0.7 and loaded.distillation_loss_weights == [0.6, 0.4]
    assert not loaded.teacher.trainable
    np.testing.assert_allclose(loaded(X), distiller(X), rtol=1e-6)
    for a, b in zip(loaded.get_weights(), distiller.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_fresh_process_loads_it_without_importing_distillation(tmp_path):
    import os
    import subprocess
    import sys
    distiller = _distiller()
    path = tmp_path / "distiller.kxla"
    distiller.save(path)
    code = ("import sys, warnings, numpy as np, kxla\n"
            "warnings.simplefilter('ignore')\n"
            "before = 'kxla.distillation' in sys.modules\n"
            f"m = kxla.models.load_model({str(path)!r})\n"
            "print(before, type(m).__name__, m.student_loss_weight)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.stdout.split() == ["False", "Distiller", "0.7"], out.stderr[-2000:]


def test_keras_loads_the_keras_archive(keras, tmp_path):
    distiller = _distiller()
    path = tmp_path / "distiller.keras"
    distiller.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = keras.models.load_model(path)
    assert type(theirs).__name__ == "Distiller" and theirs.student_loss_weight == 0.7
    np.testing.assert_allclose(np.asarray(theirs(X)), distiller(X), rtol=1e-5, atol=1e-6)


def _errors(lib):
    """(arguments, expected message) for every check, built with ``lib``'s classes."""
    D = lib.distillation
    t, s = _pair(lib)
    logits = D.LogitsDistillation()
    return [
        (dict(teacher="not_a_model", student=s, distillation_losses=logits), "Teacher must be a keras.Model"),
        (dict(teacher=t, student="not_a_model", distillation_losses=logits), "Student must be a keras.Model"),
        (dict(teacher=t, student=s, distillation_losses=None), "'distillation_losses' cannot be `None`"),
        (dict(teacher=t, student=s, distillation_losses=[logits, logits], distillation_loss_weights=[1.0]),
         r"Number of distillation_loss_weights \(1\) must match number of distillation_losses \(2\)"),
        (dict(teacher=t, student=s, distillation_losses=logits, student_loss_weight=1.5),
         "student_loss_weight must be between 0.0 and 1.0, got 1.5"),
        (dict(teacher=t, student=s, distillation_losses=logits, student_loss_weight="0.5"),
         "student_loss_weight must be a number"),
        (dict(teacher=_pair(lib, teacher_out=7)[0], student=s, distillation_losses=logits),
         "Teacher and student output shapes are incompatible"),
        (dict(teacher=t, student=_pair(lib, student_in=6)[1], distillation_losses=logits),
         "Teacher and student input shapes are incompatible"),
        (dict(teacher=t, student=_pair(lib, dtype="float16")[1], distillation_losses=logits),
         "Teacher and student input dtypes must match"),
        (dict(teacher=t, student=s, distillation_losses=D.FeatureDistillation(teacher_layer_name="nope")),
         "In teacher model: No such layer: nope"),
        (dict(teacher=t, student=s, distillation_losses=D.FeatureDistillation(student_layer_name="nope")),
         "In student model: No such layer: nope"),
    ]


@pytest.mark.parametrize("index", range(11))
def test_errors_match_keras(keras, index):
    args, message = _errors(kxla)[index]
    with pytest.raises(ValueError, match=message):
        Distiller(**args)
    args, message = _errors(keras)[index]
    with pytest.raises(ValueError, match=message):
        keras.distillation.Distiller(**args)


def test_compile_errors():
    distiller = _distiller()
    with pytest.raises(ValueError, match="You must call `compile\\(\\)`"):
        distiller.compute_loss(X, np.zeros(4, "int32"))
    with pytest.raises(ValueError, match="'loss' cannot be `None`"):
        distiller.compile(optimizer="adam")
    with pytest.raises(ValueError, match="metrics must be a list or tuple"):
        distiller.compile(loss="mse", metrics="accuracy")


def test_kxla_only_checks():
    """Weights kept by path must not clash; a feature extractor needs a model with symbolic inputs."""
    t, _ = _pair()
    same = kxla.Sequential([kxla.Input((5,)), kxla.layers.Dense(8, name="t_dense"), kxla.layers.Dense(3, name="x")])
    with pytest.raises(ValueError, match=r"same path \['t_dense/bias', 't_dense/kernel'\]"):
        Distiller(t, same, LogitsDistillation())

    class Net(kxla.Model):
        def __init__(self):
            super().__init__()
            self.dense = kxla.layers.Dense(3, name="net_dense")

        def call(self, x):
            return self.dense(x)
    with pytest.raises(ValueError, match="Cannot create feature extractor for net. The model has no symbolic"):
        Distiller(t, Net(), FeatureDistillation(student_layer_name="net_dense"))
