"""A recipe as a template for a user's data: its schedule stretched or shrunk to another length,
and the run named after what it trains (method, model, data) instead of the recipe it came from."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from .._validation import check_count

# stage options counted in epochs of their stage: they scale with the stage's length
EPOCH_OPTIONS = ("warmup_epochs", "drw_epoch", "drs_epoch")


def scale_epochs(config: dict[str, Any], epochs: int) -> dict[str, Any]:
    """The resolved ``config`` with its first training stage ``epochs`` long and every other
    epoch count scaled by the same factor (later stages' lengths, LR milestones, warmup, the
    DRW / DRS start), each rounded and kept at least 1 (a start epoch at least 0), so that a
    200-epoch recipe's decays, deferred re-weighting and classifier stage keep their place in a
    20-epoch run.

    Example:
        >>> from ltzoo.training import resolve_config
        >>> cfg = resolve_config({"stages": [{"epochs": 200, "lr_milestones": [160, 180], "drw_epoch": 160}]})
        >>> stage = scale_epochs(cfg, 20)["stages"][0]
        >>> stage["epochs"], stage["lr_milestones"], stage["drw_epoch"]
        (20, [16, 18], 16)
    """
    epochs = check_count(epochs, "epochs")
    trained = [s for s in config["stages"] if s["type"] == "train"]
    factor = epochs / trained[0]["epochs"] if trained else 1.0
    scaled = copy.deepcopy(config)
    for stage in scaled["stages"]:
        if stage["type"] != "train":
            continue
        stage["epochs"] = max(1, round(stage["epochs"] * factor))
        stage["lr_milestones"] = [max(1, round(m * factor)) for m in stage["lr_milestones"]]
        for key in EPOCH_OPTIONS:
            if stage[key] is not None:
                stage[key] = round(stage[key] * factor)
    if trained:
        scaled["stages"][config["stages"].index(trained[0])]["epochs"] = epochs
    return scaled


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "data"


def run_name(config: dict[str, Any], recipe: dict[str, Any]) -> str:
    """The recipe's name while the run trains what the recipe does; ``METHOD-MODEL-DATA`` once
    the model or the data differ (``gcl-resnet18-flowers`` for the GCL CIFAR recipe on a resnet18
    and a folder ``flowers/``), so that a run on a user's data is not carded as the recipe's."""
    same_model = config["model"] == recipe.get("model", config["model"])
    same_data = config["dataset"] == recipe.get("dataset", config["dataset"]) and config["dataset"] != "images"
    if same_model and same_data and config["name"]:
        return config["name"]
    model = config["model"].split(".")[0].removesuffix("_cifar")
    data = Path(config["data_dir"]).stem if config["dataset"] == "images" else config["dataset"]
    return "-".join(_slug(part) for part in (config["method"] or "run", model, data))
