"""Captions as people write them: varied templates and synonyms, mostly about what the agents do.

Each video gets several captions (lower case, no punctuation, as in the paper's captions). A
caption names the action (sometimes a confusable one, or only vaguely), often adds the manner
(fast/slow, close/far, friendly/hostile) read from the ratings, and now and then mentions a
nuisance detail (the background, the agents' look, the distractor).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from socalign.data.socialworld.render import Appearance

ACTIONS: dict[str, tuple[str, ...]] = {
    "chase": ("{a} chases {b}", "{a} runs after {b}", "{a} is pursuing {b}", "{b} is being chased by {a}"),
    "flee": ("{b} runs away from {a}", "{b} flees from {a}", "{b} escapes from {a}", "{a} scares {b} away"),
    "approach_meet": (
        "{a} and {b} walk towards each other and meet", "{a} and {b} come together",
        "{a} goes to meet {b}", "{a} and {b} approach each other",
    ),
    "fight": ("{a} and {b} are fighting", "{a} attacks {b}", "{a} and {b} hit each other", "{a} and {b} get into a fight"),
    "play": ("{a} and {b} are playing", "{a} and {b} play around together", "{a} and {b} run around playfully", "{a} plays tag with {b}"),
    "converse": ("{a} and {b} are talking", "{a} and {b} have a conversation", "{a} talks to {b}", "{a} and {b} chat with each other"),
    "follow": ("{a} follows {b}", "{a} walks behind {b}", "{b} leads and {a} follows", "{a} trails after {b}"),
    "help": ("{a} helps {b}", "{a} helps {b} move along", "{a} gives {b} a push", "{a} assists {b}"),
    "hinder": ("{a} blocks {b}", "{a} gets in the way of {b}", "{a} stops {b} from going on", "{a} pushes {b} back"),
    "ignore": ("{a} and {b} ignore each other", "{a} and {b} do their own thing", "{a} and {b} are not interacting", "{a} and {b} keep to themselves"),
    "mirror": ("{a} and {b} are dancing", "{a} and {b} dance together", "{a} and {b} move in sync", "{a} mirrors {b}"),
}
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "chase": ("follow", "flee"),
    "flee": ("chase",),
    "approach_meet": ("converse", "follow"),
    "fight": ("play", "hinder"),
    "play": ("fight", "mirror"),
    "converse": ("approach_meet",),
    "follow": ("chase", "help"),
    "help": ("follow", "hinder"),
    "hinder": ("fight", "help"),
    "ignore": ("converse",),
    "mirror": ("play",),
}
VAGUE = ("two {things} move around", "{a} and {b} are doing something together", "there are two {things} on the screen")
PEOPLE = ("a person", "someone", "one person", "a man", "a woman", "a kid")
SHAPE_WORDS = {"circle": ("circle", "ball", "dot"), "square": ("square", "box", "block"),
               "triangle": ("triangle",), "diamond": ("diamond",)}


def _agent(app: Appearance, i: int, rng: np.random.Generator) -> str:
    """How a caption refers to agent ``i``: by colour and shape, by shape, or as a person."""
    r = rng.random()
    shape = str(rng.choice(SHAPE_WORDS[app.shapes[i]]))
    if r < 0.25:
        return f"the {app.colours[i]} {shape}"
    if r < 0.5:
        return f"a {shape}"
    return str(rng.choice(PEOPLE))


def _manner(ratings: Mapping[str, float], rng: np.random.Generator) -> str:
    """An adverbial phrase from the ratings (empty about half the time)."""
    options: list[str] = []
    if ratings["arousal"] > 0.7:
        options += ["quickly", "energetically", "very fast"]
    elif ratings["arousal"] < 0.3:
        options += ["slowly", "calmly"]
    if ratings["agent_distance"] < 0.25:
        options += ["close together", "side by side"]
    elif ratings["agent_distance"] > 0.55:
        options += ["far apart", "at a distance"]
    if ratings["valence"] > 0.75:
        options += ["happily", "in a friendly way"]
    elif ratings["valence"] < 0.3:
        options += ["aggressively", "angrily"]
    if not options or rng.random() < 0.45:
        return ""
    return " " + str(rng.choice(options))


def _nuisance(app: Appearance, rng: np.random.Generator) -> str:
    """A detail about the look of the scene (added to some captions only)."""
    choice = rng.integers(0, 3)
    if choice == 0:
        texture = "" if app.texture == "plain" else f"{app.texture} "
        return f" on a {texture}{app.background} background"
    if choice == 1:
        return f" next to a {app.colours[2]} {app.shapes[2]}"
    return f" in a {app.background} room"


def make_captions(
    interaction: str,
    ratings: Mapping[str, float],
    app: Appearance,
    rng: np.random.Generator,
    n_captions: int = 5,
    p_confuse: float = 0.12,
    p_vague: float = 0.05,
    p_nuisance: float = 0.25,
) -> list[str]:
    """``n_captions`` distinct-as-possible captions of one video."""
    if interaction not in ACTIONS:
        raise ValueError(f"unknown interaction {interaction!r}; choose from {list(ACTIONS)}")
    captions: list[str] = []
    for _ in range(n_captions):
        a, b = _agent(app, 0, rng), _agent(app, 1, rng)
        if a == b:
            a, b = "one " + a.split(" ", 1)[-1], "the other"
        r = rng.random()
        if r < p_vague:
            things = str(rng.choice(["shapes", "things", "people"]))
            text = str(rng.choice(VAGUE)).format(a=a, b=b, things=things)
        else:
            kind = interaction
            if r < p_vague + p_confuse:
                kind = str(rng.choice(CONFUSABLE[interaction]))
            text = str(rng.choice(ACTIONS[kind])).format(a=a, b=b) + _manner(ratings, rng)
        if rng.random() < p_nuisance:
            text += _nuisance(app, rng)
        captions.append(text.lower())
    return captions
