"""Zoo entries are data: every entry is well-formed and agrees with ltzoo/recipes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltzoo.zoo import get_entry, list_models

RECIPES = Path(__file__).resolve().parents[1] / "ltzoo" / "recipes"


@pytest.mark.parametrize("row", list_models(), ids=lambda r: r["name"])
def test_entry_schema_and_recipe(row):
    entry = get_entry(row["name"])
    assert entry.repo_id == f"ltzoo/{entry.name}" and entry.recipe == entry.name
    assert entry.architecture and entry.dataset and entry.method
    recipe = RECIPES / f"{entry.recipe}.yaml"
    assert recipe.is_file() == entry.recipe_ready, "flip recipe_ready when the recipe lands"
    if entry.is_published:
        assert len(entry.revision) == 40 and entry.sha256 and len(entry.sha256) == 64


@pytest.mark.parametrize("name", [r["name"] for r in list_models() if r["embedded"]])
def test_embedded_entry_matches_its_files(name):
    """An embedded entry's pinned sha256 and metrics are those of the shipped checkpoint."""
    import json

    from ltzoo.hub import sha256_of

    entry = get_entry(name)
    assert entry.sha256 == sha256_of(entry.embedded_path / "model.safetensors")
    config = json.loads((entry.embedded_path / "config.json").read_text())
    assert {"top1", "top1_balanced", "ece_calibrated"} <= set(entry.metrics)  # what `ltzoo list` and the README show
    assert config["ltzoo"]["recipe"]["name"] == name
    # num_classes is config.json's own key; repeated in model_args, transformers' TimmWrapper refuses the folder
    assert "num_classes" not in config["model_args"]
    from ltzoo.hub import load_model

    model, _ = load_model(entry.embedded_path, entry.sha256)
    assert entry.params_m == round(sum(p.numel() for p in model.parameters()) / 1e6, 3)


@pytest.mark.parametrize("row", [r for r in list_models() if r["recipe_ready"]], ids=lambda r: r["name"])
def test_entry_dataset_is_its_recipe_dataset(row):
    """The zoo's dataset title is the data registry's title of the recipe's dataset and ratio."""
    from ltzoo.data import dataset_entry
    from ltzoo.training import load_recipe_file, resolve_config

    config = resolve_config(load_recipe_file(RECIPES / f"{row['recipe']}.yaml"))
    assert row["dataset"] == dataset_entry(config["dataset"]).describe(config["imbalance_ratio"])


def test_every_zoo_recipe_is_listed():
    names = {r["name"] for r in list_models()}
    recipes = {p.stem for p in RECIPES.glob("*.yaml") if not p.stem.startswith("smoke")}
    assert recipes <= names


def test_embedded_entry_loads_by_name_without_network(tmp_path, monkeypatch):
    import shutil

    import ltzoo
    from ltzoo import zoo

    from .test_hub import make_folder

    folder = make_folder(tmp_path / "src")
    monkeypatch.setattr(zoo, "EMBEDDED_DIR", tmp_path / "embedded")
    shutil.copytree(folder, tmp_path / "embedded" / "focal-resnet32-cifar10lt")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    row = next(r for r in zoo.list_models(available_only=True) if r["name"] == "focal-resnet32-cifar10lt")
    assert row["embedded"] and not row["published"]
    predictor = ltzoo.load("focal-resnet32-cifar10lt", device="cpu")
    assert predictor.label_names == ["apple", "bee", "cat", "dog", "eel"]


def test_the_cifar10lt_reproductions_ship_inside_the_package():
    embedded = {r["name"] for r in list_models(available_only=True) if r["embedded"]}
    assert {"gcl-resnet32-cifar10lt", "ce-resnet32-cifar10lt", "ldam-drw-resnet32-cifar10lt",
            "cibl-resnet32-cifar10lt", "cb-focal-resnet32-cifar10lt", "scl-rsg-ldam-resnet32-cifar10lt"} <= embedded


@pytest.mark.slow
@pytest.mark.parametrize("name", [r["name"] for r in list_models() if r["embedded"]])
def test_embedded_metrics_reproduce_on_the_cifar10_test_split(name, cifar_root):
    """The pinned metrics are what the shipped weights score on the real test split, through the
    public predictor (its own preprocessing, not the trainer's)."""
    import torch

    import ltzoo
    from ltzoo.data import create_data
    from ltzoo.metrics import lt_report

    entry = get_entry(name)
    test = create_data("cifar10_lt", data_dir=str(cifar_root)).test
    predictor = ltzoo.load(name, device="cpu")
    predictor.batch_size = 500
    logits = predictor.logits(test.inputs())
    labels = torch.as_tensor(test.targets)
    raw = lt_report(logits, labels, predictor.class_counts)
    default = lt_report(predictor.calibrate(logits), labels, predictor.class_counts)
    for key in ("top1", "many", "medium"):
        assert raw[key] == pytest.approx(entry.metrics[key], abs=1e-4), key
    assert default["top1"] == pytest.approx(entry.metrics["top1_balanced"], abs=1e-4)
    assert default["ece"] == pytest.approx(entry.metrics["ece_calibrated"], abs=1e-3)


@pytest.mark.parametrize("name", ["ce-resnet32-cifar100lt", "gcl-resnet50-imagenetlt"])
def test_how_to_produce_names_the_commands_and_a_missing_recipe(name):
    entry = get_entry(name)
    command = f"python -m train {name} --data-dir DATA && ltzoo push runs/{name}/model ltzoo/{name}"
    how = entry.how_to_produce()
    assert how.endswith(command)
    assert ("is not written yet" in how) == (not entry.recipe_ready)
