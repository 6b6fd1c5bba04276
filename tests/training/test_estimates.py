"""Training-time estimates: epochs x training images at the backbone's reference rate, for the
stages a run trains; none where the data has no fixed size or the backbone no reference rate."""

from __future__ import annotations

import pytest

from ltzoo.training import resolve_config
from ltzoo.training.estimates import TRAIN_IMAGES_PER_S, gpu_hours, training_needs

TWO_STAGES = {"model": "resnet50", "dataset": "imagenet_lt", "stages": [{"epochs": 90}, {"epochs": 10}]}


def test_gpu_hours_count_the_stages_a_run_trains():
    expected = 100 * 115_846 / TRAIN_IMAGES_PER_S["resnet50"] / 3600
    assert gpu_hours(resolve_config(TWO_STAGES)) == pytest.approx(expected)
    later = resolve_config({**TWO_STAGES, "init_weights": "w.safetensors", "start_stage": 1})
    assert gpu_hours(later) == pytest.approx(expected / 10)
    tagged = resolve_config({**TWO_STAGES, "model": "resnet152.tv_in1k"})  # the pretrained tag is not the architecture
    assert gpu_hours(tagged) == pytest.approx(100 * 115_846 / TRAIN_IMAGES_PER_S["resnet152"] / 3600)


@pytest.mark.parametrize("recipe", [{"dataset": "cifar10_lt", "stages": [{}]}, {**TWO_STAGES, "model": "resnet18"}])
def test_no_estimate_without_a_dataset_size_or_a_reference_rate(recipe: dict):
    config = resolve_config(recipe)
    assert gpu_hours(config) is None
    assert "GPU-hours" not in training_needs(config) and training_needs(config).startswith("--data-dir holds")
