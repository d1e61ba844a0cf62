"""check_numerics: the first NaN/Inf in the forward pass (log(0), x/0) and the backward pass (sqrt at 0)."""
import numpy as np

import kxla
from kxla import layers, ops
from kxla.debug import check_numerics


class Log(kxla.Layer):
    def call(self, x):
        return ops.log(x)


class Ratio(kxla.Layer):
    def call(self, x):
        return ops.divide(x, ops.subtract(x, x))


class Root(kxla.Layer):
    def call(self, x):
        return ops.sqrt(x)


def _model(middle, kernel_zero=False):
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(3, activation="relu", name="proj"), middle,
                             layers.Dense(1, name="head")], name="net")
    if kernel_zero:
        model.get_layer("proj").set_weights([np.zeros((4, 3), "float32"), np.zeros(3, "float32")])
    model.compile(kxla.optimizers.SGD(0.1), "mse")
    return model


X = np.random.default_rng(0).uniform(0.5, 1.0, size=(8, 4)).astype("float32")
Y = np.ones((8, 1), "float32")


def test_forward_log_of_zero():
    issue = check_numerics(_model(Log(name="safe_log"), kernel_zero=True), X)
    assert issue.stage == "forward" and issue.op == "log" and issue.layer == "safe_log"
    assert issue.kind == "inf" and issue.count == 24 and issue.node_index == 3
    assert issue.ir_line.startswith("%3 = log(%2)") and issue.ir_line.endswith("// safe_log")
    assert "safe_log" in str(issue) and "%3 = log(%2)" in str(issue)


def test_forward_division_by_zero():
    issue = check_numerics(_model(Ratio(name="ratio")), X, Y)
    assert (issue.stage, issue.op, issue.layer) == ("forward", "divide", "ratio")
    assert issue.kind in ("nan", "nan+inf")


def test_backward_sqrt_at_zero():
    # a linear layer with zero weights feeds sqrt exactly 0: sqrt'(0) = inf reaches proj's weights
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(3, name="proj"), Root(name="root"),
                             layers.Dense(1, name="head")], name="net")
    model.get_layer("proj").set_weights([np.zeros((4, 3), "float32"), np.zeros(3, "float32")])
    model.compile(kxla.optimizers.SGD(0.1), "mse")
    assert check_numerics(model, X) is None                     # forward is finite: sqrt(0) = 0
    issue = check_numerics(model, X, Y)
    assert (issue.stage, issue.op, issue.layer) == ("backward", "sqrt", "root")
    assert issue.detail.startswith("gradient wrt input 0") and issue.ir_line.endswith("// root")
    assert issue.parameters == ["proj.kernel", "proj.bias"]
    # the train step's own gradients agree: fit turns proj's weights into NaN/Inf
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    assert not np.isfinite(model.get_layer("proj").get_weights()[0]).all()
    assert np.isfinite(model.get_layer("head").get_weights()[0]).all()


def test_masked_gradient_is_not_reported():
    # relu(0) feeding sqrt: sqrt's input gradient is inf, but relu's derivative at 0 is 0 and the update is
    # finite — exactly what the train step computes, so nothing is reported
    model = _model(Root(name="root"), kernel_zero=True)
    assert check_numerics(model, X, Y) is None
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_clean_model_and_bad_inputs():
    model = _model(layers.Activation("tanh", name="act"))
    assert check_numerics(model, X, Y) is None
    bad = X.copy()
    bad[1, 2] = np.nan
    issue = check_numerics(model, bad)
    assert issue.stage == "input" and issue.kind == "nan" and issue.count == 1 and "input 0" in issue.detail
    weights = model.get_weights()
    weights[2][0, 0] = np.inf
    model.set_weights(weights)
    issue = check_numerics(model, X)
    assert issue.stage == "input" and issue.detail == "parameter 'head.kernel'" and issue.kind == "inf"


def test_nan_loss_from_targets():
    model = _model(layers.Activation("tanh", name="act"))
    y = Y.copy()
    y[3] = np.nan
    issue = check_numerics(model, X, y)
    assert issue.stage == "loss" and issue.detail == "the loss value"
