"""STFTSpectrogram (Keras 3): a short-time Fourier transform as strided depthwise 1-D convolutions.

The kernels are weights ``real_kernel`` / ``imag_kernel`` of shape
``(frame_length, 1, fft_length // 2 + 1)`` initialised by the ``STFT``
initializer (window times cos / sin of the DFT phases), as in Keras; each
input channel is convolved separately (Keras folds channels into the batch;
here one depthwise convolution with the kernel repeated per channel). ``mode`` picks the output: ``log``,
``magnitude``, ``psd``, ``real``, ``imag``, ``angle`` or ``stft`` (real and
imaginary parts concatenated).
"""
from __future__ import annotations

import math
import warnings

from ... import ops
from ...config import epsilon, standardize_data_format
from ...initializers import STFT
from ..layer import InputSpec, Layer

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _check_args(mode, frame_length, frame_step, fft_length, window, scaling, padding):
    if frame_step is not None and (frame_step > frame_length or frame_step < 1):
        raise ValueError("`frame_step` should be a positive integer not greater than `frame_length`. "
                         f"Received frame_step={frame_step}, frame_length={frame_length}")
    if fft_length is not None and fft_length < frame_length:
        raise ValueError("`fft_length` should be not less than `frame_length`. "
                         f"Received fft_length={fft_length}, frame_length={frame_length}")
    if fft_length is not None and (fft_length & -fft_length) != fft_length:
        warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}")
    if mode not in _MODES:
        raise ValueError(f"Output mode is invalid, it must be one of {', '.join(_MODES)}. Received: mode={mode}")
    if scaling is not None and scaling not in ("density", "spectrum"):
        raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling}")
    if padding not in ("valid", "same"):
        raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}")
    if isinstance(window, str):
        import scipy.signal
        scipy.signal.get_window(window, 1)


class STFTSpectrogram(Layer):
    """Spectrogram of ``(batch, time, channels)`` signals (``keras.layers.STFTSpectrogram``)."""

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
                 periodic=False, scaling="density", padding="valid", expand_dims=False, data_format=None, **kwargs):
        _check_args(mode, frame_length, frame_step, fft_length, window, scaling, padding)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(name="real_kernel", shape=shape,
                                               initializer=STFT("real", self.window, self.scaling, self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(name="imag_kernel", shape=shape,
                                               initializer=STFT("imag", self.window, self.scaling, self.periodic))
        self.built = True

    def _conv(self, inputs, kernel):
        """Each channel convolved alone (one depthwise convolution): (batch, channels, freq, time)."""
        last = self.data_format == "channels_last"
        channels = ops.shape(inputs)[-1 if last else 1]
        kernel = ops.tile(ops.cast(kernel, inputs.dtype), [1, channels, 1])          # (frame, channels, freq)
        out = ops.depthwise_conv(inputs, kernel, strides=self._frame_step, padding=self.padding,
                                 data_format=self.data_format)
        freq = kernel.shape[-1]
        if last:
            frames = ops.shape(out)[1]
            return ops.transpose(ops.reshape(out, [-1, frames, channels, freq]), [0, 2, 3, 1])
        return ops.reshape(out, [-1, channels, freq, ops.shape(out)[-1]])

    def _arrange(self, outputs):
        _, channels, freq, frames = ops.shape(outputs)
        if self.expand_dims:
            return ops.transpose(outputs, [0, 3, 2, 1] if self.data_format == "channels_last" else [0, 1, 3, 2])
        outputs = ops.reshape(outputs, [-1, channels * freq, frames])
        return ops.transpose(outputs, [0, 2, 1]) if self.data_format == "channels_last" else outputs

    def call(self, inputs):
        if inputs.dtype not in ("float16", "float32", "float64"):
            raise TypeError("Invalid input type. Expected `float16`, `float32` or `float64`. "
                            f"Received: input type={inputs.dtype}")
        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode in ("real", "imag"):
            return self._arrange(real if self.mode == "real" else imag)
        if self.mode == "angle":
            return self._arrange(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._arrange(ops.concatenate([real, imag], axis=2))
        power = ops.square(real) + ops.square(imag)
        if self.mode == "psd":
            return self._arrange(power + ops.pad(power[:, :, 1:-1, :], [[0, 0], [0, 0], [1, 1], [0, 0]]))
        linear = self._arrange(ops.sqrt(ops.maximum(power, epsilon())))
        return linear if self.mode == "magnitude" else ops.log(ops.maximum(linear, epsilon()))

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        time = input_shape[1] if self.data_format == "channels_last" else input_shape[2]
        freq = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = -(-time // self._frame_step)
        else:
            frames = (time - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            return (input_shape[0], frames, freq, channels) if self.data_format == "channels_last" else \
                (input_shape[0], channels, frames, freq)
        both = None if channels is None else freq * channels
        return (input_shape[0], frames, both) if self.data_format == "channels_last" else \
            (input_shape[0], both, frames)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length, "window": self.window,
                "periodic": self.periodic, "scaling": self.scaling, "padding": self.padding,
                "data_format": self.data_format, "expand_dims": self.expand_dims}
