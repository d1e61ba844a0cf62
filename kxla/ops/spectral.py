"""keras.ops's signal ops (Keras's ``ops.math`` family): fft, fft2, ifft2, rfft, irfft, stft, istft,
extract_sequences, view_as_complex, view_as_real — one catalogue row each.

Complex values travel as Keras's ``(real, imag)`` pairs of float tensors:
the pair is the op's two inputs and the results are two float tensors. Only
``view_as_complex`` returns (and ``view_as_real`` takes) a ``complex64``
tensor, as Keras's JAX backend does. Each lowering is written for numpy or
jax.numpy alike (``xp``), so the same formula is the numpy reference.
Windows are Keras's (``scipy.signal.get_window``, periodic); a window given
as an array is a static attribute.
"""
from __future__ import annotations

import numpy as np

from .lazy_jax import jax, jnp
from ..ir import is_floating
from . import families as F
from .catalog import alias, op
from .tracing import KerasTensor


def _xp(x):
    return np if isinstance(x, np.ndarray) else jnp


def _pair(name, x):
    """Keras's check of a complex input: a tuple (or list) of two tensors, real and imaginary."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{name}: input `x` should be a tuple of two tensors - real and imaginary. "
                         f"Received: x={x!r}")
    return list(x)


def _complex_types(types, attrs):
    real, imag = types
    if real.shape != imag.shape:
        raise ValueError("input `x` should be a tuple of two tensors - real and imaginary; both parts need "
                         f"the same shape, got {real.shape} and {imag.shape}")
    if not (is_floating(real.dtype) and is_floating(imag.dtype)):
        raise ValueError(f"at least one tensor in input `x` is not of type float: {real.dtype}, {imag.dtype}")


def _checked(shape_rule):
    def rule(types, attrs):
        _complex_types(types, attrs)
        return shape_rule(types, attrs)
    return rule


def _c(re, im):
    return re + 1j * im if _xp(re) is np else jax.lax.complex(re, im)


def _parts(z):
    return z.real, z.imag


# -- fft family -------------------------------------------------------------------------------
def _complex_row(name, fn, ref_fn, doc):
    row = op(name, "x, imag", lambda re, im: _parts(fn(_c(re, im))), lambda re, im: _parts(ref_fn(re + 1j * im)),
             shape=_checked(lambda types, attrs: [types[0].shape] * 2), dtype=[F.keep, F.keep], ns=None,
             tensors=("x", "imag"), cost=F.per_output(8), doc=doc)

    def public(x):
        return row(*_pair(name, x))
    public.__name__ = public.__qualname__ = name
    public.__doc__ = f"{doc}; ``x`` is a ``(real, imag)`` pair, and so is the result (as ``keras.ops.{name}``)."
    public.op_name = name
    return alias(name, public, ns="core")


fft = _complex_row("fft", jnp.fft.fft, np.fft.fft, "Fast Fourier transform along the last axis")
fft2 = _complex_row("fft2", jnp.fft.fft2, np.fft.fft2, "2-D fast Fourier transform over the last two axes")
ifft2 = _complex_row("ifft2", jnp.fft.ifft2, np.fft.ifft2, "2-D inverse FFT over the last two axes")


def _rfft(x, fft_length):
    return _parts(_xp(x).fft.rfft(x, n=fft_length, axis=-1))


rfft = op("rfft", "x, fft_length=None", _rfft, _rfft, shape="ref", dtype=[F.floating, F.floating], ns="core",
          tensors=("x",), cost=F.per_output(8), doc="real-input FFT along the last axis: (real, imag)")


def _irfft(re, im, fft_length):
    xp = _xp(re)
    return xp.fft.irfft(_c(re, im), n=fft_length, axis=-1)


_irfft_row = op("irfft", "x, imag, fft_length=None", _irfft, _irfft,
                shape=_checked(F.by_reference(_irfft)), dtype=F.keep, ns=None, tensors=("x", "imag"),
                cost=F.per_output(8), doc="inverse of rfft along the last axis")


def irfft(x, fft_length=None):
    """Inverse real FFT of a ``(real, imag)`` pair along the last axis, as ``keras.ops.irfft``."""
    return _irfft_row(*_pair("irfft", x), fft_length=fft_length)


irfft.op_name = "irfft"
alias("irfft", irfft, ns="core")


# -- framing, stft, istft ------------------------------------------------------------------------
def _frame_index(n, length, stride):
    count = 1 + (n - length) // stride
    if count < 1:
        raise ValueError(f"a signal of length {n} holds no sequence of length {length}")
    return np.arange(count)[:, None] * stride + np.arange(length)[None, :]


def _extract(x, sequence_length, sequence_stride):
    return x[..., _frame_index(x.shape[-1], sequence_length, sequence_stride)]


extract_sequences = op("extract_sequences", "x, sequence_length, sequence_stride", _extract, _extract,
                       shape="ref", dtype=F.keep, ns="core", tensors=("x",), cost=F.movement,
                       doc="sliding windows over the last axis: [..., num_sequences, sequence_length]")


def _window(window, sequence_length, fft_length):
    """Keras's window: scipy's periodic ``hann``/``hamming`` or an explicit list, zero-padded to fft_length;
    ones over the whole fft_length when None."""
    import scipy.signal
    if window is None:
        return np.ones(fft_length)
    if isinstance(window, str):
        win = scipy.signal.get_window(window, sequence_length)
    else:
        win = np.asarray(window, dtype=np.float64)
    left = (fft_length - sequence_length) // 2
    return np.pad(win, (left, fft_length - sequence_length - left))


def _window_attr(name, window, sequence_length, fft_length):
    if fft_length < sequence_length:
        raise ValueError(f"{name}: `fft_length` must equal or larger than `sequence_length`. Received: "
                         f"sequence_length={sequence_length}, fft_length={fft_length}")
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f'{name}: if a string is passed to `window`, it must be one of "hann", "hamming". '
                             f"Received: window={window}")
        return window
    if window is None:
        return None
    if isinstance(window, KerasTensor):
        raise ValueError(f"{name}: a symbolic `window` is not supported; pass its values (an array or list)")
    win = np.asarray(window, dtype=np.float64)
    if win.shape != (sequence_length,):
        raise ValueError(f"{name}: the shape of `window` must be equal to [sequence_length]. "
                         f"Received: window shape={win.shape}")
    return win.tolist()


def _stft(x, sequence_length, sequence_stride, fft_length, window, center):
    xp = _xp(x)
    if center:
        x = xp.pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)], mode="reflect")
    win = _window(window, sequence_length, fft_length)
    frames = _extract(x, fft_length, sequence_stride) * xp.asarray(win, x.dtype)
    # Keras divides jax.scipy.signal.stft's "spectrum" scaling (1 / sum(win)) by |1 / sum(win)|
    z = xp.fft.rfft(frames, n=fft_length, axis=-1) * np.sign(win.sum())
    return _parts(z)


def _stft_dtype(dtypes, attrs):
    if dtypes[0] not in ("float32", "float64"):
        raise TypeError(f"stft: invalid input type. Expected `float32` or `float64`. Received: input type="
                        f"{dtypes[0]}")
    return dtypes[0]


_stft_row = op("stft", "x, sequence_length, sequence_stride, fft_length, window='hann', center=True", _stft, _stft,
               shape="ref", dtype=[_stft_dtype, _stft_dtype], ns=None, tensors=("x",), cost=F.per_output(8),
               doc="short-time Fourier transform: (real, imag), each [..., num_sequences, fft_length // 2 + 1]")


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform of real ``x`` along its last axis, as ``keras.ops.stft``.

    Returns:
      ``(real, imag)``, each of shape ``[..., num_sequences, fft_length // 2 + 1]``.
    """
    dtype = getattr(x, "dtype", None)
    if dtype is not None and str(dtype) not in ("float32", "float64"):
        raise TypeError(f"stft: invalid input type. Expected `float32` or `float64`. Received: input type={dtype}")
    window = _window_attr("stft", window, sequence_length, fft_length)
    return _stft_row(x, int(sequence_length), int(sequence_stride), int(fft_length), window=window,
                     center=bool(center))


def _overlap_add(xp, frames, stride):
    """Sum frames ``[..., n, L]`` placed ``stride`` apart: ``[..., stride * (n - 1) + L]``."""
    n, length = frames.shape[-2:]
    index = _frame_index(stride * (n - 1) + length, length, stride)
    out_len = stride * (n - 1) + length
    if xp is np:
        out = np.zeros(frames.shape[:-2] + (out_len,), frames.dtype)
        np.add.at(out, (..., index), frames)
        return out
    return jnp.zeros(frames.shape[:-2] + (out_len,), frames.dtype).at[..., index].add(frames)


def _istft(re, im, sequence_length, sequence_stride, fft_length, length, window, center):
    xp = _xp(re)
    if re.ndim < 2:
        raise ValueError(f"istft: input `x` must have at least 2 dimensions. Received shape: {re.shape}")
    win = _window(window, sequence_length, fft_length)
    frames = xp.fft.irfft(_c(re, im), n=fft_length, axis=-1)[..., :fft_length].astype(re.dtype)
    frames = frames * xp.asarray(win * win.sum(), re.dtype)
    x = _overlap_add(xp, frames, sequence_stride)
    norm = _overlap_add(np, np.broadcast_to(win * win, (re.shape[-2], fft_length)), sequence_stride)
    x = x / xp.asarray(np.where(norm > 1e-10, norm, 1.0), re.dtype)
    x = x / (win.sum() if window is not None else sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = x.shape[-1] - fft_length // 2 if center else x.shape[-1]
    return x[..., start:end].astype(re.dtype)


_istft_row = op("istft", "x, imag, sequence_length, sequence_stride, fft_length, length=None, window='hann', "
                "center=True", _istft, _istft, shape=_checked(F.by_reference(_istft)), dtype=F.keep, ns=None,
                tensors=("x", "imag"), cost=F.per_output(8), doc="inverse short-time Fourier transform")


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse short-time Fourier transform of a ``(real, imag)`` pair, as ``keras.ops.istft``."""
    real, imag = _pair("istft", x)
    window = _window_attr("istft", window, sequence_length, fft_length)
    return _istft_row(real, imag, int(sequence_length), int(sequence_stride), int(fft_length),
                      length=None if length is None else int(length), window=window, center=bool(center))


for _f, _name in ((stft, "stft"), (istft, "istft")):
    _f.op_name = _name
    alias(_name, _f, ns="core")


# -- complex views ---------------------------------------------------------------------------------
def _as_complex(x):
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"Last dimension of input must be size 2 (real and imaginary). Received shape: {x.shape}")
    return (x[..., 0].astype("complex64") + 1j * x[..., 1].astype("complex64")).astype("complex64")


def _as_real(x):
    xp = _xp(x)
    return xp.stack([xp.real(x), xp.imag(x)], axis=-1)


view_as_complex = op("view_as_complex", "x", _as_complex, _as_complex, shape="ref", dtype=F.fixed("complex64"),
                     ns="core", cost=F.movement, doc="a [..., 2] real tensor as a complex64 tensor [...]")


def _real_dtype(dtypes, attrs):
    return {"complex64": "float32", "complex128": "float64"}.get(dtypes[0], dtypes[0])


view_as_real = op("view_as_real", "x", _as_real, _as_real, shape="ref", dtype=_real_dtype, ns="core",
                  cost=F.movement, doc="a complex tensor [...] as a real tensor [..., 2] (real, imaginary)")
