"""What a recipe's stage can be, as registries: stage kinds (``type``), classifier initialisations
(``classifier_init``) and the epoch hooks of deferred re-weighting / re-sampling, so the trainer
never branches on a method option.

A stage kind is ``fn(trainer, index, stage, resumed)``: it runs stage ``index`` of the trainer's
recipe to its end (``resumed``: the training state to continue from when the run stopped inside
this stage, else None) and leaves the state saved at the next stage's start. A classifier
initialisation is ``fn(model, num_classes, device, resuming)``; it runs as its stage starts
(``resuming``: the stage's saved weights are about to be loaded, so nothing may be drawn anew).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from timm.optim import create_optimizer_v2
from torch import nn

from .._registry import Registry
from ..losses import create_loss, drw_weights
from ..models import LearnableWeightScaling
from ..models.factory import set_classifier
from .checkpoint import atomic_save_safetensors
from .classifier_stages import StageModel, fold_lws, select_tau_norm
from .config import Stage
from .epoch_loop import train_epoch
from .param_groups import param_groups
from .run_log import format_record
from .schedules import Schedule, create_schedule
from .tasks import Task, create_task

if TYPE_CHECKING:
    from .trainer import Trainer

StageKind = Callable[["Trainer", int, Stage, "dict[str, Any] | None"], None]
ClassifierInit = Callable[[nn.Module, int, torch.device, bool], None]
_STAGE_KINDS: Registry[None] = Registry("stage type")
_CLASSIFIER_INITS: Registry[None] = Registry("classifier initialisation")


def register_stage_kind(name: str) -> Callable[[StageKind], StageKind]:
    """Decorator adding a stage kind (a recipe's ``type``)."""
    return _STAGE_KINDS.register(name)


def list_stage_kinds() -> list[str]:
    """Names of the registered stage kinds."""
    return _STAGE_KINDS.names()


def register_classifier_init(name: str) -> Callable[[ClassifierInit], ClassifierInit]:
    """Decorator adding a classifier initialisation (a stage's ``classifier_init``)."""
    return _CLASSIFIER_INITS.register(name)


def list_classifier_inits() -> list[str]:
    """Names of the registered classifier initialisations."""
    return _CLASSIFIER_INITS.names()


def apply_classifier_init(name: str, model: nn.Module, num_classes: int, device: torch.device, resuming: bool) -> None:
    """Applies the classifier initialisation ``name`` to ``model`` as its stage starts."""
    _CLASSIFIER_INITS.get(name)(model, num_classes, device, resuming)


def run_stage(trainer: Trainer, index: int, stage: Stage, resumed: dict[str, Any] | None) -> None:
    """Runs stage ``index`` with the kind its ``type`` names."""
    _STAGE_KINDS.get(stage.type)(trainer, index, stage, resumed)


# ----------------------------------------------------------------- classifier initialisations
@register_classifier_init("keep")
def keep_classifier(model: nn.Module, num_classes: int, device: torch.device, resuming: bool) -> None:
    """The classifier as the previous stage (or ``init_weights``) left it."""


@register_classifier_init("reset")
def reset_classifier(model: nn.Module, num_classes: int, device: torch.device, resuming: bool) -> None:
    """A freshly drawn classifier (cRT, Kang et al. ICLR 2020); not re-drawn when a run resumes
    inside the stage (its trained weights are loaded next, and the draw would move the generator)."""
    if not resuming:
        model.reset_classifier(num_classes)
        model.to(device)


@register_classifier_init("lws")
def wrap_lws(model: nn.Module, num_classes: int, device: torch.device, resuming: bool) -> None:
    """Learnable weight scaling around the classifier (Kang et al.): rebuilt on resume too, so the
    saved scales have a module to load into."""
    classifier = model.get_classifier()
    if not isinstance(classifier, LearnableWeightScaling):
        set_classifier(model, LearnableWeightScaling(classifier).to(device))


# ----------------------------------------------------------------- one training stage's parts
@dataclass
class StageRun:
    """The parts one training stage is run with (built by :func:`build_stage_run`)."""

    stage: Stage
    runner: nn.Module  # the task, wrapped in DDP / torch.compile where the run asks for them
    task: Task
    optimizer: torch.optim.Optimizer
    schedule: Schedule
    loss_fn: nn.Module
    sampler: Any
    batches: Any
    hooks: list[EpochHook] = field(default_factory=list)
    epoch_sampler: Any = None  # the sampler of the current epoch (the hooks may change it)

    def start_epoch(self, epoch: int) -> None:
        """Sets up ``epoch``: the stage's sampler, then every hook."""
        self.epoch_sampler = self.sampler
        for hook in self.hooks:
            hook.start_epoch(self, epoch)


class EpochHook:
    """Something a stage changes at the start of an epoch, from the epoch number alone (so a
    resumed run re-applies it exactly)."""

    def start_epoch(self, run: StageRun, epoch: int) -> None:
        raise NotImplementedError


@dataclass
class DeferredReweighting(EpochHook):
    """DRW (Cao et al. NeurIPS 2019): the loss's class weights are ones before ``drw_epoch``, then
    the effective-number weights with ``beta``."""

    drw_epoch: int
    beta: float
    class_counts: Any

    def start_epoch(self, run: StageRun, epoch: int) -> None:
        weights = drw_weights(self.class_counts, epoch, self.drw_epoch, self.beta)
        run.loss_fn.set_weight(torch.as_tensor(weights, dtype=torch.float32))


@dataclass
class DeferredResampling(EpochHook):
    """DRS (Cao et al.): from ``drs_epoch`` on, batches come from ``sampler`` instead of the
    stage's own."""

    drs_epoch: int
    sampler: Any

    def start_epoch(self, run: StageRun, epoch: int) -> None:
        if epoch >= self.drs_epoch:
            run.epoch_sampler = self.sampler


def build_stage_run(trainer: Trainer, index: int, stage: Stage, resuming: bool) -> StageRun:
    """Initialises the classifier and builds the loss, task, optimizer, schedule, samplers and
    batches of stage ``index`` (in this order: the order in which they draw random numbers)."""
    model, counts, device = trainer.model, trainer.data.class_counts, trainer.device
    apply_classifier_init(stage.classifier_init, model, trainer.data.num_classes, device, resuming)
    model.requires_grad_(True)
    stage_model = StageModel(model, stage.train_scope)
    loss_fn = create_loss(stage.loss, class_counts=counts, **stage.loss_args).to(device)
    task = create_task(stage.task, stage_model, loss_fn, class_counts=counts, mixup_alpha=stage.mixup_alpha,
                       **stage.task_args).to(device)
    optimizer = create_optimizer_v2(
        param_groups(task, model, stage.backbone_lr_scale, stage.no_weight_decay),
        opt="nesterov" if stage.nesterov else "momentum", lr=stage.lr, weight_decay=stage.weight_decay,
        momentum=stage.momentum,
    )
    runner = trainer.wrap(task)
    hooks: list[EpochHook] = []
    if stage.drw_epoch is not None:
        hooks.append(DeferredReweighting(stage.drw_epoch, stage.drw_beta, counts))
    sampler = trainer.sampler(index, stage.sampler, **stage.sampler_args)
    if stage.drs_epoch is not None:
        hooks.append(DeferredResampling(stage.drs_epoch, trainer.sampler(index, stage.drs_sampler)))
    batches = trainer.train_batches(stage.batch_size, task.views, stage.drop_last)
    return StageRun(stage, runner, task, optimizer, create_schedule(stage.as_config()), loss_fn, sampler, batches,
                    hooks)


# ----------------------------------------------------------------- stage kinds
@register_stage_kind("train")
def train_stage(trainer: Trainer, index: int, stage: Stage, resumed: dict[str, Any] | None) -> None:
    """Optimises the model for ``stage.epochs`` epochs, evaluating and checkpointing each; then
    folds an LWS classifier back into a linear one and saves the stage's weights."""
    run = build_stage_run(trainer, index, stage, resuming=resumed is not None)
    first = 0
    if resumed is not None:
        first = resumed["epoch"]
        trainer.model.load_state_dict(resumed["model"])
        run.optimizer.load_state_dict(resumed["optimizer"])
        if resumed.get("task"):  # absent in checkpoints written before tasks had state
            run.start_epoch(first - 1)  # the loss's DRW weights are a buffer once set: as the saved epoch had them
            run.task.load_training_state(resumed["task"])
        # building the stage drew random numbers (task modules' initialisation) that the
        # interrupted run drew before its checkpoint: continue from the saved generator
        trainer.restore_rng(resumed)
    for epoch in range(first, stage.epochs):
        record = {"stage": stage.name, "epoch": epoch + 1}
        record.update(train_epoch(trainer, run, epoch))
        trainer.end_epoch(index, epoch, record, run)
    fold_lws(trainer.model)
    if trainer.dist.is_main:
        atomic_save_safetensors(trainer.model.state_dict(), trainer.output_dir / f"{stage.name}_final.safetensors")
    trainer.save_state(index + 1, 0)


@register_stage_kind("tau_norm")
def tau_norm_stage(trainer: Trainer, index: int, stage: Stage, resumed: dict[str, Any] | None) -> None:
    """Post-hoc tau-normalisation (Kang et al. ICLR 2020): the classifier's weight norms scaled by
    ``||w||^-tau``, tau chosen on the validation split from ``tau_grid``; nothing is trained."""
    best, score = select_tau_norm(
        trainer.model, stage.tau_grid,
        lambda: trainer.report(trainer.data.val)["top1"],
    )
    record = {"stage": stage.name, "epoch": 0, "tau": best, "val_top1": score}
    trainer.run_log.append(record)
    trainer.log(format_record(record))
    if len(stage.tau_grid) > 1 and best == max(stage.tau_grid):
        trainer.log(f"note: tau {best} is at the end of tau_grid {stage.tau_grid}: a wider grid may do better "
                    f"on the validation split (stages.N.tau_grid=[...])")
    trainer.save_state(index + 1, 0)
