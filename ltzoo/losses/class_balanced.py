"""Class-Balanced loss by effective number of samples (Cui et al., CVPR 2019).

Follows the official TensorFlow code (richardaecn/class-balanced-loss ``cifar_main.py``),
whose reductions differ from the popular PyTorch ports: the softmax form is the mean of
per-sample weighted CE (not torch's weighted mean, which divides by the weight sum), and the
sigmoid/focal forms sum over samples and classes and divide by the number of positives (B),
not by B*C.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_choice, check_positive
from ..class_weights import effective_number_weights
from ._common import check_logits_target, explain_nonfinite, target_mask, upcast
from ._registry import register_loss

LOSS_TYPES = ("softmax", "sigmoid", "focal")


@register_loss("class_balanced")
class ClassBalancedLoss(nn.Module):
    """CB loss: per-class weights ``w_c = (1 - beta) / (1 - beta^n_c)`` normalised to sum C.

    * ``softmax``: ``mean_i w_{y_i} CE_i``.
    * ``sigmoid``: ``sum_{i,c} w_{y_i} BCE(z_ic, onehot_ic) / B``.
    * ``focal``: the sigmoid sum with the modulator
      ``exp(-gamma * y * z - gamma * log(1 + exp(-z)))`` (= ``(1 - p_t)^gamma``, computed stably).

    Args:
        class_counts: training images per class.
        beta: effective-number hyperparameter (0.9999 in the paper's CIFAR runs).
        gamma: focal exponent (used by ``focal`` only).
        loss_type: ``softmax``, ``sigmoid`` or ``focal``.

    Example:
        >>> loss_fn = ClassBalancedLoss([5000, 500, 50], loss_type="focal", gamma=0.5)
        >>> loss = loss_fn(torch.randn(4, 3), torch.tensor([0, 1, 2, 2]))
    """

    def __init__(self, class_counts: Any, beta: float = 0.9999, gamma: float = 1.0, loss_type: str = "softmax"):
        super().__init__()
        weights = effective_number_weights(class_counts, beta)
        self.register_buffer("class_weights", torch.as_tensor(weights, dtype=torch.float32))
        self.num_classes = len(weights)
        self.beta = float(beta)
        self.gamma = check_positive(gamma, "gamma", allow_zero=True)
        self.loss_type = check_choice(loss_type, "loss_type", LOSS_TYPES)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_logits_target(logits, target, self.num_classes)
        logits = upcast(logits)
        sample_weight = self.class_weights[target]
        if self.loss_type == "softmax":
            return explain_nonfinite((sample_weight * F.cross_entropy(logits, target, reduction="none")).mean(),
                                     logits=logits)
        onehot = target_mask(target, logits)
        bce = F.binary_cross_entropy_with_logits(logits, onehot, reduction="none")
        if self.loss_type == "focal" and self.gamma > 0:
            # log(1 + exp(-z)) = softplus(-z), stable for large |z|
            bce = torch.exp(-self.gamma * onehot * logits - self.gamma * F.softplus(-logits)) * bce
        return explain_nonfinite((sample_weight.unsqueeze(1) * bce).sum() / logits.shape[0], logits=logits)

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, beta={self.beta}, gamma={self.gamma}, loss_type={self.loss_type!r}"
