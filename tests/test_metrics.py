"""Metrics against hand-computed cases and torchmetrics (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchmetrics.functional.classification import multiclass_calibration_error

from ltzoo.errors import InvalidArgumentError
from ltzoo.metrics import (
    LTMetricAccumulator,
    brier_score,
    confusion_matrix,
    expected_calibration_error,
    lt_report,
    topk_accuracy,
)


def test_hand_computed_report():
    # 3 classes; training counts make class 0 many, 1 medium, 2 few
    logits = torch.tensor([[5.0, 0, 0], [4, 0, 0], [0, 3, 0], [3, 0, 0], [0, 0, 2], [0, 2, 0]])
    targets = torch.tensor([0, 0, 1, 1, 2, 2])
    report = lt_report(logits, targets, [500, 50, 5])
    assert report["per_class_accuracy"] == [1.0, 0.5, 0.5]
    assert report["many"] == 1.0 and report["medium"] == 0.5 and report["few"] == 0.5
    assert report["top1"] == pytest.approx(2 / 3) and report["accuracy"] == pytest.approx(4 / 6)
    assert report["confusion_matrix"] == [[2, 0, 0], [1, 1, 0], [0, 1, 1]]
    probs = logits.double().softmax(1)
    expected_nll = -np.log(probs[torch.arange(6), targets].numpy()).mean()
    assert report["nll"] == pytest.approx(expected_nll)
    onehot = np.eye(3)[targets.numpy()]
    assert report["brier"] == pytest.approx(((probs.numpy() - onehot) ** 2).sum(1).mean())


def test_topk_and_confusion():
    logits = torch.tensor([[0.1, 0.5, 0.4], [0.9, 0.02, 0.08]])
    assert topk_accuracy(logits, torch.tensor([2, 1]), k=2) == 0.5
    assert topk_accuracy(logits, torch.tensor([2, 1]), k=5) == 1.0  # k capped at C
    assert confusion_matrix(torch.tensor([1, 0]), torch.tensor([2, 0]), 3).tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 0]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ece_matches_torchmetrics(seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(2000, 7, generator=gen) * 3
    targets = torch.randint(0, 7, (2000,), generator=gen)
    probs = logits.softmax(1)
    theirs = multiclass_calibration_error(probs, targets, num_classes=7, n_bins=15, norm="l1").item()
    assert expected_calibration_error(probs, targets) == pytest.approx(theirs, abs=1e-6)


def test_ece_hand_computed():
    probs = torch.tensor([[0.95, 0.05], [0.95, 0.05], [0.55, 0.45], [0.3, 0.7]])
    targets = torch.tensor([0, 1, 0, 1])
    # bins: 0.95 (2 samples, acc 0.5), 0.55 (1, acc 1), 0.7 (1, acc 1)
    expected = (2 * abs(0.95 - 0.5) + abs(0.55 - 1) + abs(0.7 - 1)) / 4
    assert expected_calibration_error(probs, targets) == pytest.approx(expected)
    assert brier_score(torch.eye(2), torch.tensor([0, 1])) == 0


def test_shot_group_ece_and_empty_groups():
    report = lt_report(torch.randn(20, 2), torch.arange(20) % 2, [500, 300])
    assert report["few"] is None and report["ece_few"] is None and report["many"] is not None


def test_accumulator_streams_batches():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 4, generator=gen)
    targets = torch.randint(0, 4, (50,), generator=gen)
    acc = LTMetricAccumulator([100, 50, 10, 1])
    for i in range(0, 50, 16):
        acc.update(logits[i:i + 16], targets[i:i + 16])
    assert acc.compute() == lt_report(logits, targets, [100, 50, 10, 1])


def test_bad_metric_input():
    with pytest.raises(InvalidArgumentError, match=r"\[0, 3\)"):
        lt_report(torch.zeros(2, 3), torch.tensor([0, 3]), [1, 1, 1])
    with pytest.raises(InvalidArgumentError, match="class_counts"):
        lt_report(torch.zeros(2, 3), torch.tensor([0, 1]), [1, 1])
    with pytest.raises(InvalidArgumentError, match=r"\[N, C\]"):
        expected_calibration_error(torch.zeros(3), torch.tensor([0]))
    with pytest.raises(InvalidArgumentError, match="no batch"):
        LTMetricAccumulator([1, 1]).compute()
