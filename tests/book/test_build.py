"""The book pipeline on a tiny throw-away book: cache, failure message, staging, profiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("papermill")
pytest.importorskip("jupytext")

from socalign import book
from socalign.profiles import PROFILES, profile_settings
from tests.helpers.books import CHAPTER, make_book


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SOCALIGN_CACHE", str(folder))
    return folder


def test_profiles_are_ordered_by_size() -> None:
    ci, demo = profile_settings("ci"), profile_settings("demo")
    assert ci.socialworld["n_videos"] < demo.socialworld["n_videos"]
    assert ci.n_boot < demo.n_boot
    assert profile_settings("paper").device == "cuda"
    assert set(PROFILES) == {"ci", "demo", "paper"}
    assert json.dumps(demo.to_dict())  # JSON-able: it enters the cache key
    assert list(demo.to_frame().columns) == ["setting", "value"]
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        profile_settings("fast")


def test_chapter_sources_follow_the_toc(tmp_path) -> None:
    root = make_book(tmp_path / "b")
    assert book.chapter_sources(root) == [Path("book/intro.md"), Path("book/one.py")]
    (root / "book" / "one.py").unlink()
    with pytest.raises(book.BookError, match=r"page 'book/one' has no source"):
        book.chapter_sources(root)


def test_second_build_executes_nothing_and_profile_is_injected(tmp_path, cache) -> None:
    root = make_book(tmp_path / "b")
    out = tmp_path / "out"
    first = book.build_book(root, profile="ci", out=out, do_render=False)
    assert [(c.source, c.status) for c in first.chapters] == [
        ("book/intro.md", "static"), ("book/one.py", "executed")]
    staged = json.loads((out / "src" / "book" / "one.ipynb").read_text())
    printed = "".join(
        "".join(o.get("text", "")) for c in staged["cells"] for o in c.get("outputs", []))
    assert "profile ci 50" in printed  # papermill replaced profile = "demo"
    parameter_cells = [c for c in staged["cells"]
                       if {"parameters", "injected-parameters"} & set(c["metadata"].get("tags", []))]
    assert len(parameter_cells) == 2  # the default and papermill's: both off the page
    assert all("remove-cell" in c["metadata"]["tags"] for c in parameter_cells)
    second = book.build_book(root, profile="ci", out=out, do_render=False)
    assert second.executed == 0
    assert [c.status for c in second.chapters] == ["static", "cached"]
    # another profile, or an edit to the chapter, changes the key
    assert book.build_book(root, profile="demo", out=out, do_render=False).executed == 1
    (root / "book" / "one.py").write_text(CHAPTER + "\n# %%\nx = 1\n")
    assert book.build_book(root, profile="ci", out=out, do_render=False).executed == 1
    assert book.build_book(root, profile="ci", out=out, do_render=False, force=True).executed == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["profile"] == "ci" and summary["executed"] == 1


def test_failing_chapter_names_chapter_cell_and_line(tmp_path, cache) -> None:
    broken = CHAPTER + '\n# %%\ny = 2\n\n# %%\nvalue = 1 / 0\n'
    root = make_book(tmp_path / "b", broken)
    with pytest.raises(book.ChapterFailed) as info:
        book.build_book(root, profile="ci", out=tmp_path / "out", do_render=False)
    err = info.value
    assert err.chapter == "book/one.py"
    assert err.cell == 5  # from 1 among the source's cells: md, params, code, code, 1/0
    lines = (root / "book" / "one.py").read_text().splitlines()
    assert lines[err.line - 1] == "value = 1 / 0"
    assert err.ename == "ZeroDivisionError"
    assert "chapter book/one.py failed at cell 5" in str(err)
    assert err.notebook is not None and err.notebook.exists()
    assert not list((Path(book.build.cache_dir("book", "executed"))).glob("*.ipynb"))


def test_missing_parameters_cell_is_an_error(tmp_path, cache) -> None:
    root = make_book(tmp_path / "b", CHAPTER.replace(' tags=["parameters"]', ""))
    with pytest.raises(book.BookError, match="no cell tagged 'parameters'"):
        book.build_book(root, profile="ci", out=tmp_path / "out", do_render=False)


def test_sync_notebooks_writes_colab_pairs(tmp_path) -> None:
    root = make_book(tmp_path / "b")
    assert book.sync_notebooks(root, check=True) == [Path("book/one.ipynb")]
    assert not (root / "book" / "one.ipynb").exists()  # check writes nothing
    assert book.sync_notebooks(root) == [Path("book/one.ipynb")]
    nb = json.loads((root / "book" / "one.ipynb").read_text())
    assert nb["cells"][1]["metadata"]["tags"] == ["parameters"]
    assert book.sync_notebooks(root, check=True) == []
    (root / "book" / "one.py").write_text((root / "book" / "one.py").read_text() + "\n# %%\nx = 1\n")
    assert book.sync_notebooks(root, check=True) == [Path("book/one.ipynb")]  # the .py is newer
    (root / "jupytext.toml").unlink()
    with pytest.raises(book.BookError, match="jupytext.toml: missing"):
        book.sync_notebooks(root)


def test_render_produces_html_and_skips_when_unchanged(tmp_path, cache) -> None:
    pytest.importorskip("jupyter_book")
    root = make_book(tmp_path / "b")
    out = tmp_path / "out"
    first = book.build_book(root, profile="ci", out=out)
    assert first.render == "rendered"
    assert (first.html / "book" / "one.html").exists()
    assert "profile ci 50" in (first.html / "book" / "one.html").read_text()
    second = book.build_book(root, profile="ci", out=out)
    assert (second.executed, second.render) == (0, "unchanged")


def test_render_failure_is_reported(tmp_path, cache) -> None:
    pytest.importorskip("jupyter_book")
    root = make_book(tmp_path / "b")
    (root / "book" / "intro.md").write_text("# Intro\n\nSee {doc}`missing_page`.\n")
    with pytest.raises(book.BookError, match="jupyter-book build failed"):
        book.build_book(root, profile="ci", out=tmp_path / "out")


def test_cli_book_help_lists_profiles(capsys) -> None:
    from socalign.cli import build_parser

    args = build_parser().parse_args(["book", "--profile", "ci", "--no-render", "--json"])
    assert (args.profile, args.no_render, args.json, args.force) == ("ci", True, True, False)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["book", "--profile", "fast"])
    assert "invalid choice" in capsys.readouterr().err


def test_missing_book_root_is_named(tmp_path) -> None:
    with pytest.raises(book.BookError, match="no _toc.yml"):
        book.find_book_root(tmp_path)


def test_glue_converts_numpy_scalars_and_rejects_arrays(monkeypatch) -> None:
    import numpy as np

    seen = {}
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display: seen.update({name: value}))
    assert book.glue(r2=np.float64(0.25), n=np.int64(3), name="x") is None
    assert seen == {"r2": 0.25, "n": 3, "name": "x"}
    assert type(seen["r2"]) is float and type(seen["n"]) is int
    seen.clear()
    with pytest.raises(TypeError, match="glue 'bad'"):
        book.glue(ok=1.0, bad=np.arange(3))
    assert seen == {}  # nothing glued when one value is bad


def test_garcia2025_is_used_only_when_asked(monkeypatch) -> None:
    from socalign.book import artifacts

    monkeypatch.setattr(artifacts, "garcia2025_location", lambda: None)
    assert artifacts.use_garcia2025(profile_settings("ci")) is None  # "off"
    assert artifacts.use_garcia2025(profile_settings("demo")) is None  # "auto", absent
    with pytest.raises(FileNotFoundError, match="needs the garcia2025 data"):
        artifacts.use_garcia2025(profile_settings("paper"))  # "required"
    monkeypatch.setattr(artifacts, "garcia2025_location", lambda: Path("/data/g"))
    assert artifacts.use_garcia2025(profile_settings("demo")) == Path("/data/g")
    assert artifacts.use_garcia2025(profile_settings("ci")) is None


def test_one_profile_table_for_the_book_and_the_command_line() -> None:
    from socalign import profiles
    from socalign.book import artifacts
    from socalign.profiles import profile_config
    from socalign.train.config import TrainConfig

    for name, settings in PROFILES.items():
        assert set(settings.train) <= set(TrainConfig.__dataclass_fields__), name
        assert profile_config(name) == settings.train_config()
    assert profile_config("demo", epochs=2).epochs == 2
    assert not hasattr(profiles, "finetuned_run")  # settings only: artifacts build and cache
    assert artifacts.finetuned_run.__module__ == "socalign.book.artifacts"


def test_a_trainers_own_options_apply_when_it_runs_and_an_override_wins() -> None:
    from dataclasses import replace

    from socalign.profiles import parse_override, profile_settings
    from socalign.train.config import TRAINERS

    for name, settings in PROFILES.items():
        assert set(settings.trainer_train) <= set(TRAINERS), name
        settings.check()
    demo = replace(PROFILES["demo"], train={**PROFILES["demo"].train, "lr": 1e-3},
                   trainer_train={"paper": {"lr": 5e-4, "epochs": 3}})
    assert demo.train_config().lr == 1e-3  # the profile's own trainer (fast)
    assert demo.train_config(trainer="paper").lr == 5e-4
    assert demo.train_config(trainer="paper").epochs == 3
    assert demo.train_config(trainer="paper", lr=7e-4).lr == 7e-4  # a call's change wins
    # an override of train.lr is meant for every trainer: it wins over the trainer's own
    changed = replace(demo, overrides={"train": {"lr": 2e-4}}, train={**demo.train, "lr": 2e-4})
    assert changed.train_config(trainer="paper").lr == 2e-4
    assert changed.train_config(trainer="paper").epochs == 3
    with pytest.raises(ValueError, match="unknown trainer"):
        replace(demo, trainer_train={"slow": {"lr": 1.0}}).check()
    with pytest.raises(ValueError, match="unknown training option"):
        profile_settings("demo", **parse_override("trainer_train.paper={\"lrr\": 1}"))
    with pytest.raises(ValueError, match="lr must be positive"):
        profile_settings("demo", trainer_train={"paper": {"lr": -1}})
    set_lr = profile_settings("demo", **parse_override("train.lr=0.0003"))
    assert {set_lr.train_config(trainer=t).lr for t in TRAINERS} == {3e-4}


def test_cli_builds_a_tiny_book_as_json(tmp_path, cache, capsys) -> None:
    from socalign.cli import main

    root = make_book(tmp_path / "b")
    code = main(["book", "--root", str(root), "--profile", "ci", "--out", str(tmp_path / "o"),
                 "--no-render", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["executed"], result["cached"], result["render"]) == (1, 0, "skipped")
    (root / "book" / "one.py").write_text(CHAPTER + "\n# %%\nraise RuntimeError('boom')\n")
    code = main(["book", "--root", str(root), "--profile", "ci", "--out", str(tmp_path / "o"),
                 "--no-render"])
    assert code == 2
    assert "chapter book/one.py failed at cell 4" in capsys.readouterr().err


def test_change_word_follows_the_interval() -> None:
    from socalign.book import change_word

    assert change_word(0.01, 0.2) == "rose"
    assert change_word(-0.2, -0.01) == "fell"
    assert change_word(-0.01, 0.2) == "showed no detectable change"
    assert change_word(0.0001, 0.0004) == "showed no detectable change"  # rounds to 0.000
    assert change_word(float("nan"), 1.0) == "showed no detectable change"
    assert change_word(0.1, 0.3, up="higher") == "higher"


def test_long_library_steps_report_to_the_build_log_not_the_page(tmp_path, cache) -> None:
    chapter = CHAPTER + (
        '\n# %%\nfrom socalign import progress\n\n'
        'with progress.step("a long step"):\n    progress.report("halfway")\nprint("on the page")\n')
    root = make_book(tmp_path / "b", chapter)
    lines: list[str] = []
    summary = book.build_book(root, profile="ci", out=tmp_path / "out", do_render=False,
                              log=lines.append)
    assert summary.executed == 1
    assert summary.datasets["garcia2025"] == "not used by the 'ci' profile"
    assert "PHASE" in summary.datasets  # found or not, the summary says which and how to add it
    assert "dataset   SocialWorld" in summary.report()
    echoed = [re.sub(r"^\s+\d+ s  ", "", line) for line in lines if line.startswith("    ")]
    assert echoed[:2] == ["a long step ...", "halfway"]
    assert echoed[2].startswith("a long step: done in ")
    page = json.loads((tmp_path / "out" / "src" / "book" / "one.ipynb").read_text())
    shown = json.dumps([c.get("outputs", []) for c in page["cells"]])
    assert "on the page" in shown and "halfway" not in shown


def test_a_corrupt_executed_chapter_in_the_cache_is_reported_and_executed_again(
        tmp_path, cache) -> None:
    from socalign.cache import CacheWarning

    root = make_book(tmp_path / "b")
    first = book.build_book(root, profile="ci", out=tmp_path / "out", do_render=False)
    assert first.executed == 1
    entry = next((cache / "book" / "executed").glob("*.ipynb"))
    entry.write_bytes(entry.read_bytes()[:-40])  # truncated, same name
    with pytest.warns(CacheWarning, match=entry.name):
        again = book.build_book(root, profile="ci", out=tmp_path / "out", do_render=False)
    assert again.executed == 1
    json.loads((tmp_path / "out" / "src" / "book" / "one.ipynb").read_text())  # whole again


OVERRIDE_CHAPTER = CHAPTER.replace('profile = "demo"\n', 'profile = "demo"\noverrides = {}\n').replace(
    "settings = profile_settings(profile)", "settings = profile_settings(profile, **overrides)")


def test_overrides_reach_the_chapter_and_change_its_key(tmp_path, cache) -> None:
    root = make_book(tmp_path / "b", OVERRIDE_CHAPTER)
    out = tmp_path / "out"
    plain = book.build_book(root, profile="ci", out=out, do_render=False)
    changed = book.build_book(root, profile="ci", out=out, do_render=False,
                              overrides={"n_boot": 7})
    assert plain.executed == 1 and changed.executed == 1  # a new key: executed again
    staged = json.loads((out / "src" / "book" / "one.ipynb").read_text())
    printed = "".join(
        "".join(o.get("text", "")) for c in staged["cells"] for o in c.get("outputs", []))
    assert "profile ci 7" in printed
    assert changed.to_dict()["overrides"] == {"n_boot": 7}
    assert book.build_book(root, profile="ci", out=out, do_render=False,
                           overrides={"n_boot": 7}).executed == 0
    # a chapter that would ignore them is refused, naming it
    (root / "book" / "one.py").write_text(CHAPTER)
    with pytest.raises(book.BookError, match=r"one.py: its 'parameters' cell sets no `overrides`"):
        book.build_book(root, profile="ci", out=out, do_render=False, overrides={"n_boot": 7})


def test_cli_book_set_and_videos_are_checked_before_any_work(tmp_path, capsys) -> None:
    from socalign.cli import main

    assert main(["book", "--profile", "ci", "--set", "nope=1", "--root", str(tmp_path)]) == 2
    assert "unknown profile setting 'nope'" in capsys.readouterr().err
    assert main(["book", "--set", "train.epochs", "--root", str(tmp_path)]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["book", "--videos", str(tmp_path / "absent")])
    assert info.value.code == 2 and "absent" in capsys.readouterr().err


def test_the_library_key_covers_the_whole_package() -> None:
    names = {p.relative_to(Path(book.build.__file__).parents[1]).as_posix()
             for p in book.build.library_files()}
    assert {"text.py", "metrics/ceilings.py", "book/build.py", "profiles.py"} <= names


def test_a_cached_run_is_keyed_by_the_training_code(tmp_path, monkeypatch) -> None:
    """An edit to the trainer changes the key of the book's cached runs; one to a chapter
    helper does not (the chapters re-execute, the runs are reused)."""
    import shutil

    import socalign
    from socalign import source
    from socalign.book import artifacts

    package = Path(socalign.__file__).resolve().parent
    copy = tmp_path / "socalign"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "weights"))
    monkeypatch.setattr(socalign, "__file__", str(copy / "__init__.py"))
    training = source.library_fingerprint(artifacts.TRAINING_CODE)
    whole = source.library_fingerprint()
    assert book.build.library_fingerprint is source.library_fingerprint  # one owner
    with (copy / "book" / "chapter.py").open("a") as f:
        f.write("\n# a chapter helper edited\n")
    assert source.library_fingerprint() != whole
    assert source.library_fingerprint(artifacts.TRAINING_CODE) == training
    with (copy / "train" / "fast.py").open("a") as f:
        f.write("\n# the trainer edited\n")
    assert source.library_fingerprint(artifacts.TRAINING_CODE) != training
    assert source.library_fingerprint(("scoring.py",)) != source.library_fingerprint(("text.py",))


def test_math_is_served_by_the_books_own_mathjax(tmp_path) -> None:
    """The pages load MathJax from the build (offline), and the files _config.yml names exist."""
    pytest.importorskip("jupyter_server_mathjax")
    import yaml

    from socalign.book.build import MATHJAX_DIR, bundle_mathjax

    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "_config.yml").read_text())
    path = config["sphinx"]["config"]["mathjax_path"]
    script, _, query = path.partition("?")
    html = tmp_path / "html"
    folder = bundle_mathjax(html)
    assert folder == html / MATHJAX_DIR
    assert (html / "_static" / script).is_file()
    for name in query.removeprefix("config=").split(","):
        assert (folder / "config" / f"{name}.js").is_file(), name
    fonts = config["sphinx"]["config"]["mathjax2_config"]["HTML-CSS"]["webFont"]
    assert (folder / "fonts" / "HTML-CSS" / fonts).is_dir()
    (folder / "MathJax.js").write_text("changed")
    bundle_mathjax(html)  # the recorded version matches: nothing is copied again
    assert (folder / "MathJax.js").read_text() == "changed"


def test_a_script_a_chapter_inlines_and_the_phase_copy_are_part_of_its_key(tmp_path, cache, monkeypatch) -> None:
    root = make_book(tmp_path / "b")
    out = tmp_path / "out"
    static = root / "book" / "_static"
    static.mkdir()
    (static / "widget.js").write_text("let a = 1;")
    assert book.build_book(root, profile="ci", out=out, do_render=False).executed == 1
    assert book.build_book(root, profile="ci", out=out, do_render=False).executed == 0
    (static / "widget.js").write_text("let a = 2;")
    assert book.build_book(root, profile="ci", out=out, do_render=False).executed == 1
    monkeypatch.setattr("socalign.book.artifacts.phase_copy", lambda: tmp_path / "phase")
    assert book.build_book(root, profile="ci", out=out, do_render=False).executed == 1
