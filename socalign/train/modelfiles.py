"""A saved fine-tuned model's files, checked before anything is loaded.

A saved model is peft's adapter files and the projection head's (:data:`MODEL_FILES`), in a
run's ``model/`` folder or at an exported folder's root. :class:`SavedModel` says where they
are, what the run's own record says they must be, and which backbone they adapt;
:func:`check_model_files` is the one check (against the record, the adapters' tensor shapes
read from the safetensors headers, and the backbone once it is loaded), and
:func:`refuse_pickles` refuses pickle weights in place of the safetensors files. The one
loader, :meth:`socalign.train.model.AlignedVideoModel.load`, runs them before it reads a
weight.

Importing this module does not import torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from socalign.train.checkpoint import RunFileError, read_json
from socalign.train.config import TrainConfig
from socalign.train.identity import RunMismatchError
from socalign.train.runfiles import (
    ADAPTER_CONFIG_FILE,
    ADAPTER_FIELDS,
    ADAPTER_FILE,
    BACKBONE_DIR,
    BEST_FILE,
    CONFIG_FILE,
    EXPORT_FIELDS,
    EXPORT_MARKER,
    HEAD_CONFIG_FILE,
    HEAD_FIELDS,
    HEAD_FILE,
    MODEL_DIR,
    MODEL_FILES,
    REPORT_FILE,
    RUN_CONFIG_FILE,
    RUN_RECORD,
    is_export,
    read_marker,
    read_run_marker,
)

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
"""Weight files written by ``torch.save`` or pickle: never loaded (they can run code)."""

__all__ = ["MODEL_FILES", "PICKLE_SUFFIXES", "SavedModel", "adapter_shapes", "check_model_files",
           "hidden_of", "model_record", "refuse_pickles"]


def _one_line(err: Any) -> str:
    """A message folded into one line."""
    return " ".join(str(err).split())


def _tensor_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Each tensor's shape in a safetensors file, from its header (nothing is unpickled)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            return {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}
    except Exception as err:  # safetensors raises its own error type for bad bytes
        raise RunFileError(path, f"unreadable safetensors file ({type(err).__name__}: "
                           f"{_one_line(err)})") from None


def refuse_pickles(folder: Path, name: str) -> Path:
    """``folder / name`` (a safetensors file), refusing pickle weights found in its place.

    Parameters
    ----------
    folder : Path
        A saved model's folder.
    name : str
        The safetensors file it must hold.

    Returns
    -------
    Path
        The file.

    Raises
    ------
    RunFileError
        The file is missing and ``folder`` holds pickle weights (``.bin``, ``.pt``, ...), which
        are never loaded because unpickling can run code.
    FileNotFoundError
        The file is missing (and no pickle weights are there).
    """
    path = folder / name
    if path.is_file():
        return path
    pickles = sorted(p.name for p in folder.glob("*") if p.suffix in PICKLE_SUFFIXES) \
        if folder.is_dir() else []
    if pickles:
        raise RunFileError(folder / pickles[0], f"pickle weights, which socalign never loads "
                           f"(unpickling can run code); {name} is missing from {folder}")
    raise FileNotFoundError(2, f"{path} not found: not a complete saved model", str(path))


def adapter_shapes(trainable: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """The adapter tensors' shapes by their key in :data:`ADAPTER_FILE`, from a training state.

    Parameters
    ----------
    trainable : mapping
        A state's ``trainable`` tensors (``best.safetensors``), named as in the model
        (``backbone.base_model.model.<module>.lora_A.default.weight``).

    Returns
    -------
    dict
        ``base_model.model.<module>.lora_A.weight`` -> shape, as peft saves them.
    """
    out = {}
    for name, value in trainable.items():
        if name.startswith("backbone.") and ".lora_" in name and hasattr(value, "shape"):
            key = name[len("backbone."):].replace(".default.", ".")
            out[key] = tuple(int(n) for n in value.shape)
    return out


def _check_against_base(base: Any, key: str, shape: tuple[int, ...], rank: int,
                        path: Path) -> None:
    """Refuse an adapter tensor whose module is not in ``base`` or does not fit its sizes."""
    module_path = key.split(".lora_")[0].removeprefix("base_model.model.")
    try:
        module = base.get_submodule(module_path)
    except AttributeError:
        raise RunMismatchError(path, f"tensor {key!r}: the backbone has no module "
                               f"{module_path!r}", key) from None
    inputs, outputs = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if inputs is None or outputs is None:
        return
    wanted = (rank, int(inputs)) if ".lora_A." in key else (int(outputs), rank)
    if shape != wanted:
        raise RunMismatchError(path, f"tensor {key!r} has shape {list(shape)}, the backbone's "
                               f"module and r = {rank} need {list(wanted)}", key)


def model_record(marker: Mapping[str, Any]) -> dict[str, Any]:
    """What a run's ``config.json`` says its saved model must be (for :func:`check_model_files`).

    Parameters
    ----------
    marker : mapping
        The run's ``config.json`` (or an export's ``run_config.json``).

    Returns
    -------
    dict
        ``r``, ``alpha``, ``targets`` (None when the run did not record them), ``dim``,
        ``dropout`` (the head's) and ``run_id`` (None for a run older than the record).
    """
    config = TrainConfig.from_dict(marker["train"])
    targets = marker.get("lora_targets")
    identity = marker.get(RUN_RECORD) or {}
    return {"r": config.lora_r, "alpha": config.lora_alpha,
            "targets": None if targets is None else sorted(targets),
            "dim": config.head_dim, "dropout": config.head_dropout,
            "run_id": identity.get("run_id")}


def check_model_files(folder: Path, record: Mapping[str, Any] | None,
                      record_file: Path | str | None, hidden: int | None = None,
                      shapes: Mapping[str, tuple[int, ...]] | None = None,
                      base: Any = None) -> dict[str, Any]:
    """Check a saved model (adapters + head) against the run's record; nothing is loaded.

    Parameters
    ----------
    folder : Path
        The folder holding :data:`MODEL_FILES` (a run's ``model/`` or an exported folder).
    record : mapping or None
        :func:`model_record` of the run's configuration; None for a saved model without a
        run (its files are checked against each other only).
    record_file : path-like or None
        The file the record comes from (named in messages).
    hidden : int or None, default None
        The backbone's hidden size, when known (the head's input).
    shapes : mapping or None, default None
        Every adapter tensor's shape by its key, as the run trained it
        (:func:`adapter_shapes` of its ``best.safetensors``); None: not compared.
    base : torch.nn.Module or None, default None
        The pretrained backbone, when loaded: each adapter's module must be in it, with the
        input and output sizes its tensors have.

    Returns
    -------
    dict
        ``head.json``.

    Raises
    ------
    RunFileError
        Naming the file and field that disagrees with the record (rank, alpha, target
        modules, a tensor's shape, the head's dimensions, the run id), a malformed file, or
        pickle weights in place of the safetensors file.
    FileNotFoundError
        A file is missing.
    """
    adapter_path = folder / ADAPTER_CONFIG_FILE
    adapter = read_json(adapter_path, ADAPTER_FIELDS)
    weights = refuse_pickles(folder, ADAPTER_FILE)
    head_weights = refuse_pickles(folder, HEAD_FILE)
    head_path = folder / HEAD_CONFIG_FILE
    head = read_json(head_path, HEAD_FIELDS)
    own = {"r": adapter["r"], "alpha": adapter["lora_alpha"], "targets": None,
           "dim": head["dim"], "dropout": head["dropout"], "run_id": None}
    record = own if record is None else record
    record_file = record_file if record_file is not None else adapter_path

    def differs(path: Path, field: str, found: Any, wanted: Any) -> RunMismatchError:
        return RunMismatchError(path, f"{field} {found!r} differs from the run's record "
                                f"{wanted!r} ({record_file})", field)

    if adapter.get("peft_type", "LORA") != "LORA":
        raise differs(adapter_path, "peft_type", adapter["peft_type"], "LORA")
    if adapter["r"] != record["r"]:
        raise differs(adapter_path, "r", adapter["r"], record["r"])
    if adapter["lora_alpha"] != record["alpha"]:
        raise differs(adapter_path, "lora_alpha", adapter["lora_alpha"], record["alpha"])
    for key in ("rank_pattern", "alpha_pattern"):
        if adapter.get(key):
            raise differs(adapter_path, key, adapter[key], {})
    targets = adapter["target_modules"]
    targets = sorted([targets] if isinstance(targets, str) else targets)
    if record.get("targets") is not None and targets != record["targets"]:
        raise differs(adapter_path, "target_modules", targets, record["targets"])
    rank = record["r"]
    found = _tensor_shapes(weights)
    if shapes is not None:
        missing = sorted(set(shapes) - set(found))
        if missing:
            raise RunMismatchError(weights, f"tensor {missing[0]!r} is missing (the run trained "
                                   f"{len(shapes)} adapter tensors)", missing[0])
    for key, shape in found.items():
        if shapes is not None and key not in shapes:
            raise RunMismatchError(weights, f"tensor {key!r} is not one the run trained", key)
        if shapes is not None and tuple(shapes[key]) != shape:
            raise RunMismatchError(weights, f"tensor {key!r} has shape {list(shape)}, the run "
                                   f"trained {list(shapes[key])}", key)
        if base is not None:
            _check_against_base(base, key, shape, rank, weights)
        module = key.split(".lora_")[0]
        if ".lora_" not in key or not any(module == t or module.endswith("." + t)
                                          for t in targets):
            raise RunMismatchError(weights, f"tensor {key!r} is not a LoRA weight of the "
                                   f"target modules {targets}", key)
        bad = (len(shape) != 2 or (".lora_A." in key and shape[0] != rank)
               or (".lora_B." in key and shape[1] != rank))
        if bad:
            raise RunMismatchError(weights, f"tensor {key!r} has shape {list(shape)}, which "
                                   f"rank r = {rank} ({record_file}) does not allow", key)
    if head["dim"] != record["dim"]:
        raise differs(head_path, "dim", head["dim"], record["dim"])
    if head["dropout"] != record["dropout"]:
        raise differs(head_path, "dropout", head["dropout"], record["dropout"])
    if hidden is not None and head["hidden"] != hidden:
        raise RunMismatchError(head_path, f"hidden {head['hidden']} differs from the backbone's "
                               f"hidden size {hidden}", "hidden")
    if record.get("run_id") is not None and head.get("run_id") != record["run_id"]:
        raise RunMismatchError(head_path, f"run id {head.get('run_id')!r} is not this run's "
                               f"({record['run_id']!r}, {record_file}): the model belongs to "
                               "another run", "run_id")
    dim, width = head["dim"], head["hidden"]
    wanted = {"linear.weight": (dim, width), "linear.bias": (dim,), "norm.weight": (dim,),
              "norm.bias": (dim,)}
    shapes = _tensor_shapes(head_weights)
    for key, shape in wanted.items():
        if shapes.get(key) != shape:
            found = "missing" if key not in shapes else f"shape {list(shapes[key])}"
            raise RunMismatchError(head_weights, f"tensor {key!r}: {found}, not "
                                   f"{list(shape)} ({HEAD_CONFIG_FILE}: hidden {width}, dim {dim})",
                                   key)
    extra = sorted(set(shapes) - set(wanted))
    if extra:
        raise RunMismatchError(head_weights, f"unknown tensor {extra[0]!r}", extra[0])
    return head


def hidden_of(base: Any, spec: Any) -> int | None:
    """A loaded backbone's hidden size (the head's input), None when it does not say.

    Parameters
    ----------
    base : torch.nn.Module
        The backbone.
    spec : BackboneSpec or None
        Its spec (its ``hidden_size`` first, then the module's ``config.hidden_size``).

    Returns
    -------
    int or None
    """
    hidden = getattr(spec, "hidden_size", None) or getattr(getattr(base, "config", None),
                                                           "hidden_size", None)
    return int(hidden) if isinstance(hidden, int) and not isinstance(hidden, bool) else None


# --- where a saved model is, and which backbone it adapts --------------------------------------


@dataclass(frozen=True)
class SavedModel:
    """A saved fine-tuned model on disk: its files, the run's record of them, its backbone.

    Make one with :meth:`of`; :meth:`check` checks the files before anything is loaded.

    Attributes
    ----------
    folder : Path
        The folder given: a run folder, an exported folder, or a bare saved model.
    kind : {"run", "export", "plain"}
        Which of the three it is.
    weights : Path
        The folder holding :data:`MODEL_FILES` (a run's ``model/``; the folder itself else).
    record : dict or None
        :func:`model_record` of the run's configuration (None for a bare saved model).
    record_file : Path or None
        The file the record comes from.
    shapes : dict or None
        The adapter tensors' shapes the run trained (its ``best.safetensors``), when known.
    backbone : str or None
        The pretrained backbone to load (a name, a hub id or a folder; None for a bare saved
        model, whose backbone the caller passes).
    revision : str or None
        The hub commit (or revision) the backbone is pinned to.
    n_frames : int or None
        Frames per clip the model was trained with (None: the backbone's own).
    source : str or None
        An export's backbone source (``hub``, ``bundled`` or ``socalign``, the toy).
    backbone_files : dict or None
        The sha256 of the backbone's files an export records (its copy's, or the toy's).
    """

    folder: Path
    kind: Literal["run", "export", "plain"]
    weights: Path
    record: dict[str, Any] | None = None
    record_file: Path | None = None
    shapes: dict[str, tuple[int, ...]] | None = None
    backbone: str | None = None
    revision: str | None = None
    n_frames: int | None = None
    source: str | None = None
    backbone_files: dict[str, Any] | None = None

    @classmethod
    def of(cls, folder: Path | str, plain: bool = False) -> SavedModel:
        """Describe the saved model in ``folder``, reading its records (no weights).

        Parameters
        ----------
        folder : path-like
            A ``socalign finetune`` run folder, a folder ``socalign export`` wrote, or (with
            ``plain``) a folder :meth:`socalign.train.model.AlignedVideoModel.save` wrote.
        plain : bool, default False
            Accept a bare saved model (its backbone is the caller's).

        Returns
        -------
        SavedModel

        Raises
        ------
        ValueError
            ``folder`` is none of these, or an export names an unknown backbone source; or
            (:class:`RunFileError`) a malformed record, a malformed ``best.safetensors``, or
            an export whose marker disagrees with the run's record.
        FileNotFoundError
            A run without its saved model, or an export without its ``run_config.json``.
        """
        folder = Path(folder)
        if is_export(folder):
            return cls._of_export(folder)
        if folder.is_dir() and read_run_marker(folder) is not None:
            return cls._of_run(folder)
        if plain:
            return cls(folder, "plain", folder)
        raise ValueError(f"{folder} is neither a socalign finetune run folder ({CONFIG_FILE}) nor "
                         f"an exported model ({EXPORT_MARKER})")

    @classmethod
    def _of_run(cls, folder: Path) -> SavedModel:
        from socalign.train.checkpoint import check_trainable, load_state

        marker_path = folder / CONFIG_FILE
        marker = read_marker(marker_path)
        weights = folder / MODEL_DIR
        if not weights.exists():
            state = "finished" if (folder / REPORT_FILE).is_file() else "unfinished"
            raise FileNotFoundError(f"{weights} not found in the {state} run folder {folder}")
        shapes = None
        best = folder / BEST_FILE
        if best.is_file():
            shapes = adapter_shapes(check_trainable(load_state(best).get("trainable"), best))
        return cls(folder, "run", weights, model_record(marker), marker_path, shapes,
                   str(marker["backbone"]), None, TrainConfig.from_dict(marker["train"]).n_frames)

    @classmethod
    def _of_export(cls, folder: Path) -> SavedModel:
        info = read_json(folder / EXPORT_MARKER, EXPORT_FIELDS)
        record = info["backbone"]
        source = record.get("source")
        frames = info["spec"].get("n_frames")  # as trained (may differ from the base's)
        if frames is not None and (not isinstance(frames, int) or isinstance(frames, bool)):
            raise RunFileError(folder / EXPORT_MARKER, f"field 'spec.n_frames' must be an "
                               f"integer or null, got {frames!r}", "spec.n_frames")
        run_config = folder / RUN_CONFIG_FILE
        wanted = model_record(read_marker(run_config))
        for key, value in (("lora_targets", wanted["targets"]), ("head_dim", wanted["dim"])):
            have = info.get(key)
            have = sorted(have) if key == "lora_targets" and have is not None else have
            if have is not None and value is not None and have != value:
                raise RunMismatchError(folder / EXPORT_MARKER, f"{key} {have!r} differs from the "
                                       f"run's record {value!r} ({run_config})", key)
        revision = None
        if source == "hub":
            backbone, revision = str(record["name"]), record.get("commit") or record.get("revision")
        elif source == "bundled":
            backbone = str(folder / str(record.get("path", BACKBONE_DIR)))
        elif source == "socalign":
            backbone = str(record.get("name", "toy"))
        else:
            raise ValueError(f"{folder / EXPORT_MARKER}: unknown backbone source {source!r}")
        files = record.get("files")
        return cls(folder, "export", folder, wanted, run_config, None, backbone, revision, frames,
                   source, files if isinstance(files, dict) else None)

    def check(self, hidden: int | None = None, base: Any = None) -> dict[str, Any]:
        """Check the saved files against the run's record (:func:`check_model_files`).

        Before the backbone is loaded (no ``base``), an export's backbone is checked too: a
        bundled copy must have the sha256 of its files recorded in :data:`EXPORT_MARKER`,
        and a toy that differs from the recorded one is warned about.

        Parameters
        ----------
        hidden : int or None, default None
            The backbone's hidden size, once it is loaded (the head's input).
        base : torch.nn.Module or None, default None
            The pretrained backbone, once loaded (the adapters' modules and sizes).

        Returns
        -------
        dict
            ``head.json``.

        Raises
        ------
        FileNotFoundError, RunFileError
            As :func:`check_model_files`: a missing file, pickle weights in place of the
            safetensors, a field or tensor shape that disagrees with the record, or a
            bundled backbone copy whose files differ from the recorded ones.
        """
        head = check_model_files(self.weights, self.record, self.record_file, hidden,
                                 self.shapes, base)
        if base is None and self.backbone_files is not None:
            self._check_backbone_files()
        return head

    def _check_backbone_files(self) -> None:
        """An export's bundled backbone copy (refused) or toy (warned) unlike its record."""
        from socalign.models.embed import folder_files

        marker = self.folder / EXPORT_MARKER
        if self.source == "bundled" and folder_files(Path(str(self.backbone))) != \
                self.backbone_files:
            raise RunMismatchError(marker, f"the backbone copy {self.backbone} differs from the "
                                   "sha256 of its files recorded here (backbone.files)",
                                   "backbone.files")
        if self.source == "socalign":
            from socalign.models.toy import toy_backbone

            if self.backbone_files and \
                    folder_files(toy_backbone(str(self.backbone))) != self.backbone_files:
                import warnings

                warnings.warn(f"{self.folder}: the toy backbone here differs from the one this "
                              "model was trained on (another socalign version); its embeddings "
                              "will differ", stacklevel=4)
