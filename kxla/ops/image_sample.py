"""keras.ops.image resampling ops: map_coordinates, perspective_transform, scale_and_translate, elastic_transform.

Catalogue rows (``catalog.op``) whose JAX lowerings call what Keras's JAX
backend calls (``jax.scipy.ndimage.map_coordinates``,
``jax.image.scale_and_translate``), so the numbers are Keras's; the numpy
references re-derive the same formulas (index fixers of each fill mode,
round-half-away nearest, linear weights; Keys cubic / Lanczos / triangle
weight matrices). ``elastic_transform`` draws random numbers: an ``effect="random"``
op keyed by the step's key, or by Keras's key ``[seed, 0]`` for an int ``seed``
(then it equals Keras's result). ``affine_transform`` is the op defined in
``layer_ops_image`` (shared with the Random* affine layers), published here.
"""
from __future__ import annotations

import itertools

import numpy as np

from .resize_kernels import KERNELS
from .lazy_jax import jax, jnp
from ..ir import Attr, is_floating
from . import families as F
from .catalog import alias, op
from .core import apply, defop
from .image import _fmt
from .layer_ops_image import affine_transform

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_ORDERS = {"nearest": 0, "bilinear": 1}


# -- map_coordinates ---------------------------------------------------------------
def _round_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _mirror(index, size):
    s = size - 1
    return np.abs((index + s) % (2 * s) - s) if s > 0 else np.zeros_like(index)


_FIXERS = {"constant": lambda i, n: i, "nearest": lambda i, n: np.clip(i, 0, n - 1), "wrap": lambda i, n: i % n,
           "mirror": _mirror, "reflect": lambda i, n: (_mirror(2 * i + 1, 2 * n + 1) - 1) // 2}


def map_coordinates_np(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    """numpy twin of ``jax.scipy.ndimage.map_coordinates`` (order 0 or 1, JAX's fill modes)."""
    per_dim = []
    for c, n in zip(coordinates, inputs.shape):
        c = np.asarray(c)
        if order == 0:
            nodes = [(_round_away(c).astype("int32"), np.ones((), c.dtype))]
        else:
            low = np.floor(c)
            up = (c - low).astype(c.dtype)
            nodes = [(low.astype("int32"), (1 - up).astype(c.dtype)), (low.astype("int32") + 1, up)]
        per_dim.append([(_FIXERS[fill_mode](i, n), (i >= 0) & (i < n) if fill_mode == "constant" else None, w)
                        for i, w in nodes])
    total = 0
    for items in itertools.product(*per_dim):
        index = tuple(np.clip(i, 0, n - 1) for (i, _, _), n in zip(items, inputs.shape))
        value = inputs[index]
        valid = [v for _, v, _ in items if v is not None]
        if valid:
            value = np.where(np.logical_and.reduce(valid), value, np.asarray(fill_value, inputs.dtype))
        weight = items[0][2]
        for _, _, w in items[1:]:
            weight = weight * w
        total = total + weight * value
    if not is_floating(str(inputs.dtype)):
        total = _round_away(total)
    return np.asarray(total).astype(inputs.dtype)


def _check_map_args(inputs, coordinates, order, fill_mode):
    if len(coordinates.shape) < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input with shape: "
                         f"{coordinates.shape}")
    if coordinates.shape[0] != len(inputs.shape):
        raise ValueError("First dim of `coordinates` must be the same as the rank of `inputs`. Received inputs "
                         f"with shape: {inputs.shape} and coordinate leading dim of {coordinates.shape[0]}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of {set(FILL_MODES)}. "
                         f"Received: fill_mode={fill_mode}")
    if order not in (0, 1):
        raise ValueError(f"Invalid value for argument `order`. Expected one of [0, 1]. Received: order={order}")


def _map_lower(inputs, coordinates, order, fill_mode, fill_value):
    _check_map_args(inputs, coordinates, order, fill_mode)
    return jax.scipy.ndimage.map_coordinates(inputs, list(coordinates), order, fill_mode, fill_value)


def _map_ref(inputs, coordinates, order, fill_mode, fill_value):
    _check_map_args(inputs, coordinates, order, fill_mode)
    return map_coordinates_np(inputs, list(coordinates), order, fill_mode, fill_value)


def _map_shape(types, attrs):
    inputs, coords = types
    _check_map_args(inputs, coords, attrs["order"], attrs["fill_mode"])
    return [tuple(coords.shape[1:])]


map_coordinates = op("map_coordinates", "inputs, coordinates, order, fill_mode='constant', fill_value=0",
                     _map_lower, _map_ref, shape=_map_shape, dtype=lambda d, a: d[0], ns="image",
                     tensors=("inputs", "coordinates"),
                     cost=F.per_output(8), doc="sample inputs at coordinates (nearest or linear)")


# -- perspective_transform -----------------------------------------------------------
def _homography(xp, start, end):
    """(N, 8) maps from output pixels (end points) to input pixels (start points), Keras's solve."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = xp.zeros_like(ex), xp.ones_like(ex)
    x_rows = xp.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = xp.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    a = xp.concatenate([x_rows, y_rows], axis=1)
    b = xp.concatenate([sx, sy], axis=-1)[..., None]
    return xp.linalg.solve(a, b)[..., 0]


def _perspective(images, start_points, end_points, interpolation, fill_value, data_format, xp, sample):
    if interpolation not in _ORDERS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {set(_ORDERS)}. "
                         f"Received: interpolation={interpolation}")
    x = images[None] if images.ndim == 3 else images
    if data_format == "channels_first":
        x = xp.moveaxis(x, 1, -1)
    n, h, w, c = x.shape
    start = start_points[None] if start_points.ndim == 2 else start_points
    end = end_points[None] if end_points.ndim == 2 else end_points
    t = _homography(xp, start.astype("float32"), end.astype("float32"))
    t = xp.broadcast_to(t, (n, 8))
    gx, gy = xp.meshgrid(xp.arange(w, dtype="float32"), xp.arange(h, dtype="float32"), indexing="xy")
    gx, gy = gx.ravel()[None], gy.ravel()[None]
    denom = t[:, 6:7] * gx + t[:, 7:8] * gy + 1.0
    x_in = (t[:, 0:1] * gx + t[:, 1:2] * gy + t[:, 2:3]) / denom
    y_in = (t[:, 3:4] * gx + t[:, 4:5] * gy + t[:, 5:6]) / denom
    out = sample(x, y_in, x_in, _ORDERS[interpolation], fill_value)        # (n, h*w, c)
    out = out.reshape(n, h, w, c)
    if data_format == "channels_first":
        out = xp.moveaxis(out, -1, 1)
    return out[0] if images.ndim == 3 else out


def _sample_np(x, ys, xs, order, cval):
    return np.stack([np.stack([map_coordinates_np(x[b, :, :, ch], [ys[b], xs[b]], order, "constant", cval)
                               for ch in range(x.shape[-1])], -1) for b in range(x.shape[0])])


def _sample_jax(x, ys, xs, order, cval):
    per_channel = jax.vmap(lambda img, y, xx: jax.scipy.ndimage.map_coordinates(img, [y, xx], order, "constant",
                                                                                cval), in_axes=(2, None, None),
                           out_axes=-1)
    return jax.vmap(per_channel)(x, ys, xs)


def _persp_lower(images, start_points, end_points, interpolation, fill_value, data_format):
    return _perspective(images, start_points, end_points, interpolation, fill_value, data_format, jnp, _sample_jax)


def _persp_ref(images, start_points, end_points, interpolation, fill_value, data_format):
    return _perspective(images, start_points, end_points, interpolation, fill_value, data_format, np, _sample_np)


def _persp_shape(types, attrs):
    images, start, end = types
    if images.rank not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={images.shape}")
    for t, name in ((start, "start_points"), (end, "end_points")):
        if t.rank not in (2, 3) or tuple(t.shape[-2:]) != (4, 2):
            raise ValueError(f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a batch. "
                             f"Received shape: {t.shape}")
    if start.shape != end.shape:
        raise ValueError(f"start_points and end_points must have the same shape. Received start_points.shape="
                         f"{start.shape}, end_points.shape={end.shape}")
    return [tuple(images.shape)]


perspective_transform = op(
    "perspective_transform",
    "images, start_points, end_points, interpolation='bilinear', fill_value=0, data_format=None",
    _persp_lower, _persp_ref, shape=_persp_shape, dtype=lambda d, a: d[0], ns="image", prepare=_fmt,
    cost=F.per_output(12), doc="warp images so that start_points move to end_points (homography)")


# -- scale_and_translate ---------------------------------------------------------------
_METHODS = {"linear": "linear", "bilinear": "linear", "trilinear": "linear", "cubic": "cubic",
            "bicubic": "cubic", "tricubic": "cubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5"}




def _weights_np(m, n, scale, translation, kernel, antialias):
    """(m, n) weights from input index to output index along one axis (JAX's rule, no edge padding)."""
    dtype = np.result_type(scale, translation)
    inv = 1.0 / scale
    kscale = max(inv, 1.0) if antialias else 1.0
    sample = (np.arange(n, dtype=dtype) + 0.5) * inv - translation * inv - 0.5
    x = np.abs(sample[None, :] - np.arange(m, dtype=dtype)[:, None]) / kscale
    w = kernel(x).astype(dtype)
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps), w / np.where(total != 0, total, 1), 0)
    return np.where(((sample >= -0.5) & (sample <= m - 0.5))[None, :], w, 0)


def _check_method(method):
    if method not in _METHODS:
        raise ValueError(f"Invalid value for argument `method`. Expected of one {set(_METHODS)}. "
                         f"Received: method={method}")


def _sat_ref(images, scale, translation, output_shape, spatial_dims, method, antialias):
    _check_method(method)
    x = images if is_floating(str(images.dtype)) else images.astype("float32")
    st_dtype = np.result_type(scale.dtype, translation.dtype, np.float32)
    for i, d in enumerate(spatial_dims):
        d = d % x.ndim
        w = _weights_np(x.shape[d], output_shape[d], st_dtype.type(scale[i]), st_dtype.type(translation[i]),
                        KERNELS[_METHODS[method]], antialias).astype(x.dtype)
        x = np.moveaxis(np.tensordot(x, w, axes=([d], [0])), -1, d)
    return x


def _sat_lower(images, scale, translation, output_shape, spatial_dims, method, antialias):
    _check_method(method)
    return jax.image.scale_and_translate(images, tuple(output_shape), tuple(spatial_dims), scale, translation,
                                         method, antialias)


def _sat_shape(types, attrs):
    _check_method(attrs["method"])
    if len(attrs["output_shape"]) != types[0].rank:
        raise ValueError(f"output_shape must have length equal to the number of dimensions of images; "
                         f"{attrs['output_shape']} vs {types[0].shape}")
    return [tuple(attrs["output_shape"])]


_scale_and_translate = op(
    "scale_and_translate", "images, scale, translation, output_shape, spatial_dims, method, antialias=True",
    _sat_lower, _sat_ref, shape=_sat_shape, dtype=F.floating, ns=None,
    tensors=("images", "scale", "translation"), cost=F.per_output(16),
    doc="resample the spatial dims by scale and translation (jax.image.scale_and_translate kernels)")


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """Scale and translate ``images`` along ``spatial_dims`` into ``output_shape``, as
    ``keras.ops.image.scale_and_translate`` (methods linear / cubic / lanczos3 / lanczos5 and their aliases)."""
    return _scale_and_translate(images, scale, translation, [int(s) for s in output_shape],
                                [int(d) for d in spatial_dims], method, antialias)


alias("scale_and_translate", scale_and_translate, ns="image")
alias("affine_transform", affine_transform, ns="image")


# -- elastic_transform (random) -----------------------------------------------------------
def _elastic_infer(types, attrs):
    t = types[0]
    if t.rank not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={t.shape}")
    if not is_floating(t.dtype):
        raise ValueError(f"elastic_transform: images must be floating point, got {t.dtype}")
    if attrs["interpolation"] not in _ORDERS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {set(_ORDERS)}. "
                         f"Received: interpolation={attrs['interpolation']}")
    if attrs["fill_mode"] not in FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected of one {set(FILL_MODES)}. "
                         f"Received: fill_mode={attrs['fill_mode']}")
    return [t]


@defop("elastic_transform", infer=_elastic_infer, layout="opaque", effect="random",
       attrs={"alpha": Attr("float", 20.0), "sigma": Attr("float", 5.0), "interpolation": Attr("str", "bilinear"),
              "fill_mode": Attr("str", "reflect"), "fill_value": Attr("float", 0.0),
              "seed": Attr("optional_int", None), "data_format": Attr("str", "channels_last")},
       cost=F.per_output(40), public="kxla.ops.image.elastic_transform",
       doc="displace pixels by Gaussian-smoothed random fields (Keras: one field for both axes)")
def _elastic(ctx, images, alpha, sigma, interpolation, fill_mode, fill_value, seed, data_format):
    from .image_filters import depthwise, gaussian_kernel_1d
    from .random_ops import _key
    x = images[None] if images.ndim == 3 else images
    if data_format == "channels_first":
        x = jnp.moveaxis(x, 1, -1)
    n, h, w, c = x.shape
    size = int(6 * sigma) | 1
    # Keras draws dx and dy from the same key: one field serves both axes
    field = jax.random.normal(_key(ctx, seed), (n, h, w), x.dtype) * jnp.asarray(sigma, x.dtype)
    g = gaussian_kernel_1d(size, sigma, jnp, x.dtype)
    field = depthwise(field[..., None], jnp.outer(g, g), "same")[..., 0]
    gx, gy = jnp.meshgrid(jnp.arange(w), jnp.arange(h))
    ys, xs = gy[None] + alpha * field, gx[None] + alpha * field
    sample = jax.vmap(lambda img, y, xx: jax.scipy.ndimage.map_coordinates(img, [y, xx], _ORDERS[interpolation],
                                                                           fill_mode, fill_value),
                      in_axes=(2, None, None), out_axes=-1)
    out = jax.vmap(sample)(x, ys, xs).astype(images.dtype)
    if data_format == "channels_first":
        out = jnp.moveaxis(out, -1, 1)
    return out[0] if images.ndim == 3 else out


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                      seed=None, data_format=None):
    """Elastic deformation of ``images``, as ``keras.ops.image.elastic_transform`` (an int ``seed`` gives
    Keras's own draw; None draws from the step's key in a graph, the global generator eagerly)."""
    from ..config import standardize_data_format
    return apply("elastic_transform", images, alpha=float(alpha), sigma=float(sigma), interpolation=interpolation,
                 fill_mode=fill_mode, fill_value=float(fill_value), seed=None if seed is None else int(seed),
                 data_format=standardize_data_format(data_format))


alias("elastic_transform", elastic_transform, ns="image")
