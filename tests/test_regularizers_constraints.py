"""keras.regularizers and keras.constraints against Keras 3: every name, penalty/projection values,
serialize / deserialize in Keras's form."""
import numpy as np
import pytest

from kxla import constraints, regularizers

W = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)


@pytest.mark.parametrize("ours,theirs", [(regularizers, "regularizers"), (constraints, "constraints")])
def test_every_keras_name_is_present(keras, ours, theirs):
    public = {n for n in dir(getattr(keras, theirs)) if not n.startswith("_")}
    assert public <= set(dir(ours))


@pytest.mark.parametrize("name,kwargs", [("L1", {"l1": 0.3}), ("L2", {}), ("L1L2", {"l1": 0.1, "l2": 0.2}),
                                         ("OrthogonalRegularizer", {}),
                                         ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"})])
def test_regularizer_values_and_config(keras, name, kwargs):
    ours, theirs = getattr(regularizers, name)(**kwargs), getattr(keras.regularizers, name)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(W)), np.asarray(theirs(keras.ops.convert_to_tensor(W))), rtol=1e-6)
    mine, ref = regularizers.serialize(ours), keras.regularizers.serialize(theirs)
    assert mine.keys() == ref.keys() and mine["class_name"] == ref["class_name"]
    for key, value in ref["config"].items():
        assert mine["config"][key] == pytest.approx(value), key
    again = regularizers.deserialize(mine)
    assert type(again) is type(ours) and again.get_config() == ours.get_config()


@pytest.mark.parametrize("name,kwargs", [("MaxNorm", {"max_value": 1.5}), ("NonNeg", {}), ("UnitNorm", {"axis": 1}),
                                         ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.2, "rate": 0.7})])
def test_constraint_values_and_config(keras, name, kwargs):
    ours, theirs = getattr(constraints, name)(**kwargs), getattr(keras.constraints, name)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(W)), np.asarray(theirs(W)), rtol=1e-6, atol=1e-7)
    assert constraints.serialize(ours) == keras.constraints.serialize(theirs)
    again = constraints.deserialize(constraints.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()


def test_errors_and_aliases():
    assert regularizers.l1_l2 is regularizers.L1L2 and regularizers.orthogonal_regularizer is \
        regularizers.OrthogonalRegularizer
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.L1(-1.0)
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diag")
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2), np.float32))
    with pytest.raises(ValueError, match="max_norm"):
        constraints.get("max_nrom")
