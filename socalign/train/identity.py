"""A run's identity and its one writer: what makes the files of a run folder one run's.

A run records its identity (:func:`run_identity`: a run id, its seed, and fingerprints of
its dataset and backbone) in ``config.json``, ``report.json``, its checkpoints and its saved
model; :func:`check_identity` is the one comparison (resume, export, load), raising
:class:`RunMismatchError` naming the field that differs. :func:`run_lock` keeps a second
writer out of a run folder. How a backbone is named so that another machine loads the same
one is :func:`backbone_record`.

Importing this module does not import torch.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from socalign.train.checkpoint import RunFileError
from socalign.train.runfiles import BACKBONE_DIR, RUN_LOCK

DATASET_KEY_VERSION = "socalign-run-dataset/1"
"""Version tag of :func:`dataset_fingerprint` (change it when the hashed content changes)."""


# --- a run's identity: its dataset and backbone fingerprints, its seed and id ----------------


class RunMismatchError(RunFileError):
    """A file of a run that belongs to another run, dataset or backbone (exit status 2)."""


def dataset_fingerprint(benchmark: Any) -> str:
    """A content key (sha256 hex) of what a run trains and is scored on.

    The videos table (:func:`socalign.models.embeddings.videos_key`: ids, names, splits,
    captions, ratings; file paths left out), every trial (videos shown, choice, participant),
    which trials are kept, and the size of each video file (so a re-encoded video changes it).

    Parameters
    ----------
    benchmark
        A loaded :class:`socalign.data.types.Benchmark`.

    Returns
    -------
    str
        64 hex digits.
    """
    from socalign.cache import content_key
    from socalign.models.embeddings import videos_key

    trials = benchmark.trials
    sizes = [Path(f).stat().st_size if f is not None and Path(f).is_file() else -1
             for f in benchmark.videos.files]
    return content_key(
        DATASET_KEY_VERSION, videos_key(benchmark.videos),
        np.asarray(trials.triplets, dtype=np.int64), np.asarray(trials.odd, dtype=np.int64),
        np.asarray(trials.participants, dtype=np.int64),
        np.asarray(benchmark.kept_mask, dtype=bool), np.asarray(sizes, dtype=np.int64),
    )


def backbone_identity(backbone: str) -> dict[str, Any]:
    """A backbone's identity: where it comes from and a fingerprint of its weights.

    Parameters
    ----------
    backbone : str
        The run's backbone: ``toy``, a local checkpoint folder, or a hub id (``@REV``).

    Returns
    -------
    dict
        ``source`` and ``name`` as :func:`backbone_record` gives them, and ``fingerprint``:
        the sha256 of the folder's config and weight files (toy, local folder), or the hub
        snapshot's commit (None when it cannot be resolved here; ``revision`` is kept).
    """
    from socalign.cache import content_key

    record = backbone_record(backbone)
    out: dict[str, Any] = {"source": record["source"], "name": record["name"]}
    if record["source"] == "hub":
        out.update(revision=record["revision"], fingerprint=record.get("commit"))
    else:
        out["fingerprint"] = content_key(record["files"])
    return out


def run_identity(benchmark: Any, backbone: str, seed: int, run_id: str | None = None
                 ) -> dict[str, Any]:
    """The identity a run folder records in ``config.json`` and every file it writes.

    Parameters
    ----------
    benchmark
        The benchmark trained on.
    backbone : str
        The backbone trained from.
    seed : int
        The run's seed.
    run_id : str or None, default None
        The run's id (None: a new random one).

    Returns
    -------
    dict
        ``run_id``, ``seed``, ``dataset`` (``name``, ``fingerprint``:
        :func:`dataset_fingerprint`), ``backbone`` (:func:`backbone_identity`) and
        ``stream_rule``: :data:`socalign.metrics.resampling.STREAM_RULE`, the rule by which the
        run's random streams derive from its seed (a run is resumed under the same rule only).
    """
    import uuid

    from socalign.metrics.resampling import STREAM_RULE

    return {"run_id": run_id or uuid.uuid4().hex, "seed": int(seed),
            "dataset": {"name": str(benchmark.name), "fingerprint": dataset_fingerprint(benchmark)},
            "backbone": backbone_identity(backbone), "stream_rule": STREAM_RULE}


def check_identity(recorded: Mapping[str, Any], expected: Mapping[str, Any], path: Path | str,
                   run_id: bool = True) -> None:
    """The one identity check (resume, export, load): raise naming the field that differs.

    Parameters
    ----------
    recorded : mapping
        The identity a file records.
    expected : mapping
        The identity it must have: the run's own, or the one computed now (dataset and
        backbone fingerprints, seed).
    path : path-like
        The file holding ``recorded`` (named in the error).
    run_id : bool, default True
        Compare the run ids too (False when ``expected`` is computed now, for a resume).

    Returns
    -------
    None

    Raises
    ------
    RunMismatchError
        Naming the file, the field, both values, and what it means.
    """
    if run_id and recorded.get("run_id") != expected.get("run_id"):
        raise RunMismatchError(path, f"run id {recorded.get('run_id')!r} is not this run's "
                               f"({expected.get('run_id')!r}): the file belongs to another run",
                               "run_id")
    if recorded.get("stream_rule") != expected.get("stream_rule"):
        raise RunMismatchError(
            path, f"random-stream rule {recorded.get('stream_rule')!r} there (stream_rule; "
            f"None: before socalign named its streams), {expected.get('stream_rule')!r} here: "
            "its split and batches were drawn under another rule, and continuing would mix the "
            "two; start a new run in another --out", "stream_rule")
    if recorded.get("seed") != expected.get("seed"):
        raise RunMismatchError(path, f"seed {recorded.get('seed')!r} there, "
                               f"{expected.get('seed')!r} here", "seed")
    have, want = recorded.get("dataset") or {}, expected.get("dataset") or {}
    if have.get("fingerprint") != want.get("fingerprint"):
        raise RunMismatchError(
            path, f"dataset {have.get('name')!r} (fingerprint {str(have.get('fingerprint'))[:12]}) "
            f"there, {want.get('name')!r} (fingerprint {str(want.get('fingerprint'))[:12]}) "
            "here: the trials, videos or splits differ", "dataset.fingerprint")
    have, want = recorded.get("backbone") or {}, expected.get("backbone") or {}
    for key in ("source", "name", "revision"):
        if have.get(key) != want.get(key):
            raise RunMismatchError(path, f"backbone {key} {have.get(key)!r} there, "
                                   f"{want.get(key)!r} here", f"backbone.{key}")
    a, b = have.get("fingerprint"), want.get("fingerprint")
    if a != b and (have.get("source") != "hub" or (a is not None and b is not None)):
        what = "commit" if have.get("source") == "hub" else "weights (sha256 of its files)"
        raise RunMismatchError(
            path, f"backbone {have.get('name')!r}: its {what} {str(a)[:12]} there, "
            f"{str(b)[:12]} here: the backbone's weights changed", "backbone.fingerprint")


# --- how a backbone is named, so that another machine loads the same one ---------------------


def backbone_record(backbone: str) -> dict[str, Any]:
    """How an exported folder names its backbone, so that another machine loads the same one.

    Parameters
    ----------
    backbone
        The run's backbone: a hub id (``owner/name`` or ``owner/name@REV``), ``toy``, or a
        local checkpoint folder.

    Returns
    -------
    dict
        ``source`` "hub" with ``name``, ``revision`` and ``commit`` (the snapshot's, None
        when it cannot be resolved here); "socalign" for the toy (shipped with the package),
        with the sha256 of its files; "bundled" for a local folder, copied to
        :data:`BACKBONE_DIR`, with the sha256 of its config and weight files.
    """
    from socalign.models.embed import folder_files
    from socalign.models.hub import is_hub_id, resolve_commit, split_revision

    name, revision = split_revision(backbone)
    from socalign.models.toy import is_toy, toy_backbone

    if is_toy(name):
        return {"source": "socalign", "name": name, "files": folder_files(toy_backbone(name))}
    path = Path(name).expanduser()
    if path.is_dir():
        return {"source": "bundled", "name": path.name, "path": BACKBONE_DIR,
                "files": folder_files(path)}
    if not is_hub_id(name):
        raise ValueError(f"backbone {backbone!r} is neither a hub id, the toy, nor a folder here")
    try:
        commit: str | None = resolve_commit(name, revision)
    except FileNotFoundError:
        commit = None
    return {"source": "hub", "name": name, "revision": revision or "main", "commit": commit}


# --- one writer at a time ---------------------------------------------------------------------


class RunBusyError(FileExistsError):
    """Another process is writing the run folder (it holds :data:`RUN_LOCK`)."""


@contextlib.contextmanager
def run_lock(out: Path | str) -> Iterator[None]:
    """Hold the run folder's writer lock while the block runs; fail at once when it is held.

    The folder is created when missing (and removed again, with the parents created for it,
    when the block fails and it holds nothing but the lock). The lock file
    (:data:`RUN_LOCK`, an OS lock through ``filelock``, so a killed writer holds nothing) is
    removed when the block ends. A path that exists and is not a folder is left to the
    block's own checks.

    Parameters
    ----------
    out : path-like
        The run folder.

    Yields
    ------
    None
        While the lock is held.

    Raises
    ------
    RunBusyError
        Another writer holds the lock (nothing is changed).
    """
    from filelock import FileLock, Timeout

    out = Path(out)
    if out.exists() and not out.is_dir():
        yield
        return
    created = [p for p in (out, *out.parents) if not p.exists()]
    out.mkdir(parents=True, exist_ok=True)
    path = out / RUN_LOCK
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
        fd = getattr(getattr(lock, "_context", None), "lock_file_fd", None)
        if fd is not None and (not path.exists() or os.stat(path).st_ino != os.fstat(fd).st_ino):
            lock.release()  # the file was removed by a writer finishing meanwhile: not ours
            raise Timeout(str(path))
    except Timeout:
        _remove_created(created, path, ours=False)
        raise RunBusyError(
            17, f"{out} is being written by another socalign finetune (it holds the lock "
            f"{path}); wait for it to finish or choose another --out; nothing was changed",
            str(out)) from None
    ok = False
    try:
        yield
        ok = True
    finally:
        path.unlink(missing_ok=True)
        lock.release()
        if not ok:
            _remove_created(created, path, ours=True)


def _remove_created(created: list[Path], lock: Path, ours: bool) -> None:
    """Remove the folders :func:`run_lock` created, when they hold nothing (or only the lock)."""
    for folder in created:
        try:
            if ours and folder == lock.parent:
                lock.unlink(missing_ok=True)
            folder.rmdir()
        except OSError:
            return

