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
        if not self.recipe_ready:
            return (f"(its training recipe, train/recipes/{self.recipe}.yaml, is not written yet; once it is:) "
                    f"python -m train {self.recipe} --data-dir DATA && ltzoo push runs/{self.recipe}/model {self.repo_id}")
        return (
            f"python -m train {self.recipe} --data-dir DATA && "
            f"ltzoo push runs/{self.recipe}/model {self.repo_id}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "embedded": self.is_embedded, "published": self.is_published}


_ARCH = {"resnet32": "resnet32_cifar", "resnet50": "resnet50", "resnet152": "resnet152"}
_DATASETS = {"cifar10lt": "CIFAR-10-LT (ratio 100)", "cifar100lt": "CIFAR-100-LT (ratio 100)",
             "imagenetlt": "ImageNet-LT", "placeslt": "Places-LT", "inat2018": "iNaturalist 2018"}
_CIFAR_METHODS = ("ce", "focal", "cb-focal", "ldam-drw", "logit-adjust", "balanced-softmax", "gcl", "gcl-angular",
                  "cibl", "scl-rsg-ldam", "crt", "taunorm", "lws")
_LARGE = {"imagenetlt": "resnet50", "placeslt": "resnet152", "inat2018": "resnet50"}
_LARGE_METHODS = ("gcl", "ce-crt", "ldam-drw", "cb-focal", "balanced-softmax")
# large-scale entries whose recipe is written (the others' hyperparameters are not verified yet)
_LARGE_READY = {("ce-crt", "imagenetlt"), ("ce-crt", "inat2018"), ("ce-crt", "placeslt"), ("gcl", "placeslt"),
                ("balanced-softmax", "imagenetlt"), ("balanced-softmax", "placeslt"), ("cb-focal", "inat2018")}


def _entry(method: str, backbone: str, dataset: str, recipe_ready: bool) -> ZooEntry:
    name = f"{method}-{backbone}-{dataset}"
    return ZooEntry(name=name, architecture=_ARCH[backbone], dataset=_DATASETS[dataset], method=method,
                    recipe=name, repo_id=f"{HUB_ORG}/{name}", recipe_ready=recipe_ready)


# weights shipped inside the package (ltzoo/assets/models/<name>/): the sha256 of model.safetensors
# (verified on load) and the test metrics of its config.json (tests/test_zoo.py checks both);
# top1_balanced is the top-1 of ltzoo's default prediction (calibrated, balanced prior)
_EMBEDDED: dict[str, dict[str, Any]] = {
    "gcl-resnet32-cifar10lt": {
        "sha256": "c72526ff26dc0918185459959e6afc46855ee1d4e0db450b563a50567935064e",
        "metrics": {"top1": 0.8304, "many": 0.84375, "medium": 0.777, "top1_balanced": 0.8304,
                    "ece_calibrated": 0.012094755995263216},
        "params_m": 0.464,
    },
    "ce-resnet32-cifar10lt": {
        "sha256": "76f6c56183157e31af1ff93d8c94ad6c7cdd76f9e2b8ae498fe3d0c61d343897",
        "metrics": {"top1": 0.7141, "many": 0.7813749999999999, "medium": 0.445, "top1_balanced": 0.7983,
                    "ece_calibrated": 0.010063966076176859},
        "params_m": 0.464,
    },
    "ldam-drw-resnet32-cifar10lt": {
        "sha256": "cfc82d77feb723580df7a589b0f08da05577496e23cd88e6c1dbc48c794869ce",
        "metrics": {"top1": 0.7699, "many": 0.80425, "medium": 0.6325000000000001, "top1_balanced": 0.7699,
                    "ece_calibrated": 0.03963359000086705},
        "params_m": 0.464,
    },
    "cibl-resnet32-cifar10lt": {
        "sha256": "d278ba0027894352e1b48586f95a10da4d63a46b6d2d2689e7f51efef98f0f9b",
        "metrics": {"top1": 0.7089000000000001, "many": 0.776375, "medium": 0.439, "top1_balanced": 0.7993,
                    "ece_calibrated": 0.019769483550115773},
        "params_m": 0.464,
    },
}

_ZOO: dict[str, ZooEntry] = {}
for _dataset in ("cifar10lt", "cifar100lt"):
    for _method in _CIFAR_METHODS:
        _e = _entry(_method, "resnet32", _dataset, recipe_ready=True)
        _ZOO[_e.name] = _e
for _dataset, _backbone in _LARGE.items():
    for _method in _LARGE_METHODS:
        _e = _entry(_method, _backbone, _dataset, recipe_ready=(_method, _dataset) in _LARGE_READY)
        _ZOO[_e.name] = _e
for _name, _pinned in _EMBEDDED.items():
    _ZOO[_name] = replace(_ZOO[_name], **_pinned)


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
