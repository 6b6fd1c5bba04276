"""The CIFAR ResNets of the long-tailed papers, registered with timm.

He et al. 2016, Sec. 4.2: three stages of BasicBlocks with 16/32/64 channels and the
parameter-free "option A" shortcut (stride-2 subsampling + zero channel padding), Kaiming-normal
initialisation of convolutions and the linear classifier. This is the ``resnet32`` of LDAM-DRW,
GCL, RSG and most CIFAR-LT work (0.46 M parameters).

After ``import ltzoo``, ``timm.create_model("resnet32_cifar", num_classes=100)`` builds one; the
``head`` argument selects ``linear`` or ``cosine`` (the reference ``use_norm``).

No ``from __future__ import annotations`` here or in heads.py: TorchScript and torch.fx read the
annotations of the methods they compile.
"""

from typing import Any

import torch
import torch.nn.functional as F
from timm.layers import SelectAdaptivePool2d
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from timm.models._features import feature_take_indices
from timm.models._manipulate import checkpoint_seq
from torch import nn

from ..errors import InvalidArgumentError
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
    """CIFAR ResNet (depth 6n+2) with timm's model interface: ``feature_info`` / ``features_only``,
    ``forward_intermediates`` / ``prune_intermediate_layers``, gradient checkpointing, and the
    ``in_chans`` / ``drop_rate`` / ``global_pool`` / ``device`` / ``dtype`` arguments.

    Args:
        blocks_per_stage: n, the number of BasicBlocks in each of the 3 stages.
        num_classes: classifier outputs; 0 makes the model a feature extractor.
        in_chans: input channels.
        head: a registered head (``linear``, ``cosine``; see ``ltzoo.models.list_heads()``).
        global_pool: timm's pooling types (``avg``, ``max``, ``avgmax``, ``catavgmax``), or ``""``
            for none (with ``num_classes=0``: the head returns the feature map).
        drop_rate: dropout before the classifier.
        device, dtype: where and in which precision the parameters are made.
    """

    def __init__(
        self,
        blocks_per_stage: int = 5,
        num_classes: int = 10,
        in_chans: int = 3,
        head: str = "linear",
        global_pool: str = "avg",
        drop_rate: float = 0.0,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.num_features = 64
        self.drop_rate = float(drop_rate)
        self.head_type = head
        self.classifier_pool = "avg"  # a model built without pooling pools this way once given a classifier
        self.grad_checkpointing = False
        self.conv1 = nn.Conv2d(in_chans, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.act1 = nn.ReLU()
        planes_in = 16
        stages = []
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(blocks_per_stage):
                blocks.append(BasicBlock(planes_in, planes, stride if i == 0 else 1))
                planes_in = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.feature_info = [
            {"num_chs": 16, "reduction": 1, "module": "act1"},
            {"num_chs": 16, "reduction": 1, "module": "layer1"},
            {"num_chs": 32, "reduction": 2, "module": "layer2"},
            {"num_chs": 64, "reduction": 4, "module": "layer3"},
        ]
        self._set_head(num_classes, global_pool, head)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)
        if device is not None or dtype is not None:
            self.to(device=device, dtype=dtype)

    def _set_head(self, num_classes: int, global_pool: str, head: str) -> None:
        if not global_pool and num_classes > 0:
            raise InvalidArgumentError(
                "global_pool='' (no pooling) needs num_classes=0: a classifier needs pooled features"
            )
        self.num_classes, self.global_pool, self.head_type = num_classes, global_pool, head
        if global_pool:
            self.classifier_pool = global_pool  # the pooling a classifier gets back after a feature-map reset
        self.pool = SelectAdaptivePool2d(pool_type=global_pool, flatten=bool(global_pool))
        self.head_hidden_size = self.num_features * self.pool.feat_mult()
        self.fc = create_head(head, self.head_hidden_size, num_classes) if num_classes > 0 else nn.Identity()

    def get_classifier(self) -> nn.Module:
        return self.fc

    def reset_classifier(self, num_classes: int, global_pool: str | None = None, head: str | None = None) -> None:
        """A new classifier (Kaiming-initialised if linear) on the trunk's device and dtype, in
        the model's train / eval mode; ``global_pool`` and ``head`` change them too when given.
        Without ``global_pool`` the current pooling stays, except that a classifier after
        ``reset_classifier(0, "")`` (the feature map) gets back the pooling it had before."""
        reference = self.conv1.weight
        if global_pool is None:
            global_pool = self.global_pool if self.global_pool or num_classes == 0 else self.classifier_pool
        self._set_head(num_classes, global_pool, head or self.head_type)
        if isinstance(self.fc, nn.Linear):
            nn.init.kaiming_normal_(self.fc.weight)
        self.fc.to(device=reference.device, dtype=reference.dtype)
        self.pool.train(self.training)
        self.fc.train(self.training)

    @torch.jit.ignore
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        self.grad_checkpointing = enable

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> dict[str, Any]:
        return {"stem": r"^conv1|bn1", "blocks": r"^layer(\d+)" if coarse else r"^layer(\d+)\.(\d+)"}

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        if self.grad_checkpointing and not torch.jit.is_scripting():
            return checkpoint_seq([*self.layer1, *self.layer2, *self.layer3], x)
        return self.layer3(self.layer2(self.layer1(x)))

    @torch.jit.ignore
    def forward_intermediates(
        self,
        x: torch.Tensor,
        indices: int | list[int] | None = None,
        norm: bool = False,
        stop_early: bool = False,
        output_fmt: str = "NCHW",
        intermediates_only: bool = False,
    ) -> list[torch.Tensor] | tuple[torch.Tensor, list[torch.Tensor]]:
        """timm's intermediate features: index 0 the stem, 1-3 the stages (``indices``: the last n
        if an int, all if None); ``norm`` has no effect (no final norm layer)."""
        if output_fmt != "NCHW":
            raise InvalidArgumentError(f"output_fmt must be 'NCHW', got {output_fmt!r}")
        take_indices, max_index = feature_take_indices(len(self.feature_info), indices)
        intermediates = []
        x = self.act1(self.bn1(self.conv1(x)))
        if 0 in take_indices:
            intermediates.append(x)
        stages = [self.layer1, self.layer2, self.layer3]
        for index, stage in enumerate(stages[:max_index] if stop_early else stages, start=1):
            x = checkpoint_seq(stage, x) if self.grad_checkpointing else stage(x)
            if index in take_indices:
                intermediates.append(x)
        if intermediates_only:
            return intermediates
        return x, intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(
        self, indices: int | list[int] = 1, prune_norm: bool = False, prune_head: bool = True
    ) -> list[int]:
        """Drops the stages after the last intermediate of ``indices`` (and the head); returns the
        indices kept."""
        take_indices, max_index = feature_take_indices(len(self.feature_info), indices)
        for name in ("layer1", "layer2", "layer3")[max_index:]:
            setattr(self, name, nn.Sequential())
        if max_index < len(self.feature_info) - 1:
            self.num_features = self.feature_info[max_index]["num_chs"]
            self.reset_classifier(0, "")
        elif prune_head:
            self.reset_classifier(0, "")
        return take_indices

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if self.global_pool == "avg":
            x = x.mean(dim=(2, 3))  # the references' average pool, kept bit for bit
        else:
            x = self.pool(x)
        if self.drop_rate > 0:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
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
    return build_model_with_cfg(ResNetCifar, variant, pretrained, blocks_per_stage=blocks,
                                feature_cfg={"out_indices": (0, 1, 2, 3)}, **kwargs)


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
