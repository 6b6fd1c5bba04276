"""Training configuration: recipe dicts with typed defaults, ``key=value`` overrides and checks.

A recipe has run-level keys and a list of ``stages`` (stage 1 representation learning, stage 2
classifier re-training, ...). Unknown keys raise with close-name suggestions; override values are
parsed as YAML and type-checked against the defaults.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..data.registry import DataOptions
from ..errors import CorruptFileError, InvalidArgumentError, MissingFileError, UnknownNameError, did_you_mean

RUN_DEFAULTS: dict[str, Any] = {
    "name": "",
    # the command line that started the run (the model card shows it)
    "command": "",
    "method": "",
    "citation": "",
    # where the recipe departs from its paper or reference code, or which values are ltzoo's
    # because the source could not be read; the model card shows it beside the citation
    "deviations": "",
    "model": "resnet32_cifar",
    "head": "linear",
    "pretrained": False,
    # how the classifier starts, where a reference fixes it (ltzoo.models.init_classifier): its bias at
    # -log((1 - pi) / pi) for sigmoid losses (a probability pi, or "uniform": pi = 1 / C), its
    # weights from N(0, std^2)
    "classifier_bias_prior": None,
    "classifier_weight_std": None,
    "dataset": "cifar10_lt",
    # what the dataset builder reads: data_dir, imbalance_ratio, imbalance_profile, dataset_seed,
    # val_per_class, train_list / val_list / test_list, image_size (ltzoo.data.DataOptions)
    **DataOptions().as_config(),
    # input normalisation (x / 255 - mean) / std per channel, where the reference's differs from the
    # model's default (timm's pretrained_cfg); recorded in the checkpoint, so inference uses it too
    "mean": None,
    "std": None,
    # image-file datasets: the least area share timm's RandomResizedCrop keeps (None: timm's 0.08,
    # made for ImageNet photos; small images such as 32 px ones keep more, e.g. 0.35)
    "train_crop_scale": None,
    # the training augmentation of image-file datasets (ltzoo.data.list_train_transforms(): "timm",
    # "pad_crop_flip"; None: timm's for image files, pad-crop-flip for in-memory CIFAR) and its options
    "train_transform": None,
    "train_transform_args": {},
    # the share of the resized image the evaluation centre crop keeps (None: the model's, 0.875 for
    # timm's ImageNet models; 1.0 evaluates small images such as Tiny-ImageNet's 64 px ones whole)
    "crop_pct": None,
    "num_workers": 2,
    # image files decoded (nvJPEG on a GPU) and augmented on the training device, the DataLoader
    # workers only reading bytes: for GPU runs whose CPU loader is the wall (ltzoo.data.device_batches)
    "decode_on_device": False,
    "seed": 0,
    "device": "auto",
    "amp": False,
    "channels_last": False,
    "compile": False,
    "threads": None,
    "eval_batch_size": 500,
    # the many / medium / few groups of every report: many > many_shot_min training images, few <
    # few_shot_max (the LT papers' 100 / 20; smaller data sets their own, see train/README)
    "many_shot_min": 100,
    "few_shot_max": 20,
    "eval_every": 1,
    # also log the test split's metrics at every validated epoch (test_top1, ...): the protocol of
    # codebases that report their best test epoch (LDAM-DRW's, GCL's CIFAR scripts), for comparing
    # with their figures. ltzoo never selects, calibrates or stops on the test split; this only logs
    "log_test_each_epoch": False,
    # the class prior the final model's outputs reflect: "train" (plain training), or "balanced"
    # (re-balanced classifier, balanced softmax, logit adjustment); used for calibration and
    # the test-time prior shift
    "output_prior": "train",
    # start from existing weights (a .safetensors file or a checkpoint folder): the model as the
    # stages before start_stage left it, e.g. a finished CE run's weights for a cRT stage
    "init_weights": None,
    "start_stage": 0,
    "stages": [],
}

@dataclass(frozen=True)
class Stage:
    """One stage of a recipe, typed: its options and their defaults (the recipe's ``stages`` list
    holds these as mappings; :meth:`from_config` reads one back).

    ``type`` names a stage kind and ``classifier_init`` a classifier initialisation, ``task``,
    ``loss``, ``sampler``, ``drs_sampler`` and ``schedule`` their registries' entries; a recipe
    naming one that is not registered fails when it is resolved.
    """

    name: str = "stage1"
    # "train": optimise; "tau_norm": post-hoc tau-normalisation of the classifier, tau chosen on
    # the validation split from tau_grid (Kang et al. ICLR 2020); ltzoo.training.list_stage_kinds()
    type: str = "train"
    tau_grid: list[float] = field(default_factory=lambda: [round(0.1 * i, 1) for i in range(21)])
    task: str = "classification"  # a registered task (ltzoo.training.list_tasks()) and its options
    task_args: dict[str, Any] = field(default_factory=dict)
    train_scope: str = "all"
    classifier_init: str = "keep"  # keep | reset (cRT) | lws (learnable weight scaling)
    epochs: int = 200
    batch_size: int = 128
    lr: float = 0.1
    # the learning rate of the trained network parameters outside the classifier, relative to lr
    # (fine-tuning a pretrained backbone slower than a new classifier, as the Places-LT recipes do)
    backbone_lr_scale: float = 1.0
    momentum: float = 0.9
    weight_decay: float = 2e-4
    # parameter kinds exempt from weight decay: bias, classifier_bias, norm (see param_groups.py)
    no_weight_decay: list[str] = field(default_factory=list)
    nesterov: bool = False
    schedule: str = "step"
    warmup_epochs: int = 5
    warmup_per_step: bool = False  # the warmup rises every step (Cui et al.'s code), not every epoch
    lr_milestones: list[int] = field(default_factory=lambda: [160, 180])
    lr_multipliers: list[float] = field(default_factory=lambda: [0.01, 0.0001])
    sampler: str = "instance"
    sampler_args: dict[str, Any] = field(default_factory=dict)
    loss: str = "ce"
    loss_args: dict[str, Any] = field(default_factory=dict)
    # deferred re-sampling (LDAM-DRS, Cao et al. 2019): from drs_epoch on, draw batches with drs_sampler
    drs_epoch: int | None = None
    drs_sampler: str = "class_balanced"
    # deferred re-weighting (LDAM-DRW): from drw_epoch on, the loss weighs classes by effective number
    drw_epoch: int | None = None
    drw_beta: float = 0.9999
    mixup_alpha: float = 0.0
    grad_accum_steps: int = 1
    drop_last: bool = False  # leave out each epoch's last incomplete batch (TensorFlow's drop_remainder)
    max_steps_per_epoch: int | None = None

    @classmethod
    def from_config(cls, stage: dict[str, Any]) -> Stage:
        """The typed stage of a resolved recipe's stage mapping."""
        return cls(**stage)

    def as_config(self) -> dict[str, Any]:
        """The stage as a recipe mapping (what checkpoints record)."""
        return asdict(self)


STAGE_DEFAULTS: dict[str, Any] = Stage().as_config()

_NUMBER = (int, float)


def _suggest(key: str, known: dict[str, Any], where: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"unknown {where} option {key!r}.{did_you_mean(key, known)} Known: {', '.join(sorted(known))}")


def _check_type(key: str, value: Any, default: Any) -> Any:
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InvalidArgumentError(f"option {key} must be true or false, got {value!r}")
    elif isinstance(default, _NUMBER):
        if isinstance(value, str):
            try:  # YAML 1.1 reads 1e-3 (an exponent without a dot) as a string
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, _NUMBER):
            raise InvalidArgumentError(f"option {key} must be a number, got {value!r}")
        if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float):
            if not value.is_integer():
                raise InvalidArgumentError(f"option {key} must be an integer, got {value!r}")
            value = int(value)
    elif not isinstance(value, type(default)):
        raise InvalidArgumentError(f"option {key} must be a {type(default).__name__}, got {value!r}")
    return value


def resolve_config(recipe: dict[str, Any], overrides: list[str] | None = None) -> dict[str, Any]:
    """Fills defaults into ``recipe`` and applies ``key=value`` overrides.

    An override may name a run option (``seed=1``), a stage option for every stage
    (``epochs=2``) or one stage (``stages.1.lr=0.01``).

    Example:
        >>> cfg = resolve_config({"stages": [{"loss": "ce"}]}, ["epochs=1", "seed=3"])
        >>> cfg["stages"][0]["epochs"], cfg["seed"]
        (1, 3)
    """
    config = copy.deepcopy(RUN_DEFAULTS)
    recipe = copy.deepcopy(recipe)
    stages = recipe.pop("stages", None) or [{}]
    for key, value in recipe.items():
        if key not in RUN_DEFAULTS:
            raise _suggest(key, RUN_DEFAULTS, "run")
        config[key] = _check_type(key, value, RUN_DEFAULTS[key])
    resolved_stages = []
    for i, stage in enumerate(stages):
        merged = copy.deepcopy(STAGE_DEFAULTS)
        merged["name"] = f"stage{i + 1}"
        for key, value in stage.items():
            if key not in STAGE_DEFAULTS:
                raise _suggest(key, STAGE_DEFAULTS, f"stage {i + 1}")
            merged[key] = _check_type(key, value, STAGE_DEFAULTS[key])
        resolved_stages.append(merged)
    config["stages"] = resolved_stages
    for item in overrides or []:
        apply_override(config, item)
    _check_start_stage(config)
    _check_normalization(config)
    _check_ranges(config)
    _check_choices(config)
    return config


# the least value of each numeric option (None: unset is allowed); lr must also be > 0 and
# momentum < 1, every number finite
RUN_MINIMA = {"imbalance_ratio": 1, "val_per_class": 1, "dataset_seed": 0, "num_workers": 0, "threads": 1,
              "eval_batch_size": 1, "eval_every": 1, "many_shot_min": 1, "few_shot_max": 1,
              "train_crop_scale": 0.01, "crop_pct": 0.01}
STAGE_MINIMA = {"epochs": 1, "batch_size": 1, "lr": 0, "backbone_lr_scale": 0, "momentum": 0, "weight_decay": 0,
                "warmup_epochs": 0, "drs_epoch": 0, "drw_epoch": 0, "drw_beta": 0, "mixup_alpha": 0,
                "grad_accum_steps": 1, "max_steps_per_epoch": 1}


def _check_ranges(config: dict[str, Any]) -> None:
    """Numbers a run cannot use are refused here (``epochs=0`` trained nothing and wrote a model;
    ``batch_size=0`` failed deep in the sampler)."""
    checks = [(key, config[key], low) for key, low in RUN_MINIMA.items()]
    for i, stage in enumerate(config["stages"]):
        if stage["type"] != "train":
            continue
        checks += [(f"stages.{i}.{key}", stage[key], low) for key, low in STAGE_MINIMA.items()]
        if not stage["lr"] > 0 or not stage["momentum"] < 1 or not stage["drw_beta"] < 1:
            raise InvalidArgumentError(
                f"stage {i + 1}: lr must be > 0, momentum and drw_beta in [0, 1); got lr={stage['lr']!r}, "
                f"momentum={stage['momentum']!r}, drw_beta={stage['drw_beta']!r}"
            )
    for option, value, low in checks:
        if value is not None and not (math.isfinite(value) and value >= low):
            raise InvalidArgumentError(f"option {option} must be a finite number >= {low}, got {value!r}")
    for key in ("train_crop_scale", "crop_pct"):
        if config[key] is not None and config[key] > 1:
            raise InvalidArgumentError(f"option {key} is a share in (0, 1], got {config[key]!r}")


OUTPUT_PRIORS = ("train", "balanced")


def _check_choices(config: dict[str, Any]) -> None:
    """Every option that names a registry entry names a registered one: a typo fails here, when
    the recipe is resolved, not when its stage starts (or the run ends) hours later."""
    from ..data import list_datasets, list_train_transforms
    from ..data.samplers import list_samplers
    from ..losses import list_losses
    from ..models import list_heads
    from .schedules import list_schedules
    from .stages import list_classifier_inits, list_stage_kinds
    from .tasks import list_tasks

    run_options = {"dataset": ("dataset", list_datasets), "head": ("head", list_heads),
                   "output_prior": ("output prior", lambda: OUTPUT_PRIORS),
                   "train_transform": ("train transform", list_train_transforms)}
    stage_options = {"type": ("stage type", list_stage_kinds),
                     "classifier_init": ("classifier initialisation", list_classifier_inits),
                     "task": ("task", list_tasks), "loss": ("loss", list_losses), "sampler": ("sampler", list_samplers),
                     "drs_sampler": ("sampler", list_samplers), "schedule": ("schedule", list_schedules)}
    for key, (kind, names) in run_options.items():
        if not (key == "train_transform" and config[key] is None):  # None: the dataset's default
            _check_name(config[key], key, kind, names())
    _check_train_transform(config)
    for i, stage in enumerate(config["stages"]):
        for key, (kind, names) in stage_options.items():
            _check_name(stage[key], f"stages.{i}.{key}", kind, names())


def _check_train_transform(config: dict[str, Any]) -> None:
    """train_transform_args are options its transform takes, and train_crop_scale (timm's crop
    range) is not set beside another transform."""
    from ..data import create_train_transform

    name, options = config["train_transform"], config["train_transform_args"]
    if config["train_crop_scale"] is not None and name not in (None, "timm"):
        raise InvalidArgumentError(f"option train_crop_scale sets timm's RandomResizedCrop; train_transform {name!r} "
                                   "does not crop that way (drop one of them)")
    if options and name is None:
        raise InvalidArgumentError("option train_transform_args needs train_transform (the transform they configure)")
    if name is not None:  # builds it once on a stand-in data config: an unknown option fails here
        create_train_transform(name, {"input_size": (3, 32, 32), "mean": (0.5,) * 3, "std": (0.5,) * 3}, **options)


def _check_name(value: Any, option: str, kind: str, known: list[str] | tuple[str, ...]) -> None:
    if value not in known:
        raise UnknownNameError(kind, value, known, option=option)


def _check_normalization(config: dict[str, Any]) -> None:
    for key in ("mean", "std"):
        value = config[key]
        if value is None:
            continue
        if not isinstance(value, list) or len(value) != 3 or not all(
            isinstance(v, _NUMBER) and not isinstance(v, bool) for v in value
        ):
            raise InvalidArgumentError(f"option {key} must be a list of 3 numbers (one per RGB channel), got {value!r}")
        if key == "std" and min(value) <= 0:
            raise InvalidArgumentError(f"option std must be positive, got {value!r}")


def _check_start_stage(config: dict[str, Any]) -> None:
    start, count = config["start_stage"], len(config["stages"])
    if not 0 <= start < count:
        raise InvalidArgumentError(f"start_stage must be a stage index from 0 to {count - 1}, got {start}")
    if start > 0 and not config["init_weights"]:
        raise InvalidArgumentError(
            f"start_stage={start} skips stages {', '.join(s['name'] for s in config['stages'][:start])}: "
            "give their result as init_weights=PATH (a .safetensors file or a checkpoint folder)"
        )


def apply_override(config: dict[str, Any], item: str) -> None:
    """Applies one ``key=value`` override in place (value parsed as YAML)."""
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise InvalidArgumentError(f"override {item!r} must look like key=value (e.g. epochs=10)")
    value = yaml.safe_load(raw) if raw else None
    parts = key.split(".")
    if parts[0] == "stages":
        if len(parts) != 3 or not parts[1].isdigit():
            raise InvalidArgumentError(f"stage override {key!r} must look like stages.<index>.<option>")
        index = int(parts[1])
        if index >= len(config["stages"]):
            raise InvalidArgumentError(f"{key}: the recipe has {len(config['stages'])} stage(s) (indices from 0)")
        if parts[2] not in STAGE_DEFAULTS:
            raise _suggest(parts[2], STAGE_DEFAULTS, "stage")
        config["stages"][index][parts[2]] = _check_type(key, value, STAGE_DEFAULTS[parts[2]])
    elif len(parts) == 1 and key in RUN_DEFAULTS and key != "stages":
        config[key] = _check_type(key, value, RUN_DEFAULTS[key])
    elif len(parts) == 1 and key in STAGE_DEFAULTS:
        for stage in config["stages"]:
            stage[key] = _check_type(key, value, STAGE_DEFAULTS[key])
    else:
        raise _suggest(key, {**RUN_DEFAULTS, **STAGE_DEFAULTS}, "recipe")


def load_recipe_file(path: str | Path) -> dict[str, Any]:
    r"""Reads a YAML recipe (a mapping).

    A recipe may start from another one with ``base: NAME`` (``NAME.yaml`` in the same folder):
    its own keys replace the base's (``stages`` as a whole), so a variant such as another imbalance
    ratio states only what differs. Bases may chain; a cycle raises.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.yaml").write_text("name: a\nimbalance_ratio: 100\nstages: [{loss: ce}]\n")
        >>> _ = (folder / "b.yaml").write_text("base: a\nname: b\nimbalance_ratio: 50\n")
        >>> load_recipe_file(folder / "b.yaml")
        {'name': 'b', 'imbalance_ratio': 50, 'stages': [{'loss': 'ce'}]}
    """
    chain: list[Path] = []
    path = Path(path)
    data = _read_recipe(path)
    while "base" in data:
        chain.append(path.resolve())
        base = data.pop("base")
        if not isinstance(base, str) or not base:
            raise InvalidArgumentError(
                f"recipe {path}: base must be the name of a recipe in {path.parent}, got {base!r}"
            )
        path = path.parent / f"{base}.yaml"
        if path.resolve() in chain:
            raise InvalidArgumentError(f"recipe {chain[0]}: its bases form a cycle through {path}")
        if not path.is_file():
            raise MissingFileError(f"recipe {chain[-1]} names base {base!r}, but {path} does not exist")
        data = {**_read_recipe(path), **data}
    return data


def _read_recipe(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:  # the parser's message names the line and column
        raise CorruptFileError(f"recipe {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise InvalidArgumentError(f"recipe {path} must be a YAML mapping of options, got {type(data).__name__}")
    return data
