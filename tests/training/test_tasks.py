"""Training tasks: the contrastive (CIBL) and RSG (SCL+RSG+LDAM) tasks inside the trainer, their
exact resume, the staged backbone they rely on, two-view batches and bad configurations."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch
from safetensors.torch import load_file

import ltzoo  # noqa: F401  (registers the CIFAR ResNets)
from ltzoo.data.tensor_pipeline import TensorBatches
from ltzoo.errors import InvalidArgumentError
from ltzoo.losses import create_loss
from ltzoo.models import StagedBackbone, create_model
from ltzoo.training import Trainer, create_task, list_tasks, resolve_config
from ltzoo.training.classifier_stages import StageModel
from ltzoo.training.config import Stage
from ltzoo.training.epoch_loop import train_epoch
from ltzoo.training.stages import build_stage_run

COUNTS = [40, 20, 10, 5]

CIBL_STAGE = {"name": "cibl", "task": "contrastive", "task_args": {"projection_dim": 32}, "loss": "cibl",
              "loss_args": {"s": 30.0, "temperature": 0.1}}
RSG_STAGE = {"name": "rsg", "task": "rsg", "loss": "ldam", "loss_args": {"max_m": 0.3, "s": 30.0},
             "task_args": {"split_after": 2, "supcon_weight": 0.9, "classification_weight": 0.1,
                           "rsg_args": {"n_center": 3, "contrastive_module_dim": 16, "epoch_thresh": 0}}}
# as the scl-rsg-ldam recipe: re-weighted LDAM, and class-balanced re-sampling from the second
# epoch, so the resumed epoch runs on the deferred sampler
RSG_DRS_STAGE = {**RSG_STAGE, "loss_args": {"max_m": 0.3, "s": 30.0, "weight": "inverse_frequency"},
                 "task_args": {**RSG_STAGE["task_args"], "cesc_weight": 0.1, "mv_weight": 0.01},
                 "drs_epoch": 1, "drs_sampler": "class_balanced"}


def _config(stage: dict) -> dict:
    common = {"epochs": 2, "batch_size": 32, "lr": 0.05, "warmup_epochs": 0, "lr_milestones": [1],
              "lr_multipliers": [0.1], "max_steps_per_epoch": 4}
    return resolve_config({"method": stage["name"], "model": "resnet20_cifar", "head": "cosine",
                           "dataset": "synthetic_lt", "imbalance_ratio": 10, "threads": 1, "eval_batch_size": 200,
                           "stages": [{**common, **stage}]})


# one stage per registered task, trained, cut and resumed below
TASK_STAGES = {"classification": {"name": "classification", "loss": "gcl", "mixup_alpha": 1.0},
               "contrastive": CIBL_STAGE, "rsg": RSG_STAGE}


def test_every_registered_task_is_trained_here():
    assert set(list_tasks()) == set(TASK_STAGES)


@pytest.mark.parametrize("stage", [*TASK_STAGES.values(), RSG_DRS_STAGE], ids=[*TASK_STAGES, "rsg-drs"])
def test_task_trains_resumes_exactly_and_keeps_only_the_classifier_model(tmp_path: Path, stage: dict):
    full = Trainer(_config(stage), tmp_path / "full", log=lambda _: None)
    full.fit()

    class Stop(Exception):
        pass

    def stop_after_first_epoch(line: str) -> None:
        if line.startswith(f"stage={stage['name']} epoch=1 "):
            raise Stop

    with pytest.raises(Stop):
        Trainer(_config(stage), tmp_path / "cut", log=stop_after_first_epoch).fit()
    state = torch.load(tmp_path / "cut" / "train_state.pt", weights_only=True)
    assert state["task"], "the task's own modules are checkpointed"
    Trainer(_config(stage), tmp_path / "cut", resume=True, log=lambda _: None).fit()

    a = load_file(tmp_path / "full" / "model" / "model.safetensors")
    b = load_file(tmp_path / "cut" / "model" / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # projection head / RSG are training-only: the published model is the plain classifier
    assert a.keys() == create_model("resnet20_cifar", num_classes=10, head="cosine").state_dict().keys()


@pytest.mark.parametrize("name, split_after", [("resnet32_cifar", 2), ("resnet18", 3)])
def test_staged_backbone_reproduces_the_model(name: str, split_after: int):
    torch.manual_seed(0)
    model = timm.create_model(name, num_classes=7).eval()
    staged = StagedBackbone(model, split_after)
    x = torch.randn(2, 3, 32, 32) if name.endswith("cifar") else torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model.get_classifier()(staged.back(staged.front(x))), model(x))


def test_staged_backbone_refuses_models_it_cannot_split():
    with pytest.raises(InvalidArgumentError, match="MobileNetV3.*supported: ResNetCifar, ResNet"):
        StagedBackbone(timm.create_model("mobilenetv3_small_050", num_classes=3), 2)
    with pytest.raises(InvalidArgumentError, match="split_after must be in 1..2"):
        StagedBackbone(timm.create_model("resnet20_cifar", num_classes=3), 3)


def _rsg_task(**task_args):
    torch.manual_seed(0)
    model = create_model("resnet20_cifar", num_classes=len(COUNTS), head="cosine")
    loss = create_loss("ldam", class_counts=COUNTS, max_m=0.3, s=30.0)
    args = {"rsg_args": {"n_center": 2, "contrastive_module_dim": 8, "epoch_thresh": 0}, **task_args}
    return create_task("rsg", StageModel(model, "all"), loss, class_counts=COUNTS, **args), model


def test_rsg_task_before_generation_scores_the_batch_as_the_model_does():
    task, model = _rsg_task(supcon_weight=0.0, cesc_weight=0.0)
    x, y = torch.randn(6, 3, 32, 32), torch.tensor([0, 0, 0, 1, 2, 3])
    task.eval()
    out = task(x, y, epoch=0)
    torch.testing.assert_close(out["output"], model(x))
    torch.testing.assert_close(out["loss"], task.loss_fn(model(x), y))


def test_rsg_task_after_threshold_generates_tail_samples_and_trains_the_generator():
    task, _ = _rsg_task(supcon_weight=0.9, classification_weight=0.1)
    x, y = torch.randn(8, 3, 32, 32), torch.tensor([0, 0, 0, 0, 1, 2, 3, 3])
    out = task(x, y, epoch=1)
    assert out["output"].shape == (8, len(COUNTS)) and torch.isfinite(out["loss"])
    out["loss"].backward()
    assert task.rsg.vec_transformation_module[0].weight.grad.abs().sum() > 0


def test_two_view_batches_are_view_major_and_independently_augmented():
    images = torch.randint(0, 255, (4, 32, 32, 3), dtype=torch.uint8)
    batches = TensorBatches(images, [0, 1, 2, 3], (0.5,) * 3, (0.25,) * 3, batch_size=4, augment=True, views=2)
    x, y = next(batches.epoch(generator=torch.Generator().manual_seed(0)))
    assert x.shape == (8, 3, 32, 32) and y.tolist() == [0, 1, 2, 3]
    assert not torch.equal(x[:4], x[4:])
    with pytest.raises(InvalidArgumentError, match="views"):
        TensorBatches(images, [0, 1, 2, 3], (0.5,) * 3, (0.25,) * 3, batch_size=4, views=2)


@pytest.mark.parametrize("stage, match", [
    ({**CIBL_STAGE, "mixup_alpha": 1.0}, "does not use mixup"),
    ({**RSG_STAGE, "train_scope": "classifier"}, "train_scope: all"),
    ({**CIBL_STAGE, "task_args": {"projection_dim": 0}}, "projection_dim"),
    ({**RSG_STAGE, "task_args": {"supcon_weight": -1.0}}, "supcon_weight"),
    ({**CIBL_STAGE, "task": "contrastve"}, "contrastive"),
    ({**CIBL_STAGE, "task_args": {"projection_dims": 8}}, "no option 'projection_dims'. Did you mean projection_dim"),
])
def test_bad_task_configurations(tmp_path: Path, stage: dict, match: str):
    with pytest.raises((InvalidArgumentError, KeyError), match=match):
        Trainer(_config(stage), tmp_path, log=lambda _: None).fit()


def test_deferred_resampling_switches_to_class_balanced_batches(tmp_path: Path):
    stage = {"name": "drs", "loss": "ce", "drs_epoch": 1, "batch_size": 64, "max_steps_per_epoch": 30}
    trainer = Trainer(_config(stage), tmp_path, log=lambda _: None)
    run = build_stage_run(trainer, 0, Stage.from_config(trainer.config["stages"][0]), resuming=False)
    seen: list[torch.Tensor] = []

    class Recording(torch.nn.Module):  # passes every batch to the real task, keeping the labels
        def __init__(self, task: torch.nn.Module):
            super().__init__()
            self.task = task

        def forward(self, images, targets, epoch=0):
            seen.append(targets.clone())
            return self.task(images, targets, epoch=epoch)

    run.runner = Recording(run.task)
    shares = []
    for epoch in (0, 1):
        seen.clear()
        train_epoch(trainer, run, epoch)
        counts = torch.bincount(torch.cat(seen), minlength=trainer.data.num_classes).double()
        shares.append(counts / counts.sum())
    prior = torch.as_tensor(trainer.data.class_counts, dtype=torch.float64)
    assert (shares[0] - prior / prior.sum()).abs().max() < 0.05  # instance sampling follows the long tail
    assert (shares[1] - 0.1).abs().max() < 0.05  # class-balanced after drs_epoch
