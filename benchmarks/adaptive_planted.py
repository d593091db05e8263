"""A rung check of adaptive triplet selection: people who judge exactly as its model (issue 27).

    python benchmarks/adaptive_planted.py [--seeds 0,1,2] [--sharpness 1,2,4] [--draws 2] [--json]

``benchmarks/adaptive_design.py`` measures the adaptive rule against SocialWorld's simulated
people, who differ from one another and judge by a cosine over their own weighted features, so
the rule's 5-dimensional embedding never describes them exactly. Here the people are planted
(:func:`socalign.analyses.adaptive.planted_world`): everyone chooses the odd one out with the
embedding's own probabilities, from the points fitted to 8 times the budget of random judgments
of each SocialWorld world, the pair scores multiplied by a sharpness (1: as noisy as the fitted
model of the world's people; 2 and 4: twice and four times as far apart). The model is then well specified, and
the truth is its own expected similarity. Everything else is as in ``adaptive_design.py``: the
same worlds, budgets, designs, repeats, estimator and reference (the set cover's full-budget
quality, the mean of ``REFERENCE_DRAWS`` draws).

Printed per seed and sharpness: the planted people's true OOO ceiling of the set cover's
repeated triplets at the full budget (SocialWorld's, from ``adaptive_design.json``, beside it),
the saving of the adaptive and the random design's mean curves at 100% of the set cover's
full-budget quality, each adaptive draw's saving, and the adaptive minus random difference at
every share of the budget with a 95% Welch interval over the draws. No floor: the rung tells
which part of the design limits the saving. Cost: at most 10 minutes on 2 cores; the wall time
is printed. Results are written to ``benchmarks/results/adaptive_planted.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

BUDGET_S = 600
RESULTS = Path(__file__).resolve().parent / "results"


def _socialworld_ceilings(results: Path) -> dict[int, float]:
    """SocialWorld's true OOO ceiling per seed (set cover, full budget) from adaptive_design.py's record."""
    if not results.exists():
        return {}
    cover = [r for r in json.loads(results.read_text())["curves"] if r["design"] == "set-cover"]
    return {int(r["seed"]): float(r["ceiling_true"]) for r in sorted(cover, key=lambda r: r["judgments"])}


def main(argv: list[str] | None = None) -> int:
    from socalign.analyses.adaptive import PLANTED_SHARPNESS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="SocialWorld seeds whose geometry is planted")
    parser.add_argument("--videos", type=int, default=250, help="videos per world")
    parser.add_argument("--sharpness", default=",".join(f"{s:g}" for s in PLANTED_SHARPNESS),
                        help="factors on the planted pair scores, comma-separated")
    parser.add_argument("--draws", type=int, default=2, help="runs of the random and adaptive designs per world")
    parser.add_argument("--processes", type=int, default=2, help="tasks run in parallel")
    parser.add_argument("--json", action="store_true", help="print the JSON written")
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    args = parser.parse_args(argv)
    try:
        seeds = tuple(int(s) for s in args.seeds.split(","))
        sharpness = tuple(float(s) for s in args.sharpness.split(","))
    except ValueError:
        print(f"--seeds and --sharpness take comma-separated numbers, got {args.seeds!r} and {args.sharpness!r}",
              file=sys.stderr)
        return 2
    if min(sharpness) <= 0 or args.draws < 1:
        print(f"--sharpness must be positive and --draws at least 1, got {args.sharpness!r} and {args.draws}",
              file=sys.stderr)
        return 2
    from socalign.analyses.adaptive import compare_designs, planted_summary, reach_by_draw

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from adaptive_design import RESULTS as SOCIAL_RESULTS
    from adaptive_design import _lead_cells

    social_ceiling = _socialworld_ceilings(SOCIAL_RESULTS)
    start = time.perf_counter()
    rungs, rows = [], []
    for sharp in sharpness:
        result = compare_designs(seeds, args.videos, processes=args.processes, design_draws=args.draws,
                                 planted=sharp)
        per_draw = reach_by_draw(result)
        for row in planted_summary(result).to_dict(orient="records"):
            draws = per_draw[(per_draw["seed"] == row["seed"]) & (per_draw["design"] == "adaptive")]["saving"]
            rows.append({**row, "socialworld_ceiling_true": social_ceiling.get(row["seed"], float("nan")),
                         "adaptive_draw_savings": [float(v) for v in draws]})
        rungs.append({"sharpness": sharp, **result.to_dict(), "reach_by_draw": per_draw.to_dict(orient="records")})
        print(f"\nsharpness {sharp:g}: adaptive - random, Spearman difference (embedding estimator) with a 95% "
              f"Welch interval over {args.draws} draws each:")
        leads = result.leads
        print(_lead_cells(leads[leads["comparison"] == "adaptive - random"]))
    wall = time.perf_counter() - start
    out = {"settings": {"seeds": list(seeds), "n_videos": args.videos, "sharpness": list(sharpness),
                        "design_draws": args.draws},
           "summary": rows, "rungs": rungs, "wall_s": round(wall, 1), "cores": os.cpu_count(),
           "load_average": os.getloadavg()[0], "cost": {"budget_s": BUDGET_S, "wall_s": round(wall, 1),
                                                        "met": wall <= BUDGET_S}}
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "adaptive_planted.json").write_text(json.dumps(out, indent=1, default=float) + "\n")
    if args.json:
        print(json.dumps(out, indent=1, default=float))
        return 0

    def pct(v: float) -> str:
        return "not reached" if not math.isfinite(v) else f"{v:.0%}"

    print("\nsaving at 100% of the set cover's full-budget quality (embedding reference), planted people:")
    print(f"{'seed':>4} {'sharpness':>9} {'true OOO ceiling':>16} {'SocialWorld':>11} {'adaptive':>9} "
          f"{'its draws':>18} {'random':>11}")
    for r in rows:
        print(f"{r['seed']:>4} {r['sharpness']:>9g} {r['ceiling_true']:>16.3f} {r['socialworld_ceiling_true']:>11.3f} "
              f"{pct(r['adaptive_saving']):>9} {', '.join(pct(v) for v in r['adaptive_draw_savings']):>18} "
              f"{pct(r['random_saving']):>11}")
    print(f"\ncost: {wall:.0f} s wall (budget {BUDGET_S} s on 2 cores; load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
