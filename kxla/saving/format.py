"""The kxla file container: one msgpack map, checksummed, validated field by field, written atomically.

A file is a msgpack map of four entries, always in this order::

    {"format": "kxla.model" | "kxla.weights",   # the magic: the file's first bytes are fixed
     "version": 1,                                # FORMAT_VERSION of the writer
     "sha256": <32 bytes>,                        # digest of the payload bytes
     "payload": <bytes>}                          # a msgpack map: the content (see model_io, weights_io)

Tensors inside a payload are ``{"dtype": "float32", "shape": [3, 4], "data": <raw little-endian
bytes>}``. Nothing is ever unpickled or evaluated.

Reading is defensive: the magic is checked before anything is decoded, every
msgpack length is capped by the file's size, nesting is capped at
``MAX_DEPTH``, the checksum is verified before the payload is decoded, every
field's type is checked, and a tensor's buffer must hold exactly
``prod(shape) * itemsize`` bytes before ``np.frombuffer`` sees it. Whatever
is wrong raises ``FormatError`` (a ``ValueError``) naming the file and the field.

Files are read only from regular files (``kxla.saving.files.open_regular``:
``/dev/zero`` or a FIFO is refused at once), and never more than the size the
header declares (``declared_size``): the header is read first, and a file
whose size differs from it is refused before the rest is read.

Writing is atomic (``kxla.saving.files.write_atomic``): the bytes go to a
temporary file in the destination's folder, are flushed and fsync'ed, and
``os.replace`` moves the file into place; a crash at any point leaves the
previous file as it was. A destination that is not a regular file is refused.
"""
from __future__ import annotations

import hashlib
import os

import msgpack

from ..serialization.values import (DTYPES, MAX_RANK, FormatError, decode_tensor, encode_tensor, expect,  # noqa: F401
                                    field, tensor_dtype, to_plain)
from .files import NotARegularFileError, open_regular, write_atomic

__all__ = ["FormatError", "FORMAT_VERSION", "MODEL_FORMAT", "WEIGHTS_FORMAT", "MAX_DEPTH", "pack_file",
           "unpack_file", "read_file", "write_atomic", "encode_tensor", "decode_tensor", "to_plain",
           "check_depth", "field", "expect", "read_bytes", "declared_size", "NotARegularFileError"]

FORMAT_VERSION = 1
MODEL_FORMAT = "kxla.model"
WEIGHTS_FORMAT = "kxla.weights"
MAX_DEPTH = 64              # nesting of maps/lists anywhere in a payload
_HEAD = 256                 # bytes read first: the header up to the payload's length



def _header_prefix(kind: str) -> bytes:
    return b"\x84" + msgpack.packb("format") + msgpack.packb(kind)


# -- packing ---------------------------------------------------------------------
def pack_file(kind: str, payload: dict) -> bytes:
    """The bytes of a kxla file of ``kind`` (``MODEL_FORMAT`` / ``WEIGHTS_FORMAT``) holding ``payload``."""
    body = msgpack.packb(payload, use_bin_type=True)
    return msgpack.packb({"format": kind, "version": FORMAT_VERSION, "sha256": hashlib.sha256(body).digest(),
                          "payload": body}, use_bin_type=True)


# -- unpacking -----------------------------------------------------------------
def _unpack(data: bytes, what: str):
    n = len(data)
    try:
        return msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=True, max_bin_len=n,
                               max_str_len=n, max_array_len=n, max_map_len=n, max_ext_len=0)
    except msgpack.exceptions.StackError:
        raise FormatError(f"{what}: data nested too deeply") from None
    except Exception as e:          # ExtraData, OutOfData, FormatError, Unicode, ValueError, ...
        raise FormatError(f"{what}: not valid msgpack ({type(e).__name__}: {e})") from None


def check_depth(obj, what: str, limit: int = MAX_DEPTH) -> None:
    """Raise FormatError if lists/maps in ``obj`` nest deeper than ``limit`` (iterative, no recursion)."""
    stack = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise FormatError(f"{what}: data nested deeper than {limit} levels")
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def unpack_file(data: bytes, kind: str, source: str = "file") -> dict:
    """The validated payload map of a file of ``kind``; FormatError for anything else.

    Arguments:
      data: the file's bytes.
      kind: ``MODEL_FORMAT`` or ``WEIGHTS_FORMAT``; a file of another kxla kind is refused with a hint.
      source: name used in error messages (the path).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"{source}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data.startswith(_header_prefix(kind)):
        for other in (MODEL_FORMAT, WEIGHTS_FORMAT):
            if other != kind and data.startswith(_header_prefix(other)):
                raise FormatError(f"{source}: is a {other!r} file, not a {kind!r} file")
        raise FormatError(f"{source}: not a kxla file (expected the {kind!r} header; "
                          f"the file starts with {data[:8]!r})")
    outer = _unpack(data, source)
    if not isinstance(outer, dict) or list(outer) != ["format", "version", "sha256", "payload"]:
        raise FormatError(f"{source}: malformed header")
    version = outer["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise FormatError(f"{source}: malformed format version {version!r}")
    if version > FORMAT_VERSION or version < 1:
        raise FormatError(f"{source}: format version {version} is not supported by this kxla "
                          f"(it reads versions 1 to {FORMAT_VERSION})")
    digest, body = outer["sha256"], outer["payload"]
    if not isinstance(digest, bytes) or len(digest) != 32 or not isinstance(body, bytes):
        raise FormatError(f"{source}: malformed header")
    if hashlib.sha256(body).digest() != digest:
        raise FormatError(f"{source}: checksum mismatch (the file is corrupted)")
    payload = _unpack(body, source)
    if not isinstance(payload, dict):
        raise FormatError(f"{source}: the payload is not a map")
    check_depth(payload, source)
    payload["__version__"] = version
    return payload


def declared_size(head: bytes) -> int | None:
    """The total file size the header at the start of ``head`` declares, or None if it is not a kxla header.

    The header is the outer map up to the payload's length: ``format``,
    ``version``, ``sha256`` and the ``payload`` key with its bin length.
    """
    if not any(head.startswith(_header_prefix(k)) for k in (MODEL_FORMAT, WEIGHTS_FORMAT)):
        return None
    unpacker = msgpack.Unpacker(raw=False, max_bin_len=64, max_str_len=64, max_array_len=0, max_map_len=4,
                                max_ext_len=0)
    unpacker.feed(head)
    try:
        if unpacker.read_map_header() != 4:
            return None
        for key in ("format", "version", "sha256"):
            if unpacker.unpack() != key:
                return None
            unpacker.skip()
        if unpacker.unpack() != "payload":
            return None
        at = unpacker.tell()
    except Exception:
        return None
    widths = {0xc4: 1, 0xc5: 2, 0xc6: 4}
    if at >= len(head) or head[at] not in widths:
        return None
    width = widths[head[at]]
    if at + 1 + width > len(head):
        return None
    return at + 1 + width + int.from_bytes(head[at + 1:at + 1 + width], "big")


def read_bytes(path) -> bytes:
    """The bytes of the kxla file at ``path``: a regular file, read no further than its header declares.

    A file that is not a kxla file at all returns only its first bytes (enough
    for ``unpack_file`` to say what it is).

    Raises:
      FileNotFoundError / PermissionError: as ``open``.
      IsADirectoryError, NotARegularFileError: ``path`` is a directory, device, FIFO or socket.
      FormatError: the file's size differs from the size its header declares (truncated or padded).
    """
    path = os.fspath(path)
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(_HEAD)
        declared = declared_size(head)
        if declared is None:
            return head
        if declared != size:
            raise FormatError(f"{path}: {'truncated' if size < declared else 'trailing data'}: the header "
                              f"declares {declared} bytes, the file holds {size}")
        rest = f.read(max(0, declared - len(head)))
    data = head + rest
    if len(data) != declared:
        raise FormatError(f"{path}: truncated while reading ({len(data)} of {declared} bytes)")
    return data[:declared]


def read_file(path, kind: str) -> dict:
    """Read and validate the file at ``path`` (see ``read_bytes`` and ``unpack_file``).

    Raises:
      FileNotFoundError / PermissionError: as ``open``.
      IsADirectoryError, NotARegularFileError: not a regular file.
      FormatError: not a valid file of ``kind``.
    """
    path = os.fspath(path)
    return unpack_file(read_bytes(path), kind, source=path)
