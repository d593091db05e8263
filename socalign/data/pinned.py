"""Pinned downloads: a dataset's files from one commit of a public repository, each verified.

The one download machinery of the registered datasets that fetch themselves (garcia2025,
phase): every file is fetched with pooch from ``<base URL><relative path>`` and checked against
its pin before it is used; a file already present with the right content is not downloaded
again, one present with other content is refused (never downloaded over), and a failed download
removes the folders it created and names the URL and the ways out.

A pin is the file's sha256 (64 hex digits), or ``git-blob:<40 hex digits>`` for a file whose
sha256 could not be measured when it was pinned: the id git gives the file's content in the
pinned commit's tree (the sha1 of ``b"blob <size>\\0"`` followed by the content), which is what
the repository's raw-file address serves at that commit. The pinned commit's tree names that id,
so the check is git's own content check; its sha256 can replace it once measured.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from socalign.cache import NOT_WRITABLE, cache_dir, git_blob_id, not_writable_error, sha256_file
from socalign.data.errors import BenchmarkError
from socalign.progress import bars_enabled

logger = logging.getLogger(__name__)

#: The prefix of a pin that is a git blob id rather than a sha256.
GIT_BLOB = "git-blob:"
#: The one place a user's local copies of the pinned datasets are looked for (never a download).
DATA_ENV = "SOCALIGN_DATA"


class NotFoundError(BenchmarkError):
    """No local copy of a pinned dataset (``$SOCALIGN_DATA`` unset and nothing in the cache)."""


def commit_cache(name: str, commit: str, create: bool = True) -> Path:
    """Where a dataset's download goes: ``<socalign cache>/<name>/<commit[:12]>``.

    Parameters
    ----------
    name : str
        The dataset's registered name.
    commit : str
        The pinned commit.
    create : bool, default True
        Create the folder.

    Returns
    -------
    Path
    """
    return cache_dir(name, commit[:12]) if create else cache_dir() / name / commit[:12]


def locate_copy(name: str, files: Mapping[str, str], env_copy: Callable[[str], Path],
                cached: Path, verify: Callable[[Path], Path], fetch: Callable[[Path], Path],
                download: bool = True) -> Path:
    """A pinned dataset's verified copy: ``$SOCALIGN_DATA`` when set (only there), else the
    cache, else a download into the cache.

    Parameters
    ----------
    name : str
        The dataset's registered name (for messages and the log).
    files : mapping of str to str
        Its pinned files (relative path → pin): a cache holding all of them is a copy.
    env_copy : callable
        ``$SOCALIGN_DATA``'s value → the verified copy there (raises naming the variable).
    cached : Path
        The dataset's cache folder (:func:`commit_cache`).
    verify : callable
        A folder → the same folder, verified against the pins.
    fetch : callable
        A folder → the folder, downloaded into.
    download : bool, default True
        Download when ``$SOCALIGN_DATA`` is unset and the cache has no copy.

    Returns
    -------
    Path
        The verified copy.

    Raises
    ------
    NotFoundError
        No copy and ``download`` is False.
    """
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        return env_copy(env)
    if all((cached / rel).exists() for rel in files):
        logger.info("%s: the cached copy, %s", name, cached)
        return verify(cached)
    if not download:
        raise NotFoundError(
            f"{name} not found: set ${DATA_ENV} to a local copy or run `socalign data fetch {name}`")
    return fetch(cached)


class FetchError(ValueError):
    """A download that failed: names the URL, the reason, and the ways out.

    Parameters
    ----------
    message : str
        What failed and what to do.
    url : str
        The address that failed (the command line's ``where``).
    """

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.where = url


def first_missing_ancestor(path: Path) -> Path | None:
    """The outermost folder of ``path`` (itself included) that does not exist yet.

    Parameters
    ----------
    path : pathlib.Path
        A folder, existing or not.

    Returns
    -------
    pathlib.Path or None
        What creating ``path`` would create first (None: it exists).
    """
    missing = None
    for candidate in (path, *path.parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


def file_pin(path: Path | str, pin: str, kind: str | None = None) -> str:
    """The digest of a file in the form of ``pin``: its sha256, or its git blob id.

    Parameters
    ----------
    path : path-like
        The file.
    pin : str
        The pin it is compared with (its form decides the digest: ``git-blob:...`` or a
        sha256).
    kind : str or None, default None
        An input kind (a key of :data:`socalign.cache.INPUT_LIMITS`): the file is read through
        :func:`socalign.cache.open_input` (a regular file, bounded in size). None: read as it
        is (a file in a download folder).

    Returns
    -------
    str
        64 hex digits, or ``git-blob:`` and 40 hex digits.

    Raises
    ------
    socalign.cache.InputFileError
        With ``kind``, as :func:`socalign.cache.check_input`.
    """
    if pin.startswith(GIT_BLOB):
        return GIT_BLOB + git_blob_id(path, kind)
    return sha256_file(path, kind)


def pin_kind(pin: str) -> str:
    """What kind of digest a pin is: ``sha256`` or ``git blob id``.

    Parameters
    ----------
    pin : str
        A sha256 or a ``git-blob:`` pin.

    Returns
    -------
    str
        ``"git blob id"`` or ``"sha256"``.
    """
    return "git blob id" if pin.startswith(GIT_BLOB) else "sha256"


def pin_text(pin: str) -> str:
    """A pin shortened for a message: ``sha256 1a2b3c4d5e6f…`` or ``git blob 08331ce0f906…``.

    Parameters
    ----------
    pin : str
        A sha256 or a ``git-blob:`` pin.

    Returns
    -------
    str
        What kind of digest it is and its first 12 hex digits.
    """
    if pin.startswith(GIT_BLOB):
        return f"git blob {pin.removeprefix(GIT_BLOB)[:12]}…"
    return f"sha256 {pin[:12]}…"


def fetch_pinned(
    root: Path,
    url: str,
    files: Mapping[str, str],
    *,
    dataset: str,
    offline_hint: Callable[[Path], str],
    progress: bool = False,
    log: logging.Logger = logger,
) -> Path:
    """Download every file of ``files`` into ``root`` with pooch, verifying each against its pin.

    Parameters
    ----------
    root : pathlib.Path
        The folder to download into; created when missing, and removed again (with any folders
        created for it) when the download fails.
    url : str
        The base address; each file is fetched from ``url + relative path``.
    files : mapping of str to str
        Relative path -> pin (a sha256, or ``git-blob:`` and the blob id).
    dataset : str
        The dataset's name, in the log.
    offline_hint : callable
        ``offline_hint(root) -> str``: the ways out of a failed download, appended to its
        message (e.g. the environment variable that names a local copy).
    progress : bool, default False
        Show pooch's progress bar for each download.
    log : logging.Logger, default this module's logger
        Where the downloads are logged (the dataset module's logger).

    Returns
    -------
    pathlib.Path
        ``root``, holding the verified files.

    Raises
    ------
    FileExistsError
        When ``root`` is a file, or a file present in it differs from its pin (it is left
        untouched).
    ValueError
        When a downloaded file differs from its pin (it is removed).
    FetchError
        When a download fails (offline or unreachable); the message names the URL and the
        ways out.
    socalign.cache.NotWritableError
        When ``root`` cannot be written (read-only or full file system, no permission).
    """
    import pooch
    import requests

    root = Path(root)
    if root.exists() and not root.is_dir():
        raise FileExistsError(f"--dest {root} is a file, not a folder")
    created = first_missing_ancestor(root.absolute())
    if not url.endswith("/"):
        url += "/"
    fetcher = pooch.create(
        path=root,
        base_url=url,
        registry={rel: None if pin.startswith(GIT_BLOB) else f"sha256:{pin}"
                  for rel, pin in files.items()},
        retry_if_failed=1,
    )
    rel = ""
    pooch_logger = pooch.get_logger()
    level = pooch_logger.level
    pooch_logger.setLevel("ERROR")  # a failure is reported once, in one line, below
    try:
        root.mkdir(parents=True, exist_ok=True)
        missing = [r for r in files if not (root / r).is_file()]
        for present in (r for r in files if r not in missing):
            if file_pin(root / present, files[present]) != files[present]:
                # pooch would download over it: a file the user put there is never replaced
                raise FileExistsError(
                    f"{root / present}: present, but its {pin_kind(files[present])} "
                    "differs from the pinned one; it is left untouched: move it away (or "
                    "choose another --dest) to download the pinned file")
        log.info("%s: %d of %d files to download from %s into %s",
                 dataset, len(missing), len(files), url, root)
        for rel in files:
            if rel in missing:
                log.info("download: %s%s", url, rel)
            else:
                log.debug("present: %s (its pin is checked)", root / rel)
            got = Path(fetcher.fetch(rel, progressbar=bars_enabled(progress)))
            pin = files[rel]
            if pin.startswith(GIT_BLOB) and (actual := file_pin(got, pin)) != pin:
                got.unlink()
                raise ValueError(
                    f"{url}{rel}: the downloaded file's {pin_text(actual)} does not match the "
                    f"pinned {pin_text(pin)} (sha256 could not be pinned for this file); it "
                    "was removed")
    except requests.RequestException as err:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        found = re.search(r"\[Errno [^\]]*\][^'\")]*|\d{3} \w+ Error[^'\")]*", str(err))
        reason = found.group(0).strip() if found else (str(err)[:200] or "no detail")
        raise FetchError(
            f"could not download {url}{rel} ({type(err).__name__}: {reason}); offline or "
            f"unreachable. {offline_hint(root)}",
            f"{url}{rel}",
        ) from err
    except OSError as err:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        if isinstance(err, PermissionError) or err.errno in NOT_WRITABLE:
            raise not_writable_error(root, err) from err
        raise
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        pooch_logger.setLevel(level)
    log.info("%s: %d files verified in %s", dataset, len(files), root)
    return root
