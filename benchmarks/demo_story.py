"""The paper's story on the default demo, rung by rung: calibration floors, then the outcomes.

Runs on the ``demo`` profile (SocialWorld, the toy backbones, MiniLM and TF-IDF; the book's
cached runs are reused, so after ``make book`` this takes a minute or two). Two kinds of rung:

* **floors** — the demo's *inputs*, calibrated to what the paper measured before any
  fine-tuning (``socalign.data.socialworld.calibration``): the frozen toy sees the agents
  (held-out ridge probes of distance, speed, approach and facing, r >= 0.8); MiniLM reaches
  20-35% of the R² ceiling (garcia2025: 29%); the pretrained toy's test R² is 0.5-1.0 times the
  best caption model's (the paper: TimeSformer 0.102 against MPNet 0.134, 0.76), above the
  pixel baseline (paired interval above 0), and its pair-rule OOO accuracy above chance is at
  least half the caption model's (the paper: 0.136 against 0.204); reported beside them, the
  same inputs on the train videos, what reference features reach (the interaction type, the
  eight rated attributes, the oracle) and how far a video's captions agree beyond two videos',
  each with garcia2025's figure where one exists;
* **reported** — the *outcomes*, measured with no floor (the calibration must not be tuned
  towards them): the modality gap; fine-tuning (hybrid, seeds 0-2) and the paper v2's controls
  (triplet-only, RSA-only, budget-matched triplet, language-distilled), above all "did people's
  judgments beat the captions' geometry?" (hybrid against language-distilled, paired over test
  videos and pooled over seeds); the profile's other backbone families (``other_video_models``,
  ``toy-videomae``, joint space-time attention over tubelets) pretrained, fine-tuned and
  language-distilled; what changed (variance
  partitioning, the paper's five attribute probes, the rollout mass on the agents, action
  retention).

Usage: ``python benchmarks/demo_story.py [--json] [--record] [--seeds 0,1,2] [--seed WORLD]``; ``--seed``
builds (and fine-tunes on) a SocialWorld of another seed, as a new user would. ``--worlds 0-7``
measures the inputs alone on several worlds (about a dozen seconds a world once it is built
and embedded): the test split's 330-390 trials make its floors noisy, so one world meeting them
says less than how often they are met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from socalign.train.kinds import DEFAULT_LOSS, LOSSES

CONTROLS = tuple(kind for kind in LOSSES if kind != DEFAULT_LOSS)  # every other kind of the table
RESULTS = Path(__file__).resolve().parent / "results"  # where --record writes
SECOND_FAMILY = "toy-videomae"  # the demo's second family (socalign.models.toy.TOYS)
WORLDS_RECORD = "demo_story_worlds"  # the --worlds record's name (a README block of its own)


@dataclass(frozen=True)
class Rung:
    """One measured claim: its value, and for a floor the floor and whether it is met
    (``passed`` is None for a reported outcome)."""

    rung: str
    claim: str
    measured: str
    floor: str
    passed: bool | None
    value: float | None = None  # the measured number, where one number is measured (for --worlds)


def interval(d: dict[str, Any]) -> str:
    """'estimate [low, high]' at three significant digits."""
    return f"{d['estimate']:.3g} [{d['low']:.3g}, {d['high']:.3g}]"


def reported(rung: str, claim: str, measured: str, value: float | None = None) -> Rung:
    """An outcome, measured with no floor."""
    return Rung(rung, claim, measured, "reported", None, value)


@dataclass
class Inputs:
    """The demo's inputs on one world: the rungs measured before any fine-tuning, and what the
    outcome rungs go on with."""

    settings: Any
    root: Path
    bench: Any
    backbone: str
    frames: int
    captions: dict[str, np.ndarray]
    calibration: Any  # the test split's video_calibration
    rungs: list[Rung]
    detail: dict[str, Any]


def measure_inputs(settings: Any) -> Inputs:
    """Rungs 1-3 on the settings' world: perception and calibration floors, the same inputs on
    the train videos, what reference features reach (the interaction type alone, the eight rated
    attributes alone beside the paper's figure, the oracle; reported) and the modality gap."""
    from socalign.analyses.gap import model_embeddings, run_gap
    from socalign.analyses.perception import perception_probes
    from socalign.book.artifacts import socialworld_benchmark, video_model
    from socalign.data import load_dataset
    from socalign.data.socialworld.calibration import (
        GARCIA2025_ATTRIBUTES,
        GARCIA2025_CAPTION_AGREEMENT,
        GARCIA2025_CAPTIONS,
        TARGETS,
        attribute_reach,
        caption_agreement,
        minilm_r2_share,
        video_calibration,
    )
    from socalign.data.socialworld.features import oracle_features
    from socalign.models.language import encode_captions

    root = socialworld_benchmark(settings)
    bench = load_dataset(root)
    backbone = video_model(settings)
    rungs: list[Rung] = []
    detail: dict[str, Any] = {"dataset": str(root), "world_seed": settings.socialworld["seed"],
                              "backbone": backbone}
    frames = settings.train_config().n_frames

    # 1. perception (floors)
    frozen = model_embeddings(bench, backbone, n_frames=frames)
    perception = perception_probes(bench, frozen)
    detail["perception"] = perception.to_dict()
    for measure, floor in perception.floor.items():
        rungs.append(Rung("1 perception", f"frozen toy encodes {measure}", f"r = {perception.r[measure]:.3g}",
                          f">= {floor}", perception.floor_met[measure], float(perception.r[measure])))

    # 2. calibration of the inputs (floors)
    calibration = bench.metadata["calibration"]
    share = minilm_r2_share(calibration["scores"], calibration["split_half"])
    lo, hi = TARGETS["minilm_share_of_r2_ceiling"]
    rungs.append(Rung("2 calibration", "MiniLM test R² / R² ceiling", f"{share:.3g}", f"{lo}-{hi}",
                      bool(lo <= share <= hi), share))
    captions = {m: model_embeddings(bench, m) for m in settings.language_models}
    inputs = video_calibration(bench, frozen, captions, n_boot=settings.n_boot, seed=0)
    detail["video_calibration"] = inputs.to_dict()
    for row in inputs.to_frame().itertuples(index=False):
        rungs.append(Rung("2 calibration", f"pretrained toy: {row.input} ({inputs.caption})", row.measured,
                          row.target, bool(row.met), float(row.value)))
    # The same inputs on the train videos (reported): no frozen model saw either split, and the
    # train split's 200 videos measure R² with about half the test split's spread.
    train_share = minilm_r2_share(calibration["scores"], calibration["split_half"], split="train")
    paper = GARCIA2025_CAPTIONS["train"]
    rungs.append(reported("2 calibration", "train videos: MiniLM R² / R² ceiling",
                          f"{train_share:.3g} (garcia2025 {paper['minilm'] / paper['r2_ceiling']:.3g})",
                          train_share))
    on_train = video_calibration(bench, frozen, captions, split="train", n_boot=settings.n_boot, seed=0)
    detail["video_calibration_train"] = on_train.to_dict()
    for row in on_train.to_frame().itertuples(index=False):
        rungs.append(reported("2 calibration", f"train videos: pretrained toy: {row.input} ({on_train.caption})",
                              row.measured, float(row.value)))
    if {"tfidf", "minilm"} <= set(captions):
        ratio = on_train.scores["tfidf"]["r2"] / on_train.scores["minilm"]["r2"]
        rungs.append(reported("2 calibration", "train videos: TF-IDF R² / MiniLM R²",
                              f"{ratio:.3g} (garcia2025 {paper['tfidf'] / paper['minilm']:.3g})", ratio))
    # What a description could reach (reported): the interaction type alone (all a caption naming
    # only the action carries), the eight rated attributes alone (equal weights, as on the paper's
    # data, where people's similarity rests far less on them) and every latent feature; each over
    # the train split's own ceiling, as the paper's figure is (attribute_reach).
    reach = attribute_reach(bench, "train", captions={"types": oracle_features(bench, "types"),
                                                      "all": oracle_features(bench)})["share"]
    on_paper = GARCIA2025_ATTRIBUTES["train"] / paper["r2_ceiling"]
    for key, name, text in (
            ("types", "the interaction type alone", f"{reach['types']:.3g}"),
            ("attributes", "the eight rated attributes alone", f"{reach['attributes']:.3g} (garcia2025 {on_paper:.3g})"),
            ("all", "every latent feature (the oracle)", f"{reach['all']:.3g}")):
        rungs.append(reported("2 calibration", f"train videos: {name}, R² / R² ceiling", text, reach[key]))
    # How far a video's captions agree beyond two videos' (reported), in each caption model that
    # the paper's captions were measured with: what the captions carry of each video at all.
    for model, on_paper in GARCIA2025_CAPTION_AGREEMENT.items():
        if model in captions:
            agree = caption_agreement(bench.videos.captions, partial(encode_captions, model=model))["agreement"]
            label = {"minilm": "MiniLM", "tfidf": "TF-IDF"}[model]
            rungs.append(reported("2 calibration", f"captions of one video agree beyond two videos', {label} "
                                  f"(garcia2025 {on_paper:#.3g})", f"{agree:.3g}", agree))

    # 3. the modality gap (reported)
    gap = run_gap(bench, models=["toy", *settings.language_models], n_boot=settings.n_boot, seed=0)
    detail["gap"] = gap.to_dict()
    paired = gap.paired.get("language_vs_video") or {}
    if paired:
        rungs.append(reported("3 gap", f"paired R² difference, {paired['language']} - {paired['video']}",
                              interval(paired["r2"]), paired["r2"]["estimate"]))
    return Inputs(settings, root, bench, backbone, frames, captions, inputs, rungs, detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="fine-tuning seeds (default 0,1,2)")
    parser.add_argument("--seed", type=int, default=None,
                        help="SocialWorld's world seed (default: the demo profile's, 0)")
    parser.add_argument("--inputs-only", action="store_true",
                        help="stop after the floors (perception and calibration) and the gap: no "
                             "fine-tuning (a minute, where the outcomes train 16 runs)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--record", action="store_true",
                        help="also write the JSON to benchmarks/results/demo_story_world<SEED>.json, "
                             "where scripts/readme_figures.py reads the README's figures")
    parser.add_argument("--worlds", default=None,
                        help="measure the inputs (as --inputs-only) on several world seeds, e.g. 0-7 or "
                             "0,1,5, and print how often each floor is met; --record writes "
                             f"benchmarks/results/{WORLDS_RECORD}.json")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    try:
        worlds = parse_worlds(args.worlds) if args.worlds is not None else []
    except ValueError as err:
        parser.error(f"argument --worlds: {err}")  # one line, exit 2

    from socalign.analyses.controls import compare_runs
    from socalign.analyses.gap import model_embeddings
    from socalign.analyses.partition import partition_benchmark
    from socalign.analyses.perception import perception_probes
    from socalign.analyses.probes import probe_change
    from socalign.analyses.retention import action_retention
    from socalign.analyses.rollout import benchmark_rollout
    from socalign.book.artifacts import action_set, finetuned_run, merged_backbone, video_model
    from socalign.data.socialworld.calibration import video_calibration
    from socalign.models.embeddings import load_embeddings
    from socalign.profiles import profile_settings
    from socalign.train.report import FinetuneReport

    began = time.perf_counter()
    if worlds:
        return across_worlds(worlds, began, args.json, args.record)
    overrides = {} if args.seed is None else {"socialworld": {"seed": args.seed}}
    settings = profile_settings("demo", **overrides)
    measured = measure_inputs(settings)
    root, bench, backbone, frames = measured.root, measured.bench, measured.backbone, measured.frames
    rungs, detail, captions, inputs = measured.rungs, measured.detail, measured.captions, measured.calibration
    detail["seeds"] = seeds
    if args.inputs_only:
        return finish(rungs, detail, settings, began, args.json, args.record)

    # 4. fine-tuning and the controls (reported)
    kinds = ("hybrid", *CONTROLS)
    reports = {(kind, seed): FinetuneReport.read(finetuned_run(settings, root, loss=kind, seed=seed))
               for kind in kinds for seed in seeds}
    detail["finetune"] = {f"{k}/{s}": {"before": r.before["r2"], "after": r.after["r2"],
                                       "gain": r.gain["r2"], "ooo_before": r.before["ooo_accuracy"],
                                       "ooo_after": r.after["ooo_accuracy"],
                                       "best_epoch": r.training["best_epoch"]}
                          for (k, s), r in reports.items()}
    hybrid = [reports[("hybrid", s)] for s in seeds]
    for seed, r in zip(seeds, hybrid, strict=True):
        rungs.append(reported("4 fine-tuning", f"hybrid seed {seed}: R² gain", interval(r.gain["r2"])))
    best_caption = inputs.caption
    caption_r2 = inputs.scores[best_caption]["r2"]
    for kind in kinds:
        after = float(np.mean([reports[(kind, s)].after["r2"] for s in seeds]))
        pair = float(np.mean([reports[(kind, s)].after["ooo_accuracy"]["pair"] for s in seeds]))
        rungs.append(reported("4 fine-tuning", f"{kind}: mean test R² / OOO (pair) after",
                              f"{after:.3g} / {pair:.3g} (best caption {best_caption}: {caption_r2:.3g})"))
    versus = compare_runs(bench, [finetuned_run(settings, root, loss="hybrid", seed=s) for s in seeds],
                          [finetuned_run(settings, root, loss="distilled", seed=s) for s in seeds],
                          labels=("hybrid", "distilled"), n_boot=settings.n_boot, seed=0)
    detail["judgments_vs_language"] = versus.to_dict()
    rungs.append(reported("4 controls", "people's judgments vs the captions' geometry: R² hybrid - distilled",
                          interval(versus.r2_difference)))
    rungs.append(reported("4 controls", "same, OOO accuracy (pair rule)", interval(versus.ooo_difference)))

    # 5. the profile's other backbone families (reported)
    if not settings.other_video_models:
        rungs.append(reported("5 other families", "backbones beside the toy TimeSformer",
                              f"none in the profile (the demo's is {SECOND_FAMILY})"))
    detail["other_families"] = {}
    for other in settings.other_video_models:
        own = replace(settings, video_model=other)
        other_frozen = model_embeddings(bench, video_model(own), n_frames=frames)
        other_perception = perception_probes(bench, other_frozen)
        rungs.append(reported("5 other families", f"{other} frozen: perception probes, r",
                              ", ".join(f"{m} {other_perception.r[m]:.3g}" for m in other_perception.floor)))
        other_inputs = video_calibration(bench, other_frozen, captions, n_boot=settings.n_boot, seed=0)
        rungs.append(reported("5 other families", f"{other} pretrained: R² / caption R²",
                              f"{other_inputs.scores['video']['r2']:.3g} / {caption_r2:.3g} = "
                              f"{other_inputs.share:.3g}"))
        other_runs = {kind: [finetuned_run(own, root, loss=kind, seed=s) for s in seeds]
                      for kind in ("hybrid", "distilled")}
        for seed, run in zip(seeds, other_runs["hybrid"], strict=True):
            rungs.append(reported("5 other families", f"{other} hybrid seed {seed}: R² gain",
                                  interval(FinetuneReport.read(run).gain["r2"])))
        for kind, runs in other_runs.items():
            after = [FinetuneReport.read(r).after["r2"] for r in runs]
            rungs.append(reported("5 other families", f"{other} {kind}: mean test R² after", f"{np.mean(after):.3g}"))
        other_versus = compare_runs(bench, other_runs["hybrid"], other_runs["distilled"],
                                    labels=("hybrid", "distilled"), n_boot=settings.n_boot, seed=0)
        detail["other_families"][other] = {"perception": other_perception.to_dict(),
                                           "calibration": other_inputs.to_dict(),
                                           "judgments_vs_language": other_versus.to_dict()}
        rungs.append(reported("5 other families", f"{other}: R² hybrid - distilled",
                              interval(other_versus.r2_difference)))

    # 6. what changed (the seed-0 hybrid run, as chapters 4 and 5; reported)
    run = finetuned_run(settings, root, loss="hybrid", seed=seeds[0])
    language_model = settings.language_models[0]
    before = load_embeddings(run / "embeddings_before.npz", bench.videos)
    after = load_embeddings(run / "embeddings_after.npz", bench.videos)
    parts = {name: partition_benchmark(bench, [str(run / f"embeddings_{when}.npz"), language_model],
                                       split="test", n_boot=settings.n_boot, seed=0,
                                       names=["video", "language"]).to_frame()
             for name, when in (("pretrained", "before"), ("fine-tuned", "after"))}

    def component(name: str, kind: str, start: str) -> Any:
        frame = parts[name]
        return frame[(frame["kind"] == kind) & frame["component"].str.startswith(start)].iloc[0]

    shared = {n: component(n, "shared", "") for n in parts}
    unique = component("fine-tuned", "unique", "video")
    detail["partition"] = {n: p.to_dict(orient="records") for n, p in parts.items()}
    rungs.append(reported("6 partition", f"shared video-{language_model} part, pretrained -> fine-tuned",
                          f"{shared['pretrained']['value']:.3g} -> {shared['fine-tuned']['value']:.3g}"))
    rungs.append(reported("6 partition", "unique part of the fine-tuned video model",
                          f"{unique['value']:.3g} [{unique['ci_low']:.3g}, {unique['ci_high']:.3g}]"))
    changes = probe_change(bench, before, after, n_boot=settings.n_boot, seed=0)
    detail["probes"] = [c.to_dict() for c in changes]
    rungs.append(reported("6 probes", "the paper's attributes: held-out r before -> after (rose: interval > 0)",
                          ", ".join(f"{c.attribute} {c.before:.2f}->{c.after:.2f}{' rose' if c.rose else ''}"
                                    for c in changes)))
    backbones = {"pretrained": backbone, "fine-tuned": str(merged_backbone(settings, run))}
    rollout = benchmark_rollout(bench, backbones, split="test", max_clips=16)
    mass = rollout.mass_change("agents", n_boot=settings.n_boot, seed=0)
    detail["rollout"] = {**rollout.to_dict(), "agents_mass_change": mass}
    rungs.append(reported("6 rollout", "share of rollout mass on the agents, fine-tuned - pretrained",
                          interval(mass)))
    retention = action_retention(action_set(settings), backbones["pretrained"], backbones["fine-tuned"],
                                 n_boot=settings.n_boot, seed=0).to_dict()
    detail["retention"] = retention
    rungs.append(reported("6 retention", "action-probe accuracy, fine-tuned - pretrained",
                          interval(retention["difference"])))

    return finish(rungs, detail, settings, began, args.json, args.record)


def parse_worlds(text: str) -> list[int]:
    """World seeds from ``0-7`` or ``0,1,5``; a ValueError names a text that is neither."""
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-"))
            worlds = list(range(first, last + 1))
        else:
            worlds = [int(x) for x in text.split(",")]
    except ValueError:
        worlds = []
    if not worlds or min(worlds) < 0 or len(set(worlds)) < len(worlds):
        raise ValueError(f"{text!r} is not a range A-B or a list A,B,... of distinct world seeds >= 0")
    return worlds


def sweep_arguments(description: str, record: str, argv: list[str] | None) -> tuple[argparse.Namespace, list[int]]:
    """The arguments of a sweep over built worlds (``--worlds``, ``--json``, ``--record``), parsed;
    a bad ``--worlds`` exits 2 with one line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--worlds", default="0-7", help="world seeds, a range A-B or a list A,B (default 0-7)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--record", action="store_true", help=f"also write the JSON to benchmarks/results/{record}.json")
    args = parser.parse_args(argv)
    try:
        return args, parse_worlds(args.worlds)
    except ValueError as err:
        parser.error(f"argument --worlds: {err}")  # one line, exit 2


def summarise(per_world: list[dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Each measure of a sweep's setting: its mean, range and value on every world."""
    return {key: {"mean": float(np.mean([m[key] for m in per_world])),
                  "min": float(np.min([m[key] for m in per_world])),
                  "max": float(np.max([m[key] for m in per_world])),
                  "worlds": [m[key] for m in per_world]} for key in per_world[0]}


def print_sweep(label: str, rows: list[dict[str, Any]], paper: dict[str, float]) -> None:
    """A sweep's table: one line per setting (``label`` names it), each measure's mean and range."""
    keys = [k for k, v in rows[0].items() if isinstance(v, dict) and "mean" in v]
    print(f"{label} | " + " | ".join(keys))
    for row in rows:
        print(row[label] + " | " + " | ".join(
            f"{row[k]['mean']:.3g} ({row[k]['min']:.3g}-{row[k]['max']:.3g})" for k in keys))
    print("garcia2025 | " + ", ".join(f"{k} {v:.3g}" for k, v in paper.items()))


def close_sweep(name: str, label: str, rows: list[dict[str, Any]], paper: dict[str, float], args: argparse.Namespace,
                worlds: list[int], began: float, separation: tuple[str, str, Any], notes: tuple[str, ...] = ()) -> int:
    """A calibration sweep's end: its result (rows, garcia2025's figures, the separation table
    ``separation`` = (JSON key, printed heading, frame), the time, provenance) emitted as
    :func:`emit` does, then, unless ``--json``, the table, the ``notes``, the separation table and
    the worlds measured."""
    from socalign.profiles import profile_settings

    key, heading, frame = separation
    result = {"worlds": worlds, "rows": rows, "garcia2025": paper, key: frame.to_dict(orient="records"),
              "seconds": time.perf_counter() - began,
              "recorded": {**provenance(profile_settings("demo")), "world_seed": worlds}}
    emit(result, name, args.record, args.json)
    if args.json:
        return 0
    print_sweep(label, rows, paper)
    for note in notes:
        print(note)
    print(f"\n{heading}")
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"worlds {', '.join(map(str, worlds))}; {result['seconds']:.0f} s")
    return 0


def emit(result: dict[str, Any], name: str, record: bool, as_json: bool) -> str:
    """``result`` as JSON text; with ``record`` written to :data:`RESULTS` as ``name``.json, with
    ``as_json`` printed."""
    text = json.dumps(result, indent=2, default=float)
    if record:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{name}.json").write_text(text + "\n")
    if as_json:
        print(text)
    return text


def any_caption_model(rung: Rung, models: tuple[str, ...] | list[str]) -> Rung:
    """``rung`` with the caption model it names (each world compares its best one) moved from the
    claim to the measured text, so that the same claim reads alike on every world."""
    for model in models:
        for named in (f"({model})", f"{model} - "):
            if named in rung.claim:
                return replace(rung, claim=rung.claim.replace(named, named.replace(model, "best caption model")),
                               measured=f"{rung.measured} ({model})")
    return rung


def across_worlds(worlds: list[int], began: float, as_json: bool, record: bool) -> int:
    """The input rungs on every world of ``worlds``: per rung the measured value on each world, the
    mean where a number is measured, and (for a floor) on how many worlds it is met."""
    from socalign.profiles import profile_settings

    per_world: dict[int, list[Rung]] = {}
    for world in worlds:
        settings = profile_settings("demo", socialworld={"seed": world})
        per_world[world] = [any_caption_model(r, settings.language_models)
                            for r in measure_inputs(settings).rungs]
        print(f"world {world}: measured in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    table = []
    for k, first in enumerate(per_world[worlds[0]]):
        row = [per_world[w][k] for w in worlds]
        if any(r.claim != first.claim for r in row):  # the same rungs in the same order on every world
            raise RuntimeError(f"rung {k} differs between worlds: {[r.claim for r in row]}")
        values = [r.value for r in row]
        table.append({
            "rung": first.rung, "claim": first.claim, "floor": first.floor,
            "measured": [r.measured for r in row], "values": values,
            "mean": None if None in values else float(np.mean(values)),
            "met": None if first.passed is None else sum(bool(r.passed) for r in row),
        })
    result = {"worlds": worlds, "table": table, "detail": {"seconds": time.perf_counter() - began},
              "recorded": {**provenance(profile_settings("demo")), "world_seed": worlds}}
    emit(result, WORLDS_RECORD, record, as_json)
    if as_json:
        return 0
    width = max(len(r["claim"]) for r in table)
    for r in table:
        met = "" if r["met"] is None else f"  met on {r['met']} of {len(worlds)}"
        mean = "" if r["mean"] is None else f"  mean {r['mean']:.3g}"
        print(f"{r['claim']:<{width}}  {' | '.join(r['measured'])}{mean}  (floor: {r['floor']}){met}")
    return 0


def provenance(settings: Any) -> dict[str, Any]:
    """Where and when a run was measured: date, the library's commit (``+dirty`` when its source
    has uncommitted changes), the world seed and the machine."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--", "socalign", "benchmarks/demo_story.py"):
        commit += "+dirty"
    return {"date": time.strftime("%Y-%m-%d"), "commit": commit,
            "world_seed": settings.socialworld["seed"],
            "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, torch threads "
                       f"{__import__('torch').get_num_threads()}"}


def finish(rungs: list[Rung], detail: dict[str, Any], settings: Any, began: float, as_json: bool,
           record: bool = False) -> int:
    """Print the rungs (a table, or one JSON object) and the count of floors met; with ``record``
    also write the JSON to :data:`RESULTS` (``demo_story_world<SEED>.json``)."""
    detail["seconds"] = time.perf_counter() - began
    floors = [r for r in rungs if r.passed is not None]
    passed = sum(bool(r.passed) for r in floors)
    result = {"rungs": [asdict(r) for r in rungs], "passed": passed, "floors": len(floors),
              "detail": detail, "recorded": provenance(settings)}
    emit(result, f"demo_story_world{settings.socialworld['seed']}", record, as_json)
    if as_json:
        return 0
    width = max(len(r.claim) for r in rungs)
    for r in rungs:
        mark = "    " if r.passed is None else ("PASS" if r.passed else "FAIL")
        print(f"{mark}  {r.rung:<16} {r.claim:<{width}}  {r.measured}  (floor: {r.floor})")
    print(f"\n{passed} of {len(floors)} floors met (world seed {settings.socialworld['seed']}); "
          f"{len(rungs) - len(floors)} outcomes reported; {detail['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
