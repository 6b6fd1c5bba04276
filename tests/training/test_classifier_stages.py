"""Stage scopes: which parameters a stage trains and which modules stay frozen in eval mode."""

from __future__ import annotations

import pytest
import torch

from ltzoo.errors import InvalidArgumentError
from ltzoo.models import LearnableWeightScaling, create_model
from ltzoo.models.factory import set_classifier
from ltzoo.training.classifier_stages import StageModel


def _trainable(model: torch.nn.Module) -> set[str]:
    return {name.split(".")[0] for name, p in model.named_parameters() if p.requires_grad}


def test_partial_fine_tuning_trains_the_named_stage_and_the_classifier():
    model = create_model("resnet20_cifar", num_classes=5)
    stage = StageModel(model, "layer3").train()
    assert _trainable(model) == {"layer3", "fc"}
    assert not model.layer1.training and not model.bn1.training
    assert model.layer3.training and model.fc.training
    model(torch.randn(2, 3, 32, 32)).sum().backward()  # gradients reach only the trained part
    assert model.layer3[0].conv1.weight.grad is not None and model.layer2[0].conv1.weight.grad is None
    assert stage(torch.randn(2, 3, 32, 32)).shape == (2, 5)


def test_classifier_scope_and_lws_train_only_the_head():
    model = create_model("resnet20_cifar", num_classes=5)
    StageModel(model, "classifier").train()
    assert _trainable(model) == {"fc"} and not model.layer3.training
    set_classifier(model, LearnableWeightScaling(model.fc))
    StageModel(model, "classifier")
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.scales"]


def test_all_scope_trains_everything():
    model = create_model("resnet20_cifar", num_classes=5)
    StageModel(model, "all").train()
    assert all(p.requires_grad for p in model.parameters()) and model.layer1.training


@pytest.mark.parametrize("scope", ["layer9", "", "backbone"])
def test_unknown_scope_lists_the_modules(scope: str):
    with pytest.raises(InvalidArgumentError, match="top-level: conv1, bn1, act1, layer1, layer2, layer3, pool, fc"):
        StageModel(create_model("resnet20_cifar", num_classes=5), scope)
