"""Gaussian Clouded Logit adjustment (GCL).

Li, Cheung, Lu. "Long-tailed Visual Recognition via Gaussian Clouded Logit Adjustment",
CVPR 2022 (reference: Keke921/GCLLoss ``losses.py``), and its angular form (Li et al., TAI
2024; reference ``GCLAngLoss``). Both take cosine similarities from a cosine classifier and
perturb them with a Gaussian "cloud" whose amplitude grows for rarer classes.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_positive
from ..errors import InvalidArgumentError
from ._common import (
    ClassWeightMixin,
    check_logits_target,
    counts_tensor,
    explain_nonfinite,
    focal_modulated_mean,
    optional_weight,
    target_mask,
    upcast,
)
from ._registry import register_loss

NOISE_STD = 1.0 / 3.0


class _GaussianCloudBase(ClassWeightMixin, nn.Module):
    """Shared parts: the per-class cloud amplitude ``m_list``, noise draw and the final CE."""

    def __init__(
        self,
        class_counts: Any,
        m: float,
        s: float,
        gamma: float,
        weight: Any,
        classifier_stage: bool,
    ):
        super().__init__()
        counts = counts_tensor(class_counts)
        log_counts = torch.log(counts)
        # m_j = log n_max - log n_j (float32, as the reference builds it)
        self.register_buffer("m_list", log_counts.max() - log_counts)
        self.register_buffer("weight", optional_weight(weight, counts.numel()))
        self.num_classes = counts.numel()
        self.m = float(m)
        self.s = check_positive(s, "s")
        self.gamma = check_positive(gamma, "gamma", allow_zero=True)
        self.classifier_stage = bool(classifier_stage)

    def _relative_amplitude(self) -> torch.Tensor:
        """m_j / max_k m_k. With uniform counts the reference divides 0 by 0 (NaN); we use 0."""
        top = self.m_list.max()
        return self.m_list / top if top > 0 else torch.zeros_like(self.m_list)

    def _clamped_noise(self, cosine: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        """delta ~ Normal(0, 1/3), one draw per element per call, clamped to [-1, 1].

        The reference samples on the CPU and copies to the device; we sample on the logits'
        device (same distribution, no host round trip). ``noise`` replaces the draw.
        """
        if noise is None:
            return torch.randn(cosine.shape, device=cosine.device, dtype=cosine.dtype).mul_(NOISE_STD).clamp_(-1.0, 1.0)
        if noise.shape != cosine.shape:
            raise InvalidArgumentError(
                f"noise must have the shape of cosine {tuple(cosine.shape)}, got {tuple(noise.shape)}"
            )
        return noise.to(device=cosine.device, dtype=cosine.dtype).clamp(-1.0, 1.0)

    def adjusted_logits(
        self, cosine: torch.Tensor, target: torch.Tensor, noise: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The perturbed cosines before the scale ``s``; defined by each variant."""
        raise NotImplementedError

    def forward(self, cosine: torch.Tensor, target: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Loss on cosine similarities ``[B, C]`` and integer targets ``[B]``."""
        z = self.adjusted_logits(cosine, target, noise)
        if self.classifier_stage:
            ce = F.cross_entropy(self.s * z, target, weight=self.weight_like(z), reduction="none")
            return explain_nonfinite(focal_modulated_mean(ce, self.gamma, detach=True), cosine=cosine)
        return explain_nonfinite(F.cross_entropy(self.s * z, target, weight=self.weight_like(z)), cosine=cosine)

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, m={self.m}, s={self.s}, classifier_stage={self.classifier_stage}"


@register_loss("gcl")
class GCLLoss(_GaussianCloudBase):
    """GCL (Li et al. CVPR 2022, Eq. 5-6; code ``GCLLoss``).

    ``z_ij = cos_ij - noise_mul * |delta_ij| * m_j / max_k m_k`` for every column (the target
    column included, as in the code), then ``z_iy -= m``; the loss is
    ``CE(s * z, y, weight)`` (torch's weighted mean). ``classifier_stage=True`` is the
    reference's ``train_cls`` used for stage-2 re-training:
    ``mean_i (1 - exp(-ce_i)).detach()**gamma * ce_i`` with per-sample ``ce_i``.

    Args:
        class_counts: training images per class (C positive ints).
        m: extra margin subtracted from the target cosine (stage 1 on CIFAR uses 0).
        s: scale applied to the adjusted cosines.
        noise_mul: amplitude of the Gaussian cloud (the paper's lambda).
        gamma: focal exponent of the classifier stage.
        weight: optional per-class CE weights.
        classifier_stage: use the stage-2 (``train_cls``) loss.

    Example:
        >>> loss_fn = GCLLoss([5000, 500, 50], m=0.0, s=30.0, noise_mul=0.5)
        >>> loss = loss_fn(torch.rand(8, 3) * 2 - 1, torch.randint(0, 3, (8,)))
    """

    def __init__(
        self,
        class_counts: Any,
        m: float = 0.5,
        s: float = 30.0,
        noise_mul: float = 1.0,
        gamma: float = 0.0,
        weight: Any = None,
        classifier_stage: bool = False,
    ):
        super().__init__(class_counts, m, s, gamma, weight, classifier_stage)
        self.noise_mul = check_positive(noise_mul, "noise_mul", allow_zero=True)

    def adjusted_logits(
        self, cosine: torch.Tensor, target: torch.Tensor, noise: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The perturbed cosines z before the scale ``s`` (at least float32)."""
        check_logits_target(cosine, target, self.num_classes, name="cosine")
        cosine = upcast(cosine)
        cloud = self._clamped_noise(cosine, noise).abs_().mul_(self.noise_mul * self._relative_amplitude())
        z = cosine - cloud
        return z.scatter_add_(1, target.view(-1, 1), torch.full_like(z[:, :1], -self.m))


@register_loss("gcl_angular")
class GCLAngularLoss(_GaussianCloudBase):
    """Angular GCL (Li et al., TAI 2024; code ``GCLAngLoss``): the cloud perturbs angles.

    ``a_ij = (pi/2) * epsilon * m_j / max(m) * delta_ij``, ``M_ij = |a_ij| + m [j = y]``,
    ``phi = cos(theta + M)``; ``easy_margin``: phi where cos > 0 else cos; otherwise phi where
    ``cos > cos(pi - M)`` else ``cos - sin(pi - M)`` (the reference's CosFace-style fallback).

    Example:
        >>> loss_fn = GCLAngularLoss([100, 10, 1])
        >>> loss = loss_fn(torch.rand(4, 3) * 2 - 1, torch.tensor([0, 1, 2, 0]))
    """

    def __init__(
        self,
        class_counts: Any,
        m: float = 0.5,
        epsilon: float = 0.1,
        s: float = 30.0,
        easy_margin: bool = False,
        gamma: float = 0.0,
        weight: Any = None,
        classifier_stage: bool = False,
    ):
        super().__init__(class_counts, m, s, gamma, weight, classifier_stage)
        self.epsilon = check_positive(epsilon, "epsilon", allow_zero=True)
        self.easy_margin = bool(easy_margin)

    def adjusted_logits(
        self, cosine: torch.Tensor, target: torch.Tensor, noise: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The margin-applied cosines before the scale ``s`` (at least float32)."""
        check_logits_target(cosine, target, self.num_classes, name="cosine")
        cosine = upcast(cosine)
        delta = self._clamped_noise(cosine, noise)
        angle = (math.pi / 2 * self.epsilon) * self._relative_amplitude() * delta
        margin = angle.abs_() + target_mask(target, cosine, self.m)
        sine = torch.sqrt((1.0 - cosine.pow(2)).clamp(0, 1))
        cos_m, sin_m = torch.cos(margin), torch.sin(margin)
        phi = cosine * cos_m - sine * sin_m
        if self.easy_margin:
            return torch.where(cosine > 0, phi, cosine)
        # cos(pi - M) = -cos(M) and sin(pi - M) = sin(M): the reference's threshold and fallback
        return torch.where(cosine > -cos_m, phi, cosine - sin_m)
