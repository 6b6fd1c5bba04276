"""Classification plus supervised contrast on two augmented views (CIBL, Lavoie & Waslander 2023).

The backbone embeds both views; the classifier scores the first view, a projection MLP maps both
to unit-norm embeddings, and the loss takes ``loss_fn(logits [B, C], embeddings [B, 2, D], y)``
(:class:`~ltzoo.losses.CIBLLoss`). The projection head is training-only: the checkpoint keeps the
backbone and classifier, so the trained model is an ordinary classifier.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import InvalidArgumentError
from .base import Task, check_no_mixup, register_task, whole_model


class ProjectionHead(nn.Module):
    """SupCon's ``mlp`` head (Khosla et al. 2020): Linear -> ReLU -> Linear, then L2 normalisation."""

    def __init__(self, in_features: int, hidden_features: int, out_features: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden_features), nn.ReLU(inplace=True), nn.Linear(hidden_features, out_features)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(features), dim=1)


@register_task("contrastive")
class ContrastiveTask(Task):
    """Two views -> features -> (classifier on view 1, projection of both views) -> loss.

    Args:
        model: the stage model (must train the whole network).
        loss_fn: called as ``loss_fn(logits, embeddings [B, 2, D], targets)``.
        projection_dim: embedding width (128 in SupCon, BCL and CIBL's CIFAR setting).
        projection_hidden: hidden width of the MLP (default: the backbone's feature width).
    """

    views = 2

    def __init__(
        self,
        model: nn.Module,
        loss_fn: nn.Module,
        class_counts: Any = None,
        mixup_alpha: float = 0.0,
        projection_dim: int = 128,
        projection_hidden: int | None = None,
    ):
        super().__init__(model, loss_fn)
        check_no_mixup(mixup_alpha, "contrastive")
        self.network = whole_model(model, "contrastive")
        if projection_dim < 1 or (projection_hidden is not None and projection_hidden < 1):
            raise InvalidArgumentError(
                f"projection_dim and projection_hidden must be >= 1, got {projection_dim}, {projection_hidden}"
            )
        width = self.network.num_features
        self.projection = ProjectionHead(width, projection_hidden or width, projection_dim)

    def forward(self, images: torch.Tensor, targets: torch.Tensor, epoch: int = 0) -> dict[str, Any]:
        batch = targets.shape[0]
        if images.shape[0] != 2 * batch:
            raise InvalidArgumentError(
                f"the contrastive task needs 2 views per image ([2 * {batch}, ...]), got {images.shape[0]} images"
            )
        features = self.network.forward_head(self.network.forward_features(images), pre_logits=True)
        logits = self.network.get_classifier()(features[:batch])
        embeddings = self.projection(features).view(2, batch, -1).transpose(0, 1)
        return {"loss": self.loss_fn(logits, embeddings, targets), "output": logits}
