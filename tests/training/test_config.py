"""Recipe resolution: defaults, overrides from the command line, and bad keys or values."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltzoo.errors import InvalidArgumentError, MissingFileError
from ltzoo.training import load_recipe_file, resolve_config

TWO_STAGES = {"stages": [{"lr": 0.05, "loss_args": {"m": 0.0}}, {"lr": 0.008, "train_scope": "classifier"}]}


@pytest.mark.parametrize("recipe,overrides,match", [
    ({"stages": [{"los": "ce"}]}, [], "Did you mean loss"),
    ({"modle": "x"}, [], "Did you mean model"),
    ({"seed": "zero"}, [], "seed must be a number"),
    ({"stages": [{}]}, ["epochs=ten"], "epochs must be a number"),
    ({"stages": [{}]}, ["epochs=1.5"], "integer"),
    ({"stages": [{}]}, ["stages.3.lr=0.1"], "1 stage"),
    ({"stages": [{}]}, ["lr"], "key=value"),
    ({"stages": [{}]}, ["learning_rate=0.1"], "unknown recipe option"),
    ({"amp": "yes"}, [], "true or false"),
    ({"mean": [0.5, 0.5]}, [], "mean must be a list of 3 numbers"),
    ({}, ["std=0.5"], "std must be a list of 3 numbers"),
    ({}, ["std=[0.5, 0, 0.5]"], "std must be positive"),
    ({"stages": [{}]}, ["epochs=0"], "stages.0.epochs must be a finite number >= 1, got 0"),
    ({"stages": [{}]}, ["batch_size=0"], "stages.0.batch_size must be a finite number >= 1"),
    ({"stages": [{}]}, ["lr=0"], "lr must be > 0"),
    ({"stages": [{}]}, ["lr=.nan"], "lr must be > 0"),
    ({"stages": [{}]}, ["momentum=1"], "momentum and drw_beta in \\[0, 1\\)"),
    ({"stages": [{}]}, ["weight_decay=-1e-4"], "weight_decay must be a finite number >= 0"),
    ({"stages": [{}]}, ["imbalance_ratio=0.5"], "imbalance_ratio must be a finite number >= 1"),
    ({"stages": [{}]}, ["eval_every=0"], "eval_every must be a finite number >= 1"),
    ({"stages": [{}]}, ["train_transform=pad_crop_flip", "train_transform_args={pad: 8}"],
     "train transform 'pad_crop_flip' has no option 'pad'. Did you mean padding"),
    ({"stages": [{}]}, ["train_transform_args={padding: 8}"], "train_transform_args needs train_transform"),
    ({"stages": [{}]}, ["train_transform=pad_crop_flip", "train_crop_scale=0.3"], "train_crop_scale sets timm"),
    ({"stages": [{}]}, ["crop_pct=1.5"], "crop_pct is a share in \\(0, 1\\]"),
    ({"stages": [{}]}, ["crop_pct=0"], "crop_pct must be a finite number >= 0.01"),
])
def test_bad_configuration(recipe, overrides, match):
    with pytest.raises(InvalidArgumentError, match=match):
        resolve_config(recipe, overrides)


def test_overrides_apply_to_all_or_one_stage():
    config = resolve_config(TWO_STAGES, ["epochs=7", "stages.1.lr=0.5", "seed=3", "loss_args={m: 0.2}"])
    assert [s["epochs"] for s in config["stages"]] == [7, 7]
    assert config["stages"][1]["lr"] == 0.5 and config["stages"][0]["lr"] == 0.05
    assert config["seed"] == 3 and config["stages"][0]["loss_args"] == {"m": 0.2}


def _write(folder: Path, **recipes: str) -> None:
    for name, text in recipes.items():
        (folder / f"{name}.yaml").write_text(text)


def test_a_recipe_inherits_its_base_and_replaces_what_it_names(tmp_path: Path):
    _write(tmp_path, a="name: a\nseed: 1\nimbalance_ratio: 100\nstages: [{loss: ce, epochs: 3}]\n",
           b="base: a\nname: b\nimbalance_ratio: 50\n",
           c="base: b\nname: c\nstages: [{loss: focal}]\n")
    b = resolve_config(load_recipe_file(tmp_path / "b.yaml"))
    a = resolve_config(load_recipe_file(tmp_path / "a.yaml"))
    assert (b["name"], b["imbalance_ratio"], b["seed"]) == ("b", 50, 1)
    assert b["stages"] == a["stages"]
    c = load_recipe_file(tmp_path / "c.yaml")  # a chain: c -> b -> a; stages replaced as a whole
    assert (c["name"], c["imbalance_ratio"], c["seed"], c["stages"]) == ("c", 50, 1, [{"loss": "focal"}])


@pytest.mark.parametrize("recipes,error,match", [
    ({"b": "base: missing\n"}, MissingFileError, "names base 'missing'"),
    ({"b": "base: [a]\n"}, InvalidArgumentError, "base must be the name of a recipe"),
    ({"b": "base: a\n", "a": "base: b\n"}, InvalidArgumentError, "cycle"),
    ({"b": "base: b\n"}, InvalidArgumentError, "cycle"),
    ({"b": "base: a\n", "a": "- not a mapping\n"}, InvalidArgumentError, "must be a YAML mapping"),
])
def test_bad_bases_are_named(tmp_path: Path, recipes: dict[str, str], error: type, match: str):
    _write(tmp_path, **recipes)
    with pytest.raises(error, match=match):
        load_recipe_file(tmp_path / "b.yaml")


def test_exponent_numbers_without_a_dot_are_numbers():
    """YAML 1.1 reads 1e-3 as a string; a numeric option takes it as the number it spells."""
    config = resolve_config({"stages": [{"lr": "5e-2"}]}, ["weight_decay=1e-4", "epochs=2e1"])
    stage = config["stages"][0]
    assert (stage["lr"], stage["weight_decay"], stage["epochs"]) == (0.05, 1e-4, 20)
