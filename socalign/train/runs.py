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
    run.export(folder)             # what push_to_hub would upload, with a filled model card

:func:`load_aligned` returns the fine-tuned model in one call from a run folder, an exported
folder (:func:`export_run`) or a hub repository holding one. An exported folder holds the
peft adapters and the head at its root (so ``peft`` reads it as it is), the backbone's name
and revision (or, for a local checkpoint, a copy of it under ``backbone/``) in
:data:`EXPORT_MARKER`, the run's configuration and report, and a model card (``README.md``)
filled from the report. socalign itself uploads nothing.

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
VALIDATIONS_FILE = "validations.csv"
"""Every validation in order (per epoch, and every ``val_every_steps`` steps when set)."""
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

        base, spec = backbone if backbone is not None else load_backbone(
            self.backbone, device=device, n_frames=self.config.n_frames)
        model = load_model(base, self._need(self.model_dir),
                           lambda m, x: forward_features(m, spec, x), spec)
        model.source = str(self.path)
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

        base, spec = load_backbone(self.backbone, device=device, n_frames=self.config.n_frames)
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

    def export(self, out: Path | str, ceiling: bool = True) -> Path:
        """Write the shareable model folder (see :func:`export_run`).

        Parameters
        ----------
        out : path-like
            A missing or empty folder (a non-empty one is refused, even an earlier export).
        ceiling : bool, default True
            Compute the held-out split's noise ceiling for the model card (needs the benchmark).

        Returns
        -------
        Path
            ``out``.
        """
        return export_run(self, out, ceiling=ceiling)


# --- sharing a run: the exported folder, its model card, and loading it back -----------------

EXPORT_MARKER = "socalign_model.json"
"""An exported model folder's marker: format, backbone (name, revision, commit), spec, settings."""
EXPORT_FORMAT = "socalign-aligned/1"
CARD_FILE = "README.md"
"""The model card (what the hub shows)."""
RUN_CONFIG_FILE = "run_config.json"
"""The run's ``config.json`` (its marker), renamed: a root ``config.json`` is a transformers model's."""
BACKBONE_DIR = "backbone"
"""A local backbone checkpoint's copy inside an exported folder."""
_MODEL_FILES = ("adapter_config.json", ADAPTER_FILE, "head.safetensors", "head.json")
_TEMPLATE_TEXT = "More Information Needed"


def is_export(path: Path | str) -> bool:
    """Whether ``path`` is a folder :func:`export_run` wrote (it holds :data:`EXPORT_MARKER`)."""
    marker = Path(path) / EXPORT_MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("format") == EXPORT_FORMAT
    except (ValueError, UnicodeDecodeError, AttributeError):
        return False


def backbone_record(backbone: str) -> dict[str, Any]:
    """How an exported folder names its backbone, so that another machine loads the same one.

    Parameters
    ----------
    backbone
        The run's backbone: a hub id (``owner/name`` or ``owner/name@REV``), ``toy``, or a
        local checkpoint folder.

    Returns
    -------
    dict
        ``source`` "hub" with ``name``, ``revision`` and ``commit`` (the snapshot's, None
        when it cannot be resolved here); "socalign" for the toy (shipped with the package),
        with the sha256 of its files; "bundled" for a local folder, copied to
        :data:`BACKBONE_DIR`, with the sha256 of its config and weight files.
    """
    from socalign.models.embed import folder_files
    from socalign.models.hub import is_hub_id, resolve_commit, split_revision

    name, revision = split_revision(backbone)
    from socalign.models.toy import is_toy, toy_backbone

    if is_toy(name):
        return {"source": "socalign", "name": name, "files": folder_files(toy_backbone(name))}
    path = Path(name).expanduser()
    if path.is_dir():
        return {"source": "bundled", "name": path.name, "path": BACKBONE_DIR,
                "files": folder_files(path)}
    if not is_hub_id(name):
        raise ValueError(f"backbone {backbone!r} is neither a hub id, the toy, nor a folder here")
    try:
        commit: str | None = resolve_commit(name, revision)
    except FileNotFoundError:
        commit = None
    return {"source": "hub", "name": name, "revision": revision or "main", "commit": commit}


def _cell(section: dict[str, Any], statistic: str, rule: str | None = None) -> str:
    """``estimate [low, high]`` of one statistic of a report's before/after/gain entry."""
    from socalign.text import interval, sig

    if rule is None:
        estimate = section.get(statistic)
        ci = (section.get("ci") or {}).get(statistic) or {}
    else:
        estimate = (section.get("ooo_accuracy") or {}).get(rule)
        ci = ((section.get("ci") or {}).get("ooo_accuracy") or {}).get(rule) or {}
    if isinstance(estimate, dict):  # a gain entry: the estimate and interval together
        ci, estimate = estimate, estimate.get("estimate")
    if estimate is None:
        return "n/a"
    low, high = ci.get("low"), ci.get("high")
    if low is None or high is None:
        return sig(estimate)
    return interval(estimate, low, high)


def _gain_cell(gain: dict[str, Any], statistic: str, rule: str | None = None) -> str:
    from socalign.text import interval, sig

    entry = gain.get(statistic) if rule is None else (gain.get("ooo_accuracy") or {}).get(rule)
    if not entry:
        return "n/a"
    text = (interval(entry["estimate"], entry["low"], entry["high"])
            if entry.get("low") is not None and entry.get("high") is not None
            else sig(entry.get("estimate")))
    p_value = entry.get("p_value")
    return text if p_value is None else f"{text} (p = {sig(p_value)})"


def _ceiling_lines(ceilings: Any) -> list[str]:
    """The card's ceiling paragraph from :func:`socalign.metrics.benchmark_ceilings`."""
    from socalign.text import interval, sig

    q = ceilings.quantities()
    r2 = q["r2_ceiling"]
    r2_text = ("not available (" + str(ceilings.split_half_error) + ")"
               if ceilings.split_half is None else
               interval(r2["estimate"], r2["low"], r2["high"]) if r2["low"] is not None
               else sig(r2["estimate"]))
    return [
        f"Noise ceilings of the {ceilings.split} split ({sig(ceilings.n_trials)} trials; "
        "socalign.metrics.benchmark_ceilings, seed "
        f"{ceilings.seed}):",
        "",
        f"- R² ceiling: {r2_text} ({r2['rule']})",
        f"- OOO accuracy ceiling (argmax rule): {sig(q['ooo_ceiling']['estimate'])} "
        "(empirical Bayes: the expected accuracy of each triplet's most likely choice)",
        f"- OOO reliability: {sig(q['ooo_reliability']['estimate'])} (leave-one-out agreement "
        "of repeated triplets)",
    ]


def model_card(run: Run, record: dict[str, Any] | None = None, ceilings: Any = None,
               dataset_name: str | None = None, n_frames: int | None = None) -> str:
    """The exported folder's ``README.md``: a model card filled from the run's report.

    Parameters
    ----------
    run
        A finished run.
    record
        Its backbone's :func:`backbone_record` (computed when None).
    ceilings
        The test split's :class:`socalign.metrics.BenchmarkCeilings`, or None (the card says
        the ceiling was not computed).
    dataset_name
        The benchmark's own name (default: the name or folder name ``finetune`` was given).
    n_frames
        The frames per clip the model is fed (the exported spec's); None: the run's setting,
        else "the backbone's own".

    Returns
    -------
    str
        Markdown with a YAML header (``library_name``, ``base_model`` for a hub backbone,
        tags): the model, how to load it, data and split, training (loss, trainer, LoRA,
        seeds), held-out R² and OOO accuracy with 95% intervals before and after and the
        paired gain, the ceiling, the limitations.
    """
    from socalign import __version__
    from socalign.text import sig

    report = run.report
    config = run.config
    record = record or backbone_record(run.backbone)
    marker = run.marker
    head = json.loads((run.model_dir / "head.json").read_text(encoding="utf-8"))
    given = str(run.dataset or report.dataset)
    dataset = dataset_name or Path(given).name or given
    where = ("a local benchmark folder" if Path(given).expanduser().exists()
             else f"`{given}` as given to `socalign finetune`")
    if record["source"] == "hub":
        commit = record.get("commit")
        base = f"`{record['name']}` at revision `{record['revision']}`" + (
            f" (commit `{commit}`)" if commit else "")
    elif record["source"] == "socalign":
        base = "socalign's toy TimeSformer (`toy`, shipped with the package)"
    else:
        base = (f"the local checkpoint `{record['name']}`, copied into `{BACKBONE_DIR}/` "
                "(not on the hub)")
    header = ["---", "library_name: peft"]
    if record["source"] == "hub":
        header.append(f"base_model: {record['name']}")
    header += ["pipeline_tag: feature-extraction", "tags:", "- socalign", "- lora",
               "- video", "- human-alignment", "- social-perception", "---", ""]
    loss = config.loss
    n_boot = (report.before.get("ci") or {}).get("r2", {}).get("n_boot")
    rows = [
        ("R²", "r2", None),
        ("Spearman", "spearman", None),
        ("OOO accuracy (argmax)", None, "argmax"),
        ("OOO accuracy (pair)", None, "pair"),
    ]
    table = ["| held-out statistic | before | after | gain (after − before) |",
             "|---|---|---|---|"]
    for label, stat, rule in rows:
        key = stat or "ooo_accuracy"
        table.append(f"| {label} | {_cell(report.before, key, rule)} | "
                     f"{_cell(report.after, key, rule)} | {_gain_cell(report.gain, key, rule)} |")
    training = report.training
    lines = [
        *header,
        f"# {Path(str(report.backbone)).name or report.backbone} aligned with human similarity "
        f"judgments on {dataset}",
        "",
        f"A video backbone fine-tuned with LoRA adapters and a projection head on {dataset}'s "
        "odd-one-out (triplet) judgments, by behaviour-guided fine-tuning as in Garcia & Isik "
        "(2025), *Aligning Video Models with Human Social Judgments via Behavior-Guided "
        f"Fine-Tuning* (arXiv 2510.01502), with socalign {__version__}.",
        "",
        "## Model",
        "",
        f"- Backbone: {base}.",
        f"- Adapters: LoRA r = {config.lora_r}, alpha = {config.lora_alpha}, dropout = "
        f"{config.lora_dropout} on {', '.join(f'`{t}`' for t in run.lora_targets)} "
        "(`adapter_config.json`, `adapter_model.safetensors`).",
        f"- Head: linear {head.get('hidden', '?')} → {config.head_dim}, "
        f"LayerNorm, ReLU, dropout {config.head_dropout}, L2-normalised (`head.safetensors`, "
        "`head.json`).",
        "- Input: " + (f"{n_frames or config.n_frames} frames per clip"
                       if n_frames or config.n_frames else "the backbone's own frame count per clip")
        + ", sampled uniformly, preprocessed as in training (`embed_clips`).",
        "- Output: one unit-length embedding per clip; the similarity of two clips is the "
        "cosine of theirs.",
        "",
        "## How to load",
        "",
        "```python",
        "import socalign",
        "",
        'model = socalign.load_aligned("THIS_FOLDER_OR_REPO_ID")  # backbone + adapters + head',
        "embeddings = model.embed_clips(clips)  # uint8 (B, T, H, W, 3) -> (B, "
        f"{config.head_dim})",
        "```",
        "",
        "Clips are preprocessed as in training (socalign's fast torch path, "
        "`socalign.models.frames.preprocess`).",
        "",
        "## Training data and split",
        "",
        f"- Dataset: {dataset} ({where}).",
        f"- Training judgments: the `train` split's trials; {len(marker.get('fit_videos') or [])} "
        f"videos to fit, {len(marker.get('val_videos') or [])} held out for validation "
        f"(val_fraction {config.val_fraction}; early stopping on validation Spearman).",
        f"- Held-out evaluation: the `{report.split}` split "
        f"({sig(report.after.get('n_videos'))} videos, {sig(report.after.get('n_trials'))} "
        "trials), never seen in training.",
        "",
        "## Training",
        "",
        f"- Loss: {loss.kind}" + (f" ({loss.spec.label})" if loss.spec.label != loss.kind
                                   else "")
        + f" (triplet term: {loss.triplet}, margin {loss.margin}"
        + (f", alpha {loss.alpha}" if loss.uses_triplet and loss.uses_rsa else "") + ")."
        + (f" Its targets are the caption model {config.distill_model}'s, not people's: each "
           "training triplet's odd one is the video outside the pair whose captions are most "
           "similar, the RSA and validation targets are the captions' cosine similarity on the "
           "pairs people judged; the held-out results below are against people."
           if loss.targets == "captions" else ""),
        f"- Trainer: {config.trainer}; {config.epochs} epochs at most (patience "
        f"{config.patience}), learning rate {config.lr}, weight decay {config.weight_decay}; "
        f"best epoch {training.get('best_epoch')} (validation Spearman "
        f"{sig(training.get('best_val_spearman'))}).",
        f"- Seeds: {config.seed} (initialisation and batches), [{config.seed}, 1] "
        f"(fit/validation split of the training videos), {config.seed} (bootstrap).",
        "- Full settings: `run_config.json` (the run's configuration), `report.json`, "
        "`metrics.csv` (one row per epoch).",
        "",
        "## Results (held-out)",
        "",
        f"Before: the pretrained backbone's features; after: the fine-tuned model. 95% "
        f"percentile bootstrap intervals ({sig(n_boot) if n_boot else 'no'} resamples; R² and "
        "Spearman over videos, OOO accuracy over trials; the gain's are paired). R² is the "
        "squared Spearman correlation of model and human similarity over the split's pairs.",
        "",
        *table,
        "",
        "## Noise ceiling",
        "",
        *(_ceiling_lines(ceilings) if ceilings is not None else
          ["Not computed for this export (the benchmark was not at hand, or "
           "`--no-ceiling`); `socalign ceiling` computes it."]),
        "",
        "## Limitations",
        "",
        f"- Trained and evaluated on one benchmark ({dataset}); alignment with other stimuli, "
        "other participants or other judgment tasks is not established.",
        "- Held-out intervals resample videos or trials of one split; they do not cover "
        "variation over training seeds (one seed was run).",
        "- The embedding serves similarity judgments; it is not a classifier, and the "
        "fine-tuning may reduce what the backbone retains of other tasks (see "
        "`socalign retention`).",
        "- Human similarity judgments carry the biases of the participant pool and of the "
        "stimuli; the model inherits them.",
        "",
        "## Files",
        "",
        f"`{EXPORT_MARKER}` (format, backbone name and revision, spec), `adapter_config.json` "
        f"and `adapter_model.safetensors` (peft), `head.safetensors` and `head.json`, "
        f"`{RUN_CONFIG_FILE}`, `{REPORT_FILE}`, `{HISTORY_FILE}`"
        + (f", `{BACKBONE_DIR}/`" if record["source"] == "bundled" else "") + ".",
        "",
        "## Citation",
        "",
        "Garcia, K., & Isik, L. (2025). Aligning Video Models with Human Social Judgments via "
        "Behavior-Guided Fine-Tuning. arXiv:2510.01502.",
        "",
    ]
    return "\n".join(lines)


def _benchmark_facts(run: Run, ceiling: bool) -> tuple[str | None, Any]:
    """The benchmark's name and its held-out split's ceilings (None where it cannot be loaded)."""
    import logging

    from socalign.data import load_dataset
    from socalign.metrics import benchmark_ceilings

    try:
        benchmark = load_dataset(str(run.dataset))
    except (FileNotFoundError, ValueError, KeyError, OSError) as err:
        logging.getLogger(__name__).info("benchmark of %s not loaded: %s", run.path, err)
        return None, None
    if not ceiling:
        return str(benchmark.name), None
    try:
        return str(benchmark.name), benchmark_ceilings(benchmark, split=run.report.split)
    except (ValueError, KeyError) as err:
        logging.getLogger(__name__).info("no ceiling for the model card: %s", err)
        return str(benchmark.name), None


def export_run(run: Run | Path | str, out: Path | str, ceiling: bool = True) -> Path:
    """Write a finished run as a shareable model folder: what ``push_to_hub`` would upload.

    The folder holds the peft adapters and the head at its root, :data:`EXPORT_MARKER` (the
    format, the backbone's name and revision or a copy of a local backbone, the spec), the
    run's configuration (:data:`RUN_CONFIG_FILE`), ``report.json``, ``metrics.csv`` and a
    model card (``README.md``) filled from the report instead of peft's template. It is
    written atomically (:func:`socalign.cache.staged_folder`); nothing is uploaded.

    Parameters
    ----------
    run
        A finished run (or its folder).
    out
        A missing or empty folder (a non-empty one is refused, even an earlier export).
    ceiling
        Compute the held-out split's noise ceiling for the card (needs the benchmark).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    FileNotFoundError
        The run is not finished.
    socalign.outputs.OutputFolderError
        ``out`` is a file or a non-empty folder (left untouched).
    """
    from socalign.cache import atomic_write_text, staged_folder
    from socalign.models.registry import get_spec, with_frames
    from socalign.outputs import check_output_folder

    run = run if isinstance(run, Run) else Run.open(run)
    if not run.finished:
        raise FileNotFoundError(f"{run.report_path} not found: the run in {run.path} is not "
                                "finished (export needs its report)")
    for name in _MODEL_FILES:
        run._need(run.model_dir / name)
    out = check_output_folder(out, "exported model", EXPORT_MARKER, is_export)
    record = backbone_record(run.backbone)
    spec = with_frames(get_spec(run.backbone), run.config.n_frames)
    dataset_name, ceilings = _benchmark_facts(run, ceiling)
    with staged_folder(out) as stage:
        for name in _MODEL_FILES:
            shutil.copy2(run.model_dir / name, stage / name)
        adapter = json.loads((stage / "adapter_config.json").read_text())
        if record["source"] == "hub":
            adapter["base_model_name_or_path"] = record["name"]
            adapter["revision"] = record.get("commit") or record["revision"]
        else:
            adapter["base_model_name_or_path"] = (
                BACKBONE_DIR if record["source"] == "bundled" else "toy")
        atomic_write_text(stage / "adapter_config.json", json.dumps(adapter, indent=2) + "\n")
        head = json.loads((stage / "head.json").read_text())
        head["backbone"] = record["name"]
        head["dataset"] = dataset_name or Path(str(head.get("dataset", run.dataset))).name
        atomic_write_text(stage / "head.json", json.dumps(head, indent=2) + "\n")
        if record["source"] == "bundled":
            source = Path(split_name(run.backbone)).expanduser()
            for rel in record["files"]:
                target = stage / BACKBONE_DIR / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / rel, target)
        shutil.copy2(run.config_path, stage / RUN_CONFIG_FILE)
        shutil.copy2(run.report_path, stage / REPORT_FILE)
        if run.history_path.is_file():
            shutil.copy2(run.history_path, stage / HISTORY_FILE)
        spec_dict = spec.to_dict()
        if record["source"] != "hub":
            spec_dict["name"] = spec_dict["source"] = record["name"]
        from socalign import __version__

        atomic_write_text(stage / EXPORT_MARKER, json.dumps({
            "format": EXPORT_FORMAT,
            "socalign_version": __version__,
            "backbone": record,
            "spec": spec_dict,
            "dataset": dataset_name or Path(str(run.dataset)).name,
            "split": run.report.split,
            "lora_targets": list(run.lora_targets),
            "head_dim": run.config.head_dim,
            "preprocessing": "fast",
            "ceiling": None if ceilings is None else ceilings.to_dict()["ceilings"],
        }, indent=2, default=str) + "\n")
        card = model_card(run, record, ceilings, dataset_name, spec.n_frames)
        if _TEMPLATE_TEXT in card:  # pragma: no cover - the card is ours
            raise AssertionError("the model card holds template text")
        atomic_write_text(stage / CARD_FILE, card)
    return out


def split_name(backbone: str) -> str:
    """A backbone's name without its ``@REV`` (see :func:`socalign.models.hub.split_revision`)."""
    from socalign.models.hub import split_revision

    return split_revision(backbone)[0]


def _load_export(folder: Path, device: str | None) -> Any:
    from socalign.models.video import forward_features, load_backbone
    from socalign.train.model import load_model

    info = json.loads((folder / EXPORT_MARKER).read_text(encoding="utf-8"))
    record = info.get("backbone") or {}
    source = record.get("source")
    frames = (info.get("spec") or {}).get("n_frames")  # as trained (may differ from the base's)
    if source == "hub":
        pin = record.get("commit") or record.get("revision")
        base, spec = load_backbone(record["name"], device=device, revision=pin, n_frames=frames)
    elif source == "bundled":
        base, spec = load_backbone(folder / str(record.get("path", BACKBONE_DIR)), device=device,
                                   n_frames=frames)
    elif source == "socalign":
        from socalign.models.embed import folder_files
        from socalign.models.toy import toy_backbone

        toy_name = str(record.get("name", "toy"))
        if record.get("files") and folder_files(toy_backbone(toy_name)) != record["files"]:
            import warnings

            warnings.warn(f"{folder}: the toy backbone here differs from the one this model was "
                          "trained on (another socalign version); its embeddings will differ",
                          stacklevel=3)
        base, spec = load_backbone(toy_name, device=device, n_frames=frames)
    else:
        raise ValueError(f"{folder / EXPORT_MARKER}: unknown backbone source {source!r}")
    for name in _MODEL_FILES:
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name} not found: not a complete exported model")
    model = load_model(base, folder, lambda m, x: forward_features(m, spec, x), spec)
    return model


def load_aligned(source: Path | str, device: str | None = "cpu",
                 revision: str | None = None) -> Any:
    """A fine-tuned model in one call: the backbone with its adapters and head, in eval mode.

    Parameters
    ----------
    source
        A ``socalign finetune`` run folder, a folder ``socalign export`` wrote, or a hub
        repository id holding an export (``owner/name``, ``owner/name@REV``; downloaded with
        ``huggingface_hub.snapshot_download``, from the local cache only when offline).
    device
        Where to put the model.
    revision
        The hub repository's branch, tag or commit (hub ids only).

    Returns
    -------
    socalign.train.model.AlignedVideoModel
        Its forward pass maps preprocessed clips to unit-length embeddings;
        ``embed_clips(uint8 clips)`` preprocesses as in training; ``spec`` is the backbone's
        :class:`socalign.models.specs.BackboneSpec`, ``source`` where it came from.

    Raises
    ------
    FileNotFoundError
        A missing folder, an unfinished run, or a hub id that is not cached and cannot be
        fetched.
    ValueError
        A folder that is neither a run nor an export.
    """
    from socalign.models.hub import download_snapshot, is_hub_id, split_revision, with_revision

    name = str(source)
    path = Path(name).expanduser()
    if path.is_dir():
        if revision is not None:
            raise ValueError(f"revision applies to a hub repository id, not to the folder {path}")
        if is_export(path):
            model = _load_export(path, device)
        elif Run.is_run(path):
            model, _ = Run.open(path).load_model(device=device)
        else:
            raise ValueError(f"{path} is neither a socalign finetune run folder (config.json) nor "
                             f"an exported model ({EXPORT_MARKER})")
    elif is_hub_id(name):
        repo, pinned = split_revision(with_revision(name, revision) if revision else name)
        folder = download_snapshot(repo, pinned)
        if not is_export(folder):
            raise ValueError(f"{repo}: the repository holds no {EXPORT_MARKER}; it is not a model "
                             "socalign export wrote")
        model = _load_export(folder, device)
    else:
        raise FileNotFoundError(f"{name}: no such folder, and not a hub repository id "
                                "(owner/name)")
    model.source = name
    return model.to(device).eval() if device is not None else model.eval()
