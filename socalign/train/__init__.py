"""Behaviour-guided fine-tuning: losses, LoRA model, the paper and fast trainers, checkpoints.

Importing this package does not import torch; the submodules do.

- ``losses``: triplet margin / OOO softmax, RSA, and the hybrid weights (``LossConfig``)
- ``model``: LoRA through peft + projection head; save/load in peft's format
- ``data``: fit/validation split by video, the human similarity targets
- ``loop``: the shared loop (validation, early stopping, checkpoints, resume, NaN stop)
- ``paper`` / ``fast``: what one epoch's steps are for each trainer
- ``run``: configuration from a benchmark, orchestration and the before/after report
"""

__all__ = ["config", "data", "fast", "loop", "losses", "model", "paper", "run", "steps"]
