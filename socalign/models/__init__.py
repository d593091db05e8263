"""Encoders: the backbone registry, video and language encoders, the toy backbone, embeddings.

Submodules import torch/transformers lazily where they can, so ``socalign.models.registry``
stays light; import ``socalign.models.video``, ``language``, ``toy`` or ``embed`` directly.
Layers, lowest first (each imports only those before it): ``specs`` (families, specs) ->
``frames`` (device, preprocessing) -> ``toy`` (pretrained on SocialWorld) -> ``registry``
(names and folders, building the toy) -> ``video`` (loading, features) -> ``embed``.
"""

from socalign.models.registry import KNOWN, BackboneSpec, get_spec

__all__ = ["KNOWN", "BackboneSpec", "get_spec"]
