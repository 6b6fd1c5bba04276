"""Temperature scaling and prior shift."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ltzoo.calibration import fit_temperature, prior_log_ratio, prior_shift
from ltzoo.errors import InvalidArgumentError


@pytest.mark.parametrize("true_t", [0.5, 2.0, 4.0])
def test_temperature_recovers_a_known_temperature(true_t):
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(20000, 10, generator=gen, dtype=torch.float64) * 3
    # labels drawn from softmax(logits / true_t): the calibrated temperature is true_t
    targets = torch.multinomial((logits / true_t).softmax(1), 1, generator=gen).squeeze(1)
    result = fit_temperature(logits, targets)
    assert result["temperature"] == pytest.approx(true_t, rel=0.05)
    assert result["nll_after"] <= result["nll_before"] + 1e-12
    assert result["ece_after"] < 0.02


def test_temperature_with_prior_bias():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(20000, 4, generator=gen, dtype=torch.float64) * 2
    bias = torch.log(torch.tensor([0.7, 0.1, 0.1, 0.1], dtype=torch.float64))
    targets = torch.multinomial((logits / 1.5 + bias).softmax(1), 1, generator=gen).squeeze(1)
    assert fit_temperature(logits, targets, bias=bias)["temperature"] == pytest.approx(1.5, rel=0.05)


def test_prior_shift_formulas():
    counts = [90, 10]
    logits = torch.zeros(1, 2)
    torch.testing.assert_close(prior_shift(logits, counts).softmax(1), torch.tensor([[0.1, 0.9]]))
    torch.testing.assert_close(prior_shift(logits, counts, "train"), logits)
    torch.testing.assert_close(prior_shift(logits, counts, [1, 1], tau=0.0), torch.log(torch.tensor([[0.5, 0.5]])))
    ratio = prior_log_ratio("train", "balanced", counts)
    np.testing.assert_allclose(ratio.numpy(), np.log([0.5 / 0.9, 0.5 / 0.1]))
    assert prior_log_ratio("balanced", "balanced", counts).abs().max() == 0


def test_bad_calibration_input():
    with pytest.raises(InvalidArgumentError, match="target_prior"):
        prior_shift(torch.zeros(1, 2), [1, 1], "uniform")
    with pytest.raises(InvalidArgumentError, match="entries"):
        prior_shift(torch.zeros(1, 2), [1, 1], [1, 2, 3])
    with pytest.raises(InvalidArgumentError, match="N > 0"):
        fit_temperature(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    with pytest.raises(InvalidArgumentError, match="bias"):
        fit_temperature(torch.zeros(2, 3), torch.tensor([0, 1]), bias=torch.zeros(2))
