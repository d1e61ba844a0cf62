"""The compile section of a model file: losses, metrics and options written as plain data, validated on load.

``compile_section(model)`` writes what ``model.compile`` was given (names stay
strings, ``Loss`` / ``Metric`` objects become ``{"__loss__"|"__metric__":
{"class_name", "config"}}``, registered functions ``{"__registered__": name}``).
``compile_arguments(section, ...)`` reads it back and checks every field
before anything is compiled, so a bad file fails at ``load_model`` with a
``FormatError`` naming the field — never later in ``fit``:

* ``loss``: names that ``kxla.losses.get`` knows, loss objects (a loss wrapper
  must hold a function), registered functions, in lists or maps;
* ``metrics`` / ``weighted_metrics``: None, a list or a map (never a number);
* ``loss_weights``: None, a finite number, a list of them or a map of them;
* ``steps_per_execution``: a positive integer; ``passes``: None, ``"default"``,
  ``"none"`` or a pipeline whose every pass exists;
* the optimizer's config (``check_optimizer_config``): every number finite,
  the learning rate not negative.
"""
from __future__ import annotations

import math
import warnings

from . import format as fmt
from .registry import get_registered_name, lookup, registered_name

__all__ = ["compile_section", "compile_arguments", "check_optimizer_config"]


class _Unserializable(TypeError):
    pass


def _plain(obj, where: str):
    try:
        return fmt.to_plain(obj, where)
    except TypeError as e:
        raise _Unserializable(str(e)) from None


def _enc_spec(spec, where: str):
    """A loss/metric spec as plain data: names stay strings; objects become tagged maps."""
    from .. import losses as losses_mod, metrics as metrics_mod
    if spec is None or isinstance(spec, (bool, int, float, str)):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_enc_spec(s, f"{where}[{i}]") for i, s in enumerate(spec)]
    if isinstance(spec, dict):
        return {"__dict__": {str(k): _enc_spec(v, f"{where}[{k!r}]") for k, v in spec.items()}}
    for base, tag, mod in ((losses_mod.Loss, "__loss__", losses_mod), (metrics_mod.Metric, "__metric__", metrics_mod)):
        if isinstance(spec, base):
            entry = {"class_name": get_registered_name(type(spec)),
                     "config": _plain(spec.get_config(), f"the config of {where}")}
            try:                                          # must come back the same way it will be loaded
                _dec_spec({tag: entry}, None, where)
            except Exception:
                raise _Unserializable(f"{where}: {spec!r} cannot be rebuilt from its config (register its class "
                                      "with kxla.saving.register_serializable)") from None
            return {tag: entry}
    if callable(spec):
        name = registered_name(spec)
        if name is not None:
            return {"__registered__": name}
        name = getattr(spec, "__name__", None)
        if getattr(losses_mod, "_FUNCTIONS", {}).get(name) is spec:
            return name
        raise _Unserializable(f"{where}: {spec!r} is not registered; decorate it with "
                              "@kxla.saving.register_serializable() to save it")
    raise _Unserializable(f"{where}: cannot save {type(spec).__name__} {spec!r}")


def _dec_spec(obj, custom_objects, where: str):
    from .. import losses as losses_mod, metrics as metrics_mod
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_dec_spec(v, custom_objects, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, dict) and len(obj) == 1:
        tag, value = next(iter(obj.items()))
        if tag == "__dict__":
            return {k: _dec_spec(v, custom_objects, f"{where}[{k!r}]")
                    for k, v in fmt.expect(value, dict, where).items()}
        if tag == "__registered__":
            return lookup(fmt.expect(value, str, where), "object", custom_objects)
        if tag in ("__loss__", "__metric__"):
            class_name = fmt.field(value, "class_name", str, where)
            config = fmt.field(value, "config", dict, where)
            loss = tag == "__loss__"
            base = losses_mod.Loss if loss else metrics_mod.Metric
            table = {c.__name__: c for c in (losses_mod.ALL_CLASSES if loss else metrics_mod.ALL_CLASSES)}
            table.update({"LossFunctionWrapper": losses_mod.LossFunctionWrapper} if loss else
                         {"AutoAccuracy": getattr(metrics_mod, "AutoAccuracy", metrics_mod.Mean)})
            cls = lookup(class_name, "loss" if loss else "metric", custom_objects, table, base=base)
            try:
                return cls.from_config(dict(config))
            except Exception as e:
                raise fmt.FormatError(f"{where}: could not rebuild {class_name} from its config: {e}") from e
    raise fmt.FormatError(f"{where}: malformed loss/metric entry")


def compile_section(model):
    """The compile section for ``model`` (None when it is not compiled or cannot be written)."""
    if not getattr(model, "compiled", False):
        return None
    passes = getattr(model, "_passes", "default")
    if passes is not None and not isinstance(passes, str):
        try:
            from ..passes import parse_pipeline, pipeline_text
            passes = pipeline_text(parse_pipeline(passes))
        except Exception:
            warnings.warn("The model's pass pipeline cannot be saved; the loaded model will use the default "
                          "pipeline", stacklevel=3)
            passes = "default"
    try:
        return {"loss": _enc_spec(getattr(model, "_loss_spec", None), "loss"),
                "loss_weights": _plain(getattr(model, "_loss_weights_spec", None), "loss_weights"),
                "metrics": _enc_spec(getattr(model, "_metrics_spec", None), "metrics"),
                "weighted_metrics": _enc_spec(getattr(model, "_weighted_metrics_spec", None), "weighted_metrics"),
                "steps_per_execution": int(getattr(model, "steps_per_execution", 1)),
                "passes": passes}
    except _Unserializable as e:
        warnings.warn(f"The compile configuration is not saved ({e}); load_model will return an "
                      "uncompiled model: call compile() on it.", stacklevel=3)
        return None


# -- validation on load ---------------------------------------------------------------------
def _check_number(value, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fmt.FormatError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise fmt.FormatError(f"{where}: expected a finite number, got {value!r}")


def _check_loss_weights(value, where: str) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_number(v, f"{where}[{k!r}]")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_number(v, f"{where}[{i}]")
    else:
        _check_number(value, where)


def _check_spec(spec, where: str, what: str, top: bool = True) -> None:
    """Every leaf of a decoded loss/metric spec is a known name, a loss/metric object or a function."""
    from .. import losses as losses_mod, metrics as metrics_mod
    if spec is None:
        return
    if isinstance(spec, (list, dict)):
        items = spec.items() if isinstance(spec, dict) else enumerate(spec)
        for k, v in items:
            _check_spec(v, f"{where}[{k!r}]", what, top=False)
        return
    if what != "loss" and top:
        raise fmt.FormatError(f"{where}: expected a list or a map of metrics, got {type(spec).__name__} {spec!r}")
    if isinstance(spec, str):
        try:
            (losses_mod.get if what == "loss" else metrics_mod.get)(spec)
        except Exception as e:
            raise fmt.FormatError(f"{where}: unknown {what} {spec!r}: {e}") from None
        return
    if isinstance(spec, losses_mod.Loss) and hasattr(spec, "fn") and not callable(spec.fn):
        raise fmt.FormatError(f"{where}: the loss wrapper {type(spec).__name__} holds no function")
    if isinstance(spec, (bool, int, float)) or not callable(spec):
        raise fmt.FormatError(f"{where}: expected a {what} name, object or function, got "
                              f"{type(spec).__name__} {spec!r}")


def _check_passes(passes, where: str) -> None:
    if passes is None or passes in ("default", "none"):
        return
    from ..passes import parse_pipeline
    try:
        parse_pipeline(passes)
    except Exception as e:
        raise fmt.FormatError(f"{where}.passes: {e}") from None


def compile_arguments(section: dict, custom_objects, where: str) -> dict:
    """Validated keyword arguments for ``model.compile`` (all but the optimizer) from a compile section."""
    fmt.expect(section, dict, where)
    kwargs = {}
    for key in ("loss", "metrics", "weighted_metrics"):
        kwargs[key] = _dec_spec(section.get(key), custom_objects, f"{where}.{key}")
        _check_spec(kwargs[key], f"{where}.{key}", "loss" if key == "loss" else "metric")
    loss_weights = section.get("loss_weights")
    if isinstance(loss_weights, dict) and set(loss_weights) == {"__dict__"}:
        loss_weights = loss_weights["__dict__"]
    _check_loss_weights(loss_weights, f"{where}.loss_weights")
    kwargs["loss_weights"] = loss_weights
    steps = fmt.field(section, "steps_per_execution", int, where, default=1)
    if steps < 1:
        raise fmt.FormatError(f"{where}.steps_per_execution: expected a positive integer, got {steps}")
    kwargs["steps_per_execution"] = steps
    kwargs["passes"] = fmt.field(section, "passes", (str, type(None)), where, default="default")
    _check_passes(kwargs["passes"], where)
    return kwargs


def check_optimizer_config(config: dict, where: str) -> None:
    """Every number in an optimizer config is finite and the learning rate is not negative."""
    stack = [(config, f"{where}.config")]
    while stack:
        item, w = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, f"{w}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{w}[{i}]") for i, v in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            raise fmt.FormatError(f"{w}: expected a finite number, got {item!r}")
    lr = config.get("learning_rate")
    if isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr < 0:
        raise fmt.FormatError(f"{where}.config.learning_rate: must not be negative, got {lr!r}")
