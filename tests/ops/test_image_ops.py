"""keras.ops.image's filters and resampling ops against Keras 3 (more cases than test_keras_ops.py's first row).

Values, symbolic shapes, traced IR and gradients through ``check_against_keras``;
each op's numpy reference against its JAX lowering; ``elastic_transform`` with
an int seed equals Keras's draw, without one it draws from the step's key.
"""
import jax
import numpy as np
import pytest

import kxla
from kxla.ir import TensorType, get_op
from kxla.ops.core import LowerContext
from op_check import check_against_keras, trace

R = np.random.default_rng(0)
IMG = R.uniform(0, 1, (2, 9, 8, 3)).astype("float32")
CF = np.moveaxis(IMG, -1, 1)
VOL = R.normal(size=(2, 5, 6, 4, 2)).astype("float32")
SP = np.array([[0, 0], [7, 0], [0, 8], [7, 8]], "float32")
EP = np.array([[1, 0], [6, 1], [0, 7], [7, 8]], "float32")
SLOW = pytest.mark.slow

CASES = [
    ("gaussian_blur", (IMG,), {"kernel_size": (5, 3), "sigma": (2.0, 0.5), "data_format": "channels_last"}),
    pytest.param("gaussian_blur", (CF,), {"data_format": "channels_first"}, marks=SLOW),
    pytest.param("sobel_edges", (CF,), {"data_format": "channels_first"}, marks=SLOW),
    ("ssim", (IMG, IMG * 0.8 + 0.1), {"filter_size": 5}),
    pytest.param("ssim", (IMG[0], IMG[1]), {"filter_size": 3, "max_val": 2.0, "k1": 0.02}, marks=SLOW),
    ("extract_patches", (IMG,), {"size": (2, 3), "strides": 1, "padding": "same"}),
    pytest.param("extract_patches", (IMG,), {"size": (2, 2), "strides": (2, 3), "padding": "same"}, marks=SLOW),
    pytest.param("extract_patches", (IMG[0],), {"size": (3, 3), "strides": 1, "dilation_rate": 2}, marks=SLOW),
    pytest.param("extract_patches", (CF,), {"size": (2, 3), "data_format": "channels_first"}, marks=SLOW),
    pytest.param("extract_patches", (VOL,), {"size": (2, 2, 3)}, marks=SLOW),
    ("extract_patches_3d", (VOL[0],), {"size": (2, 3, 2), "strides": 1, "padding": "same"}),
    pytest.param("perspective_transform", (IMG, np.stack([SP, SP]), np.stack([EP, SP + 0.5])), {}, marks=SLOW),
    ("perspective_transform", (IMG[0], SP, EP), {"interpolation": "nearest", "fill_value": 0.3}),
    pytest.param("perspective_transform", (CF, np.stack([SP, SP]), np.stack([EP, EP])),
                 {"data_format": "channels_first"}, marks=SLOW),
    ("affine_transform", (IMG, np.array([[1, 0.1, -1, 0.05, 1.1, 0.5, 0.01, 0.02], [0.9, 0, 1, 0, 1, 0, 0, 0]],
                                        "float32")), {}),
    pytest.param("affine_transform", (CF[0], np.array([1, 0.2, 0, 0, 1, 1, 0, 0], "float32")),
                 {"fill_mode": "reflect", "interpolation": "nearest", "data_format": "channels_first"}, marks=SLOW),
]


@SLOW               # (the default suite checks each op's first case in test_keras_ops.py)
@pytest.mark.parametrize("name,args,kwargs", CASES)
def test_matches_keras(name, args, kwargs):
    check_against_keras(name, args, kwargs, ns="image", rtol=1e-4, atol=1e-4)


@SLOW
@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_map_coordinates_fill_modes(mode):
    inputs = R.normal(size=(5, 6)).astype("float32")
    coords = R.uniform(-3, 8, (2, 7)).astype("float32")
    for order in (0, 1):
        check_against_keras("map_coordinates", (inputs, coords), {"order": order, "fill_mode": mode,
                                                                  "fill_value": 0.5}, ns="image", trace=order == 1)


@SLOW
@pytest.mark.parametrize("method,antialias", [("bilinear", True), ("bicubic", False),
                                              pytest.param("lanczos3", True, marks=SLOW),
                                              pytest.param("lanczos5", False, marks=SLOW)])
def test_scale_and_translate(keras, method, antialias):
    scale, shift = np.array([0.7, 1.6], "float32"), np.array([0.5, -1.0], "float32")
    ours = lambda x, s, t: kxla.ops.image.scale_and_translate(x, (2, 7, 12, 3), s, t, (1, 2), method, antialias)
    theirs = lambda x, s, t: keras.ops.image.scale_and_translate(x, (2, 7, 12, 3), s, t, (1, 2), method, antialias)
    check_against_keras("scale_and_translate", (IMG, scale, shift), ours=ours, theirs=theirs, rtol=1e-5,
                        atol=1e-6)


@pytest.mark.slow
def test_scale_and_translate_eager(keras):
    scale, shift = np.array([0.7, 1.6], "float32"), np.array([0.5, -1.0], "float32")
    for method in ("bilinear",):
        np.testing.assert_allclose(
            np.asarray(kxla.ops.image.scale_and_translate(IMG, (2, 7, 12, 3), scale, shift, (1, 2), method)),
            np.asarray(keras.ops.image.scale_and_translate(IMG, (2, 7, 12, 3), scale, shift, (1, 2), method)),
            atol=1e-6)
    sym = kxla.ops.image.scale_and_translate(kxla.KerasTensor(TensorType((None, 9, 8, 3), "float32")), (2, 7, 12, 3), scale, shift,
                                             (1, 2), "cubic")
    assert sym.shape == (2, 7, 12, 3)


@pytest.mark.slow
def test_elastic_transform_seeded_equals_keras(keras):
    x = IMG[0]
    kwargs = {"alpha": 5.0, "sigma": 2.0, "seed": 7, "fill_mode": "constant", "interpolation": "nearest"}
    np.testing.assert_allclose(np.asarray(kxla.ops.image.elastic_transform(x, **kwargs)),
                               np.asarray(keras.ops.image.elastic_transform(x, **kwargs)), atol=1e-5)


@SLOW
def test_elastic_transform_seeded_equals_keras_and_unseeded_follows_the_key(keras):
    for kwargs, x in (({"seed": 3}, IMG), ({"alpha": 5.0, "sigma": 2.0, "seed": 7, "fill_mode": "constant",
                                             "interpolation": "nearest"}, IMG[0]),
                      ({"seed": 3, "data_format": "channels_first"}, CF)):
        np.testing.assert_allclose(np.asarray(kxla.ops.image.elastic_transform(x, **kwargs)),
                                   np.asarray(keras.ops.image.elastic_transform(x, **kwargs)), atol=1e-5)
    graph, types, (a,) = trace(lambda t: kxla.ops.image.elastic_transform(t, sigma=1.0), [IMG], rng_seed=0)
    _, _, (b,) = trace(lambda t: kxla.ops.image.elastic_transform(t, sigma=1.0), [IMG], rng_seed=1)
    assert "elastic_transform" in str(graph) and types[0].shape == (None, 9, 8, 3)
    assert a.shape == IMG.shape and not np.allclose(a, b)


REFERENCE_CASES = {
    "gaussian_blur": ([IMG], {"kernel_size": [3, 5], "sigma": [1.0, 2.0], "data_format": "channels_last"}),
    "sobel_edges": ([CF], {"data_format": "channels_first"}),
    "ssim": ([IMG, IMG[::-1]], {"filter_size": 5}),
    "extract_patches": ([IMG], {"size": [2, 3], "strides": 2, "padding": "same"}),
    "extract_patches_3d": ([VOL], {"size": 2}),
    "map_coordinates": ([IMG[0, :, :, 0], R.uniform(-2, 9, (2, 4, 5)).astype("float32")],
                        {"order": 1, "fill_mode": "mirror"}),
    "perspective_transform": ([IMG, SP, EP], {"data_format": "channels_last"}),
    "scale_and_translate": ([IMG, np.array([2.0, 0.5], "float32"), np.array([0.0, 1.0], "float32")],
                            {"output_shape": [2, 13, 5, 3], "spatial_dims": [1, 2], "method": "lanczos3"}),
}


FAST_REFERENCES = ("map_coordinates", "extract_patches", "sobel_edges")


@pytest.mark.parametrize("name", [n if n in FAST_REFERENCES else pytest.param(n, marks=SLOW)
                                  for n in sorted(REFERENCE_CASES)])
def test_numpy_reference_matches_the_lowering(name):
    opdef = get_op(name)
    inputs, attrs = REFERENCE_CASES[name]
    attrs = opdef.normalize_attrs(attrs)
    want = opdef.reference(*inputs, **attrs)
    got = opdef.lower(LowerContext(), *[jax.numpy.asarray(x) for x in inputs], **attrs)
    assert isinstance(want, np.ndarray) and want.shape == got.shape and want.dtype == got.dtype
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=2e-5)


def test_errors():
    with pytest.raises(ValueError, match="rank"):
        kxla.ops.image.gaussian_blur(IMG[0, 0])
    with pytest.raises(ValueError, match="order"):
        kxla.ops.image.map_coordinates(IMG[0, :, :, 0], np.zeros((2, 3), "float32"), order=3)
    with pytest.raises(ValueError, match="method"):
        kxla.ops.image.scale_and_translate(IMG, (2, 4, 4, 3), np.ones(2), np.zeros(2), (1, 2), "nearest")
    with pytest.raises(ValueError, match="start_points"):
        kxla.ops.image.perspective_transform(IMG, SP[:3], EP[:3])
