"""Cross-entropy and focal loss, the baselines every long-tailed paper compares to."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_positive
from ._common import (
    ClassWeightMixin,
    check_logits_target,
    explain_nonfinite,
    focal_modulated_mean,
    optional_weight,
    upcast,
)
from ._registry import register_loss


@register_loss("ce")
class CrossEntropyLoss(ClassWeightMixin, nn.Module):
    """Softmax cross-entropy with validated inputs, computed in float32.

    Args:
        weight: optional per-class weights (torch's weighted mean).
        label_smoothing: as in ``torch.nn.functional.cross_entropy``.

    Example:
        >>> CrossEntropyLoss()(torch.zeros(2, 10), torch.tensor([1, 2]))  # log 10
        tensor(2.3026)
    """

    def __init__(self, weight: Any = None, label_smoothing: float = 0.0):
        super().__init__()
        self.register_buffer("weight", optional_weight(weight, None))
        self.label_smoothing = float(label_smoothing)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        num_classes = None if self.weight is None else self.weight.numel()
        check_logits_target(logits, target, num_classes)
        z = upcast(logits)
        loss = F.cross_entropy(z, target, weight=self.weight_like(z), label_smoothing=self.label_smoothing)
        return explain_nonfinite(loss, logits=logits)


@register_loss("focal")
class FocalLoss(ClassWeightMixin, nn.Module):
    """Focal loss on softmax CE (Lin et al. ICCV 2017), in LDAM-DRW's form.

    ``mean_i (1 - p_i)^gamma * CE_i`` with ``p_i = exp(-CE_i)``, where ``CE_i`` already includes
    the class weight (so ``p_i`` is not the true-class probability when a weight is given: this
    is what LDAM-DRW's ``focal_loss`` computes). ``detach_modulator=True`` stops the gradient
    through ``(1 - p_i)^gamma``, as GCL's reference does.

    Example:
        >>> FocalLoss(gamma=1.0)(torch.zeros(2, 10), torch.tensor([1, 2]))  # (1 - 0.1) log 10
        tensor(2.0723)
    """

    def __init__(self, gamma: float = 0.0, weight: Any = None, detach_modulator: bool = False):
        super().__init__()
        self.gamma = check_positive(gamma, "gamma", allow_zero=True)
        self.register_buffer("weight", optional_weight(weight, None))
        self.detach_modulator = bool(detach_modulator)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        num_classes = None if self.weight is None else self.weight.numel()
        check_logits_target(logits, target, num_classes)
        logits = upcast(logits)
        ce = F.cross_entropy(logits, target, weight=self.weight_like(logits), reduction="none")
        return explain_nonfinite(focal_modulated_mean(ce, self.gamma, self.detach_modulator), logits=logits)
