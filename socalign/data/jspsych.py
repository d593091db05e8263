"""jsPsych timelines of a schedule: one JSON file per participant.

Each file is one object, ``{"format": "socalign-jspsych/1", "participant": ..., "timeline":
[...]}``; every timeline entry is a plain jsPsych trial object whose ``plugin`` names the
jsPsych 7 plugin by its package name (JSON cannot hold the plugin class itself)::

    {"plugin": "html-button-response",
     "stimulus": "<p>Which video is the odd one out?</p>",
     "choices": ["<video src='videos/a.mp4' ...>", ...three videos...],
     "data": {"trial": 0, "kind": "cover", "video_1": 12, "video_2": 7, "video_3": 140}}

A page loads it with ``fetch`` and maps the plugin name to its class before ``jsPsych.run``::

    const plugins = {"html-button-response": jsPsychHtmlButtonResponse};
    const spec = await (await fetch("jspsych/participant_0.json")).json();
    jsPsych.run(spec.timeline.map(t => ({...t, type: plugins[t.plugin]})));

The button index a participant presses (``response``, 0..2) is the position of the odd one
out: the chosen video id is ``data["video_" + (response + 1)]``, which is ``trials.csv``'s
``choice`` (:mod:`socalign.data.layout`).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from socalign.data.schedule import StudyVideos

FORMAT = "socalign-jspsych/1"
PLUGIN = "html-button-response"
PROMPT = "<p>Which video is the odd one out?</p>"


def video_html(src: str) -> str:
    """An autoplaying, looping, muted ``<video>`` element for one button (HTML-escaped source)."""
    return (f"<video src=\"{html.escape(src, quote=True)}\" autoplay loop muted playsinline "
            "width=\"240\"></video>")


def participant_timeline(rows: pd.DataFrame, videos: StudyVideos, prefix: str = "videos/") -> dict[str, Any]:
    """One participant's jsPsych timeline (see the module docstring).

    Parameters
    ----------
    rows : pandas.DataFrame
        The participant's ``schedule.csv`` rows, in trial order.
    videos : StudyVideos
        The study's videos (their ``file``, else their ``name``, is the source).
    prefix : str, default "videos/"
        Prepended to every video's file (the folder the page serves them from).

    Returns
    -------
    dict
        ``format``, ``participant`` and ``timeline``.
    """
    src = [prefix + (f if f else f"{n}.mp4") for n, f in zip(videos.names, videos.files, strict=True)]
    timeline = []
    for r in rows.sort_values("trial").itertuples(index=False):
        ids = [int(r.video_1), int(r.video_2), int(r.video_3)]
        timeline.append({
            "plugin": PLUGIN,
            "stimulus": PROMPT,
            "choices": [video_html(src[i]) for i in ids],
            "data": {"trial": int(r.trial), "kind": str(r.kind), "video_1": ids[0], "video_2": ids[1],
                     "video_3": ids[2]},
        })
    codes = rows["participant"].unique()
    return {"format": FORMAT, "participant": int(codes[0]) if len(codes) else None, "timeline": timeline}


def timelines(table: pd.DataFrame, videos: StudyVideos, prefix: str = "videos/") -> dict[str, dict[str, Any]]:
    """Every participant's timeline, keyed by file name ``participant_<code>.json``.

    Parameters
    ----------
    table : pandas.DataFrame
        ``schedule.csv``'s rows.
    videos : StudyVideos
        The study's videos.
    prefix : str, default "videos/"
        As in :func:`participant_timeline`.

    Returns
    -------
    dict
        File name -> timeline object.
    """
    width = len(str(int(table["participant"].max()))) if len(table) else 1
    return {f"participant_{int(p):0{width}d}.json": participant_timeline(rows, videos, prefix)
            for p, rows in table.groupby("participant", sort=True)}


def choices_from_responses(timeline: dict[str, Any], responses: list[int]) -> list[int]:
    """The chosen video id of each trial from the pressed buttons (``trials.csv``'s ``choice``).

    Parameters
    ----------
    timeline : dict
        One participant's timeline object.
    responses : list of int
        The button index (0..2) pressed on each trial, in timeline order.

    Returns
    -------
    list of int
        Video ids.

    Raises
    ------
    ValueError
        A count mismatch or a response outside 0..2, naming the trial.
    """
    entries = timeline["timeline"]
    if len(responses) != len(entries):
        raise ValueError(f"{len(responses)} responses for {len(entries)} trials")
    out = []
    for k, (entry, r) in enumerate(zip(entries, responses, strict=True)):
        if r not in (0, 1, 2):
            raise ValueError(f"trial {k}: response {r!r} is not a button 0..2")
        out.append(int(entry["data"][f"video_{r + 1}"]))
    return out
