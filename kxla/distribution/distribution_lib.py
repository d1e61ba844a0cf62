"""Data and model parallelism with Keras 3's distribution API, realised with ``jax.sharding``.

    from kxla import distribution
    distribution.set_distribution(distribution.DataParallel())     # all local devices
    model.fit(x, y, batch_size=256)                                  # batches split over devices

    mesh = distribution.DeviceMesh((2, 4), ("batch", "model"))
    layout_map = distribution.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")                  # regex on variable paths
    distribution.set_distribution(distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))

Nothing here is home-made parallelism: a ``Distribution`` only says where
arrays live. The trainer places weights (``variable_sharding``) and batches
(``batch_sharding``) with ``jax.device_put`` / ``NamedSharding`` and jits one
step; XLA's GSPMD partitioner inserts the gradient all-reduce and any
collectives the layouts need. A global batch that does not divide by the
number of data-parallel shards is padded and masked by the trainer.
"""
from __future__ import annotations

import contextlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import MutableMapping

import numpy as np

__all__ = ["DeviceMesh", "TensorLayout", "LayoutMap", "Distribution", "DataParallel", "ModelParallel",
           "list_devices", "get_device_count", "initialize", "distribution", "set_distribution",
           "distribute_tensor"]

DEFAULT_BATCH_DIM_NAME = "batch"
_state = threading.local()
_global = {"distribution": None}
_open_scopes = [0]                  # scope() blocks open on all threads
_scopes_lock = threading.Lock()


def list_devices(device_type=None) -> list:
    """All devices of ``device_type`` ("cpu", "gpu", "tpu"; default: the default backend's), every host."""
    import jax
    return list(jax.devices(device_type.lower()) if device_type else jax.devices())


def get_device_count(device_type=None) -> int:
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None) -> None:
    """Start a multi-host run: ``jax.distributed.initialize`` (see docs/distribution.md).

    Arguments:
      job_addresses: the coordinator address ``"host:port"`` (the first entry of a
        comma-separated list is used), or None to let JAX detect it (Cloud TPU, SLURM...).
      num_processes: total number of processes.
      process_id: this process's index in ``[0, num_processes)``.
    """
    import jax
    coordinator = job_addresses.split(",")[0] if job_addresses else None
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                               process_id=process_id)


class DeviceMesh:
    """A named N-D grid of devices (``jax.sharding.Mesh``).

    Arguments:
      shape: mesh shape, e.g. ``(8,)`` or ``(2, 4)``.
      axis_names: one name per mesh axis, e.g. ``("batch", "model")``.
      devices: the devices (default: ``list_devices()``); their count must equal ``prod(shape)``.
    """

    def __init__(self, shape, axis_names, devices=None):
        shape, axis_names = tuple(int(s) for s in shape or ()), tuple(axis_names or ())
        if not shape or not axis_names:
            raise ValueError(f"Shape and axis_names cannot be empty. Received: shape={shape}, "
                             f"axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"Shape and axis_names should have same size. Received: shape={shape}, "
                             f"axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else list(np.ravel(np.array(devices, dtype=object))),
                           dtype=object)
        if math.prod(shape) != devices.size:
            raise ValueError(f"Shape does not match the number of devices. Received: shape={shape}; "
                             f"{devices.size} devices")
        self._shape, self._axis_names = shape, axis_names
        self._devices = devices.reshape(shape)
        self._mesh = None

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def axis_names(self) -> tuple:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self):
        """The ``jax.sharding.Mesh``."""
        if self._mesh is None:
            from jax.sharding import Mesh
            self._mesh = Mesh(self._devices, self._axis_names)
        return self._mesh

    def axis_size(self, name: str) -> int:
        return self._shape[self._axis_names.index(name)]

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How one tensor is split over a mesh: one mesh axis name (or None) per tensor dimension.

    Arguments:
      axes: e.g. ``(None, "model")`` splits dimension 1 over the mesh axis "model".
      device_mesh: the mesh (set by ``LayoutMap`` when omitted).
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self.device_mesh = device_mesh

    @property
    def axes(self) -> tuple:
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, mesh):
        if mesh is not None:
            unknown = [a for a in _flat_axes(self._axes) if a not in mesh.axis_names]
            if unknown:
                raise ValueError(f"Invalid axis names for layout {self._axes}: {unknown} are not in the mesh "
                                 f"axes {mesh.axis_names}")
        self._device_mesh = mesh

    def sharding(self, shape=None):
        """The ``jax.sharding.NamedSharding``; checks that sharded dimensions divide evenly."""
        from jax.sharding import NamedSharding, PartitionSpec
        if self._device_mesh is None:
            raise ValueError(f"TensorLayout {self._axes} has no device mesh")
        if shape is not None:
            if len(shape) != len(self._axes):
                raise ValueError(f"Layout {self._axes} has {len(self._axes)} entries but the tensor has shape "
                                 f"{tuple(shape)}")
            for dim, axis in zip(shape, self._axes):
                n = math.prod(self._device_mesh.axis_size(a) for a in _flat_axes((axis,)))
                if dim is not None and dim % n:
                    raise ValueError(f"Layout {self._axes} splits a dimension of size {dim} over {n} devices "
                                     f"(mesh axis {axis!r}); the size must divide evenly")
        return NamedSharding(self._device_mesh.backend_mesh, PartitionSpec(*self._axes))

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


def _flat_axes(axes):
    for a in axes:
        if isinstance(a, (tuple, list)):
            yield from a
        elif a is not None:
            yield a


class LayoutMap(MutableMapping):
    """Variable path regex -> ``TensorLayout`` (tuples of axis names are accepted and converted).

    A lookup first tries the exact key, then every key as a regex with
    ``re.fullmatch``; two matching regexes are an error. Variable paths are
    ``layer_name/weight_name`` (``"dense_1/kernel"``), as ``model.weights[i].path``.
    """

    def __init__(self, device_mesh):
        self._layout_map: OrderedDict = OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [p for p in self._layout_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(f"Path {key!r} matches multiple layout specification keys: {matching}. Please make "
                             "sure each tensor/variable path only matches at most one layout specification key "
                             "in the LayoutMap.")
        return self._layout_map[matching[0]] if matching else None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. Please "
                             "make sure to not use duplicated keys.")
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(tuple(layout))
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    @property
    def device_mesh(self):
        return self._device_mesh


class Distribution:
    """Where a model's arrays live: a device mesh and the mesh axis that splits the batch.

    Arguments:
      device_mesh: a ``DeviceMesh``.
      batch_dim_name: the mesh axis the batch dimension is split over.
    """

    def __init__(self, device_mesh, batch_dim_name=None):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name or device_mesh.axis_names[0]
        if self._batch_dim_name not in device_mesh.axis_names:
            raise ValueError(f"batch_dim_name {self._batch_dim_name!r} is not a mesh axis "
                             f"{device_mesh.axis_names}")

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str:
        return self._batch_dim_name

    @property
    def num_model_replicas(self) -> int:
        """How many ways the batch is split (the data-parallel degree)."""
        return self._device_mesh.axis_size(self._batch_dim_name)

    @property
    def num_processes(self) -> int:
        import jax
        return jax.process_count()

    def get_data_layout(self, data_shape) -> TensorLayout:
        """Batch-first data: split dimension 0 over ``batch_dim_name``."""
        axes = [None] * len(data_shape)
        axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable) -> TensorLayout:
        """Replicated unless a subclass says otherwise."""
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path):
        return None

    # -- what the trainer uses ----------------------------------------------------------
    def batch_sharding(self, ndim: int, stacked: bool = False):
        """Sharding of a batch array of rank ``ndim`` (``stacked``: a leading steps axis first)."""
        from jax.sharding import NamedSharding, PartitionSpec
        spec = [None] * ndim
        spec[1 if stacked else 0] = self._batch_dim_name
        return NamedSharding(self._device_mesh.backend_mesh, PartitionSpec(*spec))

    def replicated(self):
        from jax.sharding import NamedSharding, PartitionSpec
        return NamedSharding(self._device_mesh.backend_mesh, PartitionSpec())

    def variable_sharding(self, variable):
        """The ``NamedSharding`` of a kxla ``Variable`` (checked against its shape)."""
        return self.get_variable_layout(variable).sharding(variable.shape)

    @contextlib.contextmanager
    def scope(self):
        """Make this the current distribution inside the ``with`` block (this thread)."""
        previous = getattr(_state, "distribution", _UNSET)
        _state.distribution = self
        with _scopes_lock:
            _open_scopes[0] += 1
        try:
            yield self
        finally:
            with _scopes_lock:
                _open_scopes[0] -= 1
            if previous is _UNSET:
                del _state.distribution
            else:
                _state.distribution = previous

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self._device_mesh}, batch_dim_name={self._batch_dim_name!r}>"


_UNSET = object()


class DataParallel(Distribution):
    """Replicate every weight, split each batch over all devices (Keras 3's ``DataParallel``).

    Arguments:
      device_mesh: a 1-D ``DeviceMesh`` (its first axis splits the batch), or
      devices: a list of devices for a 1-D mesh named "batch"; default: ``list_devices()``.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None and devices is not None:
            raise ValueError("Pass either device_mesh or devices to DataParallel, not both")
        if device_mesh is None:
            devices = np.array(list_devices() if devices is None else list(devices), dtype=object)
            device_mesh = DeviceMesh((devices.size,), (DEFAULT_BATCH_DIM_NAME,), devices)
        elif not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"Expect `mesh` to be an instance of `DeviceMesh`. Received: mesh={device_mesh}")
        super().__init__(device_mesh, device_mesh.axis_names[0])
        self.auto_shard_dataset = auto_shard_dataset


class ModelParallel(Distribution):
    """Lay weights out by a ``LayoutMap`` (regex on variable paths), split batches over ``batch_dim_name``.

    Arguments:
      layout_map: a ``LayoutMap``; weights no key matches are replicated.
      batch_dim_name: mesh axis for the batch (default: the mesh's first axis).
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True, **kwargs):
        kwargs.pop("device_mesh", None)
        if kwargs:
            raise TypeError(f"ModelParallel got unexpected argument(s) {sorted(kwargs)}")
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"Argument `layout_map` must be a `LayoutMap` instance. Received: layout_map={layout_map}")
        super().__init__(layout_map.device_mesh, batch_dim_name)
        self._layout_map = layout_map
        self.auto_shard_dataset = auto_shard_dataset

    @property
    def layout_map(self) -> LayoutMap:
        return self._layout_map

    def get_variable_layout(self, variable) -> TensorLayout:
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path):
        return self._layout_map[path]


def distribution():
    """The current ``Distribution`` (a ``scope()`` on this thread, else the global one), or None."""
    local = getattr(_state, "distribution", _UNSET)
    return _global["distribution"] if local is _UNSET else local


def in_use() -> bool:
    """Whether any distribution is set or scoped, on any thread (cheap: predict's fast path asks)."""
    return _global["distribution"] is not None or _open_scopes[0] > 0


def set_distribution(value) -> None:
    """Set the global distribution (None for single-device training)."""
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"set_distribution expects a Distribution or None, got {value!r}")
    _global["distribution"] = value


def distribute_tensor(tensor, layout):
    """Place an array with ``layout`` (``jax.device_put``; inside jit, a sharding constraint)."""
    import jax
    sharding = layout.sharding(np.shape(tensor)) if isinstance(layout, TensorLayout) else layout
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, sharding)
    return jax.device_put(tensor, sharding)
