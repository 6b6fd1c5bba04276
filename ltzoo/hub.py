"""The checkpoint folder in the Hugging Face Hub layout (timm's format plus an ``ltzoo`` block).

``config.json``: timm's keys (architecture, num_classes, num_features, global_pool, model_args,
label_names, a clean pretrained_cfg) and ``"ltzoo"``: method, head, class_counts, calibration,
metrics, recipe, code version. ``model.safetensors``: the weights.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ._storage import raise_if_full
from ._validation import as_class_counts, check_count, check_temperature
from .download import (  # noqa: F401  (sha256_of, snapshot: ltzoo.hub's API)
    CONFIG_NAME,
    WEIGHTS_NAME,
    hub_failures,
    sha256_of,
    snapshot,
    verify_sha256,
)
from .errors import (
    CorruptFileError,
    HubError,
    InvalidArgumentError,
    MissingFileError,
    UnsafeCheckpointError,
)

CARD_NAME = "README.md"
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
    calibration: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    recipe: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    fold_calibration: bool = False,
) -> Path:
    """Writes ``config.json``, ``model.safetensors`` and the model card ``README.md`` into
    ``folder`` (created if needed). The head (``linear``, ``cosine``, ...) is read off the model's
    classifier and recorded, so :func:`load_model` rebuilds it on any timm backbone.

    ``fold_calibration=True`` writes the classifier with the calibration inside (see
    :func:`fold_calibration`): the raw outputs are then the calibrated logits under a balanced
    prior, what plain timm and transformers clients (which apply no calibration) should see.

    The checkpoint is written to a temporary folder beside ``folder`` and then takes its place as
    a whole: a reader never sees a half-written checkpoint, and no file of an older checkpoint
    in ``folder`` (its ``model.onnx``, ``report.json``, plots) survives beside the new weights. A
    ``folder`` holding anything else (files ltzoo did not write) is refused, untouched.

    Example:
        >>> save_pretrained(model, "out/ce-resnet32", label_names=names, class_counts=counts)  # doctest: +SKIP
    """
    from timm.models import save_for_hf

    from . import __version__
    from .card import model_card
    from .models import head_name

    num_classes = getattr(model, "num_classes", None)
    if len(label_names) != num_classes or len(class_counts) != num_classes:
        raise InvalidArgumentError(
            f"label_names ({len(label_names)}) and class_counts ({len(class_counts)}) must both have "
            f"num_classes={num_classes} entries"
        )
    for name, value in (("calibration", calibration), ("metrics", metrics), ("recipe", recipe), ("extra", extra)):
        if value is not None and not isinstance(value, dict):
            raise InvalidArgumentError(f"{name} must be a dict (or None), got {type(value).__name__}: {str(value)[:60]}")
    if calibration and "temperature" in calibration:
        check_temperature(calibration["temperature"], "calibration['temperature']")
    if fold_calibration:
        model, calibration = fold_calibration_into(model, calibration, class_counts)
    head = head_name(model.get_classifier())
    if any(not t.is_contiguous() for t in [*model.parameters(), *model.buffers()]):
        # channels_last weights: safetensors stores contiguous tensors; convert a copy, not the caller's model
        model = copy.deepcopy(model).to(memory_format=torch.contiguous_format)
    folder = Path(folder)
    target = folder.absolute()  # "." has no name to place a sibling by
    _check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        save_for_hf(model, str(staging), model_config={"label_names": list(label_names)}, safe_serialization=True)
        config_path = staging / CONFIG_NAME
        config = json.loads(config_path.read_text())
        config["pretrained_cfg"] = clean_pretrained_cfg(config["pretrained_cfg"])
        # num_classes is config.json's own key; repeated in model_args it reaches transformers'
        # TimmWrapper twice ("got multiple values for keyword argument 'num_classes'")
        config["model_args"] = {k: v for k, v in config.get("model_args", {}).items() if k != "num_classes"}
        if "head" in config["model_args"]:  # architectures that build their head: the head the weights are for
            config["model_args"]["head"] = head
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
        (staging / CARD_NAME).write_text(model_card(config), encoding="utf-8")
        for name in (WEIGHTS_NAME, CONFIG_NAME, CARD_NAME):
            os.chmod(staging / name, 0o644)  # readable like any saved file
        os.chmod(staging, 0o755)  # mkdtemp makes it private; it becomes the checkpoint folder
        _swap_in(staging, target)
    except (OSError, RuntimeError) as exc:
        raise_if_full(exc, target)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def fold_calibration_into(
    model: nn.Module, calibration: dict[str, Any] | None, class_counts: list[int]
) -> tuple[nn.Module, dict[str, Any]]:
    """A copy of ``model`` whose classifier outputs ``z / T + log(pi_balanced) - log(pi_output)``
    (``ltzoo.models.fold_logit_affine``: exact for linear heads, a scale and bias for cosine ones),
    and the calibration block that records it: temperature 1, output prior balanced (so ltzoo
    applies nothing twice and still shifts to any other prior), and ``folded`` with the values
    that went into the weights."""
    from .calibration import prior_log_ratio
    from .models import fold_logit_affine
    from .models.factory import set_classifier

    calibration = dict(calibration or {"temperature": 1.0})
    if "folded" in calibration:
        raise InvalidArgumentError("this calibration is already folded into the classifier (calibration['folded'])")
    temperature = check_temperature(calibration.get("temperature", 1.0), "calibration['temperature']")
    output_prior = calibration.get("output_prior", "train")
    shift = prior_log_ratio(output_prior, "balanced", class_counts).float()
    folded = copy.deepcopy(model)
    set_classifier(folded, fold_logit_affine(model.get_classifier(), 1.0 / temperature, shift))
    calibration.update(temperature=1.0, output_prior="balanced",
                       folded={"temperature": temperature, "output_prior": output_prior, "target_prior": "balanced"})
    return folded, calibration


# keys of the "ltzoo" block that save_pretrained writes from its own arguments
BLOCK_ARGUMENTS = ("method", "head", "class_counts", "calibration", "metrics", "recipe", "version")


def fold_checkpoint(source: str | Path, output: str | Path) -> Path:
    """Writes a copy of the checkpoint folder ``source`` into ``output`` with its calibration
    folded into the classifier (:func:`fold_calibration_into`): plain ``timm.create_model`` and
    transformers' ``pipeline("image-classification")`` then give calibrated, balanced-prior scores.
    ``source`` is never changed.

    Example:
        >>> fold_checkpoint("runs/ce-resnet32-cifar10lt/model", "publish/ce-resnet32-cifar10lt")  # doctest: +SKIP
    """
    source, output = Path(source), Path(output)
    if output.absolute().resolve() == source.absolute().resolve():
        raise InvalidArgumentError(f"output must be another folder than the source checkpoint {source}")
    model, config = load_model(source)
    block = config.get("ltzoo") or {}
    if not block.get("class_counts"):
        raise InvalidArgumentError(f"{source} records no class counts: the prior shift cannot be folded")
    return save_pretrained(
        model, output, label_names=config.get("label_names") or [str(i) for i in range(config["num_classes"])],
        class_counts=block["class_counts"], method=block.get("method", ""), calibration=block.get("calibration"),
        metrics=block.get("metrics"), recipe=block.get("recipe"),
        extra={k: v for k, v in block.items() if k not in BLOCK_ARGUMENTS}, fold_calibration=True,
    )


# the files a checkpoint folder may hold: save_pretrained's, the trainer's report and plots, the export's
CHECKPOINT_FILES = (CONFIG_NAME, WEIGHTS_NAME, CARD_NAME, "report.json", "reliability.png", "per_class_accuracy.png",
                    "training_curves.png")
CHECKPOINT_SUFFIXES = (".onnx",)


def _check_replaceable(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise InvalidArgumentError(f"{folder} is a file, not a folder: save the checkpoint elsewhere")
    if not folder.is_dir():
        return
    foreign = sorted(p.name for p in folder.iterdir()
                     if p.name not in CHECKPOINT_FILES and p.suffix not in CHECKPOINT_SUFFIXES)
    if foreign:
        raise InvalidArgumentError(
            f"{folder} holds files that are not part of a checkpoint ({', '.join(foreign[:5])}"
            f"{', ...' if len(foreign) > 5 else ''}): a checkpoint replaces its folder as a whole, so save it "
            "into an empty folder or over another checkpoint; nothing was changed"
        )


def _remove_leftovers(folder: Path) -> None:
    """Staging and swapped-out folders a killed save left beside ``folder``."""
    for pattern in (f".{folder.name}.staging-*", f".{folder.name}.old-*"):
        for leftover in folder.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def _swap_in(staging: Path, folder: Path) -> None:
    """Puts ``staging`` in ``folder``'s place with renames (the old checkpoint, if any, is moved
    aside first and deleted after)."""
    if not folder.exists() or not any(folder.iterdir()):
        if folder.exists():
            folder.rmdir()
        os.replace(staging, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=folder.parent))
    os.replace(folder, old / "checkpoint")
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)


PICKLE_WEIGHT_NAMES = ("pytorch_model.bin", "model.pth", "model.pt", "checkpoint.pth", "model.ckpt")


def read_config(folder: str | Path) -> dict[str, Any]:
    """The ``config.json`` of a checkpoint folder, validated for the keys ltzoo needs."""
    folder = Path(folder)
    path = folder / CONFIG_NAME
    if not path.is_file():
        raise MissingFileError(f"{folder} is not a checkpoint folder: {CONFIG_NAME} is missing")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CorruptFileError(f"{path} is not valid JSON: {exc}") from exc
    try:
        check_checkpoint_config(config)
    except InvalidArgumentError as exc:
        raise CorruptFileError(f"{path}: {exc}") from None
    return config


def check_checkpoint_config(config: Any) -> None:
    """The one validation of a checkpoint config (config.json as parsed), before anything is built
    from it: timm's keys, and ltzoo's block agreeing with them (labels, class counts, temperature)."""
    if not isinstance(config, dict):
        raise InvalidArgumentError(f"config.json must hold a JSON object, got {type(config).__name__}")
    for key in ("architecture", "num_classes"):
        if key not in config:
            raise InvalidArgumentError(f"it lacks {key!r} (not a timm / ltzoo checkpoint config)")
    if not isinstance(config["architecture"], str) or not config["architecture"]:
        raise InvalidArgumentError(f"architecture must be a model name, got {config['architecture']!r}")
    num_classes = check_count(config["num_classes"], "num_classes")
    labels = config.get("label_names")
    if labels is not None and (not isinstance(labels, list) or len(labels) != num_classes):
        raise InvalidArgumentError(f"label_names must list num_classes={num_classes} names, got {str(labels)[:80]}")
    block = config.get("ltzoo") or {}
    if not isinstance(block, dict):
        raise InvalidArgumentError(f"the 'ltzoo' block must be a JSON object, got {type(block).__name__}")
    counts = block.get("class_counts")
    if counts is not None:
        if not isinstance(counts, list) or len(counts) != num_classes:
            raise InvalidArgumentError(f"ltzoo.class_counts must hold num_classes={num_classes} counts, "
                                       f"got {str(counts)[:80]}")
        as_class_counts(counts, "ltzoo.class_counts")
    calibration = block.get("calibration") or {}
    if "temperature" in calibration:
        check_temperature(calibration["temperature"], "ltzoo.calibration.temperature")


def weights_file(path: str | Path) -> Path:
    """``path`` itself, or ``path/model.safetensors`` when ``path`` is a checkpoint folder."""
    path = Path(path)
    return path / WEIGHTS_NAME if path.is_dir() else path


def read_weights(path: str | Path, sha256: str | None = None) -> dict[str, torch.Tensor]:
    """The state dict in a ``.safetensors`` file, or in a checkpoint folder's ``model.safetensors``.

    Weights come only from safetensors: a folder holding only a pickle checkpoint is refused.
    When ``sha256`` is given the weights file must match it.
    """
    from safetensors.torch import load_file

    path, weights = Path(path), weights_file(path)
    if not weights.is_file():
        pickles = [name for name in PICKLE_WEIGHT_NAMES if (path / name).is_file()] if path.is_dir() else []
        if pickles:
            raise UnsafeCheckpointError(
                f"{path} has only {', '.join(pickles)}: loading it would unpickle a file, which can run "
                f"arbitrary code. ltzoo loads {WEIGHTS_NAME} only; convert a checkpoint you trust with "
                "safetensors.torch.save_file(torch.load(path, weights_only=True), 'model.safetensors')"
            )
        where = f"{path} has no {WEIGHTS_NAME}" if path.is_dir() else f"no weights file at {path}"
        raise MissingFileError(where)
    if sha256 is not None:
        verify_sha256(weights, sha256)
    try:
        return load_file(str(weights))
    except Exception as exc:
        raise CorruptFileError(f"{weights} cannot be read as safetensors: {exc}") from exc


def load_model(folder: str | Path, sha256: str | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """Builds the model described by ``folder/config.json`` and loads its ``model.safetensors``
    (:func:`read_weights`: safetensors only, sha256 verified when given)."""
    from .models import create_model

    folder = Path(folder)
    config = read_config(folder)
    state = read_weights(folder, sha256)
    # the CIFAR ResNets also record their head in model_args; ltzoo's block names it for every backbone
    model_args = {k: v for k, v in config.get("model_args", {}).items() if k not in ("num_classes", "head")}
    head = (config.get("ltzoo") or {}).get("head") or config.get("model_args", {}).get("head", "linear")
    model = create_model(
        config["architecture"], num_classes=config["num_classes"], head=head,
        pretrained_cfg_overlay=config.get("pretrained_cfg", {}), **model_args,
    )
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:  # torch lists the missing / unexpected keys and shape mismatches
        raise CorruptFileError(
            f"{weights_file(folder)} does not fit the model config.json describes ({config['architecture']}, "
            f"{config['num_classes']} classes, {head} head, {model_args or 'no model_args'}): {str(exc)[:600]}"
        ) from None
    return model.eval(), config


def push(
    folder: str | Path,
    repo_id: str,
    *,
    revision: str | None = None,
    tag: str | None = None,
    private: bool = False,
    token: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Publishes a checkpoint folder to the Hub: ``create_repo(exist_ok=True)`` +
    ``upload_folder`` (+ ``create_tag``). Returns the commit's sha.

    Example:
        >>> ltzoo.push("runs/gcl-resnet32-cifar10lt/model", "me/gcl-resnet32-cifar10lt", tag="v1")  # doctest: +SKIP
    """
    from huggingface_hub import HfApi

    folder = Path(folder)
    read_config(folder)
    if not (folder / WEIGHTS_NAME).is_file():
        raise MissingFileError(f"{folder} has no {WEIGHTS_NAME}: nothing to publish")
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id, folder_path=str(folder), revision=revision,
            commit_message=commit_message or f"Upload {folder.name} with ltzoo",
        )
        if tag:
            api.create_tag(repo_id, tag=tag, revision=info.oid)
    except hub_failures() as exc:
        raise HubError(
            f"publishing {folder} to {repo_id} on {api.endpoint} failed: {type(exc).__name__}: {exc} (check the "
            "network, HF_ENDPOINT and the token; nothing is lost, the folder is unchanged)"
        ) from exc
    return info.oid
