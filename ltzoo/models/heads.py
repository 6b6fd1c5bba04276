"""Classifier heads for long-tailed learning: linear, cosine (NormedLinear), tau-norm and LWS.

Heads are registered (``create_head`` / ``list_heads``) so a model config can name one.
"""

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._registry import Registry
from .._validation import check_positive
from ..errors import InvalidArgumentError

_HEADS: Registry[nn.Module] = Registry("head")


def create_head(name: str, in_features: int, num_classes: int) -> nn.Module:
    """Builds the head registered as ``name`` (``linear`` or ``cosine``)."""
    return _HEADS.create(name, in_features, num_classes)


def list_heads() -> list[str]:
    """Names of the registered heads."""
    return _HEADS.names()


def register_head(name: str) -> Any:
    """Decorator adding a head class ``cls(in_features, num_classes)`` under ``name``; a model
    config naming it loads back through :func:`ltzoo.load` once the module defining it is imported."""
    return _HEADS.register(name)


register_head("linear")(nn.Linear)


def head_name(classifier: nn.Module) -> str:
    """The registered name of a classifier module (``nn.Linear`` -> ``"linear"``), what
    ``config.json`` records so that :func:`ltzoo.load` rebuilds the same head on any backbone.

    Example:
        >>> head_name(CosineClassifier(64, 10))
        'cosine'
    """
    for name in _HEADS.names():
        if type(classifier) is _HEADS.get(name):
            return name
    raise InvalidArgumentError(
        f"the model's classifier is a {type(classifier).__name__}, which no registered head builds "
        f"(registered: {', '.join(_HEADS.names())}); register its class with register_head, or fold it into a "
        "linear layer first (LWS: ltzoo.training.classifier_stages.fold_lws)"
    )


@register_head("cosine")
class CosineClassifier(nn.Module):
    """Cosine classifier: ``normalize(x) @ normalize(W).T``, no bias (LDAM's and GCL's
    ``NormedLinear``). The scale lives in the loss (``s``).

    The weight is ``[C, D]`` like ``nn.Linear`` (the reference stores ``[D, C]``; see
    :meth:`from_reference_weight`), initialised to unit-norm rows from U(-1, 1) as the
    reference's ``uniform_(-1, 1).renorm_(...).mul_(1e5)`` does.

    Example:
        >>> head = CosineClassifier(64, 10)
        >>> head(torch.randn(2, 64)).abs().max() <= 1
        tensor(True)
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.uniform_(-1, 1).renorm_(2, 0, 1e-5).mul_(1e5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(F.normalize(x, dim=1), F.normalize(self.weight, dim=1))

    @staticmethod
    def from_reference_weight(weight: torch.Tensor) -> torch.Tensor:
        """Converts a reference ``NormedLinear.weight`` ``[D, C]`` to our ``[C, D]`` layout."""
        if weight.ndim != 2:
            raise InvalidArgumentError(f"weight must be 2-D [in_features, classes], got {tuple(weight.shape)}")
        return weight.t().contiguous()

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


@register_head("scaled_cosine")
class ScaledCosineClassifier(CosineClassifier):
    """A cosine classifier with an affine output, ``scale * cos(x, W) + bias``: what
    :func:`fold_logit_affine` makes of a cosine head, so that a checkpoint's raw outputs are its
    calibrated logits (scale ``1 / T``, bias the prior shift) for clients that apply no calibration.

    Example:
        >>> head = ScaledCosineClassifier(64, 10)
        >>> head.scale.item(), head.bias.shape
        (1.0, torch.Size([10]))
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__(in_features, out_features)
        self.scale = nn.Parameter(torch.ones(()))
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # written out: TorchScript has no super()
        return F.linear(F.normalize(x, dim=1), F.normalize(self.weight, dim=1)) * self.scale + self.bias


def fold_logit_affine(classifier: nn.Module, scale: float, bias: torch.Tensor) -> nn.Module:
    """A new classifier whose outputs are ``scale * classifier(x) + bias`` exactly: a linear head's
    weight and bias are rescaled and shifted; a cosine head becomes a :class:`ScaledCosineClassifier`
    (scale and bias), a scaled one composes. ``classifier`` is left as it is.

    Example:
        >>> head = nn.Linear(4, 3)
        >>> x, shift = torch.randn(2, 4), torch.tensor([0.5, 0.0, -0.5])
        >>> torch.allclose(fold_logit_affine(head, 2.0, shift)(x), 2.0 * head(x) + shift)
        True
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise InvalidArgumentError(f"scale must be a finite number > 0, got {scale!r}")
    kind = head_name(classifier)
    out_features = classifier.out_features
    if bias.shape != (out_features,):
        raise InvalidArgumentError(f"bias must have shape [{out_features}], got {list(bias.shape)}")
    reference = classifier.weight
    bias = bias.to(device=reference.device, dtype=reference.dtype)
    with torch.no_grad():
        if kind == "linear":
            if classifier.bias is None:
                raise InvalidArgumentError("a linear classifier without a bias cannot take the prior shift")
            folded = nn.Linear(classifier.in_features, out_features, device=reference.device, dtype=reference.dtype)
            folded.weight.copy_(classifier.weight * scale)
            folded.bias.copy_(classifier.bias * scale + bias)
            return folded
        folded = ScaledCosineClassifier(classifier.in_features, out_features).to(reference.device, reference.dtype)
        folded.weight.copy_(classifier.weight)
        previous_scale, previous_bias = (classifier.scale, classifier.bias) if kind == "scaled_cosine" else (1.0, 0.0)
        folded.scale.copy_(previous_scale * torch.as_tensor(scale))
        folded.bias.copy_(previous_bias * scale + bias)
    return folded


def tau_normalize(weight: torch.Tensor, tau: float) -> torch.Tensor:
    """tau-normalised classifier weights ``W_c / ||W_c||^tau`` (Kang et al. ICLR 2020, Eq. 4).

    The bias is dropped by the method; ``tau = 0`` returns the weights unchanged.

    Example:
        >>> tau_normalize(torch.tensor([[3.0, 4.0]]), 1.0)
        tensor([[0.6000, 0.8000]])
    """
    tau = check_positive(tau, "tau", allow_zero=True)
    if weight.ndim != 2:
        raise InvalidArgumentError(f"weight must be 2-D [classes, features], got {tuple(weight.shape)}")
    return weight / weight.norm(dim=1, keepdim=True).pow(tau)


def init_classifier(classifier: nn.Module, bias_prior: float | str | None = None,
                    weight_std: float | None = None) -> None:
    """Re-initialises a linear classifier as a reference does; ``None`` leaves a part as it is.

    ``bias_prior`` sets the bias to ``-log((1 - pi) / pi)``, so that every sigmoid output starts at
    probability ``pi`` (Lin et al. ICCV 2017, Sec. 4.1; Cui et al. CVPR 2019, Sec. 5, for the
    sigmoid and focal forms of the class-balanced loss). ``"uniform"`` takes ``pi = 1 / C``, i.e. a
    bias of ``-log(C - 1)``: what the class-balanced loss's official code does (its paper states
    ``pi = 0.1``, the same value on CIFAR-10). ``weight_std`` draws the weights from
    ``N(0, weight_std^2)`` (that code's ImageNet / iNaturalist ResNet-50: 0.01).

    Example:
        >>> head = nn.Linear(64, 10)
        >>> init_classifier(head, bias_prior="uniform", weight_std=0.01)
        >>> round(torch.sigmoid(head.bias[0]).item(), 4)
        0.1
    """
    if bias_prior is None and weight_std is None:
        return
    if not isinstance(classifier, nn.Linear):
        raise InvalidArgumentError(
            f"classifier_bias_prior and classifier_weight_std need a linear classifier, got {type(classifier).__name__}"
        )
    if weight_std is not None and (isinstance(weight_std, bool) or not isinstance(weight_std, (int, float))
                                   or weight_std <= 0):
        raise InvalidArgumentError(f"classifier_weight_std must be a positive number, got {weight_std!r}")
    pi = None if bias_prior is None else _prior_probability(bias_prior, classifier.out_features)
    bias = None if pi is None else _bias_of(classifier)  # both checked before anything changes
    with torch.no_grad():
        if weight_std is not None:
            classifier.weight.normal_(0.0, float(weight_std))
        if bias is not None:
            bias.fill_(-math.log((1 - pi) / pi))


def _bias_of(classifier: nn.Linear) -> torch.Tensor:
    if classifier.bias is None:
        raise InvalidArgumentError("classifier_bias_prior needs a classifier with a bias (this one has none)")
    return classifier.bias


def _prior_probability(prior: float | str, num_classes: int) -> float:
    if prior == "uniform":
        if num_classes < 2:
            raise InvalidArgumentError("classifier_bias_prior='uniform' needs at least 2 classes")
        return 1.0 / num_classes
    if isinstance(prior, (int, float)) and not isinstance(prior, bool) and 0 < prior < 1:
        return float(prior)
    raise InvalidArgumentError(f"classifier_bias_prior must be a probability in (0, 1) or 'uniform', got {prior!r}")


class LearnableWeightScaling(nn.Module):
    """Learnable weight scaling (LWS, Kang et al. ICLR 2020): a frozen linear classifier with a
    trainable per-class scale, ``logits = (x W^T + b) * scales``, ``scales`` initialised to 1.

    Example:
        >>> lws = LearnableWeightScaling(nn.Linear(64, 10))
        >>> [n for n, p in lws.named_parameters() if p.requires_grad]
        ['scales']
    """

    def __init__(self, linear: nn.Linear):
        super().__init__()
        if not isinstance(linear, nn.Linear):
            raise InvalidArgumentError(f"linear must be an nn.Linear, got {type(linear).__name__}")
        self.linear = linear
        self.linear.requires_grad_(False)
        self.scales = nn.Parameter(torch.ones(linear.out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) * self.scales
