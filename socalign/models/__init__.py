"""Encoders: the backbone registry, video and language encoders, the toy backbone, embeddings.

Submodules import torch/transformers lazily where they can, so ``socalign.models.registry``
stays light; import ``socalign.models.video``, ``language``, ``toy`` or ``embed`` directly.
"""

from socalign.models.registry import KNOWN, BackboneSpec, get_spec

__all__ = ["KNOWN", "BackboneSpec", "get_spec"]
