"""``socalign finetune`` for people: aligned tables, not a nested dump; ``--json`` unchanged; its
held-out intervals are those ``socalign evaluate --seed`` prints (issue 28)."""

from __future__ import annotations

import json
import re

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("av")

from socalign.cli import main  # noqa: E402
from socalign.cli.output import fmt, fmt_interval  # noqa: E402
from socalign.cli.train import finetune_text  # noqa: E402
from tests.helpers.fixtures import finetune_args  # noqa: E402

#: The keys of ``finetune --json`` (public API: added to, never renamed).
JSON_KEYS = ["out", "backbone", "trainer", "loss", "seed", "split", "before", "after", "gain",
             "best_epoch", "best_val_spearman", "forward_train", "time_to_best_s", "report"]
DECIMAL = re.compile(r"\d+\.\d+")


def unrounded(text: str) -> list[str]:
    """Decimals in ``text`` with more than 3 significant digits."""
    return [m for m in DECIMAL.findall(text) if len(m.replace(".", "").lstrip("0")) > 3]


@pytest.fixture(scope="module")
def run(video_benchmark, tmp_path_factory) -> tuple:
    """One tiny run, printed for people: (benchmark, run folder, printed text)."""
    import contextlib
    import io

    bench, backbone = video_benchmark
    out = tmp_path_factory.mktemp("human") / "run"
    torch.set_num_threads(1)
    args = [a for a in finetune_args(bench, backbone, out, "--trainer", "fast") if a != "--json"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    return bench, out, printed.getvalue()


def test_finetune_prints_tables_not_a_dump(run) -> None:
    _, out, text = run
    report = json.loads((out / "report.json").read_text())
    assert not text.lstrip().startswith("{") and '"' not in text
    assert not unrounded(text), unrounded(text)  # 3 significant digits
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("statistic"))
    assert header.split()[:3] == ["statistic", "before", "after"] and "gain [95% CI]" in header
    rows = [line for line in lines if line.startswith(("R²", "Spearman", "OOO accuracy"))]
    assert len(rows) == 4 and len({len(r) for r in rows}) == 1  # one aligned row per statistic
    r2 = rows[0]
    assert fmt(report["before"]["r2"]) in r2 and fmt(report["after"]["r2"]) in r2
    assert fmt_interval(report["gain"]["r2"]) in r2 and "videos x 20" in r2
    assert "trials x 20" in rows[2]
    assert f"report: {out}/report.json" in text and "best validation Spearman" in text


def test_finetune_json_keys_are_unchanged(video_benchmark, tmp_path, capsys) -> None:
    bench, backbone = video_benchmark
    torch.set_num_threads(1)
    assert main(finetune_args(bench, backbone, tmp_path / "run", "--trainer", "fast",
                              "--epochs", "1")) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == JSON_KEYS
    assert set(printed["before"]) == {"r2", "spearman", "ooo_accuracy"}
    assert set(printed["gain"]) == {"r2", "spearman", "ooo_accuracy"}
    # the human text renders this very object
    text = finetune_text(printed)
    assert printed["backbone"] in text and fmt(printed["after"]["spearman"]) in text


def test_held_out_intervals_are_those_of_evaluate(run, capsys) -> None:
    """The report's before/after intervals equal ``evaluate --split test --seed 0`` on the
    run's saved embeddings (same seed, same resamples), as the printed legend says."""
    bench, out, text = run
    assert "socalign evaluate --split test --seed 0" in " ".join(text.split())
    report = json.loads((out / "report.json").read_text())
    for side in ("before", "after"):
        assert main(["evaluate", str(bench), "--embeddings", str(out / f"embeddings_{side}.npz"),
                     "--split", "test", "--n-boot", "20", "--seed", "0", "--json"]) == 0
        evaluated = json.loads(capsys.readouterr().out)
        ours, theirs = report[side]["ci"], evaluated["ci"]
        assert bounds(ours["r2"]) == pytest.approx(bounds(theirs["r2"]), rel=1e-9)
        for rule in ("argmax", "pair"):
            assert bounds(ours["ooo_accuracy"][rule]) == pytest.approx(
                bounds(theirs["ooo_accuracy"][rule]), rel=1e-9)
            assert ours["ooo_accuracy"][rule]["n_boot"] == 20


def bounds(interval: dict) -> list[float]:
    """An interval's estimate, bounds and sd."""
    return [interval[k] for k in ("estimate", "low", "high", "sd")]
