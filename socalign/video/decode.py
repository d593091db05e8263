"""Frame sampling and decoding of one video file (decord where it can read the file, PyAV
otherwise), and writing clips as H.264 files.

Clips are decoded to ``(T, H, W, 3)`` uint8 RGB arrays at the file's own resolution; resizing,
cropping and normalisation belong to each model (:func:`socalign.models.video.preprocess`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np

from socalign.cache import (
    atomic_path,
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

    Parameters
    ----------
    n_total : int
        Frames in the video, at least 1.
    n_frames : int
        Frames to sample, at least 1.

    Returns
    -------
    numpy.ndarray
        (n_frames,) int64 indices in 0..n_total-1.
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


@contextlib.contextmanager
def _native_messages_logged(path: Path) -> Iterator[None]:
    """Route what the C decoders print on file descriptor 2 to the debug log, not stderr.

    FFmpeg (``moov atom not found``) and decord (``ERROR opening ...``) write straight to the
    process's stderr, beside socalign's one error line; while a clip decodes, their output is
    collected and logged (``-vv`` shows it). Decoding is single-threaded, so the swap is safe.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to protect
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace").strip()
            if text:
                logger.debug("decoder messages for %s: %s", path, " | ".join(text.splitlines()))


def read_clip(path: Path | str, n_frames: int, backend: Backend = "auto") -> np.ndarray:
    """Decode ``n_frames`` uniformly sampled RGB frames of a video: ``(T, H, W, 3)`` uint8.

    Raises :class:`VideoDecodeError` naming the file when it is missing or cannot be decoded.
    With ``backend="auto"``, a file decord cannot read is retried with PyAV (with a warning).

    Parameters
    ----------
    path : path-like
        The video file.
    n_frames : int
        T, frames sampled with :func:`sample_frame_indices`.
    backend : {"auto", "pyav", "decord"}, default "auto"
        Decoder; ``"auto"``: decord when installed (PyAV for frame widths decord misreads),
        else PyAV.

    Returns
    -------
    numpy.ndarray
        ``(T, H, W, 3)`` uint8 RGB frames at the file's own resolution.
    """
    path = Path(path)
    if not path.is_file():
        raise VideoDecodeError(path, "file not found")
    if os.path.getsize(path) == 0:
        raise VideoDecodeError(path, "the file is empty")
    chosen = resolve_backend(backend)
    fallback = None
    with _native_messages_logged(path):
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
            # decord 0.6 fails on some frame sizes (e.g. 16, 24, 48 px wide) that FFmpeg reads
            # fine: in "auto" mode, PyAV (same frames, see the tests) decides; its failure raises.
            clip = _read_pyav(path, n_frames)
            fallback = err
    if fallback is not None:  # warned once the decoders' stderr is back
        warnings.warn(f"decord failed, PyAV used instead: {fallback}", RuntimeWarning,
                      stacklevel=2)
    return np.ascontiguousarray(clip, dtype=np.uint8)


def write_video(path: Path | str, frames: np.ndarray, fps: int | Fraction = 8, crf: int = 18,
                qp: int | None = None) -> Path:
    """Encode ``(T, H, W, 3)`` uint8 RGB frames to an H.264 (libx264, yuv420p) mp4 with PyAV.

    socalign's one video writer (SocialWorld's benchmarks and action sets, the tests' clips,
    users' clips). The encoding is a fixed function of the frames: an explicit conversion to
    yuv420p, then libx264 on one thread without B-frames (libx264's lossy decisions were seen
    to differ, rarely, between runs with several threads). ``qp=0`` is lossless coding of the
    yuv420p frames, which SocialWorld uses so that its decoded frames are a fixed function of
    the rendered ones; otherwise ``crf`` sets the quality. Written through a temporary name and
    a rename, so a crash leaves no half file.

    Parameters
    ----------
    path : path-like
        The file to write (replaced if present).
    frames : numpy.ndarray
        ``(T, H, W, 3)`` uint8 RGB frames, T >= 1, H and W even.
    fps : int or fractions.Fraction, default 8
        Frame rate (a Fraction for a clip of a set duration: ``Fraction(T) / duration``).
    crf : int, default 18
        libx264's constant rate factor (lower: higher quality); unused when ``qp`` is given.
    qp : int or None, default None
        libx264's constant quantisation parameter instead of ``crf`` (0: lossless).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        When the frames are not ``(T, H, W, 3)`` uint8 with T >= 1 and even H and W.
    """
    import av  # the optional `video` extra

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    n, height, width, _ = frames.shape
    if n < 1 or height % 2 or width % 2:
        raise ValueError(f"need >= 1 frame and even height/width for yuv420p, got {frames.shape}")
    quality = {"crf": str(crf)} if qp is None else {"qp": str(qp)}
    path = Path(path)
    with atomic_path(path, keep_suffix=True) as tmp:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.thread_count = 1
            stream.options = {**quality, "preset": "veryfast", "bframes": "0", "threads": "1"}
            for image in frames:
                rgb = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
                container.mux(stream.encode(rgb.reformat(format="yuv420p")))
            container.mux(stream.encode(None))
    return path
