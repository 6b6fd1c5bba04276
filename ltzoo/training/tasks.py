"""Task modules: how one training step turns a batch into ``{"loss", "output"}``.

The training loop never branches on method names: a stage names a task (``classification``)
and a loss from :mod:`ltzoo.losses`; the task owns mixup and the call convention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .._registry import Registry

_TASKS: Registry[nn.Module] = Registry("task")


def mixup_batch(
    images: torch.Tensor, targets: torch.Tensor, alpha: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """Mixup (Zhang et al. ICLR 2018) as the CIFAR-LT reference codes apply it: one
    ``lam ~ Beta(alpha, alpha)`` per batch, a random permutation partner per sample.

    Draws from torch's global generator (saved in training checkpoints)."""
    lam = float(torch.distributions.Beta(alpha, alpha).sample()) if alpha > 0 else 1.0
    perm = torch.randperm(images.shape[0]).to(images.device)
    mixed = lam * images + (1.0 - lam) * images[perm]
    return mixed, targets, targets[perm], lam


@_TASKS.register("classification")
class ClassificationTask(nn.Module):
    """``loss_fn(model(x), y)``, with the reference's mixup criterion
    ``lam * L(out, y_a) + (1 - lam) * L(out, y_b)`` when ``mixup_alpha > 0``."""

    def __init__(self, loss_fn: nn.Module, mixup_alpha: float = 0.0):
        super().__init__()
        self.loss_fn = loss_fn
        self.mixup_alpha = float(mixup_alpha)

    def forward(
        self, model_fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, targets: torch.Tensor
    ) -> dict[str, Any]:
        if self.mixup_alpha > 0:
            mixed, targets_a, targets_b, lam = mixup_batch(images, targets, self.mixup_alpha)
            output = model_fn(mixed)
            loss = lam * self.loss_fn(output, targets_a) + (1.0 - lam) * self.loss_fn(output, targets_b)
        else:
            output = model_fn(images)
            loss = self.loss_fn(output, targets)
        return {"loss": loss, "output": output}


def create_task(name: str, loss_fn: nn.Module, **kwargs: Any) -> nn.Module:
    """Builds the task registered as ``name`` around ``loss_fn``."""
    return _TASKS.create(name, loss_fn, **kwargs)


def list_tasks() -> list[str]:
    return _TASKS.names()
