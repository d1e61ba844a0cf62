"""A custom training loop: the model as plain JAX (``model.as_jax()``) and your own update rule.

The gradients are edited before the update: clipped by global norm, and the first layer's
gradients are masked (that layer stays frozen). The trained parameters go back into the model.

Run: python examples/custom_training_loop.py
"""
import jax
import jax.numpy as jnp
import numpy as np

import kxla
from kxla import layers


def main(steps: int = 300):
    kxla.utils.set_random_seed(0)
    ((x_train, y_train), (x_test, y_test)), source = kxla.datasets.digits.load_data_or_synthetic()
    print(f"data: {source}")
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)

    model = kxla.Sequential([
        layers.Input((64,)),
        layers.Dense(64, activation="relu", name="features"),
        layers.Dense(10, name="logits"),
    ])
    model.summary()
    apply_fn, params, state = model.as_jax()
    frozen = {w.ir_name for w in model.get_layer("features").weights}
    lr, max_norm = 0.1, 1.0

    def loss_fn(p, x, y):
        logits, _ = apply_fn(p, state, x, training=True)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=-1))

    @jax.jit
    def train_step(p, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(p, x, y)
        norm = jnp.sqrt(sum(jnp.sum(g ** 2) for g in grads.values()))
        scale = jnp.minimum(1.0, max_norm / (norm + 1e-6))                        # clip by global norm
        grads = {k: (jnp.zeros_like(g) if k in frozen else g * scale) for k, g in grads.items()}  # mask
        return {k: p[k] - lr * grads[k] for k in p}, loss

    rng = np.random.default_rng(0)
    first = params["features.kernel"]
    for step in range(steps):
        idx = rng.integers(0, len(x_train), 64)
        params, loss = train_step(params, jnp.asarray(x_train[idx]), jnp.asarray(y_train[idx]))
        if step % 100 == 0:
            print(f"step {step:4d}  loss {float(loss):.4f}")
    assert np.array_equal(np.asarray(first), np.asarray(params["features.kernel"]))  # masked layer unchanged

    model.set_weights([np.asarray(params[w.ir_name]) for w in model.weights])
    model.compile(loss=kxla.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
