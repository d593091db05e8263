"""Why fine-tuning gains little on SocialWorld with the toy backbone: what its features encode.

On the demo SocialWorld (or ``--dataset``) and the toy backbone (or ``--backbone``), test videos:

1. held-out alignment (R², OOO accuracy under both rules; SocialWorld's calibration score) of
   the frozen backbone features, of the social ratings as the frozen features linearly predict
   them (ridge fitted on the train videos: a readout that even uses labels fine-tuning never
   sees), the pixel baseline (colour histograms), the true ratings and the latent-feature oracle;
2. linear probes (``socalign.analyses.probes``, ridge fitted on the train videos) of every latent
   kinematic measure the social ratings are computed from, and of the ratings themselves: can the
   frozen features tell, for example, how far apart the agents are?
3. the most a re-weighting of the frozen features can give: a linear head trained with the
   triplet loss on the training trials (the backbone frozen), held-out alignment before -> after.

If 2 is near zero and 3 gives no held-out gain, LoRA plus a head has nothing to amplify: what is
missing is in the backbone, not in the fine-tuning. Usage:
``python benchmarks/finetune_diagnosis.py [--dataset DIR] [--backbone PATH] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def alignment(benchmark, embeddings: np.ndarray) -> dict:
    """R² and OOO accuracy (both rules) on the test split: SocialWorld's calibration score."""
    from socalign.data.socialworld.calibration import score

    return score(benchmark, embeddings, "test")


def linear_head(benchmark, features: np.ndarray, dim: int, epochs: int, seed: int) -> np.ndarray:
    """Embeddings from a linear map of the frozen features trained with the triplet loss."""
    import torch

    from socalign.train.losses import LossConfig

    trials = benchmark.split_trials("train")
    columns = [torch.as_tensor(trials.triplets[:, k]) for k in range(3)]
    odd = torch.as_tensor(trials.odd)
    x = torch.as_tensor((features - features.mean(0)) / (features.std(0) + 1e-8), dtype=torch.float32)
    torch.manual_seed(seed)
    head = torch.nn.Linear(x.shape[1], dim)
    optimizer = torch.optim.AdamW(head.parameters(), lr=3e-3, weight_decay=0.01)
    loss_config = LossConfig(kind="triplet")  # the fine-tuning's triplet term (margin 0.2)
    for _ in range(epochs):  # full batch: every training trial each step
        emb = torch.nn.functional.normalize(head(x), dim=-1)
        loss = loss_config.triplet_term(*(emb[c] for c in columns), odd)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return torch.nn.functional.normalize(head(x), dim=-1).numpy().astype(np.float64)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=None, help="benchmark folder (default: demo SocialWorld)")
    parser.add_argument("--backbone", default=None, help="default: the toy backbone")
    parser.add_argument("--epochs", type=int, default=300, help="linear-head training steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from socalign.analyses.probes import fit_probe, probe_arrays
    from socalign.book.artifacts import socialworld_benchmark, video_model
    from socalign.data import load_dataset
    from socalign.data.socialworld.features import oracle_features, pixel_features
    from socalign.models.embed import embed_benchmark
    from socalign.profiles import profile_settings

    settings = profile_settings("demo")
    root = Path(args.dataset) if args.dataset else socialworld_benchmark(settings)
    benchmark = load_dataset(root)
    backbone = args.backbone or video_model(settings)
    began = time.perf_counter()
    frozen = embed_benchmark(benchmark, backbone).astype(np.float64)
    videos = pd.read_csv(root / "videos.csv").set_index("video_id").loc[benchmark.videos.ids]
    targets = {c: videos[c].to_numpy(float) for c in videos.columns
               if c.startswith(("latent_", "rating_"))}
    train, test = benchmark.split_indices("train"), benchmark.split_indices("test")
    ratings = np.column_stack([v for c, v in targets.items() if c.startswith("rating_")])
    ratings = (ratings - ratings[train].mean(0)) / ratings[train].std(0)
    # a readout that uses the rating labels (which fine-tuning never sees): the frozen features'
    # ridge prediction of every rating, used as the embedding
    predicted = np.column_stack([fit_probe(frozen[train], ratings[train, k]).predict(frozen)
                                 for k in range(ratings.shape[1])])
    features = {"frozen backbone": frozen, "ratings predicted from frozen": predicted,
                "pixel baseline": pixel_features(benchmark), "true ratings": ratings,
                "latent-feature oracle": oracle_features(benchmark)}
    table = pd.DataFrame({name: alignment(benchmark, x) for name, x in features.items()}).T
    probes = {}
    for name in ("frozen backbone", "pixel baseline"):
        result = probe_arrays(features[name], targets, train, test, n_perm=0, n_boot=0)
        probes[name] = {row.attribute: row.r for row in result.rows}
    probe_table = pd.DataFrame(probes)

    head = linear_head(benchmark, frozen, 32, args.epochs, args.seed)
    head_row = {"before": alignment(benchmark, frozen), "after": alignment(benchmark, head)}
    result = {"dataset": str(root), "backbone": str(backbone),
              "alignment": table.to_dict(orient="index"),
              "probes_r": probe_table.to_dict(orient="index"),
              "linear_head": head_row, "seconds": time.perf_counter() - began}
    if args.json:
        print(json.dumps(result, indent=2, default=float))
        return 0
    pd.set_option("display.width", 160)
    print("## held-out alignment (test videos)")
    print(table.round(4).to_string())
    print("\n## linear probes, held-out Pearson r (ridge on train videos)")
    print(probe_table.round(2).to_string())
    print(f"\n## linear head on the frozen features, triplet loss, {args.epochs} full-batch steps")
    print(pd.DataFrame(head_row).T.round(4).to_string())
    print(f"\n{result['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
