"""Epoch-wise learning-rate schedules of the long-tailed reference codes (set at epoch start)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .._registry import Registry

_SCHEDULES: Registry[Callable[[int], float]] = Registry("schedule")


@_SCHEDULES.register("step")
def step_schedule(
    stage: dict[str, Any],
) -> Callable[[int], float]:
    """LDAM-DRW / GCL stage 1: linear warmup ``lr * (e+1) / warmup`` for the first
    ``warmup_epochs``, then ``lr * multiplier_k`` once the 1-based epoch exceeds milestone k."""
    base, warmup = stage["lr"], stage["warmup_epochs"]
    steps = sorted(zip(stage["lr_milestones"], stage["lr_multipliers"]))

    def lr_at(epoch: int) -> float:
        current = epoch + 1
        if current <= warmup:
            return base * current / warmup
        lr = base
        for milestone, multiplier in steps:
            if current > milestone:
                lr = base * multiplier
        return lr

    return lr_at


@_SCHEDULES.register("cosine")
def cosine_schedule(stage: dict[str, Any]) -> Callable[[int], float]:
    """Cosine decay from ``lr`` at epoch 0 towards 0: ``lr/2 * (1 + cos(pi e / E))`` (GCL stage 2)."""
    base, epochs = stage["lr"], stage["epochs"]
    return lambda epoch: 0.5 * base * (1.0 + math.cos(math.pi * epoch / epochs))


def create_schedule(stage: dict[str, Any]) -> Callable[[int], float]:
    """The epoch -> lr function named by ``stage["schedule"]``."""
    return _SCHEDULES.create(stage["schedule"], stage)
