"""The training engine used by ``python -m train`` (reusable from any script)."""

from ..data import DataBundle, create_data, list_datasets
from .config import RUN_DEFAULTS, STAGE_DEFAULTS, Stage, apply_override, load_recipe_file, resolve_config
from .schedules import create_schedule, list_schedules, register_schedule
from .stages import (
    DeferredResampling,
    DeferredReweighting,
    EpochHook,
    StageRun,
    build_stage_run,
    list_classifier_inits,
    list_stage_kinds,
    register_classifier_init,
    register_stage_kind,
)
from .tasks import (
    ClassificationTask,
    ContrastiveTask,
    RSGTask,
    Task,
    create_task,
    list_tasks,
    mixup_batch,
    register_task,
)
from .trainer import Trainer

__all__ = [
    "RUN_DEFAULTS",
    "STAGE_DEFAULTS",
    "DeferredResampling",
    "DeferredReweighting",
    "EpochHook",
    "Stage",
    "StageRun",
    "build_stage_run",
    "list_classifier_inits",
    "list_schedules",
    "list_stage_kinds",
    "register_classifier_init",
    "register_schedule",
    "register_stage_kind",
    "register_task",
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
