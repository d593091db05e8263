"""How far SocialWorld's caption rates move the caption models' share of the R² ceiling.

The captions are an input of the demo, calibrated to what caption models reach on the paper's
data (``socalign.data.socialworld.calibration.GARCIA2025_CAPTIONS``: MiniLM 0.30 of the R²
ceiling on the test videos, 0.41 on the train videos; TF-IDF 0.38 of MiniLM's R² on the train
videos). This script draws the captions of already-built worlds again with other rates
(:func:`socalign.data.socialworld.captions.recaption`: same streams, nothing rendered again),
embeds them with MiniLM and TF-IDF, and prints each model's R² / R² ceiling on both splits
(mean and range over the worlds), TF-IDF / MiniLM on the train videos and how far the captions
of one video agree beyond two videos' in each model's embedding
(:func:`socalign.data.socialworld.calibration.caption_agreement`; people's captions:
``GARCIA2025_CAPTION_AGREEMENT``); then how far MiniLM
tells the two ends of each manner attribute apart
(:func:`socalign.data.socialworld.calibration.manner_separation`). It measures inputs only: no
model is fine-tuned.

Usage: ``python benchmarks/caption_calibration.py [--worlds 0-7] [--json] [--record]``; the
worlds are built first when missing (as ``demo_story.py --worlds`` builds them, about 5 min a
world); once built a rate setting takes about a minute over eight worlds on 2 cores.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
#: the rate settings measured: the generator's defaults first, then each direction that gives
#: the captions more of the observers' features (every manner phrase that applies, relationship
#: names, fewer confusions), then captions that agree within a video more (``p_gist``)
RATES: dict[str, dict[str, Any]] = {
    "generator defaults": {},
    "manner 0.8": {"p_manner": 0.8},
    "manner 0.8, up to 8": {"p_manner": 0.8, "max_manner": 8},
    "relation 1.0": {"p_relation": 1.0},
    "manner 0.8, up to 8, relation 1.0": {"p_manner": 0.8, "max_manner": 8, "p_relation": 1.0},
    "manner 0.8, up to 3, relation 0.6, confuse 0.02, vague 0.02": {
        "p_manner": 0.8, "max_manner": 3, "p_relation": 0.6, "p_confuse": 0.02, "p_vague": 0.02},
    # captions that agree more within a video: each part from the video's gist
    "gist 0.5": {"p_gist": 0.5},
    "gist 0.9": {"p_gist": 0.9},
}
SPLITS = ("test", "train")
MODELS = ("minilm", "tfidf")


def shares(bench: Any, captions: list[list[str]]) -> dict[str, float]:
    """Each caption model's R² / R² ceiling on each split (the calibration's own ceiling), and
    how far the captions of one video agree beyond two videos' in each model's embedding."""
    from functools import partial

    from socalign.data.socialworld.calibration import caption_agreement, minilm_r2_share, score
    from socalign.models.language import encode_captions

    split_half = bench.metadata["calibration"]["split_half"]
    out = {}
    for model in MODELS:
        vectors = encode_captions(captions, model=model)
        for split in SPLITS:
            scores = {"minilm": {split: score(bench, vectors, split)}}  # the share's one owner
            out[f"{model} {split}"] = minilm_r2_share(scores, split_half, split=split)
    out["tfidf / minilm train"] = out["tfidf train"] / out["minilm train"]
    for model in MODELS:
        out[f"agreement {model}"] = caption_agreement(captions, partial(encode_captions, model=model))["agreement"]
    return out


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from demo_story import close_sweep, summarise, sweep_arguments

    args, worlds = sweep_arguments(__doc__.splitlines()[0], "caption_calibration", argv)

    from socalign.book.artifacts import socialworld_benchmark
    from socalign.data import load_dataset
    from socalign.data.socialworld.calibration import (
        GARCIA2025_CAPTION_AGREEMENT,
        GARCIA2025_CAPTIONS,
        manner_separation,
    )
    from socalign.data.socialworld.captions import recaption
    from socalign.models.language import encode_captions
    from socalign.profiles import profile_settings

    began = time.perf_counter()
    benches = {w: load_dataset(socialworld_benchmark(profile_settings("demo", socialworld={"seed": w})))
               for w in worlds}
    rows = []
    for name, rates in RATES.items():
        per_world = [shares(bench, recaption(bench, **rates)) for bench in benches.values()]
        row: dict[str, Any] = {"rates": name, "arguments": rates, **summarise(per_world)}
        rows.append(row)
        print(f"{name}: measured ({time.perf_counter() - began:.0f} s)", file=sys.stderr, flush=True)
    paper = {"minilm test": GARCIA2025_CAPTIONS["test"]["minilm"] / GARCIA2025_CAPTIONS["test"]["r2_ceiling"],
             "minilm train": GARCIA2025_CAPTIONS["train"]["minilm"] / GARCIA2025_CAPTIONS["train"]["r2_ceiling"],
             "tfidf / minilm train": GARCIA2025_CAPTIONS["train"]["tfidf"] / GARCIA2025_CAPTIONS["train"]["minilm"],
             **{f"agreement {model}": value for model, value in GARCIA2025_CAPTION_AGREEMENT.items()}}
    # why the rates cannot do it: how far MiniLM tells the two ends of each manner attribute apart
    return close_sweep("caption_calibration", "rates", rows, paper, args, worlds, began, (
        "minilm_manner_separation",
        "MiniLM cosine between manner phrases (same end / opposite ends / other attributes):",
        manner_separation(encode_captions)))


if __name__ == "__main__":
    sys.exit(main())
