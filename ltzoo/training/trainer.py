"""The training engine behind ``python -m train``: stages, per-epoch atomic checkpoints, exact
resume, per-epoch LT validation, final test report, temperature calibration and the Hub-layout
checkpoint folder.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from safetensors.torch import load_file
from torch import nn

from ..data.samplers import create_sampler
from ..errors import InvalidArgumentError, NonFiniteError, TrainingDivergedError
from ..hub import read_weights, save_pretrained, sha256_of, weights_file
from ..losses import create_loss, drw_weights
from ..metrics import LTMetricAccumulator, lt_report
from ..models import LearnableWeightScaling, create_model, init_classifier
from ..models.factory import set_classifier
from .checkpoint import atomic_save_safetensors, atomic_torch_save, load_training_state
from .classifier_stages import StageModel, fold_lws, plain_state_dict, select_tau_norm
from .config import resolve_config
from .data_setup import DataBundle, Split, create_data
from .distributed import barrier, cleanup, init_distributed
from .final_report import evaluate_final, summarize, write_plots
from .param_groups import param_groups
from .provenance import git_provenance
from .run_lock import run_folder_lock
from .run_log import RunLog, format_record
from .schedules import create_schedule
from .tasks import create_task

STATE_NAME = "train_state.pt"
MODEL_FOLDER = "model"
# options that may differ between the original run and its resumption (documentation included)
RESUME_FREE_KEYS = ("data_dir", "device", "threads", "num_workers", "compile", "output_prior", "citation",
                    "deviations")


class Trainer:
    """Runs a resolved recipe (see :func:`~ltzoo.training.config.resolve_config`).

    Args:
        config: the resolved configuration.
        output_dir: run folder (training state, metrics.jsonl, the final ``model/`` folder).
        resume: continue from ``output_dir/train_state.pt``.
        log: where progress lines go.
    """

    def __init__(
        self, config: dict[str, Any], output_dir: str | Path, resume: bool = False, log: Callable[[str], None] = print
    ):
        self.config, self.output_dir, self.resume, self.log = config, Path(output_dir), resume, log
        if not config["stages"]:
            raise InvalidArgumentError("the recipe defines no stages")
        self.device = self._resolve_device(config["device"])
        if config["threads"]:
            torch.set_num_threads(int(config["threads"]))
        self.dist = init_distributed(self.device)
        self._seed()  # before the model is built: its initialisation is part of the run
        self.data: DataBundle = create_data(config)
        self.model = create_model(
            config["model"], num_classes=self.data.num_classes, head=config["head"], pretrained=config["pretrained"]
        ).to(self.device)
        init_classifier(self.model.get_classifier(), config["classifier_bias_prior"], config["classifier_weight_std"])
        if config["channels_last"]:
            self.model = self.model.to(memory_format=torch.channels_last)
        from timm.data import resolve_data_config

        overrides = {"input_size": (3, config["image_size"], config["image_size"])} if config["image_size"] else {}
        overrides.update({k: tuple(config[k]) for k in ("mean", "std") if config[k] is not None})
        self.data_config = resolve_data_config(overrides, model=self.model)
        # the checkpoint records the preprocessing the model was trained and evaluated with
        self.model.pretrained_cfg = {**self.model.pretrained_cfg, **self.data_config}
        self.run_log = RunLog(self.output_dir, writes=self.dist.is_main)
        self.best: dict[str, Any] = {"top1": -1.0}

    @staticmethod
    def _resolve_device(name: str) -> torch.device:
        if name == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(name)

    # ----------------------------------------------------------------- state
    def _state_path(self) -> Path:
        return self.output_dir / STATE_NAME

    def _save_state(self, stage: int, epoch: int, parts: dict[str, Any] | None = None) -> None:
        if not self.dist.is_main:
            return
        state = {
            "config": self.config,
            "stage": stage,
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": parts["optimizer"].state_dict() if parts else {},
            "task": parts["task"].training_state() if parts else {},
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else [],
            "history": self.run_log.records,
            "best": self.best,
        }
        atomic_torch_save(state, self._state_path())

    def _load_state(self) -> dict[str, Any]:
        state = load_training_state(self._state_path())
        # re-resolve: options added to ltzoo after the run started take their defaults
        saved = {k: v for k, v in resolve_config(state["config"]).items() if k not in RESUME_FREE_KEYS}
        current = {k: v for k, v in self.config.items() if k not in RESUME_FREE_KEYS}
        if saved != current:
            differing = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
            raise InvalidArgumentError(
                f"{self._state_path()} was written by a different recipe (options differ: {', '.join(differing)}); "
                "resume with the same recipe and overrides, or use another --output-dir"
            )
        self._restore_rng(state)
        self.run_log.restore(state["history"])
        self.best = state["best"]
        return state

    def _restore_rng(self, state: dict[str, Any]) -> None:
        torch.set_rng_state(state["rng_cpu"])
        if self.device.type == "cuda" and state["rng_cuda"]:
            torch.cuda.set_rng_state_all(state["rng_cuda"])

    # ----------------------------------------------------------------- stages
    def _seed(self) -> None:
        seed = self.config["seed"] + self.dist.rank
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    def _prepare_stage(self, index: int, stage: dict[str, Any]) -> dict[str, Any]:
        init = stage["classifier_init"]
        if init == "reset":
            self.model.reset_classifier(self.data.num_classes)
            self.model.to(self.device)
        elif init == "lws":
            classifier = self.model.get_classifier()
            if not isinstance(classifier, LearnableWeightScaling):
                set_classifier(self.model, LearnableWeightScaling(classifier).to(self.device))
        elif init != "keep":
            raise InvalidArgumentError(f"classifier_init must be 'keep', 'reset' or 'lws', got {init!r}")
        self.model.requires_grad_(True)
        stage_model = StageModel(self.model, stage["train_scope"])
        loss_fn = create_loss(stage["loss"], class_counts=self.data.class_counts, **stage["loss_args"]).to(self.device)
        task = create_task(stage["task"], stage_model, loss_fn, class_counts=self.data.class_counts,
                           mixup_alpha=stage["mixup_alpha"], **stage["task_args"]).to(self.device)
        optimizer = torch.optim.SGD(
            param_groups(task, self.model, stage["backbone_lr_scale"], stage["no_weight_decay"]), lr=stage["lr"],
            momentum=stage["momentum"], weight_decay=stage["weight_decay"], nesterov=stage["nesterov"],
        )
        runner: nn.Module = task
        if self.dist.enabled:
            runner = nn.parallel.DistributedDataParallel(task, find_unused_parameters=task.find_unused_parameters)
        if self.config["compile"]:
            runner = torch.compile(runner)
        per_rank_batch = stage["batch_size"] // self.dist.world_size
        if per_rank_batch * self.dist.world_size != stage["batch_size"]:
            raise InvalidArgumentError(
                f"batch_size {stage['batch_size']} must be divisible by the number of processes {self.dist.world_size}"
            )
        return {
            "runner": runner,
            "task": task,
            "optimizer": optimizer,
            "schedule": create_schedule(stage),
            "loss_fn": loss_fn,
            "sampler": self._sampler(index, stage["sampler"], **stage["sampler_args"]),
            "drs_sampler": self._sampler(index, stage["drs_sampler"]) if stage["drs_epoch"] is not None else None,
            "batches": self._batches(self.data.train, per_rank_batch, train=True, views=task.views,
                                     drop_last=stage["drop_last"]),
        }

    def _sampler(self, index: int, name: str, **kwargs: Any) -> Any:
        """Stage ``index``'s sampler: seeded per stage, sharded across DDP processes."""
        return create_sampler(name, self.data.train.targets, seed=self.config["seed"] + 1000 * index,
                              num_replicas=self.dist.world_size, rank=self.dist.rank, **kwargs)

    def _load_init_weights(self, path: str) -> None:
        """Loads ``init_weights`` (safetensors only) into the model before its first stage."""
        state = read_weights(path)
        try:
            self.model.load_state_dict(state)
        except RuntimeError as exc:
            raise InvalidArgumentError(
                f"init_weights {path} do not fit {self.config['model']} with a {self.config['head']} head and "
                f"{self.data.num_classes} classes: {exc}"
            ) from exc
        skipped = ", ".join(s["name"] for s in self.config["stages"][: self.config["start_stage"]])
        self.log(f"initialised from {path} (sha256 {sha256_of(weights_file(path))})"
                 + (f"; skipping {skipped}" if skipped else ""))

    def _tau_norm_stage(self, stage: dict[str, Any]) -> None:
        best, score = select_tau_norm(
            self.model, stage["tau_grid"], lambda: lt_report(*self._predict(self.data.val), self.data.class_counts)["top1"]
        )
        record = {"stage": stage["name"], "epoch": 0, "tau": best, "val_top1": score}
        self.run_log.append(record)
        self.log(format_record(record))
        if len(stage["tau_grid"]) > 1 and best == max(stage["tau_grid"]):
            self.log(f"note: tau {best} is at the end of tau_grid {stage['tau_grid']}: a wider grid may do better "
                     f"on the validation split (stages.N.tau_grid=[...])")

    def _apply_drw(self, stage: dict[str, Any], parts: dict[str, Any], epoch: int) -> None:
        """Deferred re-weighting (Cao et al. 2019): the loss's class weights for ``epoch``."""
        if stage["drw_epoch"] is not None:
            weights = drw_weights(self.data.class_counts, epoch, stage["drw_epoch"], stage["drw_beta"])
            parts["loss_fn"].set_weight(torch.as_tensor(weights, dtype=torch.float32))

    def _autocast(self) -> Any:
        enabled = bool(self.config["amp"])
        dtype = torch.bfloat16 if self.device.type in ("cuda", "cpu") else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype, enabled=enabled)

    def _train_epoch(self, index: int, stage: dict[str, Any], parts: dict[str, Any], epoch: int) -> dict[str, Any]:
        epoch_lr = lr = parts["schedule"](epoch, 0.0)
        _set_lr(parts["optimizer"], lr)
        self._apply_drw(stage, parts, epoch)
        deferred = stage["drs_epoch"] is not None and epoch >= stage["drs_epoch"]
        sampler = parts["drs_sampler"] if deferred else parts["sampler"]
        sampler.set_epoch(epoch)
        order = torch.as_tensor(list(sampler))
        runner, optimizer = parts["runner"], parts["optimizer"]
        runner.train()
        accum = max(1, stage["grad_accum_steps"])
        max_steps = stage["max_steps_per_epoch"]
        total_loss, seen, start = 0.0, 0, time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        batches = parts["batches"].epoch(order)
        steps = parts["batches"].num_batches(len(order))
        if max_steps:
            steps = min(steps, max_steps)
        progress = _progress(steps, f"{stage['name']} {epoch + 1}/{stage['epochs']}", self.dist.is_main)
        for step in range(steps):
            step_lr = parts["schedule"](epoch, step / steps)
            if step_lr != lr:  # the schedule moves within the epoch (per-step warmup)
                lr = step_lr
                _set_lr(optimizer, lr)
            images, targets = next(batches)
            if self.config["channels_last"]:
                images = images.contiguous(memory_format=torch.channels_last)
            try:
                with self._autocast():
                    out = runner(images, targets, epoch=epoch)
            except NonFiniteError as exc:
                where = self._where(stage, epoch, step, len(targets), lr)
                raise TrainingDivergedError(f"the model produced non-finite outputs {where}") from exc
            loss = out["loss"]
            loss_value = loss.item()  # the step's one host sync: the check, the sum and the progress bar share it
            if not math.isfinite(loss_value):
                raise TrainingDivergedError(f"loss is {loss_value} {self._where(stage, epoch, step, len(targets), lr)}")
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

    def _where(self, stage: dict[str, Any], epoch: int, step: int, batch: int, lr: float) -> str:
        """Where a run diverged, and what the user can do about it."""
        return (f"in {stage['name']} epoch {epoch + 1}, step {step + 1} (batch of {batch}, lr {lr:.6g}); the last "
                f"good checkpoint {self._state_path()} is kept: lower the lr or check the data, then --resume")

    def _batches(self, split: Split, batch_size: int, train: bool, views: int = 1, drop_last: bool = False) -> Any:
        return split.batches(batch_size, train=train, data_config=self.data_config, device=self.device,
                             num_workers=self.config["num_workers"], views=views, drop_last=drop_last)

    @torch.inference_mode()
    def _predict(self, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        batches = self._batches(split, self.config["eval_batch_size"], train=False)
        was_training = self.model.training
        self.model.eval()
        acc = LTMetricAccumulator(self.data.class_counts)
        for x, y in batches.epoch():
            if self.config["channels_last"]:
                x = x.contiguous(memory_format=torch.channels_last)
            with self._autocast():
                acc.update(self.model(x).float(), y)
        self.model.train(was_training)
        return acc.logits_and_targets()

    def _report(self, split: Split) -> dict[str, Any]:
        return lt_report(*self._predict(split), self.data.class_counts)

    # ----------------------------------------------------------------- main
    def fit(self) -> dict[str, Any]:
        """Runs (or resumes) every stage, then writes the final checkpoint folder. The run folder
        is locked meanwhile: a second process training into it is refused (RunFolderInUseError)."""
        with run_folder_lock(self.output_dir, enabled=self.dist.is_main):
            return self._fit()

    def _fit(self) -> dict[str, Any]:
        start_stage, start_epoch, resumed = 0, 0, None
        if self.resume:
            resumed = self._load_state()
            start_stage, start_epoch = resumed["stage"], resumed["epoch"]
            if start_stage < len(self.config["stages"]):
                self.log(f"resuming {self._state_path()} at stage {start_stage + 1}, epoch {start_epoch + 1}")
            else:
                self.log(f"resuming {self._state_path()}: every stage is complete; writing the final model again")
        else:
            self.run_log.start()
            if self.dist.is_main:
                (self.output_dir / "recipe.yaml").write_text(yaml.safe_dump(self.config, sort_keys=False))
        self.log(f"data: {self.data.description}; {len(self.data.train)} training images, "
                 f"class counts {self.data.class_counts.tolist()}; device {self.device}")
        if resumed is not None and start_epoch == 0:
            # a stage boundary (possibly after the last stage): the model as that stage left it
            self.model.load_state_dict(resumed["model"])
        elif resumed is None and self.config["init_weights"]:
            self._load_init_weights(self.config["init_weights"])
            start_stage = self.config["start_stage"]
        for index in range(start_stage, len(self.config["stages"])):
            stage = self.config["stages"][index]
            mid_stage = resumed is not None and index == start_stage and start_epoch > 0
            if stage["type"] == "tau_norm":
                self._tau_norm_stage(stage)
                self._save_state(index + 1, 0)
                resumed = None
                continue
            # mid-stage a reset classifier must not be re-drawn; an LWS wrapper is rebuilt, then
            # the saved weights are loaded into it
            init = "keep" if mid_stage and stage["classifier_init"] == "reset" else stage["classifier_init"]
            parts = self._prepare_stage(index, {**stage, "classifier_init": init})
            if mid_stage:
                self.model.load_state_dict(resumed["model"])
                parts["optimizer"].load_state_dict(resumed["optimizer"])
                if resumed.get("task"):  # absent in checkpoints written before tasks had state
                    # the loss's DRW weights are a buffer once set: set them as the saved epoch had them
                    self._apply_drw(stage, parts, start_epoch - 1)
                    parts["task"].load_training_state(resumed["task"])
                # building the stage drew random numbers (task modules' initialisation) that the
                # interrupted run drew before its checkpoint: continue from the saved generator
                self._restore_rng(resumed)
            first = start_epoch if mid_stage else 0
            for epoch in range(first, stage["epochs"]):
                record = {"stage": stage["name"], "epoch": epoch + 1}
                record.update(self._train_epoch(index, stage, parts, epoch))
                if (epoch + 1) % self.config["eval_every"] == 0 or epoch + 1 == stage["epochs"]:
                    val = summarize(self._report(self.data.val))
                    record.update({f"val_{k}": v for k, v in val.items()})
                    if index == len(self.config["stages"]) - 1 and val["top1"] > self.best["top1"]:
                        self.best = {"top1": val["top1"], "stage": stage["name"], "epoch": epoch + 1}
                        if self.dist.is_main:
                            atomic_save_safetensors(plain_state_dict(self.model),
                                                    self.output_dir / "best_model.safetensors")
                self.run_log.append(record)
                self._save_state(index, epoch + 1, parts)
                self.log(format_record(record))
            fold_lws(self.model)
            if self.dist.is_main:
                atomic_save_safetensors(self.model.state_dict(), self.output_dir / f"{stage['name']}_final.safetensors")
            self._save_state(index + 1, 0)
            resumed = None
        result = self._finish() if self.dist.is_main else {}
        barrier(self.dist)
        cleanup(self.dist)
        return result

    def _finish(self) -> dict[str, Any]:
        """Calibrates on the validation split, evaluates on the test split, writes ``model/``."""
        counts, provenance = self.data.class_counts, git_provenance()
        final = evaluate_final(self._predict(self.data.val), self._predict(self.data.test), counts,
                               self.config["output_prior"])
        report: dict[str, Any] = {
            "test_last": final.test_raw,
            "test_last_calibrated_balanced": summarize(final.test_calibrated),
            "calibration": final.calibration,
            "best_val": self.best,
            **provenance,
        }
        init = self.config["init_weights"]
        if init and weights_file(init).is_file():  # provenance of a run started from existing weights
            report["init_weights"] = {"path": str(init), "sha256": sha256_of(weights_file(init)),
                                      "skipped_stages": self.config["start_stage"]}
        best_path = self.output_dir / "best_model.safetensors"
        if best_path.is_file():
            last_state = {k: v.clone() for k, v in self.model.state_dict().items()}
            self.model.load_state_dict(load_file(best_path, device=str(self.device)))
            report["test_best_val_epoch"] = summarize(lt_report(*self._predict(self.data.test), counts))
            self.model.load_state_dict(last_state)
        folder = save_pretrained(
            self.model, self.output_dir / MODEL_FOLDER,
            label_names=list(self.data.class_names), class_counts=counts.tolist(),
            method=self.config["method"], head=self.config["head"],
            calibration=final.calibration_block(), metrics=final.metrics(), recipe=self.config,
            extra=provenance,
        )
        (folder / "report.json").write_text(json.dumps(report, indent=2))
        write_plots(folder, final, counts, self.run_log.records, self.config["name"], self.log)
        self.log("test (last epoch): " + format_record(summarize(final.test_raw))
                 + f"; temperature {final.calibration['temperature']:.4g}, "
                 f"calibrated ECE {final.test_calibrated['ece']:.4f}")
        return report


def _set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
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
