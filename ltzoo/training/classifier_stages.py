"""Classifier-side stage logic: the model as a stage trains it (whole, or the classifier on frozen
features), folding LWS scales back into a plain linear layer, and post-hoc tau-normalisation
(Kang et al. ICLR 2020)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..errors import InvalidArgumentError
from ..models import LearnableWeightScaling, tau_normalize
from ..models.factory import set_classifier


class StageModel(nn.Module):
    """The model as one stage trains it: whole (``all``) or only the classifier on frozen
    features (``classifier``: backbone in eval mode, features under no_grad)."""

    def __init__(self, model: nn.Module, scope: str):
        super().__init__()
        if scope not in ("all", "classifier"):
            raise InvalidArgumentError(f"train_scope must be 'all' or 'classifier', got {scope!r}")
        self.model, self.scope = model, scope
        self.classifier = model.get_classifier()
        if scope == "classifier":
            model.requires_grad_(False)
            if isinstance(self.classifier, LearnableWeightScaling):
                self.classifier.scales.requires_grad_(True)  # the wrapped linear stays frozen
            else:
                self.classifier.requires_grad_(True)

    def train(self, mode: bool = True) -> StageModel:
        super().train(mode)
        if self.scope == "classifier":
            self.model.eval()
            self.classifier.train(mode)
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.scope == "all":
            return self.model(images)
        with torch.no_grad():
            features = self.model.forward_head(self.model.forward_features(images), pre_logits=True)
        return self.classifier(features)


def fold_lws(model: nn.Module) -> None:
    """Folds learned LWS scales into the wrapped linear layer (W s, b s) and puts that layer back:
    the checkpoint stays a standard timm linear-head model."""
    classifier = model.get_classifier()
    if isinstance(classifier, LearnableWeightScaling):
        linear = classifier.linear
        with torch.no_grad():
            linear.weight.mul_(classifier.scales.view(-1, 1))
            if linear.bias is not None:
                linear.bias.mul_(classifier.scales)
        set_classifier(model, linear.requires_grad_(True))


def select_tau_norm(model: nn.Module, tau_grid: Sequence[float], score: Callable[[], float]) -> tuple[float, float]:
    """tau-normalises the linear classifier (bias dropped) with the tau of ``tau_grid`` that
    maximises ``score()`` (validation top-1; ties go to the smaller tau). Returns (tau, score)."""
    classifier = model.get_classifier()
    if not isinstance(classifier, nn.Linear):
        raise InvalidArgumentError(f"tau_norm needs a linear classifier, got {type(classifier).__name__}")
    original = classifier.weight.detach().clone()
    scores = {}
    with torch.no_grad():
        if classifier.bias is not None:
            classifier.bias.zero_()
        for tau in tau_grid:
            classifier.weight.copy_(tau_normalize(original, tau))
            scores[tau] = score()
        best = max(scores, key=lambda t: (scores[t], -t))
        classifier.weight.copy_(tau_normalize(original, best))
    return best, scores[best]
