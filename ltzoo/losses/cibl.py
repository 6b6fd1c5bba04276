"""CIBL: class-instance balanced learning (Lavoie & Waslander, arXiv 2307.05322).

Per sample, a convex combination of cross-entropy and supervised contrastive loss, where the
contrastive share grows with how many instances of the sample's class the current batch holds:
classes that are common in the batch learn mostly by contrast (which does not favour them in
the classifier), rare ones mostly by CE.

The paper's exact weighting function could not be obtained offline; the weight is therefore a
pluggable function ``weight_fn(k, batch_size) -> w`` with the default
:func:`linear_batch_frequency`, ``w_i = (k_i - 1) / (B - 1)``, where ``k_i`` counts the batch
samples of class ``y_i`` (the sample included): 0 for a sample alone in its class (it has no
positive to contrast with), 1 for a batch of one class. The global knob ``contrastive_scale``
multiplies it (clamped to [0, 1]); raising it moves weight from CE to the contrastive term,
shifting accuracy from head to tail classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_positive
from ..errors import InvalidArgumentError
from ._common import check_logits_target, counts_tensor, explain_nonfinite, upcast
from ._registry import register_loss
from .contrastive import SupConLoss


def linear_batch_frequency(class_in_batch: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Default CIBL weight: ``(k - 1) / (B - 1)`` (0 when B = 1)."""
    if batch_size <= 1:
        return torch.zeros_like(class_in_batch, dtype=torch.float32)
    return (class_in_batch.float() - 1.0) / (batch_size - 1)


@register_loss("cibl")
class CIBLLoss(nn.Module):
    """``mean_i (1 - w_i) CE_i + w_i SupCon_i`` with ``w_i = clamp(scale * weight_fn(k_i, B), 0, 1)``.

    ``forward(logits [B, C], features [B, V, D], target [B])``: logits from the (cosine)
    classifier, multiplied by ``s`` before the cross-entropy; features the unit-norm
    projections of V views.

    Args:
        class_counts: training images per class (fixes C).
        temperature: SupCon temperature (also its base temperature).
        contrastive_scale: the global knob moving weight toward the contrastive term.
        weight_fn: maps (per-sample class count in the batch ``[B]``, B) to weights ``[B]``.
        s: logit scale (1 for logits that are already scaled; a cosine classifier's cosines need
            a scale such as 30, the NormedLinear convention).

    Example:
        >>> loss_fn = CIBLLoss([100, 10])
        >>> f = torch.nn.functional.normalize(torch.randn(4, 2, 8), dim=-1)
        >>> loss = loss_fn(torch.randn(4, 2), f, torch.tensor([0, 0, 0, 1]))
    """

    def __init__(
        self,
        class_counts: Any,
        temperature: float = 0.1,
        contrastive_scale: float = 1.0,
        weight_fn: Callable[[torch.Tensor, int], torch.Tensor] = linear_batch_frequency,
        s: float = 1.0,
    ):
        super().__init__()
        self.num_classes = counts_tensor(class_counts).numel()
        self.contrastive_scale = check_positive(contrastive_scale, "contrastive_scale", allow_zero=True)
        self.weight_fn = weight_fn
        self.s = check_positive(s, "s")
        self.supcon = SupConLoss(temperature=temperature, base_temperature=temperature, reduction="none")

    def contrastive_weights(self, target: torch.Tensor) -> torch.Tensor:
        """Per-sample weight of the contrastive term, ``[B]`` in [0, 1]."""
        class_in_batch = torch.bincount(target, minlength=self.num_classes)[target]
        weights = self.weight_fn(class_in_batch, target.numel())
        return (self.contrastive_scale * weights).clamp(0.0, 1.0)

    def forward(self, logits: torch.Tensor, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_logits_target(logits, target, self.num_classes)
        if features.ndim != 3 or features.shape[0] != logits.shape[0]:
            raise InvalidArgumentError(
                f"features must be [{logits.shape[0]}, views, dim], got {tuple(features.shape)}"
            )
        weights = self.contrastive_weights(target)
        ce = F.cross_entropy(self.s * upcast(logits), target, reduction="none")
        contrastive = self.supcon(features, target)
        return explain_nonfinite(((1.0 - weights) * ce + weights * contrastive).mean(), logits=logits)
