"""Download-and-cache for kxla's datasets (stdlib only: urllib, hashlib, tarfile).

Files are cached under ``~/.kxla/datasets`` (override with the environment variable
``KXLA_DATASETS_DIR`` or a ``cache_dir=`` argument). A download is written to a temporary
file in the cache directory, checked against its known hash (sha256, or md5 for 32-character
hashes, as Keras lists them), fsynced and then renamed into place, so an interrupted download
never leaves a half-written file under the final name. A cached file whose hash does not match
is downloaded again.

The base URL of the ``storage.googleapis.com`` files can be changed with the environment
variable ``KXLA_DATASETS_BASE_URL`` or the module attribute :data:`BASE_URL` (mirrors, tests).
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile

import numpy as np

#: Where Keras's own copies live; ``None`` means "use KXLA_DATASETS_BASE_URL or the default".
BASE_URL: str | None = None
DEFAULT_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Seconds before a silent connection is given up.
TIMEOUT = 60.0


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


def get_file(fname: str, origin: str, file_hash: str | None = None, cache_subdir: str = "",
             cache_dir: str | os.PathLike | None = None) -> str:
    """Return the local path of ``fname``, downloading it from ``origin`` first when not cached.

    ``file_hash`` (sha256, or md5 when 32 hex digits) is checked after download and on cached
    files; a mismatching cached file is fetched again, a mismatching download raises
    :class:`DatasetDownloadError` naming the URL, the expected and the actual hash.
    """
    folder = os.path.join(cache_root(cache_dir), cache_subdir)
    path = os.path.join(folder, fname)
    if os.path.exists(path) and _matches(path, file_hash):
        return path
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise DatasetDownloadError(f"cannot create the dataset cache directory {folder!r}: {e}. "
                                   "Set KXLA_DATASETS_DIR or pass cache_dir= to use another one.") from e
    fd, tmp = tempfile.mkstemp(prefix=f".{fname}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(origin, timeout=TIMEOUT) as response:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        out.write(chunk)
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                raise DatasetDownloadError(
                    f"could not download {origin} ({reason}). kxla caches datasets at {path}; "
                    f"when offline, copy the file there by hand (or set KXLA_DATASETS_DIR / "
                    f"KXLA_DATASETS_BASE_URL to a mirror).") from e
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


def extract_tar(archive: str, dest: str, marker: str) -> str:
    """Extract ``archive`` into ``dest`` once (atomically: into a temp dir, then rename); return ``dest/marker``."""
    target = os.path.join(dest, marker)
    if os.path.exists(target):
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
        try:
            os.replace(os.path.join(tmp, marker), target)
        except OSError:
            if not os.path.exists(target):  # another process won the race: fine
                raise
    finally:
        import shutil
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
