"""Long-tailed evaluation: accuracy overall / many / medium / few and per class, top-5, NLL,
expected calibration error, Brier score, confusion matrix.

Pure functions on ``(logits or probs, targets)`` plus :class:`LTMetricAccumulator`, which
streams batches and reuses them. ``top1`` is the mean of per-class accuracies, the papers'
"All" on balanced test sets; ``accuracy`` is the plain fraction correct.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .data.class_counts import FEW_SHOT_MAX, MANY_SHOT_MIN, SHOT_GROUPS, shot_groups
from .errors import InvalidArgumentError

ECE_BINS = 15


def _check(scores: torch.Tensor, targets: torch.Tensor, name: str = "logits") -> None:
    if scores.ndim != 2:
        raise InvalidArgumentError(f"{name} must be [N, C], got {tuple(scores.shape)}")
    if targets.ndim != 1 or targets.shape[0] != scores.shape[0]:
        raise InvalidArgumentError(f"targets must be [{scores.shape[0]}], got {tuple(targets.shape)}")
    if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= scores.shape[1]):
        raise InvalidArgumentError(
            f"targets must lie in [0, {scores.shape[1]}), got min {int(targets.min())}, max {int(targets.max())}"
        )


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``[C, C]`` counts, rows = true class, columns = predicted class."""
    flat = targets.long() * num_classes + preds.long()
    return torch.bincount(flat, minlength=num_classes * num_classes).view(num_classes, num_classes)


def per_class_accuracy(confusion: torch.Tensor) -> torch.Tensor:
    """Recall of each class from a confusion matrix (NaN for classes absent from the data)."""
    support = confusion.sum(1).double()
    return torch.where(support > 0, confusion.diag().double() / support.clamp(min=1), torch.nan)


def topk_accuracy(logits: torch.Tensor, targets: torch.Tensor, k: int = 5) -> float:
    """Fraction of samples whose label is among the k highest scores (k capped at C)."""
    _check(logits, targets)
    k = min(k, logits.shape[1])
    return (logits.topk(k, dim=1).indices == targets.view(-1, 1)).any(1).double().mean().item()


def expected_calibration_error(probs: torch.Tensor, targets: torch.Tensor, n_bins: int = ECE_BINS) -> float:
    """Top-label ECE with ``n_bins`` equal-width confidence bins (Guo et al. 2017, Eq. 3).

    Bins are right-closed ``(lo, hi]`` as in torchmetrics' ``binary_calibration_error``
    convention of bucketising confidences.
    """
    _check(probs, targets, "probs")
    confidence, predicted = probs.double().max(1)
    correct = (predicted == targets).double()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64, device=probs.device)
    bin_index = torch.bucketize(confidence, edges[1:-1], right=False)
    conf_sum = torch.bincount(bin_index, weights=confidence, minlength=n_bins)
    acc_sum = torch.bincount(bin_index, weights=correct, minlength=n_bins)
    return ((conf_sum - acc_sum).abs().sum() / max(len(targets), 1)).item()


def reliability_bins(probs: torch.Tensor, targets: torch.Tensor, n_bins: int = ECE_BINS) -> dict[str, np.ndarray]:
    """Per-bin count, mean confidence and accuracy (for the reliability diagram)."""
    confidence, predicted = probs.double().max(1)
    correct = (predicted == targets).double()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    bin_index = torch.bucketize(confidence.cpu(), edges[1:-1], right=False)
    count = torch.bincount(bin_index, minlength=n_bins).double()
    safe = count.clamp(min=1)
    return {
        "edges": edges.numpy(),
        "count": count.numpy(),
        "confidence": (torch.bincount(bin_index, weights=confidence.cpu(), minlength=n_bins) / safe).numpy(),
        "accuracy": (torch.bincount(bin_index, weights=correct.cpu(), minlength=n_bins) / safe).numpy(),
    }


def brier_score(probs: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean over samples of ``sum_c (p_c - onehot_c)^2``."""
    _check(probs, targets, "probs")
    onehot = F.one_hot(targets.long(), probs.shape[1]).double()
    return ((probs.double() - onehot) ** 2).sum(1).mean().item()


def lt_report(
    logits: torch.Tensor,
    targets: torch.Tensor,
    class_counts: Any,
    many_min: int = MANY_SHOT_MIN,
    few_max: int = FEW_SHOT_MAX,
) -> dict[str, Any]:
    """The long-tailed report for logits ``[N, C]`` and targets ``[N]``.

    ``class_counts`` are the *training* counts that define the shot groups. Accuracies are
    fractions in [0, 1]; per-group numbers are means of per-class accuracy over the group's
    classes present in the data (None when the group is empty).
    """
    logits = logits.detach().double().cpu()
    targets = targets.detach().long().cpu()
    _check(logits, targets)
    num_classes = logits.shape[1]
    counts = np.asarray(class_counts)
    if counts.shape != (num_classes,):
        raise InvalidArgumentError(f"class_counts must have {num_classes} entries, got shape {counts.shape}")
    probs = logits.softmax(1)
    preds = logits.argmax(1)
    confusion = confusion_matrix(preds, targets, num_classes)
    class_acc = per_class_accuracy(confusion)
    groups = shot_groups(counts, many_min, few_max)
    report: dict[str, Any] = {
        "num_samples": int(len(targets)),
        "top1": float(np.nanmean(class_acc.numpy())),
        "accuracy": float((preds == targets).double().mean()),
        "top5": topk_accuracy(logits, targets, 5),
        "nll": float(F.nll_loss(torch.log(probs.clamp(min=1e-300)), targets)),
        "ece": expected_calibration_error(probs, targets),
        "brier": brier_score(probs, targets),
        "per_class_accuracy": [None if np.isnan(a) else float(a) for a in class_acc.numpy()],
        "confusion_matrix": confusion.tolist(),
    }
    for name in SHOT_GROUPS:
        members = groups[name]
        accs = class_acc.numpy()[members] if members.size else np.array([])
        accs = accs[~np.isnan(accs)]
        report[name] = float(accs.mean()) if accs.size else None
        in_group = torch.as_tensor(np.isin(targets.numpy(), members))
        report[f"ece_{name}"] = (
            expected_calibration_error(probs[in_group], targets[in_group]) if in_group.any() else None
        )
    return report


class LTMetricAccumulator:
    """Collects logits and targets batch by batch; :meth:`compute` returns :func:`lt_report`.

    Example:
        >>> acc = LTMetricAccumulator(class_counts=[500, 50, 5])
        >>> acc.update(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]))
        >>> sorted(acc.compute())[:3]
        ['accuracy', 'brier', 'confusion_matrix']
    """

    def __init__(self, class_counts: Any, many_min: int = MANY_SHOT_MIN, few_max: int = FEW_SHOT_MAX):
        self.class_counts = np.asarray(class_counts)
        self.many_min, self.few_max = many_min, few_max
        self._logits: list[torch.Tensor] = []
        self._targets: list[torch.Tensor] = []

    def update(self, logits: torch.Tensor, targets: torch.Tensor) -> None:
        _check(logits, targets)
        self._logits.append(logits.detach().float().cpu())
        self._targets.append(targets.detach().long().cpu())

    def logits_and_targets(self) -> tuple[torch.Tensor, torch.Tensor]:
        if not self._logits:
            raise InvalidArgumentError("no batch was added to the accumulator")
        return torch.cat(self._logits), torch.cat(self._targets)

    def compute(self) -> dict[str, Any]:
        logits, targets = self.logits_and_targets()
        return lt_report(logits, targets, self.class_counts, self.many_min, self.few_max)
