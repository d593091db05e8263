"""The command line for people: aligned, rounded text; defaults in --help; --json unchanged;
embeddings files that record another dataset are refused (exit 2) unless allowed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from socalign.cli import main
from socalign.cli.output import fmt, fmt_ci, format_fields, format_table
from socalign.data import load_dataset
from socalign.data.layout import write_benchmark
from socalign.models.embeddings import dataset_record, read_meta, save_embeddings

DECIMAL = re.compile(r"\d+\.\d+")


def _unrounded(text: str) -> list[str]:
    """Decimal numbers in ``text`` with more than 3 significant digits (0.333631, 174.01)."""
    return [m for m in DECIMAL.findall(text)
            if len(m.replace(".", "").lstrip("0")) > 3]


def _human(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _check_readable(text: str, min_lines: int = 5, max_width: int = 200) -> list[str]:
    lines = text.rstrip("\n").splitlines()
    assert len(lines) >= min_lines, text
    assert max(len(line) for line in lines) <= max_width, max(lines, key=len)
    assert not _unrounded(text), _unrounded(text)
    assert not text.lstrip().startswith("{")  # not JSON
    return lines


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.333631, "0.334"), (174.013905, "174"), (1e8, "1e+08"), (0.0000112, "1.12e-05"),
     (0.9996, "1.00"), (0.0318, "0.0318"), (1234.5, "1230"), (0.5, "0.500"), (-0.0, "0"),
     (27, "27"), (None, "n/a"), (float("nan"), "n/a"), (True, "yes")],
)
def test_fmt_rounds_to_three_significant_digits(value: object, text: str) -> None:
    assert fmt(value) == text


def test_unrounded_finds_long_numbers() -> None:
    assert _unrounded("r 0.4475799468 and 174.01 but 0.00220, 0.334, 1230") == ["0.4475799468",
                                                                             "174.01"]


def test_fmt_ci_and_tables_align() -> None:
    # the three share the decimals of the largest, as the book prints them (socalign.text)
    assert fmt_ci(0.04412, 0.00731, 0.1219) == "0.044 [0.007, 0.122]"
    assert fmt_ci(0.5) == "0.500"
    table = format_table([{"model": "pixel", "r2": 0.003854, "n": 572},
                          {"model": "minilm", "r2": 0.15985, "n": None}])
    header, rule, *rows = table.splitlines()
    assert header.split() == ["model", "r2", "n"] and set(rule.replace(" ", "")) == {"-"}
    assert rows == ["pixel   0.00385  572", "minilm    0.160  n/a"]  # numbers right-aligned
    assert len({len(line) for line in (header, rule, *rows)}) == 1
    fields = format_fields([("a", 0.123456, "unit"), ("longer", 3)]).splitlines()
    assert fields[0].index("0.123") == fields[1].index("3")


def test_ceiling_human_and_json(tiny_benchmark_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["ceiling", str(tiny_benchmark_dir), "--split", "train", "--n-splits", "20"]
    lines = _check_readable(_human(capsys, argv))
    assert "split-half reliability" in "\n".join(lines)
    assert "R² ceiling" in "\n".join(lines)
    out = _json(capsys, argv)
    assert list(out)[:6] == ["dataset", "split", "n_trials", "split_half", "ooo_consistency", "seed"]
    # the text shows the JSON's numbers, rounded
    assert fmt(out["split_half"]["r_sb"]) in "\n".join(lines)


def test_evaluate_human_and_json(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    X = np.random.default_rng(0).normal(size=(len(bench.videos), 4))
    save_embeddings(tmp_path / "e.npz", bench.videos.ids, X, **dataset_record(bench))
    argv = ["evaluate", str(tiny_benchmark_dir), "--split", "train", "--n-boot", "30",
            "--embeddings", str(tmp_path / "e.npz")]
    text = _human(capsys, argv)
    lines = _check_readable(text)
    table = [line for line in lines if line.startswith(("R²", "Spearman", "Pearson", "OOO"))]
    assert len(table) == 5  # r2, spearman, pearson, OOO under both rules
    assert len({line.index("[") for line in table}) == 1  # intervals aligned
    assert "videos x 30" in text and "trials x 30" in text  # the resampling unit of each CI
    out = _json(capsys, argv)
    assert set(out) == {"dataset", "embeddings", "split", "metric", "r2", "spearman", "pearson",
                        "ooo_accuracy", "chance", "n_pairs", "n_trials", "n_videos", "ci", "seed"}
    assert fmt(out["r2"]) in text


def test_gap_human_is_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.tables import make_tables

    videos, trials, captions = make_tables(n_videos=18, n_trials=900)
    root = write_benchmark(tmp_path / "b", videos, trials, captions, {"name": "b"})
    bench = load_dataset(root)
    rng = np.random.default_rng(1)
    for name in ("a", "b"):
        save_embeddings(tmp_path / f"{name}.npz", bench.videos.ids,
                        rng.normal(size=(len(bench.videos), 3)), kind="video",
                        **dataset_record(bench))
    models = f"{tmp_path / 'a.npz'},{tmp_path / 'b.npz'}"
    argv = ["gap", str(root), "--models", models, "--n-boot", "20"]
    text = _human(capsys, argv)
    lines = _check_readable(text, max_width=130)
    header = next(line for line in lines if line.startswith("model"))
    assert "R² [95% CI]" in header and "OOO argmax [95% CI]" in header
    rows = [line for line in lines if line.startswith(("a.npz", "b.npz"))]
    assert len(rows) == 2 and len({len(r) for r in rows}) == 1
    assert "noise ceilings" in text and "squared Spearman" in text
    out = _json(capsys, argv)
    assert set(out) == {"dataset", "split", "metric", "models", "ceiling", "paired_tests",
                        "n_boot", "notes", "seed"}
    first = out["models"][0]
    assert fmt_ci(first["r2"], first["ci"]["r2"]["low"], first["ci"]["r2"]["high"]) in rows[0]


def test_data_info_human(tiny_benchmark_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _human(capsys, ["data", "info", str(tiny_benchmark_dir)])
    lines = _check_readable(text)
    split_rows = [line.split() for line in lines if line.split()[:1] in (["train"], ["test"])]
    assert split_rows[0][:2] == ["train", "8"]
    assert "mean accuracy" in text and "{" not in text


def test_json_output_is_indented_json(tiny_benchmark_dir: Path, capsys) -> None:
    assert main(["data", "info", str(tiny_benchmark_dir), "--json"]) == 0
    raw = capsys.readouterr().out
    assert raw == json.dumps(json.loads(raw), indent=2) + "\n"


@pytest.mark.parametrize(
    ("command", "expected"),
    [(["gap"], ["--n-boot N_BOOT", "(default: 1000)", "--seed SEED", "(default: 0)",
                "--split SPLIT", "(default: test)"]),
     (["probe"], ["(default: 1000)", "--train-split TRAIN_SPLIT", "(default: train)"]),
     (["ceiling"], ["(default: 100)", "(default: all)"]),
     (["evaluate"], ["(default: cosine)", "--allow-dataset-mismatch"])],
)
def test_help_shows_defaults(command: list[str], expected: list[str], capsys) -> None:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for piece in expected:
        assert piece in text, piece
    assert "(default: None)" not in text and "(default: False)" not in text


def test_probe_help_lists_n_perm_default(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["probe", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert re.search(r"--n-perm N_PERM permutations per attribute \(default: 1000\)", text)


def _other_benchmark(tmp_path: Path) -> Path:
    from tests.helpers.tables import make_tables

    videos, trials, captions = make_tables(seed=5)  # same ids, other captions and ratings
    captions["caption"] = captions["caption"] + " elsewhere"
    return write_benchmark(tmp_path / "other", videos, trials, captions, {"name": "other"})


def test_embeddings_of_another_dataset_are_refused(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = load_dataset(_other_benchmark(tmp_path))
    X = np.random.default_rng(0).normal(size=(len(other.videos), 4))
    path = save_embeddings(tmp_path / "other.npz", other.videos.ids, X, **dataset_record(other))
    argv = ["evaluate", str(tiny_benchmark_dir), "--split", "train", "--n-boot", "0",
            "--embeddings", str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "was made from dataset 'other'" in err[0]
    assert "--allow-dataset-mismatch" in err[0]
    assert main([*argv, "--json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["where"] == str(path)
    assert main([*argv, "--allow-dataset-mismatch"]) == 0
    assert "used anyway" in capsys.readouterr().err
    for command in (["gap", str(tiny_benchmark_dir), "--models", str(path)],
                    ["probe", str(tiny_benchmark_dir), "--embeddings", str(path)]):
        assert main([*command, "--n-boot", "0"]) == 2
        assert "was made from dataset 'other'" in capsys.readouterr().err


def test_older_files_without_a_record_are_accepted_with_a_note(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    X = np.random.default_rng(0).normal(size=(len(bench.videos), 4))
    path = save_embeddings(tmp_path / "old.npz", bench.videos.ids, X, model="old")
    assert main(["evaluate", str(tiny_benchmark_dir), "--split", "train", "--n-boot", "0",
                 "--embeddings", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    assert "records no dataset" in captured.err
    assert json.loads(captured.out)["r2"] is not None


def test_embed_and_similarity_record_the_dataset(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    out = tmp_path / "tfidf.npz"
    assert main(["embed", str(tiny_benchmark_dir), "--model", "tfidf", "--out", str(out),
                 "--no-cache"]) == 0
    text = capsys.readouterr().out
    assert "embeddings of tiny written to" in text and "{" not in text
    assert {k: read_meta(out)[k] for k in ("dataset", "dataset_videos_key")} == dataset_record(bench)
    sim = tmp_path / "sim.npz"
    assert main(["data", "similarity", str(tiny_benchmark_dir), "--out", str(sim)]) == 0
    assert "pairs judged" in capsys.readouterr().out
    assert read_meta(sim)["dataset_videos_key"] == dataset_record(bench)["dataset_videos_key"]
    other = _other_benchmark(tmp_path)
    assert main(["evaluate", str(other), "--similarity", str(sim), "--split", "train",
                 "--n-boot", "0"]) == 2
    assert "was made from dataset 'tiny'" in capsys.readouterr().err
