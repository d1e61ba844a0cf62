"""Files on disk, safely: regular files only, bounded reads, atomic writes, stale temp files cleaned up.

* ``open_regular(path)`` opens for reading without blocking (a FIFO never
  hangs the open) and refuses anything but a regular file (a character
  device such as ``/dev/zero``, a FIFO, a socket: ``NotARegularFileError``;
  a directory: ``IsADirectoryError``).
* ``write_atomic(path, data)`` refuses the same non-regular destinations
  (never replacing ``/dev/null`` with a file), then writes a hidden temporary
  file in the destination's folder, fsyncs it and ``os.replace``s it into
  place: a crash at any point leaves the previous file as it was.
* Temporary files are named ``.<target>.<host>-<pid>.<random>.tmp``. A save
  that is killed leaves its temporary file behind; the next save of the same
  target removes such files when they are provably abandoned: written on this
  host by a process that no longer exists, or older than a day (any host).
  Only regular files with exactly that name pattern are touched; symlinks and
  other names never are, and a temporary file of a live process is left alone.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
import stat
import time
import uuid

__all__ = ["NotARegularFileError", "open_regular", "check_destination", "write_atomic", "clean_stale_temps",
           "temp_name", "STALE_AGE_S"]

_CHUNK = 1 << 20            # bytes per write() call
STALE_AGE_S = 24 * 3600     # a temp file this old is abandoned whatever wrote it
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


class NotARegularFileError(OSError):
    """A path that is not a regular file (character device, FIFO, socket) where kxla reads or writes a file."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def _refuse(path: str, mode: int, action: str):
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, f"is a directory; kxla {action} regular files only", path)
    raise NotARegularFileError(errno.EINVAL, f"is {_kind(mode)}, not a regular file; kxla {action} regular "
                               "files only", path)


def open_regular(path):
    """A binary file object for reading ``path``, which must be a regular file.

    Opened with ``O_NONBLOCK`` so that opening a FIFO returns at once; the
    file's type is checked on the open descriptor (no race with a rename).

    Raises:
      FileNotFoundError / PermissionError: as ``open``.
      IsADirectoryError, NotARegularFileError: ``path`` is not a regular file.
    """
    path = os.fspath(path)
    mode = os.stat(path).st_mode               # sockets cannot even be opened: refuse by type first
    if not stat.S_ISREG(mode):
        _refuse(path, mode, "reads")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            _refuse(path, mode, "reads")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_destination(path: str, overwrite: bool = True) -> None:
    """Refuse to write ``path`` when it exists and is not a regular file (or exists and overwrite=False)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError:
        return                     # e.g. a dangling symlink's target folder is unreadable: let open() decide
    if not overwrite:
        raise FileExistsError(f"{path} exists and overwrite=False")
    if not stat.S_ISREG(st.st_mode):
        _refuse(path, st.st_mode, "writes")


def temp_name(path: str) -> str:
    """A fresh hidden temporary path next to ``path`` (see the module docstring for the pattern)."""
    folder, base = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{base}.{_HOST}-{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True                 # another thread of this process may be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError, ValueError):
        return True
    return True


def clean_stale_temps(path: str, now: float | None = None) -> list[str]:
    """Remove abandoned temporary files of ``path`` (see the module docstring); return their paths."""
    folder, base = os.path.split(os.path.abspath(path))
    pattern = re.compile(r"\." + re.escape(base) + r"\.(?:([0-9a-f]{8})-(\d{1,10})\.)?[0-9a-f]{12}\.tmp")
    now = time.time() if now is None else now
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = pattern.fullmatch(name)
        if m is None:
            continue
        full = os.path.join(folder, name)
        try:
            st = os.lstat(full)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        host, pid = m.group(1), m.group(2)
        abandoned = now - st.st_mtime > STALE_AGE_S or (host == _HOST and pid is not None
                                                          and not _pid_alive(int(pid)))
        if abandoned:
            try:
                os.unlink(full)
                removed.append(full)
            except OSError:
                pass
    return removed


def _write_chunks(f, data: bytes) -> None:
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        f.write(view[start:start + _CHUNK])


def _fsync_folder(folder: str) -> None:
    try:                                   # make the rename itself durable (POSIX)
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def write_atomic(path, data: bytes, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, ``os.replace``.

    Arguments:
      overwrite: when False, refuse (FileExistsError) if ``path`` exists.

    Raises:
      FileExistsError: ``path`` exists and overwrite=False.
      IsADirectoryError, NotARegularFileError: ``path`` exists and is not a regular file; it is left untouched.
    """
    path = os.fspath(path)
    check_destination(path, overwrite)
    clean_stale_temps(path)
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_chunks(f, data)
            f.flush()
            os.fsync(f.fileno())
        check_destination(path, overwrite=True)     # became a device/FIFO while we wrote: still refuse
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(os.path.dirname(os.path.abspath(path)))
