"""Typed objects for an odd-one-out (OOO) benchmark: videos, trials and the benchmark itself.

Trials refer to videos by *index* (row of the videos table, 0..N-1); the on-disk ``video_id``
of each row is kept in :attr:`Videos.ids` so results can be written back with the user's ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Videos:
    """The videos of a benchmark, in table order.

    ids: integer video ids as written on disk; names: short names; files: paths to the video
    files (absolute, or None when the benchmark has no videos); splits: split label per video;
    captions: a tuple of captions per video; ratings: attribute name -> ratings in [0, 1]
    (NaN where a video was not rated).
    """

    ids: np.ndarray
    names: tuple[str, ...]
    files: tuple[Path | None, ...]
    splits: np.ndarray
    captions: tuple[tuple[str, ...], ...]
    ratings: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def split_names(self) -> tuple[str, ...]:
        """The split labels present, in order of first appearance."""
        return tuple(dict.fromkeys(self.splits.tolist()))

    def indices(self, split: str | None = None) -> np.ndarray:
        """Row indices of the videos in ``split`` (all videos when None)."""
        if split is None:
            return np.arange(len(self))
        if split not in self.split_names:
            raise KeyError(f"unknown split {split!r}; this benchmark has {list(self.split_names)}")
        return np.flatnonzero(self.splits == split)

    def index_of(self, video_ids: np.ndarray) -> np.ndarray:
        """Map on-disk video ids to row indices (raises KeyError naming an unknown id)."""
        lookup = pd.Index(self.ids)
        positions = lookup.get_indexer(np.asarray(video_ids))
        if (positions < 0).any():
            bad = np.asarray(video_ids)[positions < 0][0]
            raise KeyError(f"unknown video id {bad}")
        return positions

    @property
    def has_files(self) -> bool:
        """True when every video lists a file (see ``data info``'s ``has_videos`` for files that
        exist and are not empty)."""
        return all(f is not None for f in self.files)

    def ratings_frame(self) -> pd.DataFrame:
        """The ratings as a DataFrame indexed by video id."""
        return pd.DataFrame(dict(self.ratings), index=pd.Index(self.ids, name="video_id"))


@dataclass(frozen=True)
class Trials:
    """Odd-one-out trials.

    triplets: (n, 3) video row indices as shown; odd: (n,) position 0..2 of the chosen odd one;
    participants: (n,) integer participant codes into ``participant_names``;
    response_time: (n,) seconds (NaN when unknown); row: (n,) row of each trial in its source
    file (0-based, header excluded), kept through subsetting so every report can name a row.
    """

    triplets: np.ndarray
    odd: np.ndarray
    participants: np.ndarray
    participant_names: tuple[str, ...]
    response_time: np.ndarray
    row: np.ndarray

    def __len__(self) -> int:
        return len(self.odd)

    @property
    def choice(self) -> np.ndarray:
        """The video index chosen as the odd one out in each trial."""
        return self.triplets[np.arange(len(self)), self.odd]

    @property
    def is_catch(self) -> np.ndarray:
        """Catch trials: a video repeated inside the triplet (the odd one is the singleton)."""
        t = self.triplets
        return (t[:, 0] == t[:, 1]) | (t[:, 1] == t[:, 2]) | (t[:, 0] == t[:, 2])

    @property
    def n_participants(self) -> int:
        """Number of distinct participants with at least one trial here."""
        return int(np.unique(self.participants).size)

    def subset(self, mask: np.ndarray) -> Trials:
        """The trials where ``mask`` is true (a boolean mask or an index array)."""
        return Trials(
            triplets=self.triplets[mask],
            odd=self.odd[mask],
            participants=self.participants[mask],
            participant_names=self.participant_names,
            response_time=self.response_time[mask],
            row=self.row[mask],
        )

    def within(self, video_indices: np.ndarray) -> np.ndarray:
        """Boolean mask of trials whose three videos all lie in ``video_indices``."""
        member = np.zeros(int(self.triplets.max(initial=-1)) + 1, dtype=bool)
        inside = video_indices[video_indices < member.size]
        member[inside] = True
        return member[self.triplets].all(axis=1)

    def to_frame(self, videos: Videos | None = None) -> pd.DataFrame:
        """A table of the trials (with on-disk video ids when ``videos`` is given)."""
        t = self.triplets if videos is None else videos.ids[self.triplets]
        return pd.DataFrame(
            {
                "participant": np.asarray(self.participant_names, dtype=object)[self.participants],
                "video_1": t[:, 0],
                "video_2": t[:, 1],
                "video_3": t[:, 2],
                "choice": t[np.arange(len(self)), self.odd],
                "response_time": self.response_time,
            }
        )


@dataclass(frozen=True)
class Benchmark:
    """A loaded, validated OOO benchmark.

    ``trials`` holds every trial as loaded (catch trials included); ``kept`` holds the trials
    left after exclusions, and ``excluded`` counts each exclusion by reason. Nothing is
    dropped without being counted there.
    """

    name: str
    root: Path | None
    videos: Videos
    trials: Trials
    kept_mask: np.ndarray
    excluded: Mapping[str, int]
    metadata: Mapping[str, object] = field(default_factory=dict)

    @property
    def kept(self) -> Trials:
        """Trials left after exclusions (catch trials removed by default)."""
        return self.trials.subset(self.kept_mask)

    def split_trials(self, split: str | None) -> Trials:
        """A split's trials: the kept trials whose three videos all belong to that split."""
        kept = self.kept
        if split is None or split == "all":
            return kept
        return kept.subset(kept.within(self.videos.indices(split)))

    def split_indices(self, split: str | None) -> np.ndarray:
        """Row indices of a split's videos ("all" or None: every video)."""
        return self.videos.indices(None if split in (None, "all") else split)
