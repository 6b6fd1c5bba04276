"""Calibration: temperature scaling (Guo et al. ICML 2017) and prior-shift logit adjustment.

Fit on held-out logits, never on the test split.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .errors import InvalidArgumentError
from .metrics import expected_calibration_error


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor, max_iter: int = 100) -> dict[str, float]:
    """Finds T > 0 minimising ``NLL(softmax(logits / T))`` by LBFGS on ``log T`` in float64.

    Returns ``temperature`` and NLL / ECE before and after.

    Example:
        >>> logits = torch.randn(1000, 5) * 4; targets = torch.distributions.Categorical(logits=logits / 4).sample()
        >>> round(fit_temperature(logits, targets)["temperature"], 0)  # doctest: +SKIP
        4.0
    """
    # clones: the inputs may be inference-mode tensors, which autograd cannot save
    logits = logits.detach().cpu().to(torch.float64, copy=True)
    targets = targets.detach().cpu().to(torch.long, copy=True)
    if logits.ndim != 2 or targets.shape != (logits.shape[0],) or logits.shape[0] == 0:
        raise InvalidArgumentError(f"need logits [N, C] and targets [N] with N > 0, got {tuple(logits.shape)}, {tuple(targets.shape)}")
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), targets)
        loss.backward()
        return loss

    optimizer.step(closure)
    temperature = float(log_t.detach().exp())
    before = logits.softmax(1)
    after = (logits / temperature).softmax(1)
    return {
        "temperature": temperature,
        "nll_before": float(F.cross_entropy(logits, targets)),
        "nll_after": float(F.cross_entropy(logits / temperature, targets)),
        "ece_before": expected_calibration_error(before, targets),
        "ece_after": expected_calibration_error(after, targets),
    }


def prior_shift(
    logits: torch.Tensor, train_prior: Any, target_prior: Any = "balanced", tau: float = 1.0
) -> torch.Tensor:
    """Moves logits trained under ``train_prior`` to ``target_prior``:
    ``z - tau * log(pi_train) + log(pi_target)``.

    ``train_prior``: class counts or probabilities; ``target_prior``: ``"balanced"`` (uniform),
    ``"train"`` (no change) or C non-negative numbers (normalised here).
    """
    train = _as_distribution(train_prior, "train_prior")
    num_classes = train.numel()
    if logits.shape[-1] != num_classes:
        raise InvalidArgumentError(f"logits have {logits.shape[-1]} classes, train_prior has {num_classes}")
    if isinstance(target_prior, str):
        if target_prior == "train":
            return logits.float() - (tau - 1.0) * torch.log(train).to(logits.device).float()
        if target_prior != "balanced":
            raise InvalidArgumentError(f"target_prior must be 'balanced', 'train' or C numbers, got {target_prior!r}")
        target = torch.full((num_classes,), 1.0 / num_classes, dtype=torch.float64)
    else:
        target = _as_distribution(target_prior, "target_prior")
        if target.numel() != num_classes:
            raise InvalidArgumentError(f"target_prior must have {num_classes} entries, got {target.numel()}")
    shift = -tau * torch.log(train) + torch.log(target)
    return logits.float() + shift.to(device=logits.device, dtype=torch.float32)


def _as_distribution(values: Any, name: str) -> torch.Tensor:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0) or arr.sum() <= 0:
        raise InvalidArgumentError(f"{name} must be C non-negative finite numbers with a positive sum, got {arr[:10]}")
    return torch.as_tensor(arr / arr.sum())


def apply_calibration(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """``logits / temperature``, validated."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise InvalidArgumentError(f"temperature must be a finite number > 0, got {temperature!r}")
    return logits / temperature
