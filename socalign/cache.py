"""One user cache folder, content keys, hashing, atomic writes and verified cache entries.

This module holds the package's one hashing helper (:func:`content_key`, with
:func:`sha256_bytes` and :func:`sha256_file` for plain digests) and its one atomic-write helper
(:func:`atomic_path`: write to a temporary name in the same folder, then rename; used by
:func:`atomic_write_bytes` and, for folders, :func:`staged_folder`). Cache entries are written
with a size and sha256 record (:func:`write_verified`, and a manifest for folders built by
:func:`build_once`) and checked when read; a corrupt entry is reported once, naming the file
(:class:`CacheWarning`), removed and rebuilt.

It also holds the package's one opener of input files (:func:`open_input`, with
:func:`read_input` and :func:`read_json_input`): every file a benchmark or an embeddings
file is read from passes there, which accepts regular files only (a FIFO, device, socket or
folder is refused by name, from :func:`os.stat`, before anything is opened), resolves symlinks
and refuses a target outside the folder the file belongs to, and bounds the size
(:data:`INPUT_LIMITS`) and the nesting of JSON (:data:`MAX_JSON_DEPTH`).

Environment faults: a cache that cannot be written (a read-only file system, a full disk, no
permission) is reported once, as a :class:`CacheUnavailableWarning` naming the folder, and the
command goes on without it (:func:`write_verified`); a folder built by :func:`build_once` that
cannot be stored, and any other file written through :func:`atomic_path` or
:func:`staged_folder` on a read-only or full file system, raise :class:`NotWritableError`
naming the file or folder.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import logging
import os
import shutil
import stat
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from platformdirs import user_cache_dir

logger = logging.getLogger(__name__)

CACHE_ENV = "SOCALIGN_CACHE"
_UMASK = os.umask(0)  # read once (os.umask sets it): temporary files get the usual modes
os.umask(_UMASK)


#: errno values of a file system that takes no more writes: read-only, full, over quota.
NOT_WRITABLE = (errno.EROFS, errno.ENOSPC, errno.EDQUOT)


class NotWritableError(OSError):
    """A file or folder that cannot be written: the file system is read-only or full, or
    permission is denied. The message names the path (also ``filename``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else super().__str__()


class CacheUnavailableWarning(UserWarning):
    """The cache folder cannot be written (named in the message); the command goes on without it."""


_UNAVAILABLE: set[str] = set()  # cache folders already reported (once per process)


def cache_base() -> Path:
    """The socalign cache folder: ``$SOCALIGN_CACHE``, else the user cache (not created here)."""
    return Path(os.environ.get(CACHE_ENV) or user_cache_dir("socalign"))


def cache_dir(*parts: str) -> Path:
    """The socalign cache folder (``$SOCALIGN_CACHE`` or the user cache), created on demand.

    A folder that cannot be created (read-only or full file system, no permission, a file in
    the way) is returned all the same: nothing is read from it and writing to it is reported
    once and skipped (:func:`write_verified`), so commands run without the cache, and
    ``--no-cache`` never touches it.

    Parameters
    ----------
    *parts : str
        Subfolders below the cache folder.

    Returns
    -------
    Path
        The folder.
    """
    path = cache_base().joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        logger.debug("cache folder %s cannot be created (%s)", path, err.strerror or err)
    return path


def _is_not_writable(err: BaseException) -> bool:
    """True for an error of a place that takes no writes (not for a bug in the writer)."""
    return isinstance(err, PermissionError | NotWritableError | FileExistsError |
                      NotADirectoryError) or (
        isinstance(err, OSError) and err.errno in NOT_WRITABLE)


def not_writable_error(path: Path, err: OSError) -> NotWritableError:
    """The :class:`NotWritableError` for ``err`` raised while writing ``path``.

    Parameters
    ----------
    path : Path
        The file or folder being written (named in the message and ``filename``).
    err : OSError
        The error of the file system (read-only, full, no permission).

    Returns
    -------
    NotWritableError
        ``err`` itself when it already is one.
    """
    if isinstance(err, NotWritableError):
        return err
    reason = err.strerror or (os.strerror(err.errno) if err.errno else type(err).__name__)
    out = NotWritableError(f"{path}: cannot be written ({reason}); free some space or choose "
                           "a writable place")
    out.errno, out.strerror, out.filename = err.errno, reason, str(path)
    return out


def report_unavailable(path: Path | str, err: BaseException) -> None:
    """Warn once per process that the cache cannot be written (the command goes on without it).

    Parameters
    ----------
    path : path-like
        The cache file or folder that could not be written.
    err : BaseException
        Why (its ``strerror`` is shown).

    Returns
    -------
    None
    """
    base = cache_base()
    key = str(base)
    logger.info("cache not written: %s (%s)", path, err)
    if key in _UNAVAILABLE:
        return
    _UNAVAILABLE.add(key)
    reason = getattr(err, "strerror", None) or type(err).__name__
    if isinstance(err, OSError) and err.errno:
        reason = os.strerror(err.errno)
    warnings.warn(f"the cache folder {base} cannot be written ({reason}); working without the "
                  f"cache (set ${CACHE_ENV} to a writable folder to keep results)",
                  CacheUnavailableWarning, stacklevel=3)


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

    Raises
    ------
    NotWritableError
        When the file system is read-only or full (naming ``path``); the temporary file is
        removed.
    """
    path = Path(path)
    suffix = ".tmp" + (path.suffix if keep_suffix else "")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as err:
        if err.errno in NOT_WRITABLE:
            raise not_writable_error(path, err) from err
        raise
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.chmod(0o666 & ~_UMASK)  # mkstemp makes it owner-only; the file gets open()'s mode
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if err.errno in NOT_WRITABLE:
            raise not_writable_error(path, err) from err
        raise
    except BaseException:
        with contextlib.suppress(OSError):
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

    Raises
    ------
    NotWritableError
        When the file system is read-only or full (naming ``out``).
    """
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    except OSError as err:
        if err.errno in NOT_WRITABLE:
            raise not_writable_error(out, err) from err
        raise
    try:
        work.chmod(0o777 & ~_UMASK)  # mkdtemp makes it owner-only; the folder gets mkdir()'s mode
        yield work
        os.replace(work, out)  # out is missing or an empty folder: rename(2) replaces it
    except OSError as err:
        if err.errno in NOT_WRITABLE:
            raise not_writable_error(out, err) from err
        raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


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


def sha256_file(path: Path | str, kind: str | None = None) -> str:
    """sha256 hex digest of a file's bytes (read in 1 MiB blocks), as ``sha256sum`` prints it.

    Parameters
    ----------
    path : path-like
        The file.
    kind : str or None, default None
        An input's kind (a key of :data:`INPUT_LIMITS`): the file is then read through
        :func:`open_input` (a regular file, bounded in size). None: read as it is (files
        socalign wrote or manages).

    Returns
    -------
    str
        64 hex digits.

    Raises
    ------
    InputFileError
        With ``kind``, as :func:`check_input`.
    """
    digest = hashlib.sha256()
    if kind is None:
        _feed_file(digest, Path(path))
        return digest.hexdigest()
    with open_input(path, kind) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_blob_id(path: Path | str, kind: str | None = None) -> str:
    """The id git gives a file's content: sha1 of ``b"blob <size>\\0"`` and the bytes.

    For a pinned download whose sha256 could not be measured (:mod:`socalign.data.pinned`): a
    commit's tree names each file by this id.

    Parameters
    ----------
    path : path-like
        The file.
    kind : str or None, default None
        An input's kind (a key of :data:`INPUT_LIMITS`): read through :func:`open_input`.
        None: read as it is.

    Returns
    -------
    str
        40 hex digits, as ``git hash-object`` prints them.

    Raises
    ------
    InputFileError
        With ``kind``, as :func:`check_input`.
    """
    path = Path(path)
    if kind is None:
        digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size, usedforsecurity=False)
        _feed_file(digest, path)
        return digest.hexdigest()
    with open_input(path, kind) as handle:
        digest = hashlib.sha1(b"blob %d\0" % os.fstat(handle.fileno()).st_size,
                              usedforsecurity=False)
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
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
        ``path`` (not written when the cache cannot be written: that is reported once, as a
        :class:`CacheUnavailableWarning` naming the folder, and the command goes on).
    """
    path = Path(path)
    try:
        atomic_write_bytes(path, data)
        atomic_write_bytes(_record_path(path), f"{len(data)} {sha256_bytes(data)}\n".encode())
    except OSError as err:
        if not _is_not_writable(err):
            raise
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)  # no entry without its record
        report_unavailable(path, err)
        return path
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


MiB = 1 << 20
#: The largest input file read, by kind (bytes): generous bounds that keep memory bounded.
#: ``json``: benchmark.json and other metadata (64 MiB); ``csv``: a benchmark's tables
#: (1 GiB); ``npz``/``npy``: embedding and similarity files (8 GiB); ``video``: one video
#: file (16 GiB; its frames are decoded by FFmpeg, not read whole); ``pickle``: a PHASE
#: trajectory file, read by its restricted unpickler (64 MiB; the generalization set's is 1.4 MiB).
INPUT_LIMITS: dict[str, int] = {"json": 64 * MiB, "csv": 1024 * MiB, "npz": 8192 * MiB,
                                "npy": 8192 * MiB, "video": 16384 * MiB, "pickle": 64 * MiB}
#: The deepest nesting of arrays and objects a JSON input may have.
MAX_JSON_DEPTH = 64


class InputFileError(ValueError):
    """An input file that is refused or cannot be read; the message names it.

    Parameters
    ----------
    path : path-like
        The file (``where`` on the command line).
    reason : str
        What is wrong and what to do.
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        self.where = str(path)
        super().__init__(f"{path}: {reason}")


def _size_text(n: int) -> str:
    return f"{n / MiB:,.0f} MiB" if n >= MiB else f"{n} bytes"


def _special(mode: int) -> str | None:
    """What a file of ``mode`` is when it is not a regular file (None: a regular file)."""
    for test, what in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_input(path: Path | str, kind: str, root: Path | str | None = None) -> os.stat_result:
    """Check an input file before it is opened: a regular file, inside ``root``, not too large.

    Nothing is opened: :func:`os.stat` tells a FIFO, device, socket or folder apart without
    blocking, and symlinks are resolved (:func:`os.path.realpath`) before the target is
    compared with ``root``.

    Parameters
    ----------
    path : path-like
        The file.
    kind : str
        A key of :data:`INPUT_LIMITS` (the size bound).
    root : path-like or None, default None
        The folder the file belongs to (a benchmark folder): a symlink whose target lies
        outside it is refused. None: no containment check.

    Returns
    -------
    os.stat_result
        The target's status.

    Raises
    ------
    InputFileError
        Naming the file: missing (or a symlink to a missing file), not a regular file, a
        symlink leaving ``root``, larger than its kind's limit, or unreadable.
    """
    path = Path(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputFileError(path, f"a symlink to {os.readlink(path)}, which does not "
                                 "exist") from None
        raise InputFileError(path, "file not found") from None
    except OSError as err:
        raise InputFileError(path, f"cannot be read ({err.strerror or err})") from err
    if root is not None:
        real, base = Path(os.path.realpath(path)), Path(os.path.realpath(root))
        if not real.is_relative_to(base):
            raise InputFileError(path, f"resolves to {real}, outside the folder {root} (a "
                                 "benchmark only reads files inside its folder; copy the file "
                                 "in instead of linking it)")
    special = _special(status.st_mode)
    if special is not None:
        raise InputFileError(path, f"is {special}, not a regular file; only regular files "
                             "are read")
    limit = INPUT_LIMITS[kind]
    if status.st_size > limit:
        raise InputFileError(path, f"is {_size_text(status.st_size)}, more than the "
                             f"{_size_text(limit)} a {kind} input may have")
    return status


@contextmanager
def open_input(path: Path | str, kind: str, root: Path | str | None = None) -> Iterator[BinaryIO]:
    """Open an input file for reading in binary, after :func:`check_input`.

    The package's one opener of input files. The file is opened with ``O_NONBLOCK`` (a file
    swapped for a FIFO after the check does not block) and checked again on the open
    descriptor.

    Parameters
    ----------
    path : path-like
        The file.
    kind : str
        A key of :data:`INPUT_LIMITS`.
    root : path-like or None, default None
        The folder the file must stay inside (see :func:`check_input`).

    Yields
    ------
    BinaryIO
        The open file (closed after the block).

    Raises
    ------
    InputFileError
        As :func:`check_input`, or when the file cannot be opened.
    """
    path = Path(path)
    check_input(path, kind, root)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise InputFileError(path, f"cannot be read ({err.strerror or err})") from err
    special = _special(os.fstat(fd).st_mode)
    if special is not None:
        os.close(fd)
        raise InputFileError(path, f"is {special}, not a regular file; only regular files "
                             "are read")
    with os.fdopen(fd, "rb") as handle:
        yield handle


def read_input(path: Path | str, kind: str, root: Path | str | None = None) -> bytes:
    """An input file's bytes, through :func:`open_input` (at most its kind's limit).

    Parameters
    ----------
    path : path-like
        The file.
    kind : str
        A key of :data:`INPUT_LIMITS`.
    root : path-like or None, default None
        The folder the file must stay inside (see :func:`check_input`).

    Returns
    -------
    bytes
        The content.

    Raises
    ------
    InputFileError
        As :func:`check_input`, or when the file grew past the limit while it was read.
    """
    limit = INPUT_LIMITS[kind]
    with open_input(path, kind, root) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise InputFileError(path, f"cannot be read ({err.strerror or err})") from err
    if len(data) > limit:
        raise InputFileError(path, f"holds more than the {_size_text(limit)} a {kind} input "
                             "may have")
    return data


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict)
                                                       else item))
    return deepest


def read_json_input(path: Path | str, root: Path | str | None = None) -> Any:
    """A JSON input file, parsed: bounded in size (:data:`INPUT_LIMITS`) and nesting.

    Parameters
    ----------
    path : path-like
        The file (UTF-8).
    root : path-like or None, default None
        The folder the file must stay inside (see :func:`check_input`).

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    InputFileError
        Naming the file: as :func:`read_input`, not UTF-8, not valid JSON, or nested deeper
        than :data:`MAX_JSON_DEPTH`.
    """
    data = read_input(path, "json", root)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputFileError(path, f"not UTF-8 text (byte {err.start})") from err
    too_deep = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    try:
        value = json.loads(text)
    except RecursionError:
        raise InputFileError(path, too_deep) from None
    except json.JSONDecodeError as err:
        raise InputFileError(path, f"not valid JSON ({err})") from err
    if json_depth(value) > MAX_JSON_DEPTH:
        raise InputFileError(path, too_deep)
    return value


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
    InputFileError
        When it is not a regular file (a FIFO, a device) or is too large
        (:func:`check_input`).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    check_input(path, "npz")
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
    InputFileError
        When it is not a regular file (a FIFO, a device) or is too large
        (:func:`check_input`).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    with open_input(path, "npy") as handle:
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
        ``target``, verified; when the cache cannot be written (read-only file system, no
        permission), a folder built in the system's temporary folder instead, removed when
        the process exits (reported once, a :class:`CacheUnavailableWarning`).

    Raises
    ------
    NotWritableError
        When the disk fills while the folder is built (naming the cache folder).
    """
    from filelock import FileLock

    target = Path(target)
    if (target / marker).exists() and check_manifest(target) is None:
        logger.info("cache hit: %s (verified)", target)
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(target.parent / f".{target.name}.lock"))
        lock.acquire()
    except OSError as err:
        if not _is_not_writable(err):
            raise
        report_unavailable(target, err)
        return _build_uncached(target, marker, build)
    try:
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
        try:
            work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
        except OSError as err:
            if not _is_not_writable(err):
                raise
            report_unavailable(target, err)
            return _build_uncached(target, marker, build)
        try:
            build(work / "out")
            if not (work / "out" / marker).is_file():
                raise RuntimeError(f"building {target}: the build wrote no {marker}")
            write_manifest(work / "out")
            os.replace(work / "out", target)
        except OSError as err:
            if err.errno in NOT_WRITABLE:
                raise not_writable_error(target.parent, err) from err
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        lock.release()
    logger.info("cache built: %s", target)
    return target


_SCRATCH: list[Path] = []  # folders built outside an unwritable cache, removed at exit


def _remove_scratch() -> None:
    for folder in _SCRATCH:
        shutil.rmtree(folder, ignore_errors=True)


def _build_uncached(target: Path, marker: str, build: Callable[[Path], None]) -> Path:
    """Build ``target``'s content in a temporary folder that is removed when the process exits."""
    import atexit

    if not _SCRATCH:
        atexit.register(_remove_scratch)
    scratch = Path(tempfile.mkdtemp(prefix=f"socalign-{target.name[:16]}-"))
    _SCRATCH.append(scratch)
    out = scratch / target.name
    try:
        build(out)
    except OSError as err:
        if err.errno in NOT_WRITABLE:
            raise not_writable_error(scratch, err) from err
        raise
    if not (out / marker).is_file():
        raise RuntimeError(f"building {target}: the build wrote no {marker}")
    logger.info("built without the cache: %s", out)
    return out
