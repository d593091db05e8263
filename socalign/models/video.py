"""Video backbones through transformers: load by name or folder, preprocess clips, pool features.

The same three calls serve embedding and fine-tuning: :func:`load_backbone` (model + spec),
:func:`preprocess` (uint8 clips -> normalised ``(B, T, 3, S, S)``) and :func:`forward_features`
(a differentiable forward that returns one ``(B, D)`` vector per clip, optionally from a
chosen layer), which uses :func:`pool`. :func:`auto_device`, :func:`preprocess` (the fast
torch path), :func:`forward_features` and :func:`pool` are defined in
:mod:`socalign.models.frames` (below the toy backbones, whose pretraining uses them) and
re-exported here. :func:`clip_preprocessor` picks the checkpoint's own
transformers processor (``AutoVideoProcessor`` / ``AutoImageProcessor``) for hub backbones,
the fast path for the toy and for checkpoints that ship no processor settings.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from socalign.models.frames import auto_device, forward_features, pool, preprocess
from socalign.models.registry import (
    BackboneSpec,
    default_preprocessing,
    get_spec,
    registered_names,
    with_frames,
)

logger = logging.getLogger(__name__)

Preprocessing = Literal["auto", "hub", "fast"]
PROCESSOR_FILES = ("video_preprocessor_config.json", "preprocessor_config.json")
"""A checkpoint's processor settings, in the order they are looked for."""


def _is_local(source: str) -> bool:
    return Path(source).expanduser().is_dir()


def _hub_kwargs(spec: BackboneSpec) -> dict[str, Any]:
    """``from_pretrained`` arguments that pin a hub id to its resolved commit (none for a folder)."""
    if _is_local(spec.source):
        return {}
    from socalign.models.hub import hub_cache_dir, hub_offline, resolve_commit

    return {"revision": resolve_commit(spec.source, spec.revision),
            "cache_dir": str(hub_cache_dir()), "local_files_only": hub_offline()}


def load_backbone(
    name_or_path: str | Path,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    trust_remote_code: bool = False,
    revision: str | None = None,
    n_frames: int | None = None,
) -> tuple[torch.nn.Module, BackboneSpec]:
    """Load a video backbone (no task head) in eval mode, with its :class:`BackboneSpec`.

    A hub id is loaded at the commit its revision resolves to in the local snapshot cache
    (:func:`socalign.models.hub.resolve_commit`), from the cache only when offline. Remote
    code is off unless asked for.

    Parameters
    ----------
    name_or_path : str or path-like
        A Hugging Face name (optionally ``owner/name@REV``), a local checkpoint folder, or
        a registered name (``toy``: shipped or pretrained weights, never pretrained here).
    device : str or torch.device or None, default None
        Where to put it (None: cuda, then mps, then cpu).
    dtype : torch.dtype or None, default None
        The dtype to load the weights in (the checkpoint's default when None).
    trust_remote_code : bool, default False
        Let transformers run the checkpoint's own code.
    revision : str or None, default None
        A hub id's branch, tag or commit (default ``main``, or the name's ``@REV``).
    n_frames : int or None, default None
        Frames per clip the spec feeds (None: the backbone's own; see
        :func:`socalign.models.registry.with_frames`).

    Returns
    -------
    model : torch.nn.Module
        The backbone, in eval mode, on ``device``.
    spec : BackboneSpec
        Its spec (:func:`socalign.models.registry.get_spec`).

    Raises
    ------
    FileNotFoundError
        When the weights cannot be loaded (e.g. offline and not cached).
    ValueError
        When the name is unknown (:func:`socalign.models.registry.get_spec`).
    """
    import transformers

    spec = with_frames(get_spec(name_or_path, revision), n_frames)
    model_class = getattr(transformers, spec.model_class)
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if dtype is not None:
        kwargs["dtype"] = dtype
    source = spec.source
    try:
        kwargs.update(_hub_kwargs(spec))
        # transformers prints a load report for every checkpoint with a task head (the k400
        # TimeSformer's classifier, which a backbone leaves out); socalign reports instead
        with _transformers_load_report_off():
            model, info = model_class.from_pretrained(source, output_loading_info=True, **kwargs)
    except OSError as err:
        raise FileNotFoundError(
            f"cannot load {spec.model_class} from {source!r} ({err}); offline, pass a local "
            f"folder or a registered backbone ({', '.join(registered_names())})"
        ) from err
    _report_loading(source, info)
    model.eval()
    return model.to(auto_device(device)), spec


@contextmanager
def _transformers_load_report_off() -> Iterator[None]:
    """transformers' load report dropped for the duration (its other messages still pass).

    A filter, not a level: transformers runs extra checks when its logger's level is raised.
    """
    from transformers.utils import logging as hf_logging

    def not_a_report(record: logging.LogRecord) -> bool:
        return "LOAD REPORT" not in str(record.msg)

    loading = hf_logging.get_logger("transformers.modeling_utils")
    loading.addFilter(not_a_report)
    try:
        yield
    finally:
        loading.removeFilter(not_a_report)


def _report_loading(source: str | Path, info: dict[str, Any]) -> None:
    """Warn about backbone weights the checkpoint lacks; log the ones a backbone leaves out."""
    missing = sorted(info.get("missing_keys") or ())
    if missing:
        warnings.warn(f"{source}: {len(missing)} backbone weight(s) are not in the checkpoint "
                      f"and start at random (first: {missing[0]})", stacklevel=3)
    unused = sorted(info.get("unexpected_keys") or ())
    if unused:  # e.g. a classification checkpoint's head: expected for a backbone
        logger.info("%s: %d checkpoint weight(s) not used by the backbone (first: %s)", source,
                    len(unused), unused[0])


@dataclass(frozen=True)
class ClipPreprocessor:
    """uint8 clips -> a backbone's ``(B, T, 3, S, S)`` input, by one named method.

    Attributes
    ----------
    spec
        The backbone's spec.
    kind
        ``"fast"`` (:func:`preprocess`) or ``"hub"`` (the checkpoint's own processor).
    processor
        The transformers processor (``kind == "hub"``), else None.
    """

    spec: BackboneSpec
    kind: str
    processor: Any = None

    @property
    def name(self) -> str:
        """``fast``, or ``hub:<processor class>`` (what the embedding cache key records)."""
        return "fast" if self.processor is None else f"hub:{type(self.processor).__name__}"

    def __call__(self, clips_uint8: np.ndarray | Sequence[np.ndarray]) -> torch.Tensor:
        """Preprocess ``(B, T, H, W, 3)`` uint8 clips (or a list of ``(T, H, W, 3)``)."""
        if self.processor is None:
            return preprocess(clips_uint8, self.spec)
        return processor_inputs(self.processor, clips_uint8, self.spec)


def processor_inputs(
    processor: Any, clips_uint8: np.ndarray | Sequence[np.ndarray], spec: BackboneSpec
) -> torch.Tensor:
    """A transformers image or video processor's output for clips, as ``(B, T, 3, S, S)``.

    Frames are first resampled uniformly to ``spec.n_frames`` (as :func:`preprocess` does);
    frame-by-frame models (CLIP) pass every frame through the image processor.

    Parameters
    ----------
    processor : transformers image or video processor
        From ``AutoImageProcessor`` / ``AutoVideoProcessor``.
    clips_uint8 : numpy.ndarray or sequence of numpy.ndarray
        uint8 RGB clips ``(B, T, H, W, 3)``, or a list of ``(T, H, W, 3)``.
    spec : BackboneSpec
        The backbone's spec.

    Returns
    -------
    torch.Tensor
        float32 ``(B, spec.n_frames, 3, S, S)``.
    """
    from socalign.models.frames import _as_clip_list
    from socalign.video import sample_frame_indices

    clips = []
    for i, clip in enumerate(_as_clip_list(clips_uint8)):
        if clip.ndim != 4 or clip.shape[-1] != 3 or clip.dtype != np.uint8:
            raise ValueError(f"clip {i} must be (T, H, W, 3) uint8, got {clip.shape} {clip.dtype}")
        if clip.shape[0] != spec.n_frames:
            clip = clip[sample_frame_indices(clip.shape[0], spec.n_frames)]
        clips.append(np.ascontiguousarray(clip))
    if not clips:
        raise ValueError("no clips to preprocess")
    is_video = hasattr(processor, "sample_frames") or type(processor).__name__.endswith(
        "VideoProcessor")
    if spec.frame_by_frame:
        frames = [frame for clip in clips for frame in clip]
        out = processor(images=frames, return_tensors="pt")
    elif is_video:
        out = processor(videos=clips, return_tensors="pt")
    else:
        out = processor([list(clip) for clip in clips], return_tensors="pt")
    values = next((out[k] for k in ("pixel_values_videos", "pixel_values") if k in out), None)
    if values is None:
        raise ValueError(f"{type(processor).__name__} returned no pixel values ({sorted(out)})")
    values = torch.as_tensor(values, dtype=torch.float32)
    if spec.frame_by_frame:
        values = values.view(len(clips), spec.n_frames, *values.shape[1:])
    if values.ndim != 5 or values.shape[:2] != (len(clips), spec.n_frames):
        raise ValueError(f"{type(processor).__name__} gave shape {tuple(values.shape)}, not "
                         f"({len(clips)}, {spec.n_frames}, 3, S, S)")
    return values


def load_processor(spec: BackboneSpec) -> Any | None:
    """The checkpoint's own transformers processor, or None when it ships no settings.

    A local folder's ``video_preprocessor_config.json`` (``AutoVideoProcessor``) or
    ``preprocessor_config.json`` (``AutoImageProcessor``); for a hub id the same files of
    its snapshot at the spec's revision. Remote code is never run.

    Parameters
    ----------
    spec
        The backbone's spec.

    Returns
    -------
    object or None
        The processor; None for a checkpoint without processor settings, or when
        transformers cannot build one here (e.g. a video processor that needs torchvision).
    """
    from transformers import AutoImageProcessor, AutoVideoProcessor

    source = spec.source
    if _is_local(source):
        present = [f for f in PROCESSOR_FILES if (Path(source).expanduser() / f).is_file()]
        kwargs: dict[str, Any] = {}
    else:
        from socalign.models.hub import hub_file

        kwargs = _hub_kwargs(spec)
        present = [f for f in PROCESSOR_FILES
                   if hub_file(source, f, kwargs["revision"]) is not None]
    if not present:
        return None
    loaders = [AutoVideoProcessor, AutoImageProcessor]
    if present[0] == "preprocessor_config.json":
        loaders.reverse()
    for loader in loaders:
        try:
            return loader.from_pretrained(source, trust_remote_code=False, **kwargs)
        except (OSError, ValueError, KeyError, TypeError, ImportError, AttributeError) as err:
            logger.info("%s: %s could not load the processor (%s)", source, loader.__name__, err)
    return None


def clip_preprocessor(spec: BackboneSpec, preprocessing: Preprocessing = "auto") -> ClipPreprocessor:
    """How clips become ``spec``'s input: the checkpoint's processor or the fast torch path.

    Parameters
    ----------
    spec
        The backbone's spec.
    preprocessing
        ``"auto"``: the checkpoint's own processor (:func:`load_processor`) for hub ids and
        checkpoint folders that ship processor settings, the registry's default for a
        registered backbone or a folder it made (:func:`socalign.models.registry.default_preprocessing`:
        the toys' fast path) and the fast path for folders without such settings; ``"hub"``: the
        checkpoint's processor (an error when it has none); ``"fast"``: :func:`preprocess`.

    Returns
    -------
    ClipPreprocessor

    Raises
    ------
    ValueError
        An unknown ``preprocessing``, or ``"hub"`` for a checkpoint without a processor.
    """
    if preprocessing not in ("auto", "hub", "fast"):
        raise ValueError(f"preprocessing must be 'auto', 'hub' or 'fast', got {preprocessing!r}")
    if preprocessing == "fast":
        return ClipPreprocessor(spec, "fast")
    if preprocessing == "auto" and default_preprocessing(spec) == "fast":
        return ClipPreprocessor(spec, "fast")
    processor = load_processor(spec)
    if processor is None:
        if preprocessing == "hub":
            raise ValueError(f"{spec.source}: no processor settings ({' / '.join(PROCESSOR_FILES)}) "
                             "to preprocess with; use preprocessing='fast'")
        return ClipPreprocessor(spec, "fast")
    return ClipPreprocessor(spec, "hub", processor)


__all__ = ["ClipPreprocessor", "auto_device", "clip_preprocessor", "forward_features",
           "load_backbone", "load_processor", "pool", "preprocess", "processor_inputs"]


def random_backbone(name: str, n_layers: int | None = None, n_frames: int | None = None,
                    image_size: int | None = None, seed: int = 0
                    ) -> tuple[torch.nn.Module, BackboneSpec]:
    """A registered TimeSformer's architecture with random weights (nothing is downloaded).

    The config is built from the spec's values (width, layers, image size, the checkpoint's
    frames) and transformers' ``TimesformerConfig`` defaults for the rest, which are those of
    the Kinetics-400 base checkpoints (12 heads, patch 16, MLP 3072). Fed more frames than the
    checkpoint's (``n_frames``), transformers interpolates the time embeddings, as it does for
    the pretrained weights.

    Parameters
    ----------
    name : str
        A registered TimeSformer (``facebook/timesformer-base-finetuned-k400``).
    n_layers : int or None, default None
        Blocks to build (None: the checkpoint's): fewer for a cheaper check of the same wiring.
    n_frames : int or None, default None
        Frames per clip the returned spec feeds (None: the checkpoint's).
    image_size : int or None, default None
        Frame size (None: the checkpoint's; another size gets its own position embeddings:
        for measuring, not for loading weights).
    seed : int, default 0
        Seeds the random weights (torch's global generator is left as it was).

    Returns
    -------
    model : torch.nn.Module
        The backbone in eval mode, on the CPU.
    spec : BackboneSpec
        Its spec, fed ``n_frames``.

    Raises
    ------
    ValueError
        The name is not a registered TimeSformer.
    """
    from transformers import TimesformerConfig, TimesformerModel

    spec = get_spec(name)
    if spec.model_class != "TimesformerModel" or spec.hidden_size is None or spec.n_layers is None:
        raise ValueError(f"{name!r} is not a registered TimeSformer (with its width and depth)")
    if image_size is not None:
        from dataclasses import replace

        spec = replace(spec, image_size=int(image_size))
    config = TimesformerConfig(image_size=spec.image_size, num_frames=spec.n_frames,
                               hidden_size=spec.hidden_size,
                               num_hidden_layers=n_layers or spec.n_layers)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = TimesformerModel(config).eval()
    return model, with_frames(spec, n_frames)
