"""``socalign data synth`` for people: aligned tables and sections, not a nested dump; ``--json``
unchanged (issue 28)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from socalign.cli import main
from socalign.cli.output import SPREAD_LABEL, fmt
from socalign.cli.synth import socialworld_text

SMALL = ["--videos", "15", "--participants", "6", "--trials-per-participant", "30",
         "--frames", "4", "--size", "16"]
DECIMAL = re.compile(r"\d+\.\d+")


def unrounded(text: str) -> list[str]:
    """Decimals in ``text`` with more than 3 significant digits."""
    return [m for m in DECIMAL.findall(text) if len(m.replace(".", "").lstrip("0")) > 3]


def _human(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert not text.lstrip().startswith("{") and "{" not in text and not unrounded(text), text
    return text


def test_socialworld_prints_counts_and_a_stage_table(tmp_path: Path, capsys) -> None:
    text = _human(capsys, ["data", "synth", "socialworld", "--out", str(tmp_path / "w"), *SMALL,
                           "--no-calibrate"])
    lines = text.splitlines()
    assert lines[0].startswith(f"SocialWorld written to {tmp_path / 'w'}: 15 videos (train ")
    assert "trials (" in lines[0] and "by 6 simulated participants" in lines[0]
    header = next(k for k, line in enumerate(lines) if line.split()[:1] == ["stage"])
    assert lines[header].split() == ["stage", "wall", "s", "CPU", "s"]
    table = lines[header:lines.index("", header)]
    assert [line.split()[0] for line in table[2:]] == [
        "simulate", "render", "encode", "judge", "write", "total"]
    assert len({len(line) for line in table}) == 1  # aligned
    assert "calibration: not measured (--no-calibrate)" in text
    assert main(["data", "synth", "socialworld", "--out", str(tmp_path / "j"), *SMALL,
                 "--no-calibrate", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["out", "n_videos", "n_trials", "n_catch_trials", "n_participants",
                             "splits", "times", "calibration"]
    assert printed["calibration"] is None and set(printed["splits"]) == {"train", "test"}
    assert f"{printed['n_trials']} trials ({printed['n_catch_trials']} of them catch" in text


def test_calibration_is_tables_with_targets_and_checks(tmp_path: Path) -> None:
    from socalign.data.socialworld.synth import synthesize

    result = synthesize(tmp_path / "w", n_videos=20, n_participants=10, trials_per_participant=40,
                        n_frames=4, size=16).to_dict()  # calibrated, without a caption encoder
    text = socialworld_text(json.loads(json.dumps(result)))
    assert "{" not in text and not unrounded(text), text
    calibration = result["calibration"]
    loo = next(line for line in text.splitlines() if "LOO agreement of repeated triplets" in line)
    assert fmt(calibration["consistency"]["loo_agreement"]) in loo and "target 0.5 to 0.7" in loo
    half = calibration["split_half"]
    assert f"{fmt(half['low'])} to {fmt(half['high'])}  {SPREAD_LABEL}" in text
    rows = [line.split() for line in text.splitlines()
            if line.split()[:1] in (["oracle"], ["pixels"], ["minilm"])]
    assert [r[:2] for r in rows if r[0] != "minilm"] == [
        ["oracle", "test"], ["oracle", "train"], ["pixels", "test"], ["pixels", "train"]]
    assert any(r[0] == "minilm" and "not measured: no caption encoder" in " ".join(r)
               for r in rows)
    checks = [line.split() for line in text.splitlines()
              if line.split()[:1] and line.split()[0] in calibration["checks"]]
    assert len(checks) == len(calibration["checks"])
    for row, passed in zip(checks, calibration["checks"].values(), strict=True):
        assert " ".join(row).endswith({None: "not measured", True: "yes", False: "no"}[passed])


def test_actions_prints_counts_and_labels(tmp_path: Path, capsys) -> None:
    argv = ["data", "synth", "socialworld-actions", "--out", str(tmp_path / "a"), "--clips", "18",
            "--frames", "4", "--size", "16"]
    text = _human(capsys, argv)
    assert text.startswith(f"SocialWorld action set written to {tmp_path / 'a'}: 18 clips (train ")
    assert "motion patterns" in text and "still, linear_slow" in text
    assert main([*argv[:4], str(tmp_path / "b"), *argv[5:], "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)) == ["out", "n_clips", "labels", "splits"]
