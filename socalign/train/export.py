"""Sharing a run: the exported model folder, its model card, and loading a model in one call.

:func:`export_run` writes a finished run as a folder others can load: the peft adapters and
the head at its root (so ``peft`` reads it as it is), the backbone's name and revision (or, for
a local checkpoint, a copy of it under ``backbone/``) in the marker
(:data:`socalign.train.runfiles.EXPORT_MARKER`), the run's configuration and report, and a
model card (``README.md``, :func:`model_card`) filled from the report. socalign itself
uploads nothing. :func:`load_aligned` returns the fine-tuned model from a run folder, an
exported folder or a hub repository holding one; the loading itself is
:meth:`socalign.train.model.AlignedVideoModel.load`.

Importing this module does not import torch; :func:`load_aligned` does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from socalign.train.checkpoint import read_json
from socalign.train.identity import backbone_record
from socalign.train.runfiles import (
    ADAPTER_CONFIG_FILE,
    ADAPTER_FIELDS,
    BACKBONE_DIR,
    CARD_FILE,
    EXPORT_FORMAT,
    EXPORT_MARKER,
    HEAD_CONFIG_FILE,
    HEAD_FIELDS,
    HISTORY_FILE,
    MODEL_FILES,
    REPORT_FILE,
    RUN_CONFIG_FILE,
    is_export,
)
from socalign.train.runs import Run

_TEMPLATE_TEXT = "More Information Needed"


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
    head = read_json(run.model_dir / HEAD_CONFIG_FILE, HEAD_FIELDS)
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
        (f"- Seed: {config.seed}; the fit/validation split, each epoch's batches, the "
         "initialisation, dropout and the gain's bootstrap each draw from a stream of their "
         "own, derived from the seed and the stream's name (socalign's random-stream rule "
         f"{(run.identity or {}).get('stream_rule')}); the held-out intervals resample from the "
         "seed itself." if (run.identity or {}).get("stream_rule") is not None else
         f"- Seeds: {config.seed} (initialisation and batches), [{config.seed}, 1] "
         f"(fit/validation split of the training videos), {config.seed} (bootstrap)."),
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
    RunFileError
        A file of the run is malformed or belongs to another run (:meth:`Run.verify`).
    socalign.outputs.OutputFolderError
        ``out`` is a file or a non-empty folder (left untouched).
    """
    from socalign.cache import atomic_write_text, staged_folder
    from socalign.models.hub import split_revision
    from socalign.models.registry import get_spec, with_frames
    from socalign.outputs import check_output_folder

    run = run if isinstance(run, Run) else Run.open(run)
    if not run.finished:
        raise FileNotFoundError(f"{run.report_path} not found: the run in {run.path} is not "
                                "finished (export needs its report)")
    for name in MODEL_FILES:
        run._need(run.model_dir / name)
    run.verify()
    out = check_output_folder(out, "exported model", EXPORT_MARKER, is_export)
    record = backbone_record(run.backbone)
    spec = with_frames(get_spec(run.backbone), run.config.n_frames)
    dataset_name, ceilings = _benchmark_facts(run, ceiling)
    with staged_folder(out) as stage:
        for name in MODEL_FILES:
            shutil.copy2(run.model_dir / name, stage / name)
        adapter = read_json(stage / ADAPTER_CONFIG_FILE, ADAPTER_FIELDS)
        if record["source"] == "hub":
            adapter["base_model_name_or_path"] = record["name"]
            adapter["revision"] = record.get("commit") or record["revision"]
        else:
            adapter["base_model_name_or_path"] = (
                BACKBONE_DIR if record["source"] == "bundled" else "toy")
        atomic_write_text(stage / ADAPTER_CONFIG_FILE, json.dumps(adapter, indent=2) + "\n")
        head = read_json(stage / HEAD_CONFIG_FILE, HEAD_FIELDS)
        head["backbone"] = record["name"]
        head["dataset"] = dataset_name or Path(str(head.get("dataset", run.dataset))).name
        atomic_write_text(stage / HEAD_CONFIG_FILE, json.dumps(head, indent=2) + "\n")
        if record["source"] == "bundled":
            source = Path(split_revision(run.backbone)[0]).expanduser()
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



def load_aligned(source: Path | str, device: str | None = "cpu",
                 revision: str | None = None) -> Any:
    """A fine-tuned model in one call: the backbone with its adapters and head, in eval mode.

    The folder (downloaded first for a hub id) is loaded by the one loader,
    :meth:`socalign.train.model.AlignedVideoModel.load`; ``source`` is set to the name given.

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
        A folder that is neither a run nor an export, a hub repository without an export; or
        (:class:`socalign.train.checkpoint.RunFileError`) a saved
        model that disagrees with the run's own record (``adapter_config.json``'s rank, alpha
        or target modules, a tensor's shape, ``head.json``'s dimensions or run id), a
        malformed JSON file, or pickle weights (``.bin``, ``.pt``) in place of the safetensors
        files, which are never loaded. Nothing is loaded before these checks pass.
    """
    from socalign.models.hub import download_snapshot, is_hub_id, split_revision, with_revision
    from socalign.train.model import AlignedVideoModel

    name = str(source)
    path = Path(name).expanduser()
    if path.is_dir():
        if revision is not None:
            raise ValueError(f"revision applies to a hub repository id, not to the folder {path}")
        folder = path
    elif is_hub_id(name):
        repo, pinned = split_revision(with_revision(name, revision) if revision else name)
        folder = download_snapshot(repo, pinned)
        if not is_export(folder):
            raise ValueError(f"{repo}: the repository holds no {EXPORT_MARKER}; it is not a model "
                             "socalign export wrote")
    else:
        raise FileNotFoundError(f"{name}: no such folder, and not a hub repository id "
                                "(owner/name)")
    model = AlignedVideoModel.load(folder, device)
    model.source = name
    return model
