"""One training epoch of a stage: the step loop (learning rate, forward under autocast, the
divergence check, gradient accumulation) with its progress bar."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import torch

from ..errors import NonFiniteError, TrainingDivergedError

if TYPE_CHECKING:
    from .stages import StageRun
    from .trainer import Trainer


def train_epoch(trainer: Trainer, run: StageRun, epoch: int) -> dict[str, Any]:
    """Trains ``run``'s stage for epoch ``epoch`` (0-based); returns the epoch's record fields."""
    stage = run.stage
    epoch_lr = lr = run.schedule(epoch, 0.0)
    set_lr(run.optimizer, lr)
    run.start_epoch(epoch)
    sampler = run.epoch_sampler
    sampler.set_epoch(epoch)
    order = torch.as_tensor(list(sampler))
    runner, optimizer = run.runner, run.optimizer
    runner.train()
    accum = max(1, stage.grad_accum_steps)
    total_loss, seen, start = 0.0, 0, time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    batches = run.batches.epoch(order)
    steps = run.batches.num_batches(len(order))
    if stage.max_steps_per_epoch:
        steps = min(steps, stage.max_steps_per_epoch)
    progress = _progress(steps, f"{stage.name} {epoch + 1}/{stage.epochs}", trainer.dist.is_main)
    for step in range(steps):
        step_lr = run.schedule(epoch, step / steps)
        if step_lr != lr:  # the schedule moves within the epoch (per-step warmup)
            lr = step_lr
            set_lr(optimizer, lr)
        images, targets = next(batches)
        if trainer.config["channels_last"]:
            images = images.contiguous(memory_format=torch.channels_last)
        try:
            with trainer.autocast():
                out = runner(images, targets, epoch=epoch)
        except NonFiniteError as exc:
            where = trainer.where(stage.name, epoch, step, len(targets), lr)
            raise TrainingDivergedError(f"the model produced non-finite outputs {where}") from exc
        loss = out["loss"]
        loss_value = loss.item()  # the step's one host sync: the check, the sum and the progress bar share it
        if not math.isfinite(loss_value):
            where = trainer.where(stage.name, epoch, step, len(targets), lr)
            raise TrainingDivergedError(f"loss is {loss_value} {where}")
        (loss / accum).backward()
        if (step + 1) % accum == 0 or step + 1 == steps:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        total_loss += loss_value * len(targets)
        seen += len(targets)
        if progress is not None:
            progress.set_postfix(loss=f"{loss_value:.4f}", lr=f"{lr:.4g}",
                                 ips=f"{seen / (time.perf_counter() - start):.0f}")
            progress.update()
    if progress is not None:
        progress.close()
    elapsed = time.perf_counter() - start
    return {"train_loss": total_loss / max(seen, 1), "lr": epoch_lr, "images_per_s": seen / elapsed,
            "epoch_s": elapsed}


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Sets every group's rate to ``lr`` times its ``lr_scale`` (the backbone's, see param_groups)."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)  # snapshots from before backbone_lr_scale: one group


def _progress(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc=desc, leave=False, disable=None, dynamic_ncols=True)
