"""Quantization configs (``keras.quantizers.*Config``) and the mode/config resolution ``quantize`` uses.

GPTQ and AWQ configs exist with Keras's arguments and checks; kxla does not run
those calibration algorithms, so ``model.quantize("gptq" / "awq", config=...)``
raises ``NotImplementedError`` naming the mode (see ``check_supported``).
"""
from __future__ import annotations

from . import serial

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
SUPPORTED_MODES = ("int8", "int4", "float8", "gptq")


def _quantizers_table():
    from . import ALL_OBJECTS_DICT
    return ALL_OBJECTS_DICT


class QuantizationConfig:
    """Base class of quantization configs: a weight quantizer and an activation quantizer."""

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError("Subclasses must implement this property. Do not instantiate "
                                  "QuantizationConfig directly.")

    def get_config(self):
        return {"weight_quantizer": serial.serialize(self.weight_quantizer, "keras.quantizers"),
                "activation_quantizer": serial.serialize(self.activation_quantizer, "keras.quantizers")}

    @classmethod
    def _quantizers_from(cls, config):
        table = _quantizers_table()
        return (serial.deserialize(config.get("weight_quantizer"), table, what="quantizer"),
                serial.deserialize(config.get("activation_quantizer"), table, what="quantizer"))

    @classmethod
    def from_config(cls, config):
        weight, activation = cls._quantizers_from(config)
        return cls(weight_quantizer=weight, activation_quantizer=activation)

    @staticmethod
    def weight_quantizer_or_default(config, default):
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        if config is not None:
            return config.activation_quantizer
        return default


class Int8QuantizationConfig(QuantizationConfig):
    """int8 weights (per output channel) and, by default, int8 activations (``AbsMaxQuantizer()``)."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        from .quantizers import AbsMaxQuantizer
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if self.weight_quantizer is not None and self.weight_quantizer.output_dtype != "int8":
            raise ValueError("Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                             f"Received: output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """int4 weights, per channel (``block_size`` None or -1) or in groups of ``block_size`` input rows."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(f"block_size must be None, -1, or a positive integer. Received: block_size={block_size}")
        self.block_size = block_size
        sub_channel = block_size is not None and block_size > 0
        if sub_channel and (self.weight_quantizer is not None or self.activation_quantizer is not None):
            raise ValueError("Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. "
                             "Either set block_size to None or -1 for per-channel quantization, or remove the "
                             f"custom quantizer arguments. Received: block_size={block_size}")
        if self.weight_quantizer is not None:
            if tuple(self.weight_quantizer.value_range) != (-8, 7):
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). "
                                 f"Received: value_range={self.weight_quantizer.value_range}")
            if self.weight_quantizer.output_dtype != "int8":
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                                 f"Received: output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config):
        weight, activation = cls._quantizers_from(config)
        return cls(weight_quantizer=weight, activation_quantizer=activation,
                   block_size=config.get("block_size", None))


class Float8QuantizationConfig(QuantizationConfig):
    """FP8 training with delayed scaling (no user quantizers): ``quantize("float8")``."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


def _check_group_size(group_size, whole="whole-tensor"):
    if group_size < -1 or group_size == 0:
        raise ValueError(f"Invalid group_size. Supported values are -1 ({whole}) or a positive integer, "
                         f"but got {group_size}.")


class GPTQConfig(QuantizationConfig):
    """GPTQ settings (Keras's arguments and checks): ``model.quantize("gptq", config=...)`` calibrates Dense
    layers block by block (``kxla.models.quantize_gptq``)."""

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128, per_channel=True,
                 sequence_length=512, hessian_damping=0.01, group_size=128, symmetric=False,
                 activation_order=False, quantization_layer_structure=None):
        super().__init__()
        if weight_bits not in [2, 3, 4, 8]:
            raise ValueError(f"Unsupported weight_bits {weight_bits}. Supported values are 2, 3, 4, and 8.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        if hessian_damping < 0 or hessian_damping > 1:
            raise ValueError("hessian_damping must be between 0 and 1.")
        _check_group_size(group_size)
        self.dataset, self.tokenizer = dataset, tokenizer
        self.num_samples, self.per_channel, self.sequence_length = num_samples, per_channel, sequence_length
        self.hessian_damping, self.weight_bits, self.group_size = hessian_damping, weight_bits, group_size
        self.symmetric, self.activation_order = symmetric, activation_order
        self.quantization_layer_structure = quantization_layer_structure

    def get_config(self):
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length, "hessian_damping": self.hessian_damping,
                "group_size": self.group_size, "symmetric": self.symmetric,
                "activation_order": self.activation_order,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def mode(self):
        return "gptq"

    def dtype_policy_string(self):
        return f"gptq/{self.weight_bits}/{self.group_size}"


class AWQConfig(QuantizationConfig):
    """AWQ settings (Keras's arguments and checks). kxla does not run AWQ calibration."""

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128, sequence_length=512,
                 group_size=128, num_grid_points=20, quantization_layer_structure=None):
        super().__init__()
        if weight_bits != 4:
            raise ValueError(f"AWQ only supports 4-bit quantization. Received weight_bits={weight_bits}.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        _check_group_size(group_size, "per-channel")
        if num_grid_points <= 0:
            raise ValueError("num_grid_points must be a positive integer.")
        self.dataset, self.tokenizer, self.weight_bits = dataset, tokenizer, weight_bits
        self.num_samples, self.sequence_length, self.group_size = num_samples, sequence_length, group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "awq"

    def dtype_policy_string(self):
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _validate_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")


_DEFAULTS = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig, "float8": Float8QuantizationConfig}


def validate_and_resolve_config(mode, config):
    """The config ``quantize(mode, config)`` uses (Keras's rules: a string config is a mode, a mode alone
    gets its default config, GPTQ/AWQ need their config object, mode and config must agree)."""
    if isinstance(config, str):
        mode, config = config, None
    _validate_mode(mode)
    if config is None:
        if mode in _DEFAULTS:
            config = _DEFAULTS[mode]()
        elif mode in ("gptq", "awq"):
            cls = "GPTQConfig" if mode == "gptq" else "AWQConfig"
            raise ValueError(f"For {mode.upper()}, you must pass a `{cls}` object in the `config` argument.")
        else:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    elif not isinstance(config, QuantizationConfig):
        raise ValueError("Argument `config` must be an instance of `QuantizationConfig`. "
                         f"Received: config={config} (of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _validate_mode(config.mode)
    expected = {"gptq": GPTQConfig, "awq": AWQConfig}.get(config.mode)
    if expected is not None and not isinstance(config, expected):
        raise ValueError(f"Mode '{config.mode}' requires a valid `config` argument of type "
                         f"`{expected.__name__}`. Received: {type(config)}")
    return config


class UnsupportedQuantization(NotImplementedError):
    """What Keras quantizes but kxla does not (a mode, or a layer's mode): ``model.quantize`` re-raises it
    instead of warning and skipping the layer."""


def check_supported(mode, where="quantize"):
    """Raise ``NotImplementedError`` naming ``mode`` when kxla cannot run it (awq)."""
    if mode in SUPPORTED_MODES:
        return
    what = {"gptq": "GPTQ calibration", "awq": "AWQ calibration"}.get(mode, f"quantization mode {mode!r}")
    raise UnsupportedQuantization(f"{where}: kxla does not support mode={mode!r} ({what}); supported modes are "
                              f"{SUPPORTED_MODES}")
