"""Every op of the keras.ops catalogue against Keras 3 (JAX backend): values, dtypes, symbolic shapes, IR, gradients.

Cases come from each op's definition: elementwise unary and binary ops and
reductions get family cases (float32 and int32 inputs, broadcasting, axis and
keepdims); the rest are listed in ``CASES``. The default run takes each op's
first case (and the int32 case of elementwise ops), except the ``SLOW_ONLY``
ops; ``pytest -m slow tests/ops/test_keras_ops.py`` runs every case.
"""
import numpy as np
import pytest

from kxla.ir import get_op
from kxla.ops import catalog
from op_check import check_against_keras

pytest.importorskip("keras")

_rng = np.random.default_rng(0)


def U(*shape, lo=0.1, hi=0.9, dtype="float32"):
    """Uniform test data in [lo, hi)."""
    return _rng.uniform(lo, hi, size=shape).astype(dtype)


def I(*shape, lo=-4, hi=5, dtype="int32"):  # noqa: E743
    return _rng.integers(lo, hi, size=shape).astype(dtype)


F23, F3, F234 = U(2, 3), U(3, lo=-1, hi=1), U(2, 3, 4, lo=-1, hi=1)
I23, I3 = I(2, 3), I(3, lo=1)
SQ = U(3, 3) + np.eye(3, dtype="float32")
SPD = SQ @ SQ.T + np.eye(3, dtype="float32")
IMG = U(2, 4, 4, 3)
CHW = U(2, 3, 5, 4)
SIG = U(2, 40, lo=-1, hi=1)
SPEC_RE, SPEC_IM = U(2, 11, 9, lo=-1, hi=1), U(2, 11, 9, lo=-1, hi=1)
CTC_TARGET = np.array([[1, 2, 2, 3], [3, 3, 1, 4], [2, 1, 1, 1]], "int32")      # labels 1..4 (blank 0)

# Ops whose inputs must be integers or lie in a special domain; ops with their own cases.
INT_ONLY = {"gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
            "bitwise_right_shift", "bitwise_invert"}
DOMAIN = {"arccosh": (U(2, 3, lo=1.1, hi=3),), "ldexp": (F23, I3)}
NO_GRAD = {"floor", "ceil", "trunc", "round", "sign", "fmod", "mod", "floor_divide", "heaviside", "nextafter",
           "median", "nanmedian", "sort", "i0", "amax", "amin", "ptp", "nanmax", "nanmin", "divide_no_nan",
           "quantile", "percentile", "nanquantile", "nanpercentile", "hard_shrink", "soft_shrink", "threshold",
           "matrix_rank", "lu_factor", "qr", "svd", "eigh", "hard_tanh", "relu6", "hard_sigmoid", "sparse_sigmoid",
           "sparse_plus", "hard_silu", "sparsemax", "segment_max", "segment_min", "top_k", "saturate_cast",
           "rgb_to_hsv", "scatter_update", "slice_update", "scatter", "adaptive_max_pool", "multi_hot"}

CASES = {
    "round": [((F23 * 10,), {}), ((F23 * 10,), {"decimals": 1})],
    "nan_to_num": [((np.array([np.nan, np.inf, -np.inf, 1.0], "float32"),), {"posinf": 9.0})],
    "isclose": [((F23, F23 + 1e-6), {}), ((F23, F3), {"rtol": 0.5})],
    "allclose": [((F23, F23 + 1e-6), {}), ((F23, F3), {})],
    "ldexp": [((F23, I3), {})],
    "prod": [((F234,), {"axis": 1}), ((I23,), {}), ((F234,), {"axis": (0, 2), "keepdims": True})],
    "count_nonzero": [((I23,), {}), ((I23,), {"axis": 1})],
    "nanargmax": [((F234,), {"axis": 1}), ((F234,), {})],
    "nanargmin": [((F234,), {"axis": -1, "keepdims": True})],
    "average": [((F234,), {"axis": 1}), ((F234,), {"axis": 1, "weights": U(3)}), ((F234,), {})],
    "quantile": [((F234, 0.3), {"axis": 1}), ((F234, np.array([0.2, 0.9], "float32")), {"keepdims": True})],
    "nanquantile": [((F234, 0.3), {"axis": 1})],
    "percentile": [((F234, 30.0), {"axis": (0, 2)})],
    "nanpercentile": [((F234, 30.0), {})],
    "cumsum": [((F234,), {"axis": 1}), ((F234,), {}), ((I23,), {"axis": 0})],
    "cumprod": [((F234,), {"axis": -1}), ((I23,), {})],
    "nancumsum": [((F234,), {"axis": 1})],
    "nancumprod": [((F234,), {})],
    "sort": [((F234,), {}), ((F234,), {"axis": 0})],
    "argsort": [((F234,), {"axis": 1})],
    "argpartition": [((F234, 2), {})],
    "broadcast_to": [((F3, (2, 3)), {})],
    "swapaxes": [((F234, 0, 2), {})],
    "moveaxis": [((F234, 0, -1), {}), ((F234, (0, 1), (2, 0)), {})],
    "flip": [((F234,), {}), ((F234,), {"axis": 1}), ((F234,), {"axis": (0, 2)})],
    "fliplr": [((F23,), {})], "flipud": [((F23,), {})],
    "roll": [((F234, 2), {}), ((F234, 1), {"axis": 1})],
    "ravel": [((F234,), {})],
    "rot90": [((F234,), {}), ((F234,), {"k": 3, "axes": (1, 2)})],
    "tril": [((F234,), {}), ((F23,), {"k": 1})], "triu": [((F234,), {"k": -1})],
    "diagonal": [((F234,), {}), ((F234,), {"offset": 1, "axis1": 1, "axis2": 2})],
    "diag": [((F3,), {}), ((F23,), {"k": 1})], "diagflat": [((F23,), {})],
    "trace": [((F234,), {}), ((I23,), {"offset": 1})],
    "append": [((F23, F3), {}), ((F23, F23), {"axis": 0})],
    "hstack": [(([F23, F23],), {})], "vstack": [(([F23, F3],), {})], "dstack": [(([F23, F23],), {})],
    "hsplit": [((F234, 3), {})], "vsplit": [((F234, 2), {})], "dsplit": [((F234, (1, 3)), {})],
    "array_split": [((F234, 3), {"axis": 2})],
    "unstack": [((F234,), {}), ((F234,), {"axis": 1})],
    "meshgrid": [((F3, U(2)), {}), ((F3, U(2)), {"indexing": "ij"})],
    "diff": [((F234,), {}), ((F234,), {"n": 2, "axis": 0})],
    "take_along_axis": [((F234, I(2, 3, 4, lo=0, hi=3)), {"axis": 1})],
    "outer": [((F3, U(2)), {})], "inner": [((F23, F3), {})], "kron": [((F23, F23), {})],
    "vdot": [((F23, F23), {})], "cross": [((F23, U(2, 3)), {})],
    "correlate": [((F3, U(2)), {}), ((F3, U(2)), {"mode": "full"})],
    "corrcoef": [((U(3, 4),), {})],
    "vander": [((F3,), {}), ((F3,), {"N": 2, "increasing": True})],
    "digitize": [((F23, np.array([0.2, 0.5, 0.8], "float32")), {})],
    "searchsorted": [((np.array([0.1, 0.4, 0.7], "float32"), F23.ravel()), {})],
    "isin": [((I23, I3), {}), ((I23, I3), {"invert": True})],
    "zeros": [(((2, 3),), {}), ((4,), {"dtype": "int32"})],
    "ones": [(((2, 3),), {"dtype": "bfloat16"})], "empty": [(((2,),), {})],
    "full": [(((2, 3), 1.5), {}), (((2,), 3), {}), (((2,), 3), {"dtype": "int32"})],
    "full_like": [((F23, 2), {})], "empty_like": [((F23,), {"dtype": "int32"})],
    "eye": [((3,), {}), ((3, 4, 1), {"dtype": "int32"})], "identity": [((3,), {})],
    "tri": [((3,), {}), ((3, 2, -1), {})],
    "arange": [((5,), {}), ((1, 7, 2), {}), ((0.5, 3.0), {}), ((0, 4), {"dtype": "float32"})],
    "linspace": [((0.0, 1.0, 5), {}), ((0, 2, 4), {"endpoint": False})],
    "logspace": [((0.0, 2.0, 5), {})], "geomspace": [((1.0, 100.0, 3), {})],
    "bartlett": [((5,), {})], "blackman": [((5,), {})], "hamming": [((5,), {})], "hanning": [((5,), {})],
    "kaiser": [((5, 0.5), {})],
    "nonzero": [((I23,), {})],
    "trapezoid": [((F234,), {}), ((F234,), {"dx": 0.5, "axis": 1}), ((F23,), {"x": U(3)})],
    "unravel_index": [((np.array([1, 5, 7], "int32"), (2, 4)), {})],
    "histogram": [((F23.ravel(),), {}), ((F23.ravel(),), {"bins": 3, "range": (0.0, 1.0)})],
    # nn
    "leaky_relu": [((F23 - 0.5,), {}), ((F23 - 0.5,), {"negative_slope": 0.1})],
    "celu": [((F23 - 0.5,), {"alpha": 0.5})],
    "squareplus": [((F23,), {"b": 2})],
    "soft_shrink": [((F23 * 2 - 1,), {"threshold": 0.3})], "hard_shrink": [((F23 * 2 - 1,), {})],
    "threshold": [((F23, 0.5, -1.0), {})],
    "glu": [((U(2, 4),), {}), ((U(4, 3),), {"axis": 0})],
    "sparsemax": [((F234,), {}), ((F234,), {"axis": 1})],
    "normalize": [((F234,), {}), ((F234,), {"axis": 1, "order": 1})],
    "psnr": [((F23, U(2, 3), 1.0), {})],
    "depth_to_space": [((U(1, 2, 2, 8), 2), {}), ((U(1, 8, 2, 2), 2), {"data_format": "channels_first"})],
    "space_to_depth": [((U(1, 4, 4, 2), 2), {})],
    "categorical_crossentropy": [((np.eye(4, dtype="float32")[[0, 2]], U(2, 4)), {}),
                                 ((np.eye(4, dtype="float32")[[1, 3]], U(2, 4)), {"from_logits": True})],
    "sparse_categorical_crossentropy": [((np.array([0, 3], "int32"), U(2, 4)), {}),
                                        ((np.array([[1], [2]], "int32"), U(2, 4)), {"from_logits": True})],
    "binary_crossentropy": [((np.array([[0, 1, 1]], "float32"), U(1, 3)), {}),
                            ((np.array([[0, 1, 1]], "float32"), U(1, 3) - 0.5), {"from_logits": True})],
    # linalg
    "cholesky": [((SPD,), {}), ((SPD,), {"upper": True})],
    "cholesky_inverse": [((np.linalg.cholesky(SPD),), {})],
    "det": [((SQ,), {})], "inv": [((SQ,), {})], "eigh": [((SPD,), {})],
    "solve": [((SQ, U(3, 2)), {})], "solve_triangular": [((np.tril(SQ) + 3 * np.eye(3, dtype="float32"), U(3, 2)),
                                                           {"lower": True})],
    "pinv": [((U(3, 2),), {})], "qr": [((U(3, 2),), {}), ((U(3, 2),), {"mode": "complete"})],
    "svd": [((U(3, 2),), {"full_matrices": False}), ((U(3, 2),), {"compute_uv": False})],
    "lstsq": [((U(4, 3), U(4, 2)), {})], "lu_factor": [((SQ,), {})],
    "matrix_rank": [((SQ,), {})],
    "norm": [((F234,), {}), ((F23,), {"ord": 1, "axis": 1}), ((F23,), {"ord": "fro", "axis": (0, 1)})],
    "slogdet": [((SQ,), {})], "logdet": [((SPD,), {})],
    # core
    "stop_gradient": [((F23,), {})],
    "saturate_cast": [((F23 * 1000 - 400, "uint8"), {}), ((I23 * 100, "int8"), {})],
    "top_k": [((F234, 2), {})],
    "in_top_k": [((I(2, lo=0, hi=4), U(2, 4), 2), {})],
    "segment_sum": [((F234, np.array([0, 0], "int32")), {"num_segments": 3})],
    "segment_max": [((F234, np.array([1, 1], "int32")), {"num_segments": 3})],
    "segment_min": [((F234, np.array([0, 2], "int32")), {"num_segments": 3})],
    "segment_prod": [((F234, np.array([0, 0], "int32")), {"num_segments": 2})],
    "scatter": [((np.array([[0, 1], [1, 2], [0, 1]], "int32"), U(3), (2, 3)), {})],
    "scatter_update": [((F23, np.array([[0, 1], [1, 2]], "int32"), U(2)), {}),
                       ((F23, np.array([[0, 1], [1, 2]], "int32"), U(2)), {"reduction": "add"})],
    "slice_update": [((F234, (0, 1, 2), U(2, 2, 2)), {})],
    "cdist": [((U(2, 3), U(4, 3)), {})],
    # image
    "rgb_to_grayscale": [((IMG,), {}), ((np.moveaxis(IMG, -1, 1),), {"data_format": "channels_first"})],
    "rgb_to_hsv": [((IMG,), {})], "hsv_to_rgb": [((IMG,), {})],
    "pad_images": [((IMG,), {"top_padding": 1, "left_padding": 2, "bottom_padding": 0, "right_padding": 1}),
                   ((IMG,), {"top_padding": 1, "left_padding": 0, "target_height": 6, "target_width": 5})],
    "crop_images": [((IMG,), {"top_cropping": 1, "left_cropping": 1, "target_height": 2, "target_width": 2})],
    # image ops of kxla/ops/image_filters.py, image_sample.py (more cases: tests/ops/test_image_ops.py)
    "gaussian_blur": [((IMG,), {"data_format": "channels_last"})], "sobel_edges": [((IMG,), {})],
    "ssim": [((IMG, IMG[::-1]), {"filter_size": 3})], "extract_patches": [((IMG,), {"size": 2})],
    "extract_patches_3d": [((U(2, 4, 4, 3, 2),), {"size": 2})],
    "map_coordinates": [((U(4, 5), U(2, 3, 2, lo=-1, hi=5)), {"order": 1})],
    "perspective_transform": [((IMG[0], np.array([[0, 0], [3, 0], [0, 3], [3, 3]], "float32"),
                                np.array([[0, 1], [3, 0], [1, 3], [3, 2]], "float32")), {})],
    # signal (Keras's ops.math family); complex values are [real, imag] pairs
    "fft": [(([F234, F234 * 2],), {})], "fft2": [(([F234, F234 - 1],), {})], "ifft2": [(([F234, F234 + 1],), {})],
    "rfft": [((F234,), {}), ((F234,), {"fft_length": 6})],
    "irfft": [(([F234, F234 * 2],), {}), (([F234, F234 * 2],), {"fft_length": 5})],
    "stft": [((SIG,), {"sequence_length": 8, "sequence_stride": 4, "fft_length": 16}),
             ((SIG,), {"sequence_length": 8, "sequence_stride": 3, "fft_length": 8, "window": "hamming",
                       "center": False}),
             ((SIG,), {"sequence_length": 6, "sequence_stride": 2, "fft_length": 8, "window": None})],
    "istft": [(([SPEC_RE, SPEC_IM],), {"sequence_length": 8, "sequence_stride": 4, "fft_length": 16}),
              (([SPEC_RE, SPEC_IM],), {"sequence_length": 8, "sequence_stride": 4, "fft_length": 16, "length": 30,
                                       "window": U(8).tolist()}),
              (([SPEC_RE, SPEC_IM],), {"sequence_length": 8, "sequence_stride": 4, "fft_length": 16,
                                       "center": False, "window": None})],
    "extract_sequences": [((SIG,), {"sequence_length": 5, "sequence_stride": 3}),
                          ((I(2, 9),), {"sequence_length": 4, "sequence_stride": 4})],
    "view_as_complex": [((U(3, 2, 2),), {})],
    "view_as_real": [(((F23 + 1j * F23).astype("complex64"),), {})],
    "rearrange": [((IMG, "b h w c -> b c h w"), {}), ((IMG, "b (h1 h) (w1 w) c -> (b h1 w1) h w c"), {"h1": 2, "w1": 2}),
                  ((IMG, "b (h h1) (w w1) c -> b h w (c h1 w1)"), {"h1": 2, "w1": 2})],
    "view": [((F23,), {"dtype": "int32"}), ((I23,), {"dtype": "int16"}), ((F23,), {})],
    "bincount": [((I(6, lo=0),), {}), ((I(6, lo=0),), {"minlength": 10}), ((I(6, lo=0),), {"weights": U(6)}),
                 ((I(2, 3, lo=0),), {"minlength": 6})],
    "eig": [((SQ,), {})],       # batched eigenvectors may differ by a sign between XLA's eager and jitted eig
    "polar": [((F23, F23 * 3), {})],
    "multi_hot": [((I23 - I23.min(),), {"num_classes": 9}), ((I(4, lo=0),), {"num_classes": 5, "dtype": "int32"}),
                  ((I23 - I23.min(),), {"num_classes": 9, "axis": 0})],
    "rms_normalization": [((F234,), {}), ((F234,), {"scale": U(4)}), ((F234,), {"axis": (1, 2), "epsilon": 0.1})],
    "separable_conv": [((IMG, U(3, 3, 3, 2), U(1, 1, 6, 4)), {}),
                       ((IMG, U(3, 3, 3, 2), U(1, 1, 6, 4)), {"strides": 2, "padding": "same"}),
                       ((U(2, 7, 3), U(3, 3, 1), U(1, 3, 2)), {"dilation_rate": 2}),
                       ((np.moveaxis(IMG, -1, 1), U(2, 2, 3, 1), U(1, 1, 3, 2)), {"data_format": "channels_first"})],
    "unfold": [((CHW,), {"kernel_size": 2}), ((CHW,), {"kernel_size": (2, 3), "dilation": 2, "padding": 1,
                                                       "stride": (2, 1)})],
    "fold": [((U(2, 12, 12),), {"output_size": (4, 5), "kernel_size": 2}),
             ((U(2, 8, 12),), {"output_size": (5, 6), "kernel_size": 2, "stride": 2, "padding": 1})],
    "adaptive_average_pool": [((IMG,), {"output_size": (3, 2)}), ((U(2, 7, 3),), {"output_size": 3}),
                              ((CHW,), {"output_size": 2, "data_format": "channels_first"}),
                              ((U(1, 5, 4, 3, 2),), {"output_size": (2, 3, 2)})],
    "adaptive_max_pool": [((IMG,), {"output_size": (3, 2)}), ((U(2, 7, 3),), {"output_size": 3}),
                          ((CHW,), {"output_size": 2, "data_format": "channels_first"})],
    "dot_product_attention": [((U(2, 4, 4, 8), U(2, 6, 2, 8), U(2, 6, 2, 8)), {}),
                              ((U(2, 4, 4, 8), U(2, 6, 2, 8), U(2, 6, 2, 8)),
                               {"bias": U(1, 4, 4, 6), "mask": U(2, 1, 4, 6) > 0.3, "scale": 0.5}),
                              ((U(2, 4, 2, 8), U(2, 4, 2, 8), U(2, 4, 2, 8)), {"is_causal": True})],
    "ctc_loss": [((CTC_TARGET, U(3, 10, 5), np.array([3, 4, 1], "int32"), np.array([10, 9, 4], "int32")), {}),
                 ((CTC_TARGET - 1, U(3, 10, 5), np.array([3, 4, 1], "int32"), np.array([10, 9, 4], "int32")),
                  {"mask_index": 4})],
    "ctc_decode": [((U(3, 10, 5), np.array([10, 9, 4], "int32")), {}),
                   ((U(3, 10, 5), np.array([10, 9, 4], "int32")), {"merge_repeated": False, "mask_index": 2})],
}
# positional arguments of a case that are attributes, not arrays (by op): index -> kept as Python values
STATIC = {"broadcast_to": (1,), "swapaxes": (1, 2), "moveaxis": (1, 2), "roll": (1,), "hsplit": (1,),
          "vsplit": (1,), "dsplit": (1,), "array_split": (1,), "argpartition": (1,), "quantile": (1,),
          "nanquantile": (1,), "percentile": (1,), "nanpercentile": (1,), "full_like": (1,), "threshold": (1, 2),
          "psnr": (2,), "depth_to_space": (1,), "space_to_depth": (1,),
          "saturate_cast": (1,), "top_k": (1,), "in_top_k": (2,), "unravel_index": (1,),
          "scatter": (2,), "slice_update": (1,), "rearrange": (1,)}
# ops whose every case runs under -m slow (Keras's eager side alone takes seconds each)
SLOW_ONLY = {"stft", "istft", "ctc_loss", "adaptive_average_pool", "adaptive_max_pool", "dot_product_attention",
             "fold", "separable_conv"}
CREATION = {"zeros", "ones", "empty", "full", "eye", "identity", "tri", "arange", "linspace", "logspace",
            "geomspace", "bartlett", "blackman", "hamming", "hanning", "kaiser"}


def _family_cases(name, fn):
    opname = getattr(fn, "op_name", name)
    opdef = get_op(opname) if _has_op(opname) else None
    if opdef is None:
        return None
    if opname in INT_ONLY:
        return [((I23,) * (opdef.arity or 1), {}), ((I23, I3)[:opdef.arity or 1], {})]
    if "activation" in opdef.traits:         # Keras's activations refuse integer inputs
        return [((F23 * 8 - 4,), {})]
    if "elementwise" in opdef.traits and opdef.arity == 1:
        return [(DOMAIN.get(name, (F23,)), {}), ((I23,), {})]
    if "elementwise" in opdef.traits and opdef.arity == 2:
        return [(DOMAIN.get(name, (F23, F3)), {}), ((I23, F23), {}), ((I23, I3), {})]
    if "reduction" in opdef.traits:
        return [((F234,), {}), ((F234,), {"axis": 1}), ((F234,), {"axis": (0, 2), "keepdims": True}),
                ((I23,), {"axis": -1})]
    return None


def _has_op(name):
    from kxla.ir import has_op
    return has_op(name)


def _all_cases():
    out = []
    for ns in ("numpy", "nn", "linalg", "image", "core"):
        for name, fn in sorted(catalog.public(ns).items()):
            if not hasattr(fn, "op_name") and name not in CASES:
                continue                  # not an op (a function transform like jvp): tested on its own
            cases = CASES.get(name) or _family_cases(name, fn)
            assert cases, f"no test case for {ns}.{name}: add one to CASES"
            for i, case in enumerate(cases):
                # default run: the first case, and an int32 case of an elementwise family; the rest is slow
                fast = (i == 0 or (name not in CASES and i == 1 and len(cases) < 4)) and name not in SLOW_ONLY
                marks = () if fast else (pytest.mark.slow,)
                out.append(pytest.param(ns, name, case, id=f"{ns}.{name}-{i}", marks=marks))
    return out


@pytest.mark.parametrize("ns,name,case", _all_cases())
def test_op_matches_keras(ns, name, case):
    args, kwargs = case
    keras_ns = "" if ns == "core" else ns
    if name in CREATION:
        import keras
        import kxla
        from op_check import _assert_same_values, _resolve
        _assert_same_values(_resolve(kxla.ops, keras_ns, name)(*args, **kwargs),
                            _resolve(keras.ops, keras_ns, name)(*args, **kwargs), 1e-6, 1e-6, name)
        return
    static = STATIC.get(name, ())
    if any(isinstance(a, list) for a in args) or static:
        _check_with_static(keras_ns, name, args, kwargs, static)
        return
    if "data_dependent_shape" in get_op(getattr(catalog.public(ns)[name], "op_name", name)).traits:
        _check_data_dependent(keras_ns, name, args, kwargs)
        return
    check_against_keras(name, list(args), kwargs, ns=keras_ns, grad=name not in NO_GRAD)


def _check_data_dependent(ns, name, args, kwargs):
    """Values as Keras's on arrays; a clear error naming the op on symbolic tensors (Keras's JAX backend
    cannot trace these under jit either)."""
    import keras
    import kxla
    from kxla.ir import TensorType
    from op_check import _assert_same_values, _resolve
    ours = _resolve(kxla.ops, ns, name)
    _assert_same_values(ours(*args, **kwargs), _resolve(keras.ops, ns, name)(*args, **kwargs), 1e-6, 1e-6, name)
    symbolic = [kxla.KerasTensor(TensorType(a.shape, str(a.dtype))) for a in args]
    with pytest.raises(ValueError, match=f"{name}: the output shape depends on the input's values"):
        ours(*symbolic, **kwargs)


def test_select_matches_keras():
    import keras
    import kxla
    from op_check import check_op
    for conds, choices, default in [([F23 > 0.5, F23 > 0.2], [F23, F23 * 2], 0), ([F23 > 0.5], [I23], 7)]:
        ours = check_op(lambda *a: kxla.ops.select(list(a[:len(conds)]), list(a[len(conds):]), default),
                        *conds, *choices, batched=())
        theirs = np.asarray(keras.ops.select(conds, choices, default))
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype


def test_unique_matches_keras_and_refuses_symbolic():
    import keras
    import kxla
    from kxla.ir import TensorType
    x = np.array([3, 1, 3, 2, 1], "int32")
    for kw in ({}, {"return_counts": True, "return_inverse": True}, {"size": 4, "fill_value": 0}):
        ours, theirs = kxla.ops.unique(x, **kw), keras.ops.unique(x, **kw)
        for a, b in zip(ours if isinstance(ours, tuple) else [ours], theirs if isinstance(theirs, tuple) else [theirs]):
            np.testing.assert_array_equal(np.asarray(a).ravel(), np.asarray(b).ravel())
    with pytest.raises(ValueError, match="unique: the output shape depends"):
        kxla.ops.unique(kxla.KerasTensor(TensorType((5,), "int32")))


def _check_with_static(ns, name, args, kwargs, static):
    """Cases whose positional arguments include a list of tensors or static values: bind those by closure."""
    import keras
    import kxla
    from op_check import _resolve
    if any(isinstance(a, list) for a in args):
        arrays = next(a for a in args if isinstance(a, list))

        def call(root):
            return lambda *arrs, **kw: _resolve(root, ns, name)(list(arrs), **kw)
    else:
        arrays = [a for i, a in enumerate(args) if i not in static]

        def call(root):
            def bound(*arrs, **kw):
                it = iter(arrs)
                return _resolve(root, ns, name)(*[a if i in static else next(it) for i, a in enumerate(args)], **kw)
            return bound
    check_against_keras(name, arrays, kwargs, grad=name not in NO_GRAD, ours=call(kxla.ops), theirs=call(keras.ops))


def test_jvp_matches_keras():
    import jax.numpy as jnp
    import keras
    import kxla
    ours = kxla.ops.linalg.jvp(jnp.sin, (F23,), (np.ones_like(F23),))
    theirs = keras.ops.linalg.jvp(jnp.sin, (F23,), (np.ones_like(F23),))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert kxla.ops.jvp is kxla.ops.linalg.jvp


@pytest.mark.parametrize("x", [F23, I23, True, [1.0, 2.0]], ids=["f32", "i32", "bool", "list"])
def test_facts_and_conversions_match_keras(x):
    import keras
    import kxla
    from kxla.ir import TensorType
    names = ("shape", "ndim", "size", "dtype", "is_tensor") if isinstance(x, np.ndarray) else ()
    for name in names + ("convert_to_tensor", "convert_to_numpy", "array"):
        ours, theirs = getattr(kxla.ops, name)(x), getattr(keras.ops, name)(x)
        if hasattr(theirs, "dtype"):
            assert str(np.asarray(ours).dtype) == str(np.asarray(theirs).dtype), name
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs), err_msg=name)
    t = kxla.KerasTensor(TensorType((None, 3), "int32"))
    k = keras.KerasTensor((None, 3), dtype="int32")
    assert kxla.ops.shape(t) == keras.ops.shape(k) and kxla.ops.ndim(t) == 2
    assert kxla.ops.dtype(t) == keras.ops.dtype(k)
    assert kxla.ops.get_item(t, 0).shape == keras.ops.get_item(k, 0).shape


def test_segment_ops_need_num_segments_on_symbolic_input():
    import kxla
    from kxla.ir import TensorType
    data = kxla.KerasTensor(TensorType((4, 3), "float32"))
    ids = kxla.KerasTensor(TensorType((4,), "int32"))
    with pytest.raises(ValueError, match="segment_sum: Argument `num_segments` must be set"):
        kxla.ops.segment_sum(data, ids)
    assert kxla.ops.segment_sum(data, ids, num_segments=5).shape == (5, 3)
