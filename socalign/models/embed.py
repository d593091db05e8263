"""Embed a benchmark's videos with a language model (from captions) or a video model (from
files), batched, on the best device, cached on disk by content.

The cache key covers the model's identity (the sha256 of the config and weight files for
local folders and the toy, the pinned hash for MiniLM, ``owner/name@<commit>`` for hub video
models: the commit of the local snapshot their revision resolves to), the settings (layer,
pooling, frames, how clips were preprocessed) and the inputs (captions, or each video file's
content, in row order), so a changed caption, file, checkpoint or hub commit is never served a
stale result.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from socalign.cache import cache_dir, content_key, discard_entry, read_verified, write_verified
from socalign.data.types import Benchmark

logger = logging.getLogger(__name__)

EMBED_CACHE_VERSION = "socalign-embed/2"  # 2: hub commits, processors, PIL-like resize
Kind = Literal["auto", "language", "video"]
WEIGHT_SUFFIXES = (".json", ".safetensors", ".bin", ".txt", ".model")


@dataclass(frozen=True)
class EmbeddingResult:
    """Embeddings of a benchmark's videos, in row order (``rows``; all rows unless skipped).

    skipped: ``(file, reason)`` of videos that could not be decoded (``on_error="skip"``);
    cached: whether the result came from the embedding cache; identity: what identifies the
    model's weights in the key (:func:`model_identity`: a hub model's resolved commit, a
    folder's content); preprocessing: how video clips were preprocessed (``fast`` or
    ``hub:<processor class>``; None for language models).
    """

    embeddings: np.ndarray
    ids: np.ndarray
    rows: np.ndarray
    model: str
    kind: str
    layer: int | None
    pooling: str
    n_frames: int | None
    key: str
    cached: bool
    seconds: float
    skipped: tuple[tuple[str, str], ...] = field(default=())
    identity: str = ""
    preprocessing: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (no arrays)."""
        return {
            "model": self.model,
            "kind": self.kind,
            "layer": self.layer,
            "pooling": self.pooling,
            "n_frames": self.n_frames,
            "n_videos": int(self.embeddings.shape[0]),
            "dim": int(self.embeddings.shape[1]),
            "cached": self.cached,
            "seconds": round(self.seconds, 3),
            "key": self.key,
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "model_identity": self.identity,
            "preprocessing": self.preprocessing,
        }

    def to_frame(self) -> pd.DataFrame:
        """The embeddings as a table indexed by video id."""
        return pd.DataFrame(self.embeddings, index=pd.Index(self.ids, name="video_id"))


class NoVideoFilesError(ValueError):
    """A video model was asked to embed videos that have no file here.

    Raised by :func:`check_video_files` before any model is loaded; the command line reports it
    in one line (exit status 2) pointing at ``--videos`` (``where``).
    """

    where = "--videos"


def check_video_files(benchmark: Benchmark, on_error: Literal["raise", "skip"] = "raise") -> None:
    """Refuse, before any model is loaded, to embed a benchmark's videos that have no file here.

    A video model embeds the benchmark's files; garcia2025 lists none until its videos are
    attached (``--videos DIR``, :func:`socalign.data.registry.attached_videos`, or the
    dataset's environment variable), and an attached folder may lack them. Every caller that
    embeds with a video model (:func:`embed`, so ``socalign embed``, ``gap``, ``probe`` and
    ``partition``) meets this check first.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark whose videos a video model is about to embed.
    on_error : {"raise", "skip"}, default "raise"
        ``"skip"`` lets some missing files through (they are skipped and listed); no file at
        all is refused either way.

    Returns
    -------
    None

    Raises
    ------
    NoVideoFilesError
        One line naming the dataset and ``--videos DIR`` (and the dataset's environment
        variable, when it has one): when no video has a file here, or, under ``"raise"``, when
        some have none.
    """
    from socalign.data.registry import dataset_of

    files = benchmark.videos.files
    missing = [k for k, f in enumerate(files) if f is None or not Path(f).is_file()]
    if not missing or (on_error == "skip" and len(missing) < len(files)):
        return
    env = dataset_of(benchmark).videos_env
    hint = "attach them with --videos DIR" + (f" (or set ${env})" if env else "")
    if all(f is None for f in files):
        raise NoVideoFilesError(f"{benchmark.name} has no videos here; {hint}")
    first = files[missing[0]]
    shown = first if first is not None else f"video id {benchmark.videos.ids[missing[0]]}"
    which = (f"none of the {len(files)} video files of {benchmark.name} is here"
             if len(missing) == len(files) else
             f"{len(missing)} of the {len(files)} video files of {benchmark.name} are not here")
    raise NoVideoFilesError(f"{which} (first missing: {shown}); {hint}")


def model_kind(model: str, kind: Kind = "auto") -> str:
    """``language`` or ``video`` for a model name (``kind`` overrides the guess).

    Parameters
    ----------
    model : str
        A model name, hub id or folder.
    kind : {"auto", "language", "video"}, default "auto"
        ``language`` or ``video`` is returned as is; ``auto`` guesses from the name (a
        language model, a known video model, or a hub name that says timesformer, videomae,
        vjepa or clip).

    Returns
    -------
    str
        ``"language"`` or ``"video"``.

    Raises
    ------
    ValueError
        When ``kind`` is not one of the three, or ``auto`` cannot tell.
    """
    from socalign.models.language import is_language_model
    from socalign.models.registry import is_video_model

    if kind in ("language", "video"):
        return kind
    if kind != "auto":
        raise ValueError(f"kind must be 'auto', 'language' or 'video', got {kind!r}")
    if is_language_model(model):
        return "language"
    if is_video_model(model):
        return "video"
    # an unknown hub name: a video model when its name says so, else ask
    lowered = model.lower()
    if any(word in lowered for word in ("timesformer", "videomae", "vjepa", "clip")):
        return "video"
    raise ValueError(
        f"cannot tell whether {model!r} is a language or a video model; use minilm, tfidf, a "
        "sentence-transformers/... name, toy, a known video name, a local folder, or pass "
        "kind='language'/'video' (--kind)"
    )


def folder_files(path: Path | str) -> dict[str, str]:
    """sha256 of each config and weight file of a checkpoint folder, by relative path.

    Parameters
    ----------
    path
        A checkpoint folder.

    Returns
    -------
    dict
        ``{"config.json": "<sha256>", "model.safetensors": ..., ...}`` (files ending in
        ``.json``, ``.safetensors``, ``.bin``, ``.txt`` or ``.model``), sorted by path.
    """
    from socalign.cache import sha256_file

    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    return {p.relative_to(path).as_posix(): sha256_file(p) for p in files}


def _folder_identity(path: Path) -> str:
    return content_key(folder_files(path))


def model_identity(model: str, kind: str, revision: str | None = None) -> str:
    """What identifies a model's weights for the cache (content where it is on disk).

    Parameters
    ----------
    model
        A model name, hub id (optionally ``owner/name@REV``) or folder.
    kind
        ``"language"`` or ``"video"``.
    revision
        A hub video model's revision (default: the name's ``@REV``, else ``main``).

    Returns
    -------
    str
        For a hub video model ``video-hub:owner/name@<commit>``, the commit of the local
        snapshot the revision resolves to (:func:`socalign.models.hub.resolve_commit`, which
        asks the hub when online); for folders and registered backbones (the toy) the content
        of their config and weight files.

    Raises
    ------
    FileNotFoundError
        A hub video model that is not cached and cannot be fetched.
    """
    if model == "minilm":
        from socalign.models.language import MINILM_SHA256

        return f"minilm:{MINILM_SHA256}"
    if model == "tfidf":
        import sklearn

        return f"tfidf:sklearn-{sklearn.__version__}"
    from socalign.models.registry import registered_folder

    folder = registered_folder(model)
    if folder is not None:  # a registered backbone (the toy): its weights' content
        return f"{model}:{_folder_identity(folder)}"
    path = Path(model).expanduser()
    if path.is_dir():
        return f"{kind}-folder:{_folder_identity(path)}"
    if kind == "video":
        from socalign.models.hub import is_hub_id, resolve_commit, split_revision, with_revision

        name, pinned = split_revision(with_revision(model, revision) if revision else model)
        if is_hub_id(name):
            return f"video-hub:{name}@{resolve_commit(name, pinned)}"
    return f"{kind}-name:{model}"


def _cache_path(key: str) -> Path:
    return cache_dir("embeddings") / f"{key}.npz"


def _read_cached(target: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """A verified embedding-cache entry (embeddings, rows); None when absent or corrupt."""
    stored = read_verified(target)
    if stored is None:
        return None
    try:
        with np.load(io.BytesIO(stored), allow_pickle=False) as data:
            embeddings, rows = data["embeddings"], data["rows"]
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:
        discard_entry(target, f"not a readable embedding archive: {err}")
        return None
    return embeddings, rows


def _embed_language(benchmark: Benchmark, model: str, pooling: str, batch_size: int,
                    device: str | None, progress: bool) -> np.ndarray:
    from socalign.models.language import encode_captions
    from socalign.progress import bars_enabled  # sentence-transformers' bar obeys it too

    return encode_captions(benchmark.videos.captions, model, pooling, batch_size, device,  # type: ignore[arg-type]
                           bars_enabled(progress))


def _embed_video(
    benchmark: Benchmark, model: str, spec: Any, layer: int | None, batch_size: int,
    device: str | None, backend: str, on_error: str, progress: bool, dtype: Any,
    cache: bool = True, preprocess: Any = None, autocast_dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray, tuple[tuple[str, str], ...]]:
    import torch
    from tqdm import tqdm

    from socalign.models.video import clip_preprocessor, forward_features, load_backbone
    from socalign.progress import bars_enabled
    from socalign.video import VideoDecodeError, cached_clip

    preprocess = preprocess or clip_preprocessor(spec, "fast")
    net, _ = load_backbone(spec.source, device=device, dtype=dtype, revision=spec.revision)
    files = benchmark.videos.files
    rows: list[int] = []
    chunks: list[np.ndarray] = []
    skipped: list[tuple[str, str]] = []
    batch: list[np.ndarray] = []
    batch_rows: list[int] = []

    where = next(net.parameters()).device.type
    mixed = (torch.autocast(where, dtype=autocast_dtype) if autocast_dtype is not None
             else contextlib.nullcontext())

    def flush() -> None:
        with torch.inference_mode(), mixed:
            feats = forward_features(net, spec, preprocess(batch), layer)
        chunks.append(feats.float().cpu().numpy())
        rows.extend(batch_rows)
        batch.clear()
        batch_rows.clear()

    for row, file in enumerate(tqdm(files, desc=f"embed {model}", unit="video",
                                    disable=not bars_enabled(progress))):
        try:
            if file is None:
                raise VideoDecodeError(f"<video id {benchmark.videos.ids[row]}>", "no file listed")
            clip, _ = cached_clip(file, spec.n_frames, backend, cache)  # type: ignore[arg-type]
        except VideoDecodeError as err:
            if on_error == "raise":
                raise
            skipped.append((str(err.path), err.reason))
            continue
        batch.append(clip)
        batch_rows.append(row)
        if len(batch) == batch_size:
            flush()
    if batch:
        flush()
    if not chunks:
        raise ValueError(f"no video of {benchmark.name} could be decoded ({len(skipped)} skipped)")
    return np.concatenate(chunks).astype(np.float32), np.asarray(rows, dtype=np.int64), tuple(skipped)


def embed(
    benchmark: Benchmark,
    model: str,
    layer: int | None = None,
    pooling: str | None = None,
    batch_size: int = 8,
    device: str | None = None,
    kind: Kind = "auto",
    n_frames: int | None = None,
    backend: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
    cache: bool = True,
    progress: bool = False,
    dtype: Any = None,
    revision: str | None = None,
    preprocessing: Literal["auto", "hub", "fast"] = "auto",
    autocast_dtype: Any = None,
) -> EmbeddingResult:
    """Embed every video of ``benchmark`` with ``model``; see :func:`embed_benchmark`.

    Language models embed captions; video models embed the files. Results are cached by
    content (the model's identity, the settings and the inputs); partial results (videos
    skipped) are not cached.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark whose videos are embedded (captions for a language model, files for a
        video model).
    model : str
        ``minilm``, ``tfidf``, a sentence-transformers name, ``toy``, a video model name or
        hub id (optionally ``owner/name@REV``), or a local folder.
    layer : int or None, default None
        Video models: a hidden-state index, None for the output (refused for a language
        model).
    pooling : str or None, default None
        Language models: ``"mean"`` over a video's captions (default) or ``"first"``; video
        models: ``"cls"`` or ``"mean"`` (the architecture's own when None).
    batch_size : int, default 8
        Captions or clips per forward pass (at least 1).
    device : str or None, default None
        Where the model runs (the loader's default when None).
    kind : {"auto", "language", "video"}, default "auto"
        Overrides the guess of :func:`model_kind`.
    n_frames : int or None, default None
        Video models: frames per clip (the model's own when None).
    backend : str, default "auto"
        Video decoder: ``auto`` (decord when installed, else PyAV), ``pyav`` or ``decord``.
    on_error : {"raise", "skip"}, default "raise"
        With ``"skip"``, undecodable videos are left out and listed in ``skipped``.
    cache : bool, default True
        False bypasses both the embedding cache and the decoded-clip cache (neither is read
        nor written).
    progress : bool, default False
        Show a progress bar on stderr.
    dtype : torch.dtype or None, default None
        Video models: the dtype the backbone is loaded in (part of the cache key).
    revision : str or None, default None
        Pins a hub video model to a branch, tag or commit (as ``owner/name@REV`` does); the
        cache key holds the commit it resolves to (refused for a language model).
    preprocessing : {"auto", "hub", "fast"}, default "auto"
        Video models: ``"auto"`` uses a hub checkpoint's own transformers processor and the
        fast torch path for the toy and for folders without processor settings; ``"hub"`` /
        ``"fast"`` force one (see :func:`socalign.models.video.clip_preprocessor`).
    autocast_dtype : torch.dtype or None, default None
        Video models: run the forward passes under autocast in this dtype (``torch.bfloat16``
        or ``torch.float16``; ``socalign embed --precision`` resolves it with
        :func:`socalign.train.precision.resolve_precision`); None: the weights' own dtype. Part
        of the cache key when set.

    Returns
    -------
    EmbeddingResult
        The (n, D) float32 embeddings with their rows and video ids, the settings, the cache
        key, whether it was a cache hit, the time taken and any skipped videos.

    Raises
    ------
    ValueError
        When an option is invalid or does not apply to the model's kind, no video can be
        decoded, or an embedding is not finite.
    NoVideoFilesError
        A video model on videos without files here (:func:`check_video_files`), before the
        model is loaded.
    """
    started = time.perf_counter()
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    which = model_kind(model, kind)
    if which == "video":  # before any model is loaded: a clear error for videos without files
        check_video_files(benchmark, on_error)
    spec = None
    prep = None
    if which == "language":
        if revision is not None:
            raise ValueError("--revision applies to hub video models only")
        if layer is not None:
            raise ValueError("--layer applies to video models only")
        pooling = pooling or "mean"
        if pooling not in ("mean", "first"):
            raise ValueError(f"caption pooling must be 'mean' or 'first', got {pooling!r}")
        inputs: list[Any] = [list(map(list, benchmark.videos.captions))]
    else:
        from socalign.models.registry import get_spec
        from socalign.models.video import clip_preprocessor
        from socalign.video import resolve_backend

        spec = get_spec(model, revision)
        if pooling is not None:
            if pooling not in ("cls", "mean"):
                raise ValueError(f"video pooling must be 'cls' or 'mean', got {pooling!r}")
            spec = replace(spec, pooling=pooling)
        if n_frames is not None:
            spec = replace(spec, n_frames=int(n_frames))
        layer = spec.check_layer(layer)
        pooling = spec.pooling
        prep = clip_preprocessor(spec, preprocessing)
        inputs = [resolve_backend(backend), str(dtype), prep.name]
        if autocast_dtype is not None:  # (absent at None: the keys of earlier results hold)
            inputs.append(f"autocast:{autocast_dtype}")
        inputs += [Path(f) if f is not None and Path(f).is_file() else f"missing:{f}"
                   for f in benchmark.videos.files]
    identity = model_identity(model, which, revision)
    prep_name = None if prep is None else prep.name
    key = content_key(
        EMBED_CACHE_VERSION, which, identity, layer, pooling,
        None if spec is None else spec.n_frames, benchmark.videos.ids, *inputs,
    )
    target = _cache_path(key) if cache else None  # no cache: not even its folder is made
    stored = _read_cached(target) if target is not None else None
    if not cache:
        logger.info("embedding cache bypassed (no cache): %s", model)
    elif stored is None:
        logger.info("embedding cache miss: %s (%s, key %s); computing", model, which, key[:12])
    if stored is not None:
        embeddings, rows = stored
        logger.info("embedding cache hit: %s (%s, key %s) from %s", model, which, key[:12], target)
        return EmbeddingResult(
            embeddings, benchmark.videos.ids[rows], rows, model, which, layer, pooling,
            None if spec is None else spec.n_frames, key, True, time.perf_counter() - started,
            identity=identity, preprocessing=prep_name,
        )
    skipped: tuple[tuple[str, str], ...] = ()
    if which == "language":
        embeddings = _embed_language(benchmark, model, pooling, batch_size, device, progress)
        rows = np.arange(len(benchmark.videos), dtype=np.int64)
    else:
        embeddings, rows, skipped = _embed_video(
            benchmark, model, spec, layer, batch_size, device, backend, on_error, progress, dtype,
            cache, prep, autocast_dtype,
        )
    if not np.isfinite(embeddings).all():
        bad = int(np.flatnonzero(~np.isfinite(embeddings).all(axis=1))[0])
        raise ValueError(f"{model}: non-finite embedding for video id {benchmark.videos.ids[rows[bad]]}")
    if target is not None and not skipped:
        buffer = io.BytesIO()
        np.savez(buffer, embeddings=embeddings, rows=rows)
        write_verified(target, buffer.getvalue())
        logger.info("embedding cache written: %s", target)
    elif cache:
        logger.info("embedding cache not written: %d videos were skipped", len(skipped))
    return EmbeddingResult(
        embeddings, benchmark.videos.ids[rows], rows, model, which, layer, pooling,
        None if spec is None else spec.n_frames, key, False, time.perf_counter() - started, skipped,
        identity, prep_name,
    )


def embed_benchmark(
    benchmark: Benchmark, model: str, layer: int | None = None, **kwargs: Any
) -> np.ndarray:
    """``(N, D)`` float32 embeddings of all N videos in the benchmark's row order (cached).

    Raises on a video that cannot be decoded (use :func:`embed` with ``on_error="skip"`` to
    skip and report instead).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    model : str
        The model, as :func:`embed` takes it.
    layer : int or None, default None
        Video models: a hidden-state index, None for the output.
    **kwargs
        The other keyword arguments of :func:`embed` (``on_error`` must stay ``"raise"``).

    Returns
    -------
    numpy.ndarray
        (N, D) float32.

    Raises
    ------
    ValueError
        When ``on_error`` is not ``"raise"``, or as :func:`embed` raises.
    """
    if kwargs.get("on_error", "raise") != "raise":
        raise ValueError("embed_benchmark returns every row; use embed(..., on_error='skip')")
    return embed(benchmark, model, layer=layer, **kwargs).embeddings
