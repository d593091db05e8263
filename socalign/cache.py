"""One user cache folder, content keys, hashing, atomic writes and verified cache entries.

This module holds the package's one hashing helper (:func:`content_key`, with
:func:`sha256_bytes` and :func:`sha256_file` for plain digests) and its one atomic-write helper
(:func:`atomic_path`: write to a temporary name in the same folder, then rename; used by
:func:`atomic_write_bytes` and, for folders, :func:`staged_folder`). Cache entries are written
with a size and sha256 record (:func:`write_verified`, and a manifest for folders built by
:func:`build_once`) and checked when read; a corrupt entry is reported once, naming the file
(:class:`CacheWarning`), removed and rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from platformdirs import user_cache_dir

logger = logging.getLogger(__name__)

CACHE_ENV = "SOCALIGN_CACHE"
_UMASK = os.umask(0)  # read once (os.umask sets it): temporary files get the usual modes
os.umask(_UMASK)


def cache_dir(*parts: str) -> Path:
    """The socalign cache folder (``$SOCALIGN_CACHE`` or the user cache), created on demand."""
    base = Path(os.environ.get(CACHE_ENV) or user_cache_dir("socalign"))
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _feed_file(digest: Any, path: Path) -> None:
    """Feed a file's bytes to ``digest`` in 1 MiB blocks."""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def _feed(digest: Any, item: Any) -> None:
    if isinstance(item, bytes):
        digest.update(b"b" + item)
    elif isinstance(item, Path):
        digest.update(b"f")
        _feed_file(digest, item)
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


@contextmanager
def atomic_path(path: Path | str, keep_suffix: bool = False) -> Iterator[Path]:
    """A temporary file name beside ``path`` to write to; renamed to ``path`` on success.

    The package's one atomic-write helper: readers see the old file or the new one, never a
    half-written one (a crash or ``kill -9`` leaves at most a hidden ``.NAME.*.tmp`` file).
    On an error the temporary file is removed and the error propagates.

    Parameters
    ----------
    path : path-like
        The file to write (its folder is created).
    keep_suffix : bool, default False
        End the temporary name with ``path``'s suffix too (for writers that infer the format
        from it, e.g. ``.mp4``).

    Yields
    ------
    Path
        The temporary file to write (it exists, empty).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".tmp" + (path.suffix if keep_suffix else "")
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    tmp.chmod(0o666 & ~_UMASK)  # mkstemp makes it owner-only; the file gets open()'s mode
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    """Write bytes atomically (see :func:`atomic_path`).

    Parameters
    ----------
    path : path-like
        The file to write.
    data : bytes
        Its content.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
    return path


def atomic_write_text(path: Path | str, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`atomic_path`).

    Parameters
    ----------
    path : path-like
        The file to write.
    text : str
        Its content.

    Returns
    -------
    Path
        ``path``.
    """
    return atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def staged_folder(out: Path | str) -> Iterator[Path]:
    """A temporary sibling folder of ``out`` to fill; renamed to ``out`` on success.

    ``out`` must be missing or an empty folder (check it first, e.g. with
    :func:`socalign.outputs.check_output_folder`): it then appears whole or not at all. On an
    error the temporary folder is removed (and ``out`` too, when it was created here).

    Parameters
    ----------
    out
        The folder to write.

    Yields
    ------
    Path
        The temporary folder (it exists, empty).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    work.chmod(0o777 & ~_UMASK)  # mkdtemp makes it owner-only; the folder gets mkdir()'s mode
    try:
        yield work
        os.replace(work, out)  # out is missing or an empty folder: rename(2) replaces it
    finally:
        if work.exists():
            shutil.rmtree(work)


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
    """sha256 hex digest of ``data``.

    Parameters
    ----------
    data
        Bytes to hash.

    Returns
    -------
    str
        64 hex digits.
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """sha256 hex digest of a file's bytes (read in 1 MiB blocks), as ``sha256sum`` prints it.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    _feed_file(digest, Path(path))
    return digest.hexdigest()


def write_verified(path: Path | str, data: bytes) -> Path:
    """Write a cache entry atomically with a size and sha256 record beside it (``.sha256``).

    Parameters
    ----------
    path : path-like
        The entry's file.
    data : bytes
        Its content.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    atomic_write_bytes(path, data)
    atomic_write_bytes(_record_path(path), f"{len(data)} {sha256_bytes(data)}\n".encode())
    logger.debug("cache write: %s (%d bytes, with its size/sha256 record)", path, len(data))
    return path


def discard_entry(path: Path | str, reason: str) -> None:
    """Report a corrupt cache entry once (a :class:`CacheWarning` naming it) and remove it.

    Parameters
    ----------
    path : path-like
        The entry's file (its ``.sha256`` record goes too).
    reason : str
        What is wrong with it.

    Returns
    -------
    None
    """
    path = Path(path)
    _report_corrupt(path, reason)
    logger.info("cache entry discarded: %s (%s)", path, reason)
    path.unlink(missing_ok=True)
    _record_path(path).unlink(missing_ok=True)


def _report_corrupt(path: Path, reason: str) -> None:
    warnings.warn(f"{path}: corrupt cache entry ({reason}); removed, rebuilding it",
                  CacheWarning, stacklevel=4)


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
        logger.debug("cache miss: %s (absent)", path)
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
    logger.debug("cache hit: %s (%d bytes, verified)", path, len(data))
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
    path : path-like
        An ``.npy`` file.
    mmap : bool, default False
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


MANIFEST = ".socalign-manifest.json"


def write_manifest(folder: Path | str) -> Path:
    """Record the size and sha256 of every file under ``folder`` in its manifest.

    Parameters
    ----------
    folder
        A finished folder (e.g. a cache entry built by :func:`build_once`).

    Returns
    -------
    Path
        The manifest file (:data:`MANIFEST` inside ``folder``).
    """
    folder = Path(folder)
    files = {
        p.relative_to(folder).as_posix(): [p.stat().st_size, sha256_file(p)]
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST
    }
    return atomic_write_text(folder / MANIFEST, json.dumps({"files": files}, indent=1) + "\n")


def check_manifest(folder: Path | str) -> str | None:
    """What is wrong with a folder against its manifest (None: every recorded file matches).

    Files added after the manifest was written are not checked.

    Parameters
    ----------
    folder
        A folder written with :func:`write_manifest`.

    Returns
    -------
    str or None
        A reason naming the first bad file (missing manifest, missing file, other size or
        sha256), or None.
    """
    folder = Path(folder)
    manifest = folder / MANIFEST
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, dict):
            raise TypeError("'files' is not an object")
    except FileNotFoundError:
        return f"{manifest}: no size/sha256 manifest"
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"{manifest}: unreadable manifest ({err})"
    for rel, record in files.items():
        path = folder / rel
        if not path.is_file():
            return f"{path}: recorded file is missing"
        size = path.stat().st_size
        if [size, sha256_file(path)] != record:
            return f"{path}: {size} bytes that do not match their size/sha256 record"
    return None


def build_once(target: Path | str, marker: str, build: Callable[[Path], None]) -> Path:
    """A cached folder built at most once, and verified each time it is reused.

    ``build(work)`` fills a temporary sibling folder, which gets a manifest of its files' sizes
    and sha256 (:func:`write_manifest`) and is renamed to ``target``, so it appears whole or
    not at all. ``marker`` is a file inside a finished folder (e.g. ``config.json``); when it is
    there and every file matches the manifest, nothing is built. A folder that does not match
    (or a leftover without its marker) is reported once (a :class:`CacheWarning` naming the
    file), removed and rebuilt. Builds of the same ``target`` are serialised with a file lock
    (``.<name>.lock`` beside it): one process builds, the others wait and reuse its folder.

    Parameters
    ----------
    target : path-like
        The cached folder.
    marker : str
        A file every finished folder holds.
    build : callable
        Writes the folder's content into the (missing) folder it is given.

    Returns
    -------
    Path
        ``target``, verified.
    """
    from filelock import FileLock

    target = Path(target)
    if (target / marker).exists() and check_manifest(target) is None:
        logger.info("cache hit: %s (verified)", target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if target.exists():
            if (target / marker).exists():
                problem = check_manifest(target)
                if problem is None:  # another process built it while this one waited
                    logger.info("cache hit: %s (built by another process)", target)
                    return target
            else:
                problem = f"{target / marker}: missing (an unfinished build)"
            _report_corrupt(target, problem)
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
        logger.info("cache miss: %s; building it", target)
        work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
        try:
            build(work / "out")
            if not (work / "out" / marker).is_file():
                raise RuntimeError(f"building {target}: the build wrote no {marker}")
            write_manifest(work / "out")
            os.replace(work / "out", target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    logger.info("cache built: %s", target)
    return target
