"""Learning-rate schedules of the long-tailed reference codes.

A schedule maps ``(epoch, progress)`` to a learning rate, ``progress`` in [0, 1) being how far the
step is into the epoch. The references change the rate per epoch (LDAM-DRW, GCL, Kang et al.),
except where a warmup rises per step (Cui et al.'s class-balanced code: ``warmup_per_step``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .._registry import Registry

Schedule = Callable[[int, float], float]
ScheduleFactory = Callable[[dict[str, Any]], Schedule]
_SCHEDULES: Registry[Schedule] = Registry("schedule")


def register_schedule(name: str) -> Callable[[ScheduleFactory], ScheduleFactory]:
    """Decorator adding ``fn(stage options) -> Schedule`` as the stage ``schedule`` ``name``."""
    return _SCHEDULES.register(name)


def list_schedules() -> list[str]:
    """Names of the registered schedules."""
    return _SCHEDULES.names()


@register_schedule("step")
def step_schedule(stage: dict[str, Any]) -> Schedule:
    """LDAM-DRW / GCL stage 1: linear warmup ``lr * (e+1) / warmup`` for the first
    ``warmup_epochs``, then ``lr * multiplier_k`` once the 1-based epoch exceeds milestone k.
    With ``warmup_per_step`` the warmup rises with every step from 0, ``lr * (e + progress) /
    warmup``, as Cui et al.'s TensorFlow code computes it from the global step."""
    base, warmup, per_step = stage["lr"], stage["warmup_epochs"], stage.get("warmup_per_step", False)
    steps = sorted(zip(stage["lr_milestones"], stage["lr_multipliers"]))

    def lr_at(epoch: int, progress: float = 0.0) -> float:
        current = epoch + 1
        if current <= warmup:
            return base * ((epoch + progress) if per_step else current) / warmup
        lr = base
        for milestone, multiplier in steps:
            if current > milestone:
                lr = base * multiplier
        return lr

    return lr_at


@register_schedule("cosine")
def cosine_schedule(stage: dict[str, Any]) -> Schedule:
    """Cosine decay from ``lr`` at epoch 0 towards 0: ``lr/2 * (1 + cos(pi e / E))``, per epoch
    (GCL stage 2, Kang et al.)."""
    base, epochs = stage["lr"], stage["epochs"]
    return lambda epoch, progress=0.0: 0.5 * base * (1.0 + math.cos(math.pi * epoch / epochs))


def create_schedule(stage: dict[str, Any]) -> Schedule:
    """The ``(epoch, progress) -> lr`` function named by ``stage["schedule"]``."""
    return _SCHEDULES.create(stage["schedule"], stage)
