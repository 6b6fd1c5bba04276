"""Class-count utilities: the long-tailed profiles of CIFAR-LT and the many/medium/few groups.

Class counts are the source of truth for every prior in ltzoo (losses, samplers, shot groups,
prior shift).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import as_class_counts, check_choice
from ..errors import InvalidArgumentError

FULL_CIFAR_PER_CLASS = {10: 5000, 100: 500}
MANY_SHOT_MIN = 100  # many: more than 100 training images
FEW_SHOT_MAX = 20  # few: fewer than 20
SHOT_GROUPS = ("many", "medium", "few")


def counts_from_targets(targets: Any, num_classes: int | None = None) -> np.ndarray:
    """Images per class from integer labels, ``num_classes`` long (default: max label + 1)."""
    labels = np.asarray(targets)
    if labels.ndim != 1 or (labels.size and labels.dtype.kind not in "iu"):
        raise InvalidArgumentError(f"targets must be a 1-D sequence of integer labels, got {labels.dtype} {labels.shape}")
    if labels.size and labels.min() < 0:
        raise InvalidArgumentError(f"targets must be >= 0, got {int(labels.min())}")
    size = int(labels.max()) + 1 if labels.size else 0
    if num_classes is not None:
        if size > num_classes:
            raise InvalidArgumentError(f"targets hold label {size - 1} but num_classes is {num_classes}")
        size = num_classes
    return np.bincount(labels, minlength=size).astype(np.int64)


def cifar_lt_counts(
    num_classes: int, imbalance_ratio: float = 100, profile: str = "exp", img_max: int | None = None
) -> list[int]:
    """Per-class image counts of CIFAR-LT (Cui et al. 2019; Cao et al. 2019 ``get_img_num_per_cls``).

    ``exp``: ``n_c = int(img_max * (1/ratio)^(c / (C - 1)))``; ``step``: the first C/2 classes
    keep ``img_max``, the rest ``int(img_max / ratio)``.

    Example:
        >>> cifar_lt_counts(10, 100)
        [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    """
    check_choice(profile, "profile", ("exp", "step"))
    if not np.isfinite(imbalance_ratio) or imbalance_ratio < 1:
        raise InvalidArgumentError(f"imbalance_ratio must be >= 1 (n_max / n_min), got {imbalance_ratio!r}")
    if num_classes < 2:
        raise InvalidArgumentError(f"num_classes must be >= 2, got {num_classes}")
    if img_max is None:
        if num_classes not in FULL_CIFAR_PER_CLASS:
            raise InvalidArgumentError(f"img_max is required for num_classes={num_classes} (known: 10, 100)")
        img_max = FULL_CIFAR_PER_CLASS[num_classes]
    factor = 1.0 / imbalance_ratio
    if profile == "exp":
        return [int(img_max * factor ** (c / (num_classes - 1.0))) for c in range(num_classes)]
    half = num_classes // 2
    return [int(img_max)] * half + [int(img_max * factor)] * (num_classes - half)


def cifar_lt_indices(targets: Any, counts: Sequence[int], seed: int = 0) -> np.ndarray:
    """Indices kept by the long-tailed subsampling, drawn exactly as the reference
    ``IMBALANCECIFAR.gen_imbalanced_data`` does: seed once, then per class in order shuffle the
    class's indices and keep the first ``n_c``. Subsets at different ratios are nested.

    A private ``RandomState(seed)`` gives the same stream as ``np.random.seed(seed)`` without
    touching numpy's global state.
    """
    labels = np.asarray(targets)
    counts = as_class_counts(counts, "counts")
    rng = np.random.RandomState(seed)
    kept = []
    for cls, n in enumerate(counts):
        idx = np.where(labels == cls)[0]
        if n > idx.size:
            raise InvalidArgumentError(f"counts asks {n} images of class {cls}, the data holds {idx.size}")
        rng.shuffle(idx)
        kept.append(idx[:n])
    return np.concatenate(kept)


def heldout_indices(targets: Any, pool: np.ndarray, num_classes: int, per_class: int, seed: int = 0) -> np.ndarray:
    """A balanced validation split drawn from ``pool`` (indices into ``targets``, e.g. the images
    the long-tailed subsampling discarded): up to ``per_class`` of each class, chosen with
    ``RandomState(seed)`` class by class; sorted. Classes the subsampling kept whole (the head
    class) have none to give and are absent."""
    labels = np.asarray(targets)
    rng = np.random.RandomState(seed)
    pool_targets = labels[pool]
    chosen = [rng.permutation(pool[pool_targets == cls])[:per_class] for cls in range(num_classes)]
    return np.sort(np.concatenate(chosen))


def shot_groups(
    class_counts: Any, many_min: int = MANY_SHOT_MIN, few_max: int = FEW_SHOT_MAX
) -> dict[str, np.ndarray]:
    """Class indices of the many (> many_min), medium and few (< few_max) shot groups.

    Example:
        >>> {k: v.tolist() for k, v in shot_groups([500, 50, 5]).items()}
        {'many': [0], 'medium': [1], 'few': [2]}
    """
    counts = np.asarray(class_counts)
    if counts.ndim != 1:
        raise InvalidArgumentError(f"class_counts must be 1-D, got shape {counts.shape}")
    if few_max > many_min:
        raise InvalidArgumentError(f"few_max ({few_max}) must not exceed many_min ({many_min})")
    return {
        "many": np.flatnonzero(counts > many_min),
        "medium": np.flatnonzero((counts <= many_min) & (counts >= few_max)),
        "few": np.flatnonzero(counts < few_max),
    }


def describe_class_counts(class_counts: Any, many_min: int = MANY_SHOT_MIN, few_max: int = FEW_SHOT_MAX) -> str:
    """What a run shows before it trains: the imbalance ratio and the size of each shot group;
    where no class reaches the many-shot group, thresholds in CIFAR-LT's proportions (many above a
    fifth of the largest class, few below a 25th) to set instead.

    Example:
        >>> describe_class_counts([500, 50, 5])
        'imbalance ratio 100 (500 / 5); many (>100 images): 1 classes, medium (20-100): 1, few (<20): 1'
    """
    counts = np.asarray(class_counts)
    groups = shot_groups(counts, many_min, few_max)
    text = (f"imbalance ratio {counts.max() / max(counts.min(), 1):.3g} ({counts.max()} / {counts.min()}); "
            f"many (>{many_min} images): {len(groups['many'])} classes, medium ({few_max}-{many_min}): "
            f"{len(groups['medium'])}, few (<{few_max}): {len(groups['few'])}")
    if not len(groups["many"]):
        text += (f". No class has more than {many_min} images: for data this size set many_shot_min="
                 f"{max(2, round(counts.max() / 5))} few_shot_max={max(1, round(counts.max() / 25))} "
                 "(CIFAR-LT's proportions of its largest class)")
    return text
