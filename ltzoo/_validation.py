"""Argument validation shared by losses, samplers, datasets and metrics.

Everything here raises :class:`~ltzoo.errors.InvalidArgumentError` (a ``ValueError``) whose
message names the argument and says what was expected. Nothing here imports torch at module
level, so data utilities stay light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidArgumentError


def as_class_counts(class_counts: Any, name: str = "class_counts") -> np.ndarray:
    """Validates per-class training counts and returns them as a 1-D int64 array.

    Args:
        class_counts: C positive integers (list, tuple, numpy array or torch tensor).
        name: the argument name used in error messages.

    Raises:
        InvalidArgumentError: not 1-D, empty, non-integer, or any count < 1.
    """
    if hasattr(class_counts, "detach"):  # torch tensor, without importing torch
        class_counts = class_counts.detach().cpu().numpy()
    try:
        arr = np.asarray(class_counts)
    except Exception as exc:  # ragged lists and the like
        raise InvalidArgumentError(f"{name} must be a 1-D sequence of positive integers: {exc}") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidArgumentError(
            f"{name} must be a non-empty 1-D sequence of per-class counts, got shape {arr.shape}"
        )
    if arr.dtype.kind not in "iuf" or (arr.dtype.kind == "f" and not np.all(np.mod(arr, 1) == 0)):
        raise InvalidArgumentError(f"{name} must hold integers (images per class), got {arr[:10].tolist()}")
    bad = np.flatnonzero(arr < 1)
    if bad.size:
        raise InvalidArgumentError(
            f"{name} must be positive for every class; class(es) {bad[:10].tolist()} have "
            f"{arr[bad[:10]].tolist()} (an empty class cannot define a prior: drop it or check the labels)"
        )
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
