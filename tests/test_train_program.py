"""``python -m train``: listing, errors a user meets, and the real-data smoke recipe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _train(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "train", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def test_list_shows_the_recipes():
    out = _train("--list")
    assert out.returncode == 0
    names = out.stdout.split()
    assert {"gcl-resnet32-cifar10lt", "ce-resnet32-cifar10lt", "smoke", "smoke-synthetic"} <= set(names)


def test_unknown_recipe_suggests_close_names():
    out = _train("gcl-resnet32-cifar10")
    assert out.returncode == 2 and "Did you mean 'gcl-resnet32-cifar10lt'" in out.stderr
    assert out.stderr.startswith("python -m train: error: ")


def test_bad_override_and_missing_data(tmp_path: Path):
    out = _train("smoke", "epoch=3", "--output-dir", str(tmp_path))
    assert out.returncode == 2 and "Did you mean epochs" in out.stderr
    out = _train("smoke", "--data-dir", str(tmp_path), "--output-dir", str(tmp_path / "o"))
    assert out.returncode == 2 and "cifar-10-batches-py" in out.stderr and "download=True" in out.stderr


@pytest.mark.parametrize("recipe", sorted(p.stem for p in (REPO / "ltzoo" / "recipes").glob("*.yaml")))
def test_every_recipe_builds_its_losses_samplers_and_tasks(recipe: str):
    """Each recipe resolves, and every stage's loss, samplers, task and optimiser groups construct
    with their arguments (a typo in loss_args, sampler_args, task_args or no_weight_decay fails
    here, not hours into a run)."""
    from ltzoo.data.samplers import create_sampler
    from ltzoo.losses import create_loss
    from ltzoo.models import create_model, init_classifier
    from ltzoo.training import create_task, load_recipe_file, resolve_config
    from ltzoo.training.classifier_stages import StageModel
    from ltzoo.training.param_groups import param_groups

    config = resolve_config(load_recipe_file(str(REPO / "ltzoo" / "recipes" / f"{recipe}.yaml")))
    assert config["name"] == recipe or recipe.startswith("smoke")
    counts = [100, 60, 30, 20, 10, 8, 6, 4, 2, 1]
    cifar = config["model"].endswith("_cifar")
    model = create_model(config["model"], num_classes=len(counts), head=config["head"]) if cifar else None
    # a small stand-in with the recipe's head where the backbone is large
    probe = model or create_model("resnet20_cifar", num_classes=len(counts), head=config["head"])
    init_classifier(probe.get_classifier(), config["classifier_bias_prior"], config["classifier_weight_std"])
    for stage in config["stages"]:
        if stage["type"] != "train":
            continue
        loss = create_loss(stage["loss"], class_counts=counts, **stage["loss_args"])
        targets = [c for c, n in enumerate(counts) for _ in range(n)]
        create_sampler(stage["sampler"], targets, **stage["sampler_args"])
        if stage["drs_epoch"] is not None:
            create_sampler(stage["drs_sampler"], targets)
        param_groups(probe, probe, stage["backbone_lr_scale"], stage["no_weight_decay"])
        if model is not None and stage["classifier_init"] == "keep":
            create_task(stage["task"], StageModel(model, stage["train_scope"]), loss, class_counts=counts,
                        mixup_alpha=stage["mixup_alpha"], **stage["task_args"])


@pytest.mark.slow
@pytest.mark.data
def test_smoke_recipe_on_real_cifar(cifar_root: Path, tmp_path: Path):
    out = _train("smoke", "--data-dir", str(cifar_root), "--output-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr[-3000:]
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["ltzoo"]["class_counts"] == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    report = json.loads((tmp_path / "model" / "report.json").read_text())
    assert report["test_last"]["num_samples"] == 10000
    assert report["test_last"]["top1"] > 0.12  # above chance (0.10) after a few iterations


def test_a_second_run_into_the_same_folder_needs_resume_or_overwrite(tmp_path: Path):
    out = _train("smoke-synthetic", "--output-dir", str(tmp_path), "epochs=1")
    assert out.returncode == 0, out.stderr[-2000:]
    weights = (tmp_path / "model" / "model.safetensors").read_bytes()
    again = _train("smoke-synthetic", "--output-dir", str(tmp_path), "epochs=1")
    assert again.returncode == 2 and "already holds a run" in again.stderr and "--overwrite" in again.stderr
    assert (tmp_path / "model" / "model.safetensors").read_bytes() == weights
    both = _train("smoke-synthetic", "--output-dir", str(tmp_path), "--resume", "--overwrite")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
