"""``socalign gap/partition/probe --json`` on a small benchmark written to disk."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from socalign.cli import main
from socalign.data.layout import write_benchmark
from socalign.models.embeddings import save_embeddings


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    """24 videos (12 test) with a rating; observers judge by latent Z; embeddings files."""
    root = tmp_path_factory.mktemp("bench")
    rng = np.random.default_rng(0)
    n = 24
    Z = rng.normal(size=(n, 3))
    ids = np.arange(10, 10 + n)
    splits = np.where(np.arange(n) < 12, "train", "test")
    rating = (Z[:, 0] - Z[:, 0].min()) / np.ptp(Z[:, 0])
    videos = pd.DataFrame({"video_id": ids, "split": splits, "rating_valence": rating})
    rows = []
    for k in range(1500):
        pool = np.flatnonzero(splits == ("test" if k % 2 else "train"))
        t = rng.choice(pool, 3, replace=False)
        d = [np.linalg.norm(Z[t[1]] - Z[t[2]]), np.linalg.norm(Z[t[0]] - Z[t[2]]),
             np.linalg.norm(Z[t[0]] - Z[t[1]])]
        odd = int(np.argmin(np.array(d) - rng.gumbel(size=3) * 0.3))
        rows.append((f"p{k % 15}", *ids[t], ids[t][odd]))
    trials = pd.DataFrame(rows, columns=["participant", "video_1", "video_2", "video_3", "choice"])
    write_benchmark(root / "data", videos, trials)
    save_embeddings(root / "good.npz", ids, Z + 0.1 * rng.normal(size=Z.shape), model="good",
                    kind="language")
    save_embeddings(root / "noise.npz", ids, rng.normal(size=(n, 3)), model="noise",
                    kind="video")
    save_embeddings(root / "half.npz", ids, np.column_stack([Z[:, :1], rng.normal(size=(n, 2))]))
    return root


def _run(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_gap_cli(bench_dir, capsys) -> None:
    out = _run(capsys, ["gap", str(bench_dir / "data"), "--models",
                        f"{bench_dir / 'good.npz'},{bench_dir / 'noise.npz'}",
                        "--n-boot", "50", "--json"])
    assert [m["model"] for m in out["models"]] == [str(bench_dir / "good.npz"),
                                                   str(bench_dir / "noise.npz")]
    good, noise = out["models"]
    assert good["r2"] > noise["r2"]
    assert set(good["ooo_accuracy"]) == {"argmax", "pair"}
    assert good["ci"]["r2"]["n_boot"] == 50
    assert out["split"] == "test" and "ceiling" in out
    assert [good["kind"], noise["kind"]] == ["language", "video"]  # from the files' meta
    paired = out["paired_tests"]["language_vs_video"]
    assert paired["r2"]["estimate"] == pytest.approx(good["r2"] - noise["r2"])


def test_partition_cli(bench_dir, capsys) -> None:
    out = _run(capsys, ["partition", str(bench_dir / "data"), "--predictors",
                        f"{bench_dir / 'good.npz'},{bench_dir / 'half.npz'}",
                        "--n-boot", "30", "--regression", "ols_raw", "--json"])
    assert out["regression"] == "ols_raw" and out["predictors"] == ["good", "half"]
    comps = {c["component"]: c["value"] for c in out["components"]}
    assert sum(comps.values()) == pytest.approx(out["r2_full"])
    assert out["r2"]["good"] > out["r2"]["half"]


def test_probe_cli(bench_dir, capsys) -> None:
    out = _run(capsys, ["probe", str(bench_dir / "data"), "--embeddings",
                        str(bench_dir / "good.npz"), "--attributes", "valence",
                        "--n-perm", "200", "--n-boot", "50", "--json"])
    (row,) = out["attributes"]
    assert row["attribute"] == "valence" and row["r"] > 0.8
    assert row["p_value"] == pytest.approx(1 / 201)
    assert (row["n_train"], row["n_test"]) == (12, 12)


def test_cli_errors_are_one_line(bench_dir, capsys) -> None:
    assert main(["probe", str(bench_dir / "data"), "--embeddings", str(bench_dir / "good.npz"),
                 "--attributes", "arousal"]) == 2
    assert "unknown attribute(s) ['arousal']" in capsys.readouterr().err
    assert main(["partition", str(bench_dir / "data"), "--predictors",
                 str(bench_dir / "good.npz")]) == 2
    assert "give 2 or 3 predictors" in capsys.readouterr().err


def test_analyses_import_without_torch() -> None:
    import subprocess
    import sys

    code = "import sys, socalign.analyses, socalign.plots; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_partition_reads_similarity_files_like_embeddings(bench_dir) -> None:
    """A predictor given as a similarity (.npz with ids, or an (N, N) .npy) equals its embeddings."""
    from socalign.analyses.partition import partition_benchmark, predictor_similarity
    from socalign.cache import atomic_save_npz
    from socalign.data import load_dataset
    from socalign.metrics import similarity_from_embeddings

    bench = load_dataset(bench_dir / "data")
    with np.load(bench_dir / "half.npz") as data:
        ids, emb = data["ids"], data["embeddings"]
    sim = similarity_from_embeddings(emb, "cosine")
    atomic_save_npz(bench_dir / "half_sim.npz", ids=ids, similarity=sim)
    np.save(bench_dir / "half_sim.npy", sim)
    test = bench.split_indices("test")
    from_emb = predictor_similarity(bench, str(bench_dir / "half.npz"), "test")
    for name in ("half_sim.npz", "half_sim.npy"):
        got = predictor_similarity(bench, str(bench_dir / name), "test")
        np.testing.assert_allclose(got[np.ix_(test, test)], from_emb[np.ix_(test, test)])
    a = partition_benchmark(bench, [str(bench_dir / "good.npz"), str(bench_dir / "half.npz")],
                            n_boot=0)
    b = partition_benchmark(bench, [str(bench_dir / "good.npz"), str(bench_dir / "half_sim.npy")],
                            names=["good", "half"], n_boot=0)
    assert a.components == pytest.approx(b.components)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        predictor_similarity(bench, str(bench_dir / "missing.npz"), "test")
