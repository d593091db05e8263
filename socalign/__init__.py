"""socalign: aligning video models with human social judgments.

A companion library to Garcia & Isik (2025), "Aligning Video Models with Human Social
Judgments via Behavior-Guided Fine-Tuning" (arXiv 2510.01502). The folders follow the
paper's pipeline: ``data`` (benchmarks and judgments) -> ``metrics`` (similarity, OOO
accuracy, R², ceilings) -> ``models`` (encoders) -> ``train`` (losses, LoRA, trainers) ->
``analyses`` (variance partitioning, probes, rollout) -> the book.
"""

__version__ = "0.1.0"
