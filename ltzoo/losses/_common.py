"""Input checks and helpers shared by every loss module."""

from __future__ import annotations

from typing import Any

import torch

from .._validation import as_class_counts
from ..errors import InvalidArgumentError, NonFiniteError


def counts_tensor(class_counts: Any) -> torch.Tensor:
    """Validated class counts as a float32 tensor (the reference codes build theirs in float32)."""
    return torch.as_tensor(as_class_counts(class_counts), dtype=torch.float32)


def optional_weight(weight: Any, num_classes: int | None, name: str = "weight") -> torch.Tensor | None:
    """Per-class loss weights as a float32 tensor of length C, or None."""
    if weight is None:
        return None
    w = torch.as_tensor(weight).detach().to(dtype=torch.float32).clone()
    if w.ndim != 1 or (num_classes is not None and w.numel() != num_classes):
        raise InvalidArgumentError(
            f"{name} must be a 1-D tensor with one weight per class ({num_classes}), got shape {tuple(w.shape)}"
        )
    if not torch.isfinite(w).all() or (w < 0).any():
        raise InvalidArgumentError(f"{name} must be finite and non-negative, got {w.tolist()[:10]}")
    return w


class ClassWeightMixin:
    """``set_weight`` for losses holding a per-class ``weight`` buffer (DRW changes it mid-run)."""

    num_classes: int | None = None

    def set_weight(self, weight: Any) -> None:
        """Replaces the per-class weights (None removes them)."""
        new = optional_weight(weight, self.num_classes)
        devices = [b.device for b in self.buffers()]
        self.weight = new.to(devices[0]) if new is not None and devices else new

    def weight_like(self, logits: torch.Tensor) -> torch.Tensor | None:
        """The class weights in the dtype of ``logits`` (cross_entropy requires it)."""
        return None if self.weight is None else self.weight.to(logits.dtype)


def check_logits_target(
    logits: torch.Tensor, target: torch.Tensor, num_classes: int | None, name: str = "logits"
) -> None:
    """Raises InvalidArgumentError unless logits is [B, C] and target int [B] in [0, C).

    Finiteness is checked lazily by :func:`explain_nonfinite` on the result."""
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise InvalidArgumentError(f"{name} must be a 2-D tensor [batch, classes], got {shape}")
    if logits.shape[0] == 0:
        raise InvalidArgumentError(
            f"{name} is an empty batch (shape {tuple(logits.shape)}): a mean over no samples is NaN"
        )
    if num_classes is not None and logits.shape[1] != num_classes:
        raise InvalidArgumentError(
            f"{name} has {logits.shape[1]} classes but the loss was built for {num_classes} "
            f"(len(class_counts)); got shape {tuple(logits.shape)}"
        )
    check_target(target, logits.shape[0], logits.shape[1])


def explain_nonfinite(loss: torch.Tensor, **inputs: torch.Tensor) -> torch.Tensor:
    """Returns ``loss``; if it is NaN or infinite, raises NonFiniteError naming the first input
    holding NaN / inf. NaN and +inf inputs always make these losses non-finite, so the full
    scan of the inputs runs only then (a scan on every call costs up to half of a CE step)."""
    if not bool(torch.isfinite(loss).all()):
        for name, tensor in inputs.items():
            check_finite(tensor, name)
    return loss


def check_finite(tensor: torch.Tensor, name: str) -> None:
    """Raises NonFiniteError if ``tensor`` holds NaN or +-inf.

    One float64 reduction (NaN and inf propagate through a sum; float64 cannot overflow on
    float32 inputs) instead of ``isfinite(x).all()``, which is ~100x slower on CPU.
    """
    if not torch.isfinite(tensor.sum(dtype=torch.float64)):
        raise NonFiniteError(f"{name} contains NaN or infinite values")


def check_target(target: torch.Tensor, batch_size: int, num_classes: int, name: str = "target") -> None:
    """Raises unless target is an integer tensor [batch_size] with values in [0, num_classes)."""
    if not isinstance(target, torch.Tensor) or target.ndim != 1 or target.shape[0] != batch_size:
        shape = tuple(target.shape) if isinstance(target, torch.Tensor) else type(target).__name__
        raise InvalidArgumentError(f"{name} must be a 1-D tensor of {batch_size} class indices, got {shape}")
    if target.dtype.is_floating_point or target.dtype == torch.bool or target.dtype.is_complex:
        raise InvalidArgumentError(f"{name} must hold integer class indices, got dtype {target.dtype}")
    if target.numel():
        low, high = (int(v) for v in torch.aminmax(target))
        if low < 0 or high >= num_classes:
            raise InvalidArgumentError(f"{name} values must lie in [0, {num_classes}), got min {low}, max {high}")


def target_mask(target: torch.Tensor, like: torch.Tensor, value: float = 1.0) -> torch.Tensor:
    """``value`` at each row's target column, 0 elsewhere, shaped and typed like ``like``
    (cheaper than ``F.one_hot(...).to(dtype)``)."""
    return torch.zeros_like(like).scatter_(1, target.view(-1, 1), value)


def upcast(x: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 -> float32 (losses are computed in float32 under autocast); float32
    and float64 pass through, so gradcheck in float64 sees float64 math."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def focal_modulated_mean(ce: torch.Tensor, gamma: float, detach: bool) -> torch.Tensor:
    """mean_i (1 - p_i)^gamma * ce_i with p_i = exp(-ce_i) (Lin et al. 2017 on per-sample CE).

    ``detach=True`` stops the gradient through the modulator, as GCL's reference does;
    ``detach=False`` is LDAM-DRW's form.
    """
    if gamma == 0:
        return ce.mean()
    modulator = 1.0 - torch.exp(-ce)
    if detach:
        modulator = modulator.detach()
    return (modulator**gamma * ce).mean()
