"""Hashing and HashedCrossing (Keras 3): strings or integers hashed into bins, on the host before the graph.

Keras computes these with TensorFlow's string ops (it needs TensorFlow even
on the JAX backend); kxla computes the same hashes in Python
(``hash_functions``): FarmHash ``Fingerprint64`` of the value's text, or
SipHash-2-4 with the ``salt`` as key; crossings chain each feature's hash
(a string's fingerprint, an integer's own value) with TensorFlow's
``FingerprintCat64`` from its default key. Integer results are int32 arrays
(Keras's int64 on the JAX backend without x64); ``one_hot`` /
``multi_hot`` / ``count`` encode them as ``CategoryEncoding`` does.
"""
from __future__ import annotations

import numpy as np

from .encoding import encode_categorical
from .hash_functions import fingerprint64, siphash
from .lookup import HostLayer

_MODES = ("int", "one_hot", "multi_hot", "count")
_M = (1 << 64) - 1
_CROSS_KEY = 0xDECAFCAFFE          # tf.sparse.cross_hashed's default hash key


def _host_array(name, inputs):
    from ...ops.tracing import KerasTensor
    if isinstance(inputs, KerasTensor):
        raise ValueError(f"{name} runs on the host before the graph (as Keras's, outside tf.data): call it on "
                         "arrays, lists or strings, not on a symbolic tensor")
    arr = np.asarray(inputs)
    if arr.dtype.kind not in "USOiub" and arr.dtype.kind != "f":
        raise ValueError(f"{name}: inputs must be strings or integers, got dtype {arr.dtype}")
    return arr


def _text(value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return str(int(value)).encode()


def _check_mode(output_mode, sparse):
    if output_mode not in _MODES:
        raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {_MODES}. "
                         f"Received: output_mode={output_mode}")
    if sparse:
        raise ValueError("sparse=True is not supported (kxla has no sparse tensors; Keras supports it only "
                         "with the TensorFlow backend)")


def _encode(indices, output_mode, depth, dtype):
    import jax.numpy as jnp
    from ... import ops
    if output_mode == "int":
        return jnp.asarray(indices.astype(np.int32))
    x = jnp.asarray(indices.astype(np.int32))
    if output_mode == "one_hot" and x.ndim > 0 and x.shape[-1] == 1:
        x = ops.squeeze(x, -1)
    return encode_categorical(x, output_mode, depth, dtype=dtype)


class Hashing(HostLayer):
    """Hash strings or integers into ``num_bins`` bins (``keras.layers.Hashing``)."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        from ...config import floatx
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                             f"Received: num_bins={num_bins}.")
        _check_mode(output_mode, sparse)
        self.num_bins, self.mask_value, self.output_mode, self.sparse = num_bins, mask_value, output_mode, sparse
        self.strong_hash = salt is not None
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError("The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a "
                                 f"single integer. Received: salt={salt}.")

    def _bins(self, arr):
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = arr == np.asarray(self.mask_value, dtype=arr.dtype if arr.dtype.kind in "USO" else None)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
        flat = [(siphash(self.salt, _text(v)) if self.strong_hash else fingerprint64(_text(v))) % bins
                for v in arr.reshape(-1).tolist()]
        out = np.asarray(flat, np.int64).reshape(arr.shape)
        return np.where(mask, 0, out + 1) if mask is not None else out

    def call(self, inputs):
        arr = _host_array("Hashing", inputs)
        return _encode(self._bins(arr), self.output_mode, self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return (self.num_bins,) if len(input_shape) == 0 else tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}


def _cat(fp1, fp2):
    """TensorFlow's ``FingerprintCat64``."""
    mul = 0xc6a4a7935bd1e995
    out = fp1 ^ mul
    product = (fp2 * mul) & _M
    out ^= ((product ^ (product >> 47)) * mul) & _M
    out = (out * mul) & _M
    out = (((out ^ (out >> 47)) * mul) & _M)
    return out ^ (out >> 47)


class HashedCrossing(HostLayer):
    """Hash the cross of several categorical features into ``num_bins`` bins (``keras.layers.HashedCrossing``)."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        from ...config import floatx
        if dtype is None:
            dtype = "int64" if output_mode == "int" else floatx()
        super().__init__(name=name, dtype=dtype, **kwargs)
        _check_mode(output_mode, sparse)
        self.num_bins, self.output_mode, self.sparse = num_bins, output_mode, sparse

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of inputs. Received: "
                             f"inputs={inputs}")
        if len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on at least two inputs. Received: inputs={inputs}")
        arrays = [_host_array("HashedCrossing", x) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError("All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                             f"`(batch_size, 1)`. Received: inputs={inputs}")
        if any(a.shape != shape for a in arrays[1:]):
            raise ValueError(f"All `HashedCrossing` inputs should have equal shape. Received: inputs={inputs}")
        if any(a.dtype.kind not in "USOiub" for a in arrays):
            raise ValueError(f"All `HashedCrossing` inputs should have an integer or string dtype. "
                             f"Received: inputs={inputs}")
        columns = [a.reshape(-1).tolist() for a in arrays]
        out = []
        for row in zip(*columns):
            h = _CROSS_KEY
            for v in row:
                h = _cat(h, fingerprint64(_text(v)) if isinstance(v, (str, bytes)) else int(v) & _M)
            out.append(h % self.num_bins)
        return _encode(np.asarray(out, np.int64).reshape(shape), self.output_mode, self.num_bins,
                       self.compute_dtype)

    def compute_output_shape(self, input_shapes):
        first = tuple(input_shapes[0])
        if self.output_mode == "int":
            return first
        if not first:
            return (self.num_bins,)
        return first + (self.num_bins,) if self.output_mode == "one_hot" and first[-1] != 1 else \
            first[:-1] + (self.num_bins,)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": self.dtype}
