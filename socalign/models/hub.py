"""Hugging Face hub ids, revisions and the local snapshot cache (no torch, no model loading).

A hub backbone is named ``owner/name``, optionally pinned as ``owner/name@REVISION`` (a branch,
a tag or a commit; hub ids never contain ``@``). :func:`resolve_commit` turns a revision into
the commit of the local snapshot (``HF_HUB_CACHE/models--owner--name/snapshots/<commit>/``),
fetching only ``config.json`` when it is not cached and the hub can be reached; the embedding
cache keys hub models by that commit, so that a hub update is never served stale embeddings.
The cache folder and offline mode are read from the environment at each call
(``HF_HUB_CACHE``, ``HF_HOME``, ``HF_HUB_OFFLINE``), not once at import.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = [
    "download_snapshot",
    "hub_cache_dir",
    "hub_file",
    "hub_offline",
    "is_commit",
    "is_hub_id",
    "resolve_commit",
    "snapshot_dir",
    "split_revision",
    "with_revision",
]

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def is_hub_id(name: str) -> bool:
    """Whether ``name`` reads as a hub model id ``owner/name`` (and is no local path).

    Parameters
    ----------
    name
        A model name, folder or file; a ``@REVISION`` tail is ignored.

    Returns
    -------
    bool
    """
    base = str(name).split("@", 1)[0]
    return bool(_HUB_ID.match(base)) and not Path(base).expanduser().exists()


def is_commit(revision: str | None) -> bool:
    """Whether ``revision`` is a full 40-hex-digit commit hash."""
    return revision is not None and bool(_COMMIT.match(revision))


def split_revision(name: str) -> tuple[str, str | None]:
    """``owner/name@REV`` -> ``("owner/name", "REV")``; anything else -> ``(name, None)``.

    A local path holding ``@`` is left whole.

    Parameters
    ----------
    name
        A model name, possibly pinned to a revision.

    Returns
    -------
    (str, str or None)
        The name and the revision.
    """
    name = str(name)
    if "@" not in name or Path(name).expanduser().exists():
        return name, None
    base, revision = name.rsplit("@", 1)
    if revision and _HUB_ID.match(base):
        return base, revision
    return name, None


def with_revision(name: str, revision: str | None) -> str:
    """``name`` pinned to ``revision`` (``owner/name@REV``); ``name`` itself when None.

    Parameters
    ----------
    name
        A hub id (possibly already pinned to the same revision).
    revision
        A branch, tag or commit.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        ``name`` is not a hub id (a local folder, ``toy``, ...), ``revision`` is blank, or
        ``name`` already names another revision.
    """
    if revision is None:
        return name
    if not str(revision).strip() or "@" in str(revision):
        raise ValueError(f"--revision {revision!r}: a branch, tag or commit of the hub repository")
    base, pinned = split_revision(name)
    if not is_hub_id(base):
        raise ValueError(f"--revision applies to a hub model id (owner/name), not to {name!r} "
                         "(a local folder or built-in model has no revisions)")
    if pinned is not None and pinned != revision:
        raise ValueError(f"{name!r} already names revision {pinned!r}, not --revision {revision!r}")
    return f"{base}@{revision}"


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache folder, from the environment now.

    Returns
    -------
    Path
        ``$HF_HUB_CACHE``, else ``$HUGGINGFACE_HUB_CACHE``, else ``$HF_HOME/hub``, else
        huggingface_hub's default.
    """
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(variable):
            return Path(os.path.expandvars(os.environ[variable])).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.path.expandvars(os.environ["HF_HOME"])).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def hub_offline() -> bool:
    """Whether hub access is switched off (``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``)."""
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(variable, "").strip().upper() in ("1", "ON", "YES", "TRUE"):
            return True
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def snapshot_dir(repo_id: str, commit: str) -> Path:
    """The local snapshot folder of one commit of a model repository (it may not exist).

    Parameters
    ----------
    repo_id : str
        ``owner/name``.
    commit : str
        The 40-hex-digit commit.

    Returns
    -------
    Path
        ``<hub cache>/models--owner--name/snapshots/<commit>``.
    """
    return hub_cache_dir() / f"models--{repo_id.replace('/', '--')}" / "snapshots" / commit


def _not_available(repo_id: str, revision: str | None, err: Exception) -> FileNotFoundError:
    where = "offline (HF_HUB_OFFLINE)" if hub_offline() else "the hub could not be reached or refused"
    return FileNotFoundError(
        f"{repo_id}@{revision or 'main'} is not in the local Hugging Face cache "
        f"({hub_cache_dir()}) and {where} ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
        "download it once while online, or pass a local checkpoint folder"
    )


def resolve_commit(repo_id: str, revision: str | None = None,
                   local_only: bool | None = None) -> str:
    """The commit of the local snapshot of ``repo_id`` at ``revision`` (fetching config.json).

    Online, the revision is resolved by the hub (so a moved branch gives its new commit) and
    ``config.json`` is downloaded when missing; offline, from the cache's ``refs/``.

    Parameters
    ----------
    repo_id
        ``owner/name``.
    revision
        A branch, tag or commit (default ``main``).
    local_only
        Look in the local cache only (default: only when offline, :func:`hub_offline`).

    Returns
    -------
    str
        The 40-hex-digit commit, the name of the snapshot folder.

    Raises
    ------
    FileNotFoundError
        The revision is not cached and cannot be fetched (one line naming the cache folder).
    """
    if is_commit(revision) and (snapshot_dir(repo_id, str(revision)) / "config.json").is_file():
        return str(revision)
    path = hub_file(repo_id, "config.json", revision, required=True, local_only=local_only)
    assert path is not None
    if path.parent.parent.name != "snapshots":
        raise FileNotFoundError(f"{repo_id}: {path} is not in a hub snapshot folder")
    return path.parent.name


def hub_file(repo_id: str, filename: str, revision: str | None = None,
             required: bool = False, local_only: bool | None = None) -> Path | None:
    """One file of a hub repository in the local cache (downloaded when online and missing).

    Parameters
    ----------
    repo_id
        ``owner/name``.
    filename
        The file's path in the repository.
    revision
        A branch, tag or commit (default ``main``).
    required
        Raise when the file cannot be had (default: None for a file the repository lacks).
    local_only
        Look in the local cache only (default: only when offline, :func:`hub_offline`).

    Returns
    -------
    Path or None

    Raises
    ------
    FileNotFoundError
        ``required`` and the file is not cached and cannot be fetched.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, LocalEntryNotFoundError

    local = hub_offline() if local_only is None else local_only
    try:
        return Path(hf_hub_download(repo_id, filename, revision=revision,
                                    cache_dir=hub_cache_dir(), local_files_only=local))
    except (EntryNotFoundError, LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as err:
        if required:
            raise _not_available(repo_id, revision, err) from err
        return None


def download_snapshot(repo_id: str, revision: str | None = None) -> Path:
    """A whole repository's snapshot folder (``snapshot_download``; the cache only offline).

    Parameters
    ----------
    repo_id
        ``owner/name``.
    revision
        A branch, tag or commit (default ``main``).

    Returns
    -------
    Path
        The local snapshot folder.

    Raises
    ------
    FileNotFoundError
        Not cached and cannot be fetched.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, revision=revision, cache_dir=hub_cache_dir(),
                                      local_files_only=hub_offline()))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as err:
        raise _not_available(repo_id, revision, err) from err
