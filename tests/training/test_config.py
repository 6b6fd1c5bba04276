"""Recipe resolution: defaults, overrides from the command line, and bad keys or values."""

from __future__ import annotations

import pytest

from ltzoo.errors import InvalidArgumentError
from ltzoo.training import resolve_config

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
])
def test_bad_configuration(recipe, overrides, match):
    with pytest.raises(InvalidArgumentError, match=match):
        resolve_config(recipe, overrides)


def test_overrides_apply_to_all_or_one_stage():
    config = resolve_config(TWO_STAGES, ["epochs=7", "stages.1.lr=0.5", "seed=3", "loss_args={m: 0.2}"])
    assert [s["epochs"] for s in config["stages"]] == [7, 7]
    assert config["stages"][1]["lr"] == 0.5 and config["stages"][0]["lr"] == 0.05
    assert config["seed"] == 3 and config["stages"][0]["loss_args"] == {"m": 0.2}
