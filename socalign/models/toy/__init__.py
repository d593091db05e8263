"""The toy video backbones: tiny transformers pretrained on clips of SocialWorld's look, a plug-in
of the backbone registry.

They are the ``demo`` profile's "pretrained video model": the same transformers classes as the
paper's backbone, small enough to train on a CPU in minutes. Importing this package registers
the toys with :mod:`socalign.models.registry` (a :class:`~socalign.models.registry.BackboneResolver`:
their names, where their weights are, the fast clip preprocessing, whether the weights ship),
so ``toy``, ``toy-videomae`` and ``toy-clip`` load like any other backbone. The modules:

- :mod:`~socalign.models.toy.settings`: the recipes (:class:`ToySettings`) and :data:`TOYS`;
- :mod:`~socalign.models.toy.weights`: where the weights are (shipped or cached), never
  pretraining;
- :mod:`~socalign.models.toy.model`: the transformers config, the files, and the perception and
  action recipes (imports torch).

Pretraining is an explicit step: ``socalign pretrain``, or :mod:`socalign.models.pretrain`
(:func:`~socalign.models.pretrain.pretrain_backbone`,
:func:`~socalign.models.pretrain.ensure_toy_backbone`).
"""

from __future__ import annotations

from pathlib import Path

from socalign.models.registry import BackboneResolver, register_backbone
from socalign.models.toy.settings import (
    ACTION_SETTINGS,
    PERCEPTION_SETTINGS,
    TINY_SETTINGS,
    TOYS,
    VOCABULARY_FIELDS,
    ToySettings,
    is_toy,
    perception_stage,
    perception_targets,
)
from socalign.models.toy.weights import (
    SHIPPED_TOY,
    SHIPPED_TOY_SHA256,
    SHIPPED_WEIGHTS,
    TOY_CACHE_VERSION,
    TOY_MARKER,
    cached_toy,
    is_shipped,
    shipped_toy_backbone,
    toy_backbone,
    toy_cache_key,
)

__all__ = [
    "ACTION_SETTINGS",
    "PERCEPTION_SETTINGS",
    "RESOLVER",
    "SHIPPED_TOY",
    "SHIPPED_TOY_SHA256",
    "SHIPPED_WEIGHTS",
    "TINY_SETTINGS",
    "TOYS",
    "TOY_CACHE_VERSION",
    "TOY_MARKER",
    "VOCABULARY_FIELDS",
    "ToySettings",
    "cached_toy",
    "is_shipped",
    "is_toy",
    "perception_stage",
    "perception_targets",
    "shipped_toy_backbone",
    "toy_backbone",
    "toy_cache_key",
]


def _pretrain(name: str, device: str | None = None, progress: bool = False) -> Path:
    """The explicit step: the toy called ``name``, pretrained and cached (or shipped)."""
    from socalign.models.pretrain import ensure_toy_backbone

    return ensure_toy_backbone(settings=TOYS[name], device=device, progress=progress)


RESOLVER = register_backbone(BackboneResolver(
    names=tuple(TOYS), folder=toy_backbone, pretrain=_pretrain, shipped=is_shipped,
    preprocessing="fast", marker=TOY_MARKER,
))
"""The toys in the backbone registry: looked up by name (shipped or cached weights, never
pretrained by a lookup), fed clips by the fast torch path, recognised by their report file."""
