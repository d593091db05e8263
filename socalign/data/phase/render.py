"""PHASE's animations drawn from their trajectories, in one coordinate frame for every video.

The PHASE videos are distributed on request; their trajectories are public. A frame is drawn
the way PHASE's own renderer lays a scene out, simplified: a white room, the four landmarks as
translucent coloured squares (PHASE's ``LM_COLOR_LIST``, 5 units wide), the room's outer walls
and the inner wall segments as black lines (0.25 units wide), then the two objects and the two
agents as filled circles at their radii (PHASE draws the agents as trapezoids with eyes; here
they are circles of the recorded radius, centred on the recorded position), objects below
agents. Colours follow SocialGNN's reading of ``entity_color_code`` (``get_entity_colors``):
agent 0 red and agent 1 green when the first stored code is 0 (else swapped); object 0 light
blue and object 1 pink when the last stored code is 3 (else swapped).

Every video shares one frame: PHASE's room (20 by 20 units around (16, 12): x 6-26, y 2-22,
:data:`ROOM`) with a margin of :data:`MARGIN` units, mapped onto a square image, y upwards.
Pixel ``(row, column)`` covers the unit square whose centre is ``(column + 0.5, row + 0.5)``
in pixel units; a shape covers the pixels whose centres it contains (no antialiasing), so the
centroid of a circle's pixels lies within a fraction of a pixel of its centre,
:func:`pixel_position`.

One frame is drawn per trajectory step (the agents' steps; the authors trimmed each video 2 s
after its motion stops) at :data:`STEPS_PER_SECOND` steps a second (an assumption: PHASE's
recorder writes 20 frames a second and the authors averaged 5 steps into one; the original
videos' rate is not in the public files), or a fixed number of frames sampled evenly over the
steps (``n_frames``,
:func:`socalign.video.sample_frame_indices`) at the same duration. Every mp4 is written by
:func:`socalign.video.write_video`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from socalign.data.phase.source import PhaseVideo

#: PHASE's room: x from 6 to 26 and y from 2 to 22 world units (20 by 20 around (16, 12)).
ROOM = (6.0, 26.0, 2.0, 22.0)
#: World units drawn around the room on every side (the outer walls stay inside the image).
MARGIN = 0.5
#: Wall width in world units (PHASE draws 5 pixels at 20 pixels a unit).
WALL_WIDTH = 0.25
#: Half the side of a landmark square, in world units (PHASE's ``LM_SIZE``).
LANDMARK_HALF = 2.5
#: The frame side used when none is given: the input size of the paper's video backbones.
DEFAULT_SIZE = 224
#: Trajectory steps a second (assumed: PHASE's 20 frames a second, 5 steps averaged into one).
STEPS_PER_SECOND = 4

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
#: PHASE's entity colours (``ENT_COLOR_LIST``): red, green, light blue, pink.
RED, GREEN, LIGHT_BLUE, PINK = (255, 0, 0), (0, 255, 0), (117, 216, 230), (255, 153, 153)
#: PHASE's landmark colours (``LM_COLOR_LIST``, blue, green, red, yellow) drawn at their alpha,
#: 50/255, over the white room.
LANDMARK_RGB = ((45, 45, 180), (50, 150, 50), (180, 45, 45), (180, 180, 45))
LANDMARK_ALPHA = 50 / 255


def landmark_colours() -> tuple[tuple[int, int, int], ...]:
    """The four landmarks' colours as drawn: PHASE's colours at their alpha over white.

    Returns
    -------
    tuple of (int, int, int)
        RGB per landmark, in ``landmark_centers`` order.
    """
    return tuple(tuple(round(LANDMARK_ALPHA * c + (1 - LANDMARK_ALPHA) * 255) for c in rgb)
                 for rgb in LANDMARK_RGB)  # type: ignore[misc]


def entity_colours(colour_code: dict[int, int]) -> tuple[tuple[int, int, int], ...]:
    """The colours of agent 0, agent 1, object 0 and object 1 (SocialGNN's reading).

    Parameters
    ----------
    colour_code : dict of int to int
        PHASE's ``entity_color_code`` as stored (its values in key order).

    Returns
    -------
    tuple of (int, int, int)
        Four RGB colours.
    """
    codes = [colour_code[k] for k in sorted(colour_code)]
    agents = (RED, GREEN) if codes[0] == 0 else (GREEN, RED)
    objects = (LIGHT_BLUE, PINK) if codes[-1] == 3 else (PINK, LIGHT_BLUE)
    return (*agents, *objects)


def pixels_per_unit(size: int) -> float:
    """The scale of a ``size``-pixel frame: pixels per world unit.

    Parameters
    ----------
    size : int
        The frame's side in pixels.

    Returns
    -------
    float
    """
    return size / (ROOM[1] - ROOM[0] + 2 * MARGIN)


def pixel_position(points: np.ndarray, size: int) -> np.ndarray:
    """World positions as (column, row) pixel coordinates: where a shape's pixel centroid lies.

    Parameters
    ----------
    points : numpy.ndarray
        (..., 2) positions x, y in world units.
    size : int
        The frame's side in pixels.

    Returns
    -------
    numpy.ndarray
        (..., 2) column and row, in pixel-index units (pixel (r, c) has its centre at (c, r)).
    """
    points = np.asarray(points, dtype=np.float64)
    scale = pixels_per_unit(size)
    column = (points[..., 0] - (ROOM[0] - MARGIN)) * scale - 0.5
    row = ((ROOM[3] + MARGIN) - points[..., 1]) * scale - 0.5
    return np.stack([column, row], axis=-1)


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """World coordinates of every pixel centre: (size, size) x and y."""
    centres = (np.arange(size) + 0.5) / pixels_per_unit(size)
    x = (ROOM[0] - MARGIN) + centres
    y = (ROOM[3] + MARGIN) - centres
    return np.meshgrid(x, y)  # x varies along columns, y along rows


def _segment_mask(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray,
                  half_width: float) -> np.ndarray:
    """Pixels whose centres lie within ``half_width`` of the segment a-b."""
    d = b - a
    length2 = float(d @ d)
    t = np.zeros_like(x) if length2 == 0 else np.clip(((x - a[0]) * d[0] + (y - a[1]) * d[1])
                                                      / length2, 0.0, 1.0)
    return (x - a[0] - t * d[0]) ** 2 + (y - a[1] - t * d[1]) ** 2 <= half_width**2


def outer_walls() -> np.ndarray:
    """The room's four outer walls as segments.

    Returns
    -------
    numpy.ndarray
        (4, 2, 2) point pairs.
    """
    x0, x1, y0, y1 = ROOM
    corners = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=np.float64)
    return np.stack([corners, np.roll(corners, -1, axis=0)], axis=1)


def background(video: PhaseVideo, size: int) -> np.ndarray:
    """A video's still layer: the room, its landmarks and its walls.

    Parameters
    ----------
    video : PhaseVideo
        The video (its landmarks and inner walls).
    size : int
        The frame's side in pixels.

    Returns
    -------
    numpy.ndarray
        (size, size, 3) uint8 RGB.
    """
    x, y = _grid(size)
    image = np.empty((size, size, 3), dtype=np.uint8)
    image[:] = WHITE
    for centre, colour in zip(video.landmarks, landmark_colours(), strict=True):
        inside = (np.abs(x - centre[0]) <= LANDMARK_HALF) & (np.abs(y - centre[1]) <= LANDMARK_HALF)
        image[inside] = colour
    half = max(WALL_WIDTH / 2, 0.5 / pixels_per_unit(size))  # at least one pixel wide
    for a, b in np.concatenate([outer_walls(), video.walls.reshape(-1, 2, 2)]):
        image[_segment_mask(x, y, a, b, half)] = BLACK
    return image


def frame_steps(video: PhaseVideo, n_frames: int | None = None) -> np.ndarray:
    """The trajectory step each frame shows: every step, or ``n_frames`` sampled evenly.

    Parameters
    ----------
    video : PhaseVideo
        The video.
    n_frames : int or None, default None
        Frames to draw (None: one per trajectory step).

    Returns
    -------
    numpy.ndarray
        (n_frames,) steps in 0..n_steps-1.
    """
    from socalign.video import sample_frame_indices

    if n_frames is None:
        return np.arange(video.n_steps)
    return sample_frame_indices(video.n_steps, int(n_frames))


def frame_rate(video: PhaseVideo, n_frames: int | None = None) -> Fraction:
    """The frame rate that keeps a video's duration (its steps at :data:`STEPS_PER_SECOND`).

    Parameters
    ----------
    video : PhaseVideo
        The video.
    n_frames : int or None, default None
        Frames drawn (None: one per step, at :data:`STEPS_PER_SECOND`).

    Returns
    -------
    fractions.Fraction
        Frames a second.
    """
    if n_frames is None:
        return Fraction(STEPS_PER_SECOND)
    return Fraction(int(n_frames) * STEPS_PER_SECOND, video.n_steps)


def render_frames(video: PhaseVideo, size: int = DEFAULT_SIZE,
                  n_frames: int | None = None) -> np.ndarray:
    """Draw a video's frames from its trajectories.

    Parameters
    ----------
    video : PhaseVideo
        The video.
    size : int, default DEFAULT_SIZE
        The frame's side in pixels (even, at least 16).
    n_frames : int or None, default None
        Frames to draw, sampled evenly over the steps (None: one per trajectory step).

    Returns
    -------
    numpy.ndarray
        (T, size, size, 3) uint8 RGB frames.

    Raises
    ------
    ValueError
        When ``size`` is odd or under 16, or ``n_frames`` is under 1.
    """
    if size < 16 or size % 2:
        raise ValueError(f"size must be an even number of pixels, at least 16, got {size}")
    if n_frames is not None and n_frames < 1:
        raise ValueError(f"n_frames must be at least 1, got {n_frames}")
    still = background(video, size)
    x, y = _grid(size)
    steps = frame_steps(video, n_frames)
    positions = video.positions_at(steps)  # (T, 4, 2)
    colours = entity_colours(video.colour_code)
    frames = np.repeat(still[None], len(steps), axis=0)
    order = (2, 3, 0, 1)  # objects below agents
    for t in range(len(steps)):
        for e in order:
            cx, cy = positions[t, e]
            radius = float(video.sizes[e])
            # the pixels of the circle's bounding box only
            c0, r0 = pixel_position(np.array([cx - radius, cy + radius]), size)
            c1, r1 = pixel_position(np.array([cx + radius, cy - radius]), size)
            cols = slice(max(int(np.floor(c0)), 0), min(int(np.ceil(c1)) + 1, size))
            rows = slice(max(int(np.floor(r0)), 0), min(int(np.ceil(r1)) + 1, size))
            if cols.start >= cols.stop or rows.start >= rows.stop:
                continue
            inside = ((x[rows, cols] - cx) ** 2 + (y[rows, cols] - cy) ** 2) <= radius**2
            frames[t, rows, cols][inside] = colours[e]
    return frames
