"""A recipe as a template: the schedule scaled to another length, the run named after what it trains."""

from __future__ import annotations

import pytest

from ltzoo.errors import InvalidArgumentError
from ltzoo.recipes import list_recipes, recipe_path
from ltzoo.training import load_recipe_file, resolve_config
from ltzoo.training.templates import run_name, scale_epochs


@pytest.mark.parametrize("recipe", [r for r in list_recipes() if not r.startswith("smoke")])
@pytest.mark.parametrize("epochs", [1, 20, 400])
def test_every_recipe_scales_to_any_length_and_stays_valid(recipe: str, epochs: int):
    config = resolve_config(load_recipe_file(str(recipe_path(recipe))))
    scaled = scale_epochs(config, epochs)
    trained = [s for s in scaled["stages"] if s["type"] == "train"]
    assert trained[0]["epochs"] == epochs
    for before, after in zip(config["stages"], scaled["stages"]):
        if after["type"] != "train":
            assert after == before
            continue
        assert after["epochs"] >= 1 and all(m >= 1 for m in after["lr_milestones"])
        assert after["lr_milestones"] == sorted(after["lr_milestones"])
    resolve_config({k: v for k, v in scaled.items()})  # still a valid recipe


def test_scaling_keeps_the_schedule_in_proportion():
    config = resolve_config(load_recipe_file(str(recipe_path("ldam-drw-resnet32-cifar10lt"))))
    stage = scale_epochs(config, 20)["stages"][0]
    assert (stage["epochs"], stage["lr_milestones"], stage["drw_epoch"], stage["warmup_epochs"]) == (20, [16, 18], 16, 0)
    with pytest.raises(InvalidArgumentError, match="epochs must be an integer >= 1"):
        scale_epochs(config, 0)


def test_a_run_on_other_data_or_another_model_is_named_after_it():
    recipe = load_recipe_file(str(recipe_path("gcl-resnet32-cifar10lt")))
    config = resolve_config(recipe)
    assert run_name(config, recipe) == "gcl-resnet32-cifar10lt"
    assert run_name(resolve_config(recipe, ["model=resnet18.a1_in1k"]), recipe) == "gcl-resnet18-cifar10-lt"
    own = resolve_config(recipe, ["dataset=images", "data_dir=/home/me/Flower Photos/", "model=convnext_atto"])
    assert run_name(own, recipe) == "gcl-convnext-atto-flower-photos"
