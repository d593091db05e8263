"""People's ratings of PHASE's main set: the raw responses, the majority labels, and agreement.

Each response file is one participant's session: one JSON list of ``[key, value]`` pairs a
line, a demographics line (``age``, ``gender``, ``ethnicity``) and one line per rating
(``video_name``, ``subjectID``, ``question_name`` — always ``relationship`` —, and
``likert_response``: friendly, neutral or adversarial). A complete session rated 23 videos: 20
of the main set and the three catch videos whose names end in ``_mm``.

The labels follow the authors' analysis (SocialGNN's ``HumanExperiment_ResponseAnalysis``
notebook) unless ``exclusions=False``:

* only complete sessions count (a demographics line first, then :data:`COMPLETE_RATINGS`
  ratings; the others were interrupted or recorded twice);
* a participant who rated any catch video otherwise than its intended label
  (:data:`CATCH_LABELS`) is left out;
* a video's label is the most frequent rating of the others (catch videos carry none); a tie
  goes to the first of the tied labels in alphabetical order (adversarial, friendly, neutral),
  what the authors' ``Series.mode().iloc[0]`` does. 7 of the 400 videos are tied.

People's agreement (:func:`leave_one_out_agreement`): each rating is compared with the majority
of the *other* participants' ratings of the same video; when that majority is a tie among k
labels, a rating among them scores 1/k (the chance that a random tie-break agrees with it). A
video's agreement is the mean over its ratings; the reported agreement is the mean over videos
with a percentile bootstrap interval over videos (:func:`socalign.metrics.resampling.bootstrap`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socalign.cache import InputFileError, read_input
from socalign.data.errors import BenchmarkError
from socalign.data.phase.pins import RESPONSE_FILES
from socalign.data.phase.source import LABELS

if TYPE_CHECKING:
    from socalign.metrics.resampling import Interval

#: The main set's catch videos and the label each was made to show (a participant who rates one
#: otherwise is left out); the authors' notebook names them ``a``, ``f`` and ``n``.
CATCH_LABELS: dict[str, str] = {
    "D082120_2101060_0_F8_E12.1_G['LMA', 0, 0, 1]_['LMA', 0, 0, -1]_ST1_3_SZ0_0_3_0_P13_0_6_10"
    "_A0_0_C0_0_AN-3.45_1.43_MCTS_L100_R0.0_-10.0_PL1_EL1_0_0_s1000_r10_cI1.25_cB1000_e92_mm.mp4":
        "adversarial",
    "D081920_1135270_0_F8_E13.2_G['LMO', 0, 3, 1]_['LMO', 0, 3, 1]_ST2_2_SZ0_0_0_3_P7_15_16_17"
    "_A0_0_C0_0_AN-6.08_5.6_MCTS_L100_R0.0_0.0_PL1_EL1_0_0_s1000_r10_cI1.25_cB1000_e10_mm.mp4":
        "friendly",
    "D082920_2343080_0_F8_E4_G['LMA', 0, 1, 1]_['LMA', 1, 3, 1]_ST3_2_SZ3_0_3_3_P7_5_14_1_A0_0"
    "_C0_0_AN-3.09_-0.6_MCTS_L100_R0.0_0.0_PL1_EL1_0_0_s1000_r10_cI1.25_cB1000_e13_mm.mp4":
        "neutral",
}
#: The suffix of a catch video's name.
CATCH_SUFFIX = "_mm.mp4"
#: Ratings in a complete session (20 main-set videos and the 3 catch videos).
COMPLETE_RATINGS = 23
#: The keys of a demographics line.
DEMOGRAPHICS = frozenset({"age", "gender", "ethnicity"})
#: The keys every rating line has.
RATING_KEYS = ("video_name", "subjectID", "question_name", "likert_response")
QUESTION = "relationship"
#: The columns of a ratings table (:class:`Responses`).
COLUMNS = ("file", "line", "participant", "video", "label")


def _pairs(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        raise BenchmarkError(f"not a JSON line ({err.msg})", path, number) from err
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in value):
        raise BenchmarkError("not a JSON list of [key, value] pairs", path, number)
    return dict(value)


@dataclass(frozen=True)
class Responses:
    """Every rating of a copy's response files, and each file's session (no exclusions yet).

    Attributes
    ----------
    ratings : pandas.DataFrame
        One row per rating line, with the columns of :data:`COLUMNS`: the file's name, the
        line (1-based), the participant (``subjectID``), the video and the label.
    sessions : pandas.DataFrame
        One row per file, in file order: ``file``, ``n_ratings`` and ``complete`` (a
        demographics line first, then exactly :data:`COMPLETE_RATINGS` ratings and nothing
        else).
    """

    ratings: pd.DataFrame
    sessions: pd.DataFrame


def read_response_file(path: Path | str, root: Path | str | None = None) -> Responses:
    """One participant's session: its ratings, and whether the session is complete.

    Parameters
    ----------
    path : path-like
        The response file (UTF-8 JSON lines).
    root : path-like or None, default None
        The copy it belongs to: a symbolic link leading outside it is refused (None: no such
        check).

    Returns
    -------
    Responses
        The file's ratings and its one session row.

    Raises
    ------
    BenchmarkError
        Naming the file and line: not UTF-8 JSON lines, a line that is neither demographics
        nor a rating, a rating of another question, or a label not in :data:`LABELS`.
    """
    path = Path(path)
    try:
        text = read_input(path, "json", root).decode("utf-8")
    except InputFileError as err:
        raise BenchmarkError(err.reason, path) from err
    except UnicodeDecodeError as err:
        raise BenchmarkError(f"not UTF-8 text ({err.reason})", path) from err
    rows: list[tuple[Any, ...]] = []
    demographics_first = False
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        pairs = _pairs(line, path, number)
        if "video_name" not in pairs:
            if not set(pairs) <= DEMOGRAPHICS:
                raise BenchmarkError(
                    f"neither a rating nor demographics: keys {sorted(pairs)}", path, number)
            demographics_first |= number == 1
            continue
        missing = [k for k in RATING_KEYS if k not in pairs]
        if missing:
            raise BenchmarkError(f"a rating line without {missing}", path, number)
        if pairs["question_name"] != QUESTION:
            raise BenchmarkError(
                f"question {pairs['question_name']!r} is not {QUESTION!r}", path, number)
        label = pairs["likert_response"]
        if label not in LABELS:
            raise BenchmarkError(f"label {label!r} is not one of {list(LABELS)}", path, number)
        rows.append((path.name, number, str(pairs["subjectID"]), str(pairs["video_name"]),
                     label))
    complete = demographics_first and len(rows) == COMPLETE_RATINGS and len(lines) == len(rows) + 1
    return Responses(
        ratings=pd.DataFrame(rows, columns=list(COLUMNS)),
        sessions=pd.DataFrame({"file": [path.name], "n_ratings": [len(rows)],
                               "complete": [complete]}),
    )


def read_responses(root: Path | str, files: list[str] | None = None) -> Responses:
    """Every rating of a copy's response files (no exclusions yet).

    Parameters
    ----------
    root : path-like
        A copy of PHASE's layout.
    files : list of str or None, default None
        The response files, relative to ``root`` (None: the pinned ones,
        :data:`~socalign.data.phase.pins.RESPONSE_FILES`, in name order).

    Returns
    -------
    Responses
        Every file's ratings and session, in file order.

    Raises
    ------
    BenchmarkError
        As :func:`read_response_file` (a missing file included), or when no file holds a
        rating.
    """
    root = Path(root)
    names = sorted(RESPONSE_FILES) if files is None else list(files)
    each = [read_response_file(root / rel, root) for rel in names]
    ratings = pd.concat([r.ratings for r in each], ignore_index=True) if each else pd.DataFrame(
        columns=list(COLUMNS))
    if ratings.empty:
        raise BenchmarkError("no ratings in the response files", root)
    sessions = pd.concat([r.sessions for r in each], ignore_index=True)
    return Responses(ratings=ratings, sessions=sessions)


@dataclass(frozen=True)
class Kept:
    """The ratings left after the exclusions, and what was left out.

    Attributes
    ----------
    ratings : pandas.DataFrame
        The kept ratings of the videos that are not catch videos (columns of
        :data:`COLUMNS`).
    counts : dict of str to int
        ``n_files``, ``n_incomplete_files``, ``n_failed_catch_files`` (complete sessions with a
        misrated catch video), ``n_files_kept``, ``n_participants``, ``n_ratings`` (kept, catch
        videos excluded), ``n_videos``.
    """

    ratings: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def keep_ratings(responses: Responses, exclusions: bool = True) -> Kept:
    """The ratings that make the labels: the authors' exclusions, then catch videos dropped.

    Parameters
    ----------
    responses : Responses
        :func:`read_responses`' ratings and sessions.
    exclusions : bool, default True
        Apply the authors' exclusions (incomplete sessions; participants who misrated a catch
        video). False: every rating counts.

    Returns
    -------
    Kept
    """
    table, sessions = responses.ratings, responses.sessions
    complete = set(sessions.loc[sessions["complete"].astype(bool), "file"])
    catch = table[table["video"].isin(list(CATCH_LABELS))]
    failed = set(catch.loc[catch["label"].to_numpy()
                           != catch["video"].map(CATCH_LABELS).to_numpy(), "file"])
    keep = table[table["file"].isin(complete - failed)] if exclusions else table
    kept = keep[~keep["video"].str.endswith(CATCH_SUFFIX)].reset_index(drop=True)
    counts = {
        "n_files": len(sessions),
        "n_incomplete_files": len(sessions) - len(complete),
        "n_failed_catch_files": len(failed & complete),
        "n_files_kept": int(keep["file"].nunique()),
        "n_participants": int(kept["participant"].nunique()),
        "n_ratings": len(kept),
        "n_videos": int(kept["video"].nunique()),
    }
    return Kept(ratings=kept, counts=counts)


def label_counts(ratings: pd.DataFrame) -> pd.DataFrame:
    """How often each video got each label.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Ratings with ``video`` and ``label`` columns.

    Returns
    -------
    pandas.DataFrame
        Index: video (sorted); columns :data:`LABELS` (counts, 0 where none).
    """
    counts = pd.crosstab(ratings["video"], ratings["label"])
    return counts.reindex(columns=list(LABELS), fill_value=0).sort_index()


def majority_labels(ratings: pd.DataFrame) -> pd.Series:
    """Each video's most frequent label; a tie goes to the alphabetically first tied label.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Ratings with ``video`` and ``label`` columns.

    Returns
    -------
    pandas.Series
        Video -> label (sorted by video), named ``label``; its ``attrs["n_ties"]`` counts the
        tied videos.
    """
    counts = label_counts(ratings)
    values = counts.to_numpy()
    winner = values.argmax(axis=1)  # the first maximum: LABELS is in alphabetical order
    labels = pd.Series(np.asarray(LABELS, dtype=object)[winner], index=counts.index, name="label")
    labels.attrs["n_ties"] = int(((values == values.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum())
    return labels


def leave_one_out_agreement(ratings: pd.DataFrame) -> pd.Series:
    """Each video's agreement: the mean, over its ratings, of agreeing with the others' majority.

    A rating is compared with the most frequent label among the ratings of the same video by
    the *other* participants (a participant's own other ratings of it left out too); when that
    majority is a tie among k labels, a rating among them scores 1/k. A rating whose video no
    other participant rated is not scored.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Ratings with ``video``, ``participant`` and ``label`` columns.

    Returns
    -------
    pandas.Series
        Video -> agreement in [0, 1] (sorted by video; videos with no scored rating left out),
        named ``agreement``; its ``attrs["n_ratings"]`` counts the scored ratings.
    """
    video_codes, videos = pd.factorize(ratings["video"], sort=True)
    label_codes = pd.Categorical(ratings["label"], categories=list(LABELS)).codes.astype(np.int64)
    n_labels = len(LABELS)
    totals = np.zeros((len(videos), n_labels), dtype=np.int64)
    np.add.at(totals, (video_codes, label_codes), 1)
    # each participant's own ratings of each video, removed from the totals for their ratings
    own_key = pd.MultiIndex.from_arrays([video_codes, ratings["participant"].to_numpy()])
    own_codes, own_keys = pd.factorize(own_key)
    own = np.zeros((len(own_keys), n_labels), dtype=np.int64)
    np.add.at(own, (own_codes, label_codes), 1)
    others = totals[video_codes] - own[own_codes]
    best = others.max(axis=1, keepdims=True)
    tied = (others == best) & (best > 0)
    n_tied = tied.sum(axis=1)
    scored = n_tied > 0
    score = np.where(scored, tied[np.arange(len(label_codes)), label_codes] / np.maximum(n_tied, 1),
                     np.nan)
    frame = pd.DataFrame({"video": np.asarray(videos)[video_codes], "score": score})[scored]
    agreement = frame.groupby("video", sort=True)["score"].mean().rename("agreement")
    agreement.attrs["n_ratings"] = int(scored.sum())
    return agreement


@dataclass(frozen=True)
class Agreement:
    """People's agreement with the majority label (leave one out), with its interval.

    Attributes
    ----------
    interval : Interval
        The mean over videos of each video's agreement, with a percentile bootstrap interval
        over videos.
    per_video : pandas.Series
        Each video's agreement.
    n_ratings : int
        The ratings scored.
    """

    interval: Interval
    per_video: pd.Series
    n_ratings: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``estimate``, ``low``, ``high``, ``level``, ``unit``, ``n_boot``,
        ``n_videos``, ``n_ratings`` and ``rule``.

        Returns
        -------
        dict
        """
        iv = self.interval
        return {
            "estimate": iv.estimate, "low": iv.low, "high": iv.high, "level": iv.level,
            "unit": iv.unit, "n_boot": iv.n_boot, "method": "percentile bootstrap",
            "n_videos": len(self.per_video), "n_ratings": self.n_ratings,
            "rule": "each rating against the majority of the other participants' ratings of "
                    "the same video (a tie among k labels: 1/k); mean over videos",
        }


def agreement(ratings: pd.DataFrame, n_boot: int = 1000, seed: int = 0,
              level: float = 0.95) -> Agreement:
    """People's leave-one-out agreement with the majority label, and its bootstrap interval.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Kept ratings (:func:`keep_ratings`), with ``video``, ``participant`` and ``label``.
    n_boot : int, default 1000
        Bootstrap resamples of the videos.
    seed : int, default 0
        Seed of the resampling (:func:`socalign.metrics.resampling.as_rng`).
    level : float, default 0.95
        Level of the percentile interval.

    Returns
    -------
    Agreement
    """
    from socalign.metrics.resampling import bootstrap  # scipy: only when an interval is drawn

    per_video = leave_one_out_agreement(ratings)
    interval = bootstrap(per_video.to_numpy(), n_boot=n_boot, rng=seed, level=level,
                         unit="videos", statistic="leave-one-out agreement with the majority")
    return Agreement(interval=interval, per_video=per_video,
                     n_ratings=int(per_video.attrs["n_ratings"]))
