"""``socalign gap``, ``partition``, ``probe``, ``rollout``, ``retention``: what fine-tuning changed."""

from __future__ import annotations

import argparse
from typing import Any

from socalign.cli.arguments import (
    add_dataset_argument,
    add_dataset_mismatch_flag,
    check_files_dataset,
)
from socalign.cli.errors import CliError
from socalign.cli.output import (
    SPREAD_LABEL,
    fmt,
    fmt_ci,
    fmt_interval,
    fmt_p,
    format_fields,
    format_table,
    join_blocks,
    rest,
    section,
)
from socalign.cli.parser import add_command, progress_enabled
from socalign.progress import progress_bar, working


def _split(value: str | None) -> str | None:
    return None if value in (None, "all") else value


def _names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise CliError(f"empty list {value!r}")
    return names


def _check_boot(args: argparse.Namespace) -> None:
    if args.n_boot < 0:
        raise CliError(f"--n-boot must be >= 0, got {args.n_boot}")


def _layers(value: str | None, models: list[str] | None) -> dict[str, list[int]] | None:
    """``--choose-layer MODEL:0,1,2`` -> {MODEL: [0, 1, 2]}."""
    if value is None:
        return None
    model, _, layers = value.rpartition(":")
    if not model or not layers:
        raise CliError(f"--choose-layer expects MODEL:L1,L2,..., got {value!r}")
    try:
        chosen = [int(v) for v in layers.split(",")]
    except ValueError as err:
        raise CliError(f"--choose-layer: layers must be integers, got {layers!r}") from err
    if models is not None and model not in models:
        raise CliError(f"--choose-layer names {model!r}, which is not in --models {models}")
    return {model: chosen}


def _check_videos(benchmark: Any, names: list[str]) -> None:
    """Refuse, before any model is loaded, video models on a benchmark without video files.

    ``names`` are the models a command will embed (references such as ``pixel`` and
    embeddings or similarity files are skipped); the first video model among them meets
    :func:`socalign.models.embed.check_video_files`, so ``gap --models tfidf,toy`` on
    garcia2025 without ``--videos`` fails before tfidf is fitted.
    """
    from pathlib import Path

    from socalign.models.embed import check_video_files, model_kind

    for name in names:
        if name in ("pixel", "oracle") or Path(name).suffix in (".npz", ".npy"):
            continue
        if model_kind(name) == "video":
            check_video_files(benchmark)
            return


def _gap_revisions(names: list[str], revision: str | None) -> dict[str, str]:
    """``--revision`` applied to the one hub video model among ``names``: name -> NAME@REV."""
    if revision is None:
        return {}
    from socalign.models.embed import model_kind
    from socalign.models.hub import is_hub_id, split_revision, with_revision

    def is_hub_video(name: str) -> bool:
        try:
            return is_hub_id(split_revision(name)[0]) and model_kind(name) == "video"
        except ValueError:
            return False

    hub = [name for name in names if is_hub_video(name)]
    if len(hub) != 1:
        found = f"{len(hub)} ({', '.join(hub)})" if hub else "none"
        raise CliError(f"--revision pins the one hub video model in --models; found {found}: "
                       "name each revision in --models as NAME@REV instead", "--revision")
    try:
        return {hub[0]: with_revision(hub[0], revision)}
    except ValueError as err:
        raise CliError(str(err), "--revision") from err


def _gap_embeddings(
    benchmark: Any, names: list[str], choose_layers: dict[str, list[int]] | None,
    train_split: str, metric: str, show: bool, revisions: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each model's embeddings (and chosen layer), as :func:`socalign.analyses.gap.run_gap`
    computes them, with a progress bar per model and per video where a model is embedded.
    ``revisions`` maps a model's name to the pinned ``NAME@REV`` it is embedded as."""
    from pathlib import Path

    from socalign.analyses.gap import choose_layer, model_embeddings

    def embed_one(name: str, layer: int | None = None) -> Any:
        name = (revisions or {}).get(name, name)
        if name in ("pixel", "oracle") or Path(name).suffix in (".npz", ".npy") or not show:
            return model_embeddings(benchmark, name, layer)
        from socalign.models.embed import embed

        source = name
        from socalign.models.toy import is_toy, toy_backbone

        if is_toy(name):
            source = str(toy_backbone(name))
        return embed(benchmark, source, layer=layer, progress=True).embeddings

    embeddings: dict[str, Any] = {}
    layers: dict[str, Any] = {}
    bar = progress_bar(names, "gap: models", show, unit="model")
    for name in bar:
        if show:
            bar.set_postfix_str(name.rstrip("/").split("/")[-1])  # type: ignore[attr-defined]
        candidates = (choose_layers or {}).get(name)
        if candidates:
            best, scores = choose_layer(
                benchmark, lambda layer, n=name: embed_one(n, layer), candidates, train_split,
                metric,
            )
            layers[name] = (best, scores)
            embeddings[name] = embed_one(name, best)
        else:
            embeddings[name] = embed_one(name)
    return embeddings, layers


def gap_command(args: argparse.Namespace) -> dict[str, Any]:
    """The modality-gap table of a split."""
    from socalign.analyses.gap import default_models, gap_table
    from socalign.data import load_dataset

    _check_boot(args)
    benchmark = load_dataset(args.dataset)
    models = _names(args.models)
    check_files_dataset(models or [], benchmark, args)
    names = list(models) if models else list(default_models(benchmark))
    _check_videos(benchmark, names)
    show = progress_enabled(args)
    revisions = _gap_revisions(names, args.revision)
    embeddings, layers = _gap_embeddings(
        benchmark, names, _layers(args.choose_layer, models), args.train_split, args.metric, show,
        revisions,
    )
    with working(f"gap: scores, ceilings and {args.n_boot} bootstrap resamples", show):
        result = gap_table(benchmark, embeddings, None, _split(args.split), args.metric,
                           args.n_boot, args.seed, layers, select_split=args.train_split)
    return {"dataset": benchmark.name, **result.to_dict(), "split": args.split, "seed": args.seed}


def _short(name: Any) -> str:
    return str(name).rstrip("/").split("/")[-1]


def _ci(ci: dict[str, Any], *keys: str) -> dict[str, Any] | None:
    out: Any = ci
    for key in keys:
        out = (out or {}).get(key)
    return out


_GAP_KEYS = ("dataset", "split", "metric", "models", "ceiling", "paired_tests", "n_boot",
             "notes", "seed")


def gap_text(result: dict[str, Any]) -> str:
    """``socalign gap`` for people: one line per model, the ceilings, the paired test.

    Parameters
    ----------
    result
        The ``gap --json`` object.

    Returns
    -------
    str
        The table (R² and OOO accuracy under both rules with 95% bootstrap intervals), the
        noise ceilings of the split, the paired test, notes.
    """
    rows = []
    for m in result.get("models") or []:
        ci = m.get("ci") or {}
        rows.append({
            "model": _short(m.get("model")),
            "kind": m.get("kind"),
            "R² [95% CI]": fmt_ci(m.get("r2"), *_bounds(_ci(ci, "r2"))),
            "OOO argmax [95% CI]": fmt_ci((m.get("ooo_accuracy") or {}).get("argmax"),
                                          *_bounds(_ci(ci, "ooo_accuracy", "argmax"))),
            "OOO pair [95% CI]": fmt_ci((m.get("ooo_accuracy") or {}).get("pair"),
                                        *_bounds(_ci(ci, "ooo_accuracy", "pair"))),
            "pairs": m.get("n_pairs"),
            "trials": m.get("n_trials"),
            "layer": m.get("layer"),
        })
    if rows and all(r["layer"] is None for r in rows):
        for r in rows:
            del r["layer"]
    first = (result.get("models") or [{}])[0]
    head = (f"modality gap: {result.get('dataset')}, split {result.get('split')}, "
            f"{fmt(first.get('n_videos'))} videos ({result.get('metric')} similarity of "
            f"embeddings; seed {result.get('seed')})")
    legend = ("R²: squared Spearman correlation with the judged similarity over the split's "
              "judged video pairs; OOO: odd-one-out accuracy over trials (argmax rule: the "
              "pair the human kept is the model's most similar, chance 1/3; pair rule: the share "
              "of the other two pairs that the kept pair beats, chance 1/2). 95% percentile bootstrap intervals, "
              f"{fmt(result.get('n_boot'))} resamples of videos (R²) or trials (OOO).")
    blocks = [head, format_table(rows), _wrap(legend)]
    ceiling = result.get("ceiling") or {}
    if ceiling:
        blocks.append(section("noise ceilings of the split", _gap_ceiling_fields(ceiling)))
    blocks.append(_paired_text(result.get("paired_tests") or {}))
    notes = result.get("notes") or []
    if notes:
        blocks.append(section("notes", "\n".join(f"- {n}" for n in notes)))
    blocks.append(rest(result, _GAP_KEYS))
    return join_blocks(*blocks)


def _gap_ceiling_fields(ceiling: dict[str, Any]) -> str:
    """The gap's ceiling block: one aligned line per entry, then what each one means."""
    labels = {"r2": "R² ceiling = r_sb", "ooo_accuracy": "OOO reliability",
              "ooo_ceiling": "OOO-accuracy ceiling"}
    fields: list[Any] = []
    meanings: list[str] = []
    for key, value in ceiling.items():
        label = labels.get(key, key.replace("_", " "))
        if not isinstance(value, dict):
            fields.append((label, value))
            continue
        estimate = value.get("estimate")
        shown = (fmt(estimate) if estimate is not None
                 else f"n/a ({value.get('error', 'not computed')})")
        if key == "r2":
            what = (f"split-half reliability of the judged similarity, mean over random halves of "
                    f"{fmt(value.get('n_participants'))} participants")
        elif key == "ooo_accuracy":
            what = f"{value.get('kind', '')}, {fmt(value.get('n_trials'))} trials".strip(", ")
        else:
            n = value.get("n", value.get("n_trials"))
            what = f"{value.get('unit', '')}; {fmt(n)} {value.get('n_of', 'trials')}".strip("; ")
        fields.append((label, shown, what))
        if estimate is not None and (value.get("low") is not None or value.get("high") is not None):
            fields.append(("", f"{fmt(value.get('low'))} to {fmt(value.get('high'))}",
                           SPREAD_LABEL))
        if value.get("meaning"):
            meanings.append(_wrap(f"{label}: {value['meaning']}.", indent=""))
    return "\n".join([format_fields(fields), *meanings])


def _bounds(iv: dict[str, Any] | None) -> tuple[Any, Any]:
    return (None, None) if not iv else (iv.get("low"), iv.get("high"))


def _wrap(text: str, width: int = 96, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)


def _paired_text(paired: dict[str, Any]) -> str:
    test = paired.get("language_vs_video")
    if not test:
        reason = paired.get("reason", "not computed")
        return f"paired test, best language vs best video model: none ({reason})"
    rows = [{"statistic": "R² difference", **_iv_cells(test.get("r2"))},
            {"statistic": "Spearman difference", **_iv_cells(test.get("spearman"))}]
    for rule, iv in (test.get("ooo_accuracy") or {}).items():
        rows.append({"statistic": f"OOO accuracy difference ({rule})", **_iv_cells(iv)})
    title = (f"paired test: {_short(test.get('language'))} (best language) minus "
             f"{_short(test.get('video'))} (best video), chosen by {test.get('best_chosen_by')}")
    return section(title, format_table(rows))


def _iv_cells(iv: dict[str, Any] | None) -> dict[str, Any]:
    iv = iv or {}
    return {"estimate [95% CI]": fmt_interval(iv), "p (two-sided)": fmt_p(iv.get("p_value")),
            "resampled": f"{iv.get('unit')} x {iv.get('n_boot')}" if iv else "n/a"}


def partition_command(args: argparse.Namespace) -> dict[str, Any]:
    """Variance partitioning (commonality analysis) of human similarity on 2–3 predictors."""
    from socalign.analyses.partition import partition_benchmark
    from socalign.data import load_dataset

    _check_boot(args)
    benchmark = load_dataset(args.dataset)
    predictors = _names(args.predictors) or []
    check_files_dataset(predictors, benchmark, args)
    _check_videos(benchmark, predictors)
    with working(f"partition: {args.n_boot} bootstrap resamples", progress_enabled(args)):
        result = partition_benchmark(
            benchmark, predictors, split=_split(args.split),
            regression=args.regression, metric=args.metric, n_boot=args.n_boot, seed=args.seed,
            names=_names(args.names),
        )
    return {"dataset": benchmark.name, **result.to_dict(), "split": args.split, "seed": args.seed}


def probe_command(args: argparse.Namespace) -> dict[str, Any]:
    """Ridge probes of per-video ratings from embeddings (train videos -> held-out videos)."""
    from socalign.analyses.probes import probe_benchmark
    from socalign.data import load_dataset

    _check_boot(args)
    if args.n_perm < 0:
        raise CliError(f"--n-perm must be >= 0, got {args.n_perm}")
    benchmark = load_dataset(args.dataset)
    check_files_dataset([args.embeddings], benchmark, args)
    _check_videos(benchmark, [args.embeddings])
    show = progress_enabled(args)
    embeddings, _ = _gap_embeddings(benchmark, [args.embeddings], None, args.train_split,
                                    "cosine", show)
    with working(f"probe: {args.n_perm} permutations, {args.n_boot} bootstrap resamples", show):
        result = probe_benchmark(
            benchmark, embeddings[args.embeddings], _names(args.attributes),
            train_split=args.train_split, test_split=args.test_split,
            embedding=str(args.embeddings), n_perm=args.n_perm, n_boot=args.n_boot,
            seed=args.seed,
        )
    return {"dataset": benchmark.name, **result.to_dict(), "seed": args.seed}


def _backbone(value: str) -> Any:
    """A backbone name/folder, or a ``socalign finetune`` run folder (adapters merged in)."""
    from socalign.train.runs import Run

    if Run.is_run(value):
        return Run.open(value).load_merged()
    return value


def _labelled_backbones(value: str) -> dict[str, Any]:
    """``--backbones LABEL=NAME,LABEL=RUN_DIR`` -> {label: backbone}."""
    out: dict[str, Any] = {}
    for item in _names(value) or []:
        label, sep, source = item.partition("=")
        if not sep or not label or not source:
            raise CliError(f"--backbones expects LABEL=NAME_OR_FOLDER[,...], got {item!r}")
        if label in out:
            raise CliError(f"--backbones: label {label!r} given twice")
        out[label] = _backbone(source)
    return out


def rollout_command(args: argparse.Namespace) -> dict[str, Any]:
    """Attention rollout of each backbone on the split's clips, divergence and region shares."""
    from socalign.analyses.rollout import benchmark_rollout
    from socalign.data import load_dataset

    if args.max_clips is not None and args.max_clips < 1:
        raise CliError(f"--max-clips must be >= 1, got {args.max_clips}")
    benchmark = load_dataset(args.dataset)
    from socalign.models.embed import check_video_files

    # rollout reads the split's clips: a benchmark without any video file is refused before a
    # backbone loads (a clip of the split that is missing fails when it is read)
    check_video_files(benchmark, on_error="skip")
    backbones = _labelled_backbones(args.backbones)
    with working(f"rollout: {len(backbones)} backbone(s)", progress_enabled(args)):
        result = benchmark_rollout(benchmark, backbones, split=_split(args.split),
                                   max_clips=args.max_clips)
    return {"dataset": benchmark.name, **result.to_dict(), "split": args.split}


def retention_command(args: argparse.Namespace) -> dict[str, Any]:
    """Held-out action accuracy of a linear probe before vs after fine-tuning."""
    from socalign.analyses.retention import action_retention

    _check_boot(args)
    with working("retention: embedding the action clips, fitting the probes",
                 progress_enabled(args)):
        result = action_retention(args.actions, _backbone(args.before), _backbone(args.after),
                                  n_boot=args.n_boot, seed=args.seed)
    return {"actions": str(args.actions), "before": args.before, "after": args.after,
            **result.to_dict(), "seed": args.seed}


_PARTITION_KEYS = ("dataset", "predictors", "regression", "split", "n_pairs", "n_videos",
                   "r2_full", "r2", "r2_ci", "components", "ci_level", "ci_unit", "n_boot",
                   "n_boot_degenerate", "seed")


def partition_text(result: dict[str, Any]) -> str:
    """``socalign partition`` for people: unique and shared R² per component, then each subset."""
    level = f"{fmt(100 * (result.get('ci_level') or 0.95), 2)}%"
    full = result.get("r2_full")
    rows = [
        {"component": c.get("component"), "kind": c.get("kind"),
         f"R² [{level} CI]": fmt_ci(c.get("value"), *((c.get("ci") or [None, None])[:2])),
         "share of full R²": (c.get("value") / full if full and c.get("value") is not None
                              else None)}
        for c in result.get("components") or []
    ]
    r2_ci = result.get("r2_ci") or {}
    subsets = [{"predictors": k, f"R² [{level} CI]": fmt_ci(v, *(r2_ci.get(k) or [None, None])[:2])}
               for k, v in (result.get("r2") or {}).items()]
    regression = {"ols_ranks": "OLS on ranks (Spearman-like)",
                  "ols_raw": "OLS on raw similarities"}.get(str(result.get("regression")),
                                                            str(result.get("regression")))
    head = (f"variance partitioning of the judged similarity: {result.get('dataset')}, split "
            f"{result.get('split')}, {fmt(result.get('n_videos'))} videos, "
            f"{fmt(result.get('n_pairs'))} judged pairs (seed {result.get('seed')})")
    legend = (f"R²: share of the variance of the human similarity over judged pairs, {regression}; "
              "unique: explained by that predictor alone, shared: by exactly those together. "
              f"{level} percentile bootstrap intervals, {fmt(result.get('n_boot'))} resamples of "
              f"{result.get('ci_unit')}"
              + (f" ({fmt(result.get('n_boot_degenerate'))} degenerate)"
                 if result.get("n_boot_degenerate") else "") + ".")
    return join_blocks(head, format_table(rows), section("R² of each predictor subset",
                                                         format_table(subsets)),
                       _wrap(legend), rest(result, _PARTITION_KEYS))


_PROBE_KEYS = ("dataset", "embedding", "attributes", "n_features", "n_perm", "n_boot",
               "ci_level", "ci_unit", "p_value_kind", "cv", "train_split", "test_split", "seed")


def probe_text(result: dict[str, Any]) -> str:
    """``socalign probe`` for people: held-out r per rating with interval, p and penalty."""
    level = f"{fmt(100 * (result.get('ci_level') or 0.95), 2)}%"
    rows = []
    for a in result.get("attributes") or []:
        ci = a.get("ci") or [None, None]
        rows.append({
            "rating": a.get("attribute"),
            f"r [{level} CI]": fmt_ci(a.get("r"), ci[0], ci[1]),
            "p": fmt_p(a.get("p_value")),
            "ridge penalty": a.get("alpha"),
            "edge": "*" if a.get("alpha_on_grid_edge") else "",
            "train": a.get("n_train"),
            "test": a.get("n_test"),
        })
    edge = any(r["edge"] for r in rows)
    if not edge:
        for r in rows:
            del r["edge"]
    head = (f"ridge probes of {result.get('dataset')}'s ratings from {result.get('embedding')} "
            f"({fmt(result.get('n_features'))} features): fitted on {result.get('train_split')} "
            f"videos, scored on {result.get('test_split')} videos (seed {result.get('seed')})")
    legend = (f"r: Pearson correlation of predicted and true ratings over held-out videos; "
              f"{level} bootstrap interval over {result.get('ci_unit')} ({fmt(result.get('n_boot'))} "
              f"resamples); p: {result.get('p_value_kind')} ({fmt(result.get('n_perm'))} "
              f"permutations); ridge penalty by {result.get('cv')}"
              + ("; *: the penalty is at the edge of the searched grid." if edge else "."))
    return join_blocks(head, format_table(rows), _wrap(legend), rest(result, _PROBE_KEYS))


_ROLLOUT_KEYS = ("dataset", "models", "n_clips", "grid", "divergence_mean", "divergence",
                 "regions", "split")


def rollout_text(result: dict[str, Any]) -> str:
    """``socalign rollout`` for people: where each backbone's attention mass falls."""
    rows = [{"model": model, "region": region, **values}
            for model, regions in (result.get("regions") or {}).items()
            for region, values in regions.items()]
    grid = " x ".join(str(g) for g in result.get("grid") or [])
    head = (f"attention rollout: {result.get('dataset')}, split {result.get('split')}, "
            f"{fmt(result.get('n_clips'))} clips, map grid {grid}; backbones "
            f"{', '.join(map(str, result.get('models') or []))}")
    fields = []
    if result.get("divergence_mean") is not None:
        fields.append(("map divergence (mean over clips)", fmt(result.get("divergence_mean")),
                       "between the two backbones' rollout maps"))
    blocks = [head, format_fields(fields)]
    if rows:
        blocks.append(format_table(rows, {"model": "model", "region": "region",
                                          "mass": "mass share", "area": "area share",
                                          "enrichment": "enrichment (mass/area)"}))
        blocks.append("mass share: fraction of the rollout map's mass on the region; area share: "
                      "its fraction of the frame; enrichment: their ratio (1 = no preference).")
    return join_blocks(*blocks, rest(result, _ROLLOUT_KEYS))


_RETENTION_KEYS = ("actions", "before", "after", "models", "accuracy", "difference", "chance",
                   "n_train", "n_test", "n_classes", "probe", "seed")


def retention_text(result: dict[str, Any]) -> str:
    """``socalign retention`` for people: held-out action accuracy before, after, difference."""
    rows = [{"backbone": name, **_iv_cells(iv)}
            for name, iv in (result.get("accuracy") or {}).items()]
    diff = result.get("difference") or {}
    if diff:
        rows.append({"backbone": str(diff.get("of", "after - before")), **_iv_cells(diff)})
    head = (f"action retention on {result.get('actions')}: {fmt(result.get('n_classes'))} "
            f"actions (chance {fmt(result.get('chance'))}), {fmt(result.get('n_train'))} train / "
            f"{fmt(result.get('n_test'))} held-out clips (seed {result.get('seed')})")
    legend = (f"held-out accuracy of a linear probe ({result.get('probe')}); 95% percentile "
              "bootstrap intervals over clips, paired for the difference.")
    return join_blocks(head, format_table(rows), _wrap(legend), rest(result, _RETENTION_KEYS))


def _common(p: argparse.ArgumentParser, split: bool = True) -> None:
    add_dataset_argument(p)
    if split:
        p.add_argument("--split", default="test", help="held-out split, or 'all'")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of all resampling")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``gap``, ``partition``, ``probe``, ``rollout`` and ``retention``."""
    p = add_command(
        sub, "gap", gap_command,
        "the modality-gap table: R² and OOO accuracy (both rules) per model with bootstrap "
        "CIs, noise ceilings, and paired tests of the best language vs the best video model",
        human=gap_text,
    )
    _common(p)
    add_dataset_mismatch_flag(p)
    p.add_argument(
        "--models", default=None,
        help="comma-separated models: tfidf, minilm, pixel, oracle, toy, a model name or "
        "folder, or an embeddings file (.npz/.npy). Default: SocialWorld pixel,toy,tfidf,"
        "minilm,oracle; otherwise tfidf,minilm",
    )
    p.add_argument("--metric", default="cosine", help="embedding similarity: cosine, correlation, dot")
    p.add_argument(
        "--choose-layer", default=None, metavar="MODEL:L1,L2",
        help="choose MODEL's layer among these by R² on --train-split videos (never the test "
        "split; default: no choice, each model's output)",
    )
    p.add_argument("--train-split", default="train", help="split used to choose a layer")
    p.add_argument("--revision", default=None, metavar="REV",
                   help="the branch, tag or commit of the hub video model in --models (one; "
                   "or write NAME@REV in --models; default: main)")

    p = add_command(
        sub, "partition", partition_command,
        "variance partitioning (commonality analysis) of human similarity on 2-3 model "
        "similarities: unique and shared R² with bootstrap CIs over videos",
        human=partition_text,
    )
    _common(p)
    add_dataset_mismatch_flag(p)
    p.add_argument(
        "--predictors", required=True,
        help="2-3 comma-separated embeddings/similarity files (.npz/.npy) or model names",
    )
    p.add_argument("--names", default=None,
                   help="comma-separated names for the predictors (default: each file's stem, "
                   "or the model's name)")
    p.add_argument(
        "--regression", choices=("ols_ranks", "ols_raw"), default="ols_ranks",
        help="OLS on ranks (Spearman-like) or on raw similarity values",
    )
    p.add_argument("--metric", default="cosine", help="similarity of embeddings files")

    p = add_command(
        sub, "probe", probe_command,
        "ridge probes of per-video ratings: penalty by CV in train videos, Pearson r on "
        "held-out videos, permutation p-values and bootstrap CIs",
        human=probe_text,
    )
    _common(p, split=False)
    add_dataset_mismatch_flag(p)
    p.add_argument(
        "--embeddings", required=True,
        help="embeddings file (.npz/.npy) or a model name (minilm, tfidf, pixel, oracle, toy)",
    )
    p.add_argument("--attributes", default=None, help="comma-separated ratings (default: all)")
    p.add_argument("--n-perm", type=int, default=1000, help="permutations per attribute")
    p.add_argument("--train-split", default="train", help="videos the probe is fitted on")
    p.add_argument("--test-split", default="test", help="held-out videos")

    p = add_command(
        sub, "rollout", rollout_command,
        "attention rollout (TimeSformer, VideoMAE) of one or two backbones on a split's clips: "
        "map divergence, and on SocialWorld the share of attention on the agents and distractor",
        human=rollout_text,
    )
    add_dataset_argument(p)
    p.add_argument("--split", default="test", help="clips of this split, or 'all'")
    p.add_argument(
        "--backbones", required=True,
        help="comma-separated LABEL=SOURCE; SOURCE is a backbone name/folder or a finetune run "
        "folder (its adapters merged in), e.g. pretrained=toy_dir,finetuned=runs/hybrid",
    )
    p.add_argument("--max-clips", type=int, default=None,
                   help="only the split's first N clips (default: all)")

    p = add_command(
        sub, "retention", retention_command,
        "action retention: a logistic probe of SocialWorld's action labels on the backbone "
        "before and after fine-tuning, held-out accuracy and a paired bootstrap of the change",
        human=retention_text,
    )
    p.add_argument("actions", metavar="ACTIONS_DIR",
                   help="an action set (socalign data synth socialworld-actions --out DIR)")
    p.add_argument("--before", required=True, help="backbone name/folder before fine-tuning")
    p.add_argument("--after", required=True,
                   help="a finetune run folder (adapters merged in) or a backbone name/folder")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling")
