"""The paper's public data (Garcia & Isik 2025): fetch it pinned and verified, and load it.

The authors' repository keeps its own layout (``data/interim/similarity/*.csv`` and
``data/raw/utils/*.csv``); this module reads that layout as it is, so a user's clone of the
repository, a folder named by ``$SOCALIGN_DATA``, the socalign cache, or a fresh download all
load the same way. The videos are not public: attach licensed copies with ``videos_dir`` (or
``socalign.data.load_dataset(..., videos=DIR)``, ``--videos DIR`` on the command line,
``$SOCALIGN_GARCIA2025_VIDEOS``): the folder holds each video under its ``video_mapping.csv``
name, ``DIR/<video_name>``.

``$SOCALIGN_DATA``, when set, is the only place looked at: a copy there that lacks a file or
whose file differs from the published one is an error naming the variable, the folder and the
file, never a reason to download. Every file is read through
:func:`socalign.cache.open_input` (regular files only, bounded in size); the files may be
links (e.g. into a git-annex or DVC store) since each is verified against its pinned sha256.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from socalign.cache import InputFileError, sha256_file
from socalign.data.errors import BenchmarkError
from socalign.data.layout import exclusions, float_column, read_csv, trials_from_frame
from socalign.data.pinned import (  # the shared machinery, named here too
    DATA_ENV,
    NotFoundError,
    commit_cache,
    fetch_pinned,
    locate_copy,
)
from socalign.data.pinned import FetchError as FetchError  # raised by fetch, named here too
from socalign.data.registry import Dataset, register_dataset
from socalign.data.types import Benchmark, Videos

logger = logging.getLogger(__name__)

NAME = "garcia2025"
REPOSITORY = "garciakathy/similarity-judgments-finetuning"
COMMIT = "093ffeaf9e03fcf18ef2e78708ab9356bca76137"
BASE_URL = f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/"
URL_ENV = "SOCALIGN_GARCIA2025_URL"
#: A folder of the licensed videos, each under its video_mapping.csv name (used when none is given).
VIDEOS_ENV = "SOCALIGN_GARCIA2025_VIDEOS"

SIMILARITY = "data/interim/similarity"
UTILS = "data/raw/utils"
FILES: dict[str, str] = {
    f"{SIMILARITY}/all_triplets.csv": "46b88e5921ed1f032dc97f05d24cbd2bf71a783ba9deca91593b8900ee62444e",
    f"{SIMILARITY}/count_df_train.csv": "2d07b7f003e5cb60d1de9181b49bd79704f0917e5fa024774d0f177e648e3d38",
    f"{SIMILARITY}/sim_judg_test_rsm.csv": "ed0793be6855b51a153a0a7c487921ee130f75452b558a77f6941d55d6e7f0b7",
    f"{SIMILARITY}/sim_judg_train_rsm.csv": "1ad99dc769f412058ea66ee57564577d785680f7450c9359e957335fba46dd00",
    f"{SIMILARITY}/test_triplets.csv": "36e824355097220ee0a599be47fcf4c93adabbeb8e1928e59fe2e35715a21115",
    f"{SIMILARITY}/train_triplets.csv": "3f23d14e3ab380ec001e7eff606910dffee81ce2018b01993f68ad805e0d5bec",
    f"{UTILS}/annotations.csv": "b3c01bddd58d1d569e97470ccb68f2290fe1e3c46af01453653d5c87757343ad",
    f"{UTILS}/captions.csv": "1fb304d6f0626fffbbc9cfbd7a5288cc5139811a87e93b1e763edb5fa42302f5",
    f"{UTILS}/test.csv": "829bea2088a70e3db78e2d7af3f9a46ea402c10c400500f536268edf402973d1",
    f"{UTILS}/train.csv": "c027e8ae031a86599be5300a78841d26262d9a5af967865a26e5b96993b5e7d7",
    f"{UTILS}/video_mapping.csv": "0046233770e29c6ae6f4c96f4a48395796166659c69ea69b9d3a6a2f1cbe7c05",
}
#: The paper's five social-affective attributes probed in its linear-probe analysis.
PROBE_ATTRIBUTES = ("communication", "valence", "arousal", "intimacy", "dominance")


def is_garcia2025(root: Path) -> bool:
    """True when ``root`` holds the authors' layout."""
    return (Path(root) / SIMILARITY / "all_triplets.csv").exists()


def verify(root: Path) -> Path:
    """Check every file against the pinned sha256; raise naming the first missing or changed file.

    Parameters
    ----------
    root : Path
        A copy of the authors' layout.

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    BenchmarkError
        Naming the first file that is missing, not a regular file, too large, or whose sha256
        differs from the pinned one.
    """
    for rel, expected in FILES.items():
        path = Path(root) / rel
        if not os.path.lexists(path):
            raise BenchmarkError("file of garcia2025 is missing", path)
        actual = _sha256(path)
        if actual != expected:
            raise BenchmarkError(
                f"sha256 {actual[:12]}… does not match the pinned {expected[:12]}… "
                f"(commit {COMMIT[:12]}); the copy differs from the published data",
                path,
            )
    return Path(root)


def _sha256(path: Path) -> str:
    """sha256 of a data file read through the one opener (regular files only, bounded)."""
    try:
        return sha256_file(path, "csv")
    except InputFileError as err:
        raise BenchmarkError(err.reason, path) from err


def default_cache(create: bool = True) -> Path:
    """Where downloads go: ``<socalign cache>/garcia2025/<commit>`` (created unless ``create``
    is False)."""
    return commit_cache(NAME, COMMIT, create)


def fetch(
    dest: Path | str | None = None,
    base_url: str | None = None,
    progress: bool = False,
    files: dict[str, str] | None = None,
) -> Path:
    """Download every file from the pinned commit with pooch, verifying each sha256.

    Files already present with the right hash are not downloaded again; a present file whose
    hash differs is refused (never downloaded over), and a downloaded file whose hash differs
    raises (:func:`socalign.data.pinned.fetch_pinned`, the datasets' one downloader).

    Parameters
    ----------
    dest : path-like or None, default None
        The folder to download into (None: :func:`default_cache`); created when missing, and
        removed again (with any folders created for it) when the download fails.
    base_url : str or None, default None
        Replaces the raw-file address, e.g. a mirror (None: ``$SOCALIGN_GARCIA2025_URL``, else
        :data:`BASE_URL`).
    progress : bool, default False
        Show pooch's progress bar for each download.
    files : dict of str to str or None, default None
        Relative path -> sha256, replacing the pinned registry :data:`FILES` (for tests and
        mirrors).

    Returns
    -------
    Path
        The folder holding the verified files.

    Raises
    ------
    FileExistsError
        When ``dest`` is a file.
    FetchError
        When a download fails (offline or unreachable); the message names the URL and the
        ways out.
    socalign.cache.NotWritableError
        When ``dest`` cannot be written (read-only or full file system, no permission).
    """
    root = Path(dest) if dest is not None else default_cache(create=False)
    url = base_url or os.environ.get(URL_ENV) or BASE_URL
    return fetch_pinned(
        root, url, FILES if files is None else files, dataset=NAME, progress=progress,
        log=logger,
        offline_hint=lambda folder: (
            f"Either set ${DATA_ENV} to a local copy of garcia2025 (a clone of {REPOSITORY} at "
            f"commit {COMMIT[:12]}), or copy its files into {folder} (they are verified against "
            "the pinned hashes)"),
    )



def _env_copy(env: str) -> Path:
    """The verified copy that ``$SOCALIGN_DATA`` names (itself or its ``garcia2025`` folder).

    Parameters
    ----------
    env : str
        The variable's value.

    Returns
    -------
    Path
        The verified copy.

    Raises
    ------
    BenchmarkError
        Naming ``$SOCALIGN_DATA``, the folder and the first file that is missing or differs:
        the local copy there is wrong (nothing is downloaded instead).
    """
    base = Path(env).expanduser()
    candidates = (base / NAME, base)
    root = next((c for c in candidates if is_garcia2025(c)), None)
    if root is None:
        root = next((c for c in candidates if c.is_dir()), base)
        if not root.is_dir():
            problem = "the folder does not exist" if not root.exists() else "it is not a folder"
        else:
            first = next(rel for rel in FILES if not (root / rel).is_file())
            problem = f"{root / first} is missing"
        raise BenchmarkError(
            f"${DATA_ENV}={env}: the local copy of garcia2025 there is wrong: {problem}. Point "
            f"${DATA_ENV} at a clone of {REPOSITORY} at commit {COMMIT[:12]} (or its parent "
            f"folder), or unset it to use the cache or `socalign data fetch garcia2025`",
            root,
        )
    logger.info("garcia2025: the copy in $%s, %s", DATA_ENV, root)
    try:
        return verify(root)
    except BenchmarkError as err:
        raise BenchmarkError(
            f"${DATA_ENV}={env}: the local copy of garcia2025 there is wrong: {err}", err.path
        ) from err


def locate(download: bool = True) -> Path:
    """Find the data: ``$SOCALIGN_DATA`` when set (only there), else the cache, else a download.

    Parameters
    ----------
    download : bool, default True
        Download into the cache when ``$SOCALIGN_DATA`` is unset and the cache has no copy.

    Returns
    -------
    Path
        The verified copy.

    Raises
    ------
    BenchmarkError
        ``$SOCALIGN_DATA`` names a wrong copy (the message names the variable and the file;
        nothing is downloaded instead), or a copy fails verification.
    NotFoundError
        No copy and ``download`` is False.
    FetchError
        The download failed.
    """
    return locate_copy(NAME, FILES, _env_copy, default_cache(create=False), verify, fetch,
                       download)


def available() -> Path | None:
    """The verified local copy if one is found ($SOCALIGN_DATA or the cache), else None.

    Never downloads; for callers such as the book's demo profile that use the real data only
    when it is already here. A copy that fails verification, and a ``$SOCALIGN_DATA`` that
    names a wrong copy, still raise.

    Returns
    -------
    Path or None
        The verified copy, or None when ``$SOCALIGN_DATA`` is unset and the cache has none.
    """
    try:
        return locate(download=False)
    except NotFoundError:
        return None


def read_videos(root: Path, videos_dir: Path | None = None) -> Videos:
    """The 250 videos: ids = rows of video_mapping.csv, splits, captions and [0, 1] ratings.

    Parameters
    ----------
    root : Path
        A copy of the authors' layout.
    videos_dir : Path or None, default None
        The folder of the licensed videos, each as ``videos_dir/<video_name>`` (None: no
        video files).

    Returns
    -------
    Videos
        In the order of ``video_mapping.csv``, with the splits of ``annotations.csv``, the
        captions of ``captions.csv`` and each ``rating-<attribute>`` column as a rating.

    Raises
    ------
    BenchmarkError
        When a file is missing or malformed, or the files disagree on the videos or splits.
    """
    mapping_path = root / UTILS / "video_mapping.csv"
    mapping = read_csv(mapping_path, ("index", "video_name"))
    if not np.array_equal(mapping["index"].to_numpy(), np.arange(len(mapping))):
        raise BenchmarkError("index column is not 0..N-1 in order", mapping_path, column="index")
    names = mapping["video_name"].astype(str).tolist()
    annotations_path = root / UTILS / "annotations.csv"
    annotations = read_csv(annotations_path, ("video_name", "stimulus_set"))
    for column in annotations.columns:
        if column.startswith("rating-"):  # as strict as the socalign layout: numbers in [0, 1]
            annotations[column] = float_column(annotations, column, annotations_path, 0.0, 1.0)
    annotations = annotations.set_index("video_name")
    unknown = sorted(set(names) - set(annotations.index))
    if unknown:
        raise BenchmarkError(f"video {unknown[0]!r} of video_mapping.csv has no row", annotations_path)
    annotations = annotations.loc[names]
    splits = annotations["stimulus_set"].astype(str).to_numpy()
    for split in ("train", "test"):
        listed = set(read_csv(root / UTILS / f"{split}.csv", ("video_name",))["video_name"])
        labelled = {n for n, s in zip(names, splits, strict=True) if s == split}
        if listed != labelled:
            raise BenchmarkError(
                f"{split}.csv and annotations.csv disagree on {len(listed ^ labelled)} video(s)",
                root / UTILS / f"{split}.csv",
            )
    ratings = {
        column.removeprefix("rating-"): pd.to_numeric(annotations[column]).to_numpy(dtype=float)
        for column in annotations.columns
        if column.startswith("rating-")
    }
    captions_path = root / UTILS / "captions.csv"
    captions = read_csv(captions_path, ("video_name", "caption_index", "caption"))
    captions = captions.sort_values(["video_name", "caption_index"], kind="stable")
    grouped = captions.groupby("video_name")["caption"].apply(tuple)
    files: tuple[Path | None, ...] = tuple(
        (Path(videos_dir) / n) if videos_dir is not None else None for n in names
    )
    return Videos(
        ids=np.arange(len(names), dtype=np.int64),
        names=tuple(names),
        files=files,
        splits=splits,
        captions=tuple(grouped.get(n, ()) for n in names),
        ratings=ratings,
    )


def read_copy(
    root: Path | str,
    exclude_catch: bool = True,
    videos_dir: Path | str | None = None,
) -> Benchmark:
    """Read a copy of the authors' layout: the dataset registry's reader for garcia2025.

    Load garcia2025 with ``socalign.data.load_dataset("garcia2025")`` (located or fetched) or
    ``load_dataset(COPY)``, which come here.

    Parameters
    ----------
    root : path-like
        A copy of the authors' layout.
    exclude_catch : bool
        Exclude catch trials from the kept trials (the published files hold none).
    videos_dir : path-like or None
        The folder of the licensed videos, each as ``videos_dir/<video_name>`` with the names
        of ``video_mapping.csv`` (None: no video files).

    Returns
    -------
    Benchmark

    Raises
    ------
    BenchmarkError
        When ``root`` is not a copy of the authors' layout, or a file is missing or malformed.
    """
    root = Path(root)
    if not is_garcia2025(root):
        raise BenchmarkError("not a copy of garcia2025 (no data/interim/similarity/all_triplets.csv)", root)
    videos = read_videos(root, None if videos_dir is None else Path(videos_dir))
    path = root / SIMILARITY / "all_triplets.csv"
    raw = read_csv(path, ("participation", "stim1_name", "stim2_name", "stim3_name", "choice"))
    frame = raw.rename(
        columns={
            "participation": "participant",
            "stim1_name": "video_1",
            "stim2_name": "video_2",
            "stim3_name": "video_3",
        }
    )
    trials = trials_from_frame(frame, videos, path)
    kept, excluded = exclusions(trials, exclude_catch)
    return Benchmark(
        name=NAME,
        root=root,
        videos=videos,
        trials=trials,
        kept_mask=kept,
        excluded=excluded,
        metadata={"source": f"{REPOSITORY}@{COMMIT}", "probe_attributes": list(PROBE_ATTRIBUTES)},
    )


def read_published_split_trials(root: Path | str, split: str) -> pd.DataFrame:
    """The authors' ``<split>_triplets.csv`` as published (for checks against socalign's splits).

    Parameters
    ----------
    root : path-like
        A copy of the authors' layout.
    split : str
        ``train`` or ``test``.

    Returns
    -------
    pandas.DataFrame
        The file's rows, with at least ``stim1_name``, ``stim2_name``, ``stim3_name`` and
        ``choice``.
    """
    path = Path(root) / SIMILARITY / f"{split}_triplets.csv"
    return read_csv(path, ("stim1_name", "stim2_name", "stim3_name", "choice"))


def _load(root: Path, exclude_catch: bool, videos: Path | None) -> Benchmark:
    return read_copy(root, exclude_catch=exclude_catch, videos_dir=videos)


def _describes(benchmark: Benchmark) -> bool:
    return benchmark.name == NAME and benchmark.metadata.get("source") == f"{REPOSITORY}@{COMMIT}"


DATASET = register_dataset(Dataset(
    name=NAME, recognises=is_garcia2025, load=_load, describes=_describes, locate=locate,
    videos_env=VIDEOS_ENV,
))
"""garcia2025 in the dataset registry: located or fetched by name, the paper's backbone by
default, human judgments only (no latent truth)."""
