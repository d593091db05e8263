"""Where a toy backbone's weights are: shipped in the package, or pretrained here and cached.

A lookup (:func:`toy_backbone`, what the backbone registry calls for a toy's name) never
pretrains: the weights ship (:data:`SHIPPED_WEIGHTS`) or an explicit pretraining step put them in
the cache (``socalign pretrain``, :func:`socalign.models.pretrain.ensure_toy_backbone`), else it
raises :class:`socalign.models.registry.NotPretrainedError`, naming that step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from socalign import __version__
from socalign.cache import cache_dir, check_manifest, content_key, sha256_file
from socalign.data.socialworld.actions import ActionStyle
from socalign.data.socialworld.render import AGENT_RADIUS
from socalign.models.registry import NotPretrainedError
from socalign.models.toy.settings import TOYS, ToySettings, perception_targets

TOY_CACHE_VERSION = "socalign-toy/3"
SHIPPED_WEIGHTS = Path(__file__).parent.parent / "weights"  # models/weights: one folder per shipped recipe, seed 0
SHIPPED_TOY = SHIPPED_WEIGHTS / "toy"  # the perception recipe's seed-0 weights
SHIPPED_TOY_SHA256 = "model.safetensors.sha256"
TOY_MARKER = "pretrain_report.json"  # a toy backbone folder socalign wrote holds it (its report)
CACHE_MARKER = "config.json"  # a finished cached toy holds it (socalign.cache.build_once)


def toy_cache_key(actions_dir: Path | None, settings: ToySettings, seed: int) -> str:
    """Cache key: settings, seed, socalign version and the pretraining data (the action set's
    content when given, else the generator and style of the synthesized clips).

    Parameters
    ----------
    actions_dir : Path or None
        The action set pretrained on (its files' content enters the key), or None for
        synthesized data.
    settings : ToySettings
        The toy's settings (for synthesized data, ``task`` picks the perception or action
        clips).
    seed : int
        The pretraining seed.

    Returns
    -------
    str
        24 hex digits.
    """
    items: list[Any] = [TOY_CACHE_VERSION, __version__, settings.to_dict(), seed]
    if actions_dir is not None:
        items += [Path(p) for p in sorted(Path(actions_dir).rglob("*")) if p.is_file()]
    elif settings.task == "perception":
        items += ["perception-clips", perception_targets(settings).to_dict(), list(AGENT_RADIUS)]
    elif settings.task == "vocabulary":
        from socalign.data.socialworld import vocabulary

        items += ["vocabulary-clips", list(vocabulary.VOCABULARY), vocabulary.CLIP_STREAM]
    else:
        items += ["synthesized-actions", ActionStyle().to_dict()]
    return content_key(*items)[:24]


def shipped_toy_backbone(settings: ToySettings | None = None, seed: int = 0) -> Path | None:
    """The toy backbone that ships inside the package, when one was trained with ``settings``
    and ``seed`` (else None: it must be pretrained).

    Each folder of :data:`SHIPPED_WEIGHTS` holds one recipe's seed-0 weights (``socalign
    pretrain``), its ``pretrain_report.json`` (the settings and seed) and the sha256 of its
    weights (:data:`SHIPPED_TOY_SHA256`, as ``sha256sum`` writes it); a mismatch (a damaged
    install) raises rather than loading other weights.

    Parameters
    ----------
    settings : ToySettings or None, default None
        The settings the shipped weights must have been trained with (None: the default
        recipe, ``ToySettings()``).
    seed : int, default 0
        The seed they must have been trained with.

    Returns
    -------
    Path or None
        The shipped folder, or None when none was trained so.

    Raises
    ------
    OSError
        When the matching weights do not match their recorded sha256.
    """
    wanted = (settings or ToySettings()).to_dict()
    folders = sorted(p for p in SHIPPED_WEIGHTS.iterdir() if p.is_dir()) if SHIPPED_WEIGHTS.is_dir() else []
    if SHIPPED_TOY not in folders:  # tests may point SHIPPED_TOY elsewhere
        folders.insert(0, SHIPPED_TOY)
    for folder in folders:
        report_path = folder / TOY_MARKER
        if not report_path.exists():
            continue
        report = json.loads(report_path.read_text())
        if report.get("settings") != wanted or report.get("seed") != seed:
            continue
        weights = folder / "model.safetensors"
        expected = (folder / SHIPPED_TOY_SHA256).read_text().split()[0]
        if sha256_file(weights) != expected:
            raise OSError(f"{weights}: checksum mismatch with {folder / SHIPPED_TOY_SHA256}; reinstall socalign")
        return folder
    return None


def cached_toy(settings: ToySettings, seed: int = 0, actions_dir: Path | None = None) -> Path:
    """The cache folder of the toy pretrained with ``settings`` and ``seed`` (it may not exist).

    Parameters
    ----------
    settings : ToySettings
        The recipe.
    seed : int, default 0
        The pretraining seed.
    actions_dir : Path or None, default None
        The action set it was pretrained on (None: data the recipe makes itself).

    Returns
    -------
    Path
        ``<cache>/toy/<key>`` (:func:`toy_cache_key`).
    """
    return cache_dir("toy") / toy_cache_key(actions_dir, settings, seed)


def pretrain_hint(name: str) -> str:
    """How to pretrain the toy called ``name`` explicitly (for error messages).

    Parameters
    ----------
    name : str
        A key of :data:`socalign.models.toy.settings.TOYS`.

    Returns
    -------
    str
        The command and the library call.
    """
    family = TOYS[name].family
    flag = "" if family == "timesformer" else f" --family {family}"
    return (f"pretrain it first: `socalign pretrain{flag} --out DIR` (then pass DIR), or "
            f"socalign.models.pretrain.pretrain_backbone({name!r}), which caches it under its name")


def is_shipped(name: str) -> bool:
    """True when the seed-0 weights of the toy called ``name`` ship in the package.

    Parameters
    ----------
    name : str
        A key of :data:`socalign.models.toy.settings.TOYS`.

    Returns
    -------
    bool

    Raises
    ------
    OSError
        When the shipped weights do not match their recorded sha256.
    """
    return name in TOYS and shipped_toy_backbone(TOYS[name]) is not None


def toy_backbone(name: str) -> Path:
    """The folder of the toy backbone called ``name``: its shipped weights, or the ones an
    explicit pretraining step cached. Never pretrains.

    Parameters
    ----------
    name : str
        A key of :data:`socalign.models.toy.settings.TOYS`.

    Returns
    -------
    Path
        A folder loadable by ``socalign.models.video.load_backbone``.

    Raises
    ------
    ValueError
        When ``name`` is not a toy's.
    NotPretrainedError
        When the weights neither ship nor were pretrained here (or the cached ones are
        damaged); the message says how to pretrain them.
    OSError
        When the shipped weights do not match their recorded sha256.
    """
    if name not in TOYS:
        raise ValueError(f"unknown toy backbone {name!r}; choose from {sorted(TOYS)}")
    settings = TOYS[name]
    found = shipped_toy_backbone(settings)
    if found is not None:
        return found
    target = cached_toy(settings)
    if not (target / CACHE_MARKER).exists():
        raise NotPretrainedError(
            f"toy backbone {name!r}: its weights do not ship with socalign and it was not "
            f"pretrained on this machine; {pretrain_hint(name)}")
    problem = check_manifest(target)
    if problem is not None:
        raise NotPretrainedError(
            f"toy backbone {name!r}: its cached weights are damaged ({problem}); "
            f"{pretrain_hint(name)}")
    return target
