"""The training engine used by ``python -m train`` (reusable from any script)."""

from ..data import DataBundle, create_data, list_datasets
from .config import RUN_DEFAULTS, STAGE_DEFAULTS, apply_override, load_recipe_file, resolve_config
from .schedules import create_schedule
from .tasks import ClassificationTask, ContrastiveTask, RSGTask, Task, create_task, list_tasks, mixup_batch
from .trainer import Trainer

__all__ = [
    "RUN_DEFAULTS",
    "STAGE_DEFAULTS",
    "ClassificationTask",
    "ContrastiveTask",
    "DataBundle",
    "RSGTask",
    "Task",
    "Trainer",
    "apply_override",
    "create_data",
    "create_schedule",
    "create_task",
    "list_datasets",
    "list_tasks",
    "load_recipe_file",
    "mixup_batch",
    "resolve_config",
]
