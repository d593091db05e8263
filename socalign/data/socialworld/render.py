"""Appearance (the nuisance factors), frame rendering in numpy, the clips' frame rate (they are
written by :func:`socalign.video.write_video`) and reading them back through PyAV.

Nuisance factors are drawn independently of the social content: background colour and texture,
the agents' shapes, colours and sizes, a distractor object, brightness (and, in ``scenes``, the
scene's position and rotation). They dominate the pixel statistics, as scene and background do in
real videos. Each agent carries a small "eye" dot on the side it faces, so facing is visible.

Looks (:data:`LOOKS`): ``"socialworld"``, the look above, every SocialWorld benchmark's and the
toy backbone's pretraining clips'; and ``"phase"``, a held-out look never used in training, drawn
after socalign's PHASE renderer (:mod:`socalign.data.phase.render`, whose colours and sizes it
takes): a white room with black outer walls, PHASE's four translucent landmark squares in the
corners (their colours in a random order per video), the two agents as plain circles in PHASE's
red and green (randomly swapped) without the eye dot, the distractor as one of PHASE's object
colours (light blue or pink), no texture, no brightness change. The agents keep SocialWorld's
radii (PHASE's, about 0.05 of the room, would be under 2 pixels at the toy's 32), and no inner
walls are drawn (SocialWorld's agents do not avoid walls). It is what the labelled transfer set
(:mod:`socalign.data.socialworld.transfer`) is drawn in.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from socalign.data.phase.render import GREEN as PHASE_GREEN
from socalign.data.phase.render import (
    LANDMARK_HALF,
    LIGHT_BLUE,
    MARGIN,
    PINK,
    ROOM,
    WALL_WIDTH,
    landmark_colours,
)
from socalign.data.phase.render import RED as PHASE_RED
from socalign.data.socialworld.scenes import DURATION

PALETTE: dict[str, tuple[float, float, float]] = {
    "red": (0.85, 0.15, 0.15),
    "orange": (0.95, 0.55, 0.1),
    "yellow": (0.95, 0.9, 0.2),
    "green": (0.2, 0.7, 0.25),
    "teal": (0.1, 0.6, 0.6),
    "blue": (0.15, 0.3, 0.85),
    "purple": (0.55, 0.2, 0.75),
    "pink": (0.95, 0.5, 0.7),
    "white": (0.95, 0.95, 0.95),
    "black": (0.08, 0.08, 0.08),
    "grey": (0.5, 0.5, 0.5),
    "brown": (0.5, 0.3, 0.15),
}
COLOUR_NAMES: tuple[str, ...] = tuple(PALETTE)
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond")
TEXTURES: tuple[str, ...] = ("plain", "striped", "checkered", "mottled", "shaded")
OBJECTS: tuple[str, ...] = ("agent_a", "agent_b", "distractor")
BOX_EXTENT = 1.25  # half-width of an object's box, in units of its radius (covers every shape)
# Agents' radii in arena units: 4-5.5 px at 64 px, 2-3 px at the toy's 32 px (the distractor is
# smaller). Large enough for a small video model to see them; the backgrounds still dominate.
AGENT_RADIUS = (0.06, 0.085)
DISTRACTOR_RADIUS = (0.03, 0.06)
DEFAULT_LOOK = "socialworld"
#: The looks a video can be drawn in (see the module docstring); the first is SocialWorld's own.
LOOKS: tuple[str, ...] = (DEFAULT_LOOK, "phase")
#: The phase look's entity colours by name (PHASE's, as :mod:`socalign.data.phase.render` has them).
PHASE_COLOURS: dict[str, tuple[float, float, float]] = {
    name: (rgb[0] / 255, rgb[1] / 255, rgb[2] / 255)
    for name, rgb in (("red", PHASE_RED), ("green", PHASE_GREEN), ("light_blue", LIGHT_BLUE),
                      ("pink", PINK))
}


@dataclass(frozen=True)
class Appearance:
    """The nuisance factors of one video (colours are RGB in [0, 1]; sizes are arena radii)."""

    background: str
    background_rgb: tuple[float, float, float]
    texture: str
    texture_params: tuple[float, float, float]  # frequency, angle, contrast
    brightness: float
    shapes: tuple[str, str, str]  # agent_a, agent_b, distractor
    colours: tuple[str, str, str]
    colours_rgb: tuple[tuple[float, float, float], ...]
    sizes: tuple[float, float, float]
    distractor_start: tuple[float, float]
    distractor_velocity: tuple[float, float]
    texture_seed: int
    look: str = DEFAULT_LOOK  # one of LOOKS; "phase" also orders its landmarks by texture_seed

    def to_row(self) -> dict[str, object]:
        """Flat ``nuisance_*`` columns for the videos table."""
        row: dict[str, object] = {
            "nuisance_background": self.background,
            "nuisance_texture": self.texture,
            "nuisance_brightness": round(self.brightness, 4),
        }
        for c, v in zip("rgb", self.background_rgb, strict=True):
            row[f"nuisance_background_{c}"] = round(v, 4)
        for name, shape, colour, size in zip(OBJECTS, self.shapes, self.colours, self.sizes, strict=True):
            row[f"nuisance_{name}_shape"] = shape
            row[f"nuisance_{name}_colour"] = colour
            row[f"nuisance_{name}_size"] = round(size, 4)
        return row


def _jitter(rgb: tuple[float, float, float], rng: np.random.Generator, amount: float) -> tuple[float, float, float]:
    out = np.clip(np.asarray(rgb) + rng.uniform(-amount, amount, 3), 0.0, 1.0)
    return (float(out[0]), float(out[1]), float(out[2]))


def check_look(look: str) -> str:
    """``look`` when it is one of :data:`LOOKS`.

    Parameters
    ----------
    look : str
        A look's name.

    Returns
    -------
    str
        ``look``.

    Raises
    ------
    ValueError
        Naming ``--look`` and the looks there are.
    """
    if look not in LOOKS:
        raise ValueError(f"--look must be one of {list(LOOKS)}, got {look!r}")
    return look


def sample_appearance(rng: np.random.Generator, look: str = DEFAULT_LOOK) -> Appearance:
    """Draw the nuisance factors of one video, independently of its social content.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws every factor.
    look : str, default "socialworld"
        One of :data:`LOOKS` (the default look draws exactly as it always has).

    Returns
    -------
    Appearance
        The video's nuisance factors, in that look.
    """
    if check_look(look) == "phase":
        return _phase_appearance(rng)
    background = str(rng.choice(COLOUR_NAMES))
    others = [c for c in COLOUR_NAMES if c != background]
    colours = tuple(str(c) for c in rng.choice(others, size=3, replace=True))
    shapes = tuple(str(s) for s in rng.choice(SHAPES, size=3, replace=True))
    bg_rgb = _jitter(PALETTE[background], rng, 0.12)
    return Appearance(
        background=background,
        background_rgb=bg_rgb,
        texture=str(rng.choice(TEXTURES)),
        texture_params=(float(rng.uniform(2, 6)), float(rng.uniform(0, np.pi)), float(rng.uniform(0.1, 0.35))),
        brightness=float(rng.uniform(0.7, 1.2)),
        shapes=(shapes[0], shapes[1], shapes[2]),
        colours=(colours[0], colours[1], colours[2]),
        colours_rgb=tuple(_jitter(PALETTE[c], rng, 0.08) for c in colours),
        sizes=(float(rng.uniform(*AGENT_RADIUS)), float(rng.uniform(*AGENT_RADIUS)),
               float(rng.uniform(*DISTRACTOR_RADIUS))),
        distractor_start=(float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.15, 0.85))),
        distractor_velocity=tuple(float(v) for v in rng.uniform(-0.05, 0.05, 2) * rng.integers(0, 2)),  # type: ignore[arg-type]
        texture_seed=int(rng.integers(0, 2**31 - 1)),
    )


def _phase_appearance(rng: np.random.Generator) -> Appearance:
    """The phase look: PHASE's white room, red and green circles, a light blue or pink object."""
    agents = ("red", "green") if rng.integers(2) == 0 else ("green", "red")
    colours = (*agents, "light_blue" if rng.integers(2) == 0 else "pink")
    return Appearance(
        background="white",
        background_rgb=(1.0, 1.0, 1.0),
        texture="plain",
        texture_params=(0.0, 0.0, 0.0),
        brightness=1.0,
        shapes=("circle", "circle", "circle"),
        colours=colours,  # type: ignore[arg-type]
        colours_rgb=tuple(PHASE_COLOURS[c] for c in colours),
        sizes=(float(rng.uniform(*AGENT_RADIUS)), float(rng.uniform(*AGENT_RADIUS)),
               float(rng.uniform(*DISTRACTOR_RADIUS))),
        distractor_start=(float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.15, 0.85))),
        distractor_velocity=tuple(float(v) for v in rng.uniform(-0.05, 0.05, 2) * rng.integers(0, 2)),  # type: ignore[arg-type]
        texture_seed=int(rng.integers(0, 2**31 - 1)),
        look="phase",
    )


def phase_room(app: Appearance, size: int) -> np.ndarray:
    """The phase look's still layer (size, size, 3) in [0, 1]: PHASE's room in the arena's frame.

    The arena's unit square is PHASE's frame (its room and :data:`~socalign.data.phase.render.
    MARGIN`), so the outer walls and the landmarks sit where PHASE's renderer puts them; the
    landmarks' colours are permuted by ``app.texture_seed``.

    Parameters
    ----------
    app : Appearance
        A phase-look appearance.
    size : int
        The side of the square frame in pixels.

    Returns
    -------
    numpy.ndarray
        (size, size, 3) float RGB in [0, 1].
    """
    x0, x1, y0, y1 = ROOM
    span = x1 - x0 + 2 * MARGIN

    def arena(value: float, low: float) -> float:
        return (value - (low - MARGIN)) / span

    coords = (np.arange(size) + 0.5) / size
    y, x = np.meshgrid(coords, coords, indexing="ij")
    img = np.ones((size, size, 3))
    colours = np.asarray(landmark_colours(), dtype=float) / 255
    order = np.random.default_rng(app.texture_seed).permutation(len(colours))
    half = LANDMARK_HALF / span
    inset = LANDMARK_HALF / span  # PHASE's landmarks fill the room's corners (centres 2.5 in)
    lo_x, hi_x, lo_y, hi_y = arena(x0, x0), arena(x1, x0), arena(y0, y0), arena(y1, y0)
    centres = [(lo_x + inset, lo_y + inset), (hi_x - inset, lo_y + inset),
               (hi_x - inset, hi_y - inset), (lo_x + inset, hi_y - inset)]
    for (cx, cy), colour in zip(centres, colours[order], strict=True):
        img[(np.abs(x - cx) <= half) & (np.abs(y - cy) <= half)] = colour
    wall = max(WALL_WIDTH / span / 2, 0.5 / size)  # at least one pixel wide
    inside = (x >= lo_x - wall) & (x <= hi_x + wall) & (y >= lo_y - wall) & (y <= hi_y + wall)
    interior = (x > lo_x + wall) & (x < hi_x - wall) & (y > lo_y + wall) & (y < hi_y - wall)
    img[inside & ~interior] = 0.0
    return img


def reflect_into_arena(raw: np.ndarray, lo: float = 0.08, hi: float = 0.92) -> np.ndarray:
    """Fold coordinates into [lo, hi] as if bouncing off the walls.

    Parameters
    ----------
    raw : numpy.ndarray
        Coordinates in arena units, of any shape.
    lo : float, default 0.08
        The lower wall.
    hi : float, default 0.92
        The upper wall.

    Returns
    -------
    numpy.ndarray
        The folded coordinates, of the shape of ``raw``.
    """
    span = hi - lo
    folded = np.mod(raw - lo, 2 * span)
    return lo + np.where(folded > span, 2 * span - folded, folded)


def distractor_path(app: Appearance, times: np.ndarray) -> np.ndarray:
    """Distractor centre (T, 2) at ``times``: still, or drifting slowly (bouncing off the walls).

    Parameters
    ----------
    app : Appearance
        The video's nuisance factors (the distractor's start and velocity).
    times : numpy.ndarray
        (T,) frame times in seconds.

    Returns
    -------
    numpy.ndarray
        (T, 2) centres in arena coordinates.
    """
    return reflect_into_arena(np.asarray(app.distractor_start) + np.outer(times, app.distractor_velocity))


def background_image(app: Appearance, size: int) -> np.ndarray:
    """The (size, size, 3) background in [0, 1]: colour times a texture pattern (the phase
    look: :func:`phase_room`).

    Parameters
    ----------
    app : Appearance
        The video's nuisance factors (background colour, texture and its parameters).
    size : int
        The side of the square frame in pixels.

    Returns
    -------
    numpy.ndarray
        (size, size, 3) float RGB in [0, 1].
    """
    if app.look == "phase":
        return phase_room(app, size)
    coords = (np.arange(size) + 0.5) / size
    y, x = np.meshgrid(coords, coords, indexing="ij")
    freq, angle, contrast = app.texture_params
    if app.texture == "plain":
        pattern = np.zeros_like(x)
    elif app.texture == "striped":
        pattern = np.sign(np.sin(2 * np.pi * freq * (x * np.cos(angle) + y * np.sin(angle))))
    elif app.texture == "checkered":
        pattern = np.sign(np.sin(2 * np.pi * freq * x) * np.sin(2 * np.pi * freq * y))
    elif app.texture == "mottled":
        cells = np.random.default_rng(app.texture_seed).uniform(-1, 1, (8, 8))
        idx = np.minimum((np.arange(size) * 8) // size, 7)
        pattern = cells[np.ix_(idx, idx)]
    elif app.texture == "shaded":
        pattern = 2 * (x * np.cos(angle) + y * np.sin(angle)) - 1
    else:
        raise ValueError(f"unknown texture {app.texture!r}; choose from {list(TEXTURES)}")
    texture = 1.0 + contrast * pattern
    return np.clip(np.asarray(app.background_rgb)[None, None, :] * texture[..., None], 0.0, 1.0)


def _coverage(
    shape: str, centre: np.ndarray, heading: np.ndarray, radius: float, grid: np.ndarray, size: int
) -> np.ndarray:
    """Anti-aliased coverage (T, S, S) in [0, 1] of a shape at ``centre`` (T, 2) facing ``heading``."""
    dx = grid[1][None] - centre[:, 0, None, None]
    dy = grid[0][None] - centre[:, 1, None, None]
    c, s = np.cos(heading)[:, None, None], np.sin(heading)[:, None, None]
    u, v = dx * c + dy * s, -dx * s + dy * c
    if shape == "circle":
        metric = np.hypot(u, v)
    elif shape == "square":
        metric = np.maximum(np.abs(u), np.abs(v)) / 0.85
    elif shape == "diamond":
        metric = (np.abs(u) + np.abs(v)) / 1.2
    elif shape == "triangle":  # pointing along the heading
        half = np.sqrt(3) / 2
        metric = 1.6 * np.maximum(np.maximum(-u, 0.5 * u + half * v), 0.5 * u - half * v)
    else:
        raise ValueError(f"unknown shape {shape!r}; choose from {list(SHAPES)}")
    return np.clip((radius - metric) * size + 0.5, 0.0, 1.0)


def _draw(
    img: np.ndarray, shape: str, centre: np.ndarray, heading: np.ndarray, radius: float,
    colour: np.ndarray, size: int,
) -> None:
    """Blend a shape into ``img`` (T, S, S, 3) in place, frame by frame, inside its box only.

    Hand-written crop: the shape covers at most 1.25 radii (+ half a pixel of anti-aliasing)
    around its centre, so computing the coverage in that window gives the same pixels as the
    whole frame at a fraction of the cost.
    """
    half = BOX_EXTENT * radius * size + 1.0
    coords = (np.arange(size) + 0.5) / size
    for t in range(len(img)):
        cx, cy = centre[t] * size
        x0, x1 = max(0, int(np.floor(cx - half))), min(size, int(np.ceil(cx + half)))
        y0, y1 = max(0, int(np.floor(cy - half))), min(size, int(np.ceil(cy + half)))
        if x0 >= x1 or y0 >= y1:
            continue
        grid = np.stack(np.meshgrid(coords[y0:y1], coords[x0:x1], indexing="ij"))
        cov = _coverage(shape, centre[t:t + 1], heading[t:t + 1], radius, grid, size)[0, ..., None]
        img[t, y0:y1, x0:x1] = img[t, y0:y1, x0:x1] * (1 - cov) + colour * cov


def render_frames(
    app: Appearance, positions: np.ndarray, headings: np.ndarray, times: np.ndarray, size: int
) -> np.ndarray:
    """Frames (T, S, S, 3) uint8 of the agents (positions (T, K, 2), headings (T, K); K = 1 or 2)
    and the distractor.

    Parameters
    ----------
    app : Appearance
        The video's nuisance factors.
    positions : numpy.ndarray
        (T, K, 2) agent centres in arena coordinates, K = 1 or 2.
    headings : numpy.ndarray
        (T, K) agent headings in radians.
    times : numpy.ndarray
        (T,) frame times in seconds (for the distractor's path).
    size : int
        S, the side of the square frames in pixels.

    Returns
    -------
    numpy.ndarray
        (T, S, S, 3) uint8 RGB frames; the distractor is drawn first, the agents on top.
    """
    n = len(times)
    n_agents = positions.shape[1]
    if n_agents not in (1, 2) or headings.shape != (n, n_agents):
        raise ValueError(f"positions must be (T, 1 or 2, 2) and headings (T, K); got {positions.shape}, {headings.shape}")
    img = np.broadcast_to(background_image(app, size), (n, size, size, 3)).copy()
    centres = {2: distractor_path(app, times), **{k: positions[:, k] for k in range(n_agents)}}
    heads = {2: np.zeros(n), **{k: headings[:, k] for k in range(n_agents)}}
    for i in (2, *range(n_agents)):  # distractor first, agents on top
        _draw(img, app.shapes[i], centres[i], heads[i], app.sizes[i], np.asarray(app.colours_rgb[i]), size)
        if i < 2 and app.look != "phase":  # the phase look's agents are plain circles
            eye_at = centres[i] + 0.55 * app.sizes[i] * np.stack([np.cos(heads[i]), np.sin(heads[i])], axis=1)
            eye_rgb = np.array([0.05, 0.05, 0.05]) if np.mean(app.colours_rgb[i]) > 0.5 else np.array([1.0, 1.0, 1.0])
            _draw(img, "circle", eye_at, heads[i], 0.35 * app.sizes[i], eye_rgb, size)
    img = np.clip(img * app.brightness, 0.0, 1.0)
    return np.round(img * 255).astype(np.uint8)


def object_boxes(app: Appearance, positions: np.ndarray, times: np.ndarray, size: int) -> np.ndarray:
    """Boxes (T, 3, 4) ``[x0, y0, x1, y1]`` in pixels of agent_a, agent_b and the distractor.

    Parameters
    ----------
    app : Appearance
        The video's nuisance factors (object sizes, the distractor's path).
    positions : numpy.ndarray
        (T, 2, 2) the two agents' centres in arena coordinates.
    times : numpy.ndarray
        (T,) frame times in seconds.
    size : int
        The side of the square frames in pixels.

    Returns
    -------
    numpy.ndarray
        (T, 3, 4) float32 boxes, clipped to the frame.
    """
    centres = np.stack([positions[:, 0], positions[:, 1], distractor_path(app, times)], axis=1)
    half = BOX_EXTENT * np.asarray(app.sizes)[None, :, None]
    boxes = np.concatenate([centres - half, centres + half], axis=-1) * size
    return np.clip(boxes, 0, size).astype(np.float32)


def frame_rate(n_frames: int) -> Fraction:
    """The frame rate of a SocialWorld clip of ``n_frames`` frames: every clip lasts
    :data:`DURATION` seconds.

    SocialWorld writes its clips with :func:`socalign.video.write_video` at this rate and
    ``qp=0`` (lossless coding of the yuv420p frames, so the decoded frames are a fixed function
    of the rendered ones, a promise of SocialWorld; the files stay small, the scenes being flat).

    Parameters
    ----------
    n_frames : int
        Frames in the clip.

    Returns
    -------
    fractions.Fraction
        Frames per second.
    """
    return Fraction(n_frames) / Fraction(DURATION)


def read_mp4(path: Path | str) -> np.ndarray:
    """Decode every frame of a video file as (T, H, W, 3) uint8 RGB (PyAV)."""
    import av

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: video file not found")
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    if not frames:
        raise ValueError(f"{path}: no video frames could be decoded")
    return np.stack(frames)
