"""Training with the Rare-class Sample Generator (RSG, Wang et al. CVPR 2021) inside the backbone,
optionally with supervised contrast on the pooled features: the end-to-end SCL + RSG + LDAM of
Wang, Lassila & Ali (arXiv 2501.13756).

One step: the backbone's first ``split_after`` stages give feature maps; RSG appends generated
tail-class maps (after ``epoch_thresh``) and their targets; the remaining stages, the pooling and
the classifier score all of them. The loss is, as in the references' training loops,

``classification_weight * loss_fn(logits, y') + cesc_weight * L_cesc + mv_weight * L_mv
+ supcon_weight * SupCon(normalize(features), y')``

with RSG's 0.1 / 0.01 for CESC / MV. SCL+RSG+LDAM's code weighs LDAM 0.1 and SupCon 0.9 and
contrasts single-view features (one augmentation per image, positives are the other batch samples
of the class); the features are L2-normalised here, as SupCon requires (the reference model's
normalisation could not be read offline). RSG is training-only: the checkpoint holds the
backbone and classifier.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._validation import check_positive
from ...losses import SupConLoss
from ...models.rsg import RSG
from ...models.staged import StagedBackbone
from .base import Task, check_no_mixup, register_task, whole_model


def _maps_shape(staged: StagedBackbone, network: nn.Module) -> tuple[int, int, int]:
    """``(C, H, W)`` of the split point's maps for the model's input size (one dry run)."""
    input_size = tuple(network.pretrained_cfg.get("input_size", (3, 224, 224)))
    parameter = next(network.parameters())
    was_training = network.training
    network.eval()
    with torch.no_grad():
        maps = staged.front(torch.zeros((1, *input_size), device=parameter.device, dtype=parameter.dtype))
    network.train(was_training)
    return tuple(maps.shape[1:])


@register_task("rsg")
class RSGTask(Task):
    """RSG between two backbone stages, with optional supervised contrast (see the module doc).

    Args:
        model: the stage model (must train the whole network; a ResNet, see
            :class:`~ltzoo.models.staged.StagedBackbone`).
        loss_fn: the classification loss (LDAM in both papers).
        class_counts: training images per class (RSG's head classes).
        split_after: RSG sits after this many stages (2 for CIFAR ResNets, 3 for ImageNet ResNets).
        rsg_args: :class:`~ltzoo.models.rsg.RSG` options (n_center, contrastive_module_dim,
            head_class_ratio, transfer_strength, epoch_thresh).
        classification_weight, cesc_weight, mv_weight, supcon_weight: loss weights.
        supcon_temperature: SupCon temperature (SupContrast's default 0.07).
    """

    find_unused_parameters = True  # RSG's generator gets no gradient before epoch_thresh

    def __init__(
        self,
        model: nn.Module,
        loss_fn: nn.Module,
        class_counts: Any,
        mixup_alpha: float = 0.0,
        split_after: int = 2,
        rsg_args: dict[str, Any] | None = None,
        classification_weight: float = 1.0,
        cesc_weight: float = 0.1,
        mv_weight: float = 0.01,
        supcon_weight: float = 0.0,
        supcon_temperature: float = 0.07,
    ):
        super().__init__(model, loss_fn)
        check_no_mixup(mixup_alpha, "rsg")
        network = whole_model(model, "rsg")
        self.staged = StagedBackbone(network, split_after)
        self.classifier = network.get_classifier
        device = next(network.parameters()).device
        self.rsg = RSG(class_counts, feature_maps_shape=_maps_shape(self.staged, network), **(rsg_args or {})).to(device)
        self.weights = {
            name: check_positive(value, name, allow_zero=True)
            for name, value in (("classification_weight", classification_weight), ("cesc_weight", cesc_weight),
                                ("mv_weight", mv_weight), ("supcon_weight", supcon_weight))
        }
        self.supcon = SupConLoss(supcon_temperature, base_temperature=supcon_temperature) if supcon_weight else None

    def forward(self, images: torch.Tensor, targets: torch.Tensor, epoch: int = 0) -> dict[str, Any]:
        maps, loss_cesc, loss_mv, all_targets = self.rsg(self.staged.front(images), targets, epoch)
        features = self.staged.back(maps)
        logits = self.classifier()(features)
        w = self.weights
        loss = (w["classification_weight"] * self.loss_fn(logits, all_targets)
                + w["cesc_weight"] * loss_cesc + w["mv_weight"] * loss_mv)
        if self.supcon is not None:
            loss = loss + w["supcon_weight"] * self.supcon(F.normalize(features, dim=1).unsqueeze(1), all_targets)
        return {"loss": loss, "output": logits[: targets.shape[0]]}
