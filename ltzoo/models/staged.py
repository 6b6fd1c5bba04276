"""Running a backbone in two parts around one of its stages, for modules that act on intermediate
feature maps (RSG, Wang et al. CVPR 2021, sits after the second of a ResNet's stages).

A backbone is split into its stem and its residual stages. Supported: the CIFAR ResNets of this
package and timm's ``ResNet`` family (ResNet, ResNeXt, ResNet-D, SE-ResNet...); other models raise
with the list of supported classes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from timm.models.resnet import ResNet
from torch import nn

from ..errors import InvalidArgumentError
from .resnet_cifar import ResNetCifar


def _cifar_stem(model: ResNetCifar, x: torch.Tensor) -> torch.Tensor:
    return model.act1(model.bn1(model.conv1(x)))


def _timm_resnet_stem(model: ResNet, x: torch.Tensor) -> torch.Tensor:
    return model.maxpool(model.act1(model.bn1(model.conv1(x))))


_STEMS: dict[type, tuple[Callable[[nn.Module, torch.Tensor], torch.Tensor], tuple[str, ...]]] = {
    ResNetCifar: (_cifar_stem, ("layer1", "layer2", "layer3")),
    ResNet: (_timm_resnet_stem, ("layer1", "layer2", "layer3", "layer4")),
}


class StagedBackbone:
    """``front(x)``: stem and the first ``split_after`` stages; ``back(maps)``: the remaining stages
    and the pooled pre-logits features (``forward_head(..., pre_logits=True)``).

    Example:
        >>> import timm, ltzoo.models
        >>> model = timm.create_model("resnet32_cifar", num_classes=10)
        >>> staged = StagedBackbone(model, split_after=2)
        >>> staged.back(staged.front(torch.randn(2, 3, 32, 32))).shape
        torch.Size([2, 64])
    """

    def __init__(self, model: nn.Module, split_after: int):
        entry = next((value for cls, value in _STEMS.items() if isinstance(model, cls)), None)
        if entry is None:
            supported = ", ".join(cls.__name__ for cls in _STEMS)
            raise InvalidArgumentError(
                f"{type(model).__name__} cannot be split into stages for a feature-map module; supported: {supported}"
            )
        stem, stage_names = entry
        if not 1 <= split_after < len(stage_names):
            raise InvalidArgumentError(
                f"split_after must be in 1..{len(stage_names) - 1} for {type(model).__name__} "
                f"({len(stage_names)} stages), got {split_after}"
            )
        self.model, self.stem = model, stem
        self.front_stages = [getattr(model, name) for name in stage_names[:split_after]]
        self.back_stages = [getattr(model, name) for name in stage_names[split_after:]]

    def front(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(self.model, x)
        for stage in self.front_stages:
            x = stage(x)
        return x

    def back(self, maps: torch.Tensor) -> torch.Tensor:
        for stage in self.back_stages:
            maps = stage(maps)
        return self.model.forward_head(maps, pre_logits=True)
