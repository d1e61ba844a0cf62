"""kxla.dtype_policies' quantized policies and DTypePolicyMap against keras.dtype_policies."""
from __future__ import annotations

import pytest

from kxla import dtype_policies as dp

NAMES = ["int8_from_float32", "int8_from_mixed_bfloat16", "int4_from_float32", "int4/128_from_float32",
         "int4/-1_from_bfloat16", "float8_from_float32", "gptq/4/128_from_float32", "gptq/3/-1_from_float32",
         "awq/4/64_from_mixed_bfloat16"]


def test_names_match_keras(keras):
    assert set(dp.__all__) == {n for n in dir(keras.dtype_policies) if not n.startswith("_")}


@pytest.mark.parametrize("name", NAMES)
def test_get_serialize_round_trip(keras, name):
    ours, theirs = dp.get(name), keras.dtype_policies.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert (ours.name, ours.compute_dtype, ours.variable_dtype, ours.quantization_mode) == \
        (theirs.name, theirs.compute_dtype, theirs.variable_dtype, theirs.quantization_mode)
    assert repr(ours) == repr(theirs)
    assert dp.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert dp.deserialize(dp.serialize(ours)) == ours
    assert dp.get(keras.dtype_policies.serialize(theirs)) == ours
    for attr in ("block_size", "weight_bits", "group_size", "amax_history_length"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None)


def test_equality_and_errors(keras):
    kd = keras.dtype_policies
    assert dp.QuantizedDTypePolicy("int8", "float32") == dp.get("int8_from_float32")
    assert dp.QuantizedDTypePolicy("int8", "float32") != dp.QuantizedDTypePolicy("int8", "bfloat16")
    assert dp.QuantizedFloat8DTypePolicy("float8", "float32", 16) != dp.QuantizedFloat8DTypePolicy("float8", "float32")
    assert dp.QuantizedFloat8DTypePolicy("float8", "float32", 16).get_config() == \
        kd.QuantizedFloat8DTypePolicy("float8", "float32", 16).get_config()
    cases = [(lambda m: m.QuantizedDTypePolicy("int2", "float32"), ValueError),
             (lambda m: m.QuantizedDTypePolicy("int8", "float16"), ValueError),
             (lambda m: m.Int4DTypePolicy("int4", "float32"), ValueError),
             (lambda m: m.Int4DTypePolicy("int4/0", "float32"), ValueError),
             (lambda m: m.GPTQDTypePolicy("gptq/5/128", "float32"), ValueError),
             (lambda m: m.AWQDTypePolicy("awq/8/128", "float32"), ValueError),
             (lambda m: m.QuantizedFloat8DTypePolicy("float8", "float32", 1.5), TypeError),
             (lambda m: m.get("int8"), ValueError)]
    for make, error in cases:
        for module in (dp, kd):
            with pytest.raises(error):
                make(module)


def test_dtype_policy_map(keras):
    kd = keras.dtype_policies
    ours, theirs = dp.DTypePolicyMap(), kd.DTypePolicyMap()
    for key, policy in (("model/dense", "int8_from_float32"), ("model/encoder_.*", "bfloat16")):
        ours[key], theirs[key] = policy, policy
    assert dp.serialize(ours) == kd.serialize(theirs)
    assert (ours.name, ours.compute_dtype, ours.quantization_mode) == (theirs.name, theirs.compute_dtype, None)
    assert ours["model/dense"] == dp.get("int8_from_float32")
    assert ours["model/encoder_3"].name == "bfloat16"     # (Keras renames its entries to None when serializing)
    assert ours["other"].name == "float32" and len(ours) == 2 and "model/dense" in ours
    with pytest.raises(ValueError, match="already exist"):
        ours["model/dense"] = "float32"
    explicit = dp.DTypePolicyMap("mixed_bfloat16", {"a/b": dp.get("int4/32_from_mixed_bfloat16")})
    k_explicit = kd.DTypePolicyMap("mixed_bfloat16", {"a/b": kd.get("int4/32_from_mixed_bfloat16")})
    assert dp.serialize(explicit) == kd.serialize(k_explicit)
    again = dp.deserialize(dp.serialize(explicit))
    assert type(again) is dp.DTypePolicyMap and again["a/b"] == explicit["a/b"] and again.name == "map_mixed_bfloat16"
    loaded = dp.deserialize(kd.serialize(theirs))
    assert loaded["model/dense"].quantization_mode == "int8"
    ambiguous = dp.DTypePolicyMap(policy_map={"a.*": dp.get("float32"), ".*b": dp.get("bfloat16")})
    with pytest.raises(ValueError, match="matches multiple"):
        ambiguous["ab"]
    with pytest.raises(ValueError, match="cannot be a `DTypePolicyMap`"):
        dp.DTypePolicyMap(ours)
