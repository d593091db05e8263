"""A ``socalign finetune`` run folder, read through one type: :class:`Run`.

:func:`socalign.train.run.finetune` writes the folder (its file names are
:mod:`socalign.train.runfiles`'s) and every reader (the CLI, the analyses, the book's
chapters) opens it with :meth:`Run.open` instead of joining file names itself::

    run = Run.open("runs/hybrid")
    run.config                     # the TrainConfig it was trained with
    run.report.gain_of("r2")       # the R² gain's paired interval (an Interval)
    run.history()                  # metrics.csv, one row per epoch
    run.embeddings("after", benchmark.videos)
    model, spec = run.load_model() # AlignedVideoModel.load(run.path), with its spec
    run.merged_backbone(folder)    # the backbone with its adapters merged, as a checkpoint folder

The fine-tuned model itself has one loader, :meth:`socalign.train.model.AlignedVideoModel.load`
(the model methods here hand the run's folder to it); sharing a run is
:func:`socalign.train.export.export_run`. A folder is a run when its ``config.json`` is a
run's marker (see :func:`socalign.train.runfiles.read_run_marker`). Importing this module does
not import torch; the model methods do.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socalign.train.checkpoint import read_json
from socalign.train.config import TrainConfig
from socalign.train.identity import RunMismatchError, check_identity
from socalign.train.report import FinetuneReport
from socalign.train.runfiles import (
    ADAPTER_FILE,
    BEST_FILE,
    CHECKPOINTS_DIR,
    CONFIG_FILE,
    EMBEDDINGS_FILES,
    HISTORY_FILE,
    MODEL_DIR,
    REPORT_FILE,
    RUN_RECORD,
    VALIDATIONS_FILE,
    Which,
    check_which,
    read_marker,
    read_run_marker,
)

if TYPE_CHECKING:
    from socalign.models.embeddings import HasIds


@dataclass(frozen=True)
class Run:
    """A ``socalign finetune`` run folder; open one with :meth:`Run.open`.

    Attributes
    ----------
    path
        The folder.
    marker
        Its ``config.json``, parsed (see :func:`socalign.train.runfiles.read_run_marker`).
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
        data = read_json(marker_path)
        if not isinstance(data.get("train"), dict) or "backbone" not in data:
            raise ValueError(
                f"{marker_path} is not a run's configuration (it needs 'backbone' and 'train' "
                "entries; a model folder's config.json is not one): not a socalign finetune run "
                "folder"
            )
        return cls(path, read_marker(marker_path))

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
        return self._need(self.path / EMBEDDINGS_FILES[check_which(which)])

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

    def validations(self) -> pd.DataFrame:
        """Every validation of the run in order (``validations.csv``), with its step and time."""
        return pd.read_csv(self._need(self.path / VALIDATIONS_FILE))

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

    # --- its identity: every file belongs to this run --------------------------------------

    @property
    def identity(self) -> dict[str, Any] | None:
        """The run's identity record; None for a run older than it.

        See :func:`socalign.train.identity.run_identity`.
        """
        value = self.marker.get(RUN_RECORD)
        return dict(value) if isinstance(value, dict) else None

    def check_model(self, hidden: int | None = None, base: Any = None) -> dict[str, Any]:
        """Check ``model/`` against the run's record before anything is loaded.

        Parameters
        ----------
        hidden : int or None, default None
            The backbone's hidden size, when it is loaded (the head's input).
        base : torch.nn.Module or None, default None
            The pretrained backbone, when loaded (the adapters' modules and sizes).

        Returns
        -------
        dict
            ``model/head.json``.

        Raises
        ------
        FileNotFoundError, RunFileError
            As :func:`socalign.train.modelfiles.check_model_files`: a missing file, pickle weights in place of the
            safetensors, or a field or tensor shape that disagrees with ``config.json``.
        """
        from socalign.train.modelfiles import SavedModel

        return SavedModel.of(self.path).check(hidden, base)

    def verify(self) -> None:
        """Check that config, report, checkpoints and model all belong to this one run.

        Compares ``report.json`` (dataset, backbone, settings, identity), the newest
        checkpoint (settings, run id), ``best.safetensors`` (run id) and ``model/``
        (:meth:`check_model`) with ``config.json``. A run older than the identity record is
        checked by its names and settings only; a file that does carry a record then is
        another run's.

        Returns
        -------
        None

        Raises
        ------
        FileNotFoundError
            The run is not finished.
        RunFileError
            Naming the first file (and field) that disagrees, or that is malformed.
        """
        report = self.report
        path = self.report_path
        for key, mine, theirs in (("dataset", self.dataset, report.dataset),
                                  ("backbone", self.backbone, report.backbone)):
            if mine is not None and mine != theirs:
                raise RunMismatchError(path, f"{key} {theirs!r} differs from {mine!r} "
                                       f"({self.config_path}): the report is another run's", key)
        settings = json.loads(json.dumps(self.marker["train"]))
        changed = sorted(k for k in set(settings) | set(report.config)
                         if settings.get(k) != report.config.get(k))
        if changed:
            key = changed[0]
            raise RunMismatchError(path, f"config.{key} {report.config.get(key)!r} differs from "
                                   f"{settings.get(key)!r} ({self.config_path}): the report is "
                                   "another run's", f"config.{key}")
        identity = self.identity
        self._check_run_id(path, (report.identity or {}).get("run_id"), identity)
        if identity is not None and report.identity:
            check_identity(report.identity, identity, path)
        from socalign.train.checkpoint import last_checkpoint, load_state

        newest = last_checkpoint(self.checkpoints_dir) if self.checkpoints_dir.is_dir() else None
        fingerprint = self.config.fingerprint()
        if newest is not None:
            state = load_state(newest)
            if state.get("config") != fingerprint:
                raise RunMismatchError(newest, "written with other training settings than "
                                       f"{self.config_path}: the checkpoint is another run's",
                                       "config")
            self._check_run_id(newest, state.get("run_id"), identity)
        best = self.path / BEST_FILE
        if best.is_file():
            self._check_run_id(best, load_state(best).get("run_id"), identity)
        self.check_model()

    def _check_run_id(self, path: Path, found: Any, identity: Mapping[str, Any] | None) -> None:
        """Refuse a file whose run id is not the run's (or that has one the run lacks)."""
        if identity is None:
            if found is not None:
                raise RunMismatchError(path, f"run id {found!r}, but {self.config_path} predates "
                                       "the run identity record: the file is another run's",
                                       "run_id")
            return
        if found != identity["run_id"]:
            raise RunMismatchError(path, f"run id {found!r} is not this run's "
                                   f"({identity['run_id']!r}, {self.config_path}): the file "
                                   "belongs to another run", "run_id")

    # --- models --------------------------------------------------------------------------------
    # --- models: handed to the one loader, AlignedVideoModel.load ----------------------------

    def load_model(
        self, device: str | None = "cpu", backbone: tuple[Any, Any] | None = None
    ) -> tuple[Any, Any]:
        """The fine-tuned model (backbone with adapters + projection head) in eval mode.

        ``AlignedVideoModel.load(run.path, device, backbone)``
        (:meth:`socalign.train.model.AlignedVideoModel.load`), with its spec.

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
        from socalign.train.model import AlignedVideoModel

        model = AlignedVideoModel.load(self.path, device, backbone)
        return model, model.spec

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
        model, spec = self.load_model(device)
        return model.backbone.merge_and_unload().eval(), spec

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
        from socalign.cache import atomic_write_text
        from socalign.models.registry import SPEC_FILE, get_spec

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
        if self.config.n_frames is not None:  # fed as trained (config.json keeps the base's)
            atomic_write_text(out / SPEC_FILE, json.dumps({"n_frames": self.config.n_frames}))
        return out

