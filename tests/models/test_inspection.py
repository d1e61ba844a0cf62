"""model.lowered_text and XLA's memory/cost analysis: what XLA receives and produces, with layer names."""
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.debug import xla


@pytest.fixture(scope="module")
def model():
    m = kxla.Sequential([layers.Input((12,)), layers.Dense(16, activation="relu", name="dense_1"),
                         layers.Dense(3, activation="softmax", name="head")], name="inspected")
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_stablehlo_names_layers_in_locations(model):
    text = model.lowered_text("stablehlo")
    assert "module @jit_" in text and "stablehlo.dot_general" in text
    assert 'loc("' in text and "dense_1" in text and "head" in text


def test_hlo_and_optimized_hlo_carry_op_name_metadata(model):
    hlo = model.lowered_text("hlo", batch_size=4)
    assert hlo.startswith("HloModule") and "f32[4,12]" in hlo
    assert 'op_name="jit(' in hlo and "/dense_1/" in hlo
    optimized = model.lowered_text("optimized_hlo", batch_size=4)
    assert "ENTRY" in optimized and "dense_1" in optimized


def test_train_mode_lowers_the_training_step(model):
    text = model.lowered_text("stablehlo", mode="train", batch_size=8)
    assert "dense_1" in text and "tensor<8x12xf32>" in text
    assert "tensor<8xi32>" in text                       # sparse labels guessed from the loss
    x, y = np.zeros((5, 12), "float32"), np.zeros((5,), "int32")
    assert "tensor<5x12xf32>" in model.lowered_text("stablehlo", mode="evaluate", x=x, y=y)


def test_memory_and_cost_analysis(model):
    mem = xla.memory_analysis(model, "predict", batch_size=32)
    params_bytes = (12 * 16 + 16 + 16 * 3 + 3) * 4
    assert mem["argument_bytes"] == params_bytes + 32 * 12 * 4
    assert mem["output_bytes"] == 32 * 3 * 4
    assert mem["temp_bytes"] >= 0 and mem["total_bytes"] >= mem["argument_bytes"]
    train = xla.memory_analysis(model, "train", batch_size=32)
    assert train["alias_bytes"] > 0                       # params and optimizer state are donated
    cost = xla.cost_analysis(model, "predict", batch_size=2)
    from kxla.debug.flops import model_flops
    assert cost["flops"] == pytest.approx(model_flops(model, batch_size=2).total, rel=0.05)   # 1058 vs 1060


def test_bad_arguments(model):
    with pytest.raises(ValueError, match="stage must be one of"):
        model.lowered_text("llvm")
    with pytest.raises(ValueError, match="mode must be one of"):
        model.lowered_text(mode="fit")
    uncompiled = kxla.Sequential([layers.Input((2,)), layers.Dense(1)])
    assert "stablehlo" in uncompiled.lowered_text()
    with pytest.raises(ValueError, match="compiled model"):
        uncompiled.lowered_text(mode="train")
