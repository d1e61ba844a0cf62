"""Quantized dtype policies (Keras 3's names): ``"<mode>_from_<source policy>"``.

``QuantizedDTypePolicy("int8", "float32")`` is named ``"int8_from_float32"``;
its compute and variable dtypes are the source policy's. ``Int4DTypePolicy``
carries a block size (``"int4/128_from_float32"``), ``GPTQDTypePolicy`` and
``AWQDTypePolicy`` bits and group size (``"gptq/4/128_from_float32"``),
``QuantizedFloat8DTypePolicy`` the amax history length.
"""
from __future__ import annotations

from ..config import DTypePolicy, dtype_policy

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


class QuantizedDTypePolicy(DTypePolicy):
    """A quantized policy: ``mode`` (int8, int4, float8, gptq, awq) over the float policy ``source_name``."""

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = dtype_policy().name
        source = DTypePolicy(source_name)
        self.compute_dtype, self.variable_dtype = source.compute_dtype, source.variable_dtype
        self._check_quantization_mode(mode, self.compute_dtype)
        self.name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    @property
    def quantization_mode(self):
        return self._quantization_mode

    @property
    def source_name(self):
        return self._source_name

    def _check_quantization_mode(self, mode, compute_dtype):
        if mode not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")
        if compute_dtype == "float16" and mode == "int8":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")

    def get_config(self):
        return {"mode": self._quantization_mode, "source_name": self._source_name}

    def _same(self, other):
        return type(other) is type(self) and other.name == self.name

    def __eq__(self, other):
        return self._same(other) and other._quantization_mode == self._quantization_mode and \
            other._source_name == self._source_name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<{type(self).__name__} "{self.name}">'


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """float8 policy with the length of the amax history used for its scaling factors."""

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode=mode, source_name=source_name)
        if not isinstance(amax_history_length, int):
            raise TypeError(f"`amax_history_length` must be an integer. Received: amax_history_length="
                            f"{amax_history_length}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        return self._amax_history_length

    def __eq__(self, other):
        return super().__eq__(other) and self._amax_history_length == other._amax_history_length

    __hash__ = QuantizedDTypePolicy.__hash__

    def get_config(self):
        return {**super().get_config(), "amax_history_length": self.amax_history_length}


def _parse_mode(cls_name, mode, base, n_ints, fmt):
    parts = mode.split("/") if isinstance(mode, str) else []
    if len(parts) != n_ints + 1 or parts[0] != base:
        raise ValueError(f"Invalid mode for {cls_name}. Expected format {fmt}, but got '{mode}'.")
    try:
        return [int(p) for p in parts[1:]]
    except ValueError:
        raise ValueError(f"Invalid mode for {cls_name}. The numbers in the mode must be integers. Expected format "
                         f"{fmt}, but got '{mode}'.") from None


def _check_group(size, mode, what="group_size", whole="whole-tensor"):
    if size < -1 or size == 0:
        raise ValueError(f"Invalid {what} in mode. Supported values are -1 ({whole}) or a positive integer, "
                         f"but got {size} from '{mode}'.")


class Int4DTypePolicy(QuantizedDTypePolicy):
    """int4 with a block size: ``mode="int4/<block_size>"`` (-1: per channel)."""

    def __init__(self, mode, source_name=None):
        (block_size,) = _parse_mode("Int4DTypePolicy", mode, "int4", 1, "'int4/<block_size>'")
        _check_group(block_size, mode, "block_size", "per-channel")
        super().__init__(mode="int4", source_name=source_name)
        self.name = f"{mode}_from_{source_name}"
        self.mode, self.block_size = "int4", block_size

    def __eq__(self, other):
        return super().__eq__(other) and self.block_size == other.block_size

    __hash__ = QuantizedDTypePolicy.__hash__

    def get_config(self):
        return {**super().get_config(), "mode": f"int4/{self.block_size}"}


class _BitsGroupPolicy(QuantizedDTypePolicy):
    _base = ""

    def __init__(self, mode, source_name=None):
        cls = type(self).__name__
        bits, group = _parse_mode(cls, mode, self._base, 2, f"'{self._base}/<weight_bits>/<group_size>'")
        self._check_bits(bits, mode)
        _check_group(group, mode, whole="whole-tensor" if self._base == "gptq" else "per-channel")
        super().__init__(mode=self._base, source_name=source_name)
        self.name = f"{mode}_from_{source_name}"
        self.mode, self.weight_bits, self.group_size = self._base, bits, group

    def __eq__(self, other):
        return super().__eq__(other) and (self.weight_bits, self.group_size) == (other.weight_bits, other.group_size)

    __hash__ = QuantizedDTypePolicy.__hash__

    def get_config(self):
        return {**super().get_config(), "mode": f"{self._base}/{self.weight_bits}/{self.group_size}"}


class GPTQDTypePolicy(_BitsGroupPolicy):
    """GPTQ: ``mode="gptq/<weight_bits>/<group_size>"`` (bits 2, 3, 4 or 8)."""

    _base = "gptq"

    @staticmethod
    def _check_bits(bits, mode):
        if bits not in [2, 3, 4, 8]:
            raise ValueError(f"Invalid weight_bits in mode. Supported values are 2, 3, 4, and 8, but got {bits} "
                             f"from '{mode}'.")


class AWQDTypePolicy(_BitsGroupPolicy):
    """AWQ: ``mode="awq/4/<group_size>"`` (4 bits only)."""

    _base = "awq"

    @staticmethod
    def _check_bits(bits, mode):
        if bits != 4:
            raise ValueError(f"Invalid weight_bits in mode. AWQ only supports 4-bit quantization, but got {bits} "
                             f"from '{mode}'.")


def policy_from_string(policy: str) -> QuantizedDTypePolicy:
    """``"int8_from_float32"`` and friends -> the matching quantized policy."""
    if not isinstance(policy, str):
        raise TypeError(f"`policy` must be a string. Received: policy={policy}")
    if not policy.startswith(QUANTIZATION_MODES):
        raise ValueError("`policy` is incompatible with the current supported quantization.")
    split = policy.split("_from_")
    if len(split) != 2:
        raise ValueError("Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
                         f"`QuantizedDTypePolicy`. Received: policy={policy}")
    mode, source = split
    if policy.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source)
    if policy.startswith("gptq"):
        return GPTQDTypePolicy(mode, source)
    if policy.startswith("awq"):
        return AWQDTypePolicy(mode, source)
    if policy.startswith("float8"):
        return QuantizedFloat8DTypePolicy(mode, source)
    return QuantizedDTypePolicy(mode, source)
