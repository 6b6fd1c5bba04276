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
