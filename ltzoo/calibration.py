"""Calibration: temperature scaling (Guo et al. ICML 2017) and prior-shift logit adjustment.

Fit on held-out logits, never on the test split.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from ._validation import as_distribution, resolve_prior
from .errors import InvalidArgumentError
from .metrics import expected_calibration_error


def fit_temperature(
    logits: torch.Tensor, targets: torch.Tensor, bias: torch.Tensor | None = None, max_iter: int = 100
) -> dict[str, float]:
    """Finds T > 0 minimising ``NLL(softmax(logits / T + bias))`` by LBFGS on ``log T`` in float64.

    ``bias`` (``[C]``, default 0) is a prior shift applied after the temperature, so T is fitted
    for the prior the held-out split has (e.g. ``log(1/C) - log(pi_output)`` on a balanced split).
    Returns ``temperature`` and NLL / ECE before (T = 1) and after.

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
    shift = torch.zeros(logits.shape[1], dtype=torch.float64) if bias is None else torch.as_tensor(bias).double().cpu()
    if shift.shape != (logits.shape[1],):
        raise InvalidArgumentError(f"bias must have {logits.shape[1]} entries, got shape {tuple(shift.shape)}")
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp() + shift, targets)
        loss.backward()
        return loss

    optimizer.step(closure)
    temperature = float(log_t.detach().exp())
    before = (logits + shift).softmax(1)
    after = (logits / temperature + shift).softmax(1)
    return {
        "temperature": temperature,
        "nll_before": float(F.cross_entropy(logits + shift, targets)),
        "nll_after": float(F.cross_entropy(logits / temperature + shift, targets)),
        "ece_before": expected_calibration_error(before, targets),
        "ece_after": expected_calibration_error(after, targets),
    }


def prior_log_ratio(output_prior: Any, target_prior: Any, train_counts: Any) -> torch.Tensor:
    """``log(pi_target) - log(pi_output)`` (float64, ``[C]``): the additive logit shift that moves
    predictions made under ``output_prior`` to ``target_prior`` (Menon et al. 2021, Eq. 9; the
    prior-shift formula of Saerens et al. 2002).

    Each prior is ``"train"`` (the training class counts), ``"balanced"`` (uniform) or C
    non-negative numbers (normalised here).
    """
    train = _as_distribution(train_counts, "train_counts")
    return torch.log(_resolve_prior(target_prior, train, "target_prior")) - torch.log(
        _resolve_prior(output_prior, train, "output_prior")
    )


def prior_shift(
    logits: torch.Tensor, train_prior: Any, target_prior: Any = "balanced", tau: float = 1.0
) -> torch.Tensor:
    """Moves logits trained under ``train_prior`` to ``target_prior``:
    ``z - tau * log(pi_train) + log(pi_target)``.

    ``train_prior``: class counts or probabilities; ``target_prior``: ``"balanced"`` (uniform),
    ``"train"`` or C non-negative numbers (normalised here).

    Example:
        >>> prior_shift(torch.zeros(1, 2), [90, 10]).softmax(1)
        tensor([[0.1000, 0.9000]])
    """
    train = _as_distribution(train_prior, "train_prior")
    if logits.shape[-1] != train.numel():
        raise InvalidArgumentError(f"logits have {logits.shape[-1]} classes, train_prior has {train.numel()}")
    shift = torch.log(_resolve_prior(target_prior, train, "target_prior")) - tau * torch.log(train)
    return logits.float() + shift.to(device=logits.device, dtype=torch.float32)


def _resolve_prior(prior: Any, train: torch.Tensor, name: str) -> torch.Tensor:
    return torch.as_tensor(resolve_prior(prior, train.numpy(), name))


def _as_distribution(values: Any, name: str) -> torch.Tensor:
    return torch.as_tensor(as_distribution(values, name))


def apply_calibration(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """``logits / temperature``, validated."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise InvalidArgumentError(f"temperature must be a finite number > 0, got {temperature!r}")
    return logits / temperature
