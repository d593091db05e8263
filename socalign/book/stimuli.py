"""The stimuli on the page: looping clips, a triplet gallery and the "Be the participant" trials.

A reader of a book about social videos should see them. Everything here returns HTML with the
clips inlined as ``data:`` URIs (animated WebP, small: a SocialWorld clip is a few kilobytes),
so a page plays them on the static site, offline, and in a Colab notebook without any file:

* :func:`interaction_clips`: one representative clip per SocialWorld interaction type;
* :func:`triplet_gallery`: triplets with the three clips side by side, the share of people who
  chose each as the odd one out, and each model's choice (:func:`model_choices`, through the
  library's ``argmax`` OOO rule); on a benchmark without videos, the captions instead;
* :func:`participant_trials` and :func:`participant_widget`: the trials of the "Be the
  participant" page and its self-contained widget (the trials as inline JSON, the clips inline,
  the script of ``book/_static/participant.js``); :func:`participant_agreement` is the score
  that script shows, computed in Python (a test holds the two equal).

The models' embeddings come from the caller (:func:`stimulus_models` gathers the book's: the
caption model, the pretrained and the fine-tuned video model).
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from socalign.data.socialworld.scenes import DURATION
from socalign.metrics.ooo import ooo_accuracy

if TYPE_CHECKING:
    from socalign.data.types import Benchmark
    from socalign.profiles import Profile

__all__ = [
    "CLIP_FRAMES",
    "CLIP_PIXELS",
    "PARTICIPANT_SCRIPT",
    "Clip",
    "ClipSheet",
    "Gallery",
    "JudgedTriplets",
    "ParticipantWidget",
    "encode_clip",
    "interaction_clips",
    "judged_triplets",
    "model_choices",
    "participant_agreement",
    "participant_script",
    "participant_trials",
    "participant_widget",
    "pick_triplets",
    "stimulus_models",
    "triplet_gallery",
    "video_clip",
]

CLIP_FRAMES = 16
"""Frames per inlined clip at most (SocialWorld's demo clips have 16 over 3 s: about 5 per
second); a clip with fewer keeps its own."""
CLIP_PIXELS = 96
"""The longest side of an inlined clip, in pixels, at most (larger videos are shrunk; the page
shows every clip at :data:`DISPLAY_PIXELS`, so a 32- or 64-pixel SocialWorld clip is scaled
up by the browser, not stored larger)."""
DISPLAY_PIXELS = 128
"""The width a clip is shown at on the page (CSS pixels)."""
WEBP_QUALITY = 70
"""The animated WebP's lossy quality (0-100): a 64-pixel, 16-frame SocialWorld clip is about
5 kB."""
PARTICIPANT_SCRIPT = Path("book/_static/participant.js")
"""The "Be the participant" widget's script, relative to the book's root."""
PARTICIPANT_SCRIPT_URL = ("https://cdn.jsdelivr.net/gh/socalign/socalign@main/"
                          f"{PARTICIPANT_SCRIPT.as_posix()}")
"""Where a notebook without the book's files (Colab) loads that script from instead."""
NO_CHOICE = None
"""A model's choice on a triplet whose two most similar pairs tie (the OOO rule's ties count
as wrong, so the model picks no video)."""

_CSS = """
.socalign-stimuli{display:flex;flex-wrap:wrap;gap:12px;margin:0.5em 0}
.socalign-stimuli figure{margin:0;text-align:center;font-size:0.85em}
.socalign-stimuli img{image-rendering:pixelated;display:block;margin:auto;border-radius:4px}
.socalign-triplet{border:1px solid #ccc;border-radius:6px;padding:6px 8px;margin:0 0 10px 0}
.socalign-triplet .socalign-stimuli{margin:0}
.socalign-triplet figure{max-width:14em}
.socalign-triplet .models{color:#555}
.socalign-triplet .caption{border:1px dashed #aaa;padding:4px;min-height:4em;text-align:left}
"""


# --------------------------------------------------------------------------------------------
# clips
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    """One video encoded as a small looping animated WebP.

    ``data`` is the file's bytes; :attr:`uri` the ``data:`` URI a page inlines; ``frame_ms``
    how long each frame shows (the clip lasts ``n_frames * frame_ms`` ms).
    """

    video_id: int
    label: str
    data: bytes = field(repr=False)
    n_frames: int
    frame_ms: int
    width: int
    height: int

    @property
    def nbytes(self) -> int:
        """Bytes of the encoded file."""
        return len(self.data)

    @property
    def uri(self) -> str:
        """The clip as a ``data:image/webp;base64,...`` URI."""
        return "data:image/webp;base64," + base64.b64encode(self.data).decode("ascii")

    def img(self, width: int = DISPLAY_PIXELS, alt: str | None = None) -> str:
        """An ``<img>`` element showing the clip.

        Parameters
        ----------
        width : int, default DISPLAY_PIXELS
            The width it is shown at, in CSS pixels (the height keeps the aspect).
        alt : str or None, default None
            Its alternative text (None: the video's id and label).

        Returns
        -------
        str
        """
        text = html.escape(alt if alt is not None else f"video {self.video_id}: {self.label}")
        height = round(width * self.height / self.width)
        return (f'<img src="{self.uri}" width="{width}" height="{height}" alt="{text}" '
                f'title="{text}">')


def encode_clip(frames: np.ndarray, duration_s: float = DURATION, quality: int = WEBP_QUALITY,
                max_pixels: int = CLIP_PIXELS) -> tuple[bytes, int]:
    """Encode ``(T, H, W, 3)`` uint8 frames as a looping animated WebP (Pillow).

    Parameters
    ----------
    frames : numpy.ndarray
        ``(T, H, W, 3)`` uint8 RGB frames, T >= 1.
    duration_s : float, default DURATION
        How long the clip lasts (every SocialWorld and garcia2025 clip: 3 s); each frame shows
        ``duration_s / T``, rounded to whole milliseconds.
    quality : int, default WEBP_QUALITY
        The WebP's lossy quality, 0 to 100.
    max_pixels : int, default CLIP_PIXELS
        Frames whose longer side exceeds this are shrunk to it (aspect kept).

    Returns
    -------
    (bytes, int)
        The file and the milliseconds per frame.

    Raises
    ------
    ValueError
        When ``frames`` is not ``(T, H, W, 3)`` uint8 with T >= 1, or ``duration_s`` or
        ``max_pixels`` is not positive.
    """
    from PIL import Image

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) < 1:
        raise ValueError(f"frames must be (T, H, W, 3) uint8 with T >= 1, got {frames.shape} "
                         f"{frames.dtype}")
    if not duration_s > 0 or max_pixels < 1:
        raise ValueError(f"duration_s and max_pixels must be positive, got {duration_s}, "
                         f"{max_pixels}")
    images = [Image.fromarray(np.ascontiguousarray(f)) for f in frames]
    height, width = frames.shape[1:3]
    scale = max_pixels / max(height, width)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        images = [im.resize(size, Image.Resampling.LANCZOS) for im in images]
    frame_ms = max(1, round(1000 * duration_s / len(images)))
    out = io.BytesIO()
    images[0].save(out, format="WEBP", save_all=True, append_images=images[1:], loop=0,
                   duration=frame_ms, quality=quality, method=4)
    return out.getvalue(), frame_ms


def video_clip(benchmark: Benchmark, index: int, label: str | None = None,
               n_frames: int = CLIP_FRAMES, quality: int = WEBP_QUALITY,
               max_pixels: int = CLIP_PIXELS) -> Clip:
    """One benchmark video as a :class:`Clip` (``n_frames`` frames sampled uniformly, at most
    the file's own: SocialWorld's metadata says how many it has).

    Parameters
    ----------
    benchmark : Benchmark
        A benchmark with video files.
    index : int
        The video's row.
    label : str or None, default None
        The clip's caption on the page (None: the video's name).
    n_frames : int, default CLIP_FRAMES
        Frames to keep at most.
    quality, max_pixels : int
        As :func:`encode_clip` takes them.

    Returns
    -------
    Clip

    Raises
    ------
    ValueError
        When the benchmark lists no file for the video.
    socalign.video.VideoDecodeError
        When the file is missing or cannot be decoded.
    """
    from socalign.video import read_clip

    path = benchmark.videos.files[index]
    if path is None:
        raise ValueError(f"video {int(benchmark.videos.ids[index])} of {benchmark.name} has no "
                         "file (a benchmark without videos: show its captions)")
    own = benchmark.metadata.get("socialworld", {})
    own_frames = own.get("n_frames") if isinstance(own, Mapping) else None
    frames = read_clip(path, min(n_frames, int(own_frames)) if own_frames else n_frames)
    data, frame_ms = encode_clip(frames, quality=quality, max_pixels=max_pixels)
    scale = min(1.0, max_pixels / max(frames.shape[1:3]))
    return Clip(video_id=int(benchmark.videos.ids[index]),
                label=label if label is not None else benchmark.videos.names[index],
                data=data, n_frames=len(frames), frame_ms=frame_ms,
                width=max(1, round(frames.shape[2] * scale)),
                height=max(1, round(frames.shape[1] * scale)))


@dataclass(frozen=True)
class ClipSheet:
    """Clips shown side by side with their captions (HTML in a notebook, text elsewhere)."""

    clips: tuple[Clip, ...]
    width: int = DISPLAY_PIXELS

    @property
    def nbytes(self) -> int:
        """Bytes of the encoded clips (the page inlines them base64-encoded: about 4/3 more)."""
        return sum(c.nbytes for c in self.clips)

    def _repr_html_(self) -> str:
        figures = "".join(
            f"<figure>{c.img(self.width)}<figcaption>{html.escape(c.label)}</figcaption></figure>"
            for c in self.clips)
        return f'<style>{_CSS}</style><div class="socalign-stimuli">{figures}</div>'

    def __repr__(self) -> str:
        lines = [f"{len(self.clips)} clips ({self.nbytes} bytes):"]
        lines += [f"  {c.label}: video {c.video_id}, {c.n_frames} frames of {c.frame_ms} ms, "
                  f"{c.width}x{c.height}, {c.nbytes} bytes" for c in self.clips]
        return "\n".join(lines)


def interaction_clips(benchmark: Benchmark, n_frames: int = CLIP_FRAMES,
                      quality: int = WEBP_QUALITY, max_pixels: int = CLIP_PIXELS,
                      width: int = DISPLAY_PIXELS) -> ClipSheet:
    """One representative clip per SocialWorld interaction type, captioned with the type.

    The representative of a type is its medoid in the latent social features
    (:func:`socalign.data.socialworld.features.oracle_features`, what the simulated observers
    judge): the video with the highest summed cosine similarity to the type's other videos.

    Parameters
    ----------
    benchmark : Benchmark
        A SocialWorld benchmark (its ``videos.csv`` names each video's type).
    n_frames, quality, max_pixels : int
        As :func:`video_clip` takes them.
    width : int, default DISPLAY_PIXELS
        The width each clip is shown at (CSS pixels).

    Returns
    -------
    ClipSheet
        In the order of the benchmark's interaction types (those with at least one video).

    Raises
    ------
    socalign.data.errors.BenchmarkError
        When the benchmark is not SocialWorld.
    """
    from socalign.data.socialworld.features import (
        interactions,
        oracle_features,
        socialworld_metadata,
    )
    from socalign.metrics.similarity import similarity_from_embeddings

    types = list(socialworld_metadata(benchmark)["interaction_types"])
    kinds = interactions(benchmark)
    features = oracle_features(benchmark)
    clips = []
    for kind in types:
        members = np.flatnonzero(kinds == kind)
        if members.size == 0:
            continue
        sim = similarity_from_embeddings(features[members], "cosine")
        medoid = int(members[int(np.argmax(sim.sum(axis=1)))])
        clips.append(video_clip(benchmark, medoid, label=kind.replace("_", " "),
                                n_frames=n_frames, quality=quality, max_pixels=max_pixels))
    return ClipSheet(tuple(clips), width=width)


# --------------------------------------------------------------------------------------------
# triplets: people's shares and the models' choices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgedTriplets:
    """The distinct triplets of a split (videos in ascending row order) and how often people
    chose each position as the odd one out."""

    triplets: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.triplets)

    @property
    def n_judgments(self) -> np.ndarray:
        """(n,) judgments per triplet."""
        return self.counts.sum(axis=1)

    @property
    def shares(self) -> np.ndarray:
        """(n, 3) share of people who chose each position."""
        return self.counts / self.n_judgments[:, None]


def judged_triplets(benchmark: Benchmark, split: str | None = "test") -> JudgedTriplets:
    """Every distinct triplet of a split's kept trials with its choice counts.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    split : str or None, default "test"
        Its split ("all" or None: every kept trial).

    Returns
    -------
    JudgedTriplets
        Triplets as sorted video rows, ``counts[i, k]``: trials of triplet ``i`` whose choice
        was its ``k``-th video.

    Raises
    ------
    ValueError
        When the split has no trials.
    """
    trials = benchmark.split_trials(split)
    if len(trials) == 0:
        raise ValueError(f"{benchmark.name}: no kept trials in split {split!r}")
    key = np.sort(trials.triplets, axis=1)
    unique, inverse = np.unique(key, axis=0, return_inverse=True)
    position = np.argmax(key == trials.choice[:, None], axis=1)
    counts = np.zeros((len(unique), 3), dtype=np.int64)
    np.add.at(counts, (np.ravel(inverse), position), 1)
    return JudgedTriplets(triplets=unique, counts=counts)


def pick_triplets(judged: JudgedTriplets, n: int, seed: int = 0) -> np.ndarray:
    """``n`` well-judged, diverse triplets: rows of ``judged`` in the order picked.

    Well judged: only triplets judged at least as often as the ``n``-th most judged one are
    candidates. Diverse: each step takes, among the candidates not yet picked, those whose
    videos have been used least so far (the sum of their uses), then the most judged of them,
    then one at random (seeded), so every video is shown about equally often.

    Parameters
    ----------
    judged : JudgedTriplets
        The candidates (:func:`judged_triplets`).
    n : int
        How many to pick (at most ``len(judged)``).
    seed : int, default 0
        Seed of the ties.

    Returns
    -------
    numpy.ndarray
        (n,) row indices into ``judged``.

    Raises
    ------
    ValueError
        When ``n`` is not in 1..len(judged).
    """
    if not 1 <= n <= len(judged):
        raise ValueError(f"cannot pick {n} triplets out of {len(judged)}")
    rng = np.random.default_rng(seed)
    tiebreak = rng.permutation(len(judged))
    uses = np.zeros(int(judged.triplets.max()) + 1, dtype=np.int64)
    threshold = np.sort(judged.n_judgments)[::-1][n - 1]
    free = judged.n_judgments >= threshold  # the candidates not yet picked
    picked = []
    for _ in range(n):
        load = uses[judged.triplets].sum(axis=1)
        order = np.lexsort((tiebreak, -judged.n_judgments, load))  # last key sorts first
        best = int(order[free[order]][0])
        picked.append(best)
        free[best] = False
        np.add.at(uses, judged.triplets[best], 1)
    return np.asarray(picked, dtype=np.int64)


def model_choices(benchmark: Benchmark, embeddings: np.ndarray, triplets: np.ndarray,
                  split: str | None = "test") -> list[int | None]:
    """A model's odd one out in each triplet (a position 0-2, or None when its pairs tie).

    The model's choice is read off the library's ``argmax`` OOO rule
    (:func:`socalign.metrics.ooo.ooo_accuracy`): position ``k`` is the model's choice when
    the rule scores the trial "``k`` was chosen" as correct. The similarity is the benchmark's
    (:func:`socalign.scoring.model_similarity`, cosine over the split's videos).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark the embeddings belong to.
    embeddings : numpy.ndarray
        (N, D), one row per benchmark video.
    triplets : numpy.ndarray
        (n, 3) video rows.
    split : str or None, default "test"
        The split whose videos are compared (the triplets' videos must lie in it).

    Returns
    -------
    list of int or None
        One entry per triplet.
    """
    from socalign.scoring import model_similarity

    triplets = np.asarray(triplets, dtype=np.int64).reshape(-1, 3)
    similarity = model_similarity(benchmark, split, embeddings=embeddings)
    asked = np.repeat(triplets, 3, axis=0)
    positions = np.tile(np.arange(3), len(triplets))
    correct = ooo_accuracy(similarity, asked, positions, rule="argmax").correct.reshape(-1, 3)
    return [int(np.argmax(row)) if row.sum() == 1 else NO_CHOICE for row in correct]


def stimulus_models(settings: Profile, benchmark: Benchmark) -> dict[str, np.ndarray]:
    """The book's models for the stimuli pages, as embeddings of ``benchmark``'s videos.

    * ``caption model (NAME)``: the profile's first language model (the paper's best caption
      model under the paper profile; MiniLM under demo and ci) on the videos' captions;
    * ``pretrained (BACKBONE)`` and ``fine-tuned (BACKBONE)``: the profile's video backbone
      before and after the hybrid fine-tuning run of seed ``settings.seeds[0]``
      (:func:`socalign.book.artifacts.finetuned_run`), when that run was trained on this
      benchmark; otherwise (SocialWorld under the paper profile) the pretrained backbone
      alone, embedded here, and no fine-tuned row. A benchmark without video files gets
      the caption model only.

    Parameters
    ----------
    settings : Profile
        The book profile.
    benchmark : Benchmark
        The benchmark shown.

    Returns
    -------
    dict of str to numpy.ndarray
        By label, (N, D) each.
    """
    from socalign.analyses.gap import model_embeddings
    from socalign.book.artifacts import (
        finetune_benchmark,
        finetuned_run,
        video_frames,
        video_model,
    )
    from socalign.book.leaderboard import model_label
    from socalign.train.runs import Run

    caption = settings.language_models[0]
    out = {f"caption model ({Path(caption).name})": model_embeddings(benchmark, caption)}
    if not benchmark.videos.has_files:
        return out
    label = model_label(settings.video_model)
    dataset = finetune_benchmark(settings)
    if benchmark.root is not None and Path(dataset).resolve() == Path(benchmark.root).resolve():
        run = Run.open(finetuned_run(settings, dataset, loss="hybrid", seed=settings.seeds[0]))
        out[f"pretrained ({label})"] = run.embeddings("before", benchmark.videos)
        out[f"fine-tuned ({label})"] = run.embeddings("after", benchmark.videos)
    else:
        out[f"pretrained ({label})"] = model_embeddings(benchmark, video_model(settings),
                                                        n_frames=video_frames(settings))
    return out


# --------------------------------------------------------------------------------------------
# the gallery
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gallery:
    """Triplets with people's shares and the models' choices (HTML in a notebook, text elsewhere).

    ``records`` holds one dict per triplet: ``videos`` (ids), ``counts`` (people's choices per
    position), ``models`` (label -> position or None), ``captions`` (first caption per video)
    and ``clips`` (:class:`Clip` per video, or None without videos).
    """

    benchmark: str
    records: tuple[dict[str, Any], ...]
    width: int = DISPLAY_PIXELS

    @property
    def nbytes(self) -> int:
        """Bytes of the encoded clips (0 when the captions are shown)."""
        return sum(c.nbytes for r in self.records for c in (r["clips"] or ()))

    def _figure(self, record: dict[str, Any], k: int) -> str:
        n = sum(record["counts"])
        share = record["counts"][k] / n
        chose = [name for name, pos in record["models"].items() if pos == k]
        models = ("chosen by: " + ", ".join(html.escape(m) for m in chose)) if chose else "&nbsp;"
        if record["clips"] is not None:
            media = record["clips"][k].img(self.width)
        else:
            media = f'<div class="caption">{html.escape(record["captions"][k])}</div>'
        return (f"<figure>{media}<figcaption><b>{share:.0%}</b> of people "
                f"({record['counts'][k]} of {n})<br><span class=\"models\">{models}</span>"
                "</figcaption></figure>")

    def _repr_html_(self) -> str:
        blocks = []
        for i, record in enumerate(self.records, start=1):
            ties = [name for name, pos in record["models"].items() if pos is None]
            tie = (f"; no choice (a tie): {html.escape(', '.join(ties))}" if ties else "")
            figures = "".join(self._figure(record, k) for k in range(3))
            blocks.append(f'<div class="socalign-triplet"><div><b>Triplet {i}</b>: which is '
                          f'the odd one out?{tie}</div><div class="socalign-stimuli">{figures}'
                          "</div></div>")
        return f"<style>{_CSS}</style>" + "".join(blocks)

    def __repr__(self) -> str:
        lines = [f"{len(self.records)} triplets of {self.benchmark}:"]
        for i, record in enumerate(self.records, start=1):
            n = sum(record["counts"])
            lines.append(f"  triplet {i}:")
            for k, vid in enumerate(record["videos"]):
                chose = [m for m, pos in record["models"].items() if pos == k]
                what = record["captions"][k]
                lines.append(f"    video {vid} ({what!r}): {record['counts'][k]} of {n} people"
                             + (f"; chosen by {', '.join(chose)}" if chose else ""))
        return "\n".join(lines)


def _records(benchmark: Benchmark, models: Mapping[str, np.ndarray], n: int, split: str | None,
             seed: int, clips: bool, **clip_options: Any) -> list[dict[str, Any]]:
    """The picked triplets as records (see :class:`Gallery`)."""
    judged = judged_triplets(benchmark, split)
    rows = pick_triplets(judged, min(n, len(judged)), seed=seed)
    triplets = judged.triplets[rows]
    choices = {name: model_choices(benchmark, emb, triplets, split) for name, emb in models.items()}
    made: dict[int, Clip] = {}
    records = []
    for i, (row, triplet) in enumerate(zip(rows, triplets, strict=True)):
        record: dict[str, Any] = {
            "videos": [int(benchmark.videos.ids[v]) for v in triplet],
            "counts": [int(c) for c in judged.counts[row]],
            "models": {name: choice[i] for name, choice in choices.items()},
            "captions": [(benchmark.videos.captions[v] or ("(no caption)",))[0] for v in triplet],
            "clips": None,
        }
        if clips:
            for v in triplet:
                if int(v) not in made:
                    made[int(v)] = video_clip(benchmark, int(v), **clip_options)
            record["clips"] = tuple(made[int(v)] for v in triplet)
        records.append(record)
    return records


def triplet_gallery(benchmark: Benchmark, models: Mapping[str, np.ndarray] | None = None,
                    n: int = 3, split: str | None = "test", seed: int = 0,
                    clips: bool | None = None, width: int = DISPLAY_PIXELS,
                    **clip_options: Any) -> Gallery:
    """A few triplets: the three clips, the share of people who chose each, each model's choice.

    The triplets are :func:`pick_triplets`'s (well judged, diverse) among the split's;
    the models' choices are :func:`model_choices`'s. On a benchmark without video files,
    each video's first caption is shown instead of its clip.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    models : mapping of str to numpy.ndarray, optional
        Label -> (N, D) embeddings (e.g. :func:`stimulus_models`); None: none.
    n : int, default 3
        Triplets to show (at most the split's).
    split : str or None, default "test"
        The split the triplets come from.
    seed : int, default 0
        Seed of :func:`pick_triplets`.
    clips : bool or None, default None
        Show the clips (True), or the captions (False); None: the clips when the benchmark
        has video files. Pass False for videos that may not be copied into a page (the
        licensed garcia2025 clips).
    width : int, default DISPLAY_PIXELS
        The width each clip is shown at.
    **clip_options
        ``n_frames``, ``quality``, ``max_pixels`` for :func:`video_clip`.

    Returns
    -------
    Gallery

    Raises
    ------
    ValueError
        When ``clips`` is True and the benchmark has no video files.
    """
    if clips and not benchmark.videos.has_files:
        raise ValueError(f"{benchmark.name} has no video files: show its captions (clips=False)")
    show = benchmark.videos.has_files if clips is None else clips
    records = _records(benchmark, models or {}, n, split, seed, clips=show, **clip_options)
    return Gallery(benchmark=benchmark.name, records=tuple(records), width=width)


# --------------------------------------------------------------------------------------------
# be the participant
# --------------------------------------------------------------------------------------------


def participant_trials(benchmark: Benchmark, models: Mapping[str, np.ndarray], n: int = 20,
                       split: str | None = "test", seed: int = 0,
                       **clip_options: Any) -> dict[str, Any]:
    """The "Be the participant" trials as the JSON the page's script reads.

    Parameters
    ----------
    benchmark : Benchmark
        A benchmark with video files.
    models : mapping of str to numpy.ndarray
        Label -> (N, D) embeddings of the models the reader is compared with.
    n : int, default 20
        Trials (at most the split's distinct triplets).
    split : str or None, default "test"
        The split the triplets come from.
    seed : int, default 0
        Seed of :func:`pick_triplets`.
    **clip_options
        ``n_frames``, ``quality``, ``max_pixels`` for :func:`video_clip`.

    Returns
    -------
    dict
        ``benchmark``; ``models`` (labels); ``trials``: one dict per trial with ``videos``
        (ids, as shown), ``counts`` (people's choices per position) and ``models`` (label ->
        position or None); ``clips``: video id (as text) -> ``data:`` URI;
        ``reference``: each model's own :func:`participant_agreement` with people on the same
        trials.

    Raises
    ------
    ValueError
        When the benchmark has no video files.
    """
    if not benchmark.videos.has_files:
        raise ValueError(f"{benchmark.name} has no video files: the trials need clips")
    records = _records(benchmark, models, n, split, seed, clips=True, **clip_options)
    clips = {str(c.video_id): c.uri for r in records for c in r["clips"]}
    trials = [{k: r[k] for k in ("videos", "counts", "models")} for r in records]
    reference = {name: participant_agreement(trials, [t["models"][name] for t in trials])
                 for name in models}
    return {"benchmark": benchmark.name, "models": list(models), "trials": trials,
            "clips": clips, "reference": reference}


def participant_agreement(trials: Sequence[Mapping[str, Any]],
                          choices: Sequence[int | None]) -> dict[str, float]:
    """How often a reader's choices agree with people and with each model on the same trials.

    The score the "Be the participant" page shows (its script computes the same numbers).

    Parameters
    ----------
    trials : sequence of mapping
        The trials (``participant_trials(...)["trials"]``): ``counts`` (people's choices per
        position) and ``models`` (label -> position or None).
    choices : sequence of int or None
        The reader's choice per trial (a position 0-2; None: no choice, agreeing with nobody).

    Returns
    -------
    dict of str to float
        ``people``: the share of people who chose as the reader did, averaged over trials
        (the chance that a random simulated person agrees); ``majority``: the share of trials
        in which the reader's choice is a most chosen one; then one entry per model label:
        the share of trials in which the reader chose as the model did (a model's tie, None,
        agrees with nobody).

    Raises
    ------
    ValueError
        When the lengths differ, there are no trials, a choice is not 0, 1, 2 or None, or a
        trial has no judgments.
    """
    if len(trials) != len(choices):
        raise ValueError(f"{len(choices)} choices for {len(trials)} trials")
    if len(trials) == 0:
        raise ValueError("no trials")
    labels = list(trials[0]["models"])
    people = majority = 0.0
    agree = dict.fromkeys(labels, 0)
    for trial, choice in zip(trials, choices, strict=True):
        if choice not in (0, 1, 2, None) or isinstance(choice, bool):
            raise ValueError(f"a choice must be 0, 1, 2 or None, got {choice!r}")
        counts = [int(c) for c in trial["counts"]]
        total = sum(counts)
        if total <= 0:
            raise ValueError(f"a trial without judgments: {trial}")
        if choice is not None:
            people += counts[choice] / total
            majority += counts[choice] == max(counts)
        for label in labels:
            agree[label] += choice is not None and trial["models"][label] == choice
    n = len(trials)
    return {"people": people / n, "majority": majority / n,
            **{label: agree[label] / n for label in labels}}


def participant_script(root: Path | str | None = None) -> str | None:
    """The text of the book's :data:`PARTICIPANT_SCRIPT`, or None where it is not at hand.

    Looked for in the book around ``root`` (default: the working folder) and in the checkout
    that holds this package (an editable install); a notebook on Colab has neither.

    Parameters
    ----------
    root : path-like or None, default None
        Where to start looking for the book's root.

    Returns
    -------
    str or None
    """
    from socalign.book.build import BookError, find_book_root

    places = []
    try:
        places.append(find_book_root(root))
    except BookError:
        pass
    places.append(Path(__file__).resolve().parents[2])
    for place in places:
        path = place / PARTICIPANT_SCRIPT
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


@dataclass(frozen=True)
class ParticipantWidget:
    """The self-contained "Be the participant" widget (HTML in a notebook, text elsewhere)."""

    data: dict[str, Any] = field(repr=False)
    script: str | None = field(repr=False, default=None)

    @property
    def nbytes(self) -> int:
        """Bytes of the widget's HTML (clips inlined)."""
        return len(self._repr_html_().encode("utf-8"))

    def _repr_html_(self) -> str:
        payload = json.dumps(self.data, separators=(",", ":")).replace("</", "<\\/")
        if self.script is not None:
            safe = self.script.replace("</script", "<\\/script")
            code = f"<script>{safe}</script>"
        else:
            code = f'<script src="{PARTICIPANT_SCRIPT_URL}"></script>'
        n = len(self.data["trials"])
        return (f'<div class="socalign-participant" data-trials="{n}">'
                f'<script type="application/json" class="socalign-participant-data">{payload}'
                "</script><noscript>These trials need JavaScript.</noscript></div>" + code)

    def __repr__(self) -> str:
        return (f"{len(self.data['trials'])} odd-one-out trials on {self.data['benchmark']} "
                f"(open the page in a browser to do them); models: "
                f"{', '.join(self.data['models'])}")


def participant_widget(trials: dict[str, Any], script: str | None = None) -> ParticipantWidget:
    """The "Be the participant" widget: the trials' JSON, the clips and the script, inline.

    Parameters
    ----------
    trials : dict
        :func:`participant_trials`'s output.
    script : str or None, default None
        The script's text; None: :func:`participant_script`'s (and where that is not at hand,
        a ``<script src>`` to :data:`PARTICIPANT_SCRIPT_URL`).

    Returns
    -------
    ParticipantWidget
    """
    return ParticipantWidget(data=trials, script=script if script is not None
                             else participant_script())
