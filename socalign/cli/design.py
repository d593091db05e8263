"""``socalign design`` and ``socalign power``: plan a study before collecting judgments.

``design`` writes a trial schedule (:mod:`socalign.data.schedule`) and its jsPsych timelines
(:mod:`socalign.data.jspsych`); ``power`` answers how many judgments a study needs, by
resampling pilot data or by simulating SocialWorld's observers
(:mod:`socalign.analyses.planning`).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

from socalign.cli.errors import CliError
from socalign.cli.output import fmt, format_table, join_blocks, section
from socalign.cli.parser import add_command, progress_enabled
from socalign.progress import working

DEFAULT_TRIALS = 231  # SocialWorld's and the paper's trials per participant (catch included)
DEFAULT_BUDGETS = "2000,5000,10000,20000,35000,50000"


def design_command(args: argparse.Namespace) -> dict[str, Any]:
    """Write the schedule of a study of ``--videos`` (or its next adaptive batch) with the budget asked for.

    The ``--json`` object is the schedule's summary (:func:`socalign.data.schedule.
    schedule_summary`) with ``out`` (the folder written) and ``timelines`` (files written); a
    next batch (``--from-judgments``) adds ``design`` (``adaptive``), ``judged_trials`` and
    ``embedding`` (``dim``, ``penalty``, ``chosen_by``).

    Parameters
    ----------
    args : argparse.Namespace
        ``videos`` or ``from_judgments``, ``out``, ``participants``, ``total_trials``,
        ``trials_per_participant``, ``catch``, ``repeat_share``, ``seed``, ``video_prefix``.

    Returns
    -------
    dict
        The object above.
    """
    from socalign.data.jspsych import timelines
    from socalign.data.schedule import plan_schedule, study_videos, write_schedule

    per = args.trials_per_participant
    if per < 1:
        raise CliError(f"--trials-per-participant must be >= 1, got {per}", "--trials-per-participant")
    if args.total_trials is not None:
        if args.total_trials < 1:
            raise CliError(f"--total-trials must be >= 1, got {args.total_trials}", "--total-trials")
        participants = math.ceil(args.total_trials / per)
    else:
        participants = args.participants
    if args.choose_embedding and args.from_judgments is None:
        raise CliError("--choose-embedding chooses the embedding of judgments collected: give it with "
                       "--from-judgments", "--choose-embedding")
    if args.from_judgments is not None:
        videos, schedule = _next_batch(args, participants, per)
    else:
        videos = study_videos(args.videos)
        schedule = plan_schedule(len(videos), participants, per, args.catch, args.repeat_share, args.seed)
    files = timelines(schedule.table, videos, args.video_prefix)
    out = write_schedule(args.out, videos, schedule, files)
    return {"out": str(out), **schedule.to_dict(), "timelines": len(files), "seed": args.seed}


def _next_batch(args: argparse.Namespace, participants: int, per: int) -> tuple[Any, Any]:
    """The study's videos and the adaptive schedule of its next batch (``--from-judgments``)."""
    from socalign.analyses.adaptive import plan_next_batch
    from socalign.data.registry import load_dataset
    from socalign.data.schedule import StudyVideos

    bench = load_dataset(args.from_judgments)
    ids = np.asarray(bench.videos.ids)
    if not np.array_equal(ids, np.arange(len(ids))):
        raise CliError(f"--from-judgments {args.from_judgments}: video ids must be 0..{len(ids) - 1} in "
                       "videos.csv's order, as socalign design writes them (the next batch's schedule "
                       "and timelines use the same ids)", "--from-judgments")
    files = [None if f is None else Path(f).name for f in bench.videos.files]
    videos = StudyVideos(list(bench.videos.names), files)
    kept = bench.kept
    schedule = plan_next_batch(kept.triplets, kept.odd, len(videos), participants, per, args.catch,
                               args.repeat_share, args.seed, choose_embedding=args.choose_embedding)
    return videos, schedule


def design_text(result: dict[str, Any]) -> str:
    """``socalign design`` for people: the budget, the cover, the repeats, the files."""
    kinds = result.get("trials_by_kind") or {}
    per = result.get("showings_per_pair") or {}
    rows = [
        {"what": "videos", "value": result.get("n_videos")},
        {"what": "participants", "value": result.get("participants")},
        {"what": "trials (cover / repeat / catch)",
         "value": f"{result.get('trials')} ({kinds.get('cover')} / {kinds.get('repeat')} / {kinds.get('catch')})"},
        {"what": "pairs covered", "value": f"{result.get('pairs_covered')} of {result.get('pairs')}"},
        {"what": "showings per pair (min / mean / max)",
         "value": f"{per.get('min')} / {fmt(per.get('mean'))} / {per.get('max')}"},
        {"what": "repeated triplets (their showings)",
         "value": f"{result.get('repeated_triplets')} ({result.get('repeat_showings')})"},
        {"what": "OOO ceiling: pair agreement SE at most", "value": fmt(result.get("ooo_agreement_se_max"))},
    ]
    if result.get("design") == "adaptive":
        rows.insert(0, {"what": "design", "value": f"adaptive: chosen from {result.get('judged_trials')} "
                        "judgments collected (new triplets: cover; triplets judged before: repeat)"})
        emb = result.get("embedding") or {}
        rows.insert(1, {"what": "embedding (dimensions, penalty)",
                        "value": f"{emb.get('dim')}, {fmt(emb.get('penalty'))} ({emb.get('chosen_by')})"})
    return join_blocks(f"design: schedule written to {result.get('out')} (seed {result.get('seed')})",
                       format_table(rows),
                       f"{result.get('timelines')} jsPsych timelines under jspsych/ (one per participant); "
                       "schedule.csv + the choices collected = trials.csv of the socalign layout.")


def _budgets(text: str) -> np.ndarray:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        raise CliError(f"--budgets expects comma-separated integers, got {text!r}", "--budgets") from err
    if not values or min(values) < 3:
        raise CliError(f"--budgets needs judgment counts >= 3, got {text!r}", "--budgets")
    return np.array(sorted(set(values)))


def _model_similarity(path: str, n: int, what: str) -> np.ndarray:
    from socalign.metrics.similarity import similarity_from_embeddings

    p = Path(path)
    if not p.is_file():
        raise CliError(f"{what} {path}: no such embeddings file (.npy, one row per video)", what)
    x = np.load(p)
    if x.ndim != 2 or x.shape[0] != n:
        raise CliError(f"{what} {path}: expected ({n}, D) embeddings (one row per video), got {x.shape}", what)
    return similarity_from_embeddings(x)


def power_command(args: argparse.Namespace) -> dict[str, Any]:
    """How many judgments tell two models apart with 80% power, and estimate the R² ceiling.

    The ``--json`` object: ``source`` (``pilot`` or ``socialworld``), ``models`` (what is
    compared), ``power`` and ``ceiling`` (each :meth:`socalign.analyses.planning.PowerCurve.
    to_dict`: ``question``, ``needed_judgments``, ``curve``), ``plot`` (the figure written).

    Parameters
    ----------
    args : argparse.Namespace
        ``pilot``, ``model_a``, ``model_b``, ``metric``, ``question``, ``budgets``,
        ``n_studies``, ``half_width``, ``seed``, ``world_seed``, ``world_videos``, ``noise``,
        ``plot``.

    Returns
    -------
    dict
        The object above.
    """
    from socalign.analyses.planning import ceiling_curve, observer_world, power_curve
    from socalign.metrics.resampling import as_rng
    from socalign.metrics.similarity import similarity_from_embeddings

    budgets = _budgets(args.budgets)
    if args.n_studies < 2:
        raise CliError(f"--n-studies must be >= 2, got {args.n_studies}", "--n-studies")
    rng = as_rng(args.seed)
    pilot = world = None
    if args.pilot is not None:
        from socalign.data import load_dataset

        bench = load_dataset(args.pilot)
        tr = bench.trials
        if len(tr) == 0:
            raise CliError(f"--pilot {args.pilot}: no odd-one-out trials to resample", "--pilot")
        pilot = (tr.triplets, tr.odd, tr.participants)
        n = len(bench.videos.ids)
        source = "pilot"
    else:
        world = observer_world(args.world_seed, args.world_videos)
        n = world.n_items
        source = "socialworld"
    if (args.model_a is None) != (args.model_b is None):
        raise CliError("give both --model-a and --model-b (or neither, on SocialWorld)", "--model-a")
    if args.model_a is not None:
        a = _model_similarity(args.model_a, n, "--model-a")
        b = _model_similarity(args.model_b, n, "--model-b")
        models = {"a": args.model_a, "b": args.model_b}
    elif world is not None:
        oracle = world.features * np.sqrt(world.weights)
        a = similarity_from_embeddings(oracle)
        b = similarity_from_embeddings(oracle + args.noise * rng.standard_normal(oracle.shape))
        models = {"a": "the mean observer's features (oracle)",
                  "b": f"the oracle plus Gaussian noise of sd {args.noise}"}
    else:
        raise CliError("--pilot needs --model-a and --model-b (embeddings .npy files)", "--model-a")
    show = progress_enabled(args)
    out: dict[str, Any] = {"source": source, "models": models, "seed": args.seed}
    if args.question in ("models", "both"):
        with working("power: simulating studies", show):
            out["power"] = power_curve(a, b, budgets, args.metric, source, pilot, world, args.n_studies,
                                       rng=rng).to_dict()
    if args.question in ("ceiling", "both"):
        with working("power: simulating the ceiling", show):
            out["ceiling"] = ceiling_curve(n, budgets, args.half_width, source, pilot, world,
                                           args.n_studies, rng=rng).to_dict()
    if args.plot is not None:
        from socalign.analyses.planning import power_figure_file

        out["plot"] = str(power_figure_file(out, args.plot))
    return out


def power_text(result: dict[str, Any]) -> str:
    """``socalign power`` for people: each question's answer and its curve."""
    blocks = [f"power: {result.get('source')} (seed {result.get('seed')}); models a = "
              f"{(result.get('models') or {}).get('a')}, b = {(result.get('models') or {}).get('b')}"]
    for key in ("power", "ceiling"):
        r = result.get(key)
        if not r:
            continue
        needed = r.get("needed_judgments")
        answer = f"{needed} judgments" if needed is not None else "not reached on the grid (try larger --budgets)"
        blocks.append(section(f"{r.get('question')}: {answer}", format_table(r.get("curve") or [])))
    if result.get("plot"):
        blocks.append(f"figure: {result['plot']}")
    return join_blocks(*blocks)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``design`` and ``power``."""
    p = add_command(
        sub, "design", design_command,
        "write a study's trial schedule: pair-covering triplets, repeated triplets for the OOO "
        "ceiling, catch trials per participant, one jsPsych timeline per participant, a summary",
        human=design_text,
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--videos",
                   help="the study's videos: a folder of video files, a CSV with a 'file' or 'name' "
                   "column, or a count of videos (or give --from-judgments)")
    source.add_argument("--from-judgments", metavar="DATASET",
                   help="continue an adaptive study: the judgments collected so far (a benchmark folder in "
                   "the socalign layout whose video ids are the schedule's); the next batch's new "
                   "triplets are those an ordinal embedding of these judgments is least sure about "
                   "(socalign.analyses.adaptive), the rest repeats triplets judged once")
    p.add_argument("--choose-embedding", action="store_true",
                   help="with --from-judgments: choose the ordinal embedding's dimensions and penalty by the "
                   "cross-validated likelihood of the judgments collected (default: those chosen on "
                   "SocialWorld's 250 videos)")
    p.add_argument("--out", required=True, help="the schedule folder to write (new or empty)")
    budget = p.add_mutually_exclusive_group(required=True)
    budget.add_argument("--participants", type=int, help="the budget as participants (or give --total-trials)")
    budget.add_argument("--total-trials", type=int,
                   help="total trials, catch included (participants = this / --trials-per-participant, "
                   "rounded up)")
    p.add_argument("--trials-per-participant", type=int, default=DEFAULT_TRIALS,
                   help="trials per participant, catch trials included")
    p.add_argument("--catch", type=int, default=2, help="catch trials per participant (a video shown twice)")
    p.add_argument("--repeat-share", type=float, default=0.3,
                   help="share of the regular trials spent on repeated triplets (for the OOO ceiling)")
    p.add_argument("--video-prefix", default="videos/", help="prefix of every video's path in the timelines")
    p.add_argument("--seed", type=int, default=0, help="seed of the cover, repeats, catch trials and order")

    q = add_command(
        sub, "power", power_command,
        "how many judgments: power to tell two models apart (R² or OOO accuracy) and the R² "
        "ceiling's precision, by resampling a pilot benchmark or simulating SocialWorld observers",
        human=power_text,
    )
    q.add_argument("--pilot", help="a pilot benchmark (folder or dataset name) to resample (default: "
                   "none: SocialWorld's simulated observers judge random triplets)")
    q.add_argument("--model-a", help="embeddings .npy (one row per video) of the first model (default: "
                   "none: on SocialWorld, the oracle)")
    q.add_argument("--model-b", help="embeddings .npy of the second model (default: none: on SocialWorld, "
                   "the oracle plus noise of sd --noise)")
    q.add_argument("--metric", choices=("r2", "ooo"), default="r2", help="the difference to detect")
    q.add_argument("--question", choices=("models", "ceiling", "both"), default="both",
                   help="models: power to tell the models apart; ceiling: precision of the R² ceiling")
    q.add_argument("--budgets", default=DEFAULT_BUDGETS, help="comma-separated numbers of judgments to simulate")
    q.add_argument("--n-studies", type=int, default=100, help="simulated studies per budget")
    q.add_argument("--half-width", type=float, default=0.05, help="the R² ceiling's precision aimed for")
    q.add_argument("--noise", type=float, default=1.0,
                   help="SocialWorld without models: sd of the noise added to the oracle to make model b")
    q.add_argument("--world-seed", type=int, default=0, help="SocialWorld's seed (without --pilot)")
    q.add_argument("--world-videos", type=int, default=250, help="SocialWorld's number of videos (without --pilot)")
    q.add_argument("--plot", help="write the power and ceiling curves to this image file (.png, .svg; "
                   "default: no figure)")
    q.add_argument("--seed", type=int, default=0, help="seed of the simulated studies")
