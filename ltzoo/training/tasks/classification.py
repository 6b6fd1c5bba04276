"""Plain classification: ``loss_fn(model(x), y)``, with mixup as the CIFAR-LT references use it."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .base import Task, register_task


def mixup_batch(
    images: torch.Tensor, targets: torch.Tensor, alpha: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixup (Zhang et al. ICLR 2018) as the CIFAR-LT reference codes apply it: one
    ``lam ~ Beta(alpha, alpha)`` per batch, a random permutation partner per sample.

    Draws from torch's global generator (saved in training checkpoints). ``lam`` stays a 0-dim
    tensor: as a Python float, ``torch.compile`` would specialise the step on its value and
    recompile every batch (the eager result is the same either way)."""
    lam = torch.distributions.Beta(alpha, alpha).sample() if alpha > 0 else torch.tensor(1.0)
    perm = torch.randperm(images.shape[0]).to(images.device)
    mixed = lam * images + (1.0 - lam) * images[perm]
    return mixed, targets, targets[perm], lam


@register_task("classification")
class ClassificationTask(Task):
    """``loss_fn(model(x), y)``, with the reference's mixup criterion
    ``lam * L(out, y_a) + (1 - lam) * L(out, y_b)`` when ``mixup_alpha > 0``."""

    def __init__(self, model: nn.Module, loss_fn: nn.Module, class_counts: Any = None, mixup_alpha: float = 0.0):
        super().__init__(model, loss_fn)
        self.mixup_alpha = float(mixup_alpha)

    def forward(self, images: torch.Tensor, targets: torch.Tensor, epoch: int = 0) -> dict[str, Any]:
        if self.mixup_alpha > 0:
            mixed, targets_a, targets_b, lam = mixup_batch(images, targets, self.mixup_alpha)
            output = self.model(mixed)
            loss = lam * self.loss_fn(output, targets_a) + (1.0 - lam) * self.loss_fn(output, targets_b)
        else:
            output = self.model(images)
            loss = self.loss_fn(output, targets)
        return {"loss": loss, "output": output}
