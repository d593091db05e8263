"""Video files: decoding (:mod:`~socalign.video.decode`) and the decoded-clip cache
(:mod:`~socalign.video.clips`). Encoders that turn clips into embeddings live in
:mod:`socalign.models.video`.
"""

from socalign.video.clips import DecodedClips, cached_clip, clip_cache_key, decode_clips, load_clips
from socalign.video.decode import (
    BACKENDS,
    CLIP_CACHE_VERSION,
    Backend,
    VideoDecodeError,
    decord_available,
    read_clip,
    resolve_backend,
    sample_frame_indices,
    write_video,
)

__all__ = [
    "BACKENDS",
    "CLIP_CACHE_VERSION",
    "Backend",
    "DecodedClips",
    "VideoDecodeError",
    "cached_clip",
    "clip_cache_key",
    "decode_clips",
    "decord_available",
    "load_clips",
    "read_clip",
    "resolve_backend",
    "sample_frame_indices",
    "write_video",
]
