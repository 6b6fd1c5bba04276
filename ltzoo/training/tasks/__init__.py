"""Training tasks: how a method turns a batch into a loss (registry: ``create_task``, ``list_tasks``)."""

from .base import Task, create_task, list_tasks, register_task
from .classification import ClassificationTask, mixup_batch
from .contrastive import ContrastiveTask, ProjectionHead
from .rsg import RSGTask

__all__ = [
    "ClassificationTask",
    "ContrastiveTask",
    "ProjectionHead",
    "RSGTask",
    "Task",
    "create_task",
    "list_tasks",
    "mixup_batch",
    "register_task",
]
