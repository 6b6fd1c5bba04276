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
    """The model as one stage trains it.

    ``scope``: ``all`` (everything), ``classifier`` (the classifier on frozen features: backbone
    in eval mode, features under no_grad: cRT, LWS, GCL stage 2), or comma-separated module
    names trained with the classifier while the rest stays frozen in eval mode (partial
    fine-tuning of a pretrained backbone, e.g. ``layer4`` as GCL does on Places-LT).
    """

    def __init__(self, model: nn.Module, scope: str):
        super().__init__()
        self.model, self.scope = model, scope
        self.classifier = model.get_classifier()
        self.trained: list[nn.Module] = []
        if scope == "all":
            return
        names = [] if scope == "classifier" else [n.strip() for n in scope.split(",") if n.strip()]
        known = dict(model.named_modules())
        missing = [n for n in names if n not in known]
        if missing or (scope != "classifier" and not names):
            tops = ", ".join(n for n, _ in model.named_children())
            raise InvalidArgumentError(
                f"train_scope must be 'all', 'classifier' or module names of {type(model).__name__} "
                f"(top-level: {tops}); got {scope!r}"
            )
        model.requires_grad_(False)
        self.trained = [known[n] for n in names] + [self.classifier]
        for module in self.trained:
            module.requires_grad_(True)
        if isinstance(self.classifier, LearnableWeightScaling):
            self.classifier.linear.requires_grad_(False)  # LWS learns only its scales

    def train(self, mode: bool = True) -> StageModel:
        super().train(mode)
        if self.scope != "all":
            self.model.eval()
            for module in self.trained:
                module.train(mode)
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.scope != "classifier":
            return self.model(images)
        with torch.no_grad():
            features = self.model.forward_head(self.model.forward_features(images), pre_logits=True)
        return self.classifier(features)


def plain_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state dict with an LWS classifier's scales folded into its linear layer
    (W s, b s) under the plain linear head's keys: what :func:`fold_lws` makes of the model, without
    changing it (a best-epoch snapshot taken mid-stage loads into the final, folded model)."""
    state = model.state_dict()
    classifier = model.get_classifier()
    if not isinstance(classifier, LearnableWeightScaling):
        return state
    prefix = next(name for name, module in model.named_modules() if module is classifier)
    scales = state.pop(f"{prefix}.scales")
    for param in ("weight", "bias"):
        wrapped = state.pop(f"{prefix}.linear.{param}", None)
        if wrapped is not None:
            state[f"{prefix}.{param}"] = wrapped * (scales.view(-1, 1) if param == "weight" else scales)
    return state


def fold_lws(model: nn.Module) -> None:
    """Folds learned LWS scales into the wrapped linear layer and puts that layer back: the
    checkpoint stays a standard timm linear-head model."""
    classifier = model.get_classifier()
    if isinstance(classifier, LearnableWeightScaling):
        state = plain_state_dict(model)
        set_classifier(model, classifier.linear.requires_grad_(True))
        model.load_state_dict(state)


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
