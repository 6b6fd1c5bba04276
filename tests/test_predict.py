"""Predictor: input types, calibration and prior shift, batching, bad input; the zoo; the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import ltzoo
from ltzoo.calibration import prior_log_ratio
from ltzoo.cli import exit_status
from ltzoo.errors import CorruptFileError, InvalidArgumentError, MissingFileError, NotPublishedError, UnknownNameError
from ltzoo.export import sample_images

from .test_hub import COUNTS, NAMES, make_folder

PHOTO = np.asarray(Image.open(Path(__file__).parent / "assets" / "chelsea_64.png").convert("RGB"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_folder(tmp_path_factory.mktemp("pred") / "model")


@pytest.fixture(scope="module")
def predictor(folder: Path):
    return ltzoo.load(folder, device="cpu")


def test_every_input_type_gives_the_same_probabilities(predictor, tmp_path: Path):
    path = tmp_path / "img.png"
    Image.fromarray(PHOTO).save(path)
    inputs = [path, str(path), Image.fromarray(PHOTO), PHOTO, torch.from_numpy(PHOTO),
              torch.from_numpy(PHOTO).permute(2, 0, 1), PHOTO.astype(np.float32) / 255.0]
    probs = predictor.predict_proba(inputs)
    assert probs.shape == (len(inputs), 5)
    np.testing.assert_allclose(probs, np.repeat(probs[:1], len(inputs), axis=0), atol=1e-6)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)


def test_calibrate_is_what_predict_proba_applies(predictor):
    logits = predictor.logits(PHOTO)
    for prior in (None, "train", "balanced"):
        np.testing.assert_allclose(predictor.calibrate(logits, prior).softmax(1).numpy(),
                                   predictor.predict_proba(PHOTO, target_prior=prior), atol=1e-6)
    with pytest.raises(InvalidArgumentError, match=r"logits must have shape \[N, 5\]"):
        predictor.calibrate(logits[:, :3])


def test_modes_grayscale_rgba_16bit(predictor):
    gray = Image.fromarray(PHOTO.mean(2).astype(np.uint8))
    rgba = Image.fromarray(np.dstack([PHOTO, np.full(PHOTO.shape[:2], 255, np.uint8)]), mode="RGBA")
    g16 = PHOTO.mean(2).astype(np.uint16) * 257
    probs = predictor.predict_proba([gray, rgba, g16])
    np.testing.assert_allclose(probs[1], predictor.predict_proba(PHOTO)[0], atol=1e-6)  # opaque RGBA = RGB
    np.testing.assert_allclose(probs[0], probs[2], atol=1e-2)  # 16-bit gray ~ 8-bit gray


def test_calibration_and_prior_shift_formula(predictor):
    logits = predictor.logits(PHOTO)
    balanced = torch.as_tensor(predictor.predict_proba(PHOTO))
    expected = (logits / 1.7 + prior_log_ratio("train", "balanced", COUNTS).float()).softmax(1)
    torch.testing.assert_close(balanced, expected, atol=1e-6, rtol=0)
    train = torch.as_tensor(predictor.predict_proba(PHOTO, target_prior="train"))
    torch.testing.assert_close(train, (logits / 1.7).softmax(1), atol=1e-6, rtol=0)
    custom = predictor.predict_proba(PHOTO, target_prior=[1, 0, 0, 0, 0])
    assert custom[0, 0] == pytest.approx(1.0)


def test_predict_topk_structure_and_batching(folder: Path):
    predictor = ltzoo.load(folder, device="cpu")
    predictor.batch_size = 3
    images = [PHOTO] * 7
    results = predictor.predict(images, topk=2)
    assert len(results) == 7 and all(len(r) == 2 for r in results)
    top = results[0][0]
    assert set(top) == {"label", "index", "score"} and top["label"] == NAMES[top["index"]]
    assert results[0][0]["score"] >= results[0][1]["score"]
    assert len(predictor.predict(PHOTO, topk=50)[0]) == 5


def test_bad_inputs(predictor, tmp_path: Path):
    with pytest.raises(InvalidArgumentError, match="empty"):
        predictor.predict([])
    with pytest.raises(MissingFileError, match="nope.png"):
        predictor.predict(tmp_path / "nope.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(CorruptFileError, match="bad.png"):
        predictor.predict(tmp_path / "bad.png")
    with pytest.raises(InvalidArgumentError, match=r"\[0, 1\]"):
        predictor.predict(np.full((8, 8, 3), 3.0))
    with pytest.raises(InvalidArgumentError, match="HxW"):
        predictor.predict(np.zeros((8, 8, 7), dtype=np.uint8))
    with pytest.raises(InvalidArgumentError, match="topk"):
        predictor.predict(PHOTO, topk=0)
    with pytest.raises(InvalidArgumentError, match="topk must be an integer >= 1, got '3'"):
        predictor.predict(PHOTO, topk="3")
    with pytest.raises(InvalidArgumentError, match="NaN or inf pixels"):
        predictor.predict(np.full((8, 8, 3), np.nan))
    with pytest.raises(InvalidArgumentError, match="inputs must be"):
        predictor.predict([3.5])
    with pytest.raises(InvalidArgumentError, match="batch_size must be an integer >= 1, got 0"):
        type(predictor)(predictor.model, predictor.config, device="cpu", batch_size=0)


def test_zoo_lists_and_explains_unpublished_entries():
    names = [m["name"] for m in ltzoo.list_models()]
    assert "gcl-resnet50-imagenetlt" in names and "gcl-resnet32-cifar10lt" in names
    with pytest.raises(NotPublishedError, match="python -m train gcl-resnet50-imagenetlt"):
        ltzoo.load("gcl-resnet50-imagenetlt")
    with pytest.raises(UnknownNameError, match="Did you mean 'gcl-resnet32-cifar10lt'"):
        ltzoo.load("gcl-resnet32-cifar10")
    with pytest.raises(FileNotFoundError):
        ltzoo.load("./no/such/folder")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ltzoo", *args], capture_output=True, text=True)


def test_cli_list_predict_and_errors(folder: Path, tmp_path: Path):
    listing = _cli("list", "--json")
    assert listing.returncode == 0 and any(r["name"] == "gcl-resnet50-imagenetlt" for r in json.loads(listing.stdout))
    module_form = subprocess.run([sys.executable, "-m", "ltzoo.cli", "list", "--json"], capture_output=True, text=True)
    assert module_form.returncode == 0 and json.loads(module_form.stdout) == json.loads(listing.stdout)
    image = tmp_path / "cat.png"
    Image.fromarray(PHOTO).save(image)
    out = _cli("predict", str(image), "--model", str(folder), "--topk", "3", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows[0]["image"] == str(image) and len(rows[0]["predictions"]) == 3
    samples = _cli("predict", "--model", str(folder), "--json", "--topk", "1")
    assert samples.returncode == 0, samples.stderr
    assert [Path(r["image"]).name for r in json.loads(samples.stdout)] == [p.name for p in sample_images()]
    bad = _cli("predict", str(tmp_path / "missing.png"), "--model", str(folder))
    assert bad.returncode == 2 and "missing.png" in bad.stderr and bad.stderr.startswith("ltzoo: error: ")
    unknown = _cli("predict", str(image), "--model", "gcl-resnet32-cifar10")
    assert unknown.returncode == 2 and "Did you mean" in unknown.stderr


def test_exit_status_reports_user_errors_and_lets_bugs_raise(capsys):
    def missing() -> int:
        raise FileNotFoundError("no such folder: runs/x")

    assert exit_status("prog", lambda: 0) == 0
    assert exit_status("prog", missing) == 2
    assert capsys.readouterr().err == "prog: error: no such folder: runs/x\n"
    with pytest.raises(ZeroDivisionError):
        exit_status("prog", lambda: 1 // 0)


@pytest.mark.data
def test_cli_eval_writes_report_and_plots(folder: Path, cifar_root: Path, tmp_path: Path):
    mismatch = _cli("eval", str(folder), "--dataset", "cifar10_lt", "--data-dir", str(cifar_root), "--split", "val")
    assert mismatch.returncode == 2 and "predicts 5 classes" in mismatch.stderr
    torch.manual_seed(0)
    model = ltzoo.create_model("resnet20_cifar", num_classes=10)
    ten = ltzoo.save_pretrained(model, tmp_path / "ten", label_names=[str(i) for i in range(10)],
                                class_counts=[5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50])
    out = _cli("eval", str(ten), "--dataset", "cifar10_lt", "--data-dir", str(cifar_root), "--split", "val",
               "--output-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "calibrated" in out.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["raw"]["num_samples"] == 900
    assert (tmp_path / "reliability.png").stat().st_size > 1000
    assert (tmp_path / "per_class_accuracy.png").stat().st_size > 1000


def test_cli_eval_on_a_split_list(folder: Path, tmp_path: Path):
    lines = []
    for cls in range(5):
        for i in range(2):
            path = tmp_path / "imgs" / f"{cls}_{i}.png"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(np.roll(PHOTO, 7 * cls + i, axis=1)).save(path)
            lines.append(f"imgs/{path.name} {cls}")
    (tmp_path / "test.txt").write_text("\n".join(lines) + "\n")
    out = _cli("eval", str(folder), "--list-file", str(tmp_path / "test.txt"), "--image-root", str(tmp_path),
               "--output-dir", str(tmp_path / "report"))
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["raw"]["num_samples"] == 10 and len(report["raw"]["per_class_accuracy"]) == 5
