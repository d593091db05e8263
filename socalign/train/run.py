"""Fine-tune a backbone on a benchmark's training judgments and report held-out alignment.

:func:`finetune` checks everything it can before any compute (configuration, dataset, splits,
video files, backbone, output folder), decodes the clips once (cached), trains with the chosen
trainer, and writes under ``out``: ``config.json``, ``metrics.csv``/``metrics.json`` (one row per
epoch), ``checkpoints/``, ``best.safetensors``, ``model/`` (peft adapters + head), ``embeddings_before.npz``
and ``embeddings_after.npz``, and ``report.json`` (held-out alignment before vs after). The
file names live in :mod:`socalign.train.runfiles`; :class:`socalign.train.runs.Run` reads
the folder back.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from socalign.cache import atomic_write_bytes
from socalign.metrics.resampling import stream
from socalign.train.checkpoint import RunFileError
from socalign.train.config import TrainConfig
from socalign.train.identity import check_identity, run_identity, run_lock
from socalign.train.report import FinetuneReport
from socalign.train.runfiles import (
    CHECKPOINTS_DIR,
    EMBEDDINGS_FILES,
    MODEL_DIR,
    REPORT_FILE,
    RUN_MARKER,
    RUN_RECORD,
    read_marker,
    read_run_marker,
    run_entries,
)

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

__all__ = ["Prepared", "check_captions", "check_out_folder",
           "check_same_run", "default_backbone", "embed_all", "finetune", "held_out_report",
           "prepare", "strict_json"]


def default_backbone(benchmark: Benchmark) -> str:
    """The video backbone fine-tuning uses when none is named: the dataset's own, as the
    dataset registry has it (:func:`socalign.data.registry.dataset_of`: SocialWorld's toy, the
    paper's TimeSformer for garcia2025 and any other benchmark).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark to fine-tune on.

    Returns
    -------
    str
        A backbone name (:func:`socalign.models.registry.get_spec` takes it).
    """
    from socalign.data.registry import dataset_of

    return dataset_of(benchmark).default_backbone


def check_out_folder(
    out: Path, resume: bool, start_if_missing: bool = False
) -> dict[str, Any] | None:
    """Refuse an output folder that fine-tuning would damage; nothing is written.

    Parameters
    ----------
    out
        The ``--out`` folder.
    resume
        Whether the run in ``out`` is to be continued.
    start_if_missing
        With ``resume``: start a new run when ``out`` is missing or empty instead of failing.

    Returns
    -------
    dict or None
        The marker of the run to resume (None for a new run), read strictly
        (:func:`socalign.train.runfiles.read_marker`).

    Notes
    -----
    A writer's lock file (:data:`socalign.train.runfiles.RUN_LOCK`) is not content: a folder that
    holds only that is empty.

    Raises
    ------
    FileExistsError
        ``out`` is a file, a non-empty folder socalign did not write (both
        :class:`socalign.outputs.OutputFolderError`, see :mod:`socalign.outputs`), a finished
        run, or (without ``resume``) an unfinished run.
    FileNotFoundError
        ``resume`` without a run in ``out`` (unless ``start_if_missing``).
    RunFileError
        ``resume`` with a run whose ``config.json`` is malformed (naming the field).
    """
    from socalign.outputs import folder_state, foreign_folder_error

    marker = read_run_marker(out) if out.is_dir() else None
    folder_state(out, lambda folder: marker is not None)  # a file is refused here
    if os.environ.get("RANK", "0") != "0":
        return None  # under accelerate only the main process judges (and then writes) the folder
    if marker is None:
        empty = not run_entries(out)
        if resume and not (start_if_missing and empty):
            raise FileNotFoundError(
                f"--resume: {out} holds no socalign run to resume (no run {RUN_MARKER}); "
                "drop --resume to start a new run"
            )
        if not empty:
            raise foreign_folder_error(out, "run", RUN_MARKER)
        return None
    if (out / REPORT_FILE).exists():
        raise FileExistsError(
            f"--out {out} holds a finished run ({REPORT_FILE}); it is left untouched: "
            "choose another --out"
        )
    if not resume:
        raise FileExistsError(
            f"--out {out} already holds an unfinished run; pass --resume or choose another --out"
        )
    return read_marker(out / RUN_MARKER)


def check_same_run(out: Path, marker: dict[str, Any], config: TrainConfig, backbone: str,
                   identity: dict[str, Any] | None = None) -> None:
    """Refuse to resume the run in ``out`` with other settings (before anything is written).

    The settings and the backbone's name are compared first; then, with ``identity``, the
    run's identity record (:func:`socalign.train.identity.check_identity`: the dataset's and the
    backbone's fingerprints, the seed and the random-stream rule). A run folder older than the
    record cannot be checked, so it is not resumed.

    Parameters
    ----------
    out : Path
        The run folder.
    marker : dict of str to Any
        Its ``config.json`` (see :func:`read_run_marker`).
    config : TrainConfig
        The settings asked for now.
    backbone : str
        The backbone asked for now (a folder matches its resolved path).
    identity : dict or None, default None
        The identity computed now (:func:`socalign.train.identity.run_identity`); None: not
        compared.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming the first setting that differs, the identity field that differs (another
        dataset, changed backbone weights), or a run that predates the identity record.
    """
    asked = json.loads(json.dumps(config.to_dict()))
    before = marker["train"]
    changed = sorted(k for k in set(asked) | set(before) if asked.get(k) != before.get(k))
    if changed:
        key = changed[0]
        raise ValueError(
            f"--resume: {out / RUN_MARKER} was written with another configuration ({key}: "
            f"{before.get(key)!r} there, {asked.get(key)!r} now); nothing was changed"
        )
    stored = marker["backbone"]
    if stored != backbone and Path(stored).resolve() != Path(backbone).resolve():
        raise ValueError(
            f"--resume: {out / RUN_MARKER} was written for backbone {stored!r}, not "
            f"{backbone!r}; nothing was changed"
        )
    if identity is None:
        return
    recorded = marker.get(RUN_RECORD)
    if recorded is None:
        raise RunFileError(
            out / RUN_MARKER, "--resume: the run predates socalign's run identity record (the "
            "dataset's and backbone's fingerprints), so it cannot be checked that the same data "
            "and weights are continued; start a new run in another --out; nothing was changed",
            RUN_RECORD)
    try:
        check_identity(recorded, identity, out / RUN_MARKER, run_id=False)
    except RunFileError as err:
        raise RunFileError(err.path, f"--resume: the run differs from what is asked now: "
                           f"{err.reason}; nothing was changed", err.field) from None


@dataclass(frozen=True)
class Prepared:
    """A run checked and ready: the benchmark, backbone name, and split indices."""

    benchmark: Any
    backbone: str
    train_split: str
    test_split: str
    data: Any
    resuming: bool = False
    identity: dict[str, Any] | None = None


def prepare(
    dataset: str | Path,
    out: Path | str,
    config: TrainConfig,
    backbone: str | None = None,
    resume: bool = False,
    train_split: str = "train",
    test_split: str = "test",
    start_if_missing: bool = False,
) -> Prepared:
    """Every check that can fail before compute, with a message naming what is wrong.

    The output folder is checked first (see :func:`check_out_folder`); nothing is written.

    Parameters
    ----------
    dataset : str or path-like
        The benchmark, as :func:`socalign.data.load_dataset` names it; its video files must
        all exist.
    out : path-like
        The run folder.
    config : TrainConfig
        The training settings (re-validated).
    backbone : str or None, default None
        The video backbone (None: :func:`default_backbone` of the benchmark).
    resume : bool, default False
        Continue the run in ``out`` (its settings must match, :func:`check_same_run`).
    train_split : str, default "train"
        The split trained on (it needs kept trials).
    test_split : str, default "test"
        The held-out split reported on (it needs kept trials).
    start_if_missing : bool, default False
        With ``resume``: start a new run when ``out`` is missing or empty instead of failing.

    Returns
    -------
    Prepared
        The benchmark, the backbone's name, the splits, the training set (fit and validation
        triplets, split with the run's ``"split"`` stream,
        :func:`socalign.metrics.resampling.stream`), whether a run
        is resumed, and the run's identity (:func:`socalign.train.identity.run_identity`: a new
        run id, or the resumed run's, whose record and newest checkpoint are checked). For the language-distilled loss (``distilled``) the training set's odd ones
        and fit and validation similarities are ``config.distill_model``'s
        (:func:`socalign.train.data.with_language_targets` of
        :func:`socalign.models.embed.embed_benchmark`, cached), so neither training nor
        validation sees people's choices; the held-out report is against people as always.

    Raises
    ------
    FileExistsError, FileNotFoundError, ValueError
        As :func:`check_out_folder` raises; a video file is missing; a split is absent or has
        no kept trials; the backbone is unknown; a resumed run's settings differ; or, for the
        distilled loss, ``distill_model`` is not a caption model or a video has no caption.
    """
    from socalign.data import load_dataset
    from socalign.models.registry import get_spec, is_video_model
    from socalign.train.data import make_training_set, with_language_targets

    TrainConfig.from_dict(config.to_dict())  # re-validate
    out = Path(out)
    stored = check_out_folder(out, resume, start_if_missing)
    benchmark = load_dataset(str(dataset))
    names = benchmark.videos.split_names
    for split in (train_split, test_split):
        if split not in names:
            raise ValueError(f"{benchmark.name}: no {split!r} split (the splits are {list(names)})")
    if len(benchmark.split_trials(train_split)) == 0:
        raise ValueError(f"{benchmark.name}: the {train_split!r} split has no kept trials")
    if len(benchmark.split_trials(test_split)) == 0:
        raise ValueError(f"{benchmark.name}: the {test_split!r} split has no kept trials")
    distilled = config.loss.targets == "captions"
    if distilled:
        check_captions(benchmark, config.distill_model)
    missing = [i for i, f in enumerate(benchmark.videos.files) if f is None or not Path(f).exists()]
    if missing:
        raise FileNotFoundError(
            f"{benchmark.name}: {len(missing)} video file(s) missing, first for video id "
            f"{benchmark.videos.ids[missing[0]]} ({benchmark.videos.files[missing[0]]}); "
            "fine-tuning needs the videos"
        )
    name = backbone or default_backbone(benchmark)
    if not is_video_model(name):
        raise ValueError(f"unknown backbone {name!r}: not a registered video model or model folder")
    get_spec(name)  # before any compute: an unknown name, or a toy that is not pretrained
    if stored is not None:
        check_same_run(out, stored, config, name)
        identity = run_identity(benchmark, name, config.seed,
                                run_id=(stored.get(RUN_RECORD) or {}).get("run_id") or "?")
        check_same_run(out, stored, config, name, identity)
        check_resume_checkpoint(out, config, identity["run_id"])
    else:
        identity = run_identity(benchmark, name, config.seed)
    trials = benchmark.split_trials(train_split)
    data = make_training_set(trials.triplets, trials.odd, benchmark.split_indices(train_split),
                             len(benchmark.videos), config.val_fraction,
                             stream(config.seed, "split"))
    if distilled:
        from socalign.models.embed import embed_benchmark

        data = with_language_targets(data, embed_benchmark(benchmark, config.distill_model))
    return Prepared(benchmark, name, train_split, test_split, data, stored is not None, identity)


def check_resume_checkpoint(out: Path, config: TrainConfig, run_id: str) -> None:
    """Check the newest checkpoint of a run to resume, before any compute (nothing written).

    Parameters
    ----------
    out : Path
        The run folder.
    config : TrainConfig
        The run's settings.
    run_id : str
        The run's id (its ``config.json`` record).

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming the checkpoint and field: malformed (:func:`socalign.train.checkpoint.check_state`;
        shapes are checked again against the model when training resumes), written with other
        settings, or by another run.
    """
    import warnings

    from socalign.train.checkpoint import CheckpointError, check_state, load_latest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a fallback is reported when training resumes
        found = load_latest(out / CHECKPOINTS_DIR)
    if found is None:
        return
    path, state = found
    check_state(state, path)
    if state["config"] != config.fingerprint():
        raise CheckpointError(f"--resume: {path} was written with another configuration than "
                              f"{out / RUN_MARKER}; nothing was changed")
    if state.get("run_id") != run_id:
        raise CheckpointError(f"--resume: {path}: run id {state.get('run_id')!r} is not this "
                              f"run's ({run_id!r}, {out / RUN_MARKER}): the checkpoint belongs "
                              "to another run; nothing was changed")


def check_captions(benchmark: Benchmark, model: str) -> None:
    """Refuse a language-distilled run that cannot get its targets (nothing is computed).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark to fine-tune on; every video needs at least one caption.
    model : str
        The caption model (``TrainConfig.distill_model``); it must be a language model.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        In one line naming the dataset: it has no captions, some of its videos have none, or
        ``model`` is not a caption (language) model.
    """
    from socalign.models.language import is_language_model

    if not is_language_model(model):
        raise ValueError(f"distill_model {model!r} is not a caption (language) model: use "
                         "minilm, tfidf, a sentence-transformers name or a model folder")
    captions = benchmark.videos.captions
    empty = [i for i, caps in enumerate(captions) if len(caps) == 0]
    if len(empty) == len(captions):
        raise ValueError(f"{benchmark.name}: the dataset has no captions; the distilled loss "
                         "takes its targets from a caption model")
    if empty:
        raise ValueError(f"{benchmark.name}: {len(empty)} of {len(captions)} videos have no "
                         f"caption (first: video id {benchmark.videos.ids[empty[0]]}); the "
                         "distilled loss needs a caption for every video")


def _inputs(clips: np.ndarray, spec: Any, budget_bytes: float = 2e9):
    """Preprocessed clips by row index: all at once when they fit ``budget_bytes``."""
    import torch

    from socalign.models.video import preprocess

    size = clips.shape[0] * spec.n_frames * 3 * spec.image_size**2 * 4
    if size <= budget_bytes:
        chunks = [preprocess(clips[i : i + 64], spec) for i in range(0, len(clips), 64)]
        every = torch.cat(chunks)
        return lambda idx: every[torch.as_tensor(np.asarray(idx))]
    return lambda idx: preprocess(clips[np.asarray(idx)], spec)


def embed_all(model: Any, inputs: Any, n: int, device: Any, batch: int = 32) -> np.ndarray:
    """(n, D) embeddings of every video with ``model`` (a callable; put it in eval mode first).

    Parameters
    ----------
    model : callable
        ``(B, T, 3, S, S) tensor -> (B, D) tensor``, called under ``torch.no_grad()``.
    inputs : callable
        Row indices -> preprocessed clips (B, T, 3, S, S).
    n : int
        The number of videos (rows 0..n-1).
    device : torch.device or str
        Where the clips are moved before ``model`` sees them.
    batch : int, default 32
        Videos per forward pass.

    Returns
    -------
    numpy.ndarray
        (n, D) float64.
    """
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, n, batch):
            idx = np.arange(start, min(n, start + batch))
            out.append(model(inputs(idx).to(device)).float().cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def held_out_report(
    benchmark: Benchmark, split: str, before: np.ndarray, after: np.ndarray, n_boot: int, seed: int
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Evaluations before and after on ``split`` and the paired bootstraps of the gain.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    split : str
        The held-out split.
    before, after : numpy.ndarray
        (N, D) embeddings of every video before and after fine-tuning (cosine similarity).
    n_boot : int
        Bootstrap resamples; 0: no intervals and no gain.
    seed : int
        The run's seed: each evaluation resamples from ``seed`` itself (as ``socalign
        evaluate --seed`` does), the gain from the run's ``"gain-bootstrap"`` stream
        (:func:`socalign.metrics.resampling.stream`).

    Returns
    -------
    (dict, dict, dict)
        ``before`` and ``after`` (:meth:`socalign.scoring.Evaluation.to_dict`) and ``gain``
        (:meth:`socalign.scoring.Comparison.to_dict` of after - before without its ``split``
        and ``difference`` entries; empty when ``n_boot`` is 0), as report.json stores them.
    """
    from socalign.scoring import compare, evaluate, model_similarity

    ev_before = evaluate(benchmark, split, embeddings=before, n_boot=n_boot, seed=seed)
    ev_after = evaluate(benchmark, split, embeddings=after, n_boot=n_boot, seed=seed)
    gain: dict[str, Any] = {}
    if n_boot:
        sim_after = model_similarity(benchmark, split, embeddings=after)
        sim_before = model_similarity(benchmark, split, embeddings=before)
        paired = compare(benchmark, split, sim_after, sim_before, n_boot,
                         stream(seed, "gain-bootstrap")).to_dict()
        gain = {key: paired[key] for key in ("spearman", "r2", "ooo_accuracy")}
    return ev_before.to_dict(), ev_after.to_dict(), gain


def finetune(
    dataset: str | Path,
    out: Path | str,
    config: TrainConfig,
    backbone: str | None = None,
    resume: bool = False,
    n_boot: int = 1000,
    progress: bool = True,
    accelerator: Any = None,
    on_step: Any = None,
    train_split: str = "train",
    test_split: str = "test",
    start_if_missing: bool = False,
) -> FinetuneReport:
    """Check, decode, train, and report; see the module docstring for what is written.

    With the language-distilled loss (``config.loss.kind == "distilled"``) training and
    validation use ``config.distill_model``'s targets (see :func:`prepare`), so the training
    result's validation Spearman is against the caption model's similarity; the held-out report
    is against people's judgments, as for every loss.

    Parameters
    ----------
    dataset : str or path-like
        The benchmark, as :func:`socalign.data.load_dataset` names it (its videos needed).
    out : path-like
        The run folder (missing or empty for a new run).
    config : TrainConfig
        The training settings.
    backbone : str or None, default None
        The video backbone (None: :func:`default_backbone` of the benchmark).
    resume : bool, default False
        Continue the run in ``out``; fails when there is none, unless ``start_if_missing``.
    n_boot : int, default 1000
        Bootstrap resamples of the held-out report (0: no intervals and no gain).
    progress : bool, default True
        Show training progress.
    accelerator : accelerate.Accelerator or None, default None
        The accelerator to train with (None: a new one, on the CPU unless CUDA is available).
    on_step : callable or None, default None
        Called as ``on_step(epoch, step)`` after each training step.
    train_split : str, default "train"
        The split trained on.
    test_split : str, default "test"
        The held-out split reported on.
    start_if_missing : bool, default False
        With ``resume``: a missing or empty ``out`` starts a new run.

    Returns
    -------
    FinetuneReport
        The held-out evaluations before and after, the paired gain and the training result
        (also written to ``out`` as report.json); on a process other than the main one, the
        training result only.

    Raises
    ------
    FileExistsError, FileNotFoundError, ValueError
        As :func:`prepare` raises, before any compute.
    socalign.train.identity.RunBusyError
        Another process is writing ``out`` (its lock, :func:`socalign.train.identity.run_lock`,
        is held): refused at once, nothing changed.
    """
    main_rank = os.environ.get("RANK", "0") == "0"  # under accelerate the main process locks
    with run_lock(out) if main_rank else contextlib.nullcontext():
        return _finetune_locked(dataset, out, config, backbone, resume, n_boot, progress,
                                accelerator, on_step, train_split, test_split, start_if_missing)


def _finetune_locked(
    dataset: str | Path, out: Path | str, config: TrainConfig, backbone: str | None,
    resume: bool, n_boot: int, progress: bool, accelerator: Any, on_step: Any,
    train_split: str, test_split: str, start_if_missing: bool,
) -> FinetuneReport:
    """:func:`finetune` while its process holds the run folder's lock."""
    from socalign.train.memory import recorded_batch
    from socalign.train.precision import make_accelerator, with_accelerator_precision

    accelerator = accelerator or make_accelerator(config.precision)  # auto: resolved here
    config = with_accelerator_precision(config, accelerator)
    if resume:
        config = recorded_batch(config, out)  # batch auto: the batch the run planned
    prepared = prepare(dataset, out, config, backbone, resume, train_split, test_split,
                       start_if_missing)
    identity = prepared.identity or {}
    import torch

    from socalign.models.video import forward_features, load_backbone
    from socalign.train.loop import fit
    from socalign.train.model import LoraSettings, build_model
    from socalign.video import load_clips

    out = Path(out)
    bench = prepared.benchmark
    main = accelerator.is_main_process
    module, spec = load_backbone(prepared.backbone, device="cpu", n_frames=config.n_frames)
    on_gpu = accelerator.device.type == "cuda"
    from socalign.train.memory import plan_config, shape_of

    # before any compute: the step fits the device's free memory (batch auto: lowered to fit)
    config = plan_config(config, shape_of(module.config, spec, config.lora_r, config.head_dim,
                                          tuple(spec.lora_targets) or None),
                         accelerator.device, checkpointing=on_gpu)
    clips = load_clips(list(bench.videos.files), spec.n_frames)
    inputs = _inputs(clips, spec)

    def features(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        return forward_features(model, spec, x)

    n = len(bench.videos)
    device = accelerator.device
    before = None
    if main:
        module.to(device).eval()
        before = embed_all(lambda x: features(module, x), inputs, n, device)
        module.to("cpu")
    data = prepared.data
    lora = LoraSettings(config.lora_r, config.lora_alpha, config.lora_dropout,
                        tuple(spec.lora_targets) or LoraSettings().targets)
    hidden = spec.hidden_size or int(module.config.hidden_size)
    model = build_model(module, hidden, lora, config.head_dim, config.head_dropout, features,
                        generator=torch.Generator().manual_seed(
                            int(stream(config.seed, "init").integers(2**63))),
                        gradient_checkpointing=on_gpu)
    if main and not prepared.resuming:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out / RUN_MARKER, json.dumps(
            {"dataset": str(dataset), "backbone": prepared.backbone, "train": config.to_dict(),
             "lora_targets": list(lora.targets),
             "fit_videos": bench.videos.ids[data.fit_videos].tolist(),
             "val_videos": bench.videos.ids[data.val_videos].tolist(),
             RUN_RECORD: identity}, indent=2).encode())
    result = fit(model, inputs, data, config, out, accelerator, resume, progress, on_step,
                 run_id=identity.get("run_id"))
    accelerator.wait_for_everyone()
    if not main:
        return FinetuneReport(str(dataset), prepared.backbone, prepared.test_split,
                              config.to_dict(), {}, {}, {}, result.to_dict())
    model.to(device).eval()
    after = embed_all(model, inputs, n, device)
    model.save(out / MODEL_DIR, {"backbone": prepared.backbone, "dataset": str(dataset),
                                 "run_id": identity.get("run_id")})
    from socalign.models.embeddings import save_embeddings

    save_embeddings(out / EMBEDDINGS_FILES["before"], bench.videos.ids, before, model="pretrained")
    save_embeddings(out / EMBEDDINGS_FILES["after"], bench.videos.ids, after, model="finetuned")
    ev_before, ev_after, gain = held_out_report(bench, prepared.test_split, before, after,
                                                n_boot, config.seed)
    report = FinetuneReport(str(dataset), prepared.backbone, prepared.test_split, config.to_dict(),
                            ev_before, ev_after, gain, result.to_dict(), identity)
    atomic_write_bytes(out / REPORT_FILE, strict_json(report.to_dict()).encode())
    return report


def strict_json(value: Any) -> str:
    """``value`` as strict JSON (indented): numpy values converted, NaN and infinities as null.

    Parameters
    ----------
    value
        Nested dicts/lists of numbers, strings, numpy scalars and arrays, and paths.

    Returns
    -------
    str
        JSON that every parser accepts (no bare ``NaN``).
    """
    from socalign.jsonable import to_jsonable

    return json.dumps(to_jsonable(value), indent=2, allow_nan=False, default=_json_default)


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays for json.dumps."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-able: {type(value).__name__}")

