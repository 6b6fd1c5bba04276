"""The task interface: how one training step turns a batch into ``{"loss", "output", ...}``.

A stage names a task and a loss; the training loop calls ``task(images, targets, epoch=e)`` and
never branches on method names. A task owns the stage model, the loss and the modules only
training uses (a projection head, RSG), so DDP and ``torch.compile`` wrap it whole, the
optimiser sees its parameters and training checkpoints carry its state.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..._registry import Registry
from ...errors import InvalidArgumentError

_TASKS: Registry[nn.Module] = Registry("task")
register_task = _TASKS.register


class Task(nn.Module):
    """Base class of training tasks.

    Attributes:
        views: augmented views of each image the batches must hold, concatenated view-major
            (``[V * B, C, H, W]``: all first views, then all second views).
        find_unused_parameters: some parameters may get no gradient in a step (DDP must know).
    """

    views: int = 1
    find_unused_parameters: bool = False

    def __init__(self, model: nn.Module, loss_fn: nn.Module):
        super().__init__()
        self.model, self.loss_fn = model, loss_fn

    def training_state(self) -> dict[str, torch.Tensor]:
        """State of everything but the model (task modules, loss buffers), for training checkpoints."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("model.")}

    def load_training_state(self, state: dict[str, torch.Tensor]) -> None:
        """Restores :meth:`training_state` output (missing model keys are expected)."""
        result = self.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if not k.startswith("model.")]
        if missing or result.unexpected_keys:
            raise InvalidArgumentError(
                f"the training state does not fit task {type(self).__name__}: "
                f"missing {missing}, unexpected {result.unexpected_keys}"
            )


def whole_model(model: nn.Module, task: str) -> nn.Module:
    """The network under a stage model that trains everything (tasks that need its features)."""
    if getattr(model, "scope", "all") != "all":
        raise InvalidArgumentError(f"task {task!r} trains the whole network: use train_scope: all")
    return getattr(model, "model", model)


def check_no_mixup(mixup_alpha: float, task: str) -> None:
    if mixup_alpha:
        raise InvalidArgumentError(f"task {task!r} does not use mixup: set mixup_alpha: 0")


def create_task(name: str, model: nn.Module, loss_fn: nn.Module, **kwargs: Any) -> Task:
    """Builds the task registered as ``name`` around a stage model and its loss.

    Every task takes ``class_counts`` and ``mixup_alpha``; the others are its own options
    (a stage's ``task_args``).
    """
    return _TASKS.create(name, model, loss_fn, **kwargs)


def list_tasks() -> list[str]:
    """Names of the registered tasks."""
    return _TASKS.names()
