"""Download-and-cache for kxla's datasets (stdlib only: urllib, hashlib, tarfile).

Files are cached under ``~/.kxla/datasets`` (override with the environment variable
``KXLA_DATASETS_DIR`` or a ``cache_dir=`` argument). A download is written to a temporary
file in the cache directory, checked against its known hash (sha256, or md5 for 32-character
hashes, as Keras lists them), fsynced and then renamed into place, so an interrupted download
never leaves a half-written file under the final name. A cached file whose hash does not match
is downloaded again.

Bounds: every socket operation times out after :data:`TIMEOUT` seconds and a
whole download after :data:`DEADLINE` seconds (a server trickling one byte a
second is given up); a body shorter or longer than its ``Content-Length`` is
refused even when no hash is known. ``path=`` / ``fname`` must name a file
inside the cache folder (``''``, ``'.'``, ``'..'``, a trailing ``/`` or an
absolute path outside the cache raise ``ValueError``; sub-folders are created).
An extracted archive is recorded in a manifest (member sizes and sha256, and
the archive's size and mtime); a damaged or incomplete extraction is detected
on the next load and extracted again.

The base URL of the ``storage.googleapis.com`` files can be changed with the environment
variable ``KXLA_DATASETS_BASE_URL`` or the module attribute :data:`BASE_URL` (mirrors, tests).
"""
from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import pickle
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

import numpy as np

#: Where Keras's own copies live; ``None`` means "use KXLA_DATASETS_BASE_URL or the default".
BASE_URL: str | None = None
DEFAULT_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Seconds before a silent connection is given up.
TIMEOUT = 60.0
#: Seconds a whole download may take.
DEADLINE = 3600.0
_READ = 1 << 16            # bytes per read: small, so the deadline is checked often


class DatasetDownloadError(RuntimeError):
    """A dataset file could not be fetched or failed its checksum."""


def base_url() -> str:
    """The base URL for the tf-keras-datasets files: :data:`BASE_URL`, then the environment, then the default."""
    url = BASE_URL or os.environ.get("KXLA_DATASETS_BASE_URL") or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


def cache_root(cache_dir: str | os.PathLike | None = None) -> str:
    """The cache directory: ``cache_dir``, else ``$KXLA_DATASETS_DIR``, else ``~/.kxla/datasets``."""
    root = cache_dir or os.environ.get("KXLA_DATASETS_DIR") or os.path.join("~", ".kxla", "datasets")
    return os.path.abspath(os.path.expanduser(os.fspath(root)))


def hash_file(path: str, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _algorithm(expected: str) -> str:
    return "md5" if len(expected) == 32 else "sha256"


def _matches(path: str, expected: str | None) -> bool:
    return expected is None or hash_file(path, _algorithm(expected)) == expected.lower()


def _local_path(folder: str, fname) -> str:
    """``folder/fname`` after checking that ``fname`` names a file inside ``folder`` (ValueError otherwise)."""
    if not isinstance(fname, (str, os.PathLike)):
        raise ValueError(f"path must be a file name, got {fname!r}")
    raw = os.fspath(fname)
    if raw in ("", ".", "..") or raw.endswith(("/", os.sep)) or os.path.basename(raw) in ("", ".", ".."):
        raise ValueError(f"path must name a file in the dataset cache {folder!r}, got {raw!r}")
    path = os.path.normpath(os.path.join(folder, raw))
    if os.path.commonpath([path, os.path.normpath(folder)]) != os.path.normpath(folder):
        raise ValueError(f"path {raw!r} is outside the dataset cache {folder!r}; give a file name (or a path "
                         "inside the cache), or pass cache_dir= to cache elsewhere")
    return path


def _fetch(origin: str, out, path: str) -> None:
    """Stream ``origin`` into ``out`` within :data:`DEADLINE`; check the body against ``Content-Length``."""
    start = time.monotonic()
    offline = (f"kxla caches datasets at {path}; when offline, copy the file there by hand (or set "
               "KXLA_DATASETS_DIR / KXLA_DATASETS_BASE_URL to a mirror).")
    try:
        with urllib.request.urlopen(origin, timeout=TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            received = 0
            while True:
                if time.monotonic() - start > DEADLINE:
                    raise DatasetDownloadError(f"downloading {origin} took longer than {DEADLINE:g} s "
                                               f"({received} bytes received); gave up. {offline}")
                chunk = response.read1(_READ)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
    except DatasetDownloadError:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", None) or f"{type(e).__name__}: {e}"
        raise DatasetDownloadError(f"could not download {origin} ({reason}). {offline}") from e
    if length is not None and length.strip().isdigit() and int(length) != received:
        raise DatasetDownloadError(f"incomplete download of {origin}: the server announced {int(length)} bytes "
                                   f"(Content-Length) and sent {received}. The file was not saved to {path}; "
                                   "try again.")


def get_file(fname: str, origin: str, file_hash: str | None = None, cache_subdir: str = "",
             cache_dir: str | os.PathLike | None = None) -> str:
    """Return the local path of ``fname``, downloading it from ``origin`` first when not cached.

    ``file_hash`` (sha256, or md5 when 32 hex digits) is checked after download and on cached
    files; a mismatching cached file is fetched again, a mismatching download raises
    :class:`DatasetDownloadError` naming the URL, the expected and the actual hash. Without a
    hash, the body must match the server's ``Content-Length``.

    Raises:
      ValueError: ``fname`` does not name a file inside the cache folder.
      DatasetDownloadError: the download failed, timed out, was incomplete or has the wrong hash.
    """
    folder = os.path.join(cache_root(cache_dir), cache_subdir)
    path = _local_path(folder, fname)
    if os.path.isfile(path) and _matches(path, file_hash):
        return path
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise DatasetDownloadError(f"cannot create the dataset cache directory {folder!r}: {e}. "
                                   "Set KXLA_DATASETS_DIR or pass cache_dir= to use another one.") from e
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            _fetch(origin, out, path)
            out.flush()
            os.fsync(out.fileno())
        if file_hash is not None:
            algo = _algorithm(file_hash)
            actual = hash_file(tmp, algo)
            if actual != file_hash.lower():
                raise DatasetDownloadError(
                    f"checksum mismatch for {origin}: expected {algo} {file_hash}, got {actual}. "
                    f"The file was not saved to {path}; the download may be corrupted, try again.")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _manifest(archive: str, root: str, marker: str) -> dict:
    """What an intact extraction of ``archive`` holds under ``root/marker``: sizes and sha256 of its files."""
    st = os.stat(archive)
    files = {}
    base = os.path.join(root, marker)
    for folder, _, names in os.walk(base):
        for name in names:
            full = os.path.join(folder, name)
            files[os.path.relpath(full, root)] = [os.path.getsize(full), hash_file(full)]
    return {"archive": [st.st_size, st.st_mtime_ns], "files": files}


def _intact(archive: str, dest: str, marker: str, manifest_path: str) -> bool:
    try:
        with open(manifest_path, encoding="utf-8") as f:
            recorded = json.load(f)
        return recorded == _manifest(archive, dest, marker)
    except (OSError, ValueError):
        return False


def _remove(path: str) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)


def extract_tar(archive: str, dest: str, marker: str) -> str:
    """Extract ``archive`` into ``dest`` (atomically: into a temp dir, then rename); return ``dest/marker``.

    An earlier extraction is reused only when it matches its manifest (every
    file present with the recorded size and sha256, from the same archive);
    otherwise it is removed and the archive extracted again.
    """
    target = os.path.join(dest, marker)
    manifest_path = os.path.join(dest, f".{marker}.manifest.json")
    if os.path.exists(target) and _intact(archive, dest, marker, manifest_path):
        return target
    os.makedirs(dest, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".extract.", dir=dest)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = []
            for m in tar.getmembers():
                name = os.path.normpath(m.name)
                if name.startswith("..") or os.path.isabs(name) or not (m.isfile() or m.isdir()):
                    raise DatasetDownloadError(f"refusing unsafe member {m.name!r} in {archive}")
                members.append(m)
            tar.extractall(tmp, members=members)
        if not os.path.exists(os.path.join(tmp, marker)):
            raise DatasetDownloadError(f"{archive} does not contain {marker!r}")
        _remove(target)                        # a damaged or unverified earlier extraction
        try:
            os.replace(os.path.join(tmp, marker), target)
        except OSError:
            if not os.path.exists(target):  # another process won the race: fine
                raise
        record = json.dumps(_manifest(archive, dest, marker))
        with tempfile.NamedTemporaryFile("w", dir=dest, prefix=".manifest.", delete=False) as f:
            f.write(record)
        os.replace(f.name, manifest_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# ---------------------------------------------------------------- safe loading (no arbitrary pickles)
_ALLOWED_GLOBALS = frozenset({("numpy", "ndarray"), ("numpy", "dtype"),
                              ("numpy.core.multiarray", "_reconstruct"),
                              ("numpy._core.multiarray", "_reconstruct")})


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only numpy arrays and plain Python containers; anything else is refused."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name} from a dataset file")


def _read_npy(buf: io.BytesIO):
    try:
        return np.lib.format.read_array(buf, allow_pickle=False)
    except ValueError:
        buf.seek(0)
        version = np.lib.format.read_magic(buf)
        if version[0] == 1:
            np.lib.format.read_array_header_1_0(buf)
        else:
            np.lib.format.read_array_header_2_0(buf)
        return RestrictedUnpickler(buf).load()


def load_npz(path: str) -> dict:
    """Load an ``.npz`` (object arrays allowed, but only numpy globals may be unpickled)."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if member.endswith(".npy"):
                with z.open(member) as raw:
                    out[member[:-4]] = _read_npy(io.BytesIO(raw.read()))
    return out


def load_pickle(path: str):
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, encoding="bytes").load()
