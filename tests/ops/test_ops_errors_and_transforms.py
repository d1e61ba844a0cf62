"""Late keras.ops names beyond the case table: vectorize, ctc_loss gradients, and the errors Keras raises
(complex pairs, stft dtypes, TPU-only attention options, beam search, data-dependent bincount)."""
import numpy as np
import pytest

import kxla
from kxla.ir import TensorType
from op_check import check_op

keras = pytest.importorskip("keras")


def _symbolic(shape, dtype="float32"):
    return kxla.KerasTensor(TensorType(shape, dtype))


def test_vectorize_on_arrays_and_in_a_graph():
    def fn(a, b):
        return a * b + 1.0
    x, y = np.arange(6, dtype="float32").reshape(2, 3), np.ones(3, "float32") * 2
    ours, theirs = kxla.ops.vectorize(fn)(x, y), keras.ops.vectorize(fn)(x, y)
    np.testing.assert_allclose(ours, theirs)
    traced = check_op(lambda a, b: kxla.ops.vectorize(fn)(a, b), x, y, batched=(0,))
    np.testing.assert_allclose(traced, theirs)
    dot = kxla.ops.numpy.vectorize(lambda a, b: (a * b).sum(), signature="(n),(n)->()")
    np.testing.assert_allclose(dot(x, y), keras.ops.vectorize(lambda a, b: (a * b).sum(),
                                                                signature="(n),(n)->()")(x, y))


@pytest.mark.slow
def test_ctc_loss_gradient_matches_keras():
    import jax
    rng = np.random.default_rng(0)
    out = rng.normal(size=(2, 6, 4)).astype("float32")
    target = np.array([[1, 2, 2], [3, 1, 0]], "int32")
    lengths = (np.array([3, 2], "int32"), np.array([6, 5], "int32"))
    grads = [jax.grad(lambda o: f(target, o, *lengths).sum())(out)
             for f in (kxla.ops.nn.ctc_loss, keras.ops.nn.ctc_loss)]
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-5)


def test_complex_pairs_are_checked():
    x = np.ones((2, 3), "float32")
    with pytest.raises(ValueError, match="tuple of two tensors"):
        kxla.ops.fft(x)
    with pytest.raises(ValueError, match="same shape"):
        kxla.ops.fft2((x, np.ones((3, 2), "float32")))
    with pytest.raises(ValueError, match="not of type float"):
        kxla.ops.ifft2((x.astype("int32"), x.astype("int32")))
    re, im = kxla.ops.fft((_symbolic((None, 8)), _symbolic((None, 8))))
    assert re.shape == im.shape == (None, 8)


def test_stft_and_window_errors():
    with pytest.raises(TypeError, match="Expected `float32` or `float64`"):
        kxla.ops.stft(np.ones((1, 16), "int32"), 4, 2, 4)
    with pytest.raises(ValueError, match="fft_length"):
        kxla.ops.stft(np.ones((1, 16), "float32"), 8, 2, 4)
    with pytest.raises(ValueError, match='"hann", "hamming"'):
        kxla.ops.stft(np.ones((1, 16), "float32"), 4, 2, 4, window="blackman")


def test_refusals_name_what_is_unsupported():
    q = np.ones((1, 2, 1, 4), "float32")
    with pytest.raises(ValueError, match="attn_logits_soft_cap is only supported for JAX on TPU"):
        kxla.ops.dot_product_attention(q, q, q, attn_logits_soft_cap=20.0)
    with pytest.raises(ValueError, match="flash_attention=True"):
        kxla.ops.dot_product_attention(q, q, q, flash_attention=True)
    with pytest.raises(ValueError, match="bincount: the output shape depends"):
        kxla.ops.numpy.bincount(_symbolic((None,), "int32"), minlength=4)
    with pytest.raises(ValueError, match="sparse"):
        kxla.ops.multi_hot(np.array([1]), 3, sparse=True)


def test_namespaces_match_keras():
    for ns, names in {"": ("fft", "stft", "rearrange", "view_as_complex", "eig", "bincount", "polar", "fold"),
                      "nn": ("polar", "multi_hot", "rms_normalization", "separable_conv", "fold", "unfold",
                             "adaptive_average_pool", "adaptive_max_pool", "ctc_loss", "ctc_decode",
                             "dot_product_attention"),
                      "numpy": ("bincount", "view", "vectorize"), "linalg": ("eig",)}.items():
        ours = getattr(kxla.ops, ns) if ns else kxla.ops
        for name in names:
            assert callable(getattr(ours, name)), f"kxla.ops.{ns}.{name}"
    assert not hasattr(kxla.ops.numpy, "fft") and not hasattr(keras.ops.numpy, "fft")
