"""``kxla.device``: the device eager ops and new arrays go to (Keras 3's ``keras.device`` on the JAX backend)."""
from __future__ import annotations

__all__ = ["device", "to_jax_device"]


def to_jax_device(device_name):
    """``"cpu"``, ``"cpu:0"``, ``"gpu:1"`` ... or a ``jax.Device`` -> that ``jax.Device``.

    A missing device id is a ValueError, a platform this machine lacks jax's RuntimeError (as in Keras).
    """
    import jax
    if isinstance(device_name, jax.Device):
        return device_name
    if not isinstance(device_name, str):
        raise ValueError("Invalid value for argument `device_name`. Expected a string like 'gpu:0' or a "
                         f"`jax.Device` instance. Received: device_name='{device_name}'")
    kind, _, index = device_name.lower().partition(":")
    devices = jax.devices(backend=kind)     # an unknown platform: jax's RuntimeError, as in Keras
    try:
        wanted = int(index or 0)
    except ValueError:
        raise ValueError(f"Device not found: {device_name}") from None
    for dev in devices:
        if dev.platform == kind and dev.id == wanted:
            return dev
    raise ValueError(f"Device not found: {device_name}")


def device(device_name):
    """Context manager: eager ops and arrays created inside run on ``device_name`` (``jax.default_device``).

    Arguments:
      device_name: ``"cpu:0"``, ``"gpu:1"`` (type, then the device id) or a ``jax.Device``.

    Example::

        with kxla.device("cpu:0"):
            y = kxla.ops.add(x, 1)
    """
    import jax
    return jax.default_device(to_jax_device(device_name))
