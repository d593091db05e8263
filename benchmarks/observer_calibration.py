"""How far SocialWorld's observer parameters move the inputs the paper measured.

The simulated observers are an input of the demo. On the paper's data the eight rated
attributes alone reach a small part of people's similarity (``GARCIA2025_ATTRIBUTES``) and the
captions about twice as much (``GARCIA2025_CAPTIONS``); on SocialWorld the attributes reach
nearly all of it. This script judges the trials of already-built worlds again with other
observer parameters (:func:`socalign.data.socialworld.calibration.rejudge`: same triplets and
people, nothing rendered again) and prints, per setting (mean and range over the worlds): the
leave-one-out agreement (target 0.5-0.7), the attributes', the interaction type's (the
oracle's type columns) and MiniLM's R² / R² ceiling on the train videos, MiniLM's on the test
videos, TF-IDF / MiniLM on the train videos, and the frozen toy's R² over the best caption
model's on both splits; then how far MiniLM tells the actions' phrasings apart (:func:`socalign.data.socialworld.calibration.action_separation`). It measures
inputs only.

Usage: ``python benchmarks/observer_calibration.py [--worlds 0-7] [--json] [--record]``; the
worlds are built first when missing (about 5 min a world); once built and embedded a setting
takes about 20 s over eight worlds on 2 cores.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
#: the observer settings measured: the generator's first, then the type weighed more and the
#: graded attributes less (the direction the paper's attribute figure points), then types that
#: people see graded by what they confuse (``type_grading``; the last one judges by the graded
#: type alone, so MiniLM's share there is what its captions carry of the action)
SETTINGS: dict[str, dict[str, float]] = {
    "generator defaults": {},
    "type weight 12": {"type_weight": 12.0},
    "type weight 12, attribute weight 0.3": {"type_weight": 12.0, "attribute_weight": 0.3},
    "type weight 30, attribute weight 0.3": {"type_weight": 30.0, "attribute_weight": 0.3},
    "attribute weight 0.3, temperature 0.1": {"attribute_weight": 0.3, "temperature": 0.1},
    "types graded 0.5": {"type_grading": 0.5},
    "types graded 0.5, type weight 12, attribute weight 0.5":
        {"type_grading": 0.5, "type_weight": 12.0, "attribute_weight": 0.5},
    "types graded 0.5, type weight 30, attribute weight 0.3":
        {"type_grading": 0.5, "type_weight": 30.0, "attribute_weight": 0.3},
    "types graded 0.5 alone (type weight 30, attribute weight 0.01)":
        {"type_grading": 0.5, "type_weight": 30.0, "attribute_weight": 0.01},
}


def measure(judged: Any, embeddings: dict[str, np.ndarray]) -> dict[str, float]:
    """The inputs of one judged world (its own ceilings; the frozen embeddings of its videos)."""
    from socalign.data.socialworld.calibration import attribute_features, score
    from socalign.data.socialworld.features import oracle_features
    from socalign.scoring import ceilings

    found = ceilings(judged, None, n_splits=20, seed=0, n_draws=200)
    ceiling = found.r2_ceiling

    def share(features: np.ndarray, split: str) -> float:
        return score(judged, features, split)["r2"] / ceiling

    out = {"loo agreement": found.consistency.to_dict()["loo_agreement"],
           "attributes train": share(attribute_features(judged), "train"),
           "types train": share(oracle_features(judged, "types"), "train"),
           "minilm train": share(embeddings["minilm"], "train"),
           "minilm test": share(embeddings["minilm"], "test")}
    out["tfidf / minilm train"] = share(embeddings["tfidf"], "train") / out["minilm train"]
    for split in ("train", "test"):
        best = max(share(embeddings[m], split) for m in ("minilm", "tfidf"))
        out[f"toy / caption {split}"] = share(embeddings["toy"], split) / best
    return out


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from demo_story import close_sweep, summarise, sweep_arguments

    args, worlds = sweep_arguments(__doc__.splitlines()[0], "observer_calibration", argv)

    from socalign.analyses.gap import model_embeddings
    from socalign.book.artifacts import socialworld_benchmark, video_model
    from socalign.data import load_dataset
    from socalign.data.socialworld.calibration import (
        GARCIA2025_ATTRIBUTES,
        GARCIA2025_CAPTIONS,
        action_separation,
        rejudge,
    )
    from socalign.models.language import encode_captions
    from socalign.profiles import profile_settings

    began = time.perf_counter()
    built = {}
    for world in worlds:
        settings = profile_settings("demo", socialworld={"seed": world})
        bench = load_dataset(socialworld_benchmark(settings))
        frozen = model_embeddings(bench, video_model(settings), n_frames=settings.train_config().n_frames)
        built[world] = (bench, {"toy": frozen, **{m: model_embeddings(bench, m) for m in ("minilm", "tfidf")}})
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for k, (name, changes) in enumerate(SETTINGS.items()):
            per_world = [measure(load_dataset(rejudge(bench, Path(scratch) / f"{k}-{w}", **changes)), embeddings)
                         for w, (bench, embeddings) in built.items()]
            row: dict[str, Any] = {"setting": name, "observer": changes, **summarise(per_world)}
            rows.append(row)
            print(f"{name}: measured ({time.perf_counter() - began:.0f} s)", file=sys.stderr, flush=True)
    train, test = GARCIA2025_CAPTIONS["train"], GARCIA2025_CAPTIONS["test"]
    paper = {"attributes train": GARCIA2025_ATTRIBUTES["train"] / train["r2_ceiling"],
             "minilm train": train["minilm"] / train["r2_ceiling"],
             "minilm test": test["minilm"] / test["r2_ceiling"],
             "tfidf / minilm train": train["tfidf"] / train["minilm"]}
    # why graded types cannot lift MiniLM far: how far it tells the actions' phrasings apart
    return close_sweep("observer_calibration", "setting", rows, paper, args, worlds, began, (
        "minilm_action_separation",
        "MiniLM cosine between the actions' phrasings (same type / confusable types / other types):",
        action_separation(encode_captions)),
        notes=("the paper's toy / caption figure: TimeSformer over MPNet, 0.76",))


if __name__ == "__main__":
    sys.exit(main())
