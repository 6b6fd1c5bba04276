"""The checkpoint folder: save -> ltzoo.load / timm round trips, the card, safe loading."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
from huggingface_hub import ModelCard
from safetensors.torch import save_file

import ltzoo
from ltzoo.errors import (
    ChecksumMismatchError,
    CorruptFileError,
    InvalidArgumentError,
    MissingFileError,
    StorageFullError,
    UnsafeCheckpointError,
)
from ltzoo.hub import load_model, read_config, save_pretrained, sha256_of
from ltzoo.images import sample_images

COUNTS = [50, 30, 20, 10, 5]
NAMES = ["apple", "bee", "cat", "dog", "eel"]


def make_folder(path: Path, architecture: str = "resnet20_cifar", head: str = "linear", **kwargs) -> Path:
    torch.manual_seed(0)
    model = ltzoo.create_model(architecture, num_classes=5, head=head)
    return save_pretrained(
        model, path, label_names=NAMES, class_counts=COUNTS, method="ce",
        calibration={"temperature": 1.7, "output_prior": "train"},
        metrics={"top1": 0.5, "many": 0.9, "medium": 0.4, "few": 0.1, "top1_balanced": 0.6, "ece_calibrated": 0.03},
        recipe={"name": "test-recipe", "dataset": "cifar10_lt", "imbalance_ratio": 100}, **kwargs,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_folder(tmp_path_factory.mktemp("ckpt") / "model")


def test_folder_layout_and_clean_config(folder: Path):
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    config = read_config(folder)
    assert "num_classes" not in config["model_args"] and config["num_classes"] == 5  # once, for transformers
    assert config["architecture"] == "resnet20_cifar" and config["label_names"] == NAMES
    assert config["ltzoo"]["class_counts"] == COUNTS and config["ltzoo"]["calibration"]["temperature"] == 1.7
    assert not {"license", "paper_ids", "hf_hub_id", "url", "test_input_size"} & set(config["pretrained_cfg"])


def test_timm_resnet50_config_does_not_leak_tag_metadata(tmp_path: Path):
    model = timm.create_model("resnet50", num_classes=5)
    save_pretrained(model, tmp_path, label_names=NAMES, class_counts=COUNTS)
    cfg = read_config(tmp_path)["pretrained_cfg"]
    assert "license" not in cfg and "paper_ids" not in cfg and "test_input_size" not in cfg and "hf_hub_id" not in cfg
    assert cfg["input_size"] == [3, 224, 224] and cfg["interpolation"] == "bicubic"


def test_card_parses_back_with_metrics(folder: Path):
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "timm" and "ltzoo" in card.data.tags
    values = {r.metric_name: r.metric_value for r in card.data.eval_results}
    assert values["Top-1 (All, mean per-class), raw outputs"] == 50.0 and values["Top-1 few-shot (<20)"] == 10.0
    assert values["ECE, calibrated (15 bins)"] == 3.0
    assert values["Top-1 (All) as ltzoo predicts by default (calibrated, balanced prior)"] == 60.0
    assert "python -m train test-recipe" in card.text
    assert "Departures from the reference" not in card.text  # the recipe states none


def test_card_states_where_the_recipe_departs_from_its_reference(tmp_path: Path):
    from ltzoo.card import model_card

    config = read_config(make_folder(tmp_path))
    config["ltzoo"]["recipe"]["deviations"] = "The weighting\n  function is ours."
    assert "## Departures from the reference\n\nThe weighting function is ours.\n" in model_card(config)


@pytest.mark.parametrize("head", ["linear", "cosine"])
def test_save_then_ltzoo_load_and_timm_give_identical_logits(tmp_path: Path, head: str):
    path = make_folder(tmp_path / head, head=head)
    torch.manual_seed(0)
    original = ltzoo.create_model("resnet20_cifar", num_classes=5, head=head).eval()
    x = torch.randn(4, 3, 32, 32)
    predictor = ltzoo.load(path, device="cpu")
    via_timm = timm.create_model(f"local-dir:{path}", pretrained=True).eval()
    with torch.inference_mode():
        expected = original(x)
        torch.testing.assert_close(predictor.model(x), expected, rtol=0, atol=0)
        torch.testing.assert_close(via_timm(x), expected, rtol=0, atol=0)


def test_plain_timm_loads_a_linear_head_checkpoint_without_ltzoo(tmp_path: Path):
    model = timm.create_model("resnet18", num_classes=5).eval()
    save_pretrained(model, tmp_path, label_names=NAMES, class_counts=COUNTS)
    x = torch.randn(1, 3, 64, 64)
    torch.save(x, tmp_path / "x.pt")
    with torch.inference_mode():
        expected = model(x).numpy()
    code = (
        "import sys, timm, torch, numpy as np\n"
        f"m = timm.create_model('local-dir:{tmp_path}', pretrained=True).eval()\n"
        "assert 'ltzoo' not in sys.modules\n"
        f"x = torch.load('{tmp_path / 'x.pt'}', weights_only=True)\n"
        f"np.save('{tmp_path / 'out.npy'}', m(x).detach().numpy())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)


@pytest.mark.parametrize("architecture, head, how", [
    ("resnet18", "linear", "Plain timm loads this checkpoint"),
    ("resnet20_cifar", "cosine", "`import ltzoo` first"),
    ("resnet18", "cosine", 'ltzoo.load("PATH/TO/FOLDER").model'),
])
def test_card_says_how_timm_gets_the_model_for_each_head(tmp_path: Path, architecture: str, head: str, how: str):
    save_pretrained(ltzoo.create_model(architecture, num_classes=5, head=head), tmp_path, label_names=NAMES,
                    class_counts=COUNTS)
    assert how in (tmp_path / "README.md").read_text()


def test_a_classifier_no_head_builds_is_refused_by_name(tmp_path: Path):
    model = ltzoo.create_model("resnet20_cifar", num_classes=5)
    model.fc = ltzoo.models.LearnableWeightScaling(model.fc)
    with pytest.raises(InvalidArgumentError, match="LearnableWeightScaling.*fold_lws"):
        save_pretrained(model, tmp_path / "lws", label_names=NAMES, class_counts=COUNTS)
    assert not (tmp_path / "lws").exists()


def test_sha256_pin_is_verified(folder: Path):
    good = sha256_of(folder / "model.safetensors")
    load_model(folder, sha256=good)
    with pytest.raises(ChecksumMismatchError, match="sha256"):
        load_model(folder, sha256="0" * 64)


def test_pickle_only_checkpoint_is_refused(tmp_path: Path, folder: Path):
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    torch.save({"fc.weight": torch.zeros(1)}, tmp_path / "pytorch_model.bin")
    with pytest.raises(UnsafeCheckpointError, match="unpickle"):
        ltzoo.load(tmp_path)


def test_missing_weights_and_config(tmp_path: Path, folder: Path):
    with pytest.raises(MissingFileError, match="config.json"):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    with pytest.raises(MissingFileError, match="model.safetensors"):
        load_model(tmp_path)
    save_file({"junk": torch.zeros(1)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(CorruptFileError, match="(?s)does not fit the model config.json describes.*Missing key"):
        load_model(tmp_path)


@pytest.mark.parametrize("edit,match", [
    (lambda c: (c.update(num_classes=7, label_names=[str(i) for i in range(7)]),
                c["ltzoo"].update(class_counts=[9] * 7)), "(?s)does not fit .*7 classes.*size mismatch"),
    (lambda c: c.update(num_classes=7), "label_names must list num_classes=7"),
    (lambda c: c["ltzoo"].update(class_counts=[5, 4]), "class_counts must hold num_classes=5"),
    (lambda c: c["ltzoo"].update(class_counts=[5, 4, 0, 2, 1]), "class_counts"),
    (lambda c: c.update(num_classes="5"), "num_classes must be an integer >= 1"),
    (lambda c: c.update(architecture=None), "architecture must be a model name"),
    (lambda c: c.update(ltzoo=[1, 2]), "'ltzoo' block must be a JSON object"),
])
def test_an_inconsistent_config_is_named_before_anything_is_built(tmp_path: Path, folder: Path, edit, match: str):
    """One validation layer for checkpoint configs: a mismatch is a CorruptFileError naming config.json
    (or the weights that do not fit it), never torch's state_dict traceback."""
    target = tmp_path / "edited"
    shutil.copytree(folder, target)
    config = json.loads((target / "config.json").read_text())
    edit(config)
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(CorruptFileError, match=match):
        ltzoo.load(target, device="cpu")


def test_save_rejects_mismatched_labels(tmp_path: Path):
    model = ltzoo.create_model("resnet20_cifar", num_classes=5)
    with pytest.raises(ValueError, match="label_names"):
        save_pretrained(model, tmp_path, label_names=NAMES[:3], class_counts=COUNTS)


def test_save_is_staged_then_moved(tmp_path: Path):
    make_folder(tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging")]
    json.loads((tmp_path / "config.json").read_text())


def test_channels_last_model_saves_and_is_left_untouched(tmp_path: Path):
    model = ltzoo.create_model("resnet20_cifar", num_classes=5).to(memory_format=torch.channels_last)
    save_pretrained(model, tmp_path, label_names=NAMES, class_counts=COUNTS)
    assert not model.conv1.weight.is_contiguous()  # the caller's model keeps its layout
    x = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        torch.testing.assert_close(ltzoo.load(tmp_path, device="cpu").model(x), model.eval()(x))


@pytest.mark.parametrize("temperature", [0, -1.5, float("nan"), float("inf"), "1.0", True, None])
def test_a_temperature_that_is_not_a_finite_positive_number_is_refused(tmp_path: Path, folder: Path,
                                                                       temperature: object):
    """Saving refuses it, and a config.json that holds one fails on load (the torch predictor, the
    ONNX export) instead of giving NaN or inverted probabilities."""
    model = ltzoo.create_model("resnet20_cifar", num_classes=5)
    with pytest.raises(InvalidArgumentError, match="temperature'\\] must be a finite number > 0"):
        save_pretrained(model, tmp_path / "bad", label_names=NAMES, class_counts=COUNTS,
                        calibration={"temperature": temperature})
    assert not (tmp_path / "bad" / "config.json").exists()
    copy = tmp_path / "edited"
    shutil.copytree(folder, copy)
    config = json.loads((copy / "config.json").read_text())
    config["ltzoo"]["calibration"]["temperature"] = temperature
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(CorruptFileError, match="ltzoo.calibration.temperature must be a finite number > 0"):
        ltzoo.load(copy, device="cpu")


def test_saving_over_a_checkpoint_replaces_it_whole(tmp_path: Path, folder: Path):
    """Files that describe the older weights (its ONNX twin, report, plots) do not survive."""
    target = tmp_path / "model"
    shutil.copytree(folder, target)
    for name in ("model.onnx", "report.json", "reliability.png"):
        (target / name).write_text("the older model's")
    torch.manual_seed(1)
    model = ltzoo.create_model("resnet20_cifar", num_classes=5)
    save_pretrained(model, target, label_names=NAMES, class_counts=COUNTS)
    assert sorted(p.name for p in target.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no staging or swapped-out folder left
    assert read_config(target)["ltzoo"]["calibration"] == {"temperature": 1.0}


def test_a_folder_with_other_files_is_refused_untouched(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    model = ltzoo.create_model("resnet20_cifar", num_classes=5)
    with pytest.raises(InvalidArgumentError, match="notes.txt.*nothing was changed"):
        save_pretrained(model, tmp_path, label_names=NAMES, class_counts=COUNTS)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_failed_save_leaves_the_old_checkpoint_and_no_leftovers(tmp_path: Path, folder: Path, monkeypatch):
    target = tmp_path / "model"
    shutil.copytree(folder, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    (tmp_path / ".model.staging-killed").mkdir()  # what a SIGKILL during an earlier save left

    def card_fails(*args, **kwargs):  # the disk fills up while the folder is staged
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("ltzoo.card.model_card", card_fails)
    with pytest.raises(StorageFullError, match="writing .*model failed: no space left on its disk .* the previous "
                                               "model is kept"):
        save_pretrained(ltzoo.create_model("resnet20_cifar", num_classes=5), target, label_names=NAMES,
                        class_counts=COUNTS)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


TRANSFORMERS_PIPELINE = """
import json, sys, numpy as np
import ltzoo  # registers the CIFAR ResNets and heads with timm before transformers imports it
from PIL import Image
from transformers import pipeline
from ltzoo.images import sample_images
pipe = pipeline("image-classification", model={folder!r}, device="cpu")
names = json.load(open({folder!r} + "/config.json"))["label_names"]
out = pipe([Image.open(p).convert("RGB") for p in sample_images()], top_k=len(names))
np.save({out!r}, np.array([[{{r["label"]: r["score"] for r in row}}[n] for n in names] for row in out]))
"""


@pytest.mark.parametrize("architecture, head, timm_builds_it", [
    ("resnet20_cifar", "linear", True), ("resnet20_cifar", "cosine", True), ("resnet18", "linear", True),
    ("resnet18", "cosine", False),  # timm's ResNet takes no head argument: ltzoo serves it, timm cannot
])
def test_a_folded_checkpoint_gives_plain_timm_and_transformers_the_calibrated_scores(
        tmp_path: Path, architecture: str, head: str, timm_builds_it: bool):
    source = make_folder(tmp_path / "source", architecture=architecture, head=head)
    before = (source / "model.safetensors").read_bytes()
    folded = ltzoo.hub.fold_checkpoint(source, tmp_path / "folded")
    assert (source / "model.safetensors").read_bytes() == before
    config = read_config(folded)
    assert config["ltzoo"]["calibration"]["folded"] == {"temperature": 1.7, "output_prior": "train",
                                                        "target_prior": "balanced"}
    photos = sample_images()
    original, served = ltzoo.load(source, device="cpu"), ltzoo.load(folded, device="cpu")
    for prior in ("balanced", "train"):  # nothing applied twice, and other priors still reachable
        np.testing.assert_allclose(served.predict_proba(photos, target_prior=prior),
                                   original.predict_proba(photos, target_prior=prior), atol=1e-5)
    with pytest.raises(InvalidArgumentError, match="already folded"):
        ltzoo.hub.fold_checkpoint(folded, tmp_path / "twice")
    if not timm_builds_it:
        return
    plain = timm.create_model(f"local-dir:{folded}", pretrained=True).eval()
    with torch.inference_mode():
        raw = plain(served.preprocess(photos)).softmax(1).numpy()
    np.testing.assert_allclose(raw, original.predict_proba(photos), atol=1e-5)
    pytest.importorskip("transformers")
    out = subprocess.run([sys.executable, "-c", TRANSFORMERS_PIPELINE.format(folder=str(folded),
                                                                             out=str(tmp_path / "tf.npy"))],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "tf.npy"), original.predict_proba(photos), atol=1e-5)
