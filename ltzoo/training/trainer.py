"""The training engine behind ``python -m train``: stages, per-epoch atomic checkpoints, exact
resume, per-epoch LT validation, final test report, temperature calibration and the Hub-layout
checkpoint folder.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from safetensors.torch import load_file
from torch import nn

from ..data import DataBundle, DataOptions, Split, create_data
from ..data.class_counts import describe_class_counts
from ..data.samplers import create_sampler
from ..errors import InvalidArgumentError
from ..evaluation import collect_logits
from ..hub import read_weights, save_pretrained, sha256_of, weights_file
from ..metrics import lt_report
from ..models import create_model, init_classifier
from .checkpoint import atomic_save_safetensors, atomic_torch_save, load_training_state
from .classifier_stages import plain_state_dict
from .config import Stage, resolve_config
from .distributed import barrier, cleanup, init_distributed
from .final_report import evaluate_final, summarize, write_plots
from .provenance import git_provenance
from .run_folder import BEST_WEIGHTS_NAME, MODEL_FOLDER, RECIPE_NAME, STATE_NAME, start_new_run
from .run_lock import run_folder_lock
from .run_log import RunLog, format_record
from .stages import StageRun, run_stage

# options that may differ between the original run and its resumption (documentation included)
RESUME_FREE_KEYS = ("command", "data_dir", "device", "threads", "num_workers", "compile", "output_prior", "citation",
                    "deviations", "log_test_each_epoch")


class Trainer:
    """Runs a resolved recipe (see :func:`~ltzoo.training.config.resolve_config`).

    Args:
        config: the resolved configuration.
        output_dir: run folder (training state, metrics.jsonl, the final ``model/`` folder).
        resume: continue from ``output_dir/train_state.pt``.
        log: where progress lines go.
        overwrite: start a new run in a folder that holds one (its files are deleted first);
            without it such a folder is refused (RunExistsError).
    """

    def __init__(
        self, config: dict[str, Any], output_dir: str | Path, resume: bool = False, log: Callable[[str], None] = print,
        overwrite: bool = False,
    ):
        self.config, self.output_dir, self.resume, self.log = config, Path(output_dir), resume, log
        self.overwrite = overwrite
        if not config["stages"]:
            raise InvalidArgumentError("the recipe defines no stages")
        self.device = self._resolve_device(config["device"])
        if config["threads"]:
            torch.set_num_threads(int(config["threads"]))
        self.dist = init_distributed(self.device)
        self._seed()  # before the model is built: its initialisation is part of the run
        self.data: DataBundle = create_data(config["dataset"], DataOptions.from_config(config))
        self.model = create_model(
            config["model"], num_classes=self.data.num_classes, head=config["head"], pretrained=config["pretrained"]
        ).to(self.device)
        init_classifier(self.model.get_classifier(), config["classifier_bias_prior"], config["classifier_weight_std"])
        if config["channels_last"]:
            self.model = self.model.to(memory_format=torch.channels_last)
        from timm.data import resolve_data_config

        overrides = {"input_size": (3, config["image_size"], config["image_size"])} if config["image_size"] else {}
        overrides.update({k: tuple(config[k]) for k in ("mean", "std") if config[k] is not None})
        if config["crop_pct"] is not None:
            overrides["crop_pct"] = config["crop_pct"]
        self.data_config = resolve_data_config(overrides, model=self.model)
        # the checkpoint records the preprocessing the model was trained and evaluated with
        self.model.pretrained_cfg = {**self.model.pretrained_cfg, **self.data_config}
        self.run_log = RunLog(self.output_dir, writes=self.dist.is_main)
        self.best: dict[str, Any] = {"top1": -1.0}
        self.shot_thresholds = (config["many_shot_min"], config["few_shot_max"])

    @staticmethod
    def _resolve_device(name: str) -> torch.device:
        if name == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(name)

    # ----------------------------------------------------------------- state
    def _state_path(self) -> Path:
        return self.output_dir / STATE_NAME

    def save_state(self, stage: int, epoch: int, run: StageRun | None = None) -> None:
        """Writes the training state (atomically) at ``epoch`` of stage ``stage`` (main process only)."""
        if not self.dist.is_main:
            return
        state = {
            "config": self.config,
            "stage": stage,
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": run.optimizer.state_dict() if run else {},
            "task": run.task.training_state() if run else {},
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
        self.restore_rng(state)
        self.run_log.restore(state["history"])
        self.best = state["best"]
        return state

    def restore_rng(self, state: dict[str, Any]) -> None:
        """Continues the random generators from a saved training state."""
        torch.set_rng_state(state["rng_cpu"])
        if self.device.type == "cuda" and state["rng_cuda"]:
            torch.cuda.set_rng_state_all(state["rng_cuda"])

    # ----------------------------------------------------------------- stages
    def _seed(self) -> None:
        seed = self.config["seed"] + self.dist.rank
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    def wrap(self, task: nn.Module) -> nn.Module:
        """The task as a step runs it: in DDP across processes, compiled if the recipe asks."""
        runner: nn.Module = task
        if self.dist.enabled:
            runner = nn.parallel.DistributedDataParallel(task, find_unused_parameters=task.find_unused_parameters)
        if self.config["compile"]:
            runner = torch.compile(runner)
        return runner

    def sampler(self, index: int, name: str, **kwargs: Any) -> Any:
        """Stage ``index``'s sampler: seeded per stage, sharded across DDP processes."""
        return create_sampler(name, self.data.train.targets, seed=self.config["seed"] + 1000 * index,
                              num_replicas=self.dist.world_size, rank=self.dist.rank, **kwargs)

    def train_batches(self, batch_size: int, views: int, drop_last: bool) -> Any:
        """Training batches of this process's share of ``batch_size``."""
        per_rank_batch = batch_size // self.dist.world_size
        if per_rank_batch * self.dist.world_size != batch_size:
            raise InvalidArgumentError(
                f"batch_size {batch_size} must be divisible by the number of processes {self.dist.world_size}"
            )
        data_config = self.data_config
        if self.config["train_crop_scale"] is not None:  # image files: timm's RandomResizedCrop scale range
            data_config = {**data_config, "scale": (self.config["train_crop_scale"], 1.0)}
        return self.data.train.batches(per_rank_batch, train=True, data_config=data_config, device=self.device,
                                       num_workers=self.config["num_workers"], views=views, drop_last=drop_last,
                                       transform=self.config["train_transform"],
                                       transform_args=self.config["train_transform_args"],
                                       decode_on_device=self.config["decode_on_device"])

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

    def autocast(self) -> Any:
        """Mixed precision as the recipe's ``amp`` asks (bfloat16)."""
        enabled = bool(self.config["amp"])
        dtype = torch.bfloat16 if self.device.type in ("cuda", "cpu") else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype, enabled=enabled)

    def where(self, stage: str, epoch: int, step: int, batch: int, lr: float) -> str:
        """Where a run diverged, and what the user can do about it."""
        return (f"in {stage} epoch {epoch + 1}, step {step + 1} (batch of {batch}, lr {lr:.6g}); the last good "
                f"checkpoint {self._state_path()} is kept: check the data and --resume, or start again with a lower "
                "lr (--overwrite: a resumed run keeps its options)")

    def predict(self, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        """The model's logits on ``split`` and its targets (see :func:`ltzoo.evaluation.collect_logits`)."""
        return collect_logits(self.model, split, batch_size=self.config["eval_batch_size"],
                              data_config=self.data_config, device=self.device, autocast=self.autocast,
                              channels_last=self.config["channels_last"], num_workers=self.config["num_workers"],
                              decode_on_device=self.config["decode_on_device"])

    def report(self, split: Split) -> dict[str, Any]:
        """The long-tailed report of the model on ``split``."""
        return lt_report(*self.predict(split), self.data.class_counts, *self.shot_thresholds)

    def _report_untouched_rng(self, split: Split) -> dict[str, Any]:
        """The summarized report on ``split``, leaving torch's random streams as they were (a
        DataLoader draws its seed from them), so a logged-only evaluation changes no trained weight."""
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            return summarize(self.report(split))

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
            if self.dist.is_main:
                start_new_run(self.output_dir, self.overwrite)
            self.run_log.start()
            if self.dist.is_main:
                (self.output_dir / RECIPE_NAME).write_text(yaml.safe_dump(self.config, sort_keys=False))
        self.log(f"data: {self.data.description}; {len(self.data.train)} training images, "
                 f"class counts {self.data.class_counts.tolist()}; device {self.device}")
        self.log("classes: " + describe_class_counts(self.data.class_counts, *self.shot_thresholds))
        if resumed is not None and start_epoch == 0:
            # a stage boundary (possibly after the last stage): the model as that stage left it
            self.model.load_state_dict(resumed["model"])
        elif resumed is None and self.config["init_weights"]:
            self._load_init_weights(self.config["init_weights"])
            start_stage = self.config["start_stage"]
        for index in range(start_stage, len(self.config["stages"])):
            mid_stage = resumed is not None and index == start_stage and start_epoch > 0
            run_stage(self, index, Stage.from_config(self.config["stages"][index]), resumed if mid_stage else None)
            resumed = None
        result = self._finish() if self.dist.is_main else {}
        barrier(self.dist)
        cleanup(self.dist)
        return result

    def end_epoch(self, index: int, epoch: int, record: dict[str, Any], run: StageRun) -> None:
        """Closes epoch ``epoch`` of stage ``index``: validation (every ``eval_every`` epochs and at
        the stage's end), the best model of the last stage, the log line and the training state."""
        stage = run.stage
        if (epoch + 1) % self.config["eval_every"] == 0 or epoch + 1 == stage.epochs:
            val = summarize(self.report(self.data.val))
            record.update({f"val_{k}": v for k, v in val.items()})
            if self.config["log_test_each_epoch"]:
                record.update({f"test_{k}": v for k, v in self._report_untouched_rng(self.data.test).items()})
            if index == len(self.config["stages"]) - 1 and val["top1"] > self.best["top1"]:
                self.best = {"top1": val["top1"], "stage": stage.name, "epoch": epoch + 1}
                if self.dist.is_main:
                    atomic_save_safetensors(plain_state_dict(self.model), self.output_dir / BEST_WEIGHTS_NAME)
        self.run_log.append(record)
        self.save_state(index, epoch + 1, run)
        self.log(format_record(record))

    def _finish(self) -> dict[str, Any]:
        """Calibrates on the validation split, evaluates on the test split, writes ``model/``."""
        counts, provenance = self.data.class_counts, git_provenance()
        final = evaluate_final(self.predict(self.data.val), self.predict(self.data.test), counts,
                               self.config["output_prior"], self.shot_thresholds)
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
        best_path = self.output_dir / BEST_WEIGHTS_NAME
        if best_path.is_file():
            last_state = {k: v.clone() for k, v in self.model.state_dict().items()}
            self.model.load_state_dict(load_file(best_path, device=str(self.device)))
            report["test_best_val_epoch"] = summarize(lt_report(*self.predict(self.data.test), counts,
                                                                *self.shot_thresholds))
            self.model.load_state_dict(last_state)
        folder = save_pretrained(
            self.model, self.output_dir / MODEL_FOLDER,
            label_names=list(self.data.class_names), class_counts=counts.tolist(),
            method=self.config["method"],
            calibration=final.calibration_block(), metrics=final.metrics(), recipe=self.config,
            extra={**provenance, "shot_thresholds": dict(zip(("many_min", "few_max"), self.shot_thresholds))},
        )
        (folder / "report.json").write_text(json.dumps(report, indent=2))
        write_plots(folder, final, counts, self.run_log.records, self.config["name"], self.log, self.shot_thresholds)
        self.log("test (last epoch): " + format_record(summarize(final.test_raw))
                 + f"; temperature {final.calibration['temperature']:.4g}, "
                 f"calibrated ECE {final.test_calibrated['ece']:.4f}")
        return report

