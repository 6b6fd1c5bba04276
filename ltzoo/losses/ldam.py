"""LDAM loss and deferred re-weighting (Cao et al., NeurIPS 2019; reference kaidic/LDAM-DRW)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._validation import as_class_counts, check_positive
from ..class_weights import effective_number_weights, inverse_frequency_weights
from ..errors import UnknownNameError
from ._common import (
    ClassWeightMixin,
    check_logits_target,
    counts_tensor,
    explain_nonfinite,
    optional_weight,
    upcast,
)
from ._registry import register_loss

CLASS_WEIGHTINGS = {"effective_number": effective_number_weights, "inverse_frequency": inverse_frequency_weights}


def drw_weights(class_counts: Any, epoch: int, drw_epoch: int = 160, beta: float = 0.9999) -> np.ndarray:
    """The deferred re-weighting schedule of LDAM-DRW: ones before ``drw_epoch``, then
    :func:`effective_number_weights` with ``beta`` (the reference's ``betas = [0, beta]``)."""
    if epoch < drw_epoch:
        return np.ones(len(as_class_counts(class_counts)))
    return effective_number_weights(class_counts, beta)


@register_loss("ldam")
class LDAMLoss(ClassWeightMixin, nn.Module):
    """Label-distribution-aware margin loss (Cao et al. 2019, Eq. 13).

    ``m_c = max_m * n_c^(-1/4) / max_k n_k^(-1/4)``; loss ``CE(s * (z - m_y onehot_y), y, weight)``.
    Takes cosines from a cosine classifier (the reference's ``NormedLinear``); the class weight
    can be changed during training (``set_weight``, used by DRW). ``weight`` is per-class values
    or the name of a weighting of the class counts (``CLASS_WEIGHTINGS``: ``effective_number``
    with beta 0.9999, ``inverse_frequency``), so a recipe can follow the counts it trains on.

    Example:
        >>> loss_fn = LDAMLoss([5000, 500, 50])
        >>> loss = loss_fn(torch.rand(4, 3), torch.tensor([0, 1, 2, 2]))
    """

    def __init__(self, class_counts: Any, max_m: float = 0.5, s: float = 30.0, weight: Any = None):
        super().__init__()
        counts = counts_tensor(class_counts).double()
        margins = 1.0 / torch.sqrt(torch.sqrt(counts))
        margins = margins * (check_positive(max_m, "max_m", allow_zero=True) / margins.max())
        self.register_buffer("m_list", margins.float())
        if isinstance(weight, str):
            if weight not in CLASS_WEIGHTINGS:
                raise UnknownNameError("class weighting", weight, CLASS_WEIGHTINGS)
            weight = CLASS_WEIGHTINGS[weight](counts.numpy())
        self.register_buffer("weight", optional_weight(weight, counts.numel()))
        self.num_classes = counts.numel()
        self.s = check_positive(s, "s")

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_logits_target(logits, target, self.num_classes)
        logits = upcast(logits)
        margins = (-self.s * self.m_list[target]).to(logits.dtype).view(-1, 1)
        z = (self.s * logits).scatter_add_(1, target.view(-1, 1), margins)  # s * (z - m_y onehot_y)
        return explain_nonfinite(F.cross_entropy(z, target, weight=self.weight_like(z)), logits=logits)
