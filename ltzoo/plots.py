"""Plots a person looks at rather than reads: the reliability diagram, per-class accuracy
against training frequency with the many / medium / few bands, and a run's training curves
(matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from .data.class_counts import FEW_SHOT_MAX, MANY_SHOT_MIN
from .metrics import ECE_BINS, expected_calibration_error, reliability_bins


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("plots need matplotlib: pip install 'ltzoo[plots]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt: Any, fig: Any, path: str | Path) -> Path:
    """Lays the figure out, writes it to ``path`` and frees it (pyplot keeps every open figure)."""
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def reliability_diagram(probs: torch.Tensor, targets: torch.Tensor, path: str | Path, title: str = "") -> Path:
    """Accuracy against confidence in 15 equal-width bins, with the gap to the diagonal and ECE."""
    plt = _pyplot()
    bins = reliability_bins(probs, targets, ECE_BINS)
    ece = expected_calibration_error(probs, targets, ECE_BINS)
    centers = (bins["edges"][:-1] + bins["edges"][1:]) / 2
    width = 1.0 / ECE_BINS
    filled = bins["count"] > 0
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=120)
    ax.bar(centers[filled], bins["accuracy"][filled], width=width, edgecolor="black", color="#4C72B0", label="accuracy")
    gap = bins["confidence"][filled] - bins["accuracy"][filled]
    ax.bar(centers[filled], gap, bottom=bins["accuracy"][filled], width=width, color="#DD8452", alpha=0.6,
           edgecolor="#DD8452", label="gap to confidence")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy",
           title=f"{title} ECE = {100 * ece:.2f}%".strip())
    ax.legend(loc="upper left")
    return _save(plt, fig, path)


def per_class_accuracy_plot(
    per_class_accuracy: list[float | None], class_counts: Any, path: str | Path, title: str = "",
    shot_thresholds: tuple[int, int] = (MANY_SHOT_MIN, FEW_SHOT_MAX),
) -> Path:
    """Per-class accuracy against training images (log scale), shading the shot groups
    (``shot_thresholds``: many above the first, few below the second)."""
    many_min, few_max = shot_thresholds
    plt = _pyplot()
    counts = np.asarray(class_counts, dtype=np.float64)
    acc = np.array([np.nan if a is None else a for a in per_class_accuracy], dtype=np.float64)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    low, high = counts.min() * 0.8, counts.max() * 1.25
    for lo, hi, name, color in ((low, few_max, "few", "#C44E52"), (few_max, many_min, "medium", "#DD8452"),
                                (many_min, high, "many", "#55A868")):
        if hi > low and lo < high:
            ax.axvspan(max(lo, low), min(hi, high), color=color, alpha=0.12, label=name)
    ax.scatter(counts, acc, s=14, color="#4C72B0", zorder=3)
    ax.set_xscale("log")
    ax.set(xlim=(low, high), ylim=(-0.02, 1.02), xlabel="training images of the class (log scale)",
           ylabel="test accuracy of the class", title=title or "per-class accuracy")
    ax.legend(loc="best")  # clear of the points, wherever the classes lie
    return _save(plt, fig, path)


def evaluation_plots(
    calibrated_logits: torch.Tensor, targets: torch.Tensor, per_class_accuracy: list[float | None],
    class_counts: Any, folder: str | Path, title: str = "", split: str = "test",
    shot_thresholds: tuple[int, int] = (MANY_SHOT_MIN, FEW_SHOT_MAX),
) -> list[Path]:
    """The two plots of an evaluation, written into ``folder``: ``reliability.png`` of the
    calibrated probabilities and ``per_class_accuracy.png`` against the training counts."""
    folder = Path(folder)
    return [
        reliability_diagram(calibrated_logits.softmax(1), targets, folder / "reliability.png", f"{split}, calibrated"),
        per_class_accuracy_plot(per_class_accuracy, class_counts, folder / "per_class_accuracy.png", title,
                                shot_thresholds),
    ]


def training_curves(history: list[dict[str, Any]], path: str | Path, title: str = "") -> Path:
    """Training loss and validation top-1 (all / many / medium / few) per epoch of a run's
    ``metrics.jsonl`` records, with a dotted line where each stage begins."""
    plt = _pyplot()
    records = [r for r in history if "train_loss" in r]
    steps = np.arange(1, len(records) + 1)
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=120)
    loss_ax.plot(steps, [r["train_loss"] for r in records], color="#4C72B0")
    loss_ax.set(xlabel="epoch (all stages)", ylabel="training loss", yscale="log", title="training loss")
    for key, color in (("top1", "black"), ("many", "#55A868"), ("medium", "#DD8452"), ("few", "#C44E52")):
        values = [np.nan if r.get(f"val_{key}") is None else r[f"val_{key}"] for r in records]
        if not np.all(np.isnan(values)):
            acc_ax.plot(steps, values, color=color, label=key, lw=1.6 if key == "top1" else 1.0)
    acc_ax.set(xlabel="epoch (all stages)", ylabel="validation accuracy", ylim=(-0.02, 1.02),
               title=title or "validation accuracy")
    acc_ax.legend(loc="best")
    for i in range(1, len(records)):
        if records[i]["stage"] != records[i - 1]["stage"]:
            for ax in (loss_ax, acc_ax):
                ax.axvline(i + 0.5, color="grey", ls=":", lw=1)
    return _save(plt, fig, path)
