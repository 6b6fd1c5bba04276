"""The loss registry: ``register_loss`` / ``create_loss`` / ``list_losses``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

from .._registry import Registry

_LOSSES: Registry[nn.Module] = Registry("loss")


def register_loss(name: str) -> Callable[[type], type]:
    """Class decorator adding a loss to the registry under ``name``."""
    return _LOSSES.register(name)


def create_loss(name: str, class_counts: Any = None, **kwargs: Any) -> nn.Module:
    """Builds the loss registered as ``name``.

    ``class_counts`` is passed to losses that define a prior from it and ignored by the
    others (plain CE, focal, SupCon), so one call site serves every method.

    Example:
        >>> loss = create_loss("gcl", class_counts=[500, 50, 5], m=0.0, noise_mul=0.5)
    """
    factory = _LOSSES.get(name)
    if "class_counts" in inspect.signature(factory).parameters:
        kwargs["class_counts"] = class_counts
    return _LOSSES.create(name, **kwargs)


def list_losses(pattern: str = "*") -> list[str]:
    """Sorted names of the registered losses matching ``pattern``."""
    return _LOSSES.names(pattern)
