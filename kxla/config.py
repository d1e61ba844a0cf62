"""Process-wide settings: image data format, float type, dtype policy, compilation cache."""
from __future__ import annotations

import os

_FORMATS = ("channels_last", "channels_first")
_settings = {"image_data_format": os.environ.get("KXLA_IMAGE_DATA_FORMAT", "channels_last"),
             "floatx": "float32", "epsilon": 1e-7}
if _settings["image_data_format"] not in _FORMATS:
    raise ValueError(f"KXLA_IMAGE_DATA_FORMAT must be one of {_FORMATS}, "
                     f"got {_settings['image_data_format']!r}")


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
    _settings["floatx"] = dtype


def epsilon() -> float:
    return _settings["epsilon"]


def set_epsilon(value: float) -> None:
    _settings["epsilon"] = float(value)
