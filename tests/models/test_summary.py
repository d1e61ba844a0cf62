"""summary() prints Keras 3's table character for character: unbuilt models ('?', '0 (unbuilt)'),
line_length, positions, show_trainable, expand_nested, layer_range, the "Connected to" column and
the optimizer's parameters."""
import numpy as np
import pytest

import kxla


def _text(model, **kw):
    lines = []
    model.summary(print_fn=lambda s, **_: lines.append(s), **kw)
    return "\n".join(lines).rstrip("\n")


def _mlp(mod, built=True):
    layers = [mod.layers.Dense(32, activation="relu", name="dense"), mod.layers.Dense(10, name="dense_1")]
    return mod.Sequential(([mod.Input((784,))] if built else []) + layers, name="seq")


def _nested(mod):
    inner = mod.Sequential([mod.Input((4,)), mod.layers.Dense(2, name="in_d")], name="inner")
    outer = mod.Sequential([mod.Input((4,)), inner, mod.layers.Dense(1, name="out_d")], name="outer")
    outer.layers[1].trainable = False
    return outer


def _branching(mod):
    a, b = mod.Input((4,), name="a"), mod.Input((4,), name="b")
    shared = mod.layers.Dense(3, name="shared")
    z = mod.layers.Add(name="add")([shared(a), shared(b)])
    out = mod.layers.Dense(1, name="a_very_long_layer_name_for_wrapping_test")(z)
    return mod.Model([a, b], [out, z], name="two")


CASES = {
    "default": (_mlp, {}),
    "unbuilt": (lambda m: _mlp(m, built=False), {}),
    "line_length_trainable": (_mlp, {"show_trainable": True, "line_length": 70}),
    "positions_range": (_nested, {"layer_range": ["out_d", "out_d"], "positions": [0.5, 0.7, 1.0],
                                  "line_length": 60}),
    "nested": (_nested, {"expand_nested": True, "show_trainable": True}),
    "connected_to": (_branching, {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_summary_text_equals_keras(keras, case):
    make, kw = CASES[case]
    got, want = _text(make(kxla), **kw), _text(make(keras), **kw)
    assert got == want, f"\n{got}\n---- keras ----\n{want}"


def test_optimizer_params_line_equals_keras(keras):
    texts = []
    for mod in (kxla, keras):
        model = _mlp(mod)
        model.compile(optimizer=mod.optimizers.Adam(), loss="mse")
        model.optimizer.build(model.trainable_variables)
        texts.append(_text(model))
    assert texts[0] == texts[1]
    assert " Optimizer params: 50,902" in texts[0]
