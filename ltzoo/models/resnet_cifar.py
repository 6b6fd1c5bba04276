"""The CIFAR ResNets of the long-tailed papers, registered with timm.

He et al. 2016, Sec. 4.2: three stages of BasicBlocks with 16/32/64 channels and the
parameter-free "option A" shortcut (stride-2 subsampling + zero channel padding), Kaiming-normal
initialisation of convolutions and the linear classifier. This is the ``resnet32`` of LDAM-DRW,
GCL, RSG and most CIFAR-LT work (0.46 M parameters).

After ``import ltzoo``, ``timm.create_model("resnet32_cifar", num_classes=100)`` builds one; the
``head`` argument selects ``linear`` or ``cosine`` (the reference ``use_norm``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from torch import nn

from .heads import create_head

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)  # the LT papers' values (not the true std 0.247, 0.243, 0.261)


class ZeroPadShortcut(nn.Module):
    """Option-A shortcut: ``pad(x[:, :, ::2, ::2])`` with ``extra`` zero channels on each side."""

    def __init__(self, extra_channels: int):
        super().__init__()
        self.extra = extra_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra, self.extra))


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with a residual connection."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        needs_projection = stride != 1 or in_planes != planes
        self.shortcut = ZeroPadShortcut(planes // 4) if needs_projection else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCifar(nn.Module):
    """CIFAR ResNet (depth 6n+2) with timm's model interface.

    Args:
        blocks_per_stage: n, the number of BasicBlocks in each of the 3 stages.
        num_classes: classifier outputs; 0 makes the model a feature extractor.
        in_chans: input channels.
        head: ``linear`` or ``cosine``.
        global_pool: only ``avg`` (kept for timm's interface).
    """

    def __init__(
        self,
        blocks_per_stage: int = 5,
        num_classes: int = 10,
        in_chans: int = 3,
        head: str = "linear",
        global_pool: str = "avg",
        **kwargs: Any,
    ):
        super().__init__()
        if kwargs.pop("drop_rate", 0.0) or kwargs:
            unknown = ", ".join(sorted(kwargs)) or "drop_rate"
            raise TypeError(f"ResNetCifar got unsupported arguments: {unknown}")
        self.num_classes = num_classes
        self.num_features = self.head_hidden_size = 64
        self.global_pool = global_pool
        self.head_type = head
        self.conv1 = nn.Conv2d(in_chans, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        planes_in = 16
        stages = []
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(blocks_per_stage):
                blocks.append(BasicBlock(planes_in, planes, stride if i == 0 else 1))
                planes_in = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = create_head(head, self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def get_classifier(self) -> nn.Module:
        return self.fc

    def reset_classifier(self, num_classes: int, global_pool: str | None = None, head: str | None = None) -> None:
        self.num_classes = num_classes
        self.head_type = head or self.head_type
        self.fc = create_head(self.head_type, self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        if isinstance(self.fc, nn.Linear):
            nn.init.kaiming_normal_(self.fc.weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        return self.layer3(self.layer2(self.layer1(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = x.mean(dim=(2, 3))
        return x if pre_logits else self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def _cfg(**kwargs: Any) -> dict[str, Any]:
    return {
        "num_classes": 10,
        "input_size": (3, 32, 32),
        "pool_size": (8, 8),
        "crop_pct": 1.0,
        "interpolation": "bilinear",
        "mean": CIFAR_MEAN,
        "std": CIFAR_STD,
        "first_conv": "conv1",
        "classifier": "fc",
        **kwargs,
    }


default_cfgs = generate_default_cfgs({f"resnet{d}_cifar": _cfg() for d in (20, 32, 44, 56, 110)})


def _create(variant: str, blocks: int, pretrained: bool, **kwargs: Any) -> ResNetCifar:
    return build_model_with_cfg(ResNetCifar, variant, pretrained, blocks_per_stage=blocks, **kwargs)


@register_model
def resnet20_cifar(pretrained: bool = False, **kwargs: Any) -> ResNetCifar:
    """ResNet-20 for 32x32 inputs (0.27 M parameters)."""
    return _create("resnet20_cifar", 3, pretrained, **kwargs)


@register_model
def resnet32_cifar(pretrained: bool = False, **kwargs: Any) -> ResNetCifar:
    """ResNet-32 for 32x32 inputs (0.46 M parameters), the CIFAR-LT standard."""
    return _create("resnet32_cifar", 5, pretrained, **kwargs)


@register_model
def resnet44_cifar(pretrained: bool = False, **kwargs: Any) -> ResNetCifar:
    """ResNet-44 for 32x32 inputs (0.66 M parameters)."""
    return _create("resnet44_cifar", 7, pretrained, **kwargs)


@register_model
def resnet56_cifar(pretrained: bool = False, **kwargs: Any) -> ResNetCifar:
    """ResNet-56 for 32x32 inputs (0.85 M parameters)."""
    return _create("resnet56_cifar", 9, pretrained, **kwargs)


@register_model
def resnet110_cifar(pretrained: bool = False, **kwargs: Any) -> ResNetCifar:
    """ResNet-110 for 32x32 inputs (1.7 M parameters)."""
    return _create("resnet110_cifar", 18, pretrained, **kwargs)
