"""Bad inputs of every kind, fed to both predictor backends and to the files a user writes:
each is refused with an error that names it (or, where the input is valid, handled)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import ltzoo
from ltzoo.errors import CorruptFileError, InvalidArgumentError
from ltzoo.export import export_onnx
from ltzoo.hub import load_model, save_pretrained
from ltzoo.training import load_recipe_file
from ltzoo.zoo import get_entry

BACKENDS = ("torch", "onnx")
MODEL = "ce-resnet32-cifar10lt"  # embedded with its ONNX twin: both backends, no network


@pytest.fixture(scope="module", params=BACKENDS)
def predictor(request: pytest.FixtureRequest):
    return ltzoo.load(MODEL, backend=request.param, **({"device": "cpu"} if request.param == "torch" else {}))


@pytest.mark.parametrize("image, match", [
    (np.zeros((0, 0, 3), np.uint8), "empty image"),
    (Image.new("RGB", (0, 7)), "empty image"),
    (np.full((8, 8, 3), np.nan, np.float32), "NaN or inf"),
    (np.zeros((8, 8, 5), np.uint8), "HxW, HxWxC or CxHxW"),
    ("no/such/photo.png", "does not exist"),
])
def test_each_backend_names_a_bad_image(predictor, image, match: str):
    with pytest.raises((InvalidArgumentError, FileNotFoundError), match=match):
        predictor.predict_proba(image)


def test_a_bfloat16_tensor_is_an_image_like_any_float_tensor(predictor):
    pixels = torch.rand(3, 32, 32)
    np.testing.assert_allclose(predictor.predict_proba(pixels.to(torch.bfloat16)),
                               predictor.predict_proba(pixels.to(torch.bfloat16).float()), atol=1e-6)


def test_a_decompression_bomb_is_refused_by_name(predictor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "bomb.png"
    Image.new("L", (300, 300)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # PIL refuses past twice its limit
    with pytest.raises(CorruptFileError, match="bomb.png is refused as a possible decompression bomb"):
        predictor.predict_proba(path)


def test_a_malformed_recipe_names_its_line(tmp_path: Path):
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("name: mine\nstages: [\n  - loss: ce\n")
    with pytest.raises(CorruptFileError, match=r"mine.yaml is not valid YAML.*line 3"):
        load_recipe_file(str(recipe))


@pytest.mark.parametrize("option", ["recipe", "metrics", "calibration", "extra"])
def test_save_pretrained_refuses_a_block_that_is_not_a_dict(tmp_path: Path, option: str):
    model = ltzoo.create_model("resnet20_cifar", num_classes=2)
    with pytest.raises(InvalidArgumentError, match=f"{option} must be a dict"):
        save_pretrained(model, tmp_path / "m", label_names=["a", "b"], class_counts=[2, 1], **{option: "abc"})
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("opset", [3, 10_000, "18", True])
def test_an_opset_onnx_cannot_write_is_refused_before_exporting(tmp_path: Path, opset):
    model, config = load_model(get_entry(MODEL).embedded_path)
    with pytest.raises(InvalidArgumentError, match="opset must be an integer in 7.."):
        export_onnx(model, config, tmp_path / "m.onnx", opset=opset, log=lambda _: None)
    assert not (tmp_path / "m.onnx").exists()


@pytest.fixture
def embedded_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The zoo's embedded folders served from a copy under tmp_path (MODEL's files, pins unchanged)."""
    import shutil

    from ltzoo import zoo

    copy = tmp_path / "embedded"
    shutil.copytree(get_entry(MODEL).embedded_path, copy / MODEL)
    monkeypatch.setattr(zoo, "EMBEDDED_DIR", copy)
    return copy / MODEL


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["model.safetensors", "config.json", "model.onnx"])
def test_a_changed_file_of_a_zoo_entry_is_refused_whatever_the_backend(embedded_copy: Path, name: str, backend: str):
    """The zoo pins all three files: a changed label list or temperature in config.json, or another
    model.onnx, is caught as surely as changed weights."""
    from ltzoo.errors import ChecksumMismatchError

    path = embedded_copy / name
    path.write_bytes(path.read_bytes().replace(b"airplane", b"airplans") if name == "config.json"
                     else path.read_bytes() + b"\0")
    with pytest.raises(ChecksumMismatchError, match=f"{name} has sha256 .* the zoo pins"):
        ltzoo.load(MODEL, backend=backend, device="cpu" if backend == "torch" else None)


def test_a_pinned_file_that_is_missing_is_named(embedded_copy: Path):
    from ltzoo.errors import MissingFileError

    (embedded_copy / "model.onnx").unlink()
    with pytest.raises(MissingFileError, match="lacks model.onnx, which the zoo pins"):
        ltzoo.load(MODEL, backend="onnx")


def test_another_revision_of_a_zoo_entry_warns_that_its_pins_do_not_apply(monkeypatch: pytest.MonkeyPatch):
    from ltzoo.errors import MissingFileError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.warns(UserWarning, match="not the zoo's pinned .*not verified"), \
            pytest.raises(MissingFileError, match=f"ltzoo/{MODEL}@v2 is not in the Hugging Face cache"):
        ltzoo.load(MODEL, revision="v2")


def test_a_truncated_onnx_model_is_named(tmp_path: Path):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(get_entry(MODEL).embedded_path, folder)
    onnx_path = folder / "model.onnx"
    onnx_path.write_bytes(onnx_path.read_bytes()[:50_000])
    with pytest.raises(CorruptFileError, match="model.onnx cannot be loaded as an ONNX model"):
        ltzoo.load(folder, backend="onnx")


def test_an_onnx_model_without_metadata_is_served_at_its_own_input_size(tmp_path: Path):
    import shutil

    import onnx

    folder = tmp_path / "model"
    shutil.copytree(get_entry(MODEL).embedded_path, folder)
    model = onnx.load(str(folder / "model.onnx"))
    del model.metadata_props[:]
    onnx.save(model, str(folder / "model.onnx"))
    with pytest.warns(UserWarning, match="carries no ltzoo metadata: .*its 32x32 input"):
        predictor = ltzoo.load(folder, backend="onnx")
    assert predictor.predict(np.zeros((40, 50, 3), np.uint8), topk=1)[0][0]["label"] in [str(c) for c in range(10)]


def test_publishing_to_an_unreachable_hub_is_one_clear_error():
    from ltzoo.errors import HubError
    from ltzoo.hub import push

    # no network here (and a made-up token where there is one): the Hub is unreachable or refuses
    before = sorted((p.name, p.stat().st_mtime_ns) for p in get_entry(MODEL).embedded_path.iterdir())
    with pytest.raises(HubError, match="publishing .* to me/model on .* failed: .*nothing is lost"):
        push(get_entry(MODEL).embedded_path, "me/model", token="hf_test")
    assert sorted((p.name, p.stat().st_mtime_ns) for p in get_entry(MODEL).embedded_path.iterdir()) == before
