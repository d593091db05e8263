"""The backbone registry: plug-ins register names, a lookup never pretrains, and the generic model
modules never reach into the toy or SocialWorld."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from socalign.models import registry
from socalign.models.registry import (
    BackboneResolver,
    NotPretrainedError,
    default_preprocessing,
    get_spec,
    is_video_model,
    register_backbone,
    registered_names,
)

PACKAGE = Path(__file__).resolve().parents[2] / "socalign"
GENERIC = ("models/registry.py", "models/video.py", "models/embed.py")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", GENERIC)
def test_generic_model_modules_never_import_the_toy_or_socialworld(module: str) -> None:
    found = sorted(n for n in _imports(PACKAGE / module)
                   if n.startswith(("socalign.models.toy", "socalign.data.socialworld")))
    assert found == []


def test_the_toy_registers_itself_and_resolves_to_its_shipped_weights() -> None:
    from socalign.models import toy

    assert {"toy", "toy-videomae", "toy-clip"} <= set(registered_names())
    assert registry.resolver_for("toy") is toy.RESOLVER and toy.RESOLVER.shipped("toy")
    assert toy.RESOLVER.shipped("toy-videomae") and not toy.RESOLVER.shipped("toy-clip")
    assert get_spec("toy-videomae").family == "videomae"
    spec = get_spec("toy")
    assert spec.name == "toy" and Path(spec.source).parent == toy.SHIPPED_WEIGHTS
    assert default_preprocessing(spec) == "fast" and is_video_model("toy")
    folder_spec = get_spec(spec.source)  # the folder itself: the toy's marker file says "fast"
    assert default_preprocessing(folder_spec) == "fast"
    assert default_preprocessing(registry.KNOWN["openai/clip-vit-base-patch32"]) == "auto"


def test_a_lookup_never_pretrains_and_names_the_explicit_step(tmp_path: Path, monkeypatch) -> None:
    """``toy-clip``'s weights do not ship: looking it up (spec, loader, embedding identity)
    raises one clear error naming ``socalign pretrain``, and nothing is trained."""
    import socalign.models.pretrain as pretrain
    from socalign.models.embed import model_identity

    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))

    def fail(*args, **kwargs):
        raise AssertionError("a lookup pretrained the toy")

    monkeypatch.setattr(pretrain, "pretrain_vocabulary", fail)
    monkeypatch.setattr(pretrain, "ensure_toy_backbone", fail)
    for lookup in (lambda: get_spec("toy-clip"), lambda: model_identity("toy-clip", "video")):
        with pytest.raises(NotPretrainedError, match=r"socalign pretrain --family clip") as info:
            lookup()
        assert "pretrain_backbone('toy-clip')" in str(info.value)
        assert isinstance(info.value, FileNotFoundError)  # the command line: exit 2, one line
    assert is_video_model("toy-clip")  # a registered name, pretrained or not


def test_the_explicit_step_caches_the_toy_under_its_name(tmp_path: Path, monkeypatch) -> None:
    """``pretrain_backbone("toy-clip")`` runs the recipe once (here a stand-in that saves a
    random tiny model) and caches it; the name then resolves to that folder, and a damaged
    cache is an error that names the step again."""
    transformers = pytest.importorskip("transformers")
    import socalign.models.pretrain as pretrain
    from socalign.models.toy import TOY_MARKER

    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    calls = []

    def stand_in(out, settings, seed=0, device=None, progress=False, init=None):
        calls.append(settings.family)
        config = transformers.CLIPVisionConfig(image_size=16, patch_size=8, hidden_size=16,
                                               num_hidden_layers=1, num_attention_heads=2,
                                               intermediate_size=32)
        transformers.CLIPVisionModel(config).save_pretrained(out)
        (Path(out) / TOY_MARKER).write_text("{}")

    monkeypatch.setattr(pretrain, "pretrain_vocabulary", stand_in)
    folder = pretrain.pretrain_backbone("toy-clip", device="cpu")
    assert calls == ["clip"] and pretrain.pretrain_backbone("toy-clip") == folder and calls == ["clip"]
    spec = get_spec("toy-clip")
    assert (spec.name, spec.source, spec.family) == ("toy-clip", str(folder), "clip")
    (folder / "model.safetensors").write_bytes(b"damaged")
    with pytest.raises(NotPretrainedError, match="damaged.*socalign pretrain --family clip"):
        get_spec("toy-clip")
    with pytest.raises(ValueError, match="not a registered backbone"):
        pretrain.pretrain_backbone("facebook/timesformer-base-finetuned-k400")


def test_a_new_backbone_is_one_registration(tmp_path: Path, monkeypatch) -> None:
    """A plug-in's names resolve through the registry (spec, video-model check, preprocessing,
    embedding identity) with no branch elsewhere; a name already taken is refused."""
    transformers = pytest.importorskip("transformers")
    from socalign.models.embed import model_identity

    folder = tmp_path / "mine"
    config = transformers.TimesformerConfig(image_size=16, patch_size=8, num_frames=2, hidden_size=16,
                                            num_hidden_layers=1, num_attention_heads=2,
                                            intermediate_size=32)
    transformers.TimesformerModel(config).save_pretrained(folder)
    monkeypatch.setattr(registry, "_RESOLVERS", list(registry.backbone_resolvers()))
    mine = register_backbone(BackboneResolver(
        names=("mine",), folder=lambda name: folder, pretrain=lambda name, **_: folder,
        shipped=lambda name: True, preprocessing="fast"))
    assert registry.resolver_for("mine") is mine and is_video_model("mine")
    spec = get_spec("mine")
    assert (spec.name, spec.source, spec.n_frames) == ("mine", str(folder), 2)
    assert default_preprocessing(spec) == "fast"
    assert model_identity("mine", "video").startswith("mine:")
    with pytest.raises(ValueError, match=r"\['toy'\] are already registered"):
        register_backbone(BackboneResolver(names=("toy",), folder=lambda name: folder,
                                           pretrain=lambda name, **_: folder,
                                           shipped=lambda name: False))


def test_looking_up_the_toy_imports_no_torch() -> None:
    code = ("import sys\nfrom socalign.models.registry import get_spec, is_video_model\n"
            "assert is_video_model('toy') and get_spec('toy').name == 'toy'\n"
            "assert is_video_model('someone/unknown-model') is False\n"
            "print('torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
