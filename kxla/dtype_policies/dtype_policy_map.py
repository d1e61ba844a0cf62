"""``DTypePolicyMap`` (Keras 3): layer paths (or regexes over them) -> dtype policies, with a default.

A quantized model's layers are looked up by path (``"dense/..."``); a path
that no key matches gets the default policy.
"""
from __future__ import annotations

import re
from collections.abc import MutableMapping

from ..config import DTypePolicy


def _get(identifier):
    from . import get
    return get(identifier)


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """A dict-like policy: ``map[path]`` is the policy of the layer at ``path`` (exact key, else the one
    key that fully matches it as a regex, else ``default_policy``)."""

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(f"If specified, `policy_map` must be a dict. Received: policy_map={policy_map} of type "
                            f"{type(policy_map)}")
        self._default_policy_arg = default_policy
        self._default_policy = _get(default_policy)
        self._policy_map = policy_map or dict()

    @property
    def name(self):
        return f"map_{self.default_policy.name}"

    @property
    def default_policy(self):
        return _get(self._default_policy)

    @property
    def source_name(self):
        """The float policy the default policy computes with (``"mixed_bfloat16"`` ...)."""
        return getattr(self.default_policy, "source_name", None) or self.default_policy.name

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def quantization_mode(self):
        return self.default_policy.quantization_mode

    def __getitem__(self, key):
        if key in self._policy_map:
            return self._policy_map[key]
        matches = [p for p in self._policy_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(f"Path '{key}' matches multiple dtype policy specification keys: {matches}. Please "
                             "make sure each path only matches at most one dtype policy specification key in "
                             "the DTypePolicyMap.")
        return self._policy_map[matches[0]] if matches else self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(f"{key} already exist in the DTypePolicyMap with value {self._policy_map[key]}. "
                             "Please make sure to not use duplicated keys.")
        try:
            policy = _get(policy)
        except Exception:
            raise ValueError("Cannot interpret the assigned value by `keras.dtype_policies.get`. "
                             f"Received: {policy} of type {type(policy)}") from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __len__(self):
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__

    def get_config(self):
        """Keras's form. As Keras, with no explicit default policy the entries are written without their
        source policy (they follow the global policy when loaded)."""
        from . import serialize
        entries = {}
        for key, policy in self._policy_map.items():
            entry = serialize(policy)
            if self._default_policy_arg is None:
                config = dict(entry["config"])
                if "source_name" in config:
                    config["source_name"] = None
                else:
                    config["name"] = None
                entry = {**entry, "config": config}
            entries[key] = entry
        return {"default_policy": self._default_policy_arg, "policy_map": entries}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize
        policy_map = {k: deserialize(v, custom_objects) for k, v in (config.get("policy_map") or {}).items()}
        return cls(default_policy=config.get("default_policy"), policy_map=policy_map)

    def __repr__(self):
        default = self._default_policy.name if self._default_policy is not None else None
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return f"<DTypePolicyMap at {hex(id(self))} default_policy={default}, mapping={mapping}>"
