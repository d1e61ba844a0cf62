"""Reads IR text (as written by ``kxla.ir.printer``) back into a ``Graph``.

``str(parse(str(g))) == str(g)`` for every graph. Every failure to parse —
bad syntax, a bad string escape, a raw newline inside a string, an integer
out of range, attribute lists nested deeper than ``MAX_NESTING`` — raises
``ParseError`` (also named ``IRSyntaxError``) with the line and column; never
a ``JSONDecodeError``, ``ValueError`` of another kind or ``RecursionError``.
Each parsed node records where it was written (``node.meta["loc"] = (line,
column)``) so the verifier can point there. The parser does not consult the op
registry; ``graph.verify()`` does.

Regions (sub-graphs held by a node's ``region`` attributes, e.g. scan's
``body=@body``) are read from the ``region @name(...) { ... }`` blocks that
follow the node, each with its own value names.
"""
from __future__ import annotations

import json
import re

from .graph import Graph, Node, Value
from .types import DTYPE_LONG, TensorType
from .registry import REQUIRED, canonical_op_name, get_op, has_op


MAX_NESTING = 32            # attribute lists inside attribute lists
MAX_INT = 2 ** 64          # attribute integers: |value| < MAX_INT (int64 and uint64 fit)
MAX_DIM = 2 ** 63 - 1      # a tensor dimension


class ParseError(ValueError):
    """IR text that cannot be parsed; ``line`` and ``column`` say where (both 1-based)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line, self.column = line, column


IRSyntaxError = ParseError      # the earlier name


_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<comment>//[^\n]*)
  | (?P<value>%[\w.\-/$]+)
  | (?P<symbol>@[\w.\-/$]+)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?(?:inf|nan|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)(?![\w]))
  | (?P<ident>[A-Za-z_][\w.]*)
  | (?P<punct>[(){}\[\],:=?])
""", re.VERBOSE)


def _tokenize(text: str):
    pos, line, col0 = 0, 1, 0
    tokens = []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            column = pos - col0 + 1
            what = ("unterminated string (a string ends on its line; write a newline as \\n)"
                    if text[pos] == '"' else f"unexpected character {text[pos]!r}")
            raise ParseError(f"line {line}, column {column}: {what}", line, column)
        kind = m.lastgroup
        if kind == "nl":
            tokens.append(("nl", "\n", line, pos - col0 + 1))
            line, col0 = line + 1, m.end()
        elif kind != "ws":
            tokens.append((kind, m.group(), line, pos - col0 + 1))
        pos = m.end()
    tokens.append(("eof", "", line, pos - col0 + 1))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokenize(text)
        self.i = 0
        self.env: dict[str, Value] = {}

    # -- token helpers ---------------------------------------------------
    def peek(self, skip_nl=True):
        j = self.i
        while skip_nl and self.toks[j][0] in ("nl", "comment"):
            j += 1
        return self.toks[j]

    def next(self, skip_nl=True):
        while skip_nl and self.toks[self.i][0] in ("nl", "comment"):
            self.i += 1
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, tok, msg, found=True):
        shown = tok[1] if len(tok[1]) <= 40 else tok[1][:37] + "..."
        raise ParseError(f"line {tok[2]}, column {tok[3]}: {msg}" + (f", found {shown!r}" if found else ""),
                         tok[2], tok[3])

    def integer(self, tok, limit: int) -> int:
        text = tok[1]
        if len(text.lstrip("-")) > len(str(limit)):
            self.error(tok, f"integer out of range (magnitude at most {limit})")
        value = int(text)
        if abs(value) > limit:
            self.error(tok, f"integer out of range (magnitude at most {limit})")
        return value

    def expect(self, text, skip_nl=True):
        tok = self.next(skip_nl)
        if tok[1] != text:
            self.error(tok, f"expected {text!r}")
        return tok

    def accept(self, text):
        if self.peek()[1] == text:
            self.next()
            return True
        return False

    # -- grammar ---------------------------------------------------------
    def type_(self) -> TensorType:
        tok = self.next()
        if tok[0] != "ident" or tok[1] not in DTYPE_LONG:
            self.error(tok, f"expected a dtype ({', '.join(DTYPE_LONG)})")
        self.expect("[")
        dims = []
        while not self.accept("]"):
            if dims:
                self.expect(",")
            t = self.next()
            if t[1] == "?":
                dims.append(None)
            elif t[0] == "number" and t[1].isdigit():
                dims.append(self.integer(t, MAX_DIM))
            else:
                self.error(t, "expected a dimension (integer or ?)")
        return TensorType(tuple(dims), DTYPE_LONG[tok[1]])

    def attr_value(self, depth: int = 0):
        tok = self.next()
        kind, text = tok[0], tok[1]
        if text == "[":
            if depth >= MAX_NESTING:
                self.error(tok, f"attribute lists nested deeper than {MAX_NESTING} levels", found=False)
            items = []
            while not self.accept("]"):
                if items:
                    self.expect(",")
                items.append(self.attr_value(depth + 1))
            return items
        if kind == "string":
            try:
                return json.loads(text)
            except ValueError as e:
                self.error(tok, f"bad string literal ({getattr(e, 'msg', e)})", found=False)
        if kind == "number":
            if re.fullmatch(r"-?\d+", text):
                return self.integer(tok, MAX_INT - 1)
            return float(text)
        if kind == "ident" and text in ("true", "false", "none"):
            return {"true": True, "false": False, "none": None}[text]
        if kind == "symbol" and depth == 0:
            return _RegionRef(text[1:], tok)        # a region: its block follows the node
        self.error(tok, "expected an attribute value")

    def attrs(self) -> dict:
        out = {}
        if not self.accept("{"):
            return out
        while not self.accept("}"):
            if out:
                self.expect(",")
            key = self.next()
            if key[0] != "ident":
                self.error(key, "expected an attribute name")
            self.expect("=")
            out[key[1]] = self.attr_value()
        return out

    def define(self, tok, value: Value):
        name = tok[1][1:]
        if name in self.env:
            self.error(tok, f"value %{name} is defined twice")
        self.env[name] = value

    def use(self) -> Value:
        tok = self.next()
        if tok[0] != "value":
            self.error(tok, "expected a value (%name)")
        try:
            return self.env[tok[1][1:]]
        except KeyError:
            self.error(tok, f"use of undefined value {tok[1]}")

    def arg_list(self, kind: str) -> list[Value]:
        self.expect("(")
        out = []
        while not self.accept(")"):
            if out:
                self.expect(",")
            tok = self.next()
            if tok[0] != "value":
                self.error(tok, "expected an argument (%name)")
            self.expect(":")
            v = Value(self.type_(), name=tok[1][1:], kind=kind)
            v.attrs = self.attrs()
            self.define(tok, v)
            out.append(v)
        return out

    def graph(self) -> Graph:
        tok = self.next()
        if tok[1] != "graph":
            self.error(tok, "expected 'graph'")
        sym = self.next()
        if sym[0] != "symbol":
            self.error(sym, "expected a graph name (@name)")
        g = Graph(sym[1][1:])
        g.inputs = self.arg_list("input")
        if self.peek()[1] == "params":
            self.next()
            g.params = self.arg_list("param")
        if self.peek()[1] == "state":
            self.next()
            g.state = self.arg_list("state")
        self.body(g)
        end = self.next()
        if end[0] != "eof":
            self.error(end, "expected end of text")
        return g

    def body(self, g: Graph) -> None:
        """``{ nodes; return ...; update ... }`` into ``g``."""
        self.expect("{")
        while True:
            tok = self.peek()
            if tok[1] == "return":
                self.next()
                g.outputs = [self.use()]
                while self.peek(skip_nl=False)[1] == ",":
                    self.next()
                    g.outputs.append(self.use())
                break
            g.nodes.append(self.node())
        while self.peek()[1] == "update":
            self.next()
            state = self.use()
            if state.kind != "state":
                self.error(self.toks[self.i - 1], "update target must be a state value")
            self.expect("=")
            g.updates.append((state, self.use()))
        self.expect("}")

    def region(self) -> Graph:
        """``region @name(%a: T, ...) { ... }``: a sub-graph with its own value names."""
        self.expect("region")
        sym = self.next()
        if sym[0] != "symbol":
            self.error(sym, "expected a region name (@name)")
        outer, self.env = self.env, {}
        try:
            g = Graph(sym[1][1:])
            g.inputs = self.arg_list("input")
            self.body(g)
        finally:
            self.env = outer
        return g

    def regions(self, op, attrs: dict) -> dict:
        """Read the region blocks after a node; replace its ``@name`` attribute references by them."""
        blocks = {}
        while self.peek()[1] == "region":
            tok = self.peek()
            g = self.region()
            if g.name in blocks:
                self.error(tok, f"region @{g.name} is written twice for this node", found=False)
            blocks[g.name] = g
        out = {}
        for key, value in attrs.items():
            if isinstance(value, _RegionRef):
                if value.name not in blocks:
                    self.error(value.tok, f"attribute {key!r} names region @{value.name}, which does not "
                               "follow the node", found=False)
                value = blocks.pop(value.name)
            out[key] = value
        if blocks:
            self.error(op, f"region @{next(iter(blocks))} follows the node but no attribute names it",
                       found=False)
        return out

    def node(self) -> Node:
        result_toks = []
        while True:
            tok = self.next()
            if tok[0] != "value":
                self.error(tok, "expected a result (%name) or 'return'")
            result_toks.append(tok)
            if not self.accept(","):
                break
        self.expect("=")
        op = self.next()
        if op[0] != "ident":
            self.error(op, "expected an op name")
        self.expect("(")
        inputs = []
        while not self.accept(")"):
            if inputs:
                self.expect(",")
            inputs.append(self.use())
        attrs = self.attrs()
        self.expect(":")
        types = [self.type_()]
        while self.peek(skip_nl=False)[1] == ",":
            self.next()
            types.append(self.type_())
        if len(types) != len(result_toks):
            self.error(op, f"{len(result_toks)} result(s) but {len(types)} type(s)")
        layer, remat = None, None
        nxt = self.toks[self.i]
        if nxt[0] == "comment":
            layer, remat = _layer_and_remat(nxt[1][2:].strip())
            self.i += 1
        attrs = self.regions(op, attrs)
        name = canonical_op_name(op[1])
        if name != op[1]:              # an old op name (conv2d -> conv): its new attributes take defaults
            try:
                attrs = get_op(name).normalize_attrs(attrs)
            except (TypeError, ValueError) as e:
                self.error(op, str(e))
        elif has_op(name):
            attrs = _with_defaults(get_op(name), attrs)
        node = Node(name, inputs, attrs, types, layer=layer)
        node.meta["loc"] = (result_toks[0][2], result_toks[0][3])
        if remat:
            node.meta["remat"] = remat
        for tok, r in zip(result_toks, node.results):
            self.define(tok, r)
        return node


class _RegionRef:
    """``@name`` read as an attribute value: the region block of that name after the node."""

    def __init__(self, name: str, tok):
        self.name, self.tok = name, tok


_REMAT = re.compile(r"(.*?)\s*\[remat (\d+(?:/\d+)*)\]$")


def _layer_and_remat(comment: str):
    """A node comment ``dense [remat 0/3]``: the layer (or None) and the remat region path (or None)."""
    m = _REMAT.fullmatch(comment)
    if m is None:
        return comment or None, None
    return m.group(1) or None, tuple(int(r) for r in m.group(2).split("/"))


def _with_defaults(opdef, attrs: dict) -> dict:
    """Attributes the text omits that have a default take it, in schema order (IR written before an op
    gained an attribute still reads); required ones stay missing for the verifier to name."""
    if all(key in attrs for key in opdef.attrs):
        return attrs
    out = {key: attrs[key] if key in attrs else spec.default for key, spec in opdef.attrs.items()
           if key in attrs or spec.default is not REQUIRED}
    out.update((key, value) for key, value in attrs.items() if key not in out)
    return out


def parse(text: str) -> Graph:
    """Parse IR text into a Graph.

    Raises:
      ParseError: malformed text (the message starts with ``line L, column C:``).
    """
    if not isinstance(text, str):
        raise ParseError(f"line 1, column 1: IR text must be a str, got {type(text).__name__}", 1, 1)
    parser = _Parser(text)
    try:
        return parser.graph()
    except ParseError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as e:
        tok = parser.toks[min(max(parser.i - 1, 0), len(parser.toks) - 1)]
        raise ParseError(f"line {tok[2]}, column {tok[3]}: {type(e).__name__}: {e}", tok[2], tok[3]) from None
