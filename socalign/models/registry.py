"""What each video backbone needs: preprocessing, pooling, layers and LoRA target modules.

A :class:`BackboneSpec` is looked up by Hugging Face name (known names are listed in
:data:`KNOWN`), by a name a plug-in registered (a :class:`BackboneResolver`: the toys of
:mod:`socalign.models.toy` register theirs), or read from a local folder's ``config.json`` (and
``preprocessor_config.json`` / ``video_preprocessor_config.json`` when present), so local
folders load the same way as names. No weights are read here, nothing is fetched for a known
name, and a lookup never pretrains: a registered name whose weights neither ship nor were
pretrained raises :class:`NotPretrainedError`, naming the explicit step. The families, the spec
type and :func:`make_spec` are defined in :mod:`socalign.models.specs` and re-exported here.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from socalign.models.hub import split_revision
from socalign.models.specs import (  # noqa: F401  (re-exported: the registry's public names)
    CLIP_MEAN,
    CLIP_STD,
    FAMILIES,
    IMAGENET_MEAN,
    IMAGENET_STD,
    KINETICS_MEAN,
    KINETICS_STD,
    MODEL_TYPES,
    SPEC_FILE,
    TIMESFORMER_LORA_TARGETS,
    BackboneSpec,
    Family,
    make_spec,
)

BUILTIN_BACKBONES = ("socalign.models.toy",)
"""The modules that register the built-in backbone plug-ins (imported on the first lookup)."""


class NotPretrainedError(FileNotFoundError):
    """A registered backbone whose weights neither ship nor were pretrained on this machine
    (the message names the explicit pretraining step)."""


@dataclass(frozen=True)
class BackboneResolver:
    """Backbones known by name whose weights a plug-in finds on disk (the toys, for one).

    Attributes
    ----------
    names : tuple of str
        The names it resolves (``--backbone``, ``--model``, a profile's ``video_model``).
    folder : callable
        ``folder(name) -> Path``: the checkpoint folder of the weights (shipped, or pretrained
        earlier). A lookup: it never pretrains, and raises :class:`NotPretrainedError` when the
        weights are not there.
    pretrain : callable
        ``pretrain(name, device=None, progress=False) -> Path``: the explicit step that makes
        the weights (or finds them shipped or cached) and returns their folder.
    shipped : callable
        ``shipped(name) -> bool``: whether the weights ship in the package (pretrained from
        shipped weights, no step needed).
    preprocessing : {"auto", "hub", "fast"}, default "auto"
        How its clips are preprocessed by default (:func:`default_preprocessing`).
    marker : str or None, default None
        A file every folder it makes holds: such a folder, passed as a path, gets its default
        preprocessing too.
    """

    names: tuple[str, ...]
    folder: Callable[[str], Path]
    pretrain: Callable[..., Path]
    shipped: Callable[[str], bool]
    preprocessing: str = "auto"
    marker: str | None = None


_RESOLVERS: list[BackboneResolver] = []
_LOADED: list[bool] = []  # set once the built-in plug-ins were imported


def register_backbone(resolver: BackboneResolver) -> BackboneResolver:
    """Register a plug-in's backbone names (called by the plug-in's module, when imported).

    Parameters
    ----------
    resolver : BackboneResolver
        The plug-in; its names must not clash with :data:`KNOWN` or another plug-in's.

    Returns
    -------
    BackboneResolver
        ``resolver``.

    Raises
    ------
    ValueError
        When one of its names is already taken.
    """
    taken = set(KNOWN).union(*(r.names for r in _RESOLVERS if r is not resolver))
    clash = sorted(taken.intersection(resolver.names))
    if clash:
        raise ValueError(f"backbone name(s) {clash} are already registered")
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)
    return resolver


def backbone_resolvers() -> tuple[BackboneResolver, ...]:
    """The registered plug-ins (the built-in ones imported on first use).

    Returns
    -------
    tuple of BackboneResolver
        In registration order.
    """
    if not _LOADED:
        for module in BUILTIN_BACKBONES:
            importlib.import_module(module)
        _LOADED.append(True)
    return tuple(_RESOLVERS)


def registered_names() -> list[str]:
    """Every name a plug-in registered (e.g. ``toy``, ``toy-clip``), sorted."""
    return sorted(name for r in backbone_resolvers() for name in r.names)


def resolver_for(name: str | Path) -> BackboneResolver | None:
    """The plug-in that registered ``name``, or None.

    Parameters
    ----------
    name : str or path-like
        A backbone name.

    Returns
    -------
    BackboneResolver or None
    """
    return next((r for r in backbone_resolvers() if str(name) in r.names), None)


def registered_folder(name: str | Path) -> Path | None:
    """The weights' folder of a registered name (a lookup: never pretrains), None for any other
    name or folder.

    Parameters
    ----------
    name : str or path-like
        A backbone name.

    Returns
    -------
    Path or None

    Raises
    ------
    NotPretrainedError
        A registered name whose weights neither ship nor were pretrained here.
    """
    resolver = resolver_for(name)
    return None if resolver is None else resolver.folder(str(name))


def default_preprocessing(spec: BackboneSpec) -> str:
    """How ``spec``'s clips are preprocessed by default: its plug-in's choice for a registered
    name or a folder holding the plug-in's marker file (the toys: ``fast``), else ``auto``.

    Parameters
    ----------
    spec : BackboneSpec
        The backbone's spec.

    Returns
    -------
    str
        ``"auto"``, ``"hub"`` or ``"fast"``.
    """
    source = Path(spec.source).expanduser()
    for resolver in backbone_resolvers():
        marked = resolver.marker is not None and (source / resolver.marker).is_file()
        if spec.name in resolver.names or marked:
            return resolver.preprocessing
    return "auto"


KNOWN: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        # the paper's backbone
        make_spec("facebook/timesformer-base-finetuned-k400", "timesformer", n_frames=8,
                  image_size=224, n_layers=12, hidden_size=768),
        make_spec("MCG-NJU/videomae-base", "videomae", n_frames=16, image_size=224,
                  n_layers=12, hidden_size=768),
        make_spec("MCG-NJU/videomae-base-finetuned-kinetics", "videomae", n_frames=16,
                  image_size=224, n_layers=12, hidden_size=768),
        make_spec("facebook/vjepa2-vitl-fpc64-256", "vjepa2", n_frames=64, image_size=256,
                  n_layers=24, hidden_size=1024),
        make_spec("openai/clip-vit-base-patch32", "clip", n_frames=8, image_size=224,
                  n_layers=12, hidden_size=768),
        make_spec("openai/clip-vit-base-patch16", "clip", n_frames=8, image_size=224,
                  n_layers=12, hidden_size=768),
    )
}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from err


def spec_from_config(name: str, config: dict[str, Any], processor: dict[str, Any] | None = None,
                     source: str | None = None) -> BackboneSpec:
    """A spec from a transformers ``config.json`` dict (and its preprocessor config, if any).

    Parameters
    ----------
    name : str
        The spec's name (the checkpoint's name or folder).
    config : dict of str to Any
        The parsed ``config.json``; its ``model_type`` must be a supported video backbone (a
        full CLIP checkpoint's ``vision_config`` is read).
    processor : dict of str to Any or None, default None
        The parsed (video) preprocessor config: its ``image_mean``, ``image_std``,
        ``crop_size`` and ``size.shortest_edge`` override the family's defaults.
    source : str or None, default None
        Where the weights are loaded from (``name`` when None).

    Returns
    -------
    BackboneSpec
        Frames, crop size, layers and hidden size from the config (8 frames and 224 pixels
        when it names none), the rest from the family (:func:`socalign.models.specs.make_spec`).

    Raises
    ------
    ValueError
        When ``model_type`` is not a supported video backbone.
    """
    model_type = str(config.get("model_type", ""))
    if model_type not in MODEL_TYPES:
        raise ValueError(
            f"{name}: model_type {model_type!r} is not a supported video backbone "
            f"(supported: {sorted(MODEL_TYPES)})"
        )
    family = MODEL_TYPES[model_type]
    if model_type == "clip":  # a full CLIP checkpoint: use its vision tower
        config = dict(config.get("vision_config") or {})
    image_size = config.get("crop_size") or config.get("image_size") or 224
    if isinstance(image_size, list | tuple):
        image_size = image_size[0]
    n_frames = config.get("num_frames") or config.get("frames_per_clip") or 8
    processor = processor or {}
    mean = processor.get("image_mean")
    std = processor.get("image_std")
    crop = processor.get("crop_size")
    if isinstance(crop, dict):
        crop = crop.get("height")
    size = processor.get("size")
    resize = size.get("shortest_edge") if isinstance(size, dict) else None
    return make_spec(
        name,
        family,
        source=source,
        n_frames=int(n_frames),
        image_size=int(crop or image_size),
        n_layers=config.get("num_hidden_layers"),
        hidden_size=config.get("hidden_size"),
        mean=tuple(mean) if mean else None,  # type: ignore[arg-type]
        std=tuple(std) if std else None,  # type: ignore[arg-type]
        resize_size=int(resize) if resize else None,
    )


def spec_from_dir(path: Path | str) -> BackboneSpec:
    """Read a local checkpoint folder's spec (its ``config.json`` and preprocessor config)."""
    path = Path(path)
    config_path = path / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{path}: no config.json (not a transformers checkpoint folder)")
    processor = None
    for candidate in ("video_preprocessor_config.json", "preprocessor_config.json"):
        if (path / candidate).is_file():
            processor = _read_json(path / candidate)
            break
    spec = spec_from_config(str(path), _read_json(config_path), processor, source=str(path))
    if (path / SPEC_FILE).is_file():
        extra = _read_json(path / SPEC_FILE)
        unknown = sorted(set(extra) - {"n_frames"})
        if unknown:
            raise ValueError(f"{path / SPEC_FILE}: unknown setting(s) {unknown} (known: n_frames)")
        spec = with_frames(spec, extra.get("n_frames"))
    return spec


def with_frames(spec: BackboneSpec, n_frames: int | None) -> BackboneSpec:
    """``spec`` fed ``n_frames`` frames per clip (None: unchanged).

    Parameters
    ----------
    spec : BackboneSpec
        The backbone's spec.
    n_frames : int or None
        Frames per clip (e.g. a run's ``TrainConfig.n_frames``).

    Returns
    -------
    BackboneSpec

    Raises
    ------
    ValueError
        ``n_frames`` is not an integer >= 1.
    """
    if n_frames is None:
        return spec
    if isinstance(n_frames, bool) or not isinstance(n_frames, int) or n_frames < 1:
        raise ValueError(f"{spec.name}: n_frames must be an integer >= 1, got {n_frames!r}")
    return replace(spec, n_frames=n_frames)


def is_video_model(name_or_path: str | Path) -> bool:
    """True for a known video name, a registered name (``toy``), a folder whose config is a
    supported backbone, or a hub id (``owner/name``, optionally ``@REV``) whose config in the
    local Hugging Face cache is one (nothing is fetched: :func:`get_spec` fetches an uncached
    hub id's config).

    Parameters
    ----------
    name_or_path : str or path-like
        A backbone name, folder or hub id.

    Returns
    -------
    bool
    """
    from socalign.models.hub import is_hub_id

    name, revision = split_revision(str(name_or_path))
    if name in KNOWN or resolver_for(name) is not None:
        return True
    path = Path(name).expanduser()
    if (path / "config.json").is_file():
        model_type = _read_json(path / "config.json").get("model_type")
        return model_type in MODEL_TYPES
    if is_hub_id(name):
        try:
            _hub_spec(name, revision, local_only=True)
        except ValueError:
            return False
        return True
    return False


def _hub_spec(name: str, revision: str | None, local_only: bool | None = None) -> BackboneSpec:
    """The spec of a hub id that is not in :data:`KNOWN`, from its (cached) snapshot's files."""
    from socalign.models.hub import hub_file, resolve_commit

    try:
        commit = resolve_commit(name, revision, local_only)
    except FileNotFoundError as err:
        raise ValueError(
            f"unknown video model {name!r}: not a known name ({sorted(KNOWN)}), not a local "
            f"folder, and its config could not be had ({err})"
        ) from err
    config_path = hub_file(name, "config.json", commit, required=True, local_only=local_only)
    assert config_path is not None
    processor = None
    for candidate in ("video_preprocessor_config.json", "preprocessor_config.json"):
        found = hub_file(name, candidate, commit, local_only=local_only)
        if found is not None:
            processor = _read_json(found)
            break
    return replace(spec_from_config(name, _read_json(config_path), processor, source=name),
                   revision=revision)


def get_spec(name_or_path: str | Path, revision: str | None = None) -> BackboneSpec:
    """The spec of a known name, a local checkpoint folder, or (from the HF cache/online) a name.

    A registered name (``toy``) resolves to its plug-in's weights (shipped, or pretrained by an
    explicit step: a lookup never pretrains). A hub id may be pinned as ``owner/name@REV`` or
    with ``revision`` (the spec records it; the weights are loaded at that revision). Nothing
    is fetched for a known name.

    Parameters
    ----------
    name_or_path : str or path-like
        A registered name (``toy``), a known name, a local checkpoint folder, or a hub id
        (optionally ``owner/name@REV``).
    revision : str or None, default None
        A branch, tag or commit pinning a hub id (refused when the name pins another one).

    Returns
    -------
    BackboneSpec
        The backbone's spec, with its revision where it has one.

    Raises
    ------
    ValueError
        An unknown name, or a revision given for a local folder or a registered name.
    NotPretrainedError
        A registered name whose weights neither ship nor were pretrained here.
    """
    from socalign.models.hub import split_revision, with_revision

    name, pinned = split_revision(str(name_or_path))
    if revision is not None:
        name, pinned = split_revision(with_revision(str(name_or_path), revision))
    folder = registered_folder(name)
    if folder is not None:
        return replace(spec_from_dir(folder), name=name)
    if name in KNOWN:
        return replace(KNOWN[name], revision=pinned)
    path = Path(name).expanduser()
    if path.is_dir():
        return spec_from_dir(path)
    if path.exists():
        raise ValueError(f"{path}: a checkpoint must be a folder with config.json")
    return _hub_spec(name, pinned)
