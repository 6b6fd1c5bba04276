"""The named models of the zoo. Entries are data: Hub repository, pinned revision and sha256,
recipe, dataset and metrics. An entry whose weights are not published yet says exactly how to
produce them.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import NotPublishedError, UnknownNameError

HUB_ORG = "ltzoo"
EMBEDDED_DIR = Path(__file__).resolve().parent / "assets" / "models"


@dataclass(frozen=True)
class ZooEntry:
    """One named model. ``revision`` and ``sha256`` pin the published weights (None: not
    published yet); ``embedded`` entries ship inside the package."""

    name: str
    architecture: str
    dataset: str
    method: str
    recipe: str
    repo_id: str
    revision: str | None = None
    sha256: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    params_m: float | None = None
    recipe_ready: bool = True  # False: train/recipes has no recipe for it yet

    @property
    def embedded_path(self) -> Path:
        return EMBEDDED_DIR / self.name

    @property
    def is_embedded(self) -> bool:
        return (self.embedded_path / "model.safetensors").is_file()

    @property
    def is_published(self) -> bool:
        return self.revision is not None

    def how_to_produce(self) -> str:
        command = (f"python -m train {self.recipe} --data-dir DATA && "
                   f"ltzoo push runs/{self.recipe}/model {self.repo_id}")
        if not self.recipe_ready:
            return f"(its training recipe, train/recipes/{self.recipe}.yaml, is not written yet; once it is:) {command}"
        return command

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "embedded": self.is_embedded, "published": self.is_published}


_ARCH = {"resnet32": "resnet32_cifar", "resnet50": "resnet50", "resnet152": "resnet152"}
_DATASETS = {"cifar10lt": "CIFAR-10-LT (ratio 100)", "cifar100lt": "CIFAR-100-LT (ratio 100)",
             "cifar100lt-r50": "CIFAR-100-LT (ratio 50)", "imagenetlt": "ImageNet-LT", "placeslt": "Places-LT", "inat2018": "iNaturalist 2018"}
_CIFAR_METHODS = ("ce", "focal", "cb-focal", "ldam-drw", "logit-adjust", "balanced-softmax", "gcl", "gcl-angular",
                  "cibl", "scl-rsg-ldam", "crt", "taunorm", "lws")
_LARGE = {"imagenetlt": "resnet50", "placeslt": "resnet152", "inat2018": "resnet50"}
_LARGE_METHODS = ("gcl", "ce-crt", "ldam-drw", "cb-focal", "balanced-softmax")
# the CIFAR entries at another imbalance ratio: the paper's second figure for the method
_CIFAR_VARIANTS = (("gcl", "cifar100lt-r50"),)
# large-scale entries whose recipe is written (the others' hyperparameters are not verified yet)
_LARGE_READY = {("ce-crt", "imagenetlt"), ("ce-crt", "inat2018"), ("ce-crt", "placeslt"), ("gcl", "placeslt"),
                ("balanced-softmax", "imagenetlt"), ("balanced-softmax", "placeslt"), ("cb-focal", "inat2018")}


def _entry(method: str, backbone: str, dataset: str, recipe_ready: bool) -> ZooEntry:
    name = f"{method}-{backbone}-{dataset}"
    return ZooEntry(name=name, architecture=_ARCH[backbone], dataset=_DATASETS[dataset], method=method,
                    recipe=name, repo_id=f"{HUB_ORG}/{name}", recipe_ready=recipe_ready)


def _pinned(sha256: str, top1: float, many: float, medium: float, top1_balanced: float,
            ece_calibrated: float, params_m: float = 0.464) -> dict[str, Any]:
    """The fields an embedded entry pins: the sha256 of its model.safetensors (verified on load),
    its test metrics as trained (top1, many, medium), the top-1 and ECE of ltzoo's default
    prediction (calibrated, balanced prior) and its parameter count in millions (resnet32_cifar's
    by default)."""
    metrics = {"top1": top1, "many": many, "medium": medium, "top1_balanced": top1_balanced,
               "ece_calibrated": ece_calibrated}
    return {"sha256": sha256, "metrics": metrics, "params_m": params_m}


# weights shipped inside the package (ltzoo/assets/models/<name>/); tests/test_zoo.py checks the
# pins against each folder's files and re-scores the weights on the real test split
_EMBEDDED: dict[str, dict[str, Any]] = {
    "gcl-resnet32-cifar10lt": _pinned("c72526ff26dc0918185459959e6afc46855ee1d4e0db450b563a50567935064e",
                                      0.8304, 0.84375, 0.777, 0.8304, 0.012094755995263216),
    "ce-resnet32-cifar10lt": _pinned("76f6c56183157e31af1ff93d8c94ad6c7cdd76f9e2b8ae498fe3d0c61d343897",
                                     0.7141, 0.7813749999999999, 0.445, 0.7983, 0.010063966076176859),
    "ldam-drw-resnet32-cifar10lt": _pinned("cfc82d77feb723580df7a589b0f08da05577496e23cd88e6c1dbc48c794869ce",
                                           0.7699, 0.80425, 0.6325000000000001, 0.7699, 0.03963359000086705),
    "cibl-resnet32-cifar10lt": _pinned("d278ba0027894352e1b48586f95a10da4d63a46b6d2d2689e7f51efef98f0f9b",
                                       0.7089000000000001, 0.776375, 0.439, 0.7993, 0.019769483550115773),
    "cb-focal-resnet32-cifar10lt": _pinned("207db4befc67c99a6f7d35209d737bd79d893e99ea15d641d8e85d48a82bcec6",
                                           0.7544000000000001, 0.775625, 0.6695, 0.7544000000000001,
                                           0.02198863300118176),
    "scl-rsg-ldam-resnet32-cifar10lt": _pinned("e9e63f069272c483f4788b3d443c2f1c743fd0eb731c77efb803a506c00b68bf",
                                               0.7875, 0.768625, 0.863, 0.7875, 0.05153372129655071),
}

_ZOO: dict[str, ZooEntry] = {}
for _dataset in ("cifar10lt", "cifar100lt"):
    for _method in _CIFAR_METHODS:
        _e = _entry(_method, "resnet32", _dataset, recipe_ready=True)
        _ZOO[_e.name] = _e
for _method, _dataset in _CIFAR_VARIANTS:
    _e = _entry(_method, "resnet32", _dataset, recipe_ready=True)
    _ZOO[_e.name] = _e
for _dataset, _backbone in _LARGE.items():
    for _method in _LARGE_METHODS:
        _e = _entry(_method, _backbone, _dataset, recipe_ready=(_method, _dataset) in _LARGE_READY)
        _ZOO[_e.name] = _e
for _name, _pins in _EMBEDDED.items():
    _ZOO[_name] = replace(_ZOO[_name], **_pins)


def list_models(pattern: str = "*", available_only: bool = False) -> list[dict[str, Any]]:
    """The zoo entries matching ``pattern`` (shell-style), as dicts; ``available_only`` keeps
    the embedded or published ones.

    Example:
        >>> [m["name"] for m in list_models("gcl-resnet50-*")]
        ['gcl-resnet50-imagenetlt', 'gcl-resnet50-inat2018']
    """
    rows = [e.as_dict() for name, e in sorted(_ZOO.items()) if fnmatch.fnmatch(name, pattern)]
    return [r for r in rows if r["embedded"] or r["published"]] if available_only else rows


def get_entry(name: str) -> ZooEntry:
    """The entry called ``name``; unknown names suggest close ones."""
    try:
        return _ZOO[name]
    except KeyError:
        raise UnknownNameError("zoo model", name, _ZOO) from None


def require_weights(entry: ZooEntry) -> None:
    """Raises NotPublishedError (with the command that produces them) if nothing can be loaded."""
    if not (entry.is_embedded or entry.is_published):
        raise NotPublishedError(
            f"{entry.name} is in the zoo but its weights are not published yet. Produce them with:\n"
            f"  {entry.how_to_produce()}\n"
            f"then load the folder (ltzoo.load('runs/{entry.recipe}/model')) or the pushed repo."
        )
