"""The end of a run: temperature calibration on the validation split, the test report raw and as
ltzoo predicts by default, and the plots of the checkpoint folder.

The held-out splits are class-balanced (CIFAR-LT's validation split lacks only the head class,
all of whose images went to training), so calibration and the default prediction work under the
balanced prior: a model whose outputs reflect the training prior (``output_prior: train``)
is shifted by ``log(1/C) - log(pi_train)`` (post-hoc logit adjustment, Menon et al. 2021, Eq. 9)
after its temperature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..calibration import fit_temperature, prior_log_ratio
from ..data.class_counts import FEW_SHOT_MAX, MANY_SHOT_MIN
from ..metrics import lt_report

SUMMARY_KEYS = ("top1", "accuracy", "top5", "many", "medium", "few", "nll", "ece", "brier")


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """The scalar part of an :func:`~ltzoo.metrics.lt_report` (no per-class lists)."""
    return {k: report[k] for k in SUMMARY_KEYS if k in report}


@dataclass
class FinalEvaluation:
    """The calibrated test evaluation of a finished model (see :func:`evaluate_final`)."""

    calibration: dict[str, float]
    output_prior: Any
    test_raw: dict[str, Any]
    test_calibrated: dict[str, Any]
    calibrated_logits: torch.Tensor
    targets: torch.Tensor

    def metrics(self) -> dict[str, Any]:
        """The ``metrics`` block of config.json and the model card."""
        return {
            **summarize(self.test_raw),
            "ece_calibrated": self.test_calibrated["ece"],
            "nll_calibrated": self.test_calibrated["nll"],
            # what ltzoo.load predicts by default: calibrated, under the balanced prior (for a model
            # trained under the label prior this is post-hoc logit adjustment)
            **{f"{k}_balanced": self.test_calibrated[k] for k in ("top1", "many", "medium", "few")},
            "per_class_accuracy": self.test_raw["per_class_accuracy"],
            "evaluated_on": "test split, last epoch",
        }

    def calibration_block(self) -> dict[str, Any]:
        """The ``calibration`` block of config.json: what the predictor applies by default."""
        return {
            "temperature": self.calibration["temperature"],
            "output_prior": self.output_prior,
            "default_target_prior": "balanced",
            "fitted_on": "validation split (held out from training, balanced; never the test split)",
            **{k: v for k, v in self.calibration.items() if k != "temperature"},
        }


def evaluate_final(
    val: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    class_counts: Any,
    output_prior: Any,
    shot_thresholds: tuple[int, int] = (MANY_SHOT_MIN, FEW_SHOT_MAX),
) -> FinalEvaluation:
    """Fits the temperature on the validation ``(logits, targets)`` and reports the test split raw
    and calibrated under the balanced prior (many / few groups by ``shot_thresholds``)."""
    to_balanced = prior_log_ratio(output_prior, "balanced", class_counts).float()
    calibration = fit_temperature(*val, bias=to_balanced)
    test_logits, targets = test
    calibrated_logits = test_logits / calibration["temperature"] + to_balanced
    return FinalEvaluation(
        calibration=calibration, output_prior=output_prior,
        test_raw=lt_report(test_logits, targets, class_counts, *shot_thresholds),
        test_calibrated=lt_report(calibrated_logits, targets, class_counts, *shot_thresholds),
        calibrated_logits=calibrated_logits, targets=targets,
    )


def write_plots(folder: Path, final: FinalEvaluation, class_counts: Any, records: list[dict[str, Any]],
                title: str, log: Callable[[str], None],
                shot_thresholds: tuple[int, int] = (MANY_SHOT_MIN, FEW_SHOT_MAX)) -> None:
    """Reliability diagram, per-class accuracy and training curves in the checkpoint folder
    (skipped, with a note, when matplotlib is not installed)."""
    try:
        from ..plots import evaluation_plots, training_curves

        evaluation_plots(final.calibrated_logits, final.targets, final.test_calibrated["per_class_accuracy"],
                         class_counts, folder, title, shot_thresholds=shot_thresholds)
        if any("train_loss" in record for record in records):  # not for a post-hoc-only run
            training_curves(records, folder / "training_curves.png", title)
    except ImportError as exc:
        log(f"no plots: {exc}")
