"""Encoders: the backbone registry, video and language encoders, the toy backbone, embeddings.

Submodules import torch/transformers lazily where they can, so ``socalign.models.registry``
stays light; import ``socalign.models.video``, ``language``, ``toy`` or ``embed`` directly.
Layers, lowest first (each imports only those before it): ``specs`` (families, specs) ->
``frames`` (device, preprocessing) -> ``registry`` (names and folders; plug-ins register
names with it, and a lookup never pretrains) -> ``video`` (loading, features) -> ``embed``.
Beside them, the toy plug-in ``toy`` (its recipes, weights and model; it registers itself, the
registry imports it by name from its list of built-in plug-ins) and ``pretrain`` (the explicit
pretraining step).
"""

from socalign.models.registry import KNOWN, BackboneSpec, get_spec

__all__ = ["KNOWN", "BackboneSpec", "get_spec"]
