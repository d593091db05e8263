"""Write the README's measured figures from the benchmarks' recorded JSON: no typed result.

The README's demo figures live between generated markers, one block per recorded run of
``benchmarks/demo_story.py`` (``--record`` writes ``benchmarks/results/demo_story_world<SEED>.json``;
``--worlds A-B --record`` writes ``demo_story_worlds.json``, the inputs over several worlds)::

    <!-- BEGIN GENERATED demo_story_world0 -->
    ...
    <!-- END GENERATED demo_story_world0 -->

    python scripts/readme_figures.py          # rewrite the blocks from the recorded JSON
    python scripts/readme_figures.py --check  # exit 1 naming each block that differs

``tests/contract/test_readme_figures.py`` runs the check, so a README whose figures differ from
the last recorded run fails the suite; re-record (``python benchmarks/demo_story.py --record``)
and rewrite to update them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results"
BLOCK = re.compile(
    r"(?P<begin><!-- BEGIN GENERATED (?P<name>[\w.-]+) -->\n)(?P<body>.*?)(?P<end><!-- END GENERATED (?P=name) -->)",
    re.S,
)


def _cell(text: str) -> str:
    """A table cell: pipes escaped, one line."""
    return " ".join(str(text).split()).replace("|", "\\|")


def render(record: dict[str, Any]) -> str:
    """The markdown of one recorded ``demo_story.py`` run: a table of its rungs and a summary line.

    Parameters
    ----------
    record : dict
        What ``demo_story.py --json`` (or ``--record``) wrote: ``rungs`` (rung, claim, measured,
        floor, passed), ``passed``, ``floors``, ``detail`` (``seconds``) and ``recorded``.

    Returns
    -------
    str
        The block's body, ending in a newline.
    """
    rows = ["| rung | claim | measured | floor | met |", "|---|---|---|---|---|"]
    for rung in record["rungs"]:
        met = {None: "reported", True: "yes", False: "**no**"}[rung["passed"]]
        rows.append("| " + " | ".join(_cell(rung[k]) for k in ("rung", "claim", "measured", "floor"))
                    + f" | {met} |")
    recorded = record.get("recorded", {})
    world = recorded.get("world_seed", "?")
    outcomes = len(record["rungs"]) - record["floors"]
    summary = (f"World seed {world}: {record['passed']} of {record['floors']} floors met, "
               f"{outcomes} outcomes reported; recorded {recorded.get('date', '?')} at commit "
               f"`{recorded.get('commit', '?')}` in {record['detail']['seconds']:.0f} s "
               f"({recorded.get('machine', 'machine not recorded')}).")
    return "\n".join(rows) + "\n\n" + summary + "\n"


def _note(measured: str) -> str:
    """The parenthesised note that ends a measured text (``0.71 (garcia2025 0.196)``), else ''."""
    found = re.search(r" \(([^()]*)\)$", measured)
    return found.group(1) if found else ""


def render_worlds(record: dict[str, Any]) -> str:
    """The markdown of one recorded ``demo_story.py --worlds`` run: a row per input rung, a column
    per world (the number measured, three significant digits, with the note its measured text ends
    in: once beside the claim when every world has the same, such as the paper's figure), the mean
    and, for a floor, on how many worlds it is met.

    Parameters
    ----------
    record : dict
        What ``demo_story.py --worlds ... --record`` wrote: ``worlds``, ``table`` (rung, claim,
        floor, measured, values, mean, met), ``detail`` (``seconds``) and ``recorded``.

    Returns
    -------
    str
        The block's body, ending in a newline.
    """
    worlds = record["worlds"]
    rows = ["| claim | floor | " + " | ".join(f"world {w}" for w in worlds) + " | mean | met |",
            "|---|---|" + "---|" * len(worlds) + "---|---|"]
    for row in record["table"]:
        notes = [_note(text) for text in row["measured"]]
        common = notes[0] if len(set(notes)) == 1 else ""  # the same note on every world: once, by the claim
        claim = f"{row['claim']} ({common})" if common else row["claim"]
        cells = [text if value is None else f"{value:.3g}" + (f" ({note})" if note and not common else "")
                 for text, value, note in zip(row["measured"], row["values"], notes, strict=True)]
        mean = "" if row["mean"] is None else f"{row['mean']:.3g}"
        met = "reported" if row["met"] is None else f"{row['met']} of {len(worlds)}"
        rows.append("| " + " | ".join(_cell(c) for c in (claim, row["floor"], *cells, mean, met)) + " |")
    recorded = record.get("recorded", {})
    floors = [r for r in record["table"] if r["met"] is not None]
    every = sum(r["met"] == len(worlds) for r in floors)
    summary = (f"Worlds {worlds[0]}-{worlds[-1]}: {every} of {len(floors)} floors met on every world; "
               f"recorded {recorded.get('date', '?')} at commit `{recorded.get('commit', '?')}` in "
               f"{record['detail']['seconds']:.0f} s ({recorded.get('machine', 'machine not recorded')}).")
    if worlds != list(range(worlds[0], worlds[-1] + 1)):
        summary = summary.replace(f"Worlds {worlds[0]}-{worlds[-1]}", "Worlds " + ", ".join(map(str, worlds)))
    return "\n".join(rows) + "\n\n" + summary + "\n"


def recorded_blocks(results: Path = RESULTS) -> dict[str, str]:
    """Every recorded run under ``results`` (``demo_story_world*.json``: one world's run, or
    ``demo_story_worlds.json``, the inputs over several worlds), rendered, by block name."""
    blocks = {}
    for path in sorted(results.glob("demo_story_world*.json")):
        record = json.loads(path.read_text())
        blocks[path.stem] = render_worlds(record) if "worlds" in record else render(record)
    return blocks


def rewrite(text: str, blocks: dict[str, str]) -> tuple[str, list[str]]:
    """``text`` with each generated block's body replaced by its rendering.

    Returns
    -------
    tuple of (str, list of str)
        The new text, and the names of the blocks whose body changed (a block with no recorded
        run is named as ``NAME (no recorded run)`` and left as it is).
    """
    changed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in blocks:
            changed.append(f"{name} (no recorded run)")
            return match[0]
        if match["body"] != blocks[name]:
            changed.append(name)
        return match["begin"] + blocks[name] + match["end"]

    return BLOCK.sub(replace, text), changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when a block differs")
    parser.add_argument("--readme", type=Path, default=README, help="the file to rewrite (default: README.md)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the recorded JSON")
    args = parser.parse_args(argv)
    text = args.readme.read_text()
    new, changed = rewrite(text, recorded_blocks(args.results))
    if not BLOCK.search(text):
        print(f"{args.readme}: no generated block", file=sys.stderr)
        return 1
    if args.check:
        for name in changed:
            print(f"{args.readme}: block {name} differs from its recorded run "
                  f"(python scripts/readme_figures.py rewrites it)", file=sys.stderr)
        return 1 if changed else 0
    if new != text:
        args.readme.write_text(new)
    print(f"{args.readme}: {len(changed)} block(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
