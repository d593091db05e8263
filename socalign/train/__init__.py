"""Behaviour-guided fine-tuning: losses, LoRA model, the paper and fast trainers, checkpoints.

Importing this package does not import torch; the submodules do.

- ``losses``: triplet margin / OOO softmax, RSA, and the hybrid weights (``LossConfig``)
- ``kinds``: the loss kinds, one table (``LOSSES``: hybrid, the ablations, the budget-matched
  and language-distilled controls; no torch)
- ``model``: LoRA through peft + projection head; ``AlignedVideoModel.save``/``.load``, the
  one save/load pair (peft's format)
- ``modelfiles``: a saved model's files checked before anything is loaded (``SavedModel``)
- ``data``: fit/validation split by video, the human (or caption-model) similarity targets
- ``loop``: the shared loop (validation, early stopping, checkpoints, resume, NaN stop)
- ``paper`` / ``fast``: what one epoch's steps are for each trainer
- ``trainers``: the table the trainers register in, which ``loop`` looks them up from
- ``config``: ``TrainConfig`` (checked before compute); the profiles are ``socalign.profiles``
- ``checkpoint``: atomic per-epoch checkpoints
- ``steps``: the loss terms on embedded videos shared by both trainers
- ``run``: configuration from a benchmark, orchestration and the before/after report
- ``runfiles``: the file names and JSON fields of a run folder and an exported folder
- ``identity``: a run's identity (dataset and backbone fingerprints, seed, id), the writer lock
- ``report``: ``FinetuneReport``, a finished run's ``report.json`` typed
- ``runs``: a run folder read back (``Run``: config, typed report, history, embeddings, models)
- ``export``: a run as a shareable model folder with its model card; ``load_aligned``
- ``sweep``: configurations x seeds, mean and sd over seeds (benchmarks, book)

The trainers differ only in what one epoch's steps are (``paper.run_epoch``,
``fast.run_epoch``); validation, stopping and checkpoints live once in ``loop``.
"""

__all__ = ["checkpoint", "config", "data", "export", "fast", "identity", "kinds", "loop", "losses",
           "model", "modelfiles", "paper", "report", "run", "runfiles", "runs", "steps", "sweep",
           "trainers"]
