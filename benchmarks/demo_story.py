"""The paper's story on the default demo, rung by rung: measured value, floor, PASS/FAIL.

Runs on the ``demo`` profile (SocialWorld, the toy backbone, MiniLM and TF-IDF; the book's
cached runs are reused, so after ``make book`` this takes a minute or two):

1. perception: held-out ridge probes of the frozen toy's embeddings for the agents' distance,
   speed, approach and facing (``socalign.analyses.perception``);
2. captions: MiniLM's test R² as a share of the R² ceiling (SocialWorld's calibration);
3. the modality gap: pretrained toy below the best caption model in test R² and OOO accuracy,
   with the paired test of ``socalign gap``;
4. fine-tuning (hybrid loss, fast trainer, the demo settings of ``socalign finetune --profile
   demo``, seeds 0-2): R² gain per seed and its paired interval, mean fine-tuned R² against the
   best caption model, OOO accuracy under both rules; triplet-only and RSA-only beside it;
5. what changed: variance partitioning (shared part up, unique video part above 0), probes of
   the paper's five attributes, the rollout mass on the agents, action retention.

Usage: ``python benchmarks/demo_story.py [--json] [--seeds 0,1,2]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Rung:
    """One measured claim: its value, the floor it must meet, and whether it does."""

    rung: str
    claim: str
    measured: str
    floor: str
    passed: bool


def interval(d: dict[str, Any]) -> str:
    """'estimate [low, high]' at three significant digits."""
    return f"{d['estimate']:.3g} [{d['low']:.3g}, {d['high']:.3g}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="fine-tuning seeds (default 0,1,2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]

    from socalign.analyses.gap import model_embeddings, run_gap
    from socalign.analyses.partition import partition_benchmark
    from socalign.analyses.perception import perception_probes
    from socalign.analyses.probes import probe_change
    from socalign.analyses.retention import action_retention
    from socalign.analyses.rollout import benchmark_rollout
    from socalign.book.artifacts import (
        action_set,
        finetuned_run,
        merged_backbone,
        socialworld_benchmark,
        video_model,
    )
    from socalign.data import load_dataset
    from socalign.data.socialworld.calibration import TARGETS, minilm_r2_share
    from socalign.models.embeddings import load_embeddings
    from socalign.profiles import profile_settings
    from socalign.train.run import FinetuneReport

    began = time.perf_counter()
    settings = profile_settings("demo")
    root = socialworld_benchmark(settings)
    bench = load_dataset(root)
    backbone = video_model(settings)
    rungs: list[Rung] = []
    detail: dict[str, Any] = {"dataset": str(root), "backbone": backbone, "seeds": seeds}

    # 1. perception
    frozen = model_embeddings(bench, backbone)
    perception = perception_probes(bench, frozen)
    detail["perception"] = perception.to_dict()
    for measure, floor in perception.floor.items():
        rungs.append(Rung("1 perception", f"frozen toy encodes {measure}", f"r = {perception.r[measure]:.3g}",
                          f">= {floor}", perception.floor_met[measure]))

    # 2. captions as informative as people's
    calibration = bench.metadata["calibration"]
    share = minilm_r2_share(calibration["scores"], calibration["split_half"])
    lo, hi = TARGETS["minilm_share_of_r2_ceiling"]
    rungs.append(Rung("2 calibration", "MiniLM test R² / R² ceiling", f"{share:.3g}", f"{lo}-{hi}",
                      bool(lo <= share <= hi)))

    # 3. the modality gap
    gap = run_gap(bench, models=["toy", *settings.language_models], n_boot=settings.n_boot, seed=0)
    rows = {r.model: r.evaluation for r in gap.rows}
    language = {m: rows[m] for m in settings.language_models}
    paired = gap.paired.get("language_vs_video") or {}
    # the best caption model as `socalign gap` picks it: highest R² on the train split
    best_language = paired.get("language") or max(language, key=lambda m: language[m].r2)
    toy = rows["toy"]
    detail["gap"] = gap.to_dict()
    rungs.append(Rung("3 gap", f"pretrained toy R² below {best_language}",
                      f"{toy.r2:.3g} vs {language[best_language].r2:.3g}", "toy < language",
                      bool(toy.r2 < language[best_language].r2)))
    toy_ooo = toy.ooo["argmax"].accuracy
    lang_ooo = language[best_language].ooo["argmax"].accuracy
    rungs.append(Rung("3 gap", f"pretrained toy OOO (argmax) below {best_language}",
                      f"{toy_ooo:.3g} vs {lang_ooo:.3g}", "toy < language", bool(toy_ooo < lang_ooo)))
    if paired:
        rungs.append(Rung("3 gap", f"paired R² difference, {paired['language']} - {paired['video']}",
                          interval(paired["r2"]), "reported", True))

    # 4. fine-tuning closes it
    reports = {(kind, seed): FinetuneReport.read(finetuned_run(settings, root, loss=kind, seed=seed))
               for kind in ("hybrid", "triplet", "rsa") for seed in seeds}
    hybrid = [reports[("hybrid", s)] for s in seeds]
    gains = [r.gain["r2"] for r in hybrid]
    detail["finetune"] = {f"{k}/{s}": {"before": r.before["r2"], "after": r.after["r2"],
                                       "gain": r.gain["r2"], "ooo_before": r.before["ooo_accuracy"],
                                       "ooo_after": r.after["ooo_accuracy"],
                                       "best_epoch": r.training["best_epoch"]}
                          for (k, s), r in reports.items()}
    for seed, g in zip(seeds, gains, strict=True):
        rungs.append(Rung("4 fine-tuning", f"hybrid seed {seed}: R² gain", interval(g), "> 0",
                          bool(g["estimate"] > 0)))
    n_excl = sum(g["low"] > 0 for g in gains)
    rungs.append(Rung("4 fine-tuning", "seeds whose R² gain interval excludes 0", f"{n_excl} of {len(seeds)}",
                      f">= {min(2, len(seeds))}", n_excl >= min(2, len(seeds))))
    mean_after = float(np.mean([r.after["r2"] for r in hybrid]))
    rungs.append(Rung("4 fine-tuning", f"mean fine-tuned R² vs {best_language}",
                      f"{mean_after:.3g} vs {language[best_language].r2:.3g}", ">= language",
                      bool(mean_after >= language[best_language].r2)))
    for rule in ("argmax", "pair"):
        before = float(np.mean([r.before["ooo_accuracy"][rule] for r in hybrid]))
        after = float(np.mean([r.after["ooo_accuracy"][rule] for r in hybrid]))
        rungs.append(Rung("4 fine-tuning", f"mean OOO accuracy ({rule}) before -> after",
                          f"{before:.3g} -> {after:.3g}", "rises", bool(after > before)))
    by_loss = {kind: float(np.mean([reports[(kind, s)].after["ooo_accuracy"]["pair"] for s in seeds]))
               for kind in ("hybrid", "triplet", "rsa")}
    order = " > ".join(sorted(by_loss, key=by_loss.get, reverse=True))
    rungs.append(Rung("4 fine-tuning", "losses by OOO (pair rule); the paper: hybrid > triplet > rsa",
                      order + " (" + ", ".join(f"{k} {v:.3g}" for k, v in by_loss.items()) + ")",
                      "reported", True))

    # 5. what changed (the seed-0 hybrid run, as chapters 4 and 5)
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
    rungs.append(Rung("5 partition", f"shared video-{language_model} part, pretrained -> fine-tuned",
                      f"{shared['pretrained']['value']:.3g} -> {shared['fine-tuned']['value']:.3g}",
                      "larger", bool(shared["fine-tuned"]["value"] > shared["pretrained"]["value"])))
    rungs.append(Rung("5 partition", "unique part of the fine-tuned video model",
                      f"{unique['value']:.3g} [{unique['ci_low']:.3g}, {unique['ci_high']:.3g}]",
                      "interval > 0", bool(unique["ci_low"] > 0)))
    changes = probe_change(bench, before, after, n_boot=settings.n_boot, seed=0)
    detail["probes"] = [c.to_dict() for c in changes]
    n_rose = sum(c.rose for c in changes)
    rungs.append(Rung("5 probes", "paper attributes whose held-out r rose (interval > 0)",
                      f"{n_rose} of {len(changes)}: " + ", ".join(
                          f"{c.attribute} {c.before:.2f}->{c.after:.2f}" for c in changes),
                      ">= 3", n_rose >= 3))
    backbones = {"pretrained": backbone, "fine-tuned": str(merged_backbone(settings, run))}
    rollout = benchmark_rollout(bench, backbones, split="test", max_clips=16)
    mass = rollout.mass_change("agents", n_boot=settings.n_boot, seed=0)
    detail["rollout"] = {**rollout.to_dict(), "agents_mass_change": mass}
    rungs.append(Rung("5 rollout", "share of rollout mass on the agents, fine-tuned - pretrained",
                      interval(mass), "interval > 0", bool(mass["low"] > 0)))
    retention = action_retention(action_set(settings), backbones["pretrained"], backbones["fine-tuned"],
                                 n_boot=settings.n_boot, seed=0).to_dict()
    detail["retention"] = retention
    rungs.append(Rung("5 retention", "action-probe accuracy, fine-tuned - pretrained",
                      interval(retention["difference"]), "reported", True))

    detail["seconds"] = time.perf_counter() - began
    passed = sum(r.passed for r in rungs)
    if args.json:
        print(json.dumps({"rungs": [asdict(r) for r in rungs], "passed": passed, "total": len(rungs),
                          "detail": detail}, indent=2, default=float))
        return 0
    width = max(len(r.claim) for r in rungs)
    for r in rungs:
        print(f"{'PASS' if r.passed else 'FAIL'}  {r.rung:<14} {r.claim:<{width}}  {r.measured}  (floor: {r.floor})")
    print(f"\n{passed} of {len(rungs)} rungs pass; {detail['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
