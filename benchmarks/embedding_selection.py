"""Which ordinal embedding the design comparison scores with: chosen by held-out likelihood.

    python benchmarks/embedding_selection.py [--seed 0] [--videos 250] [--json] [--no-write]

On the set cover's full budget of a SocialWorld world (draw 0, as
``benchmarks/adaptive_design.py`` draws it), every (dimensions, penalty) of
:data:`socalign.analyses.adaptive.SELECTION_DIMS` x :data:`~socalign.analyses.adaptive.SELECTION_PENALTIES`
is scored by 5-fold cross-validated log-likelihood of the judgments
(:func:`socalign.analyses.adaptive.embedding_selection`; the truth is not used for the choice).
Beside each setting it prints, as a check only, the Spearman correlation of the embedding
fitted to every judgment with the observers' true expected similarity. The best setting is what
:data:`~socalign.analyses.adaptive.EMBEDDING_DIM` and
:data:`~socalign.analyses.adaptive.EMBEDDING_PENALTY` hold (a test compares them with the
record, ``benchmarks/results/embedding_selection.json``). About 40 s on 2 cores (250 videos).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "embedding_selection.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="SocialWorld world seed")
    parser.add_argument("--videos", type=int, default=250, help="videos of the world")
    parser.add_argument("--json", action="store_true", help="print the JSON written")
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    args = parser.parse_args(argv)
    from socalign.analyses.adaptive import EMBEDDING_DIM, EMBEDDING_PENALTY, embedding_selection

    began = time.perf_counter()
    table = embedding_selection(args.seed, args.videos)
    best = table[table["best"]].iloc[0]
    out = {
        "settings": {"seed": args.seed, "n_videos": args.videos, "judgments": table.attrs["judgments"],
                     "folds": 5},
        "grid": table.to_dict(orient="records"),
        "best": {"dim": int(best["dim"]), "penalty": float(best["penalty"])},
        "library_default": {"dim": EMBEDDING_DIM, "penalty": EMBEDDING_PENALTY},
        "wall_s": round(time.perf_counter() - began, 1), "cores": os.cpu_count(),
    }
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"best by held-out likelihood: {out['best']}; the library's default: {out['library_default']} "
          f"({'the same' if out['best'] == out['library_default'] else 'DIFFERENT'}); {out['wall_s']} s")
    if args.json:
        print(json.dumps(out, indent=2))
    if not args.no_write:
        RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    return 0 if out["best"] == out["library_default"] else 1


if __name__ == "__main__":
    sys.exit(main())
