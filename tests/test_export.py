"""ONNX export and the torch-free onnxruntime predictor: parity with torch, exact preprocessing,
uint8 input, int8, metadata, and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import timm
import torch
from PIL import Image

import ltzoo
from ltzoo.export import export_onnx, quantize_int8, sample_images
from ltzoo.hub import load_model, save_pretrained
from ltzoo.images import load_image
from ltzoo.runtime import ImagePreprocessor, OnnxPredictor

from .conftest import shared_data_dir
from .test_hub import COUNTS, NAMES, make_folder


def real_photos() -> list[Path]:
    data = shared_data_dir()
    photos = sorted((data / "photos").glob("*")) if data and (data / "photos").is_dir() else []
    return sample_images() + photos


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_folder(tmp_path_factory.mktemp("onnx") / "model", head="cosine")
    model, config = load_model(folder)
    export_onnx(model, config, folder / "model.onnx", log=lambda _: None)
    return folder


def _assert_parity(torch_pred, onnx_pred, photos: list[Path]) -> None:
    torch_logits = torch_pred.calibrate(torch_pred.logits(photos)).numpy()
    onnx_logits = onnx_pred.logits(photos)
    assert np.abs(torch_logits - onnx_logits).max() < 1e-4
    assert (torch_logits.argmax(1) == onnx_logits.argmax(1)).all()
    for prior in ("balanced", "train"):
        np.testing.assert_allclose(onnx_pred.predict_proba(photos, target_prior=prior),
                                   torch_pred.predict_proba(photos, target_prior=prior), atol=1e-5)
    assert [r[0]["label"] for r in onnx_pred.predict(photos)] == [r[0]["label"] for r in torch_pred.predict(photos)]


def test_torch_and_onnxruntime_agree_on_real_photos(exported: Path):
    _assert_parity(ltzoo.load(exported, device="cpu"), ltzoo.load(exported, backend="onnx"), real_photos())


@pytest.mark.parametrize("name", [m["name"] for m in ltzoo.list_models() if m["embedded"]])
def test_embedded_model_ships_an_onnx_twin_that_agrees_with_torch(name: str):
    """The zoo's embedded CIFAR-10-LT models: the model.onnx shipped next to their weights."""
    _assert_parity(ltzoo.load(name, device="cpu"), ltzoo.load(name, backend="onnx"), real_photos())


def test_metadata_is_complete(exported: Path):
    import json

    props = {p.key: p.value for p in onnx.load(str(exported / "model.onnx")).metadata_props}
    meta = json.loads(props["ltzoo"])
    assert meta["label_names"] == NAMES and meta["class_counts"] == COUNTS
    assert meta["calibration"]["temperature"] == 1.7 and meta["exported_target_prior"] == "balanced"
    assert meta["verification"]["top1_agreement"] == 1.0 and meta["verification"]["max_abs_logit_diff"] < 1e-4
    assert meta["data_config"]["input_size"] == [3, 32, 32] and meta["ltzoo_version"] == ltzoo.__version__


@pytest.mark.parametrize("architecture", ["resnet32_cifar", "resnet50"])
def test_runtime_preprocessing_is_timm_eval_exactly(architecture: str):
    from timm.data import create_transform, resolve_data_config

    model = timm.create_model(architecture, pretrained=False)
    config = resolve_data_config(model=model)
    transform = create_transform(**config)
    pre = ImagePreprocessor(config)
    for path in real_photos():
        ours = pre.normalize(pre.resize_crop(load_image(path))[None])[0]
        assert np.array_equal(ours, transform(load_image(path)).numpy()), path


def test_timm_resnet50_parity(tmp_path: Path):
    torch.manual_seed(0)
    model = timm.create_model("resnet50", num_classes=5).eval()
    save_pretrained(model, tmp_path, label_names=NAMES, class_counts=COUNTS)
    loaded, config = load_model(tmp_path)
    report = export_onnx(loaded, config, tmp_path / "model.onnx", log=lambda _: None)
    assert report["max_abs_logit_diff"] < 1e-4 and report["top1_agreement"] == 1.0
    photos = real_photos()
    torch_probs = ltzoo.load(tmp_path, device="cpu").predict_proba(photos)
    onnx_probs = OnnxPredictor(tmp_path).predict_proba(photos)
    np.testing.assert_allclose(onnx_probs, torch_probs, atol=1e-5)


def test_uint8_input_and_probs_only(tmp_path: Path):
    folder = make_folder(tmp_path / "m")
    model, config = load_model(folder)
    export_onnx(model, config, tmp_path / "u8.onnx", uint8_input=True, outputs=["probs"], log=lambda _: None)
    runtime = OnnxPredictor(tmp_path / "u8.onnx")
    assert runtime.uint8_input and runtime.session.get_inputs()[0].type == "tensor(uint8)"
    photos = sample_images()
    np.testing.assert_allclose(runtime.predict_proba(photos), ltzoo.load(folder, device="cpu").predict_proba(photos),
                               atol=1e-5)


def test_static_int8_runs_and_keeps_metadata(exported: Path, tmp_path: Path):
    pre = ImagePreprocessor({"input_size": [3, 32, 32], "interpolation": "bilinear", "crop_pct": 1.0,
                             "mean": [0.4914, 0.4822, 0.4465], "std": [0.2023, 0.1994, 0.2010]})
    pixels = np.stack([pre.resize_crop(load_image(p)) for p in real_photos()])
    out = quantize_int8(exported / "model.onnx", tmp_path / "int8.onnx", "static", pixels, preprocessor=pre)
    graph = onnx.load(str(out))
    assert any(n.op_type == "QuantizeLinear" for n in graph.graph.node)
    runtime = OnnxPredictor(out)
    assert runtime.metadata["quantization"] == "static"
    probs = runtime.predict_proba(sample_images())
    assert probs.shape == (len(sample_images()), 5) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_runtime_never_imports_torch(exported: Path):
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # any 'import torch' now raises ImportError\n"
        "from ltzoo.runtime import OnnxPredictor\n"
        f"p = OnnxPredictor(r'{exported}')\n"
        f"print(p.predict(r'{sample_images()[0]}', topk=1)[0][0]['label'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in NAMES


def test_onnx_without_ltzoo_metadata_still_runs(tmp_path: Path):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(3))
    model(torch.zeros(1, 3, 224, 224))
    torch.onnx.export(model.eval(), (torch.zeros(1, 3, 224, 224),), str(tmp_path / "plain.onnx"), dynamo=False,
                      input_names=["images"], output_names=["logits"], dynamic_axes={"images": {0: "b"}})
    with pytest.warns(UserWarning, match="no ltzoo metadata"):
        runtime = OnnxPredictor(tmp_path / "plain.onnx")
    result = runtime.predict(sample_images()[0], topk=2)
    assert [r["label"] for r in result[0]] and result[0][0]["label"] in {"0", "1", "2"}


def test_wrong_modes_and_sizes_are_handled(exported: Path):
    runtime = OnnxPredictor(exported)
    tiny_gray = Image.fromarray(np.full((5, 9), 128, dtype=np.uint8))
    huge_rgba = Image.fromarray(np.zeros((300, 40, 4), dtype=np.uint8), mode="RGBA")
    probs = runtime.predict_proba([tiny_gray, huge_rgba, np.zeros((20, 20), dtype=np.uint16)])
    assert probs.shape == (3, 5)
    with pytest.raises(ValueError, match="HxW"):
        runtime.predict(np.zeros((6, 6, 7), dtype=np.uint8))
    with pytest.raises(FileNotFoundError, match="export"):
        OnnxPredictor(exported / "nothing_here")


def test_export_program_writes_into_the_folder(tmp_path: Path):
    folder = make_folder(tmp_path / "m")
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "export", str(folder), "--outputs", "probs"], cwd=repo,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (folder / "model.onnx").is_file() and "top-1 agreement 100.0%" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "export", str(tmp_path / "nope")], cwd=repo, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "nope" in bad.stderr and bad.stderr.startswith("python -m export: error: ")


class _Spectral(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.linalg.eigh(x @ x.transpose(-1, -2))[0]


class _Untraceable(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.spectral = _Spectral()
        self.num_classes = 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.spectral(self.conv(x).flatten(2)).flatten(1)[:, :4]


def test_untraceable_model_error_names_the_module(tmp_path: Path):
    config = {"architecture": "custom", "num_classes": 4,
              "pretrained_cfg": {"input_size": [3, 32, 32], "mean": [0.5] * 3, "std": [0.5] * 3, "crop_pct": 1.0,
                                 "interpolation": "bilinear"}}
    with pytest.raises(ValueError, match=r"linalg_eigh.*module 'spectral' \(_Spectral\)"):
        export_onnx(_Untraceable().eval(), config, tmp_path / "bad.onnx", log=lambda _: None)


# the timm families the recipes train (ResNet: Places-LT / ImageNet-LT, ResNeXt: ImageNet-LT; a ViT and a
# ConvNeXt for users' data), each with every registered head; ResNeXt shares timm's ResNet class (and its
# classifier path) with resnet18, so its 25M-parameter export runs in the slow step
RECIPE_FAMILIES = ("resnet18", pytest.param("resnext50_32x4d", marks=pytest.mark.slow), "vit_tiny_patch16_224",
                   "convnext_atto")


@pytest.mark.parametrize("head", ltzoo.models.list_heads())
@pytest.mark.parametrize("architecture", RECIPE_FAMILIES)
def test_every_head_on_every_recipe_family_round_trips(tmp_path: Path, architecture: str, head: str):
    """save_pretrained -> ltzoo.load -> ONNX: the head is read off the model (no head= to pass),
    rebuilt from config.json, and all three give the same outputs."""
    torch.manual_seed(0)
    model = ltzoo.create_model(architecture, num_classes=5, head=head).eval()
    save_pretrained(model, tmp_path, label_names=NAMES, class_counts=COUNTS)
    assert ltzoo.hub.read_config(tmp_path)["ltzoo"]["head"] == head
    predictor = ltzoo.load(tmp_path, device="cpu")
    assert type(predictor.model.get_classifier()) is type(model.get_classifier())
    x = torch.randn(2, *predictor.model.pretrained_cfg["input_size"])
    with torch.inference_mode():
        torch.testing.assert_close(predictor.model(x), model(x), rtol=0, atol=0)
    export_onnx(predictor.model, predictor.config, tmp_path / "model.onnx", log=lambda _: None)
    photos = sample_images()[:2]
    np.testing.assert_allclose(OnnxPredictor(tmp_path).predict_proba(photos), predictor.predict_proba(photos),
                               atol=1e-5)
