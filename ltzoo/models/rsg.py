"""RSG: the Rare-class Sample Generator (Wang et al., CVPR 2021; reference Jianf-Wang/RSG ``RSG.py``).

Plugged between two stages of a backbone, RSG learns ``n_center`` centres per class on the feature
maps (the CESC loss), and after ``epoch_thresh`` generates new tail-class feature maps by moving
head-class variation (a head map minus its nearest centre, through a learned 3x3 conv) onto tail
maps (the MV loss keeps the transferred variation class-agnostic and of the same size). The
classification loss is then computed on the original plus generated maps:
``loss = classification + 0.1 * loss_cesc + 0.01 * loss_mv``.

Parameter names follow the reference (``linear``, ``bias``, ``centers``,
``vec_transformation_module.0``, ``contrastive_module.0`` / ``.2``, ``contrastive_fc``) so its
state dicts load unchanged. Deliberate deviations:

* The reference sets ``requires_grad = False`` on the contrastive module and its classifier the
  first time it generates, permanently. Here the MV loss runs them with detached parameters
  (``torch.func.functional_call``): no gradient from MV reaches them, as in the reference, without
  mutating the module (after the threshold nothing else trains them either, so training matches).
* Before the threshold the reference pairs the first and second half of the batch and fails on
  an odd batch; here the last sample of an odd batch is left out of the pairing only.
* Nothing is moved to CUDA: parameters live where the module is.
* With ``transfer_strength > 1`` the reference slices past the end of the head maps; it must be
  in (0, 1] here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._validation import as_class_counts, check_range
from ..errors import InvalidArgumentError


def head_classes(class_counts: Any, head_class_ratio: float) -> torch.Tensor:
    """Indices of the ``max(1, int(C * ratio))`` most frequent classes (ties: lower index first)."""
    counts = as_class_counts(class_counts)
    check_range(head_class_ratio, "head_class_ratio", 0.0, 1.0, closed="right")
    num_head = max(1, int(len(counts) * head_class_ratio))
    order = np.argsort(-counts, kind="stable")
    return torch.as_tensor(np.sort(order[:num_head]), dtype=torch.long)


class RSG(nn.Module):
    """Rare-class sample generator on feature maps ``[N, C, H, W]``.

    Args:
        class_counts: training images per class (defines C and the head classes).
        feature_maps_shape: ``(C, H, W)`` of the maps RSG receives (H == W).
        n_center: centres per class.
        contrastive_module_dim: width of the pair-contrastive module.
        head_class_ratio: fraction of classes (the most frequent) treated as head classes.
        transfer_strength: how many head samples lend variation per tail sample, in (0, 1].
        epoch_thresh: generation starts after this epoch (the reference's 159 of 200 on CIFAR,
            where the learning rate has just dropped to 0.001). Start it only once the lr is that
            low: at lr 0.1 the MV loss of ResNet-32's [32, 16, 16] maps grew from 1e4 to 1e9
            within five SGD steps (measured on CIFAR-10-LT), at lr 0.001 it decreased.

    Example:
        >>> rsg = RSG([500, 100, 20, 5], feature_maps_shape=(16, 8, 8), n_center=3, contrastive_module_dim=32)
        >>> maps, cesc, mv, targets = rsg(torch.randn(8, 16, 8, 8), torch.tensor([0, 0, 0, 1, 0, 2, 3, 0]), epoch=170)
    """

    def __init__(
        self,
        class_counts: Any,
        feature_maps_shape: tuple[int, int, int] = (32, 16, 16),
        n_center: int = 15,
        contrastive_module_dim: int = 256,
        head_class_ratio: float = 0.2,
        transfer_strength: float = 1.0,
        epoch_thresh: int = 159,
    ):
        super().__init__()
        counts = as_class_counts(class_counts)
        channels, height, width = (int(v) for v in feature_maps_shape)
        if height != width:
            raise InvalidArgumentError(f"feature_maps_shape must have H == W (the reference pools HxH), got {feature_maps_shape}")
        if n_center < 1 or contrastive_module_dim < 1:
            raise InvalidArgumentError("n_center and contrastive_module_dim must be >= 1")
        self.num_classes, self.C, self.H, self.W = len(counts), channels, height, width
        self.n_center, self.contrastive_module_dim = int(n_center), int(contrastive_module_dim)
        self.strength = check_range(transfer_strength, "transfer_strength", 0.0, 1.0, closed="right")
        self.epoch_thresh = int(epoch_thresh)
        self.register_buffer("head_class_index", head_classes(counts, head_class_ratio), persistent=False)

        self.linear = nn.Parameter(torch.randn(self.num_classes, channels, n_center))
        self.bias = nn.Parameter(torch.ones(self.num_classes, n_center))
        self.centers = nn.Parameter(torch.zeros(self.num_classes, n_center, channels))
        self.vec_transformation_module = nn.Sequential(nn.Conv2d(channels, channels, 3, stride=1, padding=1))
        self.contrastive_module = nn.Sequential(
            nn.Conv2d(channels * 2, contrastive_module_dim, 1, stride=1, padding=0),
            nn.ReLU(inplace=True),
            nn.Conv2d(contrastive_module_dim, contrastive_module_dim, 3, stride=1, padding=1),
            nn.AvgPool2d(height),
        )
        self.contrastive_fc = nn.Linear(contrastive_module_dim, 2)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight)
                nn.init.zeros_(module.bias)

    # ------------------------------------------------------------------ pieces
    def responsibilities(self, maps: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """gamma ``[n, K]``: softmax over the class's centres of a per-class linear map of the
        pooled features."""
        pooled = F.avg_pool2d(maps, self.H).view(-1, self.C)
        scores = torch.bmm(pooled.unsqueeze(1), self.linear[target]).squeeze(1) + self.bias[target]
        return scores.softmax(dim=1)

    def _pair_logits(self, first: torch.Tensor, second: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        paired = torch.cat([first, second], dim=1)
        if not detach_params:
            features = self.contrastive_module(paired)
            return self.contrastive_fc(features.reshape(-1, self.contrastive_module_dim))
        module_params = {k: v.detach() for k, v in self.contrastive_module.named_parameters()}
        fc_params = {k: v.detach() for k, v in self.contrastive_fc.named_parameters()}
        features = torch.func.functional_call(self.contrastive_module, module_params, (paired,))
        return torch.func.functional_call(self.contrastive_fc, fc_params,
                                          (features.reshape(-1, self.contrastive_module_dim),))

    def cesc_loss(self, maps: torch.Tensor, target: torch.Tensor, epoch: int) -> torch.Tensor:
        """Centre-estimation term ``sum_{i,k} gamma_ik ||f_i - c_{y_i,k}||^2 / N`` plus, up to the
        threshold, the pair-contrastive CE on (first half, second half) of the batch."""
        num = maps.shape[0]
        gamma = self.responsibilities(maps, target)
        centers = self.centers[target]  # [N, K, C]
        sq_dist = (maps.unsqueeze(1) - centers[..., None, None]).pow(2).flatten(2).sum(2)  # [N, K]
        loss = (gamma * sq_dist).sum() / num
        if epoch <= self.epoch_thresh and num >= 2:
            half = num // 2
            logits = self._pair_logits(maps[:half], maps[half : 2 * half])
            loss = loss + F.cross_entropy(logits, (target[:half] == target[half : 2 * half]).long())
        return loss

    def _nearest_center(self, maps: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The most responsible centre of each map's class, broadcast to ``[n, C, H, W]`` (detached)."""
        gamma = self.responsibilities(maps, target).detach()
        chosen = self.centers.detach()[target, gamma.argmax(dim=1)]  # [n, C]
        return chosen[..., None, None].expand(-1, -1, self.H, self.W)

    def mv_loss(
        self, head_maps: torch.Tensor, head_target: torch.Tensor, tail_maps: torch.Tensor, tail_target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Transfers head variation onto tail maps; returns (MV loss, generated tail maps).

        The norms below flatten NCHW maps with ``view(-1, C)`` exactly as the reference does (rows
        of C consecutive values, which mix spatial positions), and the direction term is an
        element-wise product, as in the code.
        """
        num = tail_maps.shape[0]
        variation = head_maps - self._nearest_center(head_maps, head_target)
        transferred = self.vec_transformation_module(variation)
        tail_offsets = tail_maps - self._nearest_center(tail_maps, tail_target)
        generated = tail_maps + transferred
        tail_dir = F.normalize(tail_offsets.reshape(-1, self.C), dim=1)
        var_dir = F.normalize(transferred.reshape(-1, self.C), dim=1)
        logits = self._pair_logits(head_maps, transferred, detach_params=True)
        size_term = (transferred.reshape(-1, self.C).norm(dim=1) - variation.reshape(-1, self.C).norm(dim=1)).abs().sum()
        direction_term = (tail_dir * var_dir - 1.0).abs().sum()
        loss = F.cross_entropy(logits, torch.zeros(num, dtype=torch.long, device=logits.device))
        return loss + (size_term + direction_term) / num, generated

    # ------------------------------------------------------------------ forward
    def forward(
        self, feature_maps: torch.Tensor, target: torch.Tensor, epoch: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns ``(feature_maps_out, loss_cesc, loss_mv, combined_target)``: the input maps
        followed by the generated tail maps (after ``epoch_thresh``), and their targets."""
        if feature_maps.ndim != 4 or tuple(feature_maps.shape[1:]) != (self.C, self.H, self.W):
            raise InvalidArgumentError(
                f"feature_maps must be [N, {self.C}, {self.H}, {self.W}], got {tuple(feature_maps.shape)}"
            )
        if target.shape != (feature_maps.shape[0],):
            raise InvalidArgumentError(f"target must be [{feature_maps.shape[0]}], got {tuple(target.shape)}")
        maps = feature_maps.detach()
        loss_cesc = self.cesc_loss(maps, target, epoch)
        is_head = torch.isin(target, self.head_class_index)
        head_maps, head_target = maps[is_head], target[is_head]
        tail_maps, tail_target = maps[~is_head], target[~is_head]
        num_head, num_tail = head_maps.shape[0], tail_maps.shape[0]
        loss_mv = torch.zeros((), device=maps.device, dtype=loss_cesc.dtype)
        if num_head == 0 or num_tail == 0 or epoch <= self.epoch_thresh:
            return feature_maps, loss_cesc, loss_mv, target
        outputs, targets = [feature_maps], [target]
        if num_head >= num_tail:  # each round: num_tail head maps lend variation to all tail maps
            segment = max(1, int(num_head * self.strength / num_tail))
            for j in range(segment):
                rows = slice(j * num_tail, (j + 1) * num_tail)
                loss, generated = self.mv_loss(head_maps[rows], head_target[rows], tail_maps, tail_target)
                loss_mv, outputs, targets = loss_mv + loss, outputs + [generated], targets + [tail_target]
        else:  # each round: all head maps lend variation to num_head tail maps
            segment = max(1, int(num_tail * self.strength / num_head))
            for j in range(segment):
                rows = slice(j * num_head, (j + 1) * num_head)
                loss, generated = self.mv_loss(head_maps, head_target, tail_maps[rows], tail_target[rows])
                loss_mv, outputs, targets = loss_mv + loss, outputs + [generated], targets + [tail_target[rows]]
        return torch.cat(outputs), loss_cesc, loss_mv / segment, torch.cat(targets)
