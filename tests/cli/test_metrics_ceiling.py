"""``socalign ceiling`` for people (issue 28): each quantity once (the R² ceiling is r_sb, one row
naming both), the three OOO ceilings once when they print alike and one line each otherwise,
and the split-half bracket labelled as a spread over splits, not a confidence interval."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from socalign.cli import main
from socalign.cli.metrics import ceiling_text
from socalign.cli.output import SPREAD_LABEL, fmt
from socalign.data.layout import write_benchmark
from tests.helpers.tables import make_tables

JSON_KEYS = ["dataset", "split", "n_trials", "split_half", "ooo_consistency", "seed",
             "ooo_ceiling", "ceilings"]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """(the human text, the --json object) of one benchmark's ceilings."""
    import contextlib
    import io

    videos, trials, captions = make_tables(n_videos=18, n_trials=1200, seed=3)
    root = write_benchmark(tmp_path_factory.mktemp("ceil") / "b", videos, trials, captions,
                           {"name": "b"})
    argv = ["ceiling", str(root), "--n-splits", "20"]
    outs = []
    for extra in ([], ["--json"]):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert main([*argv, *extra]) == 0
        outs.append(buffer.getvalue())
    return outs[0], json.loads(outs[1])


def test_json_is_unchanged(printed) -> None:
    _, out = printed
    assert list(out) == JSON_KEYS
    assert list(out["ceilings"]) == ["r2_ceiling", "reliability", "ooo_reliability", "ooo_ceiling"]
    assert {"ceiling", "repeated_ceiling", "prior_ceiling"} <= set(out["ooo_ceiling"])
    assert {"r_sb", "r2_ceiling", "low", "high"} <= set(out["split_half"])


def test_r2_ceiling_is_printed_once_naming_r_sb(printed) -> None:
    text, out = printed
    rows = [line for line in text.splitlines()  # table rows and fields: a label, two spaces
            if re.match(r"(R² ceiling|similarity reliability|r_sb \()[^:]*  ", line)]
    assert len(rows) == 1 and rows[0].startswith("R² ceiling = r_sb (split-half reliability)")
    assert fmt(out["split_half"]["r_sb"]) in rows[0]
    # the split-half block keeps r and r_sb² but repeats neither r_sb nor the R² ceiling
    block = text.split("split-half reliability of the judged similarity", 1)[1].split("\n\n")[0]
    labels = [line.strip().split("  ")[0] for line in block.splitlines()[1:]]
    assert labels == ["r (one half vs the other)", "r_sb²", "pairs per half (mean)"]


def test_split_spread_is_labelled_not_a_confidence_interval(printed) -> None:
    text, out = printed
    half = out["split_half"]
    low, high = fmt(half["low"]), fmt(half["high"])
    assert f"[{low}, {high}]" not in text  # no bracket that reads as a CI
    row = next(line for line in text.splitlines() if line.startswith("R² ceiling"))
    header = next(line for line in text.splitlines() if line.startswith("measure"))
    assert f"{low} to {high}" in row and "spread over splits" in header
    assert SPREAD_LABEL in " ".join(text.split())


def test_ooo_ceilings_once_when_alike_else_one_line_each(printed) -> None:
    text, out = printed
    ooo = out["ooo_ceiling"]
    alike = copy.deepcopy(out)
    alike["ooo_ceiling"]["repeated_ceiling"] = alike["ooo_ceiling"]["prior_ceiling"] = ooo["ceiling"]
    shown = ceiling_text(alike)
    assert shown.count(fmt(ooo["ceiling"])) == 1  # in the table, nowhere else
    assert "is one value (to 3 significant digits)" in " ".join(shown.split())
    assert "over repeated triplets only" not in shown
    apart = copy.deepcopy(out)
    apart["ooo_ceiling"].update(ceiling=0.6, repeated_ceiling=0.7, prior_ceiling=0.55)
    apart["ceilings"]["ooo_ceiling"]["estimate"] = 0.6
    shown = ceiling_text(apart)
    lines = shown.splitlines()
    repeated = [line for line in lines if "over repeated triplets only" in line]
    prior = [line for line in lines if "for a triplet shown once" in line]
    assert len(repeated) == len(prior) == 1
    assert "0.700" in repeated[0] and "0.550" in prior[0] and "one value" not in shown
    assert "lies between the two" in " ".join(shown.split())
    # the numbers printed in the OOO block are ceiling_text's, not a dump of every key
    assert "repeated ceiling" not in text and "prior ceiling" not in text


@pytest.mark.realdata
def test_real_data_prints_each_quantity_once(garcia_root: Path, capsys) -> None:
    assert main(["ceiling", str(garcia_root), "--split", "test", "--n-splits", "10"]) == 0
    text = capsys.readouterr().out
    assert len(re.findall(r"R² ceiling = r_sb \(split-half reliability\)\s{2,}\d", text)) == 1
    assert "similarity reliability" not in text and "repeated ceiling" not in text
    assert SPREAD_LABEL in " ".join(text.split())
