"""kxla.config: the default data_format, from the API and from KXLA_IMAGE_DATA_FORMAT."""
import subprocess
import sys

import pytest

import kxla
from kxla import layers


def test_set_image_data_format_changes_layer_defaults():
    assert kxla.config.image_data_format() == "channels_last"
    try:
        kxla.config.set_image_data_format("channels_first")
        assert layers.Conv2D(2, 3).data_format == "channels_first"
        assert layers.MaxPooling2D().data_format == "channels_first"
    finally:
        kxla.config.set_image_data_format("channels_last")
    assert layers.Conv2D(2, 3).data_format == "channels_last"
    with pytest.raises(ValueError, match="channels_last"):
        kxla.config.set_image_data_format("NHWC")


def test_environment_variable_sets_the_default():
    code = "import kxla; print(kxla.config.image_data_format(), kxla.layers.Conv2D(2, 3).data_format)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "KXLA_IMAGE_DATA_FORMAT": "channels_first"})
    assert out.stdout.split() == ["channels_first", "channels_first"]
