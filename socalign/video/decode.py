"""Frame sampling and decoding of video clips (decord where installed, PyAV otherwise).

Clips are decoded to ``(T, H, W, 3)`` uint8 RGB arrays at the file's own resolution; resizing,
cropping and normalisation belong to each model (:func:`socalign.models.video.preprocess`).
Decoded clips are cached under ``cache_dir("clips")`` keyed by the file's *content* and the
sampling settings, so a second run does not decode again.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from socalign.cache import (
    atomic_path,
    cache_dir,
    content_key,
    discard_entry,
    read_verified,
    write_verified,
)

logger = logging.getLogger(__name__)
_REPORTED: set[tuple[str, str]] = set()  # backend choices already logged (once per process)

Backend = Literal["auto", "pyav", "decord"]
BACKENDS = ("auto", "pyav", "decord")
CLIP_CACHE_VERSION = "socalign-clip/1"


class VideoDecodeError(ValueError):
    """A video that cannot be read: the message names the file."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: cannot decode video ({reason})")


def sample_frame_indices(n_total: int, n_frames: int) -> np.ndarray:
    """Uniformly spaced frame indices: the centre frame of each of ``n_frames`` equal segments.

    With fewer frames than requested, frames repeat (indices stay sorted and in range).
    """
    if n_total < 1:
        raise ValueError(f"n_total must be >= 1 (the clip has no frames), got {n_total}")
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    centres = (np.arange(n_frames) + 0.5) * (n_total / n_frames)
    return np.minimum(np.floor(centres).astype(np.int64), n_total - 1)


def decord_available() -> bool:
    """True when the optional ``decord`` package can be imported."""
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str) -> str:
    """The concrete backend for ``backend`` ("auto": decord when installed, else PyAV)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "decord" and not decord_available():
        raise ValueError("backend 'decord' requested but decord is not installed (pip install decord)")
    chosen = backend
    if backend == "auto":
        chosen = "decord" if decord_available() else "pyav"
    if (backend, chosen) not in _REPORTED:
        _REPORTED.add((backend, chosen))
        why = {"decord": "decord is installed", "pyav": "decord is not installed"}[chosen]
        logger.info("video decoding: %s (%s)", chosen,
                    f"auto: {why}" if backend == "auto" else "as requested")
    return chosen


def _read_pyav(path: Path, n_frames: int) -> np.ndarray:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoDecodeError(path, "no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            # Decode every frame (clips are short) so the count is exact, then convert only the
            # sampled ones to RGB: container metadata frame counts are not always reliable.
            frames = list(container.decode(stream))
            if not frames:
                raise VideoDecodeError(path, "no frames could be decoded")
            picks = sample_frame_indices(len(frames), n_frames)
            return np.stack([frames[i].to_ndarray(format="rgb24") for i in picks])
    except VideoDecodeError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError) as err:
        raise VideoDecodeError(path, f"{type(err).__name__}: {err}") from err


def _read_decord(path: Path, n_frames: int) -> np.ndarray:
    import decord

    try:
        reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1)
        n_total = len(reader)
        if n_total < 1:
            raise VideoDecodeError(path, "no frames could be decoded")
        picks = sample_frame_indices(n_total, n_frames)
        return reader.get_batch(picks.tolist()).asnumpy()
    except VideoDecodeError:
        raise
    except (decord.DECORDError, RuntimeError, OSError, ValueError, IndexError) as err:
        raise VideoDecodeError(path, f"{type(err).__name__}: {err}") from err


def _decord_reads(path: Path) -> bool:
    """Whether ``backend="auto"`` should try decord on ``path`` (False: straight to PyAV).

    decord 0.6 copies each RGB frame as if its rows were unpadded; at some narrow frame widths
    FFmpeg pads them and every frame fails with ``DECORDError ... (1536 vs. 768)`` (measured:
    16, 24, 48 and 72 px among even widths 16-256, e.g. SocialWorld's 16-px clips). Widths under
    128 px that are not a multiple of 32 therefore go to PyAV (the same frames); where PyAV
    cannot read the width, decord is tried as before.
    """
    try:
        import av

        with av.open(str(path)) as container:
            width = int(container.streams.video[0].width)
    except Exception:  # no PyAV, or a file it cannot open: let decord try (and fail) as before
        return True
    return width >= 128 or width % 32 == 0


def read_clip(path: Path | str, n_frames: int, backend: Backend = "auto") -> np.ndarray:
    """Decode ``n_frames`` uniformly sampled RGB frames of a video: ``(T, H, W, 3)`` uint8.

    Raises :class:`VideoDecodeError` naming the file when it is missing or cannot be decoded.
    With ``backend="auto"``, a file decord cannot read is retried with PyAV (with a warning).
    """
    path = Path(path)
    if not path.is_file():
        raise VideoDecodeError(path, "file not found")
    if os.path.getsize(path) == 0:
        raise VideoDecodeError(path, "the file is empty")
    chosen = resolve_backend(backend)
    if chosen == "decord" and backend == "auto" and not _decord_reads(path):
        logger.debug("decode %s with pyav (a frame width decord misreads)", path)
        chosen = "pyav"
    else:
        logger.debug("decode %s with %s", path, chosen)
    if chosen == "pyav":
        return np.ascontiguousarray(_read_pyav(path, n_frames), dtype=np.uint8)
    try:
        clip = _read_decord(path, n_frames)
    except VideoDecodeError as err:
        if backend == "decord":
            raise
        # decord 0.6 fails on some frame sizes (e.g. 16, 24, 48 px wide) that FFmpeg reads fine:
        # in "auto" mode, PyAV (same frames, see the tests) decides; a PyAV failure raises.
        clip = _read_pyav(path, n_frames)
        warnings.warn(f"decord failed, PyAV used instead: {err}", RuntimeWarning, stacklevel=2)
    return np.ascontiguousarray(clip, dtype=np.uint8)


def clip_cache_key(path: Path | str, n_frames: int, backend: str) -> str:
    """Cache key of a decoded clip: file content, frame count, concrete backend, format version."""
    return content_key(CLIP_CACHE_VERSION, Path(path), int(n_frames), resolve_backend(backend))


def cached_clip(
    path: Path | str, n_frames: int, backend: Backend = "auto", cache: bool = True
) -> tuple[np.ndarray, bool]:
    """Decode a clip through the decoded-clip cache; returns ``(clip, was_cached)``.

    Parameters
    ----------
    path
        The video file.
    n_frames
        Frames sampled uniformly.
    backend
        Decoder (see :func:`read_clip`).
    cache
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
    """
    return decode_clips(files, n_frames, backend=backend, cache=cache, on_error="raise").clips


def write_video(path: Path | str, frames: np.ndarray, fps: int = 8, crf: int = 18) -> Path:
    """Encode ``(T, H, W, 3)`` uint8 RGB frames to an H.264 mp4 with PyAV (even H and W).

    Written through a temporary name and a rename, so a crash leaves no half file.
    """
    import av

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    n, height, width, _ = frames.shape
    if n < 1 or height % 2 or width % 2:
        raise ValueError(f"need >= 1 frame and even height/width for yuv420p, got {frames.shape}")
    path = Path(path)
    with atomic_path(path, keep_suffix=True) as tmp:
        with av.open(str(tmp), "w") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"crf": str(crf)}
            for image in frames:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    return path
