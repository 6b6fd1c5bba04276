"""The end-of-run evaluation: temperature on the validation split, the test split raw and under
the balanced prior (post-hoc logit adjustment for a model trained under the label prior)."""

from __future__ import annotations

import math

import torch

from ltzoo.training.final_report import evaluate_final


def _biased_logits(n_per_class: int, counts: torch.Tensor, generator: torch.Generator) -> tuple:
    """Balanced samples from a model whose logits carry the training prior, at temperature 1/3."""
    classes = len(counts)
    targets = torch.arange(classes).repeat_interleave(n_per_class)
    signal = 2.0 * torch.nn.functional.one_hot(targets, classes) + torch.randn(len(targets), classes, generator=generator)
    logits = 3.0 * (signal + torch.log(counts / counts.sum()))
    return logits, targets


def test_calibration_and_balanced_prior():
    generator = torch.Generator().manual_seed(0)
    counts = torch.tensor([500.0, 200.0, 50.0, 10.0])
    val = _biased_logits(300, counts, generator)
    test = _biased_logits(300, counts, generator)
    final = evaluate_final(val, test, counts, "train")
    temperature = final.calibration["temperature"]
    assert 2.0 < temperature < 4.5  # the logits were scaled by 3
    shift = torch.log(torch.full((4,), 0.25)) - torch.log(counts / counts.sum())
    torch.testing.assert_close(final.calibrated_logits, test[0] / temperature + shift.float())
    # removing the label prior helps the rare classes on a balanced test split
    assert final.test_calibrated["top1"] > final.test_raw["top1"]
    assert final.test_calibrated["few"] > final.test_raw["few"] or math.isnan(final.test_raw["few"])
    metrics = final.metrics()
    assert metrics["top1"] == final.test_raw["top1"] and metrics["top1_balanced"] == final.test_calibrated["top1"]
    assert metrics["ece_calibrated"] < final.test_raw["ece"]
    block = final.calibration_block()
    assert block["temperature"] == temperature and block["output_prior"] == "train"
    assert block["default_target_prior"] == "balanced"


def test_a_balanced_model_is_not_shifted():
    generator = torch.Generator().manual_seed(1)
    counts = torch.tensor([100.0, 10.0])
    val = _biased_logits(200, torch.ones(2), generator)
    test = _biased_logits(200, torch.ones(2), generator)
    final = evaluate_final(val, test, counts, "balanced")
    torch.testing.assert_close(final.calibrated_logits, test[0] / final.calibration["temperature"])
