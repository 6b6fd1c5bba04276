"""The named models of the zoo. Entries are data: Hub repository, pinned revision and sha256,
recipe, dataset and metrics. An entry whose weights are not published yet says exactly how to
produce them.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ._dependencies import require_torch
from .download import CONFIG_NAME, ONNX_NAME, WEIGHTS_NAME
from .errors import MissingDependencyError, NotPublishedError, UnknownNameError

HUB_ORG = "ltzoo"
EMBEDDED_DIR = Path(__file__).resolve().parent / "assets" / "models"
ZOO_TABLE = EMBEDDED_DIR.parent / "zoo.md"  # the zoo, one row per model


@dataclass(frozen=True)
class ZooEntry:
    """One named model. ``revision`` pins the published repository (None: not published yet);
    ``sha256``, ``config_sha256`` and ``onnx_sha256`` pin its ``model.safetensors``, its
    ``config.json`` (labels, calibration) and its ``model.onnx``, all verified when it loads;
    ``embedded`` entries ship inside the package."""

    name: str
    architecture: str
    dataset: str
    method: str
    recipe: str
    repo_id: str
    revision: str | None = None
    sha256: str | None = None
    config_sha256: str | None = None
    onnx_sha256: str | None = None
    params_m: float | None = None

    @property
    def pins(self) -> dict[str, str]:
        """The sha256 of each file the entry pins, by file name."""
        files = {WEIGHTS_NAME: self.sha256, CONFIG_NAME: self.config_sha256, ONNX_NAME: self.onnx_sha256}
        return {name: sha256 for name, sha256 in files.items() if sha256}

    @property
    def embedded_path(self) -> Path:
        return EMBEDDED_DIR / self.name

    @property
    def is_embedded(self) -> bool:
        return (self.embedded_path / WEIGHTS_NAME).is_file()

    @property
    def is_published(self) -> bool:
        return self.revision is not None

    def how_to_produce(self) -> str:
        """The commands that train and publish this entry, then what the run needs (the data
        under ``--data-dir``, the expected GPU-hours; read from its recipe)."""
        command = (f"python -m train {self.recipe} --data-dir DATA && "
                   f"ltzoo push runs/{self.recipe}/model {self.repo_id}")
        return f"{command}\n  {_training_needs(self.recipe)}"

    @property
    def metrics(self) -> dict[str, float]:
        """The test metrics of the shipped checkpoint, read from its config.json (the headline
        ones: top-1 as trained and as ltzoo predicts by default, many / medium / few, calibrated
        ECE); empty until weights are embedded."""
        return _embedded_metrics(self.embedded_path) if self.is_embedded else {}

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "metrics": self.metrics, "embedded": self.is_embedded, "published": self.is_published}


HEADLINE_METRICS = ("top1", "many", "medium", "few", "top1_balanced", "ece_calibrated")


@functools.cache
def _embedded_metrics(folder: Path) -> dict[str, float]:
    metrics = json.loads((folder / "config.json").read_text())["ltzoo"]["metrics"]
    return {k: metrics[k] for k in HEADLINE_METRICS if metrics.get(k) is not None}


def _training_needs(recipe: str) -> str:
    """What training ``recipe`` needs (ltzoo.training.estimates), or how to install what reads it."""
    try:
        require_torch("training a zoo model")
    except MissingDependencyError as exc:
        return str(exc)
    from .recipes import recipe_path
    from .training import load_recipe_file, resolve_config
    from .training.estimates import training_needs

    return training_needs(resolve_config(load_recipe_file(recipe_path(recipe))))


def _read_table(path: Path) -> dict[str, ZooEntry]:
    """The entries of the zoo's table (a Markdown table: name, method, architecture, dataset)."""
    entries = {}
    rows = [line.strip().strip("|") for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    for row in rows[2:]:  # after the header and its separator
        name, method, architecture, dataset = (cell.strip() for cell in row.split("|"))
        entries[name] = ZooEntry(name=name, architecture=architecture, dataset=dataset, method=method, recipe=name,
                                 repo_id=f"{HUB_ORG}/{name}")
    return entries


def _pinned(weights: str, config: str, onnx: str | None = None, params_m: float = 0.464) -> dict[str, Any]:
    """The fields an embedded entry pins: the sha256 of its model.safetensors, config.json and
    model.onnx (verified on load), and its parameter count in millions (resnet32_cifar's by
    default). Its metrics are read from its config.json."""
    return {"sha256": weights, "config_sha256": config, "onnx_sha256": onnx, "params_m": params_m}


# weights shipped inside the package (ltzoo/assets/models/<name>/); tests/test_zoo.py checks the
# pins against each folder's files and re-scores the weights on the real test split
_EMBEDDED: dict[str, dict[str, Any]] = {
    "gcl-resnet32-cifar10lt": _pinned(
        "c72526ff26dc0918185459959e6afc46855ee1d4e0db450b563a50567935064e",
        "083f6ac0b5994df69f9f2d55180952c8ee4b34c5c744801e38ccad8953fe01da",
        "92f0b34f90752fde6646d85811d2380d1398ba7c4efdb7ca06ff3fd3d4f0706e"),
    "ce-resnet32-cifar10lt": _pinned(
        "76f6c56183157e31af1ff93d8c94ad6c7cdd76f9e2b8ae498fe3d0c61d343897",
        "4bc94a1e9e6421603a43efd3e699f510c2872b3fd8dfc648a9206d7fa123aa8f",
        "c1361e79c9571357d82ad39a8e3e27075ca52b692e7bbf26066a8be988ef3662"),
    "ldam-drw-resnet32-cifar10lt": _pinned(
        "cfc82d77feb723580df7a589b0f08da05577496e23cd88e6c1dbc48c794869ce",
        "0e53966b1cde07801699f250b16f479d1be7bf3a4e7f02dfbe3e781c2e22e7de",
        "60cd690d5d78a5de10bc7d5d7c5bd04f46bc8f0db3fe3bdd06903b6eb806f205"),
    "cibl-resnet32-cifar10lt": _pinned(
        "d278ba0027894352e1b48586f95a10da4d63a46b6d2d2689e7f51efef98f0f9b",
        "8ce0f7468f3731449596f2dd5bfc95b41269beaaffc9f1ce93431bcaf9a64796",
        "4fdbed36ea3dd4fee802dc739ce653990b230cc25fd42bc3ed277c557577045e"),
    "cb-focal-resnet32-cifar10lt": _pinned(
        "207db4befc67c99a6f7d35209d737bd79d893e99ea15d641d8e85d48a82bcec6",
        "3a577424b531834006c36384f9deb3999f29821c33af9c990cd0ac2931cbc4fa",
        "f1a4097b446c771d9775ae4bbd08510909277f675c28eb39e1b8af4185a061ba"),
    "scl-rsg-ldam-resnet32-cifar10lt": _pinned(
        "e9e63f069272c483f4788b3d443c2f1c743fd0eb731c77efb803a506c00b68bf",
        "899a4f02f3ee06c76a154aed3ad2a310bc49e170e80a4a9ef9798e218706e4e6",
        "3f7c873add77815b65b8f43c411cddb033d555c360c7871b9e98e6ac74308250"),
    # CIFAR-100-LT (train/README.md): no ONNX twin shipped; backend="onnx" exports it on first use
    "gcl-resnet32-cifar100lt": _pinned(
        "d88ef0553584818e90b6aa635da9653faaa664297265754693098f62191c2f21",
        "2d3981fb0bad71cd1cc3dd0ad93f221e481b32e2b2c5a1bee74f9f51c0991968", params_m=0.47),
    "gcl-resnet32-cifar100lt-r50": _pinned(
        "88436061a2cb04c88d113fe5ecf17b014dcb7f15f55093b9a3f737c5ae1a87ab",
        "a90be46ce407b5075097622060ae3e6d2ad3e378fd84743a08b7bffcf380f527", params_m=0.47),
    "ce-resnet32-cifar100lt": _pinned(
        "042a7365d0f6f80be7bab84e8869b0ca8e85cb5e0348cb70df050c789568dab8",
        "4565dff9a3c5aa820c05147a58ccd007d64201fcbf6a1b77f8c61d856905dfe5", params_m=0.47),
    "ldam-drw-resnet32-cifar100lt": _pinned(
        "20dfa64db991771a23b1638695b43f8f32498c9744084a4e59359c89dc5950b4",
        "aee309fac61fe84d9d0d9fca3ab08a7b0c923e8a3c04399fd23266c3d05e90b0", params_m=0.47),
    "crt-resnet32-cifar100lt": _pinned(
        "5c7907cd33af45ebd1dd84a5309ddc9cc99966c8a643fd885e9bb248da61fa54",
        "2ca640d105c1af90963606011cd68c9b21aa0dbab13378285e759bdd39377af7", params_m=0.47),
    "lws-resnet32-cifar100lt": _pinned(
        "ad610e82fd30ba5015b3cae10b213d65105aa870fcf0b03280ab4238386afcad",
        "3a599cb02455be5206b8d54ac3a79496265e6f0d6036f49011cdf9fcdbc06f75", params_m=0.47),
    "taunorm-resnet32-cifar100lt": _pinned(
        "c8776600dab3c98aa4519631f531a0f1bcfaec61a415e9ebb25e90f021536656",
        "9d527c92f7400d9649dce137590388b274a0d4dfe614161bdfb5c360cb3cc56e", params_m=0.47),
    "cb-focal-resnet32-cifar100lt": _pinned(
        "591f485baced4465840961fe761082b74409e7ee19588b11c5c6929a974e1660",
        "0bca89404ec18442a99e4110f340d950b7fc60acf23fa96febca9cdbd556edff", params_m=0.47),
}

_ZOO: dict[str, ZooEntry] = _read_table(ZOO_TABLE)
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
