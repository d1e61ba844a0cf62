"""Weight initializers with Keras 3 names and distributions; they draw with numpy (no device work).

Each initializer is called as ``init(shape, dtype) -> np.ndarray``. Fan-in and
fan-out follow Keras: for a kernel ``(..., in, out)`` the receptive field is
the product of the leading dims.
"""
from __future__ import annotations

import math

import numpy as np

from .naming import resolve
from .seeding import numpy_rng


def _fans(shape, input_axes=None, output_axes=None):
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype)`` and ``get_config``."""

    name = "initializer"

    def __call__(self, shape, dtype="float32"):
        raise TypeError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


class Constant(Initializer):
    name = "constant"

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    name = "zeros"

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    name = "ones"

    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class RandomNormal(Initializer):
    name = "random_normal"

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def _rng(self):
        return np.random.default_rng(self.seed) if self.seed is not None else numpy_rng()

    def __call__(self, shape, dtype="float32"):
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomNormal):
    name = "random_uniform"

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype="float32"):
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    name = "truncated_normal"

    def __call__(self, shape, dtype="float32"):
        rng = self._rng()
        out = rng.normal(size=shape)
        bad = np.abs(out) > 2
        while bad.any():                      # resample outside two standard deviations
            out[bad] = rng.normal(size=int(bad.sum()))
            bad = np.abs(out) > 2
        return (self.mean + self.stddev * out).astype(dtype)


class VarianceScaling(RandomNormal):
    name = "variance_scaling"

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        distribution = {"normal": "truncated_normal"}.get(distribution.lower(), distribution.lower())
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"distribution must be truncated_normal, untruncated_normal or uniform, "
                             f"got {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = _fans(tuple(shape), self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return self._rng().uniform(-limit, limit, size=shape).astype(dtype)
        if self.distribution == "untruncated_normal":
            return self._rng().normal(0.0, math.sqrt(scale), size=shape).astype(dtype)
        stddev = math.sqrt(scale) / 0.87962566103423978   # std of a unit normal truncated at 2
        return TruncatedNormal(0.0, stddev, self.seed)(shape, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


def _preset(cls_name, scale, mode, distribution):
    class Preset(VarianceScaling):
        name = cls_name

        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

        def get_config(self):
            return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}
    Preset.__name__ = Preset.__qualname__ = "".join(p.capitalize() for p in cls_name.split("_"))
    return Preset


GlorotUniform = _preset("glorot_uniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("glorot_normal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _preset("he_uniform", 2.0, "fan_in", "uniform")
HeNormal = _preset("he_normal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _preset("lecun_uniform", 1.0, "fan_in", "uniform")
LecunNormal = _preset("lecun_normal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomNormal):
    name = "orthogonal"

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype="float32"):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2, got {tuple(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    name = "identity"

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


class STFT(Initializer):
    """Conv kernels ``(frame_length, 1, fft_length // 2 + 1)`` computing a windowed STFT's real or imaginary side."""

    name = "stft"

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            import scipy.signal
            scipy.signal.get_window(window, 1)              # raises for an unknown window name
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype="float32"):
        frame_length, _, fft_length = shape
        time = np.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        freq = np.arange(fft_length, dtype=dtype).reshape(1, 1, fft_length) / np.asarray((fft_length - 1) * 2,
                                                                                            dtype)
        args = (-2 * time * freq) * np.arccos(np.asarray(-1, dtype))
        kernel = (np.cos(args) if self.side == "real" else np.sin(args)).astype(dtype)
        if self.window is None:
            return kernel
        win = self.window
        if isinstance(win, str):
            import scipy.signal
            win = scipy.signal.get_window(win, frame_length, self.periodic)
        win = np.asarray(win, dtype=dtype)
        if win.ndim != 1 or win.shape[-1] != frame_length:
            raise ValueError(f"The shape of `window` must be equal to [frame_length].Received: window "
                             f"shape={win.shape}")
        win = win.reshape(frame_length, 1, 1)
        scaling = {"density": lambda: np.sqrt(np.sum(np.square(win))), "spectrum": lambda: np.sum(np.abs(win)),
                   None: lambda: np.asarray(1, dtype)}[self.scaling]()
        return (kernel * win / scaling).astype(dtype)

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}


class _ArrayInitializer(Initializer):
    """``get(array)``: always returns that array (the requested shape must match)."""

    def __init__(self, value):
        self.value = np.asarray(value)

    def __call__(self, shape, dtype="float32"):
        if tuple(shape) != self.value.shape:
            raise ValueError(f"Initializer expected a shape of {self.value.shape} (the array it was given), "
                             f"got {tuple(shape)}")
        return self.value.astype(dtype)


_ALL = {c.name: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
                            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
                            LecunUniform, LecunNormal, Orthogonal, Identity, STFT)}
_ALL.update(uniform=RandomUniform, normal=RandomNormal, one=Ones, zero=Zeros)   # Keras's aliases
_ALL.update({c.__name__: c for c in set(_ALL.values())})
_ALL.update(IdentityInitializer=Identity, OrthogonalInitializer=Orthogonal, STFTInitializer=STFT)
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT
(zeros, ones, constant, random_normal, random_uniform, truncated_normal, variance_scaling, glorot_uniform,
 glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, orthogonal, identity, stft) = (
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, GlorotUniform,
    GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal, Identity, STFT)


def get(identifier) -> Initializer:
    """Resolve None, a name, a serialized dict, a class, an Initializer, a callable or an array."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer) or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, str):
        return resolve("initializer", identifier, _ALL)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if hasattr(identifier, "shape") and hasattr(identifier, "dtype"):
        return _ArrayInitializer(identifier)
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


def deserialize(config, custom_objects=None) -> Initializer:
    """``{"class_name": ..., "config": {...}}`` (Keras's form, ``module`` optional) -> an Initializer."""
    if isinstance(config, str):
        return get(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or resolve("initializer", name, _ALL)
    return cls(**config.get("config", {}))


def snake(name: str) -> str:
    from .naming import snake_case
    return snake_case(name)


def serialize(init) -> dict:
    """Keras's serialized form: ``{"module", "class_name", "config", "registered_name"}``."""
    if not isinstance(init, Initializer):
        return {"class_name": "custom", "config": {}}
    return {"module": "keras.initializers", "class_name": type(init).__name__, "config": init.get_config(),
            "registered_name": None}


def name_of(init) -> str:
    return getattr(init, "name", None) or getattr(init, "__name__", "custom")
