"""kxla.backend = keras.backend: global settings, dtype helpers, name uids and ``clear_session``."""
from __future__ import annotations

import jax.numpy as jnp

from ..config import backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format

__all__ = ["backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format", "is_float_dtype",
           "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon", "set_floatx", "set_image_data_format",
           "standardize_dtype"]

ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
                  "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64", "complex128")
_PYTHON = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32", complex: "complex64"}
_UIDS: dict[str, int] = {}


def standardize_dtype(dtype) -> str:
    """A dtype (None, Python type, numpy/jax dtype or name) as Keras's canonical name; None is ``floatx()``."""
    if dtype is None:
        return floatx()
    dtype = _PYTHON.get(dtype, dtype) if isinstance(dtype, (type, str)) else dtype
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype) -> bool:
    dtype = standardize_dtype(dtype)
    return dtype.startswith("float") or dtype.startswith("bfloat")


def is_int_dtype(dtype) -> bool:
    dtype = standardize_dtype(dtype)
    return dtype.startswith("int") or dtype.startswith("uint")


def result_type(*dtypes) -> str:
    """The promoted dtype of ``dtypes`` on JAX's lattice, canonicalised as JAX does (Keras 3 on JAX); none
    given: floatx."""
    if not dtypes:
        return floatx()
    names = [standardize_dtype(d) for d in dtypes]
    if "string" in names:
        if set(names) != {"string"}:
            raise ValueError(f"Cannot promote a string dtype with {names}")
        return "string"
    out = names[0]
    for name in names[1:]:
        out = jnp.promote_types(out, name).name
    import jax
    return jax.dtypes.canonicalize_dtype(out).name      # 64-bit types are 32-bit unless jax_enable_x64


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor (a kxla ``KerasTensor``)."""
    from ..ops import KerasTensor
    return isinstance(x, KerasTensor)


def get_uid(prefix: str = "") -> int:
    """1, 2, 3 ... per ``prefix`` until ``clear_session()``."""
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def clear_session(free_memory: bool = True) -> None:
    """Forget auto-name counters and uids (new layers are named ``dense``, ``dense_1`` ... again); with
    ``free_memory``, also drop JAX's compiled-function caches."""
    from ..layers.layer import reset_names
    reset_names()
    _UIDS.clear()
    if free_memory:
        import gc

        import jax
        jax.clear_caches()
        gc.collect()
