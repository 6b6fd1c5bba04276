"""Optimiser parameter groups of a stage: the backbone's learning-rate scale and the parameters
exempt from weight decay.

References differ in what they decay: Cui et al.'s class-balanced code leaves the last layer's
bias out of the weight decay for its sigmoid losses, and its ImageNet / iNaturalist code also
leaves out batch norm (timm's ``filter_bias_and_bn`` does the same for every 1-D parameter).
A stage names the exempt kinds in ``no_weight_decay``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from ..errors import InvalidArgumentError

# the kinds of parameters a stage may exempt from weight decay
NO_WEIGHT_DECAY_KINDS = ("bias", "classifier_bias", "norm")
_NORM_LAYERS = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)


def _exempt_ids(trainable: nn.Module, network: nn.Module, kinds: Sequence[str]) -> set[int]:
    unknown = sorted(set(kinds) - set(NO_WEIGHT_DECAY_KINDS))
    if unknown:
        raise InvalidArgumentError(
            f"no_weight_decay names unknown kinds {unknown}; known: {', '.join(NO_WEIGHT_DECAY_KINDS)}"
        )
    exempt: set[int] = set()
    if "bias" in kinds:
        exempt |= _bias_ids(trainable)
    if "classifier_bias" in kinds:  # the classifier's own bias (inside an LWS wrapper too); a cosine head has none
        exempt |= _bias_ids(network.get_classifier())
    if "norm" in kinds:
        norms = (m for m in trainable.modules() if isinstance(m, _NORM_LAYERS))
        exempt |= {id(p) for m in norms for p in m.parameters(recurse=False)}
    return exempt


def _bias_ids(module: nn.Module) -> set[int]:
    return {id(p) for name, p in module.named_parameters() if name.rsplit(".", 1)[-1] == "bias"}


def param_groups(
    trainable: nn.Module, network: nn.Module, backbone_lr_scale: float = 1.0, no_weight_decay: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The trainable parameters of ``trainable`` (the stage's task: the network and task modules
    such as a projection head or RSG) as optimiser groups.

    Each group has an ``lr_scale`` the epoch's learning rate is multiplied by (``backbone_lr_scale``
    for the network's parameters outside its classifier, 1 for the rest) and, for the parameters of
    the kinds in ``no_weight_decay``, ``weight_decay = 0``. Groups come in a fixed order (scale 1
    before the backbone's, decayed before exempt), and with neither option there is one group, so
    optimiser states saved before these options existed still load.

    Example:
        >>> from ltzoo.models import create_model
        >>> model = create_model("resnet20_cifar", num_classes=10)
        >>> groups = param_groups(model, model, no_weight_decay=["classifier_bias"])
        >>> [len(g["params"]) for g in groups], groups[1]["weight_decay"]
        ([58, 1], 0.0)
    """
    if backbone_lr_scale < 0:
        raise InvalidArgumentError(f"backbone_lr_scale must be >= 0, got {backbone_lr_scale}")
    exempt = _exempt_ids(trainable, network, no_weight_decay)
    head = {id(p) for p in network.get_classifier().parameters()}
    backbone = {id(p) for p in network.parameters()} - head
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for p in trainable.parameters():
        if p.requires_grad:
            key = (backbone_lr_scale != 1 and id(p) in backbone, id(p) in exempt)
            groups.setdefault(key, []).append(p)
    return [
        {"params": groups[(in_backbone, exempt_from_decay)], "lr_scale": backbone_lr_scale if in_backbone else 1.0,
         **({"weight_decay": 0.0} if exempt_from_decay else {})}
        for in_backbone, exempt_from_decay in sorted(groups)
    ]
