"""``create_model``: any timm backbone with a long-tailed head."""

from __future__ import annotations

from typing import Any

import timm
from torch import nn

from ..errors import InvalidArgumentError, UnknownNameError
from .heads import create_head, list_heads


def set_classifier(model: nn.Module, module: nn.Module) -> None:
    """Replaces the classifier named by ``model.pretrained_cfg["classifier"]`` (timm's convention)."""
    path = model.pretrained_cfg.get("classifier")
    if not isinstance(path, str):
        raise InvalidArgumentError(f"{type(model).__name__} has no single classifier module to replace")
    parent_path, _, leaf = path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    setattr(parent, leaf, module)


def create_model(
    backbone: str, num_classes: int, head: str = "linear", pretrained: bool = False, **kwargs: Any
) -> nn.Module:
    """Builds ``backbone`` through ``timm.create_model`` with a ``head`` classifier.

    CIFAR ResNets (``resnet32_cifar``...) build the head themselves (so plain timm can rebuild
    them from a config); for other timm models the classifier named in their
    ``pretrained_cfg["classifier"]`` is replaced.

    Example:
        >>> model = create_model("resnet32_cifar", num_classes=10, head="cosine")
    """
    if head not in list_heads():
        raise UnknownNameError("head", head, list_heads())
    if num_classes < 1:
        raise InvalidArgumentError(f"num_classes must be >= 1, got {num_classes}")
    if not timm.is_model(backbone):
        raise UnknownNameError("timm model", backbone, timm.list_models())
    if backbone.endswith("_cifar"):
        return timm.create_model(backbone, pretrained=pretrained, num_classes=num_classes, head=head, **kwargs)
    model = timm.create_model(backbone, pretrained=pretrained, num_classes=num_classes, **kwargs)
    if head != "linear":
        set_classifier(model, create_head(head, model.num_features, num_classes))
    return model
