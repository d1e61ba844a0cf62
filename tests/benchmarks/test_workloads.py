"""The hand-written JAX baselines of benchmarks/ compute what kxla computes, on the same weights."""
import os
import sys

import jax
import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import workloads  # noqa: E402

import kxla  # noqa: E402

CHECKED = ["mlp_small", "cnn", "cnn_channels_first", "resnet_bn", "lstm", "gru"]


def test_every_baseline_has_a_weight_mapping():
    assert all(wl.jax_from_weights is not None for wl in workloads.WORKLOADS.values())
    assert set(CHECKED) | {"mlp"} == set(workloads.WORKLOADS)


@pytest.mark.parametrize("name", CHECKED)
def test_baseline_matches_kxla_on_the_same_weights(name):
    wl = workloads.WORKLOADS[name]
    kxla.utils.set_random_seed(1)
    model = wl.kxla_model()
    params, state = wl.jax_from_weights([jax.numpy.asarray(w) for w in model.get_weights()])
    x = wl.make_data(4, seed=2)[0]
    got = np.asarray(model.predict(x, verbose=0))
    want, _ = wl.jax_apply(params, state, x, False)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-4, atol=1e-5)
    if name == "resnet_bn":            # batch statistics: kxla's BatchNorm vs the one-pass variance formula
        traced, fn, _ = model._lowered(True)
        values = {v.ir_name: v.value for v in traced.variables}
        outs, _ = fn({v.ir_name: values[v.ir_name] for v in traced.variables if v.kind == "param"},
                     {v.ir_name: values[v.ir_name] for v in traced.variables if v.kind == "state"}, [x],
                     rng=jax.random.key(0), training=True)
        want, _ = wl.jax_apply(params, state, x, True)
        np.testing.assert_allclose(np.asarray(outs[0]), np.asarray(want), rtol=1e-3, atol=1e-4)


def test_rnn_baselines_project_inside_the_loop():
    for name in ("lstm", "gru"):
        wl = workloads.WORKLOADS[name]
        params, state = wl.jax_init(jax.random.key(0))
        jaxpr = jax.make_jaxpr(lambda p, x: wl.jax_apply(p, state, x, False)[0])(params, np.ones((2, 5), "int32"))
        body = next(e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan").params["jaxpr"].jaxpr
        assert [e.primitive.name for e in body.eqns].count("dot_general") == 2     # input and recurrent
