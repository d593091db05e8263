"""A ``socalign finetune`` run folder, read through one type: :class:`Run`.

This module owns the folder's file names (the constants below); :func:`socalign.train.run.finetune`
writes them and every reader (the CLI, the analyses, the book's chapters) opens the folder with
:meth:`Run.open` instead of joining file names itself::

    run = Run.open("runs/hybrid")
    run.config                     # the TrainConfig it was trained with
    run.report.gain_of("r2")       # the R² gain's paired interval (an Interval)
    run.history()                  # metrics.csv, one row per epoch
    run.embeddings("after", benchmark.videos)
    model, spec = run.load_model()
    run.merged_backbone(folder)    # the backbone with its adapters merged, as a checkpoint folder

A folder is a run when its ``config.json`` is a run's marker (see :func:`read_run_marker`).
Importing this module does not import torch; the model methods do.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from socalign.train.config import TrainConfig

if TYPE_CHECKING:
    from socalign.evaluate import Comparison, Evaluation
    from socalign.metrics import Interval
    from socalign.models.embeddings import HasIds

CONFIG_FILE = "config.json"
"""The run's marker: dataset, backbone, training settings, LoRA targets, fit/validation videos."""
RUN_MARKER = CONFIG_FILE
REPORT_FILE = "report.json"
"""Held-out alignment before and after, the gain and the training summary (a finished run)."""
HISTORY_FILE = "metrics.csv"
"""One row per epoch (``metrics.json`` holds the same as strict JSON)."""
HISTORY_JSON_FILE = "metrics.json"
MODEL_DIR = "model"
"""The peft adapters and the projection head (``socalign.train.model.save_model``)."""
ADAPTER_FILE = "adapter_model.safetensors"
"""The adapter weights inside :data:`MODEL_DIR`."""
CHECKPOINTS_DIR = "checkpoints"
BEST_FILE = "best.safetensors"
EMBEDDINGS_FILES = {"before": "embeddings_before.npz", "after": "embeddings_after.npz"}
"""Every video's embeddings with the pretrained (``before``) and fine-tuned (``after``) model."""

Which = Literal["before", "after"]


def read_run_marker(out: Path | str) -> dict[str, Any] | None:
    """The configuration a ``socalign finetune`` run folder holds, or None when it is not one.

    A run folder is recognised by its ``config.json`` marker: a JSON object with the run's
    ``backbone`` and ``train`` settings (a model folder's ``config.json`` is not one).

    Parameters
    ----------
    out
        A folder.

    Returns
    -------
    dict or None
        The parsed marker, or None when ``out/config.json`` is missing or not a run's.
    """
    path = Path(out) / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(marker, dict) or not isinstance(marker.get("train"), dict):
        return None
    return marker if isinstance(marker.get("backbone"), str) else None


def _which(which: str) -> str:
    if which not in EMBEDDINGS_FILES:
        raise ValueError(f"which must be 'before' or 'after', got {which!r}")
    return which


@dataclass(frozen=True)
class FinetuneReport:
    """Held-out alignment before and after fine-tuning, the gain, and the training summary.

    The fields hold ``report.json`` as written (and as ``socalign finetune --json`` prints it):
    ``before`` / ``after`` are :meth:`socalign.evaluate.Evaluation.to_dict` dicts (R², OOO
    accuracy under both rules, bootstrap CIs); ``gain`` holds paired bootstraps of after -
    before (Spearman and R² resampling videos, OOO accuracy resampling trials), i.e. a
    :class:`socalign.evaluate.Comparison` without its ``split`` and ``difference`` entries,
    empty when the run had no bootstrap. The typed views are :meth:`evaluation`,
    :meth:`comparison` and :meth:`gain_of`.
    """

    dataset: str
    backbone: str
    split: str
    config: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    gain: dict[str, Any]
    training: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """``report.json``'s content (the public JSON format)."""
        return {
            "dataset": self.dataset, "backbone": self.backbone, "split": self.split,
            "config": self.config, "before": self.before, "after": self.after,
            "gain": self.gain, "training": self.training,
        }

    def evaluation(self, which: Which) -> Evaluation:
        """The held-out evaluation before or after fine-tuning, typed.

        Parameters
        ----------
        which
            ``"before"`` (the pretrained backbone) or ``"after"`` (the fine-tuned model).

        Returns
        -------
        socalign.evaluate.Evaluation
            Its values are the report's (per-trial scores and bootstrap samples are not stored).

        Raises
        ------
        ValueError
            An unknown ``which``, or a report without evaluations (a non-main process's).
        """
        from socalign.evaluate import Evaluation

        data = self.before if _which(which) == "before" else self.after
        if not data:
            raise ValueError(f"this report holds no {which!r} evaluation")
        return Evaluation.from_dict(data)

    def comparison(self) -> Comparison:
        """The gain (after - before) as a :class:`socalign.evaluate.Comparison`.

        Raises
        ------
        ValueError
            When the run had no bootstrap (``n_boot=0``), so the report holds no gain.
        """
        from socalign.evaluate import Comparison

        if not self.gain:
            raise ValueError("this report holds no gain (the run had no bootstrap, n_boot=0)")
        return Comparison.from_dict(self.gain, split=self.split)

    def gain_of(self, statistic: str, rule: str | None = None) -> Interval:
        """One statistic's gain with its paired interval.

        Parameters
        ----------
        statistic
            ``"r2"``, ``"spearman"`` or ``"ooo_accuracy"``.
        rule
            With ``"ooo_accuracy"``: ``"argmax"`` or ``"pair"``.

        Returns
        -------
        socalign.metrics.Interval
            The estimate (after - before), its interval, unit, resamples and p-value.

        Raises
        ------
        ValueError
            An unknown statistic or rule, or a report without a gain.
        """
        comparison = self.comparison()
        if statistic == "ooo_accuracy":
            if rule not in comparison.ooo_accuracy:
                raise ValueError(f"ooo_accuracy needs rule= one of "
                                 f"{sorted(comparison.ooo_accuracy)}, got {rule!r}")
            return comparison.ooo_accuracy[rule]
        if statistic not in ("r2", "spearman") or rule is not None:
            raise ValueError(f"gain_of: statistic must be 'r2', 'spearman' or 'ooo_accuracy' "
                             f"(rule only with ooo_accuracy), got {statistic!r}, rule={rule!r}")
        return getattr(comparison, statistic)

    @property
    def best_epoch(self) -> int:
        """The epoch whose weights were kept."""
        return int(self.training["best_epoch"])

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: before, after, gain and the gain's interval."""
        rows = []
        for stat in ("r2", "spearman"):
            g = self.gain[stat]
            rows.append({"statistic": stat, "before": self.before[stat],
                         "after": self.after[stat], "gain": g["estimate"], "gain_low": g["low"],
                         "gain_high": g["high"], "unit": g["unit"], "n_boot": g["n_boot"]})
        for rule, acc in self.after["ooo_accuracy"].items():
            g = self.gain["ooo_accuracy"][rule]
            rows.append({"statistic": f"ooo_accuracy ({rule})",
                         "before": self.before["ooo_accuracy"][rule], "after": acc,
                         "gain": g["estimate"], "gain_low": g["low"], "gain_high": g["high"],
                         "unit": g["unit"], "n_boot": g["n_boot"]})
        return pd.DataFrame(rows)

    @classmethod
    def read(cls, out: Path | str) -> FinetuneReport:
        """Read ``out/report.json`` (``out`` a finished run folder; see :meth:`Run.report`)."""
        return cls(**json.loads((Path(out) / REPORT_FILE).read_text()))


@dataclass(frozen=True)
class Run:
    """A ``socalign finetune`` run folder; open one with :meth:`Run.open`.

    Attributes
    ----------
    path
        The folder.
    marker
        Its ``config.json``, parsed (see :func:`read_run_marker`).
    """

    path: Path
    marker: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def open(cls, path: Path | str) -> Run:
        """Open a run folder, checking that it is one.

        Parameters
        ----------
        path
            A folder ``socalign finetune --out`` wrote (finished or not).

        Returns
        -------
        Run

        Raises
        ------
        FileNotFoundError
            ``path`` is not a folder, or has no ``config.json``.
        ValueError
            Its ``config.json`` is not a run's (e.g. a model checkpoint folder's).
        """
        path = Path(path)
        marker_path = path / CONFIG_FILE
        if not path.is_dir():
            raise FileNotFoundError(f"{path} is not a folder: not a socalign finetune run folder")
        if not marker_path.is_file():
            raise FileNotFoundError(f"{marker_path} not found: not a socalign finetune run folder")
        marker = read_run_marker(path)
        if marker is None:
            raise ValueError(
                f"{marker_path} is not a run's configuration (it needs 'backbone' and 'train' "
                "entries; a model folder's config.json is not one): not a socalign finetune run "
                "folder"
            )
        return cls(path, marker)

    @staticmethod
    def is_run(path: Path | str) -> bool:
        """Whether ``path`` is a run folder (its ``config.json`` is a run's marker)."""
        return Path(path).is_dir() and read_run_marker(path) is not None

    # --- the configuration -------------------------------------------------------------------

    @property
    def config(self) -> TrainConfig:
        """The training settings the run was started with."""
        return TrainConfig.from_dict(self.marker["train"])

    @property
    def backbone(self) -> str:
        """The backbone the run started from (a name or checkpoint folder)."""
        return str(self.marker["backbone"])

    @property
    def dataset(self) -> str | None:
        """The benchmark it was trained on, as given to ``finetune``."""
        value = self.marker.get("dataset")
        return None if value is None else str(value)

    @property
    def lora_targets(self) -> tuple[str, ...]:
        """The modules the LoRA adapters were put on."""
        return tuple(self.marker.get("lora_targets") or ())

    @property
    def finished(self) -> bool:
        """Whether the run has its report (training, embeddings and scoring are done)."""
        return self.report_path.is_file()

    # --- the files -----------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_FILE

    @property
    def history_path(self) -> Path:
        return self.path / HISTORY_FILE

    @property
    def model_dir(self) -> Path:
        return self.path / MODEL_DIR

    @property
    def adapter_path(self) -> Path:
        """The adapter weights (e.g. for a cache key of something built from them)."""
        return self.model_dir / ADAPTER_FILE

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / CHECKPOINTS_DIR

    def embeddings_path(self, which: Which) -> Path:
        """The ``.npz`` of every video's embeddings before or after fine-tuning.

        Parameters
        ----------
        which
            ``"before"`` or ``"after"``.

        Returns
        -------
        Path
            The file (checked to exist).

        Raises
        ------
        ValueError
            An unknown ``which``.
        FileNotFoundError
            The run has not written it (not finished).
        """
        return self._need(self.path / EMBEDDINGS_FILES[_which(which)])

    def _need(self, path: Path) -> Path:
        if not path.exists():
            state = "finished" if self.finished else "unfinished"
            raise FileNotFoundError(f"{path} not found in the {state} run folder {self.path}")
        return path

    # --- what it holds -------------------------------------------------------------------------

    @property
    def report(self) -> FinetuneReport:
        """The held-out report (``report.json``), typed.

        Raises
        ------
        FileNotFoundError
            The run is not finished.
        """
        return FinetuneReport.read(self._need(self.report_path).parent)

    def history(self) -> pd.DataFrame:
        """One row per epoch (``metrics.csv``): ``epoch``, the losses, the validation scores."""
        return pd.read_csv(self._need(self.history_path))

    def embeddings(
        self, which: Which, videos: HasIds, required: np.ndarray | None = None
    ) -> np.ndarray:
        """(N, D) embeddings before or after fine-tuning, in a benchmark's video order.

        Parameters
        ----------
        which
            ``"before"`` or ``"after"``.
        videos
            The benchmark's videos (``benchmark.videos``); rows are matched by video id.
        required
            Row indices that must be present and finite (default all), as in
            :func:`socalign.models.embeddings.load_embeddings`.

        Returns
        -------
        numpy.ndarray
        """
        from socalign.models.embeddings import load_embeddings

        return load_embeddings(self.embeddings_path(which), videos, required)

    # --- models --------------------------------------------------------------------------------

    def load_model(
        self, device: str | None = "cpu", backbone: tuple[Any, Any] | None = None
    ) -> tuple[Any, Any]:
        """The fine-tuned model (backbone with adapters + projection head) in eval mode.

        Parameters
        ----------
        device
            Where to put it.
        backbone
            The run's pretrained backbone already loaded, as ``(module, spec)`` from
            ``socalign.models.video.load_backbone(run.backbone)`` (it is wrapped, not copied);
            loaded here when None.

        Returns
        -------
        (socalign.train.model.AlignedVideoModel, socalign.models.video.BackboneSpec)
            Its forward pass gives the run's ``after`` embeddings.
        """
        from socalign.models.video import forward_features, load_backbone
        from socalign.train.model import load_model

        base, spec = backbone if backbone is not None else load_backbone(self.backbone,
                                                                          device=device)
        model = load_model(base, self._need(self.model_dir),
                           lambda m, x: forward_features(m, spec, x))
        return model.to(device).eval() if device is not None else model.eval(), spec

    def load_merged(self, device: str | None = "cpu") -> tuple[Any, Any]:
        """The run's backbone with its LoRA adapters merged in (no head), and its spec.

        Parameters
        ----------
        device
            Where to load the pretrained backbone.

        Returns
        -------
        (torch.nn.Module, socalign.models.video.BackboneSpec)
            A plain backbone (eval mode), usable wherever a pretrained one is.
        """
        from socalign.models.video import load_backbone
        from socalign.train.model import load_model

        base, spec = load_backbone(self.backbone, device=device)
        aligned = load_model(base, self._need(self.model_dir))
        return aligned.backbone.merge_and_unload().eval(), spec

    def merged_backbone(self, out: Path | str) -> Path:
        """Write the merged backbone (see :meth:`load_merged`) as a plain checkpoint folder.

        The folder loads like any backbone (``socalign.models.video.load_backbone``), so the
        retention and attention analyses treat the pretrained and the fine-tuned backbone
        alike. The base checkpoint's other ``*.json`` files (its preprocessing settings) are
        copied beside the weights. Caching is the caller's (e.g. ``socalign.cache.build_once``
        with ``config.json`` as the marker and :attr:`adapter_path` in the key).

        Parameters
        ----------
        out
            A missing or empty folder; created.

        Returns
        -------
        Path
            ``out``.

        Raises
        ------
        FileExistsError
            ``out`` exists and is not an empty folder (nothing is written).
        """
        from socalign.models.registry import get_spec

        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise FileExistsError(f"{out} exists and is not an empty folder; nothing was written")
        merged, _ = self.load_merged(device="cpu")
        out.mkdir(parents=True, exist_ok=True)
        source = Path(str(get_spec(self.backbone).source))
        if source.is_dir():  # keep the preprocessing files of the base checkpoint
            for extra in source.glob("*.json"):
                if extra.name != "config.json":
                    shutil.copy(extra, out / extra.name)
        merged.save_pretrained(str(out), safe_serialization=True)
        return out
