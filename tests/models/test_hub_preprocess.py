"""Hub backbones through their own processor, and its parity with the fast torch path.

The fast path (:func:`socalign.models.frames.preprocess`, used by the toy and by training)
redoes the checkpoint processor's recipe in torch. Measured here against
``VideoMAEImageProcessor`` (transformers' PIL backend, the one installed without
torchvision) at the TimeSformer checkpoints' settings (shortest edge 224, centre crop 224,
bilinear, Kinetics mean/std), in grey levels (0-255): mean absolute difference under 0.06
and at most 2 (94.8-99.96% of values equal). Hand-rounded sizes and a one-pass float resize
(the fast path before) gave 1.4 on average and 9 at most (issue 15's measurement).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from socalign.models.frames import preprocess, resized_size  # noqa: E402
from socalign.models.registry import get_spec, make_spec  # noqa: E402
from socalign.models.specs import KINETICS_MEAN, KINETICS_STD  # noqa: E402
from socalign.models.video import (  # noqa: E402
    clip_preprocessor,
    load_processor,
    processor_inputs,
)

torch.set_num_threads(1)

#: Measured tolerance of the fast path against the processor, in grey levels.
MEAN_TOLERANCE, MAX_TOLERANCE = 0.06, 2.0


def _processor(size: int) -> object:
    """The TimeSformer checkpoints' processor settings (facebook/timesformer-base-finetuned-k400)."""
    cls = getattr(transformers, "VideoMAEImageProcessorPil", None) or transformers.VideoMAEImageProcessor
    return cls(size={"shortest_edge": size}, crop_size={"height": size, "width": size},
               resample=2, image_mean=list(KINETICS_MEAN), image_std=list(KINETICS_STD))


def natural_clip(height: int, width: int, n_frames: int = 8, seed: int = 0) -> np.ndarray:
    """Smooth structure plus noise (video-like: edges, gradients and texture), uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 128 + 60 * np.sin(xx / 17.0)[..., None] + 50 * np.cos(yy / 23.0)[..., None]
    base = base + 40 * ((xx // 31 + yy // 29) % 2)[..., None]  # sharp edges
    frames = base[None] + rng.normal(0, 30, (n_frames, height, width, 3))
    return np.clip(frames, 0, 255).astype(np.uint8)


def grey_levels(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """|a - b| of two normalised tensors, in grey levels."""
    return (a - b).abs() * KINETICS_STD[0] * 255


@pytest.mark.parametrize(("height", "width"), [(240, 320), (256, 341), (360, 640), (720, 1280),
                                               (500, 375)])
def test_fast_path_matches_the_timesformer_processor(height: int, width: int) -> None:
    spec = make_spec("t", "timesformer", n_frames=8, image_size=224)
    clip = natural_clip(height, width)
    reference = _processor(224)([list(clip)], return_tensors="pt")["pixel_values"]
    fast = preprocess(clip[None], spec)
    assert fast.shape == reference.shape == (1, 8, 3, 224, 224)
    diff = grey_levels(fast, torch.as_tensor(reference))
    assert float(diff.mean()) < MEAN_TOLERANCE, float(diff.mean())
    assert float(diff.max()) <= MAX_TOLERANCE + 1e-3, float(diff.max())
    assert float((diff < 0.5).float().mean()) > 0.94
    # the hub path through socalign gives the processor's output exactly
    hub = processor_inputs(_processor(224), clip[None], spec)
    torch.testing.assert_close(hub, torch.as_tensor(reference))


def test_resize_rounding_is_the_processors() -> None:
    # int(224 * 320 / 240) = 298 (round() would give 299); portrait alike
    assert resized_size(240, 320, 224) == (224, 298)
    assert resized_size(500, 375, 224) == (298, 224)
    assert resized_size(224, 224, 224) == (224, 224)
    from transformers.image_transforms import get_resize_output_image_size

    for h, w in [(240, 320), (256, 341), (1080, 1920), (333, 500)]:
        image = np.zeros((h, w, 3), dtype=np.uint8)
        assert resized_size(h, w, 224) == tuple(get_resize_output_image_size(
            image, 224, default_to_square=False, input_data_format="channels_last"))


def test_the_old_one_pass_resize_was_measurably_worse() -> None:
    """The check is sharp: the previous float, one-pass resize fails the tolerance."""
    import torch.nn.functional as F

    clip = natural_clip(256, 341)
    reference = torch.as_tensor(_processor(224)([list(clip)], return_tensors="pt")["pixel_values"])
    frames = torch.from_numpy(clip).permute(0, 3, 1, 2).float() / 255
    old = F.interpolate(frames, size=(224, round(341 * 224 / 256)), mode="bilinear",
                        align_corners=False, antialias=True)
    left = (old.shape[-1] - 224) // 2
    old = (old[..., left:left + 224] - KINETICS_MEAN[0]) / KINETICS_STD[0]
    assert float(grey_levels(old[None], reference).mean()) > 3 * MEAN_TOLERANCE


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny TimeSformer folder with its processor saved beside it, one without, and a toy-like one."""
    root = tmp_path_factory.mktemp("hubproc")
    torch.manual_seed(0)
    config = transformers.TimesformerConfig(image_size=32, patch_size=8, num_frames=4,
                                            hidden_size=16, num_hidden_layers=1,
                                            num_attention_heads=2, intermediate_size=32)
    model = transformers.TimesformerModel(config)
    out = {}
    for name in ("with", "without", "toylike"):
        model.save_pretrained(root / name)
        out[name] = root / name
    _processor(32).save_pretrained(root / "with")
    _processor(32).save_pretrained(root / "toylike")
    (root / "toylike" / "pretrain_report.json").write_text("{}")
    return out


def test_clip_preprocessor_picks_the_checkpoints_processor(checkpoints) -> None:
    spec = get_spec(checkpoints["with"])
    chosen = clip_preprocessor(spec)
    assert chosen.kind == "hub" and chosen.name.startswith("hub:VideoMAEImageProcessor")
    assert load_processor(get_spec(checkpoints["without"])) is None
    assert clip_preprocessor(get_spec(checkpoints["without"])).name == "fast"
    assert clip_preprocessor(get_spec(checkpoints["toylike"])).name == "fast"  # the toy: fast
    assert clip_preprocessor(get_spec(checkpoints["toylike"]), "hub").kind == "hub"
    assert clip_preprocessor(spec, "fast").name == "fast"
    with pytest.raises(ValueError, match="no processor settings"):
        clip_preprocessor(get_spec(checkpoints["without"]), "hub")
    with pytest.raises(ValueError, match="'auto', 'hub' or 'fast'"):
        clip_preprocessor(spec, "pil")  # type: ignore[arg-type]
    clips = [natural_clip(48, 64, 6, seed=1), natural_clip(40, 40, 3, seed=2)]
    hub, fast = chosen(clips), clip_preprocessor(spec, "fast")(clips)
    assert hub.shape == fast.shape == (2, 4, 3, 32, 32)
    assert float(grey_levels(hub, fast).mean()) < 4 * MEAN_TOLERANCE  # small clips: more edges
    assert float(grey_levels(hub, fast).max()) <= MAX_TOLERANCE + 1e-3


def test_toy_uses_the_fast_path() -> None:
    assert clip_preprocessor(get_spec("toy")).name == "fast"
