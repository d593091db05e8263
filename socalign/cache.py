"""One user cache folder, content keys, and atomic writes (write to a temporary name, then rename)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from platformdirs import user_cache_dir

CACHE_ENV = "SOCALIGN_CACHE"


def cache_dir(*parts: str) -> Path:
    """The socalign cache folder (``$SOCALIGN_CACHE`` or the user cache), created on demand."""
    base = Path(os.environ.get(CACHE_ENV) or user_cache_dir("socalign"))
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _feed(digest: Any, item: Any) -> None:
    if isinstance(item, bytes):
        digest.update(b"b" + item)
    elif isinstance(item, Path):
        digest.update(b"f")
        with open(item, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    elif isinstance(item, np.ndarray):
        digest.update(f"a{item.dtype.str}{item.shape}".encode())
        digest.update(np.ascontiguousarray(item).tobytes())
    elif isinstance(item, str):
        digest.update(b"s" + item.encode())
    else:
        digest.update(b"j" + json.dumps(item, sort_keys=True, default=str).encode())
    digest.update(b"\x00")


def content_key(*items: Any) -> str:
    """sha256 hex of the items: bytes, str, arrays, JSON-able values, and files (by content)."""
    digest = hashlib.sha256()
    for item in items:
        _feed(digest, item)
    return digest.hexdigest()


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    """Write bytes through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_save_npz(path: Path | str, **arrays: np.ndarray) -> Path:
    """Save arrays as an ``.npz`` atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


class CacheWarning(UserWarning):
    """A corrupt cache entry was found (named in the message), removed, and is rebuilt."""


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def sha256_bytes(data: bytes) -> str:
    """sha256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def write_verified(path: Path | str, data: bytes) -> Path:
    """Write a cache entry atomically with a size and sha256 record beside it (``.sha256``).

    Parameters
    ----------
    path
        The entry's file.
    data
        Its content.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    atomic_write_bytes(path, data)
    atomic_write_bytes(_record_path(path), f"{len(data)} {sha256_bytes(data)}\n".encode())
    return path


def discard_entry(path: Path | str, reason: str) -> None:
    """Report a corrupt cache entry once (a :class:`CacheWarning` naming it) and remove it.

    Parameters
    ----------
    path
        The entry's file (its ``.sha256`` record goes too).
    reason
        What is wrong with it.
    """
    path = Path(path)
    warnings.warn(f"{path}: corrupt cache entry ({reason}); removed, rebuilding it",
                  CacheWarning, stacklevel=3)
    path.unlink(missing_ok=True)
    _record_path(path).unlink(missing_ok=True)


def read_verified(path: Path | str) -> bytes | None:
    """A cache entry's bytes when they match their record; None when absent or corrupt.

    A corrupt entry (wrong size or sha256, no record, unreadable) is reported once, naming
    the file, and removed (see :func:`discard_entry`), so that the caller rebuilds it.

    Parameters
    ----------
    path
        The entry's file, written by :func:`write_verified`.

    Returns
    -------
    bytes or None
        The verified content, or None.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = path.read_bytes()
        record = _record_path(path).read_text(encoding="ascii").split()
    except FileNotFoundError:
        discard_entry(path, "no size/sha256 record beside it")
        return None
    except (OSError, UnicodeDecodeError) as err:
        discard_entry(path, f"unreadable: {err}")
        return None
    if record != [str(len(data)), sha256_bytes(data)]:
        discard_entry(path, f"{len(data)} bytes that do not match their size/sha256 record")
        return None
    return data


class CorruptFileError(ValueError):
    """A file that is not what its name says (truncated, empty, text, corrupt); names the file."""


NPY_MAGIC = b"\x93NUMPY"


def read_npz(path: Path | str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` (no pickle), read in full so that corruption shows now.

    Parameters
    ----------
    path
        An ``.npz`` file.

    Returns
    -------
    dict
        Array name -> array.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    CorruptFileError
        When it is empty, not a zip of ``.npy`` arrays (e.g. text), truncated or corrupt, or
        holds object arrays (which would need pickle; they are never loaded).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise CorruptFileError(f"{path}: the file is empty, not an .npz archive")
    if not zipfile.is_zipfile(path):
        raise CorruptFileError(f"{path}: not an .npz archive (a zip of .npy arrays)")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except ValueError as err:
        raise _value_error(path, err, "corrupt .npz archive") from err
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise CorruptFileError(f"{path}: truncated or corrupt .npz archive ({err})") from err


def _value_error(path: Path, err: ValueError, what: str) -> CorruptFileError:
    """The error for numpy's ValueError on loading ``path``: object arrays (never loaded, they
    need pickle) or ``what``."""
    if "pickle" in str(err):
        return CorruptFileError(f"{path}: holds object arrays, which are never loaded (they need pickle)")
    return CorruptFileError(f"{path}: {what} ({err})")


def read_npy(path: Path | str, mmap: bool = False) -> np.ndarray:
    """One ``.npy`` array (no pickle); ``mmap`` maps it instead of reading it.

    Parameters
    ----------
    path
        An ``.npy`` file.
    mmap
        Map the file read-only (to look at its shape cheaply).

    Returns
    -------
    numpy.ndarray
        The array.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    CorruptFileError
        When it is not an ``.npy`` array (e.g. text), is truncated, or holds objects.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    with open(path, "rb") as handle:
        magic = handle.read(len(NPY_MAGIC))
    if magic != NPY_MAGIC:
        raise CorruptFileError(f"{path}: not an .npy array file")
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except ValueError as err:
        raise _value_error(path, err, "truncated or corrupt .npy file") from err
    except (OSError, EOFError) as err:
        raise CorruptFileError(f"{path}: truncated or corrupt .npy file ({err})") from err


def build_once(target: Path | str, marker: str, build: Callable[[Path], None]) -> Path:
    """A cached folder built at most once: ``build(work)`` fills a temporary sibling folder,
    which is renamed to ``target`` so it appears whole or not at all.

    ``marker`` is a file inside a finished folder (e.g. ``config.json``); when it is already
    there, nothing is built. Builds of the same ``target`` are serialised with a file lock
    (``.<name>.lock`` beside it): one process builds, the others wait and reuse its folder.
    """
    from filelock import FileLock

    target = Path(target)
    if (target / marker).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if (target / marker).exists():  # another process built it while this one waited
            return target
        work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
        try:
            build(work / "out")
            try:
                os.replace(work / "out", target)
            except OSError:
                if not (target / marker).exists():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target
