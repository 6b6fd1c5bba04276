"""One evaluation for models and predictors: batches, splits and predictor inputs give the same
logits the model computes directly, and the report is lt_report's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ltzoo.data import create_data
from ltzoo.errors import InvalidArgumentError
from ltzoo.evaluation import collect_logits, evaluate
from ltzoo.hub import save_pretrained
from ltzoo.loader import load
from ltzoo.metrics import lt_report
from ltzoo.models import create_model

COUNTS = [100, 50, 10, 1]


def test_a_model_over_batches_matches_its_direct_outputs():
    gen = torch.Generator().manual_seed(0)
    model = torch.nn.Linear(4, 4).train()
    inputs, targets = torch.randn(50, 4, generator=gen), torch.randint(0, 4, (50,), generator=gen)
    loader = [(inputs[i:i + 16], targets[i:i + 16]) for i in range(0, 50, 16)]
    report = evaluate(model, loader, COUNTS)
    with torch.no_grad():
        torch.testing.assert_close(report["logits"], model(inputs))
    assert model.training, "the model is put back in training mode"
    expected = lt_report(model(inputs).detach(), targets, COUNTS)
    # batched and whole-matrix logits may differ in the last bits (BLAS blocking), so the ECE to 1e-6
    assert report["num_samples"] == 50 and report["top1"] == expected["top1"]
    assert report["ece"] == pytest.approx(expected["ece"], abs=1e-6)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module, object]:
    """A small CIFAR ResNet saved as a checkpoint folder, and the synthetic data it is scored on."""
    torch.manual_seed(0)
    data = create_data("synthetic_lt", imbalance_ratio=10)
    model = create_model("resnet20_cifar", num_classes=data.num_classes).eval()
    folder = save_pretrained(model, tmp_path_factory.mktemp("ckpt") / "model", label_names=data.class_names,
                             class_counts=data.class_counts.tolist())
    return folder, model, data


def test_a_model_on_a_split_and_its_predictor_agree(checkpoint):
    folder, model, data = checkpoint
    predictor = load(folder, device="cpu")
    by_model, targets = collect_logits(model, data.test, batch_size=64, data_config=predictor.data_config)
    by_predictor, predictor_targets = collect_logits(predictor, data.test)
    assert torch.equal(targets, predictor_targets) and len(targets) == len(data.test)
    # the predictor resizes / normalises with PIL and torchvision, the split's batches in torch
    torch.testing.assert_close(by_predictor, by_model, atol=2e-3, rtol=1e-3)
    inputs_and_targets = (data.test.inputs()[:7], data.test.targets[:7])
    assert torch.equal(collect_logits(predictor, inputs_and_targets)[0], by_predictor[:7])
    report = evaluate(predictor, data.test, data.class_counts)
    assert report["num_samples"] == len(data.test) and np.isfinite(report["nll"])


def test_evaluation_mistakes_are_named(checkpoint):
    _, model, data = checkpoint
    with pytest.raises(InvalidArgumentError, match="data_config"):
        collect_logits(model, data.test)
    with pytest.raises(InvalidArgumentError, match="no batch"):
        collect_logits(model, [])
