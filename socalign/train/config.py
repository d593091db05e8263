"""Training configuration: one frozen dataclass, checked before any compute."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from socalign.train.losses import LossConfig
from socalign.train.precision import PRECISIONS

TRAINERS = ("paper", "fast")
BANK_REFRESH = ("batch", "epoch")
BATCH_ORDERS = ("random", "graph")
BATCH_CHOICES = ("fixed", "auto")
"""``TrainConfig.batch``: keep the configured batch (checked against the device's memory), or
lower it to the largest that fits (:mod:`socalign.train.memory`)."""
# options added after runs were cached: left out of to_dict() while at their defaults, so the
# dict (and the cache keys and resume checks built on it) of a run that does not use them is
# unchanged
LATER_OPTIONS = {"val_every_steps": None, "bank_refresh": "batch", "batch_order": "random",
                 "lr_warmup_steps": 0, "n_frames": None, "precision": "fp32",
                 "batch": "fixed"}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a fine-tuning run (besides the data and the backbone).

    paper trainer: ``triplets_per_step`` human triplets per step, and ``rsa_steps_per_epoch``
    RSA steps on a ``rsa_subset``-video sample of which ``rsa_grad_videos`` carry gradients.
    fast trainer: ``batch_videos`` unique videos per step, scored against an embedding bank.
    ``max_steps_per_epoch`` caps an epoch (None: every triplet / every video once).

    Options whose defaults keep the original behaviour (measured in ``benchmarks/finetune.py``):
    ``val_every_steps`` also validates before training and after every k optimizer steps (None:
    once an epoch), to time when a target is first reached; the best weights, patience and the
    plateau schedule still follow the epochs' validations, so the training is unchanged. ``bank_refresh`` (fast trainer): ``"batch"`` refreshes a video's bank row when it
    passes through a batch, ``"epoch"`` also re-embeds the whole bank (eval mode) at the start of
    every epoch. ``batch_order`` (fast trainer): ``"random"`` batches a seeded permutation,
    ``"graph"`` grows each batch along the triplet graph so that its triplets fall inside it.
    ``lr_warmup_steps``: the learning rate rises linearly over the first k optimizer steps.
    ``n_frames``: frames per clip fed to the backbone (None: the backbone's own, from its spec;
    the paper feeds the 8-frame Kinetics TimeSformer 16, whose time embeddings transformers
    interpolates). A run records it, and reloading the run feeds the same number.
    ``distill_model``: with ``loss.kind == "distilled"`` (the language-distilled control), the
    caption model whose geometry replaces people's judgments as the training and validation
    targets (a name :func:`socalign.models.embed.embed_benchmark` takes: ``"minilm"``,
    ``"tfidf"``, a sentence-transformers name or folder; see
    :func:`socalign.train.data.language_targets`). It decides nothing for the other kinds, so
    :meth:`to_dict` records it for a distilled run only.
    ``precision`` (:mod:`socalign.train.precision`): ``"fp32"``, ``"bf16"`` or ``"fp16"``
    (loss-scaled) autocast, or ``"auto"``, which a run resolves for its device before it starts
    (:func:`socalign.train.precision.resolve_precision`) and records resolved, so that a resume
    with another precision is refused as any other change is; fp32 (every run before the option
    existed) is left out of :meth:`to_dict`. ``batch`` (:mod:`socalign.train.memory`):
    ``"fixed"`` checks before training that the trainer's batch fits the device's free memory
    (refusing with what to change); ``"auto"`` lowers it, when it does not fit, to the largest
    batch that does (fast: ``batch_videos``; paper: ``triplets_per_step``, ``rsa_grad_videos``),
    which the run records (a resume keeps the recorded batch).
    """

    trainer: str = "fast"
    loss: LossConfig = field(default_factory=LossConfig)
    epochs: int = 20
    lr: float = 1e-4
    weight_decay: float = 0.01
    patience: int = 5
    plateau_patience: int = 2
    plateau_factor: float = 0.5
    grad_clip: float | None = 1.0
    seed: int = 0
    val_fraction: float = 0.2
    triplets_per_step: int = 4
    rsa_steps_per_epoch: int = 6
    rsa_subset: int = 24
    rsa_grad_videos: int = 6
    batch_videos: int = 16
    max_steps_per_epoch: int | None = None
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    head_dim: int = 128
    head_dropout: float = 0.3
    val_every_steps: int | None = None
    bank_refresh: str = "batch"
    batch_order: str = "random"
    lr_warmup_steps: int = 0
    n_frames: int | None = None
    distill_model: str = "minilm"
    precision: str = "fp32"
    batch: str = "fixed"

    def __post_init__(self) -> None:
        if self.trainer not in TRAINERS:
            raise ValueError(f"unknown trainer {self.trainer!r}; choose one of {list(TRAINERS)}")
        positive = ("epochs", "triplets_per_step", "rsa_subset", "rsa_grad_videos",
                    "batch_videos", "head_dim", "lora_r")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must lie in (0, 1), got {self.val_fraction}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be an integer from 0 to 2**63 - 1, got {self.seed!r}")
        if self.rsa_grad_videos > self.rsa_subset:
            raise ValueError("rsa_grad_videos cannot exceed rsa_subset")
        if self.rsa_steps_per_epoch < 0 or self.patience < 1:
            raise ValueError("rsa_steps_per_epoch must be >= 0 and patience >= 1")
        if self.max_steps_per_epoch is not None and self.max_steps_per_epoch < 1:
            raise ValueError("max_steps_per_epoch must be >= 1 or None")
        if self.batch_videos < 2:
            raise ValueError("batch_videos must be >= 2")
        if self.val_every_steps is not None and self.val_every_steps < 1:
            raise ValueError("val_every_steps must be >= 1 or None")
        if self.bank_refresh not in BANK_REFRESH:
            raise ValueError(f"bank_refresh must be one of {list(BANK_REFRESH)}, "
                             f"got {self.bank_refresh!r}")
        if self.batch_order not in BATCH_ORDERS:
            raise ValueError(f"batch_order must be one of {list(BATCH_ORDERS)}, "
                             f"got {self.batch_order!r}")
        if self.lr_warmup_steps < 0:
            raise ValueError("lr_warmup_steps must be >= 0")
        if self.n_frames is not None and (isinstance(self.n_frames, bool)
                                          or not isinstance(self.n_frames, int)
                                          or self.n_frames < 1):
            raise ValueError(f"n_frames must be an integer >= 1 or None, got {self.n_frames!r}")
        if self.batch not in BATCH_CHOICES:
            raise ValueError(f"batch must be one of {list(BATCH_CHOICES)}, got {self.batch!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {self.precision!r}")
        if not isinstance(self.distill_model, str) or not self.distill_model.strip():
            raise ValueError(f"distill_model must name a caption model, got {self.distill_model!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the loss nested as a dict; later options only when not at default).

        ``distill_model`` is left out unless the loss takes a caption model's targets (it
        decides nothing otherwise), so the dict of every other run is as before it existed.
        """
        out = asdict(self)
        for name, default in LATER_OPTIONS.items():
            if out[name] == default:
                del out[name]
        if self.loss.targets != "captions":
            del out["distill_model"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys and values of another type are errors.

        Parameters
        ----------
        data : dict
            Options by name (as :meth:`to_dict` writes them; the loss as a nested dict).

        Returns
        -------
        TrainConfig

        Raises
        ------
        ValueError
            Naming the option: unknown, of another type than its field's (``"epochs": "x"``,
            a bool for a number), or out of range.
        """
        if not isinstance(data, dict):
            raise ValueError(f"the training options must be a JSON object, got "
                             f"{type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training option(s) {unknown}")
        data = dict(data)
        if "loss" in data and not isinstance(data["loss"], LossConfig):
            loss = data["loss"]
            if not isinstance(loss, dict):
                raise ValueError(f"option 'loss' must be an object, got {loss!r}")
            loss_known = {f.name for f in fields(LossConfig)}
            extra = sorted(set(loss) - loss_known)
            if extra:
                raise ValueError(f"unknown loss option(s) {extra}")
            check_types(LossConfig, loss, "loss.")
            try:
                data["loss"] = LossConfig(**loss)
            except TypeError as err:
                raise ValueError(f"option 'loss': {err}") from None
        check_types(cls, data)
        try:
            return cls(**data)
        except TypeError as err:  # a comparison of a value of another type in the checks
            raise ValueError(f"training options: {err}") from None

    def with_changes(self, **changes: Any) -> TrainConfig:
        """A copy with some options changed (``loss_kind`` sets the loss kind)."""
        kind = changes.pop("loss_kind", None)
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"unknown training option(s) {unknown}")
        loss = replace(self.loss, kind=kind) if kind is not None else self.loss
        return replace(self, loss=loss, **changes)

    def fingerprint(self) -> str:
        """A stable JSON string of the options that change results (for resume checks)."""
        return json.dumps(self.to_dict(), sort_keys=True)


_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,),
                                       "bool": (bool,), "None": (type(None),)}


def check_types(cls: type, data: dict[str, Any], prefix: str = "") -> None:
    """Check that each value of ``data`` has its dataclass field's type (from the annotation).

    Parameters
    ----------
    cls : type
        A dataclass whose field annotations are built from ``int``, ``float``, ``str``,
        ``bool`` and ``None`` (other annotations are not checked here).
    data : dict
        Values by field name (unknown names are left alone).
    prefix : str, default ""
        Put before a field's name in the message (``"loss."``).

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming the option, its value and the type it needs. A bool is not a number, and an
        int is a float.
    """
    for f in fields(cls):
        if f.name not in data:
            continue
        names = [part.strip() for part in str(f.type).split("|")]
        if not all(name in _TYPES for name in names):
            continue
        allowed = tuple(t for name in names for t in _TYPES[name])
        value = data[f.name]
        ok = isinstance(value, allowed) and (bool in allowed or not isinstance(value, bool))
        if not ok:
            raise ValueError(f"option {prefix + f.name!r} must be {' or '.join(names)}, got "
                             f"{value!r}")
