"""Prior-based logit adjustment: logit-adjusted loss (Menon et al., ICLR 2021) and
Balanced Softmax (Ren et al., NeurIPS 2020)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_choice, check_positive
from ..errors import InvalidArgumentError
from ._common import check_logits_target, counts_tensor, explain_nonfinite, upcast
from ._registry import register_loss


def posthoc_logit_adjust(logits: torch.Tensor, class_counts: Any, tau: float = 1.0) -> torch.Tensor:
    """Post-hoc logit adjustment (Menon et al. 2021, Eq. 9): ``z - tau * log(pi)``.

    Turns logits trained under the training prior ``pi = n / sum(n)`` into balanced-error
    predictions. Returns a new float32 tensor; the input is not modified.

    Example:
        >>> posthoc_logit_adjust(torch.zeros(1, 2), [90, 10]).argmax(1)
        tensor([1])
    """
    prior = counts_tensor(class_counts)
    prior = prior / prior.sum()
    if logits.ndim != 2 or logits.shape[1] != prior.numel():
        raise InvalidArgumentError(f"logits must be [batch, {prior.numel()}], got {tuple(logits.shape)}")
    return upcast(logits) - tau * torch.log(prior).to(logits.device)


@register_loss("logit_adjusted")
class LogitAdjustedLoss(nn.Module):
    """Logit-adjusted softmax CE (Menon et al. 2021, Eq. 10): ``CE(z + log(pi^tau + eps), y)``.

    ``eps`` (1e-12) is the reference code's guard inside the log. ``tau = 0`` is plain CE.

    Example:
        >>> LogitAdjustedLoss([90, 10])(torch.zeros(3, 2), torch.tensor([0, 1, 0]))  # -(2 log .9 + log .1) / 3
        tensor(0.8378)
    """

    def __init__(self, class_counts: Any, tau: float = 1.0, eps: float = 1e-12):
        super().__init__()
        counts = counts_tensor(class_counts).double()
        prior = counts / counts.sum()
        tau = check_positive(tau, "tau", allow_zero=True)
        self.register_buffer("log_prior_adjustment", torch.log(prior**tau + eps).float())
        self.num_classes = counts.numel()
        self.tau = tau

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_logits_target(logits, target, self.num_classes)
        return explain_nonfinite(F.cross_entropy(upcast(logits) + self.log_prior_adjustment, target), logits=logits)


@register_loss("balanced_softmax")
class BalancedSoftmaxLoss(nn.Module):
    """Balanced Softmax (Ren et al. 2020, Eq. 4): ``CE(z + log n_y, y)``.

    Example:
        >>> BalancedSoftmaxLoss([90, 10])(torch.zeros(3, 2), torch.tensor([0, 1, 0]))
        tensor(0.8378)
    """

    def __init__(self, class_counts: Any, reduction: str = "mean"):
        super().__init__()
        counts = counts_tensor(class_counts)
        self.register_buffer("log_counts", torch.log(counts))
        self.num_classes = counts.numel()
        self.reduction = check_choice(reduction, "reduction", ("mean", "sum", "none"))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_logits_target(logits, target, self.num_classes)
        loss = F.cross_entropy(upcast(logits) + self.log_counts, target, reduction=self.reduction)
        return explain_nonfinite(loss, logits=logits)
