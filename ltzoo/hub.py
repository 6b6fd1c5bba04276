"""The checkpoint folder in the Hugging Face Hub layout (timm's format plus an ``ltzoo`` block).

``config.json``: timm's keys (architecture, num_classes, num_features, global_pool, model_args,
label_names, a clean pretrained_cfg) and ``"ltzoo"``: method, head, class_counts, calibration,
metrics, recipe, code version. ``model.safetensors``: the weights.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from torch import nn

from .errors import InvalidArgumentError

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
# pretrained_cfg keys that describe these weights' preprocessing; everything else (license,
# paper_ids, hf_hub_id, test_input_size of the architecture's default tag, ...) is dropped.
PRETRAINED_CFG_KEYS = (
    "input_size", "interpolation", "crop_pct", "crop_mode", "mean", "std", "num_classes",
    "pool_size", "first_conv", "classifier", "fixed_input_size", "custom_load",
)


def clean_pretrained_cfg(cfg: dict[str, Any]) -> dict[str, Any]:
    """Keeps only the preprocessing/head keys of a timm pretrained_cfg."""
    return {k: cfg[k] for k in PRETRAINED_CFG_KEYS if k in cfg and cfg[k] is not None}


def save_pretrained(
    model: nn.Module,
    folder: str | Path,
    *,
    label_names: list[str],
    class_counts: list[int],
    method: str = "",
    head: str = "linear",
    calibration: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    recipe: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Writes ``config.json`` + ``model.safetensors`` into ``folder`` (created if needed).

    Files are first written to a temporary folder beside it and then moved in, so a reader
    never sees a half-written checkpoint.

    Example:
        >>> save_pretrained(model, "out/ce-resnet32", label_names=names, class_counts=counts)  # doctest: +SKIP
    """
    from timm.models import save_for_hf

    from . import __version__

    num_classes = getattr(model, "num_classes", None)
    if len(label_names) != num_classes or len(class_counts) != num_classes:
        raise InvalidArgumentError(
            f"label_names ({len(label_names)}) and class_counts ({len(class_counts)}) must both have "
            f"num_classes={num_classes} entries"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    try:
        save_for_hf(model, str(staging), model_config={"label_names": list(label_names)}, safe_serialization=True)
        config_path = staging / CONFIG_NAME
        config = json.loads(config_path.read_text())
        config["pretrained_cfg"] = clean_pretrained_cfg(config["pretrained_cfg"])
        config["ltzoo"] = {
            "method": method,
            "head": head,
            "class_counts": [int(c) for c in class_counts],
            "calibration": calibration or {"temperature": 1.0},
            "metrics": metrics or {},
            "recipe": recipe or {},
            "version": __version__,
            **(extra or {}),
        }
        config_path.write_text(json.dumps(config, indent=2))
        for name in (WEIGHTS_NAME, CONFIG_NAME):
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
