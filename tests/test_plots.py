"""The plots write real PNG files from real reports (matplotlib is in the dev install)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest.importorskip("matplotlib")

from ltzoo.plots import evaluation_plots, per_class_accuracy_plot, reliability_diagram, training_curves  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def test_reliability_diagram_and_per_class_accuracy(tmp_path: Path):
    gen = torch.Generator().manual_seed(0)
    probs = torch.softmax(3 * torch.randn(200, 4, generator=gen), 1)
    targets = torch.randint(0, 4, (200,), generator=gen)
    assert reliability_diagram(probs, targets, tmp_path / "r.png").read_bytes()[:8] == PNG
    # a class without test images has no accuracy (None)
    path = per_class_accuracy_plot([0.9, None, 0.4, 0.1], [500, 120, 40, 5], tmp_path / "p.png")
    assert path.read_bytes()[:8] == PNG


def test_evaluation_plots_writes_both_into_the_folder(tmp_path: Path):
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(60, 3, generator=gen)
    paths = evaluation_plots(logits, torch.randint(0, 3, (60,), generator=gen), [0.8, 0.5, None], [300, 40, 6],
                             tmp_path, "model", split="validation")
    assert [p.name for p in paths] == ["reliability.png", "per_class_accuracy.png"]
    assert all(p.parent == tmp_path and p.read_bytes()[:8] == PNG for p in paths)


def test_training_curves_across_stages_and_sparse_validation(tmp_path: Path):
    history = [
        {"stage": "representation", "epoch": 1, "train_loss": 2.0, "val_top1": 0.3, "val_many": 0.5, "val_few": None},
        {"stage": "representation", "epoch": 2, "train_loss": 1.0},  # eval_every > 1: no validation
        {"stage": "classifier", "epoch": 1, "train_loss": 0.5, "val_top1": 0.6, "val_many": 0.7, "val_few": None},
        {"stage": "taunorm", "epoch": 0, "tau": 1.0, "val_top1": 0.65},  # post-hoc record: not a training epoch
    ]
    assert training_curves(history, tmp_path / "c.png", "run").read_bytes()[:8] == PNG
