"""``get_file`` with Keras 3's signature, on the datasets' download-and-cache code.

Files land in the datasets' cache (``$KXLA_DATASETS_DIR`` or ``~/.kxla/datasets``)
when ``cache_subdir`` is Keras's default ``"datasets"`` and no ``cache_dir`` is
given; otherwise in ``cache_dir/cache_subdir`` (``cache_dir`` defaulting to
``~/.kxla``, Keras's ``~/.keras``). Downloads are atomic and hash-checked.
Archive extraction (``extract`` / ``untar``) is not supported and raises.
"""
from __future__ import annotations

import os
import urllib.parse

__all__ = ["get_file"]


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """The local path of ``fname`` (default: the last part of ``origin``), downloaded from ``origin`` if needed.

    ``file_hash`` (or ``md5_hash``) is checked on the download and on a cached copy (sha256, or md5 for 32
    hex digits); ``force_download`` fetches again even when cached.
    """
    from ..config import kxla_home
    from ..datasets import _download
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if untar or extract:
        raise ValueError("get_file: extract/untar are not supported by kxla; download the archive and open it "
                         "with tarfile/zipfile")
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"hash_algorithm must be 'auto', 'sha256' or 'md5', got {hash_algorithm!r}")
    fname = fname or os.path.basename(urllib.parse.urlparse(origin).path)
    if not fname:
        raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. Please specify the "
                         "`fname` argument.")
    if cache_dir is None and cache_subdir == "datasets":
        root, subdir = _download.cache_root(None), ""
    else:
        root, subdir = os.path.expanduser(cache_dir or kxla_home()), cache_subdir or ""
    if force_download:
        cached = os.path.join(root, subdir, fname)
        if os.path.isfile(cached):
            os.unlink(cached)
    return _download.get_file(fname, origin, file_hash=file_hash or md5_hash, cache_subdir=subdir, cache_dir=root)
