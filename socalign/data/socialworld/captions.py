"""Captions as people write them: varied templates and synonyms, mostly about what the agents do.

Each video gets several captions (lower case, no punctuation, as in the paper's captions). A
caption names the action (sometimes a confusable one, or only vaguely), often adds the manner
(fast/slow, close/far, friendly/hostile, warm/cold, in charge, talking, facing: :data:`MANNER`)
read from the ratings, and now and then mentions a nuisance detail (the background, the agents'
look, the distractor). The rates are set so that caption embeddings carry about as much of
the judgments as people's captions do on the paper's data (MiniLM near 20-30% of the R²
ceiling; SocialWorld's calibration measures it).
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


def _agent(app: Appearance, i: int, rng: np.random.Generator, p_person: float) -> str:
    """How a caption refers to agent ``i``: as a person (``p_person``), else by colour and shape
    or by shape alone (half each)."""
    r = rng.random()
    shape = str(rng.choice(SHAPE_WORDS[app.shapes[i]]))
    if r < p_person:
        return str(rng.choice(PEOPLE))
    if r < p_person + (1 - p_person) / 2:
        return f"the {app.colours[i]} {shape}"
    return f"a {shape}"


# Manner phrases people add, read from the ratings: (attribute, below, phrases, above, phrases).
MANNER: tuple[tuple[str, float, tuple[str, ...], float, tuple[str, ...]], ...] = (
    ("arousal", 0.3, ("slowly", "calmly"), 0.7, ("quickly", "energetically", "very fast")),
    ("agent_distance", 0.25, ("close together", "side by side"), 0.55, ("far apart", "at a distance")),
    ("valence", 0.3, ("aggressively", "angrily"), 0.75, ("happily", "in a friendly way")),
    ("intimacy", 0.25, ("coldly", "like strangers"), 0.6, ("warmly", "like close friends")),
    ("dominance", 0.3, ("as equals",), 0.7, ("one bossing the other around", "one in charge")),
    ("communication", 0.3, ("without a word", "silently"), 0.6, ("talking back and forth", "taking turns")),
    ("joint_action", 0.3, ("each on their own",), 0.6, ("as a team", "in step")),
    ("facingness", 0.35, ("turned away from each other",), 0.75, ("facing each other", "face to face")),
)


def _manner(ratings: Mapping[str, float], rng: np.random.Generator, p_manner: float) -> str:
    """Manner phrases from the ratings: each applicable one (see :data:`MANNER`) is added with
    probability ``p_manner``, at most two, in random order."""
    options: list[str] = []
    for attribute, low, low_words, high, high_words in MANNER:
        value = ratings[attribute]
        words = low_words if value < low else high_words if value > high else ()
        if words and rng.random() < p_manner:
            options.append(str(rng.choice(words)))
    if not options:
        return ""
    picked = rng.permutation(len(options))[:2]
    return "".join(" " + options[k] for k in sorted(picked))


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
    n_captions: int = 8,
    p_confuse: float = 0.08,
    p_vague: float = 0.05,
    p_nuisance: float = 0.15,
    p_person: float = 0.8,
    p_manner: float = 0.4,
) -> list[str]:
    """``n_captions`` distinct-as-possible captions of one video.

    Parameters
    ----------
    interaction : str
        The video's interaction type (a key of :data:`ACTIONS`).
    ratings : mapping of str to float
        The video's social attribute ratings, for the manner phrases.
    app : socalign.data.socialworld.render.Appearance
        The video's look (agent shapes and colours, background, distractor).
    rng : numpy.random.Generator
        Draws every choice of wording.
    n_captions : int, default 8
        Number of captions.
    p_confuse : float, default 0.08
        Probability that a confusable action is named instead.
    p_vague : float, default 0.05
        Probability of a caption that names no action.
    p_nuisance : float, default 0.15
        Probability that a detail of the look is added.
    p_person : float, default 0.8
        Probability that an agent is called a person (else by its shape).
    p_manner : float, default 0.4
        Probability that a manner phrase from the ratings is added when one applies.

    Returns
    -------
    list of str
        The captions, in lower case.
    """
    if interaction not in ACTIONS:
        raise ValueError(f"unknown interaction {interaction!r}; choose from {list(ACTIONS)}")
    captions: list[str] = []
    for _ in range(n_captions):
        a, b = _agent(app, 0, rng, p_person), _agent(app, 1, rng, p_person)
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
            text = str(rng.choice(ACTIONS[kind])).format(a=a, b=b) + _manner(ratings, rng, p_manner)
        if rng.random() < p_nuisance:
            text += _nuisance(app, rng)
        captions.append(text.lower())
    return captions
