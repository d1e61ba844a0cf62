"""The ``Pass`` base class and the parsing of pass options written ``name{opt=value, ...}``.

A pass is a small frozen dataclass. Its class-level ``name`` is how pipelines
spell it; its dataclass fields are its options, typed by their annotations::

    @dataclass(frozen=True)
    class ConvertLayout(Pass):
        name = "convert-layout"
        to: Literal["channels_last", "channels_first"] = "channels_last"

        def run(self, graph, rw) -> bool:
            ...

``run`` receives the graph (already a private copy made by the pass manager)
and the ``Rewriter`` through which every mutation goes; it returns whether it
changed anything.
"""
from __future__ import annotations

import dataclasses
import difflib
import typing
from typing import ClassVar, Literal, Union, get_args, get_origin

__all__ = ["Pass", "PassError", "PassOptionError", "parse_option", "format_option"]


class PassError(RuntimeError):
    """A pass failed, or left the IR invalid.

    Attributes:
      pass_name: the pass that failed (None for pipeline-level errors).
      history: names of the passes that ran before it, in order.
    """

    def __init__(self, message: str, pass_name: str | None = None, history: tuple = ()):
        super().__init__(message)
        self.pass_name = pass_name
        self.history = tuple(history)


class PassOptionError(PassError, ValueError):
    """An unknown pass, an unknown option, or an option value of the wrong type."""


class Pass:
    """Base class of every pass: subclass it as a frozen dataclass and define ``name`` and ``run``.

    Attributes:
      name: the pass name used in pipeline text (class-level).
      regions: whether the pass manager also runs it on regions (class-level).
    """

    name: ClassVar[str] = ""
    #: also run on every region (an op's isolated sub-graph, e.g. scan's body), recursively; passes that
    #: leave this False treat an op with a region as opaque (see docs/passes.md, "Regions and the scan op")
    regions: ClassVar[bool] = False

    def run(self, graph, rw) -> bool:  # pragma: no cover - abstract
        """Transform ``graph`` in place through ``rw`` (a ``Rewriter``); return whether it changed."""
        raise TypeError(f"pass {self.name!r} does not define run(graph, rw)")

    # -- options -----------------------------------------------------------
    @classmethod
    def options(cls) -> dict:
        """``{option name: (type annotation, default)}`` from the dataclass fields."""
        if not dataclasses.is_dataclass(cls):
            return {}
        hints = typing.get_type_hints(cls)
        out = {}
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
            out[f.name] = (hints.get(f.name, str), default)
        return out

    @classmethod
    def from_options(cls, options: dict[str, str]) -> "Pass":
        """Build the pass from option strings (as written in pipeline text), typed by the fields.

        Raises:
          PassOptionError: naming the unknown option (with the closest valid one)
            or the value that does not fit the option's type.
        """
        known = cls.options()
        kwargs = {}
        for key, text in options.items():
            if key not in known:
                close = difflib.get_close_matches(key, list(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                valid = ", ".join(known) or "none"
                raise PassOptionError(f"pass {cls.name!r} has no option {key!r}{hint} (options: {valid})",
                                      pass_name=cls.name)
            try:
                kwargs[key] = parse_option(text, known[key][0])
            except ValueError as e:
                raise PassOptionError(f"pass {cls.name!r}, option {key!r}: {e}", pass_name=cls.name) from None
        missing = [k for k, (_, d) in known.items() if d is dataclasses.MISSING and k not in kwargs]
        if missing:
            raise PassOptionError(f"pass {cls.name!r} needs option(s) {missing}", pass_name=cls.name)
        return cls(**kwargs)

    def __str__(self) -> str:
        """Pipeline text for this pass: ``name`` or ``name{opt=value,...}`` (non-default options only)."""
        parts = []
        for key, (_, default) in type(self).options().items():
            value = getattr(self, key)
            if value != default:
                parts.append(f"{key}={format_option(value)}")
        return self.name + ("{" + ",".join(parts) + "}" if parts else "")

    @property
    def description(self) -> str:
        return (type(self).__doc__ or "").strip().split("\n")[0]


def format_option(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_option(v) for v in value) + "]"
    return str(value)


def parse_option(text: str, annotation):
    """Convert option text to ``annotation``: int, float, bool, str, Literal[...], Optional[...], tuple[...]."""
    text = text.strip()
    origin = get_origin(annotation)
    if origin is Union or (origin is not None and getattr(origin, "__name__", "") == "UnionType") or \
            type(annotation).__name__ == "UnionType":
        args = get_args(annotation)
        if type(None) in args and text.lower() in ("none", "null", ""):
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return parse_option(text, arg)
            except ValueError as e:
                errors.append(str(e))
        raise ValueError("; ".join(errors))
    if origin is Literal:
        choices = get_args(annotation)
        for choice in choices:
            if str(choice) == text or format_option(choice) == text:
                return choice
        close = difflib.get_close_matches(text, [str(c) for c in choices], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"expected one of {list(choices)}, got {text!r}{hint}")
    if origin in (tuple, list):
        inner = get_args(annotation)[0] if get_args(annotation) else str
        body = text[1:-1] if text[:1] == "[" and text[-1:] == "]" else text
        items = [parse_option(t, inner) for t in body.split(",") if t.strip()] if body.strip() else []
        return tuple(items) if origin is tuple else items
    if annotation is bool:
        low = text.lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if annotation is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if annotation is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if annotation is str:
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            return text[1:-1]
        return text
    raise ValueError(f"options of type {annotation!r} cannot be written in pipeline text")
