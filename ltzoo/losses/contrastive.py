"""Supervised contrastive losses: SupCon (Khosla et al., NeurIPS 2020; reference
HobbitLong/SupContrast ``losses.py``) and BCL's balanced form (Zhu et al., CVPR 2022;
reference FlamieZhu/Balanced-Contrastive-Learning ``BalSCL``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .._validation import check_choice, check_positive
from ..errors import InvalidArgumentError
from ._common import check_target, counts_tensor, explain_nonfinite, upcast
from ._registry import register_loss


def _check_views(features: torch.Tensor, name: str = "features") -> None:
    if not isinstance(features, torch.Tensor) or features.ndim != 3:
        shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        raise InvalidArgumentError(f"{name} must be [batch, views, dim] (unit-norm embeddings), got {shape}")
    if features.shape[0] == 0:
        raise InvalidArgumentError(f"{name} is an empty batch (shape {tuple(features.shape)}): the loss would be NaN")


@register_loss("supcon")
class SupConLoss(nn.Module):
    """Supervised contrastive loss (Khosla et al. 2020, Eq. 2, "L_out").

    ``features`` ``[B, V, D]`` are unit-norm embeddings of V views. Positives of an anchor are
    the other views with its label (or ``mask[i, j] = 1``); without labels or mask it is SimCLR.
    Anchors without positives contribute 0 but are counted in the mean (the reference's current
    behaviour). ``reduction="none"`` returns the per-sample loss ``[B]`` (mean over its views
    when ``contrast_mode="all"``).

    Example:
        >>> f = torch.nn.functional.normalize(torch.randn(8, 2, 16), dim=-1)
        >>> SupConLoss()(f, torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])).shape
        torch.Size([])
    """

    def __init__(
        self,
        temperature: float = 0.07,
        base_temperature: float = 0.07,
        contrast_mode: str = "all",
        reduction: str = "mean",
    ):
        super().__init__()
        self.temperature = check_positive(temperature, "temperature")
        self.base_temperature = check_positive(base_temperature, "base_temperature")
        self.contrast_mode = check_choice(contrast_mode, "contrast_mode", ("all", "one"))
        self.reduction = check_choice(reduction, "reduction", ("mean", "none"))

    def forward(
        self, features: torch.Tensor, labels: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        _check_views(features)
        batch, views = features.shape[:2]
        if labels is not None and mask is not None:
            raise InvalidArgumentError("pass either labels or mask to SupConLoss, not both")
        if labels is not None:
            check_target(labels, batch, int(labels.max()) + 1 if labels.numel() else 1, name="labels")
            mask = (labels.view(-1, 1) == labels.view(1, -1)).float()
        elif mask is None:
            mask = torch.eye(batch, device=features.device)
        elif mask.shape != (batch, batch):
            raise InvalidArgumentError(f"mask must be [{batch}, {batch}], got {tuple(mask.shape)}")
        mask = mask.float().to(features.device)

        features = upcast(features)
        contrast = torch.cat(torch.unbind(features, dim=1), dim=0)  # [V*B, D], view-major
        anchor, anchor_views = (features[:, 0], 1) if self.contrast_mode == "one" else (contrast, views)
        logits = anchor @ contrast.T / self.temperature
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()

        n_anchor = batch * anchor_views
        not_self = torch.ones_like(logits).scatter_(1, torch.arange(n_anchor, device=logits.device).view(-1, 1), 0)
        positives = mask.repeat(anchor_views, views) * not_self
        log_prob = logits - torch.log((torch.exp(logits) * not_self).sum(1, keepdim=True))
        pos_count = positives.sum(1)
        pos_count = torch.where(pos_count < 1e-6, torch.ones_like(pos_count), pos_count)
        mean_log_prob_pos = (positives * log_prob).sum(1) / pos_count
        loss = -(self.temperature / self.base_temperature) * mean_log_prob_pos
        per_sample = loss.view(anchor_views, batch).mean(0)
        return explain_nonfinite(per_sample if self.reduction == "none" else per_sample.mean(), features=features)


@register_loss("balanced_supcon")
class BalancedSupConLoss(nn.Module):
    """Balanced supervised contrastive loss of BCL (Zhu et al. CVPR 2022, Eq. 6-8).

    Class-complement: the C learnable class centers join every batch as extra contrast
    samples; class-averaging: each term of the denominator is divided by the number of batch
    samples (and centers) of its class, minus the anchor's positives as the reference does.

    ``forward(centers [C, D], features [B, 2, D], targets [B])``; ``class_counts`` fixes C.

    Example:
        >>> loss_fn = BalancedSupConLoss([100, 10, 1])
        >>> f = torch.nn.functional.normalize(torch.randn(4, 2, 8), dim=-1)
        >>> c = torch.nn.functional.normalize(torch.randn(3, 8), dim=-1)
        >>> loss = loss_fn(c, f, torch.tensor([0, 0, 1, 2]))
    """

    def __init__(self, class_counts: Any, temperature: float = 0.1):
        super().__init__()
        self.num_classes = counts_tensor(class_counts).numel()
        self.temperature = check_positive(temperature, "temperature")

    def forward(self, centers: torch.Tensor, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        _check_views(features)
        batch, views = features.shape[:2]
        if views != 2:
            raise InvalidArgumentError(f"features must hold 2 views per sample ([B, 2, D]), got {views}")
        if centers.ndim != 2 or centers.shape != (self.num_classes, features.shape[2]):
            raise InvalidArgumentError(
                f"centers must be [{self.num_classes}, {features.shape[2]}], got {tuple(centers.shape)}"
            )
        check_target(targets, batch, self.num_classes, name="targets")
        device = features.device
        labels = torch.cat([targets.repeat(2), torch.arange(self.num_classes, device=device)])
        class_count = torch.bincount(labels, minlength=self.num_classes).float()

        n_anchor = 2 * batch
        mask = (labels[:n_anchor].view(-1, 1) == labels.view(1, -1)).float()
        not_self = torch.ones_like(mask).scatter_(1, torch.arange(n_anchor, device=device).view(-1, 1), 0)
        mask = mask * not_self

        samples = torch.cat([torch.cat(torch.unbind(upcast(features), dim=1), dim=0), upcast(centers)], dim=0)
        logits = samples[:n_anchor] @ samples.T / self.temperature
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()

        per_column_count = class_count[labels].view(1, -1).expand(n_anchor, -1) - mask
        denominator = (torch.exp(logits) * not_self / per_column_count).sum(1, keepdim=True)
        log_prob = logits - torch.log(denominator)
        mean_log_prob_pos = (mask * log_prob).sum(1) / mask.sum(1)
        return explain_nonfinite(-mean_log_prob_pos.view(2, batch).mean(), features=features, centers=centers)
