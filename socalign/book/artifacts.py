"""What several chapters share, built once and cached: benchmarks, runs, backbones, action sets.

Each function takes a book profile's settings and returns a folder in the user cache (or a
loaded benchmark), keyed by content and built with :func:`socalign.cache.build_once` (staged,
verified on reuse, one builder at a time), so chapters 3 to 5 reuse chapter 3's runs. Long
builds report through :mod:`socalign.progress`, which the book build echoes to its log.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socalign import progress
from socalign.cache import build_once, cache_dir, content_key
from socalign.profiles import Profile
from socalign.train.runfiles import REPORT_FILE

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

__all__ = [
    "action_set",
    "book_benchmarks",
    "check_profile",
    "colab_videos",
    "finetune_benchmark",
    "finetuned_run",
    "garcia2025_location",
    "garcia2025_videos",
    "load_book_benchmark",
    "merged_backbone",
    "modality_gap",
    "phase_benchmark",
    "phase_copy",
    "pretrained_backbone",
    "reference_language_model",
    "socialworld_benchmark",
    "transfer_embeddings",
    "transfer_set",
    "use_garcia2025",
    "video_frames",
    "video_model",
]


TRAINING_CODE = ("train", "models", "video", "data", "metrics", "scoring.py", "cache.py")
"""The parts of the package that decide a fine-tuning run's result: their source is part of
a cached run's key, so an edit to the trainer trains the book's runs again."""


def garcia2025_location() -> Path | None:
    """A local copy of the garcia2025 data (``$SOCALIGN_DATA`` or the cache), or None.

    Never downloads: the demo profile uses the real data only when it is already here.
    """
    from socalign.data import garcia2025
    from socalign.data.errors import BenchmarkError

    try:
        return garcia2025.locate(download=False)
    except BenchmarkError:
        return None


def use_garcia2025(settings: Profile) -> Path | None:
    """The garcia2025 folder when ``settings`` asks for it and it is present, else None."""
    if settings.garcia2025 == "off":
        return None
    found = garcia2025_location()
    if found is None and settings.garcia2025 == "required":
        raise FileNotFoundError(
            f"profile {settings.name!r} needs the garcia2025 data: set $SOCALIGN_DATA to a local "
            "copy or run `socalign data fetch garcia2025`"
        )
    return found


def socialworld_benchmark(settings: Profile) -> Path:
    """The SocialWorld benchmark of ``settings``, synthesized once into the cache.

    The folder is keyed by the synthesis arguments, the generator and the library version, and
    built with :func:`socalign.cache.build_once` (staged, verified on reuse, one builder at a
    time).
    """
    from socalign import __version__
    from socalign.data import socialworld
    from socalign.data.socialworld.synth import GENERATOR

    # the calibration's caption-model row is measured with MiniLM (part of benchmark.json)
    key = content_key("socialworld", __version__, GENERATOR, settings.socialworld,
                      "calibrated-with-minilm")[:16]
    n_videos = settings.socialworld["n_videos"]
    from socalign.models.language import encode_captions

    return build_once(
        cache_dir("book", "socialworld") / key, "trials.csv",
        lambda out: _reported(f"synthesizing SocialWorld ({n_videos} videos)",
                              socialworld.synthesize, out, caption_encoder=encode_captions,
                              **settings.socialworld),
    )


def garcia2025_videos(settings: Profile, dataset: Path | str) -> Path | None:
    """The video folder ``settings`` attaches to ``dataset``: its ``videos`` for garcia2025.

    Parameters
    ----------
    settings : Profile
        The book profile (``videos``: a folder, or None for ``$SOCALIGN_GARCIA2025_VIDEOS``,
        which :func:`socalign.data.load_dataset` reads itself).
    dataset : path-like
        A benchmark folder.

    Returns
    -------
    pathlib.Path or None
        None for any other benchmark (SocialWorld lists its own files) or when ``videos`` is
        None.
    """
    from socalign.data import garcia2025

    if not garcia2025.is_garcia2025(Path(dataset)):
        return None
    if settings.videos is None:
        return colab_videos(settings)
    return Path(settings.videos).expanduser()


COLAB_VIDEOS = "/content/drive/MyDrive/socalign/garcia2025_videos"
"""Where a Colab session looks for the licensed garcia2025 videos (the user's Google Drive)."""


def colab_videos(settings: Profile) -> Path | None:
    """On Google Colab, the garcia2025 videos from the user's Drive when the profile needs them.

    Only the ``paper`` profile fine-tunes on garcia2025's videos; there, unless
    ``$SOCALIGN_GARCIA2025_VIDEOS`` names a folder already, Drive is mounted (Colab asks the
    user once) and :data:`COLAB_VIDEOS` is used. Elsewhere, and off Colab, nothing happens.

    Parameters
    ----------
    settings : Profile
        The book profile.

    Returns
    -------
    pathlib.Path or None
        The Drive folder, or None (not Colab, not the paper profile, or the variable is set).

    Raises
    ------
    FileNotFoundError
        When Drive is mounted but holds no such folder (naming it and what to put there).
    """
    import os
    import sys

    from socalign.data.garcia2025 import VIDEOS_ENV

    if "google.colab" not in sys.modules or settings.name != "paper" or os.environ.get(VIDEOS_ENV):
        return None
    from google.colab import drive  # only importable on Colab

    drive.mount("/content/drive")
    folder = Path(COLAB_VIDEOS)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder}: no such folder on your Drive; put the licensed garcia2025 videos there "
            f"(their video_mapping.csv names) or set ${VIDEOS_ENV} to where they are")
    return folder


def load_book_benchmark(settings: Profile, dataset: Path | str) -> Any:
    """Load a benchmark folder with the videos ``settings`` attaches to it.

    Parameters
    ----------
    settings : Profile
        The book profile.
    dataset : path-like
        A folder from :func:`finetune_benchmark`, :func:`socialworld_benchmark` or
        :func:`use_garcia2025`.

    Returns
    -------
    socalign.data.types.Benchmark
    """
    from socalign.data import load_dataset

    return load_dataset(dataset, videos=garcia2025_videos(settings, dataset))


def book_benchmarks(settings: Profile) -> dict[str, Any]:
    """The benchmarks a chapter reports on: SocialWorld always, garcia2025 when present/asked.

    Returns an ordered ``{name: Benchmark}``; catch trials are excluded from ``kept`` as usual.
    garcia2025 gets the profile's videos (``videos``, else ``$SOCALIGN_GARCIA2025_VIDEOS``).
    """
    out: dict[str, Any] = {"SocialWorld": load_book_benchmark(settings,
                                                              socialworld_benchmark(settings))}
    real = use_garcia2025(settings)
    if real is not None:
        out["garcia2025"] = load_book_benchmark(settings, real)
    return out


def finetune_benchmark(settings: Profile) -> Path:
    """The benchmark chapters 3 to 5 fine-tune on: it must have videos.

    SocialWorld, except under the ``paper`` profile when the garcia2025 data are present
    (their videos, the profile's ``videos`` or ``$SOCALIGN_GARCIA2025_VIDEOS``, are then
    required by the training itself). Load it with :func:`load_book_benchmark`, which attaches
    those videos.

    Parameters
    ----------
    settings : Profile
        The book profile.

    Returns
    -------
    pathlib.Path
        The benchmark folder.
    """
    real = use_garcia2025(settings)
    if settings.name == "paper" and real is not None:
        return real
    return socialworld_benchmark(settings)


def check_profile(settings: Profile) -> Profile:
    """Fail early, in one message, when something the profile names is not at hand.

    Checked: the device (``cuda`` needs a CUDA GPU: set ``device`` to ``cpu`` to run anyway);
    each language model that is a Hugging Face name, and the caption model the
    language-distilled control learns from (``train.distill_model``) (in the local cache, or the
    Hub reachable); the video backbone when it is a Hugging Face name (likewise). ``minilm``,
    ``tfidf``, the toys and local folders need nothing. Under ``garcia2025="required"``, the
    data are looked for by the chapters themselves (:func:`use_garcia2025`).

    Parameters
    ----------
    settings : Profile
        The book profile.

    Returns
    -------
    Profile
        ``settings``, unchanged.

    Raises
    ------
    RuntimeError
        No CUDA device for ``device="cuda"``.
    FileNotFoundError
        A model that cannot be loaded here; the message names it and how to override it.
    """
    if settings.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError(
                f"profile {settings.name!r} runs on a CUDA GPU and none is available; build "
                "with `--set device=cpu` to run it on the CPU anyway (slow at full size)")
    from socalign.models.language import MINILM, TFIDF
    from socalign.models.toy import is_toy

    for name in settings.language_models:
        if name not in (MINILM, TFIDF) and not Path(name).expanduser().exists():
            _require_hub_model(settings, name, "modules.json", "language_models")
    distill = settings.train_config().distill_model
    if distill not in (MINILM, TFIDF) and not Path(distill).expanduser().exists():
        _require_hub_model(settings, distill, "modules.json", "train.distill_model")
    if not is_toy(settings.video_model) and not Path(settings.video_model).expanduser().exists():
        _require_hub_model(settings, settings.video_model, "config.json", "video_model")
    return settings


def _require_hub_model(settings: Profile, name: str, marker: str, setting: str) -> None:
    """Raise unless ``name`` is in the local Hugging Face cache or the Hub can be reached."""
    import os

    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(name, marker)
    if isinstance(cached, str):
        return
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0")
    reason = "HF_HUB_OFFLINE is set" if offline else _hub_unreachable(name)
    if reason is None:
        return
    example = {"language_models": "minilm,tfidf", "train.distill_model": "minilm"}.get(setting, "DIR")
    raise FileNotFoundError(
        f"profile {settings.name!r} needs the model {name!r} ({setting}): it is not in the "
        f"local Hugging Face cache and cannot be downloaded ({reason}); download it once "
        f"online, or override it: socalign book --profile {settings.name} --set "
        f"{setting}={example}")


def _hub_unreachable(name: str) -> str | None:
    """Why ``name`` cannot be fetched from the Hub now (None: it can), in one request."""
    from huggingface_hub import HfApi

    try:
        HfApi().model_info(name, timeout=10)
    except Exception as err:  # offline, unknown repo, gated: each is a reason to stop here
        return f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"
    return None


def modality_gap(settings: Profile, benchmark: Benchmark, split: str = "test", seed: int = 0) -> Any:
    """Chapter 2's gap table of one benchmark under ``settings``.

    The rows are the benchmark's default models (``socalign.analyses.gap.default_models``)
    with the profile's language models in place of the default ones (where they differ) and
    the profile's video backbone in place of ``toy``, labelled by the profile's
    ``video_model``; a benchmark with video files and no default video row (garcia2025 with
    its videos) gets the backbone added. The best language and video models for the paired
    test are chosen on the train split.

    Parameters
    ----------
    settings : Profile
        The book profile (its backbone and ``n_boot``).
    benchmark : Benchmark
        The benchmark to score.
    split : str, default "test"
        The split scored.
    seed : int, default 0
        Seed of the bootstrap and the ceilings' splits.

    Returns
    -------
    socalign.analyses.gap.GapResult
    """
    from socalign.analyses.gap import default_models, gap_table, model_embeddings

    has_videos = benchmark.videos.has_files
    names = _gap_rows(default_models(benchmark), settings.language_models)
    names = [n for n in names if n != "toy" or has_videos]
    if has_videos and "toy" not in names:
        names.append("toy")
    backbone = video_model(settings) if has_videos else None
    label = {n: (settings.video_model if n == "toy" else n) for n in names}
    embeddings = {}
    for name in names:
        with progress.step(f"embedding {benchmark.name} with {label[name]}"):
            embeddings[label[name]] = (
                model_embeddings(benchmark, backbone, n_frames=video_frames(settings))
                if name == "toy" else model_embeddings(benchmark, name))
    kinds = {label[n]: "video" for n in names if n == "toy"}
    return gap_table(benchmark, embeddings, kinds=kinds, split=split, n_boot=settings.n_boot,
                     seed=seed)


def _gap_rows(defaults: tuple[str, ...], languages: tuple[str, ...]) -> list[str]:
    """``defaults`` with its language rows replaced by ``languages`` (same set: unchanged)."""
    from socalign.analyses.gap import LANGUAGE_DEFAULTS

    if set(languages) == set(LANGUAGE_DEFAULTS):
        return list(defaults)
    first = next((i for i, n in enumerate(defaults) if n in LANGUAGE_DEFAULTS), len(defaults))
    others = [n for n in defaults if n not in LANGUAGE_DEFAULTS]
    cut = sum(1 for n in defaults[:first] if n not in LANGUAGE_DEFAULTS)
    return [*others[:cut], *languages, *others[cut:]]


def video_model(settings: Profile) -> str:
    """The video backbone to load: a toy's folder (``toy``, ``toy-videomae``: shipped; ``toy-clip``: pretrained
    here once, explicitly, then cached), or a checkpoint name."""
    from socalign.models import toy
    from socalign.models.pretrain import ensure_toy_backbone, pretrain_backbone

    if not toy.is_toy(settings.video_model):
        return settings.video_model
    if settings.toy == "default":  # the toy's own recipe (the TimeSformer's seed-0 weights ship)
        if not toy.is_shipped(settings.video_model):
            progress.report(f"the {settings.video_model} backbone (pretrained once, then cached)")
        return str(pretrain_backbone(settings.video_model))
    if settings.toy == "tiny":  # tiny model, pretrained on the profile's small action set
        actions = action_set(settings, seed=0)
        progress.report("the tiny toy backbone (pretrained once, then cached)")
        return str(ensure_toy_backbone(actions, seed=0, settings=toy.TINY_SETTINGS))
    raise ValueError(f"profile {settings.name!r}: toy must be 'default' or 'tiny'")


def video_frames(settings: Profile) -> int | None:
    """Frames per clip the profile feeds its video backbone (None: the backbone's own).

    The one owner is the profile's training option ``n_frames`` (the paper profile: 16), so
    that the pretrained embeddings of chapters 2 and 5 see the clips as fine-tuning does.
    """
    return settings.train_config().n_frames


def pretrained_backbone(settings: Profile) -> tuple[Any, Any]:
    """The profile's pretrained video backbone (on a GPU when there is one), fed :func:`video_frames`.

    Parameters
    ----------
    settings : Profile
        The book profile.

    Returns
    -------
    (torch.nn.Module, socalign.models.specs.BackboneSpec)
        As :func:`socalign.models.video.load_backbone` returns them.
    """
    from socalign.models.video import load_backbone

    return load_backbone(video_model(settings), n_frames=video_frames(settings))


def finetuned_run(
    settings: Profile,
    benchmark: Path | str,
    loss: str = "hybrid",
    seed: int = 0,
    trainer: str | None = None,
) -> Path:
    """The folder of a fine-tuning run (``socalign.train.run.finetune``), trained once and cached.

    The run is keyed by the benchmark folder's files, the backbone, the training settings (the
    profile's ``train`` with ``loss``, ``seed`` and ``trainer`` applied), the library version and
    the source of :data:`TRAINING_CODE`; it is trained in a temporary folder and renamed into
    place, so chapters 3 to 5 share it and an interrupted run leaves nothing that looks
    finished.

    Parameters
    ----------
    settings : Profile
        The book profile (backbone, training settings, ``n_boot``).
    benchmark : path-like
        The benchmark folder to fine-tune on (see :func:`finetune_benchmark`).
    loss : str, default "hybrid"
        The loss kind (``socalign.train.losses.LOSSES``).
    seed : int, default 0
        Seed of the run.
    trainer : str, optional
        The trainer; None: the profile's.

    Returns
    -------
    pathlib.Path
        The run folder in the cache.
    """
    from socalign import __version__
    from socalign.models.registry import get_spec
    from socalign.train.run import finetune

    changes: dict[str, Any] = {"loss_kind": loss, "seed": seed}
    if trainer is not None:
        changes["trainer"] = trainer
    config = settings.train_config(**changes)
    backbone = video_model(settings)
    from socalign.data import garcia2025
    from socalign.data.registry import attached_videos

    root = Path(benchmark)
    # the socalign layout's tables, or garcia2025's (data/interim/..., data/raw/utils/...)
    files = sorted(root.glob("*.csv")) or sorted(root.glob("data/*/*/*.csv"))
    videos = garcia2025_videos(settings, root)
    extra: list[Any] = []
    if garcia2025.is_garcia2025(root):  # videos from outside the folder: their names and sizes
        files_of = load_book_benchmark(settings, root).videos.files  # (not their content: large)
        extra = ["videos", [(str(f), Path(f).stat().st_size if Path(f).is_file() else None)
                            for f in files_of if f is not None]]
    # the backbone's LoRA targets come from its spec, not the config: they are part of the key
    targets = list(get_spec(backbone).lora_targets)
    from socalign import source

    key = content_key("finetune/1", __version__, source.library_fingerprint(TRAINING_CODE),
                      config.to_dict(), backbone, targets, settings.n_boot,
                      *[str(p.relative_to(root)) for p in files], *files, *extra)[:20]

    def train(out: Path) -> None:
        with progress.step(f"fine-tuning: {loss} loss, seed {seed}, {config.trainer} trainer, "
                           f"up to {config.epochs} epochs"), attached_videos(root, videos):
            finetune(root, out, config, backbone=backbone, n_boot=settings.n_boot, progress=False)

    return build_once(cache_dir("book", "runs") / key, REPORT_FILE, train)


def input_calibrations(settings: Profile, benchmarks: dict[str, Any], gap: dict[str, Any]) -> dict[str, Any]:
    """The pretrained video models' inputs against the paper's, on the SocialWorld benchmark.

    :func:`socalign.data.socialworld.calibration.video_calibration` of the profile's
    ``video_model`` and each of its ``other_video_models`` (fed :func:`video_frames`), against
    the caption models its gap table measured (a caption model that could not be loaded here is
    left out there, and so here); empty when no benchmark is SocialWorld, or its test split has
    too few trials to calibrate (the ``ci`` profile's tiny world).

    Parameters
    ----------
    settings : Profile
        The book profile.
    benchmarks : dict of str to Benchmark
        The chapter's benchmarks (:func:`book_benchmarks`).
    gap : dict of str to socalign.analyses.gap.GapResult
        Their gap tables (:func:`modality_gap`), by the same names.

    Returns
    -------
    dict of str to socalign.data.socialworld.calibration.VideoCalibration
        By backbone name.
    """
    import dataclasses

    from socalign.analyses.gap import is_socialworld, model_embeddings
    from socalign.data.socialworld.calibration import MIN_TRIALS, video_calibration

    found = [name for name, b in benchmarks.items() if is_socialworld(b) and b.videos.has_files
             and len(b.split_trials("test")) >= MIN_TRIALS]
    if not found:
        return {}
    bench = benchmarks[found[0]]
    measured = _language_models(gap, found[0])
    if not measured:
        return {}
    captions = {m: model_embeddings(bench, m) for m in measured}
    out = {}
    for name in (settings.video_model, *settings.other_video_models):
        own = settings if name == settings.video_model else dataclasses.replace(settings, video_model=name)
        with progress.step(f"calibration of {name}'s inputs"):
            video = model_embeddings(bench, video_model(own), n_frames=video_frames(own))
            out[name] = video_calibration(bench, video, captions, n_boot=settings.n_boot, seed=0)
    return out


def attribute_reaches(benchmarks: dict[str, Any], gap: dict[str, Any]) -> Any:
    """What the eight rated attributes alone and each measured caption model reach on the train
    videos, as shares of the split's R² ceiling: one row per benchmark that rates the
    attributes, and the paper's recorded figures (``GARCIA2025_ATTRIBUTES``,
    ``GARCIA2025_CAPTIONS``) unless garcia2025 itself is among the benchmarks.

    Parameters
    ----------
    benchmarks : dict of str to Benchmark
        The chapter's benchmarks (:func:`book_benchmarks`).
    gap : dict of str to socalign.analyses.gap.GapResult
        Their gap tables, whose language rows name the caption models measured.

    Returns
    -------
    pandas.DataFrame
        Indexed by benchmark; a column per measure (``eight rated attributes alone``, then each
        caption model), NaN where one was not measured.
    """

    from socalign.analyses.gap import model_embeddings
    from socalign.data.socialworld.attributes import SOCIAL_ATTRIBUTES
    from socalign.data.socialworld.calibration import (
        GARCIA2025_ATTRIBUTES,
        GARCIA2025_CAPTIONS,
        MIN_TRIALS,
        attribute_reach,
    )

    attributes = "eight rated attributes alone"
    rows = {}
    for name, bench in benchmarks.items():
        if not set(SOCIAL_ATTRIBUTES) <= set(bench.videos.ratings) or len(bench.split_trials("train")) < MIN_TRIALS:
            continue
        captions = {model: model_embeddings(bench, model) for model in _language_models(gap, name)}
        with progress.step(f"what the attributes reach on {name}"):
            share = attribute_reach(bench, "train", captions=captions)["share"]
        rows[name] = {attributes: share.pop("attributes"), **share}
    paper = GARCIA2025_CAPTIONS["train"]
    return _with_recorded_row(rows, benchmarks, {
        attributes: GARCIA2025_ATTRIBUTES["train"] / paper["r2_ceiling"],
        **{m: paper[m] / paper["r2_ceiling"] for m in ("minilm", "tfidf")}})


def _language_models(gap: dict[str, Any], name: str) -> list[str]:
    """The caption models that benchmark ``name``'s gap table measured (its language rows)."""
    return [row.model for row in gap[name].rows if row.kind == "language"]


def _with_recorded_row(rows: dict[str, dict[str, float]], benchmarks: dict[str, Any],
                       recorded: dict[str, float]) -> Any:
    """A table of ``rows`` indexed by benchmark, with garcia2025's recorded figures as the last
    row unless garcia2025 itself is among ``benchmarks`` (then its measured row stands)."""
    import pandas as pd

    if not any(b.name == "garcia2025" for b in benchmarks.values()):
        rows = {**rows, "garcia2025 (recorded)": dict(recorded)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("benchmark")


def caption_agreements(benchmarks: dict[str, Any], gap: dict[str, Any]) -> Any:
    """How far the captions of one video agree beyond those of two videos, in the embedding of
    each caption model the paper's captions were measured with (MiniLM, TF-IDF): one row per
    benchmark with captions, and the paper's recorded figures (``GARCIA2025_CAPTION_AGREEMENT``)
    unless garcia2025 itself is among the benchmarks.

    Parameters
    ----------
    benchmarks : dict of str to Benchmark
        The chapter's benchmarks (:func:`book_benchmarks`).
    gap : dict of str to socalign.analyses.gap.GapResult
        Their gap tables, whose language rows name the caption models measured.

    Returns
    -------
    pandas.DataFrame
        Indexed by benchmark; a column per caption model of ``GARCIA2025_CAPTION_AGREEMENT``
        (:func:`socalign.data.socialworld.calibration.caption_agreement`'s ``agreement``), NaN
        where one was not measured.
    """
    from functools import partial

    from socalign.data.socialworld.calibration import (
        GARCIA2025_CAPTION_AGREEMENT,
        caption_agreement,
    )
    from socalign.models.language import encode_captions

    rows = {}
    for name, bench in benchmarks.items():
        captions = bench.videos.captions
        if not any(len(c) > 1 for c in captions):
            continue
        measured = set(_language_models(gap, name))
        with progress.step(f"how far the captions of a video agree on {name}"):
            rows[name] = {m: caption_agreement(captions, partial(encode_captions, model=m))["agreement"]
                          for m in GARCIA2025_CAPTION_AGREEMENT if m in measured}
    frame = _with_recorded_row(rows, benchmarks, GARCIA2025_CAPTION_AGREEMENT)
    return frame.reindex(columns=list(GARCIA2025_CAPTION_AGREEMENT))


def seed_runs(settings: Profile, benchmark: Path | str, loss: str, video_model: str | None = None) -> list[Path]:
    """The runs of every seed of ``settings`` for one loss kind and backbone (trained once, cached).

    Parameters
    ----------
    settings : Profile
        The book profile (its seeds and training settings).
    benchmark : path-like
        The benchmark folder (see :func:`finetuned_run`).
    loss : str
        The loss kind.
    video_model : str or None, default None
        The backbone (one of the profile's ``video_model`` and ``other_video_models``); None:
        the profile's ``video_model``.

    Returns
    -------
    list of pathlib.Path
        One run folder per seed, in the profile's seed order.
    """
    import dataclasses

    own = settings if video_model in (None, settings.video_model) else dataclasses.replace(
        settings, video_model=video_model)
    return [finetuned_run(own, benchmark, loss=loss, seed=seed) for seed in settings.seeds]


def action_set(settings: Profile, seed: int = 1) -> Path:
    """SocialWorld's labelled action set for the retention test, synthesized once into the cache.

    Seed 1 (the default) is for the retention test: the toy backbone pretrains on seed 0 (its
    own set, or, for the tiny toy, this function's seed-0 set), so the clips are new to it.

    Parameters
    ----------
    settings : Profile
        The book profile (``action_videos`` clips, SocialWorld's frame count and size).
    seed : int, default 1
        Seed of the set.

    Returns
    -------
    pathlib.Path
        The action set's folder in the cache.
    """
    from socalign import __version__
    from socalign.data.socialworld.actions import synthesize_actions

    sw = settings.socialworld
    args = {"n_clips": settings.action_videos, "seed": seed, "n_frames": sw["n_frames"],
            "size": sw["size"]}
    from socalign.data.socialworld.synth import GENERATOR

    key = content_key("actions", __version__, GENERATOR, args)[:16]
    return build_once(
        cache_dir("book", "actions") / key, "actions.csv",
        lambda out: _reported(f"synthesizing {args['n_clips']} action clips",
                              synthesize_actions, out, **args),
    )


def merged_backbone(settings: Profile, run: Path | str) -> Path:
    """A fine-tuning run's backbone with its LoRA adapters merged, as a plain checkpoint folder.

    Loadable like any backbone (``socalign.models.video.load_backbone``), so the retention and
    attention analyses treat the pretrained and the fine-tuned backbone alike. Cached per run;
    the merge itself is :meth:`socalign.train.runs.Run.merged_backbone` (the model loaded by
    :meth:`socalign.train.model.AlignedVideoModel.load`).

    Parameters
    ----------
    settings : Profile
        The book profile (its video backbone is part of the key).
    run : path-like
        The run folder (e.g. from :func:`finetuned_run`).

    Returns
    -------
    pathlib.Path
        The merged checkpoint folder in the cache.
    """
    from socalign.train.runs import Run

    opened = Run.open(run)
    key = content_key("merged/1", video_model(settings), opened.path.name,
                      opened.adapter_path)[:20]

    def build(out: Path) -> None:
        progress.report(f"merging the LoRA adapters of run {opened.path.name}")
        opened.merged_backbone(out)

    return build_once(cache_dir("book", "merged") / key, "config.json", build)


def reference_language_model(settings: Profile, benchmark: Benchmark) -> str:
    """The one caption model chapters 2 to 5 compare the video model with, chosen once.

    The profile's language model with the highest R² on ``benchmark``'s *train* split (never
    its test split), as chapter 2's paired test chooses it; chapters 3 to 5 call this with the
    benchmark they fine-tune on, so that every chapter names the same model.

    Parameters
    ----------
    settings : Profile
        The book profile (its ``language_models``).
    benchmark : Benchmark
        The benchmark whose train split decides.

    Returns
    -------
    str
        The model's name (one of ``settings.language_models``).
    """
    from socalign.analyses.gap import model_embeddings
    from socalign.scoring import evaluate

    def train_r2(name: str) -> float:
        r2 = evaluate(benchmark, "train", embeddings=model_embeddings(benchmark, name), n_boot=0).r2
        return float(r2) if r2 == r2 else float("-inf")

    return max(settings.language_models, key=train_r2)


TRANSFER_SEED_OFFSET = 1
"""The transfer set's seed is the profile's SocialWorld seed plus this: a world never trained on."""


def transfer_set(settings: Profile) -> Path:
    """Chapter 6's SocialWorld transfer set (PHASE's look, labelled), synthesized once.

    :func:`socalign.data.socialworld.transfer.synthesize_transfer_set` with the profile's
    SocialWorld size (``n_videos``, ``n_frames``, ``size``), the seed of its world plus
    :data:`TRANSFER_SEED_OFFSET` and the held-out look
    (:data:`socalign.data.socialworld.transfer.DEFAULT_LOOK`); keyed by those, the generator
    and the library version.

    Parameters
    ----------
    settings : Profile
        The book profile.

    Returns
    -------
    pathlib.Path
        The labelled folder (``socalign-labels/1``) in the cache.
    """
    from socalign import __version__
    from socalign.data.socialworld.generator import GENERATOR
    from socalign.data.socialworld.transfer import DEFAULT_LOOK, synthesize_transfer_set

    sw = settings.socialworld
    args = {"n_videos": int(sw["n_videos"]), "seed": int(sw.get("seed", 0)) + TRANSFER_SEED_OFFSET,
            "n_frames": int(sw["n_frames"]), "size": int(sw["size"]), "look": DEFAULT_LOOK}
    key = content_key("socialworld-transfer/1", __version__, GENERATOR, args)[:16]
    return build_once(
        cache_dir("book", "transfer-sets") / key, "videos.csv",
        lambda out: _reported(f"synthesizing the SocialWorld transfer set ({args['n_videos']} "
                              f"videos, {args['look']} look)", synthesize_transfer_set, out, **args),
    )


def phase_copy() -> Path | None:
    """The local copy of PHASE's public files, or None; never downloads.

    ``$SOCALIGN_DATA`` (when set, and holding a ``socialgnn-phase`` or ``phase`` folder or
    being one) or the cache (:func:`socalign.data.phase.source.available`). A
    ``$SOCALIGN_DATA`` that holds other data only (garcia2025) counts as no copy; a copy there
    that fails verification still raises.

    Returns
    -------
    pathlib.Path or None
    """
    import os

    from socalign.data.phase.source import DATA_ENV, FOLDER_NAMES, available, is_phase_copy

    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        base = Path(env).expanduser()
        if not any(is_phase_copy(c) for c in (*(base / n for n in FOLDER_NAMES), base)):
            return None
    return available()


def phase_benchmark(settings: Profile) -> Path | None:
    """PHASE rendered once (``socalign data render phase``) at the profile's clip size, or None.

    Rendered from the local copy (:func:`phase_copy`) at the profile's SocialWorld frame size
    and frame count (the clips the book's backbones see), with people's agreement measured
    with the profile's ``n_boot``; keyed by the renderer, the pinned commit, whether the main
    set is there, those settings and the library version.

    Parameters
    ----------
    settings : Profile
        The book profile.

    Returns
    -------
    pathlib.Path or None
        The labelled folder in the cache; None when no copy of PHASE is here.
    """
    from socalign import __version__
    from socalign.data.phase.benchmark import RENDERER, render_benchmark
    from socalign.data.phase.pins import COMMIT
    from socalign.data.phase.source import has_main_trajectories

    root = phase_copy()
    if root is None:
        return None
    sw = settings.socialworld
    args = {"size": int(sw["size"]), "n_frames": int(sw["n_frames"]), "n_boot": int(settings.n_boot)}
    key = content_key("phase-render/1", __version__, RENDERER, COMMIT,
                      has_main_trajectories(root), args)[:16]
    return build_once(
        cache_dir("book", "phase") / key, "videos.csv",
        lambda out: _reported("rendering PHASE from its trajectories", render_benchmark,
                              root, out, **args),
    )


def transfer_embeddings(settings: Profile, labelled: Path | str,
                        runs: dict[str, Path]) -> dict[str, Any]:
    """Frozen features of a labelled benchmark's videos: the pretrained backbone, then each run.

    The pretrained backbone as :func:`modality_gap` embeds it (:func:`video_model`, fed
    :func:`video_frames`; cached by content); each fine-tuned run by its encoder
    (:func:`socalign.analyses.transfer.aligned_features`), cached per run and benchmark folder.

    Parameters
    ----------
    settings : Profile
        The book profile.
    labelled : path-like
        A labelled benchmark folder with videos (:func:`transfer_set`, :func:`phase_benchmark`).
    runs : dict of str to pathlib.Path
        Label -> a run folder (:func:`finetuned_run`), in the order to report.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"pretrained"`` first, then each label of ``runs``: (N, D) in the benchmark's video
        row order.
    """
    import numpy as np

    from socalign.analyses.gap import model_embeddings
    from socalign.analyses.transfer import aligned_features
    from socalign.data import load_dataset

    bench = load_dataset(labelled)
    with progress.step(f"embedding {bench.name} with the pretrained {settings.video_model}"):
        out: dict[str, Any] = {"pretrained": model_embeddings(bench, video_model(settings),
                                                              n_frames=video_frames(settings))}
    for label, run in runs.items():
        # the run folder's and the benchmark folder's names are content keys; videos.csv by content
        key = content_key("transfer-embeddings/1", Path(run).name, Path(labelled).name,
                          Path(labelled) / "videos.csv")[:20]

        def build(folder: Path, run: Path = Path(run), label: str = label) -> None:
            with progress.step(f"embedding {bench.name} with the {label} run"):
                features = aligned_features(bench, run)
            folder.mkdir(parents=True, exist_ok=True)
            np.save(folder / "features.npy", features)

        found = build_once(cache_dir("book", "transfer-embeddings") / key, "features.npy", build)
        out[label] = np.load(found / "features.npy")
    return out


def _reported(message: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function`` inside a :func:`socalign.progress.step` named ``message``."""
    with progress.step(message):
        return function(*args, **kwargs)
