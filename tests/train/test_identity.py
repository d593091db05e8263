"""One run identity (issue 22): a run folder's files belong to one run, one writer at a time,
exports and saved models are checked against the run's own record, no pickle is loaded.

Every refusal is exit status 2, one ``socalign: error:`` line naming the file (and field), and
no file on disk changed (the folders' bytes are compared before and after).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("av")
pytest.importorskip("peft")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import socalign  # noqa: E402
from socalign.cli import main  # noqa: E402
from socalign.train.checkpoint import (  # noqa: E402
    POINTER_FIELDS,
    ListOf,
    RunFileError,
    last_checkpoint,
    load_state,
    save_state,
)
from socalign.train.identity import run_lock  # noqa: E402
from socalign.train.runfiles import (  # noqa: E402
    ADAPTER_FIELDS,
    CONFIG_FIELDS,
    HEAD_FIELDS,
    IDENTITY_FIELDS,
    REPORT_FIELDS,
    RUN_LOCK,
)
from tests.helpers.fixtures import finetune_args  # noqa: E402

EXAMPLES = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def finished(video_benchmark, tmp_path_factory) -> tuple[Path, Path, Path]:
    """(finished run, benchmark folder, backbone folder) of one real, small run."""
    bench, backbone = video_benchmark
    out = tmp_path_factory.mktemp("identity") / "run"
    torch.set_num_threads(1)
    assert main(finetune_args(bench, backbone, out, "--trainer", "fast", "--loss", "hybrid")) == 0
    return out, bench, backbone


def _unfinished(run: Path, where: Path) -> Path:
    """A copy of ``run`` as a killed run leaves it: config and checkpoints, no report."""
    copy = where / "unfinished"
    shutil.copytree(run, copy)
    (copy / "report.json").unlink()
    return copy


def _refused(capsys, argv: list[str], folders: list[Path], *names: str) -> str:
    """``argv`` exits 2 with one stderr line naming ``names``; ``folders`` are unchanged."""
    capsys.readouterr()
    before = [_tree(f) if f.is_dir() else None for f in folders]
    assert main(argv) == 2
    err = capsys.readouterr().err
    # transformers' own "Loading weights" bar (a refusal after the backbone loaded) is not ours
    lines = [line for line in err.strip().splitlines() if not line.startswith("Loading weights")]
    assert len(lines) == 1 and lines[0].startswith("socalign: error: "), err
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert [_tree(f) if f.is_dir() else None for f in folders] == before
    return lines[0]


# --- resume: another dataset, changed backbone weights, a run older than the record ----------


def test_resume_with_another_dataset_is_refused(finished, tmp_path, capsys) -> None:
    run, bench, backbone = finished
    other = tmp_path / "other_bench"
    shutil.copytree(bench, other)
    trials = (other / "trials.csv").read_text().splitlines()
    (other / "trials.csv").write_text("\n".join(trials[:-200]) + "\n")  # other trials
    meta = json.loads((other / "benchmark.json").read_text())
    (other / "benchmark.json").write_text(json.dumps({**meta, "name": "otherbench"}))
    out = _unfinished(run, tmp_path)
    line = _refused(capsys, finetune_args(other, backbone, out, "--trainer", "fast", "--loss", "hybrid",
                                  "--resume"), [out, other], "config.json", "dataset",
                    "otherbench")
    assert "nothing was changed" in line


def test_resume_with_changed_backbone_weights_is_refused(finished, tmp_path, capsys) -> None:
    from safetensors.torch import load_file, save_file

    run, bench, backbone = finished
    moved = tmp_path / "copy" / backbone.name
    shutil.copytree(backbone, moved)
    out = _unfinished(run, tmp_path)
    marker = json.loads((out / "config.json").read_text())
    from socalign.train.identity import backbone_identity

    marker["backbone"] = str(moved)
    marker["identity"]["backbone"] = backbone_identity(str(moved))
    (out / "config.json").write_text(json.dumps(marker))
    weights = moved / "model.safetensors"
    tensors = load_file(weights)
    key = sorted(tensors)[0]
    tensors[key] = tensors[key] + 1.0
    save_file(tensors, weights, metadata={"format": "pt"})
    _refused(capsys, finetune_args(bench, moved, out, "--trainer", "fast", "--loss", "hybrid",
                           "--resume"), [out], "config.json", "weights changed")


def test_resume_of_a_run_older_than_the_record_is_refused(finished, tmp_path, capsys) -> None:
    run, bench, backbone = finished
    out = _unfinished(run, tmp_path)
    marker = json.loads((out / "config.json").read_text())
    del marker["identity"]
    (out / "config.json").write_text(json.dumps(marker))
    _refused(capsys, finetune_args(bench, backbone, out, "--trainer", "fast", "--loss", "hybrid",
                           "--resume"), [out], "config.json", "predates")


@pytest.mark.parametrize("rule", [None, 0])
def test_resume_of_a_run_drawn_under_another_stream_rule_is_refused(finished, tmp_path, capsys,
                                                                     rule) -> None:
    """A run records the random-stream rule it drew under; one from before named streams (no
    record) or under another rule is not continued, as its split and batches would mix."""
    from socalign.metrics.resampling import STREAM_RULE

    run, bench, backbone = finished
    marker = json.loads((run / "config.json").read_text())
    assert marker["identity"]["stream_rule"] == STREAM_RULE
    report = json.loads((run / "report.json").read_text())
    assert report["identity"]["stream_rule"] == STREAM_RULE
    out = _unfinished(run, tmp_path)
    if rule is None:
        del marker["identity"]["stream_rule"]
    else:
        marker["identity"]["stream_rule"] = rule
    (out / "config.json").write_text(json.dumps(marker))
    line = _refused(capsys, finetune_args(bench, backbone, out, "--trainer", "fast", "--loss", "hybrid",
                                  "--resume"), [out], "config.json", "stream_rule",
                    f"random-stream rule {rule!r} there")
    assert "start a new run" in line and "nothing was changed" in line


def test_resume_from_another_runs_checkpoint_is_refused(finished, tmp_path, capsys) -> None:
    run, bench, backbone = finished
    out = _unfinished(run, tmp_path)
    newest = last_checkpoint(out / "checkpoints")
    state = load_state(newest)
    save_state(newest, {**state, "run_id": "0" * 32})
    _refused(capsys, finetune_args(bench, backbone, out, "--trainer", "fast", "--loss", "hybrid",
                           "--resume"), [out], newest.name, "another run")


@pytest.mark.parametrize("change", ["epoch", "optimizer", "counts"])
def test_a_checkpoint_with_wrong_json_fields_is_refused(finished, tmp_path, capsys,
                                                        change) -> None:
    run, bench, backbone = finished
    out = _unfinished(run, tmp_path)
    newest = last_checkpoint(out / "checkpoints")
    state = load_state(newest)
    if change == "epoch":
        state["epoch"] = "x"
    elif change == "optimizer":
        del state["optimizer"]
    else:
        state["counts"] = ("a", 1)
    save_state(newest, state)
    # the kept older checkpoint would do too: remove it, so the tampered one is the only one
    for older in (out / "checkpoints").glob("epoch-*.safetensors"):
        if older != newest:
            older.unlink()
    _refused(capsys, finetune_args(bench, backbone, out, "--trainer", "fast", "--loss", "hybrid",
                           "--resume"), [out], newest.name, f"state.{change}")


def test_a_checkpoint_with_a_transposed_tensor_is_refused(finished, tmp_path, capsys) -> None:
    run, bench, backbone = finished
    out = _unfinished(run, tmp_path)
    newest = last_checkpoint(out / "checkpoints")
    state = load_state(newest)
    name = sorted(k for k, v in state["trainable"].items() if v.ndim == 2
                  and v.shape[0] != v.shape[1])[0]
    state["trainable"][name] = state["trainable"][name].T.contiguous()
    save_state(newest, state)
    for older in (out / "checkpoints").glob("epoch-*.safetensors"):
        if older != newest:
            older.unlink()
    torch.set_num_threads(1)
    _refused(capsys, finetune_args(bench, backbone, out, "--trainer", "fast", "--loss", "hybrid",
                           "--resume"), [out], newest.name, "has shape")


# --- one writer at a time ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["new", "unfinished"])
def test_a_second_writer_fails_at_once(finished, tmp_path, capsys, kind) -> None:
    from filelock import FileLock

    run, bench, backbone = finished
    if kind == "new":
        out = tmp_path / "new"
        out.mkdir()
        extra: tuple[str, ...] = ()
    else:
        out = _unfinished(run, tmp_path)
        extra = ("--resume",)
    holder = FileLock(str(out / RUN_LOCK), timeout=0)  # the first writer, mid-run
    holder.acquire()
    try:
        line = _refused(capsys, finetune_args(bench, backbone, out, "--trainer", "fast", *extra),
                        [out], str(out), "another socalign finetune")
    finally:
        holder.release()
    assert "choose another --out" in line


def test_a_writer_in_another_process_holds_the_folder(finished, tmp_path, capsys) -> None:
    _, bench, backbone = finished
    out = tmp_path / "busy"
    code = ("import sys, time\nfrom socalign.train.identity import run_lock\n"
            "with run_lock(sys.argv[1]):\n    print('locked', flush=True)\n"
            "    sys.stdin.readline()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        _refused(capsys, finetune_args(bench, backbone, out, "--trainer", "fast"), [out], str(out),
                 "is being written by another")
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
    assert list(out.iterdir()) == []  # the holder's folder; its lock file went with it


def test_the_lock_leaves_nothing_behind(tmp_path) -> None:
    out = tmp_path / "a" / "b"
    with pytest.raises(RuntimeError), run_lock(out):
        assert (out / RUN_LOCK).exists()
        raise RuntimeError("refused")
    assert not (tmp_path / "a").exists()  # created for the run, removed with it
    out.mkdir(parents=True)
    with run_lock(out):
        (out / "config.json").write_text("{}")
    assert sorted(p.name for p in out.iterdir()) == ["config.json"]


# --- export: every file must be the run's, and well-formed ------------------------------------


_SCHEMAS = {
    "config.json": CONFIG_FIELDS,
    "report.json": REPORT_FIELDS,
    "model/head.json": HEAD_FIELDS,
    "model/adapter_config.json": ADAPTER_FIELDS,
    "checkpoints/last.json": POINTER_FIELDS,
}
_TRAIN = {"epochs": int, "lr": float, "seed": int, "trainer": str, "n_frames": (int, type(None)),
          "lora_r": int, "head_dim": int}
_JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2)
                     | st.text(max_size=4), lambda inner: st.lists(inner, max_size=2)
                     | st.dictionaries(st.text(max_size=3), inner, max_size=2), max_leaves=4)


def _matches(value, kind) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, ListOf):
            if isinstance(value, list) and all(_matches(v, k.kind) for v in value):
                return True
        elif k is float:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return True
        elif k is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return True
        elif isinstance(value, k):
            return True
    return False


def _cases() -> list[tuple[str, str, object]]:
    """(file, dotted field, expected type) of every field the record checks."""
    cases = [(name, field, kind) for name, schema in _SCHEMAS.items()
             for field, (kind, _) in schema.items()]
    cases += [("config.json", f"identity.{f}", kind) for f, (kind, _) in IDENTITY_FIELDS.items()]
    cases += [("config.json", f"train.{f}", kind) for f, kind in _TRAIN.items()]
    return cases


def _set(data: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        data = data[key]
    data[last] = value


@given(case=st.sampled_from(_cases()), value=_JSON)
@EXAMPLES
def test_a_json_field_of_the_wrong_type_is_refused_by_name(finished, tmp_path_factory, capsys,
                                                           case, value) -> None:
    file, field, kind = case
    hypothesis.assume(not _matches(value, kind))
    run, _, _ = finished
    copy = tmp_path_factory.mktemp("tampered") / "run"
    shutil.copytree(run, copy)
    data = json.loads((copy / file).read_text())
    _set(data, field, value)
    (copy / file).write_text(json.dumps(data))
    target = copy.parent / "export"
    _refused(capsys, ["export", str(copy), "--out", str(target), "--no-ceiling"], [copy],
             Path(file).name, field.split(".")[-1])
    assert not target.exists()


@given(file=st.sampled_from(sorted(_SCHEMAS)), cut=st.integers(0, 40))
@EXAMPLES
def test_a_truncated_json_file_is_named(finished, tmp_path_factory, capsys, file, cut) -> None:
    run, _, _ = finished
    copy = tmp_path_factory.mktemp("truncated") / "run"
    shutil.copytree(run, copy)
    text = (copy / file).read_bytes()
    (copy / file).write_bytes(text[: min(cut, len(text) - 1)])
    target = copy.parent / "export"
    _refused(capsys, ["export", str(copy), "--out", str(target), "--no-ceiling"], [copy],
             Path(file).name)
    assert not target.exists()


@pytest.mark.parametrize("file, field, value, message", [
    ("report.json", "config.seed", 7, "config.seed"),  # interleaved: another run's report
    ("model/head.json", "run_id", "f" * 32, "another run"),  # another run's model
    ("report.json", "identity.run_id", "f" * 32, "another run"),
    ("report.json", "backbone", "toy", "backbone"),
])
def test_export_refuses_files_of_another_run(finished, tmp_path, capsys, file, field, value,
                                             message) -> None:
    run, _, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    data = json.loads((copy / file).read_text())
    _set(data, field, value)
    (copy / file).write_text(json.dumps(data))
    _refused(capsys, ["export", str(copy), "--out", str(tmp_path / "m"), "--no-ceiling"],
             [copy], Path(file).name, message)
    assert not (tmp_path / "m").exists()


def test_export_refuses_another_runs_checkpoint(finished, tmp_path, capsys) -> None:
    run, _, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    newest = last_checkpoint(copy / "checkpoints")
    save_state(newest, {**load_state(newest), "run_id": "e" * 32})
    _refused(capsys, ["export", str(copy), "--out", str(tmp_path / "m"), "--no-ceiling"],
             [copy], newest.name, "another run")


# --- saved models: safetensors only, checked against the run's record -------------------------


def _export(run: Path, where: Path) -> Path:
    out = where / "model"
    assert main(["export", str(run), "--out", str(out), "--no-ceiling", "--json"]) == 0
    return out


@pytest.mark.parametrize("where", ["run", "export"])
def test_pickle_weights_are_never_loaded(finished, tmp_path, monkeypatch, where) -> None:
    from safetensors.torch import load_file

    run, _, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    folder = copy / "model" if where == "run" else _export(run, tmp_path)
    tensors = load_file(folder / "adapter_model.safetensors")
    torch.save(tensors, folder / "adapter_model.bin")
    (folder / "adapter_model.safetensors").unlink()
    target = copy if where == "run" else folder
    before = _tree(target)

    def no_unpickling(*args, **kwargs):
        raise AssertionError("torch.load was called")

    monkeypatch.setattr(torch, "load", no_unpickling)
    with pytest.raises(RunFileError, match=r"adapter_model\.bin: pickle weights"):
        socalign.load_aligned(target)
    assert _tree(target) == before


def _tamper_adapter(folder: Path, change: str) -> str:
    path = folder / "adapter_config.json"
    adapter = json.loads(path.read_text())
    if change == "r":
        adapter["r"] += 4
    elif change == "lora_alpha":
        adapter["lora_alpha"] += 1
    else:
        adapter["target_modules"] = sorted(adapter["target_modules"])[:-1]
    path.write_text(json.dumps(adapter))
    return change


@pytest.mark.parametrize("change", ["r", "lora_alpha", "target_modules"])
@pytest.mark.parametrize("where", ["run", "export"])
def test_an_adapter_config_unlike_the_record_is_refused(finished, tmp_path, where,
                                                        change) -> None:
    run, _, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    folder = copy / "model" if where == "run" else _export(run, tmp_path)
    target = copy if where == "run" else folder
    _tamper_adapter(folder, change)
    before = _tree(target)
    with pytest.raises(RunFileError, match=rf"adapter_config\.json: {change}") as info:
        socalign.load_aligned(target)
    assert info.value.field == change and _tree(target) == before


@given(file=st.sampled_from(["adapter_model.safetensors", "head.safetensors"]),
       index=st.integers(0, 40), how=st.sampled_from(["transpose", "grow"]))
@EXAMPLES
def test_a_tensor_of_another_shape_is_refused(finished, tmp_path_factory, capsys, file, index,
                                              how) -> None:
    from safetensors.torch import load_file, save_file

    run, _, _ = finished
    copy = tmp_path_factory.mktemp("shapes") / "run"
    shutil.copytree(run, copy)
    path = copy / "model" / file
    tensors = load_file(path)
    names = sorted(k for k, v in tensors.items()
                   if how == "grow" or (v.ndim == 2 and v.shape[0] != v.shape[1]))
    name = names[index % len(names)]
    value = tensors[name]
    tensors[name] = (value.T.contiguous() if how == "transpose"
                     else torch.cat([value, value[:1]]))
    save_file(tensors, path)
    before = _tree(copy)
    with pytest.raises(RunFileError, match=rf"{file}: tensor '{name}'"):
        socalign.load_aligned(copy)
    assert _tree(copy) == before
    _refused(capsys, ["export", str(copy), "--out", str(copy.parent / "m"), "--no-ceiling"],
             [copy], file, name)


def test_an_untampered_run_and_export_still_load(finished, tmp_path) -> None:
    run, _, _ = finished
    exported = _export(run, tmp_path)
    info = json.loads((run / "config.json").read_text())["identity"]
    assert json.loads((run / "report.json").read_text())["identity"] == info
    assert json.loads((run / "model" / "head.json").read_text())["run_id"] == info["run_id"]
    assert load_state(last_checkpoint(run / "checkpoints"))["run_id"] == info["run_id"]
    assert not (run / RUN_LOCK).exists()
    a = socalign.load_aligned(run)
    b = socalign.load_aligned(exported)
    x = torch.rand(2, a.spec.n_frames, 3, a.spec.image_size, a.spec.image_size)
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))
