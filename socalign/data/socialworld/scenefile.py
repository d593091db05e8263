"""``DIR/scene.npz``: where every object is in every rendered frame of a SocialWorld benchmark.

Arrays (N videos in videos.csv order, T rendered frames, O = 3 objects):

* ``ids`` (N,) int64 — video ids, as in videos.csv;
* ``objects`` (O,) str — ``agent_a``, ``agent_b``, ``distractor``;
* ``boxes`` (N, T, O, 4) float32 — ``[x0, y0, x1, y1]`` in pixels (x = column, y = row,
  origin top-left, clipped to the frame), covering each object's shape;
* ``positions`` (N, T, 2, 2) float32 — the agents' centres in arena units ([0, 1], x, y);
* ``headings`` (N, T, 2) float32 — the direction each agent faces (radians, y downward);
* ``times`` (T,) float64 — frame times in seconds; ``size`` () int — frame side in pixels.

A model that samples fewer frames than were rendered can pick rows with the same frame indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from socalign.cache import atomic_save_npz
from socalign.data.errors import BenchmarkError

SCENE_FILE = "scene.npz"
SCENE_ARRAYS = ("ids", "objects", "boxes", "positions", "headings", "times", "size")


@dataclass(frozen=True)
class SceneBoxes:
    """The contents of ``scene.npz`` (see the module docstring for shapes and units)."""

    ids: np.ndarray
    objects: tuple[str, ...]
    boxes: np.ndarray
    positions: np.ndarray
    headings: np.ndarray
    times: np.ndarray
    size: int

    def masks(self, objects: tuple[str, ...] = ("agent_a", "agent_b")) -> np.ndarray:
        """Boolean pixel masks (N, T, S, S): pixels whose centre lies in any of ``objects``' boxes."""
        unknown = [o for o in objects if o not in self.objects]
        if unknown:
            raise ValueError(f"unknown object(s) {unknown}; this file has {list(self.objects)}")
        centres = np.arange(self.size) + 0.5
        out = np.zeros((*self.boxes.shape[:2], self.size, self.size), dtype=bool)
        for name in objects:
            b = self.boxes[:, :, self.objects.index(name)]
            inside_x = (centres >= b[..., 0, None]) & (centres <= b[..., 2, None])
            inside_y = (centres >= b[..., 1, None]) & (centres <= b[..., 3, None])
            out |= inside_y[..., :, None] & inside_x[..., None, :]
        return out


def write_scene_boxes(path: Path, boxes: SceneBoxes) -> Path:
    """Save ``scene.npz`` atomically.

    Parameters
    ----------
    path : pathlib.Path
        The file to write (a benchmark's ``DIR/scene.npz``).
    boxes : SceneBoxes
        The per-frame object boxes, positions and headings.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return atomic_save_npz(
        path,
        ids=boxes.ids,
        objects=np.asarray(boxes.objects),
        boxes=boxes.boxes.astype(np.float32),
        positions=boxes.positions.astype(np.float32),
        headings=boxes.headings.astype(np.float32),
        times=boxes.times,
        size=np.asarray(boxes.size),
    )


def read_scene_boxes(root: Path | str) -> SceneBoxes:
    """Load ``DIR/scene.npz`` of a SocialWorld benchmark, checking its arrays."""
    path = Path(root) / SCENE_FILE
    if not path.exists():
        raise BenchmarkError("scene file not found (is this a SocialWorld benchmark?)", path)
    with np.load(path, allow_pickle=False) as data:
        missing = [a for a in SCENE_ARRAYS if a not in data.files]
        if missing:
            raise BenchmarkError(f"missing array(s) {missing}", path)
        arrays = {a: data[a] for a in SCENE_ARRAYS}
    n, t = len(arrays["ids"]), len(arrays["times"])
    if arrays["boxes"].shape[:2] != (n, t) or arrays["boxes"].shape[-1] != 4:
        raise BenchmarkError(f"boxes have shape {arrays['boxes'].shape}, expected ({n}, {t}, O, 4)", path)
    return SceneBoxes(
        ids=arrays["ids"],
        objects=tuple(str(o) for o in arrays["objects"]),
        boxes=arrays["boxes"],
        positions=arrays["positions"],
        headings=arrays["headings"],
        times=arrays["times"],
        size=int(arrays["size"]),
    )
