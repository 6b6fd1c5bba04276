"""Models: timm backbones with long-tailed heads, and the CIFAR ResNets (registered with timm)."""

from . import resnet_cifar  # noqa: F401  (registers resnet*_cifar with timm)
from .factory import create_model
from .heads import (
    CosineClassifier,
    LearnableWeightScaling,
    ScaledCosineClassifier,
    create_head,
    fold_logit_affine,
    head_name,
    init_classifier,
    list_heads,
    register_head,
    tau_normalize,
)
from .resnet_cifar import ResNetCifar
from .rsg import RSG, head_classes
from .staged import StagedBackbone

__all__ = [
    "CosineClassifier",
    "LearnableWeightScaling",
    "RSG",
    "ResNetCifar",
    "StagedBackbone",
    "ScaledCosineClassifier",
    "create_head",
    "fold_logit_affine",
    "create_model",
    "head_classes",
    "head_name",
    "init_classifier",
    "list_heads",
    "register_head",
    "tau_normalize",
]
