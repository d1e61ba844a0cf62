"""What every convolution layer shares: argument checks, window geometry, weight arguments, bias + activation.

``ConvBase`` holds the window (rank, kernel_size, strides, dilation_rate,
padding, data_format), activation and use_bias, and for each weight named in
``weight_names`` the Keras triple ``<name>_initializer`` / ``_regularizer`` /
``_constraint``. The families on top of it (Conv, DepthwiseConv,
SeparableConv, ConvTranspose) differ only in their weights' shapes, their op
and their output channel count.
"""
from __future__ import annotations

from ... import activations, constraints, initializers, ops, regularizers
from ...config import standardize_data_format
from ...ops.nn_conv import window_output_length
from ..layer import InputSpec, Layer


def standardize_tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple:
    """An int or n ints as a tuple of n positive (or, with ``allow_zero``, non-negative) ints
    (Keras's argument check and message)."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received {name}={value!r}") from None
        if len(out) != n:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received {name}={value!r}")
    if any(v < 0 if allow_zero else v <= 0 for v in out):
        raise ValueError(f"The `{name}` argument must be {'non-negative' if allow_zero else 'positive'} "
                         f"integers. Received {name}={value!r}")
    return out


def standardize_padding(padding) -> str:
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. Received: {padding!r}")
    return p


def positive_int(value, name: str) -> int:
    """``value`` if it is a strictly positive int, else Keras's error for argument ``name``."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Invalid value for argument `{name}`. Expected a strictly positive value. "
                         f"Received {name}={value!r}.")
    return value


class ConvBase(Layer):
    """A convolution over ``rank`` spatial dims; subclasses add weights (``build``), the op (``call``)
    and the output channel count (``compute_output_shape``).

    ``weight_args`` maps each weight name of ``weight_names`` to its (initializer,
    regularizer, constraint) arguments, as the subclass's Keras signature received them.
    """

    weight_names: tuple = ("kernel", "bias")

    def __init__(self, rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                 activity_regularizer, weight_args: dict, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        for name in self.weight_names:
            initializer, regularizer, constraint = weight_args[name]
            setattr(self, f"{name}_initializer", initializers.get(initializer))
            setattr(self, f"{name}_regularizer", regularizers.get(regularizer))
            setattr(self, f"{name}_constraint", constraints.get(constraint))
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape) -> int:
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"The channel dimension of the inputs should be defined ({self.data_format}). "
                             f"Found input shape {tuple(input_shape)}")
        return channels

    def _add(self, name: str, shape: tuple, args: str | None = None):
        """Add weight ``name`` with the initializer/regularizer/constraint of ``args`` (default: ``name``)."""
        args = args or name
        return self.add_weight(shape=shape, initializer=getattr(self, f"{args}_initializer"),
                               regularizer=getattr(self, f"{args}_regularizer"),
                               constraint=getattr(self, f"{args}_constraint"), name=name)

    def _finish_build(self, channels: int, bias_units: int) -> None:
        """Add the bias (with ``use_bias``), pin the input channels, mark built."""
        self.bias = self._add("bias", (bias_units,)) if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def _bias_and_activation(self, x):
        if self.use_bias:
            x = ops.bias_add(x, self.bias, axis=self._channel_axis)
        return self.activation(x)

    def _check_rank(self, input_shape) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"Layer {self.name!r} expects inputs of rank {self.rank + 2}, got {input_shape}")
        return input_shape

    def _spatial(self, input_shape) -> tuple:
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def _output_shape(self, input_shape, spatial_out, channels_out) -> tuple:
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial_out, channels_out)
        return (input_shape[0], channels_out, *spatial_out)

    def _window_output_shape(self, input_shape, channels_out, padding=None) -> tuple:
        """Output shape of a windowed conv with ``channels_out`` channels (fails on windows too large)."""
        input_shape = self._check_rank(input_shape)
        out = tuple(window_output_length(f"Layer {self.name!r}", s, k, st, d, padding or self.padding)
                    for s, k, st, d in zip(self._spatial(input_shape), self.kernel_size, self.strides,
                                           self.dilation_rate))
        return self._output_shape(input_shape, out, channels_out)

    def _config_head(self) -> dict:
        """The config entries a subclass puts before the window (``filters``, ``depth_multiplier``)."""
        return {}

    def get_config(self):
        config = {**super().get_config(), **self._config_head(), "kernel_size": self.kernel_size,
                  "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                  "dilation_rate": self.dilation_rate,
                  "activation": activations.serialize(self.activation), "use_bias": self.use_bias}
        for kind, module in (("initializer", initializers), ("regularizer", regularizers)):
            config.update({f"{n}_{kind}": module.serialize(getattr(self, f"{n}_{kind}"))
                           for n in self.weight_names})
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config.update({f"{n}_constraint": constraints.serialize(getattr(self, f"{n}_constraint"))
                       for n in self.weight_names})
        return config
