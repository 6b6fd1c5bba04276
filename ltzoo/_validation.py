"""Argument validation shared by losses, samplers, datasets and metrics.

Everything here raises :class:`~ltzoo.errors.InvalidArgumentError` (a ``ValueError``) whose
message names the argument and says what was expected. Nothing here imports torch at module
level, so data utilities stay light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidArgumentError


def _as_array(values: Any, name: str, expected: str) -> np.ndarray:
    """``values`` (a sequence, numpy array or torch tensor, without importing torch) as numpy."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    try:
        return np.asarray(values)
    except Exception as exc:  # ragged lists and the like
        raise InvalidArgumentError(f"{name} must be a 1-D sequence of {expected}: {exc}") from exc


def _integral(arr: np.ndarray) -> bool:
    """Integers, or floats with integral values."""
    return arr.dtype.kind in "iu" or (arr.dtype.kind == "f" and bool(np.all(np.mod(arr, 1) == 0)))


def as_class_counts(class_counts: Any, name: str = "class_counts") -> np.ndarray:
    """Validates per-class training counts and returns them as a 1-D int64 array.

    Args:
        class_counts: C positive integers (list, tuple, numpy array or torch tensor).
        name: the argument name used in error messages.

    Raises:
        InvalidArgumentError: not 1-D, fewer than 2 classes, non-integer, or any count < 1.
    """
    arr = _as_array(class_counts, name, "positive integers")
    if arr.ndim != 1 or arr.size < 2:
        raise InvalidArgumentError(
            f"{name} must be a 1-D sequence of per-class counts of 2 or more classes (a classifier, a prior), "
            f"got shape {arr.shape}"
        )
    if not _integral(arr):
        raise InvalidArgumentError(f"{name} must hold integers (images per class), got {arr[:10].tolist()}")
    bad = np.flatnonzero(arr < 1)
    if bad.size:
        raise InvalidArgumentError(
            f"{name} must be positive for every class; class(es) {bad[:10].tolist()} have "
            f"{arr[bad[:10]].tolist()} (an empty class cannot define a prior: drop it or check the labels)"
        )
    return arr.astype(np.int64)


def as_labels(labels: Any, name: str = "labels") -> np.ndarray:
    """Class labels as a 1-D int64 array: integers (or integral floats) >= 0; a 0.5 or a -1 would
    otherwise be truncated or wrap around silently."""
    arr = _as_array(labels, name, "integer class labels")
    if arr.ndim != 1 or not _integral(arr):
        raise InvalidArgumentError(f"{name} must be a 1-D sequence of integer class labels, got {arr.dtype} of shape "
                                   f"{arr.shape}: {arr.reshape(-1)[:10].tolist()}")
    if arr.size and arr.min() < 0:
        raise InvalidArgumentError(f"{name} must be >= 0 (classes are numbered 0..C-1), got {int(arr.min())}")
    return arr.astype(np.int64)


def check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    """Returns ``value`` as float if > 0 (or >= 0 with ``allow_zero``), else raises."""
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgumentError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def check_count(value: Any, name: str, minimum: int = 1) -> int:
    """An integer option (``topk``, ``batch_size``) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidArgumentError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_temperature(value: Any, name: str = "temperature") -> float:
    """A calibration temperature: a finite number > 0 (zero, negative, NaN or infinite values would
    give NaN or inverted probabilities)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"{name} must be a finite number > 0, got {value!r}")
    return check_positive(float(value), name)


def check_range(value: float, name: str, low: float, high: float, *, closed: str = "both") -> float:
    """Returns ``value`` as float if it lies in the interval; ``closed`` in both|left|right|neither."""
    lo_ok = value >= low if closed in ("both", "left") else value > low
    hi_ok = value <= high if closed in ("both", "right") else value < high
    if not (np.isfinite(value) and lo_ok and hi_ok):
        lb = "[" if closed in ("both", "left") else "("
        rb = "]" if closed in ("both", "right") else ")"
        raise InvalidArgumentError(f"{name} must lie in {lb}{low}, {high}{rb}, got {value!r}")
    return float(value)


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """Returns ``value`` if it is one of ``choices``, else raises naming them."""
    if value not in choices:
        raise InvalidArgumentError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def as_distribution(values: Any, name: str) -> np.ndarray:
    """C non-negative finite numbers with a positive sum (counts or probabilities), normalised
    to sum 1, float64."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{name} must be C non-negative finite numbers, got {values!r}") from exc
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0) or arr.sum() <= 0:
        raise InvalidArgumentError(f"{name} must be C non-negative finite numbers with a positive sum, got {arr[:10]}")
    return arr / arr.sum()


def resolve_prior(prior: Any, train: np.ndarray, name: str) -> np.ndarray:
    """The class distribution a prior names: ``"train"`` (``train``, a distribution), ``"balanced"``
    (uniform) or C numbers (normalised); the one resolver of the torch predictor, the onnxruntime
    one and :mod:`ltzoo.calibration`."""
    if isinstance(prior, str):
        if prior == "train":
            return train
        if prior == "balanced":
            return np.full_like(train, 1.0 / train.size)
        raise InvalidArgumentError(f"{name} must be 'balanced', 'train' or C numbers, got {prior!r}")
    dist = as_distribution(prior, name)
    if dist.size != train.size:
        raise InvalidArgumentError(f"{name} must have {train.size} entries, got {dist.size}")
    return dist
