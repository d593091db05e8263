"""The decoded-clip cache and decoding many files at once.

Decoded clips are cached under ``cache_dir("clips")`` keyed by the file's *content*, the
sampling settings and the decoder, so a second run does not decode again; every entry carries
a size and sha256 record and is verified when read.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from socalign.cache import cache_dir, content_key, discard_entry, read_verified, write_verified
from socalign.video.decode import (
    CLIP_CACHE_VERSION,
    Backend,
    VideoDecodeError,
    read_clip,
    resolve_backend,
)

logger = logging.getLogger(__name__)


def clip_cache_key(path: Path | str, n_frames: int, backend: str) -> str:
    """Cache key of a decoded clip: file content, frame count, concrete backend, format version.

    Parameters
    ----------
    path : path-like
        The video file (its content is hashed, not its name).
    n_frames : int
        Frames sampled uniformly.
    backend : str
        Decoder, ``"auto"`` resolved to the one installed (see :func:`resolve_backend`).

    Returns
    -------
    str
        A hex digest.
    """
    return content_key(CLIP_CACHE_VERSION, Path(path), int(n_frames), resolve_backend(backend))


def cached_clip(
    path: Path | str, n_frames: int, backend: Backend = "auto", cache: bool = True
) -> tuple[np.ndarray, bool]:
    """Decode a clip through the decoded-clip cache; returns ``(clip, was_cached)``.

    Parameters
    ----------
    path : path-like
        The video file.
    n_frames : int
        Frames sampled uniformly.
    backend : {"auto", "pyav", "decord"}, default "auto"
        Decoder (see :func:`read_clip`).
    cache : bool, default True
        Read and write the decoded-clip cache (False: decode afresh and leave the cache as
        it is, as ``--no-cache`` asks). A cached entry is verified against its size and sha256
        record; a corrupt one is reported once (naming the file), removed and rebuilt.

    Returns
    -------
    tuple
        The ``(T, H, W, 3)`` uint8 clip and whether it came from the cache.
    """
    path = Path(path)
    if not cache:
        return read_clip(path, n_frames, backend), False
    if not path.is_file():
        raise VideoDecodeError(path, "file not found")
    target = cache_dir("clips") / f"{clip_cache_key(path, n_frames, backend)}.npy"
    stored = read_verified(target)
    if stored is not None:
        try:
            return np.load(io.BytesIO(stored), allow_pickle=False), True
        except (ValueError, OSError, EOFError) as err:
            discard_entry(target, f"not a readable .npy: {err}")
    clip = read_clip(path, n_frames, backend)
    buffer = io.BytesIO()
    np.save(buffer, clip)
    write_verified(target, buffer.getvalue())
    return clip, False


@dataclass(frozen=True)
class DecodedClips:
    """Clips decoded from a list of files.

    clips: ``(M, T, H, W, 3)`` uint8 for the ``M`` files that decoded; indices: their positions
    in the input list; failures: ``(file, reason)`` for each file skipped; n_cached: how many
    came from the cache.
    """

    clips: np.ndarray
    indices: np.ndarray
    failures: tuple[tuple[str, str], ...] = field(default=())
    n_cached: int = 0

    def to_dict(self) -> dict[str, object]:
        """A JSON-able summary (no pixel data)."""
        return {
            "n_decoded": len(self.indices),
            "n_cached": self.n_cached,
            "shape": list(self.clips.shape),
            "failures": [{"file": f, "reason": r} for f, r in self.failures],
        }


def decode_clips(
    files: Sequence[Path | str | None],
    n_frames: int,
    backend: Backend = "auto",
    cache: bool = True,
    on_error: Literal["raise", "skip"] = "raise",
) -> DecodedClips:
    """Decode many files (cached); with ``on_error="skip"``, bad files are skipped and reported.

    All decoded clips must share one frame size; otherwise the error names two files that differ
    (decode one at a time with :func:`cached_clip` and resize per model instead).

    Parameters
    ----------
    files : sequence of path-like or None
        The video files; None stands for a video without a file (an error, or a skip).
    n_frames : int
        Frames sampled uniformly from each file.
    backend : {"auto", "pyav", "decord"}, default "auto"
        Decoder (see :func:`read_clip`).
    cache : bool, default True
        Read and write the decoded-clip cache (see :func:`cached_clip`).
    on_error : {"raise", "skip"}, default "raise"
        What a file that cannot be decoded does: raise :class:`VideoDecodeError`, or be
        skipped and listed in ``failures``.

    Returns
    -------
    DecodedClips
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    clips: list[np.ndarray] = []
    indices: list[int] = []
    failures: list[tuple[str, str]] = []
    n_cached = 0
    for position, file in enumerate(files):
        try:
            if file is None:
                raise VideoDecodeError(f"<video {position}>", "no file for this video")
            clip, hit = cached_clip(file, n_frames, backend, cache)
        except VideoDecodeError as err:
            if on_error == "raise":
                raise
            failures.append((str(err.path), err.reason))
            continue
        if clips and clip.shape != clips[0].shape:
            first = files[indices[0]]
            raise ValueError(
                f"clips differ in shape: {first} is {clips[0].shape}, {file} is {clip.shape}; "
                "decode them one at a time and resize with socalign.models.video.preprocess"
            )
        n_cached += int(hit)
        clips.append(clip)
        indices.append(position)
    stacked = np.stack(clips) if clips else np.zeros((0, n_frames, 0, 0, 3), dtype=np.uint8)
    logger.info("decoded %d clips (%d from the clip cache, %d skipped)",
                len(indices), n_cached, len(failures))
    return DecodedClips(stacked, np.asarray(indices, dtype=np.int64), tuple(failures), n_cached)


def load_clips(
    files: Sequence[Path | str],
    n_frames: int,
    backend: Backend = "auto",
    cache: bool = True,
) -> np.ndarray:
    """Decode every file (through the cache) to one ``(N, T, H, W, 3)`` uint8 array.

    Fails on the first bad file, naming it; use :func:`decode_clips` to skip and report instead.

    Parameters
    ----------
    files : sequence of path-like
        The video files.
    n_frames : int
        Frames sampled uniformly from each file.
    backend : {"auto", "pyav", "decord"}, default "auto"
        Decoder (see :func:`read_clip`).
    cache : bool, default True
        Read and write the decoded-clip cache (see :func:`cached_clip`).

    Returns
    -------
    numpy.ndarray
        ``(N, T, H, W, 3)`` uint8 clips, in the order of ``files``.
    """
    return decode_clips(files, n_frames, backend=backend, cache=cache, on_error="raise").clips
