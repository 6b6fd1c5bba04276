"""The training engine on synthetic data: both stages, the model folder, exact resume after
SIGKILL, bad stage settings and divergence."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from ltzoo.errors import InvalidArgumentError, RunExistsError, RunFolderInUseError, TrainingDivergedError
from ltzoo.training import Trainer, resolve_config
from ltzoo.training.run_lock import run_folder_lock

REPO = Path(__file__).resolve().parents[2]

TINY = {
    "method": "gcl",
    "model": "resnet20_cifar",
    "head": "cosine",
    "dataset": "synthetic_lt",
    "imbalance_ratio": 10,
    "threads": 1,
    "eval_batch_size": 200,
    "stages": [
        {"name": "representation", "loss": "gcl", "loss_args": {"m": 0.0, "noise_mul": 0.5}, "epochs": 2,
         "batch_size": 64, "lr": 0.05, "warmup_epochs": 1, "lr_milestones": [1], "lr_multipliers": [0.1],
         "mixup_alpha": 1.0},
        {"name": "classifier", "train_scope": "classifier", "loss": "gcl",
         "loss_args": {"m": 0.1, "s": 20.0, "noise_mul": 0.5, "gamma": 1.0, "classifier_stage": True},
         "sampler": "class_balanced", "epochs": 2, "batch_size": 64, "lr": 0.008, "schedule": "cosine",
         "warmup_epochs": 0, "mixup_alpha": 1.0},
    ],
}


def test_two_stage_run_writes_the_model_folder(tmp_path: Path):
    config = resolve_config(TINY)
    trainer = Trainer(config, tmp_path, log=lambda _: None)
    report = trainer.fit()
    folder = tmp_path / "model"
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["architecture"] == "resnet20_cifar" and cfg["model_args"]["head"] == "cosine"
    assert cfg["ltzoo"]["class_counts"] == trainer.data.class_counts.tolist()
    assert cfg["ltzoo"]["calibration"]["temperature"] == report["calibration"]["temperature"] > 0
    assert set(cfg["pretrained_cfg"]) <= {"input_size", "interpolation", "crop_pct", "crop_mode", "mean", "std",
                                          "num_classes", "pool_size", "first_conv", "classifier",
                                          "fixed_input_size", "custom_load"}
    assert 0 <= cfg["ltzoo"]["metrics"]["top1"] <= 1
    if (REPO / ".git").exists():  # run from a checkout: the commit is recorded
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        assert cfg["ltzoo"]["git_commit"] == head == report["git_commit"]
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(r["stage"], r["epoch"]) for r in lines] == [("representation", 1), ("representation", 2),
                                                         ("classifier", 1), ("classifier", 2)]
    assert lines[0]["lr"] == pytest.approx(0.05) and lines[1]["lr"] == pytest.approx(0.005)
    assert lines[2]["lr"] == pytest.approx(0.008) and lines[3]["lr"] == pytest.approx(0.004)
    # stage 2 froze the backbone: its weights equal the end of stage 1
    stage1 = load_file(tmp_path / "representation_final.safetensors")
    final = load_file(folder / "model.safetensors")
    torch.testing.assert_close(final["layer1.0.conv1.weight"], stage1["layer1.0.conv1.weight"])
    torch.testing.assert_close(final["bn1.running_mean"], stage1["bn1.running_mean"])
    assert not torch.equal(final["fc.weight"], stage1["fc.weight"])
    if importlib.util.find_spec("matplotlib"):  # the dev install has it; plots are optional
        for name in ("reliability.png", "per_class_accuracy.png", "training_curves.png"):
            assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


@pytest.mark.parametrize("data", ["in_memory", "image_files"])
def test_logging_the_test_split_each_epoch_changes_no_weight(tmp_path: Path, data: str):
    """log_test_each_epoch records test_* beside val_* at every epoch (the protocol of codebases that
    report their best test epoch) and trains exactly the weights a run without it trains, also where
    the test pass goes through a DataLoader, which draws its seed from torch's random stream."""
    recipe = TINY if data == "in_memory" else _image_file_recipe(tmp_path / "files")
    plain = Trainer(resolve_config(recipe), tmp_path / "plain", log=lambda _: None)
    plain.fit()
    logged = Trainer(resolve_config({**recipe, "log_test_each_epoch": True}), tmp_path / "logged", log=lambda _: None)
    report = logged.fit()
    lines = [json.loads(x) for x in (tmp_path / "logged" / "metrics.jsonl").read_text().splitlines()]
    assert all({"test_top1", "test_ece", "val_top1"} <= set(line) for line in lines)
    assert lines[-1]["test_top1"] == pytest.approx(report["test_last"]["top1"])
    assert not any(k.startswith("test_") for k in json.loads(
        (tmp_path / "plain" / "metrics.jsonl").read_text().splitlines()[0]))
    a = load_file(tmp_path / "plain" / "model" / "model.safetensors")
    b = load_file(tmp_path / "logged" / "model" / "model.safetensors")
    assert all(torch.equal(a[key], b[key]) for key in a)


def _run_program(recipe: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "train", str(recipe), "--output-dir", str(out), *extra],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_resume_after_sigkill_is_bit_identical(tmp_path: Path):
    recipe = tmp_path / "tiny.yaml"
    config = {**TINY, "stages": [{**TINY["stages"][0], "epochs": 3}, TINY["stages"][1]]}
    recipe.write_text(yaml.safe_dump(config))
    full = _run_program(recipe, tmp_path / "full")
    assert full.wait(timeout=300) == 0, full.stdout.read()

    killed = _run_program(recipe, tmp_path / "killed")
    metrics = tmp_path / "killed" / "metrics.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline:  # wait until epoch 1 is checkpointed, then kill inside epoch 2
        if metrics.exists() and metrics.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL
    state = torch.load(tmp_path / "killed" / "train_state.pt", weights_only=True)
    assert (state["stage"], state["epoch"]) in {(0, 1), (0, 2)}  # mid-run, never a torn file

    resumed = _run_program(recipe, tmp_path / "killed", "--resume")
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    assert "resuming" in output
    a = load_file(tmp_path / "full" / "model" / "model.safetensors")
    b = load_file(tmp_path / "killed" / "model" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    lines_full = (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()
    lines_resumed = (tmp_path / "killed" / "metrics.jsonl").read_text().splitlines()
    strip = lambda line: {k: v for k, v in json.loads(line).items() if k not in ("images_per_s", "epoch_s")}  # noqa: E731
    assert [strip(x) for x in lines_full] == [strip(x) for x in lines_resumed]


def test_resume_refuses_a_folder_of_another_recipe(tmp_path: Path):
    one_stage = {**TINY, "stages": [{**TINY["stages"][0], "epochs": 1}]}
    Trainer(resolve_config(one_stage), tmp_path, log=lambda _: None).fit()
    other = resolve_config(one_stage, ["seed=5"])
    with pytest.raises(InvalidArgumentError, match="different recipe.*seed"):
        Trainer(other, tmp_path, resume=True, log=lambda _: None).fit()
    # documentation is not part of the run: it may change, and the card shows the new text
    documented = resolve_config(one_stage, ["deviations=The lr is ours."])
    lines: list[str] = []
    Trainer(documented, tmp_path, resume=True, log=lines.append).fit()
    assert "every stage is complete" in lines[0]
    assert "## Departures from the reference\n\nThe lr is ours." in (tmp_path / "model" / "README.md").read_text()


def test_classifier_init_options_start_the_classifier(tmp_path: Path):
    """The class-balanced recipes start each sigmoid at pi (Cui et al.'s code: 1/C) and, on
    iNaturalist, draw the classifier's weights from N(0, 0.01^2)."""
    linear = {**TINY, "head": "linear", "classifier_bias_prior": "uniform", "classifier_weight_std": 0.01}
    trainer = Trainer(resolve_config(linear), tmp_path, log=lambda _: None)
    classifier = trainer.model.get_classifier()
    uniform = torch.full_like(classifier.bias, 1 / trainer.data.num_classes)
    torch.testing.assert_close(torch.sigmoid(classifier.bias), uniform)
    assert classifier.weight.abs().max() < 0.06  # timm's default init draws far wider weights for 64 features
    with pytest.raises(InvalidArgumentError, match="need a linear classifier, got CosineClassifier"):
        Trainer(resolve_config({**TINY, "classifier_bias_prior": 0.1}), tmp_path / "cosine", log=lambda _: None)


def test_resume_without_state_says_so(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        Trainer(resolve_config(TINY), tmp_path, resume=True, log=lambda _: None).fit()


def test_divergence_stops_with_step_and_lr(tmp_path: Path):
    config = resolve_config({**TINY, "head": "linear", "stages": [
        {"loss": "ce", "epochs": 1, "lr": 1e12, "warmup_epochs": 0, "batch_size": 64}]})
    with pytest.raises(TrainingDivergedError, match=r"step \d+ \(batch of 64, lr 1e\+12\)"):
        Trainer(config, tmp_path, log=lambda _: None).fit()


def test_crt_lws_and_tau_norm_stages(tmp_path: Path):
    linear = {**TINY, "head": "linear", "method": "ce"}
    ce_stage = {"name": "ce", "loss": "ce", "epochs": 1, "batch_size": 64, "warmup_epochs": 0, "lr": 0.05}
    retrain = {"train_scope": "classifier", "loss": "ce", "sampler": "class_balanced", "epochs": 1,
               "batch_size": 64, "schedule": "cosine", "warmup_epochs": 0, "lr": 0.05}
    config = resolve_config({**linear, "stages": [
        ce_stage,
        {**retrain, "name": "crt", "classifier_init": "reset"},
        {**retrain, "name": "lws", "classifier_init": "lws"},
        {"name": "taunorm", "type": "tau_norm", "tau_grid": [0.0, 0.5, 1.0]},
    ]})
    trainer = Trainer(config, tmp_path, log=lambda _: None)
    trainer.fit()
    crt_start = load_file(tmp_path / "ce_final.safetensors")
    crt_end = load_file(tmp_path / "crt_final.safetensors")
    lws_end = load_file(tmp_path / "lws_final.safetensors")
    final = load_file(tmp_path / "model" / "model.safetensors")
    assert not torch.equal(crt_start["fc.weight"], crt_end["fc.weight"])  # re-initialised and re-trained
    torch.testing.assert_close(crt_start["layer1.0.conv1.weight"], crt_end["layer1.0.conv1.weight"])
    assert set(lws_end) == set(crt_end)  # the LWS scales were folded into a plain linear layer
    ratio = lws_end["fc.weight"] / crt_end["fc.weight"]
    torch.testing.assert_close(ratio, ratio[:, :1].expand_as(ratio))  # one scale per class (row)
    assert final["fc.bias"].abs().sum() == 0  # tau-norm drops the bias
    records = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["stage"] == "taunorm" and records[-1]["tau"] in (0.0, 0.5, 1.0)
    norms = final["fc.weight"].norm(dim=1)
    tau = records[-1]["tau"]
    expected = lws_end["fc.weight"].norm(dim=1) ** (1 - tau)
    torch.testing.assert_close(norms, expected)


def test_tensorboard_events_when_installed(tmp_path: Path):
    pytest.importorskip("tensorboard")
    one_epoch = {**TINY, "stages": [{**TINY["stages"][0], "epochs": 1}]}
    Trainer(resolve_config(one_epoch), tmp_path, log=lambda _: None).fit()
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def _image_file_recipe(folder: Path) -> dict:
    """A recipe on split lists of small PNGs written under ``folder`` (3 classes, 24 / 8 / 4 training
    images, 3 per class in val and test): the engine's file path (timm transforms, DataLoader workers)."""
    import numpy as np
    from PIL import Image

    rng = np.random.RandomState(0)
    counts = {0: 24, 1: 8, 2: 4}
    lines = {"train": [], "val": [], "test": []}
    for split, per_class in (("train", counts), ("val", {c: 3 for c in counts}), ("test", {c: 3 for c in counts})):
        for cls, n in per_class.items():
            for i in range(n):
                path = Path(split) / str(cls) / f"{i}.png"
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                colour = np.array([200 if c == cls else 40 for c in range(3)], dtype=np.uint8)
                pixels = np.clip(colour + rng.randint(-30, 30, (40, 48, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / path)
                lines[split].append(f"{path} {cls}")
    for split, rows in lines.items():
        (folder / f"{split}.txt").write_text("\n".join(rows) + "\n")
    return {
        "model": "resnet20_cifar", "dataset": "list", "data_dir": str(folder), "image_size": 32,
        "train_list": str(folder / "train.txt"), "val_list": str(folder / "val.txt"),
        "test_list": str(folder / "test.txt"), "num_workers": 1, "threads": 1, "eval_batch_size": 16,
        "stages": [{"loss": "balanced_softmax", "epochs": 2, "batch_size": 8, "warmup_epochs": 0, "lr": 0.05}],
    }


def test_training_on_split_lists_of_image_files(tmp_path: Path):
    """The file path of the engine (split lists, timm transforms, DataLoader workers) end to end."""
    config = resolve_config(_image_file_recipe(tmp_path))
    trainer = Trainer(config, tmp_path / "run", log=lambda _: None)
    assert trainer.data.class_counts.tolist() == [24, 8, 4]
    report = trainer.fit()
    assert report["test_last"]["num_samples"] == 9
    saved = json.loads((tmp_path / "run" / "model" / "config.json").read_text())
    assert saved["pretrained_cfg"]["input_size"] == [3, 32, 32]


def test_missing_split_list_names_the_file(tmp_path: Path):
    config = resolve_config({"dataset": "imagenet_lt", "data_dir": str(tmp_path), "stages": [{}]})
    with pytest.raises(FileNotFoundError, match="ImageNet_LT_train.txt.*train_list=PATH"):
        Trainer(config, tmp_path / "run", log=lambda _: None)


def test_resume_after_all_stages_rewrites_the_same_model(tmp_path: Path):
    one_stage = {**TINY, "stages": [{**TINY["stages"][0], "epochs": 1}]}
    Trainer(resolve_config(one_stage), tmp_path, log=lambda _: None).fit()
    first = load_file(tmp_path / "model" / "model.safetensors")
    (tmp_path / "model" / "model.safetensors").unlink()  # e.g. the final save crashed
    Trainer(resolve_config(one_stage), tmp_path, resume=True, log=lambda _: None).fit()
    again = load_file(tmp_path / "model" / "model.safetensors")
    assert all(torch.equal(first[k], again[k]) for k in first)


def test_start_stage_from_existing_weights(tmp_path: Path):
    """cRT from a finished CE run's weights: the skipped stage's result is init_weights."""
    linear = {**TINY, "head": "linear", "method": "crt"}
    ce_stage = {"name": "ce", "loss": "ce", "epochs": 1, "batch_size": 64, "warmup_epochs": 0, "lr": 0.05}
    crt_stage = {"name": "crt", "train_scope": "classifier", "classifier_init": "reset", "loss": "ce",
                 "sampler": "class_balanced", "epochs": 1, "batch_size": 64, "warmup_epochs": 0, "lr": 0.05}
    Trainer(resolve_config({**linear, "stages": [ce_stage]}), tmp_path / "ce", log=lambda _: None).fit()
    ce_weights = load_file(tmp_path / "ce" / "model" / "model.safetensors")
    logs: list[str] = []
    config = resolve_config({**linear, "stages": [ce_stage, crt_stage]},
                            [f"init_weights={tmp_path / 'ce' / 'model'}", "start_stage=1"])
    report = Trainer(config, tmp_path / "crt", log=logs.append).fit()
    records = [json.loads(x) for x in (tmp_path / "crt" / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in records] == ["crt"]
    final = load_file(tmp_path / "crt" / "model" / "model.safetensors")
    torch.testing.assert_close(final["layer1.0.conv1.weight"], ce_weights["layer1.0.conv1.weight"])
    torch.testing.assert_close(final["bn1.running_var"], ce_weights["bn1.running_var"])
    assert not torch.equal(final["fc.weight"], ce_weights["fc.weight"])
    assert report["init_weights"]["skipped_stages"] == 1 and len(report["init_weights"]["sha256"]) == 64
    assert any("skipping ce" in line for line in logs)


def test_bad_init_weights(tmp_path: Path):
    linear = {**TINY, "head": "linear"}
    with pytest.raises(InvalidArgumentError, match="start_stage=1 skips stages representation: give their result"):
        resolve_config(linear, ["start_stage=1"])
    with pytest.raises(InvalidArgumentError, match="start_stage must be a stage index from 0 to 1, got 2"):
        resolve_config(linear, ["start_stage=2", "init_weights=x.safetensors"])
    with pytest.raises(FileNotFoundError, match="no weights file at .*missing.safetensors"):
        config = resolve_config(linear, [f"init_weights={tmp_path / 'missing.safetensors'}"])
        Trainer(config, tmp_path / "a", log=lambda _: None).fit()
    cosine = Trainer(resolve_config(TINY), tmp_path / "b", log=lambda _: None)
    from safetensors.torch import save_file
    save_file(cosine.model.state_dict(), str(tmp_path / "cosine.safetensors"))
    config = resolve_config({**linear, "stages": TINY["stages"][:1]}, [f"init_weights={tmp_path / 'cosine.safetensors'}"])
    with pytest.raises(InvalidArgumentError, match="do not fit resnet20_cifar with a linear head"):
        Trainer(config, tmp_path / "c", log=lambda _: None).fit()


def test_lws_as_the_last_stage_snapshots_its_best_epoch_folded(tmp_path: Path):
    """The best-epoch snapshot of an LWS stage has the plain linear head's keys, so the final
    report can evaluate it on the folded model."""
    linear = {**TINY, "head": "linear", "method": "lws"}
    config = resolve_config({**linear, "stages": [
        {"name": "ce", "loss": "ce", "epochs": 1, "batch_size": 64, "warmup_epochs": 0, "lr": 0.05},
        {"name": "lws", "train_scope": "classifier", "classifier_init": "lws", "loss": "ce", "epochs": 2,
         "sampler": "class_aware", "batch_size": 64, "schedule": "cosine", "warmup_epochs": 0, "lr": 0.05},
    ]})
    report = Trainer(config, tmp_path, log=lambda _: None).fit()
    best = load_file(tmp_path / "best_model.safetensors")
    assert set(best) == set(load_file(tmp_path / "model" / "model.safetensors"))
    assert report["best_val"]["stage"] == "lws" and "test_best_val_epoch" in report


def test_backbone_lr_scale_trains_the_backbone_slower(tmp_path: Path):
    """backbone_lr_scale=0 keeps the backbone's weights while the classifier learns at lr;
    a negative scale is refused."""
    stage = {"name": "ce", "loss": "ce", "epochs": 1, "batch_size": 64, "warmup_epochs": 0, "lr": 0.05,
             "backbone_lr_scale": 0.0}
    trainer = Trainer(resolve_config({**TINY, "head": "linear", "stages": [stage]}), tmp_path, log=lambda _: None)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.fit()
    after = trainer.model.state_dict()
    torch.testing.assert_close(after["layer1.0.conv1.weight"], before["layer1.0.conv1.weight"], rtol=0, atol=0)
    assert not torch.equal(after["fc.weight"], before["fc.weight"])
    with pytest.raises(InvalidArgumentError, match="backbone_lr_scale must be a finite number >= 0"):
        Trainer(resolve_config({**TINY, "stages": [{**stage, "backbone_lr_scale": -1.0}]}), tmp_path / "neg",
                log=lambda _: None).fit()


@pytest.mark.parametrize("options", [{"amp": True}, {"compile": True}], ids=["amp-bf16", "torch-compile"])
def test_amp_and_compile_train_on_cpu(tmp_path: Path, options: dict):
    """amp runs the forward under bf16 autocast (CUDA and CPU); compile trains through
    torch.compile. Both finish with a finite loss and a model folder."""
    if options.get("compile") and not shutil.which("cc"):
        pytest.skip("torch.compile on CPU needs a C compiler")
    stage = {"name": "ce", "loss": "ce", "epochs": 1, "batch_size": 64, "warmup_epochs": 0, "lr": 0.05,
             "max_steps_per_epoch": 3}
    trainer = Trainer(resolve_config({**TINY, "head": "linear", **options, "stages": [stage]}), tmp_path,
                      log=lambda _: None)
    dtypes: set[torch.dtype] = set()
    trainer.model.layer1.register_forward_hook(lambda module, args, out: dtypes.add(out.dtype))
    trainer.fit()
    record = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    assert math.isfinite(record["train_loss"])
    assert (tmp_path / "model" / "model.safetensors").is_file()
    if options.get("amp"):
        assert torch.bfloat16 in dtypes
    else:
        assert dtypes <= {torch.float32}


def test_synthetic_images_take_the_image_size(tmp_path: Path):
    config = resolve_config({**TINY, "image_size": 48, "stages": [{**TINY["stages"][0], "epochs": 1,
                                                                   "max_steps_per_epoch": 1}]})
    trainer = Trainer(config, tmp_path, log=lambda _: None)
    assert trainer.data.train.images.shape[1:] == (48, 48, 3)
    assert trainer.data_config["input_size"] == (3, 48, 48)


def test_mean_and_std_normalise_training_and_inference(tmp_path: Path):
    """A recipe's normalisation (Cui et al.'s x / 128 - 1 here) reaches the training batches and the
    checkpoint, so the predictor preprocesses as the model was trained."""
    import ltzoo

    half = 128 / 255
    config = resolve_config({**TINY, "mean": [half] * 3, "std": [half] * 3,
                             "stages": [{**TINY["stages"][0], "epochs": 1, "max_steps_per_epoch": 1}]})
    trainer = Trainer(config, tmp_path, log=lambda _: None)
    batches = trainer.data.test.batches(8, train=False, data_config=trainer.data_config, device=torch.device("cpu"),
                                        num_workers=0)
    images, _ = next(batches.epoch())
    raw = torch.as_tensor(trainer.data.test.images[:8]).permute(0, 3, 1, 2).float()
    torch.testing.assert_close(images, raw / 128 - 1)
    trainer.fit()
    predictor = ltzoo.load(str(tmp_path / "model"), device="cpu")
    assert tuple(predictor.data_config["mean"]) == tuple(predictor.data_config["std"]) == (half,) * 3


def test_per_step_warmup_sets_the_lr_of_every_step(tmp_path: Path):
    stage = {**TINY["stages"][0], "epochs": 2, "warmup_epochs": 2, "warmup_per_step": True, "max_steps_per_epoch": 4,
             "lr": 0.08, "lr_milestones": [], "lr_multipliers": []}
    config = resolve_config({**TINY, "stages": [stage]})
    optimiser_lrs: list[float] = []

    def after_each_line(line: str) -> None:  # an epoch's line is logged right after its checkpoint
        if line.startswith("stage="):
            state = torch.load(tmp_path / "train_state.pt", weights_only=True)
            optimiser_lrs.append(state["optimizer"]["param_groups"][0]["lr"])

    Trainer(config, tmp_path, log=after_each_line).fit()
    # the last of 4 steps in epochs 1 and 2: 0.08 * (0 + 3/4) / 2 and 0.08 * (1 + 3/4) / 2
    assert optimiser_lrs == pytest.approx([0.03, 0.07])
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["lr"] for r in records] == pytest.approx([0.0, 0.04])  # the epochs' first steps


def test_drop_last_trains_only_full_batches(tmp_path: Path):
    stage = {**TINY["stages"][0], "epochs": 1, "batch_size": 64, "drop_last": True}
    trainer = Trainer(resolve_config({**TINY, "stages": [stage]}), tmp_path, log=lambda _: None)
    trainer.fit()
    record = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    full = len(trainer.data.train) // 64 * 64
    assert len(trainer.data.train) % 64 and round(record["images_per_s"] * record["epoch_s"]) == full


def test_resume_mid_stage_with_deferred_reweighting(tmp_path: Path):
    """DRW sets the loss's class weights (a buffer) every epoch: a run resumed from the state of
    epoch 1 loads them and ends as the uninterrupted run."""
    stage = {"name": "ldam", "loss": "ldam", "epochs": 3, "batch_size": 64, "warmup_epochs": 0, "lr": 0.05,
             "drw_epoch": 2, "max_steps_per_epoch": 3}
    config = resolve_config({**TINY, "stages": [stage]})
    snapshot = tmp_path / "after_epoch_1.pt"

    def keep_epoch_1(line: str) -> None:
        if line.startswith("stage=ldam epoch=1 "):
            shutil.copy(tmp_path / "full" / "train_state.pt", snapshot)

    Trainer(config, tmp_path / "full", log=keep_epoch_1).fit()
    (tmp_path / "resumed").mkdir()
    shutil.copy(snapshot, tmp_path / "resumed" / "train_state.pt")
    Trainer(config, tmp_path / "resumed", resume=True, log=lambda _: None).fit()
    full = load_file(tmp_path / "full" / "model" / "model.safetensors")
    resumed = load_file(tmp_path / "resumed" / "model" / "model.safetensors")
    assert set(full) == set(resumed)
    for key in full:
        torch.testing.assert_close(resumed[key], full[key], rtol=0, atol=0)


def test_a_busy_run_folder_is_refused_and_left_untouched(tmp_path: Path):
    (tmp_path / "metrics.jsonl").write_text("the live run's records\n")
    trainer = Trainer(resolve_config(TINY), tmp_path, log=lambda _: None)
    with run_folder_lock(tmp_path):  # a live run holds the folder
        with pytest.raises(RunFolderInUseError, match="in use by another training process"):
            trainer.fit()
    assert (tmp_path / "metrics.jsonl").read_text() == "the live run's records\n"
    assert not (tmp_path / "train_state.pt").exists()


def test_a_finished_run_is_not_overwritten_without_being_asked(tmp_path: Path):
    one_stage = {**TINY, "stages": [{**TINY["stages"][0], "epochs": 1}]}
    Trainer(resolve_config(one_stage), tmp_path, log=lambda _: None).fit()
    weights = (tmp_path / "model" / "model.safetensors").read_bytes()
    with pytest.raises(RunExistsError, match="already holds a run .*--resume"):
        Trainer(resolve_config({**one_stage, "seed": 1}), tmp_path, log=lambda _: None).fit()
    assert (tmp_path / "model" / "model.safetensors").read_bytes() == weights
    Trainer(resolve_config({**one_stage, "seed": 1}), tmp_path, overwrite=True, log=lambda _: None).fit()
    assert (tmp_path / "model" / "model.safetensors").read_bytes() != weights  # the new run's weights
