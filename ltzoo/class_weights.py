"""Per-class weights from class counts: one registry for the losses that re-weight and the
samplers that re-sample.

Each weighting maps the training counts ``n_c`` to one weight per class, unnormalised (a sampler
draws an image of class c with probability proportional to ``w_c``; a loss scales class c's terms
by it). ``normalize`` rescales as a method's reference does: ``"mean"`` to mean 1 (sum C, Cui et al.
CVPR 2019, Eq. 4's normalisation), ``"sum"`` to sum 1. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._registry import Registry
from ._validation import as_class_counts, check_choice, check_range

ClassWeighting = Callable[..., np.ndarray]
_CLASS_WEIGHTS: Registry[np.ndarray] = Registry("class weighting")
NORMALIZATIONS = ("mean", "sum")


def register_class_weights(name: str) -> Callable[[ClassWeighting], ClassWeighting]:
    """Decorator adding ``fn(counts: int64 array, **options) -> float array`` under ``name``."""
    return _CLASS_WEIGHTS.register(name)


def list_class_weights(pattern: str = "*") -> list[str]:
    """Names of the registered weightings."""
    return _CLASS_WEIGHTS.names(pattern)


def class_weights(name: str, class_counts: Any, normalize: str | None = None, **options: Any) -> np.ndarray:
    """The weighting ``name`` of ``class_counts``, optionally normalised.

    Args:
        name: a registered weighting (:func:`list_class_weights`).
        class_counts: training images per class (C positive integers).
        normalize: None (as computed), ``"mean"`` (mean 1) or ``"sum"`` (sum 1).
        **options: the weighting's own options (``beta`` of ``effective_number``).

    Example:
        >>> class_weights("inverse_frequency", [300, 100], normalize="sum").round(3)
        array([0.25, 0.75])
    """
    counts = as_class_counts(class_counts)
    if normalize is not None:
        check_choice(normalize, "normalize", NORMALIZATIONS)
    weights = _CLASS_WEIGHTS.create(name, counts, **options)
    if normalize == "mean":
        return weights / weights.sum() * len(counts)
    if normalize == "sum":
        return weights / weights.sum()
    return weights


@register_class_weights("inverse_frequency")
def inverse_frequency(counts: np.ndarray) -> np.ndarray:
    """``1 / n_c``: every class equally likely when sampling (class-balanced sampling)."""
    return 1.0 / counts.astype(np.float64)


@register_class_weights("square_root")
def square_root(counts: np.ndarray) -> np.ndarray:
    """``1 / sqrt(n_c)``: class probability proportional to ``sqrt(n_c)`` (Mahajan et al. 2018)."""
    return 1.0 / np.sqrt(counts)


@register_class_weights("effective_number")
def effective_number(counts: np.ndarray, beta: float = 0.9999) -> np.ndarray:
    """``(1 - beta) / (1 - beta^n_c)``, the inverse effective number of samples (Cui et al. CVPR
    2019, Eq. 3); ``beta = 0`` gives ones."""
    beta = check_range(beta, "beta", 0.0, 1.0, closed="left")
    return (1.0 - beta) / (1.0 - np.power(beta, counts.astype(np.float64)))


@register_class_weights("class_based_effective_number")
def class_based_effective_number(counts: np.ndarray) -> np.ndarray:
    """GCL's class-based effective number (CBENRS; Li et al. CVPR 2022, reference
    ``CBEffectNumSampler``): a per-class ``beta_c = 0.9999 + 1e-5 * d_c``, ``d_c`` the min-max
    normalised ``log n_max - log n_c``, computed in float32 as the reference does (float64 would
    move the weights by ~4e-5 relative)."""
    log_n = np.log(counts.astype(np.float32))
    delta = log_n.max() - log_n
    span = delta.max()
    delta = (delta - delta.min()) / span if span > 0 else np.zeros_like(delta)
    class_beta = np.float32(0.9999) + np.float32(1e-5) * delta
    return (np.float32(1.0) - class_beta) / (1.0 - np.power(class_beta, counts))


def effective_number_weights(class_counts: Any, beta: float = 0.9999) -> np.ndarray:
    """Class-balanced loss weights (Cui et al. CVPR 2019, Eq. 3-4): the effective-number
    weighting normalised to sum C. ``beta = 0`` gives ones.

    Example:
        >>> effective_number_weights([5000, 50], beta=0.999).round(3)
        array([0.094, 1.906])
    """
    return class_weights("effective_number", class_counts, normalize="mean", beta=beta)


def inverse_frequency_weights(class_counts: Any) -> np.ndarray:
    """``w_c = (1 / n_c) / sum_k (1 / n_k)``: the inverse-class-frequency ("icf") weights of the
    SCL + RSG + LDAM training script (Wang, Lassila & Ali, arXiv 2501.13756); they sum to 1.

    Example:
        >>> inverse_frequency_weights([300, 100]).round(3)
        array([0.25, 0.75])
    """
    return class_weights("inverse_frequency", class_counts, normalize="sum")
