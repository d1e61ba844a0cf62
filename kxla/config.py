"""Process-wide settings: image data format, float type, dtype policy, compilation cache.

``enable_compilation_cache`` imports jax when called; the rest of this module imports nothing heavy.
"""
from __future__ import annotations

import json
import os

_FORMATS = ("channels_last", "channels_first")
_FLOATS = ("float16", "bfloat16", "float32", "float64")


def kxla_home() -> str:
    """kxla's settings directory: ``$KXLA_HOME``, else ``~/.kxla`` (Keras's ``~/.keras`` counterpart)."""
    return os.path.expanduser(os.environ.get("KXLA_HOME") or os.path.join("~", ".kxla"))


def _read_settings_file() -> dict:
    """``kxla.json`` in ``kxla_home()`` as Keras reads ``keras.json``: floatx, epsilon, image_data_format.

    A missing file is written with the defaults when the directory is writable (as Keras does); an
    unreadable file is ignored; a file with a bad value raises, naming the file."""
    path = os.path.join(kxla_home(), "kxla.json")
    defaults = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}
    if not os.path.exists(path):
        try:
            os.makedirs(kxla_home(), exist_ok=True)
            with open(path, "w") as f:
                f.write(json.dumps(defaults, indent=4))
        except OSError:
            pass
        return defaults
    try:
        with open(path) as f:
            found = json.load(f)
    except (OSError, ValueError):
        return defaults
    settings = {**defaults, **{k: found[k] for k in defaults if k in found}}
    if settings["floatx"] not in _FLOATS or settings["image_data_format"] not in _FORMATS or \
            not isinstance(settings["epsilon"], (int, float)):
        raise ValueError(f"{path}: floatx must be one of {_FLOATS}, image_data_format one of {_FORMATS} and "
                         f"epsilon a number; got {settings}")
    return settings


_settings = _read_settings_file()
_settings["image_data_format"] = os.environ.get("KXLA_IMAGE_DATA_FORMAT", _settings["image_data_format"])
_settings["floatx"] = os.environ.get("KXLA_FLOATX", _settings["floatx"])
_settings["epsilon"] = float(_settings["epsilon"])
if _settings["image_data_format"] not in _FORMATS:
    raise ValueError(f"KXLA_IMAGE_DATA_FORMAT must be one of {_FORMATS}, "
                     f"got {_settings['image_data_format']!r}")
if _settings["floatx"] not in _FLOATS:
    raise ValueError(f"KXLA_FLOATX must be one of {_FLOATS}, got {_settings['floatx']!r}")


def image_data_format() -> str:
    """The default ``data_format`` of conv, pooling and normalization layers."""
    return _settings["image_data_format"]


def set_image_data_format(data_format: str) -> None:
    if data_format not in _FORMATS:
        raise ValueError(f"data_format must be one of {_FORMATS}, got {data_format!r}")
    _settings["image_data_format"] = data_format


def standardize_data_format(data_format) -> str:
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in _FORMATS:
        raise ValueError(f"data_format must be one of {_FORMATS}, got {data_format!r}")
    return data_format


def floatx() -> str:
    return _settings["floatx"]


def set_floatx(dtype: str) -> None:
    if dtype not in _FLOATS:
        raise ValueError(f"Unknown `floatx` value: {dtype}. Expected one of {_FLOATS}")
    _settings["floatx"] = str(dtype)


def backend() -> str:
    """The array backend: kxla always lowers to JAX (Keras's ``"jax"``)."""
    return "jax"


def set_backend(backend: str) -> None:
    """Only ``"jax"`` exists in kxla; any other name raises."""
    if backend != "jax":
        raise ValueError(f"kxla compiles to JAX only; set_backend({backend!r}) is not supported")


def is_nnx_enabled() -> bool:
    """Keras's Flax NNX integration: kxla never uses it."""
    return False


def epsilon() -> float:
    return _settings["epsilon"]


def set_epsilon(value: float) -> None:
    _settings["epsilon"] = float(value)


# -- dtype policies (mixed precision) ------------------------------------------------------
class DTypePolicy:
    """A dtype policy (Keras 3's names): the dtype variables are stored in and the dtype math runs in.

    ``"float32"`` (both float32), ``"mixed_bfloat16"`` / ``"mixed_float16"``
    (variables float32, matmuls and convolutions in bfloat16 / float16, loss
    in float32). kxla realises a mixed policy as an IR pass
    (``mixed-precision{policy=...}``) that casts around matmul and conv nodes;
    ``"mixed_float16"`` also turns on dynamic loss scaling in the train step.

    Attributes:
      name: the policy name.
      compute_dtype: dtype of matmul/conv math.
      variable_dtype: dtype of the weights (always float32 for mixed policies).
    """

    _POLICIES = {"float32": ("float32", "float32"), "mixed_bfloat16": ("bfloat16", "float32"),
                 "mixed_float16": ("float16", "float32"), "bfloat16": ("bfloat16", "bfloat16"),
                 "float16": ("float16", "float16")}

    def __init__(self, name: str | None = None):
        if isinstance(name, DTypePolicy):
            name = name.name
        name = floatx() if name is None else name
        if name not in self._POLICIES:
            raise ValueError(f"Unknown dtype policy {name!r}; expected one of {sorted(self._POLICIES)}")
        self.name = name
        self.compute_dtype, self.variable_dtype = self._POLICIES[name]

    @property
    def quantization_mode(self):
        """Quantized policies (int8, float8, ...) are not supported by kxla: always None."""
        return None

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "DTypePolicy":
        return cls(**config)

    @property
    def is_mixed(self) -> bool:
        return self.compute_dtype != self.variable_dtype

    @property
    def needs_loss_scaling(self) -> bool:
        """float16 compute needs dynamic loss scaling; bfloat16 has float32's exponent range."""
        return self.compute_dtype == "float16"

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


def is_policy_name(dtype) -> bool:
    """Whether ``dtype`` names a mixed dtype policy (``"mixed_bfloat16"``) or is a DTypePolicy."""
    return isinstance(dtype, DTypePolicy) or (isinstance(dtype, str) and dtype.startswith("mixed_"))


_settings["dtype_policy"] = DTypePolicy("float32")


def set_dtype_policy(policy) -> None:
    """Set the process-wide dtype policy: ``"float32"``, ``"mixed_bfloat16"`` or ``"mixed_float16"``.

    Arguments:
      policy: a policy name or a ``DTypePolicy``. Layers created with ``dtype=None``
        follow it; models compiled after this call insert the mixed-precision pass.
    """
    _settings["dtype_policy"] = DTypePolicy(policy)


def dtype_policy() -> DTypePolicy:
    """The process-wide ``DTypePolicy`` (default ``"float32"``)."""
    return _settings["dtype_policy"]


# -- the persistent compilation cache ---------------------------------------------------------
def enable_compilation_cache(path: str | None = None, min_compile_time_secs: float = 0.0) -> str:
    """Turn on JAX's persistent compilation cache, so a later process skips XLA compilation.

    Every XLA program compiled from now on (train/eval/predict steps included)
    is written to ``path``; a process that compiles the same program (same
    model, shapes, jax/XLA version and flags) loads it from there instead.
    ``model.compile_stats()`` reports ``cache_hits`` / ``cache_misses`` per mode.
    The directory is trusted code: do not share it with users you do not trust.

    Arguments:
      path: the cache directory (created if missing); default
        ``$KXLA_CACHE_DIR`` or ``~/.cache/kxla/xla``.
      min_compile_time_secs: programs that compiled faster than this are not written.

    Returns:
      The absolute cache directory.
    """
    import jax
    path = os.path.abspath(os.path.expanduser(
        path or os.environ.get("KXLA_CACHE_DIR") or os.path.join("~", ".cache", "kxla", "xla")))
    os.makedirs(path, exist_ok=True)
    previous = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_time_secs))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    if previous and previous != path:
        from jax.experimental.compilation_cache import compilation_cache
        compilation_cache.reset_cache()
    _settings["compilation_cache"] = path
    return path


def compilation_cache_dir() -> str | None:
    """The directory given to ``enable_compilation_cache``, or None."""
    return _settings.get("compilation_cache")


# -- Keras's debugging and logging switches -------------------------------------------------------
def _env_int(name: str):
    value = os.environ.get(name)
    return int(value) if value else None


_settings.update(max_epochs=_env_int("KXLA_MAX_EPOCHS") or _env_int("KERAS_MAX_EPOCHS"),
                 max_steps_per_epoch=_env_int("KXLA_MAX_STEPS_PER_EPOCH") or _env_int("KERAS_MAX_STEPS_PER_EPOCH"),
                 flash_attention=None, interactive_logging=True, traceback_filtering=True, safe_mode_saving=None)


def set_max_epochs(max_epochs) -> None:
    """Cap the epochs of every ``fit`` (a debugging aid; None: no cap). Also ``$KERAS_MAX_EPOCHS``."""
    _settings["max_epochs"] = max_epochs


def max_epochs():
    """The cap ``set_max_epochs`` set (or ``$KERAS_MAX_EPOCHS``), None when there is none."""
    return _settings["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch) -> None:
    """Cap the steps of one epoch of ``fit`` / ``evaluate`` / ``predict`` (None: no cap)."""
    _settings["max_steps_per_epoch"] = max_steps_per_epoch


def max_steps_per_epoch():
    """The cap ``set_max_steps_per_epoch`` set (or ``$KERAS_MAX_STEPS_PER_EPOCH``), None when there is none."""
    return _settings["max_steps_per_epoch"]


def capped_epochs(epochs: int) -> int:
    """``epochs`` limited by ``max_epochs()``, warning as Keras does when it limits."""
    cap = _settings["max_epochs"]
    if cap and cap < epochs:
        import warnings
        warnings.warn("Limiting epochs to %d" % cap)
        return cap
    return epochs


def capped_steps(steps):
    """``steps_per_epoch`` (None: the whole data) limited by ``max_steps_per_epoch()``, warning as Keras."""
    cap = _settings["max_steps_per_epoch"]
    if cap and (not steps or cap < steps):
        import warnings
        warnings.warn("Limiting steps_per_epoch to %d" % cap)
        return cap
    return steps


def enable_flash_attention() -> None:
    """Let attention layers pick flash attention (the default: ``is_flash_attention_enabled()`` is None)."""
    _settings["flash_attention"] = None


def disable_flash_attention() -> None:
    """Attention layers never ask for flash attention."""
    _settings["flash_attention"] = False


def is_flash_attention_enabled():
    """False when disabled, None (auto, as Keras's default) otherwise."""
    return _settings["flash_attention"]


def enable_interactive_logging() -> None:
    """Progress bars and training messages go to stdout (the default)."""
    _settings["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """Progress bars and training messages go to the ``logging`` module (logger ``"kxla"``, level INFO)."""
    _settings["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    return _settings["interactive_logging"]


def enable_traceback_filtering() -> None:
    """Errors raised through kxla's entry points show the user's frames only (the default)."""
    _settings["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """Errors keep kxla's internal frames in their traceback."""
    _settings["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    return _settings["traceback_filtering"]


def enable_unsafe_deserialization() -> None:
    """Let every loader run code stored in a file (a Lambda's bytecode), as ``safe_mode=False`` does."""
    _settings["safe_mode_saving"] = False


def in_safe_mode():
    """False after ``enable_unsafe_deserialization()`` (overrides a loader's ``safe_mode``), else None."""
    return _settings["safe_mode_saving"]
